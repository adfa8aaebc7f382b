//! The tile server in-process (router + oneshot): tiles, gzip, ETag and 304, errors, TileJSON,
//! a style with no external URL, OpenAPI, and the cache dropped when a new plan lands. And
//! `wangge tiles export`, read back by the independent Python `pmtiles` reader.

use crate::util::{Backend, each_backend, off_runtime, wangge};
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use std::io::Read;
use tower::ServiceExt;
use wangge_server::{AppState, router};
use wangge_tiles::mvt::{Rules, validate};

fn demo(d: &std::path::Path, partition: bool) -> std::path::PathBuf {
    let (ok, out) = wangge(
        &[
            "generate",
            "--households",
            "6000",
            "--seed",
            "3",
            "--workspace",
            "w.gpkg",
        ],
        d,
    );
    assert!(ok, "{out}");
    if partition {
        let (ok, out) = wangge(&["partition", "w.gpkg", "--threads", "1"], d);
        assert!(ok, "{out}");
    }
    d.join("w.gpkg")
}

async fn get(
    state: &AppState,
    uri: &str,
    headers: &[(header::HeaderName, &str)],
) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    let mut req = Request::builder()
        .uri(uri)
        .header(header::HOST, "127.0.0.1:9999");
    for (k, v) in headers {
        req = req.header(k, *v);
    }
    let resp = router(state.clone())
        .oneshot(req.body(Body::empty()).expect("request"))
        .await
        .expect("response");
    let status = resp.status();
    let h = resp.headers().clone();
    let body = resp
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes()
        .to_vec();
    (status, h, body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tiles_tilejson_style_and_cache() {
    let dir = tempfile::tempdir().expect("tmp");
    let ws = demo(dir.path(), true);
    for be in each_backend(dir.path(), &ws, "server_tiles") {
        tiles_on(dir.path(), &be).await;
    }
}

/// The tile story on one backend: the state, then plan, coverage and gap changes made by the
/// command line on the same workspace.
// Long: one story of a tile's life, its cache and ETag across the changes that drop it.
async fn tiles_on(dir: &std::path::Path, be: &Backend) {
    let state = be.state();
    let src = state.source().expect("a workspace");
    let t = src
        .tiles(14, 14)
        .into_iter()
        .find(|t| !src.tile(*t, &["grids"]).is_empty())
        .expect("a tile with grids");
    let uri = format!("/tiles/all/{}/{}/{}.mvt", t.z(), t.x(), t.y());

    let (s, h, body) = get(&state, &uri, &[(header::ACCEPT_ENCODING, "gzip, br")]).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(h[header::CONTENT_ENCODING], "gzip");
    // Encoded once (through the shared in-flight encoding), then served from the cache.
    assert_eq!(state.encoding.computed(), 1);
    let (s, _, _) = get(&state, &uri, &[(header::ACCEPT_ENCODING, "gzip")]).await;
    assert_eq!((s, state.encoding.computed()), (StatusCode::OK, 1));
    assert_eq!(
        h[header::CONTENT_TYPE],
        "application/vnd.mapbox-vector-tile"
    );
    let mut raw = Vec::new();
    flate2::read::GzDecoder::new(&body[..])
        .read_to_end(&mut raw)
        .expect("gzip");
    let tile = validate(
        &raw,
        &Rules {
            buffer: Some(wangge_tiles::BUFFER),
        },
    )
    .expect("strictly valid");
    assert!(tile.layers.iter().any(|l| l.name == "grids"));
    let etag = h[header::ETAG].to_str().expect("etag").to_string();
    assert_eq!(state.cache.len(), 1);

    // Without gzip the same tile comes plain; with the ETag, 304.
    let (s, h, plain) = get(&state, &uri, &[]).await;
    assert_eq!(s, StatusCode::OK);
    assert!(h.get(header::CONTENT_ENCODING).is_none());
    assert_eq!(plain, raw);
    let (s, _, body) = get(&state, &uri, &[(header::IF_NONE_MATCH, &etag)]).await;
    assert_eq!(s, StatusCode::NOT_MODIFIED);
    assert!(body.is_empty());
    // The OGC API Tiles path gives the same tile (row before column).
    let ogc = format!(
        "/collections/all/tiles/WebMercatorQuad/{}/{}/{}",
        t.z(),
        t.y(),
        t.x()
    );
    let (s, _, o) = get(&state, &ogc, &[]).await;
    assert_eq!((s, o), (StatusCode::OK, raw.clone()));

    // OGC API - Tiles documents: conformance, the tile matrix set (scale denominators of OGC
    // 17-083r4: z14 is 34,123.67), collections and the tileset's URL template.
    let (_, _, c) = get(&state, "/conformance", &[]).await;
    let c: serde_json::Value = serde_json::from_slice(&c).expect("json");
    assert!(c["conformsTo"].as_array().is_some_and(|a| {
        a.iter()
            .any(|u| u.as_str().is_some_and(|u| u.ends_with("/conf/mvt")))
    }));
    let (_, _, m) = get(&state, "/tileMatrixSets/WebMercatorQuad", &[]).await;
    let m: serde_json::Value = serde_json::from_slice(&m).expect("json");
    let z14 = &m["tileMatrices"][14];
    assert_eq!(z14["matrixWidth"], 16384);
    assert!(
        (z14["scaleDenominator"].as_f64().expect("number") - 34_123.673).abs() < 0.01,
        "{z14}"
    );
    let (_, _, cl) = get(&state, "/collections", &[]).await;
    let cl: serde_json::Value = serde_json::from_slice(&cl).expect("json");
    assert!(
        cl["collections"]
            .as_array()
            .is_some_and(|a| a.iter().any(|c| c["id"] == "grids"))
    );
    let (s, _, ts) = get(&state, "/collections/grids/tiles/WebMercatorQuad", &[]).await;
    assert_eq!(s, StatusCode::OK);
    let ts: serde_json::Value = serde_json::from_slice(&ts).expect("json");
    let template = ts["links"][1]["href"]
        .as_str()
        .expect("template")
        .to_string();
    let filled = template
        .trim_start_matches("http://127.0.0.1:9999")
        .replace("{tileMatrix}", &t.z().to_string())
        .replace("{tileRow}", &t.y().to_string())
        .replace("{tileCol}", &t.x().to_string());
    let (s, _, g) = get(&state, &filled, &[]).await;
    assert_eq!(s, StatusCode::OK);
    let grids_only = validate(&g, &Rules::default()).expect("valid");
    assert_eq!(grids_only.layers.len(), 1);
    assert_eq!(grids_only.layers[0].name, "grids");

    // Errors a user can act on.
    let (s, _, m) = get(&state, "/tiles/nope/14/1/1.mvt", &[]).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert!(String::from_utf8_lossy(&m).contains("grids"));
    let (s, _, _) = get(&state, "/tiles/all/3/9/0.mvt", &[]).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _, _) = get(&state, "/tiles/all/14/0/0.mvt", &[]).await;
    assert_eq!(s, StatusCode::NO_CONTENT, "an empty tile");

    // TileJSON 3.0 with vector_layers; the style points at this host only.
    let (s, _, j) = get(&state, "/tiles/all.json", &[]).await;
    assert_eq!(s, StatusCode::OK);
    let tj: serde_json::Value = serde_json::from_slice(&j).expect("json");
    assert_eq!(tj["tilejson"], "3.0.0");
    let ids: Vec<&str> = tj["vector_layers"]
        .as_array()
        .expect("layers")
        .iter()
        .filter_map(|l| l["id"].as_str())
        .collect();
    assert!(
        ids.contains(&"grids") && ids.contains(&"buildings"),
        "{ids:?}"
    );
    assert!(
        tj["tiles"][0]
            .as_str()
            .expect("url")
            .starts_with("http://127.0.0.1:9999/tiles/all/")
    );
    let (_, _, st) = get(&state, "/style.json", &[]).await;
    let text = String::from_utf8(st).expect("utf8");
    for url in text.split('"').filter(|s| s.contains("://")) {
        assert!(
            url.starts_with("http://127.0.0.1:9999/"),
            "external URL in the style: {url}"
        );
    }
    let style: serde_json::Value = serde_json::from_str(&text).expect("json");
    assert!(style.get("glyphs").is_none() && style["version"] == 8);
    let (s, _, api) = get(&state, "/api", &[]).await;
    assert_eq!(s, StatusCode::OK);
    let api: serde_json::Value = serde_json::from_slice(&api).expect("json");
    assert!(api["paths"]["/tiles/{layers}/{z}/{x}/{y}.mvt"].is_object());

    // A new plan: the state notices, drops the cache, and the tile's ETag changes.
    assert!(
        !off_runtime(|| state.refresh()).expect("refresh"),
        "nothing changed yet"
    );
    let (ok, out) = wangge(
        &["partition", be.arg(), "--threads", "1", "--cap", "150"],
        dir,
    );
    assert!(ok, "{out}");
    assert!(off_runtime(|| state.refresh()).expect("refresh"));
    assert_eq!(state.cache.len(), 0);
    let (_, h2, _) = get(&state, &uri, &[]).await;
    assert_ne!(h2[header::ETAG].to_str().expect("etag"), etag);

    // Coverage with service areas, then gaps: each is noticed and tiled.
    let (ok, out) = wangge(&["coverage", be.arg(), "--areas", "areas.geojson"], dir);
    assert!(ok, "{out}");
    assert!(
        off_runtime(|| state.refresh()).expect("refresh"),
        "service areas are new data"
    );
    let (ok, out) = wangge(
        &[
            "gaps",
            be.arg(),
            "--category",
            "kindergarten",
            "--minutes",
            "5",
        ],
        dir,
    );
    assert!(ok, "{out}");
    assert!(
        off_runtime(|| state.refresh()).expect("refresh"),
        "gap areas are new data"
    );
    let (_, _, j) = get(&state, "/tiles/all.json", &[]).await;
    let tj: serde_json::Value = serde_json::from_slice(&j).expect("json");
    let ids: Vec<&str> = tj["vector_layers"]
        .as_array()
        .expect("layers")
        .iter()
        .filter_map(|l| l["id"].as_str())
        .collect();
    assert!(
        ids.contains(&"service_areas") && ids.contains(&"gap_areas"),
        "{ids:?}"
    );
    let src = state.source().expect("source");
    let mut with_gaps = 0;
    for t in src.tiles(14, 14) {
        let b = src.tile(t, &["gap_areas", "service_areas"]);
        if !b.is_empty() {
            validate(
                &b,
                &Rules {
                    buffer: Some(wangge_tiles::BUFFER),
                },
            )
            .expect("strictly valid");
            with_gaps += 1;
        }
    }
    assert!(with_gaps > 0);
}

#[test]
fn pmtiles_export_reads_back_with_the_python_reader() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    demo(d, true);
    let (ok, out) = wangge(&["tiles", "export", "w.gpkg", "-o", "w.pmtiles"], d);
    assert!(ok, "{out}");
    assert!(out.contains("tiles (z10-16)"), "{out}");
    let (ok, out) = wangge(
        &[
            "tiles",
            "export",
            "w.gpkg",
            "-o",
            "x.pmtiles",
            "--layers",
            "nope",
        ],
        d,
    );
    assert!(!ok && out.contains("no layer \"nope\""), "{out}");
    let script = crate::util::project("tests/scripts/pmtiles_read.py");
    let o = std::process::Command::new("python3")
        .arg(script)
        .arg(d.join("w.pmtiles"))
        .output()
        .expect("python3");
    let text = String::from_utf8_lossy(&o.stdout).to_string() + &String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{text}");
    // The reader found tiles at every zoom, each a gzipped tile our validator accepts.
    let v: serde_json::Value =
        serde_json::from_str(text.lines().last().unwrap_or("")).expect("json");
    assert_eq!(v["spec_version"], 3);
    assert_eq!(v["tile_type"], 1, "MVT");
    assert!(v["tiles"].as_u64().unwrap_or(0) > 10, "{v}");
    let sample = std::fs::read(d.join("w.pmtiles.sample.mvt")).expect("sample tile");
    validate(
        &sample,
        &Rules {
            buffer: Some(wangge_tiles::BUFFER),
        },
    )
    .expect("valid sample");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pmtiles_archive_is_served_as_it_was_exported() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    let ws = demo(d, true);
    let (ok, out) = wangge(&["tiles", "export", "w.gpkg", "-o", "w.pmtiles"], d);
    assert!(ok, "{out}");
    let exported = std::fs::read(d.join("w.pmtiles")).expect("archive");
    for be in each_backend(d, &ws, "pmtiles") {
        // The same workspace in PostgreSQL exports the same archive, byte for byte.
        let (ok, out) = wangge(&["tiles", "export", be.arg(), "-o", "b.pmtiles"], d);
        assert!(ok, "{out}");
        assert!(
            std::fs::read(d.join("b.pmtiles")).expect("archive") == exported,
            "{}: another archive",
            be.arg()
        );
        archive_serves_what(d, &be).await;
    }
}

/// The archive `w.pmtiles` in `d` serves the tiles, ETags and TileJSON a live server on `be`
/// gives.
async fn archive_serves_what(d: &std::path::Path, be: &Backend) {
    let live = be.state();
    let archive = AppState::open(d.join("w.pmtiles"), true).expect("archive");
    assert!(archive.source().is_none() && archive.archive().is_some());
    let src = live.source().expect("source");
    let mut compared = 0;
    for t in src.tiles(12, 16) {
        let uri = format!("/tiles/all/{}/{}/{}.mvt", t.z(), t.x(), t.y());
        let (s1, _, a) = get(&live, &uri, &[]).await;
        let (s2, h, b) = get(&archive, &uri, &[]).await;
        assert_eq!(s1, s2, "{uri}");
        assert_eq!(
            a, b,
            "{uri}: the archive holds the tile the workspace encodes"
        );
        if s2 == StatusCode::OK {
            let etag = h[header::ETAG].to_str().expect("etag").to_string();
            let (s3, _, _) = get(&archive, &uri, &[(header::IF_NONE_MATCH, &etag)]).await;
            assert_eq!(s3, StatusCode::NOT_MODIFIED);
            let (_, hz, gz) = get(&archive, &uri, &[(header::ACCEPT_ENCODING, "gzip")]).await;
            assert_eq!(hz[header::CONTENT_ENCODING], "gzip");
            let mut raw = Vec::new();
            flate2::read::GzDecoder::new(&gz[..])
                .read_to_end(&mut raw)
                .expect("gzip");
            assert_eq!(raw, b);
            compared += 1;
        }
    }
    assert!(compared > 5, "{compared}");
    let (s, _, _) = get(&archive, "/tiles/grids/14/0/0.mvt", &[]).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, _, j) = get(&archive, "/tiles/all.json", &[]).await;
    let tj: serde_json::Value = serde_json::from_slice(&j).expect("json");
    assert_eq!(tj["maxzoom"], 16);
    assert!(
        tj["vector_layers"]
            .as_array()
            .is_some_and(|v| v.iter().any(|l| l["id"] == "grids")),
        "{tj}"
    );
}

#[test]
fn damaged_archives_are_refused_with_the_file_and_reason() {
    let dir = tempfile::tempdir().expect("tmp");
    let junk = dir.path().join("junk.pmtiles");
    std::fs::write(&junk, b"not an archive").expect("write");
    let e = AppState::open(junk, true)
        .err()
        .expect("refused")
        .to_string();
    assert!(
        e.contains("junk.pmtiles") && e.contains("no PMTiles magic"),
        "{e}"
    );
    // A real archive cut short: its header points past the end.
    demo(dir.path(), false);
    let (ok, out) = wangge(
        &["tiles", "export", "w.gpkg", "-o", "w.pmtiles"],
        dir.path(),
    );
    assert!(ok, "{out}");
    let bytes = std::fs::read(dir.path().join("w.pmtiles")).expect("read");
    let cut = dir.path().join("cut.pmtiles");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).expect("write");
    let e = AppState::open(cut, true)
        .err()
        .expect("refused")
        .to_string();
    assert!(
        e.contains("cut.pmtiles") && e.contains("past the end"),
        "{e}"
    );
}

/// The grid worker page's service worker names its cache after a digest of the shell it
/// precaches: the same files give the same version, a changed script a new one (phones drop
/// the old shell at their next visit), with no version bumped by hand; the map's cache keeps
/// its name.
#[tokio::test]
async fn the_worker_pages_cache_version_follows_its_files() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    let ws = demo(d, false);
    let viewer = d.join("viewer");
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("web-viewer");
    std::fs::create_dir_all(viewer.join("app")).expect("dir");
    for f in ["worker-sw.js", "worker.html"] {
        std::fs::copy(src.join(f), viewer.join(f)).expect(f);
    }
    for f in [
        "worker.js",
        "worker.css",
        "util.js",
        "i18n.js",
        "case_reasons.js",
    ] {
        std::fs::copy(src.join("app").join(f), viewer.join("app").join(f)).expect(f);
    }
    let state = AppState::open(ws, true)
        .expect("state")
        .with_viewer(viewer.clone());
    let version = |body: &[u8]| -> String {
        let text = String::from_utf8(body.to_vec()).expect("utf-8");
        let line = text
            .lines()
            .find(|l| l.starts_with("const VERSION = "))
            .expect("the VERSION line")
            .to_string();
        assert!(!line.contains("__SHELL__"), "{line}");
        assert!(text.contains("const MAP = \"wangge-worker-map\""));
        line
    };
    let (s, _, first) = get(&state, "/viewer/worker-sw.js", &[]).await;
    assert_eq!(s, StatusCode::OK);
    let (_, _, again) = get(&state, "/viewer/worker-sw.js", &[]).await;
    assert_eq!(
        version(&first),
        version(&again),
        "the same files, the same version"
    );
    let digest = version(&first)
        .trim_start_matches("const VERSION = \"wangge-worker-v3-")
        .trim_end_matches("\";")
        .to_string();
    assert!(
        digest.len() == 12 && digest.chars().all(|c| c.is_ascii_hexdigit()),
        "{digest}"
    );
    // A script of the shell changes: a new version.
    let js = viewer.join("app").join("case_reasons.js");
    let mut text = std::fs::read_to_string(&js).expect("js");
    text.push_str("\n// changed\n");
    std::fs::write(&js, text).expect("write");
    let (_, _, changed) = get(&state, "/viewer/worker-sw.js", &[]).await;
    assert_ne!(
        version(&first),
        version(&changed),
        "a changed script, a new version"
    );
}

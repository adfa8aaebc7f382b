//! City components (部件): from real OSM tags (Monaco, counted again with GDAL's OSM driver,
//! not our reader), from files with the import's error rules, in vector tiles, and per area
//! with the same rows from the CLI and the API.

use crate::util::{Backend, each_backend, http, serve, shared, wangge};
use std::collections::BTreeMap;

/// Nodes of an OSM file with a tag, counted by GDAL's OSM driver (`points` layer; tags GDAL
/// has no column for are in `other_tags`).
fn gdal_count(osm: &std::path::Path, key: &str, value: &str) -> u64 {
    let column = ["highway", "man_made", "barrier"].contains(&key);
    let filter = if column {
        format!("{key} = '{value}'")
    } else {
        format!("other_tags LIKE '%\"{key}\"=>\"{value}\"%'")
    };
    let out = std::process::Command::new("ogrinfo")
        .args(["-ro", "-q", "-sql"])
        .arg(format!("SELECT count(*) AS n FROM points WHERE {filter}"))
        .arg(osm)
        .output()
        .expect("ogrinfo (GDAL) runs");
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .find_map(|l| l.trim().strip_prefix("n (Integer) = "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("ogrinfo: {text} {}", String::from_utf8_lossy(&out.stderr)))
}

#[test]
fn monaco_components_come_from_osm_tags_as_gdal_counts_them() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    let osm = shared("osm/monaco.osm.pbf");
    // Imported straight into each backend (its own import path, not a copy).
    for be in crate::util::each_new(d, "components_monaco") {
        let (ok, out) = wangge(
            &[
                "import",
                "--workspace",
                be.arg(),
                &osm.display().to_string(),
            ],
            d,
        );
        assert!(ok, "{out}");
        let comps = be.store().load_places().expect("load").components;
        monaco_components_hold(&osm, &comps, be.arg());
    }
}

/// Monaco's components `comps` (imported into `ws`) are GDAL's count of each tag, of known
/// classes, in Monaco.
fn monaco_components_hold(osm: &std::path::Path, comps: &[wangge_core::Component], ws: &str) {
    let mut nodes: BTreeMap<&str, u64> = BTreeMap::new();
    for c in comps.iter().filter(|c| c.key.starts_with("osm:n")) {
        *nodes.entry(c.class.as_str()).or_default() += 1;
    }
    for (class, key, value, at_least) in [
        ("0406", "amenity", "bench", 100),
        ("0310", "amenity", "waste_basket", 30),
        ("0120", "highway", "street_lamp", 10),
        ("0117", "emergency", "fire_hydrant", 3),
    ] {
        let gdal = gdal_count(osm, key, value);
        let ours = nodes.get(class).copied().unwrap_or(0);
        assert_eq!(ours, gdal, "{ws}: {class} ({key}={value})");
        eprintln!("{ws}: {class} {key}={value}: {ours} nodes (GDAL {gdal})");
        assert!(ours >= at_least, "{class}: {ours}");
    }
    // Every component has a known class, a status, and lies in Monaco.
    let catalogue = wangge_core::ComponentCatalogue::builtin();
    for c in comps {
        assert!(catalogue.get(&c.class).is_some(), "{c:?}");
        let p = match &c.geometry {
            geo_types::Geometry::Point(p) => *p,
            geo_types::Geometry::LineString(l) => geo_types::Point(l.0[0]),
            g => panic!("{g:?}"),
        };
        assert!(
            (7.38..7.45).contains(&p.x()) && (43.71..43.76).contains(&p.y()),
            "{c:?}"
        );
    }
}

#[test]
fn a_bad_component_register_is_refused_whole_naming_row_and_problem() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    let ws = crate::util::demo_workspace(d, 3);
    for be in each_backend(d, &ws, "component_register") {
        bad_register_on(d, &be);
    }
}

/// [`a_bad_component_register_is_refused_whole_naming_row_and_problem`] on one backend.
fn bad_register_on(d: &std::path::Path, be: &Backend) {
    let before = be.store().digest().expect("digest");
    let good = "id,lon,lat,class,status,owner,inspected\n\
                K1,118.80,32.05,污水井盖,完好,排水公司,2026-11-02\n";
    let import = || {
        wangge(
            &[
                "import",
                "--workspace",
                be.arg(),
                "c.csv",
                "--as",
                "components",
            ],
            d,
        )
    };
    for (row, says) in [
        ("K2,118.80,32.05,unicorn,完好,,", "unknown component class"),
        ("K2,118.80,32.05,0102,broken-ish,,", "component status"),
        ("K2,118.80,32.05,路灯,完好,,yesterday", "last inspection"),
        ("K2,218.80,32.05,路灯,完好,,", "longitude"),
        ("K1,118.80,32.05,路灯,完好,,", "duplicate id"),
    ] {
        std::fs::write(d.join("c.csv"), format!("{good}{row}\n")).expect("write");
        let (ok, out) = import();
        assert!(!ok, "{row}: accepted");
        assert!(out.contains("c.csv") && out.contains(says), "{row}: {out}");
        assert_eq!(
            be.store().digest().expect("digest"),
            before,
            "{}, {row}: the store changed",
            be.arg()
        );
    }
    std::fs::write(d.join("c.csv"), good).expect("write");
    let (ok, out) = import();
    assert!(ok, "{out}");
    let c = be
        .store()
        .load_places()
        .expect("load")
        .components
        .into_iter()
        .find(|c| c.key == "K1")
        .expect("K1");
    assert_eq!(c.class, "0102");
    assert_eq!(c.owner.as_deref(), Some("排水公司"));
    assert!(c.inspected.is_some());
}

#[test]
fn component_counts_per_grid_are_the_same_from_the_cli_and_the_api_and_tiles_carry_them() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    let ws = crate::util::demo_workspace(d, 4);
    for be in each_backend(d, &ws, "component_counts") {
        component_counts_on(d, &be);
    }
}

// Long: the CLI's rows, the API's, then the tiles read by our validator and by Mapbox's reader.
fn component_counts_on(d: &std::path::Path, be: &Backend) {
    let (ok, csv) = wangge(&["report", "components", be.arg(), "--by", "grid"], d);
    assert!(ok, "{csv}");
    let cli: Vec<Vec<String>> = csv
        .lines()
        .skip_while(|l| !l.starts_with("area,"))
        .skip(1)
        .filter(|l| l.split(',').count() == 9)
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect();
    assert!(cli.len() > 10, "{csv}");
    let srv = serve(d, be.arg(), &[]);
    let (status, body) = http(&srv.bind, "GET", "/api/components?by=grid", "", b"");
    assert_eq!(status, 200, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).expect("json");
    let api: Vec<Vec<String>> = v["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| {
            [
                "area", "class", "class_zh", "major", "count", "intact", "damaged", "missing",
                "occupied",
            ]
            .iter()
            .map(|k| match &r[*k] {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect()
        })
        .collect();
    assert_eq!(cli, api);
    let total: u64 = api.iter().map(|r| r[4].parse::<u64>().expect("n")).sum();
    assert_eq!(
        total + v["outside"].as_u64().expect("outside"),
        v["total"].as_u64().expect("total")
    );
    // Lamps every 30 m along streets: every grid with a street has some.
    assert!(api.iter().any(|r| r[1] == "0120"));

    // Tiles at z16 carry the components, valid under the strict validator, with no owner.
    let src = wangge_tiles::TileSource::from_store(&*be.store()).expect("source");
    let rules = wangge_tiles::mvt::Rules {
        buffer: Some(wangge_tiles::BUFFER),
    };
    let mut seen = 0;
    // Tiles with components, for Mapbox's own reader below: (file, what the validator read).
    let mut written = Vec::new();
    for t in src.tiles(16, 16).into_iter().take(400) {
        let bytes = src.tile(t, &["components"]);
        let tile =
            wangge_tiles::mvt::validate(&bytes, &rules).unwrap_or_else(|p| panic!("{t}: {p:?}"));
        if written.len() < 25 && tile.layers.iter().any(|l| !l.features.is_empty()) {
            let f = d.join(format!("c{}.mvt", written.len()));
            std::fs::write(&f, &bytes).expect("tile");
            written.push((f, tile.clone()));
        }
        for l in &tile.layers {
            assert_eq!(l.name, "components");
            seen += l.features.len();
            for f in &l.features {
                let keys: Vec<&str> = f.props.iter().map(|(k, _)| k.as_str()).collect();
                assert_eq!(keys, ["key", "class", "major", "status"], "{t}");
            }
        }
    }
    assert!(seen > 100, "{seen} components in z16 tiles");

    // @mapbox/vector-tile (what MapLibre reads tiles with) decodes the same features: the same
    // count per tile, geometry types, properties and first points.
    let out = std::process::Command::new("node")
        .arg(crate::util::project("web-viewer/test/decode_mvt.mjs"))
        .args(written.iter().map(|(f, _)| f))
        .output()
        .expect("node");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let decoded: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(decoded.as_array().map(Vec::len), Some(written.len()));
    for ((f, ours), theirs) in written.iter().zip(decoded.as_array().expect("tiles")) {
        let layer = &ours.layers[0];
        let features = theirs["layers"]["components"]["features"]
            .as_array()
            .unwrap_or_else(|| panic!("{}: no components layer: {theirs}", f.display()));
        assert_eq!(features.len(), layer.features.len(), "{}", f.display());
        for (a, b) in layer.features.iter().zip(features) {
            assert_eq!(u64::from(a.geom_type), b["type"].as_u64().expect("type"));
            for (k, v) in &a.props {
                let want = match v {
                    wangge_tiles::mvt::Value::String(s) => serde_json::json!(s),
                    other => panic!("{k}: {other:?}"),
                };
                assert_eq!(b["props"][k], want, "{}: {k}", f.display());
            }
            let p = a.parts[0][0];
            assert_eq!(
                b["first"],
                serde_json::json!([p[0], p[1]]),
                "{}",
                f.display()
            );
        }
    }
}

#[test]
fn incidents_name_components_whose_history_and_repeated_faults_follow() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    let ws = crate::util::demo_workspace(d, 5);
    for be in each_backend(d, &ws, "component_faults") {
        component_faults_on(d, &be);
    }
}

// Long: the CLI's and the API's faults, then one more report and a conflicting resend.
fn component_faults_on(d: &std::path::Path, be: &Backend) {
    let (ok, csv) = wangge(&["report", "components", be.arg(), "--faults", "2"], d);
    assert!(ok, "{csv}");
    let cli: Vec<Vec<String>> = csv
        .lines()
        .skip_while(|l| !l.starts_with("key,"))
        .skip(1)
        .filter(|l| l.split(',').count() == 7)
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect();
    assert!(
        !cli.is_empty(),
        "the demo has no component with repeated faults: {csv}"
    );
    let srv = serve(d, be.arg(), &[]);
    let (status, body) = http(&srv.bind, "GET", "/api/components/faults?min=2", "", b"");
    assert_eq!(status, 200, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).expect("json");
    let api: Vec<Vec<String>> = v["components"]
        .as_array()
        .expect("components")
        .iter()
        .map(|r| {
            [
                "key",
                "class",
                "status",
                "owner",
                "community",
                "grid",
                "incidents",
            ]
            .iter()
            .map(|k| match &r[*k] {
                serde_json::Value::String(s) => s.clone(),
                serde_json::Value::Null => String::new(),
                other => other.to_string(),
            })
            .collect()
        })
        .collect();
    assert_eq!(cli, api);
    // Most first.
    let counts: Vec<u64> = api.iter().map(|r| r[6].parse().expect("n")).collect();
    assert!(counts.windows(2).all(|w| w[0] >= w[1]), "{counts:?}");
    // The top component's history is its incidents; one more report about it is counted.
    let (top, n) = (api[0][0].clone(), counts[0]);
    let history = |srv: &crate::util::Server| {
        let (status, body) = http(
            &srv.bind,
            "GET",
            &format!("/api/incidents?component={top}&limit=1000"),
            "",
            b"",
        );
        assert_eq!(status, 200, "{body}");
        let v: serde_json::Value = serde_json::from_str(&body).expect("json");
        let items = v["incidents"].as_array().expect("incidents").clone();
        assert!(
            items.iter().all(|i| i["component"] == top.as_str()),
            "{body}"
        );
        (v["total"].as_u64().expect("total"), items)
    };
    assert_eq!(history(&srv).0, n);
    let at = be
        .store()
        .load_places()
        .expect("places")
        .components
        .into_iter()
        .find(|c| c.key == top)
        .expect("the top component");
    let geo_types::Geometry::Point(p) = at.geometry else {
        panic!("a point")
    };
    let report = format!(
        r#"{{"id": "K-NEW-1", "time": "2026-11-20 10:00", "category": "facilities", "lon": {}, "lat": {}, "component": "{top}"}}"#,
        p.x(),
        p.y()
    );
    let (status, body) = http(
        &srv.bind,
        "POST",
        "/api/incidents",
        "application/json",
        report.as_bytes(),
    );
    assert_eq!(status, 201, "{body}");
    // A resend is the same report; the same id naming another component is another report.
    let (status, body) = http(
        &srv.bind,
        "POST",
        "/api/incidents",
        "application/json",
        report.as_bytes(),
    );
    assert!(status == 200 || status == 201, "{status} {body}");
    let other = report.replace(
        &format!(r#""component": "{top}""#),
        &format!(r#""component": "{top}-other""#),
    );
    assert_ne!(other, report);
    let (status, body) = http(
        &srv.bind,
        "POST",
        "/api/incidents",
        "application/json",
        other.as_bytes(),
    );
    assert_eq!(status, 409, "{body}");
    assert!(body.contains("component"), "{body}");
    let (total, items) = history(&srv);
    assert_eq!(total, n + 1);
    assert!(items.iter().any(|i| i["id"] == "K-NEW-1"));
    let (_, body) = http(&srv.bind, "GET", "/api/components/faults?min=2", "", b"");
    assert!(
        body.contains(&format!(r#""key":"{top}""#))
            && body.contains(&format!(r#""incidents":{}"#, n + 1)),
        "{body}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn component_counts_are_aggregates_and_faults_stay_in_the_street_offices_street() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    let ws = crate::util::demo_workspace(d, 5);
    for be in each_backend(d, &ws, "component_access") {
        component_access_on(d, &be).await;
    }
}

async fn component_access_on(d: &std::path::Path, be: &Backend) {
    let communities = crate::util::off_runtime(|| be.store().communities().expect("communities"));
    let streets: std::collections::BTreeSet<String> = communities
        .iter()
        .filter_map(|c| c.street.clone())
        .collect();
    let street = streets.iter().next().expect("a street").clone();
    let mine: std::collections::HashSet<String> = communities
        .into_iter()
        .filter(|c| c.street.as_deref() == Some(street.as_str()))
        .map(|c| c.key)
        .collect();
    let leader = crate::util::token_on(d, be.arg(), "leader");
    let office = crate::util::scoped_token_on(d, be.arg(), "street_office", &street, "街道");
    let st = be.state();
    let get = |t: Option<&str>, uri: &str| {
        let st = st.clone();
        let (t, uri) = (t.map(str::to_string), uri.to_string());
        async move {
            crate::util::call_as(&st, t.as_deref(), "GET", &uri, serde_json::Value::Null).await
        }
    };
    assert_eq!(get(Some(&leader), "/api/components?by=street").await.0, 200);
    assert_eq!(get(None, "/api/components").await.0, 401);
    assert_eq!(get(Some(&leader), "/api/components/faults").await.0, 403);
    let (status, body) = get(Some(&office), "/api/components/faults?min=2").await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let v: serde_json::Value = serde_json::from_slice(&body).expect("json");
    let rows = v["components"].as_array().expect("components");
    assert!(
        rows.iter()
            .all(|r| r["community"].as_str().is_some_and(|c| mine.contains(c))),
        "{v}"
    );
    let (status, body) = get(Some(&office), "/api/components/faults?min=1").await;
    assert_eq!(status, 400);
    let p: serde_json::Value = serde_json::from_slice(&body).expect("problem details");
    assert!(
        p["detail"].as_str().is_some_and(|d| d.contains("min=1")),
        "{p}"
    );
}

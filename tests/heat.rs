//! Heat tiles: seam-free (every pixel equals the density over all incidents, so neighbours
//! meet), filters, suppression of sparse pixels, and the PNG route.

use crate::util::{Backend, call, demo_workspace, each_backend, off_runtime, wangge};
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use tower::ServiceExt;
use wangge_core::NoProgress;
use wangge_tiles::mvt::{TileCoord, world};
use wangge_tiles::{HeatFilter, HeatIndex, HeatStyle};

fn city() -> wangge_core::Dataset {
    wangge_synth::generate(&wangge_synth::CityParams::new(20_000, 1), &NoProgress)
}

/// Peak-normalised density at a pixel centre from every incident (no index), for comparison.
fn brute(
    data: &wangge_core::Dataset,
    t: TileCoord,
    s: &HeatStyle,
    f: &HeatFilter,
    i: usize,
    j: usize,
) -> f64 {
    let size = 256.0 * f64::from(s.scale);
    let n = f64::from(1u32 << t.z());
    let h = s.radius_px * f64::from(s.scale);
    data.incidents
        .iter()
        .filter(|inc| f.categories.is_empty() || f.categories.contains(&inc.category))
        .map(|inc| {
            let w = world(inc.location.x(), inc.location.y());
            let px = (w[0] * n - f64::from(t.x())) * size;
            let py = (w[1] * n - f64::from(t.y())) * size;
            let (dx, dy) = (i as f64 + 0.5 - px, j as f64 + 0.5 - py);
            let q = 1.0 - (dx * dx + dy * dy) / (h * h);
            if q > 0.0 { q * q } else { 0.0 }
        })
        .sum()
}

/// The largest difference between a tile's values and the brute-force density, as a share of
/// the tile's peak.
fn worst(
    data: &wangge_core::Dataset,
    t: TileCoord,
    s: &HeatStyle,
    f: &HeatFilter,
    v: &[f64],
) -> (f64, f64) {
    let mut peak: f64 = 0.0;
    let mut err: f64 = 0.0;
    for k in (0..256 * 256).step_by(37) {
        let b = brute(data, t, s, f, k % 256, k / 256);
        peak = peak.max(b);
        err = err.max((v[k] - b).abs());
    }
    (err / peak.max(1e-12), peak)
}

#[test]
fn heat_tiles_meet_without_seams_and_filter() {
    let data = city();
    assert!(data.incidents.len() > 1000);
    let heat = HeatIndex::new(&data);
    assert_eq!(heat.len(), data.incidents.len());
    let s = HeatStyle::default();
    let all = HeatFilter::default();
    // The busiest z15 tile and its right-hand neighbour.
    let mut best = (0, TileCoord::new(0, 0, 0).expect("tile"));
    for inc in data.incidents.iter().step_by(7) {
        let w = world(inc.location.x(), inc.location.y());
        let t = TileCoord::new(15, (w[0] * 32768.0) as u64, (w[1] * 32768.0) as u64).expect("tile");
        let (v, _) = heat.values(t, &all, &s);
        let mass: usize = v.iter().filter(|x| **x > 0.0).count();
        if mass > best.0 {
            best = (mass, t);
        }
        if best.0 > 20_000 {
            break;
        }
    }
    let left = best.1;
    let right = TileCoord::new(15, u64::from(left.x()) + 1, u64::from(left.y())).expect("tile");
    let (lv, _) = heat.values(left, &all, &s);
    let (rv, _) = heat.values(right, &all, &s);
    // Binned (4 px bins for a 20 px radius) against the exact density over every incident.
    for (t, v) in [(left, &lv), (right, &rv)] {
        let (err, peak) = worst(&data, t, &s, &all, v);
        eprintln!("tile {t:?}: worst error {:.3} of the peak {peak:.2}", err);
        assert!(err < 0.08, "binned density is off by {err:.3} of the peak");
    }
    // No seam: across the shared edge the values step no more than between neighbouring
    // pixels inside either tile.
    let mut nonzero = 0;
    for j in 0..256 {
        let (a, b) = (lv[j * 256 + 255], rv[j * 256]);
        let inside = (lv[j * 256 + 255] - lv[j * 256 + 254])
            .abs()
            .max((rv[j * 256 + 1] - rv[j * 256]).abs());
        assert!(
            (a - b).abs() <= 1.5 * inside + 1e-9,
            "row {j}: {a} | {b} (inside {inside})"
        );
        nonzero += usize::from(a > 0.0);
    }
    assert!(nonzero > 0, "the edge crosses some heat");
    // A category filter keeps only its incidents; a window with none leaves nothing.
    let cat = data.incidents[0].category.clone();
    let only = HeatFilter {
        categories: vec![cat],
        ..Default::default()
    };
    let (cv, _) = heat.values(left, &only, &s);
    assert!(cv.iter().zip(&lv).all(|(c, a)| *c <= a + 1e-9));
    let (err, _) = worst(&data, left, &s, &only, &cv);
    assert!(err < 0.1, "{err}");
    let none = HeatFilter {
        to_unix: Some(0),
        ..Default::default()
    };
    assert!(heat.values(left, &none, &s).0.iter().all(|&v| v == 0.0));
    // Source and status filters (records, not pyramids) partition the incidents.
    let mut sum = vec![0.0; lv.len()];
    for src in wangge_core::IncidentSource::ALL {
        let f = HeatFilter {
            sources: vec![*src],
            ..Default::default()
        };
        for (a, b) in sum.iter_mut().zip(heat.values(left, &f, &s).0) {
            *a += b;
        }
    }
    assert!(sum.iter().zip(&lv).all(|(a, b)| (a - b).abs() < 1e-9));
    let open = HeatFilter {
        statuses: vec![wangge_core::IncidentStatus::Reported],
        ..Default::default()
    };
    let (ov, _) = heat.values(left, &open, &s);
    assert!(ov.iter().sum::<f64>() < lv.iter().sum::<f64>());
    // Per 100 households: the incidents' smoothed count over the households' (same kernel),
    // not shown where fewer than 20 households are in reach.
    let rate = HeatStyle {
        per_100_households: true,
        ..s
    };
    let (rv, _) = heat.values(left, &all, &rate);
    let homes = |i: usize, j: usize| -> f64 {
        let size = 256.0;
        let n = f64::from(1u32 << left.z());
        let h = s.radius_px;
        data.address_points
            .iter()
            .map(|a| {
                let w = world(a.location.x(), a.location.y());
                let px = (w[0] * n - f64::from(left.x())) * size;
                let py = (w[1] * n - f64::from(left.y())) * size;
                let (dx, dy) = (i as f64 + 0.5 - px, j as f64 + 0.5 - py);
                let q = 1.0 - (dx * dx + dy * dy) / (h * h);
                if q > 0.0 {
                    f64::from(a.households) * q * q
                } else {
                    0.0
                }
            })
            .sum()
    };
    // Rates divide two binned densities, so they scatter more than counts where few
    // households are in reach; on the whole they agree.
    let mut shown = 0;
    let mut close = 0;
    let mut sums = (0.0, 0.0);
    for k in (0..256 * 256).step_by(211) {
        let (i, j) = (k % 256, k / 256);
        let hh = homes(i, j);
        if hh < 2.0 * wangge_tiles::MIN_HOUSEHOLDS {
            continue; // near the cut-off, binning may fall on either side
        }
        let expect = 100.0 * brute(&data, left, &s, &all, i, j) / hh;
        shown += 1;
        close += usize::from((rv[k] - expect).abs() <= 0.25 * expect.max(1.0));
        sums.0 += rv[k];
        sums.1 += expect;
    }
    assert!(shown > 20, "{shown}");
    assert!(
        close * 10 >= shown * 8,
        "{close} of {shown} rates within 25%"
    );
    assert!(
        (sums.0 / sums.1 - 1.0).abs() < 0.05,
        "mean rate {} vs {}",
        sums.0,
        sums.1
    );
    // Suppression: with a minimum count above the number of incidents, nothing shows.
    let (_, counts) = heat.values(left, &all, &s);
    let most = counts.iter().max().copied().unwrap_or(0);
    assert!(most >= 3, "{most}");
    let png_all = heat.png(left, &all, &s).expect("png");
    let png_none = heat
        .png(
            left,
            &all,
            &HeatStyle {
                min_count: most + 1,
                ..s
            },
        )
        .expect("png");
    assert!(
        png_none.len() < png_all.len(),
        "a suppressed tile is (nearly) empty"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_heat_route_serves_palette_pngs() {
    let dir = tempfile::tempdir().expect("tmp");
    let (ok, out) = wangge(
        &[
            "generate",
            "--households",
            "20000",
            "--seed",
            "1",
            "--workspace",
            "w.gpkg",
        ],
        dir.path(),
    );
    assert!(ok, "{out}");
    for b in each_backend(dir.path(), &dir.path().join("w.gpkg"), "heat_png") {
        heat_pngs(&b).await;
    }
}

// Long: one request after another on the heat route, each answer checked.
async fn heat_pngs(b: &Backend) {
    let state = b.state();
    let data = off_runtime(|| b.store().load().expect("load"));
    let w = world(
        data.incidents[0].location.x(),
        data.incidents[0].location.y(),
    );
    let (x, y) = ((w[0] * 8192.0) as u64, (w[1] * 8192.0) as u64);
    let get = |uri: String| {
        let st = state.clone();
        async move {
            let r = wangge_server::router(st)
                .oneshot(
                    Request::builder()
                        .uri(uri)
                        .body(Body::empty())
                        .expect("request"),
                )
                .await
                .expect("response");
            let status = r.status();
            let ct = r
                .headers()
                .get(header::CONTENT_TYPE)
                .map(|v| v.to_str().unwrap_or("").to_string());
            (
                status,
                ct,
                r.into_body()
                    .collect()
                    .await
                    .expect("body")
                    .to_bytes()
                    .to_vec(),
            )
        }
    };
    let (s, ct, png) = get(format!("/heat/13/{x}/{y}.png?days=365&to=2026-10-31")).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(ct.as_deref(), Some("image/png"));
    assert_eq!(&png[1..4], b"PNG");
    assert!(png.len() < 40 * 1024, "{} bytes", png.len());
    let (s, _, png2) = get(format!("/heat/13/{x}/{y}@2x.png")).await;
    assert_eq!(s, StatusCode::OK);
    // The 512-pixel tile's width is in the header (bytes 16..20).
    assert_eq!(
        u32::from_be_bytes(png2[16..20].try_into().expect("4 bytes")),
        512
    );
    let (s, _, m) = get(format!("/heat/13/{x}/{y}.png?radius=0")).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(String::from_utf8_lossy(&m).contains("radius"));
    // A radius on the ground: 300 m at z13 is about 8 px here, so the tile differs from 20 px.
    let (s, _, metres) = get(format!("/heat/13/{x}/{y}.png?radius_m=300&min=1")).await;
    assert_eq!(s, StatusCode::OK);
    let (_, _, px) = get(format!("/heat/13/{x}/{y}.png?min=1")).await;
    assert_ne!(metres, px);
    let (s, _, _) = get(format!("/heat/13/{x}/{y}.png?radius_m=-5")).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _, rate) = get(format!("/heat/13/{x}/{y}.png?norm=households")).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(&rate[1..4], b"PNG");
    let (s, _, _) = get(format!("/heat/13/{x}/{y}.png?norm=people")).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _, _) = get(format!("/heat/13/{x}/{y}.png?from=yesterday")).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _, m) = get(format!(
        "/heat/13/{x}/{y}.png?from=2026-03-10&to=2026-03-01"
    ))
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(String::from_utf8_lossy(&m).contains("from is after to"));
    let (s, _, l) = get("/heat/legend.json".to_string()).await;
    assert_eq!(s, StatusCode::OK);
    let l: serde_json::Value = serde_json::from_slice(&l).expect("json");
    assert!(l["stops"].as_array().is_some_and(|a| a.len() >= 3));
}

/// Decodes a count tile strictly: (feature id or h3, count, households) per feature.
fn count_features(raw: &[u8], layer: &str) -> Vec<(String, Option<f64>, f64)> {
    use wangge_tiles::mvt::{Rules, Value, validate};
    let text = |v: Value| match v {
        Value::String(s) => s,
        _ => String::new(),
    };
    let num = |v: Value| match v {
        Value::Double(d) => Some(d),
        Value::Int(i) => Some(i as f64),
        Value::UInt(u) => Some(u as f64),
        _ => None,
    };
    if raw.is_empty() {
        return Vec::new();
    }
    let t = validate(raw, &Rules::default()).expect("a valid tile");
    let mut out = Vec::new();
    for l in t.layers.iter().filter(|l| l.name == layer) {
        for f in &l.features {
            let get = |k: &str| f.props.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
            let id = get("h3")
                .or_else(|| get("code"))
                .map(text)
                .unwrap_or_default();
            out.push((
                id,
                get("count").and_then(num),
                get("households").and_then(num).unwrap_or(0.0),
            ));
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hex_and_area_tiles_count_every_incident_once() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    let ws = demo_workspace(d, 3);
    let (ok, out) = wangge(&["incidents", "assign", "w.gpkg"], d);
    assert!(ok, "{out}");
    for b in each_backend(d, &ws, "heat_counts") {
        counts_once(&b).await;
    }
}

// Long: every z13 tile of the city read and summed, then filters and suppression.
async fn counts_once(be: &Backend) {
    let data = off_runtime(|| be.store().load().expect("load"));
    let total = data.incidents.len();
    let in_grids = data.incidents.iter().filter(|i| i.grid.is_some()).count();
    assert!(in_grids * 10 > total * 9, "{in_grids} of {total} in a grid");
    // Counts of one and two are shown only when the server is started so (--min-count 1).
    let state = be.state().with_min_count(1);
    let get = |uri: String| {
        let st = state.clone();
        async move { call(&st, "GET", &uri, "", "").await }
    };
    // Every z13 tile over the city, cells and areas counted once each (tiles overlap at
    // their buffers, so ids are deduplicated).
    let b = state.bounds();
    let w0 = world(b[0], b[3]);
    let w1 = world(b[2], b[1]);
    let tiles: Vec<TileCoord> = TileCoord::covering(13, [w0[0], w0[1], w1[0], w1[1]]).collect();
    let mut hexes = std::collections::HashMap::new();
    let mut grids = std::collections::HashMap::new();
    let mut communities = std::collections::HashMap::new();
    for t in &tiles {
        let (s, raw) = get(format!("/tiles/hex/13/{}/{}.mvt?min=1", t.x(), t.y())).await;
        assert!(s == StatusCode::OK || s == StatusCode::NO_CONTENT, "{s}");
        for (id, n, _) in count_features(&raw, wangge_tiles::HEX_LAYER) {
            hexes.insert(id, n.unwrap_or(0.0));
        }
        let (_, raw) = get(format!(
            "/tiles/incident_grids/13/{}/{}.mvt?min=1",
            t.x(),
            t.y()
        ))
        .await;
        for (id, n, hh) in count_features(&raw, "incident_grids") {
            assert!(hh > 0.0);
            grids.insert(id, n.unwrap_or(0.0));
        }
        let (_, raw) = get(format!(
            "/tiles/incident_communities/13/{}/{}.mvt?min=1",
            t.x(),
            t.y()
        ))
        .await;
        for (id, n, _) in count_features(&raw, "incident_communities") {
            communities.insert(id, n.unwrap_or(0.0));
        }
    }
    assert!(
        hexes.keys().all(|h| h.len() == 15),
        "H3 ids: {:?}",
        hexes.keys().next()
    );
    assert_eq!(
        hexes.values().sum::<f64>() as usize,
        total,
        "every incident in one hex"
    );
    assert_eq!(grids.values().sum::<f64>() as usize, in_grids);
    let in_communities = data
        .incidents
        .iter()
        .filter(|i| i.community.is_some())
        .count();
    assert_eq!(communities.values().sum::<f64>() as usize, in_communities);
    // A category and a window; suppression hides small counts.
    let t = tiles[tiles.len() / 2];
    let (_, all) = get(format!("/tiles/hex/13/{}/{}.mvt?min=1", t.x(), t.y())).await;
    let (_, noise) = get(format!(
        "/tiles/hex/13/{}/{}.mvt?min=1&category=noise",
        t.x(),
        t.y()
    ))
    .await;
    let sum = |raw: &[u8]| -> f64 {
        count_features(raw, wangge_tiles::HEX_LAYER)
            .iter()
            .filter_map(|f| f.1)
            .sum()
    };
    assert!(sum(&noise) < sum(&all) && sum(&noise) > 0.0);
    let (_, dflt) = get(format!("/tiles/hex/13/{}/{}.mvt", t.x(), t.y())).await;
    assert!(
        count_features(&dflt, wangge_tiles::HEX_LAYER)
            .iter()
            .all(|f| f.1.unwrap_or(0.0) >= 3.0)
    );
    let (s, m) = get(format!(
        "/tiles/hex/13/{}/{}.mvt?source=hotline",
        t.x(),
        t.y()
    ))
    .await;
    assert_eq!(
        s,
        StatusCode::BAD_REQUEST,
        "{}",
        String::from_utf8_lossy(&m)
    );
    let (s, _) = get(format!(
        "/tiles/hex/13/{}/{}.mvt?from=2026-01-01T10:00",
        t.x(),
        t.y()
    ))
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "counts are per whole day");
    let (s, _) = get("/tiles/hex/5/1/1.mvt".to_string()).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    // A category named twice (code and Chinese name) counts once.
    let (_, twice) = get(format!(
        "/tiles/hex/13/{}/{}.mvt?min=1&category=noise,%E5%99%AA%E5%A3%B0%E6%89%B0%E6%B0%91",
        t.x(),
        t.y()
    ))
    .await;
    assert_eq!(sum(&twice), sum(&noise));
    // The default server never shows fewer than 3, whatever the query asks.
    let strict = be.state();
    let (_, raw) = call(
        &strict,
        "GET",
        &format!("/tiles/hex/13/{}/{}.mvt?min=1", t.x(), t.y()),
        "",
        "",
    )
    .await;
    assert!(
        count_features(&raw, wangge_tiles::HEX_LAYER)
            .iter()
            .all(|f| f.1.unwrap_or(0.0) >= 3.0)
    );
}

//! Walking coverage end to end: `wangge coverage` on the real Nanjing and Monaco extracts,
//! its distances cross-checked against scipy's Dijkstra and pgRouting's pgr_drivingDistance on
//! the exported network, the report
//! and charts written, the store updated, and bad catalogues refused with the reason.

use crate::util::{project, shared, wangge};
use std::path::Path;
use wangge_io::gpkg::testing as sql;

/// Imports the hand-made district without pharmacies (data/fixtures) into `d/w.gpkg`.
fn import_no_pharmacy(d: &Path) {
    let src = project("data/fixtures/no_pharmacy.osm");
    let (ok, out) = wangge(
        &[
            "import",
            src.to_str().expect("utf-8"),
            "--workspace",
            "w.gpkg",
        ],
        d,
    );
    assert!(ok, "{out}");
}

/// Imports a shared OSM extract into `d/w.gpkg`.
fn import_osm(d: &Path, rel: &str) {
    let src = shared(rel);
    let (ok, out) = wangge(
        &[
            "import",
            src.to_str().expect("utf-8"),
            "--workspace",
            "w.gpkg",
        ],
        d,
    );
    assert!(ok, "{out}");
}

/// Imports an OSM extract, runs coverage with a network dump and cross-checks it with scipy
/// and pgRouting.
fn crosscheck(osm: &str, min_compared: u64) -> String {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    import_osm(d, osm);
    let (ok, out) = wangge(
        &[
            "coverage",
            "w.gpkg",
            "--report",
            "cov.csv",
            "--dump-network",
            "net.json",
        ],
        d,
    );
    assert!(ok, "{out}");
    assert!(out.contains("15-minute circle complete"), "{out}");
    // The same distances from scipy's Dijkstra and from pgRouting's pgr_drivingDistance.
    for script in ["walk_crosscheck_scipy.py", "walk_crosscheck_pgrouting.py"] {
        let check = std::process::Command::new("python3")
            .arg(project(&format!("tests/scripts/{script}")))
            .arg(d.join("net.json"))
            .output()
            .expect("python3 runs (scripts/test.sh installs scipy, PostgreSQL and pgRouting)");
        let text = String::from_utf8_lossy(&check.stdout).to_string();
        assert!(
            check.status.success(),
            "{script}: {text}{}",
            String::from_utf8_lossy(&check.stderr)
        );
        let v: serde_json::Value = serde_json::from_str(text.trim()).expect("one JSON line");
        let compared = v["compared"].as_u64().expect("compared");
        let diff = v["max_diff_m"].as_f64().expect("max_diff_m");
        assert!(compared >= min_compared, "{script}: {v}");
        assert!(
            diff <= 0.1,
            "{script}: walking distances differ by {diff} m: {v}"
        );
        assert_eq!(v["reach_mismatch"].as_u64(), Some(0), "{script}: {v}");
    }
    report_checks(d);
    out
}

fn report_checks(d: &Path) {
    let csv = std::fs::read(d.join("cov.csv")).expect("report");
    assert!(csv.starts_with(b"\xEF\xBB\xBF"), "Excel BOM");
    let text = String::from_utf8_lossy(&csv[3..]).to_string();
    let head = text.lines().next().expect("header");
    assert!(head.starts_with("level,area,households,"), "{head}");
    assert!(head.contains("kindergarten_5min") && head.contains("complete_15min"));
    assert!(text.lines().any(|l| l.starts_with("total,all,")));
    assert!(text.lines().any(|l| l.starts_with("community,")));
    let charts: Vec<_> = std::fs::read_dir(d.join("cov.charts"))
        .expect("charts")
        .flatten()
        .collect();
    assert!(!charts.is_empty());
    for c in charts {
        let img = image_size(&c.path());
        assert!(img.0 == 900 && img.1 > 200, "{:?} {img:?}", c.path());
    }
    // The run, per-point distances and summaries are in the store.
    let store = wangge_io::GeoPackage::open(d.join("w.gpkg")).expect("open");
    let one = |q: &str| sql::row(&store, q, &[])[0].int();
    assert_eq!(one("SELECT count(*) FROM coverage_runs"), 1);
    let reached = one("SELECT count(*) FROM coverage_points WHERE kindergarten_m IS NOT NULL");
    assert!(reached > 0);
    let bad = one(
        "SELECT count(*) FROM coverage_summary WHERE covered > households OR share < 0 OR share > 1",
    );
    assert_eq!(bad, 0);
    // GDAL (and so QGIS) reads the new tables without complaint.
    let gdal = std::process::Command::new("ogrinfo")
        .args(["-ro", "-so"])
        .arg(d.join("w.gpkg"))
        .arg("coverage_summary")
        .output()
        .expect("ogrinfo (scripts/install-deps.sh installs gdal-bin)");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&gdal.stdout),
        String::from_utf8_lossy(&gdal.stderr)
    );
    assert!(
        gdal.status.success() && text.contains("Feature Count"),
        "{text}"
    );
    assert!(
        !text.contains("Warning") && !text.contains("ERROR"),
        "{text}"
    );
}

/// PNG width and height from the IHDR chunk.
fn image_size(p: &Path) -> (u32, u32) {
    let b = std::fs::read(p).expect("png");
    assert_eq!(&b[1..4], b"PNG");
    let be = |i: usize| u32::from_be_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
    (be(16), be(20))
}

#[test]
fn nanjing_walking_distances_equal_scipy() {
    let out = crosscheck("osm/nanjing-xuanwu.osm", 1000);
    // The real extract has non-walkable ways and small disconnected pieces; both reported.
    assert!(
        out.contains("not walkable") && out.contains("islands left out"),
        "{out}"
    );
}

/// Service areas on the real Nanjing streets: reached address points inside, unreached ones
/// outside (at least 99.5 % each, for every category and threshold), valid closed rings, and
/// 5 ⊂ 10 ⊂ 15 by area.
#[test]
fn nanjing_service_areas_hold_what_they_reach() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    import_osm(d, "osm/nanjing-xuanwu.osm");
    let mut lines = Vec::new();
    for b in crate::util::each_backend(d, &d.join("w.gpkg"), "areas") {
        lines.push(areas_on(d, b.arg()));
    }
    lines.dedup();
    assert_eq!(lines.len(), 1, "each backend reaches the same: {lines:?}");
}

// Long: service areas of every category and threshold read back and checked.
fn areas_on(d: &Path, ws: &str) -> String {
    let (ok, out) = wangge(
        &[
            "coverage",
            ws,
            "--areas",
            "areas.geojson",
            "--report",
            "c.csv",
        ],
        d,
    );
    assert!(ok, "{out}");
    let line = out
        .lines()
        .find(|l| l.contains("service areas"))
        .expect("areas line");
    let shares: Vec<f64> = line
        .split('%')
        .filter_map(|part| part.split_whitespace().last()?.parse().ok())
        .collect();
    assert_eq!(shares.len(), 2, "{line}");
    assert!(shares.iter().all(|&s| s >= 99.5), "{line}");
    let doc: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.join("areas.geojson")).expect("areas"))
            .expect("json");
    let mut by_cat: std::collections::BTreeMap<String, Vec<(u64, f64)>> = Default::default();
    for f in doc["features"].as_array().expect("features") {
        for poly in f["geometry"]["coordinates"].as_array().expect("polygons") {
            for ring in poly.as_array().expect("rings") {
                let r = ring.as_array().expect("ring");
                assert!(r.len() >= 4 && r[0] == r[r.len() - 1]);
            }
        }
        let p = &f["properties"];
        by_cat
            .entry(p["category"].as_str().expect("category").to_string())
            .or_default()
            .push((
                p["minutes"].as_u64().expect("min"),
                p["area_m2"].as_f64().expect("area"),
            ));
    }
    assert!(by_cat.len() >= 5);
    for (cat, mut v) in by_cat {
        v.sort_by_key(|x| x.0);
        assert!(v.windows(2).all(|w| w[0].1 <= w[1].1), "{cat}: {v:?}");
    }
    line.to_string()
}

#[test]
fn monaco_walking_distances_equal_scipy() {
    crosscheck("osm/monaco.osm.pbf", 100);
}

#[test]
fn bad_catalogue_is_refused_with_the_file_and_reason() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    let (ok, out) = wangge(
        &["generate", "--households", "2000", "--workspace", "w.gpkg"],
        d,
    );
    assert!(ok, "{out}");
    std::fs::write(
        d.join("cat.toml"),
        "[speed]\ndefault_kmh = 4.0\nelderly_kmh = 3.3\n[[circle]]\nminutes = 5\nname = \"x\"\ndistance_m = 300\ncategories = []\n",
    )
    .expect("write");
    let (ok, out) = wangge(&["coverage", "w.gpkg", "--catalogue", "cat.toml"], d);
    assert!(
        !ok && out.contains("cat.toml") && out.contains("no categories"),
        "{out}"
    );
    // Standard distances exist only for the catalogue's circles.
    let (ok, out) = wangge(
        &[
            "coverage",
            "w.gpkg",
            "--standard-distances",
            "--minutes",
            "7",
        ],
        d,
    );
    assert!(!ok && out.contains("7-minute"), "{out}");
    // The synthetic city's network is connected: every address point snaps and is reached.
    let (ok, out) = wangge(&["coverage", "w.gpkg", "--elderly"], d);
    assert!(ok, "{out}");
    assert!(
        out.contains("walking 3.3 km/h") && out.contains("0 islands left out"),
        "{out}"
    );
}

/// The first proposed site's gain is what adding a facility there changes; removing an
/// existing facility loses households; a bad candidates file is refused row by row.
#[test]
fn siting_and_what_if_agree() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    import_osm(d, "osm/nanjing-xuanwu.osm");
    let mut firsts = Vec::new();
    for b in crate::util::each_backend(d, &d.join("w.gpkg"), "siting") {
        firsts.push(siting_on(d, b.arg()));
    }
    firsts.dedup();
    assert_eq!(
        firsts.len(),
        1,
        "each backend proposes the same first site: {firsts:?}"
    );
}

// Long: siting, what-if on its first site, and refusals, each checked.
fn siting_on(d: &Path, ws: &str) -> (String, u64) {
    let (ok, out) = wangge(
        &[
            "siting",
            ws,
            "--category",
            "health_station",
            "--minutes",
            "10",
            "-k",
            "3",
            "-o",
            "sites.geojson",
        ],
        d,
    );
    assert!(ok, "{out}");
    let sites: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.join("sites.geojson")).expect("sites"))
            .expect("geojson");
    let first = &sites["features"][0];
    let gain = first["properties"]["gain_households"]
        .as_u64()
        .expect("gain");
    assert!(gain > 0, "{out}");
    let c = &first["geometry"]["coordinates"];
    let at = format!(
        "{},{}",
        c[0].as_f64().expect("lon"),
        c[1].as_f64().expect("lat")
    );
    let what_if = |at: &str| {
        wangge(
            &[
                "what-if",
                ws,
                "--category",
                "health_station",
                "--minutes",
                "10",
                "--add",
                at,
            ],
            d,
        )
    };
    let (ok, out) = what_if(&at);
    assert!(ok, "{out}");
    assert!(
        out.contains(&format!("change +{gain}")),
        "gain {gain}: {out}"
    );
    // Latitude first: refused with the hint, not answered.
    let swapped = format!(
        "{},{}",
        c[1].as_f64().expect("lat"),
        c[0].as_f64().expect("lon")
    );
    let (ok, out) = what_if(&swapped);
    assert!(!ok && out.contains("look swapped"), "{out}");
    // Sites are ranked so that gains never grow down the list.
    let gains: Vec<u64> = sites["features"]
        .as_array()
        .expect("features")
        .iter()
        .map(|f| f["properties"]["gain_households"].as_u64().expect("gain"))
        .collect();
    assert!(
        gains.windows(2).all(|w| w[0] >= w[1]) || gains.len() < 2,
        "{gains:?}"
    );
    std::fs::write(d.join("cand.csv"), "lon,lat\n118.78,32.04\nabc,32.0\n0,0\n").expect("write");
    let (ok, out) = wangge(
        &[
            "siting",
            ws,
            "--category",
            "health_station",
            "--candidates",
            "cand.csv",
        ],
        d,
    );
    assert!(
        !ok && out.contains("cand.csv") && out.contains("row 3") && out.contains("row 4"),
        "{out}"
    );
    let (ok, out) = wangge(&["siting", ws, "--category", "casino"], d);
    assert!(
        !ok && out.contains("casino") && out.contains("kindergarten"),
        "{out}"
    );
    (at, gain)
}

/// Gap areas: their households add up to the households not reaching the category, and a
/// whole-circle gap list covers at least the households any one category misses.
#[test]
fn gaps_count_the_uncovered_households() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    let (ok, out) = wangge(
        &["generate", "--households", "20000", "--workspace", "w.gpkg"],
        d,
    );
    assert!(ok, "{out}");
    let mut found = Vec::new();
    for b in crate::util::each_backend(d, &d.join("w.gpkg"), "gaps") {
        found.push(gaps_on(d, b.arg()));
    }
    found.dedup();
    assert_eq!(
        found.len(),
        1,
        "each backend finds the same gaps: {found:?}"
    );
}

// Long: coverage, gaps of one category and of the whole circle, each checked.
fn gaps_on(d: &Path, ws: &str) -> (u64, u64) {
    let (ok, out) = wangge(
        &["coverage", ws, "--minutes", "10", "--report", "cov.csv"],
        d,
    );
    assert!(ok, "{out}");
    let out_cov = out.clone();
    // The coverage line for kindergartens at 10 minutes: "kindergarten  62.9%".
    let line = out
        .lines()
        .find(|l| l.trim_start().starts_with("kindergarten"))
        .expect("kindergarten row");
    let share: f64 = line
        .split_whitespace()
        .nth(1)
        .and_then(|v| v.trim_end_matches('%').parse().ok())
        .expect("share");
    let (ok, out) = wangge(
        &[
            "gaps",
            ws,
            "--category",
            "kindergarten",
            "--minutes",
            "10",
            "-o",
            "gaps.geojson",
        ],
        d,
    );
    assert!(ok, "{out}");
    let doc: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.join("gaps.geojson")).expect("gaps"))
            .expect("json");
    let gaps = doc["features"].as_array().expect("features");
    assert!(!gaps.is_empty());
    let missing: u64 = gaps
        .iter()
        .map(|f| f["properties"]["households"].as_u64().expect("households"))
        .sum();
    // "households covered (share of 20634):"
    let total: f64 = out_cov
        .split("share of ")
        .nth(1)
        .and_then(|r| r.split(')').next())
        .and_then(|v| v.parse().ok())
        .expect("total households");
    let expected = total * (1.0 - share / 100.0);
    assert!(
        (missing as f64 - expected).abs() <= total * 0.0006,
        "{missing} vs {expected}: {out}"
    );
    // Ranked by households, polygons closed.
    let hh: Vec<u64> = gaps
        .iter()
        .map(|f| f["properties"]["households"].as_u64().expect("hh"))
        .collect();
    assert!(hh.windows(2).all(|w| w[0] >= w[1]));
    for f in gaps {
        let ring = &f["geometry"]["coordinates"][0][0];
        assert_eq!(ring[0], ring[ring.as_array().expect("ring").len() - 1]);
    }
    let (ok, out) = wangge(&["gaps", ws, "--circle", "10", "-o", "c.csv"], d);
    assert!(ok, "{out}");
    let csv = std::fs::read_to_string(d.join("c.csv")).expect("csv");
    let circle_missing: u64 = csv
        .lines()
        .skip(1)
        .map(|l| {
            l.split(',')
                .nth(2)
                .and_then(|v| v.parse::<u64>().ok())
                .expect("households")
        })
        .sum();
    assert!(circle_missing > 0);
    let (ok, out) = wangge(&["gaps", ws, "--circle", "7"], d);
    assert!(!ok && out.contains("7-minute"), "{out}");
    (missing, circle_missing)
}

/// Taipei's open data has facilities and population but no street network: coverage runs as a
/// labelled straight-line estimate, per village.
#[test]
fn taipei_facilities_crow_fly() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    let t = |f: &str| {
        shared(&format!("taipei/{f}"))
            .to_str()
            .expect("utf-8")
            .to_string()
    };
    for args in [
        vec![
            "import",
            &t("villages.geojson"),
            "--as",
            "communities",
            "--id-field",
            "CPTVID",
            "--repair",
        ],
        vec![
            "import",
            &t("population-grid.geojson"),
            "--as",
            "addresses",
            "--persons-field",
            "pop_live",
        ],
        vec![
            "import",
            &t("medical-institutions.geojson"),
            "--as",
            "facilities",
            "--category-field",
            "type",
            "--category-map",
            "診所=health_station,醫院=hospital",
        ],
        vec![
            "import",
            &t("welfare-organizations.geojson"),
            "--as",
            "facilities",
            "--category-field",
            "main_type",
            "--category-map",
            "銀髮族服務=elderly_care,*=social_facility",
        ],
    ] {
        let mut a: Vec<&str> = args.iter().map(|s| s.as_ref()).collect();
        a.extend(["--workspace", "w.gpkg"]);
        let (ok, out) = wangge(&a, d);
        assert!(ok, "{out}");
    }
    let mut reports = Vec::new();
    for be in crate::util::each_backend(d, &d.join("w.gpkg"), "cov_taipei") {
        reports.push(taipei_crow_fly_on(d, be.arg()));
    }
    if let [gpkg, pg] = &reports[..] {
        assert!(
            gpkg == pg,
            "the crow-fly report differs between the backends"
        );
    }
}

/// The crow-fly coverage of the Taipei workspace `ws` (imported into `d`): its summary's
/// figures checked, its report returned.
fn taipei_crow_fly_on(d: &Path, ws: &str) -> String {
    let (ok, out) = wangge(&["coverage", ws, "--report", "c.csv"], d);
    assert!(!ok && out.contains("no streets"), "{ws}: {out}");
    let (ok, out) = wangge(&["coverage", ws, "--crow-fly", "--report", "c.csv"], d);
    assert!(ok, "{ws}: {out}");
    assert!(
        out.contains("straight lines × 1.4") && out.contains("an estimate"),
        "{out}"
    );
    let share = |cat: &str, col: usize| -> f64 {
        let line = out
            .lines()
            .find(|l| l.trim_start().starts_with(cat))
            .expect("category row");
        line.split_whitespace()
            .nth(col)
            .and_then(|v| v.trim_end_matches('%').parse().ok())
            .expect("share")
    };
    // 3,621 clinics: nearly everyone within 15 minutes; elderly care (174 places) fewer.
    assert!(share("health_station", 3) > 90.0, "{ws}: {out}");
    let elderly = share("elderly_care", 3);
    assert!(
        elderly > 40.0 && elderly < share("health_station", 3),
        "{ws}: {out}"
    );
    assert!(share("elderly_care", 1) <= share("elderly_care", 2));
    let csv = std::fs::read_to_string(d.join("c.csv")).expect("report");
    assert!(csv.lines().filter(|l| l.starts_with("community,")).count() >= 440);
    let (ok, out) = wangge(&["coverage", ws, "--crow-fly", "--areas", "a.geojson"], d);
    assert!(!ok && out.contains("street network"), "{ws}: {out}");
    csv
}

/// A district whose extract has no pharmacy (data/fixtures/no_pharmacy.osm): coverage warns
/// before computing, shows "no data" (not 0%) in the summary, the report and the store,
/// judges the 10-minute circle without it and says so; `--strict` refuses on `coverage`,
/// `gaps` and `siting`; the per-point layer opens in GDAL with one column per category.
#[test]
fn a_district_without_pharmacies_says_no_data() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    import_no_pharmacy(d);
    for be in crate::util::each_backend(d, &d.join("w.gpkg"), "cov_no_pharmacy") {
        no_pharmacy_on(d, &be);
    }
}

/// [`a_district_without_pharmacies_says_no_data`] on one backend.
fn no_pharmacy_on(d: &Path, be: &crate::util::Backend) {
    let ws = be.arg();
    let (ok, out) = wangge(&["coverage", ws, "--report", "cov.csv"], d);
    assert!(ok, "{out}");
    assert!(
        out.contains("warning: pharmacy: no facility of this category in the workspace"),
        "{out}"
    );
    let row = out
        .lines()
        .find(|l| l.trim_start().starts_with("pharmacy "))
        .expect("a pharmacy row");
    assert_eq!(row.matches("no data").count(), 3, "{row}");
    assert!(!row.contains('%'), "{row}");
    assert!(
        out.contains("10-minute circle complete (every required category with data; not judged, no data: pharmacy"),
        "{out}"
    );
    // Every other category has its facility: the 15-minute circle is judged whole.
    assert!(
        out.contains("15-minute circle complete (every required category, within"),
        "{out}"
    );
    let csv = std::fs::read_to_string(d.join("cov.csv")).expect("report");
    let mut lines = csv.trim_start_matches('\u{feff}').lines();
    let head: Vec<&str> = lines.next().expect("head").split(',').collect();
    let total: Vec<&str> = lines.next().expect("total").split(',').collect();
    let col = |name: &str| head.iter().position(|h| *h == name).expect(name);
    assert_eq!(total[col("pharmacy_10min")], "no data");
    assert_eq!(total[col("complete_10min_not_judged")], "pharmacy");
    assert_eq!(total[col("complete_15min_not_judged")], "");
    assert!(total[col("kindergarten_10min")].parse::<f64>().is_ok());

    let latest = "run_id = (SELECT max(id) FROM {s}.coverage_runs)";
    let r = be.rows(
        "SELECT judged, share FROM coverage_summary WHERE category = 'pharmacy' AND level = 'total' AND minutes = 10",
        &format!("SELECT CASE WHEN judged THEN 1 ELSE 0 END, share FROM {{s}}.coverage_summary WHERE category = 'pharmacy' AND level = 'total' AND minutes = 10 AND {latest}"),
    );
    assert_eq!(r, vec![vec![Some("0".to_string()), None]], "{ws}");
    let r = be.rows(
        "SELECT warnings FROM coverage_runs",
        "SELECT warnings FROM {s}.coverage_runs ORDER BY id DESC LIMIT 1",
    );
    let warnings = r[0][0].clone().expect("warnings");
    assert!(
        warnings.starts_with("pharmacy: no facility"),
        "{ws}: {warnings}"
    );
    // One row per address point, one column per category (one row per point and category on
    // PostgreSQL); NULL where nothing is reached.
    let r = be.rows(
        "SELECT count(*), count(pharmacy_m), count(kindergarten_m) FROM coverage_points",
        &format!("SELECT count(DISTINCT address_key), count(walk_m) FILTER (WHERE category = 'pharmacy'), count(walk_m) FILTER (WHERE category = 'kindergarten') FROM {{s}}.coverage_points WHERE {latest}"),
    );
    let n = |i: usize| -> i64 {
        r[0][i]
            .as_deref()
            .and_then(|v| v.parse().ok())
            .expect("count")
    };
    assert_eq!((n(0), n(1)), (72, 0), "{ws}");
    assert!(n(2) > 0, "{ws}");
    if !be.is_postgres() {
        // GDAL reads the GeoPackage's per-point layer (PostgreSQL keeps it private, long form).
        let gdal = std::process::Command::new("ogrinfo")
            .args(["-ro", "-so"])
            .arg(d.join("w.gpkg"))
            .arg("coverage_points_map")
            .output()
            .expect("ogrinfo");
        let text = String::from_utf8_lossy(&gdal.stdout).to_string()
            + &String::from_utf8_lossy(&gdal.stderr);
        assert!(gdal.status.success(), "{text}");
        assert!(text.contains("Feature Count: 72"), "{text}");
        assert!(
            text.contains("Geometry: Point") && text.contains("kindergarten_m: Real"),
            "{text}"
        );
        assert!(
            !text.contains("Warning") && !text.contains("ERROR"),
            "{text}"
        );
    }

    for args in [
        &["coverage", ws, "--strict"][..],
        &["gaps", ws, "--circle", "10", "--strict"],
        &["siting", ws, "--category", "pharmacy", "--strict"],
    ] {
        let (ok, out) = wangge(args, d);
        assert!(!ok, "{args:?}: {out}");
        assert!(
            out.contains("--strict") && out.contains("pharmacy: no facility"),
            "{args:?}: {out}"
        );
    }
    // Without --strict, a circle's gaps leave the category out and say so.
    let (ok, out) = wangge(&["gaps", ws, "--circle", "10"], d);
    assert!(ok, "{out}");
    assert!(out.contains("not judged (no data): pharmacy"), "{out}");
}

/// The 10-minute area lies in the 15-minute area and the 5-minute in the 10-minute, checked by
/// GEOS (shapely `covers`, exact predicates on the written coordinates) on every fixture that
/// has facilities: the hand-made district, the demo city, and the real Monaco and Nanjing
/// extracts. A real district once had 3.8 m² of its 10-minute area outside its 15-minute one.
#[test]
fn service_areas_nest_under_geos_on_every_fixture() {
    for source in [
        "fixture",
        "demo",
        "osm/monaco.osm.pbf",
        "osm/nanjing-xuanwu.osm",
    ] {
        let dir = tempfile::tempdir().expect("tmp");
        let d = dir.path();
        match source {
            "fixture" => import_no_pharmacy(d),
            "demo" => {
                crate::util::demo_workspace(d, 3);
            }
            osm => import_osm(d, osm),
        }
        let name = format!(
            "nest_{}",
            source.replace(|c: char| !c.is_ascii_alphanumeric(), "_")
        );
        let mut written = Vec::new();
        for (i, be) in crate::util::each_backend(d, &d.join("w.gpkg"), &name)
            .iter()
            .enumerate()
        {
            let areas = format!("areas-{i}.geojson");
            let (ok, out) = wangge(
                &["coverage", be.arg(), "--areas", &areas, "--report", "c.csv"],
                d,
            );
            assert!(ok, "{source}: {out}");
            nest_under_geos(source, &d.join(&areas));
            if i > 0 {
                nest_under_postgis(source, be);
            }
            written.push(std::fs::read(d.join(&areas)).expect("areas"));
        }
        assert!(
            written.iter().all(|w| *w == written[0]),
            "{source}: the backends' service areas differ"
        );
    }
}

/// shapely (GEOS) on the service areas written to `areas`: every shorter walk's area within
/// the longer one's, over ten pairs at least.
fn nest_under_geos(source: &str, areas: &Path) {
    let check = std::process::Command::new("python3")
        .arg(project("tests/scripts/check_nesting.py"))
        .arg(areas)
        .output()
        .expect("python3 with shapely (scripts/test.sh installs it)");
    let text = String::from_utf8_lossy(&check.stdout).to_string();
    assert!(
        check.status.success(),
        "{source}: {text}{}",
        String::from_utf8_lossy(&check.stderr)
    );
    let v: serde_json::Value = serde_json::from_str(text.trim()).expect("one JSON line");
    assert!(
        v["pairs"].as_u64().is_some_and(|n| n >= 10),
        "{source}: {v}"
    );
    assert_eq!(v["failures"].as_u64(), Some(0), "{source}: {v}");
}

/// PostGIS on the service areas stored in PostgreSQL by the newest run: no shorter walk's
/// area reaches a square metre beyond the longer one's of the same category.
fn nest_under_postgis(source: &str, be: &crate::util::Backend) {
    let pairs = "FROM {s}.service_areas a JOIN {s}.service_areas b
          ON b.run_id = a.run_id AND b.category = a.category AND a.minutes < b.minutes
        WHERE a.run_id = (SELECT max(run_id) FROM {s}.service_areas)";
    let n = be.int(&format!("SELECT count(*) {pairs}"));
    let outside = be.int(&format!(
        "SELECT count(*) {pairs} AND ST_Area(ST_Difference(a.geom, b.geom)::geography) >= 1"
    ));
    assert!(
        n >= 10 && outside == 0,
        "{source}: {outside} of {n} pairs not nested"
    );
}

//! The real OpenStreetMap extracts and Taipei open data import, with counts asserted, and the
//! resulting GeoPackage is read back by GDAL's ogrinfo.

use crate::util::{TAIPEI_VILLAGES, count, import, shared, workspace};
use std::process::Command;
use wangge_io::store::prelude::*;
use wangge_io::{Fields, ImportOptions, Role};

fn ogrinfo_counts(path: &std::path::Path) -> Vec<(String, u64)> {
    let out = Command::new("ogrinfo")
        .args(["-so", "-al", "-ro"])
        .arg(path)
        .output()
        .expect("ogrinfo (Debian gdal-bin) must be installed: the README's setup installs it");
    assert!(
        out.status.success(),
        "ogrinfo failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("ERROR") && !stderr.contains("Warning"),
        "ogrinfo complained: {stderr}"
    );
    let mut layers = Vec::new();
    let mut name = String::new();
    for line in text.lines() {
        if let Some(n) = line.strip_prefix("Layer name: ") {
            name = n.trim().to_string();
        }
        if let Some(c) = line.strip_prefix("Feature Count: ") {
            layers.push((name.clone(), c.trim().parse().expect("count")));
        }
    }
    layers
}

#[test]
fn nanjing_osm_xml() {
    let (_dir, mut store) = workspace();
    let s = import(
        &mut store,
        &[shared("osm/nanjing-xuanwu.osm")],
        &ImportOptions::default(),
    )
    .expect("import");
    // 1,278 building ways/relations in the extract; one is a multipolygon whose members are
    // not all in the extract.
    assert_eq!(count(&store, "buildings"), 1277);
    assert_eq!(count(&store, "streets"), 384);
    // Basemap areas: water (natural=water), green (parks, grass, woods), other land use.
    let data = store.load().expect("load");
    let class = |c: &str| data.land_cover.iter().filter(|l| l.class == c).count();
    assert_eq!(
        (class("water"), class("green"), class("landuse")),
        (5, 124, 40)
    );
    assert_eq!(count(&store, "communities"), 11);
    let cats = store.facility_categories().expect("categories");
    assert_eq!(cats.get("primary_school"), Some(&4));
    assert_eq!(cats.get("middle_school"), Some(&7)); // 南京外国语学校 by its name (data/school_names.toml)
    assert_eq!(cats.get("hospital"), Some(&5));
    assert_eq!(cats.get("pharmacy"), Some(&3));
    assert_eq!(cats.get("supermarket"), Some(&22));
    assert_eq!(cats.values().sum::<u64>(), 299);
    let (given, estimated) = store.households().expect("households");
    assert_eq!(given, 0);
    assert_eq!(estimated, s.households_estimated);
    assert!((20_000..30_000).contains(&estimated), "{estimated}");
    let gdal = ogrinfo_counts(store.path());
    for (layer, n) in [
        ("buildings", 1277),
        ("streets", 384),
        ("facilities", 299),
        ("communities", 11),
    ] {
        assert!(gdal.contains(&(layer.to_string(), n)), "ogrinfo: {gdal:?}");
    }
}

#[test]
fn monaco_pbf() {
    let (_dir, mut store) = workspace();
    import(
        &mut store,
        &[shared("osm/monaco.osm.pbf")],
        &ImportOptions::default(),
    )
    .expect("import");
    assert_eq!(count(&store, "buildings"), 1206);
    // 2,379 highway ways, less proposed/construction/platform ways.
    assert_eq!(count(&store, "streets"), 2369);
    let cats = store.facility_categories().expect("categories");
    assert_eq!(cats.values().sum::<u64>(), 619);
    assert_eq!(cats.get("pharmacy"), Some(&12));
    assert_eq!(cats.get("park"), Some(&57));
    let (_, estimated) = store.households().expect("households");
    assert!(estimated > 5_000, "{estimated}");
    let data = store.load().expect("load");
    let footways = data
        .streets
        .iter()
        .filter(|s| s.highway == "footway")
        .count();
    assert_eq!(footways, 1028);
    assert!(
        data.streets.iter().any(|s| s.tag("foot").is_some()),
        "foot tags are kept"
    );
    let gdal = ogrinfo_counts(store.path());
    assert!(gdal.contains(&("streets".to_string(), 2369)), "{gdal:?}");
}

fn taipei_opts(role: Role) -> ImportOptions {
    ImportOptions {
        role: Some(role),
        ..ImportOptions::default()
    }
}

#[test]
fn taipei_open_data() {
    let (dir, mut store) = workspace();
    let t = |f: &str| shared(&format!("taipei/{f}"));
    let mut villages = taipei_opts(Role::Communities);
    villages.fields = Fields {
        id: Some("CPTVID".into()),
        name: Some("VNAME".into()),
        street: Some("TNAME".into()),
        ..Fields::default()
    };
    // Two real village polygons self-intersect: refused by default, naming them...
    let err = import(&mut store, &[t("villages.geojson")], &villages)
        .expect_err("invalid polygons")
        .to_string();
    assert!(
        err.contains("villages.geojson")
            && err.contains("feature 101 (id 6301000001)")
            && err.contains("self-intersection"),
        "{err}"
    );
    assert_eq!(count(&store, "communities"), 0);
    // ...and repaired on request.
    villages.repair = true;
    let s = import(&mut store, &[t("villages.geojson")], &villages).expect("import villages");
    assert_eq!(s.files[0].repaired, 2);
    assert_eq!(count(&store, "communities"), 456);

    let mut cases = taipei_opts(Role::Incidents);
    cases.fields = Fields {
        id: Some("案件編號".into()),
        time: Some("成案時間".into()),
        category: Some("案件類型".into()),
        ..Fields::default()
    };
    cases.incident_source = Some(wangge_core::IncidentSource::Hotline);
    import(&mut store, &[t("hotline-cases.geojson")], &cases).expect("hotline");
    assert_eq!(count(&store, "incidents"), 2817);
    // Case types map onto the taxonomy (data/taxonomy.toml, docs/incident-taxonomy.md); the
    // original type is kept, and every case gets the village it lies in.
    let by_code: Vec<(String, i64, i64, i64)> = {
        wangge_io::gpkg::testing::query(
            &store,
            "SELECT category, count(*), count(raw_category), count(community)
             FROM incidents GROUP BY category ORDER BY category",
            &[],
        )
        .expect("query")
        .into_iter()
        .map(|r| {
            let text = r[0].text().expect("category").to_string();
            (text, r[1].int(), r[2].int(), r[3].int())
        })
        .collect()
    };
    let counts: Vec<(&str, i64)> = by_code.iter().map(|r| (r.0.as_str(), r.1)).collect();
    assert_eq!(
        counts,
        [
            ("animals", 103),
            ("emergency", 5),
            ("facilities", 238),
            ("greenery", 42),
            ("noise", 378),
            ("roads", 199),
            ("streetscape", 1852)
        ]
    );
    assert!(by_code.iter().all(|r| r.2 == r.1), "raw types kept");
    let assigned: i64 = by_code.iter().map(|r| r.3).sum();
    eprintln!("{assigned} of 2817 hotline cases lie in a village");
    assert!(
        assigned >= 2780,
        "{assigned} of 2817 cases lie in a village"
    );

    let mut medical = taipei_opts(Role::Facilities);
    medical.fields.category = Some("type".into());
    medical.category_map = vec![
        ("診所".into(), "health_station".into()),
        ("醫院".into(), "hospital".into()),
    ];
    let mut welfare = taipei_opts(Role::Facilities);
    welfare.fields.category = Some("main_type".into());
    welfare.category_map = vec![
        ("銀髮族服務".into(), "elderly_care".into()),
        ("*".into(), "social_facility".into()),
    ];
    import(&mut store, &[t("medical-institutions.geojson")], &medical).expect("medical");
    import(&mut store, &[t("welfare-organizations.geojson")], &welfare).expect("welfare");

    // Childcare has 10 features with "NA" coordinates: refused whole, then imported with --skip-invalid.
    let mut childcare = taipei_opts(Role::Facilities);
    childcare.category = Some("childcare".into());
    childcare.fields.name = Some("inst_name".into());
    let before = store.digest().expect("digest");
    let err = import(&mut store, &[t("childcare.geojson")], &childcare)
        .expect_err("NA coordinates")
        .to_string();
    assert!(
        err.contains("10 of 279 features are invalid")
            && err.contains("feature 65")
            && err.contains("[\"NA\",\"NA\"]"),
        "{err}"
    );
    assert_eq!(store.digest().expect("digest"), before);
    childcare.skip_invalid = true;
    childcare.rejects = Some(dir.path().join("rejects.csv"));
    let s = import(&mut store, &[t("childcare.geojson")], &childcare).expect("childcare");
    assert_eq!(s.facilities, 269);
    let report = std::fs::read_to_string(dir.path().join("rejects.csv")).expect("report");
    assert_eq!(report.lines().count(), 11, "{report}");

    let cats = store.facility_categories().expect("categories");
    assert_eq!(cats.get("health_station"), Some(&3621));
    assert_eq!(cats.get("hospital"), Some(&36));
    assert_eq!(cats.get("elderly_care"), Some(&174));
    assert_eq!(cats.get("social_facility"), Some(&404));
    assert_eq!(cats.get("childcare"), Some(&269));

    // Population grid into estimated households: 1,597,416 residents / 2.6.
    let mut pop = taipei_opts(Role::Addresses);
    pop.fields.persons = Some("pop_live".into());
    let s = import(&mut store, &[t("population-grid.geojson")], &pop).expect("population");
    assert_eq!(s.files[0].empty_skipped, 826);
    let (given, estimated) = store.households().expect("households");
    assert_eq!(given, 0);
    assert!(
        (estimated as f64 - 1_597_416.0 / 2.6).abs() < 2_000.0,
        "{estimated}"
    );
    let gdal = ogrinfo_counts(store.path());
    assert!(gdal.contains(&("communities".to_string(), 456)), "{gdal:?}");
    assert!(gdal.contains(&("incidents".to_string(), 2817)), "{gdal:?}");
}

/// Our polygon validity (O(n log n), crates/wangge-io/src/validity.rs) rejects exactly the
/// Taipei villages GEOS finds invalid (through shapely), no more and no fewer.
#[test]
fn taipei_invalid_villages_are_those_geos_finds() {
    let dir = tempfile::tempdir().expect("tmp");
    let villages = crate::util::shared("taipei/villages.geojson");
    let v = villages.to_str().expect("utf-8");
    let (ok, out) = crate::util::wangge(
        &[
            "import",
            v,
            "--as",
            "communities",
            "--workspace",
            "w.gpkg",
            "--skip-invalid",
        ],
        dir.path(),
    );
    assert!(ok, "{out}");
    let rejects = std::fs::read_to_string(dir.path().join("w.rejects.csv")).expect("rejects");
    let ours: Vec<u64> = rejects
        .lines()
        .skip(1)
        .filter_map(|l| l.split(',').nth(1)?.parse().ok())
        .collect();
    let check = std::process::Command::new("python3")
        .arg(crate::util::project("tests/scripts/invalid_features.py"))
        .arg(&villages)
        .output()
        .expect("python3 with shapely");
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
    let geos: serde_json::Value = serde_json::from_slice(&check.stdout).expect("json");
    let geos: Vec<u64> = geos["invalid"]
        .as_array()
        .expect("invalid")
        .iter()
        .filter_map(serde_json::Value::as_u64)
        .collect();
    assert!(!geos.is_empty(), "the real data has invalid villages");
    assert_eq!(ours, geos);
}

/// The `digest` line `wangge info` prints for `ws`.
fn info_digest(dir: &std::path::Path, ws: &str) -> String {
    let (ok, out) = crate::util::wangge(&["info", ws], dir);
    assert!(ok, "{out}");
    out.lines()
        .find(|l| l.starts_with("digest "))
        .unwrap_or_else(|| panic!("no digest: {out}"))
        .to_string()
}

/// The real extracts imported straight into PostgreSQL (its own import path, not a copy),
/// and the low-rise synthetic city generated into it, hold what they hold in a GeoPackage:
/// the same digest after the import and after the partition, and the same plan.
#[test]
fn real_extracts_land_the_same_in_postgresql_as_in_a_geopackage() {
    let file = |rel: &str| shared(rel).display().to_string();
    let words = |w: &[&str]| w.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let import = |w: &[&str]| words(&[&["import", "--workspace", "{ws}"][..], w].concat());
    let cases: [(&str, Vec<Vec<String>>); 4] = [
        ("nanjing", vec![import(&[&file("osm/nanjing-xuanwu.osm")])]),
        ("monaco", vec![import(&[&file("osm/monaco.osm.pbf")])]),
        (
            "lowrise",
            vec![words(&[
                "generate",
                "--layout",
                "lowrise",
                "--households",
                "5000",
                "--seed",
                "7",
                "--workspace",
                "{ws}",
            ])],
        ),
        // Villages (one invalid ring repaired) with the population grid as address points.
        (
            "taipei",
            vec![
                import(
                    &[
                        &[&file("taipei/villages.geojson")[..]][..],
                        &TAIPEI_VILLAGES,
                    ]
                    .concat(),
                ),
                import(&[
                    &file("taipei/population-grid.geojson"),
                    "--as",
                    "addresses",
                    "--persons-field",
                    "pop_live",
                ]),
            ],
        ),
    ];
    for (name, commands) in cases {
        let Some(pg) = crate::util::fresh_pg(&format!("real_{name}")) else {
            eprintln!("WANGGE_TEST_PG not set: skipped");
            return;
        };
        let dir = tempfile::tempdir().expect("tmp");
        let d = dir.path();
        let mut digests = Vec::new();
        for ws in ["w.gpkg", pg.arg()] {
            for args in &commands {
                let args: Vec<&str> = args
                    .iter()
                    .map(|a| if a == "{ws}" { ws } else { a.as_str() })
                    .collect();
                let (ok, out) = crate::util::wangge(&args, d);
                assert!(ok, "{name} into {ws}: {out}");
            }
            let imported = info_digest(d, ws);
            let (ok, out) = crate::util::wangge(&["partition", ws, "--threads", "1"], d);
            assert!(ok, "{name} on {ws}: {out}");
            if ws == pg.arg() {
                postgis_finds_no_defect(name, &pg);
            }
            digests.push((imported, info_digest(d, ws)));
        }
        assert_eq!(
            digests[0], digests[1],
            "{name}: GeoPackage, then PostgreSQL"
        );
        assert!(digests[0].1.contains("places="), "{digests:?}");
    }
}

/// PostGIS (GEOS, not our geometry) on the newest plan stored in PostgreSQL: grids valid, no
/// two of a community overlapping and none outside its community by a square metre or more,
/// and each grid's stored area in metres within 0.5 % (and 1 m²) of the spheroid's.
fn postgis_finds_no_defect(name: &str, pg: &crate::util::Backend) {
    let newest = "plan_id = (SELECT max(id) FROM {s}.plans)";
    let grids = pg.int(&format!("SELECT count(*) FROM {{s}}.grids WHERE {newest}"));
    assert!(grids > 0, "{name}: no grids");
    for (what, sql) in [
        (
            "invalid",
            format!("SELECT count(*) FROM {{s}}.grids WHERE {newest} AND NOT ST_IsValid(geom)"),
        ),
        (
            "overlapping pairs",
            format!(
                "SELECT count(*) FROM {{s}}.grids a JOIN {{s}}.grids b
                   ON b.plan_id = a.plan_id AND b.community = a.community AND a.code < b.code
                  AND ST_Intersects(a.geom, b.geom)
                 WHERE a.{newest}
                   AND ST_Area(ST_Intersection(a.geom, b.geom)::geography) >= 1"
            ),
        ),
        (
            "outside their community",
            format!(
                "SELECT count(*) FROM {{s}}.grids g JOIN {{s}}.communities c ON c.key = g.community
                 WHERE g.{newest} AND ST_Area(ST_Difference(g.geom, c.geom)::geography) >= 1"
            ),
        ),
        (
            "with another area than the spheroid's",
            format!(
                "SELECT count(*) FROM {{s}}.grids WHERE {newest}
                   AND abs(area_m2 - ST_Area(geom::geography)) > 0.005 * area_m2 + 1"
            ),
        ),
    ] {
        assert_eq!(pg.int(&sql), 0, "{name}: grids {what} (of {grids})");
    }
    eprintln!("{name}: PostGIS finds no defect in {grids} grids");
}

//! Plans right on data the project did not shape: every stored plan checked by GEOS (shapely,
//! `tests/scripts/check_plan.py`: validity, orientation, exact tiling, overlaps, cracks,
//! slivers) on real Nanjing OSM, real Taipei villages, the synthetic city at several seeds and
//! the low-rise city; nested OSM boundaries mapped to the hierarchy; overlapping communities
//! refused; edits and re-runs on real data.

use crate::util::{import, memberships, shared, taipei_villages, wangge, workspace};
use geo::{BooleanOps, BoundingRect, Intersects, Length};
use std::path::Path;
use wangge_core::partition::edit::{Edit, EditRefused, apply};
use wangge_core::partition::{Partitioner, partition_all};
use wangge_core::{LocalFrame, NoProgress};
use wangge_io::ImportOptions;
use wangge_io::store::prelude::*;

/// Runs the independent GEOS check on the newest plan of `ws`; panics with its report unless
/// it finds no defect.
fn geos_check(ws: &Path) -> String {
    let out = std::process::Command::new("python3")
        .arg(crate::util::project("tests/scripts/check_plan.py"))
        .arg(ws)
        .arg("--streets")
        .output()
        .expect("python3 with shapely (scripts/test.sh installs it)");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "GEOS found defects in {}:\n{text}",
        ws.display()
    );
    assert!(text.contains(": 0 defects"), "{text}");
    text
}

fn run(args: &[&str], dir: &Path) -> String {
    let (ok, out) = wangge(args, dir);
    assert!(ok, "wangge {args:?}:\n{out}");
    out
}

#[test]
fn geos_finds_no_defect_in_plans_of_real_and_generated_districts() {
    let dir = tempfile::tempdir().expect("dir");
    let d = dir.path();
    // Real Nanjing OSM (two grids had spikes, GEOS flagged them).
    let osm = shared("osm/nanjing-xuanwu.osm").display().to_string();
    run(&["import", &osm, "--workspace", "nj.gpkg"], d);
    let out = run(&["partition", "nj.gpkg", "--threads", "1"], d);
    assert!(out.contains("hard constraints 0 violations"), "{out}");
    let geos = geos_check(&d.join("nj.gpkg"));
    // The street figures the summary prints agree with GEOS's measure of the stored grids.
    let number = |text: &str, before: &str| -> f64 {
        let at = text
            .find(before)
            .unwrap_or_else(|| panic!("{before:?} in {text}"));
        let head = &text[..at];
        let start = head.trim_end().rfind(' ').map_or(0, |i| i + 1);
        head[start..]
            .trim()
            .trim_end_matches('%')
            .parse()
            .expect("a number")
    };
    let ours = number(&out, "of internal boundary along streets");
    let theirs = number(&geos, "of internal grid boundary within 5 m of a street");
    assert!(
        (ours - theirs).abs() <= 1.0,
        "ours {ours}%, GEOS {theirs}%\n{out}\n{geos}"
    );
    let ours = number(
        &out,
        "of street length inside communities used as a boundary",
    );
    let theirs = number(
        &geos,
        "of street length inside communities used as a grid boundary",
    );
    assert!(
        (ours - theirs).abs() <= 1.0,
        "ours {ours}%, GEOS {theirs}%\n{out}\n{geos}"
    );
    let ours = number(&out, "grids span an arterial");
    let theirs = number(&geos, "grids with an arterial running");
    assert!(
        (ours - theirs).abs() <= 2.0,
        "ours {ours}, GEOS {theirs}\n{out}\n{geos}"
    );
    // Real Taipei villages with the population grid as address points (a sliver was left).
    taipei_villages(d);
    let pop = shared("taipei/population-grid.geojson")
        .display()
        .to_string();
    run(
        &[
            "import",
            &pop,
            "--as",
            "addresses",
            "--persons-field",
            "pop_live",
            "--workspace",
            "t.gpkg",
        ],
        d,
    );
    run(&["partition", "t.gpkg"], d);
    geos_check(&d.join("t.gpkg"));
    // The synthetic city at several seeds and the low-rise city.
    for (layout, size, seed) in [
        ("compounds", "6000", "2"),
        ("compounds", "9000", "3"),
        ("lowrise", "6000", "1"),
        ("lowrise", "5000", "7"),
    ] {
        let ws = format!("{layout}-{seed}.gpkg");
        run(
            &[
                "generate",
                "--layout",
                layout,
                "--households",
                size,
                "--seed",
                seed,
                "--workspace",
                &ws,
            ],
            d,
        );
        let out = run(&["partition", &ws], d);
        assert!(out.contains("hard constraints 0 violations"), "{ws}: {out}");
        geos_check(&d.join(&ws));
    }
}

/// Tries to merge every pair of neighbouring grids (polygons sharing at least 1 m of border)
/// under a doubled cap; returns (pairs tried, shortest border tried, m).
fn merge_every_neighbour_pair(data: &wangge_core::Dataset) -> (usize, f64) {
    let p = Partitioner::new(200).expect("cap").threads(1);
    let plan = partition_all(&p, data, &NoProgress);
    let base = memberships(&plan);
    // Edits validated under a cap of 400, so that any two neighbours may merge: what is
    // tested is that neighbours count as connected, however short their common border.
    let p = Partitioner::new(400).expect("cap").threads(1);
    let (mut tried, mut shortest) = (0, f64::INFINITY);
    for c in &plan.communities {
        // Entrances split over grids at cap 200 would not be split at 400: leave out
        // communities that have them.
        if !c.splits.is_empty() {
            continue;
        }
        let frame = LocalFrame::around(&geo_types::Geometry::Polygon(c.grids[0].polygon.clone()));
        let local: Vec<geo_types::Polygon<f64>> =
            c.grids.iter().map(|g| frame.project(&g.polygon)).collect();
        for a in 0..local.len() {
            for b in a + 1..local.len() {
                let (ga, gb) = (&c.grids[a], &c.grids[b]);
                if ga.households + gb.households > 400
                    || !local[a]
                        .bounding_rect()
                        .zip(local[b].bounding_rect())
                        .is_some_and(|(x, y)| x.intersects(&y))
                {
                    continue;
                }
                // The length of their common border, measured on the polygons.
                let near_a = geo::Buffer::buffer(&local[a], 0.05);
                let border = geo::Euclidean.length(&near_a.clip(
                    &geo_types::MultiLineString(vec![local[b].exterior().clone()]),
                    false,
                ));
                if border < 1.0 {
                    continue;
                }
                tried += 1;
                shortest = shortest.min(border);
                let r = apply(
                    &p,
                    data,
                    (&base, &[]),
                    &Edit::Merge {
                        a: ga.code.clone(),
                        b: gb.code.clone(),
                    },
                );
                assert!(
                    r.is_ok(),
                    "merging {} and {} ({} + {} households, {border:.1} m of common border): {:?}",
                    ga.code,
                    gb.code,
                    ga.households,
                    gb.households,
                    r.err()
                );
            }
        }
    }
    (tried, shortest)
}

#[test]
fn merges_across_short_shared_borders_are_accepted() {
    let (_dir, mut store) = workspace();
    import(
        &mut store,
        &[shared("osm/nanjing-xuanwu.osm")],
        &ImportOptions::default(),
    )
    .expect("import");
    let (tried, shortest) = merge_every_neighbour_pair(&store.load_places().expect("load"));
    assert!(tried >= 20, "{tried} pairs of neighbours on Nanjing");
    eprintln!("Nanjing: {tried} merges, shortest common border {shortest:.1} m");
    let city = wangge_synth::generate(&wangge_synth::CityParams::lowrise(3_000, 5), &NoProgress);
    let (tried, shortest) = merge_every_neighbour_pair(&city);
    assert!(
        tried >= 20,
        "{tried} pairs of neighbours on the low-rise city"
    );
    eprintln!("low-rise: {tried} merges, shortest common border {shortest:.1} m");
}

/// Writes one rectangular community (metres east and north of the fixture's origin) as
/// GeoJSON and imports it into `w.gpkg`; the import's output.
fn import_community(
    dir: &Path,
    name: &str,
    id: &str,
    (x0, y0, x1, y1): (f64, f64, f64, f64),
) -> String {
    // Metres east and north of the fixture's origin (118.78 E, 32.05 N).
    let ll = |x: f64, y: f64| {
        let lon = 118.78 + x / (111_320.0 * 32.05f64.to_radians().cos());
        let lat = 32.05 + y / 110_574.0;
        format!("[{lon:.7},{lat:.7}]")
    };
    let ring = [ll(x0, y0), ll(x1, y0), ll(x1, y1), ll(x0, y1), ll(x0, y0)].join(",");
    let text = format!(
        r#"{{"type":"FeatureCollection","features":[{{"type":"Feature","properties":{{"code":"{id}","name":"{id}"}},"geometry":{{"type":"Polygon","coordinates":[[{ring}]]}}}}]}}"#
    );
    std::fs::write(dir.join(name), text).expect("write");
    run(
        &[
            "import",
            name,
            "--as",
            "communities",
            "--id-field",
            "code",
            "--workspace",
            "w.gpkg",
        ],
        dir,
    )
}

#[test]
fn nested_osm_boundaries_map_to_streets_communities_and_hints() {
    let dir = tempfile::tempdir().expect("dir");
    let d = dir.path();
    let fixture = crate::util::project("data/fixtures/nested_boundaries.osm")
        .display()
        .to_string();
    let out = run(&["import", &fixture, "--workspace", "w.gpkg"], d);
    // admin 8 is the street, admin 10 the communities, the estate inside a community a
    // boundary hint (land cover), the estate outside them a community that gives up the
    // estate nested in it.
    for want in [
        "1 streets (admin [8])",
        "2 admin communities (admin [9, 10])",
        "2 residential land-use communities",
        "1 land-use areas inside admin communities kept as land cover",
        "osm:w105 gave 30111 m² to osm:w106",
    ] {
        assert!(out.contains(want), "{want:?} in\n{out}");
    }
    let store = wangge_io::GeoPackage::open(d.join("w.gpkg")).expect("open");
    let mut comms: Vec<(String, String, Option<String>)> = store
        .communities()
        .expect("communities")
        .into_iter()
        .map(|c| (c.key, c.kind, c.street))
        .collect();
    comms.sort();
    let street = Some("玄武门街道".to_string());
    assert_eq!(
        comms,
        [
            ("osm:w102".into(), "osm_admin".into(), street.clone()),
            ("osm:w103".into(), "osm_admin".into(), street.clone()),
            ("osm:w105".into(), "osm_landuse".into(), street.clone()),
            ("osm:w106".into(), "osm_landuse".into(), street.clone()),
        ]
    );
    drop(store);
    let out = run(&["partition", "w.gpkg"], d);
    assert!(
        out.contains("0 address points outside every community"),
        "{out}"
    );
    geos_check(&d.join("w.gpkg"));
    // Official boundaries replace the OSM-derived communities they cover by more than half.
    let out = import_community(
        d,
        "official.geojson",
        "320102001001",
        (900.0, -5.0, 1205.0, 605.0),
    );
    assert!(
        out.contains("replaced community osm:w105 (osm_landuse)"),
        "{out}"
    );
    assert!(
        out.contains("replaced community osm:w106 (osm_landuse)"),
        "{out}"
    );
    // ... but not ones they overlap by less than half of either (here a quarter of the new
    // one's area each): those overlaps are listed, and partition refuses them.
    let out = import_community(
        d,
        "edge.geojson",
        "320102001002",
        (580.0, -100.0, 620.0, 100.0),
    );
    assert!(
        out.contains("warning: 2 pairs of communities overlap"),
        "{out}"
    );
    let (ok, out) = wangge(&["partition", "w.gpkg"], d);
    assert!(!ok, "partition must refuse overlapping communities:\n{out}");
    assert!(
        out.contains("osm:w102 and 320102001002 overlap by"),
        "{out}"
    );
    assert!(
        out.contains("osm:w103 and 320102001002 overlap by"),
        "{out}"
    );
    assert!(out.contains("nothing was partitioned"), "{out}");
}

#[test]
fn edits_that_change_nothing_are_refused_and_unchanged_data_repairs_nothing() {
    let dir = tempfile::tempdir().expect("dir");
    let d = dir.path();
    let osm = shared("osm/nanjing-xuanwu.osm").display().to_string();
    run(&["import", &osm, "--workspace", "w.gpkg"], d);
    run(&["partition", "w.gpkg"], d);
    // Nothing changed since the plan: no household counts as changed, none moves, on either
    // backend (the memberships read back from each).
    for be in crate::util::each_backend(d, &d.join("w.gpkg"), "incremental") {
        let out = run(&["partition", be.arg(), "--incremental"], d);
        assert!(
            out.contains("0 households changed, 0 grids affected"),
            "{}: {out}",
            be.arg()
        );
        assert!(
            out.contains("churn            0 households changed grid"),
            "{}: {out}",
            be.arg()
        );
    }
    // A grid of one address point cannot be split; a grid does not merge with itself.
    let store = wangge_io::GeoPackage::open(d.join("w.gpkg")).expect("open");
    let data = store.load_places().expect("load");
    let p = Partitioner::new(200).expect("cap");
    let plan = partition_all(&p, &data, &NoProgress);
    let base = memberships(&plan);
    let single = plan
        .communities
        .iter()
        .flat_map(|c| &c.grids)
        .find(|g| g.members.len() == 1)
        .expect("a grid of one address point");
    match apply(
        &p,
        &data,
        (&base, &[]),
        &Edit::Split {
            grid: single.code.clone(),
        },
    ) {
        Err(EditRefused::NoChange(why)) => assert!(why.contains("cannot be divided"), "{why}"),
        other => panic!("split of a one-building grid: {other:?}"),
    }
    assert!(matches!(
        apply(
            &p,
            &data,
            (&base, &[]),
            &Edit::Merge {
                a: single.code.clone(),
                b: single.code.clone()
            }
        ),
        Err(EditRefused::NoChange(_))
    ));
    // A directory or a missing file as the workspace: said plainly.
    let (ok, out) = wangge(&["partition", "."], d);
    assert!(
        !ok && out.contains("is a directory, not a workspace"),
        "{out}"
    );
    let (ok, out) = wangge(&["partition", "nothere.gpkg"], d);
    assert!(!ok && out.contains("no such file"), "{out}");
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 6, ..Default::default() })]
    /// Random cities with nested and overlapping community layers laid over them: the
    /// partitioner refuses exactly the overlapping pairs, and the OSM mapping rule (the city's
    /// communities as admin communities, the extra polygons as estates) leaves no overlap, no
    /// address point in two communities and a plan without violations.
    #[test]
    fn nested_and_overlapping_community_layers(seed in 0u64..1_000, lowrise in proptest::bool::ANY, extra in 1usize..4) {
        use geo::{Area, Centroid};
        let params = if lowrise {
            wangge_synth::CityParams::lowrise(2_500, seed)
        } else {
            wangge_synth::CityParams::new(6_000, seed)
        };
        let city = wangge_synth::generate(&params, &NoProgress);
        let frame = wangge_core::index::frame_for(&city);
        let n = city.communities.len();
        let mut layered = city.clone();
        let mut expected = std::collections::BTreeSet::new();
        for k in 0..extra.min(n) {
            let host = &city.communities[(seed as usize + 7 * k) % n];
            let c = frame.forward(host.geometry.centroid().expect("centroid").0);
            // Nested: a square well inside the host; overlapping: a square over its east edge.
            let (half, dx) = if k % 2 == 0 { (60.0, 0.0) } else { (50.0, 190.0) };
            let ring: Vec<geo_types::Coord<f64>> = [(-1.0, -1.0), (1.0, -1.0), (1.0, 1.0), (-1.0, 1.0), (-1.0, -1.0)]
                .iter()
                .map(|&(x, y)| frame.inverse(geo_types::Coord { x: c.x + dx + x * half, y: c.y + y * half }))
                .collect();
            let geometry = geo_types::MultiPolygon(vec![geo_types::Polygon::new(geo_types::LineString(ring), vec![])]);
            let key = format!("extra{k}");
            for other in &city.communities {
                let shared = frame.project(&other.geometry).intersection(&frame.project(&geometry)).unsigned_area();
                if shared >= wangge_core::overlaps::NOISE_M2 {
                    expected.insert((other.key.clone(), key.clone()));
                }
            }
            layered.communities.push(wangge_core::Community {
                key,
                name: String::new(),
                street: None,
                kind: "osm_landuse".into(),
                geometry,
            });
        }
        // 1. Refused, naming exactly the overlapping pairs.
        match wangge_core::partition::check_communities(&layered) {
            Err(wangge_core::partition::PartitionError::Overlapping { pairs, .. }) => {
                let got: std::collections::BTreeSet<(String, String)> =
                    pairs.into_iter().map(|(a, b, _)| (a, b)).collect();
                proptest::prop_assert_eq!(got, expected);
            }
            other => proptest::prop_assert!(false, "not refused: {:?}", other),
        }
        // 2. The mapping rule resolves them.
        let candidates = layered
            .communities
            .iter()
            .map(|c| wangge_io::osm::Candidate {
                key: c.key.clone(),
                name: c.name.clone(),
                admin_level: (c.kind != "osm_landuse").then_some(10),
                geometry: c.geometry.clone(),
            })
            .collect();
        let (mapped, _) = wangge_io::osm::map_boundaries(candidates, &wangge_io::osm::OsmBoundaries::default());
        let mut resolved = city.clone();
        resolved.communities = mapped;
        proptest::prop_assert!(wangge_core::partition::check_communities(&resolved).is_ok());
        let plan = partition_all(&Partitioner::new(200).expect("cap").threads(1), &resolved, &NoProgress);
        proptest::prop_assert!(plan.outside.is_empty() && plan.ambiguous.is_empty());
        for c in &plan.communities {
            proptest::prop_assert!(c.violations.is_empty(), "{}: {:?}", c.code, c.violations);
        }
    }
}

//! Coordinate systems through the whole import: EPSG 4326, 4490 (CGCS2000), 4547 (CGCS2000 /
//! 3-degree Gauss-Kruger CM 114E), 3857, and GCJ-02 / BD-09. The fixtures were written by GDAL
//! from the same three WGS84 points; every import must land within 0.5 m of them.

use crate::util::{each_new, import, project, workspace};
use geo::{Distance, Haversine};
use geo_types::Point;
use std::path::PathBuf;
use wangge_core::china_offsets;
use wangge_io::store::prelude::*;
use wangge_io::{CrsSpec, ImportOptions, Role};

const TRUTH: &[(&str, f64, f64)] = &[
    ("WH1", 114.30, 30.59),
    ("WH2", 114.31, 30.60),
    ("SZ3", 113.90, 22.55),
];

/// Imports `files` into an empty workspace on each backend (`name` tells their schemas apart)
/// and checks every point lands within 0.5 m of the truth.
fn check(name: &str, files: &[PathBuf], crs: Option<CrsSpec>) {
    let dir = tempfile::tempdir().expect("tmp");
    for be in each_new(dir.path(), name) {
        let mut store = be.store();
        let o = ImportOptions {
            role: Some(Role::Addresses),
            crs: crs.clone(),
            ..ImportOptions::default()
        };
        import(&mut *store, files, &o).expect("import");
        let data = store.load().expect("load");
        assert_eq!(data.address_points.len(), 3, "{}", be.arg());
        for (key, lon, lat) in TRUTH {
            let a = data
                .address_points
                .iter()
                .find(|a| &a.key == key)
                .expect("key");
            let d = Haversine.distance(a.location, Point::new(*lon, *lat));
            assert!(d < 0.5, "{files:?} into {}, {key}: {d} m off", be.arg());
        }
    }
}

#[test]
fn epsg_4547_shapefile_with_prj() {
    check(
        "crs_4547",
        &[project("data/fixtures/addresses_4547.shp")],
        None,
    );
    check(
        "crs_4547_given",
        &[project("data/fixtures/addresses_4547.shp")],
        Some(CrsSpec::Epsg(4547)),
    );
}

#[test]
fn epsg_3857_csv() {
    let mut_opts = Some(CrsSpec::parse("EPSG:3857").expect("spec"));
    check(
        "crs_3857",
        &[project("data/fixtures/addresses_3857.csv")],
        mut_opts,
    );
}

#[test]
fn epsg_4490_wkt_csv() {
    check(
        "crs_4490",
        &[project("data/fixtures/addresses_4490_wkt.csv")],
        Some(CrsSpec::Epsg(4490)),
    );
}

fn offset_csv(dir: &std::path::Path, name: &str, f: fn(f64, f64) -> (f64, f64)) -> PathBuf {
    let mut text = String::from("id,lon,lat,households\n");
    for (k, lon, lat) in TRUTH {
        let (x, y) = f(*lon, *lat);
        text.push_str(&format!("{k},{x:.9},{y:.9},10\n"));
    }
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write");
    p
}

#[test]
fn gcj02_and_bd09_csv() {
    let dir = tempfile::tempdir().expect("tmp");
    check(
        "crs_gcj02",
        &[offset_csv(
            dir.path(),
            "gcj.csv",
            china_offsets::wgs84_to_gcj02,
        )],
        Some(CrsSpec::Gcj02),
    );
    check(
        "crs_bd09",
        &[offset_csv(
            dir.path(),
            "bd.csv",
            china_offsets::wgs84_to_bd09,
        )],
        Some(CrsSpec::Bd09),
    );
    // Without --crs the offset coordinates land hundreds of metres away: the option matters.
    let (_d, mut store) = workspace();
    let o = ImportOptions {
        role: Some(Role::Addresses),
        ..ImportOptions::default()
    };
    import(
        &mut store,
        &[offset_csv(
            dir.path(),
            "raw.csv",
            china_offsets::wgs84_to_gcj02,
        )],
        &o,
    )
    .expect("import");
    let a = store.load().expect("load").address_points;
    assert!(Haversine.distance(a[0].location, Point::new(114.30, 30.59)) > 100.0);
}

#[test]
fn proj_agrees_with_the_local_frame() {
    // Independent check of wangge-core's transverse Mercator against PROJ's tmerc.
    let frame = wangge_core::LocalFrame::new(118.78, 32.04);
    let proj = proj::Proj::new_known_crs(
        "EPSG:4326",
        "+proj=tmerc +lon_0=118.78 +lat_0=32.04 +k=1 +x_0=0 +y_0=0 +ellps=WGS84",
        None,
    )
    .expect("proj");
    for (lon, lat) in [
        (118.70, 31.98),
        (118.85, 32.10),
        (118.78, 32.04),
        (118.60, 32.20),
    ] {
        let (px, py) = proj.convert((lon, lat)).expect("convert");
        let ours = frame.forward(geo_types::Coord { x: lon, y: lat });
        assert!(
            (ours.x - px).abs() < 0.001 && (ours.y - py).abs() < 0.001,
            "({lon},{lat}): {ours:?} vs ({px},{py})"
        );
    }
}

#[test]
fn degrees_given_a_projected_crs_are_refused_with_the_likely_cause() {
    let dir = tempfile::tempdir().expect("tmp");
    std::fs::write(
        dir.path().join("deg.csv"),
        "id,lon,lat,households\nA1,118.78,32.04,10\nA2,118.79,32.05,20\n",
    )
    .expect("write");
    std::fs::write(
        dir.path().join("m.csv"),
        "id,x,y,households\nB1,500000,3545000,10\n",
    )
    .expect("write");
    for be in each_new(dir.path(), "crs_degrees") {
        let import = |file: &str, crs: &str| {
            crate::util::wangge(
                &[
                    "import",
                    file,
                    "--as",
                    "addresses",
                    "--crs",
                    crs,
                    "--workspace",
                    be.arg(),
                ],
                dir.path(),
            )
        };
        let before = be.store().digest().expect("digest");
        let (ok, out) = import("deg.csv", "EPSG:4547");
        assert!(!ok, "{out}");
        assert!(out.contains("deg.csv"), "names the file: {out}");
        assert!(
            out.contains("feature 0 (id A1)"),
            "names the feature: {out}"
        );
        assert!(
            out.contains("look like degrees") && out.contains("EPSG:4490"),
            "says the likely cause: {out}"
        );
        assert_eq!(
            be.store().digest().expect("digest"),
            before,
            "{}: the refused import changed the workspace",
            be.arg()
        );
        // Metres in the same CRS land inside its area of use and import.
        let (ok, out) = import("m.csv", "EPSG:4547");
        assert!(ok, "{out}");
        assert_eq!(be.store().load().expect("load").address_points.len(), 1);
        // An unknown code is one clear error, with no stray PROJ line on stderr.
        let (ok, out) = import("m.csv", "EPSG:999999");
        assert!(!ok && out.contains("PROJ does not know it"), "{out}");
        assert!(!out.contains("proj_create"), "no stray PROJ output: {out}");
    }
}

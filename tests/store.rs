//! The store interface's shared suite (`wangge_io::store::conformance`) on the GeoPackage
//! backend. A second backend runs the same checks.

use wangge_io::store::conformance;
use wangge_io::store::prelude::*;
use wangge_io::{GeoPackage, Store};

#[test]
fn the_geopackage_store_keeps_every_promise_of_the_store_interface() {
    let dir = tempfile::tempdir().expect("tmp");
    let city = wangge_synth::generate(
        &wangge_synth::CityParams::new(2_000, 5),
        &wangge_core::NoProgress,
    );
    assert!(!city.incidents.is_empty());
    let mut n = 0;
    let mut make = || -> Box<dyn Store> {
        n += 1;
        Box::new(GeoPackage::create(dir.path().join(format!("s{n}.gpkg"))).expect("create"))
    };
    let failures = conformance::run(&mut make, &city);
    assert!(failures.is_empty(), "{failures:#?}");
    assert_eq!(n, conformance::CHECKS.len());
}

#[test]
fn the_suite_fails_a_store_that_is_not_what_it_promises() {
    // Every "fresh" store handed to the suite is the same, already filled file: the checks
    // that write the places must fail (the suite is not vacuous).
    let dir = tempfile::tempdir().expect("tmp");
    let city = wangge_synth::generate(
        &wangge_synth::CityParams::new(2_000, 5),
        &wangge_core::NoProgress,
    );
    let path = dir.path().join("w.gpkg");
    let mut filled = GeoPackage::create(&path).expect("create");
    filled
        .write(&city, "test", "test", &wangge_core::NoProgress)
        .expect("write");
    drop(filled);
    let mut make = || -> Box<dyn Store> { Box::new(GeoPackage::open(&path).expect("open")) };
    let failures = conformance::run(&mut make, &city);
    let failed: Vec<&str> = failures.iter().map(|f| f.check).collect();
    assert!(failed.contains(&"places read back"), "{failures:#?}");
    assert!(failed.contains(&"plan versions"), "{failures:#?}");
}

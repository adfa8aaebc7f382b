//! The fuzz targets' seed corpora (`fuzz/corpus/<target>/`), replayed through the same entry
//! points on the stable toolchain: every seed (and what `benches/fuzz.sh` found and kept) must
//! be read without a panic.

use crate::util::project;

fn replay(target: &str, f: fn(&[u8])) {
    let dir = project("fuzz/corpus").join(target);
    let mut n = 0;
    for e in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = e.expect("entry").path();
        let bytes = std::fs::read(&path).expect("seed");
        let name = path.display().to_string();
        if std::panic::catch_unwind(|| f(&bytes)).is_err() {
            panic!("{target}: {name} panics");
        }
        n += 1;
    }
    assert!(n >= 3, "{target}: {n} seeds");
}

#[test]
fn every_seed_of_every_fuzz_target_is_read_without_a_panic() {
    replay("geojson", wangge_io::fuzzing::geojson);
    replay("csv", wangge_io::fuzzing::csv);
    replay("osm_xml", wangge_io::fuzzing::osm_xml);
    replay("osm_pbf", wangge_io::fuzzing::osm_pbf);
    replay("shapefile", wangge_io::fuzzing::shapefile);
    replay("incidents", wangge_io::fuzzing::incidents);
    replay("dbf", wangge_io::fuzzing::dbf);
    replay("photo", wangge_io::fuzzing::photo);
    replay("mvt_decode", wangge_tiles::mvt::fuzzing::decode);
    replay("mvt_encode", wangge_tiles::mvt::fuzzing::encode);
}

//! The bad-input corpus in `tests/bad_inputs/`: every file is refused with an error naming the
//! file, the feature where there is one, and the problem; the workspace stays byte-for-byte
//! the same in content.

use crate::util::{count, import, project, workspace};
use wangge_io::store::prelude::*;
use wangge_io::{Fields, ImportOptions, Role};

fn opts(role: Role) -> ImportOptions {
    ImportOptions {
        role: Some(role),
        ..ImportOptions::default()
    }
}

/// (file, options, texts the error must contain).
fn cases() -> Vec<(&'static str, ImportOptions, Vec<&'static str>)> {
    let addr = opts(Role::Addresses);
    let comm = opts(Role::Communities);
    let mut fac = opts(Role::Facilities);
    fac.fields = Fields {
        category: Some("category".into()),
        ..Fields::default()
    };
    let mut childcare = opts(Role::Facilities);
    childcare.category = Some("childcare".into());
    let mut inc = opts(Role::Incidents);
    inc.fields = Fields {
        time: Some("time".into()),
        category: Some("category".into()),
        ..Fields::default()
    };
    let mut utf8 = opts(Role::Addresses);
    utf8.read.encoding = Some("utf-8".into());
    vec![
        (
            "unclosed_ring.geojson",
            comm.clone(),
            vec!["feature 1 (id C2)", "not closed"],
        ),
        (
            "self_intersecting_ring.geojson",
            comm.clone(),
            vec!["feature 0 (id BOWTIE)", "self-intersection"],
        ),
        (
            "hole_outside_shell.geojson",
            comm.clone(),
            vec!["feature 0 (id H1)", "invalid geometry"],
        ),
        (
            "empty_geometry.geojson",
            addr.clone(),
            vec!["feature 1 (id A2)", "empty geometry"],
        ),
        (
            "null_geometry.geojson",
            addr.clone(),
            vec!["feature 0 (id A1)", "no geometry"],
        ),
        (
            "na_coordinates.geojson",
            childcare,
            vec!["feature 1", "not numbers", "NA"],
        ),
        (
            "fractional_households.geojson",
            addr.clone(),
            vec!["feature 0 (id A1)", "not a whole number"],
        ),
        (
            "duplicate_ids.geojson",
            comm.clone(),
            vec!["feature 1 (id C1)", "duplicate id"],
        ),
        (
            "unknown_epsg.geojson",
            addr.clone(),
            vec!["EPSG:999999", "PROJ does not know"],
        ),
        (
            "unknown_category.geojson",
            fac,
            vec!["feature 0 (id F1)", "unknown category", "--category-map"],
        ),
        (
            "point_as_community.geojson",
            comm.clone(),
            vec!["feature 0 (id C9)", "must be a Polygon"],
        ),
        (
            "out_of_range.geojson",
            addr.clone(),
            vec!["feature 0 (id A1)", "95"],
        ),
        ("not_json.geojson", addr.clone(), vec!["not valid JSON"]),
        ("empty.geojson", addr.clone(), vec!["empty (0 bytes)"]),
        ("empty.csv", addr.clone(), vec!["empty (0 bytes)"]),
        (
            "latlon_swapped.csv",
            addr.clone(),
            vec!["feature 1 (id A2)", "(latitude, longitude)", "swap"],
        ),
        (
            "empty_coordinates.csv",
            addr.clone(),
            vec!["feature 1 (id A2)", "empty coordinates"],
        ),
        (
            "negative_households.csv",
            addr.clone(),
            vec!["feature 0 (id A1)", "negative"],
        ),
        (
            "nonnumeric_households.csv",
            addr.clone(),
            vec!["feature 0 (id A1)", "not a number"],
        ),
        (
            "projected_without_crs.csv",
            addr.clone(),
            vec!["feature 0 (id A1)", "--crs"],
        ),
        (
            "missing_households_field.csv",
            addr.clone(),
            vec!["no households field", "--households-field"],
        ),
        (
            "bad_time.csv",
            inc.clone(),
            vec!["feature 0 (id I1)", "no such date"],
        ),
        (
            "bad_status.csv",
            inc,
            vec!["feature 0 (id I1)", "incident status", "lost"],
        ),
        (
            "bad_wkt.csv",
            addr.clone(),
            vec!["feature 1 (id A2)", "WKT"],
        ),
        (
            "gbk_as_utf8.csv",
            utf8.clone(),
            vec!["not valid UTF-8", "--encoding gbk"],
        ),
        (
            "gbk_no_cpg.shp",
            utf8,
            vec!["gbk_no_cpg.dbf", "not valid UTF-8"],
        ),
        ("truncated.osm", addr.clone(), vec!["truncated.osm"]),
        ("truncated.osm.pbf", addr, vec!["truncated.osm.pbf", "PBF"]),
    ]
}

/// A workspace with the fixture's addresses (so "unchanged" means something), on each backend.
fn with_addresses(name: &str) -> (tempfile::TempDir, Vec<crate::util::Backend>) {
    let (dir, mut store) = workspace();
    import(
        &mut store,
        &[project("data/fixtures/addresses_4547.shp")],
        &opts(Role::Addresses),
    )
    .expect("fixture");
    let ws = store.path().to_path_buf();
    drop(store);
    let backends = crate::util::each_backend(dir.path(), &ws, name);
    (dir, backends)
}

#[test]
fn corpus_is_refused_with_clear_errors_and_no_change() {
    let (_dir, backends) = with_addresses("bad_corpus");
    for be in backends {
        corpus_refused_on(&mut *be.store());
    }
}

fn corpus_refused_on(store: &mut dyn wangge_io::Store) {
    let before = store.digest().expect("digest");
    let cases = cases();
    assert!(cases.len() >= 20);
    for (file, o, expected) in cases {
        let path = project("tests/bad_inputs").join(file);
        assert!(path.exists(), "{file} is in the corpus");
        let err = match import(store, &[path], &o) {
            Ok(s) => panic!("{file} was accepted: {s:?}"),
            Err(e) => e.to_string(),
        };
        assert!(
            err.contains(file.split('.').next().unwrap_or(file)),
            "{file}: error does not name the file: {err}"
        );
        for text in expected {
            assert!(err.contains(text), "{file}: expected {text:?} in: {err}");
        }
        assert_eq!(
            store.digest().expect("digest"),
            before,
            "{file} changed the store"
        );
    }
}

#[test]
fn skip_invalid_imports_the_good_and_reports_the_bad() {
    let dir = tempfile::tempdir().expect("tmp");
    for be in crate::util::each_new(dir.path(), "bad_skip") {
        let mut store = be.store();
        let mut o = opts(Role::Addresses);
        o.skip_invalid = true;
        o.rejects = Some(dir.path().join("rejects.csv"));
        let s = import(
            &mut *store,
            &[project("tests/bad_inputs/latlon_swapped.csv")],
            &o,
        )
        .expect("partial import");
        assert_eq!(s.address_points, 1, "{}", be.arg());
        assert_eq!(store.load().expect("load").address_points.len(), 1);
        let report = std::fs::read_to_string(dir.path().join("rejects.csv")).expect("report");
        assert!(report.starts_with("file,feature,id,problem"));
        assert!(
            report.contains(",1,A2,") && report.contains("swap"),
            "{report}"
        );
    }
}

#[test]
fn a_second_import_of_the_same_keys_is_refused_whole() {
    let (_dir, backends) = with_addresses("bad_second");
    let f = project("data/fixtures/addresses_4547.shp");
    for be in backends {
        let mut store = be.store();
        let before = store.digest().expect("digest");
        let err = import(
            &mut *store,
            std::slice::from_ref(&f),
            &opts(Role::Addresses),
        )
        .expect_err("duplicate")
        .to_string();
        assert!(
            err.contains("WH1") && err.contains("already in the workspace"),
            "{}: {err}",
            be.arg()
        );
        assert_eq!(store.digest().expect("digest"), before);
    }
}

#[test]
fn gbk_shapefile_without_cpg_reads_as_gbk_by_default() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut stored = Vec::new();
    for be in crate::util::each_new(dir.path(), "bad_gbk") {
        let mut store = be.store();
        let s = import(
            &mut *store,
            &[project("tests/bad_inputs/gbk_no_cpg.shp")],
            &opts(Role::Addresses),
        )
        .expect("GBK default");
        assert_eq!(s.files[0].encoding, Some("GBK"));
        assert_eq!(s.households_given, 36 + 48 + 120);
        stored.push(
            wangge_io::store::content_digest(&*store)
                .expect("digest")
                .to_string(),
        );
    }
    assert!(
        stored.windows(2).all(|w| w[0] == w[1]),
        "the backends stored the GBK file alike: {stored:?}"
    );
}

#[test]
fn corrupt_workspace_is_a_clear_error() {
    let dir = tempfile::tempdir().expect("tmp");
    let p = dir.path().join("broken.gpkg");
    std::fs::write(&p, b"this is not a database").expect("write");
    let err = wangge_io::GeoPackage::open(&p)
        .expect_err("corrupt")
        .to_string();
    assert!(
        err.contains("broken.gpkg") && err.contains("not a SQLite database"),
        "{err}"
    );
}

#[test]
fn an_over_long_first_line_is_refused_quoting_at_most_200_characters() {
    let (dir, mut store) = workspace();
    let before = store.digest().expect("digest");
    // A header of 100,000 columns (about 1 MB on one line).
    let path = dir.path().join("wide.csv");
    let header: Vec<String> = (0..100_000).map(|i| format!("c{i}")).collect();
    std::fs::write(&path, format!("{}\n", header.join(","))).expect("write");
    let err = import(
        &mut store,
        std::slice::from_ref(&path),
        &opts(Role::Addresses),
    )
    .expect_err("refused")
    .to_string();
    assert!(
        err.contains("wide.csv") && err.contains("is this a CSV file"),
        "{err}"
    );
    assert!(
        err.len() < 600,
        "the message quotes at most 200 characters: {} bytes",
        err.len()
    );
    // A header just under the limit with no coordinate columns: the column list is cut too.
    let header: Vec<String> = (0..5_000).map(|i| format!("c{i}")).collect();
    std::fs::write(&path, format!("{}\n", header.join(","))).expect("write");
    let err = import(&mut store, &[path], &opts(Role::Addresses))
        .expect_err("refused")
        .to_string();
    assert!(err.contains("(5000 columns)") && err.len() < 600, "{err}");
    assert_eq!(store.digest().expect("digest"), before);
}

/// Sparse files (a few rows, then a hole of empty space, as `truncate -s` makes them) and
/// NUL bytes are refused where the text stops being text, naming the line and quoting at most
/// 200 characters; the readers stream, so the hole is never held in memory (the hostile-file
/// bench measures that at 2 GB). A streamed GeoJSON FeatureCollection reads whole.
#[test]
fn sparse_files_are_refused_where_the_text_stops() {
    let (dir, mut store) = workspace();
    let before = store.digest().expect("digest");
    let csv = dir.path().join("sparse.csv");
    std::fs::write(
        &csv,
        "id,lon,lat,households\nA1,118.78,32.04,10\nA2,118.79,32.05,12\n",
    )
    .expect("write");
    let f = std::fs::OpenOptions::new()
        .write(true)
        .open(&csv)
        .expect("open");
    f.set_len(8 << 20).expect("a sparse tail of 8 MiB");
    drop(f);
    let err = import(
        &mut store,
        std::slice::from_ref(&csv),
        &opts(Role::Addresses),
    )
    .expect_err("refused")
    .to_string();
    assert!(
        err.contains("sparse.csv") && err.contains("line 4 holds a NUL byte"),
        "{err}"
    );
    assert!(err.len() < 600, "{err}");
    let gj = dir.path().join("sparse.geojson");
    std::fs::write(
        &gj,
        r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"id":"A1","households":3},"geometry":{"type":"Point","coordinates":[118.78,32.04]}}"#,
    )
    .expect("write");
    let f = std::fs::OpenOptions::new()
        .write(true)
        .open(&gj)
        .expect("open");
    f.set_len(8 << 20).expect("sparse");
    drop(f);
    let err = import(
        &mut store,
        std::slice::from_ref(&gj),
        &opts(Role::Addresses),
    )
    .expect_err("refused")
    .to_string();
    assert!(
        err.contains("sparse.geojson") && err.contains("not valid JSON"),
        "{err}"
    );
    assert!(err.len() < 600, "{err}");
    assert_eq!(store.digest().expect("digest"), before);
    // The same collection, whole, with its members in any order, imports every feature.
    let features: Vec<String> = (0..500)
        .map(|i| {
            format!(
                r#"{{"type":"Feature","properties":{{"id":"P{i}","households":3}},"geometry":{{"type":"Point","coordinates":[{},{}]}}}}"#,
                118.78 + f64::from(i) * 1e-4,
                32.04
            )
        })
        .collect();
    std::fs::write(
        &gj,
        format!(
            r#"{{"features":[{}],"type":"FeatureCollection","name":"x"}}"#,
            features.join(",")
        ),
    )
    .expect("write");
    let s = import(&mut store, &[gj], &opts(Role::Addresses)).expect("imports");
    assert_eq!(count(&store, "address_points"), 500, "{s:?}");
}

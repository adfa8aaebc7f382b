//! Entry points for the fuzz targets (`fuzz/`) and for replaying their seed corpora in the
//! tests: arbitrary bytes into each reader. Readers must answer with an error, never panic.

use crate::incident_payload::{Context, Payload, parse_incidents};
use std::io::Write;

/// Writes `bytes` to a temporary file named with `ext` and reads it as the reader for that
/// extension would.
fn through_file(bytes: &[u8], ext: &str, f: impl FnOnce(&std::path::Path)) {
    let Ok(dir) = tempfile::Builder::new().prefix("wangge-fuzz").tempdir() else {
        return;
    };
    let path = dir.path().join(format!("input.{ext}"));
    if std::fs::File::create(&path)
        .and_then(|mut f| f.write_all(bytes))
        .is_ok()
    {
        f(&path);
    }
}

/// Reads a file as the import does and puts every geometry read through the import's checks
/// (coordinate ranges, validity, the `--repair` union, the interior point of a polygon).
fn read_and_check(path: &std::path::Path) {
    use geo::InteriorPoint;
    let Ok(file) = crate::read::read(path, &Default::default()) else {
        return;
    };
    for f in &file.features {
        let _ = crate::validate::source_coords(&f.geometry, true, false);
        if crate::validate::geometry(&f.geometry).is_err() {
            let _ = crate::validate::repair(&f.geometry);
        }
        let _ = f.geometry.interior_point();
    }
}

/// GeoJSON through the import reader and the geometry checks.
pub fn geojson(bytes: &[u8]) {
    through_file(bytes, "geojson", read_and_check);
}

/// CSV (lon/lat or WKT columns) through the import reader and the geometry checks.
pub fn csv(bytes: &[u8]) {
    through_file(bytes, "csv", read_and_check);
}

/// A Shapefile's geometry (.shp) through the import reader and the geometry checks, beside a
/// valid attribute table of one record per shape (one text field `id`).
pub fn shapefile(bytes: &[u8]) {
    through_file(bytes, "shp", |p| {
        if std::fs::write(p.with_extension("dbf"), dbf_of_ids(shapes_in(bytes))).is_ok() {
            read_and_check(p);
        }
    });
}

/// How many shapes a .shp yields (damaged ones included, at most 4,096): the attribute table
/// beside it pairs one record with each, as the reader requires.
fn shapes_in(bytes: &[u8]) -> u32 {
    shapefile::ShapeReader::new(std::io::Cursor::new(bytes))
        .map(|mut r| r.iter_shapes().take(4096).count() as u32)
        .unwrap_or(0)
}

/// A dBASE III table of `n` records with one character field `id` (8 wide).
fn dbf_of_ids(n: u32) -> Vec<u8> {
    let (header_len, record_len) = (32u16 + 32 + 1, 1u16 + 8);
    let mut b = vec![0x03, 126, 11, 24];
    b.extend_from_slice(&n.to_le_bytes());
    b.extend_from_slice(&header_len.to_le_bytes());
    b.extend_from_slice(&record_len.to_le_bytes());
    b.resize(32, 0);
    let mut field = [0u8; 32];
    field[..2].copy_from_slice(b"id");
    field[11] = b'C';
    field[16] = 8;
    b.extend_from_slice(&field);
    b.push(0x0d);
    for i in 0..n {
        b.push(b' ');
        b.extend_from_slice(format!("{i:<8}").as_bytes());
    }
    b.push(0x1a);
    b
}

/// OSM XML through the OSM reader and the assembly of features.
pub fn osm_xml(bytes: &[u8]) {
    through_file(bytes, "osm", |p| {
        if let Ok(data) = crate::osm::read(p, &wangge_core::NoProgress) {
            let _ = crate::osm::assemble(
                &data,
                &Default::default(),
                &Default::default(),
                &wangge_core::ComponentCatalogue::builtin(),
            );
        }
    });
}

/// OSM PBF through the OSM reader and the assembly of features.
pub fn osm_pbf(bytes: &[u8]) {
    through_file(bytes, "osm.pbf", |p| {
        if let Ok(data) = crate::osm::read(p, &wangge_core::NoProgress) {
            let _ = crate::osm::assemble(
                &data,
                &Default::default(),
                &Default::default(),
                &wangge_core::ComponentCatalogue::builtin(),
            );
        }
    });
}

/// The incident API's parsers: the first byte picks JSON, GeoJSON or CSV.
pub fn incidents(bytes: &[u8]) {
    let Some((&kind, body)) = bytes.split_first() else {
        return;
    };
    let kind = match kind % 3 {
        0 => Payload::Json,
        1 => Payload::GeoJson,
        _ => Payload::Csv,
    };
    let taxonomy = wangge_core::Taxonomy::builtin();
    let cx = Context {
        taxonomy: &taxonomy,
        now: wangge_core::Timestamp::from_unix(1_790_000_000),
        utc_offset_s: 8 * 3600,
        crs: None,
        id_prefix: "fuzz".into(),
    };
    let _ = parse_incidents(body, kind, &cx, 1000);
}

/// A Shapefile's attribute table (.dbf) through the strict DBF reader, as GBK.
pub fn dbf(bytes: &[u8]) {
    let _ = crate::read::dbf::parse(bytes, encoding_rs::GBK);
}

/// A photo: its type told and its location removed (or a refusal), never a panic; what is
/// kept is a well-formed file of the same type with nothing left to remove.
pub fn photo(bytes: &[u8]) {
    if let Ok((out, _)) = crate::photo::strip_location(bytes) {
        assert_eq!(crate::photo::sniff(&out), crate::photo::sniff(bytes));
        let again = crate::photo::strip_location(&out).expect("a stripped photo reads again");
        assert_eq!(again, (out, false), "stripping twice removes nothing more");
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_attribute_table_beside_fuzzed_geometry_is_a_valid_dbf() {
        let t = crate::read::dbf::parse(&super::dbf_of_ids(3), encoding_rs::UTF_8).expect("dbf");
        assert_eq!(t.fields, ["id"]);
        assert_eq!(t.records.len(), 3);
    }

    #[test]
    fn a_shapefile_seed_reaches_the_geometry_checks() {
        let seed = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../fuzz/corpus/shapefile/polygons.shp");
        let bytes = std::fs::read(&seed).expect("seed");
        let mut read = None;
        super::through_file(&bytes, "shp", |p| {
            std::fs::write(
                p.with_extension("dbf"),
                super::dbf_of_ids(super::shapes_in(&bytes)),
            )
            .expect("dbf");
            read = Some(crate::read::read(p, &Default::default()).expect("read"));
        });
        let file = read.expect("read");
        assert_eq!(file.features.len(), 3, "{:?}", file.problems);
        assert!(crate::validate::geometry(&file.features[2].geometry).is_err());
    }
}

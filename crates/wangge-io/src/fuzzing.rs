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

/// GeoJSON through the import reader.
pub fn geojson(bytes: &[u8]) {
    through_file(bytes, "geojson", |p| {
        let _ = crate::read::read(p, &Default::default());
    });
}

/// CSV (lon/lat or WKT columns) through the import reader.
pub fn csv(bytes: &[u8]) {
    through_file(bytes, "csv", |p| {
        let _ = crate::read::read(p, &Default::default());
    });
}

/// OSM XML through the OSM reader and the assembly of features.
pub fn osm_xml(bytes: &[u8]) {
    through_file(bytes, "osm", |p| {
        if let Ok(data) = crate::osm::read(p, &wangge_core::NoProgress) {
            let _ = crate::osm::assemble(&data, &Default::default());
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

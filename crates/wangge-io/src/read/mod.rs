//! Readers of tabular geodata files (GeoJSON, CSV, Shapefile) into raw features: geometry
//! plus attributes, with per-feature problems collected rather than thrown, so an import can
//! list every bad record at once.

pub(crate) mod csv_file;
pub(crate) mod dbf;
mod geojson_file;
mod shapefile_file;
pub(crate) mod stream;
pub(crate) mod text;
mod xlsx_file;

pub use text::{decode_strict, encoding_for_label};

use crate::error::FeatureProblem;
use crate::{CrsSpec, Error, Result};
use geo_types::Geometry;
use std::collections::BTreeMap;
use std::path::Path;

/// An attribute value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Number(f64),
    Text(String),
}

impl Value {
    /// Text form (numbers without a trailing `.0`), `None` for null or empty text.
    pub fn as_text(&self) -> Option<String> {
        match self {
            Value::Null => None,
            Value::Bool(b) => Some(b.to_string()),
            Value::Number(n) if n.fract() == 0.0 && n.abs() < 1e15 => {
                Some(format!("{}", *n as i64))
            }
            Value::Number(n) => Some(n.to_string()),
            Value::Text(t) if t.trim().is_empty() => None,
            Value::Text(t) => Some(t.trim().to_string()),
        }
    }
}

/// One feature as read, in the file's own CRS.
#[derive(Debug, Clone, PartialEq)]
pub struct RawFeature {
    pub index: usize,
    pub geometry: Geometry<f64>,
    pub props: BTreeMap<String, Value>,
}

/// A file as read.
#[derive(Debug, Clone, Default)]
pub struct RawFile {
    pub features: Vec<RawFeature>,
    /// Features that could not be read at all (bad coordinates, broken geometry).
    pub problems: Vec<FeatureProblem>,
    /// The CRS the file declares, if any.
    pub crs: Option<CrsSpec>,
    /// Attribute names in file order.
    pub fields: Vec<String>,
    /// Text encoding used (CSV, DBF).
    pub encoding: Option<&'static str>,
    /// Total features in the file, readable or not.
    pub total: usize,
}

impl RawFile {
    /// Records one feature: a readable one, or a problem naming it (also when a coordinate
    /// is NaN or infinite, which no later step could use).
    pub(crate) fn push(
        &mut self,
        index: usize,
        id: Option<String>,
        props: BTreeMap<String, Value>,
        geometry: std::result::Result<Geometry<f64>, String>,
    ) {
        use geo::CoordsIter;
        let geometry = geometry.and_then(|g| {
            let bad = g
                .coords_iter()
                .find(|c| !c.x.is_finite() || !c.y.is_finite());
            match bad {
                Some(c) => Err(format!(
                    "coordinates ({}, {}) are not finite numbers",
                    c.x, c.y
                )),
                None => Ok(g),
            }
        });
        match geometry {
            Ok(geometry) => self.features.push(RawFeature {
                index,
                geometry,
                props,
            }),
            Err(message) => self.problems.push(FeatureProblem { index, id, message }),
        }
    }
}

/// Options the readers need.
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    /// Text encoding label (`utf-8`, `gbk`, ...); detected when absent.
    pub encoding: Option<String>,
    /// CSV longitude / latitude / WKT column names; defaults are tried when absent.
    pub lon_field: Option<String>,
    pub lat_field: Option<String>,
    pub wkt_field: Option<String>,
    /// The sheet of a workbook (default: the first).
    pub sheet: Option<String>,
}

/// Kinds of input file, by extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    OsmXml,
    OsmPbf,
    GeoJson,
    Csv,
    Shapefile,
    Workbook,
}

impl FileKind {
    /// Detects the kind from the file name.
    pub fn of(path: &Path) -> Result<Self> {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().to_lowercase())
            .unwrap_or_default();
        let kind = if name.ends_with(".osm.pbf") || name.ends_with(".pbf") {
            Self::OsmPbf
        } else if name.ends_with(".osm") {
            Self::OsmXml
        } else if name.ends_with(".geojson") || name.ends_with(".json") {
            Self::GeoJson
        } else if name.ends_with(".csv") || name.ends_with(".tsv") || name.ends_with(".txt") {
            Self::Csv
        } else if name.ends_with(".shp") {
            Self::Shapefile
        } else if crate::xlsx::is_workbook(path) {
            Self::Workbook
        } else {
            return Err(Error::usage(
                path,
                "unknown file type; expected .osm, .osm.pbf, .geojson, .json, .csv, .xlsx or .shp",
            ));
        };
        Ok(kind)
    }
}

/// Reads a GeoJSON, CSV or Shapefile.
pub fn read(path: &Path, opts: &ReadOptions) -> Result<RawFile> {
    match FileKind::of(path)? {
        FileKind::GeoJson => geojson_file::read(path),
        FileKind::Csv => csv_file::read(path, opts),
        FileKind::Shapefile => shapefile_file::read(path, opts),
        FileKind::Workbook => xlsx_file::read(path, opts),
        FileKind::OsmXml | FileKind::OsmPbf => {
            Err(Error::usage(path, "OSM files are read by the OSM reader"))
        }
    }
}

/// Reads a whole file, refusing empty ones.
pub(crate) fn read_bytes(path: &Path) -> Result<Vec<u8>> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    if bytes.is_empty() {
        return Err(Error::format(path, "the file is empty (0 bytes)"));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A point Shapefile (.shp and .dbf) of the given coordinates.
    fn points_shapefile(dir: &Path, points: &[(f64, f64)]) -> std::path::PathBuf {
        let mut shp = vec![0u8; 100];
        shp[..4].copy_from_slice(&9994i32.to_be_bytes());
        let words = (100 + points.len() * 28) / 2;
        shp[24..28].copy_from_slice(&(words as i32).to_be_bytes());
        shp[28..32].copy_from_slice(&1000i32.to_le_bytes());
        shp[32..36].copy_from_slice(&1i32.to_le_bytes());
        for (n, (x, y)) in points.iter().enumerate() {
            shp.extend_from_slice(&(n as i32 + 1).to_be_bytes());
            shp.extend_from_slice(&10i32.to_be_bytes());
            shp.extend_from_slice(&1i32.to_le_bytes());
            shp.extend_from_slice(&x.to_le_bytes());
            shp.extend_from_slice(&y.to_le_bytes());
        }
        let path = dir.join("p.shp");
        std::fs::write(&path, shp).expect("shp");
        let mut dbf = vec![0x03, 126, 1, 1];
        dbf.extend_from_slice(&(points.len() as u32).to_le_bytes());
        dbf.extend_from_slice(&65u16.to_le_bytes());
        dbf.extend_from_slice(&2u16.to_le_bytes());
        dbf.resize(32, 0);
        let mut field = [0u8; 32];
        field[0] = b'n';
        field[11] = b'C';
        field[16] = 1;
        dbf.extend_from_slice(&field);
        dbf.push(0x0d);
        for _ in points {
            dbf.extend_from_slice(b" x");
        }
        std::fs::write(path.with_extension("dbf"), dbf).expect("dbf");
        path
    }

    #[test]
    fn a_coordinate_that_is_not_a_finite_number_is_a_problem_of_its_feature() {
        let dir = tempfile::tempdir().expect("dir");
        let path = points_shapefile(
            dir.path(),
            &[(118.78, 32.05), (f64::NAN, 32.05), (f64::INFINITY, 32.0)],
        );
        let file = read(&path, &ReadOptions::default()).expect("read");
        assert_eq!(file.features.len(), 1);
        assert_eq!(file.problems.len(), 2);
        assert_eq!(file.problems[0].index, 1);
        assert!(
            file.problems[0].message.contains("not finite"),
            "{}",
            file.problems[0].message
        );
    }
}

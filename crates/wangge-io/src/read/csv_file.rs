//! CSV with longitude/latitude columns or a WKT column; UTF-8 with or without BOM, GBK
//! detected, or any encoding given. Streamed (`stream::TextStream`): memory is the features
//! read and one row, never the file's size or the empty space in it.

use super::stream::{Limits, QUOTE_CHARS, TextStream};
use super::{RawFile, ReadOptions, Value};
use crate::error::FeatureProblem;
use crate::{Error, Result};
use geo_types::{Coord, Geometry, Point};
use std::collections::BTreeMap;
use std::path::Path;

const LON: &[&str] = &["lon", "lng", "long", "longitude", "x", "经度", "經度"];
const LAT: &[&str] = &["lat", "latitude", "y", "纬度", "緯度"];
const WKT: &[&str] = &["wkt", "geometry", "geom", "the_geom", "shape"];

/// The longest header line read as one (bytes): a longer first line is no header of column
/// names (a binary file, a file of one huge line, a sparse file of zeros).
const MAX_HEADER_BYTES: usize = 64 * 1024;

/// The longest row (bytes): a WKT community of 100,000 vertices is about 4 MiB.
pub(crate) const MAX_ROW_BYTES: usize = 64 << 20;

/// The limits every CSV is read with.
pub(crate) const LIMITS: Limits = Limits {
    first_line: MAX_HEADER_BYTES,
    line: MAX_ROW_BYTES,
    quote: true,
};

/// The columns for an error message: their names up to `QUOTE_CHARS` characters.
fn column_list(headers: &[String]) -> String {
    let all = headers.join(", ");
    if all.chars().count() <= QUOTE_CHARS {
        return all;
    }
    let cut: String = all.chars().take(QUOTE_CHARS).collect();
    format!("{cut}… ({} columns)", headers.len())
}

/// The column named `given`, else the first whose name is one of `defaults` (any case).
pub(crate) fn find(
    headers: &[String],
    given: Option<&str>,
    defaults: &[&str],
    path: &Path,
) -> Result<Option<usize>> {
    if let Some(g) = given {
        return headers
            .iter()
            .position(|h| h == g)
            .map(Some)
            .ok_or_else(|| {
                Error::usage(
                    path,
                    format!("no column {g:?}; columns are {}", column_list(headers)),
                )
            });
    }
    Ok(headers
        .iter()
        .position(|h| defaults.contains(&h.trim().to_lowercase().as_str())))
}

/// The header line of a CSV reader, trimmed; an error naming the file when it cannot be read.
pub(crate) fn headers<R: std::io::Read>(
    rdr: &mut csv::Reader<R>,
    path: &Path,
) -> Result<Vec<String>> {
    Ok(rdr
        .headers()
        .map_err(|e| csv_error(path, e, "cannot read the header line"))?
        .iter()
        .map(|h| h.trim().to_string())
        .collect())
}

/// A CSV error: a refusal of the text stream keeps its own message.
pub(crate) fn csv_error(path: &Path, e: csv::Error, what: &str) -> Error {
    match e.kind() {
        csv::ErrorKind::Io(io) => TextStream::error(path, io),
        _ => Error::format(path, format!("{what}: {e}")),
    }
}

/// The text stream of a CSV and its delimiter (from the header line: tab or semicolon when
/// the header has those and no comma), the header line put back in front.
pub(crate) fn open(
    path: &Path,
    encoding: Option<&str>,
    limits: Limits,
) -> Result<(impl std::io::Read, u8, &'static str)> {
    use std::io::{BufRead, Read};
    let stream = TextStream::open(path, encoding, limits)?;
    let name = stream.encoding();
    let mut reader = std::io::BufReader::with_capacity(MAX_HEADER_BYTES + 1, stream);
    let mut first = Vec::new();
    (&mut reader)
        .take(MAX_HEADER_BYTES as u64 + 2)
        .read_until(b'\n', &mut first)
        .map_err(|e| TextStream::error(path, &e))?;
    let head = String::from_utf8_lossy(&first);
    let delimiter = if head.contains('\t') && !head.contains(',') {
        b'\t'
    } else if head.contains(';') && !head.contains(',') {
        b';'
    } else {
        b','
    };
    Ok((std::io::Cursor::new(first).chain(reader), delimiter, name))
}

pub(super) fn read(path: &Path, opts: &ReadOptions) -> Result<RawFile> {
    let (text, delimiter, encoding) = open(path, opts.encoding.as_deref(), LIMITS)?;
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(false)
        .from_reader(text);
    let headers = headers(&mut rdr, path)?;
    let geometry_cols = Geom::find(&headers, opts, path)?;
    let mut file = RawFile {
        encoding: Some(encoding),
        fields: headers.clone(),
        ..RawFile::default()
    };
    for (index, rec) in rdr.records().enumerate() {
        file.total += 1;
        let rec = match rec {
            Ok(r) => r,
            // A refused stream (NUL bytes, an over-long line, bad encoding) ends the file.
            Err(e) if matches!(e.kind(), csv::ErrorKind::Io(_)) => {
                return Err(csv_error(path, e, "unreadable"));
            }
            Err(e) => {
                file.problems.push(FeatureProblem {
                    index,
                    id: None,
                    message: format!("unreadable row: {e}"),
                });
                continue;
            }
        };
        let mut props = BTreeMap::new();
        for (h, v) in headers.iter().zip(rec.iter()) {
            let v = v.trim();
            let value = if v.is_empty() {
                Value::Null
            } else {
                Value::Text(v.to_string())
            };
            props.insert(h.clone(), value);
        }
        let id = ["id", "ID", "code"]
            .iter()
            .find_map(|k| props.get(*k).and_then(Value::as_text));
        file.push(
            index,
            id,
            props,
            geometry_cols.read(&|i| rec.get(i).unwrap_or("")),
        );
    }
    Ok(file)
}

/// Where a row's geometry is: longitude and latitude columns, or a WKT column.
pub(super) enum Geom {
    LonLat(usize, usize),
    Wkt(usize),
}

impl Geom {
    /// The geometry columns among `headers` (named by the options, or by the defaults).
    pub(super) fn find(headers: &[String], opts: &ReadOptions, path: &Path) -> Result<Self> {
        let wkt_col = find(headers, opts.wkt_field.as_deref(), WKT, path)?;
        let (lon_col, lat_col) = if wkt_col.is_some() && opts.lon_field.is_none() {
            (None, None)
        } else {
            (
                find(headers, opts.lon_field.as_deref(), LON, path)?,
                find(headers, opts.lat_field.as_deref(), LAT, path)?,
            )
        };
        match (lon_col, lat_col, wkt_col) {
            (Some(x), Some(y), _) => Ok(Geom::LonLat(x, y)),
            (_, _, Some(w)) => Ok(Geom::Wkt(w)),
            _ => Err(Error::usage(
                path,
                format!(
                    "no coordinate columns: name them with --lon-field/--lat-field or --wkt-field (columns are {})",
                    column_list(headers)
                ),
            )),
        }
    }

    /// A row's geometry; `cell` gives its cells by column.
    pub(super) fn read<'a>(
        &self,
        cell: &dyn Fn(usize) -> &'a str,
    ) -> std::result::Result<Geometry<f64>, String> {
        match *self {
            Geom::LonLat(x, y) => {
                let (sx, sy) = (cell(x).trim(), cell(y).trim());
                if sx.is_empty() || sy.is_empty() {
                    return Err("empty coordinates".into());
                }
                match (sx.parse::<f64>(), sy.parse::<f64>()) {
                    (Ok(x), Ok(y)) if x.is_finite() && y.is_finite() => {
                        Ok(Geometry::Point(Point(Coord { x, y })))
                    }
                    _ => Err(format!("coordinates are not numbers: ({sx:?}, {sy:?})")),
                }
            }
            Geom::Wkt(w) => {
                let s = cell(w).trim();
                if s.is_empty() {
                    return Err("empty WKT geometry".into());
                }
                parse_wkt(s)
            }
        }
    }
}

/// Parses WKT into a geometry, with a message naming the problem.
pub(crate) fn parse_wkt(s: &str) -> std::result::Result<Geometry<f64>, String> {
    use std::str::FromStr;
    let w = wkt::Wkt::<f64>::from_str(s).map_err(|e| format!("invalid WKT: {e}"))?;
    let g = Geometry::try_from(w).map_err(|e| format!("unsupported WKT geometry: {e}"))?;
    if geo_is_empty(&g) {
        return Err("empty geometry".into());
    }
    Ok(g)
}

fn geo_is_empty(g: &Geometry<f64>) -> bool {
    use geo::CoordsIter;
    g.coords_count() == 0
}

//! ESRI Shapefiles: geometry from the .shp (shapefile crate), attributes from the .dbf with
//! the encoding of the .cpg, or `--encoding`, or GBK by default (Chinese data), falling back
//! to UTF-8 when GBK does not decode. The .prj gives the CRS (as WKT, through PROJ).

use super::text::encoding_for_label;
use super::{RawFile, ReadOptions, Value, dbf};
use crate::{CrsSpec, Error, Result};
use encoding_rs::{GBK, UTF_8};
use geo_types::Geometry;
use std::collections::BTreeMap;
use std::path::Path;

pub(super) fn read(path: &Path, opts: &ReadOptions) -> Result<RawFile> {
    let shp = super::read_bytes(path)?;
    let dbf_path = path.with_extension("dbf");
    let dbf_bytes = std::fs::read(&dbf_path).map_err(|e| Error::io(&dbf_path, e))?;
    let cpg = std::fs::read_to_string(path.with_extension("cpg")).ok();
    let (table, encoding) = match (opts.encoding.as_deref(), cpg.as_deref()) {
        (Some(label), _) | (None, Some(label)) => {
            let enc = encoding_for_label(label).ok_or_else(|| {
                Error::format(&dbf_path, format!("unknown encoding {:?}", label.trim()))
            })?;
            let t = dbf::parse(&dbf_bytes, enc).map_err(|m| Error::format(&dbf_path, m))?;
            (t, enc.name())
        }
        (None, None) => match dbf::parse(&dbf_bytes, GBK) {
            Ok(t) => (t, "GBK"),
            Err(gbk_err) => match dbf::parse(&dbf_bytes, UTF_8) {
                Ok(t) => (t, "UTF-8"),
                Err(_) => {
                    return Err(Error::format(
                        &dbf_path,
                        format!("{gbk_err}; there is no .cpg: give --encoding"),
                    ));
                }
            },
        },
    };
    let crs = match std::fs::read_to_string(path.with_extension("prj")) {
        Ok(wkt) if !wkt.trim().is_empty() => Some(CrsSpec::Wkt(wkt.trim().to_string())),
        _ => None,
    };
    let mut reader = shapefile::ShapeReader::new(std::io::Cursor::new(shp))
        .map_err(|e| Error::format(path, format!("not a valid .shp: {e}")))?;
    let mut file = RawFile {
        crs,
        encoding: Some(encoding),
        fields: table.fields.clone(),
        ..RawFile::default()
    };
    let mut shapes = reader.iter_shapes().enumerate();
    while let Some((index, shape)) = shapes.next() {
        file.total += 1;
        let shape = match shape {
            Ok(s) => s,
            Err(e) => {
                return Err(Error::format(
                    path,
                    format!("shape {index} is damaged: {e}"),
                ));
            }
        };
        let Some(values) = table.records.get(index) else {
            let total = index + 1 + shapes.count();
            return Err(count_mismatch(path, total, table.records.len()));
        };
        if values.is_empty() {
            continue; // deleted record
        }
        let props: BTreeMap<String, Value> = table
            .fields
            .iter()
            .cloned()
            .zip(values.iter().cloned())
            .collect();
        let id = props
            .get("id")
            .or_else(|| props.get("ID"))
            .and_then(Value::as_text);
        let geometry = match shape {
            shapefile::Shape::NullShape => Err("has no geometry (null shape)".to_string()),
            s => Geometry::<f64>::try_from(s).map_err(|e| format!("unsupported shape: {e}")),
        };
        file.push(index, id, props, geometry);
    }
    if table.records.len() != file.total {
        return Err(count_mismatch(path, file.total, table.records.len()));
    }
    Ok(file)
}

/// A .shp and a .dbf that do not pair up record for record: which row belongs to which
/// shape is unknowable, so nothing is imported.
fn count_mismatch(path: &Path, shapes: usize, records: usize) -> Error {
    Error::format(
        path,
        format!(
            "the .shp has {shapes} shapes but the .dbf has {records} records: they must pair one to one (a file of the pair was replaced or truncated); nothing was imported"
        ),
    )
}

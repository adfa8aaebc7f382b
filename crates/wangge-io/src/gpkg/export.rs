//! Exports a workspace layer as GeoJSON, CSV (WKT geometry, UTF-8 with BOM for Excel), an
//! Excel workbook (typed cells: numbers, dates; points as lon/lat, other geometry left out) or
//! a GeoPackage holding that one layer.

use crate::gpkg::{GRIDS, GROUPS, GeoPackage, LAYERS, Layer};
use crate::store::prelude::*;
use crate::{Error, Result};
use geo_types::Geometry;
use rusqlite::types::ValueRef;
use std::path::Path;
use wangge_core::Dataset;

/// Export formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    GeoJson,
    Csv,
    Xlsx,
    GeoPackage,
    Shapefile,
}

impl Format {
    /// From the output file's extension.
    pub fn of(path: &Path) -> Result<Self> {
        let ext = path
            .extension()
            .map(|e| e.to_string_lossy().to_lowercase())
            .unwrap_or_default();
        Ok(match ext.as_str() {
            "geojson" | "json" => Self::GeoJson,
            "csv" => Self::Csv,
            "xlsx" => Self::Xlsx,
            "gpkg" => Self::GeoPackage,
            "shp" => Self::Shapefile,
            _ => {
                return Err(Error::usage(
                    path,
                    "unknown output format; use .geojson, .csv, .xlsx, .gpkg or .shp",
                ));
            }
        })
    }
}

/// Finds a layer by name.
pub fn layer(name: &str) -> Result<&'static Layer> {
    if name == GRIDS.name {
        return Ok(&GRIDS);
    }
    if name == GROUPS.name {
        return Ok(&GROUPS);
    }
    LAYERS
        .iter()
        .find(|l| l.name == name)
        .ok_or_else(|| Error::Usage {
            path: name.into(),
            message: format!(
                "no such layer; layers are {}",
                LAYERS
                    .iter()
                    .map(|l| l.name)
                    .chain([GRIDS.name, GROUPS.name])
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        })
}

/// Writes one layer to `out`; returns the number of features written. Grids are those of
/// `plan`, or of the newest plan.
pub fn export(
    store: &GeoPackage,
    layer_name: &str,
    out: &Path,
    plan: Option<i64>,
) -> Result<usize> {
    export_with(
        store,
        layer_name,
        out,
        &ExportOptions {
            plan,
            ..ExportOptions::default()
        },
    )
}

/// How a layer is exported, beyond its name and file.
#[derive(Debug, Clone, Copy, Default)]
pub struct ExportOptions<'a> {
    /// The plan version of grids and residents' groups (default: the newest).
    pub plan: Option<i64>,
    /// A Shapefile's text encoding: `utf-8` (default) or `gbk` for older Chinese GIS
    /// software, written to the .cpg.
    pub encoding: Option<&'a str>,
    /// The workspace a GeoPackage export names as its source (default: this file's path;
    /// a temporary copy names the workspace it was made from).
    pub source: Option<&'a str>,
}

// Long: one match over the export format (GeoJSON, CSV, GeoPackage, Shapefile), each arm a
// short writer over the same layer read.
/// Like [`export`], with the options given.
pub fn export_with(
    store: &GeoPackage,
    layer_name: &str,
    out: &Path,
    opts: &ExportOptions<'_>,
) -> Result<usize> {
    let layer = layer(layer_name)?;
    let plan = opts.plan;
    let plan = if layer.name == GRIDS.name || layer.name == GROUPS.name {
        let p = match plan {
            Some(p) if !store.plans()?.iter().any(|v| v.id == p) => {
                return Err(Error::NotFound {
                    path: store.path().to_path_buf(),
                    message: format!("has no plan {p}; `wangge plan list` shows the versions"),
                });
            }
            Some(p) => Some(p),
            None => store.latest_plan()?,
        };
        Some(p.ok_or_else(|| {
            Error::usage(
                store.path(),
                "has no grid plan yet: run wangge partition first",
            )
        })?)
    } else {
        None
    };
    let format = Format::of(out)?;
    // Written beside the target under a temporary name and renamed on success: a failed
    // export (a full disk, a bad value) leaves the old file, or none, never a truncated one.
    // A symlink is followed (the link stays, the file it names is replaced); a target that is
    // not a plain file (a device, a pipe) is written in place.
    let resolved = std::fs::canonicalize(out).ok();
    if resolved
        .as_ref()
        .and_then(|p| std::fs::metadata(p).ok())
        .is_some_and(|m| !m.is_file())
    {
        return export_to(store, layer, plan, out, opts, format);
    }
    let target = resolved.unwrap_or_else(|| out.to_path_buf());
    let name = |p: &Path| {
        p.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    };
    let tmp = target.with_file_name(format!(".partial-{}-{}", std::process::id(), name(&target)));
    match export_to(store, layer, plan, &tmp, opts, format) {
        Ok(n) => {
            for (from, to) in companions(format, &tmp)
                .into_iter()
                .zip(companions(format, &target))
            {
                if from.exists() {
                    std::fs::rename(&from, &to).map_err(|e| Error::io(&to, e))?;
                }
            }
            Ok(n)
        }
        Err(e) => {
            for f in companions(format, &tmp) {
                let _ = std::fs::remove_file(f);
            }
            Err(e)
        }
    }
}

/// The files an export writes: the target, and a Shapefile's .shx, .dbf, .cpg and .prj.
fn companions(format: Format, p: &Path) -> Vec<std::path::PathBuf> {
    match format {
        Format::Shapefile => ["shp", "shx", "dbf", "cpg", "prj"]
            .iter()
            .map(|e| p.with_extension(e))
            .collect(),
        _ => vec![p.to_path_buf()],
    }
}

// Long: one arm per format, each writing its file whole.
fn export_to(
    store: &GeoPackage,
    layer: &'static Layer,
    plan: Option<i64>,
    out: &Path,
    opts: &ExportOptions<'_>,
    format: Format,
) -> Result<usize> {
    match format {
        Format::Shapefile => shapefile_out(store, layer, plan, out, opts.encoding),
        Format::GeoPackage if layer.name == GROUPS.name => Err(Error::usage(
            out,
            "residents' groups export as .geojson or .csv",
        )),
        Format::GeoPackage if layer.name == GRIDS.name => {
            let target = GeoPackage::create(out)?;
            store.copy_plan_to(&target, plan.unwrap_or_default())
        }
        Format::GeoPackage => {
            let full = if layer.name == "incidents" {
                store.load()?
            } else {
                store.load_places()?
            };
            let mut one = Dataset::default();
            match layer.name {
                "communities" => one.communities = full.communities,
                "buildings" => one.buildings = full.buildings,
                "address_points" => one.address_points = full.address_points,
                "facilities" => one.facilities = full.facilities,
                "streets" => one.streets = full.streets,
                "land_cover" => one.land_cover = full.land_cover,
                "components" => one.components = full.components,
                _ => one.incidents = full.incidents,
            }
            let n = one.len();
            let mut target = GeoPackage::create(out)?;
            let source = opts
                .source
                .map_or_else(|| store.path().display().to_string(), str::to_string);
            target.write(&one, "export", &source, &wangge_core::NoProgress)?;
            Ok(n)
        }
        Format::GeoJson => {
            let mut features = Vec::new();
            store.read_layer_where(layer, plan, |g, key, row| {
                let mut props = serde_json::Map::new();
                props.insert("key".into(), key.into());
                for (i, (col, _)) in layer.columns.iter().enumerate() {
                    props.insert(col.to_string(), json(row.get_ref(i + 3)?));
                }
                features.push(geojson::Feature {
                    bbox: None,
                    geometry: Some(geojson::Geometry::from(&g)),
                    id: None,
                    properties: Some(props),
                    foreign_members: None,
                });
                Ok(())
            })?;
            let n = features.len();
            let fc = geojson::FeatureCollection {
                bbox: None,
                features,
                foreign_members: None,
            };
            std::fs::write(out, fc.to_string()).map_err(|e| Error::io(out, e))?;
            Ok(n)
        }
        Format::Xlsx => xlsx_out(store, layer, plan, out),
        Format::Csv => {
            let err = |e: csv::Error| Error::format(out, format!("cannot write: {e}"));
            let mut bytes = b"\xEF\xBB\xBF".to_vec();
            let mut n = 0;
            {
                let mut w = csv::Writer::from_writer(&mut bytes);
                let mut header = vec!["key".to_string(), "wkt".to_string()];
                header.extend(layer.columns.iter().map(|c| c.0.to_string()));
                w.write_record(&header).map_err(err)?;
                let mut failure = None;
                store.read_layer_where(layer, plan, |g, key, row| {
                    let mut rec = vec![key, wkt_of(&g)];
                    for i in 0..layer.columns.len() {
                        rec.push(match row.get_ref(i + 3)? {
                            ValueRef::Null => String::new(),
                            ValueRef::Integer(v) => v.to_string(),
                            ValueRef::Real(v) => v.to_string(),
                            ValueRef::Text(t) => String::from_utf8_lossy(t).into_owned(),
                            ValueRef::Blob(_) => String::new(),
                        });
                    }
                    if let Err(e) = w.write_record(&rec) {
                        failure = Some(e);
                    }
                    n += 1;
                    Ok(())
                })?;
                if let Some(e) = failure {
                    return Err(err(e));
                }
                w.flush().map_err(|e| Error::io(out, e))?;
            }
            std::fs::write(out, bytes).map_err(|e| Error::io(out, e))?;
            Ok(n)
        }
    }
}

/// A layer as one sheet: key, lon/lat of points, then the layer's columns typed (numbers as
/// numbers, DATETIME columns as Excel dates in local time, text as text). Polygons and lines
/// have no cell form that Excel users read (and a WKT cell stops at 32,767 characters): for
/// their geometry, export .geojson, .gpkg or .shp.
fn xlsx_out(
    store: &GeoPackage,
    layer: &'static Layer,
    plan: Option<i64>,
    out: &Path,
) -> Result<usize> {
    use crate::xlsx::Cell;
    let points = layer.geometry_type == "POINT" || layer.geometry_type == "GEOMETRY";
    let mut header: Vec<&str> = vec!["key"];
    if points {
        header.extend(["lon", "lat"]);
    }
    header.extend(layer.columns.iter().map(|c| c.0));
    let mut rows = Vec::new();
    store.read_layer_where(layer, plan, |g, key, row| {
        let mut cells = vec![Cell::Text(key)];
        if points {
            match g {
                Geometry::Point(p) => cells.extend([Cell::Number(p.x()), Cell::Number(p.y())]),
                _ => cells.extend([Cell::Empty, Cell::Empty]),
            }
        }
        for (i, (_, ty)) in layer.columns.iter().enumerate() {
            cells.push(match row.get_ref(i + 3)? {
                ValueRef::Null | ValueRef::Blob(_) => Cell::Empty,
                ValueRef::Integer(v) => Cell::Number(v as f64),
                ValueRef::Real(v) => Cell::Number(v),
                ValueRef::Text(t) => {
                    let text = String::from_utf8_lossy(t).into_owned();
                    if ty.starts_with("DATETIME") {
                        wangge_core::Timestamp::parse(&text, 0).map_or(Cell::Text(text), Cell::Time)
                    } else {
                        Cell::Text(text)
                    }
                }
            });
        }
        rows.push(cells);
        Ok(())
    })?;
    crate::xlsx::write_table(out, layer.name, &header, &rows)?;
    Ok(rows.len())
}

fn json(v: ValueRef<'_>) -> serde_json::Value {
    match v {
        ValueRef::Null | ValueRef::Blob(_) => serde_json::Value::Null,
        ValueRef::Integer(i) => i.into(),
        ValueRef::Real(f) => {
            serde_json::Number::from_f64(f).map_or(serde_json::Value::Null, Into::into)
        }
        ValueRef::Text(t) => String::from_utf8_lossy(t).into_owned().into(),
    }
}

fn wkt_of(g: &Geometry<f64>) -> String {
    use wkt::ToWkt;
    g.wkt_string()
}

/// Short, unique dBASE field names (10 bytes at most).
fn dbf_names(columns: &[&str]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for c in columns {
        let mut name: String = c.chars().take(10).collect();
        let mut k = 1;
        while out.contains(&name) {
            let tail = format!("{k}");
            name = format!(
                "{}{tail}",
                c.chars().take(10 - tail.len()).collect::<String>()
            );
            k += 1;
        }
        out.push(name);
    }
    out
}

const ESRI_WGS84: &str = r#"GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]"#;

fn shapefile_out(
    store: &GeoPackage,
    layer: &Layer,
    plan: Option<i64>,
    out: &Path,
    encoding: Option<&str>,
) -> Result<usize> {
    use dbase::{FieldName, FieldValue, Record, TableWriterBuilder};
    let enc = crate::read::encoding_for_label(encoding.unwrap_or("utf-8")).ok_or_else(|| {
        Error::usage(
            out,
            format!("unknown encoding {:?}", encoding.unwrap_or("")),
        )
    })?;
    let err = |e: String| Error::format(out, format!("cannot write the Shapefile: {e}"));
    // The shapefile crate shows its dBASE errors as Debug dumps; their own Display is a
    // sentence.
    let sentence = |e: shapefile::Error| match e {
        shapefile::Error::DbaseError(d) => d.to_string(),
        e => e.to_string(),
    };
    let mut columns: Vec<(&str, &str)> = vec![("key", "TEXT")];
    columns.extend(layer.columns.iter().copied());
    let names = dbf_names(&columns.iter().map(|c| c.0).collect::<Vec<_>>());
    let mut builder = TableWriterBuilder::with_encoding(dbase::encoding::EncodingRs::from(enc));
    for ((_, ty), name) in columns.iter().zip(&names) {
        let field = FieldName::try_from(name.as_str()).map_err(|e| err(e.to_string()))?;
        builder = if ty.starts_with("INTEGER") || ty.starts_with("BOOLEAN") {
            builder.add_numeric_field(field, 18, 0)
        } else if ty.starts_with("REAL") {
            builder.add_numeric_field(field, 24, 6)
        } else {
            builder.add_character_field(field, 254)
        };
    }
    let mut writer = shapefile::Writer::from_path(out, builder).map_err(|e| err(sentence(e)))?;
    let mut n = 0;
    let mut failure: Option<String> = None;
    store.read_layer_where(layer, plan, |g, key, row| {
        let mut rec = Record::default();
        rec.insert(names[0].clone(), FieldValue::Character(Some(key)));
        for (i, ((_, ty), name)) in columns.iter().zip(&names).enumerate().skip(1) {
            let v = row.get_ref(i + 2)?;
            let value = match v {
                ValueRef::Null => FieldValue::Character(None),
                ValueRef::Integer(x) => FieldValue::Numeric(Some(x as f64)),
                ValueRef::Real(x) => FieldValue::Numeric(Some(x)),
                ValueRef::Text(t) if ty.starts_with("INTEGER") || ty.starts_with("REAL") => {
                    FieldValue::Numeric(String::from_utf8_lossy(t).parse().ok())
                }
                ValueRef::Text(t) => {
                    FieldValue::Character(Some(String::from_utf8_lossy(t).into_owned()))
                }
                ValueRef::Blob(_) => FieldValue::Character(None),
            };
            rec.insert(name.clone(), value);
        }
        let written = match shapefile::Shape::try_from(g) {
            Ok(shapefile::Shape::Polygon(p)) => {
                writer.write_shape_and_record(&p, &rec).map_err(sentence)
            }
            Ok(shapefile::Shape::Point(p)) => {
                writer.write_shape_and_record(&p, &rec).map_err(sentence)
            }
            Ok(shapefile::Shape::Polyline(p)) => {
                writer.write_shape_and_record(&p, &rec).map_err(sentence)
            }
            Ok(other) => Err(format!("unsupported shape type {}", other.shapetype())),
            Err(e) => Err(e.to_string()),
        };
        match written {
            Ok(()) => n += 1,
            Err(e) => {
                failure.get_or_insert(e);
            }
        }
        Ok(())
    })?;
    drop(writer);
    if let Some(e) = failure {
        return Err(err(e));
    }
    std::fs::write(out.with_extension("cpg"), enc.name())
        .map_err(|e| Error::io(out.with_extension("cpg"), e))?;
    std::fs::write(out.with_extension("prj"), ESRI_WGS84)
        .map_err(|e| Error::io(out.with_extension("prj"), e))?;
    Ok(n)
}

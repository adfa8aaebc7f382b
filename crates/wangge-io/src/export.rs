//! Exports a workspace layer as GeoJSON, CSV (WKT geometry, UTF-8 with BOM for Excel) or a
//! GeoPackage holding that one layer.

use crate::gpkg::{GRIDS, GROUPS, LAYERS, Layer, Store};
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
    GeoPackage,
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
            "gpkg" => Self::GeoPackage,
            _ => {
                return Err(Error::usage(
                    path,
                    "unknown output format; use .geojson, .csv or .gpkg",
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
pub fn export(store: &Store, layer_name: &str, out: &Path, plan: Option<i64>) -> Result<usize> {
    let layer = layer(layer_name)?;
    let plan = if layer.name == GRIDS.name || layer.name == GROUPS.name {
        let p = match plan {
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
    match Format::of(out)? {
        Format::GeoPackage if layer.name == GROUPS.name => Err(Error::usage(
            out,
            "residents' groups export as .geojson or .csv",
        )),
        Format::GeoPackage if layer.name == GRIDS.name => {
            if out.exists() {
                std::fs::remove_file(out).map_err(|e| Error::io(out, e))?;
            }
            let target = Store::create(out)?;
            store.copy_plan_to(&target, plan.unwrap_or_default())
        }
        Format::GeoPackage => {
            if out.exists() {
                std::fs::remove_file(out).map_err(|e| Error::io(out, e))?;
            }
            let full = store.load()?;
            let mut one = Dataset::default();
            match layer.name {
                "communities" => one.communities = full.communities,
                "buildings" => one.buildings = full.buildings,
                "address_points" => one.address_points = full.address_points,
                "facilities" => one.facilities = full.facilities,
                "streets" => one.streets = full.streets,
                _ => one.incidents = full.incidents,
            }
            let n = one.len();
            let mut target = Store::create(out)?;
            target.write(
                &one,
                "export",
                &store.path().display().to_string(),
                &wangge_core::NoProgress,
            )?;
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

//! Walking service areas of a coverage run as a polygon layer (`service_areas`), so that
//! tiles, QGIS and GDAL see them; created on first use.

use super::geometry::encode;
use super::schema::{Layer, layer_ddl};
use super::store::GeoPackage;
use crate::Result;
use crate::store::ServiceArea;
use geo_types::{Geometry, MultiPolygon};
use rusqlite::params;

/// The layer.
pub const SERVICE_AREAS: Layer = Layer {
    name: "service_areas",
    geometry_type: "MULTIPOLYGON",
    description: "Walking service areas per coverage run, facility category and minutes",
    columns: &[
        ("run_id", "INTEGER NOT NULL"),
        ("category", "TEXT NOT NULL"),
        ("minutes", "INTEGER NOT NULL"),
        ("area_m2", "REAL NOT NULL"),
        ("facilities", "INTEGER NOT NULL"),
    ],
};

pub(super) fn write_service_areas(
    store: &GeoPackage,
    run: i64,
    areas: &[ServiceArea],
) -> Result<usize> {
    let sql = store.sql();
    let tx = store.connection().unchecked_transaction().map_err(&sql)?;
    if !store.has_table(SERVICE_AREAS.name)? {
        tx.execute_batch(&layer_ddl(&SERVICE_AREAS)).map_err(&sql)?;
    }
    {
        let mut ins = tx
            .prepare("INSERT INTO service_areas (geom, key, run_id, category, minutes, area_m2, facilities) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")
            .map_err(&sql)?;
        for a in areas {
            ins.execute(params![
                encode(&Geometry::MultiPolygon(a.geometry.clone()), 4326),
                format!("{run}:{}:{}", a.category, a.minutes),
                run,
                a.category,
                a.minutes,
                a.area_m2,
                a.facilities as i64
            ])
            .map_err(&sql)?;
        }
    }
    tx.commit().map_err(&sql)?;
    Ok(areas.len())
}

pub(super) fn latest_service_areas(store: &GeoPackage) -> Result<Vec<ServiceArea>> {
    if !store.has_table(SERVICE_AREAS.name)? {
        return Ok(Vec::new());
    }
    let sql = store.sql();
    let run: Option<i64> = store
        .connection()
        .query_row("SELECT max(run_id) FROM service_areas", [], |r| r.get(0))
        .map_err(&sql)?;
    let mut out = Vec::new();
    let Some(run) = run else { return Ok(out) };
    store.read_layer_where(&SERVICE_AREAS, None, |g, _key, row| {
        let r: i64 = row.get(3)?;
        if r == run {
            let geometry = match g {
                Geometry::MultiPolygon(m) => m,
                Geometry::Polygon(p) => MultiPolygon(vec![p]),
                _ => MultiPolygon(vec![]),
            };
            out.push(ServiceArea {
                category: row.get(4)?,
                minutes: row.get(5)?,
                area_m2: row.get(6)?,
                facilities: row.get::<_, i64>(7)? as usize,
                geometry,
            });
        }
        Ok(())
    })?;
    Ok(out)
}

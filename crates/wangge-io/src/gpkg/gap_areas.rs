//! Gap areas (households out of reach of a category or life circle) as a polygon layer
//! (`gap_areas`), written by `wangge gaps`: each run replaces the areas of the same question.

use super::geometry::encode;
use super::schema::{Layer, layer_ddl};
use super::store::GeoPackage;
use crate::Result;
use crate::store::GapArea;
use geo_types::{Geometry, MultiPolygon};
use rusqlite::params;

/// The layer.
pub const GAP_AREAS: Layer = Layer {
    name: "gap_areas",
    geometry_type: "MULTIPOLYGON",
    description: "Areas of households out of walking reach, per question (category or circle)",
    columns: &[
        ("what", "TEXT NOT NULL"),
        ("rank", "INTEGER NOT NULL"),
        ("community", "TEXT NOT NULL"),
        ("households", "INTEGER NOT NULL"),
        ("points", "INTEGER NOT NULL"),
        ("area_m2", "REAL NOT NULL"),
    ],
};

pub(super) fn write_gap_areas(store: &GeoPackage, what: &str, areas: &[GapArea]) -> Result<usize> {
    let sql = store.sql();
    let tx = store.connection().unchecked_transaction().map_err(&sql)?;
    if !store.has_table(GAP_AREAS.name)? {
        tx.execute_batch(&layer_ddl(&GAP_AREAS)).map_err(&sql)?;
    }
    tx.execute("DELETE FROM gap_areas WHERE what = ?1", [what])
        .map_err(&sql)?;
    {
        let mut ins = tx
            .prepare("INSERT INTO gap_areas (geom, key, what, rank, community, households, points, area_m2) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)")
            .map_err(&sql)?;
        for a in areas {
            ins.execute(params![
                encode(&Geometry::MultiPolygon(a.geometry.clone()), 4326),
                format!("{what}:{}", a.rank),
                a.what,
                a.rank as i64,
                a.community,
                a.households as i64,
                a.points as i64,
                a.area_m2
            ])
            .map_err(&sql)?;
        }
    }
    tx.commit().map_err(&sql)?;
    Ok(areas.len())
}

pub(super) fn gap_areas(store: &GeoPackage) -> Result<Vec<GapArea>> {
    let mut out = Vec::new();
    if !store.has_table(GAP_AREAS.name)? {
        return Ok(out);
    }
    store.read_layer(&GAP_AREAS, |g, _key, row| {
        let geometry = match g {
            Geometry::MultiPolygon(m) => m,
            Geometry::Polygon(p) => MultiPolygon(vec![p]),
            _ => MultiPolygon(vec![]),
        };
        out.push(GapArea {
            what: row.get(3)?,
            rank: row.get::<_, i64>(4)? as usize,
            community: row.get(5)?,
            households: row.get::<_, i64>(6)? as u64,
            points: row.get::<_, i64>(7)? as usize,
            area_m2: row.get(8)?,
            geometry,
        });
        Ok(())
    })?;
    Ok(out)
}

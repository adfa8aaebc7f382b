//! A plan version's grids as a planner reads them: polygon, households, buildings, workers and
//! compactness, and the planner's name for the version.

use super::schema::{GRIDS, GROUPS};
use super::store::GeoPackage;
use crate::store::prelude::*;
use crate::store::{GridRow, GridShape, GroupShape};
use crate::{Error, Result};
use geo_types::Geometry;
use std::collections::{HashMap, HashSet};

pub(super) fn plan_grid_rows(store: &GeoPackage, plan: i64) -> Result<Vec<GridRow>> {
    let members = store.plan_members(plan)?;
    let sql = store.sql();
    let mut building_of: HashMap<String, String> = HashMap::new();
    {
        let mut stmt = store
            .connection()
            .prepare("SELECT key, building_key FROM address_points WHERE building_key IS NOT NULL")
            .map_err(&sql)?;
        let rows = stmt
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
            .map_err(&sql)?;
        for r in rows {
            let (k, b) = r.map_err(&sql)?;
            building_of.insert(k, b);
        }
    }
    let mut buildings: HashMap<&str, HashSet<&str>> = HashMap::new();
    for (k, g, _) in &members {
        let b = building_of.get(k).map_or(k.as_str(), String::as_str);
        buildings.entry(g.as_str()).or_default().insert(b);
    }
    let mut out = Vec::new();
    store.read_layer_where(&GRIDS, Some(plan), |g, _key, row| {
        let code: String = row.get(4)?;
        let n = buildings.get(code.as_str()).map_or(0, HashSet::len) as u32;
        if let Geometry::Polygon(polygon) = g {
            out.push(GridRow {
                community: row.get(5)?,
                households: row.get(6)?,
                workers: row.get(7)?,
                area_m2: row.get(8)?,
                polsby_popper: row.get(9)?,
                reock: row.get(10)?,
                buildings: n,
                polygon,
                code,
            });
        }
        Ok(())
    })?;
    out.sort_by(|a, b| a.code.cmp(&b.code));
    Ok(out)
}

pub(super) fn name_plan(store: &GeoPackage, plan: i64, name: &str) -> Result<()> {
    store.plans()?;
    let sql = store.sql();
    let name = name.trim();
    let n = store
        .connection()
        .execute(
            "UPDATE plans SET name = ?2 WHERE id = ?1",
            rusqlite::params![plan, (!name.is_empty()).then_some(name)],
        )
        .map_err(&sql)?;
    if n == 0 {
        return Err(Error::usage(
            store.path(),
            format!("has no plan {plan}; `wangge plan list` shows the versions"),
        ));
    }
    Ok(())
}

pub(super) fn plan_grid_shapes(store: &GeoPackage, plan: i64) -> Result<Vec<GridShape>> {
    let mut out = Vec::new();
    store.read_layer_where(&GRIDS, Some(plan), |g, _key, row| {
        if let Geometry::Polygon(polygon) = g {
            out.push(GridShape {
                code: row.get(4)?,
                community: row.get(5)?,
                households: row.get(6)?,
                workers: row.get(7)?,
                polygon,
            });
        }
        Ok(())
    })?;
    Ok(out)
}

pub(super) fn plan_group_shapes(store: &GeoPackage, plan: i64) -> Result<Vec<GroupShape>> {
    let mut out = Vec::new();
    if !store.has_table(GROUPS.name)? {
        return Ok(out);
    }
    store.read_layer_where(&GROUPS, Some(plan), |g, _key, row| {
        if let Geometry::Polygon(polygon) = g {
            out.push(GroupShape {
                code: row.get(4)?,
                grid: row.get(5)?,
                households: row.get(6)?,
                polygon,
            });
        }
        Ok(())
    })?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_plan_cannot_be_named() {
        let dir = tempfile::tempdir().expect("dir");
        let store = GeoPackage::create(dir.path().join("w.gpkg")).expect("create");
        let e = store.name_plan(7, "方案A").expect_err("no plan 7");
        assert!(e.to_string().contains("no plan 7"), "{e}");
    }
}

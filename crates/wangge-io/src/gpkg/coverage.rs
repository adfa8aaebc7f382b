//! Coverage results in the workspace: `coverage_runs` (one row per `wangge coverage`, with
//! the categories it could not judge), `coverage_points` (one row per address point of the
//! newest run: its `fid` and one `CATEGORY_m` column per category, the walking distance to
//! the nearest facility or NULL beyond reach), the point layer `coverage_points_map` (a
//! view: address point geometry with those columns, for QGIS) and `coverage_summary`
//! (shares per grid, community and in total, per threshold and category, and the
//! life-circle completeness rates; every run; `judged` 0 and share NULL for "no data").
//! Created on first use, registered as GeoPackage attribute tables and a feature view.

use super::gap_areas;
use super::service_areas;
use super::store::GeoPackage;
use crate::store::CoverageStore;
use crate::store::{CoverageRun, GapArea, ServiceArea};
use crate::{Error, Result};
use rusqlite::params;
use std::collections::HashMap;

const DDL: &str = "
CREATE TABLE IF NOT EXISTS coverage_runs (
  id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
  created DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  plan_id INTEGER, minutes TEXT NOT NULL, metric TEXT NOT NULL, catalogue TEXT NOT NULL,
  network_nodes INTEGER NOT NULL, network_edges INTEGER NOT NULL, network_km REAL NOT NULL,
  points INTEGER NOT NULL, unsnapped_points INTEGER NOT NULL, facilities INTEGER NOT NULL,
  unsnapped_facilities INTEGER NOT NULL, warnings TEXT NOT NULL DEFAULT '');
CREATE TABLE IF NOT EXISTS coverage_summary (
  run_id INTEGER NOT NULL, level TEXT NOT NULL, area TEXT NOT NULL, minutes INTEGER NOT NULL,
  category TEXT NOT NULL, households INTEGER NOT NULL, covered INTEGER NOT NULL, share REAL,
  judged INTEGER NOT NULL DEFAULT 1);
";

/// A category as a column name: `"primary_school_m"`, quoted.
fn column(category: &str) -> String {
    format!("\"{}_m\"", category.replace('"', "\"\""))
}

impl GeoPackage {
    /// The `fid` of each address point key: one pass in fid order (the order `load` reads
    /// them in), a lookup only when the keys come in another order.
    fn address_fids(&self, keys: &[&str]) -> Result<Vec<i64>> {
        let sql = self.sql();
        let mut stmt = self
            .connection()
            .prepare("SELECT fid, key FROM address_points ORDER BY fid")
            .map_err(&sql)?;
        let rows: Vec<(i64, String)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(&sql)?
            .collect::<std::result::Result<_, _>>()
            .map_err(&sql)?;
        if rows.len() == keys.len() && rows.iter().zip(keys).all(|((_, a), b)| a == b) {
            return Ok(rows.into_iter().map(|(f, _)| f).collect());
        }
        let by_key: HashMap<&str, i64> = rows.iter().map(|(f, k)| (k.as_str(), *f)).collect();
        keys.iter()
            .map(|k| {
                by_key.get(k).copied().ok_or_else(|| Error::Workspace {
                    path: self.path().to_path_buf(),
                    message: format!(
                        "coverage of address point {k:?}, which is not in the workspace"
                    ),
                })
            })
            .collect()
    }
}

impl CoverageStore for GeoPackage {
    // Long: one transaction: run, per-point distances (one column per category) and summaries.
    fn write_coverage(&self, run: &CoverageRun) -> Result<i64> {
        let sql = self.sql();
        let fids = self.address_fids(&run.keys)?;
        let conn = self.connection();
        let tx = conn.unchecked_transaction().map_err(&sql)?;
        if !self.has_table("coverage_runs")? {
            tx.execute_batch(DDL).map_err(&sql)?;
            for t in ["coverage_runs", "coverage_summary"] {
                register(&tx, t).map_err(&sql)?;
            }
        }
        // Workspaces written before warnings and "no data" were stored.
        for (t, c, ty) in [
            ("coverage_runs", "warnings", "TEXT NOT NULL DEFAULT ''"),
            ("coverage_summary", "judged", "INTEGER NOT NULL DEFAULT 1"),
        ] {
            if !self.has_column(t, c)? {
                tx.execute_batch(&format!("ALTER TABLE {t} ADD COLUMN {c} {ty}"))
                    .map_err(&sql)?;
            }
        }
        tx.execute(
            "INSERT INTO coverage_runs (plan_id, minutes, metric, catalogue, network_nodes, network_edges, network_km, points, unsnapped_points, facilities, unsnapped_facilities, warnings) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
            params![
                run.plan_id,
                run.minutes,
                run.metric,
                run.catalogue,
                run.network_nodes as i64,
                run.network_edges as i64,
                run.network_km,
                run.points as i64,
                run.unsnapped_points as i64,
                run.facilities as i64,
                run.unsnapped_facilities as i64,
                run.warnings.join("\n"),
            ],
        )
        .map_err(&sql)?;
        let id = tx.last_insert_rowid();
        // The per-point table's columns are the run's categories: rebuilt every run.
        tx.execute_batch(
            "DROP VIEW IF EXISTS coverage_points_map; DROP TABLE IF EXISTS coverage_points;
             DELETE FROM gpkg_geometry_columns WHERE table_name = 'coverage_points_map';
             DELETE FROM gpkg_contents WHERE table_name IN ('coverage_points', 'coverage_points_map');",
        )
        .map_err(&sql)?;
        let cols: Vec<String> = run.walk_m.iter().map(|(c, _)| column(c)).collect();
        let typed: String = cols.iter().map(|c| format!(", {c} REAL")).collect();
        tx.execute_batch(&format!(
            "CREATE TABLE coverage_points (fid INTEGER PRIMARY KEY NOT NULL, run_id INTEGER NOT NULL{typed});
             CREATE VIEW coverage_points_map AS SELECT a.fid AS fid, a.geom AS geom, a.key AS key,
               a.households AS households{} FROM address_points a JOIN coverage_points c ON c.fid = a.fid;",
            cols.iter().map(|c| format!(", c.{c}")).collect::<String>()
        ))
        .map_err(&sql)?;
        register(&tx, "coverage_points").map_err(&sql)?;
        tx.execute_batch(
            "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, srs_id)
               VALUES ('coverage_points_map', 'features', 'coverage_points_map',
                       'Walking distance (m) per category from each address point, newest coverage run', 4326);
             INSERT INTO gpkg_geometry_columns VALUES ('coverage_points_map', 'geom', 'POINT', 4326, 0, 0);",
        )
        .map_err(&sql)?;
        {
            let marks: String = (0..cols.len()).map(|i| format!(", ?{}", i + 3)).collect();
            let mut ins = tx
                .prepare(&format!(
                    "INSERT INTO coverage_points (fid, run_id{}) VALUES (?1, ?2{marks})",
                    cols.iter().map(|c| format!(", {c}")).collect::<String>()
                ))
                .map_err(&sql)?;
            let mut values: Vec<Option<f64>> = vec![None; cols.len()];
            for (p, fid) in fids.iter().enumerate() {
                for (v, (_, w)) in values.iter_mut().zip(&run.walk_m) {
                    *v = w.get(p).copied().filter(|w| w.is_finite());
                }
                ins.raw_bind_parameter(1, fid).map_err(&sql)?;
                ins.raw_bind_parameter(2, id).map_err(&sql)?;
                for (i, v) in values.iter().enumerate() {
                    ins.raw_bind_parameter(i + 3, v).map_err(&sql)?;
                }
                ins.raw_execute().map_err(&sql)?;
            }
            let mut ins = tx
                .prepare("INSERT INTO coverage_summary (run_id, level, area, minutes, category, households, covered, share, judged) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)")
                .map_err(&sql)?;
            for (level, area, minutes, cat, hh, cov) in &run.summary {
                let share = cov.filter(|_| *hh > 0).map(|c| c as f64 / *hh as f64);
                ins.execute(params![
                    id,
                    level,
                    area,
                    minutes,
                    cat,
                    *hh as i64,
                    cov.unwrap_or(0) as i64,
                    share,
                    cov.is_some()
                ])
                .map_err(&sql)?;
            }
        }
        tx.commit().map_err(&sql)?;
        Ok(id)
    }

    fn write_gap_areas(&self, what: &str, areas: &[GapArea]) -> Result<usize> {
        gap_areas::write_gap_areas(self, what, areas)
    }

    fn gap_areas(&self) -> Result<Vec<GapArea>> {
        gap_areas::gap_areas(self)
    }

    fn write_service_areas(&self, run: i64, areas: &[ServiceArea]) -> Result<usize> {
        service_areas::write_service_areas(self, run, areas)
    }

    fn latest_service_areas(&self) -> Result<Vec<ServiceArea>> {
        service_areas::latest_service_areas(self)
    }
}

fn register(tx: &rusqlite::Transaction, table: &str) -> rusqlite::Result<usize> {
    tx.execute(
        "INSERT INTO gpkg_contents (table_name, data_type, identifier, description) VALUES (?1, 'attributes', ?1, 'Wangge walking coverage')",
        [table],
    )
}

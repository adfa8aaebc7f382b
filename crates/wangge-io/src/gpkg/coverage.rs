//! Coverage results in the workspace: `coverage_runs` (one row per `wangge coverage`),
//! `coverage_points` (walking distance from every address point to the nearest facility of
//! each category; the newest run only) and `coverage_summary` (shares per grid, community and
//! in total, per threshold and category, and the life-circle completeness rates; every run).
//! Created on first use, registered as GeoPackage attribute tables.

use super::store::Store;
use crate::Result;
use rusqlite::params;

const DDL: &str = "
CREATE TABLE IF NOT EXISTS coverage_runs (
  id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
  created DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  plan_id INTEGER, minutes TEXT NOT NULL, metric TEXT NOT NULL, catalogue TEXT NOT NULL,
  network_nodes INTEGER NOT NULL, network_edges INTEGER NOT NULL, network_km REAL NOT NULL,
  points INTEGER NOT NULL, unsnapped_points INTEGER NOT NULL, facilities INTEGER NOT NULL,
  unsnapped_facilities INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS coverage_points (
  run_id INTEGER NOT NULL, address_key TEXT NOT NULL, category TEXT NOT NULL, walk_m REAL,
  PRIMARY KEY (run_id, address_key, category));
CREATE TABLE IF NOT EXISTS coverage_summary (
  run_id INTEGER NOT NULL, level TEXT NOT NULL, area TEXT NOT NULL, minutes INTEGER NOT NULL,
  category TEXT NOT NULL, households INTEGER NOT NULL, covered INTEGER NOT NULL, share REAL);
";

/// One run to store.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CoverageRun {
    pub plan_id: Option<i64>,
    pub minutes: String,
    /// `walk 4.0 km/h`, `standard distances`, ...
    pub metric: String,
    /// The catalogue text used.
    pub catalogue: String,
    pub network_nodes: usize,
    pub network_edges: usize,
    pub network_km: f64,
    pub points: usize,
    pub unsnapped_points: usize,
    pub facilities: usize,
    pub unsnapped_facilities: usize,
    /// (address key, category, walking metres or `None` when not reached).
    pub walks: Vec<(String, String, Option<f64>)>,
    /// (level, area, minutes, category or `complete`, households, covered).
    pub summary: Vec<(String, String, u32, String, u64, u64)>,
}

impl Store {
    /// Stores a coverage run in one transaction; returns its id. Older runs keep their
    /// summaries; their per-point rows are replaced by this run's.
    pub fn write_coverage(&self, run: &CoverageRun) -> Result<i64> {
        let sql = self.sql();
        let conn = self.connection();
        let tx = conn.unchecked_transaction().map_err(&sql)?;
        if !self.has_table("coverage_runs")? {
            tx.execute_batch(DDL).map_err(&sql)?;
            for t in ["coverage_runs", "coverage_points", "coverage_summary"] {
                tx.execute(
                    "INSERT INTO gpkg_contents (table_name, data_type, identifier, description) VALUES (?1, 'attributes', ?1, 'Wangge walking coverage')",
                    [t],
                )
                .map_err(&sql)?;
            }
        }
        tx.execute(
            "INSERT INTO coverage_runs (plan_id, minutes, metric, catalogue, network_nodes, network_edges, network_km, points, unsnapped_points, facilities, unsnapped_facilities) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
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
                run.unsnapped_facilities as i64
            ],
        )
        .map_err(&sql)?;
        let id = tx.last_insert_rowid();
        tx.execute("DELETE FROM coverage_points", [])
            .map_err(&sql)?;
        {
            let mut ins = tx
                .prepare("INSERT INTO coverage_points (run_id, address_key, category, walk_m) VALUES (?1, ?2, ?3, ?4)")
                .map_err(&sql)?;
            for (k, c, w) in &run.walks {
                ins.execute(params![id, k, c, w]).map_err(&sql)?;
            }
            let mut ins = tx
                .prepare("INSERT INTO coverage_summary (run_id, level, area, minutes, category, households, covered, share) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)")
                .map_err(&sql)?;
            for (level, area, minutes, cat, hh, cov) in &run.summary {
                let share = (*hh > 0).then(|| *cov as f64 / *hh as f64);
                ins.execute(params![
                    id,
                    level,
                    area,
                    minutes,
                    cat,
                    *hh as i64,
                    *cov as i64,
                    share
                ])
                .map_err(&sql)?;
            }
        }
        tx.commit().map_err(&sql)?;
        Ok(id)
    }
}

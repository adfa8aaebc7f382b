//! Releases of the social-condition index: each published month is stored with its
//! parameters, its canonical inputs and results and their SHA-256, so a figure can be traced
//! to what it was computed from and recomputed (`wangge report verify`).

use super::store::GeoPackage;
use crate::store::prelude::*;
use crate::store::{Release, ReleaseLine};
use crate::{Error, Result};
use rusqlite::OptionalExtension;
use wangge_core::kpi::IndexRun;

const DDL: &str = "
CREATE TABLE IF NOT EXISTS index_releases (
  id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
  created DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  month TEXT NOT NULL, level TEXT NOT NULL,
  params TEXT NOT NULL, params_sha256 TEXT NOT NULL,
  inputs_csv TEXT NOT NULL, inputs_sha256 TEXT NOT NULL,
  results_csv TEXT NOT NULL, results_sha256 TEXT NOT NULL,
  store_digest TEXT NOT NULL);
INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, description)
  VALUES ('index_releases', 'attributes', 'index_releases', 'Released social-condition index months (audit records)');
";

pub(super) fn release_index(store: &GeoPackage, run: &IndexRun, params: &str) -> Result<i64> {
    let sql = store.sql();
    GeoPackage::ddl(store.connection(), DDL).map_err(&sql)?;
    let digest = format!("{:016x}", store.digest()?);
    store.connection()
        .execute(
            "INSERT INTO index_releases (month, level, params, params_sha256, inputs_csv, inputs_sha256, results_csv, results_sha256, store_digest)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            rusqlite::params![run.month, run.level.as_str(), params, run.params_sha256, run.inputs_csv,
                run.inputs_sha256, run.results_csv, run.results_sha256, digest],
        )
        .map_err(&sql)?;
    Ok(store.connection().last_insert_rowid())
}

pub(super) fn index_release(store: &GeoPackage, id: i64) -> Result<Release> {
    let missing = || {
        Error::usage(
            store.path(),
            format!("has no index release {id}; `wangge report releases` lists them"),
        )
    };
    if !store.has_table("index_releases")? {
        return Err(missing());
    }
    store.connection()
        .query_row(
            "SELECT id, created, month, level, params, params_sha256, inputs_csv, inputs_sha256, results_csv, results_sha256, store_digest
             FROM index_releases WHERE id = ?1",
            [id],
            |r| {
                Ok(Release {
                    id: r.get(0)?,
                    created: r.get(1)?,
                    month: r.get(2)?,
                    level: r.get(3)?,
                    params: r.get(4)?,
                    params_sha256: r.get(5)?,
                    inputs_csv: r.get(6)?,
                    inputs_sha256: r.get(7)?,
                    results_csv: r.get(8)?,
                    results_sha256: r.get(9)?,
                    store_digest: r.get(10)?,
                })
            },
        )
        .optional()
        .map_err(store.sql())?
        .ok_or_else(missing)
}

pub(super) fn index_releases(store: &GeoPackage) -> Result<Vec<ReleaseLine>> {
    if !store.has_table("index_releases")? {
        return Ok(Vec::new());
    }
    let sql = store.sql();
    let mut stmt = store
        .connection()
        .prepare("SELECT id, created, month, level, results_sha256 FROM index_releases ORDER BY id")
        .map_err(&sql)?;
    let rows = stmt
        .query_map([], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })
        .map_err(&sql)?;
    rows.collect::<std::result::Result<_, _>>().map_err(&sql)
}

pub(super) fn restore_release(store: &GeoPackage, r: &Release) -> Result<()> {
    let sql = store.sql();
    GeoPackage::ddl(store.connection(), DDL).map_err(&sql)?;
    store.connection()
        .execute(
            "INSERT INTO index_releases (id, created, month, level, params, params_sha256, inputs_csv, inputs_sha256, results_csv, results_sha256, store_digest)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            rusqlite::params![r.id, r.created, r.month, r.level, r.params, r.params_sha256, r.inputs_csv,
                r.inputs_sha256, r.results_csv, r.results_sha256, r.store_digest],
        )
        .map_err(&sql)?;
    Ok(())
}

//! Releases of the social-condition index on PostgreSQL: each published month is stored with
//! its parameters, its canonical inputs and results and their SHA-256, and the workspace's
//! content digest, so a figure can be traced to what it was computed from and recomputed.

use super::{PgStore, iso};
use postgres::Row;
use wangge_core::kpi::IndexRun;
use wangge_io::store::prelude::*;
use wangge_io::store::{Release, ReleaseLine};
use wangge_io::{Error, Result};

pub(super) fn release_index(store: &PgStore, run: &IndexRun, params: &str) -> Result<i64> {
    let digest = format!("{:016x}", store.digest()?);
    store
        .client()?
        .query_one(
            &store.sql(
                "INSERT INTO {s}.index_releases (month, level, params, params_sha256, inputs_csv,
                   inputs_sha256, results_csv, results_sha256, store_digest)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
            ),
            &[
                &run.month,
                &run.level.as_str(),
                &params,
                &run.params_sha256,
                &run.inputs_csv,
                &run.inputs_sha256,
                &run.results_csv,
                &run.results_sha256,
                &digest,
            ],
        )
        .map_err(store.err())?
        .try_get(0)
        .map_err(store.err())
}

/// A release from a row of every column, `created` as text.
fn release(store: &PgStore, r: &Row) -> Result<Release> {
    let e = store.err();
    Ok(Release {
        id: r.try_get(0).map_err(&e)?,
        created: r.try_get(1).map_err(&e)?,
        month: r.try_get(2).map_err(&e)?,
        level: r.try_get(3).map_err(&e)?,
        params: r.try_get(4).map_err(&e)?,
        params_sha256: r.try_get(5).map_err(&e)?,
        inputs_csv: r.try_get(6).map_err(&e)?,
        inputs_sha256: r.try_get(7).map_err(&e)?,
        results_csv: r.try_get(8).map_err(&e)?,
        results_sha256: r.try_get(9).map_err(&e)?,
        store_digest: r.try_get(10).map_err(&e)?,
    })
}

pub(super) fn index_release(store: &PgStore, id: i64) -> Result<Release> {
    let row = store
        .client()?
        .query_opt(
            &store.sql(&format!(
                "SELECT id, {}, month, level, params, params_sha256, inputs_csv, inputs_sha256,
                   results_csv, results_sha256, store_digest
                 FROM {{s}}.index_releases WHERE id = $1",
                iso("created")
            )),
            &[&id],
        )
        .map_err(store.err())?;
    match row {
        Some(r) => release(store, &r),
        None => Err(Error::Usage {
            path: store.path(),
            message: format!("has no index release {id}; `wangge report releases` lists them"),
        }),
    }
}

pub(super) fn index_releases(store: &PgStore) -> Result<Vec<ReleaseLine>> {
    let e = store.err();
    let rows = store
        .client()?
        .query(
            &store.sql(&format!(
                "SELECT id, {}, month, level, results_sha256 FROM {{s}}.index_releases ORDER BY id",
                iso("created")
            )),
            &[],
        )
        .map_err(&e)?;
    let mut out: Vec<ReleaseLine> = Vec::with_capacity(rows.len());
    for r in &rows {
        out.push((
            r.try_get(0).map_err(&e)?,
            r.try_get(1).map_err(&e)?,
            r.try_get(2).map_err(&e)?,
            r.try_get(3).map_err(&e)?,
            r.try_get(4).map_err(&e)?,
        ));
    }
    Ok(out)
}

pub(super) fn restore_release(store: &PgStore, r: &Release) -> Result<()> {
    let mut client = store.client()?;
    let mut tx = client.transaction().map_err(store.err())?;
    tx.execute(
        &store.sql(
            "INSERT INTO {s}.index_releases (id, created, month, level, params, params_sha256,
               inputs_csv, inputs_sha256, results_csv, results_sha256, store_digest)
             VALUES ($1, $2::text::timestamptz, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        ),
        &[
            &r.id,
            &r.created,
            &r.month,
            &r.level,
            &r.params,
            &r.params_sha256,
            &r.inputs_csv,
            &r.inputs_sha256,
            &r.results_csv,
            &r.results_sha256,
            &r.store_digest,
        ],
    )
    .map_err(store.err())?;
    tx.execute(
        &store.sql(
            "SELECT setval(pg_get_serial_sequence('{s}.index_releases', 'id'),
                           greatest((SELECT max(id) FROM {s}.index_releases), 1))",
        ),
        &[],
    )
    .map_err(store.err())?;
    tx.commit().map_err(store.err())
}

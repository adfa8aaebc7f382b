//! An incident as a row of `{s}.incidents`: the columns read, rows selected and decoded, one incident
//! found by key and locked for a change.

use super::{PgStore, unix};
use geo_types::Geometry;
use postgres::types::{ToSql, Type};
use postgres::{Row, Transaction};
use wangge_core::{Incident, IncidentSource, IncidentStatus, Timestamp};
use wangge_io::{Error, Result};

/// One incident by its partition's month (`$1`, text) and id (`$2`): the month given as a
/// value, so the planner reads that partition alone (a join through `incident_keys` is
/// planned over every month's partition: 0.6 ms a lookup at 10 million incidents, against
/// 0.1 ms for the two statements). Both sent with their types (`query_typed`: one round trip
/// each, where a statement prepared first takes three).
fn by_month_id() -> String {
    format!("WHERE i.month = {} AND i.id = $2", month_param(1))
}

/// The partition month given as text (`YYYY-MM-DD`, written by `to_char`, whatever the
/// session's DateStyle; parameter `$n`) as a date the planner
/// folds with the value (`::date` from text is not immutable, so a statement comparing the
/// month with it is planned over every partition: 0.6 ms against 0.1 ms, in `psql`).
pub(super) fn month_param(n: u8) -> String {
    format!("make_date(split_part(${n}, '-', 1)::int, split_part(${n}, '-', 2)::int, 1)")
}

/// The id and partition month (text) of the incident `key`.
fn id_month(
    store: &PgStore,
    client: &mut impl postgres::GenericClient,
    key: &str,
) -> Result<Option<(i64, String)>> {
    let row = client
        .query_typed_opt(
            &store.sql(
                "SELECT id, to_char(month, 'YYYY-MM-DD') FROM {s}.incident_keys WHERE key = $1",
            ),
            &[(&key, Type::TEXT)],
        )
        .map_err(store.err())?;
    row.map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
        .transpose()
        .map_err(store.err())
}

/// The incident `key`, with its id.
pub(super) fn by_key(store: &PgStore, key: &str) -> Result<Option<(i64, Incident)>> {
    let mut client = store.client()?;
    let Some((id, month)) = id_month(store, &mut *client, key)? else {
        return Ok(None);
    };
    let q = store.sql(&format!(
        "SELECT {} FROM {{s}}.incidents i {}",
        columns(),
        by_month_id()
    ));
    let row = client
        .query_typed_opt(&q, &[(&month, Type::TEXT), (&id, Type::INT8)])
        .map_err(store.err())?;
    row.map(|r| incident_row(store, &r)).transpose()
}

/// The columns [`incident_row`] reads, of `{s}.incidents i`.
pub(super) fn columns() -> String {
    format!(
        "i.id, i.geom, i.key, {}, i.category, i.source, i.status, i.raw_category, \
         i.community, i.grid, {}, {}, {}, {}, i.component",
        unix("i.time"),
        unix("i.dispatched_at"),
        unix("i.handled_at"),
        unix("i.followed_up_at"),
        unix("i.closed_at"),
    )
}

/// SQL of the first day of the local (+08:00) month of `t` (Unix seconds): the partition key.
pub(super) fn month_of(t: &str) -> String {
    format!(
        "date_trunc('month', (to_timestamp({t}) AT TIME ZONE 'UTC') + interval '8 hours')::date"
    )
}

/// Incidents of `SELECT <columns> FROM {s}.incidents i <tail>`.
pub(super) fn select_incidents(
    store: &PgStore,
    tail: &str,
    params: &[&(dyn ToSql + Sync)],
) -> Result<Vec<(i64, Incident)>> {
    let q = store.sql(&format!(
        "SELECT {} FROM {{s}}.incidents i {tail}",
        columns()
    ));
    let rows = store.client()?.query(&q, params).map_err(store.err())?;
    rows.iter().map(|r| incident_row(store, r)).collect()
}

/// An incident from a row of [`columns`], with its id.
pub(super) fn incident_row(store: &PgStore, r: &Row) -> Result<(i64, Incident)> {
    let e = store.err();
    let id: i64 = r.try_get(0).map_err(&e)?;
    let key: String = r.try_get(2).map_err(&e)?;
    let bad = |what: String| store.damaged(format!("incident {key}: {what}"));
    let blob: super::Ewkb = r.try_get(1).map_err(&e)?;
    let location = match super::from_ewkb(&blob.0) {
        Some(Geometry::Point(p)) => p,
        _ => return Err(bad("geometry is damaged".into())),
    };
    let time = Timestamp::from_unix(r.try_get(3).map_err(&e)?);
    let category: String = r.try_get(4).map_err(&e)?;
    let source_text: String = r.try_get(5).map_err(&e)?;
    let source = IncidentSource::parse(&source_text)
        .map_err(|x| bad(format!("source {source_text:?}: {x}")))?;
    let status_text: String = r.try_get(6).map_err(&e)?;
    let status = IncidentStatus::parse(&status_text)
        .map_err(|x| bad(format!("status {status_text:?}: {x}")))?;
    let raw_category: Option<String> = r.try_get(7).map_err(&e)?;
    let community: Option<String> = r.try_get(8).map_err(&e)?;
    let grid: Option<String> = r.try_get(9).map_err(&e)?;
    let mut steps = [None; 4];
    for (n, s) in steps.iter_mut().enumerate() {
        *s = r
            .try_get::<_, Option<i64>>(10 + n)
            .map_err(&e)?
            .map(Timestamp::from_unix);
    }
    let component: Option<String> = r.try_get(14).map_err(&e)?;
    Ok((
        id,
        Incident {
            key,
            time,
            category,
            raw_category,
            source,
            status,
            location,
            community,
            grid,
            component,
            steps,
        },
    ))
}

/// The incident `key` locked for update in `tx` (transitions and extensions of one incident
/// take turns), with its partition's month as text.
pub(super) fn locked(
    store: &PgStore,
    tx: &mut Transaction<'_>,
    key: &str,
) -> Result<(i64, Incident, String)> {
    let not_found = || Error::NotFound {
        path: store.path(),
        message: format!("no incident {key:?}"),
    };
    let (id, month) = id_month(store, tx, key)?.ok_or_else(not_found)?;
    let q = store.sql(&format!(
        "SELECT {}, to_char(i.month, 'YYYY-MM-DD') FROM {{s}}.incidents i {} FOR UPDATE OF i",
        columns(),
        by_month_id()
    ));
    let row = tx
        .query_typed_opt(&q, &[(&month, Type::TEXT), (&id, Type::INT8)])
        .map_err(store.err())?
        .ok_or_else(not_found)?;
    let (id, inc) = incident_row(store, &row)?;
    let month: String = row.try_get(15).map_err(store.err())?;
    Ok((id, inc, month))
}

//! Incidents on PostgreSQL: durable batch ingest (idempotent by key: keys are claimed in
//! `incident_keys` across the month partitions, rows and steps written with bulk `unnest`
//! inserts), queries with filters and paging, closed-loop transitions serialised on the
//! incident's row with an append-only step trail (`incident_steps`), reassignment and the
//! wall screen's summary.

use super::incident_rows::{by_key, columns, incident_row, month_of, select_incidents};
use super::{
    PgStore, case_events, feed, from_wkb, index_tallies, kpi_cases, kpi_rows, kpi_since, releases,
    unix, wkb,
};
use geo_types::{Geometry, Point};
use postgres::types::ToSql;
use postgres::{IsolationLevel, Transaction};
use std::collections::{HashMap, HashSet};
use wangge_core::kpi::{Case, IndexRun, IndexTally, Level, TimeLimits};
use wangge_core::{Incident, IncidentStatus, Timestamp};
use wangge_io::store::prelude::*;
use wangge_io::store::{
    IncidentEvent, IncidentQuery, IncidentStore, IncidentSummary, Ingested, KpiTable, Release,
    ReleaseLine,
};
use wangge_io::{Error, Result};

/// Parameters of a statement built from filters.
type Params = Vec<Box<dyn ToSql + Sync>>;

/// A stored report as [`refuse_clashes`] compares it: Unix time, category, source, WKB.
type Stored = (i64, String, String, Vec<u8>, Option<String>);

/// Every incident, oldest first (for loading a whole workspace).
pub(super) fn all(store: &PgStore) -> Result<Vec<Incident>> {
    Ok(select_incidents(store, "ORDER BY i.id", &[])?
        .into_iter()
        .map(|(_, i)| i)
        .collect())
}

/// Stores a batch in `tx`: the months' partitions made, keys claimed (a key already stored,
/// or repeated in the batch, is listed as existing and must name the same report), rows and
/// the steps they have reached written. The caller commits.
pub(super) fn insert_batch(
    store: &PgStore,
    tx: &mut Transaction<'_>,
    batch: &[Incident],
    steps: bool,
) -> Result<Ingested> {
    let e = store.err();
    let mut out = Ingested::default();
    if batch.is_empty() {
        return Ok(out);
    }
    // Batches write alongside each other; each takes the data version's row only to publish
    // (`publish`, at the end), so feed numbers follow commit order.
    let times: Vec<i64> = batch.iter().map(|i| i.time.unix()).collect();
    tx.execute(
        &store.sql(&format!(
            "SELECT {{s}}.incident_month(m)
             FROM (SELECT DISTINCT {} AS m FROM unnest($1::bigint[]) AS u(t)) AS months",
            month_of("u.t")
        )),
        &[&times],
    )
    .map_err(&e)?;
    let mut seen = HashSet::with_capacity(batch.len());
    let first: Vec<&Incident> = batch
        .iter()
        .filter(|i| seen.insert(i.key.as_str()))
        .collect();
    // A block of ids in one call (not one `nextval` a row: 4 ms of 12 for 1,000 keys); a key
    // already stored leaves its id unused. Keys go in in key order: two batches sharing keys
    // wait for each other in one order, never in a cycle.
    let n = big(first.len());
    let last: i64 = tx
        .query_one(&store.sql("SELECT {s}.take_incident_ids($1)"), &[&n])
        .map_err(&e)?
        .try_get(0)
        .map_err(&e)?;
    let keys: Vec<&str> = first.iter().map(|i| i.key.as_str()).collect();
    let key_ids: Vec<i64> = (last - n + 1..=last).collect();
    let key_times: Vec<i64> = first.iter().map(|i| i.time.unix()).collect();
    let claimed = tx
        .query(
            &store.sql(&format!(
                "INSERT INTO {{s}}.incident_keys (key, id, month)
                 SELECT u.k, u.id, {}
                 FROM unnest($1::text[], $2::bigint[], $3::bigint[]) AS u(k, id, t)
                 ORDER BY u.k
                 ON CONFLICT (key) DO NOTHING
                 RETURNING key, id",
                month_of("u.t")
            )),
            &[&keys, &key_ids, &key_times],
        )
        .map_err(&e)?;
    let mut ids: HashMap<String, i64> = HashMap::with_capacity(claimed.len());
    for r in &claimed {
        ids.insert(r.try_get(0).map_err(&e)?, r.try_get(1).map_err(&e)?);
    }
    let mut fresh: Vec<(i64, &Incident)> = Vec::with_capacity(ids.len());
    for i in batch {
        match ids.remove(&i.key) {
            Some(id) => {
                out.added.push((id, i.key.clone()));
                fresh.push((id, i));
            }
            None => out.existing.push(i.key.clone()),
        }
    }
    insert_rows(store, tx, &fresh)?;
    // An id already stored is an idempotent retry only if it names the same report.
    refuse_clashes(store, tx, batch, &out.existing)?;
    if steps {
        insert_steps(store, tx, &fresh)?;
    }
    feed::publish(store, tx, &mut out, &fresh)?;
    Ok(out)
}

/// The rows of newly claimed incidents, in one statement.
fn insert_rows(
    store: &PgStore,
    tx: &mut Transaction<'_>,
    fresh: &[(i64, &Incident)],
) -> Result<()> {
    if fresh.is_empty() {
        return Ok(());
    }
    let ids: Vec<i64> = fresh.iter().map(|f| f.0).collect();
    let keys: Vec<&str> = fresh.iter().map(|f| f.1.key.as_str()).collect();
    let times: Vec<i64> = fresh.iter().map(|f| f.1.time.unix()).collect();
    let categories: Vec<&str> = fresh.iter().map(|f| f.1.category.as_str()).collect();
    let raw: Vec<Option<&str>> = fresh.iter().map(|f| f.1.raw_category.as_deref()).collect();
    let sources: Vec<&str> = fresh.iter().map(|f| f.1.source.as_str()).collect();
    let statuses: Vec<&str> = fresh.iter().map(|f| f.1.status.as_str()).collect();
    let communities: Vec<Option<&str>> = fresh.iter().map(|f| f.1.community.as_deref()).collect();
    let grids: Vec<Option<&str>> = fresh.iter().map(|f| f.1.grid.as_deref()).collect();
    let step = |n: usize| -> Vec<Option<i64>> {
        fresh
            .iter()
            .map(|f| f.1.steps.get(n).copied().flatten().map(Timestamp::unix))
            .collect()
    };
    let (dispatched, handled, followed_up, closed) = (step(0), step(1), step(2), step(3));
    let geoms: Vec<Vec<u8>> = fresh
        .iter()
        .map(|f| wkb(&Geometry::Point(f.1.location)))
        .collect();
    let components: Vec<Option<&str>> = fresh.iter().map(|f| f.1.component.as_deref()).collect();
    tx.execute(
        &store.sql(&format!(
            "INSERT INTO {{s}}.incidents (id, key, time, month, category, raw_category, source,
               status, community, grid, dispatched_at, handled_at, followed_up_at, closed_at, geom,
               component)
             SELECT u.id, u.key, to_timestamp(u.t), {}, u.category, u.raw_category, u.source,
               u.status, u.community, u.grid, to_timestamp(u.d), to_timestamp(u.h),
               to_timestamp(u.f), to_timestamp(u.c), ST_GeomFromWKB(u.g, 4326), u.component
             FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::text[], $5::text[],
               $6::text[], $7::text[], $8::text[], $9::text[], $10::bigint[], $11::bigint[],
               $12::bigint[], $13::bigint[], $14::bytea[], $15::text[])
               AS u(id, key, t, category, raw_category, source, status, community, grid,
                    d, h, f, c, g, component)",
            month_of("u.t")
        )),
        &[
            &ids,
            &keys,
            &times,
            &categories,
            &raw,
            &sources,
            &statuses,
            &communities,
            &grids,
            &dispatched,
            &handled,
            &followed_up,
            &closed,
            &geoms,
            &components,
        ],
    )
    .map_err(store.err())?;
    Ok(())
}

/// Step rows for every step after reporting that a new incident has reached, in the loop's
/// order, each with the step recorded before it.
fn insert_steps(
    store: &PgStore,
    tx: &mut Transaction<'_>,
    fresh: &[(i64, &Incident)],
) -> Result<()> {
    let mut ids: Vec<i64> = Vec::new();
    let mut steps: Vec<&str> = Vec::new();
    let mut ats: Vec<i64> = Vec::new();
    let mut previous: Vec<&str> = Vec::new();
    for (id, i) in fresh {
        let mut before = IncidentStatus::Reported;
        for s in IncidentStatus::ALL.iter().skip(1) {
            if let Some(at) = i.at(*s) {
                ids.push(*id);
                steps.push(s.as_str());
                ats.push(at.unix());
                previous.push(before.as_str());
                before = *s;
            }
        }
    }
    if ids.is_empty() {
        return Ok(());
    }
    tx.execute(
        &store.sql(
            "INSERT INTO {s}.incident_steps (incident, step, at, previous)
             SELECT u.i, u.s, to_timestamp(u.a), u.p
             FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::text[]) AS u(i, s, a, p)",
        ),
        &[&ids, &steps, &ats, &previous],
    )
    .map_err(store.err())?;
    Ok(())
}

/// Refuses the batch when a report's id is stored with other content ("id: differences").
fn refuse_clashes(
    store: &PgStore,
    tx: &mut Transaction<'_>,
    batch: &[Incident],
    existing: &[String],
) -> Result<()> {
    if existing.is_empty() {
        return Ok(());
    }
    let e = store.err();
    let rows = tx
        .query(
            &store.sql(&format!(
                "SELECT k.key, {}, i.category, i.source, ST_AsBinary(i.geom), i.component
                 FROM {{s}}.incident_keys k JOIN {{s}}.incidents i ON i.id = k.id AND i.month = k.month
                 WHERE k.key = ANY($1::text[])",
                unix("i.time")
            )),
            &[&existing],
        )
        .map_err(&e)?;
    let mut stored: HashMap<String, Stored> = HashMap::with_capacity(rows.len());
    for r in &rows {
        stored.insert(
            r.try_get(0).map_err(&e)?,
            (
                r.try_get(1).map_err(&e)?,
                r.try_get(2).map_err(&e)?,
                r.try_get(3).map_err(&e)?,
                r.try_get(4).map_err(&e)?,
                r.try_get(5).map_err(&e)?,
            ),
        );
    }
    let existing: HashSet<&str> = existing.iter().map(String::as_str).collect();
    let mut clashes: Vec<(&str, String)> = Vec::new();
    for i in batch.iter().filter(|i| existing.contains(i.key.as_str())) {
        let Some((time, category, source, blob, component)) = stored.get(&i.key) else {
            return Err(store.damaged(format!(
                "incident {}: its key is stored without its row",
                i.key
            )));
        };
        let at = match from_wkb(blob) {
            Some(Geometry::Point(p)) => Some(p),
            _ => None,
        };
        let time = Timestamp::from_unix(*time).to_string();
        let d = wangge_io::store::report_differences(
            i,
            (&time, category, source),
            at,
            component.as_deref(),
        );
        if !d.is_empty() {
            clashes.push((i.key.as_str(), format!("{:?}: {}", i.key, d.join("; "))));
        }
    }
    match clashes.first() {
        Some((key, _)) => Err(Error::DuplicateKey {
            layer: "incidents",
            key: key.to_string(),
            message: format!(
                "is already stored as a different report ({}); nothing was stored: send a new id for a new report",
                clashes
                    .iter()
                    .map(|c| c.1.as_str())
                    .collect::<Vec<_>>()
                    .join(" | ")
            ),
        }),
        None => Ok(()),
    }
}

/// `$n` of a new parameter.
fn bind(params: &mut Params, value: impl ToSql + Sync + 'static) -> String {
    params.push(Box::new(value));
    format!("${}", params.len())
}

/// A count as `u64` (counts are never negative).
fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

/// A `usize` page size or offset as `bigint`.
pub(super) fn big(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// SQL of "reported at or after `$n`" (with the months before left out of the scan).
fn since(n: &str) -> String {
    format!(
        "time >= to_timestamp({n}::bigint) AND month >= {}",
        month_of(&format!("{n}::bigint"))
    )
}

/// A count of incidents `WHERE <filter>`.
fn count_where(
    store: &PgStore,
    tx: &mut Transaction<'_>,
    filter: &str,
    params: &[&(dyn ToSql + Sync)],
) -> Result<u64> {
    let n: i64 = tx
        .query_one(
            &store.sql(&format!(
                "SELECT count(*) FROM {{s}}.incidents WHERE {filter}"
            )),
            params,
        )
        .map_err(store.err())?
        .try_get(0)
        .map_err(store.err())?;
    Ok(count(n))
}

/// The five values of `col` most reported since `t` (ties by value, byte order).
fn top(store: &PgStore, tx: &mut Transaction<'_>, col: &str, t: i64) -> Result<Vec<(String, u64)>> {
    let e = store.err();
    let rows = tx
        .query(
            &store.sql(&format!(
                "SELECT {col}, count(*) AS n FROM {{s}}.incidents
                 WHERE {} AND {col} IS NOT NULL
                 GROUP BY {col} ORDER BY n DESC, {col} COLLATE \"C\" LIMIT 5",
                since("$1")
            )),
            &[&t],
        )
        .map_err(&e)?;
    let mut out: Vec<(String, u64)> = Vec::with_capacity(rows.len());
    for r in &rows {
        out.push((r.try_get(0).map_err(&e)?, count(r.try_get(1).map_err(&e)?)));
    }
    Ok(out)
}

/// Incidents read into the process at a time by `reassign_incidents`.
const REASSIGN_CHUNK: i32 = 50_000;

impl IncidentStore for PgStore {
    fn restore_incidents(&mut self, batch: &[Incident], events: &[IncidentEvent]) -> Result<()> {
        let mut client = self.client()?;
        let mut tx = client.transaction().map_err(self.err())?;
        let out = insert_batch(self, &mut tx, batch, false)?;
        if let Some(key) = out.existing.first() {
            return Err(Error::DuplicateKey {
                layer: "incidents",
                key: key.clone(),
                message: "is already in the workspace; nothing was copied".into(),
            });
        }
        // Each event's `previous`: the incident's status before it, replayed in order.
        let mut last: HashMap<&str, &str> = HashMap::new();
        let mut keys = Vec::with_capacity(events.len());
        let mut steps = Vec::with_capacity(events.len());
        let mut ats = Vec::with_capacity(events.len());
        let mut previous = Vec::with_capacity(events.len());
        let mut details = Vec::with_capacity(events.len());
        for e in events {
            let before = last.get(e.incident.as_str()).copied().unwrap_or("reported");
            previous.push(before);
            // Extensions and evaluations are events, not steps: the status stays.
            if e.status != "extended" && e.status != "evaluated" {
                last.insert(e.incident.as_str(), e.status.as_str());
            }
            keys.push(e.incident.as_str());
            steps.push(e.status.as_str());
            ats.push(e.at.unix());
            details.push(e.detail.as_deref());
        }
        tx.execute(
            &self.sql(
                "INSERT INTO {s}.incident_steps (incident, step, at, previous, detail)
                 SELECT k.id, u.s, to_timestamp(u.a), u.p, u.d
                 FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::text[])
                      WITH ORDINALITY AS u(k, s, a, p, d, n)
                 JOIN {s}.incident_keys k ON k.key = u.k ORDER BY u.n",
            ),
            &[&keys, &steps, &ats, &previous, &details],
        )
        .map_err(self.err())?;
        self.bump(&mut tx).map_err(self.err())?;
        tx.commit().map_err(self.err())?;
        Ok(())
    }

    fn incident_events(&self) -> Result<Vec<IncidentEvent>> {
        case_events::events(self, None)
    }

    fn restore_release(&self, release: &Release) -> Result<()> {
        releases::restore_release(self, release)
    }

    fn add_incidents(&mut self, batch: &[Incident]) -> Result<Ingested> {
        let mut client = self.client()?;
        let mut tx = client.transaction().map_err(self.err())?;
        // Publishing raises the data version (new incidents change what heat maps show).
        let out = insert_batch(self, &mut tx, batch, true)?;
        tx.commit().map_err(self.err())?;
        Ok(out)
    }

    fn max_incident_fid(&self) -> Result<i64> {
        feed::head(self)
    }

    fn incidents_after(&self, fid: i64, limit: usize) -> Result<Vec<(i64, Incident)>> {
        feed::after(self, fid, limit)
    }

    fn incident(&self, key: &str) -> Result<Option<(i64, Incident)>> {
        by_key(self, key)
    }

    fn query_incidents(&self, q: &IncidentQuery) -> Result<(u64, Vec<(i64, Incident)>)> {
        let mut params: Params = Vec::new();
        let mut cond: Vec<String> = Vec::new();
        for (col, values) in [
            ("category", q.categories.clone()),
            (
                "source",
                q.sources.iter().map(|s| s.as_str().to_string()).collect(),
            ),
            (
                "status",
                q.statuses.iter().map(|s| s.as_str().to_string()).collect(),
            ),
            ("community", q.community.clone().into_iter().collect()),
            ("grid", q.grid.clone().into_iter().collect()),
            ("component", q.component.clone().into_iter().collect()),
        ] {
            if !values.is_empty() {
                let n = bind(&mut params, values);
                cond.push(format!("i.{col} = ANY({n}::text[])"));
            }
        }
        if let Some(w) = &q.within {
            if w.is_empty() {
                cond.push("false".into());
            } else {
                let n = bind(&mut params, w.clone());
                cond.push(format!("i.community = ANY({n}::text[])"));
            }
        }
        for (t, op) in [(q.from, ">="), (q.to, "<=")] {
            if let Some(t) = t {
                let n = bind(&mut params, t.unix());
                cond.push(format!(
                    "i.time {op} to_timestamp({n}::bigint) AND i.month {op} {}",
                    month_of(&format!("{n}::bigint"))
                ));
            }
        }
        let filter = if cond.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", cond.join(" AND "))
        };
        let n = params.len();
        let limit = bind(&mut params, big(q.limit));
        let offset = bind(&mut params, big(q.offset));
        let refs: Vec<&(dyn ToSql + Sync)> = params
            .iter()
            .map(|b| b.as_ref() as &(dyn ToSql + Sync))
            .collect();
        // Count and page in one snapshot.
        let mut client = self.client()?;
        let mut tx = client
            .build_transaction()
            .isolation_level(IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .map_err(self.err())?;
        // Unfiltered: the count kept on the data version's row (every partition otherwise).
        let counted = if cond.is_empty() {
            "SELECT incidents FROM {s}.data_version".to_string()
        } else {
            format!("SELECT count(*) FROM {{s}}.incidents i {filter}")
        };
        let total: i64 = tx
            .query_one(&self.sql(&counted), &refs[..n])
            .map_err(self.err())?
            .try_get(0)
            .map_err(self.err())?;
        let rows = tx
            .query(
                &self.sql(&format!(
                    "SELECT {} FROM {{s}}.incidents i {filter} ORDER BY i.id LIMIT {limit} OFFSET {offset}",
                    columns()
                )),
                &refs,
            )
            .map_err(self.err())?;
        tx.commit().map_err(self.err())?;
        let page = rows
            .iter()
            .map(|r| incident_row(self, r))
            .collect::<Result<Vec<_>>>()?;
        Ok((count(total), page))
    }

    fn transition_incident(
        &mut self,
        key: &str,
        to: IncidentStatus,
        at: Timestamp,
    ) -> Result<(i64, Incident)> {
        let mut client = self.client()?;
        let mut tx = client.transaction().map_err(self.err())?;
        let out = case_events::step(self, &mut tx, key, to, at)?;
        self.commit_own(tx)?;
        Ok(out)
    }

    fn events_of(&self, keys: &[String]) -> Result<Vec<IncidentEvent>> {
        case_events::events(self, Some(keys))
    }

    fn assign_incident(
        &mut self,
        key: &str,
        assignment: &wangge_core::Assignment,
        by: &str,
        at: Timestamp,
    ) -> Result<(i64, Incident)> {
        case_events::assign(self, key, assignment, by, at)
    }

    fn supervise_incident(
        &mut self,
        key: &str,
        s: &wangge_core::Supervision,
        at: Timestamp,
    ) -> Result<()> {
        case_events::supervise(self, key, s, at)
    }

    fn record_assignments(
        &mut self,
        items: &[(String, wangge_core::Assignment, Timestamp)],
        by: &str,
    ) -> Result<()> {
        case_events::record(self, items, by)
    }

    fn reassign_incidents(&mut self, only_missing: bool) -> Result<(usize, usize)> {
        let assigner = self.assigner()?;
        let e = self.err();
        let mut client = self.client()?;
        let mut tx = client.transaction().map_err(&e)?;
        // A chunk of incidents at a time through a cursor (one scan of the table; the
        // process holds one chunk whatever the count); the changes gathered in a temporary
        // table and written by one statement (one join over the incidents); one transaction,
        // so the change lands whole.
        tx.batch_execute(
            "CREATE TEMPORARY TABLE wangge_reassigned (id bigint, month date, c text, g text)
             ON COMMIT DROP",
        )
        .map_err(&e)?;
        let cursor = tx
            .bind(
                &self.sql(&format!(
                    "SELECT id, to_char(month, 'YYYY-MM-DD'), ST_X(geom), ST_Y(geom), community,
                            grid
                     FROM {{s}}.incidents {}",
                    if only_missing {
                        "WHERE grid IS NULL"
                    } else {
                        ""
                    }
                )),
                &[],
            )
            .map_err(&e)?;
        let (mut seen, mut changed) = (0usize, 0usize);
        loop {
            let rows = tx.query_portal(&cursor, REASSIGN_CHUNK).map_err(&e)?;
            if rows.is_empty() {
                break;
            }
            seen += rows.len();
            let mut ids: Vec<i64> = Vec::new();
            let mut months: Vec<String> = Vec::new();
            let mut communities: Vec<Option<String>> = Vec::new();
            let mut grids: Vec<Option<String>> = Vec::new();
            for r in &rows {
                let (x, y): (f64, f64) = (r.try_get(2).map_err(&e)?, r.try_get(3).map_err(&e)?);
                let (c, g) = assigner.locate(Point::new(x, y));
                let was: (Option<String>, Option<String>) =
                    (r.try_get(4).map_err(&e)?, r.try_get(5).map_err(&e)?);
                if (c.as_deref(), g.as_deref()) != (was.0.as_deref(), was.1.as_deref()) {
                    ids.push(r.try_get(0).map_err(&e)?);
                    months.push(r.try_get(1).map_err(&e)?);
                    communities.push(c);
                    grids.push(g);
                }
            }
            if !ids.is_empty() {
                changed += ids.len();
                tx.execute(
                    "INSERT INTO wangge_reassigned
                     SELECT * FROM unnest($1::bigint[], $2::text[]::date[], $3::text[], $4::text[])",
                    &[&ids, &months, &communities, &grids],
                )
                .map_err(&e)?;
            }
        }
        drop(cursor);
        if changed > 0 {
            tx.batch_execute("ANALYZE wangge_reassigned").map_err(&e)?;
            tx.execute(
                &self.sql(
                    "UPDATE {s}.incidents AS i SET community = u.c, grid = u.g
                     FROM wangge_reassigned AS u WHERE i.month = u.month AND i.id = u.id",
                ),
                &[],
            )
            .map_err(&e)?;
        }
        // After the incidents' rows, as every writer takes the data version's row (last: a
        // step holding a case's row and waiting for it would otherwise wait on this).
        self.bump(&mut tx).map_err(&e)?;
        // Logged like an import, so a running server re-reads.
        let summary = format!("incidents={seen} changed={changed}");
        tx.execute(
            &self.sql(
                "INSERT INTO {s}.import_log (command, sources, summary) VALUES ('incidents assign', '', $1)",
            ),
            &[&summary],
        )
        .map_err(&e)?;
        tx.commit().map_err(&e)?;
        Ok((seen, changed))
    }

    fn incident_summary(
        &self,
        since_today: Timestamp,
        since_window: Timestamp,
    ) -> Result<IncidentSummary> {
        let e = self.err();
        let (today, window) = (since_today.unix(), since_window.unix());
        let mut client = self.client()?;
        let mut tx = self.snapshot(&mut client)?;
        let recent = since("$1");
        let latest_rows = tx
            .query(
                &self.sql(&format!(
                    "SELECT category, community, {}, status FROM {{s}}.incidents
                     ORDER BY time DESC, id DESC LIMIT 8",
                    unix("time")
                )),
                &[],
            )
            .map_err(&e)?;
        let mut latest: Vec<(String, Option<String>, Timestamp, String)> =
            Vec::with_capacity(latest_rows.len());
        for r in &latest_rows {
            latest.push((
                r.try_get(0).map_err(&e)?,
                r.try_get(1).map_err(&e)?,
                Timestamp::from_unix(r.try_get(2).map_err(&e)?),
                r.try_get(3).map_err(&e)?,
            ));
        }
        let summary = IncidentSummary {
            today: count_where(self, &mut tx, &recent, &[&today])?,
            open: count_where(self, &mut tx, "status <> 'closed'", &[])?,
            window_total: count_where(self, &mut tx, &recent, &[&window])?,
            window_closed: count_where(
                self,
                &mut tx,
                &format!("{recent} AND status = 'closed'"),
                &[&window],
            )?,
            top_categories: top(self, &mut tx, "category", window)?,
            top_grids: top(self, &mut tx, "grid", window)?,
            top_communities: top(self, &mut tx, "community", window)?,
            latest,
        };
        tx.commit().map_err(&e)?;
        Ok(summary)
    }

    fn kpi_cases(&self) -> Result<Vec<Case>> {
        kpi_cases::kpi_cases(self, None)
    }

    fn kpi_cases_between(&self, from: Timestamp, to: Timestamp) -> Result<Vec<Case>> {
        kpi_cases::kpi_cases(self, Some((from, to)))
    }

    fn index_tallies(
        &self,
        window: (Timestamp, Timestamp),
        level: Level,
    ) -> Result<Option<Vec<IndexTally>>> {
        index_tallies::index_tallies(self, window, level).map(Some)
    }

    fn kpi_rows(
        &self,
        window: (Timestamp, Timestamp),
        level: Level,
        limits: &TimeLimits,
        asof: Timestamp,
    ) -> Result<Option<KpiTable>> {
        kpi_rows::kpi_rows(self, window, level, limits, asof).map(Some)
    }

    fn kpi_rows_since(
        &self,
        window: (Timestamp, Timestamp),
        level: Level,
        limits: &TimeLimits,
        asof: Timestamp,
        kept: &KpiTable,
    ) -> Result<Option<KpiTable>> {
        kpi_since::kpi_rows_since(self, window, level, limits, asof, kept)
    }

    fn incident_stamp(&self) -> Result<Option<String>> {
        kpi_rows::stamp_in(self, &mut *self.client()?).map(Some)
    }

    fn status_changes(
        &self,
        after: Option<i64>,
    ) -> Result<Option<wangge_io::store::StatusChanges>> {
        super::status_changes::since(self, after).map(Some)
    }

    fn evaluate_incident(
        &mut self,
        key: &str,
        evaluation: wangge_core::kpi::Evaluation,
        note: &str,
        at: Timestamp,
    ) -> Result<()> {
        kpi_cases::evaluate_incident(self, key, evaluation, note, at)
    }

    fn incidents_per_component(
        &self,
        from: Option<Timestamp>,
        to: Option<Timestamp>,
    ) -> Result<Vec<(String, u64)>> {
        // 1900-01-01 to 9999-12-31 (what `timestamptz` holds) when not given.
        let from = from.map_or(-2_208_988_800, |t| t.unix().max(-2_208_988_800));
        let to = to.map_or(253_402_300_799, |t| t.unix().min(253_402_300_799));
        let rows = self
            .client()?
            .query(
                &self.sql(&format!(
                    "SELECT component, count(*) FROM {{s}}.incidents i
                     WHERE component IS NOT NULL
                       AND i.time >= to_timestamp($1::bigint) AND i.time < to_timestamp($2::bigint)
                       AND i.month >= {} AND i.month <= {}
                     GROUP BY component ORDER BY component COLLATE \"C\"",
                    month_of("$1::bigint"),
                    month_of("$2::bigint")
                )),
                &[&from, &to],
            )
            .map_err(self.err())?;
        rows.iter()
            .map(|r| {
                let key: String = r.try_get(0).map_err(self.err())?;
                let n: i64 = r.try_get(1).map_err(self.err())?;
                Ok((key, n as u64))
            })
            .collect()
    }

    fn incident_count(&self) -> Result<u64> {
        let n: i64 = self
            .client()?
            .query_one(&self.sql("SELECT incidents FROM {s}.data_version"), &[])
            .map_err(self.err())?
            .try_get(0)
            .map_err(self.err())?;
        Ok(n as u64)
    }

    fn extend_incident(
        &mut self,
        key: &str,
        hours: f64,
        at: Timestamp,
        reason: &str,
    ) -> Result<()> {
        kpi_cases::extend_incident(self, key, hours, at, reason)
    }

    fn release_index(&self, run: &IndexRun, params: &str) -> Result<i64> {
        releases::release_index(self, run, params)
    }

    fn index_release(&self, id: i64) -> Result<Release> {
        releases::index_release(self, id)
    }

    fn index_releases(&self) -> Result<Vec<ReleaseLine>> {
        releases::index_releases(self)
    }
}

//! A month's closed-loop KPI rows computed in SQL on PostgreSQL: the month's partition is
//! grouped by area in the database and only the rows come back, so a KPI answer neither sends
//! the month's cases to the process nor grows with them.
//!
//! `wangge_core::kpi::kpis` defines every figure; this is the same definition in SQL, term
//! by term, and the conformance suite holds it to the Rust one (`kpi_rows_agree_with_kpis`):
//! steps counted as of `asof`; filed = a recognised category in a community; on time and
//! overdue against the category's limits (`TimeLimits`, passed as arrays) plus the hours of
//! extension; reworked = dispatched more than once; the latest readable evaluation of a
//! closed case (the dispatches, extension hours, evaluation and last assignment as the
//! incident's row keeps them: `tally_steps`, migrations 11 and 12, so the steps are not read
//! here); durations as whole seconds ÷ 3600, in the same floating-point order; the median of
//! an even count as the mean of the two middle values.
//!
//! The medians come from the sorted durations of each area (`array_agg` in order), of which
//! only a window around the middle is sent back (`MedianWindow`: up to 2,048 values either
//! side of it over all areas, at least 8 an area): the middle values are read from it, and a
//! kept table's medians are brought up to date from it (`kpi_since.rs`).
//!
//! With the rows come how long they hold (`KpiTable`): the store's stamp (the data
//! version's counters, read in the rows' snapshot), the times within the next hour at which
//! open cases pass their time limits (per area: a later `asof` counts them overdue) and the
//! first later `asof` at which anything else would move by time alone (a step stamped ahead
//! of `asof` becoming known), an hour on at most, computed in the same statement.

use super::{PgStore, unix};
use std::collections::BTreeMap;
use wangge_core::Timestamp;
use wangge_core::kpi::{KpiRow, Level, TimeLimits};
use wangge_io::Result;
use wangge_io::store::{KpiTable, MedianWindow};

/// The KPI rows of the incidents reported in `[from, to)` at `level`, as of `asof`, by area.
pub(super) fn kpi_rows(
    store: &PgStore,
    window: (Timestamp, Timestamp),
    level: Level,
    limits: &TimeLimits,
    asof: Timestamp,
) -> Result<KpiTable> {
    let e = store.err();
    let mut client = store.client()?;
    let mut tx = store.snapshot(&mut client)?;
    let stamp = stamp_in(store, &mut tx)?;
    // A month's cases are read and their columns computed by parallel workers, the leader
    // grouping them: the planner's default costs of passing a row from a worker keep the
    // statement in one process, which at 10M incidents took 1.3-1.4 times as long
    // (benches/store_peers-10M-reads.md, fifteenth session). For this transaction only.
    tx.batch_execute("SET LOCAL parallel_setup_cost = 0; SET LOCAL parallel_tuple_cost = 0.0001")
        .map_err(&e)?;
    let counted = count(store, &mut tx, (window, level, limits, asof), Cases::Month)?;
    tx.commit().map_err(&e)?;
    Ok(KpiTable {
        rows: counted.rows,
        until: counted.until,
        stamp: Some(stamp),
        windows: counted.windows,
        crossings: counted.crossings,
    })
}

/// Which cases of the month a count reads.
#[derive(Clone, Copy)]
pub(super) enum Cases {
    /// All of them.
    Month,
    /// As they are now: those published in the feed after number `fed.0` up to `fed.1`, and
    /// those changed after count `changed.0` up to `changed.1` (migration 14).
    Now {
        fed: (i64, i64),
        changed: (i64, i64),
    },
    /// As they were before their first change after `changed.0` (up to `changed.1`), those
    /// published after `fed.0` (up to `fed.1`) left out: rows a kept table counted.
    Before {
        fed: (i64, i64),
        changed: (i64, i64),
    },
}

/// Rows, the time they hold to, and per area the durations: windows around the middle (the
/// month), or every value (the cases of a change).
pub(super) struct Counted {
    pub rows: Vec<KpiRow>,
    pub until: Option<Timestamp>,
    pub windows: BTreeMap<String, [MedianWindow; 4]>,
    pub crossings: BTreeMap<String, Vec<i64>>,
}

/// How far ahead the times open cases pass their limits are listed: a table holds (its rows
/// moved by them) for an hour at most.
const HORIZON: i64 = 3600;

/// The values of a window either side of the middle, for all areas of a table together
/// (about 2 × 2,048 + 1 a duration in all), and at least for one area (17 a duration): about
/// 130 kB a table of few areas, 17 × 4 × 8 bytes an area of many
/// (`PgStore::with_median_windows` sets others).
pub const MEDIAN_WINDOWS: (i64, i64) = (2048, 8);

/// The rows and the time they hold to, in `tx`'s snapshot, of the cases `cases` names.
// Long: one statement (the case columns with their steps' tallies, the limits, the grouped
// counts and durations, the time they hold to, the windows) and the rows read back.
pub(super) fn count(
    store: &PgStore,
    tx: &mut postgres::Transaction<'_>,
    ((from, to), level, limits, asof): ((Timestamp, Timestamp), Level, &TimeLimits, Timestamp),
    cases: Cases,
) -> Result<Counted> {
    let e = store.err();
    let (from, to) = (
        from.unix().max(-2_208_988_800),
        to.unix().min(253_402_300_799),
    );
    let asof = asof.unix();
    let area = match level {
        Level::Grid => "i.grid",
        Level::Community => "i.community",
        Level::Street => "m.street",
        Level::District => "'district'::text",
        Level::Department => "i.assigned_department",
        Level::Worker => "i.assigned_worker",
    };
    // The communities of record's streets, as two arrays after the other parameters.
    let record = if level == Level::Street {
        super::record::record_streets(store, tx)?
    } else {
        Default::default()
    };
    let first = if matches!(cases, Cases::Month) {
        13
    } else {
        17
    };
    let streets = if level == Level::Street {
        format!(
            "LEFT JOIN unnest(${first}::text[], ${}::text[]) AS m(key, street)
               ON m.key = i.community",
            first + 1
        )
    } else {
        String::new()
    };
    let cats: Vec<&str> = limits.by_category.keys().map(String::as_str).collect();
    let lim = |k: usize| -> Vec<f64> { limits.by_category.values().map(|l| l[k]).collect() };
    let (l0, l1, l2, l3) = (lim(0), lim(1), lim(2), lim(3));
    let d = limits.default;
    // A duration's values over the filed cases, in order.
    let durations = |col: &str| {
        format!("array_agg({col} ORDER BY {col}) FILTER (WHERE filed AND {col} IS NOT NULL)")
    };
    // The district is one group of every case: no grouping (no sort of the month by area),
    // and no row when there is no case, as grouping gives.
    let (area_out, group) = if level == Level::District {
        ("'district'::text", "HAVING count(*) > 0")
    } else {
        ("area", "GROUP BY area")
    };
    // Each level's columns are computed once a case (`OFFSET 0` keeps a level from being
    // folded into the next, where every use of a column would compute it again: the
    // deadline's expression, used seven times, took half the district's statement).
    let sql = format!(
        "WITH g AS (WITH c AS (
           SELECT {area} AS area, i.category, i.community, {t} AS t,
                  {r0} AS r0, {r1} AS r1, {r2} AS r2, {r3} AS r3,
                  i.dispatches, i.extension_h AS ext_h, i.evaluation AS ev
           FROM {cases}
           {streets}
           -- The cases in an area of the level only, before any column is computed.
           WHERE i.time >= to_timestamp($1::bigint) AND i.time < to_timestamp($2::bigint)
             AND i.month >= {m1} AND i.month <= {m2} AND {area} IS NOT NULL
           OFFSET 0),
         lim AS (
           SELECT * FROM unnest($4::text[], $5::float8[], $6::float8[], $7::float8[],
                                $8::float8[]) AS l(category, l0, l1, l2, l3)),
         k AS (
           SELECT c.area, (c.category <> 'other' AND c.community IS NOT NULL) AS filed,
                  c.t, c.dispatches, c.ext_h, c.ev, c.r0, c.r1, c.r2, c.r3,
                  -- The steps known at `asof`.
                  CASE WHEN c.r0 <= $3 THEN c.r0 END AS s0,
                  CASE WHEN c.r1 <= $3 THEN c.r1 END AS s1,
                  CASE WHEN c.r2 <= $3 THEN c.r2 END AS s2,
                  CASE WHEN c.r3 <= $3 THEN c.r3 END AS s3,
                  coalesce(lim.l0, $9) AS l0, coalesce(lim.l1, $10) AS l1,
                  coalesce(lim.l2, $11) AS l2, coalesce(lim.l3, $12) AS l3
           FROM c LEFT JOIN lim ON lim.category = c.category
           OFFSET 0),
         n AS (
           SELECT area, filed, t, s0, s3, dispatches, ext_h, ev,
                  l0 + l1 + l2 + l3 AS lsum,
                  LEAST(CASE WHEN r0 > $3 THEN r0 END, CASE WHEN r1 > $3 THEN r1 END,
                        CASE WHEN r2 > $3 THEN r2 END,
                        CASE WHEN r3 > $3 THEN r3 END)::float8 AS known_next,
                  -- The first whole second past the deadline of the step the case is in
                  -- (`overdue`: the elapsed seconds exceed the limits of the steps up to
                  -- it and the extensions), not before the report. Limits are finite (read
                  -- and checked from `time_limits.toml`; extensions positive hours).
                  CASE WHEN s3 IS NULL THEN t::float8 + floor(greatest(
                         (CASE WHEN s0 IS NULL THEN l0 WHEN s1 IS NULL THEN l0 + l1
                               WHEN s2 IS NULL THEN l0 + l1 + l2 ELSE l0 + l1 + l2 + l3 END
                          + ext_h) * 3600.0::float8, -1.0::float8)) + 1.0::float8
                  END AS overdue_at,
                  (s0 - t)::float8 / 3600.0::float8 AS d0,
                  (s1 - s0)::float8 / 3600.0::float8 AS d1,
                  (s2 - s1)::float8 / 3600.0::float8 AS d2,
                  (s3 - s2)::float8 / 3600.0::float8 AS d3
           FROM k OFFSET 0)
         SELECT {area_out} AS area, count(*) AS count, count(*) FILTER (WHERE filed) AS f1,
                count(*) FILTER (WHERE filed AND s0 IS NOT NULL) AS f2,
                count(*) FILTER (WHERE filed AND s3 IS NOT NULL) AS f3,
                count(*) FILTER (WHERE filed AND s3 IS NOT NULL
                                 AND (s3 - t)::float8 <= (lsum + ext_h) * 3600.0::float8) AS f4,
                count(*) FILTER (WHERE filed AND s3 IS NOT NULL AND dispatches > 1) AS f5,
                count(*) FILTER (WHERE filed AND ext_h > 0.0) AS f6,
                -- Past the deadline: the elapsed whole seconds exceed the limit (`asof` is
                -- at or past `overdue_at`), `asof` not before the report.
                count(*) FILTER (WHERE filed AND $3 >= t AND $3::float8 >= overdue_at) AS f7,
                count(*) FILTER (WHERE filed AND s3 IS NOT NULL AND ev = 'satisfied') AS e0,
                count(*) FILTER (WHERE filed AND s3 IS NOT NULL AND ev = 'basically_satisfied') AS e1,
                count(*) FILTER (WHERE filed AND s3 IS NOT NULL AND ev = 'dissatisfied') AS e2,
                -- A step ahead becoming known (the cases' crossings of their limits within
                -- the hour are listed, and the table held for the hour at most).
                least(min(known_next) FILTER (WHERE filed),
                      ($3 + {horizon} + 1)::float8) AS until,
                array_agg(overdue_at::bigint ORDER BY overdue_at)
                  FILTER (WHERE filed AND overdue_at > $3 AND overdue_at <= $3 + {horizon})
                  AS crossings,
                {md0} AS a0, {md1} AS a1, {md2} AS a2, {md3} AS a3
         FROM n {group}),
         w AS (SELECT g.*, greatest({least}, {budget} / count(*) OVER ())::int AS half FROM g)
         SELECT area, count, f1, f2, f3, f4, f5, f6, f7, e0, e1, e2, until,
                {win0}, {win1}, {win2}, {win3}, crossings
         FROM (SELECT w.*, {lo0}, {lo1}, {lo2}, {lo3} FROM w) x",
        cases = match cases {
            Cases::Month => "{s}.incidents i",
            Cases::Now { .. } => {
                "(SELECT * FROM {s}.incidents WHERE id IN (
                    SELECT generate_series(f.first_id, f.last_id) FROM {s}.incident_feed f
                    WHERE f.pos > $13 AND f.last_pos <= $14
                    UNION SELECT l.id FROM {s}.incident_changes l
                    WHERE l.changed > $15 AND l.changed <= $16)) i"
            }
            Cases::Before { .. } => {
                "(SELECT DISTINCT ON (l.id) l.* FROM {s}.incident_changes l
                  WHERE l.changed > $15 AND l.changed <= $16 AND NOT EXISTS (
                    SELECT 1 FROM {s}.incident_feed f WHERE f.pos > $13 AND f.last_pos <= $14
                      AND l.id BETWEEN f.first_id AND f.last_id)
                  ORDER BY l.id, l.changed) i"
            }
        },
        least = store.median_windows.1,
        horizon = HORIZON,
        // Every value of a change's few cases.
        budget = if matches!(cases, Cases::Month) {
            store.median_windows.0
        } else {
            1_000_000_000
        },
        lo0 = window_start("a0", "lo0"),
        lo1 = window_start("a1", "lo1"),
        lo2 = window_start("a2", "lo2"),
        lo3 = window_start("a3", "lo3"),
        win0 = window("a0", "lo0"),
        win1 = window("a1", "lo1"),
        win2 = window("a2", "lo2"),
        win3 = window("a3", "lo3"),
        t = unix("i.time"),
        r0 = unix("i.dispatched_at"),
        r1 = unix("i.handled_at"),
        r2 = unix("i.followed_up_at"),
        r3 = unix("i.closed_at"),
        m1 = super::incident_rows::month_of("$1::bigint"),
        m2 = super::incident_rows::month_of("$2::bigint"),
        md0 = durations("d0"),
        md1 = durations("d1"),
        md2 = durations("d2"),
        md3 = durations("d3"),
    );
    let mut params: Vec<&(dyn postgres::types::ToSql + Sync)> = vec![
        &from, &to, &asof, &cats, &l0, &l1, &l2, &l3, &d[0], &d[1], &d[2], &d[3],
    ];
    let since;
    if let Cases::Now { fed, changed } | Cases::Before { fed, changed } = cases {
        since = [fed.0, fed.1, changed.0, changed.1];
        params.extend(
            since
                .iter()
                .map(|v| v as &(dyn postgres::types::ToSql + Sync)),
        );
    }
    if level == Level::Street {
        params.push(&record.0);
        params.push(&record.1);
    }
    let rows = tx.query(&store.sql(&sql), &params).map_err(&e)?;
    let count = |r: &postgres::Row, i: usize| -> Result<u64> {
        Ok(r.try_get::<_, i64>(i).map_err(&e)? as u64)
    };
    let mut out = Vec::with_capacity(rows.len());
    let mut windows = BTreeMap::new();
    let mut crossings = BTreeMap::new();
    let mut until: Option<f64> = None;
    for r in &rows {
        // Finite: an hour on at most.
        if let Some(u) = r.try_get::<_, Option<f64>>(12).map_err(&e)?
            && u.is_finite()
        {
            until = Some(until.map_or(u, |m| m.min(u)));
        }
        let mut w: [MedianWindow; 4] = Default::default();
        for (k, w) in w.iter_mut().enumerate() {
            let (n, from, values): (i64, i64, Option<Vec<f64>>) = (
                r.try_get(13 + 3 * k).map_err(&e)?,
                r.try_get(14 + 3 * k).map_err(&e)?,
                r.try_get(15 + 3 * k).map_err(&e)?,
            );
            *w = MedianWindow {
                count: n as u64,
                from: from as u64,
                values: values.unwrap_or_default(),
            };
        }
        let median_h = [0, 1, 2, 3].map(|k| w[k].median());
        let area: String = r.try_get(0).map_err(&e)?;
        windows.insert(area.clone(), w);
        if let Some(c) = r.try_get::<_, Option<Vec<i64>>>(25).map_err(&e)? {
            crossings.insert(area.clone(), c);
        }
        out.push(KpiRow {
            area,
            reported: count(r, 1)?,
            filed: count(r, 2)?,
            dispatched: count(r, 3)?,
            closed: count(r, 4)?,
            closed_on_time: count(r, 5)?,
            reworked: count(r, 6)?,
            extended: count(r, 7)?,
            overdue: count(r, 8)?,
            median_h,
            evaluations: [count(r, 9)?, count(r, 10)?, count(r, 11)?],
        });
    }
    out.sort_by(|a, b| a.area.cmp(&b.area));
    // Past the last representable second: for ever.
    let until = until
        .filter(|u| *u <= 253_402_300_799.0)
        .map(|u| Timestamp::from_unix(u as i64));
    Ok(Counted {
        rows: out,
        until,
        windows,
        crossings,
    })
}

/// The first position (from 0) of the window of the sorted values `a`, `half` either side of
/// the middle, as `lo`.
fn window_start(a: &str, lo: &str) -> String {
    format!("greatest(0, (coalesce(cardinality({a}), 0) - 1) / 2 - half) AS {lo}")
}

/// The count of `a`, the window's first position and its values.
fn window(a: &str, lo: &str) -> String {
    format!(
        "coalesce(cardinality({a}), 0)::bigint, {lo}::bigint,
         {a}[{lo} + 1 : least(cardinality({a}), cardinality({a}) / 2 + 1 + half)]"
    )
}

/// The stamp of stored incidents (`IncidentStore::incident_stamp`) in a transaction's
/// snapshot: the schema's id, the data version (places, plans, imports, copies), the feed
/// (new incidents) and the count of statements that changed incidents (migration 13), each
/// moved at a commit.
pub(super) fn stamp_in(store: &PgStore, tx: &mut impl postgres::GenericClient) -> Result<String> {
    let e = store.err();
    // The schema's own id first: a schema dropped and made again starts its counters anew.
    let r = tx
        .query_one(
            &store.sql(
                "SELECT to_regnamespace('{s}')::oid::bigint, version, fed, changed
                 FROM {s}.data_version",
            ),
            &[],
        )
        .map_err(&e)?;
    let v = |i: usize| -> Result<i64> { r.try_get::<_, i64>(i).map_err(&e) };
    Ok(format!("o{}v{}f{}c{}", v(0)?, v(1)?, v(2)?, v(3)?))
}

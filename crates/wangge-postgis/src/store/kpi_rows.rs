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
//! an even count as the mean of the two middle values (both from one sort: `percentile_disc`
//! at one half and just above it).
//!
//! With the rows come how long they hold (`KpiTable`): the store's stamp (the data
//! version's counters, read in the rows' snapshot) and the first later `asof` at which a
//! figure would move by time alone (a step stamped ahead of `asof` becoming known, a case
//! reported after it, an open case passing its time limit), the least over the filed cases
//! of the area rows, computed in the same statement.

use super::{PgStore, unix};
use postgres::IsolationLevel;
use wangge_core::Timestamp;
use wangge_core::kpi::{KpiRow, Level, TimeLimits};
use wangge_io::Result;
use wangge_io::store::KpiTable;

/// Just above one half: `percentile_disc` at it gives the upper middle value of an even
/// count `n` (the first value whose position ÷ n reaches it is n/2 + 1 while n × 1e-13 < 1,
/// any count under ten trillion) and the middle one of an odd count.
const MIDDLE: &str = "0.5000000000001";

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
    let mut tx = client
        .build_transaction()
        .isolation_level(IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .map_err(&e)?;
    let stamp = stamp_in(store, &mut tx)?;
    let (rows, until) = count(store, &mut tx, (window, level, limits, asof), None)?;
    tx.commit().map_err(&e)?;
    Ok(KpiTable {
        rows,
        until,
        stamp: Some(stamp),
    })
}

/// `kept` (rows `kpi_rows` gave at an earlier stamp, holding at `asof`) brought up to now
/// when the only change since is new incidents (the feed moved, the data version by one an
/// entry, the count of changes not at all): the new cases' rows counted alone and added, area by area.
/// `None` when something else changed, or the new cases move a median (a step known at
/// `asof`): the month is counted again then.
pub(super) fn kpi_rows_since(
    store: &PgStore,
    window: (Timestamp, Timestamp),
    level: Level,
    limits: &TimeLimits,
    asof: Timestamp,
    kept: &KpiTable,
) -> Result<Option<KpiTable>> {
    let Some(was) = kept.stamp.as_deref().and_then(Stamp::parse) else {
        return Ok(None);
    };
    let e = store.err();
    let mut client = store.client()?;
    let mut tx = client
        .build_transaction()
        .isolation_level(IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .map_err(&e)?;
    let stamp = stamp_in(store, &mut tx)?;
    let Some(now) = Stamp::parse(&stamp) else {
        return Ok(None);
    };
    // Each ingest publishes one feed entry and moves the data version by one: any other
    // move of the version was another write.
    let entries: i64 = tx
        .query_one(
            &store.sql("SELECT count(*) FROM {s}.incident_feed WHERE pos > $1 AND last_pos <= $2"),
            &[&was.fed, &now.fed],
        )
        .and_then(|r| r.try_get(0))
        .map_err(&e)?;
    if now.changed != was.changed || now.fed < was.fed || now.version - was.version != entries {
        return Ok(None);
    }
    let (added, until) = count(
        store,
        &mut tx,
        (window, level, limits, asof),
        Some((was.fed, now.fed)),
    )?;
    tx.commit().map_err(&e)?;
    let Some(rows) = add_rows(&kept.rows, added) else {
        return Ok(None);
    };
    Ok(Some(KpiTable {
        rows,
        until: match (kept.until, until) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        },
        stamp: Some(stamp),
    }))
}

/// Rows of disjoint sets of cases added area by area (`kpis` sums every figure over the
/// cases but the medians); `None` when an added row has a median (it would move).
fn add_rows(kept: &[KpiRow], added: Vec<KpiRow>) -> Option<Vec<KpiRow>> {
    let mut out = kept.to_vec();
    for a in added {
        if a.median_h.iter().any(Option::is_some) {
            return None;
        }
        let Some(o) = out.iter_mut().find(|o| o.area == a.area) else {
            out.push(a);
            continue;
        };
        o.reported += a.reported;
        o.filed += a.filed;
        o.dispatched += a.dispatched;
        o.closed += a.closed;
        o.closed_on_time += a.closed_on_time;
        o.reworked += a.reworked;
        o.extended += a.extended;
        o.overdue += a.overdue;
        for (x, y) in o.evaluations.iter_mut().zip(a.evaluations) {
            *x += y;
        }
    }
    out.sort_by(|a, b| a.area.cmp(&b.area));
    Some(out)
}

/// The three counters of a stamp (`stamp_in`).
struct Stamp {
    version: i64,
    fed: i64,
    changed: i64,
}

impl Stamp {
    fn parse(s: &str) -> Option<Self> {
        let s = s.strip_prefix('v')?;
        let (version, s) = s.split_once('f')?;
        let (fed, changed) = s.split_once('c')?;
        Some(Self {
            version: version.parse().ok()?,
            fed: fed.parse().ok()?,
            changed: changed.parse().ok()?,
        })
    }
}

/// The rows and the time they hold to, in `tx`'s snapshot: of the month's cases, or of those
/// published in the feed after number `new.0` up to `new.1` only.
// Long: one statement (the case columns with their steps' tallies, the limits, the grouped
// counts and medians, the time they hold to) and the rows read back.
fn count(
    store: &PgStore,
    tx: &mut postgres::Transaction<'_>,
    ((from, to), level, limits, asof): ((Timestamp, Timestamp), Level, &TimeLimits, Timestamp),
    new: Option<(i64, i64)>,
) -> Result<(Vec<KpiRow>, Option<Timestamp>)> {
    let e = store.err();
    let (from, to) = (
        from.unix().max(-2_208_988_800),
        to.unix().min(253_402_300_799),
    );
    let asof = asof.unix();
    let area = match level {
        Level::Grid => "c.grid",
        Level::Community => "c.community",
        Level::Street => "m.street",
        Level::District => "'district'::text",
        Level::Department => "c.department",
        Level::Worker => "c.worker",
    };
    let streets = if level == Level::Street {
        "LEFT JOIN {s}.communities m ON m.key = c.community"
    } else {
        ""
    };
    let cats: Vec<&str> = limits.by_category.keys().map(String::as_str).collect();
    let lim = |k: usize| -> Vec<f64> { limits.by_category.values().map(|l| l[k]).collect() };
    let (l0, l1, l2, l3) = (lim(0), lim(1), lim(2), lim(3));
    let d = limits.default;
    // A step known at `asof`, as seconds since 1970.
    let known = |col: &str| format!("CASE WHEN {u} <= $3 THEN {u} END", u = unix(col));
    // The two middle values of a duration over the filed cases, from one sort: the first
    // value at or past half the count, and the first past it (the same value for an odd
    // count; `MIDDLE` exceeds 0.5 by less than 1 ÷ any count a month can hold).
    let median = |col: &str| {
        format!(
            "percentile_disc(ARRAY[0.5, {MIDDLE}]::float8[]) WITHIN GROUP (ORDER BY {col})
               FILTER (WHERE filed AND {col} IS NOT NULL)"
        )
    };
    let sql = format!(
        "WITH c AS (
           SELECT i.id, i.category, i.community, i.grid, {t} AS t,
                  {s0} AS s0, {s1} AS s1, {s2} AS s2, {s3} AS s3,
                  {r0} AS r0, {r1} AS r1, {r2} AS r2, {r3} AS r3,
                  i.dispatches, i.extension_h, i.evaluation,
                  i.assigned_department AS department, i.assigned_worker AS worker
           FROM {cases}
           WHERE i.time >= to_timestamp($1::bigint) AND i.time < to_timestamp($2::bigint)
             AND i.month >= {m1} AND i.month <= {m2}),
         lim AS (
           SELECT * FROM unnest($4::text[], $5::float8[], $6::float8[], $7::float8[],
                                $8::float8[]) AS l(category, l0, l1, l2, l3)),
         k AS (
           SELECT {area} AS area,
                  (c.category <> 'other' AND c.community IS NOT NULL) AS filed,
                  c.t, c.s0, c.s3,
                  c.dispatches, c.extension_h AS ext_h, c.evaluation AS ev,
                  coalesce(lim.l0, $9) AS l0, coalesce(lim.l1, $10) AS l1,
                  coalesce(lim.l2, $11) AS l2, coalesce(lim.l3, $12) AS l3,
                  CASE WHEN c.s0 IS NULL THEN 0 WHEN c.s1 IS NULL THEN 1
                       WHEN c.s2 IS NULL THEN 2 ELSE 3 END AS current,
                  (c.s0 - c.t)::float8 / 3600.0::float8 AS d0,
                  (c.s1 - c.s0)::float8 / 3600.0::float8 AS d1,
                  (c.s2 - c.s1)::float8 / 3600.0::float8 AS d2,
                  (c.s3 - c.s2)::float8 / 3600.0::float8 AS d3,
                  c.r0, c.r1, c.r2, c.r3
           FROM c LEFT JOIN lim ON lim.category = c.category
           {streets}),
         n AS (
           SELECT k.*,
                  LEAST(CASE WHEN r0 > $3 THEN r0 END, CASE WHEN r1 > $3 THEN r1 END,
                        CASE WHEN r2 > $3 THEN r2 END, CASE WHEN r3 > $3 THEN r3 END,
                        CASE WHEN t > $3 THEN t END)::float8 AS known_next,
                  -- The first whole second past the limit (`overdue` below: the elapsed
                  -- seconds exceed it), not before the report; NaN when it is NaN (never).
                  CASE WHEN s3 IS NULL THEN t::float8 + floor(greatest(
                         (CASE current WHEN 0 THEN l0 WHEN 1 THEN l0 + l1
                               WHEN 2 THEN l0 + l1 + l2 ELSE l0 + l1 + l2 + l3 END
                          + ext_h) * 3600.0::float8, -1.0::float8)) + 1.0::float8
                  END AS overdue_at
           FROM k)
         SELECT area, count(*), count(*) FILTER (WHERE filed),
                count(*) FILTER (WHERE filed AND s0 IS NOT NULL),
                count(*) FILTER (WHERE filed AND s3 IS NOT NULL),
                count(*) FILTER (WHERE filed AND s3 IS NOT NULL
                                 AND (s3 - t)::float8 <= (l0 + l1 + l2 + l3 + ext_h) * 3600.0::float8),
                count(*) FILTER (WHERE filed AND s3 IS NOT NULL AND dispatches > 1),
                count(*) FILTER (WHERE filed AND ext_h > 0.0),
                count(*) FILTER (WHERE filed AND s3 IS NULL AND $3 >= t
                                 AND ($3 - t)::float8 > (CASE current WHEN 0 THEN l0
                                       WHEN 1 THEN l0 + l1 WHEN 2 THEN l0 + l1 + l2
                                       ELSE l0 + l1 + l2 + l3 END + ext_h) * 3600.0::float8),
                {md0}, {md1}, {md2}, {md3},
                count(*) FILTER (WHERE filed AND s3 IS NOT NULL AND ev = 'satisfied'),
                count(*) FILTER (WHERE filed AND s3 IS NOT NULL AND ev = 'basically_satisfied'),
                count(*) FILTER (WHERE filed AND s3 IS NOT NULL AND ev = 'dissatisfied'),
                min(LEAST(known_next, CASE WHEN overdue_at > $3 THEN overdue_at END))
                  FILTER (WHERE filed)
         FROM n WHERE area IS NOT NULL GROUP BY area",
        cases = if new.is_some() {
            // The feed's entries in commit order, each a block of ids (migration 10).
            "{s}.incident_feed f JOIN {s}.incidents i ON i.id BETWEEN f.first_id AND f.last_id
                 AND f.pos > $13 AND f.last_pos <= $14"
        } else {
            "{s}.incidents i"
        },
        t = unix("i.time"),
        s0 = known("i.dispatched_at"),
        s1 = known("i.handled_at"),
        s2 = known("i.followed_up_at"),
        s3 = known("i.closed_at"),
        r0 = unix("i.dispatched_at"),
        r1 = unix("i.handled_at"),
        r2 = unix("i.followed_up_at"),
        r3 = unix("i.closed_at"),
        m1 = super::incident_rows::month_of("$1::bigint"),
        m2 = super::incident_rows::month_of("$2::bigint"),
        md0 = median("d0"),
        md1 = median("d1"),
        md2 = median("d2"),
        md3 = median("d3"),
    );
    let mut params: Vec<&(dyn postgres::types::ToSql + Sync)> = vec![
        &from, &to, &asof, &cats, &l0, &l1, &l2, &l3, &d[0], &d[1], &d[2], &d[3],
    ];
    let fed;
    if let Some(n) = new {
        fed = n;
        params.extend([&fed.0 as &(dyn postgres::types::ToSql + Sync), &fed.1]);
    }
    let rows = tx.query(&store.sql(&sql), &params).map_err(&e)?;
    let count = |r: &postgres::Row, i: usize| -> Result<u64> {
        Ok(r.try_get::<_, i64>(i).map_err(&e)? as u64)
    };
    let mut out = Vec::with_capacity(rows.len());
    let mut until: Option<f64> = None;
    for r in &rows {
        // NaN (a limit that is NaN: never overdue) and infinities hold for ever.
        if let Some(u) = r.try_get::<_, Option<f64>>(16).map_err(&e)?
            && u.is_finite()
        {
            until = Some(until.map_or(u, |m| m.min(u)));
        }
        let mut median_h = [None; 4];
        for (k, m) in median_h.iter_mut().enumerate() {
            // (lower + upper) ÷ 2, as `kpis` takes the median of an even count.
            *m = match r
                .try_get::<_, Option<Vec<f64>>>(9 + k)
                .map_err(&e)?
                .as_deref()
            {
                Some([lower, upper]) => Some((lower + upper) / 2.0),
                _ => None,
            };
        }
        out.push(KpiRow {
            area: r.try_get(0).map_err(&e)?,
            reported: count(r, 1)?,
            filed: count(r, 2)?,
            dispatched: count(r, 3)?,
            closed: count(r, 4)?,
            closed_on_time: count(r, 5)?,
            reworked: count(r, 6)?,
            extended: count(r, 7)?,
            overdue: count(r, 8)?,
            median_h,
            evaluations: [count(r, 13)?, count(r, 14)?, count(r, 15)?],
        });
    }
    out.sort_by(|a, b| a.area.cmp(&b.area));
    // Past the last representable second: for ever.
    let until = until
        .filter(|u| *u <= 253_402_300_799.0)
        .map(|u| Timestamp::from_unix(u as i64));
    Ok((out, until))
}

/// The stamp of stored incidents (`IncidentStore::incident_stamp`) in a transaction's
/// snapshot: the data version (places, plans, imports, copies), the feed (new incidents) and
/// the count of statements that changed incidents (migration 13), each moved at a commit.
pub(super) fn stamp_in(store: &PgStore, tx: &mut impl postgres::GenericClient) -> Result<String> {
    let e = store.err();
    let r = tx
        .query_one(
            &store.sql("SELECT version, fed, changed FROM {s}.data_version"),
            &[],
        )
        .map_err(&e)?;
    let v = |i: usize| -> Result<i64> { r.try_get::<_, i64>(i).map_err(&e) };
    Ok(format!("v{}f{}c{}", v(0)?, v(1)?, v(2)?))
}

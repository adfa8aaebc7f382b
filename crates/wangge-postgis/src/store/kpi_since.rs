//! A kept KPI table brought up to date from what changed since its stamp, instead of the
//! month counted again (`IncidentStore::kpi_rows_since`): the cases published in the feed
//! since (new reports) and those changed since (steps, assignments, extensions,
//! evaluations, new grids: migration 14 logs the rows they had before) are counted twice,
//! as they were (the rows the kept table counted, new reports left out) and as they are now;
//! the difference is added to the kept rows, area by area, and their durations moved in and
//! out of the kept median windows and their times of passing a limit in and out of the kept
//! crossings. `kpis` sums every figure over the cases, so the counts
//! are exact; a median is exact while its middle positions stay in the window, and the month
//! is counted again when they leave it.
//!
//! Refused (`None`, the caller counts the month) when the data version moved by anything
//! but ingests (places, plans, imports, copies), when the change log no longer reaches back
//! to the kept stamp, or when a window cannot follow.

use super::PgStore;
use super::kpi_rows::{Cases, Counted, count, stamp_in};
use wangge_core::Timestamp;
use wangge_core::kpi::{KpiRow, Level, TimeLimits};
use wangge_io::Result;
use wangge_io::store::KpiTable;

/// Changes the log keeps at least (migration 14 prunes those 100,000 counts old).
const LOG_REACH: i64 = 50_000;

/// The schema's id and the three counters of a stamp (`stamp_in`).
struct Stamp {
    schema: i64,
    version: i64,
    fed: i64,
    changed: i64,
}

impl Stamp {
    fn parse(s: &str) -> Option<Self> {
        let s = s.strip_prefix('o')?;
        let (schema, s) = s.split_once('v')?;
        let (version, s) = s.split_once('f')?;
        let (fed, changed) = s.split_once('c')?;
        Some(Self {
            schema: schema.parse().ok()?,
            version: version.parse().ok()?,
            fed: fed.parse().ok()?,
            changed: changed.parse().ok()?,
        })
    }
}

/// `kept` (rows `kpi_rows` gave at an earlier stamp, holding at `asof`) brought up to the
/// store's present, or `None` when it cannot be (see the module).
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
    let mut tx = store.snapshot(&mut client)?;
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
    if now.schema != was.schema
        || now.fed < was.fed
        || now.version - was.version != entries
        || !(0..=LOG_REACH).contains(&(now.changed - was.changed))
    {
        return Ok(None);
    }
    let (fed, changed) = ((was.fed, now.fed), (was.changed, now.changed));
    let question = (window, level, limits, asof);
    let before = count(store, &mut tx, question, Cases::Before { fed, changed })?;
    let after = count(store, &mut tx, question, Cases::Now { fed, changed })?;
    tx.commit().map_err(&e)?;
    let mut table = kept.clone();
    // The kept crossings reach to its `until` (an hour after it was counted at most): the
    // changed cases' later ones are not among them, and not needed before it.
    let reach = kept.until.map_or(i64::MAX, Timestamp::unix);
    if !moved(&mut table, &before, false, reach) || !moved(&mut table, &after, true, reach) {
        return Ok(None);
    }
    let mut rows = Vec::with_capacity(table.rows.len());
    for mut r in table.rows {
        if r.reported == 0 {
            table.windows.remove(&r.area);
            table.crossings.remove(&r.area);
            continue;
        }
        let Some(w) = table.windows.get(&r.area) else {
            return Ok(None);
        };
        for (m, w) in r.median_h.iter_mut().zip(w) {
            // A middle position left the window: the month is counted again.
            if w.count > 0 && w.median().is_none() {
                return Ok(None);
            }
            *m = w.median();
        }
        rows.push(r);
    }
    rows.sort_by(|a, b| a.area.cmp(&b.area));
    // The earliest of the two: an old state's time may be gone (held a little less long than
    // it could be, never longer). Crossings from then on are not needed.
    let until = match (kept.until, after.until) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    if let Some(u) = until {
        for c in table.crossings.values_mut() {
            c.truncate(c.partition_point(|x| *x < u.unix()));
        }
    }
    table.crossings.retain(|_, c| !c.is_empty());
    Ok(Some(KpiTable {
        rows,
        until,
        stamp: Some(stamp),
        windows: table.windows,
        crossings: table.crossings,
    }))
}

/// Adds (`add`) or takes away the rows, durations and crossings (those before `reach`) of
/// some cases, area by area; false when taking away finds less than there is to take.
fn moved(table: &mut KpiTable, cases: &Counted, add: bool, reach: i64) -> bool {
    let (rows, values) = (&cases.rows, &cases.windows);
    for r in rows {
        let i = match table.rows.iter().position(|o| o.area == r.area) {
            Some(i) => i,
            None if add => {
                table.rows.push(KpiRow {
                    area: r.area.clone(),
                    ..Default::default()
                });
                table.windows.insert(r.area.clone(), Default::default());
                table.rows.len() - 1
            }
            None => return false,
        };
        let o = &mut table.rows[i];
        let pairs = [
            (&mut o.reported, r.reported),
            (&mut o.filed, r.filed),
            (&mut o.dispatched, r.dispatched),
            (&mut o.closed, r.closed),
            (&mut o.closed_on_time, r.closed_on_time),
            (&mut o.reworked, r.reworked),
            (&mut o.extended, r.extended),
            (&mut o.overdue, r.overdue),
        ];
        let sum = |x: &mut u64, y: u64| -> bool {
            match if add {
                x.checked_add(y)
            } else {
                x.checked_sub(y)
            } {
                Some(v) => {
                    *x = v;
                    true
                }
                None => false,
            }
        };
        if !pairs.into_iter().all(|(x, y)| sum(x, y))
            || !o
                .evaluations
                .iter_mut()
                .zip(r.evaluations)
                .all(|(x, y)| sum(x, y))
        {
            return false;
        }
        let Some(w) = table.windows.get_mut(&r.area) else {
            return false;
        };
        for (w, v) in w.iter_mut().zip(values.get(&r.area).into_iter().flatten()) {
            for &x in &v.values {
                if !(if add { w.add(x) } else { w.remove(x) }) {
                    return false;
                }
            }
        }
        let kept = table.crossings.entry(r.area.clone()).or_default();
        for &c in cases.crossings.get(&r.area).into_iter().flatten() {
            let i = kept.partition_point(|x| *x < c);
            if add {
                kept.insert(i, c);
            } else if c < reach {
                if kept.get(i) != Some(&c) {
                    return false;
                }
                kept.remove(i);
            }
        }
    }
    true
}

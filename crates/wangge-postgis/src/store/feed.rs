//! The incidents' change feed on PostgreSQL (`incident_feed`, schema version 10): what a live
//! server reads to keep its heat index and event stream current, and what `wangge copy` and
//! the digest page through.
//!
//! Batches write their rows alongside each other (ids from blocks taken early) and publish at
//! the end: one entry of feed numbers `pos..=last_pos` for ids `first_id..=last_id`, given
//! under the data version's row lock held to commit. Feed numbers therefore follow commit
//! order, and a reader that has read through number n never sees a later commit below n.
//! The `i64` the store interface calls an incident's fid in `incidents_after`,
//! `max_incident_fid` and `Ingested::added` is this feed number on PostgreSQL.

use super::PgStore;
use super::incident_rows::{month_of, select_incidents};
use postgres::Transaction;
use wangge_core::Incident;
use wangge_io::Result;
use wangge_io::store::Ingested;

/// Appends the batch's new incidents to the feed (their ids, in order, as feed numbers after
/// the last published) and raises the data version and the incident count: the data
/// version's row is held from here to commit. `out.added` gets the feed numbers.
pub(super) fn publish(
    store: &PgStore,
    tx: &mut Transaction<'_>,
    out: &mut Ingested,
    fresh: &[(i64, &Incident)],
) -> Result<()> {
    let e = store.err();
    let (Some(first), Some(last)) = (
        fresh.iter().map(|f| f.0).min(),
        fresh.iter().map(|f| f.0).max(),
    ) else {
        return Ok(());
    };
    let times: Vec<i64> = fresh.iter().map(|f| f.1.time.unix()).collect();
    let n = i64::try_from(fresh.len()).unwrap_or(i64::MAX);
    let pos: i64 = tx
        .query_one(
            &store.sql(&format!(
                "WITH v AS (
                   UPDATE {{s}}.data_version
                   SET version = version + 1, fed = fed + $2 - $1 + 1, incidents = incidents + $3
                   RETURNING fed)
                 INSERT INTO {{s}}.incident_feed (pos, last_pos, first_id, last_id, months)
                 SELECT v.fed - ($2 - $1), v.fed, $1, $2,
                   ARRAY(SELECT DISTINCT {} FROM unnest($4::bigint[]) AS u(t) ORDER BY 1)
                 FROM v
                 RETURNING pos",
                month_of("u.t")
            )),
            &[&first, &last, &n, &times],
        )
        .map_err(&e)?
        .try_get(0)
        .map_err(&e)?;
    tx.batch_execute(&store.sql("NOTIFY wangge_{s}, 'data'"))
        .map_err(&e)?;
    for a in &mut out.added {
        a.0 = pos + (a.0 - first);
    }
    Ok(())
}

/// The last feed number published (0 when nothing is).
pub(super) fn head(store: &PgStore) -> Result<i64> {
    store
        .client()?
        .query_one(&store.sql("SELECT fed FROM {s}.data_version"), &[])
        .map_err(store.err())?
        .try_get(0)
        .map_err(store.err())
}

/// One entry's ids still to read: `lo..=hi`, feed number of `lo` is `pos`.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Span {
    pos: i64,
    lo: i64,
    hi: i64,
}

/// The ids to read after feed number `after` from entries (pos, first id, last id) in feed
/// order, at most `limit` ids.
fn spans(entries: &[(i64, i64, i64)], after: i64, limit: usize) -> Vec<Span> {
    let mut left = i64::try_from(limit).unwrap_or(i64::MAX);
    let mut out = Vec::new();
    for &(pos, first, last) in entries {
        if left <= 0 {
            break;
        }
        let skip = (after + 1 - pos).max(0);
        let lo = first + skip;
        if lo > last {
            continue;
        }
        let hi = last.min(lo + left - 1);
        left -= hi - lo + 1;
        out.push(Span {
            pos: pos + skip,
            lo,
            hi,
        });
    }
    out
}

/// Incidents published after feed number `after`, in feed order, at most `limit` (by feed
/// numbers: ids a batch left unused count too), each with its feed number. Two statements,
/// each on an index: the entries (by `last_pos`), then their id ranges in their months'
/// partitions (pruned; the id index).
pub(super) fn after(store: &PgStore, after: i64, limit: usize) -> Result<Vec<(i64, Incident)>> {
    let e = store.err();
    let rows = store
        .client()?
        .query(
            &store.sql(
                "SELECT pos, first_id, last_id, months::text[] FROM {s}.incident_feed
                 WHERE last_pos > $1 ORDER BY last_pos LIMIT $2",
            ),
            &[&after, &i64::try_from(limit.min(100_000)).unwrap_or(1)],
        )
        .map_err(&e)?;
    let mut entries = Vec::with_capacity(rows.len());
    let mut months: Vec<String> = Vec::new();
    for r in &rows {
        entries.push((
            r.try_get(0).map_err(&e)?,
            r.try_get(1).map_err(&e)?,
            r.try_get(2).map_err(&e)?,
        ));
        months.extend(r.try_get::<_, Vec<String>>(3).map_err(&e)?);
    }
    let spans = spans(&entries, after, limit);
    if spans.is_empty() {
        return Ok(Vec::new());
    }
    months.sort();
    months.dedup();
    // The months as literals (the server's own ISO dates, checked), so the plan reads their
    // partitions only.
    if let Some(m) = months
        .iter()
        .find(|m| m.len() != 10 || !m.chars().all(|c| c.is_ascii_digit() || c == '-'))
    {
        return Err(store.damaged(format!("incident_feed: month {m:?}")));
    }
    let list: Vec<String> = months.iter().map(|m| format!("DATE '{m}'")).collect();
    let lo: Vec<i64> = spans.iter().map(|s| s.lo).collect();
    let hi: Vec<i64> = spans.iter().map(|s| s.hi).collect();
    let found = select_incidents(
        store,
        &format!(
            "JOIN unnest($1::bigint[], $2::bigint[]) AS r(lo, hi) ON i.id BETWEEN r.lo AND r.hi
             WHERE i.month IN ({})",
            list.join(", ")
        ),
        &[&lo, &hi],
    )?;
    // Ids to feed numbers: spans are disjoint in ids.
    let mut by_id = spans.clone();
    by_id.sort_by_key(|s| s.lo);
    let mut out = Vec::with_capacity(found.len());
    for (id, i) in found {
        let k = by_id.partition_point(|s| s.hi < id);
        match by_id.get(k) {
            Some(s) if s.lo <= id => out.push((s.pos + (id - s.lo), i)),
            _ => return Err(store.damaged(format!("incident_feed: id {id} in no entry read"))),
        }
    }
    out.sort_unstable_by_key(|x| x.0);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_start_after_the_cursor_and_stop_at_the_limit() {
        // Entries in feed order; the second's ids are below the first's (taken earlier,
        // committed later).
        let entries = [(1, 100, 104), (6, 50, 52), (9, 200, 200)];
        let s = |pos, lo, hi| Span { pos, lo, hi };
        assert_eq!(
            spans(&entries, 0, 100),
            vec![s(1, 100, 104), s(6, 50, 52), s(9, 200, 200)]
        );
        assert_eq!(
            spans(&entries, 3, 100),
            vec![s(4, 103, 104), s(6, 50, 52), s(9, 200, 200)]
        );
        assert_eq!(spans(&entries, 5, 100), vec![s(6, 50, 52), s(9, 200, 200)]);
        assert_eq!(spans(&entries, 3, 3), vec![s(4, 103, 104), s(6, 50, 50)]);
        assert_eq!(spans(&entries, 9, 100), vec![]);
        assert_eq!(spans(&entries, 0, 0), vec![]);
    }
}

//! KPI tables kept between requests: a store that computes a month's table itself
//! (`IncidentStore::kpi_rows`, SQL on PostgreSQL) says how long it holds (its stamp; the
//! times open cases pass their limits within the next hour; the first later `asof` at which
//! anything else would move by time alone); a request at an `asof` in that span, while the
//! store's `incident_stamp` is unchanged, gets its rows without the month's scan (those
//! cases counted overdue). The stamp is read from the store on every request, so a change any process
//! or server committed is seen at once (nothing kept is answered across a change).
//!
//! After a change, a table kept at the old stamp holding at `asof` is handed to the store
//! (`kpi_rows_since`), which brings it up to date by counting the changed cases alone when it
//! can (PostgreSQL: new reports and changed cases, before and now), instead of the month.
//!
//! Bounded: at most [`KEEP`] tables a workspace and 16 × [`KEEP`] a process, the least
//! recently used dropped first.
//! Requests missing the same table at once wait for one computation instead of each
//! scanning the month.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};
use wangge_core::Timestamp;
use wangge_core::kpi::{KpiRow, Level, TimeLimits};
use wangge_io::Store;
use wangge_io::store::{KpiTable, MedianWindow};

/// Tables kept per workspace, 16 times as many per process (each with its median windows: about 4 × 4,100 values for a
/// table of few areas, 4 × 17 an area of many: 130 kB by district, 2 MB by 4,000 grids).
const KEEP: usize = 64;

/// Workspace, month window, level, limits.
type Key = (String, (i64, i64), &'static str, String);

struct Entry {
    key: Key,
    /// Counted afresh (not brought up to date from another: such a table keeps its base's
    /// end).
    fresh: bool,
    stamp: String,
    /// The `asof` it was counted at, and the first one it no longer holds for.
    from: i64,
    until: Option<i64>,
    rows: Vec<KpiRow>,
    windows: BTreeMap<String, [MedianWindow; 4]>,
    crossings: BTreeMap<String, Vec<i64>>,
    used: u64,
}

impl Entry {
    fn table(&self) -> KpiTable {
        KpiTable {
            rows: self.rows.clone(),
            until: self.until.map(Timestamp::from_unix),
            stamp: Some(self.stamp.clone()),
            windows: self.windows.clone(),
            crossings: self.crossings.clone(),
        }
    }
}

#[derive(Default)]
struct Kept {
    entries: Vec<Entry>,
    clock: u64,
    /// One lock per table being computed.
    computing: HashMap<Key, Arc<Mutex<()>>>,
    /// Per workspace, tables counted afresh and brought up to date ([`computed`]).
    counts: HashMap<String, Computed>,
    /// When requests last asked for each table, with its level and limits
    /// ([`recently_used`]; the warmer's own rounds are not asks).
    asked: HashMap<Key, (Instant, Level, TimeLimits)>,
}

/// How many tables of a workspace this process counted afresh (a month's scan) and brought up
/// to date (changed cases only): what a bench or test reads to tell a kept answer from a
/// counted one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Computed {
    pub afresh: u64,
    pub brought_up_to_date: u64,
}

/// The tables of the workspace at `location` (`Store::location`) counted so far.
pub fn computed(location: &str) -> Computed {
    kept().counts.get(location).copied().unwrap_or_default()
}

fn kept() -> MutexGuard<'static, Kept> {
    static KEPT: OnceLock<Mutex<Kept>> = OnceLock::new();
    KEPT.get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|p| p.into_inner())
}

impl Kept {
    fn find(&mut self, key: &Key, stamp: &str, asof: i64) -> Option<Vec<KpiRow>> {
        self.clock += 1;
        let clock = self.clock;
        let e = self.entries.iter_mut().find(|e| {
            e.key == *key && e.stamp == stamp && e.from <= asof && e.until.is_none_or(|u| asof < u)
        })?;
        e.used = clock;
        // Open cases that passed their limits since it was counted, counted overdue.
        Some(wangge_io::store::rows_at(
            &e.rows,
            &e.crossings,
            Timestamp::from_unix(asof),
        ))
    }

    /// The most recently used table for `key` holding at `asof` at any stamp, moved to
    /// `asof`: what a store may bring up to date (`kpi_rows_since`).
    fn base(&self, key: &Key, asof: i64) -> Option<KpiTable> {
        let e = self
            .entries
            .iter()
            .filter(|e| e.key == *key && e.from <= asof && e.until.is_none_or(|u| asof < u))
            .max_by_key(|e| e.used)?;
        let mut t = e.table();
        t.move_to(Timestamp::from_unix(asof));
        Some(t)
    }

    fn keep(&mut self, e: Entry) {
        // The same table at another stamp from the same time on is superseded.
        self.entries.retain(|o| {
            o.key != e.key
                || o.stamp == e.stamp
                || !(o.from <= e.from && o.until.is_none_or(|u| e.from < u))
        });
        // At most KEEP a workspace (another workspace's tables do not push these out), and
        // 16 × KEEP in all.
        let workspace = |i: &usize| self.entries[*i].key.0 == e.key.0;
        let mine = (0..self.entries.len()).filter(workspace).count();
        let lru = if mine >= KEEP {
            (0..self.entries.len())
                .filter(workspace)
                .min_by_key(|&i| self.entries[i].used)
        } else if self.entries.len() >= 16 * KEEP {
            (0..self.entries.len()).min_by_key(|&i| self.entries[i].used)
        } else {
            None
        };
        if let Some(i) = lru {
            self.entries.swap_remove(i);
        }
        self.clock += 1;
        self.entries.push(Entry {
            used: self.clock,
            ..e
        });
    }

    /// The `asof` a table at `stamp` holding at `t` was counted afresh at.
    fn counted_at(&self, key: &Key, stamp: &str, t: i64) -> Option<i64> {
        self.entries
            .iter()
            .filter(|e| {
                e.fresh
                    && e.key == *key
                    && e.stamp == stamp
                    && e.from <= t
                    && e.until.is_none_or(|u| t < u)
            })
            .map(|e| e.from)
            .max()
    }

    /// Whether a table at `stamp` holds from `t` to at least `t + ahead`.
    fn holds(&self, key: &Key, stamp: &str, t: i64, ahead: i64) -> bool {
        self.entries.iter().any(|e| {
            e.key == *key
                && e.stamp == stamp
                && e.from <= t
                && e.until.is_none_or(|u| t.saturating_add(ahead) < u)
        })
    }
}

fn key_of(
    store: &dyn Store,
    window: (Timestamp, Timestamp),
    level: Level,
    limits: &TimeLimits,
) -> Key {
    (
        store.location(),
        (window.0.unix(), window.1.unix()),
        level.as_str(),
        format!("{limits:?}"),
    )
}

/// The rows `store.kpi_rows` gives, from a table kept while it holds; `None` when the store
/// does not compute them (the caller counts the month's cases).
pub fn kpi_rows(
    store: &dyn Store,
    window: (Timestamp, Timestamp),
    level: Level,
    limits: &TimeLimits,
    asof: Timestamp,
) -> Result<Option<Vec<KpiRow>>, wangge_io::Error> {
    let Some(stamp) = store.incident_stamp()? else {
        return Ok(store.kpi_rows(window, level, limits, asof)?.map(|t| t.rows));
    };
    let key = key_of(store, window, level, limits);
    let t = asof.unix();
    {
        let mut k = kept();
        if k.asked.len() > 16 * KEEP {
            k.asked
                .retain(|_, a| a.0.elapsed() < Duration::from_secs(3600));
        }
        k.asked
            .insert(key.clone(), (Instant::now(), level, limits.clone()));
        if let Some(rows) = k.find(&key, &stamp, t) {
            return Ok(Some(rows));
        }
    }
    let lock = kept().computing.entry(key.clone()).or_default().clone();
    let _computing = lock.lock().unwrap_or_else(|p| p.into_inner());
    // Another request may have computed it while this one waited.
    let stamp = store.incident_stamp()?.unwrap_or_default();
    if let Some(rows) = kept().find(&key, &stamp, t) {
        return Ok(Some(rows));
    }
    // A table kept at an earlier stamp, brought up to date when the store can (new
    // incidents only), else the month counted anew.
    let base = kept().base(&key, t);
    compute(store, key, (window, level, limits), asof, base)
}

/// Keeps the table of `window` and `level` at `asof` ready for the requests that follow (a
/// server's warmer, off the request path): nothing when a table kept at the store's stamp
/// holds from `asof` to at least `asof + ahead`; brought up to date after a change; counted
/// afresh when the one kept ends within `ahead` (open cases' crossings are listed an hour
/// ahead), so that no request waits for the month's scan. Whether it counted anything;
/// false for a store that keeps no stamps.
pub fn warm(
    store: &dyn Store,
    window: (Timestamp, Timestamp),
    level: Level,
    limits: &TimeLimits,
    asof: Timestamp,
    ahead: Duration,
) -> Result<bool, wangge_io::Error> {
    if store.incident_stamp()?.is_none() {
        return Ok(false);
    }
    let key = key_of(store, window, level, limits);
    let (t, ahead) = (
        asof.unix(),
        i64::try_from(ahead.as_secs()).unwrap_or(i64::MAX),
    );
    let lock = kept().computing.entry(key.clone()).or_default().clone();
    let _computing = lock.lock().unwrap_or_else(|p| p.into_inner());
    let stamp = store.incident_stamp()?.unwrap_or_default();
    {
        let k = kept();
        // Held long enough; or counted afresh at this stamp less than `ahead` ago, so that
        // counting again would not move its end (a step recorded ahead of now ends it).
        if k.holds(&key, &stamp, t, ahead)
            || k.counted_at(&key, &stamp, t).is_some_and(|f| t - f < ahead)
        {
            return Ok(false);
        }
    }
    // A table ending within `ahead` is not brought up to date (its end would stay).
    let base = kept()
        .base(&key, t)
        .filter(|b| b.until.is_none_or(|u| t.saturating_add(ahead) < u.unix()));
    compute(store, key, (window, level, limits), asof, base)?;
    Ok(true)
}

/// The month windows, levels and limits of this workspace's tables found or kept within
/// `within` whose window holds `now`: what a warmer keeps ready besides the levels it
/// always does.
pub fn recently_used(
    store: &dyn Store,
    now: Timestamp,
    within: Duration,
) -> Vec<((Timestamp, Timestamp), Level, TimeLimits)> {
    let location = store.location();
    let mut out: Vec<((Timestamp, Timestamp), Level, TimeLimits)> = Vec::new();
    for (key, (_, level, limits)) in kept().asked.iter().filter(|(key, (at, _, _))| {
        key.0 == location && key.1.0 <= now.unix() && now.unix() < key.1.1 && at.elapsed() <= within
    }) {
        let w = (Timestamp::from_unix(key.1.0), Timestamp::from_unix(key.1.1));
        if !out
            .iter()
            .any(|o| o.0 == w && o.1 == *level && o.2 == *limits)
        {
            out.push((w, *level, limits.clone()));
        }
    }
    out
}

/// The table at `asof` brought up to date from `base` when the store can, else counted
/// afresh; kept. Called holding the key's computing lock.
fn compute(
    store: &dyn Store,
    key: Key,
    (window, level, limits): ((Timestamp, Timestamp), Level, &TimeLimits),
    asof: Timestamp,
    base: Option<KpiTable>,
) -> Result<Option<Vec<KpiRow>>, wangge_io::Error> {
    let t = asof.unix();
    let since = match base {
        Some(b) => store.kpi_rows_since(window, level, limits, asof, &b)?,
        None => None,
    };
    let brought = since.is_some();
    let table = match since {
        Some(table) => table,
        None => match store.kpi_rows(window, level, limits, asof)? {
            Some(table) => table,
            None => return Ok(None),
        },
    };
    if let Some(stamp) = table.stamp {
        let mut k = kept();
        let c = k.counts.entry(key.0.clone()).or_default();
        if brought {
            c.brought_up_to_date += 1;
        } else {
            c.afresh += 1;
        }
        k.keep(Entry {
            key,
            fresh: !brought,
            stamp,
            from: t,
            until: table.until.map(Timestamp::unix),
            rows: table.rows.clone(),
            windows: table.windows,
            crossings: table.crossings,
            used: 0,
        });
        if k.computing.len() > KEEP {
            k.computing.retain(|_, l| Arc::strong_count(l) > 1);
        }
    }
    Ok(Some(table.rows))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(stamp: &str, from: i64, until: Option<i64>, n: u64) -> Entry {
        Entry {
            key: ("w".into(), (0, 10), "district", String::new()),
            fresh: true,
            stamp: stamp.into(),
            from,
            until,
            rows: vec![KpiRow {
                reported: n,
                ..Default::default()
            }],
            windows: BTreeMap::new(),
            crossings: BTreeMap::new(),
            used: 0,
        }
    }

    #[test]
    fn a_table_holds_from_its_asof_to_its_until_at_its_stamp_only() {
        let mut k = Kept::default();
        let key = entry("s1", 0, None, 0).key;
        k.keep(entry("s1", 100, Some(200), 1));
        assert!(
            k.find(&key, "s1", 99).is_none(),
            "before the asof it was counted at"
        );
        assert_eq!(k.find(&key, "s1", 100).map(|r| r[0].reported), Some(1));
        assert_eq!(k.find(&key, "s1", 199).map(|r| r[0].reported), Some(1));
        assert!(k.find(&key, "s1", 200).is_none(), "a figure moves at until");
        assert!(k.find(&key, "s2", 150).is_none(), "the store changed");
        // Open cases passing their limits within the span are counted overdue from then.
        k.entries[0].crossings.insert(String::new(), vec![120, 150]);
        let overdue = |k: &mut Kept, t| k.find(&key, "s1", t).map(|r| r[0].overdue);
        assert_eq!(overdue(&mut k, 119), Some(0));
        assert_eq!(overdue(&mut k, 120), Some(1));
        assert_eq!(overdue(&mut k, 199), Some(2));
        let b = k.base(&key, 130).expect("a base");
        assert_eq!(
            (b.rows[0].overdue, b.crossings[""].as_slice()),
            (1, &[150][..])
        );
        let other = ("w".into(), (0, 10), "street", String::new());
        assert!(k.find(&other, "s1", 150).is_none(), "another level");
        // Brought up to date from the table holding at that time, at any stamp.
        assert_eq!(k.base(&key, 150).map(|t| t.rows[0].reported), Some(1));
        assert!(k.base(&key, 250).is_none());
        // A table at a new stamp from a time the old one held on supersedes it.
        k.keep(entry("s2", 150, None, 2));
        assert_eq!(k.entries.len(), 1);
        assert_eq!(k.find(&key, "s2", 10_000).map(|r| r[0].reported), Some(2));
        k.keep(entry("s3", 10, Some(20), 3));
        assert_eq!(k.entries.len(), 2, "another time span: both kept");
    }

    #[test]
    fn a_table_holds_ahead_only_up_to_its_until() {
        let mut k = Kept::default();
        let key = entry("s1", 0, None, 0).key;
        k.keep(entry("s1", 100, Some(200), 1));
        assert!(k.holds(&key, "s1", 100, 99));
        assert!(!k.holds(&key, "s1", 100, 100), "ends at until");
        assert!(!k.holds(&key, "s1", 150, 60));
        assert!(!k.holds(&key, "s2", 100, 0), "another stamp");
        assert!(!k.holds(&key, "s1", 99, 0), "before its asof");
        k.keep(entry("s1", 300, None, 2));
        assert!(k.holds(&key, "s1", 300, i64::MAX), "no end: holds on");
    }

    #[test]
    fn a_table_brought_up_to_date_is_not_one_counted_afresh() {
        let mut k = Kept::default();
        let key = entry("s1", 0, None, 0).key;
        k.keep(entry("s1", 100, Some(4000), 1));
        k.keep(Entry {
            fresh: false,
            ..entry("s1", 200, Some(4000), 2)
        });
        // The warmer counts afresh again from the end of the one counted at 100, whatever
        // was brought up to date since (it keeps that end).
        assert_eq!(k.counted_at(&key, "s1", 300), Some(100));
        assert_eq!(k.counted_at(&key, "s2", 300), None);
    }

    #[test]
    fn the_least_recently_used_table_goes_first() {
        let mut k = Kept::default();
        for i in 0..KEEP as i64 {
            k.keep(entry("s", i * 10, Some(i * 10 + 10), i as u64));
        }
        let key = entry("s", 0, None, 0).key;
        assert!(k.find(&key, "s", 0).is_some(), "the first, used again");
        k.keep(entry("s", 100_000, None, 9));
        assert_eq!(k.entries.len(), KEEP);
        assert!(k.find(&key, "s", 0).is_some(), "used recently: kept");
        assert!(
            k.find(&key, "s", 10).is_none(),
            "the least recently used: dropped"
        );
    }
}

//! Cumulative counts by day (or by block of days) per key: the store behind the heat
//! pyramids, the hex counts and the area counts. The count of a key in a window of days is
//! two binary searches in its run of (day, cumulative count).
//!
//! Runs live in two parts whose counts add up: a **frozen** part in three flat arrays (sorted
//! keys, offsets, runs: no per-key allocation, a few large blocks that go back to the system
//! when replaced) and a **delta** of recent batches in a B-tree. When the delta holds more
//! than a quarter of the frozen entries it is merged into a new frozen part, so the merges
//! cost a constant factor per entry and memory stays close to the entries themselves.

use std::collections::BTreeMap;
use std::ops::Bound;

/// Cumulative day counts per key.
#[derive(Debug)]
pub struct DayRuns<K> {
    keys: Vec<K>,
    /// `keys.len() + 1` offsets into `runs`.
    offs: Vec<u32>,
    runs: Vec<(u32, u32)>,
    delta: BTreeMap<K, Vec<(u32, u32)>>,
    delta_entries: usize,
}

impl<K: Ord + Copy> Default for DayRuns<K> {
    fn default() -> Self {
        Self {
            keys: Vec::new(),
            offs: vec![0],
            runs: Vec::new(),
            delta: BTreeMap::new(),
            delta_entries: 0,
        }
    }
}

/// The smallest delta that is merged (entries).
const MIN_MERGE: usize = 1 << 16;

impl<K: Ord + Copy> DayRuns<K> {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one to each (key, day); `pairs` sorted.
    pub fn add_sorted(&mut self, pairs: &[(K, u32)]) {
        // One scratch buffer for every key's days (not an allocation a key).
        let mut add: Vec<(u32, u32)> = Vec::new();
        for run in pairs.chunk_by(|a, b| a.0 == b.0) {
            add.clear();
            add.extend(
                run.chunk_by(|a, b| a.1 == b.1)
                    .map(|same| (same[0].1, same.len() as u32)),
            );
            let v = self.delta.entry(run[0].0).or_default();
            let before = v.len();
            merge_days(v, &add);
            self.delta_entries += v.len() - before;
        }
        if self.delta_entries > MIN_MERGE.max(self.runs.len() / 4) {
            self.freeze();
        }
    }

    /// Takes one away from (key, day), where an earlier add put it; false when no count is
    /// there.
    pub fn remove_one(&mut self, key: K, day: u32) -> bool {
        if let Ok(i) = self.keys.binary_search(&key) {
            let run = &mut self.runs[self.offs[i] as usize..self.offs[i + 1] as usize];
            if window_count(run, day, day) > 0 {
                take_one(run, day);
                return true;
            }
        }
        match self.delta.get_mut(&key) {
            Some(run) if window_count(run, day, day) > 0 => {
                take_one(run, day);
                true
            }
            _ => false,
        }
    }

    /// The count of a key in days `from..=to`.
    pub fn window(&self, key: K, from: u32, to: u32) -> u32 {
        let frozen = self
            .keys
            .binary_search(&key)
            .map_or(0, |i| window_count(self.run(i), from, to));
        frozen
            + self
                .delta
                .get(&key)
                .map_or(0, |r| window_count(r, from, to))
    }

    /// Calls `f(key, count in days from..=to)` for the keys in `lo..hi` that `keep` wants
    /// (a key may come twice, once per part: callers add).
    pub fn each_window(
        &self,
        (lo, hi): (K, K),
        (from, to): (u32, u32),
        keep: impl Fn(K) -> bool,
        mut f: impl FnMut(K, u32),
    ) {
        let start = self.keys.partition_point(|k| *k < lo);
        for i in start..self.keys.len() {
            let k = self.keys[i];
            if k >= hi {
                break;
            }
            if keep(k) {
                f(k, window_count(self.run(i), from, to));
            }
        }
        for (k, run) in self.delta.range((Bound::Included(lo), Bound::Excluded(hi))) {
            if keep(*k) {
                f(*k, window_count(run, from, to));
            }
        }
    }

    fn run(&self, i: usize) -> &[(u32, u32)] {
        &self.runs[self.offs[i] as usize..self.offs[i + 1] as usize]
    }

    /// Bytes held (arrays by capacity; the delta's B-tree slots estimated).
    pub fn heap_bytes(&self) -> usize {
        let entry = 48; // B-tree slot: key, Vec header, node share
        self.keys.capacity() * std::mem::size_of::<K>()
            + self.offs.capacity() * 4
            + self.runs.capacity() * 8
            + self
                .delta
                .values()
                .map(|v| v.capacity() * 8 + entry)
                .sum::<usize>()
    }

    /// Merges the delta into the frozen part.
    pub fn freeze(&mut self) {
        if self.delta.is_empty() {
            return;
        }
        let delta = std::mem::take(&mut self.delta);
        let n_keys = self.keys.len() + delta.len();
        let mut keys = Vec::with_capacity(n_keys);
        let mut offs = Vec::with_capacity(n_keys + 1);
        let mut runs = Vec::with_capacity(self.runs.len() + self.delta_entries);
        offs.push(0u32);
        let mut d = delta.into_iter().peekable();
        let mut i = 0;
        loop {
            let next_frozen = self.keys.get(i).copied();
            let next_delta = d.peek().map(|e| e.0);
            match (next_frozen, next_delta) {
                (None, None) => break,
                (Some(k), dk) if dk.is_none_or(|dk| k < dk) => {
                    runs.extend_from_slice(self.run(i));
                    keys.push(k);
                    i += 1;
                }
                (Some(k), Some(dk)) if k == dk => {
                    let (_, add) = d.next().expect("peeked");
                    let mut v = self.run(i).to_vec();
                    merge_cumulative(&mut v, &add);
                    runs.extend_from_slice(&v);
                    keys.push(k);
                    i += 1;
                }
                _ => {
                    let (k, add) = d.next().expect("peeked");
                    runs.extend_from_slice(&add);
                    keys.push(k);
                }
            }
            offs.push(runs.len() as u32);
        }
        self.keys = keys;
        self.offs = offs;
        self.runs = runs;
        self.delta_entries = 0;
    }
}

/// One less in `day` and every later cumulative count.
fn take_one(run: &mut [(u32, u32)], day: u32) {
    let i = run.partition_point(|e| e.0 < day);
    for e in &mut run[i..] {
        e.1 -= 1;
    }
}

/// Adds a cumulative run into another.
fn merge_cumulative(run: &mut Vec<(u32, u32)>, add: &[(u32, u32)]) {
    let mut prev = 0;
    let per_day: Vec<(u32, u32)> = add
        .iter()
        .map(|&(d, c)| {
            let n = c - prev;
            prev = c;
            (d, n)
        })
        .filter(|e| e.1 > 0)
        .collect();
    if !per_day.is_empty() {
        merge_days(run, &per_day);
    }
}

/// The count in days (or blocks) `from..=to` of a cumulative run (0 for an empty window).
pub(crate) fn window_count(run: &[(u32, u32)], from: u32, to: u32) -> u32 {
    if from > to {
        return 0;
    }
    let before = if from == 0 { 0 } else { cum_at(run, from - 1) };
    cum_at(run, to).saturating_sub(before)
}

/// The cumulative count through `day` (0 before the first).
pub(crate) fn cum_at(run: &[(u32, u32)], day: u32) -> u32 {
    let i = run.partition_point(|e| e.0 <= day);
    if i == 0 { 0 } else { run[i - 1].1 }
}

/// Adds per-day counts (sorted by day) into a cumulative run.
pub(crate) fn merge_days(run: &mut Vec<(u32, u32)>, add: &[(u32, u32)]) {
    let last = run.last().copied();
    // Days at or after the last (the usual case: today's reports): appended in place, the
    // first added to the last day's count when it is that day.
    if last.is_none_or(|(d, _)| d <= add[0].0) {
        let mut cum = last.map_or(0, |l| l.1);
        for &(d, n) in add {
            cum += n;
            match run.last_mut() {
                Some((ld, c)) if *ld == d => *c = cum,
                _ => run.push((d, cum)),
            }
        }
        return;
    }
    let mut out = Vec::with_capacity(run.len() + add.len());
    let (mut i, mut j) = (0, 0);
    let (mut prev, mut cum) = (0u32, 0u32);
    while i < run.len() || j < add.len() {
        let take_old = j == add.len() || (i < run.len() && run[i].0 <= add[j].0);
        let (day, n) = if take_old {
            let (d, c) = run[i];
            i += 1;
            let n = c - prev;
            prev = c;
            (d, n)
        } else {
            let e = add[j];
            j += 1;
            e
        };
        cum += n;
        match out.last_mut() {
            Some((d, c)) if *d == day => *c = cum,
            _ => out.push((day, cum)),
        }
    }
    *run = out;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merged_runs_equal_counting_again() {
        let mut run = Vec::new();
        merge_days(&mut run, &[(5, 2), (9, 1)]);
        merge_days(&mut run, &[(9, 3), (12, 1)]);
        merge_days(&mut run, &[(1, 1), (7, 2)]);
        assert_eq!(run, vec![(1, 1), (5, 3), (7, 5), (9, 9), (12, 10)]);
        assert_eq!(cum_at(&run, 0), 0);
        assert_eq!(cum_at(&run, 8), 5);
        assert_eq!(cum_at(&run, 100), 10);
    }

    /// Counts in the two parts, frozen or not, after removals, equal a plain count.
    #[test]
    fn both_parts_add_up_to_a_plain_count() {
        let mut s = 0x2545_F491_4F6C_DD1Du64;
        let mut next = || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            s
        };
        let mut runs = DayRuns::<u64>::new();
        let mut plain: Vec<(u64, u32)> = Vec::new();
        for batch in 0..6 {
            let mut pairs: Vec<(u64, u32)> = (0..500)
                .map(|_| (next() % 40, (next() % 90) as u32))
                .collect();
            pairs.sort_unstable();
            runs.add_sorted(&pairs);
            plain.extend(&pairs);
            if batch % 2 == 1 {
                runs.freeze();
            }
            // Remove a few that are there, and one that is not.
            for _ in 0..20 {
                let k = (next() as usize) % plain.len();
                let (key, day) = plain.swap_remove(k);
                assert!(runs.remove_one(key, day));
            }
            assert!(!runs.remove_one(999, 3));
            for (key, from, to) in [(3u64, 0u32, 89u32), (7, 10, 20), (39, 50, 50), (12, 30, 10)] {
                let want = plain
                    .iter()
                    .filter(|p| p.0 == key && p.1 >= from && p.1 <= to)
                    .count() as u32;
                assert_eq!(runs.window(key, from, to), want, "key {key} {from}..={to}");
            }
            let mut sum = 0;
            runs.each_window((5, 25), (0, 45), |_| true, |_, n| sum += n);
            let want = plain
                .iter()
                .filter(|p| (5..25).contains(&p.0) && p.1 <= 45)
                .count() as u32;
            assert_eq!(sum, want);
        }
    }
}

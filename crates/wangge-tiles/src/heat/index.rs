//! The incident index behind heat tiles, built for 100 M incidents in under 3 GB:
//!
//! - **records** (`records.rs`, 11 bytes each: position, time, category, source, status) by
//!   z18 bucket (Morton order) and time, so a window is a binary search per bucket;
//! - **day pyramids**: per level from 10 to 19 (one cell = one heat bin of a z4..z13 tile),
//!   per cell and slot (all incidents, each category, each status, each source), the
//!   cumulative count by local day (UTC+8), so the count in any whole-day window is two
//!   binary searches; a status change moves one count between status slots;
//! - **block pyramids**: per level from 20 to 23 (bins of z14-z17 tiles), all incidents, by
//!   block of 32 days.
//!
//! A window that starts or ends inside a day takes its whole days from the pyramids and only
//! the partial days from the records; a filter on two kinds at once (category and status)
//! reads the records. The counts (`day_runs.rs`) and records are updated by each batch.

use super::day_runs::DayRuns;
pub use super::rec::{BUCKET, DAY_OFFSET_S, Rec, day_of, morton, rec_time};
use super::rec::{EPOCH, unmorton};
use super::records::{CellGrid, Kinds, Records};

/// Finest and coarsest pyramid levels (level = tile zoom + log2 of bins per tile side).
pub const PMIN: u32 = 10;
pub const PMAX: u32 = 19;
/// Pyramid slot holding every incident.
const ALL: u8 = 255;
/// Categories with their own pyramid slots (later ones are found in the records only).
const PYRAMID_CATEGORIES: u8 = 200;
/// First pyramid slot of the statuses and of the sources (16 each).
const STATUS_SLOT: u8 = 200;
const SOURCE_SLOT: u8 = 224;
/// Which incidents count, in the index's terms.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RecFilter {
    /// Category slots; `None`: all.
    pub cats: Option<Vec<u8>>,
    pub srcs: Option<Vec<u8>>,
    pub statuses: Option<Vec<u8>>,
    /// Seconds since 2000, inclusive.
    pub from_t: Option<u32>,
    pub to_t: Option<u32>,
}

/// A window cut at local midnights: its whole days, and the stretches of partial days before
/// and after them (seconds since 2000, inclusive).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Split {
    pub days: Option<(u32, u32)>,
    pub ends: Vec<(u32, u32)>,
}

/// Seconds since 2000 at the start of a local day.
fn day_start(d: u32) -> u32 {
    rec_time(i64::from(d) * 86_400 - DAY_OFFSET_S)
}

impl RecFilter {
    /// Whether a record matches (the tests' plain count; the index tests packed records).
    #[cfg(test)]
    fn keeps(&self, r: &Rec) -> bool {
        self.cats.as_ref().is_none_or(|c| c.contains(&r.cat))
            && self.srcs.as_ref().is_none_or(|s| s.contains(&r.src))
            && self.statuses.as_ref().is_none_or(|s| s.contains(&r.status))
            && self.from_t.is_none_or(|t| r.t >= t)
            && self.to_t.is_none_or(|t| r.t <= t)
    }

    /// The same filter over another stretch of time.
    fn between(&self, from: u32, to: u32) -> Self {
        Self {
            from_t: Some(from),
            to_t: Some(to),
            ..self.clone()
        }
    }

    /// The pyramid slots that answer the filter: one kind of filter at most (categories with
    /// slots, statuses or sources); `None` when only the records can.
    fn slots(&self) -> Option<Vec<u8>> {
        let kinds = [&self.cats, &self.srcs, &self.statuses];
        match kinds.iter().filter(|k| k.is_some()).count() {
            0 => Some(vec![ALL]),
            1 => {
                if let Some(c) = &self.cats {
                    return c.iter().all(|&c| c < PYRAMID_CATEGORIES).then(|| c.clone());
                }
                let (v, base) = match (&self.statuses, &self.srcs) {
                    (Some(v), _) => (v, STATUS_SLOT),
                    (_, Some(v)) => (v, SOURCE_SLOT),
                    _ => return None,
                };
                v.iter()
                    .all(|&s| s < 16)
                    .then(|| v.iter().map(|s| base + s).collect())
            }
            _ => None,
        }
    }

    /// The window cut at local midnights.
    pub(crate) fn split(&self) -> Split {
        let mut ends = Vec::new();
        let from = match self.from_t {
            None => 0,
            Some(t) => {
                let d = day_of(i64::from(t) + EPOCH);
                if t == day_start(d) {
                    d
                } else {
                    ends.push((t, day_start(d + 1).saturating_sub(1)));
                    d + 1
                }
            }
        };
        let to = match self.to_t {
            None => u32::MAX,
            Some(t) => {
                let d = day_of(i64::from(t) + EPOCH);
                if t.saturating_add(1) == day_start(d + 1) {
                    d
                } else if d == 0 {
                    return self.whole_partial();
                } else {
                    ends.push((day_start(d), t));
                    d - 1
                }
            }
        };
        if from > to {
            return self.whole_partial();
        }
        Split {
            days: Some((from, to)),
            ends,
        }
    }

    /// A window inside one day (or two partial ones): all from the records.
    fn whole_partial(&self) -> Split {
        Split {
            days: None,
            ends: vec![(self.from_t.unwrap_or(0), self.to_t.unwrap_or(u32::MAX))],
        }
    }

    /// The whole local days the window spans, when the day counts (of the hex and area
    /// counts: all incidents and categories) answer it exactly: no source or status filter,
    /// categories with slots, and a window from the start of a day to the end of one.
    pub(crate) fn days(&self) -> Option<(u32, u32)> {
        if self.srcs.is_some() || self.statuses.is_some() {
            return None;
        }
        self.slots()?;
        let s = self.split();
        if s.ends.is_empty() { s.days } else { None }
    }
}

/// A rectangle of cells at a level, [x0, x1) × [y0, y1), possibly reaching past the world's
/// edge (those cells stay empty).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CellRect {
    pub level: u32,
    pub x0: i64,
    pub y0: i64,
    pub x1: i64,
    pub y1: i64,
}

impl CellRect {
    pub fn width(&self) -> usize {
        (self.x1 - self.x0).max(0) as usize
    }

    pub fn height(&self) -> usize {
        (self.y1 - self.y0).max(0) as usize
    }

    /// Index into a row-major grid of the rectangle, if inside.
    fn slot(&self, cx: u32, cy: u32) -> Option<usize> {
        let (cx, cy) = (i64::from(cx), i64::from(cy));
        (cx >= self.x0 && cx < self.x1 && cy >= self.y0 && cy < self.y1)
            .then(|| (cy - self.y0) as usize * self.width() + (cx - self.x0) as usize)
    }

    /// Morton ranges at `level` (≥ self.level's nodes) covering the rectangle: the nodes of
    /// `node_level` that it meets, each one contiguous range.
    fn ranges(&self, node_level: u32, level: u32) -> Vec<(u64, u64)> {
        let per = 1i64 << (self.level - node_level.min(self.level));
        let max = (1i64 << node_level.min(self.level)) - 1;
        let node = |v: i64| v.div_euclid(per).clamp(0, max);
        let (nx0, nx1) = (node(self.x0), node(self.x1 - 1));
        let (ny0, ny1) = (node(self.y0), node(self.y1 - 1));
        let shift = 2 * (level - node_level.min(self.level));
        let mut out = Vec::new();
        for ny in ny0..=ny1 {
            for nx in nx0..=nx1 {
                let m = morton(nx as u32, ny as u32);
                out.push((m << shift, (m + 1) << shift));
            }
        }
        out
    }
}

/// The index: records, day pyramids (levels 10-19) and block pyramids (levels 20-23).
#[derive(Debug, Default)]
pub struct RecIndex {
    records: Records,
    /// Per level PMIN..=PMAX: key (Morton cell << 8 | slot) → (day, cumulative count).
    pyramid: Vec<DayRuns<u64>>,
    /// Per level FMIN..=FMAX, all incidents: Morton cell → (32-day block, cumulative count).
    /// A window's whole blocks come from here, its ends from the records.
    fine: Vec<DayRuns<u64>>,
}

/// Levels of the block pyramids (the bins of z14-z17 tiles).
pub const FMIN: u32 = 20;
pub const FMAX: u32 = 23;
/// Days per block of the fine pyramids.
const BLOCK: u32 = 32;

/// The pyramid slots a record counts in.
fn slots_of(r: &Rec) -> impl Iterator<Item = u8> {
    [
        Some(ALL),
        (r.cat < PYRAMID_CATEGORIES).then_some(r.cat),
        (r.status < 16).then_some(STATUS_SLOT + r.status),
        (r.src < 16).then_some(SOURCE_SLOT + r.src),
    ]
    .into_iter()
    .flatten()
}

impl RecIndex {
    pub fn new() -> Self {
        Self {
            records: Records::default(),
            pyramid: (PMIN..=PMAX).map(|_| DayRuns::new()).collect(),
            fine: (FMIN..=FMAX).map(|_| DayRuns::new()).collect(),
        }
    }

    pub fn len(&self) -> usize {
        self.records.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Adds a batch (any order).
    pub fn insert(&mut self, recs: &mut [Rec]) {
        if recs.is_empty() {
            return;
        }
        self.records.insert(recs);
        // Pyramids: per level, (key, day) pairs sorted and merged run by run.
        let mut keys: Vec<(u64, u32)> = Vec::with_capacity(recs.len() * 4);
        for (k, level) in (PMIN..=PMAX).enumerate() {
            keys.clear();
            for r in recs.iter() {
                let (x, y) = r.cell(level);
                let m = morton(x, y) << 8;
                let day = r.day();
                keys.extend(slots_of(r).map(|s| (m | u64::from(s), day)));
            }
            keys.sort_unstable();
            self.pyramid[k].add_sorted(&keys);
        }
        for (k, level) in (FMIN..=FMAX).enumerate() {
            keys.clear();
            keys.extend(recs.iter().map(|r| {
                let (x, y) = r.cell(level);
                (morton(x, y), r.day() / BLOCK)
            }));
            keys.sort_unstable();
            self.fine[k].add_sorted(&keys);
        }
    }

    /// Changes one record's status (found by position, time, category and old status); false
    /// when none matches.
    pub fn set_status(&mut self, r: &Rec, status: u8) -> bool {
        if !self.records.set_status(r, status) {
            return false;
        }
        let day = r.day();
        for (k, level) in (PMIN..=PMAX).enumerate() {
            let (x, y) = r.cell(level);
            let m = morton(x, y) << 8;
            if r.status < 16 {
                self.pyramid[k].remove_one(m | u64::from(STATUS_SLOT + r.status), day);
            }
            if status < 16 {
                self.pyramid[k].add_sorted(&[(m | u64::from(STATUS_SLOT + status), day)]);
            }
        }
        true
    }

    /// Packs what a bulk load left open (records sealed, counts frozen).
    pub fn shrink(&mut self) {
        self.records.seal();
        for p in self.pyramid.iter_mut().chain(self.fine.iter_mut()) {
            p.freeze();
        }
    }

    /// Bytes held (an estimate of the heap).
    pub fn heap_bytes(&self) -> usize {
        self.heap_parts().iter().map(|p| p.1).sum()
    }

    /// Bytes held by part: records, day pyramids, block pyramids.
    pub fn heap_parts(&self) -> [(&'static str, usize); 3] {
        let runs = |m: &[DayRuns<u64>]| -> usize { m.iter().map(DayRuns::heap_bytes).sum() };
        [
            ("records", self.records.heap_bytes()),
            ("day pyramids", runs(&self.pyramid)),
            ("block pyramids", runs(&self.fine)),
        ]
    }

    /// Adds the matching incidents of a rectangle of cells into `bins` (row-major over the
    /// rectangle). `node_level` is the zoom of the tile the rectangle belongs to (it bounds
    /// the ranges walked). Whole days come from the pyramids when the filter allows, partial
    /// days and the rest from the records.
    pub fn bin(&self, rect: &CellRect, node_level: u32, f: &RecFilter, bins: &mut [f64]) {
        let slots = f.slots();
        let pyramid = rect.level <= PMAX && slots.is_some();
        let blocks =
            (FMIN..=FMAX).contains(&rect.level) && slots.as_deref().is_some_and(|s| s == [ALL]);
        let split = f.split();
        match (split.days, slots) {
            (Some(days), Some(slots)) if pyramid || blocks => {
                for &(a, b) in &split.ends {
                    self.bin_records(rect, node_level, &f.between(a, b), bins);
                }
                if pyramid {
                    self.bin_pyramid(rect, node_level, &slots, days, bins);
                } else {
                    self.bin_blocks(rect, node_level, days, bins);
                }
            }
            _ => self.bin_records(rect, node_level, f, bins),
        }
    }

    /// Whole 32-day blocks of a window from the block pyramid, the days before the first and
    /// after the last whole block from the records.
    fn bin_blocks(
        &self,
        rect: &CellRect,
        node_level: u32,
        (from, to): (u32, u32),
        bins: &mut [f64],
    ) {
        let first = from.div_ceil(BLOCK);
        let last_end = to.saturating_add(1) / BLOCK; // blocks before this one end inside
        let records = |a: u32, b: u32, bins: &mut [f64]| {
            // Local days a..=b from the records.
            let f = RecFilter {
                from_t: (a > 0).then(|| day_start(a)),
                to_t: (b < u32::MAX).then(|| day_start(b + 1).saturating_sub(1)),
                ..Default::default()
            };
            self.bin_records(rect, node_level, &f, bins);
        };
        if last_end <= first {
            records(from, to, bins);
            return;
        }
        let (b0, b1) = (first, last_end - 1);
        if from < b0 * BLOCK {
            records(from, b0 * BLOCK - 1, bins);
        }
        if to >= (b1 + 1) * BLOCK {
            records((b1 + 1) * BLOCK, to, bins);
        }
        let map = &self.fine[(rect.level - FMIN) as usize];
        for (lo, hi) in rect.ranges(node_level, rect.level) {
            map.each_window(
                (lo, hi),
                (b0, b1),
                |_| true,
                |key, n| {
                    let (cx, cy) = unmorton(key);
                    if let Some(slot) = rect.slot(cx, cy) {
                        bins[slot] += f64::from(n);
                    }
                },
            );
        }
    }

    fn bin_pyramid(
        &self,
        rect: &CellRect,
        node_level: u32,
        slots: &[u8],
        (from, to): (u32, u32),
        bins: &mut [f64],
    ) {
        let src = rect.level.max(PMIN);
        let shift = src - rect.level;
        let map = &self.pyramid[(src - PMIN) as usize];
        let wanted = |key: u64| slots.contains(&((key & 255) as u8));
        for (lo, hi) in rect.ranges(node_level, src) {
            map.each_window((lo << 8, hi << 8), (from, to), wanted, |key, n| {
                let (cx, cy) = unmorton(key >> 8);
                if let Some(slot) = rect.slot(cx >> shift, cy >> shift) {
                    bins[slot] += f64::from(n);
                }
            });
        }
    }

    fn bin_records(&self, rect: &CellRect, node_level: u32, f: &RecFilter, bins: &mut [f64]) {
        // Walk the buckets that hold the rectangle's nodes.
        let nl = node_level.min(rect.level);
        let buckets: Vec<(u64, u64)> = if nl <= BUCKET {
            rect.ranges(nl, BUCKET)
        } else {
            let s = 2 * (nl - BUCKET);
            let mut b: Vec<(u64, u64)> = rect
                .ranges(nl, nl)
                .into_iter()
                .map(|(lo, hi)| (lo >> s, ((hi - 1) >> s) + 1))
                .collect();
            b.sort_unstable();
            b.dedup();
            b
        };
        // The rectangle at bucket level (inclusive), to skip buckets of the nodes' ranges
        // that it does not reach.
        let bl = |v: i64| {
            if rect.level >= BUCKET {
                v >> (rect.level - BUCKET)
            } else {
                v << (BUCKET - rect.level)
            }
        };
        let (bx0, by0) = (bl(rect.x0), bl(rect.y0));
        let bl_end = |v: i64| {
            if rect.level >= BUCKET {
                (v - 1) >> (rect.level - BUCKET)
            } else {
                (v << (BUCKET - rect.level)) - 1
            }
        };
        let (bx1, by1) = (bl_end(rect.x1), bl_end(rect.y1));
        let grid = CellGrid {
            shift: 32 - rect.level,
            x0: rect.x0,
            y0: rect.y0,
            w: rect.width() as u32,
            h: rect.height() as u32,
        };
        let (cat_ok, ss_ok) =
            Kinds::of(f.cats.as_deref(), f.srcs.as_deref(), f.statuses.as_deref()).tables();
        let (from, to) = (f.from_t.unwrap_or(0), f.to_t.unwrap_or(u32::MAX));
        let scan = |parts: &[usize], bins: &mut [f64]| {
            // Integer counts while scanning: half the size of the float bins (a z16 tile's
            // rectangle stays in the first-level cache) and no conversion per record.
            let mut counts = vec![0u32; bins.len()];
            for &part in parts {
                for &(lo, hi) in &buckets {
                    self.records.each_in(part, lo, hi, from, to, |b, v| {
                        let (bx, by) = (i64::from(b.0), i64::from(b.1));
                        if bx < bx0 || bx > bx1 || by < by0 || by > by1 {
                            return;
                        }
                        v.count_into(&mut counts, b, grid, (&cat_ok, &ss_ok));
                    });
                }
            }
            for (b, c) in bins.iter_mut().zip(counts) {
                *b += f64::from(c);
            }
        };
        let sizes: Vec<usize> = (0..self.records.parts())
            .map(|part| {
                let mut n = 0;
                for &(lo, hi) in &buckets {
                    self.records
                        .each_in(part, lo, hi, from, to, |_, v| n += v.len());
                }
                n
            })
            .collect();
        shared_scan(&sizes, bins, scan);
    }
}

/// Records a scan reads before it is shared between two threads (a millisecond or more of
/// work, against tens of microseconds to start a thread).
const SHARE_FROM: usize = 200_000;

/// Runs `scan` over the parts with records (`sizes`: records each part holds in the window),
/// on two threads when the scan is large and the machine has two cores: halves of about equal
/// size, each into bins of its own, added at the end (counts, so the sum is exact and the
/// same in any order).
fn shared_scan(sizes: &[usize], bins: &mut [f64], scan: impl Fn(&[usize], &mut [f64]) + Sync) {
    let parts: Vec<usize> = (0..sizes.len()).filter(|&p| sizes[p] > 0).collect();
    let total: usize = sizes.iter().sum();
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    if total < SHARE_FROM || cores < 2 || parts.len() < 2 {
        scan(&parts, bins);
        return;
    }
    let mut order = parts;
    order.sort_by_key(|&p| std::cmp::Reverse(sizes[p]));
    let (mut mine, mut theirs, mut n_mine, mut n_theirs) = (Vec::new(), Vec::new(), 0, 0);
    for p in order {
        if n_mine <= n_theirs {
            mine.push(p);
            n_mine += sizes[p];
        } else {
            theirs.push(p);
            n_theirs += sizes[p];
        }
    }
    let mut other = vec![0.0; bins.len()];
    std::thread::scope(|s| {
        s.spawn(|| scan(&theirs, &mut other));
        scan(&mine, bins);
    });
    for (b, o) in bins.iter_mut().zip(other) {
        *b += o;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shared_scan_reads_every_part_with_records_once() {
        let sizes = [0, 300_000, 10, 250_000, 5];
        let scan = |parts: &[usize], bins: &mut [f64]| {
            for &p in parts {
                bins[p] += 1.0 + p as f64;
            }
        };
        let mut bins = vec![0.0; 5];
        shared_scan(&sizes, &mut bins, scan);
        assert_eq!(bins, vec![0.0, 2.0, 3.0, 4.0, 5.0]);
        let mut small = vec![0.0; 5];
        shared_scan(&[1, 2, 3, 0, 0], &mut small, scan);
        assert_eq!(small, vec![1.0, 2.0, 3.0, 0.0, 0.0]);
    }

    #[test]
    fn morton_round_trips() {
        for (x, y) in [(0, 0), (1, 0), (0, 1), (12345, 678), (u32::MAX, 7)] {
            assert_eq!(unmorton(morton(x, y)), (x, y));
        }
        assert_eq!(morton(1, 0), 1);
        assert_eq!(morton(0, 1), 2);
    }

    /// Pyramid and record answers agree for whole-day and partial-day windows, category,
    /// status and source filters at every level, before and after a status change, and equal
    /// a plain count.
    #[test]
    fn pyramids_and_records_agree() {
        let mut s = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            s
        };
        let base = [0.8301, 0.4052];
        let mut recs: Vec<Rec> = (0..20_000)
            .map(|_| {
                let dx = (next() % 10_000) as f64 * 1e-8;
                let dy = (next() % 10_000) as f64 * 1e-8;
                let unix = 1_700_000_000 + (next() % (200 * 86_400)) as i64;
                let (cat, src, status) =
                    ((next() % 5) as u8, (next() % 2) as u8, (next() % 3) as u8);
                Rec::new([base[0] + dx, base[1] + dy], unix, cat, src, status)
            })
            .collect();
        let mut all = recs.clone();
        let mut idx = RecIndex::new();
        // Two batches, sealed and frozen between them, the second partly older (late reports).
        let (a, b) = recs.split_at_mut(12_000);
        b.sort_by_key(|r| std::cmp::Reverse(r.t));
        idx.insert(a);
        idx.shrink();
        idx.insert(b);
        assert_eq!(idx.len(), 20_000);
        // A status change, in the index and in the plain list.
        for k in [17usize, 12_345] {
            let r = all[k];
            assert!(idx.set_status(&r, 4));
            all[k].status = 4;
        }
        let day0 = day_of(1_700_000_000) + 30;
        let from_t = rec_time(i64::from(day0) * 86_400 - DAY_OFFSET_S);
        let to_t = rec_time(i64::from(day0 + 60) * 86_400 - DAY_OFFSET_S - 1);
        let cats = RecFilter {
            cats: Some(vec![1, 3]),
            from_t: Some(from_t),
            to_t: Some(to_t),
            ..Default::default()
        };
        assert!(cats.days().is_some());
        let mut filters = vec![
            cats.clone(),
            RecFilter {
                cats: None,
                ..cats.clone()
            },
            RecFilter {
                cats: None,
                statuses: Some(vec![4, 1]),
                ..cats.clone()
            },
            RecFilter {
                cats: None,
                srcs: Some(vec![1]),
                ..cats.clone()
            },
            RecFilter {
                statuses: Some(vec![0]),
                ..cats.clone()
            },
            RecFilter::default(),
        ];
        // The same from 09:17 on the first day to 15:02 on the last.
        for f in filters.clone() {
            filters.push(RecFilter {
                from_t: Some(from_t + 9 * 3600 + 17 * 60),
                to_t: Some(to_t - 9 * 3600 + 2 * 60),
                ..f
            });
        }
        // Inside one day.
        filters.push(RecFilter {
            from_t: Some(from_t + 3600),
            to_t: Some(from_t + 7200),
            ..Default::default()
        });
        for (z, f) in [2u32, 6, 13, 15, 16, 17]
            .into_iter()
            .flat_map(|z| filters.iter().map(move |f| (z, f)))
        {
            let level = z + 6;
            let (cx, cy) = all[0].cell(z);
            let per = 1i64 << 6;
            let rect = CellRect {
                level,
                x0: i64::from(cx) * per - 9,
                y0: i64::from(cy) * per - 9,
                x1: i64::from(cx + 1) * per + 9,
                y1: i64::from(cy + 1) * per + 9,
            };
            let mut p = vec![0.0; rect.width() * rect.height()];
            let mut r = vec![0.0; p.len()];
            idx.bin(&rect, z, f, &mut p);
            idx.bin_records(&rect, z, f, &mut r);
            let mut plain = vec![0.0; p.len()];
            for rec in &all {
                let (x, y) = rec.cell(level);
                if f.keeps(rec)
                    && let Some(s) = rect.slot(x, y)
                {
                    plain[s] += 1.0;
                }
            }
            assert_eq!(p, plain, "pyramid, z{z} {f:?}");
            assert_eq!(r, plain, "records, z{z} {f:?}");
            let long = f.to_t.unwrap_or(u32::MAX) - f.from_t.unwrap_or(0) > 86_400;
            assert!(!long || plain.iter().sum::<f64>() > 1.0, "z{z} {f:?}");
        }
    }

    #[test]
    fn a_window_splits_at_local_midnight() {
        let day = day_of(1_700_000_000);
        let start = day_start(day);
        let whole = RecFilter {
            from_t: Some(start),
            to_t: Some(day_start(day + 3) - 1),
            ..Default::default()
        };
        assert_eq!(
            whole.split(),
            Split {
                days: Some((day, day + 2)),
                ends: vec![]
            }
        );
        let partial = RecFilter {
            from_t: Some(start + 100),
            to_t: Some(day_start(day + 3) + 50),
            ..Default::default()
        };
        assert_eq!(
            partial.split(),
            Split {
                days: Some((day + 1, day + 2)),
                ends: vec![
                    (start + 100, day_start(day + 1) - 1),
                    (day_start(day + 3), day_start(day + 3) + 50)
                ],
            }
        );
        assert_eq!(partial.days(), None, "counts answer whole days only");
        let inside = RecFilter {
            from_t: Some(start + 5),
            to_t: Some(start + 9),
            ..Default::default()
        };
        assert_eq!(
            inside.split(),
            Split {
                days: None,
                ends: vec![(start + 5, start + 9)]
            }
        );
    }
}

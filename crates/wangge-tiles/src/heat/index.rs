//! The incident index behind heat tiles, built for 100 M incidents in a few GB:
//!
//! - **records** of 16 bytes (Web Mercator position as 32-bit integers, time in seconds since
//!   2000, category, source, status) in buckets of z16 tiles (Morton order), each sorted by
//!   time, so a window is a binary search;
//! - **count pyramids**: per level from 10 to 19 (one cell = one heat bin of a z4..z13 tile),
//!   per cell and category (and all categories), the cumulative count by local day (UTC+8),
//!   so the count in any whole-day window is two binary searches.
//!
//! Both are updated in place by each batch: a new day appends, a late report shifts the later
//! sums of its cells.

use std::collections::BTreeMap;

/// Finest and coarsest pyramid levels (level = tile zoom + log2 of bins per tile side).
pub const PMIN: u32 = 10;
pub const PMAX: u32 = 19;
/// Records are bucketed by z18 tile (a z16 tile and its margin read 6 × 6 of them, not 3 × 3 z16 buckets).
pub const BUCKET: u32 = 18;
/// Pyramid category slot holding every category.
const ALL: u8 = 63;
/// Categories with their own pyramid slots (later ones are found in the records only).
const PYRAMID_CATEGORIES: usize = 62;
/// 2000-01-01T00:00:00Z.
const EPOCH: i64 = 946_684_800;
/// Days are China's local days.
pub const DAY_OFFSET_S: i64 = 8 * 3600;

/// One incident as the heat index keeps it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rec {
    /// World coordinates × 2³².
    pub x: u32,
    pub y: u32,
    /// Seconds since 2000-01-01 UTC.
    pub t: u32,
    pub cat: u8,
    pub src: u8,
    pub status: u8,
}

impl Rec {
    /// From world coordinates in [0, 1]² and Unix seconds.
    pub fn new(world: [f64; 2], unix: i64, cat: u8, src: u8, status: u8) -> Self {
        let q = |v: f64| (v.clamp(0.0, 1.0) * 4_294_967_296.0).min(4_294_967_295.0) as u32;
        Self {
            x: q(world[0]),
            y: q(world[1]),
            t: (unix - EPOCH).clamp(0, i64::from(u32::MAX)) as u32,
            cat,
            src,
            status,
        }
    }

    /// Local day number (days since 1970 in UTC+8).
    pub fn day(&self) -> u32 {
        day_of(i64::from(self.t) + EPOCH)
    }

    /// Cell coordinates at a level.
    pub fn cell(&self, level: u32) -> (u32, u32) {
        (self.x >> (32 - level), self.y >> (32 - level))
    }
}

/// The local day of a Unix time.
pub fn day_of(unix: i64) -> u32 {
    (unix + DAY_OFFSET_S)
        .div_euclid(86_400)
        .clamp(0, i64::from(u32::MAX)) as u32
}

/// Seconds since 2000 of a Unix time (as records keep it).
pub fn rec_time(unix: i64) -> u32 {
    (unix - EPOCH).clamp(0, i64::from(u32::MAX)) as u32
}

/// Interleaves the bits of x and y (x in the even bits).
pub fn morton(x: u32, y: u32) -> u64 {
    fn spread(v: u32) -> u64 {
        let mut v = u64::from(v);
        v = (v | (v << 16)) & 0x0000_FFFF_0000_FFFF;
        v = (v | (v << 8)) & 0x00FF_00FF_00FF_00FF;
        v = (v | (v << 4)) & 0x0F0F_0F0F_0F0F_0F0F;
        v = (v | (v << 2)) & 0x3333_3333_3333_3333;
        v = (v | (v << 1)) & 0x5555_5555_5555_5555;
        v
    }
    spread(x) | (spread(y) << 1)
}

fn unmorton(m: u64) -> (u32, u32) {
    fn squeeze(mut v: u64) -> u32 {
        v &= 0x5555_5555_5555_5555;
        v = (v | (v >> 1)) & 0x3333_3333_3333_3333;
        v = (v | (v >> 2)) & 0x0F0F_0F0F_0F0F_0F0F;
        v = (v | (v >> 4)) & 0x00FF_00FF_00FF_00FF;
        v = (v | (v >> 8)) & 0x0000_FFFF_0000_FFFF;
        v = (v | (v >> 16)) & 0x0000_0000_FFFF_FFFF;
        v as u32
    }
    (squeeze(m), squeeze(m >> 1))
}

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

impl RecFilter {
    fn keeps(&self, r: &Rec) -> bool {
        self.cats.as_ref().is_none_or(|c| c.contains(&r.cat))
            && self.srcs.as_ref().is_none_or(|s| s.contains(&r.src))
            && self.statuses.as_ref().is_none_or(|s| s.contains(&r.status))
            && self.from_t.is_none_or(|t| r.t >= t)
            && self.to_t.is_none_or(|t| r.t <= t)
    }

    /// The whole local days the window spans, when the pyramids can answer it exactly:
    /// no source or status filter, categories with pyramid slots, and a window from the
    /// start of a day to the end of one.
    pub(crate) fn days(&self) -> Option<(u32, u32)> {
        if self.srcs.is_some() || self.statuses.is_some() {
            return None;
        }
        if let Some(c) = &self.cats
            && c.iter().any(|&c| usize::from(c) >= PYRAMID_CATEGORIES)
        {
            return None;
        }
        let unix = |t: u32| i64::from(t) + EPOCH;
        let from = match self.from_t {
            None => 0,
            Some(t) if (unix(t) + DAY_OFFSET_S).rem_euclid(86_400) == 0 => day_of(unix(t)),
            Some(_) => return None,
        };
        let to = match self.to_t {
            None => u32::MAX,
            Some(t) if (unix(t) + 1 + DAY_OFFSET_S).rem_euclid(86_400) == 0 => day_of(unix(t)),
            Some(_) => return None,
        };
        Some((from, to))
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

/// The index: records bucketed by z18 tile, count pyramids by day (levels 10-19) and by
/// 32-day block (levels 20-23).
#[derive(Debug, Default)]
pub struct RecIndex {
    buckets: BTreeMap<u64, Vec<Rec>>,
    /// Per level PMIN..=PMAX: key (Morton cell << 6 | category slot) → (day, cumulative count).
    pyramid: Vec<BTreeMap<u64, Vec<(u32, u32)>>>,
    /// Per level FMIN..=FMAX, all categories: Morton cell → (32-day block, cumulative count).
    /// A window's whole blocks come from here, its ends from the records.
    fine: Vec<BTreeMap<u64, Vec<(u32, u32)>>>,
    len: usize,
}

/// Levels of the block pyramids (the bins of z14-z17 tiles).
pub const FMIN: u32 = 20;
pub const FMAX: u32 = 23;
/// Days per block of the fine pyramids.
const BLOCK: u32 = 32;

impl RecIndex {
    pub fn new() -> Self {
        Self {
            buckets: BTreeMap::new(),
            pyramid: (PMIN..=PMAX).map(|_| BTreeMap::new()).collect(),
            fine: (FMIN..=FMAX).map(|_| BTreeMap::new()).collect(),
            len: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Adds a batch (any order).
    pub fn insert(&mut self, recs: &mut [Rec]) {
        if recs.is_empty() {
            return;
        }
        self.len += recs.len();
        // Records: by bucket, then time.
        let bucket = |r: &Rec| {
            let (x, y) = r.cell(BUCKET);
            morton(x, y)
        };
        recs.sort_unstable_by_key(|r| (bucket(r), r.t));
        for group in recs.chunk_by(|a, b| bucket(a) == bucket(b)) {
            let v = self.buckets.entry(bucket(&group[0])).or_default();
            if v.last().is_none_or(|l| l.t <= group[0].t) {
                // Grow by an eighth, not double: at 100 M records the slack of doubling and
                // the holes it leaves behind cost more than the extra copies.
                if v.capacity() - v.len() < group.len() {
                    v.reserve_exact(group.len().max(v.len() / 8));
                }
                v.extend_from_slice(group);
            } else {
                let old = std::mem::take(v);
                let mut merged = Vec::with_capacity(old.len() + group.len());
                let (mut i, mut j) = (0, 0);
                while i < old.len() || j < group.len() {
                    if j == group.len() || (i < old.len() && old[i].t <= group[j].t) {
                        merged.push(old[i]);
                        i += 1;
                    } else {
                        merged.push(group[j]);
                        j += 1;
                    }
                }
                *v = merged;
            }
        }
        // Pyramids: per level, (key, day) pairs sorted and merged run by run.
        let mut keys: Vec<(u64, u32)> = Vec::with_capacity(recs.len() * 2);
        for (k, level) in (PMIN..=PMAX).enumerate() {
            keys.clear();
            for r in recs.iter() {
                let (x, y) = r.cell(level);
                let m = morton(x, y) << 6;
                let day = r.day();
                keys.push((m | u64::from(ALL), day));
                if usize::from(r.cat) < PYRAMID_CATEGORIES {
                    keys.push((m | u64::from(r.cat), day));
                }
            }
            keys.sort_unstable();
            let map = &mut self.pyramid[k];
            for run in keys.chunk_by(|a, b| a.0 == b.0) {
                let mut add: Vec<(u32, u32)> = Vec::new();
                for same in run.chunk_by(|a, b| a.1 == b.1) {
                    add.push((same[0].1, same.len() as u32));
                }
                merge_days(map.entry(run[0].0).or_default(), &add);
            }
        }
        for (k, level) in (FMIN..=FMAX).enumerate() {
            keys.clear();
            keys.extend(recs.iter().map(|r| {
                let (x, y) = r.cell(level);
                (morton(x, y), r.day() / BLOCK)
            }));
            keys.sort_unstable();
            let map = &mut self.fine[k];
            for run in keys.chunk_by(|a, b| a.0 == b.0) {
                let add: Vec<(u32, u32)> = run
                    .chunk_by(|a, b| a.1 == b.1)
                    .map(|same| (same[0].1, same.len() as u32))
                    .collect();
                merge_days(map.entry(run[0].0).or_default(), &add);
            }
        }
    }

    /// Changes one record's status (found by position, time and old status); false when none
    /// matches.
    pub fn set_status(&mut self, r: &Rec, status: u8) -> bool {
        let (x, y) = r.cell(BUCKET);
        let Some(v) = self.buckets.get_mut(&morton(x, y)) else {
            return false;
        };
        let start = v.partition_point(|o| o.t < r.t);
        for o in &mut v[start..] {
            if o.t != r.t {
                break;
            }
            if o.x == r.x && o.y == r.y && o.status == r.status && o.cat == r.cat {
                o.status = status;
                return true;
            }
        }
        false
    }

    /// Releases spare capacity (after a bulk load).
    pub fn shrink(&mut self) {
        for v in self.buckets.values_mut() {
            v.shrink_to_fit();
        }
        for m in self.pyramid.iter_mut().chain(self.fine.iter_mut()) {
            for v in m.values_mut() {
                v.shrink_to_fit();
            }
        }
    }

    /// Bytes held (records, pyramid runs and map entries; an estimate of the heap).
    pub fn heap_bytes(&self) -> usize {
        let entry = 48; // B-tree slot: key, Vec header, node share
        let recs: usize = self
            .buckets
            .values()
            .map(|v| v.capacity() * std::mem::size_of::<Rec>() + entry)
            .sum();
        let runs: usize = self
            .pyramid
            .iter()
            .chain(&self.fine)
            .flat_map(|m| m.values())
            .map(|v| v.capacity() * 8 + entry)
            .sum();
        recs + runs
    }

    /// Adds the matching incidents of a rectangle of cells into `bins` (row-major over the
    /// rectangle). `node_level` is the zoom of the tile the rectangle belongs to (it bounds
    /// the ranges walked). Uses the pyramids when the filter allows, else the records.
    pub fn bin(&self, rect: &CellRect, node_level: u32, f: &RecFilter, bins: &mut [f64]) {
        match f.days() {
            Some(days) if rect.level <= PMAX => self.bin_pyramid(rect, node_level, f, days, bins),
            Some(days) if (FMIN..=FMAX).contains(&rect.level) && f.cats.is_none() => {
                self.bin_blocks(rect, node_level, days, bins)
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
        let day_start = |d: u32| rec_time(i64::from(d) * 86_400 - DAY_OFFSET_S);
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
            for (key, run) in map.range(lo..hi) {
                let (cx, cy) = unmorton(*key);
                let Some(slot) = rect.slot(cx, cy) else {
                    continue;
                };
                let n = window_count(run, b0, b1);
                bins[slot] += f64::from(n);
            }
        }
    }

    fn bin_pyramid(
        &self,
        rect: &CellRect,
        node_level: u32,
        f: &RecFilter,
        (from, to): (u32, u32),
        bins: &mut [f64],
    ) {
        let src = rect.level.max(PMIN);
        let shift = src - rect.level;
        let map = &self.pyramid[(src - PMIN) as usize];
        let wanted = |slot: u8| match &f.cats {
            None => slot == ALL,
            Some(c) => slot != ALL && c.contains(&slot),
        };
        for (lo, hi) in rect.ranges(node_level, src) {
            for (key, run) in map.range(lo << 6..hi << 6) {
                if !wanted((key & 63) as u8) {
                    continue;
                }
                let (cx, cy) = unmorton(key >> 6);
                let Some(slot) = rect.slot(cx >> shift, cy >> shift) else {
                    continue;
                };
                let n = window_count(run, from, to);
                bins[slot] += f64::from(n);
            }
        }
    }

    fn bin_records(&self, rect: &CellRect, node_level: u32, f: &RecFilter, bins: &mut [f64]) {
        // Buckets are z16 tiles: walk the buckets that hold the rectangle's nodes.
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
        let shift = 32 - rect.level;
        let (w, h) = (rect.width() as u32, rect.height() as u32);
        let trivial = f.cats.is_none() && f.srcs.is_none() && f.statuses.is_none();
        for (lo, hi) in buckets {
            for (key, v) in self.buckets.range(lo..hi) {
                let (bx, by) = unmorton(*key);
                let (bx, by) = (i64::from(bx), i64::from(by));
                if bx < bx0 || bx > bx1 || by < by0 || by > by1 {
                    continue;
                }
                let a = f.from_t.map_or(0, |t| v.partition_point(|r| r.t < t));
                let b = f.to_t.map_or(v.len(), |t| v.partition_point(|r| r.t <= t));
                for r in &v[a..b.max(a)] {
                    if !trivial && !f.keeps(r) {
                        continue;
                    }
                    // Unsigned offsets: cells left of or above the rectangle wrap to large.
                    let dx = (i64::from(r.x >> shift) - rect.x0) as u32;
                    let dy = (i64::from(r.y >> shift) - rect.y0) as u32;
                    if dx < w && dy < h {
                        bins[(dy * w + dx) as usize] += 1.0;
                    }
                }
            }
        }
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
    if last.is_none_or(|(d, _)| d < add[0].0) {
        let mut cum = last.map_or(0, |l| l.1);
        for &(d, n) in add {
            cum += n;
            run.push((d, cum));
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
    fn morton_round_trips() {
        for (x, y) in [(0, 0), (1, 0), (0, 1), (12345, 678), (u32::MAX, 7)] {
            assert_eq!(unmorton(morton(x, y)), (x, y));
        }
        assert_eq!(morton(1, 0), 1);
        assert_eq!(morton(0, 1), 2);
    }

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

    /// Pyramid and record answers agree for whole-day windows at every level, and equal a
    /// plain count.
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
                Rec::new([base[0] + dx, base[1] + dy], unix, (next() % 5) as u8, 0, 0)
            })
            .collect();
        let all = recs.clone();
        let mut idx = RecIndex::new();
        // Two batches, the second partly older (late reports).
        let (a, b) = recs.split_at_mut(12_000);
        b.sort_by_key(|r| std::cmp::Reverse(r.t));
        idx.insert(a);
        idx.insert(b);
        assert_eq!(idx.len(), 20_000);
        let day0 = day_of(1_700_000_000) + 30;
        let from_t = rec_time(i64::from(day0) * 86_400 - DAY_OFFSET_S);
        let to_t = rec_time(i64::from(day0 + 60) * 86_400 - DAY_OFFSET_S - 1);
        let f = RecFilter {
            cats: Some(vec![1, 3]),
            from_t: Some(from_t),
            to_t: Some(to_t),
            ..Default::default()
        };
        assert!(f.days().is_some());
        let no_cats = RecFilter {
            cats: None,
            ..f.clone()
        };
        let open = RecFilter::default();
        for (z, f) in [2u32, 6, 13, 15, 16, 17]
            .into_iter()
            .flat_map(|z| [(z, &f), (z, &no_cats), (z, &open)])
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
            assert!(plain.iter().sum::<f64>() > 20.0, "z{z} {f:?}");
        }
    }
}

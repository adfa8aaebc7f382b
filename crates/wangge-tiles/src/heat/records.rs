//! The heat index's incident records, 11 bytes each, by z18 bucket and time.
//!
//! A record keeps its position inside its bucket (14 bits a side: the full 32-bit world
//! precision, about 1 cm), its time in seconds since 2000, its category slot, and source and
//! status in a byte, in five columns: times, positions, the position's cell at level 22 (the
//! bins of a z16 tile: one byte), categories, source and status. A scan reads only what it
//! needs: a z16 tile one byte of position a record (four at other zooms) and, when filtered,
//! one byte of kind, not all eleven. New records go to an **open** part (a B-tree of
//! buckets); every 4 Mi records it is sealed into a **segment**: columns sorted by bucket
//! then time, with a bucket directory and the segment's time span. Segments are never
//! rewritten (a status change is one byte in place), so memory is the records plus a few
//! large blocks, and queries skip the segments outside their window.

use super::rec::{BUCKET, Rec, morton, unmorton};
use std::collections::BTreeMap;

/// Bits of a world coordinate inside a bucket.
const INNER: u32 = 32 - BUCKET;
const MASK: u32 = (1 << INNER) - 1;
/// Records per sealed segment.
const SEAL: usize = 1 << 22;

/// One record as kept (11 bytes, in five columns).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Packed {
    /// Seconds since 2000.
    t: u32,
    /// Position inside the bucket: x in the low 16 bits, y in the high ones.
    xy: u32,
    /// The position's cell at level 22 (the bins of a z16 tile) inside the bucket: y in the
    /// high nibble, x in the low one (derived from `xy`, kept so a z16 scan reads one byte).
    cell: u8,
    cat: u8,
    /// Source in the high nibble, status in the low one.
    ss: u8,
}

impl Packed {
    fn of(r: &Rec) -> Self {
        Self {
            t: r.t,
            xy: (r.x & MASK) | ((r.y & MASK) << 16),
            cell: ((((r.y & MASK) >> CELL_SHIFT) << 4) | ((r.x & MASK) >> CELL_SHIFT)) as u8,
            cat: r.cat,
            ss: (r.src.min(15) << 4) | r.status.min(15),
        }
    }
}

/// World coordinates × 2³² of a position inside a bucket, given the bucket's coordinates.
#[cfg(test)]
fn world((bx, by): (u32, u32), xy: u32) -> (u32, u32) {
    ((bx << INNER) | (xy & 0xFFFF), (by << INNER) | (xy >> 16))
}

/// Records in columns (a bucket's, or a segment's buckets one after another), each bucket's
/// in time order. A scan reads only the columns it needs: times for the window's binary
/// search, kinds for a filter, positions for what it keeps.
#[derive(Debug, Default, Clone)]
struct Cols {
    t: Vec<u32>,
    xy: Vec<u32>,
    cell: Vec<u8>,
    cat: Vec<u8>,
    ss: Vec<u8>,
}

impl Cols {
    fn with_capacity(n: usize) -> Self {
        Self {
            t: Vec::with_capacity(n),
            xy: Vec::with_capacity(n),
            cell: Vec::with_capacity(n),
            cat: Vec::with_capacity(n),
            ss: Vec::with_capacity(n),
        }
    }

    fn len(&self) -> usize {
        self.t.len()
    }

    fn push(&mut self, p: Packed) {
        self.t.push(p.t);
        self.xy.push(p.xy);
        self.cell.push(p.cell);
        self.cat.push(p.cat);
        self.ss.push(p.ss);
    }

    fn get(&self, k: usize) -> Packed {
        Packed {
            t: self.t[k],
            xy: self.xy[k],
            cell: self.cell[k],
            cat: self.cat[k],
            ss: self.ss[k],
        }
    }

    fn extend_from(&mut self, o: &Cols) {
        self.t.extend_from_slice(&o.t);
        self.xy.extend_from_slice(&o.xy);
        self.cell.extend_from_slice(&o.cell);
        self.cat.extend_from_slice(&o.cat);
        self.ss.extend_from_slice(&o.ss);
    }

    /// The records `range` whose time is in `from..=to`.
    fn window(&self, range: std::ops::Range<usize>, from: u32, to: u32) -> Run<'_> {
        let t = &self.t[range.clone()];
        let a = range.start + t.partition_point(|&v| v < from);
        let b = range.start + t.partition_point(|&v| v <= to);
        Run {
            xy: &self.xy[a..b.max(a)],
            cell: &self.cell[a..b.max(a)],
            cat: &self.cat[a..b.max(a)],
            ss: &self.ss[a..b.max(a)],
        }
    }

    /// Sets the status of the record equal to `want` in `range`; false when none is.
    fn set_status(&mut self, range: std::ops::Range<usize>, want: Packed, status: u8) -> bool {
        let start = range.start + self.t[range.clone()].partition_point(|&v| v < want.t);
        for k in start..range.end {
            if self.t[k] != want.t {
                break;
            }
            if self.get(k) == want {
                self.ss[k] = (self.ss[k] & 0xF0) | status.min(15);
                return true;
            }
        }
        false
    }

    fn heap_bytes(&self) -> usize {
        self.t.capacity() * 4
            + self.xy.capacity() * 4
            + self.cell.capacity()
            + self.cat.capacity()
            + self.ss.capacity()
    }
}

/// A bucket's records in a time window, column by column.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Run<'a> {
    /// Positions inside the bucket (`world` turns one into world coordinates).
    pub(crate) xy: &'a [u32],
    /// Cells at level 22 inside the bucket (`Packed::cell`).
    pub(crate) cell: &'a [u8],
    pub(crate) cat: &'a [u8],
    pub(crate) ss: &'a [u8],
}

impl Run<'_> {
    pub(crate) fn len(&self) -> usize {
        self.xy.len()
    }

    /// Adds one to `counts` (row-major over `g`) for each record inside `g` that the tables
    /// keep (`Kinds::tables`); `b` is the run's bucket. Written for the scan's inner loop:
    /// locals only, no branch per record (a filter keeping a third of the records at random
    /// would mispredict one), a record outside or filtered out adds 0.
    #[inline(never)]
    pub(crate) fn count_into(
        &self,
        counts: &mut [u32],
        b: (u32, u32),
        g: CellGrid,
        (cat_ok, ss_ok): (&[u8; 256], &[u8; 256]),
    ) {
        let (w, h) = (g.w, g.h);
        if w == 0 || h == 0 || counts.len() < (w * h) as usize {
            return;
        }
        let last = (w * h - 1) as usize;
        let kept = |k: usize| cat_ok[usize::from(self.cat[k])] & ss_ok[usize::from(self.ss[k])];
        if g.shift >= INNER {
            // Cells as large as buckets or larger: the whole run falls in one cell.
            let dx = (i64::from(b.0 >> (g.shift - INNER)) - g.x0) as u32;
            let dy = (i64::from(b.1 >> (g.shift - INNER)) - g.y0) as u32;
            if dx < w && dy < h {
                let n: u32 = (0..self.len()).map(|k| u32::from(kept(k))).sum();
                counts[(dy * w + dx) as usize] += n;
            }
            return;
        }
        // Offsets of the bucket's first cell from the grid's corner (wrapping: a cell left of
        // or above the grid comes out large).
        let s = g.shift;
        let ox = ((i64::from(b.0) << (INNER - s)) - g.x0) as u32;
        let oy = ((i64::from(b.1) << (INNER - s)) - g.y0) as u32;
        let n = self.len();
        let (xy, cat, ss) = (&self.xy[..n], &self.cat[..n], &self.ss[..n]);
        let bits = INNER - s;
        let side = 1usize << bits;
        if side <= LOCAL_SIDE && n >= side * side {
            // A long run: counted into the bucket's own cells first (no bounds, no
            // offsets), then its cells into the grid.
            let mut buf = [0u32; LOCAL_SIDE * LOCAL_SIDE];
            let local = &mut buf[..side * side];
            if bits == INNER - CELL_SHIFT {
                // Bins of a z16 tile: the cell column (one byte a record) is the cell.
                for (k, &c) in self.cell[..n].iter().enumerate() {
                    local[usize::from(c)] +=
                        u32::from(cat_ok[usize::from(cat[k])] & ss_ok[usize::from(ss[k])]);
                }
            } else {
                let mask = side as u32 - 1;
                for k in 0..n {
                    let i = (((xy[k] >> 16 >> s) & mask) << bits) | ((xy[k] & 0xFFFF) >> s & mask);
                    local[i as usize] +=
                        u32::from(cat_ok[usize::from(cat[k])] & ss_ok[usize::from(ss[k])]);
                }
            }
            for (i, &c) in local.iter().enumerate() {
                let dx = ox.wrapping_add((i & (side - 1)) as u32);
                let dy = oy.wrapping_add((i >> bits) as u32);
                if c > 0 && dx < w && dy < h {
                    counts[(dy * w + dx) as usize] += c;
                }
            }
            return;
        }
        for k in 0..n {
            let dx = ox.wrapping_add((xy[k] & 0xFFFF) >> s);
            let dy = oy.wrapping_add(xy[k] >> 16 >> s);
            let keep = u32::from(cat_ok[usize::from(cat[k])] & ss_ok[usize::from(ss[k])]);
            let inside = u32::from(dx < w) & u32::from(dy < h) & keep;
            let slot = (dy.wrapping_mul(w).wrapping_add(dx) as usize).min(last);
            counts[slot] += inside;
        }
    }
}

/// Bits of an in-bucket coordinate below its level-22 cell (4 bits of cell a side).
const CELL_SHIFT: u32 = 10;

/// The most cells a side of a bucket is counted in on the stack (a z17 tile's bins at two
/// scales: 2⁵ per bucket side).
const LOCAL_SIDE: usize = 32;

/// A rectangle of cells that a scan counts into: `shift` = 32 − its level, its first cell
/// and its size in cells.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CellGrid {
    pub(crate) shift: u32,
    pub(crate) x0: i64,
    pub(crate) y0: i64,
    pub(crate) w: u32,
    pub(crate) h: u32,
}

/// Category, source and status filters as bit masks, tested on packed records.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Kinds {
    cats: Option<[u64; 4]>,
    srcs: Option<u16>,
    statuses: Option<u16>,
}

impl Kinds {
    pub(crate) fn of(cats: Option<&[u8]>, srcs: Option<&[u8]>, statuses: Option<&[u8]>) -> Self {
        let nibbles = |v: &[u8]| v.iter().filter(|&&s| s < 16).fold(0u16, |m, s| m | 1 << s);
        Self {
            cats: cats.map(|c| {
                let mut m = [0u64; 4];
                for &c in c {
                    m[usize::from(c / 64)] |= 1 << (c % 64);
                }
                m
            }),
            srcs: srcs.map(nibbles),
            statuses: statuses.map(nibbles),
        }
    }

    /// Lookup tables of the kept category bytes and source-status bytes (1 kept, 0 not), so
    /// a scan tests a record without a branch.
    pub(crate) fn tables(&self) -> ([u8; 256], [u8; 256]) {
        let mut cats = [1u8; 256];
        let mut ss = [1u8; 256];
        for b in 0..=255u8 {
            if let Some(m) = self.cats {
                cats[usize::from(b)] = u8::from(m[usize::from(b / 64)] & (1 << (b % 64)) != 0);
            }
            let src = self.srcs.is_none_or(|m| m & (1 << (b >> 4)) != 0);
            let status = self.statuses.is_none_or(|m| m & (1 << (b & 15)) != 0);
            ss[usize::from(b)] = u8::from(src && status);
        }
        (cats, ss)
    }
}

/// A sealed run of records.
#[derive(Debug)]
struct Segment {
    recs: Cols,
    /// Bucket keys (sorted) and where each bucket's records start (`keys.len() + 1`).
    keys: Vec<u64>,
    starts: Vec<u32>,
    t_min: u32,
    t_max: u32,
}

impl Segment {
    fn bucket(&self, i: usize) -> std::ops::Range<usize> {
        self.starts[i] as usize..self.starts[i + 1] as usize
    }
}

/// Records, open and sealed.
#[derive(Debug, Default)]
pub(crate) struct Records {
    open: BTreeMap<u64, Cols>,
    open_len: usize,
    open_t: Option<(u32, u32)>,
    segments: Vec<Segment>,
    len: usize,
}

fn bucket_of(r: &Rec) -> u64 {
    let (x, y) = r.cell(BUCKET);
    morton(x, y)
}

impl Records {
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Adds records (any order; sorted here by bucket, then time).
    pub(crate) fn insert(&mut self, recs: &mut [Rec]) {
        if recs.is_empty() {
            return;
        }
        self.len += recs.len();
        self.open_len += recs.len();
        recs.sort_unstable_by_key(|r| (bucket_of(r), r.t));
        let (lo, hi) = recs
            .iter()
            .fold((u32::MAX, 0), |(a, b), r| (a.min(r.t), b.max(r.t)));
        self.open_t = Some(
            self.open_t
                .map_or((lo, hi), |(a, b)| (a.min(lo), b.max(hi))),
        );
        for group in recs.chunk_by(|a, b| bucket_of(a) == bucket_of(b)) {
            let v = self.open.entry(bucket_of(&group[0])).or_default();
            if v.t.last().is_none_or(|&l| l <= group[0].t) {
                for r in group {
                    v.push(Packed::of(r));
                }
            } else {
                let old = std::mem::take(v);
                let mut merged = Cols::with_capacity(old.len() + group.len());
                let (mut i, mut j) = (0, 0);
                while i < old.len() || j < group.len() {
                    if j == group.len() || (i < old.len() && old.t[i] <= group[j].t) {
                        merged.push(old.get(i));
                        i += 1;
                    } else {
                        merged.push(Packed::of(&group[j]));
                        j += 1;
                    }
                }
                *v = merged;
            }
        }
        if self.open_len >= SEAL {
            self.seal();
        }
    }

    /// Turns the open part into a segment.
    pub(crate) fn seal(&mut self) {
        let Some((t_min, t_max)) = self.open_t.take() else {
            return;
        };
        let open = std::mem::take(&mut self.open);
        let mut recs = Cols::with_capacity(self.open_len);
        let mut keys = Vec::with_capacity(open.len());
        let mut starts = Vec::with_capacity(open.len() + 1);
        for (k, v) in open {
            keys.push(k);
            starts.push(recs.len() as u32);
            recs.extend_from(&v);
        }
        starts.push(recs.len() as u32);
        self.segments.push(Segment {
            recs,
            keys,
            starts,
            t_min,
            t_max,
        });
        self.open_len = 0;
    }

    /// Calls `f(bucket coordinates, records)` for the buckets with keys in `lo..hi`, each
    /// with its records in the time window `from..=to` (seconds since 2000), in time order
    /// within a call (a bucket may come once per part).
    #[cfg(test)]
    pub(crate) fn each(
        &self,
        lo: u64,
        hi: u64,
        from: u32,
        to: u32,
        mut f: impl FnMut((u32, u32), Run<'_>),
    ) {
        for part in 0..self.parts() {
            self.each_in(part, lo, hi, from, to, &mut f);
        }
    }

    /// How many parts `each_in` can be asked for: the open part, then each segment. Parts
    /// are independent, so a large scan can be shared between threads part by part.
    pub(crate) fn parts(&self) -> usize {
        1 + self.segments.len()
    }

    /// `each` over one part (0: the open part; k: the k-th segment).
    pub(crate) fn each_in(
        &self,
        part: usize,
        lo: u64,
        hi: u64,
        from: u32,
        to: u32,
        mut f: impl FnMut((u32, u32), Run<'_>),
    ) {
        let mut window = |key: u64, cols: &Cols, range: std::ops::Range<usize>| {
            let run = cols.window(range, from, to);
            if run.len() > 0 {
                f(unmorton(key), run);
            }
        };
        let meets = |(a, b): (u32, u32)| a <= to && b >= from;
        if part == 0 {
            if self.open_t.is_some_and(meets) {
                for (k, v) in self.open.range(lo..hi) {
                    window(*k, v, 0..v.len());
                }
            }
            return;
        }
        let Some(s) = self.segments.get(part - 1) else {
            return;
        };
        if !meets((s.t_min, s.t_max)) {
            return;
        }
        let start = s.keys.partition_point(|k| *k < lo);
        for i in start..s.keys.len() {
            if s.keys[i] >= hi {
                break;
            }
            window(s.keys[i], &s.recs, s.bucket(i));
        }
    }

    /// Changes one record's status (found by position, time, category and old status);
    /// false when none matches.
    pub(crate) fn set_status(&mut self, r: &Rec, status: u8) -> bool {
        let key = bucket_of(r);
        let want = Packed::of(r);
        if let Some(v) = self.open.get_mut(&key)
            && v.set_status(0..v.len(), want, status)
        {
            return true;
        }
        self.segments
            .iter_mut()
            .filter(|s| (s.t_min..=s.t_max).contains(&r.t))
            .any(|s| match s.keys.binary_search(&key) {
                Ok(i) => {
                    let range = s.bucket(i);
                    s.recs.set_status(range, want, status)
                }
                Err(_) => false,
            })
    }

    /// Bytes held (arrays by capacity; the open part's B-tree slots estimated).
    pub(crate) fn heap_bytes(&self) -> usize {
        let entry = 48 + 4 * 24;
        self.open
            .values()
            .map(|v| v.heap_bytes() + entry)
            .sum::<usize>()
            + self
                .segments
                .iter()
                .map(|s| s.recs.heap_bytes() + s.keys.capacity() * 8 + s.starts.capacity() * 4)
                .sum::<usize>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_is_eleven_bytes_and_packs_without_loss() {
        let r = Rec::new([0.830_123_456_7, 0.405_987_654_3], 1_700_000_123, 17, 3, 4);
        let mut cols = Cols::with_capacity(1);
        cols.push(Packed::of(&r));
        assert_eq!(cols.heap_bytes(), 11);
        let run = cols.window(0..1, 0, u32::MAX);
        let (x, y) = world(r.cell(BUCKET), run.xy[0]);
        let back = Rec {
            x,
            y,
            t: cols.t[0],
            cat: run.cat[0],
            src: run.ss[0] >> 4,
            status: run.ss[0] & 15,
        };
        assert_eq!(back, r);
    }

    /// Both ways of counting a run (record by record, and through the bucket's own cells)
    /// give a plain count, with grids cutting through the bucket and filters.
    #[test]
    fn a_run_counts_as_a_plain_count() {
        let mut s = 0x2545_F491_4F6C_DD1Du64;
        let mut next = || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            s
        };
        let bucket = (170_001u32, 80_003u32);
        let mut cols = Cols::default();
        let mut recs = Vec::new();
        for k in 0..3000u32 {
            let x = (bucket.0 << INNER) | (next() as u32 & MASK);
            let y = (bucket.1 << INNER) | (next() as u32 & MASK);
            let r = Rec {
                x,
                y,
                t: k,
                cat: (next() % 7) as u8,
                src: (next() % 3) as u8,
                status: (next() % 5) as u8,
            };
            cols.push(Packed::of(&r));
            recs.push(r);
        }
        let kinds = [
            Kinds::of(None, None, None),
            Kinds::of(Some(&[2, 5]), None, None),
            Kinds::of(None, Some(&[1]), Some(&[0, 3])),
        ];
        for level in [14u32, 18, 19, 21, 22, 23, 24] {
            let shift = 32 - level;
            // The bucket's first cell at this level, and its cells per side.
            let (cx, cy, side) = if level >= 18 {
                (
                    bucket.0 << (level - 18),
                    bucket.1 << (level - 18),
                    1 << (level - 18),
                )
            } else {
                (bucket.0 >> (18 - level), bucket.1 >> (18 - level), 1)
            };
            // A grid starting inside the bucket (or at its cell) and reaching past it.
            let grid = CellGrid {
                shift,
                x0: i64::from(cx) + side / 2,
                y0: i64::from(cy) - 2,
                w: 11,
                h: 40,
            };
            for k in &kinds {
                let tables = k.tables();
                let mut counts = vec![0u32; 11 * 40];
                for n in [3000usize, 40] {
                    counts.fill(0);
                    let run = cols.window(0..n, 0, u32::MAX);
                    run.count_into(&mut counts, bucket, grid, (&tables.0, &tables.1));
                    let mut plain = vec![0u32; 11 * 40];
                    for r in &recs[..n] {
                        let p = Packed::of(r);
                        if tables.0[usize::from(p.cat)] & tables.1[usize::from(p.ss)] == 0 {
                            continue;
                        }
                        let (x, y) = world(bucket, p.xy);
                        let dx = i64::from(x >> shift) - grid.x0;
                        let dy = i64::from(y >> shift) - grid.y0;
                        if (0..11).contains(&dx) && (0..40).contains(&dy) {
                            plain[(dy * 11 + dx) as usize] += 1;
                        }
                    }
                    assert_eq!(counts, plain, "level {level}, {n} records, {k:?}");
                    assert!(plain.iter().sum::<u32>() > 0 || n == 40, "level {level}");
                }
            }
        }
    }

    #[test]
    fn sealed_and_open_records_answer_alike() {
        let base = [0.8301, 0.4052];
        let mut recs: Vec<Rec> = (0..3000u32)
            .map(|i| {
                let d = f64::from(i % 97) * 1e-7;
                Rec::new(
                    [base[0] + d, base[1] + d],
                    1_700_000_000 + i64::from(i) * 600,
                    2,
                    1,
                    0,
                )
            })
            .collect();
        let mut open = Records::default();
        open.insert(&mut recs.clone());
        let mut sealed = Records::default();
        let (a, b) = recs.split_at_mut(1700);
        sealed.insert(a);
        sealed.seal();
        sealed.insert(b);
        let count = |r: &Records, from: u32, to: u32| {
            let mut n = 0;
            r.each(0, u64::MAX, from, to, |_, v| n += v.len());
            n
        };
        let t = |unix: i64| super::super::rec::rec_time(unix);
        for (from, to) in [(0, u32::MAX), (t(1_700_500_000), t(1_701_000_000))] {
            assert_eq!(count(&open, from, to), count(&sealed, from, to));
        }
        assert_eq!(count(&sealed, 0, u32::MAX), 3000);
        let r = recs[5];
        assert!(sealed.set_status(&r, 4));
        assert!(
            !sealed.set_status(&r, 4),
            "the old status no longer matches"
        );
    }
}

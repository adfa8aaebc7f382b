//! The heat index's incident records, 10 bytes each, by z18 bucket and time.
//!
//! A record keeps its position inside its bucket (14 bits a side: the full 32-bit world
//! precision, about 1 cm), its time in seconds since 2000, its category slot, and source and
//! status in a byte. New records go to an **open** part (a B-tree of buckets); every 4 Mi
//! records it is sealed into a **segment**: one array sorted by bucket then time, with a
//! bucket directory and the segment's time span. Segments are never rewritten (a status
//! change is one byte in place), so memory is the records plus a few large blocks, and
//! queries skip the segments outside their window.

use super::rec::{BUCKET, Rec, morton, unmorton};
use std::collections::BTreeMap;

/// Bits of a world coordinate inside a bucket.
const INNER: u32 = 32 - BUCKET;
const MASK: u32 = (1 << INNER) - 1;
/// Records per sealed segment.
const SEAL: usize = 1 << 22;

/// One record as kept (10 bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Packed {
    /// Seconds since 2000, low and high halves.
    t: [u16; 2],
    x: u16,
    y: u16,
    cat: u8,
    /// Source in the high nibble, status in the low one.
    ss: u8,
}

impl Packed {
    fn of(r: &Rec) -> Self {
        Self {
            t: [(r.t & 0xFFFF) as u16, (r.t >> 16) as u16],
            x: (r.x & MASK) as u16,
            y: (r.y & MASK) as u16,
            cat: r.cat,
            ss: (r.src.min(15) << 4) | r.status.min(15),
        }
    }

    pub(crate) fn t(&self) -> u32 {
        u32::from(self.t[0]) | (u32::from(self.t[1]) << 16)
    }

    /// World coordinates × 2³², given the bucket's coordinates.
    #[inline]
    pub(crate) fn world(&self, (bx, by): (u32, u32)) -> (u32, u32) {
        (
            (bx << INNER) | u32::from(self.x),
            (by << INNER) | u32::from(self.y),
        )
    }

    /// The record, given its bucket's coordinates.
    #[cfg(test)]
    pub(crate) fn rec(&self, (bx, by): (u32, u32)) -> Rec {
        Rec {
            x: (bx << INNER) | u32::from(self.x),
            y: (by << INNER) | u32::from(self.y),
            t: self.t(),
            cat: self.cat,
            src: self.ss >> 4,
            status: self.ss & 15,
        }
    }
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

    pub(crate) fn is_all(&self) -> bool {
        self.cats.is_none() && self.srcs.is_none() && self.statuses.is_none()
    }

    #[inline]
    pub(crate) fn keeps(&self, p: &Packed) -> bool {
        self.cats
            .is_none_or(|m| m[usize::from(p.cat / 64)] & (1 << (p.cat % 64)) != 0)
            && self.srcs.is_none_or(|m| m & (1 << (p.ss >> 4)) != 0)
            && self.statuses.is_none_or(|m| m & (1 << (p.ss & 15)) != 0)
    }
}

/// A sealed run of records.
#[derive(Debug)]
struct Segment {
    recs: Vec<Packed>,
    /// Bucket keys (sorted) and where each bucket's records start (`keys.len() + 1`).
    keys: Vec<u64>,
    starts: Vec<u32>,
    t_min: u32,
    t_max: u32,
}

impl Segment {
    fn bucket_mut(&mut self, key: u64) -> Option<&mut [Packed]> {
        let i = self.keys.binary_search(&key).ok()?;
        Some(&mut self.recs[self.starts[i] as usize..self.starts[i + 1] as usize])
    }
}

/// Records, open and sealed.
#[derive(Debug, Default)]
pub(crate) struct Records {
    open: BTreeMap<u64, Vec<Packed>>,
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
            if v.last().is_none_or(|l| l.t() <= group[0].t) {
                v.extend(group.iter().map(Packed::of));
            } else {
                let old = std::mem::take(v);
                let mut merged = Vec::with_capacity(old.len() + group.len());
                let (mut i, mut j) = (0, 0);
                while i < old.len() || j < group.len() {
                    if j == group.len() || (i < old.len() && old[i].t() <= group[j].t) {
                        merged.push(old[i]);
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
        let mut recs = Vec::with_capacity(self.open_len);
        let mut keys = Vec::with_capacity(open.len());
        let mut starts = Vec::with_capacity(open.len() + 1);
        for (k, v) in open {
            keys.push(k);
            starts.push(recs.len() as u32);
            recs.extend_from_slice(&v);
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
        mut f: impl FnMut((u32, u32), &[Packed]),
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
        mut f: impl FnMut((u32, u32), &[Packed]),
    ) {
        let mut window = |key: u64, v: &[Packed]| {
            let a = v.partition_point(|r| r.t() < from);
            let b = v.partition_point(|r| r.t() <= to);
            if b > a {
                f(unmorton(key), &v[a..b]);
            }
        };
        let meets = |(a, b): (u32, u32)| a <= to && b >= from;
        if part == 0 {
            if self.open_t.is_some_and(meets) {
                for (k, v) in self.open.range(lo..hi) {
                    window(*k, v);
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
            window(
                s.keys[i],
                &s.recs[s.starts[i] as usize..s.starts[i + 1] as usize],
            );
        }
    }

    /// Changes one record's status (found by position, time, category and old status);
    /// false when none matches.
    pub(crate) fn set_status(&mut self, r: &Rec, status: u8) -> bool {
        let key = bucket_of(r);
        let want = Packed::of(r);
        let change = |v: &mut [Packed]| {
            let start = v.partition_point(|o| o.t() < r.t);
            for o in &mut v[start..] {
                if o.t() != r.t {
                    break;
                }
                if *o == want {
                    o.ss = (o.ss & 0xF0) | status.min(15);
                    return true;
                }
            }
            false
        };
        if let Some(v) = self.open.get_mut(&key)
            && change(v)
        {
            return true;
        }
        self.segments
            .iter_mut()
            .filter(|s| (s.t_min..=s.t_max).contains(&r.t))
            .filter_map(|s| s.bucket_mut(key))
            .any(change)
    }

    /// Bytes held (arrays by capacity; the open part's B-tree slots estimated).
    pub(crate) fn heap_bytes(&self) -> usize {
        let size = std::mem::size_of::<Packed>();
        let entry = 48;
        self.open
            .values()
            .map(|v| v.capacity() * size + entry)
            .sum::<usize>()
            + self
                .segments
                .iter()
                .map(|s| s.recs.capacity() * size + s.keys.capacity() * 8 + s.starts.capacity() * 4)
                .sum::<usize>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_is_ten_bytes_and_packs_without_loss() {
        assert_eq!(std::mem::size_of::<Packed>(), 10);
        let r = Rec::new([0.830_123_456_7, 0.405_987_654_3], 1_700_000_123, 17, 3, 4);
        let b = r.cell(BUCKET);
        assert_eq!(Packed::of(&r).rec(b), r);
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

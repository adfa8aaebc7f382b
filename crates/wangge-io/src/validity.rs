//! OGC polygon validity in O(n log n) of the vertex count: the same verdicts as geo's
//! `Validation` (whose ring self-intersection test compares every segment with every other:
//! 14.5 s at 50,000 vertices, over a minute at 100,000), found through an R-tree of segments
//! instead. Checked: rings of at least 4 closed positions, finite coordinates, no ring crossing
//! or touching itself except where one segment ends and another begins, rings of a polygon and
//! polygons of a multipolygon meeting at points only (never crossing, never along a line),
//! holes inside their shell and not inside each other, polygons not inside each other.

use geo::line_intersection::{LineIntersection, line_intersection};
use geo_types::{Coord, Line, LineString, MultiPolygon, Polygon};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree, RTreeObject};

type Seg = GeomWithData<Rectangle<[f64; 2]>, usize>;

/// Up to this many segments, every pair is tested directly (no R-tree to build).
const SMALL_SEGMENTS: usize = 48;

/// Where a segment comes from: polygon, ring (0 = exterior), index in the ring.
#[derive(Clone, Copy)]
struct Origin {
    polygon: usize,
    ring: usize,
}

fn envelope(l: &Line<f64>) -> Rectangle<[f64; 2]> {
    Rectangle::from_corners([l.start.x, l.start.y], [l.end.x, l.end.y])
}

fn ring_name(polygon: usize, ring: usize, multi: bool) -> String {
    let r = if ring == 0 {
        "the exterior ring".to_string()
    } else {
        format!("interior ring {}", ring - 1)
    };
    if multi {
        format!("{r} of polygon {polygon}")
    } else {
        r
    }
}

/// The first validity problem of a polygon, or `None` when it is valid.
pub fn polygon_problem(p: &Polygon<f64>) -> Option<String> {
    problem(std::slice::from_ref(p), false)
}

/// The first validity problem of a multipolygon, or `None` when it is valid.
pub fn multipolygon_problem(mp: &MultiPolygon<f64>) -> Option<String> {
    problem(&mp.0, true)
}

/// Whether a multipolygon is valid.
pub fn is_valid(mp: &MultiPolygon<f64>) -> bool {
    multipolygon_problem(mp).is_none()
}

/// A point against a ring: inside, outside, or on its boundary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Inside,
    Outside,
    Boundary,
}

/// Point-in-ring tests through an R-tree of the ring's segments (a ray to +x).
struct RingIndex<'a> {
    ring: &'a LineString<f64>,
    tree: RTree<Seg>,
}

impl<'a> RingIndex<'a> {
    fn new(ring: &'a LineString<f64>) -> Self {
        let segs: Vec<Seg> = ring
            .lines()
            .enumerate()
            .map(|(i, l)| GeomWithData::new(envelope(&l), i))
            .collect();
        Self {
            ring,
            tree: RTree::bulk_load(segs),
        }
    }

    fn side(&self, p: Coord<f64>) -> Side {
        let env = AABB::from_corners([p.x, p.y], [f64::INFINITY, p.y]);
        let mut crossings = 0usize;
        for s in self.tree.locate_in_envelope_intersecting(&env) {
            let (a, b) = (self.ring.0[s.data], self.ring.0[s.data + 1]);
            // On the segment?
            let cross = (b.x - a.x) * (p.y - a.y) - (b.y - a.y) * (p.x - a.x);
            if cross == 0.0
                && p.x >= a.x.min(b.x)
                && p.x <= a.x.max(b.x)
                && p.y >= a.y.min(b.y)
                && p.y <= a.y.max(b.y)
            {
                return Side::Boundary;
            }
            // Half-open rule: the segment counts when it spans p.y from below to above.
            if (a.y > p.y) != (b.y > p.y) {
                let x = a.x + (p.y - a.y) * (b.x - a.x) / (b.y - a.y);
                if x > p.x {
                    crossings += 1;
                }
            }
        }
        if crossings % 2 == 1 {
            Side::Inside
        } else {
            Side::Outside
        }
    }

    /// Inside when some probe of another ring is inside and none outside; outside when some
    /// is outside and none inside; `None` when on both sides or all on the boundary.
    fn holds(&self, probes: &[Coord<f64>]) -> Option<bool> {
        let (mut inside, mut outside) = (false, false);
        for c in probes {
            match self.side(*c) {
                Side::Inside => inside = true,
                Side::Outside => outside = true,
                Side::Boundary => {}
            }
            if inside && outside {
                return None;
            }
        }
        match (inside, outside) {
            (true, false) => Some(true),
            (false, true) => Some(false),
            _ => None,
        }
    }
}

// Long: one pass over shared tables (segments, their R-tree, cut parameters, probes) that
// returns the first problem found in the order GEOS reports them; the phases (rings, crossings,
// containment) read and extend the same tables.
fn problem(polygons: &[Polygon<f64>], multi: bool) -> Option<String> {
    // Rings: enough closed, finite positions, some area.
    let mut segs: Vec<(Line<f64>, Origin)> = Vec::new();
    let mut ranges: std::collections::HashMap<(usize, usize), std::ops::Range<usize>> =
        std::collections::HashMap::new();
    for (pi, p) in polygons.iter().enumerate() {
        for (ri, ring) in std::iter::once(p.exterior())
            .chain(p.interiors())
            .enumerate()
        {
            if ring.0.is_empty() {
                continue;
            }
            let name = || ring_name(pi, ri, multi);
            if let Some(c) = ring
                .0
                .iter()
                .find(|c| !(c.x.is_finite() && c.y.is_finite()))
            {
                return Some(format!(
                    "{} has a coordinate that is not finite ({}, {})",
                    name(),
                    c.x,
                    c.y
                ));
            }
            let mut distinct: Vec<(u64, u64)> = ring
                .0
                .iter()
                .map(|c| (c.x.to_bits(), c.y.to_bits()))
                .collect();
            distinct.sort_unstable();
            distinct.dedup();
            if ring.0.len() < 4 || distinct.len() < 3 || ring.0.first() != ring.0.last() {
                return Some(format!(
                    "{} must have at least 3 distinct points and be closed",
                    name()
                ));
            }
            let first = segs.len();
            segs.extend(ring.lines().filter(|l| l.start != l.end).map(|l| {
                (
                    l,
                    Origin {
                        polygon: pi,
                        ring: ri,
                    },
                )
            }));
            ranges.insert((pi, ri), first..segs.len());
        }
    }
    // Every pair of segments whose boxes meet: through an R-tree, or, for the small rings
    // most features are (a house has 4 to 10 segments), every pair without building one.
    let small = segs.len() <= SMALL_SEGMENTS;
    let tree: RTree<Seg> = if small {
        RTree::new()
    } else {
        RTree::bulk_load(
            segs.iter()
                .enumerate()
                .map(|(i, (l, _))| GeomWithData::new(envelope(l), i))
                .collect(),
        )
    };
    let candidates = |a: &Line<f64>| -> Vec<usize> {
        if small {
            (0..segs.len()).collect()
        } else {
            tree.locate_in_envelope_intersecting(&envelope(a).envelope())
                .map(|s| s.data)
                .collect()
        }
    };
    // Where other rings touch each segment (parameters along it): the pieces between lie
    // wholly inside or outside any other ring, so their midpoints decide containment.
    let mut cuts: Vec<Vec<f64>> = vec![Vec::new(); segs.len()];
    let along = |l: &Line<f64>, p: Coord<f64>| {
        let d = l.end - l.start;
        let q = p - l.start;
        (q.x * d.x + q.y * d.y) / (d.x * d.x + d.y * d.y)
    };
    for (i, (a, oa)) in segs.iter().enumerate() {
        for j in candidates(a) {
            if j <= i {
                continue;
            }
            let (b, ob) = &segs[j];
            let Some(x) = line_intersection(*a, *b) else {
                continue;
            };
            if oa.polygon == ob.polygon && oa.ring == ob.ring {
                // One ring: only where one segment ends and the other begins (geo's rule),
                // and never doubling back along itself (a spike, or a ring collapsed onto a
                // line: GEOS's rule; geo lets those pass).
                let joined = a.start == b.end || a.end == b.start;
                let along_itself = matches!(
                    x,
                    LineIntersection::Collinear { intersection } if intersection.start != intersection.end
                );
                if !joined || along_itself {
                    let at = match x {
                        LineIntersection::SinglePoint { intersection, .. } => intersection,
                        LineIntersection::Collinear { intersection } => intersection.start,
                    };
                    return Some(format!(
                        "{} has a self-intersection near ({}, {})",
                        ring_name(oa.polygon, oa.ring, multi),
                        at.x,
                        at.y
                    ));
                }
                continue;
            }
            let (what_a, what_b) = (
                ring_name(oa.polygon, oa.ring, multi),
                ring_name(ob.polygon, ob.ring, multi),
            );
            match x {
                LineIntersection::SinglePoint {
                    is_proper: true,
                    intersection,
                } => {
                    return Some(format!(
                        "{what_a} and {what_b} cross near ({}, {})",
                        intersection.x, intersection.y
                    ));
                }
                LineIntersection::Collinear { intersection }
                    if intersection.start != intersection.end =>
                {
                    return Some(format!(
                        "{what_a} and {what_b} touch along a line near ({}, {})",
                        intersection.start.x, intersection.start.y
                    ));
                }
                LineIntersection::SinglePoint { intersection, .. }
                | LineIntersection::Collinear {
                    intersection:
                        Line {
                            start: intersection,
                            ..
                        },
                } => {
                    for (k, l) in [(i, a), (j, b)] {
                        let t = along(l, intersection);
                        if t > 0.0 && t < 1.0 {
                            cuts[k].push(t);
                        }
                    }
                }
            }
        }
    }
    // The probes of a ring: the midpoints of its pieces between touching points.
    let probes = |pi: usize, ri: usize| -> Vec<Coord<f64>> {
        let mut out = Vec::new();
        for k in ranges.get(&(pi, ri)).cloned().unwrap_or(0..0) {
            let (l, _) = &segs[k];
            let mut ts = cuts[k].clone();
            ts.push(0.0);
            ts.push(1.0);
            ts.sort_by(f64::total_cmp);
            for w in ts.windows(2) {
                let t = (w[0] + w[1]) / 2.0;
                out.push(l.start + (l.end - l.start) * t);
            }
        }
        out
    };
    // No crossings: what lies inside what is decided by the probes.
    for (pi, p) in polygons.iter().enumerate() {
        if p.interiors().is_empty() {
            continue;
        }
        let shell = RingIndex::new(p.exterior());
        let holes: Vec<RingIndex> = p.interiors().iter().map(RingIndex::new).collect();
        let hole_probes: Vec<Vec<Coord<f64>>> = (0..p.interiors().len())
            .map(|h| probes(pi, h + 1))
            .collect();
        for (hi, pr) in hole_probes.iter().enumerate() {
            if shell.holds(pr) != Some(true) {
                return Some(format!(
                    "{} is not inside the exterior ring",
                    ring_name(pi, hi + 1, multi)
                ));
            }
        }
        let boxes: RTree<GeomWithData<Rectangle<[f64; 2]>, usize>> = RTree::bulk_load(
            p.interiors()
                .iter()
                .enumerate()
                .map(|(i, h)| GeomWithData::new(ring_box(h), i))
                .collect(),
        );
        for (hi, h) in p.interiors().iter().enumerate() {
            for other in boxes.locate_in_envelope_intersecting(&ring_box(h).envelope()) {
                if other.data != hi && holes[other.data].holds(&hole_probes[hi]) != Some(false) {
                    return Some(format!(
                        "{} lies inside {}",
                        ring_name(pi, hi + 1, multi),
                        ring_name(pi, other.data + 1, multi)
                    ));
                }
            }
        }
    }
    if polygons.len() > 1 {
        let boxes: RTree<GeomWithData<Rectangle<[f64; 2]>, usize>> = RTree::bulk_load(
            polygons
                .iter()
                .enumerate()
                .map(|(i, p)| GeomWithData::new(ring_box(p.exterior()), i))
                .collect(),
        );
        for (pi, p) in polygons.iter().enumerate() {
            let mine = probes(pi, 0);
            for other in boxes.locate_in_envelope_intersecting(&ring_box(p.exterior()).envelope()) {
                let qi = other.data;
                if qi == pi {
                    continue;
                }
                let q = &polygons[qi];
                // A piece of p's boundary in q's interior (inside its shell, in none of its
                // holes): they overlap.
                let shell = RingIndex::new(q.exterior());
                let holes: Vec<RingIndex> = q.interiors().iter().map(RingIndex::new).collect();
                let overlap = mine.iter().any(|c| {
                    shell.side(*c) == Side::Inside
                        && holes.iter().all(|h| h.side(*c) == Side::Outside)
                });
                if overlap {
                    return Some(format!("polygons {pi} and {qi} overlap"));
                }
            }
        }
    }
    None
}

fn ring_box(r: &LineString<f64>) -> Rectangle<[f64; 2]> {
    let (mut lo, mut hi) = ([f64::INFINITY; 2], [f64::NEG_INFINITY; 2]);
    for c in &r.0 {
        lo = [lo[0].min(c.x), lo[1].min(c.y)];
        hi = [hi[0].max(c.x), hi[1].max(c.y)];
    }
    Rectangle::from_corners(lo, hi)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Twice the signed area of a closed ring (shoelace, from its first point).
    fn twice_area(r: &LineString<f64>) -> f64 {
        let o = r.0[0];
        r.lines()
            .map(|l| (l.start.x - o.x) * (l.end.y - o.y) - (l.end.x - o.x) * (l.start.y - o.y))
            .sum()
    }
    use geo::Validation;
    use proptest::prelude::*;

    fn ring(pts: &[(f64, f64)]) -> LineString<f64> {
        let mut v: Vec<Coord<f64>> = pts.iter().map(|&(x, y)| Coord { x, y }).collect();
        v.push(v[0]);
        LineString(v)
    }

    #[test]
    fn the_usual_invalid_shapes() {
        let sq = ring(&[(0., 0.), (10., 0.), (10., 10.), (0., 10.)]);
        let valid = |p: Polygon<f64>| polygon_problem(&p);
        assert_eq!(valid(Polygon::new(sq.clone(), vec![])), None);
        let bow = ring(&[(0., 0.), (10., 10.), (10., 0.), (0., 10.)]);
        assert!(valid(Polygon::new(bow, vec![])).is_some_and(|m| m.contains("self-intersection")));
        let hole_out = ring(&[(20., 20.), (25., 20.), (25., 25.)]);
        assert!(
            valid(Polygon::new(sq.clone(), vec![hole_out]))
                .is_some_and(|m| m.contains("not inside"))
        );
        let crossing = ring(&[(5., 5.), (15., 5.), (15., 8.)]);
        assert!(
            valid(Polygon::new(sq.clone(), vec![crossing])).is_some_and(|m| m.contains("cross"))
        );
        let h1 = ring(&[(1., 1.), (8., 1.), (8., 8.), (1., 8.)]);
        let h2 = ring(&[(2., 2.), (3., 2.), (3., 3.)]);
        assert!(
            valid(Polygon::new(sq.clone(), vec![h1.clone(), h2]))
                .is_some_and(|m| m.contains("inside interior"))
        );
        let ok_hole = ring(&[(0., 0.), (5., 2.), (2., 5.)]); // touches the shell at a vertex
        assert_eq!(valid(Polygon::new(sq.clone(), vec![ok_hole])), None);
        let inner = Polygon::new(ring(&[(2., 2.), (4., 2.), (4., 4.)]), vec![]);
        let mp = MultiPolygon(vec![Polygon::new(sq.clone(), vec![]), inner.clone()]);
        assert!(multipolygon_problem(&mp).is_some_and(|m| m.contains("overlap")));
        // Inside the hole of the other: valid.
        let mp = MultiPolygon(vec![Polygon::new(sq, vec![h1]), inner]);
        assert_eq!(multipolygon_problem(&mp), None);
    }

    #[test]
    fn hundreds_of_thousands_of_vertices_in_seconds_not_hours() {
        // 200,000 in the tests (debug builds); the hostile-file bench imports 1,000,000.
        let n = 200_000;
        let pts: Vec<(f64, f64)> = (0..n)
            .map(|i| {
                let a = i as f64 / n as f64 * std::f64::consts::TAU;
                let r = 1000.0 + 3.0 * (a * 977.0).sin();
                (r * a.cos(), r * a.sin())
            })
            .collect();
        let p = Polygon::new(ring(&pts), vec![]);
        let t = std::time::Instant::now();
        assert_eq!(polygon_problem(&p), None);
        // Not a timing assertion: a quadratic test would not finish at all.
        eprintln!("{n} vertices: {:?}", t.elapsed());
    }

    proptest! {
        #![proptest_config(ProptestConfig { max_global_rejects: 1_000_000, ..ProptestConfig::with_cases(2000) })]

        /// Random small polygons with a hole, on a coarse grid (touching, collinear and
        /// crossing cases are common): the same verdict as geo's `Validation`.
        #[test]
        fn agrees_with_geo(
            shell in prop::collection::vec((0..6i32, 0..6i32), 3..7),
            hole in prop::collection::vec((0..6i32, 0..6i32), 3..5),
            with_hole in any::<bool>(),
        ) {
            let f = |v: &[(i32, i32)]| ring(&v.iter().map(|&(x, y)| (f64::from(x), f64::from(y))).collect::<Vec<_>>());
            let p = Polygon::new(f(&shell), if with_hole { vec![f(&hole)] } else { vec![] });
            // Rings collapsed onto a line double back on themselves: invalid here, as in
            // GEOS; geo is not consistent about them.
            prop_assume!(twice_area(p.exterior()) != 0.0 && p.interiors().iter().all(|h| twice_area(h) != 0.0));
            let ours = polygon_problem(&p);
            prop_assert_eq!(ours.is_none(), p.is_valid(), "{:?}: ours {:?}, geo {:?}", p, ours, p.validation_errors());
        }

        /// Two polygons as a multipolygon: overlapping, nested, touching along a line or at
        /// a point; the same verdict as geo's.
        #[test]
        fn agrees_with_geo_on_multipolygons(
            a in prop::collection::vec((0..5i32, 0..5i32), 3..6),
            b in prop::collection::vec((0..5i32, 0..5i32), 3..6),
        ) {
            let f = |v: &[(i32, i32)]| ring(&v.iter().map(|&(x, y)| (f64::from(x), f64::from(y))).collect::<Vec<_>>());
            let mp = MultiPolygon(vec![Polygon::new(f(&a), vec![]), Polygon::new(f(&b), vec![])]);
            prop_assume!(mp.0.iter().all(|p| twice_area(p.exterior()) != 0.0));
            let ours = multipolygon_problem(&mp);
            prop_assert_eq!(ours.is_none(), mp.is_valid(), "{:?}: ours {:?}, geo {:?}", mp, ours, mp.validation_errors());
        }
    }
}

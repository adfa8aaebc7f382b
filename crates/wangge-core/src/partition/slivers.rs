//! Slivers: parts of a grid narrower than 2 m and of 20 m² or more (what an opening by 1 m,
//! an inward buffer then an outward one, takes off the grid), where the community itself is
//! wider. Voronoi cells meeting a ragged community boundary leave them (a 0.2 m × 5 km strip was
//! seen on a real district). Each goes to the neighbouring grid that shares the longest boundary
//! with it, when both grids stay one polygon; the rest are listed.

use super::polygons::shared_length;
use geo::algorithm::buffer::{BufferStyle, LineJoin};
use geo::{
    Area, BooleanOps, BoundingRect, Buffer, Contains, Distance, Euclidean, InteriorPoint, Simplify,
};
use geo_types::{Coord, LineString, MultiPolygon, Point, Polygon};
use rstar::RTree;
use rstar::primitives::{GeomWithData, Line as RLine};

/// Half the width below which a part is a sliver (m).
pub const HALF_WIDTH_M: f64 = 1.0;
/// Smallest sliver worth a look (m²).
pub const MIN_AREA_M2: f64 = 20.0;

/// Pieces this small (m²) that a boolean operation leaves beside its result are rounding.
const CRUMB_M2: f64 = 1e-4;

/// Vertices off the outline by less than this are dropped before the opening (m).
const SIMPLIFY_M: f64 = 1e-3;

/// Angle step of the opening's round joins (rad): about 8 steps a circle, the arcs within
/// 8 cm of a 1 m circle. geo's default (0.2) made the opening of grids with long street-
/// following outlines the slowest step of the partition.
const JOIN_STEP: f64 = 0.8;

/// The closing that fuses pieces the boolean operations left apart by rounding (m).
const CLOSE_M: f64 = 1e-3;

/// A sliver left where it was: grid index, area, a point inside it (local metres).
pub struct Sliver {
    pub grid: usize,
    pub area_m2: f64,
    pub at: Coord<f64>,
}

/// What an opening by `HALF_WIDTH_M` removes from `p`.
fn thin_parts(p: &MultiPolygon<f64>) -> MultiPolygon<f64> {
    // Micrometre zigzags where pieces of two street blocks meet make the buffer's outline
    // slow; the opening is measured on the outline without them.
    let style = |d: f64| BufferStyle::new(d).line_join(LineJoin::Round(JOIN_STEP));
    let opened = p
        .simplify(SIMPLIFY_M)
        .buffer_with_style(style(-HALF_WIDTH_M))
        .buffer_with_style(style(HALF_WIDTH_M));
    p.difference(&opened)
}

/// Interior angles below this at a vertex make a spike worth an opening (rad): a wedge
/// narrower than 2 m over 20 m² has an angle under 6°.
const SPIKE_RAD: f64 = 0.2;

/// Two stretches of boundary closer than 2 m are a possible sliver when they lie at least this
/// far apart along the ring (m): a sliver of 20 m² narrower than 2 m is over 10 m long, so
/// its base lies that far from the other side's nearest corner.
const APART_M: f64 = 9.0;

/// A cheap test before the opening (an outline buffer is the slow part): a polygon can only
/// have a part narrower than 2 m × `HALF_WIDTH_M` of 20 m² or more if a vertex lies that close
/// to an edge far from it along the boundary (or on another ring), or it has a spike.
fn may_have_slivers(p: &Polygon<f64>) -> bool {
    type E = GeomWithData<RLine<[f64; 2]>, (usize, f64, f64)>;
    let rings: Vec<&LineString<f64>> = std::iter::once(p.exterior()).chain(p.interiors()).collect();
    let mut edges: Vec<E> = Vec::new();
    let mut lens = Vec::with_capacity(rings.len());
    for (r, ring) in rings.iter().enumerate() {
        let mut s = 0.0;
        for w in ring.0.windows(2) {
            let l = (w[1].x - w[0].x).hypot(w[1].y - w[0].y);
            edges.push(GeomWithData::new(
                RLine::new([w[0].x, w[0].y], [w[1].x, w[1].y]),
                (r, s, s + l),
            ));
            s += l;
        }
        lens.push(s);
    }
    let tree = RTree::bulk_load(edges);
    let reach = (2.0 * HALF_WIDTH_M).powi(2);
    for (r, ring) in rings.iter().enumerate() {
        let pts = &ring.0;
        if pts.len() < 4 {
            continue;
        }
        let m = pts.len() - 1; // closing vertex
        let mut s = 0.0;
        for i in 0..m {
            let v = pts[i];
            let prev = pts[(i + m - 1) % m];
            let next = pts[i + 1];
            let (a, b) = (prev - v, next - v);
            let angle = (a.x * b.y - a.y * b.x).abs().atan2(a.x * b.x + a.y * b.y);
            if angle < SPIKE_RAD {
                return true;
            }
            for e in tree.locate_within_distance([v.x, v.y], reach) {
                let (er, s0, s1) = e.data;
                if er != r {
                    return true;
                }
                let l = lens[r];
                let round = |x: f64| {
                    let d = (s - x).abs();
                    d.min(l - d)
                };
                if round(s0).min(round(s1)) > APART_M {
                    // Only when the polygon lies between them (not a notch of outside).
                    let (q0, q1) = (e.geom().from, e.geom().to);
                    let (q0, q1) = (Coord { x: q0[0], y: q0[1] }, Coord { x: q1[0], y: q1[1] });
                    let d = q1 - q0;
                    let len2 = d.x * d.x + d.y * d.y;
                    let t = if len2 > 0.0 {
                        (((v.x - q0.x) * d.x + (v.y - q0.y) * d.y) / len2).clamp(0.0, 1.0)
                    } else {
                        0.0
                    };
                    let mid = (v + (q0 + d * t)) / 2.0;
                    if p.contains(&Point(mid)) {
                        return true;
                    }
                }
            }
            s += (next.x - v.x).hypot(next.y - v.y);
        }
    }
    false
}

/// One pass over the grids: each sliver goes to its neighbour when `hand` (never one holding a
/// site of its grid, `sites[g]` being grid g's unit sites); returns those that stay.
fn pass(
    polygons: &mut [Polygon<f64>],
    sites: &[Vec<Coord<f64>>],
    community: &MultiPolygon<f64>,
    community_thin: &mut Option<MultiPolygon<f64>>,
    hand: bool,
    grids: &[usize],
) -> Vec<Sliver> {
    let mut left = Vec::new();
    for &a in grids {
        if !may_have_slivers(&polygons[a]) {
            continue;
        }
        let thin = thin_parts(&MultiPolygon(vec![polygons[a].clone()]));
        for piece in thin.0 {
            let area = piece.unsigned_area();
            if area < MIN_AREA_M2 {
                continue;
            }
            let narrow: &MultiPolygon<f64> =
                community_thin.get_or_insert_with(|| thin_parts(community));
            let piece_mp = MultiPolygon(vec![piece.clone()]);
            if piece_mp.difference(narrow).unsigned_area() < MIN_AREA_M2 {
                continue; // the community itself is that narrow here
            }
            let holds_site = sites.get(a).is_some_and(|ss| {
                ss.iter()
                    .any(|s| Euclidean.distance(&Point(*s), &piece) < 1e-6)
            });
            if hand && !holds_site && split_among_neighbours(polygons, a, &piece_mp, sites) {
                continue;
            }
            left.push(Sliver {
                grid: a,
                area_m2: area,
                at: piece
                    .interior_point()
                    .map_or(Coord { x: 0.0, y: 0.0 }, |p| p.0),
            });
        }
    }
    left
}

/// Boxes of `a` and `b` within a millimetre of each other.
fn near(a: &Polygon<f64>, b: &Polygon<f64>) -> bool {
    a.bounding_rect()
        .zip(b.bounding_rect())
        .is_some_and(|(x, y)| {
            x.min().x <= y.max().x + 1e-3
                && y.min().x <= x.max().x + 1e-3
                && x.min().y <= y.max().y + 1e-3
                && y.min().y <= x.max().y + 1e-3
        })
}

/// The largest part of `m` when the others are crumbs of rounding.
fn one(m: MultiPolygon<f64>) -> Option<Polygon<f64>> {
    let mut g = m.0;
    g.sort_by(|x, y| y.unsigned_area().total_cmp(&x.unsigned_area()));
    let crumbs: f64 = g.iter().skip(1).map(|p| p.unsigned_area()).sum();
    (!g.is_empty() && crumbs < CRUMB_M2).then(|| g.swap_remove(0))
}

/// Moves `piece` out of grid `a`: the stretch of it along each neighbour (within the sliver's
/// width of that neighbour, longest shared boundary first) to that neighbour, and parts of `a`
/// the cut leaves without a site along with it. All or nothing: false (and nothing changed)
/// when a grid would fall into parts or some of the piece finds no neighbour.
fn split_among_neighbours(
    polygons: &mut [Polygon<f64>],
    a: usize,
    piece: &MultiPolygon<f64>,
    sites: &[Vec<Coord<f64>>],
) -> bool {
    let saved = polygons.to_vec();
    let ok = (|| {
        let mut rest = MultiPolygon(vec![polygons[a].clone()]).difference(piece);
        rest.0
            .sort_by(|x, y| y.unsigned_area().total_cmp(&x.unsigned_area()));
        let mut parts = rest.0.into_iter();
        let keep = parts.next()?;
        let mut region = piece.clone();
        for p in parts.filter(|p| p.unsigned_area() >= CRUMB_M2) {
            let holds = sites
                .get(a)
                .is_some_and(|ss| ss.iter().any(|s| Euclidean.distance(&Point(*s), &p) < 1e-6));
            if holds {
                return None;
            }
            region = region.union(&MultiPolygon(vec![p]));
        }
        polygons[a] = keep;
        let mut order: Vec<(usize, f64)> = region
            .0
            .iter()
            .flat_map(|rp| {
                polygons
                    .iter()
                    .enumerate()
                    .filter(move |&(b, g)| b != a && near(rp, g))
                    .map(move |(b, g)| (b, shared_length(rp, &MultiPolygon(vec![g.clone()]))))
            })
            .filter(|&(_, len)| len > 1e-6)
            .collect();
        order.sort_by(|x, y| y.1.total_cmp(&x.1).then(x.0.cmp(&y.0)));
        order.dedup_by_key(|x| x.0);
        for (b, _) in order {
            if region.unsigned_area() < CRUMB_M2 {
                break;
            }
            let reach = MultiPolygon(vec![polygons[b].clone()]).buffer(4.0 * HALF_WIDTH_M);
            let take = region.intersection(&reach);
            if take.unsigned_area() < CRUMB_M2 {
                continue;
            }
            let u = MultiPolygon(vec![polygons[b].clone()]).union(&take);
            // Grids not yet stitched can miss each other by rounding: a 1 mm closing fuses them.
            let grown = match one(u.clone()) {
                Some(g) => g,
                None => one(u.buffer(CLOSE_M).buffer(-CLOSE_M))?,
            };
            polygons[b] = grown;
            region = region.difference(&take);
        }
        (region.unsigned_area() < CRUMB_M2).then_some(())
    })()
    .is_some();
    if !ok {
        polygons.clone_from_slice(&saved);
    }
    ok
}

/// Hands the slivers of `grids` over to neighbours in place, in passes while any moves (a
/// neighbour that received a piece is looked at again); returns the grids changed.
pub fn hand_over(
    polygons: &mut [Polygon<f64>],
    sites: &[Vec<Coord<f64>>],
    community: &MultiPolygon<f64>,
    grids: &[usize],
) -> Vec<usize> {
    let mut community_thin = None;
    let mut changed = Vec::new();
    let mut look: Vec<usize> = grids.to_vec();
    for _ in 0..3 {
        let before = polygons.to_vec();
        pass(polygons, sites, community, &mut community_thin, true, &look);
        look = (0..polygons.len())
            .filter(|&g| polygons[g] != before[g])
            .collect();
        changed.extend_from_slice(&look);
        if look.is_empty() {
            break;
        }
    }
    changed.sort_unstable();
    changed.dedup();
    changed
}

/// The slivers of `grids` (all when `None`), listed, nothing moved.
pub fn find(
    polygons: &[Polygon<f64>],
    community: &MultiPolygon<f64>,
    grids: Option<&[usize]>,
) -> Vec<Sliver> {
    let mut copy = polygons.to_vec();
    let all: Vec<usize> = (0..polygons.len()).collect();
    pass(
        &mut copy,
        &[],
        community,
        &mut None,
        false,
        grids.unwrap_or(&all),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo_types::LineString;

    fn poly(pts: &[(f64, f64)]) -> Polygon<f64> {
        Polygon::new(
            LineString(pts.iter().map(|&(x, y)| Coord { x, y }).collect()),
            vec![],
        )
    }

    #[test]
    fn a_strip_along_a_neighbour_goes_to_it() {
        // Grid 0 is a square with a 0.5 m × 60 m strip running along grid 1's south side.
        let g0 = poly(&[
            (0.0, 0.0),
            (100.0, 0.0),
            (100.0, 0.5),
            (40.0, 0.5),
            (40.0, 100.0),
            (0.0, 100.0),
            (0.0, 0.0),
        ]);
        let g1 = poly(&[
            (40.0, 0.5),
            (100.0, 0.5),
            (100.0, 100.0),
            (40.0, 100.0),
            (40.0, 0.5),
        ]);
        let community = MultiPolygon(vec![poly(&[
            (0.0, 0.0),
            (100.0, 0.0),
            (100.0, 100.0),
            (0.0, 100.0),
            (0.0, 0.0),
        ])]);
        let mut grids = vec![g0, g1];
        let before: f64 = grids.iter().map(|g| g.unsigned_area()).sum();
        let changed = hand_over(&mut grids, &[], &community, &[0, 1]);
        assert_eq!(changed, vec![0, 1]);
        assert!(find(&grids, &community, None).is_empty());
        let after: f64 = grids.iter().map(|g| g.unsigned_area()).sum();
        assert!((before - after).abs() < 1e-6);
        assert!(
            grids[1].unsigned_area() > 5970.0 + 25.0,
            "{}",
            grids[1].unsigned_area()
        );
        assert!(thin_parts(&MultiPolygon(vec![grids[0].clone()])).unsigned_area() < MIN_AREA_M2);
    }

    #[test]
    fn a_narrow_community_keeps_its_narrow_grid() {
        let strip = poly(&[
            (0.0, 0.0),
            (100.0, 0.0),
            (100.0, 1.5),
            (0.0, 1.5),
            (0.0, 0.0),
        ]);
        let community = MultiPolygon(vec![strip.clone()]);
        let mut grids = vec![strip];
        assert!(find(&grids, &community, None).is_empty());
        assert!(hand_over(&mut grids, &[], &community, &[0]).is_empty());
    }
}

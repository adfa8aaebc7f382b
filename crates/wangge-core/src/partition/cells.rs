//! Voronoi cells of the unit sites (local metres) and the adjacency between sites: two sites
//! are neighbours when their shared Voronoi edge has length inside the community; the edge's
//! weight is that length, discounted when the segment between the sites crosses a street
//! (so cuts prefer to run along streets).

use super::plan::StreetLine;
use geo::{Area, BooleanOps, BoundingRect, Distance, Euclidean, Intersects, Length};
use geo_types::{Coord, Line, LineString, MultiLineString, MultiPolygon, Point, Polygon};
use rstar::primitives::{GeomWithData, Line as RLine};
use rstar::{AABB, RTree};
use spade::{DelaunayTriangulation, Point2, Triangulation};

/// Cells and weighted adjacency.
#[derive(Debug, Clone, Default)]
pub struct Cells {
    /// Unclipped Voronoi cell per site.
    pub cells: Vec<Polygon<f64>>,
    /// Per site: the part of its cell inside the community that holds the site.
    pub main: Vec<Polygon<f64>>,
    /// Per site: other parts of its cell inside the community (a concave community folds
    /// through the cell); they hold no site.
    pub orphans: Vec<Vec<Polygon<f64>>>,
    /// Per site: (neighbour site, weight, shared length in the community, street factor).
    pub adj: Vec<Vec<Edge>>,
}

/// One adjacency.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Edge {
    pub to: usize,
    /// Cut cost: shared length × street factor.
    pub weight: f64,
    pub length_m: f64,
    /// 1.0 no street between the sites; 0.1 arterial; 0.3 branch street; 0.7 lane or path.
    pub street: f64,
}

/// Street factor of an arterial (primary, secondary, tertiary and up): the smallest.
pub const ARTERIAL: f64 = 0.1;

/// Street factor of a highway class.
pub fn street_factor(highway: &str) -> f64 {
    match highway.trim_end_matches("_link") {
        "motorway" | "trunk" | "primary" | "secondary" | "tertiary" => ARTERIAL,
        "residential" | "unclassified" | "living_street" | "pedestrian" | "road" => 0.3,
        _ => 0.7,
    }
}

type Seg = GeomWithData<RLine<[f64; 2]>, f64>;

/// Sites count as neighbours only when their cells share at least this much boundary: nearly
/// cocircular sites (rows of entrances) meet through Voronoi edges of millimetres, which a
/// polygon union sees as a touch at a point, not a shared side.
pub const MIN_SHARED_M: f64 = 1.0;

/// Computes cells and adjacency. `community` and `streets` in local metres.
pub fn build(sites: &[Coord<f64>], community: &MultiPolygon<f64>, streets: &[StreetLine]) -> Cells {
    let n = sites.len();
    let empty = Polygon::new(LineString(vec![]), vec![]);
    let mut out = Cells {
        cells: vec![empty.clone(); n],
        main: vec![empty; n],
        orphans: vec![Vec::new(); n],
        adj: vec![Vec::new(); n],
    };
    if n == 0 {
        return out;
    }
    let Some(bb) = community.bounding_rect() else {
        return out;
    };
    // A frame of far dummy sites keeps every real cell bounded.
    let span = (bb.width().max(bb.height()) + 1.0) * 10.0;
    let c = bb.center();
    let mut tri: DelaunayTriangulation<Point2<f64>> = DelaunayTriangulation::new();
    let mut handles = Vec::with_capacity(n);
    for s in sites {
        match tri.insert(Point2::new(s.x, s.y)) {
            Ok(h) => handles.push(h),
            Err(_) => return out,
        }
    }
    for k in 0..8 {
        let a = std::f64::consts::PI * f64::from(k) / 4.0;
        let _ = tri.insert(Point2::new(c.x + span * a.cos(), c.y + span * a.sin()));
    }
    let index_of: std::collections::HashMap<usize, usize> = handles
        .iter()
        .enumerate()
        .map(|(i, h)| (h.index(), i))
        .collect();
    let segs: Vec<Seg> = streets
        .iter()
        .flat_map(|s| {
            let f = street_factor(&s.highway);
            s.line.lines().map(move |l| {
                GeomWithData::new(RLine::new([l.start.x, l.start.y], [l.end.x, l.end.y]), f)
            })
        })
        .collect();
    let street_tree = RTree::bulk_load(segs);
    // Cells, and the shared Voronoi edge of every neighbouring pair.
    let mut shared: Vec<(usize, usize, Coord<f64>, Coord<f64>)> = Vec::new();
    for (i, h) in handles.iter().enumerate() {
        let v = tri.vertex(*h);
        let mut ring = Vec::new();
        for e in v.out_edges() {
            let left = e.face().as_inner().map(|f| f.circumcenter());
            if let Some(p) = left {
                ring.push(Coord { x: p.x, y: p.y });
            }
            let Some(&j) = index_of.get(&e.to().fix().index()) else {
                continue;
            };
            if j <= i {
                continue;
            }
            let right = e.rev().face().as_inner().map(|f| f.circumcenter());
            if let (Some(a), Some(b)) = (left, right) {
                shared.push((i, j, Coord { x: a.x, y: a.y }, Coord { x: b.x, y: b.y }));
            }
        }
        if ring.len() >= 3 {
            // out_edges turn counter-clockwise; the left faces give the cell in order.
            ring.push(ring[0]);
            out.cells[i] = Polygon::new(LineString(ring), vec![]);
        }
    }
    // Community boundary segments: a cell whose bounding box meets none of them lies wholly
    // inside the community or wholly outside, and needs no polygon intersection.
    let rings: Vec<RLine<[f64; 2]>> = community
        .0
        .iter()
        .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
        .flat_map(|r| r.lines())
        .map(|l| RLine::new([l.start.x, l.start.y], [l.end.x, l.end.y]))
        .collect();
    let boundary = RTree::bulk_load(rings);
    let mut whole = vec![false; n];
    // Main pieces and orphans.
    for (i, &at) in sites.iter().enumerate() {
        if let Some(r) = out.cells[i].bounding_rect() {
            let env = AABB::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]);
            if boundary
                .locate_in_envelope_intersecting(&env)
                .next()
                .is_none()
                && community.intersects(&Point(at))
            {
                out.main[i] = out.cells[i].clone();
                whole[i] = true;
                continue;
            }
        }
        let inside = MultiPolygon(vec![out.cells[i].clone()]).intersection(community);
        let site = Point(at);
        let main_idx = inside
            .0
            .iter()
            .enumerate()
            .min_by(|a, b| {
                Euclidean
                    .distance(&site, a.1)
                    .total_cmp(&Euclidean.distance(&site, b.1))
            })
            .map(|(k, _)| k);
        for (k, part) in inside.0.into_iter().enumerate() {
            if Some(k) == main_idx {
                out.main[i] = part;
            } else if part.unsigned_area() > 0.0 {
                out.orphans[i].push(part);
            }
        }
    }
    // Adjacency: only the parts of a shared edge that bound both main pieces.
    for (i, j, a, b) in shared {
        if whole[i] && whole[j] {
            // Both cells lie inside: their whole shared edge bounds both.
            let length_m = Euclidean.length(&Line::new(a, b));
            if length_m >= MIN_SHARED_M {
                let street = crossing(&street_tree, sites[i], sites[j]);
                let e = Edge {
                    to: j,
                    weight: length_m * street,
                    length_m,
                    street,
                };
                out.adj[i].push(e);
                out.adj[j].push(Edge { to: i, ..e });
            }
            continue;
        }
        let edge = LineString(vec![a, b]);
        let inside = community.clip(&MultiLineString(vec![edge]), false);
        let mut length_m = 0.0;
        for seg in &inside.0 {
            for l in seg.lines() {
                let mid = Point(Coord {
                    x: (l.start.x + l.end.x) / 2.0,
                    y: (l.start.y + l.end.y) / 2.0,
                });
                let on = |p: &Polygon<f64>| {
                    Euclidean.distance(&mid, p) < 1e-3 && !p.exterior().0.is_empty()
                };
                if on(&out.main[i]) && on(&out.main[j]) {
                    length_m += Euclidean.length(&l);
                }
            }
        }
        if length_m < MIN_SHARED_M {
            continue;
        }
        let street = crossing(&street_tree, sites[i], sites[j]);
        out.adj[i].push(Edge {
            to: j,
            weight: length_m * street,
            length_m,
            street,
        });
        out.adj[j].push(Edge {
            to: i,
            weight: length_m * street,
            length_m,
            street,
        });
    }
    out
}

/// The smallest street factor of any street segment crossing the segment a-b (1.0 if none).
fn crossing(tree: &RTree<Seg>, a: Coord<f64>, b: Coord<f64>) -> f64 {
    let env = AABB::from_corners([a.x.min(b.x), a.y.min(b.y)], [a.x.max(b.x), a.y.max(b.y)]);
    let probe = Line::new(a, b);
    tree.locate_in_envelope_intersecting(&env)
        .filter(|s| {
            let l = s.geom();
            probe.intersects(&Line::new(
                Coord {
                    x: l.from[0],
                    y: l.from[1],
                },
                Coord {
                    x: l.to[0],
                    y: l.to[1],
                },
            ))
        })
        .map(|s| s.data)
        .fold(1.0, f64::min)
}

/// Test helper: units 0..n on a path, each sharing 1 m with its neighbours.
#[cfg(test)]
pub(crate) fn path_graph(n: usize) -> Vec<Vec<Edge>> {
    (0..n)
        .map(|i| {
            [i.checked_sub(1), (i + 1 < n).then_some(i + 1)]
                .into_iter()
                .flatten()
                .map(|to| Edge {
                    to,
                    weight: 1.0,
                    length_m: 1.0,
                    street: 1.0,
                })
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{Area, BooleanOps};
    use geo_types::Rect;

    #[test]
    fn cells_tile_a_square() {
        let sq = MultiPolygon(vec![
            Rect::new(Coord { x: 0.0, y: 0.0 }, Coord { x: 100.0, y: 100.0 }).to_polygon(),
        ]);
        let mut sites = Vec::new();
        let mut s = 17u64;
        for _ in 0..60 {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let x = (s >> 33) as f64 / (1u64 << 31) as f64 * 100.0;
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let y = (s >> 33) as f64 / (1u64 << 31) as f64 * 100.0;
            sites.push(Coord { x, y });
        }
        let c = build(&sites, &sq, &[]);
        let clipped: f64 = c
            .cells
            .iter()
            .map(|p| {
                MultiPolygon(vec![p.clone()])
                    .intersection(&sq)
                    .unsigned_area()
            })
            .sum();
        assert!(
            (clipped - 10_000.0).abs() < 1e-4,
            "clipped cells cover {clipped}"
        );
        let union = geo::unary_union(c.cells.iter()).intersection(&sq);
        assert_eq!(union.0.len(), 1);
        assert!((union.unsigned_area() - 10_000.0).abs() < 1e-4);
        for (i, adj) in c.adj.iter().enumerate() {
            for e in adj {
                assert!(
                    c.adj[e.to].iter().any(|b| b.to == i),
                    "adjacency is symmetric"
                );
            }
        }
    }
}

#[cfg(test)]
mod lattice_tests {
    use super::*;
    use geo::{Area, BooleanOps};
    use geo_types::Rect;

    #[test]
    fn cells_of_a_lattice_union_into_one() {
        let sq = MultiPolygon(vec![
            Rect::new(Coord { x: 0.0, y: 0.0 }, Coord { x: 100.0, y: 100.0 }).to_polygon(),
        ]);
        let sites: Vec<Coord<f64>> = (0..8)
            .flat_map(|i| {
                (0..6).map(move |j| Coord {
                    x: 6.0 + 12.0 * f64::from(i),
                    y: 8.0 + 15.0 * f64::from(j),
                })
            })
            .collect();
        let c = build(&sites, &sq, &[]);
        for (i, cell) in c.cells.iter().enumerate() {
            assert!(cell.exterior().0.len() >= 4, "cell {i}: {cell:?}");
        }
        let union = geo::unary_union(c.cells.iter()).intersection(&sq);
        assert!(
            (union.unsigned_area() - 10_000.0).abs() < 1e-4,
            "{}",
            union.unsigned_area()
        );
        assert_eq!(union.0.len(), 1, "{union:?}");
    }
}

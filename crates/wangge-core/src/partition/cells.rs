//! Voronoi cells of the unit sites (local metres) and the adjacency between sites: two sites
//! are neighbours when their shared Voronoi edge has length inside the community; the edge's
//! weight is that length, discounted when the segment between the sites crosses a street
//! (so cuts prefer to run along streets).

use super::blocks;
use super::edge::{ARTERIAL, Edge, street_factor};
use super::halfplanes::{self, Plane};
use super::street_line::StreetLine;
use geo::orient::{Direction, Orient};
use geo::{Area, BooleanOps, BoundingRect, Distance, Euclidean, Intersects, Length};
use geo_types::{Coord, Line, LineString, MultiLineString, MultiPolygon, Point, Polygon};
use rstar::primitives::{GeomWithData, Line as RLine};
use rstar::{AABB, RTree};
use spade::{DelaunayTriangulation, Point2, Triangulation};

/// Cells and weighted adjacency.
#[derive(Debug, Clone, Default)]
pub struct Cells {
    /// Per site: the piece to dissolve: its unclipped Voronoi cell, or, when `clipped`, its
    /// main piece (clipped to its block).
    pub cells: Vec<Polygon<f64>>,
    /// Per site: the part of its cell inside the community that holds the site.
    pub main: Vec<Polygon<f64>>,
    /// Per site: other parts of its cell inside the community (a concave community folds
    /// through the cell); they hold no site.
    pub orphans: Vec<Vec<Polygon<f64>>>,
    /// Per site: (neighbour site, weight, shared length in the community, street factor).
    pub adj: Vec<Vec<Edge>>,
    /// Parts of the community in no entry of `cells` (orphans of block-clipped cells, blocks
    /// with no site): they go to the grid they share the most boundary with.
    pub loose: Vec<Polygon<f64>>,
    /// Street blocks with sites.
    pub blocks: usize,
    /// Per site: its street block (0 when no street cuts the community).
    pub block: Vec<usize>,
    /// Whether `cells` are clipped pieces (streets cut the community; their orphans are in
    /// `loose`) rather than unclipped Voronoi cells whose union, clipped to the community,
    /// covers it.
    pub clipped: bool,
}

impl Cells {
    /// `n` sites with empty pieces and no neighbours yet.
    fn empty(n: usize, blocks: usize, clipped: bool) -> Self {
        let none = Polygon::new(LineString(vec![]), vec![]);
        Self {
            cells: vec![none.clone(); n],
            main: vec![none; n],
            orphans: vec![Vec::new(); n],
            adj: vec![Vec::new(); n],
            loose: Vec::new(),
            blocks,
            block: vec![0; n],
            clipped,
        }
    }
}

type Seg = GeomWithData<RLine<[f64; 2]>, f64>;

/// Sites count as neighbours only when their cells share at least this much boundary: nearly
/// cocircular sites (rows of entrances) meet through Voronoi edges of millimetres, which a
/// polygon union sees as a touch at a point, not a shared side.
pub const MIN_SHARED_M: f64 = 1.0;

/// Computes cells and adjacency. `community` and `streets` in local metres. When streets cut
/// the community into blocks, each block has the Voronoi cells of its own sites, clipped to it,
/// so that cells stop at the street line; sites on two sides of a street are neighbours along
/// the stretch of street their cells share, at that street's factor.
pub fn build(sites: &[Coord<f64>], community: &MultiPolygon<f64>, streets: &[StreetLine]) -> Cells {
    let pieces = blocks::split(community, streets);
    if pieces.len() <= 1 || sites.is_empty() {
        return build_one(sites, community, streets);
    }
    let at = blocks::locate(&pieces, sites);
    let mut occupied = vec![false; pieces.len()];
    for &b in &at {
        occupied[b] = true;
    }
    let arterials: RTree<RLine<[f64; 2]>> = RTree::bulk_load(
        streets
            .iter()
            .filter(|s| street_factor(&s.highway) <= ARTERIAL)
            .flat_map(|s| s.line.lines())
            .map(|l| RLine::new([l.start.x, l.start.y], [l.end.x, l.end.y]))
            .collect(),
    );
    let on_arterial = |c: Coord<f64>| {
        arterials
            .locate_within_distance([c.x, c.y], 1e-4)
            .next()
            .is_some()
    };
    let groups = blocks::merge_empty(&pieces, &occupied, &on_arterial);
    let n = sites.len();
    let mut out = Cells::empty(n, 0, true);
    let mut group_of = vec![0; pieces.len()];
    for (k, group) in groups.iter().enumerate() {
        for &b in group {
            group_of[b] = k;
        }
    }
    let mut members_of: Vec<Vec<usize>> = vec![Vec::new(); groups.len()];
    for (i, &b) in at.iter().enumerate() {
        members_of[group_of[b]].push(i);
    }
    let mut block_of = vec![usize::MAX; n];
    let mut rim: Vec<Vec<Plane>> = vec![Vec::new(); n];
    for (k, (group, members)) in groups.iter().zip(members_of).enumerate() {
        let region = if group.len() == 1 {
            MultiPolygon(vec![pieces[group[0]].clone()])
        } else {
            geo::unary_union(group.iter().map(|&b| &pieces[b]))
        };
        if members.is_empty() {
            out.loose.extend(region.0);
            continue;
        }
        out.blocks += 1;
        let local: Vec<Coord<f64>> = members.iter().map(|&i| sites[i]).collect();
        let (sub, cuts) = build_cut(&local, &region, streets);
        for (li, &i) in members.iter().enumerate() {
            block_of[i] = k;
            out.block[i] = k;
            out.cells[i] = sub.main[li].clone();
            out.main[i] = sub.main[li].clone();
            out.orphans[i] = sub.orphans[li].clone();
            // The stretches of the piece's boundary on its block's boundary: for a cut cell
            // those on its planes, else all.
            let piece = &sub.main[li];
            let ring_segs = std::iter::once(piece.exterior())
                .chain(piece.interiors())
                .flat_map(|r| r.lines())
                .filter(|l| l.start != l.end)
                .map(|l| (l.start, l.end));
            rim[i] = match cuts.get(li) {
                Some(Some(planes)) => ring_segs
                    .filter(|&(x, y)| {
                        planes.iter().any(|&(p, q)| {
                            halfplanes::on_line(p, q, x) && halfplanes::on_line(p, q, y)
                        })
                    })
                    .collect(),
                _ => ring_segs.collect(),
            };
            out.loose.extend(sub.orphans[li].iter().cloned());
            out.adj[i] = sub.adj[li]
                .iter()
                .map(|e| Edge {
                    to: members[e.to],
                    ..*e
                })
                .collect();
        }
    }
    for (i, j, length_m, street) in across(&rim, &block_of, streets) {
        link(&mut out.adj, (i, j), length_m, || street);
    }
    out
}

/// Neighbours across streets: stretches of the main pieces' boundaries (`rim`: the stretches
/// that may lie on a block's boundary) that two sites of
/// different blocks share (collinear, overlapping), at least `MIN_SHARED_M` per pair, with the
/// factor of the street they run along. (i, j, length m, street factor), i < j.
fn across(
    rim: &[Vec<Plane>],
    block_of: &[usize],
    streets: &[StreetLine],
) -> Vec<(usize, usize, f64, f64)> {
    type S = GeomWithData<RLine<[f64; 2]>, usize>;
    let segs: Vec<S> = rim
        .iter()
        .enumerate()
        .flat_map(|(i, r)| {
            r.iter()
                .map(move |&(a, b)| GeomWithData::new(RLine::new([a.x, a.y], [b.x, b.y]), i))
        })
        .collect();
    let tree = RTree::bulk_load(segs.clone());
    // Within this distance two boundary stretches lie on the same street line (the cut's
    // rounding is about a micrometre).
    const ON: f64 = 1e-3;
    let mut shared: std::collections::HashMap<(usize, usize), (f64, Coord<f64>)> =
        std::collections::HashMap::new();
    for s in &segs {
        let i = s.data;
        let (a, b) = (s.geom().from, s.geom().to);
        let (a, b) = (Coord { x: a[0], y: a[1] }, Coord { x: b[0], y: b[1] });
        let len = (b.x - a.x).hypot(b.y - a.y);
        let env = AABB::from_corners(
            [a.x.min(b.x) - ON, a.y.min(b.y) - ON],
            [a.x.max(b.x) + ON, a.y.max(b.y) + ON],
        );
        let d = (b - a) / len;
        for t in tree.locate_in_envelope_intersecting(&env) {
            let j = t.data;
            if j <= i || block_of[j] == block_of[i] {
                continue;
            }
            let (p, q) = (t.geom().from, t.geom().to);
            let (p, q) = (Coord { x: p[0], y: p[1] }, Coord { x: q[0], y: q[1] });
            // Both ends of the other stretch on this one's line.
            let off = |c: Coord<f64>| ((c.x - a.x) * d.y - (c.y - a.y) * d.x).abs();
            if off(p) > ON || off(q) > ON {
                continue;
            }
            let along = |c: Coord<f64>| (c.x - a.x) * d.x + (c.y - a.y) * d.y;
            let (lo, hi) = {
                let (u, v) = (along(p), along(q));
                (u.min(v).max(0.0), u.max(v).min(len))
            };
            if hi - lo > 1e-9 {
                let mid = a + d * ((lo + hi) / 2.0);
                let e = shared.entry((i, j)).or_insert((0.0, mid));
                e.0 += hi - lo;
            }
        }
    }
    let lines: Vec<GeomWithData<RLine<[f64; 2]>, f64>> = streets
        .iter()
        .filter(|s| super::street_figures::is_street(&s.highway))
        .flat_map(|s| {
            let f = street_factor(&s.highway);
            s.line.lines().map(move |l| {
                GeomWithData::new(RLine::new([l.start.x, l.start.y], [l.end.x, l.end.y]), f)
            })
        })
        .collect();
    let street_tree = RTree::bulk_load(lines);
    let mut out: Vec<(usize, usize, f64, f64)> = shared
        .into_iter()
        .filter(|(_, (len, _))| *len >= MIN_SHARED_M)
        .map(|((i, j), (len, mid))| {
            let f = street_tree
                .nearest_neighbor(&[mid.x, mid.y])
                .map_or(1.0, |s| s.data);
            (i, j, len, f)
        })
        .collect();
    out.sort_by_key(|a| (a.0, a.1));
    out
}

/// Cells and adjacency of one region (a community without streets through it, or a block).
fn build_one(sites: &[Coord<f64>], community: &MultiPolygon<f64>, streets: &[StreetLine]) -> Cells {
    build_cut(sites, community, streets).0
}

/// Per site, when its main piece is its cell cut by half-planes of the region's boundary:
/// those planes (none: the cell lies wholly inside).
type Cuts = Vec<Option<Vec<Plane>>>;

// Long: one Voronoi construction per street block: triangulation, cell clipping and the
// adjacency of the clipped pieces share the triangulation's indices; split, each phase would
// pass them all.
/// [`build_one`], with the half-planes each cut cell was cut by.
fn build_cut(
    sites: &[Coord<f64>],
    community: &MultiPolygon<f64>,
    streets: &[StreetLine],
) -> (Cells, Cuts) {
    let n = sites.len();
    let mut out = Cells::empty(n, 1, false);
    if n == 0 {
        return (out, Vec::new());
    }
    let Some(bb) = community.bounding_rect() else {
        return (out, Vec::new());
    };
    // A frame of far dummy sites keeps every real cell bounded.
    let span = (bb.width().max(bb.height()) + 1.0) * 10.0;
    let c = bb.center();
    let mut tri: DelaunayTriangulation<Point2<f64>> = DelaunayTriangulation::new();
    let mut handles = Vec::with_capacity(n);
    for s in sites {
        match tri.insert(Point2::new(s.x, s.y)) {
            Ok(h) => handles.push(h),
            Err(_) => return (out, Vec::new()),
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
    // Region boundary segments, directed with the region on their left: a cell whose
    // bounding box meets none of them lies wholly inside the region or wholly outside; one
    // crossed by a convex chain of them is cut by their half-planes; the rest need a polygon
    // intersection.
    let oriented = community.orient(Direction::Default);
    let rings: Vec<RLine<[f64; 2]>> = oriented
        .0
        .iter()
        .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
        .flat_map(|r| r.lines())
        .map(|l| RLine::new([l.start.x, l.start.y], [l.end.x, l.end.y]))
        .collect();
    let boundary = RTree::bulk_load(rings);
    let mut whole = vec![false; n];
    // Per site, when its main piece is the cell cut by half-planes: those planes.
    let mut planes: Vec<Option<Vec<Plane>>> = vec![None; n];
    // Main pieces and orphans.
    for (i, &at) in sites.iter().enumerate() {
        if let Some(r) = out.cells[i].bounding_rect() {
            let env = AABB::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]);
            let near: Vec<Plane> = boundary
                .locate_in_envelope_intersecting(&env)
                .map(|l| {
                    let (a, b) = (l.from, l.to);
                    (Coord { x: a[0], y: a[1] }, Coord { x: b[0], y: b[1] })
                })
                .collect();
            if near.is_empty() && community.intersects(&Point(at)) {
                out.main[i] = out.cells[i].clone();
                whole[i] = true;
                planes[i] = Some(Vec::new());
                continue;
            }
            if let Some(cut) = halfplanes::planes_for(&out.cells[i], at, &near)
                && (!cut.is_empty() || community.intersects(&Point(at)))
            {
                out.main[i] = halfplanes::clip_polygon(&out.cells[i], &cut);
                planes[i] = Some(cut);
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
            link(&mut out.adj, (i, j), length_m, || {
                crossing(&street_tree, sites[i], sites[j])
            });
            continue;
        }
        if let (Some(pi), Some(pj)) = (&planes[i], &planes[j]) {
            // Both main pieces are cut cells: the edge's stretch inside the planes of both.
            let both: Vec<Plane> = pi.iter().chain(pj).copied().collect();
            let length_m = halfplanes::clipped_length(a, b, &both);
            link(&mut out.adj, (i, j), length_m, || {
                crossing(&street_tree, sites[i], sites[j])
            });
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
        link(&mut out.adj, (i, j), length_m, || {
            crossing(&street_tree, sites[i], sites[j])
        });
    }
    (out, planes)
}

/// Links sites i and j both ways when they share at least `MIN_SHARED_M` of boundary, at the
/// street factor `street` gives (asked only then).
fn link(
    adj: &mut [Vec<Edge>],
    (i, j): (usize, usize),
    length_m: f64,
    street: impl FnOnce() -> f64,
) {
    if length_m < MIN_SHARED_M {
        return;
    }
    let street = street();
    let e = Edge {
        to: j,
        weight: length_m * street,
        length_m,
        street,
    };
    adj[i].push(e);
    adj[j].push(Edge { to: i, ..e });
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

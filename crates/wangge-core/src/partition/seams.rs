//! Shared boundaries vertex for vertex. Each grid polygon comes from boolean operations of its
//! own, whose snapping (and the 1 mm closing that fuses parts) leaves neighbouring grids a
//! fraction of a millimetre apart: cracks that GEOS sees as holes in the union of the grids.
//! Stitching makes every vertex within `tol` of another grid's (or the community's) vertex that
//! very vertex, and puts every such vertex into the edges of other grids that pass within `tol`
//! of it, so that two neighbours walk their common boundary through the same coordinates.

use geo_types::{Coord, Line, LineString, MultiPolygon, Polygon};
use rstar::primitives::GeomWithData;
use rstar::{AABB, RTree};
use std::collections::HashMap;

type Rep = GeomWithData<[f64; 2], ()>;

/// Canonical vertices: the first vertex seen within `tol` of a place stands for all of them.
struct Vertices {
    tol: f64,
    cells: HashMap<(i64, i64), Vec<Coord<f64>>>,
}

impl Vertices {
    fn key(&self, c: Coord<f64>) -> (i64, i64) {
        (
            (c.x / self.tol).floor() as i64,
            (c.y / self.tol).floor() as i64,
        )
    }

    /// The canonical vertex for `c` (registering `c` when there is none).
    fn canonical(&mut self, c: Coord<f64>) -> Coord<f64> {
        let (kx, ky) = self.key(c);
        for dx in -1..=1 {
            for dy in -1..=1 {
                if let Some(list) = self.cells.get(&(kx + dx, ky + dy)) {
                    for &p in list {
                        if (p.x - c.x).hypot(p.y - c.y) <= self.tol {
                            return p;
                        }
                    }
                }
            }
        }
        self.cells.entry((kx, ky)).or_default().push(c);
        c
    }

    fn all(&self) -> Vec<Coord<f64>> {
        self.cells.values().flatten().copied().collect()
    }
}

/// Stitches the grid polygons of one community (local metres) in place. The community's own
/// vertices are canonical first, so grids follow its boundary through its vertices.
pub fn stitch(polygons: &mut [Polygon<f64>], community: &MultiPolygon<f64>, tol: f64) {
    let mut v = Vertices {
        tol,
        cells: HashMap::new(),
    };
    for p in &community.0 {
        for r in std::iter::once(p.exterior()).chain(p.interiors()) {
            for &c in &r.0 {
                v.canonical(c);
            }
        }
    }
    let snap_ring = |r: &LineString<f64>, v: &mut Vertices| -> LineString<f64> {
        LineString(r.0.iter().map(|&c| v.canonical(c)).collect())
    };
    for p in polygons.iter_mut() {
        let ext = snap_ring(p.exterior(), &mut v);
        let holes: Vec<LineString<f64>> =
            p.interiors().iter().map(|r| snap_ring(r, &mut v)).collect();
        *p = Polygon::new(ext, holes);
    }
    let tree: RTree<Rep> = RTree::bulk_load(
        v.all()
            .into_iter()
            .map(|c| GeomWithData::new([c.x, c.y], ()))
            .collect(),
    );
    let split_ring = |r: &LineString<f64>| -> LineString<f64> {
        let mut out = Vec::with_capacity(r.0.len());
        for w in r.0.windows(2) {
            let (a, b) = (w[0], w[1]);
            out.push(a);
            let env = AABB::from_corners(
                [a.x.min(b.x) - tol, a.y.min(b.y) - tol],
                [a.x.max(b.x) + tol, a.y.max(b.y) + tol],
            );
            let d = b - a;
            let len2 = d.x * d.x + d.y * d.y;
            if len2 <= 0.0 {
                continue;
            }
            let mut on: Vec<(f64, Coord<f64>)> = tree
                .locate_in_envelope(&env)
                .filter_map(|q| {
                    let c = Coord {
                        x: q.geom()[0],
                        y: q.geom()[1],
                    };
                    if c == a || c == b {
                        return None;
                    }
                    let t = ((c.x - a.x) * d.x + (c.y - a.y) * d.y) / len2;
                    if t <= 0.0 || t >= 1.0 {
                        return None;
                    }
                    let foot = a + d * t;
                    ((foot.x - c.x).hypot(foot.y - c.y) <= tol).then_some((t, c))
                })
                .collect();
            on.sort_by(|x, y| x.0.total_cmp(&y.0));
            out.extend(on.into_iter().map(|(_, c)| c));
        }
        if let Some(&last) = r.0.last() {
            out.push(last);
        }
        LineString(out)
    };
    for p in polygons.iter_mut() {
        let ext = split_ring(p.exterior());
        let holes: Vec<LineString<f64>> = p.interiors().iter().map(split_ring).collect();
        *p = Polygon::new(ext, holes);
    }
}

/// The community's edges, local and lon/lat, for taking grid vertices back to lon/lat so
/// that grid edges along the community's boundary lie on its lon/lat edges: a straight edge in
/// local metres is a slightly curved one in lon/lat (about 2 mm off over 400 m), and the grids
/// would not tile the community exactly as GEOS measures it.
pub struct Boundary {
    edges: RTree<Edge>,
}

/// A community edge in local metres with its two ends in lon/lat.
type Edge = GeomWithData<Line<f64>, (Coord<f64>, Coord<f64>)>;

impl Boundary {
    /// `local` is `lonlat` projected, ring for ring and vertex for vertex.
    pub fn new(local: &MultiPolygon<f64>, lonlat: &MultiPolygon<f64>) -> Self {
        let mut edges = Vec::new();
        for (pl, pg) in local.0.iter().zip(&lonlat.0) {
            let rings_l = std::iter::once(pl.exterior()).chain(pl.interiors());
            let rings_g = std::iter::once(pg.exterior()).chain(pg.interiors());
            for (rl, rg) in rings_l.zip(rings_g) {
                for (wl, wg) in rl.0.windows(2).zip(rg.0.windows(2)) {
                    edges.push(GeomWithData::new(Line::new(wl[0], wl[1]), (wg[0], wg[1])));
                }
            }
        }
        Self {
            edges: RTree::bulk_load(edges),
        }
    }

    /// A grid polygon in lon/lat: vertices on a community edge (within `tol` m) go to the same
    /// place along its lon/lat edge, the others through `unproject`.
    pub fn unproject(
        &self,
        p: &Polygon<f64>,
        tol: f64,
        unproject: impl Fn(Coord<f64>) -> Coord<f64>,
    ) -> Polygon<f64> {
        let map = |c: Coord<f64>| -> Coord<f64> {
            let env = AABB::from_corners(
                geo_types::Point::new(c.x - tol, c.y - tol),
                geo_types::Point::new(c.x + tol, c.y + tol),
            );
            let mut best: Option<(f64, Coord<f64>)> = None;
            for e in self.edges.locate_in_envelope_intersecting(&env) {
                let (a, b) = (e.geom().start, e.geom().end);
                let d = b - a;
                let len2 = d.x * d.x + d.y * d.y;
                let t = if len2 > 0.0 {
                    (((c.x - a.x) * d.x + (c.y - a.y) * d.y) / len2).clamp(0.0, 1.0)
                } else {
                    0.0
                };
                let foot = a + d * t;
                let off = (foot.x - c.x).hypot(foot.y - c.y);
                if off <= tol && best.is_none_or(|(o, _)| off < o) {
                    let (ga, gb) = e.data;
                    // Exact end points where the vertex is the community's own.
                    let ll = if t == 0.0 {
                        ga
                    } else if t == 1.0 {
                        gb
                    } else {
                        ga + (gb - ga) * t
                    };
                    best = Some((off, ll));
                }
            }
            best.map_or_else(|| unproject(c), |(_, ll)| ll)
        };
        let ring = |r: &LineString<f64>| LineString(r.0.iter().map(|&c| map(c)).collect());
        Polygon::new(ring(p.exterior()), p.interiors().iter().map(ring).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{Area, BooleanOps};

    fn square(x0: f64, y0: f64, x1: f64, y1: f64) -> Polygon<f64> {
        Polygon::new(
            LineString(vec![
                Coord { x: x0, y: y0 },
                Coord { x: x1, y: y0 },
                Coord { x: x1, y: y1 },
                Coord { x: x0, y: y1 },
                Coord { x: x0, y: y0 },
            ]),
            vec![],
        )
    }

    #[test]
    fn a_crack_and_a_t_junction_close() {
        // Left grid ends at x = 10; the right one starts 0.4 mm further and has a vertex at
        // (10, 5) that the left one lacks.
        let mut right = square(10.0004, 0.0, 20.0, 10.0);
        right.exterior_mut(|r| r.0.insert(4, Coord { x: 10.0004, y: 5.0 }));
        let mut grids = vec![square(0.0, 0.0, 10.0, 10.0), right];
        let community = MultiPolygon(vec![square(0.0, 0.0, 20.0, 10.0)]);
        stitch(&mut grids, &community, 1e-3);
        let union =
            MultiPolygon(vec![grids[0].clone()]).union(&MultiPolygon(vec![grids[1].clone()]));
        assert_eq!(union.0.len(), 1);
        assert!(union.0[0].interiors().is_empty());
        assert!((union.unsigned_area() - 200.0).abs() < 1e-9);
        // The left grid got the right one's vertex on their common edge.
        assert!(
            grids[0]
                .exterior()
                .0
                .iter()
                .any(|c| (c.y - 5.0).abs() < 1e-12)
        );
    }
}

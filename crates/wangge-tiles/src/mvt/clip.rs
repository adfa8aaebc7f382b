//! The encoder pipeline from world coordinates to clean tile geometry: project to tile pixels
//! → clip to [-buffer, extent + buffer] → simplify (Douglas-Peucker, tolerance in pixels, so
//! coarser in world terms at low zooms) → snap to the integer grid, drop repeated points and
//! degenerate parts → polygons are rebuilt by an integer overlay (i_overlay), which removes
//! self-intersections that snapping and simplifying can create → exterior rings positive
//! (clockwise on screen), holes negative.

use super::geometry::{Pt, TileGeom, ring_area2};
use super::tile::Transform;
use i_overlay::core::fill_rule::FillRule;
use i_overlay::core::overlay::{IntOverlayOptions, Overlay, ShapeType};
use i_overlay::core::overlay_rule::OverlayRule;
use i_overlay::core::solver::Solver;
use i_overlay::i_float::int::point::IntPoint;

/// World coordinates ([0, 1]², y south).
pub type W = [f64; 2];

/// Clipping and simplification settings of a layer at one zoom.
#[derive(Debug, Clone, Copy)]
pub struct Clip {
    pub extent: u32,
    pub buffer: u32,
    /// Douglas-Peucker tolerance in tile pixels (0: no simplification).
    pub tolerance_px: f64,
}

impl Clip {
    pub(super) fn lo(&self) -> f64 {
        -f64::from(self.buffer)
    }
    pub(super) fn hi(&self) -> f64 {
        f64::from(self.extent + self.buffer)
    }

    fn inside(&self, p: [f64; 2]) -> bool {
        (self.lo()..=self.hi()).contains(&p[0]) && (self.lo()..=self.hi()).contains(&p[1])
    }

    /// Whether a box of tile pixels meets the buffered tile.
    fn meets(&self, pts: impl Iterator<Item = [f64; 2]>) -> bool {
        let b = bbox(pts);
        b[0] <= self.hi() && b[2] >= self.lo() && b[1] <= self.hi() && b[3] >= self.lo()
    }

    /// Points inside the buffered tile.
    pub fn points(&self, t: &Transform, pts: &[W]) -> Option<TileGeom> {
        let mut out: Vec<Pt> = pts
            .iter()
            .map(|&w| t.apply(w))
            .filter(|&p| self.inside(p))
            .map(snap)
            .collect();
        out.dedup();
        (!out.is_empty()).then_some(TileGeom::Points(out))
    }

    /// Lines cut to the buffered tile.
    pub fn lines(&self, t: &Transform, lines: &[Vec<W>]) -> Option<TileGeom> {
        let mut out = Vec::new();
        for line in lines {
            let px: Vec<[f64; 2]> = line.iter().map(|&w| t.apply(w)).collect();
            if px.len() < 2 || !self.meets(px.iter().copied()) {
                continue;
            }
            for run in clip_line(&px, self.lo(), self.hi()) {
                let run = simplify(&run, self.tolerance_px);
                let mut s: Vec<Pt> = run.into_iter().map(snap).collect();
                s.dedup();
                if s.len() >= 2 {
                    out.push(s);
                }
            }
        }
        (!out.is_empty()).then_some(TileGeom::Lines(out))
    }

    /// Polygons (exterior ring then holes, each ring closed or not) cut to the buffered tile.
    pub fn polygons(&self, t: &Transform, polys: &[Vec<Vec<W>>]) -> Option<TileGeom> {
        let mut rings: Vec<Vec<IntPoint>> = Vec::new();
        // Simple polygons wholly inside the buffered tile whose snapped ring is still simple
        // need no overlay (most buildings): checked exactly, else they take the general path.
        let mut direct: Vec<Vec<Vec<Pt>>> = Vec::new();
        for poly in polys {
            let Some(ext) = poly.first() else { continue };
            if !self.meets(ext.iter().map(|&w| t.apply(w))) {
                continue;
            }
            if poly.len() == 1 {
                let px: Vec<[f64; 2]> = ext.iter().map(|&w| t.apply(w)).collect();
                if px.iter().all(|&p| self.inside(p)) {
                    let s = simplify(&px, self.tolerance_px);
                    let mut ring: Vec<Pt> = s.into_iter().map(snap).collect();
                    ring.dedup();
                    while ring.len() > 1 && ring.first() == ring.last() {
                        ring.pop();
                    }
                    if ring.len() < 3 || ring_area2(&ring) == 0 {
                        continue; // collapsed to nothing at this zoom
                    }
                    if super::validate::self_intersection(&ring).is_none() {
                        if ring_area2(&ring) < 0 {
                            ring.reverse();
                        }
                        direct.push(vec![ring]);
                        continue;
                    }
                }
            }
            for ring in poly {
                let px: Vec<[f64; 2]> = ring.iter().map(|&w| t.apply(w)).collect();
                let clipped = clip_ring(&px, self.lo(), self.hi());
                if clipped.len() < 3 {
                    continue;
                }
                let mut closed = clipped.clone();
                closed.push(clipped[0]);
                let s = simplify(&closed, self.tolerance_px);
                let mut pts: Vec<IntPoint> = s[..s.len() - 1]
                    .iter()
                    .map(|&p| {
                        let [x, y] = snap(p);
                        IntPoint::new(x, y)
                    })
                    .collect();
                pts.dedup();
                while pts.len() > 1 && pts.first() == pts.last() {
                    pts.pop();
                }
                if pts.len() >= 3 {
                    rings.push(pts);
                }
            }
        }
        rebuild(rings, direct)
    }
}

/// Rebuilds cut rings by an even-odd integer overlay (valid, simple rings on the integer
/// grid; holes stay holes whatever their input direction), exteriors positive and holes
/// negative, and adds the polygons drawn `direct`ly.
pub(super) fn rebuild(rings: Vec<Vec<IntPoint>>, direct: Vec<Vec<Vec<Pt>>>) -> Option<TileGeom> {
    if rings.is_empty() {
        return (!direct.is_empty()).then_some(TileGeom::Polygons(direct));
    }
    // Rebuild: even-odd fill over every ring gives valid, simple rings on the integer
    // grid (holes stay holes whatever their input direction).
    let options = IntOverlayOptions {
        ogc: true,
        ..IntOverlayOptions::default()
    };
    let capacity = rings.iter().map(Vec::len).sum();
    let mut overlay = Overlay::new_custom(capacity, options, Solver::default());
    for r in &rings {
        overlay.add_contour(r, ShapeType::Subject);
    }
    let shapes = overlay.overlay(OverlayRule::Subject, FillRule::EvenOdd);
    let mut out = Vec::new();
    for shape in shapes {
        let mut poly: Vec<Vec<Pt>> = Vec::new();
        for (k, contour) in shape.into_iter().enumerate() {
            let mut ring: Vec<Pt> = contour.iter().map(|p| [p.x, p.y]).collect();
            let a = ring_area2(&ring);
            if a == 0 || ring.len() < 3 {
                if k == 0 {
                    break;
                }
                continue;
            }
            // Exterior positive, holes negative (MVT 2.1, 4.3.4.4).
            if (k == 0) != (a > 0) {
                ring.reverse();
            }
            poly.push(ring);
        }
        if !poly.is_empty() {
            out.push(poly);
        }
    }
    out.extend(direct);
    (!out.is_empty()).then_some(TileGeom::Polygons(out))
}

/// [min x, min y, max x, max y] of points ([MAX, MAX, MIN, MIN] when there are none).
pub fn bbox(pts: impl IntoIterator<Item = [f64; 2]>) -> [f64; 4] {
    let mut b = [f64::MAX, f64::MAX, f64::MIN, f64::MIN];
    for p in pts {
        b = [
            b[0].min(p[0]),
            b[1].min(p[1]),
            b[2].max(p[0]),
            b[3].max(p[1]),
        ];
    }
    b
}

fn snap(p: [f64; 2]) -> Pt {
    [p[0].round() as i32, p[1].round() as i32]
}

/// Cuts a polyline to the square [lo, hi]² (Liang-Barsky per segment); returns the runs
/// inside.
pub fn clip_line(px: &[[f64; 2]], lo: f64, hi: f64) -> Vec<Vec<[f64; 2]>> {
    let mut runs: Vec<Vec<[f64; 2]>> = Vec::new();
    let mut cur: Vec<[f64; 2]> = Vec::new();
    for w in px.windows(2) {
        let (a, b) = (w[0], w[1]);
        let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
        let (mut t0, mut t1) = (0.0f64, 1.0f64);
        let mut keep = true;
        for (p, q) in [
            (-dx, a[0] - lo),
            (dx, hi - a[0]),
            (-dy, a[1] - lo),
            (dy, hi - a[1]),
        ] {
            if p == 0.0 {
                if q < 0.0 {
                    keep = false;
                    break;
                }
            } else {
                let r = q / p;
                if p < 0.0 {
                    t0 = t0.max(r);
                } else {
                    t1 = t1.min(r);
                }
            }
        }
        if !keep || t0 > t1 {
            if !cur.is_empty() {
                runs.push(std::mem::take(&mut cur));
            }
            continue;
        }
        let s = [a[0] + t0 * dx, a[1] + t0 * dy];
        let e = [a[0] + t1 * dx, a[1] + t1 * dy];
        if cur.last() != Some(&s) {
            if !cur.is_empty() {
                runs.push(std::mem::take(&mut cur));
            }
            cur.push(s);
        }
        cur.push(e);
        if t1 < 1.0 {
            runs.push(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() {
        runs.push(cur);
    }
    runs.retain(|r| r.len() >= 2);
    runs
}

/// Sutherland-Hodgman against the square [lo, hi]² (the ring open or closed; returns it
/// open). Concave rings may come back with zero-width bridges along the square's sides; the
/// overlay that follows removes them.
pub fn clip_ring(px: &[[f64; 2]], lo: f64, hi: f64) -> Vec<[f64; 2]> {
    let mut ring: Vec<[f64; 2]> = px.to_vec();
    if ring.len() > 1 && ring.first() == ring.last() {
        ring.pop();
    }
    // (axis, bound, keep when >= bound)
    for (axis, bound, above) in [(0, lo, true), (0, hi, false), (1, lo, true), (1, hi, false)] {
        if ring.is_empty() {
            break;
        }
        let inside = |p: &[f64; 2]| {
            if above {
                p[axis] >= bound
            } else {
                p[axis] <= bound
            }
        };
        let mut out = Vec::with_capacity(ring.len() + 4);
        for i in 0..ring.len() {
            let (a, b) = (ring[i], ring[(i + 1) % ring.len()]);
            let (ia, ib) = (inside(&a), inside(&b));
            if ia {
                out.push(a);
            }
            if ia != ib {
                let t = (bound - a[axis]) / (b[axis] - a[axis]);
                let mut p = [a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])];
                p[axis] = bound;
                out.push(p);
            }
        }
        ring = out;
    }
    ring
}

/// Douglas-Peucker; keeps the end points (a closed ring stays closed).
pub fn simplify(pts: &[[f64; 2]], tolerance: f64) -> Vec<[f64; 2]> {
    if tolerance <= 0.0 || pts.len() <= 2 {
        return pts.to_vec();
    }
    let mut keep = vec![false; pts.len()];
    keep[0] = true;
    keep[pts.len() - 1] = true;
    let mut stack = vec![(0, pts.len() - 1)];
    let tol2 = tolerance * tolerance;
    while let Some((a, b)) = stack.pop() {
        if b <= a + 1 {
            continue;
        }
        let (pa, pb) = (pts[a], pts[b]);
        let (dx, dy) = (pb[0] - pa[0], pb[1] - pa[1]);
        let len2 = dx * dx + dy * dy;
        let mut far = (0.0, a);
        for (i, p) in pts.iter().enumerate().take(b).skip(a + 1) {
            let d2 = if len2 == 0.0 {
                (p[0] - pa[0]).powi(2) + (p[1] - pa[1]).powi(2)
            } else {
                let cross = dx * (p[1] - pa[1]) - dy * (p[0] - pa[0]);
                cross * cross / len2
            };
            if d2 > far.0 {
                far = (d2, i);
            }
        }
        if far.0 > tol2 {
            keep[far.1] = true;
            stack.push((a, far.1));
            stack.push((far.1, b));
        }
    }
    pts.iter()
        .zip(keep)
        .filter(|(_, k)| *k)
        .map(|(p, _)| *p)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mvt::tile::TileCoord;

    fn clip() -> Clip {
        Clip {
            extent: 4096,
            buffer: 64,
            tolerance_px: 1.0,
        }
    }

    #[test]
    fn a_square_larger_than_the_tile_is_cut_to_the_buffer_and_oriented() {
        let t = TileCoord::new(0, 0, 0).expect("tile").transform(4096);
        // World square around the whole tile, given counter-clockwise on screen.
        let sq = vec![vec![[-0.5, -0.5], [-0.5, 1.5], [1.5, 1.5], [1.5, -0.5]]];
        let Some(TileGeom::Polygons(p)) = clip().polygons(&t, &[sq]) else {
            panic!("a polygon")
        };
        assert_eq!(p.len(), 1);
        let ring = &p[0][0];
        assert!(ring_area2(ring) > 0);
        assert_eq!(ring_area2(ring), 2 * (4096 + 128) * (4096 + 128));
        for q in ring {
            assert!(q[0] == -64 || q[0] == 4160 || q[1] == -64 || q[1] == 4160);
        }
    }

    #[test]
    fn holes_come_out_negative_and_concave_cuts_fall_apart_cleanly() {
        let t = TileCoord::new(0, 0, 0).expect("tile").transform(4096);
        let s = 1.0 / 4096.0;
        // A square with a hole, both given in the same direction.
        let outer = vec![
            [100.0 * s, 100.0 * s],
            [900.0 * s, 100.0 * s],
            [900.0 * s, 900.0 * s],
            [100.0 * s, 900.0 * s],
        ];
        let hole = vec![
            [300.0 * s, 300.0 * s],
            [600.0 * s, 300.0 * s],
            [600.0 * s, 600.0 * s],
            [300.0 * s, 600.0 * s],
        ];
        let Some(TileGeom::Polygons(p)) = clip().polygons(&t, &[vec![outer, hole]]) else {
            panic!("a polygon")
        };
        assert_eq!(p[0].len(), 2);
        assert!(ring_area2(&p[0][0]) > 0 && ring_area2(&p[0][1]) < 0);
        // A U shape whose arms leave the tile's left side: two separate pieces, no bridge.
        let u = vec![
            [-500.0 * s, 100.0 * s],
            [1000.0 * s, 100.0 * s],
            [1000.0 * s, 900.0 * s],
            [-500.0 * s, 900.0 * s],
            [-500.0 * s, 700.0 * s],
            [-200.0 * s, 700.0 * s],
            [-200.0 * s, 300.0 * s],
            [-500.0 * s, 300.0 * s],
        ];
        let Some(TileGeom::Polygons(p)) = clip().polygons(&t, &[vec![u]]) else {
            panic!("a polygon")
        };
        let total: i64 = p.iter().map(|poly| ring_area2(&poly[0])).sum();
        // Inside x >= -64: 1064 x 800 minus nothing (the notch ends at x = -200).
        assert_eq!(total, 2 * 1064 * 800);
    }

    #[test]
    fn lines_are_cut_into_runs_inside_the_buffer() {
        let runs = clip_line(
            &[[-100.0, 10.0], [50.0, 10.0], [50.0, -100.0], [80.0, 20.0]],
            -10.0,
            100.0,
        );
        assert_eq!(runs.len(), 2);
        assert_eq!(runs[0], vec![[-10.0, 10.0], [50.0, 10.0], [50.0, -10.0]]);
        assert_eq!(runs[1][1], [80.0, 20.0]);
        // Douglas-Peucker drops a nearly collinear point, keeps a corner.
        let s = simplify(&[[0.0, 0.0], [5.0, 0.2], [10.0, 0.0], [10.0, 10.0]], 1.0);
        assert_eq!(s, vec![[0.0, 0.0], [10.0, 0.0], [10.0, 10.0]]);
    }
}

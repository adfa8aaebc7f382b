//! Clipping a convex Voronoi cell to its region without a polygon boolean operation, where the
//! region's boundary crosses the cell as a convex chain (a straight street edge, a convex
//! block corner): the cell's part in the region is then the cell cut by the half-planes of
//! those boundary segments. Street blocks make most cells touch a boundary, and one boolean
//! operation per cell was the slowest step of building the cells.
//!
//! Segments are directed with the region on their left (exterior rings counter-clockwise,
//! holes clockwise).

use geo::{Contains, Intersects};
use geo_types::{Coord, Line, LineString, Point, Polygon};

/// A directed boundary segment; the region lies on its left.
pub type Plane = (Coord<f64>, Coord<f64>);

/// More boundary segments than this in one cell: the general operation is as fast.
const MAX_PLANES: usize = 12;

/// Twice the signed area of (p, q, x): positive when x is left of p→q.
fn left(p: Coord<f64>, q: Coord<f64>, x: Coord<f64>) -> f64 {
    (q.x - p.x) * (x.y - p.y) - (q.y - p.y) * (x.x - p.x)
}

/// Tolerance of `left` for a segment of length `len` (about a micrometre off the line).
fn tol(len: f64) -> f64 {
    1e-6 * len.max(1e-9)
}

fn length(p: Coord<f64>, q: Coord<f64>) -> f64 {
    (q.x - p.x).hypot(q.y - p.y)
}

/// Whether x lies on the line through p and q (within about a micrometre).
pub fn on_line(p: Coord<f64>, q: Coord<f64>, x: Coord<f64>) -> bool {
    left(p, q, x).abs() <= tol(length(p, q))
}

/// The edges of a counter-clockwise convex ring as planes.
fn ring_planes(ring: &LineString<f64>) -> Vec<Plane> {
    ring.0.windows(2).map(|w| (w[0], w[1])).collect()
}

/// The part of segment a→b inside every plane, as parameters (t0, t1) on it.
pub fn clip_segment(a: Coord<f64>, b: Coord<f64>, planes: &[Plane]) -> Option<(f64, f64)> {
    let (mut t0, mut t1) = (0.0f64, 1.0f64);
    for &(p, q) in planes {
        let (fa, fb) = (left(p, q, a), left(p, q, b));
        let e = tol(length(p, q));
        if fa < -e && fb < -e {
            return None;
        }
        if fa < -e || fb < -e {
            let t = fa / (fa - fb);
            if fa < -e {
                t0 = t0.max(t);
            } else {
                t1 = t1.min(t);
            }
        }
        if t1 <= t0 {
            return None;
        }
    }
    Some((t0, t1))
}

/// The length of segment a→b inside every plane.
pub fn clipped_length(a: Coord<f64>, b: Coord<f64>, planes: &[Plane]) -> f64 {
    clip_segment(a, b, planes).map_or(0.0, |(t0, t1)| (t1 - t0) * length(a, b))
}

/// A convex polygon cut by the planes (Sutherland–Hodgman).
pub fn clip_polygon(cell: &Polygon<f64>, planes: &[Plane]) -> Polygon<f64> {
    let mut pts: Vec<Coord<f64>> = cell.exterior().0.clone();
    pts.pop(); // closing vertex
    for &(p, q) in planes {
        if pts.is_empty() {
            break;
        }
        let mut out = Vec::with_capacity(pts.len() + 1);
        for k in 0..pts.len() {
            let (c, d) = (pts[k], pts[(k + 1) % pts.len()]);
            let (fc, fd) = (left(p, q, c), left(p, q, d));
            if fc >= 0.0 {
                out.push(c);
            }
            if (fc >= 0.0) != (fd >= 0.0) {
                let t = fc / (fc - fd);
                out.push(c + (d - c) * t);
            }
        }
        pts = out;
    }
    if pts.len() < 3 {
        return Polygon::new(LineString(vec![]), vec![]);
    }
    pts.push(pts[0]);
    Polygon::new(LineString(pts), vec![])
}

/// The boundary segments (of those `near` the cell) that the cell's part in the region is cut
/// by, when that part is the cell cut by their half-planes: the segments that meet the cell
/// form convex chains (each end inside the cell continues in a segment turning left), each
/// segment's stretch in the cell lies inside all the other half-planes, and the site lies
/// inside them all. An empty list: no boundary meets the cell. None: use the general
/// operation.
pub fn planes_for(cell: &Polygon<f64>, site: Coord<f64>, near: &[Plane]) -> Option<Vec<Plane>> {
    if cell.exterior().0.len() < 4 {
        return None;
    }
    let t: Vec<Plane> = near
        .iter()
        .filter(|&&(p, q)| p != q && Line::new(p, q).intersects(cell))
        .copied()
        .collect();
    if t.len() > MAX_PLANES {
        return None;
    }
    for &(p, q) in &t {
        if left(p, q, site) <= tol(length(p, q)) {
            return None;
        }
    }
    let cell_planes = ring_planes(cell.exterior());
    for &(p, q) in &t {
        // An end inside the cell must continue in a segment that turns left.
        if cell.contains(&Point(p))
            && !t
                .iter()
                .any(|&(a, b)| b == p && left(a, p, q) >= -tol(length(a, p)))
        {
            return None;
        }
        if cell.contains(&Point(q))
            && !t
                .iter()
                .any(|&(a, b)| a == q && left(p, q, b) >= -tol(length(p, q)))
        {
            return None;
        }
        // The stretch in the cell is on the boundary of the cut cell.
        let (t0, t1) = clip_segment(p, q, &cell_planes)?;
        let (x, y) = (p + (q - p) * t0, p + (q - p) * t1);
        for &(a, b) in &t {
            if (a, b) != (p, q)
                && (left(a, b, x) < -tol(length(a, b)) || left(a, b, y) < -tol(length(a, b)))
            {
                return None;
            }
        }
    }
    Some(t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::Area;
    use geo_types::Rect;

    fn c(x: f64, y: f64) -> Coord<f64> {
        Coord { x, y }
    }

    fn cell() -> Polygon<f64> {
        Rect::new(c(0.0, 0.0), c(10.0, 10.0)).to_polygon()
    }

    #[test]
    fn a_straight_edge_cuts_the_cell_in_half() {
        // The region is below y = 5 (segment running west, region on its left).
        let near = [(c(20.0, 5.0), c(-20.0, 5.0))];
        let planes = planes_for(&cell(), c(5.0, 2.0), &near).expect("fast");
        assert_eq!(planes.len(), 1);
        let p = clip_polygon(&cell(), &planes);
        assert!((p.unsigned_area() - 50.0).abs() < 1e-9);
        assert!((clipped_length(c(5.0, 0.0), c(5.0, 10.0), &planes) - 5.0).abs() < 1e-9);
    }

    #[test]
    fn a_convex_corner_is_fast_and_a_reflex_one_is_not() {
        // Region: x < 6 and y < 4 (a convex corner at (6, 4)); ring order counter-clockwise.
        let convex = [(c(6.0, -20.0), c(6.0, 4.0)), (c(6.0, 4.0), c(-20.0, 4.0))];
        let planes = planes_for(&cell(), c(2.0, 2.0), &convex).expect("fast");
        let p = clip_polygon(&cell(), &planes);
        assert!((p.unsigned_area() - 24.0).abs() < 1e-9);
        // Region: everything but x > 6 and y > 4 (a reflex corner): not the cut cell.
        let reflex = [(c(20.0, 4.0), c(6.0, 4.0)), (c(6.0, 4.0), c(6.0, 20.0))];
        assert!(planes_for(&cell(), c(2.0, 2.0), &reflex).is_none());
    }

    #[test]
    fn no_segment_means_the_cell_is_whole() {
        let far = [(c(50.0, 50.0), c(60.0, 50.0))];
        assert_eq!(planes_for(&cell(), c(5.0, 5.0), &far), Some(vec![]));
    }

    #[test]
    fn a_site_outside_the_region_is_not_fast() {
        let near = [(c(20.0, 5.0), c(-20.0, 5.0))];
        assert!(planes_for(&cell(), c(5.0, 8.0), &near).is_none());
    }
}

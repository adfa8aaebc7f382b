//! Grid polygons made valid before they are saved (OGC Simple Features, as GEOS checks them):
//! repeated vertices and zero-width spikes that boolean operations leave where cells meet are
//! removed, rings are oriented (exterior counter-clockwise, holes clockwise: RFC 7946), and a
//! ring that still crosses itself is rebuilt by a union with itself. What cannot be mended is
//! reported with the reason geo's validation gives.

use geo::{Area, BooleanOps, Validation, Winding};
use geo_types::{Coord, LineString, MultiPolygon, Polygon};

/// Vertices closer than this (m) are one vertex.
const SAME_M: f64 = 1e-6;
/// A vertex whose two edges fold back onto each other within this many metres of width is a
/// spike (a zero-width excursion).
const SPIKE_M: f64 = 1e-4;

/// Removes repeated vertices and spikes from a closed ring (local metres); `None` when fewer
/// than three distinct vertices remain.
fn clean_ring(ring: &LineString<f64>) -> Option<LineString<f64>> {
    let mut pts: Vec<Coord<f64>> = ring.0.clone();
    if pts.first() == pts.last() {
        pts.pop();
    }
    loop {
        let before = pts.len();
        pts.dedup_by(|a, b| dist(*a, *b) < SAME_M);
        while pts.len() > 1
            && pts
                .first()
                .zip(pts.last())
                .is_some_and(|(a, b)| dist(*a, *b) < SAME_M)
        {
            pts.pop();
        }
        // One sweep removing spike vertices: the ring goes out along a line and comes back.
        let mut i = 0;
        while pts.len() >= 3 && i < pts.len() {
            let n = pts.len();
            let (a, b, c) = (pts[(i + n - 1) % n], pts[i], pts[(i + 1) % n]);
            if is_spike(a, b, c) {
                pts.remove(i);
                i = i.saturating_sub(1);
            } else {
                i += 1;
            }
        }
        if pts.len() == before || pts.len() < 3 {
            break;
        }
    }
    if pts.len() < 3 {
        return None;
    }
    let first = pts[0];
    pts.push(first);
    Some(LineString(pts))
}

fn dist(a: Coord<f64>, b: Coord<f64>) -> f64 {
    (a.x - b.x).hypot(a.y - b.y)
}

/// b is the tip of a spike a → b → c: both edges lie on one line and c turns back towards a.
fn is_spike(a: Coord<f64>, b: Coord<f64>, c: Coord<f64>) -> bool {
    let (u, v) = (a - b, c - b);
    let (lu, lv) = (u.x.hypot(u.y), v.x.hypot(v.y));
    if lu < SAME_M || lv < SAME_M {
        return true;
    }
    let cross = u.x * v.y - u.y * v.x;
    let dot = u.x * v.x + u.y * v.y;
    // Same direction from b (the angle at b is zero) within SPIKE_M of width.
    dot > 0.0 && cross.abs() / lu.max(lv) < SPIKE_M
}

/// A valid polygon from a grid's dissolved polygon (local metres), oriented exterior
/// counter-clockwise and holes clockwise; `Err` names what is still wrong.
pub fn valid_polygon(p: &Polygon<f64>) -> Result<Polygon<f64>, String> {
    let Some(exterior) = clean_ring(p.exterior()) else {
        return Err("the polygon has fewer than three distinct vertices".into());
    };
    let holes: Vec<LineString<f64>> = p.interiors().iter().filter_map(clean_ring).collect();
    let mut out = Polygon::new(exterior, holes);
    if !out.is_valid() {
        // A ring crossing itself: the union with itself resolves the crossing.
        let fixed: MultiPolygon<f64> = MultiPolygon(vec![out.clone()]).union(&MultiPolygon(vec![]));
        let largest = fixed
            .0
            .into_iter()
            .max_by(|a, b| a.unsigned_area().total_cmp(&b.unsigned_area()));
        match largest {
            Some(l)
                if l.is_valid()
                    && (l.unsigned_area() - out.unsigned_area()).abs()
                        <= 1e-6 * out.unsigned_area().max(1.0) =>
            {
                out = l
            }
            _ => {
                let why = out
                    .validation_errors()
                    .first()
                    .map(ToString::to_string)
                    .unwrap_or_else(|| "invalid".into());
                return Err(why);
            }
        }
    }
    orient(&mut out);
    Ok(out)
}

/// Exterior counter-clockwise, holes clockwise (RFC 7946; GEOS accepts either).
pub fn orient(p: &mut Polygon<f64>) {
    p.exterior_mut(|r| r.make_ccw_winding());
    p.interiors_mut(|rs| {
        for r in rs {
            r.make_cw_winding();
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ring(pts: &[(f64, f64)]) -> LineString<f64> {
        LineString(pts.iter().map(|&(x, y)| Coord { x, y }).collect())
    }

    #[test]
    fn a_spike_and_a_repeated_vertex_go_and_the_area_stays() {
        // The Nanjing case: the ring runs 12 m out along a line and comes back past its start.
        let p = Polygon::new(
            ring(&[
                (0.0, 0.0),
                (100.0, 0.0),
                (100.0, 0.0),
                (100.0, 50.0),
                (90.0, 40.0),
                (110.0, 60.0),
                (0.0, 60.0),
                (0.0, 0.0),
            ]),
            vec![],
        );
        assert!(!p.is_valid(), "the spike makes it invalid");
        let v = valid_polygon(&p).expect("mended");
        assert!(v.is_valid());
        assert!((v.unsigned_area() - p.unsigned_area()).abs() < 1e-9);
        assert_eq!(v.exterior().0.len(), 6, "{:?}", v.exterior());
        assert!(v.exterior().is_ccw());
    }

    #[test]
    fn a_bow_tie_is_reported_when_a_union_cannot_keep_its_area() {
        let p = Polygon::new(
            ring(&[
                (0.0, 0.0),
                (10.0, 10.0),
                (10.0, 0.0),
                (0.0, 10.0),
                (0.0, 0.0),
            ]),
            vec![],
        );
        assert!(valid_polygon(&p).is_err());
    }

    #[test]
    fn holes_turn_clockwise() {
        let p = Polygon::new(
            ring(&[
                (0.0, 0.0),
                (0.0, 10.0),
                (10.0, 10.0),
                (10.0, 0.0),
                (0.0, 0.0),
            ]),
            vec![ring(&[
                (2.0, 2.0),
                (4.0, 2.0),
                (4.0, 4.0),
                (2.0, 4.0),
                (2.0, 2.0),
            ])],
        );
        let v = valid_polygon(&p).expect("valid");
        assert!(v.exterior().is_ccw());
        assert!(v.interiors()[0].is_cw());
    }
}

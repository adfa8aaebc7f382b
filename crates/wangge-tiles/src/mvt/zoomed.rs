//! A feature's geometry prepared once per zoom: projected to that zoom's global pixels (world
//! × extent × 2^z) and simplified whole, so a live tile only translates and clips it. A
//! polygon that is one simple ring is also snapped and oriented once: a tile that holds it
//! whole draws it as it is (most buildings). Simplifying the whole shape before cutting it
//! instead of the cut pieces moves vertices within the same tolerance.

use super::clip::{Clip, W, clip_line, clip_ring, simplify};
use super::geometry::{Pt, TileGeom, ring_area2};
use i_overlay::i_float::int::point::IntPoint;

/// A polygon at one zoom.
#[derive(Debug, Clone)]
pub struct ZoomPoly {
    /// Box of the exterior as given, global pixels.
    bbox: [f64; 4],
    /// Exterior then holes, simplified, global pixels, open.
    rings: Vec<Vec<[f64; 2]>>,
    whole: Whole,
}

/// What a polygon is when a tile holds it whole.
#[derive(Debug, Clone)]
enum Whole {
    /// One simple ring with area, snapped to global pixels, exterior positive.
    Ring(Vec<[i64; 2]>),
    /// Nothing at this zoom (it collapses when snapped).
    Collapsed,
    /// Holes, or a ring that crosses itself once snapped: cut and rebuilt like a cut one.
    Complex,
}

/// A feature's geometry at one zoom.
#[derive(Debug, Clone)]
pub enum ZoomGeom {
    Points(Vec<[f64; 2]>),
    Lines(Vec<Vec<[f64; 2]>>),
    Polygons(Vec<ZoomPoly>),
}

fn px(w: W, scale: f64) -> [f64; 2] {
    [w[0] * scale, w[1] * scale]
}

fn snap64(p: [f64; 2]) -> [i64; 2] {
    [p[0].round() as i64, p[1].round() as i64]
}

impl ZoomGeom {
    pub fn points(pts: &[W], scale: f64) -> Self {
        Self::Points(pts.iter().map(|&w| px(w, scale)).collect())
    }

    pub fn lines(lines: &[Vec<W>], scale: f64, tolerance: f64) -> Self {
        Self::Lines(
            lines
                .iter()
                .map(|l| {
                    let p: Vec<[f64; 2]> = l.iter().map(|&w| px(w, scale)).collect();
                    simplify(&p, tolerance)
                })
                .collect(),
        )
    }

    pub fn polygons(polys: &[Vec<Vec<W>>], scale: f64, tolerance: f64) -> Self {
        Self::Polygons(
            polys
                .iter()
                .filter(|p| !p.is_empty())
                .map(|poly| {
                    let ext: Vec<[f64; 2]> = poly[0].iter().map(|&w| px(w, scale)).collect();
                    let bbox = super::clip::bbox(ext.iter().copied());
                    let rings: Vec<Vec<[f64; 2]>> = poly
                        .iter()
                        .map(|r| {
                            let mut closed: Vec<[f64; 2]> =
                                r.iter().map(|&w| px(w, scale)).collect();
                            if closed.len() > 1 && closed.first() != closed.last() {
                                closed.push(closed[0]);
                            }
                            let mut s = simplify(&closed, tolerance);
                            if s.len() > 1 && s.first() == s.last() {
                                s.pop();
                            }
                            s
                        })
                        .collect();
                    let whole = if poly.len() == 1 {
                        whole_ring(&simplify(&ext, tolerance))
                    } else {
                        Whole::Complex
                    };
                    ZoomPoly { bbox, rings, whole }
                })
                .collect(),
        )
    }
}

/// A single ring snapped whole: collapsed, simple (oriented), or not simple.
fn whole_ring(s: &[[f64; 2]]) -> Whole {
    let mut ring: Vec<[i64; 2]> = s.iter().map(|&p| snap64(p)).collect();
    ring.dedup();
    while ring.len() > 1 && ring.first() == ring.last() {
        ring.pop();
    }
    if ring.len() < 3 {
        return Whole::Collapsed;
    }
    // Simplicity and area are the same at any offset: test on coordinates relative to the
    // first vertex (small numbers, as in a tile).
    let o = ring[0];
    let rel: Vec<Pt> = ring
        .iter()
        .map(|p| [(p[0] - o[0]) as i32, (p[1] - o[1]) as i32])
        .collect();
    let a = ring_area2(&rel);
    if a == 0 {
        return Whole::Collapsed;
    }
    if super::validate::self_intersection(&rel).is_some() {
        return Whole::Complex;
    }
    if a < 0 {
        ring.reverse();
    }
    Whole::Ring(ring)
}

impl ZoomGeom {
    /// The ring to draw as it is when this is one polygon of one simple ring that the
    /// buffered tile at `origin` holds whole: (snapped ring in global pixels, origin in
    /// whole pixels).
    pub fn held_ring(&self, clip: &Clip, origin: [f64; 2]) -> Option<(&[[i64; 2]], [i64; 2])> {
        let ZoomGeom::Polygons(polys) = self else {
            return None;
        };
        let [poly] = polys.as_slice() else {
            return None;
        };
        let Whole::Ring(r) = &poly.whole else {
            return None;
        };
        let (lo, hi) = (clip.lo(), clip.hi());
        let b = poly.bbox;
        let held = b[0] - origin[0] >= lo
            && b[2] - origin[0] <= hi
            && b[1] - origin[1] >= lo
            && b[3] - origin[1] <= hi;
        held.then_some((r.as_slice(), [origin[0] as i64, origin[1] as i64]))
    }
}

impl Clip {
    /// Points at one zoom inside the buffered tile whose top left corner is `origin`
    /// (global pixels).
    pub fn zoom_points(&self, origin: [f64; 2], pts: &[[f64; 2]]) -> Option<TileGeom> {
        let (lo, hi) = (self.lo(), self.hi());
        let mut out: Vec<Pt> = pts
            .iter()
            .map(|p| [p[0] - origin[0], p[1] - origin[1]])
            .filter(|p| (lo..=hi).contains(&p[0]) && (lo..=hi).contains(&p[1]))
            .map(|p| [p[0].round() as i32, p[1].round() as i32])
            .collect();
        out.dedup();
        (!out.is_empty()).then_some(TileGeom::Points(out))
    }

    /// Lines at one zoom cut to the buffered tile.
    pub fn zoom_lines(&self, origin: [f64; 2], lines: &[Vec<[f64; 2]>]) -> Option<TileGeom> {
        let (lo, hi) = (self.lo(), self.hi());
        let mut out = Vec::new();
        for line in lines {
            if line.len() < 2 {
                continue;
            }
            let b = super::clip::bbox(line.iter().copied());
            if b[0] - origin[0] > hi
                || b[2] - origin[0] < lo
                || b[1] - origin[1] > hi
                || b[3] - origin[1] < lo
            {
                continue;
            }
            let local: Vec<[f64; 2]> = line
                .iter()
                .map(|p| [p[0] - origin[0], p[1] - origin[1]])
                .collect();
            for run in clip_line(&local, lo, hi) {
                let mut s: Vec<Pt> = run
                    .into_iter()
                    .map(|p| [p[0].round() as i32, p[1].round() as i32])
                    .collect();
                s.dedup();
                if s.len() >= 2 {
                    out.push(s);
                }
            }
        }
        (!out.is_empty()).then_some(TileGeom::Lines(out))
    }

    /// Polygons at one zoom cut to the buffered tile: one held whole is drawn as prepared,
    /// the others are cut and rebuilt (as `Clip::polygons` does, without simplifying again).
    pub fn zoom_polygons(&self, origin: [f64; 2], polys: &[ZoomPoly]) -> Option<TileGeom> {
        let (lo, hi) = (self.lo(), self.hi());
        let (ox, oy) = (origin[0] as i64, origin[1] as i64);
        let mut direct: Vec<Vec<Vec<Pt>>> = Vec::new();
        let mut rings: Vec<Vec<IntPoint>> = Vec::new();
        for poly in polys {
            let b = poly.bbox;
            let (x0, y0, x1, y1) = (
                b[0] - origin[0],
                b[1] - origin[1],
                b[2] - origin[0],
                b[3] - origin[1],
            );
            if x0 > hi || x1 < lo || y0 > hi || y1 < lo {
                continue;
            }
            let held = x0 >= lo && x1 <= hi && y0 >= lo && y1 <= hi;
            if held {
                match &poly.whole {
                    Whole::Collapsed => continue,
                    Whole::Ring(r) => {
                        direct.push(vec![
                            r.iter()
                                .map(|p| [(p[0] - ox) as i32, (p[1] - oy) as i32])
                                .collect(),
                        ]);
                        continue;
                    }
                    Whole::Complex => {}
                }
            }
            for ring in &poly.rings {
                let local: Vec<[f64; 2]> = ring
                    .iter()
                    .map(|p| [p[0] - origin[0], p[1] - origin[1]])
                    .collect();
                let clipped = clip_ring(&local, lo, hi);
                if clipped.len() < 3 {
                    continue;
                }
                let mut pts: Vec<IntPoint> = clipped
                    .iter()
                    .map(|p| IntPoint::new(p[0].round() as i32, p[1].round() as i32))
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
        super::clip::rebuild(rings, direct)
    }
}

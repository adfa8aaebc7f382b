//! A small software rasteriser: polygons filled by even-odd scanlines, outlines and points,
//! in a local metric projection fitted to the extent.

use geo::BoundingRect;
use geo_types::{Coord, LineString, Point, Polygon, Rect};
use image::{Rgba, RgbaImage};
use std::path::Path;
use wangge_core::LocalFrame;

use crate::text;

/// How to draw a layer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MapStyle {
    pub fill: Option<[u8; 4]>,
    pub stroke: Option<[u8; 4]>,
    pub point_px: u32,
}

/// Something to draw: polygons each with its own fill, or points.
#[derive(Debug, Clone, PartialEq)]
pub enum MapLayer {
    Polygons(Vec<(Polygon<f64>, MapStyle)>),
    Points(Vec<Point<f64>>, MapStyle),
    Lines(Vec<LineString<f64>>, MapStyle),
}

struct Canvas {
    img: RgbaImage,
    frame: LocalFrame,
    origin: Coord<f64>,
    scale: f64,
    height: u32,
}

impl Canvas {
    fn px(&self, c: Coord<f64>) -> (f64, f64) {
        let m = self.frame.forward(c);
        (
            (m.x - self.origin.x) * self.scale,
            f64::from(self.height) - (m.y - self.origin.y) * self.scale,
        )
    }

    fn blend(&mut self, x: i64, y: i64, c: [u8; 4]) {
        if x < 0 || y < 0 || x >= i64::from(self.img.width()) || y >= i64::from(self.img.height()) {
            return;
        }
        let p = self.img.get_pixel_mut(x as u32, y as u32);
        let a = f64::from(c[3]) / 255.0;
        for (channel, &target) in p.0.iter_mut().zip(&c).take(3) {
            *channel = (f64::from(*channel) * (1.0 - a) + f64::from(target) * a).round() as u8;
        }
        p.0[3] = 255;
    }

    fn fill(&mut self, poly: &Polygon<f64>, c: [u8; 4]) {
        let rings: Vec<Vec<(f64, f64)>> = std::iter::once(poly.exterior())
            .chain(poly.interiors())
            .map(|r| r.0.iter().map(|&p| self.px(p)).collect())
            .collect();
        let (mut ymin, mut ymax) = (f64::INFINITY, f64::NEG_INFINITY);
        for r in &rings {
            for &(_, y) in r {
                ymin = ymin.min(y);
                ymax = ymax.max(y);
            }
        }
        if !ymin.is_finite() {
            return;
        }
        let (y0, y1) = (
            ymin.floor().max(0.0) as i64,
            ymax.ceil().min(f64::from(self.height)) as i64,
        );
        let mut xs = Vec::new();
        for y in y0..y1 {
            let yc = y as f64 + 0.5;
            xs.clear();
            for r in &rings {
                for w in r.windows(2) {
                    let ((ax, ay), (bx, by)) = (w[0], w[1]);
                    if (ay <= yc && by > yc) || (by <= yc && ay > yc) {
                        xs.push(ax + (yc - ay) / (by - ay) * (bx - ax));
                    }
                }
            }
            xs.sort_by(f64::total_cmp);
            for pair in xs.chunks(2) {
                if let [a, b] = pair {
                    for x in a.round() as i64..b.round() as i64 {
                        self.blend(x, y, c);
                    }
                }
            }
        }
    }

    fn line(&mut self, a: Coord<f64>, b: Coord<f64>, c: [u8; 4]) {
        let (ax, ay) = self.px(a);
        let (bx, by) = self.px(b);
        let steps = (bx - ax).abs().max((by - ay).abs()).ceil().max(1.0) as i64;
        for i in 0..=steps {
            let t = i as f64 / steps as f64;
            self.blend(
                (ax + (bx - ax) * t).round() as i64,
                (ay + (by - ay) * t).round() as i64,
                c,
            );
        }
    }

    fn ring(&mut self, r: &LineString<f64>, c: [u8; 4]) {
        for w in r.0.windows(2) {
            self.line(w[0], w[1], c);
        }
    }
}

/// Draws caption lines (Latin text) into a strip at the bottom of the image. Returns false
/// when no font was found.
fn caption(img: &mut RgbaImage, lines: &[String]) -> bool {
    let Some(font) = text::font() else {
        return false;
    };
    let size = (img.width() as f32 / 90.0).clamp(14.0, 32.0);
    let line_h = text::line_height(&font, size);
    let top = img.height() as f32 - line_h * lines.len() as f32 - size * 0.6;
    for (i, line) in lines.iter().enumerate() {
        let y = top + line_h * i as f32;
        text::draw(img, &font, size, (size * 0.8, y), line, [20, 20, 20]);
    }
    true
}

/// Renders layers (drawn in order) to a PNG of `width` pixels, the height following the
/// extent of the first layer, with `captions` (legend, attribution) in a strip below the map.
/// Returns whether the captions could be drawn (a font was found).
pub fn render_png(
    layers: &[MapLayer],
    width: u32,
    captions: &[String],
    out: &Path,
) -> Result<bool, image::ImageError> {
    let mut bbox: Option<Rect<f64>> = None;
    let mut grow = |r: Option<Rect<f64>>| {
        if let Some(r) = r {
            bbox = Some(match bbox {
                None => r,
                Some(b) => Rect::new(
                    (b.min().x.min(r.min().x), b.min().y.min(r.min().y)),
                    (b.max().x.max(r.max().x), b.max().y.max(r.max().y)),
                ),
            });
        }
    };
    if let Some(MapLayer::Polygons(ps)) = layers.first() {
        ps.iter().for_each(|(p, _)| grow(p.bounding_rect()));
    }
    let bbox = bbox.unwrap_or_else(|| Rect::new((0.0, 0.0), (1.0, 1.0)));
    let frame = LocalFrame::around_rect(bbox);
    let (lo, hi) = (frame.forward(bbox.min()), frame.forward(bbox.max()));
    let (w_m, h_m) = ((hi.x - lo.x).max(1.0), (hi.y - lo.y).max(1.0));
    let margin = 0.03;
    let scale = f64::from(width) / (w_m * (1.0 + 2.0 * margin));
    let map_height = ((h_m * (1.0 + 2.0 * margin)) * scale)
        .ceil()
        .clamp(1.0, 8192.0) as u32;
    let line_px = (f64::from(width) / 90.0).clamp(14.0, 32.0) * 1.3;
    let strip = if captions.is_empty() {
        0
    } else {
        (line_px * captions.len() as f64 + 20.0) as u32
    };
    let origin = Coord {
        x: lo.x - w_m * margin,
        y: lo.y - h_m * margin,
    };
    let mut canvas = Canvas {
        img: RgbaImage::from_pixel(width, map_height + strip, Rgba([248, 248, 245, 255])),
        frame,
        origin,
        scale,
        height: map_height,
    };
    for layer in layers {
        match layer {
            MapLayer::Polygons(ps) => {
                for (p, s) in ps {
                    if let Some(c) = s.fill {
                        canvas.fill(p, c);
                    }
                }
                for (p, s) in ps {
                    if let Some(c) = s.stroke {
                        canvas.ring(p.exterior(), c);
                        p.interiors().iter().for_each(|r| canvas.ring(r, c));
                    }
                }
            }
            MapLayer::Lines(ls, s) => {
                if let Some(c) = s.stroke {
                    ls.iter().for_each(|l| canvas.ring(l, c));
                }
            }
            MapLayer::Points(ps, s) => {
                let c = s.fill.unwrap_or([0, 0, 0, 255]);
                let r = i64::from(s.point_px / 2);
                for p in ps {
                    let (x, y) = canvas.px(p.0);
                    for dx in -r..=r {
                        for dy in -r..=r {
                            canvas.blend(x.round() as i64 + dx, y.round() as i64 + dy, c);
                        }
                    }
                }
            }
        }
    }
    let mut img = canvas.img;
    let drawn = captions.is_empty() || caption(&mut img, captions);
    img.save(out)?;
    Ok(drawn)
}

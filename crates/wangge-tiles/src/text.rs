//! Text on raster images: WenQuanYi Micro Hei (Debian's fonts-wqy-microhei: Chinese names
//! and Latin), else DejaVu Sans (fonts-dejavu-core, Latin only), both installed by the setup;
//! callers degrade gracefully when no font is found.

use ab_glyph::{Font, FontVec, PxScale, ScaleFont};
use image::RgbaImage;

const FONTS: &[&str] = &[
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
];

/// The first font found.
pub fn font() -> Option<FontVec> {
    FONTS
        .iter()
        .filter_map(|p| std::fs::read(p).ok())
        .find_map(|b| FontVec::try_from_vec_and_index(b, 0).ok())
}

/// Height of one line of text at `size` pixels.
pub fn line_height(font: &FontVec, size: f32) -> f32 {
    let scaled = font.as_scaled(PxScale::from(size));
    scaled.height() + scaled.line_gap()
}

/// Width of `text` at `size` pixels.
pub fn width(font: &FontVec, size: f32, text: &str) -> f32 {
    let scaled = font.as_scaled(PxScale::from(size));
    text.chars()
        .map(|c| scaled.h_advance(scaled.glyph_id(c)))
        .sum()
}

/// Draws `text` with its top-left corner at `at`.
pub fn draw(
    img: &mut RgbaImage,
    font: &FontVec,
    size: f32,
    at: (f32, f32),
    text: &str,
    rgb: [u8; 3],
) {
    let scaled = font.as_scaled(PxScale::from(size));
    let baseline = at.1 + scaled.ascent();
    let mut x = at.0;
    for ch in text.chars() {
        let id = scaled.glyph_id(ch);
        let glyph = id.with_scale_and_position(PxScale::from(size), ab_glyph::point(x, baseline));
        x += scaled.h_advance(id);
        let Some(outlined) = font.outline_glyph(glyph) else {
            continue;
        };
        let b = outlined.px_bounds();
        outlined.draw(|gx, gy, cov| {
            let (px, py) = (
                b.min.x as i64 + i64::from(gx),
                b.min.y as i64 + i64::from(gy),
            );
            if px >= 0 && py >= 0 && (px as u32) < img.width() && (py as u32) < img.height() {
                let p = img.get_pixel_mut(px as u32, py as u32);
                for (c, &t) in p.0.iter_mut().zip(&rgb) {
                    *c = (f32::from(*c) * (1.0 - cov) + f32::from(t) * cov) as u8;
                }
            }
        });
    }
}

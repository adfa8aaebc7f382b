//! Horizontal grouped bar charts of shares (0-1), e.g. households within 5/10/15 minutes of
//! each facility category, one PNG per community.

use crate::text;
use image::{Rgba, RgbaImage};
use std::path::Path;

/// Series colours (colour-blind safe, light to dark).
const COLOURS: [[u8; 3]; 4] = [
    [166, 206, 227],
    [31, 120, 180],
    [8, 48, 107],
    [120, 120, 120],
];

/// Draws one group of bars per row (`NaN` leaves a bar out), a legend for `series` and a
/// title; shares run from 0 to 100 %.
pub fn bar_chart(
    title: &str,
    series: &[String],
    rows: &[(String, Vec<f64>)],
    out: &Path,
) -> Result<(), image::ImageError> {
    let (width, bar_h, gap, left, top, right) = (900u32, 9u32, 8u32, 230u32, 70u32, 60u32);
    let group_h = bar_h * series.len().max(1) as u32 + gap;
    let height = top + group_h * rows.len() as u32 + 50;
    let mut img = RgbaImage::from_pixel(width, height, Rgba([255, 255, 255, 255]));
    let plot_w = width - left - right;
    let font = text::font();
    // Grid lines at every 20 %.
    for k in 0..=5 {
        let x = left + plot_w * k / 5;
        for y in top - 6..height - 40 {
            img.put_pixel(x, y, Rgba([225, 225, 225, 255]));
        }
        if let Some(f) = &font {
            let label = format!("{}%", k * 20);
            let w = text::width(f, 13.0, &label);
            text::draw(
                &mut img,
                f,
                13.0,
                (x as f32 - w / 2.0, (height - 36) as f32),
                &label,
                [90, 90, 90],
            );
        }
    }
    for (r, (label, values)) in rows.iter().enumerate() {
        let y0 = top + group_h * r as u32;
        for (s, v) in values.iter().enumerate() {
            if !v.is_finite() {
                continue;
            }
            let w = (v.clamp(0.0, 1.0) * f64::from(plot_w)).round() as u32;
            let c = COLOURS[s.min(COLOURS.len() - 1)];
            for x in left..left + w {
                for y in y0 + bar_h * s as u32..y0 + bar_h * (s as u32 + 1) - 1 {
                    img.put_pixel(x, y, Rgba([c[0], c[1], c[2], 255]));
                }
            }
        }
        if let Some(f) = &font {
            let w = text::width(f, 14.0, label);
            let y = y0 as f32 + (group_h - gap) as f32 / 2.0 - 9.0;
            text::draw(
                &mut img,
                f,
                14.0,
                (left as f32 - w - 8.0, y),
                label,
                [30, 30, 30],
            );
        }
    }
    if let Some(f) = &font {
        text::draw(&mut img, f, 17.0, (12.0, 10.0), title, [10, 10, 10]);
        let mut x = left as f32;
        for (s, name) in series.iter().enumerate() {
            let c = COLOURS[s.min(COLOURS.len() - 1)];
            for dx in 0..14 {
                for dy in 0..14 {
                    img.put_pixel(x as u32 + dx, 42 + dy, Rgba([c[0], c[1], c[2], 255]));
                }
            }
            text::draw(&mut img, f, 14.0, (x + 20.0, 40.0), name, [30, 30, 30]);
            x += 40.0 + text::width(f, 14.0, name);
        }
    }
    img.save(out)
}

//! Binned kernel density for one tile: incidents counted into bins of 1, 2 or 4 output pixels
//! (at most a quarter of the radius), the quartic kernel summed over bins at bin centres, and
//! bilinear interpolation between bin centres for the pixels. Bins are aligned to the world
//! (one pyramid level per bin size), and every tile reads the bins within the radius around
//! it, so neighbouring tiles sample one continuous field: no seams.

use super::index::{CellRect, RecFilter, RecIndex};
use super::{HeatStyle, MIN_HOUSEHOLDS};
use crate::mvt::TileCoord;
use rstar::primitives::GeomWithData;
use rstar::{AABB, RTree};

pub(crate) type Homes = RTree<GeomWithData<[f64; 2], u32>>;

/// The bin geometry of a tile.
struct Bins {
    /// Output pixels per side.
    size: usize,
    /// Output pixels per bin side (1, 2 or 4).
    cell: usize,
    /// Bins per tile side.
    n: usize,
    /// Kernel radius in bins.
    hc: f64,
    /// Bins read around the tile on each side.
    margin: usize,
    rect: CellRect,
}

/// Kernel radius in output pixels: given in CSS pixels, or in metres on the ground at the
/// tile's centre.
pub(crate) fn radius_px(t: TileCoord, s: &HeatStyle) -> f64 {
    let scale = f64::from(s.scale.clamp(1, 2));
    let px = match s.radius_m {
        Some(m) => {
            let n = f64::from(1u32 << t.z());
            let y = (f64::from(t.y()) + 0.5) / n;
            let lat = (std::f64::consts::PI * (1.0 - 2.0 * y)).sinh().atan();
            let metres_per_px = lat.cos() * 2.0 * std::f64::consts::PI * 6_378_137.0 / (256.0 * n);
            m / metres_per_px
        }
        None => s.radius_px,
    };
    (px * scale).clamp(1.0, 400.0)
}

impl Bins {
    fn of(t: TileCoord, s: &HeatStyle) -> Self {
        let size = 256 * s.scale.clamp(1, 2) as usize;
        let h = radius_px(t, s);
        let cell = if h >= 16.0 {
            4
        } else if h >= 8.0 {
            2
        } else {
            1
        };
        let n = size / cell;
        let hc = h / cell as f64;
        let margin = hc.ceil() as usize + 1;
        let level = u32::from(t.z()) + n.trailing_zeros();
        let (n64, m64) = (n as i64, margin as i64);
        let rect = CellRect {
            level,
            x0: i64::from(t.x()) * n64 - m64,
            y0: i64::from(t.y()) * n64 - m64,
            x1: (i64::from(t.x()) + 1) * n64 + m64,
            y1: (i64::from(t.y()) + 1) * n64 + m64,
        };
        Self {
            size,
            cell,
            n,
            hc,
            margin,
            rect,
        }
    }

    /// Peak-normalised density (one point gives 1 at its own bin centre) and the number of
    /// points within the radius, at the bin centres from -1 to n (inclusive) around the tile.
    fn density(&self, bins: &[f64]) -> (Vec<f64>, Vec<f64>) {
        let w = self.rect.width();
        let side = self.n + 2;
        let mut d = vec![0.0; side * side];
        let mut c = vec![0.0; side * side];
        let r = self.hc.ceil() as i64;
        let h2 = self.hc * self.hc;
        let stencil: Vec<(i64, i64, f64)> = (-r..=r)
            .flat_map(|dy| (-r..=r).map(move |dx| (dx, dy)))
            .filter_map(|(dx, dy)| {
                let q = 1.0 - (dx * dx + dy * dy) as f64 / h2;
                (q > 0.0).then_some((dx, dy, q * q))
            })
            .collect();
        let m = self.margin as i64;
        for (k, &v) in bins.iter().enumerate() {
            if v == 0.0 {
                continue;
            }
            // Bin position relative to the density grid (whose 0 is the tile's bin -1).
            let bx = (k % w) as i64 - m + 1;
            let by = (k / w) as i64 - m + 1;
            if bx + r < 0 || by + r < 0 || bx - r >= side as i64 || by - r >= side as i64 {
                continue;
            }
            for &(dx, dy, q) in &stencil {
                let (x, y) = (bx + dx, by + dy);
                if x >= 0 && y >= 0 && (x as usize) < side && (y as usize) < side {
                    let i = y as usize * side + x as usize;
                    d[i] += v * q;
                    c[i] += v;
                }
            }
        }
        (d, c)
    }

    /// Pixels from bin centres, bilinear for values and for reach counts (so the edge where
    /// counts fall below the minimum follows a smooth contour, not the bins' steps).
    fn upsample(&self, d: &[f64], c: &[f64]) -> (Vec<f64>, Vec<f64>) {
        let side = self.n + 2;
        let mut values = vec![0.0; self.size * self.size];
        let mut counts = vec![0.0; self.size * self.size];
        let cell = self.cell as f64;
        // Per pixel column/row: the lower bin index in the density grid and the weight.
        let axis: Vec<(usize, f64)> = (0..self.size)
            .map(|p| {
                let u = (p as f64 + 0.5) / cell - 0.5 + 1.0; // +1: the grid starts at bin -1
                let i0 = u.floor().clamp(0.0, (side - 2) as f64);
                (i0 as usize, u - i0)
            })
            .collect();
        let lerp = |f: &[f64], i0: usize, j0: usize, fx: f64, fy: f64| {
            let (a, b) = (f[j0 * side + i0], f[j0 * side + i0 + 1]);
            let (e, g) = (f[(j0 + 1) * side + i0], f[(j0 + 1) * side + i0 + 1]);
            (a * (1.0 - fx) + b * fx) * (1.0 - fy) + (e * (1.0 - fx) + g * fx) * fy
        };
        for (py, &(j0, fy)) in axis.iter().enumerate() {
            for (px, &(i0, fx)) in axis.iter().enumerate() {
                values[py * self.size + px] = lerp(d, i0, j0, fx, fy);
                counts[py * self.size + px] = lerp(c, i0, j0, fx, fy);
            }
        }
        (values, counts)
    }
}

/// The finest level whose square cells are at least `m` metres on the ground at the tile's
/// latitude.
pub(crate) fn snap_level(t: TileCoord, m: f64) -> u32 {
    let n = f64::from(1u32 << t.z());
    let y = (f64::from(t.y()) + 0.5) / n;
    let lat = (std::f64::consts::PI * (1.0 - 2.0 * y)).sinh().atan();
    let world_m = lat.cos() * 2.0 * std::f64::consts::PI * 6_378_137.0;
    (world_m / m.max(1.0)).log2().floor().clamp(0.0, 31.0) as u32
}

/// Bins of `rect` with every incident moved to the centre of its cell at `level` (coarser
/// than the bins): what a caller who may not see positions gets, so that no combination of
/// tiles places an incident closer than its cell.
fn snapped(
    recs: &RecIndex,
    rect: &CellRect,
    t: TileCoord,
    f: &RecFilter,
    level: u32,
    bins: &mut [f64],
) {
    let k = rect.level - level;
    let coarse = CellRect {
        level,
        x0: rect.x0 >> k,
        y0: rect.y0 >> k,
        x1: ((rect.x1 - 1) >> k) + 1,
        y1: ((rect.y1 - 1) >> k) + 1,
    };
    let mut counts = vec![0.0; coarse.width() * coarse.height()];
    recs.bin(&coarse, u32::from(t.z()).min(level), f, &mut counts);
    let half = if k > 0 { 1i64 << (k - 1) } else { 0 };
    let w = coarse.width();
    for (i, &n) in counts.iter().enumerate() {
        if n == 0.0 {
            continue;
        }
        let cx = ((coarse.x0 + (i % w) as i64) << k) + half - rect.x0;
        let cy = ((coarse.y0 + (i / w) as i64) << k) + half - rect.y0;
        if cx >= 0 && cy >= 0 && (cx as usize) < rect.width() && (cy as usize) < rect.height() {
            bins[cy as usize * rect.width() + cx as usize] += n;
        }
    }
}

/// Values and reach counts (interpolated, so fractional) of a tile's pixels, row by row.
pub(crate) fn render(
    recs: &RecIndex,
    homes: &Homes,
    t: TileCoord,
    f: &RecFilter,
    s: &HeatStyle,
) -> (Vec<f64>, Vec<f64>) {
    let g = Bins::of(t, s);
    let mut bins = vec![0.0; g.rect.width() * g.rect.height()];
    match s.snap_m.map(|m| snap_level(t, m)) {
        Some(level) if level < g.rect.level => snapped(recs, &g.rect, t, f, level, &mut bins),
        _ => recs.bin(&g.rect, u32::from(t.z()), f, &mut bins),
    }
    let (d, c) = g.density(&bins);
    let (mut values, mut counts) = g.upsample(&d, &c);
    if s.per_100_households {
        // Incidents per 100 households, both smoothed by the same kernel; where fewer than
        // MIN_HOUSEHOLDS households are in reach the rate is not shown.
        let mut hb = vec![0.0; bins.len()];
        let scale = 2f64.powi(g.rect.level as i32);
        let env = AABB::from_corners(
            [g.rect.x0 as f64 / scale, g.rect.y0 as f64 / scale],
            [g.rect.x1 as f64 / scale, g.rect.y1 as f64 / scale],
        );
        let w = g.rect.width();
        for p in homes.locate_in_envelope(&env) {
            let cx = (p.geom()[0] * scale).floor() as i64 - g.rect.x0;
            let cy = (p.geom()[1] * scale).floor() as i64 - g.rect.y0;
            if cx >= 0 && cy >= 0 && (cx as usize) < w && (cy as usize) < g.rect.height() {
                hb[cy as usize * w + cx as usize] += f64::from(p.data);
            }
        }
        let (hd, _) = g.density(&hb);
        let (hh, _) = g.upsample(&hd, &vec![0.0; hd.len()]);
        for ((v, c), h) in values.iter_mut().zip(counts.iter_mut()).zip(hh) {
            if h < MIN_HOUSEHOLDS {
                *v = 0.0;
                *c = 0.0;
            } else {
                *v *= 100.0 / h;
            }
        }
    }
    (values, counts)
}

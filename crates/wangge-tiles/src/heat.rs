//! Incident heat tiles: PNG rasters of kernel density (quartic, radius in screen pixels) for
//! any filter (categories, sources, time window), seamless across tile edges because every
//! tile reads the incidents within the kernel radius around it. Pixels that fewer than
//! `min_count` incidents reach stay transparent, so a lone report does not show. Values are
//! peak-normalised (one incident gives 1 at its own spot), or incidents per 100 households
//! with both smoothed by the same kernel.

use crate::mvt::{TileCoord, world};
use rstar::primitives::GeomWithData;
use rstar::{AABB, RTree};
use wangge_core::Dataset;
use wangge_core::heat::{Quartic, density_counts};

/// Which incidents count.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HeatFilter {
    /// Empty: all.
    pub categories: Vec<String>,
    pub sources: Vec<String>,
    /// Unix seconds, inclusive; `None`: open.
    pub from_unix: Option<i64>,
    pub to_unix: Option<i64>,
}

/// How a tile is drawn.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HeatStyle {
    /// Kernel radius in CSS pixels (doubled with `scale` 2).
    pub radius_px: f64,
    /// The value drawn at full colour.
    pub max: f64,
    /// Fewest incidents that must reach a pixel for it to show.
    pub min_count: u32,
    /// 1 (256 px tiles) or 2 (512 px, for 4K screens).
    pub scale: u32,
    /// Incidents per 100 households instead of counts.
    pub per_100_households: bool,
}

/// Households (peak-normalised, within the kernel) below which a rate is not shown.
pub const MIN_HOUSEHOLDS: f64 = 20.0;

impl Default for HeatStyle {
    fn default() -> Self {
        Self {
            radius_px: 20.0,
            max: 12.0,
            min_count: 3,
            scale: 1,
            per_100_households: false,
        }
    }
}

/// The colour ramp: (value as a share of `max`, RGBA).
pub const RAMP: &[(f64, [u8; 4])] = &[
    (0.0, [255, 255, 178, 0]),
    (0.1, [255, 237, 160, 110]),
    (0.3, [254, 178, 76, 170]),
    (0.6, [240, 59, 32, 210]),
    (1.0, [189, 0, 38, 235]),
];

type Pt = GeomWithData<[f64; 2], usize>;

/// Incidents indexed for heat tiles.
#[derive(Debug)]
pub struct HeatSource {
    tree: RTree<Pt>,
    /// Address points with their households (for rates).
    homes: RTree<GeomWithData<[f64; 2], u32>>,
    time: Vec<i64>,
    category: Vec<String>,
    source: Vec<&'static str>,
}

impl HeatSource {
    pub fn new(data: &Dataset) -> Self {
        let pts: Vec<Pt> = data
            .incidents
            .iter()
            .enumerate()
            .map(|(i, inc)| GeomWithData::new(world(inc.location.x(), inc.location.y()), i))
            .collect();
        let homes = data
            .address_points
            .iter()
            .map(|a| GeomWithData::new(world(a.location.x(), a.location.y()), a.households))
            .collect();
        Self {
            tree: RTree::bulk_load(pts),
            homes: RTree::bulk_load(homes),
            time: data.incidents.iter().map(|i| i.time.unix()).collect(),
            category: data.incidents.iter().map(|i| i.category.clone()).collect(),
            source: data.incidents.iter().map(|i| i.source.as_str()).collect(),
        }
    }

    pub fn len(&self) -> usize {
        self.time.len()
    }

    pub fn is_empty(&self) -> bool {
        self.time.is_empty()
    }

    fn keep(&self, i: usize, f: &HeatFilter) -> bool {
        (f.categories.is_empty() || f.categories.iter().any(|c| *c == self.category[i]))
            && (f.sources.is_empty() || f.sources.iter().any(|s| s == self.source[i]))
            && f.from_unix.is_none_or(|t| self.time[i] >= t)
            && f.to_unix.is_none_or(|t| self.time[i] <= t)
    }

    /// Peak-normalised values and the number of incidents reaching each pixel, row by row
    /// (size = 256 · scale).
    pub fn values(&self, t: TileCoord, f: &HeatFilter, s: &HeatStyle) -> (Vec<f64>, Vec<u32>) {
        let env = Self::envelope(t, s);
        let incidents = self
            .tree
            .locate_in_envelope(&env)
            .filter(|p| self.keep(p.data, f))
            .map(|p| (*p.geom(), 1.0));
        let (mut values, mut counts) = Self::field(t, s, incidents);
        if s.per_100_households {
            // Incidents per 100 households, both smoothed by the same kernel; where fewer
            // than MIN_HOUSEHOLDS households are in reach the rate is not shown.
            let homes = self
                .homes
                .locate_in_envelope(&env)
                .map(|p| (*p.geom(), f64::from(p.data)));
            let (hh, _) = Self::field(t, s, homes);
            for ((v, c), h) in values.iter_mut().zip(counts.iter_mut()).zip(hh) {
                if h < MIN_HOUSEHOLDS {
                    *v = 0.0;
                    *c = 0;
                } else {
                    *v *= 100.0 / h;
                }
            }
        }
        (values, counts)
    }

    /// The world box whose points reach a tile.
    fn envelope(t: TileCoord, s: &HeatStyle) -> AABB<[f64; 2]> {
        let size = 256.0 * f64::from(s.scale.clamp(1, 2));
        let h = s.radius_px.max(1.0) * f64::from(s.scale.clamp(1, 2));
        let n = f64::from(1u32 << t.z());
        let pad = h / (n * size);
        let (x0, y0) = (f64::from(t.x()) / n, f64::from(t.y()) / n);
        AABB::from_corners(
            [x0 - pad, y0 - pad],
            [x0 + 1.0 / n + pad, y0 + 1.0 / n + pad],
        )
    }

    /// Peak-normalised density of weighted world points over a tile's pixels, and how many
    /// points reach each pixel.
    fn field(
        t: TileCoord,
        s: &HeatStyle,
        pts: impl Iterator<Item = ([f64; 2], f64)>,
    ) -> (Vec<f64>, Vec<u32>) {
        let size = 256 * s.scale.clamp(1, 2) as usize;
        let h = s.radius_px.max(1.0) * f64::from(s.scale.clamp(1, 2));
        let n = f64::from(1u32 << t.z());
        let px_per_world = n * size as f64;
        let (x0, y0) = (f64::from(t.x()) / n, f64::from(t.y()) / n);
        let pts: Vec<([f64; 2], f64)> = pts
            .map(|(w, wt)| ([(w[0] - x0) * px_per_world, (w[1] - y0) * px_per_world], wt))
            .collect();
        // Peak-normalised: K(0) = 3 / (π h²).
        let norm = std::f64::consts::PI * h * h / 3.0;
        let (mut values, counts) = density_counts(&pts, Quartic { h }, size, size);
        for v in &mut values {
            *v *= norm;
        }
        (values, counts)
    }

    /// A palette PNG of one tile (fully transparent when nothing shows).
    pub fn png(
        &self,
        t: TileCoord,
        f: &HeatFilter,
        s: &HeatStyle,
    ) -> Result<Vec<u8>, png::EncodingError> {
        let size = 256 * s.scale.clamp(1, 2);
        let (values, counts) = self.values(t, f, s);
        let (palette, alpha) = palette();
        let idx: Vec<u8> = values
            .iter()
            .zip(&counts)
            .map(|(&v, &c)| {
                if c < s.min_count.max(1) || v <= 0.0 {
                    0
                } else {
                    (1.0 + (v / s.max).clamp(0.0, 1.0) * 254.0).round() as u8
                }
            })
            .collect();
        let mut out = Vec::new();
        {
            let mut e = png::Encoder::new(&mut out, size, size);
            e.set_color(png::ColorType::Indexed);
            e.set_depth(png::BitDepth::Eight);
            e.set_palette(palette);
            e.set_trns(alpha);
            e.set_compression(png::Compression::Fast);
            let mut w = e.write_header()?;
            w.write_image_data(&idx)?;
        }
        Ok(out)
    }
}

/// 256 entries: index 0 transparent, 1..=255 along [`RAMP`].
fn palette() -> (Vec<u8>, Vec<u8>) {
    let mut rgb = vec![0u8; 256 * 3];
    let mut a = vec![0u8; 256];
    for k in 1..256usize {
        let v = (k - 1) as f64 / 254.0;
        let c = ramp(v);
        rgb[k * 3..k * 3 + 3].copy_from_slice(&c[..3]);
        a[k] = c[3];
    }
    (rgb, a)
}

/// The ramp's colour at a share of `max`.
pub fn ramp(v: f64) -> [u8; 4] {
    let v = v.clamp(0.0, 1.0);
    for w in RAMP.windows(2) {
        let ((a, ca), (b, cb)) = (w[0], w[1]);
        if v <= b {
            let t = if b > a { (v - a) / (b - a) } else { 0.0 };
            let mut c = [0u8; 4];
            for k in 0..4 {
                c[k] = (f64::from(ca[k]) + t * (f64::from(cb[k]) - f64::from(ca[k]))).round() as u8;
            }
            return c;
        }
    }
    RAMP[RAMP.len() - 1].1
}

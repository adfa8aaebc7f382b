//! Incident heat tiles: PNG rasters of kernel density (quartic, radius in screen pixels or
//! metres) for any filter (categories, sources, statuses, time window), seamless across tile
//! edges because every tile reads the bins within the kernel radius around it. Pixels that
//! fewer than `min_count` incidents reach stay transparent, so a lone report does not show.
//! Values are peak-normalised (one incident gives 1 at its own spot), or incidents per 100
//! households with both smoothed by the same kernel.
//!
//! `index.rs` keeps the incidents (records by z16 tile and time, count pyramids by day),
//! `render.rs` turns a tile's bins into pixels.

pub mod areas;
mod day_runs;
pub mod hex;
pub mod index;
mod rec;
mod records;
mod render;

use crate::mvt::tile::lon_lat;
use crate::mvt::{Clip, LayerBuilder, TileCoord, Value, encode_tile, world};
use areas::{AreaCounts, AreaLevel};
use hex::{HexCounts, resolution_for_zoom};
use index::{Rec, RecFilter, RecIndex, rec_time};
use render::{Homes, render};
use rstar::RTree;
use rstar::primitives::GeomWithData;
use wangge_core::{Dataset, Incident, IncidentSource, IncidentStatus};

/// Which incidents count.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HeatFilter {
    /// Taxonomy codes; empty: all.
    pub categories: Vec<String>,
    /// Empty: all.
    pub sources: Vec<IncidentSource>,
    pub statuses: Vec<IncidentStatus>,
    /// Unix seconds, inclusive; `None`: open.
    pub from_unix: Option<i64>,
    pub to_unix: Option<i64>,
}

/// How a tile is drawn.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HeatStyle {
    /// Kernel radius in CSS pixels (doubled with `scale` 2).
    pub radius_px: f64,
    /// Kernel radius on the ground instead (metres at the tile's centre).
    pub radius_m: Option<f64>,
    /// The value drawn at full colour.
    pub max: f64,
    /// Fewest incidents that must reach a pixel for it to show.
    pub min_count: u32,
    /// 1 (256 px tiles) or 2 (512 px, for 4K screens).
    pub scale: u32,
    /// Incidents per 100 households instead of counts.
    pub per_100_households: bool,
    /// Incidents drawn at the centre of square cells at least this many metres across (for
    /// callers who may not see incident positions); `None`: where they are.
    pub snap_m: Option<f64>,
    /// Colour by ln(1 + value) / ln(1 + max) instead of value / max: a few hot spots do not
    /// wash out the rest.
    pub log: bool,
}

pub use crate::privacy::MIN_HOUSEHOLDS;

impl Default for HeatStyle {
    fn default() -> Self {
        Self {
            radius_px: 20.0,
            radius_m: None,
            max: 12.0,
            min_count: 3,
            scale: 1,
            per_100_households: false,
            snap_m: None,
            log: false,
        }
    }
}

impl HeatStyle {
    /// The share of the colour ramp a value takes (0 to 1).
    pub fn share(&self, v: f64) -> f64 {
        let s = if self.log {
            (1.0 + v.max(0.0)).ln() / (1.0 + self.max).ln()
        } else {
            v / self.max
        };
        s.clamp(0.0, 1.0)
    }

    /// The value at a share of the ramp (the legend's numbers).
    pub fn value_at(&self, share: f64) -> f64 {
        if self.log {
            ((1.0 + self.max).ln() * share).exp() - 1.0
        } else {
            self.max * share
        }
    }
}

/// The smallest cell, in metres, that heat and counts place an incident in for a caller who
/// may not see incident positions.
pub const SNAP_M: f64 = 100.0;

impl HeatFilter {
    /// The filter with its window widened to whole local (UTC+8) days: what a caller who may
    /// not see incident positions gets (no window isolates part of a day).
    pub fn whole_days(&self) -> Self {
        let day = index::DAY_OFFSET_S;
        let start = |u: i64| (u + day).div_euclid(86_400) * 86_400 - day;
        Self {
            from_unix: self.from_unix.map(start),
            to_unix: self.to_unix.map(|u| start(u) + 86_399),
            ..self.clone()
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

/// Incidents and households indexed for heat tiles; changed in place as incidents arrive.
#[derive(Debug)]
pub struct HeatIndex {
    recs: RecIndex,
    /// Category slot → taxonomy code.
    categories: Vec<String>,
    homes: Homes,
    hex: HexCounts,
    areas: AreaCounts,
    /// Bumped by every change (part of cache keys and ETags).
    generation: u64,
}

/// What count structures are asked: category slots (`None`: all) and local days [from, to].
type CountQuery = (Option<Vec<u8>>, (u32, u32));

/// A request the counts cannot answer.
#[derive(Debug, thiserror::Error)]
pub enum HeatError {
    #[error("{0}")]
    Unsupported(String),
}

/// The layer of hex tiles.
pub const HEX_LAYER: &str = "incident_hexes";

impl HeatIndex {
    /// The incidents and address points of a dataset.
    pub fn new(data: &Dataset) -> Self {
        let mut h = Self::with_homes(
            data.address_points
                .iter()
                .map(|a| (a.location.x(), a.location.y(), a.households)),
        );
        h.add(&data.incidents);
        h.recs.shrink();
        h
    }

    /// No incidents yet; households (lon, lat, households) for rates.
    pub fn with_homes(homes: impl Iterator<Item = (f64, f64, u32)>) -> Self {
        let homes: Vec<(f64, f64, u32)> = homes.collect();
        Self {
            recs: RecIndex::new(),
            categories: Vec::new(),
            hex: HexCounts::new(homes.iter().copied()),
            homes: RTree::bulk_load(
                homes
                    .into_iter()
                    .map(|(lon, lat, n)| GeomWithData::new(world(lon, lat), n))
                    .collect(),
            ),
            areas: AreaCounts::default(),
            generation: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.recs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.recs.is_empty()
    }

    /// Changes so far (cache keys).
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Bytes the index holds (records, pyramids, hex and area counts; an estimate).
    pub fn heap_bytes(&self) -> usize {
        self.recs.heap_bytes() + self.hex.heap_bytes() + self.areas.heap_bytes()
    }

    /// Bytes held by part (an estimate), for the heat bench's table.
    pub fn heap_parts(&self) -> Vec<(&'static str, usize)> {
        let mut v = self.recs.heap_parts().to_vec();
        v.push(("hex counts", self.hex.heap_bytes()));
        v.push(("area counts", self.areas.heap_bytes()));
        v
    }

    /// Releases spare capacity (after a bulk load).
    pub fn shrink(&mut self) {
        self.recs.shrink();
        self.hex.shrink();
    }

    fn slot(&mut self, code: &str) -> u8 {
        match self.categories.iter().position(|c| c == code) {
            Some(i) => i.min(254) as u8,
            None => {
                self.categories.push(code.to_string());
                (self.categories.len() - 1).min(254) as u8
            }
        }
    }

    fn rec(&mut self, i: &Incident) -> Rec {
        let cat = self.slot(&i.category);
        Rec::new(
            world(i.location.x(), i.location.y()),
            i.time.unix(),
            cat,
            i.source as u8,
            i.status as u8,
        )
    }

    /// Adds incidents (one batch: pyramids are merged once per cell).
    pub fn add(&mut self, incidents: &[Incident]) {
        let mut recs: Vec<Rec> = incidents.iter().map(|i| self.rec(i)).collect();
        self.areas.insert(
            incidents
                .iter()
                .zip(&recs)
                .map(|(i, r)| (i.community.as_deref(), i.grid.as_deref(), r.cat, r.day())),
        );
        self.add_hex(&recs);
        self.recs.insert(&mut recs);
        self.generation += 1;
    }

    fn add_hex(&mut self, recs: &[Rec]) {
        let items: Vec<(f64, f64, u8, u32)> = recs
            .iter()
            .map(|r| {
                let scale = 4_294_967_296.0;
                let ll = lon_lat([
                    (f64::from(r.x) + 0.5) / scale,
                    (f64::from(r.y) + 0.5) / scale,
                ]);
                (ll[0], ll[1], r.cat, r.day())
            })
            .collect();
        self.hex.insert(&items);
    }

    /// Adds records made elsewhere (benchmarks: synthetic histories without `Incident`s).
    /// Categories are slots of [`HeatIndex::category_slots`].
    pub fn add_records(&mut self, recs: &mut [Rec]) {
        self.add_hex(recs);
        self.recs.insert(recs);
        self.generation += 1;
    }

    /// The category slots and whole local days a filter asks for, when counts can answer it
    /// (categories and whole-day windows; sources and statuses need the heat tiles).
    fn whole_days(&self, f: &HeatFilter) -> Result<Option<CountQuery>, HeatError> {
        if !f.sources.is_empty() || !f.statuses.is_empty() {
            return Err(HeatError::Unsupported(
                "counts filter by category and whole days; source and status filters are for heat tiles".into(),
            ));
        }
        let Some(rf) = self.rec_filter(f) else {
            return Ok(None);
        };
        let days = rf.days().ok_or_else(|| {
            HeatError::Unsupported(
                "counts are kept per local day: give from/to as dates, or days=N".into(),
            )
        })?;
        Ok(Some((rf.cats, days)))
    }

    /// One H3 hex tile (layer `incident_hexes`): the cells of the zoom's resolution (at most
    /// `finest`) with
    /// their incident count, households and incidents per 100 households; cells with fewer
    /// than `min_count` incidents are left out (no single report shows).
    pub fn hex_tile(
        &self,
        t: TileCoord,
        f: &HeatFilter,
        min_count: u32,
        finest: u8,
    ) -> Result<Vec<u8>, HeatError> {
        let Some((cats, days)) = self.whole_days(f)? else {
            return Ok(Vec::new());
        };
        let res = resolution_for_zoom(t.z()).min(finest);
        let wb = t.world_bounds(crate::tiling::EXTENT, crate::tiling::BUFFER);
        let sw = lon_lat([wb[0], wb[3]]);
        let ne = lon_lat([wb[2], wb[1]]);
        let cells = self
            .hex
            .cells(res, [sw[0], sw[1], ne[0], ne[1]], cats.as_deref(), days);
        let clip = Clip {
            extent: crate::tiling::EXTENT,
            buffer: crate::tiling::BUFFER,
            tolerance_px: 0.5,
        };
        let tr = t.transform(crate::tiling::EXTENT);
        let mut b = LayerBuilder::new(HEX_LAYER, crate::tiling::EXTENT);
        for c in cells.iter().filter(|c| c.count >= min_count.max(1)) {
            let mut ring: Vec<[f64; 2]> = c
                .cell
                .boundary()
                .iter()
                .map(|ll| world(ll.lng(), ll.lat()))
                .collect();
            if let Some(first) = ring.first().copied() {
                ring.push(first);
            }
            let Some(g) = clip.polygons(&tr, &[vec![ring]]) else {
                continue;
            };
            let mut props: Vec<(&str, Value)> = vec![
                ("h3", c.cell.to_string().into()),
                ("resolution", Value::from(f64::from(res))),
                ("count", Value::from(f64::from(c.count))),
                ("households", Value::from(c.households.round())),
            ];
            if c.households >= MIN_HOUSEHOLDS {
                props.push((
                    "per_100_households",
                    Value::from(
                        (f64::from(c.count) * 100.0 / c.households * 100.0).round() / 100.0,
                    ),
                ));
            }
            b.add(Some(u64::from(c.cell)), &g, &props);
        }
        Ok(encode_tile(&[b]))
    }

    /// Incidents of one community or grid (its code) that match a filter.
    pub fn area_count(
        &self,
        level: AreaLevel,
        code: &str,
        f: &HeatFilter,
    ) -> Result<u32, HeatError> {
        Ok(match self.whole_days(f)? {
            Some((cats, days)) => self.areas.count(level, code, cats.as_deref(), days),
            None => 0,
        })
    }

    /// Fixes the category slots (codes in slot order) before [`HeatIndex::add_records`].
    pub fn category_slots(&mut self, codes: &[&str]) {
        for c in codes {
            self.slot(c);
        }
    }

    /// Records a status change of an incident as it was before (`before.status`).
    pub fn set_status(&mut self, before: &Incident, to: IncidentStatus) -> bool {
        let r = self.rec(before);
        let done = self.recs.set_status(&r, to as u8);
        self.generation += u64::from(done);
        done
    }

    /// The index's filter; `None` when it matches nothing (a category never seen).
    fn rec_filter(&self, f: &HeatFilter) -> Option<RecFilter> {
        let cats = if f.categories.is_empty() {
            None
        } else {
            let mut slots: Vec<u8> = f
                .categories
                .iter()
                .filter_map(|c| self.categories.iter().position(|k| k == c))
                .map(|i| i.min(254) as u8)
                .collect();
            // A category named twice (code and alias) counts once.
            slots.sort_unstable();
            slots.dedup();
            if slots.is_empty() {
                return None;
            }
            Some(slots)
        };
        let srcs = (!f.sources.is_empty()).then(|| f.sources.iter().map(|s| *s as u8).collect());
        let statuses =
            (!f.statuses.is_empty()).then(|| f.statuses.iter().map(|s| *s as u8).collect());
        if f.to_unix.is_some_and(|t| t < 946_684_800)
            || matches!((f.from_unix, f.to_unix), (Some(a), Some(b)) if a > b)
        {
            return None;
        }
        Some(RecFilter {
            cats,
            srcs,
            statuses,
            from_t: f.from_unix.map(rec_time),
            to_t: f.to_unix.map(rec_time),
        })
    }

    /// Peak-normalised values (or rates) and the number of incidents reaching each pixel, row
    /// by row (size = 256 · scale).
    pub fn values(&self, t: TileCoord, f: &HeatFilter, s: &HeatStyle) -> (Vec<f64>, Vec<u32>) {
        let (v, c) = self.values_f(t, f, s);
        (v, c.into_iter().map(|c| c.round() as u32).collect())
    }

    /// Like [`HeatIndex::values`], with the reach counts as interpolated (fractional).
    fn values_f(&self, t: TileCoord, f: &HeatFilter, s: &HeatStyle) -> (Vec<f64>, Vec<f64>) {
        match self.rec_filter(f) {
            Some(rf) => render(&self.recs, &self.homes, t, &rf, s),
            None => {
                let n = (256 * s.scale.clamp(1, 2) as usize).pow(2);
                (vec![0.0; n], vec![0.0; n])
            }
        }
    }

    /// A colour scale that adapts to the data: the 99th percentile of the values of pixels
    /// that show (at least `min_count` incidents in reach), over the tiles that cover `bounds`
    /// (lon/lat) at the deepest zoom that needs at most 64 of them (z11 to z15). With the
    /// radius on the ground (`radius_m`) values do not depend on the zoom, so one maximum
    /// serves every zoom. At least 1 (one incident's peak).
    pub fn peak(&self, bounds: [f64; 4], f: &HeatFilter, s: &HeatStyle) -> f64 {
        let (a, b) = (
            crate::mvt::tile::world(bounds[0], bounds[3]),
            crate::mvt::tile::world(bounds[2], bounds[1]),
        );
        let world = [a[0], a[1], b[0], b[1]];
        let z = (11u8..=15)
            .rev()
            .find(|&z| TileCoord::covering(z, world).count() <= 64)
            .unwrap_or(11);
        let style = HeatStyle { scale: 1, ..*s };
        let min = f64::from(s.min_count.max(1));
        let mut shown: Vec<f64> = Vec::new();
        for t in TileCoord::covering(z, world) {
            let (v, c) = self.values_f(t, f, &style);
            shown.extend(
                v.iter()
                    .zip(&c)
                    .filter(|(v, c)| **c >= min && **v > 0.0)
                    .map(|(v, _)| *v),
            );
        }
        if shown.is_empty() {
            return 1.0;
        }
        let k = ((shown.len() - 1) as f64 * 0.99).round() as usize;
        let (_, p, _) = shown.select_nth_unstable_by(k, f64::total_cmp);
        p.max(1.0)
    }

    /// A palette PNG of one tile (fully transparent when nothing shows).
    pub fn png(
        &self,
        t: TileCoord,
        f: &HeatFilter,
        s: &HeatStyle,
    ) -> Result<Vec<u8>, png::EncodingError> {
        let size = 256 * s.scale.clamp(1, 2);
        let (values, counts) = self.values_f(t, f, s);
        let min = f64::from(s.min_count.max(1));
        let (palette, alpha) = palette();
        let idx: Vec<u8> = values
            .iter()
            .zip(&counts)
            .map(|(&v, &c)| {
                // Suppressed below `min` incidents in reach, faded in over the last one so
                // the edge is a soft contour, not the bins' steps.
                let fade = (c - (min - 1.0)).clamp(0.0, 1.0);
                if fade <= 0.0 || v <= 0.0 {
                    0
                } else {
                    (1.0 + s.share(fade * v) * 254.0).round() as u8
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

/// A heat index of a workspace's households and its incidents up to the largest fid at the
/// time of reading, which is returned too (later ones are added by `incidents_after`).
pub fn heat_from_store(store: &dyn wangge_io::Store) -> wangge_io::Result<(HeatIndex, i64)> {
    let seen = store.max_incident_fid()?;
    let homes = store.household_points()?;
    let mut heat = HeatIndex::with_homes(homes.into_iter());
    let mut after = 0;
    loop {
        let batch = store.incidents_after(after, 200_000)?;
        let Some(&(last, _)) = batch.last() else {
            break;
        };
        let keep: Vec<Incident> = batch
            .into_iter()
            .filter(|(fid, _)| *fid <= seen)
            .map(|(_, i)| i)
            .collect();
        heat.add(&keep);
        if last >= seen {
            break;
        }
        after = last;
    }
    heat.shrink();
    Ok((heat, seen))
}

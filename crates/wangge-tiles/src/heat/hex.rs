//! Incident counts on H3 hexagons (h3o): each incident's resolution-10 cell is computed once
//! at ingest and its parents at resolutions 5..9 follow; per cell and category (and all
//! categories) the cumulative count by local day, as in the heat pyramids. A hex tile lists
//! the cells of the zoom's resolution around the tile with their count in the window, their
//! households and the rate per 100 households.

use super::day_runs::DayRuns;
use h3o::{CellIndex, LatLng, Resolution};
use std::collections::HashMap;

/// Finest and coarsest resolutions kept.
pub const RES_MIN: u8 = 5;
pub const RES_MAX: u8 = 10;
/// Category slot for all categories.
const ALL: u8 = 255;

/// The resolution shown at a zoom: hexagons of about 30-80 screen pixels.
pub fn resolution_for_zoom(z: u8) -> u8 {
    (z / 2 + 2).clamp(RES_MIN, RES_MAX)
}

/// (cell, category slot) → (day, cumulative count), at one resolution.
type Runs = DayRuns<(u64, u8)>;

/// Counts per cell, category and day at each resolution, and households per cell.
#[derive(Debug, Default)]
pub struct HexCounts {
    /// Per resolution RES_MIN..=RES_MAX: (cell, category slot) → (day, cumulative count).
    counts: Vec<Runs>,
    households: Vec<HashMap<u64, f64>>,
}

/// A cell of a hex tile.
#[derive(Debug, Clone, PartialEq)]
pub struct HexCell {
    pub cell: CellIndex,
    pub count: u32,
    pub households: f64,
}

impl HexCounts {
    pub fn new(homes: impl Iterator<Item = (f64, f64, u32)>) -> Self {
        let levels = usize::from(RES_MAX - RES_MIN + 1);
        let mut households: Vec<HashMap<u64, f64>> = vec![HashMap::new(); levels];
        for (lon, lat, n) in homes {
            let Some(c) = cell10(lon, lat) else { continue };
            for (k, res) in (RES_MIN..=RES_MAX).enumerate() {
                if let Some(p) = parent(c, res) {
                    *households[k].entry(p).or_default() += f64::from(n);
                }
            }
        }
        Self {
            counts: (0..levels).map(|_| DayRuns::new()).collect(),
            households,
        }
    }

    /// Bytes held (an estimate: runs, map slots).
    pub fn heap_bytes(&self) -> usize {
        let runs: usize = self.counts.iter().map(DayRuns::heap_bytes).sum();
        let homes: usize = self.households.iter().map(|m| m.capacity() * 24).sum();
        runs + homes
    }

    /// Packs the counts of a bulk load.
    pub fn shrink(&mut self) {
        for m in &mut self.counts {
            m.freeze();
        }
    }

    /// Adds incidents as (lon, lat, category slot, local day).
    pub fn insert(&mut self, items: &[(f64, f64, u8, u32)]) {
        let cells: Vec<Option<CellIndex>> = items
            .iter()
            .map(|&(lon, lat, _, _)| cell10(lon, lat))
            .collect();
        let mut keys: Vec<((u64, u8), u32)> = Vec::with_capacity(items.len() * 2);
        for (k, res) in (RES_MIN..=RES_MAX).enumerate() {
            keys.clear();
            for (c, &(_, _, cat, day)) in cells.iter().zip(items) {
                if let Some(p) = c.and_then(|c| parent(c, res)) {
                    keys.push(((p, ALL), day));
                    keys.push(((p, cat), day));
                }
            }
            keys.sort_unstable();
            self.counts[k].add_sorted(&keys);
        }
    }

    /// The cells of resolution `res` whose centres lie in a lon/lat box, with their count in
    /// the local days [from, to] for the category slots (`None`: all), households and rate.
    pub fn cells(
        &self,
        res: u8,
        bbox: [f64; 4],
        cats: Option<&[u8]>,
        (from, to): (u32, u32),
    ) -> Vec<HexCell> {
        let Some(r) = Resolution::try_from(res)
            .ok()
            .filter(|_| (RES_MIN..=RES_MAX).contains(&res))
        else {
            return Vec::new();
        };
        let k = usize::from(res - RES_MIN);
        let (lon, lat) = ((bbox[0] + bbox[2]) / 2.0, (bbox[1] + bbox[3]) / 2.0);
        let Some(centre) = LatLng::new(lat, lon).ok().map(|ll| ll.to_cell(r)) else {
            return Vec::new();
        };
        // Rings enough to reach the box's corners (centres are √3 edges apart).
        let half_diag_m = {
            let dx = (bbox[2] - bbox[0]) * 111_320.0 * lat.to_radians().cos();
            let dy = (bbox[3] - bbox[1]) * 110_540.0;
            0.5 * (dx * dx + dy * dy).sqrt()
        };
        let rings = (half_diag_m / (3f64.sqrt() * r.edge_length_m())).ceil() as u32 + 1;
        if rings > 400 {
            return Vec::new(); // a box far larger than the cells: not a hex zoom
        }
        let disk: Vec<CellIndex> = centre.grid_disk(rings);
        let mut out = Vec::new();
        for cell in disk {
            let ll = LatLng::from(cell);
            if ll.lng() < bbox[0] || ll.lng() > bbox[2] || ll.lat() < bbox[1] || ll.lat() > bbox[3]
            {
                continue;
            }
            let id = u64::from(cell);
            let count: u32 = match cats {
                None => self.counts[k].window((id, ALL), from, to),
                Some(cs) => cs
                    .iter()
                    .map(|c| self.counts[k].window((id, *c), from, to))
                    .sum(),
            };
            let households = self.households[k].get(&id).copied().unwrap_or(0.0);
            if count > 0 || households > 0.0 {
                out.push(HexCell {
                    cell,
                    count,
                    households,
                });
            }
        }
        out
    }
}

fn cell10(lon: f64, lat: f64) -> Option<CellIndex> {
    LatLng::new(lat, lon)
        .ok()
        .map(|ll| ll.to_cell(Resolution::Ten))
}

fn parent(c: CellIndex, res: u8) -> Option<u64> {
    Resolution::try_from(res)
        .ok()
        .and_then(|r| c.parent(r))
        .map(u64::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coarser_cells_hold_the_sum_of_their_children() {
        let homes = [(121.55, 25.05, 40u32), (121.551, 25.0505, 60)];
        let mut h = HexCounts::new(homes.into_iter());
        let items: Vec<(f64, f64, u8, u32)> = (0..300)
            .map(|i| {
                let d = f64::from(i % 30) * 1e-4;
                (
                    121.54 + d,
                    25.04 + d * 0.7,
                    (i % 3) as u8,
                    19_000 + (i % 10) as u32,
                )
            })
            .collect();
        h.insert(&items);
        let bbox = [121.50, 25.00, 121.60, 25.10];
        for res in RES_MIN..=RES_MAX {
            let all = h.cells(res, bbox, None, (0, u32::MAX));
            let total: u32 = all.iter().map(|c| c.count).sum();
            assert_eq!(total, 300, "res {res}");
            let hh: f64 = all.iter().map(|c| c.households).sum();
            assert_eq!(hh, 100.0, "res {res}");
            let one_cat: u32 = h
                .cells(res, bbox, Some(&[1]), (0, u32::MAX))
                .iter()
                .map(|c| c.count)
                .sum();
            assert_eq!(one_cat, 100);
            let window: u32 = h
                .cells(res, bbox, None, (19_002, 19_004))
                .iter()
                .map(|c| c.count)
                .sum();
            assert_eq!(window, 90);
        }
        assert_eq!(resolution_for_zoom(12), 8);
        assert_eq!(resolution_for_zoom(16), 10);
    }
}

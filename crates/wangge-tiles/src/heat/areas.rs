//! Incident counts per grid and per community (assigned on ingest), by category and local
//! day, for count tiles over the grid and community polygons.

use super::index::{merge_days, window_count};
use std::collections::HashMap;

/// Category slot for all categories.
const ALL: u8 = 255;

/// Which areas.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AreaLevel {
    Community,
    Grid,
}

#[derive(Debug, Default)]
pub struct AreaCounts {
    slots: HashMap<(AreaLevel, String), u32>,
    /// (area slot, category slot) → (day, cumulative count).
    counts: HashMap<(u32, u8), Vec<(u32, u32)>>,
}

impl AreaCounts {
    fn slot(&mut self, level: AreaLevel, code: &str) -> u32 {
        let n = self.slots.len() as u32;
        *self.slots.entry((level, code.to_string())).or_insert(n)
    }

    /// Adds incidents as (community, grid, category slot, local day).
    pub fn insert<'a>(
        &mut self,
        items: impl Iterator<Item = (Option<&'a str>, Option<&'a str>, u8, u32)>,
    ) {
        let mut keys: Vec<(u32, u8, u32)> = Vec::new();
        for (community, grid, cat, day) in items {
            for (level, code) in [(AreaLevel::Community, community), (AreaLevel::Grid, grid)] {
                if let Some(code) = code {
                    let s = self.slot(level, code);
                    keys.push((s, ALL, day));
                    keys.push((s, cat, day));
                }
            }
        }
        keys.sort_unstable();
        for run in keys.chunk_by(|a, b| (a.0, a.1) == (b.0, b.1)) {
            let add: Vec<(u32, u32)> = run
                .chunk_by(|a, b| a.2 == b.2)
                .map(|same| (same[0].2, same.len() as u32))
                .collect();
            merge_days(self.counts.entry((run[0].0, run[0].1)).or_default(), &add);
        }
    }

    /// Bytes held (an estimate).
    pub fn heap_bytes(&self) -> usize {
        self.counts
            .values()
            .map(|v| v.capacity() * 8 + 48)
            .sum::<usize>()
            + self.slots.len() * 64
    }

    /// The count of one area in the local days [from, to] for the category slots (`None`: all).
    pub fn count(
        &self,
        level: AreaLevel,
        code: &str,
        cats: Option<&[u8]>,
        (from, to): (u32, u32),
    ) -> u32 {
        let Some(&s) = self.slots.get(&(level, code.to_string())) else {
            return 0;
        };
        let window = |run: &Vec<(u32, u32)>| window_count(run, from, to);
        match cats {
            None => self.counts.get(&(s, ALL)).map_or(0, window),
            Some(cs) => cs
                .iter()
                .filter_map(|c| self.counts.get(&(s, *c)))
                .map(window)
                .sum(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_follow_areas_categories_and_days() {
        let mut a = AreaCounts::default();
        a.insert(
            [
                (Some("C1"), Some("C1-01"), 0, 10),
                (Some("C1"), Some("C1-02"), 1, 11),
                (Some("C1"), None, 1, 12),
                (None, None, 0, 12),
            ]
            .into_iter(),
        );
        let all = (0, u32::MAX);
        assert_eq!(a.count(AreaLevel::Community, "C1", None, all), 3);
        assert_eq!(a.count(AreaLevel::Community, "C1", Some(&[1]), all), 2);
        assert_eq!(a.count(AreaLevel::Community, "C1", None, (11, 11)), 1);
        assert_eq!(a.count(AreaLevel::Grid, "C1-01", None, all), 1);
        assert_eq!(a.count(AreaLevel::Grid, "C1", None, all), 0);
    }
}

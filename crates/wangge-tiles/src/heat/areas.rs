//! Incident counts per grid and per community (assigned on ingest), by category and local
//! day, for count tiles over the grid and community polygons.

use super::day_runs::DayRuns;
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
    counts: DayRuns<(u32, u8)>,
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
        let mut keys: Vec<((u32, u8), u32)> = Vec::new();
        for (community, grid, cat, day) in items {
            for (level, code) in [(AreaLevel::Community, community), (AreaLevel::Grid, grid)] {
                if let Some(code) = code {
                    let s = self.slot(level, code);
                    keys.push(((s, ALL), day));
                    keys.push(((s, cat), day));
                }
            }
        }
        keys.sort_unstable();
        self.counts.add_sorted(&keys);
    }

    /// Bytes held (an estimate).
    pub fn heap_bytes(&self) -> usize {
        self.counts.heap_bytes() + self.slots.len() * 64
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
        match cats {
            None => self.counts.window((s, ALL), from, to),
            Some(cs) => cs
                .iter()
                .map(|c| self.counts.window((s, *c), from, to))
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

//! Households of address points in areas: each point's households, split where a point lies
//! in several areas (an entrance whose floors a plan split across grids). Every figure that
//! counts households per area (coverage per grid and community, the planner's grid totals)
//! counts them through one of these, so the CLI, the API and the viewer agree.

/// Per address point, the (area, households) it contributes; stored flat.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AreaShares {
    /// Area names (grid codes, community keys, ...), indexed by the shares.
    pub areas: Vec<String>,
    start: Vec<u32>,
    items: Vec<(u32, u32)>,
}

impl AreaShares {
    /// Shares from one list per point of (area index, households).
    pub fn new(areas: Vec<String>, per_point: impl IntoIterator<Item = Vec<(usize, u32)>>) -> Self {
        let mut start = vec![0u32];
        let mut items = Vec::new();
        for shares in per_point {
            items.extend(shares.into_iter().map(|(a, h)| (a as u32, h)));
            start.push(items.len() as u32);
        }
        Self {
            areas,
            start,
            items,
        }
    }

    /// Each point wholly in its one area (or in none).
    pub fn single(areas: Vec<String>, area_of: &[Option<usize>], households: &[u32]) -> Self {
        Self::new(
            areas,
            area_of
                .iter()
                .zip(households)
                .map(|(a, &h)| a.map(|a| vec![(a, h)]).unwrap_or_default()),
        )
    }

    /// `points` address points in no area (no plan yet).
    pub fn default_with_points(points: usize) -> Self {
        Self::new(Vec::new(), (0..points).map(|_| Vec::new()))
    }

    /// Points covered.
    pub fn points(&self) -> usize {
        self.start.len() - 1
    }

    /// The (area, households) of point `p`.
    pub fn of(&self, p: usize) -> impl Iterator<Item = (usize, u64)> + '_ {
        let (a, b) = (self.start[p] as usize, self.start[p + 1] as usize);
        self.items[a..b]
            .iter()
            .map(|&(area, h)| (area as usize, u64::from(h)))
    }

    /// Households per area.
    pub fn households(&self) -> Vec<u64> {
        let mut out = vec![0u64; self.areas.len()];
        for &(a, h) in &self.items {
            out[a as usize] += u64::from(h);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_split_entrance_counts_in_each_of_its_areas() {
        let s = AreaShares::new(
            vec!["G1".into(), "G2".into()],
            [vec![(0, 120)], vec![(0, 60), (1, 180)], vec![]],
        );
        assert_eq!(s.points(), 3);
        assert_eq!(s.households(), [180, 180]);
        assert_eq!(s.of(1).collect::<Vec<_>>(), [(0, 60), (1, 180)]);
        assert_eq!(s.of(2).count(), 0);
        let one = AreaShares::single(vec!["C".into()], &[Some(0), None], &[5, 7]);
        assert_eq!(one.households(), [5]);
    }
}

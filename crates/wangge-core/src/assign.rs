//! Which community and grid a point lies in, through R-trees of their polygons: incidents get
//! both on ingest.

use crate::index::PolygonIndex;
use crate::{Incident, LocalFrame};
use geo::BoundingRect;
use geo_types::{MultiPolygon, Point};

/// Community and grid polygons indexed for point lookups.
#[derive(Debug, Clone)]
pub struct Assigner {
    communities: PolygonIndex,
    community_codes: Vec<String>,
    grids: PolygonIndex,
    /// (grid code, community code).
    grid_codes: Vec<(String, String)>,
}

impl Assigner {
    /// `communities`: (code, polygon); `grids`: (grid code, community code, polygon), all lon/lat.
    pub fn new(
        communities: Vec<(String, MultiPolygon<f64>)>,
        grids: Vec<(String, String, MultiPolygon<f64>)>,
    ) -> Self {
        let frame = communities
            .iter()
            .map(|c| &c.1)
            .chain(grids.iter().map(|g| &g.2))
            .find_map(|g| g.bounding_rect())
            .map_or_else(|| LocalFrame::new(0.0, 0.0), LocalFrame::around_rect);
        Self {
            communities: PolygonIndex::new(frame, communities.iter().map(|c| &c.1)),
            community_codes: communities.into_iter().map(|c| c.0).collect(),
            grids: PolygonIndex::new(frame, grids.iter().map(|g| &g.2)),
            grid_codes: grids.into_iter().map(|g| (g.0, g.1)).collect(),
        }
    }

    /// (community, grid) of a point; the grid's community wins where both are known.
    pub fn locate(&self, p: Point<f64>) -> (Option<String>, Option<String>) {
        if let Some(g) = self.grids.first_containing(p) {
            let (grid, community) = &self.grid_codes[g];
            return (Some(community.clone()), Some(grid.clone()));
        }
        let c = self
            .communities
            .first_containing(p)
            .map(|i| self.community_codes[i].clone());
        (c, None)
    }

    /// Sets an incident's community and grid from its location.
    pub fn assign(&self, i: &mut Incident) {
        (i.community, i.grid) = self.locate(i.location);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{IncidentSource, Timestamp};
    use geo_types::polygon;

    fn square(x0: f64, y0: f64, d: f64) -> MultiPolygon<f64> {
        MultiPolygon(vec![polygon![
            (x: x0, y: y0), (x: x0 + d, y: y0), (x: x0 + d, y: y0 + d), (x: x0, y: y0 + d)
        ]])
    }

    #[test]
    fn points_get_their_community_and_grid() {
        let a = Assigner::new(
            vec![
                ("C1".into(), square(118.0, 32.0, 0.01)),
                ("C2".into(), square(118.01, 32.0, 0.01)),
            ],
            vec![("C1-01".into(), "C1".into(), square(118.0, 32.0, 0.005))],
        );
        let mut i = Incident::reported(
            "x".into(),
            Timestamp::from_unix(0),
            "noise".into(),
            IncidentSource::Hotline,
            Point::new(118.002, 32.002),
        );
        a.assign(&mut i);
        assert_eq!(
            (i.community.as_deref(), i.grid.as_deref()),
            (Some("C1"), Some("C1-01"))
        );
        assert_eq!(
            a.locate(Point::new(118.008, 32.008)),
            (Some("C1".into()), None)
        );
        assert_eq!(
            a.locate(Point::new(118.015, 32.005)),
            (Some("C2".into()), None)
        );
        assert_eq!(a.locate(Point::new(119.0, 32.0)), (None, None));
    }
}

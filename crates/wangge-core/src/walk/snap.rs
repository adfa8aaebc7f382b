//! Snapping points onto the walking network: the nearest *edge* (not node) through an R-tree
//! of segments; the point reaches the edge at its foot and walks the snap distance.

use super::network::WalkNetwork;
use geo_types::{Coord, Point};
use rstar::RTree;
use rstar::primitives::{GeomWithData, Line};

type IndexedEdge = GeomWithData<Line<[f64; 2]>, usize>;

/// Where a point joins the network.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Snap {
    pub edge: usize,
    /// Position of the foot along the edge, 0 at `a` and 1 at `b`.
    pub t: f64,
    /// Distance from the point to the foot (m), walked.
    pub off_m: f64,
}

impl Snap {
    /// The foot on its edge, lon/lat (where a suggested site is shown).
    pub fn foot_lonlat(&self, net: &WalkNetwork) -> geo_types::Point<f64> {
        let e = net.edges[self.edge];
        let (a, b) = (net.nodes[e.a], net.nodes[e.b]);
        geo_types::Point(net.frame.inverse(geo_types::Coord {
            x: a.x + self.t * (b.x - a.x),
            y: a.y + self.t * (b.y - a.y),
        }))
    }

    /// Starting costs at both ends of the edge: (node, cost) for `a` and for `b`.
    pub fn ends(&self, net: &WalkNetwork) -> [(usize, f64); 2] {
        let e = net.edges[self.edge];
        [
            (e.a, self.off_m + self.t * e.cost_m),
            (e.b, self.off_m + (1.0 - self.t) * e.cost_m),
        ]
    }
}

/// Why a position given as longitude, latitude does not meet the network.
#[derive(Debug, Clone, PartialEq)]
pub enum SnapRefusal {
    /// Not longitude/latitude degrees at all.
    OutOfRange(String),
    /// Off the district, but the swapped pair is on it.
    Swapped(String),
    /// Farther than the snap distance from any walkable way.
    TooFar(String),
}

impl std::fmt::Display for SnapRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::OutOfRange(m) | Self::Swapped(m) | Self::TooFar(m) => f.write_str(m),
        }
    }
}

/// An R-tree over the network's edges.
#[derive(Debug, Clone)]
pub struct Snapper {
    tree: RTree<IndexedEdge>,
}

impl Snapper {
    pub fn new(net: &WalkNetwork) -> Self {
        let items = net
            .edges
            .iter()
            .enumerate()
            .map(|(i, e)| {
                let (a, b) = (net.nodes[e.a], net.nodes[e.b]);
                GeomWithData::new(Line::new([a.x, a.y], [b.x, b.y]), i)
            })
            .collect();
        Self {
            tree: RTree::bulk_load(items),
        }
    }

    /// Snaps a point (lon/lat) onto the nearest edge within `max_m` metres.
    pub fn snap(&self, net: &WalkNetwork, p: Point<f64>, max_m: f64) -> Option<Snap> {
        let c = net.frame.forward(p.0);
        self.snap_local(net, c, max_m)
    }

    /// Snaps a position given as (longitude, latitude) degrees, or says why not: out of range,
    /// farther than `max_m` from the network, or, when the swapped pair lies on the network,
    /// that longitude and latitude look swapped (the CLI's what-if and the API's both say
    /// this).
    pub fn snap_lonlat(
        &self,
        net: &WalkNetwork,
        lon: f64,
        lat: f64,
        max_m: f64,
    ) -> Result<Snap, SnapRefusal> {
        let in_range =
            |x: f64, y: f64| (-180.0..=180.0).contains(&x) && (-90.0..=90.0).contains(&y);
        if in_range(lon, lat)
            && let Some(s) = self.snap(net, Point::new(lon, lat), max_m)
        {
            return Ok(s);
        }
        if in_range(lat, lon) && self.snap(net, Point::new(lat, lon), max_m).is_some() {
            return Err(SnapRefusal::Swapped(format!(
                "{lon},{lat} is not in the district, but {lat},{lon} is: longitude and latitude look swapped (give LON,LAT, longitude first)"
            )));
        }
        if !in_range(lon, lat) {
            return Err(SnapRefusal::OutOfRange(format!(
                "{lon},{lat}: longitude must be in -180..180 and latitude in -90..90"
            )));
        }
        Err(SnapRefusal::TooFar(format!(
            "{lon:.6},{lat:.6} is farther than {max_m} m from any walkable way"
        )))
    }

    /// Snaps a point in local metres.
    pub fn snap_local(&self, net: &WalkNetwork, c: Coord<f64>, max_m: f64) -> Option<Snap> {
        // A non-finite point has no nearest edge (and would upset the R-tree).
        if !(c.x.is_finite() && c.y.is_finite()) {
            return None;
        }
        let item = self.tree.nearest_neighbor(&[c.x, c.y])?;
        let e = net.edges[item.data];
        let (a, b) = (net.nodes[e.a], net.nodes[e.b]);
        let (dx, dy) = (b.x - a.x, b.y - a.y);
        let l2 = dx * dx + dy * dy;
        let t = if l2 > 0.0 {
            (((c.x - a.x) * dx + (c.y - a.y) * dy) / l2).clamp(0.0, 1.0)
        } else {
            0.0
        };
        let foot = Coord {
            x: a.x + t * dx,
            y: a.y + t * dy,
        };
        let off_m = (c.x - foot.x).hypot(c.y - foot.y);
        (off_m <= max_m).then_some(Snap {
            edge: item.data,
            t,
            off_m,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::LocalFrame;

    #[test]
    fn snaps_to_the_nearest_edge_not_node() {
        let frame = LocalFrame::new(0.0, 0.0);
        let net = WalkNetwork {
            frame,
            nodes: vec![
                Coord { x: 0.0, y: 0.0 },
                Coord { x: 100.0, y: 0.0 },
                Coord { x: 0.0, y: 30.0 },
            ],
            edges: vec![
                super::super::WalkEdge {
                    a: 0,
                    b: 1,
                    length_m: 100.0,
                    cost_m: 100.0,
                },
                super::super::WalkEdge {
                    a: 0,
                    b: 2,
                    length_m: 30.0,
                    cost_m: 30.0,
                },
            ],
            adj: vec![vec![(1, 0), (2, 1)], vec![(0, 0)], vec![(0, 1)]],
            streets_used: 2,
            streets_excluded: 0,
            parallel_collapsed: 0,
            islands: vec![],
        };
        let s = Snapper::new(&net);
        // Nearest node is node 2 (distance ~ 46 m) but the nearest edge is the first (12 m).
        let hit = s
            .snap_local(&net, Coord { x: 50.0, y: 12.0 }, 100.0)
            .expect("snap");
        assert_eq!(hit.edge, 0);
        assert!((hit.t - 0.5).abs() < 1e-12 && (hit.off_m - 12.0).abs() < 1e-12);
        assert!(
            s.snap_local(&net, Coord { x: 50.0, y: 12.0 }, 10.0)
                .is_none()
        );
    }
}

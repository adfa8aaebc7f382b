//! R-tree spatial indexes over address points, buildings and communities. Everything is
//! indexed in the metres of one [`LocalFrame`], so distances are true distances.

use crate::{Dataset, LocalFrame};
use geo::{BoundingRect, Intersects};
use geo_types::{Coord, MultiPolygon, Point};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree};

type IndexedPoint = GeomWithData<[f64; 2], usize>;
type IndexedBox = GeomWithData<Rectangle<[f64; 2]>, usize>;

/// Points (address points, facilities) with nearest-neighbour and radius queries.
#[derive(Debug, Clone)]
pub struct PointIndex {
    frame: LocalFrame,
    tree: RTree<IndexedPoint>,
}

impl PointIndex {
    /// Indexes points given in lon/lat; query answers are positions in this sequence.
    pub fn new<'a>(frame: LocalFrame, points: impl IntoIterator<Item = &'a Point<f64>>) -> Self {
        let items = points
            .into_iter()
            .enumerate()
            .map(|(i, p)| {
                let c = frame.forward(p.0);
                GeomWithData::new([c.x, c.y], i)
            })
            .collect();
        Self {
            frame,
            tree: RTree::bulk_load(items),
        }
    }

    /// The nearest point and its distance in metres.
    pub fn nearest(&self, p: Point<f64>) -> Option<(usize, f64)> {
        let c = self.frame.forward(p.0);
        self.tree
            .nearest_neighbor_iter_with_distance_2(&[c.x, c.y])
            .next()
            .map(|(item, d2)| (item.data, d2.sqrt()))
    }

    /// All points within `radius_m` metres, unordered.
    pub fn within(&self, p: Point<f64>, radius_m: f64) -> Vec<usize> {
        let c = self.frame.forward(p.0);
        self.tree
            .locate_within_distance([c.x, c.y], radius_m * radius_m)
            .map(|item| item.data)
            .collect()
    }

    /// Number of indexed points.
    pub fn len(&self) -> usize {
        self.tree.size()
    }

    /// True when nothing is indexed.
    pub fn is_empty(&self) -> bool {
        self.tree.size() == 0
    }
}

/// Polygons (buildings, communities, land use) with point-in-polygon queries: the R-tree
/// over bounding boxes finds candidates, exact tests in local metres decide.
#[derive(Debug, Clone)]
pub struct PolygonIndex {
    frame: LocalFrame,
    tree: RTree<IndexedBox>,
    shapes: Vec<MultiPolygon<f64>>,
}

impl PolygonIndex {
    /// Indexes polygons given in lon/lat; answers are positions in this sequence.
    pub fn new<'a>(
        frame: LocalFrame,
        polygons: impl IntoIterator<Item = &'a MultiPolygon<f64>>,
    ) -> Self {
        let shapes: Vec<MultiPolygon<f64>> =
            polygons.into_iter().map(|g| frame.project(g)).collect();
        let items = shapes
            .iter()
            .enumerate()
            .filter_map(|(i, g)| {
                let r = g.bounding_rect()?;
                let b = Rectangle::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]);
                Some(GeomWithData::new(b, i))
            })
            .collect();
        Self {
            frame,
            tree: RTree::bulk_load(items),
            shapes,
        }
    }

    /// Polygons that contain or touch `p`, in index order.
    pub fn containing(&self, p: Point<f64>) -> Vec<usize> {
        let c = self.frame.forward(p.0);
        let mut hits: Vec<usize> = self
            .tree
            .locate_all_at_point(&[c.x, c.y])
            .map(|item| item.data)
            .filter(|&i| self.shapes[i].intersects(&Coord { x: c.x, y: c.y }))
            .collect();
        hits.sort_unstable();
        hits
    }

    /// The first polygon (lowest index) containing `p`.
    pub fn first_containing(&self, p: Point<f64>) -> Option<usize> {
        self.containing(p).into_iter().next()
    }

    /// Polygons whose bounding boxes intersect the box around `p` of half-size `radius_m`.
    pub fn candidates_near(&self, p: Point<f64>, radius_m: f64) -> Vec<usize> {
        let c = self.frame.forward(p.0);
        let env = AABB::from_corners(
            [c.x - radius_m, c.y - radius_m],
            [c.x + radius_m, c.y + radius_m],
        );
        self.tree
            .locate_in_envelope_intersecting(&env)
            .map(|item| item.data)
            .collect()
    }

    /// Number of indexed polygons.
    pub fn len(&self) -> usize {
        self.shapes.len()
    }

    /// True when nothing is indexed.
    pub fn is_empty(&self) -> bool {
        self.shapes.is_empty()
    }
}

/// The indexes a workspace needs: address points, buildings and communities.
#[derive(Debug, Clone)]
pub struct SpatialIndex {
    pub frame: LocalFrame,
    pub address_points: PointIndex,
    pub buildings: PolygonIndex,
    pub communities: PolygonIndex,
}

impl SpatialIndex {
    /// Indexes a dataset in a frame centred on its communities, buildings or points.
    pub fn new(data: &Dataset) -> Self {
        let frame = frame_for(data);
        Self {
            frame,
            address_points: PointIndex::new(frame, data.address_points.iter().map(|a| &a.location)),
            buildings: PolygonIndex::new(frame, data.buildings.iter().map(|b| &b.geometry)),
            communities: PolygonIndex::new(frame, data.communities.iter().map(|c| &c.geometry)),
        }
    }
}

/// A local frame centred on a dataset's extent.
pub fn frame_for(data: &Dataset) -> LocalFrame {
    let mut min = Coord {
        x: f64::INFINITY,
        y: f64::INFINITY,
    };
    let mut max = Coord {
        x: f64::NEG_INFINITY,
        y: f64::NEG_INFINITY,
    };
    let mut add = |r: geo_types::Rect<f64>| {
        min.x = min.x.min(r.min().x);
        min.y = min.y.min(r.min().y);
        max.x = max.x.max(r.max().x);
        max.y = max.y.max(r.max().y);
    };
    data.communities
        .iter()
        .filter_map(|c| c.geometry.bounding_rect())
        .for_each(&mut add);
    data.buildings
        .iter()
        .filter_map(|b| b.geometry.bounding_rect())
        .for_each(&mut add);
    data.address_points
        .iter()
        .map(|a| a.location.bounding_rect())
        .for_each(&mut add);
    if min.x.is_finite() {
        LocalFrame::new((min.x + max.x) / 2.0, (min.y + max.y) / 2.0)
    } else {
        LocalFrame::new(0.0, 0.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo_types::{Polygon, polygon};

    struct SplitMix(u64);
    impl SplitMix {
        fn next(&mut self) -> f64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            (z ^ (z >> 31)) as f64 / u64::MAX as f64
        }
    }

    #[test]
    fn nearest_matches_brute_force() {
        let mut r = SplitMix(7);
        let frame = LocalFrame::new(118.78, 32.04);
        let pts: Vec<Point<f64>> = (0..2000)
            .map(|_| Point::new(118.7 + r.next() * 0.16, 31.98 + r.next() * 0.12))
            .collect();
        let idx = PointIndex::new(frame, &pts);
        for _ in 0..200 {
            let q = Point::new(118.7 + r.next() * 0.16, 31.98 + r.next() * 0.12);
            let dist = |p: &Point<f64>| {
                let (a, b) = (frame.forward(p.0), frame.forward(q.0));
                (a.x - b.x).hypot(a.y - b.y)
            };
            let brute = pts
                .iter()
                .enumerate()
                .min_by(|a, b| dist(a.1).total_cmp(&dist(b.1)))
                .map(|(i, p)| (i, dist(p)))
                .expect("non-empty");
            let got = idx.nearest(q).expect("non-empty");
            assert_eq!(got.0, brute.0);
            assert!((got.1 - brute.1).abs() < 1e-6);
            let mut within = idx.within(q, 500.0);
            within.sort_unstable();
            let brute_within: Vec<usize> = pts
                .iter()
                .enumerate()
                .filter(|(_, p)| dist(p) <= 500.0)
                .map(|(i, _)| i)
                .collect();
            assert_eq!(within, brute_within);
        }
    }

    #[test]
    fn point_in_polygon_matches_brute_force() {
        let mut r = SplitMix(11);
        let frame = LocalFrame::new(121.5, 25.05);
        let polys: Vec<MultiPolygon<f64>> = (0..300)
            .map(|_| {
                let (x, y) = (121.4 + r.next() * 0.2, 25.0 + r.next() * 0.1);
                let (w, h) = (0.001 + r.next() * 0.01, 0.001 + r.next() * 0.01);
                let p: Polygon<f64> =
                    polygon![(x: x, y: y), (x: x + w, y: y), (x: x + w / 2.0, y: y + h)];
                MultiPolygon(vec![p])
            })
            .collect();
        let idx = PolygonIndex::new(frame, &polys);
        for _ in 0..500 {
            let q = Point::new(121.4 + r.next() * 0.2, 25.0 + r.next() * 0.1);
            let brute: Vec<usize> = polys
                .iter()
                .enumerate()
                .filter(|(_, g)| frame.project(*g).intersects(&frame.forward(q.0)))
                .map(|(i, _)| i)
                .collect();
            assert_eq!(idx.containing(q), brute);
        }
    }
}

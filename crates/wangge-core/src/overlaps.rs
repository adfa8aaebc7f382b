//! Overlapping communities: pairs whose polygons share area, measured in square metres on a
//! local frame around each pair. A community layer must not overlap (an address point in two
//! communities has no single grid): imports list the pairs, and partitioning refuses them.

use crate::{Community, LocalFrame};
use geo::{Area, BooleanOps, BoundingRect};
use geo_types::MultiPolygon;
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree, RTreeObject};

/// Overlaps smaller than this (m²) are digitising noise (real village layers have overlaps of a
/// few hundredths of a square metre along shared borders); address points there are still
/// caught one by one (`partition::inputs` lists points in two communities).
pub const NOISE_M2: f64 = 1.0;

/// Two communities that overlap.
#[derive(Debug, Clone, PartialEq)]
pub struct Overlap {
    /// Positions in the slice given, `a < b`.
    pub a: usize,
    pub b: usize,
    pub area_m2: f64,
    /// The overlap as a share of each one's area.
    pub share_a: f64,
    pub share_b: f64,
}

/// Every pair of `communities` whose shared area is at least `min_m2`, in order of (a, b).
pub fn overlaps(communities: &[&Community], min_m2: f64) -> Vec<Overlap> {
    let boxes: Vec<GeomWithData<Rectangle<[f64; 2]>, usize>> = communities
        .iter()
        .enumerate()
        .filter_map(|(i, c)| {
            let r = c.geometry.bounding_rect()?;
            Some(GeomWithData::new(
                Rectangle::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]),
                i,
            ))
        })
        .collect();
    let tree = RTree::bulk_load(boxes.clone());
    let mut out = Vec::new();
    for item in &boxes {
        let a = item.data;
        let env: AABB<[f64; 2]> = item.geom().envelope();
        let mut near: Vec<usize> = tree
            .locate_in_envelope_intersecting(&env)
            .map(|o| o.data)
            .filter(|&b| b > a)
            .collect();
        near.sort_unstable();
        for b in near {
            let (ga, gb) = (&communities[a].geometry, &communities[b].geometry);
            let frame = match ga.bounding_rect() {
                Some(r) => LocalFrame::around_rect(r),
                None => continue,
            };
            let (la, lb): (MultiPolygon<f64>, MultiPolygon<f64>) =
                (frame.project(ga), frame.project(gb));
            let area_m2 = la.intersection(&lb).unsigned_area();
            if area_m2 >= min_m2 {
                out.push(Overlap {
                    a,
                    b,
                    area_m2,
                    share_a: area_m2 / la.unsigned_area().max(f64::MIN_POSITIVE),
                    share_b: area_m2 / lb.unsigned_area().max(f64::MIN_POSITIVE),
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo_types::{Coord, LineString, Polygon};

    fn square(key: &str, x0: f64, y0: f64, side_deg: f64) -> Community {
        let ring = [(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0), (0.0, 0.0)]
            .iter()
            .map(|&(x, y)| Coord {
                x: x0 + x * side_deg,
                y: y0 + y * side_deg,
            })
            .collect();
        Community {
            key: key.into(),
            name: String::new(),
            street: None,
            kind: "official".into(),
            geometry: MultiPolygon(vec![Polygon::new(LineString(ring), vec![])]),
        }
    }

    #[test]
    fn nested_and_side_by_side() {
        let outer = square("outer", 118.0, 32.0, 0.01);
        let inner = square("inner", 118.002, 32.002, 0.002);
        let beside = square("beside", 118.01, 32.0, 0.01); // shares an edge only
        let list = [&outer, &inner, &beside];
        let o = overlaps(&list, NOISE_M2);
        assert_eq!(o.len(), 1, "{o:?}");
        assert_eq!((o[0].a, o[0].b), (0, 1));
        assert!(
            (o[0].share_b - 1.0).abs() < 1e-6,
            "the inner one lies wholly inside"
        );
        assert!(o[0].share_a < 0.05);
        // About 190 m × 220 m.
        assert!(
            o[0].area_m2 > 30_000.0 && o[0].area_m2 < 50_000.0,
            "{}",
            o[0].area_m2
        );
    }
}

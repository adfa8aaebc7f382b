//! Gap areas: households not within reach, clustered so that a street office sees where they
//! live. Uncovered address points within `link_m` of each other (through an R-tree, in the
//! same community) form one gap; its area is the convex hull of its points buffered by
//! `margin_m`, with the households and points counted.

use crate::LocalFrame;
use geo::{Area, Buffer, ConvexHull};
use geo_types::{Coord, MultiPoint, MultiPolygon, Point};
use rstar::RTree;
use rstar::primitives::GeomWithData;

/// One gap area.
#[derive(Debug, Clone, PartialEq)]
pub struct Gap {
    /// The community (index into the caller's list), `None` outside every community.
    pub community: Option<usize>,
    pub households: u64,
    /// Address points in it (indices into the caller's list).
    pub points: Vec<usize>,
    /// lon/lat.
    pub area: MultiPolygon<f64>,
    pub area_m2: f64,
    /// lon/lat of the households' weighted centre.
    pub centre: Point<f64>,
}

/// Clusters the uncovered points (lon/lat) into gaps, largest first. `community_of[p]` keeps
/// clusters inside one community.
pub fn gaps(
    frame: LocalFrame,
    points: &[Point<f64>],
    households: &[u32],
    uncovered: &[bool],
    community_of: &[Option<usize>],
    link_m: f64,
    margin_m: f64,
) -> Vec<Gap> {
    let idx: Vec<usize> = (0..points.len()).filter(|&p| uncovered[p]).collect();
    let local: Vec<Coord<f64>> = idx.iter().map(|&p| frame.forward(points[p].0)).collect();
    let tree = RTree::bulk_load(
        local
            .iter()
            .enumerate()
            .map(|(k, c)| GeomWithData::new([c.x, c.y], k))
            .collect(),
    );
    // Union-find over links shorter than link_m within a community.
    let mut parent: Vec<usize> = (0..idx.len()).collect();
    fn find(parent: &mut [usize], mut x: usize) -> usize {
        while parent[x] != x {
            parent[x] = parent[parent[x]];
            x = parent[x];
        }
        x
    }
    for (k, c) in local.iter().enumerate() {
        for other in tree.locate_within_distance([c.x, c.y], link_m * link_m) {
            let j = other.data;
            if j > k && community_of[idx[j]] == community_of[idx[k]] {
                let (a, b) = (find(&mut parent, k), find(&mut parent, j));
                if a != b {
                    parent[a.max(b)] = a.min(b);
                }
            }
        }
    }
    let mut groups: std::collections::BTreeMap<usize, Vec<usize>> = Default::default();
    for k in 0..idx.len() {
        let r = find(&mut parent, k);
        groups.entry(r).or_default().push(k);
    }
    let mut out: Vec<Gap> = groups
        .into_values()
        .map(|ks| {
            let hh: u64 = ks.iter().map(|&k| u64::from(households[idx[k]])).sum();
            let w: f64 = ks
                .iter()
                .map(|&k| f64::from(households[idx[k]]).max(1e-9))
                .sum();
            let (cx, cy) = ks.iter().fold((0.0, 0.0), |(x, y), &k| {
                let h = f64::from(households[idx[k]]).max(1e-9);
                (x + local[k].x * h, y + local[k].y * h)
            });
            let hull = MultiPoint(ks.iter().map(|&k| Point(local[k])).collect()).convex_hull();
            // One point, or points in a line: buffer the point or the line instead.
            let area = if hull.unsigned_area() > 1e-6 {
                hull.buffer(margin_m)
            } else if ks.len() == 1 || hull.exterior().0.iter().all(|c| *c == local[ks[0]]) {
                Point(local[ks[0]]).buffer(margin_m)
            } else {
                hull.exterior().buffer(margin_m)
            };
            Gap {
                community: community_of[idx[ks[0]]],
                households: hh,
                points: ks.iter().map(|&k| idx[k]).collect(),
                area_m2: area.unsigned_area(),
                area: frame.unproject(&area),
                centre: Point(frame.inverse(Coord {
                    x: cx / w,
                    y: cy / w,
                })),
            }
        })
        .collect();
    out.sort_by(|a, b| {
        b.households
            .cmp(&a.households)
            .then(a.points.cmp(&b.points))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::Contains;

    #[test]
    fn near_points_of_one_community_form_one_gap() {
        let frame = LocalFrame::new(118.8, 32.05);
        let at = |x: f64, y: f64| Point(frame.inverse(Coord { x, y }));
        let points = vec![
            at(0.0, 0.0),
            at(100.0, 0.0),
            at(200.0, 0.0),
            at(1000.0, 0.0),
            at(100.0, 50.0),
        ];
        let hh = vec![10, 20, 30, 40, 50];
        let uncovered = vec![true, true, true, true, false];
        // The third point is in another community: it does not join the first two.
        let comm = vec![Some(0), Some(0), Some(1), Some(1), Some(0)];
        let g = gaps(frame, &points, &hh, &uncovered, &comm, 150.0, 25.0);
        assert_eq!(g.len(), 3);
        assert_eq!(g[0].households, 40);
        let pair = g.iter().find(|x| x.points.len() == 2).expect("pair");
        assert_eq!(pair.households, 30);
        assert_eq!(pair.community, Some(0));
        // The area holds its points, and not the covered one 50 m off (margin 25 m).
        assert!(pair.area.contains(&points[0]) && pair.area.contains(&points[1]));
        assert!(!pair.area.contains(&points[4]));
        // 100 m x 50 m capsule: about 100*50 + pi*25^2.
        assert!(
            (pair.area_m2 - (5000.0 + std::f64::consts::PI * 625.0)).abs() < 100.0,
            "{}",
            pair.area_m2
        );
    }
}

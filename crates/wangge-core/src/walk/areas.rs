//! Service-area polygons: where a facility category is within walking reach, edge-exact.
//! Every edge is reached from its ends (and from facilities on it) up to the point where the
//! walking budget runs out, so partly reached edges are cut at the threshold. The reached
//! streets, and the connectors from each reached address point to its street, are buffered
//! by the building frontage (`frontage_m`) in one operation; reached stretches stop
//! `frontage_m` before the budget runs out, so the round cap ends at the threshold. The result
//! is valid, holes kept, and nests as the threshold grows.

use super::field::Field;
use super::network::WalkNetwork;
use super::snap::Snap;
use geo::{BooleanOps, Buffer, Contains};
use geo_types::{Coord, LineString, MultiLineString, MultiPolygon, Point, Polygon};

/// Radius of the hole kept around an address point that is not reached (m), at most half-way
/// to the nearest reached one.
const HOLE_M: f64 = 5.0;

/// The service area of a category within `threshold_m` (local metres). `reached` are the
/// address points within the threshold (their snap, their position); `unreached` the other
/// snapped address points, which the area leaves out through small holes where the frontage
/// of a reached street would otherwise cover them.
pub fn service_area(
    net: &WalkNetwork,
    field: &Field,
    threshold_m: f64,
    frontage_m: f64,
    reached: &[(Snap, Coord<f64>)],
    unreached: &[Coord<f64>],
) -> MultiPolygon<f64> {
    let mut lines: Vec<LineString<f64>> = Vec::new();
    let sources: Vec<Snap> = field.sources.iter().flatten().copied().collect();
    for (i, e) in net.edges.iter().enumerate() {
        let (a, b) = (net.nodes[e.a], net.nodes[e.b]);
        let at = |t: f64| Coord {
            x: a.x + t * (b.x - a.x),
            y: a.y + t * (b.y - a.y),
        };
        // Reached stretches: (t where the budget left is `left0`, direction along t).
        let mut starts: Vec<(f64, f64, f64)> = Vec::new();
        if field.dist[e.a].is_finite() {
            starts.push((0.0, threshold_m - field.dist[e.a], 1.0));
        }
        if field.dist[e.b].is_finite() {
            starts.push((1.0, threshold_m - field.dist[e.b], -1.0));
        }
        for s in sources.iter().filter(|s| s.edge == i) {
            starts.push((s.t, threshold_m - s.off_m, 1.0));
            starts.push((s.t, threshold_m - s.off_m, -1.0));
        }
        for (t0, left0, dir) in starts {
            if left0 < frontage_m || e.cost_m <= 0.0 {
                continue;
            }
            // Drawn while at least the frontage is left: the cap reaches the threshold.
            let t1 = (t0 + dir * (left0 - frontage_m) / e.cost_m).clamp(0.0, 1.0);
            lines.push(LineString(vec![at(t0), at(t1)]));
        }
    }
    for (s, p) in reached {
        let e = net.edges[s.edge];
        let (a, b) = (net.nodes[e.a], net.nodes[e.b]);
        let foot = Coord {
            x: a.x + s.t * (b.x - a.x),
            y: a.y + s.t * (b.y - a.y),
        };
        lines.push(LineString(vec![foot, *p]));
    }
    let area = MultiLineString(lines).buffer(frontage_m);
    if unreached.is_empty() {
        return area;
    }
    let tree = rstar::RTree::bulk_load(reached.iter().map(|(_, p)| [p.x, p.y]).collect());
    let holes: Vec<Polygon<f64>> = unreached
        .iter()
        .filter(|p| area.contains(&Point(**p)))
        .filter_map(|p| {
            let near = tree
                .nearest_neighbor(&[p.x, p.y])
                .map_or(f64::INFINITY, |q| (q[0] - p.x).hypot(q[1] - p.y));
            let r = HOLE_M.min(0.45 * near);
            (r >= 0.5).then(|| Point(*p).buffer(r))
        })
        .flat_map(|disc| disc.0)
        .collect();
    if holes.is_empty() {
        return area;
    }
    // Discs of nearby (or coinciding) unreached points overlap: unite them first, since
    // overlapping parts of one multipolygon would cancel out in the difference.
    area.difference(&geo::unary_union(&holes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::walk::testing::{network, snap_strategy};
    use geo::{Area, Within};
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]

        /// Reached address points lie inside, street positions within the threshold less the
        /// frontage lie inside, street positions beyond the threshold plus the frontage lie
        /// outside (apart from other reached streets nearby), and areas nest.
        #[test]
        fn reached_points_are_inside_and_areas_nest(
            factors in prop::collection::vec(1.0..1.5f64, 1..12),
            sources in prop::collection::vec(snap_strategy(60), 1..4),
            points in prop::collection::vec(snap_strategy(60), 10..40),
        ) {
            let net = network(6, &factors);
            let field = Field::new(&net, &sources, 600.0);
            let place = |p: &Snap| {
                let e = net.edges[p.edge];
                let (a, b) = (net.nodes[e.a], net.nodes[e.b]);
                let (dx, dy) = (b.x - a.x, b.y - a.y);
                let len = dx.hypot(dy);
                let foot = Coord { x: a.x + p.t * dx, y: a.y + p.t * dy };
                (foot, Coord { x: foot.x - dy / len * p.off_m, y: foot.y + dx / len * p.off_m })
            };
            let reached = |t: f64| -> Vec<(Snap, Coord<f64>)> {
                points.iter().filter(|p| field.at(&net, p) <= t).map(|p| (*p, place(p).1)).collect()
            };
            let small = service_area(&net, &field, 300.0, 20.0, &reached(300.0), &[]);
            let large = service_area(&net, &field, 600.0, 20.0, &reached(600.0), &[]);
            prop_assert!(small.unsigned_area() > 0.0);
            prop_assert!(small.unsigned_area() <= large.unsigned_area() + 1e-6);
            for (p, q) in reached(300.0) {
                prop_assert!(small.contains(&Point(q)) || Point(q).is_within(&small), "{p:?}");
            }
            // Unreached points get holes; reached ones stay inside.
            let unreached: Vec<Coord<f64>> = points
                .iter()
                .filter(|p| field.at(&net, p) > 300.0)
                .map(|p| place(p).1)
                .collect();
            let carved = service_area(&net, &field, 300.0, 20.0, &reached(300.0), &unreached);
            for q in &unreached {
                let near = reached(300.0).iter().map(|(_, r)| (r.x - q.x).hypot(r.y - q.y)).fold(f64::INFINITY, f64::min);
                if near > 1.2 {
                    prop_assert!(!carved.contains(&Point(*q)), "unreached point inside");
                }
            }
            for (_, q) in reached(300.0) {
                prop_assert!(carved.contains(&Point(q)) || Point(q).is_within(&carved));
            }
            for p in &points {
                let (foot, _) = place(p);
                let on_street = Snap { off_m: 0.0, ..*p };
                let d = field.at(&net, &on_street);
                if d <= 300.0 - 20.0 - 0.5 {
                    prop_assert!(small.contains(&Point(foot)), "street at {d} m outside");
                }
                if small.contains(&Point(foot)) {
                    prop_assert!(large.contains(&Point(foot)));
                }
            }
        }
    }
}

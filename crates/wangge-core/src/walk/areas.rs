//! Service-area polygons: where a facility category is within walking reach, edge-exact.
//! Every edge is reached from its ends (and from facilities on it) up to the point where the
//! walking budget runs out, so partly reached edges are cut at the threshold. The reached
//! streets, and the connectors from each reached address point to its street, are buffered
//! by the building frontage (`frontage_m`) in one operation; reached stretches stop
//! `frontage_m` before the budget runs out, so the round cap ends at the threshold. Blocks
//! enclosed by reached streets are filled; address points not reached are cut out through
//! small holes. The result is valid and nests as the threshold grows.

use super::field::Field;
use super::network::WalkNetwork;
use super::snap::Snap;
use geo::algorithm::buffer::{BufferStyle, LineCap, LineJoin};
use geo::{BooleanOps, BoundingRect, Buffer, Simplify};
use geo_types::{Coord, LineString, MultiLineString, MultiPolygon, Point, Polygon};

/// Radius of the hole kept around an address point that is not reached (m), at most half-way
/// to the nearest reached one.
const HOLE_M: f64 = 5.0;

/// A smaller area is cut to the larger one shrunk by this much (m): boolean operations round
/// to their own grid (sub-micrometre here) and lon/lat bends straight edges by up to a
/// millimetre, so a cut to the larger area itself could leave slivers outside it that an
/// exact test (GEOS `covers`) finds. One centimetre is far below what the areas claim.
const NEST_MARGIN_M: f64 = 0.01;

/// Angle of the arc steps of round caps and joins (radians): at 20 m of frontage an arc is
/// at most 20 × (1 − cos(ARC / 2)) m inside the true circle.
const ARC: f64 = 0.2;

/// Reached lines are simplified (Douglas-Peucker) by this much before buffering (m): curved
/// streets come as many short edges, and every segment costs the buffer its crossings.
const SIMPLIFY_M: f64 = 0.5;

fn style(frontage_m: f64) -> BufferStyle<f64> {
    BufferStyle::new(frontage_m)
        .line_cap(LineCap::Round(ARC))
        .line_join(LineJoin::Round(ARC))
}

/// An address point for service areas: its snap, its position (local metres) and its walking
/// distance to the category.
pub type AreaPoint = (Snap, Coord<f64>, f64);

/// The service areas of a category within each of `thresholds_m` (local metres), in that
/// order, nested strictly: each is cut to the next larger one (less 1 cm), so the 10-minute
/// area lies in the 15-minute area whatever the arcs of their round caps and joins. `points` are the
/// snapped address points; those within a threshold lie inside its area, the others that the
/// frontage of a reached street would cover are left out through small holes.
pub fn service_areas(
    net: &WalkNetwork,
    field: &Field,
    thresholds_m: &[f64],
    frontage_m: f64,
    points: &[AreaPoint],
) -> Vec<MultiPolygon<f64>> {
    let mut order: Vec<usize> = (0..thresholds_m.len()).collect();
    order.sort_by(|&a, &b| thresholds_m[b].total_cmp(&thresholds_m[a]));
    let mut out = vec![MultiPolygon::new(Vec::new()); thresholds_m.len()];
    let mut larger: Option<(f64, MultiPolygon<f64>)> = None;
    for i in order {
        let t = thresholds_m[i];
        let mut area = match &larger {
            // The same threshold twice: the same area.
            Some((lt, a)) if *lt == t => a.clone(),
            _ => one_area(net, field, t, frontage_m, points),
        };
        if let Some((lt, a)) = &larger
            && *lt != t
        {
            area = area.intersection(&a.buffer(-NEST_MARGIN_M));
        }
        out[i] = area.clone();
        larger = Some((t, area));
    }
    out
}

/// One threshold's area, before nesting.
fn one_area(
    net: &WalkNetwork,
    field: &Field,
    threshold_m: f64,
    frontage_m: f64,
    points: &[AreaPoint],
) -> MultiPolygon<f64> {
    let mut lines: Vec<LineString<f64>> = reached_chains(net, field, threshold_m, frontage_m)
        .iter()
        .map(|l| l.simplify(SIMPLIFY_M))
        .collect();
    let reached: Vec<Coord<f64>> = points
        .iter()
        .filter(|p| p.2 <= threshold_m)
        .map(|(s, p, _)| {
            let e = net.edges[s.edge];
            let (a, b) = (net.nodes[e.a], net.nodes[e.b]);
            let foot = Coord {
                x: a.x + s.t * (b.x - a.x),
                y: a.y + s.t * (b.y - a.y),
            };
            lines.push(LineString(vec![foot, *p]));
            *p
        })
        .collect();
    // Filled: a block enclosed by reached streets is within reach (what people see as the
    // area, not tubes along the streets); unreached address points in it get their holes below.
    let area = MultiPolygon(
        MultiLineString(lines)
            .buffer_with_style(style(frontage_m))
            .0
            .into_iter()
            .map(|p| Polygon::new(p.exterior().clone(), Vec::new()))
            .collect(),
    );
    let unreached: Vec<Coord<f64>> = points
        .iter()
        .filter(|p| p.2 > threshold_m)
        .map(|p| p.1)
        .collect();
    if unreached.is_empty() || area.0.is_empty() {
        return area;
    }
    let tree = rstar::RTree::bulk_load(reached.iter().map(|p| [p.x, p.y]).collect());
    let boxes = rstar::RTree::bulk_load(
        area.0
            .iter()
            .filter_map(|p| p.bounding_rect())
            .map(|r| {
                rstar::primitives::Rectangle::from_corners(
                    [r.min().x, r.min().y],
                    [r.max().x, r.max().y],
                )
            })
            .collect(),
    );
    // Every unreached point whose disc meets the area gets its hole (not only those inside:
    // a disc of a point just outside a smaller area would otherwise cut the larger one only).
    let holes: Vec<Polygon<f64>> = unreached
        .iter()
        .filter_map(|p| {
            let near = tree
                .nearest_neighbor(&[p.x, p.y])
                .map_or(f64::INFINITY, |q| (q[0] - p.x).hypot(q[1] - p.y));
            let r = HOLE_M.min(0.45 * near);
            let env = rstar::AABB::from_corners([p.x - r, p.y - r], [p.x + r, p.y + r]);
            (r >= 0.5 && boxes.locate_in_envelope_intersecting(&env).next().is_some())
                .then(|| Point(*p).buffer(r))
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

/// The reached stretches of every edge (from its ends and from facilities on it, each
/// stopping `frontage_m` before the budget runs out, so the round cap ends at the threshold),
/// merged per edge and chained through shared nodes into long lines: a chain is buffered
/// with joins where separate pieces would each get two round caps (the costly part).
fn reached_chains(
    net: &WalkNetwork,
    field: &Field,
    threshold_m: f64,
    frontage_m: f64,
) -> Vec<LineString<f64>> {
    let mut on_edge: std::collections::HashMap<usize, Vec<Snap>> = Default::default();
    for s in field.sources.iter().flatten() {
        on_edge.entry(s.edge).or_default().push(*s);
    }
    // Pieces: (end a, end b, coordinates a, coordinates b); ends are node ids, or ids past
    // the nodes for ends inside an edge.
    let mut pieces: Vec<(usize, usize, Coord<f64>, Coord<f64>)> = Vec::new();
    let mut inner = net.nodes.len();
    let mut spans: Vec<(f64, f64)> = Vec::new();
    for (i, e) in net.edges.iter().enumerate() {
        if e.cost_m <= 0.0 {
            continue;
        }
        spans.clear();
        let reach = |left0: f64| (left0 - frontage_m) / e.cost_m;
        if field.dist[e.a].is_finite() && threshold_m - field.dist[e.a] >= frontage_m {
            spans.push((0.0, reach(threshold_m - field.dist[e.a]).min(1.0)));
        }
        if field.dist[e.b].is_finite() && threshold_m - field.dist[e.b] >= frontage_m {
            spans.push(((1.0 - reach(threshold_m - field.dist[e.b])).max(0.0), 1.0));
        }
        if let Some(here) = on_edge.get(&i) {
            for s in here {
                let left0 = threshold_m - s.off_m;
                if left0 >= frontage_m {
                    let d = reach(left0);
                    spans.push(((s.t - d).max(0.0), (s.t + d).min(1.0)));
                }
            }
        }
        if spans.is_empty() {
            continue;
        }
        spans.sort_by(|x, y| x.0.total_cmp(&y.0));
        let (a, b) = (net.nodes[e.a], net.nodes[e.b]);
        let at = |t: f64| Coord {
            x: a.x + t * (b.x - a.x),
            y: a.y + t * (b.y - a.y),
        };
        let mut k = 0;
        while k < spans.len() {
            let (lo, mut hi) = spans[k];
            k += 1;
            while k < spans.len() && spans[k].0 <= hi {
                hi = hi.max(spans[k].1);
                k += 1;
            }
            let mut end = |node: usize, at_end: bool| {
                if at_end {
                    node
                } else {
                    inner += 1;
                    inner - 1
                }
            };
            let ea = end(e.a, lo <= 0.0);
            let eb = end(e.b, hi >= 1.0);
            pieces.push((ea, eb, at(lo), at(hi)));
        }
    }
    chains(&pieces, inner)
}

/// Pieces chained through shared ends into as few lines as a walk allows (from ends of odd
/// degree first, then the cycles left).
fn chains(pieces: &[(usize, usize, Coord<f64>, Coord<f64>)], ends: usize) -> Vec<LineString<f64>> {
    let mut at: Vec<Vec<usize>> = vec![Vec::new(); ends];
    for (i, p) in pieces.iter().enumerate() {
        at[p.0].push(i);
        at[p.1].push(i);
    }
    let mut used = vec![false; pieces.len()];
    let mut next = vec![0usize; ends];
    let mut out = Vec::new();
    let starts: Vec<usize> = (0..ends)
        .filter(|&n| !at[n].len().is_multiple_of(2))
        .chain((0..ends).filter(|&n| at[n].len().is_multiple_of(2) && !at[n].is_empty()))
        .collect();
    for s in starts {
        loop {
            let mut node = s;
            let mut line: Vec<Coord<f64>> = Vec::new();
            while let Some(&p) = at[node][next[node]..].iter().find(|&&p| !used[p]) {
                used[p] = true;
                while next[node] < at[node].len() && used[at[node][next[node]]] {
                    next[node] += 1;
                }
                let (a, b, ca, cb) = pieces[p];
                let (from, to, other) = if a == node { (ca, cb, b) } else { (cb, ca, a) };
                if line.is_empty() {
                    line.push(from);
                }
                if line.last() != Some(&to) {
                    line.push(to);
                }
                node = other;
            }
            if line.is_empty() {
                break;
            }
            out.push(LineString(line));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::walk::testing::{network, snap_strategy};
    use geo::{Area, Contains, Within};
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]

        /// Reached address points lie inside, unreached ones outside, street positions within
        /// the threshold less the frontage lie inside, areas nest exactly, and chaining the
        /// pieces changes nothing but the arcs.
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
            let all: Vec<AreaPoint> = points.iter().map(|p| (*p, place(p).1, field.at(&net, p))).collect();
            let reached = |t: f64| -> Vec<Coord<f64>> {
                all.iter().filter(|p| p.2 <= t).map(|p| p.1).collect()
            };
            let areas = service_areas(&net, &field, &[600.0, 300.0], 20.0, &all);
            let (large, small) = (&areas[0], &areas[1]);
            prop_assert!(small.unsigned_area() > 0.0);
            // Nested exactly, not only by area.
            let outside = small.difference(large).unsigned_area();
            prop_assert!(outside == 0.0, "{outside} m² outside");
            // Reached points inside; unreached ones out, through holes.
            for q in reached(300.0) {
                prop_assert!(small.contains(&Point(q)) || Point(q).is_within(small));
            }
            for q in all.iter().filter(|p| p.2 > 300.0).map(|p| p.1) {
                let near = reached(300.0).iter().map(|r| (r.x - q.x).hypot(r.y - q.y)).fold(f64::INFINITY, f64::min);
                if near > 1.2 {
                    prop_assert!(!small.contains(&Point(q)), "unreached point inside");
                }
            }
            // Chained lines give the same area as the pieces one by one.
            let pieces = reached_chains(&net, &field, 300.0, 20.0);
            let one_by_one: Vec<LineString<f64>> = pieces
                .iter()
                .flat_map(|l| l.lines().map(|s| LineString(vec![s.start, s.end])))
                .collect();
            let a = MultiLineString(pieces).buffer(20.0).unsigned_area();
            let b = MultiLineString(one_by_one).buffer(20.0).unsigned_area();
            prop_assert!((a - b).abs() <= 1e-3 * b.max(1.0), "{a} vs {b}");
            // Streets within the threshold less the frontage are inside (away from holes).
            let only_reached: Vec<AreaPoint> = all.iter().filter(|p| p.2 <= 300.0).copied().collect();
            let plain = &service_areas(&net, &field, &[300.0], 20.0, &only_reached)[0];
            for p in &points {
                let (foot, _) = place(p);
                let on_street = Snap { off_m: 0.0, ..*p };
                let d = field.at(&net, &on_street);
                if d <= 300.0 - 20.0 - 0.5 {
                    prop_assert!(plain.contains(&Point(foot)), "street at {d} m outside");
                }
                if small.contains(&Point(foot)) {
                    prop_assert!(large.contains(&Point(foot)) || Point(foot).is_within(large));
                }
            }
        }
    }
}

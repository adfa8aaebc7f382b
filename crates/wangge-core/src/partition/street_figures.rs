//! How grid boundaries follow streets, measured on the finished grid polygons (local metres),
//! the way a planner (and `tests/scripts/check_plan.py --streets`, with GEOS) measures it:
//! internal grid boundary within 5 m of a street line; street length inside the community (more
//! than 5 m from its edge) within 5 m of a grid boundary; grids an arterial runs through for
//! more than 20 m of their interior (more than 5 m from their edge). Lengths are sampled every
//! metre along boundaries and streets.

use super::edge::{ARTERIAL, Edge, street_factor};
use super::street_line::StreetLine;
use geo::{BoundingRect, Contains, Distance, Euclidean};
use geo_types::{Coord, LineString, MultiPolygon, Point, Polygon};
use rstar::RTree;
use rstar::primitives::Line as RLine;

/// The goal: this share of internal grid boundary along streets.
pub const GOAL_SHARE: f64 = 0.60;

/// What [`notes`] looks at, for one community.
pub struct Reasons<'a> {
    pub figures: &'a super::Metrics,
    /// Grid codes, in the order of `spans` and `grids`.
    pub codes: &'a [String],
    /// Per grid: whether an arterial spans it.
    pub spans: &'a [bool],
    /// Units of each grid.
    pub grids: &'a [Vec<usize>],
    pub adj: &'a [Vec<Edge>],
    pub households: &'a [u32],
    /// Street block of each unit.
    pub block: &'a [usize],
    pub cap: u32,
    /// The most grids a plan spanning no arterial could have taken.
    pub room: usize,
}

/// Why a community misses the streets goals, one line per reason (empty when it meets them).
pub fn notes(r: &Reasons<'_>) -> Vec<String> {
    let mut out = Vec::new();
    let m = r.figures;
    if m.boundary_m > 0.0 && m.street_share < GOAL_SHARE {
        let mut per_block: std::collections::HashMap<usize, u64> = Default::default();
        for (u, &b) in r.block.iter().enumerate() {
            *per_block.entry(b).or_default() += u64::from(r.households[u]);
        }
        let cap = u64::from(r.cap);
        let over: u64 = per_block.values().filter(|&&h| h > cap).sum();
        let largest = per_block.values().copied().max().unwrap_or(0);
        let total: u64 = per_block.values().sum();
        let why = if over > 0 {
            format!(
                "{over} of {total} households live in street blocks of more than {cap} households (the largest holds {largest}), which grids must divide away from streets"
            )
        } else {
            "every street block fits one grid, but whole blocks do not pack into as few grids, and the count comes first".to_string()
        };
        out.push(format!(
            "{:.1}% of internal boundary along streets (goal {:.0}%): {why}",
            100.0 * m.street_share,
            100.0 * GOAL_SHARE
        ));
    }
    let cut = super::contract::without_arterials(r.adj);
    for (g, _) in r.spans.iter().enumerate().filter(|(_, s)| **s) {
        let Some(units) = r.grids.get(g) else {
            continue;
        };
        let code = r.codes.get(g).map_or("?", String::as_str);
        let one_side = cut
            .as_ref()
            .is_none_or(|c| super::contract::components(c, units).len() <= 1);
        out.push(if one_side {
            format!(
                "grid {code} spans an arterial: its address points all lie on one side, and the community's land on the other side there holds none, so it belongs to this grid"
            )
        } else {
            format!(
                "grid {code} spans an arterial: keeping every arterial as a boundary needs more than {} grids (1.10 x the lower bound, at least one more)",
                r.room
            )
        });
    }
    out
}

/// A boundary this close to a street line runs along it (m).
pub const NEAR_M: f64 = 5.0;
/// An arterial running more than this far through a grid's interior spans it (m).
pub const SPAN_M: f64 = 20.0;
/// Sampling step along lines (m).
const STEP_M: f64 = 1.0;

/// Ways that are not streets a grid boundary would follow (paths inside compounds).
pub(crate) fn is_street(highway: &str) -> bool {
    !matches!(
        highway,
        "footway" | "path" | "cycleway" | "steps" | "bridleway" | "corridor" | "track"
    )
}

/// The figures of one community.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct StreetFigures {
    /// Internal grid boundary (each shared stretch once), m.
    pub boundary_m: f64,
    /// The part of it within `NEAR_M` of a street line, m.
    pub boundary_on_street_m: f64,
    /// Street length inside the community, more than `NEAR_M` from its edge, m.
    pub street_inside_m: f64,
    /// The part of it within `NEAR_M` of an internal grid boundary, m.
    pub street_used_m: f64,
}

/// Points every `STEP_M` along a segment, with the length each stands for.
fn samples(a: Coord<f64>, b: Coord<f64>) -> impl Iterator<Item = (Coord<f64>, f64)> {
    let len = (b.x - a.x).hypot(b.y - a.y);
    let n = (len / STEP_M).ceil().max(1.0) as usize;
    let w = len / n as f64;
    (0..n).map(move |i| {
        let t = (i as f64 + 0.5) / n as f64;
        (a + (b - a) * t, w)
    })
}

fn segments(r: &LineString<f64>) -> impl Iterator<Item = (Coord<f64>, Coord<f64>)> + '_ {
    r.0.windows(2).map(|w| (w[0], w[1]))
}

fn rline(a: Coord<f64>, b: Coord<f64>) -> RLine<[f64; 2]> {
    RLine::new([a.x, a.y], [b.x, b.y])
}

/// Measures the figures for grid polygons of one community; also says which grids an arterial
/// spans.
pub fn measure(
    grids: &[Polygon<f64>],
    community: &MultiPolygon<f64>,
    streets: &[StreetLine],
) -> (StreetFigures, Vec<bool>) {
    let mut f = StreetFigures::default();
    let edge: RTree<RLine<[f64; 2]>> = RTree::bulk_load(
        community
            .0
            .iter()
            .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
            .flat_map(segments)
            .map(|(a, b)| rline(a, b))
            .collect(),
    );
    let street_segs: Vec<(Coord<f64>, Coord<f64>, bool)> = streets
        .iter()
        .filter(|s| is_street(&s.highway))
        .flat_map(|s| {
            let arterial = street_factor(&s.highway) <= ARTERIAL;
            segments(&s.line).map(move |(a, b)| (a, b, arterial))
        })
        .collect();
    let street_tree: RTree<RLine<[f64; 2]>> =
        RTree::bulk_load(street_segs.iter().map(|&(a, b, _)| rline(a, b)).collect());
    let near = |tree: &RTree<RLine<[f64; 2]>>, c: Coord<f64>, d: f64| {
        tree.locate_within_distance([c.x, c.y], d * d)
            .next()
            .is_some()
    };
    // Internal boundary: grid ring stretches away from the community's edge; each shared
    // stretch appears in two grids, so halves.
    let mut inner_segs = Vec::new();
    let any_in = |tree: &RTree<RLine<[f64; 2]>>, a: Coord<f64>, b: Coord<f64>, d: f64| {
        let env = rstar::AABB::from_corners(
            [a.x.min(b.x) - d, a.y.min(b.y) - d],
            [a.x.max(b.x) + d, a.y.max(b.y) + d],
        );
        tree.locate_in_envelope_intersecting(&env).next().is_some()
    };
    for g in grids {
        for r in std::iter::once(g.exterior()).chain(g.interiors()) {
            for (a, b) in segments(r) {
                inner_segs.push(rline(a, b));
                // Far from the edge and from every street: all internal, none along a street.
                if !any_in(&edge, a, b, 0.01) && !any_in(&street_tree, a, b, NEAR_M) {
                    f.boundary_m += (b.x - a.x).hypot(b.y - a.y) / 2.0;
                    continue;
                }
                for (c, w) in samples(a, b) {
                    if near(&edge, c, 0.01) {
                        continue;
                    }
                    f.boundary_m += w / 2.0;
                    if near(&street_tree, c, NEAR_M) {
                        f.boundary_on_street_m += w / 2.0;
                    }
                }
            }
        }
    }
    let inner: RTree<RLine<[f64; 2]>> = RTree::bulk_load(inner_segs);
    let inside = |c: Coord<f64>| community.contains(&Point(c)) && !near(&edge, c, NEAR_M);
    let mut spans = vec![0.0; grids.len()];
    let boxes: Vec<_> = grids.iter().map(|g| g.bounding_rect()).collect();
    for &(a, b, arterial) in &street_segs {
        for (c, w) in samples(a, b) {
            if !inside(c) {
                continue;
            }
            f.street_inside_m += w;
            // On a grid boundary (not the community's edge) within NEAR_M.
            let on_boundary = inner
                .locate_within_distance([c.x, c.y], NEAR_M * NEAR_M)
                .any(|l| !near(&edge, mid(l), 0.01));
            if on_boundary {
                f.street_used_m += w;
            } else if arterial {
                for (gi, g) in grids.iter().enumerate() {
                    let in_box = boxes[gi].is_some_and(|bb| {
                        c.x >= bb.min().x
                            && c.x <= bb.max().x
                            && c.y >= bb.min().y
                            && c.y <= bb.max().y
                    });
                    if in_box && g.contains(&Point(c)) && distance_to_rings(g, c) > NEAR_M {
                        spans[gi] += w;
                        break;
                    }
                }
            }
        }
    }
    (f, spans.into_iter().map(|m| m > SPAN_M).collect())
}

fn mid(l: &RLine<[f64; 2]>) -> Coord<f64> {
    Coord {
        x: (l.from[0] + l.to[0]) / 2.0,
        y: (l.from[1] + l.to[1]) / 2.0,
    }
}

fn distance_to_rings(g: &Polygon<f64>, c: Coord<f64>) -> f64 {
    std::iter::once(g.exterior())
        .chain(g.interiors())
        .map(|r| Euclidean.distance(&Point(c), r))
        .fold(f64::INFINITY, f64::min)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rect(x0: f64, y0: f64, x1: f64, y1: f64) -> Polygon<f64> {
        Polygon::new(
            LineString(
                [(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)]
                    .iter()
                    .map(|&(x, y)| Coord { x, y })
                    .collect(),
            ),
            vec![],
        )
    }

    fn street(hw: &str, pts: &[(f64, f64)]) -> StreetLine {
        StreetLine {
            highway: hw.into(),
            line: LineString(pts.iter().map(|&(x, y)| Coord { x, y }).collect()),
        }
    }

    #[test]
    fn a_boundary_on_a_street_and_an_arterial_through_a_grid() {
        // Two grids split at x = 100 along a residential street; a tertiary road runs
        // north-south through the right grid at x = 150.
        let grids = [rect(0.0, 0.0, 100.0, 100.0), rect(100.0, 0.0, 200.0, 100.0)];
        let community = MultiPolygon(vec![rect(0.0, 0.0, 200.0, 100.0)]);
        let streets = [
            street("residential", &[(102.0, -10.0), (102.0, 110.0)]),
            street("tertiary", &[(150.0, -10.0), (150.0, 110.0)]),
            street("footway", &[(50.0, 0.0), (50.0, 100.0)]),
        ];
        let (f, spans) = measure(&grids, &community, &streets);
        assert!((f.boundary_m - 100.0).abs() < 1e-6, "{f:?}");
        assert!((f.boundary_on_street_m - 100.0).abs() < 1e-6, "{f:?}");
        // Both streets run 90 m inside (5 m kept off each edge); only the residential one is
        // used as a boundary.
        assert!((f.street_inside_m - 180.0).abs() < 2.0, "{f:?}");
        assert!((f.street_used_m - 90.0).abs() < 2.0, "{f:?}");
        assert_eq!(spans, vec![false, true]);
    }
}

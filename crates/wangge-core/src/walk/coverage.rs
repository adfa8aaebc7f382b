//! Coverage: for every address point, the walking distance to the nearest facility of each
//! category, with one bounded multi-source search per category (no per-facility loops), and
//! the shares of households covered per area (grid, community) and threshold, with the
//! life-circle completeness rate (达标率: households that reach every category a circle
//! requires within that circle).

use super::field::{Field, NOT_REACHED};
use super::network::WalkNetwork;
use super::shares::AreaShares;
use super::snap::{Snap, Snapper};
use crate::Progress;
use geo_types::Point;
use std::collections::HashMap;

/// What a coverage run needs.
pub struct CoverageInput<'a> {
    pub net: &'a WalkNetwork,
    pub snapper: &'a Snapper,
    /// Address points (lon/lat).
    pub points: &'a [Point<f64>],
    /// Facilities: (catalogue category, lon/lat).
    pub facilities: &'a [(String, Point<f64>)],
    /// Categories to compute, in report order.
    pub categories: &'a [String],
    /// Search limit (m of walking cost): the largest threshold.
    pub limit_m: f64,
    /// Points and facilities farther than this from any walkable edge are not snapped.
    pub max_snap_m: f64,
}

/// Result of a coverage run.
#[derive(Debug, Clone, PartialEq)]
pub struct Coverage {
    pub categories: Vec<String>,
    /// `walk_m[c][p]`: walking distance (m, snap distances included) from address point `p`
    /// to the nearest facility of category `c`; [`NOT_REACHED`] beyond the limit.
    pub walk_m: Vec<Vec<f64>>,
    pub point_snaps: Vec<Option<Snap>>,
    /// Facilities per category that snapped onto the network.
    pub facilities: Vec<usize>,
    /// Facility indices (into the input) too far from every walkable edge.
    pub unsnapped_facilities: Vec<usize>,
}

/// Per-area shares.
#[derive(Debug, Clone, PartialEq)]
pub struct AreaShare {
    pub area: String,
    pub households: u64,
    /// `covered[k][c]`: households within threshold `k` of category `c`.
    pub covered: Vec<Vec<u64>>,
    /// `complete[i]`: households that reach every category of circle `i` within it.
    pub complete: Vec<u64>,
}

impl Coverage {
    /// Runs the searches over the walking network: address points snapped in parallel
    /// chunks, one bounded search per category, categories on every core.
    pub fn compute(input: &CoverageInput, progress: &(dyn Progress + Sync)) -> Self {
        let net = input.net;
        let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
        let chunk = input.points.len().div_ceil(workers).max(1);
        let point_snaps: Vec<Option<Snap>> = std::thread::scope(|s| {
            let parts: Vec<_> = input
                .points
                .chunks(chunk)
                .map(|part| {
                    s.spawn(move || {
                        part.iter()
                            .map(|p| input.snapper.snap(net, *p, input.max_snap_m))
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            parts
                .into_iter()
                .flat_map(|h| h.join().expect("snapping does not panic"))
                .collect()
        });
        let mut by_cat: HashMap<&str, Vec<Snap>> = HashMap::new();
        let mut unsnapped_facilities = Vec::new();
        for (i, (cat, p)) in input.facilities.iter().enumerate() {
            match input.snapper.snap(net, *p, input.max_snap_m) {
                Some(s) => by_cat.entry(cat.as_str()).or_default().push(s),
                None => unsnapped_facilities.push(i),
            }
        }
        progress.start("walking coverage", Some(input.categories.len() as u64));
        let facilities: Vec<usize> = input
            .categories
            .iter()
            .map(|c| by_cat.get(c.as_str()).map_or(0, Vec::len))
            .collect();
        let next = std::sync::atomic::AtomicUsize::new(0);
        let mut done: Vec<(usize, Vec<f64>)> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..workers.min(input.categories.len()))
                .map(|_| {
                    s.spawn(|| {
                        let mut mine = Vec::new();
                        loop {
                            let c = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            let Some(cat) = input.categories.get(c) else {
                                return mine;
                            };
                            let snaps = by_cat.get(cat.as_str()).map(Vec::as_slice).unwrap_or(&[]);
                            mine.push((c, nearest(net, snaps, &point_snaps, input.limit_m)));
                            progress.advance(1);
                        }
                    })
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().expect("searches do not panic"))
                .collect()
        });
        done.sort_by_key(|d| d.0);
        let walk_m: Vec<Vec<f64>> = done.into_iter().map(|d| d.1).collect();
        progress.finish();
        Self {
            categories: input.categories.to_vec(),
            walk_m,
            point_snaps,
            facilities,
            unsnapped_facilities,
        }
    }

    /// Without a street network: straight-line distance to the nearest facility of each
    /// category times a detour factor (an estimate, labelled as such by callers). No snaps.
    pub fn crow_fly(
        frame: crate::LocalFrame,
        points: &[Point<f64>],
        facilities: &[(String, Point<f64>)],
        categories: &[String],
        limit_m: f64,
        detour: f64,
    ) -> Self {
        let local: Vec<[f64; 2]> = points
            .iter()
            .map(|p| {
                let c = frame.forward(p.0);
                [c.x, c.y]
            })
            .collect();
        let mut walk_m = Vec::with_capacity(categories.len());
        let mut counts = Vec::with_capacity(categories.len());
        for cat in categories {
            let sites: Vec<[f64; 2]> = facilities
                .iter()
                .filter(|(c, _)| c == cat)
                .map(|(_, p)| {
                    let c = frame.forward(p.0);
                    [c.x, c.y]
                })
                .collect();
            counts.push(sites.len());
            let tree = rstar::RTree::bulk_load(sites);
            walk_m.push(
                local
                    .iter()
                    .map(|q| {
                        tree.nearest_neighbor(q)
                            .map(|s| (s[0] - q[0]).hypot(s[1] - q[1]) * detour)
                            .filter(|&d| d <= limit_m)
                            .unwrap_or(NOT_REACHED)
                    })
                    .collect(),
            );
        }
        Self {
            categories: categories.to_vec(),
            walk_m,
            point_snaps: Vec::new(),
            facilities: counts,
            unsnapped_facilities: Vec::new(),
        }
    }

    /// Address points that did not snap onto the network.
    pub fn unsnapped_points(&self) -> usize {
        self.point_snaps.iter().filter(|s| s.is_none()).count()
    }

    /// Shares per area: `shares` says which areas each point's households count in (an
    /// entrance split across grids in each, by its part), `thresholds_m` the distances of
    /// the thresholds, `circles` the (distance, category indices) of each life circle. The
    /// one tally behind the CLI's report and the API's coverage.
    pub fn summarise(
        &self,
        shares: &AreaShares,
        thresholds_m: &[f64],
        circles: &[(f64, Vec<usize>)],
    ) -> Vec<AreaShare> {
        let mut out: Vec<AreaShare> = shares
            .areas
            .iter()
            .map(|a| AreaShare {
                area: a.clone(),
                households: 0,
                covered: vec![vec![0; self.categories.len()]; thresholds_m.len()],
                complete: vec![0; circles.len()],
            })
            .collect();
        // A point without a distance (none computed for it) is reached by nothing.
        let walk = |c: usize, p: usize| {
            self.walk_m
                .get(c)
                .and_then(|w| w.get(p))
                .copied()
                .unwrap_or(NOT_REACHED)
        };
        for p in 0..shares.points() {
            for (a, h) in shares.of(p) {
                let s = &mut out[a];
                s.households += h;
                for (k, &t) in thresholds_m.iter().enumerate() {
                    for c in 0..self.categories.len() {
                        if walk(c, p) <= t {
                            s.covered[k][c] += h;
                        }
                    }
                }
                for (i, (t, cats)) in circles.iter().enumerate() {
                    if cats.iter().all(|&c| walk(c, p) <= *t) {
                        s.complete[i] += h;
                    }
                }
            }
        }
        out
    }
}

/// Walking distance from every snapped point to the nearest of `sources`, within `limit_m`.
fn nearest(net: &WalkNetwork, sources: &[Snap], points: &[Option<Snap>], limit_m: f64) -> Vec<f64> {
    if sources.is_empty() {
        return vec![NOT_REACHED; points.len()];
    }
    let field = Field::new(net, sources, limit_m);
    points
        .iter()
        .map(|p| p.as_ref().map_or(NOT_REACHED, |p| field.at(net, p)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::walk::testing::{network, snap_strategy};
    use proptest::prelude::*;

    /// Brute force: Bellman-Ford from each source separately, then the minimum.
    fn brute(net: &WalkNetwork, sources: &[Snap], p: &Snap) -> f64 {
        let mut best = f64::INFINITY;
        for s in sources {
            let e = net.edges[s.edge];
            let mut d = vec![f64::INFINITY; net.nodes.len()];
            d[e.a] = s.off_m + s.t * e.cost_m;
            d[e.b] = d[e.b].min(s.off_m + (1.0 - s.t) * e.cost_m);
            for _ in 0..net.nodes.len() {
                for x in &net.edges {
                    let (a, b) = (d[x.a], d[x.b]);
                    d[x.b] = d[x.b].min(a + x.cost_m);
                    d[x.a] = d[x.a].min(b + x.cost_m);
                }
            }
            let pe = net.edges[p.edge];
            let mut v = (d[pe.a] + p.t * pe.cost_m).min(d[pe.b] + (1.0 - p.t) * pe.cost_m);
            if s.edge == p.edge {
                v = v.min(s.off_m + (p.t - s.t).abs() * pe.cost_m);
            }
            best = best.min(v + p.off_m);
        }
        best
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn matches_brute_force_and_a_new_facility_never_lengthens_a_walk(
            factors in prop::collection::vec(1.0..1.5f64, 1..12),
            sources in prop::collection::vec(snap_strategy(40), 1..5),
            extra in snap_strategy(40),
            points in prop::collection::vec(snap_strategy(40), 1..20),
        ) {
            let net = network(5, &factors);
            let pts: Vec<Option<Snap>> = points.iter().copied().map(Some).collect();
            let got = nearest(&net, &sources, &pts, 1e9);
            for (p, g) in points.iter().zip(&got) {
                let want = brute(&net, &sources, p);
                prop_assert!((g - want).abs() < 1e-6, "{g} vs {want}");
            }
            let mut more = sources.clone();
            more.push(extra);
            let after = nearest(&net, &more, &pts, 1e9);
            for (a, b) in got.iter().zip(&after) {
                prop_assert!(b <= a);
            }
            // A limit cuts exactly at the limit.
            let limited = nearest(&net, &sources, &pts, 250.0);
            for (g, l) in got.iter().zip(&limited) {
                if *g <= 250.0 { prop_assert_eq!(g, l); } else { prop_assert!(l.is_infinite()); }
            }
        }
    }
}

//! Coverage: for every address point, the walking distance to the nearest facility of each
//! category, with one bounded multi-source search per category (no per-facility loops), and
//! the shares of households covered per area (grid, community) and threshold, with the
//! life-circle completeness rate (达标率: households that reach every category a circle
//! requires within that circle).

use super::network::WalkNetwork;
use super::search::multi_source;
use super::snap::{Snap, Snapper};
use crate::Progress;
use geo_types::Point;
use std::collections::HashMap;

/// Walking distance of a point not reached within the search limit.
pub const NOT_REACHED: f64 = f64::INFINITY;

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
    /// Runs the searches.
    pub fn compute(input: &CoverageInput, progress: &dyn Progress) -> Self {
        let net = input.net;
        let point_snaps: Vec<Option<Snap>> = input
            .points
            .iter()
            .map(|p| input.snapper.snap(net, *p, input.max_snap_m))
            .collect();
        let mut by_cat: HashMap<&str, Vec<Snap>> = HashMap::new();
        let mut unsnapped_facilities = Vec::new();
        for (i, (cat, p)) in input.facilities.iter().enumerate() {
            match input.snapper.snap(net, *p, input.max_snap_m) {
                Some(s) => by_cat.entry(cat.as_str()).or_default().push(s),
                None => unsnapped_facilities.push(i),
            }
        }
        progress.start("walking coverage", Some(input.categories.len() as u64));
        let mut walk_m = Vec::with_capacity(input.categories.len());
        let mut facilities = Vec::with_capacity(input.categories.len());
        for cat in input.categories {
            let snaps = by_cat.get(cat.as_str()).map(Vec::as_slice).unwrap_or(&[]);
            facilities.push(snaps.len());
            walk_m.push(nearest(net, snaps, &point_snaps, input.limit_m));
            progress.advance(1);
        }
        progress.finish();
        Self {
            categories: input.categories.to_vec(),
            walk_m,
            point_snaps,
            facilities,
            unsnapped_facilities,
        }
    }

    /// Address points that did not snap onto the network.
    pub fn unsnapped_points(&self) -> usize {
        self.point_snaps.iter().filter(|s| s.is_none()).count()
    }

    /// Shares per area. `area_of[p]` is the area of point `p` (index into `areas`),
    /// `thresholds_m` the distances of the thresholds, `circles` the (distance, category
    /// indices) of each life circle.
    pub fn summarise(
        &self,
        households: &[u32],
        area_of: &[Option<usize>],
        areas: &[String],
        thresholds_m: &[f64],
        circles: &[(f64, Vec<usize>)],
    ) -> Vec<AreaShare> {
        let mut out: Vec<AreaShare> = areas
            .iter()
            .map(|a| AreaShare {
                area: a.clone(),
                households: 0,
                covered: vec![vec![0; self.categories.len()]; thresholds_m.len()],
                complete: vec![0; circles.len()],
            })
            .collect();
        for (p, &h) in households.iter().enumerate() {
            let Some(a) = area_of.get(p).copied().flatten() else {
                continue;
            };
            let h = u64::from(h);
            let s = &mut out[a];
            s.households += h;
            for (k, &t) in thresholds_m.iter().enumerate() {
                for c in 0..self.categories.len() {
                    if self.walk_m[c][p] <= t {
                        s.covered[k][c] += h;
                    }
                }
            }
            for (i, (t, cats)) in circles.iter().enumerate() {
                if cats.iter().all(|&c| self.walk_m[c][p] <= *t) {
                    s.complete[i] += h;
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
    let mut starts = Vec::with_capacity(sources.len() * 2);
    let mut on_edge: HashMap<usize, Vec<(f64, f64)>> = HashMap::new();
    for s in sources {
        let e = net.edges[s.edge];
        starts.push((e.a, s.off_m + s.t * e.cost_m));
        starts.push((e.b, s.off_m + (1.0 - s.t) * e.cost_m));
        on_edge.entry(s.edge).or_default().push((s.t, s.off_m));
    }
    let dist = multi_source(net, &starts, limit_m);
    points
        .iter()
        .map(|p| {
            let Some(p) = p else { return NOT_REACHED };
            let e = net.edges[p.edge];
            let mut d = (dist[e.a] + p.t * e.cost_m).min(dist[e.b] + (1.0 - p.t) * e.cost_m);
            // A facility on the same edge is reached along it.
            if let Some(fs) = on_edge.get(&p.edge) {
                for &(t, off) in fs {
                    d = d.min(off + (p.t - t).abs() * e.cost_m);
                }
            }
            let d = d + p.off_m;
            if d <= limit_m { d } else { NOT_REACHED }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::LocalFrame;
    use crate::walk::WalkEdge;
    use geo_types::Coord;
    use proptest::prelude::*;

    /// A random connected grid-like network in local metres.
    fn network(n_side: usize, lengths: &[f64]) -> WalkNetwork {
        let frame = LocalFrame::new(118.8, 32.05);
        let mut nodes = Vec::new();
        for j in 0..n_side {
            for i in 0..n_side {
                nodes.push(Coord {
                    x: i as f64 * 100.0,
                    y: j as f64 * 100.0,
                });
            }
        }
        let mut edges = Vec::new();
        let mut adj = vec![Vec::new(); nodes.len()];
        let mut k = 0;
        for j in 0..n_side {
            for i in 0..n_side {
                let a = j * n_side + i;
                for b in [
                    (i + 1 < n_side).then(|| a + 1),
                    (j + 1 < n_side).then(|| a + n_side),
                ]
                .into_iter()
                .flatten()
                {
                    let len = 100.0;
                    let cost = len * lengths[k % lengths.len()];
                    k += 1;
                    adj[a].push((b, edges.len()));
                    adj[b].push((a, edges.len()));
                    edges.push(WalkEdge {
                        a,
                        b,
                        length_m: len,
                        cost_m: cost,
                    });
                }
            }
        }
        WalkNetwork {
            frame,
            nodes,
            edges,
            adj,
            streets_used: 0,
            streets_excluded: 0,
            parallel_collapsed: 0,
            islands: vec![],
        }
    }

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

    fn snap_strategy(edges: usize) -> impl Strategy<Value = Snap> {
        (0..edges, 0.0..=1.0f64, 0.0..30.0f64).prop_map(|(edge, t, off_m)| Snap { edge, t, off_m })
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

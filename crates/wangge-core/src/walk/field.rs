//! The distance field of one facility category: walking cost from the nearest facility to
//! every node within a limit, and to any snapped point. What-if changes (add or remove one
//! facility) update it by a bounded local search instead of a new search from every source.

use super::network::WalkNetwork;
use super::search::{multi_source, relax_into};
use super::snap::Snap;
use std::collections::HashMap;

/// Walking distance of a point not reached within the limit.
pub const NOT_REACHED: f64 = f64::INFINITY;

/// Distances from the nearest of a set of facilities.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub limit_m: f64,
    /// Per node: cost from the nearest facility (`INFINITY` beyond the limit).
    pub dist: Vec<f64>,
    /// The facilities (their snaps); removed ones are `None`.
    pub sources: Vec<Option<Snap>>,
    /// Facilities on each edge: (facility, t, off).
    on_edge: HashMap<usize, Vec<(usize, f64, f64)>>,
}

impl Field {
    /// One multi-source search from every facility.
    pub fn new(net: &WalkNetwork, sources: &[Snap], limit_m: f64) -> Self {
        let mut starts = Vec::with_capacity(sources.len() * 2);
        let mut on_edge: HashMap<usize, Vec<(usize, f64, f64)>> = HashMap::new();
        for (i, s) in sources.iter().enumerate() {
            starts.extend(s.ends(net));
            on_edge.entry(s.edge).or_default().push((i, s.t, s.off_m));
        }
        Self {
            limit_m,
            dist: multi_source(net, &starts, limit_m),
            sources: sources.iter().copied().map(Some).collect(),
            on_edge,
        }
    }

    /// Walking distance from the nearest facility to a snapped point ([`NOT_REACHED`] beyond
    /// the limit).
    pub fn at(&self, net: &WalkNetwork, p: &Snap) -> f64 {
        let e = net.edges[p.edge];
        let mut d = (self.dist[e.a] + p.t * e.cost_m).min(self.dist[e.b] + (1.0 - p.t) * e.cost_m);
        if let Some(fs) = self.on_edge.get(&p.edge) {
            for &(_, t, off) in fs {
                d = d.min(off + (p.t - t).abs() * e.cost_m);
            }
        }
        let d = d + p.off_m;
        if d <= self.limit_m { d } else { NOT_REACHED }
    }

    /// Households at snapped points within `threshold_m` of a facility, in all and per area
    /// (`area_of[p]`, one of `areas`): what siting and what-if count before and after, in the
    /// CLI and the API.
    pub fn covered(
        &self,
        net: &WalkNetwork,
        points: &[Option<Snap>],
        households: &[u32],
        threshold_m: f64,
        area_of: Option<(&[Option<usize>], usize)>,
    ) -> (u64, Vec<u64>) {
        let mut per = vec![0u64; area_of.map_or(0, |a| a.1)];
        let mut all = 0;
        for (p, s) in points.iter().enumerate() {
            if s.is_some_and(|s| self.at(net, &s) <= threshold_m) {
                let h = u64::from(households[p]);
                all += h;
                if let Some(a) = area_of.and_then(|(of, _)| of[p]) {
                    per[a] += h;
                }
            }
        }
        (all, per)
    }

    /// Adds a facility: a search bounded by the limit from it alone, kept where it is nearer.
    /// Returns its index.
    pub fn add(&mut self, net: &WalkNetwork, s: Snap) -> usize {
        let own = multi_source(net, &s.ends(net), self.limit_m);
        for (d, o) in self.dist.iter_mut().zip(own) {
            if o < *d {
                *d = o;
            }
        }
        let i = self.sources.len();
        self.sources.push(Some(s));
        self.on_edge
            .entry(s.edge)
            .or_default()
            .push((i, s.t, s.off_m));
        i
    }

    /// Removes facility `i`: the nodes it served (those its own bounded search reaches at
    /// their current distance) are searched again from their unaffected neighbours and the
    /// facilities among them. Everything else keeps its distance.
    pub fn remove(&mut self, net: &WalkNetwork, i: usize) {
        let Some(s) = self.sources.get_mut(i).and_then(Option::take) else {
            return;
        };
        if let Some(fs) = self.on_edge.get_mut(&s.edge) {
            fs.retain(|f| f.0 != i);
        }
        let own = multi_source(net, &s.ends(net), self.limit_m);
        let affected: Vec<usize> = (0..self.dist.len())
            .filter(|&v| own[v].is_finite() && own[v] <= self.dist[v] + 1e-9)
            .collect();
        let mut is_affected = vec![false; self.dist.len()];
        for &v in &affected {
            is_affected[v] = true;
            self.dist[v] = f64::INFINITY;
        }
        // Seeds: the other facilities' own ends inside the region, and every unaffected
        // neighbour's distance carried over its edge.
        let mut seeds: Vec<(usize, f64)> = Vec::new();
        for other in self.sources.iter().flatten() {
            for (n, c) in other.ends(net) {
                if is_affected[n] {
                    seeds.push((n, c));
                }
            }
        }
        for &v in &affected {
            for &(u, e) in &net.adj[v] {
                if !is_affected[u] && self.dist[u].is_finite() {
                    seeds.push((v, self.dist[u] + net.edges[e].cost_m));
                }
            }
        }
        // Dijkstra restricted to the affected nodes.
        relax_into(
            net,
            &mut self.dist,
            &seeds,
            self.limit_m,
            |v| is_affected[v],
            None,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::walk::testing::{network, snap_strategy};
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Adding or removing one facility locally gives the same field as a new search.
        #[test]
        fn what_if_equals_a_search_from_scratch(
            factors in prop::collection::vec(1.0..1.5f64, 1..12),
            sources in prop::collection::vec(snap_strategy(60), 1..6),
            extra in snap_strategy(60),
            gone in 0usize..6,
            limit in 150.0..900.0f64,
        ) {
            let net = network(6, &factors);
            let mut f = Field::new(&net, &sources, limit);
            f.add(&net, extra);
            let mut all = sources.clone();
            all.push(extra);
            let fresh = Field::new(&net, &all, limit);
            prop_assert_eq!(&f.dist, &fresh.dist);
            let gone = gone % all.len();
            f.remove(&net, gone);
            all.remove(gone);
            let fresh = Field::new(&net, &all, limit);
            for (a, b) in f.dist.iter().zip(&fresh.dist) {
                prop_assert!(a == b || (a - b).abs() < 1e-9, "{a} vs {b}");
            }
            // Points see the same distances too (facilities on their edge included).
            for e in 0..net.edges.len() {
                let p = Snap { edge: e, t: 0.3, off_m: 5.0 };
                let (a, b) = (f.at(&net, &p), fresh.at(&net, &p));
                prop_assert!(a == b || (a - b).abs() < 1e-9, "edge {e}: {a} vs {b}");
            }
        }
    }
}

//! Facility siting: greedy maximal covering with swap passes. Proposes `k` new sites
//! (candidate snaps: the user's list, or every walkable node within reach of an uncovered
//! household) that bring the most households not yet within the threshold into it, with
//! each site's marginal gain. Swap passes then replace single sites while that gains.

use super::field::Field;
use super::network::WalkNetwork;
use super::search::relax_into;
use super::snap::Snap;
use std::collections::BinaryHeap;

/// One proposed site.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Proposal {
    /// Index into the candidates.
    pub candidate: usize,
    pub snap: Snap,
    /// Households it newly covers, after the sites before it.
    pub gain: u64,
}

/// The answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Siting {
    pub sites: Vec<Proposal>,
    pub households: u64,
    pub covered_before: u64,
    pub covered_after: u64,
    /// Swaps the improvement pass made.
    pub swaps: usize,
    pub candidates: usize,
}

/// What the siting works on.
pub struct SitingInput<'a> {
    pub net: &'a WalkNetwork,
    /// The category's current distances (limit at least `threshold_m`).
    pub field: &'a Field,
    pub points: &'a [Option<Snap>],
    pub households: &'a [u32],
    pub threshold_m: f64,
    /// Candidate sites; `None`: every node within reach of an uncovered household.
    pub candidates: Option<&'a [Snap]>,
    pub k: usize,
}

/// Most improvement passes of single swaps.
const SWAP_PASSES: usize = 10;

/// Dijkstra scratch space reused across bounded searches.
struct Scratch {
    dist: Vec<f64>,
    touched: Vec<usize>,
}

impl Scratch {
    fn search(&mut self, net: &WalkNetwork, starts: &[(usize, f64)], limit: f64) {
        for &v in &self.touched {
            self.dist[v] = f64::INFINITY;
        }
        self.touched.clear();
        relax_into(
            net,
            &mut self.dist,
            starts,
            limit,
            |_| true,
            Some(&mut self.touched),
        );
    }
}

// Long: lazy greedy then swap passes then ranking over the same cover sets and counts (maximal
// covering); split, each phase would pass the candidate tables.
/// Greedy maximal covering, then single-site swaps while they gain.
pub fn site(input: &SitingInput) -> Siting {
    let net = input.net;
    let t = input.threshold_m;
    let hh = |p: usize| u64::from(input.households[p]);
    let mut households = 0;
    let mut covered_before = 0;
    let mut uncovered: Vec<usize> = Vec::new();
    for (p, s) in input.points.iter().enumerate() {
        households += hh(p);
        match s {
            Some(s) if input.field.at(net, s) <= t => covered_before += hh(p),
            Some(_) => uncovered.push(p),
            None => {}
        }
    }
    let mut on_edge: Vec<Vec<usize>> = vec![Vec::new(); net.edges.len()];
    for &p in &uncovered {
        if let Some(s) = input.points[p] {
            on_edge[s.edge].push(p);
        }
    }
    let mut scratch = Scratch {
        dist: vec![f64::INFINITY; net.nodes.len()],
        touched: Vec::new(),
    };
    // Candidates: given, or every node an uncovered household reaches within the threshold.
    let candidates: Vec<Snap> = match input.candidates {
        Some(c) => c.to_vec(),
        None => {
            let starts: Vec<(usize, f64)> = uncovered
                .iter()
                .filter_map(|&p| input.points[p])
                .flat_map(|s| s.ends(net))
                .collect();
            scratch.search(net, &starts, t);
            let mut nodes = scratch.touched.clone();
            nodes.sort_unstable();
            nodes
                .into_iter()
                .filter_map(|v| {
                    let &(_, e) = net.adj[v].first()?;
                    let edge = net.edges[e];
                    Some(Snap {
                        edge: e,
                        t: if edge.a == v { 0.0 } else { 1.0 },
                        off_m: 0.0,
                    })
                })
                .collect()
        }
    };
    // What each candidate covers among the uncovered points.
    let mut seen_edge = vec![false; net.edges.len()];
    let covers: Vec<Vec<usize>> = candidates
        .iter()
        .map(|c| {
            scratch.search(net, &c.ends(net), t);
            let mut out = Vec::new();
            let mut edges_seen = Vec::new();
            for &v in &scratch.touched {
                for &(_, e) in &net.adj[v] {
                    if seen_edge[e] {
                        continue;
                    }
                    seen_edge[e] = true;
                    edges_seen.push(e);
                    let edge = net.edges[e];
                    for &p in &on_edge[e] {
                        let s = input.points[p].expect("uncovered points are snapped");
                        let mut d = (scratch.dist[edge.a] + s.t * edge.cost_m)
                            .min(scratch.dist[edge.b] + (1.0 - s.t) * edge.cost_m);
                        if c.edge == e {
                            d = d.min(c.off_m + (s.t - c.t).abs() * edge.cost_m);
                        }
                        if d + s.off_m <= t {
                            out.push(p);
                        }
                    }
                }
            }
            // A candidate on an edge no search node touches (both ends beyond reach).
            if !seen_edge[c.edge] {
                for &p in &on_edge[c.edge] {
                    let s = input.points[p].expect("snapped");
                    let edge = net.edges[c.edge];
                    if c.off_m + (s.t - c.t).abs() * edge.cost_m + s.off_m <= t {
                        out.push(p);
                    }
                }
            }
            for e in edges_seen {
                seen_edge[e] = false;
            }
            out
        })
        .collect();

    // Lazy greedy: stale gains are upper bounds (coverage is submodular).
    let mut count = vec![0u32; input.points.len()];
    let gain_of = |c: usize, count: &[u32]| -> u64 {
        covers[c]
            .iter()
            .filter(|&&p| count[p] == 0)
            .map(|&p| hh(p))
            .sum()
    };
    let mut heap: BinaryHeap<(u64, std::cmp::Reverse<usize>)> = (0..candidates.len())
        .map(|c| (gain_of(c, &count), std::cmp::Reverse(c)))
        .collect();
    let mut chosen: Vec<usize> = Vec::new();
    while chosen.len() < input.k {
        let Some((g, std::cmp::Reverse(c))) = heap.pop() else {
            break;
        };
        let now = gain_of(c, &count);
        if now < g {
            heap.push((now, std::cmp::Reverse(c)));
            continue;
        }
        if now == 0 {
            break;
        }
        for &p in &covers[c] {
            count[p] += 1;
        }
        chosen.push(c);
    }
    // Swap passes: replace a site by the candidate that covers most without it, while that
    // gains (each swap strictly gains, so this ends; at most `SWAP_PASSES` passes).
    let mut swaps = 0;
    for _ in 0..SWAP_PASSES {
        let mut improved = false;
        for i in 0..chosen.len() {
            let out = chosen[i];
            let loss: u64 = covers[out]
                .iter()
                .filter(|&&p| count[p] == 1)
                .map(|&p| hh(p))
                .sum();
            for &p in &covers[out] {
                count[p] -= 1;
            }
            let best = (0..candidates.len())
                .filter(|c| !chosen.contains(c))
                .map(|c| (gain_of(c, &count), std::cmp::Reverse(c)))
                .max();
            let replace = match best {
                Some((g, std::cmp::Reverse(c))) if g > loss => c,
                _ => out,
            };
            if replace != out {
                swaps += 1;
                improved = true;
            }
            chosen[i] = replace;
            for &p in &covers[replace] {
                count[p] += 1;
            }
        }
        if !improved {
            break;
        }
    }
    // The chosen sites ranked greedily among themselves: each next brings the most, so
    // the marginal gains never grow down the list.
    let mut count = vec![0u32; input.points.len()];
    let mut sites = Vec::new();
    let mut added = 0;
    let mut left = chosen;
    while !left.is_empty() {
        let (i, g) = left
            .iter()
            .enumerate()
            .map(|(i, &c)| (i, gain_of(c, &count)))
            .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)))
            .expect("not empty");
        let c = left.remove(i);
        for &p in &covers[c] {
            count[p] += 1;
        }
        added += g;
        sites.push(Proposal {
            candidate: c,
            snap: candidates[c],
            gain: g,
        });
    }
    Siting {
        sites,
        households,
        covered_before,
        covered_after: covered_before + added,
        swaps,
        candidates: candidates.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::walk::testing::{network, snap_strategy};
    use proptest::prelude::*;

    /// Best total over every k-subset of candidates (brute force).
    fn optimum(input: &SitingInput, candidates: &[Snap], k: usize) -> u64 {
        let n = candidates.len();
        let mut best = 0;
        let mut idx: Vec<usize> = (0..k.min(n)).collect();
        loop {
            let mut f = input.field.clone();
            for &i in &idx {
                f.add(input.net, candidates[i]);
            }
            let covered: u64 = input
                .points
                .iter()
                .enumerate()
                .filter(|(_, s)| s.is_some_and(|s| f.at(input.net, &s) <= input.threshold_m))
                .map(|(p, _)| u64::from(input.households[p]))
                .sum();
            best = best.max(covered);
            // Next combination.
            let mut i = idx.len();
            loop {
                if i == 0 {
                    return best;
                }
                i -= 1;
                if idx[i] < n - idx.len() + i {
                    idx[i] += 1;
                    for j in i + 1..idx.len() {
                        idx[j] = idx[j - 1] + 1;
                    }
                    break;
                }
            }
        }
    }

    type Instance = (Vec<f64>, Vec<Snap>, Vec<(Snap, u32)>, Vec<Snap>, usize);

    fn instance() -> impl Strategy<Value = Instance> {
        (
            prop::collection::vec(1.0..1.5f64, 1..12),
            prop::collection::vec(snap_strategy(112), 1..3),
            prop::collection::vec((snap_strategy(112), 1u32..120), 20..80),
            prop::collection::vec(snap_strategy(112), 4..11),
            1usize..4,
        )
    }

    /// (what the proposal covers, what adding its sites really covers, the optimum).
    fn solve(inst: &Instance) -> (u64, u64, u64) {
        let (factors, facilities, points, candidates, k) = inst;
        let net = network(8, factors);
        let field = Field::new(&net, facilities, 400.0);
        let snaps: Vec<Option<Snap>> = points.iter().map(|(s, _)| Some(*s)).collect();
        let households: Vec<u32> = points.iter().map(|(_, h)| *h).collect();
        let input = SitingInput {
            net: &net,
            field: &field,
            points: &snaps,
            households: &households,
            threshold_m: 400.0,
            candidates: Some(candidates),
            k: *k,
        };
        let s = site(&input);
        let mut f = field.clone();
        for p in &s.sites {
            f.add(&net, p.snap);
        }
        let real: u64 = snaps
            .iter()
            .zip(&households)
            .filter(|(p, _)| p.is_some_and(|p| f.at(&net, &p) <= 400.0))
            .map(|(_, &h)| u64::from(h))
            .sum();
        (s.covered_after, real, optimum(&input, candidates, *k))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// The reported total is what adding the sites really achieves, and never below the
        /// greedy guarantee of 1 - 1/e of the best choice of k among the candidates.
        #[test]
        fn proposals_are_real_and_within_the_greedy_bound(inst in instance()) {
            let (reported, real, opt) = solve(&inst);
            prop_assert_eq!(reported, real);
            prop_assert!(reported as f64 >= (1.0 - (-1.0f64).exp()) * opt as f64, "{reported} vs {opt}");
        }
    }

    /// On 300 seeded random instances the proposals reach 98 % of the optimum on average.
    #[test]
    fn near_optimal_on_average() {
        use proptest::strategy::ValueTree;
        let mut runner = proptest::test_runner::TestRunner::deterministic();
        let (mut sum, mut worst, n) = (0.0, 1.0f64, 300);
        for _ in 0..n {
            let inst = instance()
                .new_tree(&mut runner)
                .expect("instance")
                .current();
            let (reported, _, opt) = solve(&inst);
            let r = if opt == 0 {
                1.0
            } else {
                reported as f64 / opt as f64
            };
            sum += r;
            worst = worst.min(r);
        }
        let mean = sum / f64::from(n);
        assert!(mean >= 0.98, "mean {mean:.4}, worst {worst:.4}");
        eprintln!("siting vs optimum over {n} instances: mean {mean:.4}, worst {worst:.4}");
    }
}

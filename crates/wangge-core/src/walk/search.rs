//! Bounded multi-source Dijkstra on the walking network.

use super::network::WalkNetwork;
use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// A heap entry: (cost, node), popped cheapest first.
#[derive(PartialEq)]
struct Item(f64, usize);

impl Eq for Item {}

impl Ord for Item {
    fn cmp(&self, other: &Self) -> Ordering {
        // Min-heap on cost, ties by node for determinism.
        other.0.total_cmp(&self.0).then(other.1.cmp(&self.1))
    }
}

impl PartialOrd for Item {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Walking cost (m) from the nearest source to every node, `f64::INFINITY` beyond `limit_m`.
/// `sources` are (node, starting cost). One search for all sources: no per-source loops.
pub fn multi_source(net: &WalkNetwork, sources: &[(usize, f64)], limit_m: f64) -> Vec<f64> {
    let mut dist = vec![f64::INFINITY; net.nodes.len()];
    relax_into(net, &mut dist, sources, limit_m, |_| true, None);
    dist
}

/// Dijkstra into `dist` (current distances; lowered where the sources do better) within
/// `limit_m`, entering only nodes `allowed` admits. Nodes reached for the first time (their
/// distance was infinite) are listed in `touched`.
pub(crate) fn relax_into(
    net: &WalkNetwork,
    dist: &mut [f64],
    sources: &[(usize, f64)],
    limit_m: f64,
    allowed: impl Fn(usize) -> bool,
    mut touched: Option<&mut Vec<usize>>,
) {
    let mut heap = BinaryHeap::new();
    let mut lower = |n: usize, c: f64, dist: &mut [f64], heap: &mut BinaryHeap<Item>| {
        if c <= limit_m && c < dist[n] {
            if dist[n].is_infinite()
                && let Some(t) = touched.as_deref_mut()
            {
                t.push(n);
            }
            dist[n] = c;
            heap.push(Item(c, n));
        }
    };
    for &(n, c) in sources {
        lower(n, c, dist, &mut heap);
    }
    while let Some(Item(d, u)) = heap.pop() {
        if d > dist[u] {
            continue;
        }
        for &(v, e) in &net.adj[u] {
            if allowed(v) {
                lower(v, d + net.edges[e].cost_m, dist, &mut heap);
            }
        }
    }
}

//! Bounded multi-source Dijkstra on the walking network.

use super::network::WalkNetwork;
use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// A heap entry: (cost, node), popped cheapest first.
#[derive(PartialEq)]
pub(crate) struct Item(pub f64, pub usize);

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
    let mut heap = BinaryHeap::new();
    for &(n, c) in sources {
        if c <= limit_m && c < dist[n] {
            dist[n] = c;
            heap.push(Item(c, n));
        }
    }
    while let Some(Item(d, u)) = heap.pop() {
        if d > dist[u] {
            continue;
        }
        for &(v, e) in &net.adj[u] {
            let nd = d + net.edges[e].cost_m;
            if nd < dist[v] && nd <= limit_m {
                dist[v] = nd;
                heap.push(Item(nd, v));
            }
        }
    }
    dist
}

//! Test helpers: small grid networks with random costs and random snaps.

use super::network::{WalkEdge, WalkNetwork};
use super::snap::Snap;
use crate::LocalFrame;
use geo_types::Coord;
use proptest::prelude::*;

/// A random connected grid-like network in local metres.
pub fn network(n_side: usize, lengths: &[f64]) -> WalkNetwork {
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

pub fn snap_strategy(edges: usize) -> impl Strategy<Value = Snap> {
    (0..edges, 0.0..=1.0f64, 0.0..30.0f64).prop_map(|(edge, t, off_m)| Snap { edge, t, off_m })
}

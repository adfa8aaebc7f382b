//! Whole street blocks as units: the free units of each block that fits the cap become one
//! node, so that a plan on the contracted graph keeps every such block in one grid and draws
//! its boundaries along streets. Blocks above the cap keep their units.

use super::edge::{ARTERIAL, Edge};
use geo_types::Coord;
use std::collections::HashMap;

/// A contracted graph over the free units.
pub struct Contracted {
    pub adj: Vec<Vec<Edge>>,
    pub at: Vec<Coord<f64>>,
    pub households: Vec<u32>,
    /// Units of each node.
    pub members: Vec<Vec<usize>>,
}

impl Contracted {
    /// Grids of nodes back to grids of units.
    pub fn expand(&self, grids: Vec<Vec<usize>>) -> Vec<Vec<usize>> {
        grids
            .into_iter()
            .map(|g| {
                g.into_iter()
                    .flat_map(|v| self.members[v].iter().copied())
                    .collect()
            })
            .collect()
    }
}

/// Contracts the `free` units by block (`block[u]`), each block whose households fit `cap`
/// into one node. None when no block has two or more units that fit.
pub fn by_blocks(
    adj: &[Vec<Edge>],
    at: &[Coord<f64>],
    households: &[u32],
    free: &[usize],
    block: &[usize],
    cap: u32,
) -> Option<Contracted> {
    let mut per_block: HashMap<usize, (u64, Vec<usize>)> = HashMap::new();
    for &u in free {
        let e = per_block.entry(block[u]).or_default();
        e.0 += u64::from(households[u]);
        e.1.push(u);
    }
    let mut blocks: Vec<(usize, (u64, Vec<usize>))> = per_block.into_iter().collect();
    blocks.sort_by_key(|b| b.0);
    let mut members: Vec<Vec<usize>> = Vec::new();
    let mut merged = false;
    for (_, (hh, units)) in blocks {
        if hh <= u64::from(cap) && units.len() > 1 {
            merged = true;
            members.push(units);
        } else {
            members.extend(units.into_iter().map(|u| vec![u]));
        }
    }
    if !merged {
        return None;
    }
    let mut node = vec![usize::MAX; adj.len()];
    for (v, m) in members.iter().enumerate() {
        for &u in m {
            node[u] = v;
        }
    }
    let m = members.len();
    let mut sums: Vec<HashMap<usize, (f64, f64)>> = vec![HashMap::new(); m];
    for &u in free {
        for e in &adj[u] {
            let (a, b) = (node[u], node.get(e.to).copied().unwrap_or(usize::MAX));
            if b == usize::MAX || a == b {
                continue;
            }
            let s = sums[a].entry(b).or_default();
            s.0 += e.weight;
            s.1 += e.length_m;
        }
    }
    let adj: Vec<Vec<Edge>> = sums
        .into_iter()
        .map(|row| {
            let mut row: Vec<Edge> = row
                .into_iter()
                .map(|(to, (weight, length_m))| Edge {
                    to,
                    weight,
                    length_m,
                    street: (weight / length_m.max(f64::MIN_POSITIVE)).clamp(ARTERIAL, 1.0),
                })
                .collect();
            row.sort_by_key(|e| e.to);
            row
        })
        .collect();
    let node_households: Vec<u32> = members
        .iter()
        .map(|g| g.iter().map(|&u| households[u]).sum())
        .collect();
    let at = members
        .iter()
        .map(|g| {
            let w: f64 = g.iter().map(|&u| f64::from(households[u].max(1))).sum();
            let (x, y) = g.iter().fold((0.0, 0.0), |(x, y), &u| {
                let k = f64::from(households[u].max(1));
                (x + at[u].x * k, y + at[u].y * k)
            });
            Coord { x: x / w, y: y / w }
        })
        .collect();
    Some(Contracted {
        adj,
        at,
        households: node_households,
        members,
    })
}

/// The adjacency without edges across arterials (grids built on it never span one).
pub fn without_arterials(adj: &[Vec<Edge>]) -> Option<Vec<Vec<Edge>>> {
    let any = adj.iter().flatten().any(|e| e.street <= ARTERIAL);
    any.then(|| {
        adj.iter()
            .map(|row| {
                row.iter()
                    .filter(|e| e.street > ARTERIAL)
                    .copied()
                    .collect()
            })
            .collect()
    })
}

/// The connected parts of the `units` on `adj` (each sorted; in order of their first unit).
pub fn components(adj: &[Vec<Edge>], units: &[usize]) -> Vec<Vec<usize>> {
    let mut inside = vec![false; adj.len()];
    for &u in units {
        inside[u] = true;
    }
    let mut seen = vec![false; adj.len()];
    let mut out = Vec::new();
    for &start in units {
        if seen[start] {
            continue;
        }
        seen[start] = true;
        let mut part = vec![start];
        let mut stack = vec![start];
        while let Some(u) = stack.pop() {
            for e in &adj[u] {
                if inside[e.to] && !seen[e.to] {
                    seen[e.to] = true;
                    part.push(e.to);
                    stack.push(e.to);
                }
            }
        }
        part.sort_unstable();
        out.push(part);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::partition::edge::path_graph;

    #[test]
    fn blocks_that_fit_become_one_node() {
        // Units 0..6 on a path; blocks {0,1,2} (90 households), {3,4,5} (300 households).
        let adj = path_graph(6);
        let at: Vec<Coord<f64>> = (0..6)
            .map(|i| Coord {
                x: f64::from(i),
                y: 0.0,
            })
            .collect();
        let hh = [30, 30, 30, 100, 100, 100];
        let block = [0, 0, 0, 1, 1, 1];
        let c = by_blocks(&adj, &at, &hh, &[0, 1, 2, 3, 4, 5], &block, 200).expect("merged");
        assert_eq!(c.members.len(), 4);
        assert_eq!(c.households, vec![90, 100, 100, 100]);
        assert_eq!(c.adj[0].len(), 1);
        assert_eq!(
            c.expand(vec![vec![0, 1], vec![2, 3]]),
            vec![vec![0, 1, 2, 3], vec![4, 5]]
        );
    }

    #[test]
    fn arterial_edges_go() {
        let mut adj = path_graph(3);
        adj[0][0].street = ARTERIAL;
        adj[1][0].street = ARTERIAL;
        let cut = without_arterials(&adj).expect("has an arterial");
        assert!(cut[0].is_empty());
        assert_eq!(cut[1].len(), 1);
        assert!(without_arterials(&path_graph(3)).is_none());
        assert_eq!(components(&cut, &[0, 1, 2]), vec![vec![0], vec![1, 2]]);
    }
}

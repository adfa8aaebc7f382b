//! The walking network: ways a pedestrian may use, as an undirected graph in local metres.
//! Nodes are the ways' vertices (OSM ways meet at shared nodes, so equal coordinates are one
//! node); every pair of consecutive vertices is an edge with its length and its walking cost
//! (length × a factor: steps are slower). Parallel edges keep the cheapest; connected
//! components are found, and components below a minimum size are reported as islands and
//! left out.

use crate::{LocalFrame, Street};
use geo_types::Coord;
use std::collections::HashMap;

/// Walking-cost factor of a street, or `None` when pedestrians may not use it.
///
/// Footways, paths, pedestrian streets, living streets, residential, service, unclassified
/// and every class from tertiary up are walkable unless `foot=no`, `access=private|no`
/// (without a `foot` permission) or `sidewalk=no|none` on trunks; motorways and trunks only
/// with `foot=yes|designated|permissive`. Steps cost 1.5× their length.
pub fn walk_factor(s: &Street) -> Option<f64> {
    let foot = s.tag("foot");
    let foot_yes = matches!(foot, Some("yes" | "designated" | "permissive"));
    if matches!(foot, Some("no" | "private" | "use_sidepath")) {
        return None;
    }
    if matches!(s.tag("access"), Some("no" | "private")) && !foot_yes {
        return None;
    }
    let class = s.highway.trim_end_matches("_link");
    match class {
        "footway" | "path" | "pedestrian" | "living_street" | "residential" | "service"
        | "unclassified" | "track" | "cycleway" | "corridor" | "bridleway" | "road"
        | "tertiary" | "secondary" | "primary" => Some(1.0),
        "steps" => Some(1.5),
        "motorway" | "trunk" => foot_yes.then_some(1.0),
        _ => None,
    }
}

/// One edge between two nodes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WalkEdge {
    pub a: usize,
    pub b: usize,
    pub length_m: f64,
    /// Walking cost in equivalent metres on the flat (length × factor).
    pub cost_m: f64,
}

/// A small component left out of the network.
#[derive(Debug, Clone, PartialEq)]
pub struct Island {
    pub nodes: usize,
    pub length_m: f64,
    /// A node of it (lon/lat), to find it on a map.
    pub at: Coord<f64>,
}

/// The walking network.
#[derive(Debug, Clone)]
pub struct WalkNetwork {
    pub frame: LocalFrame,
    /// Node positions in local metres.
    pub nodes: Vec<Coord<f64>>,
    pub edges: Vec<WalkEdge>,
    /// Per node: (neighbour, edge index).
    pub adj: Vec<Vec<(usize, usize)>>,
    /// Streets used, and streets left out as not walkable.
    pub streets_used: usize,
    pub streets_excluded: usize,
    /// Parallel edges collapsed into the cheapest.
    pub parallel_collapsed: usize,
    pub islands: Vec<Island>,
}

impl WalkNetwork {
    // Long: one pass from ways to a compact graph (vertices sorted, edges collapsed,
    // components, islands) over index arrays that the phases share; a million nodes must stay
    // fast.
    /// Builds the network from streets (lon/lat) in `frame`; components with fewer than
    /// `min_component` nodes are islands, reported and left out.
    pub fn build(streets: &[Street], frame: LocalFrame, min_component: usize) -> Self {
        // Vertices by their exact coordinates (sorted, no hashing: a million nodes stay fast).
        let walkable: Vec<(&Street, f64)> = streets
            .iter()
            .filter_map(|s| walk_factor(s).map(|f| (s, f)))
            .collect();
        let (used, excluded) = (walkable.len(), streets.len() - walkable.len());
        let finite = |c: &&Coord<f64>| c.x.is_finite() && c.y.is_finite();
        let mut keys: Vec<(u64, u64)> = walkable
            .iter()
            .flat_map(|(s, _)| s.geometry.0.iter().filter(finite))
            .map(|c| (c.x.to_bits(), c.y.to_bits()))
            .collect();
        keys.sort_unstable();
        keys.dedup();
        let id = |c: &Coord<f64>| {
            keys.binary_search(&(c.x.to_bits(), c.y.to_bits()))
                .expect("every vertex was collected")
        };
        let lonlat: Vec<Coord<f64>> = keys
            .iter()
            .map(|&(x, y)| Coord {
                x: f64::from_bits(x),
                y: f64::from_bits(y),
            })
            .collect();
        let local: Vec<Coord<f64>> = lonlat.iter().map(|c| frame.forward(*c)).collect();
        // Edges (a < b, length, cost); parallel edges keep the cheapest.
        let mut raw: Vec<(usize, usize, f64, f64)> = Vec::new();
        for (s, factor) in &walkable {
            let mut prev: Option<usize> = None;
            for c in &s.geometry.0 {
                if !finite(&c) {
                    prev = None;
                    continue;
                }
                let n = id(c);
                if let Some(p) = prev
                    && p != n
                {
                    let (a, b) = (p.min(n), p.max(n));
                    let len = length(local[a], local[b]);
                    raw.push((a, b, len, len * factor));
                }
                prev = Some(n);
            }
        }
        raw.sort_unstable_by(|x, y| (x.0, x.1).cmp(&(y.0, y.1)).then(x.3.total_cmp(&y.3)));
        let before = raw.len();
        raw.dedup_by(|later, first| (later.0, later.1) == (first.0, first.1));
        let parallel = before - raw.len();
        // Components over all nodes; islands are dropped and the rest renumbered.
        let n = lonlat.len();
        let mut nbr: Vec<Vec<usize>> = vec![Vec::new(); n];
        for &(a, b, _, _) in &raw {
            nbr[a].push(b);
            nbr[b].push(a);
        }
        let mut comp = vec![usize::MAX; n];
        let mut sizes = Vec::new();
        for start in 0..n {
            if comp[start] != usize::MAX {
                continue;
            }
            let c = sizes.len();
            comp[start] = c;
            let mut stack = vec![start];
            let mut size = 0;
            while let Some(u) = stack.pop() {
                size += 1;
                for &v in &nbr[u] {
                    if comp[v] == usize::MAX {
                        comp[v] = c;
                        stack.push(v);
                    }
                }
            }
            sizes.push(size);
        }
        let keep: Vec<bool> = sizes.iter().map(|&s| s >= min_component).collect();
        let mut islands: Vec<Island> = sizes
            .iter()
            .enumerate()
            .filter(|(c, _)| !keep[*c])
            .map(|(c, &size)| Island {
                nodes: size,
                length_m: 0.0,
                at: lonlat[comp
                    .iter()
                    .position(|&x| x == c)
                    .expect("component has a node")],
            })
            .collect();
        let island_of: HashMap<usize, usize> = sizes
            .iter()
            .enumerate()
            .filter(|(c, _)| !keep[*c])
            .enumerate()
            .map(|(k, (c, _))| (c, k))
            .collect();
        let mut new_id = vec![usize::MAX; n];
        let mut nodes = Vec::new();
        for i in 0..n {
            if keep[comp[i]] {
                new_id[i] = nodes.len();
                nodes.push(local[i]);
            }
        }
        let mut edges = Vec::new();
        let mut adj = vec![Vec::new(); nodes.len()];
        for (a, b, len, cost) in raw {
            if !keep[comp[a]] {
                islands[island_of[&comp[a]]].length_m += len;
                continue;
            }
            let (a, b) = (new_id[a], new_id[b]);
            adj[a].push((b, edges.len()));
            adj[b].push((a, edges.len()));
            edges.push(WalkEdge {
                a,
                b,
                length_m: len,
                cost_m: cost,
            });
        }
        Self {
            frame,
            nodes,
            edges,
            adj,
            streets_used: used,
            streets_excluded: excluded,
            parallel_collapsed: parallel,
            islands,
        }
    }

    /// Total length of the edges (m).
    pub fn length_m(&self) -> f64 {
        self.edges.iter().map(|e| e.length_m).sum()
    }
}

fn length(a: Coord<f64>, b: Coord<f64>) -> f64 {
    (a.x - b.x).hypot(a.y - b.y)
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo_types::LineString;
    use std::collections::BTreeMap;

    fn street(highway: &str, tags: &[(&str, &str)], pts: &[(f64, f64)]) -> Street {
        Street {
            key: format!("s{}", pts.len()),
            highway: highway.into(),
            name: None,
            tags: tags
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<BTreeMap<_, _>>(),
            geometry: LineString(pts.iter().map(|&(x, y)| Coord { x, y }).collect()),
        }
    }

    #[test]
    fn pedestrian_rules() {
        assert_eq!(walk_factor(&street("footway", &[], &[])), Some(1.0));
        assert_eq!(walk_factor(&street("steps", &[], &[])), Some(1.5));
        assert_eq!(walk_factor(&street("motorway", &[], &[])), None);
        assert_eq!(
            walk_factor(&street("trunk", &[("foot", "yes")], &[])),
            Some(1.0)
        );
        assert_eq!(
            walk_factor(&street("residential", &[("foot", "no")], &[])),
            None
        );
        assert_eq!(
            walk_factor(&street("service", &[("access", "private")], &[])),
            None
        );
        assert_eq!(
            walk_factor(&street(
                "service",
                &[("access", "private"), ("foot", "yes")],
                &[]
            )),
            Some(1.0)
        );
        assert_eq!(walk_factor(&street("construction", &[], &[])), None);
    }

    #[test]
    fn shared_vertices_join_parallel_edges_collapse_islands_drop() {
        let f = LocalFrame::new(118.8, 32.05);
        let s = vec![
            street("residential", &[], &[(118.8, 32.05), (118.801, 32.05)]),
            street("footway", &[], &[(118.801, 32.05), (118.801, 32.051)]),
            // The same segment again as steps: the cheaper one stays.
            street("steps", &[], &[(118.801, 32.051), (118.801, 32.05)]),
            // An island of two nodes.
            street("footway", &[], &[(118.9, 32.1), (118.9001, 32.1)]),
        ];
        let n = WalkNetwork::build(&s, f, 3);
        assert_eq!(n.nodes.len(), 3);
        assert_eq!(n.edges.len(), 2);
        assert_eq!(n.parallel_collapsed, 1);
        assert_eq!(n.islands.len(), 1);
        assert!(n.edges.iter().all(|e| (e.cost_m - e.length_m).abs() < 1e-9));
        // 0.001° of longitude at 32.05° N is about 94.4 m.
        assert!(
            (n.edges[0].length_m - 94.4).abs() < 0.5,
            "{}",
            n.edges[0].length_m
        );
    }
}

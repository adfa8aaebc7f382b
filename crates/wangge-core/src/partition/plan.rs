//! The partitioner: builder, input and output types, and the run over one community.

use super::bisect::{self, Graph};
use super::cells;
use super::contract;
use super::edge::Edge;
use super::exact;
use super::metrics::Metrics;
use super::repair;
pub use super::street_line::StreetLine;
use super::units::{self, Ent, Split};
use super::violation::Violation;
use crate::LocalFrame;
use geo::{Area, BoundingRect, Centroid, Intersects};
use geo_types::{Coord, MultiPolygon, Point, Polygon};
use thiserror::Error;

/// An address point to place in a grid (lon/lat).
#[derive(Debug, Clone, PartialEq)]
pub struct Entrance {
    pub key: String,
    pub building: Option<String>,
    pub households: u32,
    pub floors: Option<u32>,
    pub location: Point<f64>,
}

/// One community to partition.
#[derive(Debug, Clone, PartialEq)]
pub struct CommunityInput {
    pub code: String,
    pub polygon: MultiPolygon<f64>,
    pub entrances: Vec<Entrance>,
    /// Streets near the community (others are ignored).
    pub streets: Vec<StreetLine>,
    /// Locked grids: (code, address keys). Their units stay together under that code; the
    /// rest of the community is partitioned around them.
    pub locked: Vec<(String, Vec<String>)>,
    /// Incremental mode: grids of the base plan to repair rather than redo, (code, address
    /// keys). They start from their old members; over-cap ones shed their smallest boundary
    /// units to neighbours with room (locked grids included) and split only when nothing fits.
    pub previous: Vec<(String, Vec<String>)>,
    /// Planner's split: the free units (those in no locked grid) form at least two grids,
    /// and are not merged back.
    pub split_free: bool,
}

/// One grid of a plan.
#[derive(Debug, Clone, PartialEq)]
pub struct GridResult {
    /// Community code + 3-digit serial (west→east, north→south).
    pub code: String,
    pub serial: u32,
    pub households: u32,
    /// (entrance key, households of that entrance in this grid).
    pub members: Vec<(String, u32)>,
    /// lon/lat.
    pub polygon: Polygon<f64>,
    pub area_m2: f64,
    pub polsby_popper: f64,
    pub reock: f64,
    /// Service workers at 1 per 100 households.
    pub workers: u32,
    /// Kept from an earlier plan (`--lock`).
    pub locked: bool,
    /// Points inside this grid (lon/lat) for members whose address point lies outside it: a
    /// floor-split entrance's part here is a slice of the entrance's cell away from the door.
    pub anchors: Vec<(String, Point<f64>)>,
}

/// A community's plan.
#[derive(Debug, Clone, PartialEq)]
pub struct CommunityPlan {
    pub code: String,
    pub grids: Vec<GridResult>,
    pub splits: Vec<Split>,
    /// Hard-constraint violations found by the final check (empty when all hold).
    pub violations: Vec<Violation>,
    /// Input that makes a constraint impossible, listed (community parts without address
    /// points that no grid can reach).
    pub exceptions: Vec<String>,
    /// Why the community misses the streets goals (60% of internal boundary along streets,
    /// no grid spanning an arterial), one line per reason; empty when it meets them.
    pub street_notes: Vec<String>,
    pub metrics: Metrics,
}

/// Why a community cannot be partitioned.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum PartitionError {
    /// No address point lies in the community.
    #[error("community {community}: no address points inside; it cannot be divided into grids")]
    NoAddressPoints { community: String },
    /// The community polygon is empty.
    #[error("community {community}: empty polygon")]
    EmptyPolygon { community: String },
    /// A bug: the partitioner failed on this community (the others are still planned).
    #[error(
        "community {community}: the partitioner failed ({message}); this is a bug in wangge, please report it with the workspace"
    )]
    Failed { community: String, message: String },
    /// A cap of 0.
    #[error("the household cap must be at least 1")]
    Cap,
    /// Communities overlap, so an address point there would have no single community and
    /// grid: (community, community, shared m²), and address points in two communities.
    #[error("{}", overlap_message(pairs, points))]
    Overlapping {
        pairs: Vec<(String, String, f64)>,
        /// (address point, community, other community).
        points: Vec<(String, String, String)>,
    },
}

fn overlap_message(pairs: &[(String, String, f64)], points: &[(String, String, String)]) -> String {
    const SHOWN: usize = 10;
    let mut m = format!(
        "{} pairs of communities overlap and {} address points lie in two communities; every address point must have one community, so nothing was partitioned.",
        pairs.len(),
        points.len()
    );
    for (a, b, m2) in pairs.iter().take(SHOWN) {
        m.push_str(&format!("\n  {a} and {b} overlap by {m2:.1} m²"));
    }
    if pairs.len() > SHOWN {
        m.push_str(&format!("\n  and {} more pairs", pairs.len() - SHOWN));
    }
    for (p, a, b) in points.iter().take(SHOWN) {
        m.push_str(&format!("\n  address point {p} lies in {a} and in {b}"));
    }
    if points.len() > SHOWN {
        m.push_str(&format!(
            "\n  and {} more address points",
            points.len() - SHOWN
        ));
    }
    m.push_str("\nFix: clip one community of each pair (QGIS: Vector > Geoprocessing > Difference), or import official community boundaries (they replace OSM-derived communities they cover by more than half), or re-import OSM data with --osm-community-levels for your data's admin levels.");
    m
}

/// Vertices of neighbouring grids this close (m) are one vertex: twice the closing that fuses
/// the parts of a grid, well above the boolean operations' snapping.
pub(super) const STITCH_M: f64 = 2.5e-3;

/// A grid vertex this close (m) to a community edge lies on it.
pub(super) const ON_EDGE_M: f64 = 1e-4;

/// Partitions communities into grids of at most `cap` households.
#[derive(Debug, Clone, PartialEq)]
pub struct Partitioner {
    cap: u32,
    seed: u64,
    pub(super) directions: usize,
    restarts: usize,
    threads: Option<usize>,
    /// Whether the first restart is followed by the exact search (small communities).
    exact: bool,
}

impl Partitioner {
    /// A partitioner with a household cap (Chinese practice: 200).
    pub fn new(cap: u32) -> Result<Self, PartitionError> {
        if cap == 0 {
            return Err(PartitionError::Cap);
        }
        Ok(Self {
            cap,
            seed: 0,
            directions: 12,
            restarts: 4,
            threads: None,
            exact: true,
        })
    }

    /// Seed: rotates the sweep directions (same seed, same plan).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Number of sweep directions tried per cut (default 12).
    pub fn directions(mut self, n: usize) -> Self {
        self.directions = n.max(1);
        self
    }

    /// Restarts with rotated directions per community (default 4); the best plan wins.
    pub fn restarts(mut self, n: usize) -> Self {
        self.restarts = n.max(1);
        self
    }

    /// Worker threads for whole workspaces (default: every core).
    pub fn threads(mut self, n: usize) -> Self {
        self.threads = Some(n.max(1));
        self
    }

    /// Worker threads to use.
    pub fn thread_count(&self) -> usize {
        self.threads.unwrap_or_else(|| {
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1)
        })
    }

    /// The cap.
    pub fn cap(&self) -> u32 {
        self.cap
    }

    /// The search over the free units, streets first: plans on the unit graph and on the
    /// graph of whole street blocks (`block` per unit), each also without the edges across
    /// arterials. A plan that spans no arterial wins when it needs at most 1.10 × the lower
    /// bound of grids (and no more than the best plan); otherwise the fewest grids win; among
    /// equals, the cheapest cut (boundary length, discounted along streets), so that units on
    /// two sides of a street share a grid only when no grouping with as many grids keeps them
    /// apart. Returns the grids and whether their count is proven minimal under contiguity.
    pub(super) fn search(
        &self,
        adj: &[Vec<Edge>],
        at: &[Coord<f64>],
        households: &[u32],
        free: &[usize],
        n: usize,
        block: &[usize],
    ) -> (Vec<Vec<usize>>, bool) {
        if free.is_empty() {
            return (Vec::new(), true);
        }
        let owner_cut = |grids: &[Vec<usize>]| -> f64 {
            let owner = repair::owners(grids, n);
            free.iter()
                .flat_map(|&i| adj[i].iter().map(move |e| (i, e)))
                .filter(|(i, e)| owner[*i] != owner[e.to])
                .map(|(_, e)| e.weight)
                .sum()
        };
        let on_blocks = |adj: &[Vec<Edge>], free: &[usize]| -> Option<Vec<Vec<usize>>> {
            let c = contract::by_blocks(adj, at, households, free, block, self.cap)?;
            let nodes: Vec<usize> = (0..c.members.len()).collect();
            // One restart: more found no fewer grids on whole blocks (low-rise city) and
            // doubled the time.
            let light = Partitioner {
                restarts: self.restarts.min(1),
                exact: false,
                ..self.clone()
            };
            let (grids, _) =
                light.search_on(&c.adj, &c.at, &c.households, &nodes, nodes.len(), false);
            // A block's units need not be connected among themselves (a fixed unit can sit
            // between them): grids are reconnected on the unit graph.
            let mut grids = c.expand(grids);
            repair::reconnect(&mut grids, adj, households, self.cap);
            Some(grids)
        };
        let lb_of = |units: &[usize]| -> usize {
            let hh: u64 = units.iter().map(|&i| u64::from(households[i])).sum();
            hh.div_ceil(u64::from(self.cap)).max(1) as usize
        };
        let lb = lb_of(free);
        let within = arterial_room(lb);
        let pick = |plans: Vec<Vec<Vec<usize>>>| -> Option<Vec<Vec<usize>>> {
            plans
                .into_iter()
                .map(|g| {
                    let w = owner_cut(&g);
                    (g, w)
                })
                .min_by(|a, b| a.0.len().cmp(&b.0.len()).then(a.1.total_cmp(&b.1)))
                .map(|p| p.0)
        };
        // On one graph and set of units: whole blocks first; units when blocks miss the
        // lower bound; the better of the two.
        let best_on = |adj: &[Vec<Edge>], units: &[usize]| -> Vec<Vec<usize>> {
            let mut plans = Vec::new();
            if let Some(g) = on_blocks(adj, units) {
                plans.push(g);
            }
            if plans.iter().all(|g| g.len() > lb_of(units)) {
                plans.push(self.search_on(adj, at, households, units, n, false).0);
            }
            pick(plans).unwrap_or_default()
        };
        // Without arterial edges the community falls into parts between arterials: each part
        // is planned on its own.
        let mut spanning_ok: Vec<Vec<Vec<usize>>> = Vec::new();
        if let Some(cut) = contract::without_arterials(adj) {
            let clear: Vec<Vec<usize>> = contract::components(&cut, free)
                .iter()
                .flat_map(|part| best_on(&cut, part))
                .collect();
            if clear.len() <= within {
                let proven = clear.len() == lb;
                return (clear, proven);
            }
            spanning_ok.push(clear);
        }
        if let Some(g) = on_blocks(adj, free) {
            if g.len() == lb {
                return (g, true);
            }
            spanning_ok.push(g);
        }
        let (full, full_proven) = self.search_on(adj, at, households, free, n, false);
        let full_count = full.len();
        spanning_ok.push(full);
        let best = pick(spanning_ok).unwrap_or_default();
        let proven = best.len() == lb || (full_proven && best.len() == full_count);
        (best, proven)
    }

    /// The search over the free units on one adjacency: restarts (bisection and curve fill),
    /// repair, the exact search for small communities; the plan with the fewest grids, then
    /// the shortest internal boundary. Returns the grids and whether their count is proven
    /// minimal under contiguity on `adj`.
    pub(super) fn search_on(
        &self,
        adj: &[Vec<Edge>],
        at: &[Coord<f64>],
        households: &[u32],
        free: &[usize],
        n: usize,
        split_free: bool,
    ) -> (Vec<Vec<usize>>, bool) {
        // Several restarts with rotated sweep directions; the plan with the fewest grids and
        // then the shortest internal boundary wins. Deterministic for a seed.
        let boundary = |grids: &[Vec<usize>]| -> f64 {
            let owner = repair::owners(grids, n);
            (0..n)
                .flat_map(|i| adj[i].iter().map(move |e| (i, e)))
                .filter(|(i, e)| owner[*i] != owner[e.to])
                .map(|(_, e)| e.length_m)
                .sum()
        };
        let mut best: Option<(usize, f64, Vec<Vec<usize>>)> = None;
        // Small communities: the fewest grids exactly, searched after the first restart; a
        // finished search proves the count minimal under contiguity, and later restarts stop
        // eliminating grids there.
        let mut exact: Option<exact::Exact> = None;
        let mut known_min = 0;
        for r in 0..self.restarts.max(1) {
            let offset = ((self.seed.wrapping_mul(31).wrapping_add(r as u64)) % 997) as f64 / 997.0
                * std::f64::consts::PI
                / self.directions as f64;
            let angles: Vec<f64> = (0..self.directions)
                .map(|j| offset + std::f64::consts::PI * j as f64 / self.directions as f64)
                .collect();
            let g = Graph {
                at,
                households,
                adj,
                cap: self.cap,
                angles: &angles,
                balance: BALANCE[r % BALANCE.len()],
            };
            // Even restarts bisect, odd ones fill along a Hilbert curve (not for a planner's split).
            let mut grids = if free.is_empty() {
                Vec::new()
            } else if r % 2 == 1 && !split_free {
                bisect::curve_fill(&g, free, r / 2)
            } else {
                bisect::partition_at_least(&g, free.to_vec(), if split_free { 2 } else { 1 })
            };
            repair::reconnect(&mut grids, adj, households, self.cap);
            if !split_free {
                repair::merge_small(&mut grids, adj, households, self.cap);
                repair::eliminate(
                    &mut grids,
                    adj,
                    households,
                    self.cap,
                    repair::CHAIN_DEPTH,
                    known_min,
                );
                repair::smooth(&mut grids, adj, households, self.cap, 8);
            }
            repair::reconnect(&mut grids, adj, households, self.cap);
            if r == 0 && !split_free && self.exact {
                exact = exact::fewest_grids(free, adj, households, self.cap, grids.len());
                if let Some(e) = exact.as_ref().filter(|e| e.proven) {
                    known_min = e.better.as_ref().map_or(grids.len(), Vec::len);
                }
            }
            let b = boundary(&grids);
            if best.as_ref().is_none_or(|(count, len, _)| {
                grids.len() < *count || (grids.len() == *count && b < *len)
            }) {
                best = Some((grids.len(), b, grids));
            }
        }
        let mut grids = best.map(|b| b.2).unwrap_or_default();
        // The exact plan wins when it has fewer grids than every restart.
        let mut proven_minimal = false;
        if let Some(exact) = exact {
            proven_minimal = exact.proven;
            if let Some(better) = exact.better.filter(|b| b.len() < grids.len()) {
                grids = better;
                repair::smooth(&mut grids, adj, households, self.cap, 8);
            }
        }
        (grids, proven_minimal)
    }
}

/// Everything a run needs before the search: the community in local metres, units, cells,
/// the unit graph.
pub(super) struct Prepared {
    pub(super) code: String,
    pub(super) frame: LocalFrame,
    pub(super) poly: MultiPolygon<f64>,
    pub(super) u: units::Units,
    pub(super) cells: cells::Cells,
    pub(super) at_site: Vec<Vec<usize>>,
    pub(super) adj: Vec<Vec<Edge>>,
    pub(super) at: Vec<Coord<f64>>,
    pub(super) households: Vec<u32>,
    pub(super) total: u64,
    pub(super) lb: usize,
    /// Floor-split parts: grids of their own.
    pub(super) fixed: Vec<usize>,
    /// Remainder part of a floor-split entrance → the neighbouring site it may join.
    pub(super) attach: std::collections::HashMap<usize, usize>,
    pub(super) free: Vec<usize>,
    pub(super) keys: Vec<String>,
    /// Streets near the community, local metres.
    pub(super) streets: Vec<StreetLine>,
    /// Street block of each unit (its site's; all 0 when no street cuts the community).
    pub(super) block: Vec<usize>,
}

/// The units and adjacency the partitioner works on, for comparing other partitioners on
/// the very same graph (benches/partition_peers.py).
#[derive(Debug, Clone, PartialEq)]
pub struct UnitGraph {
    pub community: String,
    /// Free units (floor-split parts are grids of their own and left out): households,
    /// position (local metres), area and perimeter of the unit's piece of the community.
    pub households: Vec<u32>,
    pub xy: Vec<(f64, f64)>,
    pub area_m2: Vec<f64>,
    pub perimeter_m: Vec<f64>,
    /// (unit, unit, shared boundary length m, street factor), each pair once.
    pub edges: Vec<(usize, usize, f64, f64)>,
    /// Grids taken by floor-split parts.
    pub fixed_grids: usize,
    /// ceil(households / cap) over all units, fixed ones included.
    pub lower_bound: usize,
}

impl Partitioner {
    // Long: the inputs of a run built in dependency order (frame, units, sites, cells, graph,
    // blocks) into one `Prepared`; each step is a call, the length is the wiring.
    pub(super) fn prepare(&self, input: &CommunityInput) -> Result<Prepared, PartitionError> {
        let code = input.code.clone();
        let Some(c) = input.polygon.centroid() else {
            return Err(PartitionError::EmptyPolygon { community: code });
        };
        if input.entrances.is_empty() {
            return Err(PartitionError::NoAddressPoints { community: code });
        }
        let frame = LocalFrame::new(c.x(), c.y());
        let poly = frame.project(&input.polygon);
        let bb = poly.bounding_rect();
        let streets: Vec<StreetLine> = input
            .streets
            .iter()
            .map(|s| StreetLine {
                highway: s.highway.clone(),
                line: frame.project(&s.line),
            })
            .filter(|s| match (s.line.bounding_rect(), bb) {
                (Some(a), Some(b)) => a.intersects(&b),
                _ => false,
            })
            .collect();
        let ents: Vec<Ent> = input
            .entrances
            .iter()
            .map(|e| Ent {
                building: e.building.clone(),
                households: e.households,
                floors: e.floors,
                at: frame.forward(e.location.0),
            })
            .collect();
        let keys: Vec<String> = input.entrances.iter().map(|e| e.key.clone()).collect();
        let mut u = units::build(&ents, &keys, self.cap);
        dedupe_sites(&mut u.sites);
        let cells = cells::build(&u.sites, &poly, &streets);
        // Unit graph from the site graph. Full parts of a floor-split entrance are grids of
        // their own (each a slice of the entrance's cell), so no other unit links to them. The
        // remainder part (top floors) is a leaf linked to the one neighbouring site that shares
        // the longest boundary with the entrance's cell: its slice is cut from that side of the
        // cell, so it can join that neighbour's grid and never holds a grid together.
        let mut at_site: Vec<Vec<usize>> = vec![Vec::new(); u.sites.len()];
        for (i, unit) in u.units.iter().enumerate() {
            at_site[unit.site].push(i);
        }
        let sliced: std::collections::HashSet<usize> = u.sliced_sites.iter().copied().collect();
        let n = u.units.len();
        let mut adj: Vec<Vec<Edge>> = vec![Vec::new(); n];
        for (i, unit) in u.units.iter().enumerate() {
            if sliced.contains(&unit.site) {
                continue;
            }
            for e in &cells.adj[unit.site] {
                if sliced.contains(&e.to) {
                    continue;
                }
                for &v in &at_site[e.to] {
                    adj[i].push(*e);
                    adj[i].last_mut().expect("just pushed").to = v;
                }
            }
        }
        let mut attach: std::collections::HashMap<usize, usize> = std::collections::HashMap::new();
        for &r in &u.remainders {
            let site = u.units[r].site;
            let Some(e) = cells.adj[site]
                .iter()
                .filter(|e| !sliced.contains(&e.to))
                .max_by(|a, b| a.length_m.total_cmp(&b.length_m).then(b.to.cmp(&a.to)))
            else {
                continue;
            };
            attach.insert(r, e.to);
            for &v in &at_site[e.to] {
                adj[r].push(Edge { to: v, ..*e });
                adj[v].push(Edge { to: r, ..*e });
            }
        }
        let mut at: Vec<Coord<f64>> = u.units.iter().map(|x| u.sites[x.site]).collect();
        for (&r, &t) in &attach {
            // The remainder's slice lies on the neighbour's side of the cell.
            let (a, b) = (u.sites[u.units[r].site], u.sites[t]);
            at[r] = Coord {
                x: (a.x + b.x) / 2.0,
                y: (a.y + b.y) / 2.0,
            };
        }
        let households: Vec<u32> = u.units.iter().map(|x| x.households).collect();
        let block: Vec<usize> = u.units.iter().map(|x| cells.block[x.site]).collect();
        let total: u64 = households.iter().map(|&h| u64::from(h)).sum();
        let lb = (total.div_ceil(u64::from(self.cap)) as usize).max(1);
        let (fixed, free): (Vec<usize>, Vec<usize>) =
            (0..n).partition(|&i| sliced.contains(&u.units[i].site) && !attach.contains_key(&i));
        Ok(Prepared {
            code,
            frame,
            poly,
            u,
            cells,
            at_site,
            adj,
            at,
            households,
            total,
            lb,
            fixed,
            free,
            keys,
            attach,
            streets,
            block,
        })
    }

    /// The unit graph of a community (see [`UnitGraph`]).
    pub fn unit_graph(&self, input: &CommunityInput) -> Result<UnitGraph, PartitionError> {
        use geo::{Euclidean, Length};
        let p = self.prepare(input)?;
        let index: std::collections::HashMap<usize, usize> =
            p.free.iter().enumerate().map(|(k, &i)| (i, k)).collect();
        let mut edges = Vec::new();
        for &i in &p.free {
            for e in &p.adj[i] {
                if let (Some(&a), Some(&b)) = (index.get(&i), index.get(&e.to))
                    && a < b
                {
                    edges.push((a, b, e.length_m, e.street));
                }
            }
        }
        let piece = |i: usize| &p.cells.main[p.u.units[i].site];
        Ok(UnitGraph {
            community: p.code,
            households: p.free.iter().map(|&i| p.households[i]).collect(),
            xy: p.free.iter().map(|&i| (p.at[i].x, p.at[i].y)).collect(),
            area_m2: p.free.iter().map(|&i| piece(i).unsigned_area()).collect(),
            perimeter_m: p
                .free
                .iter()
                .map(|&i| {
                    Euclidean.length(piece(i).exterior())
                        + piece(i)
                            .interiors()
                            .iter()
                            .map(|r| Euclidean.length(r))
                            .sum::<f64>()
                })
                .collect(),
            edges,
            fixed_grids: p.fixed.len(),
            lower_bound: p.lb,
        })
    }
}

/// The most grids a plan that spans no arterial may take for `lb`: 1.10 x LB, and at least one
/// grid more than LB (a small community that an arterial crosses is two grids, one on each
/// side).
pub(super) fn arterial_room(lb: usize) -> usize {
    (lb * 11 / 10).max(lb + 1)
}

/// Splits `free` units into those whose address points all belong to one of the `named`
/// grids (code, address keys), grouped by code, and the rest.
pub(super) fn take_named<'a>(
    named: &'a [(String, Vec<String>)],
    free: Vec<usize>,
    units: &[units::Unit],
    keys: &[String],
) -> (std::collections::BTreeMap<&'a str, Vec<usize>>, Vec<usize>) {
    // A floor-split entrance is in several grids: its full parts alone, its remainder with
    // other address points. A key's grid is the only one it is in, or the one grid of those
    // that holds other keys too.
    let mut code_of: std::collections::HashMap<&str, Vec<(&str, usize)>> =
        std::collections::HashMap::new();
    for (c, ks) in named {
        for k in ks {
            code_of
                .entry(k.as_str())
                .or_default()
                .push((c.as_str(), ks.len()));
        }
    }
    let code_of: std::collections::HashMap<&str, &str> = code_of
        .into_iter()
        .filter_map(|(k, cs)| match cs.as_slice() {
            [(c, _)] => Some((k, *c)),
            _ => {
                let shared: Vec<&str> =
                    cs.iter().filter(|(_, n)| *n > 1).map(|(c, _)| *c).collect();
                (shared.len() == 1).then(|| (k, shared[0]))
            }
        })
        .collect();
    let mut grouped: std::collections::BTreeMap<&str, Vec<usize>> =
        std::collections::BTreeMap::new();
    let rest = free
        .into_iter()
        .filter(|&i| {
            let codes: std::collections::BTreeSet<Option<&&str>> = units[i]
                .members
                .iter()
                .map(|(e, _)| code_of.get(keys[*e].as_str()))
                .collect();
            match (codes.len(), codes.first()) {
                (1, Some(Some(c))) => {
                    grouped.entry(c).or_default().push(i);
                    false
                }
                _ => true,
            }
        })
        .collect();
    (grouped, rest)
}

/// Balance weights tried across restarts (cut length against even fill).
pub(super) const BALANCE: [f64; 4] = [2.0, 0.5, 6.0, 1.0];

/// Moves coincident sites apart by a centimetre so every site has its own Voronoi cell.
fn dedupe_sites(sites: &mut [Coord<f64>]) {
    let mut seen: std::collections::HashMap<(i64, i64), u32> = std::collections::HashMap::new();
    for s in sites.iter_mut() {
        let key = ((s.x * 1000.0).round() as i64, (s.y * 1000.0).round() as i64);
        let n = seen.entry(key).or_default();
        if *n > 0 {
            let a = f64::from(*n) * 2.399_963;
            s.x += 0.01 * a.cos() * f64::from(*n);
            s.y += 0.01 * a.sin() * f64::from(*n);
        }
        *n += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{Validation, Winding};
    use geo_types::LineString;

    /// One community of 500 detached one-household houses on a jittered grid: grids hold
    /// about 200 address points each, the case that made boundary moves quadratic.
    #[test]
    fn a_community_of_500_one_household_houses() {
        let frame = LocalFrame::new(118.78, 32.05);
        let mut r = 7u64;
        let mut jitter = || {
            r = r.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            ((r >> 33) as f64 / (1u64 << 31) as f64 - 0.5) * 6.0
        };
        let mut entrances = Vec::new();
        for i in 0..25 {
            for j in 0..20 {
                let c = frame.inverse(Coord {
                    x: 10.0 + 20.0 * i as f64 + jitter(),
                    y: 10.0 + 20.0 * j as f64 + jitter(),
                });
                entrances.push(Entrance {
                    key: format!("h{i}_{j}"),
                    building: Some(format!("b{i}_{j}")),
                    households: 1,
                    floors: Some(2),
                    location: Point(c),
                });
            }
        }
        let ring: Vec<Coord<f64>> = [
            (0.0, 0.0),
            (500.0, 0.0),
            (500.0, 400.0),
            (0.0, 400.0),
            (0.0, 0.0),
        ]
        .iter()
        .map(|&(x, y)| frame.inverse(Coord { x, y }))
        .collect();
        let input = CommunityInput {
            code: "lowrise".into(),
            polygon: MultiPolygon(vec![Polygon::new(LineString(ring), vec![])]),
            entrances,
            streets: Vec::new(),
            locked: Vec::new(),
            previous: Vec::new(),
            split_free: false,
        };
        let plan = Partitioner::new(200)
            .expect("cap")
            .run(&input)
            .expect("plan");
        assert!(plan.violations.is_empty(), "{:?}", plan.violations);
        assert_eq!(plan.grids.len(), 3, "ceil(500 / 200) grids");
        let placed: usize = plan.grids.iter().map(|g| g.members.len()).sum();
        assert_eq!(placed, 500);
        for g in &plan.grids {
            assert!(g.households <= 200);
            assert!(g.polygon.is_valid());
            assert!(g.polygon.exterior().is_ccw());
        }
    }
}

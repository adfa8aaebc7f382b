//! Fewest grids, exactly, for small communities: every connected set of units within the cap
//! is enumerated (ESU enumeration of connected induced subgraphs, pruned by the cap), then a
//! branch and bound picks the fewest sets that cover every unit exactly once. It runs after
//! the heuristics with their grid count as the bound to beat, within a node budget; tower
//! compounds (few units, most above half the cap) are where the heuristics lose grids to
//! contiguity and where this pays. The search branches on the unit with the fewest sets
//! still open (counted on bit sets over the sets), and remembers the covered unit sets it has
//! searched so that another order of the same sets is not searched again.

use super::edge::Edge;

/// Largest community (free units) searched exactly.
pub const MAX_UNITS: usize = 128;
/// Most connected sets enumerated before giving up.
const MAX_SETS: usize = 60_000;
/// Most branch-and-bound nodes.
const MAX_NODES: usize = 50_000;

struct Set {
    mask: u128,
    households: u32,
    /// Internal shared boundary (m): a tie-break towards compact grids.
    inner_m: f64,
}

/// What the exact search found.
#[derive(Debug, Clone, PartialEq)]
pub struct Exact {
    /// Grids (lists of the given units) with fewer than the bound to beat, if any was found.
    pub better: Option<Vec<Vec<usize>>>,
    /// The search finished: no partition has fewer grids than it found (or than the bound).
    pub proven: bool,
}

// Long: a branch and bound whose enumeration, bounds and memo share bit sets; split, the hot
// loop would pass them all.
/// Searches for fewer than `upper` grids; `None` when the community is too large to try.
pub fn fewest_grids(
    units: &[usize],
    adj: &[Vec<Edge>],
    households: &[u32],
    cap: u32,
    upper: usize,
) -> Option<Exact> {
    let m = units.len();
    if m == 0 || m > MAX_UNITS {
        return None;
    }
    let local: std::collections::HashMap<usize, usize> =
        units.iter().enumerate().map(|(k, &u)| (u, k)).collect();
    let h: Vec<u32> = units.iter().map(|&u| households[u]).collect();
    if h.iter().any(|&x| x > cap) {
        return None;
    }
    // Local adjacency with shared lengths.
    let mut nbr: Vec<Vec<(usize, f64)>> = vec![Vec::new(); m];
    for (k, &u) in units.iter().enumerate() {
        for e in &adj[u] {
            if let Some(&j) = local.get(&e.to)
                && j != k
                && !nbr[k].iter().any(|&(x, _)| x == j)
            {
                nbr[k].push((j, e.length_m));
            }
        }
    }
    // Heuristics already at the bin-packing bound: nothing to search.
    if upper <= super::metrics::packing_lower_bound(&h, cap) {
        return Some(Exact {
            better: None,
            proven: true,
        });
    }
    let mut sets = enumerate(&nbr, &h, cap)?;
    // Best first: more households (fewer grids), then compact; a stable sort keeps ties in
    // the order found. Sets containing each unit follow this order.
    sets.sort_by(|a, b| {
        b.households
            .cmp(&a.households)
            .then(b.inner_m.total_cmp(&a.inner_m))
    });
    let mut of_unit: Vec<Vec<usize>> = vec![Vec::new(); m];
    for (s, set) in sets.iter().enumerate() {
        let mut mask = set.mask;
        while mask != 0 {
            of_unit[mask.trailing_zeros() as usize].push(s);
            mask &= mask - 1;
        }
    }
    let total: u64 = h.iter().map(|&x| u64::from(x)).sum();
    let mut search = Search {
        sets: &sets,
        of_unit: &of_unit,
        cap: u64::from(cap),
        full: if m == 128 {
            u128::MAX
        } else {
            (1u128 << m) - 1
        },
        best: upper,
        best_sets: None,
        chosen: Vec::new(),
        nodes: 0,
        unit_sets: {
            let words = sets.len().div_ceil(64);
            let mut b = vec![vec![0u64; words]; m];
            for (s, set) in sets.iter().enumerate() {
                let mut mask = set.mask;
                while mask != 0 {
                    b[mask.trailing_zeros() as usize][s / 64] |= 1 << (s % 64);
                    mask &= mask - 1;
                }
            }
            b
        },
        blocked: vec![vec![0u64; sets.len().div_ceil(64)]],
        seen: std::collections::HashMap::default(),
        big: h
            .iter()
            .enumerate()
            .filter(|(_, x)| 2 * **x > cap)
            .fold(0u128, |m, (k, _)| m | 1u128 << k),
        order: {
            let mut o: Vec<usize> = (0..m).collect();
            o.sort_by_key(|&k| (of_unit[k].len(), k));
            o
        },
    };
    if search.worth(0, total, 0) {
        search.dfs(0, total);
    }
    let proven = search.nodes <= MAX_NODES;
    let better = search.best_sets.map(|chosen| {
        chosen
            .into_iter()
            .map(|s| {
                (0..m)
                    .filter(|&k| sets[s].mask >> k & 1 == 1)
                    .map(|k| units[k])
                    .collect()
            })
            .collect()
    });
    Some(Exact { better, proven })
}

/// Every connected set of units whose households stay within the cap (ESU: each set is
/// found once, from its lowest unit). Neighbourhoods are bit masks.
fn enumerate(nbr: &[Vec<(usize, f64)>], h: &[u32], cap: u32) -> Option<Vec<Set>> {
    struct Ctx<'a> {
        nbr: &'a [Vec<(usize, f64)>],
        nb_mask: Vec<u128>,
        h: &'a [u32],
        cap: u32,
        out: Vec<Set>,
    }
    /// `mask`: the set; `near`: the set and its neighbours; `ext`: units that may join.
    /// `inner_m`: shared boundary inside the set.
    fn extend(
        c: &mut Ctx,
        mask: u128,
        near: u128,
        sum: u32,
        inner_m: f64,
        ext: u128,
        root: usize,
    ) -> bool {
        c.out.push(Set {
            mask,
            households: sum,
            inner_m,
        });
        if c.out.len() > MAX_SETS {
            return false;
        }
        let mut ext = ext;
        while ext != 0 {
            let w = 127 - ext.leading_zeros() as usize;
            ext &= !(1u128 << w);
            if sum + c.h[w] > c.cap {
                continue;
            }
            // Exclusive neighbours of w: not in or next to the set, above the root.
            let above_root = if root >= 127 {
                0
            } else {
                u128::MAX << (root + 1)
            };
            let next = ext | (c.nb_mask[w] & !near & above_root);
            let joins: f64 = c.nbr[w]
                .iter()
                .filter(|&&(b, _)| mask >> b & 1 == 1)
                .map(|&(_, l)| l)
                .sum();
            if !extend(
                c,
                mask | 1u128 << w,
                near | c.nb_mask[w],
                sum + c.h[w],
                inner_m + joins,
                next,
                root,
            ) {
                return false;
            }
        }
        true
    }
    let nb_mask: Vec<u128> = nbr
        .iter()
        .map(|l| l.iter().fold(0u128, |m, &(x, _)| m | 1u128 << x))
        .collect();
    let mut c = Ctx {
        nbr,
        nb_mask,
        h,
        cap,
        out: Vec::new(),
    };
    for (root, &h_root) in h.iter().enumerate() {
        let above_root = if root >= 127 {
            0
        } else {
            u128::MAX << (root + 1)
        };
        let ext = c.nb_mask[root] & above_root;
        let near = c.nb_mask[root] | 1u128 << root;
        if !extend(&mut c, 1u128 << root, near, h_root, 0.0, ext, root) {
            return None;
        }
    }
    Some(c.out)
}

/// A multiply-xor hash for unit masks (SipHash's resistance is not needed here).
#[derive(Default, Clone, Copy)]
struct MaskHash;

impl std::hash::BuildHasher for MaskHash {
    type Hasher = MaskHasher;
    fn build_hasher(&self) -> MaskHasher {
        MaskHasher(0)
    }
}

struct MaskHasher(u64);

impl std::hash::Hasher for MaskHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    fn write_u128(&mut self, i: u128) {
        let x = (i as u64) ^ ((i >> 64) as u64).rotate_left(29);
        self.0 = (self.0 ^ x).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
    fn finish(&self) -> u64 {
        self.0 ^ (self.0 >> 29)
    }
}

struct Search<'a> {
    sets: &'a [Set],
    of_unit: &'a [Vec<usize>],
    cap: u64,
    full: u128,
    best: usize,
    best_sets: Option<Vec<usize>>,
    chosen: Vec<usize>,
    nodes: usize,
    /// Per unit, the sets holding it as a bit set over set indices.
    unit_sets: Vec<Vec<u64>>,
    /// Per depth, the sets that meet the covered units (bit set over set indices).
    blocked: Vec<Vec<u64>>,
    /// Covered sets already searched, with the fewest grids they were reached with.
    seen: std::collections::HashMap<u128, usize, MaskHash>,
    /// Units by the number of sets containing them, fewest first.
    order: Vec<usize>,
    /// Units above half the cap.
    big: u128,
}

impl Search<'_> {
    /// Whether a node with these units covered, households left and grids chosen can still
    /// beat the best: the households left need ceil(left / cap) grids, no two units above
    /// half the cap share one, and a covered set reached before with as few grids has been
    /// searched already. Records the node as searched.
    fn worth(&mut self, covered: u128, left: u64, chosen: usize) -> bool {
        let big_left = (self.big & !covered).count_ones() as usize;
        if chosen + (left.div_ceil(self.cap) as usize).max(big_left) >= self.best {
            return false;
        }
        match self.seen.entry(covered) {
            std::collections::hash_map::Entry::Occupied(mut o) => {
                if *o.get() <= chosen {
                    return false;
                }
                o.insert(chosen);
            }
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert(chosen);
            }
        }
        true
    }

    /// Searches below a node that [`Search::worth`] accepted (or a complete cover).
    fn dfs(&mut self, covered: u128, left: u64) {
        if covered == self.full {
            if self.chosen.len() < self.best {
                self.best = self.chosen.len();
                self.best_sets = Some(self.chosen.clone());
            }
            return;
        }
        self.nodes += 1;
        if self.nodes > MAX_NODES {
            return;
        }
        // The uncovered unit with the fewest sets still open (counting stops at the fewest
        // so far); a unit with none left ends this branch.
        let depth = self.chosen.len();
        let mut pick: Option<(usize, u32)> = None;
        for &k in &self.order {
            if covered >> k & 1 == 1 {
                continue;
            }
            let limit = pick.map_or(u32::MAX, |(_, n)| n);
            let mut open = 0;
            for (a, b) in self.unit_sets[k].iter().zip(&self.blocked[depth]) {
                open += (a & !b).count_ones();
                if open >= limit {
                    break;
                }
            }
            if open == 0 {
                return;
            }
            if open < limit {
                pick = Some((k, open));
                if open == 1 {
                    break;
                }
            }
        }
        let Some((k, _)) = pick else { return };
        if self.blocked.len() <= depth + 1 {
            self.blocked.push(vec![0u64; self.blocked[0].len()]);
        }
        for i in 0..self.of_unit[k].len() {
            let s = self.of_unit[k][i];
            if self.blocked[depth][s / 64] >> (s % 64) & 1 == 1 {
                continue;
            }
            let set = &self.sets[s];
            let (c2, l2) = (covered | set.mask, left - u64::from(set.households));
            if c2 != self.full && !self.worth(c2, l2, depth + 1) {
                continue;
            }
            let set = &self.sets[s];
            // The child's blocked sets: these and every set meeting the new units.
            let (head, tail) = self.blocked.split_at_mut(depth + 1);
            let child = &mut tail[0];
            child.copy_from_slice(&head[depth]);
            let mut mask = set.mask;
            while mask != 0 {
                for (c, u) in child
                    .iter_mut()
                    .zip(&self.unit_sets[mask.trailing_zeros() as usize])
                {
                    *c |= u;
                }
                mask &= mask - 1;
            }
            self.chosen.push(s);
            self.dfs(c2, l2);
            self.chosen.pop();
            if self.nodes > MAX_NODES {
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::partition::edge::path_graph;

    #[test]
    fn finds_the_contiguous_optimum() {
        // A row of towers: 120 80 120 80 120 80 (cap 200): pairs (120, 80) give 3 grids;
        // a greedy left-to-right packing of 120+80 also gives 3, but 80 120 | ... shows the
        // search must respect contiguity: 120 and 120 never share.
        let h = [120, 80, 120, 80, 120, 80];
        let adj = path_graph(6);
        let units: Vec<usize> = (0..6).collect();
        let e = fewest_grids(&units, &adj, &h, 200, 6).expect("small");
        assert!(e.proven);
        let g = e.better.expect("better than 6");
        assert_eq!(g.len(), 3);
        for grid in &g {
            let s: u32 = grid.iter().map(|&u| h[u]).sum();
            assert!(s <= 200);
            let (lo, hi) = (
                grid.iter().min().expect("unit"),
                grid.iter().max().expect("unit"),
            );
            assert_eq!(hi - lo + 1, grid.len(), "contiguous on a path");
        }
        // Nothing better than 3 exists, and the search says so.
        let e = fewest_grids(&units, &adj, &h, 200, 3).expect("small");
        assert!(e.proven && e.better.is_none());
        // 80 120 120 80 on a path: the 120s cannot pair, the 80s cannot reach each other.
        let h2 = [80, 120, 120, 80];
        let e = fewest_grids(&[0, 1, 2, 3], &path_graph(4), &h2, 200, 9).expect("small");
        assert_eq!(e.better.expect("solution").len(), 2);
    }
}

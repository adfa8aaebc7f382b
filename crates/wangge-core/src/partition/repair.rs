//! Connectivity repair: a grid whose units fall apart in the adjacency graph keeps its
//! heaviest component; every other component moves to the neighbouring grid that shares the
//! longest boundary with it and still has room, or becomes a grid of its own.

use super::articulation::{LeaveCache, Removable};
use super::edge::Edge;

/// Grid index of every unit (`usize::MAX` for units in no grid).
pub(crate) fn owners(grids: &[Vec<usize>], n: usize) -> Vec<usize> {
    let mut owner = vec![usize::MAX; n];
    for (g, units) in grids.iter().enumerate() {
        for &u in units {
            owner[u] = g;
        }
    }
    owner
}

/// Connected components of `grid`'s units (unit indices), heaviest first.
pub fn components(
    grid: &[usize],
    adj: &[Vec<Edge>],
    households: &[u32],
    owner: &[usize],
    me: usize,
) -> Vec<Vec<usize>> {
    let mut seen = std::collections::HashSet::new();
    let mut comps = Vec::new();
    for &start in grid {
        if !seen.insert(start) {
            continue;
        }
        let mut comp = vec![start];
        let mut stack = vec![start];
        while let Some(u) = stack.pop() {
            for e in &adj[u] {
                if owner[e.to] == me && seen.insert(e.to) {
                    comp.push(e.to);
                    stack.push(e.to);
                }
            }
        }
        comp.sort_unstable();
        comps.push(comp);
    }
    comps.sort_by_key(|c| {
        std::cmp::Reverse((c.iter().map(|&u| households[u]).sum::<u32>(), c.len()))
    });
    comps
}

/// Makes every grid connected; returns the number of moves. `grids` are unit lists.
pub fn reconnect(
    grids: &mut Vec<Vec<usize>>,
    adj: &[Vec<Edge>],
    households: &[u32],
    cap: u32,
) -> usize {
    let n_units = households.len();
    let mut moves = 0;
    for _round in 0..(4 * n_units + 4) {
        let owner = owners(grids, n_units);
        let sums: Vec<u32> = grids
            .iter()
            .map(|g| g.iter().map(|&u| households[u]).sum())
            .collect();
        let mut changed = false;
        for g in 0..grids.len() {
            let comps = components(&grids[g], adj, households, &owner, g);
            if comps.len() <= 1 {
                continue;
            }
            // Move the lightest stray component.
            let Some(stray) = comps.last().cloned() else {
                continue;
            };
            let load: u32 = stray.iter().map(|&u| households[u]).sum();
            let mut shared: std::collections::BTreeMap<usize, f64> =
                std::collections::BTreeMap::new();
            for &u in &stray {
                for e in &adj[u] {
                    let o = owner[e.to];
                    if o != g && o != usize::MAX {
                        *shared.entry(o).or_default() += e.length_m;
                    }
                }
            }
            let target = shared
                .iter()
                .filter(|(o, _)| sums[**o] + load <= cap)
                .max_by(|a, b| a.1.total_cmp(b.1).then(b.0.cmp(a.0)))
                .map(|(o, _)| *o);
            grids[g].retain(|u| !stray.contains(u));
            match target {
                Some(t) => grids[t].extend(stray),
                None => grids.push(stray),
            }
            moves += 1;
            changed = true;
            break;
        }
        if !changed {
            break;
        }
    }
    grids.retain(|g| !g.is_empty());
    moves
}

/// Merges adjacent grids while their sum fits the cap, the pair with the longest shared
/// boundary first (keeps grids compact); returns the number of merges. `closed` grids (floor
/// slices) never merge.
pub fn merge_small(
    grids: &mut Vec<Vec<usize>>,
    adj: &[Vec<Edge>],
    households: &[u32],
    cap: u32,
) -> usize {
    let mut merges = 0;
    loop {
        let owner = owners(grids, households.len());
        let sums: Vec<u32> = grids
            .iter()
            .map(|g| g.iter().map(|&u| households[u]).sum())
            .collect();
        let mut shared: std::collections::BTreeMap<(usize, usize), f64> =
            std::collections::BTreeMap::new();
        for (u, edges) in adj.iter().enumerate() {
            for e in edges {
                let (a, b) = (owner[u], owner[e.to]);
                if a < b && a != usize::MAX && b != usize::MAX && sums[a] + sums[b] <= cap {
                    *shared.entry((a, b)).or_default() += e.length_m;
                }
            }
        }
        let Some((&(a, b), _)) = shared
            .iter()
            .max_by(|x, y| x.1.total_cmp(y.1).then(y.0.cmp(x.0)))
        else {
            break;
        };
        let moved = std::mem::take(&mut grids[b]);
        grids[a].extend(moved);
        grids.retain(|g| !g.is_empty());
        merges += 1;
    }
    merges
}

/// Longest ejection chain worth trying: a unit of the emptied grid moves into a full
/// neighbour, which passes one of its units on, and so on, up to this many grids further.
pub const CHAIN_DEPTH: usize = 2;

/// Tries to empty grids, least filled first: each unit moves to an adjacent grid with room
/// (longest shared boundary first), or makes room there through an ejection chain: the full
/// grid passes a boundary unit on to one of its own neighbours, which may pass one on in turn
/// (up to `depth` grids). A grid is only removed when every unit found a place, no grid
/// went over the cap and every grid stays connected; returns the number of grids removed.
pub fn eliminate(
    grids: &mut Vec<Vec<usize>>,
    adj: &[Vec<Edge>],
    households: &[u32],
    cap: u32,
    depth: usize,
    known_min: usize,
) -> usize {
    let mut removed = 0;
    let mut tried = std::collections::HashSet::new();
    let total: u64 = grids
        .iter()
        .flatten()
        .map(|&u| u64::from(households[u]))
        .sum();
    let items: Vec<u32> = grids.iter().flatten().map(|&u| households[u]).collect();
    let bound = super::metrics::packing_lower_bound(&items, cap).max(known_min);
    let mut m = Moves::new(std::mem::take(grids), adj, households, cap);
    loop {
        // No grid can go when the rest could not hold every household.
        if m.grids.len() <= bound || (m.grids.len() as u64 - 1) * u64::from(cap) < total {
            break;
        }
        let mut order: Vec<usize> = (0..m.grids.len())
            .filter(|g| !tried.contains(&m.grids[*g].first().copied()))
            .collect();
        order.sort_by_key(|&g| (m.sums[g], g));
        let Some(&victim) = order.first() else { break };
        tried.insert(m.grids[victim].first().copied());
        let mark = m.mark();
        if m.empty(victim, depth) && m.connected_since(mark) {
            let mut next = std::mem::take(&mut m.grids);
            next.retain(|g| !g.is_empty());
            m = Moves::new(next, adj, households, cap);
            removed += 1;
            tried.clear();
        } else {
            m.undo_to(mark);
        }
    }
    *grids = m.grids;
    removed
}

/// Shortens the boundaries between grids without changing their number: a unit on a grid's
/// edge moves to the neighbouring grid it shares more boundary with, when that grid has room
/// and its own grid stays connected and not empty. Passes until nothing moves (at most
/// `passes`); returns the number of moves.
pub fn smooth(
    grids: &mut [Vec<usize>],
    adj: &[Vec<Edge>],
    households: &[u32],
    cap: u32,
    passes: usize,
) -> usize {
    let mut m = Moves::new(grids.to_vec(), adj, households, cap);
    let mut moves = 0;
    for _ in 0..passes {
        let mut moved = false;
        for u in 0..households.len() {
            let g = m.owner[u];
            if g == usize::MAX || m.grids[g].len() < 2 {
                continue;
            }
            let own: f64 = adj[u]
                .iter()
                .filter(|e| m.owner[e.to] == g)
                .map(|e| e.weight)
                .sum();
            let mut by_grid: std::collections::BTreeMap<usize, f64> =
                std::collections::BTreeMap::new();
            for e in &adj[u] {
                let o = m.owner[e.to];
                if o != g && o != usize::MAX {
                    *by_grid.entry(o).or_insert(0.0) += e.weight;
                }
            }
            let Some((t, w)) = by_grid
                .into_iter()
                .filter(|&(t, _)| m.sums[t] + households[u] <= cap)
                .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)))
            else {
                continue;
            };
            // A clear gain only (no ping-pong between equal sides).
            if w > own * 1.05 + 1e-6 && m.can_leave(u) {
                m.shift(u, t);
                moves += 1;
                moved = true;
            }
        }
        if !moved {
            break;
        }
    }
    grids.clone_from_slice(&m.grids);
    moves
}

/// Unit moves between grids with the owner and household sums kept current, and a log to
/// take moves back (trials undo instead of copying the state).
struct Moves<'a> {
    grids: Vec<Vec<usize>>,
    owner: Vec<usize>,
    sums: Vec<u32>,
    /// (unit, grid it left, its position there), in the order of the moves.
    log: Vec<(usize, usize, usize)>,
    adj: &'a [Vec<Edge>],
    households: &'a [u32],
    cap: u32,
    /// Which units may leave their grid, per grid until it changes.
    leave: LeaveCache,
}

impl<'a> Moves<'a> {
    fn new(grids: Vec<Vec<usize>>, adj: &'a [Vec<Edge>], households: &'a [u32], cap: u32) -> Self {
        let owner = owners(&grids, households.len());
        let sums = grids
            .iter()
            .map(|g| g.iter().map(|&u| households[u]).sum())
            .collect();
        let leave = LeaveCache::new(households.len(), grids.len());
        Self {
            grids,
            owner,
            sums,
            log: Vec::new(),
            adj,
            households,
            cap,
            leave,
        }
    }

    /// Whether `u` may leave its grid with the rest of the grid still connected.
    fn can_leave(&mut self, u: usize) -> bool {
        let g = self.owner[u];
        self.leave
            .can_leave(&self.grids[g], u, g, self.adj, &self.owner)
    }

    fn shift(&mut self, u: usize, to: usize) {
        let from = self.owner[u];
        let Some(pos) = self.grids[from].iter().position(|&x| x == u) else {
            return;
        };
        self.grids[from].remove(pos);
        self.grids[to].push(u);
        self.owner[u] = to;
        self.leave.invalidate(from);
        self.leave.invalidate(to);
        self.sums[from] -= self.households[u];
        self.sums[to] += self.households[u];
        self.log.push((u, from, pos));
    }

    /// A point to [`Moves::undo_to`].
    fn mark(&self) -> usize {
        self.log.len()
    }

    /// Takes back every move since `mark`, restoring the exact state (unit order included).
    fn undo_to(&mut self, mark: usize) {
        while self.log.len() > mark {
            let Some((u, from, pos)) = self.log.pop() else {
                break;
            };
            let to = self.owner[u];
            self.grids[to].pop();
            self.grids[from].insert(pos, u);
            self.owner[u] = from;
            self.leave.invalidate(from);
            self.leave.invalidate(to);
            self.sums[to] -= self.households[u];
            self.sums[from] += self.households[u];
        }
    }

    /// Grids adjacent to unit `u` other than its own, with the shared boundary length,
    /// appended to `out` as (unit, grid, length).
    fn neighbours_into(&self, u: usize, out: &mut Vec<(usize, usize, f64)>) {
        let first = out.len();
        for e in &self.adj[u] {
            let o = self.owner[e.to];
            if o != self.owner[u] && o != usize::MAX {
                match out[first..].iter_mut().find(|c| c.1 == o) {
                    Some(c) => c.2 += e.length_m,
                    None => out.push((u, o, e.length_m)),
                }
            }
        }
    }

    /// Moves every unit out of `victim`; false when some unit finds no place.
    fn empty(&mut self, victim: usize, max_depth: usize) -> bool {
        let mut banned = vec![victim];
        for _ in 0..self.grids[victim].len() * 4 + 4 {
            if self.grids[victim].is_empty() {
                return true;
            }
            // Shallowest chain first, then the longest shared boundary.
            let mut placed = false;
            let mut cands: Vec<(usize, usize, f64)> = Vec::new();
            for &u in &self.grids[victim] {
                self.neighbours_into(u, &mut cands);
            }
            cands.sort_by(|a, b| b.2.total_cmp(&a.2).then((a.0, a.1).cmp(&(b.0, b.1))));
            'depth: for depth in 0..=max_depth {
                if depth == 0 {
                    // A direct move needs no trial copy.
                    if let Some(&(u, t, _)) = cands
                        .iter()
                        .find(|(u, t, _)| self.sums[*t] + self.households[*u] <= self.cap)
                    {
                        self.shift(u, t);
                        placed = true;
                        break 'depth;
                    }
                    continue;
                }
                for &(u, t, _) in &cands {
                    let mark = self.mark();
                    if self.place(u, t, depth, &mut banned) {
                        placed = true;
                        break 'depth;
                    }
                    self.undo_to(mark);
                }
            }
            if !placed {
                return false;
            }
        }
        self.grids[victim].is_empty()
    }

    /// Moves `u` into grid `t`, then brings `t` back under the cap by passing its boundary
    /// units on to grids not in `banned`, recursively up to `depth` grids further.
    fn place(&mut self, u: usize, t: usize, depth: usize, banned: &mut Vec<usize>) -> bool {
        self.shift(u, t);
        if self.sums[t] <= self.cap {
            return true;
        }
        if depth == 0 {
            return false;
        }
        banned.push(t);
        let ok = self.shed(t, u, depth, banned);
        banned.pop();
        ok
    }

    fn shed(&mut self, t: usize, keep: usize, depth: usize, banned: &mut Vec<usize>) -> bool {
        for _ in 0..self.grids[t].len() {
            if self.sums[t] <= self.cap {
                return true;
            }
            let excess = self.sums[t] - self.cap;
            // Candidates: (fixes the excess alone, size order, shared length, unit, target).
            let mut cands: Vec<(bool, i64, f64, usize, usize)> = Vec::new();
            let mut nb: Vec<(usize, usize, f64)> = Vec::new();
            for i in 0..self.grids[t].len() {
                let w = self.grids[t][i];
                if w == keep || !self.can_leave(w) {
                    continue;
                }
                let h = self.households[w];
                let fixes = h >= excess;
                // The smallest unit that fixes the excess, else the largest that helps.
                let size = if fixes { -i64::from(h) } else { i64::from(h) };
                nb.clear();
                self.neighbours_into(w, &mut nb);
                for &(_, t2, len) in &nb {
                    if !banned.contains(&t2) {
                        cands.push((fixes, size, len, w, t2));
                    }
                }
            }
            cands.sort_by(|a, b| {
                (b.0, b.1)
                    .cmp(&(a.0, a.1))
                    .then(b.2.total_cmp(&a.2))
                    .then((a.3, a.4).cmp(&(b.3, b.4)))
            });
            let mut moved = false;
            if depth == 1 {
                // The chain ends here: only a direct fit will do, no trial copy needed.
                if let Some(&(_, _, _, w, t2)) = cands
                    .iter()
                    .take(6)
                    .find(|c| self.sums[c.4] + self.households[c.3] <= self.cap)
                {
                    self.shift(w, t2);
                    continue;
                }
                return false;
            }
            for &(_, _, _, w, t2) in cands.iter().take(6) {
                let mark = self.mark();
                if self.place(w, t2, depth - 1, banned) {
                    moved = true;
                    break;
                }
                self.undo_to(mark);
            }
            if !moved {
                return false;
            }
        }
        self.sums[t] <= self.cap
    }

    /// Every grid that gained or lost a unit since `mark` is empty or connected.
    fn connected_since(&self, mark: usize) -> bool {
        let mut touched: Vec<usize> = self.log[mark..]
            .iter()
            .flat_map(|&(u, from, _)| [from, self.owner[u]])
            .collect();
        touched.sort_unstable();
        touched.dedup();
        touched.into_iter().all(|g| {
            let units = &self.grids[g];
            units.is_empty()
                || components(units, self.adj, self.households, &self.owner, g).len() == 1
        })
    }
}

/// Brings over-cap grids back under the cap with the least movement: the smallest unit whose
/// removal keeps its grid connected moves to an adjacent grid with room (preferring a unit
/// that alone removes the excess). `movable[g]` says whether grid g may lose units. Returns
/// the grids still over the cap.
pub fn shed_excess(
    grids: &mut [Vec<usize>],
    movable: &[bool],
    adj: &[Vec<Edge>],
    households: &[u32],
    cap: u32,
) -> Vec<usize> {
    let n = households.len();
    let mut stuck = Vec::new();
    let mut removable = Removable::new(n);
    for g in 0..grids.len() {
        if !movable[g] {
            continue;
        }
        for _ in 0..grids[g].len() + 1 {
            let sums: Vec<u32> = grids
                .iter()
                .map(|gr| gr.iter().map(|&u| households[u]).sum())
                .collect();
            if sums[g] <= cap {
                break;
            }
            let excess = sums[g] - cap;
            let owner = owners(grids, n);
            // (fixes the excess alone, unit size, target's shared length) → best move
            let mut best: Option<(bool, u32, f64, usize, usize)> = None;
            removable.of(&grids[g], adj, &owner, g);
            for &u in &grids[g] {
                if !removable.ok(u) {
                    continue;
                }
                let mut shared: std::collections::BTreeMap<usize, f64> =
                    std::collections::BTreeMap::new();
                for e in &adj[u] {
                    let t = owner[e.to];
                    if t != g && t != usize::MAX && sums[t] + households[u] <= cap {
                        *shared.entry(t).or_default() += e.length_m;
                    }
                }
                for (t, len) in shared {
                    let fixes = households[u] >= excess;
                    let key = (fixes, households[u], len, u, t);
                    let better = match &best {
                        None => true,
                        Some(b) => {
                            (fixes, std::cmp::Reverse(households[u]), len)
                                > (b.0, std::cmp::Reverse(b.1), b.2)
                        }
                    };
                    if better {
                        best = Some(key);
                    }
                }
            }
            match best {
                Some((_, _, _, u, t)) => {
                    grids[g].retain(|&x| x != u);
                    grids[t].push(u);
                }
                None => break,
            }
        }
        if grids[g].iter().map(|&u| households[u]).sum::<u32>() > cap {
            stuck.push(g);
        }
    }
    stuck
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::partition::edge::path_graph as path;

    #[test]
    fn undo_restores_the_exact_state() {
        let adj = path(6);
        let h = [50, 60, 70, 80, 90, 100];
        let grids = vec![vec![0, 1, 2], vec![3, 4], vec![5]];
        let mut m = Moves::new(grids.clone(), &adj, &h, 200);
        let (owner, sums) = (m.owner.clone(), m.sums.clone());
        let mark = m.mark();
        m.shift(1, 2);
        m.shift(3, 0);
        m.shift(5, 1);
        assert_ne!(m.grids, grids);
        m.undo_to(mark);
        assert_eq!(m.grids, grids, "unit order inside grids restored too");
        assert_eq!(m.owner, owner);
        assert_eq!(m.sums, sums);
    }

    #[test]
    fn eliminate_empties_a_grid_through_a_chain_and_stops_at_the_known_minimum() {
        // 100 | 100 100 | 100 on a path with cap 200: four grids of 100 can become two.
        let adj = path(4);
        let h = [100, 100, 100, 100];
        let mut grids = vec![vec![0], vec![1], vec![2], vec![3]];
        let removed = eliminate(&mut grids, &adj, &h, 200, CHAIN_DEPTH, 0);
        assert_eq!(removed, 2);
        assert_eq!(grids.len(), 2);
        for g in &grids {
            assert!(g.iter().map(|&u| h[u]).sum::<u32>() <= 200);
        }
        // A known minimum of 3 stops it one grid earlier.
        let mut grids = vec![vec![0], vec![1], vec![2], vec![3]];
        eliminate(&mut grids, &adj, &h, 200, CHAIN_DEPTH, 3);
        assert_eq!(grids.len(), 3);
    }
}

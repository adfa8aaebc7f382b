//! Which units a grid can lose and stay connected: the grid's articulation points (Tarjan's
//! low-link, iterative), computed once per grid state in O(units + edges) instead of one
//! search per candidate unit (which made boundary moves quadratic in grid size: grids of 50-200
//! small houses spent most of a run there).

use super::edge::Edge;

/// Reusable scratch for [`Removable::of`]: indices local to one grid, sized to all units.
pub struct Removable {
    /// Local index of each unit in the grid being examined (`u32::MAX`: not in it).
    local: Vec<u32>,
    /// Per local index: may this unit leave with the rest staying connected?
    ok: Vec<bool>,
    /// Units of the grid examined last, in the order of `ok`.
    units: Vec<usize>,
    disc: Vec<u32>,
    low: Vec<u32>,
}

impl Removable {
    /// Scratch for graphs of `n` units.
    pub fn new(n: usize) -> Self {
        Self {
            local: vec![u32::MAX; n],
            ok: Vec::new(),
            units: Vec::new(),
            disc: Vec::new(),
            low: Vec::new(),
        }
    }

    // Long: iterative Tarjan over a grid's units with its explicit stack: one algorithm.
    /// Examines `grid` (units owned by `me` under `owner`); afterwards [`Removable::ok`] tells,
    /// for each of its units, whether the others stay connected without it (as a search
    /// without that unit would find; a grid of one unit may always lose it).
    pub fn of(&mut self, grid: &[usize], adj: &[Vec<Edge>], owner: &[usize], me: usize) {
        for &u in &self.units {
            self.local[u] = u32::MAX;
        }
        self.units.clear();
        self.units.extend_from_slice(grid);
        for (i, &u) in grid.iter().enumerate() {
            self.local[u] = i as u32;
        }
        let k = grid.len();
        self.ok.clear();
        self.ok.resize(k, false);
        self.disc.clear();
        self.disc.resize(k, 0);
        self.low.clear();
        self.low.resize(k, 0);
        if k <= 1 {
            self.ok.fill(true);
            return;
        }
        let nb = |i: usize| {
            adj[grid[i]]
                .iter()
                .filter(|e| owner[e.to] == me)
                .map(|e| e.to)
        };
        // Components with their sizes; articulation points within each.
        let mut comp_sizes = Vec::new();
        let mut comp_of = vec![0usize; k];
        let mut cut = vec![false; k];
        let mut time = 0u32;
        // Stack frames: (local node, parent local or MAX, next neighbour position).
        let mut stack: Vec<(usize, usize, usize)> = Vec::new();
        for root in 0..k {
            if self.disc[root] != 0 {
                continue;
            }
            let c = comp_sizes.len();
            let mut size = 0usize;
            let mut root_children = 0;
            time += 1;
            self.disc[root] = time;
            self.low[root] = time;
            comp_of[root] = c;
            size += 1;
            stack.push((root, usize::MAX, 0));
            while let Some(top) = stack.last_mut() {
                let (v, parent) = (top.0, top.1);
                let next = nb(v).nth(top.2);
                top.2 += 1;
                match next {
                    Some(to) => {
                        let w = self.local[to] as usize;
                        if w == parent {
                            continue;
                        }
                        if self.disc[w] == 0 {
                            time += 1;
                            self.disc[w] = time;
                            self.low[w] = time;
                            comp_of[w] = c;
                            size += 1;
                            if v == root {
                                root_children += 1;
                            }
                            stack.push((w, v, 0));
                        } else {
                            self.low[v] = self.low[v].min(self.disc[w]);
                        }
                    }
                    None => {
                        stack.pop();
                        if parent != usize::MAX {
                            self.low[parent] = self.low[parent].min(self.low[v]);
                            if parent != root && self.low[v] >= self.disc[parent] {
                                cut[parent] = true;
                            }
                        }
                    }
                }
            }
            if root_children > 1 {
                cut[root] = true;
            }
            comp_sizes.push(size);
        }
        match comp_sizes.len() {
            1 => {
                for (ok, &c) in self.ok.iter_mut().zip(&cut) {
                    *ok = !c;
                }
            }
            // Two parts, one of them a lone unit: losing that unit leaves the other whole.
            2 => {
                for (ok, &c) in self.ok.iter_mut().zip(&comp_of) {
                    *ok = comp_sizes[c] == 1;
                }
            }
            _ => {}
        }
    }

    /// Whether unit `u` of the grid examined last may leave it (false for other units).
    pub fn ok(&self, u: usize) -> bool {
        match self.local.get(u) {
            Some(&i) if i != u32::MAX => self.ok[i as usize],
            _ => false,
        }
    }
}

/// [`Removable`] answers per unit, kept until the grid changes: for passes that ask about
/// units of many grids in turn while moving a few.
pub struct LeaveCache {
    scratch: Removable,
    ok: Vec<bool>,
    /// Per grid: are the answers in `ok` for its units current?
    valid: Vec<bool>,
}

impl LeaveCache {
    /// A cache for `n` units in `grids` grids.
    pub fn new(n: usize, grids: usize) -> Self {
        Self {
            scratch: Removable::new(n),
            ok: vec![false; n],
            valid: vec![false; grids],
        }
    }

    /// Whether unit `u` may leave grid `g` (`grid` its units) with the rest still connected.
    pub fn can_leave(
        &mut self,
        grid: &[usize],
        u: usize,
        g: usize,
        adj: &[Vec<Edge>],
        owner: &[usize],
    ) -> bool {
        if g >= self.valid.len() {
            self.valid.resize(g + 1, false);
        }
        if !self.valid[g] {
            self.scratch.of(grid, adj, owner, g);
            for &w in grid {
                self.ok[w] = self.scratch.ok(w);
            }
            self.valid[g] = true;
        }
        self.ok[u]
    }

    /// Grid `g` gained or lost a unit.
    pub fn invalidate(&mut self, g: usize) {
        if let Some(v) = self.valid.get_mut(g) {
            *v = false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct SplitMix(u64);
    impl SplitMix {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }
    }

    fn edge(to: usize) -> Edge {
        Edge {
            to,
            weight: 1.0,
            length_m: 1.0,
            street: 1.0,
        }
    }

    /// The obviously correct version: a search from one remaining unit.
    fn connected_without(
        grid: &[usize],
        removed: usize,
        adj: &[Vec<Edge>],
        owner: &[usize],
        me: usize,
    ) -> bool {
        let rest: Vec<usize> = grid.iter().copied().filter(|&u| u != removed).collect();
        let Some(&start) = rest.first() else {
            return true;
        };
        let mut seen = vec![start];
        let mut stack = vec![start];
        while let Some(u) = stack.pop() {
            for e in &adj[u] {
                if e.to != removed && owner[e.to] == me && !seen.contains(&e.to) {
                    seen.push(e.to);
                    stack.push(e.to);
                }
            }
        }
        seen.len() == rest.len()
    }

    #[test]
    fn agrees_with_a_search_per_unit_on_random_graphs() {
        let mut r = SplitMix(7);
        let mut scratch = Removable::new(60);
        for case in 0..400 {
            let n = 2 + (r.next() % 58) as usize;
            let p = 1 + r.next() % 6;
            let mut adj = vec![Vec::new(); n];
            for a in 0..n {
                for b in a + 1..n {
                    // Sparse, planar-ish: mostly near neighbours.
                    if (b - a <= 3 && r.next() % 10 < p) || r.next().is_multiple_of(200) {
                        adj[a].push(edge(b));
                        adj[b].push(edge(a));
                    }
                }
            }
            // Two grids: a random subset is grid 0.
            let owner: Vec<usize> = (0..n)
                .map(|_| r.next().is_multiple_of(4) as usize)
                .collect();
            for me in 0..2 {
                let grid: Vec<usize> = (0..n).filter(|&u| owner[u] == me).collect();
                scratch.of(&grid, &adj, &owner, me);
                for &u in &grid {
                    assert_eq!(
                        scratch.ok(u),
                        connected_without(&grid, u, &adj, &owner, me),
                        "case {case}, grid {me}, unit {u}"
                    );
                }
            }
        }
    }
}

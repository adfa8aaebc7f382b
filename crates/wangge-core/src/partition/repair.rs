//! Connectivity repair: a grid whose units fall apart in the adjacency graph keeps its
//! heaviest component; every other component moves to the neighbouring grid that shares the
//! longest boundary with it and still has room, or becomes a grid of its own.

use super::cells::Edge;

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
    let mut seen = std::collections::HashSet::from([start]);
    let mut stack = vec![start];
    while let Some(u) = stack.pop() {
        for e in &adj[u] {
            if e.to != removed && owner[e.to] == me && seen.insert(e.to) {
                stack.push(e.to);
            }
        }
    }
    seen.len() == rest.len()
}

/// Tries to empty grids, least filled first: each unit moves to an adjacent grid with room
/// (longest shared boundary first), or makes room there by passing one of that grid's units
/// on to a third grid. A grid is only removed when every unit found a place and every grid
/// stays connected; returns the number of grids removed.
pub fn eliminate(
    grids: &mut Vec<Vec<usize>>,
    adj: &[Vec<Edge>],
    households: &[u32],
    cap: u32,
) -> usize {
    let mut removed = 0;
    let mut tried = std::collections::HashSet::new();
    loop {
        let sums: Vec<u32> = grids
            .iter()
            .map(|g| g.iter().map(|&u| households[u]).sum())
            .collect();
        let mut order: Vec<usize> = (0..grids.len())
            .filter(|g| !tried.contains(&grids[*g].first().copied()))
            .collect();
        order.sort_by_key(|&g| (sums[g], g));
        let Some(&victim) = order.first() else { break };
        tried.insert(grids[victim].first().copied());
        let mut trial = grids.clone();
        if empty_grid(&mut trial, victim, adj, households, cap) {
            trial.retain(|g| !g.is_empty());
            *grids = trial;
            removed += 1;
            tried.clear();
        }
    }
    removed
}

fn empty_grid(
    grids: &mut [Vec<usize>],
    victim: usize,
    adj: &[Vec<Edge>],
    households: &[u32],
    cap: u32,
) -> bool {
    let n = households.len();
    for _ in 0..grids[victim].len() * 4 + 4 {
        if grids[victim].is_empty() {
            return true;
        }
        let owner = owners(grids, n);
        let mut sums: Vec<u32> = grids
            .iter()
            .map(|g| g.iter().map(|&u| households[u]).sum())
            .collect();
        // Candidate moves: (unit, target grid, shared length), units whose removal keeps the
        // victim connected.
        let mut best: Option<(usize, usize, f64)> = None;
        let mut blocked: Vec<(usize, usize)> = Vec::new();
        for &u in &grids[victim] {
            if !connected_without(&grids[victim], u, adj, &owner, victim) {
                continue;
            }
            let mut by_grid: std::collections::BTreeMap<usize, f64> =
                std::collections::BTreeMap::new();
            for e in &adj[u] {
                let o = owner[e.to];
                if o != victim && o != usize::MAX {
                    *by_grid.entry(o).or_default() += e.length_m;
                }
            }
            for (&t, &len) in &by_grid {
                if sums[t] + households[u] <= cap {
                    if best.is_none_or(|b| len > b.2) {
                        best = Some((u, t, len));
                    }
                } else {
                    blocked.push((u, t));
                }
            }
        }
        if let Some((u, t, _)) = best {
            grids[victim].retain(|&x| x != u);
            grids[t].push(u);
            continue;
        }
        // Ejection: make room in a blocked target by moving one of its units to a third grid.
        let mut moved = false;
        'outer: for (u, t) in blocked {
            let need = (sums[t] + households[u]).saturating_sub(cap);
            for &w in &grids[t].clone() {
                if households[w] < need || !connected_without(&grids[t], w, adj, &owner, t) {
                    continue;
                }
                for e in &adj[w] {
                    let t2 = owner[e.to];
                    if t2 == t || t2 == victim || t2 == usize::MAX || sums[t2] + households[w] > cap
                    {
                        continue;
                    }
                    grids[t].retain(|&x| x != w);
                    grids[t2].push(w);
                    sums[t] -= households[w];
                    sums[t2] += households[w];
                    if sums[t] + households[u] <= cap {
                        grids[victim].retain(|&x| x != u);
                        grids[t].push(u);
                        moved = true;
                        break 'outer;
                    }
                }
            }
        }
        if !moved {
            return false;
        }
    }
    grids[victim].is_empty()
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
            for &u in &grids[g] {
                if !connected_without(&grids[g], u, adj, &owner, g) {
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

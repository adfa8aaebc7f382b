//! Recursive sweep bisection with a hard household cap. A set of units that must form `k`
//! grids is cut in two (k/2 and k - k/2 grids) along the best of several directions: units are
//! swept in order of their projection, and among the split points where both sides can still
//! meet the cap, the one with the cheapest cut (shared boundary length, discounted along
//! streets) and the best balance wins.

use super::edge::Edge;
use geo_types::Coord;

/// What the bisection needs to know about the units.
pub struct Graph<'a> {
    pub at: &'a [Coord<f64>],
    pub households: &'a [u32],
    /// Unit adjacency (unit indices).
    pub adj: &'a [Vec<Edge>],
    pub cap: u32,
    pub angles: &'a [f64],
    /// Weight of uneven fill against cut length in the cut score.
    pub balance: f64,
}

/// Splits `units` into groups of at most `cap` households. A set above the cap is cut in two
/// with the fewest grids that a straight sweep allows (ceil(H/cap) when it can, one more only
/// for this set when it cannot); always succeeds, since single units fit the cap.
pub fn partition(g: &Graph<'_>, units: Vec<usize>) -> Vec<Vec<usize>> {
    partition_at_least(g, units, 1)
}

/// Like [`partition`], but the first cut is made even when the set fits the cap, so that at
/// least `min_parts` (1 or 2) groups come out: a planner's "split this grid".
pub fn partition_at_least(g: &Graph<'_>, units: Vec<usize>, min_parts: usize) -> Vec<Vec<usize>> {
    let cap = u64::from(g.cap);
    let mut member = vec![u32::MAX; g.at.len()];
    let mut out = Vec::new();
    let mut force = min_parts >= 2;
    let mut stack = vec![units];
    let mut tag = 0u32;
    while let Some(set) = stack.pop() {
        let total: u64 = set.iter().map(|&u| u64::from(g.households[u])).sum();
        let must = std::mem::take(&mut force) && set.len() >= 2;
        if (total <= cap && !must) || set.len() <= 1 {
            out.push(set);
            continue;
        }
        tag += 1;
        for &u in &set {
            member[u] = tag;
        }
        let kmin = (total.div_ceil(cap) as usize).max(usize::from(must) * 2);
        let found = (kmin.max(2)..=set.len()).find_map(|k| split(g, &set, k, &member, tag));
        match found {
            Some((l, r)) => {
                stack.push(r);
                stack.push(l);
            }
            None => out.extend(set.into_iter().map(|u| vec![u])),
        }
    }
    out
}

/// The best straight cut of `set` such that both sides together need at most `k` grids.
fn split(
    g: &Graph<'_>,
    set: &[usize],
    k: usize,
    member: &[u32],
    tag: u32,
) -> Option<(Vec<usize>, Vec<usize>)> {
    let cap = u64::from(g.cap);
    let total: u64 = set.iter().map(|&u| u64::from(g.households[u])).sum();
    let n = set.len();
    let mut best: Option<(f64, usize, usize)> = None;
    let mut in_left = vec![false; g.at.len()];
    let sweep = |a: f64| {
        let (dx, dy) = (a.cos(), a.sin());
        let mut keyed: Vec<(f64, usize)> = set
            .iter()
            .map(|&p| (g.at[p].x * dx + g.at[p].y * dy, p))
            .collect();
        keyed.sort_unstable_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        keyed.into_iter().map(|(_, p)| p).collect::<Vec<usize>>()
    };
    for (ai, &a) in g.angles.iter().enumerate() {
        let order = sweep(a);
        for &u in &order {
            in_left[u] = false;
        }
        let mut cut = 0.0;
        let mut left_sum = 0u64;
        for (i, &u) in order.iter().enumerate().take(n - 1) {
            in_left[u] = true;
            for e in &g.adj[u] {
                if member[e.to] != tag {
                    continue;
                }
                if in_left[e.to] {
                    cut -= e.weight
                } else {
                    cut += e.weight
                }
            }
            left_sum += u64::from(g.households[u]);
            let right_sum = total - left_sum;
            let (kl, kr) = (
                left_sum.div_ceil(cap).max(1) as usize,
                right_sum.div_ceil(cap).max(1) as usize,
            );
            if kl + kr > k {
                continue;
            }
            let fill_l = left_sum as f64 / (kl as u64 * cap) as f64;
            let fill_r = right_sum as f64 / (kr as u64 * cap) as f64;
            // Even fill leaves both sides room for the cuts still to come.
            let imbalance = (fill_l - fill_r).abs();
            let score = cut.max(0.0) * (1.0 + g.balance * imbalance) + 1e-9 * i as f64;
            if best.is_none_or(|b| score < b.0) {
                best = Some((score, ai, i + 1));
            }
        }
    }
    let (_, ai, at) = best?;
    let order = sweep(g.angles[ai]);
    Some((order[..at].to_vec(), order[at..].to_vec()))
}

/// Hilbert index of (x, y) in [0, 1)² on a 2^16 grid.
fn hilbert(x: f64, y: f64) -> u64 {
    let n: u64 = 1 << 16;
    let (mut x, mut y) = (
        (x.clamp(0.0, 0.999_999) * n as f64) as u64,
        (y.clamp(0.0, 0.999_999) * n as f64) as u64,
    );
    let mut d = 0u64;
    let mut s = n / 2;
    while s > 0 {
        let rx = u64::from(x & s > 0);
        let ry = u64::from(y & s > 0);
        d += s * s * ((3 * rx) ^ ry);
        if ry == 0 {
            if rx == 1 {
                x = n - 1 - x;
                y = n - 1 - y;
            }
            std::mem::swap(&mut x, &mut y);
        }
        s /= 2;
    }
    d
}

/// Greedy segmentation along a Hilbert curve: units in curve order, a new grid whenever the
/// next unit would break the cap. Optimal for contiguous segments of the curve, so grids fill
/// close to the cap; `variant` rotates and mirrors the curve.
pub fn curve_fill(g: &Graph<'_>, units: &[usize], variant: usize) -> Vec<Vec<usize>> {
    if units.is_empty() {
        return Vec::new();
    }
    let (mut x0, mut y0, mut x1, mut y1) = (
        f64::INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NEG_INFINITY,
    );
    for &u in units {
        x0 = x0.min(g.at[u].x);
        y0 = y0.min(g.at[u].y);
        x1 = x1.max(g.at[u].x);
        y1 = y1.max(g.at[u].y);
    }
    let span = (x1 - x0).max(y1 - y0).max(1e-9);
    let key = |u: usize| {
        let (mut x, mut y) = ((g.at[u].x - x0) / span, (g.at[u].y - y0) / span);
        if variant & 1 == 1 {
            std::mem::swap(&mut x, &mut y);
        }
        if variant & 2 == 2 {
            x = 1.0 - x;
        }
        if variant & 4 == 4 {
            y = 1.0 - y;
        }
        hilbert(x, y)
    };
    let mut order = units.to_vec();
    order.sort_by_key(|&u| (key(u), u));
    let mut out: Vec<Vec<usize>> = Vec::new();
    let mut sum = 0u32;
    for u in order {
        let h = g.households[u];
        match out.last_mut() {
            Some(last) if sum + h <= g.cap => {
                last.push(u);
                sum += h;
            }
            _ => {
                out.push(vec![u]);
                sum = h;
            }
        }
    }
    out
}

//! Recursive sweep bisection with a hard household cap. A set of units that must form `k`
//! grids is cut in two (k/2 and k - k/2 grids) along the best of several directions: units are
//! swept in order of their projection, and among the split points where both sides can still
//! meet the cap, the one with the cheapest cut (shared boundary length, discounted along
//! streets) and the best balance wins.

use super::cells::Edge;
use geo_types::Coord;

/// What the bisection needs to know about the units.
pub struct Graph<'a> {
    pub at: &'a [Coord<f64>],
    pub households: &'a [u32],
    /// Unit adjacency (unit indices).
    pub adj: &'a [Vec<Edge>],
    pub cap: u32,
    pub angles: &'a [f64],
}

/// Splits `units` into exactly `k` groups of at most `cap` households, or `None`.
pub fn partition(g: &Graph<'_>, units: Vec<usize>, k: usize) -> Option<Vec<Vec<usize>>> {
    let total: u64 = units.iter().map(|&u| u64::from(g.households[u])).sum();
    if units.len() < k || total > k as u64 * u64::from(g.cap) {
        return None;
    }
    let mut member = vec![u32::MAX; g.at.len()];
    let mut out = Vec::with_capacity(k);
    let mut stack = vec![(units, k)];
    let mut tag = 0u32;
    while let Some((set, k)) = stack.pop() {
        if k == 1 {
            out.push(set);
            continue;
        }
        tag += 1;
        for &u in &set {
            member[u] = tag;
        }
        let (left, right) = split(g, &set, k, &member, tag)?;
        let kl = k / 2;
        stack.push((right, k - kl));
        stack.push((left, kl));
    }
    Some(out)
}

fn split(g: &Graph<'_>, set: &[usize], k: usize, member: &[u32], tag: u32) -> Option<(Vec<usize>, Vec<usize>)> {
    let kl = k / 2;
    let kr = k - kl;
    let cap = u64::from(g.cap);
    let total: u64 = set.iter().map(|&u| u64::from(g.households[u])).sum();
    let lo = total.saturating_sub(kr as u64 * cap);
    let hi = kl as u64 * cap;
    let n = set.len();
    let mut best: Option<(f64, usize, usize)> = None;
    let mut in_left = vec![false; g.at.len()];
    let sweep = |a: f64| {
        let (dx, dy) = (a.cos(), a.sin());
        let mut order = set.to_vec();
        order.sort_by(|&p, &q| {
            let (pp, pq) = (g.at[p].x * dx + g.at[p].y * dy, g.at[q].x * dx + g.at[q].y * dy);
            pp.total_cmp(&pq).then(p.cmp(&q))
        });
        order
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
                if in_left[e.to] { cut -= e.weight } else { cut += e.weight }
            }
            left_sum += u64::from(g.households[u]);
            let (nl, nr) = (i + 1, n - i - 1);
            if left_sum < lo || left_sum > hi || nl < kl || nr < kr {
                continue;
            }
            let fill_l = left_sum as f64 / kl as f64;
            let fill_r = (total - left_sum) as f64 / kr as f64;
            let imbalance = (fill_l - fill_r).abs() / cap as f64;
            let score = cut.max(0.0) * (1.0 + 3.0 * imbalance) + 1e-9 * i as f64;
            if best.is_none_or(|b| score < b.0) {
                best = Some((score, ai, i + 1));
            }
        }
    }
    let (_, ai, at) = best?;
    let order = sweep(g.angles[ai]);
    Some((order[..at].to_vec(), order[at..].to_vec()))
}

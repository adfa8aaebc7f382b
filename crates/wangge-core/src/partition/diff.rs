//! Comparing two plan versions: each old grid is matched to the new grid that received most
//! of its households; households whose address point left its matched grid have moved.

use std::collections::{BTreeMap, HashMap};

/// One grid membership: (address key, grid code, households).
pub type Member = (String, String, u32);

/// An old grid and where its households went.
#[derive(Debug, Clone, PartialEq)]
pub struct GridMatch {
    pub old: String,
    /// The new grid holding most of the old grid's households (`None`: all of them gone).
    pub new: Option<String>,
    pub shared: u64,
    pub old_households: u64,
    pub new_households: u64,
}

/// A moved address point (or part of one, for floor splits).
#[derive(Debug, Clone, PartialEq)]
pub struct Move {
    pub address: String,
    pub from: String,
    pub to: String,
    pub households: u32,
}

/// The difference between plan A and plan B.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PlanDiff {
    pub matches: Vec<GridMatch>,
    /// New grids that are no old grid's match.
    pub new_grids: Vec<String>,
    pub moves: Vec<Move>,
    pub moved_households: u64,
    /// Households only in A or only in B (address points added or removed).
    pub only_in_a: u64,
    pub only_in_b: u64,
}

/// Numbers the parts of an address point that is split over several grids (floor splits):
/// `KEY`, `KEY#2`, ... in grid order, so that parts pair up between plans.
fn parts(members: &[Member]) -> Vec<Member> {
    let mut sorted = members.to_vec();
    sorted.sort();
    let mut out = Vec::with_capacity(sorted.len());
    let mut prev: Option<String> = None;
    let mut n = 0;
    for (k, g, h) in sorted {
        n = if prev.as_deref() == Some(k.as_str()) {
            n + 1
        } else {
            1
        };
        prev = Some(k.clone());
        out.push((if n == 1 { k } else { format!("{k}#{n}") }, g, h));
    }
    out
}

/// Compares memberships of two plans.
pub fn diff(a: &[Member], b: &[Member]) -> PlanDiff {
    let (a, b) = (parts(a), parts(b));
    let (a, b) = (a.as_slice(), b.as_slice());
    let mut shared: BTreeMap<(&str, &str), u64> = BTreeMap::new();
    let mut b_of: HashMap<&str, Vec<(&str, u32)>> = HashMap::new();
    for (k, g, h) in b {
        b_of.entry(k.as_str()).or_default().push((g.as_str(), *h));
    }
    let mut a_total: BTreeMap<&str, u64> = BTreeMap::new();
    let mut b_total: BTreeMap<&str, u64> = BTreeMap::new();
    for (_, g, h) in b {
        *b_total.entry(g.as_str()).or_default() += u64::from(*h);
    }
    let mut out = PlanDiff::default();
    let a_keys: std::collections::HashSet<&str> = a.iter().map(|m| m.0.as_str()).collect();
    for (k, g, h) in a {
        *a_total.entry(g.as_str()).or_default() += u64::from(*h);
        match b_of.get(k.as_str()) {
            Some(targets) => {
                for (t, _) in targets {
                    *shared.entry((g.as_str(), t)).or_default() +=
                        u64::from(*h) / targets.len() as u64;
                }
            }
            None => out.only_in_a += u64::from(*h),
        }
    }
    out.only_in_b = b
        .iter()
        .filter(|m| !a_keys.contains(m.0.as_str()))
        .map(|m| u64::from(m.2))
        .sum();
    let mut best: BTreeMap<&str, (&str, u64)> = BTreeMap::new();
    for (&(old, new), &s) in &shared {
        let e = best.entry(old).or_insert((new, 0));
        if s > e.1 {
            *e = (new, s);
        }
    }
    for (&old, &total) in &a_total {
        let m = best.get(old);
        out.matches.push(GridMatch {
            old: old.to_string(),
            new: m.map(|x| x.0.to_string()),
            shared: m.map_or(0, |x| x.1),
            old_households: total,
            new_households: m.and_then(|x| b_total.get(x.0)).copied().unwrap_or(0),
        });
    }
    let matched: std::collections::HashSet<&str> = best.values().map(|x| x.0).collect();
    out.new_grids = b_total
        .keys()
        .filter(|g| !matched.contains(*g))
        .map(|g| g.to_string())
        .collect();
    for (k, g, h) in a {
        let Some(targets) = b_of.get(k.as_str()) else {
            continue;
        };
        let home = best.get(g.as_str()).map(|x| x.0);
        if targets.iter().any(|(t, _)| Some(*t) == home) {
            continue;
        }
        let to = targets.first().map(|t| t.0).unwrap_or("");
        out.moves.push(Move {
            address: k.clone(),
            from: g.clone(),
            to: to.to_string(),
            households: *h,
        });
        out.moved_households += u64::from(*h);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(k: &str, g: &str, h: u32) -> Member {
        (k.into(), g.into(), h)
    }

    #[test]
    fn renumbered_grids_match_and_moves_are_listed() {
        let a = vec![
            m("e1", "001", 50),
            m("e2", "001", 60),
            m("e3", "002", 70),
            m("e4", "002", 40),
        ];
        // Same grouping with swapped codes, and e2 moved to the other grid.
        let b = vec![
            m("e1", "002", 50),
            m("e2", "001", 60),
            m("e3", "001", 70),
            m("e4", "001", 40),
        ];
        let d = diff(&a, &b);
        let g1 = d.matches.iter().find(|x| x.old == "001").expect("001");
        assert_eq!(g1.new.as_deref(), Some("001"));
        let g2 = d.matches.iter().find(|x| x.old == "002").expect("002");
        assert_eq!(g2.new.as_deref(), Some("001"));
        assert_eq!(d.moved_households, 50);
        assert_eq!(
            d.moves,
            vec![Move {
                address: "e1".into(),
                from: "001".into(),
                to: "002".into(),
                households: 50
            }]
        );
        assert_eq!(diff(&a, &a).moved_households, 0);
    }
}

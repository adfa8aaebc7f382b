//! Planner edits on a plan: move buildings to a neighbouring grid, split a grid, merge two
//! grids. An edit changes memberships; the plan is then rebuilt with every grid locked, so the
//! run's own final check validates cap, contiguity and tiling. A refused edit says why.

use super::plan::Partitioner;
use super::workspace::{LockedGrid, WorkspacePlan, inputs};
use crate::Dataset;
use std::collections::{BTreeMap, HashSet};
use thiserror::Error;

/// A planner's edit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Edit {
    /// Move whole buildings (by key) into grid `to`.
    Move { buildings: Vec<String>, to: String },
    /// Split a grid in two (more if it is over the cap).
    Split { grid: String },
    /// Merge grid `b` into grid `a`.
    Merge { a: String, b: String },
    /// Give the grids of a community serial codes in serial order again (north→south bands,
    /// west→east); the only edit that changes codes of grids it does not redraw.
    Renumber { community: String },
}

/// Why an edit was refused.
#[derive(Debug, Clone, Error, PartialEq)]
pub enum EditRefused {
    #[error("no grid {0} in the plan")]
    NoGrid(String),
    #[error("no community {0} with grids in the plan")]
    NoCommunity(String),
    #[error("no building {0} with address points in the plan")]
    NoBuilding(String),
    #[error(
        "grids {a} and {b} are in different communities ({ca}, {cb}); grids never cross a community boundary"
    )]
    OtherCommunity {
        a: String,
        b: String,
        ca: String,
        cb: String,
    },
    #[error("building {building} is already in grid {grid}")]
    AlreadyThere { building: String, grid: String },
    #[error("{}", .0.message)]
    Invalid(super::Violation),
    /// The edit would leave every grid as it is: no new plan version.
    #[error("the edit changes nothing: {0}; no new plan version was saved")]
    NoChange(String),
}

impl EditRefused {
    /// A stable machine code: `edit.no_grid`, ..., or `plan.<violation kind>` when the
    /// rebuilt plan breaks a hard constraint.
    pub fn code(&self) -> String {
        match self {
            Self::NoGrid(_) => "edit.no_grid".into(),
            Self::NoCommunity(_) => "edit.no_community".into(),
            Self::NoBuilding(_) => "edit.no_building".into(),
            Self::OtherCommunity { .. } => "edit.other_community".into(),
            Self::AlreadyThere { .. } => "edit.already_there".into(),
            Self::Invalid(v) => format!("plan.{}", v.kind.code()),
            Self::NoChange(_) => "edit.no_change".into(),
        }
    }

    /// The values in the message by name, for translation by `code`.
    pub fn params(&self) -> Vec<(&'static str, String)> {
        match self {
            Self::NoGrid(g) => vec![("grid", g.clone())],
            Self::NoCommunity(c) => vec![("community", c.clone())],
            Self::NoBuilding(b) => vec![("building", b.clone())],
            Self::OtherCommunity { a, b, ca, cb } => vec![
                ("a", a.clone()),
                ("b", b.clone()),
                ("community_a", ca.clone()),
                ("community_b", cb.clone()),
            ],
            Self::AlreadyThere { building, grid } => {
                vec![("building", building.clone()), ("grid", grid.clone())]
            }
            Self::Invalid(v) => v.params.clone(),
            Self::NoChange(_) => Vec::new(),
        }
    }
}

// Long: one match over the planner's edits (move, split, merge), each arm short, all building
// the same locked memberships the run then checks.
/// Applies an edit to a plan given as memberships (community, grid, address keys), and
/// rebuilds the plan with every grid locked. Returns the new plan, or the reason it is refused.
/// Codes stay ([`keep_codes`]): grids keep the code of the grid of `base` they share most
/// households with, the grids an edit names and keeps keep theirs, new grids take the serial
/// after the community's highest; only [`Edit::Renumber`] renumbers.
pub fn apply(
    p: &Partitioner,
    data: &Dataset,
    (base, shares): (&[LockedGrid], &[(String, String, u32)]),
    edit: &Edit,
) -> Result<WorkspacePlan, EditRefused> {
    if let Edit::Renumber { community } = edit {
        return renumber(p, data, base, community);
    }
    let mut grids: BTreeMap<String, (String, Vec<String>)> = base
        .iter()
        .map(|(c, g, keys)| (g.clone(), (c.clone(), keys.clone())))
        .collect();
    let community_of = |g: &str, grids: &BTreeMap<String, (String, Vec<String>)>| {
        grids
            .get(g)
            .map(|x| x.0.clone())
            .ok_or_else(|| EditRefused::NoGrid(g.to_string()))
    };
    let mut split: Option<String> = None;
    // Grids the edit names and keeps (a move's target and sources, a merge's first grid):
    // they keep their codes whatever the overlap says.
    let mut pinned: Vec<String> = Vec::new();
    let touched: String = match edit {
        Edit::Move { buildings, to } => {
            let to_community = community_of(to, &grids)?;
            for b in buildings {
                let keys: HashSet<&str> = data
                    .address_points
                    .iter()
                    .filter(|a| a.building.as_deref() == Some(b.as_str()))
                    .map(|a| a.key.as_str())
                    .collect();
                let from: Vec<String> = grids
                    .iter()
                    .filter(|(_, (_, ks))| ks.iter().any(|k| keys.contains(k.as_str())))
                    .map(|(g, _)| g.clone())
                    .collect();
                if keys.is_empty() || from.is_empty() {
                    return Err(EditRefused::NoBuilding(b.clone()));
                }
                if from.iter().all(|g| g == to) {
                    return Err(EditRefused::AlreadyThere {
                        building: b.clone(),
                        grid: to.clone(),
                    });
                }
                for g in &from {
                    let c = community_of(g, &grids)?;
                    if c != to_community {
                        return Err(EditRefused::OtherCommunity {
                            a: g.clone(),
                            b: to.clone(),
                            ca: c,
                            cb: to_community,
                        });
                    }
                }
                pinned.extend(from.iter().cloned());
                let mut moved = Vec::new();
                for g in &from {
                    if let Some((_, ks)) = grids.get_mut(g) {
                        ks.retain(|k| {
                            let hit = keys.contains(k.as_str());
                            if hit {
                                moved.push(k.clone());
                            }
                            !hit
                        });
                    }
                }
                if let Some((_, ks)) = grids.get_mut(to) {
                    ks.extend(moved);
                }
            }
            grids.retain(|_, (_, ks)| !ks.is_empty());
            pinned.push(to.clone());
            to_community
        }
        Edit::Merge { a, b } => {
            if a == b {
                return Err(EditRefused::NoChange(format!(
                    "grid {a} cannot be merged with itself"
                )));
            }
            let (ca, cb) = (community_of(a, &grids)?, community_of(b, &grids)?);
            if ca != cb {
                return Err(EditRefused::OtherCommunity {
                    a: a.clone(),
                    b: b.clone(),
                    ca,
                    cb,
                });
            }
            let moved = grids.remove(b).map(|x| x.1).unwrap_or_default();
            if let Some((_, ks)) = grids.get_mut(a) {
                ks.extend(moved);
            }
            pinned.push(a.clone());
            ca
        }
        Edit::Split { grid } => {
            let c = community_of(grid, &grids)?;
            grids.remove(grid);
            split = Some(c.clone());
            c
        }
        Edit::Renumber { community } => community.clone(),
    };
    let keep: Vec<LockedGrid> = grids.into_iter().map(|(g, (c, ks))| (c, g, ks)).collect();
    let (mut ins, outside, ambiguous) = inputs(data);
    for input in &mut ins {
        input.locked = keep
            .iter()
            .filter(|(c, _, _)| *c == input.code)
            .map(|(_, g, ks)| (g.clone(), ks.clone()))
            .collect();
        input.split_free = split.as_deref() == Some(input.code.as_str());
    }
    let mut plan = super::workspace::run_inputs(p, ins, outside, ambiguous, &crate::NoProgress);
    keep_codes(&mut plan, base, shares, &pinned);
    if let Some(c) = plan.communities.iter().find(|c| c.code == touched)
        && let Some(v) = c.violations.first()
    {
        return Err(EditRefused::Invalid(v.clone()));
    }
    // The same grids as before (as sets of address points): nothing to save.
    let as_sets = |grids: &mut dyn Iterator<Item = Vec<String>>| {
        let mut v: Vec<Vec<String>> = grids
            .map(|mut ks| {
                ks.sort();
                ks.dedup();
                ks
            })
            .collect();
        v.sort();
        v
    };
    let before = as_sets(
        &mut base
            .iter()
            .filter(|(c, _, _)| *c == touched)
            .map(|(_, _, ks)| ks.clone()),
    );
    let after = plan
        .communities
        .iter()
        .find(|c| c.code == touched)
        .map(|c| {
            as_sets(
                &mut c
                    .grids
                    .iter()
                    .map(|g| g.members.iter().map(|m| m.0.clone()).collect()),
            )
        });
    if after.as_ref() == Some(&before) {
        return Err(EditRefused::NoChange(match edit {
            Edit::Split { grid } => format!(
                "grid {grid} cannot be divided further (it holds one building, or one entrance that is not above the cap)"
            ),
            _ => "every grid keeps its address points".into(),
        }));
    }
    Ok(plan)
}

/// The plan with the grids of `community` coded in serial order (the others as they are).
fn renumber(
    p: &Partitioner,
    data: &Dataset,
    base: &[LockedGrid],
    community: &str,
) -> Result<WorkspacePlan, EditRefused> {
    let at: std::collections::HashMap<&str, geo_types::Point<f64>> = data
        .address_points
        .iter()
        .map(|a| (a.key.as_str(), a.location))
        .collect();
    let mine: Vec<&LockedGrid> = base.iter().filter(|(c, _, _)| c == community).collect();
    let points: Vec<geo_types::Point<f64>> = mine
        .iter()
        .flat_map(|(_, _, keys)| keys.iter().filter_map(|k| at.get(k.as_str()).copied()))
        .collect();
    if points.is_empty() {
        return Err(EditRefused::NoCommunity(community.to_string()));
    }
    // The run's frame (centred on the community's polygon), so bands fall where they fell.
    let n = points.len() as f64;
    let origin = data
        .communities
        .iter()
        .find(|c| c.key == community)
        .and_then(|c| geo::Centroid::centroid(&c.geometry))
        .map_or(
            (
                points.iter().map(|q| q.x()).sum::<f64>() / n,
                points.iter().map(|q| q.y()).sum::<f64>() / n,
            ),
            |c| (c.x(), c.y()),
        );
    let frame = crate::LocalFrame::new(origin.0, origin.1);
    // The centre of a grid's address points (the run uses its units' sites).
    let centre = |keys: &[String]| {
        let xy: Vec<geo_types::Coord<f64>> = keys
            .iter()
            .filter_map(|k| at.get(k.as_str()))
            .map(|q| frame.forward(q.0))
            .collect();
        let w = xy.len().max(1) as f64;
        (
            xy.iter().map(|c| c.x).sum::<f64>() / w,
            xy.iter().map(|c| c.y).sum::<f64>() / w,
        )
    };
    let mut order: Vec<(&String, (f64, f64))> =
        mine.iter().map(|(_, g, keys)| (g, centre(keys))).collect();
    order.sort_by(|a, b| super::run::serial_order(a.1, b.1));
    let code_of: std::collections::HashMap<&str, String> = order
        .iter()
        .enumerate()
        .map(|(i, (g, _))| (g.as_str(), format!("{community}{:03}", i + 1)))
        .collect();
    if code_of.iter().all(|(old, new)| old == new) {
        return Err(EditRefused::NoChange(format!(
            "the grids of community {community} are already numbered in serial order"
        )));
    }
    let renamed: Vec<LockedGrid> = base
        .iter()
        .map(|(c, g, keys)| {
            let g = code_of
                .get(g.as_str())
                .cloned()
                .unwrap_or_else(|| g.clone());
            (c.clone(), g, keys.clone())
        })
        .collect();
    Ok(rebuild(p, data, &renamed, &[]))
}

/// Rebuilds a plan from memberships with every grid locked (undo: re-saving an older plan),
/// each grid under the code it had there.
pub fn rebuild(
    p: &Partitioner,
    data: &Dataset,
    base: &[LockedGrid],
    shares: &[(String, String, u32)],
) -> WorkspacePlan {
    let mut plan = super::workspace::partition_all_locked(p, data, base, &crate::NoProgress);
    keep_codes(&mut plan, base, shares, &[]);
    plan
}

/// Codes as in `base`, by overlap: every grid of the new plan takes the code of the base grid
/// of its community it shares most households with (pairs taken greatest overlap first, each
/// code once), so a grid that stays keeps its code, and of a split grid the part with most of
/// it keeps the code; a grid with no base code left takes the serial after the highest the
/// community had in `base` (a gap a merge left is not filled).
/// Locked grids a run could not hold whole (a floor-split entrance shared with a neighbour
/// puts its units back in the search) thus keep their codes too.
///
/// `shares` are the base's memberships with households (address key, grid, households): an
/// entrance split by floors is in several grids, each with its share. Without them every
/// grid holding a key is taken to hold all of it. Grids the run kept under a code in `pinned`
/// (the grids an edit names and keeps) keep it first.
pub fn keep_codes(
    plan: &mut WorkspacePlan,
    base: &[LockedGrid],
    shares: &[(String, String, u32)],
    pinned: &[String],
) {
    let share: std::collections::HashMap<(&str, &str), u32> = shares
        .iter()
        .map(|(k, g, h)| ((k.as_str(), g.as_str()), *h))
        .collect();
    for c in &mut plan.communities {
        let mut owners: std::collections::HashMap<&str, Vec<(&str, u32)>> =
            std::collections::HashMap::new();
        let mut top = 0u32;
        for (_, code, keys) in base.iter().filter(|(cc, _, _)| *cc == c.code) {
            if let Some(s) = serial_of(code, &c.code) {
                top = top.max(s);
            }
            for k in keys {
                let h = share
                    .get(&(k.as_str(), code.as_str()))
                    .copied()
                    .unwrap_or(u32::MAX);
                owners
                    .entry(k.as_str())
                    .or_default()
                    .push((code.as_str(), h));
            }
        }
        // (overlap in households, new grid index, base code)
        let mut pairs: Vec<(u64, usize, &str)> = Vec::new();
        for (i, g) in c.grids.iter().enumerate() {
            let mut by: BTreeMap<&str, u64> = BTreeMap::new();
            for (k, h) in &g.members {
                for (code, base_h) in owners.get(k.as_str()).into_iter().flatten() {
                    *by.entry(code).or_default() += u64::from((*h).min(*base_h)).max(1);
                }
            }
            pairs.extend(by.into_iter().map(|(code, n)| (n, i, code)));
        }
        pairs.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(b.2)));
        let mut code_of: Vec<Option<String>> = vec![None; c.grids.len()];
        let mut used: HashSet<&str> = HashSet::new();
        for (i, g) in c.grids.iter().enumerate() {
            if let Some(code) = pinned.iter().find(|p| **p == g.code)
                && owners.values().flatten().any(|(c, _)| *c == code)
                && used.insert(code.as_str())
            {
                code_of[i] = Some(code.clone());
            }
        }
        for (_, i, code) in pairs {
            if code_of[i].is_none() && used.insert(code) {
                code_of[i] = Some(code.to_string());
            }
        }
        for (g, code) in c.grids.iter_mut().zip(code_of) {
            g.code = code.unwrap_or_else(|| {
                top += 1;
                format!("{}{top:03}", c.code)
            });
        }
    }
}

/// The serial of a grid code of community `community` (`community` + digits).
fn serial_of(code: &str, community: &str) -> Option<u32> {
    code.strip_prefix(community)?.parse().ok()
}

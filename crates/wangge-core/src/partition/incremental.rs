//! Incremental re-partition: after a small change (households edited, address points added or
//! removed), only the grids the change touches are redone; every other grid is locked.

use super::workspace::LockedGrid;
use crate::Dataset;
use crate::index::PolygonIndex;
use geo_types::{MultiPolygon, Polygon};
use std::collections::{HashMap, HashSet};

/// A grid of the base plan.
#[derive(Debug, Clone, PartialEq)]
pub struct BaseGrid {
    pub code: String,
    pub community: String,
    pub polygon: Polygon<f64>,
    /// (address key, households in this grid).
    pub members: Vec<(String, u32)>,
}

/// What changed since the base plan, and the grids to keep.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Change {
    /// Grids untouched by the change: lock them.
    pub keep: Vec<LockedGrid>,
    /// Codes of the grids to repair.
    pub affected: Vec<String>,
    /// The grids to repair with their old members.
    pub repair: Vec<LockedGrid>,
    /// Households changed: |difference| for edited points, all for added or removed ones.
    pub changed_households: u64,
}

/// Compares the base plan with the current data. A grid is redone only when it must be: it
/// is now over `cap`, lost an address point, gained a new one, or holds part of a split
/// address point whose households changed. Grids whose households merely changed within the
/// cap keep their members (least churn).
pub fn change(base: &[BaseGrid], data: &Dataset, cap: u32) -> Change {
    let now: HashMap<&str, u32> = data
        .address_points
        .iter()
        .map(|a| (a.key.as_str(), a.households))
        .collect();
    let mut before: HashMap<&str, u64> = HashMap::new();
    for g in base {
        for (k, h) in &g.members {
            *before.entry(k.as_str()).or_default() += u64::from(*h);
        }
    }
    let mut affected: HashSet<usize> = HashSet::new();
    let mut changed = 0u64;
    let mut grids_of: HashMap<&str, usize> = HashMap::new();
    for g in base {
        for (k, _) in &g.members {
            *grids_of.entry(k.as_str()).or_default() += 1;
        }
    }
    for (i, g) in base.iter().enumerate() {
        let mut total = 0u64;
        for (k, share) in &g.members {
            let was = before[k.as_str()];
            match now.get(k.as_str()) {
                Some(&h) if u64::from(h) == was => total += u64::from(*share),
                Some(&h) if grids_of[k.as_str()] == 1 => total += u64::from(h),
                Some(_) | None => {
                    affected.insert(i);
                }
            }
        }
        if total > u64::from(cap) {
            affected.insert(i);
        }
    }
    for (k, was) in &before {
        changed += match now.get(k) {
            Some(&h) => u64::from(h).abs_diff(*was),
            None => *was,
        };
    }
    // New address points: the base grid they fall in is affected.
    let shapes: Vec<MultiPolygon<f64>> = base
        .iter()
        .map(|g| MultiPolygon(vec![g.polygon.clone()]))
        .collect();
    let index = PolygonIndex::new(crate::index::frame_for(data), &shapes);
    // Points outside every base grid (outside every community) were in no grid and still
    // are in none: not a change.
    for a in &data.address_points {
        if !before.contains_key(a.key.as_str()) {
            let hits = index.containing(a.location);
            if !hits.is_empty() {
                changed += u64::from(a.households);
                affected.extend(hits);
            }
        }
    }
    let mut out = Change {
        changed_households: changed,
        ..Change::default()
    };
    for (i, g) in base.iter().enumerate() {
        if affected.contains(&i) {
            out.affected.push(g.code.clone());
            out.repair.push((
                g.community.clone(),
                g.code.clone(),
                g.members.iter().map(|m| m.0.clone()).collect(),
            ));
        } else {
            out.keep.push((
                g.community.clone(),
                g.code.clone(),
                g.members.iter().map(|m| m.0.clone()).collect(),
            ));
        }
    }
    out.affected.sort();
    out
}

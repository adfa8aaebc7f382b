//! Residents' groups (居民小组, 30-50 households): the level below grids. Each grid is
//! partitioned like a community with the group cap, so groups nest exactly in their grid
//! (they tile it, every address point in one group) by the same hard checks.

use super::plan::{CommunityInput, CommunityPlan, Entrance, PartitionError, Partitioner};
use super::workspace::WorkspacePlan;
use crate::Dataset;
use geo_types::MultiPolygon;
use std::collections::HashMap;

/// Groups of every grid of a plan: one `CommunityPlan` per grid, whose grids are the groups.
pub fn residents_groups(
    p: &Partitioner,
    plan: &WorkspacePlan,
    data: &Dataset,
) -> (Vec<CommunityPlan>, Vec<PartitionError>) {
    let points: HashMap<&str, &crate::AddressPoint> = data
        .address_points
        .iter()
        .map(|a| (a.key.as_str(), a))
        .collect();
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for c in &plan.communities {
        for g in &c.grids {
            // A floor-split part sits at its slice of the cell, not at the door.
            let anchor: HashMap<&str, geo_types::Point<f64>> =
                g.anchors.iter().map(|(k, p)| (k.as_str(), *p)).collect();
            let entrances: Vec<Entrance> = g
                .members
                .iter()
                .filter_map(|(k, h)| {
                    points.get(k.as_str()).map(|a| Entrance {
                        key: k.clone(),
                        building: a.building.clone(),
                        households: *h,
                        floors: a.floors,
                        location: anchor.get(k.as_str()).copied().unwrap_or(a.location),
                    })
                })
                .collect();
            let input = CommunityInput {
                code: g.code.clone(),
                polygon: MultiPolygon(vec![g.polygon.clone()]),
                entrances,
                streets: Vec::new(),
                locked: Vec::new(),
                previous: Vec::new(),
                split_free: false,
            };
            match p.run(&input) {
                Ok(plan) => out.push(plan),
                Err(e) => errors.push(e),
            }
        }
    }
    (out, errors)
}

//! The communities of record: the imported communities, or, when the current plan made its
//! communities from the imported polygons read as streets (`partition --levels
//! communities,grids`: a plan with a community level), the plan's communities under those
//! streets. Incidents of such a plan name its communities, so a case's street, the
//! households per community and street, a street token's communities and the names beside a
//! community's figures are read from these, not from the imported layer.
//!
//! Both backends also read the same definition in SQL, without decoding polygons: their
//! `community_streets` (a server reloads tokens every 2 s), and on PostgreSQL the streets of
//! its cases, KPI rows and index tallies; the conformance suite holds them to this one
//! (`levels_of_record`).

use super::{PlaceStore, PlanStore};
use crate::Result;
use wangge_core::{Community, Dataset};

/// The communities of record, with their streets (see the module).
pub fn communities_of_record(
    store: &(impl PlaceStore + PlanStore + ?Sized),
) -> Result<Vec<Community>> {
    let communities = store.communities()?;
    let Some(plan) = store.latest_plan()? else {
        return Ok(communities);
    };
    let level = store.plan_communities(plan)?;
    if level.is_empty() {
        return Ok(communities);
    }
    let streets = Dataset {
        communities,
        ..Dataset::default()
    };
    Ok(wangge_core::partition::levels::with_planned_communities(
        &streets,
        level
            .iter()
            .map(|c| (c.code.as_str(), c.street.as_str(), &c.polygon)),
    )
    .communities)
}

/// (community, street) of the communities of record that have a street, in their order.
pub fn streets_of_record(
    store: &(impl PlaceStore + PlanStore + ?Sized),
) -> Result<Vec<(String, String)>> {
    Ok(communities_of_record(store)?
        .into_iter()
        .filter_map(|c| Some((c.key, c.street?)))
        .collect())
}

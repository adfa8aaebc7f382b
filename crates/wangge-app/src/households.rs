//! The one household-to-area assignment: every address point's households in its community
//! (the community polygon holding it) and in the grids of the newest plan, an entrance whose
//! floors the plan split across grids counted in each grid by the households the plan gave
//! it. The CLI's coverage report, the API's coverage per grid and the planner's grid totals
//! all count through this, so they agree (they did not: the API put a split entrance's
//! households wholly in one grid, showing grids of 272-392 households where the plan had
//! none above 200).

use std::collections::HashMap;
use wangge_core::walk::AreaShares;
use wangge_core::{Dataset, LocalFrame};
use wangge_io::Store;

/// Households of the workspace's address points per area.
#[derive(Debug, Clone)]
pub struct HouseholdAreas {
    /// One area, `all`.
    pub total: AreaShares,
    /// Areas are community keys; a point counts in the community whose polygon holds it.
    pub communities: AreaShares,
    /// Community of each address point (index into `data.communities`).
    pub community_of: Vec<Option<usize>>,
    /// Areas are the newest plan's grid codes (sorted); empty without a plan.
    pub grids: AreaShares,
    /// The community of each grid, as the plan records it.
    pub grid_community: Vec<String>,
    /// The newest plan, if any.
    pub plan: Option<i64>,
}

/// Assigns the households of `data`'s address points to the total, communities and grids.
pub fn household_areas(
    store: &dyn Store,
    data: &Dataset,
    frame: LocalFrame,
) -> wangge_io::Result<HouseholdAreas> {
    let households: Vec<u32> = data.address_points.iter().map(|p| p.households).collect();
    let n = households.len();
    let total = AreaShares::single(vec!["all".to_string()], &vec![Some(0); n], &households);
    let index =
        wangge_core::index::PolygonIndex::new(frame, data.communities.iter().map(|c| &c.geometry));
    let community_of: Vec<Option<usize>> = data
        .address_points
        .iter()
        .map(|p| index.first_containing(p.location))
        .collect();
    let communities = AreaShares::single(
        data.communities.iter().map(|c| c.key.clone()).collect(),
        &community_of,
        &households,
    );
    let plan = store.latest_plan()?;
    let (grids, grid_community) = match plan {
        None => (AreaShares::default_with_points(n), Vec::new()),
        Some(plan) => {
            let listed = store.plan_grids(plan)?; // sorted by code
            let at: HashMap<&str, usize> = listed
                .iter()
                .enumerate()
                .map(|(i, (code, _))| (code.as_str(), i))
                .collect();
            let point: HashMap<&str, usize> = data
                .address_points
                .iter()
                .enumerate()
                .map(|(i, p)| (p.key.as_str(), i))
                .collect();
            let mut per: Vec<Vec<(usize, u32)>> = vec![Vec::new(); n];
            for (key, grid, hh) in store.plan_members(plan)? {
                if let (Some(&p), Some(&g)) = (point.get(key.as_str()), at.get(grid.as_str())) {
                    per[p].push((g, hh));
                }
            }
            let codes = listed.iter().map(|(c, _)| c.clone()).collect();
            let comm = listed.into_iter().map(|(_, c)| c).collect();
            (AreaShares::new(codes, per), comm)
        }
    };
    Ok(HouseholdAreas {
        total,
        communities,
        community_of,
        grids,
        grid_community,
        plan,
    })
}

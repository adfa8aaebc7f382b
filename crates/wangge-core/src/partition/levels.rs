//! Nested levels in one call: the polygons of the communities layer are read as streets
//! (街道), each divided into communities of at most `community_cap` households (about 2,000),
//! and each of those into grids of at most the grid cap. Both levels come from the same
//! partitioner, so each community tiles its street and each grid tiles its community.

use super::{Partitioner, WorkspacePlan, partition_all};
use crate::{Community, Dataset, Progress};
use geo_types::MultiPolygon;

/// The two levels: the communities made from the streets, the data regrouped under them,
/// and the grids of those communities.
#[derive(Debug, Clone)]
pub struct Levels {
    /// One "grid" per new community (codes: street code + 3-digit serial).
    pub communities: WorkspacePlan,
    /// The input with the new communities in place of the streets.
    pub data: Dataset,
    pub grids: WorkspacePlan,
}

/// Divides every street into communities, then every community into grids.
pub fn streets_to_grids(
    community: &Partitioner,
    grid: &Partitioner,
    streets: &Dataset,
    progress: &dyn Progress,
) -> Levels {
    let communities = partition_all(community, streets, progress);
    let name_of: std::collections::HashMap<&str, &str> = streets
        .communities
        .iter()
        .map(|c| (c.key.as_str(), c.name.as_str()))
        .collect();
    let mut data = streets.clone();
    data.communities = communities
        .communities
        .iter()
        .flat_map(|street| {
            let street_name = name_of.get(street.code.as_str()).copied().unwrap_or("");
            street.grids.iter().map(move |c| Community {
                key: c.code.clone(),
                name: format!("{street_name} {:03}", c.serial),
                street: Some(street.code.clone()),
                kind: "planned".to_string(),
                geometry: MultiPolygon(vec![c.polygon.clone()]),
            })
        })
        .collect();
    let grids = partition_all(grid, &data, progress);
    Levels {
        communities,
        data,
        grids,
    }
}

//! Nested levels in one call: the polygons of the communities layer are read as streets
//! (街道), each divided into communities of at most `community_cap` households (about 2,000),
//! and each of those into grids of at most the grid cap. Both levels come from the same
//! partitioner, so each community tiles its street and each grid tiles its community.

use super::{Partitioner, WorkspacePlan, partition_all};
use crate::{Community, Dataset, Progress};
use geo_types::{MultiPolygon, Polygon};

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
            street
                .grids
                .iter()
                .map(move |c| planned(&c.code, &street.code, street_name, &c.polygon))
        })
        .collect();
    let grids = partition_all(grid, &data, progress);
    Levels {
        communities,
        data,
        grids,
    }
}

/// One community made from a street: `code` (the street's code and a 3-digit serial), named
/// after the street (`street_name` and the serial), its polygon.
fn planned(code: &str, street: &str, street_name: &str, polygon: &Polygon<f64>) -> Community {
    let serial = code.strip_prefix(street).unwrap_or(code);
    Community {
        key: code.to_string(),
        name: format!("{street_name} {serial}"),
        street: Some(street.to_string()),
        kind: "planned".to_string(),
        geometry: MultiPolygon(vec![polygon.clone()]),
    }
}

/// `places` (read as streets) with the communities a plan made from them in their place,
/// as [`streets_to_grids`] put them: `made` holds (code, street code, polygon) in the
/// plan's stored order. An edit, undo or repair of a plan with a community level works on
/// these, not on the streets, so the plan's grids still find their communities.
pub fn with_planned_communities<'a>(
    places: &Dataset,
    made: impl IntoIterator<Item = (&'a str, &'a str, &'a Polygon<f64>)>,
) -> Dataset {
    let name_of: std::collections::HashMap<&str, &str> = places
        .communities
        .iter()
        .map(|c| (c.key.as_str(), c.name.as_str()))
        .collect();
    let mut data = places.clone();
    data.communities = made
        .into_iter()
        .map(|(code, street, polygon)| {
            let street_name = name_of.get(street).copied().unwrap_or("");
            planned(code, street, street_name, polygon)
        })
        .collect();
    data
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plans_communities_take_the_streets_place_named_after_them() {
        let square = |x: f64| {
            Polygon::new(
                geo_types::LineString::from(vec![
                    (x, 0.0),
                    (x + 1.0, 0.0),
                    (x + 1.0, 1.0),
                    (x, 1.0),
                    (x, 0.0),
                ]),
                vec![],
            )
        };
        let places = Dataset {
            communities: vec![Community {
                key: "S1".into(),
                name: "玄武门街道".into(),
                street: None,
                kind: "official".into(),
                geometry: MultiPolygon(vec![square(0.0)]),
            }],
            ..Dataset::default()
        };
        let (a, b) = (square(0.0), square(0.5));
        let data = with_planned_communities(&places, [("S1001", "S1", &a), ("S1002", "S1", &b)]);
        let keys: Vec<(&str, &str, Option<&str>)> = data
            .communities
            .iter()
            .map(|c| (c.key.as_str(), c.name.as_str(), c.street.as_deref()))
            .collect();
        assert_eq!(
            keys,
            [
                ("S1001", "玄武门街道 001", Some("S1")),
                ("S1002", "玄武门街道 002", Some("S1"))
            ]
        );
        assert_eq!(data.communities[1].geometry, MultiPolygon(vec![b]));
        assert_eq!(
            places.communities.len(),
            1,
            "the places are left as they were"
        );
    }
}

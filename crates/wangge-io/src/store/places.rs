//! Places: communities, buildings, address points, facilities, streets, land cover.

use crate::Result;
use std::collections::BTreeMap;
use wangge_core::kpi::Level;
use wangge_core::{AddressPoint, Building, Community, Dataset, Progress};

/// Places and the households at them.
pub trait PlaceStore {
    /// Writes a dataset's places and incidents and logs the import. One transaction: either
    /// everything lands or nothing does; durable on return.
    fn write(
        &mut self,
        data: &Dataset,
        command: &str,
        sources: &str,
        progress: &dyn Progress,
    ) -> Result<()>;

    /// Like [`PlaceStore::write`], and removes the communities with these keys in the same
    /// transaction (imported boundaries replacing OSM-derived ones they cover). One
    /// transaction; durable on return.
    fn write_replacing(
        &mut self,
        data: &Dataset,
        replace_communities: &[String],
        command: &str,
        sources: &str,
        progress: &dyn Progress,
    ) -> Result<()>;

    /// Households at address points: (given, estimated). Read.
    fn households(&self) -> Result<(u64, u64)>;

    /// Facilities per category, sorted by category. Read.
    fn facility_categories(&self) -> Result<BTreeMap<String, u64>>;

    /// Every layer, incidents too. Read (layer by layer, not one snapshot).
    fn load(&self) -> Result<Dataset>;

    /// The communities. Read.
    fn communities(&self) -> Result<Vec<Community>>;

    /// Every layer but the incidents (which grow without end, and which plans, tiles,
    /// walking and household counts do not need). Read (layer by layer).
    fn load_places(&self) -> Result<Dataset>;

    /// What walking coverage reads: communities, address points, facilities and streets (no
    /// buildings or land cover, which a city has hundreds of thousands of). Read (layer by
    /// layer).
    fn load_walking(&self) -> Result<Dataset>;

    /// Every community's (key, polygon). Read.
    fn community_polygons(&self) -> Result<Vec<(String, geo_types::MultiPolygon<f64>)>>;

    /// (community, street) of the communities of record that name their street (街道):
    /// those of the current plan's community level when it has one
    /// ([`super::communities_of_record`]). Read.
    fn community_streets(&self) -> Result<Vec<(String, String)>>;

    /// Every address point as (lon, lat, households). Read.
    fn household_points(&self) -> Result<Vec<(f64, f64, u32)>>;

    /// The communities and the newest plan's grids, indexed for assigning incidents. Read
    /// (communities, then plan).
    fn assigner(&self) -> Result<wangge_core::Assigner>;

    /// Like [`PlaceStore::assigner`], with communities not yet stored (those of an import).
    fn assigner_with(
        &self,
        extra: Vec<(String, geo_types::MultiPolygon<f64>)>,
    ) -> Result<wangge_core::Assigner>;

    /// Bounds [west, south, east, north] of all communities and of each street's (街道)
    /// communities, streets by name. Read.
    fn street_bounds(&self) -> Result<StreetBounds>;

    /// One building and its address points (entrances), or `None` when there is no such
    /// key (the viewer's click on a building). Read.
    fn building(&self, key: &str) -> Result<Option<(Building, Vec<AddressPoint>)>>;

    /// The city components alone (what `load_places` holds in `components`), for their counts
    /// and rankings without reading every building. Read.
    fn components(&self) -> Result<Vec<wangge_core::Component>>;

    /// Households per area at a level: grids of the newest plan, communities (address points
    /// inside them), streets (their communities), or the district. An aggregate the store
    /// computes. Read.
    fn area_households(&self, level: Level) -> Result<BTreeMap<String, u64>>;
}

/// Bounds [west, south, east, north] of the district and of each street, by name.
#[derive(Debug, Clone, PartialEq)]
pub struct StreetBounds {
    pub all: [f64; 4],
    pub streets: Vec<(String, [f64; 4])>,
}

//! The place layers' store: communities, buildings, address points, facilities, streets and
//! land cover. The bodies live beside the code they share (writing in `store.rs`, assigning in
//! `incidents.rs`, household aggregates in `kpi_cases.rs`).

use super::store::{self, GeoPackage};
use super::{incidents, kpi_cases};
use crate::Result;
use crate::store::PlaceStore;
use crate::store::StreetBounds;
use std::collections::BTreeMap;
use wangge_core::kpi::Level;
use wangge_core::{AddressPoint, Building, Community, Dataset, Progress};

impl PlaceStore for GeoPackage {
    fn write(
        &mut self,
        data: &Dataset,
        command: &str,
        sources: &str,
        progress: &dyn Progress,
    ) -> Result<()> {
        store::write(self, data, command, sources, progress)
    }

    fn write_replacing(
        &mut self,
        data: &Dataset,
        replace_communities: &[String],
        command: &str,
        sources: &str,
        progress: &dyn Progress,
    ) -> Result<()> {
        store::write_replacing(self, data, replace_communities, command, sources, progress)
    }

    fn households(&self) -> Result<(u64, u64)> {
        store::households(self)
    }

    fn facility_categories(&self) -> Result<BTreeMap<String, u64>> {
        store::facility_categories(self)
    }

    fn load(&self) -> Result<Dataset> {
        store::load(self)
    }

    fn communities(&self) -> Result<Vec<Community>> {
        store::communities(self)
    }

    fn load_places(&self) -> Result<Dataset> {
        store::load_places(self)
    }

    fn load_walking(&self) -> Result<Dataset> {
        store::load_walking(self)
    }

    fn community_polygons(&self) -> Result<Vec<(String, geo_types::MultiPolygon<f64>)>> {
        incidents::community_polygons(self)
    }

    fn assigner(&self) -> Result<wangge_core::Assigner> {
        incidents::assigner(self)
    }

    fn assigner_with(
        &self,
        extra: Vec<(String, geo_types::MultiPolygon<f64>)>,
    ) -> Result<wangge_core::Assigner> {
        incidents::assigner_with(self, extra)
    }

    fn street_bounds(&self) -> Result<StreetBounds> {
        incidents::street_bounds(self)
    }

    fn area_households(&self, level: Level) -> Result<BTreeMap<String, u64>> {
        kpi_cases::area_households(self, level)
    }

    fn community_streets(&self) -> Result<Vec<(String, String)>> {
        // `store::streets_of_record` without decoding polygons (a server reads this every
        // time it reloads its tokens): the current plan's community level, else the
        // imported communities.
        let sql = self.sql();
        let pairs = |q: &str, p: &[&dyn rusqlite::ToSql]| -> Result<Vec<(String, String)>> {
            let mut stmt = self.connection().prepare(q).map_err(&sql)?;
            let rows = stmt
                .query_map(p, |r| Ok((r.get(0)?, r.get(1)?)))
                .map_err(&sql)?;
            rows.collect::<std::result::Result<_, _>>().map_err(&sql)
        };
        if let Some(plan) = crate::store::PlanStore::latest_plan(self)?
            && self.has_table(super::schema::PLAN_COMMUNITIES.name)?
        {
            let level = pairs(
                "SELECT code, street FROM plan_communities WHERE plan_id = ?1 ORDER BY fid",
                &[&plan],
            )?;
            if !level.is_empty() {
                return Ok(level);
            }
        }
        pairs(
            "SELECT key, street FROM communities WHERE street IS NOT NULL ORDER BY fid",
            &[],
        )
    }

    fn building(&self, key: &str) -> Result<Option<(Building, Vec<AddressPoint>)>> {
        store::building(self, key)
    }

    fn components(&self) -> Result<Vec<wangge_core::Component>> {
        store::components(self)
    }

    fn household_points(&self) -> Result<Vec<(f64, f64, u32)>> {
        let mut out = Vec::new();
        self.read_layer(&super::ADDRESS_POINTS, |g, _key, r| {
            if let geo_types::Geometry::Point(p) = g {
                out.push((p.x(), p.y(), r.get::<_, u32>(4)?));
            }
            Ok(())
        })?;
        Ok(out)
    }
}

//! The one walking model: the workspace's places, the catalogue and walking speed, the
//! walking network built from its streets and the snapper over it. `wangge coverage`,
//! `gaps`, `siting` and `what-if` and the server's street-office answers (`/api/reach/*`)
//! all load it here, with the same checks and the same defaults, and judge missing
//! categories the same way; distances then come from the core's searches over it.

use crate::households::{HouseholdAreas, household_areas};
use geo_types::Point;
use thiserror::Error;
use wangge_core::walk::{
    Catalogue, MissingCategory, Snapper, WalkNetwork, WalkSpeed, missing_categories,
};
use wangge_core::{Dataset, LocalFrame};
use wangge_io::Store;

/// Points farther than this from every walkable way are not snapped (m), by default.
pub const MAX_SNAP_M: f64 = 300.0;
/// Network components with fewer nodes are islands, reported and left out, by default.
pub const MIN_COMPONENT: usize = 10;

/// How walks are measured.
#[derive(Debug, Clone)]
pub struct WalkSettings {
    pub catalogue: Catalogue,
    pub speed: WalkSpeed,
    pub max_snap_m: f64,
    pub min_component: usize,
    /// No street network: straight lines times a detour (the CLI's `--crow-fly`).
    pub crow_fly: bool,
}

impl WalkSettings {
    /// The defaults: the built-in GB 50180-2018 catalogue at its walking speed, snaps within
    /// 300 m, islands under 10 nodes left out.
    pub fn standard() -> Self {
        let catalogue = Catalogue::default_gb50180();
        let speed = WalkSpeed::Speed {
            mps: catalogue.default_kmh / 3.6,
        };
        Self {
            catalogue,
            speed,
            max_snap_m: MAX_SNAP_M,
            min_component: MIN_COMPONENT,
            crow_fly: false,
        }
    }
}

/// Why a workspace has no walking model.
#[derive(Debug, Error)]
pub enum WalkError {
    #[error("{location}: no address points")]
    NoAddressPoints { location: String },
    #[error(
        "{location}: no streets, so no walking coverage; import an OSM extract first (`wangge import FILE.osm.pbf --workspace ...`)"
    )]
    NoStreets { location: String },
    #[error("{location}: none of the {streets} streets is walkable")]
    NotWalkable { location: String, streets: usize },
    #[error(transparent)]
    Store(#[from] wangge_io::Error),
}

impl WalkError {
    /// A stable machine code (front ends map codes, never messages).
    pub fn code(&self) -> &'static str {
        match self {
            Self::NoAddressPoints { .. } => "no_address_points",
            Self::NoStreets { .. } => "no_streets",
            Self::NotWalkable { .. } => "not_walkable",
            Self::Store(e) => e.code(),
        }
    }
}

/// A workspace ready for walking: places, settings, network and snapper.
pub struct WalkingModel {
    pub data: Dataset,
    pub settings: WalkSettings,
    pub net: WalkNetwork,
    pub snapper: Snapper,
    /// Seconds reading the workspace and building the network.
    pub read_s: f64,
    pub build_s: f64,
}

impl WalkingModel {
    /// Loads what walking reads (`load_walking`) and builds the network (none with
    /// `crow_fly`); refuses a workspace without address points, or without walkable streets.
    pub fn load(store: &dyn Store, settings: WalkSettings) -> Result<Self, WalkError> {
        let t_read = std::time::Instant::now();
        let data = store.load_walking()?;
        let read_s = t_read.elapsed().as_secs_f64();
        let location = store.location();
        if data.address_points.is_empty() {
            return Err(WalkError::NoAddressPoints { location });
        }
        if !settings.crow_fly && data.streets.is_empty() {
            return Err(WalkError::NoStreets { location });
        }
        let t0 = std::time::Instant::now();
        let frame = wangge_core::index::frame_for(&data);
        // With crow_fly there is no network: an empty one keeps the types simple.
        let streets: &[wangge_core::Street] = if settings.crow_fly {
            &[]
        } else {
            &data.streets
        };
        let net = WalkNetwork::build(streets, frame, settings.min_component);
        if !settings.crow_fly && net.edges.is_empty() {
            return Err(WalkError::NotWalkable {
                location,
                streets: data.streets.len(),
            });
        }
        let snapper = Snapper::new(&net);
        Ok(Self {
            data,
            settings,
            net,
            snapper,
            read_s,
            build_s: t0.elapsed().as_secs_f64(),
        })
    }

    /// The local frame of the network.
    pub fn frame(&self) -> LocalFrame {
        self.net.frame
    }

    /// Facilities of the catalogue's categories: (catalogue category, lon/lat).
    pub fn facilities(&self) -> Vec<(String, Point<f64>)> {
        let c = &self.settings.catalogue;
        let categories = c.categories();
        self.data
            .facilities
            .iter()
            .map(|f| (c.category_of(f.category.as_str()).to_string(), f.location))
            .filter(|(cat, _)| categories.contains(cat))
            .collect()
    }

    /// The `categories` that cannot be judged within `limit_m` (no facility, none within
    /// reach of the district, none near a walkable way).
    pub fn missing(&self, categories: &[String], limit_m: f64) -> Vec<MissingCategory> {
        let points: Vec<Point<f64>> = self
            .data
            .address_points
            .iter()
            .map(|p| p.location)
            .collect();
        let on_network = |p| {
            self.settings.crow_fly
                || self
                    .snapper
                    .snap(&self.net, p, self.settings.max_snap_m)
                    .is_some()
        };
        missing_categories(
            self.frame(),
            &points,
            &self.facilities(),
            categories,
            limit_m,
            on_network,
        )
    }

    /// Where each address point's households count (total, communities, the newest plan's
    /// grids).
    pub fn household_areas(&self, store: &dyn Store) -> wangge_io::Result<HouseholdAreas> {
        household_areas(store, &self.data, self.frame())
    }
}

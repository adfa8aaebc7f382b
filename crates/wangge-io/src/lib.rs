//! Wangge I/O: readers (OSM XML/PBF, GeoJSON, CSV, Shapefile), coordinate systems (PROJ,
//! GCJ-02, BD-09), the import pipeline with its validation, the GeoPackage workspace and
//! exports.

mod crs;
mod error;
pub mod fuzzing;
pub mod gpkg;
/// Exports of a workspace layer (GeoJSON, CSV, GeoPackage); the writers live with the store.
pub use gpkg::export;
pub mod import;
pub mod incident_payload;
pub mod osm;
pub mod photo;
pub mod read;
pub mod residents;
mod validate;
pub mod validity;
pub mod workforce;
pub mod xlsx;

pub use crs::{CrsSpec, ToWgs84};
pub use error::{Error, FeatureProblem, Result};
pub use gpkg::GeoPackage;
pub mod store;
pub use import::{Fields, ImportOptions, ImportSummary, Role, import};
pub use store::{
    AccessStore, CoverageStore, IncidentStore, PlaceStore, PlanStore, ResidentStore, Store,
    Workspace,
};

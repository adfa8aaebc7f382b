//! The GeoPackage workspace: an OGC GeoPackage 1.3 file (SQLite) that GDAL and QGIS open,
//! holding one feature table per layer.

mod coverage;
mod gap_areas;
mod geometry;
mod incidents;
mod index_releases;
mod kpi_cases;
mod plan_grids;
mod plans;
mod residents;
mod schema;
mod service_areas;
mod store;
mod tokens;

pub use coverage::CoverageRun;
pub use gap_areas::{GAP_AREAS, GapArea};
pub use geometry::{decode, encode};
pub use incidents::{IncidentQuery, IncidentSummary, Ingested, StreetBounds};
pub use index_releases::Release;
pub use plan_grids::GridRow;
pub use plans::{GRIDS, GROUPS, PLAN_COMMUNITIES, PlanRow};
pub use residents::{Resident, ResidentRow};
pub use schema::{ADDRESS_POINTS, INCIDENTS, LAYERS, Layer};
pub use service_areas::{SERVICE_AREAS, ServiceArea};
pub use store::{LayerCount, Store};
pub use tokens::TokenRow;

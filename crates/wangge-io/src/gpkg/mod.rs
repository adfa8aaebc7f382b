//! The GeoPackage workspace: an OGC GeoPackage 1.3 file (SQLite) that GDAL and QGIS open,
//! holding one feature table per layer.

mod case_events;
mod coverage;
pub mod export;
mod gap_areas;
mod geometry;
mod incident_rows;
mod incidents;
mod index_releases;
mod kpi_cases;
mod photos;
mod places;
mod plan_grids;
mod plans;
mod residents;
mod rows;
mod schema;
mod service_areas;
mod store;
pub mod testing;
mod tokens;
mod workforce;

pub use gap_areas::GAP_AREAS;
pub use geometry::{decode, decode_wkb, encode, encode_wkb};
pub use schema::{ADDRESS_POINTS, GRIDS, GROUPS, INCIDENTS, LAYERS, Layer, PLAN_COMMUNITIES};
pub use service_areas::SERVICE_AREAS;
pub use store::GeoPackage;

/// A SQLite error of the workspace at `path`, as the store's backend error.
pub(crate) fn backend_error(
    path: impl Into<std::path::PathBuf>,
    source: rusqlite::Error,
) -> crate::Error {
    crate::Error::Backend {
        path: path.into(),
        source: Box::new(source),
    }
}

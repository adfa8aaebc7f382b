//! The application layer between the store (`wangge-io`) and the two front ends (the `wangge`
//! CLI and `wangge-server`): where both show the same figure, it is computed here, once.
//!
//! - `components`: city components (部件) per grid, community, street or district by class
//!   and status;
//! - `households`: which grid and community each address point's households count in (an
//!   entrance split across grids counted in each by its share), for walking coverage;
//! - `kpi`: a month's closed-loop KPIs and the district's trend, counted as of one time rule;
//! - `kpi_kept`: a store's KPI tables kept between requests while its stamp and their time
//!   span hold;
//! - `open`: which backend a workspace argument names (a `postgres://` URL or a GeoPackage);
//! - `plans`: a planner's edit of a version and restoring a version (undo, redo), each a new
//!   version with what changed;
//! - `walking`: the one walking model (places, catalogue, speed, network, snapper, missing
//!   categories) that coverage, gaps, siting and what-if load in the CLI and the server.

pub mod components;
pub mod desk;
pub mod households;
pub mod kpi;
pub mod kpi_kept;
pub mod kpi_warm;
pub mod open;
pub mod plans;
pub mod walking;

pub use households::{HouseholdAreas, household_areas};
pub use open::{Access, beside, forget, is_postgres, open_store, shown};

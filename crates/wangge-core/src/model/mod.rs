//! The domain model. Every feature carries a `key`: a stable text id from its source
//! (`osm:w123`, the user's id field, or `FILE#INDEX`) that other features refer to and that
//! makes re-imports detectable. Geometries are WGS84 longitude/latitude.

mod address_point;
mod building;
mod community;
mod component;
mod dataset;
mod facility;
mod incident;
mod land_cover;
mod street;
mod workforce;

pub use address_point::AddressPoint;
pub use building::Building;
pub use community::Community;
pub use component::{Component, ComponentStatus};
pub use dataset::Dataset;
pub use facility::Facility;
pub use incident::{Incident, IncidentSource, IncidentStatus, STEP_CLOCK_SKEW_S, check_not_future};
pub use land_cover::LandCover;
pub use street::Street;
pub use workforce::{Assignment, Department, Supervision, Worker};

//! Wangge core: the domain model (communities, buildings, address points, facilities, streets,
//! incidents), validated value types, the R-tree spatial index and the algorithms that need no
//! I/O (local metric projection, GCJ-02/BD-09 offsets, household estimation, facility categories).

pub mod access;
pub mod assign;
pub mod china_offsets;
pub mod components;
mod error;
pub mod facility_category;
pub mod households;
pub mod index;
pub mod kpi;
pub mod local_frame;
pub mod model;
pub mod overlaps;
pub mod partition;
pub mod personal;
pub mod progress;
pub mod taxonomy;
pub mod timestamp;
pub mod values;
pub mod walk;

pub use assign::Assigner;
pub use components::ComponentCatalogue;
pub use error::{Error, Result};
pub use facility_category::FacilityCategory;
pub use index::SpatialIndex;
pub use local_frame::LocalFrame;
pub use model::{
    AddressPoint, Assignment, Building, Community, Component, ComponentStatus, Dataset, Department,
    Facility, Incident, IncidentSource, IncidentStatus, LandCover, STEP_CLOCK_SKEW_S, Street,
    Supervision, Worker, check_not_future,
};
pub use progress::{NoProgress, Progress};
pub use taxonomy::Taxonomy;
pub use timestamp::Timestamp;
pub use values::{Households, Levels};

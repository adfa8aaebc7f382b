//! The store interface: what a workspace backend provides, by concern. The GeoPackage file
//! ([`crate::GeoPackage`]) implements every trait; a second backend (PostgreSQL) implements
//! the same traits and runs the same [`conformance`] suite.
//!
//! # Promises
//! Each method's documentation names its transaction and durability:
//! - **one transaction**: everything the method writes lands, or nothing does (an error
//!   leaves the store as it was);
//! - **durable on return**: once the method returns `Ok`, the write survives the process
//!   being killed (the GeoPackage commits with `synchronous = FULL`; in write-ahead logging
//!   after [`Workspace::make_durable`] too);
//! - **read**: sees every write committed before the call; a read over several tables says
//!   when it is not one snapshot.
//!
//! # Room to grow
//! What later backends and features need is added as methods of these traits or as new
//! traits joined into [`Store`]: a change feed for live events
//! ([`IncidentStore::incidents_after`] is its polling form), the data version for caches and
//! ETags ([`Workspace::data_version`]), serialised plan edits ([`PlanStore::write_plan`] takes
//! the parent it was made from), aggregates computed by the store
//! ([`PlaceStore::area_households`], [`IncidentStore::incident_summary`]).

mod access;
pub mod conformance;
mod coverage;
mod digest;
mod incidents;
mod photos;
mod places;
mod plans;
mod record;
mod residents;
mod workforce;
mod workspace;

pub use access::{AccessStore, TokenRow, check_token, token_created, token_secret};
pub use coverage::{CoverageRun, CoverageStore, GapArea, ServiceArea};
pub use digest::{ContentDigest, DigestPart, content_digest};
pub use incidents::{
    IncidentEvent, IncidentQuery, IncidentStore, IncidentSummary, Ingested, KpiTable, MedianWindow,
    Refusal, Release, ReleaseLine, StatusChanges, assignment_detail, assignment_of,
    assignment_refused, evaluation_detail, evaluation_of, evaluation_refused, event_time_refused,
    extension_detail, extension_hours, past_assignment_refused, report_differences, rows_at,
    supervision_detail, supervision_of,
};
pub use photos::{PhotoMeta, PhotoStore, photo_sha256};
pub use places::{PlaceStore, StreetBounds};
pub use plans::{
    GridRow, GridShape, GroupShape, PlanRecord, PlanRow, PlanStore, StoredGrid, StoredGroup,
    StoredPlanCommunity, Versioning,
};
pub use record::{communities_of_record, streets_of_record};
pub use residents::{Resident, ResidentRow, ResidentStore, place_residents};
pub use workforce::{WorkforceStore, refuse_workforce, workforce_problems};
pub use workspace::{ChangeFeed, ImportEntry, LayerCount, Workspace};

/// The import log's line for a written dataset, the same on every backend (components named
/// only when there are some, so the lines of workspaces without them stay as they were).
pub fn write_summary(data: &wangge_core::Dataset) -> String {
    let mut s = format!(
        "communities={} buildings={} address_points={} facilities={} streets={} incidents={} land_cover={}",
        data.communities.len(),
        data.buildings.len(),
        data.address_points.len(),
        data.facilities.len(),
        data.streets.len(),
        data.incidents.len(),
        data.land_cover.len()
    );
    if !data.components.is_empty() {
        s.push_str(&format!(" components={}", data.components.len()));
    }
    s
}

/// The store traits, for calling their methods: `use wangge_io::store::prelude::*;`.
pub mod prelude {
    pub use super::{
        AccessStore as _, CoverageStore as _, IncidentStore as _, PhotoStore as _, PlaceStore as _,
        PlanStore as _, ResidentStore as _, WorkforceStore as _, Workspace as _,
    };
}

/// A whole workspace store: every concern. Object-safe: front ends hold `&dyn Store` or
/// `Box<dyn Store>`.
pub trait Store:
    Workspace
    + PlaceStore
    + PlanStore
    + CoverageStore
    + IncidentStore
    + ResidentStore
    + WorkforceStore
    + PhotoStore
    + AccessStore
    + Send
{
}

impl<T> Store for T where
    T: Workspace
        + PlaceStore
        + PlanStore
        + CoverageStore
        + IncidentStore
        + ResidentStore
        + WorkforceStore
        + PhotoStore
        + AccessStore
        + Send
        + ?Sized
{
}

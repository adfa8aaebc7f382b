//! Grid partitioning: a community's address points are grouped into grids of at most `cap`
//! households, each one connected polygon, the grids tiling the community exactly.
//!
//! Pipeline (one module each): `units` (buildings, split only when they alone exceed the cap)
//! → `cells` (Voronoi cells of the units in local metres, adjacency weighted by shared boundary
//! length, cheaper across streets) → `bisect` (recursive sweep bisection with the cap as a hard
//! bound, trying k = LB, LB+1, ...) → `repair` (reconnect split grids) → `polygons` (dissolve
//! cells per grid, clip to the community) → `metrics` (compactness, streets, fill).

mod articulation;
mod bisect;
mod blocks;
mod cells;
mod clean;
mod contract;
pub mod diff;
mod edge;
pub mod edit;
mod exact;
pub mod groups;
mod halfplanes;
pub mod incremental;
pub mod levels;
mod metrics;
mod plan;
mod polygons;
mod repair;
mod run;
mod seams;
mod slivers;
mod street_figures;
mod street_line;
mod units;
mod violation;
mod workspace;

pub use metrics::{Metrics, polsby_popper, reock};
pub use plan::{
    CommunityInput, CommunityPlan, Entrance, GridResult, PartitionError, Partitioner, StreetLine,
    UnitGraph,
};
pub use units::{Split, SplitKind};
pub use violation::{Violation, ViolationKind};
pub use workspace::{
    LockedGrid, WorkspacePlan, check_communities, inputs, partition_all, partition_all_incremental,
    partition_all_locked,
};

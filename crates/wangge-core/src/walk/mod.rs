//! Walking access: the pedestrian network built from imported streets, address points and
//! facilities snapped onto its edges, bounded multi-source searches, and the life-circle
//! catalogue and coverage (GB 50180-2018: 5-, 10- and 15-minute circles).
//!
//! Pipeline (one module each): `network` (walkable ways → nodes and edges in local metres,
//! parallel edges collapsed, components and islands) → `snap` (nearest edge through an
//! R-tree, the snap distance walked) → `search` (multi-source Dijkstra bounded by a
//! distance) → `coverage` (walking distance from every address point to the nearest
//! facility of each category, one search per category) with `catalogue` saying which
//! categories each circle requires.

mod areas;
mod catalogue;
mod coverage;
mod field;
mod gaps;
mod missing;
mod network;
mod search;
mod shares;
mod siting;
mod snap;
#[cfg(test)]
mod testing;

pub use areas::{AreaPoint, service_areas};
pub use catalogue::{Catalogue, Circle, DEFAULT_TOML, WalkSpeed};
pub use coverage::{AreaShare, Coverage, CoverageInput};
pub use field::{Field, NOT_REACHED};
pub use gaps::{Gap, gaps};
pub use missing::{Absence, MissingCategory, judged, missing_categories};
pub use network::{Island, WalkEdge, WalkNetwork, walk_factor};
pub use search::multi_source;
pub use shares::AreaShares;
pub use siting::{Proposal, Siting, SitingInput, site};
pub use snap::{Snap, SnapRefusal, Snapper};

//! `/api/plans`: the planner mode's plan versions, edits, undo/redo (restore), partial
//! re-partition, names and comparison, as the API takes and answers them. The grids
//! (GeoJSON) and exports (files) are described by hand.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// One plan version.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct PlanInfo {
    pub id: i64,
    pub created: String,
    /// `partition`, `edit`, `restore`, ...
    pub kind: String,
    pub cap: u32,
    pub grids: i64,
    pub households: i64,
    pub violations: i64,
    /// The version this one was made from.
    pub parent: Option<i64>,
    /// A planner's name for it.
    pub name: Option<String>,
    /// Kept aside on purpose: never the current version.
    pub branch: bool,
}

/// `/api/plans`: every version, oldest first, and the current one (the newest that is not a
/// branch: what tiles and reports show, and what an edit must start from).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct PlansAnswer {
    pub plans: Vec<PlanInfo>,
    pub current: Option<i64>,
}

/// A planner's edit of a version: move buildings to a grid, split a grid, merge two, or
/// renumber a community's grids in serial order (the only edit that changes codes of grids
/// it does not redraw).
#[derive(Debug, Clone, PartialEq, Deserialize, ToSchema)]
#[serde(tag = "op", rename_all = "lowercase")]
pub enum EditRequest {
    Move { buildings: Vec<String>, to: String },
    Split { grid: String },
    Merge { a: String, b: String },
    Renumber { community: String },
}

/// `/api/plans/{id}/partition` body: re-partition one community with grids locked.
#[derive(Debug, Clone, PartialEq, Deserialize, ToSchema)]
pub struct PartitionRequest {
    pub community: String,
    /// Grid codes to keep as they are.
    #[serde(default)]
    pub locks: Option<Vec<String>>,
    /// Households per grid at most (default: the version's cap).
    #[serde(default)]
    pub cap: Option<u64>,
    /// Keep the result as a branch (never current), e.g. a variant of an older version.
    #[serde(default)]
    pub branch: bool,
}

/// `?branch=true` on an edit: keep it as a branch (never current); `?base=N` on a restore:
/// only if version N is still the current one.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ChangeQuery {
    #[serde(default)]
    pub branch: Option<bool>,
    #[serde(default)]
    pub base: Option<i64>,
}

/// A new version made by an edit, a restore or a re-partition, and what changed against the
/// version it was made from.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct NewVersion {
    pub plan: i64,
    pub parent: i64,
    /// The version compared against.
    pub base: i64,
    pub kind: String,
    pub grids: usize,
    pub violations: usize,
    pub moved_households: u64,
    pub moved_points: usize,
    /// Grid codes that are new or whose households changed.
    pub changed: Vec<String>,
}

/// `/api/plans/{id}/name` body; an empty name clears it.
#[derive(Debug, Clone, PartialEq, Deserialize, ToSchema)]
pub struct NameRequest {
    pub name: String,
}

/// The name a version now has.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct NameAnswer {
    pub plan: i64,
    pub name: String,
}

/// `/api/plans/compare` query.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CompareQuery {
    /// The older version.
    pub a: Option<String>,
    /// The newer version.
    pub b: Option<String>,
}

/// An old grid matched to the new grid holding most of its households.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct GridMatchAnswer {
    pub old: String,
    pub new: Option<String>,
    pub shared: u64,
    pub old_households: u64,
    pub new_households: u64,
}

/// An address point's households that moved grid.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct MoveAnswer {
    pub address: String,
    pub households: u64,
    pub from: String,
    pub to: String,
}

/// `/api/plans/compare`: what changed from version `a` to `b`.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct CompareAnswer {
    pub a: i64,
    pub b: i64,
    pub moved_households: u64,
    pub moves: Vec<MoveAnswer>,
    pub changed_in_a: Vec<String>,
    pub changed_in_b: Vec<String>,
    pub new_grids: Vec<String>,
    pub matches: Vec<GridMatchAnswer>,
    /// Households only in `a` (address points gone).
    pub only_in_a: u64,
    /// Households only in `b` (address points added).
    pub only_in_b: u64,
}

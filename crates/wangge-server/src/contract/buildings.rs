//! `/api/buildings/{key}`: one building as the 3D view shows it on a click.

use serde::Serialize;
use utoipa::ToSchema;

/// An entrance (address point) of the building, with its grid in the current plan.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct EntranceAnswer {
    pub key: String,
    pub grid: Option<String>,
    /// Households behind it: only for a role that may see them (not a leader's; a grid
    /// worker's only in its own grid).
    pub households: Option<u64>,
}

/// A building: its storeys (given or estimated), its grid and entrances.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct BuildingAnswer {
    pub key: String,
    pub name: Option<String>,
    pub kind: String,
    pub levels: u32,
    /// False when the storeys are the default for the kind (the height is an estimate).
    pub levels_given: bool,
    pub height_m: f64,
    /// The grid holding most of its households in the current plan.
    pub grid: Option<String>,
    pub entrances: Vec<EntranceAnswer>,
    /// All its households: only for a role that may see them (see `entrances`).
    pub households: Option<u64>,
}

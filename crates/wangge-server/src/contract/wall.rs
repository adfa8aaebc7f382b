//! `/api/incidents/summary` and `/api/views`: what the wall screen reads besides tiles.
//! Aggregates only.

use serde::Serialize;
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// The last 30 local days.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Window {
    pub reported: u64,
    pub closed: u64,
    /// closed ÷ reported, none without reports.
    pub closure_rate: Option<f64>,
}

/// A leading category of the last 30 days.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct CategoryCount {
    pub category: String,
    pub zh: Option<String>,
    pub count: u64,
}

/// A leading grid of the last 30 days.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct GridCount {
    pub grid: String,
    pub count: u64,
}

/// A leading community of the last 30 days.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct CommunityCount {
    pub community: String,
    pub count: u64,
}

/// `/api/incidents/summary`.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct WallSummary {
    /// Reported since local midnight.
    pub today: u64,
    /// Not yet closed, any age.
    pub open: u64,
    pub last_30_days: Window,
    pub top_categories: Vec<CategoryCount>,
    /// Only for a caller who sees incident positions (a grid is smaller than a community).
    pub top_grids: Vec<GridCount>,
    pub top_communities: Vec<CommunityCount>,
    /// Chinese names of every taxonomy category, by code.
    pub names: BTreeMap<String, String>,
}

/// A view the wall rotates through: the district or a street, by its bounds
/// [west, south, east, north].
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct View {
    pub name: String,
    pub bounds: [f64; 4],
}

/// `/api/views`.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ViewsAnswer {
    pub views: Vec<View>,
}

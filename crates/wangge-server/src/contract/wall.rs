//! `/api/incidents/summary` and `/api/views`: what the wall screen reads besides tiles.
//! Aggregates only.

use serde::Serialize;
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// The last 30 local days (or, when nothing was reported in them, the 30 days up to the
/// newest incident).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Window {
    /// Start (UTC, RFC 3339): a local midnight.
    pub from: String,
    /// The newest report in the window, or now when there is none.
    pub until: String,
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
    /// The community's name (its key when it has none).
    pub name: String,
    pub count: u64,
}

/// One of the newest incidents, as the wall lists them: no position, no grid, no id.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct LatestIncident {
    pub category: String,
    /// The community's key and name, when the incident lies in one.
    pub community: Option<String>,
    pub community_name: Option<String>,
    /// Reported at, UTC (RFC 3339).
    pub time: String,
    /// The step of the closed loop it is in.
    pub status: String,
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
    /// The newest incidents (at most 8), newest first.
    pub latest: Vec<LatestIncident>,
    /// Chinese names of every taxonomy category, by code.
    pub names: BTreeMap<String, String>,
    /// English names of every taxonomy category, by code.
    pub names_en: BTreeMap<String, String>,
}

/// A view the wall rotates through: the district or a street, by its bounds
/// [west, south, east, north].
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct View {
    pub name: String,
    pub bounds: [f64; 4],
}

/// A community the wall drills down to: key, name, street, bounds.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct CommunityView {
    pub key: String,
    pub name: String,
    pub street: Option<String>,
    pub bounds: [f64; 4],
}

/// `/api/views`.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ViewsAnswer {
    pub views: Vec<View>,
    /// Every community, for drilling down from a street.
    pub communities: Vec<CommunityView>,
    /// The version of the data the vector tiles show (as `/api/status` says): a client
    /// names it in tile URLs (`?v=`) and may keep those tiles while it holds.
    pub data_version: Option<String>,
    /// The district's outline (the union of its communities), a GeoJSON MultiPolygon: the
    /// wall masks the heat outside it.
    #[schema(value_type = Object)]
    pub outline: serde_json::Value,
}

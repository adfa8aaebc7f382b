//! `/api/residents`: residents with their personal fields as the role may see them (in
//! full, masked, or refused), and `/api/status` (admin): what the server holds in memory.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// `/api/residents` query.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ResidentsQuery {
    /// Only this grid (a grid worker: its own).
    pub grid: Option<String>,
    /// Only this community (a street office: one of its street's).
    pub community: Option<String>,
    /// Page size, 1 to 1,000 (default 100).
    pub limit: Option<String>,
    pub offset: Option<String>,
}

/// A resident; `name`, `phone` and `id_number` masked (`张**`, `138****5678`) when `masked`.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ResidentAnswer {
    pub address: String,
    /// The newest plan's grids of the address point (several for a split entrance).
    pub grids: Vec<String>,
    /// The grid the resident is placed in (by unit when the address point is split).
    pub grid: Option<String>,
    /// The building unit (单元) from the register.
    pub unit: Option<String>,
    /// A split address point with no unit in the register: placed in the first grid.
    pub unplaced: bool,
    pub community: Option<String>,
    pub name: String,
    pub phone: Option<String>,
    pub id_number: Option<String>,
}

/// `/api/residents` answer (every read is audited).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ResidentsAnswer {
    pub total: usize,
    pub offset: usize,
    pub masked: bool,
    pub residents: Vec<ResidentAnswer>,
}

/// The tile cache.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct TileCacheStatus {
    pub tiles: usize,
    pub mb: f64,
    pub limit_mb: f64,
}

/// `/api/status` (admin).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct StatusAnswer {
    /// Resident memory of the process (Linux), MB.
    pub rss_mb: Option<f64>,
    pub incidents_in_heat_index: Option<usize>,
    pub heat_index_mb: Option<f64>,
    pub heat_tile_cache_mb: Option<f64>,
    pub tile_cache: TileCacheStatus,
    /// What the tiles show (ETags follow it).
    pub data_version: Option<String>,
}

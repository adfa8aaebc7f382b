//! `/api/reach`, `/api/reach/coverage`, `/api/reach/siting`, `/api/reach/what-if`: the
//! street-office mode's walking coverage, as the API answers it (the CLI's `coverage`,
//! `siting` and `what-if` compute the same figures through the same walking model). The
//! GeoJSON answers (`/api/reach/area`, `/api/reach/gaps`) are described by hand.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// `category` and `minutes` of a coverage query.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReachQuery {
    /// A facility category of the catalogue (see `/api/reach`).
    pub category: Option<String>,
    /// Minutes of walking, 1 to 15 (default 15).
    pub minutes: Option<String>,
}

/// Minutes as a number or as text (forms send text).
#[derive(Debug, Clone, PartialEq, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum Minutes {
    Number(u64),
    Text(String),
}

/// `/api/reach/siting` body.
#[derive(Debug, Clone, PartialEq, Deserialize, ToSchema)]
pub struct SitingRequest {
    pub category: Option<String>,
    pub minutes: Option<Minutes>,
    /// How many sites to suggest, 1 to 20 (default 3).
    pub k: Option<u64>,
}

/// `/api/reach/what-if` body: facilities to add (lon/lat) and to remove (keys).
#[derive(Debug, Clone, PartialEq, Deserialize, ToSchema)]
pub struct WhatIfRequest {
    pub category: Option<String>,
    pub minutes: Option<Minutes>,
    #[serde(default)]
    pub add: Option<Vec<[f64; 2]>>,
    #[serde(default)]
    pub remove: Option<Vec<String>>,
}

/// A category that cannot be judged (no facility, none within reach, none on the network).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Warning {
    pub category: String,
    /// `no_facility`, `out_of_reach` or `off_network`.
    pub reason: String,
    pub message: String,
}

/// A facility category with its stored facilities on the network.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct CategoryInfo {
    pub code: String,
    pub description: Option<String>,
    pub facilities: usize,
}

/// A life circle (GB 50180-2018) and its categories.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct CircleInfo {
    pub minutes: u32,
    pub name: String,
    pub categories: Vec<String>,
}

/// `/api/reach`: the catalogue, the walking speed and the households on the network.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct CatalogueAnswer {
    pub categories: Vec<CategoryInfo>,
    pub circles: Vec<CircleInfo>,
    pub minutes: Vec<u32>,
    pub speed_kmh: f64,
    pub households: u64,
    pub households_off_network: u64,
    pub warnings: Vec<Warning>,
}

/// One community's coverage; shares and completeness in percent, none without data.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct CommunityCoverage {
    pub code: String,
    pub name: String,
    pub households: u64,
    pub covered: u64,
    pub uncovered: u64,
    pub share: Option<f64>,
    pub completeness: Option<f64>,
}

/// One grid's coverage (households counted as the plan counts them).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct GridCoverage {
    pub code: String,
    pub community: Option<String>,
    pub households: u64,
    pub covered: u64,
    pub uncovered: u64,
    pub share: Option<f64>,
}

/// `/api/reach/coverage`: households within `minutes` of a facility of `category`.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct CoverageAnswer {
    pub category: String,
    pub minutes: u32,
    pub threshold_m: f64,
    pub facilities: usize,
    pub households: u64,
    pub covered: u64,
    pub share: Option<f64>,
    /// False when the category cannot be judged ("no data", share none).
    pub data: bool,
    /// The life circle of `minutes`, if any.
    pub circle: Option<String>,
    /// Households with every judged category of the circle within reach, percent.
    pub completeness: Option<f64>,
    /// The circle's categories without data, left out of the completeness.
    pub not_judged: Vec<String>,
    pub communities: Vec<CommunityCoverage>,
    pub grids: Vec<GridCoverage>,
    pub warnings: Vec<Warning>,
}

/// A suggested site, ranked by the households it adds.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct SiteAnswer {
    pub rank: usize,
    pub lonlat: [f64; 2],
    pub gain: u64,
}

/// `/api/reach/siting`: where new facilities would cover most.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct SitingAnswer {
    pub category: String,
    pub minutes: u32,
    pub households: u64,
    pub covered_before: u64,
    pub covered_after: u64,
    pub share_before: Option<f64>,
    pub share_after: Option<f64>,
    pub candidates: usize,
    pub sites: Vec<SiteAnswer>,
    pub warnings: Vec<Warning>,
}

/// A community whose covered households a what-if changes.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct CommunityChange {
    pub code: String,
    pub name: String,
    pub before: u64,
    pub after: u64,
}

/// `/api/reach/what-if`: coverage before and after the change.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct WhatIfAnswer {
    pub category: String,
    pub minutes: u32,
    pub households: u64,
    pub covered_before: u64,
    pub covered_after: u64,
    pub change: i64,
    pub share_before: Option<f64>,
    pub share_after: Option<f64>,
    pub communities: Vec<CommunityChange>,
    /// The gap areas after the change (GeoJSON, as `/api/reach/gaps`), in the caller's scope.
    #[schema(value_type = Object)]
    pub gaps: serde_json::Value,
}

//! Walking coverage runs, their service areas and gap areas.

use crate::Result;
use geo_types::MultiPolygon;

/// Coverage runs and the areas drawn from them.
pub trait CoverageStore {
    /// Stores a coverage run (run, per-point distances, summaries); returns its id. Older
    /// runs keep their summaries; their per-point rows are replaced by this run's. One
    /// transaction; durable on return.
    fn write_coverage(&self, run: &CoverageRun) -> Result<i64>;

    /// Replaces the gap areas of `what`. One transaction; durable on return.
    fn write_gap_areas(&self, what: &str, areas: &[GapArea]) -> Result<usize>;

    /// Every stored gap area. Read.
    fn gap_areas(&self) -> Result<Vec<GapArea>>;

    /// Stores the service areas of a coverage run. One transaction; durable on return.
    fn write_service_areas(&self, run: i64, areas: &[ServiceArea]) -> Result<usize>;

    /// The service areas of the newest coverage run that has any. Read.
    fn latest_service_areas(&self) -> Result<Vec<ServiceArea>>;
}

/// One run to store.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CoverageRun<'a> {
    pub plan_id: Option<i64>,
    pub minutes: String,
    /// `walk 4.0 km/h`, `standard distances`, ...
    pub metric: String,
    /// The catalogue text used.
    pub catalogue: String,
    pub network_nodes: usize,
    pub network_edges: usize,
    pub network_km: f64,
    pub points: usize,
    pub unsnapped_points: usize,
    pub facilities: usize,
    pub unsnapped_facilities: usize,
    /// One line per category the run could not judge (stored newline-separated).
    pub warnings: Vec<String>,
    /// Address point keys, in the order of `walk_m`'s rows.
    pub keys: Vec<&'a str>,
    /// (category, walking metres per address point; infinite when not reached).
    pub walk_m: Vec<(&'a str, &'a [f64])>,
    /// (level, area, minutes, category or `complete`, households, covered or `None` for
    /// "no data").
    pub summary: Vec<(String, String, u32, String, u64, Option<u64>)>,
}

/// One gap area (lon/lat).
#[derive(Debug, Clone, PartialEq)]
pub struct GapArea {
    /// The question, e.g. "kindergarten within 5 min" or "the 15-min circle".
    pub what: String,
    pub rank: usize,
    pub community: String,
    pub households: u64,
    pub points: usize,
    pub area_m2: f64,
    pub geometry: MultiPolygon<f64>,
}

/// One service area (lon/lat).
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceArea {
    pub category: String,
    pub minutes: u32,
    pub area_m2: f64,
    pub facilities: usize,
    pub geometry: MultiPolygon<f64>,
}

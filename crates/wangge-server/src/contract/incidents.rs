//! `/api/incidents`: reports in (JSON, GeoJSON or CSV), pages of incidents out, one incident,
//! a closed-loop step or a deadline extension. The GeoJSON page (`f=geojson`) and the event
//! stream are described by hand.

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use utoipa::{IntoParams, ToSchema};
use wangge_core::{Incident, IncidentStatus};

/// An incident as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct IncidentAnswer {
    pub id: String,
    /// Reported at (UTC).
    pub time: String,
    /// Taxonomy code.
    pub category: String,
    /// The category as the source named it.
    pub raw_category: Option<String>,
    pub source: String,
    pub status: String,
    pub lon: f64,
    pub lat: f64,
    pub community: Option<String>,
    pub grid: Option<String>,
    /// The city component it is about (its key), if any.
    pub component: Option<String>,
    /// When each step after reporting was reached, by status.
    pub timeline: BTreeMap<String, String>,
}

impl From<&Incident> for IncidentAnswer {
    fn from(i: &Incident) -> Self {
        Self {
            id: i.key.clone(),
            time: i.time.to_string(),
            category: i.category.clone(),
            raw_category: i.raw_category.clone(),
            source: i.source.as_str().to_string(),
            status: i.status.as_str().to_string(),
            lon: i.location.x(),
            lat: i.location.y(),
            community: i.community.clone(),
            grid: i.grid.clone(),
            component: i.component.clone(),
            timeline: IncidentStatus::ALL
                .iter()
                .filter_map(|s| i.at(*s).map(|t| (s.as_str().to_string(), t.to_string())))
                .collect(),
        }
    }
}

/// `POST /api/incidents` query.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct IngestQuery {
    /// The coordinates' reference system (`EPSG:4490`, `GCJ-02`, `BD-09`; default WGS84).
    pub crs: Option<String>,
}

/// `POST /api/incidents` answer: ids stored now, and ids already stored (a resent batch adds
/// nothing).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct IngestAnswer {
    pub added: Vec<String>,
    pub existing: Vec<String>,
}

/// `GET /api/incidents` query: filters and a page.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct IncidentsQuery {
    /// Categories, comma-separated (taxonomy codes, Chinese names or aliases).
    pub category: Option<String>,
    /// Sources, comma-separated (`hotline`, `petition`, `police`, `grid`, ...).
    pub source: Option<String>,
    /// Statuses, comma-separated.
    pub status: Option<String>,
    pub community: Option<String>,
    pub grid: Option<String>,
    /// Only incidents about this city component (its key): the component's history.
    pub component: Option<String>,
    /// From this date or time (+08:00 unless given).
    pub from: Option<String>,
    /// To this date (its end) or time.
    pub to: Option<String>,
    /// Page size, at most 10,000 (default 100).
    pub limit: Option<String>,
    pub offset: Option<String>,
    /// `geojson` for a FeatureCollection.
    pub f: Option<String>,
}

impl IncidentsQuery {
    /// The parameters by name, for the filters the incident, heat and count routes share.
    pub fn as_map(&self) -> HashMap<String, String> {
        [
            ("category", &self.category),
            ("source", &self.source),
            ("status", &self.status),
            ("community", &self.community),
            ("grid", &self.grid),
            ("component", &self.component),
            ("from", &self.from),
            ("to", &self.to),
            ("limit", &self.limit),
            ("offset", &self.offset),
            ("f", &self.f),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.clone().map(|v| (k.to_string(), v)))
        .collect()
    }
}

/// `GET /api/incidents` answer: a page and how many match in all.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct IncidentPage {
    pub total: u64,
    pub limit: usize,
    pub offset: usize,
    /// The next page's offset, none on the last page.
    pub next_offset: Option<usize>,
    pub incidents: Vec<IncidentAnswer>,
}

/// `PATCH /api/incidents/{id}`: the next step of the closed loop (`status`, at `at`,
/// default now), or a deadline extension (`extend_hours` with a `reason`).
#[derive(Debug, Clone, PartialEq, Deserialize, ToSchema)]
pub struct StepRequest {
    pub status: Option<String>,
    pub at: Option<String>,
    pub extend_hours: Option<f64>,
    pub reason: Option<String>,
    /// With `status: closed`, or alone on a closed case: the resident's evaluation
    /// (`satisfied` 满意, `basically_satisfied` 基本满意, `dissatisfied` 不满意) and a note.
    pub evaluation: Option<String>,
    pub note: Option<String>,
    /// Assign the case (派遣): a reported case is dispatched with it, a dispatched one is
    /// reassigned (the street office and the admin).
    pub assign: Option<AssignmentBody>,
    /// Supervise the case (督办) with this reason (the street office and the admin).
    pub supervise: Option<String>,
}

/// An assignment (派遣).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AssignmentBody {
    /// A department code of the register.
    pub department: String,
    /// A worker id of that department.
    pub worker: Option<String>,
    /// The dispatcher's time limit for handling, hours (at most the category's).
    pub hours: Option<f64>,
}

//! The case desk: `/api/desk` (the queue of open cases), `/api/workers` (the register),
//! `/api/incidents/{id}/history` (one case's events). Assignments and supervision are sent
//! as `PATCH /api/incidents/{id}` (`StepRequest`'s `assign` and `supervise`).

use super::incidents::{AssignmentBody, IncidentAnswer};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// `GET /api/desk`: filters of the queue.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeskQuery {
    /// Steps, comma-separated (default: every open one).
    pub status: Option<String>,
    /// Taxonomy codes, comma-separated.
    pub category: Option<String>,
    /// A grid code.
    pub grid: Option<String>,
    /// Cases assigned to this worker (by id).
    pub worker: Option<String>,
    /// At most this many (default 200, at most 2,000).
    pub limit: Option<usize>,
}

/// A supervision (督办) of a case.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct SupervisionAnswer {
    pub at: String,
    pub by: String,
    pub reason: String,
}

/// One open case in the queue.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct DeskCaseAnswer {
    #[serde(flatten)]
    pub incident: IncidentAnswer,
    /// The deadline of the step it is in (UTC): the limits in data/ plus extensions.
    pub deadline: String,
    /// Hours left to the deadline (negative: overdue).
    pub hours_left: f64,
    /// `overdue`, `due_soon` (a quarter of the step's time or less left), `on_track`.
    pub urgency: String,
    /// The latest assignment and when it was made.
    pub assignment: Option<AssignmentBody>,
    pub assigned_at: Option<String>,
    /// While dispatched with a time limit: when it runs out (UTC); the deadline above follows
    /// the district's limits, which the KPIs count.
    pub handle_by: Option<String>,
    pub supervisions: Vec<SupervisionAnswer>,
    pub reworks: u32,
    pub extension_hours: f64,
}

/// The queue: the most urgent open cases first.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct DeskAnswer {
    /// The moment deadlines were compared with (UTC).
    pub now: String,
    /// Open cases matching the filters (before the limit).
    pub count: usize,
    pub cases: Vec<DeskCaseAnswer>,
}

/// A department of the register.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct DepartmentAnswer {
    pub code: String,
    pub name: String,
    pub street: Option<String>,
}

/// A worker of the register (the phone only to roles that see residents' phones, masked as
/// theirs are).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct WorkerAnswer {
    pub id: String,
    pub name: String,
    pub department: String,
    pub grid: Option<String>,
    pub phone: Option<String>,
}

/// `GET /api/workers`.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct WorkersAnswer {
    pub departments: Vec<DepartmentAnswer>,
    pub workers: Vec<WorkerAnswer>,
}

/// One recorded event of a case.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct EventAnswer {
    /// `dispatched`, `handled`, ..., or `assigned`, `supervised`, `extended`, `evaluated`.
    pub event: String,
    pub at: String,
    /// The event's details (an assignment, a supervision, an extension, an evaluation).
    #[schema(value_type = Object)]
    pub detail: Option<serde_json::Value>,
}

/// `GET /api/incidents/{id}/history`.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct HistoryAnswer {
    pub id: String,
    pub events: Vec<EventAnswer>,
}

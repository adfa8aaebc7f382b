//! The case desk's routes: `/api/desk` (the queue of open cases, most urgent first, in the
//! caller's street), `/api/workers` (the register, phones as the role may see them) and
//! `/api/incidents/{id}/history` (one case's events). Figures come from
//! `wangge_app::desk`; assignments and supervision are PATCHes of the incident
//! (`routes/incidents.rs`).

use super::query::IncidentFilters;
use crate::contract::desk::{
    DepartmentAnswer, DeskAnswer, DeskCaseAnswer, DeskQuery, EventAnswer, HistoryAnswer,
    SupervisionAnswer, WorkerAnswer, WorkersAnswer,
};
use crate::contract::incidents::{AssignmentBody, IncidentAnswer};
use crate::live::Live;
use crate::{AppError, AppState, Principal};
use axum::Extension;
use axum::Json;
use axum::extract::{Path, Query, State};
use std::sync::Arc;
use wangge_app::desk::{DeskFilter, queue as desk_queue};
use wangge_core::Timestamp;
use wangge_core::access::{PersonalView, Role};

fn live(s: &AppState) -> Result<Arc<Live>, AppError> {
    s.live
        .clone()
        .ok_or_else(|| AppError::NotFound("cases live in a workspace, not an archive".into()))
}

/// The communities a caller's answers stay in (`None`: any).
pub(crate) fn within(who: &Principal) -> Option<Vec<String>> {
    matches!(who.role, Role::StreetOffice | Role::Planner).then(|| who.communities.clone())
}

/// The queue of open cases (in the caller's street: a grid outside it gives no case).
#[utoipa::path(get, path = "/api/desk", tag = "incidents", params(DeskQuery),
    responses(
        (status = 200, description = "open cases, most urgent first", body = DeskAnswer),
        (status = 400, description = "a bad filter (problem details)"),
    ))]
pub async fn queue(
    State(s): State<AppState>,
    Extension(who): Extension<Principal>,
    Query(q): Query<DeskQuery>,
) -> Result<Json<DeskAnswer>, AppError> {
    let live = live(&s)?;
    let mut m = std::collections::HashMap::new();
    for (k, v) in [("status", &q.status), ("category", &q.category)] {
        if let Some(v) = v {
            m.insert(k.to_string(), v.clone());
        }
    }
    let filters = IncidentFilters::parse(&m, &live.taxonomy)?;
    let limit = q.limit.unwrap_or(200);
    if limit > 2000 {
        return Err(AppError::BadRequest(format!("limit={limit}: at most 2000")));
    }
    let filter = DeskFilter {
        statuses: filters.statuses,
        categories: filters.categories,
        grid: q.grid.clone(),
        worker: q.worker.clone(),
        within: within(&who),
        limit,
    };
    let limits = s.limits.clone();
    let now = Timestamp::now();
    let (count, cases) =
        tokio::task::spawn_blocking(move || live.read(|st| desk_queue(st, &limits, &filter, now)))
            .await
            .map_err(|e| AppError::Internal(e.to_string()))??;
    Ok(Json(DeskAnswer {
        now: now.to_string(),
        count,
        cases: cases
            .iter()
            .map(|c| DeskCaseAnswer {
                incident: IncidentAnswer::from(&c.incident),
                deadline: c.deadline.to_string(),
                hours_left: ((c.deadline.unix() - now.unix()) as f64 / 36.0).round() / 100.0,
                urgency: c.urgency.as_str().to_string(),
                assignment: c.assignment.as_ref().map(|(_, a)| AssignmentBody {
                    department: a.department.clone(),
                    worker: a.worker.clone(),
                    hours: a.hours,
                }),
                assigned_at: c.assignment.as_ref().map(|(t, _)| t.to_string()),
                handle_by: c.handle_by.map(|t| t.to_string()),
                supervisions: c
                    .supervisions
                    .iter()
                    .map(|(t, v)| SupervisionAnswer {
                        at: t.to_string(),
                        by: v.by.clone(),
                        reason: v.reason.clone(),
                    })
                    .collect(),
                reworks: c.reworks,
                extension_hours: c.extension_h,
            })
            .collect(),
    }))
}

/// The register: a street office sees its street's departments and the district-wide ones,
/// and their workers; phones as the role sees residents' (masked to a street office).
#[utoipa::path(get, path = "/api/workers", tag = "incidents",
    responses((status = 200, description = "departments and workers", body = WorkersAnswer)))]
pub async fn workers(
    State(s): State<AppState>,
    Extension(who): Extension<Principal>,
) -> Result<Json<WorkersAnswer>, AppError> {
    let live = live(&s)?;
    let (deps, workers) =
        tokio::task::spawn_blocking(move || live.read(|st| Ok((st.departments()?, st.workers()?))))
            .await
            .map_err(|e| AppError::Internal(e.to_string()))??;
    let street = (who.role == Role::StreetOffice).then_some(who.scope.as_str());
    let seen: Vec<_> = deps
        .into_iter()
        .filter(|d| match (street, d.street.as_deref()) {
            (Some(mine), Some(theirs)) => mine == theirs,
            _ => true,
        })
        .collect();
    let phone = |p: &Option<String>| match who.role.personal_view() {
        PersonalView::Full => p.clone(),
        PersonalView::Masked => p.as_deref().map(wangge_core::personal::mask_phone),
        PersonalView::Nothing => None,
    };
    Ok(Json(WorkersAnswer {
        workers: workers
            .iter()
            .filter(|w| seen.iter().any(|d| d.code == w.department))
            .map(|w| WorkerAnswer {
                id: w.id.clone(),
                name: w.name.clone(),
                department: w.department.clone(),
                grid: w.grid.clone(),
                phone: phone(&w.phone),
            })
            .collect(),
        departments: seen
            .into_iter()
            .map(|d| DepartmentAnswer {
                code: d.code,
                name: d.name,
                street: d.street,
            })
            .collect(),
    }))
}

/// One case's recorded events, oldest first (in the caller's street or grid).
#[utoipa::path(get, path = "/api/incidents/{id}/history", tag = "incidents",
    params(("id" = String, Path, description = "the incident's id")),
    responses(
        (status = 200, description = "the case's events", body = HistoryAnswer),
        (status = 404, description = "no such incident in the token's scope"),
    ))]
pub async fn history(
    State(s): State<AppState>,
    Extension(who): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<Json<HistoryAnswer>, AppError> {
    let live = live(&s)?;
    let key = id.clone();
    let (found, events) = tokio::task::spawn_blocking(move || {
        live.read(|st| {
            Ok((
                st.incident(&key)?,
                st.events_of(std::slice::from_ref(&key))?,
            ))
        })
    })
    .await
    .map_err(|e| AppError::Internal(e.to_string()))??;
    if !found.is_some_and(|(_, i)| {
        who.has_community(i.community.as_deref()) && who.has_grid(i.grid.as_deref())
    }) {
        return Err(AppError::NotFound(format!("no incident {id:?}")));
    }
    Ok(Json(HistoryAnswer {
        id,
        events: events
            .into_iter()
            .map(|e| EventAnswer {
                event: e.status,
                at: e.at.to_string(),
                detail: e.detail.and_then(|d| serde_json::from_str(&d).ok()),
            })
            .collect(),
    }))
}

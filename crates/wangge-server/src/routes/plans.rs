//! `/api/plans`: the planner mode's plan versions, edits, undo/redo (restore), partial
//! re-partition, comparison and exports. Thin handlers over `crate::planning`.

use super::query::json_body;
use crate::contract::plans::{
    ChangeQuery, CompareAnswer, CompareQuery, EditRequest, NameAnswer, NameRequest, NewVersion,
    PartitionRequest, PlansAnswer,
};
use crate::planning;
use crate::{AppError, AppState, Principal};
use axum::Extension;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use std::collections::HashMap;
use wangge_core::partition::edit::Edit;

/// Runs a blocking plan job; after a change the tiles follow the newest plan at once.
async fn run<T: Send + 'static>(
    s: &AppState,
    changes: bool,
    f: impl FnOnce(&AppState) -> Result<T, AppError> + Send + 'static,
) -> Result<T, AppError> {
    let st = s.clone();
    tokio::task::spawn_blocking(move || {
        let out = f(&st)?;
        if changes {
            st.refresh()?;
        }
        Ok(out)
    })
    .await
    .map_err(|e| AppError::Internal(e.to_string()))?
}

/// 201 with the new version.
fn created(out: NewVersion) -> Response {
    (axum::http::StatusCode::CREATED, Json(out)).into_response()
}

fn workspace(s: &AppState) -> Result<(), AppError> {
    if s.source().is_none() {
        return Err(AppError::NotFound(
            "plans live in a workspace, not in a tile archive".into(),
        ));
    }
    Ok(())
}

/// Every plan version, oldest first.
#[utoipa::path(get, path = "/api/plans", tag = "planner",
    responses((status = 200, description = "the versions", body = PlansAnswer)))]
pub async fn list(State(s): State<AppState>) -> Result<Json<PlansAnswer>, AppError> {
    workspace(&s)?;
    run(&s, false, |st| planning::list(&st.path))
        .await
        .map(Json)
}

pub async fn grids(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<Value>, AppError> {
    workspace(&s)?;
    run(&s, false, move |st| {
        planning::grids(&st.path, id, q.get("community").map(String::as_str))
    })
    .await
    .map(Json)
}

/// A planner's edit as the core takes it.
fn parse_edit(v: Value) -> Result<Edit, AppError> {
    Ok(match json_body::<EditRequest>(v)? {
        EditRequest::Move { buildings, to } => {
            if buildings.is_empty() {
                return Err(AppError::BadRequest(
                    "\"buildings\": name at least one building key".into(),
                ));
            }
            Edit::Move { buildings, to }
        }
        EditRequest::Split { grid } => Edit::Split { grid },
        EditRequest::Merge { a, b } => Edit::Merge { a, b },
        EditRequest::Renumber { community } => Edit::Renumber { community },
    })
}

/// Applies an edit to version `id`: an accepted edit is a new version (201), a refused one
/// answers 422 with the rule and its parameters.
#[utoipa::path(post, path = "/api/plans/{id}/edits", tag = "planner", request_body = EditRequest,
    params(("id" = i64, Path, description = "the version edited"), ChangeQuery),
    responses(
        (status = 201, description = "the new version", body = NewVersion),
        (status = 400, description = "a bad edit (problem details)"),
        (status = 403, description = "a grid outside the token's scope"),
        (status = 409, description = "the version is no longer current (code plan.stale, params base and current)"),
        (status = 422, description = "refused by the rules (code and params)"),
    ))]
pub async fn edit(
    State(s): State<AppState>,
    Extension(who): Extension<Principal>,
    Path(id): Path<i64>,
    Query(q): Query<ChangeQuery>,
    Json(b): Json<Value>,
) -> Result<Response, AppError> {
    workspace(&s)?;
    let e = parse_edit(b)?;
    let branch = q.branch.unwrap_or(false);
    let out = run(&s, true, move |st| {
        planning::edit(&st.plans, &st.path, &who, id, &e, branch)
    })
    .await?;
    Ok(created(out))
}

/// Saves version `id` again as the newest (undo and redo).
#[utoipa::path(post, path = "/api/plans/{id}/restore", tag = "planner",
    params(("id" = i64, Path, description = "the version restored"), ChangeQuery),
    responses(
        (status = 201, description = "the new version", body = NewVersion),
        (status = 403, description = "a grid it changes is outside the token's scope"),
        (status = 404, description = "no such version"),
        (status = 409, description = "`base` is no longer the current version (code plan.stale)"),
    ))]
pub async fn restore(
    State(s): State<AppState>,
    Extension(who): Extension<Principal>,
    Path(id): Path<i64>,
    Query(q): Query<ChangeQuery>,
) -> Result<Response, AppError> {
    workspace(&s)?;
    let out = run(&s, true, move |st| {
        planning::restore(&st.plans, &st.path, &who, id, q.base)
    })
    .await?;
    Ok(created(out))
}

/// Re-partitions one community of version `id`, with grids locked.
#[utoipa::path(post, path = "/api/plans/{id}/partition", tag = "planner", request_body = PartitionRequest,
    params(("id" = i64, Path, description = "the version re-partitioned")),
    responses(
        (status = 201, description = "the new version", body = NewVersion),
        (status = 400, description = "a bad body (problem details)"),
        (status = 422, description = "the result breaks a rule (code and params)"),
    ))]
pub async fn partition(
    State(s): State<AppState>,
    Extension(who): Extension<Principal>,
    Path(id): Path<i64>,
    Json(b): Json<Value>,
) -> Result<Response, AppError> {
    workspace(&s)?;
    let PartitionRequest {
        community,
        locks,
        cap,
        branch,
    } = json_body(b)?;
    let locks = locks.unwrap_or_default();
    let cap = match cap {
        None => None,
        Some(c) => Some(
            u32::try_from(c)
                .ok()
                .filter(|&c| c > 0)
                .ok_or_else(|| AppError::BadRequest("\"cap\": a positive whole number".into()))?,
        ),
    };
    let out = run(&s, true, move |st| {
        let job = planning::Repartition {
            community,
            locks,
            cap,
            branch,
        };
        planning::partition(&st.plans, &st.path, &who, id, &job)
    })
    .await?;
    Ok(created(out))
}

/// Names version `id` (a planner's "save as"); an empty name clears it.
#[utoipa::path(put, path = "/api/plans/{id}/name", tag = "planner", request_body = NameRequest,
    params(("id" = i64, Path, description = "the version named")),
    responses(
        (status = 200, description = "the name it now has", body = NameAnswer),
        (status = 400, description = "a bad body or a name over 80 characters"),
        (status = 403, description = "the version changed grids outside the token's street"),
        (status = 404, description = "no such version"),
    ))]
pub async fn name(
    State(s): State<AppState>,
    Extension(who): Extension<Principal>,
    Path(id): Path<i64>,
    Json(b): Json<Value>,
) -> Result<Json<NameAnswer>, AppError> {
    workspace(&s)?;
    let NameRequest { name: n } = json_body(b)?;
    run(&s, false, move |st| {
        planning::name(&st.plans, &st.path, &who, id, &n)
    })
    .await
    .map(Json)
}

/// What changed from version `a` to `b`.
#[utoipa::path(get, path = "/api/plans/compare", tag = "planner", params(CompareQuery),
    responses(
        (status = 200, description = "grids matched, changed, moved households", body = CompareAnswer),
        (status = 400, description = "a or b missing"),
    ))]
pub async fn compare(
    State(s): State<AppState>,
    Query(q): Query<CompareQuery>,
) -> Result<Json<CompareAnswer>, AppError> {
    workspace(&s)?;
    let id = |k: &str, v: Option<&String>| -> Result<i64, AppError> {
        v.and_then(|v| v.parse().ok())
            .ok_or_else(|| AppError::BadRequest(format!("{k}: a plan id is required")))
    };
    let (a, b) = (id("a", q.a.as_ref())?, id("b", q.b.as_ref())?);
    run(&s, false, move |st| planning::compare(&st.path, a, b))
        .await
        .map(Json)
}

pub async fn export(
    State(s): State<AppState>,
    Extension(who): Extension<Principal>,
    Path((id, format)): Path<(i64, String)>,
) -> Result<Response, AppError> {
    workspace(&s)?;
    let (ct, file, bytes) = run(&s, false, move |st| {
        planning::export(&st.path, &who, id, &format)
    })
    .await?;
    Ok((
        [
            (header::CONTENT_TYPE, ct.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file}\""),
            ),
        ],
        bytes,
    )
        .into_response())
}

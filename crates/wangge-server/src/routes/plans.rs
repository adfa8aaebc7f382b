//! `/api/plans`: the planner mode's plan versions, edits, undo/redo (restore), partial
//! re-partition, comparison and exports. Thin handlers over `crate::planning`.

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
fn created(out: Value) -> Response {
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

pub async fn list(State(s): State<AppState>) -> Result<Json<Value>, AppError> {
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

fn text(v: &Value, key: &str) -> Result<String, AppError> {
    v.get(key)
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| AppError::BadRequest(format!("{key:?}: a text is required")))
}

fn texts(v: &Value, key: &str) -> Result<Vec<String>, AppError> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(a)) => a
            .iter()
            .map(|x| {
                x.as_str().map(str::to_string).ok_or_else(|| {
                    AppError::BadRequest(format!("{key:?}: a list of texts is required"))
                })
            })
            .collect(),
        Some(_) => Err(AppError::BadRequest(format!(
            "{key:?}: a list of texts is required"
        ))),
    }
}

/// `{"op": "move", "buildings": [...], "to": CODE}`, `{"op": "split", "grid": CODE}` or
/// `{"op": "merge", "a": CODE, "b": CODE}`.
fn parse_edit(v: &Value) -> Result<Edit, AppError> {
    match v.get("op").and_then(Value::as_str) {
        Some("move") => {
            let buildings = texts(v, "buildings")?;
            if buildings.is_empty() {
                return Err(AppError::BadRequest(
                    "\"buildings\": name at least one building key".into(),
                ));
            }
            Ok(Edit::Move {
                buildings,
                to: text(v, "to")?,
            })
        }
        Some("split") => Ok(Edit::Split {
            grid: text(v, "grid")?,
        }),
        Some("merge") => Ok(Edit::Merge {
            a: text(v, "a")?,
            b: text(v, "b")?,
        }),
        other => Err(AppError::BadRequest(format!(
            "\"op\" {other:?}: one of move, split, merge"
        ))),
    }
}

pub async fn edit(
    State(s): State<AppState>,
    Extension(who): Extension<Principal>,
    Path(id): Path<i64>,
    Json(body): Json<Value>,
) -> Result<Response, AppError> {
    workspace(&s)?;
    let e = parse_edit(&body)?;
    let out = run(&s, true, move |st| {
        planning::edit(&st.plans, &st.path, &who, id, &e)
    })
    .await?;
    Ok(created(out))
}

pub async fn restore(
    State(s): State<AppState>,
    Extension(who): Extension<Principal>,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    workspace(&s)?;
    let out = run(&s, true, move |st| {
        planning::restore(&st.plans, &st.path, &who, id)
    })
    .await?;
    Ok(created(out))
}

pub async fn partition(
    State(s): State<AppState>,
    Extension(who): Extension<Principal>,
    Path(id): Path<i64>,
    Json(body): Json<Value>,
) -> Result<Response, AppError> {
    workspace(&s)?;
    let community = text(&body, "community")?;
    let locks = texts(&body, "locks")?;
    let cap = match body.get("cap") {
        None | Some(Value::Null) => None,
        Some(c) => Some(
            c.as_u64()
                .and_then(|c| u32::try_from(c).ok())
                .filter(|&c| c > 0)
                .ok_or_else(|| AppError::BadRequest("\"cap\": a positive whole number".into()))?,
        ),
    };
    let out = run(&s, true, move |st| {
        planning::partition(&st.plans, &st.path, &who, id, &community, &locks, cap)
    })
    .await?;
    Ok(created(out))
}

pub async fn name(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    Json(body): Json<Value>,
) -> Result<Json<Value>, AppError> {
    workspace(&s)?;
    let n = text(&body, "name")?;
    run(&s, false, move |st| planning::name(&st.path, id, &n))
        .await
        .map(Json)
}

pub async fn compare(
    State(s): State<AppState>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<Value>, AppError> {
    workspace(&s)?;
    let id = |k: &str| -> Result<i64, AppError> {
        q.get(k)
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| AppError::BadRequest(format!("{k}: a plan id is required")))
    };
    let (a, b) = (id("a")?, id("b")?);
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

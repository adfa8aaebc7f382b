//! `/api/components`: city components per area, and `/api/components/faults`: the components
//! with repeated faults. Thin handlers over `wangge_app::components`; the contract is
//! `crate::contract::components`. Components carry no personal data: every role that reads
//! aggregates sees the counts (`auth::allowed`); the faults ranking ties incident counts to one
//! place, so the street office sees its own street's and the admin all.

use crate::contract::components::{ComponentsAnswer, ComponentsQuery, FaultsAnswer, FaultsQuery};
use crate::{AppError, AppState, Principal};
use axum::extract::{Query, State};
use axum::{Extension, Json};
use wangge_core::kpi::Level;

/// Components per area by subclass and status.
#[utoipa::path(get, path = "/api/components", tag = "figures", params(ComponentsQuery),
    responses(
        (status = 200, description = "components per area and subclass", body = ComponentsAnswer),
        (status = 400, description = "bad level (problem details)"),
        (status = 404, description = "serving a tile archive, not a workspace"),
    ))]
pub async fn counts(
    State(s): State<AppState>,
    Query(q): Query<ComponentsQuery>,
) -> Result<Json<ComponentsAnswer>, AppError> {
    let level = match q.by.as_deref() {
        None => Level::Grid,
        Some(b) => Level::parse_area(b).ok_or_else(|| {
            AppError::BadRequest(format!("by {b:?}: grid, community, street or district"))
        })?,
    };
    if s.source().is_none() {
        return Err(AppError::NotFound(
            "components come from a workspace, not a tile archive".into(),
        ));
    }
    let st = s.clone();
    tokio::task::spawn_blocking(move || crate::figures::components(&st.path, level))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?
        .map(Json)
}

/// Components with repeated faults: those most incidents were reported about.
#[utoipa::path(get, path = "/api/components/faults", tag = "figures", params(FaultsQuery),
    responses(
        (status = 200, description = "components by incidents about them, most first", body = FaultsAnswer),
        (status = 400, description = "bad time (problem details)"),
        (status = 404, description = "serving a tile archive, not a workspace"),
    ))]
pub async fn faults(
    State(s): State<AppState>,
    Extension(who): Extension<Principal>,
    Query(q): Query<FaultsQuery>,
) -> Result<Json<FaultsAnswer>, AppError> {
    let time = |v: &Option<String>, what: &str| -> Result<_, AppError> {
        v.as_deref()
            .map(|t| {
                wangge_core::Timestamp::parse(t, 8 * 3600)
                    .map_err(|e| AppError::BadRequest(format!("{what}: {e}")))
            })
            .transpose()
    };
    let window = (time(&q.from, "from")?, time(&q.to, "to")?);
    let min =
        match q.min.as_deref() {
            None => 2,
            Some(v) => v.parse::<u64>().ok().filter(|n| *n >= 2).ok_or_else(|| {
                AppError::BadRequest(format!("min={v}: a whole number, 2 or more"))
            })?,
        };
    if s.source().is_none() {
        return Err(AppError::NotFound(
            "components come from a workspace, not a tile archive".into(),
        ));
    }
    let st = s.clone();
    let mut answer =
        tokio::task::spawn_blocking(move || crate::figures::faults(&st.path, window, min))
            .await
            .map_err(|e| AppError::Internal(e.to_string()))??;
    // A street office sees the components in its own street.
    answer
        .components
        .retain(|c| who.has_community(c.community.as_deref()));
    Ok(Json(answer))
}

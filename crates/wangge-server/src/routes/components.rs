//! `/api/components`: city components per area. A thin handler over
//! `wangge_app::components`; the contract is `crate::contract::components`. Components carry
//! no personal data: every role that may read figures sees the counts.

use crate::contract::components::{ComponentsAnswer, ComponentsQuery};
use crate::{AppError, AppState};
use axum::Json;
use axum::extract::{Query, State};
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
        Some(b) => Level::parse(b).ok_or_else(|| {
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

//! `/api/kpi`, `/api/kpi/trend` and `/api/index`: the closed-loop KPIs and the
//! social-condition index. Thin handlers over `crate::figures`.

use crate::{AppError, AppState};
use axum::Json;
use axum::extract::{Query, State};
use serde_json::Value;
use std::collections::HashMap;
use wangge_core::kpi::Level;

type Params = Query<HashMap<String, String>>;

fn month(q: &HashMap<String, String>) -> String {
    q.get("month")
        .cloned()
        .unwrap_or_else(|| wangge_core::kpi::month_of(wangge_core::Timestamp::now()))
}

fn level(q: &HashMap<String, String>, default: Level) -> Result<Level, AppError> {
    match q.get("by") {
        None => Ok(default),
        Some(b) => Level::parse(b).ok_or_else(|| {
            AppError::BadRequest(format!("by {b:?}: grid, community, street or district"))
        }),
    }
}

async fn blocking<T: Send + 'static>(
    s: &AppState,
    f: impl FnOnce(&AppState) -> Result<T, AppError> + Send + 'static,
) -> Result<T, AppError> {
    if s.source().is_none() {
        return Err(AppError::NotFound(
            "figures come from a workspace, not a tile archive".into(),
        ));
    }
    let st = s.clone();
    tokio::task::spawn_blocking(move || f(&st))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?
}

pub async fn kpi(State(s): State<AppState>, Query(q): Params) -> Result<Json<Value>, AppError> {
    let (m, l) = (month(&q), level(&q, Level::District)?);
    let asof = match q.get("asof") {
        None => None,
        Some(t) => Some(
            wangge_core::Timestamp::parse(t, 8 * 3600)
                .map_err(|e| AppError::BadRequest(format!("asof: {e}")))?,
        ),
    };
    blocking(&s, move |st| {
        crate::figures::kpi(&st.path, &st.limits, &m, l, asof)
    })
    .await
    .map(Json)
}

pub async fn trend(State(s): State<AppState>, Query(q): Params) -> Result<Json<Value>, AppError> {
    let m = month(&q);
    let n: usize = match q.get("months") {
        None => 12,
        Some(v) => v
            .parse()
            .ok()
            .filter(|n| (1..=60).contains(n))
            .ok_or_else(|| AppError::BadRequest("months: 1 to 60".into()))?,
    };
    blocking(&s, move |st| {
        crate::figures::trend(&st.path, &st.limits, &m, n)
    })
    .await
    .map(Json)
}

pub async fn index(State(s): State<AppState>, Query(q): Params) -> Result<Json<Value>, AppError> {
    let (m, l) = (month(&q), level(&q, Level::Community)?);
    blocking(&s, move |st| {
        crate::figures::index(&st.path, &wangge_core::kpi::IndexParams::builtin(), &m, l)
    })
    .await
    .map(Json)
}

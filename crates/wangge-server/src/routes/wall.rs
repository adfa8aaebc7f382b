//! What the wall screen reads besides tiles: `/api/incidents/summary` (today, open, closure in
//! the last 30 days, leading categories and grids) and `/api/views` (the district and each
//! street's bounds, for the rotating views). Aggregates only.
//!
//! The summary counts every incident of the last 30 days in SQL; many wall screens polling
//! it while incidents stream in would each start that scan. One answer is kept and shared
//! (`kept.rs`) while no incident changed (the heat index's generation), up to a minute;
//! after a change one poll recomputes it while the others get the answer kept.

use crate::{AppError, AppState};
use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};
use wangge_core::Timestamp;

pub async fn summary(State(s): State<AppState>) -> Result<Json<Value>, AppError> {
    let live = s
        .live
        .clone()
        .ok_or_else(|| AppError::NotFound("incidents live in a workspace".into()))?;
    let generation = live
        .heat
        .read()
        .unwrap_or_else(|p| p.into_inner())
        .generation();
    use crate::kept::Use;
    match live.summary.get(generation) {
        Use::Kept(v) => Ok(Json(v)),
        Use::Compute => match compute(live.clone()).await {
            Ok(v) => {
                live.summary.keep(generation, v.clone());
                Ok(Json(v))
            }
            Err(e) => {
                live.summary.release();
                Err(e)
            }
        },
    }
}

async fn compute(live: std::sync::Arc<crate::live::Live>) -> Result<Value, AppError> {
    let now = Timestamp::now().unix();
    // Local (UTC+8) midnight today, and 30 local days back.
    let today = (now + 8 * 3600).div_euclid(86_400) * 86_400 - 8 * 3600;
    let window = today - 29 * 86_400;
    let taxonomy = super::query::builtin_taxonomy();
    let sum = tokio::task::spawn_blocking(move || {
        live.read(|st| {
            st.incident_summary(Timestamp::from_unix(today), Timestamp::from_unix(window))
        })
    })
    .await
    .map_err(|e| AppError::Internal(e.to_string()))??;
    let cats: Vec<Value> = sum
        .top_categories
        .iter()
        .map(|(c, n)| {
            let zh = taxonomy.get(c).map(|t| t.zh.clone());
            json!({ "category": c, "zh": zh, "count": n })
        })
        .collect();
    let grids: Vec<Value> = sum
        .top_grids
        .iter()
        .map(|(g, n)| json!({ "grid": g, "count": n }))
        .collect();
    let rate = (sum.window_total > 0).then(|| sum.window_closed as f64 / sum.window_total as f64);
    Ok(json!({
        "today": sum.today,
        "open": sum.open,
        "last_30_days": { "reported": sum.window_total, "closed": sum.window_closed, "closure_rate": rate },
        "top_categories": cats,
        "top_grids": grids,
        "names": taxonomy.categories.iter().map(|c| (c.code.clone(), json!(c.zh))).collect::<serde_json::Map<_, _>>(),
    }))
}

pub async fn views(State(s): State<AppState>) -> Result<Json<Value>, AppError> {
    let live = s
        .live
        .clone()
        .ok_or_else(|| AppError::NotFound("views come from a workspace".into()))?;
    let b = tokio::task::spawn_blocking(move || live.read(|st| st.street_bounds()))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))??;
    let mut views = vec![json!({ "name": "district", "bounds": b.all })];
    views.extend(
        b.streets
            .into_iter()
            .map(|(name, b)| json!({ "name": name, "bounds": b })),
    );
    Ok(Json(json!({ "views": views })))
}

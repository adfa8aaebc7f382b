//! `/api/status` (admin): what the server holds in memory, for operators and for the load
//! bench, which tells data growth (incidents in the heat index) from caches filling (bounded)
//! and from anything else.

use crate::contract::residents::{StatusAnswer, TileCacheStatus};
use crate::{AppError, AppState};
use axum::Json;
use axum::extract::State;

const MB: f64 = 1024.0 * 1024.0;

/// Resident memory of this process, from /proc (Linux); `None` elsewhere.
fn rss_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

/// What the server holds in memory (admin).
#[utoipa::path(get, path = "/api/status", tag = "operations",
    responses((status = 200, description = "memory, heat index and caches", body = StatusAnswer)))]
pub async fn status(State(s): State<AppState>) -> Result<Json<StatusAnswer>, AppError> {
    let mb = |b: usize| (b as f64 / MB * 10.0).round() / 10.0;
    let (incidents, heat_index, heat_cache) = match &s.live {
        Some(live) => {
            let heat = live.heat.read().unwrap_or_else(|p| p.into_inner());
            (
                Some(heat.len()),
                Some(mb(heat.heap_bytes())),
                Some(mb(live.heat_cache.bytes())),
            )
        }
        None => (None, None, None),
    };
    Ok(Json(StatusAnswer {
        rss_mb: rss_bytes().map(|b| mb(b as usize)),
        incidents_in_heat_index: incidents,
        heat_index_mb: heat_index,
        heat_tile_cache_mb: heat_cache,
        tile_cache: TileCacheStatus {
            tiles: s.cache.len(),
            mb: mb(s.cache.bytes()),
            limit_mb: mb(s.cache.limit_bytes),
        },
        data_version: s.source().map(|src| src.version().to_string()),
    }))
}

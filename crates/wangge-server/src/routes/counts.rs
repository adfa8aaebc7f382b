//! Incident count tiles: H3 hexagons at `/tiles/hex/{z}/{x}/{y}.mvt` (layer
//! `incident_hexes`, resolution by zoom) and the newest plan's grids or the communities at
//! `/tiles/incident_grids/...` and `/tiles/incident_communities/...`, each area with its count,
//! households and incidents per 100 households. Filters as for heat tiles, by category and
//! whole days (`from`/`to` dates or `days`); `min` hides counts below it (default 3).

use super::heat::parse;
use super::tiles::respond;
use crate::{AppError, AppState, Principal};
use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use wangge_tiles::AreaLevel;
use wangge_tiles::mvt::TileCoord;

fn coord(z: u32, x: u64, y: &str) -> Result<TileCoord, AppError> {
    let y = y
        .strip_suffix(".mvt")
        .or_else(|| y.strip_suffix(".pbf"))
        .unwrap_or(y)
        .parse::<u64>()
        .map_err(|_| AppError::BadRequest(format!("tile row {y:?} is not a number")))?;
    TileCoord::new(z, x, y).map_err(|e| AppError::BadRequest(e.to_string()))
}

fn reply(headers: &HeaderMap, raw: Vec<u8>) -> Result<Response, AppError> {
    let mut h = std::hash::DefaultHasher::new();
    raw.hash(&mut h);
    respond(
        headers,
        &format!("\"c{:016x}\"", h.finish()),
        Bytes::from(raw),
        false,
    )
}

/// The filter, the smallest count shown (the query's, never below the server's floor) and the
/// live incidents.
type Inputs = (
    wangge_tiles::HeatFilter,
    u32,
    std::sync::Arc<crate::live::Live>,
);

fn inputs(s: &AppState, q: &HashMap<String, String>) -> Result<Inputs, AppError> {
    let (filter, style) = parse(q)?;
    let live = s
        .live
        .clone()
        .ok_or_else(|| AppError::NotFound("counts come from a workspace".into()))?;
    Ok((filter, style.min_count.max(s.min_count), live))
}

pub async fn hex(
    State(s): State<AppState>,
    Extension(who): Extension<Principal>,
    Path((z, x, y)): Path<(u32, u64, String)>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let t = coord(z, x, &y)?;
    if t.z() < 8 {
        return Err(AppError::BadRequest(format!(
            "hex tiles start at zoom 8 (asked {})",
            t.z()
        )));
    }
    let (filter, min_count, live) = inputs(&s, &q)?;
    // Hexagons of at least resolution 9 (about 170 m a side) unless the caller sees positions.
    let finest = if who.sees_positions() { 10 } else { 9 };
    let raw = tokio::task::spawn_blocking(move || {
        let heat = live.heat.read().unwrap_or_else(|p| p.into_inner());
        heat.hex_tile(t, &filter, min_count, finest)
    })
    .await
    .map_err(|e| AppError::Internal(e.to_string()))?
    .map_err(|e| AppError::BadRequest(e.to_string()))?;
    reply(&headers, raw)
}

pub async fn areas_grids(
    State(s): State<AppState>,
    Path((z, x, y)): Path<(u32, u64, String)>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    areas(s, AreaLevel::Grid, coord(z, x, &y)?, q, headers).await
}

pub async fn areas_communities(
    State(s): State<AppState>,
    Path((z, x, y)): Path<(u32, u64, String)>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    areas(s, AreaLevel::Community, coord(z, x, &y)?, q, headers).await
}

async fn areas(
    s: AppState,
    level: AreaLevel,
    t: TileCoord,
    q: HashMap<String, String>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let (of, which) = match level {
        AreaLevel::Grid => ("grids", "incident_grids"),
        AreaLevel::Community => ("communities", "incident_communities"),
    };
    let (filter, min_count, live) = inputs(&s, &q)?;
    let source = s
        .source()
        .ok_or_else(|| AppError::NotFound("counts come from a workspace".into()))?;
    let raw = tokio::task::spawn_blocking(move || -> Result<Vec<u8>, AppError> {
        let heat = live.heat.read().unwrap_or_else(|p| p.into_inner());
        // Refuse unsupported filters once, before drawing.
        heat.area_count(level, "", &filter)
            .map_err(|e| AppError::BadRequest(e.to_string()))?;
        let count = |code: &str| heat.area_count(level, code, &filter).unwrap_or(0);
        Ok(source.count_tile(t, of, which, &count, min_count))
    })
    .await
    .map_err(|e| AppError::Internal(e.to_string()))??;
    reply(&headers, raw)
}

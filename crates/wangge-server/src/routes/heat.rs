//! Heat tiles: `/heat/{z}/{x}/{y}.png` (and `{y}@2x.png`) with filters in the query
//! (`category`, `source`: comma lists; `from`, `to`: dates or times; `days`: the last N days;
//! `radius` px, `max`, `min` count, `norm` = count or households: incidents per 100
//! households), and the colour ramp at `/heat/legend.json`.

use crate::{AppError, AppState};
use axum::Json;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::Response;
use serde_json::{Value, json};
use std::collections::HashMap;
use wangge_core::Timestamp;
use wangge_tiles::mvt::TileCoord;
use wangge_tiles::{HeatFilter, HeatStyle};

pub async fn tile(
    State(s): State<AppState>,
    Path((z, x, y)): Path<(u32, u64, String)>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let bad = |m: String| AppError::BadRequest(m);
    let (row, scale) = match (y.strip_suffix("@2x.png"), y.strip_suffix(".png")) {
        (Some(r), _) => (r, 2),
        (None, Some(r)) => (r, 1),
        _ => return Err(bad(format!("{y}: heat tiles end in .png or @2x.png"))),
    };
    let row: u64 = row
        .parse()
        .map_err(|_| bad(format!("tile row {row:?} is not a number")))?;
    let coord = TileCoord::new(z, x, row).map_err(|e| bad(e.to_string()))?;
    let (filter, mut style) = parse(&q)?;
    style.scale = scale;
    let source = s.source().ok_or_else(|| {
        AppError::NotFound("heat tiles come from a workspace, not an archive".into())
    })?;
    let png = tokio::task::spawn_blocking(move || source.heat().png(coord, &filter, &style))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?
        .map_err(|e| AppError::Internal(e.to_string()))?;
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "image/png")
        .header(header::CACHE_CONTROL, "public, max-age=60")
        .header(header::ACCESS_CONTROL_ALLOW_ORIGIN, "*")
        .body(Body::from(png))
        .map_err(|e| AppError::Internal(e.to_string()))
}

pub async fn legend() -> Json<Value> {
    let stops: Vec<Value> = wangge_tiles::RAMP
        .iter()
        .map(|(v, c)| json!({ "share_of_max": v, "rgba": c }))
        .collect();
    let d = HeatStyle::default();
    Json(json!({
        "value": "peak-normalised kernel density: one incident gives 1 at its own spot",
        "kernel": "quartic, radius in CSS pixels",
        "defaults": { "radius": d.radius_px, "max": d.max, "min": d.min_count },
        "stops": stops,
    }))
}

/// The filter and style from the query.
fn parse(q: &HashMap<String, String>) -> Result<(HeatFilter, HeatStyle), AppError> {
    let bad = |m: String| AppError::BadRequest(m);
    let list = |k: &str| -> Vec<String> {
        q.get(k)
            .map(|v| {
                v.split(',')
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default()
    };
    let time = |k: &str| -> Result<Option<i64>, AppError> {
        q.get(k)
            .map(|v| {
                Timestamp::parse(v, 8 * 3600)
                    .map(Timestamp::unix)
                    .map_err(|e| bad(format!("{k}={v}: {e}")))
            })
            .transpose()
    };
    let num = |k: &str, d: f64, lo: f64, hi: f64| -> Result<f64, AppError> {
        match q.get(k) {
            None => Ok(d),
            Some(v) => v
                .parse::<f64>()
                .ok()
                .filter(|x| x.is_finite() && (lo..=hi).contains(x))
                .ok_or_else(|| bad(format!("{k}={v}: a number from {lo} to {hi}"))),
        }
    };
    let mut f = HeatFilter {
        categories: list("category"),
        sources: list("source"),
        from_unix: time("from")?,
        to_unix: time("to")?,
    };
    if let Some(d) = q.get("days") {
        let days: i64 = d
            .parse()
            .ok()
            .filter(|d| *d > 0)
            .ok_or_else(|| bad(format!("days={d}: a positive whole number")))?;
        let end = f.to_unix.unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |t| t.as_secs() as i64)
        });
        f.from_unix = Some(end - days * 86_400);
    }
    let d = HeatStyle::default();
    // Rates run higher than counts: a year's incidents per 100 households.
    let default_max = if q.get("norm").is_some_and(|n| n == "households") {
        50.0
    } else {
        d.max
    };
    let style = HeatStyle {
        radius_px: num("radius", d.radius_px, 1.0, 200.0)?,
        max: num("max", default_max, 0.001, 1e9)?,
        min_count: num("min", f64::from(d.min_count), 1.0, 1e6)? as u32,
        scale: 1,
        per_100_households: match q.get("norm").map(String::as_str) {
            None | Some("count") => false,
            Some("households") => true,
            Some(o) => return Err(bad(format!("norm={o}: count or households"))),
        },
    };
    Ok((f, style))
}

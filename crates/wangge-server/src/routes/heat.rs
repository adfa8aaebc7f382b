//! Heat tiles: `/heat/{z}/{x}/{y}.png` (and `{y}@2x.png`) with filters in the query
//! (`category`, `source`, `status`: comma lists; `from`, `to`: dates or times, a bare `to`
//! date meaning its end; `days`: the last N local days including today; `radius` px or
//! `radius_m` metres, `max`, `min` count, `norm` = count or households: incidents per 100
//! households), and the colour ramp at `/heat/legend.json`. Tiles are cached per query and
//! dropped where new incidents land. `v` is the client's own version of what it has seen:
//! with it an answer may be kept a day (the client asks with a new `v` after new incidents).

use super::query::IncidentFilters;
use crate::{AppError, AppState, Principal};
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::Response;
use axum::{Extension, Json};
use serde_json::{Value, json};
use std::collections::HashMap;
use wangge_core::Timestamp;
use wangge_tiles::mvt::TileCoord;
use wangge_tiles::{HeatFilter, HeatStyle};

pub async fn tile(
    State(s): State<AppState>,
    Extension(who): Extension<Principal>,
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
    let (mut filter, mut style) = parse(&q)?;
    style.scale = scale;
    style.min_count = style.min_count.max(s.min_count);
    // A caller who may not see incident positions gets them snapped to cells of at least
    // 100 m and whole-day windows: no two tiles differ by less than a cell and a day.
    if !who.sees_positions() {
        filter = filter.whole_days();
        style.snap_m = Some(wangge_tiles::SNAP_M);
    }
    let live = s.live.clone().ok_or_else(|| {
        AppError::NotFound("heat tiles come from a workspace, not an archive".into())
    })?;
    if q.get("max").is_some_and(|m| m == "auto") {
        style.max = auto_max(&live, &filter, &style).await?;
    }
    // The cache key: the resolved filter and style (a `days` window resolves to its dates).
    let key = format!("{filter:?}{style:?}");
    let (z, x, y) = (coord.z(), coord.x(), coord.y());
    let png = match live.heat_cache.get(z, x, y, &key) {
        Some(png) => png,
        None => {
            let epoch = live.heat_cache.epoch();
            let l = live.clone();
            let png = tokio::task::spawn_blocking(move || {
                let heat = l.heat.read().unwrap_or_else(|p| p.into_inner());
                heat.png(coord, &filter, &style)
            })
            .await
            .map_err(|e| AppError::Internal(e.to_string()))?
            .map_err(|e| AppError::Internal(e.to_string()))?;
            let png = axum::body::Bytes::from(png);
            live.heat_cache.put(z, x, y, key, png.clone(), epoch);
            png
        }
    };
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "image/png")
        // A client that follows the event stream names its own version (`v`) and asks again
        // with a new one when incidents arrive: it keeps tiles for a day (a map library
        // reloads expired tiles, which on a wall screen means redrawing 4K every few
        // seconds). Without `v`: five seconds.
        .header(
            header::CACHE_CONTROL,
            if q.contains_key("v") {
                "private, max-age=86400"
            } else {
                "public, max-age=5"
            },
        )
        .header(header::ACCESS_CONTROL_ALLOW_ORIGIN, "*")
        .body(Body::from(png))
        .map_err(|e| AppError::Internal(e.to_string()))
}

/// The colour scale's maximum from the data: [`wangge_tiles::HeatIndex::peak`] over the
/// district for this window and style, kept until new incidents change the index.
async fn auto_max(
    live: &std::sync::Arc<crate::live::Live>,
    filter: &HeatFilter,
    style: &HeatStyle,
) -> Result<f64, AppError> {
    let generation = live
        .heat
        .read()
        .unwrap_or_else(|p| p.into_inner())
        .generation();
    // One maximum for 256 px and @2x tiles alike (the peak is taken at scale 1).
    let key = format!(
        "{generation} {filter:?} {:?}",
        HeatStyle { scale: 1, ..*style }
    );
    let kept = |key: &str| {
        live.peaks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(key)
            .copied()
    };
    if let Some(v) = kept(&key) {
        return Ok(v);
    }
    // One computation at a time; those who waited find its answer.
    let _one = live.peaks_computing.lock().await;
    if let Some(v) = kept(&key) {
        return Ok(v);
    }
    let (l, f, s) = (live.clone(), filter.clone(), *style);
    let v = tokio::task::spawn_blocking(move || -> Result<f64, AppError> {
        let bounds = l.read(|st| st.street_bounds())?.all;
        let heat = l.heat.read().unwrap_or_else(|p| p.into_inner());
        Ok(heat.peak(bounds, &f, &s))
    })
    .await
    .map_err(|e| AppError::Internal(e.to_string()))??;
    let mut peaks = live.peaks.lock().unwrap_or_else(|p| p.into_inner());
    if peaks.len() > 256 {
        peaks.clear();
    }
    peaks.insert(key, v);
    Ok(v)
}

/// The colour ramp: stops as shares of the maximum; with the same query as a tile
/// (`days`, `radius_m`, `max=auto`, `ramp=log`, ...) also the value at each stop, for a
/// legend with numbers.
pub async fn legend(
    State(s): State<AppState>,
    Extension(who): Extension<Principal>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<Value>, AppError> {
    let (mut filter, mut style) = parse(&q)?;
    style.min_count = style.min_count.max(s.min_count);
    if !who.sees_positions() {
        filter = filter.whole_days();
        style.snap_m = Some(wangge_tiles::SNAP_M);
    }
    if q.get("max").is_some_and(|m| m == "auto")
        && let Some(live) = s.live.clone()
    {
        style.max = auto_max(&live, &filter, &style).await?;
    }
    let stops: Vec<Value> = wangge_tiles::RAMP
        .iter()
        .map(|(v, c)| json!({ "share_of_max": v, "value": style.value_at(*v), "rgba": c }))
        .collect();
    let d = HeatStyle::default();
    Ok(Json(json!({
        "value": if style.per_100_households { "incidents per 100 households (kernel-weighted)" } else { "peak-normalised kernel density: one incident gives 1 at its own spot" },
        "kernel": "quartic (biweight), radius in CSS pixels (radius) or metres on the ground (radius_m)",
        "ramp": if style.log { "log: ln(1 + value) / ln(1 + max)" } else { "linear: value / max" },
        "max": style.max,
        "min_count": style.min_count,
        "defaults": { "radius": d.radius_px, "max": d.max, "min": d.min_count },
        "stops": stops,
    })))
}

/// The filter and style from the query.
pub(super) fn parse(q: &HashMap<String, String>) -> Result<(HeatFilter, HeatStyle), AppError> {
    let bad = |m: String| AppError::BadRequest(m);
    let time = |k: &str| -> Result<Option<i64>, AppError> {
        Ok(super::query::time(q, k, k == "to")?.map(Timestamp::unix))
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
    let filters = IncidentFilters::parse(q, super::query::builtin_taxonomy())?;
    let mut f = HeatFilter {
        categories: filters.categories,
        sources: filters.sources,
        statuses: filters.statuses,
        from_unix: time("from")?,
        to_unix: time("to")?,
    };
    if let (Some(a), Some(b)) = (f.from_unix, f.to_unix)
        && a > b
    {
        return Err(bad("from is after to".into()));
    }
    if let Some(d) = q.get("days") {
        let days: i64 = d
            .parse()
            .ok()
            .filter(|d| *d > 0 && *d <= 36_500)
            .ok_or_else(|| bad(format!("days={d}: a whole number from 1 to 36500")))?;
        // The last N local (UTC+8) days including today, from the start of the first.
        let end = f
            .to_unix
            .unwrap_or_else(|| wangge_core::Timestamp::now().unix());
        let local_day = (end + 8 * 3600).div_euclid(86_400);
        f.from_unix = Some((local_day - days + 1) * 86_400 - 8 * 3600);
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
        radius_m: q
            .get("radius_m")
            .map(|_| num("radius_m", 0.0, 1.0, 50_000.0))
            .transpose()?,
        // `auto`: resolved from the data by the caller ([`auto_max`]).
        max: if q.get("max").is_some_and(|m| m == "auto") {
            default_max
        } else {
            num("max", default_max, 0.001, 1e9)?
        },
        min_count: num("min", f64::from(d.min_count), 1.0, 1e6)? as u32,
        scale: 1,
        snap_m: None,
        log: match q.get("ramp").map(String::as_str) {
            None | Some("linear") => false,
            Some("log") => true,
            Some(o) => return Err(bad(format!("ramp={o}: linear or log"))),
        },
        per_100_households: match q.get("norm").map(String::as_str) {
            None | Some("count") => false,
            Some("households") => true,
            Some(o) => return Err(bad(format!("norm={o}: count or households"))),
        },
    };
    Ok((f, style))
}

//! The published figures as JSON: closed-loop KPIs per area and month, their monthly trend,
//! and the social-condition index with its digests. Computed from the store on each request
//! (the same store and parameters give the same numbers).

use crate::AppError;
use crate::error::io;
use serde_json::{Value, json};
use std::path::Path;
use wangge_core::Timestamp;
use wangge_core::kpi::{IndexParams, KpiRow, Level, TimeLimits, kpis, month_range, social_index};
use wangge_io::store::prelude::*;

/// The JSON of one KPI row.
pub fn kpi_json(r: &KpiRow) -> Value {
    json!({
        "area": r.area, "reported": r.reported, "filed": r.filed, "dispatched": r.dispatched,
        "closed": r.closed, "closed_on_time": r.closed_on_time, "reworked": r.reworked,
        "extended": r.extended, "overdue": r.overdue,
        "filed_rate": r.filed_rate(), "dispatch_rate": r.dispatch_rate(), "closure_rate": r.closure_rate(),
        "on_time_rate": r.on_time_rate(), "rework_rate": r.rework_rate(), "extension_rate": r.extension_rate(),
        "median_hours": { "dispatch": r.median_h[0], "handle": r.median_h[1], "follow_up": r.median_h[2], "close": r.median_h[3] },
    })
}

/// Checks a `YYYY-MM` month; `asof` defaults to the month's end, or now if earlier.
pub fn month_and_asof(month: &str, asof: Option<Timestamp>) -> Result<Timestamp, AppError> {
    let (_, end) = month_range(month)
        .ok_or_else(|| AppError::BadRequest(format!("month {month:?}: YYYY-MM, e.g. 2026-10")))?;
    let now = Timestamp::now();
    Ok(asof.unwrap_or_else(|| end.min(now)))
}

/// KPIs of `month` at `level`.
pub fn kpi(
    path: &Path,
    limits: &TimeLimits,
    month: &str,
    level: Level,
    asof: Option<Timestamp>,
) -> Result<Value, AppError> {
    let asof = month_and_asof(month, asof)?;
    let cases = wangge_io::GeoPackage::open(path)
        .map_err(io)?
        .kpi_cases()
        .map_err(io)?;
    let rows: Vec<Value> = kpis(&cases, month, level, limits, asof)
        .iter()
        .map(kpi_json)
        .collect();
    Ok(json!({ "month": month, "by": level.as_str(), "asof": asof.to_string(), "rows": rows }))
}

/// The district's KPIs for each of the `n` months up to `month`.
pub fn trend(path: &Path, limits: &TimeLimits, month: &str, n: usize) -> Result<Value, AppError> {
    month_and_asof(month, None)?;
    let cases = wangge_io::GeoPackage::open(path)
        .map_err(io)?
        .kpi_cases()
        .map_err(io)?;
    let mut months = vec![month.to_string()];
    while months.len() < n {
        match wangge_core::kpi::previous_month(&months[months.len() - 1]) {
            Some(m) => months.push(m),
            None => break,
        }
    }
    months.reverse();
    let rows: Vec<Value> = months
        .iter()
        .map(|m| {
            let asof = month_and_asof(m, None).unwrap_or(Timestamp::from_unix(0));
            let row = kpis(&cases, m, Level::District, limits, asof)
                .pop()
                .unwrap_or_default();
            let mut v = kpi_json(&row);
            v["month"] = json!(m);
            v
        })
        .collect();
    Ok(json!({ "months": rows }))
}

/// The social-condition index of `month` at `level`.
pub fn index(path: &Path, p: &IndexParams, month: &str, level: Level) -> Result<Value, AppError> {
    month_and_asof(month, None)?;
    if level == Level::District {
        return Err(AppError::BadRequest(
            "by: community, street or grid (the district is the reference, 100)".into(),
        ));
    }
    let store = wangge_io::GeoPackage::open(path).map_err(io)?;
    let cases = store.kpi_cases().map_err(io)?;
    let households = store.area_households(level).map_err(io)?;
    let run = social_index(&cases, &households, month, level, p);
    let items: Vec<Value> = p
        .items
        .iter()
        .map(|i| json!({ "code": i.code, "category": i.category, "zh": i.zh }))
        .collect();
    let categories: Vec<Value> = p
        .categories
        .iter()
        .map(|c| json!({ "code": c.code, "zh": c.zh, "weight": c.weight }))
        .collect();
    let rows: Vec<Value> = run
        .rows
        .iter()
        .map(|r| {
            // Small counts are not published (the index still uses them).
            let counts: Vec<Value> = r
                .counts
                .iter()
                .map(|&n| if n > 0 && n < p.min_count { Value::Null } else { json!(n) })
                .collect();
            json!({ "area": r.area, "households": r.households, "index": r.index, "previous": r.previous,
                    "change": r.change(), "rank": r.rank, "category_scores": r.category_scores, "counts": counts })
        })
        .collect();
    Ok(json!({
        "month": month, "by": level.as_str(), "categories": categories, "items": items,
        "min_count": p.min_count, "rows": rows,
        "inputs_sha256": run.inputs_sha256, "results_sha256": run.results_sha256, "params_sha256": run.params_sha256,
    }))
}

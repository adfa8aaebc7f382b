//! The published figures as JSON: closed-loop KPIs per area and month, their monthly trend,
//! and the social-condition index with its digests. Computed from the store on each request
//! (the same store and parameters give the same numbers).

use crate::AppError;
use crate::error::io;
use serde_json::{Value, json};
use std::path::Path;
use wangge_core::Timestamp;
use wangge_core::kpi::{IndexParams, KpiRow, Level, TimeLimits, social_index};
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

/// A KPI use-case error as the client sees it: a bad month is a bad request.
fn kpi_error(e: wangge_app::kpi::KpiError) -> AppError {
    match e {
        wangge_app::kpi::KpiError::Month { .. } => AppError::BadRequest(e.to_string()),
        wangge_app::kpi::KpiError::Store(e) => io(e),
    }
}

/// Checks a `YYYY-MM` month.
pub fn check_month(month: &str) -> Result<(), AppError> {
    wangge_app::kpi::as_of(month, None, Timestamp::now())
        .map(|_| ())
        .map_err(kpi_error)
}

/// KPIs of `month` at `level` (wangge-app: the CLI's `report kpi` counts the same).
pub fn kpi(
    path: &Path,
    limits: &TimeLimits,
    month: &str,
    level: Level,
    asof: Option<Timestamp>,
) -> Result<Value, AppError> {
    let store = wangge_io::GeoPackage::open(path).map_err(io)?;
    let m = wangge_app::kpi::month_kpis(&store, limits, month, level, asof).map_err(kpi_error)?;
    let rows: Vec<Value> = m.rows.iter().map(kpi_json).collect();
    Ok(json!({ "month": month, "by": level.as_str(), "asof": m.asof.to_string(), "rows": rows }))
}

/// The district's KPIs for each of the `n` months up to `month`.
pub fn trend(path: &Path, limits: &TimeLimits, month: &str, n: usize) -> Result<Value, AppError> {
    let store = wangge_io::GeoPackage::open(path).map_err(io)?;
    let rows: Vec<Value> = wangge_app::kpi::trend(&store, limits, month, n)
        .map_err(kpi_error)?
        .iter()
        .map(|(m, row)| {
            let mut v = kpi_json(row);
            v["month"] = json!(m);
            v
        })
        .collect();
    Ok(json!({ "months": rows }))
}

/// The social-condition index of `month` at `level`.
pub fn index(path: &Path, p: &IndexParams, month: &str, level: Level) -> Result<Value, AppError> {
    check_month(month)?;
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

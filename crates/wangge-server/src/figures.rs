//! The published figures as typed answers (`contract::kpi`): closed-loop KPIs per area and
//! month, their monthly trend, and the social-condition index with its digests. Computed from the store on each request
//! (the same store and parameters give the same numbers).

use crate::AppError;
use crate::contract::kpi::{IndexAnswer, KpiAnswer, KpiRowAnswer, TrendAnswer, TrendMonth};
use crate::error::io;
use std::path::Path;
use wangge_core::Timestamp;
use wangge_core::kpi::{IndexParams, Level, TimeLimits, social_index};
use wangge_io::store::prelude::*;

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
) -> Result<KpiAnswer, AppError> {
    let store = wangge_io::GeoPackage::open(path).map_err(io)?;
    let m = wangge_app::kpi::month_kpis(&store, limits, month, level, asof).map_err(kpi_error)?;
    Ok(KpiAnswer {
        month: month.to_string(),
        by: level.as_str().to_string(),
        asof: m.asof.to_string(),
        rows: m.rows.iter().map(KpiRowAnswer::from).collect(),
    })
}

/// The district's KPIs for each of the `n` months up to `month`.
pub fn trend(
    path: &Path,
    limits: &TimeLimits,
    month: &str,
    n: usize,
) -> Result<TrendAnswer, AppError> {
    let store = wangge_io::GeoPackage::open(path).map_err(io)?;
    let months = wangge_app::kpi::trend(&store, limits, month, n)
        .map_err(kpi_error)?
        .iter()
        .map(|(m, row)| TrendMonth {
            month: m.clone(),
            kpis: KpiRowAnswer::from(row),
        })
        .collect();
    Ok(TrendAnswer { months })
}

/// The social-condition index of `month` at `level`.
pub fn index(
    path: &Path,
    p: &IndexParams,
    month: &str,
    level: Level,
) -> Result<IndexAnswer, AppError> {
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
    Ok(IndexAnswer::new(&run, p, level))
}

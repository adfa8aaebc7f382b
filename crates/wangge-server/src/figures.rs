//! The published figures as typed answers (`contract::kpi`): closed-loop KPIs per area and
//! month, their monthly trend, and the social-condition index with its digests. Computed from the store on each request
//! (the same store and parameters give the same numbers).

use crate::AppError;
use crate::contract::kpi::{IndexAnswer, KpiAnswer, KpiRowAnswer, TrendAnswer, TrendMonth};
use crate::error::io;
use std::path::Path;
use wangge_core::Timestamp;
use wangge_core::kpi::{IndexParams, Level, TimeLimits};

/// A KPI use-case error as the client sees it: a bad month is a bad request.
fn kpi_error(e: wangge_app::kpi::KpiError) -> AppError {
    match e {
        wangge_app::kpi::KpiError::Month { .. } | wangge_app::kpi::KpiError::DistrictIndex => {
            AppError::BadRequest(e.to_string())
        }
        wangge_app::kpi::KpiError::Store(e) => io(e),
    }
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

/// The social-condition index of `month` at `level` (wangge-app: `report index` computes
/// the same).
pub fn index(
    path: &Path,
    p: &IndexParams,
    month: &str,
    level: Level,
) -> Result<IndexAnswer, AppError> {
    let store = wangge_io::GeoPackage::open(path).map_err(io)?;
    let run = wangge_app::kpi::month_index(&store, p, month, level).map_err(kpi_error)?;
    Ok(IndexAnswer::new(&run, p, level))
}

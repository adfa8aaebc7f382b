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
    let store = wangge_app::open_store(path, wangge_app::Access::Read).map_err(io)?;
    let m = wangge_app::kpi::month_kpis(store.as_ref(), limits, month, level, asof)
        .map_err(kpi_error)?;
    Ok(KpiAnswer {
        month: month.to_string(),
        by: level.as_str().to_string(),
        asof: m.asof.to_string(),
        count_below: None,
        rows: m
            .rows
            .iter()
            .map(|r| {
                let hh = m.households.get(&r.area).copied();
                let (name, street) = (m.names.get(&r.area), m.streets.get(&r.area));
                KpiRowAnswer::new(r, hh, name.cloned(), street.cloned())
            })
            .collect(),
    })
}

use wangge_app::kpi::local_day_start;

/// What a caller who may not see incident positions gets of a KPI table (the README's role
/// table): no grid smaller than a community outside its scope (a leader: no grid at all),
/// `asof` at the start of its local day, and areas with fewer than `min_count` reported
/// incidents left out as areas with none are.
pub fn kpi_for(
    path: &Path,
    limits: &TimeLimits,
    (month, level, asof): (&str, Level, Option<Timestamp>),
    who: &crate::Principal,
    min_count: u32,
) -> Result<KpiAnswer, AppError> {
    use wangge_core::access::Role;
    if level == Level::Worker
        && !matches!(who.role, Role::Admin | Role::StreetOffice | Role::Leader)
    {
        return Err(AppError::Forbidden(
            "KPIs per worker are for the street office, leaders and the admin".into(),
        ));
    }
    if who.sees_positions() {
        return kpi(path, limits, month, level, asof);
    }
    if level == Level::Grid && who.role == wangge_core::access::Role::Leader {
        return Err(AppError::Forbidden(
            "KPIs by grid are not for a leader's token (a grid is smaller than a community): ask by community, street or district".into(),
        ));
    }
    // The steps as of the start of a local day, also by default (a current month is counted
    // as of now otherwise, and would move within the day).
    let t = wangge_app::kpi::as_of(month, asof, Timestamp::now()).map_err(kpi_error)?;
    let day = local_day_start(t);
    let mut a = kpi(path, limits, month, level, Some(day))?;
    if level == Level::Grid {
        let store = wangge_app::open_store(path, wangge_app::Access::Read).map_err(io)?;
        let community: std::collections::HashMap<String, String> =
            match store.latest_plan().map_err(io)? {
                Some(p) => store.plan_grids(p).map_err(io)?.into_iter().collect(),
                None => Default::default(),
            };
        a.rows.retain(|r| {
            who.has_grid(Some(&r.area))
                && who.has_community(community.get(&r.area).map(String::as_str))
        });
    }
    if !level.is_area() && who.role == Role::StreetOffice {
        // A street office sees its street's departments and the district's, and their workers.
        let store = wangge_app::open_store(path, wangge_app::Access::Read).map_err(io)?;
        let seen: std::collections::HashSet<String> = store
            .departments()
            .map_err(io)?
            .into_iter()
            .filter(|d| d.street.as_ref().is_none_or(|s| *s == who.scope))
            .map(|d| d.code)
            .collect();
        let workers: std::collections::HashSet<String> = store
            .workers()
            .map_err(io)?
            .into_iter()
            .filter(|w| seen.contains(&w.department))
            .map(|w| w.id)
            .collect();
        a.rows.retain(|r| match level {
            Level::Department => seen.contains(&r.area),
            _ => workers.contains(&r.area),
        });
    }
    let min = u64::from(min_count.max(1));
    a.rows.retain(|r| r.reported >= min);
    a.count_below = Some(min as u32);
    if level == Level::Worker
        && who.role.personal_view() == wangge_core::access::PersonalView::Nothing
    {
        // A worker's name is personal: a role that sees no personal field (a leader, the
        // wall screen) gets the table by worker id alone.
        for r in &mut a.rows {
            r.name = None;
        }
    }
    Ok(a)
}

/// The district's KPIs for each of the `n` months up to `month`, or with `area` one street's
/// or community's (in the caller's scope; months under the count floor suppressed for a
/// caller who may not see positions, as KPI tables leave such areas out).
pub fn trend(
    path: &Path,
    limits: &TimeLimits,
    (month, n): (&str, usize),
    area: Option<(Level, String)>,
    (who, min_count): (&crate::Principal, u32),
) -> Result<TrendAnswer, AppError> {
    let store = wangge_app::open_store(path, wangge_app::Access::Read).map_err(io)?;
    let Some((level, key)) = area else {
        let households = store
            .area_households(Level::District)
            .map_err(io)?
            .into_values()
            .next();
        let months = wangge_app::kpi::trend(store.as_ref(), limits, month, n)
            .map_err(kpi_error)?
            .iter()
            .map(|(m, row)| TrendMonth {
                month: m.clone(),
                suppressed: false,
                kpis: KpiRowAnswer::new(row, households, None, None),
            })
            .collect();
        return Ok(TrendAnswer {
            area: "district".into(),
            months,
        });
    };
    let in_scope = match level {
        Level::Community => who.has_community(Some(&key)),
        _ => {
            !matches!(
                who.role,
                wangge_core::access::Role::Planner | wangge_core::access::Role::StreetOffice
            ) || who.scope == key
        }
    };
    if !in_scope {
        return Err(AppError::Forbidden(format!(
            "{} {key:?} is outside this token's scope",
            level.as_str()
        )));
    }
    let households = wangge_app::kpi::area_households(store.as_ref(), level)
        .map_err(kpi_error)?
        .get(&key)
        .copied();
    let floor = if who.sees_positions() {
        0
    } else {
        u64::from(min_count.max(1))
    };
    // As a KPI table counts for such a caller: a current month as of the start of the day.
    let now = if who.sees_positions() {
        Timestamp::now()
    } else {
        local_day_start(Timestamp::now())
    };
    let months =
        wangge_app::kpi::area_trend(store.as_ref(), limits, (month, n), (level, &key), now)
            .map_err(kpi_error)?
            .into_iter()
            .map(|(m, row)| {
                let row = row.unwrap_or_else(|| wangge_core::kpi::KpiRow {
                    area: key.clone(),
                    ..Default::default()
                });
                let suppressed = row.reported > 0 && row.reported < floor;
                let row = if suppressed {
                    wangge_core::kpi::KpiRow {
                        area: key.clone(),
                        ..Default::default()
                    }
                } else {
                    row
                };
                TrendMonth {
                    month: m,
                    suppressed,
                    kpis: KpiRowAnswer::new(&row, households, None, None),
                }
            })
            .collect();
    Ok(TrendAnswer { area: key, months })
}

/// The social-condition index of `month` at `level` (wangge-app: `report index` computes
/// the same).
pub fn index(
    path: &Path,
    p: &IndexParams,
    month: &str,
    level: Level,
) -> Result<IndexAnswer, AppError> {
    let store = wangge_app::open_store(path, wangge_app::Access::Read).map_err(io)?;
    let run = wangge_app::kpi::month_index(store.as_ref(), p, month, level).map_err(kpi_error)?;
    Ok(IndexAnswer::new(&run, p, level))
}

/// City components per area at `level`.
pub fn components(
    path: &Path,
    level: Level,
) -> Result<crate::contract::components::ComponentsAnswer, AppError> {
    let store = wangge_app::open_store(path, wangge_app::Access::Read).map_err(io)?;
    let counts = wangge_app::components::component_counts(store.as_ref(), level).map_err(io)?;
    Ok(crate::contract::components::ComponentsAnswer::new(
        &counts,
        &wangge_core::ComponentCatalogue::builtin(),
    ))
}

/// Components with at least `min` incidents about them in a window.
pub fn faults(
    path: &Path,
    window: (Option<Timestamp>, Option<Timestamp>),
    min: u64,
) -> Result<crate::contract::components::FaultsAnswer, AppError> {
    let store = wangge_app::open_store(path, wangge_app::Access::Read).map_err(io)?;
    let rows = wangge_app::components::repeated_faults(store.as_ref(), window, min).map_err(io)?;
    Ok(crate::contract::components::FaultsAnswer::new(
        &rows,
        &wangge_core::ComponentCatalogue::builtin(),
    ))
}

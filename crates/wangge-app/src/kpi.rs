//! Closed-loop KPIs: a month's rows per area and the district's monthly trend, for `wangge
//! report kpi`, the monthly page and `/api/kpi`, `/api/kpi/trend`. One rule for the time the
//! steps are counted at ("as of"): the month's end, or now when the month has not ended (an
//! open case is overdue only once its limit has passed).

use std::collections::BTreeMap;
use thiserror::Error;
use wangge_core::Timestamp;
use wangge_core::kpi::{
    IndexParams, IndexRun, KpiRow, Level, TimeLimits, kpis, month_range, previous_month,
    social_index, social_index_of_tallies,
};
use wangge_io::Store;

/// Why KPIs cannot be computed.
#[derive(Debug, Error)]
pub enum KpiError {
    /// Not a `YYYY-MM` month.
    #[error("month {month:?}: YYYY-MM, e.g. 2026-10")]
    Month { month: String },
    /// The index compares areas with the district: it has no row of its own.
    #[error("the district is the index's reference (100); use community, street or grid")]
    DistrictIndex,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] wangge_io::Error),
}

impl KpiError {
    /// A stable machine code (front ends map codes, never messages).
    pub fn code(&self) -> &'static str {
        match self {
            Self::Month { .. } => "bad_month",
            Self::DistrictIndex => "district_index",
            Self::Store(e) => e.code(),
        }
    }
}

/// One month's KPIs per area.
#[derive(Debug, Clone, PartialEq)]
pub struct MonthKpis {
    pub month: String,
    pub level: Level,
    /// The time the steps are counted at.
    pub asof: Timestamp,
    /// How many incidents the store holds (all months).
    pub incidents: usize,
    pub rows: Vec<KpiRow>,
    /// Households of each area at `level` (the store's aggregate), for rates per household.
    pub households: BTreeMap<String, u64>,
    /// Names where they differ from the keys: communities', departments' and workers' (from
    /// the register).
    pub names: BTreeMap<String, String>,
    /// The street (街道) of each area that has one (communities; departments of a street and
    /// their workers).
    pub streets: BTreeMap<String, String>,
}

/// The time a month's steps are counted at: `asof` when given, else the month's end, or
/// `now` when that is earlier.
pub fn as_of(month: &str, asof: Option<Timestamp>, now: Timestamp) -> Result<Timestamp, KpiError> {
    let (_, end) = month_range(month).ok_or_else(|| KpiError::Month {
        month: month.to_string(),
    })?;
    Ok(asof.unwrap_or_else(|| end.min(now)))
}

/// The start (00:00 +08:00) of the local day of `t`: the `asof` a caller who may not see
/// incident positions gets (its figures do not move within the day).
pub fn local_day_start(t: Timestamp) -> Timestamp {
    Timestamp::from_unix((t.unix() + 8 * 3600).div_euclid(86_400) * 86_400 - 8 * 3600)
}

/// The KPIs of `month` at `level`.
pub fn month_kpis(
    store: &dyn Store,
    limits: &TimeLimits,
    month: &str,
    level: Level,
    asof: Option<Timestamp>,
) -> Result<MonthKpis, KpiError> {
    let asof = as_of(month, asof, Timestamp::now())?;
    // The month's incidents only (`kpis` counts those reported in it).
    let (start, end) = month_range(month).ok_or_else(|| KpiError::Month {
        month: month.to_string(),
    })?;
    let rows = month_rows(store, limits, (start, end), month, level, asof)?;
    let stored = store.incident_count()? as usize;
    let (mut names, mut streets) = (BTreeMap::new(), BTreeMap::new());
    match level {
        Level::Community => {
            for c in wangge_io::store::communities_of_record(store)? {
                if let Some(s) = c.street {
                    streets.insert(c.key.clone(), s);
                }
                names.insert(c.key, c.name);
            }
        }
        Level::Department | Level::Worker => (names, streets) = register_names(store, level)?,
        _ => {}
    }
    Ok(MonthKpis {
        month: month.to_string(),
        level,
        asof,
        incidents: stored,
        rows,
        households: area_households(store, level)?,
        names,
        streets,
    })
}

/// Key → name, or key → street.
pub type Names = BTreeMap<String, String>;

/// The names of the register's departments (by code) or workers (by id), and the street of
/// each that belongs to one (a street's section, and its workers; district bureaus have
/// none), for tables per department and worker; none at the levels of areas.
pub fn register_names(store: &dyn Store, level: Level) -> Result<(Names, Names), KpiError> {
    let (mut names, mut streets) = (BTreeMap::new(), BTreeMap::new());
    if !matches!(level, Level::Department | Level::Worker) {
        return Ok((names, streets));
    }
    let departments = store.departments()?;
    let street_of: BTreeMap<&str, &str> = departments
        .iter()
        .filter_map(|d| Some((d.code.as_str(), d.street.as_deref()?)))
        .collect();
    if level == Level::Department {
        for d in &departments {
            names.insert(d.code.clone(), d.name.clone());
        }
        streets = street_of
            .iter()
            .map(|(c, s)| (c.to_string(), s.to_string()))
            .collect();
    } else {
        for w in store.workers()? {
            if let Some(s) = street_of.get(w.department.as_str()) {
                streets.insert(w.id.clone(), s.to_string());
            }
            names.insert(w.id, w.name);
        }
    }
    Ok((names, streets))
}

/// The KPI rows of `month` (`window`: its range) at `level` as of `asof`: computed by the
/// store where it can (in SQL, held to `kpis` by the conformance suite), else counted here
/// over the month's cases.
fn month_rows(
    store: &dyn Store,
    limits: &TimeLimits,
    window: (Timestamp, Timestamp),
    month: &str,
    level: Level,
    asof: Timestamp,
) -> Result<Vec<KpiRow>, KpiError> {
    if let Some(rows) = crate::kpi_kept::kpi_rows(store, window, level, limits, asof)? {
        return Ok(rows);
    }
    let cases = store.kpi_cases_between(window.0, window.1)?;
    Ok(kpis(&cases, month, level, limits, asof))
}

/// Households per area at `level`, kept per workspace and data version (they change only with
/// places and plans, which move the data version): a server answering KPI requests counts
/// them once, not per request.
pub fn area_households(store: &dyn Store, level: Level) -> Result<BTreeMap<String, u64>, KpiError> {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    type Kept = HashMap<(String, &'static str), (String, BTreeMap<String, u64>)>;
    static KEPT: OnceLock<Mutex<Kept>> = OnceLock::new();
    let version = store.data_version()?;
    let key = (store.location(), level.as_str());
    let kept = KEPT.get_or_init(Default::default);
    if let Some((v, h)) = kept.lock().unwrap_or_else(|p| p.into_inner()).get(&key)
        && *v == version
    {
        return Ok(h.clone());
    }
    let h = store.area_households(level)?;
    kept.lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(key, (version, h.clone()));
    Ok(h)
}

/// The `n` months up to and with `month`, oldest first.
fn months_up_to(month: &str, n: usize) -> Vec<String> {
    let mut months = vec![month.to_string()];
    while months.len() < n {
        match previous_month(&months[months.len() - 1]) {
            Some(m) => months.push(m),
            None => break,
        }
    }
    months.reverse();
    months
}

/// The rows at `level` of each of `months` (consecutive, oldest first), each month counted
/// as of its end (or `now` when earlier): month by month from the store where it computes
/// them (SQL), else over the cases of the whole span read once.
fn months_rows(
    store: &dyn Store,
    limits: &TimeLimits,
    months: &[String],
    level: Level,
    now: Timestamp,
) -> Result<Vec<Vec<KpiRow>>, KpiError> {
    let range = |m: &str| {
        month_range(m).ok_or_else(|| KpiError::Month {
            month: m.to_string(),
        })
    };
    let (Some(first), Some(last)) = (months.first(), months.last()) else {
        return Ok(Vec::new());
    };
    let mut out = Vec::with_capacity(months.len());
    for m in months {
        let asof = as_of(m, None, now)?;
        match crate::kpi_kept::kpi_rows(store, range(m)?, level, limits, asof)? {
            Some(rows) => out.push(rows),
            None => break,
        }
    }
    if out.len() == months.len() {
        return Ok(out);
    }
    let cases = store.kpi_cases_between(range(first)?.0, range(last)?.1)?;
    months
        .iter()
        .map(|m| Ok(kpis(&cases, m, level, limits, as_of(m, None, now)?)))
        .collect()
}

/// One area's KPIs (a street or a community at `level`) for each of the `n` months up to
/// `month`, oldest first, each month counted as of its end (or `now` when that is earlier: a
/// caller may pass the start of the day); `None` for a month in which the area had no
/// incident (the wall's trend of the area it is drilled into).
pub fn area_trend(
    store: &dyn Store,
    limits: &TimeLimits,
    (month, n): (&str, usize),
    (level, area): (Level, &str),
    now: Timestamp,
) -> Result<Vec<(String, Option<KpiRow>)>, KpiError> {
    as_of(month, None, now)?;
    let months = months_up_to(month, n);
    let rows = months_rows(store, limits, &months, level, now)?;
    Ok(months
        .into_iter()
        .zip(rows)
        .map(|(m, rows)| {
            let row = rows.into_iter().find(|r| r.area == area);
            (m, row)
        })
        .collect())
}

/// The district's KPIs for each of the `n` months up to `month`, oldest first, each month
/// counted as of its end (or now), over the store's incidents.
pub fn trend(
    store: &dyn Store,
    limits: &TimeLimits,
    month: &str,
    n: usize,
) -> Result<Vec<(String, KpiRow)>, KpiError> {
    let now = Timestamp::now();
    as_of(month, None, now)?;
    let months = months_up_to(month, n);
    let rows = months_rows(store, limits, &months, Level::District, now)?;
    Ok(months
        .into_iter()
        .zip(rows)
        .map(|(m, mut rows)| (m, rows.pop().unwrap_or_default()))
        .collect())
}

/// The social-condition index of `month` at `level` (community, street or grid) over the
/// store's incidents and households (`wangge report index`, `/api/index`).
pub fn month_index(
    store: &dyn Store,
    params: &IndexParams,
    month: &str,
    level: Level,
) -> Result<IndexRun, KpiError> {
    as_of(month, None, Timestamp::now())?;
    if level == Level::District {
        return Err(KpiError::DistrictIndex);
    }
    // The index compares the month with the one before: those two months' incidents only.
    let bad = || KpiError::Month {
        month: month.to_string(),
    };
    let previous = previous_month(month).ok_or_else(bad)?;
    let (start, _) = month_range(&previous).ok_or_else(bad)?;
    let (_, end) = month_range(month).ok_or_else(bad)?;
    let households = area_households(store, level)?;
    // Counted by the store when it can (PostgreSQL: grouped in SQL), else from the cases.
    Ok(match store.index_tallies((start, end), level)? {
        Some(tallies) => social_index_of_tallies(&tallies, &households, month, level, params),
        None => {
            let cases = store.kpi_cases_between(start, end)?;
            social_index(&cases, &households, month, level, params)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_month_is_counted_at_its_end_or_now() {
        let now = Timestamp::parse("2026-12-06T08:00:00+08:00", 0).expect("now");
        let end = month_range("2026-10").expect("month").1;
        assert_eq!(as_of("2026-10", None, now).expect("past"), end);
        assert_eq!(as_of("2026-12", None, now).expect("current"), now);
        let given = Timestamp::from_unix(5);
        assert_eq!(as_of("2026-12", Some(given), now).expect("given"), given);
        let e = as_of("2026-13", None, now).expect_err("bad month");
        assert_eq!(e.code(), "bad_month");
    }
}

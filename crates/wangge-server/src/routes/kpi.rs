//! `/api/kpi`, `/api/kpi/trend` and `/api/index`: the closed-loop KPIs and the
//! social-condition index. Thin handlers over `crate::figures`; the contract (query and
//! answer types, and so the OpenAPI description) is `crate::contract::kpi`.

use crate::contract::kpi::{IndexAnswer, IndexQuery, KpiAnswer, KpiQuery, TrendAnswer, TrendQuery};
use crate::{AppError, AppState, Principal};
use axum::extract::{Query, State};
use axum::{Extension, Json};
use wangge_core::kpi::Level;

fn month(m: Option<String>) -> String {
    m.unwrap_or_else(|| wangge_core::kpi::month_of(wangge_core::Timestamp::now()))
}

fn level(by: Option<&str>, default: Level) -> Result<Level, AppError> {
    match by {
        None => Ok(default),
        Some(b) => Level::parse(b).ok_or_else(|| {
            AppError::BadRequest(format!(
                "by {b:?}: grid, community, street, district, department or worker"
            ))
        }),
    }
}

/// A level of areas (the index is per household: no department or worker).
fn area_level(by: Option<&str>, default: Level) -> Result<Level, AppError> {
    let l = level(by, default)?;
    if !l.is_area() {
        return Err(AppError::BadRequest(format!(
            "by {:?}: grid, community, street or district",
            l.as_str()
        )));
    }
    Ok(l)
}

async fn blocking<T: Send + 'static>(
    s: &AppState,
    f: impl FnOnce(&AppState) -> Result<T, AppError> + Send + 'static,
) -> Result<T, AppError> {
    if s.source().is_none() {
        return Err(AppError::NotFound(
            "figures come from a workspace, not a tile archive".into(),
        ));
    }
    let st = s.clone();
    tokio::task::spawn_blocking(move || f(&st))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?
}

/// A month's closed-loop KPIs per area.
#[utoipa::path(get, path = "/api/kpi", tag = "figures", params(KpiQuery),
    responses(
        (status = 200, description = "KPIs per area", body = KpiAnswer),
        (status = 400, description = "bad month, level or time (problem details)"),
        (status = 403, description = "by grid for a leader's token"),
        (status = 404, description = "serving a tile archive, not a workspace"),
    ))]
pub async fn kpi(
    State(s): State<AppState>,
    Extension(who): Extension<Principal>,
    Query(q): Query<KpiQuery>,
) -> Result<Json<KpiAnswer>, AppError> {
    let l = level(q.by.as_deref(), Level::District)?;
    let m = month(q.month);
    let asof = match q.asof {
        None => None,
        Some(t) => Some(
            wangge_core::Timestamp::parse(&t, 8 * 3600)
                .map_err(|e| AppError::BadRequest(format!("asof: {e}")))?,
        ),
    };
    blocking(&s, move |st| {
        crate::figures::kpi_for(&st.path, &st.limits, (&m, l, asof), &who, st.min_count)
    })
    .await
    .map(Json)
}

/// The district's KPIs month by month, or one street's or community's.
#[utoipa::path(get, path = "/api/kpi/trend", tag = "figures", params(TrendQuery),
    responses(
        (status = 200, description = "one row per month, oldest first", body = TrendAnswer),
        (status = 400, description = "bad month, number of months, or by/area (problem details)"),
        (status = 403, description = "an area outside the token's scope"),
        (status = 404, description = "serving a tile archive, not a workspace"),
    ))]
pub async fn trend(
    State(s): State<AppState>,
    Extension(who): Extension<Principal>,
    Query(q): Query<TrendQuery>,
) -> Result<Json<TrendAnswer>, AppError> {
    let m = month(q.month);
    let n: usize = match q.months {
        None => 12,
        Some(v) => v
            .parse()
            .ok()
            .filter(|n| (1..=60).contains(n))
            .ok_or_else(|| AppError::BadRequest("months: 1 to 60".into()))?,
    };
    let area = match (q.by.as_deref(), q.area) {
        (None, None) => None,
        (Some("street"), Some(a)) => Some((Level::Street, a)),
        (Some("community"), Some(a)) => Some((Level::Community, a)),
        _ => {
            return Err(AppError::BadRequest(
                "by=street or by=community with area=NAME, or neither".into(),
            ));
        }
    };
    blocking(&s, move |st| {
        crate::figures::trend(&st.path, &st.limits, (&m, n), area, (&who, st.min_count))
    })
    .await
    .map(Json)
}

/// The social-condition index of a month per area.
#[utoipa::path(get, path = "/api/index", tag = "figures", params(IndexQuery),
    responses(
        (status = 200, description = "the index per area with its digests", body = IndexAnswer),
        (status = 400, description = "bad month or level (problem details)"),
        (status = 404, description = "serving a tile archive, not a workspace"),
    ))]
pub async fn index(
    State(s): State<AppState>,
    Query(q): Query<IndexQuery>,
) -> Result<Json<IndexAnswer>, AppError> {
    let l = area_level(q.by.as_deref(), Level::Community)?;
    let m = month(q.month);
    blocking(&s, move |st| {
        crate::figures::index(&st.path, &wangge_core::kpi::IndexParams::builtin(), &m, l)
    })
    .await
    .map(Json)
}

//! `/api/reach`: the street-office mode's walking coverage, service areas, gaps, siting and
//! what-if. Thin handlers over `crate::reach`; the reach is built on first use.

use super::query::json_body;
use crate::contract::reach::{
    CatalogueAnswer, CoverageAnswer, Minutes, ReachQuery, SitingAnswer, SitingRequest,
    WhatIfAnswer, WhatIfRequest,
};
use crate::reach::Reach;
use crate::{AppError, AppState, Principal};
use axum::Extension;
use axum::Json;
use axum::extract::{Query, State};
use serde_json::Value;

/// Runs `f` on the workspace's reach off the async threads.
async fn with_reach<T: Send + 'static>(
    s: &AppState,
    f: impl FnOnce(&Reach) -> Result<T, AppError> + Send + 'static,
) -> Result<T, AppError> {
    let source = s.source().ok_or_else(|| {
        AppError::NotFound("walking coverage needs a workspace, not a tile archive".into())
    })?;
    let (cache, path) = (s.reach.clone(), s.path.clone());
    tokio::task::spawn_blocking(move || {
        let r = cache.get(&path, source.version())?;
        f(&r)
    })
    .await
    .map_err(|e| AppError::Internal(e.to_string()))?
}

/// `category` and `minutes` (default 15) of a query or body.
fn what(category: Option<String>, minutes: Option<Minutes>) -> Result<(String, u32), AppError> {
    let category = category
        .ok_or_else(|| AppError::BadRequest("category: a facility category is required".into()))?;
    let minutes = match minutes {
        None => 15,
        Some(Minutes::Number(n)) => u32::try_from(n)
            .map_err(|_| AppError::BadRequest(format!("minutes {n}: a whole number")))?,
        Some(Minutes::Text(m)) => m
            .parse()
            .map_err(|_| AppError::BadRequest(format!("minutes {m:?}: a whole number")))?,
    };
    Ok((category, minutes))
}

fn from_query(q: ReachQuery) -> Result<(String, u32), AppError> {
    what(q.category, q.minutes.map(Minutes::Text))
}

/// The catalogue, the walking speed and the households on the network.
#[utoipa::path(get, path = "/api/reach", tag = "street office",
    responses(
        (status = 200, description = "categories, circles, speed", body = CatalogueAnswer),
        (status = 404, description = "no workspace, or nothing to walk on"),
    ))]
pub async fn catalogue(State(s): State<AppState>) -> Result<Json<CatalogueAnswer>, AppError> {
    with_reach(&s, |r| Ok(r.catalogue())).await.map(Json)
}

/// Keeps the rows (or features) of the token's street.
fn narrow(who: &Principal, v: &mut Value, key: &str, community: impl Fn(&Value) -> Option<String>) {
    if let Some(rows) = v.get_mut(key).and_then(Value::as_array_mut) {
        rows.retain(|r| who.has_community(community(r).as_deref()));
    }
}

/// Households within `minutes` of a facility of `category`, in total, per community and per
/// grid (a token scoped to a street sees its street's).
#[utoipa::path(get, path = "/api/reach/coverage", tag = "street office", params(ReachQuery),
    responses(
        (status = 200, description = "coverage in total, per community and grid", body = CoverageAnswer),
        (status = 400, description = "unknown category or bad minutes (problem details)"),
    ))]
pub async fn coverage(
    State(s): State<AppState>,
    Extension(who): Extension<Principal>,
    Query(q): Query<ReachQuery>,
) -> Result<Json<CoverageAnswer>, AppError> {
    let (c, m) = from_query(q)?;
    let mut v = with_reach(&s, move |r| r.coverage(&c, m)).await?;
    v.communities.retain(|r| who.has_community(Some(&r.code)));
    v.grids
        .retain(|r| who.has_community(r.community.as_deref()));
    Ok(Json(v))
}

pub async fn area(
    State(s): State<AppState>,
    Query(q): Query<ReachQuery>,
) -> Result<Json<Value>, AppError> {
    let (c, m) = from_query(q)?;
    with_reach(&s, move |r| r.area(&c, m).map(|v| Value::clone(&v)))
        .await
        .map(Json)
}

pub async fn gaps(
    State(s): State<AppState>,
    Extension(who): Extension<Principal>,
    Query(q): Query<ReachQuery>,
) -> Result<Json<Value>, AppError> {
    let (c, m) = from_query(q)?;
    let mut v = with_reach(&s, move |r| r.gaps(&c, m)).await?;
    narrow(&who, &mut v, "features", |f| {
        f["properties"]["community"].as_str().map(str::to_string)
    });
    Ok(Json(v))
}

/// Where `k` new facilities would cover most households.
#[utoipa::path(post, path = "/api/reach/siting", tag = "street office", request_body = SitingRequest,
    responses(
        (status = 200, description = "ranked sites with their gains", body = SitingAnswer),
        (status = 400, description = "bad body, category, minutes or k (problem details)"),
    ))]
pub async fn siting(
    State(s): State<AppState>,
    Json(b): Json<Value>,
) -> Result<Json<SitingAnswer>, AppError> {
    let b: SitingRequest = json_body(b)?;
    let (c, m) = what(b.category, b.minutes)?;
    let k = usize::try_from(b.k.unwrap_or(3))
        .map_err(|_| AppError::BadRequest("k: a whole number".into()))?;
    with_reach(&s, move |r| r.siting(&c, m, k)).await.map(Json)
}

/// Coverage before and after adding facilities (lon/lat) and removing others (keys).
#[utoipa::path(post, path = "/api/reach/what-if", tag = "street office", request_body = WhatIfRequest,
    responses(
        (status = 200, description = "coverage before and after, per community changed", body = WhatIfAnswer),
        (status = 400, description = "bad body, category or minutes, or nothing to change (problem details)"),
        (status = 404, description = "no such facility to remove"),
        (status = 422, description = "a position off the network, or longitude and latitude swapped"),
    ))]
pub async fn what_if(
    State(s): State<AppState>,
    Extension(who): Extension<Principal>,
    Json(b): Json<Value>,
) -> Result<Json<WhatIfAnswer>, AppError> {
    let b: WhatIfRequest = json_body(b)?;
    let (c, m) = what(b.category, b.minutes)?;
    let (add, remove) = (b.add.unwrap_or_default(), b.remove.unwrap_or_default());
    if add.is_empty() && remove.is_empty() {
        return Err(AppError::BadRequest(
            "give \"add\" (lon/lat pairs) or \"remove\" (facility keys)".into(),
        ));
    }
    with_reach(&s, move |r| {
        r.what_if(&c, m, &add, &remove, &|k| who.has_community(Some(k)))
    })
    .await
    .map(Json)
}

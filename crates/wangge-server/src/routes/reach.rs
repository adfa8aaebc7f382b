//! `/api/reach`: the street-office mode's walking coverage, service areas, gaps, siting and
//! what-if. Thin handlers over `crate::reach`; the reach is built on first use.

use crate::reach::Reach;
use crate::{AppError, AppState, Principal};
use axum::Extension;
use axum::Json;
use axum::extract::{Query, State};
use serde_json::Value;
use std::collections::HashMap;

type Params = Query<HashMap<String, String>>;

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
fn what(get: impl Fn(&str) -> Option<String>) -> Result<(String, u32), AppError> {
    let category = get("category")
        .ok_or_else(|| AppError::BadRequest("category: a facility category is required".into()))?;
    let minutes = match get("minutes") {
        None => 15,
        Some(m) => m
            .parse()
            .map_err(|_| AppError::BadRequest(format!("minutes {m:?}: a whole number")))?,
    };
    Ok((category, minutes))
}

fn from_query(q: &HashMap<String, String>) -> Result<(String, u32), AppError> {
    what(|k| q.get(k).cloned())
}

fn from_body(v: &Value) -> Result<(String, u32), AppError> {
    what(|k| match v.get(k) {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    })
}

pub async fn catalogue(State(s): State<AppState>) -> Result<Json<Value>, AppError> {
    with_reach(&s, |r| Ok(r.catalogue_json())).await.map(Json)
}

/// Keeps the rows (or features) of the token's street.
fn narrow(who: &Principal, v: &mut Value, key: &str, community: impl Fn(&Value) -> Option<String>) {
    if let Some(rows) = v.get_mut(key).and_then(Value::as_array_mut) {
        rows.retain(|r| who.has_community(community(r).as_deref()));
    }
}

pub async fn coverage(
    State(s): State<AppState>,
    Extension(who): Extension<Principal>,
    Query(q): Params,
) -> Result<Json<Value>, AppError> {
    let (c, m) = from_query(&q)?;
    let mut v = with_reach(&s, move |r| r.coverage(&c, m)).await?;
    narrow(&who, &mut v, "communities", |r| {
        r["code"].as_str().map(str::to_string)
    });
    narrow(&who, &mut v, "grids", |r| {
        r["community"].as_str().map(str::to_string)
    });
    Ok(Json(v))
}

pub async fn area(State(s): State<AppState>, Query(q): Params) -> Result<Json<Value>, AppError> {
    let (c, m) = from_query(&q)?;
    with_reach(&s, move |r| r.area(&c, m).map(|v| Value::clone(&v)))
        .await
        .map(Json)
}

pub async fn gaps(
    State(s): State<AppState>,
    Extension(who): Extension<Principal>,
    Query(q): Params,
) -> Result<Json<Value>, AppError> {
    let (c, m) = from_query(&q)?;
    let mut v = with_reach(&s, move |r| r.gaps(&c, m)).await?;
    narrow(&who, &mut v, "features", |f| {
        f["properties"]["community"].as_str().map(str::to_string)
    });
    Ok(Json(v))
}

/// `{"category", "minutes", "k"}`.
pub async fn siting(
    State(s): State<AppState>,
    Json(b): Json<Value>,
) -> Result<Json<Value>, AppError> {
    let (c, m) = from_body(&b)?;
    let k = match b.get("k") {
        None => 3,
        Some(k) => k
            .as_u64()
            .ok_or_else(|| AppError::BadRequest("k: a whole number".into()))?
            as usize,
    };
    with_reach(&s, move |r| r.siting(&c, m, k)).await.map(Json)
}

/// `{"category", "minutes", "add": [[lon, lat], ...], "remove": [facility key, ...]}`.
pub async fn what_if(
    State(s): State<AppState>,
    Json(b): Json<Value>,
) -> Result<Json<Value>, AppError> {
    let (c, m) = from_body(&b)?;
    let add: Vec<[f64; 2]> = match b.get("add") {
        None | Some(Value::Null) => Vec::new(),
        Some(v) => serde_json::from_value(v.clone())
            .map_err(|e| AppError::BadRequest(format!("add: a list of [lon, lat] pairs ({e})")))?,
    };
    let remove: Vec<String> = match b.get("remove") {
        None | Some(Value::Null) => Vec::new(),
        Some(v) => serde_json::from_value(v.clone())
            .map_err(|e| AppError::BadRequest(format!("remove: a list of facility keys ({e})")))?,
    };
    if add.is_empty() && remove.is_empty() {
        return Err(AppError::BadRequest(
            "give \"add\" (lon/lat pairs) or \"remove\" (facility keys)".into(),
        ));
    }
    with_reach(&s, move |r| r.what_if(&c, m, &add, &remove))
        .await
        .map(Json)
}

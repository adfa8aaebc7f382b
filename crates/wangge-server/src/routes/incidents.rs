//! `/api/incidents`: POST one or a batch (JSON, GeoJSON, CSV; stored durably before the
//! answer), GET with filters and paging (JSON or GeoJSON), GET one by id, PATCH a status
//! transition, and `/api/incidents/stream`: Server-Sent Events of new incidents and changes.

use super::query::{IncidentFilters, time};
use crate::contract::incidents::{
    IncidentAnswer, IncidentPage, IncidentsQuery, IngestAnswer, IngestQuery, StepRequest,
};
use crate::live::{Live, incident_json};
use crate::{AppError, AppState, Principal};
use axum::Extension;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::stream::Stream;
use serde_json::{Value, json};
use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use wangge_core::{IncidentStatus, Timestamp};
use wangge_io::ToWgs84;
use wangge_io::incident_payload::{Context, Payload, PayloadError, parse_incidents};
use wangge_io::store::IncidentQuery;

/// Most incidents in one POST.
pub const MAX_BATCH: usize = 100_000;
/// Largest page of a GET.
pub const MAX_PAGE: usize = 10_000;

fn live(s: &AppState) -> Result<Arc<Live>, AppError> {
    s.live
        .clone()
        .ok_or_else(|| AppError::NotFound("incidents live in a workspace, not an archive".into()))
}

/// POST: 201 with the ids stored now and those already there (a resent batch adds nothing);
/// 400 naming every bad item (nothing stored); 413 for too many items.
#[utoipa::path(post, path = "/api/incidents", tag = "incidents", params(IngestQuery),
    request_body(description = "one incident or a batch: JSON (an object or a list), GeoJSON (a FeatureCollection of points) or CSV (lon, lat, time, category, ...)",
        content(("application/json"), ("application/geo+json"), ("text/csv"))),
    responses(
        (status = 201, description = "stored durably before this answer", body = IngestAnswer),
        (status = 400, description = "bad items, each named; nothing stored"),
        (status = 403, description = "an incident outside the token's grid; nothing stored"),
        (status = 409, description = "an id already stored as a different report (code incident.duplicate_id); nothing stored"),
        (status = 413, description = "more than 100,000 items"),
    ))]
pub async fn post(
    State(s): State<AppState>,
    Extension(who): Extension<Principal>,
    Query(q): Query<IngestQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AppError> {
    let live = live(&s)?;
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/json");
    let kind = Payload::from_content_type(ct).ok_or_else(|| {
        AppError::BadRequest(format!(
            "Content-Type {ct:?}: send application/json, application/geo+json or text/csv"
        ))
    })?;
    let crs = q.crs;
    let result = tokio::task::spawn_blocking(move || -> Result<IngestAnswer, AppError> {
        static SERIAL: AtomicU64 = AtomicU64::new(0);
        let to_wgs84 = crs
            .map(|c| wangge_io::CrsSpec::parse(&c).and_then(ToWgs84::new))
            .transpose()
            .map_err(|e| AppError::BadRequest(format!("crs: {e}")))?;
        let t = Timestamp::now();
        let cx = Context {
            taxonomy: &live.taxonomy,
            now: t,
            utc_offset_s: 8 * 3600,
            crs: to_wgs84.as_ref(),
            id_prefix: format!(
                "api:{}-{}",
                t.unix(),
                SERIAL.fetch_add(1, Ordering::Relaxed)
            ),
        };
        let batch = parse_incidents(&body, kind, &cx, MAX_BATCH).map_err(|e| match &e {
            PayloadError::TooMany { .. } => AppError::TooLarge(e.to_string()),
            PayloadError::Invalid(problems) => {
                let list: Vec<String> =
                    problems.iter().take(50).map(ToString::to_string).collect();
                AppError::BadRequest(format!("{e}:\n{}", list.join("\n")))
            }
        })?;
        // A scoped caller's ids live in its own namespace (`scope:id`), so the answer
        // (`existing`, a clash) never tells whether an id is used outside its scope.
        let mut batch = batch;
        if who.scope != "*" {
            for i in &mut batch {
                i.key = format!("{}:{}", who.scope, i.key);
            }
        }
        // A grid worker reports in its own grid only.
        let scope = who.clone();
        let done = live.ingest_checked(batch, |i| {
            if scope.has_grid(i.grid.as_deref()) {
                Ok(())
            } else {
                Err(AppError::ForbiddenWith {
                    title: "outside the token's grid",
                    detail: format!(
                        "incident {}: at {:.6},{:.6} it is in grid {}, not in {} (this token's grid); nothing was stored",
                        i.key,
                        i.location.x(),
                        i.location.y(),
                        i.grid.as_deref().unwrap_or("none"),
                        scope.scope
                    ),
                    code: "scope.grid".into(),
                    params: vec![
                        ("incident", i.key.clone()),
                        ("grid", i.grid.clone().unwrap_or_else(|| "—".into())),
                        ("scope", scope.scope.clone()),
                    ],
                })
            }
        })?;
        if who.id.is_some() {
            let ids: Vec<&str> = done.added.iter().take(50).map(|(_, k)| k.as_str()).collect();
            let more = done.added.len().saturating_sub(ids.len());
            let tail = if more > 0 { format!(" and {more} more") } else { String::new() };
            live.audit(
                &who,
                "incidents.add",
                &format!("{} incidents: {}{tail}", done.added.len(), ids.join(", ")),
            );
        }
        Ok(IngestAnswer {
            added: done.added.into_iter().map(|(_, k)| k).collect(),
            existing: done.existing,
        })
    })
    .await
    .map_err(|e| AppError::Internal(e.to_string()))??;
    Ok((StatusCode::CREATED, Json(result)).into_response())
}

/// GET with `category`, `source`, `status` (comma lists), `community`, `grid`, `from`, `to`,
/// `limit` (≤ 10,000), `offset`; `f=geojson` for a FeatureCollection.
#[utoipa::path(get, path = "/api/incidents", tag = "incidents", params(IncidentsQuery),
    responses(
        (status = 200, description = "a page (f=geojson: a GeoJSON FeatureCollection)", body = IncidentPage),
        (status = 400, description = "a bad filter or page"),
        (status = 403, description = "a community or grid outside the token's scope"),
    ))]
pub async fn list(
    State(s): State<AppState>,
    Extension(who): Extension<Principal>,
    Query(typed): Query<IncidentsQuery>,
) -> Result<Response, AppError> {
    let live = live(&s)?;
    let q = typed.as_map();
    // Answers stay in the token's street or grid; naming an area outside it is refused.
    if let Some(c) = q.get("community")
        && !who.has_community(Some(c))
    {
        return Err(AppError::Forbidden(format!(
            "community {c} is outside this token's street {}",
            who.scope
        )));
    }
    if let Some(g) = q.get("grid")
        && !who.has_grid(Some(g))
    {
        return Err(AppError::Forbidden(format!(
            "grid {g} is not this token's grid {}",
            who.scope
        )));
    }
    let bad = |m: String| AppError::BadRequest(m);
    let num = |k: &str, d: usize, max: usize| -> Result<usize, AppError> {
        match q.get(k) {
            None => Ok(d),
            Some(v) => v
                .parse::<usize>()
                .ok()
                .filter(|n| *n <= max)
                .ok_or_else(|| bad(format!("{k}={v}: a whole number up to {max}"))),
        }
    };
    let filters = IncidentFilters::parse(&q, &live.taxonomy)?;
    let query = IncidentQuery {
        categories: filters.categories,
        sources: filters.sources,
        statuses: filters.statuses,
        community: q.get("community").cloned(),
        component: q.get("component").cloned(),
        grid: match who.role {
            wangge_core::access::Role::GridWorker => Some(who.scope.clone()),
            _ => q.get("grid").cloned(),
        },
        within: match who.role {
            wangge_core::access::Role::StreetOffice | wangge_core::access::Role::Planner => {
                Some(who.communities.clone())
            }
            _ => None,
        },
        from: time(&q, "from", false)?,
        to: time(&q, "to", true)?,
        limit: num("limit", 100, MAX_PAGE)?,
        offset: num("offset", 0, usize::MAX)?,
    };
    let geojson = q.get("f").is_some_and(|f| f == "geojson");
    let (limit, offset) = (query.limit, query.offset);
    let (total, page) =
        tokio::task::spawn_blocking(move || live.read(|st| st.query_incidents(&query)))
            .await
            .map_err(|e| AppError::Internal(e.to_string()))??;
    let next = (offset + page.len() < total as usize).then_some(offset + page.len());
    if geojson {
        let features: Vec<Value> = page
            .iter()
            .map(|(_, i)| {
                let mut props = incident_json(i);
                let id = props["id"].clone();
                json!({
                    "type": "Feature",
                    "id": id,
                    "geometry": {"type": "Point", "coordinates": [i.location.x(), i.location.y()]},
                    "properties": props.as_object_mut().map(std::mem::take),
                })
            })
            .collect();
        let body = json!({
            "type": "FeatureCollection",
            "numberMatched": total,
            "numberReturned": features.len(),
            "next_offset": next,
            "features": features,
        });
        return Ok((
            [(header::CONTENT_TYPE, "application/geo+json")],
            body.to_string(),
        )
            .into_response());
    }
    Ok(Json(IncidentPage {
        total,
        limit,
        offset,
        next_offset: next,
        incidents: page.iter().map(|(_, i)| IncidentAnswer::from(i)).collect(),
    })
    .into_response())
}

/// One incident (not found outside the token's scope: ids cannot be probed).
#[utoipa::path(get, path = "/api/incidents/{id}", tag = "incidents",
    params(("id" = String, Path, description = "the incident's id")),
    responses(
        (status = 200, description = "the incident", body = IncidentAnswer),
        (status = 404, description = "no such incident in the token's scope"),
    ))]
pub async fn one(
    State(s): State<AppState>,
    Extension(who): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<Json<IncidentAnswer>, AppError> {
    let live = live(&s)?;
    let key = id.clone();
    let found = tokio::task::spawn_blocking(move || live.read(|st| st.incident(&key)))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))??;
    // Outside the token's scope an incident is not found (ids cannot be probed).
    found
        .filter(|(_, i)| {
            who.has_community(i.community.as_deref()) && who.has_grid(i.grid.as_deref())
        })
        .map(|(_, i)| Json(IncidentAnswer::from(&i)))
        .ok_or_else(|| AppError::NotFound(format!("no incident {id:?}")))
}

/// PATCH `{"status": "dispatched", "at": "2026-11-24 09:30"}` (`at` defaults to now): 200
/// with the incident, 409 when the loop does not allow the move, 404 for an unknown id.
/// `{"extend_hours": 48, "reason": "..."}` extends an open incident's deadline (409 if closed).
#[utoipa::path(patch, path = "/api/incidents/{id}", tag = "incidents", request_body = StepRequest,
    params(("id" = String, Path, description = "the incident's id")),
    responses(
        (status = 200, description = "the incident after the step", body = IncidentAnswer),
        (status = 400, description = "a bad body, status or time"),
        (status = 404, description = "no such incident in the token's scope"),
        (status = 409, description = "the closed loop does not allow this step"),
    ))]
pub async fn patch(
    State(s): State<AppState>,
    Extension(who): Extension<Principal>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<IncidentAnswer>, AppError> {
    let live = live(&s)?;
    // A grid worker updates incidents of its own grid, a street office those of its street;
    // others are not found.
    let key = id.clone();
    let l = live.clone();
    let found = tokio::task::spawn_blocking(move || l.read(|st| st.incident(&key)))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))??;
    let Some((_, current)) = found.filter(|(_, i)| {
        who.has_grid(i.grid.as_deref()) && who.has_community(i.community.as_deref())
    }) else {
        return Err(AppError::NotFound(format!("no incident {id:?}")));
    };
    if who.id.is_some() {
        let text = String::from_utf8_lossy(&body)
            .chars()
            .take(200)
            .collect::<String>();
        live.audit_async(&who, "incident.update", format!("{id}: {text}"))
            .await;
    }
    let bad = |m: String| AppError::BadRequest(m);
    let v: StepRequest = serde_json::from_slice(&body).map_err(|e| bad(format!("body: {e}")))?;
    let at = match v.at.as_deref() {
        Some(t) => Timestamp::parse(t, 8 * 3600).map_err(|e| bad(format!("at: {e}")))?,
        None => Timestamp::now(),
    };
    // An assignment (派遣) or a supervision (督办): the dispatcher's, alone in a request.
    if v.assign.is_some() || v.supervise.is_some() {
        return dispatcher(live, &s, &who, (id, current), v, at).await;
    }
    if v.extend_hours.is_some() && v.evaluation.is_some() {
        return Err(bad(
            "an extension and an evaluation are separate requests".into()
        ));
    }
    // A deadline extension: {"extend_hours": 48, "reason": "..."}.
    if let Some(hours) = v.extend_hours {
        let reason = v.reason.unwrap_or_default();
        let key = id.clone();
        let l = live.clone();
        tokio::task::spawn_blocking(move || l.extend(&key, hours, at, &reason))
            .await
            .map_err(|e| AppError::Internal(e.to_string()))??;
        return stored(live, id).await;
    }
    let evaluation = v
        .evaluation
        .as_deref()
        .map(|e| {
            wangge_core::kpi::Evaluation::parse(e).ok_or_else(|| {
                bad(format!(
                    "evaluation {e:?}: satisfied (满意), basically_satisfied (基本满意) or dissatisfied (不满意)"
                ))
            })
        })
        .transpose()?;
    let note = v.note.clone().unwrap_or_default();
    // An evaluation alone, of a case already closed.
    if let (Some(e), None) = (evaluation, v.status.as_deref()) {
        let (key, l) = (id.clone(), live.clone());
        tokio::task::spawn_blocking(move || l.evaluate(&key, e, &note, at))
            .await
            .map_err(|e| AppError::Internal(e.to_string()))??;
        return stored(live, id).await;
    }
    let status = v
        .status
        .as_deref()
        .ok_or_else(|| bad("give the new status: {\"status\": \"dispatched\"}".into()))?;
    let to = IncidentStatus::parse(status).map_err(|e| bad(e.to_string()))?;
    if to == IncidentStatus::Reported {
        return Err(reported_again(&id, &current));
    }
    if evaluation.is_some() && to != IncidentStatus::Closed {
        return Err(bad(
            "an evaluation comes with closing (status closed) or alone on a closed case".into(),
        ));
    }
    let l = live.clone();
    let key = id.clone();
    let after = tokio::task::spawn_blocking(move || l.transition(&key, to, at))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))??;
    if let Some(e) = evaluation {
        tokio::task::spawn_blocking(move || live.evaluate(&id, e, &note, at))
            .await
            .map_err(|e| AppError::Internal(e.to_string()))??;
    }
    Ok(Json(IncidentAnswer::from(&after)))
}

/// A step back to `reported`: refused as the loop refuses any step it does not allow.
fn reported_again(id: &str, current: &wangge_core::Incident) -> AppError {
    AppError::ConflictWith {
        title: "refused by the closed loop",
        detail: format!("incident {id:?}: an incident cannot be reported again"),
        code: "incident.transition".into(),
        params: vec![
            ("incident", id.to_string()),
            ("status", current.status.as_str().to_string()),
            ("to", "reported".to_string()),
        ],
    }
}

/// An assignment or a supervision of `incident` by a street office (its street's
/// departments and the district's) or the admin; 403 for other roles.
async fn dispatcher(
    live: Arc<Live>,
    s: &AppState,
    who: &Principal,
    (id, incident): (String, wangge_core::Incident),
    v: StepRequest,
    at: Timestamp,
) -> Result<Json<IncidentAnswer>, AppError> {
    use wangge_core::access::Role;
    if !matches!(who.role, Role::StreetOffice | Role::Admin) {
        return Err(AppError::Forbidden(
            "cases are assigned and supervised by the street office".into(),
        ));
    }
    if v.status.is_some() || v.extend_hours.is_some() || v.evaluation.is_some() {
        return Err(AppError::BadRequest(
            "an assignment or a supervision is a request of its own (no status, extension or evaluation)".into(),
        ));
    }
    if let Some(a) = v.assign {
        let a = wangge_core::Assignment {
            department: a.department,
            worker: a.worker,
            hours: a.hours,
        };
        let street = (who.role == Role::StreetOffice).then(|| who.scope.clone());
        let limits = s.limits.clone();
        let by = who.name.clone();
        let l = live.clone();
        let after = tokio::task::spawn_blocking(move || {
            let refused = l.read(|st| {
                wangge_app::desk::assignment_refused(st, &limits, &incident, &a, street.as_deref())
            })?;
            if let Some(r) = refused {
                let mut params = vec![("incident", id.clone())];
                params.extend(r.params());
                return Err(AppError::ConflictWith {
                    title: "assignment refused",
                    detail: format!("incident {id:?}: {r}"),
                    code: r.code().to_string(),
                    params,
                });
            }
            l.assign(&id, &a, &by, at)
        })
        .await
        .map_err(|e| AppError::Internal(e.to_string()))??;
        return Ok(Json(IncidentAnswer::from(&after)));
    }
    let reason = v.supervise.unwrap_or_default();
    if reason.chars().count() > 500 {
        return Err(AppError::BadRequest(
            "supervise: a reason of at most 500 characters".into(),
        ));
    }
    if reason.trim().is_empty() {
        return Err(AppError::BadRequest(
            "supervise: give the reason (督办事由)".into(),
        ));
    }
    let flag = wangge_core::Supervision {
        by: who.name.clone(),
        reason,
    };
    let l = live.clone();
    let key = id.clone();
    tokio::task::spawn_blocking(move || l.supervise(&key, &flag, at))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))??;
    stored(live, id).await
}

/// The incident as stored now (the answer to a change that returns no incident itself).
async fn stored(live: Arc<Live>, id: String) -> Result<Json<IncidentAnswer>, AppError> {
    let found = tokio::task::spawn_blocking(move || live.read(|st| st.incident(&id)))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))??;
    found
        .map(|(_, i)| Json(IncidentAnswer::from(&i)))
        .ok_or_else(|| AppError::NotFound("no such incident".into()))
}

/// Server-Sent Events: `incident` for each stored incident, `status` for each transition;
/// `lagged` when a slow client missed some.
pub async fn stream(
    State(s): State<AppState>,
    Extension(who): Extension<Principal>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, AppError> {
    let rx = live(&s)?.subscribe();
    // Only an admin sees positions. Others get time, category, status and the community
    // (a grid worker: its own grid too), and only events in their scope; the case's id goes
    // to those who work the cases: the street office (its street: the case desk) and the grid
    // worker (its grid).
    let full = who.role == wangge_core::access::Role::Admin;
    let worker = who.role == wangge_core::access::Role::GridWorker;
    let desk = worker || who.role == wangge_core::access::Role::StreetOffice;
    let events = futures_util::stream::unfold(rx, move |mut rx| {
        let who = who.clone();
        async move {
            use tokio::sync::broadcast::error::RecvError;
            let event = loop {
                match rx.recv().await {
                    Ok(a) if full => break Event::default().event(a.0).data(&a.1),
                    Ok(a) => {
                        let v: Value = serde_json::from_str(&a.1).unwrap_or(Value::Null);
                        let (community, grid) = (v["community"].as_str(), v["grid"].as_str());
                        if !who.has_community(community) || !who.has_grid(grid) {
                            continue;
                        }
                        let mut keep = json!({ "time": v["time"], "category": v["category"],
                                               "status": v["status"], "community": community });
                        if worker {
                            keep["grid"] = json!(grid);
                        }
                        if desk {
                            keep["id"] = v["id"].clone();
                        }
                        break Event::default().event(a.0).data(keep.to_string());
                    }
                    Err(RecvError::Lagged(n)) => {
                        break Event::default().event("lagged").data(n.to_string());
                    }
                    Err(RecvError::Closed) => return None,
                }
            };
            Some((Ok(event), rx))
        }
    });
    Ok(Sse::new(events).keep_alive(KeepAlive::default()))
}

//! Photos of cases: a grid worker's picture sent with a report (its own grid), or the street
//! office's (its street). The type is told by the bytes (JPEG or PNG: 415 otherwise), at most
//! 8 MiB (413), the location metadata removed unless `keep_location=1`, the same photo twice
//! stored once; reads in the same scope as the incident.

use crate::contract::photos::{PhotoAnswer, PhotoQuery, PhotosAnswer};
use crate::live::Live;
use crate::{AppError, AppState, Principal};
use axum::Extension;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::sync::Arc;
use wangge_core::Timestamp;
use wangge_io::photo::{MAX_PHOTO_BYTES, sniff, strip_location};
use wangge_io::store::{PhotoMeta, photo_sha256};

fn live(s: &AppState) -> Result<Arc<Live>, AppError> {
    s.live
        .clone()
        .ok_or_else(|| AppError::NotFound("photos live in a workspace, not an archive".into()))
}

/// The incident if it is in the caller's scope (404 otherwise: ids cannot be probed).
async fn in_scope(live: &Arc<Live>, who: &Principal, id: &str) -> Result<(), AppError> {
    let (l, key) = (live.clone(), id.to_string());
    let found = tokio::task::spawn_blocking(move || l.read(|st| st.incident(&key)))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))??;
    match found {
        Some((_, i))
            if who.has_community(i.community.as_deref()) && who.has_grid(i.grid.as_deref()) =>
        {
            Ok(())
        }
        _ => Err(AppError::NotFound(format!("no incident {id:?}"))),
    }
}

fn answer(p: &PhotoMeta) -> PhotoAnswer {
    PhotoAnswer {
        n: p.n,
        content_type: p.content_type.clone(),
        bytes: p.bytes,
        sha256: p.sha256.clone(),
        at: p.at.to_string(),
        stripped: None,
        existing: None,
    }
}

/// Stores a photo of an incident.
#[utoipa::path(post, path = "/api/incidents/{id}/photos", tag = "incidents", params(
        ("id" = String, Path, description = "the incident's id"), PhotoQuery),
    request_body(description = "the photo (JPEG or PNG, at most 8 MiB)",
        content(("image/jpeg"), ("image/png"))),
    responses(
        (status = 201, description = "stored (or already stored: `existing`)", body = PhotoAnswer),
        (status = 404, description = "no such incident in the token's scope"),
        (status = 413, description = "over 8 MiB"),
        (status = 415, description = "not a JPEG or PNG, or a malformed one"),
    ))]
pub async fn post(
    State(s): State<AppState>,
    Extension(who): Extension<Principal>,
    Path(id): Path<String>,
    Query(q): Query<PhotoQuery>,
    body: Bytes,
) -> Result<(StatusCode, Json<PhotoAnswer>), AppError> {
    let live = live(&s)?;
    in_scope(&live, &who, &id).await?;
    if body.len() > MAX_PHOTO_BYTES {
        return Err(AppError::TooLarge(format!(
            "a photo of {} bytes: at most {MAX_PHOTO_BYTES}",
            body.len()
        )));
    }
    let Some(kind) = sniff(&body) else {
        return Err(AppError::Unsupported(
            "a photo is a JPEG or a PNG (told by its bytes, not its name)".into(),
        ));
    };
    let keep = matches!(q.keep_location.as_deref(), Some("1" | "true" | "yes"));
    let (bytes, stripped) = if keep {
        // Checked all the same: a malformed file is refused.
        strip_location(&body).map_err(AppError::Unsupported)?;
        (body.to_vec(), false)
    } else {
        strip_location(&body).map_err(AppError::Unsupported)?
    };
    let (l, key, at) = (live.clone(), id.clone(), Timestamp::now());
    let sha = photo_sha256(&bytes);
    let size = bytes.len() as u64;
    let (n, existing) =
        tokio::task::spawn_blocking(move || l.add_photo(&key, kind.mime(), &bytes, at))
            .await
            .map_err(|e| AppError::Internal(e.to_string()))??;
    live.audit_async(
        &who,
        "incident.photo",
        format!(
            "{id}: photo {n}, {size} bytes, location {}",
            if keep { "kept" } else { "removed" }
        ),
    )
    .await;
    Ok((
        if existing {
            StatusCode::OK
        } else {
            StatusCode::CREATED
        },
        Json(PhotoAnswer {
            n,
            content_type: kind.mime().to_string(),
            bytes: size,
            sha256: sha,
            at: at.to_string(),
            stripped: Some(stripped),
            existing: Some(existing),
        }),
    ))
}

/// The photos of an incident.
#[utoipa::path(get, path = "/api/incidents/{id}/photos", tag = "incidents",
    params(("id" = String, Path, description = "the incident's id")),
    responses(
        (status = 200, description = "the photos, by number", body = PhotosAnswer),
        (status = 404, description = "no such incident in the token's scope"),
    ))]
pub async fn list(
    State(s): State<AppState>,
    Extension(who): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<Json<PhotosAnswer>, AppError> {
    let live = live(&s)?;
    in_scope(&live, &who, &id).await?;
    let key = id.clone();
    let photos = tokio::task::spawn_blocking(move || live.read(|st| st.photos(Some(&key))))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))??;
    Ok(Json(PhotosAnswer {
        id,
        photos: photos.iter().map(answer).collect(),
    }))
}

/// One photo.
#[utoipa::path(get, path = "/api/incidents/{id}/photos/{n}", tag = "incidents",
    params(("id" = String, Path, description = "the incident's id"),
        ("n" = u32, Path, description = "the photo's number")),
    responses(
        (status = 200, description = "the image", content_type = "image/jpeg"),
        (status = 404, description = "no such incident in the token's scope or no such photo"),
    ))]
pub async fn one(
    State(s): State<AppState>,
    Extension(who): Extension<Principal>,
    Path((id, n)): Path<(String, u32)>,
) -> Result<Response, AppError> {
    let live = live(&s)?;
    in_scope(&live, &who, &id).await?;
    let key = id.clone();
    let found = tokio::task::spawn_blocking(move || live.read(|st| st.photo(&key, n)))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))??;
    let (kind, bytes) =
        found.ok_or_else(|| AppError::NotFound(format!("no photo {n} of incident {id:?}")))?;
    Ok((
        [
            (header::CONTENT_TYPE, kind),
            (header::CACHE_CONTROL, "private, max-age=86400".to_string()),
        ],
        bytes,
    )
        .into_response())
}

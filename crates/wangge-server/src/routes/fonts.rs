//! Glyph ranges for MapLibre labels: `/fonts/{fontstack}/{range}.pbf` from the viewer's
//! `fonts/` directory (SDF ranges built at setup from Debian's DejaVu Sans with fontnik).
//! Only Latin-script ranges are ever asked for: the viewer draws CJK with the browser's own
//! fonts (`localIdeographFontFamily`).

use crate::{AppError, AppState};
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::Response;

/// The font stack the style's labels use.
pub const FONT: &str = "DejaVu Sans Book";

/// Whether the viewer directory holds the glyph ranges of [`FONT`].
pub fn available(s: &AppState) -> bool {
    s.viewer
        .as_ref()
        .is_some_and(|v| v.join("fonts").join(FONT).join("0-255.pbf").is_file())
}

pub async fn glyphs(
    State(s): State<AppState>,
    Path((fontstack, range)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let Some(v) = s.viewer.clone() else {
        return Err(AppError::NotFound(
            "no glyphs (wangge serve --viewer DIR)".into(),
        ));
    };
    // The first font of a stack that we have; ranges look like 0-255.pbf.
    let font = fontstack
        .split(',')
        .map(str::trim)
        .find(|f| *f == FONT)
        .ok_or_else(|| {
            AppError::NotFound(format!("font stack {fontstack:?}: only {FONT:?} is served"))
        })?;
    let ok = range
        .strip_suffix(".pbf")
        .and_then(|r| r.split_once('-'))
        .is_some_and(|(a, b)| a.parse::<u32>().is_ok() && b.parse::<u32>().is_ok());
    if !ok {
        return Err(AppError::BadRequest(format!(
            "{range}: ranges look like 0-255.pbf"
        )));
    }
    let bytes = tokio::fs::read(v.join("fonts").join(font).join(&range))
        .await
        .map_err(|_| AppError::NotFound(format!("{font}/{range}: no such glyph range")))?;
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "application/x-protobuf")
        .header(header::CACHE_CONTROL, "public, max-age=86400")
        .body(Body::from(bytes))
        .map_err(|e| AppError::Internal(e.to_string()))
}

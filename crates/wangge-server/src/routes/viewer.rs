//! Static files of the web viewer (`web-viewer/`: the page and its npm-installed scripts such
//! as maplibre-gl), so the map needs nothing from outside the intranet.

use crate::{AppError, AppState};
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::Response;

/// The pages' Content-Security-Policy: scripts from this server only (no inline script, no
/// eval), MapLibre's worker from a blob, images and tiles from here; nothing from outside.
pub const CSP: &str = "default-src 'self'; script-src 'self'; worker-src 'self' blob:; child-src 'self' blob:; \
     style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; font-src 'self'; \
     object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

pub async fn index(state: State<AppState>) -> Result<Response, AppError> {
    file(state, Path("index.html".to_string())).await
}

/// The wall screen (`web-viewer/wall.html`).
pub async fn wall(state: State<AppState>) -> Result<Response, AppError> {
    file(state, Path("wall.html".to_string())).await
}

/// The case desk (`web-viewer/desk.html`).
pub async fn desk(state: State<AppState>) -> Result<Response, AppError> {
    file(state, Path("desk.html".to_string())).await
}

/// What the service worker's cache version is made from: `__SHELL__` in `worker-sw.js`.
const SHELL_MARK: &str = "__SHELL__";

/// `worker-sw.js` with `__SHELL__` replaced by a digest of the shell it precaches (every
/// `"/viewer/…"` file it names, and itself): a changed page, script or style gives a new
/// cache version, so phones drop the old shell at their next visit, with no version to
/// bump by hand. A file that cannot be read counts as empty.
async fn service_worker(root: &std::path::Path, script: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(script).into_owned();
    let mut all = script.to_vec();
    for (at, _) in text.match_indices("\"/viewer/") {
        let name = text[at + 1..].split('"').next().unwrap_or("");
        if let Some(rel) = name.strip_prefix("/viewer/")
            && !rel
                .split('/')
                .any(|c| c.is_empty() || c == ".." || c.starts_with('.'))
        {
            all.extend_from_slice(name.as_bytes());
            all.extend(tokio::fs::read(root.join(rel)).await.unwrap_or_default());
        }
    }
    let digest = wangge_core::kpi::sha256_hex(&all);
    text.replace(SHELL_MARK, &digest[..12]).into_bytes()
}

pub async fn file(
    State(s): State<AppState>,
    Path(rel): Path<String>,
) -> Result<Response, AppError> {
    let Some(root) = s.viewer.clone() else {
        return Err(AppError::NotFound(
            "no viewer directory (wangge serve --viewer DIR)".into(),
        ));
    };
    // Plain relative paths only: no parent steps, no absolute or hidden components.
    if rel
        .split('/')
        .any(|c| c.is_empty() || c == ".." || c.starts_with('.') || c.contains('\\'))
    {
        return Err(AppError::NotFound(format!("{rel}: no such file")));
    }
    let path = root.join(&rel);
    let mut bytes = tokio::fs::read(&path)
        .await
        .map_err(|_| AppError::NotFound(format!("{rel}: no such file")))?;
    if rel == "worker-sw.js" {
        bytes = service_worker(&root, &bytes).await;
    }
    let kind = match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" => "application/json",
        "png" => "image/png",
        "svg" => "image/svg+xml",
        "pbf" => "application/x-protobuf",
        "map" => "application/json",
        _ => "application/octet-stream",
    };
    let mut r = Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, kind)
        .header(header::CACHE_CONTROL, "no-cache")
        .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    if kind.starts_with("text/html") {
        r = r
            .header(header::CONTENT_SECURITY_POLICY, CSP)
            .header(header::X_FRAME_OPTIONS, "DENY");
    }
    r.body(Body::from(bytes))
        .map_err(|e| AppError::Internal(e.to_string()))
}

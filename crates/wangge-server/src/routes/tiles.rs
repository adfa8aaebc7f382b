//! Tiles: `/tiles/{layers}/{z}/{x}/{y}.mvt` and the OGC API Tiles path
//! `/collections/{layers}/tiles/WebMercatorQuad/{z}/{row}/{col}`.

use super::parse_layers;
use crate::cache::Encoded;
use crate::{AppError, AppState};
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use std::hash::{Hash, Hasher};
use std::io::Write;
use std::sync::Arc;
use wangge_tiles::mvt::TileCoord;

pub async fn xyz(
    State(s): State<AppState>,
    Path((layers, z, x, y)): Path<(String, u32, u64, String)>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let y = y
        .strip_suffix(".mvt")
        .or_else(|| y.strip_suffix(".pbf"))
        .unwrap_or(&y)
        .parse::<u64>()
        .map_err(|_| AppError::BadRequest(format!("tile row {y:?} is not a number")))?;
    tile(s, &layers, z, x, y, &headers).await
}

pub async fn ogc(
    State(s): State<AppState>,
    Path((layers, z, row, col)): Path<(String, u32, u64, u64)>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    tile(s, &layers, z, col, row, &headers).await
}

async fn tile(
    s: AppState,
    layers: &str,
    z: u32,
    x: u64,
    y: u64,
    headers: &HeaderMap,
) -> Result<Response, AppError> {
    let coord = TileCoord::new(z, x, y).map_err(|e| AppError::BadRequest(e.to_string()))?;
    let names = parse_layers(layers)?;
    let cached = if s.caching {
        s.cache.get(layers, coord)
    } else {
        None
    };
    let enc = match cached {
        Some(e) => e,
        None => {
            let source = s.source();
            let e = tokio::task::spawn_blocking(move || encode(&source, coord, &names))
                .await
                .map_err(|e| AppError::Internal(e.to_string()))??;
            let e = Arc::new(e);
            if s.caching {
                s.cache.put(layers, coord, e.clone());
            }
            e
        }
    };
    let etag = HeaderValue::from_str(&enc.etag).map_err(|e| AppError::Internal(e.to_string()))?;
    let mut r = Response::builder()
        .header(header::ETAG, etag)
        .header(header::CACHE_CONTROL, "public, max-age=60, must-revalidate")
        .header(header::VARY, "Accept-Encoding")
        .header(header::ACCESS_CONTROL_ALLOW_ORIGIN, "*");
    if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == enc.etag))
    {
        return r
            .status(StatusCode::NOT_MODIFIED)
            .body(Body::empty())
            .map_err(|e| AppError::Internal(e.to_string()));
    }
    if enc.gzip.is_empty() {
        return r
            .status(StatusCode::NO_CONTENT)
            .body(Body::empty())
            .map_err(|e| AppError::Internal(e.to_string()));
    }
    let gzip_ok = headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim().starts_with("gzip")));
    r = r.header(header::CONTENT_TYPE, "application/vnd.mapbox-vector-tile");
    let body = if gzip_ok {
        r = r.header(header::CONTENT_ENCODING, "gzip");
        enc.gzip.clone()
    } else {
        gunzip(&enc.gzip)?
    };
    r.body(Body::from(body))
        .map_err(|e| AppError::Internal(e.to_string()))
}

fn encode(
    source: &wangge_tiles::TileSource,
    coord: TileCoord,
    names: &[&str],
) -> Result<Encoded, AppError> {
    let raw = source.tile(coord, names);
    let mut h = std::hash::DefaultHasher::new();
    raw.hash(&mut h);
    let etag = format!("\"p{}-{:016x}\"", source.plan(), h.finish());
    if raw.is_empty() {
        return Ok(Encoded {
            gzip: Vec::new(),
            etag,
        });
    }
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&raw)
        .and_then(|_| gz.finish())
        .map(|gzip| Encoded { gzip, etag })
        .map_err(|e| AppError::Internal(e.to_string()))
}

fn gunzip(b: &[u8]) -> Result<Vec<u8>, AppError> {
    use std::io::Read;
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(b)
        .read_to_end(&mut out)
        .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(out)
}

//! Tiles: `/tiles/{layers}/{z}/{x}/{y}.mvt` and the OGC API Tiles path
//! `/collections/{layers}/tiles/WebMercatorQuad/{z}/{row}/{col}`.

use super::parse_layers;
use crate::cache::Encoded;
use crate::{AppError, AppState, Principal};
use axum::Extension;
use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use std::io::Write;
use std::sync::Arc;
use wangge_tiles::mvt::TileCoord;

/// A tile by `/tiles/{layers}/{z}/{x}/{y}`. With `?v=` (the data version the client has,
/// `/api/status`'s `data_version`) the answer may be kept a day: the client asks with the new
/// version when the data change (a map library reloads expired tiles, which on a wall screen
/// means redrawing 4K every minute). Without: a minute, then revalidated by ETag.
pub async fn xyz(
    State(s): State<AppState>,
    Extension(who): Extension<Principal>,
    Path((layers, z, x, y)): Path<(String, u32, u64, String)>,
    uri: axum::http::Uri,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let y = y
        .strip_suffix(".mvt")
        .or_else(|| y.strip_suffix(".pbf"))
        .unwrap_or(&y)
        .parse::<u64>()
        .map_err(|_| AppError::BadRequest(format!("tile row {y:?} is not a number")))?;
    let mut r = tile(s, &who, &layers, z, x, y, &headers).await?;
    if uri
        .query()
        .is_some_and(|q| q.split('&').any(|p| p.starts_with("v=")))
    {
        r.headers_mut().insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("private, max-age=86400"),
        );
    }
    Ok(r)
}

pub async fn ogc(
    State(s): State<AppState>,
    Extension(who): Extension<Principal>,
    Path((layers, z, row, col)): Path<(String, u32, u64, u64)>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    tile(s, &who, &layers, z, col, row, &headers).await
}

/// Layers anyone may read: the basemap, no household figure.
const BASEMAP: [&str; 3] = ["land_cover", "streets", "buildings"];

async fn tile(
    s: AppState,
    who: &Principal,
    layers: &str,
    z: u32,
    x: u64,
    y: u64,
    headers: &HeaderMap,
) -> Result<Response, AppError> {
    let coord = TileCoord::new(z, x, y).map_err(|e| AppError::BadRequest(e.to_string()))?;
    if let Some(a) = s.archive() {
        if layers != "all" {
            return Err(AppError::NotFound(format!(
                "an archive serves its layers together: /tiles/all/{coord}.mvt"
            )));
        }
        let Some((start, end)) = a.index.range(coord.z(), coord.x(), coord.y()) else {
            return respond(headers, &format!("\"{}-empty\"", a.tag), Bytes::new(), true);
        };
        let etag = format!("\"{}-{start:x}\"", a.tag);
        let gzipped = a.index.info.tile_compression == 2;
        return respond(headers, &etag, a.bytes.slice(start..end), gzipped);
    }
    let mut names = parse_layers(layers)?;
    let basemap = who.role == wangge_core::access::Role::Public;
    // Without a role that may see aggregates, a tile holds the basemap only.
    let narrowed;
    let layers = if who.role == wangge_core::access::Role::Public {
        names.retain(|n| BASEMAP.contains(n));
        if names.is_empty() {
            return Err(AppError::Unauthorized(format!(
                "layers {layers}: this needs an access token; the basemap ({}) is open",
                BASEMAP.join(", ")
            )));
        }
        // Its own cache and ETag key: these tiles leave the plan's properties out.
        narrowed = format!("{}#basemap", names.join(","));
        narrowed.as_str()
    } else {
        layers
    };
    let cached = if s.caching {
        s.cache.get(layers, coord)
    } else {
        None
    };
    let enc = match cached {
        Some(e) => e,
        None => {
            let source = s
                .source()
                .ok_or_else(|| AppError::Internal("no tile source".into()))?;
            let version = source.version().to_string();
            let run = move || async move {
                tokio::task::spawn_blocking(move || encode(&source, coord, &names, basemap))
                    .await
                    .map_err(|e| AppError::Internal(e.to_string()))?
                    .map(Arc::new)
            };
            if s.caching {
                // Concurrent requests for this tile of this data version share one encoding.
                let key = format!("{version}/{layers}/{coord}");
                let e = s.encoding.get(key, run).await?;
                s.cache.put(layers, coord, e.clone());
                e
            } else {
                run().await?
            }
        }
    };
    respond(headers, &enc.etag, enc.gzip.clone(), true)
}

/// The response for a tile's stored bytes (gzip or plain): 304 when the client has this
/// ETag, 204 when the tile is empty, else the tile, gzipped when the client accepts it.
pub(super) fn respond(
    headers: &HeaderMap,
    etag: &str,
    body: Bytes,
    gzipped: bool,
) -> Result<Response, AppError> {
    let tag = HeaderValue::from_str(etag).map_err(|e| AppError::Internal(e.to_string()))?;
    let mut r = Response::builder()
        .header(header::ETAG, tag)
        .header(header::CACHE_CONTROL, "public, max-age=60, must-revalidate")
        .header(header::VARY, "Accept-Encoding")
        .header(header::ACCESS_CONTROL_ALLOW_ORIGIN, "*");
    let internal = |e: axum::http::Error| AppError::Internal(e.to_string());
    if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag))
    {
        return r
            .status(StatusCode::NOT_MODIFIED)
            .body(Body::empty())
            .map_err(internal);
    }
    if body.is_empty() {
        return r
            .status(StatusCode::NO_CONTENT)
            .body(Body::empty())
            .map_err(internal);
    }
    r = r.header(header::CONTENT_TYPE, "application/vnd.mapbox-vector-tile");
    let gzip_ok = headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim().starts_with("gzip")));
    let body = if gzipped && gzip_ok {
        r = r.header(header::CONTENT_ENCODING, "gzip");
        body
    } else if gzipped {
        Bytes::from(gunzip(&body)?)
    } else {
        body
    };
    r.body(Body::from(body)).map_err(internal)
}

/// A tile gzipped with its ETag; `basemap`: without the plan's properties (for the public).
fn encode(
    source: &wangge_tiles::TileSource,
    coord: TileCoord,
    names: &[&str],
    basemap: bool,
) -> Result<Encoded, AppError> {
    let strip: &[&str] = if basemap {
        &wangge_tiles::PLAN_PROPS
    } else {
        &[]
    };
    let raw = source.tile_without(coord, names, strip);
    // A tile is a function of the data version, the layers and its address: no need to hash
    // its bytes (a tenth of a live tile's time).
    let etag = format!(
        "\"{}-{}{}-{}-{}-{}\"",
        source.version(),
        names.join("+"),
        if basemap { "#basemap" } else { "" },
        coord.z(),
        coord.x(),
        coord.y()
    );
    if raw.is_empty() {
        return Ok(Encoded {
            gzip: Bytes::new(),
            etag,
        });
    }
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&raw)
        .and_then(|_| gz.finish())
        .map(|gzip| Encoded {
            gzip: Bytes::from(gzip),
            etag,
        })
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

//! The routes, one file per resource.

mod api;
mod buildings;
mod components;
mod counts;
mod desk;
mod fonts;
mod heat;
mod incidents;
mod kpi;
mod ogc;
mod photos;
mod plans;
mod query;
mod reach;
mod residents;
mod status;
mod style;
mod tilejson;
mod tiles;
mod viewer;
mod wall;

use crate::AppState;
use axum::Router;
use axum::routing::{get, post};

/// Every route of the server.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(api::landing))
        .route("/api", get(api::openapi))
        .route("/style.json", get(style::style))
        .route("/fonts/{fontstack}/{range}", get(fonts::glyphs))
        .route("/viewer/", get(viewer::index))
        .route("/viewer/{*path}", get(viewer::file))
        .route("/tiles/{layers_json}", get(tilejson::tilejson))
        .route("/tiles/hex/{z}/{x}/{y}", get(counts::hex))
        .route(
            "/tiles/incident_grids/{z}/{x}/{y}",
            get(counts::areas_grids),
        )
        .route(
            "/tiles/incident_communities/{z}/{x}/{y}",
            get(counts::areas_communities),
        )
        .route("/tiles/{layers}/{z}/{x}/{y}", get(tiles::xyz))
        .route(
            "/api/incidents",
            get(incidents::list)
                .post(incidents::post)
                .layer(axum::extract::DefaultBodyLimit::max(64 << 20)),
        )
        .route("/api/incidents/stream", get(incidents::stream))
        .route("/api/incidents/summary", get(wall::summary))
        .route("/api/views", get(wall::views))
        .route("/wall", get(viewer::wall))
        .route("/desk", get(viewer::desk))
        .route(
            "/api/incidents/{id}",
            get(incidents::one).patch(incidents::patch),
        )
        .route("/api/incidents/{id}/history", get(desk::history))
        .route(
            "/api/incidents/{id}/photos",
            get(photos::list)
                .post(photos::post)
                .layer(axum::extract::DefaultBodyLimit::max(
                    wangge_io::photo::MAX_PHOTO_BYTES + 1,
                )),
        )
        .route("/api/incidents/{id}/photos/{n}", get(photos::one))
        .route("/api/desk", get(desk::queue))
        .route("/api/workers", get(desk::workers))
        .route("/api/plans", get(plans::list))
        .route("/api/plans/compare", get(plans::compare))
        .route("/api/plans/{id}/grids", get(plans::grids))
        .route("/api/plans/{id}/edits", post(plans::edit))
        .route("/api/plans/{id}/restore", post(plans::restore))
        .route("/api/plans/{id}/partition", post(plans::partition))
        .route("/api/plans/{id}/name", axum::routing::put(plans::name))
        .route("/api/plans/{id}/export/{format}", get(plans::export))
        .route("/api/residents", get(residents::list))
        .route("/api/buildings/{key}", get(buildings::building))
        .route("/api/status", get(status::status))
        .route("/api/components", get(components::counts))
        .route("/api/components/faults", get(components::faults))
        .route("/api/kpi", get(kpi::kpi))
        .route("/api/kpi/trend", get(kpi::trend))
        .route("/api/index", get(kpi::index))
        .route("/api/reach", get(reach::catalogue))
        .route("/api/reach/coverage", get(reach::coverage))
        .route("/api/reach/area", get(reach::area))
        .route("/api/reach/gaps", get(reach::gaps))
        .route("/api/reach/siting", post(reach::siting))
        .route("/api/reach/what-if", post(reach::what_if))
        .route("/heat/legend.json", get(heat::legend))
        .route("/heat/{z}/{x}/{y}", get(heat::tile))
        .route("/conformance", get(ogc::conformance))
        .route("/tileMatrixSets", get(ogc::tile_matrix_sets))
        .route(
            "/tileMatrixSets/WebMercatorQuad",
            get(ogc::web_mercator_quad),
        )
        .route("/collections", get(ogc::collections))
        .route("/collections/{layers}/tiles", get(ogc::tilesets))
        .route(
            "/collections/{layers}/tiles/WebMercatorQuad",
            get(ogc::tileset),
        )
        .route(
            "/collections/{layers}/tiles/WebMercatorQuad/{z}/{row}/{col}",
            get(tiles::ogc),
        )
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::guard::authenticate,
        ))
        .with_state(state)
}

/// `http://host` of the request, `https://` on a TLS connection or behind a proxy that says so
/// (`X-Forwarded-Proto: https`): for absolute URLs in TileJSON and the style.
fn base_url(headers: &axum::http::HeaderMap) -> String {
    let scheme = match headers
        .get("x-forwarded-proto")
        .and_then(|h| h.to_str().ok())
    {
        Some("https") => "https",
        _ => "http",
    };
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            h.chars()
                .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c))
        })
        .unwrap_or("127.0.0.1:8080");
    format!("{scheme}://{host}")
}

/// The layer ids named by a path segment: `all` or a comma-separated list.
fn parse_layers(s: &str) -> Result<Vec<&'static str>, crate::AppError> {
    let known: Vec<&'static str> = wangge_tiles::LAYERS.iter().map(|l| l.id).collect();
    if s == "all" {
        return Ok(known);
    }
    s.split(',')
        .map(|name| {
            known.iter().copied().find(|k| *k == name).ok_or_else(|| {
                crate::AppError::NotFound(format!(
                    "no layer {name:?}; layers: all, {}",
                    known.join(", ")
                ))
            })
        })
        .collect()
}

//! OGC API - Tiles documents beside the XYZ paths: conformance, the WebMercatorQuad tile
//! matrix set, the collections (one per layer, and `all`) and their tilesets. The tiles
//! themselves are served by `routes/tiles.rs` at
//! `/collections/{layers}/tiles/WebMercatorQuad/{z}/{row}/{col}`.

use super::{base_url, parse_layers};
use crate::{AppError, AppState};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use serde_json::{Value, json};

const TILES: &str = "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf";

pub async fn conformance() -> Json<Value> {
    Json(json!({
        "conformsTo": [
            "http://www.opengis.net/spec/ogcapi-common-1/1.0/conf/core",
            format!("{TILES}/core"),
            format!("{TILES}/tileset"),
            format!("{TILES}/tilesets-list"),
            format!("{TILES}/geodata-tilesets"),
            format!("{TILES}/mvt"),
        ]
    }))
}

pub async fn tile_matrix_sets(headers: HeaderMap) -> Json<Value> {
    let base = base_url(&headers);
    Json(json!({ "tileMatrixSets": [{
        "id": "WebMercatorQuad",
        "title": "Google Maps Compatible for the World",
        "links": [{ "rel": "self", "href": format!("{base}/tileMatrixSets/WebMercatorQuad") }]
    }]}))
}

/// The WebMercatorQuad definition (OGC 17-083r4), zooms 0 to 22.
pub async fn web_mercator_quad() -> Json<Value> {
    // 2π · 6378137 / 256 pixels at zoom 0; scale denominators for 0.28 mm pixels.
    let size0 = 2.0 * std::f64::consts::PI * 6_378_137.0;
    let origin = size0 / 2.0;
    let matrices: Vec<Value> = (0..=wangge_tiles::mvt::tile::MAX_ZOOM)
        .map(|z| {
            let n = 1u64 << z;
            let cell = size0 / 256.0 / n as f64;
            json!({
                "id": z.to_string(),
                "scaleDenominator": cell / 0.00028,
                "cellSize": cell,
                "cornerOfOrigin": "topLeft",
                "pointOfOrigin": [-origin, origin],
                "tileWidth": 256,
                "tileHeight": 256,
                "matrixWidth": n,
                "matrixHeight": n,
            })
        })
        .collect();
    Json(json!({
        "id": "WebMercatorQuad",
        "uri": "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad",
        "crs": "http://www.opengis.net/def/crs/EPSG/0/3857",
        "orderedAxes": ["E", "N"],
        "tileMatrices": matrices,
    }))
}

pub async fn collections(State(s): State<AppState>, headers: HeaderMap) -> Json<Value> {
    let base = base_url(&headers);
    let b = s.bounds();
    let mut ids: Vec<String> = vec!["all".to_string()];
    if let Some(src) = s.source() {
        ids.extend(src.layer_names().into_iter().map(str::to_string));
    }
    let list: Vec<Value> = ids
        .iter()
        .map(|id| {
            json!({
                "id": id,
                "title": if id == "all" { "Every layer".to_string() } else { id.clone() },
                "extent": { "spatial": { "bbox": [b], "crs": "http://www.opengis.net/def/crs/OGC/1.3/CRS84" } },
                "links": [{ "rel": "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector",
                            "href": format!("{base}/collections/{id}/tiles") }]
            })
        })
        .collect();
    Json(json!({ "collections": list }))
}

pub async fn tilesets(
    State(s): State<AppState>,
    Path(layers): Path<String>,
    headers: HeaderMap,
) -> Result<Json<Value>, AppError> {
    check(&s, &layers)?;
    let base = base_url(&headers);
    let mut t = head(&layers);
    t["links"] = json!([{ "rel": "self", "href": format!("{base}/collections/{layers}/tiles/WebMercatorQuad") }]);
    Ok(Json(json!({ "tilesets": [t] })))
}

pub async fn tileset(
    State(s): State<AppState>,
    Path(layers): Path<String>,
    headers: HeaderMap,
) -> Result<Json<Value>, AppError> {
    check(&s, &layers)?;
    let base = base_url(&headers);
    let tj = super::tilejson::document(&s, &layers, &parse_layers(&layers)?, &base);
    let mut t = head(&layers);
    let extra = json!({
        "tileMatrixSetLimits": [],
        "layers": tj["vector_layers"],
        "boundingBox": { "lowerLeft": [tj["bounds"][0], tj["bounds"][1]], "upperRight": [tj["bounds"][2], tj["bounds"][3]],
                         "crs": "http://www.opengis.net/def/crs/OGC/1.3/CRS84" },
        "links": [
            { "rel": "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme", "href": format!("{base}/tileMatrixSets/WebMercatorQuad") },
            { "rel": "item", "type": "application/vnd.mapbox-vector-tile", "templated": true,
              "href": format!("{base}/collections/{layers}/tiles/WebMercatorQuad/{{tileMatrix}}/{{tileRow}}/{{tileCol}}") }
        ]
    });
    if let (Some(t), Value::Object(extra)) = (t.as_object_mut(), extra) {
        t.extend(extra);
    }
    Ok(Json(t))
}

/// What a tileset's list entry and its own document share.
fn head(layers: &str) -> Value {
    json!({
        "title": format!("{layers} (WebMercatorQuad)"),
        "dataType": "vector",
        "crs": "http://www.opengis.net/def/crs/EPSG/0/3857",
        "tileMatrixSetURI": "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad",
    })
}

/// An archive serves `all` only; a workspace any layer set.
fn check(s: &AppState, layers: &str) -> Result<(), AppError> {
    if s.archive().is_some() && layers != "all" {
        return Err(AppError::NotFound(
            "an archive serves its layers together: collection all".into(),
        ));
    }
    parse_layers(layers).map(|_| ())
}

//! The landing document and the OpenAPI description of the server.

use axum::Json;
use serde_json::{Value, json};

pub async fn landing() -> Json<Value> {
    Json(json!({
        "title": "Wangge tile server",
        "links": [
            { "rel": "service-desc", "href": "/api", "type": "application/vnd.oai.openapi+json;version=3.0" },
            { "rel": "style", "href": "/style.json" },
            { "rel": "tilejson", "href": "/tiles/all.json" },
            { "rel": "conformance", "href": "/conformance" },
            { "rel": "data", "href": "/collections" },
            { "rel": "http://www.opengis.net/def/rel/ogc/1.0/tiling-schemes", "href": "/tileMatrixSets" }
        ]
    }))
}

pub async fn openapi() -> Json<Value> {
    let layers = json!({ "name": "layers", "in": "path", "required": true,
        "description": "all, or comma-separated layer ids",
        "schema": { "type": "string" } });
    let int = |name: &str, d: &str| json!({ "name": name, "in": "path", "required": true, "description": d, "schema": { "type": "integer", "minimum": 0 } });
    let tile_responses = json!({
        "200": { "description": "a Mapbox Vector Tile (gzip when accepted)",
                 "content": { "application/vnd.mapbox-vector-tile": {} } },
        "204": { "description": "no data in this tile" },
        "304": { "description": "not modified (If-None-Match)" },
        "400": { "description": "the tile address does not exist" },
        "404": { "description": "unknown layer" }
    });
    Json(json!({
        "openapi": "3.0.3",
        "info": { "title": "Wangge tile server", "version": env!("CARGO_PKG_VERSION") },
        "paths": {
            "/tiles/{layers}/{z}/{x}/{y}.mvt": { "get": {
                "summary": "A vector tile (XYZ)",
                "parameters": [layers, int("z", "zoom"), int("x", "column"), json!({ "name": "y", "in": "path", "required": true, "description": "row, then .mvt", "schema": { "type": "string" } })],
                "responses": tile_responses } },
            "/collections/{layers}/tiles/WebMercatorQuad/{z}/{row}/{col}": { "get": {
                "summary": "A vector tile (OGC API Tiles path)",
                "parameters": [layers, int("z", "tile matrix"), int("row", "tile row"), int("col", "tile column")],
                "responses": tile_responses } },
            "/tiles/{layers_json}": { "get": {
                "summary": "TileJSON 3.0 of a layer set ({layers}.json)",
                "parameters": [{ "name": "layers_json", "in": "path", "required": true, "schema": { "type": "string" } }],
                "responses": { "200": { "description": "TileJSON", "content": { "application/json": {} } },
                               "404": { "description": "unknown layer" } } } },
            "/conformance": { "get": { "summary": "OGC API conformance classes", "responses": { "200": { "description": "conformance", "content": { "application/json": {} } } } } },
            "/tileMatrixSets/WebMercatorQuad": { "get": { "summary": "the tile matrix set (OGC 17-083r4)", "responses": { "200": { "description": "tile matrix set", "content": { "application/json": {} } } } } },
            "/collections": { "get": { "summary": "collections: every layer and all", "responses": { "200": { "description": "collections", "content": { "application/json": {} } } } } },
            "/collections/{layers}/tiles/WebMercatorQuad": { "get": {
                "summary": "tileset metadata with the tile URL template",
                "parameters": [layers.clone()],
                "responses": { "200": { "description": "tileset", "content": { "application/json": {} } }, "404": { "description": "unknown layer" } } } },
            "/style.json": { "get": { "summary": "MapLibre style", "responses": { "200": { "description": "style", "content": { "application/json": {} } } } } },
            "/api": { "get": { "summary": "this document", "responses": { "200": { "description": "OpenAPI", "content": { "application/json": {} } } } } }
        }
    }))
}

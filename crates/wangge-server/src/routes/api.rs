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

/// The routes whose description is generated from their contract types
/// (`crate::contract`); more join as their handlers become typed.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        super::kpi::kpi,
        super::kpi::trend,
        super::components::counts,
        super::components::faults,
        super::kpi::index,
        super::reach::catalogue,
        super::reach::coverage,
        super::reach::siting,
        super::reach::what_if,
        super::plans::list,
        super::plans::edit,
        super::plans::restore,
        super::plans::partition,
        super::plans::name,
        super::plans::compare,
        super::incidents::post,
        super::incidents::list,
        super::incidents::one,
        super::incidents::patch,
        super::desk::queue,
        super::desk::workers,
        super::desk::history,
        super::photos::post,
        super::photos::list,
        super::photos::one,
        super::wall::summary,
        super::wall::views,
        super::residents::list,
        super::buildings::building,
        super::status::status,
    ),
    components(schemas(crate::contract::problem::ProblemDetails))
)]
struct Generated;

/// The OpenAPI 3.1 document at `/api`: the generated part (typed routes, with their schemas
/// under `components`) over the hand-written descriptions of the others.
pub async fn openapi() -> Json<Value> {
    let mut doc = described();
    let generated =
        serde_json::to_value(<Generated as utoipa::OpenApi>::openapi()).unwrap_or(Value::Null);
    if let (Some(paths), Some(more)) = (
        doc.0["paths"].as_object_mut(),
        generated["paths"].as_object(),
    ) {
        for (k, v) in more {
            paths.insert(k.clone(), v.clone());
        }
    }
    doc.0["components"] = generated["components"].clone();
    doc
}

// Long: the hand-written part of the OpenAPI document, one literal (data, not logic), shrinking
// as routes become typed (`Generated`).
fn described() -> Json<Value> {
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
        "openapi": "3.1.0",
        "info": { "title": "Wangge server: tiles, heat maps, incidents", "version": env!("CARGO_PKG_VERSION") },
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
            "/api/incidents/stream": { "get": { "summary": "Server-Sent Events: incident (each stored incident), status (each transition), lagged",
                "responses": { "200": { "description": "event stream", "content": { "text/event-stream": {} } } } } },
            "/heat/{z}/{x}/{y}.png": { "get": { "summary": "kernel density heat tile (palette PNG; {y}@2x.png for 512 px): category, source, status, from, to, days, radius (px) or radius_m, max, min (suppression), norm=count|households",
                "responses": { "200": { "description": "PNG", "content": { "image/png": {} } }, "400": { "description": "a bad parameter, named" } } } },
            "/heat/legend.json": { "get": { "summary": "the colour ramp and defaults", "responses": { "200": { "description": "legend", "content": { "application/json": {} } } } } },
            "/tiles/hex/{z}/{x}/{y}.mvt": { "get": { "summary": "incident counts on H3 hexagons (layer incident_hexes; resolution z/2+2 within 5..10; zoom ≥ 8): h3, count, households, per_100_households; category and whole-day filters; min hides small counts",
                "responses": { "200": { "description": "tile", "content": { "application/vnd.mapbox-vector-tile": {} } }, "400": { "description": "unsupported filter or zoom" } } } },
            "/tiles/incident_grids/{z}/{x}/{y}.mvt": { "get": { "summary": "incident counts per grid of the newest plan (by the grid recorded for each incident)",
                "responses": { "200": { "description": "tile", "content": { "application/vnd.mapbox-vector-tile": {} } } } } },
            "/tiles/incident_communities/{z}/{x}/{y}.mvt": { "get": { "summary": "incident counts per community",
                "responses": { "200": { "description": "tile", "content": { "application/vnd.mapbox-vector-tile": {} } } } } },
            "/api/plans/{id}/grids": { "get": { "summary": "a version's grids as GeoJSON: code, community, households, fill_pct, buildings, workers, area_m2, polsby_popper, reock; community= filters",
                "responses": { "200": { "description": "FeatureCollection", "content": { "application/geo+json": {} } }, "404": { "description": "no such plan" } } } },
            "/api/plans/{id}/export/{format}": { "get": { "summary": "a version's grids as geojson, gpkg, shp (zip) or csv (per-grid report, UTF-8 with BOM)",
                "responses": { "200": { "description": "file" }, "404": { "description": "unknown plan or format" } } } },
            "/api/reach/area": { "get": { "summary": "the service area of category within minutes (GeoJSON)", "responses": { "200": { "description": "FeatureCollection", "content": { "application/geo+json": {} } } } } },
            "/api/reach/gaps": { "get": { "summary": "gap areas: uncovered households clustered per community, largest first (GeoJSON)", "responses": { "200": { "description": "FeatureCollection", "content": { "application/geo+json": {} } } } } },
            "/api": { "get": { "summary": "this document", "responses": { "200": { "description": "OpenAPI", "content": { "application/json": {} } } } } },
            "/": { "get": { "summary": "the landing document: links to this description, the style, TileJSON, conformance, collections and tiling schemes",
                "responses": { "200": { "description": "links", "content": { "application/json": {} } } } } },
            "/collections/{layers}/tiles": { "get": { "summary": "OGC API Tiles: the tilesets of a collection (WebMercatorQuad)",
                "parameters": [layers], "responses": { "200": { "description": "tilesets", "content": { "application/json": {} } } } } },
            "/fonts/{fontstack}/{range}": { "get": { "summary": "glyph ranges (PBF) for MapLibre labels, from web-viewer/fonts (offline)",
                "responses": { "200": { "description": "glyphs", "content": { "application/x-protobuf": {} } }, "404": { "description": "no such font or range" } } } },
            "/tileMatrixSets": { "get": { "summary": "OGC API Tiles: the tiling schemes served (WebMercatorQuad)",
                "responses": { "200": { "description": "tiling schemes", "content": { "application/json": {} } } } } },
            "/viewer/": { "get": { "summary": "the MapLibre viewer (planner, street office, leader modes), served offline",
                "responses": { "200": { "description": "HTML", "content": { "text/html": {} } } } } },
            "/viewer/{path}": { "get": { "summary": "the viewer's scripts, styles and fonts",
                "responses": { "200": { "description": "a file" }, "404": { "description": "no such file" } } } },
            "/wall": { "get": { "summary": "the wall screen page (web-viewer/wall.html) for a leader's display",
                "responses": { "200": { "description": "HTML", "content": { "text/html": {} } } } } },
            "/desk": { "get": { "summary": "the case desk page (web-viewer/desk.html) for a street office's dispatcher",
                "responses": { "200": { "description": "HTML", "content": { "text/html": {} } } } } }
        }
    }))
}

#[cfg(test)]
mod tests {
    /// Every route `router()` mounts is described here: the paths of routes/mod.rs, read
    /// from its source, against this document's (a tile's `.mvt` or `.png` suffix and a
    /// wildcard's `*` aside).
    #[tokio::test]
    async fn every_mounted_route_is_in_the_document() {
        let doc = super::openapi().await.0;
        let paths: Vec<String> = doc["paths"]
            .as_object()
            .expect("paths")
            .keys()
            .map(|p| p.replace(".mvt", "").replace(".png", ""))
            .collect();
        let src = include_str!("mod.rs");
        let mut routes = Vec::new();
        let mut rest = src;
        while let Some(i) = rest.find(".route(") {
            rest = &rest[i + ".route(".len()..];
            let start = rest.find('"').expect("a path") + 1;
            let end = start + rest[start..].find('"').expect("closed");
            routes.push(rest[start..end].replace("{*", "{"));
        }
        assert!(routes.len() >= 40, "{routes:?}");
        let missing: Vec<&String> = routes.iter().filter(|r| !paths.contains(r)).collect();
        assert!(
            missing.is_empty(),
            "routes not in the OpenAPI document: {missing:?}"
        );
    }

    /// The paths the viewer's scripts call (string and template literals in web-viewer/app/
    /// and the pages) against the document's: none may be missing. A `${...}` segment or a
    /// `{z}` placeholder stands for a parameter; a query and a `@2x`, `.png` or `.mvt` suffix
    /// are left out.
    #[tokio::test]
    async fn every_path_the_viewer_calls_is_in_the_document() {
        let doc = super::openapi().await.0;
        let templates: Vec<Vec<String>> = doc["paths"]
            .as_object()
            .expect("paths")
            .keys()
            .map(|p| segments(&p.replace(".mvt", "").replace(".png", "")))
            .collect();
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../web-viewer");
        let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(dir.join("app"))
            .expect("web-viewer/app")
            .chain(std::fs::read_dir(&dir).expect("web-viewer"))
            .map(|e| e.expect("entry").path())
            .filter(|p| p.extension().is_some_and(|x| x == "js" || x == "html"))
            // A service worker's literals are prefixes of what it keeps (`/fonts/`), not
            // requests it makes.
            .filter(|p| !p.to_string_lossy().ends_with("-sw.js"))
            .collect();
        files.sort();
        let mut called = Vec::new();
        for f in &files {
            let src = std::fs::read_to_string(f).expect("read");
            for p in viewer_paths(&src) {
                called.push((
                    f.file_name().expect("name").to_string_lossy().to_string(),
                    p,
                ));
            }
        }
        assert!(called.len() >= 20, "{called:?}");
        let missing: Vec<&(String, String)> = called
            .iter()
            .filter(|(_, p)| {
                let s = segments(p);
                !templates.iter().any(|t| matches(t, &s))
            })
            .collect();
        assert!(
            missing.is_empty(),
            "paths the viewer calls that the OpenAPI document lacks: {missing:?}"
        );
        // The check can fail: a path nobody serves is caught.
        assert!(
            !templates
                .iter()
                .any(|t| matches(t, &segments("/api/nothing")))
        );
    }

    const PREFIXES: [&str; 9] = [
        "/api",
        "/tiles/",
        "/heat/",
        "/style.json",
        "/fonts/",
        "/wall",
        "/desk",
        "/collections",
        "/viewer/",
    ];

    /// Paths in string and template literals: a literal starting with one of `PREFIXES`
    /// (right after its quote, or after `${location.origin}`), read to its closing quote with
    /// each `${...}` as `{}`, then cut at `?`.
    fn viewer_paths(src: &str) -> Vec<String> {
        let b = src.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < b.len() {
            let q = b[i];
            if q == b'"' || q == b'\'' || q == b'`' {
                let mut start = i + 1;
                let origin = "${location.origin}";
                if src[start..].starts_with(origin) {
                    start += origin.len();
                }
                if PREFIXES.iter().any(|p| src[start..].starts_with(p)) {
                    let (path, end) = read_literal(src, start, q);
                    let path = path.split('?').next().unwrap_or("").to_string();
                    out.push(path);
                    i = end + 1;
                    continue;
                }
            }
            i += 1;
        }
        out
    }

    /// The literal from `start` to its closing `quote`, `${...}` (nested braces and strings
    /// inside) as `{}`; and where it ends.
    fn read_literal(src: &str, start: usize, quote: u8) -> (String, usize) {
        let b = src.as_bytes();
        let mut s = String::new();
        let mut i = start;
        while i < b.len() && b[i] != quote && b[i] != b'\n' {
            if quote == b'`' && b[i] == b'$' && b.get(i + 1) == Some(&b'{') {
                let mut depth = 0;
                while i < b.len() {
                    match b[i] {
                        b'{' => depth += 1,
                        b'}' => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                        }
                        _ => {}
                    }
                    i += 1;
                }
                s.push_str("{}");
            } else {
                s.push(b[i] as char);
            }
            i += 1;
        }
        (s, i)
    }

    /// A path's segments, a parameter (`{...}` or `${...}`) as `{}`, suffixes left out.
    fn segments(p: &str) -> Vec<String> {
        p.trim_start_matches('/')
            .split('/')
            .map(|seg| {
                let seg = seg
                    .replace("@2x", "")
                    .replace(".png", "")
                    .replace(".mvt", "");
                if seg.starts_with('{') || seg.starts_with("${") {
                    "{}".to_string()
                } else {
                    // `csv${tq}`, `stream{}`: a query token glued to the last segment.
                    let seg = seg.split("${").next().unwrap_or("");
                    seg.trim_end_matches("{}").to_string()
                }
            })
            .collect()
    }

    /// Whether a path's segments fit a template's (`{}` any segment; a last `{}` after
    /// `/viewer/` any rest).
    fn matches(t: &[String], p: &[String]) -> bool {
        if t.first().is_some_and(|s| s == "viewer") && t.len() == 2 && t[1] == "{}" {
            return p.first().is_some_and(|s| s == "viewer") && p.len() >= 2;
        }
        t.len() == p.len() && t.iter().zip(p).all(|(a, b)| a == "{}" || a == b)
    }

    /// Typed routes are described by their types: query parameters, the answer's schema by
    /// reference, and the schema with the answer's fields.
    #[tokio::test]
    async fn typed_routes_carry_their_schemas() {
        let doc = super::openapi().await.0;
        assert_eq!(doc["openapi"], "3.1.0");
        let get = &doc["paths"]["/api/kpi"]["get"];
        let names: Vec<&str> = get["parameters"]
            .as_array()
            .expect("parameters")
            .iter()
            .filter_map(|p| p["name"].as_str())
            .collect();
        assert_eq!(names, ["month", "by", "asof"], "{get}");
        assert_eq!(
            get["responses"]["200"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/KpiAnswer"
        );
        let row = &doc["components"]["schemas"]["KpiRowAnswer"]["properties"];
        for field in [
            "area",
            "reported",
            "overdue",
            "on_time_rate",
            "median_hours",
        ] {
            assert!(row.get(field).is_some(), "{field}: {row}");
        }
        for (path, method) in [
            ("/api/kpi/trend", "get"),
            ("/api/index", "get"),
            ("/api/reach", "get"),
            ("/api/reach/coverage", "get"),
            ("/api/reach/siting", "post"),
            ("/api/reach/what-if", "post"),
        ] {
            assert!(
                doc["paths"][path][method]["responses"]["200"]["content"]["application/json"]
                    ["schema"]["$ref"]
                    .is_string(),
                "{path}"
            );
        }
        for (path, methods) in [
            ("/api/incidents", ["get", "post"]),
            ("/api/incidents/{id}", ["get", "patch"]),
        ] {
            for m in methods {
                assert!(doc["paths"][path][m]["responses"].is_object(), "{path} {m}");
            }
        }
        let body = &doc["paths"]["/api/reach/what-if"]["post"]["requestBody"];
        assert_eq!(
            body["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/WhatIfRequest"
        );
    }
}

//! A MapLibre style for the workspace: basemap (streets by class, buildings extruded by
//! height) and thematic layers (communities, grids coloured by fill of the cap, facilities).
//! Every URL points at this server. Labels (street and community names, grid codes with
//! households) come when the viewer directory holds the glyph ranges; the page draws CJK with
//! local fonts, so only Latin ranges are requested.

use super::base_url;
use crate::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use serde_json::{Value, json};

// Long: one MapLibre style document, layer after layer as MapLibre reads it.
pub async fn style(State(s): State<AppState>, headers: HeaderMap) -> Json<Value> {
    let base = base_url(&headers);
    let b = s.bounds();
    let mut style = json!({
        "version": 8,
        "name": "wangge",
        "center": [(b[0] + b[2]) / 2.0, (b[1] + b[3]) / 2.0],
        "zoom": 14,
        "sources": {
            "wangge": { "type": "vector", "url": format!("{base}/tiles/all.json") },
            "heat": { "type": "raster", "tiles": [format!("{base}/heat/{{z}}/{{x}}/{{y}}.png")], "tileSize": 256,
                      "minzoom": 10, "maxzoom": 18 }
        },
        "layers": [
            { "id": "background", "type": "background", "paint": { "background-color": "#f4f1ea" } },
            { "id": "landuse", "type": "fill", "source": "wangge", "source-layer": "land_cover",
              "filter": ["==", ["get", "class"], "landuse"],
              "paint": { "fill-color": "#ebe6dc", "fill-opacity": 0.7 } },
            { "id": "green", "type": "fill", "source": "wangge", "source-layer": "land_cover",
              "filter": ["==", ["get", "class"], "green"],
              "paint": { "fill-color": "#cfe8c4" } },
            { "id": "water", "type": "fill", "source": "wangge", "source-layer": "land_cover",
              "filter": ["==", ["get", "class"], "water"],
              "paint": { "fill-color": "#a8cbe8" } },
            { "id": "communities-fill", "type": "fill", "source": "wangge", "source-layer": "communities",
              "paint": { "fill-color": "#e8e2d4", "fill-opacity": 0.6 } },
            { "id": "grids-fill", "type": "fill", "source": "wangge", "source-layer": "grids",
              "paint": {
                  "fill-color": ["interpolate", ["linear"], ["get", "fill_pct"],
                                 0, "#d9f0d3", 50, "#a6dba0", 80, "#5aae61", 100, "#1b7837"],
                  "fill-opacity": 0.45 } },
            { "id": "streets-minor", "type": "line", "source": "wangge", "source-layer": "streets",
              "filter": ["!", ["in", ["get", "class"], ["literal", ["motorway", "trunk", "primary", "secondary", "tertiary"]]]],
              "paint": { "line-color": "#ffffff", "line-width": ["interpolate", ["linear"], ["zoom"], 13, 0.5, 16, 3] } },
            { "id": "streets-major", "type": "line", "source": "wangge", "source-layer": "streets",
              "filter": ["in", ["get", "class"], ["literal", ["motorway", "trunk", "primary", "secondary", "tertiary"]]],
              "paint": { "line-color": "#f6c667", "line-width": ["interpolate", ["linear"], ["zoom"], 10, 1, 16, 6] } },
            { "id": "service-areas", "type": "fill", "source": "wangge", "source-layer": "service_areas",
              "filter": ["==", ["get", "minutes"], 15],
              "layout": { "visibility": "none" },
              "paint": { "fill-color": "#2166ac", "fill-opacity": 0.12 } },
            { "id": "gap-areas", "type": "fill", "source": "wangge", "source-layer": "gap_areas",
              "layout": { "visibility": "none" },
              "paint": { "fill-color": "#d6604d", "fill-opacity": 0.35 } },
            { "id": "buildings-3d", "type": "fill-extrusion", "source": "wangge", "source-layer": "buildings",
              // Coloured by grid (eight colours by serial, neighbouring serials differ); a
              // height estimated from the kind's default storeys in a paler tone.
              "paint": { "fill-extrusion-color": ["case", ["!", ["has", "grid_colour"]], "#c9c2b6",
                           ["get", "height_estimated"],
                           ["match", ["get", "grid_colour"], 0, "#c6dbef", 1, "#fdd0a2", 2, "#c7e9c0", 3, "#dadaeb", 4, "#fcbba1", 5, "#d9d9d9", 6, "#fde0ef", "#ffffcc"],
                           ["match", ["get", "grid_colour"], 0, "#4292c6", 1, "#f16913", 2, "#41ab5d", 3, "#807dba", 4, "#ef3b2c", 5, "#737373", 6, "#dd3497", "#d4b300"]],
                         "fill-extrusion-height": ["get", "height_m"],
                         "fill-extrusion-opacity": 0.85 } },
            { "id": "grids-line", "type": "line", "source": "wangge", "source-layer": "grids",
              "paint": { "line-color": "#1b7837", "line-width": 1.2 } },
            { "id": "communities-line", "type": "line", "source": "wangge", "source-layer": "communities",
              "paint": { "line-color": "#7b3294", "line-width": 2.5 } },
            { "id": "heat", "type": "raster", "source": "heat", "layout": { "visibility": "none" },
              "paint": { "raster-opacity": 0.85 } },
            { "id": "facilities", "type": "circle", "source": "wangge", "source-layer": "facilities",
              "paint": { "circle-radius": 4, "circle-color": "#2166ac", "circle-stroke-color": "#ffffff",
                         "circle-stroke-width": 1 } },
            { "id": "components-line", "type": "line", "source": "wangge", "source-layer": "components",
              "filter": ["==", ["geometry-type"], "LineString"],
              "paint": { "line-color": "#636363", "line-width": 1.5 } },
            { "id": "components", "type": "circle", "source": "wangge", "source-layer": "components",
              "filter": ["==", ["geometry-type"], "Point"],
              "paint": { "circle-radius": 2.5,
                         "circle-color": ["match", ["get", "status"], "damaged", "#d7191c",
                                          "missing", "#7b3294", "occupied", "#fdae61", "#636363"],
                         "circle-stroke-color": "#ffffff", "circle-stroke-width": 0.5 } }
        ]
    });
    // Labels when the glyph ranges are there (Latin from this server, CJK drawn locally).
    if super::fonts::available(&s) {
        let font = json!([super::fonts::FONT]);
        style["glyphs"] = json!(format!("{base}/fonts/{{fontstack}}/{{range}}.pbf"));
        if let Some(layers) = style["layers"].as_array_mut() {
            layers.extend([
                json!({ "id": "streets-label", "type": "symbol", "source": "wangge", "source-layer": "streets",
                        "minzoom": 15, "filter": ["has", "name"],
                        "layout": { "symbol-placement": "line", "text-field": ["get", "name"], "text-font": font,
                                    "text-size": 12 },
                        "paint": { "text-color": "#555555", "text-halo-color": "#ffffff", "text-halo-width": 1.5 } }),
                json!({ "id": "grids-label", "type": "symbol", "source": "wangge", "source-layer": "grids",
                        "minzoom": 15,
                        "layout": { "text-field": ["concat", ["slice", ["get", "code"], -3], "\n", ["to-string", ["get", "households"]], " 户"],
                                    "text-font": font, "text-size": 11 },
                        "paint": { "text-color": "#1b7837", "text-halo-color": "#ffffff", "text-halo-width": 1.5 } }),
                json!({ "id": "facilities-label", "type": "symbol", "source": "wangge", "source-layer": "facilities",
                        "minzoom": 16, "filter": ["has", "name"],
                        "layout": { "text-field": ["get", "name"], "text-font": font, "text-size": 11,
                                    "text-offset": [0, 1.1], "text-anchor": "top" },
                        "paint": { "text-color": "#2166ac", "text-halo-color": "#ffffff", "text-halo-width": 1.5 } }),
                // One label point per community (not polygon labels cut at tile edges), from z12.
                json!({ "id": "communities-label", "type": "symbol", "source": "wangge", "source-layer": "community_labels",
                        "minzoom": 12,
                        "layout": { "text-field": ["get", "name"], "text-font": font, "text-size": 16,
                                    "text-allow-overlap": false, "symbol-sort-key": ["-", 0, ["get", "households"]] },
                        "paint": { "text-color": "#4a1486", "text-halo-color": "#ffffff", "text-halo-width": 2.5 } }),
            ]);
        }
    }
    // Only layers whose source layer the tiles have (MapLibre reports the others as errors).
    let present = present_layers(&s);
    if let Some(layers) = style["layers"].as_array_mut() {
        layers.retain(|l| {
            l["source-layer"]
                .as_str()
                .is_none_or(|id| present.iter().any(|p| p == id))
        });
    }
    Json(style)
}

/// The source layers the served tiles hold.
fn present_layers(s: &AppState) -> Vec<String> {
    match (s.archive(), s.source()) {
        (Some(a), _) => serde_json::from_str::<Value>(&a.index.info.metadata)
            .ok()
            .and_then(|m| m["vector_layers"].as_array().cloned())
            .unwrap_or_default()
            .iter()
            .filter_map(|l| l["id"].as_str().map(str::to_string))
            .collect(),
        (None, Some(src)) => src.layer_names().into_iter().map(str::to_string).collect(),
        (None, None) => Vec::new(),
    }
}

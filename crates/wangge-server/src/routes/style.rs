//! A MapLibre style for the workspace: basemap (streets by class, buildings extruded by
//! height) and thematic layers (communities, grids coloured by fill of the cap, facilities).
//! Every URL points at this server; there is no `glyphs` entry and no symbol layer yet, so
//! the map makes no glyph request at all.

use super::base_url;
use crate::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use serde_json::{Value, json};

pub async fn style(State(s): State<AppState>, headers: HeaderMap) -> Json<Value> {
    let base = base_url(&headers);
    let b = s.bounds();
    Json(json!({
        "version": 8,
        "name": "wangge",
        "center": [(b[0] + b[2]) / 2.0, (b[1] + b[3]) / 2.0],
        "zoom": 14,
        "sources": {
            "wangge": { "type": "vector", "url": format!("{base}/tiles/all.json") }
        },
        "layers": [
            { "id": "background", "type": "background", "paint": { "background-color": "#f4f1ea" } },
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
            { "id": "buildings-3d", "type": "fill-extrusion", "source": "wangge", "source-layer": "buildings",
              "paint": { "fill-extrusion-color": "#c9c2b6", "fill-extrusion-height": ["get", "height_m"],
                         "fill-extrusion-opacity": 0.8 } },
            { "id": "grids-line", "type": "line", "source": "wangge", "source-layer": "grids",
              "paint": { "line-color": "#1b7837", "line-width": 1.2 } },
            { "id": "communities-line", "type": "line", "source": "wangge", "source-layer": "communities",
              "paint": { "line-color": "#7b3294", "line-width": 2.5 } },
            { "id": "facilities", "type": "circle", "source": "wangge", "source-layer": "facilities",
              "paint": { "circle-radius": 4, "circle-color": "#2166ac", "circle-stroke-color": "#ffffff",
                         "circle-stroke-width": 1 } }
        ]
    }))
}

//! TileJSON 3.0 per layer set: `/tiles/{layers}.json` (`all.json` for every layer).

use super::{base_url, parse_layers};
use crate::{AppError, AppState};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use serde_json::{Value, json};

pub async fn tilejson(
    State(s): State<AppState>,
    Path(layers_json): Path<String>,
    headers: HeaderMap,
) -> Result<Json<Value>, AppError> {
    let layers = layers_json
        .strip_suffix(".json")
        .ok_or_else(|| AppError::NotFound(format!("{layers_json}: TileJSON paths end in .json")))?;
    let names = parse_layers(layers)?;
    Ok(Json(document(&s, layers, &names, &base_url(&headers))))
}

/// The TileJSON document of some layers.
pub fn document(s: &AppState, layers: &str, names: &[&str], base: &str) -> Value {
    let b = s.bounds();
    let (minzoom, maxzoom, vector_layers) = match (s.archive(), s.source()) {
        (Some(a), _) => {
            // The archive's own description of its layers.
            let meta: Value = serde_json::from_str(&a.index.info.metadata).unwrap_or(Value::Null);
            (
                a.index.info.minzoom,
                a.index.info.maxzoom,
                meta["vector_layers"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default(),
            )
        }
        (None, src) => {
            let present = src.map(|s| s.layer_names()).unwrap_or_default();
            let v = wangge_tiles::LAYERS
                .iter()
                .filter(|l| names.contains(&l.id) && present.contains(&l.id))
                .map(|l| {
                    let fields: serde_json::Map<String, Value> = l
                        .fields
                        .iter()
                        .map(|(f, t)| (f.to_string(), Value::String(t.to_string())))
                        .collect();
                    json!({
                        "id": l.id,
                        "description": l.description,
                        "minzoom": l.minzoom,
                        "maxzoom": l.maxzoom,
                        "fields": fields,
                    })
                })
                .collect();
            (wangge_tiles::MIN_ZOOM, wangge_tiles::MAX_ZOOM, v)
        }
    };
    json!({
        "tilejson": "3.0.0",
        "name": format!("wangge {layers}"),
        "scheme": "xyz",
        "tiles": [format!("{base}/tiles/{layers}/{{z}}/{{x}}/{{y}}.mvt")],
        "minzoom": minzoom,
        "maxzoom": maxzoom,
        "bounds": b,
        "center": [(b[0] + b[2]) / 2.0, (b[1] + b[3]) / 2.0, 14],
        "vector_layers": vector_layers,
    })
}

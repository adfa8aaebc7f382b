//! PMTiles v3 export: every tile of the chosen layers and zooms, gzipped, in one archive that
//! any static host (or `wangge serve`) can serve. Written with the pmtiles crate's writer,
//! tiles in tile-id order, identical tiles stored once.

use crate::TileSource;
use pmtiles::{Compression, PmTilesWriter, TileType};
use std::path::Path;
use wangge_core::Progress;

/// What an export wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportSummary {
    pub tiles: usize,
    pub empty: usize,
    pub bytes: u64,
    pub largest_tile: usize,
}

/// A failed export.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("{path}: {message}")]
    Write { path: String, message: String },
    #[error("zooms {0}..{1}: the first must not exceed the second, and both lie in 0..=22")]
    Zooms(u8, u8),
}

/// Writes the tiles of `layers` (all when empty) from `minzoom` to `maxzoom` to `path`.
pub fn export_pmtiles(
    source: &TileSource,
    path: &Path,
    layers: &[&str],
    minzoom: u8,
    maxzoom: u8,
    progress: &dyn Progress,
) -> Result<ExportSummary, ExportError> {
    if minzoom > maxzoom || maxzoom > crate::mvt::tile::MAX_ZOOM {
        return Err(ExportError::Zooms(minzoom, maxzoom));
    }
    let err = |e: &dyn std::fmt::Display| ExportError::Write {
        path: path.display().to_string(),
        message: e.to_string(),
    };
    let mut coords = source.tiles(minzoom, maxzoom);
    let id = |t: &crate::mvt::TileCoord| {
        pmtiles::TileCoord::new(t.z(), t.x(), t.y())
            .map(|c| pmtiles::TileId::from(c).value())
            .unwrap_or(u64::MAX)
    };
    coords.sort_by_key(id);
    let b = source.bounds();
    let metadata = serde_json::json!({
        "name": "wangge",
        "format": "pbf",
        "vector_layers": crate::LAYERS
            .iter()
            .filter(|l| layers.is_empty() || layers.contains(&l.id))
            .map(|l| serde_json::json!({
                "id": l.id,
                "description": l.description,
                "minzoom": l.minzoom,
                "maxzoom": l.maxzoom,
                "fields": l.fields.iter().map(|(f, t)| (f.to_string(), serde_json::Value::String(t.to_string()))).collect::<serde_json::Map<_, _>>(),
            }))
            .collect::<Vec<_>>(),
    });
    // Written to a temporary file beside the target and renamed: a failed export leaves no
    // half archive under the target name.
    let tmp = path.with_extension("pmtiles.part");
    let file = std::fs::File::create(&tmp).map_err(|e| err(&e))?;
    let mut w = PmTilesWriter::new(TileType::Mvt)
        .tile_compression(Compression::Gzip)
        .internal_compression(Compression::Gzip)
        .min_zoom(minzoom)
        .max_zoom(maxzoom)
        .bounds(b[0], b[1], b[2], b[3])
        .center((b[0] + b[2]) / 2.0, (b[1] + b[3]) / 2.0)
        .center_zoom(minzoom.max(14).min(maxzoom))
        .metadata(metadata.to_string())
        .create(std::io::BufWriter::new(file))
        .map_err(|e| err(&e))?;
    let mut summary = ExportSummary {
        tiles: 0,
        empty: 0,
        bytes: 0,
        largest_tile: 0,
    };
    progress.start("tiles", Some(coords.len() as u64));
    for t in coords {
        let raw = source.tile(t, layers);
        progress.advance(1);
        if raw.is_empty() {
            summary.empty += 1;
            continue;
        }
        summary.largest_tile = summary.largest_tile.max(raw.len());
        // The writer gzips the tile (tile_compression above).
        let c = pmtiles::TileCoord::new(t.z(), t.x(), t.y()).map_err(|e| err(&e))?;
        w.add_tile(c, &raw).map_err(|e| err(&e))?;
        summary.tiles += 1;
    }
    progress.finish();
    w.finalize().map_err(|e| err(&e))?;
    std::fs::rename(&tmp, path).map_err(|e| err(&e))?;
    summary.bytes = std::fs::metadata(path).map_err(|e| err(&e))?.len();
    Ok(summary)
}

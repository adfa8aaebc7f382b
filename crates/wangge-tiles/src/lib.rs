//! Wangge rendering: Mapbox Vector Tiles of the workspace (basemap, communities, grids,
//! facilities) with a strict validator, PMTiles archives, incident heat tiles (PNG) and count
//! tiles (H3 hexagons, grids, communities), static PNG maps of plans and bar charts.

mod archive;
mod archive_read;
mod chart;
pub mod heat;
pub mod mvt;
mod png_map;
pub mod privacy;
mod source;
mod text;
pub mod tiling;

pub use archive::{ExportError, ExportSummary, export_pmtiles};
pub use archive_read::{ArchiveError, ArchiveInfo, PmTilesArchive};
pub use chart::bar_chart;
pub use heat::areas::AreaLevel;
pub use heat::{
    HEX_LAYER, HeatError, HeatFilter, HeatIndex, HeatStyle, MIN_HOUSEHOLDS, RAMP, SNAP_M,
    heat_from_store, ramp,
};
pub use png_map::{MapLayer, MapStyle, render_png};
pub use source::{
    BUFFER, EXTENT, LAYERS, LayerSpec, MAX_ZOOM, MIN_ZOOM, PLAN_PROPS, SourceError, TileSource,
    data_version,
};

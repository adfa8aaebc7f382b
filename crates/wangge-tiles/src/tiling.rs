//! The tile pyramid the server serves: zooms, extent and buffer of every vector tile.

/// Tile extent and buffer (pixels of the extent).
pub const EXTENT: u32 = 4096;
pub const BUFFER: u32 = 64;
/// Deepest zoom with its own tiles; clients overzoom beyond.
pub const MAX_ZOOM: u8 = 16;
/// Shallowest zoom served.
pub const MIN_ZOOM: u8 = 10;

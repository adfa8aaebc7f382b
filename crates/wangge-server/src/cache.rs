//! In-memory tile cache: gzipped tiles by layer set and address, with the ETag computed once.
//! Bounded by bytes (cleared whole when full, simple and enough for one district); dropped
//! when the workspace changes.

use std::collections::HashMap;
use std::sync::Mutex;
use wangge_tiles::mvt::TileCoord;

/// A tile ready to send.
#[derive(Debug, Clone)]
pub struct Encoded {
    pub gzip: Vec<u8>,
    pub etag: String,
}

#[derive(Debug, Default)]
pub struct TileCache {
    inner: Mutex<Inner>,
    pub limit_bytes: usize,
}

#[derive(Debug, Default)]
struct Inner {
    tiles: HashMap<(String, TileCoord), std::sync::Arc<Encoded>>,
    bytes: usize,
}

impl TileCache {
    pub fn new(limit_bytes: usize) -> Self {
        Self {
            inner: Mutex::default(),
            limit_bytes,
        }
    }

    pub fn get(&self, layers: &str, t: TileCoord) -> Option<std::sync::Arc<Encoded>> {
        let inner = self.inner.lock().ok()?;
        inner.tiles.get(&(layers.to_string(), t)).cloned()
    }

    pub fn put(&self, layers: &str, t: TileCoord, e: std::sync::Arc<Encoded>) {
        let Ok(mut inner) = self.inner.lock() else {
            return;
        };
        if inner.bytes + e.gzip.len() > self.limit_bytes {
            inner.tiles.clear();
            inner.bytes = 0;
        }
        inner.bytes += e.gzip.len();
        inner.tiles.insert((layers.to_string(), t), e);
    }

    pub fn clear(&self) {
        if let Ok(mut inner) = self.inner.lock() {
            inner.tiles.clear();
            inner.bytes = 0;
        }
    }

    pub fn len(&self) -> usize {
        self.inner.lock().map(|i| i.tiles.len()).unwrap_or(0)
    }
}

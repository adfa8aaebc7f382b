//! In-memory tile cache: gzipped tiles by layer set and address, with the ETag computed once.
//! Bounded by bytes (cleared whole when full, simple and enough for one district); dropped
//! when the workspace changes. Reads share a lock and allocate nothing.

use axum::body::Bytes;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use wangge_tiles::mvt::TileCoord;

/// A tile ready to send: gzipped bytes (shared, not copied per response) and its ETag.
#[derive(Debug, Clone)]
pub struct Encoded {
    pub gzip: Bytes,
    pub etag: String,
}

#[derive(Debug, Default)]
pub struct TileCache {
    inner: RwLock<Inner>,
    pub limit_bytes: usize,
}

#[derive(Debug, Default)]
struct Inner {
    /// Layer set → address → tile (looked up by `&str`).
    tiles: HashMap<String, HashMap<TileCoord, Arc<Encoded>>>,
    bytes: usize,
    count: usize,
}

impl TileCache {
    pub fn new(limit_bytes: usize) -> Self {
        Self {
            inner: RwLock::default(),
            limit_bytes,
        }
    }

    pub fn get(&self, layers: &str, t: TileCoord) -> Option<Arc<Encoded>> {
        let inner = self.inner.read().ok()?;
        inner.tiles.get(layers)?.get(&t).cloned()
    }

    pub fn put(&self, layers: &str, t: TileCoord, e: Arc<Encoded>) {
        let Ok(mut inner) = self.inner.write() else {
            return;
        };
        let n = e.gzip.len();
        if inner.bytes + n > self.limit_bytes {
            *inner = Inner::default();
        }
        let fresh = inner
            .tiles
            .entry(layers.to_string())
            .or_default()
            .insert(t, e)
            .is_none();
        if fresh {
            inner.count += 1;
            inner.bytes += n;
        }
    }

    pub fn clear(&self) {
        if let Ok(mut inner) = self.inner.write() {
            *inner = Inner::default();
        }
    }

    /// Bytes of gzipped tiles held.
    pub fn bytes(&self) -> usize {
        self.inner.read().map(|i| i.bytes).unwrap_or(0)
    }

    pub fn len(&self) -> usize {
        self.inner.read().map(|i| i.count).unwrap_or(0)
    }
}

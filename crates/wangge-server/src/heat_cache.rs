//! Heat tiles by zoom, address and query, dropped tile by tile where new incidents (or status
//! changes) land: the tile under each incident and two tiles around it at every zoom, which
//! covers any kernel radius the server accepts (at most 400 px, under two 256 px tiles). A
//! tile rendered while a change landed is not stored (epochs).

use axum::body::Bytes;
use std::collections::HashMap;
use std::sync::RwLock;

/// Zoom levels kept.
const ZOOMS: usize = 25;

/// (x, y) → canonical query → PNG, for one zoom.
type Zoom = HashMap<(u32, u32), HashMap<String, Bytes>>;

#[derive(Debug)]
pub struct HeatCache {
    /// Per zoom.
    inner: RwLock<Vec<Zoom>>,
    limit_bytes: usize,
    bytes: std::sync::atomic::AtomicUsize,
    /// Bumped by every invalidation: a tile rendered from an older index is not stored.
    epoch: std::sync::atomic::AtomicU64,
}

impl HeatCache {
    pub fn new(limit_bytes: usize) -> Self {
        Self {
            inner: RwLock::new((0..ZOOMS).map(|_| HashMap::new()).collect()),
            limit_bytes,
            bytes: 0.into(),
            epoch: 0.into(),
        }
    }

    /// Bytes of PNG held.
    pub fn bytes(&self) -> usize {
        self.bytes.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The epoch to pass to [`HeatCache::put`]: read before rendering.
    pub fn epoch(&self) -> u64 {
        self.epoch.load(std::sync::atomic::Ordering::SeqCst)
    }

    pub fn get(&self, z: u8, x: u32, y: u32, query: &str) -> Option<Bytes> {
        let inner = self.inner.read().ok()?;
        inner.get(usize::from(z))?.get(&(x, y))?.get(query).cloned()
    }

    /// Stores a tile rendered at `epoch`, unless a change has landed since.
    pub fn put(&self, z: u8, x: u32, y: u32, query: String, png: Bytes, epoch: u64) {
        use std::sync::atomic::Ordering::Relaxed;
        let Ok(mut inner) = self.inner.write() else {
            return;
        };
        if self.epoch() != epoch {
            return;
        }
        if self.bytes.load(Relaxed) + png.len() > self.limit_bytes {
            for m in inner.iter_mut() {
                m.clear();
            }
            self.bytes.store(0, Relaxed);
        }
        if let Some(m) = inner.get_mut(usize::from(z)) {
            self.bytes.fetch_add(png.len(), Relaxed);
            m.entry((x, y)).or_default().insert(query, png);
        }
    }

    /// Drops the tiles that points (world coordinates in [0, 1]²) fall in or next to.
    pub fn invalidate(&self, points: &[[f64; 2]]) {
        let Ok(mut inner) = self.inner.write() else {
            return;
        };
        self.epoch.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        for (z, m) in inner.iter_mut().enumerate() {
            if m.is_empty() {
                continue;
            }
            let n = f64::from(1u32 << z);
            let max = (1i64 << z) - 1;
            for p in points {
                let tx = (p[0] * n).floor() as i64;
                let ty = (p[1] * n).floor() as i64;
                for dy in -2..=2 {
                    for dx in -2..=2 {
                        let (x, y) = (tx + dx, ty + dy);
                        if (0..=max).contains(&x) && (0..=max).contains(&y) {
                            m.remove(&(x as u32, y as u32));
                        }
                    }
                }
            }
        }
    }

    pub fn clear(&self) {
        if let Ok(mut inner) = self.inner.write() {
            self.epoch.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            for m in inner.iter_mut() {
                m.clear();
            }
            self.bytes.store(0, std::sync::atomic::Ordering::Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_tiles_around_new_incidents_go() {
        let c = HeatCache::new(1 << 20);
        let e = c.epoch();
        c.put(10, 500, 300, "q".into(), Bytes::from_static(b"a"), e);
        c.put(10, 503, 300, "q".into(), Bytes::from_static(b"b"), e);
        c.put(3, 3, 2, "q".into(), Bytes::from_static(b"c"), e);
        c.put(3, 0, 0, "q".into(), Bytes::from_static(b"d"), e);
        c.put(10, 504, 300, "q".into(), Bytes::from_static(b"e"), e);
        // A point in tile (10, 501, 300).
        c.invalidate(&[[501.5 / 1024.0, 300.5 / 1024.0]]);
        assert!(c.get(10, 500, 300, "q").is_none());
        assert!(c.get(10, 503, 300, "q").is_none());
        assert!(c.get(3, 3, 2, "q").is_none());
        assert!(c.get(3, 0, 0, "q").is_some());
        assert!(c.get(10, 504, 300, "q").is_some());
        // A tile rendered before that change is not stored.
        c.put(10, 501, 300, "q".into(), Bytes::from_static(b"f"), e);
        assert!(c.get(10, 501, 300, "q").is_none());
        c.put(
            10,
            501,
            300,
            "q".into(),
            Bytes::from_static(b"f"),
            c.epoch(),
        );
        assert!(c.get(10, 501, 300, "q").is_some());
    }
}

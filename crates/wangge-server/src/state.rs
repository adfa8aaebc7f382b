//! Shared server state: the workspace's tile source (swapped when a new plan lands) and the
//! tile cache.

use crate::cache::TileCache;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use wangge_tiles::TileSource;

#[derive(Clone)]
pub struct AppState {
    pub workspace: PathBuf,
    source: Arc<RwLock<Arc<TileSource>>>,
    pub cache: Arc<TileCache>,
    /// Whether tiles are cached (off for measuring dynamic encoding).
    pub caching: bool,
}

impl AppState {
    /// Reads the workspace.
    pub fn open(workspace: PathBuf, caching: bool) -> Result<Self, crate::AppError> {
        let source = load(&workspace)?;
        Ok(Self {
            workspace,
            source: Arc::new(RwLock::new(Arc::new(source))),
            cache: Arc::new(TileCache::new(256 << 20)),
            caching,
        })
    }

    pub fn source(&self) -> Arc<TileSource> {
        match self.source.read() {
            Ok(s) => s.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Re-reads the workspace when its newest plan changed; drops the cache then. Returns
    /// whether it did.
    pub fn refresh(&self) -> Result<bool, crate::AppError> {
        let store = wangge_io::Store::open(&self.workspace)
            .map_err(|e| crate::AppError::Internal(e.to_string()))?;
        let plan = store
            .latest_plan()
            .map_err(|e| crate::AppError::Internal(e.to_string()))?
            .unwrap_or(0);
        if plan == self.source().plan() {
            return Ok(false);
        }
        let fresh = load(&self.workspace)?;
        if let Ok(mut s) = self.source.write() {
            *s = Arc::new(fresh);
        }
        self.cache.clear();
        Ok(true)
    }
}

fn load(workspace: &PathBuf) -> Result<TileSource, crate::AppError> {
    let store = wangge_io::Store::open(workspace)
        .map_err(|e| crate::AppError::Internal(format!("{}: {e}", workspace.display())))?;
    TileSource::from_store(&store).map_err(|e| crate::AppError::Internal(e.to_string()))
}

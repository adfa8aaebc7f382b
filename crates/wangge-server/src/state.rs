//! Shared server state: what the tiles come from (a workspace, encoded on demand and swapped
//! when a new plan lands, or a PMTiles archive held in memory) and the tile cache.

use crate::AppError;
use crate::cache::TileCache;
use crate::live::Live;
use axum::body::Bytes;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use wangge_tiles::{PmTilesArchive, TileSource};

/// A PMTiles archive: its bytes (sliced per tile, no copy) and index.
pub struct Archive {
    pub bytes: Bytes,
    pub index: PmTilesArchive,
    /// Part of every ETag: the archive's length and modification time.
    pub tag: String,
}

enum Backend {
    Workspace(RwLock<Arc<TileSource>>),
    Archive(Archive),
}

#[derive(Clone)]
pub struct AppState {
    pub path: PathBuf,
    backend: Arc<Backend>,
    pub cache: Arc<TileCache>,
    /// Whether workspace tiles are cached (off for measuring dynamic encoding).
    pub caching: bool,
    /// The web viewer's directory, served under /viewer/.
    pub viewer: Option<PathBuf>,
    /// Incidents: ingest, heat index, events (workspaces only).
    pub live: Option<Arc<Live>>,
    /// Fewest incidents a heat pixel, hexagon or area must have to be shown, whatever the
    /// query asks (default 3: a single report does not show).
    pub min_count: u32,
    /// One plan change at a time (planner edits, restores, partial runs).
    pub plans: Arc<crate::planning::PlanLock>,
    /// Walking reach for the street-office mode, built on first use per data version.
    pub reach: Arc<crate::reach::ReachCache>,
    /// Time limits of the closed loop (`wangge serve --limits FILE`; default the built-in).
    pub limits: Arc<wangge_core::kpi::TimeLimits>,
    /// Access tokens (re-read with the workspace).
    pub access: Arc<crate::auth::Access>,
    /// Tiles being encoded: concurrent requests for one tile share its encoding.
    pub encoding: Arc<crate::inflight::InFlight<Arc<crate::cache::Encoded>>>,
}

impl AppState {
    /// Opens a workspace (.gpkg) or a PMTiles archive (.pmtiles).
    pub fn open(path: PathBuf, caching: bool) -> Result<Self, AppError> {
        let mut live = None;
        let backend = if path.extension().is_some_and(|e| e == "pmtiles") {
            let (index, bytes) =
                PmTilesArchive::open(&path).map_err(|e| AppError::Open(e.to_string()))?;
            let meta = std::fs::metadata(&path).map_err(|e| AppError::Open(e.to_string()))?;
            let mtime = meta
                .modified()
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_secs());
            Backend::Archive(Archive {
                bytes: Bytes::from(bytes),
                index,
                tag: format!("a{:x}{mtime:x}", meta.len()),
            })
        } else {
            let source = load(&path)?;
            live = Some(Arc::new(Live::open(&path)?));
            Backend::Workspace(RwLock::new(Arc::new(source)))
        };
        Ok(Self {
            path,
            backend: Arc::new(backend),
            cache: Arc::new(TileCache::new(256 << 20)),
            caching,
            viewer: None,
            live,
            min_count: 3,
            plans: Arc::default(),
            reach: Arc::default(),
            limits: Arc::new(wangge_core::kpi::TimeLimits::builtin()),
            access: Arc::default(),
            encoding: Arc::default(),
        })
        .and_then(|s: Self| {
            if s.live.is_some() {
                s.access.reload(&s.path)?;
            }
            Ok(s)
        })
    }

    /// Serves the web viewer from `dir` under /viewer/.
    pub fn with_viewer(mut self, dir: PathBuf) -> Self {
        self.viewer = Some(dir);
        self
    }

    /// Requests per second each token may make (0: no limit; default 200, bursts of 2,000).
    pub fn with_rate_limit(self, per_s: u32) -> Self {
        self.access.set_rate(per_s);
        self
    }

    /// Uses other time limits for the KPIs.
    pub fn with_limits(mut self, limits: wangge_core::kpi::TimeLimits) -> Self {
        self.limits = Arc::new(limits);
        self
    }

    /// Sets the smallest count shown (`wangge serve --min-count`).
    pub fn with_min_count(mut self, n: u32) -> Self {
        self.min_count = n.max(1);
        self
    }

    /// The workspace's tile source (`None` when serving an archive).
    pub fn source(&self) -> Option<Arc<TileSource>> {
        match &*self.backend {
            Backend::Workspace(s) => Some(match s.read() {
                Ok(s) => s.clone(),
                Err(poisoned) => poisoned.into_inner().clone(),
            }),
            Backend::Archive(_) => None,
        }
    }

    /// The archive being served, if any.
    pub fn archive(&self) -> Option<&Archive> {
        match &*self.backend {
            Backend::Archive(a) => Some(a),
            Backend::Workspace(_) => None,
        }
    }

    /// [west, south, east, north] of the data.
    pub fn bounds(&self) -> [f64; 4] {
        match (&*self.backend, self.source()) {
            (Backend::Archive(a), _) => a.index.info.bounds,
            (_, Some(s)) => s.bounds(),
            _ => [-180.0, -85.0, 180.0, 85.0],
        }
    }

    /// Re-reads a workspace when its newest plan, service areas or gap areas changed and
    /// drops the cache then; returns whether it did (an archive never changes under the
    /// server). Incidents stored by other processes join the heat index.
    pub fn refresh(&self) -> Result<bool, AppError> {
        let Backend::Workspace(lock) = &*self.backend else {
            return Ok(false);
        };
        if let Some(live) = &self.live {
            live.sync()?;
            self.access.reload(&self.path)?;
        }
        let store = wangge_app::open_store(&self.path, wangge_app::Access::Read)
            .map_err(|e| AppError::Internal(e.to_string()))?;
        let version = wangge_tiles::data_version(store.as_ref())
            .map_err(|e| AppError::Internal(e.to_string()))?;
        if self.source().is_some_and(|s| s.version() == version) {
            return Ok(false);
        }
        // A plan change rebuilds the plan's layers only (the others, and the geometry they
        // have prepared per zoom, are shared): the first tile after an edit stays fast.
        let fresh = match self.source() {
            Some(old) if old.only_plan_differs(&version) => old
                .with_new_plan(store.as_ref())
                .map_err(|e| AppError::Internal(e.to_string()))?,
            _ => load(&self.path)?,
        };
        if let Ok(mut s) = lock.write() {
            *s = Arc::new(fresh);
        }
        self.cache.clear();
        if let Some(live) = &self.live {
            live.reload_plan_soon()?;
        }
        Ok(true)
    }
}

fn load(workspace: &Path) -> Result<TileSource, AppError> {
    let store = wangge_app::open_store(workspace, wangge_app::Access::Read)
        .map_err(|e| AppError::Open(e.to_string()))?;
    TileSource::from_store(store.as_ref())
        .map_err(|e| AppError::Open(format!("{}: {e}", wangge_app::shown(workspace))))
}

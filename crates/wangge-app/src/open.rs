//! Which backend a workspace argument names: a `postgres://` URL (a schema of a PostgreSQL
//! database, `wangge-postgis`) or a path of a GeoPackage file (the embedded default). Every
//! command and the server open workspaces through here.

use std::path::Path;
use wangge_io::{Error, GeoPackage, Store};

/// What the caller will do with the workspace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Read (and append incidents, audit entries): a GeoPackage is opened as it is.
    Read,
    /// Write places or plans: a GeoPackage is checked for damage first.
    Write,
    /// Make a new workspace: refused when one is already there.
    Create,
}

/// Whether `location` names a PostgreSQL workspace.
pub fn is_postgres(location: &Path) -> bool {
    location.to_str().is_some_and(wangge_postgis::is_url)
}

/// Opens (or creates) the workspace at `location`. A PostgreSQL workspace's schema is made
/// or upgraded by its migrations on open; errors name it by its URL without the password.
pub fn open_store(location: &Path, access: Access) -> Result<Box<dyn Store>, Error> {
    let Some(url) = location.to_str().filter(|l| wangge_postgis::is_url(l)) else {
        return Ok(match access {
            Access::Read => Box::new(GeoPackage::open(location)?),
            Access::Write => Box::new(GeoPackage::open_for_writing(location)?),
            Access::Create => Box::new(GeoPackage::create(location)?),
        });
    };
    let redacted = || std::path::PathBuf::from(wangge_postgis::redact(url));
    let url = wangge_postgis::PgUrl::parse(url).map_err(|e| Error::Usage {
        path: redacted(),
        message: e.to_string(),
    })?;
    let store = opened(&url).map_err(|e| Error::Backend {
        path: redacted(),
        source: Box::new(e),
    })?;
    if access == Access::Create && store.holds_data()? {
        return Err(Error::Workspace {
            path: redacted(),
            message: "already exists (its schema holds places); choose another ?schema=".into(),
        });
    }
    Ok(Box::new(store))
}

/// Where reports about a workspace go by default: beside a GeoPackage file
/// (`dir/city.gpkg` → `dir/city{suffix}`), or in the current directory named after a
/// PostgreSQL workspace's schema (`?schema=xuanwu` → `./xuanwu{suffix}`).
pub fn beside(location: &Path, suffix: &str) -> std::path::PathBuf {
    if let Some(url) = location
        .to_str()
        .filter(|l| wangge_postgis::is_url(l))
        .and_then(|l| wangge_postgis::PgUrl::parse(l).ok())
    {
        return std::path::PathBuf::from(format!("{}{suffix}", url.schema()));
    }
    let stem = location
        .file_stem()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_default();
    location.with_file_name(format!("{stem}{suffix}"))
}

/// A workspace location for messages: a PostgreSQL URL without its password.
pub fn shown(location: &Path) -> String {
    match location.to_str() {
        Some(l) if wangge_postgis::is_url(l) => wangge_postgis::redact(l),
        _ => location.display().to_string(),
    }
}

/// The PostgreSQL workspaces this process has opened, by URL.
type Opened = std::collections::HashMap<String, wangge_postgis::PgStore>;

fn open_workspaces() -> std::sync::MutexGuard<'static, Opened> {
    static OPEN: std::sync::OnceLock<std::sync::Mutex<Opened>> = std::sync::OnceLock::new();
    OPEN.get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|p| p.into_inner())
}

/// Forgets a PostgreSQL workspace this process opened: its connections close once no store
/// opened from it is left (a process done with a workspace it will not open again: a test
/// that drops its schema). Nothing for a GeoPackage.
pub fn forget(location: &Path) {
    if let Some(url) = location
        .to_str()
        .and_then(|l| wangge_postgis::PgUrl::parse(l).ok())
    {
        open_workspaces().remove(&url.key());
    }
}

/// The PostgreSQL workspaces this process has opened, by URL: a second open shares the first
/// one's connection pool (a server opens its workspace per request) and its migrations ran
/// once.
fn opened(url: &wangge_postgis::PgUrl) -> Result<wangge_postgis::PgStore, wangge_postgis::Error> {
    let key = url.key();
    let mut open = open_workspaces();
    if let Some(s) = open.get(&key) {
        return Ok(s.clone());
    }
    let s = wangge_postgis::PgStore::open(url)?;
    open.insert(key, s.clone());
    Ok(s)
}

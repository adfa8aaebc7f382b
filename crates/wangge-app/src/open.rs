//! Which backend a workspace argument names: a `postgres://` URL (a schema of a PostgreSQL
//! database, `wangge-postgis`) or a path of a GeoPackage file (the embedded default). Every
//! command and the server open workspaces through here.

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
pub fn is_postgres(location: &str) -> bool {
    wangge_postgis::is_url(location)
}

/// Opens (or creates) the workspace at `location`. A PostgreSQL workspace's schema is made
/// or upgraded by its migrations on open; errors name it by its URL without the password.
pub fn open_store(location: &str, access: Access) -> Result<Box<dyn Store>, Error> {
    if !is_postgres(location) {
        return Ok(match access {
            Access::Read => Box::new(GeoPackage::open(location)?),
            Access::Write => Box::new(GeoPackage::open_for_writing(location)?),
            Access::Create => Box::new(GeoPackage::create(location)?),
        });
    }
    let redacted = || std::path::PathBuf::from(wangge_postgis::redact(location));
    let url = wangge_postgis::PgUrl::parse(location).map_err(|e| Error::Usage {
        path: redacted(),
        message: e.to_string(),
    })?;
    let store = wangge_postgis::PgStore::open(&url).map_err(|e| Error::Backend {
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

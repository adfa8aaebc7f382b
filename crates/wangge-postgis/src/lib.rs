//! Wangge's PostgreSQL/PostGIS backend (issue: several servers on one city-wide store).
//! A workspace is a schema of a database, named by a URL
//! (`postgres://user@host/db?schema=xuanwu`); its tables are made and changed only by
//! versioned migrations (`migrations/`, applied on open and by `wangge db upgrade`). So far
//! this crate holds the URL (passwords never shown), the connection pool and the migrations;
//! the store traits of `wangge-io` come next.

mod error;
mod migrate;
mod store;
mod url;

pub use error::Error;
pub use migrate::{Applied, MIGRATIONS, Migration, Pg};
pub use store::PgStore;
pub use url::{PgUrl, redact};

/// Whether a workspace argument names a PostgreSQL workspace rather than a GeoPackage file.
pub fn is_url(workspace: &str) -> bool {
    workspace.starts_with("postgres://") || workspace.starts_with("postgresql://")
}

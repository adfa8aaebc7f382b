//! What goes wrong with a PostgreSQL workspace; messages name the workspace by its redacted
//! URL (never the password).

/// A PostgreSQL workspace error.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The URL is not one we can use.
    #[error("workspace URL {url}: {why}")]
    Url { url: String, why: String },
    /// The server could not be reached or refused the login.
    #[error("workspace {url}: cannot connect: {why}")]
    Connect { url: String, why: String },
    /// A statement failed.
    #[error("workspace {url}: {what}: {why}")]
    Sql {
        url: String,
        what: String,
        why: String,
    },
    /// The schema was made by a newer Wangge (a migration this build does not know).
    #[error(
        "workspace {url}: schema version {found} is newer than this build knows ({known}); use a newer wangge"
    )]
    Newer { url: String, found: i32, known: i32 },
    /// A statement of the store failed: the server's reason (the store's error names the
    /// workspace).
    #[error("{0}")]
    Statement(String),
}

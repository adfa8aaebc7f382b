//! The workspace as a whole: where it is, what it holds, whether it changed.

use crate::Result;

/// The workspace as a whole.
pub trait Workspace {
    /// Where the workspace is, for messages (a file path; a URL without its password).
    fn location(&self) -> String;

    /// Makes every later write durable even under concurrent readers in other processes
    /// (GeoPackage: write-ahead logging with `synchronous = FULL`, a busy timeout of 10 s).
    /// Once a write returns, it survives the process being killed and a power cut. Idempotent.
    fn make_durable(&self) -> Result<()>;

    /// The newest entry of the import log (imports and `wangge incidents assign`), 0 when
    /// there is none: what incidents' areas and households were last changed by. Read.
    fn import_log_head(&self) -> Result<i64>;

    /// A short signature of what maps show (newest plan, service areas, gap areas, import
    /// log): it changes whenever any of them does. Caches and ETags key on it. Read (one
    /// statement per table; a write between them changes the next call's answer).
    fn data_version(&self) -> Result<String>;

    /// Feature counts per place layer. Read.
    fn counts(&self) -> Result<Vec<LayerCount>>;

    /// A digest of every row of the places, plans and incident events (FNV-1a over the
    /// values in key order, time stamps left out): equal digests mean equal content. Read.
    fn digest(&self) -> Result<u64>;

    /// The import log (imports, `wangge incidents assign`, copies), oldest first. Read.
    fn import_log(&self) -> Result<Vec<ImportEntry>>;

    /// Replaces the import log with another store's, entries as they were (ids and times
    /// kept; for copying a workspace, so both give the same data version). One transaction;
    /// durable on return.
    fn replace_import_log(&self, entries: &[ImportEntry]) -> Result<()>;

    /// A push feed of changes made by any process (PostgreSQL: `LISTEN`), or `None` when the
    /// backend has none and readers poll (a GeoPackage file).
    fn change_feed(&self) -> Result<Option<Box<dyn ChangeFeed>>> {
        Ok(None)
    }
}

/// Changes committed to a workspace by any process, as they happen.
pub trait ChangeFeed: Send {
    /// Waits up to `timeout` for a change; true when one (or several) came.
    fn wait(&mut self, timeout: std::time::Duration) -> Result<bool>;
}

/// Feature count of one layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerCount {
    pub layer: &'static str,
    pub features: u64,
}

/// One entry of the import log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportEntry {
    pub id: i64,
    /// When (UTC text as stored).
    pub time: String,
    pub command: String,
    pub sources: String,
    pub summary: String,
}

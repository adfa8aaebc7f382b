//! Photos of cases (a grid worker's picture with a report): stored in the workspace with the
//! incident they show, numbered per incident; the same bytes twice are stored once.

use crate::Result;
use wangge_core::Timestamp;

/// A stored photo without its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhotoMeta {
    /// The incident's key.
    pub incident: String,
    /// Its number among the incident's photos, from 1.
    pub n: u32,
    pub content_type: String,
    pub bytes: u64,
    pub sha256: String,
    pub at: Timestamp,
}

/// Photos of incidents.
pub trait PhotoStore {
    /// Stores a photo of an incident (its bytes as they are to be kept: checked and stripped
    /// by the caller), unless the same bytes are already stored for it; returns its number
    /// and whether it was already there. Refused when no incident has the key. One
    /// transaction; durable on return.
    fn add_photo(
        &mut self,
        incident: &str,
        content_type: &str,
        bytes: &[u8],
        at: Timestamp,
    ) -> Result<(u32, bool)>;

    /// The photos of one incident (`Some`) or of all, by incident and number. Read.
    fn photos(&self, incident: Option<&str>) -> Result<Vec<PhotoMeta>>;

    /// One photo's type and bytes. Read.
    fn photo(&self, incident: &str, n: u32) -> Result<Option<(String, Vec<u8>)>>;
}

/// The SHA-256 of a photo's bytes, hex (what finds a photo sent twice).
pub fn photo_sha256(bytes: &[u8]) -> String {
    wangge_core::kpi::sha256_hex(bytes)
}

//! Photos of cases: `POST /api/incidents/{id}/photos` (the image as the body), the list, one
//! photo.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// `POST /api/incidents/{id}/photos?keep_location=1`.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PhotoQuery {
    /// Keep the photo's location metadata (EXIF GPS, XMP); by default it is removed.
    pub keep_location: Option<String>,
}

/// A stored photo.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct PhotoAnswer {
    /// Its number among the incident's photos (`/api/incidents/{id}/photos/{n}`).
    pub n: u32,
    pub content_type: String,
    pub bytes: u64,
    pub sha256: String,
    /// When it was stored (UTC).
    pub at: String,
    /// Location metadata was removed (answer to a POST only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stripped: Option<bool>,
    /// The same photo was already stored (answer to a POST only): nothing doubled.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub existing: Option<bool>,
}

/// `GET /api/incidents/{id}/photos`.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct PhotosAnswer {
    pub id: String,
    pub photos: Vec<PhotoAnswer>,
}

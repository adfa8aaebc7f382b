//! For tests only: what the street-office answers are computed from, so an integration test
//! can compare them household by household with the CLI's stored results (the API itself
//! answers per area only: no address point leaves the server).

use crate::AppError;
use std::path::Path;

pub use crate::reach::Walks;

/// The server's walking distances for the workspace at `path`.
pub fn walks(path: &Path) -> Result<Walks, AppError> {
    let r = crate::reach::Reach::build(path)?;
    Ok(r.walks_for_tests())
}

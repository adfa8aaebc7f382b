//! The Wangge tile server: vector tiles of a workspace over XYZ and OGC API Tiles paths,
//! TileJSON 3.0, a MapLibre style with no external URL, and an OpenAPI document. Tiles are
//! encoded off the async threads, gzipped, tagged (ETag) and cached in memory; the cache is
//! dropped when the workspace gets a new plan.

#![recursion_limit = "512"]

mod auth;
mod cache;
pub mod contract;
mod error;
mod figures;
mod guard;
mod heat_cache;
pub mod inflight;
mod kept;
mod live;
mod memory;
mod planning;
mod reach;
mod routes;
mod serve;
mod state;
#[doc(hidden)]
pub mod testing;
pub mod tls;
mod zip;

pub use auth::Principal;
pub use error::AppError;
pub use routes::router;
pub use serve::serve;
pub use state::AppState;

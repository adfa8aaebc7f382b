//! Mapbox Vector Tiles 2.1: tile addresses and Web Mercator, the clip → simplify → snap →
//! orient pipeline, the protobuf encoder, and a strict decoder/validator for the tests.

pub mod clip;
pub mod encode;
pub mod fuzzing;
pub mod geometry;
pub mod pbf;
pub mod tile;
pub mod validate;
pub mod zoomed;

pub use clip::Clip;
pub use encode::{LayerBuilder, Value, encode_tile};
pub use geometry::{Pt, TileGeom};
pub use tile::{TileCoord, Transform, world};
pub use validate::{DecodedTile, Rules, validate};

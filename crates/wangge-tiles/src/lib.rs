//! Wangge rendering. For now a static PNG map of a plan (grids coloured by fill, building
//! footprints, address points), so every run can be looked at; vector tiles and heat maps
//! come with the tile-server and heat-map issues.

mod png_map;

pub use png_map::{MapLayer, MapStyle, render_png};

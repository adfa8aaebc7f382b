//! Wangge rendering: static PNG maps of plans (grids coloured by fill, building footprints,
//! address points) and bar charts of coverage shares, so every run can be looked at. Vector
//! tiles and heat maps come with the tile-server and heat-map issues.

mod chart;
mod png_map;
mod text;

pub use chart::bar_chart;
pub use png_map::{MapLayer, MapStyle, render_png};

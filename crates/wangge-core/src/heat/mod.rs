//! Heat maps: kernel density of incidents.

mod kernel;

pub use kernel::{Quartic, density, density_counts};

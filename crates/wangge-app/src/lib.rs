//! The application layer between the store (`wangge-io`) and the two front ends (the `wangge`
//! CLI and `wangge-server`): where both show the same figure, it is computed here, once.
//!
//! So far: `households` (which grid and community each address point's households count in,
//! an entrance split across grids counted in each by its share), used by walking coverage in
//! the CLI and the API. Issue 19 moves the other use cases here.

pub mod households;

pub use households::{HouseholdAreas, household_areas};

//! A deterministic synthetic Chinese district for demos, tests and benchmarks: arterial and
//! branch streets, gated compounds (小区) of walk-ups and towers with unit entrances,
//! communities of about 2,000 households, facilities of every life-circle category (with
//! deliberate gaps) and a year of incidents with daily and weekly rhythm and hot spots.
//! The same seed always gives the same city.

mod city;
mod incidents;
mod rng;

pub use city::{CityParams, generate};
pub use rng::Rng;

//! A deterministic synthetic Chinese district for demos, tests and benchmarks: arterial and
//! branch streets, gated compounds (小区) of walk-ups and towers with unit entrances,
//! communities of about 2,000 households, facilities of every life-circle category (with
//! deliberate gaps) and a year of incidents with daily and weekly rhythm and hot spots.
//! The same seed always gives the same city. A low-rise layout (houses of 1-6 households on
//! irregular streets with cul-de-sacs) stresses the partitioner with many small address points;
//! a dense-street layout (a street every 60 m) gives walking networks of a real city's size.

mod city;
mod components;
mod dense;
mod generate;
mod incidents;
mod lowrise;
mod past_assignments;
mod rng;
mod workforce;

pub use city::{CityParams, Layout};
pub use generate::generate;
pub use past_assignments::past_assignments;
pub use rng::Rng;
pub use workforce::workforce;

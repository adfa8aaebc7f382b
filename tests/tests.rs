//! Integration tests: one binary, one module per area.

mod util;

mod access;
mod attacks;

mod bad_inputs;
mod browser;
mod cli;
mod components;
mod coverage;
mod crs;
mod desk;
mod excel;
mod faults;
mod fuzz_seeds;
mod generate;
mod heat;
mod incidents;
mod kpi;
mod partition;
mod pg_feed;
mod plan_validity;
mod planner_api;
mod postgis;
mod reach_api;
mod real_data;
mod server;
mod store;
mod tiles;

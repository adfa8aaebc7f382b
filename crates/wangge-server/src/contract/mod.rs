//! The HTTP contract as types: requests (`Deserialize` + `IntoParams`) and answers
//! (`Serialize` + `ToSchema`) for the routes whose OpenAPI description is generated from them
//! (`routes/api.rs` merges it into `/api`). Routes not yet here are described by hand.

pub mod buildings;
pub mod components;
pub mod desk;
pub mod incidents;
pub mod kpi;
pub mod photos;
pub mod plans;
pub mod problem;
pub mod reach;
pub mod residents;
pub mod wall;

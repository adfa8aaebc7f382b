//! `/api/buildings/{key}`: a building's storeys, grid and entrances for the 3D view; the
//! households only to a role that may see them (an admin, planner or street office; a grid
//! worker in its own grid; never a leader).

use crate::contract::buildings::{BuildingAnswer, EntranceAnswer};
use crate::error::io;
use crate::{AppError, AppState, Principal};
use axum::extract::{Path, State};
use axum::{Extension, Json};
use wangge_core::access::Role;
use wangge_io::store::prelude::*;

/// One building.
#[utoipa::path(get, path = "/api/buildings/{key}", tag = "planner",
    params(("key" = String, Path, description = "the building's key")),
    responses(
        (status = 200, description = "the building", body = BuildingAnswer),
        (status = 404, description = "no such building"),
    ))]
pub async fn building(
    State(s): State<AppState>,
    Extension(who): Extension<Principal>,
    Path(key): Path<String>,
) -> Result<Json<BuildingAnswer>, AppError> {
    if s.live.is_none() {
        return Err(AppError::NotFound(
            "buildings come from a workspace, not a tile archive".into(),
        ));
    }
    let path = s.path.clone();
    tokio::task::spawn_blocking(move || answer(&path, &who, &key))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?
        .map(Json)
}

fn answer(path: &std::path::Path, who: &Principal, key: &str) -> Result<BuildingAnswer, AppError> {
    let store = wangge_io::GeoPackage::open(path).map_err(io)?;
    let data = store.load_places().map_err(io)?;
    let b = data
        .buildings
        .iter()
        .find(|b| b.key == key)
        .ok_or_else(|| AppError::NotFound(format!("no building {key:?}")))?;
    let grid_of: std::collections::HashMap<String, (String, u32)> =
        match store.latest_plan().map_err(io)? {
            Some(p) => store
                .plan_members(p)
                .map_err(io)?
                .into_iter()
                .map(|(k, g, h)| (k, (g, h)))
                .collect(),
            None => Default::default(),
        };
    let sees = |grid: Option<&str>| match who.role {
        Role::Admin | Role::Planner | Role::StreetOffice => true,
        Role::GridWorker => who.has_grid(grid),
        _ => false,
    };
    let mut per_grid: std::collections::BTreeMap<String, u64> = Default::default();
    let entrances: Vec<EntranceAnswer> = data
        .address_points
        .iter()
        .filter(|a| a.building.as_deref() == Some(key))
        .map(|a| {
            let grid = grid_of.get(&a.key).map(|g| g.0.clone());
            let households = grid_of
                .get(&a.key)
                .map_or(u64::from(a.households), |g| u64::from(g.1));
            if let Some(g) = &grid {
                *per_grid.entry(g.clone()).or_default() += households;
            }
            EntranceAnswer {
                households: sees(grid.as_deref()).then_some(households),
                key: a.key.clone(),
                grid,
            }
        })
        .collect();
    let grid = per_grid
        .iter()
        .max_by_key(|(_, n)| **n)
        .map(|(g, _)| g.clone());
    let all_seen = entrances.iter().all(|e| e.households.is_some());
    Ok(BuildingAnswer {
        key: b.key.clone(),
        name: b.name.clone(),
        kind: b.kind.clone(),
        levels: b.levels,
        levels_given: b.levels_given.is_some(),
        height_m: f64::from(b.levels) * 3.0,
        grid,
        households: all_seen.then(|| entrances.iter().filter_map(|e| e.households).sum()),
        entrances,
    })
}

//! `/api/buildings/{key}`: a building's storeys, grid and entrances for the 3D view; the
//! households only to a role that may see them (an admin, planner or street office; a grid
//! worker in its own grid; never a leader).

use crate::contract::buildings::{BuildingAnswer, EntranceAnswer};
use crate::error::io;
use crate::{AppError, AppState, Principal};
use axum::extract::{Path, State};
use axum::{Extension, Json};
use wangge_core::access::Role;

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
    let store = wangge_app::open_store(path, wangge_app::Access::Read).map_err(io)?;
    // The building and its entrances only (not the whole city per click).
    let (b, points) = store
        .building(key)
        .map_err(io)?
        .ok_or_else(|| AppError::NotFound(format!("no building {key:?}")))?;
    // Each entrance's grids in the current plan with their households (an entrance split by
    // floors is in several), and each grid's community.
    let mut grids_of: std::collections::HashMap<String, Vec<(String, u32)>> = Default::default();
    let mut community_of: std::collections::HashMap<String, String> = Default::default();
    if let Some(p) = store.latest_plan().map_err(io)? {
        for (k, g, h) in store.plan_members(p).map_err(io)? {
            grids_of.entry(k).or_default().push((g, h));
        }
        community_of = store.plan_grids(p).map_err(io)?.into_iter().collect();
    }
    // Households to an admin; to a planner or street office in its street; to a grid worker
    // in its grid; never to a leader.
    let sees = |grid: &str| match who.role {
        Role::Admin => true,
        Role::Planner | Role::StreetOffice => {
            who.has_community(community_of.get(grid).map(String::as_str))
        }
        Role::GridWorker => who.has_grid(Some(grid)),
        _ => false,
    };
    let mut per_grid: std::collections::BTreeMap<String, u64> = Default::default();
    let mut entrances: Vec<EntranceAnswer> = Vec::new();
    for a in &points {
        match grids_of.get(&a.key) {
            Some(parts) => {
                for (g, h) in parts {
                    *per_grid.entry(g.clone()).or_default() += u64::from(*h);
                    entrances.push(EntranceAnswer {
                        key: a.key.clone(),
                        grid: Some(g.clone()),
                        households: sees(g).then_some(u64::from(*h)),
                    });
                }
            }
            None => entrances.push(EntranceAnswer {
                key: a.key.clone(),
                grid: None,
                households: (who.role == Role::Admin).then_some(u64::from(a.households)),
            }),
        }
    }
    // The grid holding most households (ties: the smallest code), as the tiles colour it.
    let grid = per_grid
        .iter()
        .max_by(|x, y| x.1.cmp(y.1).then(y.0.cmp(x.0)))
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

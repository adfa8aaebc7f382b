//! What the planner mode asks of a workspace's plans: versions, grids with their figures,
//! edits (move buildings, split, merge) validated by the partitioner's own checks, restoring
//! an older version (undo/redo), partitioning one community with locked grids, comparing two
//! versions and exporting one. Every change is a new plan version with its parent, written
//! in one transaction; one change at a time (`PlanLock`).

use crate::contract::plans::{
    CompareAnswer, GridMatchAnswer, MoveAnswer, NameAnswer, NewVersion, PlanInfo, PlansAnswer,
};
use crate::error::io;
use crate::{AppError, Principal};
use serde_json::{Value, json};
use std::path::Path;
use std::sync::Mutex;
use wangge_app::plans::{PlanError, SavedVersion};
use wangge_core::partition::diff::diff;
use wangge_core::partition::edit::Edit;
use wangge_core::partition::{LockedGrid, Partitioner, partition_all_locked};
use wangge_io::store::Versioning;
use wangge_io::store::prelude::*;

/// Serialises plan changes: two edits of the same base never interleave.
#[derive(Default)]
pub struct PlanLock(Mutex<()>);

impl PlanLock {
    fn hold(&self) -> std::sync::MutexGuard<'_, ()> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn open(path: &Path) -> Result<Box<dyn wangge_io::Store>, AppError> {
    wangge_app::open_store(path, wangge_app::Access::Read).map_err(io)
}

/// Every plan version, oldest first.
pub fn list(path: &Path) -> Result<PlansAnswer, AppError> {
    let store = open(path)?;
    let plans = store
        .plans()
        .map_err(io)?
        .into_iter()
        .map(|p| PlanInfo {
            id: p.id,
            created: p.created,
            kind: p.kind,
            cap: p.cap,
            grids: p.grids,
            households: p.households,
            violations: p.violations,
            parent: p.parent,
            name: p.name,
            branch: p.branch,
        })
        .collect();
    Ok(PlansAnswer {
        plans,
        current: store.latest_plan().map_err(io)?,
    })
}

/// A plan's grids as GeoJSON (aggregates: codes, households, fill, buildings, workers,
/// compactness), optionally of one community.
pub fn grids(path: &Path, plan: i64, community: Option<&str>) -> Result<Value, AppError> {
    let store = open(path)?;
    let (_, cap, _) = store.plan_memberships(plan).map_err(io)?;
    let features: Vec<Value> = store
        .plan_grid_rows(plan)
        .map_err(io)?
        .into_iter()
        .filter(|g| community.is_none_or(|c| g.community == c))
        .map(|g| {
            let mp = geo_types::MultiPolygon(vec![g.polygon.clone()]);
            json!({
                "type": "Feature",
                "geometry": crate::reach::geometry_json(&mp),
                "properties": {
                    "code": g.code, "community": g.community, "households": g.households,
                    "fill_pct": (f64::from(g.households) * 1000.0 / f64::from(cap.max(1))).round() / 10.0,
                    "buildings": g.buildings, "workers": g.workers,
                    "area_m2": g.area_m2.round(), "polsby_popper": (g.polsby_popper * 1000.0).round() / 1000.0,
                    "reock": (g.reock * 1000.0).round() / 1000.0,
                }
            })
        })
        .collect();
    // The names of the grids' communities, for labels and tooltips: the imported ones and
    // those of record (a plan's community level).
    let names: serde_json::Map<String, Value> = store
        .communities()
        .map_err(io)?
        .into_iter()
        .chain(wangge_io::store::communities_of_record(&*store).map_err(io)?)
        .map(|c| (c.key, Value::String(c.name)))
        .collect();
    Ok(
        json!({ "type": "FeatureCollection", "plan": plan, "cap": cap,
               "community_names": names, "features": features }),
    )
}

/// A plan-change refusal as the client sees it.
fn plan_error(who: &Principal, e: PlanError) -> AppError {
    match e {
        PlanError::Refused(why) => AppError::RefusedWith {
            title: "Edit refused",
            detail: why.to_string(),
            code: why.code(),
            params: why.params(),
        },
        PlanError::OutOfScope { grid, community } => AppError::Forbidden(format!(
            "grid {grid} is in community {community}, outside this token's street {}",
            who.scope
        )),
        PlanError::NoPlan => AppError::NotFound("no plan yet".into()),
        PlanError::NoParent { plan } => {
            AppError::NotFound(format!("plan {plan} has no earlier version"))
        }
        PlanError::Stale { base, current } => AppError::ConflictWith {
            title: "Plan changed meanwhile",
            detail: format!(
                "plan {base} is no longer the current version ({}): another change came first; reload and edit again",
                current.map_or("none".to_string(), |c| c.to_string())
            ),
            code: "plan.stale".into(),
            params: vec![
                ("base", base.to_string()),
                ("current", current.map_or(String::new(), |c| c.to_string())),
            ],
        },
        PlanError::Store(e) => io(e),
        PlanError::Partition(e) => AppError::Internal(e.to_string()),
    }
}

/// The answer of a new version.
fn version(v: SavedVersion) -> NewVersion {
    NewVersion {
        plan: v.plan,
        parent: v.parent,
        base: v.base,
        kind: v.kind,
        grids: v.grids,
        violations: v.violations,
        moved_households: v.moved_households,
        moved_points: v.moved_points,
        changed: v.changed,
    }
}

/// Applies a planner's edit to `base` (wangge-app, as `wangge plan edit` does); an accepted
/// edit becomes a new version, a refused one answers 422 with the rule. A planner edits grids
/// of its own street only.
pub fn edit(
    lock: &PlanLock,
    path: &Path,
    who: &Principal,
    base: i64,
    edit: &Edit,
    branch: bool,
) -> Result<NewVersion, AppError> {
    let _held = lock.hold();
    let mut store = open(path)?;
    let out = wangge_app::plans::edit(
        store.as_mut(),
        base,
        edit,
        &|c| who.has_community(Some(c)),
        branch,
    )
    .map_err(|e| plan_error(who, e))?;
    store
        .audit(
            &who.actor(),
            who.role.as_str(),
            "plan.edit",
            &format!("plan {base} → {}: {edit:?}", out.plan),
        )
        .map_err(io)?;
    Ok(version(out))
}

/// Saves the grids of `plan` again as the newest version (undo and redo in the viewer;
/// wangge-app, as `wangge plan undo` does); every grid it changes must be in the token's
/// street.
pub fn restore(
    lock: &PlanLock,
    path: &Path,
    who: &Principal,
    plan: i64,
    expect: Option<i64>,
) -> Result<NewVersion, AppError> {
    let _held = lock.hold();
    let mut store = open(path)?;
    let out = wangge_app::plans::restore(
        store.as_mut(),
        plan,
        "restore",
        &|c| who.has_community(Some(c)),
        expect,
    )
    .map_err(|e| plan_error(who, e))?;
    store
        .audit(
            &who.actor(),
            who.role.as_str(),
            "plan.restore",
            &format!(
                "plan {plan} saved again as {} (from {}): grids {:?}",
                out.plan, out.base, out.changed
            ),
        )
        .map_err(io)?;
    Ok(version(out))
}

/// A re-partition of one community: grids kept as they are, the cap (default: the version's),
/// and whether the result is kept as a branch.
pub struct Repartition {
    pub community: String,
    pub locks: Vec<String>,
    pub cap: Option<u32>,
    pub branch: bool,
}

/// Partitions one community of `base` again, keeping its `locks` and every other community's
/// grids.
pub fn partition(
    lock: &PlanLock,
    path: &Path,
    who: &Principal,
    base: i64,
    job: &Repartition,
) -> Result<NewVersion, AppError> {
    let Repartition {
        community,
        locks,
        cap,
        branch,
    } = job;
    let (community, cap, branch) = (community.as_str(), *cap, *branch);
    if !who.has_community(Some(community)) {
        return Err(AppError::Forbidden(format!(
            "community {community} is outside this token's street {}",
            who.scope
        )));
    }
    let _held = lock.hold();
    let mut store = open(path)?;
    let (memberships, base_cap, _) = store.plan_memberships(base).map_err(io)?;
    if !memberships.iter().any(|(c, _, _)| c == community) {
        return Err(AppError::NotFound(format!(
            "plan {base} has no grid in community {community:?}"
        )));
    }
    for l in locks {
        if !memberships.iter().any(|(c, g, _)| g == l && c == community) {
            return Err(AppError::BadRequest(format!(
                "lock {l:?}: no such grid in community {community} of plan {base}"
            )));
        }
    }
    let cap = cap.unwrap_or(base_cap);
    let p = Partitioner::new(cap).map_err(|e| AppError::BadRequest(format!("cap: {e}")))?;
    let locked: Vec<LockedGrid> = memberships
        .into_iter()
        .filter(|(c, g, _)| c != community || locks.contains(g))
        .collect();
    let (data, level) =
        wangge_app::plans::places_of(store.as_ref(), base).map_err(|e| plan_error(who, e))?;
    let plan = partition_all_locked(&p, &data, &locked, &wangge_core::NoProgress);
    if let Some(c) = plan.communities.iter().find(|c| c.code == community)
        && let Some(v) = c.violations.first()
    {
        return Err(AppError::RefusedWith {
            title: "Partition refused",
            detail: format!("partition of {community}: {v}"),
            code: format!("plan.{}", v.kind.code()),
            params: v.params.clone(),
        });
    }
    let versioning = if branch {
        Versioning::Branch
    } else {
        Versioning::IfCurrent(base)
    };
    let out = wangge_app::plans::save(
        store.as_mut(),
        &plan,
        "partition",
        cap,
        base,
        base,
        &|c| who.has_community(Some(c)),
        versioning,
        &level,
    )
    .map_err(|e| plan_error(who, e))?;
    store
        .audit(
            &who.actor(),
            who.role.as_str(),
            "plan.partition",
            &format!(
                "plan {base} community {community} locks {locks:?} → {}",
                out.plan
            ),
        )
        .map_err(io)?;
    Ok(version(out))
}

/// Names a version (a planner's "save as").
pub fn name(
    lock: &PlanLock,
    path: &Path,
    who: &Principal,
    plan: i64,
    name: &str,
) -> Result<NameAnswer, AppError> {
    if name.chars().count() > 80 {
        return Err(AppError::BadRequest(
            "a plan name has at most 80 characters".into(),
        ));
    }
    let _held = lock.hold();
    let store = open(path)?;
    // A street's planner names only versions whose changes lie in its street: every grid
    // that differs from the version's parent (a first version: every grid).
    if who.scope != "*" {
        let rows = store.plans().map_err(io)?;
        let row = rows
            .iter()
            .find(|r| r.id == plan)
            .ok_or_else(|| AppError::NotFound(format!("no plan version {plan}")))?;
        let grids: std::collections::HashMap<String, String> =
            store.plan_grids(plan).map_err(io)?.into_iter().collect();
        let touched: Vec<String> = match row.parent {
            Some(p) => wangge_app::plans::changed_grids(&diff(
                &store.plan_members(p).map_err(io)?,
                &store.plan_members(plan).map_err(io)?,
            )),
            None => grids.keys().cloned().collect(),
        };
        for g in touched {
            let community = grids.get(&g).cloned().unwrap_or_default();
            if !who.has_community(Some(&community)) {
                return Err(AppError::Forbidden(format!(
                    "plan {plan} changed grid {g} in community {community}, outside this token's street {}",
                    who.scope
                )));
            }
        }
    }
    store.name_plan(plan, name).map_err(io)?;
    store
        .audit(
            &who.actor(),
            who.role.as_str(),
            "plan.name",
            &format!("plan {plan} named {:?}", name.trim()),
        )
        .map_err(io)?;
    Ok(NameAnswer {
        plan,
        name: name.trim().to_string(),
    })
}

/// Compares two versions: grids matched old → new, changed grids on both sides, moved
/// households listed by address point.
pub fn compare(path: &Path, a: i64, b: i64) -> Result<CompareAnswer, AppError> {
    let store = open(path)?;
    let d = diff(
        &store.plan_members(a).map_err(io)?,
        &store.plan_members(b).map_err(io)?,
    );
    let changed_in_a = d
        .matches
        .iter()
        .filter(|m| wangge_app::plans::changed(m))
        .map(|m| m.old.clone())
        .collect();
    let matches = d
        .matches
        .iter()
        .map(|m| GridMatchAnswer {
            old: m.old.clone(),
            new: m.new.clone(),
            shared: m.shared,
            old_households: m.old_households,
            new_households: m.new_households,
        })
        .collect();
    let moves = d
        .moves
        .iter()
        .map(|m| MoveAnswer {
            address: m.address.clone(),
            households: u64::from(m.households),
            from: m.from.clone(),
            to: m.to.clone(),
        })
        .collect();
    Ok(CompareAnswer {
        a,
        b,
        moved_households: d.moved_households,
        moves,
        changed_in_a,
        changed_in_b: wangge_app::plans::changed_grids(&d),
        new_grids: d.new_grids.clone(),
        matches,
        only_in_a: d.only_in_a,
        only_in_b: d.only_in_b,
    })
}

/// An export of a plan's grids: (content type, file name, bytes). Formats: geojson, gpkg,
/// shp (a zip of .shp, .shx, .dbf, .prj, .cpg), csv (the per-grid report, UTF-8 with BOM).
pub fn export(
    path: &Path,
    who: &Principal,
    plan: i64,
    format: &str,
) -> Result<(&'static str, String, Vec<u8>), AppError> {
    let store = open(path)?;
    store.plan_members(plan).map_err(io)?;
    if matches!(format, "geojson" | "gpkg" | "shp" | "csv") {
        store
            .audit(
                &who.actor(),
                who.role.as_str(),
                "plan.export",
                &format!("plan {plan} as {format}"),
            )
            .map_err(io)?;
    }
    let dir = tempfile::tempdir().map_err(|e| AppError::Internal(e.to_string()))?;
    let stem = format!("plan{plan}-grids");
    // The exporters read a GeoPackage: a PostgreSQL workspace's plan is written to one
    // first, exactly as stored.
    let gpkg = match wangge_app::is_postgres(path) {
        false => wangge_io::GeoPackage::open(path).map_err(io)?,
        true => {
            let mut g = wangge_io::GeoPackage::create(dir.path().join("plan.gpkg")).map_err(io)?;
            g.write_plan_record(&store.plan_record(plan).map_err(io)?)
                .map_err(io)?;
            g
        }
    };
    let read = |p: &Path| std::fs::read(p).map_err(|e| AppError::Internal(e.to_string()));
    match format {
        "geojson" | "gpkg" => {
            let out = dir.path().join(format!("{stem}.{format}"));
            wangge_io::export::export(&gpkg, "grids", &out, Some(plan)).map_err(io)?;
            let ct = if format == "gpkg" {
                "application/geopackage+sqlite3"
            } else {
                "application/geo+json"
            };
            Ok((ct, format!("{stem}.{format}"), read(&out)?))
        }
        "shp" => {
            let out = dir.path().join(format!("{stem}.shp"));
            wangge_io::export::export(&gpkg, "grids", &out, Some(plan)).map_err(io)?;
            let mut files = Vec::new();
            for ext in ["shp", "shx", "dbf", "prj", "cpg"] {
                let p = out.with_extension(ext);
                if p.exists() {
                    files.push((format!("{stem}.{ext}"), read(&p)?));
                }
            }
            let bytes = crate::zip::zip(&files).map_err(|e| AppError::Internal(e.to_string()))?;
            Ok(("application/zip", format!("{stem}.shp.zip"), bytes))
        }
        "csv" => {
            let (_, cap, _) = store.plan_memberships(plan).map_err(io)?;
            let mut csv = String::from(
                "\u{feff}grid,community,households,fill_pct,buildings,workers,area_m2,polsby_popper,reock\r\n",
            );
            for g in store.plan_grid_rows(plan).map_err(io)? {
                csv.push_str(&format!(
                    "{},{},{},{:.1},{},{},{:.0},{:.3},{:.3}\r\n",
                    g.code,
                    g.community,
                    g.households,
                    f64::from(g.households) * 100.0 / f64::from(cap.max(1)),
                    g.buildings,
                    g.workers,
                    g.area_m2,
                    g.polsby_popper,
                    g.reock
                ));
            }
            Ok((
                "text/csv; charset=utf-8",
                format!("plan{plan}-report.csv"),
                csv.into_bytes(),
            ))
        }
        other => Err(AppError::NotFound(format!(
            "no export format {other:?}; formats: geojson, gpkg, shp, csv"
        ))),
    }
}

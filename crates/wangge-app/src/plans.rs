//! Changing a plan: a planner's edit of a version, and restoring an earlier version (undo in
//! the CLI, undo and redo in the viewer). Every change is a new version with its parent; the
//! answer says what changed against the version it was made from. The front ends decide
//! who may change which community (`in_scope`), hold their own locks and write their own
//! audit lines.

use thiserror::Error;
use wangge_core::partition::diff::{GridMatch, PlanDiff, diff};
use wangge_core::partition::edit::{Edit, EditRefused, apply, rebuild};
use wangge_core::partition::{PartitionError, Partitioner, WorkspacePlan};
use wangge_io::Store;
use wangge_io::store::{StoredPlanCommunity, Versioning};

/// A new version and what changed against `base`.
#[derive(Debug, Clone, PartialEq)]
pub struct SavedVersion {
    pub plan: i64,
    pub parent: i64,
    /// The version compared against.
    pub base: i64,
    pub kind: String,
    pub grids: usize,
    pub violations: usize,
    pub moved_households: u64,
    pub moved_points: usize,
    /// Grid codes that are new or whose households changed.
    pub changed: Vec<String>,
}

/// Why a plan change is refused.
#[derive(Debug, Error)]
pub enum PlanError {
    #[error("no plan yet: run wangge partition first")]
    NoPlan,
    #[error("plan {plan} has no earlier version to go back to")]
    NoParent { plan: i64 },
    /// The edit breaks a rule (over the cap, not connected, unknown grid or building).
    #[error("edit refused: {0}")]
    Refused(EditRefused),
    /// The change touches a community outside the caller's scope.
    #[error("grid {grid} is in community {community}, outside the caller's scope")]
    OutOfScope { grid: String, community: String },
    /// The version changed is no longer the current one (another change came first).
    #[error("plan {base} is no longer the current version ({}); reload and edit again, or keep the change as a branch", current.map_or("none".to_string(), |c| c.to_string()))]
    Stale { base: i64, current: Option<i64> },
    #[error(transparent)]
    Partition(#[from] PartitionError),
    #[error("{0}")]
    Store(wangge_io::Error),
}

impl From<wangge_io::Error> for PlanError {
    fn from(e: wangge_io::Error) -> Self {
        match e {
            wangge_io::Error::StalePlan { base, current, .. } => Self::Stale { base, current },
            e => Self::Store(e),
        }
    }
}

impl PlanError {
    /// A stable machine code (front ends map codes, never messages).
    pub fn code(&self) -> String {
        match self {
            Self::NoPlan => "no_plan".into(),
            Self::NoParent { .. } => "no_parent".into(),
            Self::Refused(why) => why.code(),
            Self::OutOfScope { .. } => "out_of_scope".into(),
            Self::Stale { .. } => "stale".into(),
            Self::Partition(_) => "partition".into(),
            Self::Store(e) => e.code().into(),
        }
    }
}

/// The newest version.
pub fn latest(store: &dyn Store) -> Result<i64, PlanError> {
    store.latest_plan()?.ok_or(PlanError::NoPlan)
}

/// Whether an old grid's households did not all stay together under the same code.
pub fn changed(m: &GridMatch) -> bool {
    m.new.as_deref() != Some(m.old.as_str())
        || m.shared != m.old_households
        || m.new_households != m.old_households
}

/// The grids of `b` that differ from `a` (new codes, or codes whose households changed).
pub fn changed_grids(d: &PlanDiff) -> Vec<String> {
    let mut out: Vec<String> = d
        .matches
        .iter()
        .filter(|m| changed(m))
        .filter_map(|m| m.new.clone())
        .chain(d.new_grids.iter().cloned())
        .collect();
    out.sort();
    out.dedup();
    out
}

/// The memberships of a plan not yet stored: (address key, grid code, households).
fn members_of(plan: &WorkspacePlan) -> Vec<(String, String, u32)> {
    plan.communities
        .iter()
        .flat_map(|c| &c.grids)
        .flat_map(|g| {
            g.members
                .iter()
                .map(|(k, h)| (k.clone(), g.code.clone(), *h))
        })
        .collect()
}

/// Refuses a change to any grid outside the scope: every grid of `base` whose households
/// change (or that goes), and every grid of `plan` that is new, by the community it lies in.
fn check_scope(
    store: &dyn Store,
    plan: &WorkspacePlan,
    (base, d): (i64, &PlanDiff),
    in_scope: &dyn Fn(&str) -> bool,
) -> Result<(), PlanError> {
    let before: std::collections::HashMap<String, String> =
        store.plan_grids(base)?.into_iter().collect();
    let after: std::collections::HashMap<&str, &str> = plan
        .communities
        .iter()
        .flat_map(|c| c.grids.iter().map(|g| (g.code.as_str(), c.code.as_str())))
        .collect();
    let touched = d
        .matches
        .iter()
        .filter(|m| changed(m))
        .map(|m| (m.old.clone(), before.get(&m.old).cloned()))
        .chain(
            d.new_grids
                .iter()
                .map(|g| (g.clone(), after.get(g.as_str()).map(|c| c.to_string()))),
        );
    for (grid, community) in touched {
        let community = community.unwrap_or_default();
        if !in_scope(&community) {
            return Err(PlanError::OutOfScope { grid, community });
        }
    }
    Ok(())
}

/// The places a change of version `plan` works on, with the community level it keeps: the
/// imported places, or for a plan made with `partition --levels communities` the same with
/// the plan's own communities in place of the streets they were made from (its grids name
/// those), and those communities, which the new version stores again.
pub fn places_of(
    store: &dyn Store,
    plan: i64,
) -> Result<(wangge_core::Dataset, Vec<StoredPlanCommunity>), PlanError> {
    let places = store.load_places()?;
    let level = store.plan_communities(plan)?;
    if level.is_empty() {
        return Ok((places, level));
    }
    let data = wangge_core::partition::levels::with_planned_communities(
        &places,
        level
            .iter()
            .map(|c| (c.code.as_str(), c.street.as_str(), &c.polygon)),
    );
    Ok((data, level))
}

/// Saves `plan` as a new version made from `parent` and says what changed against `base`;
/// every grid it changes against `base` must lie in a community `in_scope` accepts, and
/// `versioning` says whether it becomes current (`IfCurrent(base)`: only if `base` still is).
/// `level`: the communities the plan's grids lie in when they were made from streets
/// ([`places_of`]), stored with the new version.
#[allow(clippy::too_many_arguments)]
pub fn save(
    store: &mut dyn Store,
    plan: &WorkspacePlan,
    kind: &str,
    cap: u32,
    base: i64,
    parent: i64,
    in_scope: &dyn Fn(&str) -> bool,
    versioning: Versioning,
    level: &[StoredPlanCommunity],
) -> Result<SavedVersion, PlanError> {
    // The members as they will be stored: the change is judged and reported before writing.
    let d = diff(&store.plan_members(base)?, &members_of(plan));
    check_scope(store, plan, (base, &d), in_scope)?;
    let id = store.write_version(plan, kind, cap, 0, Some(parent), versioning, level)?;
    Ok(SavedVersion {
        plan: id,
        parent,
        base,
        kind: kind.to_string(),
        grids: plan.metrics.grids,
        violations: plan.communities.iter().map(|c| c.violations.len()).sum(),
        moved_households: d.moved_households,
        moved_points: d.moves.len(),
        changed: changed_grids(&d),
    })
}

/// Applies a planner's edit to version `base`: an accepted edit becomes a new version whose
/// parent is `base`, current only if `base` still is (else [`PlanError::Stale`]), or kept
/// as a branch when `branch`; the grids the edit names and every grid it changes must lie in
/// communities `in_scope` accepts.
pub fn edit(
    store: &mut dyn Store,
    base: i64,
    edit: &Edit,
    in_scope: &dyn Fn(&str) -> bool,
    branch: bool,
) -> Result<SavedVersion, PlanError> {
    let (memberships, cap, _) = store.plan_memberships(base)?;
    let named: Vec<&String> = match edit {
        Edit::Move { to, .. } => vec![to],
        Edit::Split { grid } => vec![grid],
        Edit::Merge { a, b } => vec![a, b],
        Edit::Renumber { community } => memberships
            .iter()
            .filter(|(c, _, _)| c == community)
            .map(|(_, g, _)| g)
            .take(1)
            .collect(),
    };
    for g in named {
        if let Some((c, _, _)) = memberships.iter().find(|(_, code, _)| code == g)
            && !in_scope(c)
        {
            return Err(PlanError::OutOfScope {
                grid: g.clone(),
                community: c.clone(),
            });
        }
    }
    let (data, level) = places_of(store, base)?;
    let p = Partitioner::new(cap)?;
    let shares = store.plan_members(base)?;
    let plan = apply(&p, &data, (&memberships, &shares), edit).map_err(PlanError::Refused)?;
    let versioning = if branch {
        Versioning::Branch
    } else {
        Versioning::IfCurrent(base)
    };
    save(
        store, &plan, "edit", cap, base, base, in_scope, versioning, &level,
    )
}

/// Saves the grids of version `plan` again as the current version (`kind`: `restore`,
/// `undo`), made from the current one, or from `expect` when given (refused with
/// [`PlanError::Stale`] if another version became current since the caller looked); every
/// grid it changes must lie in a community `in_scope` accepts (now or in `plan`).
pub fn restore(
    store: &mut dyn Store,
    plan: i64,
    kind: &str,
    in_scope: &dyn Fn(&str) -> bool,
    expect: Option<i64>,
) -> Result<SavedVersion, PlanError> {
    let latest = latest(store)?;
    let base = expect.unwrap_or(latest);
    let (memberships, cap, _) = store.plan_memberships(plan)?;
    let (data, level) = places_of(store, plan)?;
    let shares = store.plan_members(plan)?;
    let rebuilt = rebuild(&Partitioner::new(cap)?, &data, &memberships, &shares);
    save(
        store,
        &rebuilt,
        kind,
        cap,
        base,
        base,
        in_scope,
        Versioning::IfCurrent(base),
        &level,
    )
}

/// Undoes the newest version: its parent's grids saved again as a new version.
pub fn undo(
    store: &mut dyn Store,
    in_scope: &dyn Fn(&str) -> bool,
) -> Result<(i64, SavedVersion), PlanError> {
    let newest = latest(store)?;
    let (_, _, parent) = store.plan_memberships(newest)?;
    let parent = parent.ok_or(PlanError::NoParent { plan: newest })?;
    Ok((
        parent,
        restore(store, parent, "undo", in_scope, Some(newest))?,
    ))
}

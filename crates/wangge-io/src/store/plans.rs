//! Plans: versions of grid partitions, their grids, members, groups and communities.

use crate::Result;
use geo_types::Polygon;
use wangge_core::partition::{CommunityPlan, LockedGrid, WorkspacePlan, incremental::BaseGrid};

/// How a new plan version relates to the current one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Versioning {
    /// It becomes current (a new partition, an import).
    Current,
    /// It becomes current only if version `base` still is (a planner's edit of `base`).
    IfCurrent(i64),
    /// It is kept as a version that never becomes current (a branch made on purpose).
    Branch,
}

/// Plan versions. A version is never changed after it is written, except for its name; an
/// edit writes a new version whose parent is the one it was made from.
pub trait PlanStore {
    /// Stores a plan as a new version (grids, members, exceptions) that becomes the current
    /// one; returns its id. One transaction; durable on return.
    fn write_plan(
        &mut self,
        plan: &WorkspacePlan,
        kind: &str,
        cap: u32,
        seed: u64,
        parent: Option<i64>,
    ) -> Result<i64> {
        self.write_version(plan, kind, cap, seed, parent, Versioning::Current, &[])
    }

    /// Stores a plan as a new version, current or not as `versioning` says, with `level`
    /// (the communities its grids lie in when a plan made them from streets: `partition
    /// --levels communities`, and every version made from such a plan; empty otherwise); with
    /// [`Versioning::IfCurrent`], refused with [`crate::Error::StalePlan`] (nothing written)
    /// when another version became current since. One transaction that checks and writes
    /// (no other writer between), so no version is seen without its communities; durable on
    /// return.
    #[allow(clippy::too_many_arguments)]
    fn write_version(
        &mut self,
        plan: &WorkspacePlan,
        kind: &str,
        cap: u32,
        seed: u64,
        parent: Option<i64>,
        versioning: Versioning,
        level: &[StoredPlanCommunity],
    ) -> Result<i64>;

    /// The current plan version (the newest that is not a branch), if any. Read.
    fn latest_plan(&self) -> Result<Option<i64>>;

    /// Every plan version, oldest first. Read.
    fn plans(&self) -> Result<Vec<PlanRow>>;

    /// Memberships of a plan: (address key, grid code, households). Read.
    fn plan_members(&self, plan: i64) -> Result<Vec<(String, String, u32)>>;

    /// Grids of a plan: (code, community). Read.
    fn plan_grids(&self, plan: i64) -> Result<Vec<(String, String)>>;

    /// The grids of `plan` as a planner reads them, by code. Read (members, then grids).
    fn plan_grid_rows(&self, plan: i64) -> Result<Vec<GridRow>>;

    /// The grids of `plan` as maps draw them, in the order they were stored. Read.
    fn plan_grid_shapes(&self, plan: i64) -> Result<Vec<GridShape>>;

    /// The residents' groups of `plan` in the order they were stored (none when the plan has
    /// no groups). Read.
    fn plan_group_shapes(&self, plan: i64) -> Result<Vec<GroupShape>>;

    /// Names a plan version (a planner's "save as"); an empty name clears it. One statement;
    /// durable on return.
    fn name_plan(&self, plan: i64, name: &str) -> Result<()>;

    /// A plan's grids with polygons and members, for incremental re-partition. Read.
    fn base_grids(&self, plan: i64) -> Result<Vec<BaseGrid>>;

    /// A plan as memberships per grid: (community, grid code, address keys), and its cap and
    /// parent. Read.
    fn plan_memberships(&self, plan: i64) -> Result<(Vec<LockedGrid>, u32, Option<i64>)>;

    /// Stores residents' groups of a plan (one `CommunityPlan` per grid), replacing the
    /// plan's earlier groups. One transaction; durable on return.
    fn write_groups(&mut self, plan: i64, groups: &[CommunityPlan]) -> Result<()>;

    /// The communities `plan` made from streets (`partition --levels communities`), in
    /// stored order; none for a plan over the imported communities. Read.
    fn plan_communities(&self, plan: i64) -> Result<Vec<StoredPlanCommunity>>;

    /// A plan version exactly as stored, with its grids, members, exceptions, residents'
    /// groups and communities (for copying a workspace between backends);
    /// [`crate::Error::NotFound`] for an unknown plan. Read (one snapshot).
    fn plan_record(&self, plan: i64) -> Result<PlanRecord>;

    /// Writes a plan version as stored, keeping its id, time and parent (the parent must be
    /// written first); refused with [`crate::Error::DuplicateKey`] (nothing written) when a
    /// version with that id exists. Later versions get ids above every stored one. One
    /// transaction; durable on return.
    fn write_plan_record(&mut self, record: &PlanRecord) -> Result<()>;
}

/// A plan version exactly as stored (for copying a workspace between backends).
#[derive(Debug, Clone, PartialEq)]
pub struct PlanRecord {
    pub id: i64,
    /// When it was made (UTC text as stored, e.g. `2026-12-06T08:00:00.000Z`).
    pub created: String,
    pub kind: String,
    pub cap: u32,
    pub seed: i64,
    pub parent: Option<i64>,
    pub name: Option<String>,
    pub branch: bool,
    pub communities: i64,
    pub grids: i64,
    pub households: i64,
    pub lower_bound: i64,
    pub packing_bound: i64,
    pub pp_mean: f64,
    pub pp_p10: f64,
    pub pp_min: f64,
    pub reock_mean: f64,
    pub street_share: f64,
    pub violations: i64,
    /// In stored order.
    pub grid_rows: Vec<StoredGrid>,
    /// (grid code, address key, households), by address key then grid (byte order).
    pub members: Vec<(String, String, u32)>,
    /// (kind, subject, detail), in stored order.
    pub exceptions: Vec<(String, String, String)>,
    /// Residents' groups, in stored order.
    pub groups: Vec<StoredGroup>,
    /// (group code, address key, households), by address key then group (byte order).
    pub group_members: Vec<(String, String, u32)>,
    /// Communities the plan made from streets, in stored order.
    pub plan_communities: Vec<StoredPlanCommunity>,
}

/// One grid of a plan version as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredGrid {
    pub code: String,
    pub community: String,
    pub households: u32,
    pub workers: u32,
    pub area_m2: f64,
    pub polsby_popper: f64,
    pub reock: f64,
    pub polygon: Polygon<f64>,
}

/// One residents' group of a plan version as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredGroup {
    pub code: String,
    pub grid: String,
    pub households: u32,
    pub polsby_popper: f64,
    pub polygon: Polygon<f64>,
}

/// One community a plan version made from a street, as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredPlanCommunity {
    pub code: String,
    pub street: String,
    pub households: u32,
    pub area_m2: f64,
    pub polsby_popper: f64,
    pub polygon: Polygon<f64>,
}

impl StoredPlanCommunity {
    /// The communities of a community level as `partition --levels communities` makes it
    /// (one "grid" per community, under its street), as they are stored.
    pub fn of_level(level: &WorkspacePlan) -> Vec<StoredPlanCommunity> {
        level
            .communities
            .iter()
            .flat_map(|street| {
                street.grids.iter().map(|c| StoredPlanCommunity {
                    code: c.code.clone(),
                    street: street.code.clone(),
                    households: c.households,
                    area_m2: c.area_m2,
                    polsby_popper: c.polsby_popper,
                    polygon: c.polygon.clone(),
                })
            })
            .collect()
    }
}

/// One grid of a plan version.
#[derive(Debug, Clone, PartialEq)]
pub struct GridRow {
    pub code: String,
    pub community: String,
    pub polygon: Polygon<f64>,
    pub households: u32,
    /// Buildings with at least one address point in the grid.
    pub buildings: u32,
    pub workers: u32,
    pub area_m2: f64,
    pub polsby_popper: f64,
    pub reock: f64,
}

/// One grid of a plan version as maps draw it.
#[derive(Debug, Clone, PartialEq)]
pub struct GridShape {
    pub code: String,
    pub community: String,
    pub households: u32,
    pub workers: u32,
    pub polygon: Polygon<f64>,
}

/// One residents' group (居民小组) of a plan version as maps draw it.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupShape {
    pub code: String,
    pub grid: String,
    pub households: u32,
    pub polygon: Polygon<f64>,
}

/// A stored plan version.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanRow {
    /// Kept aside from the current line (`Versioning::Branch`): never current.
    pub branch: bool,
    pub id: i64,
    pub created: String,
    pub kind: String,
    pub cap: u32,
    pub grids: i64,
    pub households: i64,
    pub violations: i64,
    /// The version this one was made from (edits, undo, partial runs).
    pub parent: Option<i64>,
    /// A planner's name for the version (`GeoPackage::name_plan`).
    pub name: Option<String>,
}

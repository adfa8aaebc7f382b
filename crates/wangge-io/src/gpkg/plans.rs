//! Plan versions in the workspace: `plans` (one row per run or accepted edit), the `grids`
//! polygon layer, `grid_members` (address point → grid) and `plan_exceptions` (splits,
//! points outside communities, communities that could not be partitioned). Created on first use.

use super::geometry::encode;
use super::plan_grids;
use super::schema::{GRIDS, GROUPS, PLAN_COMMUNITIES};
use super::store::GeoPackage;
use crate::store::PlanStore;
use crate::store::{
    GridRow, GridShape, GroupShape, PlanRecord, PlanRow, StoredGrid, StoredGroup,
    StoredPlanCommunity, Versioning,
};
use crate::{Error, Result};
use geo_types::Geometry;
use rusqlite::{OptionalExtension, params};
use wangge_core::partition::{SplitKind, WorkspacePlan};

const DDL: &str = "
CREATE TABLE IF NOT EXISTS plans (
  id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
  created DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  kind TEXT NOT NULL, cap INTEGER NOT NULL, seed INTEGER NOT NULL, parent INTEGER,
  communities INTEGER NOT NULL, grids INTEGER NOT NULL, households INTEGER NOT NULL,
  lower_bound INTEGER NOT NULL, packing_bound INTEGER NOT NULL,
  pp_mean REAL NOT NULL, pp_p10 REAL NOT NULL, pp_min REAL NOT NULL, reock_mean REAL NOT NULL,
  street_share REAL NOT NULL, violations INTEGER NOT NULL, name TEXT);
CREATE TABLE IF NOT EXISTS grid_members (
  plan_id INTEGER NOT NULL, grid TEXT NOT NULL, address_key TEXT NOT NULL, households INTEGER NOT NULL,
  PRIMARY KEY (plan_id, address_key, grid));
CREATE TABLE IF NOT EXISTS plan_exceptions (
  plan_id INTEGER NOT NULL, kind TEXT NOT NULL, subject TEXT NOT NULL, detail TEXT NOT NULL);
";

impl GeoPackage {
    fn ensure_plan_tables(&self) -> Result<()> {
        let sql = self.sql();
        if !self.has_table("grids")? {
            let mut ddl = format!("{DDL}\n{}", super::schema::layer_ddl(&GRIDS));
            for t in ["plans", "grid_members", "plan_exceptions"] {
                ddl.push_str(&format!(
                    "INSERT INTO gpkg_contents (table_name, data_type, identifier, description) VALUES ('{t}', 'attributes', '{t}', 'Wangge grid plans');\n"
                ));
            }
            GeoPackage::ddl(self.connection(), &ddl).map_err(&sql)?;
        }
        // Plans made before versions could be named or kept as branches get the columns.
        for (column, decl) in [("name", "TEXT"), ("branch", "INTEGER NOT NULL DEFAULT 0")] {
            if !self.has_column("plans", column)? {
                self.connection()
                    .execute_batch(&format!("ALTER TABLE plans ADD COLUMN {column} {decl};"))
                    .map_err(&sql)?;
            }
        }
        Ok(())
    }
}

/// The current version: the newest that is not a branch.
const CURRENT_PLAN: &str = "SELECT max(id) FROM plans WHERE branch = 0";

/// The grids layer's extent after a new version: that of the communities.
const GRID_EXTENT: &str =
    "UPDATE gpkg_contents SET last_change = strftime('%Y-%m-%dT%H:%M:%fZ','now'),
               min_x = (SELECT min(min_x) FROM gpkg_contents WHERE table_name = 'communities'),
               min_y = (SELECT min(min_y) FROM gpkg_contents WHERE table_name = 'communities'),
               max_x = (SELECT max(max_x) FROM gpkg_contents WHERE table_name = 'communities'),
               max_y = (SELECT max(max_y) FROM gpkg_contents WHERE table_name = 'communities')
             WHERE table_name = 'grids'";

/// The residents' groups layer's extent: that of the grids.
const GROUP_EXTENT: &str = "UPDATE gpkg_contents SET (min_x, min_y, max_x, max_y) = (SELECT min_x, min_y, max_x, max_y FROM gpkg_contents WHERE table_name = 'grids') WHERE table_name = 'resident_groups'";

/// The residents' groups layer and its members table, made with a workspace's first groups.
fn groups_ddl() -> String {
    format!(
        "{}CREATE TABLE resident_group_members (plan_id INTEGER NOT NULL, grp TEXT NOT NULL, address_key TEXT NOT NULL, households INTEGER NOT NULL);\n\
         INSERT INTO gpkg_contents (table_name, data_type, identifier, description) VALUES ('resident_group_members', 'attributes', 'resident_group_members', 'Wangge residents groups');\n",
        super::schema::layer_ddl(&GROUPS)
    )
}

impl PlanStore for GeoPackage {
    fn plan_grid_shapes(&self, plan: i64) -> Result<Vec<GridShape>> {
        plan_grids::plan_grid_shapes(self, plan)
    }

    fn plan_group_shapes(&self, plan: i64) -> Result<Vec<GroupShape>> {
        plan_grids::plan_group_shapes(self, plan)
    }

    // Long: one transaction checking the current version and writing a plan version's four
    // tables in order.
    fn write_version(
        &mut self,
        plan: &WorkspacePlan,
        kind: &str,
        cap: u32,
        seed: u64,
        parent: Option<i64>,
        versioning: Versioning,
        level: &[StoredPlanCommunity],
    ) -> Result<i64> {
        self.ensure_plan_tables()?;
        let level_table = !level.is_empty() && !self.has_table(PLAN_COMMUNITIES.name)?;
        let path = self.path().to_path_buf();
        let sql = |source| crate::gpkg::backend_error(path.clone(), source);
        let m = &plan.metrics;
        let violations: usize = plan.communities.iter().map(|c| c.violations.len()).sum();
        // Immediate: the check and the write hold the write lock together, so a second
        // writer waits and then sees this version as current.
        let tx = self
            .connection_mut()
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(&sql)?;
        if let Versioning::IfCurrent(base) = versioning {
            let current: Option<i64> =
                tx.query_row(CURRENT_PLAN, [], |r| r.get(0)).map_err(&sql)?;
            if current != Some(base) {
                return Err(Error::StalePlan {
                    path: path.clone(),
                    base,
                    current,
                });
            }
        }
        tx.execute(
            "INSERT INTO plans (kind, cap, seed, parent, communities, grids, households, lower_bound, packing_bound,
               pp_mean, pp_p10, pp_min, reock_mean, street_share, violations, branch)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
            params![kind, cap, seed as i64, parent, m.communities as i64, m.grids as i64, m.households as i64,
                m.lower_bound as i64, m.packing_bound as i64, m.pp_mean, m.pp_p10, m.pp_min, m.reock_mean, m.street_share, violations as i64,
                versioning == Versioning::Branch],
        )
        .map_err(&sql)?;
        let id = tx.last_insert_rowid();
        {
            let mut grid = tx
                .prepare("INSERT INTO grids (geom, key, plan_id, code, community, households, workers, area_m2, polsby_popper, reock)
                          VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)")
                .map_err(&sql)?;
            let mut member = tx
                .prepare("INSERT INTO grid_members VALUES (?1, ?2, ?3, ?4)")
                .map_err(&sql)?;
            let mut exception = tx
                .prepare("INSERT INTO plan_exceptions VALUES (?1, ?2, ?3, ?4)")
                .map_err(&sql)?;
            for c in &plan.communities {
                for g in &c.grids {
                    grid.execute(params![
                        encode(&Geometry::Polygon(g.polygon.clone()), 4326),
                        format!("{id}:{}", g.code),
                        id,
                        g.code,
                        c.code,
                        g.households,
                        g.workers,
                        g.area_m2,
                        g.polsby_popper,
                        g.reock
                    ])
                    .map_err(&sql)?;
                    for (k, h) in &g.members {
                        member.execute(params![id, g.code, k, h]).map_err(&sql)?;
                    }
                }
                for s in &c.splits {
                    let kind = match s.kind {
                        SplitKind::ByEntrances => "split_by_entrances",
                        SplitKind::ByFloors => "split_by_floors",
                        SplitKind::ByHouseholds => "split_by_households_no_unit_data",
                    };
                    exception
                        .execute(params![
                            id,
                            kind,
                            s.what,
                            format!(
                                "{} households in {} parts (community {})",
                                s.households, s.parts, c.code
                            )
                        ])
                        .map_err(&sql)?;
                }
                for v in &c.violations {
                    exception
                        .execute(params![id, "violation", c.code, v.message])
                        .map_err(&sql)?;
                }
            }
            for e in &plan.errors {
                exception
                    .execute(params![id, "community_not_partitioned", "", e.to_string()])
                    .map_err(&sql)?;
            }
            for k in &plan.outside {
                exception
                    .execute(params![
                        id,
                        "address_outside_communities",
                        k,
                        "in no community; not placed in any grid"
                    ])
                    .map_err(&sql)?;
            }
            for k in &plan.ambiguous {
                exception
                    .execute(params![
                        id,
                        "address_in_several_communities",
                        k,
                        "placed in the first community"
                    ])
                    .map_err(&sql)?;
            }
        }
        if level_table {
            tx.execute_batch(&super::schema::layer_ddl(&PLAN_COMMUNITIES))
                .map_err(&sql)?;
        }
        if !level.is_empty() {
            insert_plan_communities(&tx, id, level).map_err(&sql)?;
        }
        tx.execute(GRID_EXTENT, []).map_err(&sql)?;
        tx.commit().map_err(&sql)?;
        Ok(id)
    }

    fn latest_plan(&self) -> Result<Option<i64>> {
        // A read: a workspace without plan tables has no plan (and gets none made here).
        if !self.has_table("grids")? {
            return Ok(None);
        }
        self.ensure_plan_tables()?;
        self.connection()
            .query_row(CURRENT_PLAN, [], |r| r.get(0))
            .map_err(|source| crate::gpkg::backend_error(self.path().to_path_buf(), source))
    }

    fn plans(&self) -> Result<Vec<PlanRow>> {
        self.ensure_plan_tables()?;
        let sql = self.sql();
        let mut stmt = self
            .connection()
            .prepare("SELECT id, created, kind, cap, grids, households, violations, parent, name, branch FROM plans ORDER BY id")
            .map_err(&sql)?;
        let rows = stmt
            .query_map([], |r| {
                Ok(PlanRow {
                    id: r.get(0)?,
                    created: r.get(1)?,
                    kind: r.get(2)?,
                    cap: r.get(3)?,
                    grids: r.get(4)?,
                    households: r.get(5)?,
                    violations: r.get(6)?,
                    parent: r.get(7)?,
                    name: r.get(8)?,
                    branch: r.get(9)?,
                })
            })
            .map_err(&sql)?;
        rows.collect::<std::result::Result<_, _>>().map_err(&sql)
    }

    fn plan_members(&self, plan: i64) -> Result<Vec<(String, String, u32)>> {
        self.ensure_plan_tables()?;
        let sql = self.sql();
        let known: i64 = self
            .connection()
            .query_row("SELECT count(*) FROM plans WHERE id = ?1", [plan], |r| {
                r.get(0)
            })
            .map_err(&sql)?;
        if known == 0 {
            return Err(Error::NotFound {
                path: self.path().to_path_buf(),
                message: format!("has no plan {plan}; `wangge plan list` shows the versions"),
            });
        }
        let mut stmt = self
            .connection()
            .prepare("SELECT address_key, grid, households FROM grid_members WHERE plan_id = ?1 ORDER BY address_key, grid")
            .map_err(&sql)?;
        let rows = stmt
            .query_map([plan], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .map_err(&sql)?;
        rows.collect::<std::result::Result<_, _>>().map_err(&sql)
    }

    fn plan_grids(&self, plan: i64) -> Result<Vec<(String, String)>> {
        self.ensure_plan_tables()?;
        let sql = self.sql();
        let mut stmt = self
            .connection()
            .prepare("SELECT code, community FROM grids WHERE plan_id = ?1 ORDER BY code")
            .map_err(&sql)?;
        let rows = stmt
            .query_map([plan], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(&sql)?;
        rows.collect::<std::result::Result<_, _>>().map_err(&sql)
    }

    fn base_grids(&self, plan: i64) -> Result<Vec<wangge_core::partition::incremental::BaseGrid>> {
        let mut members: std::collections::HashMap<String, Vec<(String, u32)>> =
            std::collections::HashMap::new();
        for (k, g, h) in self.plan_members(plan)? {
            members.entry(g).or_default().push((k, h));
        }
        let mut out = Vec::new();
        self.read_layer_where(&GRIDS, Some(plan), |g, _key, row| {
            let code: String = row.get(4)?;
            let community: String = row.get(5)?;
            if let Geometry::Polygon(polygon) = g {
                let members = members.remove(&code).unwrap_or_default();
                out.push(wangge_core::partition::incremental::BaseGrid {
                    code,
                    community,
                    polygon,
                    members,
                });
            }
            Ok(())
        })?;
        Ok(out)
    }

    fn plan_memberships(
        &self,
        plan: i64,
    ) -> Result<(Vec<wangge_core::partition::LockedGrid>, u32, Option<i64>)> {
        let grids: std::collections::BTreeMap<String, String> =
            self.plan_grids(plan)?.into_iter().collect();
        let mut keys: std::collections::BTreeMap<String, Vec<String>> =
            std::collections::BTreeMap::new();
        for (k, g, _) in self.plan_members(plan)? {
            keys.entry(g).or_default().push(k);
        }
        let sql = self.sql();
        let (cap, parent): (u32, Option<i64>) = self
            .connection()
            .query_row("SELECT cap, parent FROM plans WHERE id = ?1", [plan], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .map_err(&sql)?;
        let out = grids
            .into_iter()
            .map(|(g, c)| (c, g.clone(), keys.remove(&g).unwrap_or_default()))
            .collect();
        Ok((out, cap, parent))
    }

    fn write_groups(
        &mut self,
        plan: i64,
        groups: &[wangge_core::partition::CommunityPlan],
    ) -> Result<()> {
        let path = self.path().to_path_buf();
        let sql = |source| crate::gpkg::backend_error(path.clone(), source);
        if !self.has_table("resident_groups")? {
            GeoPackage::ddl(self.connection(), &groups_ddl()).map_err(&sql)?;
        }
        let tx = self.connection_mut().transaction().map_err(&sql)?;
        {
            let mut g = tx
                .prepare("INSERT INTO resident_groups (geom, key, plan_id, code, grid, households, polsby_popper) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")
                .map_err(&sql)?;
            let mut m = tx
                .prepare("INSERT INTO resident_group_members VALUES (?1, ?2, ?3, ?4)")
                .map_err(&sql)?;
            for grid in groups {
                for x in &grid.grids {
                    g.execute(params![
                        encode(&Geometry::Polygon(x.polygon.clone()), 4326),
                        format!("{plan}:{}", x.code),
                        plan,
                        x.code,
                        grid.code,
                        x.households,
                        x.polsby_popper
                    ])
                    .map_err(&sql)?;
                    for (k, h) in &x.members {
                        m.execute(params![plan, x.code, k, h]).map_err(&sql)?;
                    }
                }
            }
        }
        tx.execute(GROUP_EXTENT, []).map_err(&sql)?;
        tx.commit().map_err(&sql)
    }

    fn plan_communities(&self, plan: i64) -> Result<Vec<StoredPlanCommunity>> {
        stored_plan_communities(self, plan)
    }

    fn plan_grid_rows(&self, plan: i64) -> Result<Vec<GridRow>> {
        plan_grids::plan_grid_rows(self, plan)
    }

    fn name_plan(&self, plan: i64, name: &str) -> Result<()> {
        plan_grids::name_plan(self, plan, name)
    }

    fn plan_record(&self, plan: i64) -> Result<PlanRecord> {
        self.ensure_plan_tables()?;
        let sql = self.sql();
        // One read transaction: the version and its rows as of one moment.
        let tx = self.connection().unchecked_transaction().map_err(&sql)?;
        let mut record = stored_plan(self, plan)?;
        record.grid_rows = stored_grids(self, plan)?;
        record.members = triples(
            self,
            "SELECT grid, address_key, households FROM grid_members WHERE plan_id = ?1
             ORDER BY address_key, grid",
            plan,
        )?;
        record.exceptions = triples(
            self,
            "SELECT kind, subject, detail FROM plan_exceptions WHERE plan_id = ?1 ORDER BY rowid",
            plan,
        )?;
        record.groups = stored_groups(self, plan)?;
        if self.has_table("resident_group_members")? {
            record.group_members = triples(
                self,
                "SELECT grp, address_key, households FROM resident_group_members WHERE plan_id = ?1
                 ORDER BY address_key, grp, rowid",
                plan,
            )?;
        }
        record.plan_communities = stored_plan_communities(self, plan)?;
        tx.commit().map_err(&sql)?;
        Ok(record)
    }

    fn write_plan_record(&mut self, record: &PlanRecord) -> Result<()> {
        self.ensure_plan_tables()?;
        let has_groups = !record.groups.is_empty() || !record.group_members.is_empty();
        let new_groups = has_groups && !self.has_table(GROUPS.name)?;
        let new_communities =
            !record.plan_communities.is_empty() && !self.has_table(PLAN_COMMUNITIES.name)?;
        let path = self.path().to_path_buf();
        let sql = |source| crate::gpkg::backend_error(path.clone(), source);
        // Immediate: the check and the write hold the write lock together.
        let tx = self
            .connection_mut()
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(&sql)?;
        let stored: i64 = tx
            .query_row(
                "SELECT count(*) FROM plans WHERE id = ?1",
                [record.id],
                |r| r.get(0),
            )
            .map_err(&sql)?;
        if stored > 0 {
            return Err(Error::DuplicateKey {
                layer: "plans",
                key: record.id.to_string(),
                message: "is already a plan version in the workspace; nothing was written".into(),
            });
        }
        if new_groups {
            tx.execute_batch(&groups_ddl()).map_err(&sql)?;
        }
        if new_communities {
            tx.execute_batch(&super::schema::layer_ddl(&PLAN_COMMUNITIES))
                .map_err(&sql)?;
        }
        write_record(&tx, record).map_err(&sql)?;
        tx.commit().map_err(&sql)
    }
}

/// A plan's row as a record without its grids and other rows; `NotFound` for an unknown plan.
fn stored_plan(store: &GeoPackage, plan: i64) -> Result<PlanRecord> {
    let sql = store.sql();
    let record = store
        .connection()
        .query_row(
            "SELECT created, kind, cap, seed, parent, name, branch, communities, grids, households,
               lower_bound, packing_bound, pp_mean, pp_p10, pp_min, reock_mean, street_share,
               violations
             FROM plans WHERE id = ?1",
            [plan],
            |r| {
                Ok(PlanRecord {
                    id: plan,
                    created: r.get(0)?,
                    kind: r.get(1)?,
                    cap: r.get(2)?,
                    seed: r.get(3)?,
                    parent: r.get(4)?,
                    name: r.get(5)?,
                    branch: r.get(6)?,
                    communities: r.get(7)?,
                    grids: r.get(8)?,
                    households: r.get(9)?,
                    lower_bound: r.get(10)?,
                    packing_bound: r.get(11)?,
                    pp_mean: r.get(12)?,
                    pp_p10: r.get(13)?,
                    pp_min: r.get(14)?,
                    reock_mean: r.get(15)?,
                    street_share: r.get(16)?,
                    violations: r.get(17)?,
                    grid_rows: Vec::new(),
                    members: Vec::new(),
                    exceptions: Vec::new(),
                    groups: Vec::new(),
                    group_members: Vec::new(),
                    plan_communities: Vec::new(),
                })
            },
        )
        .optional()
        .map_err(&sql)?;
    record.ok_or_else(|| Error::NotFound {
        path: store.path().to_path_buf(),
        message: format!("has no plan {plan}; `wangge plan list` shows the versions"),
    })
}

/// Rows of three columns of a plan (`?1`), in the query's order.
fn triples<A, B, C>(store: &GeoPackage, query: &str, plan: i64) -> Result<Vec<(A, B, C)>>
where
    A: rusqlite::types::FromSql,
    B: rusqlite::types::FromSql,
    C: rusqlite::types::FromSql,
{
    let sql = store.sql();
    let mut stmt = store.connection().prepare(query).map_err(&sql)?;
    let rows = stmt
        .query_map([plan], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .map_err(&sql)?;
    rows.collect::<std::result::Result<_, _>>().map_err(&sql)
}

/// The grids of a plan as stored, by fid.
fn stored_grids(store: &GeoPackage, plan: i64) -> Result<Vec<StoredGrid>> {
    let mut out = Vec::new();
    store.read_layer_where(&GRIDS, Some(plan), |g, _key, row| {
        if let Geometry::Polygon(polygon) = g {
            out.push(StoredGrid {
                code: row.get(4)?,
                community: row.get(5)?,
                households: row.get(6)?,
                workers: row.get(7)?,
                area_m2: row.get(8)?,
                polsby_popper: row.get(9)?,
                reock: row.get(10)?,
                polygon,
            });
        }
        Ok(())
    })?;
    Ok(out)
}

/// The residents' groups of a plan as stored, by fid (none without the layer).
fn stored_groups(store: &GeoPackage, plan: i64) -> Result<Vec<StoredGroup>> {
    let mut out = Vec::new();
    if !store.has_table(GROUPS.name)? {
        return Ok(out);
    }
    store.read_layer_where(&GROUPS, Some(plan), |g, _key, row| {
        if let Geometry::Polygon(polygon) = g {
            out.push(StoredGroup {
                code: row.get(4)?,
                grid: row.get(5)?,
                households: row.get(6)?,
                polsby_popper: row.get(7)?,
                polygon,
            });
        }
        Ok(())
    })?;
    Ok(out)
}

/// The communities a plan made, as stored, by fid (none without the layer).
fn stored_plan_communities(store: &GeoPackage, plan: i64) -> Result<Vec<StoredPlanCommunity>> {
    let mut out = Vec::new();
    if !store.has_table(PLAN_COMMUNITIES.name)? {
        return Ok(out);
    }
    store.read_layer_where(&PLAN_COMMUNITIES, Some(plan), |g, _key, row| {
        if let Geometry::Polygon(polygon) = g {
            out.push(StoredPlanCommunity {
                code: row.get(4)?,
                street: row.get(5)?,
                households: row.get(6)?,
                area_m2: row.get(7)?,
                polsby_popper: row.get(8)?,
                polygon,
            });
        }
        Ok(())
    })?;
    Ok(out)
}

/// Writes a plan record's rows (the tables it needs exist), then the layers' extents.
fn write_record(c: &rusqlite::Connection, r: &PlanRecord) -> rusqlite::Result<()> {
    c.execute(
        "INSERT INTO plans (id, created, kind, cap, seed, parent, communities, grids, households,
           lower_bound, packing_bound, pp_mean, pp_p10, pp_min, reock_mean, street_share,
           violations, name, branch)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)",
        params![
            r.id,
            r.created,
            r.kind,
            r.cap,
            r.seed,
            r.parent,
            r.communities,
            r.grids,
            r.households,
            r.lower_bound,
            r.packing_bound,
            r.pp_mean,
            r.pp_p10,
            r.pp_min,
            r.reock_mean,
            r.street_share,
            r.violations,
            r.name,
            r.branch
        ],
    )?;
    write_record_grids(c, r)?;
    write_record_levels(c, r)?;
    c.execute(GRID_EXTENT, [])?;
    if !r.groups.is_empty() {
        c.execute(GROUP_EXTENT, [])?;
    }
    Ok(())
}

/// A plan record's grids, members and exceptions, in the record's order.
fn write_record_grids(c: &rusqlite::Connection, r: &PlanRecord) -> rusqlite::Result<()> {
    let id = r.id;
    let mut grid = c.prepare(
        "INSERT INTO grids (geom, key, plan_id, code, community, households, workers, area_m2, polsby_popper, reock)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?;
    for g in &r.grid_rows {
        grid.execute(params![
            encode(&Geometry::Polygon(g.polygon.clone()), 4326),
            format!("{id}:{}", g.code),
            id,
            g.code,
            g.community,
            g.households,
            g.workers,
            g.area_m2,
            g.polsby_popper,
            g.reock
        ])?;
    }
    let mut member = c.prepare(
        "INSERT INTO grid_members (plan_id, grid, address_key, households) VALUES (?1, ?2, ?3, ?4)",
    )?;
    for (g, k, h) in &r.members {
        member.execute(params![id, g, k, h])?;
    }
    let mut exception = c.prepare(
        "INSERT INTO plan_exceptions (plan_id, kind, subject, detail) VALUES (?1, ?2, ?3, ?4)",
    )?;
    for (kind, subject, detail) in &r.exceptions {
        exception.execute(params![id, kind, subject, detail])?;
    }
    Ok(())
}

/// A plan record's residents' groups (with members) and communities, in the record's order.
fn write_record_levels(c: &rusqlite::Connection, r: &PlanRecord) -> rusqlite::Result<()> {
    let id = r.id;
    if !r.groups.is_empty() {
        let mut group = c.prepare(
            "INSERT INTO resident_groups (geom, key, plan_id, code, grid, households, polsby_popper)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?;
        for x in &r.groups {
            group.execute(params![
                encode(&Geometry::Polygon(x.polygon.clone()), 4326),
                format!("{id}:{}", x.code),
                id,
                x.code,
                x.grid,
                x.households,
                x.polsby_popper
            ])?;
        }
    }
    if !r.group_members.is_empty() {
        let mut member = c.prepare(
            "INSERT INTO resident_group_members (plan_id, grp, address_key, households)
             VALUES (?1, ?2, ?3, ?4)",
        )?;
        for (g, k, h) in &r.group_members {
            member.execute(params![id, g, k, h])?;
        }
    }
    if !r.plan_communities.is_empty() {
        insert_plan_communities(c, id, &r.plan_communities)?;
    }
    Ok(())
}

/// Inserts `communities` as the community level of `plan` (the layer exists).
fn insert_plan_communities(
    c: &rusqlite::Connection,
    plan: i64,
    communities: &[StoredPlanCommunity],
) -> rusqlite::Result<()> {
    let mut ins = c.prepare(
        "INSERT INTO plan_communities (geom, key, plan_id, code, street, households, area_m2, polsby_popper)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?;
    for x in communities {
        ins.execute(params![
            encode(&Geometry::Polygon(x.polygon.clone()), 4326),
            format!("{plan}:{}", x.code),
            plan,
            x.code,
            x.street,
            x.households,
            x.area_m2,
            x.polsby_popper
        ])?;
    }
    Ok(())
}

impl GeoPackage {
    /// Copies one plan version (grids, members, exceptions, the plan row) into another
    /// workspace file, creating its plan tables.
    pub(crate) fn copy_plan_to(&self, target: &GeoPackage, plan: i64) -> Result<usize> {
        self.ensure_plan_tables()?;
        target.ensure_plan_tables()?;
        let sql = |source| crate::gpkg::backend_error(target.path().to_path_buf(), source);
        let src = self.path().to_string_lossy().to_string();
        let c = target.connection();
        c.execute("ATTACH DATABASE ?1 AS src", [src])
            .map_err(&sql)?;
        let copied = (|| -> rusqlite::Result<usize> {
            c.execute(
                "INSERT INTO plans SELECT * FROM src.plans WHERE id = ?1",
                [plan],
            )?;
            let n = c.execute(
                "INSERT INTO grids (geom, key, plan_id, code, community, households, workers, area_m2, polsby_popper, reock)
                 SELECT geom, key, plan_id, code, community, households, workers, area_m2, polsby_popper, reock FROM src.grids WHERE plan_id = ?1",
                [plan],
            )?;
            c.execute(
                "INSERT INTO grid_members SELECT * FROM src.grid_members WHERE plan_id = ?1",
                [plan],
            )?;
            c.execute(
                "INSERT INTO plan_exceptions SELECT * FROM src.plan_exceptions WHERE plan_id = ?1",
                [plan],
            )?;
            c.execute(
                "UPDATE gpkg_contents SET (min_x, min_y, max_x, max_y) = (SELECT min_x, min_y, max_x, max_y FROM src.gpkg_contents WHERE table_name = 'grids') WHERE table_name = 'grids'",
                [],
            )?;
            Ok(n)
        })();
        c.execute("DETACH DATABASE src", []).map_err(&sql)?;
        copied.map_err(&sql)
    }
}

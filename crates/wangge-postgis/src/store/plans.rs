//! Plan versions: `plans`, `grids`, `grid_members` and `plan_exceptions`, and the residents'
//! groups and communities a plan makes. A new version takes a transaction-scoped advisory
//! lock, so checking the current version and writing the next hold together across processes.

use super::{PgStore, from_wkb, iso, wkb};
use geo_types::{Geometry, Polygon};
use std::collections::HashMap;
use wangge_core::partition::incremental::BaseGrid;
use wangge_core::partition::{CommunityPlan, LockedGrid, SplitKind, WorkspacePlan};
use wangge_io::Result;
use wangge_io::store::{
    GridRow, GridShape, GroupShape, PlanRecord, PlanRow, PlanStore, StoredGrid, StoredGroup,
    StoredPlanCommunity, Versioning,
};

/// The current version: the newest that is not a branch.
const CURRENT_PLAN: &str = "SELECT max(id) FROM {s}.plans WHERE NOT branch";

/// What an unknown plan version is told with.
fn no_plan(plan: i64) -> String {
    format!("has no plan {plan}; `wangge plan list` shows the versions")
}

/// Refuses a plan version the workspace does not have.
fn known(store: &PgStore, client: &mut postgres::Client, plan: i64) -> Result<()> {
    let found = client
        .query_opt(
            &store.sql("SELECT 1 FROM {s}.plans WHERE id = $1"),
            &[&plan],
        )
        .map_err(store.err())?;
    match found {
        Some(_) => Ok(()),
        None => Err(wangge_io::Error::NotFound {
            path: store.path(),
            message: no_plan(plan),
        }),
    }
}

/// The memberships of a known plan: (address key, grid code, households), by key then grid.
fn members(
    store: &PgStore,
    client: &mut postgres::Client,
    plan: i64,
) -> Result<Vec<(String, String, u32)>> {
    known(store, client, plan)?;
    let rows = client
        .query(
            &store.sql(
                r#"SELECT address_key, grid, households FROM {s}.grid_members WHERE plan_id = $1
                   ORDER BY address_key COLLATE "C", grid COLLATE "C""#,
            ),
            &[&plan],
        )
        .map_err(store.err())?;
    Ok(rows
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get::<_, i32>(2) as u32))
        .collect())
}

/// The grids of a plan: (code, community), by code.
fn codes(
    store: &PgStore,
    client: &mut postgres::Client,
    plan: i64,
) -> Result<Vec<(String, String)>> {
    let rows = client
        .query(
            &store.sql(
                r#"SELECT code, community FROM {s}.grids WHERE plan_id = $1
                   ORDER BY code COLLATE "C""#,
            ),
            &[&plan],
        )
        .map_err(store.err())?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
}

/// A polygon read back with `ST_AsBinary`; `None` for another kind of geometry (skipped, as
/// the GeoPackage skips it).
fn polygon(store: &PgStore, table: &str, key: &str, b: &[u8]) -> Result<Option<Polygon<f64>>> {
    match from_wkb(b) {
        Some(Geometry::Polygon(p)) => Ok(Some(p)),
        Some(_) => Ok(None),
        None => Err(store.damaged(format!("{table} {key}: geometry is damaged"))),
    }
}

/// The exceptions listed with a plan: (kind, subject, detail), in the GeoPackage's order.
fn exceptions(plan: &WorkspacePlan) -> Vec<(&'static str, String, String)> {
    let mut out = Vec::new();
    for c in &plan.communities {
        for s in &c.splits {
            let kind = match s.kind {
                SplitKind::ByEntrances => "split_by_entrances",
                SplitKind::ByFloors => "split_by_floors",
                SplitKind::ByHouseholds => "split_by_households_no_unit_data",
            };
            let detail = format!(
                "{} households in {} parts (community {})",
                s.households, s.parts, c.code
            );
            out.push((kind, s.what.clone(), detail));
        }
        for v in &c.violations {
            out.push(("violation", c.code.clone(), v.message.clone()));
        }
    }
    for e in &plan.errors {
        out.push(("community_not_partitioned", String::new(), e.to_string()));
    }
    for k in &plan.outside {
        out.push((
            "address_outside_communities",
            k.clone(),
            "in no community; not placed in any grid".into(),
        ));
    }
    for k in &plan.ambiguous {
        out.push((
            "address_in_several_communities",
            k.clone(),
            "placed in the first community".into(),
        ));
    }
    out
}

/// Writes the grids, members and exceptions of plan version `id`.
fn write_grids(
    store: &PgStore,
    tx: &mut postgres::Transaction<'_>,
    id: i64,
    plan: &WorkspacePlan,
) -> Result<()> {
    let err = store.err();
    let grid = tx
        .prepare(&store.sql(
            "INSERT INTO {s}.grids (plan_id, key, code, community, households, workers, area_m2,
               polsby_popper, reock, geom)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, ST_GeomFromWKB($10, 4326))",
        ))
        .map_err(&err)?;
    let (mut grids, mut keys, mut households) = (Vec::new(), Vec::new(), Vec::new());
    for c in &plan.communities {
        for g in &c.grids {
            tx.execute(
                &grid,
                &[
                    &id,
                    &format!("{id}:{}", g.code),
                    &g.code,
                    &c.code,
                    &(g.households as i32),
                    &(g.workers as i32),
                    &g.area_m2,
                    &g.polsby_popper,
                    &g.reock,
                    &wkb(&Geometry::Polygon(g.polygon.clone())),
                ],
            )
            .map_err(&err)?;
            for (k, h) in &g.members {
                grids.push(g.code.as_str());
                keys.push(k.as_str());
                households.push(*h as i32);
            }
        }
    }
    tx.execute(
        &store.sql(
            "INSERT INTO {s}.grid_members (plan_id, grid, address_key, households)
             SELECT $1::bigint, * FROM unnest($2::text[], $3::text[], $4::int[])",
        ),
        &[&id, &grids, &keys, &households],
    )
    .map_err(&err)?;
    let (mut kinds, mut subjects, mut details) = (Vec::new(), Vec::new(), Vec::new());
    for (kind, subject, detail) in exceptions(plan) {
        kinds.push(kind);
        subjects.push(subject);
        details.push(detail);
    }
    tx.execute(
        &store.sql(
            "INSERT INTO {s}.plan_exceptions (plan_id, kind, subject, detail)
             SELECT $1::bigint, u.k, u.s, u.d
             FROM unnest($2::text[], $3::text[], $4::text[]) WITH ORDINALITY AS u(k, s, d, n)
             ORDER BY u.n",
        ),
        &[&id, &kinds, &subjects, &details],
    )
    .map_err(&err)?;
    Ok(())
}

/// A plan's row as a record without its grids and other rows; `NotFound` for an unknown plan.
fn stored_plan(
    store: &PgStore,
    tx: &mut postgres::Transaction<'_>,
    plan: i64,
) -> Result<PlanRecord> {
    let q = format!(
        "SELECT {}, kind, cap, seed, parent, name, branch, communities, grids, households,
           lower_bound, packing_bound, pp_mean, pp_p10, pp_min, reock_mean, street_share,
           violations
         FROM {{s}}.plans WHERE id = $1",
        iso("created")
    );
    let Some(r) = tx
        .query_opt(&store.sql(&q), &[&plan])
        .map_err(store.err())?
    else {
        return Err(wangge_io::Error::NotFound {
            path: store.path(),
            message: no_plan(plan),
        });
    };
    Ok(PlanRecord {
        id: plan,
        created: r.get(0),
        kind: r.get(1),
        cap: r.get::<_, i32>(2) as u32,
        seed: r.get(3),
        parent: r.get(4),
        name: r.get(5),
        branch: r.get(6),
        communities: r.get(7),
        grids: r.get(8),
        households: r.get(9),
        lower_bound: r.get(10),
        packing_bound: r.get(11),
        pp_mean: r.get(12),
        pp_p10: r.get(13),
        pp_min: r.get(14),
        reock_mean: r.get(15),
        street_share: r.get(16),
        violations: r.get(17),
        grid_rows: Vec::new(),
        members: Vec::new(),
        exceptions: Vec::new(),
        groups: Vec::new(),
        group_members: Vec::new(),
        plan_communities: Vec::new(),
    })
}

/// The grids of a plan as stored, in stored order.
fn stored_grids(
    store: &PgStore,
    tx: &mut postgres::Transaction<'_>,
    plan: i64,
) -> Result<Vec<StoredGrid>> {
    let rows = tx
        .query(
            &store.sql(
                "SELECT key, code, community, households, workers, area_m2, polsby_popper, reock,
                   ST_AsBinary(geom)
                 FROM {s}.grids WHERE plan_id = $1 ORDER BY seq",
            ),
            &[&plan],
        )
        .map_err(store.err())?;
    let mut out = Vec::new();
    for r in &rows {
        let key: &str = r.get(0);
        let Some(polygon) = polygon(store, "grids", key, r.get(8))? else {
            continue;
        };
        out.push(StoredGrid {
            code: r.get(1),
            community: r.get(2),
            households: r.get::<_, i32>(3) as u32,
            workers: r.get::<_, i32>(4) as u32,
            area_m2: r.get(5),
            polsby_popper: r.get(6),
            reock: r.get(7),
            polygon,
        });
    }
    Ok(out)
}

/// The residents' groups of a plan as stored, in stored order.
fn stored_groups(
    store: &PgStore,
    tx: &mut postgres::Transaction<'_>,
    plan: i64,
) -> Result<Vec<StoredGroup>> {
    let rows = tx
        .query(
            &store.sql(
                "SELECT key, code, grid, households, polsby_popper, ST_AsBinary(geom)
                 FROM {s}.resident_groups WHERE plan_id = $1 ORDER BY seq",
            ),
            &[&plan],
        )
        .map_err(store.err())?;
    let mut out = Vec::new();
    for r in &rows {
        let key: &str = r.get(0);
        let Some(polygon) = polygon(store, "resident_groups", key, r.get(5))? else {
            continue;
        };
        out.push(StoredGroup {
            code: r.get(1),
            grid: r.get(2),
            households: r.get::<_, i32>(3) as u32,
            polsby_popper: r.get(4),
            polygon,
        });
    }
    Ok(out)
}

/// The communities a plan made, as stored, in stored order.
fn stored_plan_communities(
    store: &PgStore,
    tx: &mut postgres::Transaction<'_>,
    plan: i64,
) -> Result<Vec<StoredPlanCommunity>> {
    let rows = tx
        .query(
            &store.sql(
                "SELECT key, code, street, households, area_m2, polsby_popper, ST_AsBinary(geom)
                 FROM {s}.plan_communities WHERE plan_id = $1 ORDER BY seq",
            ),
            &[&plan],
        )
        .map_err(store.err())?;
    let mut out = Vec::new();
    for r in &rows {
        let key: &str = r.get(0);
        let Some(polygon) = polygon(store, "plan_communities", key, r.get(6))? else {
            continue;
        };
        out.push(StoredPlanCommunity {
            code: r.get(1),
            street: r.get(2),
            households: r.get::<_, i32>(3) as u32,
            area_m2: r.get(4),
            polsby_popper: r.get(5),
            polygon,
        });
    }
    Ok(out)
}

/// Rows of (text, text, integer households) of a plan (`$1`), in the query's order.
fn stored_members(
    store: &PgStore,
    tx: &mut postgres::Transaction<'_>,
    query: &str,
    plan: i64,
) -> Result<Vec<(String, String, u32)>> {
    let rows = tx.query(&store.sql(query), &[&plan]).map_err(store.err())?;
    Ok(rows
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get::<_, i32>(2) as u32))
        .collect())
}

/// Inserts a plan record's row with its id and time, and moves the id sequence past it.
fn insert_plan_row(
    store: &PgStore,
    tx: &mut postgres::Transaction<'_>,
    r: &PlanRecord,
) -> Result<()> {
    let err = store.err();
    tx.execute(
        &store.sql(
            "INSERT INTO {s}.plans (id, created, kind, cap, seed, parent, communities, grids,
               households, lower_bound, packing_bound, pp_mean, pp_p10, pp_min, reock_mean,
               street_share, violations, name, branch)
             VALUES ($1, $2::text::timestamptz, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13,
               $14, $15, $16, $17, $18, $19)",
        ),
        &[
            &r.id,
            &r.created,
            &r.kind,
            &(r.cap as i32),
            &r.seed,
            &r.parent,
            &r.communities,
            &r.grids,
            &r.households,
            &r.lower_bound,
            &r.packing_bound,
            &r.pp_mean,
            &r.pp_p10,
            &r.pp_min,
            &r.reock_mean,
            &r.street_share,
            &r.violations,
            &r.name,
            &r.branch,
        ],
    )
    .map_err(&err)?;
    tx.batch_execute(&store.sql(
        "SELECT setval(pg_get_serial_sequence('{s}.plans', 'id'),
           greatest((SELECT max(id) FROM {s}.plans), 1))",
    ))
    .map_err(&err)
}

/// Writes a plan record's grids, members and exceptions, in the record's order.
fn write_record_grids(
    store: &PgStore,
    tx: &mut postgres::Transaction<'_>,
    r: &PlanRecord,
) -> Result<()> {
    let err = store.err();
    let id = r.id;
    let grid = tx
        .prepare(&store.sql(
            "INSERT INTO {s}.grids (plan_id, key, code, community, households, workers, area_m2,
               polsby_popper, reock, geom)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, ST_GeomFromWKB($10, 4326))",
        ))
        .map_err(&err)?;
    for g in &r.grid_rows {
        tx.execute(
            &grid,
            &[
                &id,
                &format!("{id}:{}", g.code),
                &g.code,
                &g.community,
                &(g.households as i32),
                &(g.workers as i32),
                &g.area_m2,
                &g.polsby_popper,
                &g.reock,
                &wkb(&Geometry::Polygon(g.polygon.clone())),
            ],
        )
        .map_err(&err)?;
    }
    let (mut grids, mut keys, mut households) = (Vec::new(), Vec::new(), Vec::new());
    for (g, k, h) in &r.members {
        grids.push(g.as_str());
        keys.push(k.as_str());
        households.push(*h as i32);
    }
    tx.execute(
        &store.sql(
            "INSERT INTO {s}.grid_members (plan_id, grid, address_key, households)
             SELECT $1::bigint, * FROM unnest($2::text[], $3::text[], $4::int[])",
        ),
        &[&id, &grids, &keys, &households],
    )
    .map_err(&err)?;
    let (mut kinds, mut subjects, mut details) = (Vec::new(), Vec::new(), Vec::new());
    for (kind, subject, detail) in &r.exceptions {
        kinds.push(kind.as_str());
        subjects.push(subject.as_str());
        details.push(detail.as_str());
    }
    tx.execute(
        &store.sql(
            "INSERT INTO {s}.plan_exceptions (plan_id, kind, subject, detail)
             SELECT $1::bigint, u.k, u.s, u.d
             FROM unnest($2::text[], $3::text[], $4::text[]) WITH ORDINALITY AS u(k, s, d, n)
             ORDER BY u.n",
        ),
        &[&id, &kinds, &subjects, &details],
    )
    .map_err(&err)?;
    Ok(())
}

/// Writes a plan record's residents' groups (with members) and communities, in the record's
/// order.
fn write_record_levels(
    store: &PgStore,
    tx: &mut postgres::Transaction<'_>,
    r: &PlanRecord,
) -> Result<()> {
    let err = store.err();
    let id = r.id;
    let group = tx
        .prepare(&store.sql(
            "INSERT INTO {s}.resident_groups (plan_id, key, code, grid, households,
               polsby_popper, geom)
             VALUES ($1, $2, $3, $4, $5, $6, ST_GeomFromWKB($7, 4326))",
        ))
        .map_err(&err)?;
    for x in &r.groups {
        tx.execute(
            &group,
            &[
                &id,
                &format!("{id}:{}", x.code),
                &x.code,
                &x.grid,
                &(x.households as i32),
                &x.polsby_popper,
                &wkb(&Geometry::Polygon(x.polygon.clone())),
            ],
        )
        .map_err(&err)?;
    }
    let (mut codes, mut keys, mut households) = (Vec::new(), Vec::new(), Vec::new());
    for (g, k, h) in &r.group_members {
        codes.push(g.as_str());
        keys.push(k.as_str());
        households.push(*h as i32);
    }
    tx.execute(
        &store.sql(
            "INSERT INTO {s}.resident_group_members (plan_id, grp, address_key, households)
             SELECT $1::bigint, * FROM unnest($2::text[], $3::text[], $4::int[])",
        ),
        &[&id, &codes, &keys, &households],
    )
    .map_err(&err)?;
    insert_plan_communities(store, tx, id, &r.plan_communities)?;
    Ok(())
}

/// Inserts `communities` as the community level of `plan`.
fn insert_plan_communities(
    store: &PgStore,
    tx: &mut postgres::Transaction<'_>,
    plan: i64,
    communities: &[StoredPlanCommunity],
) -> Result<()> {
    let err = store.err();
    let ins = tx
        .prepare(&store.sql(
            "INSERT INTO {s}.plan_communities (plan_id, key, code, street, households, area_m2,
               polsby_popper, geom)
             VALUES ($1, $2, $3, $4, $5, $6, $7, ST_GeomFromWKB($8, 4326))",
        ))
        .map_err(&err)?;
    for x in communities {
        tx.execute(
            &ins,
            &[
                &plan,
                &format!("{plan}:{}", x.code),
                &x.code,
                &x.street,
                &(x.households as i32),
                &x.area_m2,
                &x.polsby_popper,
                &wkb(&Geometry::Polygon(x.polygon.clone())),
            ],
        )
        .map_err(&err)?;
    }
    Ok(())
}

impl PlanStore for PgStore {
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
        let err = self.err();
        let m = &plan.metrics;
        let violations: usize = plan.communities.iter().map(|c| c.violations.len()).sum();
        let mut client = self.client()?;
        let mut tx = client.transaction().map_err(&err)?;
        // Every new version waits for the one being written, so the check below and the
        // write hold together and the next writer sees this version as current.
        tx.batch_execute(&self.sql("SELECT pg_advisory_xact_lock(hashtext('{s}.plans'))"))
            .map_err(&err)?;
        if let Versioning::IfCurrent(base) = versioning {
            let current: Option<i64> = tx
                .query_one(&self.sql(CURRENT_PLAN), &[])
                .map_err(&err)?
                .get(0);
            if current != Some(base) {
                return Err(wangge_io::Error::StalePlan {
                    path: self.path(),
                    base,
                    current,
                });
            }
        }
        let id: i64 = tx
            .query_one(
                &self.sql(
                    "INSERT INTO {s}.plans (kind, cap, seed, parent, communities, grids,
                       households, lower_bound, packing_bound, pp_mean, pp_p10, pp_min,
                       reock_mean, street_share, violations, branch)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
                     RETURNING id",
                ),
                &[
                    &kind,
                    &(cap as i32),
                    &(seed as i64),
                    &parent,
                    &(m.communities as i64),
                    &(m.grids as i64),
                    &(m.households as i64),
                    &(m.lower_bound as i64),
                    &(m.packing_bound as i64),
                    &m.pp_mean,
                    &m.pp_p10,
                    &m.pp_min,
                    &m.reock_mean,
                    &m.street_share,
                    &(violations as i64),
                    &(versioning == Versioning::Branch),
                ],
            )
            .map_err(&err)?
            .get(0);
        write_grids(self, &mut tx, id, plan)?;
        insert_plan_communities(self, &mut tx, id, level)?;
        self.bump(&mut tx).map_err(&err)?;
        tx.commit().map_err(&err)?;
        Ok(id)
    }

    fn latest_plan(&self) -> Result<Option<i64>> {
        let mut client = self.client()?;
        let row = client
            .query_one(&self.sql(CURRENT_PLAN), &[])
            .map_err(self.err())?;
        Ok(row.get(0))
    }

    fn plans(&self) -> Result<Vec<PlanRow>> {
        let q = format!(
            "SELECT id, {}, kind, cap, grids, households, violations, parent, name, branch
             FROM {{s}}.plans ORDER BY id",
            iso("created")
        );
        let mut client = self.client()?;
        let rows = client.query(&self.sql(&q), &[]).map_err(self.err())?;
        Ok(rows
            .iter()
            .map(|r| PlanRow {
                id: r.get(0),
                created: r.get(1),
                kind: r.get(2),
                cap: r.get::<_, i32>(3) as u32,
                grids: r.get(4),
                households: r.get(5),
                violations: r.get(6),
                parent: r.get(7),
                name: r.get(8),
                branch: r.get(9),
            })
            .collect())
    }

    fn plan_members(&self, plan: i64) -> Result<Vec<(String, String, u32)>> {
        let mut client = self.client()?;
        members(self, &mut client, plan)
    }

    fn plan_grids(&self, plan: i64) -> Result<Vec<(String, String)>> {
        let mut client = self.client()?;
        codes(self, &mut client, plan)
    }

    fn plan_grid_rows(&self, plan: i64) -> Result<Vec<GridRow>> {
        let mut client = self.client()?;
        known(self, &mut client, plan)?;
        // Buildings with an address point in the grid; a point without a building counts as
        // one of its own.
        let rows = client
            .query(
                &self.sql(
                    "SELECT g.key, g.code, g.community, g.households, g.workers, g.area_m2,
                       g.polsby_popper, g.reock, coalesce(b.n, 0)::bigint, ST_AsBinary(g.geom)
                     FROM {s}.grids g LEFT JOIN (
                       SELECT m.grid, count(DISTINCT coalesce(a.building, m.address_key)) AS n
                       FROM {s}.grid_members m
                       LEFT JOIN {s}.address_points a ON a.key = m.address_key
                       WHERE m.plan_id = $1 GROUP BY m.grid) b ON b.grid = g.code
                     WHERE g.plan_id = $1 ORDER BY g.seq",
                ),
                &[&plan],
            )
            .map_err(self.err())?;
        let mut out = Vec::new();
        for r in &rows {
            let key: &str = r.get(0);
            let Some(polygon) = polygon(self, "grids", key, r.get(9))? else {
                continue;
            };
            out.push(GridRow {
                code: r.get(1),
                community: r.get(2),
                households: r.get::<_, i32>(3) as u32,
                workers: r.get::<_, i32>(4) as u32,
                area_m2: r.get(5),
                polsby_popper: r.get(6),
                reock: r.get(7),
                buildings: r.get::<_, i64>(8) as u32,
                polygon,
            });
        }
        out.sort_by(|a, b| a.code.cmp(&b.code));
        Ok(out)
    }

    fn plan_grid_shapes(&self, plan: i64) -> Result<Vec<GridShape>> {
        let mut client = self.client()?;
        let rows = client
            .query(
                &self.sql(
                    "SELECT key, code, community, households, workers, ST_AsBinary(geom)
                     FROM {s}.grids WHERE plan_id = $1 ORDER BY seq",
                ),
                &[&plan],
            )
            .map_err(self.err())?;
        let mut out = Vec::new();
        for r in &rows {
            let key: &str = r.get(0);
            let Some(polygon) = polygon(self, "grids", key, r.get(5))? else {
                continue;
            };
            out.push(GridShape {
                code: r.get(1),
                community: r.get(2),
                households: r.get::<_, i32>(3) as u32,
                workers: r.get::<_, i32>(4) as u32,
                polygon,
            });
        }
        Ok(out)
    }

    fn plan_group_shapes(&self, plan: i64) -> Result<Vec<GroupShape>> {
        let mut client = self.client()?;
        let rows = client
            .query(
                &self.sql(
                    "SELECT key, code, grid, households, ST_AsBinary(geom)
                     FROM {s}.resident_groups WHERE plan_id = $1 ORDER BY seq",
                ),
                &[&plan],
            )
            .map_err(self.err())?;
        let mut out = Vec::new();
        for r in &rows {
            let key: &str = r.get(0);
            let Some(polygon) = polygon(self, "resident_groups", key, r.get(4))? else {
                continue;
            };
            out.push(GroupShape {
                code: r.get(1),
                grid: r.get(2),
                households: r.get::<_, i32>(3) as u32,
                polygon,
            });
        }
        Ok(out)
    }

    fn name_plan(&self, plan: i64, name: &str) -> Result<()> {
        let err = self.err();
        let name = name.trim();
        let name = (!name.is_empty()).then_some(name);
        let mut client = self.client()?;
        let mut tx = client.transaction().map_err(&err)?;
        let n = tx
            .execute(
                &self.sql("UPDATE {s}.plans SET name = $2 WHERE id = $1"),
                &[&plan, &name],
            )
            .map_err(&err)?;
        if n == 0 {
            // As the GeoPackage says it: a usage error.
            return Err(wangge_io::Error::Usage {
                path: self.path(),
                message: no_plan(plan),
            });
        }
        self.bump(&mut tx).map_err(&err)?;
        tx.commit().map_err(&err)
    }

    fn base_grids(&self, plan: i64) -> Result<Vec<BaseGrid>> {
        let mut client = self.client()?;
        let mut by_grid: HashMap<String, Vec<(String, u32)>> = HashMap::new();
        for (k, g, h) in members(self, &mut client, plan)? {
            by_grid.entry(g).or_default().push((k, h));
        }
        let rows = client
            .query(
                &self.sql(
                    "SELECT key, code, community, ST_AsBinary(geom)
                     FROM {s}.grids WHERE plan_id = $1 ORDER BY seq",
                ),
                &[&plan],
            )
            .map_err(self.err())?;
        let mut out = Vec::new();
        for r in &rows {
            let key: &str = r.get(0);
            let Some(polygon) = polygon(self, "grids", key, r.get(3))? else {
                continue;
            };
            let code: String = r.get(1);
            out.push(BaseGrid {
                members: by_grid.remove(&code).unwrap_or_default(),
                community: r.get(2),
                polygon,
                code,
            });
        }
        Ok(out)
    }

    fn plan_memberships(&self, plan: i64) -> Result<(Vec<LockedGrid>, u32, Option<i64>)> {
        let mut client = self.client()?;
        let grids = codes(self, &mut client, plan)?;
        let mut keys: HashMap<String, Vec<String>> = HashMap::new();
        for (k, g, _) in members(self, &mut client, plan)? {
            keys.entry(g).or_default().push(k);
        }
        let row = client
            .query_one(
                &self.sql("SELECT cap, parent FROM {s}.plans WHERE id = $1"),
                &[&plan],
            )
            .map_err(self.err())?;
        let cap = row.get::<_, i32>(0) as u32;
        let parent: Option<i64> = row.get(1);
        let out = grids
            .into_iter()
            .map(|(g, c)| {
                let members = keys.remove(&g).unwrap_or_default();
                (c, g, members)
            })
            .collect();
        Ok((out, cap, parent))
    }

    fn write_groups(&mut self, plan: i64, groups: &[CommunityPlan]) -> Result<()> {
        let err = self.err();
        let mut client = self.client()?;
        let mut tx = client.transaction().map_err(&err)?;
        for table in ["resident_group_members", "resident_groups"] {
            let delete = format!("DELETE FROM {{s}}.{table} WHERE plan_id = $1");
            tx.execute(&self.sql(&delete), &[&plan]).map_err(&err)?;
        }
        let group = tx
            .prepare(&self.sql(
                "INSERT INTO {s}.resident_groups (plan_id, key, code, grid, households,
                   polsby_popper, geom)
                 VALUES ($1, $2, $3, $4, $5, $6, ST_GeomFromWKB($7, 4326))",
            ))
            .map_err(&err)?;
        let (mut codes, mut keys, mut households) = (Vec::new(), Vec::new(), Vec::new());
        for grid in groups {
            for x in &grid.grids {
                tx.execute(
                    &group,
                    &[
                        &plan,
                        &format!("{plan}:{}", x.code),
                        &x.code,
                        &grid.code,
                        &(x.households as i32),
                        &x.polsby_popper,
                        &wkb(&Geometry::Polygon(x.polygon.clone())),
                    ],
                )
                .map_err(&err)?;
                for (k, h) in &x.members {
                    codes.push(x.code.as_str());
                    keys.push(k.as_str());
                    households.push(*h as i32);
                }
            }
        }
        tx.execute(
            &self.sql(
                "INSERT INTO {s}.resident_group_members (plan_id, grp, address_key, households)
                 SELECT $1::bigint, * FROM unnest($2::text[], $3::text[], $4::int[])",
            ),
            &[&plan, &codes, &keys, &households],
        )
        .map_err(&err)?;
        self.bump(&mut tx).map_err(&err)?;
        tx.commit().map_err(&err)
    }

    fn plan_communities(&self, plan: i64) -> Result<Vec<StoredPlanCommunity>> {
        let mut client = self.client()?;
        let mut tx = self.snapshot(&mut client)?;
        let out = stored_plan_communities(self, &mut tx, plan)?;
        tx.commit().map_err(self.err())?;
        Ok(out)
    }

    fn plan_record(&self, plan: i64) -> Result<PlanRecord> {
        let err = self.err();
        let mut client = self.client()?;
        // One snapshot: the version and its rows as of one moment.
        let mut tx = client
            .build_transaction()
            .isolation_level(postgres::IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .map_err(&err)?;
        let mut record = stored_plan(self, &mut tx, plan)?;
        record.grid_rows = stored_grids(self, &mut tx, plan)?;
        record.members = stored_members(
            self,
            &mut tx,
            r#"SELECT grid, address_key, households FROM {s}.grid_members WHERE plan_id = $1
               ORDER BY address_key COLLATE "C", grid COLLATE "C""#,
            plan,
        )?;
        let rows = tx
            .query(
                &self.sql(
                    "SELECT kind, subject, detail FROM {s}.plan_exceptions WHERE plan_id = $1
                     ORDER BY seq",
                ),
                &[&plan],
            )
            .map_err(&err)?;
        record.exceptions = rows
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2)))
            .collect();
        record.groups = stored_groups(self, &mut tx, plan)?;
        record.group_members = stored_members(
            self,
            &mut tx,
            r#"SELECT grp, address_key, households FROM {s}.resident_group_members
               WHERE plan_id = $1 ORDER BY address_key COLLATE "C", grp COLLATE "C""#,
            plan,
        )?;
        record.plan_communities = stored_plan_communities(self, &mut tx, plan)?;
        tx.commit().map_err(&err)?;
        Ok(record)
    }

    fn write_plan_record(&mut self, record: &PlanRecord) -> Result<()> {
        let err = self.err();
        let mut client = self.client()?;
        let mut tx = client.transaction().map_err(&err)?;
        // As a new version: waits for one being written, so the check below holds.
        tx.batch_execute(&self.sql("SELECT pg_advisory_xact_lock(hashtext('{s}.plans'))"))
            .map_err(&err)?;
        let stored = tx
            .query_opt(
                &self.sql("SELECT 1 FROM {s}.plans WHERE id = $1"),
                &[&record.id],
            )
            .map_err(&err)?;
        if stored.is_some() {
            return Err(wangge_io::Error::DuplicateKey {
                layer: "plans",
                key: record.id.to_string(),
                message: "is already a plan version in the workspace; nothing was written".into(),
            });
        }
        insert_plan_row(self, &mut tx, record)?;
        write_record_grids(self, &mut tx, record)?;
        write_record_levels(self, &mut tx, record)?;
        self.bump(&mut tx).map_err(&err)?;
        tx.commit().map_err(&err)
    }
}

//! Incidents in the store: durable batch ingest (idempotent by key), queries with filters and
//! paging, status transitions of the closed loop with an event trail (`incident_events`).

use super::case_events;
use super::geometry::encode;
use super::incident_rows::{from_row, record_steps};
use super::index_releases;
use super::kpi_cases;
use super::schema::INCIDENTS;
use super::store::GeoPackage;
use crate::store::IncidentStore;
use crate::store::prelude::*;
use crate::store::{
    IncidentEvent, IncidentQuery, IncidentSummary, Ingested, Release, ReleaseLine, StreetBounds,
};
use crate::{Error, Result};
use geo_types::Geometry;
use rusqlite::types::Value;
use rusqlite::{params, params_from_iter};
use wangge_core::kpi::{Case, IndexRun};
use wangge_core::{Incident, IncidentStatus, Timestamp};

const COLUMNS: &str = "fid, geom, key, time, category, source, status, raw_category, community, \
                       grid, dispatched_at, handled_at, followed_up_at, closed_at, component";

impl GeoPackage {
    /// Moves an incident to `to` at `at` if the loop allows it, recording the step and, in
    /// the same transaction, `then` (another event: status and detail).
    pub(super) fn step_with(
        &mut self,
        key: &str,
        to: IncidentStatus,
        at: Timestamp,
        then: Option<(&str, String)>,
    ) -> Result<(i64, Incident)> {
        let path = self.path().to_path_buf();
        let refuse = |message: String| Error::Incident {
            path: path.clone(),
            key: key.to_string(),
            rule: "transition",
            message,
        };
        let (fid, mut inc) = self.incident(key)?.ok_or_else(|| Error::NotFound {
            path: path.clone(),
            message: format!("no incident {key:?}"),
        })?;
        let timed = |e: wangge_core::Error| match e {
            wangge_core::Error::StepTime { rule, message } => Error::IncidentTime {
                path: path.clone(),
                key: key.to_string(),
                rule,
                message,
            },
            e => refuse(e.to_string()),
        };
        wangge_core::check_not_future(to, at, Timestamp::now()).map_err(timed)?;
        inc.transition(to, at).map_err(timed)?;
        let sql = |source| crate::gpkg::backend_error(path.clone(), source);
        let tx = self.connection_mut().transaction().map_err(sql)?;
        let col = ["dispatched_at", "handled_at", "followed_up_at", "closed_at"][to as usize - 1];
        tx.execute(
            &format!("UPDATE incidents SET status = ?1, {col} = ?2 WHERE fid = ?3"),
            params![to.as_str(), at.to_string(), fid],
        )
        .map_err(sql)?;
        tx.execute(
            "INSERT INTO incident_events (incident, status, at) VALUES (?1, ?2, ?3)",
            params![key, to.as_str(), at.to_string()],
        )
        .map_err(sql)?;
        if let Some((status, detail)) = then {
            tx.execute(
                "INSERT INTO incident_events (incident, status, at, detail) VALUES (?1, ?2, ?3, ?4)",
                params![key, status, at.to_string(), detail],
            )
            .map_err(sql)?;
        }
        tx.commit().map_err(sql)?;
        Ok((fid, inc))
    }

    fn select(&self, tail: &str, args: Vec<Value>) -> Result<Vec<(i64, Incident)>> {
        let q = format!("SELECT {COLUMNS} FROM incidents {tail}");
        let mut stmt = self.connection().prepare(&q).map_err(self.sql())?;
        let mut rows = stmt.query(params_from_iter(args)).map_err(self.sql())?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(self.sql())? {
            let fid: i64 = row.get(0).map_err(self.sql())?;
            let blob: Vec<u8> = row.get(1).map_err(self.sql())?;
            let g = super::geometry::decode(&blob).ok_or_else(|| Error::Workspace {
                path: self.path().to_path_buf(),
                message: format!("incidents fid {fid}: geometry blob is damaged"),
            })?;
            let key: String = row.get(2).map_err(self.sql())?;
            out.push((fid, from_row(g, key, row).map_err(self.sql())?));
        }
        Ok(out)
    }
}

pub(super) fn community_polygons(
    store: &GeoPackage,
) -> Result<Vec<(String, geo_types::MultiPolygon<f64>)>> {
    let mut communities = Vec::new();
    store.read_layer(&super::schema::COMMUNITIES, |g, key, _| {
        if let Geometry::MultiPolygon(m) = g {
            communities.push((key, m));
        }
        Ok(())
    })?;
    Ok(communities)
}

pub(super) fn assigner(store: &GeoPackage) -> Result<wangge_core::Assigner> {
    store.assigner_with(Vec::new())
}

pub(super) fn assigner_with(
    store: &GeoPackage,
    extra: Vec<(String, geo_types::MultiPolygon<f64>)>,
) -> Result<wangge_core::Assigner> {
    let mut communities = extra;
    communities.extend(store.community_polygons()?);
    let mut grids = Vec::new();
    let plan = if store.has_table("plans")? {
        store.latest_plan()?
    } else {
        None
    };
    if let Some(plan) = plan {
        store.read_layer_where(&super::schema::GRIDS, Some(plan), |g, _key, r| {
            let m = match g {
                Geometry::Polygon(p) => geo_types::MultiPolygon(vec![p]),
                Geometry::MultiPolygon(m) => m,
                _ => return Ok(()),
            };
            grids.push((r.get(4)?, r.get(5)?, m));
            Ok(())
        })?;
    }
    Ok(wangge_core::Assigner::new(communities, grids))
}

pub(super) fn street_bounds(store: &GeoPackage) -> Result<StreetBounds> {
    use geo::BoundingRect;
    let mut all = [
        f64::INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NEG_INFINITY,
    ];
    let mut by: std::collections::BTreeMap<String, [f64; 4]> = Default::default();
    let grow = |b: &mut [f64; 4], r: geo_types::Rect<f64>| {
        *b = [
            b[0].min(r.min().x),
            b[1].min(r.min().y),
            b[2].max(r.max().x),
            b[3].max(r.max().y),
        ];
    };
    store.read_layer(&super::schema::COMMUNITIES, |g, _key, r| {
        let street: Option<String> = r.get(4)?;
        if let Some(rect) = g.bounding_rect() {
            grow(&mut all, rect);
            if let Some(s) = street {
                grow(
                    by.entry(s).or_insert([
                        f64::INFINITY,
                        f64::INFINITY,
                        f64::NEG_INFINITY,
                        f64::NEG_INFINITY,
                    ]),
                    rect,
                );
            }
        }
        Ok(())
    })?;
    Ok(StreetBounds {
        all,
        streets: by.into_iter().collect(),
    })
}

/// The reports of a batch whose id is stored with other content: "id: differences".
fn clashes(
    tx: &rusqlite::Transaction<'_>,
    batch: &[Incident],
    existing: &[String],
) -> rusqlite::Result<Vec<String>> {
    let mut out = Vec::new();
    let existing: std::collections::HashSet<&str> = existing.iter().map(String::as_str).collect();
    let mut stored =
        tx.prepare("SELECT time, category, source, geom, component FROM incidents WHERE key = ?1")?;
    type Row = (String, String, String, Vec<u8>, Option<String>);
    for i in batch.iter().filter(|i| existing.contains(i.key.as_str())) {
        let (time, category, source, blob, component): Row = stored.query_row([&i.key], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })?;
        let at = super::geometry::decode(&blob).and_then(|g| match g {
            Geometry::Point(p) => Some(p),
            _ => None,
        });
        let d = crate::store::report_differences(
            i,
            (&time, &category, &source),
            at,
            component.as_deref(),
        );
        if !d.is_empty() {
            out.push(format!("{:?}: {}", i.key, d.join("; ")));
        }
    }
    Ok(out)
}

/// Incidents read into the process at a time by `reassign_incidents`.
const REASSIGN_CHUNK: usize = 50_000;

impl IncidentStore for GeoPackage {
    fn add_incidents(&mut self, batch: &[Incident]) -> Result<Ingested> {
        let path = self.path().to_path_buf();
        let sql = |source| crate::gpkg::backend_error(path.clone(), source);
        let tx = self.connection_mut().transaction().map_err(sql)?;
        let out = insert_incidents(&tx, &path, batch, true)?;
        tx.commit().map_err(sql)?;
        Ok(out)
    }

    fn restore_incidents(&mut self, batch: &[Incident], events: &[IncidentEvent]) -> Result<()> {
        let path = self.path().to_path_buf();
        let sql = |source| crate::gpkg::backend_error(path.clone(), source);
        let tx = self.connection_mut().transaction().map_err(sql)?;
        let out = insert_incidents(&tx, &path, batch, false)?;
        if let Some(key) = out.existing.first() {
            return Err(Error::DuplicateKey {
                layer: "incidents",
                key: key.clone(),
                message: "is already in the workspace; nothing was copied".into(),
            });
        }
        {
            let mut stmt = tx
                .prepare("INSERT INTO incident_events (incident, status, at, detail) VALUES (?1, ?2, ?3, ?4)")
                .map_err(sql)?;
            for e in events {
                stmt.execute(params![e.incident, e.status, e.at.to_string(), e.detail])
                    .map_err(sql)?;
            }
        }
        tx.commit().map_err(sql)?;
        Ok(())
    }

    fn incident_events(&self) -> Result<Vec<IncidentEvent>> {
        case_events::events(self, None)
    }

    fn events_of(&self, keys: &[String]) -> Result<Vec<IncidentEvent>> {
        case_events::events(self, Some(keys))
    }

    fn assign_incident(
        &mut self,
        key: &str,
        assignment: &wangge_core::Assignment,
        by: &str,
        at: Timestamp,
    ) -> Result<(i64, Incident)> {
        case_events::assign(self, key, assignment, by, at)
    }

    fn supervise_incident(
        &mut self,
        key: &str,
        s: &wangge_core::Supervision,
        at: Timestamp,
    ) -> Result<()> {
        case_events::supervise(self, key, s, at)
    }

    fn record_assignments(
        &mut self,
        items: &[(String, wangge_core::Assignment, Timestamp)],
        by: &str,
    ) -> Result<()> {
        case_events::record(self, items, by)
    }

    fn restore_release(&self, release: &Release) -> Result<()> {
        index_releases::restore_release(self, release)
    }

    fn max_incident_fid(&self) -> Result<i64> {
        self.connection()
            .query_row("SELECT coalesce(max(fid), 0) FROM incidents", [], |r| {
                r.get(0)
            })
            .map_err(self.sql())
    }

    fn incidents_after(&self, fid: i64, limit: usize) -> Result<Vec<(i64, Incident)>> {
        self.select(
            "WHERE fid > ?1 ORDER BY fid LIMIT ?2",
            vec![fid.into(), (limit.min(i64::MAX as usize) as i64).into()],
        )
    }

    fn incident(&self, key: &str) -> Result<Option<(i64, Incident)>> {
        Ok(self
            .select("WHERE key = ?1", vec![key.to_string().into()])?
            .pop())
    }

    fn query_incidents(&self, q: &IncidentQuery) -> Result<(u64, Vec<(i64, Incident)>)> {
        let mut cond = Vec::new();
        let mut args: Vec<Value> = Vec::new();
        let mut any_of = |col: &str, vals: Vec<String>, cond: &mut Vec<String>| {
            if !vals.is_empty() {
                let marks: Vec<String> = vals
                    .into_iter()
                    .map(|v| {
                        args.push(v.into());
                        format!("?{}", args.len())
                    })
                    .collect();
                cond.push(format!("{col} IN ({})", marks.join(", ")));
            }
        };
        any_of("category", q.categories.clone(), &mut cond);
        any_of(
            "source",
            q.sources.iter().map(|s| s.as_str().to_string()).collect(),
            &mut cond,
        );
        any_of(
            "status",
            q.statuses.iter().map(|s| s.as_str().to_string()).collect(),
            &mut cond,
        );
        any_of(
            "community",
            q.community.clone().into_iter().collect(),
            &mut cond,
        );
        any_of("grid", q.grid.clone().into_iter().collect(), &mut cond);
        any_of(
            "component",
            q.component.clone().into_iter().collect(),
            &mut cond,
        );
        if let Some(w) = &q.within {
            if w.is_empty() {
                cond.push("0".to_string());
            } else {
                any_of("community", w.clone(), &mut cond);
            }
        }
        for (t, op) in [(q.from, ">="), (q.to, "<=")] {
            if let Some(t) = t {
                args.push(t.to_string().into());
                cond.push(format!("time {op} ?{}", args.len()));
            }
        }
        let filter = if cond.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", cond.join(" AND "))
        };
        let total: i64 = self
            .connection()
            .query_row(
                &format!("SELECT count(*) FROM incidents {filter}"),
                params_from_iter(args.iter()),
                |r| r.get(0),
            )
            .map_err(self.sql())?;
        let n = args.len();
        args.push((q.limit.min(i64::MAX as usize) as i64).into());
        args.push((q.offset.min(i64::MAX as usize) as i64).into());
        let page = self.select(
            &format!("{filter} ORDER BY fid LIMIT ?{} OFFSET ?{}", n + 1, n + 2),
            args,
        )?;
        Ok((total.max(0) as u64, page))
    }

    fn transition_incident(
        &mut self,
        key: &str,
        to: IncidentStatus,
        at: Timestamp,
    ) -> Result<(i64, Incident)> {
        self.step_with(key, to, at, None)
    }

    fn reassign_incidents(&mut self, only_missing: bool) -> Result<(usize, usize)> {
        let assigner = self.assigner()?;
        // Read a chunk at a time in order of fid (keyset), outside the write: readers of a
        // WAL file take no lock, so servers go on ingesting; only the changes are kept, their
        // codes interned (24 bytes a changed incident), then written in one transaction.
        let tail = format!(
            "WHERE fid > ?1 {} ORDER BY fid LIMIT {REASSIGN_CHUNK}",
            if only_missing { "AND grid IS NULL" } else { "" }
        );
        let mut codes: Vec<String> = Vec::new();
        let mut index: std::collections::HashMap<String, u32> = std::collections::HashMap::new();
        let mut intern = |code: Option<String>| -> Option<u32> {
            let code = code?;
            let next = codes.len() as u32;
            Some(*index.entry(code).or_insert_with_key(|c| {
                codes.push(c.clone());
                next
            }))
        };
        let mut changes: Vec<(i64, Option<u32>, Option<u32>)> = Vec::new();
        let (mut after, mut seen) = (i64::MIN, 0usize);
        loop {
            let rows = self.select(&tail, vec![Value::Integer(after)])?;
            let Some((last, _)) = rows.last() else { break };
            after = *last;
            seen += rows.len();
            for (fid, i) in rows {
                let (c, g) = assigner.locate(i.location);
                if (c.as_ref(), g.as_ref()) != (i.community.as_ref(), i.grid.as_ref()) {
                    changes.push((fid, intern(c), intern(g)));
                }
            }
        }
        let path = self.path().to_path_buf();
        let sql = |source| crate::gpkg::backend_error(path.clone(), source);
        let tx = self.connection_mut().transaction().map_err(sql)?;
        {
            let mut stmt = tx
                .prepare("UPDATE incidents SET community = ?1, grid = ?2 WHERE fid = ?3")
                .map_err(sql)?;
            let code = |i: Option<u32>| i.map(|i| codes[i as usize].as_str());
            for (fid, c, g) in &changes {
                stmt.execute(params![code(*c), code(*g), fid])
                    .map_err(sql)?;
            }
            // Logged like an import, so a running server re-reads.
            tx.execute(
                "INSERT INTO wangge_imports (command, sources, summary) VALUES ('incidents assign', '', ?1)",
                [format!("incidents={seen} changed={}", changes.len())],
            )
            .map_err(sql)?;
        }
        tx.commit().map_err(sql)?;
        Ok((seen, changes.len()))
    }

    fn incident_summary(
        &self,
        since_today: Timestamp,
        since_window: Timestamp,
    ) -> Result<IncidentSummary> {
        let c = self.connection();
        let one = |q: &str, t: Option<String>| -> Result<u64> {
            let n: i64 = match t {
                Some(t) => c.query_row(q, [t], |r| r.get(0)),
                None => c.query_row(q, [], |r| r.get(0)),
            }
            .map_err(self.sql())?;
            Ok(n.max(0) as u64)
        };
        let top = |col: &str| -> Result<Vec<(String, u64)>> {
            let mut stmt = c
                .prepare(&format!(
                    "SELECT {col}, count(*) AS n FROM incidents WHERE time >= ?1 AND {col} IS NOT NULL
                     GROUP BY {col} ORDER BY n DESC, {col} LIMIT 5"
                ))
                .map_err(self.sql())?;
            let rows = stmt
                .query_map([since_window.to_string()], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?.max(0) as u64))
                })
                .map_err(self.sql())?;
            rows.collect::<std::result::Result<_, _>>()
                .map_err(self.sql())
        };
        Ok(IncidentSummary {
            today: one(
                "SELECT count(*) FROM incidents WHERE time >= ?1",
                Some(since_today.to_string()),
            )?,
            open: one(
                "SELECT count(*) FROM incidents WHERE status <> 'closed'",
                None,
            )?,
            window_total: one(
                "SELECT count(*) FROM incidents WHERE time >= ?1",
                Some(since_window.to_string()),
            )?,
            window_closed: one(
                "SELECT count(*) FROM incidents WHERE time >= ?1 AND status = 'closed'",
                Some(since_window.to_string()),
            )?,
            top_categories: top("category")?,
            top_grids: top("grid")?,
            top_communities: top("community")?,
            latest: {
                let mut stmt = c
                    .prepare(
                        "SELECT category, community, time, status FROM incidents
                         ORDER BY time DESC, fid DESC LIMIT 8",
                    )
                    .map_err(self.sql())?;
                let rows = stmt
                    .query_map([], |r| {
                        Ok((
                            r.get::<_, String>(0)?,
                            r.get::<_, Option<String>>(1)?,
                            r.get::<_, String>(2)?,
                            r.get::<_, String>(3)?,
                        ))
                    })
                    .map_err(self.sql())?;
                let mut out = Vec::new();
                for row in rows {
                    let (cat, community, time, status) = row.map_err(self.sql())?;
                    let time = Timestamp::parse(&time, 0).map_err(|e| Error::Workspace {
                        path: self.path().to_path_buf(),
                        message: format!("incidents: time {time:?}: {e}"),
                    })?;
                    out.push((cat, community, time, status));
                }
                out
            },
        })
    }

    fn release_index(&self, run: &IndexRun, params: &str) -> Result<i64> {
        index_releases::release_index(self, run, params)
    }

    fn index_release(&self, id: i64) -> Result<Release> {
        index_releases::index_release(self, id)
    }

    fn index_releases(&self) -> Result<Vec<ReleaseLine>> {
        index_releases::index_releases(self)
    }

    fn kpi_cases(&self) -> Result<Vec<Case>> {
        kpi_cases::kpi_cases(self, None)
    }

    fn kpi_cases_between(&self, from: Timestamp, to: Timestamp) -> Result<Vec<Case>> {
        kpi_cases::kpi_cases(self, Some((from, to)))
    }

    fn evaluate_incident(
        &mut self,
        key: &str,
        evaluation: wangge_core::kpi::Evaluation,
        note: &str,
        at: Timestamp,
    ) -> Result<()> {
        kpi_cases::evaluate_incident(self, key, evaluation, note, at)
    }

    fn incidents_per_component(
        &self,
        from: Option<Timestamp>,
        to: Option<Timestamp>,
    ) -> Result<Vec<(String, u64)>> {
        // Times are RFC 3339 UTC text of one width: text order is time order.
        let from = from.map_or(String::new(), |t| t.to_string());
        let to = to.map_or("~".to_string(), |t| t.to_string());
        let mut stmt = self
            .connection()
            .prepare(
                "SELECT component, count(*) FROM incidents
                 WHERE component IS NOT NULL AND time >= ?1 AND time < ?2
                 GROUP BY component ORDER BY component",
            )
            .map_err(self.sql())?;
        let rows = stmt
            .query_map([&from, &to], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as u64))
            })
            .map_err(self.sql())?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(self.sql())
    }

    fn incident_count(&self) -> Result<u64> {
        let n: i64 = self
            .connection()
            .query_row("SELECT count(*) FROM incidents", [], |r| r.get(0))
            .map_err(self.sql())?;
        Ok(n as u64)
    }

    fn extend_incident(
        &mut self,
        key: &str,
        hours: f64,
        at: Timestamp,
        reason: &str,
    ) -> Result<()> {
        kpi_cases::extend_incident(self, key, hours, at, reason)
    }
}

/// Inserts a batch in `tx` (keys already stored listed, not changed); with `record`, event
/// rows for the steps each new incident has reached.
// Long: one statement per incident, the clash check and the extent update in one place.
fn insert_incidents(
    tx: &rusqlite::Transaction<'_>,
    path: &std::path::Path,
    batch: &[Incident],
    record: bool,
) -> Result<Ingested> {
    let sql = |source| crate::gpkg::backend_error(path.to_path_buf(), source);
    let mut out = Ingested::default();

    {
        let q = format!(
            "INSERT INTO incidents (geom, key, {}) VALUES (?1, ?2, {}) ON CONFLICT(key) DO NOTHING",
            INCIDENTS
                .columns
                .iter()
                .map(|c| c.0)
                .collect::<Vec<_>>()
                .join(", "),
            (3..INCIDENTS.columns.len() + 3)
                .map(|i| format!("?{i}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let mut stmt = tx.prepare(&q).map_err(sql)?;
        let mut fresh = Vec::new();
        let mut bbox = [
            f64::INFINITY,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NEG_INFINITY,
        ];
        let t = |t: Option<Timestamp>| t.map(|t| t.to_string());
        for i in batch {
            let inserted = stmt
                .execute(params![
                    encode(&Geometry::Point(i.location), 4326),
                    i.key,
                    i.time.to_string(),
                    i.category,
                    i.source.as_str(),
                    i.status.as_str(),
                    i.raw_category,
                    i.community,
                    i.grid,
                    t(i.steps[0]),
                    t(i.steps[1]),
                    t(i.steps[2]),
                    t(i.steps[3]),
                    i.component,
                ])
                .map_err(sql)?;
            if inserted == 1 {
                out.added.push((tx.last_insert_rowid(), i.key.clone()));
                fresh.push(i.clone());
                let (x, y) = (i.location.x(), i.location.y());
                bbox = [
                    bbox[0].min(x),
                    bbox[1].min(y),
                    bbox[2].max(x),
                    bbox[3].max(y),
                ];
            } else {
                out.existing.push(i.key.clone());
            }
        }
        drop(stmt);
        // An id already stored is an idempotent retry only if it names the same report.
        let clashes = clashes(tx, batch, &out.existing).map_err(sql)?;
        if let Some(first) = clashes.first() {
            let key = batch
                .iter()
                .find(|i| first.starts_with(&format!("{:?}", i.key)))
                .map_or_else(String::new, |i| i.key.clone());
            return Err(Error::DuplicateKey {
                layer: "incidents",
                key,
                message: format!(
                    "is already stored as a different report ({}); nothing was stored: send a new id for a new report",
                    clashes.join(" | ")
                ),
            });
        }
        if record {
            record_steps(tx, &fresh).map_err(sql)?;
        }
        if !fresh.is_empty() {
            tx.execute(
                "UPDATE gpkg_contents SET
                       min_x = min(coalesce(min_x, ?1), ?1), min_y = min(coalesce(min_y, ?2), ?2),
                       max_x = max(coalesce(max_x, ?3), ?3), max_y = max(coalesce(max_y, ?4), ?4),
                       last_change = strftime('%Y-%m-%dT%H:%M:%fZ','now')
                     WHERE table_name = 'incidents'",
                params![bbox[0], bbox[1], bbox[2], bbox[3]],
            )
            .map_err(sql)?;
        }
    }
    Ok(out)
}

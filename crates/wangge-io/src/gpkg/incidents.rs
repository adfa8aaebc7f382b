//! Incidents in the store: durable batch ingest (idempotent by key), queries with filters and
//! paging, status transitions of the closed loop with an event trail (`incident_events`).

use super::geometry::encode;
use super::schema::INCIDENTS;
use super::store::{Store, conv, point};
use crate::{Error, Result};
use geo_types::Geometry;
use rusqlite::types::Value;
use rusqlite::{Transaction, params, params_from_iter};
use wangge_core::{Incident, IncidentSource, IncidentStatus, Timestamp};

/// The stored columns of an incident, in the layer's order.
pub(crate) fn values(i: &Incident) -> Vec<Value> {
    let t = |t: Option<Timestamp>| -> Value { t.map(|t| t.to_string()).into() };
    vec![
        i.time.to_string().into(),
        i.category.clone().into(),
        i.source.as_str().to_string().into(),
        i.status.as_str().to_string().into(),
        i.raw_category.clone().into(),
        i.community.clone().into(),
        i.grid.clone().into(),
        t(i.steps[0]),
        t(i.steps[1]),
        t(i.steps[2]),
        t(i.steps[3]),
    ]
}

/// An incident from a row `fid, geom, key, <layer columns>`.
pub(crate) fn from_row(
    g: Geometry<f64>,
    key: String,
    r: &rusqlite::Row<'_>,
) -> rusqlite::Result<Incident> {
    let time = |col: usize| -> rusqlite::Result<Option<Timestamp>> {
        r.get::<_, Option<String>>(col)?
            .map(|t| Timestamp::parse(&t, 0).map_err(|e| conv(col, e)))
            .transpose()
    };
    let source: String = r.get(5)?;
    let status: String = r.get(6)?;
    Ok(Incident {
        key,
        time: time(3)?.ok_or_else(|| {
            conv(
                3,
                wangge_core::Error::Time {
                    value: String::new(),
                    reason: "empty",
                },
            )
        })?,
        category: r.get(4)?,
        source: IncidentSource::parse(&source).map_err(|e| conv(5, e))?,
        status: IncidentStatus::parse(&status).map_err(|e| conv(6, e))?,
        raw_category: r.get(7)?,
        community: r.get(8)?,
        grid: r.get(9)?,
        steps: [time(10)?, time(11)?, time(12)?, time(13)?],
        location: point(g),
    })
}

/// Event rows for every step after reporting that an incident has reached.
pub(crate) fn record_steps(tx: &Transaction<'_>, incidents: &[Incident]) -> rusqlite::Result<()> {
    let mut stmt =
        tx.prepare("INSERT INTO incident_events (incident, status, at) VALUES (?1, ?2, ?3)")?;
    for i in incidents {
        for s in &IncidentStatus::ALL[1..] {
            if let Some(at) = i.at(*s) {
                stmt.execute(params![i.key, s.as_str(), at.to_string()])?;
            }
        }
    }
    Ok(())
}

/// What a batch did: the incidents stored now (fid, key) and the keys that were already there
/// (a retried batch adds nothing twice).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Ingested {
    pub added: Vec<(i64, String)>,
    pub existing: Vec<String>,
}

/// Filters and a page over stored incidents.
#[derive(Debug, Clone, PartialEq)]
pub struct IncidentQuery {
    /// Empty: any.
    pub categories: Vec<String>,
    pub sources: Vec<IncidentSource>,
    pub statuses: Vec<IncidentStatus>,
    pub community: Option<String>,
    pub grid: Option<String>,
    /// Only incidents in these communities (an access scope); `None`: any.
    pub within: Option<Vec<String>>,
    /// Reported at or after / at or before.
    pub from: Option<Timestamp>,
    pub to: Option<Timestamp>,
    pub limit: usize,
    pub offset: usize,
}

impl Default for IncidentQuery {
    fn default() -> Self {
        Self {
            categories: Vec::new(),
            sources: Vec::new(),
            statuses: Vec::new(),
            community: None,
            within: None,
            grid: None,
            from: None,
            to: None,
            limit: 100,
            offset: 0,
        }
    }
}

const COLUMNS: &str = "fid, geom, key, time, category, source, status, raw_category, community, \
                       grid, dispatched_at, handled_at, followed_up_at, closed_at";

impl Store {
    /// Write-ahead logging with a synchronous commit: once a write returns, it survives the
    /// process being killed (and a power cut). Readers in other processes go on reading.
    pub fn make_durable(&self) -> Result<()> {
        let c = self.connection();
        // (The PRAGMA, not rusqlite's busy_timeout: that needs SQLite ≥ 3.44.)
        c.query_row("PRAGMA busy_timeout = 10000", [], |_| Ok(()))
            .map_err(self.sql())?;
        let mode: String = c
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .map_err(self.sql())?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(Error::Workspace {
                path: self.path().to_path_buf(),
                message: format!("cannot switch to write-ahead logging (journal mode {mode})"),
            });
        }
        // A larger page cache keeps the key and time indexes in memory during batch ingest.
        c.execute_batch("PRAGMA synchronous = FULL; PRAGMA cache_size = -65536; PRAGMA wal_autocheckpoint = 16384;")
            .map_err(self.sql())
    }

    /// Stores a batch in one transaction. Keys already stored (or repeated in the batch) are
    /// left as they are and listed in `existing`, so a client may resend a batch whose answer
    /// it never saw.
    pub fn add_incidents(&mut self, batch: &[Incident]) -> Result<Ingested> {
        let path = self.path().to_path_buf();
        let sql = |source| Error::Sqlite {
            path: path.clone(),
            source,
        };
        let tx = self.connection_mut().transaction().map_err(sql)?;
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
            record_steps(&tx, &fresh).map_err(sql)?;
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
        tx.commit().map_err(sql)?;
        Ok(out)
    }

    /// The largest incident fid (0 when there are none): what a reader has seen so far.
    pub fn max_incident_fid(&self) -> Result<i64> {
        self.connection()
            .query_row("SELECT coalesce(max(fid), 0) FROM incidents", [], |r| {
                r.get(0)
            })
            .map_err(self.sql())
    }

    /// Incidents stored after `fid`, oldest first (at most `limit`).
    pub fn incidents_after(&self, fid: i64, limit: usize) -> Result<Vec<(i64, Incident)>> {
        self.select(
            "WHERE fid > ?1 ORDER BY fid LIMIT ?2",
            vec![fid.into(), (limit.min(i64::MAX as usize) as i64).into()],
        )
    }

    /// One incident by key.
    pub fn incident(&self, key: &str) -> Result<Option<(i64, Incident)>> {
        Ok(self
            .select("WHERE key = ?1", vec![key.to_string().into()])?
            .pop())
    }

    /// A page of incidents matching a query (by fid, oldest first) and how many match in all.
    pub fn query_incidents(&self, q: &IncidentQuery) -> Result<(u64, Vec<(i64, Incident)>)> {
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

    /// Moves an incident to a status at a time, if the loop allows it; records the event.
    pub fn transition_incident(
        &mut self,
        key: &str,
        to: IncidentStatus,
        at: Timestamp,
    ) -> Result<(i64, Incident)> {
        let path = self.path().to_path_buf();
        let refuse = |message: String| Error::Incident {
            path: path.clone(),
            key: key.to_string(),
            message,
        };
        let (fid, mut inc) = self.incident(key)?.ok_or_else(|| Error::NotFound {
            path: path.clone(),
            message: format!("no incident {key:?}"),
        })?;
        inc.transition(to, at).map_err(|e| refuse(e.to_string()))?;
        if at < inc.time {
            return Err(refuse(format!(
                "{} at {at} would be before it was reported ({})",
                to.as_str(),
                inc.time
            )));
        }
        let sql = |source| Error::Sqlite {
            path: path.clone(),
            source,
        };
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

impl Store {
    /// Every community's (code, polygon).
    pub fn community_polygons(&self) -> Result<Vec<(String, geo_types::MultiPolygon<f64>)>> {
        let mut communities = Vec::new();
        self.read_layer(&super::schema::COMMUNITIES, |g, key, _| {
            if let Geometry::MultiPolygon(m) = g {
                communities.push((key, m));
            }
            Ok(())
        })?;
        Ok(communities)
    }

    /// The communities and the newest plan's grids, indexed for assigning incidents.
    pub fn assigner(&self) -> Result<wangge_core::Assigner> {
        self.assigner_with(Vec::new())
    }

    /// Like [`Store::assigner`], with communities not yet stored (those of an import).
    pub fn assigner_with(
        &self,
        extra: Vec<(String, geo_types::MultiPolygon<f64>)>,
    ) -> Result<wangge_core::Assigner> {
        let mut communities = extra;
        communities.extend(self.community_polygons()?);
        let mut grids = Vec::new();
        let plan = if self.has_table("plans")? {
            self.latest_plan()?
        } else {
            None
        };
        if let Some(plan) = plan {
            self.read_layer_where(&super::GRIDS, Some(plan), |g, _key, r| {
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
}

impl Store {
    /// Sets community and grid from the newest plan for incidents without a grid (or all),
    /// in one transaction; returns (incidents looked at, incidents changed).
    pub fn reassign_incidents(&mut self, only_missing: bool) -> Result<(usize, usize)> {
        let assigner = self.assigner()?;
        let rows = self.select(
            if only_missing {
                "WHERE grid IS NULL"
            } else {
                ""
            },
            Vec::new(),
        )?;
        let path = self.path().to_path_buf();
        let sql = |source| Error::Sqlite {
            path: path.clone(),
            source,
        };
        let tx = self.connection_mut().transaction().map_err(sql)?;
        let mut changed = 0;
        {
            let mut stmt = tx
                .prepare("UPDATE incidents SET community = ?1, grid = ?2 WHERE fid = ?3")
                .map_err(sql)?;
            for (fid, i) in &rows {
                let (c, g) = assigner.locate(i.location);
                if (c.as_ref(), g.as_ref()) != (i.community.as_ref(), i.grid.as_ref()) {
                    stmt.execute(params![c, g, fid]).map_err(sql)?;
                    changed += 1;
                }
            }
            // Logged like an import, so a running server re-reads.
            tx.execute(
                "INSERT INTO wangge_imports (command, sources, summary) VALUES ('incidents assign', '', ?1)",
                [format!("incidents={} changed={changed}", rows.len())],
            )
            .map_err(sql)?;
        }
        tx.commit().map_err(sql)?;
        Ok((rows.len(), changed))
    }
}

/// Bounds [west, south, east, north] of the district and of each street, by name.
#[derive(Debug, Clone, PartialEq)]
pub struct StreetBounds {
    pub all: [f64; 4],
    pub streets: Vec<(String, [f64; 4])>,
}

/// What a wall screen shows of the loop: counts since a time and the leading categories and
/// grids.
#[derive(Debug, Clone, PartialEq)]
pub struct IncidentSummary {
    /// Reported since `since_today`.
    pub today: u64,
    /// Not yet closed (any age).
    pub open: u64,
    /// Reported since `since_window`, and of those closed.
    pub window_total: u64,
    pub window_closed: u64,
    /// (category code, count) since `since_window`, most first (at most 5).
    pub top_categories: Vec<(String, u64)>,
    /// (grid code, count) since `since_window`, most first (at most 5).
    pub top_grids: Vec<(String, u64)>,
}

impl Store {
    /// Counts for the wall screen: since the start of today and over a window.
    pub fn incident_summary(
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
        })
    }

    /// Bounds [west, south, east, north] of all communities and of each street's (街道)
    /// communities, streets by name.
    pub fn street_bounds(&self) -> Result<StreetBounds> {
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
        self.read_layer(&super::schema::COMMUNITIES, |g, _key, r| {
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
}

//! Live incidents of a served workspace: one durable writer connection (WAL, synchronous
//! commit), the heat index kept in step with the store, the community/grid assigner, the heat
//! tile cache and the channel that feeds Server-Sent Events.
//!
//! Every change goes through [`Live::sync`]: rows stored after the last one seen are read back
//! from the store, added to the heat index, their heat tiles dropped and announced. The
//! server's own POSTs call it at once; the two-second watch calls it for rows written by other
//! processes (`wangge import`).

use crate::AppError;
use crate::heat_cache::HeatCache;
use std::path::Path;
use std::sync::{Arc, Mutex, RwLock};
use tokio::sync::broadcast;
use wangge_core::{Assigner, Incident, IncidentStatus, Taxonomy, Timestamp};
use wangge_io::Store;
use wangge_io::store::Ingested;
use wangge_tiles::HeatIndex;
use wangge_tiles::mvt::world;

/// One announced change: the SSE event name and its `data` (JSON).
pub type Announcement = Arc<(&'static str, String)>;

pub struct Live {
    writer: Mutex<Writer>,
    /// Queries run here, so a long one does not hold up ingest (WAL: it sees every commit).
    reader: Mutex<Box<dyn Store>>,
    pub heat: RwLock<HeatIndex>,
    pub heat_cache: HeatCache,
    assigner: RwLock<Assigner>,
    pub taxonomy: Taxonomy,
    events: broadcast::Sender<Announcement>,
    /// The workspace, for rebuilding the heat index on a connection of its own.
    path: std::path::PathBuf,
    /// Status changes made so far (a rebuild that saw one happen starts again).
    changes: std::sync::atomic::AtomicU64,
    /// The wall screen's summary, shared between polls (`routes/wall.rs`).
    pub summary: crate::kept::Kept,
    /// Heat colour scales resolved from the data (`max=auto`), by window, style and the
    /// heat index's generation.
    pub peaks: Mutex<std::collections::HashMap<String, f64>>,
    /// Held while a colour scale is computed: the tiles a wall asks for at once after an
    /// event wait for one computation instead of each making it.
    pub peaks_computing: tokio::sync::Mutex<()>,
    /// The wall's views (bounds and the district outline, a union of every community), kept
    /// for the data version they were computed at.
    pub views: Mutex<Option<(String, crate::contract::wall::ViewsAnswer)>>,
    /// A heat index rebuild is queued and has not started yet.
    rebuild_queued: std::sync::atomic::AtomicBool,
    /// Held by the heat index rebuild running.
    rebuilding: Mutex<()>,
    /// The import log entry the heat index was built after ([`Store::import_log_head`]).
    heat_basis: std::sync::atomic::AtomicI64,
}

struct Writer {
    store: Box<dyn Store>,
    /// The largest incident fid in the heat index.
    seen: i64,
    /// The store's change count the heat index's statuses reach to (`status_changes`);
    /// `None` for a store that logs no changes.
    changes_seen: Option<i64>,
}

fn internal(e: impl std::fmt::Display) -> AppError {
    AppError::Internal(e.to_string())
}

impl Live {
    pub fn open(path: &Path) -> Result<Self, AppError> {
        let store = wangge_app::open_store(path, wangge_app::Access::Read)
            .map_err(|e| AppError::Open(e.to_string()))?;
        store
            .make_durable()
            .map_err(|e| AppError::Open(e.to_string()))?;
        let basis = store
            .import_log_head()
            .map_err(|e| AppError::Open(e.to_string()))?;
        // The change count before the statuses are read: a change in between is applied
        // again later, and found already done.
        let changes_seen = store
            .status_changes(None)
            .map_err(|e| AppError::Open(e.to_string()))?
            .map(|c| c.upto);
        let (heat, seen) = wangge_tiles::heat_from_store(store.as_ref())
            .map_err(|e| AppError::Open(e.to_string()))?;
        crate::memory::release_freed();
        let assigner = store
            .assigner()
            .map_err(|e| AppError::Open(e.to_string()))?;
        let reader = wangge_app::open_store(path, wangge_app::Access::Read)
            .map_err(|e| AppError::Open(e.to_string()))?;
        Ok(Self {
            writer: Mutex::new(Writer {
                store,
                seen,
                changes_seen,
            }),
            reader: Mutex::new(reader),
            heat: RwLock::new(heat),
            heat_cache: HeatCache::new(128 << 20),
            assigner: RwLock::new(assigner),
            taxonomy: Taxonomy::builtin(),
            events: broadcast::channel(4096).0,
            path: path.to_path_buf(),
            changes: Default::default(),
            summary: Default::default(),
            peaks: Default::default(),
            peaks_computing: Default::default(),
            views: Default::default(),
            rebuild_queued: Default::default(),
            rebuilding: Mutex::default(),
            heat_basis: basis.into(),
        })
    }

    /// A receiver of announcements (SSE).
    pub fn subscribe(&self) -> broadcast::Receiver<Announcement> {
        self.events.subscribe()
    }

    fn writer(&self) -> std::sync::MutexGuard<'_, Writer> {
        self.writer.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Assigns community and grid, stores the batch durably (committed before this returns)
    /// and brings the heat index up to date.
    pub fn ingest(&self, batch: Vec<Incident>) -> Result<Ingested, AppError> {
        self.ingest_checked(batch, |_| Ok(()))
    }

    /// Like `ingest`, after `check` accepted every incident with its community and grid (a
    /// grid worker reports in its own grid only); the first refusal stores nothing.
    pub fn ingest_checked(
        &self,
        mut batch: Vec<Incident>,
        check: impl Fn(&Incident) -> Result<(), AppError>,
    ) -> Result<Ingested, AppError> {
        {
            let a = self.assigner.read().unwrap_or_else(|p| p.into_inner());
            for i in &mut batch {
                a.assign(i);
            }
        }
        for i in &batch {
            check(i)?;
        }
        let mut w = self.writer();
        let done = w.store.add_incidents(&batch).map_err(|e| match e {
            wangge_io::Error::DuplicateKey { key, message, .. } => AppError::ConflictWith {
                title: "Id already used",
                detail: format!("incident {key:?} {message}"),
                code: "incident.duplicate_id".into(),
                params: vec![("id", key)],
            },
            e => AppError::Internal(e.to_string()),
        })?;
        if let Some(rows) = own_rows(w.seen, &batch, &done) {
            // Rows stored before the batch (another process's) are read; the batch's own
            // rows come from memory, not read back.
            let first = rows[0].0;
            while w.seen < first - 1 {
                let gap = usize::try_from(first - 1 - w.seen).unwrap_or(usize::MAX);
                let mut before = w.store.incidents_after(w.seen, gap).map_err(internal)?;
                before.retain(|(fid, _)| *fid < first);
                if before.is_empty() {
                    break;
                }
                let announced = w.seen;
                self.take(&mut w, before, announced);
            }
            let announced = w.seen;
            self.take(&mut w, rows, announced);
        }
        self.sync_locked(&mut w)?;
        Ok(done)
    }

    /// Reads incidents stored since the last sync into the heat index, and the statuses other
    /// servers' steps changed (`follow_statuses`); returns how many incidents.
    pub fn sync(self: &Arc<Self>) -> Result<usize, AppError> {
        let mut w = self.writer();
        let n = self.sync_locked(&mut w)?;
        if !self.follow_statuses(&mut w)? {
            drop(w);
            self.rebuild_soon();
        }
        Ok(n)
    }

    fn sync_locked(&self, w: &mut Writer) -> Result<usize, AppError> {
        let seen = w.seen;
        self.catch_up(w, seen)
    }

    /// Brings the heat index's statuses up to date with the steps other servers took (this
    /// process's own are passed over by the store); false when the store's log no longer
    /// reaches back (the index is to be read anew).
    fn follow_statuses(&self, w: &mut Writer) -> Result<bool, AppError> {
        let Some(after) = w.changes_seen else {
            return Ok(true);
        };
        let Some(c) = w.store.status_changes(Some(after)).map_err(internal)? else {
            return Ok(true);
        };
        if !c.complete {
            return Ok(false);
        }
        for (before, to) in &c.changes {
            let moved = self
                .heat
                .write()
                .unwrap_or_else(|p| p.into_inner())
                .set_status(before, *to);
            if moved {
                self.changes
                    .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                self.heat_cache
                    .invalidate(&[world(before.location.x(), before.location.y())]);
                let mut after = before.clone();
                after.status = *to;
                let _ = self.events.send(Arc::new(("status", announce(&after))));
            }
        }
        w.changes_seen = Some(c.upto);
        Ok(true)
    }

    /// Reads rows stored after `w.seen` into the heat index and drops their heat tiles;
    /// announces those after `announced`.
    fn catch_up(&self, w: &mut Writer, announced: i64) -> Result<usize, AppError> {
        let mut total = 0;
        loop {
            let rows = w.store.incidents_after(w.seen, 100_000).map_err(internal)?;
            if rows.is_empty() {
                return Ok(total);
            }
            total += self.take(w, rows, announced);
        }
    }

    /// Takes rows stored after `w.seen` (in fid order) into the heat index, drops their heat
    /// tiles and announces those after `announced`; returns how many.
    fn take(&self, w: &mut Writer, rows: Vec<(i64, Incident)>, announced: i64) -> usize {
        let Some(&(last, _)) = rows.last() else {
            return 0;
        };
        let fresh = rows.partition_point(|(fid, _)| *fid <= announced);
        let incidents: Vec<Incident> = rows.into_iter().map(|(_, i)| i).collect();
        self.heat
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .add(&incidents);
        let points: Vec<[f64; 2]> = incidents
            .iter()
            .map(|i| world(i.location.x(), i.location.y()))
            .collect();
        self.heat_cache.invalidate(&points);
        for i in &incidents[fresh..] {
            let _ = self.events.send(Arc::new(("incident", announce(i))));
        }
        w.seen = last;
        incidents.len()
    }

    /// Moves an incident along the loop; the heat index and tiles follow.
    pub fn transition(
        &self,
        key: &str,
        to: IncidentStatus,
        at: Timestamp,
    ) -> Result<Incident, AppError> {
        let mut w = self.writer();
        let before = stored(w.store.as_ref(), key)?;
        let (_, after) = w
            .store
            .transition_incident(key, to, at)
            .map_err(|e| match e {
                e @ wangge_io::Error::Incident { .. } => refused(
                    key,
                    e,
                    &[
                        ("status", before.status.as_str().to_string()),
                        ("to", to.as_str().to_string()),
                    ],
                ),
                wangge_io::Error::IncidentTime { rule, message, .. } => AppError::RefusedWith {
                    title: "step time refused",
                    detail: format!("incident {key:?}: {message}"),
                    code: format!("incident.{rule}"),
                    params: vec![("incident", key.to_string()), ("rule", rule.to_string())],
                },
                e => internal(e),
            })?;
        self.changed(&before, &after);
        Ok(after)
    }

    /// After a change of one incident: the heat index and its tiles follow a new status, and
    /// the change is announced.
    fn changed(&self, before: &Incident, after: &Incident) {
        if after.status != before.status {
            self.heat
                .write()
                .unwrap_or_else(|p| p.into_inner())
                .set_status(before, after.status);
            self.changes
                .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            self.heat_cache
                .invalidate(&[world(after.location.x(), after.location.y())]);
        }
        let _ = self.events.send(Arc::new(("status", announce(after))));
    }

    /// Assigns a case (派遣; a reported one is dispatched with it); announced as a status
    /// change, the heat index following a dispatch.
    pub fn assign(
        &self,
        key: &str,
        a: &wangge_core::Assignment,
        by: &str,
        at: Timestamp,
    ) -> Result<Incident, AppError> {
        let mut w = self.writer();
        let before = stored(w.store.as_ref(), key)?;
        let (_, after) = w
            .store
            .assign_incident(key, a, by, at)
            .map_err(|e| refused(key, e, &[("status", before.status.as_str().to_string())]))?;
        self.changed(&before, &after);
        Ok(after)
    }

    /// Flags a case for supervision (督办); announced as a change of the case.
    pub fn supervise(
        &self,
        key: &str,
        s: &wangge_core::Supervision,
        at: Timestamp,
    ) -> Result<(), AppError> {
        let mut w = self.writer();
        w.store
            .supervise_incident(key, s, at)
            .map_err(|e| refused(key, e, &[]))?;
        if let Some((_, i)) = w.store.incident(key).map_err(internal)? {
            let _ = self.events.send(Arc::new(("status", announce(&i))));
        }
        Ok(())
    }

    /// Stores a photo of an incident through the writer.
    pub fn add_photo(
        &self,
        key: &str,
        content_type: &str,
        bytes: &[u8],
        at: Timestamp,
    ) -> Result<(u32, bool), AppError> {
        let mut w = self.writer();
        w.store
            .add_photo(key, content_type, bytes, at)
            .map_err(|e| refused(key, e, &[]))
    }

    /// Appends to the audit log through the writer (never lost to a busy reader).
    pub fn audit(&self, who: &crate::Principal, action: &str, detail: &str) {
        let w = self.writer();
        if let Err(e) = w
            .store
            .audit(&who.actor(), who.role.as_str(), action, detail)
        {
            eprintln!("wangge serve: audit log: {e}");
        }
    }

    /// Like [`Live::audit`], from an async handler: on a blocking thread (a database's
    /// synchronous client must not block a runtime thread), finished before it returns.
    pub async fn audit_async(
        self: &Arc<Self>,
        who: &crate::Principal,
        action: &'static str,
        detail: String,
    ) {
        let (me, who) = (self.clone(), who.clone());
        if let Err(e) = tokio::task::spawn_blocking(move || me.audit(&who, action, &detail)).await {
            eprintln!("wangge serve: audit log: {e}");
        }
    }

    /// Records a deadline extension (延期) of an open incident.
    pub fn extend(
        &self,
        key: &str,
        hours: f64,
        at: Timestamp,
        reason: &str,
    ) -> Result<(), AppError> {
        let mut w = self.writer();
        w.store
            .extend_incident(key, hours, at, reason)
            .map_err(|e| refused(key, e, &[]))
    }

    /// Records the evaluation of a closed incident.
    pub fn evaluate(
        &self,
        key: &str,
        evaluation: wangge_core::kpi::Evaluation,
        note: &str,
        at: Timestamp,
    ) -> Result<(), AppError> {
        let mut w = self.writer();
        w.store
            .evaluate_incident(key, evaluation, note, at)
            .map_err(|e| refused(key, e, &[]))
    }

    /// Runs a query on the reading connection (it sees every acknowledged write).
    pub fn read<T>(
        &self,
        f: impl FnOnce(&dyn Store) -> wangge_io::Result<T>,
    ) -> Result<T, AppError> {
        let r = self.reader.lock().unwrap_or_else(|p| p.into_inner());
        f(r.as_ref()).map_err(internal)
    }

    /// After a change of the workspace: re-reads the newest plan's grids for new incidents
    /// at once, and rebuilds the heat index only if the import log moved (an import, or
    /// `wangge incidents assign` giving incidents the new grids): a plan change alone leaves
    /// every stored incident where it was. The rebuild runs on a thread of its own, so a
    /// planner's edit does not wait for it; requests made while one is queued join it. The
    /// handle is that of a rebuild started here.
    pub fn reload_plan_soon(
        self: &Arc<Self>,
    ) -> Result<Option<std::thread::JoinHandle<()>>, AppError> {
        use std::sync::atomic::Ordering::SeqCst;
        self.reload_assigner()?;
        let head = wangge_app::open_store(&self.path, wangge_app::Access::Read)
            .and_then(|s| s.import_log_head())
            .map_err(internal)?;
        if self.heat_basis.swap(head, SeqCst) == head {
            return Ok(None);
        }
        Ok(self.rebuild_soon())
    }

    /// Rebuilds the heat index on a thread of its own (`reload_heat`) unless one is queued;
    /// the handle of the one started here.
    fn rebuild_soon(self: &Arc<Self>) -> Option<std::thread::JoinHandle<()>> {
        use std::sync::atomic::Ordering::SeqCst;
        if self.rebuild_queued.swap(true, SeqCst) {
            return None;
        }
        let me = self.clone();
        Some(std::thread::spawn(move || {
            let _one = me.rebuilding.lock().unwrap_or_else(|p| p.into_inner());
            me.rebuild_queued.store(false, SeqCst);
            if let Err(e) = me.reload_heat() {
                eprintln!("wangge serve: rebuilding the heat index: {e}");
            }
        }))
    }

    fn reload_assigner(&self) -> Result<(), AppError> {
        let store =
            wangge_app::open_store(&self.path, wangge_app::Access::Read).map_err(internal)?;
        let a = store.assigner().map_err(internal)?;
        *self.assigner.write().unwrap_or_else(|p| p.into_inner()) = a;
        Ok(())
    }

    /// Rebuilds the heat index on a connection of its own while ingest goes on; only the
    /// swap holds the writer, and what was stored meanwhile is then added. A status change
    /// during the build (which the new index could miss) starts it again; after three tries
    /// the last build runs holding the writer.
    fn reload_heat(&self) -> Result<(), AppError> {
        use std::sync::atomic::Ordering::SeqCst;
        // The change count before the statuses are read: the changes after it are followed
        // on the new index (those it already holds are found done).
        let build = || -> Result<_, AppError> {
            let store =
                wangge_app::open_store(&self.path, wangge_app::Access::Read).map_err(internal)?;
            let counted = store
                .status_changes(None)
                .map_err(internal)?
                .map(|c| c.upto);
            let (heat, seen) = wangge_tiles::heat_from_store(store.as_ref()).map_err(internal)?;
            Ok((heat, seen, counted))
        };
        let mut tries = 0;
        let (mut w, (heat, seen, counted)) = loop {
            tries += 1;
            let before = self.changes.load(SeqCst);
            if tries > 3 {
                let w = self.writer();
                break (w, build()?);
            }
            let built = build()?;
            let w = self.writer();
            if self.changes.load(SeqCst) == before {
                break (w, built);
            }
        };
        *self.heat.write().unwrap_or_else(|p| p.into_inner()) = heat;
        w.changes_seen = counted;
        let announced = w.seen;
        self.heat_cache.clear();
        self.summary.clear();
        // Rows another process stored before the build and nobody synced yet are in the new
        // index: announce them. Rows stored during the build (fid > seen) are read again
        // into the new index; those already announced are not announced twice.
        let mut after = announced;
        while after < seen {
            let rows = w.store.incidents_after(after, 100_000).map_err(internal)?;
            let Some(&(last, _)) = rows.last() else { break };
            for (_, i) in rows.iter().filter(|(fid, _)| *fid <= seen) {
                let _ = self.events.send(Arc::new(("incident", announce(i))));
            }
            after = last;
        }
        w.seen = seen;
        let caught = self.catch_up(&mut w, announced.max(seen)).map(|_| ());
        drop(w);
        // The old index's pages and the build's go back, the writer free for ingest meanwhile.
        crate::memory::release_freed();
        caught
    }
}

/// A batch just stored as rows (fid, incident), in fid order, when they all come after
/// `seen`. Ids are taken in commit order, so every row before the first is committed (read
/// those from the store), and no other writer's row lies between the batch's own (a key
/// already stored may leave an id unused). `None` when there is nothing new or a row is not
/// after `seen`: then everything is read back from the store.
fn own_rows(seen: i64, batch: &[Incident], done: &Ingested) -> Option<Vec<(i64, Incident)>> {
    let mut fids = done.added.iter().map(|(fid, _)| *fid);
    let first = fids.next()?;
    let ascending = fids
        .try_fold(first, |last, fid| (fid > last).then_some(fid))
        .is_some();
    if first <= seen || !ascending {
        return None;
    }
    // The first of a key named twice is the one stored.
    let mut by_key: std::collections::HashMap<&str, &Incident> = Default::default();
    for i in batch {
        by_key.entry(i.key.as_str()).or_insert(i);
    }
    done.added
        .iter()
        .map(|(fid, key)| Some((*fid, (*by_key.get(key.as_str())?).clone())))
        .collect()
}

/// The incident as stored now (404 when there is none): what a change starts from.
fn stored(store: &dyn Store, key: &str) -> Result<Incident, AppError> {
    store
        .incident(key)
        .map_err(internal)?
        .map(|(_, i)| i)
        .ok_or_else(|| AppError::NotFound(format!("no incident {key:?}")))
}

/// The public view of an incident (no personal data: the model holds none).
pub fn incident_json(i: &Incident) -> serde_json::Value {
    serde_json::to_value(crate::contract::incidents::IncidentAnswer::from(i))
        .unwrap_or(serde_json::Value::Null)
}

/// An incident as an announcement's text: the incident's answer serialised directly (its
/// fields in the answer's order), not through a `serde_json::Value` (a map built and sorted
/// per incident: a quarter of a server's time during ingest).
fn announce(i: &Incident) -> String {
    serde_json::to_string(&crate::contract::incidents::IncidentAnswer::from(i)).unwrap_or_default()
}

/// A change of one incident the store refused: 404 when there is none, 409 when the loop
/// does not allow it, coded by the loop's rule (`incident.<rule>`: `incident.transition`,
/// `incident.closed`, ...) with the incident and the named values in `extra`, so pages word
/// it in their language.
fn refused(key: &str, e: wangge_io::Error, extra: &[(&'static str, String)]) -> AppError {
    match e {
        wangge_io::Error::NotFound { .. } => AppError::NotFound(format!("no incident {key:?}")),
        wangge_io::Error::Incident { rule, message, .. } => {
            let mut params = vec![("incident", key.to_string())];
            params.extend(extra.iter().cloned());
            AppError::ConflictWith {
                title: "refused by the closed loop",
                detail: format!("incident {key:?}: {message}"),
                code: format!("incident.{rule}"),
                params,
            }
        }
        e => internal(e),
    }
}

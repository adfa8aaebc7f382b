//! Events of a case besides its steps, on the GeoPackage: assignments (派遣, with a dispatch
//! in the same transaction when the case was only reported; past ones recorded as history),
//! supervision (督办), and the history of one case.

use super::store::GeoPackage;
use crate::store::IncidentEvent;
use crate::store::prelude::*;
use crate::{Error, Result};
use wangge_core::{Assignment, Incident, IncidentStatus, Supervision, Timestamp};

/// The recorded events of every incident, or of some, in the order recorded.
pub(super) fn events(store: &GeoPackage, keys: Option<&[String]>) -> Result<Vec<IncidentEvent>> {
    let sql = store.sql();
    let mut stmt = store
        .connection()
        .prepare(
            "SELECT incident, status, at, detail FROM incident_events
             WHERE ?1 IS NULL OR incident IN (SELECT value FROM json_each(?1)) ORDER BY id",
        )
        .map_err(&sql)?;
    let keys = keys.map(|k| serde_json::Value::from(k.to_vec()).to_string());
    let mut rows = stmt.query([keys]).map_err(&sql)?;
    let mut out = Vec::new();
    while let Some(r) = rows.next().map_err(&sql)? {
        let incident: String = r.get(0).map_err(&sql)?;
        let at: String = r.get(2).map_err(&sql)?;
        let at = Timestamp::parse(&at, 0).map_err(|e| Error::Workspace {
            path: store.path().to_path_buf(),
            message: format!("incident_events of {incident:?}: time {at:?}: {e}"),
        })?;
        out.push(IncidentEvent {
            incident,
            status: r.get(1).map_err(&sql)?,
            at,
            detail: r.get(3).map_err(&sql)?,
        });
    }
    Ok(out)
}

fn found(store: &GeoPackage, key: &str) -> Result<(i64, Incident)> {
    store.incident(key)?.ok_or_else(|| Error::NotFound {
        path: store.path().to_path_buf(),
        message: format!("no incident {key:?}"),
    })
}

fn refused(store: &GeoPackage, key: &str, (rule, message): crate::store::Refusal) -> Error {
    Error::Incident {
        path: store.path().to_path_buf(),
        key: key.to_string(),
        rule,
        message,
    }
}

pub(super) fn assign(
    store: &mut GeoPackage,
    key: &str,
    a: &Assignment,
    by: &str,
    at: Timestamp,
) -> Result<(i64, Incident)> {
    let (fid, inc) = found(store, key)?;
    if let Some(m) = crate::store::assignment_refused(inc.status) {
        return Err(refused(store, key, m));
    }
    let detail = crate::store::assignment_detail(a, by);
    if inc.status == IncidentStatus::Reported {
        return store.step_with(
            key,
            IncidentStatus::Dispatched,
            at,
            Some(("assigned", detail)),
        );
    }
    if let Some(m) = crate::store::event_time_refused(&inc, at) {
        return Err(refused(store, key, m));
    }
    store
        .connection()
        .execute(
            "INSERT INTO incident_events (incident, status, at, detail) VALUES (?1, 'assigned', ?2, ?3)",
            rusqlite::params![key, at.to_string(), detail],
        )
        .map_err(store.sql())?;
    Ok((fid, inc))
}

/// Past assignments (`record_assignments`): in one immediate transaction (no other writer
/// between the checks and the writes), every case checked, then the events.
pub(super) fn record(
    store: &mut GeoPackage,
    items: &[(String, Assignment, Timestamp)],
    by: &str,
) -> Result<()> {
    let path = store.path().to_path_buf();
    let sql = |source| crate::gpkg::backend_error(path.clone(), source);
    let tx = rusqlite::Transaction::new_unchecked(
        store.connection(),
        rusqlite::TransactionBehavior::Immediate,
    )
    .map_err(sql)?;
    let now = Timestamp::now();
    let mut seen = std::collections::HashSet::new();
    let mut assignments = tx
        .prepare("SELECT detail FROM incident_events WHERE incident = ?1 AND status = 'assigned'")
        .map_err(sql)?;
    for (key, _, at) in items {
        let (_, inc) = found(store, key)?;
        let details: Vec<Option<String>> = assignments
            .query_map([key], |r| r.get(0))
            .map_err(sql)?
            .collect::<std::result::Result<_, _>>()
            .map_err(sql)?;
        let assigned = details
            .iter()
            .any(|d| crate::store::assignment_of(d.as_deref()).is_some());
        let twice = !seen.insert(key.as_str());
        if let Some(m) = crate::store::past_assignment_refused(&inc, *at, (assigned, twice), now) {
            return Err(refused(store, key, m));
        }
    }
    drop(assignments);
    {
        let mut stmt = tx
            .prepare(
                "INSERT INTO incident_events (incident, status, at, detail) VALUES (?1, 'assigned', ?2, ?3)",
            )
            .map_err(sql)?;
        for (key, a, at) in items {
            stmt.execute(rusqlite::params![
                key,
                at.to_string(),
                crate::store::assignment_detail(a, by)
            ])
            .map_err(sql)?;
        }
    }
    tx.commit().map_err(sql)
}

pub(super) fn supervise(
    store: &mut GeoPackage,
    key: &str,
    s: &Supervision,
    at: Timestamp,
) -> Result<()> {
    let (_, inc) = found(store, key)?;
    if inc.status == IncidentStatus::Closed {
        return Err(refused(
            store,
            key,
            (
                "closed",
                "is closed; a closed case is not supervised".into(),
            ),
        ));
    }
    if let Some(m) = crate::store::event_time_refused(&inc, at) {
        return Err(refused(store, key, m));
    }
    store
        .connection()
        .execute(
            "INSERT INTO incident_events (incident, status, at, detail) VALUES (?1, 'supervised', ?2, ?3)",
            rusqlite::params![key, at.to_string(), crate::store::supervision_detail(s)],
        )
        .map_err(store.sql())?;
    Ok(())
}

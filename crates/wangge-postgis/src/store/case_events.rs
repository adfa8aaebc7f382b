//! Events of a case besides its steps, on PostgreSQL: assignments (派遣, with a dispatch in
//! the same transaction when the case was only reported), supervision (督办), and the history
//! of one case. The incident's row is locked, so these take turns with its steps.

use super::incident_rows::locked;
use super::incidents::step;
use super::{PgStore, unix};
use wangge_core::{Assignment, Incident, IncidentStatus, Supervision, Timestamp};
use wangge_io::store::IncidentEvent;
use wangge_io::{Error, Result};

/// The recorded events of every incident, or of some, in the order recorded.
pub(super) fn events(store: &PgStore, keys: Option<&[String]>) -> Result<Vec<IncidentEvent>> {
    let rows = store
        .client()?
        .query(
            &store.sql(&format!(
                "SELECT k.key, s.step, {}, s.detail FROM {{s}}.incident_steps s
                 JOIN {{s}}.incident_keys k ON k.id = s.incident
                 WHERE $1::text[] IS NULL OR k.key = ANY($1) ORDER BY s.seq",
                unix("s.at")
            )),
            &[&keys],
        )
        .map_err(store.err())?;
    Ok(rows
        .iter()
        .map(|r| IncidentEvent {
            incident: r.get(0),
            status: r.get(1),
            at: Timestamp::from_unix(r.get(2)),
            detail: r.get(3),
        })
        .collect())
}

fn refused(store: &PgStore, key: &str, message: String) -> Error {
    Error::Incident {
        path: store.path(),
        key: key.to_string(),
        message,
    }
}

pub(super) fn assign(
    store: &PgStore,
    key: &str,
    a: &Assignment,
    by: &str,
    at: Timestamp,
) -> Result<(i64, Incident)> {
    let mut client = store.client()?;
    let mut tx = client.transaction().map_err(store.err())?;
    let (id, inc, _) = locked(store, &mut tx, key)?;
    if let Some(m) = wangge_io::store::assignment_refused(inc.status) {
        return Err(refused(store, key, m));
    }
    let (id, inc) = if inc.status == IncidentStatus::Reported {
        step(store, &mut tx, key, IncidentStatus::Dispatched, at)?
    } else {
        if let Some(m) = wangge_io::store::event_time_refused(&inc, at) {
            return Err(refused(store, key, m));
        }
        (id, inc)
    };
    tx.execute(
        &store.sql(
            "INSERT INTO {s}.incident_steps (incident, step, at, previous, actor, detail)
             VALUES ($1, 'assigned', to_timestamp($2::bigint), $3, $4, $5)",
        ),
        &[
            &id,
            &at.unix(),
            &inc.status.as_str(),
            &by,
            &wangge_io::store::assignment_detail(a, by),
        ],
    )
    .map_err(store.err())?;
    tx.commit().map_err(store.err())?;
    Ok((id, inc))
}

pub(super) fn supervise(store: &PgStore, key: &str, s: &Supervision, at: Timestamp) -> Result<()> {
    let mut client = store.client()?;
    let mut tx = client.transaction().map_err(store.err())?;
    let (id, inc, _) = locked(store, &mut tx, key)?;
    if inc.status == IncidentStatus::Closed {
        return Err(refused(
            store,
            key,
            "is closed; a closed case is not supervised".into(),
        ));
    }
    if let Some(m) = wangge_io::store::event_time_refused(&inc, at) {
        return Err(refused(store, key, m));
    }
    tx.execute(
        &store.sql(
            "INSERT INTO {s}.incident_steps (incident, step, at, previous, actor, detail)
             VALUES ($1, 'supervised', to_timestamp($2::bigint), $3, $4, $5)",
        ),
        &[
            &id,
            &at.unix(),
            &inc.status.as_str(),
            &s.by,
            &wangge_io::store::supervision_detail(s),
        ],
    )
    .map_err(store.err())?;
    tx.commit().map_err(store.err())?;
    Ok(())
}

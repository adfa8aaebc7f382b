//! Events of a case besides its steps, on PostgreSQL: assignments (派遣, with a dispatch in
//! the same transaction when the case was only reported; past ones recorded as history),
//! supervision (督办), and the history of one case. The incident's row is locked, so these take turns with its steps.

use super::incident_rows::{columns, incident_row, locked, month_param};
use super::{PgStore, unix};
use postgres::Transaction;
use postgres::types::Type;
use std::collections::HashMap;
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

fn refused(store: &PgStore, key: &str, (rule, message): wangge_io::store::Refusal) -> Error {
    Error::Incident {
        path: store.path(),
        key: key.to_string(),
        rule,
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
    store.commit_own(tx)?;
    Ok((id, inc))
}

/// Past assignments (`record_assignments`): the cases locked in one statement in id order
/// (the order `reassign_incidents` updates them in), checked, then the events in one
/// statement (the tally trigger keeps the last on each row).
pub(super) fn record(
    store: &PgStore,
    items: &[(String, Assignment, Timestamp)],
    by: &str,
) -> Result<()> {
    let e = store.err();
    let mut client = store.client()?;
    let mut tx = client.transaction().map_err(&e)?;
    let keys: Vec<&str> = items.iter().map(|i| i.0.as_str()).collect();
    let rows = tx
        .query(
            &store.sql(&format!(
                "SELECT {}, i.assigned_department FROM {{s}}.incidents i
                 JOIN {{s}}.incident_keys k ON k.id = i.id AND k.month = i.month
                 WHERE k.key = ANY($1) ORDER BY i.id FOR UPDATE OF i",
                columns()
            )),
            &[&keys],
        )
        .map_err(&e)?;
    let mut cases: HashMap<String, (i64, Incident, bool)> = HashMap::new();
    for r in &rows {
        let (id, inc) = incident_row(store, r)?;
        let assigned = r.try_get::<_, Option<String>>(15).map_err(&e)?.is_some();
        cases.insert(inc.key.clone(), (id, inc, assigned));
    }
    let now = Timestamp::now();
    let mut seen = std::collections::HashSet::new();
    let (mut ids, mut previous) = (Vec::new(), Vec::new());
    for (key, _, at) in items {
        let Some((id, inc, assigned)) = cases.get(key) else {
            return Err(Error::NotFound {
                path: store.path(),
                message: format!("no incident {key:?}"),
            });
        };
        let twice = !seen.insert(key.as_str());
        if let Some(m) =
            wangge_io::store::past_assignment_refused(inc, *at, (*assigned, twice), now)
        {
            return Err(refused(store, key, m));
        }
        ids.push(*id);
        previous.push(inc.status.as_str());
    }
    let ats: Vec<i64> = items.iter().map(|i| i.2.unix()).collect();
    let details: Vec<String> = items
        .iter()
        .map(|i| wangge_io::store::assignment_detail(&i.1, by))
        .collect();
    tx.execute(
        &store.sql(
            "INSERT INTO {s}.incident_steps (incident, step, at, previous, actor, detail)
             SELECT u.id, 'assigned', to_timestamp(u.at), u.previous, $5, u.detail
             FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[])
                  WITH ORDINALITY AS u(id, at, previous, detail, n)
             ORDER BY u.n",
        ),
        &[&ids, &ats, &previous, &details, &by],
    )
    .map_err(&e)?;
    tx.commit().map_err(&e)
}

pub(super) fn supervise(store: &PgStore, key: &str, s: &Supervision, at: Timestamp) -> Result<()> {
    let mut client = store.client()?;
    let mut tx = client.transaction().map_err(store.err())?;
    let (id, inc, _) = locked(store, &mut tx, key)?;
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

/// Moves an incident to `to` at `at` in `tx` if the loop allows it (the row locked), and
/// records the step; the caller commits.
pub(super) fn step(
    store: &PgStore,
    tx: &mut Transaction<'_>,
    key: &str,
    to: IncidentStatus,
    at: Timestamp,
) -> Result<(i64, Incident)> {
    let path = store.path();
    let refuse = |message: String| Error::Incident {
        path: path.clone(),
        key: key.to_string(),
        rule: "transition",
        message,
    };
    let timed = |e: wangge_core::Error| match e {
        wangge_core::Error::StepTime { rule, message } => Error::IncidentTime {
            path: path.clone(),
            key: key.to_string(),
            rule,
            message,
        },
        e => refuse(e.to_string()),
    };
    let (fid, mut inc, month) = locked(store, tx, key)?;
    wangge_core::check_not_future(to, at, Timestamp::now()).map_err(&timed)?;
    let previous = inc.status;
    inc.transition(to, at).map_err(&timed)?;
    let col = match to {
        IncidentStatus::Dispatched => "dispatched_at",
        IncidentStatus::Handled => "handled_at",
        IncidentStatus::FollowedUp => "followed_up_at",
        IncidentStatus::Closed => "closed_at",
        IncidentStatus::Reported => {
            return Err(refuse("an incident is reported only once".into()));
        }
    };
    // The change and its step in one statement, sent with its types (one round trip).
    tx.query_typed(
        &store.sql(&format!(
            "WITH u AS (UPDATE {{s}}.incidents SET status = $1, {col} = to_timestamp($2)
                        WHERE month = {} AND id = $4 RETURNING id)
             INSERT INTO {{s}}.incident_steps (incident, step, at, previous)
             SELECT id, $1, to_timestamp($2), $5 FROM u",
            month_param(3)
        )),
        &[
            (&to.as_str(), Type::TEXT),
            (&at.unix(), Type::INT8),
            (&month, Type::TEXT),
            (&fid, Type::INT8),
            (&previous.as_str(), Type::TEXT),
        ],
    )
    .map_err(store.err())?;
    Ok((fid, inc))
}

//! The status changes other servers committed (`IncidentStore::status_changes`): a server
//! keeps every incident's status in its heat index (heat tiles are filtered by status), and
//! brings it up to date from the change log (migration 15 logs the status each changed
//! incident had before) when the feed tells it of a change. The steps and assignments this
//! process committed are passed over (`PgStore::commit_own`): replayed, they would move an
//! identical twin's status (heat records are told apart by place, time, category, source and
//! status, not by id).

use super::PgStore;
use super::incident_rows::{columns, incident_row};
use wangge_core::IncidentStatus;
use wangge_io::Result;
use wangge_io::store::StatusChanges;

/// The changes after the count `after` up to the count now, in one snapshot.
pub(super) fn since(store: &PgStore, after: Option<i64>) -> Result<StatusChanges> {
    let e = store.err();
    let mut client = store.client()?;
    let mut tx = store.snapshot(&mut client)?;
    let upto: i64 = tx
        .query_one(&store.sql("SELECT changed FROM {s}.data_version"), &[])
        .map_err(&e)?
        .get(0);
    let Some(after) = after.filter(|a| *a < upto) else {
        return Ok(StatusChanges {
            upto,
            changes: Vec::new(),
            complete: true,
        });
    };
    // Every count in between logged, each with the statuses (a statement changing more than
    // 10,000 incidents, or one logged before migration 15, has none).
    let logged: i64 = tx
        .query_one(
            &store.sql(
                "SELECT count(DISTINCT changed) FILTER (WHERE status IS NOT NULL)
                 FROM {s}.incident_changes WHERE changed > $1 AND changed <= $2",
            ),
            &[&after, &upto],
        )
        .map_err(&e)?
        .get(0);
    // This process's own steps and assignments are passed over (its server moved those
    // statuses itself): each incident as it was before its first change another made.
    let (firsts, lasts): (Vec<i64>, Vec<i64>) = store
        .own_changes()
        .into_iter()
        .filter(|r| r.1 > after && r.0 <= upto)
        .unzip();
    let rows = tx
        .query(
            &store.sql(&format!(
                "SELECT DISTINCT ON (l.id) {}, l.status
                 FROM {{s}}.incident_changes l
                 JOIN {{s}}.incidents i ON i.id = l.id AND i.month = l.month
                 WHERE l.changed > $1 AND l.changed <= $2 AND l.status IS NOT NULL
                   AND NOT EXISTS (SELECT 1 FROM unnest($3::bigint[], $4::bigint[]) o(a, b)
                                   WHERE l.changed BETWEEN o.a AND o.b)
                 ORDER BY l.id, l.changed",
                columns()
            )),
            &[&after, &upto, &firsts, &lasts],
        )
        .map_err(&e)?;
    let mut changes = Vec::new();
    for r in &rows {
        let (_, now) = incident_row(store, r)?;
        let was: String = r.try_get(15).map_err(&e)?;
        let was = IncidentStatus::parse(&was)
            .map_err(|x| store.damaged(format!("incident {}: {x}", now.key)))?;
        if was != now.status {
            let mut before = now.clone();
            before.status = was;
            let to = now.status;
            changes.push((before, to));
        }
    }
    Ok(StatusChanges {
        upto,
        changes,
        complete: logged == upto - after,
    })
}

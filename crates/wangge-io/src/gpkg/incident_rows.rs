//! An incident as a row of the `incidents` layer, and its closed-loop steps as event rows.

use super::rows::{conv, point};
use geo_types::Geometry;
use rusqlite::types::Value;
use rusqlite::{Transaction, params};
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
        i.component.clone().into(),
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
        component: r.get(14)?,
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

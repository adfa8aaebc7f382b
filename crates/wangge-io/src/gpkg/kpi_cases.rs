//! What the closed-loop KPIs and the social-condition index read from the store: every
//! incident as a `Case` (steps, reworks and extensions from `incident_events`, its street from
//! its community), households per area, and deadline extensions (延期) as events.

use super::store::GeoPackage;
use crate::store::prelude::*;
use crate::{Error, Result};
use std::collections::{BTreeMap, HashMap};
use wangge_core::Timestamp;
use wangge_core::kpi::{Case, Level};

/// Incidents as cases: all of them, or those reported in `[from, to)`.
// Long: three reads (streets, events of the incidents read, the incidents) and the cases
// assembled from them.
pub(super) fn kpi_cases(
    store: &GeoPackage,
    between: Option<(Timestamp, Timestamp)>,
) -> Result<Vec<Case>> {
    let sql = store.sql();
    // Times are stored as RFC 3339 UTC text of one width: text order is time order.
    let (from, to) = between.map_or((String::new(), "~".to_string()), |(f, t)| {
        (f.to_string(), t.to_string())
    });
    let street_of: HashMap<String, String> = crate::store::PlaceStore::community_streets(store)?
        .into_iter()
        .collect();
    // Reworks: dispatch events after the first; extensions: hours in `detail`.
    let mut dispatches: HashMap<String, u32> = HashMap::new();
    let mut extension: HashMap<String, f64> = HashMap::new();
    let mut evaluation: HashMap<String, wangge_core::kpi::Evaluation> = HashMap::new();
    let mut assigned: HashMap<String, wangge_core::Assignment> = HashMap::new();
    {
        let mut stmt = store
            .connection()
            .prepare(
                "SELECT incident, status, detail FROM incident_events
                 WHERE status IN ('dispatched', 'extended', 'evaluated', 'assigned')
                   AND incident IN (SELECT key FROM incidents WHERE time >= ?1 AND time < ?2)
                 ORDER BY id",
            )
            .map_err(&sql)?;
        let mut rows = stmt.query([&from, &to]).map_err(&sql)?;
        while let Some(r) = rows.next().map_err(&sql)? {
            let key: String = r.get(0).map_err(&sql)?;
            let status: String = r.get(1).map_err(&sql)?;
            let detail: Option<String> = r.get(2).map_err(&sql)?;
            match status.as_str() {
                "dispatched" => *dispatches.entry(key).or_default() += 1,
                "evaluated" => {
                    // The latest readable evaluation counts.
                    if let Some(e) = crate::store::evaluation_of(detail.as_deref()) {
                        evaluation.insert(key, e);
                    }
                }
                "assigned" => {
                    // The latest readable assignment counts.
                    if let Some(a) = crate::store::assignment_of(detail.as_deref()) {
                        assigned.insert(key, a);
                    }
                }
                _ => {
                    let hours = crate::store::extension_hours(detail.as_deref());
                    *extension.entry(key).or_default() += hours;
                }
            }
        }
    }
    let mut stmt = store
        .connection()
        .prepare(
            "SELECT key, time, category, source, community, grid, dispatched_at, handled_at, followed_up_at, closed_at
             FROM incidents WHERE time >= ?1 AND time < ?2 ORDER BY fid",
        )
        .map_err(&sql)?;
    let mut rows = stmt.query([&from, &to]).map_err(&sql)?;
    let mut out = Vec::new();
    let path = store.path().to_path_buf();
    let when = |text: String, key: &str| {
        Timestamp::parse(&text, 0).map_err(|e| Error::Workspace {
            path: path.clone(),
            message: format!("incident {key}: time {text:?}: {e}"),
        })
    };
    while let Some(r) = rows.next().map_err(&sql)? {
        let key: String = r.get(0).map_err(&sql)?;
        let time = when(r.get(1).map_err(&sql)?, &key)?;
        let mut steps = [None; 4];
        for (i, s) in steps.iter_mut().enumerate() {
            if let Some(t) = r.get::<_, Option<String>>(6 + i).map_err(&sql)? {
                *s = Some(when(t, &key)?);
            }
        }
        let community: Option<String> = r.get(4).map_err(&sql)?;
        out.push(Case {
            street: community.as_ref().and_then(|c| street_of.get(c).cloned()),
            reworks: dispatches.get(&key).map_or(0, |n| n.saturating_sub(1)),
            extension_h: extension.get(&key).copied().unwrap_or(0.0),
            evaluation: evaluation.get(&key).copied(),
            department: assigned.get(&key).map(|a| a.department.clone()),
            worker: assigned.get(&key).and_then(|a| a.worker.clone()),
            time,
            category: r.get(2).map_err(&sql)?,
            source: r.get(3).map_err(&sql)?,
            community,
            grid: r.get(5).map_err(&sql)?,
            steps,
            key,
        });
    }
    Ok(out)
}

pub(super) fn extend_incident(
    store: &mut GeoPackage,
    key: &str,
    hours: f64,
    at: Timestamp,
    reason: &str,
) -> Result<()> {
    let refuse = |rule: &'static str, message: String| Error::Incident {
        path: store.path().to_path_buf(),
        key: key.to_string(),
        rule,
        message,
    };
    if !(hours.is_finite() && hours > 0.0 && hours <= 24.0 * 365.0) {
        return Err(refuse(
            "extension_hours",
            format!("extension of {hours} hours: 0 to 8760"),
        ));
    }
    let (_, inc) = store.incident(key)?.ok_or_else(|| Error::NotFound {
        path: store.path().to_path_buf(),
        message: format!("no incident {key:?}"),
    })?;
    if inc.steps[3].is_some() {
        return Err(refuse(
            "closed",
            "is closed; a closed incident cannot be extended".into(),
        ));
    }
    let detail = crate::store::extension_detail(hours, reason);
    store.connection()
        .execute(
            "INSERT INTO incident_events (incident, status, at, detail) VALUES (?1, 'extended', ?2, ?3)",
            rusqlite::params![key, at.to_string(), detail],
        )
        .map_err(store.sql())?;
    Ok(())
}

pub(super) fn evaluate_incident(
    store: &mut GeoPackage,
    key: &str,
    evaluation: wangge_core::kpi::Evaluation,
    note: &str,
    at: Timestamp,
) -> Result<()> {
    let (_, inc) = store.incident(key)?.ok_or_else(|| Error::NotFound {
        path: store.path().to_path_buf(),
        message: format!("no incident {key:?}"),
    })?;
    if let Some((rule, message)) = crate::store::evaluation_refused(inc.steps[3], at) {
        return Err(Error::Incident {
            path: store.path().to_path_buf(),
            key: key.to_string(),
            rule,
            message,
        });
    }
    let detail = crate::store::evaluation_detail(evaluation, note);
    store.connection()
        .execute(
            "INSERT INTO incident_events (incident, status, at, detail) VALUES (?1, 'evaluated', ?2, ?3)",
            rusqlite::params![key, at.to_string(), detail],
        )
        .map_err(store.sql())?;
    Ok(())
}

pub(super) fn area_households(store: &GeoPackage, level: Level) -> Result<BTreeMap<String, u64>> {
    let mut out: BTreeMap<String, u64> = BTreeMap::new();
    // Departments and workers are not areas: no households.
    if matches!(level, Level::Department | Level::Worker) {
        return Ok(out);
    }
    let mut data = store.load_places()?;
    data.communities = crate::store::communities_of_record(store)?;
    match level {
        Level::Grid => {
            if let Some(plan) = store.latest_plan()? {
                for (_, g, h) in store.plan_members(plan)? {
                    *out.entry(g).or_default() += u64::from(h);
                }
            }
        }
        Level::District => {
            out.insert(
                "district".into(),
                data.address_points
                    .iter()
                    .map(|a| u64::from(a.households))
                    .sum(),
            );
        }
        Level::Community | Level::Street => {
            let idx = wangge_core::index::PolygonIndex::new(
                wangge_core::index::frame_for(&data),
                data.communities.iter().map(|c| &c.geometry),
            );
            for c in &data.communities {
                let area = match level {
                    Level::Street => c.street.clone(),
                    _ => Some(c.key.clone()),
                };
                if let Some(a) = area {
                    out.entry(a).or_default();
                }
            }
            for a in &data.address_points {
                if let Some(i) = idx.first_containing(a.location) {
                    let c = &data.communities[i];
                    let area = match level {
                        Level::Street => c.street.clone(),
                        _ => Some(c.key.clone()),
                    };
                    if let Some(area) = area {
                        *out.entry(area).or_default() += u64::from(a.households);
                    }
                }
            }
        }
        Level::Department | Level::Worker => {}
    }
    Ok(out)
}

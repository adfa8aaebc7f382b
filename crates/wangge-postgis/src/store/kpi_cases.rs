//! What the closed-loop KPIs and the social-condition index read from the store on
//! PostgreSQL: every incident as a `Case` (reworks and extensions from `incident_steps`, its
//! street from its community), and deadline extensions (延期) as steps.

use super::incident_rows::locked;
use super::{PgStore, unix};
use std::collections::HashMap;
use wangge_core::Timestamp;
use wangge_core::kpi::Case;
use wangge_io::{Error, Result};

/// Incidents as cases: all of them, or those reported in `[from, to)` (the months'
/// partitions pruned, the time index used).
// Long: three reads in one snapshot (streets, steps of the incidents read, the incidents)
// and the cases assembled from them.
pub(super) fn kpi_cases(
    store: &PgStore,
    between: Option<(Timestamp, Timestamp)>,
) -> Result<Vec<Case>> {
    let e = store.err();
    // All: 1900-01-01 to 9999-12-31 (what `timestamptz` holds).
    let (from, to) = between.map_or((-2_208_988_800, 253_402_300_799), |(f, t)| {
        (f.unix().max(-2_208_988_800), t.unix().min(253_402_300_799))
    });
    // The window on `incidents i`: time, and the local months it spans (partition pruning).
    let window = format!(
        "i.time >= to_timestamp($1::bigint) AND i.time < to_timestamp($2::bigint)
         AND i.month >= {} AND i.month <= {}",
        super::incident_rows::month_of("$1::bigint"),
        super::incident_rows::month_of("$2::bigint")
    );
    let mut client = store.client()?;
    // Communities, steps and incidents in one snapshot.
    let mut tx = store.snapshot(&mut client)?;
    let mut street_of: HashMap<String, String> = HashMap::new();
    for r in &tx
        .query(
            &store.sql(&format!(
                "SELECT key, street FROM {} r WHERE street IS NOT NULL",
                super::record::RECORD_STREETS
            )),
            &[],
        )
        .map_err(&e)?
    {
        street_of.insert(r.try_get(0).map_err(&e)?, r.try_get(1).map_err(&e)?);
    }
    // Reworks: dispatch steps after the first; extensions: hours in `detail` (summed in the
    // order they were recorded).
    let mut dispatches: HashMap<i64, u32> = HashMap::new();
    let mut extension: HashMap<i64, f64> = HashMap::new();
    let mut evaluation: HashMap<i64, wangge_core::kpi::Evaluation> = HashMap::new();
    let mut assigned: HashMap<i64, wangge_core::Assignment> = HashMap::new();
    for r in &tx
        .query(
            &store.sql(&format!(
                "SELECT incident, step, detail FROM {{s}}.incident_steps
                     WHERE step IN ('dispatched', 'extended', 'evaluated', 'assigned')
                       AND incident IN (SELECT i.id FROM {{s}}.incidents i WHERE {window})
                     ORDER BY incident, seq"
            )),
            &[&from, &to],
        )
        .map_err(&e)?
    {
        let id: i64 = r.try_get(0).map_err(&e)?;
        let step: String = r.try_get(1).map_err(&e)?;
        let detail: Option<String> = r.try_get(2).map_err(&e)?;
        match step.as_str() {
            "dispatched" => *dispatches.entry(id).or_default() += 1,
            "evaluated" => {
                // The latest readable evaluation counts (rows in step order).
                if let Some(v) = wangge_io::store::evaluation_of(detail.as_deref()) {
                    evaluation.insert(id, v);
                }
            }
            "assigned" => {
                // The latest readable assignment counts (rows in step order).
                if let Some(a) = wangge_io::store::assignment_of(detail.as_deref()) {
                    assigned.insert(id, a);
                }
            }
            _ => {
                let hours = wangge_io::store::extension_hours(detail.as_deref());
                *extension.entry(id).or_default() += hours;
            }
        }
    }
    let rows = tx
        .query(
            &store.sql(&format!(
                "SELECT id, key, {}, category, source, community, grid, {}, {}, {}, {}
                 FROM {{s}}.incidents i WHERE {window} ORDER BY id",
                unix("time"),
                unix("dispatched_at"),
                unix("handled_at"),
                unix("followed_up_at"),
                unix("closed_at"),
            )),
            &[&from, &to],
        )
        .map_err(&e)?;
    tx.commit().map_err(&e)?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let id: i64 = r.try_get(0).map_err(&e)?;
        let mut steps = [None; 4];
        for (n, s) in steps.iter_mut().enumerate() {
            *s = r
                .try_get::<_, Option<i64>>(7 + n)
                .map_err(&e)?
                .map(Timestamp::from_unix);
        }
        let community: Option<String> = r.try_get(5).map_err(&e)?;
        out.push(Case {
            key: r.try_get(1).map_err(&e)?,
            time: Timestamp::from_unix(r.try_get(2).map_err(&e)?),
            category: r.try_get(3).map_err(&e)?,
            source: r.try_get(4).map_err(&e)?,
            street: community.as_ref().and_then(|c| street_of.get(c).cloned()),
            community,
            grid: r.try_get(6).map_err(&e)?,
            steps,
            reworks: dispatches.get(&id).map_or(0, |n| n.saturating_sub(1)),
            extension_h: extension.get(&id).copied().unwrap_or(0.0),
            evaluation: evaluation.get(&id).copied(),
            department: assigned.get(&id).map(|a| a.department.clone()),
            worker: assigned.get(&id).and_then(|a| a.worker.clone()),
        });
    }
    Ok(out)
}

pub(super) fn evaluate_incident(
    store: &PgStore,
    key: &str,
    evaluation: wangge_core::kpi::Evaluation,
    note: &str,
    at: Timestamp,
) -> Result<()> {
    let mut client = store.client()?;
    let mut tx = client.transaction().map_err(store.err())?;
    // Locked: an evaluation waits for a closing of the same incident in flight.
    let (id, inc, _) = locked(store, &mut tx, key)?;
    if let Some((rule, message)) = wangge_io::store::evaluation_refused(inc.steps[3], at) {
        return Err(Error::Incident {
            path: store.path(),
            key: key.to_string(),
            rule,
            message,
        });
    }
    let detail = wangge_io::store::evaluation_detail(evaluation, note);
    tx.execute(
        &store.sql(
            "INSERT INTO {s}.incident_steps (incident, step, at, previous, detail)
             VALUES ($1, 'evaluated', to_timestamp($2::bigint), $3, $4)",
        ),
        &[&id, &at.unix(), &inc.status.as_str(), &detail],
    )
    .map_err(store.err())?;
    tx.commit().map_err(store.err())?;
    Ok(())
}

pub(super) fn extend_incident(
    store: &PgStore,
    key: &str,
    hours: f64,
    at: Timestamp,
    reason: &str,
) -> Result<()> {
    let refuse = |rule: &'static str, message: String| Error::Incident {
        path: store.path(),
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
    let mut client = store.client()?;
    let mut tx = client.transaction().map_err(store.err())?;
    // Locked: an extension and a closing of the same incident take turns.
    let (id, inc, _) = locked(store, &mut tx, key)?;
    if inc.steps[3].is_some() {
        return Err(refuse(
            "closed",
            "is closed; a closed incident cannot be extended".into(),
        ));
    }
    let detail = wangge_io::store::extension_detail(hours, reason);
    tx.execute(
        &store.sql(
            "INSERT INTO {s}.incident_steps (incident, step, at, previous, detail)
             VALUES ($1, 'extended', to_timestamp($2::bigint), $3, $4)",
        ),
        &[&id, &at.unix(), &inc.status.as_str(), &detail],
    )
    .map_err(store.err())?;
    tx.commit().map_err(store.err())?;
    Ok(())
}

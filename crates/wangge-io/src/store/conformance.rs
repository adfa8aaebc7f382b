//! The shared test suite of the store interface: every backend runs it on an empty store
//! (`make` returns a fresh one each call). It checks the promises the front ends rely on,
//! through the traits only: what is written reads back, a failed write leaves the store as it
//! was, plan versions keep their parents and a community level, tokens and the audit log,
//! incident batches are idempotent, the data version moves with the data.

use super::{KpiTable, Store, StoredPlanCommunity, Versioning};
use wangge_core::partition::WorkspacePlan;
use wangge_core::{Dataset, Incident, IncidentStatus, NoProgress, Timestamp};

/// A failed check: which one and what was seen.
#[derive(Debug)]
pub struct Failure {
    pub check: &'static str,
    pub detail: String,
}

type Check = fn(&mut dyn Store, &Dataset) -> Result<(), String>;

/// The checks, by name.
pub const CHECKS: &[(&str, Check)] = &[
    ("places read back", places_read_back),
    (
        "a failed write leaves the store as it was",
        failed_write_changes_nothing,
    ),
    ("plan versions", plan_versions),
    ("a plan's community level", plan_community_level),
    (
        "a plan's community level is the communities of record",
        levels_of_record,
    ),
    ("incident batches are idempotent", incidents_idempotent),
    ("KPI cases of a time window", kpi_window),
    ("KPI rows a store computes agree with kpis", kpi_rows_agree),
    (
        "index tallies a store computes agree with its cases'",
        index_tallies_agree,
    ),
    (
        "KPI tables brought up to date with new incidents",
        kpi_rows_since_new_incidents,
    ),
    ("closed-loop steps", incident_steps),
    (
        "assignments, supervision and the workers register",
        assignments,
    ),
    ("past assignments recorded as history", past_assignments),
    ("photos of incidents", photos),
    ("tokens and audit log", tokens_and_audit),
    ("data version moves with the data", data_version_moves),
];

/// Runs every check on a fresh store from `make`, loaded with `data` (a small dataset with
/// communities, address points and incidents); returns the failures.
pub fn run(make: &mut dyn FnMut() -> Box<dyn Store>, data: &Dataset) -> Vec<Failure> {
    let mut out = Vec::new();
    for (check, f) in CHECKS {
        let mut store = make();
        if let Err(detail) = f(store.as_mut(), data) {
            out.push(Failure { check, detail });
        }
    }
    out
}

fn e(x: impl std::fmt::Display) -> String {
    x.to_string()
}

fn places(data: &Dataset) -> Dataset {
    Dataset {
        incidents: Vec::new(),
        ..data.clone()
    }
}

fn places_read_back(s: &mut dyn Store, data: &Dataset) -> Result<(), String> {
    let d = places(data);
    s.write(&d, "conformance", "test", &NoProgress).map_err(e)?;
    let back = s.load_places().map_err(e)?;
    if back.communities.len() != d.communities.len()
        || back.address_points.len() != d.address_points.len()
        || back.buildings.len() != d.buildings.len()
        || back.facilities.len() != d.facilities.len()
        || back.streets.len() != d.streets.len()
    {
        return Err(format!(
            "counts differ: {} communities, {} address points back",
            back.communities.len(),
            back.address_points.len()
        ));
    }
    let want: u64 = d
        .address_points
        .iter()
        .map(|a| u64::from(a.households))
        .sum();
    let (given, estimated) = s.households().map_err(e)?;
    if given + estimated != want {
        return Err(format!("households {} + {} != {want}", given, estimated));
    }
    let points: u64 = s
        .household_points()
        .map_err(e)?
        .iter()
        .map(|p| u64::from(p.2))
        .sum();
    if points != want {
        return Err(format!("household points sum {points} != {want}"));
    }
    let counts = s.counts().map_err(e)?;
    let ap = counts.iter().find(|c| c.layer == "address_points");
    if ap.map(|c| c.features) != Some(d.address_points.len() as u64) {
        return Err(format!("counts {counts:?}"));
    }
    // One building with its entrances, as written.
    let b = d.buildings.first().ok_or("the dataset has no buildings")?;
    let (got, mut entrances) = s
        .building(&b.key)
        .map_err(e)?
        .ok_or_else(|| format!("building {:?} not found", b.key))?;
    let mut want: Vec<_> = d
        .address_points
        .iter()
        .filter(|a| a.building.as_deref() == Some(b.key.as_str()))
        .cloned()
        .collect();
    want.sort_by(|x, y| x.key.cmp(&y.key));
    entrances.sort_by(|x, y| x.key.cmp(&y.key));
    if got != *b || entrances != want {
        return Err(format!("building {:?} reads back differently", b.key));
    }
    if s.building("no such building").map_err(e)?.is_some() {
        return Err("a building that is not there was found".into());
    }
    Ok(())
}

fn failed_write_changes_nothing(s: &mut dyn Store, data: &Dataset) -> Result<(), String> {
    let d = places(data);
    s.write(&d, "conformance", "test", &NoProgress).map_err(e)?;
    let before = s.digest().map_err(e)?;
    // The same keys again: refused as a whole.
    if s.write(&d, "conformance", "again", &NoProgress).is_ok() {
        return Err("writing the same keys twice was accepted".into());
    }
    if s.digest().map_err(e)? != before {
        return Err("a refused write changed the store".into());
    }
    Ok(())
}

fn plan_versions(s: &mut dyn Store, data: &Dataset) -> Result<(), String> {
    s.write(&places(data), "conformance", "test", &NoProgress)
        .map_err(e)?;
    if s.latest_plan().map_err(e)?.is_some() {
        return Err("a new store has a plan".into());
    }
    let plan = WorkspacePlan::default();
    let a = s.write_plan(&plan, "partition", 200, 1, None).map_err(e)?;
    let b = s.write_plan(&plan, "edit", 200, 1, Some(a)).map_err(e)?;
    if s.latest_plan().map_err(e)? != Some(b) {
        return Err("the newest plan is not the last written".into());
    }
    let rows = s.plans().map_err(e)?;
    let parent = rows.iter().find(|p| p.id == b).and_then(|p| p.parent);
    if parent != Some(a) {
        return Err(format!("parent of {b} is {parent:?}, not {a}"));
    }
    s.name_plan(a, "first").map_err(e)?;
    let named = s.plans().map_err(e)?;
    if named
        .iter()
        .find(|p| p.id == a)
        .and_then(|p| p.name.clone())
        != Some("first".into())
    {
        return Err("the name did not stick".into());
    }
    if s.name_plan(a + b + 10, "x").is_ok() {
        return Err("an unknown plan was named".into());
    }
    Ok(())
}

/// A plan's communities read back as written, in order; another plan has none.
fn plan_community_level(s: &mut dyn Store, data: &Dataset) -> Result<(), String> {
    s.write(&places(data), "conformance", "test", &NoProgress)
        .map_err(e)?;
    let plan = WorkspacePlan::default();
    let square = |x: f64| {
        geo_types::Polygon::new(
            geo_types::LineString::from(vec![
                (x, 0.0),
                (x + 0.01, 0.0),
                (x + 0.01, 0.01),
                (x, 0.01),
                (x, 0.0),
            ]),
            vec![],
        )
    };
    let level: Vec<StoredPlanCommunity> = [("S2001", 0.02), ("S1001", 0.0), ("S1002", 0.01)]
        .iter()
        .map(|(code, x)| StoredPlanCommunity {
            code: (*code).to_string(),
            street: code[..2].to_string(),
            households: 700,
            area_m2: 1_234_567.5,
            polsby_popper: 0.785,
            polygon: square(*x),
        })
        .collect();
    let a = s
        .write_version(
            &plan,
            "partition",
            200,
            1,
            None,
            Versioning::Current,
            &level,
        )
        .map_err(e)?;
    let b = s.write_plan(&plan, "edit", 200, 1, Some(a)).map_err(e)?;
    // A stale write stores neither the version nor its communities.
    let stale = s.write_version(
        &plan,
        "edit",
        200,
        1,
        Some(a),
        Versioning::IfCurrent(a),
        &level,
    );
    if stale.is_ok() || s.plans().map_err(e)?.len() != 2 {
        return Err(format!("a stale version was written: {stale:?}"));
    }
    let back = s.plan_communities(a).map_err(e)?;
    if back != level {
        return Err(format!("written {level:?}, read back {back:?}"));
    }
    if !s.plan_communities(b).map_err(e)?.is_empty() {
        return Err("a plan without a community level has one".into());
    }
    Ok(())
}

/// When the current plan has a community level (`partition --levels`), its communities are
/// the communities of record (`communities_of_record`): the first community's incidents are
/// moved into two communities made from it (its street: the community's key), and the
/// store's streets (`community_streets`), the streets of its cases, its households per
/// community and street, and its KPI rows and index tallies by street follow them; without
/// the level they are the imported communities again.
// Long: the level written, then each reading of streets checked against the definition.
fn levels_of_record(s: &mut dyn Store, data: &Dataset) -> Result<(), String> {
    use super::{communities_of_record, streets_of_record};
    use wangge_core::kpi::{Level, TimeLimits, kpis, month_of, tally_cases};
    let mut data = data.clone();
    let street = data.communities.first().ok_or("no community")?.clone();
    let (a, b) = (format!("{}001", street.key), format!("{}002", street.key));
    let mut moved = 0;
    for (n, i) in data.incidents.iter_mut().enumerate() {
        if i.community.as_deref() == Some(street.key.as_str()) {
            i.community = Some(if n % 2 == 0 { a.clone() } else { b.clone() });
            moved += 1;
        }
    }
    if moved == 0 {
        return Err("no incident in the first community".into());
    }
    s.write(&data, "conformance", "test", &NoProgress)
        .map_err(e)?;
    let imported = s.community_streets().map_err(e)?;
    // Halves of the first community's box (west and east).
    let r = geo::BoundingRect::bounding_rect(&street.geometry).ok_or("an empty community")?;
    let mid = (r.min().x + r.max().x) / 2.0;
    let half =
        |x0: f64, x1: f64| geo_types::Rect::new((x0, r.min().y), (x1, r.max().y)).to_polygon();
    let level: Vec<StoredPlanCommunity> = [(&a, half(r.min().x, mid)), (&b, half(mid, r.max().x))]
        .into_iter()
        .map(|(code, polygon)| StoredPlanCommunity {
            code: code.clone(),
            street: street.key.clone(),
            households: 1,
            area_m2: 1.0,
            polsby_popper: 0.5,
            polygon,
        })
        .collect();
    let plan = WorkspacePlan::default();
    s.write_version(
        &plan,
        "partition",
        200,
        1,
        None,
        Versioning::Current,
        &level,
    )
    .map_err(e)?;
    let want: Vec<(String, String)> = vec![
        (a.clone(), street.key.clone()),
        (b.clone(), street.key.clone()),
    ];
    let got = s.community_streets().map_err(e)?;
    if got != want || streets_of_record(&*s).map_err(e)? != want {
        return Err(format!(
            "streets of the level: store {got:?}, expected {want:?}"
        ));
    }
    let record: std::collections::HashMap<String, String> = want.iter().cloned().collect();
    let cases = s.kpi_cases().map_err(e)?;
    for c in &cases {
        let expected = c.community.as_ref().and_then(|k| record.get(k));
        if c.street.as_ref() != expected {
            return Err(format!(
                "case {} in {:?}: street {:?}, of record {expected:?}",
                c.key, c.community, c.street
            ));
        }
    }
    let names: Vec<String> = communities_of_record(&*s)
        .map_err(e)?
        .into_iter()
        .map(|c| c.key)
        .collect();
    for (level, keys) in [
        (Level::Community, names),
        (Level::Street, vec![street.key.clone()]),
    ] {
        let got: Vec<String> = s.area_households(level).map_err(e)?.into_keys().collect();
        if got != keys {
            return Err(format!(
                "{level:?}: households of {got:?}, expected {keys:?}"
            ));
        }
    }
    let limits = TimeLimits::builtin();
    let month = month_of(
        cases
            .iter()
            .find(|c| c.street.is_some())
            .ok_or("no case")?
            .time,
    );
    let (from, to) = wangge_core::kpi::month_range(&month).ok_or("a month out of range")?;
    let in_month = s.kpi_cases_between(from, to).map_err(e)?;
    if let Some(t) = s
        .kpi_rows((from, to), Level::Street, &limits, to)
        .map_err(e)?
    {
        let want = kpis(&in_month, &month, Level::Street, &limits, to);
        let mut rows = t.rows.clone();
        rows.sort_by(|x, y| x.area.cmp(&y.area));
        if rows != want || want.iter().all(|r| r.area != street.key) {
            return Err(format!("{month} by street: store {rows:?}, kpis {want:?}"));
        }
    }
    if let Some(got) = s.index_tallies((from, to), Level::Street).map_err(e)? {
        let want = tally_cases(&in_month, Level::Street);
        if got != want {
            return Err(format!(
                "index tallies by street: store {got:?}, cases {want:?}"
            ));
        }
    }
    // A later plan without a level: the imported communities again.
    s.write_plan(&plan, "edit", 200, 1, None).map_err(e)?;
    if s.community_streets().map_err(e)? != imported {
        return Err("a plan without a community level still reads the level's".into());
    }
    Ok(())
}

fn incidents_idempotent(s: &mut dyn Store, data: &Dataset) -> Result<(), String> {
    s.write(&places(data), "conformance", "test", &NoProgress)
        .map_err(e)?;
    let batch: Vec<Incident> = data.incidents.iter().take(20).cloned().collect();
    if batch.is_empty() {
        return Err("the dataset has no incidents".into());
    }
    let first = s.add_incidents(&batch).map_err(e)?;
    let again = s.add_incidents(&batch).map_err(e)?;
    if first.added.len() != batch.len() || !again.added.is_empty() {
        return Err(format!(
            "added {} then {} of {}",
            first.added.len(),
            again.added.len(),
            batch.len()
        ));
    }
    if again.existing.len() != batch.len() {
        return Err(format!("{} listed as existing", again.existing.len()));
    }
    let count = s.incident_count().map_err(e)?;
    if count != batch.len() as u64 {
        return Err(format!("{count} incidents counted, {} stored", batch.len()));
    }
    let head = s.max_incident_fid().map_err(e)?;
    let after = s.incidents_after(0, 1000).map_err(e)?;
    if after.len() != batch.len() || after.last().map(|x| x.0) != Some(head) {
        return Err("the change feed does not end at the newest incident".into());
    }
    if s.incident(&batch[0].key).map_err(e)?.is_none() {
        return Err("an incident is not found by its key".into());
    }
    Ok(())
}

fn kpi_window(s: &mut dyn Store, data: &Dataset) -> Result<(), String> {
    s.write(data, "conformance", "test", &NoProgress)
        .map_err(e)?;
    let all = s.kpi_cases().map_err(e)?;
    if all.len() != data.incidents.len() {
        return Err(format!(
            "{} cases of {} incidents",
            all.len(),
            data.incidents.len()
        ));
    }
    let mut times: Vec<Timestamp> = all.iter().map(|c| c.time).collect();
    times.sort();
    // A window from the first quarter to the middle: its start inside, its end outside.
    let (from, to) = (times[times.len() / 4], times[times.len() / 2]);
    let mut want: Vec<_> = all
        .into_iter()
        .filter(|c| c.time >= from && c.time < to)
        .collect();
    let mut got = s.kpi_cases_between(from, to).map_err(e)?;
    want.sort_by(|a, b| a.key.cmp(&b.key));
    got.sort_by(|a, b| a.key.cmp(&b.key));
    if want.is_empty() || got != want {
        return Err(format!(
            "{} cases in [{from}, {to}), {} expected",
            got.len(),
            want.len()
        ));
    }
    Ok(())
}

/// `data` with an `other` case and a case without a grid or community, written, with the
/// steps of `kpi_events` recorded: (the data written, the times those steps touched).
fn kpi_fixture(s: &mut dyn Store, data: &Dataset) -> Result<(Dataset, Vec<Timestamp>), String> {
    let mut data = data.clone();
    if let Some(i) = data.incidents.get_mut(1) {
        i.category = "other".into();
    }
    if let Some(i) = data.incidents.get_mut(2) {
        i.grid = None;
        i.community = None;
    }
    s.write(&data, "conformance", "test", &NoProgress)
        .map_err(e)?;
    let touched = kpi_events(s, &data)?;
    Ok((data, touched))
}

/// A store that counts the index's tallies itself (`index_tallies`: SQL on PostgreSQL) gives
/// exactly `tally_cases` of the same store's cases, at every level, over the whole span and
/// a window from its first quarter to its middle, with assignments, an `other` case and cases
/// without a grid or community among them; and the index of each month from them is the one
/// from the cases, digests and all. A store that returns `None` passes.
fn index_tallies_agree(s: &mut dyn Store, data: &Dataset) -> Result<(), String> {
    use wangge_core::kpi::{
        IndexParams, Level, month_of, social_index, social_index_of_tallies, tally_cases,
    };
    let (data, _) = kpi_fixture(s, data)?;
    let mut times: Vec<Timestamp> = data.incidents.iter().map(|i| i.time).collect();
    times.sort();
    let (Some(first), Some(last)) = (times.first(), times.last()) else {
        return Err("the dataset has no incidents".into());
    };
    let whole = (*first, Timestamp::from_unix(last.unix() + 1));
    let part = (times[times.len() / 4], times[times.len() / 2]);
    let p = IndexParams::builtin();
    let mut compared = 0;
    for (from, to) in [whole, part] {
        let cases = s.kpi_cases_between(from, to).map_err(e)?;
        for level in Level::ALL {
            let Some(got) = s.index_tallies((from, to), level).map_err(e)? else {
                continue;
            };
            let want = tally_cases(&cases, level);
            if got != want {
                return Err(format!(
                    "[{from}, {to}) {level:?}: store {got:?}, tally_cases {want:?}"
                ));
            }
            let households = s.area_households(level).map_err(e)?;
            let mut months: Vec<String> = cases.iter().map(|c| month_of(c.time)).collect();
            months.sort();
            months.dedup();
            for m in months {
                let a = social_index_of_tallies(&got, &households, &m, level, &p);
                let b = social_index(&cases, &households, &m, level, &p);
                if a != b {
                    return Err(format!("{m} {level:?}: index {a:?}, from cases {b:?}"));
                }
                compared += 1;
            }
        }
    }
    if compared == 0
        && s.index_tallies(whole, Level::Community)
            .map_err(e)?
            .is_some()
    {
        return Err("no month compared".into());
    }
    Ok(())
}

/// A store that computes KPI rows itself (`kpi_rows`: SQL on PostgreSQL) gives exactly what
/// `kpis` counts over the same store's cases: every level, the store's whole span and its
/// first half, as of several moments (before, inside and after the steps), with a rework, a
/// second dispatch, extensions (two on one case), evaluations (one case evaluated twice),
/// assignments and reassignments (with and without a worker), an `other` case and cases
/// without a grid or community among them. A store that returns `None` for a level passes it.
// Long: one check over the months, levels and moments, each table against `kpis` at its
// moment and at later times up to its `until`.
fn kpi_rows_agree(s: &mut dyn Store, data: &Dataset) -> Result<(), String> {
    use wangge_core::kpi::{Level, TimeLimits, kpis, month_of, month_range};
    let (data, touched) = kpi_fixture(s, data)?;
    let limits = TimeLimits::builtin();
    let mut months: Vec<String> = data.incidents.iter().map(|i| month_of(i.time)).collect();
    months.sort();
    months.dedup();
    let Some(last) = data.incidents.iter().map(|i| i.latest_step().1).max() else {
        return Err("the dataset has no incidents".into());
    };
    // The first three months and those of the cases `kpi_events` touched.
    let mut checked: Vec<&String> = months.iter().take(3).collect();
    for t in touched {
        if let Some(m) = months.iter().find(|m| **m == month_of(t)) {
            checked.push(m);
        }
    }
    checked.sort();
    checked.dedup();
    for month in checked {
        let (from, to) = month_range(month).ok_or("a month out of range")?;
        let cases = s.kpi_cases_between(from, to).map_err(e)?;
        let mut moments = vec![
            Timestamp::from_unix(from.unix() + (to.unix() - from.unix()) / 2),
            to,
            Timestamp::from_unix(last.unix() + 3 * 3600),
            Timestamp::from_unix(last.unix() + 60 * 86_400),
        ];
        // An hour after some reports: cases pass their first limits within the next hour.
        moments.extend(
            cases
                .iter()
                .step_by(cases.len() / 6 + 1)
                .map(|c| Timestamp::from_unix(c.time.unix() + 3600)),
        );
        for level in Level::ALL {
            for &asof in &moments {
                let Some(table) = s.kpi_rows((from, to), level, &limits, asof).map_err(e)? else {
                    continue;
                };
                let mut got = table.rows.clone();
                got.sort_by(|a, b| a.area.cmp(&b.area));
                let want = kpis(&cases, month, level, &limits, asof);
                if got != want {
                    return Err(format!(
                        "{month} {level:?} as of {asof}: store {got:?}, kpis {want:?}"
                    ));
                }
                // Up to `until` (for ever without one), the rows with the crossings passed
                // by then counted overdue are `kpis`'s count.
                let a = asof.unix();
                let held = match table.until.map(Timestamp::unix) {
                    Some(u) if u <= a => {
                        return Err(format!("{month} {level:?} as of {asof}: until {u}"));
                    }
                    Some(u) => vec![a + 1, a + (u - a) / 3, a + 2 * (u - a) / 3, u - 1],
                    None => vec![a + 1, a + 400 * 86_400],
                };
                // And either side of the first crossings, to the second.
                let mut held = held;
                let mut crossings: Vec<i64> = table.crossings.values().flatten().copied().collect();
                crossings.sort_unstable();
                held.extend(crossings.iter().take(10).flat_map(|c| [c - 1, *c]));
                held.retain(|t| *t >= a && table.until.is_none_or(|u| *t < u.unix()));
                for t in held {
                    let t = Timestamp::from_unix(t);
                    let later = kpis(&cases, month, level, &limits, t);
                    if later != table.rows_at(t) {
                        return Err(format!(
                            "{month} {level:?} as of {asof}, said to hold to {:?}: at {t} kpis {later:?}",
                            table.until
                        ));
                    }
                }
                if table.stamp != s.incident_stamp().map_err(e)? {
                    return Err(format!(
                        "{month} {level:?}: stamp {:?} with no change since, now {:?}",
                        table.stamp,
                        s.incident_stamp().map_err(e)?
                    ));
                }
            }
        }
    }
    Ok(())
}

/// Events for `kpi_rows_agree`: a rework, extensions, evaluations and assignments. Returns
/// when the cases they touched were reported.
fn kpi_events(s: &mut dyn Store, data: &Dataset) -> Result<Vec<Timestamp>, String> {
    let mut stamp = s.incident_stamp().map_err(e)?;
    // A rework (follow-up back to dispatch) and extensions, two of them on one case.
    let later = |i: &Incident| Timestamp::from_unix(i.latest_step().1.unix() + 600);
    if let Some(i) = data
        .incidents
        .iter()
        .find(|i| i.status == IncidentStatus::FollowedUp)
    {
        s.transition_incident(&i.key, IncidentStatus::Dispatched, later(i))
            .map_err(e)?;
        stamp = stamp_moved(s, stamp, "a step")?;
    }
    let open: Vec<&Incident> = data
        .incidents
        .iter()
        .filter(|i| i.status != IncidentStatus::Closed)
        .take(2)
        .collect();
    for (i, hours) in open
        .iter()
        .zip([24.0, 12.0])
        .chain(open.first().zip(Some(0.5)))
    {
        s.extend_incident(&i.key, hours, later(i), "conformance")
            .map_err(e)?;
        stamp = stamp_moved(s, stamp, "an extension")?;
    }
    // Evaluations of closed cases (the latest counts), refused on an open one.
    use wangge_core::kpi::Evaluation::{BasicallySatisfied, Dissatisfied, Satisfied};
    let closed: Vec<&Incident> = data
        .incidents
        .iter()
        .filter(|i| i.status == IncidentStatus::Closed)
        .take(3)
        .collect();
    for (i, v) in closed
        .iter()
        .zip([Satisfied, Dissatisfied, BasicallySatisfied])
        .chain(closed.get(2).map(|i| (i, Satisfied)))
    {
        s.evaluate_incident(&i.key, v, "回访", later(i))
            .map_err(e)?;
        stamp = stamp_moved(s, stamp, "an evaluation")?;
    }
    if let Some(i) = open.first()
        && s.evaluate_incident(&i.key, Satisfied, "", later(i)).is_ok()
    {
        return Err("an open case was evaluated".into());
    }
    let mut touched = kpi_assignments(s, data)?;
    stamp = stamp_moved(s, stamp, "assignments")?;
    let fresh = data.incidents.first().map(|i| Incident {
        key: "conformance-stamp".into(),
        status: IncidentStatus::Reported,
        steps: [None; 4],
        ..i.clone()
    });
    s.add_incidents(&fresh.into_iter().collect::<Vec<_>>())
        .map_err(e)?;
    stamp = stamp_moved(s, stamp, "a new incident")?;
    s.reassign_incidents(false).map_err(e)?;
    stamp_moved(s, stamp, "a reassignment")?;
    touched.extend(open.iter().chain(&closed).map(|i| i.time));
    Ok(touched)
}

/// The store's `incident_stamp` after a change: moved, when it keeps one.
fn stamp_moved(
    s: &dyn Store,
    before: Option<String>,
    what: &str,
) -> Result<Option<String>, String> {
    let now = s.incident_stamp().map_err(e)?;
    if now.is_some() && now == before {
        return Err(format!(
            "the incident stamp {now:?} did not move with {what}"
        ));
    }
    Ok(now)
}

/// Assignments for `kpi_rows_agree`: dispatches to a department with or without a worker, a
/// reassignment to another (the last counts) and one back to a department alone (no worker
/// then). Returns when the cases assigned were reported.
fn kpi_assignments(s: &mut dyn Store, data: &Dataset) -> Result<Vec<Timestamp>, String> {
    let later = |i: &Incident| Timestamp::from_unix(i.latest_step().1.unix() + 600);
    let assignable: Vec<&Incident> = data
        .incidents
        .iter()
        .filter(|i| {
            matches!(
                i.status,
                IncidentStatus::Reported | IncidentStatus::Dispatched
            )
        })
        .take(4)
        .collect();
    let to = |d: &str, w: Option<&str>| wangge_core::Assignment {
        department: d.into(),
        worker: w.map(str::to_string),
        hours: None,
    };
    let plan = [
        (0, to("城管", Some("w1"))),
        (1, to("城管", Some("w2"))),
        (2, to("水务", None)),
        (3, to("城管", Some("w1"))),
        (3, to("水务", Some("w3"))),
        (1, to("水务", None)),
    ];
    for (n, a) in plan {
        if let Some(i) = assignable.get(n) {
            let at = s
                .incident(&i.key)
                .map_err(e)?
                .map_or(later(i), |(_, now)| later(&now));
            s.assign_incident(&i.key, &a, "conformance", at)
                .map_err(e)?;
        }
    }
    Ok(assignable.iter().map(|i| i.time).collect())
}

/// `record_assignments`: batches naming a case never dispatched, a time before its dispatch
/// or ahead of the clock, or a case twice record nothing; one on a dispatched case appends an
/// `assigned` event at the time given (its status unchanged), the KPI cases and a store's own
/// KPI rows name its department and worker, and the case then takes no other past one.
fn past_assignments(s: &mut dyn Store, data: &Dataset) -> Result<(), String> {
    s.write(data, "conformance", "test", &NoProgress)
        .map_err(e)?;
    let dispatched = data
        .incidents
        .iter()
        .find(|i| i.status == IncidentStatus::Handled)
        .ok_or("the dataset has no handled incident")?;
    let reported = data
        .incidents
        .iter()
        .find(|i| i.status == IncidentStatus::Reported)
        .ok_or("the dataset has no reported incident")?;
    let at = dispatched
        .at(IncidentStatus::Dispatched)
        .ok_or("a handled incident without its dispatch")?;
    let to = |d: &str, w: Option<&str>| wangge_core::Assignment {
        department: d.into(),
        worker: w.map(str::to_string),
        hours: None,
    };
    let keys = [dispatched.key.clone(), reported.key.clone()];
    let before = s.events_of(&keys).map_err(e)?;
    let bad = [
        (dispatched.key.clone(), to("D1", Some("w1")), at),
        (reported.key.clone(), to("D2", None), reported.time),
    ];
    if s.record_assignments(&bad, "conformance").is_ok() {
        return Err("a past assignment on a case never dispatched was recorded".into());
    }
    let k = || dispatched.key.clone();
    let later = Timestamp::from_unix(Timestamp::now().unix() + 86_400);
    let refused = [
        (
            "before the dispatch",
            vec![(k(), to("D1", None), Timestamp::from_unix(at.unix() - 1))],
        ),
        (
            "twice in a batch",
            vec![(k(), to("D1", None), at), (k(), to("D2", None), at)],
        ),
        ("ahead of the clock", vec![(k(), to("D1", None), later)]),
    ];
    for (what, batch) in refused {
        if s.record_assignments(&batch, "conformance").is_ok() {
            return Err(format!("a past assignment {what} was recorded"));
        }
    }
    if s.events_of(&keys).map_err(e)? != before {
        return Err("a refused batch changed a history".into());
    }
    s.record_assignments(&[bad[0].clone()], "conformance")
        .map_err(e)?;
    let after = s.events_of(&keys).map_err(e)?;
    let last = after.last().ok_or("no events")?;
    if after.len() != before.len() + 1
        || last.status != "assigned"
        || last.at != at
        || super::assignment_of(last.detail.as_deref()) != Some(to("D1", Some("w1")))
    {
        return Err(format!("history after the record: {after:?}"));
    }
    let (_, now) = s.incident(&dispatched.key).map_err(e)?.ok_or("gone")?;
    if now.status != IncidentStatus::Handled {
        return Err(format!("status {:?} after a past assignment", now.status));
    }
    let case = s
        .kpi_cases()
        .map_err(e)?
        .into_iter()
        .find(|c| c.key == dispatched.key)
        .ok_or("no KPI case")?;
    if (case.department.as_deref(), case.worker.as_deref()) != (Some("D1"), Some("w1")) {
        return Err(format!("KPI case {case:?}"));
    }
    // Once assigned, a case takes no past assignment (it would pass the real one).
    if s.record_assignments(&[(k(), to("D3", None), at)], "conformance")
        .is_ok()
    {
        return Err("a past assignment was recorded on a case assigned already".into());
    }
    // A store that computes KPI rows itself counts the recorded assignment as `kpis` does.
    use wangge_core::kpi::{Level, TimeLimits, kpis, month_of, month_range};
    let month = month_of(dispatched.time);
    let window = month_range(&month).ok_or("a month out of range")?;
    let limits = TimeLimits::builtin();
    let asof = Timestamp::now();
    for level in [Level::Department, Level::Worker] {
        let table = s.kpi_rows(window, level, &limits, asof).map_err(e)?;
        if let Some(mut got) = table.map(|t| t.rows) {
            got.sort_by(|a, b| a.area.cmp(&b.area));
            let cases = s.kpi_cases_between(window.0, window.1).map_err(e)?;
            let want = kpis(&cases, &month, level, &limits, asof);
            if got != want || got.is_empty() {
                return Err(format!("{month} {level:?}: store {got:?}, kpis {want:?}"));
            }
        }
    }
    Ok(())
}

/// `kpi_rows_since`: a kept table brought up to date after new incidents (filed, of no
/// category, outside every community, reported long ago and so overdue at once, of another
/// month, a key sent again), then after an extension and steps of cases it counted (each
/// from the last table brought up to date), equals the table counted anew.
// Long: one story, each change followed by every table brought up to date: new reports of
// each kind, an extension, an assignment, steps.
fn kpi_rows_since_new_incidents(s: &mut dyn Store, data: &Dataset) -> Result<(), String> {
    use wangge_core::kpi::{Level, TimeLimits, month_of, month_range};
    let (kept, new) = data.incidents.split_at(data.incidents.len() * 3 / 4);
    let d = Dataset {
        incidents: kept.to_vec(),
        ..data.clone()
    };
    s.write(&d, "conformance", "test", &NoProgress).map_err(e)?;
    let last = kept.iter().map(|i| i.time).max().ok_or("no incidents")?;
    let month = month_of(last);
    let window = month_range(&month).ok_or("a month out of range")?;
    let limits = TimeLimits::builtin();
    let asof = Timestamp::from_unix(last.unix() + 3 * 3600);
    let levels = [
        Level::Community,
        Level::Street,
        Level::District,
        Level::Grid,
        Level::Department,
        Level::Worker,
    ];
    let mut tables = Vec::new();
    for level in levels {
        match s.kpi_rows(window, level, &limits, asof).map_err(e)? {
            Some(t) => tables.push((level, t)),
            None => return Ok(()),
        }
    }
    // New reports of the month (one of each kind), a report of long ago, a key again.
    let fresh = |n: usize, i: &Incident| Incident {
        key: format!("since-{n}"),
        time: Timestamp::from_unix(last.unix() - 60 * n as i64),
        status: IncidentStatus::Reported,
        steps: [None; 4],
        ..i.clone()
    };
    let mut batch: Vec<Incident> = new
        .iter()
        .take(6)
        .enumerate()
        .map(|(n, i)| fresh(n, i))
        .collect();
    if let [a, b, c, d, ..] = batch.as_mut_slice() {
        a.category = "other".into();
        b.community = None;
        b.grid = None;
        c.time = Timestamp::from_unix(window.0.unix() + 60);
        d.time = Timestamp::from_unix(window.0.unix() - 86_400);
    }
    batch.extend(kept.first().cloned());
    // A filed report passing its first limit ten minutes after `asof`.
    if let Some(filed) = kept
        .iter()
        .find(|i| i.category != "other" && i.community.is_some())
    {
        let l = limits
            .by_category
            .get(&filed.category)
            .unwrap_or(&limits.default)[0];
        batch.push(Incident {
            key: "since-crossing".into(),
            time: Timestamp::from_unix(asof.unix() - (l * 3600.0) as i64 + 600),
            status: IncidentStatus::Reported,
            steps: [None; 4],
            ..filed.clone()
        });
    }
    s.add_incidents(&batch).map_err(e)?;
    let q = (window, &limits, asof);
    let tables = up_to_date(s, &tables, q, "new incidents")?;
    // An extension and steps of cases the kept tables counted (a dispatch, a handling, a
    // second dispatch), the tables brought up to date after each from the last ones.
    let open: Vec<&Incident> = batch
        .iter()
        .filter(|i| month_of(i.time) == month && i.community.is_some() && i.category != "other")
        .filter(|i| i.key.starts_with("since-"))
        .take(2)
        .collect();
    let Some(first) = open.first() else {
        return Err("no new report in the month".into());
    };
    let at = |i: &Incident, m: i64| Timestamp::from_unix(i.time.unix() + m * 60);
    s.extend_incident(&first.key, 1.0, at(first, 5), "conformance")
        .map_err(e)?;
    let mut tables = up_to_date(s, &tables, q, "an extension")?;
    // The first assigned (and so dispatched: a new area at the levels of departments and
    // workers), the second dispatched; both handled.
    let assignment = wangge_core::Assignment {
        department: "城管".into(),
        worker: Some("w1".into()),
        hours: None,
    };
    s.assign_incident(&first.key, &assignment, "conformance", at(first, 10))
        .map_err(e)?;
    tables = up_to_date(s, &tables, q, "an assignment")?;
    let steps = open
        .iter()
        .skip(1)
        .map(|i| (i, IncidentStatus::Dispatched, 10))
        .chain(open.iter().map(|i| (i, IncidentStatus::Handled, 70)));
    for (i, to, m) in steps {
        s.transition_incident(&i.key, to, at(i, m)).map_err(e)?;
        tables = up_to_date(s, &tables, q, &format!("{} {}", i.key, to.as_str()))?;
    }
    crossings_agree(s, &tables, (&month, window), &limits, asof)?;
    held_later(s, &tables, (window, &limits, asof))
}

/// Later: the case about to pass its limit dispatched before it does; then the tables, moved
/// past that time (`move_to`), brought up to date there (its crossing taken out) equal the
/// tables counted there.
fn held_later(
    s: &mut dyn Store,
    tables: &[(wangge_core::kpi::Level, KpiTable)],
    (window, limits, asof): (
        (Timestamp, Timestamp),
        &wangge_core::kpi::TimeLimits,
        Timestamp,
    ),
) -> Result<(), String> {
    // Before it would have passed its limit (at `asof` + 601), and after.
    let later = Timestamp::from_unix(asof.unix() + 500);
    let after = Timestamp::from_unix(asof.unix() + 650);
    let dispatch = Timestamp::from_unix(asof.unix() + 300);
    s.transition_incident("since-crossing", IncidentStatus::Dispatched, dispatch)
        .map_err(e)?;
    let mut moved = 0;
    for (level, t) in tables {
        if t.until.is_some_and(|u| later >= u) {
            continue;
        }
        let mut base = t.clone();
        base.move_to(later);
        let since = s
            .kpi_rows_since(window, *level, limits, later, &base)
            .map_err(e)?
            .ok_or(format!("{level:?} at {later}: not brought up to date"))?;
        let again = s.kpi_rows(window, *level, limits, later).map_err(e)?;
        if Some(&since.rows) != again.as_ref().map(|t| &t.rows) {
            return Err(format!(
                "{level:?} at {later}: brought up to date {:?}, counted {again:?}",
                since.rows
            ));
        }
        // Its crossing is gone from the table brought up to date.
        if since.until.is_none_or(|u| after < u) {
            let again = s.kpi_rows(window, *level, limits, after).map_err(e)?;
            if Some(&since.rows_at(after)) != again.as_ref().map(|t| &t.rows) {
                return Err(format!(
                    "{level:?} at {after}: brought up to date {:?}, counted {again:?}",
                    since.rows_at(after)
                ));
            }
        }
        moved += 1;
    }
    if moved == 0 && tables.iter().any(|(_, t)| t.stamp.is_some()) {
        return Err("no table held to a later time".into());
    }
    Ok(())
}

/// The tables at later times: the cases passing their limits counted overdue from the second
/// they do (`rows_at`), as `kpis` counts them; some must be checked.
fn crossings_agree(
    s: &dyn Store,
    tables: &[(wangge_core::kpi::Level, KpiTable)],
    (month, window): (&str, (Timestamp, Timestamp)),
    limits: &wangge_core::kpi::TimeLimits,
    asof: Timestamp,
) -> Result<(), String> {
    let cases = s.kpi_cases_between(window.0, window.1).map_err(e)?;
    let mut crossed = 0;
    for (level, t) in tables {
        for c in t.crossings.values().flatten().take(5) {
            for at in [c - 1, *c] {
                let at = Timestamp::from_unix(at);
                if at < asof || t.until.is_some_and(|u| at >= u) {
                    continue;
                }
                let want = wangge_core::kpi::kpis(&cases, month, *level, limits, at);
                if t.rows_at(at) != want {
                    return Err(format!(
                        "{level:?} at {at}: {:?}, kpis {want:?}",
                        t.rows_at(at)
                    ));
                }
                crossed += 1;
            }
        }
    }
    if tables.iter().any(|(_, t)| t.stamp.is_some()) && crossed == 0 {
        return Err("no case passing its limit was checked".into());
    }
    Ok(())
}

/// Each kept table brought up to date (`kpi_rows_since`) after `what`: when the store keeps
/// stamps, it must be, and give the rows and stamp counted anew, holding no longer than they
/// do. Returns the tables counted anew.
fn up_to_date(
    s: &dyn Store,
    tables: &[(wangge_core::kpi::Level, KpiTable)],
    (window, limits, asof): (
        (Timestamp, Timestamp),
        &wangge_core::kpi::TimeLimits,
        Timestamp,
    ),
    what: &str,
) -> Result<Vec<(wangge_core::kpi::Level, KpiTable)>, String> {
    let mut out = Vec::new();
    for (level, t) in tables {
        let again = s.kpi_rows(window, *level, limits, asof).map_err(e)?;
        let again = again.ok_or("no table the second time")?;
        let since = s
            .kpi_rows_since(window, *level, limits, asof, t)
            .map_err(e)?;
        match since {
            None if t.stamp.is_some() => {
                return Err(format!("{level:?} after {what}: not brought up to date"));
            }
            None => {}
            Some(since) => {
                let longer = match (since.until, again.until) {
                    (None, Some(_)) => true,
                    (Some(a), Some(b)) => a > b,
                    _ => false,
                };
                if since.rows != again.rows || since.stamp != again.stamp || longer {
                    return Err(format!(
                        "{level:?} after {what}: brought up to date {:?} until {:?}, counted {:?} until {:?}",
                        since.rows, since.until, again.rows, again.until
                    ));
                }
                // The next change is brought up to date from this one.
                out.push((*level, since));
                continue;
            }
        }
        out.push((*level, again));
    }
    Ok(out)
}

fn incident_steps(s: &mut dyn Store, data: &Dataset) -> Result<(), String> {
    s.write(&places(data), "conformance", "test", &NoProgress)
        .map_err(e)?;
    let Some(open) = data
        .incidents
        .iter()
        .find(|i| i.status == IncidentStatus::Reported)
    else {
        return Err("the dataset has no reported incident".into());
    };
    s.add_incidents(std::slice::from_ref(open)).map_err(e)?;
    let mark = s.status_changes(None).map_err(e)?.map(|c| c.upto);
    let later = Timestamp::from_unix(open.time.unix() + 3600);
    s.transition_incident(&open.key, IncidentStatus::Dispatched, later)
        .map_err(e)?;
    let (_, now) = s.incident(&open.key).map_err(e)?.ok_or("gone")?;
    if now.status != IncidentStatus::Dispatched {
        return Err(format!("status {:?} after dispatch", now.status));
    }
    // A store that logs changes counts the step, and passes over its own: the statuses a
    // process moved itself are not given back to it (another process's steps are; the
    // two-server test in tests/postgis.rs).
    if let Some(c) = s.status_changes(mark).map_err(e)?
        && (!c.complete || !c.changes.is_empty() || Some(c.upto) <= mark)
    {
        return Err(format!("status changes after this store's dispatch: {c:?}"));
    }
    // Closing an incident straight from dispatched is refused and changes nothing.
    let before = s.digest().map_err(e)?;
    if s.transition_incident(&open.key, IncidentStatus::Closed, later)
        .is_ok()
    {
        return Err("the loop was skipped".into());
    }
    if s.digest().map_err(e)? != before {
        return Err("a refused step changed the store".into());
    }
    if s.transition_incident("no such key", IncidentStatus::Dispatched, later)
        .is_ok()
    {
        return Err("an unknown incident moved".into());
    }
    Ok(())
}

// Long: one story of a case (dispatched by an assignment, reassigned, supervised, refused
// once handled) and of the register, each step read back.
fn assignments(s: &mut dyn Store, data: &Dataset) -> Result<(), String> {
    use wangge_core::{Assignment, Department, Supervision, Worker};
    s.write(&places(data), "conformance", "test", &NoProgress)
        .map_err(e)?;
    let departments = vec![
        Department {
            code: "D1".into(),
            name: "城管科".into(),
            street: Some("S".into()),
        },
        Department {
            code: "D2".into(),
            name: "市政所".into(),
            street: None,
        },
    ];
    let workers = vec![Worker {
        id: "W1".into(),
        name: "张三".into(),
        department: "D1".into(),
        grid: Some("G1".into()),
        phone: Some("13800138000".into()),
        token: None,
    }];
    s.replace_workforce(&departments, &workers).map_err(e)?;
    if s.departments().map_err(e)? != departments || s.workers().map_err(e)? != workers {
        return Err("the register does not read back".into());
    }
    // A worker of a department not in the register: refused, nothing changed.
    let stray = vec![Worker {
        department: "D9".into(),
        ..workers[0].clone()
    }];
    if s.replace_workforce(&departments[..1], &stray).is_ok() {
        return Err("a worker without a department was stored".into());
    }
    if s.departments().map_err(e)?.len() != 2 {
        return Err("a refused register changed the store".into());
    }
    let Some(open) = data
        .incidents
        .iter()
        .find(|i| i.status == IncidentStatus::Reported)
    else {
        return Err("the dataset has no reported incident".into());
    };
    s.add_incidents(std::slice::from_ref(open)).map_err(e)?;
    let at = |h: i64| Timestamp::from_unix(open.time.unix() + h * 3600);
    let first = Assignment {
        department: "D1".into(),
        worker: Some("W1".into()),
        hours: Some(24.0),
    };
    let (_, after) = s
        .assign_incident(&open.key, &first, "desk", at(1))
        .map_err(e)?;
    if after.status != IncidentStatus::Dispatched || after.steps[0] != Some(at(1)) {
        return Err(format!("an assignment of a reported case gave {after:?}"));
    }
    let second = Assignment {
        department: "D2".into(),
        worker: None,
        hours: None,
    };
    s.assign_incident(&open.key, &second, "desk", at(2))
        .map_err(e)?;
    let flag = Supervision {
        by: "街道办".into(),
        reason: "超期未处置".into(),
    };
    s.supervise_incident(&open.key, &flag, at(3)).map_err(e)?;
    let events = s.events_of(std::slice::from_ref(&open.key)).map_err(e)?;
    let kinds: Vec<&str> = events.iter().map(|v| v.status.as_str()).collect();
    if kinds
        != [
            "reported",
            "dispatched",
            "assigned",
            "assigned",
            "supervised",
        ]
        && kinds != ["dispatched", "assigned", "assigned", "supervised"]
    {
        return Err(format!("events {kinds:?}"));
    }
    let last = events.last().ok_or("no events")?;
    if super::supervision_of(last.detail.as_deref()) != Some(flag) || last.at != at(3) {
        return Err(format!("supervision read back as {last:?}"));
    }
    // The case counts for the department it was assigned to last.
    let cases = s.kpi_cases().map_err(e)?;
    let c = cases.iter().find(|c| c.key == open.key).ok_or("no case")?;
    if c.department.as_deref() != Some("D2") || c.worker.is_some() {
        return Err(format!(
            "case assigned to {:?} / {:?}, not D2 / none",
            c.department, c.worker
        ));
    }
    // Once handled, a case is not reassigned; the refusal changes nothing.
    s.transition_incident(&open.key, IncidentStatus::Handled, at(4))
        .map_err(e)?;
    let before = s.digest().map_err(e)?;
    if s.assign_incident(&open.key, &first, "desk", at(5)).is_ok() {
        return Err("a handled case was reassigned".into());
    }
    if s.digest().map_err(e)? != before {
        return Err("a refused assignment changed the store".into());
    }
    Ok(())
}

fn photos(s: &mut dyn Store, data: &Dataset) -> Result<(), String> {
    s.write(&places(data), "conformance", "test", &NoProgress)
        .map_err(e)?;
    let first = data
        .incidents
        .first()
        .ok_or("the dataset has no incident")?;
    s.add_incidents(std::slice::from_ref(first)).map_err(e)?;
    let at = Timestamp::from_unix(first.time.unix() + 60);
    let (a, b) = (b"\xFF\xD8\xFF one".to_vec(), b"\xFF\xD8\xFF two".to_vec());
    if s.add_photo(&first.key, "image/jpeg", &a, at).map_err(e)? != (1, false)
        || s.add_photo(&first.key, "image/jpeg", &b, at).map_err(e)? != (2, false)
        || s.add_photo(&first.key, "image/jpeg", &a, at).map_err(e)? != (1, true)
    {
        return Err("photos are not numbered 1, 2 with a repeat found".into());
    }
    if s.add_photo("no such key", "image/jpeg", &a, at).is_ok() {
        return Err("a photo of no incident was stored".into());
    }
    let listed = s.photos(Some(&first.key)).map_err(e)?;
    let ns: Vec<u32> = listed.iter().map(|p| p.n).collect();
    if ns != [1, 2] || listed[1].bytes != b.len() as u64 || listed[0].at != at {
        return Err(format!("photos listed as {listed:?}"));
    }
    if s.photo(&first.key, 2).map_err(e)? != Some(("image/jpeg".into(), b)) {
        return Err("a photo's bytes do not read back".into());
    }
    if s.photo(&first.key, 3).map_err(e)?.is_some() || s.photos(None).map_err(e)?.len() != 2 {
        return Err("a photo that is not there was found".into());
    }
    Ok(())
}

fn tokens_and_audit(s: &mut dyn Store, _data: &Dataset) -> Result<(), String> {
    let (id, secret) = s
        .create_token("ops", wangge_core::access::Role::Leader, "*", None)
        .map_err(e)?;
    if secret.len() < 20 {
        return Err("a short secret".into());
    }
    let hashes = s.token_hashes().map_err(e)?;
    if hashes.len() != 1 || hashes.iter().any(|(h, _)| h.contains(&secret)) {
        return Err("the secret is stored, or the token is missing".into());
    }
    s.revoke_token(id).map_err(e)?;
    if !s.token_hashes().map_err(e)?.is_empty() || s.tokens().map_err(e)?.len() != 1 {
        return Err("revoking did not keep the token listed and refuse it".into());
    }
    s.audit("ops", "leader", "edit", "grid 1").map_err(e)?;
    let log = s.audit_log(10).map_err(e)?;
    // Newest first; creating and revoking a token are audited by the store itself.
    let actions: Vec<&str> = log.iter().map(|r| r[3].as_str()).collect();
    if actions != ["edit", "token.revoke", "token.create"] {
        return Err(format!("audit log {log:?}"));
    }
    Ok(())
}

fn data_version_moves(s: &mut dyn Store, data: &Dataset) -> Result<(), String> {
    let empty = s.data_version().map_err(e)?;
    s.write(&places(data), "conformance", "test", &NoProgress)
        .map_err(e)?;
    let imported = s.data_version().map_err(e)?;
    if imported == empty {
        return Err("an import did not change the data version".into());
    }
    s.write_plan(&WorkspacePlan::default(), "partition", 200, 1, None)
        .map_err(e)?;
    if s.data_version().map_err(e)? == imported {
        return Err("a plan did not change the data version".into());
    }
    Ok(())
}

//! Incidents, their closed-loop steps, KPI cases and index releases.

use crate::Result;
use wangge_core::kpi::{Case, Evaluation, IndexRun, IndexTally, KpiRow, Level, TimeLimits};
use wangge_core::{Assignment, Incident, IncidentSource, IncidentStatus, Supervision, Timestamp};

/// A month's KPI rows as a store computed them (`IncidentStore::kpi_rows`), with what they
/// hold for: the same rows are the answer for every `asof` from the one asked up to (not
/// including) `until` (`None`: any later one) while the store's `incident_stamp` is `stamp`.
#[derive(Debug, Clone, PartialEq)]
pub struct KpiTable {
    pub rows: Vec<KpiRow>,
    /// The first time after the `asof` asked at which a figure would move with no change to
    /// the store: a step recorded ahead of it becoming known, a case passing its time limit.
    pub until: Option<Timestamp>,
    /// The store's `incident_stamp` in the snapshot the rows were counted in (`None` when
    /// it keeps none).
    pub stamp: Option<String>,
    /// Per area, for each of the four durations, sorted values around the middle: what a
    /// store brings the medians up to date from (`kpi_rows_since`); empty when it keeps none.
    pub windows: std::collections::BTreeMap<String, [MedianWindow; 4]>,
    /// Per area, the times (Unix seconds, in order) after the `asof` counted at and before
    /// `until` at which one more open case passes its time limit: the rows at a later `asof`
    /// count them overdue ([`KpiTable::rows_at`]).
    pub crossings: std::collections::BTreeMap<String, Vec<i64>>,
}

/// `rows` with each area's `crossings` up to `t` counted overdue ([`KpiTable::rows_at`]).
pub fn rows_at(
    rows: &[KpiRow],
    crossings: &std::collections::BTreeMap<String, Vec<i64>>,
    t: Timestamp,
) -> Vec<KpiRow> {
    let mut rows = rows.to_vec();
    for r in &mut rows {
        if let Some(c) = crossings.get(&r.area) {
            r.overdue += c.partition_point(|x| *x <= t.unix()) as u64;
        }
    }
    rows
}

impl KpiTable {
    /// The rows at `t` (from the `asof` counted at up to `until`): each area's cases that
    /// passed their limits by then counted overdue.
    pub fn rows_at(&self, t: Timestamp) -> Vec<KpiRow> {
        rows_at(&self.rows, &self.crossings, t)
    }

    /// The table counted at `t` instead (from the `asof` counted at up to `until`): the
    /// crossings by then counted overdue and no longer listed.
    pub fn move_to(&mut self, t: Timestamp) {
        self.rows = self.rows_at(t);
        for c in self.crossings.values_mut() {
            let n = c.partition_point(|x| *x <= t.unix());
            c.drain(..n);
        }
    }
}

/// Some of the sorted values of one duration in one area: those at positions `from` to
/// `from + values.len()` (from 0) of all `count`. The median is read from it while the middle
/// positions lie in it; values added and removed move it (`add`, `remove`) without the rest.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MedianWindow {
    pub count: u64,
    pub from: u64,
    pub values: Vec<f64>,
}

impl MedianWindow {
    /// The median as `wangge_core::kpi::kpis` takes it (the mean of the two middle values of
    /// an even count); `None` with no values, or when a middle position is outside the window.
    pub fn median(&self) -> Option<f64> {
        if self.count == 0 {
            return None;
        }
        let at = |p: u64| -> Option<f64> {
            let i = p.checked_sub(self.from)?;
            self.values.get(usize::try_from(i).ok()?).copied()
        };
        let (lower, upper) = (at((self.count - 1) / 2)?, at(self.count / 2)?);
        Some((lower + upper) / 2.0)
    }

    /// Whether the window holds every value.
    fn whole(&self) -> bool {
        self.from == 0 && self.values.len() as u64 == self.count
    }

    /// Adds a value; false when the window cannot say where it goes (left unchanged).
    pub fn add(&mut self, v: f64) -> bool {
        let (Some(first), Some(last)) = (self.values.first(), self.values.last()) else {
            if self.count != 0 {
                return false;
            }
            self.values.push(v);
            self.count = 1;
            return true;
        };
        if !self.whole() && v.total_cmp(first).is_lt() {
            self.from += 1;
        } else if self.whole() || v.total_cmp(last).is_le() {
            let i = self.values.partition_point(|x| x.total_cmp(&v).is_le());
            self.values.insert(i, v);
        }
        self.count += 1;
        true
    }

    /// Removes a value; false when it is not where it would have to be (left unchanged).
    pub fn remove(&mut self, v: f64) -> bool {
        let (Some(first), Some(last)) = (self.values.first(), self.values.last()) else {
            return false;
        };
        let above = self.count - self.from - self.values.len() as u64;
        if v.total_cmp(first).is_lt() {
            if self.from == 0 {
                return false;
            }
            self.from -= 1;
        } else if v.total_cmp(last).is_gt() {
            if above == 0 {
                return false;
            }
        } else {
            let Some(i) = self.values.iter().position(|x| x.total_cmp(&v).is_eq()) else {
                return false;
            };
            self.values.remove(i);
        }
        self.count -= 1;
        true
    }
}

/// Incidents (append-mostly: a step changes the status and appends an event) and what is
/// computed from them.
pub trait IncidentStore {
    /// Stores a batch. Keys already stored (or repeated in the batch) are left as they are
    /// and listed in `existing`, so a client may resend a batch whose answer it never saw.
    /// One transaction; durable on return.
    fn add_incidents(&mut self, batch: &[Incident]) -> Result<Ingested>;

    /// The largest incident id (0 when there are none): what a reader has seen so far. Read.
    fn max_incident_fid(&self) -> Result<i64>;

    /// Incidents stored after `fid`, oldest first (at most `limit`): the change feed a live
    /// server polls. Read.
    fn incidents_after(&self, fid: i64, limit: usize) -> Result<Vec<(i64, Incident)>>;

    /// One incident by key. Read.
    fn incident(&self, key: &str) -> Result<Option<(i64, Incident)>>;

    /// A page of incidents matching a query (oldest first) and how many match in all. Read
    /// (count and page in one snapshot only under write-ahead logging).
    fn query_incidents(&self, q: &IncidentQuery) -> Result<(u64, Vec<(i64, Incident)>)>;

    /// Moves an incident to a status at a time, if the closed loop allows it, and records
    /// the step. One transaction; durable on return.
    fn transition_incident(
        &mut self,
        key: &str,
        to: IncidentStatus,
        at: Timestamp,
    ) -> Result<(i64, Incident)>;

    /// Sets community and grid from the newest plan for incidents without a grid (or all);
    /// returns (incidents looked at, incidents changed). One transaction; durable on return.
    fn reassign_incidents(&mut self, only_missing: bool) -> Result<(usize, usize)>;

    /// Counts for the wall screen: since the start of today and over a window. An aggregate
    /// the store computes. Read.
    fn incident_summary(
        &self,
        since_today: Timestamp,
        since_window: Timestamp,
    ) -> Result<IncidentSummary>;

    /// Every incident as a case for the KPIs. Read.
    fn kpi_cases(&self) -> Result<Vec<Case>>;

    /// The incidents reported in `[from, to)` as cases for the KPIs (a month's figures read
    /// that month only, through the time index; memory follows the month, not the store).
    /// Read.
    fn kpi_cases_between(&self, from: Timestamp, to: Timestamp) -> Result<Vec<Case>>;

    /// The social-condition index's tallies (`wangge_core::kpi::IndexTally`) of the incidents
    /// reported in `[from, to)` at `level`, when the store counts them itself (in SQL,
    /// without sending the cases); `None` when it does not, and the caller tallies
    /// `kpi_cases_between` with `wangge_core::kpi::tally_cases`, which defines them (the
    /// conformance suite holds a store's tallies to it). Sorted. Read, one snapshot.
    fn index_tallies(
        &self,
        _window: (Timestamp, Timestamp),
        _level: Level,
    ) -> Result<Option<Vec<IndexTally>>> {
        Ok(None)
    }

    /// The closed-loop KPI rows of the incidents reported in `[from, to)` at `level`, steps
    /// as of `asof`, when the store computes them itself (in SQL, without sending the cases);
    /// `None` when it does not, and the caller counts `kpi_cases_between` with
    /// `wangge_core::kpi::kpis`, which defines every figure (the conformance suite holds a
    /// store's rows to it). Rows in any order, with how long they hold. Read, one snapshot.
    fn kpi_rows(
        &self,
        _window: (Timestamp, Timestamp),
        _level: Level,
        _limits: &TimeLimits,
        _asof: Timestamp,
    ) -> Result<Option<KpiTable>> {
        Ok(None)
    }

    /// `kept` (a table `kpi_rows` gave for the same window, level and limits at an earlier
    /// stamp, holding at `asof`) brought up to the store's present when the store can count
    /// the change alone (new incidents only: their rows added to the kept ones) instead of
    /// the month; `None` when it cannot (the caller asks `kpi_rows`). Read, one snapshot.
    fn kpi_rows_since(
        &self,
        _window: (Timestamp, Timestamp),
        _level: Level,
        _limits: &TimeLimits,
        _asof: Timestamp,
        _kept: &KpiTable,
    ) -> Result<Option<KpiTable>> {
        Ok(None)
    }

    /// What stored incidents are at now, as a stamp that any change to them (a new incident,
    /// a step or event, a new grid, a new workspace) moves at its commit, in whichever process
    /// made it: a [`KpiTable`] whose stamp equals it still holds. `None` when the store keeps
    /// none (a kept table is then never answered again). Read.
    fn incident_stamp(&self) -> Result<Option<String>> {
        Ok(None)
    }

    /// The status changes committed after the change count `after`, by any process: for a
    /// server keeping statuses in memory (the heat index) beside other servers. With `after`
    /// `None`, the count now and no changes (read it before loading the statuses). `None` for
    /// a store that logs no changes (a GeoPackage). Read.
    fn status_changes(&self, _after: Option<i64>) -> Result<Option<StatusChanges>> {
        Ok(None)
    }

    /// How many incidents the store holds. Read.
    fn incident_count(&self) -> Result<u64>;

    /// Incidents per component they are about, reported in `[from, to)` (any time when
    /// `None`): (component key, count), components with at least one. An aggregate the store
    /// computes. Read.
    fn incidents_per_component(
        &self,
        from: Option<Timestamp>,
        to: Option<Timestamp>,
    ) -> Result<Vec<(String, u64)>>;

    /// Records a deadline extension (延期) of `hours` for an open incident. One transaction;
    /// durable on return.
    fn extend_incident(&mut self, key: &str, hours: f64, at: Timestamp, reason: &str)
    -> Result<()>;

    /// Records the resident's evaluation of a closed incident (评价: an `evaluated` event
    /// with the evaluation and a note); refused while it is not closed. The latest counts.
    /// One transaction; durable on return.
    fn evaluate_incident(
        &mut self,
        key: &str,
        evaluation: Evaluation,
        note: &str,
        at: Timestamp,
    ) -> Result<()>;

    /// Assigns a case (派遣) to a department and perhaps a worker (an `assigned` event with
    /// the assignment and who made it, [`assignment_detail`]): a reported case is dispatched
    /// at `at` in the same transaction, a dispatched one is reassigned; later steps refuse
    /// ([`assignment_refused`]). Returns the incident after. One transaction; durable on
    /// return.
    fn assign_incident(
        &mut self,
        key: &str,
        assignment: &Assignment,
        by: &str,
        at: Timestamp,
    ) -> Result<(i64, Incident)>;

    /// Records assignments made before this workspace kept them (a register's history: the
    /// demo's, or one carried over from an older system): per `(key, assignment, at)` an
    /// `assigned` event at `at` by `by`, appended to the case's history; the status is
    /// unchanged. A case unknown, named twice, assigned already, not (last) dispatched by
    /// `at`, or an `at` ahead of the clock refuses the whole batch and nothing is recorded
    /// (`past_assignment_refused`). One transaction; durable on return.
    fn record_assignments(
        &mut self,
        items: &[(String, Assignment, Timestamp)],
        by: &str,
    ) -> Result<()>;

    /// Flags an open case for supervision (督办: a `supervised` event with who and why; not
    /// a step); refused once closed. One transaction; durable on return.
    fn supervise_incident(&mut self, key: &str, s: &Supervision, at: Timestamp) -> Result<()>;

    /// Every recorded step and event of the incidents `keys`, in the order recorded (their
    /// histories: the case desk's queue and one case's history). Read.
    fn events_of(&self, keys: &[String]) -> Result<Vec<IncidentEvent>>;

    /// Stores a computed month as an immutable release; returns its id. One transaction;
    /// durable on return.
    fn release_index(&self, run: &IndexRun, params: &str) -> Result<i64>;

    /// A stored release. Read.
    fn index_release(&self, id: i64) -> Result<Release>;

    /// Every release: (id, created, month, level, results SHA-256). Read.
    fn index_releases(&self) -> Result<Vec<ReleaseLine>>;

    /// Stores a release exactly as another store holds it (its id and time kept; for
    /// copying a workspace). One transaction; durable on return.
    fn restore_release(&self, release: &Release) -> Result<()>;

    /// Every recorded step and extension of every incident, in the order recorded. Read.
    fn incident_events(&self) -> Result<Vec<IncidentEvent>>;

    /// Stores incidents with the events another store recorded for them (instead of events
    /// made from their step times): a copy keeps reworks and extensions. Keys already
    /// stored are refused. One transaction; durable on return.
    fn restore_incidents(&mut self, batch: &[Incident], events: &[IncidentEvent]) -> Result<()>;
}

/// Status changes committed after a change count ([`IncidentStore::status_changes`]).
#[derive(Debug, Clone, PartialEq)]
pub struct StatusChanges {
    /// The change count these reach to: the `after` of the next call.
    pub upto: i64,
    /// Each incident whose status changed: as it was before its first change after `after`
    /// (with its status then), and its status now.
    pub changes: Vec<(Incident, IncidentStatus)>,
    /// False when the log no longer reaches back to `after`: changes are missing, and the
    /// statuses are to be read anew.
    pub complete: bool,
}

/// One recorded step (`dispatched`, ...) or extension (`extended`, hours and reason as JSON
/// in `detail`) of an incident.
#[derive(Debug, Clone, PartialEq)]
pub struct IncidentEvent {
    /// The incident's key.
    pub incident: String,
    pub status: String,
    pub at: Timestamp,
    pub detail: Option<String>,
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
    /// Only incidents about this component (its key).
    pub component: Option<String>,
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
            component: None,
            from: None,
            to: None,
            limit: 100,
            offset: 0,
        }
    }
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
    /// (community key, count) since `since_window`, most first (at most 5).
    pub top_communities: Vec<(String, u64)>,
    /// The newest incidents by report time (at most 8): category, community key, report
    /// time, status.
    pub latest: Vec<(String, Option<String>, Timestamp, String)>,
}

/// What a batch did: the incidents stored now (fid, key) and the keys that were already there
/// (a retried batch adds nothing twice).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Ingested {
    pub added: Vec<(i64, String)>,
    pub existing: Vec<String>,
}

/// A stored release.
#[derive(Debug, Clone, PartialEq)]
pub struct Release {
    pub id: i64,
    pub created: String,
    pub month: String,
    pub level: String,
    pub params: String,
    pub params_sha256: String,
    pub inputs_csv: String,
    pub inputs_sha256: String,
    pub results_csv: String,
    pub results_sha256: String,
    /// The workspace's content digest when released.
    pub store_digest: String,
}

/// A release in a list: (id, created, month, level, results SHA-256).
pub type ReleaseLine = (i64, String, String, String, String);

/// How a report differs from the one stored under its id (time, category, source, place);
/// empty when it is the same report sent again (both backends refuse a resent id by it).
pub fn report_differences(
    i: &Incident,
    (time, category, source): (&str, &str, &str),
    at: Option<geo_types::Point<f64>>,
    component: Option<&str>,
) -> Vec<String> {
    let mut d = Vec::new();
    if i.component.as_deref() != component {
        d.push(format!(
            "component {}, stored {}",
            i.component.as_deref().unwrap_or("none"),
            component.unwrap_or("none")
        ));
    }
    let sent = i.time.to_string();
    if sent != time {
        d.push(format!("time {sent}, stored {time}"));
    }
    if i.category != category {
        d.push(format!("category {}, stored {category}", i.category));
    }
    if i.source.as_str() != source {
        d.push(format!("source {}, stored {source}", i.source.as_str()));
    }
    match at {
        Some(p) => {
            let (dx, dy) = (p.x() - i.location.x(), p.y() - i.location.y());
            let m = (dy * 111_320.0).hypot(dx * 111_320.0 * p.y().to_radians().cos());
            if m > 0.5 {
                d.push(format!("place {m:.0} m from the stored one"));
            }
        }
        None => d.push("stored place unreadable".into()),
    }
    d
}

/// The `detail` of an `extended` event: the hours and the reason, as JSON (both backends).
pub fn extension_detail(hours: f64, reason: &str) -> String {
    serde_json::json!({ "hours": hours, "reason": reason }).to_string()
}

/// A refusal of the closed loop: its rule (see [`crate::Error::Incident`]) and message.
pub type Refusal = (&'static str, String);

/// Why an evaluation at `at` of an incident closed at `closed` is refused: before the closing
/// it evaluates, or ahead of the clock (the steps' own rules), or not closed at all.
pub fn evaluation_refused(closed: Option<Timestamp>, at: Timestamp) -> Option<Refusal> {
    let Some(closed) = closed else {
        return Some((
            "not_closed",
            "is not closed; a case is evaluated when it is closed".into(),
        ));
    };
    if at < closed {
        return Some((
            "event_order",
            format!("an evaluation at {at} comes before the closing at {closed}"),
        ));
    }
    if at.unix() > Timestamp::now().unix() + wangge_core::STEP_CLOCK_SKEW_S {
        return Some((
            "event_in_future",
            format!("an evaluation at {at} is ahead of the clock"),
        ));
    }
    None
}

/// The `detail` of an `evaluated` event.
pub fn evaluation_detail(evaluation: Evaluation, note: &str) -> String {
    serde_json::json!({ "evaluation": evaluation.as_str(), "note": note }).to_string()
}

/// The evaluation of an `evaluated` event's `detail` (none when unreadable).
pub fn evaluation_of(detail: Option<&str>) -> Option<Evaluation> {
    detail
        .and_then(|d| serde_json::from_str::<serde_json::Value>(d).ok())
        .and_then(|v| v["evaluation"].as_str().and_then(Evaluation::exact))
}

/// The hours of an `extended` event's `detail` (0 when unreadable).
pub fn extension_hours(detail: Option<&str>) -> f64 {
    detail
        .and_then(|d| serde_json::from_str::<serde_json::Value>(d).ok())
        .and_then(|v| v["hours"].as_f64())
        .unwrap_or(0.0)
}

/// Why a case in `status` cannot be assigned: only reported (dispatch) and dispatched
/// (reassign) cases can.
pub fn assignment_refused(status: IncidentStatus) -> Option<Refusal> {
    match status {
        IncidentStatus::Reported | IncidentStatus::Dispatched => None,
        s => Some((
            "assignment_step",
            format!(
                "is {}; a case is assigned when it is dispatched and reassigned before it is handled",
                s.as_str()
            ),
        )),
    }
}

/// Why an event (an assignment, a supervision) at `at` is refused: before the step the case
/// reached last, or ahead of the clock.
pub fn event_time_refused(inc: &Incident, at: Timestamp) -> Option<Refusal> {
    let (last, last_at) = inc.latest_step();
    if at < last_at {
        return Some((
            "event_order",
            format!("{at} is before {} at {last_at}", last.as_str()),
        ));
    }
    if at.unix() > Timestamp::now().unix() + wangge_core::STEP_CLOCK_SKEW_S {
        return Some(("event_in_future", format!("{at} is ahead of the clock")));
    }
    None
}

/// The `detail` of an `assigned` event.
pub fn assignment_detail(a: &Assignment, by: &str) -> String {
    serde_json::json!({
        "department": a.department,
        "worker": a.worker,
        "hours": a.hours,
        "by": by,
    })
    .to_string()
}

/// The assignment of an `assigned` event's `detail` (none when unreadable).
pub fn assignment_of(detail: Option<&str>) -> Option<Assignment> {
    let v: serde_json::Value = serde_json::from_str(detail?).ok()?;
    Some(Assignment {
        department: v["department"].as_str()?.to_string(),
        worker: v["worker"].as_str().map(str::to_string),
        hours: v["hours"].as_f64(),
    })
}

/// Why a past assignment at `at` is refused on `inc` (`assigned`: it has a readable
/// assignment already; `twice`: the batch named it before): a time ahead of the clock, a case
/// assigned before (the latest assignment counts, and a past one must not pass a real one),
/// or one not dispatched by `at` (its latest dispatch later, or none).
pub fn past_assignment_refused(
    inc: &Incident,
    at: Timestamp,
    (assigned, twice): (bool, bool),
    now: Timestamp,
) -> Option<Refusal> {
    if at.unix() > now.unix() + wangge_core::STEP_CLOCK_SKEW_S {
        return Some(("event_in_future", format!("{at} is later than now ({now})")));
    }
    if assigned || twice {
        let why = if twice {
            "is named twice in the batch"
        } else {
            "has an assignment already"
        };
        return Some((
            "assigned_before",
            format!("{why}; a past assignment is recorded only on a case never assigned"),
        ));
    }
    match inc.at(IncidentStatus::Dispatched) {
        Some(d) if d <= at => None,
        Some(d) => Some((
            "assignment_step",
            format!("was (last) dispatched at {d}, after the assignment at {at} to record"),
        )),
        None => Some((
            "assignment_step",
            format!(
                "is {} and was never dispatched; a past assignment is recorded on a dispatched case",
                inc.status.as_str()
            ),
        )),
    }
}

/// The `detail` of a `supervised` event.
pub fn supervision_detail(s: &Supervision) -> String {
    serde_json::json!({ "by": s.by, "reason": s.reason }).to_string()
}

/// The supervision of a `supervised` event's `detail` (none when unreadable).
pub fn supervision_of(detail: Option<&str>) -> Option<Supervision> {
    let v: serde_json::Value = serde_json::from_str(detail?).ok()?;
    Some(Supervision {
        by: v["by"].as_str()?.to_string(),
        reason: v["reason"].as_str().unwrap_or_default().to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assignments_and_supervisions_read_back_from_their_detail() {
        let a = Assignment {
            department: "D1".into(),
            worker: Some("W7".into()),
            hours: Some(12.0),
        };
        assert_eq!(assignment_of(Some(&assignment_detail(&a, "desk"))), Some(a));
        assert_eq!(assignment_of(Some("{\"worker\": \"W7\"}")), None);
        assert_eq!(assignment_of(Some("not json")), None);
        let s = Supervision {
            by: "街道办".into(),
            reason: "超期".into(),
        };
        assert_eq!(supervision_of(Some(&supervision_detail(&s))), Some(s));
        assert!(assignment_refused(IncidentStatus::Handled).is_some());
        assert!(assignment_refused(IncidentStatus::Dispatched).is_none());
    }

    /// A window's median against the median of every value, through adds and removes that
    /// walk the middle out of it (then `None`, never a wrong value).
    #[test]
    fn a_median_window_follows_its_values_or_says_it_cannot() {
        let median = |v: &[f64]| -> Option<f64> {
            let mut v = v.to_vec();
            v.sort_by(f64::total_cmp);
            let n = v.len();
            (n > 0).then(|| (v[(n - 1) / 2] + v[n / 2]) / 2.0)
        };
        let mut all: Vec<f64> = (0..41).map(|i| f64::from((i * 7) % 41)).collect();
        all.sort_by(f64::total_cmp);
        // Positions 16..25 of 41 (the middle is 20).
        let mut w = MedianWindow {
            count: 41,
            from: 16,
            values: all[16..25].to_vec(),
        };
        assert_eq!(w.median(), median(&all));
        let mut followed = 0;
        let steps = [
            (true, 40.5),
            (false, 3.0),
            (true, 20.0),
            (true, 20.0),
            (false, 39.0),
            (true, -1.0),
            (true, 50.0),
            (false, 0.0),
            (true, 51.0),
            (true, 52.0),
            (false, 1.0),
            (true, 53.0),
            (true, 54.0),
            (false, 2.0),
            (true, 55.0),
            (true, 56.0),
            (true, 57.0),
            (true, 58.0),
            (true, 59.0),
            (true, 60.0),
            (true, 61.0),
        ];
        for (add, v) in steps {
            if !add {
                assert!(w.remove(v), "{v} is held");
                let i = all.iter().position(|x| *x == v).expect("held");
                all.remove(i);
            } else {
                assert!(w.add(v));
                all.push(v);
            }
            match w.median() {
                Some(m) => {
                    assert_eq!(Some(m), median(&all), "after {v}");
                    followed += 1;
                }
                None => break,
            }
        }
        assert!(followed >= 6, "{followed}");
        assert!(w.median().is_none(), "walked out of the window");
        // A value not held is refused and changes nothing.
        let mut w = MedianWindow {
            count: 3,
            from: 0,
            values: vec![1.0, 2.0, 3.0],
        };
        assert!(!w.remove(2.5));
        assert_eq!(w.median(), Some(2.0));
        // The whole set: every value goes in, even beyond either end.
        assert!(w.add(-5.0) && w.add(9.0) && w.add(10.0));
        assert_eq!((w.count, w.values.len()), (6, 6));
        assert_eq!(w.median(), Some(2.5));
    }
}

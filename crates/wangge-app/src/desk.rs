//! The case desk (the street office's dispatcher): the queue of open cases with their
//! deadlines against the limits in data/ (`wangge_core::kpi::deadline`, the same one the KPIs'
//! overdue count uses), who they are assigned to and whether they were supervised; and the
//! checks an assignment passes before the store records it. The API's `/api/desk` and the
//! desk page show these.

use std::collections::HashMap;
use wangge_core::kpi::{Case, TimeLimits, Urgency, deadline, urgency};
use wangge_core::{Assignment, Incident, IncidentStatus, Supervision, Timestamp};
use wangge_io::Store;
use wangge_io::store::{
    IncidentEvent, IncidentQuery, assignment_of, extension_hours, supervision_of,
};

/// What the queue shows.
#[derive(Debug, Clone, Default)]
pub struct DeskFilter {
    /// Steps (empty: every open one).
    pub statuses: Vec<IncidentStatus>,
    pub categories: Vec<String>,
    pub grid: Option<String>,
    /// Cases assigned to this worker (by id).
    pub worker: Option<String>,
    /// Only cases in these communities (the caller's scope); `None`: any.
    pub within: Option<Vec<String>>,
    /// At most this many cases (the most urgent).
    pub limit: usize,
}

/// One open case in the queue.
#[derive(Debug, Clone, PartialEq)]
pub struct DeskCase {
    pub incident: Incident,
    /// The deadline of the step it is in (limits plus extensions).
    pub deadline: Timestamp,
    pub urgency: Urgency,
    /// The latest assignment and when it was made.
    pub assignment: Option<(Timestamp, Assignment)>,
    /// While dispatched: when the dispatcher's own time limit runs out (the assignment's hours
    /// from when it was made). The deadline and urgency follow the district's limits (what
    /// the KPIs count); this is the dispatcher's tighter target, shown beside them.
    pub handle_by: Option<Timestamp>,
    /// Supervisions (督办), oldest first.
    pub supervisions: Vec<(Timestamp, Supervision)>,
    pub reworks: u32,
    pub extension_h: f64,
}

/// What a case's recorded events add to it.
#[derive(Debug, Default)]
struct Folded {
    dispatches: u32,
    extension_h: f64,
    assignment: Option<(Timestamp, Assignment)>,
    supervisions: Vec<(Timestamp, Supervision)>,
}

fn fold(events: &[&IncidentEvent]) -> Folded {
    let mut f = Folded::default();
    for e in events {
        match e.status.as_str() {
            "dispatched" => f.dispatches += 1,
            "extended" => f.extension_h += extension_hours(e.detail.as_deref()),
            "assigned" => {
                if let Some(a) = assignment_of(e.detail.as_deref()) {
                    f.assignment = Some((e.at, a));
                }
            }
            "supervised" => {
                if let Some(s) = supervision_of(e.detail.as_deref()) {
                    f.supervisions.push((e.at, s));
                }
            }
            _ => {}
        }
    }
    f
}

/// The open cases matching `filter`, most urgent first (by deadline: overdue ones first), as
/// of `now`; and how many matched before the limit.
pub fn queue(
    store: &dyn Store,
    limits: &TimeLimits,
    filter: &DeskFilter,
    now: Timestamp,
) -> Result<(usize, Vec<DeskCase>), wangge_io::Error> {
    let open: Vec<IncidentStatus> = if filter.statuses.is_empty() {
        IncidentStatus::ALL
            .iter()
            .copied()
            .filter(|s| *s != IncidentStatus::Closed)
            .collect()
    } else {
        filter.statuses.clone()
    };
    let q = IncidentQuery {
        categories: filter.categories.clone(),
        statuses: open,
        grid: filter.grid.clone(),
        within: filter.within.clone(),
        limit: usize::MAX,
        ..IncidentQuery::default()
    };
    let (_, found) = store.query_incidents(&q)?;
    let keys: Vec<String> = found.iter().map(|(_, i)| i.key.clone()).collect();
    let events = store.events_of(&keys)?;
    let mut by_key: HashMap<&str, Vec<&IncidentEvent>> = HashMap::new();
    for e in &events {
        by_key.entry(e.incident.as_str()).or_default().push(e);
    }
    let mut out = Vec::new();
    for (_, i) in found {
        let f = fold(by_key.get(i.key.as_str()).map_or(&[][..], Vec::as_slice));
        if let Some(w) = &filter.worker
            && f.assignment.as_ref().and_then(|(_, a)| a.worker.as_ref()) != Some(w)
        {
            continue;
        }
        let case = Case {
            key: i.key.clone(),
            time: i.time,
            category: i.category.clone(),
            source: i.source.as_str().to_string(),
            community: i.community.clone(),
            grid: i.grid.clone(),
            street: None,
            steps: i.steps,
            reworks: f.dispatches.saturating_sub(1),
            extension_h: f.extension_h,
            evaluation: None,
            department: None,
            worker: None,
        };
        let (Some(due), Some(u)) = (deadline(&case, limits, now), urgency(&case, limits, now))
        else {
            continue;
        };
        let handle_by = match (&f.assignment, i.status) {
            (Some((at, a)), IncidentStatus::Dispatched) => a
                .hours
                .map(|h| Timestamp::from_unix(at.unix() + (h * 3600.0) as i64)),
            _ => None,
        };
        out.push(DeskCase {
            incident: i,
            deadline: due,
            urgency: u,
            handle_by,
            assignment: f.assignment,
            supervisions: f.supervisions,
            reworks: case.reworks,
            extension_h: f.extension_h,
        });
    }
    out.sort_by(|a, b| (a.deadline, &a.incident.key).cmp(&(b.deadline, &b.incident.key)));
    let n = out.len();
    out.truncate(filter.limit);
    Ok((n, out))
}

/// Why an assignment is refused before it reaches the store, with a stable code and the
/// values a client translates it with.
#[derive(Debug, Clone, PartialEq)]
pub enum AssignmentRefusal {
    /// No department with this code in the register.
    NoDepartment { department: String },
    /// The department belongs to another street than the caller's.
    OtherStreet {
        department: String,
        theirs: String,
        mine: String,
    },
    /// No worker with this id in the register.
    NoWorker { worker: String },
    /// The worker is in another department.
    WorkerDepartment {
        worker: String,
        theirs: String,
        department: String,
    },
    /// A time limit not positive, or longer than the category's handling limit.
    Hours { hours: f64, limit: f64 },
}

impl AssignmentRefusal {
    /// The stable code (`desk.no_department`, ...).
    pub fn code(&self) -> &'static str {
        match self {
            Self::NoDepartment { .. } => "desk.no_department",
            Self::OtherStreet { .. } => "desk.other_street",
            Self::NoWorker { .. } => "desk.no_worker",
            Self::WorkerDepartment { .. } => "desk.worker_department",
            Self::Hours { .. } => "desk.hours",
        }
    }

    /// The named values of the refusal.
    pub fn params(&self) -> Vec<(&'static str, String)> {
        match self {
            Self::NoDepartment { department } => vec![("department", department.clone())],
            Self::OtherStreet {
                department,
                theirs,
                mine,
            } => vec![
                ("department", department.clone()),
                ("street", theirs.clone()),
                ("mine", mine.clone()),
            ],
            Self::NoWorker { worker } => vec![("worker", worker.clone())],
            Self::WorkerDepartment {
                worker,
                theirs,
                department,
            } => vec![
                ("worker", worker.clone()),
                ("theirs", theirs.clone()),
                ("department", department.clone()),
            ],
            Self::Hours { hours, limit } => {
                vec![("hours", hours.to_string()), ("limit", limit.to_string())]
            }
        }
    }
}

impl std::fmt::Display for AssignmentRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NoDepartment { department } => {
                write!(f, "no department {department:?} in the register")
            }
            Self::OtherStreet {
                department,
                theirs,
                mine,
            } => write!(
                f,
                "department {department:?} belongs to {theirs}, not {mine}"
            ),
            Self::NoWorker { worker } => write!(f, "no worker {worker:?} in the register"),
            Self::WorkerDepartment {
                worker,
                theirs,
                department,
            } => write!(
                f,
                "worker {worker:?} is in department {theirs:?}, not {department:?}"
            ),
            Self::Hours { hours, limit } => write!(
                f,
                "a time limit of {hours} hours: more than 0 and at most the category's {limit} hours to handle (a longer one is an extension)"
            ),
        }
    }
}

/// Why an assignment is refused before it reaches the store: a department or worker not in
/// the register, a worker of another department, a department of another street than
/// `street` (a street office's scope; `None`: any), or a time limit that is not positive or
/// longer than the category's handling limit (a longer one is an extension, 延期).
pub fn assignment_refused(
    store: &dyn Store,
    limits: &TimeLimits,
    incident: &Incident,
    a: &Assignment,
    street: Option<&str>,
) -> Result<Option<AssignmentRefusal>, wangge_io::Error> {
    let Some(dep) = store
        .departments()?
        .into_iter()
        .find(|d| d.code == a.department)
    else {
        return Ok(Some(AssignmentRefusal::NoDepartment {
            department: a.department.clone(),
        }));
    };
    if let (Some(mine), Some(theirs)) = (street, dep.street.as_deref())
        && mine != theirs
    {
        return Ok(Some(AssignmentRefusal::OtherStreet {
            department: a.department.clone(),
            theirs: theirs.to_string(),
            mine: mine.to_string(),
        }));
    }
    if let Some(w) = &a.worker {
        let departments = store.departments()?;
        // A worker of another street's department is not named to a street office: as if
        // there were none.
        let visible = |code: &str| {
            street.is_none()
                || departments.iter().any(|d| {
                    d.code == code && d.street.as_deref().is_none_or(|s| Some(s) == street)
                })
        };
        match store
            .workers()?
            .into_iter()
            .find(|x| &x.id == w && visible(&x.department))
        {
            None => return Ok(Some(AssignmentRefusal::NoWorker { worker: w.clone() })),
            Some(x) if x.department != a.department => {
                return Ok(Some(AssignmentRefusal::WorkerDepartment {
                    worker: w.clone(),
                    theirs: x.department,
                    department: a.department.clone(),
                }));
            }
            Some(_) => {}
        }
    }
    if let Some(h) = a.hours {
        let limit = limits.of(&incident.category)[1];
        if !(h.is_finite() && h > 0.0 && h <= limit) {
            return Ok(Some(AssignmentRefusal::Hours { hours: h, limit }));
        }
    }
    Ok(None)
}

//! Plausible past assignments of a district's dispatched cases to the register `workforce`
//! makes (the demo's history, so its KPI tables per department and worker have rows): each
//! case to its street's office by kind, community matters (noise, disputes, animals) with the
//! grid's worker, public works (roads, facilities, greenery) and city management (the rest)
//! without one; a case outside every street to the district's city management bureau and one
//! of its two workers. At the case's (latest) dispatch, as a dispatcher would have assigned it.

use std::collections::HashMap;
use wangge_core::kpi::Case;
use wangge_core::{Assignment, Department, Timestamp, Worker};

const COMMUNITY: &[&str] = &["noise", "dispute", "animals"];
const PUBLIC_WORKS: &[&str] = &["roads", "facilities", "greenery"];

/// (case key, assignment, when) for the cases dispatched and not assigned yet, in the order
/// given; cases whose street or grid the register does not know are left out.
pub fn past_assignments(
    cases: &[Case],
    departments: &[Department],
    workers: &[Worker],
) -> Vec<(String, Assignment, Timestamp)> {
    // The street's section by its code's end (`S01SQ`: community affairs of street 1).
    let section = |street: &str, end: &str| -> Option<String> {
        departments
            .iter()
            .find(|d| d.street.as_deref() == Some(street) && d.code.ends_with(end))
            .map(|d| d.code.clone())
    };
    let grid_worker: HashMap<&str, &str> = workers
        .iter()
        .filter_map(|w| Some((w.grid.as_deref()?, w.id.as_str())))
        .collect();
    let bureau: Vec<&Worker> = workers.iter().filter(|w| w.department == "QCGJ").collect();
    let mut out = Vec::new();
    for (n, c) in cases.iter().enumerate() {
        let (Some(at), None) = (c.steps[0], c.department.as_ref()) else {
            continue;
        };
        let assignment = match c.street.as_deref() {
            Some(street) => {
                let kind = c.category.as_str();
                let (end, worker) = if COMMUNITY.contains(&kind) {
                    let w = c.grid.as_deref().and_then(|g| grid_worker.get(g));
                    ("SQ", w.map(|w| w.to_string()))
                } else if PUBLIC_WORKS.contains(&kind) {
                    ("SZ", None)
                } else {
                    ("CG", None)
                };
                let Some(department) = section(street, end) else {
                    continue;
                };
                Assignment {
                    department,
                    worker,
                    hours: None,
                }
            }
            None => {
                if bureau.is_empty() {
                    continue;
                }
                Assignment {
                    department: "QCGJ".into(),
                    worker: Some(bureau[n % bureau.len()].id.clone()),
                    hours: None,
                }
            }
        };
        out.push((c.key.clone(), assignment, at));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn case(key: &str, category: &str, grid: Option<&str>, street: Option<&str>) -> Case {
        Case {
            key: key.into(),
            time: Timestamp::from_unix(1_000),
            category: category.into(),
            source: "hotline".into(),
            community: None,
            grid: grid.map(str::to_string),
            street: street.map(str::to_string),
            steps: [Some(Timestamp::from_unix(2_000)), None, None, None],
            reworks: 0,
            extension_h: 0.0,
            evaluation: None,
            department: None,
            worker: None,
        }
    }

    #[test]
    fn each_kind_goes_to_its_office_at_its_dispatch() {
        let grids = vec![("G1".to_string(), Some("玄武门街道".to_string()))];
        let (deps, workers) = crate::workforce(&grids, 1);
        let mut undispatched = case("E", "noise", Some("G1"), Some("玄武门街道"));
        undispatched.steps[0] = None;
        let mut assigned = case("F", "noise", Some("G1"), Some("玄武门街道"));
        assigned.department = Some("S01CG".into());
        let cases = vec![
            case("A", "noise", Some("G1"), Some("玄武门街道")),
            case("B", "roads", Some("G1"), Some("玄武门街道")),
            case("C", "advertising", Some("G1"), Some("玄武门街道")),
            case("D", "noise", None, None),
            undispatched,
            assigned,
        ];
        let got = past_assignments(&cases, &deps, &workers);
        let short: Vec<(&str, &str, Option<&str>, i64)> = got
            .iter()
            .map(|(k, a, at)| {
                (
                    k.as_str(),
                    a.department.as_str(),
                    a.worker.as_deref(),
                    at.unix(),
                )
            })
            .collect();
        assert_eq!(
            short,
            [
                ("A", "S01SQ", Some("W00001"), 2_000),
                ("B", "S01SZ", None, 2_000),
                ("C", "S01CG", None, 2_000),
                ("D", "QCGJ", Some("QCGJ02"), 2_000),
            ]
        );
    }
}

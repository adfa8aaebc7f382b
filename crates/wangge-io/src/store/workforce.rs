//! The register of departments and workers who handle cases.

use crate::Result;
use wangge_core::{Department, Worker};

/// Departments and workers (a register imported whole).
pub trait WorkforceStore {
    /// Replaces the register with `departments` and `workers` (checked by
    /// [`workforce_problems`] first: nothing is written when it finds one). One transaction;
    /// durable on return.
    fn replace_workforce(&mut self, departments: &[Department], workers: &[Worker]) -> Result<()>;

    /// Every department, by code. Read.
    fn departments(&self) -> Result<Vec<Department>>;

    /// Every worker, by id. Read.
    fn workers(&self) -> Result<Vec<Worker>>;
}

/// What is wrong with a register, each problem naming the department (by its index and code)
/// or worker (by index and id): empty or repeated codes and ids, empty names, a worker whose
/// department is not in the register. Empty when it may be stored.
pub fn workforce_problems(departments: &[Department], workers: &[Worker]) -> Vec<String> {
    let mut problems = Vec::new();
    let mut codes = std::collections::HashMap::new();
    for (i, d) in departments.iter().enumerate() {
        if d.code.trim().is_empty() {
            problems.push(format!("department {i}: no code"));
        } else if let Some(first) = codes.insert(d.code.as_str(), i) {
            problems.push(format!(
                "department {i} ({}): the code is also department {first}'s",
                d.code
            ));
        }
        if d.name.trim().is_empty() {
            problems.push(format!("department {i} ({}): no name", d.code));
        }
    }
    let mut ids = std::collections::HashMap::new();
    for (i, w) in workers.iter().enumerate() {
        if w.id.trim().is_empty() {
            problems.push(format!("worker {i}: no id"));
        } else if let Some(first) = ids.insert(w.id.as_str(), i) {
            problems.push(format!(
                "worker {i} ({}): the id is also worker {first}'s",
                w.id
            ));
        }
        if w.name.trim().is_empty() {
            problems.push(format!("worker {i} ({}): no name", w.id));
        }
        if !codes.contains_key(w.department.as_str()) {
            problems.push(format!(
                "worker {i} ({}): no department {:?} in the register",
                w.id, w.department
            ));
        }
    }
    problems
}

/// The refusal of a register with problems (what both backends return).
pub fn refuse_workforce(
    path: &std::path::Path,
    departments: &[Department],
    workers: &[Worker],
) -> Result<()> {
    let problems = workforce_problems(departments, workers);
    if problems.is_empty() {
        return Ok(());
    }
    Err(crate::Error::usage(
        path,
        format!("the register was not stored: {}", problems.join("; ")),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dep(code: &str) -> Department {
        Department {
            code: code.into(),
            name: format!("{code} 科"),
            street: None,
        }
    }

    fn worker(id: &str, department: &str) -> Worker {
        Worker {
            id: id.into(),
            name: "王五".into(),
            department: department.into(),
            grid: None,
            phone: None,
            token: None,
        }
    }

    #[test]
    fn repeated_codes_and_unknown_departments_are_named() {
        assert!(workforce_problems(&[dep("A")], &[worker("1", "A")]).is_empty());
        let p = workforce_problems(&[dep("A"), dep("A")], &[worker("1", "A"), worker("1", "B")]);
        assert_eq!(p.len(), 3, "{p:?}");
        assert!(p[0].contains("department 1 (A)"), "{p:?}");
        assert!(
            p[1].contains("worker 1 (1): the id is also worker 0's"),
            "{p:?}"
        );
        assert!(p[2].contains("no department \"B\""), "{p:?}");
    }
}

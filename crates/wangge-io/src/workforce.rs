//! Reading the register of workers (CSV, UTF-8 or GBK, or an Excel workbook): one row per
//! worker with an id (工号), a name, a department, and optionally a grid, a phone, the id of
//! the access token they sign in with, and the street of their department. Departments are
//! the register's distinct department texts, unless a departments register (code, name,
//! street) is given, which the workers' department column then names by code or name. A bad
//! row fails the whole file, naming each bad row (file; CSV row, or sheet, row and column);
//! nothing is stored then. A phone is checked but never quoted.

use crate::read::csv_file::{LIMITS, csv_error, find, headers, open};
use crate::read::stream::Limits;
use crate::{Error, Result};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use wangge_core::personal::check_phone;
use wangge_core::{Department, Worker};

const ID: &[&str] = &["id", "worker", "工号", "编号", "人员编号"];
const NAME: &[&str] = &["name", "姓名", "名称"];
const DEPARTMENT: &[&str] = &["department", "部门", "所属部门", "单位"];
const GRID: &[&str] = &["grid", "网格", "网格编码", "所属网格"];
const PHONE: &[&str] = &["phone", "电话", "联系电话", "手机", "手机号"];
const TOKEN: &[&str] = &["token", "令牌", "令牌编号"];
const STREET: &[&str] = &["street", "街道", "所属街道"];
const CODE: &[&str] = &["code", "编码", "部门编码", "代码"];

/// A register's rows as text: where each row is (`row 5`, `sheet "人员", row 5`) and its cells,
/// and how a column is named in a message.
struct Table {
    headers: Vec<String>,
    rows: Vec<(String, Vec<String>)>,
    workbook: bool,
}

impl Table {
    fn read(path: &Path, encoding: Option<&str>, sheet: Option<&str>) -> Result<Self> {
        if crate::xlsx::is_workbook(path) {
            let s = crate::xlsx::read_sheet(path, sheet)?;
            let name = s.name.clone();
            return Ok(Self {
                headers: s.headers,
                rows: s
                    .rows
                    .into_iter()
                    .map(|(n, cells)| (format!("sheet {name:?}, row {n}"), cells))
                    .collect(),
                workbook: true,
            });
        }
        let limits = Limits {
            quote: false,
            ..LIMITS
        };
        let (text, delimiter, _) = open(path, encoding, limits)?;
        let mut rdr = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .flexible(false)
            .from_reader(text);
        let headers = headers(&mut rdr, path)?;
        let mut rows = Vec::new();
        for (i, rec) in rdr.records().enumerate() {
            let rec = rec.map_err(|e| csv_error(path, e, &format!("row {}", i + 1)))?;
            rows.push((
                format!("row {}", i + 1),
                rec.iter().map(|c| c.trim().to_string()).collect(),
            ));
        }
        Ok(Self {
            headers,
            rows,
            workbook: false,
        })
    }

    fn column(&self, i: usize) -> String {
        if self.workbook {
            format!(
                "column {} ({})",
                crate::xlsx::column_letters(i),
                self.headers[i]
            )
        } else {
            self.headers[i].clone()
        }
    }

    fn find(&self, names: &[&str], path: &Path) -> Result<Option<usize>> {
        find(&self.headers, None, names, path)
    }

    fn need(&self, names: &[&str], what: &str, path: &Path) -> Result<usize> {
        self.find(names, path)?.ok_or_else(|| {
            Error::usage(
                path,
                format!(
                    "no {what} column (one of {}); columns are {}",
                    names.join(", "),
                    self.headers.join(", ")
                ),
            )
        })
    }
}

fn cell(cells: &[String], i: Option<usize>) -> Option<String> {
    i.and_then(|i| cells.get(i))
        .map(|c| c.trim().to_string())
        .filter(|c| !c.is_empty())
}

/// The error for a file with bad rows (at most 20 named).
fn refuse(path: &Path, rows: usize, problems: &[String]) -> Error {
    let mut msg = format!(
        "{} of {rows} rows are invalid; nothing was imported:",
        problems.len()
    );
    for p in problems.iter().take(20) {
        msg.push_str("\n  ");
        msg.push_str(p);
    }
    if problems.len() > 20 {
        msg.push_str(&format!("\n  ... and {} more", problems.len() - 20));
    }
    Error::format(path, msg)
}

/// Reads a departments register: code, name, optionally street.
pub fn read_departments(
    path: &Path,
    encoding: Option<&str>,
    sheet: Option<&str>,
) -> Result<Vec<Department>> {
    let t = Table::read(path, encoding, sheet)?;
    let (code, name) = (
        t.need(CODE, "department code", path)?,
        t.need(NAME, "name", path)?,
    );
    let street = t.find(STREET, path)?;
    let mut out = Vec::new();
    let mut problems = Vec::new();
    let mut seen: HashMap<String, String> = HashMap::new();
    for (at, cells) in &t.rows {
        let mut bad = Vec::new();
        let c = cell(cells, Some(code));
        let n = cell(cells, Some(name));
        if c.is_none() {
            bad.push(format!("{}: no code", t.column(code)));
        }
        if n.is_none() {
            bad.push(format!("{}: no name", t.column(name)));
        }
        if let Some(c) = &c
            && let Some(first) = seen.insert(c.clone(), at.clone())
        {
            bad.push(format!("{}: code {c:?} also on {first}", t.column(code)));
        }
        match (bad.is_empty(), c, n) {
            (true, Some(code), Some(name)) => out.push(Department {
                code,
                name,
                street: cell(cells, street),
            }),
            _ => problems.push(format!("{at}: {}", bad.join("; "))),
        }
    }
    if !problems.is_empty() {
        return Err(refuse(path, t.rows.len(), &problems));
    }
    if out.is_empty() {
        return Err(Error::format(path, "has no department rows"));
    }
    Ok(out)
}

/// What a workers register is checked against besides itself: the grids of the newest plan
/// and the ids of the access tokens (`None`: not checked).
#[derive(Debug, Clone, Default)]
pub struct Known {
    pub grids: Option<std::collections::HashSet<String>>,
    pub tokens: Option<std::collections::HashSet<i64>>,
}

/// Reads a workers register. With `departments` (a departments register), a worker's
/// department is named by its code or name; without, the departments are the distinct
/// department texts (code and name alike, street from the street column, which must agree
/// for one department). A grid or token not in `known` makes a bad row. Returns the
/// departments and the workers.
// Long: one pass over the rows checking every column, and the departments they imply.
pub fn read_workers(
    path: &Path,
    encoding: Option<&str>,
    sheet: Option<&str>,
    departments: Option<Vec<Department>>,
    known: &Known,
) -> Result<(Vec<Department>, Vec<Worker>)> {
    let t = Table::read(path, encoding, sheet)?;
    let (id, name, department) = (
        t.need(ID, "worker id", path)?,
        t.need(NAME, "name", path)?,
        t.need(DEPARTMENT, "department", path)?,
    );
    let (grid, phone, token, street) = (
        t.find(GRID, path)?,
        t.find(PHONE, path)?,
        t.find(TOKEN, path)?,
        t.find(STREET, path)?,
    );
    let given = departments.is_some();
    let by_text: HashMap<String, String> = departments
        .iter()
        .flatten()
        .flat_map(|d| {
            [
                (d.code.clone(), d.code.clone()),
                (d.name.clone(), d.code.clone()),
            ]
        })
        .collect();
    let mut derived: BTreeMap<String, Option<String>> = BTreeMap::new();
    let mut workers = Vec::new();
    let mut problems = Vec::new();
    let mut seen: HashMap<String, String> = HashMap::new();
    for (at, cells) in &t.rows {
        let mut bad = Vec::new();
        let wid = cell(cells, Some(id));
        let who = cell(cells, Some(name));
        let dep = cell(cells, Some(department));
        if wid.is_none() {
            bad.push(format!("{}: no worker id", t.column(id)));
        }
        if who.is_none() {
            bad.push(format!("{}: no name", t.column(name)));
        }
        if let Some(w) = &wid
            && let Some(first) = seen.insert(w.clone(), at.clone())
        {
            bad.push(format!("{}: id {w:?} also on {first}", t.column(id)));
        }
        let dep_code = match &dep {
            None => {
                bad.push(format!("{}: no department", t.column(department)));
                None
            }
            Some(d) if given => {
                let code = by_text.get(d).cloned();
                if code.is_none() {
                    bad.push(format!(
                        "{}: no department {d:?} in the departments register",
                        t.column(department)
                    ));
                }
                code
            }
            Some(d) => {
                let s = cell(cells, street);
                match derived.get(d) {
                    Some(prev) if *prev != s => bad.push(format!(
                        "{}: department {d:?} in street {} here and {} on an earlier row",
                        street.map_or_else(|| "street".into(), |i| t.column(i)),
                        s.as_deref().unwrap_or("(none)"),
                        prev.as_deref().unwrap_or("(none)")
                    )),
                    _ => {
                        derived.insert(d.clone(), s);
                    }
                }
                Some(d.clone())
            }
        };
        let ph = match cell(cells, phone) {
            None => None,
            Some(p) => check_phone(&p)
                .map_err(|e| bad.push(format!("{}: phone: {e}", t.column(phone.unwrap_or(0)))))
                .ok(),
        };
        let tok = match cell(cells, token) {
            None => None,
            Some(v) => v
                .parse::<i64>()
                .map_err(|_| {
                    bad.push(format!(
                        "{}: token {v:?} is not a token id (a whole number)",
                        t.column(token.unwrap_or(0))
                    ))
                })
                .ok(),
        };
        let g = cell(cells, grid);
        if let (Some(g), Some(grids)) = (&g, &known.grids)
            && !grids.contains(g)
        {
            bad.push(format!(
                "{}: grid {g:?} is not a grid of the newest plan",
                t.column(grid.unwrap_or(0))
            ));
        }
        if let (Some(k), Some(tokens)) = (tok, &known.tokens)
            && !tokens.contains(&k)
        {
            bad.push(format!("{}: no token {k}", t.column(token.unwrap_or(0))));
        }
        if !bad.is_empty() {
            let named = wid
                .as_deref()
                .map_or(String::new(), |w| format!(" (worker {w:?})"));
            problems.push(format!("{at}{named}: {}", bad.join("; ")));
            continue;
        }
        if let (Some(id), Some(name), Some(department)) = (wid, who, dep_code) {
            workers.push(Worker {
                id,
                name,
                department,
                grid: g,
                phone: ph,
                token: tok,
            });
        }
    }
    if !problems.is_empty() {
        return Err(refuse(path, t.rows.len(), &problems));
    }
    if workers.is_empty() {
        return Err(Error::format(path, "has no worker rows"));
    }
    let departments = match departments {
        Some(d) => d,
        None => derived
            .into_iter()
            .map(|(d, street)| Department {
                code: d.clone(),
                name: d,
                street,
            })
            .collect(),
    };
    Ok((departments, workers))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known_g01() -> Known {
        Known {
            grids: Some(["G01".to_string()].into_iter().collect()),
            tokens: None,
        }
    }

    fn nothing_known() -> Known {
        Known {
            grids: Some(Default::default()),
            tokens: Some(Default::default()),
        }
    }

    fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, text).expect("write");
        p
    }

    #[test]
    fn departments_come_from_the_workers_or_from_their_own_register() {
        let dir = tempfile::tempdir().expect("dir");
        let w = write(
            dir.path(),
            "w.csv",
            "工号,姓名,部门,网格,电话,街道\nW1,张三,城管科,G01,13800138000,玄武门街道\nW2,李四,城管科,,,玄武门街道\nW3,王五,市政所,,,\n",
        );
        let (deps, workers) = read_workers(&w, None, None, None, &Known::default()).expect("read");
        assert_eq!(deps.len(), 2);
        assert_eq!(deps[0].code, "城管科");
        assert_eq!(deps[0].street.as_deref(), Some("玄武门街道"));
        assert_eq!(workers[0].grid.as_deref(), Some("G01"));
        assert_eq!(workers[2].department, "市政所");
        let d = write(dir.path(), "d.csv", "编码,名称\nD1,城管科\nD2,市政所\n");
        let given = read_departments(&d, None, None).expect("departments");
        let (deps, workers) =
            read_workers(&w, None, None, Some(given), &known_g01()).expect("read");
        assert_eq!(deps.len(), 2);
        assert_eq!(workers[0].department, "D1");
    }

    #[test]
    fn bad_rows_are_named_and_nothing_is_read() {
        let dir = tempfile::tempdir().expect("dir");
        let w = write(
            dir.path(),
            "w.csv",
            "工号,姓名,部门,电话,令牌,网格\nW1,张三,城管科,123,,\nW1,,城管科,,x,\nW3,王五,城管科,,7,G99\n",
        );
        let e = read_workers(&w, None, None, None, &nothing_known())
            .expect_err("bad")
            .to_string();
        assert!(e.contains("w.csv"), "{e}");
        assert!(e.contains("row 1 (worker \"W1\"): 电话: phone"), "{e}");
        assert!(e.contains("row 2"), "{e}");
        assert!(e.contains("id \"W1\" also on row 1"), "{e}");
        assert!(e.contains("令牌: token \"x\""), "{e}");
        assert!(e.contains("row 3 (worker \"W3\")"), "{e}");
        assert!(
            e.contains("网格: grid \"G99\" is not a grid of the newest plan"),
            "{e}"
        );
        assert!(e.contains("令牌: no token 7"), "{e}");
        assert!(!e.contains("123"), "a phone is never quoted: {e}");
    }
}

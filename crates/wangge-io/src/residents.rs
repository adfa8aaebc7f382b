//! Reading a household register (CSV, UTF-8 or GBK, or an Excel workbook) into residents: each row names an address
//! point key, a name, and optionally a phone, a resident ID number and the building unit
//! (单元, which places a resident of a split address point in its grid), all checked (ID
//! numbers by their GB 11643 check character). A bad row fails the whole file, naming each
//! bad row; nothing is stored then.

use crate::read::csv_file::{LIMITS, csv_error, find as column, headers, open};
use crate::read::stream::Limits;
use crate::store::Resident;
use crate::{Error, Result};
use std::path::Path;
use wangge_core::personal::{check_id_number, check_phone};

const ADDRESS: &[&str] = &["address_key", "address", "地址编码", "门牌编码"];
const NAME: &[&str] = &["name", "姓名"];
const PHONE: &[&str] = &["phone", "电话", "联系电话", "手机", "手机号"];
const ID_NUMBER: &[&str] = &["id_number", "身份证号", "公民身份号码", "证件号码"];
const UNIT: &[&str] = &["unit", "单元", "单元号"];

/// Column names (the defaults above are tried when a name is not given).
#[derive(Debug, Clone, Default)]
pub struct ResidentColumns {
    pub address: Option<String>,
    pub name: Option<String>,
    pub phone: Option<String>,
    pub id_number: Option<String>,
    /// The building unit (单元); optional.
    pub unit: Option<String>,
    /// Text encoding label; detected (UTF-8, else GBK) when absent.
    pub encoding: Option<String>,
    /// The sheet of a workbook (default: the first).
    pub sheet: Option<String>,
}

/// The register's columns, found by name.
struct Columns {
    address: usize,
    name: usize,
    phone: Option<usize>,
    id_number: Option<usize>,
    unit: Option<usize>,
}

impl Columns {
    fn find(headers: &[String], cols: &ResidentColumns, path: &Path) -> Result<Self> {
        let need = |c: Option<usize>, what: &str, flag: &str| {
            c.ok_or_else(|| {
                Error::usage(
                    path,
                    format!(
                        "no {what} column: name it with {flag} (columns are {})",
                        headers.join(", ")
                    ),
                )
            })
        };
        Ok(Self {
            address: need(
                column(headers, cols.address.as_deref(), ADDRESS, path)?,
                "address key",
                "--address-field",
            )?,
            name: need(
                column(headers, cols.name.as_deref(), NAME, path)?,
                "name",
                "--name-field",
            )?,
            phone: column(headers, cols.phone.as_deref(), PHONE, path)?,
            id_number: column(headers, cols.id_number.as_deref(), ID_NUMBER, path)?,
            unit: column(headers, cols.unit.as_deref(), UNIT, path)?,
        })
    }
}

/// The rows checked so far: residents, and the bad rows named by where they are and by their
/// address, never by the personal fields.
#[derive(Default)]
struct Checked {
    out: Vec<Resident>,
    problems: Vec<String>,
    seen_ids: std::collections::HashMap<String, String>,
}

impl Checked {
    /// Checks one row: `at` names it (`row 5`, `sheet "居民", row 5`), `cell` gives its cells
    /// and `column` names a column in a message (`phone`, `column D (电话)`).
    fn row(
        &mut self,
        at: String,
        c: &Columns,
        cell: &dyn Fn(usize) -> String,
        column: &dyn Fn(usize) -> String,
    ) {
        let key = cell(c.address);
        let mut bad = Vec::new();
        if key.is_empty() {
            bad.push(format!("{}: no address key", column(c.address)));
        }
        let who = cell(c.name);
        if who.is_empty() {
            bad.push(format!("{}: no name", column(c.name)));
        }
        let given = |i: Option<usize>| i.map(|i| (i, cell(i))).filter(|(_, v)| !v.is_empty());
        let phone = match given(c.phone) {
            None => None,
            Some((i, p)) => check_phone(&p)
                .map_err(|e| bad.push(format!("{}: phone: {e}", column(i))))
                .ok(),
        };
        let id = match given(c.id_number) {
            None => None,
            Some((i, p)) => match check_id_number(&p) {
                Ok(id) => {
                    if let Some(first) = self.seen_ids.insert(id.clone(), at.clone()) {
                        bad.push(format!("{}: ID number also on {first}", column(i)));
                    }
                    Some(id)
                }
                Err(e) => {
                    bad.push(format!("{}: ID number: {e}", column(i)));
                    None
                }
            },
        };
        if bad.is_empty() {
            self.out.push(Resident {
                address_key: key,
                name: who,
                phone,
                id_number: id,
                unit: given(c.unit).map(|(_, u)| u),
            });
        } else {
            self.problems
                .push(format!("{at} (address {key:?}): {}", bad.join("; ")));
        }
    }
}

/// Reads and checks a register: CSV (streamed) or a workbook (.xlsx, .xls, .ods; the first
/// sheet or `cols.sheet`). Errors name the file and every bad row (CSV: data rows from 1; a
/// workbook: the sheet, the row as Excel numbers it and the column).
pub fn read_residents(path: &Path, cols: &ResidentColumns) -> Result<Vec<Resident>> {
    if crate::xlsx::is_workbook(path) {
        let sheet = crate::xlsx::read_sheet(path, cols.sheet.as_deref())?;
        let c = Columns::find(&sheet.headers, cols, path)?;
        let mut checked = Checked::default();
        let column = |i: usize| {
            format!(
                "column {} ({})",
                crate::xlsx::column_letters(i),
                sheet.headers[i]
            )
        };
        for (n, cells) in &sheet.rows {
            let cell = |i: usize| cells.get(i).cloned().unwrap_or_default();
            checked.row(
                format!("sheet {:?}, row {n}", sheet.name),
                &c,
                &cell,
                &column,
            );
        }
        return finish(path, checked);
    }
    // Streamed, and refusals never quote a line: it holds names and numbers.
    let limits = Limits {
        quote: false,
        ..LIMITS
    };
    let (text, delimiter, _) = open(path, cols.encoding.as_deref(), limits)?;
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(false)
        .from_reader(text);
    let headers = headers(&mut rdr, path)?;
    let c = Columns::find(&headers, cols, path)?;
    let mut checked = Checked::default();
    let column = |i: usize| headers[i].clone();
    for (i, rec) in rdr.records().enumerate() {
        let row = i + 1;
        let rec = match rec {
            Ok(r) => r,
            Err(e) if matches!(e.kind(), csv::ErrorKind::Io(_)) => {
                return Err(csv_error(path, e, "unreadable"));
            }
            Err(e) => {
                checked.problems.push(format!("row {row}: {e}"));
                continue;
            }
        };
        let cell = |c: usize| rec.get(c).map(str::trim).unwrap_or("").to_string();
        checked.row(format!("row {row}"), &c, &cell, &column);
    }
    finish(path, checked)
}

/// The residents, or an error listing the bad rows (nothing is stored then).
fn finish(path: &Path, checked: Checked) -> Result<Vec<Resident>> {
    let Checked { out, problems, .. } = checked;
    if !problems.is_empty() {
        let total = out.len() + problems.len();
        let mut msg = format!(
            "{} of {total} rows are invalid; nothing was imported:",
            problems.len()
        );
        for p in problems.iter().take(20) {
            msg.push_str("\n  ");
            msg.push_str(p);
        }
        if problems.len() > 20 {
            msg.push_str(&format!("\n  ... and {} more", problems.len() - 20));
        }
        return Err(Error::format(path, msg));
    }
    if out.is_empty() {
        return Err(Error::format(path, "has no resident rows"));
    }
    Ok(out)
}

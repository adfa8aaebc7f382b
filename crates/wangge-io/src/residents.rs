//! Reading a household register (CSV, UTF-8 or GBK) into residents: each row names an address
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
}

// Long: one streaming reader: header mapping, then each row's fields checked with the row named
// (never quoted: personal data).
/// Reads and checks a register. Errors name the file and every bad row (1-based data rows).
pub fn read_residents(path: &Path, cols: &ResidentColumns) -> Result<Vec<Resident>> {
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
    let address = need(
        column(&headers, cols.address.as_deref(), ADDRESS, path)?,
        "address key",
        "--address-field",
    )?;
    let name = need(
        column(&headers, cols.name.as_deref(), NAME, path)?,
        "name",
        "--name-field",
    )?;
    let phone = column(&headers, cols.phone.as_deref(), PHONE, path)?;
    let id_number = column(&headers, cols.id_number.as_deref(), ID_NUMBER, path)?;
    let unit = column(&headers, cols.unit.as_deref(), UNIT, path)?;
    let mut out = Vec::new();
    let mut problems = Vec::new();
    let mut seen_ids = std::collections::HashMap::new();
    for (i, rec) in rdr.records().enumerate() {
        let row = i + 1;
        let rec = match rec {
            Ok(r) => r,
            Err(e) if matches!(e.kind(), csv::ErrorKind::Io(_)) => {
                return Err(csv_error(path, e, "unreadable"));
            }
            Err(e) => {
                problems.push(format!("row {row}: {e}"));
                continue;
            }
        };
        let cell = |c: usize| rec.get(c).map(str::trim).unwrap_or("");
        let key = cell(address).to_string();
        let mut bad = Vec::new();
        if key.is_empty() {
            bad.push("no address key".to_string());
        }
        let who = cell(name).to_string();
        if who.is_empty() {
            bad.push("no name".to_string());
        }
        let phone = match phone.map(cell).filter(|p| !p.is_empty()) {
            None => None,
            Some(p) => check_phone(p)
                .map_err(|e| bad.push(format!("phone: {e}")))
                .ok(),
        };
        let id = match id_number.map(cell).filter(|p| !p.is_empty()) {
            None => None,
            Some(p) => match check_id_number(p) {
                Ok(id) => {
                    if let Some(first) = seen_ids.insert(id.clone(), row) {
                        bad.push(format!("ID number also on row {first}"));
                    }
                    Some(id)
                }
                Err(e) => {
                    bad.push(format!("ID number: {e}"));
                    None
                }
            },
        };
        if bad.is_empty() {
            out.push(Resident {
                address_key: key,
                name: who,
                phone,
                id_number: id,
                unit: unit.map(cell).filter(|u| !u.is_empty()).map(str::to_string),
            });
        } else {
            // The row is named by its address, never by the personal fields.
            problems.push(format!("row {row} (address {key:?}): {}", bad.join("; ")));
        }
    }
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

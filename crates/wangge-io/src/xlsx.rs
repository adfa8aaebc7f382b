//! Excel workbooks (.xlsx), as street offices keep their registers and want their tables.
//!
//! Written by rust_xlsxwriter: typed cells (numbers as numbers, times as Excel dates in local
//! time +08:00, text as text), a bold header row that stays in view (frozen) with a filter.
//! Read by calamine: the first sheet or a named one; the header row is the first of the first
//! 20 rows with two or more cells that all hold text; each data row comes with its row number
//! as Excel shows it (1-based) and its cells as text (whole numbers without a decimal point,
//! dates as `YYYY-MM-DD HH:MM:SS` local time), so every reader's own checks apply unchanged.

use crate::{Error, Result};
use calamine::{Data, Reader};
use std::path::Path;
use wangge_core::Timestamp;

/// A cell to write.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Number(f64),
    /// A count (written as a number; a CSV of the same table writes it without decimals).
    Count(u64),
    /// Written as an Excel date and time, local (+08:00).
    Time(Timestamp),
    Empty,
}

impl From<&str> for Cell {
    fn from(s: &str) -> Self {
        Self::Text(s.to_string())
    }
}

impl From<String> for Cell {
    fn from(s: String) -> Self {
        Self::Text(s)
    }
}

impl From<Option<String>> for Cell {
    fn from(s: Option<String>) -> Self {
        s.map_or(Self::Empty, Self::Text)
    }
}

impl From<u64> for Cell {
    fn from(n: u64) -> Self {
        Self::Count(n)
    }
}

impl From<Option<f64>> for Cell {
    fn from(n: Option<f64>) -> Self {
        n.map_or(Self::Empty, Self::Number)
    }
}

/// Whether a path names a spreadsheet this module reads.
pub fn is_workbook(path: &Path) -> bool {
    path.extension()
        .map(|e| e.to_string_lossy().to_lowercase())
        .is_some_and(|e| matches!(e.as_str(), "xlsx" | "xlsm" | "xls" | "ods"))
}

/// Writes one sheet: the header row, then `rows`.
pub fn write_table(path: &Path, sheet: &str, header: &[&str], rows: &[Vec<Cell>]) -> Result<()> {
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
    let bad = |e: rust_xlsxwriter::XlsxError| Error::format(path, format!("cannot write: {e}"));
    let mut book = Workbook::new();
    if header.is_empty() || header.len() > 16_384 || rows.len() >= 1_048_576 {
        return Err(Error::usage(
            path,
            format!(
                "an Excel sheet holds 1 to 16,384 columns and 1,048,575 rows, not {} and {}: export .csv or .gpkg",
                header.len(),
                rows.len()
            ),
        ));
    }
    let ws = book.add_worksheet();
    ws.set_name(sheet).map_err(bad)?;
    let bold = Format::new().set_bold();
    let when = Format::new().set_num_format("yyyy-mm-dd hh:mm:ss");
    for (c, h) in header.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *h, &bold)
            .map_err(bad)?;
        ws.set_column_width(c as u16, (h.chars().count() as f64 * 2.0).clamp(10.0, 40.0))
            .map_err(bad)?;
    }
    for (r, row) in rows.iter().enumerate() {
        let r = u32::try_from(r + 1).map_err(|_| Error::format(path, "too many rows"))?;
        for (c, cell) in row.iter().enumerate() {
            let c = c as u16;
            match cell {
                Cell::Text(s) => {
                    ws.write_string(r, c, s).map_err(bad)?;
                }
                Cell::Number(n) if n.is_finite() => {
                    ws.write_number(r, c, *n).map_err(bad)?;
                }
                Cell::Count(n) => {
                    ws.write_number(r, c, *n as f64).map_err(bad)?;
                }
                Cell::Number(_) | Cell::Empty => {}
                Cell::Time(t) => {
                    let local = ExcelDateTime::from_timestamp(t.unix() + 8 * 3600).map_err(bad)?;
                    ws.write_datetime_with_format(r, c, &local, &when)
                        .map_err(bad)?;
                }
            }
        }
    }
    ws.set_freeze_panes(1, 0).map_err(bad)?;
    if !header.is_empty() {
        ws.autofilter(0, 0, rows.len() as u32, header.len() as u16 - 1)
            .map_err(bad)?;
    }
    book.save(path).map_err(bad)
}

/// A sheet as read: its name, the header row's number, the headers, and each data row
/// (number as Excel shows it, cells as text).
#[derive(Debug, Clone, PartialEq)]
pub struct Sheet {
    pub name: String,
    pub header_row: u32,
    pub headers: Vec<String>,
    pub rows: Vec<(u32, Vec<String>)>,
}

/// The column letters of a 0-based column (`A`, `B`, ..., `Z`, `AA`).
pub fn column_letters(mut c: usize) -> String {
    let mut s = Vec::new();
    loop {
        s.push(b'A' + (c % 26) as u8);
        if c < 26 {
            break;
        }
        c = c / 26 - 1;
    }
    s.reverse();
    String::from_utf8(s).unwrap_or_default()
}

/// A cell as text.
fn text(d: &Data) -> std::result::Result<String, String> {
    Ok(match d {
        Data::Empty => String::new(),
        Data::String(s) => s.trim().to_string(),
        Data::Int(i) => i.to_string(),
        // Excel keeps 15 significant digits: an ID number or a 16-digit component code typed
        // as a number has already lost its last digits (and a wrong number may pass a check).
        Data::Float(f) if f.abs() >= 1e15 => {
            return Err("holds a number of 16 or more digits, which Excel cannot keep exactly (its last digits are lost): format the column as text and enter it again".into());
        }
        Data::Float(f) if f.fract() == 0.0 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(t) => {
            let (y, mo, d, h, mi, s, _) = t.to_ymd_hms_milli();
            format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}")
        }
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Error(e) => return Err(format!("holds the Excel error {e}")),
    })
}

/// Reads a sheet (the first, or `name`).
pub fn read_sheet(path: &Path, name: Option<&str>) -> Result<Sheet> {
    let mut book = calamine::open_workbook_auto(path)
        .map_err(|e| Error::format(path, format!("not a readable workbook: {e}")))?;
    let names = book.sheet_names();
    let sheet = match name {
        Some(n) => names.iter().find(|s| *s == n).cloned().ok_or_else(|| {
            Error::usage(
                path,
                format!("no sheet {n:?}; sheets are {}", names.join(", ")),
            )
        })?,
        None => names
            .first()
            .cloned()
            .ok_or_else(|| Error::format(path, "has no sheet"))?,
    };
    let range = book
        .worksheet_range(&sheet)
        .map_err(|e| Error::format(path, format!("sheet {sheet:?}: {e}")))?;
    let (first_row, first_col) = range.start().unwrap_or((0, 0));
    let width = range.width();
    let mut rows: Vec<(u32, Vec<String>)> = Vec::new();
    for (i, r) in range.rows().enumerate() {
        let number = first_row + i as u32 + 1;
        // Cells left of the used range are empty columns A.. before it.
        let mut cells = vec![String::new(); first_col as usize];
        for (c, d) in r.iter().enumerate() {
            cells.push(text(d).map_err(|m| {
                Error::format(
                    path,
                    format!(
                        "sheet {sheet:?}, row {number}, column {}: {m}",
                        column_letters(first_col as usize + c)
                    ),
                )
            })?);
        }
        cells.resize(first_col as usize + width, String::new());
        rows.push((number, cells));
    }
    let is_header = |cells: &[String]| {
        let filled: Vec<&String> = cells.iter().filter(|c| !c.is_empty()).collect();
        filled.len() >= 2 && filled.iter().all(|c| c.parse::<f64>().is_err())
    };
    let Some(h) = rows.iter().take(20).position(|(_, c)| is_header(c)) else {
        return Err(Error::format(
            path,
            format!(
                "sheet {sheet:?}: no header row (a row of two or more column names) in its first 20 rows"
            ),
        ));
    };
    let (header_row, headers) = rows[h].clone();
    let data = rows
        .into_iter()
        .skip(h + 1)
        .filter(|(_, c)| c.iter().any(|v| !v.is_empty()))
        .collect();
    Ok(Sheet {
        name: sheet,
        header_row,
        headers,
        rows: data,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_letters_count_like_excel() {
        assert_eq!(column_letters(0), "A");
        assert_eq!(column_letters(25), "Z");
        assert_eq!(column_letters(26), "AA");
        assert_eq!(column_letters(27), "AB");
        assert_eq!(column_letters(701), "ZZ");
        assert_eq!(column_letters(702), "AAA");
    }

    #[test]
    fn a_written_table_reads_back_with_its_header_found() {
        let dir = tempfile::tempdir().expect("tmp");
        let p = dir.path().join("t.xlsx");
        let t = Timestamp::parse("2026-11-02 08:30", 8 * 3600).expect("time");
        write_table(
            &p,
            "网格",
            &["grid", "households", "when"],
            &[
                vec!["G1".into(), Cell::Number(120.0), Cell::Time(t)],
                vec!["G2".into(), Cell::Number(0.5), Cell::Empty],
            ],
        )
        .expect("write");
        let s = read_sheet(&p, None).expect("read");
        assert_eq!(s.name, "网格");
        assert_eq!(s.header_row, 1);
        assert_eq!(s.headers, ["grid", "households", "when"]);
        assert_eq!(
            s.rows,
            vec![
                (
                    2,
                    vec!["G1".into(), "120".into(), "2026-11-02 08:30:00".into()]
                ),
                (3, vec!["G2".into(), "0.5".into(), String::new()]),
            ]
        );
        assert!(read_sheet(&p, Some("nope")).is_err());
    }
}

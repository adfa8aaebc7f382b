//! A register kept in Excel (.xlsx, .xls, .ods): the first sheet or `--sheet`, its header row
//! found (`crate::xlsx::read_sheet`), longitude/latitude or WKT columns as in a CSV. A
//! feature's number is its row in the sheet, as Excel shows it, so a refusal names the row a
//! street office can go to.

use super::csv_file::Geom;
use super::{RawFile, ReadOptions, Value};
use crate::Result;
use std::collections::BTreeMap;
use std::path::Path;

pub(super) fn read(path: &Path, opts: &ReadOptions) -> Result<RawFile> {
    let sheet = crate::xlsx::read_sheet(path, opts.sheet.as_deref())?;
    let geometry = Geom::find(&sheet.headers, opts, path)?;
    let mut file = RawFile {
        fields: sheet.headers.clone(),
        ..RawFile::default()
    };
    for (row, cells) in &sheet.rows {
        file.total += 1;
        let props: BTreeMap<String, Value> = sheet
            .headers
            .iter()
            .zip(cells)
            .map(|(h, v)| {
                let value = if v.is_empty() {
                    Value::Null
                } else {
                    Value::Text(v.clone())
                };
                (h.clone(), value)
            })
            .collect();
        let id = ["id", "ID", "code"]
            .iter()
            .find_map(|k| props.get(*k).and_then(Value::as_text));
        let cell = |i: usize| cells.get(i).map_or("", String::as_str);
        file.push(*row as usize, id, props, geometry.read(&cell));
    }
    Ok(file)
}

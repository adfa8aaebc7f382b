//! Excel in and out, checked with openpyxl (an independent reader and writer): a per-grid
//! table, a case list and a KPI table export with typed cells, a frozen header and a filter,
//! and read back with the same values as the CSV exports; registers (residents, components)
//! import from workbooks, and a bad row is refused naming the sheet, the row and the column.

use crate::util::{project, wangge};
use std::path::Path;

fn openpyxl_read(file: &Path) -> serde_json::Value {
    let out = std::process::Command::new("python3")
        .arg(project("tests/scripts/xlsx_read.py"))
        .arg(file)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("json")
}

fn openpyxl_write(file: &Path, spec: serde_json::Value) {
    use std::io::Write;
    let mut child = std::process::Command::new("python3")
        .arg(project("tests/scripts/xlsx_write.py"))
        .arg(file)
        .stdin(std::process::Stdio::piped())
        .spawn()
        .expect("python3 runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(spec.to_string().as_bytes())
        .expect("write");
    assert!(child.wait().expect("wait").success());
}

fn csv_rows(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let text = std::fs::read_to_string(path).expect("csv");
    let mut r = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let header = r
        .headers()
        .expect("header")
        .iter()
        .map(str::to_string)
        .collect();
    let rows = r
        .records()
        .map(|x| x.expect("row").iter().map(str::to_string).collect())
        .collect();
    (header, rows)
}

#[test]
fn per_grid_tables_case_lists_and_kpi_tables_export_as_typed_workbooks() {
    let dir = tempfile::tempdir().expect("tmp");
    let ws = crate::util::demo_workspace(dir.path(), 6);
    let mut tables = Vec::new();
    for (i, be) in crate::util::each_backend(dir.path(), &ws, "excel_export")
        .iter()
        .enumerate()
    {
        let d = dir.path().join(format!("b{i}"));
        std::fs::create_dir(&d).expect("dir");
        typed_workbooks_on(&d, be.arg());
        // The same tables from either backend, byte for byte.
        let csv = ["g.csv", "i.csv", "k.csv"].map(|f| std::fs::read(d.join(f)).expect(f));
        tables.push(csv);
    }
    assert!(
        tables.iter().all(|t| *t == tables[0]),
        "the backends' tables differ"
    );
}

// Long: three exports, each read back by openpyxl and compared with its CSV column by column.
fn typed_workbooks_on(d: &Path, ws: &str) {
    for args in [
        &["export", ws, "--layer", "grids", "-o", "g.xlsx"][..],
        &["export", ws, "--layer", "grids", "-o", "g.csv"],
        &["export", ws, "--layer", "incidents", "-o", "i.xlsx"],
        &["export", ws, "--layer", "incidents", "-o", "i.csv"],
    ] {
        let (ok, out) = wangge(args, d);
        assert!(ok, "{args:?}: {out}");
    }
    // The per-grid table: the CSV's columns but the geometry, the same values, numbers as numbers.
    let x = openpyxl_read(&d.join("g.xlsx"));
    assert_eq!(x["sheets"], serde_json::json!(["grids"]));
    assert_eq!(x["freeze"], "A2");
    assert!(
        x["filter"].as_str().is_some_and(|f| f.starts_with("A1:")),
        "{}",
        x["filter"]
    );
    let (header, rows) = csv_rows(&d.join("g.csv"));
    let kept: Vec<&String> = header.iter().filter(|h| *h != "wkt").collect();
    let xh: Vec<String> = x["header"]
        .as_array()
        .expect("header")
        .iter()
        .map(|v| v.as_str().expect("text").to_string())
        .collect();
    assert_eq!(xh.iter().collect::<Vec<_>>(), kept);
    let xrows = x["rows"].as_array().expect("rows");
    assert_eq!(xrows.len(), rows.len());
    assert!(rows.len() > 10);
    for (xr, cr) in xrows.iter().zip(&rows) {
        let cr: Vec<&String> = header
            .iter()
            .zip(cr)
            .filter(|(h, _)| *h != "wkt")
            .map(|(_, v)| v)
            .collect();
        for ((name, cell), want) in xh.iter().zip(xr.as_array().expect("row")).zip(cr) {
            let (v, ty) = (&cell[0], cell[1].as_str().expect("type"));
            match name.as_str() {
                "households" | "workers" | "plan_id" => {
                    assert_eq!(ty, "int", "{name}");
                    assert_eq!(v.as_i64().expect("int").to_string(), *want, "{name}");
                }
                "area_m2" | "polsby_popper" | "reock" => {
                    assert!(ty == "float" || ty == "int", "{name}: {ty}");
                    let got = v.as_f64().expect("number");
                    let csv: f64 = want.parse().expect("csv number");
                    assert!(
                        (got - csv).abs() <= 1e-9 * csv.abs().max(1.0),
                        "{name}: {got} {csv}"
                    );
                }
                "key" | "code" | "community" => {
                    assert_eq!(ty, "str", "{name}");
                    assert_eq!(v.as_str().expect("text"), want, "{name}");
                }
                _ => {}
            }
        }
    }
    // The case list: times as Excel dates in local time (+08:00), the CSV's in UTC.
    let x = openpyxl_read(&d.join("i.xlsx"));
    let (header, rows) = csv_rows(&d.join("i.csv"));
    let xh: Vec<&str> = x["header"]
        .as_array()
        .expect("header")
        .iter()
        .map(|v| v.as_str().expect("text"))
        .collect();
    let t = xh.iter().position(|h| *h == "time").expect("time column");
    let ct = header.iter().position(|h| h == "time").expect("csv time");
    for (xr, cr) in x["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .zip(&rows)
        .take(50)
    {
        let cell = &xr[t];
        assert_eq!(cell[1], "datetime");
        let utc = wangge_core::Timestamp::parse(&cr[ct], 0).expect("csv time");
        let local = wangge_core::Timestamp::parse(cell[0].as_str().expect("iso"), 8 * 3600)
            .expect("xlsx time");
        assert_eq!(local, utc);
    }
    // The KPI table: rates as fractions, as numbers, equal to the CSV's to its 4 decimals.
    let (ok, out) = wangge(
        &[
            "report",
            "kpi",
            ws,
            "--month",
            "2026-10",
            "--by",
            "community",
            "--csv",
            "k.csv",
            "--xlsx",
            "k.xlsx",
        ],
        d,
    );
    assert!(ok, "{out}");
    let x = openpyxl_read(&d.join("k.xlsx"));
    let (header, rows) = csv_rows(&d.join("k.csv"));
    assert_eq!(x["header"], serde_json::json!(header));
    for (xr, cr) in x["rows"].as_array().expect("rows").iter().zip(&rows) {
        for ((name, cell), want) in header.iter().zip(xr.as_array().expect("row")).zip(cr) {
            if name.ends_with("_rate") && !want.is_empty() {
                let got = cell[0].as_f64().expect("a number");
                assert_eq!(format!("{got:.4}"), *want, "{name}");
            }
            if name == "reported" {
                assert_eq!(cell[1], "int");
                assert_eq!(cell[0].as_i64().expect("int").to_string(), *want);
            }
        }
    }
}

#[test]
fn registers_in_workbooks_import_and_a_bad_row_is_refused_naming_sheet_row_and_column() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    let ws = crate::util::demo_workspace(d, 7);
    for be in crate::util::each_backend(d, &ws, "excel_registers") {
        registers_on(d, &be);
    }
}

/// [`registers_in_workbooks_import_and_a_bad_row_is_refused_naming_sheet_row_and_column`] on
/// one backend.
fn registers_on(d: &std::path::Path, be: &crate::util::Backend) {
    let ws = be.arg();
    let store = be.store();
    let keys: Vec<String> = store
        .load_places()
        .expect("places")
        .address_points
        .into_iter()
        .take(3)
        .map(|a| a.key)
        .collect();
    drop(store);
    // A register as offices keep it: a title row above the header, a phone stored as a number.
    let register = |phone: serde_json::Value| {
        serde_json::json!({
            "sheet": "居民",
            "title": "某社区居民登记表（2026年11月）",
            "rows": [
                ["地址编码", "姓名", "电话", "身份证号"],
                [keys[0], "张三", 13812345678u64, "11010519491231002X"],
                [keys[1], "李四", "", ""],
                [keys[2], "王五", phone, ""],
            ]
        })
    };
    openpyxl_write(&d.join("bad.xlsx"), register(serde_json::json!("12345")));
    let (ok, out) = wangge(&["residents", "import", ws, "bad.xlsx"], d);
    assert!(!ok, "{out}");
    assert!(
        out.contains("bad.xlsx")
            && out.contains("sheet \"居民\", row 5")
            && out.contains("column C (电话)"),
        "{out}"
    );
    assert!(
        !out.contains("王五") && !out.contains("12345"),
        "a refusal quotes a name or a number: {out}"
    );
    let store = be.store();
    assert!(store.all_residents().expect("residents").is_empty(), "{ws}");
    drop(store);
    openpyxl_write(
        &d.join("good.xlsx"),
        register(serde_json::json!(13912345678u64)),
    );
    let (ok, out) = wangge(&["residents", "import", ws, "good.xlsx"], d);
    assert!(ok, "{out}");
    let store = be.store();
    let rs = store.all_residents().expect("residents");
    assert_eq!(rs.len(), 3);
    drop(store);

    // A component register, dates as Excel dates; a bad class is refused by its row.
    let components = |class: &str| {
        serde_json::json!({
            "sheet": "部件",
            "rows": [
                ["部件编码", "lon", "lat", "部件小类", "部件状态", "巡查日期"],
                ["3201020102000001", 118.80, 32.05, "污水井盖", "完好", "=date:2026-11-02 09:30"],
                ["3201020102000002", 118.801, 32.051, class, "损坏", ""],
            ]
        })
    };
    openpyxl_write(&d.join("c-bad.xlsx"), components("独角兽"));
    let (ok, out) = wangge(
        &[
            "import",
            "--workspace",
            ws,
            "c-bad.xlsx",
            "--as",
            "components",
        ],
        d,
    );
    assert!(!ok, "{out}");
    assert!(
        out.contains("c-bad.xlsx")
            && out.contains("feature 3")
            && out.contains("unknown component class"),
        "{out}"
    );
    openpyxl_write(&d.join("c.xlsx"), components("雨水井盖"));
    let (ok, out) = wangge(
        &["import", "--workspace", ws, "c.xlsx", "--as", "components"],
        d,
    );
    assert!(ok, "{out}");
    let store = be.store();
    let c = store
        .load_places()
        .expect("places")
        .components
        .into_iter()
        .find(|c| c.key == "3201020102000001")
        .expect("imported");
    assert_eq!(c.class, "0102");
    assert_eq!(
        c.inspected,
        Some(wangge_core::Timestamp::parse("2026-11-02 09:30", 8 * 3600).expect("t"))
    );
}

//! Closed-loop KPIs and the social-condition index: a hand-checked month driven through the
//! HTTP API (reports, transitions, a rework, an extension), the index's invariants and
//! reproducibility (release, verify, a changed input caught), the report outputs, and the real
//! Taipei hotline cases.

use crate::util::{call, demo_workspace, each_backend, shared, taipei_villages, wangge};
use serde_json::{Value, json};
use wangge_io::store::prelude::*;

async fn send(st: &wangge_server::AppState, method: &str, uri: &str, body: Value) -> Value {
    let (s, b) = call(st, method, uri, "application/json", &body.to_string()).await;
    assert!(
        s.is_success(),
        "{method} {uri}: {s} {}",
        String::from_utf8_lossy(&b)
    );
    serde_json::from_slice(&b).unwrap_or(Value::Null)
}

/// On each backend (PostgreSQL counts the month in SQL, the GeoPackage in the process).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hand_checked_month_of_the_closed_loop() {
    let dir = tempfile::tempdir().expect("tmp");
    let gpkg = demo_workspace(dir.path(), 8);
    let store = wangge_io::GeoPackage::open(&gpkg).expect("open");
    let p = store.load().expect("load").address_points[0].location;
    for b in each_backend(dir.path(), &gpkg, "kpi_hand") {
        hand_checked_month(&b.ws, p).await;
    }
}

async fn hand_checked_month(ws: &std::path::Path, p: geo_types::Point<f64>) {
    // Off the runtime: the PostgreSQL client blocks.
    let st = tokio::task::block_in_place(|| {
        wangge_server::AppState::open(ws.to_path_buf(), true).expect("state")
    });
    // March 2025, before the generated history: only these five cases.
    let case = |id: &str, cat: &str, time: &str| json!({"id": id, "time": time, "category": cat, "source": "hotline", "lon": p.x(), "lat": p.y()});
    send(
        &st,
        "POST",
        "/api/incidents",
        json!([
            case("A", "noise", "2025-03-02 09:00"),
            case("B", "streetscape", "2025-03-05 09:00"),
            case("C", "noise", "2025-03-10 09:00"),
            case("D", "other", "2025-03-15 09:00"),
            case("E", "noise", "2025-03-20 09:00"),
        ]),
    )
    .await;
    let step =
        |id: &str, status: &str, at: &str| (id.to_string(), json!({"status": status, "at": at}));
    for (id, body) in [
        // A: 27 h from report to close; noise allows 2 + 24 + 24 + 24 = 74 h: on time.
        step("A", "dispatched", "2025-03-02 10:00"),
        step("A", "handled", "2025-03-02 20:00"),
        step("A", "followed_up", "2025-03-03 09:00"),
        (
            "A".to_string(),
            json!({"status": "closed", "at": "2025-03-03 12:00", "evaluation": "满意", "note": "回访满意"}),
        ),
        // B: reworked once, closed after 7 days; streetscape allows 122 h: late.
        step("B", "dispatched", "2025-03-05 12:00"),
        step("B", "handled", "2025-03-09 09:00"),
        step("B", "followed_up", "2025-03-09 12:00"),
        step("B", "dispatched", "2025-03-10 09:00"),
        step("B", "handled", "2025-03-11 09:00"),
        step("B", "followed_up", "2025-03-11 12:00"),
        step("B", "closed", "2025-03-12 09:00"),
        // C: 78 h, over 74, but extended by 48 h: on time.
        step("C", "dispatched", "2025-03-10 10:00"),
        step("C", "handled", "2025-03-13 09:00"),
        step("C", "followed_up", "2025-03-13 12:00"),
        step("C", "closed", "2025-03-13 15:00"),
        // E: dispatched only; at the month's end it is far past its handling deadline.
        step("E", "dispatched", "2025-03-20 10:00"),
    ] {
        if id == "C" && body["status"] == "closed" {
            send(
                &st,
                "PATCH",
                "/api/incidents/C",
                json!({"extend_hours": 48, "reason": "待业主配合", "at": "2025-03-11 09:00"}),
            )
            .await;
        }
        send(&st, "PATCH", &format!("/api/incidents/{id}"), body).await;
    }
    // Evaluations: B dissatisfied; C basically, then satisfied (the latest counts); an open
    // case (E) cannot be evaluated.
    for (id, e) in [
        ("B", "dissatisfied"),
        ("C", "basically_satisfied"),
        ("C", "satisfied"),
    ] {
        send(
            &st,
            "PATCH",
            &format!("/api/incidents/{id}"),
            json!({"evaluation": e, "note": "电话回访", "at": "2025-03-25 10:00"}),
        )
        .await;
    }
    let (s, b) = call(
        &st,
        "PATCH",
        "/api/incidents/E",
        "application/json",
        &json!({"evaluation": "satisfied"}).to_string(),
    )
    .await;
    assert_eq!(s.as_u16(), 409, "{}", String::from_utf8_lossy(&b));
    // A closed incident cannot be extended.
    let (s, b) = call(
        &st,
        "PATCH",
        "/api/incidents/A",
        "application/json",
        &json!({"extend_hours": 5}).to_string(),
    )
    .await;
    assert_eq!(s.as_u16(), 409, "{}", String::from_utf8_lossy(&b));

    let k = send(
        &st,
        "GET",
        "/api/kpi?month=2025-03&by=district",
        Value::Null,
    )
    .await;
    let r = &k["rows"][0];
    assert_eq!(
        [
            r["reported"].clone(),
            r["filed"].clone(),
            r["dispatched"].clone(),
            r["closed"].clone(),
            r["closed_on_time"].clone(),
            r["reworked"].clone(),
            r["extended"].clone(),
            r["overdue"].clone()
        ],
        [
            json!(5),
            json!(4),
            json!(4),
            json!(3),
            json!(2),
            json!(1),
            json!(1),
            json!(1)
        ],
        "{k}"
    );
    assert_eq!(
        [
            r["satisfied"].clone(),
            r["basically_satisfied"].clone(),
            r["dissatisfied"].clone()
        ],
        [json!(2), json!(0), json!(1)],
        "{k}"
    );
    let rate = |k: &str| r[k].as_f64().expect(k);
    assert!((rate("satisfaction_rate") - 2.0 / 3.0).abs() < 1e-12);
    assert!((rate("filed_rate") - 0.8).abs() < 1e-12);
    assert!((rate("closure_rate") - 0.75).abs() < 1e-12);
    assert!((rate("on_time_rate") - 2.0 / 3.0).abs() < 1e-12);
    assert!((rate("rework_rate") - 1.0 / 3.0).abs() < 1e-12);
    assert!((rate("extension_rate") - 0.25).abs() < 1e-12);
    // Handling: A 10 h, B 24 h (from the rework's dispatch), C 71 h: median 24 h.
    assert_eq!(r["median_hours"]["handle"].as_f64(), Some(24.0), "{k}");
    // By community: the one community holds the same counts.
    let c = send(
        &st,
        "GET",
        "/api/kpi?month=2025-03&by=community",
        Value::Null,
    )
    .await;
    assert_eq!(c["rows"].as_array().map(Vec::len), Some(1), "{c}");
    assert_eq!(c["rows"][0]["closed_on_time"], 2);
    // Steps as of an earlier moment: on 2025-03-04 only A was closed.
    let early = send(
        &st,
        "GET",
        "/api/kpi?month=2025-03&asof=2025-03-04",
        Value::Null,
    )
    .await;
    assert_eq!(early["rows"][0]["closed"], 1, "{early}");
    // The trend has a row per month, this one last.
    let t = send(
        &st,
        "GET",
        "/api/kpi/trend?month=2025-03&months=6",
        Value::Null,
    )
    .await;
    assert_eq!(t["months"].as_array().map(Vec::len), Some(6));
    assert_eq!(t["months"][5]["closed"], 3);
    let (s, _) = call(&st, "GET", "/api/kpi?month=2027-13", "", "").await;
    assert_eq!(s.as_u16(), 400);
}

#[test]
fn the_index_is_reproducible_and_a_changed_input_is_caught() {
    let dir = tempfile::tempdir().expect("tmp");
    let ws = demo_workspace(dir.path(), 9);
    let mut seen = Vec::new();
    for (i, be) in each_backend(dir.path(), &ws, "index_release")
        .iter()
        .enumerate()
    {
        let d = dir.path().join(format!("b{i}"));
        std::fs::create_dir(&d).expect("dir");
        seen.push(index_released_and_verified_on(&d, be));
    }
    // The same inputs, the same fingerprint and the same published table on either backend.
    assert!(seen.iter().all(|x| *x == seen[0]), "the backends differ");
}

/// The index of October on `be`, twice, then released, verified and changed; returns its
/// inputs' fingerprint and its CSV.
// Long: one story of a release, each step checked.
fn index_released_and_verified_on(
    d: &std::path::Path,
    be: &crate::util::Backend,
) -> (String, String) {
    let w = be.arg();
    let run = |args: &[&str]| {
        let (ok, out) = wangge(args, d);
        assert!(ok, "{out}");
        out
    };
    let a = run(&["report", "index", w, "--month", "2026-10", "--csv", "i.csv"]);
    let b = run(&["report", "index", w, "--month", "2026-10"]);
    assert_eq!(
        a.lines()
            .take_while(|l| !l.starts_with("wrote"))
            .collect::<Vec<_>>(),
        b.lines().collect::<Vec<_>>()
    );
    // Household-weighted, every category's score averages 100 over the areas.
    let store = be.store();
    let households = store
        .area_households(wangge_core::kpi::Level::Community)
        .expect("hh");
    let p = wangge_core::kpi::IndexParams::builtin();
    let idx = wangge_core::kpi::social_index(
        &store.kpi_cases().expect("cases"),
        &households,
        "2026-10",
        wangge_core::kpi::Level::Community,
        &p,
    );
    for (k, c) in p.categories.iter().enumerate() {
        let (mut sum, mut h) = (0.0, 0.0);
        for r in &idx.rows {
            if let Some(s) = r.category_scores[k] {
                sum += s * r.households as f64;
                h += r.households as f64;
            }
        }
        assert!((sum / h - 100.0).abs() < 1e-9, "{}: {}", c.code, sum / h);
    }
    // The CSV is for Excel and publishes no count under the minimum.
    let csv = std::fs::read_to_string(d.join("i.csv")).expect("csv");
    assert!(csv.starts_with('\u{feff}'));
    assert_eq!(csv.lines().count(), idx.rows.len() + 1);
    for line in csv.lines().skip(1) {
        for cell in line.split(',').skip(10) {
            assert!(
                cell == "<3" || cell.parse::<u64>().is_ok_and(|n| n == 0 || n >= 3),
                "{line}"
            );
        }
    }
    // Release, verify; then one more October incident: verify names the change.
    let out = run(&["report", "index", w, "--month", "2026-10", "--release"]);
    assert!(out.contains("released as 1"), "{out}");
    let out = run(&["report", "verify", w, "1"]);
    assert!(out.contains("verified"), "{out}");
    assert!(out.contains(&idx.inputs_sha256), "{out}");
    std::fs::write(
        d.join("one.csv"),
        format!(
            "id,time,category,lon,lat\nX1,2026-10-15 10:00,噪声扰民,{},{}\n",
            store.load().expect("load").address_points[0].location.x(),
            store.load().expect("load").address_points[0].location.y()
        ),
    )
    .expect("csv");
    run(&[
        "import",
        "one.csv",
        "--workspace",
        w,
        "--as",
        "incidents",
        "--source",
        "petition",
    ]);
    let (ok, out) = wangge(&["report", "verify", w, "1"], d);
    assert!(!ok && out.contains("the inputs changed"), "{out}");
    let out = run(&["report", "releases", w]);
    assert!(out.contains("2026-10"), "{out}");
    (idx.inputs_sha256, csv)
}

#[test]
fn kpi_charts_csv_and_the_monthly_report_page() {
    let dir = tempfile::tempdir().expect("tmp");
    let ws = demo_workspace(dir.path(), 10);
    let mut tables = Vec::new();
    for (i, be) in each_backend(dir.path(), &ws, "kpi_pages")
        .iter()
        .enumerate()
    {
        let d = dir.path().join(format!("b{i}"));
        std::fs::create_dir(&d).expect("dir");
        tables.push(charts_and_page_on(&d, be.arg()));
    }
    assert!(
        tables.iter().all(|t| *t == tables[0]),
        "the backends' tables differ"
    );
}

/// The KPI table with charts and the monthly page from `w`, and refusals of bad options;
/// returns the table's CSV.
// Long: the table, two charts, the page, then two refusals.
fn charts_and_page_on(d: &std::path::Path, w: &str) -> String {
    let (ok, out) = wangge(
        &[
            "report",
            "kpi",
            w,
            "--month",
            "2026-10",
            "--by",
            "community",
            "--csv",
            "k.csv",
            "--charts",
            "charts",
        ],
        d,
    );
    assert!(ok, "{out}");
    let csv = std::fs::read_to_string(d.join("k.csv")).expect("csv");
    assert!(csv.starts_with("\u{feff}area,name,reported"));
    let rows = csv.lines().count() - 1;
    assert!(rows >= 2, "{csv}");
    for png in ["kpi-ranking-2026-10.png", "kpi-trend-2026-10.png"] {
        let img = image::open(d.join("charts").join(png))
            .expect(png)
            .to_rgb8();
        let coloured = img
            .pixels()
            .filter(|p| u16::from(p.0[2]) > u16::from(p.0[0]) + 60)
            .count();
        assert!(coloured > 1000, "{png}: bars drawn");
    }
    let (ok, out) = wangge(
        &["report", "monthly", w, "--month", "2026-10", "-o", "r.html"],
        d,
    );
    assert!(ok, "{out}");
    let html = std::fs::read_to_string(d.join("r.html")).expect("html");
    for part in [
        "社情月报",
        "按期结案率",
        "社情指数",
        "results sha256",
        "data:image/png;base64,",
    ] {
        assert!(html.contains(part), "{part}");
    }
    assert_eq!(
        html.matches("data:image/png;base64,").count(),
        3,
        "ranking, trend, map"
    );
    let (ok, out) = wangge(&["report", "kpi", w, "--month", "2026-1"], d);
    assert!(!ok && out.contains("YYYY-MM"), "{out}");
    std::fs::write(d.join("bad.toml"), "[default]\ndispatch = 2\n").expect("toml");
    let (ok, out) = wangge(
        &[
            "report", "kpi", w, "--month", "2026-10", "--limits", "bad.toml",
        ],
        d,
    );
    assert!(
        !ok && out.contains("bad.toml") && out.contains("every step"),
        "{out}"
    );
    csv
}

#[test]
fn the_taipei_hotline_cases_give_kpis_and_an_index_per_village() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    taipei_villages(d);
    let (grid, cases) = (
        shared("taipei/population-grid.geojson")
            .display()
            .to_string(),
        shared("taipei/hotline-cases.geojson").display().to_string(),
    );
    for args in [
        &[
            "import",
            "--workspace",
            "t.gpkg",
            &grid,
            "--as",
            "addresses",
            "--persons-field",
            "pop_live",
        ][..],
        &[
            "import",
            "--workspace",
            "t.gpkg",
            &cases,
            "--as",
            "incidents",
            "--source",
            "hotline",
        ][..],
    ] {
        let (ok, out) = wangge(args, d);
        assert!(ok, "{out}");
    }
    let store = wangge_io::GeoPackage::open(d.join("t.gpkg")).expect("open");
    let all = store.kpi_cases().expect("cases");
    let in_may = |c: &&wangge_core::kpi::Case| wangge_core::kpi::month_of(c.time) == "2023-05";
    let limits = wangge_core::kpi::TimeLimits::builtin();
    let end = wangge_core::kpi::month_range("2023-06").expect("month").0;
    let district = wangge_core::kpi::kpis(
        &all,
        "2023-05",
        wangge_core::kpi::Level::District,
        &limits,
        end,
    );
    assert_eq!(
        district[0].reported as usize,
        all.iter().filter(in_may).count()
    );
    let villages_rows = wangge_core::kpi::kpis(
        &all,
        "2023-05",
        wangge_core::kpi::Level::Community,
        &limits,
        end,
    );
    let placed = all
        .iter()
        .filter(in_may)
        .filter(|c| c.community.is_some())
        .count();
    assert_eq!(
        villages_rows
            .iter()
            .map(|r| r.reported as usize)
            .sum::<usize>(),
        placed
    );
    assert!(
        placed * 10 > district[0].reported as usize * 9,
        "most cases fall in a village"
    );
    let streets = wangge_core::kpi::kpis(
        &all,
        "2023-05",
        wangge_core::kpi::Level::Street,
        &limits,
        end,
    );
    assert_eq!(
        streets.iter().map(|r| r.reported as usize).sum::<usize>(),
        placed
    );
    assert!(streets.len() >= 10, "Taipei's districts: {}", streets.len());
    // Hotline cases only: the index is the hotline score, 100 on household-weighted average.
    let mut outs = Vec::new();
    for be in each_backend(d, &d.join("t.gpkg"), "kpi_taipei_index") {
        let (ok, out) = wangge(
            &[
                "report",
                "index",
                be.arg(),
                "--month",
                "2023-05",
                "--by",
                "street",
                "--csv",
                "s.csv",
            ],
            d,
        );
        assert!(ok, "{}: {out}", be.arg());
        let csv = std::fs::read_to_string(d.join("s.csv")).expect("index csv");
        outs.push((be.is_postgres(), out, csv));
    }
    let out = outs[0].1.clone();
    let hh = store
        .area_households(wangge_core::kpi::Level::Street)
        .expect("hh");
    let run = wangge_core::kpi::social_index(
        &all,
        &hh,
        "2023-05",
        wangge_core::kpi::Level::Street,
        &wangge_core::kpi::IndexParams::builtin(),
    );
    let ranked: Vec<usize> = run.rows.iter().filter_map(|r| r.rank).collect();
    assert_eq!(ranked.len(), streets.len().min(run.rows.len()), "{out}");
    let (mut sum, mut h) = (0.0, 0.0);
    for r in &run.rows {
        assert!(
            r.category_scores[0].is_none() && r.category_scores[2].is_none(),
            "no petition or 110 data"
        );
        if let Some(s) = r.category_scores[1] {
            sum += s * r.households as f64;
            h += r.households as f64;
        }
    }
    assert!((sum / h - 100.0).abs() < 1e-9, "{}", sum / h);
    for (pg, out, csv) in &outs {
        assert!(
            out.contains(&run.results_sha256),
            "the CLI prints the same digest (PostgreSQL: {pg}): {out}"
        );
        assert_eq!(csv, &outs[0].2, "the same index table (PostgreSQL: {pg})");
    }
}

/// The CLI's `report kpi` and the API's `/api/kpi` give the same figures (one use case,
/// wangge-app): every count and rate per area, for a past month and for the current one
/// (counted as of now in both), at every level; on the demo city and on the real Taipei
/// hotline cases.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_and_api_give_the_same_kpis() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    let demo = demo_workspace(d, 12);
    taipei_villages(d);
    let cases = shared("taipei/hotline-cases.geojson").display().to_string();
    let (ok, out) = wangge(
        &[
            "import",
            "--workspace",
            "t.gpkg",
            &cases,
            "--as",
            "incidents",
            "--source",
            "hotline",
        ],
        d,
    );
    assert!(ok, "{out}");
    let current = wangge_core::kpi::month_of(wangge_core::Timestamp::now());
    // Each workspace on each backend.
    let (demo, taipei) = (
        each_backend(d, &demo, "kpi_cli_demo"),
        each_backend(d, &d.join("t.gpkg"), "kpi_cli_taipei"),
    );
    let mut runs = Vec::new();
    for b in &demo {
        runs.push((
            b.ws.clone(),
            "2026-10",
            &["grid", "community", "street", "district"][..],
        ));
        runs.push((
            b.ws.clone(),
            current.as_str(),
            &["community", "district"][..],
        ));
    }
    for b in &taipei {
        runs.push((b.ws.clone(), "2023-05", &["community", "district"][..]));
    }
    let mut compared = 0;
    for (ws, month, levels) in runs {
        let st = tokio::task::block_in_place(|| {
            wangge_server::AppState::open(ws.clone(), true).expect("state")
        });
        for by in levels {
            let csv = d.join(format!("kpi-{by}.csv"));
            let (ok, out) = wangge(
                &[
                    "report",
                    "kpi",
                    ws.to_str().expect("utf-8"),
                    "--month",
                    month,
                    "--by",
                    by,
                    "--csv",
                    csv.to_str().expect("utf-8"),
                ],
                d,
            );
            assert!(ok, "{out}");
            let text = std::fs::read_to_string(&csv).expect("csv");
            let mut lines = text.trim_start_matches('\u{feff}').lines();
            let header: Vec<&str> = lines.next().expect("header").split(',').collect();
            let cli: Vec<Vec<String>> = lines
                .map(|l| l.split(',').map(str::to_string).collect())
                .collect();
            let api = send(
                &st,
                "GET",
                &format!("/api/kpi?month={month}&by={by}"),
                Value::Null,
            )
            .await;
            let rows = api["rows"].as_array().expect("rows");
            // The answer is what the generated OpenAPI schema says, field for field.
            let doc = send(&st, "GET", "/api", Value::Null).await;
            let schema = &doc["components"]["schemas"]["KpiRowAnswer"];
            let mut described: Vec<&String> = schema["properties"]
                .as_object()
                .expect("properties")
                .keys()
                .collect();
            described.sort();
            for r in rows {
                let mut fields: Vec<&String> = r.as_object().expect("row").keys().collect();
                fields.sort();
                assert_eq!(fields, described, "{r}");
            }
            assert_eq!(cli.len(), rows.len(), "{month} by {by}: {out}\n{api}");
            for (c, a) in cli.iter().zip(rows) {
                for (k, name) in header.iter().enumerate() {
                    let v = match *name {
                        "name" => continue,
                        "median_dispatch_h" => &a["median_hours"]["dispatch"],
                        "median_handle_h" => &a["median_hours"]["handle"],
                        "median_follow_up_h" => &a["median_hours"]["follow_up"],
                        "median_close_h" => &a["median_hours"]["close"],
                        n => &a[n],
                    };
                    let shown = match v {
                        Value::String(s) => s.clone(),
                        Value::Null => String::new(),
                        Value::Number(n) if n.is_f64() => {
                            format!("{:.4}", n.as_f64().expect("f64"))
                        }
                        other => other.to_string(),
                    };
                    assert_eq!(c[k], shown, "{month} by {by}, area {}: {name}", c[0]);
                    compared += 1;
                }
            }
        }
    }
    assert!(compared > 1000, "{compared} figures compared");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_area_trend_is_that_areas_kpi_row_month_by_month_within_scope() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    let ws = demo_workspace(d, 13);
    let (ok, out) = wangge(&["incidents", "assign", "w.gpkg", "--all"], d);
    assert!(ok, "{out}");
    for b in each_backend(d, &ws, "kpi_trend") {
        area_trend_within_scope(&b.ws).await;
    }
}

async fn area_trend_within_scope(ws: &std::path::Path) {
    use wangge_core::access::Role;
    let ws = ws.to_path_buf();
    // The store and the server's state opened off the runtime (the PostgreSQL client blocks).
    let store = tokio::task::block_in_place(|| {
        wangge_app::open_store(&ws, wangge_app::Access::Write).expect("open")
    });
    let streets = tokio::task::block_in_place(|| store.community_streets().expect("streets"));
    let (community, street) = streets.first().cloned().expect("a community with a street");
    let other = streets
        .iter()
        .find(|(_, s)| *s != street)
        .map(|(c, _)| c.clone());
    let token = |role: Role, scope: &str| {
        tokio::task::block_in_place(|| {
            store
                .create_token(role.as_str(), role, scope, None)
                .expect("token")
                .1
        })
    };
    let (admin, leader, office) = (
        token(Role::Admin, "*"),
        token(Role::Leader, "*"),
        token(Role::StreetOffice, &street),
    );
    let st = tokio::task::block_in_place(|| {
        wangge_server::AppState::open(ws.clone(), true).expect("state")
    });
    let get = |tok: String, uri: String| {
        let st = st.clone();
        async move {
            let (s, b) = crate::util::call_as(&st, Some(&tok), "GET", &uri, Value::Null).await;
            (
                s,
                serde_json::from_slice::<Value>(&b).unwrap_or(Value::Null),
            )
        }
    };
    // Each month of a community's trend is its row of that month's KPI table (admin).
    let (s, trend) = get(
        admin.clone(),
        format!("/api/kpi/trend?month=2026-10&months=6&by=community&area={community}"),
    )
    .await;
    assert_eq!(s, 200, "{trend}");
    assert_eq!(trend["area"], community.as_str());
    let months = trend["months"].as_array().expect("months");
    assert_eq!(months.len(), 6);
    let mut compared = 0;
    for m in months {
        let month = m["month"].as_str().expect("month");
        let (_, table) = get(
            admin.clone(),
            format!("/api/kpi?month={month}&by=community"),
        )
        .await;
        match table["rows"]
            .as_array()
            .and_then(|r| r.iter().find(|x| x["area"] == community.as_str()))
        {
            Some(row) => {
                for k in [
                    "reported",
                    "closed",
                    "closure_rate",
                    "on_time_rate",
                    "overdue",
                ] {
                    assert_eq!(m[k], row[k], "{k} of {month}: {m} vs {row}");
                }
                compared += 1;
            }
            None => assert_eq!(m["reported"], 0, "{m}"),
        }
        assert_eq!(m["suppressed"], false);
    }
    assert!(compared >= 3, "{trend}");
    // A street office: its own street's trend, not another's community.
    let (s, _) = get(
        office.clone(),
        format!("/api/kpi/trend?month=2026-10&months=3&by=street&area={street}"),
    )
    .await;
    assert_eq!(s, 200);
    if let Some(c) = other {
        let (s, _) = get(
            office.clone(),
            format!("/api/kpi/trend?month=2026-10&months=3&by=community&area={c}"),
        )
        .await;
        assert_eq!(s, 403);
    }
    // A leader: months under the floor come back suppressed, without figures (the floor set
    // between the months' counts, so some are under it and some not).
    let mut counts: Vec<u64> = months
        .iter()
        .filter_map(|m| m["reported"].as_u64())
        .filter(|n| *n > 0)
        .collect();
    counts.sort_unstable();
    let floor = counts[counts.len() / 2];
    assert!(counts[0] < floor, "{counts:?}");
    let st_floor = tokio::task::block_in_place(|| {
        wangge_server::AppState::open(ws.clone(), true)
            .expect("state")
            .with_min_count(floor as u32)
    });
    let (s, b) = crate::util::call_as(
        &st_floor,
        Some(&leader),
        "GET",
        &format!("/api/kpi/trend?month=2026-10&months=6&by=community&area={community}"),
        Value::Null,
    )
    .await;
    let t: Value = serde_json::from_slice(&b).expect("json");
    assert_eq!(s, 200, "{t}");
    for (m, full) in t["months"].as_array().expect("months").iter().zip(months) {
        let n = full["reported"].as_u64().expect("n");
        let hidden = n > 0 && n < floor;
        assert_eq!(m["suppressed"], hidden, "{m} vs {full}");
        if hidden {
            assert_eq!(m["reported"], 0, "{m}");
        } else {
            assert_eq!(m["reported"], full["reported"], "{m}");
        }
    }
    let (s, _) = get(admin, "/api/kpi/trend?by=street".to_string()).await;
    assert_eq!(s, 400);
}

/// The monthly report's tables per department and per worker: three open cases of a past
/// month assigned to one worker count for that worker (named from the register) and their
/// department, the same figures `report kpi --by worker` writes.
#[test]
fn the_monthly_report_has_tables_per_department_and_worker() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    let ws = crate::util::desk_workspace(d);
    for b in each_backend(d, &ws, "kpi_monthly") {
        monthly_tables_per_department_and_worker(d, b.arg());
    }
}

fn monthly_tables_per_department_and_worker(d: &std::path::Path, ws: &str) {
    let mut store =
        wangge_app::open_store(std::path::Path::new(ws), wangge_app::Access::Write).expect("open");
    let worker = store
        .workers()
        .expect("workers")
        .into_iter()
        .find(|w| w.grid.is_some())
        .expect("a grid worker");
    let this_month = wangge_core::kpi::month_of(wangge_core::Timestamp::now());
    let mut open: Vec<wangge_core::Incident> = store
        .load()
        .expect("load")
        .incidents
        .into_iter()
        .filter(|i| {
            i.status == wangge_core::IncidentStatus::Reported
                && i.community.is_some()
                && i.category != "other"
                && wangge_core::kpi::month_of(i.time) < this_month
        })
        .collect();
    open.sort_by_key(|i| i.time);
    let month = wangge_core::kpi::month_of(open.last().expect("an open past case").time);
    let cases: Vec<&wangge_core::Incident> = open
        .iter()
        .filter(|i| wangge_core::kpi::month_of(i.time) == month)
        .take(3)
        .collect();
    assert_eq!(cases.len(), 3, "three open cases in {month}");
    for i in &cases {
        let a = wangge_core::Assignment {
            department: worker.department.clone(),
            worker: Some(worker.id.clone()),
            hours: None,
        };
        let at = wangge_core::Timestamp::from_unix(i.time.unix() + 3600);
        store
            .assign_incident(&i.key, &a, "调度员", at)
            .expect("assign");
    }
    drop(store);
    let (ok, out) = wangge(
        &["report", "monthly", ws, "--month", &month, "-o", "r.html"],
        d,
    );
    assert!(ok, "{out}");
    let html = std::fs::read_to_string(d.join("r.html")).expect("html");
    let section = |title: &str| -> String {
        let start = html
            .find(title)
            .unwrap_or_else(|| panic!("{title} in the report"));
        let rest = &html[start..];
        rest[..rest.find("</table>").expect("table end")].to_string()
    };
    let workers = section("按人员 By worker");
    let row = format!(
        "<tr><td>{}</td><td>{}</td><td>3</td>",
        worker.id, worker.name
    );
    assert!(workers.contains(&row), "{row} in {workers}");
    assert!(
        section("按部门 By department").contains(&format!("<tr><td>{}</td>", worker.department))
    );
    // The same row from `report kpi --by worker` (one computation): reported 3, dispatched 3.
    let (ok, out) = wangge(
        &[
            "report", "kpi", ws, "--month", &month, "--by", "worker", "--csv", "w.csv",
        ],
        d,
    );
    assert!(ok, "{out}");
    let csv = std::fs::read_to_string(d.join("w.csv")).expect("csv");
    let line = csv
        .lines()
        .find(|l| l.starts_with(&format!("{},", worker.id)))
        .unwrap_or_else(|| panic!("{} in {csv}", worker.id));
    let header: Vec<&str> = csv.lines().next().expect("header").split(',').collect();
    let cells: Vec<&str> = line.split(',').collect();
    let cell = |name: &str| cells[header.iter().position(|h| *h == name).expect(name)];
    assert_eq!((cell("reported"), cell("dispatched")), ("3", "3"), "{line}");
}

/// `workers generate --history` (the demo's, run by the setup): every case dispatched and not
/// yet assigned gets an assignment at its dispatch, to its street's office by kind and, for
/// community matters, to its grid's worker; the tables per department and per worker then
/// count every dispatched case of a month; a second run finds nothing left to assign.
#[test]
fn the_demo_history_assigns_every_dispatched_case_once() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    let ws = crate::util::desk_workspace(d);
    for b in each_backend(d, &ws, "kpi_history") {
        history_assigns_every_dispatched_case_once(d, b.arg());
    }
}

fn history_assigns_every_dispatched_case_once(d: &std::path::Path, ws: &str) {
    use wangge_core::kpi::{Level, TimeLimits, kpis, month_of};
    let open = || wangge_app::open_store(std::path::Path::new(ws), wangge_app::Access::Read);
    let before = open().expect("open").kpi_cases().expect("cases");
    let due = before
        .iter()
        .filter(|c| c.steps[0].is_some() && c.department.is_none())
        .count();
    assert!(due > 100, "{due} dispatched cases");
    let (ok, out) = wangge(&["workers", "generate", ws, "--history"], d);
    assert!(ok, "{out}");
    assert!(
        out.contains(&format!("{due} dispatched cases given the assignment")),
        "{out}"
    );
    let store = open().expect("open");
    let workers = store.workers().expect("workers");
    let cases = store.kpi_cases().expect("cases");
    for c in &cases {
        assert_eq!(c.steps[0].is_some(), c.department.is_some(), "{c:?}");
        if c.category == "noise" && c.street.is_some() && c.steps[0].is_some() {
            let grid_worker = workers
                .iter()
                .find(|w| w.grid.is_some() && w.grid == c.grid)
                .map(|w| w.id.clone());
            assert_eq!(c.worker, grid_worker, "{c:?}");
            assert!(
                c.department.as_deref().is_some_and(|x| x.ends_with("SQ")),
                "{c:?}"
            );
        }
    }
    // The month with the most dispatched cases: its tables per department and worker count
    // each of them once (every dispatched case has a department; those with a worker, once).
    let mut per_month: std::collections::BTreeMap<String, u64> = Default::default();
    for c in cases.iter().filter(|c| c.steps[0].is_some()) {
        *per_month.entry(month_of(c.time)).or_default() += 1;
    }
    let (month, n) = per_month.iter().max_by_key(|(_, n)| **n).expect("a month");
    let limits = TimeLimits::builtin();
    let asof = wangge_core::Timestamp::now();
    let by_department = kpis(&cases, month, Level::Department, &limits, asof);
    assert_eq!(by_department.iter().map(|r| r.reported).sum::<u64>(), *n);
    let with_worker = cases
        .iter()
        .filter(|c| month_of(c.time) == *month && c.worker.is_some())
        .count() as u64;
    let by_worker = kpis(&cases, month, Level::Worker, &limits, asof);
    assert!(with_worker > 0 && by_worker.len() > 1, "{by_worker:?}");
    assert_eq!(
        by_worker.iter().map(|r| r.reported).sum::<u64>(),
        with_worker
    );
    drop(store);
    let (ok, out) = wangge(&["workers", "generate", ws, "--history"], d);
    assert!(ok, "{out}");
    assert!(out.contains("\n0 dispatched cases given"), "{out}");
}

/// A server's warmer (`wangge_app::kpi_warm`) keeps this month's tables ready: the wall's
/// levels at now and at the start of the local day counted once (and the months before at
/// their ends), requests after it count
/// nothing (and equal tables counted afresh), a new report brings them up to date instead of
/// counting the month, and a table about to run out is counted afresh ahead of its end. A
/// GeoPackage keeps no tables: the warmer does nothing there.
#[test]
fn the_warmer_keeps_this_months_tables_ready_so_requests_count_nothing() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    let ws = demo_workspace(d, 17);
    let (ok, out) = wangge(&["incidents", "assign", "w.gpkg", "--all"], d);
    assert!(ok, "{out}");
    for b in each_backend(d, &ws, "kpi_warm") {
        warmed(&b);
    }
}

// Long: one warmer's rounds, each followed by requests and the computation counts.
fn warmed(b: &crate::util::Backend) {
    use wangge_app::kpi::{local_day_start, month_kpis};
    use wangge_app::{kpi_kept, kpi_warm};
    use wangge_core::Timestamp;
    use wangge_core::kpi::{Level, TimeLimits, month_of, month_range};
    let mut store = b.store();
    let limits = TimeLimits::builtin();
    let location = store.location();
    let cases = store.kpi_cases().expect("cases");
    let newest = cases.iter().map(|c| c.time.unix()).max().expect("cases");
    let now = Timestamp::from_unix(newest + 3600);
    let later = |s: i64| Timestamp::from_unix(now.unix() + s);
    let month = month_of(now);
    let window = month_range(&month).expect("month");
    let n = kpi_warm::keep_warm(&*store, &limits, now, true).expect("warm");
    if store.incident_stamp().expect("stamp").is_none() {
        assert_eq!(n, 0, "a store without stamps keeps no tables");
        return;
    }
    let past = 3 * kpi_warm::PAST_MONTHS;
    assert_eq!(
        n,
        6 + past,
        "three levels, at now and at the day's start, and at the ends of the months before"
    );
    assert_eq!(kpi_kept::computed(&location).afresh, 6 + past as u64);
    // A past month asked for as it ended (the default) counts nothing either.
    let before = kpi_kept::computed(&location);
    let mut last = month.clone();
    for _ in 0..kpi_warm::PAST_MONTHS {
        last = wangge_core::kpi::previous_month(&last).expect("a month");
        for level in kpi_warm::WALL_LEVELS {
            let m = month_kpis(&*store, &limits, &last, level, None).expect("kpis");
            let (from, to) = month_range(&last).expect("month");
            let t = store
                .kpi_rows((from, to), level, &limits, to)
                .expect("rows")
                .expect("a table");
            assert_eq!(m.rows, t.rows, "{last} {level:?}");
        }
    }
    assert_eq!(kpi_kept::computed(&location), before, "past months kept");
    // Requests after it (an admin's at now, a leader's at the day's start) count nothing and
    // equal the tables counted afresh.
    let before = kpi_kept::computed(&location);
    let mut fresh = Vec::new();
    for level in kpi_warm::WALL_LEVELS {
        for asof in [later(30), local_day_start(now)] {
            let m = month_kpis(&*store, &limits, &month, level, Some(asof)).expect("kpis");
            fresh.push((m.rows, level, asof));
        }
    }
    assert_eq!(
        kpi_kept::computed(&location),
        before,
        "all answered from kept tables"
    );
    // The tables asked for are kept ready from now on: all held.
    assert_eq!(
        kpi_warm::keep_warm(&*store, &limits, later(5), false).expect("warm"),
        0,
        "every table held"
    );
    for (rows, level, asof) in fresh {
        let t = store
            .kpi_rows(window, level, &limits, asof)
            .expect("rows")
            .expect("a table");
        assert_eq!(rows, t.rows, "{level:?} at {asof}");
    }
    // A new report: the next round brings every table up to date, counting no month.
    let at = store.load_places().expect("places").address_points[0].location;
    let report = wangge_core::Incident::reported(
        "WARM-1".into(),
        later(60),
        "noise".into(),
        wangge_core::IncidentSource::Other,
        at,
    );
    store.add_incidents(&[report]).expect("add");
    let before = kpi_kept::computed(&location);
    assert_eq!(
        kpi_warm::keep_warm(&*store, &limits, later(90), false).expect("warm"),
        6
    );
    let after = kpi_kept::computed(&location);
    assert_eq!(after.afresh, before.afresh, "no month counted again");
    assert_eq!(after.brought_up_to_date, before.brought_up_to_date + 6);
    let m = month_kpis(&*store, &limits, &month, Level::District, Some(later(120))).expect("kpis");
    assert_eq!(
        kpi_kept::computed(&location),
        after,
        "kept after the report"
    );
    let t = store
        .kpi_rows(window, Level::District, &limits, later(120))
        .expect("rows")
        .expect("a table");
    assert_eq!(m.rows, t.rows);
    // A kept table's span ends at its until: a round within `ahead` of it counts afresh
    // (once the table is at least `ahead` old: a younger one counted again would end no later).
    let until = t
        .until
        .expect("open cases pass their limits: the span ends")
        .unix();
    let ahead = kpi_warm::AHEAD;
    let district = |at: Timestamp| {
        kpi_kept::warm(&*store, window, Level::District, &limits, at, ahead).expect("warm")
    };
    assert!(!district(later(120)), "held for ten minutes more");
    let near = Timestamp::from_unix(until - 300);
    assert!(near.unix() - later(90).unix() >= 600, "the span is an hour");
    let before = kpi_kept::computed(&location);
    assert!(district(near), "five minutes before its end");
    assert_eq!(kpi_kept::computed(&location).afresh, before.afresh + 1);
    assert!(!district(near), "the new table holds on");
}

/// Reports only read: on a workspace without a plan (Taipei's villages and hotline cases
/// imported), `report kpi` at every level of areas and `report index` leave its tables as
/// they were (no plan tables made by a read).
#[test]
fn reports_leave_a_workspace_without_a_plan_as_it_was() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    taipei_villages(d);
    let cases = shared("taipei/hotline-cases.geojson").display().to_string();
    let (ok, out) = wangge(
        &[
            "import",
            "--workspace",
            "t.gpkg",
            &cases,
            "--as",
            "incidents",
        ],
        d,
    );
    assert!(ok, "{out}");
    let tables = || {
        let g = wangge_io::GeoPackage::open(d.join("t.gpkg")).expect("open");
        wangge_io::gpkg::testing::row(
            &g,
            "SELECT group_concat(name, ' ') FROM (SELECT name FROM sqlite_master ORDER BY name)",
            &[],
        )[0]
        .text()
        .map(str::to_string)
    };
    let before = tables();
    assert!(
        before.as_deref().is_some_and(|t| !t.contains("grids")),
        "{before:?}"
    );
    for by in ["grid", "community", "street", "district"] {
        let (ok, out) = wangge(
            &["report", "kpi", "t.gpkg", "--month", "2023-05", "--by", by],
            d,
        );
        assert!(ok, "{by}: {out}");
    }
    let (ok, out) = wangge(&["report", "index", "t.gpkg", "--month", "2023-05"], d);
    assert!(ok, "{out}");
    assert_eq!(tables(), before, "a report changed the workspace's tables");
}

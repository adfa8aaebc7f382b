//! The case desk: the queue of open cases (deadlines against the limits in data/, overdue
//! first), assignments (派遣) and reassignment, supervision (督办), the register of
//! departments and workers, KPIs per department and worker; each through the API, scoped
//! by role.

use crate::util::{call_as, wangge};
use serde_json::{Value, json};
use std::collections::{BTreeSet, HashSet};

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// One story of a street office's desk, each step checked through the API, on each backend.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_desk_dispatches_reassigns_and_supervises_cases_of_its_own_street() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    let ws = crate::util::desk_workspace(d);
    for b in crate::util::each_backend(d, &ws, "desk") {
        desk_story(d, b.arg()).await;
    }
}

// Long: one story of a street office's desk, each step checked through the API.
async fn desk_story(d: &std::path::Path, ws: &str) {
    let open = || wangge_app::open_store(std::path::Path::new(ws), wangge_app::Access::Write);
    // The store and the server's state opened off the runtime (the PostgreSQL client blocks).
    let store = tokio::task::block_in_place(|| open().expect("open"));
    let communities = tokio::task::block_in_place(|| store.communities().expect("communities"));
    let streets: BTreeSet<String> = communities
        .iter()
        .filter_map(|c| c.street.clone())
        .collect();
    let street = streets.iter().next().expect("a street").clone();
    let mine: HashSet<String> = communities
        .iter()
        .filter(|c| c.street.as_deref() == Some(street.as_str()))
        .map(|c| c.key.clone())
        .collect();
    let (deps, workers) = tokio::task::block_in_place(|| {
        (
            store.departments().expect("departments"),
            store.workers().expect("workers"),
        )
    });
    drop(store);
    let office = crate::util::scoped_token_on(d, ws, "street_office", &street, "街道调度");
    let admin = crate::util::token_on(d, ws, "admin");
    let some_grid = workers
        .iter()
        .find_map(|w| w.grid.clone())
        .expect("a grid worker");
    let grid_worker = crate::util::scoped_token_on(d, ws, "grid_worker", &some_grid, "网格员");
    let st = tokio::task::block_in_place(|| {
        wangge_server::AppState::open(ws.into(), true).expect("state")
    });
    let call = |t: &str, m: &str, uri: &str, body: Value| {
        let (st, t, m, uri) = (st.clone(), t.to_string(), m.to_string(), uri.to_string());
        async move {
            let (s, b) = call_as(&st, Some(&t), &m, &uri, body).await;
            (s, text(&b))
        }
    };

    // The queue: open cases of the street only, by deadline (overdue ones first), each
    // urgency agreeing with its hours left.
    let (s, body) = call(&office, "GET", "/api/desk?limit=2000", Value::Null).await;
    assert_eq!(s, 200, "{body}");
    let q: Value = serde_json::from_str(&body).expect("json");
    let cases = q["cases"].as_array().expect("cases").clone();
    assert!(!cases.is_empty(), "no open case in {street}: {body}");
    assert_eq!(q["count"].as_u64(), Some(cases.len() as u64));
    let deadlines: Vec<&str> = cases
        .iter()
        .map(|c| c["deadline"].as_str().expect("d"))
        .collect();
    assert!(deadlines.windows(2).all(|w| w[0] <= w[1]), "{deadlines:?}");
    for c in &cases {
        assert!(mine.contains(c["community"].as_str().unwrap_or("")), "{c}");
        assert_ne!(c["status"], "closed");
        let left = c["hours_left"].as_f64().expect("hours");
        match c["urgency"].as_str().expect("urgency") {
            "overdue" => assert!(left < 0.0, "{c}"),
            "due_soon" | "on_track" => assert!(left >= 0.0, "{c}"),
            other => panic!("urgency {other}"),
        }
    }
    // The desk's overdue cases of a month agree with the KPIs' overdue count of the street
    // for that month as of the desk's moment.
    let month = wangge_core::kpi::month_of(
        wangge_core::Timestamp::parse(cases[0]["time"].as_str().expect("t"), 0).expect("time"),
    );
    let overdue_in_month = cases
        .iter()
        .filter(|c| c["urgency"] == "overdue" && c["category"] != "other")
        .filter(|c| {
            wangge_core::kpi::month_of(
                wangge_core::Timestamp::parse(c["time"].as_str().expect("t"), 0).expect("t"),
            ) == month
        })
        .count() as u64;
    assert!(
        overdue_in_month > 0,
        "the most urgent case's month has no overdue case"
    );
    let asof = q["now"].as_str().expect("now");
    let (s, body) = call(
        &office,
        "GET",
        &format!("/api/kpi?by=street&month={month}&asof={asof}"),
        Value::Null,
    )
    .await;
    assert_eq!(s, 200, "{body}");
    let k: Value = serde_json::from_str(&body).expect("json");
    let row = k["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .find(|r| r["area"] == street.as_str())
        .expect("the street's row")
        .clone();
    assert_eq!(row["overdue"].as_u64(), Some(overdue_in_month), "{row}");

    // Dispatch a reported case to the street's city management section with a time limit.
    let reported = cases
        .iter()
        .find(|c| c["status"] == "reported")
        .expect("a reported case")
        .clone();
    let id = reported["id"].as_str().expect("id").to_string();
    let uri = format!("/api/incidents/{id}");
    let section = deps
        .iter()
        .find(|x| x.street.as_deref() == Some(street.as_str()) && x.name.ends_with("城管科"))
        .expect("the street's section");
    let assign = |department: &str, worker: Option<&str>, hours: Option<f64>| json!({ "assign": { "department": department, "worker": worker, "hours": hours } });
    let (s, body) = call(
        &office,
        "PATCH",
        &uri,
        assign(&section.code, None, Some(24.0)),
    )
    .await;
    assert_eq!(s, 200, "{body}");
    assert!(body.contains(r#""status":"dispatched""#), "{body}");
    // The dispatcher's limit: to be handled 24 hours after the assignment.
    let (_, body) = call(
        &office,
        "GET",
        "/api/desk?status=dispatched&limit=2000",
        Value::Null,
    )
    .await;
    let q: Value = serde_json::from_str(&body).expect("json");
    let c = q["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .find(|c| c["id"] == id.as_str())
        .expect("the dispatched case")
        .clone();
    let t = |k: &str| {
        wangge_core::Timestamp::parse(c[k].as_str().expect(k), 0)
            .expect(k)
            .unix()
    };
    assert_eq!(t("handle_by") - t("assigned_at"), 24 * 3600, "{c}");
    // Refused, changing nothing: a limit longer than the category's, a worker of another
    // department, another street's department, an unknown department.
    let other_worker = workers
        .iter()
        .find(|w| w.department != section.code)
        .expect("another worker");
    let other_street = deps
        .iter()
        .find(|x| x.street.is_some() && x.street.as_deref() != Some(street.as_str()));
    let mut refusals = vec![
        assign(&section.code, None, Some(10_000.0)),
        assign(&section.code, Some(&other_worker.id), None),
        assign("NO-SUCH", None, None),
    ];
    if let Some(o) = other_street {
        refusals.push(assign(&o.code, None, None));
    }
    let mut codes = Vec::new();
    for r in refusals {
        let (s, body) = call(&office, "PATCH", &uri, r.clone()).await;
        assert_eq!(s, 409, "{r}: {body}");
        let p: Value = serde_json::from_str(&body).expect("problem details");
        codes.push(p["code"].as_str().unwrap_or_default().to_string());
    }
    // Each refusal has its stable code (the desk says it in the page's language).
    assert_eq!(
        codes[..3],
        ["desk.hours", "desk.worker_department", "desk.no_department"],
        "{codes:?}"
    );
    if other_street.is_some() {
        assert_eq!(codes[3], "desk.other_street");
    }
    // Reassigned to a worker of a district bureau.
    let bureau = deps.iter().find(|x| x.street.is_none()).expect("a bureau");
    let handler = workers
        .iter()
        .find(|w| w.department == bureau.code)
        .expect("a bureau's worker");
    let (s, body) = call(
        &office,
        "PATCH",
        &uri,
        assign(&bureau.code, Some(&handler.id), None),
    )
    .await;
    assert_eq!(s, 200, "{body}");
    let (s, body) = call(
        &office,
        "PATCH",
        &uri,
        json!({ "supervise": "超期未处置，请加快" }),
    )
    .await;
    assert_eq!(s, 200, "{body}");
    let (s, body) = call(&office, "PATCH", &uri, json!({ "supervise": " " })).await;
    assert_eq!(s, 400, "{body}");

    // The desk shows the latest assignment and the supervision; the worker filter finds it.
    let (s, body) = call(
        &office,
        "GET",
        &format!("/api/desk?worker={}&limit=2000", handler.id),
        Value::Null,
    )
    .await;
    assert_eq!(s, 200, "{body}");
    let q: Value = serde_json::from_str(&body).expect("json");
    let mine_now = q["cases"].as_array().expect("cases");
    assert_eq!(mine_now.len(), 1, "{body}");
    let c = &mine_now[0];
    assert_eq!(c["id"], id.as_str());
    assert_eq!(c["assignment"]["department"], bureau.code.as_str());
    assert_eq!(c["supervisions"][0]["by"], "街道调度");
    assert_eq!(c["supervisions"][0]["reason"], "超期未处置，请加快");
    let (s, body) = call(&office, "GET", &format!("{uri}/history"), Value::Null).await;
    assert_eq!(s, 200, "{body}");
    let h: Value = serde_json::from_str(&body).expect("json");
    let events: Vec<&str> = h["events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|e| e["event"].as_str().expect("event"))
        .collect();
    assert!(
        events.ends_with(&["dispatched", "assigned", "assigned", "supervised"]),
        "{events:?}"
    );

    // The case now counts for the bureau in the KPIs per department, the same from the CLI.
    let case_month = wangge_core::kpi::month_of(
        wangge_core::Timestamp::parse(reported["time"].as_str().expect("t"), 0).expect("t"),
    );
    // (The admin's view: a street office's KPI tables are as of the start of the day and
    // leave out areas with fewer reports than the count floor.)
    let now = wangge_core::Timestamp::now().to_string();
    let (s, body) = call(
        &admin,
        "GET",
        &format!("/api/kpi?by=department&month={case_month}&asof={now}"),
        Value::Null,
    )
    .await;
    assert_eq!(s, 200, "{body}");
    let k: Value = serde_json::from_str(&body).expect("json");
    let api_row = k["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .find(|r| r["area"] == bureau.code.as_str())
        .expect("the bureau's row")
        .clone();
    assert_eq!(api_row["dispatched"], 1, "{api_row}");
    let csv = d.join("dep.csv");
    let (ok, out) = wangge(
        &[
            "report",
            "kpi",
            ws,
            "--month",
            &case_month,
            "--by",
            "department",
            "--asof",
            &now,
            "--csv",
            csv.to_str().expect("utf-8"),
        ],
        d,
    );
    assert!(ok, "{out}");
    let table = std::fs::read_to_string(&csv).expect("csv");
    assert!(
        table
            .lines()
            .any(|l| l.starts_with(&format!("{},", bureau.code)) && l.contains(",1,")),
        "{table}"
    );

    // The street office's table per department holds its street's and the district's only.
    let (s, body) = call(
        &office,
        "GET",
        &format!("/api/kpi?by=department&month={case_month}"),
        Value::Null,
    )
    .await;
    assert_eq!(s, 200, "{body}");
    let k: Value = serde_json::from_str(&body).expect("json");
    for r in k["rows"].as_array().expect("rows") {
        let dep = deps
            .iter()
            .find(|x| x.code == r["area"].as_str().unwrap_or(""))
            .expect("dep");
        assert!(dep.street.as_ref().is_none_or(|s| *s == street), "{r}");
    }

    // Other roles: a grid worker neither assigns nor opens the desk; a case outside the
    // street is not found; the register shows the street's departments and the district's,
    // phones masked.
    let (s, _) = call(&grid_worker, "GET", "/api/desk", Value::Null).await;
    assert_eq!(s, 403);
    let (s, _) = call(
        &grid_worker,
        "PATCH",
        &uri,
        assign(&section.code, None, None),
    )
    .await;
    assert!(s == 403 || s == 404, "{s}");
    let (s, body) = call(&office, "GET", "/api/incidents?limit=1", Value::Null).await;
    assert_eq!(s, 200, "{body}");
    let all_open =
        tokio::task::block_in_place(|| open().expect("open").kpi_cases().expect("cases"));
    if let Some(outside) = all_open
        .iter()
        .find(|c| c.community.as_ref().is_some_and(|k| !mine.contains(k)) && c.steps[0].is_none())
    {
        let (s, body) = call(
            &office,
            "PATCH",
            &format!("/api/incidents/{}", outside.key),
            json!({ "supervise": "x" }),
        )
        .await;
        assert_eq!(s, 404, "{body}");
    }
    let (s, body) = call(&office, "GET", "/api/workers", Value::Null).await;
    assert_eq!(s, 200, "{body}");
    let w: Value = serde_json::from_str(&body).expect("json");
    for dep in w["departments"].as_array().expect("departments") {
        assert!(
            dep["street"].is_null() || dep["street"] == street.as_str(),
            "{dep}"
        );
    }
    let listed = w["workers"].as_array().expect("workers");
    assert!(!listed.is_empty());
    assert!(
        listed
            .iter()
            .all(|x| x["phone"].as_str().is_none_or(|p| p.contains('*'))),
        "{body}"
    );
}

#[test]
fn a_workers_register_in_a_workbook_with_a_bad_row_is_refused_naming_sheet_row_and_column() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    crate::util::demo_workspace(d, 3);
    let book = d.join("workers.xlsx");
    let script = format!(
        r#"
import openpyxl
wb = openpyxl.Workbook()
ws = wb.active
ws.title = "人员"
ws.append(["工号", "姓名", "部门", "电话"])
ws.append(["W1", "张三", "城管科", "13800138000"])
ws.append(["W2", "李四", "城管科", "12345"])
wb.save({:?})
"#,
        book.to_str().expect("utf-8")
    );
    let ok = std::process::Command::new("python3")
        .args(["-c", &script])
        .status()
        .expect("python3")
        .success();
    assert!(ok, "openpyxl wrote the workbook");
    for be in crate::util::each_backend(d, &d.join("w.gpkg"), "desk_workbook") {
        let (ok, out) = wangge(&["workers", "import", be.arg(), "workers.xlsx"], d);
        assert!(!ok, "{out}");
        assert!(out.contains("workers.xlsx"), "{out}");
        assert!(out.contains(r#"sheet "人员", row 3"#), "{out}");
        assert!(out.contains("column D (电话)"), "{out}");
        assert!(!out.contains("12345"), "a phone is never quoted: {out}");
        assert!(
            be.store().workers().expect("workers").is_empty(),
            "{}: nothing stored",
            be.arg()
        );
    }
}

/// A real JPEG (tests/fixtures/photo.jpg: a 24×16 picture Chromium's encoder wrote) with an
/// EXIF block holding a GPS position spliced in after its start marker, as a phone writes one;
/// and the JPEG as it was.
fn phone_jpeg() -> (Vec<u8>, Vec<u8>) {
    let plain = std::fs::read(crate::util::project("tests/fixtures/photo.jpg")).expect("fixture");
    let exif = b"Exif\0\0MM\0*\0\0\0\x08GPSLatitude 32.0583N GPSLongitude 118.7965E";
    let mut out = plain[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&((exif.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(exif);
    out.extend_from_slice(&plain[2..]);
    (out, plain)
}

async fn send(
    st: &wangge_server::AppState,
    token: &str,
    method: &str,
    uri: &str,
    content_type: &str,
    body: Vec<u8>,
) -> (u16, Vec<u8>) {
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let r = wangge_server::router(st.clone())
        .oneshot(
            axum::http::Request::builder()
                .method(method)
                .uri(uri)
                .header("content-type", content_type)
                .header("authorization", format!("Bearer {token}"))
                .body(axum::body::Body::from(body))
                .expect("request"),
        )
        .await
        .expect("response");
    let s = r.status().as_u16();
    (
        s,
        r.into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes()
            .to_vec(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn photos_are_told_by_their_bytes_lose_their_location_and_are_stored_once() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    let ws = crate::util::demo_workspace(d, 5);
    let (ok, out) = wangge(&["incidents", "assign", "w.gpkg"], d);
    assert!(ok, "{out}");
    for be in crate::util::each_backend(d, &ws, "photos") {
        photos_on(d, &be).await;
    }
}

// Long: every rule of a photo upload in turn, each answer checked.
async fn photos_on(d: &std::path::Path, be: &crate::util::Backend) {
    let (case, other_grid) = crate::util::off_runtime(|| a_case_and_another_grid(&*be.store()));
    let grid = case.grid.clone().expect("grid");
    let make =
        |scope: &str| crate::util::scoped_token_on(d, be.arg(), "grid_worker", scope, "网格员");
    let (mine, stranger) = (make(&grid), make(&other_grid));
    let st = be.state();
    let uri = format!("/api/incidents/{}/photos", case.key);
    let (photo, plain) = phone_jpeg();
    assert!(photo.windows(4).any(|w| w == b"Exif"));

    // Stored without its location: byte for byte the JPEG before the EXIF block went in.
    let (s, body) = send(&st, &mine, "POST", &uri, "image/jpeg", photo.clone()).await;
    assert_eq!(s, 201, "{}", text(&body));
    let a: Value = serde_json::from_slice(&body).expect("json");
    assert_eq!(a["n"], 1);
    assert_eq!(a["stripped"], true);
    let (s, stored) = send(&st, &mine, "GET", &format!("{uri}/1"), "", Vec::new()).await;
    assert_eq!(s, 200);
    assert!(
        !stored.windows(4).any(|w| w == b"Exif"),
        "the EXIF block stayed"
    );
    assert!(!stored.windows(11).any(|w| w == b"GPSLatitude"));
    assert_eq!(stored, plain, "the picture itself is unchanged");
    // The same photo again: nothing doubled.
    let (s, body) = send(&st, &mine, "POST", &uri, "image/jpeg", photo.clone()).await;
    assert_eq!(s, 200, "{}", text(&body));
    let again: Value = serde_json::from_slice(&body).expect("json");
    assert_eq!(
        (again["n"].clone(), again["existing"].clone()),
        (json!(1), json!(true))
    );
    // Kept on request.
    let (s, body) = send(
        &st,
        &mine,
        "POST",
        &format!("{uri}?keep_location=1"),
        "image/jpeg",
        photo.clone(),
    )
    .await;
    assert_eq!(s, 201, "{}", text(&body));
    let (_, kept) = send(&st, &mine, "GET", &format!("{uri}/2"), "", Vec::new()).await;
    assert_eq!(kept, photo);
    // A GIF named a JPEG, a cut-off JPEG, an oversize body: refused, nothing stored.
    for (body, want) in [
        (b"GIF89a\x01\x00\x01\x00".to_vec(), 415),
        (photo[..40].to_vec(), 415),
        (vec![0xFF; wangge_io::photo::MAX_PHOTO_BYTES + 10], 413),
    ] {
        let (s, answer) = send(&st, &mine, "POST", &uri, "image/jpeg", body).await;
        assert_eq!(s, want, "{}", text(&answer));
    }
    let (s, body) = send(&st, &mine, "GET", &uri, "", Vec::new()).await;
    assert_eq!(s, 200);
    let list: Value = serde_json::from_slice(&body).expect("json");
    assert_eq!(list["photos"].as_array().map(Vec::len), Some(2), "{list}");
    // Another grid's worker finds no such incident.
    for (m, u) in [
        ("GET", uri.clone()),
        ("GET", format!("{uri}/1")),
        ("POST", uri.clone()),
    ] {
        let (s, _) = send(&st, &stranger, m, &u, "image/jpeg", photo.clone()).await;
        assert_eq!(s, 404, "{m} {u}");
    }
}

/// A case in a grid and a grid other than its own, from the newest plan.
fn a_case_and_another_grid(store: &dyn wangge_io::Store) -> (wangge_core::kpi::Case, String) {
    let case = store
        .kpi_cases()
        .expect("cases")
        .into_iter()
        .find(|c| c.grid.is_some())
        .expect("a case in a grid");
    let other_grid = store
        .latest_plan()
        .expect("plan")
        .map(|p| store.plan_grids(p).expect("grids"))
        .expect("a plan")
        .into_iter()
        .map(|(g, _)| g)
        .find(|g| Some(g) != case.grid.as_ref())
        .expect("another grid");
    (case, other_grid)
}

//! Incidents over HTTP: batches in three formats, idempotent resends, whole-batch refusal,
//! filters and paging, legal and illegal transitions, community/grid assignment, heat tiles
//! that change where incidents land; Server-Sent Events within 2 s; and `kill -9` mid-ingest
//! losing nothing acknowledged and duplicating nothing.

use crate::util::{Backend, call, demo_workspace, each_backend, http, serve, wangge};
use axum::http::StatusCode;
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Write};
use std::time::{Duration, Instant};

fn js(b: &[u8]) -> Value {
    serde_json::from_slice(b).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(b)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_incident_api_ingests_queries_and_moves_incidents() {
    let dir = tempfile::tempdir().expect("tmp");
    let ws = demo_workspace(dir.path(), 3);
    for b in crate::util::each_backend(dir.path(), &ws, "incident_api") {
        incident_api(&b).await;
    }
}

// Long: one story through the incident API, each answer checked.
async fn incident_api(be: &crate::util::Backend) {
    // A spot inside a grid: an address point of the newest plan.
    let data = crate::util::off_runtime(|| be.store().load().expect("load"));
    let before = data.incidents.len();
    let spot = data.address_points[10].location;
    let state = be.state();
    let (lon, lat) = (spot.x(), spot.y());

    // A heat tile around the spot before.
    let w = wangge_tiles::mvt::world(lon, lat);
    let heat_uri = format!(
        "/heat/16/{}/{}.png?min=1&from=2030-01-01",
        (w[0] * 65536.0) as u64,
        (w[1] * 65536.0) as u64
    );
    let (s, empty_tile) = call(&state, "GET", &heat_uri, "", "").await;
    assert_eq!(s, StatusCode::OK);

    // JSON batch.
    let batch = json!([
        {"id": "T-1", "time": "2030-03-01 09:00", "category": "噪声扰民", "source": "12345", "lon": lon, "lat": lat},
        {"id": "T-2", "time": "2030-03-01 10:00", "category": "streetscape", "source": "grid", "lon": lon, "lat": lat},
        {"id": "T-3", "time": "2030-03-02 11:00", "category": "noise", "lon": lon, "lat": lat}
    ])
    .to_string();
    let (s, b) = call(&state, "POST", "/api/incidents", "application/json", &batch).await;
    assert_eq!(s, StatusCode::CREATED, "{}", String::from_utf8_lossy(&b));
    assert_eq!(js(&b)["added"], json!(["T-1", "T-2", "T-3"]));
    // Resent: nothing added twice.
    let (s, b) = call(&state, "POST", "/api/incidents", "application/json", &batch).await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(js(&b)["added"], json!([]));
    assert_eq!(js(&b)["existing"], json!(["T-1", "T-2", "T-3"]));
    // GeoJSON and CSV.
    let geo = json!({"type": "FeatureCollection", "features": [{"type": "Feature", "id": "T-4",
        "properties": {"time": "2030-03-03 08:00", "category": "路燈故障或設施損壞", "source": "hotline"},
        "geometry": {"type": "Point", "coordinates": [lon, lat]}}]})
    .to_string();
    let (s, b) = call(
        &state,
        "POST",
        "/api/incidents",
        "application/geo+json",
        &geo,
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{}", String::from_utf8_lossy(&b));
    let csv = format!(
        "id,time,category,source,lon,lat\nT-5,2030-03-04 08:00,noise,110,{lon},{lat}\nT-6,2030-03-05 08:00,noise,110,{lon},{lat}\n"
    );
    let (s, b) = call(&state, "POST", "/api/incidents", "text/csv", &csv).await;
    assert_eq!(s, StatusCode::CREATED, "{}", String::from_utf8_lossy(&b));
    assert_eq!(js(&b)["added"], json!(["T-5", "T-6"]));
    // A batch with one bad item is refused whole.
    let bad = json!([
        {"id": "T-7", "category": "noise", "lon": lon, "lat": lat},
        {"id": "T-8", "category": "ufo sighting", "lon": lon, "lat": lat}
    ])
    .to_string();
    let (s, b) = call(&state, "POST", "/api/incidents", "application/json", &bad).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let m = String::from_utf8_lossy(&b);
    assert!(
        m.contains("T-8") && m.contains("ufo sighting") && m.contains("nothing was stored"),
        "{m}"
    );
    let (s, _) = call(&state, "POST", "/api/incidents", "application/xml", "<x/>").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);

    // Queries: filters and pages.
    let (s, b) = call(
        &state,
        "GET",
        "/api/incidents?category=noise&from=2030-01-01&limit=2",
        "",
        "",
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let v = js(&b);
    assert_eq!(v["total"], 4);
    assert_eq!(v["incidents"].as_array().map(Vec::len), Some(2));
    assert_eq!(v["next_offset"], 2);
    let (_, b) = call(
        &state,
        "GET",
        "/api/incidents?category=noise&from=2030-01-01&limit=2&offset=2",
        "",
        "",
    )
    .await;
    let v = js(&b);
    let ids: Vec<&str> = v["incidents"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|i| i["id"].as_str())
        .collect();
    assert_eq!(ids, ["T-5", "T-6"]);
    assert_eq!(v["next_offset"], Value::Null);
    let (_, b) = call(
        &state,
        "GET",
        "/api/incidents?source=police_110&from=2030-03-05&to=2030-03-05",
        "",
        "",
    )
    .await;
    assert_eq!(js(&b)["total"], 1);
    let (_, b) = call(
        &state,
        "GET",
        "/api/incidents?from=2030-01-01&f=geojson",
        "",
        "",
    )
    .await;
    let v = js(&b);
    assert_eq!(v["type"], "FeatureCollection");
    assert_eq!(v["numberMatched"], 6);
    let (s, _) = call(&state, "GET", "/api/incidents?status=lost", "", "").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);

    // Assigned on ingest: the grid and community of the spot.
    let (s, b) = call(&state, "GET", "/api/incidents/T-4", "", "").await;
    assert_eq!(s, StatusCode::OK);
    let one = js(&b);
    assert_eq!(one["category"], "facilities");
    assert_eq!(one["raw_category"], "路燈故障或設施損壞");
    let grid = one["grid"].as_str().expect("a grid").to_string();
    assert!(
        grid.starts_with(one["community"].as_str().expect("a community")),
        "{one}"
    );
    let (_, b) = call(
        &state,
        "GET",
        &format!("/api/incidents?grid={grid}&from=2030-01-01"),
        "",
        "",
    )
    .await;
    assert_eq!(js(&b)["total"], 6);

    // The loop: one step at a time, on a report of the past (step times are not later than
    // the clock).
    let past = json!([{"id": "T-9", "time": "2001-03-01 09:00", "category": "noise", "lon": lon, "lat": lat}]);
    let (s, b) = call(
        &state,
        "POST",
        "/api/incidents",
        "application/json",
        &past.to_string(),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{}", String::from_utf8_lossy(&b));
    let (s, b) = call(
        &state,
        "PATCH",
        "/api/incidents/T-9",
        "application/json",
        r#"{"status": "handled"}"#,
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert!(String::from_utf8_lossy(&b).contains("allowed: dispatched"));
    // Coded by the loop's rule with the statuses named, for pages to word in their language.
    let p = js(&b);
    assert_eq!(p["code"], "incident.transition", "{p}");
    assert_eq!(
        (
            &p["params"]["incident"],
            &p["params"]["status"],
            &p["params"]["to"]
        ),
        (&json!("T-9"), &json!("reported"), &json!("handled")),
        "{p}"
    );
    let (s, b) = call(
        &state,
        "PATCH",
        "/api/incidents/T-9",
        "application/json",
        r#"{"status": "dispatched", "at": "2001-03-01 09:30"}"#,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{}", String::from_utf8_lossy(&b));
    let v = js(&b);
    assert_eq!(v["status"], "dispatched");
    assert_eq!(v["timeline"]["dispatched"], "2001-03-01T01:30:00Z");
    // Time travel: a step before the one before it, or ahead of the clock, is refused with
    // the rule named and changes nothing.
    for (at, rule) in [
        ("2001-03-01 09:10", "incident.step_order"),
        ("2000-01-01", "incident.step_order"),
        ("2099-01-01", "incident.step_in_future"),
    ] {
        let (s, b) = call(
            &state,
            "PATCH",
            "/api/incidents/T-9",
            "application/json",
            &json!({"status": "handled", "at": at}).to_string(),
        )
        .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "handled at {at}");
        assert_eq!(js(&b)["code"], rule, "handled at {at}");
    }
    // Reported in the future (2030): no step can be timed before the report, nor ahead of
    // the clock.
    let (s, b) = call(
        &state,
        "PATCH",
        "/api/incidents/T-1",
        "application/json",
        r#"{"status": "dispatched"}"#,
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(js(&b)["code"], "incident.step_order");
    let (s, _) = call(
        &state,
        "PATCH",
        "/api/incidents/NOPE",
        "application/json",
        r#"{"status": "dispatched"}"#,
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, b) = call(
        &state,
        "GET",
        "/api/incidents?status=dispatched&from=2001-03-01&to=2001-03-01",
        "",
        "",
    )
    .await;
    assert_eq!(js(&b)["total"], 1);
    let (events, now) = crate::util::off_runtime(|| {
        let store = be.store();
        (
            store.events_of(&["T-9".to_string()]).expect("events"),
            store.load().expect("load").incidents.len(),
        )
    });
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(now, before + 7);

    // The wall screen's figures and views.
    let (s, b) = call(&state, "GET", "/api/incidents/summary", "", "").await;
    assert_eq!(s, StatusCode::OK);
    let v = js(&b);
    let open_now = data
        .incidents
        .iter()
        .filter(|i| i.status != wangge_core::IncidentStatus::Closed)
        .count();
    assert_eq!(v["open"], open_now as u64 + 7, "{v}");
    assert!(
        v["today"].as_u64().unwrap_or(0) >= 6,
        "the 2030 reports count from today on: {v}"
    );
    let (s, b) = call(&state, "GET", "/api/views", "", "").await;
    assert_eq!(s, StatusCode::OK);
    let streets: std::collections::BTreeSet<_> = data
        .communities
        .iter()
        .filter_map(|c| c.street.clone())
        .collect();
    assert_eq!(
        js(&b)["views"].as_array().map(Vec::len),
        Some(streets.len() + 1)
    );

    // The heat tile over the spot now shows them (its cached copy was dropped).
    let (s, tile) = call(&state, "GET", &heat_uri, "", "").await;
    assert_eq!(s, StatusCode::OK);
    assert_ne!(
        tile, empty_tile,
        "the heat tile changed where incidents landed"
    );
}

/// Reads SSE lines until an `incident` event whose data names `id`.
fn wait_for_event(r: &mut BufReader<std::net::TcpStream>, id: &str) -> bool {
    let mut line = String::new();
    let mut kind = String::new();
    loop {
        line.clear();
        match r.read_line(&mut line) {
            Ok(0) | Err(_) => return false,
            Ok(_) => {}
        }
        if let Some(k) = line.strip_prefix("event: ") {
            kind = k.trim().to_string();
        }
        if line.starts_with("data: ") && kind == "incident" && line.contains(id) {
            return true;
        }
    }
}

#[test]
fn subscribers_hear_of_new_incidents_within_two_seconds() {
    let dir = tempfile::tempdir().expect("tmp");
    let ws = demo_workspace(dir.path(), 3);
    for be in each_backend(dir.path(), &ws, "sse") {
        subscribers_hear_on(dir.path(), &be);
    }
}

/// The SSE story on one backend: the server's own ingest, then another process's import
/// (seen through the two-second watch on a GeoPackage, LISTEN/NOTIFY on PostgreSQL).
fn subscribers_hear_on(dir: &std::path::Path, be: &Backend) {
    let server = serve(dir, be.arg(), &[]);
    let mut s = std::net::TcpStream::connect(&server.bind).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    write!(
        s,
        "GET /api/incidents/stream HTTP/1.1\r\nHost: {}\r\nAccept: text/event-stream\r\n\r\n",
        server.bind
    )
    .expect("write");
    let mut r = BufReader::new(s);
    let mut status = String::new();
    r.read_line(&mut status).expect("status line");
    assert!(status.contains(" 200 "), "{status}");
    let p = be.store().load().expect("load").address_points[0].location;
    for k in 0..3 {
        let id = format!("SSE-{k}");
        let body = json!({"id": id, "category": "noise", "lon": p.x(), "lat": p.y()}).to_string();
        let t0 = Instant::now();
        let (code, b) = http(
            &server.bind,
            "POST",
            "/api/incidents",
            "application/json",
            body.as_bytes(),
        );
        assert_eq!(code, 201, "{b}");
        assert!(wait_for_event(&mut r, &id), "no event for {id}");
        let dt = t0.elapsed();
        assert!(dt < Duration::from_secs(2), "{id} took {dt:?}");
    }
    // Incidents written by another process (a CLI import) reach subscribers too, through the
    // two-second watch.
    let csv = dir.join("more.csv");
    std::fs::write(
        &csv,
        format!(
            "id,time,category,lon,lat\nCLI-1,2026-11-20 10:00,noise,{},{}\n",
            p.x(),
            p.y()
        ),
    )
    .expect("csv");
    let t0 = Instant::now();
    let (ok, out) = wangge(
        &[
            "import",
            "--workspace",
            be.arg(),
            "more.csv",
            "--as",
            "incidents",
        ],
        dir,
    );
    assert!(ok, "{out}");
    assert!(
        wait_for_event(&mut r, "CLI-1"),
        "no event for the imported incident"
    );
    assert!(t0.elapsed() < Duration::from_secs(4), "{:?}", t0.elapsed());
}

#[test]
fn kill_9_mid_ingest_loses_nothing_acknowledged_and_duplicates_nothing() {
    let dir = tempfile::tempdir().expect("tmp");
    let ws = demo_workspace(dir.path(), 3);
    for be in each_backend(dir.path(), &ws, "kill9") {
        kill_9_on(dir.path(), &be);
    }
}

/// Batches posted to a server on `be` until it is killed with SIGKILL; then a restart and
/// the batch in flight resent.
// Long: one story, kill and restart, whose checks read the rows stored between the two.
fn kill_9_on(dir: &std::path::Path, be: &Backend) {
    let before = be.store().max_incident_fid().expect("fid");
    let p = be.store().load_places().expect("places").address_points[0].location;
    let batch = move |b: usize| -> String {
        let items: Vec<Value> = (0..50)
            .map(|i| {
                json!({"id": format!("K{b}-{i}"), "category": "noise", "time": "2026-11-01 12:00",
                            "lon": p.x() + i as f64 * 1e-5, "lat": p.y()})
            })
            .collect();
        Value::Array(items).to_string()
    };
    let mut server = serve(dir, be.arg(), &[]);
    let bind = server.bind.clone();
    let (tx, rx) = std::sync::mpsc::channel::<usize>();
    let poster = std::thread::spawn(move || {
        let mut sent = 0;
        for b in 0..100_000 {
            sent = b;
            let (code, _) = http(
                &bind,
                "POST",
                "/api/incidents",
                "application/json",
                batch(b).as_bytes(),
            );
            if code != 201 {
                break; // the server is gone
            }
            if tx.send(b).is_err() {
                break;
            }
        }
        sent
    });
    // Let some batches land, then kill the server without warning.
    let mut acked = Vec::new();
    while acked.len() < 20 {
        acked.push(
            rx.recv_timeout(Duration::from_secs(60))
                .expect("a batch acknowledged"),
        );
    }
    server.child.kill().expect("kill -9");
    server.child.wait().expect("wait");
    let last_sent = poster.join().expect("poster");
    acked.extend(rx.try_iter());
    // Every batch before the failed one was acknowledged.
    assert_eq!(acked.len(), last_sent);
    let store = be.store();
    let stored = be.int("SELECT count(*) FROM {s}.incidents WHERE key LIKE 'K%'");
    let distinct = be.int("SELECT count(DISTINCT key) FROM {s}.incidents WHERE key LIKE 'K%'");
    assert_eq!(stored, distinct, "no incident stored twice");
    for b in &acked {
        for i in 0..50 {
            assert!(
                store
                    .incident(&format!("K{b}-{i}"))
                    .expect("query")
                    .is_some(),
                "K{b}-{i} was acknowledged"
            );
        }
    }
    // Batches land whole or not at all: the one in flight is all there or absent.
    assert_eq!(stored % 50, 0, "{stored} rows: a torn batch");
    assert!(stored as usize >= acked.len() * 50);
    assert!(stored as usize <= (last_sent + 1) * 50);
    eprintln!(
        "killed after {} acknowledged batches; {} rows stored",
        acked.len(),
        stored
    );
    drop(store);
    // After a restart, resending the batch in flight adds only what was missing.
    let server = serve(dir, be.arg(), &[]);
    let (code, b) = http(
        &server.bind,
        "POST",
        "/api/incidents",
        "application/json",
        batch(last_sent).as_bytes(),
    );
    assert_eq!(code, 201, "{b}");
    let n = be.int("SELECT count(*) FROM {s}.incidents WHERE key LIKE 'K%'");
    let d = be.int("SELECT count(DISTINCT key) FROM {s}.incidents WHERE key LIKE 'K%'");
    assert_eq!(n, d);
    assert_eq!(
        n as usize,
        (last_sent + 1) * 50,
        "every batch sent is there once"
    );
    assert!(be.store().max_incident_fid().expect("fid") > before);
}

/// A change of incidents' areas rebuilds the heat index beside ingest: incidents stored
/// meanwhile (by the server or by another process) end up in it once and are announced once.
#[test]
fn a_plan_change_during_ingest_keeps_every_incident_once() {
    let dir = tempfile::tempdir().expect("tmp");
    let ws = demo_workspace(dir.path(), 5);
    for be in each_backend(dir.path(), &ws, "plan_ingest") {
        plan_change_during_ingest_on(&be);
    }
}

// Long: one story, an ingest thread and five rebuilds beside it, checked at the end.
fn plan_change_during_ingest_on(be: &Backend) {
    use wangge_core::{Incident, IncidentSource, Timestamp};
    let state = be.state();
    let live = state.live.clone().expect("live");
    let mut events = live.subscribe();
    let p = be.store().load_places().expect("places").address_points[0].location;
    let batch = move |tag: &str, b: usize| -> Vec<Incident> {
        (0..50)
            .map(|i| {
                Incident::reported(
                    format!("{tag}{b}-{i}"),
                    Timestamp::from_unix(1_790_000_000),
                    "noise".into(),
                    IncidentSource::Hotline,
                    p,
                )
            })
            .collect()
    };
    // Another process stores a batch the server has not synced yet.
    be.store()
        .add_incidents(&batch("X", 0))
        .expect("other process");
    let ingest = {
        let live = live.clone();
        std::thread::spawn(move || {
            for b in 0..20 {
                live.ingest(batch("R", b)).expect("ingest");
            }
        })
    };
    // A change with nothing new in the import log (a plan edit) keeps the index.
    assert!(live.reload_plan_soon().expect("reload").is_none());
    // `wangge incidents assign` in another process, five times: each time the server
    // rebuilds the heat index on a thread of its own, as after a change it notices.
    let mut rebuilds = Vec::new();
    for _ in 0..5 {
        be.store().reassign_incidents(true).expect("assign");
        rebuilds.extend(live.reload_plan_soon().expect("reload"));
        std::thread::sleep(Duration::from_millis(30));
    }
    assert!(!rebuilds.is_empty());
    ingest.join().expect("ingest");
    for r in rebuilds {
        r.join().expect("rebuild");
    }
    live.sync().expect("sync");
    let stored = be.store().load().expect("load").incidents.len();
    assert_eq!(live.heat.read().expect("heat").len(), stored);
    let mut announced = std::collections::HashMap::new();
    while let Ok(e) = events.try_recv() {
        if e.0 == "incident" {
            let id = js(e.1.as_bytes())["id"].as_str().expect("id").to_string();
            *announced.entry(id).or_insert(0) += 1;
        }
    }
    assert_eq!(announced.len(), 21 * 50, "every new incident announced");
    assert!(announced.values().all(|&n| n == 1), "announced once each");
}

/// An ingest that finds its rows next after the last one seen takes them from the batch, not
/// from the store: what it announces and indexes must be what the store holds, field for
/// field (categories by alias, areas assigned, a key named twice), and a batch after rows
/// another process stored is read back as before.
#[test]
fn an_ingest_announces_its_incidents_as_stored() {
    let dir = tempfile::tempdir().expect("tmp");
    let ws = demo_workspace(dir.path(), 5);
    for be in each_backend(dir.path(), &ws, "announce") {
        announced_as_stored_on(&be);
    }
}

fn announced_as_stored_on(be: &Backend) {
    use wangge_core::{Incident, IncidentSource, Timestamp};
    use wangge_server::contract::incidents::IncidentAnswer;
    let state = be.state();
    let live = state.live.clone().expect("live");
    let mut events = live.subscribe();
    let p = be.store().load_places().expect("places").address_points[0].location;
    let far = geo::Point::new(p.x() + 0.5, p.y() + 0.5);
    let batch = |tag: &str| -> Vec<Incident> {
        let mut v: Vec<Incident> = (0..30)
            .map(|i| {
                let mut inc = Incident::reported(
                    format!("{tag}-{i}"),
                    Timestamp::from_unix(1_790_000_000 + i64::from(i) * 61),
                    if i % 3 == 0 { "noise" } else { "garbage" }.into(),
                    IncidentSource::Hotline,
                    if i % 5 == 0 { far } else { p },
                );
                inc.raw_category = (i % 4 == 0).then(|| "噪音扰民".to_string());
                inc
            })
            .collect();
        v.push(v[3].clone());
        v
    };
    live.ingest(batch("A")).expect("ingest A");
    be.store()
        .add_incidents(&batch("X"))
        .expect("other process");
    live.ingest(batch("B")).expect("ingest B");
    let store = be.store();
    let mut seen = std::collections::HashSet::new();
    while let Ok(e) = events.try_recv() {
        if e.0 != "incident" {
            continue;
        }
        let got = js(e.1.as_bytes());
        let key = got["id"].as_str().expect("id").to_string();
        let (_, stored) = store.incident(&key).expect("read").expect("stored");
        // As text: the way the server writes an announcement (parsing it back would round
        // some coordinates by one unit in the last place).
        let want = serde_json::to_string(&IncidentAnswer::from(&stored)).expect("json");
        assert_eq!(e.1, want, "announced as stored: {key}");
        seen.insert(key);
    }
    assert_eq!(seen.len(), 90, "A, X and B, 30 each");
    let stored = store.load().expect("load").incidents.len();
    assert_eq!(live.heat.read().expect("heat").len(), stored);
}

/// `wangge incidents assign --all` reads the incidents a chunk at a time (50,000): with
/// 120,000 more, every one whose grid was spoilt is looked at and given its grid again, on
/// both backends alike, and on PostgreSQL PostGIS finds each in the grid it was given.
#[test]
fn reassigning_more_incidents_than_a_chunk_reaches_every_one() {
    let dir = tempfile::tempdir().expect("tmp");
    let ws = demo_workspace(dir.path(), 8);
    crate::util::add_scattered_incidents(&ws, 120_000);
    let mut per_grid = Vec::new();
    for be in each_backend(dir.path(), &ws, "reassign_chunks") {
        let total = be.int("SELECT count(*) FROM {s}.incidents");
        assert!(total > 120_000, "{total}");
        be.exec(
            "UPDATE incidents SET grid = 'SPOILT', community = NULL",
            "UPDATE {s}.incidents SET grid = 'SPOILT', community = NULL",
        );
        let (ok, out) = wangge(&["incidents", "assign", be.arg(), "--all"], dir.path());
        assert!(ok, "{out}");
        assert!(
            out.starts_with(&format!("{total} incidents looked at, {total} given")),
            "{}: {out}",
            be.arg()
        );
        let spoilt = be.int("SELECT count(*) FROM {s}.incidents WHERE grid = 'SPOILT'");
        assert_eq!(spoilt, 0, "{}", be.arg());
        let placed = be.int("SELECT count(*) FROM {s}.incidents WHERE grid IS NOT NULL");
        assert!(
            placed * 10 > total,
            "{}: {placed} of {total} in a grid",
            be.arg()
        );
        if be.is_postgres() {
            let newest = "g.plan_id = (SELECT max(id) FROM {s}.plans)";
            let elsewhere = be.int(&format!(
                "SELECT count(*) FROM {{s}}.incidents i WHERE i.grid IS NOT NULL AND NOT EXISTS
                   (SELECT 1 FROM {{s}}.grids g WHERE {newest} AND g.code = i.grid
                      AND ST_Covers(g.geom, i.geom))"
            ));
            assert_eq!(
                elsewhere, 0,
                "PostGIS: incidents outside the grid they were given"
            );
        }
        per_grid.push(be.rows(
            "SELECT grid, count(*) FROM incidents GROUP BY grid ORDER BY grid IS NULL, grid",
            "SELECT grid, count(*) FROM {s}.incidents GROUP BY grid ORDER BY grid IS NULL, grid COLLATE \"C\"",
        ));
    }
    if let [gpkg, pg] = &per_grid[..] {
        let differ: Vec<_> = gpkg
            .iter()
            .zip(pg)
            .filter(|(a, b)| a != b)
            .take(5)
            .collect();
        assert!(
            gpkg.len() == pg.len() && differ.is_empty(),
            "the backends gave other grids ({} and {} rows): {differ:?}",
            gpkg.len(),
            pg.len()
        );
    }
}

//! The PostgreSQL/PostGIS backend against a real server: runs when `WANGGE_TEST_PG` names a
//! database (`postgres://USER:PASSWORD@HOST/DB`; `scripts/test.sh` starts Debian's cluster and
//! sets it), each test in a schema of its own, dropped after. Checked with the server's own
//! catalogue, not with our code: geometry columns typed with SRID 4326, GiST indexes, incidents
//! partitioned by month, incident steps append-only, migrations applied once even by two
//! processes at once, and passwords never printed.

use crate::util::wangge;

/// The test database's URL with a fresh schema, or None when no server is configured.
pub(crate) fn test_url(name: &str) -> Option<String> {
    let base = std::env::var("WANGGE_TEST_PG").ok()?;
    let schema = format!("t_{name}_{}", std::process::id());
    Some(format!("{base}?schema={schema}"))
}

/// psql as the server's postgres user on the test database (the independent check).
fn run_psql(url: &str, sql: &str) -> std::process::Output {
    run_psql_with(url, sql, &[])
}

/// [`run_psql`] with more options (output formats).
fn run_psql_with(url: &str, sql: &str, options: &[&str]) -> std::process::Output {
    let db = url
        .rsplit('/')
        .next()
        .and_then(|d| d.split('?').next())
        .expect("database");
    std::process::Command::new("runuser")
        .args([
            "-u",
            "postgres",
            "--",
            "psql",
            "-X",
            "-A",
            "-t",
            "-v",
            "ON_ERROR_STOP=1",
        ])
        .args(options)
        .args(["-d", db, "-c", sql])
        .output()
        .expect("psql (scripts/test.sh installs PostgreSQL)")
}

/// Runs `sql` and returns its unaligned output.
pub(crate) fn psql(url: &str, sql: &str) -> String {
    let out = run_psql(url, sql);
    assert!(
        out.status.success(),
        "{sql}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// The rows `sql` gives through psql, cells as text, `None` for NULL.
pub(crate) fn psql_rows(url: &str, sql: &str) -> Vec<Vec<Option<String>>> {
    const NULL: &str = "\u{1}NULL";
    let null = format!("null={NULL}");
    let out = run_psql_with(url, sql, &["-F", "\u{1f}", "-P", &null]);
    assert!(
        out.status.success(),
        "{sql}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // One line a row (a row of one empty text is an empty line); no header or footer.
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            l.split('\u{1f}')
                .map(|c| (c != NULL).then(|| c.to_string()))
                .collect()
        })
        .collect()
}

/// Runs `sql` that the server must refuse; returns its message.
fn psql_refused(url: &str, sql: &str) -> String {
    let out = run_psql(url, sql);
    assert!(!out.status.success(), "the server took {sql}");
    String::from_utf8_lossy(&out.stderr).to_string()
}

#[test]
fn migrations_make_a_typed_indexed_partitioned_schema_once() {
    let Some(url) = test_url("migrate") else {
        eprintln!("WANGGE_TEST_PG not set: skipped");
        return;
    };
    let schema = url.rsplit("schema=").next().expect("schema").to_string();
    let dir = tempfile::tempdir().expect("tmp");
    // Two processes open the workspace at once: the migrations are applied once.
    let a = {
        let url = url.clone();
        let d = dir.path().to_path_buf();
        std::thread::spawn(move || wangge(&["db", "upgrade", &url], &d))
    };
    let (ok_b, out_b) = wangge(&["db", "upgrade", &url], dir.path());
    let (ok_a, out_a) = a.join().expect("thread");
    assert!(ok_a && ok_b, "{out_a}\n{out_b}");
    let applied = [&out_a, &out_b]
        .iter()
        .filter(|o| o.contains("applied migration 1"))
        .count();
    assert_eq!(applied, 1, "{out_a}\n{out_b}");
    for out in [&out_a, &out_b] {
        assert!(!out.contains(":wangge@") && out.contains(":****@"), "{out}");
    }
    let (ok, out) = wangge(&["db", "upgrade", &url], dir.path());
    assert!(ok && out.contains("up to date"), "{out}");
    assert_eq!(
        psql(
            &url,
            &format!("SELECT count(*) FROM {schema}.schema_migrations")
        ),
        wangge_postgis::MIGRATIONS.len().to_string()
    );
    // Geometry columns typed with SRID 4326, each with a GiST index (the server's catalogue).
    let columns = psql(
        &url,
        &format!(
            "SELECT f_table_name || ':' || type || ':' || srid FROM geometry_columns
             WHERE f_table_schema = '{schema}' AND f_table_name NOT LIKE 'incidents\\_%'
             ORDER BY 1"
        ),
    );
    for t in [
        "address_points:POINT",
        "buildings:MULTIPOLYGON",
        "communities:MULTIPOLYGON",
        "facilities:POINT",
        "grids:POLYGON",
        "incidents:POINT",
        "streets:LINESTRING",
    ] {
        assert!(columns.contains(&format!("{t}:4326")), "{t} in {columns}");
    }
    let gist = psql(
        &url,
        &format!(
            "SELECT count(DISTINCT t.relname) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
             JOIN pg_class t ON t.oid = i.indrelid JOIN pg_am a ON a.oid = c.relam
             JOIN pg_namespace n ON n.oid = t.relnamespace
             WHERE n.nspname = '{schema}' AND a.amname = 'gist'
               AND t.relname IN ('address_points','buildings','communities','facilities','grids','incidents','streets')"
        ),
    );
    assert_eq!(gist, "7", "a GiST index on every geometry table");
    // Incidents partitioned by month: a month's partition takes its rows, and the check ties
    // the month to the local (+08:00) time.
    let insert = |id: u32, time: &str| {
        format!(
            "INSERT INTO {schema}.incidents (id, key, time, month, category, source, status, geom)
             VALUES ({id}, 'k{id}', '{time}', '2026-10-01', 'noise', 'hotline', 'reported',
                     ST_SetSRID(ST_MakePoint(118.78, 32.04), 4326))"
        )
    };
    psql(
        &url,
        &format!("SELECT {schema}.incident_month('2026-10-01')"),
    );
    psql(&url, &insert(1, "2026-10-31T20:00:00+08:00"));
    assert_eq!(
        psql(
            &url,
            &format!("SELECT tableoid::regclass::text FROM {schema}.incidents")
        ),
        format!("{schema}.incidents_2026_10")
    );
    assert_eq!(
        psql(
            &url,
            &format!(
                "SELECT count(*) FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = '{schema}' AND c.relname = 'incidents'"
            )
        ),
        "1"
    );
    // 2026-10-31T20:00 UTC is November in Beijing: the check refuses October.
    psql_refused(&url, &insert(2, "2026-10-31T20:00:00Z"));
    // Steps are appended, never changed.
    psql(
        &url,
        &format!(
            "INSERT INTO {schema}.incident_steps (incident, step, at, previous, actor)
             VALUES (1, 'dispatched', now(), 'reported', 'test')"
        ),
    );
    let why = psql_refused(
        &url,
        &format!("UPDATE {schema}.incident_steps SET step = 'closed'"),
    );
    assert!(why.contains("append-only"), "{why}");
    psql(
        &url,
        &format!("DROP SCHEMA {schema}, {schema}_public CASCADE"),
    );
}

#[test]
fn a_wrong_password_is_refused_by_the_server_and_never_printed() {
    let Some(url) = test_url("login") else {
        eprintln!("WANGGE_TEST_PG not set: skipped");
        return;
    };
    let (user, rest) = url
        .strip_prefix("postgres://")
        .and_then(|r| r.split_once('@'))
        .expect("user@host");
    let user = user.split(':').next().expect("user");
    let wrong = format!("postgres://{user}:n0t-th3-pa55word@{rest}");
    let dir = tempfile::tempdir().expect("tmp");
    let (ok, out) = wangge(&["db", "status", &wrong], dir.path());
    assert!(!ok, "{out}");
    assert!(out.contains("password authentication failed"), "{out}");
    assert!(!out.contains("n0t-th3-pa55word"), "{out}");
}

/// A fresh PostgreSQL store in a schema of its own (listed for dropping), or None when no
/// server is configured.
fn pg_store(name: &str, schemas: &mut Vec<String>) -> Option<Box<dyn wangge_io::Store>> {
    let url = test_url(&format!("{name}_{}", schemas.len()))?;
    schemas.push(url.rsplit("schema=").next().expect("schema").to_string());
    Some(
        wangge_app::open_store(std::path::Path::new(&url), wangge_app::Access::Create)
            .expect("open"),
    )
}

fn drop_schemas(schemas: &[String]) {
    if let Ok(base) = std::env::var("WANGGE_TEST_PG") {
        for s in schemas {
            wangge_app::forget(std::path::Path::new(&format!("{base}?schema={s}")));
            psql(
                &base,
                &format!("DROP SCHEMA IF EXISTS {s}, {s}_public CASCADE"),
            );
        }
    }
}

/// The city the store suite runs on, when `WANGGE_TEST_PG` is set.
fn suite_city() -> Option<wangge_core::Dataset> {
    if std::env::var("WANGGE_TEST_PG").is_err() {
        eprintln!("WANGGE_TEST_PG not set: skipped");
        return None;
    }
    Some(wangge_synth::generate(
        &wangge_synth::CityParams::new(2_000, 5),
        &wangge_core::NoProgress,
    ))
}

#[test]
fn the_postgis_store_keeps_every_promise_of_the_store_interface() {
    let Some(city) = suite_city() else {
        return;
    };
    let mut schemas = Vec::new();
    let mut make = || pg_store("conf", &mut schemas).expect("configured");
    let failures = wangge_io::store::conformance::run(&mut make, &city);
    drop_schemas(&schemas);
    assert!(failures.is_empty(), "{failures:#?}");
    assert_eq!(schemas.len(), wangge_io::store::conformance::CHECKS.len());
}

/// The suite's KPI checks on a store keeping median windows of one value either side of
/// the middle: every median is read from a window sliced out of an area's durations in SQL,
/// and a table brought up to date is refused (and counted afresh) as soon as a middle leaves
/// its window; the tables must still equal `kpis` to the value.
#[test]
fn kpi_tables_from_the_smallest_median_windows_still_agree_with_kpis() {
    let Some(city) = suite_city() else {
        return;
    };
    let mut schemas = Vec::new();
    let mut failures = Vec::new();
    let checks: Vec<_> = wangge_io::store::conformance::CHECKS
        .iter()
        .filter(|(name, _)| name.starts_with("KPI"))
        .collect();
    assert!(checks.len() >= 3, "the suite's KPI checks");
    for (name, check) in checks {
        let url = test_url(&format!("windows_{}", schemas.len())).expect("configured");
        schemas.push(url.rsplit("schema=").next().expect("schema").to_string());
        let pg = wangge_postgis::PgStore::open(&wangge_postgis::PgUrl::parse(&url).expect("url"))
            .expect("open")
            .with_median_windows(1, 1);
        let mut store: Box<dyn wangge_io::Store> = Box::new(pg);
        if let Err(detail) = check(store.as_mut(), &city) {
            failures.push((name, detail));
        }
    }
    drop_schemas(&schemas);
    assert!(failures.is_empty(), "{failures:#?}");
}

/// The `digest ...` line of a command's output.
fn digest_line(out: &str) -> String {
    out.lines()
        .find(|l| l.starts_with("digest "))
        .map(|l| l.split("  ").next().unwrap_or(l).to_string())
        .unwrap_or_else(|| panic!("no digest line in {out}"))
}

/// Copies `w.gpkg` in `d` to `url` and back to `back.gpkg`: all four digests printed equal.
fn round_trip(d: &std::path::Path, url: &str) -> String {
    let (ok, out) = wangge(&["copy", "w.gpkg", url], d);
    assert!(ok, "{out}");
    assert!(!out.contains(":wangge@"), "the password shows: {out}");
    let there: Vec<String> = out
        .lines()
        .filter(|l| l.starts_with("digest "))
        .map(String::from)
        .collect();
    assert_eq!(there.len(), 2, "{out}");
    let (ok, back) = wangge(&["copy", url, "back.gpkg"], d);
    assert!(ok, "{back}");
    let d0 = digest_line(&out);
    for line in out
        .lines()
        .chain(back.lines())
        .filter(|l| l.starts_with("digest "))
    {
        assert_eq!(line.split("  ").next(), Some(d0.as_str()), "{out}\n{back}");
    }
    d0
}

#[test]
fn a_workspace_copied_to_postgresql_and_back_keeps_its_digest() {
    let Some(url) = test_url("copy") else {
        eprintln!("WANGGE_TEST_PG not set: skipped");
        return;
    };
    let schema = url.rsplit("schema=").next().expect("schema").to_string();
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    let w = crate::util::demo_workspace(d, 7);
    // History a naive copy would lose: a rework and an extension, revoked and live tokens,
    // residents, gap areas, a second plan version.
    for args in [
        &["incidents", "assign", "w.gpkg", "--all"][..],
        &[
            "token", "create", "w.gpkg", "--name", "a", "--role", "admin", "--scope", "*",
        ],
        &[
            "token", "create", "w.gpkg", "--name", "b", "--role", "leader", "--scope", "*",
        ],
        &["token", "revoke", "w.gpkg", "1"],
        &[
            "token",
            "create",
            "w.gpkg",
            "--name",
            "c",
            "--role",
            "leader",
            "--scope",
            "*",
            "--expires",
            "2031-01-01T08:00:00+08:00",
        ],
        &["gaps", "w.gpkg", "--category", "kindergarten"],
        &["partition", "w.gpkg", "--threads", "1"],
    ] {
        let (ok, out) = wangge(args, d);
        assert!(ok, "{args:?}: {out}");
    }
    {
        use wangge_io::store::prelude::*;
        let mut store = wangge_io::GeoPackage::open(&w).expect("open");
        let (_, page) = store
            .query_incidents(&wangge_io::store::IncidentQuery {
                statuses: vec![wangge_core::IncidentStatus::FollowedUp],
                limit: 1,
                ..Default::default()
            })
            .expect("query");
        let key = page.first().expect("a followed-up incident").1.key.clone();
        let now = wangge_core::Timestamp::now();
        store
            .transition_incident(&key, wangge_core::IncidentStatus::Dispatched, now)
            .expect("rework");
        store
            .extend_incident(&key, 24.0, now, "雨天")
            .expect("extend");
        let points = store.household_points().expect("points");
        assert!(!points.is_empty());
        let keys: Vec<String> = store
            .load_walking()
            .expect("load")
            .address_points
            .iter()
            .take(3)
            .map(|a| a.key.clone())
            .collect();
        let residents: Vec<wangge_io::store::Resident> = keys
            .iter()
            .enumerate()
            .map(|(i, k)| wangge_io::store::Resident {
                address_key: k.clone(),
                name: format!("张{i}"),
                phone: Some(format!("1381234{i:04}")),
                id_number: None,
                unit: None,
            })
            .collect();
        store.replace_residents(&residents).expect("residents");
        assert_eq!(
            store
                .kpi_cases()
                .expect("cases")
                .iter()
                .filter(|c| c.reworks > 0)
                .count(),
            1
        );
    }
    let digest = round_trip(d, &url);
    assert!(
        digest.contains("residents=3:")
            && digest.contains("tokens=3:")
            && !digest.contains("areas=0:"),
        "{digest}"
    );
    // The server's own count agrees (not our code reading back).
    let (ok, info) = wangge(&["info", "w.gpkg"], d);
    assert!(ok, "{info}");
    let incidents: String = info
        .lines()
        .find(|l| l.trim_start().starts_with("incidents "))
        .and_then(|l| l.split_whitespace().nth(1))
        .expect("incidents line")
        .to_string();
    assert_eq!(
        psql(&url, &format!("SELECT count(*) FROM {schema}.incidents")),
        incidents
    );
    assert_eq!(
        psql(
            &url,
            &format!("SELECT count(*) FROM {schema}.incident_steps WHERE step = 'extended'")
        ),
        "1"
    );
    // The digest sees a change of one household.
    psql(
        &url,
        &format!(
            "UPDATE {schema}.address_points SET households = households + 1
             WHERE key = (SELECT min(key) FROM {schema}.address_points)"
        ),
    );
    let (ok, changed) = wangge(&["info", &url], d);
    assert!(ok, "{changed}");
    assert_ne!(digest_line(&changed), digest, "{changed}");
    // A schema that holds a workspace is not overwritten.
    let (ok, out) = wangge(&["copy", "w.gpkg", &url], d);
    assert!(!ok && out.contains("already exists"), "{out}");
    psql(
        &url,
        &format!("DROP SCHEMA {schema}, {schema}_public CASCADE"),
    );
}

#[test]
fn nanjing_copied_to_postgresql_and_back_keeps_its_digest_and_plan() {
    let Some(url) = test_url("nanjing") else {
        eprintln!("WANGGE_TEST_PG not set: skipped");
        return;
    };
    let schema = url.rsplit("schema=").next().expect("schema").to_string();
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    let osm = crate::util::shared("osm/nanjing-xuanwu.osm");
    let osm = osm.to_str().expect("path");
    for args in [
        &["import", "--workspace", "w.gpkg", osm][..],
        &["partition", "w.gpkg", "--threads", "1"],
        &["incidents", "assign", "w.gpkg", "--all"],
    ] {
        let (ok, out) = wangge(args, d);
        assert!(ok, "{args:?}: {out}");
    }
    round_trip(d, &url);
    // The same partition on the PostgreSQL workspace gives the same grids (report files
    // compared byte for byte; reports named after the schema).
    let (ok, out) = wangge(&["partition", &url, "--threads", "1"], d);
    assert!(ok, "{out}");
    let (ok, out) = wangge(&["partition", "w.gpkg", "--threads", "1"], d);
    assert!(ok, "{out}");
    let pg = std::fs::read(d.join(format!("{schema}-plan2.grids.csv"))).expect("pg report");
    let gp = std::fs::read(d.join("w-plan2.grids.csv")).expect("gpkg report");
    assert!(pg == gp, "the grids differ between the backends");
    psql(
        &url,
        &format!("DROP SCHEMA {schema}, {schema}_public CASCADE"),
    );
}

/// Collects `incident` events of a server's stream: id → when it arrived.
fn collect_events(
    bind: &str,
) -> std::sync::Arc<std::sync::Mutex<std::collections::HashMap<String, std::time::Instant>>> {
    use std::io::{BufRead, Write};
    let seen: std::sync::Arc<
        std::sync::Mutex<std::collections::HashMap<String, std::time::Instant>>,
    > = Default::default();
    let mut s = std::net::TcpStream::connect(bind).expect("connect");
    write!(
        s,
        "GET /api/incidents/stream HTTP/1.1\r\nHost: {bind}\r\nAccept: text/event-stream\r\n\r\n"
    )
    .expect("write");
    let out = seen.clone();
    std::thread::spawn(move || {
        let mut r = std::io::BufReader::new(s);
        let (mut line, mut kind) = (String::new(), String::new());
        loop {
            line.clear();
            match r.read_line(&mut line) {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
            if let Some(k) = line.strip_prefix("event: ") {
                kind = k.trim().to_string();
            }
            if let Some(data) = line.strip_prefix("data: ")
                && kind == "incident"
                && let Ok(v) = serde_json::from_str::<serde_json::Value>(data)
                && let Some(id) = v["id"].as_str()
            {
                let mut m = out.lock().expect("lock");
                m.entry(id.to_string())
                    .or_insert_with(std::time::Instant::now);
            }
        }
    });
    seen
}

#[test]
fn two_servers_on_one_postgresql_workspace_behave_as_one() {
    use crate::util::{http, serve};
    use std::time::{Duration, Instant};
    let Some(url) = test_url("two") else {
        eprintln!("WANGGE_TEST_PG not set: skipped");
        return;
    };
    let schema = url.rsplit("schema=").next().expect("schema").to_string();
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    for args in [
        &[
            "generate",
            "--households",
            "6000",
            "--seed",
            "5",
            "--workspace",
            &url,
        ][..],
        &["partition", &url, "--threads", "1"],
    ] {
        let (ok, out) = wangge(args, d);
        assert!(ok, "{args:?}: {out}");
    }
    let (lon, lat): (f64, f64) = {
        let xy = psql(
            &url,
            &format!(
                "SELECT ST_X(geom) || ',' || ST_Y(geom) FROM {schema}.address_points ORDER BY key LIMIT 1"
            ),
        );
        let (x, y) = xy.split_once(',').expect("x,y");
        (x.parse().expect("lon"), y.parse().expect("lat"))
    };
    let a = serve(d, &url, &[]);
    let b = serve(d, &url, &[]);
    let events = collect_events(&b.bind);
    std::thread::sleep(Duration::from_millis(300));

    // Ingest on A in batches of 20; A is killed -9 after its fifth acknowledged batch.
    let pid = a.child.id();
    let acked_batches = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let seen = acked_batches.clone();
    let killer = std::thread::spawn(move || {
        let start = Instant::now();
        while seen.load(std::sync::atomic::Ordering::SeqCst) < 5
            && start.elapsed() < Duration::from_secs(120)
        {
            std::thread::sleep(Duration::from_millis(2));
        }
        std::thread::sleep(Duration::from_millis(15));
        let _ = std::process::Command::new("kill")
            .args(["-9", &pid.to_string()])
            .status();
    });
    let mut acknowledged: Vec<(String, Instant)> = Vec::new();
    for n in 0..400 {
        let batch: Vec<serde_json::Value> = (0..20)
            .map(|k| serde_json::json!({"id": format!("TWO-{n}-{k}"), "category": "noise", "lon": lon, "lat": lat}))
            .collect();
        let body = serde_json::Value::Array(batch).to_string();
        let (s, out) = http(
            &a.bind,
            "POST",
            "/api/incidents",
            "application/json",
            body.as_bytes(),
        );
        if s != 201 {
            assert!(n >= 5, "A failed before the kill: {s} {out}");
            break;
        }
        let at = Instant::now();
        acknowledged.extend((0..20).map(|k| (format!("TWO-{n}-{k}"), at)));
        acked_batches.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }
    killer.join().expect("killer");
    assert!(
        acknowledged.len() >= 100,
        "{} acknowledged",
        acknowledged.len()
    );
    // Every acknowledged incident is stored once (the server's count, not ours).
    let dupes = psql(
        &url,
        &format!(
            "SELECT count(*) FROM (SELECT key FROM {schema}.incidents WHERE key LIKE 'TWO-%' GROUP BY key HAVING count(*) > 1) x"
        ),
    );
    assert_eq!(dupes, "0");
    let stored: std::collections::HashSet<String> = psql(
        &url,
        &format!("SELECT key FROM {schema}.incidents WHERE key LIKE 'TWO-%'"),
    )
    .lines()
    .map(String::from)
    .collect();
    for (id, _) in &acknowledged {
        assert!(
            stored.contains(id),
            "{id} was acknowledged and is not stored"
        );
    }
    // B's stream delivered each acknowledged incident within two seconds of its answer.
    std::thread::sleep(Duration::from_secs(3));
    let got = events.lock().expect("lock").clone();
    // (Signed: B often announces an incident before A's answer reaches the client.)
    let mut slowest_ms = f64::NEG_INFINITY;
    for (id, acked) in &acknowledged {
        let at = got
            .get(id)
            .unwrap_or_else(|| panic!("B's stream never delivered {id}"));
        let ms = if at >= acked {
            at.duration_since(*acked).as_secs_f64() * 1e3
        } else {
            -acked.duration_since(*at).as_secs_f64() * 1e3
        };
        slowest_ms = slowest_ms.max(ms);
    }
    assert!(
        slowest_ms < 2000.0,
        "slowest delivery {slowest_ms:.0} ms after the answer"
    );
    eprintln!(
        "{} incidents acknowledged by A before its kill; latest delivery on B {slowest_ms:.1} ms after A's answer",
        acknowledged.len()
    );

    // Concurrent edits of one version on two servers: one is saved, the other is stale.
    let c = serve(d, &url, &[]);
    let (s, plans) = http(&b.bind, "GET", "/api/plans", "", b"");
    assert_eq!(s, 200, "{plans}");
    let plans: serde_json::Value = serde_json::from_str(&plans).expect("json");
    let plan = plans["plans"]
        .as_array()
        .and_then(|p| p.last())
        .and_then(|p| p["id"].as_i64())
        .expect("plan");
    let (s, grids) = http(&b.bind, "GET", &format!("/api/plans/{plan}/grids"), "", b"");
    assert_eq!(s, 200);
    let grids: serde_json::Value = serde_json::from_str(&grids).expect("json");
    let codes: Vec<String> = grids["features"]
        .as_array()
        .expect("features")
        .iter()
        .filter(|f| f["properties"]["households"].as_u64().unwrap_or(0) >= 20)
        .filter_map(|f| f["properties"]["code"].as_str().map(String::from))
        .take(2)
        .collect();
    assert_eq!(codes.len(), 2);
    let edit = |bind: String, code: String| {
        std::thread::spawn(move || {
            let body = format!("{{\"op\":\"split\",\"grid\":\"{code}\"}}");
            http(
                &bind,
                "POST",
                &format!("/api/plans/{plan}/edits"),
                "application/json",
                body.as_bytes(),
            )
        })
    };
    let (x, y) = (
        edit(b.bind.clone(), codes[0].clone()),
        edit(c.bind.clone(), codes[1].clone()),
    );
    let (x, y) = (x.join().expect("b"), y.join().expect("c"));
    let mut statuses = [x.0, y.0];
    statuses.sort_unstable();
    assert_eq!(
        statuses,
        [201, 409],
        "b: {} {}\nc: {} {}",
        x.0,
        x.1,
        y.0,
        y.1
    );
    kpi_follows_the_other_server(&b.bind, &c.bind, (lon, lat));
    heat_follows_the_other_servers_steps(&b.bind, &c.bind, (lon, lat));
    drop((b, c));
    psql(
        &url,
        &format!("DROP SCHEMA {schema}, {schema}_public CASCADE"),
    );
}

/// A KPI table kept by one server (`wangge_app::kpi_kept`) follows what another one writes,
/// at the next request: a new report (the kept table brought up to date), its dispatch (the
/// month counted anew); each answer equals the other server's fresh one.
fn kpi_follows_the_other_server(reader: &str, writer: &str, (lon, lat): (f64, f64)) {
    use crate::util::http;
    let district = |bind: &str| -> serde_json::Value {
        let (s, out) = http(bind, "GET", "/api/kpi?by=district", "", b"");
        assert_eq!(s, 200, "{out}");
        let v: serde_json::Value = serde_json::from_str(&out).expect("json");
        v["rows"][0].clone()
    };
    let before = district(reader);
    assert_eq!(before, district(reader), "kept: the same answer");
    let report =
        serde_json::json!([{"id": "KPI-KEPT-1", "category": "noise", "lon": lon, "lat": lat}]);
    let (s, out) = http(
        writer,
        "POST",
        "/api/incidents",
        "application/json",
        report.to_string().as_bytes(),
    );
    assert_eq!(s, 201, "{out}");
    let after = district(reader);
    assert_eq!(
        after["reported"].as_u64(),
        before["reported"].as_u64().map(|n| n + 1),
        "{after}"
    );
    assert_eq!(after, district(writer));
    let (s, out) = http(
        writer,
        "PATCH",
        "/api/incidents/KPI-KEPT-1",
        "application/json",
        br#"{"status": "dispatched"}"#,
    );
    assert_eq!(s, 200, "{out}");
    let dispatched = district(reader);
    assert_eq!(
        dispatched["dispatched"].as_u64(),
        after["dispatched"].as_u64().map(|n| n + 1),
        "{dispatched}"
    );
    assert_eq!(dispatched, district(writer));
}

/// Steps taken on `writer` show in `reader`'s heat tiles filtered by status within two
/// seconds (the change log's statuses, announced by the feed): six identical reports of a
/// day of their own, three dispatched (both servers' tiles then agree), then the others: they
/// leave the `reported` tile and enter the `dispatched` one.
fn heat_follows_the_other_servers_steps(reader: &str, writer: &str, (lon, lat): (f64, f64)) {
    use crate::util::{http, http_bytes};
    use std::time::{Duration, Instant};
    let w = wangge_tiles::mvt::world(lon, lat);
    let tile = |bind: &str, status: &str| -> Vec<u8> {
        let (s, png) = http_bytes(
            bind,
            &format!(
                "/heat/16/{}/{}.png?min=1&from=2001-03-01&to=2001-03-01&status={status}",
                (w[0] * 65536.0) as u64,
                (w[1] * 65536.0) as u64
            ),
        );
        assert_eq!(s, 200);
        png
    };
    let empty = tile(reader, "closed");
    let keys: Vec<String> = (0..6).map(|k| format!("HEAT-STEP-{k}")).collect();
    let report: Vec<serde_json::Value> = keys
        .iter()
        .map(|k| serde_json::json!({"id": k, "time": "2001-03-01 10:00", "category": "noise", "lon": lon, "lat": lat}))
        .collect();
    let (s, out) = http(
        writer,
        "POST",
        "/api/incidents",
        "application/json",
        serde_json::Value::Array(report).to_string().as_bytes(),
    );
    assert_eq!(s, 201, "{out}");
    let until = |what: &str, ok: &dyn Fn() -> bool| {
        let start = Instant::now();
        while !ok() {
            assert!(
                start.elapsed() < Duration::from_secs(2),
                "{what}: not within 2 s"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    };
    until("the reports on the reader", &|| {
        tile(reader, "reported") != empty
    });
    let reported = tile(reader, "reported");
    assert_eq!(tile(reader, "dispatched"), empty);
    // Three of the six identical reports dispatched on the writer: both servers show three
    // dispatched and three reported (the writer passes over its own steps when it follows
    // the log; replayed, they would move three twins too). A pixel shows from three.
    let dispatch = |k: &String| {
        let (s, out) = http(
            writer,
            "PATCH",
            &format!("/api/incidents/{k}"),
            "application/json",
            br#"{"status": "dispatched"}"#,
        );
        assert_eq!(s, 200, "{out}");
    };
    keys[..3].iter().for_each(dispatch);
    until("three dispatches on the reader", &|| {
        tile(reader, "dispatched") != empty
    });
    std::thread::sleep(Duration::from_millis(600));
    for status in ["reported", "dispatched"] {
        assert_eq!(
            tile(writer, status),
            tile(reader, status),
            "{status}: the writer's tile and the reader's"
        );
    }
    assert_ne!(tile(reader, "reported"), empty, "three still reported");
    for k in &keys[3..] {
        let (s, out) = http(
            writer,
            "PATCH",
            &format!("/api/incidents/{k}"),
            "application/json",
            br#"{"status": "dispatched"}"#,
        );
        assert_eq!(s, 200, "{out}");
    }
    until("the dispatches on the reader", &|| {
        tile(reader, "reported") == empty && tile(reader, "dispatched") == reported
    });
}

#[test]
fn a_reader_role_opens_the_public_views_in_gdal_and_nothing_private() {
    let Some(url) = test_url("public") else {
        eprintln!("WANGGE_TEST_PG not set: skipped");
        return;
    };
    let schema = url.rsplit("schema=").next().expect("schema").to_string();
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    for args in [
        &[
            "generate",
            "--households",
            "6000",
            "--seed",
            "9",
            "--workspace",
            &url,
        ][..],
        &["partition", &url, "--threads", "1"],
        &["incidents", "assign", &url, "--all"],
        &["gaps", &url, "--category", "kindergarten"],
    ] {
        let (ok, out) = wangge(args, d);
        assert!(ok, "{args:?}: {out}");
    }
    let role = format!("{schema}_gis");
    psql(&url, &format!("DROP ROLE IF EXISTS {role}"));
    psql(&url, &format!("CREATE ROLE {role} LOGIN PASSWORD 'gis-pw'"));
    let (ok, out) = wangge(&["db", "grant", &url, &role], d);
    assert!(ok, "{out}");
    let (host, db) = {
        let rest = url.split_once('@').expect("@").1;
        let (host, tail) = rest.split_once('/').expect("/");
        (
            host.to_string(),
            tail.split('?').next().expect("db").to_string(),
        )
    };
    let (h, port) = host.split_once(':').unwrap_or((&host, "5432"));
    // GDAL (not our code) lists and counts the views as the reader.
    let ogr = std::process::Command::new("ogrinfo")
        .args([
            "-ro",
            "-so",
            "-al",
            &format!(
                "PG:host={h} port={port} dbname={db} user={role} password=gis-pw schemas={schema}_public"
            ),
        ])
        .output()
        .expect("ogrinfo (scripts/install-deps.sh installs gdal-bin)");
    let text = String::from_utf8_lossy(&ogr.stdout).to_string();
    assert!(
        ogr.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&ogr.stderr)
    );
    let count = |layer: &str| -> u64 {
        let at = text
            .find(&format!("Layer name: {layer}\n"))
            .unwrap_or_else(|| panic!("no layer {layer} in {text}"));
        text[at..]
            .lines()
            .find_map(|l| l.strip_prefix("Feature Count: "))
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or_else(|| panic!("no count for {layer}"))
    };
    let grids: u64 = psql(
        &url,
        &format!(
            "SELECT count(*) FROM {schema}.grids WHERE plan_id = (SELECT max(id) FROM {schema}.plans)"
        ),
    )
    .parse()
    .expect("n");
    assert_eq!(count("grids"), grids);
    let communities: u64 = psql(&url, &format!("SELECT count(*) FROM {schema}.communities"))
        .parse()
        .expect("n");
    assert_eq!(count("communities"), communities);
    assert!(count("facilities") > 0 && count("gap_areas") > 0);
    assert!(count("incident_counts") > 0, "{text}");
    assert!(
        text.contains("Geometry: Polygon") || text.contains("Geometry: Multi Polygon"),
        "{text}"
    );
    // As the reader: the private tables are refused by the server, and no count under 3 shows.
    let as_reader = |sql: &str| {
        std::process::Command::new("psql")
            .args([
                "-X",
                "-A",
                "-t",
                "-v",
                "ON_ERROR_STOP=1",
                &format!("postgresql://{role}:gis-pw@{h}:{port}/{db}"),
                "-c",
                sql,
            ])
            .output()
            .expect("psql")
    };
    for table in [
        "residents",
        "address_points",
        "incidents",
        "incident_keys",
        "tokens",
        "audit_log",
        "grids",
    ] {
        let out = as_reader(&format!("SELECT count(*) FROM {schema}.{table}"));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            !out.status.success() && err.contains("permission denied"),
            "{table}: {err}"
        );
    }
    let out = as_reader(&format!(
        "SELECT min(incidents) >= 3 AND (SELECT min(households) FROM {schema}_public.grids) >= 3
         FROM {schema}_public.incident_counts"
    ));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "t",
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    psql(
        &url,
        &format!("DROP SCHEMA {schema}, {schema}_public CASCADE"),
    );
    psql(&url, &format!("DROP ROLE {role}"));
}

/// A z14 tile over a point.
fn tile14(lon: f64, lat: f64) -> (u32, u32) {
    let n = 2f64.powi(14);
    let x = ((lon + 180.0) / 360.0 * n) as u32;
    let r = lat.to_radians();
    let y = ((1.0 - (r.tan() + 1.0 / r.cos()).ln() / std::f64::consts::PI) / 2.0 * n) as u32;
    (x, y)
}

#[test]
fn the_same_workspace_answers_the_same_on_both_backends() {
    use crate::util::{http, serve};
    let Some(url) = test_url("same") else {
        eprintln!("WANGGE_TEST_PG not set: skipped");
        return;
    };
    let schema = url.rsplit("schema=").next().expect("schema").to_string();
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    crate::util::demo_workspace(d, 11);
    for args in [
        &["incidents", "assign", "w.gpkg", "--all"][..],
        &["copy", "w.gpkg", &url],
    ] {
        let (ok, out) = wangge(args, d);
        assert!(ok, "{args:?}: {out}");
    }
    // The CLI's reports: the same bytes.
    for (args, what) in [
        (
            vec![
                "report",
                "kpi",
                "WS",
                "--month",
                "2026-10",
                "--by",
                "community",
            ],
            "kpi",
        ),
        (
            vec![
                "report",
                "index",
                "WS",
                "--month",
                "2026-10",
                "--by",
                "community",
            ],
            "index",
        ),
        (vec!["plan", "list", "WS"], "plans"),
    ] {
        let run = |ws: &str| {
            let a: Vec<&str> = args
                .iter()
                .map(|x| if *x == "WS" { ws } else { x })
                .collect();
            let (ok, out) = wangge(&a, d);
            assert!(ok, "{a:?}: {out}");
            out
        };
        assert_eq!(run("w.gpkg"), run(&url), "{what}");
    }
    let (ok, a) = wangge(&["coverage", "w.gpkg", "--report", "a.csv"], d);
    assert!(ok, "{a}");
    let (ok, b) = wangge(&["coverage", &url, "--report", "b.csv"], d);
    assert!(ok, "{b}");
    assert!(
        std::fs::read(d.join("a.csv")).expect("a") == std::fs::read(d.join("b.csv")).expect("b"),
        "coverage reports differ"
    );

    // The API of a server on each: the same answers, before and after the same changes.
    let g = serve(d, "w.gpkg", &[]);
    let p = serve(d, &url, &[]);
    let plan = {
        let (_, plans) = http(&g.bind, "GET", "/api/plans", "", b"");
        let v: serde_json::Value = serde_json::from_str(&plans).expect("json");
        v["plans"]
            .as_array()
            .and_then(|p| p.last())
            .and_then(|p| p["id"].as_i64())
            .expect("plan")
    };
    let (lon, lat): (f64, f64) = {
        let xy = psql(
            &url,
            &format!(
                "SELECT ST_X(geom) || ',' || ST_Y(geom) FROM {schema}.address_points ORDER BY key LIMIT 1"
            ),
        );
        let (x, y) = xy.split_once(',').expect("x,y");
        (x.parse().expect("lon"), y.parse().expect("lat"))
    };
    let (tx, ty) = tile14(lon, lat);
    let same = |path: &str| {
        let (sa, a) = http(&g.bind, "GET", path, "", b"");
        let (sb, b) = http(&p.bind, "GET", path, "", b"");
        assert_eq!((sa, &a), (sb, &b), "{path}");
        assert_eq!(sa, 200, "{path}: {a}");
    };
    let reads = [
        "/api/kpi?month=2026-10&by=community".to_string(),
        "/api/kpi?month=2026-10&by=street".to_string(),
        "/api/kpi/trend?month=2026-10&months=12".to_string(),
        "/api/index?month=2026-10&by=community".to_string(),
        "/api/plans".to_string(),
        format!("/api/plans/{plan}/grids"),
        "/api/incidents?limit=50&offset=100".to_string(),
        "/api/incidents?category=noise&limit=20".to_string(),
        "/api/views".to_string(),
        "/api/reach/coverage?category=kindergarten&minutes=10".to_string(),
        "/api/reach/gaps?category=kindergarten&minutes=10".to_string(),
    ];
    for path in &reads {
        same(path);
    }
    // Vector tiles: the same bytes.
    let (sa, a) = http(
        &g.bind,
        "GET",
        &format!("/tiles/all/14/{tx}/{ty}.mvt"),
        "",
        b"",
    );
    let (sb, b) = http(
        &p.bind,
        "GET",
        &format!("/tiles/all/14/{tx}/{ty}.mvt"),
        "",
        b"",
    );
    assert_eq!((sa, a.len()), (sb, b.len()), "tile");
    // The same changes on both: new incidents, steps of the loop, an extension, a split.
    let body = serde_json::json!([
        {"id": "SAME-1", "category": "noise", "lon": lon, "lat": lat, "time": "2026-10-20T09:00:00+08:00"},
        {"id": "SAME-2", "category": "roads", "lon": lon, "lat": lat, "time": "2026-10-21T09:00:00+08:00"}
    ])
    .to_string();
    for bind in [&g.bind, &p.bind] {
        let (s, out) = http(
            bind,
            "POST",
            "/api/incidents",
            "application/json",
            body.as_bytes(),
        );
        assert_eq!(s, 201, "{out}");
        for (status, at) in [
            ("dispatched", "2026-10-20T10:00:00+08:00"),
            ("handled", "2026-10-20T15:00:00+08:00"),
        ] {
            let step = serde_json::json!({"status": status, "at": at}).to_string();
            let (s, out) = http(
                bind,
                "PATCH",
                "/api/incidents/SAME-1",
                "application/json",
                step.as_bytes(),
            );
            assert_eq!(s, 200, "{status}: {out}");
        }
        let ext = serde_json::json!({"extend_hours": 12.0, "reason": "雨天"}).to_string();
        let (s, out) = http(
            bind,
            "PATCH",
            "/api/incidents/SAME-2",
            "application/json",
            ext.as_bytes(),
        );
        assert!(s == 200 || s == 204, "extend: {s} {out}");
        // A refused step is refused on both, with the same problem.
        let bad =
            serde_json::json!({"status": "closed", "at": "2026-10-20T16:00:00+08:00"}).to_string();
        let (s, _) = http(
            bind,
            "PATCH",
            "/api/incidents/SAME-2",
            "application/json",
            bad.as_bytes(),
        );
        assert_eq!(s, 409, "closing a reported incident");
    }
    for path in [
        "/api/incidents/SAME-1",
        "/api/incidents/SAME-2",
        "/api/kpi?month=2026-10&by=community",
    ] {
        same(path);
    }
    let grids: serde_json::Value =
        serde_json::from_str(&http(&g.bind, "GET", &format!("/api/plans/{plan}/grids"), "", b"").1)
            .expect("json");
    let code = grids["features"]
        .as_array()
        .expect("features")
        .iter()
        .find(|f| f["properties"]["households"].as_u64().unwrap_or(0) >= 40)
        .and_then(|f| f["properties"]["code"].as_str())
        .expect("a grid to split")
        .to_string();
    let split = format!("{{\"op\":\"split\",\"grid\":\"{code}\"}}");
    let mut new_plans = Vec::new();
    for bind in [&g.bind, &p.bind] {
        let (s, out) = http(
            bind,
            "POST",
            &format!("/api/plans/{plan}/edits"),
            "application/json",
            split.as_bytes(),
        );
        assert_eq!(s, 201, "{out}");
        let v: serde_json::Value = serde_json::from_str(&out).expect("json");
        new_plans.push(v["plan"].as_i64().expect("plan"));
    }
    assert_eq!(new_plans[0], new_plans[1]);
    same(&format!("/api/plans/{}/grids", new_plans[0]));
    drop((g, p));
    psql(
        &url,
        &format!("DROP SCHEMA {schema}, {schema}_public CASCADE"),
    );
}

#[test]
fn a_schema_of_the_first_migration_is_upgraded_to_a_working_store() {
    let Some(url) = test_url("upgrade") else {
        eprintln!("WANGGE_TEST_PG not set: skipped");
        return;
    };
    let schema = url.rsplit("schema=").next().expect("schema").to_string();
    // A schema as the build that knew migration 1 only left it (made as the test's login).
    let v1 = wangge_postgis::MIGRATIONS[0]
        .sql
        .replace("{schema}", &schema);
    let user = url
        .strip_prefix("postgres://")
        .and_then(|r| r.split([':', '@']).next())
        .expect("user");
    psql(
        &url,
        &format!(
            "SET ROLE {user}; CREATE SCHEMA {schema}; CREATE TABLE {schema}.schema_migrations (version integer PRIMARY KEY,
             name text NOT NULL, applied timestamptz NOT NULL DEFAULT now());
             {v1}
             INSERT INTO {schema}.schema_migrations (version, name) VALUES (1, 'schema');"
        ),
    );
    let dir = tempfile::tempdir().expect("tmp");
    let (ok, out) = wangge(&["db", "upgrade", &url], dir.path());
    assert!(ok, "{out}");
    assert!(
        out.contains("applied migration 2") && out.contains("applied migration 3"),
        "{out}"
    );
    let (ok, out) = wangge(
        &[
            "generate",
            "--households",
            "2000",
            "--seed",
            "3",
            "--workspace",
            &url,
        ],
        dir.path(),
    );
    assert!(ok, "{out}");
    let (ok, out) = wangge(&["info", &url], dir.path());
    assert!(ok && out.contains("digest places="), "{out}");
    psql(
        &url,
        &format!("DROP SCHEMA {schema}, {schema}_public CASCADE"),
    );
}

/// Real hotline cases (Taipei 1999, villages as communities): the KPI tables PostgreSQL
/// computes in SQL are the bytes the GeoPackage's cases give through `kpis`, month by month
/// and at every level, past months and one counted as of a moment inside it.
#[test]
fn real_hotline_cases_give_the_same_kpi_tables_on_both_backends() {
    let Some(url) = test_url("hotline") else {
        eprintln!("WANGGE_TEST_PG not set: skipped");
        return;
    };
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    crate::util::taipei_villages(d);
    let (grid, cases) = (
        crate::util::shared("taipei/population-grid.geojson")
            .display()
            .to_string(),
        crate::util::shared("taipei/hotline-cases.geojson")
            .display()
            .to_string(),
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
        &["copy", "t.gpkg", &url][..],
    ] {
        let (ok, out) = wangge(args, d);
        assert!(ok, "{args:?}: {out}");
    }
    use wangge_io::store::prelude::*;
    let store = wangge_io::GeoPackage::open(d.join("t.gpkg")).expect("open");
    let mut months: Vec<String> = store
        .kpi_cases()
        .expect("cases")
        .iter()
        .map(|c| wangge_core::kpi::month_of(c.time))
        .collect();
    months.sort();
    months.dedup();
    assert!(!months.is_empty());
    let mut compared = 0;
    for month in months.iter().take(4) {
        for by in ["district", "street", "community"] {
            let mut args = vec!["report", "kpi", "WS", "--month", month, "--by", by];
            let mid = format!("{month}-15T12:00:00+08:00");
            for asof in [None, Some(mid.as_str())] {
                if let Some(t) = asof {
                    args.extend(["--asof", t]);
                }
                let run = |ws: &str| {
                    let a: Vec<&str> = args
                        .iter()
                        .map(|x| if *x == "WS" { ws } else { x })
                        .collect();
                    let (ok, out) = wangge(&a, d);
                    assert!(ok, "{a:?}: {out}");
                    out
                };
                let (g, p) = (run("t.gpkg"), run(&url));
                assert_eq!(g, p, "{month} {by} {asof:?}");
                compared += usize::from(g.lines().count() > 2);
            }
        }
    }
    assert!(compared >= 6, "only {compared} tables with rows");
    drop_schemas(&[url.rsplit("schema=").next().expect("schema").to_string()]);
}

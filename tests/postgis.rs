//! The PostgreSQL/PostGIS backend against a real server: runs when `WANGGE_TEST_PG` names a
//! database (`postgres://USER:PASSWORD@HOST/DB`; `scripts/test.sh` starts Debian's cluster and
//! sets it), each test in a schema of its own, dropped after. Checked with the server's own
//! catalogue, not with our code: geometry columns typed with SRID 4326, GiST indexes, incidents
//! partitioned by month, incident steps append-only, migrations applied once even by two
//! processes at once, and passwords never printed.

use crate::util::wangge;

/// The test database's URL with a fresh schema, or None when no server is configured.
fn test_url(name: &str) -> Option<String> {
    let base = std::env::var("WANGGE_TEST_PG").ok()?;
    let schema = format!("t_{name}_{}", std::process::id());
    Some(format!("{base}?schema={schema}"))
}

/// psql as the server's postgres user on the test database (the independent check).
fn run_psql(url: &str, sql: &str) -> std::process::Output {
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
        .args(["-d", db, "-c", sql])
        .output()
        .expect("psql (scripts/test.sh installs PostgreSQL)")
}

/// Runs `sql` and returns its unaligned output.
fn psql(url: &str, sql: &str) -> String {
    let out = run_psql(url, sql);
    assert!(
        out.status.success(),
        "{sql}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
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
        "1"
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
    psql(&url, &format!("DROP SCHEMA {schema} CASCADE"));
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
            psql(&base, &format!("DROP SCHEMA IF EXISTS {s} CASCADE"));
        }
    }
}

#[test]
fn the_postgis_store_keeps_every_promise_of_the_store_interface() {
    if std::env::var("WANGGE_TEST_PG").is_err() {
        eprintln!("WANGGE_TEST_PG not set: skipped");
        return;
    }
    let city = wangge_synth::generate(
        &wangge_synth::CityParams::new(2_000, 5),
        &wangge_core::NoProgress,
    );
    let mut schemas = Vec::new();
    let mut make = || pg_store("conf", &mut schemas).expect("configured");
    let failures = wangge_io::store::conformance::run(&mut make, &city);
    drop_schemas(&schemas);
    assert!(failures.is_empty(), "{failures:#?}");
    assert_eq!(schemas.len(), wangge_io::store::conformance::CHECKS.len());
}

//! The incidents' change feed on PostgreSQL with writers at once: batches write alongside
//! each other and publish in commit order (schema version 10), so a reader following the
//! feed reads every acknowledged incident once, never skipping a batch that committed late;
//! a workspace stored before the feed existed keeps its incidents in it after upgrading; and
//! the step tallies' trigger keeps the last readable assignment of a history restored at once.
//! Runs when `WANGGE_TEST_PG` names a database (as `postgis`), each test in its own schema.

use crate::postgis::{psql, test_url};
use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use wangge_core::{Incident, IncidentSource, Timestamp};

fn open(url: &str) -> Box<dyn wangge_io::Store> {
    wangge_app::open_store(std::path::Path::new(url), wangge_app::Access::Read).expect("open")
}

fn schema_of(url: &str) -> String {
    url.rsplit("schema=").next().expect("schema").to_string()
}

/// An incident in month `m` of 2025 (local time), a few metres apart by `n`.
fn incident(key: String, m: i64, n: i64) -> Incident {
    Incident::reported(
        key,
        Timestamp::from_unix(1_735_689_600 + m * 31 * 86_400 + n * 60),
        "noise".into(),
        IncidentSource::Hotline,
        geo::Point::new(118.78 + n as f64 * 1e-5, 32.04),
    )
}

#[test]
fn writers_at_once_publish_every_incident_once_to_a_reader_following_the_feed() {
    let Some(url) = test_url("feed") else {
        eprintln!("WANGGE_TEST_PG not set: skipped");
        return;
    };
    let (writers, batches, per): (usize, u32, i64) = (4, 48, 40);
    drop(open(&url));
    let done = AtomicBool::new(false);
    let (read, stored) = std::thread::scope(|s| {
        let reader = s.spawn(|| {
            let store = open(&url);
            let (mut cursor, mut keys) = (0i64, Vec::new());
            loop {
                // Read before looking at `done`: the last pass starts after every commit.
                let finished = done.load(Ordering::SeqCst);
                // A small page: batches are read across page boundaries.
                let page = store.incidents_after(cursor, 37).expect("feed");
                for (fid, i) in &page {
                    assert!(*fid > cursor, "feed numbers go up: {fid} after {cursor}");
                    cursor = *fid;
                    keys.push(i.key.clone());
                }
                if page.is_empty() && finished {
                    assert_eq!(store.max_incident_fid().expect("head"), cursor);
                    return keys;
                }
            }
        });
        let handles: Vec<_> = (0..writers)
            .map(|w| {
                let url = url.clone();
                s.spawn(move || {
                    let mut store = open(&url);
                    let mut mine = Vec::new();
                    for b in 0..batches {
                        // Every eighth round reaches a month no one has made yet (the
                        // partition is made by whichever writer gets there first), and in
                        // every third all writers send one report in common: one claims it,
                        // the others wait for its commit and find it stored.
                        let m = i64::from(b) / 8;
                        let mut batch: Vec<Incident> = (0..per)
                            .map(|n| incident(format!("w{w}-b{b}-{n}"), m, n))
                            .collect();
                        if b % 3 == 0 {
                            batch.insert(per as usize / 2, incident(format!("shared-{b}"), m, 0));
                        }
                        let got = store.add_incidents(&batch).expect("ingest");
                        assert_eq!(got.added.len() + got.existing.len(), batch.len());
                        mine.extend(got.added.into_iter().map(|a| a.1));
                    }
                    mine
                })
            })
            .collect();
        let mut stored: Vec<String> = Vec::new();
        for h in handles {
            stored.extend(h.join().expect("writer"));
        }
        done.store(true, Ordering::SeqCst);
        (reader.join().expect("reader"), stored)
    });
    let store = open(&url);
    let distinct: HashSet<&String> = read.iter().collect();
    assert_eq!(distinct.len(), read.len(), "an incident was read twice");
    let want: HashSet<&String> = stored.iter().collect();
    assert_eq!(distinct, want, "the reader read what was acknowledged");
    assert_eq!(
        read.len(),
        writers * batches as usize * per as usize + batches.div_ceil(3) as usize
    );
    assert_eq!(store.incident_count().expect("count"), read.len() as u64);
    // Every month's partition was made once.
    let schema = schema_of(&url);
    let parts = psql(
        &url,
        &format!(
            "SELECT count(*) FROM pg_inherits WHERE inhparent = '{schema}.incidents'::regclass"
        ),
    );
    assert_eq!(
        parts,
        (batches / 8 + 1).to_string(),
        "months and the default"
    );
    psql(
        &url,
        &format!("DROP SCHEMA {schema}, {schema}_public CASCADE"),
    );
}

#[test]
fn incidents_stored_before_the_feed_are_in_it_after_the_upgrade() {
    let Some(url) = test_url("feed_upgrade") else {
        eprintln!("WANGGE_TEST_PG not set: skipped");
        return;
    };
    let schema = schema_of(&url);
    let user = url
        .strip_prefix("postgres://")
        .and_then(|r| r.split([':', '@']).next())
        .expect("user");
    // A schema as the build that knew migrations 1 to 9 left it, with incidents written as
    // that build wrote them (ids from the sequence, the count on the data version's row).
    let mut sql = format!(
        "SET ROLE {user}; CREATE SCHEMA {schema};
         CREATE TABLE {schema}.schema_migrations (version integer PRIMARY KEY,
           name text NOT NULL, applied timestamptz NOT NULL DEFAULT now());"
    );
    for m in &wangge_postgis::MIGRATIONS[..9] {
        sql.push_str(&m.sql.replace("{schema}", &schema));
        sql.push_str(&format!(
            "\nINSERT INTO {schema}.schema_migrations (version, name) VALUES ({}, '{}');",
            m.version, m.name
        ));
    }
    sql.push_str(&format!(
        "SELECT {schema}.incident_month(DATE '2025-01-01'), {schema}.incident_month(DATE '2025-02-01');
         INSERT INTO {schema}.incident_keys (key, id, month)
           SELECT 'old-' || g, nextval('{schema}.incident_ids'),
                  CASE WHEN g < 3 THEN DATE '2025-01-01' ELSE DATE '2025-02-01' END
           FROM generate_series(1, 4) g;
         INSERT INTO {schema}.incidents (id, key, time, month, category, source, status, geom)
           SELECT id, key, month + interval '1 day', month, 'noise', 'hotline', 'reported',
                  ST_SetSRID(ST_MakePoint(118.78, 32.04), 4326)
           FROM {schema}.incident_keys;
         INSERT INTO {schema}.incident_steps (incident, step, at, previous, detail)
           SELECT k.id, s.step, k.month + interval '2 days', s.previous, s.detail
           FROM {schema}.incident_keys k,
                (VALUES ('dispatched', 'reported', NULL), ('extended', 'dispatched', '{{\"hours\": 2.5}}'),
                        ('dispatched', 'followed_up', NULL),
                        ('assigned', 'dispatched', '{{\"department\": \"城管\", \"worker\": \"w1\"}}'),
                        ('assigned', 'dispatched', '{{\"department\": \"水务\"}}'),
                        ('assigned', 'dispatched', 'not json')) AS s(step, previous, detail)
           WHERE k.key = 'old-1';"
    ));
    psql(&url, &sql);
    assert_eq!(
        wangge_postgis::MIGRATIONS[9].name,
        "incident_feed",
        "this test writes as version 9 left it"
    );
    let mut store = open(&url);
    let head = store.max_incident_fid().expect("head");
    let old = store.incidents_after(0, 100).expect("feed");
    let keys: Vec<&str> = old.iter().map(|r| r.1.key.as_str()).collect();
    assert_eq!(keys, ["old-1", "old-2", "old-3", "old-4"]);
    assert_eq!(old.last().map(|r| r.0), Some(head));
    assert_eq!(store.incident_count().expect("count"), 4);
    // The steps stored before are tallied on the incident's row (migrations 11 and 12), as
    // the KPIs read them: dispatched twice (a rework), 2.5 hours of extension, the last
    // readable assignment (a department without a worker; the unreadable one after it not).
    let tallies = psql(
        &url,
        &format!(
            "SELECT key, dispatches, extension_h, assigned_department,
                    coalesce(assigned_worker, '-')
             FROM {schema}.incidents WHERE dispatches > 0"
        ),
    );
    assert_eq!(tallies, "old-1|2|2.5|水务|-");
    let batch: Vec<Incident> = (0..3).map(|n| incident(format!("new-{n}"), 1, n)).collect();
    let got = store.add_incidents(&batch).expect("ingest");
    let new = store.incidents_after(head, 100).expect("feed");
    assert_eq!(
        new.iter()
            .map(|r| (r.0, r.1.key.clone()))
            .collect::<Vec<_>>(),
        got.added,
        "the new batch, after the old ones, with the feed numbers the ingest answered"
    );
    assert_eq!(store.incident_count().expect("count"), 7);
    psql(
        &url,
        &format!("DROP SCHEMA {schema}, {schema}_public CASCADE"),
    );
}

/// Several `assigned` steps of one case written by one statement (a copy restores a case's
/// history at once): the statement trigger keeps the last readable one on the row, and the
/// KPI tables per department and worker (grouped in SQL on that row) agree with `kpis` over
/// the cases read from the steps.
#[test]
fn a_restored_history_keeps_the_last_readable_assignment_on_the_row() {
    use wangge_core::kpi::{Level, TimeLimits, kpis, month_of, month_range};
    use wangge_io::store::IncidentEvent;
    let Some(url) = test_url("restore_assign") else {
        eprintln!("WANGGE_TEST_PG not set: skipped");
        return;
    };
    let schema = schema_of(&url);
    let mut store = wangge_app::open_store(std::path::Path::new(&url), wangge_app::Access::Write)
        .expect("open");
    let mut cases = Vec::new();
    let mut events = Vec::new();
    for n in 0..3 {
        let mut i = incident(format!("r-{n}"), 2, n);
        let reported = i.time.unix();
        let at = |h: i64| Timestamp::from_unix(reported + h * 3600);
        let dispatched = at(1);
        i.transition(wangge_core::IncidentStatus::Dispatched, dispatched)
            .expect("dispatch");
        let event = |status: &str, h: i64, detail: Option<&str>| IncidentEvent {
            incident: i.key.clone(),
            status: status.into(),
            at: at(h),
            detail: detail.map(str::to_string),
        };
        events.push(event("dispatched", 1, None));
        events.push(event(
            "assigned",
            1,
            Some(r#"{"department":"D1","worker":"w1"}"#),
        ));
        if n > 0 {
            events.push(event("assigned", 2, Some(r#"{"department":"D2"}"#)));
            events.push(event("assigned", 3, Some("not json")));
        }
        cases.push(i);
    }
    store.restore_incidents(&cases, &events).expect("restore");
    let rows = psql(
        &url,
        &format!(
            "SELECT key, assigned_department, coalesce(assigned_worker, '-')
             FROM {schema}.incidents ORDER BY key"
        ),
    );
    assert_eq!(rows, "r-0|D1|w1\nr-1|D2|-\nr-2|D2|-");
    let month = month_of(cases[0].time);
    let window = month_range(&month).expect("month");
    let limits = TimeLimits::builtin();
    let asof = Timestamp::now();
    let read = store.kpi_cases_between(window.0, window.1).expect("cases");
    for level in [Level::Department, Level::Worker] {
        let mut got = store
            .kpi_rows(window, level, &limits, asof)
            .expect("rows")
            .expect("computed in SQL")
            .rows;
        got.sort_by(|a, b| a.area.cmp(&b.area));
        assert_eq!(got, kpis(&read, &month, level, &limits, asof), "{level:?}");
    }
    psql(
        &url,
        &format!("DROP SCHEMA {schema}, {schema}_public CASCADE"),
    );
}

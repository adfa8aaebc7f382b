//! Attacks of the second security round, each performed against the router as a client
//! would: two planners editing the same version (lost edits), a street's planner restoring
//! or naming versions that change another street's grids. (Step times out of order or in
//! the future: tests/incidents.rs.)

use crate::util::demo_workspace;
use serde_json::{Value, json};
use wangge_core::access::Role;
use wangge_io::Store;
use wangge_io::store::prelude::*;

async fn req(
    st: &wangge_server::AppState,
    token: Option<&str>,
    method: &str,
    uri: &str,
    body: Value,
) -> (u16, Value) {
    let (s, b) = crate::util::call_as(st, token, method, uri, body).await;
    (s, serde_json::from_slice(&b).unwrap_or(Value::Null))
}

/// Tokens of a leader (district-wide), a street office of `street` and an admin.
fn leader_office_admin(store: &dyn Store, street: &str) -> (String, String, String) {
    let make = |name: &str, role: Role, scope: &str| {
        store
            .create_token(name, role, scope, None)
            .expect("token")
            .1
    };
    (
        make("wall", Role::Leader, "*"),
        make("office", Role::StreetOffice, street),
        make("admin", Role::Admin, "*"),
    )
}

/// Two grids of the plan that a split divides (the most buildings), in two communities.
fn fullest_grids(store: &dyn Store, plan: i64) -> Vec<(String, String)> {
    let rows = store.plan_grid_rows(plan).expect("grids");
    let mut g: Vec<(String, String, u64)> = rows
        .iter()
        .map(|r| (r.code.clone(), r.community.clone(), u64::from(r.buildings)))
        .collect();
    g.sort_by_key(|x| std::cmp::Reverse(x.2));
    let first = g[0].clone();
    let second = g
        .iter()
        .find(|x| x.1 != first.1)
        .cloned()
        .unwrap_or_else(|| g[1].clone());
    vec![(first.0, first.1), (second.0, second.1)]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stale_edit_is_refused_and_a_branch_is_kept_aside() {
    let dir = tempfile::tempdir().expect("tmp");
    let ws = demo_workspace(dir.path(), 21);
    for b in crate::util::each_backend(dir.path(), &ws, "stale_edit") {
        stale_edit(dir.path(), &b).await;
    }
}

// Long: two planners on one version through the API, then the CLI.
async fn stale_edit(dir: &std::path::Path, ws: &crate::util::Backend) {
    use crate::util::off_runtime;
    let st = ws.state();
    let store = ws.store();
    let base = off_runtime(|| store.latest_plan().expect("plan").expect("a plan"));
    let g = off_runtime(|| fullest_grids(&*store, base));

    // Two planners both start from `base`: the first edit lands, the second is told the
    // version it edits is no longer current, and nothing is written.
    let edit = |grid: &str| json!({"op": "split", "grid": grid});
    let (s, first) = req(
        &st,
        None,
        "POST",
        &format!("/api/plans/{base}/edits"),
        edit(&g[0].0),
    )
    .await;
    assert_eq!(s, 201, "{first}");
    let current = first["plan"].as_i64().expect("plan");
    let (s, stale) = req(
        &st,
        None,
        "POST",
        &format!("/api/plans/{base}/edits"),
        edit(&g[1].0),
    )
    .await;
    assert_eq!(s, 409, "{stale}");
    assert_eq!(stale["code"], "plan.stale");
    assert_eq!(stale["params"]["current"], current.to_string());
    assert_eq!(stale["params"]["base"], base.to_string());
    let plans = off_runtime(|| store.plans().expect("plans"));
    assert_eq!(plans.len(), 2, "the stale edit wrote nothing");
    assert_eq!(
        off_runtime(|| store.latest_plan().expect("plan")),
        Some(current)
    );

    // On purpose, as a branch: kept, listed, never current.
    let (s, branch) = req(
        &st,
        None,
        "POST",
        &format!("/api/plans/{base}/edits?branch=true"),
        edit(&g[1].0),
    )
    .await;
    assert_eq!(s, 201, "{branch}");
    let b = branch["plan"].as_i64().expect("plan");
    assert_eq!(
        off_runtime(|| store.latest_plan().expect("plan")),
        Some(current),
        "a branch is not current"
    );
    assert!(
        off_runtime(|| store.plans())
            .expect("plans")
            .iter()
            .any(|p| p.id == b && p.branch)
    );

    // Undo in the viewer names the version it shows: a restore from a stale view is refused.
    let (s, v) = req(
        &st,
        None,
        "POST",
        &format!("/api/plans/{base}/restore?base={base}"),
        Value::Null,
    )
    .await;
    assert_eq!(s, 409, "{v}");
    let (s, v) = req(
        &st,
        None,
        "POST",
        &format!("/api/plans/{base}/restore?base={current}"),
        Value::Null,
    )
    .await;
    assert_eq!(s, 201, "{v}");

    // The CLI: an edit of an older version is refused unless kept as a branch.
    let old = base.to_string();
    let (ok, out) = crate::util::wangge(
        &["plan", "edit", ws.arg(), "--from", &old, "split", &g[1].0],
        dir,
    );
    assert!(!ok && out.contains("--branch"), "{out}");
    let (ok, out) = crate::util::wangge(
        &[
            "plan",
            "edit",
            ws.arg(),
            "--from",
            &old,
            "--branch",
            "split",
            &g[1].0,
        ],
        dir,
    );
    assert!(ok, "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_street_planner_cannot_restore_or_name_changes_of_another_street() {
    let dir = tempfile::tempdir().expect("tmp");
    let ws = demo_workspace(dir.path(), 22);
    let gpkg = wangge_io::GeoPackage::open(&ws).expect("open");
    let g = fullest_grids(&gpkg, gpkg.latest_plan().expect("plan").expect("a plan"));
    // The community of the second grid goes to another street.
    wangge_io::gpkg::testing::execute(
        &gpkg,
        "UPDATE communities SET street = '北京街道' WHERE key = ?1",
        &[&g[1].1],
    )
    .expect("street");
    drop(gpkg);
    for b in crate::util::each_backend(dir.path(), &ws, "other_street") {
        other_street(&b, &g).await;
    }
}

// Long: a restore, a naming and an edit across streets, each answer checked.
async fn other_street(ws: &crate::util::Backend, g: &[(String, String)]) {
    use crate::util::off_runtime;
    let store = ws.store();
    let data = off_runtime(|| store.load().expect("load"));
    let v1 = off_runtime(|| store.latest_plan().expect("plan").expect("a plan"));
    let own_street = data
        .communities
        .iter()
        .find(|c| c.key == g[0].1)
        .and_then(|c| c.street.clone())
        .expect("street");
    assert_ne!(g[0].1, g[1].1, "two communities");
    let (planner, admin) = off_runtime(|| {
        let (_, planner) = store
            .create_token("own street", Role::Planner, &own_street, None)
            .expect("token");
        let (_, admin) = store
            .create_token("district", Role::Admin, "*", None)
            .expect("token");
        (planner, admin)
    });
    let st = ws.state();

    // The district splits a grid of the other street: version 2.
    let (s, v) = req(
        &st,
        Some(&admin),
        "POST",
        &format!("/api/plans/{v1}/edits"),
        json!({"op": "split", "grid": g[1].0}),
    )
    .await;
    assert_eq!(s, 201, "{v}");
    let v2 = v["plan"].as_i64().expect("plan");
    // The street's planner restores version 1: that would undo the other street's split.
    let (s, v) = req(
        &st,
        Some(&planner),
        "POST",
        &format!("/api/plans/{v1}/restore"),
        Value::Null,
    )
    .await;
    assert_eq!(s, 403, "{v}");
    assert_eq!(
        off_runtime(|| store.latest_plan().expect("plan")),
        Some(v2),
        "nothing written"
    );
    // Nor may it name version 2 (a change of the other street) ...
    let (s, v) = req(
        &st,
        Some(&planner),
        "PUT",
        &format!("/api/plans/{v2}/name"),
        json!({"name": "mine"}),
    )
    .await;
    assert_eq!(s, 403, "{v}");
    // ... but it names its own edit, and the name is in the audit log.
    let (s, v) = req(
        &st,
        Some(&planner),
        "POST",
        &format!("/api/plans/{v2}/edits"),
        json!({"op": "split", "grid": g[0].0}),
    )
    .await;
    assert_eq!(s, 201, "{v}");
    let v3 = v["plan"].as_i64().expect("plan");
    let (s, v) = req(
        &st,
        Some(&planner),
        "PUT",
        &format!("/api/plans/{v3}/name"),
        json!({"name": "split of our fullest grid"}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    let audit = off_runtime(|| {
        ws.int(&format!(
            "SELECT count(*) FROM {{s}}.audit_log WHERE action = 'plan.name' \
             AND detail LIKE 'plan {v3} named%'"
        ))
    });
    assert_eq!(audit, 1);
}

/// `wangge serve` on an address other machines reach, with no token in the workspace, stops
/// at once with the command that makes one (and serves only with `--insecure-open`).
#[test]
fn serving_an_open_workspace_on_the_network_is_refused() {
    let dir = tempfile::tempdir().expect("tmp");
    demo_workspace(dir.path(), 23);
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_wangge"))
        .args(["serve", "w.gpkg", "--bind", "0.0.0.0:0"])
        .current_dir(dir.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("wangge");
    let start = std::time::Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break Some(s);
        }
        if start.elapsed() > std::time::Duration::from_secs(20) {
            let _ = child.kill();
            break None;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let out = child.wait_with_output().expect("output");
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    let status = status.expect("it stops instead of serving");
    assert!(!status.success(), "{text}");
    assert!(
        text.contains("wangge token create w.gpkg --role admin")
            && text.contains("--insecure-open"),
        "{text}"
    );
}

/// A workspace with a damaged page is refused by every command that writes (nothing is
/// written: the file stays byte for byte), and `info --check` reports the damage.
#[test]
fn a_damaged_workspace_is_not_written_to() {
    let dir = tempfile::tempdir().expect("tmp");
    let ws = demo_workspace(dir.path(), 24);
    let mut bytes = std::fs::read(&ws).expect("read");
    let page = 4096;
    assert!(bytes.len() > 8 * page);
    // The second page, as in the attack: garbage over its b-tree.
    for (k, b) in bytes[page..2 * page].iter_mut().enumerate() {
        *b = (k * 37 % 251) as u8;
    }
    std::fs::write(&ws, &bytes).expect("write");
    let (ok, out) = crate::util::wangge(&["partition", "w.gpkg", "--threads", "1"], dir.path());
    assert!(!ok, "{out}");
    assert!(out.contains("damaged") && out.contains(".recover"), "{out}");
    assert_eq!(std::fs::read(&ws).expect("read"), bytes, "nothing written");
    let (ok, out) = crate::util::wangge(&["info", "w.gpkg", "--check"], dir.path());
    assert!(!ok && out.contains("damaged"), "{out}");
}

/// A Shapefile whose .dbf has more records than the .shp has shapes is refused with both
/// counts; an export that fails half-way leaves the file that was there, and says why in a
/// sentence.
#[test]
fn mismatched_shapefiles_and_failed_exports_leave_nothing_half_done() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    let ws = demo_workspace(d, 25);
    for (layer, out) in [("communities", "a.shp"), ("facilities", "b.shp")] {
        let (ok, out) = crate::util::wangge(&["export", "w.gpkg", "--layer", layer, "-o", out], d);
        assert!(ok, "{out}");
    }
    std::fs::copy(d.join("b.dbf"), d.join("a.dbf")).expect("swap the .dbf");
    let (ok, out) = crate::util::wangge(
        &[
            "import",
            "a.shp",
            "--workspace",
            "new.gpkg",
            "--as",
            "communities",
        ],
        d,
    );
    assert!(!ok, "{out}");
    assert!(
        out.contains("shapes but the .dbf has") && out.contains("records"),
        "{out}"
    );
    assert!(
        !d.join("new.gpkg").exists() || {
            let s = wangge_io::GeoPackage::open(d.join("new.gpkg")).expect("open");
            crate::util::count(&s, "communities") == 0
        }
    );

    // A grid area no dBASE numeric field holds: the Shapefile writer fails after some records.
    {
        let store = wangge_io::GeoPackage::open(&ws).expect("open");
        wangge_io::gpkg::testing::execute(
            &store,
            "UPDATE grids SET area_m2 = 1e300 WHERE fid = (SELECT max(fid) FROM grids)",
            &[],
        )
        .expect("update");
    }
    std::fs::write(d.join("g.shp"), b"OLD").expect("old file");
    let (ok, out) =
        crate::util::wangge(&["export", "w.gpkg", "--layer", "grids", "-o", "g.shp"], d);
    assert!(!ok, "{out}");
    assert!(
        !out.contains("Error {") && !out.contains("kind:"),
        "a sentence, not a dump: {out}"
    );
    assert_eq!(
        std::fs::read(d.join("g.shp")).expect("g.shp"),
        b"OLD",
        "{out}"
    );
    let partial: Vec<_> = std::fs::read_dir(d)
        .expect("dir")
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with(".partial"))
        .collect();
    assert!(partial.is_empty(), "{partial:?}");
}

/// A grid worker's ids live in its own namespace: an id used in another grid is neither
/// "existing" nor refused for it (the answer tells nothing outside its grid); the same id
/// sent again with other content is a 409 naming the difference, nothing stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ingest_answers_tell_nothing_outside_the_callers_scope() {
    let dir = tempfile::tempdir().expect("tmp");
    let ws = demo_workspace(dir.path(), 26);
    for be in crate::util::each_backend(dir.path(), &ws, "ingest_scope") {
        ingest_scope_on(&be).await;
    }
}

async fn ingest_scope_on(be: &crate::util::Backend) {
    let store = be.store();
    let (g, worker, admin) = crate::util::off_runtime(|| {
        let plan = store.latest_plan().expect("plan").expect("a plan");
        let g = store.plan_grid_rows(plan).expect("grids").swap_remove(0);
        let (_, worker) = store
            .create_token("worker", Role::GridWorker, &g.code, None)
            .expect("token");
        let (_, admin) = store
            .create_token("admin", Role::Admin, "*", None)
            .expect("token");
        (g, worker, admin)
    });
    let at = geo::InteriorPoint::interior_point(&g.polygon).expect("inside");
    let st = be.state();
    let report = |id: &str, category: &str| json!([{"id": id, "time": "2026-01-05 10:00", "category": category, "lon": at.x(), "lat": at.y()}]);
    // The district's own report "Q-7" (in the same grid, so only the id can tell).
    let (s, v) = req(
        &st,
        Some(&admin),
        "POST",
        "/api/incidents",
        report("Q-7", "noise"),
    )
    .await;
    assert_eq!(s, 201, "{v}");
    // The grid worker sends "Q-7" too: a new report of its own, not "existing".
    let (s, v) = req(
        &st,
        Some(&worker),
        "POST",
        "/api/incidents",
        report("Q-7", "noise"),
    )
    .await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["existing"], json!([]), "{v}");
    let own = format!("{}:Q-7", g.code);
    assert_eq!(v["added"], json!([own]), "{v}");
    // Sent again: an idempotent retry.
    let (s, v) = req(
        &st,
        Some(&worker),
        "POST",
        "/api/incidents",
        report("Q-7", "noise"),
    )
    .await;
    assert_eq!((s, v["existing"].clone()), (201, json!([own])), "{v}");
    // Same id, other content: 409 naming the difference; the district's report is untouched.
    let (s, v) = req(
        &st,
        Some(&worker),
        "POST",
        "/api/incidents",
        report("Q-7", "streetscape"),
    )
    .await;
    assert_eq!(s, 409, "{v}");
    assert_eq!(v["code"], "incident.duplicate_id");
    assert!(
        v["detail"]
            .as_str()
            .is_some_and(|d| d.contains("category streetscape, stored noise")),
        "{v}"
    );
    let (s, v) = req(
        &st,
        Some(&admin),
        "POST",
        "/api/incidents",
        report("Q-7", "streetscape"),
    )
    .await;
    assert_eq!(s, 409, "{v}");
    let stored = crate::util::off_runtime(|| store.incident("Q-7").expect("read"));
    assert_eq!(stored.expect("stored").1.category, "noise");
}

/// The differencing attack: two heat requests whose windows differ by one incident, one
/// subtracted from the other, leave that incident alone on the tile (counts add up, so the
/// difference is the tile of the incident by itself). Without the defence its position comes
/// back to a metre or so; with it (every caller but an admin), moving the incident anywhere
/// in its cell of at least 100 m leaves every such tile unchanged, over 1,000 incidents of the
/// demo city. Cells and distances are measured here, independently of the index.
#[test]
fn differencing_heat_tiles_places_no_incident_closer_than_its_100_m_cell() {
    let dir = tempfile::tempdir().expect("tmp");
    let ws = demo_workspace(dir.path(), 27);
    let data = wangge_io::GeoPackage::open(&ws)
        .expect("open")
        .load()
        .expect("load");
    differencing_attack(&data.incidents, "demo city");
    // Real cases: the Taipei 1999 hotline (latitude 25°, not our generator's places).
    let d = dir.path();
    crate::util::taipei_villages(d);
    let cases = crate::util::shared("taipei/hotline-cases.geojson")
        .display()
        .to_string();
    let (ok, out) = crate::util::wangge(
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
    let taipei = wangge_io::GeoPackage::open(d.join("t.gpkg"))
        .expect("open")
        .load()
        .expect("load");
    differencing_attack(&taipei.incidents, "Taipei hotline");
}

/// The attack over 1,000 incidents drawn from `incidents` (see above).
fn differencing_attack(incidents: &[wangge_core::Incident], what: &str) {
    use wangge_tiles::mvt::{TileCoord, world};
    // Web Mercator world coordinates to lon/lat, written out here.
    let lon_lat = |w: [f64; 2]| {
        let lat = (std::f64::consts::PI * (1.0 - 2.0 * w[1]))
            .sinh()
            .atan()
            .to_degrees();
        [w[0] * 360.0 - 180.0, lat]
    };
    use wangge_tiles::{HeatFilter, HeatIndex, HeatStyle, SNAP_M};
    assert!(
        incidents.len() > 1000,
        "{what}: {} incidents",
        incidents.len()
    );
    let metres = |a: [f64; 2], b: [f64; 2]| {
        let r = 6_371_008.8f64;
        let (p1, p2) = (a[1].to_radians(), b[1].to_radians());
        let h = ((p2 - p1) / 2.0).sin().powi(2)
            + p1.cos() * p2.cos() * ((b[0] - a[0]).to_radians() / 2.0).sin().powi(2);
        2.0 * r * h.sqrt().asin()
    };
    let mut s = 0x1234_5678_9ABC_DEF1u64;
    let mut next = move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        s
    };
    let snapped = HeatStyle {
        snap_m: Some(SNAP_M),
        min_count: 1,
        ..HeatStyle::default()
    };
    let exact = HeatStyle {
        min_count: 1,
        ..HeatStyle::default()
    };
    let alone = |i: &wangge_core::Incident| {
        let mut h = HeatIndex::with_homes(std::iter::empty());
        h.add(std::slice::from_ref(i));
        h
    };
    // The attacker's estimate: the brightest pixel's centre.
    let estimate = |v: &[f64], t: TileCoord| -> [f64; 2] {
        let (k, _) = v
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(b.1))
            .expect("pixels");
        let n = f64::from(1u32 << t.z());
        lon_lat([
            (f64::from(t.x()) + ((k % 256) as f64 + 0.5) / 256.0) / n,
            (f64::from(t.y()) + ((k / 256) as f64 + 0.5) / 256.0) / n,
        ])
    };
    let (mut exact_errors, mut smallest_cell) = (Vec::new(), f64::MAX);
    for _ in 0..1000 {
        let a = &incidents[(next() % incidents.len() as u64) as usize];
        let w = world(a.location.x(), a.location.y());
        // The cell of at least SNAP_M metres around it: the finest power-of-two square.
        let lat = a.location.y().to_radians();
        let level = ((lat.cos() * 40_075_016.7 / SNAP_M).log2().floor()) as i32;
        let cells = 2f64.powi(level);
        let (cx, cy) = ((w[0] * cells).floor(), (w[1] * cells).floor());
        let corner = |dx: f64, dy: f64| lon_lat([(cx + dx) / cells, (cy + dy) / cells]);
        let side = metres(corner(0.0, 0.5), corner(1.0, 0.5))
            .min(metres(corner(0.5, 0.0), corner(0.5, 1.0)));
        smallest_cell = smallest_cell.min(side);
        // The same incident elsewhere in that cell.
        let u = |v: u64| (v % 1_000_000) as f64 / 1_000_000.0;
        let p = corner(u(next()), u(next()));
        let mut moved = a.clone();
        moved.location = geo_types::Point::new(p[0], p[1]);
        let (one, two) = (alone(a), alone(&moved));
        // Its day (a caller who may not see positions gets whole days whatever it asks).
        let f = HeatFilter {
            from_unix: Some(a.time.unix()),
            to_unix: Some(a.time.unix()),
            ..HeatFilter::default()
        }
        .whole_days();
        for z in [15u32, 17, 18] {
            let n = f64::from(1u32 << z);
            let t = TileCoord::new(z, (w[0] * n) as u64, (w[1] * n) as u64).expect("tile");
            let (v1, _) = one.values(t, &f, &snapped);
            let (v2, _) = two.values(t, &f, &snapped);
            assert!(v1.iter().any(|v| *v > 0.0), "the incident shows");
            assert_eq!(v1, v2, "a move inside the cell changes nothing (z{z})");
            if z == 18 {
                let (e, _) = one.values(t, &f, &exact);
                exact_errors.push(metres(estimate(&e, t), [a.location.x(), a.location.y()]));
            }
        }
    }
    assert!(smallest_cell >= SNAP_M, "cells of {smallest_cell:.0} m");
    exact_errors.sort_by(f64::total_cmp);
    let median = exact_errors[exact_errors.len() / 2];
    assert!(
        median < 5.0,
        "without the defence the attack works: median {median:.1} m"
    );
    eprintln!(
        "differencing, {what}: exact positions come back within {median:.1} m (median); snapped, every move inside a cell of at least {smallest_cell:.0} m is invisible"
    );
}

/// Through the server: a leader or a street office asking for one second gets the whole day,
/// snapped; an admin gets the second, exact. The wall names communities for them, grids for
/// an admin; per-grid count tiles are an admin's only.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leaders_and_street_offices_get_whole_days_snapped_and_communities() {
    let dir = tempfile::tempdir().expect("tmp");
    let ws = demo_workspace(dir.path(), 28);
    for be in crate::util::each_backend(dir.path(), &ws, "whole_days") {
        whole_days_on(&be).await;
    }
}

// Long: five reports, then what each role gets from heat, lists and KPIs.
async fn whole_days_on(be: &crate::util::Backend) {
    let (data, (leader, office, admin)) = crate::util::off_runtime(|| {
        let store = be.store();
        let data = store.load().expect("load");
        let street = data.communities[0].street.clone().expect("street");
        let tokens = leader_office_admin(&*store, &street);
        (data, tokens)
    });
    let st = be.state();
    // Five reports now at one spot (this month: the wall lists them).
    let at = data.address_points[0].location;
    let batch: Vec<Value> = (0..5)
        .map(|k| json!({"id": format!("d{k}"), "category": "noise", "lon": at.x(), "lat": at.y()}))
        .collect();
    let (s, v) = req(
        &st,
        Some(&admin),
        "POST",
        "/api/incidents",
        Value::from(batch),
    )
    .await;
    assert_eq!(s, 201, "{v}");
    let tile = |z: u32| {
        let w = wangge_tiles::mvt::world(at.x(), at.y());
        let n = f64::from(1u32 << z);
        format!("/heat/{z}/{}/{}.png", (w[0] * n) as u64, (w[1] * n) as u64)
    };
    let png = |token: &str, uri: String| {
        let st = st.clone();
        let token = token.to_string();
        async move {
            use http_body_util::BodyExt;
            use tower::ServiceExt;
            let r = wangge_server::router(st)
                .oneshot(
                    axum::http::Request::builder()
                        .uri(uri)
                        .header("authorization", format!("Bearer {token}"))
                        .body(axum::body::Body::empty())
                        .expect("request"),
                )
                .await
                .expect("response");
            assert_eq!(r.status(), 200);
            r.into_body()
                .collect()
                .await
                .expect("body")
                .to_bytes()
                .to_vec()
        }
    };
    let now = wangge_core::Timestamp::now();
    // A second just after the reports: nothing in it.
    let second = |uri: &str| {
        format!(
            "{uri}?from={}&to={}",
            wangge_core::Timestamp::from_unix(now.unix() + 1),
            wangge_core::Timestamp::from_unix(now.unix() + 2)
        )
    };
    let day = |uri: &str| format!("{uri}?days=1");
    for who in [&leader, &office] {
        let a = png(who, second(&tile(17))).await;
        let b = png(who, day(&tile(17))).await;
        assert_eq!(
            a, b,
            "one second is the whole day for a caller who may not see positions"
        );
    }
    let (a, b) = (
        png(&admin, second(&tile(17))).await,
        png(&admin, day(&tile(17))).await,
    );
    assert_ne!(a, b, "an admin's window is exact");
    let (s, v) = req(
        &st,
        Some(&leader),
        "GET",
        "/api/incidents/summary",
        Value::Null,
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["top_grids"], json!([]), "{v}");
    assert!(
        v["top_communities"]
            .as_array()
            .is_some_and(|c| !c.is_empty()),
        "{v}"
    );
    let (_, v) = req(
        &st,
        Some(&admin),
        "GET",
        "/api/incidents/summary",
        Value::Null,
    )
    .await;
    assert!(
        v["top_grids"].as_array().is_some_and(|g| !g.is_empty()),
        "{v}"
    );
    let (s, _) = req(
        &st,
        Some(&leader),
        "GET",
        "/tiles/incident_grids/14/1/1.mvt",
        Value::Null,
    )
    .await;
    assert_eq!(s, 403);
}

/// Every change through the API and the CLI leaves an audit line naming who (token name and
/// scope, or the system user), the role, when, and the ids it changed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_change_leaves_an_audit_line_with_who_role_scope_and_ids() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    let ws = demo_workspace(d, 29);
    for be in crate::util::each_backend(d, &ws, "audit") {
        audit_lines_on(d, &be).await;
    }
}

// Long: each kind of change through the API and the CLI, then each one's line in the log.
async fn audit_lines_on(d: &std::path::Path, be: &crate::util::Backend) {
    let store = be.store();
    let (plan, g, street, own, [planner, worker, admin]) = crate::util::off_runtime(|| {
        let plan = store.latest_plan().expect("plan").expect("a plan");
        let g = fullest_grids(&*store, plan);
        let data = store.load().expect("load");
        let street = data
            .communities
            .iter()
            .find(|c| c.key == g[0].1)
            .and_then(|c| c.street.clone())
            .expect("street");
        let rows = store.plan_grid_rows(plan).expect("grids");
        let own = rows.into_iter().find(|r| r.code == g[0].0).expect("grid");
        let tokens = [
            ("规划科", Role::Planner, street.as_str()),
            ("张网格员", Role::GridWorker, own.code.as_str()),
            ("管理员", Role::Admin, "*"),
        ]
        .map(|(name, role, scope)| {
            store
                .create_token(name, role, scope, None)
                .expect("token")
                .1
        });
        (plan, g, street, own, tokens)
    });
    let at = geo::InteriorPoint::interior_point(&own.polygon).expect("inside");
    let st = be.state();

    // Through the API.
    let (s, v) = req(&st, Some(&worker), "POST", "/api/incidents",
        json!([{"id": "A-1", "time": "2026-01-05 10:00", "category": "noise", "lon": at.x(), "lat": at.y()}])).await;
    assert_eq!(s, 201, "{v}");
    let id = format!("{}:A-1", own.code);
    let (s, v) = req(
        &st,
        Some(&worker),
        "PATCH",
        &format!("/api/incidents/{id}"),
        json!({"status": "dispatched", "at": "2026-01-05 11:00"}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = req(
        &st,
        Some(&planner),
        "POST",
        &format!("/api/plans/{plan}/edits"),
        json!({"op": "split", "grid": g[0].0}),
    )
    .await;
    assert_eq!(s, 201, "{v}");
    let v2 = v["plan"].as_i64().expect("plan");
    let (s, v) = req(
        &st,
        Some(&planner),
        "PUT",
        &format!("/api/plans/{v2}/name"),
        json!({"name": "拆分"}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = req(
        &st,
        Some(&planner),
        "POST",
        &format!("/api/plans/{plan}/restore?base={v2}"),
        Value::Null,
    )
    .await;
    assert_eq!(s, 201, "{v}");
    let v3 = v["plan"].as_i64().expect("plan");
    let (s, v) = req(
        &st,
        Some(&planner),
        "POST",
        &format!("/api/plans/{v3}/partition"),
        json!({"community": g[0].1}),
    )
    .await;
    assert_eq!(s, 201, "{v}");
    let v4 = v["plan"].as_i64().expect("plan");
    let (s, _) = req(
        &st,
        Some(&admin),
        "GET",
        &format!("/api/plans/{v4}/export/csv"),
        Value::Null,
    )
    .await;
    assert_eq!(s, 200);

    // Through the CLI.
    for args in [
        &["plan", "edit", be.arg(), "split", g[1].0.as_str()][..],
        &["plan", "undo", be.arg()],
        &["incidents", "assign", be.arg()],
        &["token", "revoke", be.arg(), "1"],
    ] {
        let (ok, out) = crate::util::wangge(args, d);
        assert!(ok, "{args:?}: {out}");
    }

    let log = crate::util::off_runtime(|| store.audit_log(1000).expect("log"));
    let has = |action: &str, actor: &str, role: &str, detail: &str| {
        log.iter().any(|[when, who, r, a, what]| {
            a == action
                && who.contains(actor)
                && r == role
                && what.contains(detail)
                && when.starts_with("20")
        })
    };
    let planner_who = format!("规划科 scope {street}");
    let worker_who = format!("张网格员 scope {}", own.code);
    for (action, actor, role, detail) in [
        ("token.create", "cli", "admin", "规划科"),
        (
            "incidents.add",
            worker_who.as_str(),
            "grid_worker",
            id.as_str(),
        ),
        (
            "incident.update",
            worker_who.as_str(),
            "grid_worker",
            id.as_str(),
        ),
        (
            "plan.edit",
            planner_who.as_str(),
            "planner",
            &format!("plan {plan} → {v2}"),
        ),
        (
            "plan.name",
            planner_who.as_str(),
            "planner",
            &format!("plan {v2} named"),
        ),
        (
            "plan.restore",
            planner_who.as_str(),
            "planner",
            &format!("plan {plan} saved again as {v3}"),
        ),
        (
            "plan.partition",
            planner_who.as_str(),
            "planner",
            &format!("→ {v4}"),
        ),
        ("plan.export", "管理员 scope *", "admin", &format!("{v4}")),
        ("plan.edit", "cli ", "admin", &g[1].0),
        ("plan.undo", "cli ", "admin", "undone as"),
        ("incidents.assign", "cli ", "admin", "incidents looked at"),
        ("token.revoke", "cli", "admin", "token 1"),
    ] {
        assert!(
            has(action, actor, role, detail),
            "no audit line {action} by {actor} ({role}) with {detail:?}:\n{log:#?}"
        );
    }
}

/// `serve --tls-cert --tls-key`: a certificate made here with openssl; curl trusts it with
/// `--cacert` and gets the style over HTTPS with HSTS; plain HTTP gets no answer; a key that
/// is not one is refused with the file named.
#[test]
fn the_server_speaks_tls_with_a_given_certificate() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    demo_workspace(d, 30);
    crate::util::self_signed_cert(d);
    let server = crate::util::serve(
        d,
        "w.gpkg",
        &["--tls-cert", "cert.pem", "--tls-key", "key.pem"],
    );
    let port = server.bind.rsplit(':').next().expect("port");
    let out = std::process::Command::new("curl")
        .args(["-sS", "-D", "-", "--cacert", "cert.pem"])
        .arg(format!("https://localhost:{port}/style.json"))
        .current_dir(d)
        .output()
        .expect("curl");
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{text}");
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    assert!(
        text.to_lowercase()
            .contains("strict-transport-security: max-age=31536000"),
        "{text}"
    );
    assert!(
        text.contains("\"version\": 8") || text.contains("\"version\":8"),
        "{text}"
    );
    // The style's own URLs keep the scheme (an https page cannot load http tiles).
    assert!(
        text.contains(&format!("https://localhost:{port}/tiles/"))
            && !text.contains(&format!("http://localhost:{port}/")),
        "{text}"
    );
    // Plain HTTP on the TLS port is no answer.
    let (status, _) = crate::util::http(&server.bind, "GET", "/style.json", "", b"");
    assert_ne!(status, 200);
    drop(server);
    std::fs::write(d.join("bad.pem"), "not a key").expect("write");
    let (ok, out) = crate::util::wangge(
        &[
            "serve",
            "w.gpkg",
            "--bind",
            "127.0.0.1:0",
            "--tls-cert",
            "cert.pem",
            "--tls-key",
            "bad.pem",
        ],
        d,
    );
    assert!(!ok && out.contains("bad.pem"), "{out}");
}

/// A street office's what-if counts its street's households only, and its event stream
/// carries its street's incidents only, named by community and id (no grid, no position).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_if_and_the_event_stream_stay_in_the_callers_street() {
    let dir = tempfile::tempdir().expect("tmp");
    let ws = demo_workspace(dir.path(), 31);
    for be in crate::util::each_backend(dir.path(), &ws, "street_stream") {
        street_stream_on(&be).await;
    }
}

// Long: what-if within a street, then the event stream, each checked for the other street.
async fn street_stream_on(be: &crate::util::Backend) {
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let store = be.store();
    let data = crate::util::off_runtime(|| store.load().expect("load"));
    // Two streets: the first community alone in its own.
    let key = &data.communities[0].key;
    be.exec(
        &format!("UPDATE communities SET street = '北京街道' WHERE key = '{key}'"),
        &format!("UPDATE {{s}}.communities SET street = '北京街道' WHERE key = '{key}'"),
    );
    let own = &data.communities[1];
    let street = own.street.clone().expect("street");
    let (office, admin) = crate::util::off_runtime(|| {
        let make = |name: &str, role: Role, scope: &str| {
            store
                .create_token(name, role, scope, None)
                .expect("token")
                .1
        };
        (
            make("office", Role::StreetOffice, &street),
            make("admin", Role::Admin, "*"),
        )
    });
    let st = be.state();
    let at = geo::InteriorPoint::interior_point(&own.geometry).expect("inside");
    let body = json!({"category": "kindergarten", "minutes": 10, "add": [[at.x(), at.y()]]});
    let (s, mine) = req(
        &st,
        Some(&office),
        "POST",
        "/api/reach/what-if",
        body.clone(),
    )
    .await;
    assert_eq!(s, 200, "{mine}");
    let (s, all) = req(&st, Some(&admin), "POST", "/api/reach/what-if", body).await;
    assert_eq!(s, 200, "{all}");
    let (s, cov) = req(
        &st,
        Some(&office),
        "GET",
        "/api/reach/coverage?category=kindergarten&minutes=10",
        Value::Null,
    )
    .await;
    assert_eq!(s, 200, "{cov}");
    let street_households: u64 = cov["communities"]
        .as_array()
        .expect("communities")
        .iter()
        .map(|c| c["households"].as_u64().unwrap_or(0))
        .sum();
    assert_eq!(
        mine["households"].as_u64(),
        Some(street_households),
        "{mine}"
    );
    assert!(
        all["households"].as_u64() > mine["households"].as_u64(),
        "{all} vs {mine}"
    );
    assert!(
        mine["communities"]
            .as_array()
            .expect("list")
            .iter()
            .all(|c| c["code"] != json!(data.communities[0].key)),
        "{mine}"
    );

    // The stream: one report in the other street, then one in its own.
    let r = wangge_server::router(st.clone())
        .oneshot(
            axum::http::Request::builder()
                .uri("/api/incidents/stream")
                .header("authorization", format!("Bearer {office}"))
                .body(axum::body::Body::empty())
                .expect("request"),
        )
        .await
        .expect("stream");
    assert_eq!(r.status(), 200);
    let mut events = r.into_body();
    let other = geo::InteriorPoint::interior_point(&data.communities[0].geometry).expect("inside");
    for (id, p) in [("far", other), ("near", at)] {
        let (s, v) = req(
            &st,
            Some(&admin),
            "POST",
            "/api/incidents",
            json!([{"id": id, "category": "noise", "lon": p.x(), "lat": p.y()}]),
        )
        .await;
        assert_eq!(s, 201, "{v}");
    }
    let mut seen = String::new();
    while !seen.contains(&own.key) {
        let frame = tokio::time::timeout(std::time::Duration::from_secs(10), events.frame())
            .await
            .expect("an event within 10 s")
            .expect("a frame")
            .expect("data");
        if let Ok(d) = frame.into_data() {
            seen.push_str(&String::from_utf8_lossy(&d));
        }
    }
    assert!(
        !seen.contains(&data.communities[0].key),
        "no event of the other street: {seen}"
    );
    for hidden in ["\"grid\"", "\"key\"", "\"lon\"", "far"] {
        assert!(!seen.contains(hidden), "{hidden} in {seen}");
    }
    // The case's id, for the case desk (issue 24: the street office may see case ids in its
    // own street).
    assert!(seen.contains("\"id\":\"near\""), "{seen}");
}

/// An address point split over grids (more households than a grid holds): residents with a
/// unit go to the grid holding their unit and only its worker sees them; residents without
/// one go to the first grid and are flagged as not placed by unit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn residents_of_a_split_address_point_are_shown_to_one_grid_worker() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    let ws = demo_workspace(d, 32);
    let key = {
        let store = wangge_io::GeoPackage::open(&ws).expect("open");
        let k = store.load().expect("load").address_points[0].key.clone();
        wangge_io::gpkg::testing::execute(
            &store,
            "UPDATE address_points SET households = 450 WHERE key = ?1",
            &[&k],
        )
        .expect("households");
        k
    };
    for be in crate::util::each_backend(d, &ws, "split_residents") {
        split_residents_on(d, &be, &key).await;
    }
}

// Long: the register imported, each part's worker asks, then the district.
async fn split_residents_on(d: &std::path::Path, be: &crate::util::Backend, key: &str) {
    let (ok, out) = crate::util::wangge(&["partition", be.arg(), "--threads", "1"], d);
    assert!(ok, "{out}");
    let store = be.store();
    let members = crate::util::off_runtime(|| {
        let plan = store.latest_plan().expect("plan").expect("a plan");
        store.plan_members(plan).expect("members")
    });
    let parts: Vec<(String, u32)> = members
        .into_iter()
        .filter(|(k, _, _)| *k == key)
        .map(|(_, g, h)| (g, h))
        .collect();
    assert!(parts.len() >= 2, "the address point is split: {parts:?}");
    let mut csv = String::from("地址编码,姓名,单元\n");
    for u in 1..=6 {
        csv.push_str(&format!("{key},住户{u},{u}\n"));
    }
    csv.push_str(&format!("{key},无单元,\n"));
    std::fs::write(d.join("register.csv"), csv).expect("csv");
    let (ok, out) = crate::util::wangge(&["residents", "import", be.arg(), "register.csv"], d);
    assert!(ok, "{out}");
    let st = be.state();
    let mut seen: Vec<(String, Vec<String>)> = Vec::new();
    for (g, _) in &parts {
        let (_, tok) = crate::util::off_runtime(|| {
            store.create_token(&format!("worker {g}"), Role::GridWorker, g, None)
        })
        .expect("token");
        let (s, v) = req(
            &st,
            Some(&tok),
            "GET",
            &format!("/api/residents?grid={g}"),
            Value::Null,
        )
        .await;
        assert_eq!(s, 200, "{v}");
        let names: Vec<String> = v["residents"]
            .as_array()
            .expect("residents")
            .iter()
            .filter(|r| r["address"] == json!(key))
            .map(|r| r["name"].as_str().unwrap_or("").to_string())
            .collect();
        seen.push((g.clone(), names));
    }
    // Every resident of the address point is seen by exactly one grid worker.
    let mut all: Vec<&String> = seen.iter().flat_map(|(_, n)| n).collect();
    all.sort();
    let before = all.len();
    all.dedup();
    assert_eq!((before, all.len()), (7, 7), "{seen:?}");
    assert!(
        seen[0].1.contains(&"无单元".to_string()),
        "no unit: the first grid {seen:?}"
    );
    assert!(
        seen.iter().filter(|(_, n)| !n.is_empty()).count() >= 2,
        "units spread over the parts: {seen:?}"
    );
    // The district sees who is not placed by unit.
    let (_, admin) =
        crate::util::off_runtime(|| store.create_token("admin", Role::Admin, "*", None))
            .expect("token");
    let (_, v) = req(
        &st,
        Some(&admin),
        "GET",
        "/api/residents?limit=1000",
        Value::Null,
    )
    .await;
    let unplaced: Vec<&Value> = v["residents"]
        .as_array()
        .expect("residents")
        .iter()
        .filter(|r| r["unplaced"] == json!(true))
        .collect();
    assert_eq!(unplaced.len(), 1, "{unplaced:?}");
    assert_eq!(unplaced[0]["name"], "无单元");
}

/// KPI tables for callers who may not see positions: a leader gets no grid rows (403), a
/// street office only its street's grids; `asof` is taken at the start of its local day (two
/// times a second apart give the same table); areas under the count floor are left out as
/// empty ones are (`count_below`), so a table never says that one or two incidents happened
/// somewhere. An admin gets every row as computed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kpi_tables_place_no_incident_below_a_community_for_leaders_and_other_streets() {
    let dir = tempfile::tempdir().expect("tmp");
    let ws = demo_workspace(dir.path(), 28);
    // The generated incidents came before the plan: give them its grids.
    let (ok, out) = crate::util::wangge(&["incidents", "assign", "w.gpkg", "--all"], dir.path());
    assert!(ok, "{out}");
    for be in crate::util::each_backend(dir.path(), &ws, "kpi_below") {
        kpi_below_on(&be).await;
    }
}

// Long: one lonely incident, then this month's and a past month's tables by role.
async fn kpi_below_on(be: &crate::util::Backend) {
    let (data, grid_community, (leader, office, admin)) = crate::util::off_runtime(|| {
        let store = be.store();
        let data = store.load().expect("load");
        let street = data.communities[0].street.clone().expect("street");
        let plan = store.latest_plan().expect("plan").expect("a plan");
        let grid_community: std::collections::HashMap<String, String> =
            store.plan_grids(plan).expect("grids").into_iter().collect();
        let tokens = leader_office_admin(&*store, &street);
        (data, grid_community, tokens)
    });
    let street = data.communities[0].street.clone().expect("street");
    let mine: Vec<String> = data
        .communities
        .iter()
        .filter(|c| c.street.as_deref() == Some(street.as_str()))
        .map(|c| c.key.clone())
        .collect();
    let st = be.state();
    // One incident alone this month in a community: an admin sees a row with 1, nobody
    // else learns of it.
    let c = &data.communities[0];
    let at = geo::InteriorPoint::interior_point(&c.geometry).expect("inside");
    let (s, v) = req(
        &st,
        Some(&admin),
        "POST",
        "/api/incidents",
        json!([{"id": "lonely", "category": "noise", "lon": at.x(), "lat": at.y()}]),
    )
    .await;
    assert_eq!(s, 201, "{v}");
    let month = wangge_core::kpi::month_of(wangge_core::Timestamp::now());
    let (s, v) = req(
        &st,
        Some(&leader),
        "GET",
        &format!("/api/kpi?month={month}&by=grid"),
        Value::Null,
    )
    .await;
    assert_eq!(s, 403, "a leader asked for grids: {v}");
    let rows = |v: &Value| -> Vec<(String, u64)> {
        v["rows"]
            .as_array()
            .expect("rows")
            .iter()
            .map(|r| {
                (
                    r["area"].as_str().expect("area").to_string(),
                    r["reported"].as_u64().expect("n"),
                )
            })
            .collect()
    };
    let (s, a) = req(
        &st,
        Some(&admin),
        "GET",
        &format!("/api/kpi?month={month}&by=community"),
        Value::Null,
    )
    .await;
    assert_eq!(s, 200, "{a}");
    assert!(
        rows(&a).contains(&(c.key.clone(), 1)),
        "the admin sees the lonely incident: {a}"
    );
    assert_eq!(a["count_below"], Value::Null);
    let (s, l) = req(
        &st,
        Some(&leader),
        "GET",
        &format!("/api/kpi?month={month}&by=community"),
        Value::Null,
    )
    .await;
    assert_eq!(s, 200, "{l}");
    assert_eq!(l["count_below"], 3, "{l}");
    assert!(
        rows(&l).is_empty(),
        "no community of this month has 3 incidents: {l}"
    );
    // Past months: every listed area has at least 3, and those an admin sees with 1-2 are
    // not listed (as areas with none are not).
    let past = "2026-10";
    let (_, a) = req(
        &st,
        Some(&admin),
        "GET",
        &format!("/api/kpi?month={past}&by=grid"),
        Value::Null,
    )
    .await;
    let (s, o) = req(
        &st,
        Some(&office),
        "GET",
        &format!("/api/kpi?month={past}&by=grid"),
        Value::Null,
    )
    .await;
    assert_eq!(s, 200, "{o}");
    let office_rows = rows(&o);
    assert!(!office_rows.is_empty(), "{o}");
    for (g, n) in &office_rows {
        assert!(*n >= 3, "{g}: {n}");
        let community = grid_community.get(g).expect("a grid of the plan");
        assert!(mine.contains(community), "grid {g} of another street: {o}");
    }
    let expected: Vec<(String, u64)> = rows(&a)
        .into_iter()
        .filter(|(g, n)| *n >= 3 && grid_community.get(g).is_some_and(|c| mine.contains(c)))
        .collect();
    assert_eq!(office_rows, expected);
    // asof a second apart, same day: the same table (no step placed to the second).
    let at_day = |t: &str| format!("/api/kpi?month={past}&by=community&asof={t}");
    let (_, x) = req(
        &st,
        Some(&leader),
        "GET",
        &at_day("2026-10-20T10:00:00%2B08:00"),
        Value::Null,
    )
    .await;
    let (_, y) = req(
        &st,
        Some(&leader),
        "GET",
        &at_day("2026-10-20T10:00:01%2B08:00"),
        Value::Null,
    )
    .await;
    assert_eq!(x, y);
    assert_eq!(x["asof"], "2026-10-19T16:00:00Z", "{x}");
}

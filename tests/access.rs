//! Access control: a role × route × scope matrix over the router (tokens made in the
//! workspace, sent as `Authorization: Bearer`), attempts to read another street's data
//! through filters, tiles and id guessing, revoked and unknown tokens, the audit log and the
//! rate limit; expired tokens; a workspace whose tokens are all revoked stays closed.

use crate::util::{Backend, demo_workspace, each_backend, off_runtime, wangge};
use serde_json::{Value, json};
use wangge_core::access::Role;
use wangge_io::store::prelude::*;

async fn req(
    st: &wangge_server::AppState,
    token: Option<&str>,
    method: &str,
    uri: &str,
    body: Value,
) -> (u16, Vec<u8>) {
    crate::util::call_as(st, token, method, uri, body).await
}

fn json_of(b: &[u8]) -> Value {
    serde_json::from_slice(b).unwrap_or(Value::Null)
}

/// The tile of a point at zoom z.
fn tile_of(lon: f64, lat: f64, z: u32) -> (u64, u64) {
    let n = f64::from(1u32 << z);
    let x = ((lon + 180.0) / 360.0 * n) as u64;
    let r = lat.to_radians();
    let y = ((1.0 - (r.tan() + 1.0 / r.cos()).ln() / std::f64::consts::PI) / 2.0 * n) as u64;
    (x, y)
}

fn layers_of(gz: &[u8]) -> Vec<String> {
    use std::io::Read;
    let mut raw = Vec::new();
    if flate2::read::GzDecoder::new(gz)
        .read_to_end(&mut raw)
        .is_err()
    {
        raw = gz.to_vec(); // sent without gzip (no Accept-Encoding)
    }
    let t = wangge_tiles::mvt::validate::validate(&raw, &Default::default()).expect("valid tile");
    t.layers.into_iter().map(|l| l.name).collect()
}

/// Two streets: the demo's first community moves to a second street. Returns that community,
/// the second community and its (own) street.
fn two_streets(
    store: &wangge_io::GeoPackage,
    data: &wangge_core::Dataset,
) -> (String, String, String) {
    let (c_other, c_own) = (
        data.communities[0].key.clone(),
        data.communities[1].key.clone(),
    );
    wangge_io::gpkg::testing::execute(
        store,
        "UPDATE communities SET street = '北京街道' WHERE key = ?1",
        &[&c_other],
    )
    .expect("street");
    let own_street = data.communities[1].street.clone().expect("street");
    (c_other, c_own, own_street)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roles_and_scopes_decide_every_answer() {
    let dir = tempfile::tempdir().expect("tmp");
    let ws = demo_workspace(dir.path(), 11);
    let (ok, out) = wangge(&["incidents", "assign", "w.gpkg"], dir.path());
    assert!(ok, "{out}");
    let gpkg = wangge_io::GeoPackage::open(&ws).expect("open");
    let streets = two_streets(&gpkg, &gpkg.load().expect("load"));
    drop(gpkg);
    for b in each_backend(dir.path(), &ws, "access_roles") {
        roles_and_scopes(&b, &streets).await;
    }
}

// Long: the role × route × scope matrix, one request after another.
async fn roles_and_scopes(ws: &Backend, streets: &(String, String, String)) {
    let (c_other, c_own, own_street) = streets.clone();
    let store = ws.store();
    let data = off_runtime(|| store.load().expect("load"));
    let grids = off_runtime(|| {
        let plan = store.latest_plan().expect("plan").expect("a plan");
        store.plan_grids(plan).expect("grids")
    });
    let grid_in = |c: &str| {
        grids
            .iter()
            .find(|(_, gc)| gc == c)
            .map(|(g, _)| g.clone())
            .expect("grid")
    };
    let (g_own, g_other) = (grid_in(&c_own), grid_in(&c_other));
    // The planner splits another grid of its street, so that the grid worker's grid (and the
    // point it reports at) stays as it is.
    let g_split = grids
        .iter()
        .find(|(g, c)| c == &c_own && g != &g_own)
        .map(|(g, _)| g.clone())
        .expect("a second grid in the planner's community");
    let mut tok = std::collections::HashMap::new();
    for (role, scope) in [
        (Role::Admin, "*".to_string()),
        (Role::Planner, own_street.clone()),
        (Role::StreetOffice, own_street.clone()),
        (Role::Leader, "*".into()),
        (Role::GridWorker, g_own.clone()),
        (Role::Public, "*".into()),
    ] {
        let (_, secret) = off_runtime(|| {
            store
                .create_token(&format!("{role} test"), role, &scope, None)
                .expect("token")
        });
        tok.insert(role, secret);
    }
    let revoked = off_runtime(|| {
        let (revoked_id, revoked) = store
            .create_token("gone", Role::Admin, "*", None)
            .expect("token");
        store.revoke_token(revoked_id).expect("revoke");
        // Bad scopes are refused when a token is made.
        assert!(
            store
                .create_token("x", Role::Planner, "no such street", None)
                .is_err()
        );
        assert!(
            store
                .create_token("x", Role::GridWorker, "999", None)
                .is_err()
        );
        assert!(
            store
                .create_token("x", Role::Leader, "中山街道", None)
                .is_err()
        );
        revoked
    });
    let st = ws.state();
    let t = |r: Role| Some(tok[&r].as_str());

    // Incidents of each street and grid, for id guessing.
    let all = off_runtime(|| store.kpi_cases().expect("cases"));
    let assigner = off_runtime(|| store.assigner().expect("assigner"));
    let in_other = all
        .iter()
        .find(|c| c.community.as_deref() == Some(c_other.as_str()))
        .expect("incident")
        .key
        .clone();
    let in_own = all
        .iter()
        .find(|c| c.community.as_deref() == Some(c_own.as_str()))
        .expect("incident")
        .key
        .clone();
    let in_own_grid = all
        .iter()
        .find(|c| c.grid.as_deref() == Some(g_own.as_str()))
        .expect("incident")
        .key
        .clone();
    let p = data
        .address_points
        .iter()
        .find(|a| {
            let mut probe = wangge_core::Incident::reported(
                "p".into(),
                wangge_core::Timestamp::from_unix(0),
                "noise".into(),
                wangge_core::IncidentSource::Other,
                a.location,
            );
            assigner.assign(&mut probe);
            probe.grid.as_deref() == Some(g_own.as_str())
        })
        .expect("a point in the grid worker's grid")
        .location;
    let q = data
        .address_points
        .iter()
        .find(|a| {
            let mut probe = wangge_core::Incident::reported(
                "q".into(),
                wangge_core::Timestamp::from_unix(0),
                "noise".into(),
                wangge_core::IncidentSource::Other,
                a.location,
            );
            assigner.assign(&mut probe);
            probe.grid.as_deref() == Some(g_other.as_str())
        })
        .expect("a point elsewhere")
        .location;
    let report = |id: &str, pt: geo_types::Point<f64>| json!([{"id": id, "time": "2026-11-01 10:00", "category": "noise", "source": "grid_worker", "lon": pt.x(), "lat": pt.y()}]);
    let c0 = &data.communities[1].geometry.0[0].exterior().0[0];
    let (tx, ty) = tile_of(c0.x, c0.y, 14);
    let tile = format!("/tiles/all/14/{tx}/{ty}.mvt");

    use Role::*;
    let cases: Vec<(Option<Role>, &str, String, Value, u16)> = vec![
        // Anyone: the pages, the style, the basemap.
        (None, "GET", "/style.json".into(), Value::Null, 200),
        (None, "GET", "/api".into(), Value::Null, 200),
        (None, "GET", "/api/incidents".into(), Value::Null, 401),
        (None, "GET", "/heat/14/0/0.png".into(), Value::Null, 401),
        (
            None,
            "GET",
            "/tiles/grids/14/0/0.mvt".into(),
            Value::Null,
            401,
        ),
        (None, "GET", "/api/kpi".into(), Value::Null, 401),
        (Some(Public), "GET", "/api/plans".into(), Value::Null, 403),
        // Leader: aggregates only.
        (
            Some(Leader),
            "GET",
            "/api/kpi?month=2026-10".into(),
            Value::Null,
            200,
        ),
        (
            Some(Leader),
            "GET",
            "/api/incidents/summary".into(),
            Value::Null,
            200,
        ),
        (
            Some(Leader),
            "GET",
            "/api/index?month=2026-10".into(),
            Value::Null,
            200,
        ),
        (
            Some(Leader),
            "GET",
            "/api/incidents".into(),
            Value::Null,
            403,
        ),
        (
            Some(Leader),
            "GET",
            format!("/api/incidents/{in_own}"),
            Value::Null,
            403,
        ),
        (Some(Leader), "GET", "/api/plans".into(), Value::Null, 403),
        (
            Some(Leader),
            "POST",
            "/api/incidents".into(),
            report("L1", p),
            403,
        ),
        // Street office: its street's incidents, coverage; no writes.
        (
            Some(StreetOffice),
            "GET",
            format!("/api/incidents/{in_own}"),
            Value::Null,
            200,
        ),
        (
            Some(StreetOffice),
            "GET",
            format!("/api/incidents/{in_other}"),
            Value::Null,
            404,
        ),
        (
            Some(StreetOffice),
            "GET",
            format!("/api/incidents?community={c_other}"),
            Value::Null,
            403,
        ),
        // The street office works the cases of its street (the case desk): a step passes the
        // access check and meets the loop's rules (this case is closed already); a case of
        // another street is not found.
        (
            Some(StreetOffice),
            "PATCH",
            format!("/api/incidents/{in_own}"),
            json!({"status": "closed"}),
            409,
        ),
        (
            Some(StreetOffice),
            "PATCH",
            format!("/api/incidents/{in_other}"),
            json!({"supervise": "超期"}),
            404,
        ),
        (
            Some(StreetOffice),
            "POST",
            "/api/plans/1/edits".into(),
            json!({"op": "split", "grid": g_split}),
            403,
        ),
        // Planner: plans of its street.
        (Some(Planner), "GET", "/api/plans".into(), Value::Null, 200),
        (
            Some(Planner),
            "POST",
            "/api/plans/1/edits".into(),
            json!({"op": "split", "grid": g_other}),
            403,
        ),
        (
            Some(Planner),
            "POST",
            "/api/plans/1/partition".into(),
            json!({"community": c_other}),
            403,
        ),
        (
            Some(Planner),
            "POST",
            "/api/plans/1/edits".into(),
            json!({"op": "split", "grid": g_split}),
            201,
        ),
        (
            Some(Planner),
            "GET",
            "/api/plans/1/export/csv".into(),
            Value::Null,
            200,
        ),
        (
            Some(Planner),
            "GET",
            "/api/incidents".into(),
            Value::Null,
            403,
        ),
        // Grid worker: reports and updates in its own grid.
        (
            Some(GridWorker),
            "POST",
            "/api/incidents".into(),
            report("GW1", p),
            201,
        ),
        (
            Some(GridWorker),
            "POST",
            "/api/incidents".into(),
            report("GW2", q),
            403,
        ),
        (
            Some(GridWorker),
            "PATCH",
            format!("/api/incidents/{in_other}"),
            json!({"status": "dispatched"}),
            404,
        ),
        (
            Some(GridWorker),
            "GET",
            format!("/api/incidents/{in_other}"),
            Value::Null,
            404,
        ),
        (
            Some(GridWorker),
            "GET",
            format!("/api/incidents?grid={g_other}"),
            Value::Null,
            403,
        ),
        (
            Some(GridWorker),
            "GET",
            "/api/plans".into(),
            Value::Null,
            403,
        ),
        // Admin: everything.
        (
            Some(Admin),
            "GET",
            format!("/api/incidents/{in_other}"),
            Value::Null,
            200,
        ),
        (Some(Admin), "GET", "/api/plans".into(), Value::Null, 200),
    ];
    let mut failures = Vec::new();
    for (role, method, uri, body, want) in &cases {
        let (s, b) = req(&st, role.and_then(t), method, uri, body.clone()).await;
        if s != *want {
            failures.push(format!(
                "{role:?} {method} {uri}: {s}, wanted {want}: {}",
                String::from_utf8_lossy(&b)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));

    // Unknown and revoked tokens.
    assert_eq!(
        req(&st, Some("wg_nonsense"), "GET", "/style.json", Value::Null)
            .await
            .0,
        401
    );
    assert_eq!(
        req(&st, Some(&revoked), "GET", "/api/plans", Value::Null)
            .await
            .0,
        401
    );

    // Lists stay in scope: the street office sees its street only, the grid worker its grid.
    let (s, b) = req(
        &st,
        t(StreetOffice),
        "GET",
        "/api/incidents?limit=10000",
        Value::Null,
    )
    .await;
    assert_eq!(s, 200);
    let v = json_of(&b);
    let communities: Vec<&str> = data
        .communities
        .iter()
        .filter(|c| c.key != c_other)
        .map(|c| c.key.as_str())
        .collect();
    assert!(
        v["incidents"].as_array().is_some_and(|l| !l.is_empty()
            && l.iter().all(|i| i["community"]
                .as_str()
                .is_some_and(|c| communities.contains(&c)))),
        "{v}"
    );
    let (_, b) = req(&st, t(Admin), "GET", "/api/incidents?limit=1", Value::Null).await;
    assert!(v["total"].as_u64() < json_of(&b)["total"].as_u64());
    let (_, b) = req(
        &st,
        t(GridWorker),
        "GET",
        "/api/incidents?limit=10000",
        Value::Null,
    )
    .await;
    let v = json_of(&b);
    assert!(
        v["incidents"]
            .as_array()
            .is_some_and(|l| l.iter().any(|i| i["id"] == in_own_grid.as_str())
                && l.iter().all(|i| i["grid"] == g_own.as_str())),
        "{v}"
    );
    let (s, _) = req(
        &st,
        t(GridWorker),
        "PATCH",
        &format!("/api/incidents/{in_own_grid}"),
        json!({"extend_hours": 4}),
    )
    .await;
    assert!(s == 200 || s == 409, "{s}");
    // Coverage rows are the street's.
    let (s, b) = req(
        &st,
        t(StreetOffice),
        "GET",
        "/api/reach/coverage?category=kindergarten&minutes=10",
        Value::Null,
    )
    .await;
    assert_eq!(s, 200, "{}", String::from_utf8_lossy(&b));
    let v = json_of(&b);
    assert!(
        v["communities"]
            .as_array()
            .is_some_and(|r| !r.is_empty() && r.iter().all(|r| r["code"] != c_other.as_str())),
        "{v}"
    );

    // Tiles: without a token the basemap only; with one, the aggregates too.
    let (s, b) = req(&st, None, "GET", &tile, Value::Null).await;
    assert_eq!(s, 200);
    let public_layers = layers_of(&b);
    assert!(
        public_layers
            .iter()
            .all(|l| ["land_cover", "streets", "buildings"].contains(&l.as_str())),
        "{public_layers:?}"
    );
    let (_, b) = req(&st, t(Leader), "GET", &tile, Value::Null).await;
    let leader_layers = layers_of(&b);
    assert!(
        leader_layers
            .iter()
            .any(|l| l == "grids" || l == "communities"),
        "{leader_layers:?}"
    );

    // The audit log names who exported and edited.
    let log = off_runtime(|| store.audit_log(100).expect("log"));
    for action in [
        "plan.export",
        "plan.edit",
        "incidents.add",
        "token.create",
        "token.revoke",
    ] {
        assert!(log.iter().any(|e| e[3] == action), "{action}: {log:?}");
    }
    assert!(
        log.iter()
            .any(|e| e[3] == "plan.export" && e[1].contains("planner test")),
        "{log:?}"
    );

    // A token that floods is slowed down (429) and says why.
    let mut limited = None;
    for _ in 0..20_000 {
        let (s, b) = req(&st, t(Leader), "GET", "/api/views", Value::Null).await;
        if s == 429 {
            limited = Some(String::from_utf8_lossy(&b).to_string());
            break;
        }
    }
    assert!(
        limited.is_some_and(|m| m.contains("requests a second")),
        "no 429 within 20,000 requests"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_tokens_are_refused_and_revoking_every_token_does_not_open_the_server() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    let gpkg = demo_workspace(d, 21);
    for ws in each_backend(d, &gpkg, "expired_tokens") {
        expired_tokens(d, &ws).await;
    }
}

// Long: a token through its life, then every token revoked.
async fn expired_tokens(d: &std::path::Path, ws: &Backend) {
    let (ok, out) = wangge(
        &[
            "token",
            "create",
            ws.arg(),
            "--role",
            "leader",
            "--name",
            "wall",
            "--expires",
            "30d",
        ],
        d,
    );
    assert!(ok, "{out}");
    let secret = out.lines().nth(1).expect("secret").trim().to_string();
    let (ok, out) = wangge(
        &[
            "token",
            "create",
            ws.arg(),
            "--role",
            "leader",
            "--name",
            "old",
            "--expires",
            "2020-01-01",
        ],
        d,
    );
    assert!(!ok && out.contains("in the past"), "{out}");
    let st = ws.state();
    assert_eq!(
        req(&st, Some(&secret), "GET", "/api/kpi", Value::Null)
            .await
            .0,
        200
    );
    // A month later (the expiry moved into the past): refused, with the reason.
    ws.exec(
        "UPDATE access_tokens SET expires = '2026-01-01T00:00:00Z'",
        "UPDATE {s}.tokens SET expires = '2026-01-01T00:00:00Z'",
    );
    off_runtime(|| st.access.reload(&ws.ws)).expect("reload");
    let (s, b) = req(&st, Some(&secret), "GET", "/api/kpi", Value::Null).await;
    let text = String::from_utf8_lossy(&b);
    assert_eq!(s, 401, "{text}");
    assert!(text.contains("expired at 2026-01-01T00:00:00Z"), "{text}");
    let (ok, out) = wangge(&["token", "list", ws.arg()], d);
    assert!(ok && out.contains("expired"), "{out}");
    // Every token revoked: still closed (requests without a token see the basemap only).
    let (ok, out) = wangge(&["token", "revoke", ws.arg(), "1"], d);
    assert!(ok, "{out}");
    off_runtime(|| st.access.reload(&ws.ws)).expect("reload");
    assert!(st.access.enforced());
    for uri in [
        "/api/incidents",
        "/api/plans",
        "/api/kpi",
        "/heat/14/0/0.png",
    ] {
        assert_eq!(
            req(&st, None, "GET", uri, Value::Null).await.0,
            401,
            "{uri}"
        );
    }
    assert_eq!(
        req(&st, None, "GET", "/style.json", Value::Null).await.0,
        200
    );
}

/// An 18-character resident ID number with a valid check character (GB 11643), made up.
fn id_number(n: usize) -> String {
    let digits = format!(
        "3201021980{:02}{:02}{:03}",
        1 + n % 12,
        10 + n % 18,
        n % 1000
    );
    let check = wangge_core::personal::id_check_character(&digits).expect("17 digits");
    format!("{digits}{check}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn residents_personal_fields_are_shown_by_role_masked_or_not_at_all_and_audited() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    let ws = demo_workspace(d, 23);
    let store = wangge_io::GeoPackage::open(&ws).expect("open");
    let data = store.load().expect("load");
    let (c_other, c_own, own_street) = two_streets(&store, &data);
    let plan = store.latest_plan().expect("plan").expect("a plan");
    let community_of: std::collections::HashMap<String, String> =
        store.plan_grids(plan).expect("grids").into_iter().collect();
    let members = store.plan_members(plan).expect("members");
    // Address points with a single grid: 6 in the own community, 4 in the other.
    let mut grids_of: std::collections::HashMap<&str, Vec<&str>> = Default::default();
    for (key, grid, _) in &members {
        grids_of.entry(key).or_default().push(grid);
    }
    let pick = |c: &str, n: usize| -> Vec<(String, String)> {
        let mut v: Vec<(String, String)> = grids_of
            .iter()
            .filter(|(_, g)| g.len() == 1 && community_of[g[0]] == c)
            .map(|(k, g)| (k.to_string(), g[0].to_string()))
            .collect();
        v.sort();
        v.truncate(n);
        v
    };
    let own = pick(&c_own, 6);
    let other = pick(&c_other, 4);
    let g_own = own[0].1.clone();
    let surnames = ["张", "王", "李", "赵", "陈", "刘", "杨", "黄", "周", "吴"];
    let mut csv = String::from("地址编码,姓名,联系电话,身份证号\n");
    for (i, (key, _)) in own.iter().chain(&other).enumerate() {
        csv.push_str(&format!(
            "{key},{}小{},1381234{:04},{}\n",
            surnames[i],
            ["明", "红", "刚", "丽", "强", "芳", "军", "霞", "伟", "静"][i],
            5000 + i,
            id_number(i)
        ));
    }
    // A bad register: a wrong check character and an unknown address. Nothing lands, and
    // the error names the rows by address, never by name or number.
    let bad = csv.replacen(&id_number(1), &format!("{}0", &id_number(1)[..17]), 1)
        + "NO-SUCH-ADDRESS,钱某,13800000000,\n";
    std::fs::write(d.join("bad.csv"), &bad).expect("csv");
    drop(store);
    let reg = Register {
        own,
        other,
        c_own,
        c_other,
        own_street,
        g_own,
        plan,
        csv,
    };
    for ws in each_backend(d, &ws, "residents") {
        residents_story(d, &ws, &reg).await;
    }
}

/// The register a residents test imports, and where its rows lie.
struct Register {
    own: Vec<(String, String)>,
    other: Vec<(String, String)>,
    c_own: String,
    c_other: String,
    own_street: String,
    g_own: String,
    plan: i64,
    csv: String,
}

// Long: a register imported (refused twice, then whole) and read by each role.
async fn residents_story(d: &std::path::Path, ws: &Backend, reg: &Register) {
    let Register {
        own,
        other,
        c_own,
        c_other,
        own_street,
        g_own,
        plan,
        csv,
    } = reg;
    let store = ws.store();
    let (ok, out) = wangge(&["residents", "import", ws.arg(), "bad.csv"], d);
    assert!(!ok, "{out}");
    assert!(
        out.contains("bad.csv") && out.contains("row 2 (address"),
        "{out}"
    );
    assert!(out.contains("check character"), "{out}");
    assert!(
        !out.contains("王小红"),
        "no personal field in the error: {out}"
    );
    assert_eq!(
        off_runtime(|| store.resident_count()).expect("count"),
        0,
        "nothing landed"
    );
    std::fs::write(
        d.join("unknown.csv"),
        format!("{csv}NO-SUCH-ADDRESS,钱某,,\n"),
    )
    .expect("csv");
    let (ok, out) = wangge(&["residents", "import", ws.arg(), "unknown.csv"], d);
    assert!(!ok && out.contains("NO-SUCH-ADDRESS"), "{out}");
    assert_eq!(
        off_runtime(|| store.resident_count()).expect("count"),
        0,
        "nothing landed"
    );
    std::fs::write(d.join("register.csv"), csv).expect("csv");
    let (ok, out) = wangge(&["residents", "import", ws.arg(), "register.csv"], d);
    assert!(ok, "{out}");
    assert_eq!(off_runtime(|| store.resident_count()).expect("count"), 10);

    let mut tok = std::collections::HashMap::new();
    for (role, scope) in [
        (Role::Admin, "*".to_string()),
        (Role::Planner, own_street.clone()),
        (Role::StreetOffice, own_street.clone()),
        (Role::Leader, "*".into()),
        (Role::GridWorker, g_own.clone()),
    ] {
        let (_, secret) =
            off_runtime(|| store.create_token(&format!("{role} test"), role, &scope, None))
                .expect("token");
        tok.insert(role, secret);
    }
    let st = ws.state();
    let get = |r: Option<Role>, uri: &str| {
        let t = r.map(|r| tok[&r].clone());
        let st = st.clone();
        let uri = uri.to_string();
        async move {
            let (s, b) = req(&st, t.as_deref(), "GET", &uri, Value::Null).await;
            (s, json_of(&b))
        }
    };
    use Role::*;
    // Admin: everyone, in full.
    let (s, v) = get(Some(Admin), "/api/residents?limit=1000").await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["total"], 10);
    assert_eq!(v["masked"], false);
    assert!(
        v["residents"][0]["id_number"]
            .as_str()
            .is_some_and(|i| !i.contains('*'))
    );
    // Grid worker: its grid only, in full; another grid is refused.
    let (s, v) = get(Some(GridWorker), "/api/residents").await;
    assert_eq!(s, 200, "{v}");
    let in_grid = own.iter().filter(|(_, g)| g == g_own).count();
    assert_eq!(v["total"].as_u64(), Some(in_grid as u64), "{v}");
    assert!(v["residents"].as_array().is_some_and(|l| {
        l.iter().all(|r| {
            r["grids"][0] == g_own.as_str() && r["phone"].as_str().is_some_and(|p| !p.contains('*'))
        })
    }));
    let (s, _) = get(
        Some(GridWorker),
        &format!("/api/residents?grid={}", other[0].1),
    )
    .await;
    assert_eq!(s, 403);
    // Street office: its street only, masked.
    let (s, v) = get(Some(StreetOffice), "/api/residents?limit=1000").await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["total"], 6, "{v}");
    assert_eq!(v["masked"], true);
    for r in v["residents"].as_array().expect("list") {
        let name = r["name"].as_str().expect("name");
        assert!(name.chars().count() == 3 && name.ends_with("**"), "{name}");
        assert!(
            r["phone"].as_str().is_some_and(|p| p.contains("****")),
            "{r}"
        );
        let id = r["id_number"].as_str().expect("id");
        assert!(
            id.len() == 18 && id[3..14].chars().all(|c| c == '*'),
            "{id}"
        );
        assert_eq!(r["community"], c_own.as_str());
    }
    let (s, _) = get(
        Some(StreetOffice),
        &format!("/api/residents?community={c_other}"),
    )
    .await;
    assert_eq!(s, 403);
    // Planners and leaders work with counts; without a token, nothing.
    assert_eq!(get(Some(Planner), "/api/residents").await.0, 403);
    assert_eq!(get(Some(Leader), "/api/residents").await.0, 403);
    assert_eq!(get(None, "/api/residents").await.0, 401);
    assert_eq!(get(Some(Admin), "/api/residents?limit=5000").await.0, 400);
    // No answer other than /api/residents carries a name: plan exports, the planner's
    // grids, incident lists.
    for uri in [
        format!("/api/plans/{plan}/export/geojson"),
        format!("/api/plans/{plan}/export/csv"),
        format!("/api/plans/{plan}/grids"),
        "/api/incidents?limit=10000".to_string(),
    ] {
        let (s, b) = req(&st, Some(&tok[&Admin]), "GET", &uri, Value::Null).await;
        assert_eq!(s, 200, "{uri}");
        let text = String::from_utf8_lossy(&b);
        assert!(
            !text.contains("小明") && !text.contains(&id_number(0)),
            "{uri}"
        );
    }
    // Every read is in the audit log, saying whether it was masked.
    let log = off_runtime(|| store.audit_log(100)).expect("audit");
    let reads: Vec<&[String; 5]> = log.iter().filter(|e| e[3] == "residents.read").collect();
    assert!(reads.len() >= 3, "{log:?}");
    assert!(
        reads
            .iter()
            .any(|e| e[2] == "street_office" && e[4].contains("masked"))
    );
    assert!(
        reads
            .iter()
            .any(|e| e[2] == "grid_worker" && e[4].contains("in full"))
    );
    assert!(log.iter().any(|e| e[3] == "residents.import"));
}

/// A building for the 3D view: storeys, grid and entrances to any role with aggregates; its
/// households to a planner or street office (and an admin), never to a leader; nothing
/// without a token.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_buildings_households_go_only_to_roles_that_may_see_them() {
    let dir = tempfile::tempdir().expect("tmp");
    let ws = crate::util::demo_workspace(dir.path(), 5);
    let store = wangge_io::GeoPackage::open(&ws).expect("open");
    let data = store.load().expect("load");
    // The last community goes to another street.
    let other = data.communities.last().expect("communities").key.clone();
    assert_ne!(other, data.communities[0].key);
    wangge_io::gpkg::testing::execute(
        &store,
        "UPDATE communities SET street = '另一街道' WHERE key = ?1",
        &[&other],
    )
    .expect("street");
    let data = store.load().expect("load");
    // A residential building of the first community's street (by the plan's grids).
    let street = data.communities[0].street.clone().expect("street");
    let mine: Vec<&str> = data
        .communities
        .iter()
        .filter(|c| c.street.as_deref() == Some(street.as_str()))
        .map(|c| c.key.as_str())
        .collect();
    let plan = store.latest_plan().expect("plan").expect("a plan");
    let grid_community: std::collections::HashMap<String, String> =
        store.plan_grids(plan).expect("grids").into_iter().collect();
    let in_street: std::collections::HashSet<String> = store
        .plan_members(plan)
        .expect("members")
        .into_iter()
        .filter(|(_, g, _)| {
            grid_community
                .get(g)
                .is_some_and(|c| mine.contains(&c.as_str()))
        })
        .map(|(k, _, _)| k)
        .collect();
    let b = data
        .buildings
        .iter()
        .find(|b| {
            b.households > 0
                && data
                    .address_points
                    .iter()
                    .filter(|a| a.building.as_deref() == Some(b.key.as_str()))
                    .all(|a| in_street.contains(&a.key))
        })
        .expect("a residential building of the street")
        .clone();
    drop(store);
    for ws in each_backend(dir.path(), &ws, "building_households") {
        building_households(&ws, &b, &street).await;
    }
}

// Long: one building asked for by each role, each answer checked.
async fn building_households(ws: &Backend, b: &wangge_core::Building, street: &str) {
    let (leader, planner, elsewhere) = off_runtime(|| {
        let store = ws.store();
        let make = |name: &str, role: Role, scope: &str| {
            store
                .create_token(name, role, scope, None)
                .expect("token")
                .1
        };
        (
            make("wall", Role::Leader, "*"),
            make("planner", Role::Planner, street),
            make("elsewhere", Role::StreetOffice, "另一街道"),
        )
    });
    let st = ws.state();
    let uri = format!("/api/buildings/{}", b.key);
    let get = |token: Option<String>| {
        let (st, uri) = (st.clone(), uri.clone());
        async move {
            let (s, body) =
                crate::util::call_as(&st, token.as_deref(), "GET", &uri, serde_json::Value::Null)
                    .await;
            (
                s,
                serde_json::from_slice::<serde_json::Value>(&body).unwrap_or_default(),
            )
        }
    };
    let (s, p) = get(Some(planner)).await;
    assert_eq!(s, 200, "{p}");
    assert_eq!(p["households"], u64::from(b.households), "{p}");
    assert!(p["grid"].is_string(), "{p}");
    assert!(
        p["entrances"].as_array().is_some_and(|e| !e.is_empty()),
        "{p}"
    );
    let (s, l) = get(Some(leader)).await;
    assert_eq!(s, 200, "{l}");
    assert_eq!(l["households"], serde_json::Value::Null, "{l}");
    assert!(
        l["entrances"]
            .as_array()
            .expect("entrances")
            .iter()
            .all(|e| e["households"].is_null()),
        "{l}"
    );
    assert_eq!(l["grid"], p["grid"]);
    // A street office of another street: the building, not its households.
    let (s, o) = get(Some(elsewhere)).await;
    assert_eq!(s, 200, "{o}");
    assert_eq!(o["households"], serde_json::Value::Null, "{o}");
    let (s, _) = get(None).await;
    assert_eq!(s, 401);
}

/// The basemap anyone may read holds buildings without their grid (the plan's layout is for
/// roles with a token); a planner's tiles carry it for the 3D view.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn public_building_tiles_carry_no_grid() {
    let dir = tempfile::tempdir().expect("tmp");
    let gpkg = crate::util::demo_workspace(dir.path(), 5);
    for ws in each_backend(dir.path(), &gpkg, "building_tiles") {
        building_tiles(&ws).await;
    }
}

// Long: one building tile read without a token and as a planner.
async fn building_tiles(ws: &Backend) {
    let (data, planner) = off_runtime(|| {
        let store = ws.store();
        let data = store.load().expect("load");
        let street = data.communities[0].street.clone().expect("street");
        let (_, planner) = store
            .create_token("planner", Role::Planner, &street, None)
            .expect("token");
        (data, planner)
    });
    let st = ws.state();
    let at = data.address_points[0].location;
    let w = wangge_tiles::mvt::world(at.x(), at.y());
    let uri = format!(
        "/tiles/buildings/15/{}/{}.mvt",
        (w[0] * 32768.0) as u64,
        (w[1] * 32768.0) as u64
    );
    let grids_in = |token: Option<String>| {
        let (st, uri) = (st.clone(), uri.clone());
        async move {
            let (s, body) =
                crate::util::call_as(&st, token.as_deref(), "GET", &uri, Value::Null).await;
            assert_eq!(s, 200, "{uri}");
            let bytes = if body.starts_with(&[0x1f, 0x8b]) {
                let mut out = Vec::new();
                std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&body[..]), &mut out)
                    .expect("gunzip");
                out
            } else {
                body
            };
            let tile =
                wangge_tiles::mvt::validate(&bytes, &wangge_tiles::mvt::Rules { buffer: None })
                    .expect("a valid tile");
            let buildings = tile
                .layers
                .iter()
                .find(|l| l.name == "buildings")
                .expect("buildings");
            (
                buildings.features.len(),
                buildings
                    .features
                    .iter()
                    .filter(|f| f.prop("grid").is_some())
                    .count(),
            )
        }
    };
    let (n, with_grid) = grids_in(None).await;
    assert!(n > 0);
    assert_eq!(with_grid, 0, "public building tiles name grids");
    let (n, with_grid) = grids_in(Some(planner)).await;
    assert!(n > 0 && with_grid > 0, "{with_grid} of {n}");
}

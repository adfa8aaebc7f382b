//! Access control: a role × route × scope matrix over the router (tokens made in the
//! workspace, sent as `Authorization: Bearer`), attempts to read another street's data
//! through filters, tiles and id guessing, revoked and unknown tokens, the audit log and the
//! rate limit; expired tokens; a workspace whose tokens are all revoked stays closed.

use crate::util::{demo_workspace, wangge};
use serde_json::{Value, json};
use wangge_core::access::Role;

async fn req(
    st: &wangge_server::AppState,
    token: Option<&str>,
    method: &str,
    uri: &str,
    body: Value,
) -> (u16, Vec<u8>) {
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let mut b = axum::http::Request::builder()
        .method(method)
        .uri(uri)
        .header("content-type", "application/json");
    if let Some(t) = token {
        b = b.header("authorization", format!("Bearer {t}"));
    }
    let body = if body.is_null() {
        String::new()
    } else {
        body.to_string()
    };
    let r = wangge_server::router(st.clone())
        .oneshot(b.body(axum::body::Body::from(body)).expect("request"))
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

#[tokio::test]
async fn roles_and_scopes_decide_every_answer() {
    let dir = tempfile::tempdir().expect("tmp");
    let ws = demo_workspace(dir.path(), 11);
    let (ok, out) = wangge(&["incidents", "assign", "w.gpkg"], dir.path());
    assert!(ok, "{out}");
    let store = wangge_io::Store::open(&ws).expect("open");
    let data = store.load().expect("load");
    // Two streets: the demo's first community moves to a second street.
    let (c_other, c_own) = (
        data.communities[0].key.clone(),
        data.communities[1].key.clone(),
    );
    store
        .connection()
        .execute(
            "UPDATE communities SET street = '北京街道' WHERE key = ?1",
            [&c_other],
        )
        .expect("street");
    let own_street = data.communities[1].street.clone().expect("street");
    let plan = store.latest_plan().expect("plan").expect("a plan");
    let grids = store.plan_grids(plan).expect("grids");
    let grid_in = |c: &str| {
        grids
            .iter()
            .find(|(_, gc)| gc == c)
            .map(|(g, _)| g.clone())
            .expect("grid")
    };
    let (g_own, g_other) = (grid_in(&c_own), grid_in(&c_other));
    let mut tok = std::collections::HashMap::new();
    for (role, scope) in [
        (Role::Admin, "*".to_string()),
        (Role::Planner, own_street.clone()),
        (Role::StreetOffice, own_street.clone()),
        (Role::Leader, "*".into()),
        (Role::GridWorker, g_own.clone()),
        (Role::Public, "*".into()),
    ] {
        let (_, secret) = store
            .create_token(&format!("{role} test"), role, &scope, None)
            .expect("token");
        tok.insert(role, secret);
    }
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
    let st = wangge_server::AppState::open(ws.clone(), true).expect("state");
    let t = |r: Role| Some(tok[&r].as_str());

    // Incidents of each street and grid, for id guessing.
    let all = store.kpi_cases().expect("cases");
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
            store.assigner().expect("assigner").assign(&mut probe);
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
            store.assigner().expect("assigner").assign(&mut probe);
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
        (
            Some(StreetOffice),
            "PATCH",
            format!("/api/incidents/{in_own}"),
            json!({"status": "closed"}),
            403,
        ),
        (
            Some(StreetOffice),
            "POST",
            "/api/plans/1/edits".into(),
            json!({"op": "split", "grid": g_own}),
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
            json!({"op": "split", "grid": g_own}),
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
    let log = store.audit_log(100).expect("log");
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

#[tokio::test]
async fn expired_tokens_are_refused_and_revoking_every_token_does_not_open_the_server() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    let ws = demo_workspace(d, 21);
    let (ok, out) = wangge(
        &[
            "token",
            "create",
            "w.gpkg",
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
            "w.gpkg",
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
    let st = wangge_server::AppState::open(ws.clone(), true).expect("state");
    assert_eq!(
        req(&st, Some(&secret), "GET", "/api/kpi", Value::Null)
            .await
            .0,
        200
    );
    // A month later (the expiry moved into the past): refused, with the reason.
    let store = wangge_io::Store::open(&ws).expect("open");
    store
        .connection()
        .execute(
            "UPDATE access_tokens SET expires = '2026-01-01T00:00:00Z'",
            [],
        )
        .expect("age the token");
    st.access.reload(&ws).expect("reload");
    let (s, b) = req(&st, Some(&secret), "GET", "/api/kpi", Value::Null).await;
    let text = String::from_utf8_lossy(&b);
    assert_eq!(s, 401, "{text}");
    assert!(text.contains("expired at 2026-01-01T00:00:00Z"), "{text}");
    let (ok, out) = wangge(&["token", "list", "w.gpkg"], d);
    assert!(ok && out.contains("expired"), "{out}");
    // Every token revoked: still closed (requests without a token see the basemap only).
    let (ok, out) = wangge(&["token", "revoke", "w.gpkg", "1"], d);
    assert!(ok, "{out}");
    st.access.reload(&ws).expect("reload");
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

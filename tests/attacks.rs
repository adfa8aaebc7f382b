//! Attacks of the second security round, each performed against the router as a client
//! would: two planners editing the same version (lost edits), a street's planner restoring
//! or naming versions that change another street's grids. (Step times out of order or in
//! the future: tests/incidents.rs.)

use crate::util::demo_workspace;
use serde_json::{Value, json};
use wangge_core::access::Role;
use wangge_io::store::prelude::*;

async fn req(
    st: &wangge_server::AppState,
    token: Option<&str>,
    method: &str,
    uri: &str,
    body: Value,
) -> (u16, Value) {
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
    let bytes = r.into_body().collect().await.expect("body").to_bytes();
    (s, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

/// Two grids of the plan that a split divides (the most buildings), in two communities.
fn fullest_grids(store: &wangge_io::GeoPackage, plan: i64) -> Vec<(String, String)> {
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

#[tokio::test]
async fn a_stale_edit_is_refused_and_a_branch_is_kept_aside() {
    let dir = tempfile::tempdir().expect("tmp");
    let ws = demo_workspace(dir.path(), 21);
    let st = wangge_server::AppState::open(ws.clone(), true).expect("state");
    let store = wangge_io::GeoPackage::open(&ws).expect("open");
    let base = store.latest_plan().expect("plan").expect("a plan");
    let g = fullest_grids(&store, base);

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
    let plans = store.plans().expect("plans");
    assert_eq!(plans.len(), 2, "the stale edit wrote nothing");
    assert_eq!(store.latest_plan().expect("plan"), Some(current));

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
        store.latest_plan().expect("plan"),
        Some(current),
        "a branch is not current"
    );
    assert!(
        store
            .plans()
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
        &["plan", "edit", "w.gpkg", "--from", &old, "split", &g[1].0],
        dir.path(),
    );
    assert!(!ok && out.contains("--branch"), "{out}");
    let (ok, out) = crate::util::wangge(
        &[
            "plan", "edit", "w.gpkg", "--from", &old, "--branch", "split", &g[1].0,
        ],
        dir.path(),
    );
    assert!(ok, "{out}");
}

#[tokio::test]
async fn a_street_planner_cannot_restore_or_name_changes_of_another_street() {
    let dir = tempfile::tempdir().expect("tmp");
    let ws = demo_workspace(dir.path(), 22);
    let store = wangge_io::GeoPackage::open(&ws).expect("open");
    let data = store.load().expect("load");
    let v1 = store.latest_plan().expect("plan").expect("a plan");
    let g = fullest_grids(&store, v1);
    // The community of the second grid goes to another street.
    wangge_io::gpkg::testing::execute(
        &store,
        "UPDATE communities SET street = '北京街道' WHERE key = ?1",
        &[&g[1].1],
    )
    .expect("street");
    let own_street = data
        .communities
        .iter()
        .find(|c| c.key == g[0].1)
        .and_then(|c| c.street.clone())
        .expect("street");
    assert_ne!(g[0].1, g[1].1, "two communities");
    let (_, planner) = store
        .create_token("own street", Role::Planner, &own_street, None)
        .expect("token");
    let (_, admin) = store
        .create_token("district", Role::Admin, "*", None)
        .expect("token");
    let st = wangge_server::AppState::open(ws.clone(), true).expect("state");

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
        store.latest_plan().expect("plan"),
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
    let audit = wangge_io::gpkg::testing::row(
        &store,
        "SELECT count(*) FROM audit_log WHERE action = 'plan.name' AND detail LIKE ?1",
        &[&format!("plan {v3} named%")],
    )[0]
    .int();
    assert_eq!(audit, 1);
}

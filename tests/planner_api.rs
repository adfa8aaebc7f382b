//! The planner mode's API on a generated demo workspace: grids with their figures, edits
//! (split, move, refused merge), undo through restore, comparison, naming, partial
//! re-partition with a lock, and every export format read back.

use crate::util::{Backend, call, demo_workspace, each_backend, off_runtime};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use wangge_io::store::prelude::*;

struct Api(wangge_server::AppState);

impl Api {
    async fn get(&self, uri: &str) -> (u16, Value) {
        let (s, b) = call(&self.0, "GET", uri, "", "").await;
        (
            s.as_u16(),
            serde_json::from_slice(&b)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&b).into())),
        )
    }
    async fn send(&self, method: &str, uri: &str, body: Value) -> (u16, Value) {
        let (s, b) = call(&self.0, method, uri, "application/json", &body.to_string()).await;
        (
            s.as_u16(),
            serde_json::from_slice(&b)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&b).into())),
        )
    }
    /// code → (community, households) of a plan's grids.
    async fn grids(&self, plan: i64) -> BTreeMap<String, (String, u64)> {
        let (s, v) = self.get(&format!("/api/plans/{plan}/grids")).await;
        assert_eq!(s, 200, "{v}");
        v["features"]
            .as_array()
            .expect("features")
            .iter()
            .map(|f| {
                let p = &f["properties"];
                (
                    p["code"].as_str().expect("code").to_string(),
                    (
                        p["community"].as_str().expect("community").to_string(),
                        p["households"].as_u64().expect("households"),
                    ),
                )
            })
            .collect()
    }
}

fn buildings_of(ws: &Backend, plan: i64, grid: &str) -> Vec<String> {
    let (members, data) = off_runtime(|| {
        let store = ws.store();
        (
            store.plan_members(plan).expect("members"),
            store.load().expect("load"),
        )
    });
    let mut out: Vec<String> = data
        .address_points
        .iter()
        .filter(|a| members.iter().any(|(k, g, _)| k == &a.key && g == grid))
        .filter_map(|a| a.building.clone())
        .collect();
    out.sort();
    out.dedup();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_planner_edits_undoes_compares_names_and_exports_plans() {
    let dir = tempfile::tempdir().expect("tmp");
    let gpkg = demo_workspace(dir.path(), 5);
    for ws in each_backend(dir.path(), &gpkg, "planner_story") {
        planner_story(dir.path(), &ws).await;
    }
}

// Long: one planner's session through the API, each answer checked.
async fn planner_story(dir: &std::path::Path, ws: &Backend) {
    let api = Api(ws.state());

    let (s, list) = api.get("/api/plans").await;
    assert_eq!(s, 200);
    assert_eq!(list["plans"].as_array().map(Vec::len), Some(1), "{list}");
    let g1 = api.grids(1).await;
    assert_eq!(
        g1.len() as u64,
        list["plans"][0]["grids"].as_u64().expect("grids")
    );
    let total: u64 = g1.values().map(|g| g.1).sum();
    assert_eq!(
        total,
        list["plans"][0]["households"].as_u64().expect("households")
    );
    assert!(g1.values().all(|g| g.1 <= 200));

    // A merge of two grids of one community over the cap is refused with the reason, and
    // stores nothing.
    let (community, _) = g1.values().next().expect("a grid").clone();
    let mut same: Vec<(&String, &u64)> = g1
        .iter()
        .filter(|(_, g)| g.0 == community)
        .map(|(c, g)| (c, &g.1))
        .collect();
    same.sort_by_key(|x| std::cmp::Reverse(*x.1));
    let (full_a, full_b) = (same[0].0.clone(), same[1].0.clone());
    let (s, why) = api
        .send(
            "POST",
            "/api/plans/1/edits",
            json!({"op": "merge", "a": full_a, "b": full_b}),
        )
        .await;
    assert_eq!(s, 422, "{why}");
    // RFC 9457 problem details: the English detail, and the code and values a client
    // translates by.
    assert!(
        why["detail"]
            .as_str()
            .is_some_and(|w| w.contains("over the cap of 200")),
        "{why}"
    );
    assert_eq!(why["code"], "plan.over_cap", "{why}");
    assert_eq!(why["params"]["cap"], "200", "{why}");
    assert_eq!(why["status"], 422, "{why}");
    let (s, why) = api
        .send(
            "POST",
            "/api/plans/1/edits",
            json!({"op": "split", "grid": "NO-SUCH"}),
        )
        .await;
    assert_eq!(s, 422);
    assert!(
        why["detail"]
            .as_str()
            .is_some_and(|w| w.contains("no grid NO-SUCH")),
        "{why}"
    );
    assert_eq!(why["code"], "edit.no_grid", "{why}");
    assert_eq!(why["params"]["grid"], "NO-SUCH", "{why}");
    let (s, _) = api
        .send("POST", "/api/plans/1/edits", json!({"op": "rotate"}))
        .await;
    assert_eq!(s, 400);
    let (s, _) = api.get("/api/plans/99/grids").await;
    assert_eq!(s, 404);
    assert_eq!(
        api.get("/api/plans").await.1["plans"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );

    // Split the fullest grid: plan 2 has one grid more and the same households.
    let (s, split) = api
        .send(
            "POST",
            "/api/plans/1/edits",
            json!({"op": "split", "grid": full_a}),
        )
        .await;
    assert_eq!(s, 201, "{split}");
    assert_eq!(split["plan"], 2);
    let g2 = api.grids(2).await;
    assert_eq!(g2.len(), g1.len() + 1);
    assert_eq!(g2.values().map(|g| g.1).sum::<u64>(), total);
    let halves: Vec<String> = split["changed"]
        .as_array()
        .expect("changed")
        .iter()
        .filter_map(|c| c.as_str().map(str::to_string))
        .collect();
    assert_eq!(halves.len(), 2, "{split}");

    // Move a building from one half to the other: the first the server accepts.
    let (from, to) = (&halves[0], &halves[1]);
    let mut moved = None;
    for b in buildings_of(ws, 2, from) {
        let (s, v) = api
            .send(
                "POST",
                "/api/plans/2/edits",
                json!({"op": "move", "buildings": [b], "to": to}),
            )
            .await;
        if s == 201 {
            moved = Some(v);
            break;
        }
        assert_eq!(s, 422, "{v}");
    }
    let moved = moved.expect("some building of one half can move to the other");
    let p3 = moved["plan"].as_i64().expect("plan");
    let hh = moved["moved_households"].as_u64().expect("moved");
    assert!(hh > 0);
    let g3 = api.grids(p3).await;
    assert_eq!(
        g3[to].1,
        g2[to].1 + hh,
        "the target grid gained the moved households"
    );
    assert_eq!(g3.get(from).map_or(0, |g| g.1), g2[from].1 - hh);
    assert_eq!(g3.values().map(|g| g.1).sum::<u64>(), total);

    // Compare 2 → 3 lists the same move; undo (restore plan 2) brings its counts back.
    let (s, cmp) = api.get(&format!("/api/plans/compare?a=2&b={p3}")).await;
    assert_eq!(s, 200);
    assert_eq!(cmp["moved_households"].as_u64(), Some(hh));
    assert!(
        cmp["moves"]
            .as_array()
            .is_some_and(|m| m.iter().all(|m| m["from"] == *from && m["to"] == *to)),
        "{cmp}"
    );
    let (s, undo) = api.send("POST", "/api/plans/2/restore", json!({})).await;
    assert_eq!(s, 201, "{undo}");
    let p4 = undo["plan"].as_i64().expect("plan");
    assert_eq!(
        undo["moved_households"].as_u64(),
        Some(hh),
        "undo moves them back"
    );
    assert_eq!(api.grids(p4).await, g2);
    // The tiles follow the newest plan at once.
    assert!(
        api.0
            .source()
            .expect("source")
            .version()
            .starts_with(&format!("p{p4}"))
    );

    // Name a version; it is listed with its parent.
    let (s, _) = api
        .send(
            "PUT",
            &format!("/api/plans/{p3}/name"),
            json!({"name": " 方案A "}),
        )
        .await;
    assert_eq!(s, 200);
    let plans = api.get("/api/plans").await.1;
    let row = plans["plans"]
        .as_array()
        .expect("plans")
        .iter()
        .find(|p| p["id"] == p3)
        .expect("row")
        .clone();
    assert_eq!(row["name"], "方案A");
    assert_eq!(row["parent"], 2);

    // Re-partition one community keeping one grid locked: the locked grid keeps its members,
    // other communities keep theirs.
    let other: String = g2
        .iter()
        .find(|(_, g)| g.0 != community)
        .map(|(c, _)| c.clone())
        .expect("another community");
    let locked: String = g2
        .iter()
        .find(|(c, g)| g.0 == community && !halves.contains(c))
        .map(|(c, _)| c.clone())
        .expect("a grid");
    let (s, part) = api
        .send(
            "POST",
            &format!("/api/plans/{p4}/partition"),
            json!({"community": community, "locks": [locked]}),
        )
        .await;
    assert_eq!(s, 201, "{part}");
    let p5 = part["plan"].as_i64().expect("plan");
    let store = ws.store();
    let members = |p: i64, g: &str| -> Vec<String> {
        let mut v: Vec<String> = off_runtime(|| store.plan_members(p))
            .expect("members")
            .into_iter()
            .filter(|m| m.1 == g)
            .map(|m| m.0)
            .collect();
        v.sort();
        v
    };
    assert_eq!(members(p5, &locked), members(p4, &locked));
    assert_eq!(members(p5, &other), members(p4, &other));
    let (s, e) = api
        .send(
            "POST",
            &format!("/api/plans/{p4}/partition"),
            json!({"community": community, "locks": ["XX"]}),
        )
        .await;
    assert_eq!(s, 400, "{e}");

    // Exports: GeoPackage (opened as a workspace), zipped Shapefile, GeoJSON, CSV report.
    for (format, check) in [("gpkg", 0), ("shp", 1), ("geojson", 2), ("csv", 3)] {
        let (s, bytes) = call(
            &api.0,
            "GET",
            &format!("/api/plans/{p3}/export/{format}"),
            "",
            "",
        )
        .await;
        assert_eq!(s.as_u16(), 200, "{format}");
        let path = dir.join(format!("out.{format}"));
        std::fs::write(&path, &bytes).expect("write");
        match check {
            0 => {
                let out = wangge_io::GeoPackage::open(&path).expect("a GeoPackage");
                assert_eq!(out.plan_grid_rows(p3).expect("grids").len(), g3.len());
            }
            1 => {
                let out = std::process::Command::new("python3")
                    .args(["-c", "import sys, zipfile; print(sorted(n.rsplit('.', 1)[1] for n in zipfile.ZipFile(sys.argv[1]).namelist()))"])
                    .arg(&path)
                    .output()
                    .expect("python3");
                assert_eq!(
                    String::from_utf8_lossy(&out.stdout).trim(),
                    "['cpg', 'dbf', 'prj', 'shp', 'shx']",
                    "{}",
                    String::from_utf8_lossy(&out.stderr)
                );
            }
            2 => {
                let v: Value = serde_json::from_slice(&bytes).expect("GeoJSON");
                assert_eq!(v["features"].as_array().map(Vec::len), Some(g3.len()));
            }
            _ => {
                let text = String::from_utf8(bytes).expect("UTF-8");
                assert!(text.starts_with('\u{feff}'), "BOM for Excel");
                assert_eq!(text.lines().count(), g3.len() + 1);
            }
        }
    }
    let (s, _) = call(&api.0, "GET", "/api/plans/1/export/dwg", "", "").await;
    assert_eq!(s.as_u16(), 404);
}

impl Api {
    /// Applies `edit` to `plan`, requires it accepted, and checks that every grid of `plan`
    /// but `touched` keeps its code and households; returns the new version and its grids.
    async fn edit_keeping(
        &self,
        plan: i64,
        edit: Value,
        touched: &[&str],
    ) -> (i64, BTreeMap<String, (String, u64)>) {
        let before = self.grids(plan).await;
        let (s, out) = self
            .send("POST", &format!("/api/plans/{plan}/edits"), edit.clone())
            .await;
        assert_eq!(s, 201, "{edit}: {out}");
        let id = out["plan"].as_i64().expect("plan");
        let after = self.grids(id).await;
        for (code, g) in before
            .iter()
            .filter(|(c, _)| !touched.contains(&c.as_str()))
        {
            assert_eq!(after.get(code), Some(g), "grid {code} changed in {edit}");
        }
        (id, after)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_split_keeps_every_other_code_and_renumbering_is_explicit() {
    let dir = tempfile::tempdir().expect("tmp");
    let gpkg = demo_workspace(dir.path(), 5);
    for ws in each_backend(dir.path(), &gpkg, "planner_codes") {
        split_codes(&ws).await;
    }
}

// Long: a split, its codes and an explicit renumbering, each answer checked.
async fn split_codes(ws: &Backend) {
    let api = Api(ws.state());
    let g1 = api.grids(1).await;
    let serial = |code: &str| code[code.len() - 3..].parse::<u32>().expect("serial");
    let community = g1.values().next().expect("a grid").0.clone();
    let mut fullest: Vec<(&String, u64)> = g1
        .iter()
        .filter(|(_, g)| g.0 == community)
        .map(|(c, g)| (c, g.1))
        .collect();
    fullest.sort_by_key(|x| std::cmp::Reverse(x.1));
    let (x, y, z) = (
        fullest[0].0.as_str(),
        fullest[1].0.as_str(),
        fullest[2].0.as_str(),
    );
    let top = g1
        .iter()
        .filter(|(_, g)| g.0 == community)
        .map(|(c, _)| serial(c))
        .max()
        .expect("serials");
    let new_codes = |before: &BTreeMap<String, (String, u64)>,
                     after: &BTreeMap<String, (String, u64)>| {
        after
            .keys()
            .filter(|c| !before.contains_key(*c))
            .cloned()
            .collect::<Vec<_>>()
    };

    // A split keeps every other grid's code and households and the split grid's code; the
    // new grid takes the next serial after the community's highest.
    let (p2, g2) = api
        .edit_keeping(1, json!({"op": "split", "grid": x}), &[x])
        .await;
    let n1 = new_codes(&g1, &g2);
    assert_eq!(
        n1.iter().map(|c| serial(c)).collect::<Vec<_>>(),
        vec![top + 1],
        "{n1:?}"
    );
    assert!(g2.contains_key(x), "the split grid's code went");
    let (p3, g3) = api
        .edit_keeping(p2, json!({"op": "split", "grid": y}), &[y])
        .await;
    let n2 = new_codes(&g2, &g3);
    assert_eq!(
        n2.iter().map(|c| serial(c)).collect::<Vec<_>>(),
        vec![top + 2],
        "{n2:?}"
    );
    // Merging the first split back leaves a gap in the serials; a later split does not fill
    // it (a printed map's code never comes back meaning another place).
    let (p4, g4) = api
        .edit_keeping(p3, json!({"op": "merge", "a": x, "b": n1[0]}), &[x, &n1[0]])
        .await;
    assert!(!g4.contains_key(&n1[0]));
    let (p5, g5) = api
        .edit_keeping(p4, json!({"op": "split", "grid": z}), &[z])
        .await;
    let n3 = new_codes(&g4, &g5);
    assert_eq!(
        n3.iter().map(|c| serial(c)).collect::<Vec<_>>(),
        vec![top + 3],
        "{n3:?}"
    );
    // A merge into the smaller grid: the grid named first keeps its code, the other goes
    // (whatever holds more households).
    let (small, big) = if g5[&n2[0]].1 <= g5[y].1 {
        (n2[0].as_str(), y)
    } else {
        (y, n2[0].as_str())
    };
    let (p5, g5) = api
        .edit_keeping(
            p5,
            json!({"op": "merge", "a": small, "b": big}),
            &[small, big],
        )
        .await;
    assert!(g5.contains_key(small) && !g5.contains_key(big), "{g5:?}");

    // Renumbering is its own edit: the community's grids get serials 1..k with households
    // as they were, other communities untouched; a second renumber changes nothing.
    let others: Vec<&str> = g5
        .iter()
        .filter(|(_, g)| g.0 == community)
        .map(|(c, _)| c.as_str())
        .collect();
    let (r, gr) = api
        .edit_keeping(
            p5,
            json!({"op": "renumber", "community": community}),
            &others,
        )
        .await;
    let mut serials: Vec<u32> = gr
        .iter()
        .filter(|(_, g)| g.0 == community)
        .map(|(c, _)| serial(c))
        .collect();
    serials.sort();
    let k = serials.len() as u32;
    assert_eq!(serials, (1..=k).collect::<Vec<_>>());
    let households = |g: &BTreeMap<String, (String, u64)>| {
        let mut v: Vec<u64> = g
            .values()
            .filter(|x| x.0 == community)
            .map(|x| x.1)
            .collect();
        v.sort();
        v
    };
    assert_eq!(households(&gr), households(&g5));
    let (s, out) = api
        .send(
            "POST",
            &format!("/api/plans/{r}/edits"),
            json!({"op": "renumber", "community": community}),
        )
        .await;
    assert_eq!(s, 422, "{out}");
    assert_eq!(out["code"], "edit.no_change", "{out}");
}

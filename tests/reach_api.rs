//! The street-office mode's API on a generated demo workspace: coverage per community and
//! grid, service areas, gaps, siting and what-if, cross-checked against each other.

use crate::util::{call, demo_workspace};
use serde_json::{Value, json};

async fn req(st: &wangge_server::AppState, method: &str, uri: &str, body: Value) -> (u16, Value) {
    let (s, b) = call(st, method, uri, "application/json", &body.to_string()).await;
    let v = serde_json::from_slice(&b)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&b).into()));
    (s.as_u16(), v)
}

fn n(v: &Value) -> u64 {
    v.as_u64().expect("a count")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn coverage_gaps_siting_and_what_if_agree() {
    let dir = tempfile::tempdir().expect("tmp");
    let ws = demo_workspace(dir.path(), 6);
    for b in crate::util::each_backend(dir.path(), &ws, "reach_agree") {
        reach_agrees(&b.state()).await;
    }
}

// Long: coverage, service areas, gaps, siting and what-if cross-checked one after another.
async fn reach_agrees(st: &wangge_server::AppState) {
    let st = st.clone();
    let (s, cat) = req(&st, "GET", "/api/reach", Value::Null).await;
    assert_eq!(s, 200, "{cat}");
    assert!(
        cat["categories"]
            .as_array()
            .is_some_and(|c| c.iter().any(|c| c["code"] == "kindergarten"))
    );
    let total = n(&cat["households"]);

    // Coverage grows with the minutes; communities and grids add up to the district.
    let mut last = 0;
    for m in [5, 10, 15] {
        let (s, c) = req(
            &st,
            "GET",
            &format!("/api/reach/coverage?category=kindergarten&minutes={m}"),
            Value::Null,
        )
        .await;
        assert_eq!(s, 200, "{c}");
        assert_eq!(n(&c["households"]), total);
        let covered = n(&c["covered"]);
        assert!(covered >= last, "{m} min: {covered} < {last}");
        last = covered;
        let by_community: u64 = c["communities"]
            .as_array()
            .expect("rows")
            .iter()
            .map(|r| n(&r["covered"]))
            .sum();
        let by_grid: u64 = c["grids"]
            .as_array()
            .expect("rows")
            .iter()
            .map(|r| n(&r["covered"]))
            .sum();
        assert_eq!(
            by_community, covered,
            "every demo address is in a community"
        );
        assert_eq!(by_grid, covered, "and in a grid");
        assert!(
            c["completeness"].as_f64().is_some(),
            "{m} min is a life circle"
        );
    }

    // The gaps hold exactly the households not covered.
    let (s, cov) = req(
        &st,
        "GET",
        "/api/reach/coverage?category=kindergarten&minutes=10",
        Value::Null,
    )
    .await;
    assert_eq!(s, 200);
    let uncovered = total - n(&cov["covered"]);
    assert!(uncovered > 0, "the demo has gaps at 10 minutes");
    let (s, gaps) = req(
        &st,
        "GET",
        "/api/reach/gaps?category=kindergarten&minutes=10",
        Value::Null,
    )
    .await;
    assert_eq!(s, 200);
    let in_gaps: u64 = gaps["features"]
        .as_array()
        .expect("gaps")
        .iter()
        .map(|g| n(&g["properties"]["households"]))
        .sum();
    assert_eq!(in_gaps, uncovered);
    let (s, area) = req(
        &st,
        "GET",
        "/api/reach/area?category=kindergarten&minutes=10",
        Value::Null,
    )
    .await;
    assert_eq!(s, 200);
    assert!(
        area["features"][0]["properties"]["area_m2"]
            .as_f64()
            .is_some_and(|a| a > 0.0),
        "{area}"
    );

    // Siting's first suggestion, dropped as a what-if, gains exactly its marginal gain.
    let (s, sit) = req(
        &st,
        "POST",
        "/api/reach/siting",
        json!({"category": "kindergarten", "minutes": 10, "k": 3}),
    )
    .await;
    assert_eq!(s, 200, "{sit}");
    assert_eq!(n(&sit["covered_before"]), n(&cov["covered"]));
    let first = &sit["sites"][0];
    assert!(n(&first["gain"]) > 0);
    let (s, wi) = req(
        &st,
        "POST",
        "/api/reach/what-if",
        json!({"category": "kindergarten", "minutes": 10, "add": [first["lonlat"]]}),
    )
    .await;
    assert_eq!(s, 200, "{wi}");
    assert_eq!(
        n(&wi["covered_after"]),
        n(&cov["covered"]) + n(&first["gain"]),
        "{wi} vs {sit}"
    );
    // The same place with latitude and longitude swapped: refused, with the hint.
    let swapped = json!([first["lonlat"][1], first["lonlat"][0]]);
    let (s, v) = req(
        &st,
        "POST",
        "/api/reach/what-if",
        json!({"category": "kindergarten", "minutes": 10, "add": [swapped]}),
    )
    .await;
    assert_eq!(s, 422, "{v}");
    assert!(
        v["detail"]
            .as_str()
            .is_some_and(|t| t.contains("look swapped")),
        "{v}"
    );
    let per: i64 = wi["communities"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| r["after"].as_i64().unwrap_or(0) - r["before"].as_i64().unwrap_or(0))
        .sum();
    assert_eq!(per, wi["change"].as_i64().expect("change"));

    // Bad requests say what is wrong.
    for (method, uri, body, status, says) in [
        (
            "GET",
            "/api/reach/coverage?category=casino",
            Value::Null,
            400,
            "categories:",
        ),
        (
            "GET",
            "/api/reach/coverage?category=kindergarten&minutes=20",
            Value::Null,
            400,
            "1 to 15",
        ),
        (
            "GET",
            "/api/reach/coverage?minutes=5",
            Value::Null,
            400,
            "category",
        ),
        (
            "POST",
            "/api/reach/siting",
            json!({"category": "kindergarten", "k": 99}),
            400,
            "1 to 20",
        ),
        (
            "POST",
            "/api/reach/what-if",
            json!({"category": "kindergarten", "add": [[0.0, 0.0]]}),
            422,
            "from any walkable way",
        ),
        (
            "POST",
            "/api/reach/what-if",
            json!({"category": "kindergarten", "add": [[500.0, 0.0]]}),
            400,
            "longitude",
        ),
        (
            "POST",
            "/api/reach/what-if",
            json!({"category": "kindergarten", "remove": ["nope"]}),
            404,
            "no kindergarten facility",
        ),
        (
            "POST",
            "/api/reach/what-if",
            json!({"category": "kindergarten"}),
            400,
            "give",
        ),
    ] {
        let (s, v) = req(&st, method, uri, body).await;
        assert_eq!(s, status, "{uri}: {v}");
        assert!(
            v["detail"].as_str().is_some_and(|t| t.contains(says)),
            "{uri}: {v}"
        );
    }
}

/// The API says what the CLI says on a district without pharmacies: `warnings`, `data`
/// false and no share ("no data", not 0%), completeness judged without it and naming it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_category_without_data_is_a_warning_not_zero() {
    let dir = tempfile::tempdir().expect("tmp");
    let src = crate::util::project("data/fixtures/no_pharmacy.osm");
    let (ok, out) = crate::util::wangge(
        &[
            "import",
            src.to_str().expect("utf-8"),
            "--workspace",
            "w.gpkg",
        ],
        dir.path(),
    );
    assert!(ok, "{out}");
    for b in crate::util::each_backend(dir.path(), &dir.path().join("w.gpkg"), "reach_none") {
        no_data_warned(&b.state()).await;
    }
}

async fn no_data_warned(st: &wangge_server::AppState) {
    let (s, c) = req(
        st,
        "GET",
        "/api/reach/coverage?category=pharmacy&minutes=10",
        Value::Null,
    )
    .await;
    assert_eq!(s, 200, "{c}");
    assert_eq!(c["data"], false);
    assert!(c["share"].is_null(), "{c}");
    assert!(c["communities"][0]["share"].is_null(), "{c}");
    assert_eq!(c["warnings"][0]["category"], "pharmacy");
    assert_eq!(c["warnings"][0]["reason"], "no_facility");
    assert_eq!(c["not_judged"], json!(["pharmacy"]));
    let (_, k) = req(
        st,
        "GET",
        "/api/reach/coverage?category=kindergarten&minutes=10",
        Value::Null,
    )
    .await;
    assert_eq!(k["data"], true);
    assert!(k["share"].as_f64().is_some(), "{k}");
    // The circle still names the category it could not judge, and warns about it.
    assert_eq!(k["not_judged"], json!(["pharmacy"]));
    assert_eq!(k["warnings"].as_array().map(Vec::len), Some(1), "{k}");
    let (_, k15) = req(
        st,
        "GET",
        "/api/reach/coverage?category=kindergarten&minutes=15",
        Value::Null,
    )
    .await;
    assert_eq!(k15["warnings"], json!([]), "{k15}");
    for uri in ["/api/reach/gaps?category=pharmacy&minutes=10", "/api/reach"] {
        let (s, v) = req(st, "GET", uri, Value::Null).await;
        assert_eq!(s, 200, "{v}");
        assert_eq!(v["warnings"][0]["category"], "pharmacy", "{uri}: {v}");
    }
}

/// The CLI's coverage report and the API's coverage count households per grid and community
/// the same way (one assignment, wangge-app), and per grid as the planner does (a split
/// entrance counts in each of its grids by its part): on the demo city (towers split by floor
/// across grids) and on the real Nanjing extract.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_and_api_count_the_same_households_per_grid_as_the_plan() {
    for source in ["demo", "nanjing"] {
        let dir = tempfile::tempdir().expect("tmp");
        let d = dir.path();
        let ws = match source {
            "demo" => demo_workspace(d, 6),
            _ => {
                let src = crate::util::shared("osm/nanjing-xuanwu.osm");
                for args in [
                    &[
                        "import",
                        src.to_str().expect("utf-8"),
                        "--workspace",
                        "w.gpkg",
                    ][..],
                    &["partition", "w.gpkg", "--threads", "1"],
                ] {
                    let (ok, out) = crate::util::wangge(args, d);
                    assert!(ok, "{out}");
                }
                d.join("w.gpkg")
            }
        };
        for be in crate::util::each_backend(d, &ws, &format!("reach_cli_{source}")) {
            cli_and_api_on(source, d, &be).await;
        }
    }
}

/// The CLI's coverage report on `be` against the API's answers and the planner's grids.
// Long: per category and time, per grid and community, then per household and per grid.
async fn cli_and_api_on(source: &str, d: &std::path::Path, be: &crate::util::Backend) {
    {
        let (ok, out) = crate::util::wangge(&["coverage", be.arg(), "--report", "c.csv"], d);
        assert!(ok, "{source}: {out}");
        let (grid_rows, members) = crate::util::off_runtime(|| {
            let store = be.store();
            let plan = store.latest_plan().expect("plan").expect("a plan");
            (
                store.plan_grid_rows(plan).expect("grids"),
                store.plan_members(plan).expect("members"),
            )
        });
        let planner: std::collections::BTreeMap<String, u64> = grid_rows
            .into_iter()
            .map(|g| (g.code, u64::from(g.households)))
            .collect();
        let split = members
            .iter()
            .fold(
                std::collections::HashMap::<String, u32>::new(),
                |mut m, (k, _, _)| {
                    *m.entry(k.clone()).or_default() += 1;
                    m
                },
            )
            .values()
            .filter(|&&n| n > 1)
            .count();
        // Every category of the catalogue at 5, 10 and 15 minutes, per grid and community:
        // households and households covered (a split entrance counts by its part in each).
        let cli = |level: &str, category: &str, minutes: u32| {
            let filter = format!(
                "WHERE run_id = (SELECT max(id) FROM {{s}}.coverage_runs) AND level = '{level}'
                   AND minutes = {minutes} AND category = '{category}'"
            );
            let sql =
                format!("SELECT area, households, covered FROM {{s}}.coverage_summary {filter}");
            be.rows(&sql.replace("{s}.", ""), &sql)
                .into_iter()
                .map(|r| {
                    let number = |c: &Option<String>| {
                        c.as_deref()
                            .map(|c| c.parse::<f64>().expect("a number") as u64)
                    };
                    (
                        r[0].clone().expect("area"),
                        (number(&r[1]).expect("households"), number(&r[2])),
                    )
                })
                .collect::<std::collections::BTreeMap<String, (u64, Option<u64>)>>()
        };
        let st = be.state();
        let (s, catalogue) = req(&st, "GET", "/api/reach", Value::Null).await;
        assert_eq!(s, 200, "{catalogue}");
        let categories: Vec<String> = catalogue["categories"]
            .as_array()
            .expect("categories")
            .iter()
            .map(|c| c["code"].as_str().expect("code").to_string())
            .collect();
        assert!(categories.len() >= 8, "{catalogue}");
        let mut api_grids = std::collections::BTreeMap::new();
        let mut compared = 0;
        for category in &categories {
            for minutes in [5u32, 10, 15] {
                let (s, api) = req(
                    &st,
                    "GET",
                    &format!("/api/reach/coverage?category={category}&minutes={minutes}"),
                    Value::Null,
                )
                .await;
                assert_eq!(s, 200, "{api}");
                let rows = |key: &str| -> std::collections::BTreeMap<String, (u64, Option<u64>)> {
                    api[key]
                        .as_array()
                        .expect("rows")
                        .iter()
                        .map(|r| {
                            (
                                r["code"].as_str().expect("code").to_string(),
                                (n(&r["households"]), r["covered"].as_u64()),
                            )
                        })
                        .collect()
                };
                // The answer is what the generated OpenAPI schema says, field for field.
                let (_, doc) = req(&st, "GET", "/api", Value::Null).await;
                let fields = |schema: &str| -> Vec<String> {
                    let mut f: Vec<String> = doc["components"]["schemas"][schema]["properties"]
                        .as_object()
                        .expect(schema)
                        .keys()
                        .cloned()
                        .collect();
                    f.sort();
                    f
                };
                let keys = |v: &Value| -> Vec<String> {
                    let mut k: Vec<String> =
                        v.as_object().expect("object").keys().cloned().collect();
                    k.sort();
                    k
                };
                assert_eq!(keys(&api), fields("CoverageAnswer"));
                assert_eq!(keys(&api["grids"][0]), fields("GridCoverage"));
                assert_eq!(keys(&api["communities"][0]), fields("CommunityCoverage"));
                let grids = rows("grids");
                assert!(!grids.is_empty(), "{source}");
                assert_eq!(
                    cli("grid", category, minutes),
                    grids,
                    "{source}: grids differ for {category} within {minutes} min"
                );
                assert_eq!(
                    cli("community", category, minutes),
                    rows("communities"),
                    "{source}: communities differ for {category} within {minutes} min"
                );
                compared += grids.len();
                api_grids = grids;
            }
        }
        assert!(compared > 0);
        // Household by household: every address point's walking distance per category, as
        // the CLI stored it and as the server holds it (the API shows only areas).
        let (keys, categories, walks) =
            crate::util::off_runtime(|| wangge_server::testing::walks(&be.ws)).expect("walks");
        let cli = stored_walks(be, &categories);
        assert_eq!(cli.len(), keys.len(), "{source}: one row per address point");
        let (mut pairs, mut reached) = (0, 0);
        for (p, key) in keys.iter().enumerate() {
            let mine = &cli[key];
            for (c, category) in categories.iter().enumerate() {
                let (a, b) = (mine[c], walks[c][p]);
                match (a, b) {
                    (None, None) => {}
                    (Some(a), Some(b)) => {
                        assert!(
                            (a - b).abs() <= 1e-6 * a.max(1.0),
                            "{source}: {key} {category}: CLI {a} m, server {b} m"
                        );
                        reached += 1;
                    }
                    _ => panic!("{source}: {key} {category}: CLI {a:?}, server {b:?}"),
                }
                pairs += 1;
            }
        }
        assert!(
            reached * 2 > pairs,
            "{source}: {reached} of {pairs} reached"
        );
        let per_grid: std::collections::BTreeMap<String, u64> = api_grids
            .iter()
            .map(|(g, (h, _))| (g.clone(), *h))
            .collect();
        assert_eq!(per_grid, planner, "{source}: the planner counts otherwise");
        assert!(planner.values().all(|&h| h <= 200), "{source}: {planner:?}");
        if source == "demo" {
            assert!(split > 0, "the demo city has entrances split across grids");
        }
    }
}

/// Every address point's walking distance per category (in `categories`' order) as the CLI
/// stored it: one column a category on the GeoPackage, one row a point and category on
/// PostgreSQL.
fn stored_walks(
    be: &crate::util::Backend,
    categories: &[String],
) -> std::collections::HashMap<String, Vec<Option<f64>>> {
    let cols: Vec<String> = categories
        .iter()
        .map(|c| {
            format!(
                "c.{}_m",
                c.replace(|ch: char| !ch.is_ascii_alphanumeric(), "_")
            )
        })
        .collect();
    let wide = format!(
        "SELECT a.key, {} FROM coverage_points c JOIN address_points a ON a.fid = c.fid",
        cols.join(", ")
    );
    let long = "SELECT address_key, category, walk_m FROM {s}.coverage_points";
    let rows = be.rows(&wide, long);
    let real = |c: &Option<String>| c.as_deref().map(|v| v.parse::<f64>().expect("metres"));
    let mut out = std::collections::HashMap::new();
    for r in rows {
        let key = r[0].clone().expect("key");
        if !be.is_postgres() {
            out.insert(key, r[1..].iter().map(real).collect());
        } else {
            let c = categories
                .iter()
                .position(|c| Some(c) == r[1].as_ref())
                .unwrap_or_else(|| panic!("a category the server does not know: {:?}", r[1]));
            out.entry(key)
                .or_insert_with(|| vec![None; categories.len()])[c] = real(&r[2]);
        }
    }
    out
}

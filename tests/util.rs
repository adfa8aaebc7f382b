//! Helpers shared by the integration tests.

use std::path::{Path, PathBuf};
use wangge_io::store::prelude::*;
use wangge_io::{GeoPackage, ImportOptions, Store};

/// `../shared/data/<rel>` beside the project root.
pub fn shared(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/data")
        .join(rel)
}

/// A file in the project.
pub fn project(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// A new workspace in a temporary directory.
pub fn workspace() -> (tempfile::TempDir, GeoPackage) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = GeoPackage::create(dir.path().join("w.gpkg")).expect("create workspace");
    (dir, store)
}

/// Imports files with options.
pub fn import(
    store: &mut dyn Store,
    files: &[PathBuf],
    opts: &ImportOptions,
) -> wangge_io::Result<wangge_io::ImportSummary> {
    wangge_io::import(store, files, opts, &wangge_core::NoProgress)
}

/// Layer count by name.
pub fn count(store: &dyn Store, layer: &str) -> u64 {
    store
        .counts()
        .expect("counts")
        .into_iter()
        .find(|c| c.layer == layer)
        .map(|c| c.features)
        .expect("layer exists")
}

/// Runs the `wangge` binary in `dir`: (success, stdout + stderr).
pub fn wangge(args: &[&str], dir: &Path) -> (bool, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_wangge"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run wangge");
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// A `wangge serve` process, killed (SIGKILL) when dropped.
pub struct Server {
    pub child: std::process::Child,
    pub bind: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `wangge serve <file> [extra args]` in `dir` on a free port and waits until it
/// answers.
pub fn serve(dir: &Path, file: &str, extra: &[&str]) -> Server {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    serve_at(dir, file, extra, &format!("127.0.0.1:{port}"))
}

/// Like [`serve`], on a given address (a restart on the same port).
pub fn serve_at(dir: &Path, file: &str, extra: &[&str], bind: &str) -> Server {
    use std::io::Read;
    use std::process::{Command, Stdio};
    let bind = bind.to_string();
    let mut child = Command::new(env!("CARGO_BIN_EXE_wangge"))
        .args(["serve", file, "--bind", &bind])
        .args(extra)
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the server");
    for _ in 0..300 {
        if std::net::TcpStream::connect(&bind).is_ok() {
            return Server { child, bind };
        }
        if let Ok(Some(status)) = child.try_wait() {
            let mut err = String::new();
            if let Some(mut e) = child.stderr.take() {
                let _ = e.read_to_string(&mut err);
            }
            panic!("the server ended ({status}): {err}");
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("the server did not answer on {bind}");
}

/// A minimal HTTP/1.1 request over loopback: (status, body).
pub fn http(bind: &str, method: &str, path: &str, ctype: &str, body: &[u8]) -> (u16, String) {
    let (status, out) = http_raw(bind, method, path, ctype, body);
    (status, String::from_utf8_lossy(&out).to_string())
}

/// A GET over a TCP connection of its own: (status, body bytes).
pub fn http_bytes(bind: &str, path: &str) -> (u16, Vec<u8>) {
    http_raw(bind, "GET", path, "", b"")
}

fn http_raw(bind: &str, method: &str, path: &str, ctype: &str, body: &[u8]) -> (u16, Vec<u8>) {
    use std::io::{Read, Write};
    let Ok(mut s) = std::net::TcpStream::connect(bind) else {
        return (0, b"connection refused".to_vec());
    };
    s.set_read_timeout(Some(std::time::Duration::from_secs(60)))
        .expect("timeout");
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {bind}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    if s.write_all(head.as_bytes()).is_err() || s.write_all(body).is_err() {
        return (0, b"write failed".to_vec());
    }
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    let split = out.windows(4).position(|w| w == b"\r\n\r\n");
    let head = String::from_utf8_lossy(&out[..split.unwrap_or(out.len())]).to_string();
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = split.map_or(Vec::new(), |i| out[i + 4..].to_vec());
    (status, body)
}

/// A partitioned demo workspace `w.gpkg` in `dir`: `wangge generate` (6,000 households, the
/// seed given) and `wangge partition`.
pub fn demo_workspace(dir: &Path, seed: u32) -> PathBuf {
    city_workspace(dir, 6000, seed)
}

/// A partitioned synthetic city `w.gpkg` in `dir`: `wangge generate` (the households and seed
/// given) and `wangge partition` on one thread.
pub fn city_workspace(dir: &Path, households: u32, seed: u32) -> PathBuf {
    let (households, seed) = (households.to_string(), seed.to_string());
    for args in [
        &[
            "generate",
            "--households",
            &households,
            "--seed",
            &seed,
            "--workspace",
            "w.gpkg",
        ][..],
        &["partition", "w.gpkg", "--threads", "1"],
    ] {
        let (ok, out) = wangge(args, dir);
        assert!(ok, "{out}");
    }
    dir.join("w.gpkg")
}

/// Where the first address point of a workspace is (a spot inside the city's grids).
pub fn first_address_point(ws: &Path) -> geo_types::Point<f64> {
    wangge_io::GeoPackage::open(ws)
        .expect("open")
        .load_places()
        .expect("load")
        .address_points[0]
        .location
}

/// One request through the server's router in process: (status, body).
pub async fn call(
    state: &wangge_server::AppState,
    method: &str,
    uri: &str,
    ctype: &str,
    body: &str,
) -> (axum::http::StatusCode, Vec<u8>) {
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let req = axum::http::Request::builder()
        .method(method)
        .uri(uri)
        .header(axum::http::header::CONTENT_TYPE, ctype)
        .body(axum::body::Body::from(body.to_string()))
        .expect("request");
    let r = wangge_server::router(state.clone())
        .oneshot(req)
        .await
        .expect("response");
    let s = r.status();
    let bytes = r.into_body().collect().await.expect("body").to_bytes();
    (s, bytes.to_vec())
}

/// A JSON request through the router with an access token (`Authorization: Bearer`); a null
/// body sends none: (status, body).
pub async fn call_as(
    st: &wangge_server::AppState,
    token: Option<&str>,
    method: &str,
    uri: &str,
    body: serde_json::Value,
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

/// How the real Taipei villages import as communities: code CPTVID, name VNAME, street
/// TNAME, invalid rings repaired (the options after the file).
pub const TAIPEI_VILLAGES: [&str; 9] = [
    "--as",
    "communities",
    "--id-field",
    "CPTVID",
    "--name-field",
    "VNAME",
    "--street-field",
    "TNAME",
    "--repair",
];

/// Imports the real Taipei villages into `t.gpkg` in `dir` ([`TAIPEI_VILLAGES`]).
pub fn taipei_villages(dir: &Path) {
    let villages = shared("taipei/villages.geojson").display().to_string();
    let args = [
        &["import", "--workspace", "t.gpkg", &villages][..],
        &TAIPEI_VILLAGES,
    ]
    .concat();
    let (ok, out) = wangge(&args, dir);
    assert!(ok, "{out}");
}

/// A new access token of `role` for `w.gpkg` in `dir`: its secret.
/// The demo workspace `w.gpkg` (seed 5) with its incidents in the grids and the demo's register
/// of departments and workers: what the case desk and the phone page work on.
pub fn desk_workspace(dir: &Path) -> PathBuf {
    let ws = demo_workspace(dir, 5);
    for args in [
        &["incidents", "assign", "w.gpkg"][..],
        &["workers", "generate", "w.gpkg"],
    ] {
        let (ok, out) = wangge(args, dir);
        assert!(ok, "{out}");
    }
    ws
}

/// A token of `role` scoped to `scope` (a street or a grid), named `name`: its secret.
pub fn scoped_token(dir: &Path, role: &str, scope: &str, name: &str) -> String {
    scoped_token_on(dir, "w.gpkg", role, scope, name)
}

/// [`scoped_token`] for the workspace `ws`.
pub fn scoped_token_on(dir: &Path, ws: &str, role: &str, scope: &str, name: &str) -> String {
    let (ok, out) = wangge(
        &[
            "token", "create", ws, "--role", role, "--scope", scope, "--name", name,
        ],
        dir,
    );
    assert!(ok, "{out}");
    out.lines().nth(1).expect("the secret").trim().to_string()
}

/// A self-signed certificate for localhost and 127.0.0.1 made with openssl: `cert.pem` and
/// `key.pem` in `dir`.
pub fn self_signed_cert(dir: &Path) {
    let out = std::process::Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "key.pem",
            "-out",
            "cert.pem",
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost,IP:127.0.0.1",
        ])
        .current_dir(dir)
        .output()
        .expect("openssl");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

pub fn token(dir: &Path, role: &str) -> String {
    token_on(dir, "w.gpkg", role)
}

/// A new access token of `role` for the workspace `ws`: its secret.
pub fn token_on(dir: &Path, ws: &str, role: &str) -> String {
    let (ok, out) = wangge(
        &["token", "create", ws, "--role", role, "--name", role],
        dir,
    );
    assert!(ok, "{out}");
    out.lines().nth(1).expect("the secret").trim().to_string()
}

/// A local plane in metres that keeps lon/lat straight lines straight (equirectangular at a
/// centre: an affine map). Stored geometry is planar in lon/lat, as GEOS and QGIS read it in
/// EPSG:4326, so tiling (areas that add up, nothing outside its parent) is checked here; a
/// transverse Mercator bends a long lon/lat edge by millimetres and would see a 1 km edge's
/// grids cover a few m² more or less than their community.
pub struct Plane {
    lon0: f64,
    lat0: f64,
    kx: f64,
    ky: f64,
}

impl Plane {
    pub fn around(g: &impl geo::BoundingRect<f64, Output = Option<geo_types::Rect<f64>>>) -> Self {
        let c = g.bounding_rect().expect("not empty").center();
        Self {
            lon0: c.x,
            lat0: c.y,
            kx: 111_320.0 * c.y.to_radians().cos(),
            ky: 110_574.0,
        }
    }

    pub fn forward(&self, c: geo_types::Coord<f64>) -> geo_types::Coord<f64> {
        geo_types::Coord {
            x: (c.x - self.lon0) * self.kx,
            y: (c.y - self.lat0) * self.ky,
        }
    }

    pub fn project<G: geo::MapCoords<f64, f64, Output = G>>(&self, g: &G) -> G {
        g.map_coords(|c| self.forward(c))
    }
}

/// A plan as memberships (community, grid, address keys): what edits and locks take.
pub fn memberships(
    plan: &wangge_core::partition::WorkspacePlan,
) -> Vec<wangge_core::partition::LockedGrid> {
    plan.communities
        .iter()
        .flat_map(|c| {
            c.grids.iter().map(move |g| {
                (
                    c.code.clone(),
                    g.code.clone(),
                    g.members.iter().map(|m| m.0.clone()).collect(),
                )
            })
        })
        .collect()
}

/// A workspace a test runs on: a GeoPackage, or a copy of one in a fresh PostgreSQL schema
/// (dropped with it).
pub struct Backend {
    /// The workspace argument: the file, or the `postgres://…?schema=` URL.
    pub ws: PathBuf,
    /// The schema to drop, on the test database.
    schema: Option<String>,
}

impl Backend {
    /// The workspace argument as a string (for the `wangge` command line).
    pub fn arg(&self) -> &str {
        self.ws.to_str().expect("utf-8")
    }

    /// Whether the workspace is the PostgreSQL copy.
    pub fn is_postgres(&self) -> bool {
        self.schema.is_some()
    }

    /// The workspace's store, opened for writing off the async runtime's thread (the
    /// PostgreSQL client blocks); works outside a runtime too.
    pub fn store(&self) -> Box<dyn Store> {
        off_runtime(|| {
            wangge_app::open_store(&self.ws, wangge_app::Access::Write).expect("open the store")
        })
    }

    /// A server's state on the workspace (strict: suppression on), opened off the runtime.
    pub fn state(&self) -> wangge_server::AppState {
        off_runtime(|| wangge_server::AppState::open(self.ws.clone(), true).expect("state"))
    }

    /// One integer a query on the workspace's own tables gives, read by the database's own
    /// client (SQLite through the GeoPackage's connection, PostgreSQL through `psql`);
    /// `{s}.` in `sql` names the workspace's schema on PostgreSQL and nothing on SQLite.
    pub fn int(&self, sql: &str) -> i64 {
        match (&self.schema, std::env::var("WANGGE_TEST_PG")) {
            (Some(s), Ok(base)) => {
                let sql = sql.replace("{s}.", &format!("{s}."));
                let v = crate::postgis::psql(&base, &sql);
                v.parse()
                    .unwrap_or_else(|_| panic!("{sql}: not an integer: {v}"))
            }
            _ => {
                let g = GeoPackage::open(&self.ws).expect("open");
                wangge_io::gpkg::testing::row(&g, &sql.replace("{s}.", ""), &[])[0].int()
            }
        }
    }
}

impl Backend {
    /// The rows a query gives, read by the database's own client as text (`None` for NULL,
    /// numbers as each client prints them): `sqlite` on the GeoPackage, `pg` (`{s}.` naming
    /// the schema) on PostgreSQL, where tables may be shaped otherwise.
    pub fn rows(&self, sqlite: &str, pg: &str) -> Vec<Vec<Option<String>>> {
        use wangge_io::gpkg::testing::Cell;
        match (&self.schema, std::env::var("WANGGE_TEST_PG")) {
            (Some(s), Ok(base)) => {
                let sql = pg.replace("{s}.", &format!("{s}."));
                crate::postgis::psql_rows(&base, &sql)
            }
            _ => {
                let g = GeoPackage::open(&self.ws).expect("open");
                wangge_io::gpkg::testing::query(&g, sqlite, &[])
                    .expect(sqlite)
                    .into_iter()
                    .map(|r| {
                        r.into_iter()
                            .map(|c| match c {
                                Cell::Null => None,
                                Cell::Int(i) => Some(i.to_string()),
                                Cell::Real(r) => Some(r.to_string()),
                                Cell::Text(t) => Some(t),
                                Cell::Blob(b) => Some(format!("{b:?}")),
                            })
                            .collect()
                    })
                    .collect()
            }
        }
    }

    /// Runs one statement with the database's own client: `sqlite` on the GeoPackage,
    /// `pg` (`{s}.` naming the schema) on PostgreSQL, where tables may be named otherwise.
    pub fn exec(&self, sqlite: &str, pg: &str) {
        match (&self.schema, std::env::var("WANGGE_TEST_PG")) {
            (Some(s), Ok(base)) => {
                crate::postgis::psql(&base, &pg.replace("{s}.", &format!("{s}.")));
            }
            _ => {
                let g = GeoPackage::open(&self.ws).expect("open");
                wangge_io::gpkg::testing::execute(&g, sqlite, &[]).expect(sqlite);
            }
        }
    }
}

/// Runs `f` where a blocking client may run: through `block_in_place` on a multi-threaded
/// runtime, directly outside one.
pub fn off_runtime<T>(f: impl FnOnce() -> T) -> T {
    match tokio::runtime::Handle::try_current() {
        Ok(_) => tokio::task::block_in_place(f),
        Err(_) => f(),
    }
}

impl Drop for Backend {
    fn drop(&mut self) {
        // On a thread of its own: the last store of a PostgreSQL workspace closes its
        // connections there, which the client refuses to do on an async runtime's thread.
        std::thread::scope(|t| {
            t.spawn(|| wangge_app::forget(&self.ws));
        });
        if let (Some(s), Ok(base)) = (&self.schema, std::env::var("WANGGE_TEST_PG")) {
            crate::postgis::psql(
                &base,
                &format!("DROP SCHEMA IF EXISTS {s}, {s}_public CASCADE"),
            );
        }
    }
}

/// An empty PostgreSQL workspace named after `name` (its schema dropped with it), when
/// `WANGGE_TEST_PG` is set.
pub fn fresh_pg(name: &str) -> Option<Backend> {
    let url = crate::postgis::test_url(name)?;
    let schema = url.rsplit("schema=").next().expect("schema").to_string();
    Some(Backend {
        ws: PathBuf::from(&url),
        schema: Some(schema),
    })
}

/// Empty workspaces a test that imports runs on: a new GeoPackage `dir/{name}.gpkg`, and when
/// `WANGGE_TEST_PG` is set an empty PostgreSQL schema, so each import takes its own path into
/// each backend (not a copy).
pub fn each_new(dir: &Path, name: &str) -> Vec<Backend> {
    let gpkg = dir.join(format!("{name}.gpkg"));
    GeoPackage::create(&gpkg).expect("create workspace");
    let mut out = vec![Backend {
        ws: gpkg,
        schema: None,
    }];
    out.extend(fresh_pg(name));
    out
}

/// The backends a test that touches the store runs on: `gpkg` itself, and when
/// `WANGGE_TEST_PG` is set a copy of it in PostgreSQL (`wangge copy`, its digest checked by
/// the command), so the same test holds both to the same figures.
pub fn each_backend(dir: &Path, gpkg: &Path, name: &str) -> Vec<Backend> {
    let mut out = vec![Backend {
        ws: gpkg.to_path_buf(),
        schema: None,
    }];
    if let Some(url) = crate::postgis::test_url(name) {
        let schema = url.rsplit("schema=").next().expect("schema").to_string();
        let pg = Backend {
            ws: PathBuf::from(&url),
            schema: Some(schema),
        };
        let (ok, out_) = wangge(&["copy", gpkg.to_str().expect("utf-8"), &url], dir);
        assert!(ok, "copy to {url}: {out_}");
        eprintln!(
            "{name}: also on PostgreSQL, schema {}",
            pg.schema.as_deref().unwrap_or("")
        );
        out.push(pg);
    }
    out
}

/// Adds `n` reported incidents to the GeoPackage `ws`, scattered over its address points' box
/// (a fixed sequence: the same incidents each time), keys `SCATTER0`… one a minute from
/// 2026-05-28.
pub fn add_scattered_incidents(ws: &Path, n: i64) {
    use wangge_core::{Incident, IncidentSource, Timestamp};
    let mut store = GeoPackage::open_for_writing(ws).expect("open");
    let places = store.load_places().expect("places").address_points;
    let (min, max) = places.iter().map(|a| a.location).fold(
        ((f64::MAX, f64::MAX), (f64::MIN, f64::MIN)),
        |(lo, hi), p| {
            (
                (lo.0.min(p.x()), lo.1.min(p.y())),
                (hi.0.max(p.x()), hi.1.max(p.y())),
            )
        },
    );
    // A linear congruential sequence.
    let mut r: u64 = 8;
    let mut next = move || {
        r = r
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (r >> 11) as f64 / (1u64 << 53) as f64
    };
    let incidents: Vec<Incident> = (0..n)
        .map(|i| {
            let p = geo_types::Point::new(
                min.0 + next() * (max.0 - min.0),
                min.1 + next() * (max.1 - min.1),
            );
            Incident::reported(
                format!("SCATTER{i}"),
                Timestamp::from_unix(1_780_000_000 + i * 60),
                "noise".into(),
                IncidentSource::Hotline,
                p,
            )
        })
        .collect();
    store.add_incidents(&incidents).expect("add");
}

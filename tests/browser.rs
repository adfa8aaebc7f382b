//! The map in a real browser: `wangge serve` runs on a free port, Debian's headless Chromium
//! (driven by playwright-core from web-viewer/node_modules) loads the viewer page, waits until
//! MapLibre is idle, and the test fails on any map or page error, any failed request and any
//! request to another host. The screenshot lands in target/screenshots/map.png.

use crate::util::{project, wangge};
use std::io::Read;
use std::process::{Command, Stdio};

struct Server(std::process::Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn maplibre_draws_the_served_map_with_no_external_request() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    let (ok, out) = wangge(
        &[
            "generate",
            "--households",
            "6000",
            "--seed",
            "5",
            "--workspace",
            "w.gpkg",
        ],
        d,
    );
    assert!(ok, "{out}");
    let (ok, out) = wangge(&["partition", "w.gpkg", "--threads", "1"], d);
    assert!(ok, "{out}");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let bind = format!("127.0.0.1:{port}");
    let viewer = project("web-viewer");
    let mut child = Command::new(env!("CARGO_BIN_EXE_wangge"))
        .args(["serve", "w.gpkg", "--bind", &bind, "--viewer"])
        .arg(&viewer)
        .current_dir(d)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the server");
    // Wait for the port to answer (the server reads the workspace first).
    let mut up = false;
    for _ in 0..100 {
        if std::net::TcpStream::connect(&bind).is_ok() {
            up = true;
            break;
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
    let _server = Server(child);
    assert!(up, "the server did not answer on {bind}");
    let shots = project("target/screenshots");
    std::fs::create_dir_all(&shots).expect("screenshot dir");
    let shot = shots.join("map.png");
    let out = Command::new("node")
        .arg(viewer.join("test/map_loads.mjs"))
        .arg(format!("http://{bind}/viewer/?z=15.5&heat=1"))
        .arg(&shot)
        .output()
        .expect("node (web-viewer: npm ci installs playwright-core)");
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{text}");
    let v: serde_json::Value =
        serde_json::from_str(text.lines().last().unwrap_or("")).expect("summary");
    assert!(v["tiles"].as_u64().unwrap_or(0) > 0, "{v}");
    assert!(
        v["heat_tiles"].as_u64().unwrap_or(0) > 0,
        "the heat layer loaded: {v}"
    );
    assert!(v["rendered"].as_u64().unwrap_or(0) > 0, "{v}");
    // Labels: the Latin range (grid codes, household counts) came from this server; no CJK
    // range was asked for (the script fails on one).
    let glyphs = v["glyphs"].as_array().cloned().unwrap_or_default();
    assert!(
        glyphs
            .iter()
            .any(|g| g.as_str().is_some_and(|g| g.ends_with("/0-255.pbf"))),
        "{v}"
    );
    assert!(
        std::fs::metadata(&shot)
            .map(|m| m.len() > 10_000)
            .unwrap_or(false),
        "screenshot"
    );
}

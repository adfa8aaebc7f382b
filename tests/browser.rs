//! The map in a real browser: `wangge serve` runs on a free port, Debian's headless Chromium
//! (driven by playwright-core from web-viewer/node_modules) loads the viewer page, waits until
//! MapLibre is idle, and the test fails on any map or page error, any failed request and any
//! request to another host. The screenshot lands in target/screenshots/map.png.

use crate::util::{project, serve, wangge};
use std::process::Command;

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
    let viewer = project("web-viewer");
    let server = serve(d, "w.gpkg", &["--viewer", &viewer.display().to_string()]);
    let bind = server.bind.clone();
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

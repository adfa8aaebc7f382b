//! The `wangge` binary end to end: generate, import, info, export.

use crate::util::project;
use std::process::Command;

fn wangge(args: &[&str], dir: &std::path::Path) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_wangge"))
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

#[test]
fn generate_import_export() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    let (ok, out) = wangge(
        &[
            "generate",
            "--households",
            "4000",
            "--seed",
            "2",
            "--workspace",
            "demo.gpkg",
        ],
        d,
    );
    assert!(ok, "{out}");
    assert!(
        out.contains("communities") && out.contains("generated"),
        "{out}"
    );
    let (ok, out) = wangge(
        &[
            "generate",
            "--households",
            "4000",
            "--workspace",
            "demo.gpkg",
        ],
        d,
    );
    assert!(!ok && out.contains("--force"), "{out}");
    let fixture = project("data/fixtures/addresses_4547.shp");
    let (ok, out) = wangge(
        &[
            "import",
            fixture.to_str().expect("utf-8 path"),
            "--workspace",
            "demo.gpkg",
            "--as",
            "addresses",
        ],
        d,
    );
    assert!(ok, "{out}");
    assert!(out.contains("imported 3 address_points"), "{out}");
    for ext in ["geojson", "csv", "gpkg"] {
        let target = format!("communities.{ext}");
        let (ok, out) = wangge(
            &[
                "export",
                "demo.gpkg",
                "--layer",
                "communities",
                "-o",
                &target,
            ],
            d,
        );
        assert!(ok && out.contains("exported 2 communities"), "{out}");
    }
    let gj = std::fs::read_to_string(d.join("communities.geojson")).expect("geojson");
    assert!(gj.contains("\"FeatureCollection\"") && gj.contains("社区"));
    let (ok, out) = wangge(&["info", "communities.gpkg"], d);
    let line = out
        .lines()
        .find(|l| l.trim_start().starts_with("communities"))
        .unwrap_or("");
    assert!(
        ok && line.split_whitespace().eq(["communities", "2"]),
        "{out}"
    );
    // Failed import into a new workspace leaves no file behind.
    let bad = project("tests/bad_inputs/negative_households.csv");
    let (ok, out) = wangge(
        &[
            "import",
            bad.to_str().expect("utf-8"),
            "--workspace",
            "new.gpkg",
            "--as",
            "addresses",
        ],
        d,
    );
    assert!(
        !ok && out.contains("negative") && out.contains("unchanged"),
        "{out}"
    );
    assert!(!d.join("new.gpkg").exists());
    let (ok, out) = wangge(&["--help"], d);
    assert!(
        ok && out.contains("generate") && out.contains("import") && out.contains("export"),
        "{out}"
    );
}

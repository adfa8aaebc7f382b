//! The `wangge` binary end to end: generate, import, info, export.

use crate::util::{project, wangge};

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
    assert!(
        gj.contains("\"FeatureCollection\"")
            && gj.contains("社区")
            && gj.contains("\"code\":\"320102"),
        "{gj}"
    );
    // Partition, then export the grids with code, community and households.
    let (ok, out) = wangge(&["partition", "demo.gpkg", "--report", "plan"], d);
    assert!(ok && out.contains("0 violations"), "{out}");
    for f in [
        "plan.grids.csv",
        "plan.communities.csv",
        "plan.exceptions.csv",
        "plan.map.png",
    ] {
        assert!(d.join(f).exists(), "{f}");
    }
    let (ok, out) = wangge(
        &[
            "export",
            "demo.gpkg",
            "--layer",
            "grids",
            "-o",
            "grids.geojson",
        ],
        d,
    );
    assert!(ok, "{out}");
    let grids = std::fs::read_to_string(d.join("grids.geojson")).expect("grids");
    assert!(
        grids.contains("\"code\":\"320102")
            && grids.contains("\"community\"")
            && grids.contains("\"households\"")
    );
    // Shapefile with GBK text for older GIS software, and back in.
    let (ok, out) = wangge(
        &[
            "export",
            "demo.gpkg",
            "--layer",
            "grids",
            "-o",
            "grids.shp",
            "--encoding",
            "gbk",
        ],
        d,
    );
    assert!(ok, "{out}");
    assert_eq!(
        std::fs::read_to_string(d.join("grids.cpg")).expect("cpg"),
        "GBK"
    );
    let (ok, out) = wangge(
        &[
            "export",
            "demo.gpkg",
            "--layer",
            "communities",
            "-o",
            "communities.shp",
            "--encoding",
            "gbk",
        ],
        d,
    );
    assert!(ok, "{out}");
    let (ok, out) = wangge(
        &[
            "import",
            "communities.shp",
            "--as",
            "communities",
            "--id-field",
            "code",
            "--workspace",
            "back.gpkg",
        ],
        d,
    );
    assert!(
        ok && out.contains("imported 2 communities") && out.contains("GBK"),
        "{out}"
    );
    // A second plan with another seed, listed and compared.
    let (ok, out) = wangge(
        &["partition", "demo.gpkg", "--seed", "5", "--report", "plan5"],
        d,
    );
    assert!(ok, "{out}");
    let (ok, out) = wangge(&["plan", "list", "demo.gpkg"], d);
    assert!(ok && out.lines().count() == 3, "{out}");
    let (ok, out) = wangge(&["plan", "diff", "demo.gpkg", "1", "1"], d);
    assert!(ok && out.contains("moved: 0 households"), "{out}");
    let (ok, out) = wangge(&["plan", "diff", "demo.gpkg", "1", "2"], d);
    assert!(ok && out.contains("moved:"), "{out}");
    let (ok, out) = wangge(&["plan", "diff", "demo.gpkg", "1", "9"], d);
    assert!(!ok && out.contains("no plan 9"), "{out}");
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

/// Each class of error has its documented exit status (README "Exit status").
#[test]
fn exit_status_by_class_of_error() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    let status = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_wangge"))
            .args(args)
            .current_dir(d)
            .output()
            .expect("run wangge");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    };
    // 4: no workspace.
    let (code, err) = status(&["info", "nothing.gpkg"]);
    assert_eq!(code, Some(4), "{err}");
    // 3: a file that is not what it claims to be.
    std::fs::write(
        d.join("bad.geojson"),
        "{\"type\": \"FeatureCollection\", \"features\": [",
    )
    .expect("write");
    let (code, err) = status(&["import", "bad.geojson", "--workspace", "w.gpkg"]);
    assert_eq!(code, Some(3), "{err}");
    assert!(
        !d.join("w.gpkg").exists(),
        "a refused import leaves no workspace"
    );
    // 2: a bad option value, and clap's own usage errors.
    let (ok, out) = crate::util::wangge(
        &["generate", "--households", "2000", "--workspace", "w.gpkg"],
        d,
    );
    assert!(ok, "{out}");
    let (code, err) = status(&["coverage", "w.gpkg", "--speed-kmh", "99"]);
    assert_eq!(code, Some(2), "{err}");
    let (code, err) = status(&["report", "kpi", "w.gpkg", "--month", "2026-13"]);
    assert_eq!(code, Some(2), "{err}");
    let (code, err) = status(&["partition"]);
    assert_eq!(code, Some(2), "{err}");
    // 4: what the command needs is not in the workspace.
    let (code, err) = status(&["plan", "undo", "w.gpkg"]);
    assert_eq!(code, Some(4), "{err}");
    // 1: an edit the rules refuse (after a partition; the undo of the first plan has no
    // earlier version: 4).
    let (ok, out) = crate::util::wangge(&["partition", "w.gpkg", "--threads", "1"], d);
    assert!(ok, "{out}");
    let (code, err) = status(&["plan", "edit", "w.gpkg", "merge", "NOPE1", "NOPE2"]);
    assert_eq!(code, Some(1), "{err}");
    let (code, err) = status(&["plan", "undo", "w.gpkg"]);
    assert_eq!(code, Some(4), "{err}");
    // 1: the rules refuse the result (--strict and a category without facilities).
    let fixture = crate::util::project("data/fixtures/no_pharmacy.osm");
    let (ok, out) = crate::util::wangge(
        &[
            "import",
            fixture.to_str().expect("utf-8"),
            "--workspace",
            "p.gpkg",
        ],
        d,
    );
    assert!(ok, "{out}");
    let (code, err) = status(&["coverage", "p.gpkg", "--strict"]);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("--strict"), "{err}");
}

/// `wangge export` from a PostgreSQL workspace writes the files the GeoPackage's export
/// writes, byte for byte: every layer the demo city has (all but land cover) as GeoJSON, and grids and incidents as CSV and
/// Shapefile too.
#[test]
fn every_layer_exports_the_same_from_both_backends() {
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    let ws = crate::util::demo_workspace(d, 9);
    // A second plan with residents' groups.
    let (ok, out) = wangge(&["partition", "w.gpkg", "--groups", "--threads", "1"], d);
    assert!(ok, "{out}");
    let backends = crate::util::each_backend(d, &ws, "export_all");
    if backends.len() < 2 {
        eprintln!("WANGGE_TEST_PG not set: skipped");
        return;
    }
    let mut compared = 0;
    for layer in [
        "communities",
        "buildings",
        "address_points",
        "facilities",
        "streets",
        "components",
        "incidents",
        "grids",
        "resident_groups",
    ] {
        let formats: &[&str] = if matches!(layer, "grids" | "incidents") {
            &["geojson", "csv", "shp"]
        } else {
            &["geojson"]
        };
        for ext in formats {
            let files: Vec<Vec<u8>> = backends
                .iter()
                .enumerate()
                .map(|(i, be)| {
                    let out = format!("{layer}-{i}.{ext}");
                    let (ok, said) = wangge(&["export", be.arg(), "--layer", layer, "-o", &out], d);
                    assert!(ok, "{layer} from {}: {said}", be.arg());
                    let mut bytes = std::fs::read(d.join(&out)).expect("exported");
                    if *ext == "shp" {
                        bytes.extend(
                            std::fs::read(d.join(format!("{layer}-{i}.dbf"))).expect("dbf"),
                        );
                    }
                    bytes
                })
                .collect();
            assert!(files[0].len() > 100, "{layer}.{ext}: nearly empty");
            assert!(
                files[0] == files[1],
                "{layer}.{ext}: the backends' files differ"
            );
            compared += 1;
        }
    }
    assert_eq!(compared, 13);
    // As GeoPackages (their files hold the time they were written): the same content by
    // `wangge info`'s digest, and the workspace named as their source, not a scratch copy.
    for layer in ["communities", "incidents", "grids"] {
        let digests: Vec<String> = backends
            .iter()
            .enumerate()
            .map(|(i, be)| {
                let out = format!("{layer}-{i}.gpkg");
                let (ok, said) = wangge(&["export", be.arg(), "--layer", layer, "-o", &out], d);
                assert!(ok, "{layer} from {}: {said}", be.arg());
                let sources = wangge_io::gpkg::testing::query(
                    &wangge_io::GeoPackage::open(d.join(&out)).expect("open"),
                    "SELECT sources FROM wangge_imports",
                    &[],
                )
                .expect("imports");
                for r in sources {
                    let s = r[0].text().unwrap_or("").to_string();
                    assert!(!s.contains(".wangge-export"), "{out}: source {s}");
                }
                let (ok, info) = wangge(&["info", &out], d);
                assert!(ok, "{info}");
                info.lines()
                    .find(|l| l.starts_with("digest "))
                    .expect("digest")
                    .to_string()
            })
            .collect();
        assert_eq!(digests[0], digests[1], "{layer}.gpkg");
    }
    // Refused before anything is read, from either backend: groups as a GeoPackage, an
    // unknown encoding.
    for be in &backends {
        for (args, says) in [
            (
                vec!["--layer", "resident_groups", "-o", "g.gpkg"],
                "export as .geojson or .csv",
            ),
            (
                vec!["--layer", "grids", "-o", "g.shp", "--encoding", "latin-9"],
                "utf-8 or gbk",
            ),
        ] {
            let mut a = vec!["export", be.arg()];
            a.extend(args);
            let (ok, said) = wangge(&a, d);
            assert!(!ok && said.contains(says), "{said}");
        }
    }
    // A plan that is not there is named, from PostgreSQL as from a file.
    for be in &backends {
        let (ok, said) = wangge(
            &[
                "export",
                be.arg(),
                "--layer",
                "grids",
                "--plan",
                "999",
                "-o",
                "x.csv",
            ],
            d,
        );
        assert!(!ok && said.contains("no plan 999"), "{said}");
    }
    assert!(
        !std::fs::read_dir(d).expect("dir").any(|e| e
            .expect("entry")
            .file_name()
            .to_string_lossy()
            .starts_with(".wangge-export")),
        "a scratch copy was left behind"
    );
}

/// An export from PostgreSQL fills a hidden scratch directory beside its output: SIGTERM (or
/// Ctrl-C) in the middle removes it and ends the export as the signal does; after `kill -9`
/// (nothing can run) the next export into the same directory removes it, and exports; under
/// `nohup` a hangup is ignored and the export finishes.
#[test]
fn an_interrupted_export_leaves_no_scratch_directory() {
    use std::os::unix::process::ExitStatusExt;
    if std::env::var("WANGGE_TEST_PG").is_err() {
        eprintln!("WANGGE_TEST_PG not set: skipped");
        return;
    }
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    let ws = crate::util::demo_workspace(d, 9);
    crate::util::add_scattered_incidents(&ws, 120_000);
    let pg = crate::util::each_backend(d, &ws, "export_interrupted")
        .pop()
        .expect("the PostgreSQL copy");
    assert!(pg.is_postgres());
    let out = d.join("out");
    std::fs::create_dir(&out).expect("out");
    let scratch = || -> Vec<std::path::PathBuf> {
        std::fs::read_dir(&out)
            .expect("out")
            .flatten()
            .map(|e| e.path())
            .filter(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with(".wangge-export-"))
            })
            .collect()
    };
    // Under nohup a hangup is ignored: the export goes on and finishes.
    // SIGTERM stands for Ctrl-C: the same handler, and not ignored in a background job, where
    // a shell without job control (a CI script's `&`) sets SIGINT to be ignored, as an export
    // then leaves it.
    for (signal, name) in [
        (libc::SIGTERM, "SIGTERM"),
        (libc::SIGKILL, "SIGKILL"),
        (libc::SIGHUP, "SIGHUP under nohup"),
    ] {
        let nohup = signal == libc::SIGHUP;
        let mut command = match nohup {
            true => {
                let mut c = std::process::Command::new("nohup");
                c.arg(env!("CARGO_BIN_EXE_wangge"));
                c
            }
            false => std::process::Command::new(env!("CARGO_BIN_EXE_wangge")),
        };
        let mut child = command
            .args(["export", pg.arg(), "--layer", "incidents", "-o"])
            .arg(out.join("incidents.csv"))
            .current_dir(d)
            .stdout(std::process::Stdio::null())
            .stderr(std::fs::File::create(d.join("export.err")).expect("stderr file"))
            .spawn()
            .expect("export");
        // Interrupted once this export's scratch GeoPackage (its pid in the name: not one a
        // killed export left) holds something.
        let own = format!(".wangge-export-{}-", child.id());
        let started = std::time::Instant::now();
        while !scratch().iter().any(|s| {
            s.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(&own))
                && std::fs::metadata(s.join("w.gpkg")).is_ok_and(|m| m.len() > 100_000)
        }) {
            assert!(
                started.elapsed().as_secs() < 60,
                "no scratch directory appeared"
            );
            assert!(child.try_wait().expect("wait").is_none(), "ended too soon");
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        // SAFETY: kill(2) sends a signal to our own child; no memory is touched.
        #[allow(unsafe_code)]
        let sent = unsafe { libc::kill(child.id() as i32, signal) };
        assert_eq!(sent, 0);
        let status = child.wait().expect("wait");
        let left = scratch();
        let said = std::fs::read_to_string(d.join("export.err")).unwrap_or_default();
        if nohup {
            assert!(status.success(), "{name}: {status:?}: {said}");
            assert!(out.join("incidents.csv").exists(), "{name}: no output");
            assert!(left.is_empty(), "{name} left {left:?}");
            std::fs::remove_file(out.join("incidents.csv")).expect("remove");
            continue;
        }
        assert_eq!(status.signal(), Some(signal), "{name}: {status:?}: {said}");
        assert!(!out.join("incidents.csv").exists(), "{name}: an output");
        match signal {
            libc::SIGTERM => assert!(left.is_empty(), "{name} left {left:?}"),
            _ => assert_eq!(
                left.len(),
                1,
                "{name}: the scratch stays until the next export"
            ),
        }
    }
    let (ok, text) = wangge(
        &[
            "export",
            pg.arg(),
            "--layer",
            "incidents",
            "-o",
            out.join("incidents.csv").to_str().expect("utf-8"),
        ],
        d,
    );
    assert!(ok, "{text}");
    assert!(scratch().is_empty(), "{:?}", scratch());
    let csv = std::fs::read_to_string(out.join("incidents.csv")).expect("csv");
    assert!(csv.lines().count() > 120_000);
}

//! Helpers shared by the integration tests.

use std::path::{Path, PathBuf};
use wangge_io::{ImportOptions, Store};

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
pub fn workspace() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::create(dir.path().join("w.gpkg")).expect("create workspace");
    (dir, store)
}

/// Imports files with options.
pub fn import(
    store: &mut Store,
    files: &[PathBuf],
    opts: &ImportOptions,
) -> wangge_io::Result<wangge_io::ImportSummary> {
    wangge_io::import(store, files, opts, &wangge_core::NoProgress)
}

/// Layer count by name.
pub fn count(store: &Store, layer: &str) -> u64 {
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

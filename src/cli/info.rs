//! `wangge info`: what a workspace holds.

use std::path::Path;
use wangge_io::{GeoPackage, Store};

/// Prints layers, counts, households and facility categories; with `check`, SQLite's full
/// `PRAGMA integrity_check` of the file first (refused when it finds damage).
pub fn run(workspace: &Path, check: bool) -> anyhow::Result<()> {
    if wangge_app::is_postgres(workspace) {
        if check {
            anyhow::bail!(
                "--check runs SQLite's integrity check of a GeoPackage file; a PostgreSQL server checks its own pages (see `wangge db status`)"
            );
        }
        let store = wangge_app::open_store(workspace, wangge_app::Access::Read)?;
        return print(store.as_ref());
    }
    let store = GeoPackage::open(workspace)?;
    if check {
        let problems = store.integrity(true);
        if !problems.is_empty() {
            return Err(super::exit::Missing(format!(
                "{}: damaged (PRAGMA integrity_check): {}",
                wangge_app::shown(workspace),
                problems.join("; ")
            ))
            .into());
        }
        println!("integrity: ok (PRAGMA integrity_check)");
    }
    print(&store)
}

/// Prints the summary of an open workspace.
pub fn print(store: &dyn Store) -> anyhow::Result<()> {
    println!("workspace {}", store.location());
    for c in store.counts()? {
        println!("  {:<16} {:>10}", c.layer, c.features);
    }
    let (given, estimated) = store.households()?;
    println!(
        "  households       {:>10}  (given {given}, estimated {estimated})",
        given + estimated
    );
    let cats = store.facility_categories()?;
    if !cats.is_empty() {
        let list: Vec<String> = cats.iter().map(|(k, v)| format!("{k} {v}")).collect();
        println!("  facilities by category: {}", list.join(", "));
    }
    // The same digest on every backend for the same content (`wangge copy` compares it).
    println!("{}", wangge_io::store::content_digest(store)?);
    Ok(())
}

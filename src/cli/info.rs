//! `wangge info`: what a workspace holds.

use std::path::Path;
use wangge_io::{GeoPackage, Store};

/// Prints layers, counts, households and facility categories.
pub fn run(workspace: &Path) -> anyhow::Result<()> {
    let store = GeoPackage::open(workspace)?;
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
    Ok(())
}

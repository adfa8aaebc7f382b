//! `wangge export`: one layer of a workspace as GeoJSON, CSV, Excel, GeoPackage or
//! Shapefile. A PostgreSQL workspace is first read into a temporary GeoPackage beside the
//! output holding only what the layer needs (the places; the plan version for grids and
//! residents' groups; the incidents with their steps for incidents), so both backends go
//! through one writer and give the same file.

use super::progress::Bar;
use std::path::{Path, PathBuf};
use std::time::Instant;
use wangge_io::Store;
use wangge_io::store::prelude::*;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The workspace (a .gpkg file or a postgres:// URL).
    workspace: PathBuf,
    /// Layer: communities, buildings, address_points, facilities, streets, land_cover,
    /// components, incidents, grids, resident_groups.
    #[arg(long)]
    layer: String,
    /// Plan version for --layer grids or resident_groups (default: the newest).
    #[arg(long)]
    plan: Option<i64>,
    /// Text encoding of a Shapefile's attributes: utf-8 (default) or gbk (older Chinese GIS).
    #[arg(long)]
    encoding: Option<String>,
    /// Output file; the format follows the extension (.geojson, .csv, .xlsx, .gpkg, .shp).
    #[arg(short, long)]
    output: PathBuf,
}

pub fn run(a: &Args) -> anyhow::Result<()> {
    let start = Instant::now();
    // Checked before anything is read: a wrong name or extension costs nothing.
    wangge_io::export::layer(&a.layer)?;
    wangge_io::export::Format::of(&a.output)?;
    let (store, _scratch) = if wangge_app::is_postgres(&a.workspace) {
        let src = wangge_app::open_store(&a.workspace, wangge_app::Access::Read)?;
        let scratch = tempfile::Builder::new()
            .prefix(".wangge-export-")
            .tempdir_in(beside(&a.output))?;
        let store = layer_copy(
            src.as_ref(),
            &a.layer,
            a.plan,
            &scratch.path().join("w.gpkg"),
        )?;
        (store, Some(scratch))
    } else {
        (wangge_io::GeoPackage::open(&a.workspace)?, None)
    };
    let n =
        wangge_io::export::export_with(&store, &a.layer, &a.output, a.plan, a.encoding.as_deref())?;
    println!(
        "exported {n} {} to {} in {:.1} s",
        a.layer,
        a.output.display(),
        start.elapsed().as_secs_f64()
    );
    Ok(())
}

/// The directory the output goes to (the current one for a bare file name).
fn beside(output: &Path) -> PathBuf {
    match output.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// A new GeoPackage at `path` with what exporting `layer` from `src` reads.
fn layer_copy(
    src: &dyn Store,
    layer: &str,
    plan: Option<i64>,
    path: &Path,
) -> anyhow::Result<wangge_io::GeoPackage> {
    let mut dst = wangge_io::GeoPackage::create(path)?;
    let bar = Bar::default();
    super::copy::copy_places(src, &mut dst, &bar)?;
    match layer {
        "grids" | "resident_groups" => {
            let id = match plan {
                Some(p) => p,
                None => src.latest_plan()?.ok_or_else(|| {
                    anyhow::anyhow!(
                        "{} has no grid plan yet: run wangge partition first",
                        src.location()
                    )
                })?,
            };
            let mut record = src.plan_record(id)?;
            // The one version alone: its parent stays behind.
            record.parent = None;
            dst.write_plan_record(&record)?;
        }
        "incidents" => super::copy::copy_incidents(src, &mut dst, &bar)?,
        _ => {}
    }
    Ok(dst)
}

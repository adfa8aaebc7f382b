//! `wangge export`: one layer of a workspace as GeoJSON, CSV, Excel, GeoPackage or
//! Shapefile. A PostgreSQL workspace is first read into a temporary GeoPackage beside the
//! output holding only what the layer needs (the places; the plan version for grids and
//! residents' groups; the incidents' rows, page by page, for incidents), so both backends go
//! through one writer and give the same file. The options are checked before anything is
//! read.

use super::progress::Bar;
use std::path::{Path, PathBuf};
use std::time::Instant;
use wangge_core::Progress;
use wangge_io::Store;
use wangge_io::export::{ExportOptions, Format};
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
    let layer = wangge_io::export::layer(&a.layer)?.name;
    let format = Format::of(&a.output)?;
    if format == Format::GeoPackage && layer == "resident_groups" {
        return Err(usage(&a.output, "residents' groups export as .geojson or .csv").into());
    }
    if let Some(e) = &a.encoding
        && wangge_io::read::encoding_for_label(e).is_none()
    {
        return Err(usage(&a.output, format!("--encoding {e:?}: utf-8 or gbk")).into());
    }
    // Declared before the store: the store (and its SQLite connection) closes first, then
    // the scratch directory goes.
    let scratch;
    let shown = wangge_app::shown(&a.workspace);
    let store = if wangge_app::is_postgres(&a.workspace) {
        let src = wangge_app::open_store(&a.workspace, wangge_app::Access::Read)?;
        scratch = Some(super::scratch::Scratch::new(&beside(&a.output))?);
        let dir = scratch
            .as_ref()
            .map_or_else(PathBuf::new, |d| d.path().into());
        layer_copy(src.as_ref(), layer, a.plan, &dir.join(super::scratch::FILE))?
    } else {
        scratch = None;
        wangge_io::GeoPackage::open(&a.workspace)?
    };
    let n = wangge_io::export::export_with(
        &store,
        layer,
        &a.output,
        &ExportOptions {
            plan: a.plan,
            encoding: a.encoding.as_deref(),
            source: Some(&shown),
        },
    )?;
    drop(store);
    drop(scratch);
    println!(
        "exported {n} {layer} to {} in {:.1} s",
        a.output.display(),
        start.elapsed().as_secs_f64()
    );
    Ok(())
}

/// A usage error naming `path` (the workspace, or the output).
fn usage(path: &Path, message: impl Into<String>) -> wangge_io::Error {
    wangge_io::Error::Usage {
        path: path.to_path_buf(),
        message: message.into(),
    }
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
    let location = PathBuf::from(src.location());
    let mut dst = wangge_io::GeoPackage::create(path)?;
    let bar = Bar::default();
    super::copy::copy_places(src, &mut dst, &bar)?;
    match layer {
        "grids" | "resident_groups" => {
            let id = match plan {
                Some(p) => p,
                None => src.latest_plan()?.ok_or_else(|| {
                    usage(
                        &location,
                        "has no grid plan yet: run wangge partition first",
                    )
                })?,
            };
            let record = src.plan_record(id)?;
            if layer == "resident_groups" && record.groups.is_empty() {
                return Err(usage(
                    &location,
                    format!("plan {id} has no residents' groups (partition --groups makes them)"),
                )
                .into());
            }
            dst.write_plan_record(&record)?;
        }
        // The rows only (the export reads no steps), a page at a time.
        "incidents" => {
            bar.start("copying incidents", None);
            let mut after = 0;
            loop {
                let page = src.incidents_after(after, 50_000)?;
                let Some(last) = page.last() else { break };
                after = last.0;
                let rows: Vec<_> = page.into_iter().map(|(_, i)| i).collect();
                dst.restore_incidents(&rows, &[])?;
                bar.advance(rows.len() as u64);
            }
            bar.finish();
        }
        _ => {}
    }
    Ok(dst)
}

//! Command definitions and dispatch.

mod audit;
mod copy;
mod coverage;
mod db;
pub mod exit;
mod export;
mod gaps;
mod generate;
mod import;
mod incidents;
mod info;
mod kpi_figures;
mod monthly;
mod partition;
mod plan;
mod progress;
mod report;
mod residents;
mod scratch;
mod serve;
mod siting;
mod token;
mod walk;
mod workers;

use clap::{Parser, Subcommand};
use std::path::PathBuf;

/// Wangge (网格): grid-based community governance engine.
///
/// Partitions communities into grids of at most 200 households, measures walking service
/// circles and serves incident heat maps. Workspaces are GeoPackage files (QGIS and GDAL
/// open them); coordinates are stored as WGS84 longitude/latitude.
#[derive(Debug, Parser)]
#[command(name = "wangge", version, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Generate a deterministic synthetic district (the demo city and benchmark input).
    Generate(generate::Args),
    /// Import OSM, GeoJSON, CSV or Shapefile data into a workspace (all files in one transaction).
    Import(Box<import::Args>),
    /// Divide every community into grids of at most --cap households (a new plan version).
    Partition(partition::Args),
    /// Walking coverage of the life-circle facility categories (5/10/15 minutes) over the street network.
    Coverage(coverage::Args),
    /// Where k new facilities of a category would bring the most households within reach.
    Siting(siting::SitingArgs),
    /// Coverage of a category after adding or removing one facility.
    WhatIf(siting::WhatIfArgs),
    /// Households not within reach of a category or life circle, clustered into gap areas.
    Gaps(gaps::Args),
    /// Serve vector tiles, TileJSON and a MapLibre style of a workspace over HTTP.
    Serve(serve::ServeArgs),
    /// Vector tiles: export a PMTiles archive.
    #[command(subcommand)]
    Tiles(serve::TilesCommand),
    /// Plan versions: list them, compare two.
    #[command(subcommand)]
    Plan(plan::Command),
    /// Incidents: assign them to the newest plan's grids, extend a deadline.
    #[command(subcommand)]
    Incidents(incidents::Command),
    /// Published figures: closed-loop KPIs, the social-condition index (releases, verify),
    /// the monthly report page.
    #[command(subcommand)]
    Report(report::Command),
    /// Access tokens for `wangge serve` (roles and scopes) and the audit log.
    #[command(subcommand)]
    Token(token::Command),
    /// Residents' personal data (a household register): import, replacing the one before.
    #[command(subcommand)]
    Residents(residents::Command),
    /// Departments and workers who handle cases (a register): import, replacing the one
    /// before, and list.
    #[command(subcommand)]
    Workers(workers::Command),
    /// Export a workspace layer as GeoJSON, CSV, Excel, GeoPackage or Shapefile.
    Export(export::Args),
    /// Print a workspace's layers, counts and households.
    Info(InfoArgs),
    /// Copy a workspace between backends (GeoPackage, PostgreSQL) and compare their digests.
    Copy(copy::Args),
    /// A PostgreSQL workspace's schema: apply its migrations, list them.
    #[command(subcommand)]
    Db(db::Command),
}

#[derive(Debug, clap::Args)]
struct InfoArgs {
    /// The workspace (a .gpkg file or a postgres:// URL).
    workspace: PathBuf,
    /// Check the whole file with SQLite's integrity_check first (exit status 4 if damaged).
    #[arg(long)]
    check: bool,
}

/// Parses the command line and runs the command.
pub fn run() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Generate(a) => generate::run(&a),
        Command::Import(a) => import::run(&a),
        Command::Partition(a) => partition::run(&a),
        Command::Coverage(a) => coverage::run(&a),
        Command::Siting(a) => siting::run_siting(&a),
        Command::WhatIf(a) => siting::run_what_if(&a),
        Command::Gaps(a) => gaps::run(&a),
        Command::Plan(c) => plan::run(&c),
        Command::Incidents(c) => incidents::run(&c),
        Command::Report(c) => report::run(&c),
        Command::Token(c) => token::run(&c),
        Command::Residents(c) => residents::run(&c),
        Command::Workers(c) => workers::run(&c),
        Command::Serve(a) => serve::run_serve(&a),
        Command::Tiles(c) => serve::run_tiles(&c),
        Command::Copy(a) => copy::run(&a),
        Command::Export(a) => export::run(&a),
        Command::Info(a) => info::run(&a.workspace, a.check),
        Command::Db(c) => db::run(&c),
    }
}

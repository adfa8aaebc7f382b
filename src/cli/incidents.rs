//! `wangge incidents assign`: give stored incidents the community and grid of the newest plan.

use std::path::PathBuf;
use wangge_io::Store;

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Assign incidents to the communities and the newest plan's grids by location (those
    /// without a grid; with --all every incident, replacing the grid recorded at ingest).
    Assign {
        /// The workspace (.gpkg).
        workspace: PathBuf,
        /// Reassign every incident, not only those without a grid.
        #[arg(long)]
        all: bool,
    },
}

pub fn run(c: &Command) -> anyhow::Result<()> {
    match c {
        Command::Assign { workspace, all } => {
            let mut store = Store::open(workspace)?;
            let t = std::time::Instant::now();
            let (seen, changed) = store.reassign_incidents(!all)?;
            println!(
                "{seen} incidents looked at, {changed} given a new community or grid, in {:.1} s",
                t.elapsed().as_secs_f64()
            );
            Ok(())
        }
    }
}

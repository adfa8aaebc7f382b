//! `wangge incidents assign`: give stored incidents the community and grid of the newest plan;
//! `wangge incidents extend`: grant an open incident more time (延期), counted by the KPIs.

use std::path::PathBuf;

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Assign incidents to the communities and the newest plan's grids by location (those
    /// without a grid; with --all every incident, replacing the grid recorded at ingest).
    Assign {
        /// The workspace (a .gpkg file or a postgres:// URL).
        workspace: PathBuf,
        /// Reassign every incident, not only those without a grid.
        #[arg(long)]
        all: bool,
    },
    /// Extend an open incident's deadline by some hours (recorded as an `extended` event).
    Extend {
        /// The workspace (a .gpkg file or a postgres:// URL).
        workspace: PathBuf,
        /// The incident id.
        id: String,
        /// Hours of extension.
        #[arg(long)]
        hours: f64,
        /// Why (kept with the event).
        #[arg(long, default_value = "")]
        reason: String,
    },
}

pub fn run(c: &Command) -> anyhow::Result<()> {
    match c {
        Command::Assign { workspace, all } => {
            let mut store = wangge_app::open_store(workspace.as_ref(), wangge_app::Access::Write)?;
            let store = &mut *store;
            let t = std::time::Instant::now();
            let (seen, changed) = store.reassign_incidents(!all)?;
            super::audit::record(
                store,
                "incidents.assign",
                &format!("{seen} incidents looked at, {changed} changed"),
            )?;
            println!(
                "{seen} incidents looked at, {changed} given a new community or grid, in {:.1} s",
                t.elapsed().as_secs_f64()
            );
            Ok(())
        }
        Command::Extend {
            workspace,
            id,
            hours,
            reason,
        } => {
            let mut store = wangge_app::open_store(workspace.as_ref(), wangge_app::Access::Write)?;
            let store = &mut *store;
            store.extend_incident(id, *hours, wangge_core::Timestamp::now(), reason)?;
            super::audit::record(
                store,
                "incident.extend",
                &format!("{id}: {hours} h: {reason}"),
            )?;
            println!("incident {id}: deadline extended by {hours} hours");
            Ok(())
        }
    }
}

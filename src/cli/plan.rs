//! `wangge plan list|diff`: plan versions in a workspace.

use std::path::PathBuf;
use wangge_core::partition::diff::diff;
use wangge_io::Store;

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// List the plan versions.
    List {
        /// The workspace (.gpkg).
        workspace: PathBuf,
    },
    /// Compare two plan versions: old→new grid codes and moved households.
    Diff {
        /// The workspace (.gpkg).
        workspace: PathBuf,
        /// The older plan id.
        a: i64,
        /// The newer plan id.
        b: i64,
        /// List every moved address point (default: the first 50).
        #[arg(long)]
        all: bool,
    },
}

pub fn run(c: &Command) -> anyhow::Result<()> {
    match c {
        Command::List { workspace } => {
            let store = Store::open(workspace)?;
            println!(
                "{:>4}  {:<24}  {:<10} {:>5} {:>7} {:>10} {:>10}",
                "id", "created", "kind", "cap", "grids", "households", "violations"
            );
            for p in store.plans()? {
                println!(
                    "{:>4}  {:<24}  {:<10} {:>5} {:>7} {:>10} {:>10}",
                    p.id, p.created, p.kind, p.cap, p.grids, p.households, p.violations
                );
            }
        }
        Command::Diff {
            workspace,
            a,
            b,
            all,
        } => {
            let store = Store::open(workspace)?;
            let d = diff(&store.plan_members(*a)?, &store.plan_members(*b)?);
            println!("plan {a} → plan {b}");
            println!(
                "{:<20} {:<20} {:>8} {:>8} {:>8}",
                "old grid", "new grid", "shared", "old hh", "new hh"
            );
            for m in &d.matches {
                let changed = m.new.as_deref() != Some(m.old.as_str())
                    || m.shared != m.old_households
                    || m.new_households != m.old_households;
                if changed || *all {
                    println!(
                        "{:<20} {:<20} {:>8} {:>8} {:>8}",
                        m.old,
                        m.new.as_deref().unwrap_or("-"),
                        m.shared,
                        m.old_households,
                        m.new_households
                    );
                }
            }
            if !d.new_grids.is_empty() {
                println!("new grids: {}", d.new_grids.join(", "));
            }
            println!(
                "moved: {} households at {} address points",
                d.moved_households,
                d.moves.len()
            );
            for mv in d.moves.iter().take(if *all { usize::MAX } else { 50 }) {
                println!(
                    "  {:<40} {:>5}  {} → {}",
                    mv.address, mv.households, mv.from, mv.to
                );
            }
            if !*all && d.moves.len() > 50 {
                println!("  ... {} more (--all lists them)", d.moves.len() - 50);
            }
            if d.only_in_a + d.only_in_b > 0 {
                println!(
                    "households only in plan {a}: {}, only in plan {b}: {}",
                    d.only_in_a, d.only_in_b
                );
            }
        }
    }
    Ok(())
}

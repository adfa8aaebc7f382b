//! `wangge plan list|diff`: plan versions in a workspace.

use std::path::PathBuf;
use wangge_app::plans::{PlanError, SavedVersion};
use wangge_core::partition::diff::diff;
use wangge_core::partition::edit::Edit;

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Apply a planner's edit to the current plan (or --from); an accepted edit is saved as a
    /// new plan version, a refused one says why.
    Edit {
        /// The workspace (a .gpkg file or a postgres:// URL).
        workspace: PathBuf,
        /// Plan to edit (default: the current one). An edit of another version is refused
        /// unless kept as a branch.
        #[arg(long)]
        from: Option<i64>,
        /// Keep the edit as a branch: a version that does not become the current one.
        #[arg(long)]
        branch: bool,
        #[command(subcommand)]
        op: EditOp,
    },
    /// Undo the newest plan version: save the plan it came from again, as a new version.
    Undo {
        /// The workspace (a .gpkg file or a postgres:// URL).
        workspace: PathBuf,
    },
    /// List the plan versions.
    List {
        /// The workspace (a .gpkg file or a postgres:// URL).
        workspace: PathBuf,
    },
    /// Compare two plan versions: old→new grid codes and moved households.
    Diff {
        /// The workspace (a .gpkg file or a postgres:// URL).
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

#[derive(Debug, clap::Subcommand)]
pub enum EditOp {
    /// Move whole buildings into a grid.
    Move {
        /// Building keys, comma-separated.
        #[arg(long, value_delimiter = ',', required = true)]
        building: Vec<String>,
        /// Target grid code.
        #[arg(long)]
        to: String,
    },
    /// Split a grid in two.
    Split {
        /// Grid code.
        grid: String,
    },
    /// Merge grid B into grid A.
    Merge {
        /// Grid that stays.
        a: String,
        /// Grid that is absorbed.
        b: String,
    },
    /// Renumber the grids of a community in serial order (north→south, west→east); other
    /// edits never change the code of a grid they do not redraw.
    Renumber {
        /// Community code.
        community: String,
    },
}

fn print_saved(v: &SavedVersion) {
    println!(
        "saved as plan {} ({} grids, {} violations)",
        v.plan, v.grids, v.violations
    );
}

pub fn run(c: &Command) -> anyhow::Result<()> {
    match c {
        Command::Edit {
            workspace,
            from,
            branch,
            op,
        } => {
            let mut store = wangge_app::open_store(workspace.as_ref(), wangge_app::Access::Write)?;
            let store = &mut *store;
            let base = match from {
                Some(p) => *p,
                None => store.latest_plan()?.ok_or_else(|| {
                    super::exit::Missing("no plan yet: run wangge partition first".into())
                })?,
            };
            let edit = match op {
                EditOp::Move { building, to } => Edit::Move {
                    buildings: building.clone(),
                    to: to.clone(),
                },
                EditOp::Split { grid } => Edit::Split { grid: grid.clone() },
                EditOp::Merge { a, b } => Edit::Merge {
                    a: a.clone(),
                    b: b.clone(),
                },
                EditOp::Renumber { community } => Edit::Renumber {
                    community: community.clone(),
                },
            };
            // wangge-app: the viewer's edits (the API) go through the same use case.
            let v = match wangge_app::plans::edit(store, base, &edit, &|_| true, *branch) {
                Err(PlanError::Refused(why)) => {
                    return Err(super::exit::Refused(format!("edit refused: {why}")).into());
                }
                Err(PlanError::Stale { base, current }) => {
                    return Err(super::exit::Refused(format!(
                        "plan {base} is not the current version ({}): edit the current one, or keep this edit as a branch with --branch",
                        current.map_or("none".to_string(), |c| c.to_string())
                    ))
                    .into());
                }
                other => other?,
            };
            super::audit::record(
                store,
                "plan.edit",
                &format!("plan {base} → {}: {edit:?}; grids {:?}", v.plan, v.changed),
            )?;
            print_saved(&v);
            println!(
                "edit of plan {base}: {} households at {} address points changed grid",
                v.moved_households, v.moved_points
            );
        }
        Command::Undo { workspace } => {
            let mut store = wangge_app::open_store(workspace.as_ref(), wangge_app::Access::Write)?;
            let store = &mut *store;
            let latest = store
                .latest_plan()?
                .ok_or_else(|| super::exit::Missing("no plan to undo".into()))?;
            let (parent, v) = match wangge_app::plans::undo(store, &|_| true) {
                Err(PlanError::NoParent { plan }) => {
                    return Err(super::exit::Missing(format!(
                        "plan {plan} has no earlier version to go back to"
                    ))
                    .into());
                }
                other => other?,
            };
            super::audit::record(
                store,
                "plan.undo",
                &format!("plan {latest} undone as {}: grids {:?}", v.plan, v.changed),
            )?;
            print_saved(&v);
            println!("plan {latest} undone: back to the grids of plan {parent}");
        }
        Command::List { workspace } => {
            let store = wangge_app::open_store(workspace.as_ref(), wangge_app::Access::Read)?;
            let store = &*store;
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
            let store = wangge_app::open_store(workspace.as_ref(), wangge_app::Access::Read)?;
            let store = &*store;
            let d = diff(&store.plan_members(*a)?, &store.plan_members(*b)?);
            println!("plan {a} → plan {b}");
            println!(
                "{:<20} {:<20} {:>8} {:>8} {:>8}",
                "old grid", "new grid", "shared", "old hh", "new hh"
            );
            for m in &d.matches {
                if wangge_app::plans::changed(m) || *all {
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

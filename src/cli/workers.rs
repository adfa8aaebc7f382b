//! `wangge workers`: the register of departments and workers who handle cases (CSV or a
//! workbook), imported whole, replacing the one before in one transaction; and a listing.

use std::collections::HashSet;
use std::path::PathBuf;
use wangge_io::workforce::{Known, read_departments, read_workers};

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Replace the register with a workers file: one row per worker with an id (工号), a
    /// name and a department (部门), optionally a grid (网格, a code of the newest plan), a
    /// phone, the access token they sign in with (令牌, its id) and the department's street.
    Import {
        /// The workspace (a .gpkg file or a postgres:// URL).
        workspace: PathBuf,
        /// The workers register (.csv, or an Excel workbook .xlsx/.xls/.ods).
        file: PathBuf,
        /// A departments register (code, name, street); the workers' department column then
        /// names a department by code or name. Without it, departments are the distinct
        /// department texts of the workers register.
        #[arg(long)]
        departments: Option<PathBuf>,
        /// Text encoding of CSV files (detected: UTF-8, else GBK).
        #[arg(long)]
        encoding: Option<String>,
        /// The sheet of a workbook (default: the first).
        #[arg(long)]
        sheet: Option<String>,
    },
    /// Replace the register with a plausible one for the newest plan's grids (the demo's):
    /// each street's sections, district bureaus, one grid worker per grid.
    Generate {
        /// The workspace (a .gpkg file or a postgres:// URL).
        workspace: PathBuf,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Also record the demo's history of assignments: each case dispatched and not yet
        /// assigned gets one at its dispatch, to its street's office by kind (community
        /// matters with the grid's worker).
        #[arg(long)]
        history: bool,
    },
    /// The departments and workers (phones left out).
    List {
        /// The workspace (a .gpkg file or a postgres:// URL).
        workspace: PathBuf,
    },
}

pub fn run(c: &Command) -> anyhow::Result<()> {
    match c {
        Command::Import {
            workspace,
            file,
            departments,
            encoding,
            sheet,
        } => {
            let given = departments
                .as_ref()
                .map(|d| read_departments(d, encoding.as_deref(), None))
                .transpose()?;
            let mut store = wangge_app::open_store(workspace.as_ref(), wangge_app::Access::Write)?;
            let store = &mut *store;
            // Grids of the newest plan and tokens that exist: a row naming others is bad.
            let known = Known {
                grids: Some(match store.latest_plan()? {
                    Some(p) => store.plan_grids(p)?.into_iter().map(|(g, _)| g).collect(),
                    None => HashSet::new(),
                }),
                tokens: Some(store.tokens()?.into_iter().map(|t| t.id).collect()),
            };
            let (deps, workers) =
                read_workers(file, encoding.as_deref(), sheet.as_deref(), given, &known)?;
            store.replace_workforce(&deps, &workers)?;
            store.audit(
                "cli",
                "admin",
                "workers.import",
                &format!(
                    "{} departments, {} workers from {}",
                    deps.len(),
                    workers.len(),
                    file.display()
                ),
            )?;
            println!(
                "{} departments and {} workers imported into {} (the register before was replaced)",
                deps.len(),
                workers.len(),
                wangge_app::shown(workspace)
            );
        }
        Command::Generate {
            workspace,
            seed,
            history,
        } => {
            let mut store = wangge_app::open_store(workspace.as_ref(), wangge_app::Access::Write)?;
            let store = &mut *store;
            let Some(plan) = store.latest_plan()? else {
                anyhow::bail!(
                    "{} has no plan yet: run wangge partition first",
                    wangge_app::shown(workspace)
                );
            };
            let street_of: std::collections::HashMap<String, String> =
                store.community_streets()?.into_iter().collect();
            let grids: Vec<(String, Option<String>)> = store
                .plan_grids(plan)?
                .into_iter()
                .map(|(g, c)| {
                    let street = street_of.get(&c).cloned();
                    (g, street)
                })
                .collect();
            let (deps, workers) = wangge_synth::workforce(&grids, *seed);
            store.replace_workforce(&deps, &workers)?;
            store.audit("cli", "admin", "workers.generate", &format!("seed {seed}"))?;
            println!(
                "{} departments and {} workers generated into {} (one grid worker for each of {} grids)",
                deps.len(),
                workers.len(),
                wangge_app::shown(workspace),
                grids.len()
            );
            if *history {
                let cases = store.kpi_cases()?;
                let past = wangge_synth::past_assignments(&cases, &deps, &workers);
                store.record_assignments(&past, "workers generate")?;
                store.audit(
                    "cli",
                    "admin",
                    "workers.history",
                    &format!("{} past assignments", past.len()),
                )?;
                println!(
                    "{} dispatched cases given the assignment a dispatcher would have made (at their dispatch)",
                    past.len()
                );
            }
        }
        Command::List { workspace } => {
            let store = wangge_app::open_store(workspace.as_ref(), wangge_app::Access::Read)?;
            for d in store.departments()? {
                println!(
                    "department\t{}\t{}\t{}",
                    d.code,
                    d.name,
                    d.street.as_deref().unwrap_or("")
                );
            }
            for w in store.workers()? {
                println!(
                    "worker\t{}\t{}\t{}\t{}",
                    w.id,
                    w.name,
                    w.department,
                    w.grid.as_deref().unwrap_or("")
                );
            }
        }
    }
    Ok(())
}

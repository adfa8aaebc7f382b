//! `wangge workers`: the register of departments and workers who handle cases (CSV or a
//! workbook), imported whole, replacing the one before in one transaction; and a listing.

use std::collections::HashSet;
use std::path::PathBuf;
use wangge_io::workforce::{read_departments, read_workers};

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
            let (deps, workers) = read_workers(file, encoding.as_deref(), sheet.as_deref(), given)?;
            let mut store = wangge_app::open_store(workspace.as_ref(), wangge_app::Access::Write)?;
            let store = &mut *store;
            // Grids of the newest plan and tokens that exist: checked before anything is stored.
            let grids: HashSet<String> = match store.latest_plan()? {
                Some(p) => store.plan_grids(p)?.into_iter().map(|(g, _)| g).collect(),
                None => HashSet::new(),
            };
            let tokens: HashSet<i64> = store.tokens()?.into_iter().map(|t| t.id).collect();
            let mut problems = Vec::new();
            for (i, w) in workers.iter().enumerate() {
                if let Some(g) = &w.grid
                    && !grids.contains(g)
                {
                    problems.push(format!(
                        "worker {i} ({:?}): grid {g:?} is not a grid of the newest plan",
                        w.id
                    ));
                }
                if let Some(t) = w.token
                    && !tokens.contains(&t)
                {
                    problems.push(format!("worker {i} ({:?}): no token {t}", w.id));
                }
            }
            if !problems.is_empty() {
                anyhow::bail!(
                    "{}: nothing was imported: {}",
                    file.display(),
                    problems.join("; ")
                );
            }
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

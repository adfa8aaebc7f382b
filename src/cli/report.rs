//! `wangge report`: the closed-loop KPIs (`kpi`), the social-condition index (`index`, with
//! `--release` storing an audit record), `verify` (recompute a release and compare digests),
//! `releases`, `components` (city components per area), and `monthly` (an HTML page a street office can hand out: tables, charts, map).

use super::kpi_figures::{hours, kpi_charts, names, pct};
use anyhow::{Context, bail};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use wangge_app::kpi::MonthKpis;
use wangge_core::Timestamp;
use wangge_core::kpi::{IndexParams, IndexRun, KpiRow, Level, TimeLimits, month_range};

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Closed-loop KPIs of a month per area: filed, dispatch, closure, on-time, rework and
    /// extension rates, overdue cases, median hours per step.
    Kpi {
        /// The workspace (a .gpkg file or a postgres:// URL).
        workspace: PathBuf,
        /// The month, YYYY-MM (local time, UTC+8).
        #[arg(long)]
        month: String,
        /// Areas: grid, community, street or district.
        #[arg(long, default_value = "community")]
        by: String,
        /// Time limits (TOML; default the built-in data/time_limits.toml).
        #[arg(long)]
        limits: Option<PathBuf>,
        /// Steps as of this time (default: the end of the month).
        #[arg(long)]
        asof: Option<String>,
        /// Also write the rows as CSV (UTF-8 with BOM for Excel).
        #[arg(long)]
        csv: Option<PathBuf>,
        /// Also write the rows as an Excel workbook (.xlsx: numbers as numbers).
        #[arg(long)]
        xlsx: Option<PathBuf>,
        /// Also draw PNG charts into this directory: ranking of the areas, 12-month trend.
        #[arg(long)]
        charts: Option<PathBuf>,
    },
    /// The social-condition index of a month: per 1,000 households, 100 = the district.
    Index {
        /// The workspace (a .gpkg file or a postgres:// URL).
        workspace: PathBuf,
        /// The month, YYYY-MM.
        #[arg(long)]
        month: String,
        /// Areas: community, street or grid.
        #[arg(long, default_value = "community")]
        by: String,
        /// Parameters (TOML; default the built-in data/social_index.toml).
        #[arg(long)]
        params: Option<PathBuf>,
        /// Also write the rows as CSV (UTF-8 with BOM).
        #[arg(long)]
        csv: Option<PathBuf>,
        /// Store this month as a release: parameters, canonical inputs and results, digests.
        #[arg(long)]
        release: bool,
    },
    /// City components (部件) per area by GB/T 30428.2 subclass and status (CSV on stdout).
    Components {
        /// The workspace (a .gpkg file or a postgres:// URL).
        workspace: PathBuf,
        /// Areas: grid, community, street or district.
        #[arg(long, default_value = "grid")]
        by: String,
        /// Instead, rank the components with repeated faults: at least this many incidents
        /// reported about each.
        #[arg(long)]
        faults: Option<u64>,
        /// With --faults: incidents reported from this date or time (+08:00).
        #[arg(long)]
        since: Option<String>,
        /// Also write the table as an Excel workbook (.xlsx: counts as numbers).
        #[arg(long, conflicts_with = "faults")]
        xlsx: Option<PathBuf>,
    },
    /// Recompute a stored release from the workspace and compare its digests.
    Verify {
        /// The workspace (a .gpkg file or a postgres:// URL).
        workspace: PathBuf,
        /// Release id (`wangge report releases`).
        id: i64,
    },
    /// List the stored index releases.
    Releases {
        /// The workspace (a .gpkg file or a postgres:// URL).
        workspace: PathBuf,
    },
    /// A monthly report page (HTML with the charts and the map embedded: no other file).
    Monthly {
        /// The workspace (a .gpkg file or a postgres:// URL).
        workspace: PathBuf,
        /// The month, YYYY-MM.
        #[arg(long)]
        month: String,
        /// Output .html.
        #[arg(short, long)]
        output: PathBuf,
        /// Areas: community or street.
        #[arg(long, default_value = "community")]
        by: String,
    },
}

fn level(by: &str) -> anyhow::Result<Level> {
    Level::parse(by).ok_or_else(|| {
        anyhow::anyhow!("--by {by:?}: grid, community, street, district, department or worker")
    })
}

/// A level of areas (components, the index and the monthly report are per area).
fn area_level(by: &str) -> anyhow::Result<Level> {
    Level::parse_area(by)
        .ok_or_else(|| anyhow::anyhow!("--by {by:?}: grid, community, street or district"))
}

fn check_month(m: &str) -> anyhow::Result<(Timestamp, Timestamp)> {
    month_range(m).ok_or_else(|| anyhow::anyhow!("--month {m:?}: YYYY-MM, e.g. 2026-10"))
}

fn limits(path: Option<&Path>) -> anyhow::Result<TimeLimits> {
    Ok(match path {
        Some(p) => TimeLimits::parse(
            &std::fs::read_to_string(p).with_context(|| format!("cannot read {}", p.display()))?,
            &p.display().to_string(),
        )?,
        None => TimeLimits::builtin(),
    })
}

fn params(path: Option<&Path>) -> anyhow::Result<IndexParams> {
    Ok(match path {
        Some(p) => IndexParams::parse(
            &std::fs::read_to_string(p).with_context(|| format!("cannot read {}", p.display()))?,
            &p.display().to_string(),
        )?,
        None => IndexParams::builtin(),
    })
}

fn print_kpis(rows: &[KpiRow], names: &BTreeMap<String, String>) {
    println!(
        "{:<18} {:<10} {:>7} {:>7} {:>7} {:>7} {:>7} {:>7} {:>7} {:>7} {:>7}  median h: dispatch handle follow close",
        "area",
        "name",
        "reported",
        "filed%",
        "disp%",
        "closed%",
        "ontime%",
        "rework%",
        "ext%",
        "overdue",
        ""
    );
    for r in rows {
        println!(
            "{:<18} {:<10} {:>7} {:>7} {:>7} {:>7} {:>7} {:>7} {:>7} {:>7} {:>7}  {:>6} {:>6} {:>6} {:>6}",
            r.area,
            names.get(&r.area).map_or("", String::as_str),
            r.reported,
            pct(r.filed_rate()),
            pct(r.dispatch_rate()),
            pct(r.closure_rate()),
            pct(r.on_time_rate()),
            pct(r.rework_rate()),
            pct(r.extension_rate()),
            r.overdue,
            "",
            hours(r.median_h[0]),
            hours(r.median_h[1]),
            hours(r.median_h[2]),
            hours(r.median_h[3]),
        );
    }
}

/// The KPI table's columns (CSV and Excel).
const KPI_COLUMNS: [&str; 24] = [
    "area",
    "name",
    "reported",
    "filed",
    "dispatched",
    "closed",
    "closed_on_time",
    "reworked",
    "extended",
    "overdue",
    "filed_rate",
    "dispatch_rate",
    "closure_rate",
    "on_time_rate",
    "rework_rate",
    "extension_rate",
    "median_dispatch_h",
    "median_handle_h",
    "median_follow_up_h",
    "median_close_h",
    "satisfied",
    "basically_satisfied",
    "dissatisfied",
    "satisfaction_rate",
];

/// A KPI row as the table's cells (the CSV and the Excel sheet write the same cells).
fn kpi_cells(r: &KpiRow, names: &BTreeMap<String, String>) -> Vec<wangge_io::xlsx::Cell> {
    use wangge_io::xlsx::Cell;
    let mut c: Vec<Cell> = vec![r.area.clone().into(), names.get(&r.area).cloned().into()];
    c.extend(
        [
            r.reported,
            r.filed,
            r.dispatched,
            r.closed,
            r.closed_on_time,
            r.reworked,
            r.extended,
            r.overdue,
        ]
        .map(Cell::from),
    );
    c.extend(
        [
            r.filed_rate(),
            r.dispatch_rate(),
            r.closure_rate(),
            r.on_time_rate(),
            r.rework_rate(),
            r.extension_rate(),
        ]
        .map(Cell::from),
    );
    c.extend(r.median_h.map(Cell::from));
    c.extend(r.evaluations.map(Cell::from));
    c.push(r.satisfaction_rate().into());
    c
}

/// The KPI table as an Excel sheet: counts and rates as numbers (rates as fractions).
fn kpi_xlsx(path: &Path, rows: &[KpiRow], names: &BTreeMap<String, String>) -> anyhow::Result<()> {
    let table: Vec<_> = rows.iter().map(|r| kpi_cells(r, names)).collect();
    wangge_io::xlsx::write_table(path, "KPI", &KPI_COLUMNS, &table)?;
    Ok(())
}

/// The KPI table as CSV (BOM, CRLF): counts whole, rates and hours to 4 decimals.
fn kpi_csv(rows: &[KpiRow], names: &BTreeMap<String, String>) -> String {
    use wangge_io::xlsx::Cell;
    let mut s = format!("\u{feff}{}\r\n", KPI_COLUMNS.join(","));
    for r in rows {
        let cells: Vec<String> = kpi_cells(r, names)
            .into_iter()
            .map(|c| match c {
                Cell::Text(t) => t,
                Cell::Count(n) => n.to_string(),
                Cell::Number(x) => format!("{x:.4}"),
                Cell::Time(t) => t.to_string(),
                Cell::Empty => String::new(),
            })
            .collect();
        s.push_str(&cells.join(","));
        s.push_str("\r\n");
    }
    s
}

fn print_index(run: &IndexRun, p: &IndexParams, names: &BTreeMap<String, String>) {
    print!(
        "{:<18} {:<10} {:>10} {:>8} {:>8} {:>7} {:>5}",
        "area", "name", "households", "index", "previous", "change", "rank"
    );
    for c in &p.categories {
        print!(" {:>9}", c.code);
    }
    println!();
    let f = |x: Option<f64>| x.map_or("–".into(), |x| format!("{x:.1}"));
    for r in &run.rows {
        print!(
            "{:<18} {:<10} {:>10} {:>8} {:>8} {:>7} {:>5}",
            r.area,
            names.get(&r.area).map_or("", String::as_str),
            r.households,
            f(r.index),
            f(r.previous),
            r.change().map_or("–".into(), |c| format!("{c:+.1}")),
            r.rank.map_or("–".into(), |r| r.to_string())
        );
        for s in &r.category_scores {
            print!(" {:>9}", f(*s));
        }
        println!();
    }
    println!("inputs  sha256 {}", run.inputs_sha256);
    println!("results sha256 {}", run.results_sha256);
    println!("params  sha256 {}", run.params_sha256);
}

fn index_csv(run: &IndexRun, p: &IndexParams, names: &BTreeMap<String, String>) -> String {
    let mut s = String::from("\u{feff}area,name,households,index,previous,change,rank");
    for c in &p.categories {
        s.push_str(&format!(",{}", c.code));
    }
    for i in &p.items {
        s.push_str(&format!(",{}", i.code));
    }
    s.push_str("\r\n");
    let f = |x: Option<f64>| x.map_or(String::new(), |x| format!("{x:.2}"));
    for r in &run.rows {
        s.push_str(&format!(
            "{},{},{},{},{},{},{}",
            r.area,
            names.get(&r.area).map_or("", String::as_str),
            r.households,
            f(r.index),
            f(r.previous),
            f(r.change()),
            r.rank.map_or(String::new(), |x| x.to_string())
        ));
        for c in &r.category_scores {
            s.push_str(&format!(",{}", f(*c)));
        }
        for &n in &r.counts {
            // Small counts are suppressed in what is handed out.
            if n > 0 && n < p.min_count {
                s.push_str(&format!(",<{}", p.min_count));
            } else {
                s.push_str(&format!(",{n}"));
            }
        }
        s.push_str("\r\n");
    }
    s
}

pub fn run(c: &Command) -> anyhow::Result<()> {
    match c {
        Command::Kpi {
            workspace,
            month,
            by,
            limits: lp,
            asof,
            csv,
            xlsx,
            charts,
        } => {
            check_month(month)?;
            let asof = asof
                .as_deref()
                .map(|t| Timestamp::parse(t, 8 * 3600).map_err(|e| anyhow::anyhow!("--asof: {e}")))
                .transpose()?;
            let (l, lim) = (level(by)?, limits(lp.as_deref())?);
            let store = wangge_app::open_store(workspace.as_ref(), wangge_app::Access::Read)?;
            let store = &*store;
            // wangge-app: the API's /api/kpi counts the same.
            // Names of communities, departments and workers as the API gives them.
            let MonthKpis {
                asof,
                incidents,
                rows,
                names,
                ..
            } = wangge_app::kpi::month_kpis(store, &lim, month, l, asof)?;
            println!(
                "closed-loop KPIs, {month}, by {by}, steps as of {asof} ({incidents} incidents in the store)"
            );
            print_kpis(&rows, &names);
            if let Some(p) = csv {
                std::fs::write(p, kpi_csv(&rows, &names))
                    .with_context(|| format!("cannot write {}", p.display()))?;
                println!("wrote {}", p.display());
            }
            if let Some(p) = xlsx {
                kpi_xlsx(p, &rows, &names)?;
                println!("wrote {}", p.display());
            }
            if let Some(dir) = charts {
                let trend = wangge_app::kpi::trend(store, &lim, month, 12)?;
                for f in kpi_charts(dir, month, &rows, &trend, &names)? {
                    println!("wrote {}", f.display());
                }
            }
        }
        Command::Components {
            workspace,
            by,
            faults,
            since,
            xlsx,
        } => {
            let l = area_level(by)?;
            let store = wangge_app::open_store(workspace.as_ref(), wangge_app::Access::Read)?;
            if let Some(min) = faults {
                let from = since
                    .as_deref()
                    .map(|t| Timestamp::parse(t, 8 * 3600))
                    .transpose()
                    .map_err(|e| anyhow::anyhow!("--since: {e}"))?;
                // wangge-app: /api/components/faults ranks the same.
                let rows = wangge_app::components::repeated_faults(&*store, (from, None), *min)?;
                print!("{}", wangge_app::components::faults_csv(&rows));
                eprintln!("{} components with {min} or more incidents", rows.len());
                return Ok(());
            }
            // wangge-app: the API's /api/components answers the same rows.
            let counts = wangge_app::components::component_counts(&*store, l)?;
            if let Some(p) = xlsx {
                wangge_app::components::counts_xlsx(
                    p,
                    &counts,
                    &wangge_core::ComponentCatalogue::builtin(),
                )?;
                eprintln!("wrote {}", p.display());
            }
            print!(
                "{}",
                wangge_app::components::counts_csv(
                    &counts,
                    &wangge_core::ComponentCatalogue::builtin()
                )
            );
            eprintln!(
                "{} components, {} outside every {by}",
                counts.total, counts.outside
            );
        }
        Command::Index {
            workspace,
            month,
            by,
            params: pp,
            csv,
            release,
        } => {
            check_month(month)?;
            let l = area_level(by)?;
            let p = params(pp.as_deref())?;
            let store = wangge_app::open_store(workspace.as_ref(), wangge_app::Access::Read)?;
            let store = &*store;
            // wangge-app: the API's /api/index computes the same.
            let run = wangge_app::kpi::month_index(store, &p, month, l)?;
            let names = names(store)?;
            println!(
                "social-condition index, {month}, by {by} (100 = the district; per 1,000 households)"
            );
            print_index(&run, &p, &names);
            if let Some(f) = csv {
                std::fs::write(f, index_csv(&run, &p, &names))
                    .with_context(|| format!("cannot write {}", f.display()))?;
                println!("wrote {}", f.display());
            }
            if *release {
                let id = store.release_index(&run, &p.source)?;
                println!(
                    "released as {id}: `wangge report verify {} {id}` recomputes it",
                    wangge_app::shown(workspace)
                );
            }
        }
        Command::Verify { workspace, id } => {
            let store = wangge_app::open_store(workspace.as_ref(), wangge_app::Access::Read)?;
            let store = &*store;
            let r = store.index_release(*id)?;
            let p = IndexParams::parse(&r.params, &format!("release {id}"))?;
            let l = area_level(&r.level)?;
            // As `report index` computed it: the month and the one before, from the store.
            let run = wangge_app::kpi::month_index(store, &p, &r.month, l)?;
            println!(
                "release {id}: {} by {}, made {}",
                r.month, r.level, r.created
            );
            println!("  params  {} (stored {})", p.digest(), r.params_sha256);
            println!(
                "  inputs  {} (stored {})",
                run.inputs_sha256, r.inputs_sha256
            );
            println!(
                "  results {} (stored {})",
                run.results_sha256, r.results_sha256
            );
            if run.inputs_sha256 != r.inputs_sha256 {
                bail!(
                    "release {id}: the inputs changed since it was released (incidents or households of {} were edited); the stored inputs and results are in the index_releases table",
                    r.month
                );
            }
            if run.results_sha256 != r.results_sha256 {
                bail!("release {id}: the same inputs gave other results");
            }
            println!("verified: the same inputs give the same results");
        }
        Command::Releases { workspace } => {
            let store = wangge_app::open_store(workspace.as_ref(), wangge_app::Access::Read)?;
            let store = &*store;
            println!(
                "{:>4}  {:<24} {:<8} {:<10} results sha256",
                "id", "created", "month", "by"
            );
            for (id, created, month, l, sha) in store.index_releases()? {
                println!("{id:>4}  {created:<24} {month:<8} {l:<10} {sha}");
            }
        }
        Command::Monthly {
            workspace,
            month,
            output,
            by,
        } => {
            let n = super::monthly::write(workspace, month, area_level(by)?, output)?;
            println!("wrote {} ({n} areas)", output.display());
        }
    }
    Ok(())
}

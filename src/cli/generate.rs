//! `wangge generate`: the synthetic city.

use super::progress::Bar;
use anyhow::{Context, bail};
use std::path::PathBuf;
use std::time::Instant;
use wangge_io::Store;
use wangge_synth::{CityParams, generate};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Households to generate (2,000 to 1,000,000).
    #[arg(long, default_value_t = 20_000)]
    households: u64,
    /// Random seed: the same seed always gives the same city.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Workspace to create (.gpkg); must not exist yet.
    #[arg(long)]
    workspace: PathBuf,
    /// Overwrite the workspace if it exists.
    #[arg(long)]
    force: bool,
}

pub fn run(a: &Args) -> anyhow::Result<()> {
    if !(1..=5_000_000).contains(&a.households) {
        bail!("--households must be between 1 and 5000000");
    }
    if a.workspace.exists() {
        if a.force {
            std::fs::remove_file(&a.workspace)
                .with_context(|| format!("cannot remove {}", a.workspace.display()))?;
        } else {
            bail!(
                "{} exists; use --force to overwrite it",
                a.workspace.display()
            );
        }
    }
    let start = Instant::now();
    let bar = Bar::default();
    let city = generate(&CityParams::new(a.households, a.seed), &bar);
    let generated = start.elapsed();
    let mut store = Store::create(&a.workspace)?;
    store.write(
        &city,
        "generate",
        &format!("households={} seed={}", a.households, a.seed),
        &bar,
    )?;
    super::info::print(&store)?;
    println!(
        "generated {} households in {} communities (seed {}) in {:.1} s, written in {:.1} s",
        city.households().0 + city.households().1,
        city.communities.len(),
        a.seed,
        generated.as_secs_f64(),
        (start.elapsed() - generated).as_secs_f64()
    );
    Ok(())
}

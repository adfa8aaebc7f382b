//! `wangge generate`: the synthetic city.

use super::progress::Bar;
use anyhow::{Context, bail};
use std::path::PathBuf;
use std::time::Instant;
use wangge_synth::{CityParams, generate};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Households to generate (2,000 to 1,000,000); with --layout lowrise, houses (address
    /// points) of 1-6 households each.
    #[arg(long, default_value_t = 20_000)]
    households: u64,
    /// compounds: gated compounds of walk-ups and towers (the demo city); lowrise: detached and
    /// terraced houses on irregular streets with cul-de-sacs (grids of 50-200 address points);
    /// dense: a street every 60 m with a vertex every 10 m and houses along the blocks (about
    /// two walking nodes per house: 500,000 houses give about 1,000,000 nodes).
    #[arg(long, value_enum, default_value_t = LayoutArg::Compounds)]
    layout: LayoutArg,
    /// Random seed: the same seed always gives the same city.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Workspace to create (a .gpkg file, or a postgres:// URL whose schema holds none yet); must not exist yet.
    #[arg(long)]
    workspace: PathBuf,
    /// Overwrite the workspace if it exists.
    #[arg(long)]
    force: bool,
    /// Also write the city as OSM XML (streets, buildings, communities, facilities), to be
    /// imported as a real extract is (`wangge import FILE.osm`).
    #[arg(long)]
    osm: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum LayoutArg {
    Compounds,
    Lowrise,
    Dense,
}

pub fn run(a: &Args) -> anyhow::Result<()> {
    if !(1..=5_000_000).contains(&a.households) {
        bail!("--households must be between 1 and 5000000");
    }
    if a.workspace.exists() {
        if a.force {
            std::fs::remove_file(&a.workspace)
                .with_context(|| format!("cannot remove {}", wangge_app::shown(&a.workspace)))?;
        } else {
            bail!(
                "{} exists; use --force to overwrite it",
                wangge_app::shown(&a.workspace)
            );
        }
    }
    let start = Instant::now();
    let bar = Bar::default();
    let params = match a.layout {
        LayoutArg::Compounds => CityParams::new(a.households, a.seed),
        LayoutArg::Lowrise => CityParams::lowrise(a.households, a.seed),
        LayoutArg::Dense => CityParams::dense(a.households, a.seed),
    };
    let city = generate(&params, &bar);
    let generated = start.elapsed();
    let mut store = wangge_app::open_store(a.workspace.as_ref(), wangge_app::Access::Create)?;
    let store = &mut *store;
    store.write(
        &city,
        "generate",
        &match a.layout {
            LayoutArg::Compounds => format!("households={} seed={}", a.households, a.seed),
            LayoutArg::Lowrise => format!("points={} seed={} layout=lowrise", a.households, a.seed),
            LayoutArg::Dense => format!("points={} seed={} layout=dense", a.households, a.seed),
        },
        &bar,
    )?;
    super::info::print(store)?;
    if let Some(path) = &a.osm {
        let n = wangge_io::osm::write_osm(&city, path)?;
        println!(
            "osm: {} ({} nodes, {} ways, {} relations)",
            path.display(),
            n.nodes,
            n.ways,
            n.relations
        );
    }
    println!(
        "generated {} households at {} address points in {} communities (seed {}) in {:.1} s, written in {:.1} s",
        city.households().0 + city.households().1,
        city.address_points.len(),
        city.communities.len(),
        a.seed,
        generated.as_secs_f64(),
        (start.elapsed() - generated).as_secs_f64()
    );
    Ok(())
}

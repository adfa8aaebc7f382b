//! `wangge serve`: the tile server over a workspace, and `wangge tiles export`: a PMTiles
//! archive of it.

use super::progress::Bar;
use anyhow::{Context, bail};
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// The workspace (a .gpkg file or a postgres:// URL), or a PMTiles archive (.pmtiles) from
    /// `wangge tiles export`.
    pub workspace: PathBuf,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,
    /// Encode every request anew (for measuring; the cache is on by default).
    #[arg(long)]
    pub no_cache: bool,
    /// The web viewer's directory, served under /viewer/ (default: web-viewer/ in the
    /// current directory when it exists).
    #[arg(long)]
    pub viewer: Option<PathBuf>,
    /// Fewest incidents a heat pixel, hexagon, grid or community must have to show, whatever
    /// a request asks (so a single report does not show).
    #[arg(long, default_value_t = 3)]
    pub min_count: u32,
    /// Requests per second each access token may make, in bursts of ten times that (0: no
    /// limit).
    #[arg(long, default_value_t = 200)]
    pub rate_limit: u32,
    /// Time limits of the closed loop for the KPIs (TOML; default data/time_limits.toml).
    #[arg(long)]
    pub limits: Option<PathBuf>,
    /// Serve over HTTPS with this certificate chain (PEM), with --tls-key.
    #[arg(long, requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The certificate's private key (PEM: PKCS#8, PKCS#1 or SEC1).
    #[arg(long, requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Serve a workspace without access tokens on an address other machines can reach
    /// (refused otherwise: everyone on the network could read and change everything).
    #[arg(long)]
    pub insecure_open: bool,
}

pub fn run_serve(a: &ServeArgs) -> anyhow::Result<()> {
    // The server writes (incidents, plans): a damaged workspace is refused at start.
    let is_archive = a
        .workspace
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("pmtiles"));
    if !is_archive {
        wangge_app::open_store(&a.workspace, wangge_app::Access::Write)?;
    }
    let mut state = wangge_server::AppState::open(a.workspace.clone(), !a.no_cache)
        .with_context(|| format!("opening {}", wangge_app::shown(&a.workspace)))?
        .with_min_count(a.min_count)
        .with_rate_limit(a.rate_limit);
    if let Some(p) = &a.limits {
        let text =
            std::fs::read_to_string(p).with_context(|| format!("cannot read {}", p.display()))?;
        state = state.with_limits(wangge_core::kpi::TimeLimits::parse(
            &text,
            &p.display().to_string(),
        )?);
    }
    let viewer = a
        .viewer
        .clone()
        .or_else(|| Some(PathBuf::from("web-viewer")).filter(|p| p.is_dir()));
    if let Some(v) = viewer {
        if !v.join("index.html").is_file() {
            bail!("{}: no index.html (the viewer directory)", v.display());
        }
        println!("viewer: http://{}/viewer/ (from {})", a.bind, v.display());
        state = state.with_viewer(v);
    }
    if state.source().is_some() {
        if !state.access.enforced() && !a.bind.ip().is_loopback() && !a.insecure_open {
            return Err(super::exit::Refused(format!(
                "refusing to serve {ws} on {bind} without access tokens: anyone who can reach it could read and change everything. \
                 Create an admin token first: wangge token create {ws} --role admin --name NAME \
                 (or pass --insecure-open to serve it open on purpose)",
                ws = wangge_app::shown(&a.workspace),
                bind = a.bind
            ))
            .into());
        }
        if !state.access.enforced() {
            println!(
                "no access tokens: anyone who can reach {} may read and change everything (create one: wangge token create {} --role admin --name NAME)",
                a.bind,
                wangge_app::shown(&a.workspace)
            );
        } else {
            let now = wangge_core::Timestamp::now();
            let live = wangge_app::open_store(&a.workspace, wangge_app::Access::Read)?
                .tokens()?
                .iter()
                .filter(|t| t.revoked.is_none() && !t.expired(now))
                .count();
            println!(
                "access tokens in use ({live} live): requests without one see the basemap only"
            );
        }
    }
    let layers = match state.source() {
        Some(s) => s.layer_names(),
        None => vec!["all (archive)"],
    };
    let tls = match (&a.tls_cert, &a.tls_key) {
        (Some(c), Some(k)) => Some(wangge_server::tls::acceptor(c, k)?),
        _ => None,
    };
    let scheme = if tls.is_some() { "https" } else { "http" };
    println!(
        "serving {} on {scheme}://{}/ (layers: {}; style /style.json, TileJSON /tiles/all.json, OpenAPI /api)",
        wangge_app::shown(&a.workspace),
        a.bind,
        layers.join(", ")
    );
    cap_malloc_arenas();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    rt.block_on(wangge_server::serve(a.bind, state, tls))
        .with_context(|| format!("serving on {}", a.bind))
}

/// glibc gives threads that contend for the heap arenas of their own, up to 8 per core, and
/// hands little of them back: under `benches/load.sh` the server's resident memory reached
/// 744 MB after 60 s with the default and 235 MB with two arenas, at the same throughput.
/// Two arenas, unless `MALLOC_ARENA_MAX` says otherwise.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
fn cap_malloc_arenas() {
    if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
        // SAFETY: mallopt sets an allocator parameter and touches no memory of ours; it is
        // called before the runtime starts any thread.
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, 2);
        }
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn cap_malloc_arenas() {}

#[derive(Debug, clap::Subcommand)]
pub enum TilesCommand {
    /// Write a PMTiles v3 archive of the workspace's tiles.
    Export(ExportArgs),
}

#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// The workspace (a .gpkg file or a postgres:// URL).
    pub workspace: PathBuf,
    /// Output archive (.pmtiles).
    #[arg(short, long)]
    pub output: PathBuf,
    /// Layers, comma-separated (default: all).
    #[arg(long, value_delimiter = ',')]
    pub layers: Vec<String>,
    #[arg(long, default_value_t = wangge_tiles::MIN_ZOOM)]
    pub minzoom: u8,
    #[arg(long, default_value_t = wangge_tiles::MAX_ZOOM)]
    pub maxzoom: u8,
}

pub fn run_tiles(c: &TilesCommand) -> anyhow::Result<()> {
    let TilesCommand::Export(a) = c;
    let known: Vec<&str> = wangge_tiles::LAYERS.iter().map(|l| l.id).collect();
    let mut layers: Vec<&str> = Vec::new();
    for l in &a.layers {
        match known.iter().find(|k| **k == l) {
            Some(k) => layers.push(k),
            None => bail!("no layer {l:?}; layers: {}", known.join(", ")),
        }
    }
    let start = std::time::Instant::now();
    let store = wangge_app::open_store(&a.workspace, wangge_app::Access::Read)?;
    let source = wangge_tiles::TileSource::from_store(store.as_ref())?;
    let s = wangge_tiles::export_pmtiles(
        &source,
        &a.output,
        &layers,
        a.minzoom,
        a.maxzoom,
        &Bar::default(),
    )?;
    println!(
        "wrote {}: {} tiles (z{}-{}), {} empty skipped, {:.1} MB, largest tile {:.0} KB, {:.1} s",
        a.output.display(),
        s.tiles,
        a.minzoom,
        a.maxzoom,
        s.empty,
        s.bytes as f64 / 1e6,
        s.largest_tile as f64 / 1024.0,
        start.elapsed().as_secs_f64()
    );
    Ok(())
}

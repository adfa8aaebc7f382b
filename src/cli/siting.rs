//! `wangge siting` (where k new facilities of a category would cover the most households not
//! yet within reach) and `wangge what-if` (coverage after adding or removing one facility,
//! updated by a local search).

use super::walk::{Walk, WalkOpts};
use anyhow::{Context, bail};
use geo_types::Point;
use std::path::{Path, PathBuf};
use std::time::Instant;
use wangge_core::walk::{Field, SitingInput, Snap, site};

#[derive(Debug, clap::Args)]
pub struct SitingArgs {
    /// The workspace (a .gpkg file or a postgres:// URL).
    workspace: PathBuf,
    /// Facility category (a catalogue category, e.g. kindergarten).
    #[arg(long)]
    category: String,
    /// Threshold in minutes.
    #[arg(long, default_value_t = 15)]
    minutes: u32,
    /// Number of new sites.
    #[arg(short, long, default_value_t = 3)]
    k: usize,
    /// Candidate sites: CSV with lon and lat columns (WGS84); default: every walkable node
    /// within reach of an uncovered household.
    #[arg(long)]
    candidates: Option<PathBuf>,
    /// Write the proposed sites as GeoJSON points (rank, gain, cumulative share).
    #[arg(short, long)]
    output: Option<PathBuf>,
    #[command(flatten)]
    walk: WalkOpts,
}

#[derive(Debug, clap::Args)]
pub struct WhatIfArgs {
    /// The workspace (a .gpkg file or a postgres:// URL).
    workspace: PathBuf,
    /// Facility category (a catalogue category).
    #[arg(long)]
    category: String,
    /// Threshold in minutes.
    #[arg(long, default_value_t = 15)]
    minutes: u32,
    /// Add a facility at LON,LAT (WGS84).
    #[arg(
        long,
        value_delimiter = ',',
        allow_negative_numbers = true,
        conflicts_with = "remove"
    )]
    add: Option<Vec<f64>>,
    /// Remove the facility with this key.
    #[arg(long)]
    remove: Option<String>,
    #[command(flatten)]
    walk: WalkOpts,
}

/// The category's field and the snapped address points.
struct Setup {
    walk: Walk,
    field: Field,
    /// Facility keys in field order.
    keys: Vec<String>,
    points: Vec<Option<Snap>>,
    households: Vec<u32>,
    threshold_m: f64,
}

fn setup(workspace: &Path, category: &str, minutes: u32, o: &WalkOpts) -> anyhow::Result<Setup> {
    if minutes == 0 {
        bail!("--minutes must be positive");
    }
    if o.crow_fly {
        bail!(
            "--crow-fly works with `wangge coverage` only: siting and what-if need the street network"
        );
    }
    let store = wangge_app::open_store(workspace, wangge_app::Access::Read)?;
    let store = &*store;
    let walk = Walk::load(store, o)?;
    walk.check_category(category)?;
    let threshold_m = walk.limit_m(minutes)?;
    let (net, snapper) = (&walk.net, &walk.snapper);
    // Siting from no facility is a fair question, but the office must know that is what it
    // asks (or that the category was not imported): warned, or refused with --strict.
    walk.missing(o, &[category.to_string()], threshold_m)?;
    let mut keys = Vec::new();
    let mut sources = Vec::new();
    for (i, c) in walk.facilities() {
        if c != category {
            continue;
        }
        let f = &walk.data.facilities[i];
        if let Some(s) = snapper.snap(net, f.location, o.max_snap_m) {
            keys.push(f.key.clone());
            sources.push(s);
        }
    }
    let field = Field::new(net, &sources, threshold_m);
    let points = walk
        .data
        .address_points
        .iter()
        .map(|p| snapper.snap(net, p.location, o.max_snap_m))
        .collect();
    let households = walk
        .data
        .address_points
        .iter()
        .map(|p| p.households)
        .collect();
    Ok(Setup {
        walk,
        field,
        keys,
        points,
        households,
        threshold_m,
    })
}

fn covered(s: &Setup, field: &Field) -> u64 {
    field
        .covered(&s.walk.net, &s.points, &s.households, s.threshold_m, None)
        .0
}

fn pct(n: u64, of: u64) -> f64 {
    if of == 0 {
        0.0
    } else {
        100.0 * n as f64 / of as f64
    }
}

pub fn run_siting(a: &SitingArgs) -> anyhow::Result<()> {
    let start = Instant::now();
    if a.k == 0 {
        bail!("-k must be at least 1");
    }
    let s = setup(&a.workspace, &a.category, a.minutes, &a.walk)?;
    let net = &s.walk.net;
    let candidates: Option<Vec<Snap>> = match &a.candidates {
        Some(path) => Some(read_candidates(path, &s.walk, a.walk.max_snap_m)?),
        None => None,
    };
    let t0 = Instant::now();
    let r = site(&SitingInput {
        net,
        field: &s.field,
        points: &s.points,
        households: &s.households,
        threshold_m: s.threshold_m,
        candidates: candidates.as_deref(),
        k: a.k,
    });
    let siting_s = t0.elapsed().as_secs_f64();
    println!(
        "siting {} within {} min ({:.0} m, {}): {} existing facilities, {} candidates",
        a.category,
        a.minutes,
        s.threshold_m,
        s.walk.metric,
        s.keys.len(),
        r.candidates
    );
    println!(
        "  covered now   {} of {} households ({:.1}%)",
        r.covered_before,
        r.households,
        pct(r.covered_before, r.households)
    );
    println!("  rank  lon          lat         newly covered  cumulative");
    let mut cum = r.covered_before;
    let mut features = Vec::new();
    for (i, p) in r.sites.iter().enumerate() {
        cum += p.gain;
        let at = p.snap.foot_lonlat(net);
        println!(
            "  {:>4}  {:<11.6}  {:<10.6}  {:>13}  {:>9.1}%",
            i + 1,
            at.x(),
            at.y(),
            p.gain,
            pct(cum, r.households)
        );
        features.push(serde_json::json!({
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [at.x(), at.y()]},
            "properties": {"rank": i + 1, "category": a.category, "minutes": a.minutes,
                           "gain_households": p.gain, "cumulative_share": cum as f64 / r.households.max(1) as f64},
        }));
    }
    if r.sites.len() < a.k {
        println!(
            "  {} of {} sites proposed: no further candidate covers anyone new",
            r.sites.len(),
            a.k
        );
    }
    println!(
        "  after         {} households ({:.1}%), {} swaps improved the greedy choice",
        r.covered_after,
        pct(r.covered_after, r.households),
        r.swaps
    );
    println!(
        "  time          siting {:.3} s, total {:.1} s",
        siting_s,
        start.elapsed().as_secs_f64()
    );
    if let Some(out) = &a.output {
        let doc = serde_json::json!({"type": "FeatureCollection", "features": features});
        std::fs::write(out, serde_json::to_vec_pretty(&doc)?)
            .with_context(|| format!("cannot write {}", out.display()))?;
        println!("sites: {}", out.display());
    }
    Ok(())
}

/// Candidate sites from a CSV with lon and lat columns, snapped; each bad row named.
fn read_candidates(path: &Path, walk: &Walk, max_snap_m: f64) -> anyhow::Result<Vec<Snap>> {
    let name = path.display();
    let mut r = csv::Reader::from_path(path).with_context(|| format!("cannot read {name}"))?;
    let head = r
        .headers()
        .with_context(|| format!("{name}: no header"))?
        .clone();
    let col = |n: &str| {
        head.iter()
            .position(|h| h.trim_start_matches('\u{feff}').eq_ignore_ascii_case(n))
    };
    let (Some(x), Some(y)) = (col("lon"), col("lat")) else {
        bail!(
            "{name}: needs lon and lat columns (found: {})",
            head.iter().collect::<Vec<_>>().join(", ")
        );
    };
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for (i, row) in r.records().enumerate() {
        let row = row.with_context(|| format!("{name}: row {}", i + 2))?;
        let num = |c: usize| row.get(c).and_then(|v| v.trim().parse::<f64>().ok());
        match (num(x), num(y)) {
            (Some(lon), Some(lat))
                if (-180.0..=180.0).contains(&lon) && (-90.0..=90.0).contains(&lat) =>
            {
                match walk
                    .snapper
                    .snap(&walk.net, Point::new(lon, lat), max_snap_m)
                {
                    Some(s) => out.push(s),
                    None => problems.push(format!(
                        "row {}: farther than {max_snap_m} m from any walkable way",
                        i + 2
                    )),
                }
            }
            _ => problems.push(format!("row {}: lon/lat missing or out of range", i + 2)),
        }
    }
    if !problems.is_empty() {
        bail!(
            "{name}: {} bad candidate(s):\n  {}",
            problems.len(),
            problems.join("\n  ")
        );
    }
    if out.is_empty() {
        bail!("{name}: no candidates");
    }
    Ok(out)
}

pub fn run_what_if(a: &WhatIfArgs) -> anyhow::Result<()> {
    let start = Instant::now();
    let s = setup(&a.workspace, &a.category, a.minutes, &a.walk)?;
    let net = &s.walk.net;
    let before = covered(&s, &s.field);
    let total: u64 = s.households.iter().map(|&h| u64::from(h)).sum();
    let mut field = s.field.clone();
    let t0 = Instant::now();
    let what = match (&a.add, &a.remove) {
        (Some(ll), None) => {
            if ll.len() != 2 {
                bail!("--add takes LON,LAT (two numbers), got {} values", ll.len());
            }
            let snap = s
                .walk
                .snapper
                .snap_lonlat(net, ll[0], ll[1], a.walk.max_snap_m)
                .map_err(|why| anyhow::anyhow!("--add {why}"))?;
            field.add(net, snap);
            format!("add a {} at {:.6},{:.6}", a.category, ll[0], ll[1])
        }
        (None, Some(key)) => {
            let Some(i) = s.keys.iter().position(|k| k == key) else {
                bail!(
                    "no {} facility with key {key:?} on the network ({} known)",
                    a.category,
                    s.keys.len()
                );
            };
            field.remove(net, i);
            format!("remove {key}")
        }
        _ => bail!("give --add LON,LAT or --remove KEY"),
    };
    let local_s = t0.elapsed().as_secs_f64();
    let after = covered(&s, &field);
    println!(
        "what-if: {what}; {} within {} min ({:.0} m, {})",
        a.category, a.minutes, s.threshold_m, s.walk.metric
    );
    println!(
        "  households covered  before {before} ({:.1}%), after {after} ({:.1}%), change {:+}",
        pct(before, total),
        pct(after, total),
        after as i64 - before as i64
    );
    println!(
        "  time                local update {:.1} ms, total {:.1} s",
        local_s * 1000.0,
        start.elapsed().as_secs_f64()
    );
    Ok(())
}

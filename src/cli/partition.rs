//! `wangge partition`: grids of at most `--cap` households for every community, stored as a
//! new plan version, with CSV reports.

use super::progress::Bar;
use anyhow::{Context, bail};
use std::path::{Path, PathBuf};
use std::time::Instant;
use wangge_core::partition::{
    LockedGrid, Partitioner, ViolationKind, WorkspacePlan, partition_all_locked,
};
use wangge_io::Store;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The workspace (a .gpkg file or a postgres:// URL) with communities and address points.
    workspace: PathBuf,
    /// Most households per grid.
    #[arg(long, default_value_t = 200)]
    cap: u32,
    /// Seed (same input and seed, same plan).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Worker threads (default: every core).
    #[arg(long)]
    threads: Option<usize>,
    /// Keep these grids (codes, comma-separated) of the base plan and redo the rest.
    #[arg(long, value_delimiter = ',')]
    lock: Vec<String>,
    /// Base plan for --lock and --incremental (default: the newest).
    #[arg(long)]
    from: Option<i64>,
    /// Also divide every grid into residents' groups (居民小组) of at most --group-cap households.
    #[arg(long)]
    groups: bool,
    /// Levels in one call, comma-separated, from: communities, grids, groups. With
    /// `communities`, the polygons of the communities layer are read as streets (街道): each is
    /// first divided into communities of at most --community-cap households, then those into
    /// grids (stored as the layer plan_communities). `groups` is --groups.
    #[arg(long, value_delimiter = ',', default_value = "grids")]
    levels: Vec<String>,
    /// Most households per community for --levels communities.
    #[arg(long, default_value_t = 2000)]
    community_cap: u32,
    /// Most households per residents' group.
    #[arg(long, default_value_t = 50)]
    group_cap: u32,
    /// Fewest households a residents' group should have (smaller ones are reported).
    #[arg(long, default_value_t = 30)]
    group_min: u32,
    /// Redo only the grids of the base plan that changed data touches (households edited,
    /// address points added or removed); keep all others. Reports churn.
    #[arg(long, conflicts_with = "lock")]
    incremental: bool,
    /// Report prefix: writes PREFIX.grids.csv, PREFIX.communities.csv, PREFIX.exceptions.csv
    /// (default: beside the workspace, named after it and the plan id).
    #[arg(long)]
    report: Option<PathBuf>,
    /// Also write every community's unit graph and this run's result per community as JSON
    /// (input of benches/partition_peers.py, which runs other partitioners on the same graph).
    #[arg(long)]
    dump_graph: Option<PathBuf>,
}

pub fn run(a: &Args) -> anyhow::Result<()> {
    if a.cap == 0 {
        bail!("--cap must be at least 1");
    }
    for l in &a.levels {
        if !matches!(l.as_str(), "communities" | "grids" | "groups") {
            bail!("--levels: {l:?} is not a level; levels: communities, grids, groups");
        }
    }
    let street_level = a.levels.iter().any(|l| l == "communities");
    let want_groups = a.groups || a.levels.iter().any(|l| l == "groups");
    if street_level && (a.incremental || !a.lock.is_empty()) {
        bail!(
            "--levels communities makes new communities: it cannot keep locked grids or repair a base plan"
        );
    }
    if street_level && a.community_cap <= a.cap {
        bail!(
            "--community-cap ({}) must exceed --cap ({})",
            a.community_cap,
            a.cap
        );
    }
    let start = Instant::now();
    let mut store = wangge_app::open_store(a.workspace.as_ref(), wangge_app::Access::Write)?;
    let store = &mut *store;
    let mut data = store.load_places()?;
    if data.communities.is_empty() {
        bail!(
            "{}: no communities; import them first (wangge import FILE --as communities)",
            wangge_app::shown(&a.workspace)
        );
    }
    wangge_core::partition::check_communities(&data).with_context(|| {
        format!(
            "{}: the communities overlap",
            wangge_app::shown(&a.workspace)
        )
    })?;
    let mut p = Partitioner::new(a.cap)?.seed(a.seed);
    if let Some(t) = a.threads {
        p = p.threads(t);
    }
    let bar = Bar::default();
    let compute = Instant::now();
    // The community level a repaired or locked base plan had, stored again with the new one.
    let mut level = Vec::new();
    let (locked, parent, changed) = if a.incremental {
        let base = match a.from {
            Some(p) => p,
            None => store.latest_plan()?.ok_or_else(|| {
                super::exit::Missing("--incremental needs an earlier plan".into())
            })?,
        };
        // A base plan with its own communities (`--levels communities`) is repaired within
        // them, and the new version keeps them.
        (data, level) = wangge_app::plans::places_of(store, base)?;
        let ch =
            wangge_core::partition::incremental::change(&store.base_grids(base)?, &data, a.cap);
        println!(
            "incremental from plan {base}: {} households changed, {} grids affected, {} kept",
            ch.changed_households,
            ch.affected.len(),
            ch.keep.len()
        );
        (
            ch.keep,
            Some(base),
            Some((ch.changed_households, ch.repair)),
        )
    } else {
        let (l, p) = locks(store, &a.lock, a.from)?;
        if let Some(base) = p {
            (data, level) = wangge_app::plans::places_of(store, base)?;
        }
        (l, p, None)
    };
    let mut community_level = None;
    let plan = match &changed {
        Some((_, repair)) => {
            wangge_core::partition::partition_all_incremental(&p, &data, &locked, repair, &bar)
        }
        None if street_level => {
            let mut cp = Partitioner::new(a.community_cap)?.seed(a.seed);
            if let Some(t) = a.threads {
                cp = cp.threads(t);
            }
            let levels = wangge_core::partition::levels::streets_to_grids(&cp, &p, &data, &bar);
            data = levels.data;
            community_level = Some(levels.communities);
            levels.grids
        }
        None => partition_all_locked(&p, &data, &locked, &bar),
    };
    let changed = changed.map(|c| c.0);
    let compute_s = compute.elapsed().as_secs_f64();
    if let Some(path) = &a.dump_graph {
        dump_graph(&p, &data, &plan, compute_s, path)
            .with_context(|| format!("writing {}", path.display()))?;
    }
    // The community level in the version's own transaction: made now, or the base plan's.
    if let Some(cl) = &community_level {
        level = wangge_io::store::StoredPlanCommunity::of_level(cl);
    }
    let id = store.write_version(
        &plan,
        "partition",
        a.cap,
        a.seed,
        parent,
        wangge_io::store::Versioning::Current,
        &level,
    )?;
    super::audit::record(
        store,
        "plan.partition",
        &format!("plan {id} ({} grids, cap {})", plan.metrics.grids, a.cap),
    )?;
    if let Some(cl) = &community_level {
        let sizes: Vec<u32> = cl
            .communities
            .iter()
            .flat_map(|s| s.grids.iter().map(|c| c.households))
            .collect();
        let mean = sizes.iter().map(|&h| f64::from(h)).sum::<f64>() / sizes.len().max(1) as f64;
        println!(
            "communities level: {} communities from {} streets (cap {}, lower bound {}), {:.0} households on average, largest {}; Polsby-Popper mean {:.3}",
            cl.metrics.grids,
            cl.communities.len(),
            a.community_cap,
            cl.metrics.lower_bound,
            mean,
            sizes.iter().max().copied().unwrap_or(0),
            cl.metrics.pp_mean
        );
    }
    if want_groups {
        let gp = Partitioner::new(a.group_cap)?.seed(a.seed).restarts(2);
        let (groups, errors) = wangge_core::partition::groups::residents_groups(&gp, &plan, &data);
        store.write_groups(id, &groups)?;
        let sizes: Vec<u32> = groups
            .iter()
            .flat_map(|g| g.grids.iter().map(|x| x.households))
            .collect();
        let violations: usize = groups.iter().map(|g| g.violations.len()).sum();
        let below = sizes.iter().filter(|&&h| h < a.group_min).count();
        let mean = sizes.iter().map(|&h| f64::from(h)).sum::<f64>() / sizes.len().max(1) as f64;
        println!(
            "residents' groups: {} (cap {}), {:.1} households on average, {} below {} households, {} violations, {} grids without groups",
            sizes.len(),
            a.group_cap,
            mean,
            below,
            a.group_min,
            violations,
            errors.len()
        );
    }
    let prefix = a
        .report
        .clone()
        .unwrap_or_else(|| wangge_app::beside(&a.workspace, &format!("-plan{id}")));
    write_reports(&plan, &prefix)
        .with_context(|| format!("writing the report {}", prefix.display()))?;
    let households: std::collections::HashMap<&str, u32> = data
        .address_points
        .iter()
        .map(|p| (p.key.as_str(), p.households))
        .collect();
    let exceptions_file = PathBuf::from(format!("{}.exceptions.csv", prefix.display()));
    print_summary(
        &plan,
        &households,
        &exceptions_file,
        id,
        a.cap,
        start.elapsed().as_secs_f64(),
    );
    if let (Some(base), Some(changed)) = (parent, changed) {
        let d = wangge_core::partition::diff::diff(
            &store.plan_members(base)?,
            &store.plan_members(id)?,
        );
        println!(
            "  churn            {} households changed grid ({:.2} x the {changed} changed households); partition took {compute_s:.3} s",
            d.moved_households,
            if changed > 0 {
                d.moved_households as f64 / changed as f64
            } else {
                0.0
            }
        );
    }
    let map = PathBuf::from(format!("{}.map.png", prefix.display()));
    draw_map(&plan, &data, a.cap, &map).with_context(|| format!("drawing {}", map.display()))?;
    println!(
        "report: {}.grids.csv, .communities.csv, .exceptions.csv; map: {}",
        prefix.display(),
        map.display()
    );
    let violations: usize = plan.communities.iter().map(|c| c.violations.len()).sum();
    if violations > 0 {
        return Err(super::exit::Refused(format!(
            "{violations} hard-constraint violations remain in plan {id} (listed above and in {}); the plan is saved for inspection but is not a valid plan",
            exceptions_file.display()
        ))
        .into());
    }
    Ok(())
}

/// How many entries of a list the summary prints before "and N more".
const SHOWN: usize = 5;

fn print_summary(
    plan: &WorkspacePlan,
    households: &std::collections::HashMap<&str, u32>,
    exceptions_file: &Path,
    id: i64,
    cap: u32,
    secs: f64,
) {
    let m = &plan.metrics;
    let violations: usize = plan.communities.iter().map(|c| c.violations.len()).sum();
    let splits: usize = plan.communities.iter().map(|c| c.splits.len()).sum();
    println!(
        "plan {id}: {} communities, {} households, cap {cap}",
        m.communities, m.households
    );
    println!(
        "  grids            {:>8}  (lower bound ceil(hh/cap) {}, {:.3} x; packing bound {}, {:.3} x)",
        m.grids,
        m.lower_bound,
        m.ratio(),
        m.packing_bound,
        if m.packing_bound > 0 {
            m.grids as f64 / m.packing_bound as f64
        } else {
            0.0
        }
    );
    println!(
        "  optimality       grid count proven minimal under contiguity in {} of {} communities (exact search)",
        m.proven_minimal, m.communities
    );
    println!(
        "  Polsby-Popper    mean {:.3}  p10 {:.3}  min {:.3};  Reock mean {:.3}",
        m.pp_mean, m.pp_p10, m.pp_min, m.reock_mean
    );
    println!(
        "  streets          {:.1}% of internal boundary along streets (within 5 m); {:.1}% of street length inside communities used as a boundary; {} grids span an arterial",
        100.0 * m.street_share,
        100.0 * m.street_used_share(),
        m.grids_cut_by_arterial
    );
    println!(
        "  fill             {:.1} households per grid; {} service workers (1 per 100 households)",
        m.fill_mean, m.workers
    );
    let notes: Vec<(&str, &String)> = plan
        .communities
        .iter()
        .flat_map(|c| c.street_notes.iter().map(move |n| (c.code.as_str(), n)))
        .collect();
    if !notes.is_empty() {
        let below = plan
            .communities
            .iter()
            .filter(|c| !c.street_notes.is_empty())
            .count();
        println!(
            "  street goals     {below} communities miss them (60% along streets, no grid spanning an arterial):"
        );
        for (c, n) in notes.iter().take(SHOWN) {
            println!("    community {c}: {n}");
        }
        if notes.len() > SHOWN {
            println!(
                "    and {} more (all in {})",
                notes.len() - SHOWN,
                exceptions_file.display()
            );
        }
    }
    let by_kind: Vec<String> = ViolationKind::ALL
        .iter()
        .map(|k| {
            let n = plan
                .communities
                .iter()
                .flat_map(|c| &c.violations)
                .filter(|v| v.kind == *k)
                .count();
            format!("{n} {}", k.code())
        })
        .collect();
    println!(
        "  hard constraints {violations} violations ({})",
        by_kind.join(", ")
    );
    for v in plan
        .communities
        .iter()
        .flat_map(|c| &c.violations)
        .take(SHOWN)
    {
        println!("    {v}");
    }
    if violations > SHOWN {
        println!(
            "    and {} more (all in {})",
            violations - SHOWN,
            exceptions_file.display()
        );
    }
    println!(
        "  exceptions       {splits} buildings split, {} address points outside every community, {} communities not partitioned",
        plan.outside.len(),
        plan.errors.len()
    );
    for e in plan.errors.iter().take(SHOWN) {
        println!("    {e}");
    }
    if plan.errors.len() > SHOWN {
        println!(
            "    and {} more (all in {})",
            plan.errors.len() - SHOWN,
            exceptions_file.display()
        );
    }
    let outside_hh: u64 = plan
        .outside
        .iter()
        .filter_map(|k| households.get(k.as_str()))
        .map(|&h| u64::from(h))
        .sum();
    let all_hh = m.households + outside_hh;
    if outside_hh > 0 {
        println!(
            "  outside          {outside_hh} of {all_hh} households ({:.1}%) lie outside every community and are in no grid",
            100.0 * outside_hh as f64 / all_hh.max(1) as f64
        );
        if outside_hh * 2 > all_hh {
            println!(
                "  warning: most households are outside every community: import community boundaries (wangge import FILE --as communities), or OSM admin boundaries of your data's community level (--osm-community-levels)"
            );
        }
    }
    println!("  time             {secs:.2} s");
}

fn csv_writer(path: &Path) -> anyhow::Result<csv::Writer<std::fs::File>> {
    let mut f =
        std::fs::File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
    std::io::Write::write_all(&mut f, b"\xEF\xBB\xBF")?;
    Ok(csv::Writer::from_writer(f))
}

fn write_reports(plan: &WorkspacePlan, prefix: &Path) -> anyhow::Result<()> {
    let with = |ext: &str| PathBuf::from(format!("{}.{ext}", prefix.display()));
    let mut w = csv_writer(&with("grids.csv"))?;
    w.write_record([
        "code",
        "community",
        "households",
        "workers",
        "area_m2",
        "polsby_popper",
        "reock",
        "address_points",
    ])?;
    for c in &plan.communities {
        for g in &c.grids {
            w.write_record([
                g.code.clone(),
                c.code.clone(),
                g.households.to_string(),
                g.workers.to_string(),
                format!("{:.1}", g.area_m2),
                format!("{:.4}", g.polsby_popper),
                format!("{:.4}", g.reock),
                g.members.len().to_string(),
            ])?;
        }
    }
    w.flush()?;
    let mut w = csv_writer(&with("communities.csv"))?;
    w.write_record([
        "community",
        "households",
        "grids",
        "lower_bound",
        "packing_bound",
        "ratio",
        "pp_mean",
        "pp_p10",
        "pp_min",
        "reock_mean",
        "street_share",
        "street_used_share",
        "grids_spanning_arterial",
        "fill_mean",
        "workers",
        "violations",
        "proven_minimal",
    ])?;
    for c in &plan.communities {
        let m = &c.metrics;
        w.write_record([
            c.code.clone(),
            m.households.to_string(),
            m.grids.to_string(),
            m.lower_bound.to_string(),
            m.packing_bound.to_string(),
            format!("{:.3}", m.ratio()),
            format!("{:.4}", m.pp_mean),
            format!("{:.4}", m.pp_p10),
            format!("{:.4}", m.pp_min),
            format!("{:.4}", m.reock_mean),
            format!("{:.4}", m.street_share),
            format!("{:.4}", m.street_used_share()),
            m.grids_cut_by_arterial.to_string(),
            format!("{:.1}", m.fill_mean),
            m.workers.to_string(),
            c.violations.len().to_string(),
            (m.proven_minimal > 0).to_string(),
        ])?;
    }
    w.flush()?;
    let mut w = csv_writer(&with("exceptions.csv"))?;
    w.write_record(["kind", "subject", "detail"])?;
    for c in &plan.communities {
        for s in &c.splits {
            w.write_record([
                format!("{:?}", s.kind),
                s.what.clone(),
                format!(
                    "{} households in {} parts (community {})",
                    s.households, s.parts, c.code
                ),
            ])?;
        }
        for v in &c.violations {
            w.write_record(["violation".to_string(), c.code.clone(), v.message.clone()])?;
        }
        for x in &c.street_notes {
            w.write_record(["street_goal".to_string(), c.code.clone(), x.clone()])?;
        }
        for x in &c.exceptions {
            w.write_record([
                "community_part_unreachable".to_string(),
                c.code.clone(),
                x.clone(),
            ])?;
        }
    }
    for e in &plan.errors {
        w.write_record([
            "community_not_partitioned".to_string(),
            String::new(),
            e.to_string(),
        ])?;
    }
    for k in &plan.outside {
        w.write_record([
            "address_outside_communities",
            k.as_str(),
            "not placed in any grid",
        ])?;
    }
    w.flush()?;
    Ok(())
}

/// Grids coloured by fill (pale = few households, deep green = at the cap), buildings,
/// entrances and community outlines.
fn draw_map(
    plan: &WorkspacePlan,
    data: &wangge_core::Dataset,
    cap: u32,
    out: &Path,
) -> anyhow::Result<()> {
    use wangge_tiles::{MapLayer, MapStyle, render_png};
    let style = |fill: Option<[u8; 4]>, stroke: Option<[u8; 4]>| MapStyle {
        fill,
        stroke,
        point_px: 3,
    };
    let grids: Vec<(geo_types::Polygon<f64>, MapStyle)> = plan
        .communities
        .iter()
        .flat_map(|c| c.grids.iter())
        .map(|g| {
            let t = (f64::from(g.households) / f64::from(cap)).clamp(0.0, 1.0);
            let lerp = |a: f64, b: f64| (a + (b - a) * t).round() as u8;
            (
                g.polygon.clone(),
                style(
                    Some([
                        lerp(255.0, 35.0),
                        lerp(247.0, 139.0),
                        lerp(188.0, 69.0),
                        255,
                    ]),
                    Some([90, 90, 90, 255]),
                ),
            )
        })
        .collect();
    let buildings = data
        .buildings
        .iter()
        .flat_map(|b| {
            b.geometry
                .0
                .iter()
                .map(|p| (p.clone(), style(Some([120, 120, 130, 200]), None)))
        })
        .collect();
    let communities = data
        .communities
        .iter()
        .flat_map(|c| {
            c.geometry
                .0
                .iter()
                .map(|p| (p.clone(), style(None, Some([0, 0, 0, 255]))))
        })
        .collect();
    let points = data.address_points.iter().map(|a| a.location).collect();
    let width = if plan.metrics.communities > 30 {
        3000
    } else {
        1800
    };
    let m = &plan.metrics;
    let captions = vec![
        format!(
            "Wangge grid plan: {} grids of at most {cap} households in {} communities ({} households); colour = households / cap, pale to deep green",
            m.grids, m.communities, m.households
        ),
        format!(
            "grids {:.3} x lower bound; Polsby-Popper mean {:.2}, p10 {:.2}; red dots: address points; grey: buildings; black: communities",
            m.ratio(),
            m.pp_mean,
            m.pp_p10
        ),
        "Map data: (c) OpenStreetMap contributors (ODbL) where imported from OSM; synthetic data is generated by Wangge".to_string(),
    ];
    let drawn = render_png(
        &[
            MapLayer::Polygons(grids),
            MapLayer::Polygons(buildings),
            MapLayer::Points(points, style(Some([180, 30, 30, 255]), None)),
            MapLayer::Polygons(communities),
        ],
        width,
        &captions,
        out,
    )?;
    if !drawn {
        eprintln!(
            "warning: no DejaVu Sans font found (Debian fonts-dejavu-core); the map has no caption"
        );
    }
    Ok(())
}

/// Unit graphs and this run's per-community results, for the peer benchmark.
fn dump_graph(
    p: &Partitioner,
    data: &wangge_core::Dataset,
    plan: &WorkspacePlan,
    compute_s: f64,
    out: &Path,
) -> anyhow::Result<()> {
    use serde_json::json;
    let (inputs, _, _) = wangge_core::partition::inputs(data);
    let by_code: std::collections::HashMap<&str, &wangge_core::partition::CommunityPlan> = plan
        .communities
        .iter()
        .map(|c| (c.code.as_str(), c))
        .collect();
    let mut communities = Vec::new();
    for input in &inputs {
        let Ok(g) = p.unit_graph(input) else { continue };
        let ours = by_code.get(g.community.as_str()).map(|c| {
            let pp: Vec<f64> = c.grids.iter().map(|x| x.polsby_popper).collect();
            json!({"grids": c.grids.len(), "over_cap": c.metrics.over_cap, "disconnected": c.metrics.disconnected,
                   "pp": pp, "violations": c.violations.len()})
        });
        communities.push(json!({
            "community": g.community, "households": g.households, "xy": g.xy, "area_m2": g.area_m2,
            "perimeter_m": g.perimeter_m, "edges": g.edges, "fixed_grids": g.fixed_grids,
            "lower_bound": g.lower_bound, "ours": ours,
        }));
    }
    let doc = json!({"cap": p.cap(), "compute_s": compute_s, "entrances": data.address_points.len(), "communities": communities});
    std::fs::write(out, serde_json::to_vec(&doc)?)?;
    Ok(())
}

/// The locked grids of the base plan, with their members.
fn locks(
    store: &dyn Store,
    codes: &[String],
    from: Option<i64>,
) -> anyhow::Result<(Vec<LockedGrid>, Option<i64>)> {
    if codes.is_empty() {
        return Ok((Vec::new(), None));
    }
    let base = match from {
        Some(p) => p,
        None => store.latest_plan()?.ok_or_else(|| {
            super::exit::Missing("--lock needs an earlier plan; run wangge partition first".into())
        })?,
    };
    let grids: std::collections::HashMap<String, String> =
        store.plan_grids(base)?.into_iter().collect();
    let mut members: std::collections::HashMap<String, Vec<String>> =
        std::collections::HashMap::new();
    for (k, g, _) in store.plan_members(base)? {
        members.entry(g).or_default().push(k);
    }
    let mut out = Vec::new();
    for c in codes {
        let community = grids.get(c).ok_or_else(|| {
            super::exit::Missing(format!("--lock {c}: plan {base} has no such grid"))
        })?;
        out.push((
            community.clone(),
            c.clone(),
            members.remove(c).unwrap_or_default(),
        ));
    }
    Ok((out, Some(base)))
}

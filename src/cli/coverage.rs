//! `wangge coverage`: walking coverage of the life-circle facility categories over the
//! imported street network, stored in the workspace, with a CSV report and a chart per
//! community.

use super::progress::Bar;
use anyhow::{Context, bail};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;
use wangge_app::walking::WalkingModel;
use wangge_core::walk::{Coverage, CoverageInput, NOT_REACHED, Snapper, WalkNetwork};
use wangge_io::store::CoverageRun;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The workspace (a .gpkg file or a postgres:// URL) with streets, address points and facilities.
    workspace: PathBuf,
    /// Thresholds in minutes (comma-separated).
    #[arg(long, value_delimiter = ',', default_values_t = [5u32, 10, 15])]
    minutes: Vec<u32>,
    #[command(flatten)]
    walk: super::walk::WalkOpts,
    /// CSV report (default: beside the workspace, WORKSPACE.coverage.csv); charts go to
    /// REPORT-STEM.charts/COMMUNITY.png.
    #[arg(long)]
    report: Option<PathBuf>,
    /// Also write service-area polygons (GeoJSON, one per category and threshold): the
    /// streets within reach cut at the threshold, and the reached address points' paths to
    /// them, widened by the frontage.
    #[arg(long)]
    areas: Option<PathBuf>,
    /// Widening of reached streets and address connectors to the building frontage (m), for
    /// --areas.
    #[arg(long, default_value_t = 20.0)]
    frontage_m: f64,
    /// Also write the network, the snaps and the walking distances as JSON (input of the
    /// cross-checks against scipy and pgRouting): node ids are array indices, `xy` in metres
    /// on the local frame and `lonlat` in WGS84 per node, edges `[a, b, cost_m, length_m]`,
    /// snaps `[edge, t, off_m]`; the full format is in docs/dump-network.md.
    #[arg(long)]
    dump_network: Option<PathBuf>,
}

pub fn run(a: &Args) -> anyhow::Result<()> {
    let start = Instant::now();
    if a.minutes.is_empty() || a.minutes.contains(&0) {
        bail!("--minutes needs one or more positive whole numbers, e.g. 5,10,15");
    }
    let store = wangge_app::open_store(a.workspace.as_ref(), wangge_app::Access::Read)?;
    let store = &*store;
    let walk = super::walk::Walk::load(store, &a.walk)?;
    let super::walk::Walk {
        model: WalkingModel {
            data, net, snapper, ..
        },
        catalogue,
        catalogue_text,
        metric,
        build_s,
        ..
    } = &walk;
    let mut minutes = a.minutes.clone();
    minutes.sort_unstable();
    minutes.dedup();
    let thresholds_m: Vec<f64> = minutes
        .iter()
        .map(|&m| walk.limit_m(m))
        .collect::<anyhow::Result<_>>()?;
    let circles: Vec<&wangge_core::walk::Circle> = catalogue.circles.iter().collect();
    let circle_m: Vec<f64> = circles
        .iter()
        .map(|c| walk.limit_m(c.minutes))
        .collect::<anyhow::Result<_>>()?;
    let limit_m = thresholds_m
        .iter()
        .chain(&circle_m)
        .fold(0.0f64, |m, &x| m.max(x));
    let bar = Bar::default();
    let categories = catalogue.categories();
    let facilities: Vec<(String, geo_types::Point<f64>)> = data
        .facilities
        .iter()
        .map(|f| {
            (
                catalogue.category_of(f.category.as_str()).to_string(),
                f.location,
            )
        })
        .filter(|(c, _)| categories.contains(c))
        .collect();
    let points: Vec<geo_types::Point<f64>> =
        data.address_points.iter().map(|p| p.location).collect();
    if a.walk.crow_fly && (a.areas.is_some() || a.dump_network.is_some()) {
        bail!("--areas and --dump-network need the street network; leave out --crow-fly");
    }
    // Categories without data are said before computing, and are "no data" after.
    let missing = walk.missing(&a.walk, &categories, limit_m)?;
    let judged: Vec<bool> = categories
        .iter()
        .map(|c| !missing.iter().any(|m| &m.category == c))
        .collect();
    let t1 = Instant::now();
    let cov = if a.walk.crow_fly {
        Coverage::crow_fly(
            net.frame,
            &points,
            &facilities,
            &categories,
            limit_m,
            a.walk.detour,
        )
    } else {
        Coverage::compute(
            &CoverageInput {
                net,
                snapper,
                points: &points,
                facilities: &facilities,
                categories: &categories,
                limit_m,
                max_snap_m: a.walk.max_snap_m,
            },
            &bar,
        )
    };
    let search_s = t1.elapsed().as_secs_f64();
    let t_summary = Instant::now();

    // Areas: the one household assignment (wangge-app) the API counts with too.
    let areas = wangge_app::household_areas(store, data, net.frame)?;
    let plan_id = areas.plan;
    // Completeness over the categories with data; the others are named.
    type Split = (Vec<(f64, Vec<usize>)>, Vec<Vec<String>>);
    let (circle_cats, not_judged): Split = circles
        .iter()
        .zip(&circle_m)
        .map(|(c, &m)| {
            let (yes, no) = wangge_core::walk::judged(&c.categories, &categories, &missing);
            ((m, yes), no)
        })
        .unzip();
    let mut summary = Vec::new();
    let mut levels = Vec::new();
    for (level, by) in [
        ("total", &areas.total),
        ("community", &areas.communities),
        ("grid", &areas.grids),
    ] {
        let shares = cov.summarise(by, &thresholds_m, &circle_cats);
        for s in &shares {
            if s.households == 0 {
                continue;
            }
            for (k, &m) in minutes.iter().enumerate() {
                for (c, cat) in categories.iter().enumerate() {
                    summary.push((
                        level.to_string(),
                        s.area.clone(),
                        m,
                        cat.clone(),
                        s.households,
                        judged[c].then_some(s.covered[k][c]),
                    ));
                }
            }
            for (i, c) in circles.iter().enumerate() {
                summary.push((
                    level.to_string(),
                    s.area.clone(),
                    c.minutes,
                    "complete".to_string(),
                    s.households,
                    Some(s.complete[i]),
                ));
            }
        }
        levels.push((level, shares));
    }
    let run = CoverageRun {
        plan_id,
        minutes: minutes
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(","),
        metric: metric.clone(),
        catalogue: catalogue_text.clone(),
        network_nodes: net.nodes.len(),
        network_edges: net.edges.len(),
        network_km: net.length_m() / 1000.0,
        points: points.len(),
        unsnapped_points: cov.unsnapped_points(),
        facilities: facilities.len(),
        unsnapped_facilities: cov.unsnapped_facilities.len(),
        warnings: missing.iter().map(ToString::to_string).collect(),
        keys: data.address_points.iter().map(|p| p.key.as_str()).collect(),
        walk_m: categories
            .iter()
            .map(String::as_str)
            .zip(cov.walk_m.iter().map(Vec::as_slice))
            .collect(),
        summary,
    };
    let summary_s = t_summary.elapsed().as_secs_f64();
    let t_write = Instant::now();
    let run_id = store.write_coverage(&run)?;
    let write_s = t_write.elapsed().as_secs_f64();
    let t_report = Instant::now();

    let report = a.report.clone().unwrap_or_else(|| {
        if wangge_app::is_postgres(&a.workspace) {
            return wangge_app::beside(&a.workspace, ".coverage.csv");
        }
        let mut p = a.workspace.clone().into_os_string();
        p.push(".coverage.csv");
        PathBuf::from(p)
    });
    write_report(
        &report,
        &levels,
        &minutes,
        &categories,
        (&circles, &judged, &not_judged),
    )?;
    let chart_dir = chart_dir(&report);
    let charts = write_charts(
        &chart_dir,
        &levels,
        &minutes,
        &categories,
        (&circles, &judged),
    )?;
    let report_s = t_report.elapsed().as_secs_f64();
    if let Some(path) = &a.areas {
        let (n, inside, outside, polygons) = write_areas(
            path,
            &walk,
            &cov,
            &facilities,
            &categories,
            (&minutes, &thresholds_m),
            (a.frontage_m, a.walk.max_snap_m, limit_m),
        )?;
        println!(
            "  areas      {n} service areas in {}: reached address points inside {:.2}%, unreached outside {:.2}% (worst category and threshold)",
            path.display(),
            100.0 * inside,
            100.0 * outside
        );
        store.write_service_areas(run_id, &polygons)?;
    }
    if let Some(path) = &a.dump_network {
        let keys: Vec<&str> = data.address_points.iter().map(|p| p.key.as_str()).collect();
        dump(
            path,
            (net, &keys),
            &cov,
            &facilities,
            snapper,
            (a.walk.max_snap_m, limit_m),
            &categories,
        )?;
    }

    println!(
        "coverage run {run_id}: {} address points, {} facilities in {} categories, {metric}",
        points.len(),
        facilities.len(),
        categories.len()
    );
    if a.walk.crow_fly {
        println!(
            "  network    none: walks estimated as straight lines × {} (an estimate, not a walk)",
            a.walk.detour
        );
    } else {
        println!(
            "  network    {} nodes, {} edges, {:.1} km walkable ({} streets used, {} not walkable, {} parallel edges collapsed, {} islands left out)",
            net.nodes.len(),
            net.edges.len(),
            net.length_m() / 1000.0,
            net.streets_used,
            net.streets_excluded,
            net.parallel_collapsed,
            net.islands.len()
        );
        println!(
            "  snapping   {} address points and {} facilities farther than {} m from any walkable way",
            cov.unsnapped_points(),
            cov.unsnapped_facilities.len(),
            a.walk.max_snap_m
        );
    }
    if let Some((_, total)) = levels.first()
        && let Some(t) = total.first()
    {
        println!("  households covered (share of {}):", t.households);
        let head: String = minutes
            .iter()
            .map(|m| format!("{:>8}", format!("{m} min")))
            .collect();
        println!("    {:<20}{head}  facilities", "category");
        for (c, cat) in categories.iter().enumerate() {
            let row: String = (0..minutes.len())
                .map(|k| {
                    if judged[c] {
                        format!("{:>7.1}%", pct(t.covered[k][c], t.households))
                    } else {
                        format!("{:>8}", "no data")
                    }
                })
                .collect();
            println!("    {cat:<20}{row}  {}", cov.facilities[c]);
        }
        for (i, c) in circles.iter().enumerate() {
            let which = if not_judged[i].is_empty() {
                "every required category".to_string()
            } else {
                format!(
                    "every required category with data; not judged, no data: {}",
                    not_judged[i].join(", ")
                )
            };
            println!(
                "  {}-minute circle complete ({which}, within {} m): {:.1}% of households",
                c.minutes,
                circle_m[i].round(),
                pct(t.complete[i], t.households)
            );
        }
        for m in &missing {
            println!("  warning    {m}");
        }
    }
    println!(
        "  time       read {:.3} s, network {build_s:.3} s, searches {search_s:.3} s (snapping included), summary {summary_s:.3} s, write {write_s:.3} s, report {report_s:.3} s, total {:.1} s",
        walk.read_s,
        start.elapsed().as_secs_f64()
    );
    println!(
        "report: {}; charts: {} ({charts} communities)",
        report.display(),
        chart_dir.display()
    );
    Ok(())
}

fn pct(n: u64, of: u64) -> f64 {
    if of == 0 {
        0.0
    } else {
        100.0 * n as f64 / of as f64
    }
}

/// The report: shares per area, "no data" where a category could not be judged, and per
/// circle the categories its completeness leaves out.
fn write_report(
    path: &Path,
    levels: &[(&str, Vec<wangge_core::walk::AreaShare>)],
    minutes: &[u32],
    categories: &[String],
    (circles, judged, not_judged): (&[&wangge_core::walk::Circle], &[bool], &[Vec<String>]),
) -> anyhow::Result<()> {
    let mut head = vec!["level".to_string(), "area".into(), "households".into()];
    for m in minutes {
        for c in categories {
            head.push(format!("{c}_{m}min"));
        }
    }
    for c in circles {
        head.push(format!("complete_{}min", c.minutes));
        head.push(format!("complete_{}min_not_judged", c.minutes));
    }
    // Excel opens UTF-8 CSV with a BOM.
    let mut out = Vec::new();
    out.extend_from_slice(b"\xEF\xBB\xBF");
    let mut cw = csv::Writer::from_writer(&mut out);
    cw.write_record(&head)?;
    for (level, shares) in levels {
        for s in shares.iter().filter(|s| s.households > 0) {
            let mut row = vec![level.to_string(), s.area.clone(), s.households.to_string()];
            for k in 0..minutes.len() {
                for (c, &ok) in judged.iter().enumerate() {
                    row.push(if ok {
                        format!("{:.4}", s.covered[k][c] as f64 / s.households as f64)
                    } else {
                        "no data".to_string()
                    });
                }
            }
            for (i, no) in not_judged.iter().enumerate() {
                row.push(format!("{:.4}", s.complete[i] as f64 / s.households as f64));
                row.push(no.join(" "));
            }
            cw.write_record(&row)?;
        }
    }
    cw.flush()?;
    drop(cw);
    std::fs::File::create(path)
        .and_then(|mut f| f.write_all(&out))
        .with_context(|| format!("cannot write the report {}", path.display()))?;
    Ok(())
}

fn chart_dir(report: &Path) -> PathBuf {
    let stem = report
        .file_stem()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_else(|| "coverage".into());
    report.with_file_name(format!("{stem}.charts"))
}

/// A bar chart per community (and the total), drawn on every core.
fn write_charts(
    dir: &Path,
    levels: &[(&str, Vec<wangge_core::walk::AreaShare>)],
    minutes: &[u32],
    categories: &[String],
    (circles, judged): (&[&wangge_core::walk::Circle], &[bool]),
) -> anyhow::Result<usize> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let todo: Vec<(&str, &wangge_core::walk::AreaShare)> = levels
        .iter()
        .filter(|(level, _)| *level != "grid")
        .flat_map(|(level, shares)| {
            shares
                .iter()
                .filter(|s| s.households > 0)
                .map(move |s| (*level, s))
        })
        .collect();
    let one = |(level, s): (&str, &wangge_core::walk::AreaShare)| -> anyhow::Result<()> {
        let mut rows: Vec<(String, Vec<f64>)> = categories
            .iter()
            .enumerate()
            .map(|(c, cat)| {
                if !judged[c] {
                    return (format!("{cat} (no data)"), vec![f64::NAN; minutes.len()]);
                }
                (
                    cat.clone(),
                    (0..minutes.len())
                        .map(|k| s.covered[k][c] as f64 / s.households as f64)
                        .collect(),
                )
            })
            .collect();
        for (i, c) in circles.iter().enumerate() {
            let share = s.complete[i] as f64 / s.households as f64;
            // Completeness is one figure, at its own circle.
            let bars = minutes
                .iter()
                .map(|&m| if m == c.minutes { share } else { f64::NAN })
                .collect();
            rows.push((format!("complete {} min", c.minutes), bars));
        }
        let title = format!(
            "{} {}: households within walking reach ({} households)",
            level, s.area, s.households
        );
        let series: Vec<String> = minutes.iter().map(|m| format!("{m} min")).collect();
        let file = dir.join(format!("{}.png", safe(&s.area)));
        wangge_tiles::bar_chart(&title, &series, &rows, &file)
            .with_context(|| format!("cannot write the chart {}", file.display()))
    };
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = todo.len().div_ceil(workers).max(1);
    std::thread::scope(|sc| {
        let handles: Vec<_> = todo
            .chunks(chunk)
            .map(|part| sc.spawn(|| part.iter().try_for_each(|&t| one(t))))
            .collect();
        handles.into_iter().try_for_each(|h| {
            h.join()
                .map_err(|_| anyhow::anyhow!("a chart worker panicked"))?
        })
    })?;
    Ok(todo.len())
}

fn safe(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// JSON for the cross-checks: nodes (local metres), edges (a, b, cost), and per category the
/// facility snaps and every snapped point's (edge, t, off) with its walking distance.
fn dump(
    path: &Path,
    (net, keys): (&WalkNetwork, &[&str]),
    cov: &Coverage,
    facilities: &[(String, geo_types::Point<f64>)],
    snapper: &Snapper,
    (max_snap_m, limit_m): (f64, f64),
    categories: &[String],
) -> anyhow::Result<()> {
    use serde_json::json;
    let edges: Vec<_> = net
        .edges
        .iter()
        .map(|e| json!([e.a, e.b, e.cost_m, e.length_m]))
        .collect();
    let points: Vec<_> = cov
        .point_snaps
        .iter()
        .map(|s| s.map(|s| json!([s.edge, s.t, s.off_m])))
        .collect();
    let mut cats = serde_json::Map::new();
    for (c, cat) in categories.iter().enumerate() {
        let snaps: Vec<_> = facilities
            .iter()
            .filter(|(fc, _)| fc == cat)
            .filter_map(|(_, p)| snapper.snap(net, *p, max_snap_m))
            .map(|s| json!([s.edge, s.t, s.off_m]))
            .collect();
        let walks: Vec<_> = cov.walk_m[c]
            .iter()
            .map(|&w| {
                if w == NOT_REACHED {
                    serde_json::Value::Null
                } else {
                    json!(w)
                }
            })
            .collect();
        cats.insert(cat.clone(), json!({"facilities": snaps, "walk_m": walks}));
    }
    let centre = net.frame.inverse(geo_types::Coord { x: 0.0, y: 0.0 });
    let doc = json!({
        "format": "wangge-walk-network/2",
        "nodes": net.nodes.len(),
        "xy": net.nodes.iter().map(|c| [c.x, c.y]).collect::<Vec<_>>(),
        "lonlat": net
            .nodes
            .iter()
            .map(|c| {
                let g = net.frame.inverse(*c);
                [g.x, g.y]
            })
            .collect::<Vec<_>>(),
        "frame": {"lon0": centre.x, "lat0": centre.y},
        "point_keys": keys,
        "limit_m": limit_m,
        "edges": edges,
        "points": points,
        "categories": cats,
    });
    std::fs::write(path, serde_json::to_vec(&doc)?)
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

/// Service areas per category and threshold as GeoJSON, nested per category (5 ⊂ 10 ⊂ 15),
/// drawn on every core with a progress bar; returns (polygons, the smallest share of reached
/// points inside, the smallest share of unreached points outside).
fn write_areas(
    path: &Path,
    walk: &super::walk::Walk,
    cov: &Coverage,
    facilities: &[(String, geo_types::Point<f64>)],
    categories: &[String],
    (minutes, thresholds_m): (&[u32], &[f64]),
    (frontage_m, max_snap_m, limit_m): (f64, f64, f64),
) -> anyhow::Result<(usize, f64, f64, Vec<wangge_io::store::ServiceArea>)> {
    use geo::{Area, Contains};
    use std::sync::atomic::{AtomicUsize, Ordering};
    use wangge_core::Progress;
    let net = &walk.net;
    let local: Vec<geo_types::Point<f64>> = walk
        .data
        .address_points
        .iter()
        .map(|p| geo_types::Point(net.frame.forward(p.location.0)))
        .collect();
    // One category's nested areas: (snapped facilities, area per threshold).
    type Drawn = Option<(usize, Vec<geo_types::MultiPolygon<f64>>)>;
    let draw = |c: usize| -> Drawn {
        let snaps: Vec<wangge_core::walk::Snap> = facilities
            .iter()
            .filter(|(fc, _)| fc == &categories[c])
            .filter_map(|(_, p)| walk.snapper.snap(net, *p, max_snap_m))
            .collect();
        if snaps.is_empty() {
            return None;
        }
        let field = wangge_core::walk::Field::new(net, &snaps, limit_m);
        let points: Vec<wangge_core::walk::AreaPoint> = cov
            .point_snaps
            .iter()
            .enumerate()
            .filter_map(|(p, s)| s.map(|s| (s, local[p].0, cov.walk_m[c][p])))
            .collect();
        Some((
            snaps.len(),
            wangge_core::walk::service_areas(net, &field, thresholds_m, frontage_m, &points),
        ))
    };
    let bar = super::progress::Bar::default();
    bar.start("service areas", Some(categories.len() as u64));
    let next = AtomicUsize::new(0);
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut drawn: Vec<(usize, Drawn)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..workers.min(categories.len()))
            .map(|_| {
                s.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let c = next.fetch_add(1, Ordering::Relaxed);
                        if c >= categories.len() {
                            return mine;
                        }
                        mine.push((c, draw(c)));
                        bar.advance(1);
                    }
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    });
    bar.finish();
    drawn.sort_by_key(|d| d.0);
    let mut polygons = Vec::new();
    let mut features = Vec::new();
    let (mut worst_in, mut worst_out) = (1.0f64, 1.0f64);
    for (c, one) in drawn {
        let Some((n_facilities, areas)) = one else {
            continue;
        };
        let cat = &categories[c];
        for ((&m, &t), area) in minutes.iter().zip(thresholds_m).zip(areas) {
            let (mut r_in, mut r_all, mut u_out, mut u_all) = (0u64, 0u64, 0u64, 0u64);
            for (p, q) in local.iter().enumerate() {
                if cov.point_snaps[p].is_none() {
                    continue;
                }
                let inside = area.contains(q);
                if cov.walk_m[c][p] <= t {
                    r_all += 1;
                    r_in += u64::from(inside);
                } else {
                    u_all += 1;
                    u_out += u64::from(!inside);
                }
            }
            if r_all > 0 {
                worst_in = worst_in.min(r_in as f64 / r_all as f64);
            }
            if u_all > 0 {
                worst_out = worst_out.min(u_out as f64 / u_all as f64);
            }
            let lonlat = net.frame.unproject(&area);
            polygons.push(wangge_io::store::ServiceArea {
                category: cat.clone(),
                minutes: m,
                area_m2: area.unsigned_area().round(),
                facilities: n_facilities,
                geometry: lonlat.clone(),
            });
            features.push(serde_json::json!({
                "type": "Feature",
                "geometry": super::walk::multipolygon_json(&lonlat),
                "properties": {"category": cat, "minutes": m, "area_m2": area.unsigned_area().round(),
                               "facilities": n_facilities},
            }));
        }
    }
    let n = features.len();
    let doc = serde_json::json!({"type": "FeatureCollection", "features": features});
    std::fs::write(path, serde_json::to_vec(&doc)?)
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok((n, worst_in, worst_out, polygons))
}

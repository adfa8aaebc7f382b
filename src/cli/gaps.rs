//! `wangge gaps`: households not within reach of a category (or of a whole life circle),
//! clustered into gap areas with counts, per community, as GeoJSON or CSV.

use super::walk::{Walk, WalkOpts};
use anyhow::{Context, bail};
use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;
use wangge_core::walk::{Coverage, CoverageInput, gaps};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The workspace (a .gpkg file or a postgres:// URL).
    workspace: PathBuf,
    /// A facility category; or use --circle.
    #[arg(long, required_unless_present = "circle", conflicts_with = "circle")]
    category: Option<String>,
    /// A life circle (its minutes): households that miss any category it requires.
    #[arg(long)]
    circle: Option<u32>,
    /// Threshold in minutes for --category (default 15).
    #[arg(long, default_value_t = 15)]
    minutes: u32,
    /// Only this community (key).
    #[arg(long)]
    community: Option<String>,
    /// Uncovered address points closer than this join one gap (m).
    #[arg(long, default_value_t = 150.0)]
    link_m: f64,
    /// Margin around a gap's points (m).
    #[arg(long, default_value_t = 30.0)]
    margin_m: f64,
    /// Output: .geojson (gap polygons) or .csv (one row per gap, Excel BOM).
    #[arg(short, long)]
    output: Option<PathBuf>,
    #[command(flatten)]
    walk: WalkOpts,
}

pub fn run(a: &Args) -> anyhow::Result<()> {
    let start = Instant::now();
    if !(a.link_m > 0.0 && a.margin_m >= 0.0) {
        bail!("--link-m must be positive and --margin-m not negative");
    }
    if a.walk.crow_fly {
        bail!("--crow-fly works with `wangge coverage` only: gaps need the street network");
    }
    let store = wangge_app::open_store(a.workspace.as_ref(), wangge_app::Access::Read)?;
    let store = &*store;
    let walk = Walk::load(store, &a.walk)?;
    let data = &walk.data;
    let (categories, limit_m, what) = match (&a.category, a.circle) {
        (Some(c), None) => {
            walk.check_category(c)?;
            (
                vec![c.clone()],
                walk.limit_m(a.minutes)?,
                format!("{c} within {} min", a.minutes),
            )
        }
        (None, Some(m)) => {
            let Some(circle) = walk.catalogue.circles.iter().find(|c| c.minutes == m) else {
                bail!(
                    "the catalogue has no {m}-minute circle (circles: {})",
                    walk.catalogue
                        .circles
                        .iter()
                        .map(|c| c.minutes.to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            };
            (
                circle.categories.clone(),
                walk.limit_m(m)?,
                format!("the {m}-minute circle ({})", circle.categories.join(", ")),
            )
        }
        _ => bail!("give --category or --circle"),
    };
    let facilities: Vec<(String, geo_types::Point<f64>)> = walk
        .facilities()
        .into_iter()
        .filter(|(_, c)| categories.contains(c))
        .map(|(i, c)| (c, data.facilities[i].location))
        .collect();
    let points: Vec<geo_types::Point<f64>> =
        data.address_points.iter().map(|p| p.location).collect();
    // A circle's gaps are over the categories with data; one category without data is a
    // gap everywhere, said as such.
    let no_data = walk.missing(&a.walk, &categories, limit_m)?;
    let judged: Vec<usize> = (0..categories.len())
        .filter(|&c| categories.len() == 1 || !no_data.iter().any(|m| m.category == categories[c]))
        .collect();
    let cov = Coverage::compute(
        &CoverageInput {
            net: &walk.net,
            snapper: &walk.snapper,
            points: &points,
            facilities: &facilities,
            categories: &categories,
            limit_m,
            max_snap_m: a.walk.max_snap_m,
        },
        &wangge_core::NoProgress,
    );
    let index = wangge_core::index::PolygonIndex::new(
        walk.net.frame,
        data.communities.iter().map(|c| &c.geometry),
    );
    let community_of: Vec<Option<usize>> =
        points.iter().map(|p| index.first_containing(*p)).collect();
    let only = match &a.community {
        Some(k) => Some(
            data.communities
                .iter()
                .position(|c| &c.key == k)
                .with_context(|| {
                    format!("no community {k:?} in {}", wangge_app::shown(&a.workspace))
                })?,
        ),
        None => None,
    };
    let households: Vec<u32> = data.address_points.iter().map(|p| p.households).collect();
    let uncovered: Vec<bool> = (0..points.len())
        .map(|p| {
            only.is_none_or(|c| community_of[p] == Some(c))
                && judged.iter().any(|&c| cov.walk_m[c][p] > limit_m)
        })
        .collect();
    let found = gaps(
        walk.net.frame,
        &points,
        &households,
        &uncovered,
        &community_of,
        a.link_m,
        a.margin_m,
    );
    let in_scope: u64 = (0..points.len())
        .filter(|&p| only.is_none_or(|c| community_of[p] == Some(c)))
        .map(|p| u64::from(households[p]))
        .sum();
    let missing: u64 = found.iter().map(|g| g.households).sum();
    let name =
        |c: Option<usize>| c.map_or("(outside)".to_string(), |c| data.communities[c].key.clone());
    println!("gaps: households not reaching {what} ({})", walk.metric);
    for m in &no_data {
        if categories.len() > 1 {
            println!("  not judged (no data): {}", m.category);
        } else {
            println!("  warning: {m}");
        }
    }
    println!(
        "  {missing} of {in_scope} households ({:.1}%) in {} gap areas (points within {} m joined)",
        if in_scope > 0 {
            100.0 * missing as f64 / in_scope as f64
        } else {
            0.0
        },
        found.len(),
        a.link_m
    );
    println!("  rank  community        households  points  area m²     centre");
    for (i, g) in found.iter().take(15).enumerate() {
        println!(
            "  {:>4}  {:<16} {:>10}  {:>6}  {:>9.0}  {:.6},{:.6}",
            i + 1,
            name(g.community),
            g.households,
            g.points.len(),
            g.area_m2,
            g.centre.x(),
            g.centre.y()
        );
    }
    if found.len() > 15 {
        println!("  ... {} more", found.len() - 15);
    }
    // Stored for the tiles (replacing earlier areas of the same question).
    let stored: Vec<wangge_io::store::GapArea> = found
        .iter()
        .enumerate()
        .map(|(i, g)| wangge_io::store::GapArea {
            what: what.clone(),
            rank: i + 1,
            community: name(g.community),
            households: g.households,
            points: g.points.len(),
            area_m2: g.area_m2.round(),
            geometry: g.area.clone(),
        })
        .collect();
    store.write_gap_areas(&what, &stored)?;
    if let Some(out) = &a.output {
        let ext = out
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("")
            .to_ascii_lowercase();
        let bytes = match ext.as_str() {
            "geojson" | "json" => {
                let features: Vec<serde_json::Value> = found
                    .iter()
                    .enumerate()
                    .map(|(i, g)| {
                        serde_json::json!({
                            "type": "Feature",
                            "geometry": super::walk::multipolygon_json(&g.area),
                            "properties": {"rank": i + 1, "community": name(g.community), "households": g.households,
                                           "points": g.points.len(), "area_m2": g.area_m2.round(), "what": what},
                        })
                    })
                    .collect();
                serde_json::to_vec(
                    &serde_json::json!({"type": "FeatureCollection", "features": features}),
                )?
            }
            "csv" => {
                let mut buf = b"\xEF\xBB\xBF".to_vec();
                {
                    let mut w = csv::Writer::from_writer(&mut buf);
                    w.write_record([
                        "rank",
                        "community",
                        "households",
                        "points",
                        "area_m2",
                        "lon",
                        "lat",
                    ])?;
                    for (i, g) in found.iter().enumerate() {
                        w.write_record([
                            (i + 1).to_string(),
                            name(g.community),
                            g.households.to_string(),
                            g.points.len().to_string(),
                            format!("{:.0}", g.area_m2),
                            format!("{:.6}", g.centre.x()),
                            format!("{:.6}", g.centre.y()),
                        ])?;
                    }
                    w.flush()?;
                }
                buf
            }
            _ => bail!("{}: write .geojson or .csv", out.display()),
        };
        std::fs::File::create(out)
            .and_then(|mut f| f.write_all(&bytes))
            .with_context(|| format!("cannot write {}", out.display()))?;
        println!("gaps: {}", out.display());
    }
    println!("  time  {:.1} s", start.elapsed().as_secs_f64());
    Ok(())
}

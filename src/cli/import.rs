//! `wangge import`.

use super::progress::Bar;
use anyhow::{Context, anyhow};
use std::path::PathBuf;
use std::time::Instant;
use wangge_io::import::summary_rows;
use wangge_io::read::ReadOptions;
use wangge_io::{CrsSpec, Fields, ImportOptions, Role};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Files: .osm, .osm.pbf, .geojson/.json, .csv, .shp. All land in one transaction.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// The workspace (a .gpkg file, or a postgres://USER@HOST/DB?schema=NAME URL); created when it does not exist.
    #[arg(long)]
    workspace: PathBuf,
    /// What the features are (not needed for OSM files).
    #[arg(long = "as", value_parser = ["communities", "addresses", "facilities", "incidents", "components"])]
    role: Option<String>,
    /// Source CRS: EPSG:<code> (any PROJ knows), gcj02, bd09. Overrides what the file declares.
    #[arg(long)]
    crs: Option<String>,
    /// Text encoding of CSV / DBF (utf-8, gbk, big5, ...); detected when absent.
    #[arg(long)]
    encoding: Option<String>,
    /// Import the valid features and write the invalid ones to a report.
    #[arg(long)]
    skip_invalid: bool,
    /// Repair invalid polygons (self-intersecting rings) instead of refusing them; counted in the summary.
    #[arg(long)]
    repair: bool,
    /// Report file for --skip-invalid (default: WORKSPACE.rejects.csv).
    #[arg(long)]
    rejects: Option<PathBuf>,
    #[arg(long)]
    id_field: Option<String>,
    #[arg(long)]
    name_field: Option<String>,
    /// Households per address point.
    #[arg(long)]
    households_field: Option<String>,
    /// Residents per feature (e.g. a population grid): households = persons / --persons-per-household, marked estimated.
    #[arg(long)]
    persons_field: Option<String>,
    #[arg(long, default_value_t = 2.6)]
    persons_per_household: f64,
    #[arg(long)]
    time_field: Option<String>,
    #[arg(long)]
    category_field: Option<String>,
    /// One facility category for the whole file (e.g. childcare).
    #[arg(long)]
    category: Option<String>,
    /// Map source category values to codes: 'VALUE=code,VALUE2=code2,*=default'.
    #[arg(long)]
    category_map: Option<String>,
    /// Incident taxonomy (TOML like data/taxonomy.toml; default: that file, built in).
    #[arg(long)]
    taxonomy: Option<PathBuf>,
    /// Component classes (TOML like data/components.toml; default: that file, built in).
    #[arg(long)]
    components: Option<PathBuf>,
    #[arg(long)]
    source_field: Option<String>,
    /// One incident source for the whole file: grid_worker, hotline, petition, police_110, other.
    #[arg(long)]
    source: Option<String>,
    #[arg(long)]
    status_field: Option<String>,
    /// Community's parent street office.
    #[arg(long)]
    street_field: Option<String>,
    #[arg(long)]
    building_field: Option<String>,
    #[arg(long)]
    units_field: Option<String>,
    #[arg(long)]
    floors_field: Option<String>,
    /// The sheet of an Excel workbook (default: the first).
    #[arg(long)]
    sheet: Option<String>,
    /// Field with the key of the component an incident is about (default: component, 部件).
    #[arg(long)]
    component_field: Option<String>,
    /// Field with a component's owner department (权属单位; default: owner, 权属单位, 主管部门).
    #[arg(long)]
    owner_field: Option<String>,
    /// Field with a component's last inspection (default: inspected, last_inspection, 巡查日期).
    #[arg(long)]
    inspected_field: Option<String>,
    /// CSV longitude column.
    #[arg(long)]
    lon_field: Option<String>,
    /// CSV latitude column.
    #[arg(long)]
    lat_field: Option<String>,
    /// CSV WKT geometry column.
    #[arg(long)]
    wkt_field: Option<String>,
    /// Offset of times without a zone (default +08:00, China Standard Time).
    #[arg(long, default_value = "+08:00")]
    utc_offset: String,
    /// Gross floor area per dwelling for household estimates (m²).
    #[arg(long, default_value_t = 90.0)]
    dwelling_m2: f64,
    /// OSM `admin_level`s read as streets (街道); default 8, as in Chinese OSM.
    #[arg(long, value_delimiter = ',', default_values_t = [8u32])]
    osm_street_levels: Vec<u32>,
    /// OSM `admin_level`s read as communities (社区/居委会); default 9,10. A finer level is
    /// carved out of a coarser one; for other countries' data pick the level of a community
    /// (e.g. 10 for Helsinki's neighbourhoods).
    #[arg(long, value_delimiter = ',', default_values_t = [9u32, 10])]
    osm_community_levels: Vec<u32>,
    /// Do not make communities of residential land use (landuse=residential) that no admin
    /// community covers; they stay land cover.
    #[arg(long)]
    no_landuse_communities: bool,
}

fn parse_offset(s: &str) -> anyhow::Result<i32> {
    let bad = || anyhow!("--utc-offset {s:?}: expected +HH:MM");
    let (sign, rest) = match s.as_bytes().first() {
        Some(b'+') => (1, &s[1..]),
        Some(b'-') => (-1, &s[1..]),
        _ => return Err(bad()),
    };
    let (h, m) = rest.split_once(':').unwrap_or((rest, "0"));
    let h: i32 = h.parse().map_err(|_| bad())?;
    let m: i32 = m.parse().map_err(|_| bad())?;
    Ok(sign * (h * 3600 + m * 60))
}

pub fn run(a: &Args) -> anyhow::Result<()> {
    let start = Instant::now();
    let category_map = match &a.category_map {
        None => Vec::new(),
        Some(s) => s
            .split(',')
            .filter(|p| !p.trim().is_empty())
            .map(|p| {
                p.split_once('=')
                    .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
                    .ok_or_else(|| anyhow!("--category-map: {p:?} is not VALUE=code"))
            })
            .collect::<anyhow::Result<_>>()?,
    };
    if !(a.dwelling_m2 > 10.0 && a.dwelling_m2 < 1000.0) {
        return Err(anyhow!("--dwelling-m2 must be between 10 and 1000"));
    }
    let opts = ImportOptions {
        role: a.role.as_deref().and_then(Role::parse),
        crs: a.crs.as_deref().map(CrsSpec::parse).transpose()?,
        fields: Fields {
            id: a.id_field.clone(),
            name: a.name_field.clone(),
            households: a.households_field.clone(),
            persons: a.persons_field.clone(),
            time: a.time_field.clone(),
            category: a.category_field.clone(),
            source: a.source_field.clone(),
            status: a.status_field.clone(),
            street: a.street_field.clone(),
            building: a.building_field.clone(),
            units: a.units_field.clone(),
            floors: a.floors_field.clone(),
            owner: a.owner_field.clone(),
            component: a.component_field.clone(),
            inspected: a.inspected_field.clone(),
        },
        read: ReadOptions {
            encoding: a.encoding.clone(),
            lon_field: a.lon_field.clone(),
            lat_field: a.lat_field.clone(),
            wkt_field: a.wkt_field.clone(),
            sheet: a.sheet.clone(),
        },
        skip_invalid: a.skip_invalid,
        repair: a.repair,
        rejects: a.rejects.clone(),
        utc_offset_s: parse_offset(&a.utc_offset)?,
        persons_per_household: a.persons_per_household,
        category: a.category.clone(),
        category_map,
        incident_source: a
            .source
            .as_deref()
            .map(wangge_core::IncidentSource::parse)
            .transpose()?,
        taxonomy: match &a.taxonomy {
            None => wangge_core::Taxonomy::builtin(),
            Some(p) => wangge_core::Taxonomy::parse(
                &std::fs::read_to_string(p).with_context(|| format!("{}", p.display()))?,
            )
            .with_context(|| format!("{}", p.display()))?,
        },
        components: match &a.components {
            None => wangge_core::ComponentCatalogue::builtin(),
            Some(p) => wangge_core::ComponentCatalogue::parse(
                &std::fs::read_to_string(p).with_context(|| format!("{}", p.display()))?,
            )
            .with_context(|| format!("{}", p.display()))?,
        },
        estimate: wangge_core::households::EstimateParams {
            dwelling_m2: a.dwelling_m2,
            ..Default::default()
        },
        osm_boundaries: wangge_io::osm::OsmBoundaries {
            street_levels: a.osm_street_levels.clone(),
            community_levels: a.osm_community_levels.clone(),
            landuse_communities: !a.no_landuse_communities,
        },
    };
    // A PostgreSQL workspace is made by its migrations when its schema is new.
    let existed = wangge_app::is_postgres(&a.workspace) || a.workspace.exists();
    let access = if existed {
        wangge_app::Access::Write
    } else {
        wangge_app::Access::Create
    };
    let mut store = wangge_app::open_store(a.workspace.as_ref(), access)?;
    let bar = Bar::default();
    let result = wangge_io::import(store.as_mut(), &a.files, &opts, &bar);
    let summary = match result {
        Ok(s) => s,
        Err(e) => {
            drop(store);
            if !existed {
                // a workspace created for this import holds nothing: do not leave it behind
                let _ = std::fs::remove_file(&a.workspace);
            }
            return Err(e).context("import failed; the workspace is unchanged");
        }
    };
    let counts: Vec<String> = summary
        .files
        .iter()
        .map(|f| format!("{} ({} features)", f.path.display(), f.features))
        .collect();
    super::audit::record(store.as_ref(), "import", &counts.join(", "))?;
    for f in &summary.files {
        let enc = f.encoding.map(|e| format!(", {e}")).unwrap_or_default();
        let mut line = format!("  {}: {} features{enc}", f.path.display(), f.features);
        if f.rejected > 0 {
            line.push_str(&format!(", {} rejected", f.rejected));
        }
        if f.repaired > 0 {
            line.push_str(&format!(", {} invalid polygons repaired", f.repaired));
        }
        if f.empty_skipped > 0 {
            line.push_str(&format!(", {} without households skipped", f.empty_skipped));
        }
        if !f.note.is_empty() {
            line.push_str(&format!(" ({})", f.note));
        }
        println!("{line}");
    }
    let added: Vec<String> = summary_rows(&summary)
        .iter()
        .filter(|(_, n)| **n > 0)
        .map(|(k, n)| format!("{n} {k}"))
        .collect();
    println!(
        "imported {} into {}; households given {}, estimated {}; {:.1} s",
        if added.is_empty() {
            "nothing".to_string()
        } else {
            added.join(", ")
        },
        wangge_app::shown(&a.workspace),
        summary.households_given,
        summary.households_estimated,
        start.elapsed().as_secs_f64()
    );
    for (key, kind) in &summary.replaced_communities {
        println!(
            "  replaced community {key} ({kind}): an imported community covers more than half of it"
        );
    }
    if !summary.overlaps.is_empty() {
        println!(
            "warning: {} pairs of communities overlap; partition refuses them until each pair is fixed (clip one in QGIS, or import official boundaries, which replace OSM-derived communities they cover by more than half):",
            summary.overlaps.len()
        );
        for (x, y, m2) in summary.overlaps.iter().take(10) {
            println!("  {x} and {y} overlap by {m2:.1} m²");
        }
        if summary.overlaps.len() > 10 {
            println!(
                "  and {} more (wangge partition lists them all)",
                summary.overlaps.len() - 10
            );
        }
    }
    if let Some(r) = &summary.rejects_report {
        println!("rejected features are listed in {}", r.display());
    }
    Ok(())
}

//! City components (部件) per area: how many of each subclass lie in each grid, community,
//! street or the district, and in what state. A component's area is where it lies in the
//! newest plan (through the same assigner incidents use), so the counts follow every plan
//! change without rewriting the components. The CLI's `report components` and the API's
//! `/api/components` show these rows.

use geo_types::{Geometry, Point};
use std::collections::{BTreeMap, HashMap};
use wangge_core::kpi::Level;
use wangge_core::{ComponentCatalogue, ComponentStatus};
use wangge_io::Store;

/// One area's components of one subclass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComponentRow {
    /// Grid code, community key, street name or `district`.
    pub area: String,
    /// Subclass code (`0102`).
    pub class: String,
    pub count: u64,
    /// By status: intact, damaged, missing, occupied.
    pub by_status: [u64; 4],
}

/// The rows of a level, by area then class; components outside every area of the level
/// counted apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComponentCounts {
    pub level: Level,
    pub rows: Vec<ComponentRow>,
    pub total: u64,
    pub outside: u64,
}

/// Where a component is counted: its point, or a line's middle vertex.
fn position(g: &Geometry<f64>) -> Option<Point<f64>> {
    match g {
        Geometry::Point(p) => Some(*p),
        Geometry::LineString(l) => l.0.get(l.0.len() / 2).map(|c| Point::from(*c)),
        _ => None,
    }
}

/// The component counts per area at `level`.
pub fn component_counts(
    store: &dyn Store,
    level: Level,
) -> Result<ComponentCounts, wangge_io::Error> {
    let components = store.components()?;
    let assigner = store.assigner()?;
    let street_of: HashMap<String, String> = store.community_streets()?.into_iter().collect();
    let mut rows: BTreeMap<(String, String), ComponentRow> = BTreeMap::new();
    let mut outside = 0;
    for c in &components {
        let (community, grid) = position(&c.geometry).map_or((None, None), |p| assigner.locate(p));
        let area = match level {
            Level::Grid => grid,
            Level::Community => community,
            Level::Street => community.and_then(|k| street_of.get(&k).cloned()),
            Level::District => Some("district".to_string()),
            // Not areas (callers ask by area: `Level::parse_area`).
            Level::Department | Level::Worker => None,
        };
        let Some(area) = area else {
            outside += 1;
            continue;
        };
        let row = rows
            .entry((area.clone(), c.class.clone()))
            .or_insert_with(|| ComponentRow {
                area,
                class: c.class.clone(),
                count: 0,
                by_status: [0; 4],
            });
        row.count += 1;
        let k = ComponentStatus::ALL
            .iter()
            .position(|s| *s == c.status)
            .unwrap_or(0);
        row.by_status[k] += 1;
    }
    Ok(ComponentCounts {
        level,
        rows: rows.into_values().collect(),
        total: components.len() as u64,
        outside,
    })
}

/// The CSV of the rows (`area,class,class_zh,major,count,intact,damaged,missing,occupied`).
pub fn counts_csv(counts: &ComponentCounts, catalogue: &ComponentCatalogue) -> String {
    let mut out = String::from("area,class,class_zh,major,count,intact,damaged,missing,occupied\n");
    for r in &counts.rows {
        let zh = catalogue.get(&r.class).map_or("", |s| s.zh.as_str());
        let [a, b, c, d] = r.by_status;
        out.push_str(&format!(
            "{},{},{},{},{},{a},{b},{c},{d}\n",
            csv_field(&r.area),
            r.class,
            csv_field(zh),
            r.class.get(..2).unwrap_or_default(),
            r.count
        ));
    }
    out
}

/// The same rows as an Excel sheet (counts as numbers).
pub fn counts_xlsx(
    path: &std::path::Path,
    counts: &ComponentCounts,
    catalogue: &ComponentCatalogue,
) -> Result<(), wangge_io::Error> {
    use wangge_io::xlsx::Cell;
    let rows: Vec<Vec<Cell>> = counts
        .rows
        .iter()
        .map(|r| {
            let zh = catalogue.get(&r.class).map_or("", |s| s.zh.as_str());
            let mut c: Vec<Cell> = vec![
                r.area.as_str().into(),
                r.class.as_str().into(),
                zh.into(),
                r.class.get(..2).unwrap_or_default().into(),
                r.count.into(),
            ];
            c.extend(r.by_status.map(Cell::from));
            c
        })
        .collect();
    wangge_io::xlsx::write_table(
        path,
        "components",
        &[
            "area", "class", "class_zh", "major", "count", "intact", "damaged", "missing",
            "occupied",
        ],
        &rows,
    )
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// A component and the incidents reported about it in a window.
#[derive(Debug, Clone, PartialEq)]
pub struct FaultRow {
    pub key: String,
    pub class: String,
    pub status: ComponentStatus,
    pub owner: Option<String>,
    /// Where it lies in the newest plan.
    pub community: Option<String>,
    pub grid: Option<String>,
    pub incidents: u64,
}

/// Components with at least `min` incidents reported about them in `[from, to)` (any time
/// when `None`), most first (then by key): the components with repeated faults. Incidents
/// naming a key no component has are left out.
pub fn repeated_faults(
    store: &dyn Store,
    (from, to): (
        Option<wangge_core::Timestamp>,
        Option<wangge_core::Timestamp>,
    ),
    min: u64,
) -> Result<Vec<FaultRow>, wangge_io::Error> {
    let counts: HashMap<String, u64> = store
        .incidents_per_component(from, to)?
        .into_iter()
        .filter(|(_, n)| *n >= min.max(1))
        .collect();
    if counts.is_empty() {
        return Ok(Vec::new());
    }
    let assigner = store.assigner()?;
    let mut rows: Vec<FaultRow> = store
        .components()?
        .into_iter()
        .filter_map(|c| {
            let n = *counts.get(&c.key)?;
            let (community, grid) =
                position(&c.geometry).map_or((None, None), |p| assigner.locate(p));
            Some(FaultRow {
                key: c.key,
                class: c.class,
                status: c.status,
                owner: c.owner,
                community,
                grid,
                incidents: n,
            })
        })
        .collect();
    rows.sort_by(|a, b| {
        b.incidents
            .cmp(&a.incidents)
            .then_with(|| a.key.cmp(&b.key))
    });
    Ok(rows)
}

/// The CSV of a faults ranking (`key,class,status,owner,community,grid,incidents`).
pub fn faults_csv(rows: &[FaultRow]) -> String {
    let mut out = String::from("key,class,status,owner,community,grid,incidents\n");
    for r in rows {
        let opt = |v: &Option<String>| csv_field(v.as_deref().unwrap_or(""));
        out.push_str(&format!(
            "{},{},{},{},{},{},{}\n",
            csv_field(&r.key),
            r.class,
            r.status.as_str(),
            opt(&r.owner),
            opt(&r.community),
            opt(&r.grid),
            r.incidents
        ));
    }
    out
}

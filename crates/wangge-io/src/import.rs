//! The import pipeline: read every file, convert to WGS84, validate and map fields onto the
//! domain model, then write everything to the workspace in one transaction. A file with bad
//! features is refused whole (listing every bad feature) unless `skip_invalid` is set, in which
//! case the good features land and the rejects go to a CSV report.

use crate::error::FeatureProblem;
use crate::read::{self, FileKind, RawFeature, RawFile, ReadOptions, Value};
use crate::{CrsSpec, Error, Result, Store, ToWgs84, osm, validate};
use geo::{CoordsIter, InteriorPoint, MapCoords};
use geo_types::{Geometry, LineString, MultiPolygon, Point};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use wangge_core::households::EstimateParams;
use wangge_core::overlaps::{NOISE_M2, overlaps};
use wangge_core::{
    AddressPoint, Community, Component, ComponentCatalogue, ComponentStatus, Dataset, Facility,
    FacilityCategory, Households, Incident, IncidentSource, IncidentStatus, Progress, Taxonomy,
    Timestamp,
};

/// What the features of a (non-OSM) file are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Communities,
    Addresses,
    Facilities,
    Incidents,
    Components,
}

impl Role {
    /// Parses `communities`, `addresses`, `facilities`, `incidents`, `components`.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "communities" | "community" => Self::Communities,
            "addresses" | "address_points" | "entrances" => Self::Addresses,
            "facilities" | "facility" | "pois" => Self::Facilities,
            "incidents" | "incident" | "cases" => Self::Incidents,
            "components" | "component" | "parts" => Self::Components,
            _ => return None,
        })
    }
}

/// Which attribute holds what. Unset fields are looked up under common names.
#[derive(Debug, Clone, Default)]
pub struct Fields {
    pub id: Option<String>,
    pub name: Option<String>,
    pub households: Option<String>,
    /// Residents (persons); households = persons / persons-per-household, estimated.
    pub persons: Option<String>,
    pub time: Option<String>,
    pub category: Option<String>,
    pub source: Option<String>,
    pub status: Option<String>,
    pub street: Option<String>,
    pub building: Option<String>,
    pub units: Option<String>,
    pub floors: Option<String>,
    /// The component an incident is about (its key).
    pub component: Option<String>,
    /// A component's owner department (权属单位) and last inspection.
    pub owner: Option<String>,
    pub inspected: Option<String>,
}

/// Options of one import.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    pub role: Option<Role>,
    /// Overrides the CRS the file declares.
    pub crs: Option<CrsSpec>,
    pub fields: Fields,
    pub read: ReadOptions,
    pub skip_invalid: bool,
    /// Repair invalid polygons (self-intersections) instead of refusing them.
    pub repair: bool,
    /// Where rejects go with `skip_invalid` (default: beside the workspace).
    pub rejects: Option<PathBuf>,
    /// Offset of local times without a zone, seconds east of UTC (default +08:00).
    pub utc_offset_s: i32,
    pub persons_per_household: f64,
    /// One category for every feature of the file.
    pub category: Option<String>,
    /// Source values mapped to category codes; key `*` maps every other value.
    pub category_map: Vec<(String, String)>,
    /// One source for every incident of the file.
    pub incident_source: Option<IncidentSource>,
    /// Incident categories (texts are resolved onto its codes).
    pub taxonomy: Taxonomy,
    /// Component classes (texts and OSM tags are resolved onto its subclass codes).
    pub components: ComponentCatalogue,
    pub estimate: EstimateParams,
    /// Which OSM admin levels and land use become streets and communities.
    pub osm_boundaries: crate::osm::OsmBoundaries,
}

impl Default for ImportOptions {
    fn default() -> Self {
        Self {
            role: None,
            crs: None,
            fields: Fields::default(),
            read: ReadOptions::default(),
            skip_invalid: false,
            repair: false,
            rejects: None,
            utc_offset_s: 8 * 3600,
            persons_per_household: 2.6,
            category: None,
            category_map: Vec::new(),
            incident_source: None,
            taxonomy: Taxonomy::builtin(),
            components: ComponentCatalogue::builtin(),
            osm_boundaries: crate::osm::OsmBoundaries::default(),
            estimate: EstimateParams::default(),
        }
    }
}

/// What one file gave.
#[derive(Debug, Clone, PartialEq)]
pub struct FileSummary {
    pub path: PathBuf,
    pub features: usize,
    pub rejected: usize,
    /// Address features skipped because they hold no households (empty population cells).
    pub empty_skipped: usize,
    /// Invalid polygons repaired (with `repair`).
    pub repaired: usize,
    pub encoding: Option<&'static str>,
    pub note: String,
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ImportSummary {
    pub files: Vec<FileSummary>,
    pub communities: usize,
    pub buildings: usize,
    pub address_points: usize,
    pub facilities: usize,
    pub streets: usize,
    pub incidents: usize,
    pub households_given: u64,
    pub households_estimated: u64,
    pub rejects_report: Option<PathBuf>,
    /// OSM-derived communities removed because an imported community covers more than half
    /// of one of the two: (key, kind).
    pub replaced_communities: Vec<(String, String)>,
    /// Pairs of communities that still overlap after the import: (key, key, m²).
    pub overlaps: Vec<(String, String, f64)>,
}

// Long: the import pipeline in its order (read, transform, validate, map, assign, one
// transaction, rejects); each step is a call over the same summary.
/// Imports files into a workspace (all in one transaction).
pub fn import(
    store: &mut dyn Store,
    files: &[PathBuf],
    opts: &ImportOptions,
    progress: &dyn Progress,
) -> Result<ImportSummary> {
    let mut all = Dataset::default();
    let mut summary = ImportSummary::default();
    let mut rejects: Vec<(PathBuf, FeatureProblem)> = Vec::new();
    for path in files {
        let kind = FileKind::of(path)?;
        if matches!(kind, FileKind::OsmXml | FileKind::OsmPbf) {
            let data = osm::read(path, progress)?;
            let (d, report) = osm::assemble(
                &data,
                &opts.estimate,
                &opts.osm_boundaries,
                &opts.components,
            );
            summary.files.push(FileSummary {
                path: path.clone(),
                features: d.len(),
                rejected: 0,
                empty_skipped: 0,
                repaired: 0,
                encoding: None,
                note: format!(
                    "{} ways cut by the extract edge, {} incomplete multipolygons, {} invalid footprints skipped; boundaries: {} streets (admin {:?}), {} admin communities (admin {:?}), {} residential land-use communities, {} land-use areas inside admin communities kept as land cover, {} overlaps carved{}",
                    report.ways_with_missing_nodes,
                    report.incomplete_multipolygons,
                    report.invalid_footprints,
                    report.boundaries.streets,
                    opts.osm_boundaries.street_levels,
                    report.boundaries.admin_communities,
                    opts.osm_boundaries.community_levels,
                    report.boundaries.landuse_communities,
                    report.boundaries.landuse_covered,
                    report.boundaries.carved.len(),
                    report
                        .boundaries
                        .carved
                        .iter()
                        .map(|(lost, kept, m2)| format!("; {lost} gave {m2:.0} m² to {kept}"))
                        .collect::<String>()
                ),
            });
            all.extend(d);
            continue;
        }
        let role = opts.role.ok_or_else(|| {
            Error::usage(
                path,
                "say what the features are with --as communities|addresses|facilities|incidents",
            )
        })?;
        progress.start(&format!("reading {}", path.display()), None);
        let raw = read::read(path, &opts.read)?;
        let total = raw.total;
        let encoding = raw.encoding;
        let (d, problems, empty_skipped, repaired) = convert(path, raw, role, opts)?;
        progress.finish();
        if !problems.is_empty() && !opts.skip_invalid {
            return Err(Error::Features {
                path: path.clone(),
                total,
                problems,
            });
        }
        summary.files.push(FileSummary {
            path: path.clone(),
            features: d.len(),
            rejected: problems.len(),
            empty_skipped,
            repaired,
            encoding,
            note: String::new(),
        });
        rejects.extend(problems.into_iter().map(|p| (path.clone(), p)));
        all.extend(d);
    }
    check_unique(&all)?;
    summary.communities = all.communities.len();
    summary.buildings = all.buildings.len();
    summary.address_points = all.address_points.len();
    summary.facilities = all.facilities.len();
    summary.streets = all.streets.len();
    summary.incidents = all.incidents.len();
    (summary.households_given, summary.households_estimated) = all.households();
    let sources: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
    if !all.incidents.is_empty() {
        // Community and grid through the R-trees of the store's communities (and those of
        // this import) and the newest plan's grids.
        let assigner = store.assigner_with(
            all.communities
                .iter()
                .map(|c| (c.key.clone(), c.geometry.clone()))
                .collect(),
        )?;
        for i in &mut all.incidents {
            assigner.assign(i);
        }
    }
    // Imported boundaries replace OSM-derived communities that either covers by more than
    // half; overlaps that remain are listed (partition refuses them).
    let mut replace = Vec::new();
    if !all.communities.is_empty() {
        let before = store.communities()?;
        let list: Vec<&wangge_core::Community> = before.iter().chain(&all.communities).collect();
        let n_before = before.len();
        let pairs = overlaps(&list, NOISE_M2);
        let mut gone = std::collections::BTreeSet::new();
        for o in &pairs {
            let osm = |i: usize| list[i].kind.starts_with("osm_");
            if osm(o.a) != osm(o.b) && (o.share_a > 0.5 || o.share_b > 0.5) {
                gone.insert(if osm(o.a) { o.a } else { o.b });
            }
        }
        for &i in &gone {
            summary
                .replaced_communities
                .push((list[i].key.clone(), list[i].kind.clone()));
            if i < n_before {
                replace.push(list[i].key.clone());
            }
        }
        summary.overlaps = pairs
            .iter()
            .filter(|o| !gone.contains(&o.a) && !gone.contains(&o.b))
            .map(|o| (list[o.a].key.clone(), list[o.b].key.clone(), o.area_m2))
            .collect();
        let dropped: std::collections::HashSet<String> = gone
            .iter()
            .filter(|&&i| i >= n_before)
            .map(|&i| list[i].key.clone())
            .collect();
        all.communities.retain(|c| !dropped.contains(&c.key));
        summary.communities = all.communities.len();
    }
    store.write_replacing(&all, &replace, "import", &sources.join("\n"), progress)?;
    if !rejects.is_empty() {
        let report = opts
            .rejects
            .clone()
            .unwrap_or_else(|| PathBuf::from(store.location()).with_extension("rejects.csv"));
        write_rejects(&report, &rejects)?;
        summary.rejects_report = Some(report);
    }
    Ok(summary)
}

fn write_rejects(path: &Path, rejects: &[(PathBuf, FeatureProblem)]) -> Result<()> {
    let mut w = csv::Writer::from_path(path)
        .map_err(|e| Error::format(path, format!("cannot write the rejects report: {e}")))?;
    let io = |e: csv::Error| Error::format(path, format!("cannot write the rejects report: {e}"));
    w.write_record(["file", "feature", "id", "problem"])
        .map_err(io)?;
    for (file, p) in rejects {
        w.write_record([
            file.display().to_string(),
            p.index.to_string(),
            p.id.clone().unwrap_or_default(),
            p.message.clone(),
        ])
        .map_err(io)?;
    }
    w.flush().map_err(|e| Error::io(path, e))
}

/// Keys must be unique per layer within one import (the store checks against earlier ones).
fn check_unique(d: &Dataset) -> Result<()> {
    fn check<'a>(layer: &'static str, keys: impl Iterator<Item = &'a String>) -> Result<()> {
        let mut seen = std::collections::HashSet::new();
        for k in keys {
            if !seen.insert(k) {
                return Err(Error::DuplicateKey {
                    layer,
                    key: k.clone(),
                    message: "appears in more than one input file; nothing was imported".into(),
                });
            }
        }
        Ok(())
    }
    check("communities", d.communities.iter().map(|c| &c.key))?;
    check("buildings", d.buildings.iter().map(|c| &c.key))?;
    check("address_points", d.address_points.iter().map(|c| &c.key))?;
    check("facilities", d.facilities.iter().map(|c| &c.key))?;
    check("streets", d.streets.iter().map(|c| &c.key))?;
    check("incidents", d.incidents.iter().map(|c| &c.key))?;
    check("components", d.components.iter().map(|c| &c.key))
}

const ID: &[&str] = &[
    "id",
    "ID",
    "code",
    "CODE",
    "编码",
    "編號",
    "案件编号",
    "案件編號",
];
/// A component register's id, class and status columns (only for `--as components`: other
/// layers' files keep the names above, so a hotline export's 状态 is not read as a status).
const COMPONENT_ID: &[&str] = &["id", "ID", "code", "CODE", "部件编码", "部件编号", "ObjID"];
const COMPONENT_CLASS: &[&str] = &[
    "class",
    "category",
    "type",
    "部件小类",
    "小类",
    "类别",
    "SmallClass",
];
const COMPONENT_STATUS: &[&str] = &["status", "状态", "部件状态", "ObjState"];
const NAME: &[&str] = &["name", "NAME", "名称", "名稱"];
const HOUSEHOLDS: &[&str] = &["households", "hh", "户数", "戶數"];
const TIME: &[&str] = &[
    "time",
    "datetime",
    "date",
    "时间",
    "時間",
    "成案时间",
    "成案時間",
];
const CATEGORY: &[&str] = &["category", "type", "类别", "類別", "案件类型", "案件類型"];
const STREET: &[&str] = &["street", "街道"];
const OWNER: &[&str] = &["owner", "权属单位", "主管部门", "DeptName1"];
const INSPECTED: &[&str] = &["inspected", "last_inspection", "巡查日期", "CHDate"];

/// Resolves a field: the given name (which must exist) or the first default present.
fn field(
    path: &Path,
    raw: &RawFile,
    given: &Option<String>,
    defaults: &[&str],
    option: &str,
) -> Result<Option<String>> {
    match given {
        Some(g) if raw.fields.is_empty() || raw.fields.contains(g) => Ok(Some(g.clone())),
        Some(g) => Err(Error::usage(
            path,
            format!(
                "{option} {g:?}: no such field; fields are {}",
                raw.fields.join(", ")
            ),
        )),
        None => Ok(defaults
            .iter()
            .find(|d| raw.fields.iter().any(|f| f == *d))
            .map(|d| d.to_string())),
    }
}

fn text(f: &RawFeature, field: &Option<String>) -> Option<String> {
    field
        .as_ref()
        .and_then(|k| f.props.get(k))
        .and_then(Value::as_text)
}

struct Mapping {
    id: Option<String>,
    name: Option<String>,
    households: Option<String>,
    persons: Option<String>,
    time: Option<String>,
    category: Option<String>,
    source: Option<String>,
    status: Option<String>,
    street: Option<String>,
    building: Option<String>,
    units: Option<String>,
    floors: Option<String>,
    owner: Option<String>,
    inspected: Option<String>,
    component: Option<String>,
}

type Converted = (Dataset, Vec<FeatureProblem>, usize, usize);

// Long: one match over a feature's role (community, building, address point, facility,
// incident, street) mapping fields to the model; each arm is short and all share the
// per-feature problem list.
fn convert(path: &Path, raw: RawFile, role: Role, opts: &ImportOptions) -> Result<Converted> {
    let f = &opts.fields;
    let components = role == Role::Components;
    let m = Mapping {
        id: field(
            path,
            &raw,
            &f.id,
            if components { COMPONENT_ID } else { ID },
            "--id-field",
        )?,
        name: field(path, &raw, &f.name, NAME, "--name-field")?,
        households: field(path, &raw, &f.households, HOUSEHOLDS, "--households-field")?,
        persons: field(path, &raw, &f.persons, &[], "--persons-field")?,
        time: field(path, &raw, &f.time, TIME, "--time-field")?,
        category: field(
            path,
            &raw,
            &f.category,
            if components {
                COMPONENT_CLASS
            } else {
                CATEGORY
            },
            "--category-field",
        )?,
        source: field(path, &raw, &f.source, &[], "--source-field")?,
        status: field(
            path,
            &raw,
            &f.status,
            if components {
                COMPONENT_STATUS
            } else {
                &["status"]
            },
            "--status-field",
        )?,
        street: field(path, &raw, &f.street, STREET, "--street-field")?,
        building: field(
            path,
            &raw,
            &f.building,
            &["building", "building_key"],
            "--building-field",
        )?,
        units: field(path, &raw, &f.units, &["units"], "--units-field")?,
        floors: field(path, &raw, &f.floors, &["floors"], "--floors-field")?,
        owner: field(path, &raw, &f.owner, OWNER, "--owner-field")?,
        inspected: field(path, &raw, &f.inspected, INSPECTED, "--inspected-field")?,
        component: field(
            path,
            &raw,
            &f.component,
            &["component", "component_key", "部件"],
            "--component-field",
        )?,
    };
    let need = |what: &str, ok: bool, option: &str| -> Result<()> {
        if ok {
            Ok(())
        } else {
            Err(Error::usage(
                path,
                format!(
                    "no {what} field: name it with {option} (fields are {})",
                    raw.fields.join(", ")
                ),
            ))
        }
    };
    match role {
        Role::Addresses => need(
            "households",
            m.households.is_some() || m.persons.is_some(),
            "--households-field or --persons-field",
        )?,
        Role::Incidents => {
            need("time", m.time.is_some(), "--time-field")?;
            need("category", m.category.is_some(), "--category-field")?;
        }
        Role::Facilities => need(
            "category",
            m.category.is_some() || opts.category.is_some(),
            "--category-field or --category",
        )?,
        Role::Components => need(
            "class",
            m.category.is_some() || opts.category.is_some(),
            "--category-field or --category",
        )?,
        Role::Communities => {}
    }
    if opts.persons_per_household <= 0.0 || !opts.persons_per_household.is_finite() {
        return Err(Error::usage(
            path,
            "--persons-per-household must be a positive number",
        ));
    }
    let fixed_category = match role {
        Role::Components => None,
        _ => opts
            .category
            .as_deref()
            .map(FacilityCategory::new)
            .transpose()
            .map_err(|e| Error::usage(path, e.to_string()))?,
    };
    let catalogue = &opts.components;
    let declared = opts.crs.clone().or(raw.crs.clone());
    let crs_given = declared.is_some();
    let to84 = ToWgs84::new(declared.unwrap_or(CrsSpec::Wgs84))
        .map_err(|e| Error::usage(path, e.to_string()))?;
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_default();

    let mut out = Dataset::default();
    let mut problems = raw.problems;
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut empty_skipped = 0;
    let mut repaired = 0;
    for feat in raw.features {
        let id = text(&feat, &m.id);
        let key = id
            .clone()
            .unwrap_or_else(|| format!("{stem}#{}", feat.index));
        let problem = |message: String| FeatureProblem {
            index: feat.index,
            id: id.clone(),
            message,
        };
        if let Some(first) = seen.get(&key) {
            problems.push(problem(format!(
                "duplicate id {key:?} (first used by feature {first})"
            )));
            continue;
        }
        seen.insert(key.clone(), feat.index);
        let geometry = match to_wgs84(&feat.geometry, &to84, crs_given, opts.repair) {
            Ok((g, fixed)) => {
                repaired += usize::from(fixed);
                g
            }
            Err(msg) => {
                problems.push(problem(msg));
                continue;
            }
        };
        let result = match role {
            Role::Communities => {
                community(&feat, &m, key, geometry).map(|c| out.communities.push(c))
            }
            Role::Addresses => address(&feat, &m, key, geometry, opts).map(|a| match a {
                Some(a) => out.address_points.push(a),
                None => empty_skipped += 1,
            }),
            Role::Facilities => facility(&feat, &m, key, geometry, fixed_category.as_ref(), opts)
                .map(|f| out.facilities.push(f)),
            Role::Incidents => {
                incident(&feat, &m, key, geometry, opts).map(|i| out.incidents.push(i))
            }
            Role::Components => {
                component(&feat, &m, key, geometry, catalogue, opts).map(|c| out.components.push(c))
            }
        };
        if let Err(msg) = result {
            problems.push(problem(msg));
        }
    }
    problems.sort_by_key(|p| p.index);
    Ok((out, problems, empty_skipped, repaired))
}

/// Transforms to WGS84 and validates; the flag says whether the geometry was repaired.
fn to_wgs84(
    g: &Geometry<f64>,
    to84: &ToWgs84,
    crs_given: bool,
    repair: bool,
) -> std::result::Result<(Geometry<f64>, bool), String> {
    validate::source_coords(g, to84.source_is_geographic(), crs_given)?;
    let source = g.coords_iter().next();
    let g = g
        .try_map_coords(|c| to84.convert(c))
        .map_err(|e| e.to_string())?;
    if let (Some(from), Some(to)) = (source, g.coords_iter().next())
        && let Some(why) = to84.outside_area(from, to)
    {
        return Err(why);
    }
    match validate::geometry(&g) {
        Ok(()) => Ok((g, false)),
        Err(msg) if repair => validate::repair(&g).map(|f| (f, true)).ok_or(msg),
        Err(msg) => Err(msg),
    }
}

fn point_of(g: Geometry<f64>) -> std::result::Result<Point<f64>, String> {
    match g {
        Geometry::Point(p) => Ok(p),
        Geometry::MultiPoint(mp) if mp.0.len() == 1 => Ok(mp.0[0]),
        Geometry::Polygon(_) | Geometry::MultiPolygon(_) => g
            .interior_point()
            .ok_or_else(|| "polygon has no interior point".to_string()),
        other => Err(format!("expected a point, found a {}", type_name(&other))),
    }
}

fn type_name(g: &Geometry<f64>) -> &'static str {
    match g {
        Geometry::Point(_) => "Point",
        Geometry::LineString(_) | Geometry::Line(_) => "LineString",
        Geometry::Polygon(_) => "Polygon",
        Geometry::MultiPoint(_) => "MultiPoint",
        Geometry::MultiLineString(_) => "MultiLineString",
        Geometry::MultiPolygon(_) => "MultiPolygon",
        _ => "geometry collection",
    }
}

fn community(
    f: &RawFeature,
    m: &Mapping,
    key: String,
    g: Geometry<f64>,
) -> std::result::Result<Community, String> {
    let geometry = match g {
        Geometry::Polygon(p) => MultiPolygon(vec![p]),
        Geometry::MultiPolygon(mp) => mp,
        other => {
            return Err(format!(
                "a community must be a Polygon or MultiPolygon, found a {}",
                type_name(&other)
            ));
        }
    };
    Ok(Community {
        key,
        name: text(f, &m.name).unwrap_or_default(),
        street: text(f, &m.street),
        kind: "official".into(),
        geometry,
    })
}

fn count(
    f: &RawFeature,
    field: &Option<String>,
    what: &str,
) -> std::result::Result<Option<u32>, String> {
    match field.as_ref().and_then(|k| f.props.get(k)) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => Households::from_f64(*n)
            .map(|h| Some(h.get()))
            .map_err(|e| format!("{what}: {e}")),
        Some(v) => match v.as_text() {
            None => Ok(None),
            Some(t) => Households::parse(&t)
                .map(|h| Some(h.get()))
                .map_err(|e| format!("{what}: {e}")),
        },
    }
}

fn address(
    f: &RawFeature,
    m: &Mapping,
    key: String,
    g: Geometry<f64>,
    opts: &ImportOptions,
) -> std::result::Result<Option<AddressPoint>, String> {
    let location = point_of(g)?;
    let (households, estimated) = if m.households.is_some() {
        let h = count(f, &m.households, "households")?.ok_or("households is empty")?;
        (h, false)
    } else {
        let persons = match m.persons.as_ref().and_then(|k| f.props.get(k)) {
            Some(Value::Number(n)) => *n,
            Some(v) => v
                .as_text()
                .and_then(|t| t.parse::<f64>().ok())
                .ok_or("persons is empty or not a number")?,
            None => return Err("persons is empty".into()),
        };
        if !persons.is_finite() || persons < 0.0 {
            return Err(format!("persons {persons} is negative or not a number"));
        }
        ((persons / opts.persons_per_household).round() as u32, true)
    };
    if households == 0 && estimated {
        return Ok(None);
    }
    Ok(Some(AddressPoint {
        key,
        building: text(f, &m.building),
        households,
        households_estimated: estimated,
        units: count(f, &m.units, "units")?,
        floors: count(f, &m.floors, "floors")?,
        location,
    }))
}

fn facility(
    f: &RawFeature,
    m: &Mapping,
    key: String,
    g: Geometry<f64>,
    fixed: Option<&FacilityCategory>,
    opts: &ImportOptions,
) -> std::result::Result<Facility, String> {
    let location = point_of(g)?;
    let raw = text(f, &m.category).unwrap_or_default();
    let category = match fixed {
        Some(c) => c.clone(),
        None => {
            let mapped = opts
                .category_map
                .iter()
                .find(|(k, _)| *k == raw)
                .or_else(|| opts.category_map.iter().find(|(k, _)| k == "*"))
                .map(|(_, v)| v.as_str());
            match mapped {
                Some(code) => FacilityCategory::new(code).map_err(|e| e.to_string())?,
                None if raw.is_empty() => return Err("category is empty".into()),
                None => FacilityCategory::new(&raw).map_err(|_| {
                    format!("unknown category {raw:?}: map it with --category-map '{raw}=CODE'")
                })?,
            }
        }
    };
    Ok(Facility {
        key,
        category,
        name: text(f, &m.name),
        source_kind: raw,
        location,
    })
}

/// A component: its class by code, Chinese name or alias of the catalogue (or `--category`
/// for the whole file), status (empty: intact), owner, last inspection; a point or a line.
fn component(
    f: &RawFeature,
    m: &Mapping,
    key: String,
    g: Geometry<f64>,
    catalogue: &ComponentCatalogue,
    opts: &ImportOptions,
) -> std::result::Result<Component, String> {
    let geometry = match g {
        Geometry::Point(_) | Geometry::LineString(_) => g,
        Geometry::MultiPoint(mp) if mp.0.len() == 1 => Geometry::Point(mp.0[0]),
        Geometry::MultiLineString(ml) if ml.0.len() == 1 => {
            Geometry::LineString(ml.0.into_iter().next().unwrap_or(LineString(Vec::new())))
        }
        other => {
            return Err(format!(
                "a component is a point or a line, found a {}",
                type_name(&other)
            ));
        }
    };
    if let Geometry::LineString(l) = &geometry {
        let mut distinct = l.0.clone();
        distinct.dedup();
        if distinct.len() < 2 {
            return Err("a line component needs at least two distinct points".into());
        }
    }
    let raw = opts
        .category
        .clone()
        .or_else(|| text(f, &m.category))
        .unwrap_or_default();
    if raw.is_empty() {
        return Err("class is empty".into());
    }
    let class = catalogue.resolve(&raw).ok_or_else(|| {
        format!(
            "unknown component class {raw:?}: a code or name of data/components.toml \
             (for example 0102 or 污水井盖)"
        )
    })?;
    let status = ComponentStatus::parse(&text(f, &m.status).unwrap_or_default())
        .map_err(|e| e.to_string())?;
    let inspected = text(f, &m.inspected)
        .map(|t| {
            Timestamp::parse(&t, opts.utc_offset_s).map_err(|e| format!("last inspection: {e}"))
        })
        .transpose()?;
    Ok(Component {
        key,
        class: class.code.clone(),
        status,
        owner: text(f, &m.owner),
        inspected,
        name: text(f, &m.name),
        source_kind: raw,
        geometry,
    })
}

fn incident(
    f: &RawFeature,
    m: &Mapping,
    key: String,
    g: Geometry<f64>,
    opts: &ImportOptions,
) -> std::result::Result<Incident, String> {
    let location = point_of(g)?;
    let time_text = text(f, &m.time).ok_or("time is empty")?;
    let time = Timestamp::parse(&time_text, opts.utc_offset_s).map_err(|e| e.to_string())?;
    let given = text(f, &m.category).ok_or("category is empty")?;
    let mapped = opts
        .category_map
        .iter()
        .find(|(k, _)| *k == given)
        .or_else(|| opts.category_map.iter().find(|(k, _)| k == "*"))
        .map_or(given.as_str(), |(_, v)| v.as_str());
    let category = opts
        .taxonomy
        .resolve(mapped)
        .ok_or_else(|| {
            format!(
                "category {given:?} is not in the taxonomy ({}): add it as an alias in a --taxonomy file or map it with --category-map '{given}=CODE'",
                opts.taxonomy.codes().collect::<Vec<_>>().join(", ")
            )
        })?
        .code
        .clone();
    let source = match (opts.incident_source, text(f, &m.source)) {
        (Some(s), _) => s,
        (None, Some(t)) => IncidentSource::parse(&t).map_err(|e| e.to_string())?,
        (None, None) => IncidentSource::Other,
    };
    let status = match text(f, &m.status) {
        Some(t) => IncidentStatus::parse(&t).map_err(|e| e.to_string())?,
        None => IncidentStatus::Reported,
    };
    let mut i = Incident::reported(key, time, category, source, location);
    if i.category != given {
        i.raw_category = Some(given);
    }
    // A status given by the file: the steps up to it happened, at unknown times (left empty).
    i.status = status;
    i.component = text(f, &m.component);
    Ok(i)
}

/// Summary rows per layer for printing: (layer, count).
pub fn summary_rows(s: &ImportSummary) -> BTreeMap<&'static str, usize> {
    BTreeMap::from([
        ("communities", s.communities),
        ("buildings", s.buildings),
        ("address_points", s.address_points),
        ("facilities", s.facilities),
        ("streets", s.streets),
        ("incidents", s.incidents),
    ])
}

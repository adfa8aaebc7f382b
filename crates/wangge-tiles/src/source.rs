//! The workspace as tile layers: features read once from the GeoPackage, projected to Web
//! Mercator world coordinates and indexed by an R-tree per layer; a tile is cut from them on
//! demand. People data leaves only as aggregates: communities and grids carry household
//! totals, no layer carries an address point or any personal field.

use crate::mvt::clip::W;
use crate::mvt::zoomed::ZoomGeom;
use crate::mvt::{Clip, LayerBuilder, TileCoord, TileGeom, Value, encode_tile, world};
use geo_types::{Geometry, LineString, MultiPolygon, Polygon};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree, RTreeObject};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, OnceLock};
use wangge_core::Dataset;
use wangge_io::Store;

pub use crate::tiling::{BUFFER, EXTENT, MAX_ZOOM, MIN_ZOOM};

/// A layer's description for TileJSON `vector_layers`.
#[derive(Debug, Clone, PartialEq)]
pub struct LayerSpec {
    pub id: &'static str,
    pub description: &'static str,
    pub minzoom: u8,
    pub maxzoom: u8,
    /// (field, "String" | "Number" | "Boolean")
    pub fields: &'static [(&'static str, &'static str)],
}

/// Every layer, in drawing order.
pub const LAYERS: &[LayerSpec] = &[
    LayerSpec {
        id: "land_cover",
        description: "Basemap areas: water, green space and land use (class, OSM kind, name)",
        minzoom: 10,
        maxzoom: MAX_ZOOM,
        fields: &[("class", "String"), ("kind", "String"), ("name", "String")],
    },
    LayerSpec {
        id: "communities",
        description: "Communities (社区) with household totals",
        minzoom: 10,
        maxzoom: MAX_ZOOM,
        fields: &[
            ("code", "String"),
            ("name", "String"),
            ("households", "Number"),
            ("grids", "Number"),
        ],
    },
    LayerSpec {
        id: "streets",
        description: "Streets and paths by class (OpenStreetMap highway)",
        minzoom: 10,
        maxzoom: MAX_ZOOM,
        fields: &[("class", "String"), ("name", "String")],
    },
    LayerSpec {
        id: "buildings",
        description: "Building footprints with storeys and height for 3D extrusion",
        minzoom: 14,
        maxzoom: MAX_ZOOM,
        fields: &[
            ("key", "String"),
            ("kind", "String"),
            ("name", "String"),
            ("levels", "Number"),
            ("height_m", "Number"),
            ("height_estimated", "Boolean"),
            ("grid", "String"),
            ("grid_colour", "Number"),
        ],
    },
    LayerSpec {
        id: "grids",
        description: "Grids (网格) of the newest plan: households, fill of the cap, service workers",
        minzoom: 12,
        maxzoom: MAX_ZOOM,
        fields: &[
            ("code", "String"),
            ("community", "String"),
            ("households", "Number"),
            ("fill_pct", "Number"),
            ("workers", "Number"),
            ("plan", "Number"),
        ],
    },
    LayerSpec {
        id: "resident_groups",
        description: "Residents' groups (居民小组) of the newest plan",
        minzoom: 15,
        maxzoom: MAX_ZOOM,
        fields: &[
            ("code", "String"),
            ("grid", "String"),
            ("households", "Number"),
        ],
    },
    LayerSpec {
        id: "service_areas",
        description: "Walking service areas of the newest coverage run with areas (wangge coverage --areas)",
        minzoom: 12,
        maxzoom: MAX_ZOOM,
        fields: &[
            ("category", "String"),
            ("minutes", "Number"),
            ("facilities", "Number"),
        ],
    },
    LayerSpec {
        id: "gap_areas",
        description: "Areas of households out of walking reach (wangge gaps), per question; household counts only for areas of five or more address points",
        minzoom: 12,
        maxzoom: MAX_ZOOM,
        fields: &[
            ("what", "String"),
            ("rank", "Number"),
            ("community", "String"),
            ("households", "Number"),
            ("points", "Number"),
        ],
    },
    LayerSpec {
        id: "facilities",
        description: "Service facilities by category, with names for labels",
        minzoom: 13,
        maxzoom: MAX_ZOOM,
        fields: &[
            ("key", "String"),
            ("category", "String"),
            ("name", "String"),
        ],
    },
    LayerSpec {
        id: "components",
        description: "City components (部件): GB/T 30428.2 subclass and major class codes, status (intact, damaged, missing, occupied); no owner or personal data",
        minzoom: 15,
        maxzoom: MAX_ZOOM,
        fields: &[
            ("key", "String"),
            ("class", "String"),
            ("major", "String"),
            ("status", "String"),
        ],
    },
    LayerSpec {
        id: "community_labels",
        description: "One label point per community (a point inside its largest part), so a map labels each community once at every zoom",
        minzoom: 10,
        maxzoom: MAX_ZOOM,
        fields: &[
            ("code", "String"),
            ("name", "String"),
            ("households", "Number"),
        ],
    },
];

#[derive(Debug, Clone)]
enum Shape {
    Points(Vec<W>),
    Lines(Vec<Vec<W>>),
    Polygons(Vec<Vec<Vec<W>>>),
}

#[derive(Debug, Clone)]
struct Feature {
    id: u64,
    minzoom: u8,
    shape: Shape,
    props: Vec<(&'static str, Value)>,
}

type Entry = GeomWithData<Rectangle<[f64; 2]>, usize>;

/// A feature's geometry per served zoom (MIN_ZOOM..=MAX_ZOOM), prepared on first use.
type Zoomed = [OnceLock<ZoomGeom>; (MAX_ZOOM - MIN_ZOOM + 1) as usize];

#[derive(Debug)]
struct Layer {
    spec: &'static LayerSpec,
    features: Vec<Feature>,
    /// Per feature, its geometry prepared per zoom (projected and simplified once).
    zoomed: Vec<Zoomed>,
    index: RTree<Entry>,
}

/// What went wrong reading the workspace.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error(transparent)]
    Store(#[from] wangge_io::Error),
}

/// Tile layers of one workspace.
#[derive(Debug)]
pub struct TileSource {
    /// Shared with the source made after a plan change, which rebuilds only the plan's layers.
    layers: Vec<Arc<Layer>>,
    /// lon/lat bounds [west, south, east, north] of every feature.
    bounds: [f64; 4],
    /// Newest plan id (0 when none).
    plan: i64,
    /// What the layers were read from (see [`data_version`]): part of every ETag.
    version: String,
    /// Address key → index of its building in the buildings layer (for a building's grid
    /// after a plan change).
    building_of: Arc<HashMap<String, usize>>,
}

/// A short signature of what the tiles show: the newest plan, the newest stored service
/// areas, the gap areas and the newest import. It changes when any of them does (a server
/// re-reads then).
pub fn data_version(store: &dyn Store) -> Result<String, SourceError> {
    Ok(store.data_version()?)
}

fn ring(ls: &LineString<f64>) -> Vec<W> {
    ls.0.iter().map(|c| world(c.x, c.y)).collect()
}

fn polygon(p: &Polygon<f64>) -> Vec<Vec<W>> {
    std::iter::once(p.exterior())
        .chain(p.interiors())
        .map(ring)
        .collect()
}

fn multipolygon(m: &MultiPolygon<f64>) -> Vec<Vec<Vec<W>>> {
    m.0.iter().map(polygon).collect()
}

/// The zoom from which a street class shows.
pub fn street_minzoom(highway: &str) -> u8 {
    match highway.trim_end_matches("_link") {
        "motorway" | "trunk" | "primary" | "secondary" => 10,
        "tertiary" => 12,
        "residential" | "unclassified" | "living_street" | "pedestrian" | "road" => 13,
        _ => 14,
    }
}

/// The grids of `plan` with households, fill against the plan's cap and workers; adds each
/// grid's households to its community's total.
fn grid_features(
    store: &dyn Store,
    plan: i64,
    per_community: &mut HashMap<String, (u64, u32)>,
) -> Result<Vec<Feature>, SourceError> {
    let mut grid_features = Vec::new();
    for g in store.plan_grid_shapes(plan)? {
        let e = per_community.entry(g.community.clone()).or_default();
        e.0 += u64::from(g.households);
        e.1 += 1;
        grid_features.push((g.code, g.community, g.households, g.workers, g.polygon));
    }
    let cap = store
        .plans()?
        .into_iter()
        .find(|p| p.id == plan)
        .map_or(200, |p| p.cap);
    let mut out = Vec::new();
    for (i, (code, community, households, workers, p)) in grid_features.into_iter().enumerate() {
        out.push(Feature {
            id: i as u64 + 1,
            minzoom: 12,
            shape: Shape::Polygons(vec![polygon(&p)]),
            props: vec![
                ("code", code.into()),
                ("community", community.into()),
                ("households", households.into()),
                (
                    "fill_pct",
                    Value::Double(
                        (f64::from(households) * 1000.0 / f64::from(cap.max(1))).round() / 10.0,
                    ),
                ),
                ("workers", workers.into()),
                ("plan", Value::Int(plan)),
            ],
        });
    }
    Ok(out)
}

/// The residents' groups of `plan`.
fn group_features(store: &dyn Store, plan: i64) -> Result<Vec<Feature>, SourceError> {
    let mut out = Vec::new();
    for (n, g) in store.plan_group_shapes(plan)?.into_iter().enumerate() {
        out.push(Feature {
            id: n as u64 + 1,
            minzoom: 15,
            shape: Shape::Polygons(vec![polygon(&g.polygon)]),
            props: vec![
                ("code", g.code.into()),
                ("grid", g.grid.into()),
                ("households", g.households.into()),
            ],
        });
    }
    Ok(out)
}

/// Without a plan, community totals come straight from the address points.
fn households_without_plan(data: &Dataset, per_community: &mut HashMap<String, (u64, u32)>) {
    let idx = wangge_core::index::PolygonIndex::new(
        wangge_core::index::frame_for(data),
        data.communities.iter().map(|c| &c.geometry),
    );
    for a in &data.address_points {
        if let Some(c) = idx.first_containing(a.location) {
            per_community
                .entry(data.communities[c].key.clone())
                .or_default()
                .0 += u64::from(a.households);
        }
    }
}

/// Communities with their household totals and grid counts.
fn community_features(
    communities: &[wangge_core::Community],
    per_community: &HashMap<String, (u64, u32)>,
) -> Vec<Feature> {
    let mut out = Vec::new();
    for (i, c) in communities.iter().enumerate() {
        let (households, grids) = per_community.get(&c.key).copied().unwrap_or_default();
        out.push(Feature {
            id: i as u64 + 1,
            minzoom: 10,
            shape: Shape::Polygons(multipolygon(&c.geometry)),
            props: vec![
                ("code", c.key.clone().into()),
                ("name", c.name.clone().into()),
                ("households", Value::UInt(households)),
                ("grids", grids.into()),
            ],
        });
    }
    out
}

/// One label point per community: inside its largest part.
fn community_label_features(
    communities: &[wangge_core::Community],
    per_community: &HashMap<String, (u64, u32)>,
) -> Vec<Feature> {
    let mut out = Vec::new();
    for (i, c) in communities.iter().enumerate() {
        let largest =
            c.geometry.0.iter().max_by(|a, b| {
                geo::Area::unsigned_area(*a).total_cmp(&geo::Area::unsigned_area(*b))
            });
        let Some(at) = largest.and_then(geo::InteriorPoint::interior_point) else {
            continue;
        };
        let (households, _) = per_community.get(&c.key).copied().unwrap_or_default();
        out.push(Feature {
            id: i as u64 + 1,
            minzoom: 10,
            shape: Shape::Points(vec![world(at.x(), at.y())]),
            props: vec![
                ("code", c.key.clone().into()),
                ("name", c.name.clone().into()),
                ("households", Value::UInt(households)),
            ],
        });
    }
    out
}

/// Streets by class, each class from its own zoom.
fn street_features(data: &Dataset) -> Vec<Feature> {
    let mut out = Vec::new();
    for (i, s) in data.streets.iter().enumerate() {
        let mut props: Vec<(&'static str, Value)> = vec![("class", s.highway.clone().into())];
        push_name(&mut props, &s.name);
        out.push(Feature {
            id: i as u64 + 1,
            minzoom: street_minzoom(&s.highway),
            shape: Shape::Lines(vec![ring(&s.geometry)]),
            props,
        });
    }
    out
}

/// Buildings with key, kind, levels and height.
fn building_features(data: &Dataset, grids: &[Option<String>]) -> Vec<Feature> {
    let mut out = Vec::new();
    for (i, b) in data.buildings.iter().enumerate() {
        let mut props: Vec<(&'static str, Value)> = vec![
            ("key", b.key.clone().into()),
            ("kind", b.kind.clone().into()),
            ("levels", b.levels.into()),
            ("height_m", Value::Double(f64::from(b.levels) * 3.0)),
            // The height stands on the default storeys of the kind, not on given ones.
            ("height_estimated", Value::Bool(b.levels_given.is_none())),
        ];
        push_name(&mut props, &b.name);
        with_grid(&mut props, grids.get(i).and_then(Option::as_deref));
        out.push(Feature {
            id: i as u64 + 1,
            minzoom: 14,
            shape: Shape::Polygons(multipolygon(&b.geometry)),
            props,
        });
    }
    out
}

/// Properties of basemap layers that come from the plan (a building's grid): tiles for
/// callers without an aggregate role leave them out.
pub const PLAN_PROPS: [&str; 2] = ["grid", "grid_colour"];

/// A building's grid and a colour index (the grid's serial modulo 8, so neighbouring
/// serials differ) as properties.
fn with_grid(props: &mut Vec<(&'static str, Value)>, grid: Option<&str>) {
    props.retain(|(k, _)| *k != "grid" && *k != "grid_colour");
    if let Some(g) = grid {
        let serial: u64 = g
            .get(g.len().saturating_sub(3)..)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        props.push(("grid", g.to_string().into()));
        props.push(("grid_colour", Value::UInt(serial % 8)));
    }
}

/// Each building's grid in `plan` (by index of `data.buildings`): the grid holding most of
/// the households of its address points.
fn building_grids(
    store: &dyn Store,
    plan: Option<i64>,
    building_of: &HashMap<String, usize>,
    buildings: usize,
) -> Result<Vec<Option<String>>, SourceError> {
    let mut out = vec![None; buildings];
    let Some(plan) = plan else { return Ok(out) };
    let mut per: HashMap<usize, HashMap<String, u64>> = HashMap::new();
    for (key, grid, households) in store.plan_members(plan)? {
        if let Some(&b) = building_of.get(&key) {
            *per.entry(b).or_default().entry(grid).or_default() += u64::from(households);
        }
    }
    for (b, grids) in per {
        out[b] = grids
            .into_iter()
            .max_by(|x, y| x.1.cmp(&y.1).then(y.0.cmp(&x.0)))
            .map(|x| x.0);
    }
    Ok(out)
}

/// The service areas of the newest coverage run.
fn service_area_features(store: &dyn Store) -> Result<Vec<Feature>, SourceError> {
    let mut out = Vec::new();
    for (i, a) in store.latest_service_areas()?.into_iter().enumerate() {
        out.push(Feature {
            id: i as u64 + 1,
            minzoom: 12,
            shape: Shape::Polygons(multipolygon(&a.geometry)),
            props: vec![
                ("category", a.category.into()),
                ("minutes", a.minutes.into()),
                ("facilities", Value::UInt(a.facilities as u64)),
            ],
        });
    }
    Ok(out)
}

/// Gap areas; households only for gaps of at least five address points.
fn gap_area_features(store: &dyn Store) -> Result<Vec<Feature>, SourceError> {
    let mut out = Vec::new();
    for (i, g) in store.gap_areas()?.into_iter().enumerate() {
        let mut props: Vec<(&'static str, Value)> = vec![
            ("what", g.what.into()),
            ("rank", Value::UInt(g.rank as u64)),
            ("community", g.community.into()),
            ("points", Value::UInt(g.points as u64)),
        ];
        // A small gap's total would point at a few homes: only from five address points.
        if g.points >= 5 {
            props.push(("households", Value::UInt(g.households)));
        }
        out.push(Feature {
            id: i as u64 + 1,
            minzoom: 12,
            shape: Shape::Polygons(multipolygon(&g.geometry)),
            props,
        });
    }
    Ok(out)
}

/// Basemap areas: water and green from z10, other land use from z12.
fn land_cover_features(data: &Dataset) -> Vec<Feature> {
    let mut out = Vec::new();
    for (i, l) in data.land_cover.iter().enumerate() {
        let mut props: Vec<(&'static str, Value)> = vec![
            ("class", l.class.clone().into()),
            ("kind", l.kind.clone().into()),
        ];
        push_name(&mut props, &l.name);
        out.push(Feature {
            id: i as u64 + 1,
            // Land use other than water and green shows from z12.
            minzoom: if l.class == "landuse" { 12 } else { 10 },
            shape: Shape::Polygons(multipolygon(&l.geometry)),
            props,
        });
    }
    out
}

/// Facilities with key and category.
fn facility_features(data: &Dataset) -> Vec<Feature> {
    let mut out = Vec::new();
    for (i, f) in data.facilities.iter().enumerate() {
        let mut props: Vec<(&'static str, Value)> = vec![
            ("key", f.key.clone().into()),
            ("category", f.category.as_str().to_string().into()),
        ];
        push_name(&mut props, &f.name);
        out.push(Feature {
            id: i as u64 + 1,
            minzoom: 13,
            shape: Shape::Points(vec![world(f.location.x(), f.location.y())]),
            props,
        });
    }
    out
}

/// City components: points, or lines for linear ones.
fn component_features(data: &Dataset) -> Vec<Feature> {
    let mut out = Vec::new();
    for (i, c) in data.components.iter().enumerate() {
        let shape = match &c.geometry {
            Geometry::Point(p) => Shape::Points(vec![world(p.x(), p.y())]),
            Geometry::LineString(l) => Shape::Lines(vec![ring(l)]),
            _ => continue,
        };
        out.push(Feature {
            id: i as u64 + 1,
            minzoom: 15,
            shape,
            props: vec![
                ("key", c.key.clone().into()),
                ("class", c.class.clone().into()),
                (
                    "major",
                    c.class.get(..2).unwrap_or_default().to_string().into(),
                ),
                ("status", c.status.as_str().to_string().into()),
            ],
        });
    }
    out
}

/// Every layer of `LAYERS` with an R-tree of its features' boxes, and the lon/lat bounds of
/// all features.
fn index_layers(mut by_id: BTreeMap<&'static str, Vec<Feature>>) -> (Vec<Layer>, [f64; 4]) {
    let mut bounds = [f64::MAX, f64::MAX, f64::MIN, f64::MIN];
    let layers: Vec<Layer> = LAYERS
        .iter()
        .map(|spec| {
            let features = by_id.remove(spec.id).unwrap_or_default();
            let entries: Vec<Entry> = features
                .iter()
                .enumerate()
                .filter_map(|(i, f)| {
                    let b = bbox(&f.shape)?;
                    Some(GeomWithData::new(
                        Rectangle::from_corners([b[0], b[1]], [b[2], b[3]]),
                        i,
                    ))
                })
                .collect();
            for e in &entries {
                let env = e.geom().envelope();
                bounds = [
                    bounds[0].min(env.lower()[0]),
                    bounds[1].min(env.lower()[1]),
                    bounds[2].max(env.upper()[0]),
                    bounds[3].max(env.upper()[1]),
                ];
            }
            Layer {
                spec,
                zoomed: features
                    .iter()
                    .map(|_| std::array::from_fn(|_| OnceLock::new()))
                    .collect(),
                features,
                index: RTree::bulk_load(entries),
            }
        })
        .collect();
    let bounds = if bounds[0] <= bounds[2] {
        let sw = crate::mvt::tile::lon_lat([bounds[0], bounds[3]]);
        let ne = crate::mvt::tile::lon_lat([bounds[2], bounds[1]]);
        [sw[0], sw[1], ne[0], ne[1]]
    } else {
        [-180.0, -85.0, 180.0, 85.0]
    };
    (layers, bounds)
}

impl TileSource {
    /// Reads every layer of the workspace (the newest plan for grids and groups).
    pub fn from_store(store: &dyn Store) -> Result<Self, SourceError> {
        let data = store.load_places()?;
        let plan = store.latest_plan()?;
        // Household totals per community come from the grids of the newest plan, else
        // straight from the address points.
        let mut per_community: HashMap<String, (u64, u32)> = HashMap::new();
        let mut by_id: BTreeMap<&'static str, Vec<Feature>> = BTreeMap::new();
        if let Some(plan) = plan {
            by_id.insert("grids", grid_features(store, plan, &mut per_community)?);
            by_id.insert("resident_groups", group_features(store, plan)?);
        } else {
            households_without_plan(&data, &mut per_community);
        }
        // The communities of record: a plan's community level when it has one.
        let communities = wangge_io::store::communities_of_record(store)?;
        by_id.insert(
            "communities",
            community_features(&communities, &per_community),
        );
        by_id.insert(
            "community_labels",
            community_label_features(&communities, &per_community),
        );
        by_id.insert("streets", street_features(&data));
        let building_of: HashMap<String, usize> = {
            let index: HashMap<&str, usize> = data
                .buildings
                .iter()
                .enumerate()
                .map(|(i, b)| (b.key.as_str(), i))
                .collect();
            data.address_points
                .iter()
                .filter_map(|a| Some((a.key.clone(), *index.get(a.building.as_deref()?)?)))
                .collect()
        };
        let grids = building_grids(store, plan, &building_of, data.buildings.len())?;
        by_id.insert("buildings", building_features(&data, &grids));
        by_id.insert("service_areas", service_area_features(store)?);
        by_id.insert("gap_areas", gap_area_features(store)?);
        by_id.insert("land_cover", land_cover_features(&data));
        by_id.insert("facilities", facility_features(&data));
        by_id.insert("components", component_features(&data));
        let (layers, bounds) = index_layers(by_id);
        Ok(Self {
            layers: layers.into_iter().map(Arc::new).collect(),
            bounds,
            plan: plan.unwrap_or(0),
            version: data_version(store)?,
            building_of: Arc::new(building_of),
        })
    }

    /// lon/lat bounds [west, south, east, north].
    pub fn bounds(&self) -> [f64; 4] {
        self.bounds
    }

    /// The newest plan's id (0 when there is none).
    pub fn plan(&self) -> i64 {
        self.plan
    }

    /// Whether a store at `version` differs from this source only by its newest plan (an
    /// edit, a restore, a re-partition): then [`TileSource::with_new_plan`] will do.
    pub fn only_plan_differs(&self, version: &str) -> bool {
        let rest = |v: &str| {
            v.strip_prefix('p').map(|r| {
                r.trim_start_matches(|c: char| c.is_ascii_digit())
                    .to_string()
            })
        };
        rest(&self.version).is_some_and(|a| Some(a) == rest(version))
    }

    /// This source after a plan change: the grids, residents' groups, communities and their
    /// label points (household totals) read again, the buildings' grids set anew (their
    /// geometry prepared again on use); every other layer, with the geometry it has prepared
    /// per zoom, shared as it is. Without a plan now, a full read.
    pub fn with_new_plan(&self, store: &dyn Store) -> Result<Self, SourceError> {
        let Some(plan) = store.latest_plan()? else {
            return Self::from_store(store);
        };
        let communities = wangge_io::store::communities_of_record(store)?;
        let mut per_community: HashMap<String, (u64, u32)> = HashMap::new();
        let mut by_id: BTreeMap<&'static str, Vec<Feature>> = BTreeMap::new();
        by_id.insert("grids", grid_features(store, plan, &mut per_community)?);
        by_id.insert("resident_groups", group_features(store, plan)?);
        by_id.insert(
            "communities",
            community_features(&communities, &per_community),
        );
        by_id.insert(
            "community_labels",
            community_label_features(&communities, &per_community),
        );
        // Buildings keep their geometry; their grid (and its colour) follows the plan.
        if let Some(old) = self.layers.iter().find(|l| l.spec.id == "buildings") {
            let grids = building_grids(store, Some(plan), &self.building_of, old.features.len())?;
            let features = old
                .features
                .iter()
                .zip(&grids)
                .map(|(f, g)| {
                    let mut f = f.clone();
                    with_grid(&mut f.props, g.as_deref());
                    f
                })
                .collect();
            by_id.insert("buildings", features);
        }
        let (fresh, _) = index_layers(by_id);
        let layers = fresh
            .into_iter()
            .zip(&self.layers)
            .map(|(new, old)| {
                if matches!(
                    new.spec.id,
                    "grids" | "resident_groups" | "communities" | "community_labels" | "buildings"
                ) {
                    Arc::new(new)
                } else {
                    old.clone()
                }
            })
            .collect();
        Ok(Self {
            layers,
            bounds: self.bounds,
            plan,
            version: data_version(store)?,
            building_of: self.building_of.clone(),
        })
    }

    /// The [`data_version`] the layers were read at.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// Layer names with features.
    pub fn layer_names(&self) -> Vec<&'static str> {
        self.layers
            .iter()
            .filter(|l| !l.features.is_empty())
            .map(|l| l.spec.id)
            .collect()
    }

    /// Encodes one tile of the chosen layers (all when `only` is empty); an empty tile has
    /// no bytes.
    pub fn tile(&self, coord: TileCoord, only: &[&str]) -> Vec<u8> {
        self.tile_without(coord, only, &[])
    }

    /// A tile without the properties named in `strip` (the basemap as anyone may read it:
    /// buildings without their grid, [`PLAN_PROPS`]).
    pub fn tile_without(&self, coord: TileCoord, only: &[&str], strip: &[&str]) -> Vec<u8> {
        let z = coord.z();
        let (clip, t, env) = tile_frame(coord);
        let mut out = Vec::new();
        for layer in &self.layers {
            if (!only.is_empty() && !only.contains(&layer.spec.id))
                || z < layer.spec.minzoom
                || z > layer.spec.maxzoom
            {
                continue;
            }
            let mut b = LayerBuilder::new(layer.spec.id, EXTENT);
            for i in layer.hits(&env) {
                let f = &layer.features[i];
                if z < f.minzoom {
                    continue;
                }
                let kept: Vec<(&'static str, Value)>;
                let props = if strip.is_empty() {
                    &f.props
                } else {
                    kept = f
                        .props
                        .iter()
                        .filter(|(k, _)| !strip.contains(k))
                        .cloned()
                        .collect();
                    &kept
                };
                let zoomed = layer.at_zoom(i, z, &clip, &t);
                // Most buildings: one ring the tile holds whole, written straight out.
                if let Some((ring, o)) = zoomed.and_then(|g| g.held_ring(&clip, t.origin())) {
                    b.add_ring(
                        Some(f.id),
                        ring.iter()
                            .map(|p| [(p[0] - o[0]) as i32, (p[1] - o[1]) as i32]),
                        props,
                    );
                    continue;
                }
                let g: Option<TileGeom> = match zoomed {
                    Some(ZoomGeom::Points(p)) => clip.zoom_points(t.origin(), p),
                    Some(ZoomGeom::Lines(l)) => clip.zoom_lines(t.origin(), l),
                    Some(ZoomGeom::Polygons(p)) => clip.zoom_polygons(t.origin(), p),
                    None => match &f.shape {
                        Shape::Points(p) => clip.points(&t, p),
                        Shape::Lines(l) => clip.lines(&t, l),
                        Shape::Polygons(p) => clip.polygons(&t, p),
                    },
                };
                if let Some(g) = g {
                    b.add(Some(f.id), &g, props);
                }
            }
            out.push(b);
        }
        encode_tile(&out)
    }

    /// A tile of incident counts over the grids or communities (`of`: "grids" or
    /// "communities") as layer `name`: each area's code, households, count (left out below
    /// `min_count`, with `suppressed` set) and incidents per 100 households.
    pub fn count_tile(
        &self,
        coord: TileCoord,
        of: &str,
        name: &str,
        count: &dyn Fn(&str) -> u32,
        min_count: u32,
    ) -> Vec<u8> {
        let Some(layer) = self.layers.iter().find(|l| l.spec.id == of) else {
            return Vec::new();
        };
        let (clip, t, env) = tile_frame(coord);
        let mut b = LayerBuilder::new(name, EXTENT);
        for i in layer.hits(&env) {
            let f = &layer.features[i];
            let prop = |k: &str| f.props.iter().find(|(n, _)| *n == k).map(|p| &p.1);
            let Some(Value::String(code)) = prop("code") else {
                continue;
            };
            let households = match prop("households") {
                Some(Value::UInt(v)) => *v as f64,
                Some(Value::Int(v)) => *v as f64,
                Some(Value::Double(v)) => *v,
                _ => 0.0,
            };
            let Shape::Polygons(p) = &f.shape else {
                continue;
            };
            let Some(g) = clip.polygons(&t, p) else {
                continue;
            };
            let n = count(code);
            let mut props: Vec<(&str, Value)> = vec![
                ("code", code.clone().into()),
                ("households", households.into()),
            ];
            // Fewer than `min_count`, none included, look alike (`count_below`, no number):
            // an empty area does not tell its neighbours' 1 or 2 apart.
            let min = min_count.max(1);
            if n >= min {
                props.push(("count", f64::from(n).into()));
                if households >= crate::privacy::MIN_HOUSEHOLDS {
                    props.push((
                        "per_100_households",
                        ((f64::from(n) * 100.0 / households * 100.0).round() / 100.0).into(),
                    ));
                }
            } else {
                props.push(("count_below", f64::from(min).into()));
            }
            b.add(Some(f.id), &g, &props);
        }
        encode_tile(&[b])
    }

    /// Every tile address from `minzoom` to `maxzoom` that meets the data.
    pub fn tiles(&self, minzoom: u8, maxzoom: u8) -> Vec<TileCoord> {
        let w0 = world(self.bounds[0], self.bounds[3]);
        let w1 = world(self.bounds[2], self.bounds[1]);
        (minzoom..=maxzoom)
            .flat_map(|z| TileCoord::covering(z, [w0[0], w0[1], w1[0], w1[1]]))
            .collect()
    }
}

/// A tile's clipping rules (simplification by zoom), pixel transform and world envelope with
/// the buffer.
fn tile_frame(coord: TileCoord) -> (Clip, crate::mvt::Transform, AABB<[f64; 2]>) {
    let clip = Clip {
        extent: EXTENT,
        buffer: BUFFER,
        tolerance_px: if coord.z() >= MAX_ZOOM { 0.5 } else { 1.0 },
    };
    let wb = coord.world_bounds(EXTENT, BUFFER);
    let env = AABB::from_corners([wb[0], wb[1]], [wb[2], wb[3]]);
    (clip, coord.transform(EXTENT), env)
}

impl Layer {
    /// Feature `i`'s geometry prepared for zoom `z` (once, then kept), or none outside the
    /// served zooms.
    fn at_zoom(
        &self,
        i: usize,
        z: u8,
        clip: &Clip,
        t: &crate::mvt::Transform,
    ) -> Option<&ZoomGeom> {
        let k = usize::from(z.checked_sub(MIN_ZOOM)?);
        let slot = self.zoomed.get(i)?.get(k)?;
        Some(slot.get_or_init(|| match &self.features[i].shape {
            Shape::Points(p) => ZoomGeom::points(p, t.scale()),
            Shape::Lines(l) => ZoomGeom::lines(l, t.scale(), clip.tolerance_px),
            Shape::Polygons(p) => ZoomGeom::polygons(p, t.scale(), clip.tolerance_px),
        }))
    }

    /// Features whose boxes meet an envelope, in feature order.
    fn hits(&self, env: &AABB<[f64; 2]>) -> Vec<usize> {
        let mut hits: Vec<usize> = self
            .index
            .locate_in_envelope_intersecting(env)
            .map(|e| e.data)
            .collect();
        hits.sort_unstable();
        hits
    }
}

/// Adds a `name` property when there is one.
fn push_name(props: &mut Vec<(&'static str, Value)>, name: &Option<String>) {
    if let Some(n) = name {
        props.push(("name", n.clone().into()));
    }
}

fn bbox(s: &Shape) -> Option<[f64; 4]> {
    let pts: Box<dyn Iterator<Item = &W>> = match s {
        Shape::Points(p) => Box::new(p.iter()),
        Shape::Lines(l) => Box::new(l.iter().flatten()),
        Shape::Polygons(p) => Box::new(p.iter().filter_map(|r| r.first()).flatten()),
    };
    let b = crate::mvt::clip::bbox(pts.copied());
    (b[0] <= b[2] && b.iter().all(|v| v.is_finite())).then_some(b)
}

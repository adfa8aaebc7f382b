//! Turns OSM elements into the domain model.

use super::boundaries::{self, BoundaryReport, Candidate, OsmBoundaries};
use super::rings::{close_rings, multipolygon};
use super::{MemberKind, OsmData, Tags, tag};
use geo::{Area, Euclidean, InteriorPoint, Length};
use geo_types::{Coord, Geometry, LineString, MultiPolygon, Point, Polygon};
use std::collections::{BTreeMap, HashMap};
use wangge_core::households::{EstimateParams, estimate};
use wangge_core::index::PolygonIndex;
use wangge_core::{
    AddressPoint, Building, Component, ComponentCatalogue, ComponentStatus, Dataset, Facility,
    FacilityCategory, LandCover, LocalFrame, Street,
};

/// What an OSM import skipped, for the summary.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OsmReport {
    /// Ways cut by the extract boundary (nodes missing).
    pub ways_with_missing_nodes: usize,
    /// Multipolygons whose members are not all in the extract, or whose rings are invalid.
    pub incomplete_multipolygons: usize,
    /// Closed building ways whose footprint is not a valid polygon.
    pub invalid_footprints: usize,
    /// How admin boundaries and residential land use became streets and communities.
    pub boundaries: BoundaryReport,
}

fn coords(data: &OsmData, refs: &[i64]) -> Option<Vec<Coord<f64>>> {
    refs.iter()
        .map(|r| data.nodes.get(r).map(|&(x, y)| Coord { x, y }))
        .collect()
}

fn is_area_tagged(tags: &Tags) -> bool {
    tag(tags, "building").is_some_and(|v| v != "no")
        || tag(tags, "landuse").is_some()
        || tag(tags, "leisure").is_some()
        || tag(tags, "amenity").is_some()
        || tag(tags, "shop").is_some()
        || tag(tags, "healthcare").is_some()
        || tag(tags, "boundary").is_some()
        || tag(tags, "natural").is_some()
        || tag(tags, "waterway").is_some()
}

/// A polygonal OSM object (closed way or multipolygon relation).
struct Area_ {
    key: String,
    tags: Tags,
    geometry: MultiPolygon<f64>,
    /// The way's node refs (for entrance lookup); empty for relations.
    refs: Vec<i64>,
}

/// Assembles the dataset: areas from closed ways and multipolygons, then communities and
/// streets (boundaries), land cover, buildings with their address points, facilities and
/// streets, in that order.
pub fn assemble(
    data: &OsmData,
    params: &EstimateParams,
    rules: &OsmBoundaries,
    catalogue: &ComponentCatalogue,
) -> (Dataset, OsmReport) {
    let mut report = OsmReport::default();
    let mut out = Dataset::default();
    let areas = areas(data, &mut report);
    let frame = node_frame(data);
    let residential_index = boundaries_of(&areas, frame, rules, &mut out, &mut report);
    land_cover(&areas, &mut out);
    buildings(data, &areas, params, frame, &residential_index, &mut out);
    facilities(data, &areas, &mut out);
    components(data, catalogue, &mut out);
    streets(data, &mut out, &mut report);
    (out, report)
}

/// Areas from closed ways and multipolygon relations; invalid footprints and incomplete
/// multipolygons are counted in the report.
fn areas(data: &OsmData, report: &mut OsmReport) -> Vec<Area_> {
    let ways_by_id: HashMap<i64, usize> = data
        .ways
        .iter()
        .enumerate()
        .map(|(i, w)| (w.id, i))
        .collect();
    let mut areas: Vec<Area_> = Vec::new();
    for w in &data.ways {
        let closed = w.refs.len() >= 4 && w.refs.first() == w.refs.last();
        if !closed
            || !is_area_tagged(&w.tags)
            || tag(&w.tags, "highway").is_some() && tag(&w.tags, "area") != Some("yes")
        {
            continue;
        }
        let Some(ring) = coords(data, &w.refs) else {
            report.ways_with_missing_nodes += 1;
            continue;
        };
        let poly = MultiPolygon(vec![Polygon::new(LineString(ring), vec![])]);
        if !crate::validity::is_valid(&poly) {
            if tag(&w.tags, "building").is_some() {
                report.invalid_footprints += 1;
            }
            continue;
        }
        areas.push(Area_ {
            key: format!("osm:w{}", w.id),
            tags: w.tags.clone(),
            geometry: poly,
            refs: w.refs.clone(),
        });
    }
    for r in &data.relations {
        let kind = tag(&r.tags, "type");
        if !matches!(kind, Some("multipolygon") | Some("boundary")) || !is_area_tagged(&r.tags) {
            continue;
        }
        let mut outer = Vec::new();
        let mut inner = Vec::new();
        let mut complete = true;
        for m in r.members.iter().filter(|m| m.kind == MemberKind::Way) {
            let Some(w) = ways_by_id.get(&m.id).map(|&i| &data.ways[i]) else {
                complete = false;
                break;
            };
            let Some(c) = coords(data, &w.refs) else {
                complete = false;
                break;
            };
            if m.role == "inner" {
                inner.push(c)
            } else {
                outer.push(c)
            }
        }
        let mp = complete
            .then(|| Some((close_rings(outer)?, close_rings(inner)?)))
            .flatten()
            .and_then(|(o, i)| multipolygon(o, i));
        match mp {
            Some(geometry) => areas.push(Area_ {
                key: format!("osm:r{}", r.id),
                tags: r.tags.clone(),
                geometry,
                refs: vec![],
            }),
            None => report.incomplete_multipolygons += 1,
        }
    }

    areas
}

/// A local frame centred on the nodes' extent.
fn node_frame(data: &OsmData) -> LocalFrame {
    let (mut minx, mut miny, mut maxx, mut maxy) = (
        f64::INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NEG_INFINITY,
    );
    for &(x, y) in data.nodes.values() {
        minx = minx.min(x);
        miny = miny.min(y);
        maxx = maxx.max(x);
        maxy = maxy.max(y);
    }
    LocalFrame::new((minx + maxx) / 2.0, (miny + maxy) / 2.0)
}

/// Boundaries: admin levels and residential land use, mapped onto streets and communities;
/// returns the residential land use, indexed (household estimates look at it).
fn boundaries_of(
    areas: &[Area_],
    frame: LocalFrame,
    rules: &OsmBoundaries,
    out: &mut Dataset,
    report: &mut OsmReport,
) -> PolygonIndex {
    let mut residential: Vec<MultiPolygon<f64>> = Vec::new();
    let mut candidates = Vec::new();
    for a in areas {
        let admin_level = tag(&a.tags, "admin_level").and_then(|l| l.parse::<u32>().ok());
        let admin = if tag(&a.tags, "landuse") == Some("residential") {
            residential.push(a.geometry.clone());
            None
        } else if tag(&a.tags, "boundary") == Some("administrative") && admin_level.is_some() {
            admin_level
        } else {
            continue;
        };
        candidates.push(Candidate {
            key: a.key.clone(),
            name: tag(&a.tags, "name").unwrap_or("").to_string(),
            admin_level: admin,
            geometry: a.geometry.clone(),
        });
    }
    let (communities, boundary_report) = boundaries::communities(candidates, rules);
    out.communities = communities;
    report.boundaries = boundary_report;
    PolygonIndex::new(frame, &residential)
}

/// Basemap areas: water, green space, other land use (buildings are not land cover).
fn land_cover(areas: &[Area_], out: &mut Dataset) {
    for a in areas {
        if tag(&a.tags, "building").is_some() {
            continue;
        }
        if let Some((class, kind)) = LandCover::classify(|k| tag(&a.tags, k)) {
            out.land_cover.push(LandCover {
                key: a.key.clone(),
                class: class.to_string(),
                kind: kind.to_string(),
                name: tag(&a.tags, "name").map(str::to_string),
                geometry: a.geometry.clone(),
            });
        }
    }
}

/// Buildings with household estimates, and their address points: one per entrance node
/// (`entrance=*`, households shared out), or one inside a building without entrances.
fn buildings(
    data: &OsmData,
    areas: &[Area_],
    params: &EstimateParams,
    frame: LocalFrame,
    residential_index: &PolygonIndex,
    out: &mut Dataset,
) {
    let entrances: HashMap<i64, &Tags> = data
        .tagged_nodes
        .iter()
        .filter(|(_, t)| tag(t, "entrance").is_some_and(|v| v != "no"))
        .map(|(id, t)| (*id, t))
        .collect();

    // Buildings with household estimates, and their address points.
    for a in areas
        .iter()
        .filter(|a| tag(&a.tags, "building").is_some_and(|v| v != "no"))
    {
        let local = frame.project(&a.geometry);
        let footprint_m2 = local.unsigned_area();
        let perimeter: f64 = local.0.iter().map(|p| Euclidean.length(p.exterior())).sum();
        let compactness = if perimeter > 0.0 {
            4.0 * std::f64::consts::PI * footprint_m2 / (perimeter * perimeter)
        } else {
            0.0
        };
        let kind = tag(&a.tags, "building").unwrap_or("yes").to_string();
        let levels_given = tag(&a.tags, "building:levels")
            .and_then(|l| wangge_core::Levels::parse(l).ok())
            .map(|l| l.get());
        let inside_residential = a
            .geometry
            .interior_point()
            .is_some_and(|p| residential_index.first_containing(p).is_some());
        let est = estimate(
            params,
            &kind,
            levels_given,
            footprint_m2,
            compactness,
            inside_residential,
        );
        out.buildings.push(Building {
            key: a.key.clone(),
            kind,
            name: tag(&a.tags, "name").map(str::to_string),
            levels_given,
            levels: est.levels,
            footprint_m2,
            households: est.households,
            households_estimated: true,
            geometry: a.geometry.clone(),
        });
        if est.households == 0 {
            continue;
        }
        let doors: Vec<(i64, Point<f64>)> = a
            .refs
            .iter()
            .filter(|r| entrances.contains_key(r))
            .filter_map(|r| data.nodes.get(r).map(|&(x, y)| (*r, Point::new(x, y))))
            .collect::<BTreeMap<_, _>>()
            .into_iter()
            .collect();
        if doors.is_empty() {
            if let Some(p) = a.geometry.interior_point() {
                out.address_points.push(AddressPoint {
                    key: format!("{}/a", a.key),
                    building: Some(a.key.clone()),
                    households: est.households,
                    households_estimated: true,
                    units: None,
                    floors: Some(est.levels),
                    location: p,
                });
            }
        } else {
            let n = doors.len() as u32;
            for (i, (id, p)) in doors.into_iter().enumerate() {
                let share = est.households / n + u32::from((i as u32) < est.households % n);
                out.address_points.push(AddressPoint {
                    key: format!("osm:n{id}"),
                    building: Some(a.key.clone()),
                    households: share,
                    households_estimated: true,
                    units: Some(1),
                    floors: Some(est.levels),
                    location: p,
                });
            }
        }
    }
}

/// Facilities from tagged nodes and areas.
fn facilities(data: &OsmData, areas: &[Area_], out: &mut Dataset) {
    for (id, tags) in &data.tagged_nodes {
        if let Some(category) = FacilityCategory::from_osm(|k| tag(tags, k)) {
            let &(x, y) = &data.nodes[id];
            out.facilities.push(facility(
                format!("osm:n{id}"),
                category,
                tags,
                Point::new(x, y),
            ));
        }
    }
    for a in areas {
        if let (Some(category), Some(p)) = (
            FacilityCategory::from_osm(|k| tag(&a.tags, k)),
            a.geometry.interior_point(),
        ) {
            out.facilities
                .push(facility(a.key.clone(), category, &a.tags, p));
        }
    }
}

/// The OSM tags a component came from, as its source kind (`man_made=manhole manhole=sewer`).
fn osm_kind(tags: &Tags, keys: &[&str]) -> String {
    keys.iter()
        .filter_map(|k| tag(tags, k).map(|v| format!("{k}={v}")))
        .collect::<Vec<_>>()
        .join(" ")
}

/// City components from tagged nodes (points) and open ways (lines) the catalogue's OSM rules
/// name: street lamps, bins, hydrants, benches, manholes, traffic signals, bus shelters.
fn components(data: &OsmData, catalogue: &ComponentCatalogue, out: &mut Dataset) {
    let keys = catalogue.osm_keys();
    let component = |key: String, tags: &Tags, geometry: Geometry<f64>| {
        let class = catalogue.from_osm(&|k| tag(tags, k).map(str::to_string))?;
        Some(Component {
            key,
            class: class.code.clone(),
            status: ComponentStatus::Intact,
            owner: tag(tags, "operator").map(str::to_string),
            inspected: None,
            name: tag(tags, "name").map(str::to_string),
            source_kind: osm_kind(tags, &keys),
            geometry,
        })
    };
    for (id, tags) in &data.tagged_nodes {
        let &(x, y) = &data.nodes[id];
        if let Some(c) = component(format!("osm:n{id}"), tags, Point::new(x, y).into()) {
            out.components.push(c);
        }
    }
    for w in &data.ways {
        // Closed ways are areas (a toilet building is a facility's business).
        if w.refs.len() < 2 || w.refs.first() == w.refs.last() {
            continue;
        }
        if let Some(line) = coords(data, &w.refs)
            && let Some(c) = component(format!("osm:w{}", w.id), &w.tags, LineString(line).into())
        {
            out.components.push(c);
        }
    }
}

/// Streets: every way with a `highway` tag but those not (yet, any longer) built.
fn streets(data: &OsmData, out: &mut Dataset, report: &mut OsmReport) {
    for w in &data.ways {
        let Some(highway) = tag(&w.tags, "highway") else {
            continue;
        };
        if matches!(
            highway,
            "proposed" | "construction" | "abandoned" | "razed" | "platform"
        ) || w.refs.len() < 2
        {
            continue;
        }
        let Some(line) = coords(data, &w.refs) else {
            report.ways_with_missing_nodes += 1;
            continue;
        };
        out.streets.push(Street {
            key: format!("osm:w{}", w.id),
            highway: highway.to_string(),
            name: tag(&w.tags, "name").map(str::to_string),
            tags: w.tags.iter().cloned().collect(),
            geometry: LineString(line),
        });
    }
}

fn facility(
    key: String,
    category: FacilityCategory,
    tags: &Tags,
    location: Point<f64>,
) -> Facility {
    let source_kind = ["amenity", "healthcare", "shop", "leisure"]
        .iter()
        .find_map(|k| tag(tags, k).map(|v| format!("{k}={v}")))
        .unwrap_or_default();
    Facility {
        key,
        category,
        name: tag(tags, "name").map(str::to_string),
        source_kind,
        location,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::osm::Way;

    /// Node ids with (lon, lat).
    type Nodes = Vec<(i64, (f64, f64))>;

    fn closed_way(id: i64, first_node: i64, tags: &[(&str, &str)]) -> (Nodes, Way) {
        let (x, y) = (118.78 + id as f64 * 0.001, 32.05);
        let nodes = vec![
            (first_node, (x, y)),
            (first_node + 1, (x + 0.0003, y)),
            (first_node + 2, (x + 0.0003, y + 0.0002)),
            (first_node + 3, (x, y + 0.0002)),
        ];
        let way = Way {
            id,
            refs: vec![
                first_node,
                first_node + 1,
                first_node + 2,
                first_node + 3,
                first_node,
            ],
            tags: tags
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        };
        (nodes, way)
    }

    #[test]
    fn shops_and_healthcare_mapped_as_areas_without_building_are_facilities() {
        let mut data = OsmData::default();
        for (id, tags) in [
            (1, &[("shop", "supermarket"), ("name", "苏果超市")][..]),
            (
                2,
                &[("healthcare", "clinic"), ("name", "社区卫生服务站")][..],
            ),
            (3, &[("amenity", "pharmacy")][..]),
        ] {
            let (nodes, way) = closed_way(id, id * 10, tags);
            data.nodes.extend(nodes);
            data.ways.push(way);
        }
        let (d, _) = assemble(
            &data,
            &EstimateParams::default(),
            &OsmBoundaries::default(),
            &ComponentCatalogue::builtin(),
        );
        let mut cats: Vec<&str> = d.facilities.iter().map(|f| f.category.as_str()).collect();
        cats.sort_unstable();
        assert_eq!(cats, ["health_station", "pharmacy", "supermarket"]);
    }
}

//! One community's run, as a pipeline of named steps: units, cells and the unit graph
//! (`Partitioner::prepare`) → grids named by the caller → initial split → repair of the named
//! grids → codes → polygons → results, metrics and checks.

use super::bisect::{self, Graph};
use super::clean;
use super::contract;
use super::metrics::{self, Metrics};
use super::plan::{
    BALANCE, CommunityInput, CommunityPlan, GridResult, ON_EDGE_M, PartitionError, Partitioner,
    Prepared, STITCH_M, arterial_room, take_named,
};
use super::polygons;
use super::repair;
use super::seams;
use super::slivers;
use super::street_figures;
use super::violation::{Violation, ViolationKind as V};
use geo::{Area, BooleanOps, BoundingRect, InteriorPoint, Intersects, Validation};
use geo_types::{Coord, MultiPolygon, Polygon};
use std::collections::{BTreeMap, HashMap, HashSet};

impl Partitioner {
    /// Partitions one community.
    pub fn run(&self, input: &CommunityInput) -> Result<CommunityPlan, PartitionError> {
        let p = self.prepare(input)?;
        let mut named = NamedGrids::take(input, &p);
        let (mut grids, proven_minimal) = self.initial_split(input.split_free, &p, &named.free);
        if !named.previous.is_empty() {
            self.repair_named(&mut grids, &mut named, &p);
        }
        let numbered = number(&p, grids, named);
        let mut shapes = grid_polygons(&p, &numbered);
        let mut violations = std::mem::take(&mut shapes.violations);
        let (results, mut m) = self.grid_results(input, &p, &numbered, &shapes, &mut violations);
        m.proven_minimal = usize::from(proven_minimal);
        let spans = street_measures(&p, &shapes, &mut m);
        check_tiling(&p, &numbered.codes, &shapes, &mut violations);
        check_placement(input, &results, &mut violations);
        let street_notes = street_figures::notes(&street_figures::Reasons {
            figures: &m,
            codes: &numbered.codes,
            spans: &spans,
            grids: &numbered.grids,
            adj: &p.adj,
            households: &p.households,
            block: &p.block,
            cap: self.cap(),
            room: arterial_room(p.lb),
        });
        Ok(CommunityPlan {
            code: p.code,
            grids: results,
            splits: p.u.splits,
            violations,
            exceptions: shapes.exceptions,
            street_notes,
            metrics: m,
        })
    }

    /// The initial split of the free units: the search (restarts, then the exact search on
    /// small communities), or, for a planner's split, at least two grids from the free units
    /// as they lie.
    fn initial_split(
        &self,
        split_free: bool,
        p: &Prepared,
        free: &[usize],
    ) -> (Vec<Vec<usize>>, bool) {
        let n = p.u.units.len();
        if split_free {
            self.search_on(&p.adj, &p.at, &p.households, free, n, true)
        } else {
            self.search(&p.adj, &p.at, &p.households, free, n, &p.block)
        }
    }

    /// Incremental runs: the previous grids are repaired in place, with the locked ones as
    /// receivers of what they shed; grids still over the cap are bisected (the first part
    /// keeps the code), strays reconnected.
    fn repair_named(&self, grids: &mut Vec<Vec<usize>>, named: &mut NamedGrids, p: &Prepared) {
        let (adj, households) = (&p.adj, &p.households);
        let first_prev = grids.len();
        for units in named.previous.values() {
            grids.push(units.clone());
        }
        let first_locked = grids.len();
        for units in named.locked.values() {
            grids.push(units.clone());
        }
        let movable: Vec<bool> = (0..grids.len()).map(|g| g < first_locked).collect();
        let stuck = repair::shed_excess(grids, &movable, adj, households, self.cap());
        // Units that went into locked grids stay there (least churn); take the locked
        // grids back out with their new members.
        let receivers: Vec<Vec<usize>> = grids.split_off(first_locked);
        for ((_, units), now) in named.locked.iter_mut().zip(receivers) {
            *units = now;
        }
        // Grids still over the cap are split by bisection; the first part keeps the code.
        for g in stuck {
            let g_set = std::mem::take(&mut grids[g]);
            let angles: Vec<f64> = (0..self.directions)
                .map(|j| std::f64::consts::PI * j as f64 / self.directions as f64)
                .collect();
            let graph = Graph {
                at: &p.at,
                households,
                adj,
                cap: self.cap(),
                angles: &angles,
                balance: BALANCE[0],
            };
            let mut parts = bisect::partition(&graph, g_set);
            grids[g] = parts.remove(0);
            grids.extend(parts);
        }
        // A changed building can change the unit graph under a kept grid (a building that
        // now exceeds the cap is split into floors of its own): strays go to a neighbour
        // with room or become grids of their own (appended, so the kept grids stay where
        // they are).
        repair::reconnect(grids, adj, households, self.cap());
        // Previous grids keep their codes: move them to the end as "named".
        let kept: Vec<Vec<usize>> = grids
            .drain(first_prev..first_prev + named.previous.len())
            .collect();
        for ((_, units), now) in named.previous.iter_mut().zip(kept) {
            *units = now;
        }
    }

    /// Per grid: households, members, compactness and the polygon in lon/lat, with the
    /// checks that need them (over the cap, not connected, invalid in lon/lat); and the
    /// plan's metrics from them.
    fn grid_results(
        &self,
        input: &CommunityInput,
        p: &Prepared,
        numbered: &Numbered,
        shapes: &Shapes,
        violations: &mut Vec<Violation>,
    ) -> (Vec<GridResult>, Metrics) {
        let (grids, codes) = (&numbered.grids, &numbered.codes);
        let cap = self.cap();
        let boundary = seams::Boundary::new(&p.poly, &input.polygon);
        let owner = repair::owners(grids, p.u.units.len());
        let mut m = Metrics {
            communities: 1,
            households: p.total,
            lower_bound: p.lb,
            packing_bound: metrics::packing_lower_bound(&p.households, cap),
            grids: grids.len(),
            ..Metrics::default()
        };
        let (mut pps, mut reocks, mut results) = (Vec::new(), Vec::new(), Vec::new());
        for (gi, gr) in grids.iter().enumerate() {
            let hh: u32 = gr.iter().map(|&i| p.households[i]).sum();
            if hh > cap {
                m.over_cap += 1;
                violations.push(
                    Violation::new(
                        V::OverCap,
                        format!(
                            "grid {} holds {hh} households, over the cap of {cap}",
                            codes[gi]
                        ),
                    )
                    .with("grid", &codes[gi])
                    .with("households", hh)
                    .with("cap", cap),
                );
            }
            if repair::components(gr, &p.adj, &p.households, &owner, gi).len() > 1 {
                m.disconnected += 1;
                violations.push(
                    Violation::new(
                        V::Disconnected,
                        format!("grid {} is not connected", codes[gi]),
                    )
                    .with("grid", &codes[gi]),
                );
            }
            let local = &shapes.polygons[gi];
            let (pp, re) = (metrics::polsby_popper(local), metrics::reock(local));
            pps.push(pp);
            reocks.push(re);
            m.workers += u64::from(hh.div_ceil(100));
            let polygon = boundary.unproject(local, ON_EDGE_M, |c| p.frame.inverse(c));
            if !polygon.is_valid() {
                let why = polygon
                    .validation_errors()
                    .first()
                    .map(ToString::to_string)
                    .unwrap_or_default();
                violations.push(Violation::new(
                    V::InvalidPolygon,
                    format!("grid {} polygon is invalid in lon/lat: {why}", codes[gi]),
                ));
            }
            results.push(GridResult {
                code: codes[gi].clone(),
                serial: gi as u32 + 1,
                households: hh,
                members: members(p, gr),
                polygon,
                area_m2: local.unsigned_area(),
                polsby_popper: pp,
                reock: re,
                workers: hh.div_ceil(100),
                locked: numbered.locked_codes.contains(&codes[gi]),
                anchors: anchors(p, gr, &shapes.slice_of),
            });
        }
        m.fill_mean = p.total as f64 / grids.len().max(1) as f64;
        m.set_compactness(&pps, &reocks);
        (results, m)
    }
}

/// The free units, and those that grids named by the caller hold (previous grids to repair,
/// locked grids to keep), by code.
struct NamedGrids<'a> {
    previous: BTreeMap<&'a str, Vec<usize>>,
    locked: BTreeMap<&'a str, Vec<usize>>,
    free: Vec<usize>,
}

impl<'a> NamedGrids<'a> {
    /// Units whose address points all belong to one named grid leave the free set.
    fn take(input: &'a CommunityInput, p: &Prepared) -> Self {
        let (mut previous, free) = take_named(&input.previous, p.free.clone(), &p.u.units, &p.keys);
        let (mut locked, free) = take_named(&input.locked, free, &p.u.units, &p.keys);
        if !input.previous.is_empty() {
            // Incremental: a kept grid that the changed data leaves in parts on the unit
            // graph (a neighbouring building now split into parts of its own changes the
            // cells around it) is repaired like the changed ones.
            let broken: Vec<&str> = locked
                .iter()
                .filter(|(_, units)| contract::components(&p.adj, units).len() > 1)
                .map(|(c, _)| *c)
                .collect();
            for c in broken {
                if let Some(units) = locked.remove(c) {
                    previous.insert(c, units);
                }
            }
        }
        Self {
            previous,
            locked,
            free,
        }
    }
}

/// The grids in serial order with their codes.
struct Numbered {
    grids: Vec<Vec<usize>>,
    codes: Vec<String>,
    locked_codes: HashSet<String>,
}

/// Serial order of grid centres in local metres: north→south bands of 150 m, west→east within
/// a band.
pub(crate) fn serial_order(a: (f64, f64), b: (f64, f64)) -> std::cmp::Ordering {
    let (ba, bb) = ((-a.1 / 150.0).floor(), (-b.1 / 150.0).floor());
    ba.total_cmp(&bb).then(a.0.total_cmp(&b.0))
}

/// Codes: floor-split parts become grids of their own; the searched grids are numbered in
/// serial order ([`serial_order`]) with the serials the named grids leave free; named grids
/// keep their codes and come last. (A planner's edit then keeps codes by overlap with the
/// version edited: `edit::keep_codes`.)
fn number(p: &Prepared, mut grids: Vec<Vec<usize>>, named: NamedGrids) -> Numbered {
    let NamedGrids {
        previous, locked, ..
    } = named;
    grids.extend(p.fixed.iter().map(|&i| vec![i]));
    let locked_codes: HashSet<String> = locked.keys().map(|c| c.to_string()).collect();
    let named_codes: HashSet<String> = locked_codes
        .iter()
        .cloned()
        .chain(previous.keys().map(|c| c.to_string()))
        .collect();
    let centre = |gr: &Vec<usize>| {
        let w: f64 = gr.len() as f64;
        let (x, y) = gr
            .iter()
            .fold((0.0, 0.0), |(x, y), &i| (x + p.at[i].x, y + p.at[i].y));
        (x / w, y / w)
    };
    grids.sort_by(|a, b| serial_order(centre(a), centre(b)));
    let mut codes: Vec<String> = Vec::with_capacity(grids.len() + locked.len());
    let mut serial = 0;
    for _ in 0..grids.len() {
        let c = loop {
            serial += 1;
            let c = format!("{}{serial:03}", p.code);
            if !named_codes.contains(&c) {
                break c;
            }
        };
        codes.push(c);
    }
    for (c, units) in previous.into_iter().chain(locked) {
        if units.is_empty() {
            continue;
        }
        codes.push(c.to_string());
        grids.push(units);
    }
    Numbered {
        grids,
        codes,
        locked_codes,
    }
}

/// Slices of shared sites by unit.
type Slices = HashMap<usize, Vec<Polygon<f64>>>;

/// The grids' polygons in local metres, and what drawing them found.
struct Shapes {
    polygons: Vec<Polygon<f64>>,
    /// The slices of sites shared by several units, by unit.
    slice_of: HashMap<usize, Vec<Polygon<f64>>>,
    unassigned_area: f64,
    exceptions: Vec<String>,
    violations: Vec<Violation>,
}

/// Slices of the cells of sites shared by several units (a floor-split entrance's parts), by
/// unit, and the pieces no slice keeps (they go to the grid they border most).
fn slice_shared_sites(p: &Prepared) -> (Slices, Vec<Polygon<f64>>) {
    let (u, cells) = (&p.u, &p.cells);
    let mut slice_of: Slices = HashMap::new();
    let mut slice_orphans = cells.loose.clone();
    for &site in &u.sliced_sites {
        // The sliced grids are built from the site's main piece only; the cell's other
        // pieces inside the community go to neighbouring grids.
        if !cells.clipped {
            slice_orphans.extend(cells.orphans[site].iter().cloned());
        }
        let mut region = MultiPolygon(vec![cells.main[site].clone()]);
        let mut parts_at = p.at_site[site].clone();
        // An attached remainder takes the side of the cell that borders its neighbour; the
        // full parts share the rest.
        if let Some(r) = parts_at.pop_if(|r| p.attach.contains_key(r)) {
            let (from, to) = (u.sites[site], u.sites[p.attach[&r]]);
            let share = f64::from(p.households[r])
                / f64::from(
                    parts_at.iter().map(|&i| p.households[i]).sum::<u32>() + p.households[r],
                );
            let (far, near) = polygons::cut_toward(&region, from, to, share.clamp(0.15, 0.5));
            let mut parts = far.0;
            // The part reaching furthest towards the neighbour touches its cell.
            let reach = |q: &Polygon<f64>| {
                q.exterior()
                    .coords()
                    .map(|c| (c.x - from.x) * (to.x - from.x) + (c.y - from.y) * (to.y - from.y))
                    .fold(f64::MIN, f64::max)
            };
            parts.sort_by(|a, b| reach(b).total_cmp(&reach(a)));
            let rest = parts.split_off(parts.len().min(1));
            slice_orphans.extend(rest);
            slice_of.insert(r, parts);
            region = near;
        }
        for (k, piece) in polygons::slices(&region, parts_at.len())
            .into_iter()
            .enumerate()
        {
            // A strip across a non-convex piece can fall apart: the largest part is the
            // slice, the rest goes to whichever grid it borders most.
            let mut parts = piece.0;
            parts.sort_by(|a, b| b.unsigned_area().total_cmp(&a.unsigned_area()));
            let rest = parts.split_off(parts.len().min(1));
            slice_orphans.extend(rest);
            slice_of.insert(parts_at[k], parts);
        }
    }
    (slice_of, slice_orphans)
}

/// Polygons: each grid's cells (or slices) dissolved into one polygon; slivers handed to
/// their neighbours; seams stitched vertex for vertex and every polygon made valid.
fn grid_polygons(p: &Prepared, numbered: &Numbered) -> Shapes {
    let (u, cells, grids) = (&p.u, &p.cells, &numbered.grids);
    let (slice_of, slice_orphans) = slice_shared_sites(p);
    let pieces: Vec<Vec<Polygon<f64>>> = grids
        .iter()
        .map(|gr| {
            gr.iter()
                .flat_map(|&i| {
                    slice_of
                        .get(&i)
                        .cloned()
                        .unwrap_or_else(|| vec![cells.cells[u.units[i].site].clone()])
                })
                .collect()
        })
        .collect();
    let grid_sites: Vec<Vec<Coord<f64>>> = grids
        .iter()
        .map(|gr| {
            gr.iter()
                .flat_map(|&i| match slice_of.get(&i) {
                    Some(ps) => ps
                        .iter()
                        .filter_map(|q| q.interior_point())
                        .map(|q| q.0)
                        .collect(),
                    None => vec![u.sites[u.units[i].site]],
                })
                .collect()
        })
        .collect();
    let mut dissolved = polygons::dissolve(
        pieces,
        &grid_sites,
        &p.poly,
        &numbered.codes,
        slice_orphans,
        cells.clipped,
    );
    let mut violations = std::mem::take(&mut dissolved.problems);
    mend_and_hand_over(
        p,
        &numbered.codes,
        &grid_sites,
        &mut dissolved.polygons,
        &mut violations,
    );
    Shapes {
        polygons: dissolved.polygons,
        slice_of,
        unassigned_area: dissolved.unassigned_area,
        exceptions: dissolved.unassigned,
        violations,
    }
}

/// Slivers go to their neighbours before the seams are stitched (a piece cut after
/// stitching reopens them); then neighbours share their boundary vertex for vertex (no
/// cracks) and every polygon is made valid and simple (GEOS and QGIS check them); the
/// grids changed are looked at again once stitched. What cannot be mended is a violation.
fn mend_and_hand_over(
    p: &Prepared,
    codes: &[String],
    grid_sites: &[Vec<Coord<f64>>],
    polys: &mut [Polygon<f64>],
    violations: &mut Vec<Violation>,
) {
    let found = slivers::find(polys, &p.poly, None);
    let mut look: Vec<usize> = found.iter().map(|s| s.grid).collect();
    if !look.is_empty() {
        let changed = slivers::hand_over(polys, grid_sites, &p.poly, &look);
        look.extend(changed);
        look.sort_unstable();
        look.dedup();
    }
    seams::stitch(polys, &p.poly, STITCH_M);
    for (gi, q) in polys.iter_mut().enumerate() {
        match clean::valid_polygon(q) {
            Ok(v) => *q = v,
            Err(why) => violations.push(Violation::new(
                V::InvalidPolygon,
                format!("grid {} polygon is invalid: {why}", codes[gi]),
            )),
        }
    }
    let remaining = if look.is_empty() {
        Vec::new()
    } else {
        slivers::find(polys, &p.poly, Some(&look))
    };
    for s in remaining {
        let at = p.frame.inverse(s.at);
        violations.push(Violation::new(
            V::Sliver,
            format!(
                "grid {} has a sliver of {:.0} m² narrower than {} m at {:.6},{:.6}",
                codes[s.grid],
                s.area_m2,
                2.0 * slivers::HALF_WIDTH_M,
                at.x,
                at.y
            ),
        ));
    }
}

/// A grid's members: (address key, households), sorted.
fn members(p: &Prepared, gr: &[usize]) -> Vec<(String, u32)> {
    let mut members: Vec<(String, u32)> = gr
        .iter()
        .flat_map(|&i| {
            p.u.units[i]
                .members
                .iter()
                .map(|&(e, h)| (p.keys[e].clone(), h))
        })
        .collect();
    members.sort();
    members
}

/// Where a grid's slices of shared sites lie: (address key, lon/lat).
fn anchors(
    p: &Prepared,
    gr: &[usize],
    slice_of: &HashMap<usize, Vec<Polygon<f64>>>,
) -> Vec<(String, geo_types::Point<f64>)> {
    gr.iter()
        .filter_map(|&i| {
            let q = slice_of.get(&i)?.first()?.interior_point()?;
            let key = p.keys[p.u.units[i].members.first()?.0].clone();
            Some((key, p.frame.unproject(&q)))
        })
        .collect()
}

/// How boundaries follow streets, measured on the finished polygons; returns which grids an
/// arterial spans.
fn street_measures(p: &Prepared, shapes: &Shapes, m: &mut Metrics) -> Vec<bool> {
    let (sf, spans) = street_figures::measure(&shapes.polygons, &p.poly, &p.streets);
    m.boundary_m = sf.boundary_m;
    m.boundary_on_street_m = sf.boundary_on_street_m;
    m.street_inside_m = sf.street_inside_m;
    m.street_used_m = sf.street_used_m;
    m.grids_cut_by_arterial = spans.iter().filter(|&&s| s).count();
    m.street_share = m.boundary_on_street_m / m.boundary_m.max(f64::MIN_POSITIVE);
    spans
}

/// Tiling: the grids' areas add up to the community's, and neighbours do not overlap.
fn check_tiling(p: &Prepared, codes: &[String], shapes: &Shapes, violations: &mut Vec<Violation>) {
    let polys = &shapes.polygons;
    let community_area = p.poly.unsigned_area();
    let sum: f64 = polys.iter().map(|q| q.unsigned_area()).sum::<f64>() + shapes.unassigned_area;
    if community_area > 0.0 && ((sum - community_area) / community_area).abs() > 1e-6 {
        violations.push(Violation::new(
            V::Tiling,
            format!("grid areas sum to {sum:.3} m², the community has {community_area:.3} m²"),
        ));
    }
    for a in 0..polys.len() {
        for b in a + 1..polys.len() {
            let (pa, pb) = (&polys[a], &polys[b]);
            if pa
                .bounding_rect()
                .zip(pb.bounding_rect())
                .is_some_and(|(x, y)| x.intersects(&y))
            {
                let overlap = pa.intersection(pb).unsigned_area();
                if overlap > 1e-6 * community_area.max(1.0) {
                    violations.push(Violation::new(
                        V::Overlap,
                        format!(
                            "grids {} and {} overlap by {overlap:.3} m²",
                            codes[a], codes[b]
                        ),
                    ));
                }
            }
        }
    }
}

/// Every entrance's households are placed exactly once.
fn check_placement(
    input: &CommunityInput,
    results: &[GridResult],
    violations: &mut Vec<Violation>,
) {
    let mut placed: HashMap<&str, u64> = HashMap::new();
    for r in results {
        for (k, h) in &r.members {
            *placed.entry(k.as_str()).or_default() += u64::from(*h);
        }
    }
    for e in &input.entrances {
        if placed.get(e.key.as_str()).copied().unwrap_or(u64::MAX) != u64::from(e.households) {
            violations.push(Violation::new(
                V::NotPlaced,
                format!("address point {} is not placed exactly once", e.key),
            ));
        }
    }
}

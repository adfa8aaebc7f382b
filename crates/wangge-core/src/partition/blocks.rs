//! Street blocks (以街巷院落为单元): a community cut along the streets that run through it, so
//! that unit cells stop at the street line and a grid boundary between blocks runs exactly
//! along a street. Footways and paths do not cut (they run inside compounds); streets that
//! end inside the community (cul-de-sacs) cut only where they cross it from edge to edge. A
//! block that holds no address point joins the neighbouring block it shares the most
//! boundary with, so that strips between carriageways and corners cut off by a junction do
//! not become pieces of their own.

use super::street_figures::is_street;
use super::street_line::StreetLine;
use geo::{Area, BoundingRect, Distance, Euclidean, Intersects};
use geo_types::{Coord, LineString, MultiPolygon, Point, Polygon};
use i_overlay::core::fill_rule::FillRule;
use i_overlay::float::slice::FloatSlice;
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree};
use std::collections::HashMap;

/// Blocks under this area (m²) are numerical crumbs of the cut, never pieces of their own.
const CRUMB_M2: f64 = 1e-3;

fn ring_to_path(r: &LineString<f64>) -> Vec<[f64; 2]> {
    let mut p: Vec<[f64; 2]> = r.0.iter().map(|c| [c.x, c.y]).collect();
    if p.len() > 1 && p.first() == p.last() {
        p.pop();
    }
    p
}

fn path_to_ring(p: &[[f64; 2]]) -> LineString<f64> {
    let mut r: Vec<Coord<f64>> = p.iter().map(|c| Coord { x: c[0], y: c[1] }).collect();
    if let Some(&f) = r.first() {
        r.push(f);
    }
    LineString(r)
}

/// Cuts `community` (local metres) along the street lines. Returns the blocks; one block (the
/// community's own parts) when no street cuts it.
pub fn split(community: &MultiPolygon<f64>, streets: &[StreetLine]) -> Vec<Polygon<f64>> {
    let lines: Vec<Vec<[f64; 2]>> = streets
        .iter()
        .filter(|s| is_street(&s.highway))
        .filter(|s| s.line.0.len() >= 2 && community.intersects(&s.line))
        .map(|s| s.line.0.iter().map(|c| [c.x, c.y]).collect())
        .collect();
    if lines.is_empty() {
        return community.0.clone();
    }
    let shapes: Vec<Vec<Vec<[f64; 2]>>> = community
        .0
        .iter()
        .map(|p| {
            std::iter::once(p.exterior())
                .chain(p.interiors())
                .map(ring_to_path)
                .collect()
        })
        .collect();
    let cut = shapes.slice_by(&lines, FillRule::NonZero);
    let blocks: Vec<Polygon<f64>> = cut
        .iter()
        .filter_map(|shape| {
            let mut rings = shape.iter().map(|p| path_to_ring(p));
            let exterior = rings.next()?;
            Some(Polygon::new(exterior, rings.collect()))
        })
        .filter(|p| p.unsigned_area() > CRUMB_M2)
        .collect();
    // The cut must keep the area; if it did not (it never should), the community stays whole.
    let before = community.unsigned_area();
    let after: f64 = blocks.iter().map(Area::unsigned_area).sum();
    if blocks.is_empty() || (after - before).abs() > 1e-6 * before.max(1.0) {
        return community.0.clone();
    }
    blocks
}

type Key = ((u64, u64), (u64, u64));

fn edge_key(a: Coord<f64>, b: Coord<f64>) -> Key {
    let ka = (a.x.to_bits(), a.y.to_bits());
    let kb = (b.x.to_bits(), b.y.to_bits());
    if ka <= kb { (ka, kb) } else { (kb, ka) }
}

fn edges(p: &Polygon<f64>) -> impl Iterator<Item = (Key, f64, Coord<f64>)> + '_ {
    std::iter::once(p.exterior())
        .chain(p.interiors())
        .flat_map(|r| r.0.windows(2))
        .map(|w| {
            (
                edge_key(w[0], w[1]),
                (w[1].x - w[0].x).hypot(w[1].y - w[0].y),
                (w[0] + w[1]) / 2.0,
            )
        })
}

/// Which block each site lies in (the nearest one when, by rounding, it lies in none).
pub fn locate(blocks: &[Polygon<f64>], sites: &[Coord<f64>]) -> Vec<usize> {
    let boxes: Vec<GeomWithData<Rectangle<[f64; 2]>, usize>> = blocks
        .iter()
        .enumerate()
        .filter_map(|(i, b)| {
            let r = b.bounding_rect()?;
            Some(GeomWithData::new(
                Rectangle::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]),
                i,
            ))
        })
        .collect();
    let tree = RTree::bulk_load(boxes);
    sites
        .iter()
        .map(|s| {
            let p = Point(*s);
            let env = AABB::from_point([s.x, s.y]);
            tree.locate_in_envelope_intersecting(&env)
                .map(|b| b.data)
                .filter(|&i| blocks[i].intersects(&p))
                .min()
                .unwrap_or_else(|| {
                    (0..blocks.len())
                        .min_by(|&a, &b| {
                            Euclidean
                                .distance(&p, &blocks[a])
                                .total_cmp(&Euclidean.distance(&p, &blocks[b]))
                        })
                        .unwrap_or(0)
                })
        })
        .collect()
}

/// Joins every block that holds no site to the neighbour it shares the most boundary with,
/// in passes (a chain of empty blocks drains into its occupied end); across an arterial
/// (`on_arterial` of a point of the shared boundary) only when no other way is left, so
/// that empty land beyond an arterial does not make a grid span it. Returns the merged
/// groups of block indices, occupied ones first in their order; empty blocks that touch
/// nothing occupied are left as groups of their own (their area becomes loose pieces).
pub fn merge_empty(
    blocks: &[Polygon<f64>],
    occupied: &[bool],
    on_arterial: &dyn Fn(Coord<f64>) -> bool,
) -> Vec<Vec<usize>> {
    let n = blocks.len();
    // Shared boundary per pair, from edges the cut gave both blocks vertex for vertex, with
    // the middle of the longest shared edge.
    let mut owner: HashMap<Key, usize> = HashMap::new();
    let mut shared: HashMap<(usize, usize), (f64, f64, Coord<f64>)> = HashMap::new();
    for (i, b) in blocks.iter().enumerate() {
        for (k, len, mid) in edges(b) {
            match owner.get(&k) {
                Some(&j) if j != i => {
                    let e = shared
                        .entry((j.min(i), j.max(i)))
                        .or_insert((0.0, 0.0, mid));
                    e.0 += len;
                    if len > e.1 {
                        e.1 = len;
                        e.2 = mid;
                    }
                }
                _ => {
                    owner.insert(k, i);
                }
            }
        }
    }
    // (neighbour, shared length, across an arterial)
    let mut neighbours: Vec<Vec<(usize, f64, bool)>> = vec![Vec::new(); n];
    for (&(a, b), &(len, _, mid)) in &shared {
        let art = on_arterial(mid);
        neighbours[a].push((b, len, art));
        neighbours[b].push((a, len, art));
    }
    for nb in &mut neighbours {
        nb.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    }
    // group[i]: the occupied block that block i has joined.
    let mut group: Vec<Option<usize>> = (0..n).map(|i| occupied[i].then_some(i)).collect();
    for across_arterials in [false, true] {
        loop {
            let mut changed = false;
            for i in 0..n {
                if group[i].is_some() {
                    continue;
                }
                if let Some(g) = neighbours[i]
                    .iter()
                    .filter(|nb| across_arterials || !nb.2)
                    .find_map(|nb| group[nb.0])
                {
                    group[i] = Some(g);
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
    }
    let mut out: Vec<Vec<usize>> = (0..n).filter(|&i| occupied[i]).map(|i| vec![i]).collect();
    let slot: HashMap<usize, usize> = out.iter().enumerate().map(|(k, g)| (g[0], k)).collect();
    for (i, g) in group.iter().enumerate() {
        match *g {
            Some(g) if g != i => out[slot[&g]].push(i),
            Some(_) => {}
            None => out.push(vec![i]),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo_types::Rect;

    fn square() -> MultiPolygon<f64> {
        MultiPolygon(vec![
            Rect::new(Coord { x: 0.0, y: 0.0 }, Coord { x: 100.0, y: 100.0 }).to_polygon(),
        ])
    }

    fn street(highway: &str, pts: &[(f64, f64)]) -> StreetLine {
        StreetLine {
            highway: highway.into(),
            line: LineString(pts.iter().map(|&(x, y)| Coord { x, y }).collect()),
        }
    }

    #[test]
    fn a_cross_of_streets_makes_four_blocks_and_a_footway_none() {
        let streets = [
            street("residential", &[(-10.0, 50.0), (110.0, 50.0)]),
            street("primary", &[(50.0, -10.0), (50.0, 110.0)]),
            street("footway", &[(-10.0, 20.0), (110.0, 20.0)]),
            // A cul-de-sac: enters and ends inside, cuts nothing.
            street("residential", &[(100.0, 80.0), (70.0, 80.0)]),
        ];
        let b = split(&square(), &streets);
        assert_eq!(b.len(), 4, "{b:?}");
        for p in &b {
            assert!((p.unsigned_area() - 2500.0).abs() < 1e-3);
        }
    }

    #[test]
    fn no_street_keeps_the_community_whole() {
        assert_eq!(split(&square(), &[]).len(), 1);
    }

    #[test]
    fn empty_blocks_join_the_neighbour_they_share_most_with() {
        // Three strips: 0..45 (occupied), 45..55 (a median, empty), 55..100 (occupied).
        let streets = [
            street("primary", &[(45.0, -10.0), (45.0, 110.0)]),
            street("primary", &[(55.0, -10.0), (55.0, 110.0)]),
            // The left strip is cut once more, into a long occupied and a short empty part.
            street("residential", &[(-10.0, 90.0), (45.0, 90.0)]),
        ];
        let b = split(&square(), &streets);
        assert_eq!(b.len(), 4);
        let sites = [Coord { x: 10.0, y: 10.0 }, Coord { x: 90.0, y: 50.0 }];
        let at = locate(&b, &sites);
        let mut occupied = vec![false; b.len()];
        for &i in &at {
            occupied[i] = true;
        }
        let groups = merge_empty(&b, &occupied, &|_| false);
        assert_eq!(groups.len(), 2, "{groups:?}");
        let area = |g: &Vec<usize>| g.iter().map(|&i| b[i].unsigned_area()).sum::<f64>();
        let total: f64 = groups.iter().map(area).sum();
        assert!((total - 10_000.0).abs() < 1e-3);
        // The 10 m median touches both sides equally (100 m each): it joins one of them whole.
        let mut areas: Vec<f64> = groups.iter().map(area).collect();
        areas.sort_by(f64::total_cmp);
        assert!((areas[0] - 4500.0).abs() < 1e-3, "{areas:?}");
        assert!((areas[1] - 5500.0).abs() < 1e-3, "{areas:?}");
    }
}

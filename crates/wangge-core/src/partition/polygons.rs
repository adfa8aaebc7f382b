//! Grid polygons: each grid is the union of its units' Voronoi cells (a site shared by several
//! floor-split units is sliced into strips of equal area), clipped to the community. Pieces of
//! a clipped grid that hold none of its sites (the community folds through a cell) go to the
//! neighbouring grid that shares the longest boundary with them.

use geo::{Area, BooleanOps, BoundingRect, Contains, Distance, Euclidean, Length, unary_union};
use geo_types::{Coord, LineString, MultiPolygon, Point, Polygon, Rect};

fn rect_poly(x0: f64, y0: f64, x1: f64, y1: f64) -> MultiPolygon<f64> {
    MultiPolygon(vec![
        Rect::new(Coord { x: x0, y: y0 }, Coord { x: x1, y: y1 }).to_polygon(),
    ])
}

/// Slices a region into `m` strips of equal area across its longer axis.
pub fn slices(region: &MultiPolygon<f64>, m: usize) -> Vec<MultiPolygon<f64>> {
    let Some(bb) = region.bounding_rect() else {
        return vec![region.clone(); m];
    };
    if m <= 1 {
        return vec![region.clone()];
    }
    let along_x = bb.width() >= bb.height();
    let (lo, hi) = if along_x {
        (bb.min().x, bb.max().x)
    } else {
        (bb.min().y, bb.max().y)
    };
    let pad = (bb.width() + bb.height()) + 1.0;
    let part = |a: f64, b: f64| {
        let r = if along_x {
            rect_poly(a, bb.min().y - pad, b, bb.max().y + pad)
        } else {
            rect_poly(bb.min().x - pad, a, bb.max().x + pad, b)
        };
        region.intersection(&r)
    };
    let total = region.unsigned_area();
    let mut cuts = vec![lo - pad];
    for j in 1..m {
        let target = total * j as f64 / m as f64;
        let (mut a, mut b) = (lo, hi);
        for _ in 0..50 {
            let mid = (a + b) / 2.0;
            if part(lo - pad, mid).unsigned_area() < target {
                a = mid
            } else {
                b = mid
            }
        }
        cuts.push((a + b) / 2.0);
    }
    cuts.push(hi + pad);
    cuts.windows(2).map(|w| part(w[0], w[1])).collect()
}

/// Result of dissolving: one polygon per grid, plus problems that could not be mended.
pub struct Dissolved {
    pub polygons: Vec<Polygon<f64>>,
    pub problems: Vec<String>,
}

/// Builds grid polygons. `pieces[g]` are the regions (cells or slices) of grid g; `sites[g]`
/// the grid's site locations (to tell real parts from stray ones).
pub fn dissolve(
    pieces: Vec<Vec<MultiPolygon<f64>>>,
    sites: &[Vec<Coord<f64>>],
    community: &MultiPolygon<f64>,
    codes: &[String],
) -> Dissolved {
    let mut grids: Vec<MultiPolygon<f64>> = pieces
        .into_iter()
        .map(|ps| {
            // unary_union, not a fold of `union` from an empty start: the fold left cells that
            // share long edges as separate parts.
            unary_union(ps.iter()).intersection(community)
        })
        .collect();
    let mut problems = Vec::new();
    // Split off parts without sites.
    let mut orphans: Vec<Polygon<f64>> = Vec::new();
    for (g, mp) in grids.iter_mut().enumerate() {
        if mp.0.len() <= 1 {
            continue;
        }
        let (keep, stray): (Vec<Polygon<f64>>, Vec<Polygon<f64>>) = mp.0.drain(..).partition(|p| {
            sites[g]
                .iter()
                .any(|s| p.contains(s) || Euclidean.distance(&Point(*s), p) < 1e-6)
        });
        if keep.len() > 1 {
            problems.push(format!(
                "grid {} is in {} separate parts",
                codes[g],
                keep.len()
            ));
        }
        mp.0 = keep;
        orphans.extend(stray.into_iter().filter(|p| p.unsigned_area() > 0.0));
    }
    for orphan in orphans {
        let ring = orphan.exterior();
        let mut best: Option<(usize, f64)> = None;
        for (g, mp) in grids.iter().enumerate() {
            let shared: f64 = ring
                .lines()
                .filter(|l| {
                    let mid = Coord {
                        x: (l.start.x + l.end.x) / 2.0,
                        y: (l.start.y + l.end.y) / 2.0,
                    };
                    mp.0.iter().any(|p| {
                        Euclidean.distance(&Point(mid), p.exterior()) < 1e-3
                            || p.interiors()
                                .iter()
                                .any(|r| Euclidean.distance(&Point(mid), r) < 1e-3)
                    })
                })
                .map(|l| Euclidean.length(&LineString(vec![l.start, l.end])))
                .sum();
            if shared > 0.0 && best.is_none_or(|b| shared > b.1) {
                best = Some((g, shared));
            }
        }
        match best {
            Some((g, _)) => grids[g] = unary_union([&grids[g], &MultiPolygon(vec![orphan])]),
            None => problems.push(format!(
                "a part of the community ({:.0} m²) holds no address point and touches no grid",
                orphan.unsigned_area()
            )),
        }
    }
    let polygons = grids
        .into_iter()
        .enumerate()
        .map(|(g, mp)| {
            if mp.0.len() != 1 {
                problems.push(format!("grid {} is in {} parts", codes[g], mp.0.len()));
            }
            mp.0.into_iter()
                .max_by(|a, b| a.unsigned_area().total_cmp(&b.unsigned_area()))
                .unwrap_or_else(|| Polygon::new(LineString(vec![]), vec![]))
        })
        .collect();
    Dissolved { polygons, problems }
}

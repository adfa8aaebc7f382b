//! Grid polygons: each grid is the union of its units' Voronoi cells (a site shared by several
//! floor-split units is sliced into strips of equal area), clipped to the community. Pieces of
//! a clipped grid that hold none of its sites (the community folds through a cell) go to the
//! neighbouring grid that shares the longest boundary with them.

use geo::{Area, BooleanOps, BoundingRect, Buffer, Distance, Euclidean, Length, unary_union};

/// Gap that counts as touching when fusing parts of one grid (m).
const CLOSE_M: f64 = 1e-3;
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

/// Cuts a region by a line across the direction `from` → `to` so that the part towards `to`
/// holds `share` of the area: (that part, the rest).
pub fn cut_toward(
    region: &MultiPolygon<f64>,
    from: Coord<f64>,
    to: Coord<f64>,
    share: f64,
) -> (MultiPolygon<f64>, MultiPolygon<f64>) {
    let (dx, dy) = (to.x - from.x, to.y - from.y);
    let len = dx.hypot(dy);
    let Some(bb) = region.bounding_rect() else {
        return (region.clone(), MultiPolygon(vec![]));
    };
    if len <= 0.0 {
        return (MultiPolygon(vec![]), region.clone());
    }
    let (ux, uy) = (dx / len, dy / len);
    let along = |c: &Coord<f64>| (c.x - from.x) * ux + (c.y - from.y) * uy;
    let coords = region.0.iter().flat_map(|p| p.exterior().coords());
    let (lo, hi) = coords.fold((f64::MAX, f64::MIN), |(lo, hi), c| {
        (lo.min(along(c)), hi.max(along(c)))
    });
    let pad = bb.width() + bb.height() + 1.0;
    // The half-plane beyond `t` along the direction, as a large rectangle.
    let beyond = |t: f64, far: bool| {
        let (a, b) = if far { (t, hi + pad) } else { (lo - pad, t) };
        let at = |s: f64, w: f64| Coord {
            x: from.x + ux * s - uy * w,
            y: from.y + uy * s + ux * w,
        };
        let ring = vec![
            at(a, -pad),
            at(b, -pad),
            at(b, pad),
            at(a, pad),
            at(a, -pad),
        ];
        MultiPolygon(vec![Polygon::new(LineString(ring), vec![])])
    };
    let total = region.unsigned_area();
    let (mut a, mut b) = (lo, hi);
    for _ in 0..50 {
        let mid = (a + b) / 2.0;
        if region.intersection(&beyond(mid, true)).unsigned_area() > total * share {
            a = mid
        } else {
            b = mid
        }
    }
    let t = (a + b) / 2.0;
    (
        region.intersection(&beyond(t, true)),
        region.intersection(&beyond(t, false)),
    )
}

/// Result of dissolving: one polygon per grid, plus what could not be mended.
pub struct Dissolved {
    pub polygons: Vec<Polygon<f64>>,
    /// Hard-constraint violations (a grid in several parts).
    /// Grids in several parts (violations of kind `parts`, with `grid` and `parts`).
    pub problems: Vec<super::Violation>,
    /// Parts of the community that hold no address point and touch no grid (islands):
    /// listed, since no connected grid can include them.
    pub unassigned: Vec<String>,
    pub unassigned_area: f64,
}

/// Length of `piece`'s boundary that runs along `grid`'s boundary.
pub(crate) fn shared_length(piece: &Polygon<f64>, grid: &MultiPolygon<f64>) -> f64 {
    std::iter::once(piece.exterior())
        .chain(piece.interiors())
        .flat_map(|r| r.lines())
        .filter(|l| {
            let mid = Point(Coord {
                x: (l.start.x + l.end.x) / 2.0,
                y: (l.start.y + l.end.y) / 2.0,
            });
            grid.0.iter().any(|p| {
                Euclidean.distance(&mid, p.exterior()) < 1e-3
                    || p.interiors()
                        .iter()
                        .any(|r| Euclidean.distance(&mid, r) < 1e-3)
            })
        })
        .map(|l| Euclidean.length(&LineString(vec![l.start, l.end])))
        .sum()
}

/// Holes smaller than this (m²) are cracks where pieces of two street blocks meet inside one
/// grid, never a hole of the community.
const CRACK_M2: f64 = 1e-2;

/// Drops crack holes (see `CRACK_M2`).
fn without_cracks(mut m: MultiPolygon<f64>) -> MultiPolygon<f64> {
    for p in &mut m.0 {
        if p.interiors()
            .iter()
            .any(|r| Polygon::new(r.clone(), vec![]).unsigned_area() < CRACK_M2)
        {
            let (ext, holes) =
                std::mem::replace(p, Polygon::new(LineString(vec![]), vec![])).into_inner();
            let holes = holes
                .into_iter()
                .filter(|r| Polygon::new(r.clone(), vec![]).unsigned_area() >= CRACK_M2)
                .collect();
            *p = Polygon::new(ext, holes);
        }
    }
    m
}

/// A closing by `CLOSE_M`, without the crumbs of rounding it can leave beside its result.
/// (Two pieces of different street blocks meeting along a street a tenth of a millimetre
/// apart came out of the union as two parts, and out of the closing as one part and a crumb
/// of 1e-14 m².)
fn close(m: &MultiPolygon<f64>) -> MultiPolygon<f64> {
    let mut c = m.buffer(CLOSE_M).buffer(-CLOSE_M);
    c.0.retain(|p| p.unsigned_area() > CRACK_M2);
    c
}

/// Vertices closer than this to the one before are merged before a union (m).
const SAME_VERTEX_M: f64 = 1e-9;

/// A polygon without vertices within `SAME_VERTEX_M` of the one before them.
fn merge_close_vertices(p: Polygon<f64>) -> Polygon<f64> {
    let ring = |r: LineString<f64>| {
        let mut out: Vec<Coord<f64>> = Vec::with_capacity(r.0.len());
        for c in r.0 {
            if out
                .last()
                .is_none_or(|l: &Coord<f64>| (l.x - c.x).hypot(l.y - c.y) >= SAME_VERTEX_M)
            {
                out.push(c);
            }
        }
        // The closing vertex merged into a near one: close on the first again.
        if out.len() > 1 && out.first() != out.last() {
            let first = out[0];
            if let Some(last) = out.last_mut()
                && (last.x - first.x).hypot(last.y - first.y) < SAME_VERTEX_M
            {
                *last = first;
            } else {
                out.push(first);
            }
        }
        LineString(out)
    };
    let (ext, holes) = p.into_inner();
    Polygon::new(ring(ext), holes.into_iter().map(ring).collect())
}

/// The union of polygons. geo's `unary_union` returned nothing for a Voronoi cell with two
/// vertices 1e-13 m apart (a grid of 150 households vanished from a plan): such vertices are
/// merged first, and a union that lost area is redone as one overlay of all the pieces.
fn union_of(ps: impl IntoIterator<Item = Polygon<f64>>) -> MultiPolygon<f64> {
    let cleaned: Vec<Polygon<f64>> = ps.into_iter().map(merge_close_vertices).collect();
    let union = unary_union(cleaned.iter());
    let largest = cleaned
        .iter()
        .map(Area::unsigned_area)
        .fold(0.0f64, f64::max);
    if union.unsigned_area() + 1e-6 >= largest {
        return union;
    }
    MultiPolygon(cleaned).union(&MultiPolygon::<f64>(vec![]))
}

// Long: per grid: union, clip, orphan parts, then passes handing orphans to neighbours over the
// same shared-boundary tables.
/// Builds grid polygons. `pieces[g]` are grid g's unclipped Voronoi cells (exact shared
/// edges) or slices, or, when `inside`, pieces that lie inside the community already; `sites[g]` points inside its own pieces. Each grid is the union of its
/// pieces clipped to the community once; parts holding none of its sites become orphans,
/// which go, with the cells' own orphans, to the grid sharing the most boundary, in passes
/// until none can be placed.
pub fn dissolve(
    pieces: Vec<Vec<Polygon<f64>>>,
    sites: &[Vec<Coord<f64>>],
    community: &MultiPolygon<f64>,
    codes: &[String],
    extra_orphans: Vec<Polygon<f64>>,
    inside: bool,
) -> Dissolved {
    let mut problems = Vec::new();
    let mut orphans = extra_orphans;
    // unary_union, not a fold of `union` from an empty start: the fold left cells that share
    // long edges as separate parts.
    let mut grids: Vec<MultiPolygon<f64>> = Vec::with_capacity(pieces.len());
    for (g, ps) in pieces.iter().enumerate() {
        let union = union_of(ps.iter().cloned());
        let clipped = without_cracks(if inside {
            union
        } else {
            union.intersection(community)
        });
        let (keep, stray): (Vec<Polygon<f64>>, Vec<Polygon<f64>>) =
            clipped.0.into_iter().partition(|p| {
                sites[g]
                    .iter()
                    .any(|s| Euclidean.distance(&Point(*s), p) < 1e-6)
            });
        // A clipped slice and an unclipped cell can miss each other by the boolean
        // operations' snapping (well under a millimetre): a closing by 1 mm fuses them.
        let keep = if keep.len() > 1 {
            let closed = close(&MultiPolygon(keep.clone()));
            if closed.0.len() == 1 { closed.0 } else { keep }
        } else {
            keep
        };
        if keep.len() > 1 {
            problems.push(
                super::Violation::new(
                    super::ViolationKind::Parts,
                    format!("grid {} is in {} separate parts", codes[g], keep.len()),
                )
                .with("grid", &codes[g])
                .with("parts", keep.len()),
            );
        }
        orphans.extend(stray.into_iter().filter(|p| p.unsigned_area() > 0.0));
        grids.push(MultiPolygon(keep));
    }
    let mut left = orphans;
    loop {
        let before = left.len();
        let mut still = Vec::new();
        for orphan in left {
            let ob = orphan.bounding_rect();
            let best = grids
                .iter()
                .enumerate()
                .filter(|(_, g)| match (ob, g.bounding_rect()) {
                    (Some(a), Some(b)) => {
                        a.min().x <= b.max().x + 1e-3
                            && b.min().x <= a.max().x + 1e-3
                            && a.min().y <= b.max().y + 1e-3
                            && b.min().y <= a.max().y + 1e-3
                    }
                    _ => false,
                })
                .map(|(g, grid)| (g, shared_length(&orphan, grid)))
                .filter(|(_, len)| *len > 1e-6)
                .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)));
            match best {
                Some((g, _)) => {
                    let mine = std::mem::replace(&mut grids[g], MultiPolygon(vec![]));
                    grids[g] = union_of(mine.0.into_iter().chain([orphan]));
                }
                None => still.push(orphan),
            }
        }
        left = still;
        if left.is_empty() || left.len() == before {
            break;
        }
    }
    let unassigned = left
        .iter()
        .map(|p| format!("a part of the community of {:.0} m² holds no address point and touches no grid; it belongs to no grid", p.unsigned_area()))
        .collect();
    let polygons = grids
        .into_iter()
        .enumerate()
        .map(|(g, mp)| {
            // Pieces from different boolean operations can miss each other by the operations'
            // snapping (well under a millimetre): a closing by 1 mm fuses them.
            let mp = if mp.0.len() > 1 {
                let closed = close(&mp);
                if closed.0.len() == 1 { closed } else { mp }
            } else {
                mp
            };
            if mp.0.len() != 1 {
                problems.push(
                    super::Violation::new(
                        super::ViolationKind::Parts,
                        format!("grid {} is in {} parts", codes[g], mp.0.len()),
                    )
                    .with("grid", &codes[g])
                    .with("parts", mp.0.len()),
                );
            }
            mp.0.into_iter()
                .max_by(|a, b| a.unsigned_area().total_cmp(&b.unsigned_area()))
                .unwrap_or_else(|| Polygon::new(LineString(vec![]), vec![]))
        })
        .collect();
    let unassigned_area = left.iter().map(|p| p.unsigned_area()).sum();
    Dissolved {
        polygons,
        problems,
        unassigned,
        unassigned_area,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cut_toward_takes_the_share_on_the_far_side() {
        let sq = rect_poly(0.0, 0.0, 10.0, 10.0);
        let (far, near) = cut_toward(
            &sq,
            Coord { x: 5.0, y: 5.0 },
            Coord { x: 15.0, y: 5.0 },
            0.25,
        );
        assert!((far.unsigned_area() - 25.0).abs() < 1e-6);
        assert!((near.unsigned_area() - 75.0).abs() < 1e-6);
        let fb = far.bounding_rect().expect("not empty");
        assert!((fb.min().x - 7.5).abs() < 1e-6 && (fb.max().x - 10.0).abs() < 1e-9);
    }
}

#[cfg(test)]
mod union_tests {
    use super::*;

    /// The cell that vanished from a plan (a random compound city, seed
    /// 1834237746877766541): two vertices 1e-13 m apart made geo's unary_union empty.
    #[test]
    fn a_cell_with_nearly_repeated_vertices_keeps_its_area() {
        let p = Polygon::new(
            LineString(vec![
                Coord {
                    x: 7.256869364950799e-16,
                    y: 200.00068201869703,
                },
                Coord {
                    x: 0.0,
                    y: -7.499317981431204,
                },
                Coord {
                    x: 0.0,
                    y: -7.499317981431101,
                },
                Coord {
                    x: 50.99999999913767,
                    y: -7.499317981673265,
                },
                Coord {
                    x: 51.000000002469555,
                    y: 200.00068201869726,
                },
                Coord {
                    x: 7.256869364950799e-16,
                    y: 200.00068201869703,
                },
            ]),
            vec![],
        );
        let u = union_of([p.clone()]);
        assert!(
            (u.unsigned_area() - p.unsigned_area()).abs() < 1e-3,
            "{u:?}"
        );
    }
}

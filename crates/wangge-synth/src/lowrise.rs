//! The low-rise district: detached and terraced houses of 1-6 households along irregular local
//! streets and cul-de-sacs, communities of 1,500-3,000 households bounded by tertiary and
//! secondary roads on a jittered lattice. Grids here hold 50-200 address points (the compound
//! city's hold a handful of large entrances), which is what stresses per-unit work in the
//! partitioner.

use crate::city::{Builder, CityParams, ROADS, community_name, facilities};
use crate::rng::Rng;
use geo_types::{Coord, LineString, MultiPolygon, Polygon};
use std::collections::BTreeMap;
use wangge_core::{Community, Progress};

/// Lattice spacing (m) between the roads that bound communities.
const LATTICE_M: f64 = 600.0;
/// How far (m) a lattice corner may move off its regular place.
const JITTER_M: f64 = 45.0;
/// Local streets across a community.
const ROWS: usize = 11;
/// Houses per community, about (two sides of ROWS streets, less gaps): sizes the lattice.
const POINTS_PER_COMMUNITY: f64 = 780.0;
/// Where the north-south connector runs (u), and where a pair of cul-de-sacs leaves a gap.
const CONNECTOR_U: f64 = 0.5;

/// How one local street crosses the community (u from west to east).
#[derive(Clone, Copy, PartialEq)]
enum Row {
    /// From the west road to the east road.
    Through,
    /// Two cul-de-sacs, from the west road to `CONNECTOR_U - 0.06` and from the east road.
    Pair,
    /// One cul-de-sac from the west road, ending at u.
    West(f64),
    /// One cul-de-sac from the east road, ending at u.
    East(f64),
}

impl Row {
    /// The street pieces as (u from, u to), the first end on a bounding road.
    fn pieces(self) -> Vec<(f64, f64)> {
        match self {
            Row::Through => vec![(0.0, 1.0)],
            Row::Pair => vec![(0.0, CONNECTOR_U - 0.06), (1.0, CONNECTOR_U + 0.06)],
            Row::West(u) => vec![(0.0, u)],
            Row::East(u) => vec![(1.0, u)],
        }
    }
    fn meets_west(self) -> bool {
        !matches!(self, Row::East(_))
    }
    fn meets_east(self) -> bool {
        !matches!(self, Row::West(_))
    }
}

/// One community's plan before anything is emitted: its rows, their wiggle, the connector.
struct Plan {
    rows: Vec<(Row, f64, f64)>, // (kind, amplitude m, phase)
    connector: Option<&'static str>,
    /// 0 = mostly one-household houses, 1 = mostly terraces of several.
    density: f64,
}

// Long: the low-rise district laid out in one pass whose random draws must stay in this order
// for the generated city to stay the same byte for byte.
/// Generates the low-rise district into `b`.
pub(crate) fn district(params: &CityParams, root: &Rng, b: &mut Builder, progress: &dyn Progress) {
    let n_comm = ((params.households as f64 / POINTS_PER_COMMUNITY).round() as usize).max(1);
    let cols = (n_comm as f64).sqrt().ceil() as usize;
    let rows = n_comm.div_ceil(cols);
    let (ox, oy) = (
        -(cols as f64) * LATTICE_M / 2.0,
        -(rows as f64) * LATTICE_M / 2.0,
    );
    progress.start("generating low-rise district", Some(n_comm as u64));
    // Jittered lattice corners.
    let mut jr = root.fork(0x10E);
    let mut corner = vec![vec![Coord { x: 0.0, y: 0.0 }; rows + 1]; cols + 1];
    for (i, col) in corner.iter_mut().enumerate() {
        for (j, c) in col.iter_mut().enumerate() {
            *c = Coord {
                x: ox + i as f64 * LATTICE_M + jr.range(-JITTER_M, JITTER_M),
                y: oy + j as f64 * LATTICE_M + jr.range(-JITTER_M, JITTER_M),
            };
        }
    }
    // Plans first: the bounding roads need every junction as a shared node.
    let plans: Vec<Plan> = (0..n_comm)
        .map(|c| {
            let mut r = root.fork(0x5000 + c as u64);
            let rows = (0..ROWS)
                .map(|_| {
                    let kind = match r.weighted(&[0.45, 0.25, 0.15, 0.15]) {
                        0 => Row::Through,
                        1 => Row::Pair,
                        2 => Row::West(r.range(0.3, 0.8)),
                        _ => Row::East(r.range(0.2, 0.7)),
                    };
                    (kind, r.range(1.5, 5.0), f64::from(r.int(1, 3)))
                })
                .collect();
            let connector = match r.weighted(&[0.4, 0.3, 0.3]) {
                0 => None,
                1 => Some("residential"),
                _ => Some("tertiary"),
            };
            Plan {
                rows,
                connector,
                density: r.f64(),
            }
        })
        .collect();
    let quad = |c: usize| {
        let (i, j) = (c % cols, c / cols);
        [
            corner[i][j],
            corner[i + 1][j],
            corner[i + 1][j + 1],
            corner[i][j + 1],
        ]
    };
    // Junctions on each lattice edge, as the parameter t along it (0 at the lower corner).
    let mut vertical: BTreeMap<(usize, usize), Vec<f64>> = BTreeMap::new();
    let mut horizontal: BTreeMap<(usize, usize), Vec<f64>> = BTreeMap::new();
    for (c, plan) in plans.iter().enumerate() {
        let (i, j) = (c % cols, c / cols);
        for (k, &(row, _, _)) in plan.rows.iter().enumerate() {
            let v = row_v(k);
            if row.meets_west() {
                vertical.entry((i, j)).or_default().push(v);
            }
            if row.meets_east() {
                vertical.entry((i + 1, j)).or_default().push(v);
            }
        }
        if plan.connector.is_some() {
            horizontal.entry((i, j)).or_default().push(CONNECTOR_U);
            horizontal.entry((i, j + 1)).or_default().push(CONNECTOR_U);
        }
    }
    for i in 0..=cols {
        for j in 0..rows {
            let (a, z) = (corner[i][j], corner[i][j + 1]);
            let ts = vertical.remove(&(i, j)).unwrap_or_default();
            let hw = if i % 2 == 0 { "secondary" } else { "tertiary" };
            let name = format!("{}路", ROADS[i % ROADS.len()]);
            road(b, format!("synth:lv{i}_{j}"), hw, name, a, z, ts);
        }
    }
    for j in 0..=rows {
        for i in 0..cols {
            let (a, z) = (corner[i][j], corner[i + 1][j]);
            let ts = horizontal.remove(&(i, j)).unwrap_or_default();
            let hw = if j % 2 == 0 { "secondary" } else { "tertiary" };
            let name = format!("{}街", ROADS[(j + 7) % ROADS.len()]);
            road(b, format!("synth:lh{i}_{j}"), hw, name, a, z, ts);
        }
    }
    for (c, plan) in plans.iter().enumerate() {
        let (i, j) = (c % cols, c / cols);
        let q = quad(c);
        let mut r = root.fork(c as u64 + 1);
        let name = community_name(&mut r);
        let street_no = (i / 3) + (j / 3) * cols.div_ceil(3);
        let code = format!("320115{:03}{:03}", street_no + 1, c + 1);
        let ring: Vec<Coord<f64>> = [q[0], q[1], q[2], q[3], q[0]]
            .iter()
            .map(|p| b.ll(p.x, p.y))
            .collect();
        b.out.communities.push(Community {
            key: code.clone(),
            name,
            street: Some(format!("{}街道", ROADS[street_no % ROADS.len()])),
            kind: "synthetic".into(),
            geometry: MultiPolygon(vec![Polygon::new(LineString(ring), vec![])]),
        });
        community(b, &mut r, &code, &q, plan);
        facilities(b, &mut r, &code, |r| {
            let (u, v) = (r.range(0.08, 0.92), r.range(0.08, 0.92));
            let p = bilinear(&q, u, v);
            (p.x, p.y)
        });
        progress.advance(1);
    }
    progress.finish();
}

/// The v of local street k (rows spread evenly, clear of the bounding roads).
fn row_v(k: usize) -> f64 {
    (k as f64 + 0.5) / ROWS as f64
}

fn bilinear(q: &[Coord<f64>; 4], u: f64, v: f64) -> Coord<f64> {
    let lo = q[0] * (1.0 - u) + q[1] * u;
    let hi = q[3] * (1.0 - u) + q[2] * u;
    lo * (1.0 - v) + hi * v
}

/// A bounding road from `a` to `z` with a shared node at every junction `t` (0..1).
fn road(
    b: &mut Builder,
    key: String,
    hw: &str,
    name: String,
    a: Coord<f64>,
    z: Coord<f64>,
    mut ts: Vec<f64>,
) {
    ts.sort_by(f64::total_cmp);
    ts.dedup();
    let mut pts = vec![(a.x, a.y)];
    for t in ts {
        let p = a * (1.0 - t) + z * t;
        pts.push((p.x, p.y));
    }
    pts.push((z.x, z.y));
    b.street(key, hw, Some(name), &pts, &[("sidewalk", "both")]);
}

/// Local streets, the connector and the houses of one community.
fn community(b: &mut Builder, r: &mut Rng, code: &str, q: &[Coord<f64>; 4], plan: &Plan) {
    // Street points at these u (the connector's u among them, so crossings share a node).
    const STEPS: usize = 16;
    let width = (q[1] - q[0]).x.hypot((q[1] - q[0]).y);
    let height = (q[3] - q[0]).x.hypot((q[3] - q[0]).y);
    // The wiggle of row k at u, in v units: zero at both ends (junctions stay put).
    let wiggle = |k: usize, u: f64| {
        let (_, amp, f) = plan.rows[k];
        amp / height * (std::f64::consts::PI * u * f).sin()
    };
    let at = |k: usize, u: f64| bilinear(q, u, row_v(k) + wiggle(k, u));
    let mut crossings = Vec::new();
    let mut n_house = 0usize;
    let weights = {
        let d = plan.density;
        let sparse = [0.55, 0.25, 0.08, 0.06, 0.03, 0.03];
        let dense = [0.2, 0.25, 0.15, 0.15, 0.13, 0.12];
        let mut w = [0.0; 6];
        for (i, x) in w.iter_mut().enumerate() {
            *x = sparse[i] * (1.0 - d) + dense[i] * d;
        }
        w
    };
    for (k, &(row, _, _)) in plan.rows.iter().enumerate() {
        for (p_no, (u0, u1)) in row.pieces().into_iter().enumerate() {
            let mut us: Vec<f64> = (0..=STEPS)
                .map(|s| s as f64 / STEPS as f64)
                .filter(|&u| u > u0.min(u1) && u < u0.max(u1))
                .collect();
            us.push(u0);
            us.push(u1);
            us.sort_by(f64::total_cmp);
            if u1 < u0 {
                us.reverse();
            }
            let pts: Vec<(f64, f64)> = us
                .iter()
                .map(|&u| {
                    let p = at(k, u);
                    (p.x, p.y)
                })
                .collect();
            if plan.connector.is_some() && u0.min(u1) < CONNECTOR_U && u0.max(u1) > CONNECTOR_U {
                crossings.push(at(k, CONNECTOR_U));
            }
            b.street(
                format!("synth:{code}:r{k}_{p_no}"),
                "residential",
                Some(format!("{}巷", k + 1)),
                &pts,
                &[],
            );
            // Houses on both sides, clear of the bounding roads, the dead end and the connector.
            let len_u = (u1 - u0).abs();
            let len_m = len_u * width;
            let mut s = 16.0 + r.range(0.0, 4.0);
            while s < len_m - 6.0 {
                let u = u0 + (u1 - u0) * s / len_m;
                let near_connector =
                    plan.connector.is_some() && (u - CONNECTOR_U).abs() * width < 14.0;
                if !near_connector {
                    for side in [-1.0, 1.0] {
                        let hh = r.weighted(&weights) as u32 + 1;
                        house(b, r, code, &mut n_house, |t| at(k, t), u, width, side, hh);
                    }
                }
                s += r.range(11.0, 15.0);
            }
        }
    }
    if let Some(hw) = plan.connector {
        let mut pts = vec![bilinear(q, CONNECTOR_U, 0.0)];
        pts.extend(crossings);
        pts.push(bilinear(q, CONNECTOR_U, 1.0));
        pts.sort_by(|a, z| {
            let va = (*a - q[0]).y;
            let vz = (*z - q[0]).y;
            va.total_cmp(&vz)
        });
        let pts: Vec<(f64, f64)> = pts.iter().map(|p| (p.x, p.y)).collect();
        b.street(
            format!("synth:{code}:connector"),
            hw,
            Some(format!("{code}支路")),
            &pts,
            &[("sidewalk", "both")],
        );
    }
}

/// One house beside the street `line` (u → local m) at `u`, on `side`, facing the street.
#[allow(clippy::too_many_arguments)]
fn house(
    b: &mut Builder,
    r: &mut Rng,
    code: &str,
    n: &mut usize,
    line: impl Fn(f64) -> Coord<f64>,
    u: f64,
    width: f64,
    side: f64,
    households: u32,
) {
    let du = 1.0 / width;
    let (p, ahead) = (line(u), line(u + du));
    let t = ahead - p;
    let len = t.x.hypot(t.y).max(1e-9);
    let t = t / len;
    let nrm = Coord { x: -t.y, y: t.x } * side;
    let (w, d) = if households > 1 {
        (r.range(10.0, 12.0), r.range(8.0, 10.0))
    } else {
        (r.range(8.0, 10.0), r.range(7.0, 9.0))
    };
    let front = r.range(6.0, 8.0);
    let c = p + nrm * (front + d / 2.0);
    let corners = [
        (-0.5, -0.5),
        (0.5, -0.5),
        (0.5, 0.5),
        (-0.5, 0.5),
        (-0.5, -0.5),
    ];
    let mut ring: Vec<Coord<f64>> = corners
        .iter()
        .map(|&(a, z)| {
            let g = c + t * (a * w) + nrm * (z * d);
            b.ll(g.x, g.y)
        })
        .collect();
    if side < 0.0 {
        ring.reverse();
    }
    let key = format!("synth:{code}:h{n}");
    *n += 1;
    let levels = if households > 2 { 3 } else { r.int(1, 2) };
    let door = p + nrm * (front - 0.5);
    let door = b.ll(door.x, door.y);
    b.house(key, (households, levels, w * d), ring, door);
}

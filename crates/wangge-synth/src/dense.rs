//! The dense-street city: a street about every 60 m in both directions, each drawn with a
//! vertex every 10 m (slightly off the straight line, as surveyed streets are), houses of 1-6
//! households along the block edges, communities of 10 × 10 blocks bounded by secondary
//! roads. At 500,000 houses it has about 1,000,000 walking nodes: the size of a real city's
//! pedestrian network, which the compound city (few, long streets) never reaches. Built for
//! the city-scale bench (`benches/city_scale.py`), also as OSM XML (`wangge generate --osm`).

use crate::city::{Builder, CityParams, ROADS, community_name, facilities};
use crate::rng::Rng;
use geo_types::Coord;
use wangge_core::{Community, Progress};

/// Block side (m), street centre line to street centre line.
pub const BLOCK_M: f64 = 60.0;
/// Street vertices per block side (one every 10 m).
const STEPS: usize = 6;
/// Blocks per community side.
const COMMUNITY_BLOCKS: usize = 10;
/// Houses per block, on average (4-7).
const HOUSES_PER_BLOCK: f64 = 5.5;

/// Where vertex `k` (0..=STEPS × blocks) of street line `line` lies across the line (m): 0 at
/// crossings (shared nodes), a deterministic wiggle of up to 0.8 m between them.
fn wiggle(seed: u64, line: usize, k: usize, vertical: bool) -> f64 {
    if k.is_multiple_of(STEPS) {
        return 0.0;
    }
    let mut r = Rng::new(seed ^ ((line as u64) << 32) ^ (k as u64) ^ (u64::from(vertical) << 63));
    r.range(-0.8, 0.8)
}

/// Generates the dense district into `b`: `params.households` is read as houses.
pub(crate) fn district(params: &CityParams, root: &Rng, b: &mut Builder, progress: &dyn Progress) {
    let blocks = ((params.households as f64 / HOUSES_PER_BLOCK).ceil() as usize).max(1);
    // Whole communities: the side is a multiple of COMMUNITY_BLOCKS.
    let side = ((blocks as f64).sqrt().ceil() as usize)
        .div_ceil(COMMUNITY_BLOCKS)
        .max(1)
        * COMMUNITY_BLOCKS;
    let rows = blocks.div_ceil(side).div_ceil(COMMUNITY_BLOCKS) * COMMUNITY_BLOCKS;
    let o = Coord {
        x: -(side as f64) * BLOCK_M / 2.0,
        y: -(rows as f64) * BLOCK_M / 2.0,
    };
    let seed = params.seed;
    let comm_cols = side / COMMUNITY_BLOCKS;
    let comm_rows = rows / COMMUNITY_BLOCKS;
    progress.start(
        "generating dense district",
        Some((comm_cols * comm_rows) as u64),
    );
    // Streets: one way per community side, vertices every 10 m, crossings shared.
    for (vertical, lines, across) in [(true, side, rows), (false, rows, side)] {
        for line in 0..=lines {
            let arterial = line % COMMUNITY_BLOCKS == 0;
            let name = format!(
                "{}{}",
                ROADS[line % ROADS.len()],
                if vertical { "路" } else { "街" }
            );
            let hw = if arterial { "secondary" } else { "residential" };
            for part in 0..across / COMMUNITY_BLOCKS {
                let k0 = part * COMMUNITY_BLOCKS * STEPS;
                let pts: Vec<(f64, f64)> = (k0..=k0 + COMMUNITY_BLOCKS * STEPS)
                    .map(|k| {
                        let along = k as f64 * BLOCK_M / STEPS as f64;
                        let at = line as f64 * BLOCK_M + wiggle(seed, line, k, vertical);
                        if vertical {
                            (o.x + at, o.y + along)
                        } else {
                            (o.x + along, o.y + at)
                        }
                    })
                    .collect();
                b.street(
                    format!("synth:{}{line}_{part}", if vertical { "v" } else { "h" }),
                    hw,
                    Some(name.clone()),
                    &pts,
                    &[("sidewalk", "both")],
                );
            }
        }
    }
    let mut n_block = 0usize;
    for cj in 0..comm_rows {
        for ci in 0..comm_cols {
            let c = cj * comm_cols + ci;
            let mut r = root.fork(0xDE05E ^ (c as u64 + 1));
            let code = format!("320102{:03}{:04}", (ci / 4) + (cj / 4) * 64 + 1, c + 1);
            let (x0, y0) = (
                o.x + (ci * COMMUNITY_BLOCKS) as f64 * BLOCK_M,
                o.y + (cj * COMMUNITY_BLOCKS) as f64 * BLOCK_M,
            );
            let size = COMMUNITY_BLOCKS as f64 * BLOCK_M;
            b.out.communities.push(Community {
                key: code.clone(),
                name: community_name(&mut r),
                street: Some(format!("{}街道", ROADS[(ci / 4 + cj / 4) % ROADS.len()])),
                kind: "synthetic".into(),
                geometry: b.rect(x0, y0, x0 + size, y0 + size),
            });
            let mut n_house = 0;
            for bj in 0..COMMUNITY_BLOCKS {
                for bi in 0..COMMUNITY_BLOCKS {
                    if n_block >= blocks {
                        continue;
                    }
                    n_block += 1;
                    let bx = x0 + bi as f64 * BLOCK_M;
                    let by = y0 + bj as f64 * BLOCK_M;
                    let count = r.int(4, 7);
                    for h in 0..count {
                        house(b, &mut r, &code, &mut n_house, (bx, by), h, count);
                    }
                }
            }
            facilities(b, &mut r, &code, |r| {
                // In a block of the community, between its houses.
                let bi = r.int(0, COMMUNITY_BLOCKS as u32 - 1) as f64;
                let bj = r.int(0, COMMUNITY_BLOCKS as u32 - 1) as f64;
                (
                    x0 + bi * BLOCK_M + r.range(20.0, 40.0),
                    y0 + bj * BLOCK_M + r.range(25.0, 35.0),
                )
            });
            progress.advance(1);
        }
    }
    progress.finish();
}

/// House `h` of `count` in the block with south-west corner `(bx, by)`: the first half along
/// the south street, the rest along the north street, facing it.
fn house(
    b: &mut Builder,
    r: &mut Rng,
    code: &str,
    n: &mut usize,
    (bx, by): (f64, f64),
    h: u32,
    count: u32,
) {
    let south = h < count / 2;
    let (i, of) = if south {
        (h, count / 2)
    } else {
        (h - count / 2, count - count / 2)
    };
    let slot = (BLOCK_M - 16.0) / f64::from(of);
    let cx = bx + 8.0 + slot * (f64::from(i) + 0.5);
    let (w, d) = (r.range(8.0, 10.0).min(slot - 1.0), r.range(7.0, 9.0));
    let (y_door, cy) = if south {
        (by + 6.5, by + 7.0 + d / 2.0)
    } else {
        (by + BLOCK_M - 6.5, by + BLOCK_M - 7.0 - d / 2.0)
    };
    let households = r.weighted(&[0.45, 0.2, 0.12, 0.1, 0.08, 0.05]) as u32 + 1;
    let levels = if households > 2 { 3 } else { r.int(1, 2) };
    let key = format!("synth:{code}:h{n}");
    *n += 1;
    let ring: Vec<Coord<f64>> = [
        (-0.5, -0.5),
        (0.5, -0.5),
        (0.5, 0.5),
        (-0.5, 0.5),
        (-0.5, -0.5),
    ]
    .iter()
    .map(|&(a, z)| b.ll(cx + a * w, cy + z * d))
    .collect();
    let door = b.ll(cx, y_door);
    b.house(key, (households, levels, w * d), ring, door);
}

#[cfg(test)]
mod tests {
    use crate::{CityParams, Layout, generate};

    #[test]
    fn a_street_every_60_m_with_shared_crossings_and_whole_communities() {
        let p = CityParams {
            layout: Layout::Dense,
            ..CityParams::new(3000, 7)
        };
        let d = generate(&p, &wangge_core::NoProgress);
        let again = generate(&p, &wangge_core::NoProgress);
        assert_eq!(d.address_points, again.address_points, "deterministic");
        let n = d.address_points.len();
        assert!((2700..=3600).contains(&n), "{n} houses");
        assert_eq!(n, d.buildings.len());
        // Communities of 10 x 10 blocks, each about 2,000 households at full size.
        assert!(d.communities.len() >= 4);
        // Streets: 10 m vertices; crossings appear in two ways (one each direction).
        let mut seen = std::collections::HashMap::new();
        for s in &d.streets {
            for c in &s.geometry.0 {
                *seen.entry((c.x.to_bits(), c.y.to_bits())).or_insert(0) += 1;
            }
        }
        let shared = seen.values().filter(|&&k| k >= 2).count();
        assert!(shared > 100, "{shared} shared vertices");
        let nodes = seen.len();
        assert!(
            (1.5 * n as f64..2.5 * n as f64).contains(&(nodes as f64)),
            "{nodes} street vertices for {n} houses"
        );
    }
}

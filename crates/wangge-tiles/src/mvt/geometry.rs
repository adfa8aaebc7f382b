//! Tile geometry in integer pixel coordinates and its MVT command encoding: MoveTo, LineTo and
//! ClosePath command integers with zigzag-encoded deltas, the cursor carried across parts.

use super::pbf::zigzag;

/// A point in tile pixels (y down).
pub type Pt = [i32; 2];

/// Geometry of one feature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TileGeom {
    Points(Vec<Pt>),
    Lines(Vec<Vec<Pt>>),
    /// Polygons: exterior ring (positive area) then its holes, rings not closed.
    Polygons(Vec<Vec<Vec<Pt>>>),
}

/// MVT geometry types.
pub const POINT: u32 = 1;
pub const LINESTRING: u32 = 2;
pub const POLYGON: u32 = 3;

pub const MOVE_TO: u32 = 1;
pub const LINE_TO: u32 = 2;
pub const CLOSE_PATH: u32 = 7;

/// A command integer.
pub fn command(id: u32, count: u32) -> u32 {
    (id & 7) | (count << 3)
}

/// Twice the signed area by the surveyor's formula in tile coordinates: positive for an
/// exterior ring (clockwise on screen, y down), negative for a hole.
pub fn ring_area2(ring: &[Pt]) -> i64 {
    let n = ring.len();
    (0..n)
        .map(|i| {
            let (a, b) = (ring[i], ring[(i + 1) % n]);
            i64::from(a[0]) * i64::from(b[1]) - i64::from(b[0]) * i64::from(a[1])
        })
        .sum()
}

/// The command stream of a polygon of one ring (not closed; exterior positive), into a
/// reused buffer (cleared first).
pub fn encode_ring_into(out: &mut Vec<u32>, mut ring: impl ExactSizeIterator<Item = Pt>) {
    out.clear();
    let n = ring.len();
    let Some(first) = ring.next() else { return };
    out.reserve(2 * n + 3);
    out.push(command(MOVE_TO, 1));
    out.push(zigzag(first[0]));
    out.push(zigzag(first[1]));
    out.push(command(LINE_TO, (n - 1) as u32));
    let mut cur = first;
    for p in ring {
        out.push(zigzag(p[0].wrapping_sub(cur[0])));
        out.push(zigzag(p[1].wrapping_sub(cur[1])));
        cur = p;
    }
    out.push(command(CLOSE_PATH, 1));
}

impl TileGeom {
    pub fn is_empty(&self) -> bool {
        match self {
            TileGeom::Points(p) => p.is_empty(),
            TileGeom::Lines(l) => l.is_empty(),
            TileGeom::Polygons(p) => p.is_empty(),
        }
    }

    pub fn geom_type(&self) -> u32 {
        match self {
            TileGeom::Points(_) => POINT,
            TileGeom::Lines(_) => LINESTRING,
            TileGeom::Polygons(_) => POLYGON,
        }
    }

    /// The command stream. Expects clean input (no repeated points, lines of two or more
    /// points, rings of three or more with exteriors positive and holes negative), which
    /// [`super::clip`] produces.
    pub fn encode(&self) -> Vec<u32> {
        let mut out = Vec::new();
        self.encode_into(&mut out);
        out
    }

    /// [`TileGeom::encode`] into a reused buffer (cleared first).
    pub fn encode_into(&self, out: &mut Vec<u32>) {
        out.clear();
        let mut cur = [0i32, 0i32];
        let push = |out: &mut Vec<u32>, p: Pt, cur: &mut Pt| {
            out.push(zigzag(p[0].wrapping_sub(cur[0])));
            out.push(zigzag(p[1].wrapping_sub(cur[1])));
            *cur = p;
        };
        match self {
            TileGeom::Points(pts) => {
                out.push(command(MOVE_TO, pts.len() as u32));
                for &p in pts {
                    push(out, p, &mut cur);
                }
            }
            TileGeom::Lines(lines) => {
                for line in lines {
                    out.push(command(MOVE_TO, 1));
                    push(out, line[0], &mut cur);
                    out.push(command(LINE_TO, (line.len() - 1) as u32));
                    for &p in &line[1..] {
                        push(out, p, &mut cur);
                    }
                }
            }
            TileGeom::Polygons(polys) => {
                for ring in polys.iter().flatten() {
                    out.push(command(MOVE_TO, 1));
                    push(out, ring[0], &mut cur);
                    out.push(command(LINE_TO, (ring.len() - 1) as u32));
                    for &p in &ring[1..] {
                        push(out, p, &mut cur);
                    }
                    out.push(command(CLOSE_PATH, 1));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_the_spec_examples() {
        // MVT 2.1 spec, 4.3.5.1: a point at (25, 17).
        assert_eq!(TileGeom::Points(vec![[25, 17]]).encode(), vec![9, 50, 34]);
        // 4.3.5.3: a linestring (2,2) (2,10) (10,10).
        assert_eq!(
            TileGeom::Lines(vec![vec![[2, 2], [2, 10], [10, 10]]]).encode(),
            vec![9, 4, 4, 18, 0, 16, 16, 0]
        );
        // 4.3.5.5: a polygon (3,6) (8,12) (20,34), closed.
        assert_eq!(
            TileGeom::Polygons(vec![vec![vec![[3, 6], [8, 12], [20, 34]]]]).encode(),
            vec![9, 6, 12, 18, 10, 12, 24, 44, 15]
        );
        assert!(
            ring_area2(&[[3, 6], [8, 12], [20, 34]]) > 0,
            "the spec's exterior is positive"
        );
    }
}

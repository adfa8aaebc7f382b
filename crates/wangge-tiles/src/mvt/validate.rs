//! A strict MVT 2.1 decoder and validator: every emitted tile goes through it in the tests.
//! Lenient decoders (the usual JavaScript one) accept many broken tiles; this one checks the
//! wire format, layer and feature fields, command integers and their parameter counts, zigzag
//! deltas within i32, zero-length LineTo, ring winding (exterior positive by the surveyor's
//! formula), ring self-intersection, and optionally that coordinates stay within the buffer.

use super::encode::Value;
use super::geometry::{CLOSE_PATH, LINE_TO, LINESTRING, MOVE_TO, POINT, POLYGON, Pt, ring_area2};
use super::pbf::{Field, Reader, unpack_u32, unzigzag};

/// What to check beyond the specification.
#[derive(Debug, Clone, Copy, Default)]
pub struct Rules {
    /// Coordinates must lie within [-buffer, extent + buffer].
    pub buffer: Option<u32>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DecodedTile {
    pub layers: Vec<DecodedLayer>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DecodedLayer {
    pub name: String,
    pub version: u32,
    pub extent: u32,
    pub features: Vec<DecodedFeature>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DecodedFeature {
    pub id: Option<u64>,
    pub geom_type: u32,
    pub props: Vec<(String, Value)>,
    /// Points: one part holding every point; lines: one part per line; polygons: one part
    /// per ring (not closed).
    pub parts: Vec<Vec<Pt>>,
}

impl DecodedFeature {
    pub fn prop(&self, key: &str) -> Option<&Value> {
        self.props.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }
}

/// Decodes and checks a tile; the error lists every problem found.
pub fn validate(bytes: &[u8], rules: &Rules) -> Result<DecodedTile, Vec<String>> {
    let mut problems = Vec::new();
    let mut layers = Vec::new();
    let mut r = Reader::new(bytes);
    loop {
        match r.next_field() {
            Ok(None) => break,
            Ok(Some((3, Field::Bytes(b)))) => match layer(b, rules, &mut problems) {
                Some(l) => layers.push(l),
                None => continue,
            },
            Ok(Some((3, _))) => problems.push("tile: layers field has the wrong wire type".into()),
            Ok(Some(_)) => {} // unknown fields are skipped, as protobuf requires
            Err(e) => {
                problems.push(format!("tile: {e}"));
                break;
            }
        }
    }
    let mut names: Vec<&str> = layers.iter().map(|l| l.name.as_str()).collect();
    names.sort_unstable();
    for w in names.windows(2) {
        if w[0] == w[1] {
            problems.push(format!("tile: two layers named {:?}", w[0]));
        }
    }
    if problems.is_empty() {
        Ok(DecodedTile { layers })
    } else {
        Err(problems)
    }
}

fn layer(bytes: &[u8], rules: &Rules, problems: &mut Vec<String>) -> Option<DecodedLayer> {
    let mut name: Option<String> = None;
    let mut version: Option<u32> = None;
    let mut extent: u32 = 4096;
    let mut keys = Vec::new();
    let mut values = Vec::new();
    let mut raw_features = Vec::new();
    let mut r = Reader::new(bytes);
    let before = problems.len();
    loop {
        let f = match r.next_field() {
            Ok(None) => break,
            Ok(Some(f)) => f,
            Err(e) => {
                problems.push(format!("layer: {e}"));
                return None;
            }
        };
        match f {
            (1, Field::Bytes(b)) => match std::str::from_utf8(b) {
                Ok(s) => name = Some(s.to_string()),
                Err(_) => problems.push("layer: name is not UTF-8".into()),
            },
            (2, Field::Bytes(b)) => raw_features.push(b),
            (3, Field::Bytes(b)) => match std::str::from_utf8(b) {
                Ok(s) => keys.push(s.to_string()),
                Err(_) => problems.push("layer: a key is not UTF-8".into()),
            },
            (4, Field::Bytes(b)) => match value(b) {
                Ok(v) => values.push(v),
                Err(e) => problems.push(format!("layer: value {}: {e}", values.len())),
            },
            (5, Field::Varint(v)) => match u32::try_from(v) {
                Ok(e) if e > 0 => extent = e,
                _ => problems.push(format!("layer: extent {v} is not a positive uint32")),
            },
            (15, Field::Varint(v)) => version = u32::try_from(v).ok(),
            (1..=5 | 15, _) => {
                problems.push(format!("layer: field {} has the wrong wire type", f.0))
            }
            _ => {}
        }
    }
    let Some(name) = name else {
        problems.push("layer: no name".into());
        return None;
    };
    let who = format!("layer {name:?}");
    match version {
        // Version 1 layers read the same way (the fixtures count them valid under 2.1).
        Some(1 | 2) => {}
        Some(v) => problems.push(format!("{who}: version {v} (1 or 2 expected)")),
        None => problems.push(format!("{who}: no version")),
    }
    let mut features = Vec::new();
    for (i, b) in raw_features.into_iter().enumerate() {
        if let Some(f) = feature(
            b,
            &keys,
            &values,
            extent,
            rules,
            &format!("{who} feature {i}"),
            problems,
        ) {
            features.push(f);
        }
    }
    (problems.len() == before).then_some(DecodedLayer {
        name,
        version: version.unwrap_or(0),
        extent,
        features,
    })
}

fn value(bytes: &[u8]) -> Result<Value, String> {
    let mut r = Reader::new(bytes);
    let mut out = Vec::new();
    while let Some(f) = r.next_field().map_err(|e| e.to_string())? {
        let v = match f {
            (1, Field::Bytes(b)) => Value::String(
                std::str::from_utf8(b)
                    .map_err(|_| "string value is not UTF-8".to_string())?
                    .to_string(),
            ),
            (2, Field::Fixed32(x)) => Value::Double(f64::from(f32::from_bits(x))),
            (3, Field::Fixed64(x)) => Value::Double(f64::from_bits(x)),
            (4, Field::Varint(x)) => Value::Int(x as i64),
            (5, Field::Varint(x)) => Value::UInt(x),
            (6, Field::Varint(x)) => Value::Int(((x >> 1) as i64) ^ -((x & 1) as i64)),
            (7, Field::Varint(x)) => Value::Bool(x != 0),
            (n, _) => {
                return Err(format!(
                    "field {n} is not a value type (or has the wrong wire type)"
                ));
            }
        };
        out.push(v);
    }
    match out.len() {
        1 => Ok(out.remove(0)),
        0 => Err("no value".into()),
        n => Err(format!("{n} values in one (exactly one allowed)")),
    }
}

// Long: one strict decoder of a feature's fields and geometry command stream, checks in the
// order of the MVT 2.1 specification.
fn feature(
    bytes: &[u8],
    keys: &[String],
    values: &[Value],
    extent: u32,
    rules: &Rules,
    who: &str,
    problems: &mut Vec<String>,
) -> Option<DecodedFeature> {
    let mut id = None;
    let mut tags: Vec<u32> = Vec::new();
    let mut geom_type: Option<u32> = None;
    let mut geometry: Option<Vec<u32>> = None;
    let mut r = Reader::new(bytes);
    loop {
        let f = match r.next_field() {
            Ok(None) => break,
            Ok(Some(f)) => f,
            Err(e) => {
                problems.push(format!("{who}: {e}"));
                return None;
            }
        };
        match f {
            (1, Field::Varint(v)) => id = Some(v),
            (2, Field::Bytes(b)) => match unpack_u32(b) {
                Ok(t) => tags.extend(t),
                Err(e) => problems.push(format!("{who}: tags: {e}")),
            },
            (3, Field::Varint(v)) => geom_type = Some(u32::try_from(v).unwrap_or(u32::MAX)),
            (4, Field::Bytes(b)) => match unpack_u32(b) {
                Ok(g) if geometry.is_none() => geometry = Some(g),
                Ok(_) => problems.push(format!("{who}: the geometry field appears twice")),
                Err(e) => problems.push(format!("{who}: geometry: {e}")),
            },
            (1..=4, _) => problems.push(format!("{who}: field {} has the wrong wire type", f.0)),
            _ => {}
        }
    }
    if !tags.len().is_multiple_of(2) {
        problems.push(format!("{who}: odd number of tags"));
        return None;
    }
    let mut props = Vec::new();
    for pair in tags.chunks(2) {
        let (Some(k), Some(v)) = (keys.get(pair[0] as usize), values.get(pair[1] as usize)) else {
            problems.push(format!(
                "{who}: tag ({}, {}) points past the keys or values",
                pair[0], pair[1]
            ));
            return None;
        };
        props.push((k.clone(), v.clone()));
    }
    let Some(geometry) = geometry else {
        problems.push(format!("{who}: no geometry"));
        return None;
    };
    let Some(geom_type) = geom_type else {
        problems.push(format!("{who}: no geometry type"));
        return None;
    };
    if geom_type == 0 {
        // UNKNOWN: valid, and its geometry is not interpreted (the spec lets decoders skip it).
        return Some(DecodedFeature {
            id,
            geom_type,
            props,
            parts: Vec::new(),
        });
    }
    if !matches!(geom_type, POINT | LINESTRING | POLYGON) {
        problems.push(format!(
            "{who}: geometry type {geom_type} is not point, line or polygon"
        ));
        return None;
    }
    let parts = match commands(&geometry, geom_type) {
        Ok(p) => p,
        Err(e) => {
            problems.push(format!("{who}: {e}"));
            return None;
        }
    };
    let before = problems.len();
    if let Some(b) = rules.buffer {
        let (lo, hi) = (-(b as i64), i64::from(extent) + i64::from(b));
        if let Some(p) = parts.iter().flatten().find(|p| {
            !(lo..=hi).contains(&i64::from(p[0])) || !(lo..=hi).contains(&i64::from(p[1]))
        }) {
            problems.push(format!(
                "{who}: point {p:?} lies outside the buffer [{lo}, {hi}]"
            ));
        }
    }
    if geom_type == POLYGON {
        for (k, ring) in parts.iter().enumerate() {
            let a = ring_area2(ring);
            if a == 0 {
                problems.push(format!("{who}: ring {k} has zero area"));
            } else if k == 0 && a < 0 {
                problems.push(format!(
                    "{who}: the first ring winds as a hole (negative area)"
                ));
            }
            if let Some((i, j)) = self_intersection(ring) {
                problems.push(format!(
                    "{who}: ring {k} intersects itself (segments {i} and {j})"
                ));
            }
        }
    }
    (problems.len() == before).then_some(DecodedFeature {
        id,
        geom_type,
        props,
        parts,
    })
}

/// Walks the command stream; returns the parts in absolute coordinates.
fn commands(g: &[u32], geom_type: u32) -> Result<Vec<Vec<Pt>>, String> {
    let mut parts: Vec<Vec<Pt>> = Vec::new();
    // Deltas add with i32 wrap-around (the fixtures count an overflowing coordinate valid;
    // the buffer rule catches it in our own tiles).
    let mut cur = [0i32, 0i32];
    let mut i = 0;
    // What may come next: 0 MoveTo, 1 LineTo (after a line/ring MoveTo), 2 ClosePath.
    let mut expect = MOVE_TO;
    while i < g.len() {
        let (id, count) = (g[i] & 7, g[i] >> 3);
        i += 1;
        if id != expect {
            let ok_restart = id == MOVE_TO && expect == MOVE_TO;
            if !ok_restart {
                return Err(format!(
                    "command {id} at integer {} where {expect} was expected",
                    i - 1
                ));
            }
        }
        let params = match id {
            MOVE_TO | LINE_TO => 2 * count as usize,
            CLOSE_PATH => 0,
            other => return Err(format!("unknown command id {other} at integer {}", i - 1)),
        };
        if count == 0 {
            return Err(format!("command {id} with count 0 at integer {}", i - 1));
        }
        if i + params > g.len() {
            return Err(format!(
                "command {id} x{count} runs past the end of the geometry"
            ));
        }
        let mut pts = Vec::with_capacity(params / 2);
        for k in 0..params / 2 {
            let (dx, dy) = (unzigzag(g[i + 2 * k]), unzigzag(g[i + 2 * k + 1]));
            if id == LINE_TO && dx == 0 && dy == 0 {
                return Err(format!("zero-length LineTo at integer {}", i + 2 * k));
            }
            cur = [cur[0].wrapping_add(dx), cur[1].wrapping_add(dy)];
            pts.push(cur);
        }
        i += params;
        match (geom_type, id) {
            (POINT, MOVE_TO) => {
                if !parts.is_empty() {
                    return Err("a point geometry with more than one MoveTo".into());
                }
                parts.push(pts);
                expect = 0; // nothing may follow
            }
            (LINESTRING | POLYGON, MOVE_TO) => {
                if count != 1 {
                    return Err(format!("MoveTo with count {count} in a line or polygon"));
                }
                parts.push(pts);
                expect = LINE_TO;
            }
            (LINESTRING, LINE_TO) => {
                parts.last_mut().expect("MoveTo came first").extend(pts);
                expect = MOVE_TO;
            }
            (POLYGON, LINE_TO) => {
                let ring = parts.last_mut().expect("MoveTo came first");
                ring.extend(pts);
                if ring.len() < 3 {
                    return Err("a ring with fewer than three points".into());
                }
                expect = CLOSE_PATH;
            }
            (POLYGON, CLOSE_PATH) => {
                if count != 1 {
                    return Err(format!("ClosePath with count {count}"));
                }
                expect = MOVE_TO;
            }
            (t, c) => return Err(format!("command {c} is not allowed in geometry type {t}")),
        }
    }
    match (geom_type, expect) {
        (_, _) if parts.is_empty() => Err("empty geometry".into()),
        (LINESTRING, LINE_TO) => Err("a line ends after its MoveTo".into()),
        (POLYGON, LINE_TO | CLOSE_PATH) => Err("a ring is not closed".into()),
        _ => Ok(parts),
    }
}

fn orient(a: Pt, b: Pt, c: Pt) -> i64 {
    (i64::from(b[0]) - i64::from(a[0])) * (i64::from(c[1]) - i64::from(a[1]))
        - (i64::from(b[1]) - i64::from(a[1])) * (i64::from(c[0]) - i64::from(a[0]))
}

fn on_segment(a: Pt, b: Pt, p: Pt) -> bool {
    p[0] >= a[0].min(b[0])
        && p[0] <= a[0].max(b[0])
        && p[1] >= a[1].min(b[1])
        && p[1] <= a[1].max(b[1])
}

/// Whether segments ab and cd share any point (exact, integer).
fn touches(a: Pt, b: Pt, c: Pt, d: Pt) -> bool {
    let (o1, o2, o3, o4) = (
        orient(a, b, c),
        orient(a, b, d),
        orient(c, d, a),
        orient(c, d, b),
    );
    if o1.signum() * o2.signum() < 0 && o3.signum() * o4.signum() < 0 {
        return true;
    }
    (o1 == 0 && on_segment(a, b, c))
        || (o2 == 0 && on_segment(a, b, d))
        || (o3 == 0 && on_segment(c, d, a))
        || (o4 == 0 && on_segment(c, d, b))
}

/// The first pair of ring segments that meet other than at a shared vertex of neighbours
/// (a ring that crosses or touches itself, or doubles back on itself).
pub fn self_intersection(ring: &[Pt]) -> Option<(usize, usize)> {
    let n = ring.len();
    if n < 3 {
        return None;
    }
    let seg = |i: usize| (ring[i], ring[(i + 1) % n]);
    // Sweep over x: segments sorted by their left end.
    let mut order: Vec<usize> = (0..n).collect();
    let minx = |i: usize| {
        let (a, b) = seg(i);
        a[0].min(b[0])
    };
    order.sort_by_key(|&i| (minx(i), i));
    for (k, &i) in order.iter().enumerate() {
        let (a, b) = seg(i);
        let maxx = a[0].max(b[0]);
        for &j in &order[k + 1..] {
            if minx(j) > maxx {
                break;
            }
            let (c, d) = seg(j);
            let adjacent = (i + 1) % n == j || (j + 1) % n == i;
            if adjacent {
                // Neighbours share one vertex; they must not overlap beyond it.
                let (shared, p, q) = if (i + 1) % n == j {
                    (b, a, d)
                } else {
                    (a, b, c)
                };
                if orient(p, shared, q) == 0 {
                    // Collinear: overlapping when p and q lie on the same side of shared.
                    let dot = (i64::from(p[0]) - i64::from(shared[0]))
                        * (i64::from(q[0]) - i64::from(shared[0]))
                        + (i64::from(p[1]) - i64::from(shared[1]))
                            * (i64::from(q[1]) - i64::from(shared[1]));
                    if dot > 0 {
                        return Some((i.min(j), i.max(j)));
                    }
                }
                continue;
            }
            if touches(a, b, c, d) {
                return Some((i.min(j), i.max(j)));
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mvt::encode::{LayerBuilder, encode_tile};
    use crate::mvt::geometry::TileGeom;

    #[test]
    fn our_encoder_round_trips_through_the_validator() {
        let mut l = LayerBuilder::new("grids", 4096);
        l.add(
            Some(7),
            &TileGeom::Polygons(vec![vec![
                vec![[0, 0], [100, 0], [100, 100], [0, 100]],
                vec![[20, 20], [20, 60], [60, 60], [60, 20]],
            ]]),
            &[
                ("code", "320102001001001".into()),
                ("households", 180u32.into()),
            ],
        );
        l.add(
            None,
            &TileGeom::Lines(vec![vec![[0, 0], [10, 10], [10, 40]]]),
            &[("code", "x".into())],
        );
        let bytes = encode_tile(&[l]);
        let t = validate(&bytes, &Rules { buffer: Some(64) }).expect("valid");
        assert_eq!(t.layers.len(), 1);
        let f = &t.layers[0].features[0];
        assert_eq!(f.id, Some(7));
        assert_eq!(f.prop("households"), Some(&Value::UInt(180)));
        assert_eq!(f.parts.len(), 2);
        assert_eq!(
            t.layers[0].features[1].parts[0],
            vec![[0, 0], [10, 10], [10, 40]]
        );
    }

    #[test]
    fn broken_geometry_is_caught() {
        let check = |g: TileGeom| {
            let mut l = LayerBuilder::new("x", 4096);
            l.add(None, &g, &[]);
            validate(&encode_tile(&[l]), &Rules { buffer: Some(64) })
        };
        // A hole first.
        assert!(
            check(TileGeom::Polygons(vec![vec![vec![
                [0, 0],
                [0, 10],
                [10, 10],
                [10, 0]
            ]]]))
            .is_err()
        );
        // A bow tie.
        assert!(
            check(TileGeom::Polygons(vec![vec![vec![
                [0, 0],
                [10, 10],
                [10, 0],
                [0, 10]
            ]]]))
            .is_err()
        );
        // A repeated point (zero-length LineTo).
        assert!(check(TileGeom::Lines(vec![vec![[0, 0], [0, 0], [5, 5]]])).is_err());
        // Outside the buffer.
        assert!(check(TileGeom::Points(vec![[5000, 10]])).is_err());
        // A ring that touches itself at a vertex.
        let touch = vec![[0, 0], [20, 0], [20, 20], [10, 0], [0, 20]];
        assert!(self_intersection(&touch).is_some());
        assert!(self_intersection(&[[0, 0], [10, 0], [10, 10], [0, 10]]).is_none());
        // Truncated bytes are an error, not a panic.
        let mut l = LayerBuilder::new("x", 4096);
        l.add(None, &TileGeom::Points(vec![[1, 2]]), &[]);
        let b = encode_tile(&[l]);
        assert!(validate(&b[..b.len() - 3], &Rules::default()).is_err());
    }
}

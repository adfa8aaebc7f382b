//! GeoPackage geometry blobs: the `GP` header (version 0, little-endian, srs id, xy envelope)
//! followed by ISO WKB (OGC 12-128r18, 2.1.3).

use geo::BoundingRect;
use geo_types::{
    Coord, Geometry, LineString, MultiLineString, MultiPoint, MultiPolygon, Point, Polygon,
};

/// Encodes a geometry as a GeoPackage blob with an xy envelope.
pub fn encode(g: &Geometry<f64>, srs_id: i32) -> Vec<u8> {
    let mut out = Vec::with_capacity(64);
    out.extend_from_slice(b"GP");
    out.push(0);
    let env = g.bounding_rect();
    // flags: bit 0 little-endian, bits 1-3 envelope 1 = [minx, maxx, miny, maxy], bit 4 empty
    let flags = match env {
        Some(_) => 0b0000_0011,
        None => 0b0001_0001,
    };
    out.push(flags);
    out.extend_from_slice(&srs_id.to_le_bytes());
    if let Some(r) = env {
        for v in [r.min().x, r.max().x, r.min().y, r.max().y] {
            out.extend_from_slice(&v.to_le_bytes());
        }
    }
    wkb(g, &mut out);
    out
}

/// Encodes a geometry as ISO WKB (little-endian, 2D): what PostGIS's `ST_GeomFromWKB` reads.
pub fn encode_wkb(g: &Geometry<f64>) -> Vec<u8> {
    let mut out = Vec::with_capacity(64);
    wkb(g, &mut out);
    out
}

/// Decodes WKB (2D; Z and M ordinates are dropped), as PostGIS's `ST_AsBinary` writes it.
/// `None` when malformed.
pub fn decode_wkb(bytes: &[u8]) -> Option<Geometry<f64>> {
    read_wkb(&mut Reader {
        b: bytes,
        i: 0,
        le: true,
    })
}

fn wkb(g: &Geometry<f64>, out: &mut Vec<u8>) {
    let head = |out: &mut Vec<u8>, t: u32| {
        out.push(1);
        out.extend_from_slice(&t.to_le_bytes());
    };
    let coord = |out: &mut Vec<u8>, c: &Coord<f64>| {
        out.extend_from_slice(&c.x.to_le_bytes());
        out.extend_from_slice(&c.y.to_le_bytes());
    };
    let ring = |out: &mut Vec<u8>, r: &LineString<f64>| {
        out.extend_from_slice(&(r.0.len() as u32).to_le_bytes());
        r.0.iter().for_each(|c| coord(out, c));
    };
    let polygon = |out: &mut Vec<u8>, p: &Polygon<f64>| {
        head(out, 3);
        out.extend_from_slice(&(1 + p.interiors().len() as u32).to_le_bytes());
        ring(out, p.exterior());
        p.interiors().iter().for_each(|r| ring(out, r));
    };
    match g {
        Geometry::Point(p) => {
            head(out, 1);
            coord(out, &p.0);
        }
        Geometry::LineString(l) => {
            head(out, 2);
            ring(out, l);
        }
        Geometry::Polygon(p) => polygon(out, p),
        Geometry::MultiPoint(m) => {
            head(out, 4);
            out.extend_from_slice(&(m.0.len() as u32).to_le_bytes());
            for p in &m.0 {
                head(out, 1);
                coord(out, &p.0);
            }
        }
        Geometry::MultiLineString(m) => {
            head(out, 5);
            out.extend_from_slice(&(m.0.len() as u32).to_le_bytes());
            for l in &m.0 {
                head(out, 2);
                ring(out, l);
            }
        }
        Geometry::MultiPolygon(m) => {
            head(out, 6);
            out.extend_from_slice(&(m.0.len() as u32).to_le_bytes());
            m.0.iter().for_each(|p| polygon(out, p));
        }
        other => {
            // Lines, rects, triangles and collections are never stored: encode as their
            // polygon or collection equivalents would need a type the layers do not have.
            let as_multi: MultiPolygon<f64> = match other {
                Geometry::Rect(r) => MultiPolygon(vec![r.to_polygon()]),
                Geometry::Triangle(t) => MultiPolygon(vec![t.to_polygon()]),
                _ => MultiPolygon(vec![]),
            };
            wkb(&Geometry::MultiPolygon(as_multi), out);
        }
    }
}

struct Reader<'a> {
    b: &'a [u8],
    i: usize,
    le: bool,
}

impl Reader<'_> {
    fn take<const N: usize>(&mut self) -> Option<[u8; N]> {
        let s = self.b.get(self.i..self.i + N)?;
        self.i += N;
        s.try_into().ok()
    }
    fn u32(&mut self) -> Option<u32> {
        let b = self.take::<4>()?;
        Some(if self.le {
            u32::from_le_bytes(b)
        } else {
            u32::from_be_bytes(b)
        })
    }
    fn f64(&mut self) -> Option<f64> {
        let b = self.take::<8>()?;
        Some(if self.le {
            f64::from_le_bytes(b)
        } else {
            f64::from_be_bytes(b)
        })
    }
    fn count(&mut self) -> Option<usize> {
        let n = self.u32()? as usize;
        // a count can never exceed the remaining bytes: guards against absurd allocations
        (n <= self.b.len().saturating_sub(self.i)).then_some(n)
    }
}

/// Decodes a GeoPackage blob (2D; Z and M ordinates are dropped). `None` when malformed.
pub fn decode(blob: &[u8]) -> Option<Geometry<f64>> {
    if blob.len() < 8 || &blob[0..2] != b"GP" {
        return None;
    }
    let flags = blob[3];
    let env_len = match (flags >> 1) & 0b111 {
        0 => 0,
        1 => 32,
        2 | 3 => 48,
        4 => 64,
        _ => return None,
    };
    let start = 8 + env_len;
    read_wkb(&mut Reader {
        b: blob.get(start..)?,
        i: 0,
        le: true,
    })
}

fn read_wkb(r: &mut Reader<'_>) -> Option<Geometry<f64>> {
    r.le = r.take::<1>()?[0] == 1;
    let t = r.u32()?;
    let (base, dims) = match t {
        1..=7 => (t, 2),
        1001..=1007 | 2001..=2007 => (t % 1000, 3),
        3001..=3007 => (t % 1000, 4),
        _ => return None,
    };
    let coord = |r: &mut Reader<'_>| -> Option<Coord<f64>> {
        let c = Coord {
            x: r.f64()?,
            y: r.f64()?,
        };
        for _ in 2..dims {
            r.f64()?;
        }
        Some(c)
    };
    let line = |r: &mut Reader<'_>| -> Option<LineString<f64>> {
        let n = r.count()?;
        (0..n)
            .map(|_| coord(r))
            .collect::<Option<Vec<_>>>()
            .map(LineString)
    };
    let polygon = |r: &mut Reader<'_>| -> Option<Polygon<f64>> {
        let n = r.count()?;
        let mut rings = (0..n).map(|_| line(r)).collect::<Option<Vec<_>>>()?;
        if rings.is_empty() {
            return Some(Polygon::new(LineString(vec![]), vec![]));
        }
        let ext = rings.remove(0);
        Some(Polygon::new(ext, rings))
    };
    Some(match base {
        1 => Geometry::Point(Point(coord(r)?)),
        2 => Geometry::LineString(line(r)?),
        3 => Geometry::Polygon(polygon(r)?),
        4..=6 => {
            let n = r.count()?;
            let parts = (0..n).map(|_| read_wkb(r)).collect::<Option<Vec<_>>>()?;
            match base {
                4 => Geometry::MultiPoint(MultiPoint(
                    parts
                        .into_iter()
                        .map(Point::try_from)
                        .collect::<Result<_, _>>()
                        .ok()?,
                )),
                5 => Geometry::MultiLineString(MultiLineString(
                    parts
                        .into_iter()
                        .map(LineString::try_from)
                        .collect::<Result<_, _>>()
                        .ok()?,
                )),
                _ => Geometry::MultiPolygon(MultiPolygon(
                    parts
                        .into_iter()
                        .map(Polygon::try_from)
                        .collect::<Result<_, _>>()
                        .ok()?,
                )),
            }
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo_types::{line_string, point, polygon};

    #[test]
    fn round_trips() {
        let p = polygon!(
            exterior: [(x: 0., y: 0.), (x: 4., y: 0.), (x: 4., y: 4.), (x: 0., y: 4.), (x: 0., y: 0.)],
            interiors: [[(x: 1., y: 1.), (x: 2., y: 1.), (x: 2., y: 2.), (x: 1., y: 1.)]],
        );
        let cases: Vec<Geometry<f64>> = vec![
            point!(x: 118.78, y: 32.04).into(),
            line_string![(x: 1., y: 2.), (x: 3., y: 4.)].into(),
            MultiPolygon(vec![p.clone(), p]).into(),
        ];
        for g in cases {
            let blob = encode(&g, 4326);
            assert_eq!(&blob[0..2], b"GP");
            assert_eq!(
                i32::from_le_bytes([blob[4], blob[5], blob[6], blob[7]]),
                4326
            );
            assert_eq!(decode(&blob), Some(g));
        }
    }

    #[test]
    fn rejects_garbage() {
        assert_eq!(decode(b""), None);
        assert_eq!(decode(b"GP\0\x03\0\0\0\0"), None);
        let mut blob = encode(&point!(x: 1., y: 2.).into(), 4326);
        blob.truncate(blob.len() - 3);
        assert_eq!(decode(&blob), None);
    }
}

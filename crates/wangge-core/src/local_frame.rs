//! A local metric projection: transverse Mercator on the WGS84 ellipsoid, centred on the data
//! (scale 1 on the central meridian), using Krüger's series to fourth order in n (Karney 2011).
//! Within tens of kilometres of the centre, lengths are true to better than 1e-5 and areas to
//! better than 2e-5, so every length and area in Wangge is measured here, never in degrees.

use geo::{Area, Centroid, MapCoords};
use geo_types::{Coord, Geometry, Rect};

const A: f64 = 6_378_137.0;
const F: f64 = 1.0 / 298.257_223_563;

/// A transverse Mercator frame centred on (`lon0`, `lat0`); x east, y north, metres.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LocalFrame {
    lon0: f64,
    y0: f64,
    a_hat: f64,
    alpha: [f64; 4],
    beta: [f64; 4],
    delta: [f64; 4],
    e_term: f64,
}

impl LocalFrame {
    /// A frame centred on the given point (degrees).
    pub fn new(lon0: f64, lat0: f64) -> Self {
        let n = F / (2.0 - F);
        let (n2, n3, n4) = (n * n, n * n * n, n * n * n * n);
        let a_hat = A / (1.0 + n) * (1.0 + n2 / 4.0 + n4 / 64.0);
        let alpha = [
            n / 2.0 - 2.0 * n2 / 3.0 + 5.0 * n3 / 16.0 + 41.0 * n4 / 180.0,
            13.0 * n2 / 48.0 - 3.0 * n3 / 5.0 + 557.0 * n4 / 1440.0,
            61.0 * n3 / 240.0 - 103.0 * n4 / 140.0,
            49_561.0 * n4 / 161_280.0,
        ];
        let beta = [
            n / 2.0 - 2.0 * n2 / 3.0 + 37.0 * n3 / 96.0 - n4 / 360.0,
            n2 / 48.0 + n3 / 15.0 - 437.0 * n4 / 1440.0,
            17.0 * n3 / 480.0 - 37.0 * n4 / 840.0,
            4397.0 * n4 / 161_280.0,
        ];
        let delta = [
            2.0 * n - 2.0 * n2 / 3.0 - 2.0 * n3 + 116.0 * n4 / 45.0,
            7.0 * n2 / 3.0 - 8.0 * n3 / 5.0 - 227.0 * n4 / 45.0,
            56.0 * n3 / 15.0 - 136.0 * n4 / 35.0,
            4279.0 * n4 / 630.0,
        ];
        let mut frame = Self {
            lon0,
            y0: 0.0,
            a_hat,
            alpha,
            beta,
            delta,
            e_term: 2.0 * n.sqrt() / (1.0 + n),
        };
        frame.y0 = frame.forward_raw(lon0, lat0).y;
        frame
    }

    /// A frame centred on a geometry's centroid (or the origin for an empty geometry).
    pub fn around(geometry: &Geometry<f64>) -> Self {
        let c = geometry.centroid().map(|p| p.0).unwrap_or_default();
        Self::new(c.x, c.y)
    }

    /// A frame centred on a bounding box.
    pub fn around_rect(rect: Rect<f64>) -> Self {
        let c = rect.center();
        Self::new(c.x, c.y)
    }

    /// The centre (lon, lat).
    pub fn lon0(&self) -> f64 {
        self.lon0
    }

    fn forward_raw(&self, lon: f64, lat: f64) -> Coord<f64> {
        let phi = lat.to_radians();
        let lam = (lon - self.lon0).to_radians();
        let t = (phi.sin().atanh() - self.e_term * (self.e_term * phi.sin()).atanh()).sinh();
        let xi_p = t.atan2(lam.cos());
        let eta_p = (lam.sin() / (1.0 + t * t).sqrt()).atanh();
        let (mut xi, mut eta) = (xi_p, eta_p);
        for (j, a) in self.alpha.iter().enumerate() {
            let k = 2.0 * (j as f64 + 1.0);
            xi += a * (k * xi_p).sin() * (k * eta_p).cosh();
            eta += a * (k * xi_p).cos() * (k * eta_p).sinh();
        }
        Coord {
            x: self.a_hat * eta,
            y: self.a_hat * xi,
        }
    }

    /// Degrees to local metres.
    pub fn forward(&self, c: Coord<f64>) -> Coord<f64> {
        let p = self.forward_raw(c.x, c.y);
        Coord {
            x: p.x,
            y: p.y - self.y0,
        }
    }

    /// Local metres to degrees.
    pub fn inverse(&self, c: Coord<f64>) -> Coord<f64> {
        let xi = (c.y + self.y0) / self.a_hat;
        let eta = c.x / self.a_hat;
        let (mut xi_p, mut eta_p) = (xi, eta);
        for (j, b) in self.beta.iter().enumerate() {
            let k = 2.0 * (j as f64 + 1.0);
            xi_p -= b * (k * xi).sin() * (k * eta).cosh();
            eta_p -= b * (k * xi).cos() * (k * eta).sinh();
        }
        let chi = (xi_p.sin() / eta_p.cosh()).asin();
        let mut phi = chi;
        for (j, d) in self.delta.iter().enumerate() {
            phi += d * (2.0 * (j as f64 + 1.0) * chi).sin();
        }
        let lam = eta_p.sinh().atan2(xi_p.cos());
        Coord {
            x: self.lon0 + lam.to_degrees(),
            y: phi.to_degrees(),
        }
    }

    /// Projects a whole geometry to local metres.
    pub fn project<G: MapCoords<f64, f64, Output = G>>(&self, g: &G) -> G {
        g.map_coords(|c| self.forward(c))
    }

    /// Unprojects a whole geometry back to degrees.
    pub fn unproject<G: MapCoords<f64, f64, Output = G>>(&self, g: &G) -> G {
        g.map_coords(|c| self.inverse(c))
    }

    /// Area in square metres of a lon/lat geometry.
    pub fn area_m2<G: MapCoords<f64, f64, Output = G> + Area<f64>>(&self, g: &G) -> f64 {
        self.project(g).unsigned_area()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{Distance, Geodesic, GeodesicArea};
    use geo_types::{Point, polygon};

    #[test]
    fn round_trip_is_sub_millimetre() {
        let f = LocalFrame::new(118.78, 32.04);
        for i in 0..50 {
            let c = Coord {
                x: 118.6 + f64::from(i) * 0.008,
                y: 31.9 + f64::from(i) * 0.006,
            };
            let back = f.inverse(f.forward(c));
            assert!((back.x - c.x).abs() < 1e-9 && (back.y - c.y).abs() < 1e-9);
        }
    }

    #[test]
    fn distances_match_geodesics() {
        let f = LocalFrame::new(121.5, 25.05);
        let a = Coord { x: 121.45, y: 25.0 };
        let b = Coord {
            x: 121.58,
            y: 25.12,
        };
        let d_local = {
            let (pa, pb) = (f.forward(a), f.forward(b));
            (pa.x - pb.x).hypot(pa.y - pb.y)
        };
        let d_geo = Geodesic.distance(Point::from(a), Point::from(b));
        assert!(
            (d_local - d_geo).abs() / d_geo < 1e-5,
            "{d_local} vs {d_geo}"
        );
    }

    #[test]
    fn area_matches_geodesic_area() {
        let p = polygon![(x: 118.78, y: 32.04), (x: 118.79, y: 32.04), (x: 118.79, y: 32.05), (x: 118.78, y: 32.05)];
        let f = LocalFrame::new(118.785, 32.045);
        let local = f.area_m2(&p);
        let geodesic = p.geodesic_area_unsigned();
        assert!(
            (local - geodesic).abs() / geodesic < 2e-5,
            "{local} vs {geodesic}"
        );
    }
}

//! GCJ-02 ("Mars coordinates", used by AMap, Tencent and most Chinese web maps) and BD-09
//! (Baidu), which PROJ does not know. The forward transforms are the published obfuscation
//! formulas; the inverses solve them by fixed-point iteration to better than 1e-9 degrees
//! (about 0.1 mm), where the usual one-step inverses are off by metres.
//!
//! GCJ-02 is only defined inside China; outside the rough national box points pass unchanged,
//! as every Chinese map SDK does.

use std::f64::consts::PI;

const KRASOVSKY_A: f64 = 6_378_245.0;
const KRASOVSKY_EE: f64 = 0.006_693_421_622_965_943;
const X_PI: f64 = PI * 3000.0 / 180.0;

/// True when (lon, lat) lies in the box where GCJ-02 applies.
pub fn in_china(lon: f64, lat: f64) -> bool {
    (72.004..=137.8347).contains(&lon) && (0.8293..=55.8271).contains(&lat)
}

fn shift_lat(x: f64, y: f64) -> f64 {
    let mut r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * x.abs().sqrt();
    r += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    r += (20.0 * (y * PI).sin() + 40.0 * (y / 3.0 * PI).sin()) * 2.0 / 3.0;
    r += (160.0 * (y / 12.0 * PI).sin() + 320.0 * (y * PI / 30.0).sin()) * 2.0 / 3.0;
    r
}

fn shift_lon(x: f64, y: f64) -> f64 {
    let mut r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * x.abs().sqrt();
    r += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    r += (20.0 * (x * PI).sin() + 40.0 * (x / 3.0 * PI).sin()) * 2.0 / 3.0;
    r += (150.0 * (x / 12.0 * PI).sin() + 300.0 * (x / 30.0 * PI).sin()) * 2.0 / 3.0;
    r
}

/// WGS84 to GCJ-02, degrees.
pub fn wgs84_to_gcj02(lon: f64, lat: f64) -> (f64, f64) {
    if !in_china(lon, lat) {
        return (lon, lat);
    }
    let dlat = shift_lat(lon - 105.0, lat - 35.0);
    let dlon = shift_lon(lon - 105.0, lat - 35.0);
    let rad = lat.to_radians();
    let magic = 1.0 - KRASOVSKY_EE * rad.sin() * rad.sin();
    let sqrt_magic = magic.sqrt();
    let dlat = dlat * 180.0 / ((KRASOVSKY_A * (1.0 - KRASOVSKY_EE)) / (magic * sqrt_magic) * PI);
    let dlon = dlon * 180.0 / (KRASOVSKY_A / sqrt_magic * rad.cos() * PI);
    (lon + dlon, lat + dlat)
}

/// GCJ-02 to BD-09, degrees.
pub fn gcj02_to_bd09(lon: f64, lat: f64) -> (f64, f64) {
    let z = (lon * lon + lat * lat).sqrt() + 0.000_02 * (lat * X_PI).sin();
    let theta = lat.atan2(lon) + 0.000_003 * (lon * X_PI).cos();
    (z * theta.cos() + 0.0065, z * theta.sin() + 0.006)
}

/// WGS84 to BD-09, degrees.
pub fn wgs84_to_bd09(lon: f64, lat: f64) -> (f64, f64) {
    let (x, y) = wgs84_to_gcj02(lon, lat);
    gcj02_to_bd09(x, y)
}

/// Inverts `forward` near the identity by fixed-point iteration.
fn invert(forward: impl Fn(f64, f64) -> (f64, f64), lon: f64, lat: f64) -> (f64, f64) {
    let (mut x, mut y) = (lon, lat);
    for _ in 0..40 {
        let (fx, fy) = forward(x, y);
        let (dx, dy) = (fx - lon, fy - lat);
        x -= dx;
        y -= dy;
        if dx.abs() < 1e-11 && dy.abs() < 1e-11 {
            break;
        }
    }
    (x, y)
}

/// GCJ-02 to WGS84, degrees (iterative; error below 1e-9 degrees).
pub fn gcj02_to_wgs84(lon: f64, lat: f64) -> (f64, f64) {
    invert(wgs84_to_gcj02, lon, lat)
}

/// BD-09 to GCJ-02, degrees (iterative).
pub fn bd09_to_gcj02(lon: f64, lat: f64) -> (f64, f64) {
    invert(gcj02_to_bd09, lon, lat)
}

/// BD-09 to WGS84, degrees (iterative).
pub fn bd09_to_wgs84(lon: f64, lat: f64) -> (f64, f64) {
    invert(wgs84_to_bd09, lon, lat)
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{Distance, Haversine};
    use geo_types::Point;

    /// Points spread over China: Harbin, Urumqi, Lhasa, Kunming, Sanya, Beijing, Nanjing,
    /// Guangzhou, Chengdu, Kashgar, Mohe, Zengmu-ansha-adjacent Sansha.
    const CHINA: &[(f64, f64)] = &[
        (126.63, 45.75),
        (87.62, 43.82),
        (91.13, 29.65),
        (102.71, 25.04),
        (109.51, 18.25),
        (116.397, 39.909),
        (118.78, 32.04),
        (113.26, 23.13),
        (104.07, 30.67),
        (75.99, 39.47),
        (122.53, 52.97),
        (112.34, 16.83),
    ];

    fn metres(a: (f64, f64), b: (f64, f64)) -> f64 {
        Haversine.distance(Point::new(a.0, a.1), Point::new(b.0, b.1))
    }

    #[test]
    fn gcj_round_trip_below_half_a_metre() {
        for &p in CHINA {
            let g = wgs84_to_gcj02(p.0, p.1);
            let shift = metres(p, g);
            assert!((20.0..1200.0).contains(&shift), "{p:?} shifted {shift} m");
            let back = gcj02_to_wgs84(g.0, g.1);
            assert!(metres(p, back) < 0.5, "{p:?}: {} m", metres(p, back));
            assert!(metres(p, back) < 0.001);
        }
    }

    #[test]
    fn bd_round_trip_below_half_a_metre() {
        for &p in CHINA {
            let b = wgs84_to_bd09(p.0, p.1);
            let back = bd09_to_wgs84(b.0, b.1);
            assert!(metres(p, back) < 0.001, "{p:?}: {} m", metres(p, back));
            let g = wgs84_to_gcj02(p.0, p.1);
            let g2 = bd09_to_gcj02(b.0, b.1);
            assert!(metres(g, g2) < 0.001);
        }
    }

    #[test]
    fn outside_china_is_unchanged() {
        assert_eq!(wgs84_to_gcj02(7.42, 43.73), (7.42, 43.73));
        assert_eq!(gcj02_to_wgs84(7.42, 43.73), (7.42, 43.73));
    }

    #[test]
    fn grid_over_china_round_trips() {
        let mut worst = 0.0f64;
        let mut lon = 74.0;
        while lon < 135.0 {
            let mut lat = 18.0;
            while lat < 53.0 {
                let g = wgs84_to_gcj02(lon, lat);
                let back = gcj02_to_wgs84(g.0, g.1);
                worst = worst.max(metres((lon, lat), back));
                let b = wgs84_to_bd09(lon, lat);
                let back = bd09_to_wgs84(b.0, b.1);
                worst = worst.max(metres((lon, lat), back));
                lat += 0.7;
            }
            lon += 0.9;
        }
        assert!(worst < 0.5, "worst round trip {worst} m");
    }
}

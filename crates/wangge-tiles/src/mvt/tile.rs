//! Tile addresses (z/x/y, XYZ scheme) and Web Mercator: lon/lat go to "world" coordinates in
//! [0, 1]² once, and each tile maps them to its own pixel space by a scale and an offset.

/// Deepest zoom served.
pub const MAX_ZOOM: u8 = 22;
/// Web Mercator's latitude limit.
pub const MAX_LAT: f64 = 85.051_128_779_806_59;

/// A validated tile address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TileCoord {
    z: u8,
    x: u32,
    y: u32,
}

/// A tile address outside the pyramid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("tile {z}/{x}/{y} does not exist: zoom must be 0..={max} and x, y below 2^zoom", max = MAX_ZOOM)]
pub struct BadTile {
    pub z: u32,
    pub x: u64,
    pub y: u64,
}

impl TileCoord {
    pub fn new(z: u32, x: u64, y: u64) -> Result<Self, BadTile> {
        let bad = BadTile { z, x, y };
        if z > u32::from(MAX_ZOOM) {
            return Err(bad);
        }
        let n = 1u64 << z;
        if x >= n || y >= n {
            return Err(bad);
        }
        Ok(Self {
            z: z as u8,
            x: x as u32,
            y: y as u32,
        })
    }

    pub fn z(&self) -> u8 {
        self.z
    }
    pub fn x(&self) -> u32 {
        self.x
    }
    pub fn y(&self) -> u32 {
        self.y
    }

    /// Maps world coordinates to this tile's pixel space (0..extent across the tile, y down).
    pub fn transform(&self, extent: u32) -> Transform {
        let n = f64::from(1u32 << self.z);
        let scale = n * f64::from(extent);
        Transform {
            scale,
            dx: f64::from(self.x) * f64::from(extent),
            dy: f64::from(self.y) * f64::from(extent),
        }
    }

    /// The tile's bounds in world coordinates, widened by `buffer` pixels of `extent`.
    pub fn world_bounds(&self, extent: u32, buffer: u32) -> [f64; 4] {
        let n = f64::from(1u32 << self.z);
        let pad = f64::from(buffer) / f64::from(extent);
        [
            (f64::from(self.x) - pad) / n,
            (f64::from(self.y) - pad) / n,
            (f64::from(self.x) + 1.0 + pad) / n,
            (f64::from(self.y) + 1.0 + pad) / n,
        ]
    }

    /// Every tile of zoom `z` that meets the world box [x0, y0, x1, y1].
    pub fn covering(z: u8, world: [f64; 4]) -> impl Iterator<Item = TileCoord> {
        let n = 1u32 << z;
        // Half-open: a box ending exactly on a tile edge does not reach the next tile.
        let lo = |v: f64| ((v * f64::from(n)).floor().max(0.0) as u32).min(n - 1);
        let hi = |v: f64, l: u32| {
            ((v * f64::from(n)).ceil() as u32)
                .saturating_sub(1)
                .clamp(l, n - 1)
        };
        let (x0, y0) = (lo(world[0]), lo(world[1]));
        let (x1, y1) = (hi(world[2], x0), hi(world[3], y0));
        (y0..=y1).flat_map(move |y| (x0..=x1).map(move |x| TileCoord { z, x, y }))
    }
}

impl std::fmt::Display for TileCoord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}/{}", self.z, self.x, self.y)
    }
}

/// World → tile pixel coordinates.
#[derive(Debug, Clone, Copy)]
pub struct Transform {
    scale: f64,
    dx: f64,
    dy: f64,
}

impl Transform {
    pub fn apply(&self, w: [f64; 2]) -> [f64; 2] {
        [w[0] * self.scale - self.dx, w[1] * self.scale - self.dy]
    }

    /// Pixels per world unit.
    pub fn scale(&self) -> f64 {
        self.scale
    }

    /// The tile's top left corner in the zoom's global pixels (world × scale).
    pub fn origin(&self) -> [f64; 2] {
        [self.dx, self.dy]
    }
}

/// Web Mercator world coordinates in [0, 1]² (x east, y south) of a lon/lat.
pub fn world(lon: f64, lat: f64) -> [f64; 2] {
    let lat = lat.clamp(-MAX_LAT, MAX_LAT).to_radians();
    let x = (lon + 180.0) / 360.0;
    let y = (1.0 - (lat.tan() + 1.0 / lat.cos()).ln() / std::f64::consts::PI) / 2.0;
    [x, y]
}

/// Lon/lat of world coordinates (inverse of [`world`]).
pub fn lon_lat(w: [f64; 2]) -> [f64; 2] {
    let lon = w[0] * 360.0 - 180.0;
    let lat = (std::f64::consts::PI * (1.0 - 2.0 * w[1]))
        .sinh()
        .atan()
        .to_degrees();
    [lon, lat]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_validated() {
        assert!(TileCoord::new(0, 0, 0).is_ok());
        assert!(TileCoord::new(1, 2, 0).is_err());
        assert!(TileCoord::new(23, 0, 0).is_err());
        assert!(TileCoord::new(14, 13_000, 6_700).is_ok());
    }

    #[test]
    fn mercator_round_trips_and_matches_known_tiles() {
        let w = world(118.79, 32.06);
        let ll = lon_lat(w);
        assert!((ll[0] - 118.79).abs() < 1e-9 && (ll[1] - 32.06).abs() < 1e-9);
        // Nanjing's Xuanwu lake lies in z14 tile 13598/6650 (the slippy-map formula, computed
        // independently in Python).
        let z = 14;
        let n = f64::from(1u32 << z);
        assert_eq!(((w[0] * n) as u32, (w[1] * n) as u32), (13598, 6650));
        let t = TileCoord::new(14, 13598, 6650).expect("valid");
        let p = t.transform(4096).apply(w);
        assert!((0.0..4096.0).contains(&p[0]) && (0.0..4096.0).contains(&p[1]));
        assert_eq!(TileCoord::covering(14, t.world_bounds(4096, 0)).count(), 1);
        assert_eq!(TileCoord::covering(14, t.world_bounds(4096, 64)).count(), 9);
    }
}

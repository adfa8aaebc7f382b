//! An incident as the heat index takes it: Web Mercator position as 32-bit integers, time in
//! seconds since 2000, category, source and status; local days (UTC+8) and Morton order.

/// Records are bucketed by z18 tile (a z16 tile and its margin read 6 × 6 of them, not 3 × 3 z16 buckets).
pub const BUCKET: u32 = 18;
/// 2000-01-01T00:00:00Z.
pub(crate) const EPOCH: i64 = 946_684_800;
/// Days are China's local days.
pub const DAY_OFFSET_S: i64 = 8 * 3600;

/// One incident as the heat index takes it (kept in 11 bytes; source and status
/// below 16).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rec {
    /// World coordinates × 2³².
    pub x: u32,
    pub y: u32,
    /// Seconds since 2000-01-01 UTC.
    pub t: u32,
    pub cat: u8,
    pub src: u8,
    pub status: u8,
}

impl Rec {
    /// From world coordinates in [0, 1]² and Unix seconds.
    pub fn new(world: [f64; 2], unix: i64, cat: u8, src: u8, status: u8) -> Self {
        let q = |v: f64| (v.clamp(0.0, 1.0) * 4_294_967_296.0).min(4_294_967_295.0) as u32;
        Self {
            x: q(world[0]),
            y: q(world[1]),
            t: (unix - EPOCH).clamp(0, i64::from(u32::MAX)) as u32,
            cat,
            src,
            status,
        }
    }

    /// Local day number (days since 1970 in UTC+8).
    pub fn day(&self) -> u32 {
        day_of(i64::from(self.t) + EPOCH)
    }

    /// Cell coordinates at a level.
    pub fn cell(&self, level: u32) -> (u32, u32) {
        (self.x >> (32 - level), self.y >> (32 - level))
    }
}

/// The local day of a Unix time.
pub fn day_of(unix: i64) -> u32 {
    (unix + DAY_OFFSET_S)
        .div_euclid(86_400)
        .clamp(0, i64::from(u32::MAX)) as u32
}

/// Seconds since 2000 of a Unix time (as records keep it).
pub fn rec_time(unix: i64) -> u32 {
    (unix - EPOCH).clamp(0, i64::from(u32::MAX)) as u32
}

/// Interleaves the bits of x and y (x in the even bits).
pub fn morton(x: u32, y: u32) -> u64 {
    fn spread(v: u32) -> u64 {
        let mut v = u64::from(v);
        v = (v | (v << 16)) & 0x0000_FFFF_0000_FFFF;
        v = (v | (v << 8)) & 0x00FF_00FF_00FF_00FF;
        v = (v | (v << 4)) & 0x0F0F_0F0F_0F0F_0F0F;
        v = (v | (v << 2)) & 0x3333_3333_3333_3333;
        v = (v | (v << 1)) & 0x5555_5555_5555_5555;
        v
    }
    spread(x) | (spread(y) << 1)
}

pub(crate) fn unmorton(m: u64) -> (u32, u32) {
    fn squeeze(mut v: u64) -> u32 {
        v &= 0x5555_5555_5555_5555;
        v = (v | (v >> 1)) & 0x3333_3333_3333_3333;
        v = (v | (v >> 2)) & 0x0F0F_0F0F_0F0F_0F0F;
        v = (v | (v >> 4)) & 0x00FF_00FF_00FF_00FF;
        v = (v | (v >> 8)) & 0x0000_FFFF_0000_FFFF;
        v = (v | (v >> 16)) & 0x0000_0000_FFFF_FFFF;
        v as u32
    }
    (squeeze(m), squeeze(m >> 1))
}

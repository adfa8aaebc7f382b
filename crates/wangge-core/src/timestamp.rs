//! Instants in UTC, parsed from the formats Chinese government exports use.

use crate::{Error, Result};
use std::fmt;

/// Seconds since 1970-01-01T00:00:00Z.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

impl Timestamp {
    /// From seconds since the Unix epoch.
    pub fn from_unix(s: i64) -> Self {
        Self(s)
    }

    /// The system clock, to the second.
    pub fn now() -> Self {
        Self(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs() as i64),
        )
    }

    /// Seconds since the Unix epoch.
    pub fn unix(self) -> i64 {
        self.0
    }

    /// Parses `YYYY-MM-DD`, `YYYY-MM-DD HH:MM[:SS[.f]]`, the same with `T` or `/` separators,
    /// with an optional `Z` or `±HH:MM` offset. Times without an offset are local time at
    /// `default_offset_s` east of UTC (China: +08:00 = 28800).
    pub fn parse(text: &str, default_offset_s: i32) -> Result<Self> {
        let err = |reason| Error::Time {
            value: text.to_string(),
            reason,
        };
        let t = text.trim();
        let b = t.as_bytes();
        if b.len() < 8 {
            return Err(err("too short; expected YYYY-MM-DD[ HH:MM:SS]"));
        }
        let mut p = Cursor { b, i: 0 };
        let year = p.num(4).ok_or(err("year must be 4 digits"))?;
        p.sep(b"-/").ok_or(err("expected '-' after the year"))?;
        let month = p.num_1_2().ok_or(err("month must be 1-2 digits"))?;
        p.sep(b"-/").ok_or(err("expected '-' after the month"))?;
        let day = p.num_1_2().ok_or(err("day must be 1-2 digits"))?;
        if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
            return Err(err("no such date"));
        }
        let (mut hh, mut mm, mut ss) = (0, 0, 0);
        let mut offset = i64::from(default_offset_s);
        if p.sep(b"T ").is_some() {
            hh = p.num(2).ok_or(err("hour must be 2 digits"))?;
            p.sep(b":").ok_or(err("expected ':' after the hour"))?;
            mm = p.num(2).ok_or(err("minute must be 2 digits"))?;
            if p.sep(b":").is_some() {
                ss = p.num(2).ok_or(err("second must be 2 digits"))?;
                if p.sep(b".,").is_some() {
                    while p.peek().is_some_and(|c| c.is_ascii_digit()) {
                        p.i += 1;
                    }
                }
            }
            if hh > 23 || mm > 59 || ss > 60 {
                return Err(err("no such time of day"));
            }
            match p.peek() {
                None => {}
                Some(b'Z') | Some(b'z') => {
                    p.i += 1;
                    offset = 0;
                }
                Some(c @ (b'+' | b'-')) => {
                    p.i += 1;
                    let oh = p.num(2).ok_or(err("offset hours must be 2 digits"))?;
                    p.sep(b":");
                    let om = p.num(2).unwrap_or(0);
                    let sign = if c == b'-' { -1 } else { 1 };
                    offset = sign * (oh * 3600 + om * 60);
                }
                Some(_) => return Err(err("unexpected text after the time")),
            }
        }
        if p.i != b.len() {
            return Err(err("unexpected text after the date"));
        }
        let days = days_from_civil(year, month, day);
        Ok(Self(days * 86_400 + hh * 3600 + mm * 60 + ss - offset))
    }

    /// (year, month, day, hour, minute, second) in UTC.
    pub fn to_civil(self) -> (i64, i64, i64, i64, i64, i64) {
        let days = self.0.div_euclid(86_400);
        let secs = self.0.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        (y, m, d, secs / 3600, secs % 3600 / 60, secs % 60)
    }
}

impl fmt::Display for Timestamp {
    /// RFC 3339 in UTC, the GeoPackage DATETIME form: `2023-06-01T07:34:43Z`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, mo, d, h, mi, s) = self.to_civil();
        write!(f, "{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
    }
}

struct Cursor<'a> {
    b: &'a [u8],
    i: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }
    fn sep(&mut self, any: &[u8]) -> Option<()> {
        let c = self.peek()?;
        any.contains(&c).then(|| self.i += 1)
    }
    fn num(&mut self, digits: usize) -> Option<i64> {
        let s = self.b.get(self.i..self.i + digits)?;
        if !s.iter().all(u8::is_ascii_digit) {
            return None;
        }
        self.i += digits;
        Some(s.iter().fold(0, |a, c| a * 10 + i64::from(c - b'0')))
    }
    fn num_1_2(&mut self) -> Option<i64> {
        if self.b.get(self.i + 1).is_some_and(u8::is_ascii_digit) {
            self.num(2)
        } else {
            self.num(1)
        }
    }
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 (Howard Hinnant's algorithm).
pub(crate) fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// (year, month, day) of a day count since 1970-01-01.
pub(crate) fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CST: i32 = 8 * 3600;

    #[test]
    fn parses_common_forms() {
        let t = Timestamp::parse("2023-06-01T15:34:43.042999", CST).expect("valid");
        assert_eq!(t.to_string(), "2023-06-01T07:34:43Z");
        let t = Timestamp::parse("2023/6/1 15:34:43", CST).expect("valid");
        assert_eq!(t.to_string(), "2023-06-01T07:34:43Z");
        let t = Timestamp::parse("2023-06-01T15:34:43+08:00", 0).expect("valid");
        assert_eq!(t.to_string(), "2023-06-01T07:34:43Z");
        let t = Timestamp::parse("1970-01-01", 0).expect("valid");
        assert_eq!(t.unix(), 0);
        let t = Timestamp::parse("2024-02-29 00:00Z", CST).expect("valid");
        assert_eq!(t.to_string(), "2024-02-29T00:00:00Z");
    }

    #[test]
    fn rejects_bad_dates() {
        for bad in [
            "",
            "NA",
            "2023-13-01",
            "2023-02-30",
            "2023-06-01 25:00",
            "2023-06-01x",
        ] {
            assert!(Timestamp::parse(bad, CST).is_err(), "{bad}");
        }
    }

    #[test]
    fn civil_round_trip() {
        for days in (-800_000..800_000).step_by(997) {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }
}

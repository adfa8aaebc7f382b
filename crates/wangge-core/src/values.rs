//! Validated value types: constructed only through checks, so the rest of the code can trust them.

use crate::{Error, Result};

/// Households at an address point or in a building. At most 100,000 (a single entrance
/// beyond that is a data error, not a building).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Households(u32);

impl Households {
    /// Upper bound accepted for one feature.
    pub const MAX: u32 = 100_000;

    /// A checked count.
    pub fn new(n: u32) -> Result<Self> {
        if n > Self::MAX {
            return Err(Error::Households {
                value: n.to_string(),
                reason: "more than 100000 households in one feature",
            });
        }
        Ok(Self(n))
    }

    /// Parses text such as `"36"`, `"36.0"`; rejects negatives, fractions, `NA` and empty text.
    pub fn parse(text: &str) -> Result<Self> {
        let t = text.trim();
        let err = |reason| Error::Households {
            value: text.to_string(),
            reason,
        };
        if t.is_empty() {
            return Err(err("empty"));
        }
        let v: f64 = t.parse().map_err(|_| err("not a number"))?;
        Self::from_f64(v).map_err(|e| match e {
            Error::Households { reason, .. } => err(reason),
            other => other,
        })
    }

    /// From a JSON or DBF number.
    pub fn from_f64(v: f64) -> Result<Self> {
        let err = |reason| Error::Households {
            value: v.to_string(),
            reason,
        };
        if !v.is_finite() {
            return Err(err("not a finite number"));
        }
        if v < 0.0 {
            return Err(err("negative"));
        }
        if v.fract() != 0.0 {
            return Err(err("not a whole number"));
        }
        if v > f64::from(Self::MAX) {
            return Err(err("more than 100000 households in one feature"));
        }
        Ok(Self(v as u32))
    }

    /// The count.
    pub fn get(self) -> u32 {
        self.0
    }
}

/// Storeys above ground, 1..=200.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Levels(u32);

impl Levels {
    /// A checked storey count.
    pub fn new(n: u32) -> Result<Self> {
        if !(1..=200).contains(&n) {
            return Err(Error::Levels {
                value: n.to_string(),
                reason: "outside 1..=200",
            });
        }
        Ok(Self(n))
    }

    /// Parses OSM `building:levels` values such as `"6"`, `"6.5"` (rounded up), `" 18 "`.
    pub fn parse(text: &str) -> Result<Self> {
        let v: f64 = text.trim().parse().map_err(|_| Error::Levels {
            value: text.to_string(),
            reason: "not a number",
        })?;
        if !v.is_finite() || !(0.5..=200.0).contains(&v) {
            return Err(Error::Levels {
                value: text.to_string(),
                reason: "outside 1..=200",
            });
        }
        Self::new(v.ceil() as u32)
    }

    /// The count.
    pub fn get(self) -> u32 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn households_parse() {
        assert_eq!(Households::parse(" 36 ").map(Households::get), Ok(36));
        assert_eq!(Households::parse("36.0").map(Households::get), Ok(36));
        assert!(Households::parse("-1").is_err());
        assert!(Households::parse("2.5").is_err());
        assert!(Households::parse("NA").is_err());
        assert!(Households::parse("").is_err());
        assert!(Households::parse("1e9").is_err());
    }

    #[test]
    fn levels_parse() {
        assert_eq!(Levels::parse("6").map(Levels::get), Ok(6));
        assert_eq!(Levels::parse("5.5").map(Levels::get), Ok(6));
        assert!(Levels::parse("0").is_err());
        assert!(Levels::parse("many").is_err());
    }
}

//! The life-circle catalogue: which facility categories each walking circle requires, with
//! defaults from GB 50180-2018, and a map from other category codes onto the catalogue's.
//! Users edit a copy (`wangge coverage --catalogue FILE.toml`); the default is
//! `data/catalogue.toml`, compiled in.

use crate::{Error, Result};
use serde::Deserialize;
use std::collections::BTreeMap;

/// The default catalogue (GB 50180-2018 life circles).
pub const DEFAULT_TOML: &str = include_str!("../../../../data/catalogue.toml");

/// One life circle.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Circle {
    pub minutes: u32,
    pub name: String,
    /// The standard's walking distance for this circle (m).
    pub distance_m: f64,
    pub categories: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
struct Speeds {
    default_kmh: f64,
    elderly_kmh: f64,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    speed: Speeds,
    circle: Vec<Circle>,
    #[serde(default)]
    map: BTreeMap<String, String>,
}

/// How a number of minutes becomes a walking distance.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum WalkSpeed {
    /// A walking speed (m/s).
    Speed { mps: f64 },
    /// The standard's distance of the circle with that many minutes.
    Standard,
}

/// A parsed, checked catalogue.
#[derive(Debug, Clone, PartialEq)]
pub struct Catalogue {
    pub circles: Vec<Circle>,
    /// Store category → catalogue category.
    pub map: BTreeMap<String, String>,
    pub default_kmh: f64,
    pub elderly_kmh: f64,
}

impl Catalogue {
    /// The built-in GB 50180-2018 catalogue.
    pub fn default_gb50180() -> Self {
        Self::parse(DEFAULT_TOML, "built-in catalogue").expect("the built-in catalogue parses")
    }

    /// Parses TOML; `source` names the file in errors.
    pub fn parse(text: &str, source: &str) -> Result<Self> {
        let bad = |reason: String| Error::Catalogue {
            file: source.to_string(),
            reason,
        };
        let raw: Raw = toml::from_str(text).map_err(|e| bad(e.to_string()))?;
        if raw.circle.is_empty() {
            return Err(bad("no [[circle]] defined".into()));
        }
        for s in [raw.speed.default_kmh, raw.speed.elderly_kmh] {
            if !(s.is_finite() && (0.5..=10.0).contains(&s)) {
                return Err(bad(format!("walking speed {s} km/h is outside 0.5-10")));
            }
        }
        for (i, c) in raw.circle.iter().enumerate() {
            if c.minutes == 0 || !(c.distance_m.is_finite() && c.distance_m > 0.0) {
                return Err(bad(format!(
                    "circle {} ({}): minutes and distance_m must be positive",
                    i + 1,
                    c.name
                )));
            }
            if c.categories.is_empty() {
                return Err(bad(format!("circle {} ({}): no categories", i + 1, c.name)));
            }
            for cat in &c.categories {
                crate::FacilityCategory::new(cat)
                    .map_err(|e| bad(format!("circle {} ({}): {e}", i + 1, c.name)))?;
            }
        }
        let mut circles = raw.circle;
        circles.sort_by_key(|c| c.minutes);
        Ok(Self {
            circles,
            map: raw.map,
            default_kmh: raw.speed.default_kmh,
            elderly_kmh: raw.speed.elderly_kmh,
        })
    }

    /// Every category some circle requires, sorted.
    pub fn categories(&self) -> Vec<String> {
        let mut c: Vec<String> = self
            .circles
            .iter()
            .flat_map(|c| c.categories.iter().cloned())
            .collect();
        c.sort();
        c.dedup();
        c
    }

    /// The catalogue category of a store category (itself unless mapped).
    pub fn category_of<'a>(&'a self, store_category: &'a str) -> &'a str {
        self.map
            .get(store_category)
            .map(String::as_str)
            .unwrap_or(store_category)
    }

    /// Walking distance (m) for a number of minutes.
    pub fn limit_m(&self, minutes: u32, speed: WalkSpeed) -> Result<f64> {
        match speed {
            WalkSpeed::Speed { mps } => Ok(mps * 60.0 * f64::from(minutes)),
            WalkSpeed::Standard => self
                .circles
                .iter()
                .find(|c| c.minutes == minutes)
                .map(|c| c.distance_m)
                .ok_or_else(|| Error::Catalogue {
                    file: "catalogue".into(),
                    reason: format!(
                        "no {minutes}-minute circle has a standard distance (circles: {})",
                        self.circles
                            .iter()
                            .map(|c| c.minutes.to_string())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_catalogue_follows_the_standard() {
        let c = Catalogue::default_gb50180();
        let minutes: Vec<u32> = c.circles.iter().map(|c| c.minutes).collect();
        assert_eq!(minutes, vec![5, 10, 15]);
        assert!(
            c.circles[0]
                .categories
                .contains(&"kindergarten".to_string())
        );
        assert!(
            c.circles[1]
                .categories
                .contains(&"primary_school".to_string())
        );
        assert_eq!(c.limit_m(15, WalkSpeed::Standard).expect("15"), 1000.0);
        assert!((c.limit_m(10, WalkSpeed::Speed { mps: 1.0 }).expect("10") - 600.0).abs() < 1e-9);
        assert!(c.limit_m(7, WalkSpeed::Standard).is_err());
    }

    #[test]
    fn bad_catalogues_are_refused_with_the_reason() {
        let e = Catalogue::parse("[speed]\ndefault_kmh = 4.0\nelderly_kmh = 3.3\n", "x.toml")
            .expect_err("no circles");
        assert!(e.to_string().contains("x.toml"), "{e}");
        let e = Catalogue::parse(
            "[speed]\ndefault_kmh = 4.0\nelderly_kmh = 3.3\n[[circle]]\nminutes = 5\nname = \"a\"\ndistance_m = 300\ncategories = [\"Bad Code\"]\n",
            "y.toml",
        )
        .expect_err("bad category");
        assert!(e.to_string().contains("circle 1"), "{e}");
    }
}

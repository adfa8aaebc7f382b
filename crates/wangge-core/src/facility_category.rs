//! Facility categories, aligned with the facility lists of GB 50180-2018 life circles, and the
//! mapping from OpenStreetMap tags onto them. The table is documented in
//! `docs/facility-categories.md`; change both together.

use crate::{Error, Result};
use std::fmt;

/// A facility category code: lower-case ASCII, digits and `_` (e.g. `kindergarten`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FacilityCategory(String);

/// The known categories with a short description, in the order of the documentation.
pub const KNOWN: &[(&str, &str)] = &[
    ("kindergarten", "幼儿园 kindergarten"),
    ("childcare", "托育 childcare / nursery under 3"),
    ("primary_school", "小学 primary school"),
    ("middle_school", "中学 middle school"),
    ("school", "school of unknown level"),
    ("health_station", "社区卫生服务站 / clinic / doctors"),
    ("hospital", "医院 hospital"),
    ("pharmacy", "药店 pharmacy"),
    (
        "elderly_care",
        "养老 elderly home, day care for the elderly",
    ),
    ("social_facility", "other social-welfare facility"),
    ("community_centre", "社区服务中心 community centre"),
    ("culture", "文化活动 library, arts and culture centre"),
    ("sports", "体育 sports centre, pitch, fitness"),
    ("park", "公园 park, playground, garden"),
    ("fresh_market", "菜市场 fresh market"),
    ("supermarket", "超市 supermarket"),
    ("convenience_store", "便利店 convenience store"),
    ("food", "餐饮 restaurant, fast food, cafe"),
    ("shop", "other shop"),
    ("bank", "银行 bank"),
    ("post", "邮政 post office"),
    ("police", "派出所 police"),
    ("toilets", "公厕 public toilets"),
    ("other", "other amenity"),
];

impl FacilityCategory {
    /// A checked code. Free codes are allowed (user catalogues extend the list).
    pub fn new(code: &str) -> Result<Self> {
        let c = code.trim();
        let ok = !c.is_empty()
            && c.len() <= 64
            && c.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !ok {
            return Err(Error::Category {
                value: code.to_string(),
                reason: "use lower-case letters, digits and '_' (e.g. fresh_market)",
            });
        }
        Ok(Self(c.to_string()))
    }

    fn known(code: &'static str) -> Self {
        Self(code.to_string())
    }

    /// The code.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Maps OSM tags onto a category, or `None` when the object is no facility.
    /// `tag` looks up a tag value by key.
    pub fn from_osm<'a>(tag: impl Fn(&str) -> Option<&'a str>) -> Option<Self> {
        let name = tag("name").unwrap_or("");
        let code = if let Some(a) = tag("amenity") {
            match a {
                "kindergarten" => "kindergarten",
                "childcare" => "childcare",
                "school" => school_level(tag("isced:level"), name),
                "college" | "university" => "school",
                "clinic" | "doctors" | "dentist" => "health_station",
                "hospital" => "hospital",
                "pharmacy" => "pharmacy",
                "social_facility" => match (tag("social_facility"), tag("social_facility:for")) {
                    (Some("nursing_home" | "assisted_living"), _) | (_, Some("senior")) => {
                        "elderly_care"
                    }
                    _ => "social_facility",
                },
                "nursing_home" => "elderly_care",
                "community_centre" | "social_centre" => "community_centre",
                "library" | "arts_centre" | "theatre" | "cinema" => "culture",
                "marketplace" => "fresh_market",
                "restaurant" | "fast_food" | "cafe" | "food_court" => "food",
                "bank" | "atm" => "bank",
                "post_office" => "post",
                "police" => "police",
                "toilets" => "toilets",
                "parking" | "parking_entrance" | "bicycle_parking" | "parking_space" | "fuel"
                | "bench" | "waste_basket" | "waste_disposal" | "recycling" | "vending_machine"
                | "telephone" | "shelter" | "charging_station" | "motorcycle_parking"
                | "bicycle_rental" | "taxi" | "loading_dock" | "drinking_water" | "clock"
                | "grave_yard" => return None,
                _ => "other",
            }
        } else if let Some(h) = tag("healthcare") {
            match h {
                "hospital" => "hospital",
                "pharmacy" => "pharmacy",
                _ => "health_station",
            }
        } else if let Some(s) = tag("shop") {
            match s {
                "supermarket" | "department_store" | "mall" => "supermarket",
                "convenience" | "kiosk" => "convenience_store",
                "greengrocer" | "butcher" | "seafood" => "fresh_market",
                "chemist" => "pharmacy",
                "vacant" | "no" => return None,
                _ => "shop",
            }
        } else if let Some(l) = tag("leisure") {
            match l {
                "park" | "playground" | "garden" => "park",
                "sports_centre" | "pitch" | "fitness_centre" | "fitness_station" | "stadium"
                | "swimming_pool" | "track" => "sports",
                _ => return None,
            }
        } else {
            return None;
        };
        Some(Self::known(code))
    }
}

/// The school name rules (`data/school_names.toml`), parsed once.
fn school_rules() -> &'static [(String, Vec<String>)] {
    #[derive(serde::Deserialize)]
    struct Rule {
        category: String,
        contains: Vec<String>,
    }
    #[derive(serde::Deserialize)]
    struct Rules {
        rule: Vec<Rule>,
    }
    static RULES: std::sync::OnceLock<Vec<(String, Vec<String>)>> = std::sync::OnceLock::new();
    RULES.get_or_init(|| {
        let rules: Rules = toml::from_str(include_str!("../../../data/school_names.toml"))
            .expect("data/school_names.toml is checked by the tests");
        rules
            .rule
            .into_iter()
            .map(|r| (r.category, r.contains))
            .collect()
    })
}

fn school_level(isced: Option<&str>, name: &str) -> &'static str {
    match isced.map(str::trim) {
        Some("1") => return "primary_school",
        Some("2" | "3" | "2;3" | "2-3") => return "middle_school",
        _ => {}
    }
    for (category, texts) in school_rules() {
        if texts.iter().any(|t| name.contains(t.as_str()))
            && let Some((code, _)) = KNOWN.iter().find(|(c, _)| c == category)
        {
            return code;
        }
    }
    "school"
}

impl fmt::Display for FacilityCategory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn map(tags: &[(&str, &str)]) -> Option<String> {
        let t: HashMap<&str, &str> = tags.iter().copied().collect();
        FacilityCategory::from_osm(|k| t.get(k).copied()).map(|c| c.0)
    }

    #[test]
    fn osm_mapping() {
        assert_eq!(
            map(&[("amenity", "kindergarten")]).as_deref(),
            Some("kindergarten")
        );
        assert_eq!(
            map(&[("amenity", "school"), ("name", "南京市第九中学")]).as_deref(),
            Some("middle_school")
        );
        assert_eq!(
            map(&[("amenity", "school"), ("name", "琅琊路小学")]).as_deref(),
            Some("primary_school")
        );
        assert_eq!(
            map(&[("shop", "convenience")]).as_deref(),
            Some("convenience_store")
        );
        assert_eq!(map(&[("amenity", "parking")]), None);
        assert_eq!(map(&[("highway", "bus_stop")]), None);
        assert_eq!(
            map(&[
                ("amenity", "social_facility"),
                ("social_facility:for", "senior")
            ])
            .as_deref(),
            Some("elderly_care")
        );
    }

    #[test]
    fn school_names_from_real_schools() {
        let school = |name: &str| map(&[("amenity", "school"), ("name", name)]);
        for (name, want) in [
            ("北大附小", "primary_school"),
            ("清华大学附属小学", "primary_school"),
            ("南京师范大学附属小学", "primary_school"),
            ("北京市第二实验小学", "primary_school"),
            ("琅琊路小学", "primary_school"),
            ("臺北市大安區幸安國民小學", "primary_school"),
            ("師大附中", "middle_school"),
            ("人大附中", "middle_school"),
            ("北京师范大学附属实验中学", "middle_school"),
            ("南京外国语学校", "middle_school"),
            ("南京市第九中学", "middle_school"),
            ("臺北市立大安國中", "middle_school"),
            ("清华大学附属幼儿园", "kindergarten"),
            ("南师附中幼儿园", "kindergarten"),
            ("南京市第一中学附属小学", "primary_school"),
            ("南京艺术学院", "school"),
        ] {
            assert_eq!(school(name).as_deref(), Some(want), "{name}");
        }
        // isced:level wins over the name.
        assert_eq!(
            map(&[
                ("amenity", "school"),
                ("name", "师大附中"),
                ("isced:level", "1")
            ])
            .as_deref(),
            Some("primary_school")
        );
        // Every rule names a known category.
        for (category, _) in school_rules() {
            assert!(KNOWN.iter().any(|(c, _)| c == category), "{category}");
        }
    }

    #[test]
    fn every_mapped_code_is_known_and_valid() {
        for (code, _) in KNOWN {
            assert!(FacilityCategory::new(code).is_ok());
        }
        assert!(FacilityCategory::new("Fresh Market").is_err());
        assert!(FacilityCategory::new("").is_err());
    }
}

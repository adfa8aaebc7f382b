//! The city-component catalogue (部件分类): the major classes and subclasses of the component
//! part of GB/T 30428.2, with the OpenStreetMap tags and texts that name each subclass. The
//! default is `data/components.toml`, compiled in (its header says which codes were checked
//! and against what); a district passes its own with `--components FILE`.

use crate::{Error, Result};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use unicode_normalization::UnicodeNormalization;

/// The default catalogue.
pub const DEFAULT_TOML: &str = include_str!("../../../data/components.toml");

/// Texts are compared NFKC-folded, trimmed, lower case (as the incident taxonomy's).
fn fold(text: &str) -> String {
    text.nfkc().collect::<String>().trim().to_lowercase()
}

/// A major class (大类): `01` 公用设施 ...
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComponentClass {
    pub code: String,
    pub zh: String,
    pub en: String,
}

/// A subclass (小类): `0102` 污水井盖 ...
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComponentSubclass {
    /// Major class (2 digits) + subclass (2 digits).
    pub code: String,
    pub zh: String,
    pub en: String,
    /// Whether the code was checked against a real record or the standard's text.
    #[serde(default)]
    pub checked: bool,
    /// Alternatives, each a list of `key=value` tags that must all be present.
    #[serde(default)]
    pub osm: Vec<Vec<String>>,
    #[serde(default)]
    pub aliases: Vec<String>,
}

impl ComponentSubclass {
    /// The major class code (the first two digits).
    pub fn major(&self) -> &str {
        &self.code[..2]
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    class: Vec<ComponentClass>,
    subclass: Vec<ComponentSubclass>,
}

/// A parsed, checked catalogue.
#[derive(Debug, Clone, PartialEq)]
pub struct ComponentCatalogue {
    pub classes: Vec<ComponentClass>,
    pub subclasses: Vec<ComponentSubclass>,
    /// Folded code, Chinese name or alias → index into `subclasses`.
    lookup: HashMap<String, usize>,
    /// OSM rules, most specific (most tags) first: (tags, subclass index).
    rules: Vec<(Vec<(String, String)>, usize)>,
}

impl ComponentCatalogue {
    /// The built-in catalogue.
    pub fn builtin() -> Self {
        #[allow(clippy::expect_used)]
        Self::parse(DEFAULT_TOML).expect("the built-in component catalogue parses (unit test)")
    }

    /// Parses a catalogue's text: class codes of two digits, subclass codes of four starting
    /// with a class's, codes, names and aliases naming one subclass each, OSM rules as
    /// `key=value`.
    pub fn parse(text: &str) -> Result<Self> {
        let bad = |m: String| Error::Config(format!("component catalogue: {m}"));
        let raw: Raw = toml::from_str(text).map_err(|e| bad(e.to_string()))?;
        let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
        let mut majors: BTreeMap<&str, &str> = BTreeMap::new();
        for c in &raw.class {
            if !digits(&c.code, 2) {
                return Err(bad(format!("class {:?}: a code of two digits", c.code)));
            }
            if majors.insert(&c.code, &c.zh).is_some() {
                return Err(bad(format!("class {} given twice", c.code)));
            }
        }
        if raw.subclass.is_empty() {
            return Err(bad("no [[subclass]]".into()));
        }
        let mut lookup: HashMap<String, usize> = HashMap::new();
        let mut rules = Vec::new();
        for (i, s) in raw.subclass.iter().enumerate() {
            if !digits(&s.code, 4) || !majors.contains_key(&s.code[..2]) {
                return Err(bad(format!(
                    "subclass {:?} ({}): four digits starting with a class's code",
                    s.code, s.zh
                )));
            }
            for name in std::iter::once(&s.code)
                .chain(std::iter::once(&s.zh))
                .chain(&s.aliases)
            {
                let k = fold(name);
                if let Some(&j) = lookup.get(&k)
                    && j != i
                {
                    return Err(bad(format!(
                        "{name:?} names both {} and {}",
                        raw.subclass[j].code, s.code
                    )));
                }
                lookup.insert(k, i);
            }
            for alt in &s.osm {
                let mut tags = Vec::new();
                for t in alt {
                    let (k, v) = t.split_once('=').ok_or_else(|| {
                        bad(format!(
                            "subclass {}: OSM tag {t:?} is not key=value",
                            s.code
                        ))
                    })?;
                    tags.push((k.to_string(), v.to_string()));
                }
                if tags.is_empty() {
                    return Err(bad(format!("subclass {}: an empty OSM rule", s.code)));
                }
                rules.push((tags, i));
            }
        }
        rules.sort_by_key(|(tags, i)| (std::cmp::Reverse(tags.len()), *i));
        Ok(Self {
            classes: raw.class,
            subclasses: raw.subclass,
            lookup,
            rules,
        })
    }

    /// The subclass a text names: its code, Chinese name or an alias.
    pub fn resolve(&self, text: &str) -> Option<&ComponentSubclass> {
        self.lookup.get(&fold(text)).map(|&i| &self.subclasses[i])
    }

    /// The subclass with this code.
    pub fn get(&self, code: &str) -> Option<&ComponentSubclass> {
        self.subclasses.iter().find(|s| s.code == code)
    }

    /// The major class with this code.
    pub fn class(&self, code: &str) -> Option<&ComponentClass> {
        self.classes.iter().find(|c| c.code == code)
    }

    /// The subclass OSM tags name (the rule with most tags that all match), if any.
    pub fn from_osm(&self, tag: &dyn Fn(&str) -> Option<String>) -> Option<&ComponentSubclass> {
        self.rules
            .iter()
            .find(|(tags, _)| {
                tags.iter()
                    .all(|(k, v)| tag(k).is_some_and(|have| have == *v))
            })
            .map(|(_, i)| &self.subclasses[*i])
    }

    /// The tags a rule reads (the keys worth keeping when reading OSM).
    pub fn osm_keys(&self) -> Vec<&str> {
        let mut keys: Vec<&str> = self
            .rules
            .iter()
            .flat_map(|(tags, _)| tags.iter().map(|(k, _)| k.as_str()))
            .collect();
        keys.sort_unstable();
        keys.dedup();
        keys
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags<'a>(t: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |k| t.iter().find(|(a, _)| *a == k).map(|(_, v)| v.to_string())
    }

    #[test]
    fn the_builtin_catalogue_parses_and_names_the_common_subclasses() {
        let c = ComponentCatalogue::builtin();
        assert_eq!(c.classes.len(), 6);
        for (text, code) in [
            ("上水井盖", "0101"),
            ("污水井盖", "0102"),
            ("雨水井盖", "0103"),
            ("路灯", "0120"),
            ("路燈", "0120"),
            ("垃圾箱", "0310"),
            ("消防栓", "0117"),
            ("座椅", "0406"),
            ("公交站亭", "0201"),
            (" 0102 ", "0102"),
        ] {
            assert_eq!(
                c.resolve(text).map(|s| s.code.as_str()),
                Some(code),
                "{text}"
            );
        }
        assert_eq!(c.get("0102").map(ComponentSubclass::major), Some("01"));
        assert!(c.resolve("unicorn").is_none());
    }

    #[test]
    fn osm_tags_name_the_most_specific_subclass() {
        let c = ComponentCatalogue::builtin();
        let code = |t: &[(&str, &str)]| c.from_osm(&tags(t)).map(|s| s.code.clone());
        assert_eq!(code(&[("highway", "street_lamp")]).as_deref(), Some("0120"));
        assert_eq!(
            code(&[("amenity", "waste_basket")]).as_deref(),
            Some("0310")
        );
        assert_eq!(
            code(&[("emergency", "fire_hydrant")]).as_deref(),
            Some("0117")
        );
        assert_eq!(code(&[("amenity", "bench")]).as_deref(), Some("0406"));
        assert_eq!(
            code(&[("man_made", "manhole"), ("manhole", "sewer")]).as_deref(),
            Some("0102")
        );
        assert_eq!(code(&[("man_made", "manhole")]).as_deref(), Some("0199"));
        assert_eq!(code(&[("highway", "bus_stop")]), None);
        assert_eq!(code(&[("amenity", "cafe")]), None);
    }

    #[test]
    fn bad_catalogues_name_the_problem() {
        for (text, says) in [
            (
                "[[class]]\ncode='1'\nzh='a'\nen='a'\n[[subclass]]\ncode='0101'\nzh='b'\nen='b'\n",
                "two digits",
            ),
            (
                "[[class]]\ncode='01'\nzh='a'\nen='a'\n[[subclass]]\ncode='0201'\nzh='b'\nen='b'\n",
                "starting with a class",
            ),
            (
                "[[class]]\ncode='01'\nzh='a'\nen='a'\n[[subclass]]\ncode='0101'\nzh='b'\nen='b'\n[[subclass]]\ncode='0102'\nzh='b'\nen='c'\n",
                "names both",
            ),
            (
                "[[class]]\ncode='01'\nzh='a'\nen='a'\n[[subclass]]\ncode='0101'\nzh='b'\nen='b'\nosm=[['highway']]\n",
                "key=value",
            ),
        ] {
            let e = ComponentCatalogue::parse(text).expect_err(says).to_string();
            assert!(e.contains(says), "{e}");
        }
    }
}

//! The incident taxonomy: category codes grouped by GB/T 30428.2 event and component classes,
//! with the texts (Chinese names, hotline case types) that map onto each. The default is
//! `data/taxonomy.toml`, compiled in; users pass their own with `--taxonomy FILE`.

use crate::{Error, Result};
use serde::Deserialize;
use std::collections::HashMap;
use unicode_normalization::UnicodeNormalization;

/// The form texts are compared in: NFKC (CJK compatibility ideographs such as U+F9E4 become
/// the unified 理, full-width brackets half-width), trimmed, lower case. Real exports mix them.
fn fold(text: &str) -> String {
    text.nfkc().collect::<String>().trim().to_lowercase()
}

/// The default taxonomy.
pub const DEFAULT_TOML: &str = include_str!("../../../data/taxonomy.toml");

/// One category.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Category {
    pub code: String,
    pub zh: String,
    pub en: String,
    /// The GB/T 30428.2 class ("事件/市容环境", "部件/公用设施", ...).
    pub gbt30428: String,
    #[serde(default)]
    pub aliases: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    category: Vec<Category>,
}

/// A parsed, checked taxonomy.
#[derive(Debug, Clone, PartialEq)]
pub struct Taxonomy {
    pub categories: Vec<Category>,
    /// Lower-cased code, Chinese name or alias → index into `categories`.
    lookup: HashMap<String, usize>,
}

impl Taxonomy {
    /// The built-in taxonomy.
    pub fn builtin() -> Self {
        #[allow(clippy::expect_used)]
        Self::parse(DEFAULT_TOML).expect("the built-in taxonomy parses (unit test)")
    }

    /// Parses a taxonomy file's text; codes and aliases must be unique.
    pub fn parse(text: &str) -> Result<Self> {
        let bad = |m: String| Error::Config(format!("taxonomy: {m}"));
        let raw: Raw = toml::from_str(text).map_err(|e| bad(e.to_string()))?;
        if raw.category.is_empty() {
            return Err(bad("no [[category]]".into()));
        }
        let mut lookup: HashMap<String, usize> = HashMap::new();
        for (i, c) in raw.category.iter().enumerate() {
            if c.code.is_empty()
                || !c
                    .code
                    .chars()
                    .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '_')
            {
                return Err(bad(format!(
                    "category {} has code {:?}: use lower-case letters, digits and _",
                    i + 1,
                    c.code
                )));
            }
            for name in std::iter::once(&c.code)
                .chain(std::iter::once(&c.zh))
                .chain(&c.aliases)
            {
                let k = fold(name);
                if let Some(&j) = lookup.get(&k)
                    && j != i
                {
                    return Err(bad(format!(
                        "{name:?} names both {} and {}",
                        raw.category[j].code, c.code
                    )));
                }
                lookup.insert(k, i);
            }
        }
        Ok(Self {
            categories: raw.category,
            lookup,
        })
    }

    /// The category a text names (code, Chinese name or alias; trimmed, any case).
    pub fn resolve(&self, text: &str) -> Option<&Category> {
        self.lookup.get(&fold(text)).map(|&i| &self.categories[i])
    }

    /// The category with this code.
    pub fn get(&self, code: &str) -> Option<&Category> {
        self.categories.iter().find(|c| c.code == code)
    }

    /// The index of a code (stable for one taxonomy: used to pack categories into a byte).
    pub fn index_of(&self, code: &str) -> Option<usize> {
        self.categories.iter().position(|c| c.code == code)
    }

    /// Every code, in file order.
    pub fn codes(&self) -> impl Iterator<Item = &str> {
        self.categories.iter().map(|c| c.code.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_taxonomy_maps_every_taipei_case_type() {
        let t = Taxonomy::builtin();
        // Every type in the real Taipei hotline extract, with its count there.
        for (ty, code) in [
            ("大型廢棄物清運聯繫", "streetscape"),
            ("場所與設施噪音舉發", "noise"),
            ("污染舉發", "streetscape"),
            ("道路散落物或油漬處理", "streetscape"),
            ("路燈故障或設施損壞", "facilities"),
            ("鄰里無主垃圾清運", "streetscape"),
            ("動物救援", "animals"),
            ("交通號誌異常", "roads"),
            ("用戶無水、漏水報修", "facilities"),
            ("市區道路坑洞處理", "roads"),
            ("路樹處理", "greenery"),
            ("交通標誌及設施物損壞(含汙損)、傾斜", "roads"),
            ("雨水下水道側溝清淤", "facilities"),
            ("道路側溝溝蓋(含周邊)損壞遺失", "roads"),
            ("交通號誌電纜線垂落及設施損壞", "roads"),
            ("人孔蓋(含周邊)破損、遺失處理", "facilities"),
            ("橋梁、隧道、車(人)行地下道及涵洞積淹水", "emergency"),
            ("道路側溝內溝牆(底)破損", "roads"),
            ("道路掏空", "roads"),
            ("路面積淹水", "emergency"),
            ("河濱公園自行車道破損、油漬及樹倒", "roads"),
        ] {
            assert_eq!(t.resolve(ty).map(|c| c.code.as_str()), Some(code), "{ty}");
        }
        assert_eq!(t.resolve(" Noise ").map(|c| c.code.as_str()), Some("noise"));
        assert_eq!(
            t.resolve("市容环境").map(|c| c.code.as_str()),
            Some("streetscape")
        );
        assert!(t.resolve("不存在的类型").is_none());
        // As the real extract spells one type: U+F9E4 (a compatibility ideograph) for 理,
        // and full-width brackets.
        assert_eq!(
            t.resolve("人孔蓋(含周邊)破損、遺失處\u{F9E4}")
                .map(|c| c.code.as_str()),
            Some("facilities")
        );
        assert_eq!(
            t.resolve("人孔蓋（含周邊）破損、遺失處理")
                .map(|c| c.code.as_str()),
            Some("facilities")
        );
    }

    #[test]
    fn bad_taxonomies_are_refused() {
        let dup = "[[category]]\ncode='a'\nzh='甲'\nen='A'\ngbt30428='x'\naliases=['b']\n\
                   [[category]]\ncode='b'\nzh='乙'\nen='B'\ngbt30428='x'\n";
        let e = Taxonomy::parse(dup).expect_err("alias clash").to_string();
        assert!(e.contains("names both a and b"), "{e}");
        let code = "[[category]]\ncode='A B'\nzh='甲'\nen='A'\ngbt30428='x'\n";
        assert!(Taxonomy::parse(code).is_err());
        assert!(Taxonomy::parse("").is_err());
    }
}

//! The social-condition index (社情指数): incidents of three sources (petition, hotline, 110)
//! in configurable items, per 1,000 households of each area, compared with the district.
//! Formula (docs/social-index.md): an item's score is the area's rate over the district's
//! rate × 100; a category's score the weighted mean of its items' scores; the index the
//! weighted mean of the categories' scores. 100 is the district level; higher means more
//! incidents per household. Every run carries the SHA-256 of its canonical inputs and results,
//! so a published figure can be traced and recomputed.

use super::closed_loop::{Case, Level, previous_month};
use super::index_tally::{IndexTally, tally_cases};
use crate::{Error, Result};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};

/// The built-in parameters.
pub const DEFAULT_INDEX_TOML: &str = include_str!("../../../../data/social_index.toml");

#[derive(Debug, Clone, PartialEq)]
pub struct IndexCategory {
    pub code: String,
    pub zh: String,
    pub sources: Vec<String>,
    pub weight: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct IndexItem {
    pub code: String,
    pub category: String,
    pub zh: String,
    /// Taxonomy codes; `*` the codes no other item of the category names.
    pub incidents: Vec<String>,
    pub weight: f64,
}

/// The index's parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexParams {
    pub categories: Vec<IndexCategory>,
    pub items: Vec<IndexItem>,
    pub min_count: u64,
    pub min_households: u64,
    /// The TOML text (stored with each release; its SHA-256 names the parameters).
    pub source: String,
}

#[derive(serde::Deserialize)]
struct Raw {
    min_count: Option<u64>,
    min_households: Option<u64>,
    #[serde(default)]
    category: Vec<RawCategory>,
    #[serde(default)]
    item: Vec<RawItem>,
}

#[derive(serde::Deserialize)]
struct RawCategory {
    code: String,
    zh: String,
    sources: Vec<String>,
    weight: Option<f64>,
}

#[derive(serde::Deserialize)]
struct RawItem {
    code: String,
    category: String,
    zh: String,
    incidents: Vec<String>,
    weight: Option<f64>,
}

impl IndexParams {
    pub fn builtin() -> Self {
        // The compiled-in file is tested below.
        Self::parse(DEFAULT_INDEX_TOML, "data/social_index.toml").unwrap_or_else(|_| Self {
            categories: Vec::new(),
            items: Vec::new(),
            min_count: 3,
            min_households: 100,
            source: String::new(),
        })
    }

    /// Parses and checks parameters; `name` names the file in errors.
    pub fn parse(text: &str, name: &str) -> Result<Self> {
        let bad = |reason: String| Error::Catalogue {
            file: name.into(),
            reason,
        };
        let raw: Raw = toml::from_str(text).map_err(|e| bad(e.to_string()))?;
        let weight = |w: Option<f64>, what: &str| -> Result<f64> {
            let w = w.unwrap_or(1.0);
            if w.is_finite() && w >= 0.0 {
                Ok(w)
            } else {
                Err(bad(format!("{what}: weight must be zero or more")))
            }
        };
        let mut categories = Vec::new();
        let mut sources = BTreeSet::new();
        for c in raw.category {
            if categories.iter().any(|x: &IndexCategory| x.code == c.code) {
                return Err(bad(format!("category {:?} is given twice", c.code)));
            }
            for s in &c.sources {
                if !sources.insert(s.clone()) {
                    return Err(bad(format!("source {s:?} is in two categories")));
                }
            }
            categories.push(IndexCategory {
                weight: weight(c.weight, &format!("category {}", c.code))?,
                code: c.code,
                zh: c.zh,
                sources: c.sources,
            });
        }
        if categories.is_empty() {
            return Err(bad("no [[category]]".into()));
        }
        let mut items: Vec<IndexItem> = Vec::new();
        for i in raw.item {
            if !categories.iter().any(|c| c.code == i.category) {
                return Err(bad(format!(
                    "item {:?}: no category {:?}",
                    i.code, i.category
                )));
            }
            if items.iter().any(|x| x.code == i.code) {
                return Err(bad(format!("item {:?} is given twice", i.code)));
            }
            for code in &i.incidents {
                if let Some(other) = items
                    .iter()
                    .find(|x| x.category == i.category && x.incidents.contains(code))
                {
                    return Err(bad(format!(
                        "items {:?} and {:?} both count {code:?} in category {:?}",
                        other.code, i.code, i.category
                    )));
                }
            }
            items.push(IndexItem {
                weight: weight(i.weight, &format!("item {}", i.code))?,
                code: i.code,
                category: i.category,
                zh: i.zh,
                incidents: i.incidents,
            });
        }
        for c in &categories {
            if !items.iter().any(|i| i.category == c.code) {
                return Err(bad(format!("category {:?} has no item", c.code)));
            }
        }
        Ok(Self {
            categories,
            items,
            min_count: raw.min_count.unwrap_or(3),
            min_households: raw.min_households.unwrap_or(100),
            source: text.to_string(),
        })
    }

    /// The item a case counts in, if any.
    pub fn item_of(&self, c: &Case) -> Option<usize> {
        self.item_of_kind(&c.source, &c.category)
    }

    /// The item an incident of `source` and `category` counts in, if any.
    pub fn item_of_kind(&self, source: &str, category: &str) -> Option<usize> {
        let cat = self
            .categories
            .iter()
            .find(|k| k.sources.iter().any(|s| s == source))?;
        let in_cat = || {
            self.items
                .iter()
                .enumerate()
                .filter(|(_, i)| i.category == cat.code)
        };
        in_cat()
            .find(|(_, i)| i.incidents.iter().any(|x| x == category))
            .or_else(|| in_cat().find(|(_, i)| i.incidents.iter().any(|x| x == "*")))
            .map(|(k, _)| k)
    }

    /// SHA-256 of the parameters' text.
    pub fn digest(&self) -> String {
        sha256_hex(self.source.as_bytes())
    }
}

/// Hex SHA-256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// One area's figures in a month.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexRow {
    pub area: String,
    pub households: u64,
    /// Count per item (in `IndexParams::items` order).
    pub counts: Vec<u64>,
    /// Score per category (`None` when no item of the category has incidents district-wide).
    pub category_scores: Vec<Option<f64>>,
    /// `None` below `min_households`.
    pub index: Option<f64>,
    /// The index of the month before, for the change.
    pub previous: Option<f64>,
    /// 1 = the highest index.
    pub rank: Option<usize>,
}

impl IndexRow {
    pub fn change(&self) -> Option<f64> {
        Some(self.index? - self.previous?)
    }
}

/// A computed month: rows, and the digests of its canonical inputs and results.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexRun {
    pub month: String,
    pub level: Level,
    pub rows: Vec<IndexRow>,
    /// Canonical inputs: `area,households` and `area,month,item,count` lines, sorted.
    pub inputs_csv: String,
    pub inputs_sha256: String,
    /// Canonical results: `area,index,previous,rank` and category scores, fixed decimals.
    pub results_csv: String,
    pub results_sha256: String,
    pub params_sha256: String,
}

/// Counts per area and item for one month.
fn counts(tallies: &[IndexTally], month: &str, p: &IndexParams) -> BTreeMap<String, Vec<u64>> {
    let mut out: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    for t in tallies.iter().filter(|t| t.month == month) {
        let Some(item) = p.item_of_kind(&t.source, &t.category) else {
            continue;
        };
        out.entry(t.area.clone())
            .or_insert_with(|| vec![0; p.items.len()])[item] += t.count;
    }
    out
}

/// Scores of one month: (area → (category scores, index)).
#[allow(clippy::type_complexity)]
fn scores(
    counts: &BTreeMap<String, Vec<u64>>,
    households: &BTreeMap<String, u64>,
    p: &IndexParams,
) -> BTreeMap<String, (Vec<Option<f64>>, Option<f64>)> {
    let total_h: u64 = households.values().sum();
    let mut district = vec![0u64; p.items.len()];
    for (area, v) in counts {
        if households.contains_key(area) {
            for (d, n) in district.iter_mut().zip(v) {
                *d += n;
            }
        }
    }
    let zero = vec![0u64; p.items.len()];
    households
        .iter()
        .map(|(area, &h)| {
            let v = counts.get(area).unwrap_or(&zero);
            let cats: Vec<Option<f64>> = p
                .categories
                .iter()
                .map(|c| {
                    let (mut sum, mut w) = (0.0, 0.0);
                    for (k, item) in p.items.iter().enumerate() {
                        if item.category != c.code || district[k] == 0 || total_h == 0 || h == 0 {
                            continue;
                        }
                        let rate = v[k] as f64 / h as f64;
                        let district_rate = district[k] as f64 / total_h as f64;
                        sum += item.weight * rate / district_rate * 100.0;
                        w += item.weight;
                    }
                    (w > 0.0).then(|| sum / w)
                })
                .collect();
            let (mut sum, mut w) = (0.0, 0.0);
            for (c, s) in p.categories.iter().zip(&cats) {
                if let Some(s) = s {
                    sum += c.weight * s;
                    w += c.weight;
                }
            }
            let index = (w > 0.0 && h >= p.min_households).then(|| sum / w);
            (area.clone(), (cats, index))
        })
        .collect()
}

/// The index of `month` at `level` for the areas in `households` (households per area).
pub fn social_index(
    cases: &[Case],
    households: &BTreeMap<String, u64>,
    month: &str,
    level: Level,
    p: &IndexParams,
) -> IndexRun {
    social_index_of_tallies(&tally_cases(cases, level), households, month, level, p)
}

/// [`social_index`] from the incidents' tallies at `level` (those of `month` and the month
/// before are read): what a store that counts them itself gives.
// Long: the two months' scores, the ranking, and the canonical inputs and results written out.
pub fn social_index_of_tallies(
    tallies: &[IndexTally],
    households: &BTreeMap<String, u64>,
    month: &str,
    level: Level,
    p: &IndexParams,
) -> IndexRun {
    let now = counts(tallies, month, p);
    let prev_month = previous_month(month).unwrap_or_default();
    let before = counts(tallies, &prev_month, p);
    let s_now = scores(&now, households, p);
    let s_before = scores(&before, households, p);
    let zero = vec![0u64; p.items.len()];
    let mut rows: Vec<IndexRow> = households
        .iter()
        .map(|(area, &h)| {
            let (cats, index) = s_now.get(area).cloned().unwrap_or_default();
            IndexRow {
                area: area.clone(),
                households: h,
                counts: now.get(area).unwrap_or(&zero).clone(),
                category_scores: cats,
                index,
                previous: s_before.get(area).and_then(|x| x.1),
                rank: None,
            }
        })
        .collect();
    let mut ranked: Vec<usize> = (0..rows.len())
        .filter(|&i| rows[i].index.is_some())
        .collect();
    ranked.sort_by(|&a, &b| {
        rows[b]
            .index
            .unwrap_or(0.0)
            .total_cmp(&rows[a].index.unwrap_or(0.0))
            .then(rows[a].area.cmp(&rows[b].area))
    });
    for (r, &i) in ranked.iter().enumerate() {
        rows[i].rank = Some(r + 1);
    }
    let mut inputs = String::from("area,households\n");
    for (a, h) in households {
        inputs.push_str(&format!("{a},{h}\n"));
    }
    inputs.push_str("area,month,item,count\n");
    for (m, table) in [(&prev_month, &before), (&month.to_string(), &now)] {
        for (a, v) in table {
            for (k, n) in v.iter().enumerate() {
                if *n > 0 {
                    inputs.push_str(&format!("{a},{m},{},{n}\n", p.items[k].code));
                }
            }
        }
    }
    let f = |x: Option<f64>| x.map_or(String::new(), |x| format!("{x:.4}"));
    let mut results = String::from("area,index,previous,rank");
    for c in &p.categories {
        results.push_str(&format!(",{}", c.code));
    }
    results.push('\n');
    for r in &rows {
        results.push_str(&format!(
            "{},{},{},{}",
            r.area,
            f(r.index),
            f(r.previous),
            r.rank.map_or(String::new(), |x| x.to_string())
        ));
        for s in &r.category_scores {
            results.push_str(&format!(",{}", f(*s)));
        }
        results.push('\n');
    }
    IndexRun {
        month: month.to_string(),
        level,
        inputs_sha256: sha256_hex(inputs.as_bytes()),
        inputs_csv: inputs,
        results_sha256: sha256_hex(results.as_bytes()),
        results_csv: results,
        params_sha256: p.digest(),
        rows,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::Timestamp;

    /// A case of `source` and `category` in `community`, reported `when` (local time).
    pub(crate) fn case(source: &str, category: &str, community: &str, when: &str) -> Case {
        Case {
            key: format!("{source}{category}{community}{when}"),
            time: Timestamp::parse(when, 8 * 3600).expect("time"),
            category: category.into(),
            source: source.into(),
            community: Some(community.into()),
            grid: None,
            street: None,
            steps: [None; 4],
            reworks: 0,
            extension_h: 0.0,
            evaluation: None,
            department: None,
            worker: None,
        }
    }

    #[test]
    fn the_builtin_parameters_have_three_categories_and_sixteen_items() {
        let p = IndexParams::parse(DEFAULT_INDEX_TOML, "x").expect("parses");
        assert_eq!(p.categories.len(), 3);
        assert_eq!(p.items.len(), 16);
        // every taxonomy code of every source lands in exactly one item
        for src in ["petition", "hotline", "police_110"] {
            for code in crate::Taxonomy::builtin().codes() {
                assert!(
                    p.item_of(&case(src, code, "A", "2026-10-01 08:00"))
                        .is_some(),
                    "{src} {code}"
                );
            }
        }
        assert!(
            p.item_of(&case("grid_worker", "noise", "A", "2026-10-01 08:00"))
                .is_none()
        );
    }

    #[test]
    fn a_hand_checked_month() {
        // One category (hotline), two items (noise; the rest), equal weights.
        let p = IndexParams::parse(
            "min_count = 1\nmin_households = 10\n[[category]]\ncode = \"hotline\"\nzh = \"h\"\nsources = [\"hotline\"]\n\
             [[item]]\ncode = \"noise\"\ncategory = \"hotline\"\nzh = \"n\"\nincidents = [\"noise\"]\n\
             [[item]]\ncode = \"rest\"\ncategory = \"hotline\"\nzh = \"r\"\nincidents = [\"*\"]\n",
            "t",
        )
        .expect("params");
        // A: 100 households, 2 noise, 1 roads; B: 300 households, 2 noise, 3 roads (October).
        // September: A 1 noise, B 1 noise.
        let mut cases = vec![
            case("hotline", "noise", "A", "2026-10-02 10:00"),
            case("hotline", "noise", "A", "2026-10-03 10:00"),
            case("hotline", "roads", "A", "2026-10-04 10:00"),
            case("hotline", "noise", "B", "2026-10-05 10:00"),
            case("hotline", "noise", "B", "2026-10-06 10:00"),
            case("police_110", "noise", "B", "2026-10-06 10:00"),
            case("hotline", "noise", "A", "2026-09-06 10:00"),
            case("hotline", "noise", "B", "2026-09-06 10:00"),
        ];
        for d in ["07", "08", "09"] {
            cases.push(case("hotline", "roads", "B", &format!("2026-10-{d} 10:00")));
        }
        let households: BTreeMap<String, u64> =
            [("A".to_string(), 100), ("B".to_string(), 300)].into();
        let run = social_index(&cases, &households, "2026-10", Level::Community, &p);
        // District: 400 households; noise 4 (rate 0.01), rest 4 (0.01).
        // A: noise 0.02 → 200, rest 0.01 → 100; index 150.
        // B: noise 2/300 → 66.667, rest 3/300 → 100; index 83.333.
        let a = &run.rows[0];
        assert_eq!(a.counts, vec![2, 1]);
        assert!((a.index.expect("A") - 150.0).abs() < 1e-9);
        let b = &run.rows[1];
        assert!((b.index.expect("B") - 250.0 / 3.0).abs() < 1e-9);
        assert_eq!((a.rank, b.rank), (Some(1), Some(2)));
        // September: noise only, A 1/100, B 1/300, district 2/400 → A 200, B 66.667.
        assert!((a.previous.expect("A before") - 200.0).abs() < 1e-9);
        assert!((a.change().expect("change") + 50.0).abs() < 1e-9);
        // Same inputs, same digests; another count, another digest.
        let again = social_index(&cases, &households, "2026-10", Level::Community, &p);
        assert_eq!(again.inputs_sha256, run.inputs_sha256);
        assert_eq!(again.results_sha256, run.results_sha256);
        cases.pop();
        let changed = social_index(&cases, &households, "2026-10", Level::Community, &p);
        assert_ne!(changed.inputs_sha256, run.inputs_sha256);
        assert_eq!(run.inputs_sha256, sha256_hex(run.inputs_csv.as_bytes()));
    }

    #[test]
    fn bad_parameters_name_the_problem() {
        for (text, says) in [
            (
                "[[category]]\ncode=\"a\"\nzh=\"a\"\nsources=[\"x\"]\n",
                "has no item",
            ),
            (
                "[[category]]\ncode=\"a\"\nzh=\"a\"\nsources=[\"x\"]\n[[item]]\ncode=\"i\"\ncategory=\"b\"\nzh=\"i\"\nincidents=[\"*\"]\n",
                "no category",
            ),
            (
                "[[category]]\ncode=\"a\"\nzh=\"a\"\nsources=[\"x\"]\n[[item]]\ncode=\"i\"\ncategory=\"a\"\nzh=\"i\"\nincidents=[\"noise\"]\n[[item]]\ncode=\"j\"\ncategory=\"a\"\nzh=\"j\"\nincidents=[\"noise\"]\n",
                "both count",
            ),
            ("min_count = 3\n", "no [[category]]"),
        ] {
            let e = IndexParams::parse(text, "idx.toml").expect_err(text);
            assert!(
                e.to_string().contains(says) && e.to_string().contains("idx.toml"),
                "{e}"
            );
        }
    }
}

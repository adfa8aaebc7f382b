//! What the social-condition index reads of the incidents: how many of each source and
//! category each area had in each local month. A store may count these itself (in SQL) so
//! the index never reads the cases; [`tally_cases`] counts them from cases, and defines them.

use super::closed_loop::{Case, Level, month_of};
use std::collections::BTreeMap;

/// The incidents of one area, local month, source and category.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct IndexTally {
    pub area: String,
    /// `YYYY-MM`, local time (+08:00).
    pub month: String,
    pub source: String,
    pub category: String,
    pub count: u64,
}

/// The tallies of `cases` at `level` (cases without an area at that level left out), sorted.
pub fn tally_cases(cases: &[Case], level: Level) -> Vec<IndexTally> {
    let mut n: BTreeMap<(&str, String, &str, &str), u64> = BTreeMap::new();
    for c in cases {
        if let Some(area) = level.area_of(c) {
            *n.entry((area, month_of(c.time), &c.source, &c.category))
                .or_default() += 1;
        }
    }
    n.into_iter()
        .map(|((area, month, source, category), count)| IndexTally {
            area: area.to_string(),
            month,
            source: source.to_string(),
            category: category.to_string(),
            count,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kpi::social_index::tests::case;

    #[test]
    fn cases_are_counted_by_area_local_month_source_and_category() {
        let mut nowhere = case("hotline", "noise", "a", "2026-11-02 10:00");
        nowhere.community = None;
        let cases = [
            case("hotline", "noise", "a", "2026-10-31 23:30"),
            // 16:30 UTC on the 31st is November locally.
            case("hotline", "noise", "a", "2026-11-01 00:30"),
            case("hotline", "noise", "a", "2026-11-02 10:00"),
            case("petition", "noise", "a", "2026-11-02 10:00"),
            nowhere,
        ];
        let t = tally_cases(&cases, Level::Community);
        let got: Vec<(&str, &str, &str, u64)> = t
            .iter()
            .map(|t| {
                (
                    t.area.as_str(),
                    t.month.as_str(),
                    t.source.as_str(),
                    t.count,
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("a", "2026-10", "hotline", 1),
                ("a", "2026-11", "hotline", 2),
                ("a", "2026-11", "petition", 1)
            ]
        );
    }
}

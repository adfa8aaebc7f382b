//! Time limits of the closed loop: hours allowed for each step per incident category
//! (`data/time_limits.toml`, compiled in; a user file replaces it).

use crate::{Error, Result};
use std::collections::BTreeMap;

/// The built-in limits.
pub const DEFAULT_LIMITS_TOML: &str = include_str!("../../../../data/time_limits.toml");

/// The four timed steps, in loop order: reported → dispatched, → handled, → followed up,
/// → closed.
pub const STEPS: [&str; 4] = ["dispatch", "handle", "follow_up", "close"];

/// Hours per step, a default and per category.
#[derive(Debug, Clone, PartialEq)]
pub struct TimeLimits {
    pub default: [f64; 4],
    pub by_category: BTreeMap<String, [f64; 4]>,
    /// The TOML they came from (stored with every index release).
    pub source: String,
}

impl TimeLimits {
    pub fn builtin() -> Self {
        // The compiled-in file is tested below; it always parses.
        Self::parse(DEFAULT_LIMITS_TOML, "data/time_limits.toml").unwrap_or_else(|_| Self {
            default: [2.0, 72.0, 24.0, 24.0],
            by_category: BTreeMap::new(),
            source: String::new(),
        })
    }

    /// Parses limits; `name` names the file in errors.
    pub fn parse(text: &str, name: &str) -> Result<Self> {
        let bad = |reason: String| Error::Catalogue {
            file: name.into(),
            reason,
        };
        let v: toml::Table = text.parse().map_err(|e| bad(format!("{e}")))?;
        let steps = |t: &toml::Table, base: [f64; 4], what: &str| -> Result<[f64; 4]> {
            let mut out = base;
            for (k, x) in t {
                let i = STEPS.iter().position(|s| s == k).ok_or_else(|| {
                    bad(format!(
                        "{what}: unknown step {k:?}; steps: {}",
                        STEPS.join(", ")
                    ))
                })?;
                let h = x
                    .as_float()
                    .or_else(|| x.as_integer().map(|i| i as f64))
                    .filter(|h| h.is_finite() && *h > 0.0)
                    .ok_or_else(|| bad(format!("{what}.{k}: a positive number of hours")))?;
                out[i] = h;
            }
            Ok(out)
        };
        let default = match v.get("default") {
            Some(toml::Value::Table(t)) => steps(t, [f64::NAN; 4], "default")?,
            _ => return Err(bad("no [default] table".into())),
        };
        if default.iter().any(|h| h.is_nan()) {
            return Err(bad(format!(
                "[default] must give every step: {}",
                STEPS.join(", ")
            )));
        }
        let mut by_category = BTreeMap::new();
        if let Some(cats) = v.get("category") {
            let cats = cats
                .as_table()
                .ok_or_else(|| bad("category: a table of categories".into()))?;
            for (c, t) in cats {
                let t = t
                    .as_table()
                    .ok_or_else(|| bad(format!("category.{c}: a table of steps")))?;
                by_category.insert(c.clone(), steps(t, default, &format!("category.{c}"))?);
            }
        }
        for k in v.keys() {
            if k != "default" && k != "category" {
                return Err(bad(format!("unknown table [{k}]")));
            }
        }
        Ok(Self {
            default,
            by_category,
            source: text.to_string(),
        })
    }

    /// Hours allowed for each step of a category.
    pub fn of(&self, category: &str) -> [f64; 4] {
        self.by_category
            .get(category)
            .copied()
            .unwrap_or(self.default)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_limits_parse_and_fill_categories_from_the_default() {
        let l = TimeLimits::parse(DEFAULT_LIMITS_TOML, "x").expect("parses");
        assert_eq!(l.default, [2.0, 72.0, 24.0, 24.0]);
        assert_eq!(l.of("noise"), [2.0, 24.0, 24.0, 24.0]);
        assert_eq!(l.of("emergency"), [0.5, 4.0, 4.0, 12.0]);
        assert_eq!(l.of("unknown"), l.default);
    }

    #[test]
    fn bad_limits_name_the_problem() {
        for (text, says) in [
            ("[default]\ndispatch = 1\n", "must give every step"),
            (
                "[default]\ndispatch=1\nhandle=1\nfollow_up=1\nclose=1\nnap=2\n",
                "unknown step",
            ),
            (
                "[default]\ndispatch=1\nhandle=-1\nfollow_up=1\nclose=1\n",
                "positive number",
            ),
            ("[defaults]\n", "no [default]"),
        ] {
            let e = TimeLimits::parse(text, "limits.toml").expect_err(text);
            assert!(e.to_string().contains(says), "{e}");
            assert!(e.to_string().contains("limits.toml"), "{e}");
        }
    }
}

//! Query parameters shared by the incident list, heat and count tiles: comma lists, the
//! incident filters (category through the taxonomy, source, status) and times.

use crate::AppError;
use std::collections::HashMap;
use wangge_core::{IncidentSource, IncidentStatus, Taxonomy, Timestamp};

/// The built-in taxonomy, parsed once.
pub(super) fn builtin_taxonomy() -> &'static Taxonomy {
    static T: std::sync::OnceLock<Taxonomy> = std::sync::OnceLock::new();
    T.get_or_init(Taxonomy::builtin)
}

/// A comma-separated list (empty items dropped).
pub(super) fn list(q: &HashMap<String, String>, k: &str) -> Vec<String> {
    q.get(k)
        .map(|v| {
            v.split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default()
}

/// `category` (codes, Chinese names or aliases → codes), `source` and `status` lists.
pub(super) struct IncidentFilters {
    pub categories: Vec<String>,
    pub sources: Vec<IncidentSource>,
    pub statuses: Vec<IncidentStatus>,
}

impl IncidentFilters {
    pub(super) fn parse(
        q: &HashMap<String, String>,
        taxonomy: &Taxonomy,
    ) -> Result<Self, AppError> {
        let bad = |m: String| AppError::BadRequest(m);
        let categories = list(q, "category")
            .iter()
            .map(|c| {
                taxonomy
                    .resolve(c)
                    .map(|t| t.code.clone())
                    .ok_or_else(|| bad(format!("category={c}: not in the taxonomy")))
            })
            .collect::<Result<_, _>>()?;
        Ok(Self {
            categories,
            sources: list(q, "source")
                .iter()
                .map(|v| IncidentSource::parse(v))
                .collect::<Result<_, _>>()
                .map_err(|e| bad(e.to_string()))?,
            statuses: list(q, "status")
                .iter()
                .map(|v| IncidentStatus::parse(v))
                .collect::<Result<_, _>>()
                .map_err(|e| bad(e.to_string()))?,
        })
    }
}

/// A time parameter: a date or a time (+08:00 unless given); a bare date as `to` means the
/// end of that day.
pub(super) fn time(
    q: &HashMap<String, String>,
    k: &str,
    end_of_day: bool,
) -> Result<Option<Timestamp>, AppError> {
    q.get(k)
        .map(|v| {
            let t = Timestamp::parse(v, 8 * 3600)
                .map_err(|e| AppError::BadRequest(format!("{k}={v}: {e}")))?;
            // A date without a time of day ("2026-11-01", "2026-11-1", "2026/11/01").
            let bare_date = !v.contains(':');
            Ok(if end_of_day && bare_date {
                Timestamp::from_unix(t.unix() + 86_399)
            } else {
                t
            })
        })
        .transpose()
}

/// A JSON body as `T`, or 400 naming what is wrong (problem details, as every refusal; axum's
/// own rejection would answer plain text).
pub(super) fn json_body<T: serde::de::DeserializeOwned>(
    v: serde_json::Value,
) -> Result<T, AppError> {
    serde_json::from_value(v).map_err(|e| AppError::BadRequest(format!("body: {e}")))
}

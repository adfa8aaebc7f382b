//! Every refusal and failure answers RFC 9457 problem details (`application/problem+json`),
//! with a stable `code` and its `params` for clients to translate (never the English text).

use serde::Serialize;
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// RFC 9457 problem details.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ProblemDetails {
    /// Always `about:blank`: the status and `code` say what happened.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    /// What went wrong, in English, naming the request's parts.
    pub detail: String,
    /// A stable machine code (`not_found`, `plan.over_cap`, ...).
    pub code: String,
    /// The code's parameters (grid, households, cap, ...), as text.
    pub params: BTreeMap<String, String>,
}

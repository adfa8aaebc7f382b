//! The communities of record on PostgreSQL, as SQL (`wangge_io::store::communities_of_record`
//! in Rust; the conformance suite holds them together).

/// The communities of record with their streets (`wangge_io::store::communities_of_record`)
/// as a relation (key, street, part, ord): the imported communities, or the current plan's
/// community level when it has one, in their order (`part`, `ord`). What the streets of KPI
/// rows, index tallies and cases are joined to.
pub(super) const RECORD_STREETS: &str = "(
    SELECT key, street, 0 AS part, fid::bigint AS ord FROM {s}.communities
    WHERE NOT EXISTS (SELECT 1 FROM {s}.plan_communities
                      WHERE plan_id = (SELECT max(id) FROM {s}.plans WHERE NOT branch))
    UNION ALL
    SELECT code, street, 1, seq FROM {s}.plan_communities
    WHERE plan_id = (SELECT max(id) FROM {s}.plans WHERE NOT branch))";

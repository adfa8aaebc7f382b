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

/// (community keys, their streets) of the communities of record that have a street, read in
/// `tx`'s snapshot: passed to a statement as two arrays (`unnest($a, $b) AS m(key, street)`),
/// which, unlike the relation above, leaves the month's scan free to run in parallel (the
/// relation's subqueries kept a street table to one process: 672 against 379 ms for a month
/// of 822,940 cases at 10M incidents).
pub(super) fn record_streets(
    store: &super::PgStore,
    tx: &mut impl postgres::GenericClient,
) -> wangge_io::Result<(Vec<String>, Vec<String>)> {
    let e = store.err();
    let rows = tx
        .query(
            &store.sql(&format!(
                "SELECT key, street FROM {RECORD_STREETS} r WHERE street IS NOT NULL"
            )),
            &[],
        )
        .map_err(&e)?;
    let mut out = (
        Vec::with_capacity(rows.len()),
        Vec::with_capacity(rows.len()),
    );
    for r in &rows {
        out.0.push(r.try_get(0).map_err(&e)?);
        out.1.push(r.try_get(1).map_err(&e)?);
    }
    Ok(out)
}

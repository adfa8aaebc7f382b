//! The social-condition index's tallies counted in SQL on PostgreSQL: the incidents of a
//! window grouped by area, local month, source and category in the database, so the index
//! of a month reads a few hundred rows, not the two months' cases
//! (`wangge_core::kpi::tally_cases` defines them; the conformance suite holds these to it).
//! Areas as the KPI rows take them (`kpi_rows.rs`): the incident's grid and community, its
//! community's street, its last assignment as the row keeps it.

use super::PgStore;
use wangge_core::Timestamp;
use wangge_core::kpi::{IndexTally, Level};
use wangge_io::Result;

/// The tallies of the incidents reported in `[from, to)` at `level`, sorted.
pub(super) fn index_tallies(
    store: &PgStore,
    (from, to): (Timestamp, Timestamp),
    level: Level,
) -> Result<Vec<IndexTally>> {
    let e = store.err();
    let (from, to) = (
        from.unix().max(-2_208_988_800),
        to.unix().min(253_402_300_799),
    );
    let (area, streets) = match level {
        Level::Grid => ("i.grid", ""),
        Level::Community => ("i.community", ""),
        Level::Street => (
            "m.street",
            "LEFT JOIN unnest($3::text[], $4::text[]) AS m(key, street) ON m.key = i.community",
        ),
        Level::District => ("'district'::text", ""),
        Level::Department => ("i.assigned_department", ""),
        Level::Worker => ("i.assigned_worker", ""),
    };
    let sql = format!(
        "SELECT a.area, to_char(a.month, 'YYYY-MM'), a.source, a.category, count(*)
         FROM (SELECT {area} AS area, i.month, i.source, i.category
               FROM {{s}}.incidents i {streets}
               WHERE i.time >= to_timestamp($1::bigint) AND i.time < to_timestamp($2::bigint)
                 AND i.month >= {m1} AND i.month <= {m2}) a
         WHERE a.area IS NOT NULL
         GROUP BY 1, 2, 3, 4",
        m1 = super::incident_rows::month_of("$1::bigint"),
        m2 = super::incident_rows::month_of("$2::bigint"),
    );
    let mut client = store.client()?;
    // The streets and the incidents in one snapshot.
    let mut tx = store.snapshot(&mut client)?;
    let rows = if level == Level::Street {
        let (keys, streets) = super::record::record_streets(store, &mut tx)?;
        tx.query(&store.sql(&sql), &[&from, &to, &keys, &streets])
    } else {
        tx.query(&store.sql(&sql), &[&from, &to])
    }
    .map_err(&e)?;
    tx.commit().map_err(&e)?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        out.push(IndexTally {
            area: r.try_get(0).map_err(&e)?,
            month: r.try_get(1).map_err(&e)?,
            source: r.try_get(2).map_err(&e)?,
            category: r.try_get(3).map_err(&e)?,
            count: r.try_get::<_, i64>(4).map_err(&e)? as u64,
        });
    }
    // In Rust's order (the database's collation may order text otherwise).
    out.sort();
    Ok(out)
}

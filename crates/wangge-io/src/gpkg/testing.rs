//! For tests and diagnostics only: read a GeoPackage workspace with SQL, or change a row the
//! way an operator with `sqlite3` would (age a token, move a community to another street).
//! Front ends never use this module; they go through the store traits.

use super::store::GeoPackage;
use crate::Result;
use rusqlite::types::Value;

/// One cell of a result row.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
}

impl Cell {
    /// The integer, or panics naming what the cell holds (tests only).
    pub fn int(&self) -> i64 {
        match self {
            Self::Int(i) => *i,
            other => panic!("not an integer: {other:?}"),
        }
    }

    /// The number (an integer widens), `None` for NULL.
    pub fn real(&self) -> Option<f64> {
        match self {
            Self::Int(i) => Some(*i as f64),
            Self::Real(r) => Some(*r),
            Self::Null => None,
            other => panic!("not a number: {other:?}"),
        }
    }

    /// The text, `None` for NULL.
    pub fn text(&self) -> Option<&str> {
        match self {
            Self::Text(t) => Some(t),
            Self::Null => None,
            other => panic!("not text: {other:?}"),
        }
    }
}

fn cell(v: Value) -> Cell {
    match v {
        Value::Null => Cell::Null,
        Value::Integer(i) => Cell::Int(i),
        Value::Real(r) => Cell::Real(r),
        Value::Text(t) => Cell::Text(t),
        Value::Blob(b) => Cell::Blob(b),
    }
}

/// The rows of a query, with text parameters bound to `?1`, `?2`, ...
pub fn query(store: &GeoPackage, sql: &str, params: &[&str]) -> Result<Vec<Vec<Cell>>> {
    let err = store.sql();
    let mut stmt = store.connection().prepare(sql).map_err(&err)?;
    let n = stmt.column_count();
    let mut rows = stmt
        .query(rusqlite::params_from_iter(params.iter()))
        .map_err(&err)?;
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(&err)? {
        let mut cells = Vec::with_capacity(n);
        for i in 0..n {
            cells.push(cell(row.get::<_, Value>(i).map_err(&err)?));
        }
        out.push(cells);
    }
    Ok(out)
}

/// The first row of a query (panics when there is none: tests only).
pub fn row(store: &GeoPackage, sql: &str, params: &[&str]) -> Vec<Cell> {
    query(store, sql, params)
        .expect("query")
        .into_iter()
        .next()
        .expect("a row")
}

/// Runs one statement; returns the rows changed.
pub fn execute(store: &GeoPackage, sql: &str, params: &[&str]) -> Result<usize> {
    store
        .connection()
        .execute(sql, rusqlite::params_from_iter(params.iter()))
        .map_err(store.sql())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_and_changes_rows() {
        let dir = tempfile::tempdir().expect("tmp");
        let store = GeoPackage::create(dir.path().join("w.gpkg")).expect("create");
        assert_eq!(
            row(&store, "SELECT count(*) FROM communities", &[])[0].int(),
            0
        );
        execute(&store, "CREATE TABLE t (a TEXT)", &[]).expect("ddl");
        let n = execute(&store, "INSERT INTO t VALUES (?1)", &["x"]).expect("insert");
        assert_eq!(n, 1);
        let rows = query(&store, "SELECT a, NULL FROM t WHERE a = ?1", &["x"]).expect("q");
        assert_eq!(rows, vec![vec![Cell::Text("x".into()), Cell::Null]]);
    }
}

//! The store interface of `wangge-io` on PostgreSQL/PostGIS: one schema per workspace, the
//! same promises as the GeoPackage (one transaction per write, durable on commit). Geometry
//! goes in and out as WKB (`ST_GeomFromWKB(.., 4326)`, `ST_AsBinary`) through the
//! GeoPackage's own WKB codec; times as `timestamptz` (bound as Unix seconds).

mod access;
mod case_events;
mod coverage;
mod feed;
mod incident_rows;
mod incidents;
mod index_tallies;
mod kpi_cases;
mod kpi_rows;
mod kpi_since;
mod photos;
mod places;
mod plans;
mod record;
mod releases;
mod residents;
mod status_changes;
mod workforce;
mod workspace;

use crate::{Error, Pg, PgUrl};
use geo_types::Geometry;
use r2d2_postgres::PostgresConnectionManager;
use r2d2_postgres::postgres::NoTls;
use std::path::PathBuf;

/// A pooled connection.
pub(crate) type Client = r2d2::PooledConnection<PostgresConnectionManager<NoTls>>;

/// A Wangge workspace in a PostgreSQL schema; implements every store trait. A clone shares
/// the connection pool.
#[derive(Clone)]
pub struct PgStore {
    pg: Pg,
    schema: String,
    /// Median windows of a counted KPI table: values either side of the middle for all areas
    /// together, and at least for one area (`kpi_rows`).
    median_windows: (i64, i64),
    /// The change counts of the steps and assignments this process committed (first, last
    /// of a transaction), which `status_changes` passes over: the server moved those
    /// statuses itself. Shared by the clones.
    own_changes: std::sync::Arc<std::sync::Mutex<Vec<(i64, i64)>>>,
}

impl PgStore {
    /// Opens the workspace a URL names: connects and applies the migrations it lacks.
    pub fn open(url: &PgUrl) -> Result<Self, Error> {
        let pg = Pg::open(url)?;
        Ok(Self {
            schema: url.schema().to_string(),
            pg,
            median_windows: kpi_rows::MEDIAN_WINDOWS,
            own_changes: Default::default(),
        })
    }

    /// The same workspace keeping median windows of `budget` values either side of the middle
    /// for all areas of a table together and at least `least` for one: smaller windows are
    /// left sooner by a middle moving with new cases (a table is then counted afresh). For
    /// tests and benches; by default 2,048 and 8.
    pub fn with_median_windows(mut self, budget: i64, least: i64) -> Self {
        self.median_windows = (budget.max(1), least.max(1));
        self
    }

    /// The workspace's URL (its `Display` hides the password).
    pub fn url(&self) -> &PgUrl {
        self.pg.url()
    }

    /// Commits `tx`, a step or an assignment, keeping the change counts it took as this
    /// process's own (`status_changes` passes them over).
    pub(crate) fn commit_own(&self, mut tx: postgres::Transaction<'_>) -> wangge_io::Result<()> {
        let row = tx
            .query_one(
                "SELECT nullif(current_setting('wangge.changed_first', true), '')::bigint,
                        nullif(current_setting('wangge.changed_last', true), '')::bigint",
                &[],
            )
            .map_err(self.err())?;
        let counts: (Option<i64>, Option<i64>) = (row.get(0), row.get(1));
        tx.commit().map_err(self.err())?;
        if let (Some(first), Some(last)) = counts {
            let mut own = self.own_changes.lock().unwrap_or_else(|p| p.into_inner());
            // Counts this far behind are out of the log's reach (migration 14 keeps 100,000).
            own.retain(|r| r.1 > last - 200_000);
            own.push((first, last));
        }
        Ok(())
    }

    /// The change counts this process committed as its own (`commit_own`).
    pub(crate) fn own_changes(&self) -> Vec<(i64, i64)> {
        self.own_changes
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// A connection from the pool.
    pub(crate) fn client(&self) -> wangge_io::Result<Client> {
        self.pg.pooled().map_err(|e| self.backend(e))
    }

    /// `text` with `{s}` replaced by the workspace's schema (a checked identifier).
    pub(crate) fn sql(&self, text: &str) -> String {
        text.replace("{s}", &self.schema)
    }

    /// The workspace as an error's location: its URL without the password.
    pub(crate) fn path(&self) -> PathBuf {
        PathBuf::from(self.pg.url().to_string())
    }

    /// A server error as the store's backend error, naming the workspace.
    pub(crate) fn err(&self) -> impl Fn(postgres::Error) -> wangge_io::Error + '_ {
        move |e| self.backend(Error::Statement(crate::migrate::reason(&e)))
    }

    pub(crate) fn backend(&self, e: Error) -> wangge_io::Error {
        wangge_io::Error::Backend {
            path: self.path(),
            source: Box::new(e),
        }
    }

    /// A read-only transaction on `client` that sees one snapshot throughout (repeatable
    /// read): reads of several tables, or a statement and the stamp it was counted at.
    pub(crate) fn snapshot<'a>(
        &self,
        client: &'a mut postgres::Client,
    ) -> wangge_io::Result<postgres::Transaction<'a>> {
        client
            .build_transaction()
            .isolation_level(postgres::IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .map_err(self.err())
    }

    /// Raises the data version inside a writing transaction and tells listening servers
    /// (`NOTIFY wangge_<schema>`, delivered on commit).
    pub(crate) fn bump(&self, tx: &mut postgres::Transaction<'_>) -> Result<(), postgres::Error> {
        tx.batch_execute(
            &self.sql(
                "UPDATE {s}.data_version SET version = version + 1; NOTIFY wangge_{s}, 'data';",
            ),
        )
    }

    /// Tells listening servers that something they keep (tokens) changed, without a new
    /// data version.
    pub(crate) fn notify(&self) -> wangge_io::Result<()> {
        self.client()?
            .batch_execute(&self.sql("NOTIFY wangge_{s}, 'access'"))
            .map_err(self.err())
    }

    /// A workspace error (not a server error) naming the workspace.
    pub(crate) fn damaged(&self, message: String) -> wangge_io::Error {
        wangge_io::Error::Workspace {
            path: self.path(),
            message,
        }
    }
}

/// A geometry as WKB for `ST_GeomFromWKB($n, 4326)`.
pub(crate) fn wkb(g: &Geometry<f64>) -> Vec<u8> {
    wangge_io::gpkg::encode_wkb(g)
}

/// A geometry column read as PostGIS sends it (EWKB in the binary protocol), without a
/// conversion function per row.
pub(crate) struct Ewkb(pub Vec<u8>);

impl<'a> postgres::types::FromSql<'a> for Ewkb {
    fn from_sql(
        _: &postgres::types::Type,
        raw: &'a [u8],
    ) -> Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        Ok(Self(raw.to_vec()))
    }

    fn accepts(ty: &postgres::types::Type) -> bool {
        ty.name() == "geometry"
    }
}

/// A geometry from EWKB (PostGIS's binary form: ISO WKB but for an SRID flag and the SRID
/// after the type at the top level); `None` when malformed.
pub(crate) fn from_ewkb(b: &[u8]) -> Option<Geometry<f64>> {
    const SRID: u32 = 0x2000_0000;
    let le = *b.first()? == 1;
    let t = b.get(1..5)?;
    let t = if le {
        u32::from_le_bytes([t[0], t[1], t[2], t[3]])
    } else {
        u32::from_be_bytes([t[0], t[1], t[2], t[3]])
    };
    if t & SRID == 0 {
        return from_wkb(b);
    }
    let plain = t & !SRID;
    let mut out = Vec::with_capacity(b.len() - 4);
    out.push(b[0]);
    out.extend_from_slice(&if le {
        plain.to_le_bytes()
    } else {
        plain.to_be_bytes()
    });
    out.extend_from_slice(b.get(9..)?);
    from_wkb(&out)
}

/// A geometry from `ST_AsBinary(geom)`; `None` when malformed.
pub(crate) fn from_wkb(b: &[u8]) -> Option<Geometry<f64>> {
    wangge_io::gpkg::decode_wkb(b)
}

/// SQL of a `timestamptz` column as the text the GeoPackage stores (UTC, RFC 3339 with
/// milliseconds: `2026-12-06T08:00:00.000Z`).
pub(crate) fn iso(column: &str) -> String {
    format!("to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')")
}

/// SQL of a `timestamptz` column as Unix seconds (`bigint`), for [`wangge_core::Timestamp::from_unix`].
pub(crate) fn unix(column: &str) -> String {
    format!("extract(epoch FROM {column})::bigint")
}

/// A multipolygon from a geometry that should be one (a polygon becomes one).
pub(crate) fn multipolygon(g: Geometry<f64>) -> geo_types::MultiPolygon<f64> {
    match g {
        Geometry::MultiPolygon(m) => m,
        Geometry::Polygon(p) => geo_types::MultiPolygon(vec![p]),
        _ => geo_types::MultiPolygon(vec![]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ewkb_with_an_srid_reads_as_the_wkb_it_carries() {
        let p = Geometry::Point(geo_types::Point::new(118.78, 32.04));
        let iso = wkb(&p);
        // EWKB: the type with the SRID flag, then SRID 4326, then the coordinates.
        let mut e = vec![iso[0]];
        e.extend_from_slice(&(1u32 | 0x2000_0000).to_le_bytes());
        e.extend_from_slice(&4326u32.to_le_bytes());
        e.extend_from_slice(&iso[5..]);
        assert_eq!(from_ewkb(&e), Some(p.clone()));
        assert_eq!(from_ewkb(&iso), Some(p));
        assert_eq!(from_ewkb(&e[..7]), None);
        assert_eq!(from_ewkb(&[]), None);
    }
}

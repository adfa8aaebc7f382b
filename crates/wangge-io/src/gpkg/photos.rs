//! Photos of cases on the GeoPackage: attributes table `incident_photos` (the incident's key,
//! the photo's number, type, bytes as a BLOB, SHA-256, time).

use super::store::GeoPackage;
use crate::store::prelude::*;
use crate::store::{PhotoMeta, PhotoStore, photo_sha256};
use crate::{Error, Result};
use wangge_core::Timestamp;

const DDL: &str = "
CREATE TABLE IF NOT EXISTS incident_photos (
  incident TEXT NOT NULL, n INTEGER NOT NULL, content_type TEXT NOT NULL, photo BLOB NOT NULL,
  sha256 TEXT NOT NULL, at TEXT NOT NULL, PRIMARY KEY (incident, n));
INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, description)
  VALUES ('incident_photos', 'attributes', 'incident_photos', 'Photos of incidents (location metadata removed unless kept)');
";

impl PhotoStore for GeoPackage {
    fn add_photo(
        &mut self,
        incident: &str,
        content_type: &str,
        bytes: &[u8],
        at: Timestamp,
    ) -> Result<(u32, bool)> {
        if self.incident(incident)?.is_none() {
            return Err(Error::NotFound {
                path: self.path().to_path_buf(),
                message: format!("no incident {incident:?}"),
            });
        }
        let sha = photo_sha256(bytes);
        let path = self.path().to_path_buf();
        let sql = |source| crate::gpkg::backend_error(path.clone(), source);
        let tx = self.connection_mut().transaction().map_err(&sql)?;
        tx.execute_batch(DDL).map_err(&sql)?;
        let existing: Option<u32> = tx
            .query_row(
                "SELECT n FROM incident_photos WHERE incident = ?1 AND sha256 = ?2",
                rusqlite::params![incident, sha],
                |r| r.get(0),
            )
            .map(Some)
            .or_else(|e| match e {
                rusqlite::Error::QueryReturnedNoRows => Ok(None),
                e => Err(e),
            })
            .map_err(&sql)?;
        if let Some(n) = existing {
            return Ok((n, true));
        }
        let n: u32 = tx
            .query_row(
                "SELECT coalesce(max(n), 0) + 1 FROM incident_photos WHERE incident = ?1",
                [incident],
                |r| r.get(0),
            )
            .map_err(&sql)?;
        tx.execute(
            "INSERT INTO incident_photos (incident, n, content_type, photo, sha256, at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            rusqlite::params![incident, n, content_type, bytes, sha, at.to_string()],
        )
        .map_err(&sql)?;
        tx.commit().map_err(&sql)?;
        Ok((n, false))
    }

    fn photos(&self, incident: Option<&str>) -> Result<Vec<PhotoMeta>> {
        if !self.has_table("incident_photos")? {
            return Ok(Vec::new());
        }
        let sql = self.sql();
        let mut stmt = self
            .connection()
            .prepare(
                "SELECT incident, n, content_type, length(photo), sha256, at FROM incident_photos
                 WHERE ?1 IS NULL OR incident = ?1 ORDER BY incident, n",
            )
            .map_err(&sql)?;
        let mut rows = stmt.query([incident]).map_err(&sql)?;
        let mut out = Vec::new();
        while let Some(r) = rows.next().map_err(&sql)? {
            let at: String = r.get(5).map_err(&sql)?;
            out.push(PhotoMeta {
                incident: r.get(0).map_err(&sql)?,
                n: r.get(1).map_err(&sql)?,
                content_type: r.get(2).map_err(&sql)?,
                bytes: r.get::<_, i64>(3).map_err(&sql)? as u64,
                sha256: r.get(4).map_err(&sql)?,
                at: Timestamp::parse(&at, 0).map_err(|e| Error::Workspace {
                    path: self.path().to_path_buf(),
                    message: format!("incident_photos: time {at:?}: {e}"),
                })?,
            });
        }
        Ok(out)
    }

    fn photo(&self, incident: &str, n: u32) -> Result<Option<(String, Vec<u8>)>> {
        if !self.has_table("incident_photos")? {
            return Ok(None);
        }
        self.connection()
            .query_row(
                "SELECT content_type, photo FROM incident_photos WHERE incident = ?1 AND n = ?2",
                rusqlite::params![incident, n],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .map(Some)
            .or_else(|e| match e {
                rusqlite::Error::QueryReturnedNoRows => Ok(None),
                e => Err(e),
            })
            .map_err(self.sql())
    }
}

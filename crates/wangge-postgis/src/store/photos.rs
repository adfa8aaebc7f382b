//! Photos of cases on PostgreSQL (`incident_photos`, bytea; no public view reads them).

use super::{PgStore, unix};
use wangge_core::Timestamp;
use wangge_io::store::prelude::*;
use wangge_io::store::{PhotoMeta, PhotoStore, photo_sha256};
use wangge_io::{Error, Result};

impl PhotoStore for PgStore {
    fn add_photo(
        &mut self,
        incident: &str,
        content_type: &str,
        bytes: &[u8],
        at: Timestamp,
    ) -> Result<(u32, bool)> {
        if self.incident(incident)?.is_none() {
            return Err(Error::NotFound {
                path: self.path(),
                message: format!("no incident {incident:?}"),
            });
        }
        let sha = photo_sha256(bytes);
        let mut client = self.client()?;
        let mut tx = client.transaction().map_err(self.err())?;
        // One numbering per incident: photos of one incident take turns.
        tx.execute(
            "SELECT pg_advisory_xact_lock(hashtext($1))",
            &[&format!("photo:{incident}")],
        )
        .map_err(self.err())?;
        let found = tx
            .query(
                &self.sql("SELECT n FROM {s}.incident_photos WHERE incident = $1 AND sha256 = $2"),
                &[&incident, &sha],
            )
            .map_err(self.err())?;
        if let Some(r) = found.first() {
            let n: i32 = r.get(0);
            return Ok((n as u32, true));
        }
        let n: i32 = tx
            .query_one(
                &self.sql(
                    "SELECT coalesce(max(n), 0) + 1 FROM {s}.incident_photos WHERE incident = $1",
                ),
                &[&incident],
            )
            .map_err(self.err())?
            .get(0);
        tx.execute(
            &self.sql(
                "INSERT INTO {s}.incident_photos (incident, n, content_type, photo, sha256, at)
                 VALUES ($1, $2, $3, $4, $5, to_timestamp($6::bigint))",
            ),
            &[&incident, &n, &content_type, &bytes, &sha, &at.unix()],
        )
        .map_err(self.err())?;
        tx.commit().map_err(self.err())?;
        Ok((n as u32, false))
    }

    fn photos(&self, incident: Option<&str>) -> Result<Vec<PhotoMeta>> {
        let rows = self
            .client()?
            .query(
                &self.sql(&format!(
                    "SELECT incident, n, content_type, octet_length(photo)::bigint, sha256, {}
                     FROM {{s}}.incident_photos WHERE $1::text IS NULL OR incident = $1
                     ORDER BY incident COLLATE \"C\", n",
                    unix("at")
                )),
                &[&incident],
            )
            .map_err(self.err())?;
        Ok(rows
            .iter()
            .map(|r| PhotoMeta {
                incident: r.get(0),
                n: r.get::<_, i32>(1) as u32,
                content_type: r.get(2),
                bytes: r.get::<_, i64>(3) as u64,
                sha256: r.get(4),
                at: Timestamp::from_unix(r.get(5)),
            })
            .collect())
    }

    fn photo(&self, incident: &str, n: u32) -> Result<Option<(String, Vec<u8>)>> {
        let rows = self
            .client()?
            .query(
                &self.sql(
                    "SELECT content_type, photo FROM {s}.incident_photos WHERE incident = $1 AND n = $2",
                ),
                &[&incident, &(n as i32)],
            )
            .map_err(self.err())?;
        Ok(rows.first().map(|r| (r.get(0), r.get(1))))
    }
}

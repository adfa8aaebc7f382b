//! The workspace as a whole on PostgreSQL: its URL, the shared data version, counts and the
//! content digest.

use super::PgStore;
use wangge_io::Result;
use wangge_io::store::{LayerCount, Workspace, content_digest};

/// Place layers and the tables that hold them, in the GeoPackage's order.
const LAYERS: &[(&str, &str)] = &[
    ("communities", "communities"),
    ("buildings", "buildings"),
    ("address_points", "address_points"),
    ("facilities", "facilities"),
    ("streets", "streets"),
    ("incidents", "incident_keys"),
    ("land_cover", "land_cover"),
];

impl PgStore {
    /// Whether the schema holds any places (a workspace was made here).
    pub fn holds_data(&self) -> Result<bool> {
        Ok(self
            .client()?
            .query_one(
                &self.sql("SELECT EXISTS (SELECT 1 FROM {s}.communities) OR EXISTS (SELECT 1 FROM {s}.address_points)"),
                &[],
            )
            .map_err(self.err())?
            .get(0))
    }
}

impl Workspace for PgStore {
    fn location(&self) -> String {
        self.url().to_string()
    }

    /// A commit returns once its WAL record is flushed (`synchronous_commit`, on by
    /// default): checked here, not changed.
    fn make_durable(&self) -> Result<()> {
        let mode: String = self
            .client()?
            .query_one("SHOW synchronous_commit", &[])
            .map_err(self.err())?
            .get(0);
        if mode == "off" {
            return Err(self.damaged(
                "synchronous_commit is off: an acknowledged write could be lost in a crash; turn it on for this database"
                    .into(),
            ));
        }
        Ok(())
    }

    fn import_log_head(&self) -> Result<i64> {
        Ok(self
            .client()?
            .query_one(
                &self.sql("SELECT coalesce(max(id), 0) FROM {s}.import_log"),
                &[],
            )
            .map_err(self.err())?
            .get(0))
    }

    /// The counter every server shares (raised in the transaction of each write that
    /// changes what maps show).
    fn data_version(&self) -> Result<String> {
        let v: i64 = self
            .client()?
            .query_one(&self.sql("SELECT version FROM {s}.data_version"), &[])
            .map_err(self.err())?
            .get(0);
        Ok(format!("v{v}"))
    }

    fn counts(&self) -> Result<Vec<LayerCount>> {
        let mut client = self.client()?;
        LAYERS
            .iter()
            .map(|(layer, table)| {
                let n: i64 = client
                    .query_one(
                        &self.sql(&format!("SELECT count(*) FROM {{s}}.{table}")),
                        &[],
                    )
                    .map_err(self.err())?
                    .get(0);
                Ok(LayerCount {
                    layer,
                    features: n as u64,
                })
            })
            .collect()
    }

    /// The backend-neutral content digest, folded.
    fn digest(&self) -> Result<u64> {
        Ok(content_digest(self)?.fold())
    }
}

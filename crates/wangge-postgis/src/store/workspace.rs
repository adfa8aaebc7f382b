//! The workspace as a whole on PostgreSQL: its URL, the shared data version, counts and the
//! content digest.

use super::PgStore;
use wangge_io::Result;
use wangge_io::store::{ChangeFeed, LayerCount, Workspace, content_digest};

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

    /// The GeoPackage's signature of what maps show (`p{plan}s{service run}g{gap id}x{gap
    /// count}i{import}`), read from the tables every server shares in one statement (one
    /// snapshot): servers on one database agree on it, and a plan change alone is told apart
    /// from other changes (tiles re-read only the plan's layers).
    fn data_version(&self) -> Result<String> {
        let r = self
            .client()?
            .query_one(
                &self.sql(
                    "SELECT (SELECT coalesce(max(id), 0) FROM {s}.plans WHERE NOT branch),
                            (SELECT coalesce(max(run_id), 0) FROM {s}.service_areas),
                            (SELECT coalesce(max(id), 0) FROM {s}.gap_areas),
                            (SELECT count(*) FROM {s}.gap_areas),
                            (SELECT coalesce(max(id), 0) FROM {s}.import_log)",
                ),
                &[],
            )
            .map_err(self.err())?;
        let v = |i: usize| r.get::<_, i64>(i);
        Ok(format!("p{}s{}g{}x{}i{}", v(0), v(1), v(2), v(3), v(4)))
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

    /// `LISTEN wangge_<schema>` on a connection of its own: every write that changes the
    /// data version (new incidents, plans, imports, areas) notifies on commit.
    fn change_feed(&self) -> Result<Option<Box<dyn ChangeFeed>>> {
        let mut client = self.pg.dedicated().map_err(|e| self.backend(e))?;
        client
            .batch_execute(&self.sql("LISTEN wangge_{s}"))
            .map_err(self.err())?;
        Ok(Some(Box::new(Listener {
            client,
            store: self.clone(),
        })))
    }
}

/// Notifications of one workspace's channel.
struct Listener {
    client: postgres::Client,
    store: PgStore,
}

impl ChangeFeed for Listener {
    fn wait(&mut self, timeout: std::time::Duration) -> Result<bool> {
        use postgres::fallible_iterator::FallibleIterator;
        let mut n = self.client.notifications();
        let got = n
            .timeout_iter(timeout)
            .next()
            .map_err(self.store.err())?
            .is_some();
        // A burst of commits is one change for the reader.
        while n.iter().next().map_err(self.store.err())?.is_some() {}
        Ok(got)
    }
}

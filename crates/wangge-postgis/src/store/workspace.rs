//! The workspace as a whole on PostgreSQL: its URL, the shared data version, counts and the
//! content digest.

use super::PgStore;
use wangge_io::Result;
use wangge_io::store::{ChangeFeed, ImportEntry, LayerCount, Workspace, content_digest};

/// Place layers and the tables that hold them, in the GeoPackage's order.
const LAYERS: &[(&str, &str)] = &[
    ("communities", "communities"),
    ("buildings", "buildings"),
    ("address_points", "address_points"),
    ("facilities", "facilities"),
    ("streets", "streets"),
    ("incidents", "incident_keys"),
    ("land_cover", "land_cover"),
    ("components", "components"),
];

impl PgStore {
    /// Whether the schema holds anything of a workspace (places, plans, incidents, tokens).
    pub fn holds_data(&self) -> Result<bool> {
        Ok(self
            .client()?
            .query_one(
                &self.sql(
                    "SELECT EXISTS (SELECT 1 FROM {s}.communities) OR EXISTS (SELECT 1 FROM {s}.address_points)
                         OR EXISTS (SELECT 1 FROM {s}.plans) OR EXISTS (SELECT 1 FROM {s}.incident_keys)
                         OR EXISTS (SELECT 1 FROM {s}.tokens)",
                ),
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

    fn import_log(&self) -> Result<Vec<ImportEntry>> {
        let rows = self
            .client()?
            .query(
                &self.sql(&format!(
                    "SELECT id, {}, command, sources, summary FROM {{s}}.import_log ORDER BY id",
                    super::iso("time")
                )),
                &[],
            )
            .map_err(self.err())?;
        Ok(rows
            .iter()
            .map(|r| ImportEntry {
                id: r.get(0),
                time: r.get(1),
                command: r.get(2),
                sources: r.get(3),
                summary: r.get(4),
            })
            .collect())
    }

    fn replace_import_log(&self, entries: &[ImportEntry]) -> Result<()> {
        let mut client = self.client()?;
        let mut tx = client.transaction().map_err(self.err())?;
        let col = |f: fn(&ImportEntry) -> &str| entries.iter().map(f).collect::<Vec<&str>>();
        tx.execute(&self.sql("DELETE FROM {s}.import_log"), &[])
            .map_err(self.err())?;
        tx.execute(
            &self.sql(
                "INSERT INTO {s}.import_log (id, time, command, sources, summary)
                 SELECT * FROM unnest($1::bigint[], $2::text[]::timestamptz[], $3::text[], $4::text[], $5::text[])",
            ),
            &[
                &entries.iter().map(|e| e.id).collect::<Vec<i64>>(),
                &col(|e| e.time.as_str()),
                &col(|e| e.command.as_str()),
                &col(|e| e.sources.as_str()),
                &col(|e| e.summary.as_str()),
            ],
        )
        .map_err(self.err())?;
        tx.execute(
            &self.sql(
                "SELECT setval(pg_get_serial_sequence('{s}.import_log', 'id'),
                               greatest((SELECT max(id) FROM {s}.import_log), 1))",
            ),
            &[],
        )
        .map_err(self.err())?;
        self.bump(&mut tx).map_err(self.err())?;
        tx.commit().map_err(self.err())
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

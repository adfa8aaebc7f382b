//! Versioned migrations: SQL files compiled in, applied in order in one transaction under an
//! advisory lock on the schema (two servers opening a workspace at once apply them once), and
//! recorded in `{schema}.schema_migrations`. No table is made anywhere else.

use crate::{Error, PgUrl};
use r2d2_postgres::PostgresConnectionManager;
use r2d2_postgres::postgres::NoTls;

/// One migration: its version (1, 2, ...), a name and its SQL (`{schema}` for the schema).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Migration {
    pub version: i32,
    pub name: &'static str,
    pub sql: &'static str,
}

/// Every migration this build knows, in order.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "schema",
        sql: include_str!("../migrations/0001_schema.sql"),
    },
    Migration {
        version: 2,
        name: "store",
        sql: include_str!("../migrations/0002_schema.sql"),
    },
    Migration {
        version: 3,
        name: "public",
        sql: include_str!("../migrations/0003_public.sql"),
    },
    Migration {
        version: 4,
        name: "incident_count",
        sql: include_str!("../migrations/0004_incident_count.sql"),
    },
    Migration {
        version: 5,
        name: "components",
        sql: include_str!("../migrations/0005_components.sql"),
    },
    Migration {
        version: 6,
        name: "incident_component",
        sql: include_str!("../migrations/0006_incident_component.sql"),
    },
    Migration {
        version: 7,
        name: "evaluation",
        sql: include_str!("../migrations/0007_evaluation.sql"),
    },
    Migration {
        version: 8,
        name: "workforce",
        sql: include_str!("../migrations/0008_workforce.sql"),
    },
    Migration {
        version: 9,
        name: "photos",
        sql: include_str!("../migrations/0009_photos.sql"),
    },
    Migration {
        version: 10,
        name: "incident_feed",
        sql: include_str!("../migrations/0010_incident_feed.sql"),
    },
    Migration {
        version: 11,
        name: "step_tallies",
        sql: include_str!("../migrations/0011_step_tallies.sql"),
    },
    Migration {
        version: 12,
        name: "assignment_tallies",
        sql: include_str!("../migrations/0012_assignment_tallies.sql"),
    },
    Migration {
        version: 13,
        name: "incident_changes",
        sql: include_str!("../migrations/0013_incident_changes.sql"),
    },
    Migration {
        version: 14,
        name: "incident_change_log",
        sql: include_str!("../migrations/0014_incident_change_log.sql"),
    },
    Migration {
        version: 15,
        name: "status_changes",
        sql: include_str!("../migrations/0015_status_changes.sql"),
    },
];

/// A migration as recorded in a workspace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    pub version: i32,
    pub name: String,
    /// When, as the server wrote it.
    pub at: String,
}

/// The server's message, or the client's error with its cause ("error connecting to server:
/// Connection refused").
pub(crate) fn reason(e: &postgres::Error) -> String {
    if let Some(d) = e.as_db_error() {
        return d.message().to_string();
    }
    match std::error::Error::source(e) {
        Some(s) => format!("{e}: {s}"),
        None => e.to_string(),
    }
}

/// A PostgreSQL workspace: its URL and a pool of connections (a clone shares the pool).
#[derive(Clone)]
pub struct Pg {
    url: PgUrl,
    pool: r2d2::Pool<PostgresConnectionManager<NoTls>>,
}

impl Pg {
    /// Connects (a small pool) without touching the schema.
    pub fn connect(url: &PgUrl) -> Result<Self, Error> {
        // One connection first, for the server's own reason when it refuses (a pool only
        // says it timed out).
        url.config().connect(NoTls).map_err(|e| Error::Connect {
            url: url.to_string(),
            why: reason(&e),
        })?;
        let manager = PostgresConnectionManager::new(url.config(), NoTls);
        // Up to four at once, one kept open while idle (a process that opened many
        // workspaces, a test suite, would otherwise hold four for each).
        let pool = r2d2::Pool::builder()
            .max_size(4)
            .min_idle(Some(1))
            .idle_timeout(Some(std::time::Duration::from_secs(60)))
            .connection_timeout(std::time::Duration::from_secs(10))
            .build(manager)
            .map_err(|e| Error::Connect {
                url: url.to_string(),
                why: e.to_string(),
            })?;
        Ok(Self {
            url: url.clone(),
            pool,
        })
    }

    /// Opens a workspace: connects and applies the migrations it lacks.
    pub fn open(url: &PgUrl) -> Result<Self, Error> {
        let pg = Self::connect(url)?;
        pg.upgrade()?;
        Ok(pg)
    }

    /// The workspace's URL (its `Display` hides the password).
    pub fn url(&self) -> &PgUrl {
        &self.url
    }

    fn sql(&self, what: &str) -> impl Fn(postgres::Error) -> Error + '_ {
        let what = what.to_string();
        move |e| Error::Sql {
            url: self.url.to_string(),
            what: what.clone(),
            why: reason(&e),
        }
    }

    /// A connection of its own, outside the pool (one that listens for notifications holds
    /// its session).
    pub(crate) fn dedicated(&self) -> Result<postgres::Client, Error> {
        self.url
            .config()
            .connect(NoTls)
            .map_err(|e| Error::Connect {
                url: self.url.to_string(),
                why: reason(&e),
            })
    }

    /// A connection from the pool.
    pub(crate) fn pooled(
        &self,
    ) -> Result<r2d2::PooledConnection<PostgresConnectionManager<NoTls>>, Error> {
        self.client()
    }

    fn client(&self) -> Result<r2d2::PooledConnection<PostgresConnectionManager<NoTls>>, Error> {
        self.pool.get().map_err(|e| Error::Connect {
            url: self.url.to_string(),
            why: e.to_string(),
        })
    }

    /// Applies the migrations the schema lacks, in one transaction; returns those applied now.
    /// A schema of a newer version is refused.
    pub fn upgrade(&self) -> Result<Vec<Applied>, Error> {
        let schema = self.url.schema().to_string();
        let mut client = self.client()?;
        let mut tx = client.transaction().map_err(self.sql("begin"))?;
        tx.execute("SELECT pg_advisory_xact_lock(hashtext($1))", &[&schema])
            .map_err(self.sql("lock the schema"))?;
        tx.batch_execute(&format!(
            "CREATE SCHEMA IF NOT EXISTS {schema};
             CREATE TABLE IF NOT EXISTS {schema}.schema_migrations (
               version integer PRIMARY KEY, name text NOT NULL,
               applied timestamptz NOT NULL DEFAULT now())"
        ))
        .map_err(self.sql("create the schema"))?;
        let found: i32 = tx
            .query_one(
                &format!("SELECT coalesce(max(version), 0) FROM {schema}.schema_migrations"),
                &[],
            )
            .map_err(self.sql("read the schema version"))?
            .get(0);
        let known = MIGRATIONS.last().map_or(0, |m| m.version);
        if found > known {
            return Err(Error::Newer {
                url: self.url.to_string(),
                found,
                known,
            });
        }
        let mut applied = Vec::new();
        for m in MIGRATIONS.iter().filter(|m| m.version > found) {
            tx.batch_execute(&m.sql.replace("{schema}", &schema))
                .map_err(self.sql(&format!("migration {} ({})", m.version, m.name)))?;
            let row = tx
                .query_one(
                    &format!(
                        "INSERT INTO {schema}.schema_migrations (version, name) VALUES ($1, $2)
                         RETURNING applied::text"
                    ),
                    &[&m.version, &m.name],
                )
                .map_err(self.sql("record the migration"))?;
            applied.push(Applied {
                version: m.version,
                name: m.name.to_string(),
                at: row.get(0),
            });
        }
        tx.commit().map_err(self.sql("commit"))?;
        Ok(applied)
    }

    /// Lets `role` (an existing role, made by the database's administrator) read the
    /// workspace's public views (`<schema>_public`: aggregates only) and nothing else of it.
    pub fn grant_reader(&self, role: &str) -> Result<(), Error> {
        // `public` is every role: not a reader's name.
        let ok = !role.is_empty()
            && role != "public"
            && role.len() <= 63
            && role.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
            && role
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !ok {
            return Err(Error::Url {
                url: self.url.to_string(),
                why: format!("role {role:?}: lower-case letters, digits and _ only"),
            });
        }
        let schema = self.url.schema();
        let mut client = self.client()?;
        client
            .batch_execute(&format!(
                "GRANT USAGE ON SCHEMA {schema}_public TO {role};
                 GRANT SELECT ON ALL TABLES IN SCHEMA {schema}_public TO {role};"
            ))
            .map_err(self.sql(&format!("grant {role} the public views")))
    }

    /// The migrations recorded in the workspace, oldest first (none before the first upgrade).
    pub fn applied(&self) -> Result<Vec<Applied>, Error> {
        let schema = self.url.schema();
        let mut client = self.client()?;
        let exists: bool = client
            .query_one(
                "SELECT to_regclass($1) IS NOT NULL",
                &[&format!("{schema}.schema_migrations")],
            )
            .map_err(self.sql("look for the migrations table"))?
            .get(0);
        if !exists {
            return Ok(Vec::new());
        }
        let rows = client
            .query(
                &format!(
                    "SELECT version, name, applied::text FROM {schema}.schema_migrations ORDER BY version"
                ),
                &[],
            )
            .map_err(self.sql("read the migrations"))?;
        Ok(rows
            .iter()
            .map(|r| Applied {
                version: r.get(0),
                name: r.get(1),
                at: r.get(2),
            })
            .collect())
    }
}

//! `wangge db upgrade URL` and `wangge db status URL`: a PostgreSQL workspace's schema
//! migrations, applied explicitly (they are also applied on open); `wangge db grant URL ROLE`:
//! a role that reads the public views only. The URL is shown with its
//! password hidden.

use wangge_postgis::{MIGRATIONS, Pg, PgUrl};

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Apply the migrations a PostgreSQL workspace lacks (postgres://USER[:PASSWORD]@HOST[:PORT]/DB?schema=NAME).
    Upgrade {
        /// The workspace URL.
        url: String,
    },
    /// List the migrations a PostgreSQL workspace has and those this build would apply.
    Status {
        /// The workspace URL.
        url: String,
    },
    /// Let an existing database role read the workspace's public views (schema
    /// NAME_public: grids, communities, facilities, gap and service areas, incident counts per
    /// grid and month; aggregates only) and nothing else.
    Grant {
        /// The workspace URL.
        url: String,
        /// The role (made by the database's administrator, e.g. `CREATE ROLE gis LOGIN`).
        role: String,
    },
}

pub fn run(c: &Command) -> anyhow::Result<()> {
    match c {
        Command::Upgrade { url } => {
            let url = PgUrl::parse(url)?;
            let pg = Pg::connect(&url)?;
            let applied = pg.upgrade()?;
            if applied.is_empty() {
                let version = MIGRATIONS.last().map_or(0, |m| m.version);
                println!("{url}: up to date (schema version {version})");
            }
            for a in &applied {
                println!(
                    "{url}: applied migration {} ({}) at {}",
                    a.version, a.name, a.at
                );
            }
        }
        Command::Grant { url, role } => {
            let url = PgUrl::parse(url)?;
            let pg = Pg::open(&url)?;
            pg.grant_reader(role)?;
            println!(
                "{url}: {role} may read the views of schema {}_public (aggregates only) and nothing else of the workspace",
                url.schema()
            );
        }
        Command::Status { url } => {
            let url = PgUrl::parse(url)?;
            let pg = Pg::connect(&url)?;
            let applied = pg.applied()?;
            println!("{url}");
            for m in MIGRATIONS {
                match applied.iter().find(|a| a.version == m.version) {
                    Some(a) => println!("  {:>3} {:<12} applied {}", m.version, m.name, a.at),
                    None => println!("  {:>3} {:<12} pending", m.version, m.name),
                }
            }
        }
    }
    Ok(())
}

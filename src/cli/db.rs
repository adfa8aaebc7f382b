//! `wangge db upgrade URL` and `wangge db status URL`: a PostgreSQL workspace's schema
//! migrations, applied explicitly (they are also applied on open). The URL is shown with its
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

//! `wangge token create|list|revoke|audit`: access tokens for `wangge serve` (stored hashed in
//! the workspace; the secret is printed once) and the audit log of exports and edits.

use anyhow::anyhow;
use std::path::PathBuf;
use wangge_core::access::Role;
use wangge_io::Store;

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Create a token; prints its secret once.
    Create {
        /// The workspace (.gpkg).
        workspace: PathBuf,
        /// admin, planner, street_office, leader, grid_worker or public.
        #[arg(long)]
        role: String,
        /// A street (planner, street_office), a grid code of the newest plan (grid_worker),
        /// or * (admin, leader, public).
        #[arg(long, default_value = "*")]
        scope: String,
        /// Who holds it (kept in the audit log).
        #[arg(long)]
        name: String,
    },
    /// List tokens (never their secrets).
    List {
        /// The workspace (.gpkg).
        workspace: PathBuf,
    },
    /// Revoke a token by id.
    Revoke {
        /// The workspace (.gpkg).
        workspace: PathBuf,
        /// Token id (`wangge token list`).
        id: i64,
    },
    /// The newest entries of the audit log (exports, edits, tokens).
    Audit {
        /// The workspace (.gpkg).
        workspace: PathBuf,
        /// How many.
        #[arg(long, default_value_t = 50)]
        last: usize,
    },
}

pub fn run(c: &Command) -> anyhow::Result<()> {
    match c {
        Command::Create {
            workspace,
            role,
            scope,
            name,
        } => {
            let r = Role::parse(role).ok_or_else(|| {
                anyhow!(
                    "--role {role:?}: admin, planner, street_office, leader, grid_worker or public"
                )
            })?;
            let store = Store::open(workspace)?;
            let (id, secret) = store.create_token(name, r, scope)?;
            println!("token {id} for {name}: {r}, scope {scope}");
            println!("{secret}");
            println!(
                "(shown once; only its SHA-256 is stored. Send it as `Authorization: Bearer …` or `?token=…`.)"
            );
        }
        Command::List { workspace } => {
            let store = Store::open(workspace)?;
            println!(
                "{:>4}  {:<20} {:<14} {:<16} {:<24} revoked",
                "id", "name", "role", "scope", "created"
            );
            for t in store.tokens()? {
                println!(
                    "{:>4}  {:<20} {:<14} {:<16} {:<24} {}",
                    t.id,
                    t.name,
                    t.role,
                    t.scope,
                    t.created,
                    t.revoked.as_deref().unwrap_or("")
                );
            }
        }
        Command::Revoke { workspace, id } => {
            Store::open(workspace)?.revoke_token(*id)?;
            println!("token {id} revoked (a running server notices within 2 s)");
        }
        Command::Audit { workspace, last } => {
            for [at, actor, role, action, detail] in Store::open(workspace)?.audit_log(*last)? {
                println!("{at}  {actor} ({role})  {action}  {detail}");
            }
        }
    }
    Ok(())
}

//! `wangge token create|list|revoke|audit`: access tokens for `wangge serve` (stored hashed in
//! the workspace; the secret is printed once) and the audit log of exports and edits.

use anyhow::anyhow;
use std::path::PathBuf;
use wangge_core::Timestamp;
use wangge_core::access::Role;

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Create a token; prints its secret once.
    Create {
        /// The workspace (a .gpkg file or a postgres:// URL).
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
        /// When it stops working: a duration from now (`90d`, `12h`) or a date (`2026-12-31`:
        /// to the end of that day, +08:00) or time. Without it, until revoked.
        #[arg(long)]
        expires: Option<String>,
    },
    /// List tokens (never their secrets).
    List {
        /// The workspace (a .gpkg file or a postgres:// URL).
        workspace: PathBuf,
    },
    /// Revoke a token by id.
    Revoke {
        /// The workspace (a .gpkg file or a postgres:// URL).
        workspace: PathBuf,
        /// Token id (`wangge token list`).
        id: i64,
    },
    /// The newest entries of the audit log (exports, edits, tokens).
    Audit {
        /// The workspace (a .gpkg file or a postgres:// URL).
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
            expires,
        } => {
            let r = Role::parse(role).ok_or_else(|| {
                anyhow!(
                    "--role {role:?}: admin, planner, street_office, leader, grid_worker or public"
                )
            })?;
            let expires = expires.as_deref().map(expiry).transpose()?;
            let store = wangge_app::open_store(workspace.as_ref(), wangge_app::Access::Write)?;
            let store = &*store;
            let (id, secret) = store.create_token(name, r, scope, expires)?;
            match expires {
                Some(e) => println!("token {id} for {name}: {r}, scope {scope}, expires {e}"),
                None => println!("token {id} for {name}: {r}, scope {scope}, until revoked"),
            }
            println!("{secret}");
            println!(
                "(shown once; only its SHA-256 is stored. Send it as `Authorization: Bearer …` or `?token=…`.)"
            );
        }
        Command::List { workspace } => {
            let store = wangge_app::open_store(workspace.as_ref(), wangge_app::Access::Read)?;
            let store = &*store;
            println!(
                "{:>4}  {:<20} {:<14} {:<16} {:<24} {:<22} state",
                "id", "name", "role", "scope", "created", "expires"
            );
            let now = Timestamp::now();
            for t in store.tokens()? {
                let state = match (&t.revoked, t.expired(now)) {
                    (Some(at), _) => format!("revoked {at}"),
                    (None, true) => "expired".to_string(),
                    (None, false) => "live".to_string(),
                };
                println!(
                    "{:>4}  {:<20} {:<14} {:<16} {:<24} {:<22} {state}",
                    t.id,
                    t.name,
                    t.role,
                    t.scope,
                    t.created,
                    t.expires.as_deref().unwrap_or("-"),
                );
            }
        }
        Command::Revoke { workspace, id } => {
            wangge_app::open_store(workspace.as_ref(), wangge_app::Access::Write)?
                .revoke_token(*id)?;
            println!("token {id} revoked (a running server notices within 2 s)");
        }
        Command::Audit { workspace, last } => {
            for [at, actor, role, action, detail] in
                wangge_app::open_store(workspace.as_ref(), wangge_app::Access::Read)?
                    .audit_log(*last)?
            {
                println!("{at}  {actor} ({role})  {action}  {detail}");
            }
        }
    }
    Ok(())
}

/// `--expires`: `90d` or `12h` from now, a date (to the end of that day, +08:00) or a time.
fn expiry(text: &str) -> anyhow::Result<Timestamp> {
    let t = text.trim();
    let span = |unit: char, secs: i64| {
        t.strip_suffix(unit)
            .and_then(|n| n.parse::<i64>().ok())
            .filter(|n| (1..=36_500).contains(n))
            .map(|n| Timestamp::from_unix(Timestamp::now().unix() + n * secs))
    };
    if let Some(at) = span('d', 86_400).or_else(|| span('h', 3_600)) {
        return Ok(at);
    }
    let at = Timestamp::parse(t, 8 * 3600).map_err(|e| {
        anyhow!("--expires {t:?}: {e}; give a duration (90d, 12h) or a date (2026-12-31)")
    })?;
    let date_only = t.len() == 10;
    Ok(if date_only {
        Timestamp::from_unix(at.unix() + 86_400)
    } else {
        at
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_is_a_span_from_now_or_the_end_of_a_day() {
        let now = Timestamp::now().unix();
        let d = expiry("90d").expect("90d").unix() - now;
        assert!((90 * 86_400..=90 * 86_400 + 2).contains(&d), "{d}");
        assert_eq!(
            expiry("2026-12-31").expect("date").to_string(),
            "2026-12-31T16:00:00Z"
        );
        assert_eq!(
            expiry("2026-12-31 18:00").expect("time").to_string(),
            "2026-12-31T10:00:00Z"
        );
        assert!(expiry("soon").is_err());
        assert!(expiry("0d").is_err());
    }
}

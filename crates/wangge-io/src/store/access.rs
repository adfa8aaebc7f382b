//! Access tokens and the audit log.

use crate::store::{PlaceStore, PlanStore};
use crate::{Error, Result};
use std::io::Read;
use std::path::Path;
use wangge_core::Timestamp;
use wangge_core::access::Role;
use wangge_core::access::ScopeKind;

/// Tokens (only their SHA-256 is stored) and the append-only audit log.
pub trait AccessStore {
    /// Creates a token that works until revoked or until `expires`; returns its id and its
    /// secret (shown once); audited as `token.create`. Durable on return.
    fn create_token(
        &self,
        name: &str,
        role: Role,
        scope: &str,
        expires: Option<Timestamp>,
    ) -> Result<(i64, String)>;

    /// Every token, revoked ones too. Read.
    fn tokens(&self) -> Result<Vec<TokenRow>>;

    /// Tokens not revoked (expired ones too: the server names them) by the SHA-256 of their
    /// secret. Read.
    fn token_hashes(&self) -> Result<Vec<(String, TokenRow)>>;

    /// Revokes a token; audited as `token.revoke`. Durable on return.
    fn revoke_token(&self, id: i64) -> Result<()>;

    /// Appends to the audit log. One statement; durable on return.
    fn audit(&self, actor: &str, role: &str, action: &str, detail: &str) -> Result<()>;

    /// The newest audit entries, newest first: (at, actor, role, action, detail). Read.
    fn audit_log(&self, limit: usize) -> Result<Vec<[String; 5]>>;

    /// Stores a token exactly as another store holds it: id, times and the SHA-256 of its
    /// secret (for copying a workspace; the secret is never known). One statement; durable.
    fn restore_token(&self, token: &TokenRow, sha256: &str) -> Result<()>;

    /// Appends audit entries with the times they were recorded, oldest first: (at, actor,
    /// role, action, detail) as [`AccessStore::audit_log`] gives them. One transaction;
    /// durable on return.
    fn restore_audit(&self, entries: &[[String; 5]]) -> Result<()>;
}

/// A stored token (its secret is not kept).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRow {
    pub id: i64,
    pub name: String,
    pub role: Role,
    /// A street code, a grid code, or `*`.
    pub scope: String,
    pub created: String,
    pub revoked: Option<String>,
    /// When it stops working (UTC, RFC 3339); `None`: until revoked.
    pub expires: Option<String>,
}

impl TokenRow {
    /// Whether it has expired at `now`.
    pub fn expired(&self, now: Timestamp) -> bool {
        self.expires
            .as_deref()
            .and_then(|e| Timestamp::parse(e, 0).ok())
            .is_some_and(|e| e <= now)
    }
}

/// Refuses a token whose scope does not fit its role (a district-wide role needs `*`, a
/// street office a street some community names, a grid worker a grid of the newest plan) or
/// whose expiry is past: the rule every backend applies before storing a token.
pub fn check_token(
    store: &(impl PlaceStore + PlanStore + ?Sized),
    path: &Path,
    role: Role,
    scope: &str,
    expires: Option<Timestamp>,
) -> Result<()> {
    let bad = |m: String| Error::usage(path, m);
    match role.scope_kind() {
        ScopeKind::District if scope != "*" => {
            return Err(bad(format!("a {role} token is district-wide: --scope '*'")));
        }
        ScopeKind::Street => {
            if !store.community_streets()?.iter().any(|(_, s)| s == scope) {
                return Err(bad(format!(
                    "a {role} token needs a street: no community has street {scope:?}"
                )));
            }
        }
        ScopeKind::Grid => {
            let plan = store.latest_plan()?.ok_or_else(|| {
                bad("no plan yet: a grid worker's grid comes from the newest plan".into())
            })?;
            if !store.plan_grids(plan)?.iter().any(|(g, _)| g == scope) {
                return Err(bad(format!(
                    "a {role} token needs a grid of the newest plan (plan {plan}): no grid {scope:?}"
                )));
            }
        }
        ScopeKind::District => {}
    }
    if let Some(e) = expires
        && e <= Timestamp::now()
    {
        return Err(bad(format!("--expires {e} is in the past")));
    }
    Ok(())
}

/// A new token secret: `wg_` and 24 random bytes in hex (from the kernel's generator).
pub fn token_secret() -> Result<String> {
    let mut raw = [0u8; 24];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut raw))
        .map_err(|e| Error::io("/dev/urandom", e))?;
    Ok(format!(
        "wg_{}",
        raw.iter().map(|b| format!("{b:02x}")).collect::<String>()
    ))
}

/// The audit log's line for a created token (both backends write it).
pub fn token_created(
    id: i64,
    name: &str,
    role: Role,
    scope: &str,
    expires: Option<Timestamp>,
) -> String {
    match expires {
        Some(e) => format!("token {id} {name:?}: {role} {scope}, expires {e}"),
        None => format!("token {id} {name:?}: {role} {scope}"),
    }
}

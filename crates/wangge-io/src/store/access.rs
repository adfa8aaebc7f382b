//! Access tokens and the audit log.

use crate::Result;
use wangge_core::Timestamp;
use wangge_core::access::Role;

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

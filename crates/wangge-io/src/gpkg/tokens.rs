//! Access tokens (stored as SHA-256 hashes, never in clear) and the audit log of exports and
//! edits. Attributes tables `access_tokens` and `audit_log`, created on first use.

use super::store::GeoPackage;
use crate::store::AccessStore;
use crate::store::TokenRow;
use crate::{Error, Result};
use wangge_core::Timestamp;
use wangge_core::access::Role;
use wangge_core::kpi::sha256_hex;

const DDL: &str = "
CREATE TABLE IF NOT EXISTS access_tokens (
  id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, name TEXT NOT NULL, role TEXT NOT NULL,
  scope TEXT NOT NULL, sha256 TEXT NOT NULL UNIQUE,
  created DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')), revoked DATETIME,
  expires DATETIME);
CREATE TABLE IF NOT EXISTS audit_log (
  id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
  at DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  actor TEXT NOT NULL, role TEXT NOT NULL, action TEXT NOT NULL, detail TEXT NOT NULL);
INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, description)
  VALUES ('access_tokens', 'attributes', 'access_tokens', 'Access tokens (hashed)');
INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, description)
  VALUES ('audit_log', 'attributes', 'audit_log', 'Who exported or changed what, when');
";

impl GeoPackage {
    fn ensure_access_tables(&self) -> Result<()> {
        if !(self.has_table("audit_log")? && self.has_table("access_tokens")?) {
            GeoPackage::ddl(self.connection(), DDL).map_err(self.sql())?;
        }
        // Workspaces from before token expiry.
        if !self.has_column("access_tokens", "expires")? {
            GeoPackage::ddl(
                self.connection(),
                "ALTER TABLE access_tokens ADD COLUMN expires DATETIME;",
            )
            .map_err(self.sql())?;
        }
        Ok(())
    }
}

impl AccessStore for GeoPackage {
    fn create_token(
        &self,
        name: &str,
        role: Role,
        scope: &str,
        expires: Option<Timestamp>,
    ) -> Result<(i64, String)> {
        self.ensure_access_tables()?;
        let scope = scope.trim();
        crate::store::check_token(self, self.path(), role, scope, expires)?;
        let secret = crate::store::token_secret()?;
        self.connection()
            .execute(
                "INSERT INTO access_tokens (name, role, scope, sha256, expires) VALUES (?1, ?2, ?3, ?4, ?5)",
                rusqlite::params![
                    name,
                    role.as_str(),
                    scope,
                    sha256_hex(secret.as_bytes()),
                    expires.map(|e| e.to_string())
                ],
            )
            .map_err(self.sql())?;
        let id = self.connection().last_insert_rowid();
        self.audit(
            "cli",
            "admin",
            "token.create",
            &crate::store::token_created(id, name, role, scope, expires),
        )?;
        Ok((id, secret))
    }

    fn tokens(&self) -> Result<Vec<TokenRow>> {
        if !self.has_table("access_tokens")? {
            return Ok(Vec::new());
        }
        let expires = if self.has_column("access_tokens", "expires")? {
            "expires"
        } else {
            "NULL"
        };
        let sql = self.sql();
        let mut stmt = self
            .connection()
            .prepare(&format!(
                "SELECT id, name, role, scope, created, revoked, {expires} FROM access_tokens ORDER BY id"
            ))
            .map_err(&sql)?;
        let rows = stmt
            .query_map([], |r| {
                let role: String = r.get(2)?;
                Ok(TokenRow {
                    id: r.get(0)?,
                    name: r.get(1)?,
                    role: Role::parse(&role).unwrap_or(Role::Public),
                    scope: r.get(3)?,
                    created: r.get(4)?,
                    revoked: r.get(5)?,
                    expires: r.get(6)?,
                })
            })
            .map_err(&sql)?;
        rows.collect::<std::result::Result<_, _>>().map_err(&sql)
    }

    fn token_hashes(&self) -> Result<Vec<(String, TokenRow)>> {
        if !self.has_table("access_tokens")? {
            return Ok(Vec::new());
        }
        let hashes: Vec<(i64, String)> = {
            let mut stmt = self
                .connection()
                .prepare("SELECT id, sha256 FROM access_tokens WHERE revoked IS NULL")
                .map_err(self.sql())?;
            let rows = stmt
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
                .map_err(self.sql())?;
            rows.collect::<std::result::Result<_, _>>()
                .map_err(self.sql())?
        };
        let all = self.tokens()?;
        Ok(hashes
            .into_iter()
            .filter_map(|(id, h)| all.iter().find(|t| t.id == id).map(|t| (h, t.clone())))
            .collect())
    }

    fn revoke_token(&self, id: i64) -> Result<()> {
        self.ensure_access_tables()?;
        let n = self
            .connection()
            .execute(
                "UPDATE access_tokens SET revoked = strftime('%Y-%m-%dT%H:%M:%fZ','now') WHERE id = ?1 AND revoked IS NULL",
                [id],
            )
            .map_err(self.sql())?;
        if n == 0 {
            return Err(Error::usage(
                self.path(),
                format!("no live token {id}; `wangge token list` shows them"),
            ));
        }
        self.audit("cli", "admin", "token.revoke", &format!("token {id}"))
    }

    fn audit(&self, actor: &str, role: &str, action: &str, detail: &str) -> Result<()> {
        self.ensure_access_tables()?;
        self.connection()
            .execute(
                "INSERT INTO audit_log (actor, role, action, detail) VALUES (?1, ?2, ?3, ?4)",
                rusqlite::params![actor, role, action, detail],
            )
            .map_err(self.sql())?;
        Ok(())
    }

    fn restore_token(&self, t: &TokenRow, sha256: &str) -> Result<()> {
        self.ensure_access_tables()?;
        self.connection()
            .execute(
                "INSERT INTO access_tokens (id, name, role, scope, sha256, created, revoked, expires)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                rusqlite::params![
                    t.id,
                    t.name,
                    t.role.as_str(),
                    t.scope,
                    sha256,
                    t.created,
                    t.revoked,
                    t.expires
                ],
            )
            .map_err(self.sql())?;
        Ok(())
    }

    fn restore_audit(&self, entries: &[[String; 5]]) -> Result<()> {
        self.ensure_access_tables()?;
        let sql = self.sql();
        let tx = self.connection().unchecked_transaction().map_err(&sql)?;
        {
            let mut stmt = tx
                .prepare("INSERT INTO audit_log (at, actor, role, action, detail) VALUES (?1, ?2, ?3, ?4, ?5)")
                .map_err(&sql)?;
            for e in entries {
                stmt.execute(rusqlite::params![e[0], e[1], e[2], e[3], e[4]])
                    .map_err(&sql)?;
            }
        }
        tx.commit().map_err(&sql)
    }

    fn audit_log(&self, limit: usize) -> Result<Vec<[String; 5]>> {
        if !self.has_table("audit_log")? {
            return Ok(Vec::new());
        }
        let sql = self.sql();
        let mut stmt = self
            .connection()
            .prepare(
                "SELECT at, actor, role, action, detail FROM audit_log ORDER BY id DESC LIMIT ?1",
            )
            .map_err(&sql)?;
        let rows = stmt
            .query_map([limit as i64], |r| {
                Ok([r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?])
            })
            .map_err(&sql)?;
        rows.collect::<std::result::Result<_, _>>().map_err(&sql)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::prelude::*;

    #[test]
    fn tokens_are_stored_hashed_and_revocable() {
        let dir = tempfile::tempdir().expect("dir");
        let store = GeoPackage::create(dir.path().join("w.gpkg")).expect("create");
        let (id, secret) = store
            .create_token("wall", Role::Leader, "*", None)
            .expect("token");
        assert!(secret.starts_with("wg_") && secret.len() == 51);
        let stored: String = store
            .connection()
            .query_row(
                "SELECT sha256 FROM access_tokens WHERE id = ?1",
                [id],
                |r| r.get(0),
            )
            .expect("row");
        assert_eq!(stored, sha256_hex(secret.as_bytes()));
        assert!(
            !store
                .connection()
                .query_row(
                    "SELECT count(*) FROM access_tokens WHERE sha256 = ?1 OR name = ?1",
                    [&secret],
                    |r| r.get::<_, i64>(0)
                )
                .map(|n| n > 0)
                .unwrap_or(true)
        );
        assert_eq!(store.token_hashes().expect("live").len(), 1);
        store.revoke_token(id).expect("revoke");
        assert!(store.token_hashes().expect("live").is_empty());
        assert!(store.revoke_token(id).is_err(), "twice");
    }

    #[test]
    fn a_schema_batch_that_fails_leaves_no_open_transaction() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("w.gpkg");
        let store = GeoPackage::create(&path).expect("create");
        store.make_durable().expect("wal");
        // Another connection holds the write lock: the batch fails at once and rolls back.
        let other = rusqlite::Connection::open(&path).expect("open");
        other.execute_batch("BEGIN IMMEDIATE;").expect("lock");
        store
            .connection()
            .execute_batch("PRAGMA busy_timeout = 0;")
            .expect("pragma");
        assert!(store.audit("me", "admin", "x", "y").is_err());
        assert!(
            store.connection().is_autocommit(),
            "no transaction left open"
        );
        other.execute_batch("COMMIT;").expect("unlock");
        store.audit("me", "admin", "x", "y").expect("works again");
        assert_eq!(store.audit_log(5).expect("log").len(), 1);
    }
}

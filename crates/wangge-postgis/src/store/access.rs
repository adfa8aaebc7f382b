//! Access tokens (SHA-256 of their secret only) and the audit log on PostgreSQL.

use super::{PgStore, iso};
use wangge_core::Timestamp;
use wangge_core::access::Role;
use wangge_core::kpi::sha256_hex;
use wangge_io::Result;
use wangge_io::store::{AccessStore, TokenRow, check_token, token_secret};

impl PgStore {
    fn token_rows(&self, filter: &str) -> Result<Vec<(String, TokenRow)>> {
        let rows = self
            .client()?
            .query(
                &self.sql(&format!(
                    "SELECT id, name, role, scope, {}, {}, {}, hash FROM {{s}}.tokens {filter} ORDER BY id",
                    iso("created"),
                    iso("revoked"),
                    // As the GeoPackage keeps an expiry: whole seconds (`Timestamp`'s text).
                    "to_char(expires AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
                )),
                &[],
            )
            .map_err(self.err())?;
        Ok(rows
            .iter()
            .map(|r| {
                let role: String = r.get(2);
                (
                    r.get(7),
                    TokenRow {
                        id: r.get(0),
                        name: r.get(1),
                        role: Role::parse(&role).unwrap_or(Role::Public),
                        scope: r.get(3),
                        created: r.get(4),
                        revoked: r.get(5),
                        expires: r.get(6),
                    },
                )
            })
            .collect())
    }
}

impl AccessStore for PgStore {
    fn create_token(
        &self,
        name: &str,
        role: Role,
        scope: &str,
        expires: Option<Timestamp>,
    ) -> Result<(i64, String)> {
        let scope = scope.trim();
        check_token(self, &self.path(), role, scope, expires)?;
        let secret = token_secret()?;
        let id: i64 = self
            .client()?
            .query_one(
                &self.sql(
                    "INSERT INTO {s}.tokens (name, role, scope, hash, expires)
                     VALUES ($1, $2, $3, $4, to_timestamp($5::bigint)) RETURNING id",
                ),
                &[
                    &name,
                    &role.as_str(),
                    &scope,
                    &sha256_hex(secret.as_bytes()),
                    &expires.map(|e| e.unix()),
                ],
            )
            .map_err(self.err())?
            .get(0);
        // Servers re-read their tokens at once.
        self.notify()?;
        self.audit(
            "cli",
            "admin",
            "token.create",
            &wangge_io::store::token_created(id, name, role, scope, expires),
        )?;
        Ok((id, secret))
    }

    fn tokens(&self) -> Result<Vec<TokenRow>> {
        Ok(self.token_rows("")?.into_iter().map(|(_, t)| t).collect())
    }

    fn token_hashes(&self) -> Result<Vec<(String, TokenRow)>> {
        self.token_rows("WHERE revoked IS NULL")
    }

    fn revoke_token(&self, id: i64) -> Result<()> {
        let n = self
            .client()?
            .execute(
                &self
                    .sql("UPDATE {s}.tokens SET revoked = now() WHERE id = $1 AND revoked IS NULL"),
                &[&id],
            )
            .map_err(self.err())?;
        if n == 0 {
            return Err(wangge_io::Error::Usage {
                path: self.path(),
                message: format!("no live token {id}; `wangge token list` shows them"),
            });
        }
        self.notify()?;
        self.audit("cli", "admin", "token.revoke", &format!("token {id}"))
    }

    fn audit(&self, actor: &str, role: &str, action: &str, detail: &str) -> Result<()> {
        self.client()?
            .execute(
                &self.sql(
                    "INSERT INTO {s}.audit_log (actor, role, action, detail) VALUES ($1, $2, $3, $4)",
                ),
                &[&actor, &role, &action, &detail],
            )
            .map_err(self.err())?;
        Ok(())
    }

    fn restore_token(&self, t: &TokenRow, sha256: &str) -> Result<()> {
        let mut client = self.client()?;
        let mut tx = client.transaction().map_err(self.err())?;
        tx.execute(
            &self.sql(
                "INSERT INTO {s}.tokens (id, name, role, scope, hash, created, revoked, expires)
                 VALUES ($1, $2, $3, $4, $5, $6::text::timestamptz, $7::text::timestamptz, $8::text::timestamptz)",
            ),
            &[&t.id, &t.name, &t.role.as_str(), &t.scope, &sha256, &t.created, &t.revoked, &t.expires],
        )
        .map_err(self.err())?;
        tx.execute(
            &self.sql(
                "SELECT setval(pg_get_serial_sequence('{s}.tokens', 'id'),
                               greatest((SELECT max(id) FROM {s}.tokens), 1))",
            ),
            &[],
        )
        .map_err(self.err())?;
        tx.commit().map_err(self.err())
    }

    fn restore_audit(&self, entries: &[[String; 5]]) -> Result<()> {
        let col = |i: usize| entries.iter().map(|e| e[i].as_str()).collect::<Vec<_>>();
        self.client()?
            .execute(
                &self.sql(
                    "INSERT INTO {s}.audit_log (at, actor, role, action, detail)
                     SELECT a::timestamptz, b, c, d, e
                     FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[])
                          WITH ORDINALITY AS u(a, b, c, d, e, n) ORDER BY n",
                ),
                &[&col(0), &col(1), &col(2), &col(3), &col(4)],
            )
            .map_err(self.err())?;
        Ok(())
    }

    fn audit_log(&self, limit: usize) -> Result<Vec<[String; 5]>> {
        let rows = self
            .client()?
            .query(
                &self.sql(&format!(
                    "SELECT {}, actor, role, action, detail FROM {{s}}.audit_log ORDER BY id DESC LIMIT $1",
                    iso("at")
                )),
                &[&i64::try_from(limit).unwrap_or(i64::MAX)],
            )
            .map_err(self.err())?;
        Ok(rows
            .iter()
            .map(|r| [r.get(0), r.get(1), r.get(2), r.get(3), r.get(4)])
            .collect())
    }
}

//! The workspace URL: `postgres://user[:password]@host[:port]/database?schema=NAME`. The
//! schema (one per workspace) defaults to `wangge`. The password is kept for connecting and
//! never shown: [`PgUrl`]'s `Display` (used in every message) writes `****` in its place.

use crate::Error;

/// A parsed workspace URL.
#[derive(Clone, PartialEq, Eq)]
pub struct PgUrl {
    user: String,
    password: Option<String>,
    host: String,
    port: u16,
    database: String,
    schema: String,
}

impl std::fmt::Debug for PgUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PgUrl({self})")
    }
}

impl std::fmt::Display for PgUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let pw = if self.password.is_some() { ":****" } else { "" };
        write!(
            f,
            "postgres://{}{pw}@{}:{}/{}?schema={}",
            self.user, self.host, self.port, self.database, self.schema
        )
    }
}

/// Percent-decoding of a URL part (`%40` is `@`).
fn decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// A name PostgreSQL takes unquoted: lower-case letters, digits and `_`, not starting with a
/// digit, at most 63 bytes.
fn identifier(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !s.starts_with(|c: char| c.is_ascii_digit())
}

impl PgUrl {
    /// Parses a workspace URL; the error shows it with the password hidden.
    pub fn parse(text: &str) -> Result<Self, Error> {
        let shown = redact(text);
        let bad = |why: &str| Error::Url {
            url: shown.clone(),
            why: why.to_string(),
        };
        let rest = text
            .strip_prefix("postgres://")
            .or_else(|| text.strip_prefix("postgresql://"))
            .ok_or_else(|| bad("it must start with postgres://"))?;
        let (main, query) = rest.split_once('?').unwrap_or((rest, ""));
        let (auth, hostpath) = main
            .rsplit_once('@')
            .ok_or_else(|| bad("it names no user (postgres://USER@HOST/DATABASE)"))?;
        let (user, password) = match auth.split_once(':') {
            Some((u, p)) => (
                u,
                Some(decode(p).ok_or_else(|| bad("the password is not valid percent-encoding"))?),
            ),
            None => (auth, None),
        };
        let user = decode(user)
            .filter(|u| !u.is_empty())
            .ok_or_else(|| bad("the user is empty"))?;
        let (hostport, database) = hostpath
            .split_once('/')
            .ok_or_else(|| bad("it names no database (postgres://USER@HOST/DATABASE)"))?;
        if database.is_empty() {
            return Err(bad("the database name is empty"));
        }
        let (host, port) = match hostport.rsplit_once(':') {
            Some((h, p)) => (
                h,
                p.parse::<u16>()
                    .map_err(|_| bad(&format!("port {p:?} is not a number from 1 to 65535")))?,
            ),
            None => (hostport, 5432),
        };
        if host.is_empty() {
            return Err(bad("the host is empty"));
        }
        let mut schema = "wangge".to_string();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            match pair.split_once('=') {
                Some(("schema", v)) => schema = decode(v).unwrap_or_default(),
                _ => {
                    return Err(bad(&format!(
                        "unknown parameter {pair:?} (only schema=NAME)"
                    )));
                }
            }
        }
        if !identifier(&schema) {
            return Err(bad(&format!(
                "schema {schema:?}: lower-case letters, digits and _, not starting with a digit"
            )));
        }
        Ok(Self {
            user,
            password,
            host: host.to_string(),
            port,
            database: decode(database)
                .ok_or_else(|| bad("the database name is not valid percent-encoding"))?,
            schema,
        })
    }

    /// A key naming this workspace and login, password included (for a process's table of
    /// open workspaces; never shown).
    pub fn key(&self) -> String {
        format!(
            "{}\u{0}{}\u{0}{}\u{0}{}\u{0}{}\u{0}{}",
            self.user,
            self.password.as_deref().unwrap_or(""),
            self.host,
            self.port,
            self.database,
            self.schema
        )
    }

    /// The schema that holds the workspace.
    pub fn schema(&self) -> &str {
        &self.schema
    }

    /// The client configuration (with the password: never print it).
    pub(crate) fn config(&self) -> postgres::Config {
        let mut c = postgres::Config::new();
        c.user(&self.user)
            .host(&self.host)
            .port(self.port)
            .dbname(&self.database)
            .application_name("wangge")
            // No JIT compilation: the KPI statement over a month of incidents is estimated
            // costly enough for it, and compiling took 0.8 s of a 0.95 s statement at 1M
            // incidents (benches/store_peers-1M-reads.md); these statements are short.
            .options("-c jit=off");
        if let Some(p) = &self.password {
            c.password(p);
        }
        c
    }
}

/// The URL with any password replaced by `****` (for messages about a URL that did not parse).
pub fn redact(text: &str) -> String {
    let Some((scheme, rest)) = text.split_once("://") else {
        return text.to_string();
    };
    match rest.rsplit_once('@') {
        Some((auth, tail)) => match auth.split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:****@{tail}"),
            None => text.to_string(),
        },
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_names_user_host_database_and_schema_and_never_shows_the_password() {
        let u = PgUrl::parse("postgres://planner:s%40cret@db.local:5433/city?schema=xuanwu")
            .expect("url");
        assert_eq!(u.schema(), "xuanwu");
        assert_eq!(
            u.to_string(),
            "postgres://planner:****@db.local:5433/city?schema=xuanwu"
        );
        assert!(!format!("{u:?}").contains("cret"));
        let d = PgUrl::parse("postgresql://me@localhost/city").expect("url");
        assert_eq!(
            d.to_string(),
            "postgres://me@localhost:5432/city?schema=wangge"
        );
    }

    #[test]
    fn bad_urls_say_what_is_wrong_without_the_password() {
        for (text, part) in [
            ("postgres://u:pw@host/db?schema=Bad-Name", "schema"),
            ("postgres://u:pw@host:99999/db", "port"),
            ("postgres://host/db", "user"),
            ("postgres://u:pw@host", "database"),
            (
                "postgres://u:pw@host/db?sslmode=require",
                "unknown parameter",
            ),
            ("mysql://u:pw@host/db", "postgres://"),
        ] {
            let e = PgUrl::parse(text).expect_err(text).to_string();
            assert!(e.contains(part), "{text}: {e}");
            assert!(!e.contains(":pw@"), "{text}: the password shows: {e}");
        }
    }
}

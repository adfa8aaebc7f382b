//! Access control: tokens (`wangge token create`, stored hashed) carry a role, a scope and
//! maybe an expiry; every request is resolved to a `Principal` and checked against the route
//! policy here; handlers narrow answers to the scope. With no token ever created in the
//! workspace the server is open (and says so at start); once one exists (even revoked or
//! expired), a request without a token is `public` (basemap only). Each token is also
//! rate-limited.

use crate::AppError;
use axum::http::Method;
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Mutex, RwLock};
use std::time::Instant;
use wangge_core::access::Role;
use wangge_core::kpi::sha256_hex;

/// Who is asking.
#[derive(Debug, Clone, PartialEq)]
pub struct Principal {
    /// Token id; `None` for anonymous requests and for an open server.
    pub id: Option<i64>,
    pub name: String,
    pub role: Role,
    /// Street or grid code, or `*`.
    pub scope: String,
    /// For street scopes: the communities of the street.
    pub communities: Vec<String>,
}

impl Principal {
    fn open() -> Self {
        Self {
            id: None,
            name: "open".into(),
            role: Role::Admin,
            scope: "*".into(),
            communities: Vec::new(),
        }
    }

    fn anonymous() -> Self {
        Self {
            id: None,
            name: "anonymous".into(),
            role: Role::Public,
            scope: "*".into(),
            communities: Vec::new(),
        }
    }

    /// Whether a community is in this principal's street (always for district scopes).
    pub fn has_community(&self, c: Option<&str>) -> bool {
        match self.role {
            Role::Planner | Role::StreetOffice => {
                c.is_some_and(|c| self.communities.iter().any(|x| x == c))
            }
            _ => true,
        }
    }

    /// Whether incident positions may reach this caller unsnapped (an admin); everyone else
    /// gets heat and counts from incidents snapped to cells of at least 100 m, whole days,
    /// and events that name the community.
    pub fn sees_positions(&self) -> bool {
        self.role == Role::Admin
    }

    /// Whether a grid is this grid worker's (always for other roles).
    pub fn has_grid(&self, g: Option<&str>) -> bool {
        self.role != Role::GridWorker || g == Some(self.scope.as_str())
    }

    /// Who, for the audit log.
    pub fn actor(&self) -> String {
        match self.id {
            Some(id) => format!("token {id} {} scope {}", self.name, self.scope),
            None => format!("{} scope {}", self.name, self.scope),
        }
    }
}

/// Requests a token may make per second on average by default (`wangge serve
/// --rate-limit`); bursts of ten times that.
pub const DEFAULT_RATE_PER_S: u32 = 200;

/// The tokens of a workspace, re-read with the workspace.
pub struct Access {
    /// Tokens not revoked, by the SHA-256 of their secret, with their expiry (Unix seconds).
    tokens: RwLock<HashMap<String, (Principal, Option<i64>)>>,
    /// Whether any token was ever created: then requests need one.
    enforced: std::sync::atomic::AtomicBool,
    buckets: Mutex<HashMap<i64, (f64, Instant)>>,
    /// Requests per second and token; 0: no limit.
    rate: std::sync::atomic::AtomicU32,
}

impl Default for Access {
    fn default() -> Self {
        Self {
            tokens: RwLock::default(),
            enforced: Default::default(),
            buckets: Mutex::default(),
            rate: std::sync::atomic::AtomicU32::new(DEFAULT_RATE_PER_S),
        }
    }
}

impl Access {
    /// Re-reads tokens and street memberships.
    pub fn reload(&self, path: &Path) -> Result<(), AppError> {
        let store = wangge_app::open_store(path, wangge_app::Access::Read)
            .map_err(|e| AppError::Open(e.to_string()))?;
        let rows = store
            .token_hashes()
            .map_err(|e| AppError::Internal(e.to_string()))?;
        let ever = !store
            .tokens()
            .map_err(|e| AppError::Internal(e.to_string()))?
            .is_empty();
        let mut streets: HashMap<String, Vec<String>> = HashMap::new();
        if ever {
            let pairs = store
                .community_streets()
                .map_err(|e| AppError::Internal(e.to_string()))?;
            for p in pairs {
                streets.entry(p.1).or_default().push(p.0);
            }
        }
        let map = rows
            .into_iter()
            .map(|(hash, t)| {
                let communities = streets.get(&t.scope).cloned().unwrap_or_default();
                let expires = t
                    .expires
                    .as_deref()
                    .and_then(|e| wangge_core::Timestamp::parse(e, 0).ok())
                    .map(wangge_core::Timestamp::unix);
                let p = Principal {
                    id: Some(t.id),
                    name: t.name,
                    role: t.role,
                    scope: t.scope,
                    communities,
                };
                (hash, (p, expires))
            })
            .collect();
        *self.tokens.write().unwrap_or_else(|p| p.into_inner()) = map;
        self.enforced
            .store(ever, std::sync::atomic::Ordering::SeqCst);
        Ok(())
    }

    /// Whether tokens are in use (one was ever created, even if none is live now).
    pub fn enforced(&self) -> bool {
        self.enforced.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// The principal of a request's token.
    pub fn principal(&self, token: Option<&str>) -> Result<Principal, AppError> {
        if !self.enforced() {
            return Ok(Principal::open());
        }
        let Some(t) = token else {
            return Ok(Principal::anonymous());
        };
        let tokens = self.tokens.read().unwrap_or_else(|p| p.into_inner());
        let (p, expires) = tokens
            .get(&sha256_hex(t.as_bytes()))
            .ok_or_else(|| AppError::Unauthorized("unknown or revoked token".into()))?;
        if let Some(e) = *expires
            && e <= wangge_core::Timestamp::now().unix()
        {
            return Err(AppError::Unauthorized(format!(
                "token {} ({}) expired at {}; ask an administrator for a new one",
                p.id.unwrap_or(0),
                p.name,
                wangge_core::Timestamp::from_unix(e)
            )));
        }
        Ok(p.clone())
    }

    /// Sets the requests per second each token may make (0: no limit).
    pub fn set_rate(&self, per_s: u32) {
        self.rate.store(per_s, std::sync::atomic::Ordering::Relaxed);
    }

    pub(crate) fn rate(&self) -> f64 {
        f64::from(self.rate.load(std::sync::atomic::Ordering::Relaxed))
    }

    /// Takes one request from the token's bucket.
    pub(crate) fn admit(&self, id: i64) -> bool {
        let rate = self.rate();
        if rate == 0.0 {
            return true;
        }
        let burst = rate * 10.0;
        let mut b = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        let (level, at) = b.entry(id).or_insert((burst, now));
        *level = (*level + now.duration_since(*at).as_secs_f64() * rate).min(burst);
        *at = now;
        if *level >= 1.0 {
            *level -= 1.0;
            true
        } else {
            false
        }
    }
}

/// What a route needs, by method and path.
pub(crate) fn allowed(role: Role, method: &Method, path: &str) -> bool {
    use Role::*;
    let any = |roles: &[Role]| role == Admin || roles.contains(&role);
    let seg: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let aggregates = [Planner, StreetOffice, Leader, GridWorker];
    match seg.as_slice() {
        // The pages, the style, glyphs, the API document: anyone (data needs a token).
        [""] | ["api"] | ["style.json"] | ["wall"] | ["desk"] | ["fonts", ..] | ["viewer", ..] => {
            true
        }
        // Incident counts are aggregates; base tiles are narrowed to the basemap for the public.
        ["tiles", "hex" | "incident_communities", ..] => any(&aggregates),
        // Counts per grid place an incident in a unit smaller than its community.
        ["tiles", "incident_grids", ..] => role == Admin,
        ["tiles", ..] | ["collections", ..] | ["conformance"] | ["tileMatrixSets", ..] => true,
        ["heat", ..] => any(&aggregates),
        ["api", "incidents", "summary"]
        | ["api", "views"]
        | ["api", "kpi", ..]
        | ["api", "index"] => any(&aggregates),
        ["api", "incidents", "stream"] => any(&aggregates),
        ["api", "incidents"] if method == Method::POST => any(&[GridWorker]),
        // Steps by the grid worker (its grid) and the street office (its street); assigning
        // and supervising only by the street office (checked in the handler).
        ["api", "incidents", ..] if method == Method::PATCH => any(&[GridWorker, StreetOffice]),
        // The case desk and the register: the street office (its street).
        ["api", "desk"] | ["api", "workers"] => any(&[StreetOffice]),
        ["api", "incidents", ..] => any(&[StreetOffice, GridWorker]),
        ["api", "plans", ..] => any(&[Planner]),
        // Components are public things (no personal data): their counts per area are
        // aggregates. Faults tie incident counts to one component's place: the street office
        // that supervises the cases (its street only) and the admin.
        ["api", "components"] => any(&aggregates),
        ["api", "components", "faults"] => any(&[StreetOffice]),
        ["api", "residents"] => any(&[StreetOffice, GridWorker]),
        // A building's storeys and grid; its households only to roles that may see them.
        ["api", "buildings", ..] => any(&aggregates),
        ["api", "reach", ..] => any(&[StreetOffice, Planner]),
        _ => role == Admin,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_table() {
        let get = Method::GET;
        assert!(allowed(Role::Public, &get, "/style.json"));
        assert!(allowed(Role::Public, &get, "/tiles/all/14/1/2.mvt"));
        assert!(!allowed(Role::Public, &get, "/tiles/hex/14/1/2.mvt"));
        assert!(!allowed(Role::Public, &get, "/heat/14/1/2.png"));
        assert!(allowed(Role::Leader, &get, "/heat/14/1/2.png"));
        assert!(!allowed(Role::Leader, &get, "/api/incidents"));
        assert!(allowed(Role::StreetOffice, &get, "/api/incidents"));
        assert!(!allowed(
            Role::StreetOffice,
            &Method::POST,
            "/api/incidents"
        ));
        assert!(allowed(
            Role::GridWorker,
            &Method::PATCH,
            "/api/incidents/A"
        ));
        assert!(!allowed(Role::Leader, &get, "/api/plans"));
        assert!(allowed(Role::Planner, &Method::POST, "/api/plans/1/edits"));
        assert!(allowed(Role::Leader, &get, "/api/components"));
        assert!(!allowed(Role::Public, &get, "/api/components"));
        assert!(allowed(Role::StreetOffice, &get, "/api/components/faults"));
        assert!(!allowed(Role::Leader, &get, "/api/components/faults"));
        assert!(!allowed(Role::GridWorker, &get, "/api/components/faults"));
        assert!(!allowed(Role::Planner, &get, "/api/nothing"));
        assert!(allowed(Role::Admin, &get, "/api/nothing"));
    }
}

//! The middleware in front of every route: who is asking (token), may they (the policy table
//! in `auth`), and not too often (the rate limit).

use crate::AppError;
use crate::auth::allowed;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use wangge_core::access::Role;

/// The token of a request: `Authorization: Bearer …`, or `?token=…` (for EventSource and
/// image URLs, which cannot set headers).
fn token_of(req: &Request) -> Option<String> {
    if let Some(h) = req.headers().get(axum::http::header::AUTHORIZATION)
        && let Ok(v) = h.to_str()
        && let Some(t) = v.strip_prefix("Bearer ")
    {
        return Some(t.trim().to_string());
    }
    req.uri().query().and_then(|q| {
        q.split('&')
            .find_map(|kv| kv.strip_prefix("token="))
            .map(str::to_string)
    })
}

/// The middleware: resolves the principal, applies the route policy and the rate limit, and
/// hands the principal to the handler.
pub async fn authenticate(
    State(s): State<crate::AppState>,
    mut req: Request,
    next: Next,
) -> Response {
    let p = match s.access.principal(token_of(&req).as_deref()) {
        Ok(p) => p,
        Err(e) => return e.into_response(),
    };
    if !allowed(p.role, req.method(), req.uri().path()) {
        let e = if p.id.is_none() && p.role == Role::Public {
            AppError::Unauthorized("this needs an access token (Authorization: Bearer …)".into())
        } else {
            AppError::Forbidden(format!(
                "a {} token may not {} {}",
                p.role,
                req.method(),
                req.uri().path()
            ))
        };
        return e.into_response();
    }
    if let Some(id) = p.id
        && !s.access.admit(id)
    {
        return AppError::TooMany(format!(
            "token {id}: more than {} requests a second (bursts of {}); slow down",
            s.access.rate(),
            s.access.rate() * 10.0
        ))
        .into_response();
    }
    req.extensions_mut().insert(p);
    next.run(req).await
}

//! One error type for every handler: 4xx carry a message a user can act on, 5xx are
//! generic to the client and logged once. Every error answers RFC 9457 problem details
//! (`application/problem+json`: `type`, `title`, `status`, `detail`, plus a stable `code` and
//! its `params`); the status comes from the variant (one table, `status_code`), never from
//! the message, and clients translate by `code` with `params`, never by the English text.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// A path or parameter the server cannot serve.
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    NotFound(String),
    /// A change the data refuses (an illegal status transition).
    #[error("{0}")]
    Conflict(String),
    /// A well-formed request the data refuses, with the reason (a planner edit over the cap).
    #[error("{0}")]
    Refused(String),
    /// A refusal with its machine code and named values (`plan.over_cap` with `grid`,
    /// `households`, `cap`): what a client translates.
    #[error("{detail}")]
    RefusedWith {
        title: &'static str,
        detail: String,
        code: String,
        params: Vec<(&'static str, String)>,
    },
    /// A conflict with the current state, with its machine code and named values
    /// (`plan.stale` with `base` and `current`): 409.
    #[error("{detail}")]
    ConflictWith {
        title: &'static str,
        detail: String,
        code: String,
        params: Vec<(&'static str, String)>,
    },
    /// No token, or an unknown or revoked one.
    #[error("{0}")]
    Unauthorized(String),
    /// The token's role or scope does not allow it.
    #[error("{0}")]
    Forbidden(String),
    /// Outside the token's scope, with its machine code and named values (`scope.grid` with
    /// `grid` and `scope`: a report placed outside a grid worker's grid): 403.
    #[error("{detail}")]
    ForbiddenWith {
        title: &'static str,
        detail: String,
        code: String,
        params: Vec<(&'static str, String)>,
    },
    /// Too many requests for one token.
    #[error("{0}")]
    TooMany(String),
    /// A body too large or with too many items.
    #[error("{0}")]
    TooLarge(String),
    /// A body of a type the route does not take (a photo that is not a JPEG or PNG).
    #[error("{0}")]
    Unsupported(String),
    /// The workspace or archive cannot be served (at start).
    #[error("{0}")]
    Open(String),
    /// Anything else; the detail stays in the server log.
    #[error("internal error: {0}")]
    Internal(String),
}

impl AppError {
    /// The status and stable code of each kind of error: the one table.
    pub fn status_code(&self) -> (StatusCode, &str) {
        match self {
            AppError::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            AppError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            AppError::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            AppError::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "unauthorized"),
            AppError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            AppError::ForbiddenWith { code, .. } => (StatusCode::FORBIDDEN, code),
            AppError::TooMany(_) => (StatusCode::TOO_MANY_REQUESTS, "too_many_requests"),
            AppError::Refused(_) => (StatusCode::UNPROCESSABLE_ENTITY, "refused"),
            AppError::RefusedWith { code, .. } => (StatusCode::UNPROCESSABLE_ENTITY, code),
            AppError::ConflictWith { code, .. } => (StatusCode::CONFLICT, code),
            AppError::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "too_large"),
            AppError::Unsupported(_) => {
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
            }
            AppError::Open(_) | AppError::Internal(_) => {
                (StatusCode::INTERNAL_SERVER_ERROR, "internal")
            }
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_code();
        let code = code.to_string();
        let (title, detail, params) = match self {
            AppError::Open(m) | AppError::Internal(m) => {
                eprintln!("wangge serve: {m}");
                (None, "internal error".to_string(), Vec::new())
            }
            AppError::RefusedWith {
                title,
                detail,
                params,
                ..
            }
            | AppError::ConflictWith {
                title,
                detail,
                params,
                ..
            }
            | AppError::ForbiddenWith {
                title,
                detail,
                params,
                ..
            } => (Some(title), detail, params),
            other => (None, other.to_string(), Vec::new()),
        };
        let body = crate::contract::problem::ProblemDetails {
            kind: "about:blank".into(),
            title: title
                .unwrap_or_else(|| status.canonical_reason().unwrap_or("error"))
                .to_string(),
            status: status.as_u16(),
            detail,
            code: code.to_string(),
            params: params
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
        };
        let body = serde_json::to_string(&body).unwrap_or_default();
        let mut r = (status, body).into_response();
        r.headers_mut().insert(
            axum::http::header::CONTENT_TYPE,
            axum::http::HeaderValue::from_static("application/problem+json"),
        );
        if status == StatusCode::UNAUTHORIZED {
            r.headers_mut().insert(
                axum::http::header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static("Bearer"),
            );
        }
        r
    }
}

/// A store error as the client should see it, by its kind: not found 404, usage 400, a
/// refused incident change 409, anything else 500.
pub fn io(e: wangge_io::Error) -> AppError {
    match &e {
        wangge_io::Error::NotFound { message, .. } => AppError::NotFound(message.clone()),
        wangge_io::Error::Usage { message, .. } => AppError::BadRequest(message.clone()),
        _ => AppError::Internal(e.to_string()),
    }
}

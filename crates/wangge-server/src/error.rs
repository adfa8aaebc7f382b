//! One error type for every handler: 4xx carry a message a user can act on, 5xx are
//! generic to the client and logged once.

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
    /// No token, or an unknown or revoked one.
    #[error("{0}")]
    Unauthorized(String),
    /// The token's role or scope does not allow it.
    #[error("{0}")]
    Forbidden(String),
    /// Too many requests for one token.
    #[error("{0}")]
    TooMany(String),
    /// A body too large or with too many items.
    #[error("{0}")]
    TooLarge(String),
    /// The workspace or archive cannot be served (at start).
    #[error("{0}")]
    Open(String),
    /// Anything else; the detail stays in the server log.
    #[error("internal error: {0}")]
    Internal(String),
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        match self {
            AppError::BadRequest(m) => (StatusCode::BAD_REQUEST, m).into_response(),
            AppError::NotFound(m) => (StatusCode::NOT_FOUND, m).into_response(),
            AppError::Conflict(m) => (StatusCode::CONFLICT, m).into_response(),
            AppError::Unauthorized(m) => (
                StatusCode::UNAUTHORIZED,
                [(axum::http::header::WWW_AUTHENTICATE, "Bearer")],
                m,
            )
                .into_response(),
            AppError::Forbidden(m) => (StatusCode::FORBIDDEN, m).into_response(),
            AppError::TooMany(m) => (StatusCode::TOO_MANY_REQUESTS, m).into_response(),
            AppError::Refused(m) => (StatusCode::UNPROCESSABLE_ENTITY, m).into_response(),
            AppError::TooLarge(m) => (StatusCode::PAYLOAD_TOO_LARGE, m).into_response(),
            AppError::Open(m) | AppError::Internal(m) => {
                eprintln!("wangge serve: {m}");
                (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
            }
        }
    }
}

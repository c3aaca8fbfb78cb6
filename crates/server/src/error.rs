//! One error type for handlers. Internals are logged, never sent: clients get a status and a
//! stable code.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// What went wrong, as far as a client may know.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Not signed in (or the session ended).
    #[error("authentication required")]
    Unauthenticated,
    /// Signed in, but the role or ownership does not allow it.
    #[error("forbidden")]
    Forbidden,
    /// No such object (also used where revealing existence would leak).
    #[error("not found")]
    NotFound,
    /// The request is malformed; the message is safe to show.
    #[error("{0}")]
    BadRequest(String),
    /// Conflicts with the current state; the message is safe to show.
    #[error("{0}")]
    Conflict(String),
    /// Too many attempts.
    #[error("too many requests")]
    TooMany,
    /// The request body is over the limit.
    #[error("request too large")]
    TooLarge,
    /// Anything else: logged, shown as a generic failure.
    #[error("internal error")]
    Internal(String),
}

impl Error {
    /// HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            Error::Unauthenticated => StatusCode::UNAUTHORIZED,
            Error::Forbidden => StatusCode::FORBIDDEN,
            Error::NotFound => StatusCode::NOT_FOUND,
            Error::BadRequest(_) => StatusCode::BAD_REQUEST,
            Error::Conflict(_) => StatusCode::CONFLICT,
            Error::TooMany => StatusCode::TOO_MANY_REQUESTS,
            Error::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Error::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Unauthenticated => "unauthenticated",
            Error::Forbidden => "forbidden",
            Error::NotFound => "not_found",
            Error::BadRequest(_) => "bad_request",
            Error::Conflict(_) => "conflict",
            Error::TooMany => "too_many_requests",
            Error::TooLarge => "too_large",
            Error::Internal(_) => "internal",
        }
    }
}

impl From<sqlx::Error> for Error {
    fn from(e: sqlx::Error) -> Self {
        Error::Internal(format!("database: {e}"))
    }
}

impl From<baomi_tlog::Error> for Error {
    fn from(e: baomi_tlog::Error) -> Self {
        Error::Internal(format!("audit log: {e}"))
    }
}

impl From<axum::extract::rejection::FormRejection> for Error {
    fn from(e: axum::extract::rejection::FormRejection) -> Self {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            Error::TooLarge
        } else {
            Error::BadRequest(e.body_text())
        }
    }
}

/// Result with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// JSON error body for the API.
impl IntoResponse for Error {
    fn into_response(self) -> Response {
        if let Error::Internal(detail) = &self {
            tracing::error!(%detail, "request failed");
        }
        let body = serde_json::json!({ "error": self.code(), "message": self.to_string() });
        (self.status(), axum::Json(body)).into_response()
    }
}

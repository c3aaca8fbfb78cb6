//! The HTTP API under `/api/v1/` (JSON; errors as `{"error": code, "message": ...}`), described
//! by an OpenAPI document generated from these handlers at `/api/v1/openapi.json`.

pub mod conversations;
pub mod input;
pub mod lookups;
pub mod messages;
pub mod stream;

use crate::auth::ApiCaller;
use crate::error::Result;
use crate::state::AppState;
use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use serde::Serialize;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};

/// Routes under `/api/v1`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/me", get(me))
        .route("/openapi.json", get(openapi))
        .merge(lookups::routes())
        .merge(messages::routes())
}

/// The signed-in user (or the account an API token acts as).
#[derive(Serialize, ToSchema)]
pub struct Me {
    /// Id.
    pub id: i64,
    /// Sign-in name.
    pub username: String,
    /// Name shown.
    pub display_name: String,
    /// Unit name.
    pub unit: Option<String>,
    /// Roles (stable names: staff, supervisor, integrity, admin, api).
    pub roles: Vec<&'static str>,
}

/// Error body of every failed request.
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    /// Stable code: unauthenticated, forbidden, not_found, bad_request, conflict,
    /// too_many_requests, internal.
    pub error: String,
    /// Human-readable message (never internals).
    pub message: String,
}

/// Who am I.
#[utoipa::path(get, path = "/api/v1/me", tag = "accounts",
    responses(
        (status = 200, description = "The caller's account", body = Me),
        (status = 401, description = "No session or token", body = ErrorBody),
        (status = 403, description = "Token without `profile:read`, or a sign-in gate pending", body = ErrorBody),
    ),
    security(("token" = ["profile:read"]), ("session" = [])))]
async fn me(cur: ApiCaller) -> Result<Json<Me>> {
    cur.require_scope("profile:read")?;
    Ok(Json(Me {
        id: cur.user.id,
        username: cur.user.username,
        display_name: cur.user.display_name,
        unit: cur.user.unit_name,
        roles: cur.user.roles.iter().map(|r| r.as_str()).collect(),
    }))
}

/// Liveness: the process answers.
#[utoipa::path(get, path = "/healthz", tag = "operations",
    responses((status = 200, description = "Alive", body = String)))]
pub async fn health() -> &'static str {
    "ok"
}

/// Readiness: the database answers.
#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses(
        (status = 200, description = "Ready", body = String),
        (status = 503, description = "Database unavailable", body = String),
    ))]
pub async fn ready(State(st): State<AppState>) -> impl IntoResponse {
    let db_ok = sqlx::query("SELECT 1").execute(&st.db).await.is_ok();
    if db_ok {
        (StatusCode::OK, "ready")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
    }
}

struct Security;

impl Modify for Security {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let c = doc.components.get_or_insert_with(Default::default);
        c.add_security_scheme(
            "token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("baomi_...")
                    .build(),
            ),
        );
        c.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new("baomi_session"))),
        );
    }
}

/// The OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    info(title = "baomi", description = "baomi (保密) server API", version = "1"),
    paths(me, health, ready, lookups::post_lookups, lookups::post_reference, lookups::get_flags,
        conversations::directory, conversations::list, conversations::create, conversations::direct, conversations::members, conversations::invite,
        conversations::remove, conversations::set_admin, conversations::join, conversations::requests, conversations::decide,
        conversations::audience, messages::messages, messages::send, messages::read, messages::edit,
        messages::recall, messages::forward, messages::receipts, messages::events, messages::export,
        messages::attach, messages::download, messages::search),
    components(schemas(Me, ErrorBody, lookups::LookupIn, lookups::Ingested, lookups::Rejected,
        lookups::ProblemOut, lookups::ReferenceImported, lookups::FlagOut, lookups::RefKind)),
    modifiers(&Security)
)]
pub struct ApiDoc;

async fn openapi() -> impl IntoResponse {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        ApiDoc::openapi().to_pretty_json().unwrap_or_default(),
    )
}

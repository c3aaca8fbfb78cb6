//! The audit log over HTTP, exactly as C2SP tlog-tiles lays it out: `/log/checkpoint` (mutable,
//! not cached) and `/log/tile/...` (immutable). Paths are parsed strictly, so nothing but log
//! resources can be reached, and the private directory never is.

use crate::state::AppState;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use baomi_tlog::store::{DirStore, Source};
use baomi_tlog::tile::Tile;

/// Routes under `/log`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/checkpoint", get(checkpoint))
        .route("/tile/{*path}", get(tile))
}

async fn checkpoint(State(st): State<AppState>) -> Response {
    serve(
        &st,
        "checkpoint".to_string(),
        "text/plain; charset=utf-8",
        "no-cache, max-age=2",
    )
    .await
}

async fn tile(State(st): State<AppState>, Path(path): Path<String>) -> Response {
    let path = format!("tile/{path}");
    if Tile::parse(&path).is_none() {
        return StatusCode::NOT_FOUND.into_response();
    }
    serve(
        &st,
        path,
        "application/octet-stream",
        "public, max-age=31536000, immutable",
    )
    .await
}

async fn serve(st: &AppState, path: String, ctype: &'static str, cache: &'static str) -> Response {
    let dir = st.log_public.clone();
    let got = tokio::task::spawn_blocking(move || DirStore::new(dir).get(&path)).await;
    match got {
        Ok(Ok(Some(body))) => {
            let mut r = body.into_response();
            let h = r.headers_mut();
            h.insert(header::CONTENT_TYPE, HeaderValue::from_static(ctype));
            h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
            h.insert(
                header::ACCESS_CONTROL_ALLOW_ORIGIN,
                HeaderValue::from_static("*"),
            );
            r
        }
        Ok(Ok(None)) => StatusCode::NOT_FOUND.into_response(),
        Ok(Err(e)) => {
            tracing::error!(error = %e, "serving the log");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

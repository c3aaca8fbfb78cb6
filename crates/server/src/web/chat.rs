//! The messenger's web client: a page shell (server-rendered, with the viewer's identity for
//! the watermark) and its embedded script, stylesheet, manifest and service worker. The script
//! talks to `/api/v1/` and the WebSocket stream; no external CDN, no inline script.

use super::{Nav, PageOpts, page_with};
use crate::auth::Current;
use crate::state::AppState;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use maud::html;

/// The client's pages and files.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/chat", get(shell))
        .route("/static/chat.js", get(|| file("text/javascript", CHAT_JS)))
        .route("/static/chat.css", get(|| file("text/css", CHAT_CSS)))
        .route("/static/icon.svg", get(|| file("image/svg+xml", ICON)))
        .route(
            "/manifest.webmanifest",
            get(|| file("application/manifest+json", MANIFEST)),
        )
        .route("/sw.js", get(|| file("text/javascript", SW_JS)))
}

const CHAT_JS: &str = include_str!("../../assets/chat.js");
const CHAT_CSS: &str = include_str!("../../assets/chat.css");
const ICON: &str = include_str!("../../assets/icon.svg");
const MANIFEST: &str = include_str!("../../assets/manifest.webmanifest");
const SW_JS: &str = include_str!("../../assets/sw.js");

/// The page may run our own script and open our own WebSocket; nothing else changes.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
    connect-src 'self'; manifest-src 'self'; worker-src 'self'; form-action 'self'; \
    frame-ancestors 'none'; base-uri 'none'";

async fn file(mime: &'static str, body: &'static str) -> Response {
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, format!("{mime}; charset=utf-8")),
            (header::CACHE_CONTROL, "no-cache".to_string()),
        ],
        body,
    )
        .into_response()
}

async fn shell(State(st): State<AppState>, cur: Current) -> Response {
    let l = cur.lang;
    let seq = st.messenger.cursor().await.unwrap_or(0);
    let body = html! {
        div #chat data-user=(cur.user.id) data-name=(cur.user.display_name)
            data-unit=(cur.user.unit_name.as_deref().unwrap_or(""))
            data-external=(cur.user.external) data-csrf=(cur.session.csrf) data-seq=(seq) {
            noscript { p.msg.bad { (l.t("chat.noscript")) } }
        }
    };
    let mut r = page_with(
        l,
        l.t("chat.title"),
        Some(Nav::of(&cur)),
        body,
        PageOpts {
            wide: true,
            script: Some("/static/chat.js"),
            stylesheet: Some("/static/chat.css"),
            manifest: true,
        },
    )
    .into_response();
    r.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    r
}

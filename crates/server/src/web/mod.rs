//! Server-rendered pages (zh-TW first). Everything is embedded in the binary: no CDN, no script.

mod admin;
mod audit;
mod lookups;
mod me;
mod signin;
mod twofactor;

use crate::error::Error;
use crate::i18n::Lang;
use crate::state::AppState;
use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::{DOCTYPE, Markup, html};

/// Page routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(me::home))
        .route("/signin", get(signin::form).post(signin::submit))
        .route("/signout", post(signin::signout))
        .route("/me/sessions", get(me::sessions))
        .route("/me/sessions/revoke", post(me::revoke))
        .route(
            "/me/password",
            get(me::password_form).post(me::password_submit),
        )
        .route(
            "/me/2fa",
            get(twofactor::enrol_form).post(twofactor::enrol_submit),
        )
        .route(
            "/signin/2fa",
            get(twofactor::challenge_form).post(twofactor::challenge_submit),
        )
        .route("/audit", get(audit::list))
        .route("/admin/users", get(admin::users).post(admin::user_action))
        .route("/admin/tokens", get(admin::tokens).post(admin::token_post))
        .route(
            "/admin/org",
            get(admin::org)
                .post(admin::org_post)
                .layer(axum::extract::DefaultBodyLimit::max(32 << 20)),
        )
        .merge(lookups::routes())
        .route("/lang/{code}", get(set_lang))
        .route("/static/app.css", get(css))
}

/// The signed-in part of the header.
pub struct Nav<'a> {
    /// Name shown.
    pub name: &'a str,
    /// CSRF token for the sign-out form.
    pub csrf: &'a str,
    /// Show the audit link.
    pub audit: bool,
    /// Show the administration link.
    pub admin: bool,
}

impl<'a> Nav<'a> {
    /// The header for a signed-in user.
    pub fn of(cur: &'a crate::auth::Current) -> Nav<'a> {
        use crate::accounts::Role;
        Nav {
            name: &cur.user.display_name,
            csrf: &cur.session.csrf,
            audit: cur.user.has(Role::Integrity),
            admin: cur.user.has(Role::Admin),
        }
    }
}

/// The page shell.
pub fn page(lang: Lang, title: &str, nav: Option<Nav<'_>>, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang=(lang.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · " (lang.t("app.name")) }
                link rel="stylesheet" href="/static/app.css";
            }
            body {
                a.skip href="#main" { (lang.t("nav.skip")) }
                header {
                    a.brand href="/" { (lang.t("app.name")) }
                    @if let Some(n) = &nav {
                        nav aria-label="main" {
                            a href="/" { (lang.t("nav.home")) }
                            a href="/lookups" { (lang.t("nav.lookups")) }
                            a href="/me/sessions" { (lang.t("nav.sessions")) }
                            a href="/me/password" { (lang.t("nav.password")) }
                            @if n.audit { a href="/audit" { (lang.t("nav.audit")) } }
                            @if n.admin { a href="/admin/users" { (lang.t("nav.admin")) } }
                        }
                        span.muted { (n.name) }
                        form method="post" action="/signout" {
                            input type="hidden" name="csrf" value=(n.csrf);
                            button.link type="submit" { (lang.t("nav.signout")) }
                        }
                    }
                    a href=(if lang.zh() { "/lang/en" } else { "/lang/zh-TW" }) lang=(if lang.zh() { "en" } else { "zh-Hant-TW" }) {
                        (lang.t("lang.switch"))
                    }
                }
                main id="main" { h1 { (title) } (body) }
            }
        }
    }
}

/// An error shown as a page.
pub struct PageError(pub Lang, pub Error);

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let PageError(lang, e) = self;
        if let Error::Internal(detail) = &e {
            tracing::error!(%detail, "page failed");
        }
        let key = match e {
            Error::Forbidden => "error.forbidden",
            Error::NotFound => "error.not_found",
            _ => "error.generic",
        };
        let body = html! {
            p.msg.bad role="alert" { (lang.t(key)) }
            p { a href="/" { (lang.t("error.back")) } }
        };
        (e.status(), page(lang, lang.t("error.title"), None, body)).into_response()
    }
}

async fn set_lang(axum::extract::Path(code): axum::extract::Path<String>) -> Response {
    let v = if code == "en" { "en" } else { "zh-TW" };
    let mut r = Redirect::to("/").into_response();
    if let Ok(h) =
        HeaderValue::from_str(&format!("lang={v}; Path=/; Max-Age=31536000; SameSite=Lax"))
    {
        r.headers_mut().insert(header::SET_COOKIE, h);
    }
    r
}

async fn css() -> Response {
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../assets/app.css"),
    )
        .into_response()
}

//! Server-rendered pages (zh-TW first). Everything is embedded in the binary: no CDN, no script.

mod admin;
mod audit;
mod chat;
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
        .merge(chat::routes())
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

/// What a page adds to the shell.
#[derive(Default)]
pub struct PageOpts {
    /// Use the whole width (the messenger).
    pub wide: bool,
    /// A script of ours to load.
    pub script: Option<&'static str>,
    /// A stylesheet of ours besides `app.css`.
    pub stylesheet: Option<&'static str>,
    /// Link the web app manifest (installable on a phone).
    pub manifest: bool,
}

/// The page shell.
pub fn page(lang: Lang, title: &str, nav: Option<Nav<'_>>, body: Markup) -> Markup {
    page_with(lang, title, nav, body, PageOpts::default())
}

/// The page shell with extras.
pub fn page_with(
    lang: Lang,
    title: &str,
    nav: Option<Nav<'_>>,
    body: Markup,
    opts: PageOpts,
) -> Markup {
    html! {
        (DOCTYPE)
        html lang=(lang.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · " (lang.t("app.name")) }
                link rel="stylesheet" href="/static/app.css";
                @if let Some(css) = opts.stylesheet { link rel="stylesheet" href=(css); }
                @if opts.manifest {
                    link rel="manifest" href="/manifest.webmanifest";
                    meta name="theme-color" content="#0b5cad";
                    link rel="icon" href="/static/icon.svg" type="image/svg+xml";
                }
                @if let Some(js) = opts.script { script src=(js) defer {} }
            }
            body {
                a.skip href="#main" { (lang.t("nav.skip")) }
                header {
                    a.brand href="/" { (lang.t("app.name")) }
                    @if let Some(n) = &nav {
                        nav aria-label="main" {
                            a href="/" { (lang.t("nav.home")) }
                            a href="/chat" { (lang.t("nav.chat")) }
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
                @if opts.wide {
                    main id="main" class="wide" { h1.sr-only { (title) } (body) }
                } @else {
                    main id="main" { h1 { (title) } (body) }
                }
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

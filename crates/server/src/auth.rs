//! Authentication and authorisation in one place: extractors that handlers declare.
//!
//! - [`Current`]: a signed-in, enabled user with a live session (pages redirect to sign-in, the
//!   API answers 401); a user who must change their password gets nothing else.
//! - [`Need`]: `Current` plus a role requirement ([`AdminRole`] ...): 403 otherwise.
//! - [`CsrfForm`]: a form that must carry the session's CSRF token.

use crate::accounts::{self, Role, User};
use crate::error::Error;
use crate::i18n::Lang;
use crate::sessions::{self, Session};
use crate::state::AppState;
use axum::extract::{ConnectInfo, Form, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::de::DeserializeOwned;
use std::marker::PhantomData;
use std::net::SocketAddr;

/// Session cookie name; `__Host-` (Secure, no Domain, Path=/) when served over TLS.
pub fn cookie_name(secure: bool) -> &'static str {
    if secure {
        "__Host-baomi_session"
    } else {
        "baomi_session"
    }
}

/// A cookie's value from the request headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// The client's address: the peer, or behind a TLS proxy the address it reports.
pub fn client_ip(parts: &Parts, behind_proxy: bool) -> String {
    if behind_proxy
        && let Some(ip) = parts
            .headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
    {
        return ip.trim().chars().take(64).collect();
    }
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_default()
}

/// Why a request was turned away before its handler.
pub enum Rejection {
    /// Pages: go sign in (or change the password first).
    Redirect(&'static str),
    /// API and everything else.
    Error(Error),
}

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        match self {
            Rejection::Redirect(to) => Redirect::to(to).into_response(),
            Rejection::Error(e) => e.into_response(),
        }
    }
}

/// The path as the client sent it (nested routers see it without their prefix).
fn full_path(parts: &Parts) -> &str {
    parts
        .extensions
        .get::<axum::extract::OriginalUri>()
        .map_or(parts.uri.path(), |u| u.0.path())
}

fn is_api(parts: &Parts) -> bool {
    full_path(parts).starts_with("/api/")
}

/// A signed-in user with a live session.
#[derive(Clone)]
pub struct Current {
    /// The user.
    pub user: User,
    /// Their session.
    pub session: Session,
    /// Client address.
    pub ip: String,
    /// Interface language.
    pub lang: Lang,
}

impl FromRequestParts<AppState> for Current {
    type Rejection = Rejection;

    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Self, Self::Rejection> {
        if let Some(c) = parts.extensions.get::<Current>() {
            return Ok(c.clone());
        }
        let unauth = || {
            if is_api(parts) {
                Rejection::Error(Error::Unauthenticated)
            } else {
                Rejection::Redirect("/signin")
            }
        };
        let Some(token) = cookie(&parts.headers, cookie_name(st.secure_cookies)) else {
            return Err(unauth());
        };
        let session = sessions::lookup(&st.db, token, st.ttl)
            .await
            .map_err(Rejection::Error)?
            .ok_or_else(unauth)?;
        let user = accounts::get(&st.db, session.user_id)
            .await
            .map_err(Rejection::Error)?
            .ok_or_else(unauth)?;
        if user.disabled {
            // A leaver's sessions end at once, even one that slipped through.
            let _ = sessions::revoke_all(&st.db, user.id).await;
            return Err(unauth());
        }
        // One gate, in order: second factor for this session, then a new password, then
        // enrolment of a second factor where the role requires it.
        let path = full_path(parts);
        let gate = if user.totp_enrolled && !session.second_factor {
            Some("/signin/2fa")
        } else if user.must_change_password {
            Some("/me/password")
        } else if user.needs_second_factor() && !user.totp_enrolled {
            Some("/me/2fa")
        } else {
            None
        };
        if let Some(to) = gate
            && path != to
            && path != "/signout"
        {
            return Err(if is_api(parts) {
                Rejection::Error(Error::Forbidden)
            } else {
                Rejection::Redirect(to)
            });
        }
        let cur = Current {
            ip: client_ip(parts, st.cfg.behind_tls_proxy),
            lang: Lang::from_headers(&parts.headers),
            user,
            session,
        };
        parts.extensions.insert(cur.clone());
        Ok(cur)
    }
}

/// A role requirement.
pub trait Requirement: Send + Sync + 'static {
    /// Does the user meet it?
    fn allows(user: &User) -> bool;
}

/// System administrators.
pub struct AdminRole;
impl Requirement for AdminRole {
    fn allows(u: &User) -> bool {
        u.has(Role::Admin)
    }
}

/// Integrity officers.
pub struct IntegrityRole;
impl Requirement for IntegrityRole {
    fn allows(u: &User) -> bool {
        u.has(Role::Integrity)
    }
}

/// Supervisors (主管).
pub struct SupervisorRole;
impl Requirement for SupervisorRole {
    fn allows(u: &User) -> bool {
        u.has(Role::Supervisor)
    }
}

/// Those who run the look-up ledger's imports: integrity officers and administrators.
pub struct LedgerImportRole;
impl Requirement for LedgerImportRole {
    fn allows(u: &User) -> bool {
        u.has(Role::Integrity) || u.has(Role::Admin)
    }
}

/// A signed-in user meeting requirement `R`.
pub struct Need<R: Requirement>(pub Current, pub PhantomData<R>);

impl<R: Requirement> FromRequestParts<AppState> for Need<R> {
    type Rejection = Rejection;

    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Self, Self::Rejection> {
        let cur = Current::from_request_parts(parts, st).await?;
        if R::allows(&cur.user) {
            Ok(Need(cur, PhantomData))
        } else {
            Err(Rejection::Error(Error::Forbidden))
        }
    }
}

/// Forms that carry the CSRF token.
pub trait HasCsrf {
    /// The token submitted with the form.
    fn csrf(&self) -> &str;
}

/// Compares a submitted CSRF token with the session's, in constant time.
pub fn same_token(a: &str, b: &str) -> bool {
    same(a.as_bytes(), b.as_bytes())
}

fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A form posted by the signed-in user from one of our own pages.
pub struct CsrfForm<T>(pub Current, pub T);

impl<T: DeserializeOwned + HasCsrf + Send> FromRequest<AppState> for CsrfForm<T> {
    type Rejection = Rejection;

    async fn from_request(req: Request, st: &AppState) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let cur = Current::from_request_parts(&mut parts, st).await?;
        let req = Request::from_parts(parts, body);
        let Form(form) = Form::<T>::from_request(req, st)
            .await
            .map_err(|e| Rejection::Error(e.into()))?;
        if !same(form.csrf().as_bytes(), cur.session.csrf.as_bytes()) {
            return Err(Rejection::Error(Error::Forbidden));
        }
        Ok(CsrfForm(cur, form))
    }
}

/// Refuses state-changing requests that a browser says come from another site (login CSRF and
/// defence in depth for the token check).
pub fn cross_site(method: &Method, headers: &HeaderMap) -> bool {
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return false;
    }
    match headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        Some(site) => !matches!(site, "same-origin" | "none"),
        None => false,
    }
}

/// How an API caller proved who they are.
#[derive(Clone, Debug)]
pub enum Via {
    /// A browser session (cookie); state changes must echo the CSRF token in `X-CSRF-Token`.
    Session(Session),
    /// An API token (`Authorization: Bearer baomi_...`), limited to its scopes.
    Token(crate::tokens::Token),
}

/// An API caller: a signed-in browser or another system with a token.
#[derive(Clone)]
pub struct ApiCaller {
    /// The account.
    pub user: User,
    /// Session or token.
    pub via: Via,
    /// Client address.
    pub ip: String,
}

impl ApiCaller {
    /// Tokens must carry the scope; sessions act with their account's roles.
    pub fn require_scope(&self, scope: &str) -> Result<(), Error> {
        match &self.via {
            Via::Token(t) if !t.allows(scope) => Err(Error::Forbidden),
            _ => Ok(()),
        }
    }
}

impl FromRequestParts<AppState> for ApiCaller {
    type Rejection = Rejection;

    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Self, Self::Rejection> {
        let bearer = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        if let Some(b) = bearer {
            let token = crate::tokens::lookup(&st.db, b.trim())
                .await
                .map_err(Rejection::Error)?
                .ok_or(Rejection::Error(Error::Unauthenticated))?;
            let user = accounts::get(&st.db, token.user_id)
                .await
                .map_err(Rejection::Error)?
                .filter(|u| !u.disabled)
                .ok_or(Rejection::Error(Error::Unauthenticated))?;
            return Ok(ApiCaller {
                user,
                via: Via::Token(token),
                ip: client_ip(parts, st.cfg.behind_tls_proxy),
            });
        }
        let cur = Current::from_request_parts(parts, st).await?;
        if !matches!(parts.method, Method::GET | Method::HEAD) {
            let echoed = parts
                .headers
                .get("x-csrf-token")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            if !same(echoed.as_bytes(), cur.session.csrf.as_bytes()) {
                return Err(Rejection::Error(Error::Forbidden));
            }
        }
        Ok(ApiCaller {
            user: cur.user,
            via: Via::Session(cur.session),
            ip: cur.ip,
        })
    }
}

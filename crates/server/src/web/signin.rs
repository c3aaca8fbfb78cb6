//! Sign-in and sign-out pages.

use super::{PageError, page};
use crate::audit::{Event, Outcome};
use crate::auth::{CsrfForm, HasCsrf, client_ip, cookie_name};
use crate::error::Error;
use crate::i18n::Lang;
use crate::signin::{SignIn, sign_in};
use crate::state::AppState;
use axum::extract::{Form, FromRequest, Request, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;

fn form_page(lang: Lang, error: Option<&'static str>, username: &str) -> Markup {
    page(
        lang,
        lang.t("signin.title"),
        None,
        html! {
            @if let Some(e) = error {
                p.msg.bad role="alert" { (lang.t(e)) }
            }
            form.stack method="post" action="/signin" {
                label { (lang.t("signin.username"))
                    input type="text" name="username" value=(username) autocomplete="username" required autofocus; }
                label { (lang.t("signin.password"))
                    input type="password" name="password" autocomplete="current-password" required; }
                button type="submit" { (lang.t("signin.submit")) }
            }
        },
    )
}

pub async fn form(headers: HeaderMap) -> Markup {
    form_page(Lang::from_headers(&headers), None, "")
}

#[derive(Deserialize)]
pub struct SignInForm {
    username: String,
    password: String,
}

pub async fn submit(State(st): State<AppState>, req: Request) -> Result<Response, PageError> {
    let (parts, body) = req.into_parts();
    let lang = Lang::from_headers(&parts.headers);
    let ip = client_ip(&parts, st.cfg.behind_tls_proxy);
    let ua = parts
        .headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let req = Request::from_parts(parts, body);
    let Form(f) = Form::<SignInForm>::from_request(req, &st)
        .await
        .map_err(|e| PageError(lang, e.into()))?;
    let username: String = f.username.trim().chars().take(100).collect();
    if !st.signin_limit.allow(&ip) {
        return Ok((
            axum::http::StatusCode::TOO_MANY_REQUESTS,
            form_page(lang, Some("signin.slow_down"), &username),
        )
            .into_response());
    }
    match sign_in(&st, &username, &f.password, &ip, &ua)
        .await
        .map_err(|e| PageError(lang, e))?
    {
        SignIn::Ok(token, _) => {
            let mut r = Redirect::to("/").into_response();
            let secure = if st.secure_cookies { "; Secure" } else { "" };
            let c = format!(
                "{}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{secure}",
                cookie_name(st.secure_cookies),
                st.ttl.absolute
            );
            r.headers_mut().insert(
                header::SET_COOKIE,
                HeaderValue::from_str(&c)
                    .map_err(|e| PageError(lang, Error::Internal(e.to_string())))?,
            );
            Ok(r)
        }
        SignIn::Failed => Ok((
            axum::http::StatusCode::UNAUTHORIZED,
            form_page(lang, Some("signin.failed"), &username),
        )
            .into_response()),
        SignIn::Locked => Ok((
            axum::http::StatusCode::TOO_MANY_REQUESTS,
            form_page(lang, Some("signin.locked"), &username),
        )
            .into_response()),
    }
}

#[derive(Deserialize)]
pub struct CsrfOnly {
    csrf: String,
}

impl HasCsrf for CsrfOnly {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

pub async fn signout(
    State(st): State<AppState>,
    CsrfForm(cur, _): CsrfForm<CsrfOnly>,
) -> Result<Response, PageError> {
    crate::sessions::revoke(&st.db, cur.user.id, &cur.session.public_id)
        .await
        .map_err(|e| PageError(cur.lang, e))?;
    st.audit
        .record(
            Event::new(Some(cur.user.id), "auth.sign_out", Outcome::Ok)
                .target(format!("user:{}", cur.user.id))
                .ip(&cur.ip),
        )
        .await
        .map_err(|e| PageError(cur.lang, e))?;
    let mut r = Redirect::to("/signin").into_response();
    let c = format!(
        "{}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{}",
        cookie_name(st.secure_cookies),
        if st.secure_cookies { "; Secure" } else { "" }
    );
    if let Ok(h) = HeaderValue::from_str(&c) {
        r.headers_mut().insert(header::SET_COOKIE, h);
    }
    Ok(r)
}

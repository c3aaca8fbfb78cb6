//! Second-factor pages: enrolment (secret, recovery codes) and the code asked after sign-in.

use super::{Nav, PageError, page};
use crate::auth::{CsrfForm, Current, HasCsrf};
use crate::state::AppState;
use crate::twofactor::{self, Check};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;

fn nav(cur: &Current) -> Option<Nav<'_>> {
    Some(Nav::of(cur))
}

#[derive(Deserialize)]
pub struct CodeForm {
    csrf: String,
    code: String,
}

impl HasCsrf for CodeForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

fn code_field(l: crate::i18n::Lang) -> Markup {
    html! {
        label { (l.t("2fa.code"))
            input type="text" name="code" inputmode="numeric" autocomplete="one-time-code" required autofocus; }
    }
}

async fn enrol_page(st: &AppState, cur: &Current, failed: bool) -> Result<Markup, PageError> {
    let l = cur.lang;
    if cur.user.totp_enrolled {
        return Ok(page(
            l,
            l.t("2fa.title"),
            nav(cur),
            html! { p.msg.ok role="status" { (l.t("2fa.enabled")) } },
        ));
    }
    let secret = twofactor::pending_secret(st, cur.user.id)
        .await
        .map_err(|e| PageError(l, e))?;
    let uri = twofactor::otpauth_uri(&st.cfg.log_origin, &cur.user.username, &secret);
    let grouped: Vec<String> = secret
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect();
    Ok(page(
        l,
        l.t("2fa.title"),
        nav(cur),
        html! {
            @if failed { p.msg.bad role="alert" { (l.t("2fa.wrong")) } }
            p { (l.t("2fa.intro")) }
            dl {
                dt { (l.t("2fa.secret")) } dd { code { (grouped.join(" ")) } }
                dt { (l.t("2fa.uri")) } dd { code style="word-break:break-all" { (uri) } }
            }
            form.stack method="post" action="/me/2fa" {
                input type="hidden" name="csrf" value=(cur.session.csrf);
                (code_field(l))
                button type="submit" { (l.t("2fa.confirm")) }
            }
        },
    ))
}

pub async fn enrol_form(State(st): State<AppState>, cur: Current) -> Result<Markup, PageError> {
    enrol_page(&st, &cur, false).await
}

pub async fn enrol_submit(
    State(st): State<AppState>,
    CsrfForm(cur, f): CsrfForm<CodeForm>,
) -> Result<Response, PageError> {
    let l = cur.lang;
    match twofactor::enrol(&st, cur.user.id, &cur.session.public_id, &f.code, &cur.ip)
        .await
        .map_err(|e| PageError(l, e))?
    {
        None => Ok((StatusCode::BAD_REQUEST, enrol_page(&st, &cur, true).await?).into_response()),
        Some(codes) => Ok(page(
            l,
            l.t("2fa.title"),
            nav(&cur),
            html! {
                p.msg.ok role="status" { (l.t("2fa.enabled")) }
                p { (l.t("2fa.recovery")) }
                ul.codes { @for c in &codes { li { code { (c) } } } }
                p { a href="/" { (l.t("nav.home")) } }
            },
        )
        .into_response()),
    }
}

fn challenge_page(cur: &Current, failed: bool) -> Markup {
    let l = cur.lang;
    page(
        l,
        l.t("2fa.challenge"),
        None,
        html! {
            @if failed { p.msg.bad role="alert" { (l.t("2fa.wrong")) } }
            p { (l.t("2fa.challenge_intro")) }
            form.stack method="post" action="/signin/2fa" {
                input type="hidden" name="csrf" value=(cur.session.csrf);
                (code_field(l))
                button type="submit" { (l.t("signin.submit")) }
            }
            form method="post" action="/signout" {
                input type="hidden" name="csrf" value=(cur.session.csrf);
                button.link type="submit" { (l.t("nav.signout")) }
            }
        },
    )
}

pub async fn challenge_form(cur: Current) -> Markup {
    challenge_page(&cur, false)
}

pub async fn challenge_submit(
    State(st): State<AppState>,
    CsrfForm(cur, f): CsrfForm<CodeForm>,
) -> Result<Response, PageError> {
    let l = cur.lang;
    if !st.signin_limit.allow(&cur.ip) {
        return Ok((StatusCode::TOO_MANY_REQUESTS, challenge_page(&cur, true)).into_response());
    }
    match twofactor::verify(&st, cur.user.id, &cur.session.public_id, &f.code, &cur.ip)
        .await
        .map_err(|e| PageError(l, e))?
    {
        Check::Ok => Ok(Redirect::to("/").into_response()),
        Check::Failed => Ok((StatusCode::UNAUTHORIZED, challenge_page(&cur, true)).into_response()),
        Check::Locked => Ok(Redirect::to("/signin").into_response()),
    }
}

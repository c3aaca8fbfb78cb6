//! The signed-in user's own pages: home, sessions, password.

use super::{Nav, PageError, page};
use crate::accounts::{self, Role};
use crate::auth::{CsrfForm, Current, HasCsrf};
use crate::clock;
use crate::error::Error;
use crate::sessions;
use crate::state::AppState;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;

fn nav(cur: &Current) -> Nav<'_> {
    Nav::of(cur)
}

fn role_key(r: Role) -> &'static str {
    match r {
        Role::Staff => "role.staff",
        Role::Supervisor => "role.supervisor",
        Role::Integrity => "role.integrity",
        Role::Admin => "role.admin",
        Role::Api => "role.api",
    }
}

pub async fn home(cur: Current) -> Markup {
    let l = cur.lang;
    let none = l.t("home.none");
    page(
        l,
        l.t("home.title"),
        Some(nav(&cur)),
        html! {
            p { (l.t("home.welcome")) "，" (cur.user.display_name) }
            dl {
                dt { (l.t("home.unit")) } dd { (cur.user.unit_name.as_deref().unwrap_or(none)) }
                dt { (l.t("home.title_field")) } dd { @if cur.user.title.is_empty() { (none) } @else { (cur.user.title) } }
                dt { (l.t("home.roles")) }
                dd { @for (i, r) in cur.user.roles.iter().enumerate() { @if i > 0 { "、" } (l.t(role_key(*r))) } }
            }
        },
    )
}

pub async fn sessions(State(st): State<AppState>, cur: Current) -> Result<Markup, PageError> {
    let l = cur.lang;
    let list = sessions::list(&st.db, cur.user.id, st.ttl)
        .await
        .map_err(|e| PageError(l, e))?;
    Ok(page(
        l,
        l.t("sessions.title"),
        Some(nav(&cur)),
        html! {
            p { (l.t("sessions.intro")) }
            table {
                thead { tr {
                    th { (l.t("sessions.started")) } th { (l.t("sessions.last")) }
                    th { (l.t("sessions.browser")) } th { (l.t("sessions.address")) } th {}
                } }
                tbody {
                    @for s in &list {
                        tr {
                            td { (clock::display(s.created_at, l.zh())) }
                            td { (clock::display(s.last_seen_at, l.zh())) }
                            td { (s.user_agent) }
                            td { (s.ip) }
                            td {
                                @if s.public_id == cur.session.public_id {
                                    span.muted { (l.t("sessions.this")) }
                                } @else {
                                    form method="post" action="/me/sessions/revoke" {
                                        input type="hidden" name="csrf" value=(cur.session.csrf);
                                        input type="hidden" name="session" value=(s.public_id);
                                        button type="submit" { (l.t("sessions.revoke")) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        },
    ))
}

#[derive(Deserialize)]
pub struct RevokeForm {
    csrf: String,
    session: String,
}

impl HasCsrf for RevokeForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

pub async fn revoke(
    State(st): State<AppState>,
    CsrfForm(cur, f): CsrfForm<RevokeForm>,
) -> Result<Response, PageError> {
    let l = cur.lang;
    // Only one's own sessions: another user's id is simply not found.
    if !sessions::revoke(&st.db, cur.user.id, &f.session)
        .await
        .map_err(|e| PageError(l, e))?
    {
        return Err(PageError(l, Error::NotFound));
    }
    st.audit
        .record(
            crate::audit::Event::new(
                Some(cur.user.id),
                "auth.session_revoke",
                crate::audit::Outcome::Ok,
            )
            .target(format!("user:{}", cur.user.id))
            .ip(&cur.ip)
            .detail(serde_json::json!({ "session": f.session })),
        )
        .await
        .map_err(|e| PageError(l, e))?;
    Ok(Redirect::to("/me/sessions").into_response())
}

fn password_page(cur: &Current, msg: Option<(&'static str, bool)>) -> Markup {
    let l = cur.lang;
    page(
        l,
        l.t("password.title"),
        Some(nav(cur)),
        html! {
            @if cur.user.must_change_password {
                p.msg.bad role="alert" { (l.t("password.must")) }
            }
            @if let Some((m, ok)) = msg {
                p class=(if ok { "msg ok" } else { "msg bad" }) role=(if ok { "status" } else { "alert" }) { (l.t(m)) }
            }
            form.stack method="post" action="/me/password" {
                input type="hidden" name="csrf" value=(cur.session.csrf);
                label { (l.t("password.current"))
                    input type="password" name="current" autocomplete="current-password" required; }
                label { (l.t("password.new"))
                    input type="password" name="new" autocomplete="new-password" minlength="12" required; }
                label { (l.t("password.repeat"))
                    input type="password" name="repeat" autocomplete="new-password" minlength="12" required; }
                button type="submit" { (l.t("password.submit")) }
            }
        },
    )
}

pub async fn password_form(cur: Current) -> Markup {
    password_page(&cur, None)
}

#[derive(Deserialize)]
pub struct PasswordForm {
    csrf: String,
    current: String,
    new: String,
    repeat: String,
}

impl HasCsrf for PasswordForm {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

pub async fn password_submit(
    State(st): State<AppState>,
    CsrfForm(cur, f): CsrfForm<PasswordForm>,
) -> Result<Response, PageError> {
    let l = cur.lang;
    let bad = |k: &'static str| {
        Ok((
            axum::http::StatusCode::BAD_REQUEST,
            password_page(&cur, Some((k, false))),
        )
            .into_response())
    };
    if f.new != f.repeat {
        return bad("password.mismatch");
    }
    if let Err(k) = accounts::check_policy(&f.new, &cur.user.username) {
        return bad(k);
    }
    let hash: Option<String> = sqlx::query_scalar("SELECT password_hash FROM users WHERE id = ?")
        .bind(cur.user.id)
        .fetch_one(&st.db)
        .await
        .map_err(|e| PageError(l, e.into()))?;
    let current = f.current.clone();
    let ok = tokio::task::spawn_blocking(move || {
        hash.is_some_and(|h| accounts::verify_password(&h, &current))
    })
    .await
    .map_err(|e| PageError(l, Error::Internal(e.to_string())))?;
    if !ok {
        return bad("password.wrong");
    }
    accounts::set_password(&st.db, &st.audit, &cur.user, &f.new, &cur.ip)
        .await
        .map_err(|e| PageError(l, e))?;
    // Other sessions end; this one stays.
    for s in sessions::list(&st.db, cur.user.id, st.ttl)
        .await
        .map_err(|e| PageError(l, e))?
    {
        if s.public_id != cur.session.public_id {
            let _ = sessions::revoke(&st.db, cur.user.id, &s.public_id).await;
        }
    }
    let mut cur2 = cur.clone();
    cur2.user.must_change_password = false;
    Ok(password_page(&cur2, Some(("password.done", true))).into_response())
}

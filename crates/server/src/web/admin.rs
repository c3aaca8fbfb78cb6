//! Administrator pages: accounts (disable, enable, one-time passwords, second-factor reset,
//! roles) and the org chart import (upload, preview of the changes, apply). Administrators manage
//! accounts; they never see message or look-up content.

use super::{Nav, PageError, page};
use crate::accounts::Role;
use crate::admin::Admin;
use crate::auth::{AdminRole, Current, HasCsrf, Need};
use crate::error::Error;
use crate::orgchart::Change;
use crate::state::AppState;
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use serde::Deserialize;

fn nav(cur: &Current) -> Option<Nav<'_>> {
    Some(Nav::of(cur))
}

fn role_key(r: &str) -> &'static str {
    match r {
        "staff" => "role.staff",
        "supervisor" => "role.supervisor",
        "integrity" => "role.integrity",
        "admin" => "role.admin",
        "api" => "role.api",
        _ => "home.none",
    }
}

async fn users_page(
    st: &AppState,
    cur: &Current,
    notice: Option<Markup>,
) -> Result<Markup, PageError> {
    let l = cur.lang;
    let adm = Admin::for_web(st, cur.user.id, &cur.ip);
    let users = adm.list_users().await.map_err(|e| PageError(l, e))?;
    Ok(page(
        l,
        l.t("admin.users"),
        nav(cur),
        html! {
            @if let Some(n) = notice { (n) }
            p { a href="/admin/org" { (l.t("admin.org")) } " · " a href="/admin/tokens" { (l.t("admin.tokens")) } }
            table {
                thead { tr {
                    th { (l.t("signin.username")) } th { (l.t("admin.name")) } th { (l.t("home.unit")) }
                    th { (l.t("home.roles")) } th { (l.t("admin.status")) } th { (l.t("admin.actions")) }
                } }
                tbody {
                    @for (u, name, unit, roles, disabled) in &users {
                        tr {
                            td { (u) } td { (name) } td { (unit) }
                            td { @for (i, r) in roles.split(',').filter(|r| !r.is_empty()).enumerate() { @if i > 0 { "、" } (l.t(role_key(r))) } }
                            td { @if *disabled { strong { (l.t("admin.disabled")) } } @else { (l.t("admin.active")) } }
                            td {
                                form.inline method="post" action="/admin/users" {
                                    input type="hidden" name="csrf" value=(cur.session.csrf);
                                    input type="hidden" name="username" value=(u);
                                    label { span.sr-only { (l.t("admin.actions")) " " (u) }
                                        select name="action" {
                                            @if *disabled { option value="enable" { (l.t("admin.enable")) } }
                                            @else { option value="disable" { (l.t("admin.disable")) } }
                                            option value="reset-password" { (l.t("admin.reset_password")) }
                                            option value="reset-2fa" { (l.t("admin.reset_2fa")) }
                                            @for r in ["supervisor", "integrity", "admin"] {
                                                @if roles.split(',').any(|x| x == r) {
                                                    option value=(format!("revoke:{r}")) { (l.t("admin.revoke")) " " (l.t(role_key(r))) }
                                                } @else {
                                                    option value=(format!("grant:{r}")) { (l.t("admin.grant")) " " (l.t(role_key(r))) }
                                                }
                                            }
                                        }
                                    }
                                    button type="submit" { (l.t("admin.do")) }
                                }
                            }
                        }
                    }
                }
            }
        },
    ))
}

pub async fn users(
    State(st): State<AppState>,
    Need(cur, _): Need<AdminRole>,
) -> Result<Markup, PageError> {
    users_page(&st, &cur, None).await
}

#[derive(Deserialize)]
pub struct UserAction {
    csrf: String,
    username: String,
    action: String,
}

impl HasCsrf for UserAction {
    fn csrf(&self) -> &str {
        &self.csrf
    }
}

pub async fn user_action(
    State(st): State<AppState>,
    Need(cur, _): Need<AdminRole>,
    axum::extract::Form(f): axum::extract::Form<UserAction>,
) -> Result<Response, PageError> {
    let l = cur.lang;
    if !crate::auth::same_token(&f.csrf, &cur.session.csrf) {
        return Err(PageError(l, Error::Forbidden));
    }
    let adm = Admin::for_web(&st, cur.user.id, &cur.ip);
    let e = |e| PageError(l, e);
    if f.username == cur.user.username && matches!(f.action.as_str(), "disable" | "revoke:admin") {
        // An administrator does not lock themselves (or the last way in) out by a click.
        return Ok((
            StatusCode::CONFLICT,
            users_page(
                &st,
                &cur,
                Some(html! { p.msg.bad role="alert" { (l.t("admin.not_self")) } }),
            )
            .await?,
        )
            .into_response());
    }
    let notice = match f.action.as_str() {
        "disable" => adm.set_disabled(&f.username, true).await.map(|_| None),
        "enable" => adm.set_disabled(&f.username, false).await.map(|_| None),
        "reset-2fa" => adm.reset_2fa(&f.username).await.map(|_| None),
        "reset-password" => adm.reset_password(&f.username).await.map(|pw| {
            Some(html! { p.msg.ok role="status" { (l.t("admin.one_time")) " " strong { (f.username) } "： " code { (pw) } } })
        }),
        a => match a.split_once(':') {
            Some((op @ ("grant" | "revoke"), r)) => match Role::parse(r) {
                Some(role) => adm.set_role(&f.username, role, op == "grant").await.map(|_| None),
                None => Err(Error::BadRequest(format!("unknown role {r}"))),
            },
            _ => Err(Error::BadRequest(format!("unknown action {a}"))),
        },
    }
    .map_err(e)?;
    let notice = notice.or_else(|| Some(html! { p.msg.ok role="status" { (l.t("admin.done")) } }));
    Ok(users_page(&st, &cur, notice).await?.into_response())
}

fn org_form(cur: &Current, body: Markup) -> Markup {
    let l = cur.lang;
    page(
        l,
        l.t("admin.org"),
        nav(cur),
        html! {
            (body)
            p { (l.t("admin.org_intro")) }
            form.stack method="post" action="/admin/org" enctype="multipart/form-data" {
                input type="hidden" name="csrf" value=(cur.session.csrf);
                label { (l.t("admin.org_file")) input type="file" name="file" accept=".csv,text/csv" required; }
                button type="submit" { (l.t("admin.preview")) }
            }
        },
    )
}

pub async fn org(Need(cur, _): Need<AdminRole>) -> Markup {
    org_form(&cur, html! {})
}

fn describe(l: crate::i18n::Lang, c: &Change) -> (String, String) {
    match c {
        Change::UnitCreate { code, name } => {
            (l.t("admin.unit_new").into(), format!("{code} {name}"))
        }
        Change::UnitUpdate { code, fields } => (
            l.t("admin.unit_change").into(),
            format!("{code}: {}", fields.join("; ")),
        ),
        Change::PersonCreate {
            employee_no,
            username,
        } => (
            l.t("admin.person_new").into(),
            format!("{employee_no} ({username})"),
        ),
        Change::PersonUpdate {
            employee_no,
            fields,
        } => (
            l.t("admin.person_change").into(),
            format!("{employee_no}: {}", fields.join("; ")),
        ),
        Change::PersonDisable { employee_no } => {
            (l.t("admin.person_left").into(), employee_no.clone())
        }
        Change::PersonEnable { employee_no } => {
            (l.t("admin.person_back").into(), employee_no.clone())
        }
    }
}

/// Upload (preview) and apply share one form handler: `apply` carries the id of a stored upload.
pub async fn org_post(
    State(st): State<AppState>,
    Need(cur, _): Need<AdminRole>,
    mut mp: Multipart,
) -> Result<Response, PageError> {
    let l = cur.lang;
    let bad = |m: String| PageError(l, Error::BadRequest(m));
    let (mut csrf, mut file, mut apply) = (String::new(), None, None);
    while let Some(field) = mp.next_field().await.map_err(|e| bad(e.body_text()))? {
        match field.name() {
            Some("csrf") => csrf = field.text().await.map_err(|e| bad(e.body_text()))?,
            Some("apply") => apply = Some(field.text().await.map_err(|e| bad(e.body_text()))?),
            Some("file") => file = Some(field.bytes().await.map_err(|e| bad(e.body_text()))?),
            _ => {}
        }
    }
    if !crate::auth::same_token(&csrf, &cur.session.csrf) {
        return Err(PageError(l, Error::Forbidden));
    }
    let dir = st.cfg.data_dir.join("imports");
    let (id, bytes) = match (apply, file) {
        (Some(id), _) => {
            if id.len() != 43
                || !id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            {
                return Err(bad("bad upload id".into()));
            }
            let bytes = std::fs::read(dir.join(&id)).map_err(|_| PageError(l, Error::NotFound))?;
            (Some(id), bytes.into())
        }
        (None, Some(b)) => (None, b),
        (None, None) => return Err(bad("no file".into())),
    };
    let adm = Admin::for_web(&st, cur.user.id, &cur.ip);
    let result = adm
        .import_org(&bytes, id.is_some())
        .await
        .map_err(|e| PageError(l, e))?;
    let plan = match result {
        Err(lines) => {
            let body = html! {
                p.msg.bad role="alert" { (l.t("admin.org_errors")) }
                ul { @for e in &lines { li { (l.t("admin.line")) " " (e.line) "：" (e.message) } } }
            };
            return Ok((StatusCode::BAD_REQUEST, org_form(&cur, body)).into_response());
        }
        Ok(p) => p,
    };
    if let Some(id) = id {
        let _ = std::fs::remove_file(dir.join(&id));
        let body =
            html! { p.msg.ok role="status" { (l.t("admin.applied")) " " (plan.changes.len()) } };
        return Ok(org_form(&cur, body).into_response());
    }
    // Keep the upload (owner-only) so that "apply" imports exactly what was previewed.
    std::fs::create_dir_all(&dir).map_err(|e| PageError(l, Error::Internal(e.to_string())))?;
    let id = crate::sessions::random_token().map_err(|e| PageError(l, e))?;
    crate::store_private(&dir.join(&id), &bytes).map_err(|e| PageError(l, e))?;
    let rows: Vec<(String, String)> = plan.changes.iter().map(|c| describe(l, c)).collect();
    let body = html! {
        p { (l.t("admin.preview_intro")) " " strong { (rows.len()) } }
        table {
            thead { tr { th { (l.t("admin.change")) } th { (l.t("admin.detail")) } } }
            tbody { @for (k, d) in &rows { tr { td { (k) } td { (d) } } } }
        }
        @if !plan.not_in_file.is_empty() {
            p { (l.t("admin.not_in_file")) " " (plan.not_in_file.join("、")) }
        }
        form method="post" action="/admin/org" enctype="multipart/form-data" {
            input type="hidden" name="csrf" value=(cur.session.csrf);
            input type="hidden" name="apply" value=(id);
            button type="submit" { (l.t("admin.apply")) }
        }
        hr;
    };
    Ok(org_form(&cur, body).into_response())
}

async fn tokens_page(
    st: &AppState,
    cur: &Current,
    notice: Option<Markup>,
) -> Result<Markup, PageError> {
    let l = cur.lang;
    let list = crate::tokens::list(&st.db)
        .await
        .map_err(|e| PageError(l, e))?;
    Ok(page(
        l,
        l.t("admin.tokens"),
        nav(cur),
        html! {
            @if let Some(n) = notice { (n) }
            p { (l.t("admin.tokens_intro")) }
            table {
                thead { tr {
                    th { "#" } th { (l.t("signin.username")) } th { (l.t("admin.token_name")) }
                    th { (l.t("admin.scopes")) } th { (l.t("admin.last_used")) } th { (l.t("admin.actions")) }
                } }
                tbody {
                    @for (id, user, name, scopes, _, last, revoked) in &list {
                        tr {
                            td { (id) } td { (user) } td { (name) } td { code { (scopes) } }
                            td { @match last { Some(t) => (crate::clock::display(*t, l.zh())), None => "—" } }
                            td {
                                @if *revoked { (l.t("admin.revoked")) } @else {
                                    form.inline method="post" action="/admin/tokens" {
                                        input type="hidden" name="csrf" value=(cur.session.csrf);
                                        input type="hidden" name="revoke" value=(id);
                                        button type="submit" { (l.t("admin.revoke")) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            h2 { (l.t("admin.token_new")) }
            form.stack method="post" action="/admin/tokens" {
                input type="hidden" name="csrf" value=(cur.session.csrf);
                label { (l.t("admin.token_user")) input type="text" name="user" required; }
                label { (l.t("admin.token_name")) input type="text" name="name" required; }
                fieldset {
                    legend { (l.t("admin.scopes")) }
                    @for s in crate::tokens::SCOPES {
                        label.check { input type="checkbox" name="scope" value=(s); code { (s) } }
                    }
                }
                label { (l.t("admin.token_days")) input type="text" name="days" inputmode="numeric" value="365"; }
                button type="submit" { (l.t("admin.token_create")) }
            }
        },
    ))
}

pub async fn tokens(
    State(st): State<AppState>,
    Need(cur, _): Need<AdminRole>,
) -> Result<Markup, PageError> {
    tokens_page(&st, &cur, None).await
}

pub async fn token_post(
    State(st): State<AppState>,
    Need(cur, _): Need<AdminRole>,
    body: String,
) -> Result<Response, PageError> {
    let l = cur.lang;
    // Repeated `scope` fields: read the form as a list of pairs.
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(&body)
        .map_err(|e| PageError(l, Error::BadRequest(e.to_string())))?;
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    if !crate::auth::same_token(&get("csrf"), &cur.session.csrf) {
        return Err(PageError(l, Error::Forbidden));
    }
    let adm = Admin::for_web(&st, cur.user.id, &cur.ip);
    let notice = if let Ok(id) = get("revoke").parse::<i64>() {
        adm.revoke_token(id).await.map_err(|e| PageError(l, e))?;
        html! { p.msg.ok role="status" { (l.t("admin.done")) } }
    } else {
        let scopes: Vec<String> = pairs
            .iter()
            .filter(|(n, _)| n == "scope")
            .map(|(_, v)| v.clone())
            .collect();
        let days = get("days").trim().parse::<i64>().ok().filter(|d| *d > 0);
        match adm
            .create_token(get("user").trim(), get("name").trim(), &scopes, days)
            .await
        {
            Ok((_, token)) => {
                html! { p.msg.ok role="status" { (l.t("admin.token_shown_once")) br; code { (token) } } }
            }
            Err(Error::NotFound) => {
                html! { p.msg.bad role="alert" { (l.t("admin.no_such_user")) } }
            }
            Err(Error::BadRequest(m)) => html! { p.msg.bad role="alert" { (m) } },
            Err(e) => return Err(PageError(l, e)),
        }
    };
    Ok(tokens_page(&st, &cur, Some(notice)).await?.into_response())
}

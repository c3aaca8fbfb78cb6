//! A supervisor's review: their days, and a day's look-ups with the action bar.

use super::{Flash, Pairs, entries, flash};
use crate::auth::{CsrfForm, Need, SupervisorRole};
use crate::error::Error;
use crate::state::AppState;
use crate::web::{Nav, PageError, page as shell};
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use baomi_ledger::clock::{day_string, parse_day};
use maud::{Markup, html};

pub async fn days(
    State(st): State<AppState>,
    Need(cur, _): Need<SupervisorRole>,
) -> Result<Markup, PageError> {
    let l = cur.lang;
    let e = |e| PageError(l, e);
    let list = st.ledger.review_days(&cur.user, 60).await.map_err(e)?;
    let below = st.ledger.overdue(&cur.user).await.map_err(e)?;
    Ok(shell(
        l,
        l.t("lk.review.title"),
        Some(Nav::of(&cur)),
        html! {
            p { (l.t("lk.review.intro")) }
            @if list.is_empty() { p.muted { (l.t("lk.review.none")) } }
            @else {
                table.days {
                    thead { tr { th { (l.t("lk.day")) } th { (l.t("lk.count")) } th { (l.t("lk.flagged")) } th { (l.t("lk.open")) } th {} } }
                    tbody { @for d in &list {
                        tr.overdue[d.overdue] {
                            td { a href=(format!("/lookups/review/{}", day_string(d.day))) { (day_string(d.day)) } }
                            td { (d.total) } td { (d.flagged) } td { (d.open) }
                            td { @if d.overdue { strong.bad { (l.t("lk.overdue")) } } }
                        }
                    } }
                }
            }
            @if !below.is_empty() {
                h2 { (l.t("lk.overdue.title")) }
                table { tbody { @for o in &below {
                    tr { td { (o.supervisor) } td { (day_string(o.day)) } td { (o.open) " " (l.t("lk.open")) } }
                } } }
            }
        },
    ))
}

pub async fn day(
    State(st): State<AppState>,
    Need(cur, _): Need<SupervisorRole>,
    Path(day): Path<String>,
    Query(f): Query<Flash>,
) -> Result<Markup, PageError> {
    let l = cur.lang;
    let d = parse_day(&day).ok_or(PageError(l, Error::NotFound))?;
    let list = st
        .ledger
        .review_day(&cur.user, d)
        .await
        .map_err(|e| PageError(l, e))?;
    let here = format!("/lookups/review/{}", day_string(d));
    let open = list
        .iter()
        .filter(|e| matches!(e.state.as_str(), "pending" | "asked" | "answered"))
        .count();
    Ok(shell(
        l,
        &format!("{}{}", l.t("lk.day.title"), day_string(d)),
        Some(Nav::of(&cur)),
        html! {
            (flash(l, &f))
            p { (l.t("lk.count")) " " (list.len()) " · " (l.t("lk.flagged")) " " (list.iter().filter(|e| e.score.is_some()).count()) " · " (l.t("lk.open")) " " (open) }
            @if open > 0 {
                form.inline.signday method="post" action=(format!("{here}/sign")) {
                    input type="hidden" name="csrf" value=(cur.session.csrf);
                    label { (l.t("lk.remark")) input type="text" name="remark"; }
                    button type="submit" { (l.t("lk.day.sign_all")) }
                    span.muted { (l.t("lk.day.sign_all_help")) }
                }
            }
            form method="post" action="/lookups/step" {
                input type="hidden" name="csrf" value=(cur.session.csrf);
                input type="hidden" name="back" value=(here);
                fieldset.actions {
                    legend { (l.t("lk.selected")) }
                    div.inline {
                        select name="step" aria-label=(l.t("lk.selected")) {
                            option value="sign" { (l.t("lk.step.sign")) }
                            option value="ask" { (l.t("lk.step.ask")) }
                            option value="escalate" { (l.t("lk.step.escalate")) }
                        }
                        label { (l.t("lk.remark")) input type="text" name="remark"; }
                        button type="submit" { (l.t("lk.do")) }
                    }
                }
                (entries(l, &list, Some(super::open)))
            }
        },
    ))
}

pub async fn sign_day(
    State(st): State<AppState>,
    Path(day): Path<String>,
    CsrfForm(cur, form): CsrfForm<Pairs>,
) -> Response {
    let Some(d) = parse_day(&day) else {
        return PageError(cur.lang, Error::NotFound).into_response();
    };
    let here = format!("/lookups/review/{}", day_string(d));
    match st
        .ledger
        .sign_day(&cur.user, d, form.get("remark"), &cur.ip)
        .await
    {
        Ok(_) => Redirect::to(&format!("{here}?ok=1")).into_response(),
        Err(Error::Forbidden) => PageError(cur.lang, Error::Forbidden).into_response(),
        Err(e) => Redirect::to(&format!("{here}?err={}", super::err_key(&e))).into_response(),
    }
}

//! The integrity office: the ranked queue (escalations first), operators by risk, overdue
//! reviews, "who looked this person up?", the logged reveal, and the monthly sample.

use super::{Flash, Pairs, entries, flash};
use crate::auth::{CsrfForm, IntegrityRole, Need};
use crate::error::Error;
use crate::state::AppState;
use crate::web::{Nav, PageError, page as shell};
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use baomi_ledger::clock::{day_string, parse_day};
use maud::{Markup, html};

pub async fn page(
    State(st): State<AppState>,
    Need(cur, _): Need<IntegrityRole>,
    Query(f): Query<Flash>,
) -> Result<Markup, PageError> {
    let l = cur.lang;
    let e = |e| PageError(l, e);
    let queue = st.ledger.queue(200).await.map_err(e)?;
    let risk = st
        .ledger
        .risk_ranking(st.ledger.today() - 30, 20)
        .await
        .map_err(e)?;
    let overdue = st.ledger.overdue(&cur.user).await.map_err(e)?;
    let scope = st.ledger.protected_scope().await.map_err(e)?;
    let csrf = &cur.session.csrf;
    Ok(shell(
        l,
        l.t("lk.int.title"),
        Some(Nav::of(&cur)),
        html! {
            (flash(l, &f))
            p { a href="/lookups/report" { (l.t("lk.int.report")) } " · " a href="/lookups/import" { (l.t("lk.int.import")) } }
            h2 { (l.t("lk.int.search")) }
            form.inline method="post" action="/lookups/search" {
                input type="hidden" name="csrf" value=(csrf);
                label { (l.t("lk.int.subject")) input type="text" name="subject" required autocomplete="off"; }
                button type="submit" { (l.t("lk.int.search")) }
            }
            p.muted { (l.t("lk.int.search_help")) }
            h2 { (l.t("lk.int.queue")) }
            @if queue.is_empty() { p.muted { (l.t("lk.int.queue_none")) } }
            @else {
                form method="post" action="/lookups/step" {
                    input type="hidden" name="csrf" value=(csrf);
                    input type="hidden" name="back" value="/lookups/integrity";
                    fieldset.actions {
                        legend { (l.t("lk.selected")) }
                        div.inline {
                            select name="step" aria-label=(l.t("lk.selected")) {
                                option value="close" { (l.t("lk.step.close")) }
                                option value="escalate" { (l.t("lk.step.escalate")) }
                            }
                            label { (l.t("lk.remark")) input type="text" name="remark"; }
                            button type="submit" { (l.t("lk.do")) }
                        }
                    }
                    (queue_table(l, &queue))
                }
                @for e in &queue {
                    form.inline.reveal method="post" action="/lookups/reveal" {
                        input type="hidden" name="csrf" value=(csrf);
                        input type="hidden" name="id" value=(e.id);
                        button.link type="submit" { (l.t("lk.int.reveal")) " #" (e.id) }
                    }
                }
            }
            h2 { (l.t("lk.int.risk")) }
            table { tbody { @for r in &risk {
                tr { td { (r.name.as_deref().unwrap_or(&r.operator)) " " span.muted { (r.operator) } } td { (l.t("lk.int.flags")) " " (r.flags) } td { (l.t("lk.score")) " " (r.score) } }
            } } }
            @if !overdue.is_empty() {
                h2 { (l.t("lk.overdue.title")) }
                table { tbody { @for o in &overdue {
                    tr { td { (o.supervisor) } td { (day_string(o.day)) } td { (o.open) " " (l.t("lk.open")) } }
                } } }
            }
            h2 { (l.t("lk.int.protected")) }
            @if scope.categories.is_empty() { p.muted { (l.t("lk.int.protected_off")) } }
            @else { ul { @for (c, n) in &scope.categories { li { (c) "：" (n) } } } }
            h2 { (l.t("lk.int.sample")) }
            form.stack method="post" action="/lookups/sample" {
                input type="hidden" name="csrf" value=(csrf);
                label { (l.t("lk.int.month")) input type="text" name="month" required pattern="[0-9]{4}-[0-9]{2}"; }
                label { (l.t("lk.int.percent")) input type="text" name="percent" value="1"; }
                label { (l.t("lk.int.seed")) input type="text" name="seed"; }
                button type="submit" { (l.t("lk.int.draw")) }
            }
        },
    ))
}

fn queue_table(l: crate::i18n::Lang, list: &[crate::ledger::review::Entry]) -> Markup {
    // Escalations can be concluded; open flags can be escalated or concluded from here.
    entries(l, list, Some(super::actionable))
}

pub async fn search(
    State(st): State<AppState>,
    CsrfForm(cur, form): CsrfForm<Pairs>,
) -> Result<Markup, PageError> {
    let l = cur.lang;
    let found = st
        .ledger
        .by_subject(&cur.user, form.get("subject"), &cur.ip)
        .await
        .map_err(|e| PageError(l, e))?;
    Ok(shell(
        l,
        l.t("lk.int.results"),
        Some(Nav::of(&cur)),
        html! {
            p { a href="/lookups/integrity" { (l.t("lk.int.title")) } }
            @if found.is_empty() { p.muted { (l.t("lk.review.none")) } }
            @else { (entries(l, &found, None)) }
        },
    ))
}

pub async fn reveal(
    State(st): State<AppState>,
    CsrfForm(cur, form): CsrfForm<Pairs>,
) -> Result<Markup, PageError> {
    let l = cur.lang;
    let id: i64 = form
        .get("id")
        .parse()
        .map_err(|_| PageError(l, Error::NotFound))?;
    let subject = st
        .ledger
        .reveal(&cur.user, id, &cur.ip)
        .await
        .map_err(|e| PageError(l, e))?;
    Ok(shell(
        l,
        l.t("lk.int.revealed"),
        Some(Nav::of(&cur)),
        html! {
            p { "#" (id) "：" code.revealed { (subject) } }
            p { a href="/lookups/integrity" { (l.t("lk.int.title")) } }
        },
    ))
}

pub async fn sample(State(st): State<AppState>, CsrfForm(cur, form): CsrfForm<Pairs>) -> Response {
    let l = cur.lang;
    let month = form.get("month").trim();
    let first = parse_day(&format!("{month}-01"));
    let next = month.split_once('-').and_then(|(y, m)| {
        let (y, m): (i32, u32) = (y.parse().ok()?, m.parse().ok()?);
        let (y, m) = if m >= 12 { (y + 1, 1) } else { (y, m + 1) };
        parse_day(&format!("{y}-{m:02}-01"))
    });
    let (Some(first), Some(next)) = (first, next) else {
        return PageError(l, Error::BadRequest("month".into())).into_response();
    };
    let percent: f64 = form.get("percent").trim().parse().unwrap_or(1.0);
    match st
        .ledger
        .sample(Some(&cur.user), first, next - 1, percent, form.get("seed"), &cur.ip)
        .await
    {
        Ok(s) => shell(
            l,
            l.t("lk.int.sampled"),
            Some(Nav::of(&cur)),
            html! {
                p { (month) " · " (l.t("lk.int.seed")) "：" code.seed { (s.seed) } " · " (s.entries.len()) " / " (s.population) }
                (entries(l, &s.entries, None))
                p { a href="/lookups/integrity" { (l.t("lk.int.title")) } }
            },
        )
        .into_response(),
        Err(e) => PageError(l, e).into_response(),
    }
}

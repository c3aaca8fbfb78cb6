//! An operator's page: questions from their supervisor, answered right here.

use super::{Flash, entries, flash};
use crate::accounts::Role;
use crate::auth::Current;
use crate::state::AppState;
use crate::web::{Nav, PageError, page as shell};
use axum::extract::{Query, State};
use maud::{Markup, html};

pub async fn page(
    State(st): State<AppState>,
    cur: Current,
    Query(f): Query<Flash>,
) -> Result<Markup, PageError> {
    let l = cur.lang;
    let qs = st
        .ledger
        .questions_for(&cur.user)
        .await
        .map_err(|e| PageError(l, e))?;
    let waiting: Vec<_> = qs.iter().filter(|e| e.state == "asked").cloned().collect();
    let answered: Vec<_> = qs
        .iter()
        .filter(|e| e.state == "answered")
        .cloned()
        .collect();
    Ok(shell(
        l,
        l.t("lk.mine.title"),
        Some(Nav::of(&cur)),
        html! {
            (flash(l, &f))
            h2 { (l.t("lk.mine.questions")) }
            @if waiting.is_empty() { p.muted { (l.t("lk.mine.none")) } }
            @for e in &waiting {
                (entries(l, std::slice::from_ref(e), None))
                form.stack.answer method="post" action="/lookups/step" {
                    input type="hidden" name="csrf" value=(cur.session.csrf);
                    input type="hidden" name="id" value=(e.id);
                    input type="hidden" name="step" value="answer";
                    input type="hidden" name="back" value="/lookups";
                    label { (l.t("lk.mine.answer")) textarea name="remark" rows="3" required {} }
                    button type="submit" { (l.t("lk.mine.answer")) }
                }
                hr;
            }
            @if !answered.is_empty() {
                h2 { (l.t("lk.mine.answered")) }
                (entries(l, &answered, None))
            }
            h2 { (l.t("lk.links")) }
            ul {
                @if cur.user.has(Role::Supervisor) { li { a href="/lookups/review" { (l.t("lk.review.title")) } } }
                @if cur.user.has(Role::Integrity) { li { a href="/lookups/integrity" { (l.t("lk.int.title")) } } }
                @if cur.user.has(Role::Integrity) || cur.user.has(Role::Admin) {
                    li { a href="/lookups/import" { (l.t("lk.int.import")) } }
                }
            }
        },
    ))
}

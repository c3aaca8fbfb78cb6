//! The look-up ledger's pages: an operator's questions ([`mine`]), a supervisor's daily review
//! ([`review`]), the integrity office's queue, search, sample ([`integrity`]), reports and
//! imports ([`files`]). Subjects are shown masked everywhere but on the logged reveal.

mod files;
mod integrity;
mod mine;
mod report;
mod review;

use crate::auth::{CsrfForm, HasCsrf};
use crate::clock;
use crate::error::Error;
use crate::i18n::Lang;
use crate::ledger::review::{Entry, Step};
use crate::state::AppState;
use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::{Markup, html};
use serde::Deserialize;

/// Routes of the ledger's pages.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/lookups", get(mine::page))
        .route("/lookups/step", post(step))
        .route("/lookups/review", get(review::days))
        .route("/lookups/review/{day}", get(review::day))
        .route("/lookups/review/{day}/sign", post(review::sign_day))
        .route("/lookups/integrity", get(integrity::page))
        .route("/lookups/search", post(integrity::search))
        .route("/lookups/reveal", post(integrity::reveal))
        .route("/lookups/sample", post(integrity::sample))
        .route("/lookups/report", get(report::report))
        .route(
            "/lookups/import",
            get(files::import_form)
                .post(files::import)
                .layer(axum::extract::DefaultBodyLimit::max(512 << 20)),
        )
}

/// A form as its name/value pairs (ticked boxes repeat a name).
#[derive(Deserialize)]
#[serde(transparent)]
pub struct Pairs(pub Vec<(String, String)>);

impl Pairs {
    /// First value of a field ("" if absent).
    pub fn get(&self, k: &str) -> &str {
        self.0
            .iter()
            .find(|(n, _)| n == k)
            .map_or("", |(_, v)| v.as_str())
    }

    /// All values of a field.
    pub fn all<'a>(&'a self, k: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0
            .iter()
            .filter(move |(n, _)| n == k)
            .map(|(_, v)| v.as_str())
    }
}

impl HasCsrf for Pairs {
    fn csrf(&self) -> &str {
        self.get("csrf")
    }
}

/// Message key for an error of a step.
fn err_key(e: &Error) -> &'static str {
    match e {
        Error::BadRequest(m) if m.contains("remark") => "remark",
        Error::Conflict(_) => "state",
        Error::Forbidden | Error::NotFound => "forbidden",
        _ => "generic",
    }
}

/// Only our own pages as places to go back to.
fn back(p: &Pairs) -> String {
    let b = p.get("back");
    if b.starts_with("/lookups") && !b.contains("//") && !b.contains('\\') {
        b.split('?').next().unwrap_or("/lookups").to_string()
    } else {
        "/lookups".into()
    }
}

/// One review step on the ticked entries (or the one `id`), then back with a message.
async fn step(State(st): State<AppState>, CsrfForm(cur, form): CsrfForm<Pairs>) -> Response {
    let to = back(&form);
    let Some(step) = Step::parse(form.get("step")) else {
        return Redirect::to(&format!("{to}?err=generic")).into_response();
    };
    let ids: Vec<i64> = form.all("id").filter_map(|v| v.parse().ok()).collect();
    if ids.is_empty() {
        return Redirect::to(&format!("{to}?err=none")).into_response();
    }
    for id in ids {
        if let Err(e) = st
            .ledger
            .step(&cur.user, id, step, form.get("remark"), &cur.ip)
            .await
        {
            if let Error::Internal(d) = &e {
                tracing::error!(detail = %d, "review step failed");
            }
            return Redirect::to(&format!("{to}?err={}", err_key(&e))).into_response();
        }
    }
    Redirect::to(&format!("{to}?ok=1")).into_response()
}

/// The message a redirect asked for.
#[derive(Deserialize, Default)]
pub struct Flash {
    #[serde(default)]
    ok: Option<String>,
    #[serde(default)]
    err: Option<String>,
}

fn flash(l: Lang, f: &Flash) -> Markup {
    let key = match f.err.as_deref() {
        Some("remark") => Some("lk.err.remark"),
        Some("state") => Some("lk.err.state"),
        Some("none") => Some("lk.err.none"),
        Some("forbidden") => Some("error.forbidden"),
        Some(_) => Some("lk.err.generic"),
        None => None,
    };
    html! {
        @if let Some(k) = key { p.msg.bad role="alert" { (l.t(k)) } }
        @else if f.ok.is_some() { p.msg.ok role="status" { (l.t("lk.done")) } }
    }
}

fn state_key(s: &str) -> &'static str {
    match s {
        "pending" => "lk.state.pending",
        "asked" => "lk.state.asked",
        "answered" => "lk.state.answered",
        "escalated" => "lk.state.escalated",
        "signed" => "lk.state.signed",
        "closed" => "lk.state.closed",
        _ => "lk.err.generic",
    }
}

fn step_key(s: &str) -> &'static str {
    match s {
        "sign" => "lk.step.sign",
        "ask" => "lk.step.ask",
        "answer" => "lk.step.answer",
        "escalate" => "lk.step.escalate",
        "close" => "lk.step.close",
        _ => "lk.err.generic",
    }
}

/// Entries a supervisor can still act on.
fn open(state: &str) -> bool {
    matches!(state, "pending" | "asked" | "answered")
}

/// Entries the integrity office can act on.
fn actionable(state: &str) -> bool {
    open(state) || state == "escalated"
}

/// The entries as a table; `pick` adds a tick box to the entries it accepts (for the action
/// bar).
fn entries(l: Lang, list: &[Entry], pick: Option<fn(&str) -> bool>) -> Markup {
    html! {
        table.entries {
            thead { tr {
                @if pick.is_some() { th { span.sr-only { (l.t("lk.col.pick")) } } }
                th { (l.t("lk.col.time")) } th { (l.t("lk.col.operator")) } th { (l.t("lk.col.what")) }
                th { (l.t("lk.col.subject")) } th { (l.t("lk.col.reason")) } th { (l.t("lk.col.flag")) }
                th { (l.t("lk.col.state")) }
            } }
            tbody {
                @for e in list {
                    tr.flagged[e.score.is_some()] id=(format!("lookup-{}", e.id)) {
                        @if let Some(pick) = pick {
                            td { @if pick(&e.state) {
                                input type="checkbox" name="id" value=(e.id) aria-label=(format!("{} {}", l.t("lk.col.pick"), e.id));
                            } }
                        }
                        td { (clock::display(e.at, l.zh())) }
                        td { (e.operator_name.as_deref().unwrap_or(&e.operator)) br; span.muted { (e.operator) } }
                        td { (e.system) "／" (action_zh(l, &e.action)) }
                        td { code { (e.subject) } }
                        td { (e.reason_code) @if !e.case_no.is_empty() { br; span.muted { (e.case_no) } } }
                        td {
                            @if let Some(s) = e.score {
                                strong.bad { (l.t("lk.score")) " " (s) } br;
                                (e.explanation)
                            }
                        }
                        td {
                            (l.t(state_key(&e.state)))
                            @for t in &e.thread {
                                div.thread { span.muted { (t.actor) " · " (l.t(step_key(&t.step))) "：" } (t.remark) }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn action_zh(l: Lang, a: &str) -> &'static str {
    match (a, l.zh()) {
        ("print", true) => "列印",
        ("export", true) => "匯出",
        (_, true) => "查詢",
        ("print", false) => "print",
        ("export", false) => "export",
        _ => "query",
    }
}

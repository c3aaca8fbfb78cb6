//! The audit page for integrity officers: every state change, filterable, with its place in the
//! tamper-evident log. Looking is itself audited.

use super::{Nav, PageError, page};
use crate::audit::{Event, Outcome};
use crate::auth::{IntegrityRole, Need};
use crate::clock;
use crate::state::AppState;
use axum::extract::{Query, State};
use maud::{Markup, html};
use serde::Deserialize;
use sqlx::Row;

#[derive(Deserialize, Default)]
pub struct Filter {
    #[serde(default)]
    action: String,
    #[serde(default)]
    user: String,
    #[serde(default)]
    outcome: String,
    #[serde(default)]
    before: Option<i64>,
}

const PAGE: i64 = 100;

pub async fn list(
    State(st): State<AppState>,
    Need(cur, _): Need<IntegrityRole>,
    Query(f): Query<Filter>,
) -> Result<Markup, PageError> {
    let l = cur.lang;
    let e = |e| PageError(l, e);
    let rows = sqlx::query(
        "SELECT a.id, a.at, COALESCE(u.username, ''), a.action, a.target, a.outcome, a.ip,
                a.detail, a.log_index
         FROM audit_events a LEFT JOIN users u ON u.id = a.actor_id
         WHERE (? = '' OR a.action LIKE ? || '%')
           AND (? = '' OR u.username = ?)
           AND (? = '' OR a.outcome = ?)
           AND a.id < ?
         ORDER BY a.id DESC LIMIT ?",
    )
    .bind(&f.action)
    .bind(&f.action)
    .bind(&f.user)
    .bind(&f.user)
    .bind(&f.outcome)
    .bind(&f.outcome)
    .bind(f.before.unwrap_or(i64::MAX))
    .bind(PAGE)
    .fetch_all(&st.db)
    .await
    .map_err(|x| e(x.into()))?;
    st.audit
        .record(
            Event::new(Some(cur.user.id), "audit.view", Outcome::Ok)
                .ip(&cur.ip)
                .detail(
                    serde_json::json!({ "action": f.action, "user": f.user, "outcome": f.outcome }),
                ),
        )
        .await
        .map_err(e)?;
    let last_id: Option<i64> = rows.last().map(|r| r.get(0));
    Ok(page(
        l,
        l.t("audit.title"),
        Some(Nav::of(&cur)),
        html! {
            p { (l.t("audit.intro")) }
            form method="get" action="/audit" class="filters" {
                label { (l.t("audit.action")) input type="text" name="action" value=(f.action) placeholder="auth."; }
                label { (l.t("audit.user")) input type="text" name="user" value=(f.user); }
                label { (l.t("audit.outcome"))
                    select name="outcome" {
                        option value="" selected[f.outcome.is_empty()] { (l.t("audit.any")) }
                        option value="ok" selected[f.outcome == "ok"] { "ok" }
                        option value="denied" selected[f.outcome == "denied"] { "denied" }
                    }
                }
                button type="submit" { (l.t("audit.filter")) }
            }
            table {
                thead { tr {
                    th { (l.t("audit.time")) } th { (l.t("audit.user")) } th { (l.t("audit.action")) }
                    th { (l.t("audit.target")) } th { (l.t("audit.outcome")) } th { (l.t("audit.address")) }
                    th { (l.t("audit.log_index")) }
                } }
                tbody {
                    @for r in &rows {
                        tr {
                            td { (clock::display(r.get(1), l.zh())) }
                            td { (r.get::<String, _>(2)) }
                            td { code { (r.get::<String, _>(3)) } }
                            td { (r.get::<String, _>(4)) }
                            td { (r.get::<String, _>(5)) }
                            td { (r.get::<String, _>(6)) }
                            td { @match r.get::<Option<i64>, _>(8) { Some(i) => (i), None => (l.t("audit.pending")) } }
                        }
                    }
                }
            }
            @if rows.len() as i64 == PAGE && let Some(id) = last_id {
                p { a href=(format!("/audit?action={}&user={}&outcome={}&before={id}", f.action, f.user, f.outcome)) { (l.t("audit.older")) } }
            }
        },
    ))
}

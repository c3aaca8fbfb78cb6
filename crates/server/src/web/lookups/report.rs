//! The period report for the integrity office: per unit and operator (counts, prints, flags,
//! review completion, time to sign-off) with a bar chart, and a breakdown by system, action and
//! reason; printable (print CSS) and downloadable as CSV.

use crate::auth::{IntegrityRole, Need};
use crate::error::Error;
use crate::i18n::Lang;
use crate::ledger::reports::{BreakdownRow, ReportRow};
use crate::state::AppState;
use crate::web::{Nav, PageError, page as shell};
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use baomi_ledger::clock::{day_string, parse_day};
use maud::{Markup, html};
use serde::Deserialize;

#[derive(Deserialize, Default)]
pub struct Period {
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    /// `csv` (per operator) or `breakdown.csv`.
    #[serde(default)]
    format: String,
}

pub async fn report(
    State(st): State<AppState>,
    Need(cur, _): Need<IntegrityRole>,
    Query(p): Query<Period>,
) -> Result<Response, PageError> {
    let l = cur.lang;
    let today = st.ledger.today();
    let from = parse_day(&p.from).unwrap_or(today - 30);
    let to = parse_day(&p.to).unwrap_or(today);
    let (f, t) = (day_string(from), day_string(to));
    match p.format.as_str() {
        "csv" => {
            let rows = st
                .ledger
                .report(&cur.user, from, to)
                .await
                .map_err(|e| PageError(l, e))?;
            return csv_file(l, &format!("lookups-{f}-{t}.csv"), per_operator_csv(&rows));
        }
        "breakdown.csv" => {
            let rows = st
                .ledger
                .breakdown(&cur.user, from, to)
                .await
                .map_err(|e| PageError(l, e))?;
            return csv_file(
                l,
                &format!("lookups-breakdown-{f}-{t}.csv"),
                breakdown_csv(&rows),
            );
        }
        _ => {}
    }
    let rows = st
        .ledger
        .report(&cur.user, from, to)
        .await
        .map_err(|e| PageError(l, e))?;
    let breakdown = st
        .ledger
        .breakdown(&cur.user, from, to)
        .await
        .map_err(|e| PageError(l, e))?;
    Ok(shell(
        l,
        l.t("lk.report.title"),
        Some(Nav::of(&cur)),
        html! {
            (period_form(l, today, &f, &t))
            p { (f) " – " (t) }
            (per_operator(l, &rows))
            h2 { (l.t("lk.report.chart")) }
            (chart(l, &rows))
            h2 { (l.t("lk.report.breakdown")) }
            (breakdown_table(l, &breakdown))
        },
    )
    .into_response())
}

/// Period fields, the day/week/month shortcuts and the downloads.
fn period_form(l: Lang, today: i64, f: &str, t: &str) -> Markup {
    let (y, m, _) = day_parts(today);
    let month_start = parse_day(&format!("{y:04}-{m:02}-01")).unwrap_or(today);
    let link = |from: i64| {
        format!(
            "/lookups/report?from={}&to={}",
            day_string(from),
            day_string(today)
        )
    };
    html! {
        form.filters.noprint method="get" action="/lookups/report" {
            label { (l.t("lk.report.from")) input type="text" name="from" value=(f); }
            label { (l.t("lk.report.to")) input type="text" name="to" value=(t); }
            button type="submit" { (l.t("lk.report.show")) }
        }
        p.noprint {
            a href=(link(today)) { (l.t("lk.report.today")) } " · "
            a href=(link(today - 6)) { (l.t("lk.report.week")) } " · "
            a href=(link(month_start)) { (l.t("lk.report.month")) } " · "
            a href=(format!("/lookups/report?from={f}&to={t}&format=csv")) { (l.t("lk.report.csv")) } " · "
            a href=(format!("/lookups/report?from={f}&to={t}&format=breakdown.csv")) { (l.t("lk.report.breakdown_csv")) }
        }
    }
}

fn day_parts(day: i64) -> (i32, u8, u8) {
    let s = day_string(day);
    let mut it = s.split('-').map(|x| x.parse::<i32>().unwrap_or(1));
    let (y, m, d) = (
        it.next().unwrap_or(1970),
        it.next().unwrap_or(1),
        it.next().unwrap_or(1),
    );
    (y, m as u8, d as u8)
}

fn per_operator(l: Lang, rows: &[ReportRow]) -> Markup {
    html! {
        table.report {
            thead { tr {
                th { (l.t("lk.report.unit")) } th { (l.t("lk.col.operator")) } th { (l.t("lk.count")) }
                th { (l.t("lk.report.prints")) } th { (l.t("lk.flagged")) } th { (l.t("lk.report.reviewed")) }
                th { (l.t("lk.report.hours")) }
            } }
            tbody { @for r in rows {
                tr {
                    td { (r.unit) } td { (r.name) " " span.muted { (r.operator) } } td { (r.lookups) }
                    td { (r.prints) } td { (r.flagged) } td { (r.reviewed) }
                    td { @if let Some(h) = r.median_hours_to_sign { (h) } }
                }
            } }
        }
    }
}

fn chart(l: Lang, rows: &[ReportRow]) -> Markup {
    let max = rows.iter().map(|r| r.lookups).max().unwrap_or(1).max(1);
    html! {
        figure.bars role="img" aria-label=(l.t("lk.report.chart")) {
            @for r in rows {
                div.bar {
                    span.label { (r.name) }
                    span.fill style=(format!("width: {}%", r.lookups * 100 / max)) {}
                    span.value { (r.lookups) @if r.flagged > 0 { " (" (l.t("lk.flagged")) " " (r.flagged) ")" } }
                }
            }
        }
    }
}

fn breakdown_table(l: Lang, rows: &[BreakdownRow]) -> Markup {
    html! {
        table.report {
            thead { tr {
                th { (l.t("lk.report.unit")) } th { (l.t("lk.report.system")) } th { (l.t("lk.report.action")) }
                th { (l.t("lk.report.reason")) } th { (l.t("lk.count")) } th { (l.t("lk.flagged")) }
            } }
            tbody { @for r in rows {
                tr {
                    td { (r.unit) } td { (r.system) } td { (super::action_zh(l, &r.action)) }
                    td { @if r.reason.is_empty() { span.muted { (l.t("lk.report.no_reason")) } } @else { (r.reason) } }
                    td { (r.lookups) } td { (r.flagged) }
                }
            } }
        }
    }
}

fn per_operator_csv(rows: &[ReportRow]) -> Vec<Vec<String>> {
    let mut out = vec![
        [
            "unit",
            "operator",
            "name",
            "lookups",
            "prints_exports",
            "flagged",
            "reviewed",
            "median_hours_to_sign",
        ]
        .map(String::from)
        .to_vec(),
    ];
    for r in rows {
        out.push(vec![
            r.unit.clone(),
            r.operator.clone(),
            r.name.clone(),
            r.lookups.to_string(),
            r.prints.to_string(),
            r.flagged.to_string(),
            r.reviewed.to_string(),
            r.median_hours_to_sign
                .map(|h| h.to_string())
                .unwrap_or_default(),
        ]);
    }
    out
}

fn breakdown_csv(rows: &[BreakdownRow]) -> Vec<Vec<String>> {
    let mut out = vec![
        [
            "unit",
            "system",
            "action",
            "reason_code",
            "lookups",
            "flagged",
        ]
        .map(String::from)
        .to_vec(),
    ];
    for r in rows {
        out.push(vec![
            r.unit.clone(),
            r.system.clone(),
            r.action.clone(),
            r.reason.clone(),
            r.lookups.to_string(),
            r.flagged.to_string(),
        ]);
    }
    out
}

fn csv_file(l: Lang, name: &str, records: Vec<Vec<String>>) -> Result<Response, PageError> {
    let err = |e: String| PageError(l, Error::Internal(e));
    let mut w = csv::Writer::from_writer(Vec::new());
    for r in records {
        w.write_record(r).map_err(|e| err(e.to_string()))?;
    }
    let body = w.into_inner().map_err(|e| err(e.to_string()))?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        body,
    )
        .into_response())
}

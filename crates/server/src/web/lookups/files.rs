//! Reports (per unit and operator, with a bar chart, printable, CSV) and imports of look-ups
//! and reference files through the browser.

use crate::auth::{IntegrityRole, LedgerImportRole, Need};
use crate::error::Error;
use crate::ledger::refdata::Kind;
use crate::state::AppState;
use crate::web::{Nav, PageError, page as shell};
use axum::extract::{Multipart, Query, State};
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
    let rows = st
        .ledger
        .report(&cur.user, from, to)
        .await
        .map_err(|e| PageError(l, e))?;
    if p.format == "csv" {
        let mut w = csv::Writer::from_writer(Vec::new());
        let head = [
            "unit",
            "operator",
            "name",
            "lookups",
            "prints_exports",
            "flagged",
            "reviewed",
            "median_hours_to_sign",
        ];
        let row_err = |e: csv::Error| PageError(l, Error::Internal(e.to_string()));
        w.write_record(head).map_err(row_err)?;
        for r in &rows {
            w.write_record([
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
            ])
            .map_err(row_err)?;
        }
        let body = w
            .into_inner()
            .map_err(|e| PageError(l, Error::Internal(e.to_string())))?;
        let name = format!("lookups-{}-{}.csv", day_string(from), day_string(to));
        return Ok((
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{name}\""),
                ),
            ],
            body,
        )
            .into_response());
    }
    let max = rows.iter().map(|r| r.lookups).max().unwrap_or(1).max(1);
    let (f, t) = (day_string(from), day_string(to));
    Ok(shell(
        l,
        l.t("lk.report.title"),
        Some(Nav::of(&cur)),
        html! {
            form.filters.noprint method="get" action="/lookups/report" {
                label { (l.t("lk.report.from")) input type="text" name="from" value=(f); }
                label { (l.t("lk.report.to")) input type="text" name="to" value=(t); }
                button type="submit" { (l.t("lk.report.show")) }
                a href=(format!("/lookups/report?from={f}&to={t}&format=csv")) { (l.t("lk.report.csv")) }
            }
            p { (f) " – " (t) }
            table.report {
                thead { tr {
                    th { (l.t("lk.report.unit")) } th { (l.t("lk.col.operator")) } th { (l.t("lk.count")) }
                    th { (l.t("lk.report.prints")) } th { (l.t("lk.flagged")) } th { (l.t("lk.report.reviewed")) }
                    th { (l.t("lk.report.hours")) }
                } }
                tbody { @for r in &rows {
                    tr {
                        td { (r.unit) } td { (r.name) " " span.muted { (r.operator) } } td { (r.lookups) }
                        td { (r.prints) } td { (r.flagged) } td { (r.reviewed) }
                        td { @if let Some(h) = r.median_hours_to_sign { (h) } }
                    }
                } }
            }
            h2 { (l.t("lk.report.chart")) }
            figure.bars role="img" aria-label=(l.t("lk.report.chart")) {
                @for r in &rows {
                    div.bar {
                        span.label { (r.name) }
                        span.fill style=(format!("width: {}%", r.lookups * 100 / max)) {}
                        span.value { (r.lookups) @if r.flagged > 0 { " (" (l.t("lk.flagged")) " " (r.flagged) ")" } }
                    }
                }
            }
        },
    )
    .into_response())
}

pub async fn import_form(Need(cur, _): Need<LedgerImportRole>) -> Markup {
    let l = cur.lang;
    shell(
        l,
        l.t("lk.import.title"),
        Some(Nav::of(&cur)),
        form(&cur, html! {}),
    )
}

fn form(cur: &crate::auth::Current, before: Markup) -> Markup {
    let l = cur.lang;
    html! {
        (before)
        form.stack method="post" action="/lookups/import" enctype="multipart/form-data" {
            input type="hidden" name="csrf" value=(cur.session.csrf);
            label { (l.t("lk.import.kind"))
                select name="kind" {
                    option value="lookups" { (l.t("lk.import.lookups")) }
                    option value="duty" { (l.t("lk.import.duty")) }
                    option value="cases" { (l.t("lk.import.cases")) }
                    option value="protected" { (l.t("lk.import.protected")) }
                }
            }
            label { (l.t("lk.import.file")) input type="file" name="file" accept=".csv,text/csv" required; }
            button type="submit" { (l.t("lk.import.go")) }
        }
    }
}

pub async fn import(
    State(st): State<AppState>,
    Need(cur, _): Need<LedgerImportRole>,
    mut mp: Multipart,
) -> Result<Markup, PageError> {
    let l = cur.lang;
    let bad = |m: String| PageError(l, Error::BadRequest(m));
    let (mut csrf, mut kind, mut file) = (String::new(), String::new(), Vec::new());
    while let Some(field) = mp.next_field().await.map_err(|e| bad(e.to_string()))? {
        match field.name().unwrap_or("") {
            "csrf" => csrf = field.text().await.map_err(|e| bad(e.to_string()))?,
            "kind" => kind = field.text().await.map_err(|e| bad(e.to_string()))?,
            "file" => {
                file = field
                    .bytes()
                    .await
                    .map_err(|e| bad(e.to_string()))?
                    .to_vec()
            }
            _ => {}
        }
    }
    if !crate::auth::same_token(&csrf, &cur.session.csrf) {
        return Err(PageError(l, Error::Forbidden));
    }
    let problems: Vec<(u64, String)>;
    let mut summary = String::new();
    if kind == "lookups" {
        match baomi_ledger::csvfile::lookups(&file, st.ledger.config().offset()) {
            Err(lines) => problems = lines.into_iter().map(|e| (e.line, e.message)).collect(),
            Ok(rows) => {
                let lines: Vec<u64> = (0..rows.len() as u64).map(|i| i + 2).collect();
                match st
                    .ledger
                    .ingest(
                        rows,
                        Some(&lines),
                        "import:web",
                        Some(cur.user.id),
                        &cur.ip,
                        true,
                    )
                    .await
                    .map_err(|e| PageError(l, e))?
                {
                    Ok(done) => {
                        problems = Vec::new();
                        summary = format!(
                            "{} {} · {} {}",
                            l.t("lk.import.ok"),
                            done.accepted,
                            done.duplicates,
                            l.t("lk.import.dup")
                        );
                    }
                    Err(ps) => problems = ps.into_iter().map(|p| (p.line, p.message)).collect(),
                }
            }
        }
    } else {
        let k = Kind::parse(&kind).ok_or_else(|| bad("kind".into()))?;
        match st
            .ledger
            .import_reference(k, &file, Some(cur.user.id), &cur.ip)
            .await
            .map_err(|e| PageError(l, e))?
        {
            Ok(done) => {
                problems = Vec::new();
                summary = format!("{} {}", l.t("lk.import.ok"), done.rows);
            }
            Err(lines) => problems = lines.into_iter().map(|e| (e.line, e.message)).collect(),
        }
    }
    let before = html! {
        @if problems.is_empty() { p.msg.ok role="status" { (summary) } }
        @else {
            div.msg.bad role="alert" {
                p { (l.t("lk.import.bad")) }
                ul { @for (line, m) in problems.iter().take(200) {
                    li { (l.t("lk.line").replace("{}", &line.to_string())) "：" (m) }
                } }
            }
        }
    };
    Ok(shell(
        l,
        l.t("lk.import.title"),
        Some(Nav::of(&cur)),
        form(&cur, before),
    ))
}

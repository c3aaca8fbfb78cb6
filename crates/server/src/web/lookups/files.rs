//! Imports of look-ups and reference files through the browser.

use crate::auth::{LedgerImportRole, Need};
use crate::error::Error;
use crate::ledger::refdata::Kind;
use crate::state::AppState;
use crate::web::{Nav, PageError, page as shell};
use axum::extract::{Multipart, State};
use maud::{Markup, html};

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

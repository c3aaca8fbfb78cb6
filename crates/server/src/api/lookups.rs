//! The look-up ledger's API: source systems push look-ups (single or batch, idempotent by
//! their event id) and reference files; integrity officers read flags.

use crate::accounts::Role;
use crate::auth::{ApiCaller, Via};
use crate::error::{Error, Result};
use crate::ledger::refdata::Kind;
use crate::state::AppState;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use baomi_ledger::{Action, RawLookup, clock};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Routes under `/api/v1/lookups`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/lookups",
            post(post_lookups).layer(axum::extract::DefaultBodyLimit::max(16 << 20)),
        )
        .route(
            "/lookups/reference/{kind}",
            post(post_reference).layer(axum::extract::DefaultBodyLimit::max(64 << 20)),
        )
        .route("/lookups/flags", get(get_flags))
}

/// One look-up as a source system reports it.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LookupIn {
    /// The source's own id (re-sending it is harmless).
    pub event_id: String,
    /// When: RFC 3339 (`2026-11-02T09:13:05+08:00`), local `2026-11-02 09:13:05`, or Unix
    /// seconds.
    #[schema(value_type = String)]
    pub time: serde_json::Value,
    /// System looked up in (戶役政, 車籍, 刑案資料 ...).
    pub system: String,
    /// Operator's sign-in name or employee number.
    pub operator: String,
    /// The subject's identifier (national ID, plate ...).
    pub subject_id: String,
    /// `query` (default), `print` or `export`.
    #[serde(default)]
    pub action: Option<String>,
    /// Reason code.
    #[serde(default)]
    pub reason_code: String,
    /// Free-text reason.
    #[serde(default)]
    pub reason_text: String,
    /// Case number.
    #[serde(default)]
    pub case_no: String,
    /// Terminal.
    #[serde(default)]
    pub terminal: String,
}

/// A batch: one look-up, an array, or `{"lookups": [...]}`.
#[derive(Deserialize)]
#[serde(untagged)]
enum Batch {
    Wrapped { lookups: Vec<LookupIn> },
    Many(Vec<LookupIn>),
    One(Box<LookupIn>),
}

/// Stored.
#[derive(Serialize, ToSchema)]
pub struct Ingested {
    /// New look-ups stored (durable and in the log).
    pub accepted: usize,
    /// Already stored with the same content.
    pub duplicates: usize,
}

/// A row's problem.
#[derive(Serialize, ToSchema)]
pub struct ProblemOut {
    /// Position in the batch (from 0) or file line.
    pub line: u64,
    /// Event id.
    pub event_id: String,
    /// What is wrong.
    pub message: String,
}

/// The whole batch was refused; nothing was stored.
#[derive(Serialize, ToSchema)]
pub struct Rejected {
    /// `bad_request` or `conflict`.
    pub error: String,
    /// Summary.
    pub message: String,
    /// Every problem.
    pub problems: Vec<ProblemOut>,
}

fn rejected(status: StatusCode, problems: Vec<ProblemOut>) -> Response {
    let error = if status == StatusCode::CONFLICT {
        "conflict"
    } else {
        "bad_request"
    };
    (
        status,
        Json(Rejected {
            error: error.into(),
            message: format!("{} problem(s); nothing was stored", problems.len()),
            problems,
        }),
    )
        .into_response()
}

fn may_write(cur: &ApiCaller) -> Result<()> {
    cur.require_scope("lookups:write")?;
    match cur.via {
        Via::Token(_) => Ok(()),
        // People upload through the web interface only if they run the ledger.
        Via::Session(_) if cur.user.has(Role::Integrity) || cur.user.has(Role::Admin) => Ok(()),
        Via::Session(_) => Err(Error::Forbidden),
    }
}

/// Report look-ups (single or batch, up to 10,000).
#[utoipa::path(post, path = "/api/v1/lookups", tag = "lookups",
    request_body(content = Vec<LookupIn>, description = "One look-up, an array, or {\"lookups\": [...]}"),
    responses(
        (status = 200, description = "Stored and in the tamper-evident log", body = Ingested),
        (status = 400, description = "Not JSON, or bad rows (then with `problems`, each with its position); nothing stored", body = crate::api::ErrorBody),
        (status = 409, description = "An event id was received before with other content; nothing stored", body = Rejected),
        (status = 401, description = "No token", body = crate::api::ErrorBody),
        (status = 403, description = "Token without `lookups:write`", body = crate::api::ErrorBody),
    ),
    security(("token" = ["lookups:write"])))]
pub async fn post_lookups(
    State(st): State<AppState>,
    cur: ApiCaller,
    body: axum::body::Bytes,
) -> Result<Response> {
    may_write(&cur)?;
    let batch: Batch = serde_json::from_slice(&body)
        .map_err(|e| Error::BadRequest(format!("not a look-up or a list of look-ups: {e}")))?;
    let items = match batch {
        Batch::Wrapped { lookups } | Batch::Many(lookups) => lookups,
        Batch::One(l) => vec![*l],
    };
    if items.is_empty() {
        return Err(Error::BadRequest("no look-ups".into()));
    }
    if items.len() > crate::ledger::ingest::MAX_BATCH {
        return Err(Error::BadRequest(format!(
            "{} look-ups: at most {} per request",
            items.len(),
            crate::ledger::ingest::MAX_BATCH
        )));
    }
    let off = st.ledger.config().offset();
    let mut problems = Vec::new();
    let mut rows = Vec::with_capacity(items.len());
    for (i, l) in items.into_iter().enumerate() {
        let at = match &l.time {
            serde_json::Value::Number(n) => n.as_i64(),
            serde_json::Value::String(s) => clock::parse_time(s, off),
            _ => None,
        };
        let action = match l.action.as_deref() {
            None | Some("") => Some(Action::Query),
            Some(a) => Action::parse(a),
        };
        let (Some(at), Some(action)) = (at, action) else {
            problems.push(ProblemOut {
                line: i as u64,
                event_id: l.event_id.clone(),
                message: if at.is_none() {
                    format!("time {} is not a date and time", l.time)
                } else {
                    "action: query, print or export".into()
                },
            });
            continue;
        };
        rows.push(RawLookup {
            event_id: l.event_id,
            at,
            system: l.system,
            operator: l.operator,
            subject_id: l.subject_id,
            action,
            reason_code: l.reason_code,
            reason_text: l.reason_text,
            case_no: l.case_no,
            terminal: l.terminal,
        });
    }
    if !problems.is_empty() {
        return Ok(rejected(StatusCode::BAD_REQUEST, problems));
    }
    let source = match &cur.via {
        Via::Token(t) => format!("token:{}", t.id),
        Via::Session(_) => format!("user:{}", cur.user.id),
    };
    match st
        .ledger
        .ingest(
            &rows,
            None,
            &source,
            Some(cur.user.id),
            &cur.ip,
            matches!(cur.via, Via::Session(_)),
        )
        .await?
    {
        Ok(done) => Ok(Json(Ingested {
            accepted: done.accepted,
            duplicates: done.duplicates,
        })
        .into_response()),
        Err(ps) => {
            let status = if ps.iter().any(|p| p.conflict) {
                StatusCode::CONFLICT
            } else {
                StatusCode::BAD_REQUEST
            };
            Ok(rejected(
                status,
                ps.into_iter()
                    .map(|p| ProblemOut {
                        line: p.line,
                        event_id: p.event_id,
                        message: p.message,
                    })
                    .collect(),
            ))
        }
    }
}

/// Reference file imported.
#[derive(Serialize, ToSchema)]
pub struct ReferenceImported {
    /// Rows stored.
    pub rows: usize,
    /// Rows it replaced.
    pub replaced: u64,
}

/// Import a reference file (CSV, UTF-8 or Big5): `duty` (operator, start, end), `cases`
/// (case_no, subject_id, assigned_operator, opened, closed) or `protected` (subject_id,
/// category). All or nothing.
#[utoipa::path(post, path = "/api/v1/lookups/reference/{kind}", tag = "lookups",
    params(("kind" = String, Path, description = "duty, cases or protected")),
    request_body(content = String, content_type = "text/csv"),
    responses(
        (status = 200, description = "Imported", body = ReferenceImported),
        (status = 400, description = "Bad lines; nothing imported", body = Rejected),
        (status = 404, description = "Unknown kind", body = crate::api::ErrorBody),
        (status = 401, description = "No token", body = crate::api::ErrorBody),
        (status = 403, description = "Token without `lookups:write`", body = crate::api::ErrorBody),
    ),
    security(("token" = ["lookups:write"])))]
pub async fn post_reference(
    State(st): State<AppState>,
    cur: ApiCaller,
    Path(kind): Path<String>,
    body: axum::body::Bytes,
) -> Result<Response> {
    may_write(&cur)?;
    let kind = Kind::parse(&kind).ok_or(Error::NotFound)?;
    match st
        .ledger
        .import_reference(kind, &body, Some(cur.user.id), &cur.ip)
        .await?
    {
        Ok(done) => Ok(Json(ReferenceImported {
            rows: done.rows,
            replaced: done.replaced,
        })
        .into_response()),
        Err(lines) => Ok(rejected(
            StatusCode::BAD_REQUEST,
            lines
                .into_iter()
                .map(|l| ProblemOut {
                    line: l.line,
                    event_id: String::new(),
                    message: l.message,
                })
                .collect(),
        )),
    }
}

/// Period of flags.
#[derive(Deserialize)]
pub struct Period {
    since: Option<String>,
    until: Option<String>,
}

/// A flagged look-up.
#[derive(Serialize, ToSchema)]
pub struct FlagOut {
    /// Source's event id.
    pub event_id: String,
    /// System.
    pub system: String,
    /// Operator.
    pub operator: String,
    /// When (Unix seconds).
    pub at: i64,
    /// Rule names.
    pub rules: Vec<String>,
    /// Combined score (0–100).
    pub score: i64,
    /// Why, in zh-TW.
    pub explanation: String,
}

/// Flagged look-ups of a period (default: the last 7 days), for integrity officers.
#[utoipa::path(get, path = "/api/v1/lookups/flags", tag = "lookups",
    params(("since" = Option<String>, Query, description = "YYYY-MM-DD"), ("until" = Option<String>, Query, description = "YYYY-MM-DD")),
    responses(
        (status = 200, description = "Flags in time order", body = Vec<FlagOut>),
        (status = 400, description = "A date that is not a date", body = crate::api::ErrorBody),
        (status = 401, description = "No session or token", body = crate::api::ErrorBody),
        (status = 403, description = "Not an integrity officer, or token without `lookups:read`", body = crate::api::ErrorBody),
    ),
    security(("token" = ["lookups:read"]), ("session" = [])))]
pub async fn get_flags(
    State(st): State<AppState>,
    cur: ApiCaller,
    Query(p): Query<Period>,
) -> Result<Json<Vec<FlagOut>>> {
    cur.require_scope("lookups:read")?;
    if !cur.user.has(Role::Integrity) {
        return Err(Error::Forbidden);
    }
    let today = st.ledger.today();
    let day = |s: &Option<String>, d: i64| match s {
        None => Ok(d),
        Some(s) => {
            clock::parse_day(s).ok_or_else(|| Error::BadRequest(format!("{s:?} is not a date")))
        }
    };
    let (from, to) = (day(&p.since, today - 7)?, day(&p.until, today)?);
    Ok(Json(
        st.ledger
            .flags(from, to)
            .await?
            .into_iter()
            .map(|f| FlagOut {
                event_id: f.event_id,
                system: f.system,
                operator: f.operator,
                at: f.at,
                rules: f.rules,
                score: f.score,
                explanation: f.explanation,
            })
            .collect(),
    ))
}

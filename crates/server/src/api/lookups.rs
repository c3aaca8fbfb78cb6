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

/// One look-up as a source system reports it. Text fields are trimmed; none may hold control
/// characters or pass 500 characters.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LookupIn {
    /// The source's own id (re-sending it is harmless).
    #[schema(schema_with = required_text)]
    pub event_id: String,
    /// When, between 2000 and 2100: RFC 3339 (`2026-11-02T09:13:05+08:00`), local
    /// `2026-11-02 09:13:05`, or Unix seconds (民國 `115/11/02 09:13` is accepted too).
    #[schema(schema_with = time_schema)]
    pub time: serde_json::Value,
    /// System looked up in (戶役政, 車籍, 刑案資料 ...).
    #[schema(schema_with = required_text)]
    pub system: String,
    /// Operator's sign-in name or employee number.
    #[schema(schema_with = required_text)]
    pub operator: String,
    /// The subject's identifier (national ID, plate ...).
    #[schema(schema_with = required_text)]
    pub subject_id: String,
    /// `query` (default), `print` or `export`.
    #[serde(default)]
    #[schema(schema_with = action_schema)]
    pub action: Option<String>,
    /// Reason code.
    #[serde(default)]
    #[schema(schema_with = optional_text)]
    pub reason_code: String,
    /// Free-text reason.
    #[serde(default)]
    #[schema(schema_with = optional_text)]
    pub reason_text: String,
    /// Case number.
    #[serde(default)]
    #[schema(schema_with = optional_text)]
    pub case_no: String,
    /// Terminal.
    #[serde(default)]
    #[schema(schema_with = optional_text)]
    pub terminal: String,
}

/// No control characters (tab allowed), something besides spaces.
const REQUIRED_TEXT: &str = r"^[^\u0000-\u0008\u000A-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u0008\u000A-\u001F\u007F-\u009F]*$";
/// No control characters (tab allowed).
const OPTIONAL_TEXT: &str = r"^[^\u0000-\u0008\u000A-\u001F\u007F-\u009F]*$";

fn text(pattern: &str, min: usize) -> utoipa::openapi::schema::Object {
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    ObjectBuilder::new()
        .schema_type(Type::String)
        .min_length(Some(min))
        .max_length(Some(baomi_ledger::lookup::MAX_FIELD))
        .pattern(Some(pattern))
        .build()
}

fn required_text() -> utoipa::openapi::schema::Object {
    text(REQUIRED_TEXT, 1)
}

fn optional_text() -> utoipa::openapi::schema::Object {
    text(OPTIONAL_TEXT, 0)
}

fn time_schema() -> utoipa::openapi::schema::Schema {
    use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Type};
    OneOfBuilder::new()
        .item(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .description(Some("RFC 3339 or local date and time"))
                .pattern(Some(
                    r"^20[1-8][0-9]-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])[T ]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?(Z|[+-](0[0-9]|1[0-3]):[0-5][0-9])?$",
                )),
        )
        .item(
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .description(Some("Unix seconds"))
                .minimum(Some(946_684_800))
                .maximum(Some(4_102_444_800i64)),
        )
        .build()
        .into()
}

fn action_schema() -> utoipa::openapi::schema::Object {
    use utoipa::openapi::schema::{ObjectBuilder, SchemaType, Type};
    // null or "" mean `query`.
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
        .enum_values(Some([
            serde_json::json!("query"),
            serde_json::json!("print"),
            serde_json::json!("export"),
            serde_json::json!(""),
            serde_json::Value::Null,
        ]))
        .build()
}

/// A batch as `{"lookups": [...]}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Wrapped {
    lookups: Vec<LookupIn>,
}

/// One look-up, an array, or `{"lookups": [...]}`, told apart by the first character and key
/// (an untagged serde enum would buffer the whole batch and parse it up to three times).
fn parse_batch(body: &[u8]) -> std::result::Result<Vec<LookupIn>, serde_json::Error> {
    match body.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'[') => serde_json::from_slice(body),
        Some(b'{') => match serde_json::from_slice::<Wrapped>(body) {
            Ok(w) => Ok(w.lookups),
            Err(wrapped) => match serde_json::from_slice::<LookupIn>(body) {
                Ok(one) => Ok(vec![one]),
                // Report what the sender most likely meant.
                Err(_) if body.windows(9).any(|w| w == b"\"lookups\"") => Err(wrapped),
                Err(one) => Err(one),
            },
        },
        _ => serde_json::from_slice(body),
    }
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
    let items = parse_batch(&body)
        .map_err(|e| Error::BadRequest(format!("not a look-up or a list of look-ups: {e}")))?;
    if items.is_empty() {
        // A source with nothing new may still send its (empty) batch.
        return Ok(Json(Ingested {
            accepted: 0,
            duplicates: 0,
        })
        .into_response());
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
            // JSON does not tell 1700000000.0 from 1700000000.
            serde_json::Value::Number(n) => n.as_i64().or_else(|| {
                n.as_f64()
                    .filter(|f| f.fract() == 0.0 && f.abs() < 1e15)
                    .map(|f| f as i64)
            }),
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
        // Trimmed like the CSV import, so both paths store the same event.
        let t = |s: String| {
            if s.trim().len() == s.len() {
                s
            } else {
                s.trim().to_string()
            }
        };
        rows.push(RawLookup {
            event_id: t(l.event_id),
            at,
            system: t(l.system),
            operator: t(l.operator),
            subject_id: t(l.subject_id),
            action,
            reason_code: t(l.reason_code),
            reason_text: t(l.reason_text),
            case_no: t(l.case_no),
            terminal: t(l.terminal),
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
            rows,
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

/// Kinds of reference file (for the OpenAPI document; the handler parses the path itself).
#[derive(ToSchema)]
#[allow(dead_code)]
#[schema(rename_all = "lowercase")]
pub enum RefKind {
    /// Duty roster.
    Duty,
    /// Case registry.
    Cases,
    /// Protected persons.
    Protected,
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
    params(("kind" = RefKind, Path, description = "duty, cases or protected")),
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
    params(("since" = Option<String>, Query, format = Date, description = "YYYY-MM-DD (default: 7 days ago)"), ("until" = Option<String>, Query, format = Date, description = "YYYY-MM-DD (default: today)")),
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
    p: std::result::Result<Query<Period>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Vec<FlagOut>>> {
    let Query(p) = p.map_err(|e| Error::BadRequest(e.body_text()))?;
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

//! The messenger's API: messages through the gate, files, search, events since a cursor,
//! the integrity export and the live stream ([`super::stream`]); people and conversations are
//! in [`super::conversations`]. Browsers act with
//! their session (state changes echo the CSRF token); other clients with a token carrying
//! `messages:read` / `messages:write`. A token never reads a 不得轉傳 conversation: nothing may
//! be copied out of it.

use super::input::{Int, J, P, Q};
use crate::accounts::Role;
use crate::auth::{ApiCaller, Via};
use crate::error::{Error, Result};
use crate::messenger::Sensitivity;
use crate::messenger::export::Export;
use crate::messenger::read::{EventView, MessageView, Receipt};
use crate::messenger::send::{Draft, ForwardDraft, GateOutcome};
use crate::state::AppState;
use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

/// Routes of the messenger.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/directory", get(super::conversations::directory))
        .route(
            "/conversations",
            get(super::conversations::list).post(super::conversations::create),
        )
        .route("/conversations/direct", post(super::conversations::direct))
        .route(
            "/conversations/{id}/members",
            get(super::conversations::members).post(super::conversations::invite),
        )
        .route(
            "/conversations/{id}/members/{user}",
            axum::routing::delete(super::conversations::remove),
        )
        .route(
            "/conversations/{id}/members/{user}/admin",
            post(super::conversations::set_admin),
        )
        .route("/conversations/{id}/join", post(super::conversations::join))
        .route(
            "/conversations/{id}/requests",
            get(super::conversations::requests),
        )
        .route(
            "/conversations/{id}/requests/{request}",
            post(super::conversations::decide),
        )
        .route(
            "/conversations/{id}/audience",
            get(super::conversations::audience),
        )
        .route("/conversations/{id}/messages", get(messages).post(send))
        .route("/conversations/{id}/read", post(read))
        .route("/conversations/{id}/export", get(export))
        .route("/messages/{id}", axum::routing::patch(edit).delete(recall))
        .route(
            "/conversations/{id}/attachments",
            post(attach).layer(axum::extract::DefaultBodyLimit::max(
                crate::messenger::attachments::MAX_BYTES,
            )),
        )
        .route("/attachments/{id}", get(download))
        .route("/messages/{id}/forward", post(forward))
        .route("/messages/{id}/receipts", get(receipts))
        .route("/events", get(events))
        .route("/search", get(search))
        .route("/stream", get(super::stream::stream))
}

pub(super) fn reader(c: &ApiCaller) -> Result<()> {
    c.require_scope("messages:read")
}

pub(super) fn writer(c: &ApiCaller) -> Result<()> {
    c.require_scope("messages:write")
}

pub(super) fn by_token(c: &ApiCaller) -> bool {
    matches!(c.via, Via::Token(_))
}

/// A page of messages.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Page {
    /// Messages before this id (default: the latest).
    #[param(minimum = 1)]
    pub before: Option<i64>,
    /// How many (1 to 500, default 100).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
}

async fn readable(st: &AppState, c: &ApiCaller, id: i64) -> Result<()> {
    let m = st.messenger.membership(c.user.id, id).await?;
    if by_token(c) && m.sensitivity == Sensitivity::NoForward {
        return Err(Error::Forbidden);
    }
    Ok(())
}

/// Messages of one of the caller's conversations, oldest first.
#[utoipa::path(get, path = "/api/v1/conversations/{id}/messages", tag = "messenger",
    params(("id" = i64, Path, description = "Conversation"), Page),
    responses((status = 401, description = "Not signed in", body = super::ErrorBody),
        (status = 400, description = "Malformed request", body = super::ErrorBody),
        (status = 200, description = "Messages", body = [MessageView]),
        (status = 403, description = "A 不得轉傳 conversation read with a token", body = super::ErrorBody),
        (status = 404, description = "Not a member", body = super::ErrorBody)),
    security(("token" = ["messages:read"]), ("session" = [])))]
async fn messages(
    State(st): State<AppState>,
    c: ApiCaller,
    P(id): P<i64>,
    Q(p): Q<Page>,
) -> Result<Json<Vec<MessageView>>> {
    reader(&c)?;
    if p.limit.is_some_and(|l| !(1..=500).contains(&l)) || p.before.is_some_and(|b| b < 1) {
        return Err(Error::BadRequest(
            "limit: 1 to 500; before: a message id".into(),
        ));
    }
    readable(&st, &c, id).await?;
    Ok(Json(
        st.messenger
            .messages(c.user.id, id, p.before, p.limit.unwrap_or(100))
            .await?,
    ))
}

/// Sends a text through the gate: `sent`, or what the sender must see first (`confirm`,
/// `mask`) or why it was `blocked`.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/messages", tag = "messenger",
    params(("id" = i64, Path, description = "Conversation")), request_body = Draft,
    responses((status = 401, description = "Not signed in", body = super::ErrorBody),
        (status = 200, description = "The gate's answer", body = GateOutcome),
        (status = 400, description = "Empty, too long, bad client_id", body = super::ErrorBody),
        (status = 403, description = "Notices are for admins", body = super::ErrorBody),
        (status = 404, description = "Not a member", body = super::ErrorBody),
        (status = 409, description = "client_id reused for another text", body = super::ErrorBody)),
    security(("token" = ["messages:write"]), ("session" = [])))]
async fn send(
    State(st): State<AppState>,
    c: ApiCaller,
    P(id): P<i64>,
    J(d): J<Draft>,
) -> Result<Json<GateOutcome>> {
    writer(&c)?;
    Ok(Json(st.messenger.send(&c.user, &c.ip, id, d).await?))
}

/// How far the caller has read.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReadUpTo {
    /// The last message read.
    #[schema(value_type = i64, minimum = 0)]
    pub upto: Int,
}

/// Marks messages read (read receipts of notices).
#[utoipa::path(post, path = "/api/v1/conversations/{id}/read", tag = "messenger",
    params(("id" = i64, Path, description = "Conversation")), request_body = ReadUpTo,
    responses((status = 401, description = "Not signed in", body = super::ErrorBody),
        (status = 403, description = "Scope missing", body = super::ErrorBody),
        (status = 400, description = "Malformed request", body = super::ErrorBody),
        (status = 204, description = "Recorded"),
        (status = 404, description = "Not a member", body = super::ErrorBody)),
    security(("token" = ["messages:write"]), ("session" = [])))]
async fn read(
    State(st): State<AppState>,
    c: ApiCaller,
    P(id): P<i64>,
    J(r): J<ReadUpTo>,
) -> Result<axum::http::StatusCode> {
    writer(&c)?;
    if r.upto.0 < 0 {
        return Err(Error::BadRequest("upto: a message id".into()));
    }
    st.messenger.mark_read(&c.user, id, r.upto.0).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

/// A new text for one's own message.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EditIn {
    /// The new text.
    #[schema(
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$",
        max_length = 8000
    )]
    pub text: String,
    /// Confirm, having seen what was found.
    #[serde(default)]
    pub confirm: bool,
    /// Use the masked version.
    #[serde(default)]
    pub masked: bool,
}

/// Edits one's own message within the edit window (the earlier text stays in the archive).
#[utoipa::path(patch, path = "/api/v1/messages/{id}", tag = "messenger",
    params(("id" = i64, Path, description = "Message")), request_body = EditIn,
    responses((status = 401, description = "Not signed in", body = super::ErrorBody),
        (status = 400, description = "Malformed request", body = super::ErrorBody),
        (status = 200, description = "The gate's answer", body = GateOutcome),
        (status = 403, description = "Not the sender", body = super::ErrorBody),
        (status = 404, description = "Not visible", body = super::ErrorBody),
        (status = 409, description = "Past the window, or withdrawn", body = super::ErrorBody)),
    security(("token" = ["messages:write"]), ("session" = [])))]
async fn edit(
    State(st): State<AppState>,
    c: ApiCaller,
    P(id): P<i64>,
    J(e): J<EditIn>,
) -> Result<Json<GateOutcome>> {
    writer(&c)?;
    let d = Draft {
        text: e.text,
        confirm: e.confirm,
        masked: e.masked,
        ..Draft::default()
    };
    Ok(Json(st.messenger.edit(&c.user, &c.ip, id, d).await?))
}

/// Withdraws one's own message within the recall window; readers see it was withdrawn.
#[utoipa::path(delete, path = "/api/v1/messages/{id}", tag = "messenger",
    params(("id" = i64, Path, description = "Message")),
    responses((status = 401, description = "Not signed in", body = super::ErrorBody),
        (status = 400, description = "Malformed request", body = super::ErrorBody),
        (status = 204, description = "Withdrawn"),
        (status = 403, description = "Not the sender", body = super::ErrorBody),
        (status = 404, description = "Not visible", body = super::ErrorBody),
        (status = 409, description = "Past the window, or already withdrawn", body = super::ErrorBody)),
    security(("token" = ["messages:write"]), ("session" = [])))]
async fn recall(
    State(st): State<AppState>,
    c: ApiCaller,
    P(id): P<i64>,
) -> Result<axum::http::StatusCode> {
    writer(&c)?;
    st.messenger.recall(&c.user, id).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

/// Forwards a message: first answer `confirm` naming the target and its audience; send again
/// with `confirm_target` equal to `to`.
#[utoipa::path(post, path = "/api/v1/messages/{id}/forward", tag = "messenger",
    params(("id" = i64, Path, description = "Message")), request_body = ForwardDraft,
    responses((status = 401, description = "Not signed in", body = super::ErrorBody),
        (status = 403, description = "Scope missing", body = super::ErrorBody),
        (status = 400, description = "Malformed request", body = super::ErrorBody),
        (status = 200, description = "The gate's answer", body = GateOutcome),
        (status = 404, description = "Message or target not visible", body = super::ErrorBody),
        (status = 409, description = "Withdrawn", body = super::ErrorBody)),
    security(("token" = ["messages:write"]), ("session" = [])))]
async fn forward(
    State(st): State<AppState>,
    c: ApiCaller,
    P(id): P<i64>,
    J(f): J<ForwardDraft>,
) -> Result<Json<GateOutcome>> {
    writer(&c)?;
    Ok(Json(st.messenger.forward(&c.user, &c.ip, id, f).await?))
}

/// Read receipts of a notice (its sender and the group's admins).
#[utoipa::path(get, path = "/api/v1/messages/{id}/receipts", tag = "messenger",
    params(("id" = i64, Path, description = "Message")),
    responses((status = 401, description = "Not signed in", body = super::ErrorBody),
        (status = 400, description = "Malformed request", body = super::ErrorBody),
        (status = 200, description = "Each member and when they read it", body = [Receipt]),
        (status = 403, description = "Neither sender nor admin", body = super::ErrorBody),
        (status = 404, description = "Not visible", body = super::ErrorBody)),
    security(("token" = ["messages:read"]), ("session" = [])))]
async fn receipts(
    State(st): State<AppState>,
    c: ApiCaller,
    P(id): P<i64>,
) -> Result<Json<Vec<Receipt>>> {
    reader(&c)?;
    Ok(Json(st.messenger.receipts(&c.user, id).await?))
}

/// A cursor.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Since {
    /// The last event seen (default 0: from the start of one's memberships).
    #[param(minimum = 0)]
    pub since: Option<i64>,
    /// How many (1 to 5000, default 1000).
    #[param(minimum = 1, maximum = 5000)]
    pub limit: Option<i64>,
}

/// Events after a cursor in the caller's conversations (what a reconnecting client missed).
#[utoipa::path(get, path = "/api/v1/events", tag = "messenger", params(Since),
    responses((status = 403, description = "Scope missing", body = super::ErrorBody),
        (status = 400, description = "Malformed request", body = super::ErrorBody),
        (status = 200, description = "Events, oldest first", body = [EventView]),
        (status = 401, description = "Not signed in", body = super::ErrorBody)),
    security(("token" = ["messages:read"]), ("session" = [])))]
async fn events(
    State(st): State<AppState>,
    c: ApiCaller,
    Q(q): Q<Since>,
) -> Result<Json<Vec<EventView>>> {
    reader(&c)?;
    if q.limit.is_some_and(|l| !(1..=5000).contains(&l)) || q.since.is_some_and(|s| s < 0) {
        return Err(Error::BadRequest(
            "limit: 1 to 5000; since: 0 or more".into(),
        ));
    }
    let all = st
        .messenger
        .events_since(
            c.user.id,
            q.since.unwrap_or(0),
            q.limit.unwrap_or(1000),
            !by_token(&c),
        )
        .await?;
    Ok(Json(all))
}

/// A conversation's whole record for an investigation (integrity officers; the export is
/// logged with its SHA-256).
#[utoipa::path(get, path = "/api/v1/conversations/{id}/export", tag = "messenger",
    params(("id" = i64, Path, description = "Conversation")),
    responses((status = 401, description = "Not signed in", body = super::ErrorBody),
        (status = 400, description = "Malformed request", body = super::ErrorBody),
        (status = 200, description = "Messages with their archived versions, events with log positions", body = Export),
        (status = 403, description = "Integrity officers only", body = super::ErrorBody),
        (status = 404, description = "No such conversation", body = super::ErrorBody)),
    security(("session" = [])))]
async fn export(
    State(st): State<AppState>,
    c: ApiCaller,
    P(id): P<i64>,
) -> Result<axum::response::Response> {
    // Reading archives is the integrity office's, in person: no tokens.
    if by_token(&c) || !c.user.has(Role::Integrity) {
        return Err(Error::Forbidden);
    }
    let bytes = st.messenger.export(&c.user, &c.ip, id).await?;
    Ok(axum::response::IntoResponse::into_response((
        [
            (
                axum::http::header::CONTENT_TYPE,
                "application/json".to_string(),
            ),
            (
                axum::http::header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"conversation-{id}.json\""),
            ),
        ],
        bytes,
    )))
}

/// What comes with a file.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AttachQuery {
    /// The file's name.
    #[param(
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\u0000-\u001F\u007F-\u009F/\\]+$"
    )]
    pub name: String,
    /// The client's id for the message.
    #[param(pattern = r"^[A-Za-z0-9._:-]{1,100}$")]
    pub client_id: String,
    /// Confirm, having seen what was found.
    #[serde(default)]
    pub confirm: bool,
}

/// Sends a file (the request body, up to 25 MB): its text is extracted (documents, archives,
/// photos by OCR) and passes the gate before anyone sees it.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/attachments", tag = "messenger",
    params(("id" = i64, Path, description = "Conversation"), AttachQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 200, description = "The gate's answer", body = GateOutcome),
        (status = 400, description = "Malformed request, empty file", body = super::ErrorBody),
        (status = 401, description = "Not signed in", body = super::ErrorBody),
        (status = 403, description = "Scope missing", body = super::ErrorBody),
        (status = 404, description = "Not a member", body = super::ErrorBody),
        (status = 409, description = "client_id reused", body = super::ErrorBody),
        (status = 413, description = "Over 25 MB", body = super::ErrorBody)),
    security(("token" = ["messages:write"]), ("session" = [])))]
async fn attach(
    State(st): State<AppState>,
    c: ApiCaller,
    P(id): P<i64>,
    Q(q): Q<AttachQuery>,
    body: std::result::Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Json<GateOutcome>> {
    writer(&c)?;
    let body = body.map_err(|e| {
        if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
            Error::TooLarge
        } else {
            Error::BadRequest(e.body_text())
        }
    })?;
    let up = crate::messenger::attachments::Upload {
        name: q.name,
        client_id: q.client_id,
        confirm: q.confirm,
    };
    Ok(Json(
        st.messenger
            .attach(&c.user, &c.ip, id, up, body.to_vec())
            .await?,
    ))
}

/// How to serve a file.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DownloadQuery {
    /// Show a photo in the page instead of saving it.
    #[serde(default)]
    pub inline: bool,
}

/// Downloads a file of one of the caller's conversations (recorded; guests cannot from a
/// 不得轉傳 conversation, tokens never can).
#[utoipa::path(get, path = "/api/v1/attachments/{id}", tag = "messenger",
    params(("id" = i64, Path, description = "Attachment"), DownloadQuery),
    responses((status = 200, description = "The file", content_type = "application/octet-stream", body = Vec<u8>),
        (status = 400, description = "Malformed request", body = super::ErrorBody),
        (status = 401, description = "Not signed in", body = super::ErrorBody),
        (status = 403, description = "A 不得轉傳 conversation (guests, tokens); scope missing", body = super::ErrorBody),
        (status = 404, description = "Not visible", body = super::ErrorBody)),
    security(("token" = ["messages:read"]), ("session" = [])))]
async fn download(
    State(st): State<AppState>,
    c: ApiCaller,
    P(id): P<i64>,
    Q(q): Q<DownloadQuery>,
) -> Result<axum::response::Response> {
    reader(&c)?;
    let (name, mime, bytes) = st
        .messenger
        .download(&c.user, by_token(&c), &c.ip, id)
        .await?;
    let inline = q.inline && mime.starts_with("image/");
    let encoded: String = name
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'.' | b'-' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect();
    let disposition = format!(
        "{}; filename*=UTF-8''{encoded}",
        if inline { "inline" } else { "attachment" }
    );
    Ok(axum::response::IntoResponse::into_response((
        [
            (axum::http::header::CONTENT_TYPE, mime),
            (axum::http::header::CONTENT_DISPOSITION, disposition),
            (
                axum::http::header::CACHE_CONTROL,
                "private, no-store".to_string(),
            ),
        ],
        bytes,
    )))
}

/// A search.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchQuery {
    /// What to look for (1 to 200 characters; 臺/台, full-width letters, spaces and dashes
    /// do not matter).
    #[param(min_length = 1, max_length = 200, pattern = r"[^\s-]")]
    pub q: String,
    /// Only this conversation.
    pub conversation: Option<i64>,
    /// Most hits (1 to 200, default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
}

/// Searches the caller's own conversations, newest first (the texts are sealed: they are
/// opened and matched in memory, up to 50,000 messages; `complete` says whether all were).
#[utoipa::path(get, path = "/api/v1/search", tag = "messenger", params(SearchQuery),
    responses((status = 200, description = "Hits", body = crate::messenger::search::Found),
        (status = 400, description = "Malformed request", body = super::ErrorBody),
        (status = 401, description = "Not signed in", body = super::ErrorBody),
        (status = 403, description = "Scope missing; a 不得轉傳 conversation with a token", body = super::ErrorBody),
        (status = 404, description = "Not a member of that conversation", body = super::ErrorBody)),
    security(("token" = ["messages:read"]), ("session" = [])))]
async fn search(
    State(st): State<AppState>,
    c: ApiCaller,
    Q(q): Q<SearchQuery>,
) -> Result<Json<crate::messenger::search::Found>> {
    reader(&c)?;
    if q.limit.is_some_and(|l| !(1..=200).contains(&l)) {
        return Err(Error::BadRequest("limit: 1 to 200".into()));
    }
    if q.q.chars().count() > 200 {
        return Err(Error::BadRequest("q: 1 to 200 characters".into()));
    }
    Ok(Json(
        st.messenger
            .search(
                &c.user,
                &q.q,
                q.conversation,
                q.limit.unwrap_or(50) as usize,
                !by_token(&c),
            )
            .await?,
    ))
}

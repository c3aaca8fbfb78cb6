//! The messenger's API: directory, conversations, members and requests, messages through the
//! gate, events since a cursor, and the live stream ([`super::stream`]). Browsers act with
//! their session (state changes echo the CSRF token); other clients with a token carrying
//! `messages:read` / `messages:write`. A token never reads a 不得轉傳 conversation: nothing may
//! be copied out of it.

use crate::accounts::Role;
use crate::auth::{ApiCaller, Via};
use crate::error::{Error, Result};
use crate::messenger::Sensitivity;
use crate::messenger::export::Export;
use crate::messenger::gate::AudienceView;
use crate::messenger::members::RequestView;
use crate::messenger::read::{
    ConversationView, EventView, MemberView, MessageView, Person, Receipt,
};
use crate::messenger::send::{Draft, ForwardDraft, GateOutcome};
use crate::state::AppState;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Routes of the messenger.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/directory", get(directory))
        .route("/conversations", get(list).post(create))
        .route("/conversations/{id}/members", get(members).post(invite))
        .route(
            "/conversations/{id}/members/{user}",
            axum::routing::delete(remove),
        )
        .route("/conversations/{id}/members/{user}/admin", post(set_admin))
        .route("/conversations/{id}/join", post(join))
        .route("/conversations/{id}/requests", get(requests))
        .route("/conversations/{id}/requests/{request}", post(decide))
        .route("/conversations/{id}/audience", get(audience))
        .route("/conversations/{id}/messages", get(messages).post(send))
        .route("/conversations/{id}/read", post(read))
        .route("/conversations/{id}/export", get(export))
        .route("/messages/{id}", axum::routing::patch(edit).delete(recall))
        .route("/messages/{id}/forward", post(forward))
        .route("/messages/{id}/receipts", get(receipts))
        .route("/events", get(events))
        .route("/stream", get(super::stream::stream))
}

fn json<T>(r: std::result::Result<Json<T>, JsonRejection>) -> Result<T> {
    r.map(|Json(v)| v)
        .map_err(|e| Error::BadRequest(e.body_text()))
}

fn query<T>(r: std::result::Result<Query<T>, QueryRejection>) -> Result<T> {
    r.map(|Query(v)| v)
        .map_err(|e| Error::BadRequest(e.body_text()))
}

fn reader(c: &ApiCaller) -> Result<()> {
    c.require_scope("messages:read")
}

fn writer(c: &ApiCaller) -> Result<()> {
    c.require_scope("messages:write")
}

fn by_token(c: &ApiCaller) -> bool {
    matches!(c.via, Via::Token(_))
}

/// Search text.
#[derive(Deserialize, IntoParams)]
pub struct DirectoryQuery {
    /// Part of a name, unit or title (empty: everyone, up to 50).
    #[serde(default)]
    pub q: String,
}

/// People in the org chart (guests: only those they share a conversation with).
#[utoipa::path(get, path = "/api/v1/directory", tag = "messenger", params(DirectoryQuery),
    responses((status = 200, description = "People", body = [Person]),
        (status = 400, description = "Bad query", body = super::ErrorBody),
        (status = 401, description = "Not signed in", body = super::ErrorBody),
        (status = 403, description = "Scope missing", body = super::ErrorBody)),
    security(("token" = ["messages:read"]), ("session" = [])))]
async fn directory(
    State(st): State<AppState>,
    c: ApiCaller,
    q: std::result::Result<Query<DirectoryQuery>, QueryRejection>,
) -> Result<Json<Vec<Person>>> {
    reader(&c)?;
    let q = query(q)?;
    if q.q.chars().count() > 100 {
        return Err(Error::BadRequest("q: at most 100 characters".into()));
    }
    Ok(Json(st.messenger.directory(&c.user, &q.q).await?))
}

/// The caller's conversations.
#[utoipa::path(get, path = "/api/v1/conversations", tag = "messenger",
    responses((status = 200, description = "Conversations, latest activity first", body = [ConversationView]),
        (status = 401, description = "Not signed in", body = super::ErrorBody),
        (status = 403, description = "Scope missing", body = super::ErrorBody)),
    security(("token" = ["messages:read"]), ("session" = [])))]
async fn list(State(st): State<AppState>, c: ApiCaller) -> Result<Json<Vec<ConversationView>>> {
    reader(&c)?;
    let mut all = st.messenger.conversations(c.user.id).await?;
    if by_token(&c) {
        all.retain(|v| v.sensitivity != Sensitivity::NoForward);
    }
    Ok(Json(all))
}

/// A new conversation: a group (`title`, `sensitivity`, `members`) or a one-to-one
/// conversation (`with`).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewConversation {
    /// `group` or `direct`.
    pub kind: String,
    /// Group title.
    #[serde(default)]
    pub title: String,
    /// Group sensitivity (default `normal`).
    #[serde(default)]
    pub sensitivity: Option<Sensitivity>,
    /// Group members besides the caller (added at once: the creator is the group's admin).
    #[serde(default)]
    pub members: Vec<i64>,
    /// The other person of a one-to-one conversation.
    #[serde(default)]
    pub with: Option<i64>,
}

/// A conversation's id.
#[derive(Serialize, ToSchema)]
pub struct Created {
    /// Id.
    pub id: i64,
}

/// Creates a group or opens the one-to-one conversation with someone.
#[utoipa::path(post, path = "/api/v1/conversations", tag = "messenger", request_body = NewConversation,
    responses((status = 200, description = "The conversation", body = Created),
        (status = 400, description = "Bad request", body = super::ErrorBody),
        (status = 403, description = "Guests cannot create groups; scope missing", body = super::ErrorBody),
        (status = 404, description = "No such person", body = super::ErrorBody),
        (status = 409, description = "A guest named for an agency-only group", body = super::ErrorBody)),
    security(("token" = ["messages:write"]), ("session" = [])))]
async fn create(
    State(st): State<AppState>,
    c: ApiCaller,
    body: std::result::Result<Json<NewConversation>, JsonRejection>,
) -> Result<Json<Created>> {
    writer(&c)?;
    let n = json(body)?;
    let id = match n.kind.as_str() {
        "group" => {
            if n.members.len() > 1000 {
                return Err(Error::BadRequest("at most 1000 members at once".into()));
            }
            st.messenger
                .create_group(
                    &c.user,
                    &n.title,
                    n.sensitivity.unwrap_or(Sensitivity::Normal),
                    &n.members,
                )
                .await?
        }
        "direct" => {
            let with = n
                .with
                .ok_or_else(|| Error::BadRequest("`with` names the other person".into()))?;
            st.messenger.direct(&c.user, with).await?
        }
        _ => return Err(Error::BadRequest("kind: `group` or `direct`".into())),
    };
    Ok(Json(Created { id }))
}

/// Members of one of the caller's conversations.
#[utoipa::path(get, path = "/api/v1/conversations/{id}/members", tag = "messenger",
    params(("id" = i64, Path, description = "Conversation")),
    responses((status = 200, description = "Members", body = [MemberView]),
        (status = 404, description = "Not a member (or no such conversation)", body = super::ErrorBody)),
    security(("token" = ["messages:read"]), ("session" = [])))]
async fn members(
    State(st): State<AppState>,
    c: ApiCaller,
    Path(id): Path<i64>,
) -> Result<Json<Vec<MemberView>>> {
    reader(&c)?;
    Ok(Json(st.messenger.members(c.user.id, id).await?))
}

/// A person to add.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Invite {
    /// User id.
    pub user: i64,
}

/// What an invitation did.
#[derive(Serialize, ToSchema)]
pub struct Invited {
    /// `added` (by an admin) or `requested` (waits for an admin).
    pub status: String,
    /// The request, when one was made.
    pub request: Option<i64>,
}

/// Adds a member (admins) or asks the admins to (members).
#[utoipa::path(post, path = "/api/v1/conversations/{id}/members", tag = "messenger",
    params(("id" = i64, Path, description = "Conversation")), request_body = Invite,
    responses((status = 200, description = "Added or requested", body = Invited),
        (status = 400, description = "No such person", body = super::ErrorBody),
        (status = 404, description = "Not a member", body = super::ErrorBody),
        (status = 409, description = "Already a member; guests not allowed", body = super::ErrorBody)),
    security(("token" = ["messages:write"]), ("session" = [])))]
async fn invite(
    State(st): State<AppState>,
    c: ApiCaller,
    Path(id): Path<i64>,
    body: std::result::Result<Json<Invite>, JsonRejection>,
) -> Result<Json<Invited>> {
    writer(&c)?;
    let i = json(body)?;
    let request = st.messenger.invite(&c.user, id, i.user).await?;
    Ok(Json(Invited {
        status: if request.is_some() {
            "requested"
        } else {
            "added"
        }
        .into(),
        request,
    }))
}

/// The caller leaves, or an admin removes a member.
#[utoipa::path(delete, path = "/api/v1/conversations/{id}/members/{user}", tag = "messenger",
    params(("id" = i64, Path, description = "Conversation"), ("user" = i64, Path, description = "Member")),
    responses((status = 204, description = "Done"),
        (status = 403, description = "Only admins remove others", body = super::ErrorBody),
        (status = 404, description = "Not a member", body = super::ErrorBody)),
    security(("token" = ["messages:write"]), ("session" = [])))]
async fn remove(
    State(st): State<AppState>,
    c: ApiCaller,
    Path((id, user)): Path<(i64, i64)>,
) -> Result<axum::http::StatusCode> {
    writer(&c)?;
    st.messenger.remove(&c.user, id, user).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

/// Admin or not.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdminFlag {
    /// Make an admin (true) or take it back (false).
    pub admin: bool,
}

/// An admin makes a member an admin, or takes it back.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/members/{user}/admin", tag = "messenger",
    params(("id" = i64, Path, description = "Conversation"), ("user" = i64, Path, description = "Member")),
    request_body = AdminFlag,
    responses((status = 204, description = "Done"),
        (status = 403, description = "Not an admin", body = super::ErrorBody),
        (status = 404, description = "Not a member", body = super::ErrorBody),
        (status = 409, description = "The last admin", body = super::ErrorBody)),
    security(("token" = ["messages:write"]), ("session" = [])))]
async fn set_admin(
    State(st): State<AppState>,
    c: ApiCaller,
    Path((id, user)): Path<(i64, i64)>,
    body: std::result::Result<Json<AdminFlag>, JsonRejection>,
) -> Result<axum::http::StatusCode> {
    writer(&c)?;
    let f = json(body)?;
    st.messenger.set_admin(&c.user, id, user, f.admin).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

/// A request's id.
#[derive(Serialize, ToSchema)]
pub struct RequestMade {
    /// Request id.
    pub request: i64,
}

/// The caller asks to join a group; its admins decide.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/join", tag = "messenger",
    params(("id" = i64, Path, description = "Conversation")),
    responses((status = 200, description = "Requested", body = RequestMade),
        (status = 404, description = "No such group", body = super::ErrorBody),
        (status = 409, description = "Already a member", body = super::ErrorBody)),
    security(("token" = ["messages:write"]), ("session" = [])))]
async fn join(
    State(st): State<AppState>,
    c: ApiCaller,
    Path(id): Path<i64>,
) -> Result<Json<RequestMade>> {
    writer(&c)?;
    let request = st.messenger.ask_to_join(&c.user, id).await?;
    Ok(Json(RequestMade { request }))
}

/// Open requests to join (admins).
#[utoipa::path(get, path = "/api/v1/conversations/{id}/requests", tag = "messenger",
    params(("id" = i64, Path, description = "Conversation")),
    responses((status = 200, description = "Open requests", body = [RequestView]),
        (status = 403, description = "Not an admin", body = super::ErrorBody),
        (status = 404, description = "Not a member", body = super::ErrorBody)),
    security(("token" = ["messages:read"]), ("session" = [])))]
async fn requests(
    State(st): State<AppState>,
    c: ApiCaller,
    Path(id): Path<i64>,
) -> Result<Json<Vec<RequestView>>> {
    reader(&c)?;
    Ok(Json(st.messenger.requests(&c.user, id).await?))
}

/// An admin's decision.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Decision {
    /// Approve (true) or refuse (false).
    pub approve: bool,
}

/// An admin approves or refuses a request to join.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/requests/{request}", tag = "messenger",
    params(("id" = i64, Path, description = "Conversation"), ("request" = i64, Path, description = "Request")),
    request_body = Decision,
    responses((status = 204, description = "Decided"),
        (status = 403, description = "Not an admin", body = super::ErrorBody),
        (status = 404, description = "No such open request", body = super::ErrorBody),
        (status = 409, description = "Guests not allowed", body = super::ErrorBody)),
    security(("token" = ["messages:write"]), ("session" = [])))]
async fn decide(
    State(st): State<AppState>,
    c: ApiCaller,
    Path((id, request)): Path<(i64, i64)>,
    body: std::result::Result<Json<Decision>, JsonRejection>,
) -> Result<axum::http::StatusCode> {
    writer(&c)?;
    let d = json(body)?;
    st.messenger.decide(&c.user, id, request, d.approve).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

/// Who will see what the caller says there (shown before sending).
#[utoipa::path(get, path = "/api/v1/conversations/{id}/audience", tag = "messenger",
    params(("id" = i64, Path, description = "Conversation")),
    responses((status = 200, description = "Audience", body = AudienceView),
        (status = 404, description = "Not a member", body = super::ErrorBody)),
    security(("token" = ["messages:read"]), ("session" = [])))]
async fn audience(
    State(st): State<AppState>,
    c: ApiCaller,
    Path(id): Path<i64>,
) -> Result<Json<AudienceView>> {
    reader(&c)?;
    st.messenger.membership(c.user.id, id).await?;
    Ok(Json(st.messenger.audience(&c.user, id).await?))
}

/// A page of messages.
#[derive(Deserialize, IntoParams)]
pub struct Page {
    /// Messages before this id (default: the latest).
    pub before: Option<i64>,
    /// How many (1 to 500, default 100).
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
    responses((status = 200, description = "Messages", body = [MessageView]),
        (status = 403, description = "A 不得轉傳 conversation read with a token", body = super::ErrorBody),
        (status = 404, description = "Not a member", body = super::ErrorBody)),
    security(("token" = ["messages:read"]), ("session" = [])))]
async fn messages(
    State(st): State<AppState>,
    c: ApiCaller,
    Path(id): Path<i64>,
    p: std::result::Result<Query<Page>, QueryRejection>,
) -> Result<Json<Vec<MessageView>>> {
    reader(&c)?;
    let p = query(p)?;
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
    responses((status = 200, description = "The gate's answer", body = GateOutcome),
        (status = 400, description = "Empty, too long, bad client_id", body = super::ErrorBody),
        (status = 403, description = "Notices are for admins", body = super::ErrorBody),
        (status = 404, description = "Not a member", body = super::ErrorBody),
        (status = 409, description = "client_id reused for another text", body = super::ErrorBody)),
    security(("token" = ["messages:write"]), ("session" = [])))]
async fn send(
    State(st): State<AppState>,
    c: ApiCaller,
    Path(id): Path<i64>,
    body: std::result::Result<Json<Draft>, JsonRejection>,
) -> Result<Json<GateOutcome>> {
    writer(&c)?;
    let d = json(body)?;
    Ok(Json(st.messenger.send(&c.user, &c.ip, id, d).await?))
}

/// How far the caller has read.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReadUpTo {
    /// The last message read.
    pub upto: i64,
}

/// Marks messages read (read receipts of notices).
#[utoipa::path(post, path = "/api/v1/conversations/{id}/read", tag = "messenger",
    params(("id" = i64, Path, description = "Conversation")), request_body = ReadUpTo,
    responses((status = 204, description = "Recorded"),
        (status = 404, description = "Not a member", body = super::ErrorBody)),
    security(("token" = ["messages:write"]), ("session" = [])))]
async fn read(
    State(st): State<AppState>,
    c: ApiCaller,
    Path(id): Path<i64>,
    body: std::result::Result<Json<ReadUpTo>, JsonRejection>,
) -> Result<axum::http::StatusCode> {
    writer(&c)?;
    let r = json(body)?;
    st.messenger.mark_read(&c.user, id, r.upto).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

/// A new text for one's own message.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EditIn {
    /// The new text.
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
    responses((status = 200, description = "The gate's answer", body = GateOutcome),
        (status = 403, description = "Not the sender", body = super::ErrorBody),
        (status = 404, description = "Not visible", body = super::ErrorBody),
        (status = 409, description = "Past the window, or withdrawn", body = super::ErrorBody)),
    security(("token" = ["messages:write"]), ("session" = [])))]
async fn edit(
    State(st): State<AppState>,
    c: ApiCaller,
    Path(id): Path<i64>,
    body: std::result::Result<Json<EditIn>, JsonRejection>,
) -> Result<Json<GateOutcome>> {
    writer(&c)?;
    let e = json(body)?;
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
    responses((status = 204, description = "Withdrawn"),
        (status = 403, description = "Not the sender", body = super::ErrorBody),
        (status = 404, description = "Not visible", body = super::ErrorBody),
        (status = 409, description = "Past the window, or already withdrawn", body = super::ErrorBody)),
    security(("token" = ["messages:write"]), ("session" = [])))]
async fn recall(
    State(st): State<AppState>,
    c: ApiCaller,
    Path(id): Path<i64>,
) -> Result<axum::http::StatusCode> {
    writer(&c)?;
    st.messenger.recall(&c.user, id).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

/// Forwards a message: first answer `confirm` naming the target and its audience; send again
/// with `confirm_target` equal to `to`.
#[utoipa::path(post, path = "/api/v1/messages/{id}/forward", tag = "messenger",
    params(("id" = i64, Path, description = "Message")), request_body = ForwardDraft,
    responses((status = 200, description = "The gate's answer", body = GateOutcome),
        (status = 404, description = "Message or target not visible", body = super::ErrorBody),
        (status = 409, description = "Withdrawn", body = super::ErrorBody)),
    security(("token" = ["messages:write"]), ("session" = [])))]
async fn forward(
    State(st): State<AppState>,
    c: ApiCaller,
    Path(id): Path<i64>,
    body: std::result::Result<Json<ForwardDraft>, JsonRejection>,
) -> Result<Json<GateOutcome>> {
    writer(&c)?;
    let f = json(body)?;
    Ok(Json(st.messenger.forward(&c.user, &c.ip, id, f).await?))
}

/// Read receipts of a notice (its sender and the group's admins).
#[utoipa::path(get, path = "/api/v1/messages/{id}/receipts", tag = "messenger",
    params(("id" = i64, Path, description = "Message")),
    responses((status = 200, description = "Each member and when they read it", body = [Receipt]),
        (status = 403, description = "Neither sender nor admin", body = super::ErrorBody),
        (status = 404, description = "Not visible", body = super::ErrorBody)),
    security(("token" = ["messages:read"]), ("session" = [])))]
async fn receipts(
    State(st): State<AppState>,
    c: ApiCaller,
    Path(id): Path<i64>,
) -> Result<Json<Vec<Receipt>>> {
    reader(&c)?;
    Ok(Json(st.messenger.receipts(&c.user, id).await?))
}

/// A cursor.
#[derive(Deserialize, IntoParams)]
pub struct Since {
    /// The last event seen (0: from the start of one's memberships).
    #[serde(default)]
    pub since: i64,
    /// How many (1 to 5000, default 1000).
    pub limit: Option<i64>,
}

/// Events after a cursor in the caller's conversations (what a reconnecting client missed).
#[utoipa::path(get, path = "/api/v1/events", tag = "messenger", params(Since),
    responses((status = 200, description = "Events, oldest first", body = [EventView]),
        (status = 401, description = "Not signed in", body = super::ErrorBody)),
    security(("token" = ["messages:read"]), ("session" = [])))]
async fn events(
    State(st): State<AppState>,
    c: ApiCaller,
    q: std::result::Result<Query<Since>, QueryRejection>,
) -> Result<Json<Vec<EventView>>> {
    reader(&c)?;
    let q = query(q)?;
    let all = st
        .messenger
        .events_since(c.user.id, q.since, q.limit.unwrap_or(1000), !by_token(&c))
        .await?;
    Ok(Json(all))
}

/// A conversation's whole record for an investigation (integrity officers; the export is
/// logged with its SHA-256).
#[utoipa::path(get, path = "/api/v1/conversations/{id}/export", tag = "messenger",
    params(("id" = i64, Path, description = "Conversation")),
    responses((status = 200, description = "Messages with their archived versions, events with log positions", body = Export),
        (status = 403, description = "Integrity officers only", body = super::ErrorBody),
        (status = 404, description = "No such conversation", body = super::ErrorBody)),
    security(("session" = [])))]
async fn export(
    State(st): State<AppState>,
    c: ApiCaller,
    Path(id): Path<i64>,
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

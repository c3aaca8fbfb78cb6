//! The messenger's API for people and conversations: the directory, groups and one-to-one
//! conversations, members, requests to join and the audience a sender will reach.

use super::input::{Int, J, P, Q};
use super::messages::{reader, writer};
use crate::auth::ApiCaller;
use crate::error::{Error, Result};
use crate::messenger::Sensitivity;
use crate::messenger::gate::AudienceView;
use crate::messenger::members::RequestView;
use crate::messenger::read::{ConversationView, MemberView, Person};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Search text.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
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
pub(super) async fn directory(
    State(st): State<AppState>,
    c: ApiCaller,
    Q(q): Q<DirectoryQuery>,
) -> Result<Json<Vec<Person>>> {
    reader(&c)?;
    if q.q.chars().count() > 100 {
        return Err(Error::BadRequest("q: at most 100 characters".into()));
    }
    Ok(Json(st.messenger.directory(&c.user, &q.q).await?))
}

/// The caller's conversations.
#[utoipa::path(get, path = "/api/v1/conversations", tag = "messenger",
    responses((status = 400, description = "Malformed request", body = super::ErrorBody),
        (status = 200, description = "Conversations, latest activity first", body = [ConversationView]),
        (status = 401, description = "Not signed in", body = super::ErrorBody),
        (status = 403, description = "Scope missing", body = super::ErrorBody)),
    security(("token" = ["messages:read"]), ("session" = [])))]
pub(super) async fn list(
    State(st): State<AppState>,
    c: ApiCaller,
) -> Result<Json<Vec<ConversationView>>> {
    reader(&c)?;
    let mut all = st.messenger.conversations(c.user.id).await?;
    if super::messages::by_token(&c) {
        all.retain(|v| v.sensitivity != Sensitivity::NoForward);
    }
    Ok(Json(all))
}

/// A new group; the caller is its admin.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewGroup {
    /// Title (1 to 80 characters, no control characters).
    #[schema(
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$",
        max_length = 80
    )]
    pub title: String,
    /// Sensitivity (default `normal`).
    #[serde(default)]
    pub sensitivity: Option<Sensitivity>,
    /// Members besides the caller, added at once.
    #[serde(default)]
    #[schema(value_type = Vec<i64>, max_items = 1000)]
    pub members: Vec<Int>,
}

/// A one-to-one conversation.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewDirect {
    /// The other person.
    #[schema(value_type = i64)]
    pub with: Int,
}

/// A conversation's id.
#[derive(Serialize, ToSchema)]
pub struct Created {
    /// Id.
    pub id: i64,
}

/// Creates a group with the caller as its admin.
#[utoipa::path(post, path = "/api/v1/conversations", tag = "messenger", request_body = NewGroup,
    responses((status = 401, description = "Not signed in", body = super::ErrorBody),
        (status = 200, description = "The group", body = Created),
        (status = 400, description = "Malformed request", body = super::ErrorBody),
        (status = 403, description = "Guests cannot create groups; scope missing", body = super::ErrorBody),
        (status = 404, description = "No such person", body = super::ErrorBody),
        (status = 409, description = "A guest named for an agency-only group", body = super::ErrorBody)),
    security(("token" = ["messages:write"]), ("session" = [])))]
pub(super) async fn create(
    State(st): State<AppState>,
    c: ApiCaller,
    J(n): J<NewGroup>,
) -> Result<Json<Created>> {
    writer(&c)?;
    if n.members.len() > 1000 {
        return Err(Error::BadRequest("at most 1000 members at once".into()));
    }
    let members: Vec<i64> = n.members.iter().map(|m| m.0).collect();
    let id = st
        .messenger
        .create_group(
            &c.user,
            &n.title,
            n.sensitivity.unwrap_or(Sensitivity::Normal),
            &members,
        )
        .await?;
    Ok(Json(Created { id }))
}

/// Opens (creating on first use) the one-to-one conversation with someone.
#[utoipa::path(post, path = "/api/v1/conversations/direct", tag = "messenger", request_body = NewDirect,
    responses((status = 401, description = "Not signed in", body = super::ErrorBody),
        (status = 200, description = "The conversation", body = Created),
        (status = 400, description = "Malformed request", body = super::ErrorBody),
        (status = 403, description = "Scope missing", body = super::ErrorBody),
        (status = 404, description = "No such person (or not visible to a guest)", body = super::ErrorBody),
        (status = 409, description = "With oneself", body = super::ErrorBody)),
    security(("token" = ["messages:write"]), ("session" = [])))]
pub(super) async fn direct(
    State(st): State<AppState>,
    c: ApiCaller,
    J(n): J<NewDirect>,
) -> Result<Json<Created>> {
    writer(&c)?;
    let id = st.messenger.direct(&c.user, n.with.0).await?;
    Ok(Json(Created { id }))
}

/// Members of one of the caller's conversations.
#[utoipa::path(get, path = "/api/v1/conversations/{id}/members", tag = "messenger",
    params(("id" = i64, Path, description = "Conversation")),
    responses((status = 401, description = "Not signed in", body = super::ErrorBody),
        (status = 403, description = "Scope missing", body = super::ErrorBody),
        (status = 400, description = "Malformed request", body = super::ErrorBody),
        (status = 200, description = "Members", body = [MemberView]),
        (status = 404, description = "Not a member (or no such conversation)", body = super::ErrorBody)),
    security(("token" = ["messages:read"]), ("session" = [])))]
pub(super) async fn members(
    State(st): State<AppState>,
    c: ApiCaller,
    P(id): P<i64>,
) -> Result<Json<Vec<MemberView>>> {
    reader(&c)?;
    Ok(Json(st.messenger.members(c.user.id, id).await?))
}

/// A person to add.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Invite {
    /// User id.
    #[schema(value_type = i64)]
    pub user: Int,
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
    responses((status = 401, description = "Not signed in", body = super::ErrorBody),
        (status = 403, description = "Scope missing", body = super::ErrorBody),
        (status = 200, description = "Added or requested", body = Invited),
        (status = 400, description = "No such person", body = super::ErrorBody),
        (status = 404, description = "Not a member", body = super::ErrorBody),
        (status = 409, description = "Already a member; guests not allowed", body = super::ErrorBody)),
    security(("token" = ["messages:write"]), ("session" = [])))]
pub(super) async fn invite(
    State(st): State<AppState>,
    c: ApiCaller,
    P(id): P<i64>,
    J(i): J<Invite>,
) -> Result<Json<Invited>> {
    writer(&c)?;
    let request = st.messenger.invite(&c.user, id, i.user.0).await?;
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
    responses((status = 401, description = "Not signed in", body = super::ErrorBody),
        (status = 400, description = "Malformed request", body = super::ErrorBody),
        (status = 204, description = "Done"),
        (status = 403, description = "Only admins remove others", body = super::ErrorBody),
        (status = 404, description = "Not a member", body = super::ErrorBody),
        (status = 409, description = "A one-to-one conversation", body = super::ErrorBody)),
    security(("token" = ["messages:write"]), ("session" = [])))]
pub(super) async fn remove(
    State(st): State<AppState>,
    c: ApiCaller,
    P((id, user)): P<(i64, i64)>,
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
    responses((status = 401, description = "Not signed in", body = super::ErrorBody),
        (status = 400, description = "Malformed request", body = super::ErrorBody),
        (status = 204, description = "Done"),
        (status = 403, description = "Not an admin", body = super::ErrorBody),
        (status = 404, description = "Not a member", body = super::ErrorBody),
        (status = 409, description = "The last admin", body = super::ErrorBody)),
    security(("token" = ["messages:write"]), ("session" = [])))]
pub(super) async fn set_admin(
    State(st): State<AppState>,
    c: ApiCaller,
    P((id, user)): P<(i64, i64)>,
    J(f): J<AdminFlag>,
) -> Result<axum::http::StatusCode> {
    writer(&c)?;
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
    responses((status = 401, description = "Not signed in", body = super::ErrorBody),
        (status = 403, description = "Scope missing", body = super::ErrorBody),
        (status = 400, description = "Malformed request", body = super::ErrorBody),
        (status = 200, description = "Requested", body = RequestMade),
        (status = 404, description = "No such group", body = super::ErrorBody),
        (status = 409, description = "Already a member", body = super::ErrorBody)),
    security(("token" = ["messages:write"]), ("session" = [])))]
pub(super) async fn join(
    State(st): State<AppState>,
    c: ApiCaller,
    P(id): P<i64>,
) -> Result<Json<RequestMade>> {
    writer(&c)?;
    let request = st.messenger.ask_to_join(&c.user, id).await?;
    Ok(Json(RequestMade { request }))
}

/// Open requests to join (admins).
#[utoipa::path(get, path = "/api/v1/conversations/{id}/requests", tag = "messenger",
    params(("id" = i64, Path, description = "Conversation")),
    responses((status = 401, description = "Not signed in", body = super::ErrorBody),
        (status = 400, description = "Malformed request", body = super::ErrorBody),
        (status = 200, description = "Open requests", body = [RequestView]),
        (status = 403, description = "Not an admin", body = super::ErrorBody),
        (status = 404, description = "Not a member", body = super::ErrorBody)),
    security(("token" = ["messages:read"]), ("session" = [])))]
pub(super) async fn requests(
    State(st): State<AppState>,
    c: ApiCaller,
    P(id): P<i64>,
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
    responses((status = 401, description = "Not signed in", body = super::ErrorBody),
        (status = 400, description = "Malformed request", body = super::ErrorBody),
        (status = 204, description = "Decided"),
        (status = 403, description = "Not an admin", body = super::ErrorBody),
        (status = 404, description = "No such open request", body = super::ErrorBody),
        (status = 409, description = "Guests not allowed", body = super::ErrorBody)),
    security(("token" = ["messages:write"]), ("session" = [])))]
pub(super) async fn decide(
    State(st): State<AppState>,
    c: ApiCaller,
    P((id, request)): P<(i64, i64)>,
    J(d): J<Decision>,
) -> Result<axum::http::StatusCode> {
    writer(&c)?;
    st.messenger.decide(&c.user, id, request, d.approve).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

/// Who will see what the caller says there (shown before sending).
#[utoipa::path(get, path = "/api/v1/conversations/{id}/audience", tag = "messenger",
    params(("id" = i64, Path, description = "Conversation")),
    responses((status = 401, description = "Not signed in", body = super::ErrorBody),
        (status = 403, description = "Scope missing", body = super::ErrorBody),
        (status = 400, description = "Malformed request", body = super::ErrorBody),
        (status = 200, description = "Audience", body = AudienceView),
        (status = 404, description = "Not a member", body = super::ErrorBody)),
    security(("token" = ["messages:read"]), ("session" = [])))]
pub(super) async fn audience(
    State(st): State<AppState>,
    c: ApiCaller,
    P(id): P<i64>,
) -> Result<Json<AudienceView>> {
    reader(&c)?;
    st.messenger.membership(c.user.id, id).await?;
    Ok(Json(st.messenger.audience(&c.user, id).await?))
}

//! The live stream (`GET /api/v1/stream?since=N`, WebSocket). The server first replays every
//! event after `since` in the caller's conversations, then sends live events; the connection
//! registers before the replay and skips what the replay already sent, so nothing is lost or
//! sent twice. A client too slow to keep up is closed with code 4000 and resumes from its last
//! `seq`.
//!
//! Frames from the server: an event (an object with `seq`), or the answer to a frame the client
//! sent: `{"reply": client_id, "outcome": ...}` / `{"reply": client_id, "error": ...}`.
//! Frames from the client: `{"send": conversation, "draft": {...}}` (the same draft as
//! `POST /conversations/{id}/messages`), `{"read": conversation, "upto": id}`.

use crate::auth::{ApiCaller, Via};
use crate::error::{Error, Result};
use crate::messenger::send::Draft;
use crate::state::AppState;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use futures_util::{SinkExt, StreamExt};
use serde::Deserialize;
use std::collections::HashMap;
use std::time::Duration;

/// Where to resume.
#[derive(Deserialize)]
pub struct Resume {
    /// The last event the client has (0: none).
    #[serde(default)]
    pub since: i64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClientFrame {
    send: Option<i64>,
    draft: Option<Draft>,
    read: Option<i64>,
    upto: Option<i64>,
}

/// Refuses a handshake from another site's page (the cookie would go along).
fn same_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get("origin").and_then(|v| v.to_str().ok()) else {
        return true; // not a browser
    };
    let host = headers
        .get("host")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    origin
        .split_once("://")
        .is_some_and(|(_, h)| !host.is_empty() && h == host)
}

/// Opens the stream.
pub async fn stream(
    State(st): State<AppState>,
    c: ApiCaller,
    headers: HeaderMap,
    q: std::result::Result<Query<Resume>, axum::extract::rejection::QueryRejection>,
    ws: std::result::Result<
        WebSocketUpgrade,
        axum::extract::ws::rejection::WebSocketUpgradeRejection,
    >,
) -> Result<Response> {
    c.require_scope("messages:read")?;
    let since = q
        .map(|Query(r)| r.since)
        .map_err(|e| Error::BadRequest(e.body_text()))?;
    if !same_origin(&headers) {
        return Err(Error::Forbidden);
    }
    let ws = ws.map_err(|_| Error::BadRequest("a WebSocket handshake is expected".into()))?;
    Ok(ws
        .max_message_size(256 << 10)
        // tungstenite zeroes its whole read buffer on every read: 128 KiB by default, which
        // was a fifth of the server's time under load. Frames here are small.
        .read_buffer_size(4096)
        .on_upgrade(move |socket| run(st, c, since, socket)))
}

async fn run(st: AppState, c: ApiCaller, since: i64, socket: WebSocket) {
    if let Err(e) = session(st, c, since, socket).await {
        tracing::debug!(error = %e, "stream ended");
    }
}

async fn session(st: AppState, c: ApiCaller, since: i64, socket: WebSocket) -> Result<()> {
    let token = matches!(c.via, Via::Token(_));
    let m = &st.messenger;
    let (mut tx, mut rx) = socket.split();
    let closed = |e: axum::Error| Error::Internal(format!("websocket: {e}"));
    // A cursor from the future (another server's data, a bad client) starts at the present;
    // read before registering, so that what commits in between is replayed.
    let now = m.cursor().await?;
    // Register before the replay: whatever commits during it arrives live and is skipped if
    // the replay had it.
    let mut sub = m.hub().subscribe(c.user.id);
    let mut cursor = since.clamp(0, now);
    loop {
        let batch = m.events_since(c.user.id, cursor, 1000, !token).await?;
        let n = batch.len();
        for e in batch {
            cursor = e.seq;
            let json = serde_json::to_string(&e).expect("serialisable");
            tx.send(Message::Text(json.into())).await.map_err(closed)?;
        }
        if n < 1000 {
            break;
        }
    }
    // Whether a conversation is 不得轉傳, for token connections (which never see those).
    let mut no_forward: HashMap<i64, bool> = HashMap::new();
    let mut ping = tokio::time::interval(Duration::from_secs(30));
    ping.tick().await;
    loop {
        tokio::select! {
            d = sub.events.recv() => {
                let Some(d) = d else {
                    let _ = tx.send(Message::Close(Some(CloseFrame {
                        code: 4000,
                        reason: "too slow: resume from your last seq".into(),
                    }))).await;
                    return Ok(());
                };
                if d.seq <= cursor {
                    continue;
                }
                cursor = d.seq;
                if token && hidden(&st, &mut no_forward, &d.json).await? {
                    continue;
                }
                tx.send(Message::Text(d.json.to_string().into())).await.map_err(closed)?;
            }
            frame = rx.next() => {
                let Some(frame) = frame else { return Ok(()) };
                match frame.map_err(closed)? {
                    Message::Text(t) => {
                        let answer = handle(&st, &c, t.as_str()).await;
                        tx.send(Message::Text(answer.into())).await.map_err(closed)?;
                    }
                    Message::Close(_) => return Ok(()),
                    _ => {}
                }
            }
            _ = ping.tick() => {
                tx.send(Message::Ping(Vec::new().into())).await.map_err(closed)?;
            }
        }
    }
}

async fn hidden(st: &AppState, cache: &mut HashMap<i64, bool>, json: &str) -> Result<bool> {
    #[derive(Deserialize)]
    struct Conv {
        conversation: i64,
    }
    let Ok(c) = serde_json::from_str::<Conv>(json) else {
        return Ok(false);
    };
    if let Some(h) = cache.get(&c.conversation) {
        return Ok(*h);
    }
    let s: Option<String> =
        sqlx::query_scalar("SELECT sensitivity FROM conversations WHERE id = ?")
            .bind(c.conversation)
            .fetch_optional(&st.db)
            .await?;
    let h = s.as_deref() == Some("no_forward");
    cache.insert(c.conversation, h);
    Ok(h)
}

/// Answers one client frame.
async fn handle(st: &AppState, c: &ApiCaller, text: &str) -> String {
    let reply_to;
    let result: Result<serde_json::Value> = match serde_json::from_str::<ClientFrame>(text) {
        Err(e) => {
            reply_to = String::new();
            Err(Error::BadRequest(format!("frame: {e}")))
        }
        Ok(f) => {
            reply_to = f
                .draft
                .as_ref()
                .map(|d| d.client_id.clone())
                .unwrap_or_default();
            match (f.send, f.draft, f.read, f.upto) {
                (Some(conv), Some(d), None, None) => match c.require_scope("messages:write") {
                    Err(e) => Err(e),
                    Ok(()) => st
                        .messenger
                        .send(&c.user, &c.ip, conv, d)
                        .await
                        .map(|o| serde_json::to_value(o).expect("serialisable")),
                },
                (None, None, Some(conv), Some(upto)) => match c.require_scope("messages:write") {
                    Err(e) => Err(e),
                    Ok(()) => st
                        .messenger
                        .mark_read(&c.user, conv, upto)
                        .await
                        .map(|_| serde_json::json!({"read": upto})),
                },
                _ => Err(Error::BadRequest(
                    "a frame is {\"send\": id, \"draft\": {...}} or {\"read\": id, \"upto\": n}"
                        .into(),
                )),
            }
        }
    };
    match result {
        Ok(outcome) => serde_json::json!({"reply": reply_to, "outcome": outcome}).to_string(),
        Err(e) => {
            if let Error::Internal(detail) = &e {
                tracing::error!(%detail, "stream frame failed");
            }
            serde_json::json!({"reply": reply_to, "error": {"error": e.code(), "message": e.to_string()}})
                .to_string()
        }
    }
}

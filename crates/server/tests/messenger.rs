//! The guarded messenger through its API, one test per case of the seeds: the classified page
//! blocked and its attempt logged, the whistleblower's letter in a 20-member group masked, the
//! forward that names its target, the stranger who needs an admin, the recalled message kept
//! for the integrity office, the guest who cannot forward out of a 不得轉傳 group; and that a
//! non-member reaches nothing through any route.

mod common;

use common::chat::*;
use common::*;
use serde_json::{Value, json};

#[tokio::test]
async fn the_photographed_classified_page_is_blocked_and_the_attempt_logged_without_content() {
    let dir = tempfile::tempdir().unwrap();
    let st = setup(dir.path()).await;
    let chief = token(&st, "chief").await;
    let chen = token(&st, "chen").await;
    let conv = group(&st, &chief, "偵查隊勤務群組", "normal", &[chen.id]).await;
    let text = "密等及解密條件或保密期限：機密\n主旨：本週擴大臨檢勤務規劃";
    let v = say(&st, &chen, conv, "c-1", text, json!({})).await;
    assert_eq!(v["status"], "blocked", "{v}");
    assert_eq!(v["reasons"][0]["rule"], "classified-content");
    assert!(v["reasons"][0]["zh"].as_str().unwrap().contains("機密"));
    assert_eq!(v["found"][0]["kind"], "classification");
    assert_eq!(v["found"][0]["level"], "機密");
    // Not stored: nobody sees anything.
    assert!(texts(&st, &chief, conv).await.is_empty());
    // Confirming does not help.
    let v = say(&st, &chen, conv, "c-1", text, json!({"confirm": true})).await;
    assert_eq!(v["status"], "blocked");
    // The attempts are recorded (kind, never content).
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT target, detail FROM audit_events WHERE action = 'message.blocked' AND actor_id = ?",
    )
    .bind(chen.id)
    .fetch_all(&st.db)
    .await
    .unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].0, format!("conversation:{conv}"));
    assert!(rows[0].1.contains("\"classification\":1"), "{}", rows[0].1);
    assert!(
        !rows[0].1.contains("臨檢"),
        "content leaked into the record"
    );
    // Talking about secrecy is fine.
    let v = say(
        &st,
        &chen,
        conv,
        "c-2",
        "提醒：機密公文不得拍照上傳 LINE。",
        json!({}),
    )
    .await;
    assert_eq!(v["status"], "sent", "{v}");
}

#[tokio::test]
async fn the_whistleblower_letter_in_a_20_member_group_is_stopped_and_goes_masked() {
    let dir = tempfile::tempdir().unwrap();
    let st = setup(dir.path()).await;
    let wu = token(&st, "wu").await;
    let mut members = Vec::new();
    for i in 10..30 {
        members.push(user_id(&st, &format!("clerk{i}")).await);
    }
    let conv = group(&st, &wu, "行政科同仁", "normal", &members).await;
    let letter = "轉知檢舉案：檢舉人陳大文（身分證A123456789，電話0912-345-678）反映路燈損壞。";
    let v = say(&st, &wu, conv, "w-1", letter, json!({})).await;
    assert_eq!(v["status"], "mask", "{v}");
    assert_eq!(v["audience"]["members"], 21);
    assert_eq!(v["audience"]["guests"], 0);
    assert_eq!(v["audience"]["scope"], "same_unit");
    let masked = v["masked_text"].as_str().unwrap().to_string();
    assert!(
        !masked.contains("A123456789") && !masked.contains("陳大文") && !masked.contains("345-678"),
        "{masked}"
    );
    let shown = v["found"].to_string();
    assert!(
        !shown.contains("A123456789") && !shown.contains("陳大文"),
        "{shown}"
    );
    // Confirming alone is not enough: the identity of a complainant is masked.
    let v = say(&st, &wu, conv, "w-1", letter, json!({"confirm": true})).await;
    assert_eq!(v["status"], "mask");
    assert!(texts(&st, &wu, conv).await.is_empty());
    let v = say(&st, &wu, conv, "w-1", letter, json!({"masked": true})).await;
    assert_eq!(v["status"], "sent", "{v}");
    let clerk = token(&st, "clerk10").await;
    let seen = texts(&st, &clerk, conv).await;
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0]["text"].as_str().unwrap(), masked);
    // Plain personal data inside the agency asks first, then goes as written.
    let note = "請聯絡承辦人，電話0912-000-111。";
    let v = say(&st, &wu, conv, "w-2", note, json!({})).await;
    assert_eq!(v["status"], "confirm", "{v}");
    assert!(v["masked_text"].as_str().is_some());
    let v = say(&st, &wu, conv, "w-2", note, json!({"confirm": true})).await;
    assert_eq!(v["status"], "sent");
    // A resend of the same client id is the same message, not a second one.
    let again = say(&st, &wu, conv, "w-2", note, json!({"confirm": true})).await;
    assert_eq!(again["message_id"], v["message_id"]);
    assert_eq!(again["duplicate"], true);
    assert_eq!(texts(&st, &clerk, conv).await.len(), 2);
    // The record of the stored one says what the gate decided.
    let gate: String = sqlx::query_scalar("SELECT gate FROM messages WHERE id = ?")
        .bind(v["message_id"].as_i64().unwrap())
        .fetch_one(&st.db)
        .await
        .unwrap();
    let gate: Value = serde_json::from_str(&gate).unwrap();
    assert_eq!(gate["action"], "confirm");
    assert_eq!(gate["confirmed"], true);
    assert_eq!(gate["members"], 21);
    // Stored sealed: the text is nowhere in the database file in clear.
    let db = std::fs::read(dir.path().join("baomi.db")).unwrap();
    let wal = std::fs::read(dir.path().join("baomi.db-wal")).unwrap_or_default();
    for hay in [&db, &wal] {
        assert!(
            !hay.windows("0912-000-111".len())
                .any(|w| w == "0912-000-111".as_bytes()),
            "message text stored in clear"
        );
    }
}

#[tokio::test]
async fn a_forward_names_its_target_and_audience_and_waits_for_confirmation() {
    let dir = tempfile::tempdir().unwrap();
    let st = setup(dir.path()).await;
    let chief = token(&st, "chief").await;
    let chen = token(&st, "chen").await;
    let vendor = user_id(&st, "vendor").await;
    let raid = group(&st, &chief, "專案勤務", "normal", &[chen.id]).await;
    let friends = group(&st, &chen, "球友會", "normal", &[vendor]).await;
    let v = say(
        &st,
        &chief,
        raid,
        "r-1",
        "明早六點集合，地點另行通知。",
        json!({}),
    )
    .await;
    let msg = v["message_id"].as_i64().unwrap();
    let path = format!("/api/v1/messages/{msg}/forward");
    let (s, v) = call(
        &st,
        &chen,
        "POST",
        &path,
        Some(json!({"to": friends, "client_id": "f-1"})),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["status"], "confirm", "{v}");
    assert_eq!(v["target_title"], "球友會");
    assert_eq!(v["audience"]["members"], 2);
    assert_eq!(v["audience"]["guests"], 1);
    assert!(v["reasons"][0]["zh"].as_str().unwrap().contains("球友會"));
    // Confirming another conversation's id is not confirming this one.
    let (_, v) = call(
        &st,
        &chen,
        "POST",
        &path,
        Some(json!({"to": friends, "client_id": "f-1", "confirm_target": raid})),
    )
    .await;
    assert_eq!(v["status"], "confirm");
    let vendor_who = token(&st, "vendor").await;
    assert!(texts(&st, &vendor_who, friends).await.is_empty());
    let (_, v) = call(
        &st,
        &chen,
        "POST",
        &path,
        Some(json!({"to": friends, "client_id": "f-1", "confirm_target": friends})),
    )
    .await;
    assert_eq!(v["status"], "sent", "{v}");
    let seen = texts(&st, &vendor_who, friends).await;
    assert_eq!(seen[0]["forwarded"]["conversation_title"], "專案勤務");
    assert_eq!(seen[0]["forwarded"]["sender"], "趙隊長");
    assert_eq!(seen[0]["sender"]["name"], "陳偵查員");
    // Members see the guest marked external.
    let (_, m) = call(
        &st,
        &chen,
        "GET",
        &format!("/api/v1/conversations/{friends}/members"),
        None,
    )
    .await;
    let guest = m
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == vendor)
        .unwrap();
    assert_eq!(guest["external"], true);
}

#[tokio::test]
async fn a_stranger_joins_only_with_an_admins_approval() {
    let dir = tempfile::tempdir().unwrap();
    let st = setup(dir.path()).await;
    let chief = token(&st, "chief").await;
    let lin = token(&st, "lin").await;
    let wu = token(&st, "wu").await;
    let conv = group(&st, &chief, "偵查隊", "internal", &[lin.id]).await;
    say(&st, &chief, conv, "a-1", "before wu", json!({})).await;
    // The stranger asks; until an admin approves, nothing is visible.
    let (s, v) = call(
        &st,
        &wu,
        "POST",
        &format!("/api/v1/conversations/{conv}/join"),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let request = v["request"].as_i64().unwrap();
    let (s, _) = call(
        &st,
        &wu,
        "GET",
        &format!("/api/v1/conversations/{conv}/messages"),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // A member's invitation is a request too, and a member cannot approve.
    let clerk = user_id(&st, "clerk10").await;
    let (_, v) = call(
        &st,
        &lin,
        "POST",
        &format!("/api/v1/conversations/{conv}/members"),
        Some(json!({"user": clerk})),
    )
    .await;
    assert_eq!(v["status"], "requested", "{v}");
    let (s, _) = call(
        &st,
        &lin,
        "POST",
        &format!("/api/v1/conversations/{conv}/requests/{request}"),
        Some(json!({"approve": true})),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = call(
        &st,
        &lin,
        "GET",
        &format!("/api/v1/conversations/{conv}/requests"),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // A guest cannot even be proposed for an agency-only group.
    let vendor = user_id(&st, "vendor").await;
    let (s, v) = call(
        &st,
        &chief,
        "POST",
        &format!("/api/v1/conversations/{conv}/members"),
        Some(json!({"user": vendor})),
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    let (_, open) = call(
        &st,
        &chief,
        "GET",
        &format!("/api/v1/conversations/{conv}/requests"),
        None,
    )
    .await;
    assert_eq!(open.as_array().unwrap().len(), 2, "{open}");
    let (s, _) = call(
        &st,
        &chief,
        "POST",
        &format!("/api/v1/conversations/{conv}/requests/{request}"),
        Some(json!({"approve": true})),
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    // Joined: sees what is said from now on, not before.
    say(&st, &chief, conv, "a-2", "after wu", json!({})).await;
    let seen = texts(&st, &wu, conv).await;
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0]["text"], "after wu");
    // Leaving and removal are events the admins (and everyone) see.
    let (s, _) = call(
        &st,
        &chief,
        "DELETE",
        &format!("/api/v1/conversations/{conv}/members/{}", wu.id),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (_, ev) = call(&st, &chief, "GET", "/api/v1/events?since=0", None).await;
    let kinds: Vec<&str> = ev
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains(&"join_requested")
            && kinds.contains(&"joined")
            && kinds.contains(&"removed"),
        "{kinds:?}"
    );
    let (s, _) = call(
        &st,
        &wu,
        "GET",
        &format!("/api/v1/conversations/{conv}/messages"),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // Members do not see the requests.
    let (_, ev) = call(&st, &lin, "GET", "/api/v1/events?since=0", None).await;
    assert!(
        ev.as_array()
            .unwrap()
            .iter()
            .all(|e| e["kind"] != "join_requested")
    );
}

#[tokio::test]
async fn a_recalled_message_disappears_for_readers_and_stays_in_the_integrity_export() {
    let dir = tempfile::tempdir().unwrap();
    let st = setup(dir.path()).await;
    let chief = token(&st, "chief").await;
    let lin = token(&st, "lin").await;
    let conv = group(&st, &chief, "偵查隊", "normal", &[lin.id]).await;
    let v = say(
        &st,
        &chief,
        conv,
        "m-1",
        "明天的會議改到下午三點",
        json!({}),
    )
    .await;
    let id = v["message_id"].as_i64().unwrap();
    let (s, v) = call(
        &st,
        &chief,
        "PATCH",
        &format!("/api/v1/messages/{id}"),
        Some(json!({"text": "明天的會議改到下午四點"})),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["status"], "sent");
    // Only the sender edits or withdraws.
    let (s, _) = call(&st, &lin, "DELETE", &format!("/api/v1/messages/{id}"), None).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = call(
        &st,
        &chief,
        "DELETE",
        &format!("/api/v1/messages/{id}"),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let seen = texts(&st, &lin, conv).await;
    assert!(
        seen[0]["text"].is_null() && seen[0]["recalled_at"].is_i64(),
        "{seen:?}"
    );
    let (s, _) = call(
        &st,
        &chief,
        "DELETE",
        &format!("/api/v1/messages/{id}"),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT);
    // Past the window: refused.
    let v = say(&st, &chief, conv, "m-2", "old news", json!({})).await;
    let old = v["message_id"].as_i64().unwrap();
    sqlx::query("UPDATE messages SET at = at - 3600 WHERE id = ?")
        .bind(old)
        .execute(&st.db)
        .await
        .unwrap();
    let (s, v) = call(
        &st,
        &chief,
        "DELETE",
        &format!("/api/v1/messages/{old}"),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    // The export keeps both versions, and is only for integrity officers in person.
    let (s, _) = call(
        &st,
        &chief,
        "GET",
        &format!("/api/v1/conversations/{conv}/export"),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let ian_token = token(&st, "ian").await;
    let (s, _) = call(
        &st,
        &ian_token,
        "GET",
        &format!("/api/v1/conversations/{conv}/export"),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let ian = session(&st, "ian").await;
    let (s, x) = call(
        &st,
        &ian,
        "GET",
        &format!("/api/v1/conversations/{conv}/export"),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{x}");
    let m = &x["messages"][0];
    assert_eq!(m["text"], "明天的會議改到下午四點");
    assert!(m["recalled_at"].is_i64());
    assert_eq!(m["versions"][0]["reason"], "edit");
    assert_eq!(m["versions"][0]["text"], "明天的會議改到下午三點");
    assert_eq!(m["versions"][1]["reason"], "recall");
    // Every event is in the log, and each message event carries the text's hash.
    let log = st.audit.log().unwrap();
    let store = baomi_tlog::store::DirStore::new(&st.log_public);
    st.messenger.flush().await.unwrap();
    let (_, x) = call(
        &st,
        &ian,
        "GET",
        &format!("/api/v1/conversations/{conv}/export"),
        None,
    )
    .await;
    for e in x["events"].as_array().unwrap() {
        let index = e["log_index"].as_u64().expect("every event shipped");
        let bundle = baomi_tlog::reader::read_bundle(&store, index / 256, log.head().size).unwrap();
        assert_eq!(
            bundle[(index % 256) as usize],
            e["entry"].as_str().unwrap().as_bytes()
        );
    }
    let exported: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM audit_events WHERE action = 'message.export'")
            .fetch_one(&st.db)
            .await
            .unwrap();
    assert_eq!(exported, 2);
}

#[tokio::test]
async fn a_guest_cannot_forward_out_of_a_no_forward_group_nor_copy_it_out_with_a_token() {
    let dir = tempfile::tempdir().unwrap();
    let st = setup(dir.path()).await;
    let chief = session(&st, "chief").await;
    let vendor = session(&st, "vendor").await;
    let lin = token(&st, "lin").await;
    let conv = group(&st, &chief, "工程會勘", "no_forward", &[vendor.id, lin.id]).await;
    let v = say(
        &st,
        &chief,
        conv,
        "n-1",
        "會勘時間：週五上午十點",
        json!({}),
    )
    .await;
    let msg = v["message_id"].as_i64().unwrap();
    let (s, v) = call(
        &st,
        &vendor,
        "POST",
        "/api/v1/conversations/direct",
        Some(json!({"with": chief.id})),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let direct = v["id"].as_i64().unwrap();
    let (s, v) = call(
        &st,
        &vendor,
        "POST",
        &format!("/api/v1/messages/{msg}/forward"),
        Some(json!({"to": direct, "client_id": "x", "confirm_target": direct})),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["status"], "blocked", "{v}");
    assert!(v["reasons"][0]["zh"].as_str().unwrap().contains("不得轉傳"));
    assert!(texts(&st, &chief, direct).await.is_empty());
    // The staff member's own bridge token cannot read it either.
    let (s, _) = call(
        &st,
        &lin,
        "GET",
        &format!("/api/v1/conversations/{conv}/messages"),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (_, list) = call(&st, &lin, "GET", "/api/v1/conversations", None).await;
    assert!(list.as_array().unwrap().iter().all(|c| c["id"] != conv));
    let (_, ev) = call(&st, &lin, "GET", "/api/v1/events", None).await;
    assert!(
        ev.as_array()
            .unwrap()
            .iter()
            .all(|e| e["conversation"] != conv)
    );
    // Guests do not browse the org chart: only people they share a conversation with.
    let (_, people) = call(&st, &vendor, "GET", "/api/v1/directory?q=", None).await;
    let names: Vec<&str> = people
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"趙隊長") && !names.contains(&"吳科員"),
        "{names:?}"
    );
    // Guests cannot start groups.
    let (s, _) = call(
        &st,
        &vendor,
        "POST",
        "/api/v1/conversations",
        Some(json!({"title": "x"})),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_non_member_reaches_nothing_of_a_conversation_through_any_route() {
    let dir = tempfile::tempdir().unwrap();
    let st = setup(dir.path()).await;
    let chief = token(&st, "chief").await;
    let lin = token(&st, "lin").await;
    let wu = token(&st, "wu").await;
    let conv = group(&st, &chief, "偵查隊", "normal", &[lin.id]).await;
    let mine = group(&st, &wu, "行政科", "normal", &[]).await;
    let v = say(
        &st,
        &chief,
        conv,
        "s-1",
        "秘密集合地點",
        json!({"notice": true}),
    )
    .await;
    let msg = v["message_id"].as_i64().unwrap();
    for (method, path, b) in [
        ("GET", format!("/api/v1/conversations/{conv}/members"), None),
        (
            "GET",
            format!("/api/v1/conversations/{conv}/messages"),
            None,
        ),
        (
            "GET",
            format!("/api/v1/conversations/{conv}/audience"),
            None,
        ),
        (
            "GET",
            format!("/api/v1/conversations/{conv}/requests"),
            None,
        ),
        (
            "POST",
            format!("/api/v1/conversations/{conv}/messages"),
            Some(json!({"text": "hi", "client_id": "z"})),
        ),
        (
            "POST",
            format!("/api/v1/conversations/{conv}/read"),
            Some(json!({"upto": msg})),
        ),
        (
            "POST",
            format!("/api/v1/conversations/{conv}/members"),
            Some(json!({"user": wu.id})),
        ),
        (
            "DELETE",
            format!("/api/v1/conversations/{conv}/members/{}", lin.id),
            None,
        ),
        (
            "PATCH",
            format!("/api/v1/messages/{msg}"),
            Some(json!({"text": "x"})),
        ),
        ("DELETE", format!("/api/v1/messages/{msg}"), None),
        ("GET", format!("/api/v1/messages/{msg}/receipts"), None),
        (
            "POST",
            format!("/api/v1/messages/{msg}/forward"),
            Some(json!({"to": mine, "client_id": "y", "confirm_target": mine})),
        ),
    ] {
        let (s, v) = call(&st, &wu, method, &path, b).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{method} {path}: {v}");
        assert!(!v.to_string().contains("秘密"), "{method} {path}: {v}");
    }
    let (_, list) = call(&st, &wu, "GET", "/api/v1/conversations", None).await;
    assert!(list.as_array().unwrap().iter().all(|c| c["id"] != conv));
    let (_, ev) = call(&st, &wu, "GET", "/api/v1/events?since=0", None).await;
    assert!(
        ev.as_array()
            .unwrap()
            .iter()
            .all(|e| e["conversation"] != conv),
        "{ev}"
    );
    let (_, found) = call(&st, &wu, "GET", "/api/v1/search?q=%E7%A7%98%E5%AF%86", None).await;
    assert!(found["hits"].as_array().unwrap().is_empty(), "{found}");
    // A member may not post into the stranger's conversation by forwarding either.
    let (s, _) = call(
        &st,
        &lin,
        "POST",
        &format!("/api/v1/messages/{msg}/forward"),
        Some(json!({"to": mine, "client_id": "q", "confirm_target": mine})),
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // Read receipts of the notice: the sender sees who read it.
    let (s, _) = call(
        &st,
        &lin,
        "POST",
        &format!("/api/v1/conversations/{conv}/read"),
        Some(json!({"upto": msg})),
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (_, r) = call(
        &st,
        &chief,
        "GET",
        &format!("/api/v1/messages/{msg}/receipts"),
        None,
    )
    .await;
    assert_eq!(r[0]["user"]["id"], lin.id);
    assert!(r[0]["read_at"].is_i64(), "{r}");
    let (s, _) = call(
        &st,
        &lin,
        "GET",
        &format!("/api/v1/messages/{msg}/receipts"),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // Unread counts follow what was read.
    let (_, list) = call(&st, &lin, "GET", "/api/v1/conversations", None).await;
    assert_eq!(list[0]["unread"], 0);
}

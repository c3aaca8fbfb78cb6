//! The messenger's records and real time through its API: files through the gate and who may
//! download them, search in one's own conversations, retention, and the WebSocket stream (members
//! only, frames answered, resumed without gaps).

mod common;

use common::chat::*;
use common::*;
use serde_json::{Value, json};

async fn upload(
    st: &AppState,
    who: &Who,
    conv: i64,
    name: &str,
    bytes: &[u8],
    confirm: bool,
) -> (StatusCode, Value) {
    let Auth::Token(t) = &who.auth else {
        panic!("tokens only")
    };
    let req = Request::post(format!(
        "/api/v1/conversations/{conv}/attachments?name={}&client_id={}&confirm={confirm}",
        urlencode(name),
        name.bytes().map(|b| format!("{b:02x}")).collect::<String>()
    ))
    .header(header::AUTHORIZATION, format!("Bearer {t}"))
    .header(header::CONTENT_TYPE, "application/octet-stream")
    .body(Body::from(bytes.to_vec()))
    .unwrap();
    let resp = send(st, req).await;
    let status = resp.status();
    let text = body(resp).await;
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

async fn fetch(st: &AppState, who: &Who, id: i64) -> (StatusCode, Vec<u8>) {
    let mut r = Request::get(format!("/api/v1/attachments/{id}"));
    match &who.auth {
        Auth::Token(t) => r = r.header(header::AUTHORIZATION, format!("Bearer {t}")),
        Auth::Session { cookie, .. } => r = r.header(header::COOKIE, cookie),
    }
    let resp = send(st, r.body(Body::empty()).unwrap()).await;
    let status = resp.status();
    (
        status,
        resp.into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes()
            .to_vec(),
    )
}

#[tokio::test]
async fn files_pass_the_gate_like_text_and_only_members_download_them() {
    let dir = tempfile::tempdir().unwrap();
    let st = setup(dir.path()).await;
    let chief = token(&st, "chief").await;
    let lin = token(&st, "lin").await;
    let wu = token(&st, "wu").await;
    let conv = group(&st, &chief, "偵查隊", "normal", &[lin.id]).await;
    // A classified document as a file: blocked, recorded, not stored.
    let memo = "密等及解密條件或保密期限：機密\n主旨：臨檢勤務規劃".as_bytes();
    let (s, v) = upload(&st, &lin, conv, "勤務規劃.txt", memo, true).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["status"], "blocked", "{v}");
    assert_eq!(v["reasons"][0]["rule"], "classified-content");
    let files = std::fs::read_dir(dir.path().join("attachments"))
        .map(|d| d.count())
        .unwrap_or(0);
    assert_eq!(files, 0, "a blocked file is not stored");
    // What cannot be read is not inspected, so it does not go either.
    let (_, v) = upload(
        &st,
        &lin,
        conv,
        "data.bin",
        &[0, 159, 146, 150, 0, 1, 2, 3, 255, 254],
        true,
    )
    .await;
    assert_eq!(v["status"], "blocked", "{v}");
    // Personal data inside the agency: confirm first, then it goes.
    let list = "承辦人聯絡電話：0912-345-678".as_bytes();
    let (_, v) = upload(&st, &lin, conv, "名單.txt", list, false).await;
    assert_eq!(v["status"], "confirm", "{v}");
    assert!(
        v["found"][0]["label"].as_str().unwrap().contains("電話"),
        "{v}"
    );
    let (_, v) = upload(&st, &lin, conv, "名單.txt", list, true).await;
    assert_eq!(v["status"], "sent", "{v}");
    // The same upload again (a lost answer): the same message, and no second copy on disk.
    let (_, again) = upload(&st, &lin, conv, "名單.txt", list, true).await;
    assert_eq!(
        (again["duplicate"].as_bool(), &again["message_id"]),
        (Some(true), &v["message_id"])
    );
    assert_eq!(
        std::fs::read_dir(dir.path().join("attachments"))
            .unwrap()
            .count(),
        1
    );
    let seen = texts(&st, &chief, conv).await;
    let att = &seen[0]["attachment"];
    assert_eq!(att["name"], "名單.txt");
    let id = att["id"].as_i64().unwrap();
    // Stored sealed: the file's text is not on disk in clear.
    for f in std::fs::read_dir(dir.path().join("attachments")).unwrap() {
        let bytes = std::fs::read(f.unwrap().path()).unwrap();
        assert!(!bytes.windows(list.len()).any(|w| w == list));
    }
    let (s, got) = fetch(&st, &chief, id).await;
    assert_eq!((s, got.as_slice()), (StatusCode::OK, list));
    let (s, _) = fetch(&st, &wu, id).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let downloads: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_events WHERE action = 'attachment.download' AND outcome = 'ok'",
    )
    .fetch_one(&st.db)
    .await
    .unwrap();
    assert_eq!(downloads, 1);
    // A 不得轉傳 group: its guest cannot download, nor can a token.
    let chief_s = session(&st, "chief").await;
    let vendor = session(&st, "vendor").await;
    let quiet = group(
        &st,
        &chief_s,
        "工程會勘",
        "no_forward",
        &[vendor.id, lin.id],
    )
    .await;
    let (_, v) = upload(
        &st,
        &chief,
        quiet,
        "會勘時間.txt",
        "週五上午十點".as_bytes(),
        false,
    )
    .await;
    assert_eq!(v["status"], "sent", "{v}");
    let msgs = texts(&st, &chief_s, quiet).await;
    let id = msgs[0]["attachment"]["id"].as_i64().unwrap();
    assert_eq!(fetch(&st, &chief_s, id).await.0, StatusCode::OK);
    assert_eq!(fetch(&st, &vendor, id).await.0, StatusCode::FORBIDDEN);
    assert_eq!(fetch(&st, &lin, id).await.0, StatusCode::FORBIDDEN);
    // The integrity office's export names the file and its hash.
    let ian = session(&st, "ian").await;
    let (_, x) = call(
        &st,
        &ian,
        "GET",
        &format!("/api/v1/conversations/{conv}/export"),
        None,
    )
    .await;
    let exported = &x["messages"][0]["attachment"];
    assert_eq!(exported["name"], "名單.txt");
    assert_eq!(exported["sha256"].as_str().unwrap().len(), 64);
    // A file forwarded is judged again for its new audience: this phone list does not go to a
    // group with a guest (more in the forwarding test below).
    let (s, v) = call(
        &st,
        &chief,
        "POST",
        &format!("/api/v1/messages/{}/forward", seen[0]["id"]),
        Some(json!({"to": quiet, "client_id": "f"})),
    )
    .await;
    assert_eq!(
        (s, v["status"].as_str()),
        (StatusCode::OK, Some("blocked")),
        "{v}"
    );
    assert_eq!(v["reasons"][0]["rule"], "personal-data-external");
}

#[tokio::test]
async fn search_finds_ones_own_messages_across_variants_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let st = setup(dir.path()).await;
    let chief = token(&st, "chief").await;
    let lin = token(&st, "lin").await;
    let wu = token(&st, "wu").await;
    let ours = group(&st, &chief, "偵查隊", "normal", &[lin.id]).await;
    let theirs = group(&st, &wu, "行政科", "normal", &[]).await;
    say(
        &st,
        &chief,
        ours,
        "q-1",
        "明天到臺北市政府開協調會議",
        json!({}),
    )
    .await;
    say(&st, &chief, ours, "q-2", "ＡＢＣ專案的會議改期", json!({})).await;
    let v = say(&st, &chief, ours, "q-3", "會議紀錄寫錯了", json!({})).await;
    say(&st, &wu, theirs, "q-4", "行政科的會議不對外", json!({})).await;
    let (s, _) = call(
        &st,
        &chief,
        "DELETE",
        &format!("/api/v1/messages/{}", v["message_id"]),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let find = |q: &str| format!("/api/v1/search?q={}", urlencode(q));
    let (s, r) = call(&st, &lin, "GET", &find("會議"), None).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let texts: Vec<&str> = r["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["text"].as_str().unwrap())
        .collect();
    // Newest first; the withdrawn one and the other unit's group are not found.
    assert_eq!(
        texts,
        ["ＡＢＣ專案的會議改期", "明天到臺北市政府開協調會議"]
    );
    assert_eq!(r["complete"], true);
    let (_, r) = call(&st, &lin, "GET", &find("台北市"), None).await;
    assert_eq!(r["hits"].as_array().unwrap().len(), 1);
    let (_, r) = call(&st, &lin, "GET", &find("abc 專案"), None).await;
    assert_eq!(r["hits"].as_array().unwrap().len(), 1);
    let (_, r) = call(&st, &wu, "GET", &find("臺北"), None).await;
    assert!(r["hits"].as_array().unwrap().is_empty());
    let (s, _) = call(
        &st,
        &wu,
        "GET",
        &format!("{}&conversation={ours}", find("會議")),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = call(&st, &wu, "GET", &find("   "), None).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn past_retention_texts_and_files_are_deleted_and_their_record_stays() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("messenger.toml"), "retention_days = 30\n").unwrap();
    let st = setup(dir.path()).await;
    let chief = token(&st, "chief").await;
    let lin = token(&st, "lin").await;
    let conv = group(&st, &chief, "偵查隊", "normal", &[lin.id]).await;
    let old = say(&st, &chief, conv, "r-1", "上個月的勤務表", json!({})).await;
    let (_, f) = upload(
        &st,
        &lin,
        conv,
        "勤務表.txt",
        "上個月的勤務表內容".as_bytes(),
        true,
    )
    .await;
    assert_eq!(f["status"], "sent", "{f}");
    say(&st, &chief, conv, "r-2", "今天的勤務表", json!({})).await;
    assert_eq!(st.messenger.apply_retention().await.unwrap(), 0);
    sqlx::query("UPDATE messages SET at = at - 31 * 86400 WHERE id <= ?")
        .bind(f["message_id"].as_i64().unwrap())
        .execute(&st.db)
        .await
        .unwrap();
    assert_eq!(st.messenger.apply_retention().await.unwrap(), 2);
    assert_eq!(
        std::fs::read_dir(dir.path().join("attachments"))
            .unwrap()
            .count(),
        0,
        "the file is deleted"
    );
    let seen = texts(&st, &lin, conv).await;
    assert!(
        seen[0]["text"].is_null() && seen[0]["purged_at"].is_i64(),
        "{seen:?}"
    );
    assert!(seen[1]["attachment"].is_null());
    assert_eq!(seen[2]["text"], "今天的勤務表");
    // The record stays: who, when, which hash, in the log.
    let sha: String = sqlx::query_scalar("SELECT body_sha256 FROM messages WHERE id = ?")
        .bind(old["message_id"].as_i64().unwrap())
        .fetch_one(&st.db)
        .await
        .unwrap();
    assert_eq!(sha.len(), 64);
    let purges: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM audit_events WHERE action = 'message.purge'")
            .fetch_one(&st.db)
            .await
            .unwrap();
    assert_eq!(purges, 1);
    let (_, r) = call(
        &st,
        &lin,
        "GET",
        "/api/v1/search?q=%E4%B8%8A%E5%80%8B%E6%9C%88",
        None,
    )
    .await;
    assert!(r["hits"].as_array().unwrap().is_empty(), "{r}");
}

/// Connects to the stream of a server on loopback with a token.
async fn stream(
    addr: std::net::SocketAddr,
    who: &Who,
    since: i64,
) -> tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>> {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let Auth::Token(t) = &who.auth else {
        panic!("tokens only")
    };
    let mut req = format!("ws://{addr}/api/v1/stream?since={since}")
        .into_client_request()
        .unwrap();
    req.headers_mut()
        .insert("authorization", format!("Bearer {t}").parse().unwrap());
    tokio_tungstenite::connect_async(req).await.unwrap().0
}

/// The next event (skipping answers to our own frames), or None after `wait`.
async fn next_event(
    ws: &mut tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
    wait: std::time::Duration,
) -> Option<Value> {
    use futures_util::StreamExt;
    loop {
        let m = tokio::time::timeout(wait, ws.next()).await.ok()??.ok()?;
        if let tokio_tungstenite::tungstenite::Message::Text(t) = m {
            let v: Value = serde_json::from_str(t.as_str()).unwrap();
            if v.get("seq").is_some() {
                return Some(v);
            }
        }
    }
}

#[tokio::test]
async fn the_stream_carries_a_conversation_to_its_members_only_and_resumes_without_gaps() {
    let dir = tempfile::tempdir().unwrap();
    let st = setup(dir.path()).await;
    let chief = token(&st, "chief").await;
    let lin = token(&st, "lin").await;
    let wu = token(&st, "wu").await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(
        axum::serve(
            listener,
            app(st.clone()).into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .into_future(),
    );
    let conv = group(&st, &chief, "偵查隊", "normal", &[lin.id]).await;
    let other = group(&st, &wu, "行政科", "normal", &[]).await;
    let start = st.messenger.cursor().await.unwrap();
    let mut member = stream(addr, &lin, start).await;
    let mut stranger = stream(addr, &wu, start).await;
    let short = std::time::Duration::from_millis(500);
    let long = std::time::Duration::from_secs(10);
    say(&st, &chief, conv, "w-1", "集合地點：分局地下室", json!({})).await;
    let e = next_event(&mut member, long)
        .await
        .expect("the member hears it");
    assert_eq!(e["message"]["text"], "集合地點：分局地下室");
    let first = e["seq"].as_i64().unwrap();
    // The stranger hears nothing of it, then hears his own group at once.
    assert!(next_event(&mut stranger, short).await.is_none());
    say(&st, &wu, other, "w-2", "行政科自己的事", json!({})).await;
    let e = next_event(&mut stranger, long).await.unwrap();
    assert_eq!(e["conversation"], other);
    // Sending over the stream: answered, and delivered once.
    use futures_util::SinkExt;
    let frame = json!({"send": conv, "draft": {"text": "收到", "client_id": "ws-1"}});
    member
        .send(tokio_tungstenite::tungstenite::Message::Text(
            frame.to_string().into(),
        ))
        .await
        .unwrap();
    let e = next_event(&mut member, long).await.unwrap();
    assert_eq!(e["message"]["text"], "收到");
    // A frame for a conversation one is not in is refused like the API refuses it.
    let frame = json!({"send": conv, "draft": {"text": "我也要說", "client_id": "ws-2"}});
    stranger
        .send(tokio_tungstenite::tungstenite::Message::Text(
            frame.to_string().into(),
        ))
        .await
        .unwrap();
    let answer = loop {
        use futures_util::StreamExt;
        let m = tokio::time::timeout(long, stranger.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        if let tokio_tungstenite::tungstenite::Message::Text(t) = m {
            let v: Value = serde_json::from_str(t.as_str()).unwrap();
            if v.get("reply").is_some() {
                break v;
            }
        }
    };
    assert_eq!(answer["error"]["error"], "not_found", "{answer}");
    // The member drops off; what is said meanwhile is replayed, once, in order.
    drop(member);
    for i in 0..5 {
        say(
            &st,
            &chief,
            conv,
            &format!("gap-{i}"),
            &format!("第{i}則"),
            json!({}),
        )
        .await;
    }
    let mut back = stream(addr, &lin, first).await;
    let mut got = Vec::new();
    while let Some(e) = next_event(&mut back, short).await {
        got.push((
            e["seq"].as_i64().unwrap(),
            e["message"]["text"].as_str().unwrap_or("").to_string(),
        ));
    }
    let texts: Vec<&str> = got.iter().map(|g| g.1.as_str()).collect();
    assert_eq!(texts, ["收到", "第0則", "第1則", "第2則", "第3則", "第4則"]);
    assert!(got.windows(2).all(|w| w[0].0 < w[1].0));
    server.abort();
}

/// A one-page PDF whose text is `line` (Helvetica, Latin only).
fn small_pdf(line: &str) -> Vec<u8> {
    use lopdf::{Document, Object, Stream, dictionary};
    let mut doc = Document::with_version("1.5");
    let font = doc.add_object(dictionary! {
        "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica",
    });
    let content = doc.add_object(Stream::new(
        dictionary! {},
        format!("BT /F1 16 Tf 72 700 Td ({line}) Tj ET").into_bytes(),
    ));
    let pages_id = doc.new_object_id();
    let page = doc.add_object(dictionary! {
        "Type" => "Page", "Parent" => pages_id, "Contents" => content,
        "Resources" => dictionary! { "Font" => dictionary! { "F1" => font } },
        "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
    });
    doc.objects.insert(
        pages_id,
        Object::Dictionary(
            dictionary! { "Type" => "Pages", "Kids" => vec![page.into()], "Count" => 1 },
        ),
    );
    let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog);
    let mut out = vec![];
    doc.save_to(&mut out).unwrap();
    out
}

fn pdf_text(bytes: &[u8]) -> String {
    let mut all = String::new();
    baomi_extract::Extractor::default().extract(bytes, Some("x.pdf"), &mut |e| {
        if let baomi_extract::Event::Text(s) = e {
            all.push_str(s.text);
        }
    });
    all
}

/// The download records of attachment `id`, oldest first: (user, mark outcome, trace code).
async fn download_records(st: &AppState, id: i64) -> Vec<(i64, String, String)> {
    let rows: Vec<(Option<i64>, String)> = sqlx::query_as(
        "SELECT actor_id, detail FROM audit_events
         WHERE action = 'attachment.download' AND outcome = 'ok' AND target = ? ORDER BY id",
    )
    .bind(format!("attachment:{id}"))
    .fetch_all(&st.db)
    .await
    .unwrap();
    rows.into_iter()
        .map(|(who, d)| {
            let d: Value = serde_json::from_str(&d).unwrap();
            (
                who.unwrap(),
                d["mark"].as_str().unwrap().to_string(),
                d["trace"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[tokio::test]
async fn downloaded_pdfs_and_pictures_name_the_member_who_took_them() {
    let dir = tempfile::tempdir().unwrap();
    let st = setup(dir.path()).await;
    let chief = token(&st, "chief").await;
    let lin = token(&st, "lin").await;
    let conv = group(&st, &chief, "偵查隊", "normal", &[lin.id]).await;
    let pdf = small_pdf("Duty roster for the week");
    let (_, v) = upload(&st, &lin, conv, "roster.pdf", &pdf, true).await;
    assert_eq!(v["status"], "sent", "{v}");
    let photo = {
        let img = image::RgbImage::from_pixel(640, 480, image::Rgb([245, 245, 240]));
        let mut out = std::io::Cursor::new(vec![]);
        image::DynamicImage::ImageRgb8(img)
            .write_to(&mut out, image::ImageFormat::Png)
            .unwrap();
        out.into_inner()
    };
    let (_, v) = upload(&st, &lin, conv, "whiteboard.png", &photo, true).await;
    assert_eq!(v["status"], "sent", "{v}");
    let seen = texts(&st, &chief, conv).await;
    let id_of = |name: &str| {
        seen.iter()
            .find(|m| m["attachment"]["name"] == name)
            .and_then(|m| m["attachment"]["id"].as_i64())
            .unwrap()
    };
    let (pdf_id, png_id) = (id_of("roster.pdf"), id_of("whiteboard.png"));

    // Two members take the PDF: each copy names its taker and carries its own trace code.
    let (s, by_chief) = fetch(&st, &chief, pdf_id).await;
    assert_eq!(s, StatusCode::OK);
    let (_, by_lin) = fetch(&st, &lin, pdf_id).await;
    let records = download_records(&st, pdf_id).await;
    assert_eq!(records.len(), 2);
    let (chief_text, lin_text) = (pdf_text(&by_chief), pdf_text(&by_lin));
    assert!(
        chief_text.contains("Duty roster for the week"),
        "{chief_text}"
    );
    assert!(chief_text.contains("趙隊長") && chief_text.contains("偵查隊"));
    assert!(!chief_text.contains("林偵查員"));
    assert!(lin_text.contains("林偵查員") && !lin_text.contains("趙隊長"));
    for ((who, mark, trace), text) in records.iter().zip([&chief_text, &lin_text]) {
        assert_eq!(mark, "marked");
        // The code on a leaked copy leads back to exactly this record.
        assert!(text.contains(trace.as_str()), "{trace} not in the copy");
        assert_eq!(
            *who,
            if text == &chief_text {
                chief.id
            } else {
                lin.id
            }
        );
    }
    assert_ne!(records[0].2, records[1].2);
    // What is stored stays as sent: the mark is made per download.
    assert!(!pdf_text(&pdf).contains("趙隊長"));

    // The picture comes back the same size, visibly marked, and the record says so.
    let (_, got) = fetch(&st, &chief, png_id).await;
    let marked = image::load_from_memory(&got).unwrap().to_rgb8();
    assert_eq!(marked.dimensions(), (640, 480));
    let inked = marked
        .pixels()
        .filter(|p| (i32::from(p[0]) - 245).abs() > 12)
        .count();
    let records = download_records(&st, png_id).await;
    if records[0].1 == "no_font" {
        // Only where the machine has no CJK font (CI installs fonts-noto-cjk).
        assert_eq!(inked, 0);
    } else {
        assert_eq!(records[0].1, "marked");
        assert!(inked > 640 * 480 / 40, "{inked}");
    }
}

#[tokio::test]
async fn a_forwarded_file_goes_through_the_gate_again_for_its_new_audience() {
    let dir = tempfile::tempdir().unwrap();
    let st = setup(dir.path()).await;
    let chief = token(&st, "chief").await;
    let lin = token(&st, "lin").await;
    let vendor = session(&st, "vendor").await;
    let squad = group(&st, &chief, "偵查隊", "normal", &[lin.id]).await;
    let desk = group(&st, &chief, "勤務台", "normal", &[lin.id]).await;
    let outside = group(&st, &chief, "工程聯繫", "normal", &[vendor.id]).await;
    let pdf = small_pdf("Duty roster for the week");
    let (_, v) = upload(&st, &lin, squad, "roster.pdf", &pdf, true).await;
    assert_eq!(v["status"], "sent", "{v}");
    let list = "承辦人聯絡電話：0912-345-678".as_bytes();
    let (_, v) = upload(&st, &lin, squad, "名單.txt", list, true).await;
    assert_eq!(v["status"], "sent", "{v}");
    let seen = texts(&st, &chief, squad).await;
    let msg_of = |name: &str| {
        seen.iter()
            .find(|m| m["attachment"]["name"] == name)
            .and_then(|m| m["id"].as_i64())
            .unwrap()
    };
    // A clean file: the target named first, then it goes, as a new copy with its provenance.
    let (s, v) = forward(&st, &chief, msg_of("roster.pdf"), desk, false).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["status"], "confirm", "{v}");
    assert_eq!(v["target_title"], "勤務台");
    assert!(
        v["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["rule"] == "forward-target"),
        "{v}"
    );
    assert!(
        texts(&st, &lin, desk).await.is_empty(),
        "nothing before the confirmation"
    );
    let (_, v) = forward(&st, &chief, msg_of("roster.pdf"), desk, true).await;
    assert_eq!(v["status"], "sent", "{v}");
    let there = texts(&st, &lin, desk).await;
    assert_eq!(there.len(), 1);
    assert_eq!(there[0]["forwarded"]["conversation_title"], "偵查隊");
    assert_eq!(there[0]["forwarded"]["sender"], "林偵查員");
    let copy = there[0]["attachment"]["id"].as_i64().unwrap();
    let (s, got) = fetch(&st, &lin, copy).await;
    assert_eq!(s, StatusCode::OK);
    assert!(pdf_text(&got).contains("Duty roster for the week"));
    // Personal data towards a guest: the file would need masking, so it does not go.
    let (_, v) = forward(&st, &chief, msg_of("名單.txt"), outside, true).await;
    assert_eq!(v["status"], "blocked", "{v}");
    assert!(texts(&st, &vendor, outside).await.is_empty());
    let refused: String = sqlx::query_scalar(
        "SELECT detail FROM audit_events WHERE action = 'message.blocked' ORDER BY id DESC LIMIT 1",
    )
    .fetch_one(&st.db)
    .await
    .unwrap();
    assert!(refused.contains("\"channel\":\"forward\""), "{refused}");
    assert!(!refused.contains("0912"), "no content in the record");
}

async fn forward(
    st: &AppState,
    who: &Who,
    msg: i64,
    to: i64,
    confirm: bool,
) -> (StatusCode, Value) {
    let mut body = json!({"to": to, "client_id": format!("fwd-{msg}-{to}")});
    if confirm {
        body["confirm_target"] = json!(to);
    }
    call(
        st,
        who,
        "POST",
        &format!("/api/v1/messages/{msg}/forward"),
        Some(body),
    )
    .await
}

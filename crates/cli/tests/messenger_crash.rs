//! The messenger under `kill -9`: four people send as fast as they can while a fifth reads the
//! stream; the server is killed mid-flight and restarted. Every acknowledged message is there
//! exactly once; a resend of an unanswered one (same client id) never makes a second copy; the
//! reader resumes from its last event and ends with every message once; every event is in the
//! log once, and the log verifies.

mod common;

use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const ORG: &str = "employee_no,username,name,unit_code,unit_name,title
E1,chief,趙隊長,U1,偵查隊,隊長
E2,chen,陳偵查員,U1,偵查隊,偵查員
E3,lin,林偵查員,U1,偵查隊,偵查員
E4,wu,吳偵查員,U1,偵查隊,偵查員
E5,reader,許偵查員,U1,偵查隊,偵查員
";

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(5)))
        .build()
        .into()
}

fn token(d: &str, user: &str) -> String {
    let out = common::baomi_ok(&[
        "admin",
        "--data",
        d,
        "token",
        "create",
        "--user",
        user,
        "--name",
        "load",
        "--scope",
        "messages:read",
        "--scope",
        "messages:write",
    ]);
    out.split_whitespace().last().unwrap().to_string()
}

fn call(
    a: &ureq::Agent,
    url: &str,
    token: &str,
    body: Option<Value>,
) -> Result<(u16, Value), String> {
    let auth = format!("Bearer {token}");
    let r = match body {
        None => a.get(url).header("authorization", &auth).call(),
        Some(b) => a
            .post(url)
            .header("authorization", &auth)
            .header("content-type", "application/json")
            .send(b.to_string()),
    };
    let mut r = r.map_err(|e| e.to_string())?;
    let status = r.status().as_u16();
    let text = r.body_mut().read_to_string().map_err(|e| e.to_string())?;
    Ok((status, serde_json::from_str(&text).unwrap_or(Value::Null)))
}

/// Reads the stream from `since` until it has been quiet for `idle`, or until it breaks;
/// returns (seq, message id) of message events.
fn read_stream(port: u16, token: &str, since: i64, idle: Duration, seen: &Mutex<Vec<(i64, i64)>>) {
    let req = tungstenite::ClientRequestBuilder::new(
        format!("ws://127.0.0.1:{port}/api/v1/stream?since={since}")
            .parse()
            .unwrap(),
    )
    .with_header("Authorization", format!("Bearer {token}"));
    let stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream.set_read_timeout(Some(idle)).unwrap();
    let Ok((mut ws, _)) = tungstenite::client(req, stream) else {
        return;
    };
    loop {
        match ws.read() {
            Ok(tungstenite::Message::Text(t)) => {
                let v: Value = serde_json::from_str(t.as_str()).unwrap();
                if v["kind"] == "message" {
                    seen.lock().unwrap().push((
                        v["seq"].as_i64().unwrap(),
                        v["message"]["id"].as_i64().unwrap(),
                    ));
                }
            }
            Ok(_) => {}
            Err(_) => return,
        }
    }
}

#[test]
fn kill_9_while_sending_loses_no_acknowledged_message_and_duplicates_none() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let d = data.to_str().unwrap().to_string();
    let port = common::free_port();
    let (mut server, _) = common::serve(&d, port, &[]);
    let org = common::write(dir.path(), "org.csv", ORG.as_bytes());
    common::baomi_ok(&["admin", "--data", &d, "import-org", &org, "--apply"]);
    let senders: Vec<String> = ["chief", "chen", "lin", "wu"]
        .iter()
        .map(|u| token(&d, u))
        .collect();
    let reader = token(&d, "reader");
    let base = format!("http://127.0.0.1:{port}/api/v1");
    let a = agent();
    let (_, people) = call(&a, &format!("{base}/directory?q="), &senders[0], None).unwrap();
    let ids: Vec<i64> = people
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_i64().unwrap())
        .collect();
    let (s, g) = call(
        &a,
        &format!("{base}/conversations"),
        &senders[0],
        Some(json!({"title": "壓力測試", "members": ids})),
    )
    .unwrap();
    assert_eq!(s, 200, "{g}");
    let conv = g["id"].as_i64().unwrap();

    // The reader follows the stream.
    let seen = Arc::new(Mutex::new(Vec::new()));
    let reading = {
        let (seen, reader) = (seen.clone(), reader.clone());
        std::thread::spawn(move || read_stream(port, &reader, 0, Duration::from_secs(30), &seen))
    };
    // Four senders: acknowledged ids, and the one in flight when the server died.
    let acked = Arc::new(Mutex::new(BTreeMap::<String, i64>::new()));
    let unanswered = Arc::new(Mutex::new(Vec::<(usize, String)>::new()));
    let workers: Vec<_> = senders
        .iter()
        .enumerate()
        .map(|(k, t)| {
            let (t, acked, unanswered, base) =
                (t.clone(), acked.clone(), unanswered.clone(), base.clone());
            std::thread::spawn(move || {
                let a = agent();
                for i in 0.. {
                    let id = format!("s{k}-{i}");
                    let body = json!({"text": format!("第 {i} 則，來自 {k}"), "client_id": id});
                    match call(
                        &a,
                        &format!("{base}/conversations/{conv}/messages"),
                        &t,
                        Some(body),
                    ) {
                        Ok((200, v)) if v["status"] == "sent" => {
                            acked
                                .lock()
                                .unwrap()
                                .insert(id, v["message_id"].as_i64().unwrap());
                        }
                        _ => {
                            unanswered.lock().unwrap().push((k, id));
                            return;
                        }
                    }
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(2500));
    server.kill().unwrap();
    server.wait().unwrap();
    for w in workers {
        w.join().unwrap();
    }
    reading.join().unwrap();
    let acked = acked.lock().unwrap().clone();
    assert!(acked.len() > 20, "the load must be real: {}", acked.len());
    let before_crash = seen.lock().unwrap().clone();

    // Restart; the senders resend what got no answer, with the same client ids.
    let (server, _) = common::serve(&d, port, &[]);
    let _server = common::Killed(server);
    for (k, id) in unanswered.lock().unwrap().iter() {
        let n: i64 = id.rsplit('-').next().unwrap().parse().unwrap();
        let body = json!({"text": format!("第 {n} 則，來自 {k}"), "client_id": id});
        let (s, v) = call(
            &a,
            &format!("{base}/conversations/{conv}/messages"),
            &senders[*k],
            Some(body),
        )
        .unwrap();
        assert_eq!((s, v["status"].as_str()), (200, Some("sent")), "{v}");
    }
    // Every message once, every acknowledged one among them under its id.
    let mut all = Vec::new();
    let mut before = i64::MAX;
    loop {
        let (_, page) = call(
            &a,
            &format!("{base}/conversations/{conv}/messages?limit=500&before={before}"),
            &senders[1],
            None,
        )
        .unwrap();
        let page = page.as_array().unwrap().clone();
        if page.is_empty() {
            break;
        }
        before = page[0]["id"].as_i64().unwrap();
        all.extend(page);
    }
    let texts: Vec<&str> = all.iter().map(|m| m["text"].as_str().unwrap()).collect();
    let distinct: BTreeSet<&str> = texts.iter().copied().collect();
    assert_eq!(distinct.len(), texts.len(), "a message stored twice");
    let stored: BTreeSet<i64> = all.iter().map(|m| m["id"].as_i64().unwrap()).collect();
    for (client, id) in &acked {
        assert!(
            stored.contains(id),
            "acknowledged {client} (message {id}) lost"
        );
    }
    assert_eq!(all.len(), acked.len() + unanswered.lock().unwrap().len());

    // The reader resumes after its last event and ends with every message exactly once.
    let last = before_crash.iter().map(|e| e.0).max().unwrap_or(0);
    let resumed = Arc::new(Mutex::new(Vec::new()));
    read_stream(port, &reader, last, Duration::from_secs(2), &resumed);
    let mut got: Vec<(i64, i64)> = before_crash.clone();
    got.extend(resumed.lock().unwrap().iter().copied());
    let seqs: BTreeSet<i64> = got.iter().map(|e| e.0).collect();
    assert_eq!(seqs.len(), got.len(), "an event delivered twice");
    let delivered: BTreeSet<i64> = got.iter().map(|e| e.1).collect();
    assert_eq!(delivered, stored, "the reader missed messages");

    // Every event is in the log exactly once, and the log verifies.
    drop(_server);
    let deadline = Instant::now() + Duration::from_secs(10);
    let (events, shipped, distinct) = loop {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let r = rt.block_on(async {
            let cfg = baomi_server::config::Config {
                data_dir: data.clone(),
                ..Default::default()
            };
            let adm = baomi_server::admin::Admin::open(&cfg).await;
            let Ok(adm) = adm else { return None };
            let q = |sql: &'static str| {
                let db = adm.db.clone();
                async move {
                    sqlx::query_scalar::<_, i64>(sql)
                        .fetch_one(&db)
                        .await
                        .unwrap()
                }
            };
            Some((
                q("SELECT COUNT(*) FROM conversation_events").await,
                q("SELECT COUNT(log_index) FROM conversation_events").await,
                q("SELECT COUNT(DISTINCT log_index) FROM conversation_events").await,
            ))
        });
        if let Some(r) = r {
            break r;
        }
        assert!(Instant::now() < deadline, "the data folder stays locked");
        std::thread::sleep(Duration::from_millis(200));
    };
    assert!(events as usize > all.len());
    assert_eq!((shipped, distinct), (events, events));
    let vkey = common::baomi_ok(&["admin", "--data", &d, "log-vkey"]);
    let out = Command::new(env!("CARGO_BIN_EXE_baomi"))
        .args(["log", "verify", &format!("{d}/log"), "--vkey", vkey.trim()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    eprintln!(
        "{} acknowledged before SIGKILL, {} resent, {} stored once each, {} events logged",
        acked.len(),
        unanswered.lock().unwrap().len(),
        all.len(),
        events
    );
}

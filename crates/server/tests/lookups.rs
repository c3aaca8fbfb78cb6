//! The look-up ledger through its API and services: batches that are idempotent and all or
//! nothing, subjects never stored in clear, every look-up in the tamper-evident log (also after
//! a crash between the log and the database), the seeds' landlord flagged with its evidence,
//! and review steps that follow the org chart.

mod common;

use baomi_server::accounts::User;
use baomi_server::admin::Admin;
use baomi_server::ledger::review::Step;
use common::*;

const ORG: &str =
    "employee_no,username,name,unit_code,unit_name,parent_unit_code,title,supervisor,roles,status
E1,chief,局長,HQ,本局,,局長,,supervisor,active
E2,boss,張股長,U1,稅務一股,HQ,股長,E1,supervisor,active
E3,wang,王稅務員,U1,稅務一股,HQ,稅務員,E2,,active
E4,lee,李稅務員,U2,稅務二股,HQ,稅務員,E1,,active
E5,ian,林政風,HQ,本局,,政風專員,E1,integrity,active
";

async fn agency(st: &AppState) -> (i64, String) {
    let admin = add_user(st, "sysadmin", &[Role::Admin]).await;
    Admin::for_web(st, admin, "")
        .import_org(ORG.as_bytes(), true)
        .await
        .unwrap()
        .unwrap();
    let sys = add_user(st, "household-system", &[Role::Api]).await;
    let (_, token) = baomi_server::tokens::create(
        &st.db,
        &st.audit,
        sys,
        "戶役政",
        &["lookups:write".into()],
        None,
    )
    .await
    .unwrap();
    (sys, token)
}

async fn user(st: &AppState, name: &str) -> User {
    let id: i64 = sqlx::query_scalar("SELECT id FROM users WHERE username = ?")
        .bind(name)
        .fetch_one(&st.db)
        .await
        .unwrap();
    accounts::get(&st.db, id).await.unwrap().unwrap()
}

fn push(path: &str, token: &str, body: String) -> Request<Body> {
    Request::post(path)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body))
        .unwrap()
}

fn lookup(
    id: &str,
    time: &str,
    op: &str,
    subject: &str,
    reason: &str,
    case: &str,
) -> serde_json::Value {
    serde_json::json!({
        "event_id": id, "time": time, "system": "戶役政", "operator": op, "subject_id": subject,
        "action": "query", "reason_code": reason, "case_no": case, "terminal": "T-01"
    })
}

async fn count(st: &AppState) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM lookups")
        .fetch_one(&st.db)
        .await
        .unwrap()
}

#[tokio::test]
async fn batches_are_idempotent_all_or_nothing_and_logged() {
    let dir = tempfile::tempdir().unwrap();
    let st = start(dir.path()).await.state;
    let (_, token) = agency(&st).await;
    let batch = serde_json::json!({ "lookups": [
        lookup("e1", "2026-11-02T09:13:05+08:00", "wang", "A123456789", "欠稅清理", "115欠1"),
        lookup("e2", "2026-11-02 09:20:00", "wang", "B223456789", "民眾臨櫃申辦", ""),
        lookup("e3", "1793581985", "E3", "ａ１２３４５６７８９", "欠稅清理", "115欠1"),
    ]});
    let size_before = st.audit.log().unwrap().head().size;
    let r = send(&st, push("/api/v1/lookups", &token, batch.to_string())).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(body(r).await, r#"{"accepted":3,"duplicates":0}"#);
    // A retry is harmless.
    let r = send(&st, push("/api/v1/lookups", &token, batch.to_string())).await;
    assert_eq!(body(r).await, r#"{"accepted":0,"duplicates":3}"#);
    // The same event id with other content is refused, and so is the rest of its batch.
    let changed = serde_json::json!([
        lookup(
            "e4",
            "2026-11-02 10:00",
            "wang",
            "C123456789",
            "民眾臨櫃申辦",
            ""
        ),
        lookup(
            "e1",
            "2026-11-02T09:13:05+08:00",
            "wang",
            "Z199999999",
            "欠稅清理",
            "115欠1"
        ),
    ]);
    let r = send(&st, push("/api/v1/lookups", &token, changed.to_string())).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let b = body(r).await;
    assert!(
        b.contains("already received with other content") && b.contains(r#""line":1"#),
        "{b}"
    );
    // Bad rows are all named; nothing is stored.
    let bad = serde_json::json!([
        lookup("e5", "yesterday", "wang", "C123456789", "", ""),
        lookup("e6", "2026-11-02 10:00", "", "C123456789", "", ""),
        lookup("e7", "2026-11-02 10:00", "wang", "C123456789", "", ""),
    ]);
    let r = send(&st, push("/api/v1/lookups", &token, bad.to_string())).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(body(r).await.contains("is not a date and time"));
    let bad = serde_json::json!([
        lookup("e6", "2026-11-02 10:00", "", "C123456789", "", ""),
        lookup("e7", "2026-11-02 10:00", "wang", "", "", ""),
    ]);
    let b = body(send(&st, push("/api/v1/lookups", &token, bad.to_string())).await).await;
    assert!(
        b.contains("operator is empty") && b.contains("subject_id is empty"),
        "{b}"
    );
    // An empty batch is harmless (a source with nothing new).
    let r = send(&st, push("/api/v1/lookups", &token, "[]".into())).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(body(r).await, r#"{"accepted":0,"duplicates":0}"#);
    for junk in [
        "",
        "{",
        // A fraction of a second is not Unix seconds.
        r#"[{"event_id":"x","time":1700000000.5,"system":"s","operator":"o","subject_id":"s"}]"#,
        r#"{"event_id": 5}"#,
        r#"[{"event_id":"x","time":"2026-11-02 10:00","system":"s","operator":"o","subject_id":"s","colour":"red"}]"#,
    ] {
        let r = send(&st, push("/api/v1/lookups", &token, junk.into())).await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{junk}");
    }
    assert_eq!(count(&st).await, 3);
    // Within one batch too: the same event twice is a duplicate, the same id with other
    // content a conflict.
    let twice = lookup("e9", "2026-11-02 11:00", "wang", "D123456789", "", "");
    let r = send(
        &st,
        push(
            "/api/v1/lookups",
            &token,
            serde_json::json!([twice, twice]).to_string(),
        ),
    )
    .await;
    assert_eq!(body(r).await, r#"{"accepted":1,"duplicates":1}"#);
    let other = lookup("e10", "2026-11-02 11:00", "wang", "E123456789", "", "");
    let mut changed = other.clone();
    changed["subject_id"] = "E223456789".into();
    let r = send(
        &st,
        push(
            "/api/v1/lookups",
            &token,
            serde_json::json!([other, changed]).to_string(),
        ),
    )
    .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert_eq!(count(&st).await, 4);
    // Back to the three rows the checks below are about.
    sqlx::query("DELETE FROM lookups WHERE event_id = 'e9'")
        .execute(&st.db)
        .await
        .unwrap();
    // The subject: keyed alike whatever its width, sealed, masked; never in clear.
    type Stored = (Vec<u8>, Vec<u8>, String, Option<i64>);
    let rows: Vec<Stored> = sqlx::query_as(
        "SELECT subject_key, subject_sealed, subject_masked, operator_id FROM lookups ORDER BY id",
    )
    .fetch_all(&st.db)
    .await
    .unwrap();
    assert_eq!(rows[0].0, rows[2].0, "full-width ID is the same person");
    assert_eq!(rows[0].2, "A1******89");
    assert!(
        rows.iter()
            .all(|r| !r.1.windows(10).any(|w| w == b"A123456789"))
    );
    assert_eq!(
        rows[0].3, rows[2].3,
        "employee number and sign-in name are the same operator"
    );
    let db_file = std::fs::read(dir.path().join("baomi.db")).unwrap();
    assert!(!db_file.windows(10).any(|w| w == b"A123456789"));
    // Every look-up is in the log.
    let st2 = st.clone();
    let size_after = st2.audit.log().unwrap().head().size;
    assert!(size_after >= size_before + 3);
    for id in 1..=3 {
        assert!(st.ledger.log_index(id).await.unwrap().is_some());
    }
    // Who may push: a token with the scope; not one without, not a member of staff.
    let sys = user(&st, "household-system").await;
    let (_, narrow) = baomi_server::tokens::create(
        &st.db,
        &st.audit,
        sys.id,
        "x",
        &["profile:read".into()],
        None,
    )
    .await
    .unwrap();
    let one = lookup("e9", "2026-11-02 10:00", "wang", "C123456789", "", "").to_string();
    assert_eq!(
        send(&st, push("/api/v1/lookups", &narrow, one.clone()))
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        send(
            &st,
            Request::post("/api/v1/lookups")
                .body(Body::from(one))
                .unwrap()
        )
        .await
        .status(),
        StatusCode::UNAUTHORIZED
    );
}

/// Batches sent at once share transactions (group commit); a conflicting batch among them is
/// refused alone and every other one is stored and logged exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_batches_share_commits_but_fail_alone() {
    let dir = tempfile::tempdir().unwrap();
    let st = start(dir.path()).await.state;
    let (_, token) = agency(&st).await;
    let first = serde_json::json!([lookup(
        "first",
        "2026-11-02 09:00",
        "wang",
        "A123456789",
        "",
        ""
    )]);
    let r = send(&st, push("/api/v1/lookups", &token, first.to_string())).await;
    assert_eq!(r.status(), StatusCode::OK);
    let size_before = st.audit.log().unwrap().head().size;
    let mut tasks = Vec::new();
    for b in 0..24 {
        let rows: Vec<_> = (0..50)
            .map(|i| {
                // Batch 7 re-sends "first" with another subject: a conflict.
                let id = if b == 7 && i == 3 {
                    "first".to_string()
                } else {
                    format!("k-{b}-{i}")
                };
                let subject = format!("B2{:08}", b * 100 + i);
                lookup(&id, "2026-11-02 10:00", "wang", &subject, "", "")
            })
            .collect();
        let (st, token) = (st.clone(), token.clone());
        tasks.push(tokio::spawn(async move {
            let r = send(
                &st,
                push(
                    "/api/v1/lookups",
                    &token,
                    serde_json::json!(rows).to_string(),
                ),
            )
            .await;
            (b, r.status(), body(r).await)
        }));
    }
    for t in tasks {
        let (b, status, text) = t.await.unwrap();
        if b == 7 {
            assert_eq!(status, StatusCode::CONFLICT, "{text}");
            assert!(text.contains(r#""event_id":"first""#), "{text}");
        } else {
            assert_eq!(
                (status, text.as_str()),
                (StatusCode::OK, r#"{"accepted":50,"duplicates":0}"#)
            );
        }
    }
    assert_eq!(count(&st).await, 1 + 23 * 50);
    let refused: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM lookups WHERE event_id LIKE 'k-7-%'")
            .fetch_one(&st.db)
            .await
            .unwrap();
    assert_eq!(refused, 0);
    // Every stored look-up is in the log once, and nothing else was logged for them.
    st.ledger.flush().await.unwrap();
    assert_eq!(st.audit.log().unwrap().head().size - size_before, 23 * 50);
    let logged: i64 = sqlx::query_scalar("SELECT SUM(last_id - first_id + 1) FROM lookup_log")
        .fetch_one(&st.db)
        .await
        .unwrap();
    assert_eq!(logged, 1 + 23 * 50);
}

#[tokio::test]
async fn a_crash_between_log_and_database_does_not_log_twice() {
    let dir = tempfile::tempdir().unwrap();
    let size;
    {
        let st = start(dir.path()).await.state;
        let (_, token) = agency(&st).await;
        let batch: Vec<_> = (0..300)
            .map(|i| {
                lookup(
                    &format!("e{i}"),
                    "2026-11-02 10:00",
                    "wang",
                    &format!("C1{i:08}"),
                    "民眾臨櫃申辦",
                    "",
                )
            })
            .collect();
        let r = send(
            &st,
            push(
                "/api/v1/lookups",
                &token,
                serde_json::Value::from(batch).to_string(),
            ),
        )
        .await;
        assert_eq!(r.status(), StatusCode::OK);
        size = st.audit.log().unwrap().head().size;
        // The log has them; the database "forgot" where (the crash came before that commit).
        sqlx::query("DELETE FROM lookup_log")
            .execute(&st.db)
            .await
            .unwrap();
    }
    let st = start(dir.path()).await.state;
    // One new entry: the restart's own `server.start` event; no look-up twice.
    assert_eq!(
        st.audit.log().unwrap().head().size,
        size + 1,
        "nothing appended twice"
    );
    for id in [1, 150, 300] {
        let ix = st.ledger.log_index(id).await.unwrap().expect("found again");
        assert!((ix as u64) < size);
    }
}

async fn day_with_the_landlord(st: &AppState, token: &str) {
    let cases =
        "case_no,subject_id,assigned_operator,opened,closed\n115欠1,A123456789,wang,2026-10-01,\n";
    let r = send(
        st,
        push("/api/v1/lookups/reference/cases", token, cases.into()),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let r = send(
        st,
        push(
            "/api/v1/lookups/reference/cases",
            token,
            "case_no,opened\n,nope\n".into(),
        ),
    )
    .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let batch = serde_json::json!([
        lookup(
            "d1",
            "2026-11-02 09:00",
            "wang",
            "A123456789",
            "欠稅清理",
            "115欠1"
        ),
        lookup(
            "d2",
            "2026-11-02 09:05",
            "wang",
            "B223456789",
            "民眾臨櫃申辦",
            ""
        ),
        // The tenant, under his own arrears case.
        lookup(
            "d3",
            "2026-11-02 12:20",
            "wang",
            "F223456789",
            "欠稅清理",
            "115欠1"
        ),
        lookup(
            "d4",
            "2026-11-02 12:30",
            "lee",
            "C123456789",
            "民眾臨櫃申辦",
            ""
        ),
    ]);
    let r = send(st, push("/api/v1/lookups", token, batch.to_string())).await;
    assert_eq!(r.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_landlord_is_flagged_with_the_evidence() {
    let dir = tempfile::tempdir().unwrap();
    let st = start(dir.path()).await.state;
    let (_, token) = agency(&st).await;
    day_with_the_landlord(&st, &token).await;
    let judged = st.ledger.evaluate_dirty().await.unwrap();
    assert_eq!(judged.len(), 1);
    assert_eq!((judged[0].lookups, judged[0].flagged), (4, 1));
    let day = baomi_ledger::clock::parse_day("2026-11-02").unwrap();
    let flags = st.ledger.flags(day, day).await.unwrap();
    assert_eq!(flags.len(), 1);
    assert_eq!(flags[0].event_id, "d3");
    assert_eq!(flags[0].rules, ["case_subject_mismatch"]);
    assert!(flags[0].explanation.contains("115欠1"));
    // Integrity officers read flags over the API; nobody else does.
    let ian = user(&st, "ian").await;
    let (_, t) = baomi_server::tokens::create(
        &st.db,
        &st.audit,
        ian.id,
        "cli",
        &["lookups:read".into()],
        None,
    )
    .await
    .unwrap();
    let r = send(
        &st,
        bearer(
            "/api/v1/lookups/flags?since=2026-11-01&until=2026-11-03",
            &t,
        ),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(body(r).await.contains("\"d3\""));
    let sys = user(&st, "household-system").await;
    let (_, t) = baomi_server::tokens::create(
        &st.db,
        &st.audit,
        sys.id,
        "x",
        &["lookups:read".into()],
        None,
    )
    .await
    .unwrap();
    assert_eq!(
        send(&st, bearer("/api/v1/lookups/flags", &t))
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        send(&st, bearer("/api/v1/lookups/flags?since=someday", &token))
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    // The report's breakdown: per unit, system, action and reason, with the flag where it fell.
    let rows = st.ledger.breakdown(&ian, day, day).await.unwrap();
    let got: Vec<_> = rows
        .iter()
        .map(|r| {
            (
                r.unit.as_str(),
                r.system.as_str(),
                r.action.as_str(),
                r.reason.as_str(),
                r.lookups,
                r.flagged,
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("稅務一股", "戶役政", "query", "欠稅清理", 2, 1),
            ("稅務一股", "戶役政", "query", "民眾臨櫃申辦", 1, 0),
            ("稅務二股", "戶役政", "query", "民眾臨櫃申辦", 1, 0),
        ]
    );
    let wang = user(&st, "wang").await;
    assert!(matches!(
        st.ledger.breakdown(&wang, day, day).await,
        Err(baomi_server::error::Error::Forbidden)
    ));
}

/// The server's timer judges a changed past day at once, but the day in progress again only
/// after a pause; an explicit evaluation judges everything changed.
#[tokio::test]
async fn the_day_in_progress_is_judged_again_only_after_a_pause() {
    let dir = tempfile::tempdir().unwrap();
    let st = start(dir.path()).await.state;
    let (_, token) = agency(&st).await;
    let now = baomi_server::clock::now();
    let send_at = |id: &str, at: i64| {
        let b = serde_json::json!([{
            "event_id": id, "time": at, "system": "戶役政", "operator": "wang",
            "subject_id": "A123456789", "reason_code": "民眾臨櫃申辦"
        }]);
        push("/api/v1/lookups", &token, b.to_string())
    };
    assert_eq!(send(&st, send_at("t1", now)).await.status(), StatusCode::OK);
    let judged = st.ledger.evaluate_due().await.unwrap();
    assert_eq!(judged.len(), 1, "first time: judged at once");
    assert_eq!(send(&st, send_at("t2", now)).await.status(), StatusCode::OK);
    assert_eq!(
        send(&st, send_at("y1", now - 86_400)).await.status(),
        StatusCode::OK
    );
    let judged = st.ledger.evaluate_due().await.unwrap();
    assert_eq!(judged.len(), 1, "yesterday only: {judged:?}");
    assert_eq!(judged[0].day, st.ledger.today() - 1);
    let judged = st.ledger.evaluate_dirty().await.unwrap();
    assert_eq!(judged.len(), 1);
    assert_eq!((judged[0].day, judged[0].lookups), (st.ledger.today(), 2));
}

#[tokio::test]
async fn review_follows_the_org_chart_and_sign_offs_are_final() {
    let dir = tempfile::tempdir().unwrap();
    let st = start(dir.path()).await.state;
    let (_, token) = agency(&st).await;
    day_with_the_landlord(&st, &token).await;
    st.ledger.evaluate_dirty().await.unwrap();
    let day = baomi_ledger::clock::parse_day("2026-11-02").unwrap();
    let (chief, boss, wang, lee, ian) = (
        user(&st, "chief").await,
        user(&st, "boss").await,
        user(&st, "wang").await,
        user(&st, "lee").await,
        user(&st, "ian").await,
    );
    // boss sees wang's three, flagged first; chief sees lee's one.
    let sheet = st.ledger.review_day(&boss, day).await.unwrap();
    assert_eq!(sheet.len(), 3);
    assert_eq!(sheet[0].rules, ["case_subject_mismatch"]);
    assert_eq!(sheet[0].subject, "F2******89");
    let flagged = sheet[0].id;
    let plain = sheet[1].id;
    assert_eq!(st.ledger.review_day(&chief, day).await.unwrap().len(), 1);
    // Only wang's supervisor signs; a flagged entry needs a remark.
    let e = st
        .ledger
        .step(&lee, plain, Step::Sign, "ok", "")
        .await
        .unwrap_err();
    assert!(matches!(e, baomi_server::error::Error::NotFound), "{e:?}");
    st.ledger
        .step(&boss, plain, Step::Sign, "", "")
        .await
        .unwrap();
    assert!(
        st.ledger
            .step(&boss, plain, Step::Ask, "why?", "")
            .await
            .is_err(),
        "signed is final"
    );
    assert!(
        st.ledger
            .step(&boss, flagged, Step::Sign, "", "")
            .await
            .is_err()
    );
    // Ask; only wang answers; then escalate; the integrity office concludes.
    st.ledger
        .step(&boss, flagged, Step::Ask, "這位當事人與案件的關係？", "")
        .await
        .unwrap();
    assert!(
        st.ledger
            .step(&lee, flagged, Step::Answer, "x", "")
            .await
            .is_err()
    );
    let q = st.ledger.questions_for(&wang).await.unwrap();
    assert_eq!(q.len(), 1);
    assert_eq!(q[0].thread[0].remark, "這位當事人與案件的關係？");
    st.ledger
        .step(&wang, flagged, Step::Answer, "她是欠稅人的配偶", "")
        .await
        .unwrap();
    assert!(
        st.ledger
            .step(&boss, flagged, Step::Close, "x", "")
            .await
            .is_err()
    );
    st.ledger
        .step(&boss, flagged, Step::Escalate, "說明與案件不符", "")
        .await
        .unwrap();
    let queue = st.ledger.queue(50).await.unwrap();
    assert_eq!(queue[0].id, flagged);
    assert_eq!(queue[0].thread.len(), 3);
    // Only an integrity officer sees the subject, and that is logged.
    assert!(st.ledger.reveal(&boss, flagged, "").await.is_err());
    assert_eq!(
        st.ledger.reveal(&ian, flagged, "10.0.0.5").await.unwrap(),
        "F223456789"
    );
    let seen: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_events WHERE action = 'lookups.reveal' AND actor_id = ?",
    )
    .bind(ian.id)
    .fetch_one(&st.db)
    .await
    .unwrap();
    assert_eq!(seen, 1);
    let found = st.ledger.by_subject(&ian, "f223456789", "").await.unwrap();
    assert_eq!(found.len(), 1, "who looked her up?");
    st.ledger
        .step(&ian, flagged, Step::Close, "移請人事單位議處", "")
        .await
        .unwrap();
    // The rest of the day in one signature; chief's day of lee is overdue for ian to see.
    assert_eq!(st.ledger.sign_day(&boss, day, "", "").await.unwrap(), 1);
    assert_eq!(st.ledger.sign_day(&boss, day, "", "").await.unwrap(), 0);
    let overdue = st.ledger.overdue(&ian).await.unwrap();
    assert_eq!(overdue.len(), 1);
    assert_eq!(overdue[0].supervisor, "局長");
    assert!(st.ledger.overdue(&boss).await.unwrap().is_empty());
    // Every step is in the audit trail.
    let steps: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_events WHERE action IN ('lookups.review', 'lookups.sign_day')",
    )
    .fetch_one(&st.db)
    .await
    .unwrap();
    assert_eq!(steps, 6);
}

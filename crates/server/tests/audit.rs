//! The audit trail: every state change in the tamper-evident log, `/log/` serving, the audit page.

mod common;

use common::*;

#[tokio::test]
async fn every_state_change_is_in_the_log_and_the_log_is_served() {
    let dir = tempfile::tempdir().unwrap();
    let st = start(dir.path()).await.state;
    add_user(&st, "wang", &[Role::Staff]).await;
    sign_in(&st, "wang", "correct horse battery staple").await;
    let _ = send(
        &st,
        post(
            "/signin",
            None,
            &[("username", "nobody"), ("password", "x")],
        ),
    )
    .await;
    let (rows, unshipped): (i64, i64) = (
        sqlx::query_scalar("SELECT COUNT(*) FROM audit_events")
            .fetch_one(&st.db)
            .await
            .unwrap(),
        sqlx::query_scalar("SELECT COUNT(*) FROM audit_events WHERE log_index IS NULL")
            .fetch_one(&st.db)
            .await
            .unwrap(),
    );
    assert_eq!(unshipped, 0);
    assert!(
        rows >= 4,
        "admin + wang created, sign-in, failed sign-in: {rows}"
    );

    // Served as tlog-tiles, verifiable by anyone with the verifier key.
    let r = send(&st, get("/log/checkpoint", None)).await;
    assert_eq!(
        r.headers().get(header::CONTENT_TYPE).unwrap(),
        "text/plain; charset=utf-8"
    );
    assert!(
        r.headers()
            .get(header::CACHE_CONTROL)
            .unwrap()
            .to_str()
            .unwrap()
            .contains("no-cache")
    );
    let cp = body(r).await;
    assert!(
        cp.starts_with(&format!("localhost/baomi\n{rows}\n")),
        "{cp}"
    );
    let tile = format!("/log/tile/entries/000.p/{rows}");
    let r = send(&st, get(&tile, None)).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.headers()
            .get(header::CACHE_CONTROL)
            .unwrap()
            .to_str()
            .unwrap()
            .contains("immutable")
    );
    let entries =
        baomi_tlog::bundle::decode(&r.into_body().collect().await.unwrap().to_bytes()).unwrap();
    let last: serde_json::Value = serde_json::from_slice(entries.last().unwrap()).unwrap();
    assert_eq!(last["action"], "auth.sign_in");
    assert_eq!(last["outcome"], "denied");
    // No personal data in the log: no IP address or username, only the row's hash.
    assert!(last.get("ip").is_none() && last["row_sha256"].as_str().unwrap().len() == 64);
    for bad in [
        "/log/tile/../baomi.db",
        "/log/tile/0/..%2f..%2fbaomi.db",
        "/log/log.private/key",
        "/log/tile/0/1",
    ] {
        assert_eq!(
            send(&st, get(bad, None)).await.status(),
            StatusCode::NOT_FOUND,
            "{bad}"
        );
    }
    let key = baomi_tlog::verifier(&baomi_tlog::LogPaths::beside(dir.path().join("log"))).unwrap();
    let report = baomi_tlog::verify::verify_log(
        &baomi_tlog::store::DirStore::new(dir.path().join("log")),
        &key,
        None,
    )
    .unwrap();
    assert_eq!(report.entries as i64, rows);

    // A row left unshipped by a crash is shipped at the next start, once.
    sqlx::query("INSERT INTO audit_events (at, action, outcome) VALUES (1, 'test.pending', 'ok')")
        .execute(&st.db)
        .await
        .unwrap();
    drop(st);
    let st = start(dir.path()).await.state;
    let idx: Option<i64> =
        sqlx::query_scalar("SELECT log_index FROM audit_events WHERE action = 'test.pending'")
            .fetch_one(&st.db)
            .await
            .unwrap();
    assert_eq!(idx, Some(rows));
    // The shipped row, then this start's own `server.start` event.
    assert_eq!(st.audit.log().unwrap().head().size as i64, rows + 2);
}

#[tokio::test]
async fn the_audit_page_is_for_integrity_officers_and_viewing_it_is_audited() {
    let dir = tempfile::tempdir().unwrap();
    let st = start(dir.path()).await.state;
    add_user(&st, "lee", &[Role::Staff, Role::Integrity]).await;
    add_user(&st, "wang", &[Role::Staff]).await;
    let w = sign_in(&st, "wang", "correct horse battery staple").await;
    assert_eq!(
        send(&st, get("/audit", Some(&w))).await.status(),
        StatusCode::FORBIDDEN
    );
    let l = sign_in(&st, "lee", "correct horse battery staple").await;
    // Not before the second factor.
    assert_eq!(
        location(&send(&st, get("/audit", Some(&l))).await),
        "/me/2fa"
    );
    enrol(&st, &l).await;
    let page = body(send(&st, get("/audit?action=auth.sign_in&user=wang", Some(&l))).await).await;
    assert!(
        page.contains("稽核紀錄") && page.contains("auth.sign_in"),
        "{page}"
    );
    assert!(!page.contains("account.create"), "filtered: {page}");
    let viewed: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM audit_events WHERE action = 'audit.view'")
            .fetch_one(&st.db)
            .await
            .unwrap();
    assert_eq!(viewed, 1);
}

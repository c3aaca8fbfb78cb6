//! Administrator pages: accounts, org chart upload, tokens.

mod common;

use common::*;

#[tokio::test]
async fn administrators_manage_accounts_and_import_the_org_chart_in_the_browser() {
    let dir = tempfile::tempdir().unwrap();
    let st = start(dir.path()).await.state;
    add_user(&st, "boss", &[Role::Admin]).await;
    let wang = add_user(&st, "wang", &[Role::Staff]).await;
    let a = sign_in(&st, "boss", "correct horse battery staple").await;
    enrol(&st, &a).await;
    let w = sign_in(&st, "wang", "correct horse battery staple").await;
    let page = body(send(&st, get("/admin/users", Some(&a))).await).await;
    assert!(page.contains("帳號管理") && page.contains("wang"), "{page}");
    let csrf = csrf_of(&page);

    // Disable wang: his session ends; the audit row names the administrator.
    let r = send(
        &st,
        post(
            "/admin/users",
            Some(&a),
            &[("csrf", &csrf), ("username", "wang"), ("action", "disable")],
        ),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        send(&st, get("/", Some(&w))).await.status(),
        StatusCode::SEE_OTHER
    );
    let actor: Option<i64> = sqlx::query_scalar(
        "SELECT actor_id FROM audit_events WHERE action = 'account.disable' AND target = ?",
    )
    .bind(format!("user:{wang}"))
    .fetch_one(&st.db)
    .await
    .unwrap();
    let boss: i64 = sqlx::query_scalar("SELECT id FROM users WHERE username = 'boss'")
        .fetch_one(&st.db)
        .await
        .unwrap();
    assert_eq!(actor, Some(boss));
    // Back, with a one-time password shown once.
    send(
        &st,
        post(
            "/admin/users",
            Some(&a),
            &[("csrf", &csrf), ("username", "wang"), ("action", "enable")],
        ),
    )
    .await;
    let page = body(
        send(
            &st,
            post(
                "/admin/users",
                Some(&a),
                &[
                    ("csrf", &csrf),
                    ("username", "wang"),
                    ("action", "reset-password"),
                ],
            ),
        )
        .await,
    )
    .await;
    let i = page.find("<code>").unwrap() + 6;
    let otp = &page[i..i + page[i..].find('<').unwrap()];
    let w2 = sign_in(&st, "wang", otp).await;
    assert_eq!(
        location(&send(&st, get("/", Some(&w2))).await),
        "/me/password"
    );
    // Not oneself; not without the token.
    let r = send(
        &st,
        post(
            "/admin/users",
            Some(&a),
            &[("csrf", &csrf), ("username", "boss"), ("action", "disable")],
        ),
    )
    .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let r = send(
        &st,
        post(
            "/admin/users",
            Some(&a),
            &[("csrf", "x"), ("username", "wang"), ("action", "disable")],
        ),
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    // Org chart: a bad file is refused with its lines; a good one is previewed, then applied.
    let bad = "員工編號,帳號,姓名,單位代碼\nA1,x y,甲,U1\n";
    let r = send(
        &st,
        multipart(
            "/admin/org",
            &a,
            &[("csrf", csrf.as_bytes()), ("file", bad.as_bytes())],
        ),
    )
    .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(body(r).await.contains("第 2"));
    let good =
        "員工編號,帳號,姓名,單位代碼,單位名稱\nA1,lin,林小華,U1,第一科\nA2,chen,陳大文,U1,第一科\n";
    let r = send(
        &st,
        multipart(
            "/admin/org",
            &a,
            &[("csrf", csrf.as_bytes()), ("file", good.as_bytes())],
        ),
    )
    .await;
    let preview = body(r).await;
    assert!(
        preview.contains("新增人員") && preview.contains("A2 (chen)"),
        "{preview}"
    );
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE username IN ('lin', 'chen')")
        .fetch_one(&st.db)
        .await
        .unwrap();
    assert_eq!(n, 0, "a preview writes nothing");
    let i = preview.find("name=\"apply\" value=\"").unwrap() + 20;
    let id = &preview[i..i + preview[i..].find('"').unwrap()];
    let r = send(
        &st,
        multipart(
            "/admin/org",
            &a,
            &[("csrf", csrf.as_bytes()), ("apply", id.as_bytes())],
        ),
    )
    .await;
    assert!(body(r).await.contains("已匯入"));
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE username IN ('lin', 'chen')")
        .fetch_one(&st.db)
        .await
        .unwrap();
    assert_eq!(n, 2);
    // The stored upload is gone: applying twice is refused.
    let r = send(
        &st,
        multipart(
            "/admin/org",
            &a,
            &[("csrf", csrf.as_bytes()), ("apply", id.as_bytes())],
        ),
    )
    .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn administrators_create_and_revoke_tokens_shown_once() {
    let dir = tempfile::tempdir().unwrap();
    let st = start(dir.path()).await.state;
    add_user(&st, "boss", &[Role::Admin]).await;
    add_user(&st, "sys", &[Role::Api]).await;
    let a = sign_in(&st, "boss", "correct horse battery staple").await;
    enrol(&st, &a).await;
    let csrf = csrf_of(&body(send(&st, get("/admin/tokens", Some(&a))).await).await);
    let form = [
        ("csrf", csrf.as_str()),
        ("user", "sys"),
        ("name", "戶役政"),
        ("scope", "profile:read"),
        ("scope", "lookups:write"),
        ("days", "30"),
    ];
    let page = body(send(&st, post("/admin/tokens", Some(&a), &form)).await).await;
    let i = page.find("<code>baomi_").unwrap() + 6;
    let token = page[i..i + page[i..].find('<').unwrap()].to_string();
    assert!(page.contains("profile:read lookups:write"), "{page}");
    assert_eq!(
        send(&st, bearer("/api/v1/me", &token)).await.status(),
        StatusCode::OK
    );
    // Listed afterwards without the token itself.
    let list = body(send(&st, get("/admin/tokens", Some(&a))).await).await;
    assert!(list.contains("戶役政") && !list.contains(&token));
    let id: i64 = sqlx::query_scalar("SELECT id FROM api_tokens")
        .fetch_one(&st.db)
        .await
        .unwrap();
    let id = id.to_string();
    send(
        &st,
        post(
            "/admin/tokens",
            Some(&a),
            &[("csrf", &csrf), ("revoke", &id)],
        ),
    )
    .await;
    assert_eq!(
        send(&st, bearer("/api/v1/me", &token)).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let bad = [
        ("csrf", csrf.as_str()),
        ("user", "nobody"),
        ("name", "x"),
        ("scope", "profile:read"),
    ];
    assert!(
        body(send(&st, post("/admin/tokens", Some(&a), &bad)).await)
            .await
            .contains("查無此帳號")
    );
    let started: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM audit_events WHERE action = 'server.start'")
            .fetch_one(&st.db)
            .await
            .unwrap();
    assert_eq!(started, 1);
}

//! Signing in through the router: first start, lockout, rate limit, sessions, leavers, CSRF,
//! headers, body limits and the second factor.

mod common;

use common::*;

#[tokio::test]
async fn first_start_admin_must_change_the_one_time_password() {
    let dir = tempfile::tempdir().unwrap();
    let opened = start(dir.path()).await;
    let pw = opened.first_admin_password.clone().unwrap();
    let st = opened.state;
    let r = send(&st, get("/", None)).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), "/signin");

    let r = send(
        &st,
        post(
            "/signin",
            None,
            &[("username", "admin"), ("password", "wrong password!!")],
        ),
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(body(r).await.contains("帳號或密碼錯誤"));

    let r = send(
        &st,
        post("/signin", None, &[("username", "admin"), ("password", &pw)]),
    )
    .await;
    let set = r
        .headers()
        .get(header::SET_COOKIE)
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Strict"),
        "{set}"
    );
    assert!(!set.contains("Secure"), "no TLS here: {set}");
    let cookie = set.split(';').next().unwrap().to_string();

    // Nothing but the password page until it is changed; the API says 403.
    let r = send(&st, get("/", Some(&cookie))).await;
    assert_eq!(location(&r), "/me/password");
    assert_eq!(
        send(&st, get("/api/v1/me", Some(&cookie))).await.status(),
        StatusCode::FORBIDDEN
    );
    let page = body(send(&st, get("/me/password", Some(&cookie))).await).await;
    let csrf = csrf_of(&page);

    let weak = [
        ("csrf", csrf.as_str()),
        ("current", pw.as_str()),
        ("new", "short"),
        ("repeat", "short"),
    ];
    let r = send(&st, post("/me/password", Some(&cookie), &weak)).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(body(r).await.contains("至少需 12 個字元"));
    let good = "一個夠長的新密碼-2026";
    let forged = [
        ("csrf", "not-the-token"),
        ("current", pw.as_str()),
        ("new", good),
        ("repeat", good),
    ];
    assert_eq!(
        send(&st, post("/me/password", Some(&cookie), &forged))
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    let ok = [
        ("csrf", csrf.as_str()),
        ("current", pw.as_str()),
        ("new", good),
        ("repeat", good),
    ];
    let r = send(&st, post("/me/password", Some(&cookie), &ok)).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(body(r).await.contains("密碼已變更"));

    // An administrator must enrol a second factor before anything else.
    let r = send(&st, get("/", Some(&cookie))).await;
    assert_eq!(location(&r), "/me/2fa");
    enrol(&st, &cookie).await;
    let home = body(send(&st, get("/", Some(&cookie))).await).await;
    assert!(
        home.contains("系統管理者") && home.contains("lang=\"zh-Hant-TW\""),
        "{home}"
    );
    let me = body(send(&st, get("/api/v1/me", Some(&cookie))).await).await;
    assert!(me.contains("\"roles\":[\"admin\"]"), "{me}");
    // The old one-time password no longer works; the new one does.
    let r = send(
        &st,
        post("/signin", None, &[("username", "admin"), ("password", &pw)]),
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let c2 = sign_in(&st, "admin", good).await;
    assert_eq!(
        location(&send(&st, get("/", Some(&c2))).await),
        "/signin/2fa"
    );
    // A second start does not create another administrator.
    drop(st);
    assert!(start(dir.path()).await.first_admin_password.is_none());
}

#[tokio::test]
async fn lockout_after_repeated_failures_even_with_the_right_password() {
    let dir = tempfile::tempdir().unwrap();
    let st = start(dir.path()).await.state;
    add_user(&st, "wang", &[Role::Staff]).await;
    for _ in 0..5 {
        let r = send(
            &st,
            post(
                "/signin",
                None,
                &[("username", "wang"), ("password", "guess guess guess")],
            ),
        )
        .await;
        assert!(
            r.status() == StatusCode::UNAUTHORIZED || r.status() == StatusCode::TOO_MANY_REQUESTS
        );
    }
    let r = send(
        &st,
        post(
            "/signin",
            None,
            &[
                ("username", "wang"),
                ("password", "correct horse battery staple"),
            ],
        ),
    )
    .await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(body(r).await.contains("暫時鎖定"));
    let n: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM audit_events WHERE action = 'auth.lockout'")
            .fetch_one(&st.db)
            .await
            .unwrap();
    assert_eq!(n, 1);
}

#[tokio::test]
async fn one_address_cannot_try_many_sign_ins_quickly() {
    let dir = tempfile::tempdir().unwrap();
    let st = start(dir.path()).await.state;
    let mut statuses = Vec::new();
    for i in 0..25 {
        let user = format!("user{i}");
        let r = send(
            &st,
            post(
                "/signin",
                None,
                &[("username", &user), ("password", "guess guess guess")],
            ),
        )
        .await;
        statuses.push(r.status());
    }
    assert!(
        statuses[..20]
            .iter()
            .all(|s| *s == StatusCode::UNAUTHORIZED)
    );
    assert_eq!(statuses[24], StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn sessions_are_fresh_revocable_and_only_ones_own() {
    let dir = tempfile::tempdir().unwrap();
    let st = start(dir.path()).await.state;
    add_user(&st, "wang", &[Role::Staff]).await;
    add_user(&st, "lin", &[Role::Staff]).await;
    // A token made up by an attacker is not a session (no fixation): sign-in issues a new one.
    let planted = "baomi_session=attacker-chosen-token";
    assert_eq!(
        send(&st, get("/", Some(planted))).await.status(),
        StatusCode::SEE_OTHER
    );
    let a1 = sign_in(&st, "wang", "correct horse battery staple").await;
    let a2 = sign_in(&st, "wang", "correct horse battery staple").await;
    assert_ne!(a1, a2);
    let b1 = sign_in(&st, "lin", "correct horse battery staple").await;

    let page = body(send(&st, get("/me/sessions", Some(&a1))).await).await;
    assert_eq!(
        page.matches("<tr>").count(),
        3,
        "header + two sessions: {page}"
    );
    let csrf = csrf_of(&page);
    // lin's session id, as an attacker might guess or learn it.
    let lin_ids: Vec<String> = sqlx::query_scalar("SELECT public_id FROM sessions WHERE user_id = (SELECT id FROM users WHERE username = 'lin')")
        .fetch_all(&st.db)
        .await
        .unwrap();
    let r = send(
        &st,
        post(
            "/me/sessions/revoke",
            Some(&a1),
            &[("csrf", &csrf), ("session", &lin_ids[0])],
        ),
    )
    .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        send(&st, get("/", Some(&b1))).await.status(),
        StatusCode::OK
    );

    // Revoke wang's other session from the first.
    let wang_other: String = sqlx::query_scalar(
        "SELECT public_id FROM sessions WHERE user_id = (SELECT id FROM users WHERE username = 'wang') ORDER BY created_at DESC, rowid DESC LIMIT 1",
    )
    .fetch_one(&st.db)
    .await
    .unwrap();
    let r = send(
        &st,
        post(
            "/me/sessions/revoke",
            Some(&a1),
            &[("csrf", &csrf), ("session", &wang_other)],
        ),
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let still: Vec<StatusCode> = vec![
        send(&st, get("/", Some(&a1))).await.status(),
        send(&st, get("/", Some(&a2))).await.status(),
    ];
    assert_eq!(still.iter().filter(|s| **s == StatusCode::OK).count(), 1);

    // Sign-out ends the session for good.
    let csrf = csrf_of(&body(send(&st, get("/", Some(&b1))).await).await);
    let r = send(&st, post("/signout", Some(&b1), &[("csrf", &csrf)])).await;
    assert_eq!(location(&r), "/signin");
    assert_eq!(
        send(&st, get("/", Some(&b1))).await.status(),
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn a_disabled_user_is_out_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let st = start(dir.path()).await.state;
    let id = add_user(&st, "chen", &[Role::Staff]).await;
    let c = sign_in(&st, "chen", "correct horse battery staple").await;
    assert_eq!(send(&st, get("/", Some(&c))).await.status(), StatusCode::OK);
    sqlx::query("UPDATE users SET disabled_at = 1 WHERE id = ?")
        .bind(id)
        .execute(&st.db)
        .await
        .unwrap();
    assert_eq!(
        send(&st, get("/", Some(&c))).await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        send(&st, get("/api/v1/me", Some(&c))).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let r = send(
        &st,
        post(
            "/signin",
            None,
            &[
                ("username", "chen"),
                ("password", "correct horse battery staple"),
            ],
        ),
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn cross_site_posts_and_missing_tokens_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let st = start(dir.path()).await.state;
    add_user(&st, "wang", &[Role::Staff]).await;
    let mut req = post(
        "/signin",
        None,
        &[
            ("username", "wang"),
            ("password", "correct horse battery staple"),
        ],
    );
    req.headers_mut()
        .insert("sec-fetch-site", "cross-site".parse().unwrap());
    assert_eq!(send(&st, req).await.status(), StatusCode::FORBIDDEN);
    let c = sign_in(&st, "wang", "correct horse battery staple").await;
    let r = send(&st, post("/signout", Some(&c), &[])).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(send(&st, get("/", Some(&c))).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn security_headers_on_every_response() {
    let dir = tempfile::tempdir().unwrap();
    let st = start(dir.path()).await.state;
    for path in [
        "/signin",
        "/",
        "/healthz",
        "/api/v1/me",
        "/nope",
        "/log/checkpoint",
    ] {
        let r = send(&st, get(path, None)).await;
        let h = r.headers();
        let csp = h
            .get(header::CONTENT_SECURITY_POLICY)
            .unwrap()
            .to_str()
            .unwrap();
        assert!(
            csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"),
            "{path}"
        );
        assert_eq!(h.get(header::X_CONTENT_TYPE_OPTIONS).unwrap(), "nosniff");
        assert!(
            h.get(header::STRICT_TRANSPORT_SECURITY).is_none(),
            "no HSTS without TLS"
        );
    }
    let r = send(&st, get("/api/v1/me", None)).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(body(r).await.contains("\"error\":\"unauthenticated\""));
    // English on request.
    let r = send(&st, get("/lang/en", None)).await;
    assert!(
        r.headers()
            .get(header::SET_COOKIE)
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("lang=en")
    );
    let page = body(send(&st, get("/signin", Some("lang=en"))).await).await;
    assert!(page.contains("Sign in") && page.contains("lang=\"en\""));
}

#[tokio::test]
async fn oversized_bodies_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let st = start(dir.path()).await.state;
    let big = "x".repeat(2 << 20);
    let r = send(
        &st,
        post("/signin", None, &[("username", "a"), ("password", &big)]),
    )
    .await;
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn second_factor_is_required_for_privileged_roles_and_codes_work_once() {
    let dir = tempfile::tempdir().unwrap();
    let st = start(dir.path()).await.state;
    add_user(&st, "chen", &[Role::Staff, Role::Supervisor]).await;
    add_user(&st, "wang", &[Role::Staff]).await;
    // Staff are not asked; a supervisor is, and the API refuses until enrolled.
    let w = sign_in(&st, "wang", "correct horse battery staple").await;
    assert_eq!(send(&st, get("/", Some(&w))).await.status(), StatusCode::OK);
    let c = sign_in(&st, "chen", "correct horse battery staple").await;
    assert_eq!(location(&send(&st, get("/", Some(&c))).await), "/me/2fa");
    assert_eq!(
        send(&st, get("/api/v1/me", Some(&c))).await.status(),
        StatusCode::FORBIDDEN
    );
    let secret = enrol(&st, &c).await;
    assert_eq!(send(&st, get("/", Some(&c))).await.status(), StatusCode::OK);

    // Next sign-in: the password alone is not enough.
    let c2 = sign_in(&st, "chen", "correct horse battery staple").await;
    assert_eq!(
        location(&send(&st, get("/me/sessions", Some(&c2))).await),
        "/signin/2fa"
    );
    let page = body(send(&st, get("/signin/2fa", Some(&c2))).await).await;
    let csrf = csrf_of(&page);
    // The code used at enrolment cannot be replayed within its window.
    let last: i64 = sqlx::query_scalar("SELECT totp_last_step FROM users WHERE username = 'chen'")
        .fetch_one(&st.db)
        .await
        .unwrap();
    let used = baomi_server::twofactor::code_at(&secret, last as u64 * 30).unwrap();
    let r = send(
        &st,
        post(
            "/signin/2fa",
            Some(&c2),
            &[("csrf", &csrf), ("code", &used)],
        ),
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let next = baomi_server::twofactor::code_at(&secret, (last as u64 + 1) * 30).unwrap();
    let r = send(
        &st,
        post(
            "/signin/2fa",
            Some(&c2),
            &[("csrf", &csrf), ("code", &next)],
        ),
    )
    .await;
    assert_eq!(location(&r), "/");
    assert_eq!(
        send(&st, get("/", Some(&c2))).await.status(),
        StatusCode::OK
    );

    // The secret is sealed in the database, not stored in clear.
    let raw: Vec<u8> = sqlx::query_scalar("SELECT totp_secret FROM users WHERE username = 'chen'")
        .fetch_one(&st.db)
        .await
        .unwrap();
    assert!(!raw.windows(secret.len()).any(|w| w == secret.as_bytes()));
    assert!(raw.len() > 20 + 24);

    // Five wrong codes lock the account and end the half-signed-in session.
    let c3 = sign_in(&st, "chen", "correct horse battery staple").await;
    let csrf = csrf_of(&body(send(&st, get("/signin/2fa", Some(&c3))).await).await);
    for _ in 0..5 {
        let _ = send(
            &st,
            post(
                "/signin/2fa",
                Some(&c3),
                &[("csrf", &csrf), ("code", "123456")],
            ),
        )
        .await;
    }
    assert_eq!(
        location(&send(&st, get("/signin/2fa", Some(&c3))).await),
        "/signin"
    );
    let r = send(
        &st,
        post(
            "/signin",
            None,
            &[
                ("username", "chen"),
                ("password", "correct horse battery staple"),
            ],
        ),
    )
    .await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
}

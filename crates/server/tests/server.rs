//! The server through its router (`app()` + `oneshot`): first start, sign-in, sessions, CSRF,
//! lockout, leavers, the audit trail in the tamper-evident log, and `/log/` serving.

use axum::body::Body;
use axum::http::{Request, Response, StatusCode, header};
use baomi_server::accounts::{self, NewUser, Role};
use baomi_server::config::Config;
use baomi_server::state::AppState;
use baomi_server::{Opened, app, open};
use http_body_util::BodyExt;
use tower::ServiceExt;

async fn start(dir: &std::path::Path) -> Opened {
    let cfg = Config {
        data_dir: dir.to_path_buf(),
        ..Config::default()
    };
    open(cfg).await.unwrap()
}

async fn send(st: &AppState, req: Request<Body>) -> Response<Body> {
    app(st.clone()).oneshot(req).await.unwrap()
}

async fn body(r: Response<Body>) -> String {
    String::from_utf8(r.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap()
}

fn get(path: &str, cookie: Option<&str>) -> Request<Body> {
    let mut b = Request::get(path);
    if let Some(c) = cookie {
        b = b.header(header::COOKIE, c);
    }
    b.body(Body::empty()).unwrap()
}

fn post(path: &str, cookie: Option<&str>, form: &[(&str, &str)]) -> Request<Body> {
    let body = form
        .iter()
        .map(|(k, v)| format!("{k}={}", urlencode(v)))
        .collect::<Vec<_>>()
        .join("&");
    let mut b =
        Request::post(path).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    if let Some(c) = cookie {
        b = b.header(header::COOKIE, c);
    }
    b.body(Body::from(body)).unwrap()
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn location(r: &Response<Body>) -> &str {
    r.headers().get(header::LOCATION).unwrap().to_str().unwrap()
}

/// Signs in; returns the `name=value` cookie pair.
async fn sign_in(st: &AppState, user: &str, pw: &str) -> String {
    let r = send(
        st,
        post("/signin", None, &[("username", user), ("password", pw)]),
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "sign-in of {user}");
    let c = r
        .headers()
        .get(header::SET_COOKIE)
        .unwrap()
        .to_str()
        .unwrap();
    c.split(';').next().unwrap().to_string()
}

fn csrf_of(html: &str) -> String {
    let i = html.find("name=\"csrf\" value=\"").unwrap() + 19;
    html[i..i + html[i..].find('"').unwrap()].to_string()
}

/// Enrols the signed-in user's second factor as their authenticator app would; returns the
/// secret (base32) and checks the recovery codes were shown.
async fn enrol(st: &AppState, cookie: &str) -> String {
    let page = body(send(st, get("/me/2fa", Some(cookie))).await).await;
    let i = page.find("<code>").unwrap() + 6;
    let secret: String = page[i..i + page[i..].find('<').unwrap()]
        .split_whitespace()
        .collect();
    let csrf = csrf_of(&page);
    let wrong = [("csrf", csrf.as_str()), ("code", "000000")];
    let r = send(st, post("/me/2fa", Some(cookie), &wrong)).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let code = baomi_server::twofactor::code_at(&secret, now).unwrap();
    let r = send(
        st,
        post("/me/2fa", Some(cookie), &[("csrf", &csrf), ("code", &code)]),
    )
    .await;
    let done = body(r).await;
    assert!(
        done.contains("兩步驟驗證已啟用") && done.matches("<li><code>").count() == 10,
        "{done}"
    );
    secret
}

async fn add_user(st: &AppState, name: &str, roles: &[Role]) -> i64 {
    accounts::create(
        &st.db,
        &st.audit,
        None,
        NewUser {
            username: name,
            display_name: "王小明",
            password: "correct horse battery staple",
            roles,
            must_change: false,
        },
    )
    .await
    .unwrap()
}

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

fn bearer(path: &str, token: &str) -> Request<Body> {
    Request::get(path)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap()
}

#[tokio::test]
async fn api_tokens_are_scoped_revocable_and_die_with_their_account() {
    let dir = tempfile::tempdir().unwrap();
    let st = start(dir.path()).await.state;
    let sys = add_user(&st, "household-system", &[Role::Api]).await;
    let (id, token) = baomi_server::tokens::create(
        &st.db,
        &st.audit,
        sys,
        "戶役政",
        &["profile:read".into()],
        None,
    )
    .await
    .unwrap();
    assert!(token.starts_with("baomi_"));
    let r = send(&st, bearer("/api/v1/me", &token)).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(body(r).await.contains("household-system"));
    // Stored hashed only.
    let stored: Vec<u8> = sqlx::query_scalar("SELECT token_hash FROM api_tokens WHERE id = ?")
        .bind(id)
        .fetch_one(&st.db)
        .await
        .unwrap();
    assert_eq!(stored.len(), 32);
    // A token without the scope, a made-up token, and a token on a web page.
    let (_, narrow) =
        baomi_server::tokens::create(&st.db, &st.audit, sys, "x", &["lookups:write".into()], None)
            .await
            .unwrap();
    assert_eq!(
        send(&st, bearer("/api/v1/me", &narrow)).await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        send(&st, bearer("/api/v1/me", "baomi_forged"))
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        send(&st, bearer("/", &token)).await.status(),
        StatusCode::SEE_OTHER
    );
    assert!(
        baomi_server::tokens::create(&st.db, &st.audit, sys, "x", &["everything".into()], None)
            .await
            .is_err()
    );
    // Expired tokens do not work.
    let (_, old) = baomi_server::tokens::create(
        &st.db,
        &st.audit,
        sys,
        "old",
        &["profile:read".into()],
        Some(-1),
    )
    .await
    .unwrap();
    assert_eq!(
        send(&st, bearer("/api/v1/me", &old)).await.status(),
        StatusCode::UNAUTHORIZED
    );
    // Revoked, then the account disabled.
    assert!(
        baomi_server::tokens::revoke(&st.db, &st.audit, id)
            .await
            .unwrap()
    );
    assert_eq!(
        send(&st, bearer("/api/v1/me", &token)).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let (_, t2) = baomi_server::tokens::create(
        &st.db,
        &st.audit,
        sys,
        "again",
        &["profile:read".into()],
        None,
    )
    .await
    .unwrap();
    sqlx::query("UPDATE users SET disabled_at = 1 WHERE id = ?")
        .bind(sys)
        .execute(&st.db)
        .await
        .unwrap();
    assert_eq!(
        send(&st, bearer("/api/v1/me", &t2)).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let created: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM audit_events WHERE action = 'token.create'")
            .fetch_one(&st.db)
            .await
            .unwrap();
    assert_eq!(created, 4);
}

#[tokio::test]
async fn the_openapi_document_describes_the_api() {
    let dir = tempfile::tempdir().unwrap();
    let st = start(dir.path()).await.state;
    let r = send(&st, get("/api/v1/openapi.json", None)).await;
    assert_eq!(r.status(), StatusCode::OK);
    let doc: serde_json::Value = serde_json::from_str(&body(r).await).unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths: Vec<&str> = doc["paths"]
        .as_object()
        .unwrap()
        .keys()
        .map(|k| k.as_str())
        .collect();
    for p in ["/api/v1/me", "/healthz", "/readyz"] {
        assert!(paths.contains(&p), "{p} missing from {paths:?}");
    }
    assert!(doc["components"]["securitySchemes"]["token"].is_object());
    assert!(doc["components"]["schemas"]["Me"]["properties"]["roles"].is_object());
}

/// Every route × every kind of caller. A new route must be added here, with who may use it.
#[tokio::test]
async fn authorisation_matrix_every_route_every_caller() {
    let dir = tempfile::tempdir().unwrap();
    let st = start(dir.path()).await.state;
    let mut callers: Vec<(&str, Option<String>, Option<String>)> = vec![("anonymous", None, None)];
    for (name, roles) in [
        ("staff", vec![Role::Staff]),
        ("supervisor", vec![Role::Staff, Role::Supervisor]),
        ("integrity", vec![Role::Staff, Role::Integrity]),
        ("sysadmin", vec![Role::Admin]),
    ] {
        add_user(&st, name, &roles).await;
        let c = sign_in(&st, name, "correct horse battery staple").await;
        if name != "staff" {
            enrol(&st, &c).await;
        }
        callers.push((name, Some(c), None));
    }
    let gone = add_user(&st, "leaver", &[Role::Staff]).await;
    let c = sign_in(&st, "leaver", "correct horse battery staple").await;
    sqlx::query("UPDATE users SET disabled_at = 1 WHERE id = ?")
        .bind(gone)
        .execute(&st.db)
        .await
        .unwrap();
    callers.push(("disabled", Some(c), None));
    let sys = add_user(&st, "sys", &[Role::Api]).await;
    let (_, t) =
        baomi_server::tokens::create(&st.db, &st.audit, sys, "t", &["profile:read".into()], None)
            .await
            .unwrap();
    callers.push(("token", None, Some(t)));
    let (_, t2) =
        baomi_server::tokens::create(&st.db, &st.audit, sys, "t2", &["audit:read".into()], None)
            .await
            .unwrap();
    callers.push(("token-other-scope", None, Some(t2)));

    const OK: u16 = 200;
    const SIGN_IN: u16 = 303;
    let signed_in = |who: &str| matches!(who, "staff" | "supervisor" | "integrity" | "sysadmin");
    let public = |_: &str| OK;
    let page = move |who: &str| if signed_in(who) { OK } else { SIGN_IN };
    let audit = move |who: &str| match who {
        "integrity" => OK,
        w if signed_in(w) => 403,
        _ => SIGN_IN,
    };
    let api = move |who: &str| match who {
        "token" => OK,
        "token-other-scope" => 403,
        w if signed_in(w) => OK,
        _ => 401,
    };
    let admin_page = move |who: &str| match who {
        "sysadmin" => OK,
        w if signed_in(w) => 403,
        _ => SIGN_IN,
    };
    // No peer address in these requests, as from afar: only a metrics:read token (none here).
    let metrics = move |who: &str| if who.starts_with("token") { 403 } else { 401 };
    type Rule = Box<dyn Fn(&str) -> u16>;
    let routes: Vec<(&str, Rule)> = vec![
        ("/signin", Box::new(public)),
        ("/healthz", Box::new(public)),
        ("/readyz", Box::new(public)),
        ("/static/app.css", Box::new(public)),
        ("/log/checkpoint", Box::new(public)),
        ("/api/v1/openapi.json", Box::new(public)),
        ("/", Box::new(page)),
        ("/me/sessions", Box::new(page)),
        ("/me/password", Box::new(page)),
        ("/me/2fa", Box::new(page)),
        ("/audit", Box::new(audit)),
        ("/api/v1/me", Box::new(api)),
        ("/metrics", Box::new(metrics)),
        ("/admin/users", Box::new(admin_page)),
        ("/admin/org", Box::new(admin_page)),
        ("/admin/tokens", Box::new(admin_page)),
    ];
    let mut failures = Vec::new();
    for (path, rule) in &routes {
        for (who, cookie, token) in &callers {
            let mut b = Request::get(*path);
            if let Some(c) = cookie {
                b = b.header(header::COOKIE, c);
            }
            if let Some(t) = token {
                b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
            }
            let got = send(&st, b.body(Body::empty()).unwrap())
                .await
                .status()
                .as_u16();
            let want = rule(who);
            if got != want {
                failures.push(format!("GET {path} as {who}: {got}, expected {want}"));
            }
        }
    }
    // State-changing routes refuse anyone without a session, and sessions without the token.
    for path in [
        "/signout",
        "/me/sessions/revoke",
        "/me/password",
        "/me/2fa",
        "/signin/2fa",
    ] {
        for (who, cookie, token) in &callers {
            let mut b = Request::post(path)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
            if let Some(c) = cookie {
                b = b.header(header::COOKIE, c);
            }
            if let Some(t) = token {
                b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
            }
            let got = send(
                &st,
                b.body(Body::from(
                    "csrf=wrong&code=1&session=x&current=a&new=b&repeat=b",
                ))
                .unwrap(),
            )
            .await
            .status()
            .as_u16();
            let want = if signed_in(who) { 403 } else { SIGN_IN };
            if got != want {
                failures.push(format!("POST {path} as {who}: {got}, expected {want}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[tokio::test]
async fn metrics_count_requests_by_route_and_need_a_token_from_afar() {
    let dir = tempfile::tempdir().unwrap();
    let st = start(dir.path()).await.state;
    for _ in 0..3 {
        send(&st, get("/signin", None)).await;
    }
    // No peer address here (as from afar): a token with the scope is needed.
    assert_eq!(
        send(&st, get("/metrics", None)).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let sys = add_user(&st, "prometheus", &[Role::Api]).await;
    let (_, wrong) =
        baomi_server::tokens::create(&st.db, &st.audit, sys, "p", &["profile:read".into()], None)
            .await
            .unwrap();
    assert_eq!(
        send(&st, bearer("/metrics", &wrong)).await.status(),
        StatusCode::FORBIDDEN
    );
    let (_, t) =
        baomi_server::tokens::create(&st.db, &st.audit, sys, "p", &["metrics:read".into()], None)
            .await
            .unwrap();
    let r = send(&st, bearer("/metrics", &t)).await;
    assert_eq!(r.status(), StatusCode::OK);
    let text = body(r).await;
    assert!(
        text.contains(r#"baomi_http_requests_total{route="/signin",method="GET",status="2xx"} 3"#),
        "{text}"
    );
    assert!(text.contains("baomi_audit_log_entries"));
    // The loopback case, with a real peer address.
    let mut req = get("/metrics", None);
    req.extensions_mut()
        .insert(axum::extract::ConnectInfo(std::net::SocketAddr::from((
            [127, 0, 0, 1],
            5555,
        ))));
    assert_eq!(send(&st, req).await.status(), StatusCode::OK);
}

fn multipart(path: &str, cookie: &str, fields: &[(&str, &[u8])]) -> Request<Body> {
    let boundary = "----baomi-test-boundary";
    let mut b = Vec::new();
    for (name, value) in fields {
        b.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        if *name == "file" {
            b.extend_from_slice(b"Content-Disposition: form-data; name=\"file\"; filename=\"org.csv\"\r\nContent-Type: text/csv\r\n\r\n");
        } else {
            b.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes(),
            );
        }
        b.extend_from_slice(value);
        b.extend_from_slice(b"\r\n");
    }
    b.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    Request::post(path)
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        )
        .header(header::COOKIE, cookie)
        .body(Body::from(b))
        .unwrap()
}

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

//! Who may use which route.

mod common;

use common::*;

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
    let supervisor_page = move |who: &str| match who {
        "supervisor" => OK,
        w if signed_in(w) => 403,
        _ => SIGN_IN,
    };
    let ledger_import = move |who: &str| match who {
        "integrity" | "sysadmin" => OK,
        w if signed_in(w) => 403,
        _ => SIGN_IN,
    };
    let flags_api = move |who: &str| match who {
        "integrity" => OK,
        "token" | "token-other-scope" => 403,
        w if signed_in(w) => 403,
        _ => 401,
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
        ("/lookups", Box::new(page)),
        ("/lookups/review", Box::new(supervisor_page)),
        ("/lookups/review/2026-11-02", Box::new(supervisor_page)),
        ("/lookups/integrity", Box::new(audit)),
        ("/lookups/report", Box::new(audit)),
        ("/lookups/import", Box::new(ledger_import)),
        ("/api/v1/lookups/flags", Box::new(flags_api)),
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
        "/lookups/step",
        "/lookups/search",
        "/lookups/reveal",
        "/lookups/sample",
        "/lookups/review/2026-11-02/sign",
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

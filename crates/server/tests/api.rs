//! The API: tokens, the OpenAPI document, metrics.

mod common;

use common::*;

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

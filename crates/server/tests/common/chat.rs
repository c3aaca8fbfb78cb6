//! Shared by the messenger's tests: an agency with units and a guest, people calling the API
//! with a token or a session, groups and messages.
#![allow(dead_code)]

use super::*;
use baomi_server::admin::Admin;
use serde_json::{Value, json};

pub fn org() -> String {
    let mut s = String::from(
        "employee_no,username,name,unit_code,unit_name,parent_unit_code,title,supervisor,roles,status,external
E1,chief,趙隊長,U1,偵查隊,HQ,隊長,,supervisor,active,
E2,chen,陳偵查員,U1,偵查隊,HQ,偵查員,E1,,active,
E3,lin,林偵查員,U1,偵查隊,HQ,偵查員,E1,,active,
E4,wu,吳科員,U2,行政科,HQ,科員,,,active,
E5,ian,林政風,HQ,本局,,政風專員,,integrity,active,
G1,vendor,黃廠商,X1,外部廠商,,工程師,,,active,yes
",
    );
    for i in 10..30 {
        s.push_str(&format!(
            "E{i},clerk{i},科員{i}號,U2,行政科,HQ,科員,,,active,\n"
        ));
    }
    s.push_str("H0,hq,本局,HQ,本局,,,,,active,\n");
    s
}

/// Someone calling the API: with a token (other clients) or a browser session.
#[derive(Clone)]
pub struct Who {
    pub id: i64,
    pub auth: Auth,
}

#[derive(Clone)]
pub enum Auth {
    Token(String),
    Session { cookie: String, csrf: String },
}

pub async fn user_id(st: &AppState, name: &str) -> i64 {
    sqlx::query_scalar("SELECT id FROM users WHERE username = ?")
        .bind(name)
        .fetch_one(&st.db)
        .await
        .unwrap()
}

pub async fn token(st: &AppState, name: &str) -> Who {
    let id = user_id(st, name).await;
    let (_, t) = baomi_server::tokens::create(
        &st.db,
        &st.audit,
        id,
        "test client",
        &["messages:read".into(), "messages:write".into()],
        None,
    )
    .await
    .unwrap();
    Who {
        id,
        auth: Auth::Token(t),
    }
}

pub async fn session(st: &AppState, name: &str) -> Who {
    let id = user_id(st, name).await;
    let u = accounts::get(&st.db, id).await.unwrap().unwrap();
    accounts::set_password(&st.db, &st.audit, &u, "correct horse battery staple", "")
        .await
        .unwrap();
    let cookie = sign_in(st, name, "correct horse battery staple").await;
    if u.needs_second_factor() {
        enrol(st, &cookie).await;
    }
    let page = body(send(st, get("/me/sessions", Some(&cookie))).await).await;
    Who {
        id,
        auth: Auth::Session {
            csrf: csrf_of(&page),
            cookie,
        },
    }
}

pub async fn setup(dir: &std::path::Path) -> AppState {
    let st = start(dir).await.state;
    let admin = add_user(&st, "sysadmin", &[Role::Admin]).await;
    Admin::for_web(&st, admin, "")
        .import_org(org().as_bytes(), true)
        .await
        .unwrap()
        .unwrap();
    st
}

pub async fn call(
    st: &AppState,
    who: &Who,
    method: &str,
    path: &str,
    b: Option<Value>,
) -> (StatusCode, Value) {
    let mut r = Request::builder().method(method).uri(path);
    match &who.auth {
        Auth::Token(t) => r = r.header(header::AUTHORIZATION, format!("Bearer {t}")),
        Auth::Session { cookie, csrf } => {
            r = r
                .header(header::COOKIE, cookie)
                .header("x-csrf-token", csrf)
        }
    }
    let req = match b {
        Some(v) => r
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(v.to_string()))
            .unwrap(),
        None => r.body(Body::empty()).unwrap(),
    };
    let resp = send(st, req).await;
    let status = resp.status();
    let text = body(resp).await;
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

pub async fn group(
    st: &AppState,
    admin: &Who,
    title: &str,
    sensitivity: &str,
    members: &[i64],
) -> i64 {
    let (s, v) = call(
        st,
        admin,
        "POST",
        "/api/v1/conversations",
        Some(json!({"title": title, "sensitivity": sensitivity, "members": members})),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v["id"].as_i64().unwrap()
}

pub async fn say(
    st: &AppState,
    who: &Who,
    conv: i64,
    client_id: &str,
    text: &str,
    extra: Value,
) -> Value {
    let mut d = json!({"text": text, "client_id": client_id});
    for (k, v) in extra.as_object().unwrap() {
        d[k] = v.clone();
    }
    let (s, v) = call(
        st,
        who,
        "POST",
        &format!("/api/v1/conversations/{conv}/messages"),
        Some(d),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v
}

pub async fn texts(st: &AppState, who: &Who, conv: i64) -> Vec<Value> {
    let (s, v) = call(
        st,
        who,
        "GET",
        &format!("/api/v1/conversations/{conv}/messages"),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v.as_array().unwrap().clone()
}

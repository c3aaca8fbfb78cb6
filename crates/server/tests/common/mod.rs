//! Helpers for the router tests: a server on a temporary data folder, requests, sign-in.
#![allow(dead_code, unused_imports)]

pub mod chat;

pub use axum::body::Body;
pub use axum::http::{Request, Response, StatusCode, header};
pub use baomi_server::accounts::{self, NewUser, Role};
pub use baomi_server::config::Config;
pub use baomi_server::state::AppState;
pub use baomi_server::{Opened, app, open};
pub use http_body_util::BodyExt;
pub use tower::ServiceExt;

pub async fn start(dir: &std::path::Path) -> Opened {
    let cfg = Config {
        data_dir: dir.to_path_buf(),
        ..Config::default()
    };
    open(cfg).await.unwrap()
}

pub async fn send(st: &AppState, req: Request<Body>) -> Response<Body> {
    app(st.clone()).oneshot(req).await.unwrap()
}

pub async fn body(r: Response<Body>) -> String {
    String::from_utf8(r.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap()
}

pub fn get(path: &str, cookie: Option<&str>) -> Request<Body> {
    let mut b = Request::get(path);
    if let Some(c) = cookie {
        b = b.header(header::COOKIE, c);
    }
    b.body(Body::empty()).unwrap()
}

pub fn post(path: &str, cookie: Option<&str>, form: &[(&str, &str)]) -> Request<Body> {
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

pub fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

pub fn location(r: &Response<Body>) -> &str {
    r.headers().get(header::LOCATION).unwrap().to_str().unwrap()
}

/// Signs in; returns the `name=value` cookie pair.
pub async fn sign_in(st: &AppState, user: &str, pw: &str) -> String {
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

pub fn csrf_of(html: &str) -> String {
    let i = html.find("name=\"csrf\" value=\"").unwrap() + 19;
    html[i..i + html[i..].find('"').unwrap()].to_string()
}

/// Enrols the signed-in user's second factor as their authenticator app would; returns the
/// secret (base32) and checks the recovery codes were shown.
pub async fn enrol(st: &AppState, cookie: &str) -> String {
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

pub async fn add_user(st: &AppState, name: &str, roles: &[Role]) -> i64 {
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

pub fn bearer(path: &str, token: &str) -> Request<Body> {
    Request::get(path)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap()
}

pub fn multipart(path: &str, cookie: &str, fields: &[(&str, &[u8])]) -> Request<Body> {
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

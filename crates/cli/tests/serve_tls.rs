//! `baomi serve` refuses plaintext on a non-loopback address, and serves HTTPS (rustls) with
//! Secure `__Host-` cookies and HSTS when given a certificate.

mod common;

use std::process::{Command, Stdio};

#[test]
fn no_plaintext_beyond_loopback() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_baomi"))
        .args([
            "serve",
            "--data",
            dir.path().join("d").to_str().unwrap(),
            "--listen",
            "0.0.0.0:0",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("refusing to listen on 0.0.0.0:0 without TLS")
    );
}

#[test]
fn https_with_secure_cookies_and_hsts() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    let ok = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=baomi-test",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stderr(Stdio::null())
        .status()
        .expect("openssl (Debian's, a dependency of ca-certificates)");
    assert!(ok.success());
    let port = common::free_port();
    let data = dir.path().join("d");
    let (server, text) = common::serve(
        data.to_str().unwrap(),
        port,
        &[
            "--tls-cert",
            cert.to_str().unwrap(),
            "--tls-key",
            key.to_str().unwrap(),
        ],
    );
    let server = common::Killed(server);
    assert!(text.contains(&format!("https://127.0.0.1:{port}")));
    let pw = common::one_time_password(&text);
    // A client that verifies the certificate (Python's ssl with the test CA).
    let script = format!(
        r#"
import ssl, urllib.request, urllib.parse, sys
ctx = ssl.create_default_context(cafile="{cert}")
class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *a, **k): return None
op = urllib.request.build_opener(urllib.request.HTTPSHandler(context=ctx), NoRedirect)
r = op.open("https://127.0.0.1:{port}/signin")
print("hsts", r.headers.get("Strict-Transport-Security"))
data = urllib.parse.urlencode({{"username": "admin", "password": "{pw}"}}).encode()
try:
    r = op.open("https://127.0.0.1:{port}/signin", data)
except urllib.error.HTTPError as e:
    r = e
print("cookie", r.headers.get("Set-Cookie"))
try:
    urllib.request.urlopen("http://127.0.0.1:{port}/signin", timeout=5)
    print("plain ok")
except Exception as e:
    print("plain refused")
"#,
        cert = cert.display()
    );
    let out = Command::new("python3")
        .args(["-c", &script])
        .output()
        .unwrap();
    drop(server);
    let so = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{so}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(so.contains("hsts max-age=31536000"), "{so}");
    let cookie = so.lines().find(|l| l.starts_with("cookie ")).unwrap();
    assert!(
        cookie.contains("__Host-baomi_session=")
            && cookie.contains("Secure")
            && cookie.contains("HttpOnly"),
        "{cookie}"
    );
    assert!(so.contains("plain refused"), "{so}");
}

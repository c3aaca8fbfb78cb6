//! schemathesis (from PyPI) against the OpenAPI document of a running `baomi serve`: generated
//! requests, with and without a valid API token, get no 5xx and responses that match the schema.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[test]
fn the_api_conforms_to_its_openapi_document() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let d = data.to_str().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut server = Command::new(env!("CARGO_BIN_EXE_baomi"))
        .args([
            "serve",
            "--data",
            d,
            "--listen",
            &format!("127.0.0.1:{port}"),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut text = String::new();
    let mut out = BufReader::new(server.stdout.take().unwrap());
    while !text.contains("baomi serve:") {
        assert!(
            out.read_line(&mut text).unwrap() > 0,
            "server exited: {text}"
        );
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline);
        std::thread::sleep(Duration::from_millis(50));
    }
    let run = |args: &[&str]| {
        let o = Command::new(env!("CARGO_BIN_EXE_baomi"))
            .args(args)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8(o.stdout).unwrap()
    };
    run(&[
        "admin", "--data", d, "user", "add", "sys", "--name", "介接", "--role", "api",
    ]);
    let token = run(&[
        "admin",
        "--data",
        d,
        "token",
        "create",
        "--user",
        "sys",
        "--name",
        "st",
        "--scope",
        "profile:read",
    ]);
    let token = token.split_whitespace().last().unwrap().to_string();
    let base = format!("http://127.0.0.1:{port}");
    let mut results = Vec::new();
    for auth in [Some(token.as_str()), None] {
        let mut c = Command::new("schemathesis");
        c.args([
            "run",
            &format!("{base}/api/v1/openapi.json"),
            "--url",
            &base,
            "--checks",
            "all",
        ])
        .args(["--max-examples", "40", "--seed", "20261127"])
        .env("NO_COLOR", "1");
        if let Some(t) = auth {
            c.args(["-H", &format!("Authorization: Bearer {t}")]);
        }
        let o = c
            .output()
            .expect("schemathesis (pip install schemathesis; .ci/run installs it)");
        results.push((
            o.status.success(),
            String::from_utf8_lossy(&o.stdout).into_owned(),
        ));
    }
    let _ = server.kill();
    let _ = server.wait();
    // With a token: no issue at all. Without: only 401s, which schemathesis notes as a warning.
    let (ok, out) = &results[0];
    assert!(*ok && out.contains("No issues found"), "{out}");
    let (ok, out) = &results[1];
    assert!(*ok && !out.contains("failures"), "{out}");
}

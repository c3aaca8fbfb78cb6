//! Shared by the integration tests: running the real `baomi`, reading its JSON lines, starting
//! `baomi serve`.
#![allow(dead_code)]

pub mod browser;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// A free loopback port.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Waits until something listens on the port.
pub fn wait_port(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "nothing listens on {port}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A child process killed when dropped.
pub struct Killed(pub Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `baomi serve --data DATA --listen 127.0.0.1:PORT EXTRA...` and waits until it listens.
/// Returns the process and what it printed before listening (the first-start banner).
pub fn serve(data: &str, port: u16, extra: &[&str]) -> (Child, String) {
    let mut c = Command::new(env!("CARGO_BIN_EXE_baomi"))
        .args([
            "serve",
            "--data",
            data,
            "--listen",
            &format!("127.0.0.1:{port}"),
        ])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(c.stdout.take().unwrap());
    let mut text = String::new();
    while !text.contains("baomi serve:") {
        assert!(
            out.read_line(&mut text).unwrap() > 0,
            "server exited: {text}"
        );
    }
    wait_port(port);
    (c, text)
}

/// The one-time password in what `baomi serve` or `baomi admin` printed.
pub fn one_time_password(text: &str) -> String {
    text.lines()
        .find_map(|l| l.split("one-time password ").nth(1))
        .unwrap_or_else(|| panic!("no password in {text:?}"))
        .trim()
        .to_string()
}

/// Runs `baomi ARGS`, which must succeed; returns its stdout.
pub fn baomi_ok(args: &[&str]) -> String {
    let o = Command::new(env!("CARGO_BIN_EXE_baomi"))
        .args(args)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "baomi {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

/// Runs `baomi ARGS` with no stdin.
pub fn baomi(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_baomi"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run baomi")
}

/// The JSON lines `baomi` printed.
pub fn json_lines(out: &Output) -> Vec<serde_json::Value> {
    String::from_utf8(out.stdout.clone())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

/// Writes `bytes` to `dir/name`; returns the path as a string.
pub fn write(dir: &std::path::Path, name: &str, bytes: &[u8]) -> String {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p.display().to_string()
}

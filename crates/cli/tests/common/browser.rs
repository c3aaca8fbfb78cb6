//! A minimal W3C WebDriver client for Debian's headless Chromium (chromedriver), and the
//! sign-in steps the browser tests share.

use super::{Killed, free_port, one_time_password, wait_port};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A minimal W3C WebDriver client: the few commands these tests need.
pub struct Browser {
    base: String,
    session: String,
    agent: ureq::Agent,
    _driver: Killed,
}

impl Browser {
    pub fn start(profile: &Path) -> Browser {
        let port = free_port();
        let driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver (Debian's chromium-driver; .ci/run installs it)");
        let driver = Killed(driver);
        wait_port(port);
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(60)))
            .build()
            .into();
        let base = format!("http://127.0.0.1:{port}");
        let caps = serde_json::json!({ "capabilities": { "alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": "/usr/bin/chromium",
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--disable-background-networking", "--disable-component-update",
                         "--disable-sync", "--no-first-run", "--lang=zh-TW",
                         format!("--user-data-dir={}", profile.display())]
            }
        }}});
        let v = call(&agent, "POST", &format!("{base}/session"), Some(caps));
        let session = v["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {v}"))
            .to_string();
        Browser {
            base,
            session,
            agent,
            _driver: driver,
        }
    }

    pub fn cmd(
        &self,
        method: &str,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> serde_json::Value {
        let url = format!("{}/session/{}{path}", self.base, self.session);
        let v = call(&self.agent, method, &url, body);
        if v["value"].get("error").is_some() {
            panic!("webdriver {method} {path}: {v}");
        }
        v["value"].clone()
    }

    pub fn goto(&self, url: &str) {
        self.cmd("POST", "/url", Some(serde_json::json!({ "url": url })));
    }

    pub fn url(&self) -> String {
        self.cmd("GET", "/url", None).as_str().unwrap().to_string()
    }

    pub fn source(&self) -> String {
        self.cmd("GET", "/source", None)
            .as_str()
            .unwrap()
            .to_string()
    }

    /// The page source once it contains `needle` (a click's navigation may still be running).
    pub fn wait_text(&self, needle: &str) -> String {
        self.wait_source(&format!("{needle:?}"), |src| src.contains(needle))
    }

    /// The page source once `ready` holds for it: for pages whose old and new versions share
    /// the text a test would otherwise wait for.
    pub fn wait_source(&self, what: &str, ready: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let src = self.source();
            if ready(&src) {
                return src;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what} in {src}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Waits until the URL ends with `suffix`.
    pub fn wait_url(&self, suffix: &str) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while !self.url().ends_with(suffix) {
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {suffix}: at {}",
                self.url()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn find(&self, css: &str) -> String {
        let v = self.cmd(
            "POST",
            "/element",
            Some(serde_json::json!({ "using": "css selector", "value": css })),
        );
        v.as_object()
            .unwrap()
            .values()
            .next()
            .unwrap()
            .as_str()
            .unwrap()
            .to_string()
    }

    pub fn fill(&self, css: &str, text: &str) {
        let el = self.find(css);
        self.cmd(
            "POST",
            &format!("/element/{el}/clear"),
            Some(serde_json::json!({})),
        );
        self.cmd(
            "POST",
            &format!("/element/{el}/value"),
            Some(serde_json::json!({ "text": text })),
        );
    }

    pub fn click(&self, css: &str) {
        let el = self.find(css);
        self.cmd(
            "POST",
            &format!("/element/{el}/click"),
            Some(serde_json::json!({})),
        );
    }

    /// Runs a script in the page; its return value.
    pub fn js(&self, script: &str, args: serde_json::Value) -> serde_json::Value {
        self.cmd(
            "POST",
            "/execute/sync",
            Some(serde_json::json!({ "script": script, "args": args })),
        )
    }

    /// Waits until `test` (a script returning a value) returns something truthy; returns it.
    pub fn wait_js(&self, test: &str, what: &str) -> serde_json::Value {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let v = self.js(test, serde_json::json!([]));
            if !(v.is_null() || v == false || v == "" || v == 0) {
                return v;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}: {}",
                self.source()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Waits until an element matching `css` exists.
    pub fn wait_css(&self, css: &str) {
        let test = format!(
            "return !!document.querySelector({});",
            serde_json::json!(css)
        );
        self.wait_js(&test, css);
    }

    /// The text of the first element matching `css`, once there.
    pub fn text(&self, css: &str) -> String {
        self.wait_css(css);
        let test = format!(
            "return document.querySelector({}).textContent;",
            serde_json::json!(css)
        );
        self.js(&test, serde_json::json!([]))
            .as_str()
            .unwrap_or("")
            .to_string()
    }

    pub fn forget_cookies(&self) {
        self.cmd("DELETE", "/cookie", None);
    }

    pub fn screenshot(&self, path: &Path) {
        use base64::Engine as _;
        let b64 = self.cmd("GET", "/screenshot", None);
        let png = base64::engine::general_purpose::STANDARD
            .decode(b64.as_str().unwrap())
            .unwrap();
        std::fs::write(path, png).unwrap();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self
            .agent
            .delete(&format!("{}/session/{}", self.base, self.session))
            .call();
    }
}

pub fn call(
    agent: &ureq::Agent,
    method: &str,
    url: &str,
    body: Option<serde_json::Value>,
) -> serde_json::Value {
    let resp = match (method, body) {
        ("GET", _) => agent.get(url).call(),
        ("DELETE", _) => agent.delete(url).call(),
        (_, b) => agent
            .post(url)
            .header("content-type", "application/json")
            .send(b.unwrap_or(serde_json::json!({})).to_string()),
    };
    let text = resp.unwrap().body_mut().read_to_string().unwrap();
    serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON from {url}: {text}"))
}

/// `baomi ARGS...`, which must succeed; its standard output.
pub fn baomi(args: &[&str]) -> String {
    super::baomi_ok(args)
}

/// The current code of a TOTP secret.
pub fn totp_now(secret: &str) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    baomi_server::twofactor::code_at(secret, now).unwrap()
}

/// First sign-in with a one-time password from the command line: a new password, and for
/// supervisors and integrity officers a second factor.
pub fn first_sign_in(b: &Browser, site: &str, data: &str, user: &str, privileged: bool) {
    let otp = one_time_password(&baomi(&[
        "admin",
        "--data",
        data,
        "user",
        "reset-password",
        user,
    ]));
    b.goto(&format!("{site}/signin"));
    b.fill("input[name=username]", user);
    b.fill("input[name=password]", &otp);
    b.click("button[type=submit]");
    b.wait_url("/me/password");
    let pw = "我的新密碼夠長也夠複雜-2026".to_string();
    b.fill("input[name=current]", &otp);
    b.fill("input[name=new]", &pw);
    b.fill("input[name=repeat]", &pw);
    b.click("main button[type=submit]");
    b.wait_text("密碼已變更");
    if privileged {
        b.goto(&format!("{site}/"));
        b.wait_url("/me/2fa");
        let page = b.wait_text("<code>");
        let i = page.find("<code>").unwrap() + 6;
        let secret: String = page[i..i + page[i..].find('<').unwrap()]
            .split_whitespace()
            .collect();
        b.fill("input[name=code]", &totp_now(&secret));
        b.click("main button[type=submit]");
        b.wait_text("兩步驟驗證已啟用");
    }
}

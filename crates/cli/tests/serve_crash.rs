//! `baomi serve` killed with SIGKILL under load: every answered request's audit record survives
//! (in the database and in the log), nothing is appended twice, and the log verifies.

mod common;

use std::process::{Child, Command};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

fn start(data: &str, port: u16) -> (Child, String) {
    // The per-address sign-in limit would cut the load short: lift it for this test.
    let cfg = format!("{data}.toml");
    std::fs::write(
        &cfg,
        "signin_burst = 1000000\nsignin_per_minute = 1000000\n",
    )
    .unwrap();
    common::serve(data, port, &["--config", &cfg])
}

#[test]
fn kill_9_under_load_loses_no_answered_audit_record() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let d = data.to_str().unwrap().to_string();
    let port = common::free_port();
    let (mut server, _) = start(&d, port);

    // Failed sign-ins: each is audited, and answered only once its record is in the log.
    let answered = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let workers: Vec<_> = (0..8)
        .map(|_| {
            let (answered, stop) = (answered.clone(), stop.clone());
            std::thread::spawn(move || {
                let agent: ureq::Agent = ureq::Agent::config_builder()
                    .http_status_as_error(false)
                    .timeout_global(Some(Duration::from_secs(5)))
                    .build()
                    .into();
                while !stop.load(Ordering::Relaxed) {
                    let r = agent
                        .post(&format!("http://127.0.0.1:{port}/signin"))
                        .header("content-type", "application/x-www-form-urlencoded")
                        .send("username=ghost&password=not-a-password");
                    match r {
                        Ok(resp) if resp.status() == 401 => {
                            answered.fetch_add(1, Ordering::SeqCst);
                        }
                        _ => break,
                    }
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(2500));
    server.kill().unwrap();
    server.wait().unwrap();
    stop.store(true, Ordering::Relaxed);
    for w in workers {
        w.join().unwrap();
    }
    let acked = answered.load(Ordering::SeqCst);
    assert!(acked > 10, "the load must be real: {acked}");

    // Restart: recovery ships what a crash left and links what already reached the log.
    let (mut server, _) = start(&d, port);
    let _ = Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status();
    server.wait().unwrap();

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (rows, unshipped, distinct, log_size) = rt.block_on(async {
        let cfg = baomi_server::config::Config { data_dir: data.clone(), ..Default::default() };
        let adm = baomi_server::admin::Admin::open(&cfg).await.unwrap();
        let q = |sql: &'static str| {
            let db = adm.db.clone();
            async move { sqlx::query_scalar::<_, i64>(sql).fetch_one(&db).await.unwrap() }
        };
        (
            q("SELECT COUNT(*) FROM audit_events WHERE action = 'auth.sign_in' AND outcome = 'denied'").await,
            q("SELECT COUNT(*) FROM audit_events WHERE log_index IS NULL").await,
            q("SELECT COUNT(DISTINCT log_index) FROM audit_events").await,
            adm.audit.log().unwrap().head().size as i64,
        )
    });
    assert!(
        rows >= acked as i64,
        "{rows} records for {acked} answered requests"
    );
    assert_eq!(unshipped, 0);
    // One log entry per row: nothing lost, nothing twice.
    let total: i64 = distinct;
    assert_eq!(total, log_size);
    let vkey = common::baomi_ok(&["admin", "--data", &d, "log-vkey"]);
    let out = Command::new(env!("CARGO_BIN_EXE_baomi"))
        .args(["log", "verify", &format!("{d}/log"), "--vkey", vkey.trim()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    eprintln!(
        "{acked} answered before SIGKILL; {rows} records; log of {log_size} entries verifies"
    );
}

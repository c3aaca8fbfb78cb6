//! baomi-loadgen: measures the messenger the way an agency would load it. It starts a real
//! `baomi serve` (release build, SQLite, its own data folder), imports an org chart of N people,
//! gives each a token, makes groups of them, connects every person over the WebSocket stream,
//! and has each one send at a steady pace for a while. Every message goes through the gate, is
//! stored durably, logged, and delivered to its group. It prints one table: messages accepted
//! per second, deliveries per second, send-to-delivery latency, and the gate's own cost.
//!
//! `cargo build --release -p baomi-cli -p baomi-loadgen && target/release/baomi-loadgen`
//! (benchmarks are not run in CI).

use anyhow::{Context, Result, bail};
use clap::Parser;
use futures_util::{SinkExt, StreamExt};
use serde::Deserialize;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::{Message, client::IntoClientRequest};

#[derive(Parser)]
#[command(about = "Load generator for baomi's messenger (WebSocket clients in groups)")]
struct Args {
    /// The `baomi` binary to run.
    #[arg(long, default_value = "target/release/baomi")]
    baomi: PathBuf,
    /// Connected clients (one person each).
    #[arg(long, default_value_t = 1000)]
    clients: usize,
    /// Groups (clients are spread evenly; each client is in one group).
    #[arg(long, default_value_t = 100)]
    groups: usize,
    /// Messages per second offered, all clients together.
    #[arg(long, default_value_t = 2000.0)]
    rate: f64,
    /// Seconds measured (after the warm-up).
    #[arg(long, default_value_t = 15)]
    seconds: u64,
    /// Seconds of warm-up.
    #[arg(long, default_value_t = 3)]
    warmup: u64,
    /// Only measure the gate (no server).
    #[arg(long)]
    gate_only: bool,
}

/// Chat lines as staff write them (a few name people or carry numbers, as real ones do).
const LINES: &[&str] = &[
    "各位同仁好，明天上午九點在三樓會議室召開勤務會議，請準時出席並攜帶相關資料。",
    "收到，謝謝學長。",
    "公文已陳核，等主任批示後再通知大家。",
    "請協助確認上週五的值勤表是否已經上傳到系統。",
    "下午兩點到四點系統維護，期間暫停受理線上申請。",
    "提醒：機密公文不得拍照上傳 LINE，請依規定辦理。",
    "會議紀錄請承辦人於本週三前送簽。",
    "明天天氣不好，外勤同仁請注意安全。",
    "這份簽呈的附件版本不對，麻煩再確認一次。",
    "好的，我等一下處理。",
];

fn main() -> Result<()> {
    let args = Args::parse();
    let gate = gate_bench();
    if args.gate_only {
        print_gate(&gate);
        return Ok(());
    }
    let run = load(&args)?;
    println!();
    println!(
        "baomi messenger load — {} clients in {} groups, {:.0} msg/s offered, {} s measured (2 cores, SQLite, loopback)",
        args.clients, args.groups, args.rate, args.seconds
    );
    println!("| measure | result | target |");
    println!("|---|---:|---:|");
    let ok = |c: bool| if c { "✔" } else { "✘" };
    println!(
        "| messages accepted (inspected, stored durably, logged) | {:.0}/s | ≥ 2,000/s {} |",
        run.accepted_per_s,
        ok(run.accepted_per_s >= 2000.0)
    );
    println!(
        "| deliveries to connected members | {:.0}/s | ≥ 20,000/s {} |",
        run.delivered_per_s,
        ok(run.delivered_per_s >= 20_000.0)
    );
    println!(
        "| send → delivery latency p50 / p99 / max | {:.1} / {:.1} / {:.1} ms | p99 < 100 ms {} |",
        run.lat[0],
        run.lat[1],
        run.lat[2],
        ok(run.lat[1] < 100.0)
    );
    println!(
        "| send → acknowledgement p50 / p99 | {:.1} / {:.1} ms | |",
        run.ack[0], run.ack[1]
    );
    println!("| refused or failed sends | {} | 0 |", run.failed);
    println!(
        "| gate per text message p50 / p99 | {:.3} / {:.3} ms | p99 < 1 ms {} |",
        gate[0],
        gate[1],
        ok(gate[1] < 1.0)
    );
    println!(
        "| server CPU / peak RSS | {:.0}% of one core / {} MB | |",
        run.server_cpu * 100.0,
        run.server_rss_mb
    );
    println!();
    println!(
        "For scale: Rocket.Chat's maintainers report ~1,350 messages per minute at 7,000 users as a stretch."
    );
    Ok(())
}

fn print_gate(g: &[f64; 3]) {
    println!(
        "gate per text message: p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms",
        g[0], g[1], g[2]
    );
}

/// The gate alone on the chat lines (plus lines with personal data and a marking).
fn gate_bench() -> [f64; 3] {
    use baomi_inspect::policy::{Audience, Channel};
    use baomi_server::messenger::gate::Gate;
    let g = Gate::default();
    let mut lines: Vec<String> = LINES.iter().map(|s| s.to_string()).collect();
    lines.push("檢舉人陳大文（身分證A123456789，電話0912-345-678）反映路燈損壞，住臺北市中正區重慶南路一段122號。".into());
    lines.push("密等及解密條件或保密期限：機密\n主旨：本週擴大臨檢勤務規劃".into());
    let mut samples = Vec::with_capacity(100_000);
    for i in 0..100_000 {
        let text = &lines[i % lines.len()];
        let t = Instant::now();
        std::hint::black_box(g.check(text, Channel::Chat, Audience::SameUnit));
        samples.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    percentiles(&mut samples)
}

fn percentiles(v: &mut [f64]) -> [f64; 3] {
    if v.is_empty() {
        return [f64::NAN; 3];
    }
    v.sort_by(|a, b| a.total_cmp(b));
    let at = |q: f64| v[((v.len() as f64 - 1.0) * q).round() as usize];
    [at(0.5), at(0.99), v[v.len() - 1]]
}

struct Run {
    accepted_per_s: f64,
    delivered_per_s: f64,
    lat: [f64; 3],
    ack: [f64; 3],
    failed: u64,
    server_cpu: f64,
    server_rss_mb: u64,
}

struct Server {
    child: Child,
    dir: PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn free_port() -> Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

fn baomi(bin: &Path, args: &[&str]) -> Result<String> {
    let o = Command::new(bin)
        .args(args)
        .output()
        .with_context(|| format!("running {}", bin.display()))?;
    if !o.status.success() {
        bail!("baomi {args:?}: {}", String::from_utf8_lossy(&o.stderr));
    }
    Ok(String::from_utf8_lossy(&o.stdout).into_owned())
}

/// (utime + stime) clock ticks and peak RSS (kB) of a process.
fn usage(pid: u32) -> (u64, u64) {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit(')')
        .next()
        .unwrap_or("")
        .split_whitespace()
        .collect();
    let ticks = fields
        .get(11)
        .and_then(|u| u.parse::<u64>().ok())
        .unwrap_or(0)
        + fields
            .get(12)
            .and_then(|s| s.parse::<u64>().ok())
            .unwrap_or(0);
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let hwm = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0);
    (ticks, hwm)
}

fn start(args: &Args) -> Result<(Server, u16)> {
    let dir = std::env::temp_dir().join(format!("baomi-loadgen-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let data = dir.join("data");
    let port = free_port()?;
    let child = Command::new(&args.baomi)
        .args([
            "serve",
            "--data",
            data.to_str().unwrap(),
            "--listen",
            &format!("127.0.0.1:{port}"),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .with_context(|| {
            format!(
                "starting {} (build it: cargo build --release -p baomi-cli)",
                args.baomi.display()
            )
        })?;
    let server = Server { child, dir };
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if Instant::now() > deadline {
            bail!("baomi serve did not start");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok((server, port))
}

/// The org chart, tokens and groups: (token, group) per client.
fn populate(args: &Args, server: &Server, port: u16) -> Result<Vec<(String, i64)>> {
    let data = server.dir.join("data");
    let org = server.dir.join("org.csv");
    let mut f = std::fs::File::create(&org)?;
    writeln!(f, "employee_no,username,name,unit_code,unit_name,title")?;
    for i in 0..args.clients {
        let unit = i * 10 / args.clients.max(1);
        writeln!(f, "L{i:05},u{i:05},測試員{i:05},U{unit:02},第{unit}科,科員")?;
    }
    drop(f);
    baomi(
        &args.baomi,
        &[
            "admin",
            "--data",
            data.to_str().unwrap(),
            "import-org",
            org.to_str().unwrap(),
            "--apply",
        ],
    )?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let tokens = rt.block_on(async {
        let cfg = baomi_server::config::Config {
            data_dir: data.clone(),
            ..Default::default()
        };
        let adm = baomi_server::admin::Admin::open(&cfg)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let users: Vec<(i64, String)> = sqlx_users(&adm).await?;
        let mut out = Vec::with_capacity(users.len());
        for (id, _) in &users {
            let (_, t) = baomi_server::tokens::create(
                &adm.db,
                &adm.audit,
                *id,
                "load",
                &["messages:read".into(), "messages:write".into()],
                None,
            )
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
            out.push((*id, t));
        }
        anyhow::Ok(out)
    })?;
    let per = args.clients / args.groups.max(1);
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut result = Vec::with_capacity(args.clients);
    for g in 0..args.groups {
        let members: Vec<&(i64, String)> = tokens[g * per..((g + 1) * per).min(tokens.len())]
            .iter()
            .collect();
        let ids: Vec<i64> = members[1..].iter().map(|m| m.0).collect();
        let body = serde_json::json!({"title": format!("第{g}組"), "members": ids}).to_string();
        let mut r = agent
            .post(&format!("http://127.0.0.1:{port}/api/v1/conversations"))
            .header("authorization", &format!("Bearer {}", members[0].1))
            .header("content-type", "application/json")
            .send(body)?;
        let v: serde_json::Value = serde_json::from_str(&r.body_mut().read_to_string()?)?;
        let conv = v["id"]
            .as_i64()
            .with_context(|| format!("group not made: {v}"))?;
        for m in members {
            result.push((m.1.clone(), conv));
        }
    }
    Ok(result)
}

async fn sqlx_users(adm: &baomi_server::admin::Admin) -> Result<Vec<(i64, String)>> {
    Ok(
        sqlx::query_as("SELECT id, username FROM users WHERE username LIKE 'u%' ORDER BY username")
            .fetch_all(&adm.db)
            .await?,
    )
}

#[derive(Default)]
struct Stats {
    /// Send times (µs since start) of acknowledged messages, with the acknowledgement time.
    acks: Vec<(u64, u64)>,
    /// (send µs, delivery µs) of each delivery.
    deliveries: Vec<(u64, u64)>,
    failed: u64,
}

#[derive(Deserialize)]
struct Frame<'a> {
    #[serde(default)]
    kind: Option<&'a str>,
    #[serde(default, borrow)]
    message: Option<Msg<'a>>,
    #[serde(default)]
    reply: Option<&'a str>,
    #[serde(default)]
    outcome: Option<Outcome<'a>>,
}

#[derive(Deserialize)]
struct Msg<'a> {
    #[serde(borrow)]
    text: Option<std::borrow::Cow<'a, str>>,
}

#[derive(Deserialize)]
struct Outcome<'a> {
    status: &'a str,
}

fn load(args: &Args) -> Result<Run> {
    let (server, port) = start(args)?;
    eprintln!(
        "populating: {} people, tokens, {} groups ...",
        args.clients, args.groups
    );
    let clients = populate(args, &server, port)?;
    let pid = server.child.id();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let stats = Arc::new(Mutex::new(Stats::default()));
    let origin = Instant::now();
    let interval = Duration::from_secs_f64(args.clients as f64 / args.rate);
    let total = Duration::from_secs(args.warmup + args.seconds);
    eprintln!("connecting {} clients ...", clients.len());
    let (usage_before, measured) = rt.block_on(async {
        let mut conns = Vec::with_capacity(clients.len());
        for (token, conv) in &clients {
            let mut req = format!("ws://127.0.0.1:{port}/api/v1/stream?since=1000000000").into_client_request()?;
            req.headers_mut().insert("authorization", format!("Bearer {token}").parse()?);
            let cfg = tokio_tungstenite::tungstenite::protocol::WebSocketConfig::default().read_buffer_size(4096);
            let (ws, _) = tokio_tungstenite::connect_async_with_config(req, Some(cfg), false).await?;
            conns.push((ws, *conv));
        }
        eprintln!("sending for {} s (+{} s warm-up) ...", args.seconds, args.warmup);
        let start = Instant::now();
        let mut tasks = Vec::new();
        for (k, (ws, conv)) in conns.into_iter().enumerate() {
            let stats = stats.clone();
            let (mut tx, mut rx) = ws.split();
            let offset = interval.mul_f64((k as f64 * 0.618_034) % 1.0);
            let sender = tokio::spawn(async move {
                tokio::time::sleep(offset).await;
                let mut tick = tokio::time::interval(interval);
                tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
                let mut n = 0u64;
                while start.elapsed() < total {
                    tick.tick().await;
                    let t = origin.elapsed().as_micros() as u64;
                    let text = format!("t={t};{}", LINES[(k + n as usize) % LINES.len()]);
                    let frame = serde_json::json!({"send": conv, "draft": {"text": text, "client_id": format!("c{k}-{n}-{t}")}});
                    if tx.send(Message::Text(frame.to_string().into())).await.is_err() {
                        break;
                    }
                    n += 1;
                }
                tx
            });
            let receiver = tokio::spawn(async move {
                while let Some(Ok(m)) = rx.next().await {
                    let Message::Text(text) = m else { continue };
                    let now = origin.elapsed().as_micros() as u64;
                    let Ok(f) = serde_json::from_str::<Frame>(text.as_str()) else { continue };
                    if let Some(client_id) = f.reply {
                        let sent = client_id.rsplit('-').next().and_then(|t| t.parse::<u64>().ok()).unwrap_or(now);
                        let mut s = stats.lock().unwrap();
                        match f.outcome {
                            Some(o) if o.status == "sent" => s.acks.push((sent, now)),
                            _ => s.failed += 1,
                        }
                    } else if f.kind == Some("message")
                        && let Some(sent) = f.message.and_then(|m| m.text).and_then(|t| t.strip_prefix("t=").and_then(|r| r.split(';').next()).and_then(|v| v.parse::<u64>().ok()))
                    {
                        stats.lock().unwrap().deliveries.push((sent, now));
                    }
                }
            });
            tasks.push((sender, receiver));
        }
        tokio::time::sleep(Duration::from_secs(args.warmup)).await;
        let before = (usage(pid), Instant::now());
        tokio::time::sleep(Duration::from_secs(args.seconds)).await;
        let after = (usage(pid), Instant::now());
        // Let what is in flight arrive.
        tokio::time::sleep(Duration::from_secs(2)).await;
        for (s, r) in tasks {
            if let Ok(tx) = s.await {
                drop(tx);
            }
            r.abort();
        }
        anyhow::Ok((before, after))
    })?;
    let ((u0, t0), (u1, t1)) = (usage_before, measured);
    let window = (t1 - t0).as_secs_f64();
    let w0 = (t0 - origin).as_micros() as u64;
    let w1 = (t1 - origin).as_micros() as u64;
    let s = stats.lock().unwrap();
    let accepted = s
        .acks
        .iter()
        .filter(|(_, at)| (w0..w1).contains(at))
        .count();
    let mut ack: Vec<f64> = s
        .acks
        .iter()
        .filter(|(sent, _)| (w0..w1).contains(sent))
        .map(|(sent, at)| (at - sent) as f64 / 1000.0)
        .collect();
    let delivered = s
        .deliveries
        .iter()
        .filter(|(_, at)| (w0..w1).contains(at))
        .count();
    let mut lat: Vec<f64> = s
        .deliveries
        .iter()
        .filter(|(sent, _)| (w0..w1).contains(sent))
        .map(|(sent, at)| (at - sent) as f64 / 1000.0)
        .collect();
    // USER_HZ of /proc times: 100 on Linux.
    let ticks = 100.0;
    Ok(Run {
        accepted_per_s: accepted as f64 / window,
        delivered_per_s: delivered as f64 / window,
        lat: percentiles(&mut lat),
        ack: percentiles(&mut ack),
        failed: s.failed,
        server_cpu: (u1.0 - u0.0) as f64 / ticks / window,
        server_rss_mb: u1.1 / 1024,
    })
}

//! Integration tests: run the real `baomi` binary on files we write.

mod common;

use common::{baomi, json_lines, write};

use std::process::{Command, Stdio};

const LETTER: &str = "主旨：陳情人王小明（身分證A123456789）陳情案。\n電話0912-345-678，住臺北市中正區重慶南路一段122號。\n";

#[test]
fn json_contract_and_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let found = write(dir.path(), "letter.txt", LETTER.as_bytes());
    let clean = write(
        dir.path(),
        "clean.txt",
        "會議改到下午三點舉行。\n".as_bytes(),
    );

    let out = baomi(&["scan", "--format", "json", &found]);
    assert_eq!(out.status.code(), Some(1));
    let lines = json_lines(&out);
    let kinds: Vec<&str> = lines.iter().map(|l| l["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["person_name", "tw_national_id", "phone", "address"]);
    for l in &lines {
        let (s, e) = (
            l["start"].as_u64().unwrap() as usize,
            l["end"].as_u64().unwrap() as usize,
        );
        assert!(s < e && e <= LETTER.len());
        assert!(l["confidence"].as_f64().unwrap() > 0.5);
        assert!(l.get("value").is_none(), "raw values only on request");
    }
    let id = &lines[1];
    let (s, e) = (
        id["start"].as_u64().unwrap() as usize,
        id["end"].as_u64().unwrap() as usize,
    );
    assert_eq!(&LETTER[s..e], "A123456789");
    assert_eq!(id["masked"], "A12345****");

    let shown = baomi(&["scan", "--format", "json", "--show-values", &found]);
    assert_eq!(json_lines(&shown)[1]["value"], "A123456789");

    assert_eq!(baomi(&["scan", &clean]).status.code(), Some(0));
    let counted = baomi(&["scan", "--count", &found, &clean]);
    assert_eq!(counted.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&counted.stdout),
        format!("{found}:4\n")
    );
    // A missing file is an error for that file only: the other file is still scanned.
    let missing = dir.path().join("missing.txt").display().to_string();
    let out = baomi(&["scan", "--format", "json", &missing, &found]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(json_lines(&out).len(), 4);
    assert!(String::from_utf8_lossy(&out.stderr).contains("missing.txt"));
}

#[test]
fn classification_level_in_json() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        dir.path(),
        "memo.txt",
        "極機密（限閱）\n有關專案勤務部署事宜。\n".as_bytes(),
    );
    let out = baomi(&["scan", "--format", "json", &p]);
    let l = &json_lines(&out)[0];
    assert_eq!(l["kind"], "classification");
    assert_eq!(l["level"], "極機密");
}

#[test]
fn encodings_are_detected_and_binary_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let (big5, _, unmappable) = encoding_rs::BIG5.encode(LETTER);
    assert!(!unmappable);
    let b = write(dir.path(), "big5.txt", &big5);
    let mut u16 = vec![0xFF, 0xFE];
    for u in LETTER.encode_utf16() {
        u16.extend_from_slice(&u.to_le_bytes());
    }
    let u = write(dir.path(), "utf16.txt", &u16);
    for p in [&b, &u] {
        let out = baomi(&["scan", "--format", "json", p]);
        let lines = json_lines(&out);
        assert_eq!(lines.len(), 4, "{p}");
        assert!(lines[0]["encoding"].is_string());
    }
    let bin = write(
        dir.path(),
        "image.bin",
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR A123456789",
    );
    // An image that cannot be read is never a clean pass: exit 1, a warning, a JSON record.
    let out = baomi(&["scan", &bin]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not inspected"));
    let rec = &json_lines(&baomi(&["scan", "--format", "json", &bin]))[0];
    assert_eq!(rec["kind"], "not_inspected");
    // Not inspected is a decision input: chat blocks it.
    let out = baomi(&["scan", "--format", "json", "--channel", "chat", &bin]);
    let d = json_lines(&out)
        .into_iter()
        .find(|l| l["type"] == "decision")
        .unwrap();
    assert_eq!(d["action"], "block");
    assert_eq!(d["reasons"][0]["rule"], "uninspected-content");
    // A text export with a stray NUL is still text, and still scanned.
    let mut padded = LETTER.as_bytes().to_vec();
    padded.extend_from_slice(b"\x00\n");
    padded.extend_from_slice("填充".repeat(40).as_bytes());
    let p = write(dir.path(), "export.txt", &padded);
    assert_eq!(
        json_lines(&baomi(&["scan", "--format", "json", &p])).len(),
        4
    );
}

#[test]
fn unreadable_files_and_special_files_are_reported() {
    // /proc/self/mem refuses reads at offset 0, even to root: a real unreadable file.
    let dir = tempfile::tempdir().unwrap();
    let ok = write(dir.path(), "ok.txt", LETTER.as_bytes());
    let out = baomi(&["scan", "--format", "json", "/proc/self/mem", &ok]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/proc/self/mem"));
    assert_eq!(json_lines(&out).len(), 4);
    let fifo = dir.path().join("pipe");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let out = baomi(&["scan", dir.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a regular file"));
}

#[test]
fn invalid_utf8_is_scanned_and_reported() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = b"\xff\xfe\xfd broken ".to_vec();
    bytes.extend_from_slice(LETTER.as_bytes());
    bytes[0] = 0xC3; // not a BOM, not Big5-valid after the fix below
    bytes[1] = 0x28;
    let p = write(dir.path(), "mixed.txt", &bytes);
    let out = baomi(&["scan", "--format", "json", &p]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(json_lines(&out).len(), 4);
    assert!(String::from_utf8_lossy(&out.stderr).contains("invalid"));
}

#[test]
fn long_single_line_and_deep_trees() {
    let dir = tempfile::tempdir().unwrap();
    // 9 MB without a newline: crosses chunk boundaries mid-line.
    let mut line = String::new();
    let mut planted = 0;
    while line.len() < 9 << 20 {
        line.push_str(&"公務資料不得外流，".repeat(97));
        line.push_str("身分證A123456789，");
        planted += 1;
    }
    write(dir.path(), "long.txt", line.as_bytes());
    let mut deep = dir.path().to_path_buf();
    for i in 0..120 {
        deep = deep.join(format!("d{i}"));
    }
    std::fs::create_dir_all(&deep).unwrap();
    write(&deep, "deep.txt", LETTER.as_bytes());
    let root = dir.path().display().to_string();
    let out = baomi(&[
        "scan",
        "--format",
        "json",
        "--kinds",
        "tw_national_id",
        &root,
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(json_lines(&out).len(), planted + 1);
}

#[test]
fn symlink_loops_are_reported_not_followed_forever() {
    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join("sub");
    std::fs::create_dir(&sub).unwrap();
    write(&sub, "a.txt", LETTER.as_bytes());
    std::os::unix::fs::symlink(dir.path(), sub.join("loop")).unwrap();
    let root = dir.path().display().to_string();
    let out = baomi(&["scan", "--follow", "--format", "json", &root]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("loop"));
    assert_eq!(json_lines(&out).len(), 4);
    // Without --follow the link is named, not silently skipped.
    let out = baomi(&["scan", "--format", "json", &root]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("symbolic link not followed"));
}

#[test]
fn stdin_and_sarif() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_baomi"))
        .args(["scan", "--format", "sarif", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(LETTER.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["version"], "2.1.0");
    let results = doc["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 4);
    assert_eq!(results[1]["ruleId"], "tw_national_id");
    assert_eq!(
        results[1]["locations"][0]["physicalLocation"]["region"]["startLine"],
        1
    );
}

#[test]
fn policy_decisions_per_file() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "letter.txt", LETTER.as_bytes());
    let out = baomi(&[
        "scan",
        "--format",
        "json",
        "--channel",
        "mail",
        "--audience",
        "external",
        &p,
    ]);
    let lines = json_lines(&out);
    let d = lines.iter().find(|l| l["type"] == "decision").unwrap();
    assert_eq!(d["action"], "block");
    let bad = write(
        dir.path(),
        "bad.toml",
        b"[[rule]]\nname = 'x'\naction = 'explode'\n",
    );
    let out = baomi(&["scan", "--policy", &bad, &p]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("policy"));
}

#[test]
fn redact_keeps_layout_and_encoding() {
    let dir = tempfile::tempdir().unwrap();
    let (big5, _, _) = encoding_rs::BIG5.encode(LETTER);
    let p = write(dir.path(), "letter-big5.txt", &big5);
    let out_path = dir.path().join("masked.txt");
    let out = baomi(&["redact", &p, "-o", out_path.to_str().unwrap()]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let masked_bytes = std::fs::read(&out_path).unwrap();
    let (masked, had_errors) = encoding_rs::BIG5.decode_without_bom_handling(&masked_bytes);
    assert!(!had_errors);
    assert_eq!(
        masked,
        "主旨：陳情人王○○（身分證A12345****）陳情案。\n電話0912-***-678，住臺北市中正區重慶南路一段○○○○。\n"
    );
    assert_eq!(masked.lines().count(), LETTER.lines().count());
    // The masked copy has nothing left to find but what was meant to stay.
    let again = baomi(&["scan", "--format", "json", out_path.to_str().unwrap()]);
    assert_eq!(json_lines(&again).len(), 0);
}

#[test]
fn redact_refuses_classified_documents() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        dir.path(),
        "memo.txt",
        "密等：機密\n陳情人王小明\n".as_bytes(),
    );
    let out = baomi(&["redact", &p]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("classification marking"));
    assert!(out.stdout.is_empty());
    let out = baomi(&["redact", "--allow-classified", &p]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "密等：機密\n陳情人王○○\n"
    );
}

#[test]
fn redact_html_keeps_markup() {
    let dir = tempfile::tempdir().unwrap();
    let html = "<!DOCTYPE html>\n<html lang=\"zh-Hant-TW\"><body>\n<h1>陳情案回覆</h1>\n<p>陳情人<b>王小明</b>君：身分證A123456789，\
                <a href=\"mailto:wang.xm@example.com.tw\">wang.xm@example.com.tw</a>，電話<span class=\"tel\">0912-345-678</span>。</p>\n</body></html>\n";
    let p = write(dir.path(), "reply.html", html.as_bytes());
    let out = baomi(&["redact", &p]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let masked = String::from_utf8(out.stdout).unwrap();
    for secret in ["A123456789", "wang.xm@", "0912-345-678", "王小明"] {
        assert!(!masked.contains(secret), "{secret} left in {masked}");
    }
    // Every tag survives as it was: masking only ever replaces characters inside findings.
    let tags = |s: &str| {
        s.match_indices('<')
            .map(|(i, _)| s[i..].split_inclusive('>').next().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    let (before, after) = (tags(html), tags(&masked));
    assert_eq!(before.len(), after.len());
    for (a, b) in before.iter().zip(&after) {
        if !a.contains("mailto") {
            assert_eq!(a, b);
        }
    }
    assert!(masked.contains("<a href=\"mailto:w******@example.com.tw\">"));
    assert!(masked.contains("<span class=\"tel\">0912-***-678</span>"));
    // The name was split from 陳情人 by a tag, and is masked all the same.
    assert!(masked.contains("陳情人<b>王○○</b>君"));
}

//! Output formats of `baomi scan`: text for people, JSON lines for programs (the contract of
//! PRODUCT.md), SARIF for code-scanning dashboards.

use baomi_inspect::mask::{MaskProfile, mask_into, mask_value};
use baomi_inspect::policy::Decision;
use baomi_inspect::{Finding, Kind};
use serde_json::{Value, json};
use std::io::Write;
use std::sync::Mutex;

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// `path:line:column: kind masked-value` for people.
    Text,
    /// One JSON object per finding per line.
    Json,
    /// SARIF 2.1.0, one document at the end.
    Sarif,
}

/// One finding, ready to print.
pub struct Record<'a> {
    pub path: &'a str,
    pub finding: &'a Finding,
    pub value: &'a str,
    pub start: usize,
    pub line: usize,
    pub column: usize,
    pub encoding: Option<&'static str>,
    /// Inside a document: where (`附件.zip > a.docx > header`); lines count from its start.
    pub origin: Option<&'a str>,
    /// A spreadsheet cell.
    pub place: Option<&'a str>,
}

/// Shared sink for all threads. Lines are written whole.
pub struct Sink {
    format: Format,
    show_values: bool,
    profile: MaskProfile,
    out: Mutex<Box<dyn Write + Send>>,
    /// SARIF results, each already serialised: a tree of `Value`s per result costs more than
    /// the scan.
    sarif: Mutex<Vec<String>>,
    notes: Mutex<Vec<Value>>,
}

impl Sink {
    pub fn new(format: Format, show_values: bool, out: Box<dyn Write + Send>) -> Sink {
        Sink {
            format,
            show_values,
            profile: MaskProfile::default(),
            out: Mutex::new(out),
            sarif: Mutex::new(vec![]),
            notes: Mutex::new(vec![]),
        }
    }

    /// Formats one finding into `buf` (a per-file buffer the caller hands to [`Sink::flush`]).
    /// SARIF results are kept for the document written at the end.
    pub fn format(&self, buf: &mut Vec<u8>, r: &Record<'_>) {
        if self.format == Format::Sarif {
            let res = self.sarif_result(r).to_string();
            self.sarif
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(res);
            return;
        }
        thread_local! {
            // One buffer per thread for masked values: a scan prints findings by the million.
            static MASKED: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
        }
        MASKED.with_borrow_mut(|masked| {
            masked.clear();
            mask_into(r.finding.kind, r.value, &self.profile, masked);
            self.format_masked(buf, r, masked);
        });
    }

    fn format_masked(&self, buf: &mut Vec<u8>, r: &Record<'_>, masked: &str) {
        use std::io::Write as _;
        let shown = if self.show_values { r.value } else { masked };
        match self.format {
            Format::Text => {
                let _ = write!(buf, "{}", r.path);
                if let Some(o) = r.origin.filter(|o| !o.is_empty()) {
                    let _ = write!(buf, " > {o}");
                }
                if let Some(c) = r.place {
                    let _ = write!(buf, " > {c}");
                }
                let _ = write!(buf, ":{}:{}: {}", r.line, r.column, r.finding.kind);
                if let Some(l) = r.finding.level {
                    let _ = write!(buf, " [{l}]");
                }
                let _ = writeln!(buf, " {shown} ({:.2})", r.finding.confidence);
            }
            Format::Json => json_line(buf, r, masked, self.show_values),
            Format::Sarif => unreachable!("handled in format"),
        }
    }

    /// Writes a per-file buffer of formatted findings in one piece, and empties it.
    pub fn flush(&self, buf: &mut Vec<u8>) {
        if buf.is_empty() {
            return;
        }
        let mut out = self.out.lock().unwrap_or_else(|p| p.into_inner());
        let _ = out.write_all(buf);
        buf.clear();
    }

    /// A per-file policy decision.
    pub fn decision(&self, path: &str, d: &Decision, as_json: bool) {
        if self.format == Format::Sarif {
            return;
        }
        let line = if as_json {
            json!({"type": "decision", "path": path, "action": d.action, "reasons": d.reasons})
                .to_string()
        } else {
            let rules: Vec<&str> = d.reasons.iter().map(|r| r.rule.as_str()).collect();
            let why = d
                .reasons
                .first()
                .map(|r| format!(" — {}", r.zh))
                .unwrap_or_default();
            format!("{path}: 決定 {} [{}]{why}", d.action, rules.join(", "))
        };
        self.write(&(line + "\n"));
    }

    /// A line of its own (counts).
    pub fn raw_line(&self, line: &str) {
        self.write(&format!("{line}\n"));
    }

    /// Content of a document that was not inspected: a warning for people and, in JSON, a record
    /// of kind `not_inspected` so that programs cannot mistake it for clean content.
    pub fn not_inspected(&self, path: &str, origin: &str, code: &str, message: &str) {
        let at = if origin.is_empty() {
            path.to_string()
        } else {
            format!("{path} > {origin}")
        };
        self.note(&at, &format!("not inspected: {message}"), false);
        if self.format == Format::Json {
            let line = json!({"path": path, "kind": "not_inspected", "start": 0, "end": 0,
                "confidence": 1.0, "origin": origin, "reason": code, "message": message});
            self.write(&(line.to_string() + "\n"));
        }
    }

    /// A file that was not inspected, or a warning about one.
    pub fn note(&self, path: &str, message: &str, error: bool) {
        let tag = if error { "error" } else { "warning" };
        eprintln!("baomi: {path}: {tag}: {message}");
        if self.format == Format::Sarif {
            let mut n = self.notes.lock().unwrap_or_else(|p| p.into_inner());
            n.push(json!({
                "level": if error { "error" } else { "warning" },
                "message": {"text": message},
                "locations": [{"physicalLocation": {"artifactLocation": {"uri": path}}}],
            }));
        }
    }

    fn write(&self, s: &str) {
        let mut out = self.out.lock().unwrap_or_else(|p| p.into_inner());
        // A closed pipe (`| head`) is not an error worth a panic.
        let _ = out.write_all(s.as_bytes());
    }

    fn sarif_result(&self, r: &Record<'_>) -> Value {
        let masked = mask_value(r.finding.kind, r.value, &self.profile);
        let level = match r.finding.kind {
            Kind::Classification => "error",
            k if k.is_personal_data() => "warning",
            _ => "note",
        };
        let shown = if self.show_values {
            r.value.to_string()
        } else {
            masked
        };
        json!({
            "ruleId": r.finding.kind.name(),
            "level": level,
            "message": {"text": format!("{}：{}", r.finding.kind.label_zh(), shown)},
            "locations": [{"physicalLocation": {
                "artifactLocation": {"uri": r.path},
                "region": {
                    "startLine": r.line,
                    "startColumn": r.column,
                    "byteOffset": r.start,
                    "byteLength": r.finding.end - r.finding.start,
                }
            }}],
            "properties": {"confidence": (f64::from(r.finding.confidence) * 100.0).round() / 100.0, "rule": r.finding.rule, "level": r.finding.level, "origin": r.origin, "cell": r.place},
        })
    }

    /// Ends the output (SARIF is written here, whole).
    pub fn finish(&self) {
        if self.format == Format::Sarif {
            let results =
                std::mem::take(&mut *self.sarif.lock().unwrap_or_else(|p| p.into_inner()));
            let notes = std::mem::take(&mut *self.notes.lock().unwrap_or_else(|p| p.into_inner()));
            let rules: Vec<Value> = baomi_inspect::rules::detectors()
                .into_iter()
                .map(|d| json!({"id": d.kind.name(), "name": d.kind.label_zh(), "fullDescription": {"text": d.description}}))
                .collect();
            // Written around the results by hand, so that they are never parsed back into trees.
            let tool = json!({"driver": {"name": "baomi", "version": env!("CARGO_PKG_VERSION"), "rules": rules}});
            let invocations =
                json!([{"executionSuccessful": true, "toolExecutionNotifications": notes}]);
            let mut doc =
                String::with_capacity(results.iter().map(|r| r.len() + 2).sum::<usize>() + 4096);
            doc.push_str("{\"$schema\":\"https://json.schemastore.org/sarif-2.1.0.json\",\"version\":\"2.1.0\",\"runs\":[{\"tool\":");
            doc.push_str(&tool.to_string());
            doc.push_str(",\"results\":[");
            for (i, r) in results.iter().enumerate() {
                if i > 0 {
                    doc.push(',');
                }
                doc.push('\n');
                doc.push_str(r);
            }
            doc.push_str("],\"invocations\":");
            doc.push_str(&invocations.to_string());
            doc.push_str("}]}\n");
            self.write(&doc);
        }
        let mut out = self.out.lock().unwrap_or_else(|p| p.into_inner());
        let _ = out.flush();
    }
}

/// One finding as a line of the JSON-lines contract (PRODUCT.md), written by hand: it runs once
/// per finding, and a serde struct (escaping every string byte by byte, formatting the float
/// through the general path) cost a quarter of a dense scan. The tests hold it to serde's output.
fn json_line(buf: &mut Vec<u8>, r: &Record<'_>, masked: &str, show_values: bool) {
    let f = r.finding;
    let mut num = itoa::Buffer::new();
    buf.extend_from_slice(b"{\"path\":");
    json_str(buf, r.path);
    buf.extend_from_slice(b",\"kind\":\"");
    buf.extend_from_slice(f.kind.name().as_bytes());
    buf.extend_from_slice(b"\",\"start\":");
    buf.extend_from_slice(num.format(r.start).as_bytes());
    buf.extend_from_slice(b",\"end\":");
    buf.extend_from_slice(num.format(r.start + (f.end - f.start)).as_bytes());
    buf.extend_from_slice(b",\"line\":");
    buf.extend_from_slice(num.format(r.line).as_bytes());
    buf.extend_from_slice(b",\"column\":");
    buf.extend_from_slice(num.format(r.column).as_bytes());
    buf.extend_from_slice(b",\"confidence\":");
    confidence(buf, f.confidence);
    if let Some(l) = f.level {
        buf.extend_from_slice(b",\"level\":\"");
        buf.extend_from_slice(l.as_str().as_bytes());
        buf.push(b'"');
    }
    if let Some(c) = f.context {
        buf.extend_from_slice(b",\"context\":");
        let _ = serde_json::to_writer(&mut *buf, &c);
    }
    buf.extend_from_slice(b",\"rule\":");
    json_str(buf, f.rule);
    buf.extend_from_slice(b",\"masked\":");
    json_str(buf, masked);
    for (key, v) in [
        (&b",\"encoding\":"[..], r.encoding),
        (b",\"origin\":", r.origin.filter(|o| !o.is_empty())),
        (b",\"cell\":", r.place),
        (b",\"value\":", show_values.then_some(r.value)),
    ] {
        if let Some(v) = v {
            buf.extend_from_slice(key);
            json_str(buf, v);
        }
    }
    buf.extend_from_slice(b"}\n");
}

/// A JSON string: copied as is unless it holds a byte JSON escapes.
fn json_str(buf: &mut Vec<u8>, s: &str) {
    if s.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\') {
        buf.push(b'"');
        buf.extend_from_slice(s.as_bytes());
        buf.push(b'"');
    } else {
        let _ = serde_json::to_writer(&mut *buf, s);
    }
}

/// A confidence rounded to two decimals, written as serde writes that f64 (`1.0`, `0.9`, `0.85`).
fn confidence(buf: &mut Vec<u8>, c: f32) {
    let hundredths = (f64::from(c) * 100.0).round().clamp(0.0, 100.0) as u32;
    let digit = |d: u32| b'0' + d as u8;
    match hundredths {
        100 => buf.extend_from_slice(b"1.0"),
        h if h % 10 == 0 => buf.extend_from_slice(&[b'0', b'.', digit(h / 10)]),
        h => buf.extend_from_slice(&[b'0', b'.', digit(h / 10), digit(h % 10)]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use baomi_inspect::{Context, Level};

    /// One finding in the JSON-lines contract (PRODUCT.md).
    #[derive(serde::Serialize)]
    struct JsonLine<'a> {
        path: &'a str,
        kind: Kind,
        start: usize,
        end: usize,
        line: usize,
        column: usize,
        confidence: f64,
        #[serde(skip_serializing_if = "Option::is_none")]
        level: Option<baomi_inspect::Level>,
        #[serde(skip_serializing_if = "Option::is_none")]
        context: Option<baomi_inspect::Context>,
        rule: &'a str,
        masked: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        encoding: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        origin: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        cell: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        value: Option<&'a str>,
    }

    fn by_serde(r: &Record<'_>, masked: &str, show: bool) -> String {
        let line = JsonLine {
            path: r.path,
            kind: r.finding.kind,
            start: r.start,
            end: r.start + (r.finding.end - r.finding.start),
            line: r.line,
            column: r.column,
            confidence: (f64::from(r.finding.confidence) * 100.0).round() / 100.0,
            level: r.finding.level,
            context: r.finding.context,
            rule: r.finding.rule,
            masked,
            encoding: r.encoding,
            origin: r.origin.filter(|o| !o.is_empty()),
            cell: r.place,
            value: show.then_some(r.value),
        };
        serde_json::to_string(&line).unwrap() + "\n"
    }

    #[test]
    fn hand_written_json_lines_equal_serde() {
        let mut cases = vec![];
        for (i, conf) in [1.0f32, 0.99, 0.9, 0.85, 0.05, 0.5, 0.949, 0.0]
            .into_iter()
            .enumerate()
        {
            let mut f = baomi_inspect::Scanner::new()
                .scan("陳情人王小明，身分證A123456789")
                .remove(0);
            f.confidence = conf;
            f.level = (i % 2 == 0).then_some(Level::Jimi);
            f.context = (i % 3 == 0).then_some(Context::Complainant);
            cases.push(f);
        }
        let paths = [
            "a.txt",
            "目錄/檔案 \"引號\".txt",
            "back\\slash\ttab\u{1}.txt",
        ];
        for (i, f) in cases.iter().enumerate() {
            for path in paths {
                let r = Record {
                    path,
                    finding: f,
                    value: "王小明\"",
                    start: 12 + i,
                    line: 3,
                    column: 7,
                    encoding: (i % 2 == 1).then_some("big5"),
                    origin: [None, Some(""), Some("附件.zip > a.docx")][i % 3],
                    place: (i % 4 == 0).then_some("B7"),
                };
                for show in [false, true] {
                    let mut buf = vec![];
                    json_line(&mut buf, &r, "王○○", show);
                    assert_eq!(String::from_utf8(buf).unwrap(), by_serde(&r, "王○○", show));
                }
            }
        }
    }
}

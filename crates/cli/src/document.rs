//! Scanning a document (Office, ODF, e-mail, HTML, archive, image) through the extractor: every
//! text segment is scanned and reported with its origin; everything not inspected is reported
//! too, and makes the file count as needing attention.

use crate::output::Record;
use crate::scan::Ctx;
use baomi_extract::{Event, Extractor};
use baomi_inspect::Finding;
use baomi_inspect::policy::Request;
use std::sync::atomic::Ordering;

/// Line starts of one segment, for line and column numbers.
struct Lines(Vec<usize>);

impl Lines {
    fn of(text: &str) -> Lines {
        let mut v = vec![0];
        v.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1));
        Lines(v)
    }

    /// 1-based line and column (in chars) of byte `at`.
    fn locate(&self, text: &str, at: usize) -> (usize, usize) {
        let line = self.0.partition_point(|s| *s <= at);
        let start = self.0[line - 1];
        (line, text[start..at].chars().count() + 1)
    }
}

/// Scans one whole document held in memory.
pub fn scan(ctx: &Ctx<'_>, extractor: &Extractor, shown: &str, bytes: &[u8], name: Option<&str>) {
    let mut buf = Vec::with_capacity(16 << 10);
    let mut all: Vec<Finding> = vec![];
    let mut findings = 0usize;
    let mut uninspected = 0usize;
    let mut found = Vec::new();
    extractor.extract(bytes, name, &mut |e| match e {
        Event::Text(seg) => {
            found.clear();
            ctx.scanner.scan_into(seg.text, &mut found);
            if found.is_empty() {
                return;
            }
            findings += found.len();
            if ctx.policy.is_some() {
                all.extend(found.iter().cloned());
            }
            if ctx.count {
                return;
            }
            let origin = seg.origin.to_string();
            let lines = Lines::of(seg.text);
            for f in &found {
                let (line, column) = lines.locate(seg.text, f.start);
                let cell = seg.place(f.start).map(|c| c.to_string());
                let rec = Record {
                    path: shown,
                    finding: f,
                    value: &seg.text[f.start..f.end],
                    start: f.start,
                    line,
                    column,
                    encoding: None,
                    origin: Some(&origin),
                    place: cell.as_deref(),
                };
                ctx.sink.format(&mut buf, &rec);
            }
            ctx.sink.flush(&mut buf);
        }
        Event::Skipped { origin, skip } => {
            uninspected += 1;
            ctx.sink
                .not_inspected(shown, &origin.to_string(), skip.code(), &skip.to_string());
        }
    });
    // Content that was not inspected needs a person's attention as much as a finding does.
    ctx.findings
        .fetch_add(findings + uninspected, Ordering::Relaxed);
    if ctx.count && findings > 0 {
        ctx.sink.raw_line(&format!("{shown}:{findings}"));
    }
    if let Some((pol, ch, aud)) = &ctx.policy {
        let d = pol.decide(Request {
            findings: &all,
            uninspected: uninspected > 0,
            channel: *ch,
            audience: *aud,
        });
        ctx.sink.decision(shown, &d, ctx.json);
    }
}

#[cfg(test)]
mod tests {
    use super::Lines;

    #[test]
    fn lines_and_columns_count_chars() {
        let t = "甲乙\n丙A123\n";
        let l = Lines::of(t);
        assert_eq!(l.locate(t, 0), (1, 1));
        assert_eq!(l.locate(t, t.find('A').unwrap()), (2, 2));
    }
}

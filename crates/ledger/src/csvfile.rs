//! The files source systems export and agencies keep: look-ups, duty roster, case registry,
//! protected persons. UTF-8 (BOM or not) or Big5; columns by English or Chinese name, in any
//! order; every problem reported with its line, and one bad row rejects the whole file (nothing
//! is half-imported).

use crate::clock;
use crate::lookup::{Action, RawLookup};
use serde::Serialize;
use std::collections::HashMap;

/// Most rows one file may hold (a national agency's day is ~1.5 million look-ups).
pub const MAX_ROWS: usize = 5_000_000;

/// Most problems listed before the rest are summed up.
pub const MAX_ERRORS: usize = 200;

/// A problem in the file, with its line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LineError {
    /// Line number (1 = header; 0 = the file as a whole).
    pub line: u64,
    /// What is wrong.
    pub message: String,
}

/// Decodes UTF-8 (with or without BOM) or Big5; anything else is refused, not guessed.
pub fn decode(bytes: &[u8]) -> Result<String, String> {
    let b = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if let Ok(s) = std::str::from_utf8(b) {
        return Ok(s.to_string());
    }
    let (text, had_errors) = encoding_rs::BIG5.decode_without_bom_handling(b);
    if had_errors {
        return Err("the file is neither UTF-8 nor Big5 (請存成 UTF-8 或 Big5)".into());
    }
    Ok(text.into_owned())
}

/// A file's rows as column name -> value, with line numbers; the caller turns each row into
/// its record.
struct Table {
    idx: HashMap<&'static str, usize>,
    rows: Vec<(u64, csv::StringRecord)>,
}

fn table(
    bytes: &[u8],
    columns: &[(&'static str, &'static str)],
    required: &[&str],
) -> Result<Table, Vec<LineError>> {
    let err = |line, message| vec![LineError { line, message }];
    let text = decode(bytes).map_err(|m| err(0, m))?;
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(false)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = rdr
        .headers()
        .map_err(|e| err(1, format!("header: {e}")))?
        .clone();
    let mut idx = HashMap::new();
    for (i, h) in headers.iter().enumerate() {
        let h = h.trim().to_lowercase();
        match columns.iter().find(|(en, zh)| *en == h || *zh == h) {
            Some((en, _)) => {
                if idx.insert(*en, i).is_some() {
                    return Err(err(1, format!("column {en} appears twice")));
                }
            }
            None => {
                let known: Vec<&str> = columns.iter().map(|c| c.0).collect();
                return Err(err(
                    1,
                    format!("unknown column {h:?} (known: {})", known.join(", ")),
                ));
            }
        }
    }
    for r in required {
        if !idx.contains_key(r) {
            return Err(err(1, format!("missing column {r}")));
        }
    }
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    for (n, rec) in rdr.records().enumerate() {
        let line = rec
            .as_ref()
            .ok()
            .and_then(|r| r.position())
            .map_or(n as u64 + 2, |p| p.line());
        if n >= MAX_ROWS {
            errors.push(LineError {
                line,
                message: format!("more than {MAX_ROWS} rows: split the file"),
            });
            break;
        }
        match rec {
            Ok(r) => rows.push((line, r)),
            Err(e) => errors.push(LineError {
                line: e.position().map_or(line, |p| p.line()),
                message: e.to_string(),
            }),
        }
    }
    if errors.is_empty() {
        Ok(Table { idx, rows })
    } else {
        Err(errors)
    }
}

impl Table {
    fn get<'a>(&self, rec: &'a csv::StringRecord, col: &str) -> &'a str {
        self.idx
            .get(col)
            .and_then(|&i| rec.get(i))
            .unwrap_or("")
            .trim()
    }
}

/// Collects row errors up to [`MAX_ERRORS`].
struct Errors(Vec<LineError>, usize);

impl Errors {
    fn push(&mut self, line: u64, message: String) {
        self.1 += 1;
        if self.0.len() < MAX_ERRORS {
            self.0.push(LineError { line, message });
        }
    }

    fn finish<T>(mut self, ok: T) -> Result<T, Vec<LineError>> {
        if self.1 == 0 {
            return Ok(ok);
        }
        if self.1 > self.0.len() {
            let more = self.1 - self.0.len();
            self.0.push(LineError {
                line: 0,
                message: format!("… and {more} more problems"),
            });
        }
        Err(self.0)
    }
}

const LOOKUP_COLUMNS: &[(&str, &str)] = &[
    ("event_id", "事件編號"),
    ("time", "查詢時間"),
    ("system", "系統"),
    ("operator", "查詢者"),
    ("subject_id", "查詢對象"),
    ("action", "動作"),
    ("reason_code", "事由代碼"),
    ("reason_text", "事由說明"),
    ("case_no", "案號"),
    ("terminal", "終端機"),
];

/// Parses a look-up export. Times without a zone are local (`offset` seconds east of UTC).
pub fn lookups(bytes: &[u8], offset: i64) -> Result<Vec<RawLookup>, Vec<LineError>> {
    let t = table(
        bytes,
        LOOKUP_COLUMNS,
        &["event_id", "time", "system", "operator", "subject_id"],
    )?;
    let mut out = Vec::with_capacity(t.rows.len());
    let mut errs = Errors(Vec::new(), 0);
    let mut seen: HashMap<(String, String), u64> = HashMap::new();
    for (line, rec) in &t.rows {
        let time = t.get(rec, "time");
        let Some(at) = clock::parse_time(time, offset) else {
            errs.push(*line, format!("time {time:?} is not a date and time"));
            continue;
        };
        let act = t.get(rec, "action");
        let action = if act.is_empty() {
            Action::Query
        } else if let Some(a) = Action::parse(act) {
            a
        } else {
            errs.push(*line, format!("action {act:?}: query, print or export"));
            continue;
        };
        let l = RawLookup {
            event_id: t.get(rec, "event_id").to_string(),
            at,
            system: t.get(rec, "system").to_string(),
            operator: t.get(rec, "operator").to_string(),
            subject_id: t.get(rec, "subject_id").to_string(),
            action,
            reason_code: t.get(rec, "reason_code").to_string(),
            reason_text: t.get(rec, "reason_text").to_string(),
            case_no: t.get(rec, "case_no").to_string(),
            terminal: t.get(rec, "terminal").to_string(),
        };
        for e in l.check() {
            errs.push(*line, e);
        }
        if let Some(first) = seen.insert((l.system.clone(), l.event_id.clone()), *line) {
            errs.push(
                *line,
                format!(
                    "event_id {} of {} also on line {first}",
                    l.event_id, l.system
                ),
            );
        }
        out.push(l);
    }
    errs.finish(out)
}

/// A duty shift as filed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DutyRow {
    /// Operator.
    pub operator: String,
    /// Start (Unix seconds).
    pub start: i64,
    /// End (Unix seconds).
    pub end: i64,
}

/// Parses a duty roster (`operator, start, end`).
pub fn duty(bytes: &[u8], offset: i64) -> Result<Vec<DutyRow>, Vec<LineError>> {
    let t = table(
        bytes,
        &[("operator", "人員"), ("start", "開始"), ("end", "結束")],
        &["operator", "start", "end"],
    )?;
    let mut errs = Errors(Vec::new(), 0);
    let mut out = Vec::new();
    for (line, rec) in &t.rows {
        let op = t.get(rec, "operator");
        let (s, e) = (t.get(rec, "start"), t.get(rec, "end"));
        match (clock::parse_time(s, offset), clock::parse_time(e, offset)) {
            (Some(start), Some(end))
                if end > start && end - start <= 48 * 3600 && !op.is_empty() =>
            {
                out.push(DutyRow {
                    operator: op.to_string(),
                    start,
                    end,
                })
            }
            (Some(start), Some(end)) if end <= start || end - start > 48 * 3600 => errs.push(
                *line,
                format!("shift {s} – {e}: the end must follow the start, within 48 hours"),
            ),
            (Some(_), Some(_)) => errs.push(*line, "operator is empty".into()),
            _ => errs.push(
                *line,
                format!("start {s:?} or end {e:?} is not a date and time"),
            ),
        }
    }
    errs.finish(out)
}

/// A case registry row as filed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaseRow {
    /// Case number.
    pub case_no: String,
    /// A subject of the case (personal data), may be empty.
    pub subject_id: String,
    /// An operator assigned, may be empty.
    pub assigned_operator: String,
    /// Opened (Unix seconds).
    pub opened: i64,
    /// Closed (Unix seconds).
    pub closed: Option<i64>,
}

fn day_or_time(s: &str, offset: i64) -> Option<i64> {
    clock::parse_time(s, offset).or_else(|| clock::parse_day(s).map(|d| d * 86_400 - offset))
}

/// Parses a case registry (`case_no, subject_id, assigned_operator, opened, closed`), one row
/// per subject and operator.
pub fn cases(bytes: &[u8], offset: i64) -> Result<Vec<CaseRow>, Vec<LineError>> {
    let t = table(
        bytes,
        &[
            ("case_no", "案號"),
            ("subject_id", "當事人"),
            ("assigned_operator", "承辦人"),
            ("opened", "立案日期"),
            ("closed", "結案日期"),
        ],
        &["case_no", "opened"],
    )?;
    let mut errs = Errors(Vec::new(), 0);
    let mut out = Vec::new();
    for (line, rec) in &t.rows {
        let case_no = t.get(rec, "case_no");
        if case_no.is_empty() {
            errs.push(*line, "case_no is empty".into());
            continue;
        }
        let o = t.get(rec, "opened");
        let Some(opened) = day_or_time(o, offset) else {
            errs.push(*line, format!("opened {o:?} is not a date"));
            continue;
        };
        let c = t.get(rec, "closed");
        let closed = if c.is_empty() {
            None
        } else if let Some(x) = day_or_time(c, offset) {
            // A closing date means the whole day.
            Some(if clock::parse_time(c, offset).is_some() {
                x
            } else {
                x + 86_399
            })
        } else {
            errs.push(*line, format!("closed {c:?} is not a date"));
            continue;
        };
        out.push(CaseRow {
            case_no: case_no.to_string(),
            subject_id: t.get(rec, "subject_id").to_string(),
            assigned_operator: t.get(rec, "assigned_operator").to_string(),
            opened,
            closed,
        });
    }
    errs.finish(out)
}

/// Parses a protected-person list (`subject_id, category`).
pub fn protected(bytes: &[u8]) -> Result<Vec<(String, String)>, Vec<LineError>> {
    let t = table(
        bytes,
        &[("subject_id", "查詢對象"), ("category", "類別")],
        &["subject_id", "category"],
    )?;
    let mut errs = Errors(Vec::new(), 0);
    let mut out = Vec::new();
    for (line, rec) in &t.rows {
        let (s, c) = (t.get(rec, "subject_id"), t.get(rec, "category"));
        if s.is_empty() || c.is_empty() {
            errs.push(*line, "subject_id and category are required".into());
            continue;
        }
        out.push((s.to_string(), c.to_string()));
    }
    errs.finish(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::TAIWAN;

    const HEAD: &str = "event_id,time,system,operator,subject_id,action,reason_code,reason_text,case_no,terminal\n";

    #[test]
    fn a_good_file_in_utf8_and_big5() {
        let text = format!(
            "{HEAD}e1,2026-11-02 09:13:05,戶役政,wang,A123456789,query,欠稅清理,追繳,114欠-1,T01\n\
             e2,2026-11-02T09:20:00+08:00,車籍,wang,ABC-1234,列印,交通違規,,114交-9,T01\n"
        );
        let a = lookups(text.as_bytes(), TAIWAN).unwrap();
        assert_eq!(a.len(), 2);
        assert_eq!(a[1].action, Action::Print);
        let (big5, _, bad) = encoding_rs::BIG5.encode(&text);
        assert!(!bad);
        assert_eq!(lookups(&big5, TAIWAN).unwrap(), a);
        let zh = text.replacen("event_id,time", "事件編號,查詢時間", 1);
        assert_eq!(lookups(zh.as_bytes(), TAIWAN).unwrap(), a);
    }

    #[test]
    fn every_bad_row_is_named_and_nothing_passes() {
        let text = format!(
            "{HEAD}e1,2026-11-02 09:13,戶役政,wang,A123456789,query,,,,\n\
             e2,yesterday,戶役政,wang,A123456789,query,,,,\n\
             e3,2026-11-02 09:13,戶役政,wang,A123456789,delete,,,,\n\
             e1,2026-11-02 09:14,戶役政,wang,A123456789,query,,,,\n\
             e5,2026-11-02 09:13,戶役政,,A123456789,query,,,,\n\
             e6,2026-11-02 09:13,戶役政\n"
        );
        let errs = lookups(text.as_bytes(), TAIWAN).unwrap_err();
        let lines: Vec<u64> = errs.iter().map(|e| e.line).collect();
        assert_eq!(
            lines,
            vec![7],
            "a ragged row stops the reader first: {errs:?}"
        );
        let text = text.lines().take(6).collect::<Vec<_>>().join("\n");
        let errs = lookups(text.as_bytes(), TAIWAN).unwrap_err();
        let lines: Vec<u64> = errs.iter().map(|e| e.line).collect();
        assert_eq!(lines, vec![3, 4, 5, 6], "{errs:?}");
        assert!(errs[2].message.contains("also on line 2"));
        assert!(
            lookups(b"\xff\xfe\x00garbage", TAIWAN).unwrap_err()[0]
                .message
                .contains("UTF-8")
        );
        assert!(
            lookups(b"event_id,when\n", TAIWAN).unwrap_err()[0]
                .message
                .contains("unknown column")
        );
        assert!(
            lookups(b"event_id,time\n", TAIWAN).unwrap_err()[0]
                .message
                .contains("missing column")
        );
    }

    #[test]
    fn reference_files() {
        let d = duty(
            "operator,start,end\nlin,2026-11-02 08:00,2026-11-02 17:00\nlin,2026-11-02 20:00,2026-11-02 19:00\n".as_bytes(),
            TAIWAN,
        )
        .unwrap_err();
        assert_eq!(d[0].line, 3);
        let c = cases(
            "案號,當事人,承辦人,立案日期,結案日期\n114欠-1,A123456789,wang,2026-10-01,2026-11-30\n"
                .as_bytes(),
            TAIWAN,
        )
        .unwrap();
        assert_eq!(c[0].closed.unwrap() - c[0].opened, 60 * 86_400 + 86_399);
        let p = protected("subject_id,category\nA123456789,公眾人物\n".as_bytes()).unwrap();
        assert_eq!(p[0].1, "公眾人物");
    }
}

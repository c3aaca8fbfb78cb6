//! The anomaly rules. Each rule has a stable name, a score (tunable, [`crate::config::Rules`])
//! and an explanation in zh-TW that names its evidence (the case number, the shift, the count),
//! so that a supervisor can judge a flag without opening another system.
//!
//! Two kinds of rule: checks of a single look-up against the reference data ([`checks`]:
//! reason, case, duty, hour, print, protected person) and patterns over an operator's look-ups
//! ([`patterns`]: the same subject again and again, many subjects in minutes, a day's volume
//! far above their own and their peers'). A look-up's score is the sum of its hits' scores,
//! capped at 100; the integrity officer's queue is ordered by it.
//!
//! Trade-offs, written down: a rule that needs reference data the agency has not loaded (no
//! case registry, operator not in the duty roster, no protected list) stays silent rather than
//! flag everything; the hour rule waits for `unusual_hour_min_history` look-ups of history.

pub mod checks;
pub mod patterns;

use crate::config::LedgerConfig;
use crate::history::History;
use crate::lookup::Lookup;
use crate::reference::Reference;
use serde::Serialize;
use std::collections::HashMap;

/// Every rule's stable name, in the order explanations list them.
pub const RULES: &[&str] = &[
    "operator_unknown",
    "reason_missing",
    "reason_invalid",
    "case_missing",
    "case_unknown",
    "case_closed",
    "case_subject_mismatch",
    "case_not_assigned",
    "print_without_case",
    "off_duty",
    "unusual_hour",
    "repeat_subject",
    "enumeration",
    "volume",
    "protected_subject",
];

/// zh-TW name of a rule (for reports and settings pages).
pub fn rule_zh(rule: &str) -> &'static str {
    match rule {
        "operator_unknown" => "查詢者不在員工名冊",
        "reason_missing" => "未填查詢事由",
        "reason_invalid" => "查詢事由不符",
        "case_missing" => "未填案號",
        "case_unknown" => "案號不存在",
        "case_closed" => "案件已結案或尚未立案",
        "case_subject_mismatch" => "案件不含查詢對象",
        "case_not_assigned" => "非案件承辦人",
        "print_without_case" => "無案列印或匯出",
        "off_duty" => "非勤務時間查詢",
        "unusual_hour" => "異常時段查詢",
        "repeat_subject" => "重複查詢同一對象",
        "enumeration" => "短時間大量查詢",
        "volume" => "查詢量異常偏高",
        "protected_subject" => "查詢受保護對象",
        _ => "其他",
    }
}

/// One rule's verdict on one look-up.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Hit {
    /// Rule name.
    pub rule: &'static str,
    /// Points.
    pub score: u32,
    /// Why, in zh-TW, with the evidence.
    pub explanation: String,
}

/// A flagged look-up.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Flag {
    /// Index into the evaluated slice.
    pub index: usize,
    /// What fired, in [`RULES`] order.
    pub hits: Vec<Hit>,
}

impl Flag {
    /// Combined score (0–100).
    pub fn score(&self) -> u32 {
        self.hits.iter().map(|h| h.score).sum::<u32>().min(100)
    }

    /// Rule names.
    pub fn rules(&self) -> Vec<&'static str> {
        self.hits.iter().map(|h| h.rule).collect()
    }

    /// All explanations, one sentence each.
    pub fn explanation(&self) -> String {
        self.hits
            .iter()
            .map(|h| h.explanation.as_str())
            .collect::<Vec<_>>()
            .join("；")
    }
}

/// Is the look-up covered by a case of the operator's that concerns this subject? (Such
/// look-ups are the daily work and never count as repeats.)
pub fn covered(l: &Lookup, r: &Reference) -> bool {
    !l.case_no.is_empty()
        && r.cases.get(&l.case_no).is_some_and(|c| {
            c.subjects.contains(&l.subject)
                && (c.assigned.is_empty() || c.assigned.contains(&l.operator))
                && l.at >= c.opened - 86_400
                && c.closed.is_none_or(|e| l.at <= e + 86_400)
        })
}

/// Collects hits per look-up.
#[derive(Default)]
pub struct Hits {
    by_index: HashMap<usize, Vec<Hit>>,
}

impl Hits {
    /// Adds a hit for look-up `i`, once per rule.
    pub fn add(&mut self, i: usize, rule: &'static str, score: u32, explanation: String) {
        let v = self.by_index.entry(i).or_default();
        if !v.iter().any(|h| h.rule == rule) {
            v.push(Hit {
                rule,
                score,
                explanation,
            });
        }
    }

    fn into_flags(self) -> Vec<Flag> {
        let order = |r: &str| RULES.iter().position(|x| *x == r).unwrap_or(usize::MAX);
        let mut flags: Vec<Flag> = self
            .by_index
            .into_iter()
            .map(|(index, mut hits)| {
                hits.sort_by_key(|h| order(h.rule));
                Flag { index, hits }
            })
            .collect();
        flags.sort_by_key(|f| f.index);
        flags
    }
}

/// Evaluates look-ups (a day, or any period) against the reference data and the history
/// before them. Returns the flagged ones, in input order.
pub fn evaluate(
    lookups: &[Lookup],
    reference: &Reference,
    history: &History,
    cfg: &LedgerConfig,
) -> Vec<Flag> {
    let mut hits = Hits::default();
    for (i, l) in lookups.iter().enumerate() {
        checks::check(i, l, reference, history, cfg, &mut hits);
    }
    let mut by_operator: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, l) in lookups.iter().enumerate() {
        by_operator.entry(&l.operator).or_default().push(i);
    }
    for v in by_operator.values_mut() {
        v.sort_by_key(|&i| lookups[i].at);
    }
    patterns::repeats(lookups, &by_operator, reference, history, cfg, &mut hits);
    patterns::enumeration(lookups, &by_operator, cfg, &mut hits);
    patterns::volume(lookups, &by_operator, reference, history, cfg, &mut hits);
    hits.into_flags()
}

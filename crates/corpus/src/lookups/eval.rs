//! Precision and recall of the ledger's flags on a generated month: each evaluated day is judged
//! with the days before it as history, the way the server judges each day.

use super::{Month, SCENARIOS, Truth};
use baomi_ledger::config::LedgerConfig;
use baomi_ledger::reference::{Reference, Staff};
use baomi_ledger::{History, Lookup, SubjectKeyer, clock, evaluate};
use std::collections::BTreeMap;

/// Counts for one class of look-ups.
#[derive(Clone, Debug, Default)]
pub struct Count {
    /// Look-ups.
    pub total: usize,
    /// Flagged.
    pub flagged: usize,
    /// Rules that fired, with counts.
    pub rules: BTreeMap<&'static str, usize>,
}

/// The evaluation's result.
#[derive(Debug, Default)]
pub struct Report {
    /// By scenario name, plus `normal` and `sloppy`.
    pub classes: BTreeMap<&'static str, Count>,
    /// Evaluated days.
    pub days: usize,
}

impl Report {
    /// Share of flagged look-ups that are planted.
    pub fn precision(&self) -> f64 {
        let planted: usize = self.planted().map(|c| c.flagged).sum();
        let all: usize = self.classes.values().map(|c| c.flagged).sum();
        planted as f64 / all.max(1) as f64
    }

    fn planted(&self) -> impl Iterator<Item = &Count> {
        self.classes
            .iter()
            .filter(|(k, _)| !matches!(**k, "normal" | "sloppy"))
            .map(|(_, v)| v)
    }

    /// Share of flagged look-ups that are planted or a slip worth a question (a mistyped case
    /// number, a look-up after the shift, no reason).
    pub fn precision_with_slips(&self) -> f64 {
        let right: usize = self.planted().map(|c| c.flagged).sum::<usize>()
            + self.classes.get("sloppy").map_or(0, |c| c.flagged);
        let all: usize = self.classes.values().map(|c| c.flagged).sum();
        right as f64 / all.max(1) as f64
    }

    /// Share of daily work (normal and sloppy) that was flagged.
    pub fn normal_flag_rate(&self) -> f64 {
        let (n, f) = ["normal", "sloppy"]
            .iter()
            .filter_map(|k| self.classes.get(k))
            .fold((0, 0), |(n, f), c| (n + c.total, f + c.flagged));
        f as f64 / n.max(1) as f64
    }
}

/// The reference data the month's files describe, keyed as the server keys it.
pub fn reference(m: &Month, keyer: &SubjectKeyer) -> Reference {
    let mut r = Reference::default();
    for p in &m.people {
        r.staff.insert(
            p.username.clone(),
            Staff {
                unit: p.unit.clone(),
                title: p.title.clone(),
                roles: Vec::new(),
            },
        );
    }
    for d in &m.duty {
        r.add_shift(&d.operator, d.start, d.end);
    }
    for c in &m.cases {
        let s = (!c.subject_id.is_empty()).then(|| keyer.key(&c.subject_id));
        r.add_case_row(&c.case_no, s, &c.assigned_operator, c.opened, c.closed);
    }
    r.protected = Some(
        m.protected
            .iter()
            .map(|(s, c)| (keyer.key(s), c.clone()))
            .collect(),
    );
    r
}

/// Evaluates every day from `m.evaluated_from`, with up to 28 days of history before it.
pub fn evaluate_month(m: &Month, cfg: &LedgerConfig) -> Report {
    let keyer = SubjectKeyer::new(&[7; 32]);
    let r = reference(m, &keyer);
    let off = cfg.offset();
    let keyed: Vec<Lookup> = m.lookups.iter().map(|(l, _)| l.keyed(&keyer)).collect();
    let first = clock::day(m.evaluated_from, off);
    let last = keyed
        .iter()
        .map(|l| clock::day(l.at, off))
        .max()
        .unwrap_or(first);
    let mut report = Report::default();
    let day_of = |i: usize| clock::day(keyed[i].at, off);
    // Look-ups are in time order: each day is a contiguous range.
    let start_of = |d: i64| keyed.partition_point(|l| clock::day(l.at, off) < d);
    for day in first..=last {
        let (a, b) = (start_of(day), start_of(day + 1));
        let h0 = start_of(day - 28);
        let history = History::from_lookups(&keyed[h0..a], &r, cfg);
        let flags = evaluate(&keyed[a..b], &r, &history, cfg);
        let mut flagged = vec![None; b - a];
        for f in flags {
            let idx = f.index;
            flagged[idx] = Some(f);
        }
        for (k, f) in flagged.into_iter().enumerate() {
            debug_assert_eq!(day_of(a + k), day);
            let class = match m.lookups[a + k].1 {
                Truth::Normal => "normal",
                Truth::Sloppy => "sloppy",
                Truth::Planted(s) => s,
            };
            let c = report.classes.entry(class).or_default();
            c.total += 1;
            if let Some(f) = f {
                c.flagged += 1;
                for rule in f.rules() {
                    *c.rules.entry(rule).or_default() += 1;
                }
            }
        }
        report.days += 1;
    }
    for (s, _) in SCENARIOS {
        report.classes.entry(s).or_default();
    }
    report
}

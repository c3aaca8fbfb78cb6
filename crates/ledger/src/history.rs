//! What the rules compare a day with: each operator's own past (look-ups per day, hours of the
//! day they work) and the subjects they looked up recently without a case of theirs.
//!
//! The server keeps these as small aggregates (one row per operator and day), so evaluating a
//! day never rereads a month of look-ups.

use crate::config::LedgerConfig;
use crate::lookup::{Lookup, SubjectKey};
use crate::reference::Reference;
use std::collections::HashMap;

/// One operator's past.
#[derive(Clone, Debug, Default)]
pub struct OperatorHistory {
    /// Look-ups per working day (days without look-ups are not counted).
    pub day_counts: Vec<u32>,
    /// Look-ups per hour of the local day.
    pub hours: [u32; 24],
}

impl OperatorHistory {
    /// Median of the working days' counts.
    pub fn median_day(&self) -> Option<f64> {
        median(&self.day_counts)
    }

    /// All look-ups counted by hour.
    pub fn total(&self) -> u32 {
        self.hours.iter().sum()
    }
}

/// Median of counts.
pub fn median(v: &[u32]) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    let mut s = v.to_vec();
    s.sort_unstable();
    let n = s.len();
    Some(if n % 2 == 1 {
        s[n / 2] as f64
    } else {
        (s[n / 2 - 1] as f64 + s[n / 2] as f64) / 2.0
    })
}

/// Everyone's past.
#[derive(Clone, Debug, Default)]
pub struct History {
    /// By operator.
    pub operators: HashMap<String, OperatorHistory>,
    /// Recent look-ups of a subject by an operator not covered by a case of theirs, with their
    /// times (within the repeat window before the evaluated period).
    pub uncovered: HashMap<(String, SubjectKey), Vec<i64>>,
}

impl History {
    /// Adds one operator's day.
    pub fn add_day(&mut self, operator: &str, count: u32, hours: &[u32; 24]) {
        let h = self.operators.entry(operator.to_string()).or_default();
        h.day_counts.push(count);
        for (a, b) in h.hours.iter_mut().zip(hours) {
            *a += b;
        }
    }

    /// Builds the history from earlier look-ups (the evaluation's and tests' way; the server
    /// reads its aggregates instead).
    pub fn from_lookups(prior: &[Lookup], reference: &Reference, cfg: &LedgerConfig) -> History {
        let off = cfg.offset();
        let mut days: HashMap<(&str, i64), [u32; 24]> = HashMap::new();
        let mut h = History::default();
        let newest = prior.iter().map(|l| l.at).max().unwrap_or(0);
        let window = cfg.rules.repeat_subject_days as i64 * 86_400;
        for l in prior {
            let hours = days
                .entry((&l.operator, crate::clock::day(l.at, off)))
                .or_insert([0; 24]);
            hours[crate::clock::hour(l.at, off) as usize] += 1;
            if newest - l.at < window && !crate::rules::covered(l, reference) {
                h.uncovered
                    .entry((l.operator.clone(), l.subject))
                    .or_default()
                    .push(l.at);
            }
        }
        let mut keys: Vec<_> = days.keys().copied().collect();
        keys.sort_unstable();
        for k in keys {
            let hours = days[&k];
            h.add_day(k.0, hours.iter().sum(), &hours);
        }
        h
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn medians() {
        assert_eq!(super::median(&[]), None);
        assert_eq!(super::median(&[5, 1, 3]), Some(3.0));
        assert_eq!(super::median(&[4, 1, 3, 2]), Some(2.5));
    }
}

//! What the rules check look-ups against: who the operators are (from the org chart), when they
//! are on duty, which cases exist and who and whom they concern, and (where the agency has a
//! legal basis) which persons are protected.

use crate::lookup::SubjectKey;
use std::collections::{HashMap, HashSet};

/// A member of staff as the org chart has them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Staff {
    /// Unit code.
    pub unit: String,
    /// Job title (職稱): with the unit, the peer group.
    pub title: String,
    /// Roles and titles the reason codes may name.
    pub roles: Vec<String>,
}

/// A case in the registry, gathered from its rows.
#[derive(Clone, Debug, Default)]
pub struct Case {
    /// Persons the case concerns.
    pub subjects: HashSet<SubjectKey>,
    /// Operators assigned to it.
    pub assigned: HashSet<String>,
    /// Opened (Unix seconds).
    pub opened: i64,
    /// Closed (Unix seconds), if it is.
    pub closed: Option<i64>,
}

/// A duty shift.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Shift {
    /// Start (Unix seconds).
    pub start: i64,
    /// End (Unix seconds).
    pub end: i64,
}

/// All reference data.
#[derive(Clone, Debug, Default)]
pub struct Reference {
    /// Staff by operator name.
    pub staff: HashMap<String, Staff>,
    /// Duty shifts by operator, sorted by start.
    pub duty: HashMap<String, Vec<Shift>>,
    /// Cases by normalised number (the server loads only those the evaluated look-ups name).
    pub cases: HashMap<String, Case>,
    /// The agency keeps a case registry here: unknown numbers are then an anomaly.
    pub case_registry: bool,
    /// Protected persons and their category; `None` while the agency has not configured it.
    pub protected: Option<HashMap<SubjectKey, String>>,
}

impl Reference {
    /// Adds a shift.
    pub fn add_shift(&mut self, operator: &str, start: i64, end: i64) {
        let v = self.duty.entry(operator.to_string()).or_default();
        let at = v.partition_point(|s| s.start <= start);
        v.insert(at, Shift { start, end });
    }

    /// Adds one registry row: a case, a subject in it, an operator assigned to it.
    pub fn add_case_row(
        &mut self,
        case_no: &str,
        subject: Option<SubjectKey>,
        operator: &str,
        opened: i64,
        closed: Option<i64>,
    ) {
        self.case_registry = true;
        let c = self
            .cases
            .entry(crate::lookup::normalise_case(case_no))
            .or_insert_with(|| Case {
                opened,
                closed,
                ..Case::default()
            });
        c.opened = c.opened.min(opened);
        c.closed = match (c.closed, closed) {
            (Some(a), Some(b)) => Some(a.max(b)),
            _ => None,
        };
        if let Some(s) = subject {
            c.subjects.insert(s);
        }
        if !operator.trim().is_empty() {
            c.assigned.insert(operator.trim().to_string());
        }
    }

    /// The operator's shift covering `at` (with `grace` seconds either side), or whether the
    /// roster covers this operator at all (`None`: not in the roster, the rule does not apply).
    pub fn on_duty(&self, operator: &str, at: i64, grace: i64) -> Option<bool> {
        let shifts = self.duty.get(operator)?;
        let i = shifts.partition_point(|s| s.start - grace <= at);
        // Shifts can overlap a little; look back a few.
        Some(
            shifts[..i]
                .iter()
                .rev()
                .take(4)
                .any(|s| at <= s.end + grace),
        )
    }

    /// The operator's nearest shift to `at`, for the explanation.
    pub fn nearest_shift(&self, operator: &str, at: i64) -> Option<Shift> {
        self.duty.get(operator)?.iter().copied().min_by_key(|s| {
            if at < s.start {
                s.start - at
            } else {
                (at - s.end).max(0)
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duty_with_grace_and_overlaps() {
        let mut r = Reference::default();
        r.add_shift("lin", 1000, 2000);
        r.add_shift("lin", 1900, 3000);
        r.add_shift("lin", 5000, 6000);
        assert_eq!(r.on_duty("lin", 1500, 0), Some(true));
        assert_eq!(r.on_duty("lin", 2500, 0), Some(true));
        assert_eq!(r.on_duty("lin", 4000, 0), Some(false));
        assert_eq!(r.on_duty("lin", 4000, 1000), Some(true));
        assert_eq!(r.on_duty("chen", 1500, 0), None);
        assert_eq!(r.nearest_shift("lin", 4200).unwrap().start, 5000);
    }

    #[test]
    fn case_rows_gather() {
        let mut r = Reference::default();
        r.add_case_row("114 欠-1", Some([1; 16]), "wang", 10, Some(50));
        r.add_case_row("114欠-1", Some([2; 16]), "lee", 5, None);
        let c = &r.cases["114欠-1"];
        assert_eq!(c.subjects.len(), 2);
        assert_eq!(c.assigned.len(), 2);
        assert_eq!((c.opened, c.closed), (5, None));
    }
}

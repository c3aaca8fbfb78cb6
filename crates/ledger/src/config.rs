//! The agency's reason codes and rule tuning, from a TOML file (`ledger.toml` in the data
//! folder); every field has a default, so an empty file is the default configuration.

use serde::{Deserialize, Serialize};

/// A reason code.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Reason {
    /// Code as the source systems send it (欠稅清理).
    pub code: String,
    /// Systems it may be used for; empty: any.
    #[serde(default)]
    pub systems: Vec<String>,
    /// Roles or job titles (org chart) that may use it; empty: anyone.
    #[serde(default)]
    pub roles: Vec<String>,
    /// A case number is required.
    #[serde(default)]
    pub case_required: bool,
}

/// A rule's common settings.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// Switched on.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Points a hit adds to the look-up's score (0–100).
    pub score: u32,
}

fn yes() -> bool {
    true
}

macro_rules! rule_default {
    ($name:ident, $score:expr) => {
        fn $name() -> Rule {
            Rule {
                enabled: true,
                score: $score,
            }
        }
    };
}
rule_default!(s20, 20);
rule_default!(s30, 30);
rule_default!(s40, 40);
rule_default!(s50, 50);
rule_default!(s60, 60);

/// Rule tuning. Thresholds are explained where they are used ([`crate::rules`]).
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Rules {
    /// The operator is not in the org chart (a shared or borrowed account).
    pub operator_unknown: Rule,
    /// No reason code.
    pub reason_missing: Rule,
    /// Reason code unknown, not for this system, or not for this operator's role.
    pub reason_invalid: Rule,
    /// Reason requires a case number and there is none.
    pub case_missing: Rule,
    /// Case number not in the registry (only once a registry is loaded).
    pub case_unknown: Rule,
    /// Case closed (or not yet opened) at the time of the look-up.
    pub case_closed: Rule,
    /// Case does not concern this subject.
    pub case_subject_mismatch: Rule,
    /// Operator not assigned to the case.
    pub case_not_assigned: Rule,
    /// Look-up outside the operator's duty shifts (only for operators in the roster).
    pub off_duty: Rule,
    /// Minutes before and after a shift that still count as on duty.
    pub off_duty_grace_minutes: i64,
    /// Look-up at an hour this operator almost never works.
    pub unusual_hour: Rule,
    /// Share of the operator's history within an hour of this one below which it is unusual.
    pub unusual_hour_share: f64,
    /// History needed before the hour rule speaks.
    pub unusual_hour_min_history: u32,
    /// Print or export without a valid case.
    pub print_without_case: Rule,
    /// Same subject, same operator, repeatedly, not covered by a case of theirs.
    pub repeat_subject: Rule,
    /// How many such look-ups within the window.
    pub repeat_subject_count: u32,
    /// Window in days (today included).
    pub repeat_subject_days: u32,
    /// Many distinct subjects in a short time.
    pub enumeration: Rule,
    /// Distinct subjects ...
    pub enumeration_distinct: u32,
    /// ... within this many minutes.
    pub enumeration_minutes: i64,
    /// A day's volume far above the operator's own history and their peers'.
    pub volume: Rule,
    /// Times the operator's own median day (with at least `volume_min_history_days` of history).
    pub volume_own_factor: f64,
    /// Days of history needed for the own baseline.
    pub volume_min_history_days: u32,
    /// Times the peer group's median day (same unit and title).
    pub volume_peer_factor: f64,
    /// Days below this many look-ups are never a volume anomaly.
    pub volume_min: u32,
    /// The subject is on the protected-person list.
    pub protected_subject: Rule,
}

impl Default for Rules {
    fn default() -> Rules {
        Rules {
            operator_unknown: s50(),
            reason_missing: s40(),
            reason_invalid: s40(),
            case_missing: s40(),
            case_unknown: s50(),
            case_closed: s30(),
            case_subject_mismatch: s60(),
            case_not_assigned: s50(),
            off_duty: s30(),
            off_duty_grace_minutes: 30,
            unusual_hour: s20(),
            unusual_hour_share: 0.01,
            unusual_hour_min_history: 100,
            print_without_case: s40(),
            repeat_subject: s30(),
            repeat_subject_count: 3,
            repeat_subject_days: 7,
            enumeration: s60(),
            enumeration_distinct: 25,
            enumeration_minutes: 10,
            volume: s40(),
            volume_own_factor: 3.0,
            volume_min_history_days: 10,
            volume_peer_factor: 4.0,
            volume_min: 40,
            protected_subject: s50(),
        }
    }
}

/// The whole configuration.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct LedgerConfig {
    /// Local time's offset from UTC in minutes (Taiwan: 480).
    pub utc_offset_minutes: i64,
    /// Reason codes; empty: the built-in list ([`default_reasons`]).
    #[serde(rename = "reason")]
    pub reasons: Vec<Reason>,
    /// Rule tuning.
    pub rules: Rules,
    /// Days after which an unreviewed day is overdue.
    pub review_due_days: i64,
}

impl Default for LedgerConfig {
    fn default() -> LedgerConfig {
        LedgerConfig {
            utc_offset_minutes: 480,
            reasons: default_reasons(),
            rules: Rules::default(),
            review_due_days: 1,
        }
    }
}

impl LedgerConfig {
    /// Parses the TOML text; problems name the field.
    pub fn parse(text: &str) -> Result<LedgerConfig, String> {
        let mut c: LedgerConfig = toml::from_str(text).map_err(|e| e.to_string())?;
        if c.reasons.is_empty() {
            c.reasons = default_reasons();
        }
        c.check()?;
        Ok(c)
    }

    /// Offset in seconds.
    pub fn offset(&self) -> i64 {
        self.utc_offset_minutes * 60
    }

    /// The reason with this code.
    pub fn reason(&self, code: &str) -> Option<&Reason> {
        self.reasons.iter().find(|r| r.code == code)
    }

    fn check(&self) -> Result<(), String> {
        if !(-14 * 60..=14 * 60).contains(&self.utc_offset_minutes) {
            return Err("utc_offset_minutes must be within ±840".into());
        }
        let r = &self.rules;
        if r.enumeration_distinct < 2 || r.enumeration_minutes < 1 {
            return Err("rules.enumeration_distinct >= 2 and enumeration_minutes >= 1".into());
        }
        if r.repeat_subject_count < 2 || r.repeat_subject_days < 1 {
            return Err("rules.repeat_subject_count >= 2 and repeat_subject_days >= 1".into());
        }
        if !(0.0..=1.0).contains(&r.unusual_hour_share) {
            return Err("rules.unusual_hour_share must be between 0 and 1".into());
        }
        let mut seen = std::collections::HashSet::new();
        for reason in &self.reasons {
            if reason.code.trim().is_empty() || !seen.insert(reason.code.as_str()) {
                return Err(format!("reason code {:?} empty or repeated", reason.code));
            }
        }
        Ok(())
    }
}

/// Reasons the agencies' own rules name; an agency replaces them with its own list.
pub fn default_reasons() -> Vec<Reason> {
    let r = |code: &str, systems: &[&str], case_required: bool| Reason {
        code: code.into(),
        systems: systems.iter().map(|s| s.to_string()).collect(),
        roles: Vec::new(),
        case_required,
    };
    vec![
        r("欠稅清理", &["戶役政", "稅務", "地政"], true),
        r("稅務稽查", &["戶役政", "稅務", "地政"], true),
        r("刑案偵查", &["戶役政", "刑案資料", "車籍", "通緝"], true),
        r("交通違規", &["車籍", "駕籍"], true),
        r("民眾臨櫃申辦", &[], false),
        r("公文處理", &[], true),
        r("系統測試", &[], false),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_file_is_the_default_and_fields_are_checked() {
        assert_eq!(LedgerConfig::parse("").unwrap(), LedgerConfig::default());
        let c = LedgerConfig::parse(
            "[rules]\nenumeration_distinct = 50\noff_duty = { enabled = false, score = 30 }\n\
             [[reason]]\ncode = \"刑案偵查\"\nsystems = [\"刑案資料\"]\ncase_required = true\n",
        )
        .unwrap();
        assert_eq!(c.rules.enumeration_distinct, 50);
        assert!(!c.rules.off_duty.enabled);
        assert_eq!(c.reasons.len(), 1);
        assert!(LedgerConfig::parse("[rules]\nenumeraton_distinct = 5").is_err());
        assert!(LedgerConfig::parse("utc_offset_minutes = 5000").is_err());
        assert!(LedgerConfig::parse("[[reason]]\ncode = \"a\"\n[[reason]]\ncode = \"a\"").is_err());
    }
}

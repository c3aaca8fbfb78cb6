//! One look-up in a citizen-data system, as the source system reports it ([`RawLookup`], the
//! subject in clear) and as the rules see it ([`Lookup`], the subject as a keyed hash).

use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// What the operator did with the record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Looked at it on screen.
    Query,
    /// Printed it.
    Print,
    /// Exported it to a file.
    Export,
}

impl Action {
    /// Stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Query => "query",
            Action::Print => "print",
            Action::Export => "export",
        }
    }

    /// Parses a stable name (or the Chinese one the source systems' exports use).
    pub fn parse(s: &str) -> Option<Action> {
        match s.trim().to_ascii_lowercase().as_str() {
            "query" | "查詢" => Some(Action::Query),
            "print" | "列印" => Some(Action::Print),
            "export" | "匯出" | "下載" => Some(Action::Export),
            _ => None,
        }
        .filter(|_| !s.trim().is_empty())
    }

    /// zh-TW name.
    pub fn zh(self) -> &'static str {
        match self {
            Action::Query => "查詢",
            Action::Print => "列印",
            Action::Export => "匯出",
        }
    }
}

/// Longest text field accepted (a reason text, a terminal name ...), in characters.
pub const MAX_FIELD: usize = 500;

/// A look-up as reported, before the subject is keyed and sealed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RawLookup {
    /// The source system's own id: re-sending it changes nothing (idempotency).
    pub event_id: String,
    /// Unix seconds.
    pub at: i64,
    /// System looked up in (戶役政, 車籍, 刑案資料, 稅務 ...).
    pub system: String,
    /// Who looked (sign-in name or employee number, as in the org chart).
    pub operator: String,
    /// Whose record (national ID, plate, taxpayer number ...): personal data.
    pub subject_id: String,
    /// Query, print or export.
    pub action: Action,
    /// Reason code (欠稅清理, 刑案偵查 ...).
    pub reason_code: String,
    /// Free-text reason.
    pub reason_text: String,
    /// Case number the look-up was for.
    pub case_no: String,
    /// Terminal or workstation.
    pub terminal: String,
}

impl RawLookup {
    /// Checks the fields: every problem in one message list.
    pub fn check(&self) -> Vec<String> {
        let mut errs = Vec::new();
        for (name, v, required) in [
            ("event_id", &self.event_id, true),
            ("system", &self.system, true),
            ("operator", &self.operator, true),
            ("subject_id", &self.subject_id, true),
            ("reason_code", &self.reason_code, false),
            ("reason_text", &self.reason_text, false),
            ("case_no", &self.case_no, false),
            ("terminal", &self.terminal, false),
        ] {
            if required && v.trim().is_empty() {
                errs.push(format!("{name} is empty"));
            }
            if v.chars().count() > MAX_FIELD {
                errs.push(format!("{name} is longer than {MAX_FIELD} characters"));
            }
            if v.chars().any(|c| c.is_control() && c != '\t') {
                errs.push(format!("{name} contains control characters"));
            }
        }
        // Before 2000 or after 2100: a unit mix-up (milliseconds) or a broken clock.
        if !(946_684_800..=4_102_444_800).contains(&self.at) {
            errs.push(format!("time {} is not between 2000 and 2100", self.at));
        }
        errs
    }

    /// The look-up as the rules see it.
    pub fn keyed(&self, keyer: &SubjectKeyer) -> Lookup {
        Lookup {
            event_id: self.event_id.clone(),
            at: self.at,
            system: self.system.clone(),
            operator: self.operator.clone(),
            subject: keyer.key(&self.subject_id),
            action: self.action,
            reason_code: self.reason_code.trim().to_string(),
            case_no: normalise_case(&self.case_no),
        }
    }
}

/// A look-up as the rules see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lookup {
    /// Source system's id.
    pub event_id: String,
    /// Unix seconds.
    pub at: i64,
    /// System.
    pub system: String,
    /// Operator.
    pub operator: String,
    /// Keyed hash of the subject.
    pub subject: SubjectKey,
    /// Action.
    pub action: Action,
    /// Reason code.
    pub reason_code: String,
    /// Case number (normalised).
    pub case_no: String,
}

/// A subject identifier's keyed hash: equal for the same person, useless without the key.
pub type SubjectKey = [u8; 16];

/// Keys subject identifiers (HMAC-SHA-256 with the agency's key, truncated to 128 bits).
#[derive(Clone)]
pub struct SubjectKeyer {
    mac: Hmac<Sha256>,
}

impl SubjectKeyer {
    /// A keyer for `key` (32 random bytes kept outside the database).
    pub fn new(key: &[u8; 32]) -> SubjectKeyer {
        SubjectKeyer {
            mac: <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("HMAC takes any key length"),
        }
    }

    /// The key of an identifier, after [`normalise_subject`].
    pub fn key(&self, subject_id: &str) -> SubjectKey {
        let mut m = self.mac.clone();
        m.update(normalise_subject(subject_id).as_bytes());
        let full = m.finalize().into_bytes();
        let mut out = [0u8; 16];
        out.copy_from_slice(&full[..16]);
        out
    }
}

/// One spelling per identifier: full-width to ASCII, upper case, no spaces or dashes
/// (`ａ１２３-４５6` and `A12345 6` are the same person).
pub fn normalise_subject(s: &str) -> String {
    s.chars()
        .map(fullwidth)
        .filter(|c| !c.is_whitespace() && *c != '-')
        .flat_map(char::to_uppercase)
        .collect()
}

/// Case numbers compare without spaces and width differences.
pub fn normalise_case(s: &str) -> String {
    s.chars()
        .map(fullwidth)
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_uppercase)
        .collect()
}

fn fullwidth(c: char) -> char {
    match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        '\u{3000}' => ' ',
        _ => c,
    }
}

/// The subject as shown to anyone but an integrity officer: first and last two characters.
pub fn mask_subject(s: &str) -> String {
    let n = normalise_subject(s);
    let chars: Vec<char> = n.chars().collect();
    if chars.len() <= 4 {
        return "*".repeat(chars.len());
    }
    let mut out: String = chars[..2].iter().collect();
    out.extend(std::iter::repeat_n('*', chars.len() - 4));
    out.extend(&chars[chars.len() - 2..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_person_one_key_whatever_the_spelling() {
        let k = SubjectKeyer::new(&[7; 32]);
        assert_eq!(k.key("A123456789"), k.key("ａ１２３４５６７８９"));
        assert_eq!(k.key("a123 456-789"), k.key("A123456789"));
        assert_ne!(k.key("A123456789"), k.key("A123456780"));
        assert_ne!(
            SubjectKeyer::new(&[8; 32]).key("A123456789"),
            k.key("A123456789"),
            "another agency's key gives other keys"
        );
        assert_eq!(mask_subject("A123456789"), "A1******89");
        assert_eq!(mask_subject("ABC-1234"), "AB***34");
        assert_eq!(mask_subject("AB1"), "***");
    }

    #[test]
    fn actions_and_field_checks() {
        assert_eq!(Action::parse("列印"), Some(Action::Print));
        assert_eq!(Action::parse("EXPORT"), Some(Action::Export));
        assert_eq!(Action::parse("delete"), None);
        assert_eq!(Action::parse(""), None);
        let mut r = RawLookup {
            event_id: "e1".into(),
            at: 1_793_581_985,
            system: "戶役政".into(),
            operator: "wang".into(),
            subject_id: "A123456789".into(),
            action: Action::Query,
            reason_code: String::new(),
            reason_text: String::new(),
            case_no: String::new(),
            terminal: String::new(),
        };
        assert!(r.check().is_empty());
        r.at *= 1000;
        r.operator = " ".into();
        r.terminal = "x\u{0}".into();
        let errs = r.check();
        assert_eq!(errs.len(), 3, "{errs:?}");
    }
}

//! What a detector reports: a kind, a byte span into the original text, a confidence.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Stable finding kinds. Their snake_case names are a contract (JSON output, policies).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// 國民身分證統一編號.
    TwNationalId,
    /// 居留證統一證號 (2021 and older formats).
    TwResidentId,
    /// 統一編號 of a business.
    TwBusinessId,
    /// Taiwanese mobile or landline number.
    Phone,
    /// E-mail address.
    Email,
    /// Postal address in Taiwan.
    Address,
    /// Vehicle licence plate.
    LicensePlate,
    /// Payment card number.
    PaymentCard,
    /// A person's name, found through context.
    PersonName,
    /// A classification marking (密等).
    Classification,
    /// A term of a user dictionary.
    Keyword,
}

impl Kind {
    /// Every kind, in a stable order.
    pub const ALL: [Kind; 11] = [
        Kind::TwNationalId,
        Kind::TwResidentId,
        Kind::TwBusinessId,
        Kind::Phone,
        Kind::Email,
        Kind::Address,
        Kind::LicensePlate,
        Kind::PaymentCard,
        Kind::PersonName,
        Kind::Classification,
        Kind::Keyword,
    ];

    /// The kinds found from a digit or `@` (the token detectors).
    pub const DIGIT_ANCHORED: [Kind; 7] = [
        Kind::TwNationalId,
        Kind::TwResidentId,
        Kind::TwBusinessId,
        Kind::Phone,
        Kind::Email,
        Kind::PaymentCard,
        Kind::LicensePlate,
    ];

    /// The stable name used in JSON and policies.
    pub fn name(self) -> &'static str {
        match self {
            Kind::TwNationalId => "tw_national_id",
            Kind::TwResidentId => "tw_resident_id",
            Kind::TwBusinessId => "tw_business_id",
            Kind::Phone => "phone",
            Kind::Email => "email",
            Kind::Address => "address",
            Kind::LicensePlate => "license_plate",
            Kind::PaymentCard => "payment_card",
            Kind::PersonName => "person_name",
            Kind::Classification => "classification",
            Kind::Keyword => "keyword",
        }
    }

    /// Parses a stable name.
    pub fn from_name(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// A short label in Traditional Chinese, for people.
    pub fn label_zh(self) -> &'static str {
        match self {
            Kind::TwNationalId => "身分證統一編號",
            Kind::TwResidentId => "居留證統一證號",
            Kind::TwBusinessId => "營利事業統一編號",
            Kind::Phone => "電話號碼",
            Kind::Email => "電子郵件地址",
            Kind::Address => "地址",
            Kind::LicensePlate => "車牌號碼",
            Kind::PaymentCard => "信用卡號",
            Kind::PersonName => "姓名",
            Kind::Classification => "機密等級標示",
            Kind::Keyword => "關鍵字",
        }
    }

    /// Whether this kind is personal data (個人資料) rather than a marking or a term.
    pub fn is_personal_data(self) -> bool {
        !matches!(
            self,
            Kind::Classification | Kind::Keyword | Kind::TwBusinessId
        )
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Classification levels of the 國家機密保護法 and 文書處理手冊, lowest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Level {
    /// 密 (general official secret).
    #[serde(rename = "密")]
    Mi,
    /// 機密.
    #[serde(rename = "機密")]
    Jimi,
    /// 極機密.
    #[serde(rename = "極機密")]
    Jijimi,
    /// 絕對機密.
    #[serde(rename = "絕對機密")]
    Juedui,
}

impl Level {
    /// The level as written on documents.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Mi => "密",
            Level::Jimi => "機密",
            Level::Jijimi => "極機密",
            Level::Juedui => "絕對機密",
        }
    }

    /// Parses a level word; accepts 台/臺-free forms only (levels have none).
    pub fn parse(s: &str) -> Option<Level> {
        match s.trim() {
            "密" | "mi" => Some(Level::Mi),
            "機密" | "jimi" => Some(Level::Jimi),
            "極機密" | "jijimi" => Some(Level::Jijimi),
            "絕對機密" | "juedui" => Some(Level::Juedui),
            _ => None,
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Extra context a detector saw that policies may care about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Context {
    /// The person is a complainant or whistleblower (檢舉人, 陳情人, 申訴人): their identity is protected.
    Complainant,
}

/// One thing found in a text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// What was found.
    pub kind: Kind,
    /// Byte offset of the first byte, into the original text.
    pub start: usize,
    /// Byte offset one past the last byte, into the original text.
    pub end: usize,
    /// 0..1: how sure the detector is.
    pub confidence: f32,
    /// Level of a classification marking or a dictionary term.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub level: Option<Level>,
    /// Context that raises the stakes (e.g. a complainant's name).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context: Option<Context>,
    /// Which rule of the detector matched (stable, for explanations).
    pub rule: &'static str,
}

impl Finding {
    pub(crate) fn new(
        kind: Kind,
        start: usize,
        end: usize,
        confidence: f32,
        rule: &'static str,
    ) -> Self {
        Finding {
            kind,
            start,
            end,
            confidence,
            level: None,
            context: None,
            rule,
        }
    }

    /// The found text.
    pub fn text<'a>(&self, haystack: &'a str) -> &'a str {
        &haystack[self.start..self.end]
    }

    /// Whether the two spans share a byte.
    pub fn overlaps(&self, other: &Finding) -> bool {
        self.start < other.end && other.start < self.end
    }
}

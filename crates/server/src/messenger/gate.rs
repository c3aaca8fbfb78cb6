//! The gate every message passes before anyone else can see it: inspection (`baomi-inspect`)
//! and the policy decision for the channel and the conversation's audience.
//!
//! The gate answers with what the sender must be shown: the decision, its reasons in zh-TW and
//! English, what was found (kind and a masked value, never the raw value), and, where masking
//! helps, the masked text the sender may send instead.

use baomi_inspect::mask::{MaskProfile, mask_value, redact};
use baomi_inspect::policy::{Action, Audience, Channel, Decision, Policy, Request};
use baomi_inspect::{Dictionary, Finding, Kind, ScanOptions, Scanner};
use serde::Serialize;
use std::collections::BTreeMap;

/// Who will see a message: what the policy needs and what the sender is shown.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct AudienceView {
    /// `same_unit`, `agency_internal` or `external`.
    #[schema(value_type = String)]
    pub scope: Audience,
    /// Members who will see it (the sender included).
    pub members: usize,
    /// Of them, guests from outside the agency.
    pub guests: usize,
    /// Members of other units than the sender's.
    pub other_units: usize,
}

/// One thing the gate found, safe to show (the value masked).
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Found {
    /// Finding kind (stable name).
    pub kind: String,
    /// Kind in Traditional Chinese.
    pub label: String,
    /// The value, masked.
    pub masked: String,
    /// Classification level, for markings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub level: Option<String>,
}

/// A rule that applied.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Why {
    /// The rule's name.
    pub rule: String,
    /// Its action.
    pub action: String,
    /// Reason in Traditional Chinese.
    pub zh: String,
    /// Reason in English.
    pub en: String,
}

/// The gate's verdict on one text.
#[derive(Clone, Debug)]
pub struct Verdict {
    /// The policy's decision.
    pub decision: Decision,
    /// What was found.
    pub findings: Vec<Finding>,
    /// The text with every finding masked (None when nothing could be masked).
    pub masked: Option<String>,
}

impl Verdict {
    /// The strictest action.
    pub fn action(&self) -> Action {
        self.decision.action
    }

    /// Finding counts by kind (what the record keeps: kinds, never content).
    pub fn kinds(&self) -> BTreeMap<&'static str, usize> {
        let mut m = BTreeMap::new();
        for f in &self.findings {
            *m.entry(f.kind.name()).or_insert(0) += 1;
        }
        m
    }

    /// The reasons, strictest first.
    pub fn why(&self) -> Vec<Why> {
        self.decision
            .reasons
            .iter()
            .map(|r| Why {
                rule: r.rule.clone(),
                action: r.action.to_string(),
                zh: r.zh.clone(),
                en: r.en.clone(),
            })
            .collect()
    }

    /// What was found, values masked.
    pub fn found(&self, text: &str, profile: &MaskProfile) -> Vec<Found> {
        self.findings
            .iter()
            .map(|f| {
                let raw = text.get(f.start..f.end).unwrap_or("");
                Found {
                    kind: f.kind.name().into(),
                    label: f.kind.label_zh().into(),
                    // A marking is not personal data: showing it tells the sender what tripped.
                    masked: if f.kind == Kind::Classification {
                        raw.into()
                    } else {
                        mask_value(f.kind, raw, profile)
                    },
                    level: f.level.map(|l| l.as_str().into()),
                }
            })
            .collect()
    }
}

/// The compiled detectors and the policy in force.
pub struct Gate {
    scanner: Scanner,
    policy: Policy,
    profile: MaskProfile,
}

impl Gate {
    /// A gate with a dictionary, a policy and a masking profile.
    pub fn new(dict: &Dictionary, policy: Policy, profile: MaskProfile) -> Gate {
        Gate {
            scanner: Scanner::with(dict, &ScanOptions::default()),
            policy,
            profile,
        }
    }

    /// The masking profile.
    pub fn profile(&self) -> &MaskProfile {
        &self.profile
    }

    /// The policy in force.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// The findings of a text, and what the sender may be shown of them.
    pub fn scan(&self, text: &str) -> (Vec<Finding>, Vec<Found>) {
        let findings = self.scanner.scan(text);
        let v = Verdict {
            decision: Decision {
                action: Action::Allow,
                reasons: vec![],
            },
            findings,
            masked: None,
        };
        let shown = v.found(text, &self.profile);
        (v.findings, shown)
    }

    /// Inspects `text` going through `channel` to `audience`.
    pub fn check(&self, text: &str, channel: Channel, audience: Audience) -> Verdict {
        let findings = self.scanner.scan(text);
        let decision = self.policy.decide(Request {
            findings: &findings,
            uninspected: false,
            channel,
            audience,
        });
        let maskable = findings.iter().any(|f| f.kind != Kind::Classification);
        let masked = maskable.then(|| redact(text, &findings, &self.profile));
        Verdict {
            decision,
            findings,
            masked,
        }
    }
}

impl Default for Gate {
    fn default() -> Self {
        Gate::new(
            &Dictionary::default(),
            Policy::default_policy(),
            MaskProfile::default(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classified_marking_is_blocked_in_chat_and_personal_data_asks_inside() {
        let g = Gate::default();
        let v = g.check(
            "密等及解密條件或保密期限：機密\n主旨：本週專案勤務",
            Channel::Chat,
            Audience::SameUnit,
        );
        assert_eq!(v.action(), Action::Block);
        assert!(v.why()[0].zh.contains("機密"));
        let v = g.check(
            "檢舉人王大明，身分證A123456789，電話0912-345-678",
            Channel::Chat,
            Audience::AgencyInternal,
        );
        assert!(v.action() >= Action::Confirm, "{:?}", v.decision);
        let masked = v.masked.clone().unwrap();
        assert!(!masked.contains("A123456789") && !masked.contains("345-678"));
        let found = v.found(
            "檢舉人王大明，身分證A123456789，電話0912-345-678",
            g.profile(),
        );
        assert!(found.iter().all(|f| !f.masked.contains("A123456789")));
        // The masked text passes.
        assert!(
            g.check(&masked, Channel::Chat, Audience::AgencyInternal)
                .action()
                <= Action::Warn
        );
    }

    #[test]
    fn talk_about_secrecy_passes() {
        let g = Gate::default();
        let v = g.check(
            "提醒同仁：機密文書不得以 LINE 傳送，請遵守公務機密維護規定。",
            Channel::Chat,
            Audience::SameUnit,
        );
        assert_eq!(v.action(), Action::Allow, "{:?}", v.findings);
    }
}

//! The decision every channel asks for: given the findings, the channel and the audience, allow,
//! warn, ask the sender to confirm, mask, or block, with reasons in zh-TW and English.
//!
//! The default policy encodes the rules of the agencies' awareness material (see `docs/policy.md`):
//! classified content never leaves through chat, attachments, forwards, mail or publication;
//! personal data is masked before publication and before it reaches anyone outside the agency;
//! inside the agency the sender confirms, seeing what was found; what could not be inspected is
//! blocked where a leak would be irreversible. A TOML file may replace or add rules.

use crate::finding::{Context, Finding, Kind, Level};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Where content is going.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// A chat message.
    Chat,
    /// A file attached to a chat message or mail.
    Attachment,
    /// A message forwarded to another conversation.
    Forward,
    /// Outbound e-mail.
    Mail,
    /// Publication (website reply, open data, press).
    Publication,
    /// A document copy (numbered, watermarked).
    Document,
}

/// Who will see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Audience {
    /// People of the sender's own unit.
    SameUnit,
    /// People of the agency (other units).
    AgencyInternal,
    /// Anyone outside the agency (guests, other agencies, the public).
    External,
}

/// Parses the snake_case name of a channel or audience (`chat`, `agency_internal` ...); `-` may
/// stand for `_`.
fn parse_name<T: serde::de::DeserializeOwned>(
    s: &str,
    what: &str,
    names: &str,
) -> Result<T, String> {
    let v = toml::Value::String(s.trim().replace('-', "_"));
    T::deserialize(v).map_err(|_| format!("unknown {what} {s:?} (expected one of: {names})"))
}

impl std::str::FromStr for Channel {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        parse_name(
            s,
            "channel",
            "chat, attachment, forward, mail, publication, document",
        )
    }
}

impl std::str::FromStr for Audience {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        parse_name(s, "audience", "same_unit, agency_internal, external")
    }
}

/// What happens to the content, mildest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Goes through.
    Allow,
    /// Goes through; the sender is told what was found.
    Warn,
    /// The sender must confirm, having seen what was found and who will see it.
    Confirm,
    /// Only a masked version goes through.
    Mask,
    /// Does not go through.
    Block,
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Action::Allow => "allow",
            Action::Warn => "warn",
            Action::Confirm => "confirm",
            Action::Mask => "mask",
            Action::Block => "block",
        })
    }
}

/// What a policy rule matches besides the finding kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Subject {
    /// Content that could not be inspected (limit hit, unreadable, OCR missing).
    Uninspected,
}

/// One rule: if content going through `channels` to `audiences` has findings of `kinds`
/// (at `min_level` or above, at least `min_count` of them), take `action`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// Stable name, quoted in decisions; a file rule with a default rule's name replaces it.
    pub name: String,
    /// Finding kinds the rule is about (empty: none; use `subjects` for uninspected content).
    #[serde(default)]
    pub kinds: Vec<Kind>,
    /// Other subjects.
    #[serde(default)]
    pub subjects: Vec<Subject>,
    /// Lowest level that counts (classification and dictionary terms); unset: any, and terms
    /// without a level count too.
    #[serde(default)]
    pub min_level: Option<Level>,
    /// Only findings with this context count (e.g. `complainant`).
    #[serde(default)]
    pub context: Option<Context>,
    /// Fewest matching findings for the rule to apply.
    #[serde(default = "one")]
    pub min_count: usize,
    /// Channels the rule applies to (empty: all).
    #[serde(default)]
    pub channels: Vec<Channel>,
    /// Audiences the rule applies to (empty: all).
    #[serde(default)]
    pub audiences: Vec<Audience>,
    /// What to do.
    pub action: Action,
    /// Reason shown to the user, in Traditional Chinese.
    pub reason_zh: String,
    /// Reason shown to the user, in English.
    pub reason_en: String,
}

fn one() -> usize {
    1
}

/// A set of rules. The strictest applicable action wins.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// The rules.
    #[serde(default, rename = "rule")]
    pub rules: Vec<Rule>,
}

/// Why a decision was taken: the rule and what it saw.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reason {
    /// The rule's name.
    pub rule: String,
    /// The rule's action.
    pub action: Action,
    /// How many findings it matched.
    pub count: usize,
    /// Reason in Traditional Chinese.
    pub zh: String,
    /// Reason in English.
    pub en: String,
}

/// The outcome of [`Policy::decide`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Decision {
    /// The strictest action of the applicable rules (`allow` if none applied).
    pub action: Action,
    /// Every applicable rule, strictest first.
    pub reasons: Vec<Reason>,
}

/// What content is being decided on.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// The findings of its inspection.
    pub findings: &'a [Finding],
    /// Whether some of it could not be inspected.
    pub uninspected: bool,
    /// Where it goes.
    pub channel: Channel,
    /// Who sees it.
    pub audience: Audience,
}

/// A policy file that could not be used.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    /// Not valid TOML for a policy.
    #[error("policy file: {0}")]
    Parse(#[from] toml::de::Error),
    /// A rule that can never apply or has no reason to show.
    #[error("policy rule {rule:?}: {problem}")]
    Invalid {
        /// The rule's name.
        rule: String,
        /// What is wrong.
        problem: String,
    },
}

const DEFAULT_POLICY: &str = include_str!("../data/default-policy.toml");

/// A policy file as written: its rules, and whether they replace the defaults.
struct PolicyFile {
    replace_defaults: bool,
    policy: Policy,
}

impl PolicyFile {
    fn parse(src: &str) -> Result<PolicyFile, PolicyError> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct File {
            #[serde(default)]
            replace_defaults: bool,
            #[serde(default, rename = "rule")]
            rules: Vec<Rule>,
        }
        let f: File = toml::from_str(src)?;
        let policy = Policy { rules: f.rules };
        policy.validate()?;
        Ok(PolicyFile {
            replace_defaults: f.replace_defaults,
            policy,
        })
    }
}

impl Policy {
    /// The built-in policy (see `data/default-policy.toml`).
    pub fn default_policy() -> Policy {
        Policy::parse(DEFAULT_POLICY).expect("built-in policy is valid")
    }

    /// Parses a policy file on its own (without the defaults).
    pub fn parse(src: &str) -> Result<Policy, PolicyError> {
        Ok(PolicyFile::parse(src)?.policy)
    }

    /// The default policy with a file's rules applied: a rule with a default rule's name replaces
    /// it, other rules are added; `replace_defaults = true` drops the defaults.
    pub fn with_overrides(src: &str) -> Result<Policy, PolicyError> {
        let file = PolicyFile::parse(src)?;
        if file.replace_defaults {
            return Ok(file.policy);
        }
        let mut p = Policy::default_policy();
        for r in file.policy.rules {
            match p.rules.iter_mut().find(|d| d.name == r.name) {
                Some(d) => *d = r,
                None => p.rules.push(r),
            }
        }
        Ok(p)
    }

    fn validate(&self) -> Result<(), PolicyError> {
        for r in &self.rules {
            let bad = |problem: &str| {
                Err(PolicyError::Invalid {
                    rule: r.name.clone(),
                    problem: problem.into(),
                })
            };
            if r.name.trim().is_empty() {
                return bad("a rule needs a name");
            }
            if r.kinds.is_empty() && r.subjects.is_empty() {
                return bad("a rule needs `kinds` or `subjects`");
            }
            if r.reason_zh.trim().is_empty() || r.reason_en.trim().is_empty() {
                return bad("a rule needs `reason_zh` and `reason_en`");
            }
            if r.min_count == 0 {
                return bad("`min_count` must be at least 1");
            }
        }
        Ok(())
    }

    /// Decides on content.
    pub fn decide(&self, req: Request<'_>) -> Decision {
        let mut reasons = vec![];
        for r in &self.rules {
            if !r.channels.is_empty() && !r.channels.contains(&req.channel) {
                continue;
            }
            if !r.audiences.is_empty() && !r.audiences.contains(&req.audience) {
                continue;
            }
            let mut count = req
                .findings
                .iter()
                .filter(|f| r.kinds.contains(&f.kind))
                .filter(|f| match r.min_level {
                    Some(min) => f.level.is_some_and(|l| l >= min),
                    None => true,
                })
                .filter(|f| r.context.is_none() || f.context == r.context)
                .count();
            if req.uninspected && r.subjects.contains(&Subject::Uninspected) {
                count += 1;
            }
            if count >= r.min_count {
                reasons.push(Reason {
                    rule: r.name.clone(),
                    action: r.action,
                    count,
                    zh: r.reason_zh.clone(),
                    en: r.reason_en.clone(),
                });
            }
        }
        reasons.sort_by_key(|r| std::cmp::Reverse(r.action));
        Decision {
            action: reasons.first().map_or(Action::Allow, |r| r.action),
            reasons,
        }
    }
}

impl Default for Policy {
    fn default() -> Self {
        Policy::default_policy()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Scanner;

    fn decide(text: &str, channel: Channel, audience: Audience) -> Decision {
        let findings = Scanner::new().scan(text);
        Policy::default_policy().decide(Request {
            findings: &findings,
            uninspected: false,
            channel,
            audience,
        })
    }

    #[test]
    fn classified_never_goes_out_by_chat_or_mail() {
        let t = "機密（限閱）\n有關本週專案勤務部署";
        for ch in [
            Channel::Chat,
            Channel::Attachment,
            Channel::Forward,
            Channel::Mail,
            Channel::Publication,
        ] {
            let d = decide(t, ch, Audience::SameUnit);
            assert_eq!(d.action, Action::Block, "{ch:?}");
            assert_eq!(d.reasons[0].rule, "classified-content");
        }
    }

    #[test]
    fn whistleblower_in_group_chat_needs_masking_or_confirmation() {
        let t = "檢舉人王小明，身分證A123456789，住臺北市中正區重慶南路一段122號";
        assert_eq!(
            decide(t, Channel::Chat, Audience::AgencyInternal).action,
            Action::Mask
        );
        assert_eq!(
            decide(t, Channel::Mail, Audience::External).action,
            Action::Block
        );
        assert_eq!(
            decide(t, Channel::Publication, Audience::External).action,
            Action::Block
        );
        assert_eq!(
            decide("請回電0912-345-678", Channel::Chat, Audience::SameUnit).action,
            Action::Confirm
        );
        assert_eq!(
            decide("會議改到下午三點", Channel::Chat, Audience::SameUnit).action,
            Action::Allow
        );
    }

    #[test]
    fn channels_and_audiences_parse_from_their_names() {
        assert_eq!("chat".parse::<Channel>(), Ok(Channel::Chat));
        assert_eq!(
            "agency-internal".parse::<Audience>(),
            Ok(Audience::AgencyInternal)
        );
        assert!(
            "telepathy"
                .parse::<Channel>()
                .unwrap_err()
                .contains("expected one of")
        );
    }

    #[test]
    fn overrides_replace_by_name() {
        let p = Policy::with_overrides(
            r#"
            [[rule]]
            name = "personal-data-internal"
            kinds = ["phone"]
            action = "warn"
            reason_zh = "提醒"
            reason_en = "Reminder"
            "#,
        )
        .unwrap();
        let f = Scanner::new().scan("0912-345-678");
        let d = p.decide(Request {
            findings: &f,
            uninspected: false,
            channel: Channel::Chat,
            audience: Audience::SameUnit,
        });
        assert_eq!(d.action, Action::Warn);
        assert!(
            Policy::with_overrides(
                "[[rule]]\nname='x'\naction='block'\nreason_zh='a'\nreason_en='b'"
            )
            .is_err()
        );
    }
}

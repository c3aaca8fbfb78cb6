//! Rules on a single look-up: its reason, its case, the operator's duty and hours, printing,
//! and the protected-person list.

use super::Hits;
use crate::clock;
use crate::config::LedgerConfig;
use crate::history::History;
use crate::lookup::{Action, Lookup};
use crate::reference::Reference;

/// Runs every single-look-up rule on look-up `i`.
pub fn check(
    i: usize,
    l: &Lookup,
    r: &Reference,
    h: &History,
    cfg: &LedgerConfig,
    hits: &mut Hits,
) {
    let rules = &cfg.rules;
    let off = cfg.offset();
    let reason = cfg.reason(&l.reason_code);
    if rules.operator_unknown.enabled && !r.staff.is_empty() && !r.staff.contains_key(&l.operator) {
        hits.add(
            i,
            "operator_unknown",
            rules.operator_unknown.score,
            format!(
                "查詢者「{}」不在員工名冊（帳號外借或系統帳號？）",
                l.operator
            ),
        );
    }
    if l.reason_code.is_empty() {
        if rules.reason_missing.enabled {
            hits.add(
                i,
                "reason_missing",
                rules.reason_missing.score,
                "未填查詢事由".into(),
            );
        }
    } else if rules.reason_invalid.enabled {
        let why = match reason {
            None => Some(format!("事由代碼「{}」不在本機關的事由清單", l.reason_code)),
            Some(rs) if !rs.systems.is_empty() && !rs.systems.contains(&l.system) => Some(format!(
                "事由「{}」不得用於{}系統（限：{}）",
                l.reason_code,
                l.system,
                rs.systems.join("、")
            )),
            Some(rs) if !rs.roles.is_empty() => {
                let staff = r.staff.get(&l.operator);
                let allowed = staff.is_some_and(|s| {
                    rs.roles
                        .iter()
                        .any(|x| *x == s.title || s.roles.contains(x))
                });
                (!allowed).then(|| {
                    format!(
                        "事由「{}」限{}使用，查詢者職稱為「{}」",
                        l.reason_code,
                        rs.roles.join("、"),
                        staff.map_or("（不在員工名冊）", |s| s.title.as_str())
                    )
                })
            }
            _ => None,
        };
        if let Some(why) = why {
            hits.add(i, "reason_invalid", rules.reason_invalid.score, why);
        }
    }

    // The case: missing where required, or present but not a case that justifies this look-up.
    let mut case_ok = false;
    if l.case_no.is_empty() {
        if reason.is_some_and(|rs| rs.case_required) && rules.case_missing.enabled {
            hits.add(
                i,
                "case_missing",
                rules.case_missing.score,
                format!("事由「{}」須填案號，本筆未填", l.reason_code),
            );
        }
    } else if !r.case_registry {
        // No registry loaded: a case number is taken at its word.
        case_ok = true;
    } else {
        match r.cases.get(&l.case_no) {
            None => {
                if rules.case_unknown.enabled {
                    hits.add(
                        i,
                        "case_unknown",
                        rules.case_unknown.score,
                        format!("案號 {} 不在案件登錄", l.case_no),
                    );
                }
            }
            Some(c) => {
                case_ok = true;
                let early = l.at < c.opened - 86_400;
                let late = c.closed.is_some_and(|e| l.at > e + 86_400);
                if (early || late) && rules.case_closed.enabled {
                    case_ok = false;
                    let when = if early {
                        format!("於 {} 才立案", clock::short(c.opened, off))
                    } else {
                        format!("已於 {} 結案", clock::short(c.closed.unwrap_or(0), off))
                    };
                    hits.add(
                        i,
                        "case_closed",
                        rules.case_closed.score,
                        format!("案號 {} {when}", l.case_no),
                    );
                }
                if !c.subjects.is_empty()
                    && !c.subjects.contains(&l.subject)
                    && rules.case_subject_mismatch.enabled
                {
                    case_ok = false;
                    hits.add(
                        i,
                        "case_subject_mismatch",
                        rules.case_subject_mismatch.score,
                        format!("案號 {} 的當事人不含本筆查詢對象", l.case_no),
                    );
                }
                if !c.assigned.is_empty()
                    && !c.assigned.contains(&l.operator)
                    && rules.case_not_assigned.enabled
                {
                    case_ok = false;
                    hits.add(
                        i,
                        "case_not_assigned",
                        rules.case_not_assigned.score,
                        format!("查詢者 {} 不是案號 {} 的承辦人", l.operator, l.case_no),
                    );
                }
            }
        }
    }

    if l.action != Action::Query && !case_ok && rules.print_without_case.enabled {
        hits.add(
            i,
            "print_without_case",
            rules.print_without_case.score,
            format!("{}個資而無有效案號", l.action.zh()),
        );
    }

    let duty = r.on_duty(&l.operator, l.at, rules.off_duty_grace_minutes * 60);
    if duty == Some(false) && rules.off_duty.enabled {
        let near = r
            .nearest_shift(&l.operator, l.at)
            .map(|s| {
                format!(
                    "（最近班表 {}–{}）",
                    clock::short(s.start, off),
                    &clock::short(s.end, off)[6..]
                )
            })
            .unwrap_or_default();
        hits.add(
            i,
            "off_duty",
            rules.off_duty.score,
            format!("查詢時間 {} 不在勤務時段{near}", clock::short(l.at, off)),
        );
    }

    if rules.unusual_hour.enabled
        && duty != Some(true)
        && let Some(oh) = h.operators.get(&l.operator)
    {
        let total = oh.total();
        if total >= rules.unusual_hour_min_history {
            let hr = clock::hour(l.at, off) as usize;
            let near: u32 = [23, 0, 1].iter().map(|d| oh.hours[(hr + d) % 24]).sum();
            let share = near as f64 / total as f64;
            if share < rules.unusual_hour_share {
                hits.add(
                    i,
                    "unusual_hour",
                    rules.unusual_hour.score,
                    format!(
                        "{} 時查詢；此人過去 {} 筆查詢中僅 {} 筆在前後一小時內",
                        hr, total, near
                    ),
                );
            }
        }
    }

    if rules.protected_subject.enabled
        && let Some(cat) = r.protected.as_ref().and_then(|p| p.get(&l.subject))
    {
        hits.add(
            i,
            "protected_subject",
            rules.protected_subject.score,
            format!("查詢對象在受保護名單（{cat}）"),
        );
    }
}

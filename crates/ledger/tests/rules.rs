//! Every rule with an example that must fire it and a negative example that must not: the
//! seeds' cases (the landlord's tenant, the friend's car, the loan shark's debtors) next to
//! the daily work they hide in.

use baomi_ledger::clock::{TAIWAN, parse_time};
use baomi_ledger::config::{LedgerConfig, Reason};
use baomi_ledger::reference::Staff;
use baomi_ledger::{Action, History, Lookup, RawLookup, Reference, SubjectKeyer, evaluate};

fn keyer() -> SubjectKeyer {
    SubjectKeyer::new(&[42; 32])
}

fn at(s: &str) -> i64 {
    parse_time(s, TAIWAN).unwrap()
}

fn lk(id: &str, when: &str, op: &str, subject: &str, reason: &str, case: &str) -> Lookup {
    RawLookup {
        event_id: id.into(),
        at: at(when),
        system: "戶役政".into(),
        operator: op.into(),
        subject_id: subject.into(),
        action: Action::Query,
        reason_code: reason.into(),
        reason_text: String::new(),
        case_no: case.into(),
        terminal: "T1".into(),
    }
    .keyed(&keyer())
}

/// An agency: wang (tax) with case 114欠-1 about A123456789; lin (police) with a day shift.
fn agency() -> Reference {
    let k = keyer();
    let mut r = Reference::default();
    for (op, unit, title) in [
        ("wang", "tax", "稅務員"),
        ("lee", "tax", "稅務員"),
        ("lin", "pol", "警員"),
    ] {
        r.staff.insert(
            op.into(),
            Staff {
                unit: unit.into(),
                title: title.into(),
                roles: vec![],
            },
        );
    }
    r.add_case_row(
        "114欠-1",
        Some(k.key("A123456789")),
        "wang",
        at("2026-10-01 00:00"),
        None,
    );
    r.add_case_row(
        "114欠-2",
        Some(k.key("B223456789")),
        "lee",
        at("2026-10-01 00:00"),
        Some(at("2026-10-20 17:00")),
    );
    r.add_shift("lin", at("2026-11-02 08:00"), at("2026-11-02 17:00"));
    r
}

fn rules_of(
    lookups: &[Lookup],
    r: &Reference,
    h: &History,
    cfg: &LedgerConfig,
) -> Vec<Vec<&'static str>> {
    let flags = evaluate(lookups, r, h, cfg);
    (0..lookups.len())
        .map(|i| {
            flags
                .iter()
                .find(|f| f.index == i)
                .map_or(vec![], |f| f.rules())
        })
        .collect()
}

fn one(l: Lookup) -> Vec<&'static str> {
    rules_of(
        &[l],
        &agency(),
        &History::default(),
        &LedgerConfig::default(),
    )
    .remove(0)
}

#[test]
fn daily_work_is_not_flagged() {
    assert!(
        one(lk(
            "1",
            "2026-11-02 10:00",
            "wang",
            "A123456789",
            "欠稅清理",
            "114欠-1"
        ))
        .is_empty()
    );
    assert!(
        one(lk(
            "2",
            "2026-11-02 10:00",
            "wang",
            "C123456789",
            "民眾臨櫃申辦",
            ""
        ))
        .is_empty()
    );
    assert!(
        one(lk(
            "3",
            "2026-11-02 10:00",
            "lin",
            "C123456789",
            "民眾臨櫃申辦",
            ""
        ))
        .is_empty()
    );
}

#[test]
fn reasons() {
    assert_eq!(
        one(lk(
            "1",
            "2026-11-02 10:00",
            "wang",
            "A123456789",
            "",
            "114欠-1"
        )),
        ["reason_missing"]
    );
    assert_eq!(
        one(lk(
            "2",
            "2026-11-02 10:00",
            "wang",
            "A123456789",
            "好奇",
            "114欠-1"
        )),
        ["reason_invalid"]
    );
    let mut wrong_system = lk(
        "3",
        "2026-11-02 10:00",
        "wang",
        "A123456789",
        "交通違規",
        "114欠-1",
    );
    wrong_system.system = "刑案資料".into();
    assert_eq!(one(wrong_system), ["reason_invalid"]);
    let mut cfg = LedgerConfig::default();
    cfg.reasons.push(Reason {
        code: "通緝查詢".into(),
        systems: vec![],
        roles: vec!["警員".into()],
        case_required: false,
    });
    let r = agency();
    let got = rules_of(
        &[
            lk("4", "2026-11-02 10:00", "lin", "C123456789", "通緝查詢", ""),
            lk(
                "5",
                "2026-11-02 10:00",
                "wang",
                "C123456789",
                "通緝查詢",
                "",
            ),
        ],
        &r,
        &History::default(),
        &cfg,
    );
    assert_eq!(got, vec![vec![], vec!["reason_invalid"]]);
}

#[test]
fn the_landlord_pattern_a_real_case_of_someone_else() {
    // 稅務員 looks up his tenant under his own arrears case: the case does not concern her.
    assert_eq!(
        one(lk(
            "1",
            "2026-11-02 12:10",
            "wang",
            "F223456789",
            "欠稅清理",
            "114欠-1"
        )),
        ["case_subject_mismatch"]
    );
}

#[test]
fn cases() {
    assert_eq!(
        one(lk(
            "1",
            "2026-11-02 10:00",
            "wang",
            "A123456789",
            "欠稅清理",
            ""
        )),
        ["case_missing"]
    );
    assert_eq!(
        one(lk(
            "2",
            "2026-11-02 10:00",
            "wang",
            "A123456789",
            "欠稅清理",
            "114欠-77"
        )),
        ["case_unknown"]
    );
    assert_eq!(
        one(lk(
            "3",
            "2026-11-02 10:00",
            "lee",
            "B223456789",
            "欠稅清理",
            "114欠-2"
        )),
        ["case_closed"]
    );
    assert_eq!(
        one(lk(
            "4",
            "2026-11-02 10:00",
            "lee",
            "A123456789",
            "欠稅清理",
            "114 欠-1"
        )),
        ["case_not_assigned"],
        "lee is not on wang's case (and the spacing of the number does not matter)"
    );
    assert_eq!(
        one(lk(
            "4b",
            "2026-11-02 10:00",
            "lee",
            "F223456789",
            "欠稅清理",
            "114欠-1"
        )),
        ["case_subject_mismatch", "case_not_assigned"]
    );
    let mut no_registry = agency();
    no_registry.cases.clear();
    no_registry.case_registry = false;
    let got = rules_of(
        &[lk(
            "5",
            "2026-11-02 10:00",
            "wang",
            "A123456789",
            "欠稅清理",
            "114欠-77",
        )],
        &no_registry,
        &History::default(),
        &LedgerConfig::default(),
    );
    assert_eq!(
        got,
        vec![Vec::<&str>::new()],
        "without a registry a number is taken at its word"
    );
}

#[test]
fn an_operator_the_org_chart_does_not_know() {
    assert_eq!(
        one(lk(
            "1",
            "2026-11-02 10:00",
            "guest01",
            "C123456789",
            "民眾臨櫃申辦",
            ""
        )),
        ["operator_unknown"]
    );
}

#[test]
fn printing_for_a_friend() {
    let mut p = lk(
        "1",
        "2026-11-02 10:00",
        "wang",
        "C123456789",
        "民眾臨櫃申辦",
        "",
    );
    p.action = Action::Print;
    assert_eq!(one(p), ["print_without_case"]);
    let mut ok = lk(
        "2",
        "2026-11-02 10:00",
        "wang",
        "A123456789",
        "欠稅清理",
        "114欠-1",
    );
    ok.action = Action::Export;
    assert!(one(ok).is_empty());
}

#[test]
fn duty_and_hours() {
    // lin is on the roster 08:00–17:00; 21:40 is outside (30 minutes' grace).
    assert_eq!(
        one(lk(
            "1",
            "2026-11-02 21:40",
            "lin",
            "C123456789",
            "民眾臨櫃申辦",
            ""
        )),
        ["off_duty"]
    );
    assert!(
        one(lk(
            "2",
            "2026-11-02 17:20",
            "lin",
            "C123456789",
            "民眾臨櫃申辦",
            ""
        ))
        .is_empty()
    );
    // wang is not on the roster: the duty rule does not speak; his history speaks for the hour.
    let mut h = History::default();
    let mut hours = [0u32; 24];
    hours[8..18].fill(20);
    for _ in 0..10 {
        h.add_day("wang", 200, &hours);
    }
    let late = lk(
        "3",
        "2026-11-02 23:30",
        "wang",
        "A123456789",
        "欠稅清理",
        "114欠-1",
    );
    let day = lk(
        "4",
        "2026-11-02 11:30",
        "wang",
        "A123456789",
        "欠稅清理",
        "114欠-1",
    );
    let got = rules_of(&[late, day], &agency(), &h, &LedgerConfig::default());
    assert_eq!(got, vec![vec!["unusual_hour"], vec![]]);
}

#[test]
fn the_friends_car_same_plate_again_and_again() {
    let r = agency();
    let cfg = LedgerConfig::default();
    let v: Vec<Lookup> = ["2026-11-02 10:00", "2026-11-03 10:00", "2026-11-05 16:00"]
        .iter()
        .enumerate()
        .map(|(i, t)| lk(&i.to_string(), t, "wang", "D123456789", "民眾臨櫃申辦", ""))
        .collect();
    let got = rules_of(&v, &r, &History::default(), &cfg);
    assert_eq!(got, vec![vec![], vec![], vec!["repeat_subject"]]);
    // The same three look-ups under his own case are his work.
    let v: Vec<Lookup> = ["2026-11-02 10:00", "2026-11-03 10:00", "2026-11-05 16:00"]
        .iter()
        .enumerate()
        .map(|(i, t)| {
            lk(
                &i.to_string(),
                t,
                "wang",
                "A123456789",
                "欠稅清理",
                "114欠-1",
            )
        })
        .collect();
    assert!(
        rules_of(&v, &r, &History::default(), &cfg)
            .iter()
            .all(Vec::is_empty)
    );
    // Two earlier ones known from history make today's the third.
    let mut h = History::default();
    h.uncovered.insert(
        ("wang".into(), keyer().key("D123456789")),
        vec![at("2026-10-30 10:00"), at("2026-10-31 10:00")],
    );
    let today = lk(
        "9",
        "2026-11-02 10:00",
        "wang",
        "D123456789",
        "民眾臨櫃申辦",
        "",
    );
    assert_eq!(
        rules_of(&[today], &r, &h, &cfg),
        vec![vec!["repeat_subject"]]
    );
}

#[test]
fn enumeration_of_many_subjects_in_minutes() {
    let r = agency();
    let cfg = LedgerConfig::default();
    let base = at("2026-11-02 14:00");
    let burst: Vec<Lookup> = (0..30)
        .map(|i| {
            let mut l = lk(
                &format!("b{i}"),
                "2026-11-02 14:00",
                "lin",
                &format!("E1{i:08}"),
                "民眾臨櫃申辦",
                "",
            );
            l.at = base + i * 15;
            l
        })
        .collect();
    let got = rules_of(&burst, &r, &History::default(), &cfg);
    assert!(got.iter().all(|g| g.contains(&"enumeration")), "{got:?}");
    // The same thirty spread over the day are a counter's normal work.
    let spread: Vec<Lookup> = burst
        .iter()
        .cloned()
        .enumerate()
        .map(|(i, mut l)| {
            l.at = at("2026-11-02 08:10") + i as i64 * 900;
            l
        })
        .collect();
    let got = rules_of(&spread, &r, &History::default(), &cfg);
    assert!(got.iter().all(|g| !g.contains(&"enumeration")), "{got:?}");
}

#[test]
fn volume_far_above_own_and_peers() {
    let r = agency();
    let cfg = LedgerConfig::default();
    let mut h = History::default();
    for _ in 0..12 {
        h.add_day("wang", 20, &[1; 24]);
        h.add_day("lee", 20, &[1; 24]);
    }
    let mut v = Vec::new();
    for i in 0..100 {
        let mut l = lk(
            &format!("w{i}"),
            "2026-11-02 08:00",
            "wang",
            "A123456789",
            "欠稅清理",
            "114欠-1",
        );
        l.at += i * 300;
        v.push(l);
    }
    for i in 0..20 {
        let mut l = lk(
            &format!("l{i}"),
            "2026-11-02 08:00",
            "lee",
            "B223456789",
            "民眾臨櫃申辦",
            "",
        );
        l.at += i * 600;
        v.push(l);
    }
    let got = rules_of(&v, &r, &h, &cfg);
    assert!(got[..100].iter().all(|g| g.contains(&"volume")));
    assert!(got[100..].iter().all(|g| !g.contains(&"volume")));
    // A day everyone in the unit is busy is not one person's anomaly.
    for i in 0..100 {
        let mut l = lk(
            &format!("x{i}"),
            "2026-11-02 08:00",
            "lee",
            "C123456789",
            "民眾臨櫃申辦",
            "",
        );
        l.at += i * 290;
        v.push(l);
    }
    let got = rules_of(&v, &r, &h, &cfg);
    assert!(got[..100].iter().all(|g| !g.contains(&"volume")));
}

#[test]
fn protected_persons_only_once_configured() {
    let mut r = agency();
    let l = lk(
        "1",
        "2026-11-02 10:00",
        "wang",
        "A123456789",
        "欠稅清理",
        "114欠-1",
    );
    let cfg = LedgerConfig::default();
    assert!(rules_of(std::slice::from_ref(&l), &r, &History::default(), &cfg)[0].is_empty());
    r.protected = Some([(keyer().key("A123456789"), "同仁".to_string())].into());
    let flags = evaluate(std::slice::from_ref(&l), &r, &History::default(), &cfg);
    assert_eq!(flags[0].rules(), ["protected_subject"]);
    assert!(flags[0].explanation().contains("同仁"));
}

#[test]
fn rules_switch_off_and_scores_combine() {
    let l = lk("1", "2026-11-02 21:40", "lin", "C123456789", "", "");
    let r = agency();
    let flags = evaluate(
        std::slice::from_ref(&l),
        &r,
        &History::default(),
        &LedgerConfig::default(),
    );
    assert_eq!(flags[0].rules(), ["reason_missing", "off_duty"]);
    assert_eq!(flags[0].score(), 70);
    assert!(
        flags[0]
            .explanation()
            .contains("21:40 不在勤務時段（最近班表 11/02 08:00–17:00）"),
        "{}",
        flags[0].explanation()
    );
    let cfg = LedgerConfig::parse("[rules]\noff_duty = { enabled = false, score = 30 }").unwrap();
    assert_eq!(
        evaluate(&[l], &r, &History::default(), &cfg)[0].rules(),
        ["reason_missing"]
    );
}

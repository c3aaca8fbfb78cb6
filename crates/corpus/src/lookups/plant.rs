//! The planted abuse scenarios (`SCENARIOS`), each written into the month as the look-ups it
//! would leave, labelled with its truth.

use super::*;

/// Plants the scenarios in the evaluated days.
pub(super) fn plant(
    m: &mut Month,
    r: &mut Rng,
    cases: &[CaseDef],
    by_person: &[Vec<usize>],
    hist: i64,
    days: i64,
    next_id: &mut dyn FnMut(&mut Rng) -> String,
) {
    // Inside the evaluated days, leaving room for a scenario that spans several.
    let last = (days - 2).max(2);
    let eval_day = |r: &mut Rng| hist + r.i64(1..last);
    // Operators with work, by kind, distinct for each scenario.
    let mut tax: Vec<usize> = (0..m.people.len())
        .filter(|&p| !m.people[p].police && m.people[p].rate > 0.0)
        .collect();
    let mut police: Vec<usize> = (0..m.people.len())
        .filter(|&p| m.people[p].police && m.people[p].rate > 0.0)
        .collect();
    r.shuffle(&mut tax);
    r.shuffle(&mut police);
    let people = m.people.clone();
    // A working moment of `p` on or after `day`.
    let on_shift = |p: usize, mut day: i64, r: &mut Rng| -> i64 {
        loop {
            if let Some((from, to)) = shifts(p, &people[p], day) {
                return local(day, r.i64(from + 20..to - 20));
            }
            day += 1;
        }
    };
    let mut idr = Rng::with_seed(r.u64(..));
    let mut push = |m: &mut Month,
                    scenario,
                    p: usize,
                    at,
                    system: &str,
                    subject: String,
                    action,
                    reason: &str,
                    case_no: String| {
        let l = RawLookup {
            event_id: next_id(&mut idr),
            at,
            system: system.into(),
            operator: people[p].username.clone(),
            subject_id: subject,
            action,
            reason_code: reason.into(),
            reason_text: String::new(),
            case_no,
            terminal: format!("T{p:05}"),
        };
        m.lookups.push((l, Truth::Planted(scenario)));
    };
    let own_case = |p: usize, kind: CaseKind| -> String {
        by_person[p]
            .iter()
            .map(|&c| &cases[c])
            .find(|c| c.kind == kind && c.closed.is_none())
            .map_or_else(|| "115欠000001".into(), |c| c.no.clone())
    };

    // The loan shark's debtors: three or four a day on four days.
    let p = tax[0];
    let debtors: Vec<String> = (0..12).map(|_| values::national_id(r, true)).collect();
    for (k, d) in debtors.iter().enumerate() {
        let at = on_shift(p, hist + 1 + (k as i64 / 3) * (last / 4).max(1), r);
        let case = if k % 2 == 0 {
            own_case(p, CaseKind::Tax)
        } else {
            format!("115欠9{:05}", r.u32(0..99999))
        };
        push(
            m,
            "loan_shark",
            p,
            at,
            "戶役政",
            d.clone(),
            Action::Query,
            "欠稅清理",
            case,
        );
    }
    // The landlord's tenant, at lunch time, under his own case.
    let p = tax[1];
    let at = on_shift(p, eval_day(r), r);
    let case = own_case(p, CaseKind::Tax);
    push(
        m,
        "landlord",
        p,
        at,
        "戶役政",
        values::national_id(r, true),
        Action::Query,
        "欠稅清理",
        case,
    );
    // A friend's car: once on shift without a case, once late on a day off.
    let p = police[0];
    let plate = values::plate(r);
    let day = eval_day(r);
    let at = on_shift(p, day, r);
    push(
        m,
        "friend_vehicle",
        p,
        at,
        "車籍",
        plate.clone(),
        Action::Query,
        "交通違規",
        String::new(),
    );
    let off_day = (day + 1..day + 8)
        .find(|&d| shifts(p, &people[p], d).is_none())
        .unwrap_or(day + 1);
    push(
        m,
        "friend_vehicle",
        p,
        local(off_day, 22 * 60 + 10),
        "車籍",
        plate,
        Action::Query,
        "交通違規",
        String::new(),
    );
    // A friend's record under a colleague's crime case.
    let p = police[1];
    let colleague_case = police[2..]
        .iter()
        .flat_map(|&q| by_person[q].iter().map(|&c| &cases[c]))
        .find(|c| c.kind == CaseKind::Crime && !c.operators.contains(&p) && c.closed.is_none())
        .map(|c| c.no.clone())
        .unwrap_or_default();
    let at = on_shift(p, eval_day(r), r);
    push(
        m,
        "friend_record",
        p,
        at,
        "刑案資料",
        values::national_id(r, true),
        Action::Query,
        "刑案偵查",
        colleague_case,
    );
    // Enumeration: 40 people in 12 minutes under a counter reason.
    let p = police[3];
    let at = on_shift(p, eval_day(r), r);
    for k in 0..40 {
        push(
            m,
            "enumeration",
            p,
            at + k * 18,
            "戶役政",
            values::national_id(r, true),
            Action::Query,
            "民眾臨櫃申辦",
            String::new(),
        );
    }
    // Printing a stranger's household record at the counter.
    let p = tax[2];
    let at = on_shift(p, eval_day(r), r);
    push(
        m,
        "print_for_friend",
        p,
        at,
        "戶役政",
        values::national_id(r, true),
        Action::Print,
        "民眾臨櫃申辦",
        String::new(),
    );
    // The same person again and again over two weeks.
    let p = police[4];
    let target = values::national_id(r, true);
    for k in 0..4 {
        let at = on_shift(p, hist + 1 + k * 2, r);
        push(
            m,
            "stalking",
            p,
            at,
            "戶役政",
            target.clone(),
            Action::Query,
            "民眾臨櫃申辦",
            String::new(),
        );
    }
    // A colleague on the protected list (the agency lists its own staff's IDs).
    let colleague_id = values::national_id(r, true);
    m.protected
        .push((colleague_id.clone(), "本機關同仁".into()));
    for _ in 0..20 {
        m.protected
            .push((values::national_id(r, true), "本機關同仁".into()));
    }
    m.protected
        .push((values::national_id(r, true), "公眾人物".into()));
    let p = tax[3];
    let at = on_shift(p, eval_day(r), r);
    push(
        m,
        "protected_colleague",
        p,
        at,
        "戶役政",
        colleague_id,
        Action::Query,
        "民眾臨櫃申辦",
        String::new(),
    );
    // A day of harvesting: 150 look-ups spread evenly over the shift.
    let p = tax[4];
    let day = (eval_day(r)..)
        .find(|&d| shifts(p, &people[p], d).is_some())
        .unwrap_or(hist + 2);
    let (from, to) = shifts(p, &people[p], day).unwrap_or((8 * 60, 17 * 60));
    for k in 0..150 {
        let at = local(day, from + 10) + k * ((to - from - 20) * 60 / 150);
        push(
            m,
            "bulk_harvest",
            p,
            at,
            "戶役政",
            values::national_id(r, true),
            Action::Query,
            "民眾臨櫃申辦",
            String::new(),
        );
    }
}

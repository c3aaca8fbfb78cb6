//! A generated agency and its month of look-ups (電腦查詢紀錄) for evaluating and benchmarking
//! the look-up ledger: tax and police units with a duty roster, a case registry and daily work
//! done under cases or at the counter, some honest sloppiness (a mistyped case number, a look-up
//! an hour after the shift), and planted abuse modelled on the seeds' cases, each labelled.

pub mod eval;
mod plant;
use plant::plant;

use crate::values;
use baomi_ledger::csvfile::{CaseRow, DutyRow};
use baomi_ledger::{Action, RawLookup};
use fastrand::Rng;
use std::collections::HashMap;

/// The planted scenarios, with what they model.
pub const SCENARIOS: &[(&str, &str)] = &[
    (
        "loan_shark",
        "稅務員為地下錢莊查 12 名債務人戶籍，掛自己的欠稅案號或編造案號",
    ),
    (
        "landlord",
        "稅務員以「欠稅清理」為由、掛自己承辦的案號查房客住址",
    ),
    (
        "friend_vehicle",
        "警員無案號為友人查車籍，其中一次在非勤務時間",
    ),
    ("friend_record", "警員借同事的刑案案號為友人查前科"),
    ("enumeration", "警員 12 分鐘內以臨櫃事由查 40 名不同民眾"),
    ("print_for_friend", "稅務員以臨櫃事由列印他人戶籍資料"),
    ("stalking", "職員一週內以臨櫃事由查詢同一人 4 次"),
    ("protected_colleague", "職員查詢列於受保護名單的同事"),
    (
        "bulk_harvest",
        "職員某日平均分散查詢 150 名民眾（數倍於平日與同儕）",
    ),
];

/// Ground truth of one look-up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Truth {
    /// Daily work.
    Normal,
    /// Daily work with a slip a rule is right to question (typo, overtime, no reason).
    Sloppy,
    /// Planted abuse.
    Planted(&'static str),
}

/// A member of staff.
#[derive(Clone, Debug)]
pub struct Person {
    /// Employee number.
    pub employee_no: String,
    /// Sign-in name (the operator in look-ups).
    pub username: String,
    /// Name.
    pub name: String,
    /// Unit code.
    pub unit: String,
    /// Title.
    pub title: String,
    /// Supervisor's index.
    pub supervisor: Option<usize>,
    /// Police (shifts around the clock) or tax (office hours).
    pub police: bool,
    /// Look-ups in a usual shift.
    pub rate: f64,
}

/// A generated month.
pub struct Month {
    /// People (supervisors first in each unit).
    pub people: Vec<Person>,
    /// Units: (code, name).
    pub units: Vec<(String, String)>,
    /// Look-ups in time order, with their truth.
    pub lookups: Vec<(RawLookup, Truth)>,
    /// Duty roster.
    pub duty: Vec<DutyRow>,
    /// Case registry rows.
    pub cases: Vec<CaseRow>,
    /// Protected persons.
    pub protected: Vec<(String, String)>,
    /// Unix seconds of the first evaluated day's start (local midnight); earlier look-ups are
    /// history.
    pub evaluated_from: i64,
}

struct CaseDef {
    no: String,
    subjects: Vec<String>,
    operators: Vec<usize>,
    opened: i64,
    closed: Option<i64>,
    kind: CaseKind,
}

#[derive(Clone, Copy, PartialEq)]
enum CaseKind {
    Tax,
    Crime,
    Traffic,
}

const TZ: i64 = 8 * 3600;
/// 2026-10-04 00:00 +08:00 (a Sunday): four weeks of history, then November.
const START: i64 = 1_791_043_200;
/// Days of history before the evaluated days (what the server keeps for the rules).
pub const HISTORY_DAYS: i64 = 28;

fn local(day: i64, minutes: i64) -> i64 {
    START + day * 86_400 + minutes * 60
}

/// Shifts of person `p` on `day` (minutes of the local day), none on days off.
fn shifts(p: usize, person: &Person, day: i64) -> Option<(i64, i64)> {
    let weekday = day.rem_euclid(7); // 0 = Sunday
    if !person.police {
        return (1..=5).contains(&weekday).then_some((8 * 60, 17 * 60 + 30));
    }
    // Police rotate: two days off a week, staggered; a shift kind per person.
    if (day + p as i64).rem_euclid(7) < 2 {
        return None;
    }
    Some(match p % 3 {
        0 => (8 * 60, 16 * 60),
        1 => (16 * 60, 24 * 60),
        _ => (24 * 60, 32 * 60), // midnight to 08:00 of the next day
    })
}

/// Generates an agency of `staff` people and [`HISTORY_DAYS`] + `days` days of look-ups.
pub fn generate(seed: u64, staff: usize, days: i64) -> Month {
    generate_with(seed, staff, HISTORY_DAYS, days)
}

/// Generates an agency of `staff` people, `hist` days of history and `days` evaluated days.
pub fn generate_with(seed: u64, staff: usize, hist: i64, days: i64) -> Month {
    let mut r = Rng::with_seed(seed);
    let units_n = (staff / 30).max(2);
    let mut units = Vec::new();
    let mut people: Vec<Person> = Vec::new();
    for u in 0..units_n {
        let police = u % 2 == 1;
        let code = format!("U{u:03}");
        let name = if police {
            format!("第{}分駐所", u / 2 + 1)
        } else {
            format!("稅務{}股", u / 2 + 1)
        };
        units.push((code.clone(), name));
        let size = staff / units_n + usize::from(u < staff % units_n);
        let boss = people.len();
        for k in 0..size {
            let n = people.len();
            people.push(Person {
                employee_no: format!("E{n:05}"),
                username: format!("u{n:05}"),
                name: values::name(&mut r),
                unit: code.clone(),
                title: match (police, k) {
                    (true, 0) => "所長".into(),
                    (false, 0) => "股長".into(),
                    (true, _) => "警員".into(),
                    (false, _) => "稅務員".into(),
                },
                supervisor: (k > 0).then_some(boss),
                police,
                rate: if k == 0 { 0.0 } else { 6.0 + r.f64() * 24.0 },
            });
        }
    }
    let total_days = hist + days;
    let mut cases: Vec<CaseDef> = Vec::new();
    let mut by_person: Vec<Vec<usize>> = vec![Vec::new(); people.len()];
    let mut seq = 0;
    for (p, person) in people.iter().enumerate() {
        if person.rate == 0.0 {
            continue;
        }
        for _ in 0..25 {
            seq += 1;
            let kind = if !person.police {
                CaseKind::Tax
            } else if r.bool() {
                CaseKind::Crime
            } else {
                CaseKind::Traffic
            };
            let no = match kind {
                CaseKind::Tax => format!("115欠{seq:06}"),
                CaseKind::Crime => format!("115刑{seq:06}"),
                CaseKind::Traffic => format!("115交{seq:06}"),
            };
            let subjects = (0..r.usize(1..=3))
                .map(|_| {
                    if kind == CaseKind::Traffic {
                        values::plate(&mut r)
                    } else {
                        values::national_id(&mut r, true)
                    }
                })
                .collect();
            let mut operators = vec![p];
            // A colleague in the unit sometimes shares the case.
            if r.usize(..5) == 0 {
                let mate = p + 1;
                if mate < people.len()
                    && people[mate].unit == person.unit
                    && people[mate].rate > 0.0
                {
                    operators.push(mate);
                }
            }
            let opened = local(r.i64(-200..total_days - 5), 9 * 60);
            let closed = (r.usize(..8) == 0).then(|| opened + r.i64(5..60) * 86_400);
            for &o in &operators {
                by_person[o].push(cases.len());
            }
            cases.push(CaseDef {
                no,
                subjects,
                operators,
                opened,
                closed,
                kind,
            });
        }
    }

    let mut lookups: Vec<(RawLookup, Truth)> = Vec::new();
    let mut duty = Vec::new();
    let mut ev = 0u64;
    let mut next_id = |r: &mut Rng| {
        ev += 1;
        format!("{}-{ev:09}", r.u32(1000..9999))
    };
    for day in 0..total_days {
        for (p, person) in people.iter().enumerate() {
            let Some((from, to)) = shifts(p, person, day) else {
                continue;
            };
            duty.push(DutyRow {
                operator: person.username.clone(),
                start: local(day, from),
                end: local(day, to),
            });
            if person.rate == 0.0 {
                continue;
            }
            let n = (person.rate * (0.6 + 0.8 * r.f64())).round() as usize;
            let open: Vec<usize> = by_person[p]
                .iter()
                .copied()
                .filter(|&c| {
                    let t = local(day, from);
                    cases[c].opened <= t && cases[c].closed.is_none_or(|e| t < e)
                })
                .collect();
            for _ in 0..n {
                let mut truth = Truth::Normal;
                let mut at = local(day, r.i64(from + 5..to - 5)) + r.i64(0..60);
                // One look-up in 500 an hour or so after the shift (overtime, unrecorded).
                if r.usize(..500) == 0 {
                    at = local(day, to + r.i64(40..90));
                    truth = Truth::Sloppy;
                }
                let mut l = if !open.is_empty() && r.usize(..10) < 7 {
                    let c = &cases[open[r.usize(..open.len())]];
                    let (system, reason) = match c.kind {
                        CaseKind::Tax => (
                            values::pick(&mut r, &["戶役政", "稅務", "地政"]),
                            values::pick(&mut r, &["欠稅清理", "稅務稽查"]),
                        ),
                        CaseKind::Crime => (
                            values::pick(&mut r, &["戶役政", "刑案資料", "通緝"]),
                            "刑案偵查",
                        ),
                        CaseKind::Traffic => ("車籍", "交通違規"),
                    };
                    let action = match r.usize(..100) {
                        0..4 => Action::Print,
                        4 => Action::Export,
                        _ => Action::Query,
                    };
                    RawLookup {
                        event_id: String::new(),
                        at,
                        system: system.into(),
                        operator: person.username.clone(),
                        subject_id: c.subjects[r.usize(..c.subjects.len())].clone(),
                        action,
                        reason_code: reason.into(),
                        reason_text: String::new(),
                        case_no: c.no.clone(),
                        terminal: format!("T{p:05}"),
                    }
                } else {
                    RawLookup {
                        event_id: String::new(),
                        at,
                        system: "戶役政".into(),
                        operator: person.username.clone(),
                        subject_id: values::national_id(&mut r, true),
                        action: Action::Query,
                        reason_code: "民眾臨櫃申辦".into(),
                        reason_text: "臨櫃申辦".into(),
                        case_no: String::new(),
                        terminal: format!("T{p:05}"),
                    }
                };
                // Slips: a mistyped case number, a reason left empty.
                if !l.case_no.is_empty() && r.usize(..400) == 0 {
                    l.case_no.push('0');
                    truth = Truth::Sloppy;
                }
                if r.usize(..1000) == 0 {
                    l.reason_code.clear();
                    truth = Truth::Sloppy;
                }
                l.event_id = next_id(&mut r);
                lookups.push((l, truth));
            }
        }
    }

    let mut month = Month {
        people,
        units,
        lookups,
        duty,
        cases: Vec::new(),
        protected: Vec::new(),
        evaluated_from: local(hist, 0),
    };
    plant(
        &mut month,
        &mut r,
        &cases,
        &by_person,
        hist,
        days,
        &mut next_id,
    );
    month.lookups.sort_by_key(|(l, _)| l.at);
    for c in &cases {
        for s in &c.subjects {
            for &o in &c.operators {
                month.cases.push(CaseRow {
                    case_no: c.no.clone(),
                    subject_id: s.clone(),
                    assigned_operator: month.people[o].username.clone(),
                    opened: c.opened,
                    closed: c.closed,
                });
            }
        }
    }
    month
}

/// Writes the month as the files an agency would hand in: `org.csv` (personnel format),
/// `lookups.csv`, `duty.csv`, `cases.csv`, `protected.csv`, and `truth.csv` (labels).
pub fn write_csv(m: &Month, dir: &std::path::Path) -> std::io::Result<()> {
    use std::fmt::Write as _;
    std::fs::create_dir_all(dir)?;
    let time = |t: i64| {
        let d = baomi_ledger::clock::day(t, TZ);
        let s = (t + TZ).rem_euclid(86_400);
        format!(
            "{} {:02}:{:02}:{:02}",
            baomi_ledger::clock::day_string(d),
            s / 3600,
            s % 3600 / 60,
            s % 60
        )
    };
    let q = |s: &str| {
        if s.contains([',', '"', '\n']) {
            format!("\"{}\"", s.replace('"', "\"\""))
        } else {
            s.to_string()
        }
    };
    let mut org = String::from(
        "employee_no,username,name,unit_code,unit_name,parent_unit_code,title,supervisor,roles,status\n",
    );
    let unit_names: HashMap<&str, &str> = m
        .units
        .iter()
        .map(|(c, n)| (c.as_str(), n.as_str()))
        .collect();
    for p in &m.people {
        let sup = p
            .supervisor
            .map_or("", |s| m.people[s].employee_no.as_str());
        let roles = if p.supervisor.is_none() {
            "supervisor"
        } else {
            ""
        };
        let _ = writeln!(
            org,
            "{},{},{},{},{},,{},{},{},active",
            p.employee_no,
            p.username,
            p.name,
            p.unit,
            unit_names[p.unit.as_str()],
            p.title,
            sup,
            roles
        );
    }
    std::fs::write(dir.join("org.csv"), org)?;
    let mut lk = String::from(
        "event_id,time,system,operator,subject_id,action,reason_code,reason_text,case_no,terminal\n",
    );
    let mut truth = String::from("event_id,truth\n");
    for (l, t) in &m.lookups {
        let _ = writeln!(
            lk,
            "{},{},{},{},{},{},{},{},{},{}",
            l.event_id,
            time(l.at),
            l.system,
            l.operator,
            l.subject_id,
            l.action.as_str(),
            l.reason_code,
            q(&l.reason_text),
            l.case_no,
            l.terminal
        );
        let t = match t {
            Truth::Normal => "normal",
            Truth::Sloppy => "sloppy",
            Truth::Planted(s) => s,
        };
        let _ = writeln!(truth, "{},{t}", l.event_id);
    }
    std::fs::write(dir.join("lookups.csv"), lk)?;
    std::fs::write(dir.join("truth.csv"), truth)?;
    let mut duty = String::from("operator,start,end\n");
    for d in &m.duty {
        let _ = writeln!(duty, "{},{},{}", d.operator, time(d.start), time(d.end));
    }
    std::fs::write(dir.join("duty.csv"), duty)?;
    let mut cases = String::from("case_no,subject_id,assigned_operator,opened,closed\n");
    for c in &m.cases {
        let _ = writeln!(
            cases,
            "{},{},{},{},{}",
            c.case_no,
            c.subject_id,
            c.assigned_operator,
            time(c.opened),
            c.closed.map(time).unwrap_or_default()
        );
    }
    std::fs::write(dir.join("cases.csv"), cases)?;
    let mut prot = String::from("subject_id,category\n");
    for (s, c) in &m.protected {
        let _ = writeln!(prot, "{s},{c}");
    }
    std::fs::write(dir.join("protected.csv"), prot)
}

//! The personnel office's file: decoding (UTF-8 or Big5), columns (English or Chinese names),
//! and every problem reported with its line. No database here.

use crate::accounts::Role;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Most rows an import accepts.
pub const MAX_ROWS: usize = 200_000;

/// One person as the file describes them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Person {
    /// File line (for messages).
    pub line: u64,
    /// Employee number (the key).
    pub employee_no: String,
    /// Sign-in name.
    pub username: String,
    /// Name.
    pub name: String,
    /// Unit code.
    pub unit_code: String,
    /// Title.
    pub title: String,
    /// Supervisor's employee number.
    pub supervisor: String,
    /// Roles personnel manages.
    pub roles: BTreeSet<Role>,
    /// Still working here.
    pub active: bool,
    /// A guest from outside the agency (another agency, a contractor): marked external
    /// wherever their name appears, kept out of agency-only conversations.
    pub external: bool,
}

/// A unit as the file describes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unit {
    /// Code (the key).
    pub code: String,
    /// Name.
    pub name: String,
    /// Parent unit code.
    pub parent: String,
}

/// A parsed file.
#[derive(Debug, Default)]
pub struct OrgFile {
    /// Units by code.
    pub units: BTreeMap<String, Unit>,
    /// People in file order.
    pub people: Vec<Person>,
}

/// A problem in the file, with its line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LineError {
    /// Line number (1 = header).
    pub line: u64,
    /// What is wrong.
    pub message: String,
}

const COLUMNS: &[(&str, &str)] = &[
    ("employee_no", "員工編號"),
    ("username", "帳號"),
    ("name", "姓名"),
    ("unit_code", "單位代碼"),
    ("unit_name", "單位名稱"),
    ("parent_unit_code", "上級單位代碼"),
    ("title", "職稱"),
    ("supervisor", "主管員工編號"),
    ("roles", "角色"),
    ("status", "狀態"),
    ("external", "外部人員"),
];

/// Decodes UTF-8 (with or without BOM) or Big5; anything else is refused, not guessed (the
/// same rule as every file the look-up ledger reads).
pub fn decode(bytes: &[u8]) -> std::result::Result<String, String> {
    baomi_ledger::csvfile::decode(bytes)
}

/// Parses the file; every problem is reported with its line, and any problem rejects the file.
pub fn parse(bytes: &[u8]) -> std::result::Result<OrgFile, Vec<LineError>> {
    let text = decode(bytes).map_err(|m| {
        vec![LineError {
            line: 0,
            message: m,
        }]
    })?;
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(false)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let err = |line: u64, message: String| LineError { line, message };
    let headers = rdr
        .headers()
        .map_err(|e| vec![err(1, format!("header: {e}"))])?
        .clone();
    let mut idx = HashMap::new();
    for (i, h) in headers.iter().enumerate() {
        let h = h.trim().to_lowercase();
        if let Some((en, _)) = COLUMNS.iter().find(|(en, zh)| *en == h || *zh == h) {
            idx.insert(*en, i);
        } else {
            return Err(vec![err(1, format!("unknown column {h:?}"))]);
        }
    }
    for req in ["employee_no", "username", "name", "unit_code"] {
        if !idx.contains_key(req) {
            return Err(vec![err(1, format!("missing column {req}"))]);
        }
    }
    let mut out = OrgFile::default();
    let mut errors = Vec::new();
    let mut seen_no = HashMap::new();
    let mut seen_user = HashMap::new();
    for (n, rec) in rdr.records().enumerate() {
        let line = n as u64 + 2;
        if n >= MAX_ROWS {
            errors.push(err(line, format!("more than {MAX_ROWS} rows")));
            break;
        }
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                errors.push(err(line, e.to_string()));
                continue;
            }
        };
        let get = |c: &str| {
            idx.get(c)
                .and_then(|&i| rec.get(i))
                .unwrap_or("")
                .trim()
                .to_string()
        };
        let (no, username, name, unit) = (
            get("employee_no"),
            get("username"),
            get("name"),
            get("unit_code"),
        );
        for (v, c) in [
            (&no, "employee_no"),
            (&username, "username"),
            (&name, "name"),
            (&unit, "unit_code"),
        ] {
            if v.is_empty() {
                errors.push(err(line, format!("{c} is empty")));
            }
        }
        if !username.is_empty()
            && !username
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
        {
            errors.push(err(
                line,
                format!("username {username:?}: letters, digits, . _ - only"),
            ));
        }
        if let Some(first) = seen_no.insert(no.clone(), line) {
            errors.push(err(line, format!("employee_no {no} also on line {first}")));
        }
        if let Some(first) = seen_user.insert(username.to_lowercase(), line) {
            errors.push(err(
                line,
                format!("username {username} also on line {first}"),
            ));
        }
        let mut roles = BTreeSet::from([Role::Staff]);
        for r in get("roles")
            .split([';', '|', '、'])
            .map(str::trim)
            .filter(|r| !r.is_empty())
        {
            match r {
                "supervisor" | "主管" => {
                    roles.insert(Role::Supervisor);
                }
                "integrity" | "政風" | "政風人員" => {
                    roles.insert(Role::Integrity);
                }
                "staff" | "一般" => {}
                other => errors.push(err(
                    line,
                    format!("unknown role {other:?} (admin and API roles are not imported)"),
                )),
            }
        }
        let active = match get("status").as_str() {
            "" | "active" | "在職" => true,
            "left" | "離職" => false,
            other => {
                errors.push(err(line, format!("unknown status {other:?}")));
                true
            }
        };
        let external = match get("external").to_lowercase().as_str() {
            "" | "no" | "否" | "0" | "false" => false,
            "yes" | "是" | "1" | "true" | "guest" | "外部" => true,
            other => {
                errors.push(err(line, format!("external {other:?}: yes/是 or no/否")));
                false
            }
        };
        if external && roles.len() > 1 {
            errors.push(err(
                line,
                "a guest (external) holds no supervisor or integrity role".into(),
            ));
        }
        if !unit.is_empty() {
            let u = Unit {
                code: unit.clone(),
                name: get("unit_name"),
                parent: get("parent_unit_code"),
            };
            match out.units.get(&unit) {
                Some(prev)
                    if (prev.name != u.name && !u.name.is_empty())
                        || (prev.parent != u.parent && !u.parent.is_empty()) =>
                {
                    errors.push(err(
                        line,
                        format!("unit {unit} is described differently on another line"),
                    ));
                }
                Some(_) => {}
                None => {
                    out.units.insert(unit.clone(), u);
                }
            }
        }
        out.people.push(Person {
            line,
            employee_no: no,
            username,
            name,
            unit_code: unit,
            title: get("title"),
            supervisor: get("supervisor"),
            roles,
            active,
            external,
        });
    }
    for u in out.units.values() {
        if u.name.is_empty() {
            errors.push(err(0, format!("unit {} has no name on any line", u.code)));
        }
        if !u.parent.is_empty() && !out.units.contains_key(&u.parent) {
            errors.push(err(
                0,
                format!("unit {}: parent {} is not in the file", u.code, u.parent),
            ));
        }
        // Parents must not loop.
        let mut cur = u.parent.clone();
        let mut steps = 0;
        while !cur.is_empty() && steps <= out.units.len() {
            if cur == u.code {
                errors.push(err(0, format!("unit {} is its own ancestor", u.code)));
                break;
            }
            cur = out
                .units
                .get(&cur)
                .map(|p| p.parent.clone())
                .unwrap_or_default();
            steps += 1;
        }
    }
    for p in &out.people {
        if !p.supervisor.is_empty() && !seen_no.contains_key(&p.supervisor) {
            errors.push(err(
                p.line,
                format!("supervisor {} is not in the file", p.supervisor),
            ));
        }
        if p.supervisor == p.employee_no {
            errors.push(err(
                p.line,
                "a person cannot be their own supervisor".into(),
            ));
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        errors.sort_by_key(|e| e.line);
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str =
        "員工編號,帳號,姓名,單位代碼,單位名稱,上級單位代碼,職稱,主管員工編號,角色,狀態
A001,chief,林局長,HQ,局本部,,局長,,主管,在職
A002,wang,王小明,INV,偵查隊,HQ,隊員,A003,,在職
A003,chen,陳隊長,INV,偵查隊,HQ,隊長,A001,主管,在職
A004,lee,李政風,ETH,政風室,HQ,政風員,A001,政風,在職
";

    #[test]
    fn parses_chinese_headers_and_big5() {
        let f = parse(GOOD.as_bytes()).unwrap();
        assert_eq!(f.units.len(), 3);
        assert_eq!(f.people.len(), 4);
        assert!(f.people[2].roles.contains(&Role::Supervisor));
        let (big5, _, _) = encoding_rs::BIG5.encode(GOOD);
        let f2 = parse(&big5).unwrap();
        assert_eq!(f2.people[1].name, "王小明");
    }

    #[test]
    fn every_problem_has_its_line() {
        let bad =
            "employee_no,username,name,unit_code,unit_name,parent_unit_code,roles,status,supervisor
A1,wang,王小明,U1,一科,,,在職,
A1,lin,林,U1,一科,,,在職,
A3,wang,陳,U2,二科,U9,admin,退休,A9
A4,bad name!,李,,,,,,
";
        let errs = parse(bad.as_bytes()).unwrap_err();
        let text: Vec<String> = errs
            .iter()
            .map(|e| format!("{}: {}", e.line, e.message))
            .collect();
        let joined = text.join("\n");
        for want in [
            "3: employee_no A1 also on line 2",
            "4: username wang also on line 2",
            "4: unknown role \"admin\"",
            "4: unknown status \"退休\"",
            "4: supervisor A9 is not in the file",
            "5: unit_code is empty",
            "5: username \"bad name!\"",
            "unit U2: parent U9 is not in the file",
        ] {
            assert!(joined.contains(want), "missing {want:?} in\n{joined}");
        }
        assert!(parse(b"\xff\xfe\x00bad").is_err());
        assert!(
            parse("who,what\n1,2\n".as_bytes()).unwrap_err()[0]
                .message
                .contains("unknown column")
        );
    }

    #[test]
    fn unit_cycles_are_refused() {
        let f = "employee_no,username,name,unit_code,unit_name,parent_unit_code
1,a,甲,U1,一,U2
2,b,乙,U2,二,U1
";
        let e = parse(f.as_bytes()).unwrap_err();
        assert!(e.iter().any(|e| e.message.contains("own ancestor")));
    }
}

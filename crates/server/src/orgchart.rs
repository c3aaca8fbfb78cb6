//! The org chart from the personnel office's CSV export: units (nested), people, titles,
//! supervisors and the roles personnel manages (staff, supervisor, integrity). A dry run shows
//! the changes; applying them is one transaction, audited. Leavers are disabled, never deleted,
//! and their sessions end at once. Administrator and API roles are never touched by an import.
//!
//! Columns (header row; English or Chinese names; UTF-8 or Big5):
//! `employee_no 員工編號, username 帳號, name 姓名, unit_code 單位代碼, unit_name 單位名稱,
//! parent_unit_code 上級單位代碼, title 職稱, supervisor 主管員工編號, roles 角色, status 狀態`.
//! `roles`: `supervisor`/`主管`, `integrity`/`政風` separated by `;` (staff is implied);
//! `status`: `active`/`在職` or `left`/`離職`.

use crate::accounts::Role;
use crate::audit::{Audit, Event, Outcome};
use crate::clock;
use crate::db::Db;
use crate::error::{Error, Result};
use serde::Serialize;
use sqlx::Row;
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
];

/// Decodes UTF-8 (with or without BOM) or Big5; anything else is refused, not guessed.
pub fn decode(bytes: &[u8]) -> std::result::Result<String, String> {
    let b = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if let Ok(s) = std::str::from_utf8(b) {
        return Ok(s.to_string());
    }
    let (text, had_errors) = encoding_rs::BIG5.decode_without_bom_handling(b);
    if had_errors {
        return Err("the file is neither UTF-8 nor Big5 (請存成 UTF-8 或 Big5)".into());
    }
    Ok(text.into_owned())
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

/// One change an import makes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum Change {
    /// New unit.
    UnitCreate {
        /// Code.
        code: String,
        /// Name.
        name: String,
    },
    /// Unit renamed or moved.
    UnitUpdate {
        /// Code.
        code: String,
        /// What changed.
        fields: Vec<String>,
    },
    /// New person (no password yet: an administrator issues a one-time password).
    PersonCreate {
        /// Employee number.
        employee_no: String,
        /// Sign-in name.
        username: String,
    },
    /// Person's details changed.
    PersonUpdate {
        /// Employee number.
        employee_no: String,
        /// What changed.
        fields: Vec<String>,
    },
    /// Person left: disabled, sessions ended.
    PersonDisable {
        /// Employee number.
        employee_no: String,
    },
    /// Person came back.
    PersonEnable {
        /// Employee number.
        employee_no: String,
    },
}

/// What an import would do / did.
#[derive(Debug, Default, Serialize)]
pub struct Plan {
    /// Changes, units first.
    pub changes: Vec<Change>,
    /// People in the database who are not in the file (left untouched; listed for review).
    pub not_in_file: Vec<String>,
}

struct DbPerson {
    username: String,
    name: String,
    unit: Option<String>,
    title: String,
    supervisor: Option<String>,
    roles: BTreeSet<Role>,
    disabled: bool,
}

async fn load_people(db: &Db) -> Result<HashMap<String, DbPerson>> {
    let rows = sqlx::query(
        "SELECT u.id, u.employee_no, u.username, u.display_name, n.code, u.title, s.employee_no,
                u.disabled_at
         FROM users u LEFT JOIN units n ON n.id = u.unit_id LEFT JOIN users s ON s.id = u.supervisor_id
         WHERE u.employee_no IS NOT NULL",
    )
    .fetch_all(db)
    .await?;
    let roles = sqlx::query("SELECT user_id, role FROM user_roles")
        .fetch_all(db)
        .await?;
    let mut by_id: HashMap<i64, BTreeSet<Role>> = HashMap::new();
    for r in roles {
        if let Some(role) = Role::parse(r.get::<&str, _>(1)) {
            by_id.entry(r.get(0)).or_default().insert(role);
        }
    }
    Ok(rows
        .into_iter()
        .map(|r| {
            let id: i64 = r.get(0);
            (
                r.get::<String, _>(1),
                DbPerson {
                    username: r.get(2),
                    name: r.get(3),
                    unit: r.get(4),
                    title: r.get(5),
                    supervisor: r.get(6),
                    roles: by_id.remove(&id).unwrap_or_default(),
                    disabled: r.get::<Option<i64>, _>(7).is_some(),
                },
            )
        })
        .collect())
}

const MANAGED: [Role; 3] = [Role::Staff, Role::Supervisor, Role::Integrity];

/// Computes the changes without writing anything.
pub async fn plan(db: &Db, file: &OrgFile) -> Result<Plan> {
    let mut plan = Plan::default();
    let units: HashMap<String, (String, Option<String>)> = sqlx::query(
        "SELECT u.code, u.name, p.code FROM units u LEFT JOIN units p ON p.id = u.parent_id",
    )
    .fetch_all(db)
    .await?
    .into_iter()
    .map(|r| (r.get(0), (r.get(1), r.get(2))))
    .collect();
    for u in file.units.values() {
        match units.get(&u.code) {
            None => plan.changes.push(Change::UnitCreate {
                code: u.code.clone(),
                name: u.name.clone(),
            }),
            Some((name, parent)) => {
                let mut fields = Vec::new();
                if *name != u.name {
                    fields.push(format!("name: {name} -> {}", u.name));
                }
                if parent.as_deref().unwrap_or("") != u.parent {
                    fields.push(format!(
                        "parent: {} -> {}",
                        parent.as_deref().unwrap_or("-"),
                        u.parent
                    ));
                }
                if !fields.is_empty() {
                    plan.changes.push(Change::UnitUpdate {
                        code: u.code.clone(),
                        fields,
                    });
                }
            }
        }
    }
    let people = load_people(db).await?;
    let usernames: HashMap<String, Option<String>> =
        sqlx::query("SELECT LOWER(username), employee_no FROM users")
            .fetch_all(db)
            .await?
            .into_iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect();
    for p in &file.people {
        match people.get(&p.employee_no) {
            None => {
                if let Some(owner) = usernames.get(&p.username.to_lowercase())
                    && owner.as_deref() != Some(&p.employee_no)
                {
                    return Err(Error::Conflict(format!(
                        "line {}: username {} belongs to another account",
                        p.line, p.username
                    )));
                }
                plan.changes.push(Change::PersonCreate {
                    employee_no: p.employee_no.clone(),
                    username: p.username.clone(),
                });
                if !p.active {
                    plan.changes.push(Change::PersonDisable {
                        employee_no: p.employee_no.clone(),
                    });
                }
            }
            Some(d) => {
                let mut fields = Vec::new();
                if d.username != p.username {
                    fields.push(format!("username: {} -> {}", d.username, p.username));
                }
                if d.name != p.name {
                    fields.push(format!("name: {} -> {}", d.name, p.name));
                }
                if d.unit.as_deref() != Some(p.unit_code.as_str()) {
                    fields.push(format!(
                        "unit: {} -> {}",
                        d.unit.as_deref().unwrap_or("-"),
                        p.unit_code
                    ));
                }
                if d.title != p.title {
                    fields.push(format!("title: {} -> {}", d.title, p.title));
                }
                if d.supervisor.as_deref().unwrap_or("") != p.supervisor {
                    fields.push(format!(
                        "supervisor: {} -> {}",
                        d.supervisor.as_deref().unwrap_or("-"),
                        if p.supervisor.is_empty() {
                            "-"
                        } else {
                            &p.supervisor
                        }
                    ));
                }
                let have: BTreeSet<Role> = d
                    .roles
                    .iter()
                    .copied()
                    .filter(|r| MANAGED.contains(r))
                    .collect();
                if have != p.roles {
                    let names = |s: &BTreeSet<Role>| {
                        s.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(";")
                    };
                    fields.push(format!("roles: {} -> {}", names(&have), names(&p.roles)));
                }
                if !fields.is_empty() {
                    plan.changes.push(Change::PersonUpdate {
                        employee_no: p.employee_no.clone(),
                        fields,
                    });
                }
                if d.disabled && p.active {
                    plan.changes.push(Change::PersonEnable {
                        employee_no: p.employee_no.clone(),
                    });
                }
                if !d.disabled && !p.active {
                    plan.changes.push(Change::PersonDisable {
                        employee_no: p.employee_no.clone(),
                    });
                }
            }
        }
    }
    let in_file: BTreeSet<&str> = file.people.iter().map(|p| p.employee_no.as_str()).collect();
    plan.not_in_file = people
        .iter()
        .filter(|(no, d)| !d.disabled && !in_file.contains(no.as_str()))
        .map(|(no, _)| no.clone())
        .collect();
    plan.not_in_file.sort();
    Ok(plan)
}

/// Applies the file: the plan's changes in one transaction, each audited; returns the plan.
pub async fn apply(
    db: &Db,
    audit: &Audit,
    actor: Option<i64>,
    ip: &str,
    file: &OrgFile,
) -> Result<Plan> {
    let plan = plan(db, file).await?;
    let now = clock::now();
    let mut tx = db.begin().await?;
    // Units: create or update, then link parents.
    for u in file.units.values() {
        sqlx::query(
            "INSERT INTO units (code, name, created_at, updated_at) VALUES (?, ?, ?, ?)
             ON CONFLICT (code) DO UPDATE SET name = excluded.name, updated_at = excluded.updated_at",
        )
        .bind(&u.code)
        .bind(&u.name)
        .bind(now)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    }
    for u in file.units.values() {
        sqlx::query(
            "UPDATE units SET parent_id = (SELECT id FROM units WHERE code = ?) WHERE code = ?",
        )
        .bind(&u.parent)
        .bind(&u.code)
        .execute(&mut *tx)
        .await?;
    }
    for p in &file.people {
        sqlx::query(
            "INSERT INTO users (username, display_name, employee_no, unit_id, title, created_at, updated_at)
             VALUES (?, ?, ?, (SELECT id FROM units WHERE code = ?), ?, ?, ?)
             ON CONFLICT (employee_no) DO UPDATE SET username = excluded.username,
               display_name = excluded.display_name, unit_id = excluded.unit_id,
               title = excluded.title, updated_at = excluded.updated_at",
        )
        .bind(&p.username)
        .bind(&p.name)
        .bind(&p.employee_no)
        .bind(&p.unit_code)
        .bind(&p.title)
        .bind(now)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    }
    for p in &file.people {
        sqlx::query(
            "UPDATE users SET supervisor_id = (SELECT id FROM users WHERE employee_no = ?)
             WHERE employee_no = ?",
        )
        .bind(&p.supervisor)
        .bind(&p.employee_no)
        .execute(&mut *tx)
        .await?;
        let id: i64 = sqlx::query_scalar("SELECT id FROM users WHERE employee_no = ?")
            .bind(&p.employee_no)
            .fetch_one(&mut *tx)
            .await?;
        for r in MANAGED {
            if p.roles.contains(&r) {
                sqlx::query(
                    "INSERT INTO user_roles (user_id, role) VALUES (?, ?) ON CONFLICT DO NOTHING",
                )
                .bind(id)
                .bind(r.as_str())
                .execute(&mut *tx)
                .await?;
            } else {
                sqlx::query("DELETE FROM user_roles WHERE user_id = ? AND role = ?")
                    .bind(id)
                    .bind(r.as_str())
                    .execute(&mut *tx)
                    .await?;
            }
        }
    }
    for c in &plan.changes {
        let (action, no) = match c {
            Change::PersonDisable { employee_no } => ("account.disable", employee_no),
            Change::PersonEnable { employee_no } => ("account.enable", employee_no),
            Change::PersonCreate { employee_no, .. } => ("account.create", employee_no),
            Change::PersonUpdate { employee_no, .. } => ("account.update", employee_no),
            _ => continue,
        };
        let id: i64 = sqlx::query_scalar("SELECT id FROM users WHERE employee_no = ?")
            .bind(no)
            .fetch_one(&mut *tx)
            .await?;
        match c {
            Change::PersonDisable { .. } => {
                crate::accounts::set_disabled_in(&mut tx, id, true).await?;
            }
            Change::PersonEnable { .. } => {
                crate::accounts::set_disabled_in(&mut tx, id, false).await?;
            }
            _ => {}
        }
        let detail = match c {
            Change::PersonUpdate { fields, .. } => {
                serde_json::json!({ "fields": fields, "source": "org_import" })
            }
            _ => serde_json::json!({ "source": "org_import" }),
        };
        Audit::record_in(
            &mut tx,
            &Event::new(actor, action, Outcome::Ok)
                .target(format!("user:{id}"))
                .ip(ip)
                .detail(detail),
        )
        .await?;
    }
    Audit::record_in(
        &mut tx,
        &Event::new(actor, "org.import", Outcome::Ok)
            .ip(ip)
            .detail(serde_json::json!({
                "units": file.units.len(),
                "people": file.people.len(),
                "changes": plan.changes.len(),
            })),
    )
    .await?;
    tx.commit().await?;
    audit.ship().await?;
    Ok(plan)
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

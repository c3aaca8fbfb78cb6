//! The org chart from the personnel office's CSV export: units (nested), people, titles,
//! supervisors and the roles personnel manages (staff, supervisor, integrity). A dry run shows
//! the changes; applying them is one transaction, audited. Leavers are disabled, never deleted,
//! and their sessions end at once. Administrator and API roles are never touched by an import.
//!
//! Columns (header row; English or Chinese names; UTF-8 or Big5):
//! `employee_no 員工編號, username 帳號, name 姓名, unit_code 單位代碼, unit_name 單位名稱,
//! parent_unit_code 上級單位代碼, title 職稱, supervisor 主管員工編號, roles 角色, status 狀態`.
//! `roles`: `supervisor`/`主管`, `integrity`/`政風` separated by `;` (staff is implied);
//! `status`: `active`/`在職` or `left`/`離職`; optional `external 外部人員`: `yes`/`是` for guests
//! from outside the agency (contractors, other agencies), shown as external in the messenger.
//!
//! [`file`] parses and checks the CSV; this module computes the changes against the database
//! ([`plan`]) and applies them ([`apply`]).

pub mod file;

pub use file::{LineError, MAX_ROWS, OrgFile, Person, Unit, decode, parse};

use crate::accounts::Role;
use crate::audit::{Audit, Event, Outcome};
use crate::clock;
use crate::db::Db;
use crate::error::{Error, Result};
use serde::Serialize;
use sqlx::Row;
use std::collections::{BTreeSet, HashMap};

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
    external: bool,
}

async fn load_people(db: &Db) -> Result<HashMap<String, DbPerson>> {
    let rows = sqlx::query(
        "SELECT u.id, u.employee_no, u.username, u.display_name, n.code, u.title, s.employee_no,
                u.disabled_at, u.external
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
                    external: r.get::<i64, _>(8) != 0,
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
                if d.external != p.external {
                    fields.push(format!("external: {} -> {}", d.external, p.external));
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
            "INSERT INTO users (username, display_name, employee_no, unit_id, title, external, created_at, updated_at)
             VALUES (?, ?, ?, (SELECT id FROM units WHERE code = ?), ?, ?, ?, ?)
             ON CONFLICT (employee_no) DO UPDATE SET username = excluded.username,
               display_name = excluded.display_name, unit_id = excluded.unit_id,
               title = excluded.title, external = excluded.external, updated_at = excluded.updated_at",
        )
        .bind(&p.username)
        .bind(&p.name)
        .bind(&p.employee_no)
        .bind(&p.unit_code)
        .bind(&p.title)
        .bind(p.external)
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

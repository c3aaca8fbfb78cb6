//! Reference data the rules check against: the duty roster, the case registry (subjects kept
//! only as keyed hashes) and the protected-person list (off until an agency imports one, with
//! its legal basis recorded in the audit trail). Staff come from the org chart.
//!
//! Imports are whole files, all or nothing: a roster replaces the shifts in the period it
//! covers, a registry file replaces the cases it names, a protected list replaces the list.

use super::Ledger;
use crate::audit::{Audit, Event, Outcome};
use crate::clock;
use crate::error::Result;
use baomi_ledger::Reference;
use baomi_ledger::csvfile::{self, LineError};
use baomi_ledger::reference::Staff;
use serde::Serialize;
use sqlx::Row;
use std::collections::{BTreeSet, HashMap};

/// Which reference file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Duty roster: `operator, start, end`.
    Duty,
    /// Case registry: `case_no, subject_id, assigned_operator, opened, closed`.
    Cases,
    /// Protected persons: `subject_id, category`.
    Protected,
}

impl Kind {
    /// Parses a name (`duty`, `cases`, `protected`).
    pub fn parse(s: &str) -> Option<Kind> {
        match s {
            "duty" => Some(Kind::Duty),
            "cases" => Some(Kind::Cases),
            "protected" => Some(Kind::Protected),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Kind::Duty => "duty",
            Kind::Cases => "cases",
            Kind::Protected => "protected",
        }
    }
}

/// What an import did.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct Imported {
    /// Rows stored.
    pub rows: usize,
    /// Rows replaced.
    pub replaced: u64,
}

/// The protected-person list's scope, shown to integrity officers.
#[derive(Debug, Serialize)]
pub struct ProtectedScope {
    /// Persons by category.
    pub categories: Vec<(String, i64)>,
}

/// Rows per multi-row statement (5 parameters each at most).
const ROWS_PER_STATEMENT: usize = 500;

impl Ledger {
    /// Imports a reference file (all or nothing).
    pub async fn import_reference(
        &self,
        kind: Kind,
        bytes: &[u8],
        actor: Option<i64>,
        ip: &str,
    ) -> Result<std::result::Result<Imported, Vec<LineError>>> {
        let off = self.cfg.offset();
        let mut tx = self.db.begin().await?;
        let (rows, replaced) = match kind {
            Kind::Duty => {
                let rows = match csvfile::duty(bytes, off) {
                    Ok(r) => r,
                    Err(e) => return Ok(Err(e)),
                };
                let (lo, hi) = (
                    rows.iter().map(|r| r.start).min().unwrap_or(0),
                    rows.iter().map(|r| r.end).max().unwrap_or(0),
                );
                let replaced =
                    sqlx::query("DELETE FROM lookup_duty WHERE start_at >= ? AND start_at < ?")
                        .bind(lo)
                        .bind(hi)
                        .execute(&mut *tx)
                        .await?
                        .rows_affected();
                // Multi-row statements: a national roster or registry has millions of rows.
                for chunk in rows.chunks(ROWS_PER_STATEMENT) {
                    let mut q = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
                        "INSERT INTO lookup_duty (operator, start_at, end_at) ",
                    );
                    q.push_values(chunk, |mut b, r| {
                        b.push_bind(&r.operator).push_bind(r.start).push_bind(r.end);
                    });
                    q.build().execute(&mut *tx).await?;
                }
                self.mark_dirty(&mut tx, lo, hi).await?;
                (rows.len(), replaced)
            }
            Kind::Cases => {
                let rows = match csvfile::cases(bytes, off) {
                    Ok(r) => r,
                    Err(e) => return Ok(Err(e)),
                };
                let nos: BTreeSet<String> = rows
                    .iter()
                    .map(|r| baomi_ledger::lookup::normalise_case(&r.case_no))
                    .collect();
                let mut replaced = 0;
                let nos: Vec<String> = nos.into_iter().collect();
                for chunk in nos.chunks(ROWS_PER_STATEMENT) {
                    let mut q = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
                        "DELETE FROM lookup_cases WHERE case_no IN (",
                    );
                    let mut list = q.separated(", ");
                    for no in chunk {
                        list.push_bind(no);
                    }
                    q.push(")");
                    replaced += q.build().execute(&mut *tx).await?.rows_affected();
                }
                for chunk in rows.chunks(ROWS_PER_STATEMENT) {
                    let mut q = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
                        "INSERT INTO lookup_cases (case_no, subject_key, operator, opened, closed) ",
                    );
                    q.push_values(chunk, |mut b, r| {
                        let key = (!r.subject_id.trim().is_empty())
                            .then(|| self.keyer.key(&r.subject_id).to_vec());
                        b.push_bind(baomi_ledger::lookup::normalise_case(&r.case_no))
                            .push_bind(key)
                            .push_bind(r.assigned_operator.trim().to_string())
                            .push_bind(r.opened)
                            .push_bind(r.closed);
                    });
                    q.build().execute(&mut *tx).await?;
                }
                // Recent days are judged again against the new registry (older verdicts stand).
                let from = rows.iter().map(|r| r.opened).min().unwrap_or(0);
                let recent = (clock::now() - 35 * 86_400).max(from);
                self.mark_dirty(&mut tx, recent, i64::MAX / 4).await?;
                (rows.len(), replaced)
            }
            Kind::Protected => {
                let rows = match csvfile::protected(bytes) {
                    Ok(r) => r,
                    Err(e) => return Ok(Err(e)),
                };
                let replaced = sqlx::query("DELETE FROM lookup_protected")
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                let now = clock::now();
                for (s, c) in &rows {
                    sqlx::query(
                        "INSERT INTO lookup_protected (subject_key, category, added_at) VALUES (?, ?, ?)
                         ON CONFLICT (subject_key) DO UPDATE SET category = excluded.category",
                    )
                    .bind(&self.keyer.key(s)[..])
                    .bind(c)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                }
                self.mark_dirty(&mut tx, clock::now() - 35 * 86_400, i64::MAX / 4)
                    .await?;
                (rows.len(), replaced)
            }
        };
        Audit::record_in(
            &mut tx,
            &Event::new(actor, "lookups.reference", Outcome::Ok)
                .target(format!("reference:{}", kind.name()))
                .ip(ip)
                .detail(serde_json::json!({ "rows": rows, "replaced": replaced })),
        )
        .await?;
        tx.commit().await?;
        self.audit.ship().await?;
        Ok(Ok(Imported { rows, replaced }))
    }

    async fn mark_dirty(
        &self,
        tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
        from: i64,
        to: i64,
    ) -> Result<()> {
        sqlx::query("UPDATE lookup_days SET dirty = 1 WHERE day >= ? AND day <= ?")
            .bind(self.day_of(from) - 1)
            .bind(self.day_of(to) + 1)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    /// The protected list's categories and counts (empty: the feature is off).
    pub async fn protected_scope(&self) -> Result<ProtectedScope> {
        let rows = sqlx::query(
            "SELECT category, COUNT(*) FROM lookup_protected GROUP BY category ORDER BY category",
        )
        .fetch_all(&self.db)
        .await?;
        Ok(ProtectedScope {
            categories: rows.iter().map(|r| (r.get(0), r.get(1))).collect(),
        })
    }

    /// The reference data for judging `day`: staff, shifts around it, the cases its look-ups
    /// name (`case_nos`, normalised), the protected list.
    pub(crate) async fn reference_for(
        &self,
        day: i64,
        case_nos: &BTreeSet<&str>,
    ) -> Result<Reference> {
        let mut r = Reference::default();
        let staff = sqlx::query(
            "SELECT u.id, u.username, u.employee_no, COALESCE(n.code, ''), u.title FROM users u
             LEFT JOIN units n ON n.id = u.unit_id",
        )
        .fetch_all(&self.db)
        .await?;
        let roles = sqlx::query("SELECT user_id, role FROM user_roles")
            .fetch_all(&self.db)
            .await?;
        let mut by_user: HashMap<i64, Vec<String>> = HashMap::new();
        for row in roles {
            by_user.entry(row.get(0)).or_default().push(row.get(1));
        }
        for row in staff {
            let s = Staff {
                unit: row.get(3),
                title: row.get(4),
                roles: by_user.remove(&row.get::<i64, _>(0)).unwrap_or_default(),
            };
            if let Some(no) = row.get::<Option<String>, _>(2) {
                r.staff.insert(no, s.clone());
            }
            r.staff.insert(row.get(1), s);
        }
        let off = self.cfg.offset();
        let (lo, hi) = (day * 86_400 - off - 86_400, (day + 2) * 86_400 - off);
        for row in sqlx::query(
            "SELECT operator, start_at, end_at FROM lookup_duty WHERE start_at < ? AND end_at > ?",
        )
        .bind(hi)
        .bind(lo)
        .fetch_all(&self.db)
        .await?
        {
            r.add_shift(row.get::<&str, _>(0), row.get(1), row.get(2));
        }
        // By the numbers already in memory: the day's look-ups are not read a second time.
        let nos: Vec<String> = case_nos
            .iter()
            .filter(|n| !n.is_empty())
            .map(|n| n.to_string())
            .collect();
        for (no, key, op, opened, closed) in super::bulk::cases(&self.db, nos).await? {
            r.add_case_row(&no, key, &op, opened, closed);
        }
        r.case_registry = sqlx::query("SELECT 1 FROM lookup_cases LIMIT 1")
            .fetch_optional(&self.db)
            .await?
            .is_some();
        let protected = sqlx::query("SELECT subject_key, category FROM lookup_protected")
            .fetch_all(&self.db)
            .await?;
        if !protected.is_empty() {
            r.protected = Some(
                protected
                    .iter()
                    .filter_map(|row| {
                        let k: Vec<u8> = row.get(0);
                        Some((<[u8; 16]>::try_from(k.as_slice()).ok()?, row.get(1)))
                    })
                    .collect(),
            );
        }
        Ok(r)
    }
}

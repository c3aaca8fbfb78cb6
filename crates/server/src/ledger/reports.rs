//! Reports for the integrity office: counts per unit and operator over a period (by system,
//! action and reason; flags; review completion; time to sign-off), and the monthly spot-check
//! sample (the agencies' 1% rule) drawn from a seed that is logged, so anyone can draw it again.

use super::review::Entry;
use super::{Ledger, hex};
use crate::accounts::{Role, User};
use crate::audit::{Event, Outcome};
use crate::error::{Error, Result};
use serde::Serialize;
use sqlx::Row;

/// One row of a period report (per operator).
#[derive(Debug, Clone, Serialize)]
pub struct ReportRow {
    /// Unit name.
    pub unit: String,
    /// Operator.
    pub operator: String,
    /// Operator's name.
    pub name: String,
    /// Look-ups.
    pub lookups: i64,
    /// Prints and exports.
    pub prints: i64,
    /// Flagged.
    pub flagged: i64,
    /// Signed or closed.
    pub reviewed: i64,
    /// Median hours from the look-up to its sign-off (reviewed ones).
    pub median_hours_to_sign: Option<f64>,
}

/// One row of a period's breakdown: look-ups of a unit by system, action and reason.
#[derive(Debug, Clone, Serialize)]
pub struct BreakdownRow {
    /// Unit name (empty: operator not in the org chart).
    pub unit: String,
    /// System looked up in.
    pub system: String,
    /// `query`, `print` or `export`.
    pub action: String,
    /// Reason code (empty: none given).
    pub reason: String,
    /// Look-ups.
    pub lookups: i64,
    /// Flagged.
    pub flagged: i64,
}

/// A drawn sample.
#[derive(Debug, Serialize)]
pub struct Sample {
    /// The seed (logged).
    pub seed: String,
    /// Look-ups in the period.
    pub population: usize,
    /// The sampled look-ups.
    pub entries: Vec<Entry>,
}

impl Ledger {
    /// Per-operator counts for the days `from..=to`; integrity officers only.
    pub async fn report(&self, officer: &User, from: i64, to: i64) -> Result<Vec<ReportRow>> {
        if !officer.has(Role::Integrity) {
            return Err(Error::Forbidden);
        }
        let rows = sqlx::query(
            "SELECT COALESCE(n.name, ''), l.operator, COALESCE(MAX(u.display_name), ''), COUNT(*),
                    SUM(l.action <> 'query'), COUNT(f.lookup_id), SUM(l.review_state IN ('signed', 'closed'))
             FROM lookups l LEFT JOIN users u ON u.id = l.operator_id
             LEFT JOIN units n ON n.id = u.unit_id LEFT JOIN lookup_flags f ON f.lookup_id = l.id
             WHERE l.day >= ? AND l.day <= ? GROUP BY n.name, l.operator ORDER BY n.name, l.operator",
        )
        .bind(from)
        .bind(to)
        .fetch_all(&self.db)
        .await?;
        let delays = sqlx::query(
            "SELECT l.operator, (MIN(r.at) - l.at) FROM lookups l JOIN lookup_reviews r ON r.lookup_id = l.id
             WHERE l.day >= ? AND l.day <= ? AND r.step IN ('sign', 'close') GROUP BY l.id",
        )
        .bind(from)
        .bind(to)
        .fetch_all(&self.db)
        .await?;
        let mut by_op: std::collections::HashMap<String, Vec<u32>> = Default::default();
        for d in delays {
            by_op
                .entry(d.get(0))
                .or_default()
                .push((d.get::<i64, _>(1).max(0) / 60) as u32);
        }
        Ok(rows
            .iter()
            .map(|r| {
                let op: String = r.get(1);
                ReportRow {
                    unit: r.get(0),
                    name: r.get(2),
                    lookups: r.get(3),
                    prints: r.get(4),
                    flagged: r.get(5),
                    reviewed: r.get(6),
                    median_hours_to_sign: by_op
                        .get(&op)
                        .and_then(|v| baomi_ledger::history::median(v))
                        .map(|m| (m / 60.0 * 10.0).round() / 10.0),
                    operator: op,
                }
            })
            .collect())
    }

    /// Counts of the days `from..=to` by unit, system, action and reason; integrity officers
    /// only.
    pub async fn breakdown(&self, officer: &User, from: i64, to: i64) -> Result<Vec<BreakdownRow>> {
        if !officer.has(Role::Integrity) {
            return Err(Error::Forbidden);
        }
        let rows = sqlx::query(
            "SELECT COALESCE(n.name, ''), l.system, l.action, l.reason_code, COUNT(*), COUNT(f.lookup_id)
             FROM lookups l LEFT JOIN units n ON n.id = l.unit_id
             LEFT JOIN lookup_flags f ON f.lookup_id = l.id
             WHERE l.day >= ? AND l.day <= ?
             GROUP BY n.name, l.system, l.action, l.reason_code
             ORDER BY n.name, l.system, COUNT(*) DESC",
        )
        .bind(from)
        .bind(to)
        .fetch_all(&self.db)
        .await?;
        Ok(rows
            .iter()
            .map(|r| BreakdownRow {
                unit: r.get(0),
                system: r.get(1),
                action: r.get(2),
                reason: r.get(3),
                lookups: r.get(4),
                flagged: r.get(5),
            })
            .collect())
    }

    /// Draws the spot-check sample of the days `from..=to` (`percent` of the look-ups, at least
    /// one) from `seed` (random when empty); the seed and the drawn ids go into the log.
    pub async fn sample(
        &self,
        officer: Option<&User>,
        from: i64,
        to: i64,
        percent: f64,
        seed: &str,
        ip: &str,
    ) -> Result<Sample> {
        if officer.is_some_and(|o| !o.has(Role::Integrity)) {
            return Err(Error::Forbidden);
        }
        if !(0.0..=100.0).contains(&percent) || percent == 0.0 {
            return Err(Error::BadRequest(
                "percent must be above 0 and at most 100".into(),
            ));
        }
        let seed = if seed.trim().is_empty() {
            let mut b = [0u8; 16];
            getrandom::fill(&mut b).map_err(|e| Error::Internal(format!("randomness: {e}")))?;
            hex(&b)
        } else {
            seed.trim().to_string()
        };
        let pop = sqlx::query(
            "SELECT id, system || ':' || event_id FROM lookups WHERE day >= ? AND day <= ?",
        )
        .bind(from)
        .bind(to)
        .fetch_all(&self.db)
        .await?;
        let keys: Vec<String> = pop.iter().map(|r| r.get(1)).collect();
        let picked = baomi_ledger::sample::draw(&keys, &seed, percent);
        let ids: Vec<i64> = picked.iter().map(|&i| pop[i].get(0)).collect();
        let mut entries = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(500) {
            let marks = vec!["?"; chunk.len()].join(",");
            let mut q = sqlx::query(sqlx::AssertSqlSafe(format!(
                "{} WHERE l.id IN ({marks})",
                super::review::ENTRY_SELECT
            )));
            for id in chunk {
                q = q.bind(id);
            }
            entries.extend(
                q.fetch_all(&self.db)
                    .await?
                    .iter()
                    .map(super::review::entry),
            );
        }
        entries.sort_by_key(|e| ids.iter().position(|i| *i == e.id));
        use sha2::Digest;
        let mut h = sha2::Sha256::new();
        for id in &ids {
            h.update(id.to_be_bytes());
        }
        self.audit
            .record(
                Event::new(officer.map(|o| o.id), "lookups.sample", Outcome::Ok)
                    .target(format!(
                        "days:{}..{}",
                        baomi_ledger::clock::day_string(from),
                        baomi_ledger::clock::day_string(to)
                    ))
                    .ip(ip)
                    .detail(serde_json::json!({
                        "seed": seed,
                        "percent": percent,
                        "population": keys.len(),
                        "drawn": ids.len(),
                        "ids_sha256": hex(&h.finalize()),
                    })),
            )
            .await?;
        Ok(Sample {
            seed,
            population: keys.len(),
            entries,
        })
    }
}

//! Rules over an operator's look-ups together: the same subject again and again, many subjects
//! within minutes, and a day's volume far above the operator's own and their peers'.
//!
//! Each runs once over the operator's look-ups sorted by time (two pointers, hash maps keyed by
//! the 16-byte subject key): a national agency's day of 1.5 million look-ups is evaluated in
//! seconds.

use super::{Hits, covered};
use crate::clock;
use crate::config::LedgerConfig;
use crate::history::{History, median};
use crate::lookup::{Lookup, SubjectKey};
use crate::reference::Reference;
use std::collections::HashMap;

/// `repeat_subject`: a subject looked up `repeat_subject_count` times or more within
/// `repeat_subject_days` by the same operator, none of it covered by a case of theirs.
pub fn repeats(
    lookups: &[Lookup],
    by_op: &HashMap<&str, Vec<usize>>,
    r: &Reference,
    h: &History,
    cfg: &LedgerConfig,
    hits: &mut Hits,
) {
    let rule = cfg.rules.repeat_subject;
    if !rule.enabled {
        return;
    }
    let need = cfg.rules.repeat_subject_count as usize;
    let window = cfg.rules.repeat_subject_days as i64 * 86_400;
    for (op, idx) in by_op {
        let mut per_subject: HashMap<SubjectKey, Vec<usize>> = HashMap::new();
        for &i in idx {
            if !covered(&lookups[i], r) {
                per_subject.entry(lookups[i].subject).or_default().push(i);
            }
        }
        for (subject, v) in per_subject {
            let before = h.uncovered.get(&(op.to_string(), subject));
            if v.len() + before.map_or(0, Vec::len) < need {
                continue;
            }
            for (k, &i) in v.iter().enumerate() {
                let at = lookups[i].at;
                let here = v[..=k]
                    .iter()
                    .filter(|&&j| at - lookups[j].at < window)
                    .count();
                let earlier = before.map_or(0, |b| {
                    b.iter().filter(|&&t| t < at && at - t < window).count()
                });
                let n = here + earlier;
                if n >= need {
                    hits.add(
                        i,
                        "repeat_subject",
                        rule.score,
                        format!(
                            "{} 天內第 {} 次查詢同一對象，且無本人承辦案件涵蓋",
                            cfg.rules.repeat_subject_days, n
                        ),
                    );
                }
            }
        }
    }
}

/// `enumeration`: `enumeration_distinct` different subjects or more within
/// `enumeration_minutes`; every look-up in such a window is flagged.
pub fn enumeration(
    lookups: &[Lookup],
    by_op: &HashMap<&str, Vec<usize>>,
    cfg: &LedgerConfig,
    hits: &mut Hits,
) {
    let rule = cfg.rules.enumeration;
    if !rule.enabled {
        return;
    }
    let need = cfg.rules.enumeration_distinct as usize;
    let span = cfg.rules.enumeration_minutes * 60;
    let off = cfg.offset();
    for idx in by_op.values() {
        if idx.len() < need {
            continue;
        }
        let mut counts: HashMap<SubjectKey, u32> = HashMap::new();
        let mut lo = 0;
        // (window start, window end (inclusive), distinct) for windows at or over the threshold.
        let mut bursts: Vec<(usize, usize, usize)> = Vec::new();
        for hi in 0..idx.len() {
            *counts.entry(lookups[idx[hi]].subject).or_default() += 1;
            while lookups[idx[hi]].at - lookups[idx[lo]].at >= span {
                let s = lookups[idx[lo]].subject;
                let c = counts.get_mut(&s).expect("counted");
                *c -= 1;
                if *c == 0 {
                    counts.remove(&s);
                }
                lo += 1;
            }
            if counts.len() >= need {
                bursts.push((lo, hi, counts.len()));
            }
        }
        // Merge overlapping windows into episodes; each look-up names its episode's peak.
        let mut k = 0;
        while k < bursts.len() {
            let (start, mut end, mut peak) = bursts[k];
            let mut m = k + 1;
            while m < bursts.len() && bursts[m].0 <= end {
                end = end.max(bursts[m].1);
                peak = peak.max(bursts[m].2);
                m += 1;
            }
            let first = lookups[idx[start]].at;
            let why = format!(
                "{} 分鐘內查詢 {} 位不同對象（{} 起，共 {} 筆）",
                cfg.rules.enumeration_minutes,
                peak,
                clock::short(first, off),
                end - start + 1
            );
            for &i in &idx[start..=end] {
                hits.add(i, "enumeration", rule.score, why.clone());
            }
            k = m;
        }
    }
}

/// `volume`: an operator's day with at least `volume_min` look-ups that is above
/// `volume_own_factor` times their own median day (given enough history) and above
/// `volume_peer_factor` times the median of their peers (same unit and title) that day.
pub fn volume(
    lookups: &[Lookup],
    by_op: &HashMap<&str, Vec<usize>>,
    r: &Reference,
    h: &History,
    cfg: &LedgerConfig,
    hits: &mut Hits,
) {
    let rule = cfg.rules.volume;
    if !rule.enabled {
        return;
    }
    let rules = &cfg.rules;
    let off = cfg.offset();
    // (operator, day) -> its look-ups.
    let mut days: HashMap<(&str, i64), Vec<usize>> = HashMap::new();
    for (op, idx) in by_op {
        for &i in idx {
            days.entry((op, clock::day(lookups[i].at, off)))
                .or_default()
                .push(i);
        }
    }
    // Peer group of an operator: unit and title from the org chart.
    let group = |op: &str| r.staff.get(op).map(|s| (s.unit.as_str(), s.title.as_str()));
    // (peer group, day) -> (operator, count).
    type PeerDays<'a> = HashMap<((&'a str, &'a str), i64), Vec<(&'a str, u32)>>;
    let mut peers: PeerDays = HashMap::new();
    for ((op, day), v) in &days {
        if let Some(g) = group(op) {
            peers
                .entry((g, *day))
                .or_default()
                .push((op, v.len() as u32));
        }
    }
    for ((op, day), v) in &days {
        let n = v.len() as u32;
        if n < rules.volume_min {
            continue;
        }
        let own = h
            .operators
            .get(*op)
            .filter(|o| o.day_counts.len() as u32 >= rules.volume_min_history_days)
            .and_then(|o| o.median_day());
        let peer = group(op).and_then(|g| {
            let others: Vec<u32> = peers[&(g, *day)]
                .iter()
                .filter(|(o, _)| o != op)
                .map(|(_, c)| *c)
                .collect();
            median(&others)
        });
        let own_high = own.is_none_or(|m| n as f64 > rules.volume_own_factor * m.max(1.0));
        let peer_high = peer.is_none_or(|m| n as f64 > rules.volume_peer_factor * m.max(1.0));
        if own.is_none() && peer.is_none() {
            continue;
        }
        if own_high && peer_high {
            let mut why = format!("{} 當日查詢 {} 筆", clock::day_string(*day), n);
            if let Some(m) = own {
                why += &format!("，本人平日中位數 {m:.0} 筆");
            }
            if let Some(m) = peer {
                why += &format!("，同單位同職稱中位數 {m:.0} 筆");
            }
            for &i in v {
                hits.add(i, "volume", rule.score, why.clone());
            }
        }
    }
}

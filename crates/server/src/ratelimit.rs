//! Per-address rate limit for sign-in attempts (password and second factor), on top of the
//! per-account lockout: one address cannot try many accounts quickly either.
//!
//! A token bucket per client address in memory (bounded: the oldest entries are dropped past
//! 50,000 addresses). Small enough to keep here rather than pull in a rate-limiting framework.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

/// Attempts per address: a burst, refilled at a steady rate.
pub struct Limiter {
    burst: f64,
    per_sec: f64,
    buckets: Mutex<HashMap<String, (f64, Instant)>>,
}

const MAX_ADDRESSES: usize = 50_000;

impl Limiter {
    /// `burst` attempts at once, `per_minute` sustained.
    pub fn new(burst: u32, per_minute: u32) -> Limiter {
        Limiter {
            burst: f64::from(burst),
            per_sec: f64::from(per_minute) / 60.0,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one attempt for `addr`; false when over the limit.
    pub fn allow(&self, addr: &str) -> bool {
        let now = Instant::now();
        let mut b = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if b.len() >= MAX_ADDRESSES && !b.contains_key(addr) {
            let oldest = b
                .iter()
                .min_by_key(|(_, (_, t))| *t)
                .map(|(k, _)| k.clone());
            if let Some(k) = oldest {
                b.remove(&k);
            }
        }
        let (tokens, last) = b.entry(addr.to_string()).or_insert((self.burst, now));
        *tokens =
            (*tokens + now.duration_since(*last).as_secs_f64() * self.per_sec).min(self.burst);
        *last = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_burst_then_refused_per_address() {
        let l = super::Limiter::new(3, 1);
        assert!((0..3).all(|_| l.allow("10.0.0.1")));
        assert!(!l.allow("10.0.0.1"));
        assert!(l.allow("10.0.0.2"));
    }
}

//! The integrity office's spot check (the agencies' 1% rule): a sample that anyone holding the
//! logged seed can draw again, and that does not depend on the order rows are read in.
//!
//! Each look-up is ranked by SHA-256(seed ‖ 0 ‖ event id) and the lowest ranks are taken, so
//! the sample is uniform, reproducible, and cannot be steered without changing the seed.

use sha2::{Digest, Sha256};

/// How many of `n` a `percent` sample takes (at least one of a non-empty set).
pub fn size(n: usize, percent: f64) -> usize {
    if n == 0 {
        return 0;
    }
    ((n as f64 * percent / 100.0).ceil() as usize).clamp(1, n)
}

/// Indices of the sampled look-ups among `event_ids`, in rank order.
pub fn draw<S: AsRef<str>>(event_ids: &[S], seed: &str, percent: f64) -> Vec<usize> {
    let mut ranked: Vec<([u8; 32], usize)> = event_ids
        .iter()
        .enumerate()
        .map(|(i, id)| {
            let mut h = Sha256::new();
            h.update(seed.as_bytes());
            h.update([0]);
            h.update(id.as_ref().as_bytes());
            (h.finalize().into(), i)
        })
        .collect();
    ranked.sort_unstable();
    ranked.truncate(size(event_ids.len(), percent));
    ranked.into_iter().map(|(_, i)| i).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_sample_whatever_the_order() {
        let ids: Vec<String> = (0..1000).map(|i| format!("ev-{i}")).collect();
        let a = draw(&ids, "2026-11 seed 1", 1.0);
        assert_eq!(a.len(), 10);
        let mut rev = ids.clone();
        rev.reverse();
        let b: Vec<&str> = draw(&rev, "2026-11 seed 1", 1.0)
            .into_iter()
            .map(|i| rev[i].as_str())
            .collect();
        let a_ids: Vec<&str> = a.iter().map(|&i| ids[i].as_str()).collect();
        assert_eq!(a_ids, b);
        let c = draw(&ids, "2026-11 seed 2", 1.0);
        assert_ne!(a, c, "another seed, another sample");
        assert_eq!(size(0, 1.0), 0);
        assert_eq!(size(5, 1.0), 1);
    }
}

//! Time: Unix seconds in storage, Taiwan time (UTC+8, no daylight saving) on screen.

use std::time::{SystemTime, UNIX_EPOCH};
use time::{OffsetDateTime, UtcOffset};

/// Seconds since the Unix epoch.
pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

const TAIWAN: UtcOffset = match UtcOffset::from_hms(8, 0, 0) {
    Ok(o) => o,
    Err(_) => panic!("valid offset"),
};

/// `民國115年11月27日 09:30` (zh-TW) or `2026-11-27 09:30` (en), Taiwan time.
pub fn display(ts: i64, zh: bool) -> String {
    let Ok(t) = OffsetDateTime::from_unix_timestamp(ts) else {
        return ts.to_string();
    };
    let t = t.to_offset(TAIWAN);
    if zh {
        format!(
            "民國{}年{}月{}日 {:02}:{:02}",
            t.year() - 1911,
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute()
        )
    } else {
        format!(
            "{}-{:02}-{:02} {:02}:{:02}",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute()
        )
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn minguo_years_in_taiwan_time() {
        // 2026-11-27 01:30 UTC is 09:30 in Taipei, year 115 of the Republic.
        assert_eq!(
            super::display(1_795_743_000, true),
            "民國115年11月27日 09:30"
        );
        assert_eq!(super::display(1_795_743_000, false), "2026-11-27 09:30");
    }
}

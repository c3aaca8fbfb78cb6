//! Times as the agencies write them. Taiwan keeps UTC+8 all year (no daylight saving), so a day
//! or an hour of the day is plain arithmetic on Unix seconds with the configured offset.

use time::{Date, Month, PrimitiveDateTime, Time};

/// Taiwan's offset from UTC, in seconds.
pub const TAIWAN: i64 = 8 * 3600;

/// Days since 1970-01-01 in local time.
pub fn day(at: i64, offset: i64) -> i64 {
    (at + offset).div_euclid(86_400)
}

/// Hour of the local day (0–23).
pub fn hour(at: i64, offset: i64) -> u8 {
    ((at + offset).rem_euclid(86_400) / 3600) as u8
}

/// `YYYY-MM-DD` of a local day number.
pub fn day_string(day: i64) -> String {
    let d = Date::from_julian_day((day + 2_440_588) as i32).unwrap_or(Date::MIN);
    format!("{:04}-{:02}-{:02}", d.year(), d.month() as u8, d.day())
}

/// `MM/DD HH:MM` local, for explanations.
pub fn short(at: i64, offset: i64) -> String {
    let local = at + offset;
    let d =
        Date::from_julian_day((local.div_euclid(86_400) + 2_440_588) as i32).unwrap_or(Date::MIN);
    let s = local.rem_euclid(86_400);
    format!(
        "{:02}/{:02} {:02}:{:02}",
        d.month() as u8,
        d.day(),
        s / 3600,
        s % 3600 / 60
    )
}

/// Local day number of `YYYY-MM-DD` (also `YYYY/MM/DD` and 民國 `114-11-02`).
pub fn parse_day(s: &str) -> Option<i64> {
    let d = parse_date(s.trim())?;
    Some(d.to_julian_day() as i64 - 2_440_588)
}

fn parse_date(s: &str) -> Option<Date> {
    let mut it = s.split(['-', '/', '.']);
    let (y, m, d) = (it.next()?, it.next()?, it.next()?);
    if it.next().is_some() || !(1..=4).contains(&y.len()) || m.len() > 2 || d.len() > 2 {
        return None;
    }
    let mut y: i32 = y.parse().ok()?;
    // 民國 years: the forms write 114 for 2025.
    if y < 1000 {
        y += 1911;
    }
    let m = Month::try_from(m.parse::<u8>().ok()?).ok()?;
    Date::from_calendar_date(y, m, d.parse().ok()?).ok()
}

/// Parses a time: `2026-11-02T09:13:05+08:00`, `2026-11-02 09:13:05Z`, `2026-11-02 09:13`
/// (local, at `offset`), 民國 `115/11/02 09:13`, or Unix seconds.
pub fn parse_time(s: &str, offset: i64) -> Option<i64> {
    let s = s.trim();
    if !s.is_empty() && s.len() <= 12 && s.bytes().all(|b| b.is_ascii_digit()) {
        return s.parse().ok();
    }
    let (date, rest) = s.split_once(['T', ' '])?;
    let date = parse_date(date)?;
    let rest = rest.trim();
    let (clock, zone) = match rest.find(['Z', 'z', '+', '-']) {
        Some(i) => (&rest[..i], Some(&rest[i..])),
        None => (rest, None),
    };
    let mut parts = clock.split(':');
    let h: u8 = parts.next()?.parse().ok()?;
    let m: u8 = parts.next()?.parse().ok()?;
    let sec: u8 = match parts.next() {
        Some(x) => x.split('.').next()?.parse().ok()?,
        None => 0,
    };
    if parts.next().is_some() {
        return None;
    }
    let t = Time::from_hms(h, m, sec).ok()?;
    let local = PrimitiveDateTime::new(date, t)
        .assume_utc()
        .unix_timestamp();
    let off = match zone {
        None => offset,
        Some(z) if z.eq_ignore_ascii_case("z") => 0,
        Some(z) => {
            let sign = if z.starts_with('-') { -1 } else { 1 };
            let z = &z[1..];
            let (zh, zm) = z.split_once(':').unwrap_or((z.get(..2)?, z.get(2..)?));
            let (zh, zm): (i64, i64) = (zh.parse().ok()?, zm.parse().ok()?);
            if zh > 14 || zm > 59 {
                return None;
            }
            sign * (zh * 3600 + zm * 60)
        }
    };
    Some(local - off)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_in_the_forms_people_write() {
        let t = parse_time("2026-11-02T09:13:05+08:00", TAIWAN).unwrap();
        assert_eq!(t, 1_793_581_985);
        assert_eq!(parse_time("2026-11-02 09:13:05", TAIWAN), Some(t));
        assert_eq!(parse_time("115/11/02 09:13:05", TAIWAN), Some(t));
        assert_eq!(parse_time("2026-11-02T01:13:05Z", TAIWAN), Some(t));
        assert_eq!(parse_time(&t.to_string(), TAIWAN), Some(t));
        assert_eq!(hour(t, TAIWAN), 9);
        assert_eq!(day_string(day(t, TAIWAN)), "2026-11-02");
        assert_eq!(short(t, TAIWAN), "11/02 09:13");
        for bad in [
            "",
            "2026-13-02 09:00",
            "2026-11-02",
            "yesterday",
            "2026-11-02 25:00",
            "2026-11-02 09:00+99:00",
        ] {
            assert_eq!(parse_time(bad, TAIWAN), None, "{bad}");
        }
        assert_eq!(parse_day("2026-11-02"), Some(day(t, TAIWAN)));
        assert_eq!(parse_day("115-11-02"), Some(day(t, TAIWAN)));
    }
}

//! "Today", the date exceptions expire against: from `--today`, else `POSTURE_TODAY`, else the
//! system clock's UTC date. The functions here are pure; `lib.rs` hands them the environment
//! and the clock.

use std::ffi::OsStr;
use std::time::{SystemTime, UNIX_EPOCH};

use ir::Date;

/// The environment variable that sets "today" when `--today` is not given.
pub const ENV: &str = "POSTURE_TODAY";

/// Parses a strict `YYYY-MM-DD` calendar date (four, two and two ASCII digits, a real day of
/// that month, leap years included). The error is one lowercase sentence.
pub fn parse(text: &str) -> Result<Date, String> {
    let bytes = text.as_bytes();
    let shaped = bytes.len() == 10
        && bytes[4] == b'-'
        && bytes[7] == b'-'
        && bytes
            .iter()
            .enumerate()
            .all(|(i, b)| i == 4 || i == 7 || b.is_ascii_digit());
    if !shaped {
        return Err(format!(
            "`{}` is not a date of the form YYYY-MM-DD",
            visible(text)
        ));
    }
    let number = |range: std::ops::Range<usize>| -> u16 {
        bytes[range]
            .iter()
            .fold(0u16, |n, b| n * 10 + u16::from(b - b'0'))
    };
    let (year, month, day) = (number(0..4), number(5..7), number(8..10));
    if !(1..=12).contains(&month) {
        return Err(format!("`{text}` has no month {month}"));
    }
    // `month` is 1..=12 here, so the narrowing cannot lose anything.
    let month = month as u8;
    let last = Date::days_in_month(year, month);
    if day == 0 || day > u16::from(last) {
        return Err(format!(
            "`{text}` is not a day of the calendar: that month has {last} days"
        ));
    }
    Ok(Date {
        year,
        month,
        day: day as u8,
    })
}

/// The `--today` value parser, for clap: a bad date is a usage error (exit 2).
pub fn parse_flag(text: &str) -> Result<Date, String> {
    parse(text)
}

/// Decides "today": the flag when given, else the environment variable when set and not empty
/// (`env` is its raw value), else `now` as a UTC date. The error names where the bad value
/// came from.
pub fn resolve(flag: Option<Date>, env: Option<&OsStr>, now: SystemTime) -> Result<Date, String> {
    if let Some(date) = flag {
        return Ok(date);
    }
    if let Some(raw) = env.filter(|v| !v.is_empty()) {
        let Some(text) = raw.to_str() else {
            return Err(format!("invalid {ENV}: it is not valid UTF-8"));
        };
        return parse(text).map_err(|e| format!("invalid {ENV}: {e}"));
    }
    from_system_time(now)
}

/// The UTC calendar date of a point in time.
pub fn from_system_time(now: SystemTime) -> Result<Date, String> {
    let secs = now
        .duration_since(UNIX_EPOCH)
        .map_err(|_| "the system clock is before 1970; give --today".to_string())?
        .as_secs();
    i64::try_from(secs / 86_400)
        .ok()
        .and_then(Date::from_days_since_epoch)
        .ok_or_else(|| "the system clock is out of range; give --today".to_string())
}

/// `text` with control characters replaced, for an error message.
fn visible(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { '\u{FFFD}' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsString;
    use std::time::Duration;

    fn date(year: u16, month: u8, day: u8) -> Date {
        Date { year, month, day }
    }

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    #[test]
    fn parses_real_dates() {
        assert_eq!(parse("2026-01-31"), Ok(date(2026, 1, 31)));
        assert_eq!(parse("2024-02-29"), Ok(date(2024, 2, 29)));
        assert_eq!(parse("2000-02-29"), Ok(date(2000, 2, 29)));
        assert_eq!(parse("0001-12-31"), Ok(date(1, 12, 31)));
    }

    #[test]
    fn refuses_everything_else() {
        for bad in [
            "",
            "2026-1-31",
            "2026-01-31 ",
            "2026/01/31",
            "26-01-31",
            "2026-13-01",
            "2026-00-10",
            "2026-01-00",
            "2026-04-31",
            "2025-02-29",
            "1900-02-29",
            "２０２６-01-01",
            "+026-01-01",
            "2026-01-3\n",
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
        let msg = parse("2026-02-30").expect_err("bad day");
        assert!(msg.contains("28 days"), "{msg}");
    }

    #[test]
    fn clock_dates_are_utc() {
        assert_eq!(from_system_time(at(0)), Ok(date(1970, 1, 1)));
        assert_eq!(from_system_time(at(86_399)), Ok(date(1970, 1, 1)));
        assert_eq!(from_system_time(at(86_400)), Ok(date(1970, 1, 2)));
        // 2000-02-29T23:59:59Z and the second after it.
        assert_eq!(from_system_time(at(951_868_799)), Ok(date(2000, 2, 29)));
        assert_eq!(from_system_time(at(951_868_800)), Ok(date(2000, 3, 1)));
        // 2026-01-31T12:00:00Z.
        assert_eq!(from_system_time(at(1_769_860_800)), Ok(date(2026, 1, 31)));
        assert!(from_system_time(UNIX_EPOCH - Duration::from_secs(1)).is_err());
        // Past 9999-12-31 a date cannot be written.
        assert_eq!(
            from_system_time(at(253_402_300_799)),
            Ok(date(9999, 12, 31))
        );
        assert!(from_system_time(at(253_402_300_800)).is_err());
    }

    #[test]
    fn flag_beats_environment_beats_clock() {
        let env = OsString::from("2030-06-01");
        let flag = Some(date(2026, 1, 1));
        assert_eq!(resolve(flag, Some(&env), at(0)), Ok(date(2026, 1, 1)));
        assert_eq!(resolve(None, Some(&env), at(0)), Ok(date(2030, 6, 1)));
        assert_eq!(resolve(None, None, at(0)), Ok(date(1970, 1, 1)));
        assert_eq!(
            resolve(None, Some(OsStr::new("")), at(0)),
            Ok(date(1970, 1, 1))
        );
        let err = resolve(None, Some(OsStr::new("tomorrow")), at(0)).expect_err("bad env");
        assert!(err.starts_with("invalid POSTURE_TODAY: "), "{err}");
    }

    #[cfg(unix)]
    #[test]
    fn non_utf8_environment_is_an_error() {
        use std::os::unix::ffi::OsStrExt;
        let raw = OsStr::from_bytes(b"2026-01-\xff1");
        assert!(resolve(None, Some(raw), at(0)).is_err());
    }
}

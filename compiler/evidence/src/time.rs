//! OSCAL timestamps: seconds since the Unix epoch, written as `YYYY-MM-DDTHH:MM:SSZ`. The
//! build never reads the clock: the CLI passes `--timestamp` or `SOURCE_DATE_EPOCH`, or the
//! build's "today" at midnight UTC.

/// A point in time, in whole seconds since 1970-01-01T00:00:00Z.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// Midnight UTC of a date.
    pub fn midnight(d: ir::Date) -> Timestamp {
        Timestamp(d.days_since_epoch() * 86_400)
    }

    /// Reads `SOURCE_DATE_EPOCH`-style seconds (`1764892800`) or a UTC date-time
    /// (`2026-12-05T00:00:00Z`) or a date (`2026-12-05`). `None` for anything else.
    pub fn parse(text: &str) -> Option<Timestamp> {
        let t = text.trim();
        if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
            let secs: i64 = t.parse().ok()?;
            // Years 1970..=9999 only: OSCAL's date-time has four-digit years.
            return (secs <= 253_402_300_799).then_some(Timestamp(secs));
        }
        let (date, time) = match t.split_once('T') {
            Some((d, rest)) => (d, Some(rest.strip_suffix('Z')?)),
            None => (t, None),
        };
        let mut parts = date.split('-');
        let year: u16 = parts.next()?.parse().ok()?;
        let month: u8 = parts.next()?.parse().ok()?;
        let day: u8 = parts.next()?.parse().ok()?;
        if parts.next().is_some() || date.len() != 10 || year < 1970 {
            return None;
        }
        if month == 0 || month > 12 || day == 0 || day > ir::Date::days_in_month(year, month) {
            return None;
        }
        let days = ir::Date { year, month, day }.days_since_epoch();
        let secs = match time {
            None => 0,
            Some(hms) => {
                let mut p = hms.split(':');
                let h: i64 = p.next()?.parse().ok()?;
                let m: i64 = p.next()?.parse().ok()?;
                let s: i64 = p.next()?.parse().ok()?;
                if p.next().is_some() || hms.len() != 8 || h > 23 || m > 59 || s > 59 {
                    return None;
                }
                h * 3600 + m * 60 + s
            }
        };
        Some(Timestamp(days * 86_400 + secs))
    }

    /// The date part.
    pub fn date(self) -> Option<ir::Date> {
        ir::Date::from_days_since_epoch(self.0.div_euclid(86_400))
    }

    /// `YYYY-MM-DDTHH:MM:SSZ`.
    pub fn rfc3339(self) -> String {
        let secs = self.0.rem_euclid(86_400);
        let date = self
            .date()
            .map(|d| d.to_string())
            .unwrap_or_else(|| "1970-01-01".to_string());
        format!(
            "{date}T{:02}:{:02}:{:02}Z",
            secs / 3600,
            secs % 3600 / 60,
            secs % 60
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints() {
        let t = Timestamp::parse("1764892800").expect("epoch");
        assert_eq!(t.rfc3339(), "2025-12-05T00:00:00Z");
        assert_eq!(Timestamp::parse("2025-12-05T00:00:00Z"), Some(t));
        assert_eq!(Timestamp::parse("2025-12-05"), Some(t));
        assert_eq!(
            Timestamp::parse("2024-02-29T23:59:59Z").map(Timestamp::rfc3339),
            Some("2024-02-29T23:59:59Z".to_string())
        );
        for bad in [
            "",
            "-1",
            "2025-13-01",
            "2023-02-29",
            "2025-12-05T24:00:00Z",
            "2025-12-05T00:00:00",
            "2025-12-05T00:00:00+01:00",
            "99999999999999",
            "tomorrow",
        ] {
            assert_eq!(Timestamp::parse(bad), None, "{bad}");
        }
    }
}

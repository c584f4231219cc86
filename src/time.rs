//! Dates, durations and the current time (`FLAGCTL_NOW` stands in for it, for tests).

use jiff::{SignedDuration, Timestamp, civil, tz::TimeZone};

/// A `YYYY-MM-DD` date that holds through the end of that day, UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date(civil::Date);

impl Date {
    pub fn parse(text: &str) -> Option<Date> {
        if text.len() != 10 {
            return None;
        }
        text.parse::<civil::Date>().ok().map(Date)
    }

    /// The first instant of the day, UTC.
    pub fn start(self) -> Timestamp {
        self.0
            .to_zoned_datetime(TimeZone::UTC)
            .map(|z| z.timestamp())
            .unwrap_or(Timestamp::MIN)
    }

    /// The last instant of the day, UTC.
    pub fn end(self) -> Timestamp {
        let next = self.0.tomorrow().unwrap_or(self.0);
        next.to_zoned_datetime(TimeZone::UTC)
            .map(|z| z.timestamp() - SignedDuration::from_nanos(1))
            .unwrap_or(Timestamp::MAX)
    }

    /// Whether the date is over at `now`: `now` is on a later day, UTC.
    pub fn is_past(self, now: Timestamp) -> bool {
        now.to_zoned_datetime(TimeZone::UTC).date() > self.0
    }
}

impl std::fmt::Display for Date {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// `<n>h`, `<n>d`, `<n>w` or `permanent`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lifetime {
    Limited(SignedDuration),
    Permanent,
}

impl Lifetime {
    pub fn parse(text: &str) -> Option<Lifetime> {
        if text == "permanent" {
            return Some(Lifetime::Permanent);
        }
        let unit = text.chars().last()?;
        let n: i64 = text[..text.len() - unit.len_utf8()].parse().ok()?;
        let hours = match unit {
            'h' => n,
            'd' => n.checked_mul(24)?,
            'w' => n.checked_mul(24 * 7)?,
            _ => return None,
        };
        // Past a thousand years a limit means `permanent`; beyond it, dates overflow.
        if !(0..=MAX_LIFETIME_HOURS).contains(&hours) {
            return None;
        }
        Some(Lifetime::Limited(SignedDuration::from_hours(hours)))
    }
}

/// The longest limited lifetime: a thousand years.
const MAX_LIFETIME_HOURS: i64 = 1000 * 366 * 24;

#[derive(Debug, thiserror::Error)]
#[error("FLAGCTL_NOW is not an RFC 3339 time: {value:?}")]
pub struct BadNow {
    value: String,
}

/// The current time, or `FLAGCTL_NOW` when it is set.
pub fn now() -> Result<Timestamp, BadNow> {
    match std::env::var("FLAGCTL_NOW") {
        Ok(value) => value.parse().map_err(|_| BadNow { value }),
        Err(_) => Ok(Timestamp::now()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_date_holds_through_its_last_day() {
        let date = Date::parse("2026-03-01").expect("date");
        let at = |s: &str| s.parse::<Timestamp>().expect("timestamp");
        assert!(!date.is_past(at("2026-03-01T23:59:59Z")));
        assert!(date.is_past(at("2026-03-02T00:00:00Z")));
        assert_eq!(Date::parse("2026-3-1"), None);
    }

    #[test]
    fn lifetimes_parse() {
        assert_eq!(
            Lifetime::parse("2w"),
            Some(Lifetime::Limited(SignedDuration::from_hours(336)))
        );
        assert_eq!(Lifetime::parse("permanent"), Some(Lifetime::Permanent));
        assert_eq!(Lifetime::parse("7x"), None);
        assert_eq!(Lifetime::parse("d"), None);
        assert_eq!(Lifetime::parse("9999999999999999d"), None);
        assert_eq!(Lifetime::parse("-1d"), None);
        assert_eq!(Lifetime::parse("€d"), None);
        assert_eq!(Date::parse("2020-02-30"), None);
        assert_eq!(Date::parse("2020-13-01"), None);
    }
}

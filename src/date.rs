//! Calendar dates and UTC timestamps, without a clock.
//!
//! BC sends dates as `YYYY-MM-DD` (Edm.Date) and timestamps as ISO 8601 UTC with `Z`; the empty
//! value is `0001-01-01` (and `0001-01-01T00:00:00Z`), which reads as `None`.

use serde::{Serialize, Serializer};
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    pub year: i32,
    pub month: u8,
    pub day: u8,
}

pub fn is_leap(y: i32) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

pub fn days_in_month(y: i32, m: u8) -> u8 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(y) => 29,
        _ => 28,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateError {
    Malformed,
    OutOfRange,
}

impl Date {
    pub fn new(year: i32, month: u8, day: u8) -> Option<Date> {
        if !(1..=9999).contains(&year)
            || !(1..=12).contains(&month)
            || day == 0
            || day > days_in_month(year, month)
        {
            return None;
        }
        Some(Date { year, month, day })
    }

    /// Parses `YYYY-MM-DD`; a trailing time part, as in `2026-01-31T00:00:00Z`, must be a
    /// possible time (`T25:00:00Z` is refused) and is otherwise ignored. `0001-01-01` is BC's
    /// empty date and yields `Ok(None)`.
    pub fn parse_bc(s: &str) -> Result<Option<Date>, DateError> {
        let b = s.as_bytes();
        if b.len() < 10
            || b[4] != b'-'
            || b[7] != b'-'
            || (b.len() > 10 && b[10] != b'T' && b[10] != b' ')
        {
            return Err(DateError::Malformed);
        }
        if b.len() > 10 {
            check_time(&b[11..])?;
        }
        let num = |r: std::ops::Range<usize>| -> Result<u32, DateError> {
            let part = &s[r];
            if part.bytes().all(|c| c.is_ascii_digit()) {
                part.parse().map_err(|_| DateError::Malformed)
            } else {
                Err(DateError::Malformed)
            }
        };
        let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
        if (y, m, d) == (1, 1, 1) {
            return Ok(None);
        }
        Date::new(y as i32, m as u8, d as u8)
            .map(Some)
            .ok_or(DateError::OutOfRange)
    }

    /// The same day `n` years earlier; 29 February becomes 28 February in a common year.
    pub fn minus_years(self, n: i32) -> Date {
        let year = (self.year - n).max(1);
        let day = self.day.min(days_in_month(year, self.month));
        Date {
            year,
            month: self.month,
            day,
        }
    }

    /// Days since 1970-01-01 (negative before), for arithmetic.
    pub fn to_days(self) -> i64 {
        // Howard Hinnant's days_from_civil.
        let y = self.year as i64 - if self.month <= 2 { 1 } else { 0 };
        let era = if y >= 0 { y } else { y - 399 } / 400;
        let yoe = y - era * 400;
        let m = self.month as i64;
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + self.day as i64 - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    pub fn from_days(z: i64) -> Date {
        let z = z + 719_468;
        let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let y = yoe + era * 400;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = (doy - (153 * mp + 2) / 5 + 1) as u8;
        let m = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
        Date {
            year: (y + if m <= 2 { 1 } else { 0 }) as i32,
            month: m,
            day: d,
        }
    }

    pub fn add_days(self, n: i64) -> Date {
        Date::from_days(self.to_days() + n)
    }

    /// `YYYY-MM-DD` as bytes, for years 0 to 9999 (every date read from BC or a state; `None`
    /// only for a date computed outside that range).
    pub fn iso(self) -> Option<[u8; 10]> {
        if !(0..=9999).contains(&self.year) || self.month > 99 || self.day > 99 {
            return None;
        }
        let (y, m, d) = (self.year as u32, self.month as u32, self.day as u32);
        let digit = |n: u32| b'0' + (n % 10) as u8;
        Some([
            digit(y / 1000),
            digit(y / 100),
            digit(y / 10),
            digit(y),
            b'-',
            digit(m / 10),
            digit(m),
            b'-',
            digit(d / 10),
            digit(d),
        ])
    }

    /// Appends `YYYY-MM-DD`, what `Display` writes, without the formatting machinery.
    pub fn write_iso(self, out: &mut Vec<u8>) {
        match self.iso() {
            Some(b) => out.extend_from_slice(&b),
            None => out.extend_from_slice(self.to_string().as_bytes()),
        }
    }

    /// Whether the date is from [`FAR_FUTURE_YEAR`] on: no invoice is dated there, but a
    /// placeholder (`9999-12-31`) or a typo (`2206`) can be, and would sort after every real one.
    pub fn is_far_future(self) -> bool {
        self.year >= FAR_FUTURE_YEAR
    }

    /// `YYYY-MM`, the month bucket used in reports.
    pub fn month_key(self) -> String {
        format!("{:04}-{:02}", self.year, self.month)
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl Serialize for Date {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.iso() {
            // ASCII digits and dashes: always UTF-8.
            Some(b) => s.serialize_str(std::str::from_utf8(&b).unwrap_or_default()),
            None => s.collect_str(self),
        }
    }
}

/// The first year [`Date::is_far_future`] warns about. The core has no clock, so the horizon
/// is fixed, far enough out that no real document reaches it.
pub const FAR_FUTURE_YEAR: i32 = 2100;

/// Checks the time part after a date's `T`: `HH:MM[:SS[.f...]]` then `Z`, `±HH:MM` or nothing,
/// with hours 0-23, minutes 0-59 and seconds 0-60 (a leap second).
fn check_time(b: &[u8]) -> Result<(), DateError> {
    let two = |i: usize| -> Result<u8, DateError> {
        match (b.get(i), b.get(i + 1)) {
            (Some(x), Some(y)) if x.is_ascii_digit() && y.is_ascii_digit() => {
                Ok((x - b'0') * 10 + (y - b'0'))
            }
            _ => Err(DateError::Malformed),
        }
    };
    let (h, m) = (two(0)?, two(3)?);
    if b.get(2) != Some(&b':') {
        return Err(DateError::Malformed);
    }
    let mut i = 5;
    let mut s = 0;
    if b.get(i) == Some(&b':') {
        s = two(i + 1)?;
        i += 3;
        if b.get(i) == Some(&b'.') {
            i += 1;
            let start = i;
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            if i == start {
                return Err(DateError::Malformed);
            }
        }
    }
    match &b[i..] {
        [] | [b'Z'] => {}
        [b'+' | b'-', ..] if b.len() - i == 6 && b[i + 3] == b':' => {
            let (oh, om) = (two(i + 1)?, two(i + 4)?);
            if oh > 23 || om > 59 {
                return Err(DateError::OutOfRange);
            }
        }
        _ => return Err(DateError::Malformed),
    }
    if h > 23 || m > 59 || s > 60 {
        return Err(DateError::OutOfRange);
    }
    Ok(())
}

/// A UTC instant in milliseconds since the Unix epoch, read from BC's ISO 8601 timestamps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// Parses `YYYY-MM-DDTHH:MM:SS[.fff...]Z` (or `+00:00`). `0001-01-01T00:00:00Z` is `Ok(None)`.
    pub fn parse_bc(s: &str) -> Result<Option<Timestamp>, DateError> {
        let date = match Date::parse_bc(s)? {
            None => return Ok(None),
            Some(d) => d,
        };
        let b = s.as_bytes();
        if b.len() < 19 || b[13] != b':' || b[16] != b':' {
            return Err(DateError::Malformed);
        }
        let two = |i: usize| -> Result<i64, DateError> {
            let (x, y) = (b[i], b[i + 1]);
            if x.is_ascii_digit() && y.is_ascii_digit() {
                Ok(((x - b'0') * 10 + (y - b'0')) as i64)
            } else {
                Err(DateError::Malformed)
            }
        };
        let (h, mi, se) = (two(11)?, two(14)?, two(17)?);
        if h > 23 || mi > 59 || se > 60 {
            return Err(DateError::OutOfRange);
        }
        let mut i = 19;
        let mut ms: i64 = 0;
        if b.get(i) == Some(&b'.') {
            i += 1;
            let mut digits = 0;
            while i < b.len() && b[i].is_ascii_digit() {
                if digits < 3 {
                    ms = ms * 10 + (b[i] - b'0') as i64;
                }
                digits += 1;
                i += 1;
            }
            if digits == 0 {
                return Err(DateError::Malformed);
            }
            for _ in digits..3 {
                ms *= 10;
            }
        }
        let rest = &s[i..];
        if !(rest == "Z" || rest == "+00:00" || rest.is_empty()) {
            return Err(DateError::Malformed);
        }
        Ok(Some(Timestamp(
            ((date.to_days() * 24 + h) * 60 + mi) * 60_000 + se * 1000 + ms,
        )))
    }

    pub fn date(self) -> Date {
        Date::from_days(self.0.div_euclid(86_400_000))
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let day_ms = self.0.rem_euclid(86_400_000);
        let (h, m, s, ms) = (
            day_ms / 3_600_000,
            day_ms / 60_000 % 60,
            day_ms / 1000 % 60,
            day_ms % 1000,
        );
        write!(f, "{}T{h:02}:{m:02}:{s:02}.{ms:03}Z", self.date())
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_bytes_are_what_display_writes() {
        let mut day = Date {
            year: 0,
            month: 1,
            day: 1,
        };
        while day.year <= 10_000 {
            let shown = day.to_string();
            let mut out = Vec::new();
            day.write_iso(&mut out);
            assert_eq!(String::from_utf8(out).unwrap(), shown);
            assert_eq!(serde_json::to_string(&day).unwrap(), format!("\"{shown}\""));
            assert_eq!(day.iso().is_some(), day.year <= 9999, "{shown}");
            day = day.add_days(if day.year < 3 || day.year > 9997 {
                1
            } else {
                97
            });
        }
        let before = Date {
            year: -1,
            month: 12,
            day: 31,
        };
        let mut out = Vec::new();
        before.write_iso(&mut out);
        assert_eq!(String::from_utf8(out).unwrap(), before.to_string());
        assert_eq!(
            serde_json::to_string(&before).unwrap(),
            format!("\"{before}\"")
        );
    }

    #[test]
    fn parses_and_empty() {
        assert_eq!(Date::parse_bc("2026-11-26"), Ok(Date::new(2026, 11, 26)));
        assert_eq!(Date::parse_bc("0001-01-01"), Ok(None));
        assert_eq!(Date::parse_bc("2026-02-30"), Err(DateError::OutOfRange));
        assert_eq!(Date::parse_bc("26-11-2026"), Err(DateError::Malformed));
        assert_eq!(Date::parse_bc("2026-1-01"), Err(DateError::Malformed));
        assert_eq!(
            Date::parse_bc("2026-11-26T10:00:00Z"),
            Ok(Date::new(2026, 11, 26))
        );
        assert_eq!(
            Date::parse_bc("2026-11-26T23:59:60.5+01:00"),
            Ok(Date::new(2026, 11, 26))
        );
        assert_eq!(
            Date::parse_bc("2026-11-26 10:00"),
            Ok(Date::new(2026, 11, 26))
        );
        assert_eq!(
            Date::parse_bc("2026-11-26T25:00:00Z"),
            Err(DateError::OutOfRange)
        );
        assert_eq!(
            Date::parse_bc("2026-11-26T10:60:00Z"),
            Err(DateError::OutOfRange)
        );
        assert_eq!(
            Date::parse_bc("2026-11-26T10:00:61Z"),
            Err(DateError::OutOfRange)
        );
        for bad in [
            "2026-11-26T",
            "2026-11-26T10",
            "2026-11-26T10:00:00X",
            "2026-11-26T10:00:00.Z",
            "2026-11-26T1:00",
        ] {
            assert_eq!(Date::parse_bc(bad), Err(DateError::Malformed), "{bad}");
        }
        assert!(Date::new(9999, 12, 31).unwrap().is_far_future());
        assert!(!Date::new(2099, 12, 31).unwrap().is_far_future());
    }

    #[test]
    fn leap_years() {
        let d = Date::new(2028, 2, 29).unwrap();
        assert_eq!(d.minus_years(1), Date::new(2027, 2, 28).unwrap());
        assert_eq!(d.minus_years(4), Date::new(2024, 2, 29).unwrap());
        assert_eq!(
            Date::new(2026, 11, 26).unwrap().minus_years(1).to_string(),
            "2025-11-26"
        );
    }

    #[test]
    fn days_roundtrip() {
        assert_eq!(Date::new(1970, 1, 1).unwrap().to_days(), 0);
        for z in (-800_000..800_000).step_by(997) {
            assert_eq!(Date::from_days(z).to_days(), z);
        }
        assert_eq!(
            Date::new(2024, 3, 1).unwrap().add_days(-1),
            Date::new(2024, 2, 29).unwrap()
        );
    }

    #[test]
    fn timestamps() {
        let t = Timestamp::parse_bc("2020-08-21T00:26:53.793Z")
            .unwrap()
            .unwrap();
        assert_eq!(t.to_string(), "2020-08-21T00:26:53.793Z");
        assert_eq!(Timestamp::parse_bc("0001-01-01T00:00:00Z"), Ok(None));
        assert_eq!(
            Timestamp::parse_bc("2020-08-21T00:26:53Z")
                .unwrap()
                .unwrap()
                .0
                % 1000,
            0
        );
        assert!(Timestamp::parse_bc("2020-08-21T25:00:00Z").is_err());
        assert!(Timestamp::parse_bc("2020-08-21T10:00:00+02:00").is_err());
    }
}

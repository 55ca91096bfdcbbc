//! Times on the command line and in its output, without a date crate for a handful of
//! conversions: epoch ms to `YYYY-MM-DD HH:MM:SS` UTC, and `10m`, RFC 3339 times or dates to
//! epoch ms.

use std::time::{SystemTime, UNIX_EPOCH};

/// Epoch ms as `YYYY-MM-DD HH:MM:SS` UTC (Howard Hinnant's days-to-civil algorithm).
pub fn utc(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Days since 1970-01-01 of a civil date (the inverse of the algorithm in [`utc`]).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let yoe = year.rem_euclid(400);
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// An instant given on the command line, as epoch ms: see [`instant_at`]; "now" is the clock.
pub fn instant(text: &str) -> Result<i64, String> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
    instant_at(text, now)
}

/// An instant as epoch ms, from any of:
/// - a duration back from `now`: a number and a unit, `s`, `m`, `h`, `d` or `w` (`10m`, `36h`);
/// - an RFC 3339 time, `2026-12-06T08:30:00Z` or `2026-12-06T16:30:00.5+08:00` (a space may
///   stand for the `T`);
/// - a date, `2026-12-06`: its midnight, UTC;
/// - epoch ms, digits only (what the admin API takes).
pub fn instant_at(text: &str, now: i64) -> Result<i64, String> {
    let text = text.trim();
    let hint = "expected 10m, 2h, 3d (back from now), an RFC 3339 time \
                (2026-12-06T08:30:00Z, 2026-12-06T16:30:00+08:00), a date (2026-12-06, UTC) \
                or epoch ms";
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        return text.parse().map_err(|_| format!("{text:?}: too large"));
    }
    if let Some(unit) = text.chars().last().filter(char::is_ascii_alphabetic)
        && let Some(Ok(count)) = text.get(..text.len() - 1).map(str::parse::<u32>)
    {
        let seconds = match unit {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            'w' => 7 * 86_400,
            _ => return Err(format!("{text:?}: unknown unit {unit:?}; {hint}")),
        };
        return Ok(now - i64::from(count) * seconds * 1000);
    }
    rfc3339(text).ok_or_else(|| format!("{text:?}: {hint}"))
}

/// `YYYY-MM-DD`, or `YYYY-MM-DD(T| )HH:MM:SS[.frac](Z|±HH:MM)`, as epoch ms.
fn rfc3339(text: &str) -> Option<i64> {
    let number = |s: &str| -> Option<i64> {
        s.bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| s.parse().ok())
            .flatten()
    };
    let date = text.get(..10)?;
    let (year, month, day) = (
        number(date.get(..4)?)?,
        number(date.get(5..7)?)?,
        number(date.get(8..10)?)?,
    );
    let days_in_month = match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        1..=12 => 31,
        _ => return None,
    };
    if date.get(4..5) != Some("-")
        || date.get(7..8) != Some("-")
        || !(1..=days_in_month).contains(&day)
    {
        return None;
    }
    let midnight = days_from_civil(year, month, day) * 86_400_000;
    let rest = text.get(10..)?;
    if rest.is_empty() {
        return Some(midnight);
    }
    let rest = rest.strip_prefix(['T', 't', ' '])?;
    let (hour, minute, second) = (
        number(rest.get(..2)?)?,
        number(rest.get(3..5)?)?,
        number(rest.get(6..8)?)?,
    );
    if rest.get(2..3) != Some(":")
        || rest.get(5..6) != Some(":")
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let mut rest = rest.get(8..)?;
    let mut millis = 0;
    if let Some(fraction) = rest.strip_prefix('.') {
        let digits = fraction.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        // Milliseconds: the first three digits, padded; finer ones are dropped.
        let ms: String = fraction
            .get(..digits)?
            .chars()
            .chain("00".chars())
            .take(3)
            .collect();
        millis = number(&ms)?;
        rest = fraction.get(digits..)?;
    }
    let offset_minutes = match rest {
        "Z" | "z" => 0,
        _ => {
            let sign = match rest.get(..1)? {
                "+" => 1,
                "-" => -1,
                _ => return None,
            };
            if rest.len() != 6 || rest.get(3..4) != Some(":") {
                return None;
            }
            let (h, m) = (number(rest.get(1..3)?)?, number(rest.get(4..6)?)?);
            if h > 23 || m > 59 {
                return None;
            }
            sign * (h * 60 + m)
        }
    };
    Some(midnight + ((hour * 60 + minute - offset_minutes) * 60 + second) * 1000 + millis)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_formats_epoch_ms() {
        assert_eq!(utc(0), "1970-01-01 00:00:00");
        assert_eq!(utc(1_761_754_362_746), "2025-10-29 16:12:42");
        assert_eq!(utc(951_782_400_000), "2000-02-29 00:00:00");
    }

    #[test]
    fn durations_count_back_from_now() {
        let now = 1_800_000_000_000;
        assert_eq!(instant_at("10m", now), Ok(now - 600_000));
        assert_eq!(instant_at("90s", now), Ok(now - 90_000));
        assert_eq!(instant_at("2h", now), Ok(now - 7_200_000));
        assert_eq!(instant_at("3d", now), Ok(now - 3 * 86_400_000));
        assert_eq!(instant_at("1w", now), Ok(now - 7 * 86_400_000));
        assert!(instant_at("10y", now).is_err());
        assert!(instant_at("m", now).is_err());
        assert!(instant_at("-10m", now).is_err());
    }

    #[test]
    fn rfc3339_times_and_dates() {
        let now = 0;
        assert_eq!(
            instant_at("2025-10-29T16:12:42Z", now),
            Ok(1_761_754_362_000)
        );
        assert_eq!(
            instant_at("2025-10-29T16:12:42.746Z", now),
            Ok(1_761_754_362_746)
        );
        assert_eq!(
            instant_at("2025-10-30 00:12:42.7+08:00", now),
            Ok(1_761_754_362_700)
        );
        assert_eq!(
            instant_at("2025-10-29t11:12:42-05:00", now),
            Ok(1_761_754_362_000)
        );
        assert_eq!(instant_at("2000-02-29", now), Ok(951_782_400_000));
        assert_eq!(instant_at("1970-01-01T00:00:00Z", now), Ok(0));
        // Each round-trips through the output format.
        assert_eq!(
            utc(instant_at("2026-12-06T02:30:00Z", now).unwrap_or(0)),
            "2026-12-06 02:30:00"
        );
        for bad in [
            "2025-02-29",
            "2025-13-01",
            "2025-10-29T16:12:42",
            "2025-10-29T24:00:00Z",
            "2025-10-29T16:12:42+0800",
            "2025-10-29T16:12Z",
            "2025/10/29",
            "2025-10-29T16:12:42+1é00",
            "2025-10-29Té",
            "yesterday",
            "",
        ] {
            assert!(instant_at(bad, now).is_err(), "{bad}");
        }
    }

    #[test]
    fn epoch_ms_as_before() {
        assert_eq!(instant_at("0", 5), Ok(0));
        assert_eq!(instant_at("1761754362746", 5), Ok(1_761_754_362_746));
    }
}

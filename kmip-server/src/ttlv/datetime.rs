//! Date-Time text for the XML and JSON encodings: ISO 8601 in UTC, proleptic Gregorian
//! calendar, days counted from 1970-01-01 (KMIP 1.4 §9.1.1.4 Date-Time is POSIX seconds;
//! KMIP 2.0 Date-Time Extended is microseconds).

use std::fmt::Write as _;

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// `YYYY-MM-DDTHH:MM:SS[.f…](Z|±HH:MM)` to seconds (or microseconds when `micros`); a bare
/// integer is taken as the count itself (how years outside 1–9999 are written).
pub fn parse_date_time(s: &str, micros: bool) -> Option<i64> {
    if let Ok(n) = s.parse::<i64>() {
        return Some(n);
    }
    let b = s.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let t = s.get(r)?;
        t.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| t.parse().ok())
            .flatten()
    };
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let (y, mo, d, h, mi, se) = (
        num(0..4)?,
        num(5..7)?,
        num(8..10)?,
        num(11..13)?,
        num(14..16)?,
        num(17..19)?,
    );
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || se > 60 {
        return None;
    }
    let mut rest = &s[19..];
    let mut frac_us = 0i64;
    if let Some(f) = rest.strip_prefix('.') {
        let n = f.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 || n > 6 {
            return None;
        }
        frac_us = f[..n].parse::<i64>().ok()? * 10i64.pow(6 - n as u32);
        rest = &f[n..];
    }
    let offset = match rest {
        "Z" => 0,
        _ => {
            let sign = match rest.as_bytes().first()? {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let t = &rest[1..];
            if t.len() != 5 || t.as_bytes()[2] != b':' {
                return None;
            }
            let (oh, om) = (t[..2].parse::<i64>().ok()?, t[3..].parse::<i64>().ok()?);
            sign * (oh * 3600 + om * 60)
        }
    };
    let secs = days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + se - offset;
    if micros {
        secs.checked_mul(1_000_000)?.checked_add(frac_us)
    } else {
        (frac_us == 0).then_some(secs)
    }
}

/// Seconds (or microseconds) as `YYYY-MM-DDTHH:MM:SS[.ffffff]+00:00`; outside years 1–9999
/// the plain integer.
pub fn format_date_time(v: i64, micros: bool) -> String {
    let (secs, frac) = if micros {
        (v.div_euclid(1_000_000), v.rem_euclid(1_000_000))
    } else {
        (v, 0)
    };
    let days = secs.div_euclid(86_400);
    let tod = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    if !(1..=9999).contains(&y) {
        return v.to_string();
    }
    let mut out = format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
        tod / 3600,
        tod / 60 % 60,
        tod % 60
    );
    if micros {
        let _ = write!(out, ".{frac:06}");
    }
    out.push_str("+00:00");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(
            parse_date_time("2008-03-14T11:56:40Z", false),
            Some(1_205_495_800)
        );
        assert_eq!(
            parse_date_time("2008-03-14T11:56:40+00:00", false),
            Some(1_205_495_800)
        );
        assert_eq!(
            parse_date_time("2008-03-14T12:56:40+01:00", false),
            Some(1_205_495_800)
        );
        assert_eq!(parse_date_time("1970-01-01T00:00:00.000001Z", true), Some(1));
        assert_eq!(parse_date_time("1970-01-01T00:00:00.5Z", false), None);
        assert_eq!(parse_date_time("2008-13-14T11:56:40Z", false), None);
        assert_eq!(
            format_date_time(1_205_495_800, false),
            "2008-03-14T11:56:40+00:00"
        );
        assert_eq!(format_date_time(-1, true), "1969-12-31T23:59:59.999999+00:00");
        assert_eq!(format_date_time(i64::MAX, false), i64::MAX.to_string());
        for v in [0, 1, -1, 86_399, 253_402_300_799, -62_135_596_800, 951_782_400] {
            assert_eq!(
                parse_date_time(&format_date_time(v, false), false),
                Some(v),
                "{v}"
            );
        }
    }
}

//! Calendar: month indices relative to the start of a run.

use std::fmt;

/// Earliest year a date may have.
pub const MIN_YEAR: i32 = 1900;
/// Latest year a date may have (a run of at most `limits::MAX_MONTHS` from
/// it still fits an `i32` year and the series tables).
pub const MAX_YEAR: i32 = 2999;

/// A calendar month.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct YearMonth {
    /// Year, e.g. 2015.
    pub year: i32,
    /// Month 1-12.
    pub month: u32,
}

impl YearMonth {
    /// Parses `YYYY-MM`.
    pub fn parse(s: &str) -> Option<YearMonth> {
        Self::parse_checked(s).ok()
    }

    /// Parses `YYYY-MM`, saying what is wrong: the shape, the month, or a
    /// year outside [`MIN_YEAR`]-[`MAX_YEAR`].
    pub fn parse_checked(s: &str) -> Result<YearMonth, String> {
        let shape = || "expected YYYY-MM".to_string();
        let (y, m) = s.trim().split_once('-').ok_or_else(shape)?;
        if y.len() != 4 || m.len() != 2 || !y.bytes().chain(m.bytes()).all(|b| b.is_ascii_digit()) {
            return Err(shape());
        }
        let year: i32 = y.parse().map_err(|_| shape())?;
        let month: u32 = m.parse().map_err(|_| shape())?;
        if !(1..=12).contains(&month) {
            return Err(format!("month {m} is not 01-12 (expected YYYY-MM)"));
        }
        if !(MIN_YEAR..=MAX_YEAR).contains(&year) {
            return Err(format!("year {year} is out of range {MIN_YEAR}-{MAX_YEAR}"));
        }
        Ok(YearMonth { year, month })
    }

    /// The month `n` months later.
    pub fn plus(self, n: u32) -> YearMonth {
        let total = self.year as i64 * 12 + (self.month as i64 - 1) + n as i64;
        YearMonth {
            year: (total.div_euclid(12)) as i32,
            month: (total.rem_euclid(12) + 1) as u32,
        }
    }

    /// The last day of the month (28-31).
    pub fn last_day(self) -> u32 {
        match self.month {
            2 if self.year % 4 == 0 && (self.year % 100 != 0 || self.year % 400 == 0) => 29,
            2 => 28,
            4 | 6 | 9 | 11 => 30,
            _ => 31,
        }
    }

    /// The month's last day as an ISO date, `2025-03-31`: the date of a
    /// month-end stock and of a flow over the period that ends with it.
    pub fn month_end(self) -> String {
        format!("{self}-{:02}", self.last_day())
    }

    /// Days from 1970-01-01 to the month's last day (Arrow/Parquet `date32`).
    pub fn month_end_epoch_days(self) -> i32 {
        // Days from civil (H. Hinnant), for the proleptic Gregorian calendar.
        let (m, d) = (self.month as i64, self.last_day() as i64);
        let y = self.year as i64 - i64::from(m <= 2);
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        (era * 146_097 + doe - 719_468) as i32
    }

    /// Months from `self` to `later` (negative if `later` is earlier).
    pub fn months_until(self, later: YearMonth) -> i64 {
        (later.year as i64 * 12 + later.month as i64) - (self.year as i64 * 12 + self.month as i64)
    }
}

impl fmt::Display for YearMonth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_add() {
        let s = YearMonth::parse("2015-09").unwrap();
        assert_eq!(s.plus(4).to_string(), "2016-01");
        assert_eq!(s.plus(0), s);
        assert_eq!(s.months_until(s.plus(27)), 27);
        assert_eq!(s.month_end(), "2015-09-30");
        assert_eq!(YearMonth { year: 2024, month: 2 }.month_end(), "2024-02-29");
        assert_eq!(YearMonth { year: 1900, month: 2 }.month_end(), "1900-02-28");
        assert_eq!(YearMonth { year: 1970, month: 1 }.month_end_epoch_days(), 30);
        assert_eq!(YearMonth { year: 2000, month: 3 }.month_end_epoch_days(), 11_047);
        assert_eq!(YearMonth { year: 1969, month: 12 }.month_end_epoch_days(), -1);
        for bad in ["2015-13", "2015-9", "15-09", "x", "2015-00", "+015-09", "2015-+9"] {
            assert!(YearMonth::parse(bad).is_none(), "{bad}");
        }
        assert_eq!(
            YearMonth::parse_checked("3000-01").unwrap_err(),
            "year 3000 is out of range 1900-2999"
        );
        assert_eq!(
            YearMonth::parse_checked("1899-12").unwrap_err(),
            "year 1899 is out of range 1900-2999"
        );
        assert_eq!(
            YearMonth::parse_checked("2015-13").unwrap_err(),
            "month 13 is not 01-12 (expected YYYY-MM)"
        );
        assert_eq!(YearMonth::parse_checked("2015/01").unwrap_err(), "expected YYYY-MM");
    }
}

//! Calendar: month indices relative to the start of a run.

use std::fmt;

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
        let (y, m) = s.trim().split_once('-')?;
        let year: i32 = y.parse().ok()?;
        let month: u32 = m.parse().ok()?;
        ((1..=12).contains(&month) && (1900..=2999).contains(&year) && y.len() == 4 && m.len() == 2)
            .then_some(YearMonth { year, month })
    }

    /// The month `n` months later.
    pub fn plus(self, n: u32) -> YearMonth {
        let total = self.year as i64 * 12 + (self.month as i64 - 1) + n as i64;
        YearMonth {
            year: (total.div_euclid(12)) as i32,
            month: (total.rem_euclid(12) + 1) as u32,
        }
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
        for bad in ["2015-13", "2015-9", "15-09", "x", "2015-00"] {
            assert!(YearMonth::parse(bad).is_none(), "{bad}");
        }
    }
}

//! The shared tools of config compilation: the [`Compiler`] every section
//! validates with (error construction, probabilities, counts, FTEs, ages,
//! year series, calendar months, shares, unique names). A section's own
//! checks live beside its rules (see the list in `Compiler::compile`).

use std::collections::BTreeMap;

use crate::calendar::{MAX_YEAR, MIN_YEAR};
use crate::clinician::State;
use crate::config::{RawConfig, YearSeries};
use crate::error::ConfigError;
use crate::limits::{MAX_COUNT, fmt_num};

use super::{Grade, Series};

/// Validates and compiles one config; every section's `compile` takes it.
pub(crate) struct Compiler<'a> {
    /// The file named in errors.
    pub(crate) file: &'a str,
    /// The whole raw config.
    pub(crate) raw: &'a RawConfig,
    /// Population scale k: absolute counts are divided by it.
    pub(crate) scale: f64,
}

impl Compiler<'_> {
    pub(crate) fn err(
        &self,
        key: impl Into<String>,
        value: impl std::fmt::Display,
        message: impl Into<String>,
    ) -> ConfigError {
        ConfigError::Invalid {
            file: self.file.into(),
            key: key.into(),
            value: value.to_string(),
            message: message.into(),
        }
    }

    pub(crate) fn prob(&self, key: &str, v: f64) -> Result<f64, ConfigError> {
        if !v.is_finite() || !(0.0..=1.0).contains(&v) {
            return Err(self.err(key, fmt_num(v), "a probability must lie in [0, 1]"));
        }
        Ok(v)
    }

    pub(crate) fn positive(&self, key: &str, v: f64) -> Result<f64, ConfigError> {
        if !v.is_finite() || v <= 0.0 {
            return Err(self.err(key, fmt_num(v), "must be a positive number"));
        }
        Ok(v)
    }

    pub(crate) fn fte(&self, key: &str, v: f64) -> Result<u8, ConfigError> {
        if !v.is_finite() || !(0.0..=1.0).contains(&v) {
            return Err(self.err(key, fmt_num(v), "an FTE must lie in [0, 1]"));
        }
        Ok((v * 10.0).round() as u8)
    }

    pub(crate) fn age_range(&self, key: &str, a: [f64; 2]) -> Result<(u16, u16), ConfigError> {
        self.years_range(key, a, "an age")
    }

    /// A `[min, max]` range of years within 0-100, in months; `what` names
    /// it in the error.
    pub(crate) fn years_range(&self, key: &str, a: [f64; 2], what: &str) -> Result<(u16, u16), ConfigError> {
        let ok = a.iter().all(|v| v.is_finite() && (0.0..=100.0).contains(v)) && a[0] <= a[1];
        if !ok {
            return Err(self.err(
                key,
                format!("[{}, {}]", a[0], a[1]),
                format!("{what} range must be [min, max] years within 0-100"),
            ));
        }
        Ok(((a[0] * 12.0).round() as u16, (a[1] * 12.0).round() as u16))
    }

    pub(crate) fn grade(&self, key: &str, name: &str, grades: &[Grade]) -> Result<u8, ConfigError> {
        grades
            .iter()
            .position(|g| g.name == name)
            .map(|i| i as u8)
            .ok_or_else(|| self.err(key, format!("\"{name}\""), "unknown grade"))
    }

    pub(crate) fn state(&self, key: &str, name: &str, allow_gone: bool) -> Result<State, ConfigError> {
        match State::parse(name) {
            Some(State::Gone) if !allow_gone => {
                Err(self.err(key, format!("\"{name}\""), "`gone` is not a stock state here"))
            }
            Some(s) => Ok(s),
            None => Err(self.err(
                key,
                format!("\"{name}\""),
                "unknown state (student, trainee, ltft, pause, returner, leaver, overseas_recruit, qualified, gone)",
            )),
        }
    }

    /// An absolute count (headcount, posts, places, capacity): finite,
    /// non-negative and at most `limits::MAX_COUNT`.
    pub(crate) fn count(&self, key: &str, v: f64) -> Result<f64, ConfigError> {
        if !v.is_finite() || !(0.0..=MAX_COUNT).contains(&v) {
            return Err(self.err(
                key,
                fmt_num(v),
                format!("a count must be a non-negative number at most {MAX_COUNT:e}"),
            ));
        }
        Ok(v)
    }

    /// A yearly series of absolute numbers (divided by the population scale).
    pub(crate) fn series(&self, key: &str, s: &YearSeries, start_year: i32) -> Result<Series, ConfigError> {
        for (y, v) in s {
            self.count(&format!("{key}.{y}"), *v)?;
        }
        let mut out = self.year_series(key, s, start_year)?;
        for v in &mut out.values {
            *v /= self.scale;
        }
        Ok(out)
    }

    /// A yearly series of growth rates (fractions above -1; not scaled).
    pub(crate) fn growth_series(&self, key: &str, s: &YearSeries, start_year: i32) -> Result<Series, ConfigError> {
        for (y, v) in s {
            if !v.is_finite() || *v <= -1.0 || *v > 1.0 {
                return Err(self.err(
                    format!("{key}.{y}"),
                    fmt_num(*v),
                    "a yearly growth rate must lie in (-1, 1]",
                ));
            }
        }
        self.year_series(key, s, start_year)
    }

    /// A sparse yearly series (`{ 2015 = 1.0, 2025 = 1.5 }`, gaps allowed)
    /// as (year, value) points sorted by year, each value checked by
    /// `check(key.year, value)`.
    pub(crate) fn year_points(
        &self,
        key: &str,
        s: &YearSeries,
        check: impl Fn(&str, f64) -> Result<(), ConfigError>,
    ) -> Result<Vec<(i32, f64)>, ConfigError> {
        let mut pts = Vec::with_capacity(s.len());
        for (y, v) in s {
            let k = format!("{key}.{y}");
            let year: i32 = y
                .parse()
                .map_err(|_| self.err(&k, fmt_num(*v), "series keys must be years"))?;
            if !(MIN_YEAR..=MAX_YEAR).contains(&year) {
                return Err(self.err(&k, fmt_num(*v), format!("year {year} is out of range")));
            }
            check(&k, *v)?;
            pts.push((year, *v));
        }
        if pts.is_empty() {
            return Err(self.err(key, "{}", "a series needs at least one year"));
        }
        pts.sort_by_key(|p| p.0);
        Ok(pts)
    }

    pub(crate) fn year_series(&self, key: &str, s: &YearSeries, start_year: i32) -> Result<Series, ConfigError> {
        let mut years = Vec::with_capacity(s.len());
        for (y, v) in s {
            let year: i32 = y
                .parse()
                .map_err(|_| self.err(format!("{key}.{y}"), fmt_num(*v), "series keys must be years"))?;
            if !(MIN_YEAR..=MAX_YEAR).contains(&year) {
                return Err(self.err(
                    format!("{key}.{y}"),
                    fmt_num(*v),
                    format!("year {year} is out of range {MIN_YEAR}-{MAX_YEAR}"),
                ));
            }
            years.push((year, *v));
        }
        years.sort_by_key(|p| p.0);
        let Some(&(first_year, _)) = years.first() else {
            return Err(self.err(key, "{}", "a series needs at least one year"));
        };
        for w in years.windows(2) {
            if w[1].0 != w[0].0 + 1 {
                return Err(self.err(
                    key,
                    format!("{}..{}", w[0].0, w[1].0),
                    format!("the series has a gap after {}", w[0].0),
                ));
            }
        }
        if first_year > start_year {
            return Err(self.err(
                key,
                first_year,
                format!("the series must cover the start year {start_year}"),
            ));
        }
        Ok(Series {
            first_year,
            values: years.into_iter().map(|p| p.1).collect(),
        })
    }

    pub(crate) fn months_list(&self, key: &str, months: &[u32]) -> Result<Vec<u32>, ConfigError> {
        if months.is_empty() || months.iter().any(|m| !(1..=12).contains(m)) {
            return Err(self.err(key, format!("{months:?}"), "calendar months must be 1-12, at least one"));
        }
        let mut sorted = months.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        if sorted.len() != months.len() {
            return Err(self.err(key, format!("{months:?}"), "calendar months repeat"));
        }
        Ok(months.to_vec())
    }

    pub(crate) fn shares(&self, key: &str, shares: &[f64], n: usize) -> Result<Vec<f64>, ConfigError> {
        if shares.len() != n
            || shares.iter().any(|s| !s.is_finite() || *s < 0.0)
            || (shares.iter().sum::<f64>() - 1.0).abs() > 1e-6
        {
            return Err(self.err(
                key,
                format!("{shares:?}"),
                format!("needs {n} non-negative shares summing to 1"),
            ));
        }
        Ok(shares.to_vec())
    }
}

/// Names in a section must be unique: the first repeat is an error.
pub(crate) fn check_unique(c: &Compiler<'_>, key: &str, names: &[String]) -> Result<(), ConfigError> {
    let mut seen = BTreeMap::new();
    for n in names {
        if seen.insert(n.as_str(), ()).is_some() {
            return Err(c.err(format!("{key}.name"), format!("\"{n}\""), "duplicate name"));
        }
    }
    Ok(())
}

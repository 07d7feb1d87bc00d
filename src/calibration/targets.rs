//! Targets: published figures mapped to model series.
//!
//! CSV columns (header required, any order): `series`, `grain` (`year` or
//! `month`), `year`, `month` (1-12; empty = 9, the September census),
//! `value`, `se` (standard error, > 0, same unit as value); optional
//! `weight` (default 1), `figure`, `source_title`, `source_url`, `note`.

use crate::calendar::{MAX_YEAR, MIN_YEAR, YearMonth};
use crate::error::InputError;
use crate::rules::Rules;
use crate::series::{Grain, SeriesId};

/// One observed figure.
#[derive(Clone, Debug)]
pub struct Target {
    /// Line in its file (1-based, header = 1).
    pub line: usize,
    /// The series it is compared with.
    pub series: SeriesId,
    /// Grain.
    pub grain: Grain,
    /// Calendar month of the observation (snapshot or period end).
    pub date: YearMonth,
    /// Month index in the run (0 = the config's start).
    pub month: usize,
    /// Observed value.
    pub value: f64,
    /// Standard error.
    pub se: f64,
    /// Weight in the distance.
    pub weight: f64,
    /// The published quantity it came from.
    pub figure: String,
    /// Source title.
    pub source_title: String,
    /// Source URL.
    pub source_url: String,
}

const REQUIRED: [&str; 6] = ["series", "grain", "year", "month", "value", "se"];

/// Parses a targets file against the rules of a config. `file` names the
/// text in errors.
pub fn parse_targets(file: &str, text: &str, rules: &Rules) -> Result<Vec<Target>, InputError> {
    let (mut reader, headers) = super::csv_with_header(file, text)?;
    let col = |name: &str| headers.iter().position(|h| h.trim() == name);
    for name in REQUIRED {
        if col(name).is_none() {
            return Err(InputError::File {
                file: file.into(),
                message: format!("missing column `{name}` (need {})", REQUIRED.join(", ")),
            });
        }
    }
    let mut out = Vec::new();
    for row in reader.records() {
        let row = row.map_err(|e| InputError::File {
            file: file.into(),
            message: format!("malformed CSV: {e}"),
        })?;
        let line = row.position().map_or(0, |p| p.line() as usize);
        let get = |name: &str| col(name).and_then(|i| row.get(i)).unwrap_or("").trim().to_string();
        let bad = |field: &str, message: String| InputError::Field {
            file: file.into(),
            line,
            field: field.into(),
            value: get(field),
            message,
        };
        let series = SeriesId::parse(rules, &get("series")).map_err(|m| bad("series", m))?;
        let grain = Grain::parse(&get("grain")).ok_or_else(|| bad("grain", "must be `year` or `month`".into()))?;
        let year: i32 = get("year")
            .parse()
            .map_err(|_| bad("year", "must be a calendar year".into()))?;
        if !(MIN_YEAR..=MAX_YEAR).contains(&year) {
            return Err(bad(
                "year",
                format!("year {year} is out of range {MIN_YEAR}-{MAX_YEAR}"),
            ));
        }
        let month: u32 = match get("month").as_str() {
            "" => 9,
            m => m
                .parse()
                .ok()
                .filter(|m| (1..=12).contains(m))
                .ok_or_else(|| bad("month", "must be 1-12 or empty (September)".into()))?,
        };
        let number = |field: &str| -> Result<f64, InputError> {
            let v = get(field);
            if v.is_empty() {
                return Err(bad(field, "missing value".into()));
            }
            v.parse::<f64>()
                .ok()
                .filter(|x| x.is_finite())
                .ok_or_else(|| bad(field, "must be a number".into()))
        };
        let value = number("value")?;
        let se = number("se")?;
        if se <= 0.0 {
            return Err(bad("se", "a standard error must be positive".into()));
        }
        let weight = if get("weight").is_empty() {
            1.0
        } else {
            let w = number("weight")?;
            if w < 0.0 {
                return Err(bad("weight", "a weight must be >= 0".into()));
            }
            w
        };
        let date = YearMonth { year, month };
        let m = rules.start.months_until(date);
        if m < 0 {
            return Err(bad("year", format!("{date} is before the model start {}", rules.start)));
        }
        let m = m as usize;
        if m < series.first_month(grain) {
            return Err(bad(
                "month",
                format!(
                    "a {} flow needs {} simulated months before {date}; the model starts {}",
                    if grain == Grain::Year { "yearly" } else { "monthly" },
                    series.first_month(grain),
                    rules.start
                ),
            ));
        }
        out.push(Target {
            line,
            series,
            grain,
            date,
            month: m,
            value,
            se,
            weight,
            figure: get("figure"),
            source_title: get("source_title"),
            source_url: get("source_url"),
        });
    }
    if out.is_empty() {
        return Err(InputError::File {
            file: file.into(),
            message: "no targets".into(),
        });
    }
    if out.iter().all(|t| t.weight == 0.0) {
        return Err(InputError::File {
            file: file.into(),
            message: "every target has weight 0: nothing would be fitted (give some a positive weight)".into(),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::tiny_rules;

    fn header() -> &'static str {
        "series,grain,year,month,value,se,weight,source_title\n"
    }

    #[test]
    fn a_good_row_parses_with_its_month_index() {
        let rules = tiny_rules("");
        let g = &rules.groups[0].name;
        let y = rules.start.year + 1;
        let text = format!("{}fte.{g},year,{y},,1000,50,,\"A, B\"\n", header());
        let t = parse_targets("t.csv", &text, &rules).unwrap();
        assert_eq!(t.len(), 1);
        assert_eq!(t[0].date.month, 9);
        assert_eq!(t[0].month as i64, rules.start.months_until(t[0].date));
        assert_eq!(t[0].source_title, "A, B");
    }

    #[test]
    fn bad_rows_name_file_line_and_field() {
        let rules = tiny_rules("");
        let g = &rules.groups[0].name;
        let y = rules.start.year + 2;
        let cases = [
            (format!("nonsense.{g},year,{y},9,1,1,,\n"), "`series`"),
            (format!("fte.{g},year,{y},9,,1,,\n"), "`value`"),
            (format!("fte.{g},year,{y},9,10,-1,,\n"), "`se`"),
            (format!("fte.{g},decade,{y},9,10,1,,\n"), "`grain`"),
            (format!("fte.{g},year,{y},13,10,1,,\n"), "`month`"),
        ];
        for (row, field) in cases {
            let text = format!("{}fte.{g},year,{y},9,1,1,,\n{row}", header());
            let e = parse_targets("t.csv", &text, &rules).unwrap_err().to_string();
            assert!(e.starts_with("t.csv:3: field "), "{e}");
            assert!(e.contains(field), "{e}");
        }
    }
}

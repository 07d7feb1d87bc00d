//! Free parameters and parameter overlays.
//!
//! A free-parameter file is TOML with one `[[param]]` per parameter:
//! `path` (a config path in the `--set` syntax, e.g.
//! `hazard.nurse_leaving.annual_rate`), `min`, `max`, and optionally
//! `prior` = `uniform` (default) or `log_uniform`, and `note`.
//!
//! A parameter overlay (`best.toml`, `run --params`) is a flat TOML table
//! of quoted paths and values: `"hazard.nurse_leaving.annual_rate" = 0.094`.

use serde::Deserialize;

use crate::config::{ConfigSource, get_path, parse_tree};
use crate::error::InputError;
use crate::limits::fmt_num;
use crate::load::load_rules;

/// The prior of a free parameter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Prior {
    /// Uniform on [min, max].
    Uniform,
    /// Uniform in log on [min, max] (min > 0).
    LogUniform,
}

/// One free parameter.
#[derive(Clone, Debug)]
pub struct FreeParam {
    /// Config path.
    pub path: String,
    /// Lower bound.
    pub min: f64,
    /// Upper bound.
    pub max: f64,
    /// Prior.
    pub prior: Prior,
    /// The value in the config, before calibration.
    pub config_value: f64,
}

impl FreeParam {
    /// Maps a value to the unit interval (the sampler's space).
    pub fn to_unit(&self, x: f64) -> f64 {
        match self.prior {
            Prior::Uniform => (x - self.min) / (self.max - self.min),
            Prior::LogUniform => (x.ln() - self.min.ln()) / (self.max.ln() - self.min.ln()),
        }
    }

    /// Maps a point of the unit interval to a value.
    pub fn from_unit(&self, u: f64) -> f64 {
        let u = u.clamp(0.0, 1.0);
        match self.prior {
            Prior::Uniform => self.min + u * (self.max - self.min),
            Prior::LogUniform => (self.min.ln() + u * (self.max.ln() - self.min.ln())).exp(),
        }
    }

    /// The `--set` override for a value (huge values in exponent form,
    /// which TOML reads as a float, not as an overflowing integer).
    pub fn override_for(&self, x: f64) -> String {
        format!("{}={}", self.path, fmt_num(x))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFree {
    param: Vec<RawParam>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawParam {
    path: String,
    min: f64,
    max: f64,
    #[serde(default)]
    prior: Option<Prior>,
    #[serde(default)]
    #[allow(dead_code)]
    note: Option<String>,
}

/// The line of the `n`-th `[[param]]` entry (1-based), for errors.
fn entry_line(text: &str, n: usize) -> usize {
    text.lines()
        .enumerate()
        .filter(|(_, l)| l.trim_start().starts_with("[[param]]"))
        .nth(n)
        .map_or(1, |(i, _)| i + 1)
}

/// The line of `key` within the `n`-th entry.
fn key_line(text: &str, n: usize, key: &str) -> usize {
    let start = entry_line(text, n);
    text.lines()
        .enumerate()
        .skip(start)
        .take_while(|(_, l)| !l.trim_start().starts_with("[["))
        .find(|(_, l)| l.trim_start().starts_with(key))
        .map_or(start, |(i, _)| i + 1)
}

/// Parses a free-parameter file and checks every path against the config:
/// it must hold a number, and the config must stay valid at both bounds.
pub fn parse_free(file: &str, text: &str, config: &ConfigSource) -> Result<Vec<FreeParam>, InputError> {
    let raw: RawFree = toml::from_str(text).map_err(|e| InputError::File {
        file: file.into(),
        message: e.to_string().trim_end().to_string(),
    })?;
    let tree = parse_tree(config)?;
    let mut out: Vec<FreeParam> = Vec::new();
    for (n, p) in raw.param.into_iter().enumerate() {
        let bad = |field: &str, value: String, message: String| InputError::Field {
            file: file.into(),
            line: key_line(text, n, field),
            field: field.into(),
            value,
            message,
        };
        let config_value = get_path(&tree, &p.path)
            .and_then(|v| v.as_float().or_else(|| v.as_integer().map(|i| i as f64)))
            .ok_or_else(|| {
                bad(
                    "path",
                    p.path.clone(),
                    format!("no numeric parameter at this path in {}", config.file),
                )
            })?;
        if out.iter().any(|q| q.path == p.path) {
            return Err(bad("path", p.path.clone(), "declared twice".into()));
        }
        if !(p.min.is_finite() && p.max.is_finite()) || p.min >= p.max {
            return Err(bad(
                "max",
                fmt_num(p.max),
                format!("bounds must be finite with min < max (min = {})", p.min),
            ));
        }
        let prior = p.prior.unwrap_or(Prior::Uniform);
        if prior == Prior::LogUniform && p.min <= 0.0 {
            return Err(bad("min", fmt_num(p.min), "a log_uniform prior needs min > 0".into()));
        }
        for (field, x) in [("min", p.min), ("max", p.max)] {
            load_rules(config, &[format!("{}={}", p.path, fmt_num(x))])
                .map_err(|e| bad(field, fmt_num(x), format!("the config is invalid at this bound: {e}")))?;
        }
        out.push(FreeParam {
            path: p.path,
            min: p.min,
            max: p.max,
            prior,
            config_value,
        });
    }
    if out.is_empty() {
        return Err(InputError::File {
            file: file.into(),
            message: "no [[param]] entries".into(),
        });
    }
    Ok(out)
}

/// Parses a parameter overlay into `--set` overrides, checked against the
/// config (every path must exist and the result must be valid).
pub fn parse_params_overlay(file: &str, text: &str, config: &ConfigSource) -> Result<Vec<String>, InputError> {
    let table: toml::Table = text.parse().map_err(|e: toml::de::Error| InputError::File {
        file: file.into(),
        message: e.to_string().trim_end().to_string(),
    })?;
    let tree = parse_tree(config)?;
    let mut out = Vec::new();
    let line_of = |key: &str| {
        text.lines()
            .position(|l| l.trim_start().trim_start_matches('"').starts_with(key))
            .map_or(1, |i| i + 1)
    };
    for (key, value) in &table {
        let line = line_of(key);
        let bad = |message: String| InputError::Field {
            file: file.into(),
            line,
            field: key.clone(),
            value: value.to_string(),
            message,
        };
        if get_path(&tree, key).is_none() {
            return Err(bad(format!("no parameter at this path in {}", config.file)));
        }
        match value {
            toml::Value::Float(_) | toml::Value::Integer(_) | toml::Value::Boolean(_) | toml::Value::String(_) => {
                out.push(format!("{key}={value}"));
            }
            _ => return Err(bad("a parameter value must be a number, boolean or string".into())),
        }
    }
    if let Err(all) = load_rules(config, &out) {
        // Blame the first entry that is wrong on its own, else the file.
        for ((key, value), kv) in table.iter().zip(&out) {
            if let Err(e) = load_rules(config, std::slice::from_ref(kv)) {
                return Err(InputError::Field {
                    file: file.into(),
                    line: line_of(key),
                    field: key.clone(),
                    value: value.to_string(),
                    message: format!(
                        "the config {} is invalid with this value: {}",
                        config.file,
                        e.without_file()
                    ),
                });
            }
        }
        return Err(InputError::File {
            file: file.into(),
            message: format!("with these parameters the config is invalid: {all}"),
        });
    }
    Ok(out)
}

/// The 1-based line of each data row of a CSV text (after the header).
fn reader_lines(text: &str) -> Vec<usize> {
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(text.as_bytes());
    reader
        .records()
        .map(|r| {
            r.ok()
                .and_then(|r| r.position().map(|p| p.line() as usize))
                .unwrap_or(0)
        })
        .collect()
}

/// Renders a parameter overlay with a comment header.
pub fn render_params_overlay(header: &str, params: &[FreeParam], values: &[f64]) -> String {
    let mut s = String::new();
    for line in header.lines() {
        s.push_str(&format!("# {line}\n"));
    }
    for (p, v) in params.iter().zip(values) {
        s.push_str(&format!("\"{}\" = {}\n", p.path, toml::Value::Float(*v)));
    }
    s
}

/// Parses a `posterior.csv` written by `calibrate` (particle, weight,
/// distance, then one column per parameter path) into its parameters and
/// weighted particles. Every path must exist in the config.
pub fn parse_posterior(
    file: &str,
    text: &str,
    config: &ConfigSource,
) -> Result<(Vec<FreeParam>, super::Posterior), InputError> {
    let tree = parse_tree(config)?;
    let (mut reader, headers) = super::csv_with_header(file, text)?;
    let names: Vec<&str> = headers.iter().collect();
    if names.len() < 4 || names[..3] != ["particle", "weight", "distance"] {
        return Err(InputError::File {
            file: file.into(),
            message: "expected the header particle,weight,distance,<parameter paths...>".into(),
        });
    }
    let mut params = Vec::new();
    for path in &names[3..] {
        if params.iter().any(|p: &FreeParam| p.path == *path) {
            return Err(InputError::Field {
                file: file.into(),
                line: 1,
                field: path.to_string(),
                value: path.to_string(),
                message: "column named twice".into(),
            });
        }
        let v = get_path(&tree, path)
            .and_then(|v| v.as_float().or_else(|| v.as_integer().map(|i| i as f64)))
            .ok_or_else(|| InputError::Field {
                file: file.into(),
                line: 1,
                field: path.to_string(),
                value: path.to_string(),
                message: format!("no numeric parameter at this path in {}", config.file),
            })?;
        params.push(FreeParam {
            path: path.to_string(),
            min: f64::NEG_INFINITY,
            max: f64::INFINITY,
            prior: Prior::Uniform,
            config_value: v,
        });
    }
    let mut post = super::Posterior {
        particles: Vec::new(),
        weights: Vec::new(),
        distances: Vec::new(),
        runs: 0,
        tolerances: Vec::new(),
    };
    for row in reader.records() {
        let row = row.map_err(|e| InputError::File {
            file: file.into(),
            message: format!("malformed CSV: {e}"),
        })?;
        let line = row.position().map_or(0, |p| p.line() as usize);
        let num = |i: usize| -> Result<f64, InputError> {
            let s = row.get(i).unwrap_or("").trim();
            s.parse::<f64>()
                .ok()
                .filter(|x| x.is_finite())
                .ok_or_else(|| InputError::Field {
                    file: file.into(),
                    line,
                    field: names[i].to_string(),
                    value: s.to_string(),
                    message: "must be a finite number".into(),
                })
        };
        let w = num(1)?;
        if w < 0.0 {
            return Err(InputError::Field {
                file: file.into(),
                line,
                field: "weight".into(),
                value: format!("{w}"),
                message: "a weight must be >= 0".into(),
            });
        }
        post.weights.push(w);
        // A distance may be infinite (a candidate whose run failed).
        let d = row.get(2).unwrap_or("").trim();
        post.distances.push(
            d.parse::<f64>()
                .ok()
                .filter(|x| !x.is_nan())
                .ok_or_else(|| InputError::Field {
                    file: file.into(),
                    line,
                    field: "distance".into(),
                    value: d.to_string(),
                    message: "must be a number".into(),
                })?,
        );
        post.particles
            .push((3..names.len()).map(num).collect::<Result<_, _>>()?);
    }
    if post.weights.iter().sum::<f64>() <= 0.0 {
        return Err(InputError::File {
            file: file.into(),
            message: "no particles with positive weight".into(),
        });
    }
    // Each parameter at its smallest and largest value (alone), then the
    // first particle whole: a value the config cannot take blames this
    // file's line and column.
    let lines: Vec<usize> = reader_lines(text);
    for (j, p) in params.iter().enumerate() {
        let column = post.particles.iter().map(|x| x[j]).enumerate();
        let lo = column.clone().min_by(|a, b| a.1.total_cmp(&b.1));
        let hi = column.max_by(|a, b| a.1.total_cmp(&b.1));
        for (i, x) in lo.into_iter().chain(hi) {
            if let Err(e) = crate::load::load_rules(config, &[p.override_for(x)]) {
                return Err(InputError::Field {
                    file: file.into(),
                    line: lines.get(i).copied().unwrap_or(0),
                    field: p.path.clone(),
                    value: fmt_num(x),
                    message: format!(
                        "the config {} is invalid with this value: {}",
                        config.file,
                        e.without_file()
                    ),
                });
            }
        }
    }
    let overrides: Vec<String> = params
        .iter()
        .zip(&post.particles[0])
        .map(|(p, &x)| p.override_for(x))
        .collect();
    crate::load::load_rules(config, &overrides).map_err(|e| InputError::File {
        file: file.into(),
        message: format!("with the first particle's parameters the config is invalid: {e}"),
    })?;
    Ok((params, post))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> ConfigSource {
        crate::load::baseline_source()
    }

    #[test]
    fn unit_maps_round_trip() {
        let p = FreeParam {
            path: "x".into(),
            min: 0.01,
            max: 0.5,
            prior: Prior::LogUniform,
            config_value: 0.1,
        };
        assert!((p.from_unit(p.to_unit(0.2)) - 0.2).abs() < 1e-12);
        assert!((p.from_unit(0.0) - 0.01).abs() < 1e-15);
    }

    #[test]
    fn unknown_paths_and_reversed_bounds_are_refused_with_line_and_field() {
        let text = "[[param]]\npath = \"hazard.nurse_leaving.annual_rate\"\nmin = 0.05\nmax = 0.15\n\n[[param]]\npath = \"hazard.nurse_leavin.annual_rate\"\nmin = 0.05\nmax = 0.15\n";
        let e = parse_free("free.toml", text, &config()).unwrap_err().to_string();
        assert!(e.starts_with("free.toml:7: field `path`"), "{e}");
        let text = "[[param]]\npath = \"hazard.nurse_leaving.annual_rate\"\nmin = 0.15\nmax = 0.05\n";
        let e = parse_free("free.toml", text, &config()).unwrap_err().to_string();
        assert!(e.starts_with("free.toml:4: field `max`"), "{e}");
    }

    #[test]
    fn overlays_round_trip_through_render_and_parse() {
        let text = "[[param]]\npath = \"hazard.nurse_leaving.annual_rate\"\nmin = 0.05\nmax = 0.15\n";
        let free = parse_free("free.toml", text, &config()).unwrap();
        assert_eq!(free[0].config_value, 0.08);
        let overlay = render_params_overlay("test", &free, &[0.1]);
        let sets = parse_params_overlay("best.toml", &overlay, &config()).unwrap();
        assert_eq!(sets, vec!["hazard.nurse_leaving.annual_rate=0.1".to_string()]);
    }
}

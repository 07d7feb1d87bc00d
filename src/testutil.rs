//! A tiny config for unit tests of single mechanisms.

use crate::config::{ConfigSource, RawConfig};
use crate::error::ConfigError;
use crate::rules::{Compiler, Rules};

/// Doctor-only rules: ct (24 WTE-months) -> st (48, CCT, pause-eligible)
/// -> consultant, with `extra` TOML appended.
pub fn tiny_rules(extra: &str) -> Rules {
    crate::load_rules(&tiny_source(extra), &[]).unwrap_or_else(|e| panic!("{e}"))
}

/// The source text of [`tiny_rules`].
pub fn tiny_source(extra: &str) -> ConfigSource {
    let text = format!(
        r#"
[model]
name = "tiny"
start = "2020-08"
months = 12

[[region]]
name = "england"
share = 1.0

[[group]]
name = "doctor"
pension_age_years = 65
retirement_monthly_prob = 0.05
max_working_age_years = 70

[[grade]]
name = "ct"
group = "doctor"
kind = "training"
duration_wte_months = 24
next = "st"
starts_pathway = true

[[grade]]
name = "st"
group = "doctor"
kind = "training"
duration_wte_months = 48
next = "consultant"
awards_cct = true
pause_eligible = true

[[grade]]
name = "consultant"
group = "doctor"
kind = "employed"
{extra}
"#
    );
    ConfigSource {
        file: "tiny.toml".into(),
        text,
    }
}

/// The raw [`tiny_source`] config, for unit tests of one section's `compile`.
pub fn tiny_raw(extra: &str) -> RawConfig {
    toml::from_str(&tiny_source(extra).text).unwrap_or_else(|e| panic!("{e}"))
}

/// A compiler of `raw` at population scale `scale`.
pub fn compiler(raw: &RawConfig, scale: f64) -> Compiler<'_> {
    Compiler {
        file: "tiny.toml",
        raw,
        scale,
    }
}

/// The key and message of a validation error.
pub fn invalid<T: std::fmt::Debug>(r: Result<T, ConfigError>) -> (String, String) {
    match r {
        Err(ConfigError::Invalid { key, message, .. }) => (key, message),
        other => panic!("expected a validation error, got {other:?}"),
    }
}

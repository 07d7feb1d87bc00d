//! A tiny config for unit tests of single mechanisms.

use crate::config::ConfigSource;
use crate::rules::Rules;

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

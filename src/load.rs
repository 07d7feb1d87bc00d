//! From a config source plus overrides to validated `Rules`.

use crate::config::{ConfigSource, apply_override, from_tree, parse_tree};
use crate::error::ConfigError;
use crate::rules::{Rules, compile};

/// The England baseline config, embedded in the binary.
pub const BASELINE: &str = include_str!("../configs/england_baseline.toml");

/// The career-lite benchmark config, embedded in the binary.
pub const CAREER_LITE: &str = include_str!("../configs/bench/career_lite.toml");

/// The embedded career-lite config as a source.
pub fn career_lite_source() -> ConfigSource {
    ConfigSource {
        file: "<embedded>/configs/bench/career_lite.toml".into(),
        text: CAREER_LITE.into(),
    }
}

/// The embedded baseline as a source.
pub fn baseline_source() -> ConfigSource {
    ConfigSource {
        file: "<embedded>/configs/england_baseline.toml".into(),
        text: BASELINE.into(),
    }
}

/// Parses, overrides (`key=value` each) and validates a config.
pub fn load_rules(src: &ConfigSource, overrides: &[String]) -> Result<Rules, ConfigError> {
    let mut tree = parse_tree(src)?;
    for kv in overrides {
        apply_override(&mut tree, &format!("{} (--set {kv})", src.file), kv)?;
    }
    let canonical = toml::to_string(&tree).map_err(|e| ConfigError::Parse {
        file: src.file.clone(),
        message: e.to_string(),
    })?;
    // Without overrides, deserialise the text as written so that errors
    // carry the file's own line numbers.
    let raw = if overrides.is_empty() {
        toml::from_str(&src.text).map_err(|e| ConfigError::Parse {
            file: src.file.clone(),
            message: e.to_string().trim_end().to_string(),
        })?
    } else {
        from_tree(&src.file, tree)?
    };
    compile(&src.file, &raw, &canonical)
}

/// The shipped England calibration (best parameters), embedded in the
/// binary and applied by default when running the embedded baseline.
pub const ENGLAND_CALIBRATION: &str = include_str!("../calibration/england/best.toml");

/// Where [`ENGLAND_CALIBRATION`] comes from, for messages and manifests.
pub const ENGLAND_CALIBRATION_FILE: &str = "<embedded>/calibration/england/best.toml";

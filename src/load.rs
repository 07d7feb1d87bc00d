//! From a config source plus overrides to validated `Rules`.

use crate::config::{ConfigSource, RawConfig, apply_override, from_tree, parse_tree};
use crate::error::ConfigError;
use crate::rules::{Rules, compile};

/// The England baseline config, embedded in the binary.
pub const BASELINE: &str = include_str!("../configs/england_baseline.toml");

/// The career-lite benchmark config, embedded in the binary.
pub const CAREER_LITE: &str = include_str!("../configs/bench/career_lite.toml");

/// The shipped England calibration (best parameters), embedded in the
/// binary and applied by default when running the embedded baseline.
pub const ENGLAND_CALIBRATION: &str = include_str!("../calibration/england/best.toml");

/// Where [`ENGLAND_CALIBRATION`] comes from, for messages and manifests.
pub const ENGLAND_CALIBRATION_FILE: &str = "<embedded>/calibration/england/best.toml";

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

/// Where an override came from, for errors: `FILE (--set key=value)`.
fn override_source(file: &str, kv: &str) -> String {
    format!("{file} (--set {kv})")
}

/// Parses, overrides (`key=value` each) and validates a config.
///
/// Errors point at the user's input: an error in the file as written is
/// reported with the file's own line numbers; an error that only an
/// override causes names that override (`--set key=value`) instead of a
/// line of the internal, re-serialised copy.
pub fn load_rules(src: &ConfigSource, overrides: &[String]) -> Result<Rules, ConfigError> {
    let mut tree = parse_tree(src)?;
    // The text as written: its errors carry the file's own line numbers.
    let as_written = toml::from_str::<RawConfig>(&src.text).map_err(|e| ConfigError::Parse {
        file: src.file.clone(),
        message: e.to_string().trim_end().to_string(),
    });
    if overrides.is_empty() {
        let raw = as_written?;
        let canonical = canonical_text(src, &tree)?;
        let history = history_hash(src, &tree)?;
        return compile(&src.file, &raw, &canonical).map(|r| with_history_hash(r, history));
    }
    // Override keys with array elements by name, as validation names them.
    let named: Vec<String> = overrides.iter().map(|kv| key_by_name(&tree, kv)).collect();
    for kv in overrides {
        apply_override(&mut tree, &override_source(&src.file, kv), kv)?;
    }
    let canonical = canonical_text(src, &tree)?;
    let history = history_hash(src, &tree)?;
    let raw = match from_tree(&src.file, tree) {
        Ok(raw) => raw,
        Err(_) => {
            // The file itself is wrong (and no override mended it).
            as_written?;
            return Err(blame_override(src, overrides));
        }
    };
    compile(&src.file, &raw, &canonical)
        .map(|r| with_history_hash(r, history))
        .map_err(|e| attribute(e, &src.file, overrides, &named))
}

/// The hash of the canonical config without its horizon (`model.months`).
fn history_hash(src: &ConfigSource, tree: &toml::Table) -> Result<u64, ConfigError> {
    let mut t = tree.clone();
    if let Some(toml::Value::Table(m)) = t.get_mut("model") {
        m.remove("months");
    }
    Ok(crate::rules::fnv1a(canonical_text(src, &t)?.as_bytes()))
}

fn with_history_hash(mut rules: Rules, history_hash: u64) -> Rules {
    rules.history_hash = history_hash;
    rules
}

fn canonical_text(src: &ConfigSource, tree: &toml::Table) -> Result<String, ConfigError> {
    toml::to_string(tree).map_err(|e| ConfigError::Parse {
        file: src.file.clone(),
        message: e.to_string(),
    })
}

/// The first override after which the config no longer deserialises, with
/// the deserialiser's message (without the internal copy's line).
fn blame_override(src: &ConfigSource, overrides: &[String]) -> ConfigError {
    let Ok(mut tree) = parse_tree(src) else {
        unreachable!("parsed above")
    };
    for kv in overrides {
        if apply_override(&mut tree, "", kv).is_err() {
            break;
        }
        let text = toml::to_string(&tree).unwrap_or_default();
        if let Err(e) = toml::from_str::<RawConfig>(&text) {
            let key = kv.split_once('=').map_or(kv.as_str(), |p| p.0).trim();
            return ConfigError::Parse {
                file: override_source(&src.file, kv),
                message: format!("key `{key}`: {}", e.message().trim_end()),
            };
        }
    }
    ConfigError::Parse {
        file: src.file.clone(),
        message: format!("the config with overrides {overrides:?} cannot be read"),
    }
}

/// The key of a `key=value` override with each array index replaced by the
/// element's `name`, where it has one (`hazard.0.x` -> `hazard.attrition.x`).
fn key_by_name(tree: &toml::Table, kv: &str) -> String {
    let key = kv.split_once('=').map_or(kv, |p| p.0).trim();
    let segments: Vec<&str> = key.split('.').collect();
    let mut out: Vec<String> = Vec::with_capacity(segments.len());
    let mut cur: Option<&toml::Value> = None;
    for (i, seg) in segments.iter().enumerate() {
        let next = match (i, cur) {
            (0, _) => tree.get(*seg),
            (_, Some(toml::Value::Table(t))) => t.get(*seg),
            (_, Some(toml::Value::Array(items))) => {
                let item = seg.parse::<usize>().ok().and_then(|k| items.get(k));
                if let Some(name) = item.and_then(|it| it.get("name")).and_then(|n| n.as_str()) {
                    out.push(name.to_string());
                    cur = item;
                    continue;
                }
                item.or_else(|| {
                    items
                        .iter()
                        .find(|it| it.get("name").and_then(|n| n.as_str()) == Some(*seg))
                })
            }
            _ => None,
        };
        out.push(seg.to_string());
        cur = next;
    }
    out.join(".")
}

/// Names the override behind a validation error, when one set its key
/// (`named` holds the overrides' keys with array elements by name).
fn attribute(e: ConfigError, file: &str, overrides: &[String], named: &[String]) -> ConfigError {
    let ConfigError::Invalid {
        file: f,
        key,
        value,
        message,
    } = e
    else {
        return e;
    };
    let related = |a: &str, b: &str| a == b || a.starts_with(&format!("{b}.")) || b.starts_with(&format!("{a}."));
    let culprit = overrides.iter().zip(named).rev().find_map(|(kv, by_name)| {
        let k = kv.split_once('=').map_or(kv.as_str(), |p| p.0).trim();
        (related(&key, k) || related(&key, by_name)).then_some(kv)
    });
    ConfigError::Invalid {
        file: match culprit {
            Some(kv) if f == file => override_source(file, kv),
            _ => f,
        },
        key,
        value,
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::tiny_source;

    #[test]
    fn errors_in_the_file_keep_its_lines_even_with_overrides() {
        let mut src = tiny_source("");
        src.text = src.text.replace("months = 12\n", "months = \"many\"\n");
        let line = src.text.lines().position(|l| l.contains("\"many\"")).unwrap() + 1;
        let e = load_rules(&src, &["model.seed=3".into()]).unwrap_err().to_string();
        assert!(e.contains(&format!("line {line}")), "{e}");
        assert!(!e.contains("--set"), "{e}");
    }

    #[test]
    fn an_override_that_breaks_the_config_is_named() {
        let src = tiny_source("");
        let e = load_rules(&src, &["model.seed=3".into(), "model.months=\"many\"".into()])
            .unwrap_err()
            .to_string();
        assert!(e.contains("(--set model.months=\"many\"): key `model.months`"), "{e}");
        assert!(!e.contains("line "), "{e}");
        let e = load_rules(&src, &["model.months=0".into()]).unwrap_err().to_string();
        assert!(e.contains("(--set model.months=0): key `model.months` = 0"), "{e}");
        let with_hazard = tiny_source(
            "[[hazard]]\nname = \"quit\"\ngroup = \"doctor\"\nstate = \"qualified\"\nto = \"gone\"\nmonthly_prob = 0.01\n",
        );
        let e = load_rules(&with_hazard, &["hazard.0.monthly_prob=2".into()])
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("(--set hazard.0.monthly_prob=2): key `hazard.quit.monthly_prob` = 2"),
            "{e}"
        );
        let e = load_rules(&src, &["model.colour=1".into()]).unwrap_err().to_string();
        assert!(
            e.contains("(--set model.colour=1)") && e.contains("unknown field `colour`"),
            "{e}"
        );
    }
}

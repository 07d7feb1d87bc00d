//! Typed errors of the library. Binaries wrap them with `anyhow`.

use thiserror::Error;

use crate::limits::{clip, clip_lines};

/// Longest file name or key echoed in an error (a `--set` override is part
/// of the file name).
const MAX_NAME: usize = 240;
/// Longest line of a message echoed in an error: room for a few nested,
/// already clipped errors, not for a 10 MB line a parser quotes.
const MAX_MESSAGE_LINE: usize = 4000;

/// A config (or overlay, or command-line override) that cannot be used.
/// Every variant names the file, and where it can the key and the value.
#[derive(Debug, Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("{}: cannot read: {}", clip_lines(.file, MAX_NAME), clip_lines(.message, MAX_MESSAGE_LINE))]
    Unreadable {
        /// Path of the file.
        file: String,
        /// The OS error.
        message: String,
    },
    /// The file is not valid TOML, or a key is unknown or of the wrong type.
    #[error("{}: {}", clip_lines(.file, MAX_NAME), clip_lines(.message, MAX_MESSAGE_LINE))]
    Parse {
        /// Path of the file.
        file: String,
        /// The parser's message, which names the key and line.
        message: String,
    },
    /// A key has a value the model cannot use.
    #[error("{}: key `{}` = {}: {}", clip_lines(.file, MAX_NAME), clip_lines(.key, MAX_NAME), clip(.value), clip_lines(.message, MAX_MESSAGE_LINE))]
    Invalid {
        /// Path of the file.
        file: String,
        /// Dotted path of the key.
        key: String,
        /// The offending value as written.
        value: String,
        /// What is wrong with it.
        message: String,
    },
    /// A command-line argument has a value that cannot be used.
    #[error("{arg} {}: {message}", clip(.value))]
    Argument {
        /// The argument, e.g. `--agents`.
        arg: String,
        /// The value as given.
        value: String,
        /// What is wrong with it.
        message: String,
    },
}

impl ConfigError {
    /// The error without its file part, for a caller that names the file
    /// (a parameter overlay, a scenario lever) itself.
    pub fn without_file(&self) -> String {
        match self {
            ConfigError::Invalid {
                key, value, message, ..
            } => format!(
                "key `{}` = {}: {}",
                clip_lines(key, MAX_NAME),
                clip(value),
                clip_lines(message, MAX_MESSAGE_LINE)
            ),
            ConfigError::Parse { message, .. } | ConfigError::Unreadable { message, .. } => {
                clip_lines(message, MAX_MESSAGE_LINE)
            }
            other => other.to_string(),
        }
    }
}

/// A snapshot that cannot be restored.
#[derive(Debug, Error)]
pub enum SnapshotError {
    /// Not a careersim snapshot, or truncated/corrupt.
    #[error("snapshot is corrupt or not a careersim snapshot: {0}")]
    Corrupt(String),
    /// Written by another snapshot format version.
    #[error("snapshot format version {found} cannot be read by this careersim (format {expected})")]
    Version {
        /// Version in the file.
        found: u32,
        /// Version this build reads.
        expected: u32,
    },
    /// Made from a different config.
    #[error(
        "snapshot was made from config {found}, not this config {expected}: the config, its overrides \
         (--set, --params), its parameters or its population scale differ from the run that saved it"
    )]
    ConfigMismatch {
        /// Config hash in the file.
        found: String,
        /// Config hash of the current rules.
        expected: String,
    },
}

/// A calibration or comparison input (targets, free parameters, parameter
/// overlays, scenario files) that cannot be used. Names file, line and field.
#[derive(Debug, Error)]
pub enum InputError {
    /// One field of one row or entry is wrong.
    #[error("{}:{line}: field `{}` = {:?}: {}", clip_lines(.file, MAX_NAME), clip_lines(.field, MAX_NAME), clip(.value), clip_lines(.message, MAX_MESSAGE_LINE))]
    Field {
        /// Path of the file.
        file: String,
        /// 1-based line.
        line: usize,
        /// Column or key.
        field: String,
        /// The value as written.
        value: String,
        /// What is wrong with it.
        message: String,
    },
    /// The file as a whole is unusable (unreadable, malformed, empty).
    #[error("{}: {}", clip_lines(.file, MAX_NAME), clip_lines(.message, MAX_MESSAGE_LINE))]
    File {
        /// Path of the file.
        file: String,
        /// What is wrong.
        message: String,
    },
    /// The config with these inputs applied is invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
}

/// New rules that cannot continue a run: their structure differs.
#[derive(Debug, Error)]
#[error("cannot switch rules mid-run: {0}")]
pub struct StructureError(pub String);

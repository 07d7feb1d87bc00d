//! Binary snapshots of a run (bincode), to branch scenarios from a shared
//! history or resume a run, in memory (`--branch-at`) or on disk
//! (`run --save-snapshot`, `--from-snapshot`). Versioned and checksummed; a
//! snapshot from another format version, another config, or a corrupt or
//! truncated file is refused with a clear error. Encoding and decoding are
//! pure; the edge reads and writes the bytes.
//!
//! Layout: `CSIMSNAP`, the format version (a varint), the rest of the
//! bincode body, then the FNV-1a 64 checksum of everything before it (8
//! bytes, little-endian).

use std::collections::BTreeMap;

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

use crate::clinician::Clinician;
use crate::error::SnapshotError;
use crate::ledger::{Duration, MonthRecord};
use crate::rules::Rules;
use crate::schedule::{Clock, History};

/// Bumped whenever the snapshot layout or the meaning of a field changes.
pub const FORMAT_VERSION: u32 = 5;
const MAGIC: [u8; 8] = *b"CSIMSNAP";

/// The whole state of a run at the end of a month.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Snapshot {
    magic: [u8; 8],
    format_version: u32,
    /// careersim version that wrote it.
    pub careersim_version: String,
    /// Hash of the config it was made from, without its horizon
    /// (`Rules::history_hash`): the same history continues under any
    /// `model.months`.
    pub config_hash: u64,
    /// Run seed.
    pub seed: u64,
    /// Month completed.
    pub month: u32,
    next_id: u64,
    initial_population: u64,
    pause_used: u32,
    leaver_inert: bool,
    clinicians: Vec<Clinician>,
    removed_leavers: Vec<u32>,
    records: Vec<MonthRecord>,
    durations: Vec<(Duration, Vec<(u64, u64)>)>,
}

impl Snapshot {
    /// Captures a run's state.
    pub fn capture(
        rules: &Rules,
        clock: &Clock,
        clinicians: Vec<Clinician>,
        removed_leavers: Vec<u32>,
        history: &History,
    ) -> Snapshot {
        Snapshot {
            magic: MAGIC,
            format_version: FORMAT_VERSION,
            careersim_version: env!("CARGO_PKG_VERSION").into(),
            config_hash: rules.history_hash,
            seed: clock.seed,
            month: clock.month,
            next_id: clock.next_id,
            initial_population: clock.initial_population,
            pause_used: clock.pause_used,
            leaver_inert: clock.leaver_inert,
            clinicians,
            removed_leavers,
            records: history.records.clone(),
            durations: history
                .durations
                .iter()
                .map(|(d, h)| {
                    (
                        *d,
                        h.iter_recorded()
                            .map(|v| (v.value_iterated_to(), v.count_at_value()))
                            .collect(),
                    )
                })
                .collect(),
        }
    }

    /// Encodes to bytes, with the checksum appended.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bytes =
            bincode::serde::encode_to_vec(self, bincode::config::standard()).expect("snapshot types always encode");
        let sum = crate::rules::fnv1a(&bytes);
        bytes.extend_from_slice(&sum.to_le_bytes());
        bytes
    }

    /// Decodes bytes, checking magic, format version and checksum.
    pub fn from_bytes(bytes: &[u8]) -> Result<Snapshot, SnapshotError> {
        if bytes.len() < 8 || bytes[..8] != MAGIC {
            return Err(SnapshotError::Corrupt("missing careersim snapshot header".into()));
        }
        // The version follows the magic as a varint; read it before the rest.
        let (version, _): (u32, usize) = bincode::serde::decode_from_slice(&bytes[8..], bincode::config::standard())
            .map_err(|e| SnapshotError::Corrupt(e.to_string()))?;
        if version != FORMAT_VERSION {
            return Err(SnapshotError::Version {
                found: version,
                expected: FORMAT_VERSION,
            });
        }
        let Some(body_len) = bytes.len().checked_sub(8).filter(|&n| n > 8) else {
            return Err(SnapshotError::Corrupt("truncated: no checksum".into()));
        };
        let (body, sum) = bytes.split_at(body_len);
        let sum = u64::from_le_bytes(sum.try_into().expect("8 bytes"));
        if crate::rules::fnv1a(body) != sum {
            return Err(SnapshotError::Corrupt(
                "checksum mismatch (the file is truncated or damaged)".into(),
            ));
        }
        let (snap, used): (Snapshot, usize) = bincode::serde::decode_from_slice(body, bincode::config::standard())
            .map_err(|e| SnapshotError::Corrupt(e.to_string()))?;
        if used != body.len() {
            return Err(SnapshotError::Corrupt(format!("{} trailing bytes", body.len() - used)));
        }
        Ok(snap)
    }

    /// Splits into run parts, checking it belongs to these rules.
    pub fn into_parts(self, rules: &Rules) -> Result<(Clock, Vec<Clinician>, Vec<u32>, History), SnapshotError> {
        if self.config_hash != rules.history_hash {
            return Err(SnapshotError::ConfigMismatch {
                found: format!("{:016x}", self.config_hash),
                expected: format!("{:016x}", rules.history_hash),
            });
        }
        let mut durations = BTreeMap::new();
        for (d, values) in self.durations {
            let mut h =
                Histogram::<u64>::new_with_bounds(1, 2400, 3).map_err(|e| SnapshotError::Corrupt(e.to_string()))?;
            for (v, n) in values {
                h.record_n(v, n).map_err(|e| SnapshotError::Corrupt(e.to_string()))?;
            }
            durations.insert(d, h);
        }
        Ok((
            Clock {
                seed: self.seed,
                month: self.month,
                next_id: self.next_id,
                initial_population: self.initial_population,
                pause_used: self.pause_used,
                leaver_inert: self.leaver_inert,
            },
            self.clinicians,
            self.removed_leavers,
            History {
                records: self.records,
                durations,
            },
        ))
    }
}

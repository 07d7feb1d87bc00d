//! Work units: how a batch of independent model runs is computed.
//!
//! The core (scenario ensembles, ABC-SMC and Nelder-Mead, replicated fits
//! and hindcasts) describes a batch — `n` units, each a pure function of its
//! index — and hands it to a [`Pool`]. The pool decides where the units run:
//! on this process's threads ([`Threads`]), or, at the edge, across MPI ranks
//! and with finished units taken from a checkpoint (`careersim` binary,
//! `cli/job.rs`). A unit's result travels as bytes (bincode), and results come
//! back in unit order whoever computed them, so no output depends on the
//! thread count, the rank count or on a job having been resumed.

use rayon::prelude::*;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Computes batches of independent units.
pub trait Pool {
    /// Computes `unit(i)` for every `i` in `0..n` and returns the results in
    /// index order. `batch` names the batch uniquely within a job, the same
    /// on every rank and in every rerun of the job (a checkpoint finds
    /// finished units by it).
    fn map(&self, batch: &str, n: usize, unit: &(dyn Fn(usize) -> Vec<u8> + Sync)) -> Result<Vec<Vec<u8>>, WorkError>;
}

/// Why a batch could not be computed.
#[derive(Debug, thiserror::Error)]
pub enum WorkError {
    /// The checkpoint could not be written or holds an unreadable unit.
    #[error("checkpoint {path}: {message}")]
    Checkpoint {
        /// The checkpoint directory.
        path: String,
        /// What went wrong.
        message: String,
    },
    /// Another process of the job failed (MPI), or the transport failed.
    #[error("{0}")]
    Job(String),
    /// A unit failed (its own error, as text: it may have run on another
    /// rank).
    #[error("{0}")]
    Unit(String),
}

/// Every unit on this process's rayon pool.
pub struct Threads;

impl Pool for Threads {
    fn map(&self, _batch: &str, n: usize, unit: &(dyn Fn(usize) -> Vec<u8> + Sync)) -> Result<Vec<Vec<u8>>, WorkError> {
        Ok((0..n).into_par_iter().map(unit).collect())
    }
}

/// Encodes a unit's result.
pub fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    bincode::serde::encode_to_vec(value, bincode::config::standard()).expect("unit results always encode")
}

/// Decodes a unit's result.
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, String> {
    match bincode::serde::decode_from_slice::<T, _>(bytes, bincode::config::standard()) {
        Ok((v, used)) if used == bytes.len() => Ok(v),
        Ok((_, used)) => Err(format!("{} trailing bytes in a unit result", bytes.len() - used)),
        Err(e) => Err(e.to_string()),
    }
}

/// Computes a batch of typed units on `pool`: `unit(i)` for `i` in `0..n`,
/// in index order.
pub fn map<T, F>(pool: &dyn Pool, batch: &str, n: usize, unit: F) -> Result<Vec<T>, WorkError>
where
    T: Serialize + DeserializeOwned,
    F: Fn(usize) -> T + Sync,
{
    let raw = pool.map(batch, n, &|i| encode(&unit(i)))?;
    raw.iter()
        .enumerate()
        .map(|(i, b)| {
            decode(b).map_err(|m| WorkError::Job(format!("batch {batch}, unit {i}: cannot decode its result: {m}")))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A pool that computes the units in reverse, one at a time: results
    /// must still come back in index order.
    struct Backwards;
    impl Pool for Backwards {
        fn map(
            &self,
            _batch: &str,
            n: usize,
            unit: &(dyn Fn(usize) -> Vec<u8> + Sync),
        ) -> Result<Vec<Vec<u8>>, WorkError> {
            let mut v: Vec<Vec<u8>> = (0..n).rev().map(unit).collect();
            v.reverse();
            Ok(v)
        }
    }

    #[test]
    fn results_come_back_in_unit_order_whatever_the_pool() {
        let f = |i: usize| (i as u64 * 7, format!("unit {i}"));
        let a = map(&Threads, "t", 50, f).unwrap();
        let b = map(&Backwards, "t", 50, f).unwrap();
        assert_eq!(a, b);
        assert_eq!(a[49], (343, "unit 49".to_string()));
    }

    #[test]
    fn a_damaged_result_is_an_error_not_a_panic() {
        assert!(decode::<(u64, String)>(&[200, 1]).is_err());
        let mut b = encode(&5u64);
        b.push(0);
        assert!(decode::<u64>(&b).unwrap_err().contains("trailing"));
    }
}

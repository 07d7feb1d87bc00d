//! careersim: an agent-based microsimulation of NHS England clinician careers.
//!
//! See ARCHITECTURE.md for the code map and invariants. The model core
//! (`clinician`, `rules`, `mechanisms`, `step`, `schedule`, `ledger`,
//! `population`, `kpis`, `snapshot`) does no IO; `config` reads files and
//! `output` writes them, at the edge.
#![warn(missing_docs)]

pub mod calendar;
pub mod calibration;
pub mod clinician;
pub mod config;
pub mod destination;
pub mod ensemble;
pub mod error;
pub mod kpis;
pub mod ledger;
pub mod limits;
pub mod load;
pub mod mechanisms;
pub mod output;
pub mod population;
pub mod random;
pub mod rules;
pub mod scenario;
pub mod schedule;
pub mod series;
pub mod snapshot;
pub mod step;
pub mod work;

#[cfg(test)]
pub(crate) mod testutil;

pub use load::{BASELINE, load_rules};
pub use schedule::Simulation;

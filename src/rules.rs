//! Validation of a raw config and its compilation into dense rule tables.
//!
//! `Compiler::compile` (run by [`compile`]) is the one list of the config's
//! sections, in the order they are compiled; each section is validated and
//! compiled beside the rules that use it (`mechanisms::<name>::compile`,
//! `population::compile`, `ledger::compile_state_fte`; `[model]` and
//! `[[region]]` in `frame`), with the shared checks of `Compiler`
//! (`compiler`: probabilities, counts, year series, errors).
//!
//! **Architecture invariant:** a config is validated once, through
//! [`compile`], at the edge; every rate, duration and capacity the model uses
//! comes from `Rules`, and the model itself never fails on a `Rules` value.

mod compiler;
mod frame;

pub(crate) use compiler::{Compiler, check_unique};

use std::sync::Arc;

use crate::calendar::YearMonth;
use crate::clinician::State;
use crate::config::RawConfig;
use crate::error::ConfigError;
use crate::ledger;
use crate::limits::{MAX_POPULATION, MAX_POPULATION_SCALE, fmt_num, peak_population};
use crate::mechanisms::{
    cost, hazards, ics, inflow, ltft, nursing_field, pause, pension, progression, recruitment, retirement, returners,
    specialty,
};
use crate::population;

pub use crate::mechanisms::establishment::Establishment;
pub use crate::mechanisms::inflow::{
    Inflow, JoinerIds, MAX_INFLOWS_BY_ORIGIN, MAX_JOINERS_PER_MONTH, MAX_REGIONS_BY_ORIGIN, MAX_SHARE_BY_ORIGIN,
};
pub use crate::mechanisms::pause::PauseRules;
pub use crate::mechanisms::recruitment::{Family, Scheme};
pub use crate::mechanisms::returners::ReturnerRules;

/// Oldest age (months) the age-band lookup covers; older ages use the last band.
pub const MAX_AGE_MONTHS: usize = 110 * 12;
/// Most age band boundaries (a band index is a `u8`).
pub const MAX_AGE_BANDS: usize = 254;
/// Most hazards (a hazard and its FTE table are indexed by `u16`, with
/// `u16::MAX` reserved for [`FTE_UNCHANGED`]).
pub const MAX_HAZARDS: usize = 65_000;
/// Marker: an outcome leaves the FTE unchanged.
pub const FTE_UNCHANGED: u16 = u16::MAX;

/// The kind of a grade.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GradeKind {
    /// A pre-registration course.
    Student,
    /// A training grade (progress in WTE-months, LTFT, pause).
    Training,
    /// An employed, post-training grade.
    Employed,
}

/// A staff group.
#[derive(Clone, Debug)]
pub struct Group {
    /// Name.
    pub name: String,
    /// Pension age in months.
    pub pension_age_months: u16,
    /// Monthly retirement threshold at or after pension age.
    pub retire_threshold: u64,
    /// Forced retirement age in months.
    pub max_age_months: u16,
    /// State entered on retirement.
    pub retire_to: State,
    /// Whether students retire.
    pub students_retire: bool,
    /// Funded establishment, if configured.
    pub establishment: Option<Establishment>,
}

/// A grade.
#[derive(Clone, Debug)]
pub struct Grade {
    /// Name.
    pub name: String,
    /// Group index.
    pub group: u8,
    /// Kind.
    pub kind: GradeKind,
    /// Course or training length, tenths of a WTE-month (0 for employed).
    pub duration_tenths: u16,
    /// Grade entered on completion.
    pub next: Option<u8>,
    /// Completion is a CCT.
    pub awards_cct: bool,
    /// Entry starts the pathway clock.
    pub starts_pathway: bool,
    /// Completing into this (employed) grade keeps the pathway clock.
    pub keeps_pathway: bool,
    /// OOP Pause allowed.
    pub pause_eligible: bool,
    /// Mean FTE on entry as qualified.
    pub fte_mean: f64,
    /// Threshold of the draw by which a completer joins `next`'s leaver pool
    /// instead of taking it up (0: all take it up).
    pub completion_leaver_threshold: u64,
}

/// One competing outcome of a hazard cell.
#[derive(Clone, Copy, Debug)]
pub struct Outcome {
    /// Cumulative threshold (32.32 fixed point) up to and including this outcome.
    pub cum_threshold: u64,
    /// Target state.
    pub to_state: State,
    /// Target grade.
    pub to_grade: u8,
    /// Index into `Rules::fte_choices`, or `FTE_UNCHANGED`.
    pub fte_choice: u16,
    /// Index of the hazard in the config (for flow labels and errors).
    pub hazard: u16,
}

/// A yearly series, validated.
#[derive(Clone, Debug)]
pub struct Series {
    first_year: i32,
    values: Vec<f64>,
}

impl Series {
    /// Value for a year: the first value before the series starts, the last after it ends.
    pub fn at(&self, year: i32) -> f64 {
        let i = (year - self.first_year).clamp(0, self.values.len() as i32 - 1);
        self.values[i as usize]
    }

    /// Every value times `k`.
    pub fn scaled(mut self, k: f64) -> Series {
        for v in &mut self.values {
            *v *= k;
        }
        self
    }
}

/// An initial stock block.
#[derive(Clone, Debug)]
pub struct Stock {
    /// Grade.
    pub grade: u8,
    /// State.
    pub state: State,
    /// Headcount.
    pub headcount: u64,
    /// Age range in months.
    pub age_months: (u16, u16),
    /// Female threshold.
    pub female_threshold: u64,
    /// Mean FTE.
    pub fte_mean: f64,
    /// Months already in the state at the start, `(min, max)`.
    pub months_in_state: Option<(u16, u16)>,
    /// Progress through the grade at the start thinned by its exit hazards
    /// (`progress = "survivors"`) rather than uniform.
    pub progress_survivors: bool,
    /// Whole cohorts `(months since intake within the year, share)`; empty:
    /// progress spread over every month.
    pub cohorts: Vec<(u16, f64)>,
}

/// The deterministic lattice layout (see `population`).
#[derive(Clone, Debug)]
pub struct Lattice {
    /// Number of clinicians.
    pub agents: u64,
    /// (weight, group) in config order of names.
    pub groups: Vec<(u32, u8)>,
    /// (weight, state).
    pub states: Vec<(u32, State)>,
    /// Grade by group and state.
    pub grade_of: Vec<[u8; State::COUNT]>,
    /// Age base, stride, span in months.
    pub age: (u32, u64, u32),
    /// FTE tenths of clinicians laid out as LTFT.
    pub ltft_fte_tenths: u8,
}

/// How the initial population is made.
#[derive(Clone, Debug)]
pub enum Initial {
    /// From stocks.
    Stocks(Vec<Stock>),
    /// From a lattice.
    Lattice(Lattice),
}

/// What the hot loop needs about one (grade, state), in one place.
#[derive(Clone, Copy, Debug)]
pub struct StepRow {
    /// Age (months) from which retirement applies in this state (`u16::MAX`: never).
    pub retire_from: u16,
    /// Age at which retirement is certain.
    pub retire_forced: u16,
    /// Monthly retirement threshold between the two.
    pub retire_threshold: u64,
    /// State retired to.
    pub retire_to: State,
    /// Outcomes (start, len) when they depend on neither age band nor sex.
    pub flat_hazards: Option<(u32, u32)>,
    /// The quiet month of this (grade, state), when the step can tell it
    /// without the general rules: see [`QuietMonth`].
    pub quiet: Option<QuietMonth>,
}

/// What the hot loop needs to recognise the common month in which nothing
/// happens — no retirement, no hazard, no completion — and to apply it (the
/// progress accrual) without the general rules. Exactly the general rules'
/// outcome for that month; any other month takes the general path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QuietMonth {
    /// The hazards' total threshold: a draw at or above it fires none
    /// (0: no hazards, no draw).
    pub hazard_total: u64,
    /// Progress accrued a month, tenths of a WTE-month; `PROGRESS_AT_FTE`:
    /// the clinician's own FTE (LTFT).
    pub progress: u8,
    /// Progress at which the grade completes (`u16::MAX`: never).
    pub completes_at: u16,
}

/// `QuietMonth::progress` marker: accrue the clinician's FTE in tenths.
pub const PROGRESS_AT_FTE: u8 = u8::MAX;

/// Everything the model needs, validated and dense.
#[derive(Clone, Debug)]
pub struct Rules {
    /// Config name.
    pub name: String,
    /// Named scopes of the series vocabulary (`[[scope]]`).
    pub scopes: Vec<crate::series::NamedScope>,
    /// Month 0.
    pub start: YearMonth,
    /// Months to run.
    pub months: u32,
    /// Default seed.
    pub seed: u64,
    /// FNV-1a hash of the canonical config.
    pub config_hash: u64,
    /// FNV-1a hash of the canonical config without `model.months`: what a
    /// snapshot must match, since a history continues under any horizon.
    /// Set by `load_rules`; `compile` alone sets it to `config_hash`.
    pub history_hash: u64,
    /// Population scale k (a 1-in-k sample; 1 = full population).
    pub population_scale: f64,
    /// How joiners are numbered.
    pub joiner_ids: JoinerIds,
    /// Region names.
    pub regions: Vec<String>,
    /// With `[[ics]]`: the NHS England regions, each a group of the ICSs
    /// that are then `regions` (empty without ICSs).
    pub region_groups: Vec<String>,
    /// Per region (ICS), its index in `region_groups` (empty without ICSs).
    pub region_group_of: Vec<u8>,
    /// Region shares.
    pub region_shares: Vec<f64>,
    /// Groups.
    pub groups: Vec<Group>,
    /// Grades.
    pub grades: Vec<Grade>,
    /// Age band of each age in months.
    pub band_of_age: Vec<u8>,
    /// Number of age bands.
    pub n_bands: usize,
    /// (start, len) into `outcomes` per (grade, state, band, sex) cell.
    pub cells: Vec<(u32, u32)>,
    /// All hazard outcomes.
    pub outcomes: Vec<Outcome>,
    /// FTE choice tables: (cumulative threshold, tenths).
    pub fte_choices: Vec<Vec<(u64, u8)>>,
    /// Hazard names, by config index.
    pub hazard_names: Vec<String>,
    /// Inflows.
    pub inflows: Vec<Inflow>,
    /// Recruitment schemes.
    pub schemes: Vec<Scheme>,
    /// Families of schemes sharing one application (`[[recruitment]] family`).
    pub scheme_families: Vec<Family>,
    /// Families of inflows split from one (`nursing_intake` over its
    /// nursing fields); a series naming the family counts every member.
    pub inflow_families: Vec<Family>,
    /// The `[[specialty]]` split: each specialty's name, programme (`core`,
    /// `uncoupled`, `run_through`) and, for a later curriculum, the
    /// specialty it belongs to; its grades are `<template>_<name>` and its
    /// scopes `<name>` and `trainee_<name>`.
    pub specialties: Vec<(String, String, Option<String>)>,
    /// The `[[nursing_field]]` split: the fields' names; their grades are
    /// `<template>_<field>` and their scopes `nurse_<field>`.
    pub nursing_fields: Vec<String>,
    /// OOP Pause.
    pub pause: PauseRules,
    /// Returners.
    pub returners: ReturnerRules,
    /// FTE of each state: `None` = own.
    pub state_fte: [Option<u8>; State::COUNT],
    /// Initial population.
    pub initial: Initial,
    /// Hot-loop rows by `grade * State::COUNT + state`.
    pub rows: Vec<StepRow>,
    /// The hazard tables (cells, outcomes, rows) of every calendar year
    /// from `hazard_first_year`; `cells`, `outcomes` and `rows` above are
    /// those of `hazard_year`, switched in by [`Rules::for_year`].
    pub hazard_years: Arc<Vec<HazardYear>>,
    /// Calendar year of `hazard_years[0]`.
    pub hazard_first_year: i32,
    /// Index into `hazard_years` of the tables in force.
    pub hazard_year: usize,
    /// `[cost]`: prices, if configured.
    pub cost: Option<crate::mechanisms::cost::CostRules>,
    /// `[pensions]`: scheme sections and retirement rules, if configured.
    pub pensions: Option<crate::mechanisms::pension::PensionRules>,
}

/// One calendar year's hazard tables and the hot-loop rows built on them.
#[derive(Clone, Debug)]
pub struct HazardYear {
    /// (start, len) into `outcomes` per cell.
    pub cells: Vec<(u32, u32)>,
    /// All hazard outcomes.
    pub outcomes: Vec<Outcome>,
    /// Hot-loop rows.
    pub rows: Vec<StepRow>,
}

impl Rules {
    /// The rules with the hazard tables of `year` in force, when they are
    /// not already (`hazard.*.multiplier_by_year`); `None` otherwise.
    pub fn for_year(&self, year: i32) -> Option<Rules> {
        let i = (year - self.hazard_first_year).clamp(0, self.hazard_years.len() as i32 - 1) as usize;
        if i == self.hazard_year {
            return None;
        }
        let y = &self.hazard_years[i];
        Some(Rules {
            cells: y.cells.clone(),
            outcomes: y.outcomes.clone(),
            rows: y.rows.clone(),
            hazard_year: i,
            ..self.clone()
        })
    }

    /// Index of the hazard cell.
    #[inline(always)]
    pub fn cell_index(&self, grade: u8, state: State, band: u8, female: bool) -> usize {
        (((grade as usize * State::COUNT + state as usize) * self.n_bands + band as usize) << 1) | female as usize
    }

    /// The hot-loop row of (grade, state).
    #[inline(always)]
    pub fn row(&self, grade: u8, state: State) -> &StepRow {
        &self.rows[grade as usize * State::COUNT + state as usize]
    }

    /// The competing outcomes of a cell.
    #[inline(always)]
    pub fn outcomes_of(&self, grade: u8, state: State, age_months: u16, female: bool) -> &[Outcome] {
        if let Some((s, l)) = self.row(grade, state).flat_hazards {
            return &self.outcomes[s as usize..(s + l) as usize];
        }
        let band = self.band_of_age[(age_months as usize).min(MAX_AGE_MONTHS)];
        let (s, l) = self.cells[self.cell_index(grade, state, band, female)];
        &self.outcomes[s as usize..(s + l) as usize]
    }

    /// Group index of a grade.
    #[inline(always)]
    pub fn group_of(&self, grade: u8) -> u8 {
        self.grades[grade as usize].group
    }

    /// Grade index by name.
    pub fn grade_index(&self, name: &str) -> Option<u8> {
        self.grades.iter().position(|g| g.name == name).map(|i| i as u8)
    }

    /// Group index by name.
    pub fn group_index(&self, name: &str) -> Option<u8> {
        self.groups.iter().position(|g| g.name == name).map(|i| i as u8)
    }

    /// The regions a planner reads by: the NHS England regions when the
    /// config has ICSs (each a group of them), else the model's regions.
    pub fn reporting_regions(&self) -> &[String] {
        if self.region_groups.is_empty() {
            &self.regions
        } else {
            &self.region_groups
        }
    }

    /// The region whose posts a clinician of region `r` competes for: its
    /// NHS England region when the config has ICSs, else `r`.
    #[inline]
    pub fn recruitment_region(&self, r: u8) -> u8 {
        if self.region_groups.is_empty() {
            r
        } else {
            self.region_group_of[r as usize]
        }
    }

    /// Number of stock cells (grade x state x region).
    pub fn n_stock_cells(&self) -> usize {
        self.grades.len() * State::COUNT * self.regions.len()
    }

    /// Stock cell of (grade, state, region).
    #[inline(always)]
    pub fn stock_cell(&self, grade: u8, state: State, region: u8) -> usize {
        (grade as usize * State::COUNT + state as usize) * self.regions.len() + region as usize
    }

    /// (grade, state, region) of a stock cell.
    pub fn cell_parts(&self, cell: usize) -> (u8, State, u8) {
        let r = cell % self.regions.len();
        let gs = cell / self.regions.len();
        (
            (gs / State::COUNT) as u8,
            State::from_u8((gs % State::COUNT) as u8),
            r as u8,
        )
    }
}

/// Per ICS, the index of its NHS England region.
fn region_group_of(n: usize, groups: &[(String, Vec<usize>)]) -> Vec<u8> {
    let mut of = vec![0u8; if groups.is_empty() { 0 } else { n }];
    for (gi, (_, members)) in groups.iter().enumerate() {
        for &m in members {
            of[m] = gi as u8;
        }
    }
    of
}

/// FNV-1a 64.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
        (h ^ b as u64).wrapping_mul(0x100_0000_01b3)
    })
}

/// Builds validated rules from a raw config; `file` names the source in errors
/// and `canonical` is the config text the hash is computed from.
pub fn compile(file: &str, raw: &RawConfig, canonical: &str) -> Result<Rules, ConfigError> {
    let scale = raw.model.population_scale.unwrap_or(1.0);
    if !scale.is_finite() || !(1.0..=MAX_POPULATION_SCALE).contains(&scale) {
        return Err(ConfigError::Invalid {
            file: file.into(),
            key: "model.population_scale".into(),
            value: fmt_num(scale),
            message: format!("must be a number in [1, {MAX_POPULATION_SCALE:e}] (simulate a 1-in-k sample)"),
        });
    }
    // `[[specialty]]` splits template grades before anything is compiled.
    let expanded = specialty::expand(&Compiler { file, raw, scale }, raw)?;
    let raw = expanded.as_ref().unwrap_or(raw);
    // Then `[[nursing_field]]` splits the nurse grades.
    let fielded = nursing_field::expand(&Compiler { file, raw, scale }, raw)?;
    let raw = fielded.as_ref().unwrap_or(raw);
    // And `[[ics]]` puts the ICSs under the regions.
    let by_ics = ics::expand(&Compiler { file, raw, scale }, raw)?;
    let raw = by_ics.as_ref().unwrap_or(raw);
    Compiler { file, raw, scale }.compile(fnv1a(canonical.as_bytes()))
}

impl Compiler<'_> {
    /// The config's sections, compiled in this order (a config with several
    /// errors reports the first in this order). Each section validates and
    /// compiles beside its rules: adding a mechanism adds its module's
    /// `compile` and one line here.
    fn compile(&self, config_hash: u64) -> Result<Rules, ConfigError> {
        let raw = self.raw;
        let start = frame::model(self, &raw.model)?;
        let (regions, region_shares) = frame::regions(self, &raw.region)?;
        // Training posts are recruited by NHS England region (HEE's local
        // offices) when the regions are split into ICSs.
        let recruitment_shares: Vec<f64> = if raw.region_groups.is_empty() {
            region_shares.clone()
        } else {
            raw.region_groups
                .iter()
                .map(|(_, m)| m.iter().map(|&i| region_shares[i]).sum())
                .collect()
        };
        let groups = retirement::compile(self, &raw.group, start.year)?;
        let grades = progression::compile(self, &raw.grade, &groups)?;
        let pensions = pension::compile(self, raw.pensions.as_ref(), &groups, &grades, start)?;
        let (n_bands, band_of_age) = hazards::compile_age_bands(self, &raw.model.age_bands_years)?;
        ltft::compile(self, &raw.ltft)?;
        let hazards = hazards::compile(
            self,
            &raw.hazard,
            &raw.ltft,
            raw.pause.enabled,
            &groups,
            &grades,
            &raw.model.age_bands_years,
            start.year,
        )?;
        let (inflows, inflow_families, joiner_ids) = inflow::compile(
            self,
            &raw.inflow,
            raw.model.joiner_ids.as_deref(),
            &grades,
            regions.len(),
            start.year,
        )?;
        let (schemes, scheme_families) =
            recruitment::compile(self, &raw.recruitment, &grades, &recruitment_shares, start.year)?;
        let pause = pause::compile(self, &raw.pause)?;
        let returners = returners::compile(self, &raw.returners)?;
        let state_fte = ledger::compile_state_fte(self, &raw.state_fte)?;
        let initial = population::compile(self, &raw.initial, &raw.stock, &raw.ltft, &grades, &groups)?;
        let scopes = crate::series::compile_scopes(self, &raw.scope, &grades, &groups)?;
        let cost = cost::compile(
            self,
            raw.cost.as_ref(),
            &grades,
            &inflows,
            &inflow_families,
            &schemes,
            &scheme_families,
        )?;

        let hazard_years: Vec<HazardYear> = hazards
            .years
            .into_iter()
            .map(|y| HazardYear {
                rows: {
                    let mut rows = step_rows(&grades, &groups, &y.cells, &y.outcomes, n_bands);
                    if let Some(p) = &pensions {
                        pension::adjust_rows(p, &grades, &mut rows);
                    }
                    rows
                },
                cells: y.cells,
                outcomes: y.outcomes,
            })
            .collect();
        let first = hazard_years[0].clone();
        let rules = Rules {
            rows: first.rows,
            hazard_years: Arc::new(hazard_years),
            hazard_first_year: hazards.first_year,
            hazard_year: 0,
            name: raw.model.name.clone(),
            start,
            months: raw.model.months,
            seed: raw.model.seed,
            config_hash,
            history_hash: config_hash,
            population_scale: self.scale,
            joiner_ids,
            region_group_of: region_group_of(regions.len(), &raw.region_groups),
            region_groups: raw.region_groups.iter().map(|g| g.0.clone()).collect(),
            regions,
            region_shares,
            groups,
            grades,
            band_of_age,
            n_bands,
            cells: first.cells,
            outcomes: first.outcomes,
            fte_choices: hazards.fte_choices,
            hazard_names: hazards.names,
            inflows,
            inflow_families,
            schemes,
            scheme_families,
            specialties: raw.specialties_split.clone(),
            nursing_fields: raw.nursing_fields_split.clone(),
            pause,
            returners,
            state_fte,
            initial,
            scopes,
            cost,
            pensions,
        };
        self.check_population(&rules)?;
        Ok(rules)
    }

    /// The initial population plus every planned joiner must stay within
    /// `limits::MAX_POPULATION`; the error names the largest contributor.
    fn check_population(&self, rules: &Rules) -> Result<(), ConfigError> {
        let peak = peak_population(rules, None);
        if peak <= MAX_POPULATION {
            return Ok(());
        }
        let message = format!(
            "the run would hold up to {peak} clinicians (initial population plus joiners over {} months, \
             at population scale {}); at most {MAX_POPULATION}",
            rules.months, self.scale
        );
        let initial = crate::limits::initial_population(rules, None);
        if initial > MAX_POPULATION / 2 || rules.inflows.is_empty() {
            return Err(self.err("stock.headcount", initial, message));
        }
        // The inflow with the most places in a year.
        let top = rules
            .inflows
            .iter()
            .max_by(|a, b| {
                let m = |f: &Inflow| {
                    f.places
                        .as_ref()
                        .map_or(0.0, |p| p.values.iter().copied().fold(0.0, f64::max))
                };
                m(a).total_cmp(&m(b))
            })
            .map_or(String::from("inflow"), |f| format!("inflow.{}.per_year", f.name));
        Err(self.err(top, peak, message))
    }
}

fn step_rows(
    grades: &[Grade],
    groups: &[Group],
    cells: &[(u32, u32)],
    outcomes: &[Outcome],
    n_bands: usize,
) -> Vec<StepRow> {
    let same = |a: (u32, u32), b: (u32, u32)| {
        a.1 == b.1
            && (0..a.1 as usize).all(|k| {
                let (x, y) = (&outcomes[a.0 as usize + k], &outcomes[b.0 as usize + k]);
                (x.cum_threshold, x.to_state, x.to_grade, x.fte_choice)
                    == (y.cum_threshold, y.to_state, y.to_grade, y.fte_choice)
            })
    };
    let mut rows = Vec::with_capacity(grades.len() * State::COUNT);
    for (gi, grade) in grades.iter().enumerate() {
        let group = &groups[grade.group as usize];
        for s in 0..State::COUNT {
            let state = State::from_u8(s as u8);
            let retires = match state {
                State::Student => group.students_retire,
                State::Leaver => group.retire_to != State::Leaver,
                _ => true,
            };
            let base = (gi * State::COUNT + s) * n_bands * 2;
            let first = cells[base];
            let flat = (1..n_bands * 2).all(|k| same(first, cells[base + k]));
            // The time rules of `progression::advance` that can leave a
            // month quiet; pause (cap) and returner (end of support) months
            // always take the general path.
            let progress = match state {
                State::Student | State::Trainee => Some(10),
                State::Ltft => Some(PROGRESS_AT_FTE),
                State::Qualified | State::OverseasRecruit | State::Leaver => Some(0),
                State::Pause | State::Returner | State::Gone => None,
            };
            let completes_at = match state {
                State::Student | State::Trainee | State::Ltft if grade.kind != GradeKind::Employed => {
                    grade.duration_tenths
                }
                _ => u16::MAX,
            };
            let hazard_total = (first.1 > 0).then(|| outcomes[(first.0 + first.1 - 1) as usize].cum_threshold);
            let quiet = match (flat, progress) {
                (true, Some(progress)) => Some(QuietMonth {
                    hazard_total: hazard_total.unwrap_or(0),
                    progress,
                    completes_at,
                }),
                _ => None,
            };
            rows.push(StepRow {
                retire_from: if retires { group.pension_age_months } else { u16::MAX },
                retire_forced: group.max_age_months,
                retire_threshold: group.retire_threshold,
                retire_to: group.retire_to,
                flat_hazards: flat.then_some(first),
                quiet,
            });
        }
    }
    rows
}

//! Validation of a raw config and its compilation into dense rule tables.
//!
//! **Architecture invariant:** a config is validated once, here, at the edge;
//! every rate, duration and capacity the model uses comes from `Rules`, and
//! the model itself never fails on a `Rules` value.

mod compiler;

pub(crate) use compiler::{Compiler, check_unique};

use crate::calendar::YearMonth;
use crate::clinician::State;
use crate::config::{FteRule, RawConfig, RawHazard};
use crate::error::ConfigError;
use crate::limits::{MAX_MONTHS, MAX_POPULATION, MAX_POPULATION_SCALE, fmt_num, peak_population};
use crate::random::threshold;

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

/// A group's funded establishment (budgeted FTE posts), for vacancies.
#[derive(Clone, Debug)]
pub struct Establishment {
    /// Share of the establishment vacant at month 0.
    pub vacancy_rate_at_start: f64,
    /// Yearly growth (a fraction, > -1), by calendar year.
    pub growth_annual_rate: Series,
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
}

/// Joiners a year of one inflow (and so a month, in one region) at most:
/// a joiner's number within its origin has 24 bits (`inflow::joiner_id`).
pub const MAX_JOINERS_PER_MONTH: u64 = 1 << 24;
/// Inflows at most when joiners are numbered by origin (6 bits).
pub const MAX_INFLOWS_BY_ORIGIN: usize = 64;
/// Regions at most when joiners are numbered by origin (5 bits).
pub const MAX_REGIONS_BY_ORIGIN: usize = 32;
/// Largest monthly share of the initial population (at most 2^32) that
/// keeps a month's joiners of one inflow within 24 bits.
pub const MAX_SHARE_BY_ORIGIN: f64 = 1.0 / 256.0;

/// How joiners are numbered; a clinician's id keys its random streams.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JoinerIds {
    /// From (month, inflow, region, number within them): common random
    /// numbers between scenarios survive a change to any one inflow.
    ByOrigin,
    /// On from the initial population, in order of arrival.
    Sequential,
}

/// A compiled inflow.
#[derive(Clone, Debug)]
pub struct Inflow {
    /// Name.
    pub name: String,
    /// Grade joined.
    pub grade: u8,
    /// State joined.
    pub state: State,
    /// Arrival calendar months, ascending.
    pub months: Vec<u32>,
    /// Places per year.
    pub places: Option<Series>,
    /// Applicants per year.
    pub applicants: Option<Series>,
    /// Per month, share of the initial population.
    pub per_month_share_of_initial: Option<f64>,
    /// Age range in months.
    pub age_months: (u16, u16),
    /// Female threshold.
    pub female_threshold: u64,
    /// FTE tenths.
    pub fte_tenths: u8,
}

/// A compiled recruitment scheme.
#[derive(Clone, Debug)]
pub struct Scheme {
    /// Name.
    pub name: String,
    /// Grade recruited into.
    pub into_grade: u8,
    /// State entered: `Trainee` in a training grade, `Qualified` in an
    /// employed one (routed through `Returner` after a long absence).
    pub into_state: State,
    /// Months an applicant must have been in its state.
    pub min_months_in_state: u16,
    /// Eligible grades (by grade index).
    pub from_grade: Vec<bool>,
    /// Eligible states.
    pub from_state: [bool; State::COUNT],
    /// Round months.
    pub months: Vec<u32>,
    /// Share of the year's posts per round.
    pub round_shares: Vec<f64>,
    /// Apply threshold.
    pub apply_threshold: u64,
    /// Posts per year.
    pub posts: Series,
    /// Share of the posts per region.
    pub region_shares: Vec<f64>,
}

/// OOP Pause rules.
#[derive(Clone, Debug)]
pub struct PauseRules {
    /// Pause hazards may fire.
    pub enabled: bool,
    /// Cap in months.
    pub max_months: u16,
    /// Remaining training needed, tenths of WTE-months.
    pub min_remaining_tenths: u16,
    /// Credit fraction on return.
    pub credit_fraction: f64,
    /// Approvals per approval year.
    pub capacity_per_year: Option<u32>,
    /// Calendar month the approval year starts.
    pub year_start_month: u32,
}

/// Returner rules.
#[derive(Clone, Debug)]
pub struct ReturnerRules {
    /// Months away from which returns go through the Returner state.
    pub threshold_months: u16,
    /// SuppoRTT months (0 = off).
    pub supportt_months: u16,
    /// Progress tenths per SuppoRTT month.
    pub supportt_progress_tenths: u16,
    /// Return to Practice months (0 = off).
    pub rtp_months: u16,
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
    /// Month 0.
    pub start: YearMonth,
    /// Months to run.
    pub months: u32,
    /// Default seed.
    pub seed: u64,
    /// FNV-1a hash of the canonical config.
    pub config_hash: u64,
    /// Population scale k (a 1-in-k sample; 1 = full population).
    pub population_scale: f64,
    /// How joiners are numbered.
    pub joiner_ids: JoinerIds,
    /// Region names.
    pub regions: Vec<String>,
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
}

impl Rules {
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
    Compiler { file, raw, scale }.compile(fnv1a(canonical.as_bytes()))
}
impl Compiler<'_> {
    fn compile(&self, config_hash: u64) -> Result<Rules, ConfigError> {
        let raw = self.raw;
        let start = YearMonth::parse_checked(&raw.model.start)
            .map_err(|m| self.err("model.start", format!("\"{}\"", raw.model.start), m))?;
        if raw.model.months == 0 || raw.model.months > MAX_MONTHS {
            return Err(self.err(
                "model.months",
                raw.model.months,
                format!("must be 1..={MAX_MONTHS} (at most 100 years)"),
            ));
        }
        if raw.model.name.is_empty()
            || !raw
                .model
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            return Err(self.err(
                "model.name",
                format!("\"{}\"", raw.model.name),
                "use letters, digits, _ and -",
            ));
        }

        // Regions.
        if raw.region.is_empty() || raw.region.len() > 255 {
            return Err(self.err("region", raw.region.len(), "need 1-255 regions"));
        }
        let regions: Vec<String> = raw.region.iter().map(|r| r.name.clone()).collect();
        check_unique(self, "region", &regions)?;
        let region_shares = self.shares(
            "region.share",
            &raw.region.iter().map(|r| r.share).collect::<Vec<_>>(),
            regions.len(),
        )?;

        // Groups.
        let mut groups = Vec::new();
        for g in &raw.group {
            let k = |f: &str| format!("group.{}.{f}", g.name);
            let pension = self.positive(&k("pension_age_years"), g.pension_age_years)?;
            let max_age = self.positive(&k("max_working_age_years"), g.max_working_age_years)?;
            if max_age < pension || max_age > 100.0 {
                return Err(self.err(
                    k("max_working_age_years"),
                    fmt_num(max_age),
                    "must be at least the pension age and at most 100",
                ));
            }
            let retire_to = self.state(&k("retire_to"), &g.retire_to, true)?;
            if !matches!(retire_to, State::Gone | State::Leaver) {
                return Err(self.err(k("retire_to"), &g.retire_to, "retirement goes to `gone` or `leaver`"));
            }
            let establishment = match (g.vacancy_rate_at_start, &g.establishment_growth_annual_rate) {
                (None, None) => None,
                (Some(v), Some(growth)) => {
                    let v = self.prob(&k("vacancy_rate_at_start"), v)?;
                    if v >= 1.0 {
                        return Err(self.err(k("vacancy_rate_at_start"), fmt_num(v), "must be below 1"));
                    }
                    Some(Establishment {
                        vacancy_rate_at_start: v,
                        growth_annual_rate: self.growth_series(
                            &k("establishment_growth_annual_rate"),
                            growth,
                            start.year,
                        )?,
                    })
                }
                (Some(_), None) => {
                    return Err(self.err(
                        k("establishment_growth_annual_rate"),
                        "(missing)",
                        "an establishment needs both `vacancy_rate_at_start` and `establishment_growth_annual_rate`",
                    ));
                }
                (None, Some(_)) => {
                    return Err(self.err(
                        k("vacancy_rate_at_start"),
                        "(missing)",
                        "an establishment needs both `vacancy_rate_at_start` and `establishment_growth_annual_rate`",
                    ));
                }
            };
            groups.push(Group {
                name: g.name.clone(),
                pension_age_months: (pension * 12.0).round() as u16,
                retire_threshold: threshold(self.prob(&k("retirement_monthly_prob"), g.retirement_monthly_prob)?),
                max_age_months: (max_age * 12.0).round() as u16,
                retire_to,
                students_retire: g.students_retire,
                establishment,
            });
        }
        if groups.is_empty() || groups.len() > 255 {
            return Err(self.err("group", groups.len(), "need 1-255 groups"));
        }
        check_unique(
            self,
            "group",
            &groups.iter().map(|g| g.name.clone()).collect::<Vec<_>>(),
        )?;

        // Grades.
        let mut grades: Vec<Grade> = Vec::new();
        for g in &raw.grade {
            let k = |f: &str| format!("grade.{}.{f}", g.name);
            let group = groups
                .iter()
                .position(|x| x.name == g.group)
                .ok_or_else(|| self.err(k("group"), format!("\"{}\"", g.group), "unknown group"))?
                as u8;
            let kind = match g.kind.as_str() {
                "student" => GradeKind::Student,
                "training" => GradeKind::Training,
                "employed" => GradeKind::Employed,
                other => {
                    return Err(self.err(
                        k("kind"),
                        format!("\"{other}\""),
                        "kind is student, training or employed",
                    ));
                }
            };
            let duration_tenths = match (kind, g.duration_wte_months) {
                (GradeKind::Employed, None) => 0,
                (GradeKind::Employed, Some(d)) => {
                    return Err(self.err(k("duration_wte_months"), fmt_num(d), "employed grades have no duration"));
                }
                (_, None) => {
                    return Err(self.err(
                        k("duration_wte_months"),
                        "(missing)",
                        "students and trainees need a duration",
                    ));
                }
                (_, Some(d)) => {
                    if !d.is_finite() || d <= 0.0 || d > 600.0 {
                        return Err(self.err(
                            k("duration_wte_months"),
                            fmt_num(d),
                            "a duration must be in (0, 600] months",
                        ));
                    }
                    (d * 10.0).round() as u16
                }
            };
            let fte_mean = g.fte_mean.unwrap_or(1.0);
            self.fte(&k("fte_mean"), fte_mean)?;
            if g.keeps_pathway && kind != GradeKind::Employed {
                return Err(self.err(
                    k("keeps_pathway"),
                    true,
                    "only an employed grade can keep the pathway clock",
                ));
            }
            grades.push(Grade {
                name: g.name.clone(),
                group,
                kind,
                duration_tenths,
                next: None,
                awards_cct: g.awards_cct,
                starts_pathway: g.starts_pathway,
                keeps_pathway: g.keeps_pathway,
                pause_eligible: g.pause_eligible,
                fte_mean,
            });
        }
        if grades.is_empty() || grades.len() > 255 {
            return Err(self.err("grade", grades.len(), "need 1-255 grades"));
        }
        check_unique(
            self,
            "grade",
            &grades.iter().map(|g| g.name.clone()).collect::<Vec<_>>(),
        )?;
        for (i, g) in raw.grade.iter().enumerate() {
            let key = format!("grade.{}.next", g.name);
            match (&g.next, grades[i].kind) {
                (Some(n), _) => {
                    let ni = self.grade(&key, n, &grades)?;
                    if grades[ni as usize].kind == GradeKind::Student {
                        return Err(self.err(key, format!("\"{n}\""), "cannot progress into a student grade"));
                    }
                    if ni as usize == i {
                        return Err(self.err(key, format!("\"{n}\""), "a grade cannot progress into itself"));
                    }
                    grades[i].next = Some(ni);
                }
                (None, GradeKind::Employed) => {}
                (None, _) => {
                    return Err(self.err(key, "(missing)", "students and trainees need a next grade"));
                }
            }
        }
        // Progression must end: following `next` from any grade reaches a
        // grade without one. A cycle is reported from its first grade.
        for start_grade in 0..grades.len() {
            let mut seen = vec![start_grade];
            let mut g = start_grade;
            while let Some(n) = grades[g].next {
                g = n as usize;
                if let Some(pos) = seen.iter().position(|&x| x == g) {
                    let first = seen[pos];
                    let mut names: Vec<&str> = seen[pos..].iter().map(|&x| grades[x].name.as_str()).collect();
                    names.push(grades[first].name.as_str());
                    return Err(self.err(
                        format!("grade.{}.next", grades[first].name),
                        format!("\"{}\"", names[1]),
                        format!("grade progression has a cycle: {}", names.join(" -> ")),
                    ));
                }
                seen.push(g);
            }
        }

        // Age bands.
        let bands = &raw.model.age_bands_years;
        if bands.windows(2).any(|w| w[1] <= w[0]) || bands.iter().any(|b| !b.is_finite() || *b <= 0.0 || *b > 100.0) {
            return Err(self.err(
                "model.age_bands_years",
                format!("{bands:?}"),
                "boundaries must be ascending ages in (0, 100]",
            ));
        }
        if bands.len() > MAX_AGE_BANDS {
            return Err(self.err(
                "model.age_bands_years",
                bands.len(),
                format!("at most {MAX_AGE_BANDS} boundaries"),
            ));
        }
        let n_bands = bands.len() + 1;
        let band_of_age: Vec<u8> = (0..=MAX_AGE_MONTHS)
            .map(|m| bands.iter().filter(|b| (m as f64) >= **b * 12.0 - 1e-9).count() as u8)
            .collect();

        // Hazards.
        let ltft = &raw.ltft;
        if !(0.1..=1.0).contains(&ltft.min_wte) || !(ltft.min_wte..1.0).contains(&ltft.max_wte) {
            return Err(self.err(
                "ltft.min_wte",
                format!("{} .. {}", ltft.min_wte, ltft.max_wte),
                "need 0.1 <= min_wte <= max_wte < 1",
            ));
        }
        if raw.hazard.len() > MAX_HAZARDS {
            return Err(self.err("hazard", raw.hazard.len(), format!("at most {MAX_HAZARDS} hazards")));
        }
        check_unique(
            self,
            "hazard",
            &raw.hazard.iter().map(|h| h.name.clone()).collect::<Vec<_>>(),
        )?;
        let mut fte_choices: Vec<Vec<(u64, u8)>> = Vec::new();
        let mut per_cell: Vec<Vec<(f64, Outcome)>> = vec![Vec::new(); grades.len() * State::COUNT * n_bands * 2];
        let pause_enabled = raw.pause.enabled;
        for (hi, h) in raw.hazard.iter().enumerate() {
            let p = self.hazard_prob(h)?;
            let k = |f: &str| format!("hazard.{}.{f}", h.name);
            let from = self.state(&k("state"), &h.state, false)?;
            let to = self.state(&k("to"), &h.to, true)?;
            let to_grade = h
                .to_grade
                .as_ref()
                .map(|n| self.grade(&k("to_grade"), n, &grades))
                .transpose()?;
            let mut applies: Vec<u8> = match (&h.group, &h.grades) {
                (_, Some(list)) => list
                    .iter()
                    .map(|n| self.grade(&k("grades"), n, &grades))
                    .collect::<Result<_, _>>()?,
                (Some(gn), None) => {
                    let gi = groups
                        .iter()
                        .position(|x| &x.name == gn)
                        .ok_or_else(|| self.err(k("group"), format!("\"{gn}\""), "unknown group"))?;
                    (0..grades.len() as u8)
                        .filter(|&g| grades[g as usize].group as usize == gi)
                        .collect()
                }
                (None, None) => {
                    return Err(self.err(k("group"), "(missing)", "a hazard needs `group` or `grades`"));
                }
            };
            if let (Some(gn), Some(_)) = (&h.group, &h.grades)
                && applies
                    .iter()
                    .any(|&g| groups[grades[g as usize].group as usize].name != *gn)
            {
                return Err(self.err(
                    k("grades"),
                    format!("{:?}", h.grades),
                    format!("a grade is not in group {gn}"),
                ));
            }
            applies.sort_unstable();
            applies.dedup();
            if to == from && to_grade.is_none() {
                return Err(self.err(k("to"), &h.to, "a hazard must change state or grade"));
            }
            for &g in &applies {
                let target_grade = to_grade.unwrap_or(g);
                let kind = grades[target_grade as usize].kind;
                if matches!(to, State::Trainee | State::Ltft | State::Pause) && kind != GradeKind::Training {
                    return Err(self.err(
                        k("to"),
                        &h.to,
                        format!("grade {} is not a training grade", grades[target_grade as usize].name),
                    ));
                }
                if to == State::Student && kind != GradeKind::Student {
                    return Err(self.err(k("to"), &h.to, "only student grades hold students"));
                }
                if grades[target_grade as usize].group != grades[g as usize].group {
                    return Err(self.err(
                        k("to_grade"),
                        format!("{:?}", h.to_grade),
                        "cannot move between staff groups",
                    ));
                }
            }
            let fte_choice = self.hazard_fte(h, to, &mut fte_choices)?;
            let (lo, hi_band) = self.hazard_bands(h, bands)?;
            let sexes: &[bool] = match h.sex.as_deref() {
                None => &[false, true],
                Some("female") => &[true],
                Some("male") => &[false],
                Some(other) => {
                    return Err(self.err(k("sex"), format!("\"{other}\""), "sex is female or male"));
                }
            };
            if to == State::Pause && !pause_enabled {
                continue;
            }
            for &g in &applies {
                for band in lo..hi_band {
                    for &female in sexes {
                        let idx =
                            (((g as usize * State::COUNT + from as usize) * n_bands + band) << 1) | female as usize;
                        per_cell[idx].push((
                            p,
                            Outcome {
                                cum_threshold: 0,
                                to_state: to,
                                to_grade: to_grade.unwrap_or(g),
                                fte_choice,
                                hazard: hi as u16,
                            },
                        ));
                    }
                }
            }
        }
        let mut cells = Vec::with_capacity(per_cell.len());
        let mut outcomes = Vec::new();
        for (idx, list) in per_cell.iter().enumerate() {
            let total: f64 = list.iter().map(|x| x.0).sum();
            if total > 1.0 + 1e-9 {
                let names: Vec<&str> = list
                    .iter()
                    .map(|x| raw.hazard[x.1.hazard as usize].name.as_str())
                    .collect();
                let g = idx / 2 / n_bands / State::COUNT;
                let s = State::from_u8((idx / 2 / n_bands % State::COUNT) as u8);
                return Err(self.err(
                    format!("hazard.{}", names.join("+")),
                    format!("{total:.6}"),
                    format!(
                        "competing monthly hazards of grade {} in state {} sum past 1",
                        grades[g].name,
                        s.name()
                    ),
                ));
            }
            cells.push((outcomes.len() as u32, list.len() as u32));
            let mut cum = 0.0;
            for (p, o) in list {
                cum += p;
                outcomes.push(Outcome {
                    cum_threshold: threshold(cum),
                    ..*o
                });
            }
        }

        let start_year = start.year;
        // Inflows.
        let mut inflows = Vec::new();
        for f in &raw.inflow {
            let k = |x: &str| format!("inflow.{}.{x}", f.name);
            let grade = self.grade(&k("grade"), &f.grade, &grades)?;
            let state = self.state(&k("state"), &f.state, false)?;
            let gk = grades[grade as usize].kind;
            let ok = match state {
                State::Student => gk == GradeKind::Student,
                State::Trainee => gk == GradeKind::Training,
                // Lapsed registrants recruited by a return campaign join on a
                // Return to Practice course (`returner`) before qualifying.
                State::Qualified | State::OverseasRecruit | State::Returner => gk == GradeKind::Employed,
                _ => false,
            };
            if !ok {
                return Err(self.err(
                    k("state"),
                    &f.state,
                    format!("joiners cannot enter grade {} in this state", f.grade),
                ));
            }
            let months = match &f.months {
                Some(m) => {
                    let mut m = self.months_list(&k("months"), m)?;
                    m.sort_unstable();
                    m
                }
                None => (1..=12).collect(),
            };
            let places = f
                .per_year
                .as_ref()
                .map(|s| self.series(&k("per_year"), s, start_year))
                .transpose()?;
            let applicants = f
                .applicants_per_year
                .as_ref()
                .map(|s| self.series(&k("applicants_per_year"), s, start_year))
                .transpose()?;
            if let Some(s) = f.per_month_share_of_initial {
                self.prob(&k("per_month_share_of_initial"), s)?;
            }
            // Joiner numbers within a (month, inflow, region) have 24 bits.
            for (key, s) in [
                ("per_year", &f.per_year),
                ("applicants_per_year", &f.applicants_per_year),
            ] {
                if let Some((y, v)) = s.iter().flatten().find(|(_, v)| **v > MAX_JOINERS_PER_MONTH as f64) {
                    return Err(self.err(
                        format!("{}.{y}", k(key)),
                        fmt_num(*v),
                        format!("at most {MAX_JOINERS_PER_MONTH} a year"),
                    ));
                }
            }
            if places.is_some() == f.per_month_share_of_initial.is_some() {
                return Err(self.err(
                    k("per_year"),
                    "(both or neither)",
                    "give exactly one of per_year and per_month_share_of_initial",
                ));
            }
            let fte = f.fte.unwrap_or(grades[grade as usize].fte_mean);
            inflows.push(Inflow {
                name: f.name.clone(),
                grade,
                state,
                months,
                places,
                applicants,
                per_month_share_of_initial: f.per_month_share_of_initial,
                age_months: self.age_range(&k("age_years"), f.age_years)?,
                female_threshold: threshold(self.prob(&k("share_female"), f.share_female)?),
                fte_tenths: self.fte(&k("fte"), fte)?,
            });
        }
        check_unique(
            self,
            "inflow",
            &inflows.iter().map(|i| i.name.clone()).collect::<Vec<_>>(),
        )?;
        let joiner_ids = match raw.model.joiner_ids.as_deref() {
            None | Some("by_origin") => JoinerIds::ByOrigin,
            Some("sequential") => JoinerIds::Sequential,
            Some(other) => {
                return Err(self.err("model.joiner_ids", other, "must be by_origin or sequential"));
            }
        };
        if joiner_ids == JoinerIds::ByOrigin {
            if inflows.len() > MAX_INFLOWS_BY_ORIGIN {
                return Err(self.err(
                    "inflow",
                    inflows.len(),
                    format!("at most {MAX_INFLOWS_BY_ORIGIN} inflows with model.joiner_ids = by_origin"),
                ));
            }
            if regions.len() > MAX_REGIONS_BY_ORIGIN {
                return Err(self.err(
                    "region",
                    regions.len(),
                    format!("at most {MAX_REGIONS_BY_ORIGIN} regions with model.joiner_ids = by_origin"),
                ));
            }
            if let Some(f) = inflows
                .iter()
                .find(|f| f.per_month_share_of_initial.is_some_and(|s| s > MAX_SHARE_BY_ORIGIN))
            {
                return Err(self.err(
                    format!("inflow.{}.per_month_share_of_initial", f.name),
                    fmt_num(f.per_month_share_of_initial.unwrap_or_default()),
                    "at most 1/256 with model.joiner_ids = by_origin (or set it to sequential)",
                ));
            }
        }

        // Recruitment.
        let mut schemes = Vec::new();
        for r in &raw.recruitment {
            let k = |x: &str| format!("recruitment.{}.{x}", r.name);
            let into_grade = self.grade(&k("into_grade"), &r.into_grade, &grades)?;
            let into_state = match grades[into_grade as usize].kind {
                GradeKind::Training => State::Trainee,
                GradeKind::Employed => State::Qualified,
                GradeKind::Student => {
                    return Err(self.err(
                        k("into_grade"),
                        &r.into_grade,
                        "recruitment fills training or employed grades (student places are `[[inflow]]`s)",
                    ));
                }
            };
            let min_months_in_state = r.min_months_in_state.unwrap_or(0);
            if min_months_in_state > 1200 {
                return Err(self.err(k("min_months_in_state"), min_months_in_state, "must be 0..=1200"));
            }
            let mut from_grade = vec![false; grades.len()];
            for n in &r.from_grades {
                let g = self.grade(&k("from_grades"), n, &grades)?;
                if grades[g as usize].group != grades[into_grade as usize].group {
                    return Err(self.err(k("from_grades"), n, "applicants must be of the same staff group"));
                }
                from_grade[g as usize] = true;
            }
            let mut from_state = [false; State::COUNT];
            for n in r.from_states.clone().unwrap_or_else(|| vec!["qualified".into()]) {
                from_state[self.state(&k("from_states"), &n, false)? as usize] = true;
            }
            let months = self.months_list(&k("months"), &r.months)?;
            let round_shares = match &r.round_shares {
                Some(s) => self.shares(&k("round_shares"), s, months.len())?,
                None => vec![1.0 / months.len() as f64; months.len()],
            };
            schemes.push(Scheme {
                name: r.name.clone(),
                into_grade,
                into_state,
                min_months_in_state: min_months_in_state as u16,
                from_grade,
                from_state,
                months,
                round_shares,
                apply_threshold: threshold(self.prob(&k("apply_prob"), r.apply_prob)?),
                posts: self.series(&k("posts_per_year"), &r.posts_per_year, start_year)?,
                region_shares: match &r.region_shares {
                    Some(s) => self.shares(&k("region_shares"), s, region_shares.len())?,
                    None => region_shares.clone(),
                },
            });
        }
        check_unique(
            self,
            "recruitment",
            &schemes.iter().map(|s| s.name.clone()).collect::<Vec<_>>(),
        )?;

        // Pause, returners, state FTE.
        let p = &raw.pause;
        if p.max_months == 0 || p.max_months > 120 {
            return Err(self.err("pause.max_months", p.max_months, "must be 1..=120"));
        }
        if p.min_remaining_wte_months < 0.0 || !p.min_remaining_wte_months.is_finite() {
            return Err(self.err(
                "pause.min_remaining_wte_months",
                fmt_num(p.min_remaining_wte_months),
                "must be >= 0",
            ));
        }
        if !(1..=12).contains(&p.capacity_year_start_month) {
            return Err(self.err(
                "pause.capacity_year_start_month",
                p.capacity_year_start_month,
                "must be 1-12",
            ));
        }
        let capacity_per_year = match p.approval_capacity_per_year {
            Some(c) => Some((self.count("pause.approval_capacity_per_year", c)? / self.scale).round() as u32),
            None => None,
        };
        let pause = PauseRules {
            enabled: p.enabled,
            max_months: p.max_months as u16,
            min_remaining_tenths: (p.min_remaining_wte_months * 10.0).round() as u16,
            credit_fraction: self.prob("pause.credit_fraction", p.credit_fraction)?,
            capacity_per_year,
            year_start_month: p.capacity_year_start_month,
        };
        let rt = &raw.returners;
        if rt.threshold_months > 240 || rt.supportt_months > 60 || rt.rtp_months > 60 {
            return Err(self.err(
                "returners",
                format!("{rt:?}"),
                "months out of range (threshold <= 240, supportt/rtp <= 60)",
            ));
        }
        let returners = ReturnerRules {
            threshold_months: rt.threshold_months as u16,
            supportt_months: rt.supportt_months as u16,
            supportt_progress_tenths: (self
                .prob("returners.supportt_progress_fraction", rt.supportt_progress_fraction)?
                * 10.0)
                .round() as u16,
            rtp_months: rt.rtp_months as u16,
        };
        let sf = &raw.state_fte;
        let rule = |key: &str, r: &FteRule| -> Result<Option<u8>, ConfigError> {
            match r {
                FteRule::Fixed(v) => Ok(Some(self.fte(key, *v)?)),
                FteRule::Own(s) if s == "own" => Ok(None),
                FteRule::Own(s) => Err(self.err(key, format!("\"{s}\""), "an FTE number or \"own\"")),
            }
        };
        let mut state_fte = [None; State::COUNT];
        state_fte[State::Student as usize] = rule("state_fte.student", &sf.student)?;
        state_fte[State::Pause as usize] = rule("state_fte.pause", &sf.pause)?;
        state_fte[State::Returner as usize] = rule("state_fte.returner", &sf.returner)?;
        state_fte[State::OverseasRecruit as usize] = rule("state_fte.overseas_recruit", &sf.overseas_recruit)?;
        state_fte[State::Leaver as usize] = Some(0);

        let initial = self.initial(&grades, &groups)?;
        let rows = step_rows(&grades, &groups, &cells, &outcomes, n_bands);

        let rules = Rules {
            rows,
            name: raw.model.name.clone(),
            start,
            months: raw.model.months,
            seed: raw.model.seed,
            config_hash,
            population_scale: self.scale,
            joiner_ids,
            regions,
            region_shares,
            groups,
            grades,
            band_of_age,
            n_bands,
            cells,
            outcomes,
            fte_choices,
            hazard_names: raw.hazard.iter().map(|h| h.name.clone()).collect(),
            inflows,
            schemes,
            pause,
            returners,
            state_fte,
            initial,
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

    fn hazard_prob(&self, h: &RawHazard) -> Result<f64, ConfigError> {
        match (h.monthly_prob, h.annual_rate) {
            (Some(p), None) => self.prob(&format!("hazard.{}.monthly_prob", h.name), p),
            (None, Some(a)) => {
                let a = self.prob(&format!("hazard.{}.annual_rate", h.name), a)?;
                Ok(1.0 - (1.0 - a).powf(1.0 / 12.0))
            }
            _ => Err(self.err(
                format!("hazard.{}", h.name),
                "(monthly_prob/annual_rate)",
                "give exactly one of monthly_prob and annual_rate",
            )),
        }
    }

    fn hazard_fte(&self, h: &RawHazard, to: State, tables: &mut Vec<Vec<(u64, u8)>>) -> Result<u16, ConfigError> {
        let key = format!("hazard.{}.fte", h.name);
        let (options, weights): (Vec<f64>, Vec<f64>) = match (&h.fte, &h.fte_options) {
            (Some(_), Some(_)) => {
                return Err(self.err(key, "(fte and fte_options)", "give one of fte and fte_options"));
            }
            (Some(f), None) => (vec![*f], vec![1.0]),
            (None, Some(o)) => {
                let w = h.fte_weights.clone().unwrap_or_else(|| vec![1.0; o.len()]);
                if w.len() != o.len()
                    || o.is_empty()
                    || w.iter().any(|x| !x.is_finite() || *x < 0.0)
                    || w.iter().sum::<f64>() <= 0.0
                {
                    return Err(self.err(
                        format!("hazard.{}.fte_weights", h.name),
                        format!("{w:?}"),
                        "one non-negative weight per option",
                    ));
                }
                (o.clone(), w)
            }
            (None, None) => {
                if to == State::Ltft {
                    return Err(self.err(key, "(missing)", "a move to LTFT needs fte or fte_options"));
                }
                return Ok(FTE_UNCHANGED);
            }
        };
        let ltft = &self.raw.ltft;
        for &f in &options {
            self.fte(&key, f)?;
            if to == State::Ltft && (f < ltft.min_wte - 1e-9 || f > ltft.max_wte + 1e-9) {
                return Err(self.err(
                    key.clone(),
                    fmt_num(f),
                    format!("LTFT WTE must lie in [{}, {}]", ltft.min_wte, ltft.max_wte),
                ));
            }
        }
        let total: f64 = weights.iter().sum();
        let mut cum = 0.0;
        let table = options
            .iter()
            .zip(&weights)
            .map(|(f, w)| {
                cum += w / total;
                (threshold(cum), (f * 10.0).round() as u8)
            })
            .collect();
        tables.push(table);
        Ok((tables.len() - 1) as u16)
    }

    fn hazard_bands(&self, h: &RawHazard, bands: &[f64]) -> Result<(usize, usize), ConfigError> {
        let find = |key: &str, v: f64| -> Result<usize, ConfigError> {
            bands
                .iter()
                .position(|b| (b - v).abs() < 1e-9)
                .map(|i| i + 1)
                .ok_or_else(|| self.err(key, fmt_num(v), "age bounds must be one of model.age_bands_years"))
        };
        let lo = match h.age_min_years {
            Some(v) => find(&format!("hazard.{}.age_min_years", h.name), v)?,
            None => 0,
        };
        let hi = match h.age_max_years {
            Some(v) => find(&format!("hazard.{}.age_max_years", h.name), v)?,
            None => bands.len() + 1,
        };
        if lo >= hi {
            return Err(self.err(
                format!("hazard.{}.age_min_years", h.name),
                format!("{:?}..{:?}", h.age_min_years, h.age_max_years),
                "empty age range",
            ));
        }
        Ok((lo, hi))
    }

    fn initial(&self, grades: &[Grade], groups: &[Group]) -> Result<Initial, ConfigError> {
        let raw = self.raw;
        let init = &raw.initial;
        match init.layout.as_deref().unwrap_or("stocks") {
            "stocks" => {
                let mut stocks = Vec::new();
                for (i, s) in raw.stock.iter().enumerate() {
                    let k = |x: &str| format!("stock.{i}.{x}");
                    let grade = self.grade(&k("grade"), &s.grade, grades)?;
                    let state = self.state(&k("state"), &s.state, false)?;
                    let kind = grades[grade as usize].kind;
                    let ok = match state {
                        State::Student => kind == GradeKind::Student,
                        State::Trainee | State::Ltft | State::Pause => kind == GradeKind::Training,
                        State::Qualified | State::OverseasRecruit => kind == GradeKind::Employed,
                        State::Returner | State::Leaver => kind != GradeKind::Student,
                        State::Gone => false,
                    };
                    if !ok {
                        return Err(self.err(
                            k("state"),
                            &s.state,
                            format!("grade {} cannot hold this state", s.grade),
                        ));
                    }
                    self.count(&k("headcount"), s.headcount)?;
                    self.fte(&k("fte_mean"), s.fte_mean)?;
                    stocks.push(Stock {
                        grade,
                        state,
                        headcount: (s.headcount / self.scale).round() as u64,
                        age_months: self.age_range(&k("age_years"), s.age_years)?,
                        female_threshold: threshold(self.prob(&k("share_female"), s.share_female)?),
                        fte_mean: s.fte_mean,
                    });
                }
                Ok(Initial::Stocks(stocks))
            }
            "lattice" => {
                let missing = |f: &str| self.err(format!("initial.{f}"), "(missing)", "required by the lattice layout");
                let gw = init.group_weights.as_ref().ok_or_else(|| missing("group_weights"))?;
                let sw = init.state_weights.as_ref().ok_or_else(|| missing("state_weights"))?;
                let gm = init.grades.as_ref().ok_or_else(|| missing("grades"))?;
                // Weights are taken in group (config) order and state (enum) order.
                let mut gws = Vec::new();
                for name in gw.keys() {
                    groups
                        .iter()
                        .position(|g| &g.name == name)
                        .ok_or_else(|| self.err("initial.group_weights", name, "unknown group"))?;
                }
                for (gi, g) in groups.iter().enumerate() {
                    if let Some(w) = gw.get(&g.name) {
                        gws.push((*w, gi as u8));
                    }
                }
                let mut sws = Vec::new();
                for name in sw.keys() {
                    self.state("initial.state_weights", name, false)?;
                }
                for st in State::CAREER {
                    if let Some(w) = sw.get(st.name()) {
                        sws.push((*w, st));
                    }
                }
                if gws.iter().map(|x| x.0 as u64).sum::<u64>() == 0 || sws.iter().map(|x| x.0 as u64).sum::<u64>() == 0
                {
                    return Err(self.err("initial.group_weights", "0", "weights must not all be zero"));
                }
                let mut grade_of = vec![[u8::MAX; State::COUNT]; groups.len()];
                for &(_, gi) in &gws {
                    let gname = &groups[gi as usize].name;
                    let row = gm.get(gname).ok_or_else(|| {
                        self.err(
                            format!("initial.grades.{gname}"),
                            "(missing)",
                            "grade of each state needed",
                        )
                    })?;
                    for &(_, st) in &sws {
                        let gr = row.get(st.name()).ok_or_else(|| {
                            self.err(
                                format!("initial.grades.{gname}.{}", st.name()),
                                "(missing)",
                                "grade needed",
                            )
                        })?;
                        let g = self.grade(&format!("initial.grades.{gname}.{}", st.name()), gr, grades)?;
                        if grades[g as usize].group != gi {
                            return Err(self.err(
                                format!("initial.grades.{gname}.{}", st.name()),
                                gr,
                                "grade of another group",
                            ));
                        }
                        grade_of[gi as usize][st as usize] = g;
                    }
                }
                let span = init.age_months_span.ok_or_else(|| missing("age_months_span"))?;
                if span == 0 || span as usize > MAX_AGE_MONTHS {
                    return Err(self.err(
                        "initial.age_months_span",
                        span,
                        format!("must be 1..={MAX_AGE_MONTHS} months"),
                    ));
                }
                let base = init.age_months_base.ok_or_else(|| missing("age_months_base"))?;
                if base as usize > MAX_AGE_MONTHS {
                    return Err(self.err(
                        "initial.age_months_base",
                        base,
                        format!("must be 0..={MAX_AGE_MONTHS} months"),
                    ));
                }
                let agents = init.agents.unwrap_or(0);
                if agents > MAX_POPULATION {
                    return Err(self.err("initial.agents", agents, format!("at most {MAX_POPULATION} clinicians")));
                }
                Ok(Initial::Lattice(Lattice {
                    agents: (agents as f64 / self.scale).round() as u64,
                    groups: gws,
                    states: sws,
                    grade_of,
                    age: (base, init.age_months_stride.unwrap_or(1), span),
                    ltft_fte_tenths: self.fte("initial.ltft_fte", init.ltft_fte.unwrap_or(raw.ltft.max_wte))?,
                }))
            }
            other => Err(self.err("initial.layout", format!("\"{other}\""), "layout is stocks or lattice")),
        }
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

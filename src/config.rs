//! The config language: TOML as written by a modeller (the "raw" types),
//! command-line overrides (`--set key=value`), and loading with file-named
//! errors. Validation and compilation into dense tables live in `rules`.
//!
//! Units are in the key names: `_months`, `_years`, `monthly_prob`,
//! `annual_rate` (converted with p = 1 - (1 - a)^(1/12)), `per_year`.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::error::ConfigError;

/// A yearly time series: `{ 2015 = 7500, 2016 = 7500 }`. Years must be
/// contiguous; the last value holds for later years.
pub type YearSeries = BTreeMap<String, f64>;

/// A whole config file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    /// Run-level settings.
    pub model: RawModel,
    /// `[[region]]`: the regions and their shares of national flows.
    pub region: Vec<RawRegion>,
    /// `[[group]]`: staff groups and their retirement rules.
    pub group: Vec<RawGroup>,
    /// `[[grade]]`: grades and the time-driven progression between them.
    pub grade: Vec<RawGrade>,
    /// How the initial population is synthesised.
    #[serde(default)]
    pub initial: RawInitial,
    /// `[[stock]]`: initial headcounts.
    #[serde(default)]
    pub stock: Vec<RawStock>,
    /// `[[hazard]]`: competing monthly hazards.
    #[serde(default)]
    pub hazard: Vec<RawHazard>,
    /// `[[inflow]]`: joiners (student intakes, international recruits).
    #[serde(default)]
    pub inflow: Vec<RawInflow>,
    /// `[[recruitment]]`: capacity-limited rounds into training grades.
    #[serde(default)]
    pub recruitment: Vec<RawRecruitment>,
    /// Out-of-programme pause (OOP Pause) rules.
    #[serde(default)]
    pub pause: RawPause,
    /// SuppoRTT and Return to Practice.
    #[serde(default)]
    pub returners: RawReturners,
    /// LTFT rules.
    #[serde(default)]
    pub ltft: RawLtft,
    /// The FTE each state contributes.
    #[serde(default)]
    pub state_fte: RawStateFte,
    /// `[[scope]]`: named groupings of grades for the series vocabulary, as
    /// published statistics draw them (e.g. HCHS doctors: doctors less GPs).
    #[serde(default)]
    pub scope: Vec<RawScope>,
    /// Which grades and recruitment schemes `[[specialty]]` splits.
    #[serde(default)]
    pub specialty_grades: Option<RawSpecialtyGrades>,
    /// `[[specialty]]`: medical specialties (and the cores they draw
    /// from), each a copy of the template grades and schemes of its
    /// programme (`mechanisms::specialty`).
    #[serde(default)]
    pub specialty: Vec<RawSpecialty>,
    /// After the `[[specialty]]` split: each specialty's name, programme and
    /// the specialty it is a later curriculum of (never read from a file).
    #[serde(skip)]
    pub specialties_split: Vec<(String, String, Option<String>)>,
    /// Which grades `[[nursing_field]]` splits.
    #[serde(default)]
    pub nursing_fields: Option<RawNursingFields>,
    /// `[[nursing_field]]`: fields of registered nursing (adult, mental
    /// health, learning disability, children's), each a copy of the student
    /// and registered grades (`mechanisms::nursing_field`).
    #[serde(default)]
    pub nursing_field: Vec<RawNursingField>,
    /// After the `[[nursing_field]]` split: the fields' names (never read
    /// from a file).
    #[serde(skip)]
    pub nursing_fields_split: Vec<String>,
    /// `[[ics]]`: integrated care systems, an optional level of geography
    /// under the region (`mechanisms::ics`).
    #[serde(default)]
    pub ics: Vec<RawIcs>,
    /// After the `[[ics]]` split: the NHS England regions, each with the
    /// indices of its ICSs among `region` (never read from a file).
    #[serde(skip)]
    pub region_groups: Vec<(String, Vec<usize>)>,
    /// `[cost]`: prices of training, pay, recruitment and programmes, for
    /// the `cost.*` series (`mechanisms::cost`).
    #[serde(default)]
    pub cost: Option<RawCost>,
    /// `[pensions]`: NHS Pension Scheme sections, Special Class, early
    /// retirement, retire-and-return and the pension-tax periods
    /// (`mechanisms::pension`).
    #[serde(default)]
    pub pensions: Option<RawPensions>,
}

/// `[cost]`: what the workforce costs, in pounds at `price_base_year`
/// prices. Every price is a sparse yearly series (`{ 2015 = 26000, 2019 =
/// 27000 }`: each value holds from its year until the next), so pay awards
/// and tariff changes are dated.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCost {
    /// The year whose pounds every cost is reported in (a financial year
    /// by its start: 2019 = 2019/20).
    pub price_base_year: Option<i32>,
    /// Yearly discount rate of cost-effectiveness (HM Treasury Green Book:
    /// 3.5%).
    #[serde(default = "green_book_rate")]
    pub discount_rate: f64,
    /// A price index by year (e.g. the GDP deflator): when given, prices
    /// are nominal pounds of their year, converted to the base year's by
    /// `deflator[base] / deflator[year]`; without it, prices are already in
    /// base-year pounds.
    #[serde(default)]
    pub deflator: Option<YearSeries>,
    /// Employer on-costs (pension contributions, National Insurance,
    /// apprenticeship levy) as a share of pay.
    #[serde(default)]
    pub on_cost_share: Option<YearSeries>,
    /// `[[cost.pay]]`: pay per FTE-year of grades in post.
    #[serde(default)]
    pub pay: Vec<RawCostItem>,
    /// `[[cost.training]]`: education costs other than the learner's salary
    /// (tuition or placement tariff, bursary, placement fee).
    #[serde(default)]
    pub training: Vec<RawCostItem>,
    /// `[[cost.programme]]`: a policy's running cost (a retention payment).
    #[serde(default)]
    pub programme: Vec<RawCostItem>,
    /// `[[cost.recruitment]]`: a price per start of inflows (international
    /// recruits) and per placement of recruitment schemes (Return to
    /// Practice).
    #[serde(default)]
    pub recruitment: Vec<RawRecruitmentCost>,
}

fn green_book_rate() -> f64 {
    0.035
}

/// One priced item of `[[cost.pay]]`, `[[cost.training]]` or
/// `[[cost.programme]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCostItem {
    /// Name (scenarios address it: `cost.pay.<name>.per_fte_year.2024`).
    pub name: String,
    /// Grades priced (a template grade names its specialty or field copies).
    pub grades: Vec<String>,
    /// Pounds per FTE-year in post.
    #[serde(default)]
    pub per_fte_year: Option<YearSeries>,
    /// Pounds per head-year: students on the course; trainees and employed
    /// staff in post.
    #[serde(default)]
    pub per_head_year: Option<YearSeries>,
    /// Source or ASSUMPTION.
    #[serde(default)]
    pub note: String,
}

/// One item of `[[cost.recruitment]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRecruitmentCost {
    /// Name.
    pub name: String,
    /// Inflows (or inflow families) priced per start.
    #[serde(default)]
    pub inflows: Vec<String>,
    /// Recruitment schemes (or families) priced per placement.
    #[serde(default)]
    pub schemes: Vec<String>,
    /// Pounds per start or placement.
    pub per_start: YearSeries,
    /// Source or ASSUMPTION.
    #[serde(default)]
    pub note: String,
}

/// `[pensions]`: the NHS Pension Scheme's sections and the rules of
/// retirement that follow them.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPensions {
    /// Age at which the initial population joined the scheme (years), to
    /// date their entry and so their section.
    pub joined_at_age_years: f64,
    /// State Pension Age by year of birth (a step series: each age holds
    /// for cohorts born from its year until the next).
    pub state_pension_age_by_birth_year: YearSeries,
    /// `[[pensions.section]]`, in order of opening.
    pub section: Vec<RawPensionSection>,
    /// Special Class status (1995 section): groups whose members who
    /// joined before `special_class_joined_before` hold it with probability
    /// `special_class_share`, retiring from `special_class_pension_age_years`.
    #[serde(default)]
    pub special_class_groups: Vec<String>,
    /// Share of eligible members who hold Special Class (or MHO) status.
    #[serde(default)]
    pub special_class_share: f64,
    /// Entry before this month gives Special Class (`YYYY-MM`).
    #[serde(default)]
    pub special_class_joined_before: Option<String>,
    /// Special Class pension age.
    #[serde(default)]
    pub special_class_pension_age_years: Option<f64>,
    /// Earliest age of voluntary early (reduced) retirement.
    pub early_retirement_age_years: f64,
    /// Monthly probability of early retirement by group, between the early
    /// retirement age and the member's pension age.
    #[serde(default)]
    pub early_retirement_monthly_prob: BTreeMap<String, f64>,
    /// Share of retirees by group who return (retire-and-return) at once.
    #[serde(default)]
    pub retire_and_return_share: BTreeMap<String, YearSeries>,
    /// Share of FTE a returning retiree gives up.
    #[serde(default)]
    pub retire_and_return_fte_cut: BTreeMap<String, f64>,
    /// FTE an affected clinician gives up by cutting sessions while a tax
    /// period is in force (restored when no period affects them).
    #[serde(default)]
    pub tax_fte_cut: f64,
    /// `[[pensions.tax_period]]`: the annual-allowance taper and its changes.
    #[serde(default)]
    pub tax_period: Vec<RawTaxPeriod>,
}

/// `[[pensions.section]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPensionSection {
    /// Name (`1995`, `2008`, `2015`).
    pub name: String,
    /// Members who joined before this month (`YYYY-MM`) and after the
    /// previous section closed are in it; the last section has none.
    #[serde(default)]
    pub joined_before: Option<String>,
    /// Normal pension age; omitted: the State Pension Age (at least
    /// `min_pension_age_years`).
    #[serde(default)]
    pub pension_age_years: Option<f64>,
    /// Lowest pension age when it follows the State Pension Age.
    #[serde(default)]
    pub min_pension_age_years: Option<f64>,
}

/// `[[pensions.tax_period]]`: while in force, a share of the senior
/// clinicians of `grades` whose pay takes them over the tapered annual
/// allowance cut sessions and retire earlier.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTaxPeriod {
    /// Name (`taper_2016`).
    pub name: String,
    /// First month in force (`YYYY-MM`).
    pub from: String,
    /// First month no longer in force (`YYYY-MM`); omitted: to the end.
    #[serde(default)]
    pub until: Option<String>,
    /// Grades affected (a template grade names its copies).
    pub grades: Vec<String>,
    /// Youngest affected age (years): seniority stands for earnings.
    pub min_age_years: f64,
    /// Share of those whose income puts them over the threshold.
    pub affected_share: f64,
    /// Monthly probability that an affected clinician cuts sessions.
    pub cut_monthly_prob: f64,
    /// Multiplier on the retirement probabilities of affected clinicians.
    pub retirement_multiplier: f64,
    /// Source or ASSUMPTION.
    #[serde(default)]
    pub note: String,
}

/// `[[ics]]`: one integrated care system, inside one `[[region]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawIcs {
    /// Name (lower case, `[a-z0-9_]`), as series address it (`fte.nurse@devon`).
    pub name: String,
    /// The `[[region]]` it lies in.
    pub region: String,
    /// Its share of the region (population); the ICSs of a region sum to 1.
    pub share: f64,
    /// Where the share comes from.
    #[serde(default)]
    pub note: Option<String>,
}

/// `[nursing_fields]`: the student and registered grades that
/// `[[nursing_field]]` splits into one copy per field
/// (`nursing_student_mental_health`, `registered_nurse_mental_health`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawNursingFields {
    /// The pre-registration student grade (e.g. `nursing_student`).
    pub student: String,
    /// The registered nurse grade (e.g. `registered_nurse`).
    pub registered: String,
}

/// `[[nursing_field]]`: one field of registered nursing.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawNursingField {
    /// Name (lower case, `[a-z0-9_]`), used in grade, inflow and series
    /// names (`registered_nurse_mental_health`, `fte.nurse_mental_health`).
    pub name: String,
    /// Share of the initial students (the fields' shares sum to 1).
    pub students_share: f64,
    /// Share of the initial registered nurses, in post and lapsed.
    pub registered_share: f64,
    /// Share of each intake into the student grade, a step series by year
    /// (each value holds until the next year given; the fields' shares sum
    /// to 1 in every year).
    pub intake_share: YearSeries,
    /// Extra places in this field: multiplies its intake (a step series by
    /// year, 1 before the first year given) — the lever of a field's growth.
    #[serde(default)]
    pub intake_multiplier_by_year: Option<YearSeries>,
    /// Share of the joiners into the registered grade (international
    /// nurses), the fields' shares summing to 1.
    pub arrivals_share: f64,
    /// Multipliers of named hazards (attrition, leaving) in this field's
    /// grades.
    #[serde(default)]
    pub hazard_multipliers: Option<BTreeMap<String, f64>>,
    /// Where the figures come from.
    #[serde(default)]
    pub note: Option<String>,
}

/// `[specialty_grades]`: the template grades that `[[specialty]]` splits,
/// by their role in a programme. Every grade named here is replaced by one
/// copy per specialty of that role (`consultant` by `consultant_cardiology`,
/// ...), every reference to it elsewhere by all of its copies, and every
/// recruitment scheme into it by one scheme per specialty.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSpecialtyGrades {
    /// Core training (e.g. `core_training`), split by `programme = "core"`.
    #[serde(default)]
    pub core: Option<String>,
    /// The employed grade between core and higher training (e.g.
    /// `post_core`), split with its core.
    #[serde(default)]
    pub core_completed: Option<String>,
    /// Higher specialty training after a core (`programme = "uncoupled"`).
    #[serde(default)]
    pub higher: Option<String>,
    /// Run-through training from ST1 (`programme = "run_through"`).
    #[serde(default)]
    pub run_through: Option<String>,
    /// The post-CCT grade (e.g. `consultant`), split by every uncoupled and
    /// run-through specialty.
    #[serde(default)]
    pub consultant: Option<String>,
}

/// `[[specialty]]`: one medical specialty or core programme.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSpecialty {
    /// Name (lower case, `[a-z0-9_]`), used in grade, scheme and series
    /// names (`consultant_cardiology`, `rate.fill.higher_specialty_cardiology`).
    pub name: String,
    /// `core` (a core programme higher training draws from), `uncoupled`
    /// (higher training after a core) or `run_through` (ST1 to CCT).
    pub programme: String,
    /// For `uncoupled`: the core programme(s) whose completers may apply.
    #[serde(default)]
    pub cores: Option<Vec<String>>,
    /// Training length in WTE months: the core (`core`), ST3/ST4 to CCT
    /// (`uncoupled`) or ST1 to CCT (`run_through`). LTFT extends it pro rata.
    pub training_wte_months: f64,
    /// Share of the template scheme's posts (per year, linear between the
    /// years given as `multiplier_by_year` is; the shares of the specialties
    /// of one scheme sum to 1 in every year).
    pub posts_share: YearSeries,
    /// Share of the posts in each region (default: the template scheme's).
    #[serde(default)]
    pub region_shares: Option<Vec<f64>>,
    /// Weight of this specialty among those an applicant to the template
    /// scheme may choose (e.g. its applications in a published round).
    pub applications_share: f64,
    /// Share of the template grades' initial stocks: of the trainees (core,
    /// higher or run-through) and, for `uncoupled` and `run_through`, of the
    /// consultants. Each role's shares sum to 1.
    pub trainees_share: f64,
    /// Share of the initial consultants (not for `core`).
    #[serde(default)]
    pub consultants_share: Option<f64>,
    /// A later curriculum of another specialty (e.g. the 2022 internal
    /// medicine curriculum of cardiology, 4 years after IMT instead of 5):
    /// its own training grade, posts and applicants, the other's
    /// consultants. Same programme; no `consultants_share`.
    #[serde(default)]
    pub curriculum_of: Option<String>,
    /// Multipliers on named hazards for this specialty's grades (e.g.
    /// `{ consultant_leaving = 1.2, ltft_uptake_female = 1.5 }`).
    #[serde(default)]
    pub hazard_multipliers: Option<BTreeMap<String, f64>>,
    /// What the figures rest on (free text).
    #[serde(default)]
    pub note: Option<String>,
}

/// `[[scope]]`: a named set of grades, usable as a series scope
/// (`fte.hchs_doctor`, `share.ltft.hchs_doctor_in_training`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawScope {
    /// Scope name, unique, different from every built-in scope, group and grade.
    pub name: String,
    /// The grades it covers.
    pub grades: Vec<String>,
    /// What published series it matches, and any difference (free text).
    #[serde(default)]
    pub note: Option<String>,
}

/// `[model]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawModel {
    /// Short name, used in the default output directory.
    pub name: String,
    /// First simulated month is the month after `start` (YYYY-MM); month 0
    /// is the initial population at `start`.
    pub start: String,
    /// Months to simulate.
    pub months: u32,
    /// Default run seed.
    #[serde(default)]
    pub seed: u64,
    /// Age band boundaries in years, ascending; hazards may be limited to bands.
    #[serde(default)]
    pub age_bands_years: Vec<f64>,
    /// Simulate a 1-in-k sample (k >= 1): every absolute count in the config
    /// (stocks, intakes, applicants, posts, pause capacity) is divided by k;
    /// rates and shares are unchanged. Outputs in the series vocabulary are
    /// scaled back by k. Used by calibration to afford thousands of runs.
    #[serde(default)]
    pub population_scale: Option<f64>,
    /// How joiners are numbered (their ids key their random streams):
    /// `by_origin` (default) from (month, inflow, region, number within
    /// them), so a scenario that changes one inflow leaves every other
    /// joiner's draws as in the baseline; `sequential` numbers them on from
    /// the initial population in order of arrival (as career-lite specifies).
    #[serde(default)]
    pub joiner_ids: Option<String>,
}

/// `[[region]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRegion {
    /// Region name.
    pub name: String,
    /// Share of national stocks, intakes and posts (shares sum to 1).
    pub share: f64,
}

/// `[[group]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawGroup {
    /// Staff group name.
    pub name: String,
    /// Age from which retirement may happen (NHS pension age).
    pub pension_age_years: f64,
    /// Monthly probability of retiring at or after pension age.
    pub retirement_monthly_prob: f64,
    /// Age at which everyone still working retires.
    pub max_working_age_years: f64,
    /// Where retirement goes: `gone` (default) or `leaver`.
    #[serde(default = "default_gone")]
    pub retire_to: String,
    /// Whether students retire too (default false).
    #[serde(default)]
    pub students_retire: bool,
    /// Funded establishment (budgeted FTE posts), for vacancies: the share
    /// of it vacant at month 0 (so establishment = FTE in post / (1 - rate)).
    /// Set with `establishment_growth_annual_rate`, or neither.
    #[serde(default)]
    pub vacancy_rate_at_start: Option<f64>,
    /// Yearly growth of the funded establishment (a fraction; may be
    /// negative), applied month by month.
    #[serde(default)]
    pub establishment_growth_annual_rate: Option<YearSeries>,
}

fn default_gone() -> String {
    "gone".into()
}

/// `[[grade]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawGrade {
    /// Grade name, unique.
    pub name: String,
    /// Staff group of the grade.
    pub group: String,
    /// `student`, `training` or `employed`.
    pub kind: String,
    /// Course or training length in WTE-months (students and trainees).
    #[serde(default)]
    pub duration_wte_months: Option<f64>,
    /// Grade entered on completion (required with a duration).
    #[serde(default)]
    pub next: Option<String>,
    /// Completion of this grade is a CCT (counted as CCTs awarded, time to CCT).
    #[serde(default)]
    pub awards_cct: bool,
    /// Entering this grade starts the pathway clock used for time to CCT.
    #[serde(default)]
    pub starts_pathway: bool,
    /// An employed grade that holds clinicians between two stages of one
    /// pathway (e.g. core completed, awaiting higher specialty training):
    /// completing into it keeps the pathway clock running.
    #[serde(default)]
    pub keeps_pathway: bool,
    /// Trainees in this grade may take OOP Pause.
    #[serde(default)]
    pub pause_eligible: bool,
    /// Mean FTE of clinicians entering this grade as qualified (default 1).
    #[serde(default)]
    pub fte_mean: Option<f64>,
    /// Share of those completing this grade into an employed `next` who do
    /// not take it up: they join `next`'s leaver pool (whose return hazards
    /// may bring them back later). Default 0.
    #[serde(default)]
    pub completion_leaver_share: Option<f64>,
}

/// `[initial]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawInitial {
    /// `stocks` (default): from `[[stock]]` with keyed random attributes.
    /// `lattice`: a fully deterministic interleaved layout (benchmarks).
    #[serde(default)]
    pub layout: Option<String>,
    /// Lattice: number of clinicians (overridden by `--agents`).
    #[serde(default)]
    pub agents: Option<u64>,
    /// Lattice: digit 1 (i mod total) picks the group by these weights.
    #[serde(default)]
    pub group_weights: Option<BTreeMap<String, u32>>,
    /// Lattice: digit 2 ((i div group total) mod total) picks the state.
    #[serde(default)]
    pub state_weights: Option<BTreeMap<String, u32>>,
    /// Lattice: grade of each (group, state), as `group.state = grade`.
    #[serde(default)]
    pub grades: Option<BTreeMap<String, BTreeMap<String, String>>>,
    /// Lattice: age in months = base + (i * stride) mod span.
    #[serde(default)]
    pub age_months_base: Option<u32>,
    /// Lattice: age stride.
    #[serde(default)]
    pub age_months_stride: Option<u64>,
    /// Lattice: age span.
    #[serde(default)]
    pub age_months_span: Option<u32>,
    /// Lattice: FTE of clinicians laid out as LTFT (default `ltft.max_wte`).
    #[serde(default)]
    pub ltft_fte: Option<f64>,
}

/// `[[stock]]`: a block of the initial population.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStock {
    /// Optional name, so `--set`, levers and free parameters can address
    /// the block (`stock.lapsed_nurses.headcount`) whatever its position.
    #[serde(default)]
    pub name: Option<String>,
    /// Grade of the block.
    pub grade: String,
    /// State of the block.
    pub state: String,
    /// Headcount, split over regions by region shares.
    pub headcount: f64,
    /// Age range `[min, max]` in years, uniform.
    pub age_years: [f64; 2],
    /// Share female.
    #[serde(default = "half")]
    pub share_female: f64,
    /// Mean FTE (each clinician gets floor or ceil tenths to match it).
    #[serde(default = "one")]
    pub fte_mean: f64,
    /// Time already spent in the state at the start, `[min, max]` years,
    /// uniform (e.g. how long a lapsed pool has been away). Default 0.
    #[serde(default)]
    pub months_in_state_years: Option<[f64; 2]>,
    /// How far through their course or programme the block's students and
    /// trainees are at the start: `"uniform"` (default) spreads them evenly
    /// over its length; `"survivors"` as if intakes had been constant before
    /// the start and each one's own exit hazards (course attrition) had thinned
    /// the later years, so fewer are near the end.
    #[serde(default)]
    pub progress: Option<String>,
    /// Students and trainees who started in a course's intake months sit on
    /// whole cohorts: the months since each of the year's intakes at the start
    /// (e.g. `[0, 7]` for September and February intakes and a September
    /// start), so a cohort completes together. Default: spread over all months.
    #[serde(default)]
    pub cohort_months: Option<Vec<u32>>,
    /// Share of the block in each of `cohort_months` (summing to 1; default equal).
    #[serde(default)]
    pub cohort_shares: Option<Vec<f64>>,
}

fn half() -> f64 {
    0.5
}
fn one() -> f64 {
    1.0
}

/// `[[hazard]]`: one of the competing monthly transitions of a cell
/// (group, grade, state, age band, sex).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawHazard {
    /// Name (used by `--set hazard.NAME.key=value` and in errors).
    pub name: String,
    /// Group the hazard applies to (all its grades unless `grades` is set).
    #[serde(default)]
    pub group: Option<String>,
    /// Grades the hazard applies to.
    #[serde(default)]
    pub grades: Option<Vec<String>>,
    /// State the hazard applies in.
    pub state: String,
    /// Target state (`gone` for permanent exit).
    pub to: String,
    /// Target grade (default: unchanged).
    #[serde(default)]
    pub to_grade: Option<String>,
    /// Monthly probability.
    #[serde(default)]
    pub monthly_prob: Option<f64>,
    /// Annual probability, converted to monthly.
    #[serde(default)]
    pub annual_rate: Option<f64>,
    /// Lower age bound (inclusive), must be a band boundary.
    #[serde(default)]
    pub age_min_years: Option<f64>,
    /// Upper age bound (exclusive), must be a band boundary.
    #[serde(default)]
    pub age_max_years: Option<f64>,
    /// `female` or `male` (default both).
    #[serde(default)]
    pub sex: Option<String>,
    /// FTE taken on this transition (e.g. LTFT 0.6); default unchanged.
    #[serde(default)]
    pub fte: Option<f64>,
    /// Alternatively, FTE options drawn with `fte_weights`.
    #[serde(default)]
    pub fte_options: Option<Vec<f64>>,
    /// Weights of `fte_options` (default equal).
    #[serde(default)]
    pub fte_weights: Option<Vec<f64>>,
    /// A yearly multiplier on the rate (`annual_rate`, else `monthly_prob`):
    /// linear between the years given, held before the first and after the
    /// last. Default 1 every year.
    #[serde(default)]
    pub multiplier_by_year: Option<YearSeries>,
    /// A multiplier on the rate in particular grades, by grade name
    /// (default 1); `[[specialty]]` fills it from `hazard_multipliers`.
    #[serde(default)]
    pub multiplier_by_grade: Option<BTreeMap<String, f64>>,
}

/// `[[inflow]]`: joiners spawned at given calendar months.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawInflow {
    /// Name (KPI `starts_vs_plan.NAME`).
    pub name: String,
    /// Grade joined.
    pub grade: String,
    /// State joined (`student`, `overseas_recruit`, `qualified`, `trainee`).
    pub state: String,
    /// Calendar months (1-12) in which joiners arrive; the yearly number is
    /// split evenly across them unless `month_shares` says otherwise.
    /// Default: every month.
    #[serde(default)]
    pub months: Option<Vec<u32>>,
    /// Share of the year's joiners arriving in each of `months` (in the
    /// order given; summing to 1). Default: equal.
    #[serde(default)]
    pub month_shares: Option<Vec<f64>>,
    /// Places (planned starts) per year.
    #[serde(default)]
    pub per_year: Option<YearSeries>,
    /// Applicants per year (default: as many as places).
    #[serde(default)]
    pub applicants_per_year: Option<YearSeries>,
    /// Share of `per_year` who arrive (e.g. of England's international
    /// registrants, those who take NHS posts); default 1.
    #[serde(default)]
    pub take_up_share: Option<f64>,
    /// Alternatively: each month, ceil(initial population x share) joiners.
    #[serde(default)]
    pub per_month_share_of_initial: Option<f64>,
    /// Age range `[min, max]` in years at joining.
    pub age_years: [f64; 2],
    /// Share female.
    #[serde(default = "half")]
    pub share_female: f64,
    /// FTE of joiners entering as qualified.
    #[serde(default)]
    pub fte: Option<f64>,
    /// The inflow this one is a part of after a split (one intake per
    /// nursing field): series name it as a whole (`count.starts.nursing_intake`).
    #[serde(skip)]
    pub family: Option<String>,
}

/// `[[recruitment]]`: a capacity-limited recruitment scheme.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRecruitment {
    /// Name (KPI `fill_rate.NAME`).
    pub name: String,
    /// Grade recruited into: a training grade (entered as `trainee`) or an
    /// employed grade (entered as `qualified`, through Return to Practice
    /// when the applicant has been away long enough).
    pub into_grade: String,
    /// Grades whose clinicians may apply.
    pub from_grades: Vec<String>,
    /// States in which they may apply (default `qualified`).
    #[serde(default)]
    pub from_states: Option<Vec<String>>,
    /// Calendar months of the rounds (e.g. `[8, 2]`).
    pub months: Vec<u32>,
    /// Share of the year's posts offered in each round (default equal).
    #[serde(default)]
    pub round_shares: Option<Vec<f64>>,
    /// Probability an eligible clinician applies in a round.
    pub apply_prob: f64,
    /// The probability for applicants of particular `from_grades`, by
    /// grade name (default: `apply_prob`).
    #[serde(default)]
    pub apply_prob_by_grade: Option<BTreeMap<String, f64>>,
    /// Weight of this scheme among the schemes with a `preference` whose
    /// rounds fall in the same month: a clinician who would apply to
    /// several of them applies to one, chosen in proportion to the weights.
    #[serde(default)]
    pub preference: Option<f64>,
    /// Posts per year (national; split by region shares).
    pub posts_per_year: YearSeries,
    /// Share of the posts in each region, in `[[region]]` order (default:
    /// the regions' own shares). Moving posts between regions is a lever.
    #[serde(default)]
    pub region_shares: Option<Vec<f64>>,
    /// Months an applicant must have been in its current state (e.g. 36 in
    /// the leaver pool: a lapsed registration). Default 0.
    #[serde(default)]
    pub min_months_in_state: Option<u32>,
    /// Schemes of one family (e.g. the ST3 specialties) share one
    /// application: an eligible clinician applies to the family with the
    /// schemes' `apply_prob`, then to one of its schemes with posts in the
    /// round, chosen in proportion to `family_weight` (default 1). In the
    /// month's `preference` among schemes the family counts as one.
    #[serde(default)]
    pub family: Option<String>,
    /// Weight of this scheme within its family.
    #[serde(default)]
    pub family_weight: Option<f64>,
}

/// `[pause]`: OOP Pause.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPause {
    /// Whether pause hazards may fire at all.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Maximum months in pause (returns at the cap).
    #[serde(default = "twelve")]
    pub max_months: u32,
    /// Training still to do, in WTE-months, for eligibility.
    #[serde(default)]
    pub min_remaining_wte_months: f64,
    /// Fraction of paused months credited to training progress on return.
    #[serde(default)]
    pub credit_fraction: f64,
    /// Approvals per year (first come, first served); absent = unlimited.
    #[serde(default)]
    pub approval_capacity_per_year: Option<f64>,
    /// Calendar month in which the approval year starts.
    #[serde(default = "august")]
    pub capacity_year_start_month: u32,
}

fn yes() -> bool {
    true
}
fn twelve() -> u32 {
    12
}
fn august() -> u32 {
    8
}

impl Default for RawPause {
    fn default() -> Self {
        RawPause {
            enabled: true,
            max_months: 12,
            min_remaining_wte_months: 0.0,
            credit_fraction: 0.0,
            approval_capacity_per_year: None,
            capacity_year_start_month: 8,
        }
    }
}

/// `[returners]`: SuppoRTT (trainees) and Return to Practice (qualified).
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawReturners {
    /// Months away from which a return goes through the Returner state.
    #[serde(default)]
    pub threshold_months: u32,
    /// Months of SuppoRTT support for trainees (0 = SuppoRTT off).
    #[serde(default)]
    pub supportt_months: u32,
    /// Fraction of full-time progress accrued during SuppoRTT.
    #[serde(default)]
    pub supportt_progress_fraction: f64,
    /// Months of Return to Practice for qualified returners (0 = none).
    #[serde(default)]
    pub rtp_months: u32,
}

/// `[ltft]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLtft {
    /// Lowest LTFT WTE allowed.
    #[serde(default = "half")]
    pub min_wte: f64,
    /// Highest LTFT WTE allowed.
    #[serde(default = "point_eight")]
    pub max_wte: f64,
}

fn point_eight() -> f64 {
    0.8
}

impl Default for RawLtft {
    fn default() -> Self {
        RawLtft {
            min_wte: 0.5,
            max_wte: 0.8,
        }
    }
}

/// `[state_fte]`: FTE a clinician contributes in each non-working or
/// transitional state. `"own"` means the clinician's contracted FTE.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStateFte {
    /// Students (default 0).
    #[serde(default = "zero_fte")]
    pub student: FteRule,
    /// Pause (default 0; OOP Pause posts are NHS posts: set `"own"`).
    #[serde(default = "zero_fte")]
    pub pause: FteRule,
    /// Returners (default own).
    #[serde(default = "own_fte")]
    pub returner: FteRule,
    /// Overseas recruits in the pipeline (default 0).
    #[serde(default = "zero_fte")]
    pub overseas_recruit: FteRule,
}

impl Default for RawStateFte {
    fn default() -> Self {
        RawStateFte {
            student: zero_fte(),
            pause: zero_fte(),
            returner: own_fte(),
            overseas_recruit: zero_fte(),
        }
    }
}

/// A state's FTE: a fixed number or the clinician's own.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum FteRule {
    /// A fixed FTE.
    Fixed(f64),
    /// `"own"`.
    Own(String),
}

fn zero_fte() -> FteRule {
    FteRule::Fixed(0.0)
}
fn own_fte() -> FteRule {
    FteRule::Own("own".into())
}

/// A config file read from disk or embedded: its name (for errors) and text.
#[derive(Debug, Clone)]
pub struct ConfigSource {
    /// Path or `<embedded:NAME>`.
    pub file: String,
    /// TOML text.
    pub text: String,
}

impl ConfigSource {
    /// Reads a file (edge code: the model core never calls this).
    pub fn read(path: &std::path::Path) -> Result<ConfigSource, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Unreadable {
            file: path.display().to_string(),
            message: e.to_string(),
        })?;
        Ok(ConfigSource {
            file: path.display().to_string(),
            text,
        })
    }
}

/// Parses TOML into a value tree, naming the file on error.
pub fn parse_tree(src: &ConfigSource) -> Result<toml::Table, ConfigError> {
    src.text.parse::<toml::Table>().map_err(|e| ConfigError::Parse {
        file: src.file.clone(),
        message: e.to_string().trim_end().to_string(),
    })
}

/// Deserialises a (possibly overridden) tree into a `RawConfig`.
pub fn from_tree(file: &str, tree: toml::Table) -> Result<RawConfig, ConfigError> {
    let text = toml::to_string(&tree).map_err(|e| ConfigError::Parse {
        file: file.into(),
        message: e.to_string(),
    })?;
    toml::from_str::<RawConfig>(&text).map_err(|e| ConfigError::Parse {
        file: file.into(),
        message: e.to_string().trim_end().to_string(),
    })
}

/// Applies `key=value` overrides. Keys are dotted paths; inside an array of
/// tables a segment is either an index or the `name` of an element, e.g.
/// `hazard.nurse_leaving.annual_rate=0.08` or `model.months=12`. The value is
/// parsed as TOML (`12`, `0.5`, `true`, `"text"`, `[1, 2]`), else taken as a
/// string. The key must already exist, except as a new field of a table
/// (unknown fields are then refused by the schema).
pub fn apply_override(tree: &mut toml::Table, source: &str, kv: &str) -> Result<(), ConfigError> {
    let (key, raw_value) = kv.split_once('=').ok_or_else(|| ConfigError::Invalid {
        file: source.into(),
        key: kv.into(),
        value: String::new(),
        message: "expected key=value".into(),
    })?;
    let (key, raw_value) = (key.trim(), raw_value.trim());
    let value: toml::Value = format!("v = {raw_value}")
        .parse::<toml::Table>()
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| toml::Value::String(raw_value.to_string()));
    let segments: Vec<&str> = key.split('.').collect();
    set_path(tree, &segments, value).map_err(|message| ConfigError::Invalid {
        file: source.into(),
        key: key.into(),
        value: raw_value.into(),
        message,
    })
}

/// The value at a dotted path (the `--set` syntax), if the config has one.
pub fn get_path<'t>(table: &'t toml::Table, key: &str) -> Option<&'t toml::Value> {
    let segments: Vec<&str> = key.split('.').collect();
    let mut cur: &toml::Value = table.get(segments[0])?;
    let mut i = 1;
    while i < segments.len() {
        let seg = segments[i];
        cur = match cur {
            toml::Value::Table(t) => t.get(seg)?,
            toml::Value::Array(items) => {
                let idx = seg.parse::<usize>().ok().or_else(|| {
                    items
                        .iter()
                        .position(|it| it.get("name").and_then(|n| n.as_str()) == Some(seg))
                })?;
                items.get(idx)?
            }
            _ => return None,
        };
        i += 1;
    }
    Some(cur)
}

/// Sets `value` at `path` below `table`; an array segment is followed by an
/// index or an element `name`.
fn set_path(table: &mut toml::Table, path: &[&str], value: toml::Value) -> Result<(), String> {
    let (seg, rest) = match path {
        [] => return Err("empty key".into()),
        [seg, rest @ ..] if !seg.is_empty() => (*seg, rest),
        _ => return Err("empty path segment".into()),
    };
    if rest.is_empty() {
        table.insert(seg.to_string(), value);
        return Ok(());
    }
    match table.get_mut(seg) {
        None => Err(format!("no key `{seg}` in config")),
        Some(toml::Value::Table(t)) => set_path(t, rest, value),
        Some(toml::Value::Array(items)) => {
            let sel = rest[0];
            let idx = sel
                .parse::<usize>()
                .ok()
                .or_else(|| {
                    items
                        .iter()
                        .position(|it| it.get("name").and_then(|n| n.as_str()) == Some(sel))
                })
                .filter(|&k| k < items.len())
                .ok_or_else(|| format!("no element `{sel}` in `{seg}`"))?;
            match &mut items[idx] {
                toml::Value::Table(t) if rest.len() > 1 => set_path(t, &rest[1..], value),
                toml::Value::Table(_) => Err("cannot replace a whole array element".into()),
                other => {
                    *other = value;
                    Ok(())
                }
            }
        }
        Some(_) => Err(format!("`{seg}` is not a table")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(s: &str) -> toml::Table {
        s.parse().unwrap()
    }

    #[test]
    fn override_scalar_array_element_by_name_and_index() {
        let mut t = tree(
            "[model]\nmonths = 3\n[[hazard]]\nname='a'\nmonthly_prob=0.1\n[[hazard]]\nname='b'\nmonthly_prob=0.2\n",
        );
        apply_override(&mut t, "--set", "model.months=12").unwrap();
        apply_override(&mut t, "--set", "hazard.b.monthly_prob=0.3").unwrap();
        apply_override(&mut t, "--set", "hazard.0.monthly_prob=0.05").unwrap();
        assert_eq!(t["model"]["months"].as_integer(), Some(12));
        assert_eq!(t["hazard"][1]["monthly_prob"].as_float(), Some(0.3));
        assert_eq!(t["hazard"][0]["monthly_prob"].as_float(), Some(0.05));
    }

    #[test]
    fn override_unknown_path_names_key() {
        let mut t = tree("[model]\nmonths = 3\n");
        let e = apply_override(&mut t, "--set", "modle.months=1")
            .unwrap_err()
            .to_string();
        assert!(e.contains("modle.months") && e.contains("no key `modle`"), "{e}");
        let e = apply_override(&mut t, "--set", "nonsense").unwrap_err().to_string();
        assert!(e.contains("key=value"), "{e}");
    }
}

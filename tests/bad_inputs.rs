//! A corpus of bad inputs, each with the fragment its error must contain:
//! configs (mutations of `tests/fixtures/valid_small.toml`), `--set`
//! arguments, targets rows, free-parameter entries, scenario files,
//! posteriors, parameter overlays, and command lines of the real binary.
//! Every case must be refused with its message — never accepted, never a
//! panic. Library cases run in-process under `catch_unwind`; command-line
//! cases run the binary, which must exit 1 (not 101, a panic, or a signal).

mod common;
use common::*;

use std::panic::{AssertUnwindSafe, catch_unwind};

use careersim::calibration::{parse_free, parse_params_overlay, parse_posterior, parse_targets};
use careersim::config::ConfigSource;
use careersim::load_rules;
use careersim::scenario::parse_scenario;

const FIXTURE: &str = "valid_small.toml";

fn fixture_source() -> ConfigSource {
    ConfigSource {
        file: FIXTURE.into(),
        text: std::fs::read_to_string(fixture(FIXTURE)).expect("fixture"),
    }
}

/// Runs `f`, which must fail with an error containing `fragment`; returns
/// a description of what went wrong instead, if anything did.
fn check<T>(case: &str, fragment: &str, f: impl FnOnce() -> Result<T, String>) -> Option<String> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Err(_) => Some(format!("{case}: PANICKED")),
        Ok(Ok(_)) => Some(format!("{case}: accepted, expected an error with {fragment:?}")),
        Ok(Err(e)) if e.contains(fragment) => None,
        Ok(Err(e)) => Some(format!("{case}: error lacks {fragment:?}:\n    {e}")),
    }
}

/// Fails the test with every case that went wrong, after running them all.
fn report(failures: Vec<Option<String>>, n: usize, min: usize) {
    eprintln!("{n} cases");
    assert!(n >= min, "only {n} cases");
    let failures: Vec<String> = failures.into_iter().flatten().collect();
    assert!(
        failures.is_empty(),
        "{} of {n} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Config mutations: (text to find in the fixture, its replacement, fragment).
/// The first occurrence is replaced; the text must occur.
const CONFIG_CASES: &[(&str, &str, &str)] = &[
    // [model]
    ("months = 36", "months = 0", "key `model.months` = 0: must be 1..=1200"),
    (
        "months = 36",
        "months = 1201",
        "key `model.months` = 1201: must be 1..=1200",
    ),
    ("months = 36", "months = -1", "line 5"),
    ("months = 36", "months = 4294967296", "line 5"),
    ("months = 36", "months = \"many\"", "invalid type: string \"many\""),
    ("months = 36", "months = 1e300", "line 5"),
    (
        "start = \"2020-01\"",
        "start = \"3000-01\"",
        "year 3000 is out of range 1900-2999",
    ),
    (
        "start = \"2020-01\"",
        "start = \"1899-12\"",
        "year 1899 is out of range 1900-2999",
    ),
    (
        "start = \"2020-01\"",
        "start = \"2020-13\"",
        "key `model.start` = \"2020-13\": month 13",
    ),
    (
        "start = \"2020-01\"",
        "start = \"2020/01\"",
        "key `model.start` = \"2020/01\": expected YYYY-MM",
    ),
    (
        "start = \"2020-01\"",
        "start = \"\"",
        "key `model.start` = \"\": expected YYYY-MM",
    ),
    ("start = \"2020-01\"", "start = 2020", "invalid type: integer `2020`"),
    ("name = \"small\"", "name = \"\"", "key `model.name` = \"\""),
    (
        "name = \"small\"",
        "name = \"a b\"",
        "key `model.name` = \"a b\": use letters",
    ),
    ("seed = 42", "seed = -1", "line 6"),
    (
        "age_bands_years = [40]",
        "age_bands_years = [40, 30]",
        "key `model.age_bands_years`",
    ),
    (
        "age_bands_years = [40]",
        "age_bands_years = [1e300]",
        "key `model.age_bands_years`",
    ),
    (
        "age_bands_years = [40]",
        "age_bands_years = [nan]",
        "key `model.age_bands_years`",
    ),
    (
        "seed = 42",
        "seed = 42\npopulation_scale = 0.5",
        "key `model.population_scale` = 0.5",
    ),
    (
        "seed = 42",
        "seed = 42\npopulation_scale = nan",
        "key `model.population_scale` = NaN",
    ),
    (
        "seed = 42",
        "seed = 42\npopulation_scale = 1e300",
        "key `model.population_scale` = 1e300",
    ),
    (
        "seed = 42",
        "seed = 42\npopulation_scale = inf",
        "key `model.population_scale` = inf",
    ),
    (
        "seed = 42",
        "seed = 42\njoiner_ids = \"random\"",
        "key `model.joiner_ids` = random",
    ),
    ("seed = 42", "seed = 42\ncolour = \"blue\"", "unknown field `colour`"),
    // [[region]]
    ("share = 0.4", "share = 0.5", "key `region.share` = [0.5, 0.6]"),
    ("share = 0.4", "share = -0.4", "key `region.share` = [-0.4, 0.6]"),
    ("share = 0.4", "share = nan", "key `region.share` = [NaN, 0.6]"),
    (
        "name = \"north\"",
        "name = \"south\"",
        "key `region.name` = \"south\": duplicate name",
    ),
    (
        "[[region]]\nname = \"north\"\nshare = 0.4\n\n[[region]]\nname = \"south\"\nshare = 0.6\n",
        "",
        "missing field `region`",
    ),
    // [[group]]
    (
        "pension_age_years = 60",
        "pension_age_years = -60",
        "key `group.doctor.pension_age_years` = -60",
    ),
    (
        "pension_age_years = 60",
        "pension_age_years = nan",
        "key `group.doctor.pension_age_years` = NaN",
    ),
    (
        "retirement_monthly_prob = 0.05",
        "retirement_monthly_prob = 1.5",
        "key `group.doctor.retirement_monthly_prob` = 1.5: a probability must lie in [0, 1]",
    ),
    (
        "retirement_monthly_prob = 0.05",
        "retirement_monthly_prob = -0.1",
        "key `group.doctor.retirement_monthly_prob` = -0.1",
    ),
    (
        "max_working_age_years = 68",
        "max_working_age_years = 150",
        "key `group.doctor.max_working_age_years` = 150",
    ),
    (
        "max_working_age_years = 68",
        "max_working_age_years = 50",
        "key `group.doctor.max_working_age_years` = 50: must be at least the pension age",
    ),
    (
        "name = \"doctor\"",
        "name = \"nurse\"",
        "key `group.name` = \"nurse\": duplicate name",
    ),
    (
        "max_working_age_years = 68",
        "max_working_age_years = 68\nretire_to = \"heaven\"",
        "key `group.doctor.retire_to` = \"heaven\"",
    ),
    (
        "max_working_age_years = 68",
        "max_working_age_years = 68\nretire_to = \"trainee\"",
        "retirement goes to `gone` or `leaver`",
    ),
    (
        "max_working_age_years = 68",
        "max_working_age_years = 68\nvacancy_rate_at_start = 0.1",
        "key `group.doctor.establishment_growth_annual_rate` = (missing)",
    ),
    (
        "max_working_age_years = 68",
        "max_working_age_years = 68\nvacancy_rate_at_start = 1.0\nestablishment_growth_annual_rate = { 2020 = 0.01 }",
        "key `group.doctor.vacancy_rate_at_start` = 1: must be below 1",
    ),
    (
        "max_working_age_years = 68",
        "max_working_age_years = 68\nvacancy_rate_at_start = 0.1\nestablishment_growth_annual_rate = { 2020 = -1 }",
        "key `group.doctor.establishment_growth_annual_rate.2020` = -1",
    ),
    // [[grade]]
    (
        "kind = \"student\"",
        "kind = \"intern\"",
        "key `grade.med_student.kind` = \"intern\"",
    ),
    (
        "duration_wte_months = 24",
        "duration_wte_months = 0",
        "key `grade.med_student.duration_wte_months` = 0",
    ),
    (
        "duration_wte_months = 24",
        "duration_wte_months = 1e300",
        "key `grade.med_student.duration_wte_months` = 1e300",
    ),
    (
        "duration_wte_months = 24",
        "duration_wte_months = nan",
        "key `grade.med_student.duration_wte_months` = NaN",
    ),
    (
        "next = \"foundation\"",
        "next = \"nowhere\"",
        "key `grade.med_student.next` = \"nowhere\": unknown grade",
    ),
    (
        "next = \"service\"",
        "next = \"med_student\"",
        "key `grade.foundation.next` = \"med_student\": cannot progress into a student grade",
    ),
    (
        "next = \"consultant\"",
        "next = \"specialty\"",
        "key `grade.specialty.next` = \"specialty\": a grade cannot progress into itself",
    ),
    (
        "name = \"service\"\ngroup = \"doctor\"\nkind = \"employed\"",
        "name = \"service\"\ngroup = \"doctor\"\nkind = \"employed\"\nnext = \"foundation\"",
        "grade progression has a cycle: foundation -> service -> foundation",
    ),
    (
        "name = \"consultant\"\ngroup = \"doctor\"\nkind = \"employed\"",
        "name = \"consultant\"\ngroup = \"doctor\"\nkind = \"employed\"\nnext = \"specialty\"",
        "grade progression has a cycle: specialty -> consultant -> specialty",
    ),
    (
        "group = \"doctor\"",
        "group = \"dentist\"",
        "key `grade.med_student.group` = \"dentist\": unknown group",
    ),
    (
        "fte_mean = 0.9",
        "fte_mean = 1.5",
        "key `grade.service.fte_mean` = 1.5: an FTE must lie in [0, 1]",
    ),
    (
        "name = \"service\"",
        "name = \"foundation\"",
        "key `grade.name` = \"foundation\": duplicate name",
    ),
    (
        "next = \"service\"",
        "next = \"service\"\nkeeps_pathway = true",
        "key `grade.foundation.keeps_pathway` = true",
    ),
    (
        "kind = \"employed\"\nfte_mean = 0.9",
        "kind = \"employed\"\nfte_mean = 0.9\nduration_wte_months = 12",
        "key `grade.service.duration_wte_months` = 12: employed grades have no duration",
    ),
    ("next = \"nurse\"", "", "key `grade.nursing_student.next` = (missing)"),
    (
        "duration_wte_months = 12\nnext = \"service\"",
        "next = \"service\"",
        "key `grade.foundation.duration_wte_months` = (missing)",
    ),
    // [pause]
    ("max_months = 12", "max_months = 0", "key `pause.max_months` = 0"),
    ("max_months = 12", "max_months = 121", "key `pause.max_months` = 121"),
    (
        "min_remaining_wte_months = 3",
        "min_remaining_wte_months = -3",
        "key `pause.min_remaining_wte_months` = -3",
    ),
    (
        "credit_fraction = 0.5",
        "credit_fraction = 1.5",
        "key `pause.credit_fraction` = 1.5",
    ),
    (
        "approval_capacity_per_year = 40",
        "approval_capacity_per_year = 1e300",
        "key `pause.approval_capacity_per_year` = 1e300: a count must be a non-negative number at most 1e9",
    ),
    (
        "approval_capacity_per_year = 40",
        "approval_capacity_per_year = 1e19",
        "key `pause.approval_capacity_per_year` = 1e19",
    ),
    (
        "approval_capacity_per_year = 40",
        "approval_capacity_per_year = -40",
        "key `pause.approval_capacity_per_year` = -40",
    ),
    (
        "approval_capacity_per_year = 40",
        "approval_capacity_per_year = nan",
        "key `pause.approval_capacity_per_year` = NaN",
    ),
    (
        "approval_capacity_per_year = 40",
        "approval_capacity_per_year = 40\ncapacity_year_start_month = 13",
        "key `pause.capacity_year_start_month` = 13",
    ),
    (
        "max_months = 12",
        "max_months = 4294967296",
        "invalid value: integer `4294967296`",
    ),
    // [returners]
    ("threshold_months = 3", "threshold_months = 241", "key `returners`"),
    ("supportt_months = 2", "supportt_months = 61", "key `returners`"),
    (
        "supportt_progress_fraction = 0.5",
        "supportt_progress_fraction = 2",
        "key `returners.supportt_progress_fraction` = 2",
    ),
    ("rtp_months = 4", "rtp_months = -4", "invalid value: integer `-4`"),
    // [state_fte]
    (
        "pause = \"own\"",
        "pause = \"mine\"",
        "key `state_fte.pause` = \"mine\"",
    ),
    ("pause = \"own\"", "pause = 1.5", "key `state_fte.pause` = 1.5"),
    // [[stock]]
    (
        "headcount = 600",
        "headcount = 1e300",
        "key `stock.0.headcount` = 1e300: a count must be a non-negative number at most 1e9",
    ),
    ("headcount = 600", "headcount = 1e19", "key `stock.0.headcount` = 1e19"),
    (
        "headcount = 600",
        "headcount = 4294967296",
        "key `stock.0.headcount` = 4294967296",
    ),
    ("headcount = 600", "headcount = -600", "key `stock.0.headcount` = -600"),
    ("headcount = 600", "headcount = nan", "key `stock.0.headcount` = NaN"),
    ("headcount = 600", "headcount = inf", "key `stock.0.headcount` = inf"),
    (
        "headcount = 600",
        "headcount = \"many\"",
        "invalid type: string \"many\"",
    ),
    (
        "age_years = [18, 23]",
        "age_years = [23, 18]",
        "key `stock.0.age_years` = [23, 18]",
    ),
    (
        "age_years = [18, 23]",
        "age_years = [18, 230]",
        "key `stock.0.age_years` = [18, 230]",
    ),
    (
        "age_years = [18, 23]",
        "age_years = [nan, 20]",
        "key `stock.0.age_years` = [NaN, 20]",
    ),
    ("age_years = [18, 23]", "age_years = [18]", "invalid length 1"),
    (
        "grade = \"med_student\"\nstate",
        "grade = \"dentist\"\nstate",
        "key `stock.0.grade` = \"dentist\"",
    ),
    (
        "state = \"student\"\nheadcount",
        "state = \"retired\"\nheadcount",
        "key `stock.0.state` = \"retired\"",
    ),
    (
        "state = \"student\"\nheadcount",
        "state = \"gone\"\nheadcount",
        "key `stock.0.state` = \"gone\"",
    ),
    (
        "state = \"student\"\nheadcount",
        "state = \"trainee\"\nheadcount",
        "grade med_student cannot hold this state",
    ),
    (
        "headcount = 600",
        "headcount = 600\nshare_female = 2",
        "key `stock.0.share_female` = 2",
    ),
    ("fte_mean = 0.6", "fte_mean = 6", "key `stock.4.fte_mean` = 6"),
    (
        "headcount = 5000",
        "headcount = 1e9",
        "key `stock.headcount` = 1000005200: the run would hold up to 1000008630 clinicians (initial population plus joiners over 36 months",
    ),
    // [[hazard]]
    (
        "monthly_prob = 0.005",
        "monthly_prob = 1.5",
        "key `hazard.student_attrition.monthly_prob` = 1.5",
    ),
    (
        "monthly_prob = 0.005",
        "monthly_prob = -0.005",
        "key `hazard.student_attrition.monthly_prob` = -0.005",
    ),
    (
        "monthly_prob = 0.005",
        "monthly_prob = nan",
        "key `hazard.student_attrition.monthly_prob` = NaN",
    ),
    (
        "annual_rate = 0.04",
        "annual_rate = 2",
        "key `hazard.doctor_leaving_young.annual_rate` = 2",
    ),
    (
        "monthly_prob = 0.005",
        "monthly_prob = 0.005\nannual_rate = 0.1",
        "give exactly one of monthly_prob and annual_rate",
    ),
    (
        "name = \"ltft_return\"",
        "name = \"ltft_uptake\"",
        "key `hazard.name` = \"ltft_uptake\": duplicate name",
    ),
    (
        "state = \"trainee\"\nto = \"ltft\"",
        "state = \"sleeping\"\nto = \"ltft\"",
        "key `hazard.ltft_uptake.state`",
    ),
    (
        "to = \"ltft\"",
        "to = \"moon\"",
        "key `hazard.ltft_uptake.to` = \"moon\"",
    ),
    (
        "grades = [\"specialty\", \"foundation\"]",
        "grades = [\"specialty\", \"ghost\"]",
        "key `hazard.ltft_uptake.grades` = \"ghost\": unknown grade",
    ),
    (
        "fte_options = [0.5, 0.6, 0.8]",
        "fte_options = [0.5, 0.6, 1.8]",
        "key `hazard.ltft_uptake.fte` = 1.8",
    ),
    (
        "fte_options = [0.5, 0.6, 0.8]",
        "fte_options = [0.2]",
        "LTFT WTE must lie in [0.5, 0.8]",
    ),
    (
        "fte_options = [0.5, 0.6, 0.8]",
        "fte_options = []",
        "key `hazard.ltft_uptake.fte_weights`",
    ),
    (
        "fte_options = [0.5, 0.6, 0.8]",
        "fte_options = [0.5, 0.6, 0.8]\nfte_weights = [1, -1, 1]",
        "key `hazard.ltft_uptake.fte_weights`",
    ),
    (
        "age_max_years = 40",
        "age_max_years = 45",
        "key `hazard.doctor_leaving_young.age_max_years` = 45: age bounds must be one of model.age_bands_years",
    ),
    (
        "age_min_years = 40",
        "age_min_years = 1e300",
        "key `hazard.doctor_leaving_older.age_min_years` = 1e300",
    ),
    (
        "monthly_prob = 0.01\nfte_options",
        "monthly_prob = 0.99\nfte_options",
        "competing monthly hazards of grade specialty in state trainee sum past 1",
    ),
    (
        "annual_rate = 0.1\n",
        "annual_rate = 0.1\nsex = \"other\"\n",
        "key `hazard.nurse_leaving.sex` = \"other\"",
    ),
    (
        "group = \"doctor\"\ngrades = [\"service\", \"consultant\"]",
        "group = \"nurse\"\ngrades = [\"service\", \"consultant\"]",
        "a grade is not in group nurse",
    ),
    (
        "to = \"leaver\"\nannual_rate = 0.1",
        "to = \"ltft\"\nannual_rate = 0.1",
        "key `hazard.nurse_leaving.to` = ltft: grade nursing_student is not a training grade",
    ),
    (
        "state = \"leaver\"\nto = \"qualified\"",
        "state = \"leaver\"\nto = \"leaver\"",
        "must change state or grade",
    ),
    (
        "to = \"leaver\"\nannual_rate = 0.1",
        "to = \"leaver\"\nto_grade = \"consultant\"\nannual_rate = 0.1",
        "cannot move between staff groups",
    ),
    (
        "name = \"osce_pass\"\ngroup = \"nurse\"",
        "name = \"osce_pass\"",
        "a hazard needs `group` or `grades`",
    ),
    // [[inflow]]
    (
        "per_year = { 2019 = 300, 2020 = 300, 2021 = 350 }",
        "per_year = { 2019 = 1e300 }",
        "key `inflow.med_intake.per_year.2019` = 1e300",
    ),
    (
        "per_year = { 2020 = 400 }",
        "per_year = { 2020 = -400 }",
        "key `inflow.nurse_intake.per_year.2020` = -400",
    ),
    (
        "per_year = { 2020 = 400 }",
        "per_year = { 2020 = nan }",
        "key `inflow.nurse_intake.per_year.2020` = NaN",
    ),
    (
        "per_year = { 2020 = 400 }",
        "per_year = { 2020 = 1e8 }",
        "key `inflow.nurse_intake.per_year.2020` = 100000000: at most 8388608 a year",
    ),
    (
        "per_year = { 2019 = 300, 2020 = 300, 2021 = 350 }",
        "per_year = { 2019 = 300, 2021 = 350 }",
        "the series has a gap after 2019",
    ),
    (
        "per_year = { 2020 = 400 }",
        "per_year = { 3000 = 400 }",
        "key `inflow.nurse_intake.per_year.3000` = 400: year 3000 is out of range 1900-2999",
    ),
    (
        "per_year = { 2020 = 400 }",
        "per_year = { -2147483648 = 400 }",
        "year -2147483648 is out of range 1900-2999",
    ),
    (
        "per_year = { 2020 = 400 }",
        "per_year = { 2025 = 400 }",
        "the series must cover the start year 2020",
    ),
    (
        "per_year = { 2020 = 400 }",
        "per_year = { x = 400 }",
        "series keys must be years",
    ),
    (
        "per_year = { 2020 = 400 }",
        "per_year = {}",
        "a series needs at least one year",
    ),
    (
        "applicants_per_year = { 2019 = 1000 }",
        "applicants_per_year = { 2019 = 1e300 }",
        "key `inflow.med_intake.applicants_per_year.2019` = 1e300",
    ),
    ("months = [9]", "months = [13]", "key `inflow.med_intake.months` = [13]"),
    ("months = [9]", "months = [9, 9]", "calendar months repeat"),
    ("months = [9]", "months = []", "key `inflow.med_intake.months` = []"),
    (
        "age_years = [18, 20]",
        "age_years = [20, 18]",
        "key `inflow.med_intake.age_years` = [20, 18]",
    ),
    (
        "grade = \"med_student\"\nstate = \"student\"\nmonths",
        "grade = \"ghost\"\nstate = \"student\"\nmonths",
        "key `inflow.med_intake.grade` = \"ghost\"",
    ),
    (
        "grade = \"med_student\"\nstate = \"student\"\nmonths",
        "grade = \"med_student\"\nstate = \"trainee\"\nmonths",
        "joiners cannot enter grade med_student in this state",
    ),
    (
        "name = \"nurse_intake\"",
        "name = \"med_intake\"",
        "key `inflow.name` = \"med_intake\": duplicate name",
    ),
    (
        "age_years = [24, 35]",
        "age_years = [24, 35]\nfte = 2",
        "key `inflow.intl_nurses.fte` = 2",
    ),
    (
        "age_years = [24, 35]",
        "age_years = [24, 35]\nper_month_share_of_initial = 0.001",
        "give exactly one of per_year and per_month_share_of_initial",
    ),
    (
        "per_year = { 2020 = 120 }",
        "per_month_share_of_initial = 1.5",
        "key `inflow.intl_nurses.per_month_share_of_initial` = 1.5",
    ),
    (
        "per_year = { 2020 = 120 }",
        "per_month_share_of_initial = 0.5",
        "at most 1/512 with model.joiner_ids = by_origin",
    ),
    // [[recruitment]]
    (
        "posts_per_year = { 2020 = 200 }",
        "posts_per_year = { 2020 = 1e300 }",
        "key `recruitment.specialty.posts_per_year.2020` = 1e300: a count must be a non-negative number at most 1e9",
    ),
    (
        "posts_per_year = { 2020 = 200 }",
        "posts_per_year = { 2020 = 1e19 }",
        "key `recruitment.specialty.posts_per_year.2020` = 1e19",
    ),
    (
        "posts_per_year = { 2020 = 200 }",
        "posts_per_year = { 2020 = 4294967296 }",
        "key `recruitment.specialty.posts_per_year.2020` = 4294967296",
    ),
    (
        "posts_per_year = { 2020 = 200 }",
        "posts_per_year = { 2020 = -200 }",
        "key `recruitment.specialty.posts_per_year.2020` = -200",
    ),
    (
        "apply_prob = 0.3",
        "apply_prob = 1.3",
        "key `recruitment.specialty.apply_prob` = 1.3",
    ),
    (
        "round_shares = [0.75, 0.25]",
        "round_shares = [0.75, 0.5]",
        "key `recruitment.specialty.round_shares` = [0.75, 0.5]",
    ),
    (
        "months = [8, 2]",
        "months = [8, 14]",
        "key `recruitment.specialty.months` = [8, 14]",
    ),
    (
        "into_grade = \"specialty\"",
        "into_grade = \"med_student\"",
        "recruitment fills training or employed grades",
    ),
    (
        "from_grades = [\"service\"]",
        "from_grades = [\"nurse\"]",
        "applicants must be of the same staff group",
    ),
    (
        "from_grades = [\"service\"]",
        "from_grades = [\"ghost\"]",
        "key `recruitment.specialty.from_grades` = \"ghost\"",
    ),
    (
        "apply_prob = 0.3",
        "apply_prob = 0.3\nregion_shares = [1]",
        "key `recruitment.specialty.region_shares` = [1.0]: needs 2 non-negative shares",
    ),
    (
        "apply_prob = 0.3",
        "apply_prob = 0.3\nmin_months_in_state = 5000",
        "key `recruitment.specialty.min_months_in_state` = 5000",
    ),
    (
        "apply_prob = 0.3",
        "apply_prob = 0.3\nfrom_states = [\"gone\"]",
        "key `recruitment.specialty.from_states` = \"gone\"",
    ),
    (
        "name = \"specialty\"\ninto_grade",
        "name = \"specialty\"\nsize = 3\ninto_grade",
        "unknown field `size`",
    ),
    // Syntax and shape.
    ("[model]", "[model]\n[model]", "duplicate key"),
    ("[pause]", "[pause", "unclosed table, expected `]`"),
    ("[model]\n", "", "unknown field `age_bands_years`"),
    ("months = 36", "months = 36\nmonths = 37", "duplicate key"),
    ("name = \"small\"", "name = \"small", "line 3"),
];

#[test]
fn bad_configs_are_refused_naming_key_and_value() {
    let src = fixture_source();
    let failures: Vec<Option<String>> = CONFIG_CASES
        .iter()
        .map(|(from, to, fragment)| {
            assert!(src.text.contains(from), "mutation target {from:?} not in the fixture");
            let text = src.text.replacen(from, to, 1);
            let case = format!("config {from:?} -> {to:?}");
            check(&case, fragment, || {
                load_rules(
                    &ConfigSource {
                        file: FIXTURE.into(),
                        text,
                    },
                    &[],
                )
                .map_err(|e| e.to_string())
            })
        })
        .collect();
    // Whole-file cases.
    let mut more = vec![
        check("empty config", "missing field `model`", || {
            load_rules(
                &ConfigSource {
                    file: FIXTURE.into(),
                    text: String::new(),
                },
                &[],
            )
            .map_err(|e| e.to_string())
        }),
        check("binary garbage", FIXTURE, || {
            load_rules(
                &ConfigSource {
                    file: FIXTURE.into(),
                    text: "\u{0}\u{1}\u{2}[[[".into(),
                },
                &[],
            )
            .map_err(|e| e.to_string())
        }),
    ];
    more.extend(failures);
    let n = more.len();
    report(more, n, 150);
}

/// `--set` arguments on the fixture: (argument, fragment).
const SET_CASES: &[(&str, &str)] = &[
    (
        "model.months=0",
        "valid_small.toml (--set model.months=0): key `model.months` = 0",
    ),
    (
        "model.months=\"many\"",
        "(--set model.months=\"many\"): key `model.months`: invalid type: string",
    ),
    ("model.months=-5", "(--set model.months=-5): key `model.months`"),
    (
        "model.months=99999999999",
        "(--set model.months=99999999999): key `model.months`",
    ),
    (
        "model.colour=1",
        "(--set model.colour=1): key `model.colour`: unknown field `colour`",
    ),
    ("modle.months=1", "key `modle.months` = 1: no key `modle` in config"),
    ("nonsense", "key `nonsense` = : expected key=value"),
    ("=3", "empty path segment"),
    ("hazard.ghost.monthly_prob=0.1", "no element `ghost` in `hazard`"),
    ("hazard.99.monthly_prob=0.1", "no element `99` in `hazard`"),
    ("hazard.nurse_leaving=3", "cannot replace a whole array element"),
    ("model.start.year=2020", "`start` is not a table"),
    (
        "stock.0.headcount=1e300",
        "(--set stock.0.headcount=1e300): key `stock.0.headcount` = 1e300: a count must be",
    ),
    ("stock.0.headcount=1e19", "key `stock.0.headcount` = 1e19"),
    (
        "recruitment.specialty.posts_per_year.2020=1e300",
        "(--set recruitment.specialty.posts_per_year.2020=1e300): key `recruitment.specialty.posts_per_year.2020` = 1e300",
    ),
    (
        "pause.approval_capacity_per_year=1e19",
        "key `pause.approval_capacity_per_year` = 1e19",
    ),
    (
        "hazard.nurse_leaving.annual_rate=1.5",
        "(--set hazard.nurse_leaving.annual_rate=1.5): key `hazard.nurse_leaving.annual_rate` = 1.5",
    ),
    (
        "hazard.nurse_leaving.annual_rate=nan",
        "key `hazard.nurse_leaving.annual_rate` = NaN",
    ),
    (
        "hazard.nurse_leaving.annual_rate=\"high\"",
        "(--set hazard.nurse_leaving.annual_rate=\"high\")",
    ),
    (
        "model.start=\"3000-01\"",
        "key `model.start` = \"3000-01\": year 3000 is out of range 1900-2999",
    ),
    ("model.population_scale=0", "key `model.population_scale` = 0"),
    ("model.population_scale=1e300", "key `model.population_scale` = 1e300"),
    (
        "grade.consultant.next=\"specialty\"",
        "grade progression has a cycle: specialty -> consultant -> specialty",
    ),
    (
        "hazard.1.name=\"student_attrition\"",
        "key `hazard.name` = \"student_attrition\": duplicate name",
    ),
    (
        "region.1.name=\"north\"",
        "key `region.name` = \"north\": duplicate name",
    ),
    (
        "inflow.1.name=\"med_intake\"",
        "key `inflow.name` = \"med_intake\": duplicate name",
    ),
    (
        "model.name=\"bad name\"",
        "(--set model.name=\"bad name\"): key `model.name`",
    ),
    (
        "inflow.nurse_intake.per_year.2020=1e300",
        "key `inflow.nurse_intake.per_year.2020` = 1e300",
    ),
];

#[test]
fn bad_overrides_are_refused_naming_the_argument() {
    let src = fixture_source();
    let mut failures: Vec<Option<String>> = SET_CASES
        .iter()
        .map(|(kv, fragment)| {
            check(&format!("--set {kv}"), fragment, || {
                load_rules(&src, &["model.seed=3".to_string(), kv.to_string()]).map_err(|e| e.to_string())
            })
        })
        .collect();
    // An error in the file itself keeps the file's line, overrides or not.
    let mut broken = src.clone();
    broken.text = broken.text.replacen("months = 36", "months = \"many\"", 1);
    failures.push(check(
        "file error with overrides",
        "valid_small.toml: TOML parse error at line 5",
        || load_rules(&broken, &["model.seed=3".to_string()]).map_err(|e| e.to_string()),
    ));
    // A 10 MB value is echoed clipped, with its length.
    let huge = format!("model.name=\"{}!\"", "a".repeat(10_000_000));
    failures.push(check("10 MB value", "… (10000003 bytes): use letters", || {
        load_rules(&src, &[huge]).map_err(|e| {
            let s = e.to_string();
            assert!(s.len() < 2_000, "{} bytes of error", s.len());
            s
        })
    }));
    let n = failures.len();
    report(failures, n, 25);
}

const TARGETS_HEADER: &str = "series,grain,year,month,value,se,weight\n";

/// Targets rows (after a good first row): (row, fragment).
const TARGET_CASES: &[(&str, &str)] = &[
    (
        "nonsense.nurse,year,2021,9,1,1,1",
        "t.csv:3: field `series` = \"nonsense.nurse\": unknown series",
    ),
    (
        "fte.ghost,year,2021,9,1,1,1",
        "t.csv:3: field `series` = \"fte.ghost\": unknown scope",
    ),
    ("fte.nurse@mars,year,2021,9,1,1,1", "unknown region `mars`"),
    ("fte.nurse,decade,2021,9,1,1,1", "t.csv:3: field `grain` = \"decade\""),
    (
        "fte.nurse,year,twenty,9,1,1,1",
        "t.csv:3: field `year` = \"twenty\": must be a calendar year",
    ),
    (
        "fte.nurse,year,3000,9,1,1,1",
        "t.csv:3: field `year` = \"3000\": year 3000 is out of range 1900-2999",
    ),
    ("fte.nurse,year,-2147483648,9,1,1,1", "year -2147483648 is out of range"),
    (
        "fte.nurse,year,2019,9,1,1,1",
        "t.csv:3: field `year` = \"2019\": 2019-09 is before the model start 2020-01",
    ),
    ("fte.nurse,year,2021,13,1,1,1", "t.csv:3: field `month` = \"13\""),
    (
        "fte.nurse,year,2021,9,,1,1",
        "t.csv:3: field `value` = \"\": missing value",
    ),
    (
        "fte.nurse,year,2021,9,abc,1,1",
        "t.csv:3: field `value` = \"abc\": must be a number",
    ),
    (
        "fte.nurse,year,2021,9,inf,1,1",
        "t.csv:3: field `value` = \"inf\": must be a number",
    ),
    ("fte.nurse,year,2021,9,NaN,1,1", "t.csv:3: field `value` = \"NaN\""),
    (
        "fte.nurse,year,2021,9,1,0,1",
        "t.csv:3: field `se` = \"0\": a standard error must be positive",
    ),
    ("fte.nurse,year,2021,9,1,-1,1", "t.csv:3: field `se` = \"-1\""),
    (
        "fte.nurse,year,2021,9,1,1,-1",
        "t.csv:3: field `weight` = \"-1\": a weight must be >= 0",
    ),
    ("fte.nurse,year,2021,9,1,1,x", "t.csv:3: field `weight` = \"x\""),
    ("fte.nurse,year,2021,9,1,1", "t.csv: malformed CSV"),
    (
        "count.leavers.nurse,year,2020,3,1,1,1",
        "t.csv:3: field `month` = \"3\": a yearly flow needs",
    ),
];

#[test]
fn bad_targets_name_file_line_and_field() {
    let rules = load_rules(&fixture_source(), &[]).expect("fixture is valid");
    let mut failures: Vec<Option<String>> = TARGET_CASES
        .iter()
        .map(|(row, fragment)| {
            let text = format!("{TARGETS_HEADER}fte.nurse,year,2021,9,1000,10,1\n{row}\n");
            check(&format!("target row {row:?}"), fragment, || {
                parse_targets("t.csv", &text, &rules).map_err(|e| e.to_string())
            })
        })
        .collect();
    let whole: &[(&str, &str)] = &[
        ("", "t.csv: missing column `series`"),
        ("series,grain,year,month,value\n", "t.csv: missing column `se`"),
        (TARGETS_HEADER, "t.csv: no targets"),
        (
            "series,grain,year,month,value,se,weight\nfte.nurse,year,2021,9,1,1,0\nfte.doctor,year,2021,9,1,1,0\n",
            "t.csv: every target has weight 0",
        ),
    ];
    for (text, fragment) in whole {
        failures.push(check(&format!("targets file {text:?}"), fragment, || {
            parse_targets("t.csv", text, &rules).map_err(|e| e.to_string())
        }));
    }
    let n = failures.len();
    report(failures, n, 20);
}

/// Free-parameter files: (text, fragment).
const FREE_CASES: &[(&str, &str)] = &[
    (
        "[[param]]\npath = \"hazard.nurse_leaving.annual_rate\"\nmin = 0.15\nmax = 0.05\n",
        "free.toml:4: field `max` = \"0.05\": bounds must be finite with min < max",
    ),
    (
        "[[param]]\npath = \"hazard.nurse_leaving.annual_rate\"\nmin = 0.05\nmax = 1.5\n",
        "free.toml:4: field `max` = \"1.5\": the config is invalid at this bound",
    ),
    (
        "[[param]]\npath = \"hazard.nurse_leaving.annual_rate\"\nmin = -0.5\nmax = 0.5\n",
        "free.toml:3: field `min` = \"-0.5\": the config is invalid at this bound",
    ),
    (
        "[[param]]\npath = \"hazard.nurse_leaving.annual_rate\"\nmin = 0.05\nmax = inf\n",
        "free.toml:4: field `max` = \"inf\"",
    ),
    (
        "[[param]]\npath = \"hazard.nurse_leaving.annual_rate\"\nmin = nan\nmax = 0.5\n",
        "bounds must be finite",
    ),
    (
        "[[param]]\npath = \"hazard.nurse_leavin.annual_rate\"\nmin = 0.05\nmax = 0.15\n",
        "free.toml:2: field `path` = \"hazard.nurse_leavin.annual_rate\": no numeric parameter",
    ),
    (
        "[[param]]\npath = \"model.name\"\nmin = 0.05\nmax = 0.15\n",
        "free.toml:2: field `path` = \"model.name\": no numeric parameter",
    ),
    (
        "[[param]]\npath = \"hazard.nurse_leaving.annual_rate\"\nmin = 0.05\nmax = 0.15\n\n[[param]]\npath = \"hazard.nurse_leaving.annual_rate\"\nmin = 0.05\nmax = 0.15\n",
        "free.toml:7: field `path` = \"hazard.nurse_leaving.annual_rate\": declared twice",
    ),
    (
        "[[param]]\npath = \"hazard.nurse_leaving.annual_rate\"\nmin = 0\nmax = 0.15\nprior = \"log_uniform\"\n",
        "free.toml:3: field `min` = \"0\": a log_uniform prior needs min > 0",
    ),
    (
        "[[param]]\npath = \"hazard.nurse_leaving.annual_rate\"\nmin = 0.05\nmax = 0.15\nprior = \"normal\"\n",
        "free.toml: TOML parse error",
    ),
    ("", "free.toml: TOML parse error"),
    ("param = []\n", "free.toml: no [[param]] entries"),
    (
        "[[param]]\npath = \"hazard.nurse_leaving.annual_rate\"\nmin = 0.05\n",
        "missing field `max`",
    ),
    (
        "[[param]]\npath = \"stock.0.headcount\"\nmin = 0\nmax = 1e300\n",
        "free.toml:4: field `max` = \"1e300\": the config is invalid at this bound",
    ),
];

#[test]
fn bad_free_parameters_name_line_and_field() {
    let src = fixture_source();
    let failures: Vec<Option<String>> = FREE_CASES
        .iter()
        .map(|(text, fragment)| {
            check(&format!("free {text:?}"), fragment, || {
                parse_free("free.toml", text, &src).map_err(|e| e.to_string())
            })
        })
        .collect();
    let n = failures.len();
    report(failures, n, 12);
}

/// Scenario files: (text, fragment).
const SCENARIO_CASES: &[(&str, &str)] = &[
    ("", "s.toml: TOML parse error"),
    ("name = \"x\"\nwhat = 1\n", "unknown field `what`"),
    (
        "name = \"x\"\n[[lever]]\nfrom = \"2021-13\"\nset = { \"pause.enabled\" = false }\n",
        "s.toml:3: field `lever[0].from` = \"2021-13\": month 13",
    ),
    (
        "name = \"x\"\n[[lever]]\nfrom = \"3021-01\"\nset = { \"pause.enabled\" = false }\n",
        "s.toml:3: field `lever[0].from` = \"3021-01\": year 3021 is out of range 1900-2999",
    ),
    (
        "name = \"x\"\n[[lever]]\nfrom = \"2021\"\nset = { \"pause.enabled\" = false }\n",
        "field `lever[0].from` = \"2021\": expected YYYY-MM",
    ),
    (
        "name = \"x\"\n[[lever]]\nfrom = \"2021-01\"\nset = { \"pause.enabld\" = false }\n",
        "s.toml:4: field `lever[0].set` = \"pause.enabld\": no parameter at this path",
    ),
    (
        "name = \"x\"\n[[lever]]\nfrom = \"2021-01\"\nscale = { \"hazard.nurse_leaving.annual_rate\" = -1 }\n",
        "field `lever[0].scale` = \"-1\": a scale factor must be a number >= 0",
    ),
    (
        "name = \"x\"\n[[lever]]\nfrom = \"2021-01\"\nscale = { \"hazard.nurse_leaving.annual_rate\" = nan }\n",
        "a scale factor must be a number >= 0",
    ),
    (
        "name = \"x\"\n[[lever]]\nfrom = \"2021-01\"\nscale = { \"hazard.nurse_leaving.annual_rate\" = \"big\" }\n",
        "a scale factor must be a number >= 0",
    ),
    (
        "name = \"x\"\n[[lever]]\nfrom = \"2021-01\"\nscale = { \"model.name\" = 2 }\n",
        "field `lever[0].scale` = \"model.name\": no number or yearly series at this path",
    ),
    (
        "name = \"x\"\n[[lever]]\nfrom = \"2021-01\"\nscale = { \"hazard.nurse_leaving.annual_rate\" = 20 }\n",
        "s.toml:4: field `lever[0].scale.hazard.nurse_leaving.annual_rate` = \"20\": the config valid_small.toml is invalid with this lever: key `hazard.nurse_leaving.annual_rate` = 2",
    ),
    (
        "name = \"x\"\n[[lever]]\nfrom = \"2021-01\"\nset = { \"stock.0.headcount\" = 1e300 }\n",
        "key `stock.0.headcount` = 1e300",
    ),
    (
        "name = \"x\"\n[[lever]]\nfrom = \"2021-01\"\nset = { \"recruitment.specialty.posts_per_year.2022\" = 1e19 }\n",
        "key `recruitment.specialty.posts_per_year.2022` = 1e19",
    ),
    ("[[lever]]\nfrom = \"2021-01\"\n", "missing field `name`"),
    (
        "name = \"x\"\n[[lever]]\nfrom = \"2021-01\"\nset = { \"hazard.ltft_uptake.monthly_prob\" = 0.5 }\n[[lever]]\nfrom = \"2022-01\"\nset = { \"hazard.pause_uptake.monthly_prob\" = 0.6 }\n",
        "s.toml: with every lever applied, the config is invalid: valid_small.toml",
    ),
];

#[test]
fn bad_scenarios_name_file_line_and_lever() {
    let src = fixture_source();
    let failures: Vec<Option<String>> = SCENARIO_CASES
        .iter()
        .map(|(text, fragment)| {
            check(&format!("scenario {text:?}"), fragment, || {
                parse_scenario("s.toml", text, &src, &[]).map_err(|e| e.to_string())
            })
        })
        .collect();
    let n = failures.len();
    report(failures, n, 12);
}

const POSTERIOR_HEADER: &str = "particle,weight,distance,hazard.nurse_leaving.annual_rate\n";

/// Posterior files: (text, fragment).
fn posterior_cases() -> Vec<(String, &'static str)> {
    let h = POSTERIOR_HEADER;
    vec![
        (String::new(), "p.csv: expected the header particle,weight,distance"),
        ("particle,weight,distance\n0,1,0\n".into(), "expected the header"),
        (
            "particle,weight,distance,hazard.ghost.annual_rate\n0,1,0,0.1\n".into(),
            "p.csv:1: field `hazard.ghost.annual_rate`",
        ),
        (
            format!(
                "{}0,1,0,0.1,0.1\n",
                h.trim_end().to_string() + ",hazard.nurse_leaving.annual_rate\n"
            ),
            "column named twice",
        ),
        (
            format!("{h}0,1,0,0.1\n1,1,0,1.5\n"),
            "p.csv:3: field `hazard.nurse_leaving.annual_rate` = \"1.5\": the config valid_small.toml is invalid with this value",
        ),
        (
            format!("{h}0,1,0,-0.5\n"),
            "p.csv:2: field `hazard.nurse_leaving.annual_rate` = \"-0.5\"",
        ),
        (format!("{h}0,abc,0,0.1\n"), "p.csv:2: field `weight` = \"abc\""),
        (
            format!("{h}0,inf,0,0.1\n"),
            "p.csv:2: field `weight` = \"inf\": must be a finite number",
        ),
        (
            format!("{h}0,-1,0,0.1\n"),
            "p.csv:2: field `weight` = \"-1\": a weight must be >= 0",
        ),
        (format!("{h}0,0,0,0.1\n"), "p.csv: no particles with positive weight"),
        (
            format!("{h}0,1,0,nan\n"),
            "p.csv:2: field `hazard.nurse_leaving.annual_rate` = \"nan\"",
        ),
        (format!("{h}0,1,0\n"), "p.csv: malformed CSV"),
        (format!("{h}0,1,x,0.1\n"), "p.csv:2: field `distance` = \"x\""),
    ]
}

#[test]
fn bad_posteriors_blame_the_posterior_file() {
    let src = fixture_source();
    let failures: Vec<Option<String>> = posterior_cases()
        .iter()
        .map(|(text, fragment)| {
            check(&format!("posterior {text:?}"), fragment, || {
                parse_posterior("p.csv", text, &src).map_err(|e| e.to_string())
            })
        })
        .collect();
    let n = failures.len();
    report(failures, n, 12);
}

/// Parameter overlays (`--params`): (text, fragment).
const PARAMS_CASES: &[(&str, &str)] = &[
    (
        "\"hazard.nurse_leaving.annual_rate\" = 1.5\n",
        "best.toml:1: field `hazard.nurse_leaving.annual_rate` = \"1.5\": the config valid_small.toml is invalid with this value: key `hazard.nurse_leaving.annual_rate` = 1.5",
    ),
    (
        "\"model.seed\" = 1\n\"stock.0.headcount\" = 1e300\n",
        "best.toml:2: field `stock.0.headcount`",
    ),
    (
        "\"hazard.nurse_leavin.annual_rate\" = 0.1\n",
        "best.toml:1: field `hazard.nurse_leavin.annual_rate` = \"0.1\": no parameter at this path",
    ),
    (
        "\"hazard.nurse_leaving.annual_rate\" = [0.1]\n",
        "a parameter value must be a number, boolean or string",
    ),
    (
        "\"hazard.nurse_leaving.annual_rate\" = \n",
        "best.toml: TOML parse error",
    ),
    ("\"model.months\" = 0\n", "best.toml:1: field `model.months` = \"0\""),
];

#[test]
fn bad_parameter_overlays_blame_the_overlay() {
    let src = fixture_source();
    let failures: Vec<Option<String>> = PARAMS_CASES
        .iter()
        .map(|(text, fragment)| {
            check(&format!("params {text:?}"), fragment, || {
                parse_params_overlay("best.toml", text, &src).map_err(|e| e.to_string())
            })
        })
        .collect();
    let n = failures.len();
    report(failures, n, 6);
}

/// Runs the binary; it must fail with exit code 1 (an error, not a panic
/// or a signal) and the fragment on stderr.
fn check_cli(args: &[String], fragment: &str) -> Option<String> {
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = careersim(&refs);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let case = format!("careersim {}", args.join(" "));
    match out.status.code() {
        Some(1) if stderr.contains(fragment) => None,
        Some(0) => Some(format!("{case}: accepted, expected {fragment:?}")),
        code => Some(format!(
            "{case}: exit {code:?}, expected 1 with {fragment:?}:\n    {stderr}"
        )),
    }
}

#[test]
fn bad_command_lines_are_refused_before_running() {
    let tmp = tempdir();
    let small = fixture(FIXTURE).display().to_string();
    let out = tmp.path().join("never").display().to_string();
    let scen = tmp.path().join("late.toml");
    std::fs::write(
        &scen,
        "name = \"late\"\n[[lever]]\nfrom = \"2030-01\"\nset = { \"pause.enabled\" = false }\n",
    )
    .unwrap();
    let scen = scen.display().to_string();
    let targets = tmp.path().join("t.csv");
    std::fs::write(
        &targets,
        "series,grain,year,month,value,se\nfte.nurse,year,2021,9,1000,10\n",
    )
    .unwrap();
    let targets = targets.display().to_string();
    let free = tmp.path().join("free.toml");
    std::fs::write(
        &free,
        "[[param]]\npath = \"hazard.nurse_leaving.annual_rate\"\nmin = 0.05\nmax = 0.15\n",
    )
    .unwrap();
    let free = free.display().to_string();
    let bad_params = tmp.path().join("best.toml");
    std::fs::write(&bad_params, "\"hazard.nurse_leaving.annual_rate\" = 2.0\n").unwrap();
    let bad_params = bad_params.display().to_string();
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<String>>();
    let calibrate = |extra: &[&str]| {
        let mut v = s(&[
            "calibrate",
            &small,
            "--targets",
            &targets,
            "--free",
            &free,
            "--out",
            &out,
        ]);
        v.extend(s(extra));
        v
    };
    let hindcast_until = |until: &str, extra: &[&str]| {
        let mut v = s(&[
            "hindcast",
            &small,
            "--observed",
            &targets,
            "--from",
            "2020-06",
            "--until",
            until,
            "--out",
            &out,
        ]);
        v.extend(s(extra));
        v
    };
    let hindcast = |extra: &[&str]| hindcast_until("2022-01", extra);
    let cases: Vec<(Vec<String>, &str)> = vec![
        (s(&["run", &small, "--agents", "5", "--out", &out]), "--agents 5: "),
        (
            s(&["bench", "--agents", "10000000000"]),
            "--agents 10000000000: at most 1000000000",
        ),
        (s(&["bench", "--agents", "4294967296"]), "--agents 4294967296: at most"),
        (
            s(&["bench", "--agents", "900000000", "--months", "12"]),
            "this run needs about",
        ),
        (
            s(&["bench", "--max-memory", "1K", "--agents", "1000"]),
            "the limit is 1.0 KiB",
        ),
        (
            s(&["bench", "--max-memory", "lots"]),
            "--max-memory lots: expected a number of bytes",
        ),
        (s(&["bench", "--months", "5000"]), "--months 5000: at most 1200"),
        (
            s(&["run", &small, "--max-memory", "1K", "--out", &out]),
            "(1024 bytes, --max-memory)",
        ),
        (
            s(&["run", &small, "--months", "0", "--out", &out]),
            "--months 0: must be 1..=1200",
        ),
        (
            s(&["run", &small, "--start", "3000-01", "--out", &out]),
            "--start 3000-01: year 3000 is out of range",
        ),
        (
            s(&["run", &small, "--start", "2020-1", "--out", &out]),
            "--start 2020-1: expected YYYY-MM",
        ),
        (
            s(&["run", &small, "--set", "stock.0.headcount=1e300", "--out", &out]),
            "(--set stock.0.headcount=1e300): key `stock.0.headcount` = 1e300",
        ),
        (
            s(&[
                "run",
                &small,
                "--set",
                "recruitment.specialty.posts_per_year.2020=1e19",
                "--out",
                &out,
            ]),
            "key `recruitment.specialty.posts_per_year.2020` = 1e19",
        ),
        (
            s(&["run", &small, "--params", &bad_params, "--out", &out]),
            "best.toml:1: field `hazard.nurse_leaving.annual_rate`",
        ),
        (
            s(&["validate", &small, "--set", "hazard.1.name=\"student_attrition\""]),
            "duplicate name",
        ),
        (
            s(&["validate", &small, "--set", "model.months=\"x\""]),
            "(--set model.months=\"x\"): key `model.months`",
        ),
        (calibrate(&["--particles", "0"]), "--particles 0: must be at least 1"),
        (calibrate(&["--budget", "0"]), "--budget 0: must be at least 1"),
        (
            calibrate(&["--fit-replicates", "0"]),
            "--fit-replicates 0: must be at least 1",
        ),
        (
            calibrate(&["--particles", "100000000"]),
            "--particles 100000000: must be at most",
        ),
        (
            calibrate(&["--budget", "100000000000"]),
            "--budget 100000000000: must be at most",
        ),
        (
            calibrate(&["--particles", "50", "--budget", "10"]),
            "--particles 50 exceeds --budget 10",
        ),
        (calibrate(&["--scale", "0.5"]), "--scale 0.5: must be a number >= 1"),
        (calibrate(&["--max-memory", "1K"]), "the limit is 1.0 KiB"),
        (hindcast(&["--replicates", "0"]), "--replicates 0: must be at least 1"),
        (
            hindcast(&["--replicates", "999999999"]),
            "--replicates 999999999: must be at most",
        ),
        (
            hindcast_until("3000-01", &[]),
            "--until 3000-01: year 3000 is out of range",
        ),
        (hindcast(&["--max-memory", "1K"]), "the limit is 1.0 KiB"),
        (
            s(&["scenarios", &small, &scen, "--until", "2022-01", "--out", &out]),
            "a lever starts 2030-01, after the last simulated month 2022-01",
        ),
        (
            s(&["scenarios", &small, &scen, "--out", &out]),
            "after the last simulated month 2023-01",
        ),
        (
            s(&["scenarios", &small, "--draws", "0", "--out", &out]),
            "--draws 0: must be at least 1",
        ),
        (
            s(&["scenarios", &small, "--replicates", "0", "--out", &out]),
            "--replicates 0: must be at least 1",
        ),
        (
            s(&["scenarios", &small, "--until", "2999-13", "--out", &out]),
            "--until 2999-13: month 13",
        ),
        (
            s(&["scenarios", &small, "--until", "2900-01", "--out", &out]),
            "months after the model start 2020-01; at most 1200",
        ),
        (
            s(&["scenarios", &small, "--scale", "nan", "--out", &out]),
            "--scale NaN: must be a number >= 1",
        ),
        (
            s(&["scenarios", &small, "--scale", "1e300", "--out", &out]),
            "--scale 1e300: must be a number >= 1 and at most 1e9",
        ),
        (hindcast(&["--scale", "0"]), "--scale 0: must be a number >= 1"),
        (calibrate(&["--scale", "inf"]), "--scale inf: must be a number >= 1"),
        (
            s(&["scenarios", &small, "--max-memory", "1K", "--out", &out]),
            "the limit is 1.0 KiB",
        ),
    ];
    let n = cases.len();
    let failures: Vec<Option<String>> = cases.iter().map(|(args, f)| check_cli(args, f)).collect();
    assert!(!tmp.path().join("never").exists(), "a refused command wrote its output");
    report(failures, n, 30);
}

#[test]
fn a_run_within_its_memory_limit_goes_ahead() {
    let out = careersim(&["bench", "--agents", "1000", "--months", "2", "--max-memory", "1G"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    assert_eq!(v["agents"], 1000);
}

/// The England baseline's finer grain: a nursing field, an ICS or a
/// specialty that does not exist, and ICS shares that no longer sum to
/// their region's, are refused naming the key and value.
#[test]
fn unknown_fields_icss_and_specialties_are_refused_by_name() {
    let src = careersim::load::baseline_source();
    let cases: &[(&str, &str)] = &[
        (
            "nursing_field.nope.arrivals_share=0.1",
            "key `nursing_field.nope.arrivals_share` = 0.1: no element `nope` in `nursing_field`",
        ),
        (
            "ics.devonn.share=0.1",
            "key `ics.devonn.share` = 0.1: no element `devonn` in `ics`",
        ),
        (
            "specialty.cardiologyy.trainees_share=0.1",
            "no element `cardiologyy` in `specialty`",
        ),
        (
            "ics.devon.share=0.3",
            "key `ics.somerset.share` = 1.082200: the shares of bsw, bnssg, cornwall_and_isles_of_scilly, devon, dorset, gloucestershire, somerset must sum to 1",
        ),
        (
            "nursing_field.adult.students_share=0.5",
            "key `nursing_field.children.students_share` = 0.811000: the shares of adult, mental_health, learning_disability, children must sum to 1",
        ),
        (
            "ics.devon.region=\"wales\"",
            "key `ics.devon.region` = \"wales\": unknown region",
        ),
    ];
    let failures: Vec<Option<String>> = cases
        .iter()
        .map(|(kv, fragment)| {
            check(&format!("--set {kv}"), fragment, || {
                load_rules(&src, &[kv.to_string()]).map_err(|e| e.to_string())
            })
        })
        .collect();
    let n = failures.len();
    report(failures, n, n);
}

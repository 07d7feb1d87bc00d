//! Medical specialties: `[[specialty]]` splits the template grades named in
//! `[specialty_grades]` into one grade per specialty, before anything else
//! is compiled.
//!
//! A specialty is carried by the clinician's grade (`consultant_cardiology`,
//! `higher_specialty_cardiology`), as the staff group is: no field of the hot
//! record changes, and every rule the model has — progression and time to
//! CCT, LTFT pro rata, hazards, capacity-limited recruitment, exact
//! accounting by (grade, state, region) — holds per specialty because it
//! holds per grade.
//!
//! What the split does, for a template grade `T` of a role and the
//! specialties `S` of that role:
//! - `T` becomes one grade `T_S` per specialty (training length from the
//!   specialty; `next` to the specialty's own copy of the next template);
//! - a list of grades naming `T` (hazards, scopes, recruitment applicants)
//!   names every `T_S`; a higher-training scheme takes only the completers
//!   of its specialty's own `cores`;
//! - an initial `[[stock]]` of `T` becomes one stock per specialty, by its
//!   `trainees_share` or `consultants_share`;
//! - a `[[recruitment]]` scheme into `T` becomes one scheme per specialty
//!   (`<scheme>_S`), with `posts_share` of the scheme's posts, its own
//!   `region_shares`, and one family: an applicant applies to the family
//!   once and picks one specialty by `applications_share`
//!   (`mechanisms::recruitment`);
//! - `hazard_multipliers` multiply named hazards in the specialty's grades;
//! - a later curriculum (`curriculum_of`: the 2022 internal medicine
//!   curriculum, 4 years of higher training after IMT instead of 5) is a
//!   specialty of its own for training (grade, posts, applicants) whose
//!   completers become the consultants of the specialty it belongs to;
//! - scopes: `T` (every copy, so `fte.consultant` still means all
//!   consultants), `S` (all grades of the specialty) and `trainee_S`
//!   (its training grades).
//!
//! A config without `[[specialty]]` is unchanged (career-lite has none).

use std::collections::BTreeMap;

use crate::config::{RawConfig, RawGrade, RawRecruitment, RawScope, RawSpecialty, RawStock, YearSeries};
use crate::error::ConfigError;
use crate::limits::fmt_num;
use crate::rules::Compiler;

use super::split::share_at;

/// The role of a template grade in a specialty programme.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    /// Core training (split by `programme = "core"`).
    Core,
    /// Between core and higher training (split with its core).
    CoreCompleted,
    /// Higher training after a core (`uncoupled`).
    Higher,
    /// ST1 to CCT (`run_through`).
    RunThrough,
    /// After the CCT (every `uncoupled` and `run_through` specialty).
    Consultant,
}

impl Role {
    fn key(self) -> &'static str {
        match self {
            Role::Core => "core",
            Role::CoreCompleted => "core_completed",
            Role::Higher => "higher",
            Role::RunThrough => "run_through",
            Role::Consultant => "consultant",
        }
    }

    /// Whether specialty `s` has a copy of this role's grade (a later
    /// curriculum has its own training grade, not its own consultants).
    fn covers(self, s: &RawSpecialty) -> bool {
        let programme = s.programme.as_str();
        match self {
            Role::Core | Role::CoreCompleted => programme == "core",
            Role::Higher => programme == "uncoupled",
            Role::RunThrough => programme == "run_through",
            Role::Consultant => programme != "core" && s.curriculum_of.is_none(),
        }
    }

    /// Whether the role is a training grade whose length the specialty sets.
    fn is_training(self) -> bool {
        matches!(self, Role::Core | Role::Higher | Role::RunThrough)
    }
}

/// The split: template grade name -> (role, specialties in config order).
struct Split<'r> {
    templates: BTreeMap<String, (Role, Vec<&'r RawSpecialty>)>,
}

impl Split<'_> {
    /// The copy of template `t` for specialty `s`.
    fn copy(t: &str, s: &str) -> String {
        format!("{t}_{s}")
    }

    /// The template of a role, if configured.
    fn template(&self, role: Role) -> Option<&str> {
        self.templates
            .iter()
            .find(|(_, (r, _))| *r == role)
            .map(|(n, _)| n.as_str())
    }

    /// Every copy of a grade name (itself when it is not a template).
    fn copies(&self, name: &str) -> Vec<String> {
        match self.templates.get(name) {
            Some((_, specs)) => specs.iter().map(|s| Split::copy(name, &s.name)).collect(),
            None => vec![name.to_string()],
        }
    }

    /// The copy of a template that belongs to specialty `s`, if any; a later
    /// curriculum's consultants are those of the specialty it belongs to.
    fn copy_for(&self, name: &str, s: &RawSpecialty) -> Option<String> {
        let (role, _) = self.templates.get(name)?;
        match (&s.curriculum_of, role) {
            (Some(parent), Role::Consultant) => Some(Split::copy(name, parent)),
            _ => role.covers(s).then(|| Split::copy(name, &s.name)),
        }
    }
}

/// Splits the config's template grades by `[[specialty]]`; `None` when the
/// config has no specialties (it is then compiled as written).
pub(crate) fn expand(c: &Compiler<'_>, raw: &RawConfig) -> Result<Option<RawConfig>, ConfigError> {
    let Some(sg) = &raw.specialty_grades else {
        if let Some(s) = raw.specialty.first() {
            return Err(c.err(
                format!("specialty.{}", s.name),
                format!("\"{}\"", s.name),
                "`[[specialty]]` needs `[specialty_grades]` naming the grades it splits",
            ));
        }
        return Ok(None);
    };
    if raw.specialty.is_empty() {
        return Err(c.err(
            "specialty",
            "(none)",
            "`[specialty_grades]` without any `[[specialty]]`",
        ));
    }
    let specs = &raw.specialty;
    check_specialties(c, specs)?;
    let mut templates = BTreeMap::new();
    for (role, name) in [
        (Role::Core, &sg.core),
        (Role::CoreCompleted, &sg.core_completed),
        (Role::Higher, &sg.higher),
        (Role::RunThrough, &sg.run_through),
        (Role::Consultant, &sg.consultant),
    ] {
        let Some(name) = name else { continue };
        let key = format!("specialty_grades.{}", role.key());
        if !raw.grade.iter().any(|g| &g.name == name) {
            return Err(c.err(key, format!("\"{name}\""), "unknown grade"));
        }
        if templates.contains_key(name) {
            return Err(c.err(key, format!("\"{name}\""), "a grade has one role"));
        }
        let of_role: Vec<&RawSpecialty> = specs.iter().filter(|s| role.covers(s)).collect();
        if of_role.is_empty() {
            return Err(c.err(
                key,
                format!("\"{name}\""),
                format!(
                    "no `[[specialty]]` has a programme that splits the {} grade",
                    role.key()
                ),
            ));
        }
        templates.insert(name.clone(), (role, of_role));
    }
    let split = Split { templates };
    for s in specs {
        let needs = match s.programme.as_str() {
            "core" => Role::Core,
            "uncoupled" => Role::Higher,
            _ => Role::RunThrough,
        };
        for role in [needs, Role::Consultant] {
            if role.covers(s) && split.template(role).is_none() {
                return Err(c.err(
                    format!("specialty.{}.programme", s.name),
                    format!("\"{}\"", s.programme),
                    format!("`[specialty_grades]` has no `{}` grade to split", role.key()),
                ));
            }
        }
    }
    check_shares(c, specs)?;

    let mut out = raw.clone();
    out.grade = split_grades(c, &split, &raw.grade)?;
    let copies = |n: &str| split.templates.get(n).map(|_| split.copies(n));
    super::split::rename_references(c, &mut out, &copies, "specialty")?;
    for s in specs {
        let own: Vec<String> = split.templates.keys().filter_map(|t| split.copy_for(t, s)).collect();
        super::split::multiply_hazards(
            c,
            &format!("specialty.{}.hazard_multipliers", s.name),
            &own,
            s.hazard_multipliers.as_ref(),
            &mut out.hazard,
        )?;
    }
    out.stock = split_stocks(&split, &raw.stock);
    out.recruitment = split_schemes(c, &split, &raw.recruitment)?;
    out.scope.extend(generated_scopes(&split, specs));
    out.specialties_split = specs
        .iter()
        .map(|s| (s.name.clone(), s.programme.clone(), s.curriculum_of.clone()))
        .collect();
    out.specialty_grades = None;
    out.specialty = Vec::new();
    Ok(Some(out))
}

fn check_specialties(c: &Compiler<'_>, specs: &[RawSpecialty]) -> Result<(), ConfigError> {
    crate::rules::check_unique(
        c,
        "specialty",
        &specs.iter().map(|s| s.name.clone()).collect::<Vec<_>>(),
    )?;
    for s in specs {
        let k = |f: &str| format!("specialty.{}.{f}", s.name);
        super::split::check_name(c, k("name"), &s.name, "specialty")?;
        if !matches!(s.programme.as_str(), "core" | "uncoupled" | "run_through") {
            return Err(c.err(
                k("programme"),
                format!("\"{}\"", s.programme),
                "a programme is \"core\", \"uncoupled\" or \"run_through\"",
            ));
        }
        if !s.training_wte_months.is_finite() || !(1.0..=1200.0).contains(&s.training_wte_months) {
            return Err(c.err(
                k("training_wte_months"),
                fmt_num(s.training_wte_months),
                "must lie in [1, 1200]",
            ));
        }
        match (s.programme.as_str(), &s.cores) {
            ("uncoupled", None) => {
                return Err(c.err(
                    k("cores"),
                    "(missing)",
                    "an uncoupled specialty names the core(s) it draws from",
                ));
            }
            ("uncoupled", Some(cores)) => {
                if cores.is_empty() {
                    return Err(c.err(k("cores"), "[]", "name at least one core"));
                }
                for core in cores {
                    if !specs.iter().any(|x| &x.name == core && x.programme == "core") {
                        return Err(c.err(
                            k("cores"),
                            format!("\"{core}\""),
                            "not a specialty with programme \"core\"",
                        ));
                    }
                }
            }
            (_, Some(cores)) => {
                return Err(c.err(
                    k("cores"),
                    format!("{cores:?}"),
                    "only an uncoupled specialty draws from cores",
                ));
            }
            _ => {}
        }
        if let Some(parent) = &s.curriculum_of {
            let Some(p) = specs.iter().find(|x| &x.name == parent) else {
                return Err(c.err(k("curriculum_of"), format!("\"{parent}\""), "unknown specialty"));
            };
            if p.programme != s.programme || p.programme == "core" || p.curriculum_of.is_some() {
                return Err(c.err(
                    k("curriculum_of"),
                    format!("\"{parent}\""),
                    "a later curriculum belongs to an uncoupled or run-through specialty of its own programme that is not itself a curriculum",
                ));
            }
            if let Some(v) = s.consultants_share {
                return Err(c.err(
                    k("consultants_share"),
                    fmt_num(v),
                    format!("a later curriculum's consultants are {parent}'s"),
                ));
            }
        }
        match (s.programme.as_str(), s.consultants_share) {
            _ if s.curriculum_of.is_some() => {}
            ("core", Some(v)) => {
                return Err(c.err(
                    k("consultants_share"),
                    fmt_num(v),
                    "a core programme has no consultants",
                ));
            }
            ("core", None) => {}
            (_, None) => {
                return Err(c.err(
                    k("consultants_share"),
                    "(missing)",
                    "the specialty's share of the initial consultants",
                ));
            }
            (_, Some(v)) => {
                c.prob(&k("consultants_share"), v)?;
            }
        }
        c.prob(&k("trainees_share"), s.trainees_share)?;
        if !s.applications_share.is_finite() || s.applications_share < 0.0 {
            return Err(c.err(
                k("applications_share"),
                fmt_num(s.applications_share),
                "must be 0 or more",
            ));
        }
        share_points(c, &k("posts_share"), &s.posts_share)?;
    }
    Ok(())
}

/// A `posts_share` series: (year, share), sorted; each value holds from its
/// year until the next year given (the first also before it).
fn share_points(c: &Compiler<'_>, key: &str, s: &YearSeries) -> Result<Vec<(i32, f64)>, ConfigError> {
    c.year_points(key, s, |k, v| c.prob(k, v).map(|_| ()))
}

/// The shares that must sum to 1: trainees per programme, consultants over
/// every specialty that has them, and posts per programme in every year.
fn check_shares(c: &Compiler<'_>, specs: &[RawSpecialty]) -> Result<(), ConfigError> {
    let sum_is_one = |key: String, parts: Vec<(String, f64)>| super::split::sum_is_one(c, key, &parts);
    for programme in ["core", "uncoupled", "run_through"] {
        let of: Vec<&RawSpecialty> = specs.iter().filter(|s| s.programme == programme).collect();
        let Some(last) = of.last() else { continue };
        sum_is_one(
            format!("specialty.{}.trainees_share", last.name),
            of.iter().map(|s| (s.name.clone(), s.trainees_share)).collect(),
        )?;
        let series: Vec<Vec<(i32, f64)>> = of
            .iter()
            .map(|s| share_points(c, &format!("specialty.{}.posts_share", s.name), &s.posts_share))
            .collect::<Result<_, _>>()?;
        let mut years: Vec<i32> = series.iter().flatten().map(|p| p.0).collect();
        years.sort_unstable();
        years.dedup();
        for y in years {
            sum_is_one(
                format!("specialty.{}.posts_share.{y}", last.name),
                of.iter()
                    .zip(&series)
                    .map(|(s, p)| (s.name.clone(), share_at(p, y)))
                    .collect(),
            )?;
        }
        if of.iter().all(|s| s.applications_share == 0.0) {
            return Err(c.err(
                format!("specialty.{}.applications_share", last.name),
                "0",
                format!("at least one {programme} specialty needs applications"),
            ));
        }
    }
    let with_consultants: Vec<&RawSpecialty> = specs
        .iter()
        .filter(|s| s.programme != "core" && s.curriculum_of.is_none())
        .collect();
    if let Some(last) = with_consultants.last() {
        sum_is_one(
            format!("specialty.{}.consultants_share", last.name),
            with_consultants
                .iter()
                .map(|s| (s.name.clone(), s.consultants_share.unwrap_or(0.0)))
                .collect(),
        )?;
    }
    Ok(())
}

/// Each template grade replaced by its copies, in place.
fn split_grades(c: &Compiler<'_>, split: &Split<'_>, grades: &[RawGrade]) -> Result<Vec<RawGrade>, ConfigError> {
    let mut out = Vec::new();
    for g in grades {
        let Some((role, specs)) = split.templates.get(&g.name) else {
            if let Some(n) = g.next.as_ref().filter(|n| split.templates.contains_key(*n)) {
                return Err(c.err(
                    format!("grade.{}.next", g.name),
                    format!("\"{n}\""),
                    "this grade is split by specialty; a grade completing into it must be split too",
                ));
            }
            out.push(g.clone());
            continue;
        };
        for s in specs {
            let mut copy = g.clone();
            copy.name = Split::copy(&g.name, &s.name);
            if role.is_training() {
                copy.duration_wte_months = Some(s.training_wte_months);
            }
            if let Some(n) = &g.next {
                copy.next = Some(match split.copy_for(n, s) {
                    Some(x) => x,
                    None if split.templates.contains_key(n) => {
                        return Err(c.err(
                            format!("grade.{}.next", g.name),
                            format!("\"{n}\""),
                            format!("specialty {} has no copy of this grade", s.name),
                        ));
                    }
                    None => n.clone(),
                });
            }
            out.push(copy);
        }
    }
    Ok(out)
}

/// Each initial stock of a template split by the specialties' shares.
fn split_stocks(split: &Split<'_>, stocks: &[RawStock]) -> Vec<RawStock> {
    let mut out = Vec::new();
    for st in stocks {
        let Some((role, specs)) = split.templates.get(&st.grade) else {
            out.push(st.clone());
            continue;
        };
        for s in specs {
            let share = match role {
                Role::Consultant => s.consultants_share.unwrap_or(0.0),
                _ => s.trainees_share,
            };
            let mut copy = st.clone();
            copy.grade = Split::copy(&st.grade, &s.name);
            copy.headcount = st.headcount * share;
            copy.name = st.name.as_ref().map(|n| format!("{n}_{}", s.name));
            out.push(copy);
        }
    }
    out
}

/// Each scheme into a template split into one scheme per specialty, the
/// specialties of one scheme forming its family.
fn split_schemes(
    c: &Compiler<'_>,
    split: &Split<'_>,
    schemes: &[RawRecruitment],
) -> Result<Vec<RawRecruitment>, ConfigError> {
    let mut out = Vec::new();
    for r in schemes {
        let key = |f: &str| format!("recruitment.{}.{f}", r.name);
        let Some((role, specs)) = split.templates.get(&r.into_grade) else {
            let copies = |n: &str| split.templates.get(n).map(|_| split.copies(n));
            out.push(super::split::expand_scheme_lists(&copies, r));
            continue;
        };
        if !role.is_training() {
            return Err(c.err(
                key("into_grade"),
                format!("\"{}\"", r.into_grade),
                "this grade is split by specialty: recruit into one of its specialty grades",
            ));
        }
        if r.family.is_some() {
            return Err(c.err(
                key("family"),
                format!("{:?}", r.family),
                "a scheme split by specialty forms its own family",
            ));
        }
        let posts = year_points(c, &key("posts_per_year"), &r.posts_per_year)?;
        let core_completed = split.template(Role::CoreCompleted);
        for s in specs {
            let shares = share_points(c, &format!("specialty.{}.posts_share", s.name), &s.posts_share)?;
            let first = posts[0].0.min(shares[0].0);
            let last = posts[posts.len() - 1].0.max(shares[shares.len() - 1].0);
            let posts_per_year: YearSeries = (first..=last)
                .map(|y| (y.to_string(), (share_at(&posts, y) * share_at(&shares, y)).round()))
                .collect();
            let from_grades: Vec<String> = r
                .from_grades
                .iter()
                .flat_map(|n| match (core_completed, &s.cores) {
                    (Some(cc), Some(cores)) if n == cc => cores.iter().map(|k| Split::copy(cc, k)).collect(),
                    _ => split.copies(n),
                })
                .collect();
            let apply_prob_by_grade = r.apply_prob_by_grade.as_ref().map(|m| {
                m.iter()
                    .flat_map(|(n, v)| split.copies(n).into_iter().map(move |x| (x, *v)))
                    .filter(|(n, _)| from_grades.contains(n))
                    .collect()
            });
            out.push(RawRecruitment {
                name: Split::copy(&r.name, &s.name),
                into_grade: Split::copy(&r.into_grade, &s.name),
                from_grades,
                apply_prob_by_grade,
                posts_per_year,
                region_shares: s.region_shares.clone().or_else(|| r.region_shares.clone()),
                family: Some(r.name.clone()),
                family_weight: Some(s.applications_share),
                ..r.clone()
            });
        }
    }
    Ok(out)
}

/// A contiguous yearly series (checked as posts later) as sorted points.
fn year_points(c: &Compiler<'_>, key: &str, s: &YearSeries) -> Result<Vec<(i32, f64)>, ConfigError> {
    c.year_points(key, s, |_, _| Ok(()))
}

/// `T` for every template, `S` and `trainee_S` for every specialty.
fn generated_scopes(split: &Split<'_>, specs: &[RawSpecialty]) -> Vec<RawScope> {
    let mut out = Vec::new();
    for (t, (role, _)) in &split.templates {
        out.push(RawScope {
            name: t.clone(),
            grades: split.copies(t),
            note: Some(format!(
                "every specialty's {t} (the {} grade split by [[specialty]])",
                role.key()
            )),
        });
    }
    for s in specs {
        // Its own grades, and the training grades of its later curricula;
        // a later curriculum's scopes hold its training grade only.
        let mut own: Vec<(Role, String)> = split
            .templates
            .iter()
            .filter_map(|(t, (role, _))| {
                let g = split.copy_for(t, s)?;
                (s.curriculum_of.is_none() || role.is_training()).then_some((*role, g))
            })
            .collect();
        for later in specs.iter().filter(|x| x.curriculum_of.as_ref() == Some(&s.name)) {
            own.extend(
                split
                    .templates
                    .iter()
                    .filter(|(_, (role, _))| role.is_training())
                    .filter_map(|(t, (role, _))| split.copy_for(t, later).map(|g| (*role, g))),
            );
        }
        own.sort_by_key(|(role, _)| *role as u8);
        out.push(RawScope {
            name: s.name.clone(),
            grades: own.iter().map(|(_, g)| g.clone()).collect(),
            note: Some(format!("every grade of the {} specialty", s.name)),
        });
        out.push(RawScope {
            name: format!("trainee_{}", s.name),
            grades: own
                .iter()
                .filter(|(r, _)| r.is_training())
                .map(|(_, g)| g.clone())
                .collect(),
            note: Some(format!("trainees of the {} specialty", s.name)),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ConfigSource;
    use crate::testutil::invalid;

    /// A core (`cm`), two uncoupled specialties drawing from it and one
    /// run-through specialty; `{extra}` is appended.
    fn source(extra: &str) -> ConfigSource {
        ConfigSource {
            file: "spec.toml".into(),
            text: format!(
                r#"
[model]
name = "spec"
start = "2020-01"
months = 12

[[region]]
name = "north"
share = 0.5

[[region]]
name = "south"
share = 0.5

[[group]]
name = "doctor"
pension_age_years = 65
retirement_monthly_prob = 0.05
max_working_age_years = 70

[[grade]]
name = "sas"
group = "doctor"
kind = "employed"

[[grade]]
name = "core"
group = "doctor"
kind = "training"
duration_wte_months = 36
next = "post_core"
starts_pathway = true

[[grade]]
name = "post_core"
group = "doctor"
kind = "employed"
keeps_pathway = true

[[grade]]
name = "higher"
group = "doctor"
kind = "training"
duration_wte_months = 60
next = "consultant"
awards_cct = true

[[grade]]
name = "rt"
group = "doctor"
kind = "training"
duration_wte_months = 84
next = "consultant"
awards_cct = true
starts_pathway = true

[[grade]]
name = "consultant"
group = "doctor"
kind = "employed"

[[stock]]
grade = "consultant"
state = "qualified"
headcount = 1000
age_years = [35, 60]

[[stock]]
name = "st"
grade = "higher"
state = "trainee"
headcount = 400
age_years = [28, 35]

[[hazard]]
name = "consultant_leaving"
grades = ["consultant"]
state = "qualified"
to = "leaver"
annual_rate = 0.04

[[recruitment]]
name = "st3"
into_grade = "higher"
from_grades = ["post_core", "sas"]
months = [8]
apply_prob = 0.5
apply_prob_by_grade = {{ sas = 0.1 }}
posts_per_year = {{ 2020 = 100, 2021 = 200 }}

[[scope]]
name = "hospital"
grades = ["sas", "core", "post_core", "higher", "rt", "consultant"]

[specialty_grades]
core = "core"
core_completed = "post_core"
higher = "higher"
run_through = "rt"
consultant = "consultant"

[[specialty]]
name = "cm"
programme = "core"
training_wte_months = 24
posts_share = {{ 2020 = 1.0 }}
applications_share = 1
trainees_share = 1.0

[[specialty]]
name = "card"
programme = "uncoupled"
cores = ["cm"]
training_wte_months = 48
posts_share = {{ 2020 = 0.25, 2021 = 0.5 }}
applications_share = 3
trainees_share = 0.25
consultants_share = 0.2
hazard_multipliers = {{ consultant_leaving = 2.0 }}

[[specialty]]
name = "gim"
programme = "uncoupled"
cores = ["cm"]
training_wte_months = 60
posts_share = {{ 2020 = 0.75, 2021 = 0.5 }}
applications_share = 1
trainees_share = 0.75
consultants_share = 0.5

[[specialty]]
name = "paed"
programme = "run_through"
training_wte_months = 96
posts_share = {{ 2020 = 1.0 }}
applications_share = 1
trainees_share = 1.0
consultants_share = 0.3
{extra}
"#
            ),
        }
    }

    fn expanded(extra: &str) -> RawConfig {
        let src = source(extra);
        let raw: RawConfig = toml::from_str(&src.text).unwrap();
        let c = Compiler {
            file: "spec.toml",
            raw: &raw,
            scale: 1.0,
        };
        expand(&c, &raw).unwrap().unwrap()
    }

    fn expand_err(extra: &str) -> (String, String) {
        invalid(crate::load_rules(&source(extra), &[]).map(|_| ()))
    }

    #[test]
    fn each_specialty_gets_its_own_grades_with_its_training_length_and_next_grade() {
        let out = expanded("");
        let names: Vec<&str> = out.grade.iter().map(|g| g.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "sas",
                "core_cm",
                "post_core_cm",
                "higher_card",
                "higher_gim",
                "rt_paed",
                "consultant_card",
                "consultant_gim",
                "consultant_paed"
            ]
        );
        let g = |n: &str| out.grade.iter().find(|g| g.name == n).unwrap();
        assert_eq!(g("core_cm").duration_wte_months, Some(24.0));
        assert_eq!(g("core_cm").next.as_deref(), Some("post_core_cm"));
        assert_eq!(g("higher_card").duration_wte_months, Some(48.0));
        assert_eq!(g("higher_card").next.as_deref(), Some("consultant_card"));
        assert_eq!(g("rt_paed").duration_wte_months, Some(96.0));
        assert_eq!(g("rt_paed").next.as_deref(), Some("consultant_paed"));
        assert!(g("post_core_cm").keeps_pathway && g("higher_gim").awards_cct);
        assert!(out.specialty.is_empty() && out.specialty_grades.is_none());
    }

    #[test]
    fn stocks_split_by_their_shares_and_named_stocks_keep_addressable_names() {
        let out = expanded("");
        let stock = |g: &str| out.stock.iter().find(|s| s.grade == g).unwrap();
        assert_eq!(stock("consultant_card").headcount, 200.0);
        assert_eq!(stock("consultant_gim").headcount, 500.0);
        assert_eq!(stock("consultant_paed").headcount, 300.0);
        assert_eq!(stock("higher_card").headcount, 100.0);
        assert_eq!(stock("higher_gim").name.as_deref(), Some("st_gim"));
        let total: f64 = out.stock.iter().map(|s| s.headcount).sum();
        assert_eq!(total, 1400.0);
    }

    #[test]
    fn a_scheme_splits_into_a_family_with_shared_posts_and_own_applicants() {
        let out = expanded("");
        let names: Vec<&str> = out.recruitment.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["st3_card", "st3_gim"]);
        let card = &out.recruitment[0];
        assert_eq!(card.into_grade, "higher_card");
        assert_eq!(card.family.as_deref(), Some("st3"));
        assert_eq!(card.family_weight, Some(3.0));
        // 100 posts x 0.25 in 2020, 200 x 0.5 in 2021.
        assert_eq!(card.posts_per_year.get("2020"), Some(&25.0));
        assert_eq!(card.posts_per_year.get("2021"), Some(&100.0));
        // Only its own core's completers, and SAS doctors at their rate.
        assert_eq!(card.from_grades, ["post_core_cm", "sas"]);
        assert_eq!(card.apply_prob_by_grade.as_ref().unwrap().get("sas"), Some(&0.1));
        // Compiled: one family of the two schemes.
        let rules = crate::load_rules(&source(""), &[]).unwrap();
        assert_eq!(rules.scheme_families.len(), 1);
        assert_eq!(rules.scheme_families[0].members, [0, 1]);
    }

    #[test]
    fn hazards_scopes_and_multipliers_follow_the_split() {
        let out = expanded("");
        let h = &out.hazard[0];
        assert_eq!(
            h.grades.as_deref().unwrap(),
            ["consultant_card", "consultant_gim", "consultant_paed"]
        );
        assert_eq!(
            h.multiplier_by_grade.as_ref().unwrap().get("consultant_card"),
            Some(&2.0)
        );
        assert_eq!(h.multiplier_by_grade.as_ref().unwrap().len(), 1);
        let scope = |n: &str| out.scope.iter().find(|s| s.name == n).unwrap().grades.clone();
        assert_eq!(scope("hospital").len(), 9);
        assert_eq!(
            scope("consultant"),
            ["consultant_card", "consultant_gim", "consultant_paed"]
        );
        assert_eq!(scope("card"), ["higher_card", "consultant_card"]);
        assert_eq!(scope("trainee_card"), ["higher_card"]);
        assert_eq!(scope("cm"), ["core_cm", "post_core_cm"]);
        // The compiled cells: the consultant_card leaving rate is doubled.
        let rules = crate::load_rules(&source(""), &[]).unwrap();
        let rate = |g: &str| {
            let gi = rules.grade_index(g).unwrap();
            let (start, len) = rules.cells[rules.cell_index(gi, crate::clinician::State::Qualified, 0, false)];
            assert_eq!(len, 1);
            rules.outcomes[start as usize].cum_threshold as f64
        };
        let ratio = rate("consultant_card") / rate("consultant_gim");
        // Monthly probabilities of annual 0.08 and 0.04.
        let m = |a: f64| 1.0 - (1.0f64 - a).powf(1.0 / 12.0);
        assert!((ratio - m(0.08) / m(0.04)).abs() < 1e-6, "{ratio}");
    }

    const LATER: &str = "[[specialty]]\nname = \"card22\"\nprogramme = \"uncoupled\"\ncores = [\"cm\"]\ncurriculum_of = \"card\"\ntraining_wte_months = 36\nposts_share = { 2020 = 0.0 }\napplications_share = 3\ntrainees_share = 0.0\n";

    #[test]
    fn a_later_curriculum_trains_in_its_own_grade_for_its_parents_consultant_posts() {
        let out = expanded(LATER);
        let g = |n: &str| out.grade.iter().find(|g| g.name == n);
        let later = g("higher_card22").unwrap();
        assert_eq!(later.duration_wte_months, Some(36.0));
        assert_eq!(later.next.as_deref(), Some("consultant_card"));
        assert!(g("consultant_card22").is_none());
        let scope = |n: &str| out.scope.iter().find(|s| s.name == n).unwrap().grades.clone();
        assert_eq!(scope("card"), ["higher_card", "higher_card22", "consultant_card"]);
        assert_eq!(scope("trainee_card"), ["higher_card", "higher_card22"]);
        assert_eq!(scope("trainee_card22"), ["higher_card22"]);
        assert_eq!(
            scope("consultant"),
            ["consultant_card", "consultant_gim", "consultant_paed"]
        );
        assert!(out.recruitment.iter().any(|r| r.name == "st3_card22"));
        let (k, m) = expand_err(&format!("{LATER}consultants_share = 0.1\n"));
        assert_eq!(k, "specialty.card22.consultants_share");
        assert!(m.contains("card's"), "{m}");
        let (k, _) = expand_err(&LATER.replace("curriculum_of = \"card\"", "curriculum_of = \"paed\""));
        assert_eq!(k, "specialty.card22.curriculum_of");
        let (k, m) = expand_err(&LATER.replace("curriculum_of = \"card\"", "curriculum_of = \"cardio\""));
        assert_eq!(k, "specialty.card22.curriculum_of");
        assert!(m.contains("unknown specialty"), "{m}");
    }

    #[test]
    fn a_config_without_specialties_is_compiled_as_written() {
        let raw = crate::testutil::tiny_raw("");
        let c = crate::testutil::compiler(&raw, 1.0);
        assert!(expand(&c, &raw).unwrap().is_none());
    }

    #[test]
    fn bad_specialties_are_refused_naming_the_key() {
        let cases: &[(&str, &str, &str)] = &[
            (
                "[[specialty]]\nname = \"x\"\nprogramme = \"rotating\"\ntraining_wte_months = 12\nposts_share = { 2020 = 0 }\napplications_share = 1\ntrainees_share = 0\nconsultants_share = 0\n",
                "specialty.x.programme",
                "programme",
            ),
            (
                "[[specialty]]\nname = \"x\"\nprogramme = \"uncoupled\"\ntraining_wte_months = 12\nposts_share = { 2020 = 0 }\napplications_share = 1\ntrainees_share = 0\nconsultants_share = 0\n",
                "specialty.x.cores",
                "core",
            ),
            (
                "[[specialty]]\nname = \"x\"\nprogramme = \"uncoupled\"\ncores = [\"gim\"]\ntraining_wte_months = 12\nposts_share = { 2020 = 0 }\napplications_share = 1\ntrainees_share = 0\nconsultants_share = 0\n",
                "specialty.x.cores",
                "programme \"core\"",
            ),
            (
                "[[specialty]]\nname = \"x\"\nprogramme = \"run_through\"\ntraining_wte_months = 12\nposts_share = { 2020 = 0.1 }\napplications_share = 1\ntrainees_share = 0\nconsultants_share = 0\n",
                "specialty.x.posts_share.2020",
                "sum to 1",
            ),
            (
                "[[specialty]]\nname = \"x\"\nprogramme = \"run_through\"\ntraining_wte_months = 12\nposts_share = { 2020 = 0 }\napplications_share = 1\ntrainees_share = 0\n",
                "specialty.x.consultants_share",
                "share of the initial consultants",
            ),
            (
                "[[specialty]]\nname = \"cm\"\nprogramme = \"core\"\ntraining_wte_months = 12\nposts_share = { 2020 = 0 }\napplications_share = 1\ntrainees_share = 0\n",
                "specialty.name",
                "duplicate",
            ),
            (
                "[[inflow]]\nname = \"imgs\"\ngrade = \"consultant\"\nstate = \"qualified\"\nper_year = { 2020 = 10 }\nage_years = [30, 40]\n",
                "inflow.imgs.grade",
                "split by specialty",
            ),
        ];
        for (extra, key, msg) in cases {
            let (k, m) = expand_err(extra);
            assert_eq!(&k, key, "{m}");
            assert!(m.contains(msg), "{key}: {m}");
        }
        let src = source("")
            .text
            .replace("consultant_leaving = 2.0", "consultant_exit = 2.0");
        let e = crate::load_rules(
            &ConfigSource {
                file: "spec.toml".into(),
                text: src,
            },
            &[],
        );
        let (k, m) = invalid(e.map(|_| ()));
        assert_eq!(k, "specialty.card.hazard_multipliers.consultant_exit");
        assert!(m.contains("unknown hazard"), "{m}");
        let mut raw: RawConfig = toml::from_str(&source("").text).unwrap();
        raw.specialty_grades = None;
        let c = Compiler {
            file: "spec.toml",
            raw: &raw,
            scale: 1.0,
        };
        let (k, m) = invalid(expand(&c, &raw).map(|_| ()));
        assert_eq!(k, "specialty.cm");
        assert!(m.contains("[specialty_grades]"), "{m}");
    }
}

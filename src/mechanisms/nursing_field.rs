//! Nursing fields: `[[nursing_field]]` splits the student and registered
//! nurse grades named in `[nursing_fields]` into one grade per field
//! (adult, mental health, learning disability, children's), after the
//! specialty split and before anything else is compiled.
//!
//! A field is carried by the grade, as a specialty is
//! (`registered_nurse_mental_health`): the hot record is unchanged, and
//! every rule and account that holds per grade holds per field. The split:
//! - the student grade `S` becomes `S_f`, completing into `R_f`; the
//!   registered grade `R` becomes `R_f`;
//! - every list of grades naming `S` or `R` (hazards, scopes, applicants)
//!   names all copies; `hazard_multipliers` multiply named hazards (course
//!   attrition, leaving) in the field's grades;
//! - an initial `[[stock]]` of `S` (`R`) becomes one per field by
//!   `students_share` (`registered_share`; lapsed nurses too);
//! - an `[[inflow]]` into `S` becomes one per field (`<inflow>_f`) with
//!   `intake_share` x `intake_multiplier_by_year` of its places and
//!   applicants; one into `R` (international nurses) one per field by
//!   `arrivals_share`. The parts form a family, so `count.starts.<inflow>`
//!   still counts the whole intake;
//! - a `[[recruitment]]` scheme into `R` (Return to Practice) becomes one
//!   per field, taking its own field's leavers, its posts split by
//!   `registered_share`, the parts a family named as the scheme;
//! - scopes: `S` and `R` (every field) and `nurse_f` (the field's grades).
//!
//! A grade outside the split may complete into a field's registered
//! grade (a nursing associate's degree apprenticeship into
//! `registered_nurse_adult`). A config without `[[nursing_field]]` is
//! unchanged.

use crate::config::{RawConfig, RawInflow, RawNursingField, RawRecruitment, RawScope, RawStock, YearSeries};
use crate::error::ConfigError;
use crate::limits::fmt_num;
use crate::rules::Compiler;

use super::split::{self, share_at};

/// The two templates and the fields.
struct Fields<'r> {
    student: &'r str,
    registered: &'r str,
    fields: &'r [RawNursingField],
}

impl Fields<'_> {
    /// The copies of a template (`None`: not a template).
    fn copies(&self, name: &str) -> Option<Vec<String>> {
        (name == self.student || name == self.registered)
            .then(|| self.fields.iter().map(|f| copy(name, &f.name)).collect())
    }
}

/// The copy of template `t` for field `f`.
fn copy(t: &str, f: &str) -> String {
    format!("{t}_{f}")
}

/// Splits the nurse grades by `[[nursing_field]]`; `None` when the config
/// has no fields (it is then compiled as written).
pub(crate) fn expand(c: &Compiler<'_>, raw: &RawConfig) -> Result<Option<RawConfig>, ConfigError> {
    let Some(nf) = &raw.nursing_fields else {
        if let Some(f) = raw.nursing_field.first() {
            return Err(c.err(
                format!("nursing_field.{}", f.name),
                format!("\"{}\"", f.name),
                "`[[nursing_field]]` needs `[nursing_fields]` naming the student and registered grades",
            ));
        }
        return Ok(None);
    };
    if raw.nursing_field.is_empty() {
        return Err(c.err(
            "nursing_field",
            "(none)",
            "`[nursing_fields]` without any `[[nursing_field]]`",
        ));
    }
    let fields = Fields {
        student: &nf.student,
        registered: &nf.registered,
        fields: &raw.nursing_field,
    };
    check_templates(c, raw, &fields)?;
    let years = check_fields(c, &raw.nursing_field)?;

    let mut out = raw.clone();
    out.grade = Vec::new();
    for g in &raw.grade {
        if fields.copies(&g.name).is_none() {
            out.grade.push(g.clone());
            continue;
        }
        for f in fields.fields {
            let mut x = g.clone();
            x.name = copy(&g.name, &f.name);
            x.next = g.next.as_ref().map(|n| {
                if fields.copies(n).is_some() {
                    copy(n, &f.name)
                } else {
                    n.clone()
                }
            });
            out.grade.push(x);
        }
    }
    out.inflow = split_inflows(&fields, &years, &raw.inflow);
    out.stock = split_stocks(&fields, &raw.stock);
    out.recruitment = split_schemes(c, &fields, &raw.recruitment)?;
    let copies = |n: &str| fields.copies(n);
    split::rename_references(c, &mut out, &copies, "nursing field")?;
    for f in fields.fields {
        split::multiply_hazards(
            c,
            &format!("nursing_field.{}.hazard_multipliers", f.name),
            &[copy(fields.student, &f.name), copy(fields.registered, &f.name)],
            f.hazard_multipliers.as_ref(),
            &mut out.hazard,
        )?;
    }
    for t in [fields.student, fields.registered] {
        out.scope.push(RawScope {
            name: t.to_string(),
            grades: fields.copies(t).unwrap_or_default(),
            note: Some(format!("every field's {t} (split by [[nursing_field]])")),
        });
    }
    for f in fields.fields {
        out.scope.push(RawScope {
            name: format!("nurse_{}", f.name),
            grades: vec![copy(fields.student, &f.name), copy(fields.registered, &f.name)],
            note: Some(format!("the {} nursing field (students and registered nurses)", f.name)),
        });
    }
    out.nursing_fields_split = fields.fields.iter().map(|f| f.name.clone()).collect();
    out.nursing_fields = None;
    out.nursing_field = Vec::new();
    Ok(Some(out))
}

/// The two templates exist, differ, and the student completes into the
/// registered grade.
fn check_templates(c: &Compiler<'_>, raw: &RawConfig, fields: &Fields<'_>) -> Result<(), ConfigError> {
    for (key, name) in [
        ("nursing_fields.student", fields.student),
        ("nursing_fields.registered", fields.registered),
    ] {
        if !raw.grade.iter().any(|g| g.name == name) {
            return Err(c.err(key, format!("\"{name}\""), "unknown grade"));
        }
    }
    let student = raw.grade.iter().find(|g| g.name == fields.student);
    if fields.student == fields.registered || student.and_then(|g| g.next.as_deref()) != Some(fields.registered) {
        return Err(c.err(
            "nursing_fields.student",
            format!("\"{}\"", fields.student),
            format!("the student grade must complete (`next`) into {}", fields.registered),
        ));
    }
    Ok(())
}

/// The fields' own keys, and the shares that sum to 1 (students,
/// registered, arrivals; intakes in every year given). Returns the years
/// of the intake shares and multipliers, in order.
fn check_fields(c: &Compiler<'_>, fields: &[RawNursingField]) -> Result<Vec<i32>, ConfigError> {
    crate::rules::check_unique(
        c,
        "nursing_field",
        &fields.iter().map(|f| f.name.clone()).collect::<Vec<_>>(),
    )?;
    let mut years = Vec::new();
    for f in fields {
        let k = |x: &str| format!("nursing_field.{}.{x}", f.name);
        split::check_name(c, k("name"), &f.name, "nursing field")?;
        c.prob(&k("students_share"), f.students_share)?;
        c.prob(&k("registered_share"), f.registered_share)?;
        c.prob(&k("arrivals_share"), f.arrivals_share)?;
        years.extend(intake_points(c, f)?.0.iter().map(|p| p.0));
        if let Some(m) = &f.intake_multiplier_by_year {
            years.extend(
                multiplier_points(c, &k("intake_multiplier_by_year"), m)?
                    .iter()
                    .map(|p| p.0),
            );
        }
    }
    years.sort_unstable();
    years.dedup();
    let last = &fields[fields.len() - 1].name;
    let parts = |share: &dyn Fn(&RawNursingField) -> f64| -> Vec<(String, f64)> {
        fields.iter().map(|f| (f.name.clone(), share(f))).collect()
    };
    let key = |x: &str| format!("nursing_field.{last}.{x}");
    split::sum_is_one(c, key("students_share"), &parts(&|f| f.students_share))?;
    split::sum_is_one(c, key("registered_share"), &parts(&|f| f.registered_share))?;
    split::sum_is_one(c, key("arrivals_share"), &parts(&|f| f.arrivals_share))?;
    let shares: Vec<Vec<(i32, f64)>> = fields
        .iter()
        .map(|f| intake_points(c, f).map(|p| p.0))
        .collect::<Result<_, _>>()?;
    for &y in &years {
        let at: Vec<(String, f64)> = fields
            .iter()
            .zip(&shares)
            .map(|(f, p)| (f.name.clone(), share_at(p, y)))
            .collect();
        split::sum_is_one(c, format!("{}.{y}", key("intake_share")), &at)?;
    }
    Ok(years)
}

/// A field's intake shares and multipliers as sorted points.
type Points = Vec<(i32, f64)>;

fn intake_points(c: &Compiler<'_>, f: &RawNursingField) -> Result<(Points, Points), ConfigError> {
    let k = |x: &str| format!("nursing_field.{}.{x}", f.name);
    let shares = c.year_points(&k("intake_share"), &f.intake_share, |key, v| c.prob(key, v).map(|_| ()))?;
    let mult = match &f.intake_multiplier_by_year {
        Some(m) => multiplier_points(c, &k("intake_multiplier_by_year"), m)?,
        None => vec![(shares[0].0, 1.0)],
    };
    Ok((shares, mult))
}

fn multiplier_points(c: &Compiler<'_>, key: &str, m: &YearSeries) -> Result<Points, ConfigError> {
    c.year_points(key, m, |key, v| {
        if !v.is_finite() || !(0.0..=100.0).contains(&v) {
            return Err(c.err(key, fmt_num(v), "an intake multiplier must lie in [0, 100]"));
        }
        Ok(())
    })
}

/// A yearly series (contiguous, its last value holding after it) times a
/// field's factor in each year, over the years of both.
fn scaled(series: &YearSeries, factor: &dyn Fn(i32) -> f64, years: &[i32]) -> YearSeries {
    let pts: Points = series
        .iter()
        .filter_map(|(y, v)| y.parse().ok().map(|y: i32| (y, *v)))
        .collect();
    if pts.is_empty() {
        return series.clone();
    }
    let first = years.iter().copied().chain([pts[0].0]).min().unwrap_or(pts[0].0);
    let last = years
        .iter()
        .copied()
        .chain([pts[pts.len() - 1].0])
        .max()
        .unwrap_or(pts[0].0);
    (first..=last)
        .map(|y| (y.to_string(), share_at(&pts, y) * factor(y)))
        .collect()
}

/// Each inflow into a template split into one inflow per field, a family.
fn split_inflows(fields: &Fields<'_>, years: &[i32], inflows: &[RawInflow]) -> Vec<RawInflow> {
    let mut out = Vec::new();
    for r in inflows {
        let into_student = r.grade == fields.student;
        if !into_student && r.grade != fields.registered {
            out.push(r.clone());
            continue;
        }
        for f in fields.fields {
            // Checked by `check_fields`; the points exist.
            let pts = |s: &YearSeries| -> Points {
                s.iter()
                    .filter_map(|(y, v)| y.parse().ok().map(|y: i32| (y, *v)))
                    .collect()
            };
            let shares = pts(&f.intake_share);
            let mult = f.intake_multiplier_by_year.as_ref().map(pts).unwrap_or_default();
            let factor = |y: i32| {
                if into_student {
                    // Before the first year given, no extra places.
                    let m = match mult.first() {
                        Some(&(y0, _)) if y >= y0 => share_at(&mult, y),
                        _ => 1.0,
                    };
                    share_at(&shares, y) * m
                } else {
                    f.arrivals_share
                }
            };
            let first_year = years.first().copied().unwrap_or(0);
            out.push(RawInflow {
                name: copy(&r.name, &f.name),
                grade: copy(&r.grade, &f.name),
                per_year: r.per_year.as_ref().map(|s| scaled(s, &factor, years)),
                applicants_per_year: r.applicants_per_year.as_ref().map(|s| scaled(s, &factor, years)),
                per_month_share_of_initial: r.per_month_share_of_initial.map(|s| s * factor(first_year)),
                family: Some(r.name.clone()),
                ..r.clone()
            });
        }
    }
    out
}

/// Each initial stock of a template split by the fields' shares.
fn split_stocks(fields: &Fields<'_>, stocks: &[RawStock]) -> Vec<RawStock> {
    let mut out = Vec::new();
    for st in stocks {
        if fields.copies(&st.grade).is_none() {
            out.push(st.clone());
            continue;
        }
        for f in fields.fields {
            let share = if st.grade == fields.student {
                f.students_share
            } else {
                f.registered_share
            };
            out.push(RawStock {
                grade: copy(&st.grade, &f.name),
                headcount: st.headcount * share,
                name: st.name.as_ref().map(|n| copy(n, &f.name)),
                ..st.clone()
            });
        }
    }
    out
}

/// Each scheme into the registered grade split into one per field taking
/// its own field's applicants; other schemes' applicant lists expanded.
fn split_schemes(
    c: &Compiler<'_>,
    fields: &Fields<'_>,
    schemes: &[RawRecruitment],
) -> Result<Vec<RawRecruitment>, ConfigError> {
    let mut out = Vec::new();
    let copies = |n: &str| fields.copies(n);
    for r in schemes {
        if r.into_grade == fields.student {
            return Err(c.err(
                format!("recruitment.{}.into_grade", r.name),
                format!("\"{}\"", r.into_grade),
                "recruitment cannot fill a student grade",
            ));
        }
        if r.into_grade != fields.registered {
            out.push(split::expand_scheme_lists(&copies, r));
            continue;
        }
        if r.family.is_some() {
            return Err(c.err(
                format!("recruitment.{}.family", r.name),
                format!("{:?}", r.family),
                "a scheme split by nursing field forms its own family",
            ));
        }
        for f in fields.fields {
            let own = |n: &String| {
                if fields.copies(n).is_some() {
                    copy(n, &f.name)
                } else {
                    n.clone()
                }
            };
            out.push(RawRecruitment {
                name: copy(&r.name, &f.name),
                into_grade: copy(&r.into_grade, &f.name),
                from_grades: r.from_grades.iter().map(own).collect(),
                apply_prob_by_grade: r
                    .apply_prob_by_grade
                    .as_ref()
                    .map(|m| m.iter().map(|(n, v)| (own(n), *v)).collect()),
                posts_per_year: r
                    .posts_per_year
                    .iter()
                    .map(|(y, v)| (y.clone(), (v * f.registered_share).round()))
                    .collect(),
                family: Some(r.name.clone()),
                family_weight: Some(f.registered_share),
                ..r.clone()
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ConfigSource;
    use crate::testutil::invalid;

    /// Students completing into registered nurses, two fields; `{fields}`
    /// replaces the field blocks and `{extra}` is appended.
    fn source(fields: &str, extra: &str) -> ConfigSource {
        ConfigSource {
            file: "fields.toml".into(),
            text: format!(
                r#"
[model]
name = "fields"
start = "2020-01"
months = 24

[[region]]
name = "england"
share = 1.0

[[group]]
name = "nurse"
pension_age_years = 60
retirement_monthly_prob = 0.05
max_working_age_years = 68

[[grade]]
name = "student"
group = "nurse"
kind = "student"
duration_wte_months = 36
next = "rn"

[[grade]]
name = "rn"
group = "nurse"
kind = "employed"

[[stock]]
grade = "student"
state = "student"
headcount = 1000
age_years = [18, 25]

[[stock]]
name = "lapsed"
grade = "rn"
state = "leaver"
headcount = 2000
age_years = [30, 50]

[[stock]]
grade = "rn"
state = "qualified"
headcount = 10000
age_years = [22, 60]

[[hazard]]
name = "attrition"
grades = ["student"]
state = "student"
to = "gone"
monthly_prob = 0.01

[[hazard]]
name = "leaving"
grades = ["rn"]
state = "qualified"
to = "leaver"
annual_rate = 0.1

[[inflow]]
name = "intake"
grade = "student"
state = "student"
months = [9]
per_year = {{ 2020 = 1000, 2021 = 2000 }}
age_years = [18, 25]

[[inflow]]
name = "intl"
grade = "rn"
state = "overseas_recruit"
per_year = {{ 2020 = 1200 }}
age_years = [25, 40]

[[recruitment]]
name = "rtp"
into_grade = "rn"
from_grades = ["rn"]
from_states = ["leaver"]
months = [1]
apply_prob = 0.1
posts_per_year = {{ 2020 = 100 }}

[nursing_fields]
student = "student"
registered = "rn"
{fields}
{extra}
"#
            ),
        }
    }

    const TWO: &str = r#"
[[nursing_field]]
name = "adult"
students_share = 0.8
registered_share = 0.9
intake_share = { 2020 = 0.8, 2021 = 0.75 }
arrivals_share = 1.0
hazard_multipliers = { attrition = 0.5 }

[[nursing_field]]
name = "ld"
students_share = 0.2
registered_share = 0.1
intake_share = { 2020 = 0.2, 2021 = 0.25 }
intake_multiplier_by_year = { 2021 = 2.0 }
arrivals_share = 0.0
hazard_multipliers = { leaving = 1.5 }
"#;

    fn expanded(fields: &str, extra: &str) -> Result<RawConfig, ConfigError> {
        let src = source(fields, extra);
        let raw: RawConfig = toml::from_str(&src.text).unwrap();
        let c = Compiler {
            file: &src.file,
            raw: &raw,
            scale: 1.0,
        };
        expand(&c, &raw).map(|r| r.expect("fields configured"))
    }

    #[test]
    fn the_split_copies_grades_stocks_inflows_and_schemes_by_field() {
        let out = expanded(TWO, "").unwrap();
        let names: Vec<&str> = out.grade.iter().map(|g| g.name.as_str()).collect();
        assert_eq!(names, ["student_adult", "student_ld", "rn_adult", "rn_ld"]);
        assert_eq!(out.grade[1].next.as_deref(), Some("rn_ld"));
        let stock = |n: &str| -> f64 { out.stock.iter().filter(|s| s.grade == n).map(|s| s.headcount).sum() };
        assert_eq!((stock("student_adult"), stock("student_ld")), (800.0, 200.0));
        assert_eq!((stock("rn_adult"), stock("rn_ld")), (10800.0, 1200.0));
        assert!(out.stock.iter().any(|s| s.name.as_deref() == Some("lapsed_ld")));
        let inflow = |n: &str| out.inflow.iter().find(|f| f.name == n).unwrap();
        let per = |n: &str, y: &str| inflow(n).per_year.as_ref().unwrap()[y];
        assert_eq!((per("intake_adult", "2020"), per("intake_ld", "2020")), (800.0, 200.0));
        // 2021: 2,000 x 0.25 x 2 (extra LD places) = 1,000.
        assert_eq!(
            (per("intake_adult", "2021"), per("intake_ld", "2021")),
            (1500.0, 1000.0)
        );
        assert_eq!((per("intl_adult", "2020"), per("intl_ld", "2020")), (1200.0, 0.0));
        assert_eq!(inflow("intake_ld").family.as_deref(), Some("intake"));
        let rtp: Vec<&RawRecruitment> = out.recruitment.iter().collect();
        assert_eq!(rtp.len(), 2);
        assert_eq!(rtp[1].from_grades, ["rn_ld"]);
        assert_eq!(rtp[1].posts_per_year["2020"], 10.0);
        assert_eq!(rtp[1].family.as_deref(), Some("rtp"));
        let attrition = out.hazard.iter().find(|h| h.name == "attrition").unwrap();
        assert_eq!(attrition.grades.as_ref().unwrap(), &["student_adult", "student_ld"]);
        assert_eq!(attrition.multiplier_by_grade.as_ref().unwrap()["student_adult"], 0.5);
        let leaving = out.hazard.iter().find(|h| h.name == "leaving").unwrap();
        assert_eq!(leaving.multiplier_by_grade.as_ref().unwrap()["rn_ld"], 1.5);
        let scope = out.scope.iter().find(|s| s.name == "nurse_ld").unwrap();
        assert_eq!(scope.grades, ["student_ld", "rn_ld"]);
        assert_eq!(out.nursing_fields_split, ["adult", "ld"]);
    }

    #[test]
    fn bad_fields_are_named() {
        let bad = |fields: &str, extra: &str| invalid(expanded(fields, extra));
        assert_eq!(
            bad(&TWO.replace("students_share = 0.2", "students_share = 0.3"), "").0,
            "nursing_field.ld.students_share"
        );
        let (key, msg) = bad(
            &TWO.replace(
                "intake_share = { 2020 = 0.2, 2021 = 0.25 }",
                "intake_share = { 2020 = 0.2 }",
            ),
            "",
        );
        assert_eq!(key, "nursing_field.ld.intake_share.2021");
        assert!(msg.contains("sum to 1"), "{msg}");
        assert_eq!(bad(&TWO.replace("\"ld\"", "\"Ld\""), "").0, "nursing_field.Ld.name");
        assert_eq!(
            bad(&TWO.replace("leaving = 1.5", "nope = 1.5"), "").0,
            "nursing_field.ld.hazard_multipliers.nope"
        );
        assert_eq!(
            bad(&TWO.replace("2021 = 2.0", "2021 = -1"), "").0,
            "nursing_field.ld.intake_multiplier_by_year.2021"
        );
        let (key, _) = bad(
            TWO,
            "[[hazard]]\nname = \"to_rn\"\ngrades = [\"student\"]\nstate = \"student\"\nto = \"qualified\"\nto_grade = \"rn\"\nmonthly_prob = 0.1\n",
        );
        assert_eq!(key, "hazard.to_rn.to_grade");
        let no_fields = source("", "");
        let raw: RawConfig = toml::from_str(&no_fields.text).unwrap();
        let c = Compiler {
            file: &no_fields.file,
            raw: &raw,
            scale: 1.0,
        };
        assert_eq!(invalid(expand(&c, &raw)).0, "nursing_field");
        assert_eq!(
            invalid(expanded(TWO, "").map(|_| ()).and_then(|_| {
                let src = source(TWO, "");
                let text = src.text.replace("registered = \"rn\"", "registered = \"nurse\"");
                let raw: RawConfig = toml::from_str(&text).unwrap();
                let c = Compiler {
                    file: "f",
                    raw: &raw,
                    scale: 1.0,
                };
                expand(&c, &raw).map(|_| ())
            }))
            .0,
            "nursing_fields.registered"
        );
    }

    #[test]
    fn a_config_without_fields_compiles_as_written() {
        let src = source("", "");
        let text = src
            .text
            .replace("[nursing_fields]\nstudent = \"student\"\nregistered = \"rn\"", "");
        let raw: RawConfig = toml::from_str(&text).unwrap();
        let c = Compiler {
            file: "f",
            raw: &raw,
            scale: 1.0,
        };
        assert!(expand(&c, &raw).unwrap().is_none());
    }
}

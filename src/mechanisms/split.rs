//! What the grade splits share (`specialty`, `nursing_field`, `ics`'s
//! shares): a template grade becomes one copy per part, every list of
//! grades naming it names the copies, and the parts' shares sum to 1.

use std::collections::BTreeMap;

use crate::config::{RawConfig, RawHazard, RawRecruitment};
use crate::error::ConfigError;
use crate::limits::fmt_num;
use crate::rules::Compiler;

/// Tolerance of shares that must sum to 1.
pub(crate) const SHARE_TOLERANCE: f64 = 1e-6;

/// A step series' value in a year (each value holds until the next year
/// given, the first also before it): posts and intake shares, and the
/// contiguous yearly series, whose last value holds after it ends.
pub(crate) fn share_at(pts: &[(i32, f64)], year: i32) -> f64 {
    pts.iter().rev().find(|p| p.0 <= year).unwrap_or(&pts[0]).1
}

/// A part's name (a specialty, a nursing field, an ICS): lower-case
/// letters, digits and `_`, as grade, scheme and series names are built
/// from it.
pub(crate) fn check_name(c: &Compiler<'_>, key: String, name: &str, what: &str) -> Result<(), ConfigError> {
    if name.is_empty()
        || !name
            .chars()
            .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '_')
    {
        return Err(c.err(
            key,
            format!("\"{name}\""),
            format!("a {what} name is lower-case letters, digits and _"),
        ));
    }
    Ok(())
}

/// Shares of named parts that must sum to 1; the error names `key`.
pub(crate) fn sum_is_one(c: &Compiler<'_>, key: String, parts: &[(String, f64)]) -> Result<(), ConfigError> {
    let total: f64 = parts.iter().map(|p| p.1).sum();
    if (total - 1.0).abs() > SHARE_TOLERANCE {
        let names: Vec<&str> = parts.iter().map(|p| p.0.as_str()).collect();
        return Err(c.err(
            key,
            format!("{total:.6}"),
            format!("the shares of {} must sum to 1", names.join(", ")),
        ));
    }
    Ok(())
}

/// Every copy of a grade name, by the split's `copies` (`None`: not a
/// template, itself).
fn copies_of(copies: &dyn Fn(&str) -> Option<Vec<String>>, name: &str) -> Vec<String> {
    copies(name).unwrap_or_else(|| vec![name.to_string()])
}

/// A list of grade names with every template replaced by its copies.
pub(crate) fn expand_list(copies: &dyn Fn(&str) -> Option<Vec<String>>, names: &[String]) -> Vec<String> {
    names.iter().flat_map(|n| copies_of(copies, n)).collect()
}

/// A map by grade name with every template's entry given to its copies.
pub(crate) fn expand_map(
    copies: &dyn Fn(&str) -> Option<Vec<String>>,
    m: &BTreeMap<String, f64>,
) -> BTreeMap<String, f64> {
    m.iter()
        .flat_map(|(n, v)| copies_of(copies, n).into_iter().map(move |x| (x, *v)))
        .collect()
}

/// Rewrites the references to the templates outside the split sections:
/// hazards' grade lists and `multiplier_by_grade`, scopes' grade lists.
/// A hazard's `to_grade` or an inflow's `grade` naming a template is an
/// error (`what`: "specialty" or "nursing field"), as is a grade's `next`.
pub(crate) fn rename_references(
    c: &Compiler<'_>,
    out: &mut RawConfig,
    copies: &dyn Fn(&str) -> Option<Vec<String>>,
    what: &str,
) -> Result<(), ConfigError> {
    let refuse = |key: String, name: &str| {
        c.err(
            key,
            format!("\"{name}\""),
            format!("this grade is split by {what}: name one of its {what} grades"),
        )
    };
    for h in &mut out.hazard {
        if let Some(list) = &h.grades {
            h.grades = Some(expand_list(copies, list));
        }
        if let Some(t) = h.to_grade.as_ref().filter(|t| copies(t).is_some()) {
            return Err(refuse(format!("hazard.{}.to_grade", h.name), t));
        }
        if let Some(m) = &h.multiplier_by_grade {
            h.multiplier_by_grade = Some(expand_map(copies, m));
        }
    }
    if let Some(f) = out.inflow.iter().find(|f| copies(&f.grade).is_some()) {
        return Err(refuse(format!("inflow.{}.grade", f.name), &f.grade));
    }
    if let Some(g) = out
        .grade
        .iter()
        .find(|g| g.next.as_ref().is_some_and(|n| copies(n).is_some()))
    {
        return Err(refuse(
            format!("grade.{}.next", g.name),
            g.next.as_deref().unwrap_or(""),
        ));
    }
    for sc in &mut out.scope {
        sc.grades = expand_list(copies, &sc.grades);
    }
    if let Some(cost) = &mut out.cost {
        for it in cost.pay.iter_mut().chain(&mut cost.training).chain(&mut cost.programme) {
            it.grades = expand_list(copies, &it.grades);
        }
    }
    if let Some(p) = &mut out.pensions {
        for t in &mut p.tax_period {
            t.grades = expand_list(copies, &t.grades);
        }
    }
    Ok(())
}

/// A scheme not split itself: its applicant lists name the copies.
pub(crate) fn expand_scheme_lists(copies: &dyn Fn(&str) -> Option<Vec<String>>, r: &RawRecruitment) -> RawRecruitment {
    let mut copy = r.clone();
    copy.from_grades = expand_list(copies, &r.from_grades);
    copy.apply_prob_by_grade = r.apply_prob_by_grade.as_ref().map(|m| expand_map(copies, m));
    copy
}

/// A part's `hazard_multipliers` onto its own grades: each named hazard
/// must list its grades and apply in at least one of `own`. Errors name
/// `<key>.<hazard>`.
pub(crate) fn multiply_hazards(
    c: &Compiler<'_>,
    key: &str,
    own: &[String],
    multipliers: Option<&BTreeMap<String, f64>>,
    hazards: &mut [RawHazard],
) -> Result<(), ConfigError> {
    for (hname, &m) in multipliers.into_iter().flatten() {
        let key = format!("{key}.{hname}");
        if !m.is_finite() || !(0.0..=super::hazards::MAX_MULTIPLIER).contains(&m) {
            return Err(c.err(key, fmt_num(m), "a multiplier must lie in [0, 1000]"));
        }
        let Some(h) = hazards.iter_mut().find(|h| &h.name == hname) else {
            return Err(c.err(key, format!("\"{hname}\""), "unknown hazard"));
        };
        let Some(list) = &h.grades else {
            return Err(c.err(key, format!("\"{hname}\""), "the hazard must list its grades"));
        };
        let hit: Vec<String> = own.iter().filter(|g| list.contains(g)).cloned().collect();
        if hit.is_empty() {
            return Err(c.err(
                key,
                format!("\"{hname}\""),
                "the hazard applies in none of this part's grades",
            ));
        }
        let by_grade = h.multiplier_by_grade.get_or_insert_with(BTreeMap::new);
        for g in hit {
            *by_grade.entry(g).or_insert(1.0) *= m;
        }
    }
    Ok(())
}

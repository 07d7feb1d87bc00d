//! Time-driven progression: courses and training counted in WTE-months
//! (tenths), so LTFT at 0.6 WTE takes 1/0.6 times as long; completion moves
//! to the grade's `next` (a CCT when the grade awards one); the pause cap,
//! the end of returner support, and the rotation of grades.

use crate::clinician::{Clinician, FLAG_PATHWAY_KNOWN, State};
use crate::config::RawGrade;
use crate::error::ConfigError;
use crate::ledger::{Duration, Tally};
use crate::limits::fmt_num;
use crate::random::{Purpose, draw_keyed, threshold};
use crate::rules::{Compiler, FTE_UNCHANGED, Grade, GradeKind, Group, Rules, check_unique};

use super::{Ctx, enter, pause, returners};

/// Progress (tenths of a WTE-month) accrued this month in the current state.
#[inline(always)]
pub fn progress_per_month(rules: &Rules, c: &Clinician) -> u16 {
    match c.state {
        State::Student | State::Trainee => 10,
        State::Ltft => c.fte_tenths as u16,
        State::Returner => returners::progress_per_month(rules, c.grade),
        _ => 0,
    }
}

/// Applies the time rules of one month (when no hazard fired).
#[inline(always)]
pub fn advance(rules: &Rules, c: &mut Clinician, ctx: Ctx, tally: &mut Tally) {
    match c.state {
        State::Student | State::Trainee | State::Ltft | State::Returner => {
            c.progress_tenths = c.progress_tenths.saturating_add(progress_per_month(rules, c));
            let g = &rules.grades[c.grade as usize];
            if g.kind != GradeKind::Employed && c.progress_tenths >= g.duration_tenths {
                complete(rules, c, ctx, tally);
            } else if c.state == State::Returner
                && let Some(next) = returners::finished(rules, c)
            {
                enter(rules, c, next, c.grade, FTE_UNCHANGED, ctx, tally);
            }
        }
        State::Pause if pause::at_cap(rules, c) => {
            enter(rules, c, State::Trainee, c.grade, FTE_UNCHANGED, ctx, tally);
        }
        _ => {}
    }
}

/// Completes the current grade: moves to `next`, carrying excess progress.
pub fn complete(rules: &Rules, c: &mut Clinician, ctx: Ctx, tally: &mut Tally) {
    let g = &rules.grades[c.grade as usize];
    let Some(next) = g.next else { return };
    let excess = c.progress_tenths - g.duration_tenths;
    if g.awards_cct {
        tally.ccts += 1;
        if c.flags & FLAG_PATHWAY_KNOWN != 0 {
            tally.durations.push((
                Duration::TimeToCct(c.grade),
                ctx.month.saturating_sub(c.pathway_start as u32),
            ));
        }
    }
    let to = match (rules.grades[next as usize].kind, c.state) {
        (GradeKind::Employed, _)
            if g.completion_leaver_threshold > 0
                && (draw_keyed(ctx.key, c.id(), Purpose::Completion) as u64) < g.completion_leaver_threshold =>
        {
            State::Leaver
        }
        (GradeKind::Employed, _) => State::Qualified,
        (_, State::Ltft) => State::Ltft,
        _ => State::Trainee,
    };
    let next_grade = &rules.grades[next as usize];
    if next_grade.kind == GradeKind::Employed && !next_grade.keeps_pathway {
        c.flags &= !FLAG_PATHWAY_KNOWN;
    }
    enter(rules, c, to, next, FTE_UNCHANGED, ctx, tally);
    if rules.grades[next as usize].kind != GradeKind::Employed {
        c.progress_tenths = excess;
    }
}

/// Validates and compiles `[[grade]]`: each grade's group, kind, duration,
/// FTE and pathway flags, and the progression ladder (`next`), which must end.
pub(crate) fn compile(c: &Compiler<'_>, raw_grades: &[RawGrade], groups: &[Group]) -> Result<Vec<Grade>, ConfigError> {
    let mut grades: Vec<Grade> = Vec::new();
    for g in raw_grades {
        let k = |f: &str| format!("grade.{}.{f}", g.name);
        let group = groups
            .iter()
            .position(|x| x.name == g.group)
            .ok_or_else(|| c.err(k("group"), format!("\"{}\"", g.group), "unknown group"))? as u8;
        let kind = match g.kind.as_str() {
            "student" => GradeKind::Student,
            "training" => GradeKind::Training,
            "employed" => GradeKind::Employed,
            other => {
                return Err(c.err(
                    k("kind"),
                    format!("\"{other}\""),
                    "kind is student, training or employed",
                ));
            }
        };
        let duration_tenths = match (kind, g.duration_wte_months) {
            (GradeKind::Employed, None) => 0,
            (GradeKind::Employed, Some(d)) => {
                return Err(c.err(k("duration_wte_months"), fmt_num(d), "employed grades have no duration"));
            }
            (_, None) => {
                return Err(c.err(
                    k("duration_wte_months"),
                    "(missing)",
                    "students and trainees need a duration",
                ));
            }
            (_, Some(d)) => {
                if !d.is_finite() || d <= 0.0 || d > 600.0 {
                    return Err(c.err(
                        k("duration_wte_months"),
                        fmt_num(d),
                        "a duration must be in (0, 600] months",
                    ));
                }
                (d * 10.0).round() as u16
            }
        };
        let fte_mean = g.fte_mean.unwrap_or(1.0);
        c.fte(&k("fte_mean"), fte_mean)?;
        if g.keeps_pathway && kind != GradeKind::Employed {
            return Err(c.err(
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
            completion_leaver_threshold: threshold(
                c.prob(&k("completion_leaver_share"), g.completion_leaver_share.unwrap_or(0.0))?,
            ),
        });
    }
    if grades.is_empty() || grades.len() > 255 {
        return Err(c.err("grade", grades.len(), "need 1-255 grades"));
    }
    check_unique(c, "grade", &grades.iter().map(|g| g.name.clone()).collect::<Vec<_>>())?;
    for (i, g) in raw_grades.iter().enumerate() {
        let key = format!("grade.{}.next", g.name);
        match (&g.next, grades[i].kind) {
            (Some(n), _) => {
                let ni = c.grade(&key, n, &grades)?;
                if grades[ni as usize].kind == GradeKind::Student {
                    return Err(c.err(key, format!("\"{n}\""), "cannot progress into a student grade"));
                }
                if ni as usize == i {
                    return Err(c.err(key, format!("\"{n}\""), "a grade cannot progress into itself"));
                }
                grades[i].next = Some(ni);
                if grades[i].completion_leaver_threshold > 0 && grades[ni as usize].kind != GradeKind::Employed {
                    return Err(c.err(
                        format!("grade.{}.completion_leaver_share", g.name),
                        fmt_num(g.completion_leaver_share.unwrap_or(0.0)),
                        "only completers into an employed grade can not take it up",
                    ));
                }
            }
            (None, GradeKind::Employed) => {}
            (None, _) => {
                return Err(c.err(key, "(missing)", "students and trainees need a next grade"));
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
                return Err(c.err(
                    format!("grade.{}.next", grades[first].name),
                    format!("\"{}\"", names[1]),
                    format!("grade progression has a cycle: {}", names.join(" -> ")),
                ));
            }
            seen.push(g);
        }
    }
    Ok(grades)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::tiny_rules;
    use crate::testutil::{compiler, invalid, tiny_raw};

    fn at(rules: &Rules, grade: &str, state: State, fte: u8) -> Clinician {
        Clinician {
            id_lo: 9,
            id_hi: 0,
            age_months: 300,
            months_in_state: 0,
            progress_tenths: 0,
            pathway_start: 0,
            grade: rules.grade_index(grade).unwrap(),
            state,
            region: 0,
            fte_tenths: fte,
            flags: FLAG_PATHWAY_KNOWN,
            paused_months: 0,
        }
    }

    fn months_to_complete(rules: &Rules, mut c: Clinician) -> u32 {
        let grade = c.grade;
        let mut t = Tally::new(rules.n_stock_cells());
        for m in 1..1000 {
            advance(rules, &mut c, Ctx::new(1, m), &mut t);
            if c.grade != grade {
                return m;
            }
        }
        panic!("never completed")
    }

    #[test]
    fn ltft_extends_training_pro_rata() {
        let rules = tiny_rules("");
        // st is 48 WTE-months: full time 48 months, 0.6 WTE 80, 0.5 WTE 96.
        assert_eq!(months_to_complete(&rules, at(&rules, "st", State::Trainee, 10)), 48);
        assert_eq!(months_to_complete(&rules, at(&rules, "st", State::Ltft, 6)), 80);
        assert_eq!(months_to_complete(&rules, at(&rules, "st", State::Ltft, 5)), 96);
    }

    #[test]
    fn cct_is_counted_with_time_from_pathway_start() {
        let rules = tiny_rules("");
        let mut c = at(&rules, "st", State::Trainee, 10);
        c.progress_tenths = 470;
        c.pathway_start = 3;
        let mut t = Tally::new(rules.n_stock_cells());
        advance(&rules, &mut c, Ctx::new(1, 40), &mut t);
        assert_eq!(c.state, State::Qualified);
        assert_eq!(rules.grades[c.grade as usize].name, "consultant");
        assert_eq!(t.ccts, 1);
        assert_eq!(
            t.durations,
            vec![(Duration::TimeToCct(rules.grade_index("st").unwrap()), 37)]
        );
    }

    /// `completion_leaver_share` of completers join the next grade's leaver
    /// pool: 30% of 20,000 within three standard errors (0.97 points).
    #[test]
    fn a_share_of_completers_do_not_take_up_the_next_grade() {
        let text = crate::testutil::tiny_source("").text.replace(
            "awards_cct = true\n",
            "awards_cct = true\ncompletion_leaver_share = 0.3\n",
        );
        let source = crate::config::ConfigSource {
            file: "t.toml".into(),
            text,
        };
        let rules = crate::load_rules(&source, &[]).unwrap();
        let n = 20_000;
        let mut t = Tally::new(rules.n_stock_cells());
        let mut lost = 0;
        for id in 0..n {
            let mut c = at(&rules, "st", State::Trainee, 10);
            c.id_lo = id;
            c.progress_tenths = 470;
            advance(&rules, &mut c, Ctx::new(1, 40), &mut t);
            assert_eq!(rules.grades[c.grade as usize].name, "consultant");
            lost += (c.state == State::Leaver) as u32;
        }
        assert_eq!(t.ccts, n, "every completer is awarded the CCT");
        let share = lost as f64 / n as f64;
        let se = (0.3f64 * 0.7 / n as f64).sqrt();
        assert!((share - 0.3).abs() < 3.0 * se, "{share}");
        let bad = crate::testutil::tiny_source("")
            .text
            .replace("next = \"st\"\n", "next = \"st\"\ncompletion_leaver_share = 0.3\n");
        let e = crate::load_rules(
            &crate::config::ConfigSource {
                file: "t.toml".into(),
                text: bad,
            },
            &[],
        )
        .unwrap_err();
        assert!(e.to_string().contains("grade.ct.completion_leaver_share"), "{e}");
    }

    #[test]
    fn completing_into_an_employed_grade_ends_the_pathway_unless_it_keeps_it() {
        // `extra` lands in the consultant grade of the tiny rules.
        for (extra, kept) in [("", false), ("keeps_pathway = true\n", true)] {
            let rules = tiny_rules(extra);
            let mut c = at(&rules, "st", State::Trainee, 10);
            c.progress_tenths = 470;
            advance(&rules, &mut c, Ctx::new(1, 40), &mut Tally::new(rules.n_stock_cells()));
            assert_eq!(rules.grades[c.grade as usize].name, "consultant");
            assert_eq!(c.flags & FLAG_PATHWAY_KNOWN != 0, kept, "{extra:?}");
        }
    }

    #[test]
    fn only_an_employed_grade_can_keep_the_pathway() {
        let text = crate::testutil::tiny_source("").text.replace(
            "next = \"st\"\nstarts_pathway = true",
            "next = \"st\"\nstarts_pathway = true\nkeeps_pathway = true",
        );
        let source = crate::config::ConfigSource {
            file: "tiny.toml".into(),
            text,
        };
        let e = crate::load_rules(&source, &[]).unwrap_err().to_string();
        assert!(e.contains("tiny.toml") && e.contains("grade.ct.keeps_pathway"), "{e}");
    }

    #[test]
    fn pause_returns_at_cap() {
        let rules = tiny_rules("[pause]\nmax_months = 12\n");
        let mut c = at(&rules, "st", State::Pause, 10);
        let mut t = Tally::new(rules.n_stock_cells());
        for m in 1..=11 {
            c.paused_months += 1;
            advance(&rules, &mut c, Ctx::new(1, m), &mut t);
            assert_eq!(c.state, State::Pause);
        }
        c.paused_months += 1;
        advance(&rules, &mut c, Ctx::new(1, 12), &mut t);
        assert_eq!(c.state, State::Trainee);
    }

    #[test]
    fn grade_section_compiles_the_ladder_and_refuses_a_cycle() {
        let raw = tiny_raw("");
        let c = compiler(&raw, 1.0);
        let groups = crate::mechanisms::retirement::compile(&c, &raw.group, 2020).unwrap();
        let grades = compile(&c, &raw.grade, &groups).unwrap();
        assert_eq!(
            grades.iter().map(|g| g.next).collect::<Vec<_>>(),
            [Some(1), Some(2), None]
        );
        assert_eq!((grades[1].duration_tenths, grades[1].awards_cct), (480, true));
        let mut cycle = raw.grade.clone();
        cycle[2].kind = "training".into();
        cycle[2].duration_wte_months = Some(12.0);
        cycle[2].next = Some("st".into());
        let (key, message) = invalid(compile(&c, &cycle, &groups));
        assert_eq!(key, "grade.st.next");
        assert_eq!(message, "grade progression has a cycle: st -> consultant -> st");
    }
}

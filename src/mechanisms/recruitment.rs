//! Capacity-limited recruitment rounds (e.g. August and February): eligible
//! clinicians apply with a probability, applicants are ordered by a keyed
//! draw (never by iteration order), and each region's posts go to the first
//! applicants in that order. Unfilled posts and unplaced applicants are both
//! counted. A scheme into an employed grade from the leaver pool is a
//! return campaign: its places are filled only as far as the pool of
//! eligible leavers who answer allows. A round with no posts is not run.

use std::collections::BTreeSet;

use bevy_ecs::prelude::*;
use rayon::prelude::*;

use crate::clinician::{Clinician, State};
use crate::config::RawRecruitment;
use crate::error::ConfigError;
use crate::ledger::{MonthLedger, Tally};
use crate::limits::fmt_num;
use crate::random::threshold;
use crate::random::{Purpose, draw_u32, draw_u32_sub};
use crate::rules::{Compiler, FTE_UNCHANGED, Grade, GradeKind, Rules, Series, check_unique};
use crate::step::Slot;

use super::{Ctx, apportion, enter};

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
    /// Apply threshold by applicant grade.
    pub apply_threshold: Vec<u64>,
    /// Posts per year.
    pub posts: Series,
    /// Share of the posts per region.
    pub region_shares: Vec<f64>,
    /// Weight among the preferring schemes of a month (`None`: applicants
    /// apply to this scheme whatever else they apply to).
    pub preference: Option<f64>,
    /// The family (index into `Rules::scheme_families`) whose one
    /// application this scheme shares, if any.
    pub family: Option<u16>,
    /// Weight of this scheme within its family.
    pub family_weight: f64,
}

/// Schemes sharing one application (`[[recruitment]] family`): the
/// specialties of ST3 recruitment, say.
#[derive(Clone, Debug, PartialEq)]
pub struct Family {
    /// Name (a series scope: `rate.fill.higher_specialty`).
    pub name: String,
    /// Member schemes, in config order.
    pub members: Vec<usize>,
}

/// Posts of a scheme in a round, by region.
pub fn posts_by_region(s: &Scheme, round: usize, year: i32) -> Vec<u64> {
    let year_posts = s.posts.at(year).round() as u64;
    let round_posts = apportion(year_posts, &s.round_shares)[round];
    apportion(round_posts, &s.region_shares)
}

/// Whether `c` may apply to scheme `s` at all (grade, state, time in state).
#[inline]
fn eligible(s: &Scheme, c: &Clinician) -> bool {
    c.state != State::Gone
        && s.from_grade[c.grade as usize]
        && s.from_state[c.state as usize]
        && c.months_in_state >= s.min_months_in_state
}

/// Whether `c` is eligible for scheme `si` and applies this month (its keyed
/// draw). A family member applies only if it is the applicant's pick of
/// its family this round (`picks`, from [`family_pick`]).
#[inline]
fn applies(rules: &Rules, si: usize, c: &Clinician, ctx: Ctx, picks: &[Option<u32>]) -> bool {
    let s = &rules.schemes[si];
    if !eligible(s, c) {
        return false;
    }
    match s.family {
        Some(f) => picks[f as usize] == Some(si as u32),
        None => {
            (draw_u32_sub(ctx.seed, c.id(), ctx.month, Purpose::Apply, si as u32) as u64)
                < s.apply_threshold[c.grade as usize]
        }
    }
}

/// The one scheme of family `f` that `c` applies to this round, if any. A
/// family's members share one application, drawn on the family's first
/// member's sub-stream with the members' common `apply_prob`; the applicant
/// then picks one member, among those open this round it is eligible for,
/// by a keyed draw in proportion to their `family_weight`s.
fn family_pick(rules: &Rules, f: usize, c: &Clinician, ctx: Ctx, open: &[bool]) -> Option<u32> {
    let fam = &rules.scheme_families[f];
    let member_ok = |m: usize| open[m] && eligible(&rules.schemes[m], c) && rules.schemes[m].family_weight > 0.0;
    let threshold = fam
        .members
        .iter()
        .find(|&&m| member_ok(m))
        .map(|&m| rules.schemes[m].apply_threshold[c.grade as usize])?;
    let first = fam.members[0] as u32;
    if (draw_u32_sub(ctx.seed, c.id(), ctx.month, Purpose::Apply, first) as u64) >= threshold {
        return None;
    }
    let total: f64 = fam
        .members
        .iter()
        .filter(|&&m| member_ok(m))
        .map(|&m| rules.schemes[m].family_weight)
        .sum();
    let u = draw_u32_sub(ctx.seed, c.id(), ctx.month, Purpose::FamilyChoice, f as u32) as f64 / 4_294_967_296.0 * total;
    let mut acc = 0.0;
    let mut pick = None;
    for &m in fam.members.iter().filter(|&&m| member_ok(m)) {
        acc += rules.schemes[m].family_weight;
        pick = Some(m as u32);
        if u < acc {
            break;
        }
    }
    pick
}

/// The preferring scheme an applicant to several of them applies to,
/// drawn in proportion to their `preference` weights (a keyed draw).
fn preferred(rules: &Rules, applied: &[usize], c: &Clinician, ctx: Ctx) -> usize {
    let weight = |si: usize| rules.schemes[si].preference.unwrap_or(0.0);
    let total: f64 = applied.iter().map(|&si| weight(si)).sum();
    let u = draw_u32(ctx.seed, c.id(), ctx.month, Purpose::Preference) as f64 / 4_294_967_296.0 * total;
    let mut acc = 0.0;
    *applied
        .iter()
        .find(|&&si| {
            acc += weight(si);
            u < acc
        })
        .unwrap_or(&applied[applied.len() - 1])
}

/// Runs every scheme with a round in this calendar month, in config order.
///
/// Applications are made once, at the start of the round, from each
/// clinician's record then: to each open scheme it is eligible for and
/// draws to apply to; to one member of a family (its pick); and, among the
/// schemes with a `preference`, to one (its preferred). Schemes then place
/// their applicants in config order; a clinician placed by an earlier
/// scheme of the round is not placed again.
pub fn run_rounds(world: &mut World, rules: &Rules, ctx: Ctx, calendar_month: u32, year: i32) {
    let open: Vec<(usize, Vec<u64>)> = rules
        .schemes
        .iter()
        .enumerate()
        .filter_map(|(si, s)| {
            let round = s.months.iter().position(|&m| m == calendar_month)?;
            let posts = posts_by_region(s, round, year);
            posts.iter().any(|&p| p > 0).then_some((si, posts))
        })
        .collect();
    if open.is_empty() {
        return;
    }
    let mut is_open = vec![false; rules.schemes.len()];
    // The open schemes each grade may apply to, in config order.
    let mut by_grade: Vec<Vec<usize>> = vec![Vec::new(); rules.grades.len()];
    for &(si, _) in &open {
        is_open[si] = true;
        for (g, &f) in rules.schemes[si].from_grade.iter().enumerate() {
            if f {
                by_grade[g].push(si);
            }
        }
    }
    let n_preferring = open
        .iter()
        .filter(|(si, _)| rules.schemes[*si].preference.is_some())
        .count();
    let nf = rules.scheme_families.len();
    // Applications, in parallel over chunks of the clinicians' slots: per
    // chunk, (scheme, (region, order draw, id, slot)). Each scheme sorts
    // its applicants by (region, draw, id), a total order, so the order in
    // which chunks are gathered never shows.
    let by_chunk: Vec<Vec<(usize, Applicant)>> = crate::schedule::with_slots(world, |slots| {
        slots
            .par_chunks(APPLY_CHUNK)
            .enumerate()
            .map(|(k, chunk)| {
                let mut out = Vec::new();
                let mut picks: Vec<Option<u32>> = vec![None; nf];
                let mut applied: Vec<usize> = Vec::new();
                for (i, c) in chunk.iter().enumerate() {
                    if c.state == State::Gone || by_grade[c.grade as usize].is_empty() {
                        continue;
                    }
                    for (f, p) in picks.iter_mut().enumerate() {
                        *p = family_pick(rules, f, c, ctx, &is_open);
                    }
                    applied.clear();
                    applied.extend(
                        by_grade[c.grade as usize]
                            .iter()
                            .copied()
                            .filter(|&si| applies(rules, si, c, ctx, &picks)),
                    );
                    let preferring: Vec<usize> = applied
                        .iter()
                        .copied()
                        .filter(|&si| rules.schemes[si].preference.is_some())
                        .collect();
                    let choice =
                        (n_preferring >= 2 && preferring.len() >= 2).then(|| preferred(rules, &preferring, c, ctx));
                    for &si in &applied {
                        if rules.schemes[si].preference.is_some() && choice.is_some_and(|ch| ch != si) {
                            continue;
                        }
                        let slot = (k * APPLY_CHUNK + i) as Slot;
                        let order = draw_u32_sub(ctx.seed, c.id(), ctx.month, Purpose::MatchOrder, si as u32);
                        out.push((si, (rules.recruitment_region(c.region), order, c.id(), slot)));
                    }
                }
                out
            })
            .collect()
    });
    let mut applicants: Vec<Vec<Applicant>> = vec![Vec::new(); rules.schemes.len()];
    for (si, a) in by_chunk.into_iter().flatten() {
        applicants[si].push(a);
    }
    let mut already: BTreeSet<Slot> = BTreeSet::new();
    for (si, posts) in open {
        let s = &rules.schemes[si];
        let mut applicants = std::mem::take(&mut applicants[si]);
        applicants.retain(|a| !already.contains(&a.3));
        applicants.sort_unstable_by_key(|a| (a.0, a.1, a.2));
        let mut placed = Vec::new();
        let mut taken = vec![0u64; posts.len()];
        for a in &applicants {
            let r = a.0 as usize;
            if taken[r] < posts[r] {
                taken[r] += 1;
                placed.push(a.3);
            }
        }
        let mut scratch = Tally::default();
        let changes = crate::schedule::with_slots(world, |slots| {
            let mut changes = Vec::with_capacity(placed.len());
            for slot in placed {
                already.insert(slot);
                let c = &mut slots[slot as usize];
                let before = *c;
                enter(rules, c, s.into_state, s.into_grade, FTE_UNCHANGED, ctx, &mut scratch);
                changes.push((before, *c));
            }
            changes
        });
        let mut ledger = world.resource_mut::<MonthLedger>();
        for (b, a) in &changes {
            ledger.transfer(rules, Some(b), a);
        }
        let filled = changes.len() as u32;
        let k = &mut ledger.counters;
        k.posts_offered[si] += posts.iter().sum::<u64>() as u32;
        k.posts_filled[si] += filled;
        k.applicants[si] += applicants.len() as u32;
        k.unplaced[si] += applicants.len() as u32 - filled;
    }
}

/// An application: (recruitment region, order draw, id, slot).
type Applicant = (u8, u32, u64, Slot);

/// Clinicians per parallel work item of the application pass.
const APPLY_CHUNK: usize = 1 << 14;

/// Validates and compiles `[[recruitment]]`: each scheme's grade, applicants,
/// rounds, posts and their split over regions (`region_shares`: `[[region]]`'s
/// by default).
pub(crate) fn compile(
    c: &Compiler<'_>,
    raw_schemes: &[RawRecruitment],
    grades: &[Grade],
    region_shares: &[f64],
    start_year: i32,
) -> Result<(Vec<Scheme>, Vec<Family>), ConfigError> {
    let mut schemes = Vec::new();
    let mut families: Vec<Family> = Vec::new();
    for r in raw_schemes {
        let k = |x: &str| format!("recruitment.{}.{x}", r.name);
        let into_grade = c.grade(&k("into_grade"), &r.into_grade, grades)?;
        let into_state = match grades[into_grade as usize].kind {
            GradeKind::Training => State::Trainee,
            GradeKind::Employed => State::Qualified,
            GradeKind::Student => {
                return Err(c.err(
                    k("into_grade"),
                    &r.into_grade,
                    "recruitment fills training or employed grades (student places are `[[inflow]]`s)",
                ));
            }
        };
        let min_months_in_state = r.min_months_in_state.unwrap_or(0);
        if min_months_in_state > 1200 {
            return Err(c.err(k("min_months_in_state"), min_months_in_state, "must be 0..=1200"));
        }
        let mut from_grade = vec![false; grades.len()];
        for n in &r.from_grades {
            let g = c.grade(&k("from_grades"), n, grades)?;
            if grades[g as usize].group != grades[into_grade as usize].group {
                return Err(c.err(k("from_grades"), n, "applicants must be of the same staff group"));
            }
            from_grade[g as usize] = true;
        }
        let mut from_state = [false; State::COUNT];
        for n in r.from_states.clone().unwrap_or_else(|| vec!["qualified".into()]) {
            from_state[c.state(&k("from_states"), &n, false)? as usize] = true;
        }
        let apply = threshold(c.prob(&k("apply_prob"), r.apply_prob)?);
        let mut apply_threshold: Vec<u64> = from_grade.iter().map(|&f| if f { apply } else { 0 }).collect();
        for (n, p) in r.apply_prob_by_grade.iter().flatten() {
            let key = format!("{}.{n}", k("apply_prob_by_grade"));
            let g = c.grade(&key, n, grades)?;
            if !from_grade[g as usize] {
                return Err(c.err(key, fmt_num(*p), format!("grade {n} is not in from_grades")));
            }
            apply_threshold[g as usize] = threshold(c.prob(&key, *p)?);
        }
        let months = c.months_list(&k("months"), &r.months)?;
        let round_shares = match &r.round_shares {
            Some(s) => c.shares(&k("round_shares"), s, months.len())?,
            None => vec![1.0 / months.len() as f64; months.len()],
        };
        let family = match &r.family {
            None => {
                if let Some(w) = r.family_weight {
                    return Err(c.err(k("family_weight"), fmt_num(w), "a weight needs a `family`"));
                }
                None
            }
            Some(name) => {
                let fi = match families.iter().position(|f| &f.name == name) {
                    Some(fi) => fi,
                    None => {
                        if raw_schemes
                            .iter()
                            .any(|x| &x.name == name && x.family.as_ref() != Some(name))
                        {
                            return Err(c.err(
                                k("family"),
                                format!("\"{name}\""),
                                "a family cannot share the name of a scheme outside it",
                            ));
                        }
                        families.push(Family {
                            name: name.clone(),
                            members: Vec::new(),
                        });
                        families.len() - 1
                    }
                };
                families[fi].members.push(schemes.len());
                Some(fi as u16)
            }
        };
        let family_weight = r.family_weight.unwrap_or(1.0);
        if !family_weight.is_finite() || !(0.0..=1e6).contains(&family_weight) {
            return Err(c.err(
                k("family_weight"),
                fmt_num(family_weight),
                "a weight must lie in [0, 1e6]",
            ));
        }
        schemes.push(Scheme {
            family,
            family_weight,
            name: r.name.clone(),
            into_grade,
            into_state,
            min_months_in_state: min_months_in_state as u16,
            from_grade,
            from_state,
            months,
            round_shares,
            apply_threshold,
            preference: match r.preference {
                Some(w) if !w.is_finite() || w <= 0.0 || w > 1e6 => {
                    return Err(c.err(k("preference"), fmt_num(w), "a preference weight must lie in (0, 1e6]"));
                }
                w => w,
            },
            posts: c.series(&k("posts_per_year"), &r.posts_per_year, start_year)?,
            region_shares: match &r.region_shares {
                Some(s) => c.shares(&k("region_shares"), s, region_shares.len())?,
                None => region_shares.to_vec(),
            },
        });
    }
    check_unique(
        c,
        "recruitment",
        &schemes.iter().map(|s| s.name.clone()).collect::<Vec<_>>(),
    )?;
    for f in &families {
        let first = &schemes[f.members[0]];
        for &m in &f.members[1..] {
            let s = &schemes[m];
            let same_apply = (0..grades.len())
                .filter(|&g| s.from_grade[g] && first.from_grade[g])
                .all(|g| s.apply_threshold[g] == first.apply_threshold[g]);
            if s.months != first.months || !same_apply || s.from_state != first.from_state {
                return Err(c.err(
                    format!("recruitment.{}.family", s.name),
                    format!("\"{}\"", f.name),
                    format!(
                        "the schemes of a family share one application: same months, from_states and apply_prob for the grades both take as {}",
                        first.name
                    ),
                ));
            }
        }
    }
    Ok((schemes, families))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::Counters;
    use crate::testutil::tiny_rules;
    use crate::testutil::{compiler, invalid, tiny_raw};

    /// A return campaign: consultants who left at least 36 months ago, all
    /// of whom answer; two places.
    fn campaign_rules() -> Rules {
        tiny_rules(
            r#"
[returners]
threshold_months = 3
rtp_months = 6

[[recruitment]]
name = "return_campaign"
into_grade = "consultant"
from_grades = ["consultant"]
from_states = ["leaver"]
min_months_in_state = 36
months = [1]
apply_prob = 1.0
posts_per_year = { 2020 = 2 }
"#,
        )
    }

    fn leaver(rules: &Rules, id: u32, away: u16) -> Clinician {
        Clinician {
            id_lo: id,
            id_hi: 0,
            age_months: 500,
            months_in_state: away,
            progress_tenths: 0,
            pathway_start: 0,
            grade: rules.grade_index("consultant").unwrap(),
            state: State::Leaver,
            region: 0,
            fte_tenths: 8,
            flags: 0,
            paused_months: 0,
        }
    }

    #[test]
    fn a_return_campaign_takes_long_lapsed_leavers_into_return_to_practice_up_to_its_places() {
        let rules = campaign_rules();
        let mut world = World::new();
        let n = rules.n_stock_cells();
        let counters = Counters {
            posts_offered: vec![0],
            posts_filled: vec![0],
            applicants: vec![0],
            unplaced: vec![0],
            ..Default::default()
        };
        world.insert_resource(MonthLedger {
            stock: vec![10; n],
            fte: vec![100; n],
            counters,
            ..Default::default()
        });
        // Two lapsed too briefly, four long enough for two places.
        for (id, away) in [(1, 10), (2, 35), (3, 36), (4, 50), (5, 80), (6, 120)] {
            world.spawn(leaver(&rules, id, away));
        }
        run_rounds(&mut world, &rules, Ctx::new(7, 5), 1, 2021);
        let mut q = world.query::<&Clinician>();
        let mut back: Vec<(u32, State)> = q
            .iter(&world)
            .filter(|c| c.state != State::Leaver)
            .map(|c| (c.id_lo, c.state))
            .collect();
        back.sort_unstable_by_key(|b| b.0);
        assert_eq!(back.len(), 2, "{back:?}");
        for (id, state) in &back {
            assert!(*id >= 3, "{id} had not lapsed long enough");
            assert_eq!(*state, State::Returner, "away for years: Return to Practice first");
        }
        let k = &world.resource::<MonthLedger>().counters;
        assert_eq!((k.posts_offered[0], k.posts_filled[0]), (2, 2));
        assert_eq!((k.applicants[0], k.unplaced[0]), (4, 2));
    }

    fn schemes(extra: &str) -> Result<Vec<Scheme>, ConfigError> {
        let raw = tiny_raw(extra);
        let c = compiler(&raw, 1.0);
        let groups = crate::mechanisms::retirement::compile(&c, &raw.group, 2020)?;
        let grades = crate::mechanisms::progression::compile(&c, &raw.grade, &groups)?;
        compile(&c, &raw.recruitment, &grades, &[0.25, 0.75], 2020).map(|(s, _)| s)
    }

    const ST: &str = "[[recruitment]]\nname = \"st\"\ninto_grade = \"st\"\nfrom_grades = [\"ct\"]\nmonths = [8, 2]\napply_prob = 1.0\nposts_per_year = { 2020 = 10 }\n";

    #[test]
    fn recruitment_section_splits_posts_by_round_and_region() {
        let s = &schemes(ST).unwrap()[0];
        assert_eq!((s.into_state, s.months.as_slice()), (State::Trainee, [8, 2].as_slice()));
        assert_eq!(
            (s.round_shares.as_slice(), s.region_shares.as_slice()),
            ([0.5, 0.5].as_slice(), [0.25, 0.75].as_slice())
        );
        let e = invalid(schemes(&format!("{ST}round_shares = [0.5, 0.6]\n")));
        assert_eq!(e.0, "recruitment.st.round_shares");
        let e = invalid(schemes(&format!("{ST}min_months_in_state = 1201\n")));
        assert_eq!(e.0, "recruitment.st.min_months_in_state");
    }

    #[test]
    fn applicants_of_a_grade_may_apply_at_their_own_rate() {
        let two = ST.replace("from_grades = [\"ct\"]", "from_grades = [\"ct\", \"consultant\"]")
            + "apply_prob_by_grade = { consultant = 0.25 }\n";
        let s = &schemes(&two).unwrap()[0];
        assert_eq!(
            s.apply_threshold,
            [threshold(1.0), 0, threshold(0.25)],
            "ct, st, consultant"
        );
        let e = invalid(schemes(&format!("{ST}apply_prob_by_grade = {{ consultant = 0.25 }}\n")));
        assert_eq!(
            e,
            (
                "recruitment.st.apply_prob_by_grade.consultant".into(),
                "grade consultant is not in from_grades".into()
            )
        );
        let e = invalid(schemes(&two.replace("0.25", "2.5")));
        assert_eq!(e.0, "recruitment.st.apply_prob_by_grade.consultant");
    }

    /// Two schemes open in August with preference weights 3 and 1, both
    /// applied to by every eligible consultant: each applies to one only, so
    /// the applicants sum to the pool and split 3:1 (within three standard
    /// errors of 2,000 draws), and the schemes fill below their posts.
    #[test]
    fn applicants_who_prefer_one_scheme_do_not_apply_to_the_other() {
        let scheme = |name: &str, w: f64| {
            format!(
                "[[recruitment]]\nname = \"{name}\"\ninto_grade = \"st\"\nfrom_grades = [\"consultant\"]\nmonths = [8]\n\
                 apply_prob = 1.0\npreference = {w}\nposts_per_year = {{ 2020 = 5000 }}\n"
            )
        };
        let rules = tiny_rules(&format!("{}{}", scheme("a", 3.0), scheme("b", 1.0)));
        let mut world = World::new();
        let n = rules.n_stock_cells();
        world.insert_resource(MonthLedger {
            stock: vec![10_000; n],
            fte: vec![100_000; n],
            counters: Counters {
                posts_offered: vec![0; 2],
                posts_filled: vec![0; 2],
                applicants: vec![0; 2],
                unplaced: vec![0; 2],
                ..Default::default()
            },
            ..Default::default()
        });
        let pool = 2000u32;
        for id in 0..pool {
            let mut c = leaver(&rules, id, 0);
            c.state = State::Qualified;
            world.spawn(c);
        }
        run_rounds(&mut world, &rules, Ctx::new(7, 5), 8, 2021);
        let k = &world.resource::<MonthLedger>().counters;
        assert_eq!(k.applicants[0] + k.applicants[1], pool, "one scheme each");
        assert_eq!(
            (k.posts_filled[0], k.posts_filled[1]),
            (k.applicants[0], k.applicants[1])
        );
        let share = k.applicants[0] as f64 / pool as f64;
        let se = (0.75f64 * 0.25 / pool as f64).sqrt();
        assert!((share - 0.75).abs() < 3.0 * se, "{share}");
        assert!(k.posts_filled[0] < k.posts_offered[0]);
        let e = invalid(schemes(&format!("{ST}preference = 0\n")));
        assert_eq!(e.0, "recruitment.st.preference");
    }

    /// Runs one August round of `extra` over `pool` qualified consultants.
    fn one_round(extra: &str, schemes: usize, pool: u32) -> Counters {
        let rules = tiny_rules(extra);
        let mut world = World::new();
        let n = rules.n_stock_cells();
        world.insert_resource(MonthLedger {
            stock: vec![10_000; n],
            fte: vec![100_000; n],
            counters: Counters {
                posts_offered: vec![0; schemes],
                posts_filled: vec![0; schemes],
                applicants: vec![0; schemes],
                unplaced: vec![0; schemes],
                ..Default::default()
            },
            ..Default::default()
        });
        for id in 0..pool {
            let mut c = leaver(&rules, id, 0);
            c.state = State::Qualified;
            world.spawn(c);
        }
        run_rounds(&mut world, &rules, Ctx::new(7, 5), 8, 2021);
        world.resource::<MonthLedger>().counters.clone()
    }

    fn member(name: &str, w: f64, posts: u32) -> String {
        format!(
            "[[recruitment]]\nname = \"{name}\"\ninto_grade = \"st\"\nfrom_grades = [\"consultant\"]\nmonths = [8]\n\
             apply_prob = 0.5\nfamily = \"st3\"\nfamily_weight = {w}\nposts_per_year = {{ 2020 = {posts} }}\n"
        )
    }

    /// A family of two schemes with weights 3 and 1 shares one application:
    /// half the pool applies (apply_prob 0.5), each applicant to one member,
    /// split 3:1 (each within three standard errors of 4,000 draws); a
    /// member with no posts this round takes no applications, and the family
    /// counts as one scheme among the month's preferences.
    #[test]
    fn a_family_shares_one_application_split_by_its_weights() {
        let pool = 4000u32;
        let k = one_round(
            &format!("{}{}", member("a", 3.0, 5000), member("b", 1.0, 5000)),
            2,
            pool,
        );
        let applied = (k.applicants[0] + k.applicants[1]) as f64 / pool as f64;
        assert!((applied - 0.5).abs() < 3.0 * (0.25 / pool as f64).sqrt(), "{applied}");
        let n = (k.applicants[0] + k.applicants[1]) as f64;
        let share = k.applicants[0] as f64 / n;
        assert!((share - 0.75).abs() < 3.0 * (0.75 * 0.25 / n).sqrt(), "{share}");
        // b has no posts: every applicant to the family applies to a.
        let k = one_round(&format!("{}{}", member("a", 3.0, 5000), member("b", 1.0, 0)), 2, pool);
        assert_eq!(k.applicants[1], 0);
        assert!((k.applicants[0] as f64 / pool as f64 - 0.5).abs() < 3.0 * (0.25 / pool as f64).sqrt());
        // With a third, preferring scheme open too (apply_prob 1), each
        // applicant to the family is also an applicant there; with equal
        // preference weights the family keeps about half of them.
        let third = "[[recruitment]]\nname = \"c\"\ninto_grade = \"st\"\nfrom_grades = [\"consultant\"]\nmonths = [8]\n\
                     apply_prob = 1.0\npreference = 1.0\nposts_per_year = { 2020 = 5000 }\n";
        let fam = |w: f64| member("a", w, 5000).replace("apply_prob = 0.5", "apply_prob = 1.0\npreference = 1.0");
        let k = one_round(
            &format!("{}{}{third}", fam(1.0), fam(1.0).replace("\"a\"", "\"b\"")),
            3,
            pool,
        );
        assert_eq!(k.applicants.iter().sum::<u32>(), pool, "one scheme each");
        let family = (k.applicants[0] + k.applicants[1]) as f64 / pool as f64;
        assert!((family - 0.5).abs() < 3.0 * (0.25 / pool as f64).sqrt(), "{family}");
    }

    #[test]
    fn family_members_must_share_their_application_rules() {
        let e = invalid(schemes(&format!(
            "{}{}",
            member("a", 1.0, 10),
            member("b", 1.0, 10).replace("months = [8]", "months = [2]")
        )));
        assert_eq!(e.0, "recruitment.b.family");
        let e = invalid(schemes(&member("a", -1.0, 10)));
        assert_eq!(e.0, "recruitment.a.family_weight");
        let e = invalid(schemes(&format!("{ST}family_weight = 2\n")));
        assert_eq!(e.0, "recruitment.st.family_weight");
    }
}

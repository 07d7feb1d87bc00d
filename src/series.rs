//! The output series vocabulary: stable names for model outputs that
//! published figures are matched to (calibration targets, hindcasts,
//! scenario tables). A name is `measure.scope`, e.g. `fte.nurse`,
//! `rate.leaver.gp`, `share.ltft.doctor_in_training`,
//! `count.acceptances.gp_training`. The README lists every measure.
//!
//! Values are computed from the monthly records alone (stocks and flows), at
//! monthly grain (the month itself) or annual grain (the twelve months ending
//! at the month, for flows; the month-end snapshot, for stocks). Counts and
//! FTE are scaled back by the population scale; shares and rates are not.

use crate::clinician::State;
use crate::ledger::{MonthRecord, flow_cells};
use crate::mechanisms::cost::{CATEGORIES, Category};
use crate::mechanisms::establishment;
use crate::mechanisms::leaving::{is_employed, is_leaving};
use crate::mechanisms::recruitment::Family;
use crate::rules::{GradeKind, Rules};

/// Which clinicians a measure covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Everyone.
    All,
    /// A staff group (`doctor`, `nurse`, ...).
    Group(u8),
    /// The training grades of a group (`doctor_in_training`).
    TrainingOf(u8),
    /// Every training grade (`in_training`).
    AnyTraining,
    /// One grade (`consultant`, `gp_training`, ...).
    Grade(u8),
    /// A named set of grades from the config's `[[scope]]` (`hchs_doctor`).
    Named(u8),
}

/// A `[[scope]]` of the config: a name and the grades it covers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NamedScope {
    /// Name, as used in series (`fte.hchs_doctor`).
    pub name: String,
    /// Whether each grade (by index) is covered.
    pub covers: Vec<bool>,
}

/// Validates and compiles the config's `[[scope]]` section: unique names
/// that differ from the built-in scopes, groups and grades (so a name means
/// one thing), each covering at least one known grade once.
pub(crate) fn compile_scopes(
    c: &crate::rules::Compiler<'_>,
    raw: &[crate::config::RawScope],
    grades: &[crate::rules::Grade],
    groups: &[crate::rules::Group],
) -> Result<Vec<NamedScope>, crate::error::ConfigError> {
    let names: Vec<String> = raw.iter().map(|s| s.name.clone()).collect();
    crate::rules::check_unique(c, "scope", &names)?;
    let mut out = Vec::with_capacity(raw.len());
    if raw.len() > u8::MAX as usize {
        return Err(c.err("scope", raw.len(), "at most 255 scopes"));
    }
    for (i, s) in raw.iter().enumerate() {
        let key = |f: &str| format!("scope.{}.{f}", s.name);
        let built_in = s.name == "all"
            || s.name == "in_training"
            || s.name.is_empty()
            || s.name.contains(['.', '@'])
            || groups
                .iter()
                .any(|g| g.name == s.name || format!("{}_in_training", g.name) == s.name)
            || grades.iter().any(|g| g.name == s.name);
        if built_in {
            return Err(c.err(
                format!("scope.{i}.name"),
                format!("\"{}\"", s.name),
                "must differ from `all`, `in_training`, every group, `<group>_in_training` and every grade, \
                 and hold no `.` or `@`",
            ));
        }
        if s.grades.is_empty() {
            return Err(c.err(key("grades"), "[]", "a scope covers at least one grade"));
        }
        let mut covers = vec![false; grades.len()];
        for g in &s.grades {
            let gi = c.grade(&key("grades"), g, grades)? as usize;
            if covers[gi] {
                return Err(c.err(key("grades"), format!("\"{g}\""), "grade listed twice"));
            }
            covers[gi] = true;
        }
        out.push(NamedScope {
            name: s.name.clone(),
            covers,
        });
    }
    Ok(out)
}

impl Scope {
    fn parse(rules: &Rules, s: &str) -> Option<Scope> {
        match s {
            "all" => return Some(Scope::All),
            "in_training" => return Some(Scope::AnyTraining),
            _ => {}
        }
        if let Some(g) = rules.group_index(s) {
            return Some(Scope::Group(g));
        }
        if let Some(g) = s.strip_suffix("_in_training").and_then(|g| rules.group_index(g)) {
            return Some(Scope::TrainingOf(g));
        }
        if let Some(i) = rules.scopes.iter().position(|n| n.name == s) {
            return Some(Scope::Named(i as u8));
        }
        rules.grade_index(s).map(Scope::Grade)
    }

    /// Whether a grade is covered.
    pub fn covers(self, rules: &Rules, grade: u8) -> bool {
        let g = &rules.grades[grade as usize];
        match self {
            Scope::All => true,
            Scope::Group(x) => g.group == x,
            Scope::TrainingOf(x) => g.group == x && g.kind == GradeKind::Training,
            Scope::AnyTraining => g.kind == GradeKind::Training,
            Scope::Grade(x) => grade == x,
            Scope::Named(i) => rules.scopes[i as usize].covers[grade as usize],
        }
    }
}

/// What a measure of schemes or inflows counts: one, or every member of a
/// family (`rate.fill.higher_specialty` over its specialties,
/// `count.starts.nursing_intake` over its fields).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pick {
    /// One scheme or inflow, by index.
    One(usize),
    /// A family, by index into `Rules::scheme_families` or
    /// `Rules::inflow_families`.
    Family(usize),
}

/// The recruitment schemes a measure counts.
pub type Schemes = Pick;

impl Pick {
    /// Whether member `i` is counted, families being `families`.
    fn has(self, families: &[Family], i: usize) -> bool {
        match self {
            Pick::One(s) => s == i,
            Pick::Family(f) => families[f].members.contains(&i),
        }
    }

    /// Sum over the counted members of one counter.
    fn sum(self, families: &[Family], counter: &[u32]) -> u64 {
        (0..counter.len())
            .filter(|&i| self.has(families, i))
            .map(|i| counter[i] as u64)
            .sum()
    }

    /// Parses a member or family name.
    fn parse<'a>(
        names: impl Iterator<Item = &'a str>,
        families: &[Family],
        arg: &str,
        what: &str,
    ) -> Result<Pick, String> {
        names
            .into_iter()
            .position(|n| n == arg)
            .map(Pick::One)
            .or_else(|| families.iter().position(|f| f.name == arg).map(Pick::Family))
            .ok_or_else(|| format!("unknown {what} `{arg}`"))
    }
}

/// A measure of the vocabulary.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Measure {
    /// `headcount.<scope>`: clinicians in NHS employment (trainee, LTFT,
    /// qualified, returner) at the month end.
    Headcount(Scope),
    /// `fte.<scope>`: their full-time equivalent.
    Fte(Scope),
    /// FTE in post at the month less FTE in post twelve months before (one
    /// month before at month grain): a stock's change, free of any constant
    /// difference in definition between the model's scope and a published
    /// series, which cancels in the difference.
    FteChange(Scope),
    /// `share.ltft.<scope>`: LTFT trainees / all trainees in training grades.
    ShareLtft(Scope),
    /// `share.pause.<scope>`: trainees on pause / trainees incl. pause.
    SharePause(Scope),
    /// `rate.leaver.<scope>`: exits from active service over the period /
    /// mean employed headcount at the starts of its months.
    RateLeaver(Scope),
    /// `count.leavers.<scope>`: exits from active service over the period,
    /// and retirees who returned at once (as NHS Digital counts them: a
    /// leaver and a joiner; `rate.leaver` and `count.joiners` count them too).
    CountLeavers(Scope),
    /// `count.joiners.<scope>`: entries into employment from outside,
    /// from study, from the leaver pool or from overseas recruitment.
    CountJoiners(Scope),
    /// `count.intl_joiners.<scope>`: entries into employment from the
    /// overseas-recruit state (registration/OSCE passed).
    CountIntlJoiners(Scope),
    /// `count.starts.<inflow>`: starts of a configured intake.
    CountStarts(Pick),
    /// `count.acceptances.<scheme>`: posts filled by a recruitment scheme
    /// (or a family of schemes).
    CountAcceptances(Schemes),
    /// `rate.fill.<scheme>`: posts filled / posts offered.
    RateFill(Schemes),
    /// `share.noncompletion.<grade|scope>`: of those leaving a course or
    /// programme grade (any of a scope's, e.g. `nursing_student` over its
    /// fields) over the period, the share who left the NHS rather than
    /// completing or moving grade (equals cohort attrition in a steady
    /// state).
    ShareNoncompletion(Scope),
    /// `count.ccts.all`: certificates of completion of training awarded.
    CountCcts,
    /// `count.pause_returns.<scope>`: returns from pause to training (directly
    /// or through SuppoRTT).
    CountPauseReturns(Scope),
    /// `count.unfilled_posts.<scheme|all>`: posts offered but not filled.
    CountUnfilled(Option<Schemes>),
    /// `time_to_cct.<grade|all>`: mean months from pathway start to CCT of
    /// the CCTs awarded over the period (by the grade that awards them; a
    /// clinician in the initial population whose pathway start is unknown
    /// is not counted).
    TimeToCct(Option<Scope>),
    /// `vacancies.<group>`: funded establishment FTE minus FTE in post, at
    /// the month end, or 0 when staffed above establishment.
    Vacancies(u8),
    /// `rate.vacancy.<group>`: vacancies / establishment.
    RateVacancy(u8),
    /// `establishment.<group>`: funded establishment FTE.
    EstablishmentFte(u8),
    /// `count.on_pause.<scope>`: trainees on pause (OOP) at the month end.
    CountOnPause(Scope),
    /// `count.ltft.<scope>`: trainees training less than full time at the
    /// month end (headcount).
    CountLtft(Scope),
    /// `count.supportt_returners.<scope>`: entries into `returner` in
    /// training grades (SuppoRTT), from pause or the leaver pool.
    CountSupporttReturners(Scope),
    /// `count.rtp_returners.<scope>`: entries into `returner` in employed
    /// grades (Return to Practice), from pause or the leaver pool.
    CountRtpReturners(Scope),
    /// `count.unplaced_applicants.<scheme>`: applicants a round could not place.
    CountUnplaced(Schemes),
    /// `rate.starts_vs_plan.<inflow>`: starts / planned places of an intake.
    RateStartsVsPlan(Pick),
    /// `count.pause_approved.all`: pause requests approved (capacity-limited pause).
    CountPauseApproved,
    /// `count.pause_refused.all`: pause requests refused for want of capacity.
    CountPauseRefused,
    /// `cost.<category>.<scope>`: pounds spent over the period (at the
    /// price base year's prices; `mechanisms::cost`), `None`: `total`.
    Cost(Option<Category>, Scope),
    /// `fte_years.<scope>`: FTE in post summed over the period's months
    /// / 12 (a year's mean FTE; the denominator of cost per FTE-year).
    FteYears(Scope),
    /// `count.retirements.<scope>`: retirements (pension, early, forced),
    /// including those who returned at once.
    CountRetirements(Scope),
    /// `count.retire_and_return.<scope>`: retirees who returned at once, at
    /// lower FTE (`mechanisms::pension`).
    CountRetireAndReturn(Scope),
}

/// The time grain of a value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Grain {
    /// The month itself.
    Month,
    /// The twelve months ending at the month (flows); the month-end
    /// snapshot (stocks).
    Year,
}

impl Grain {
    /// Parses `month` or `year`.
    pub fn parse(s: &str) -> Option<Grain> {
        match s {
            "month" => Some(Grain::Month),
            "year" => Some(Grain::Year),
            _ => None,
        }
    }
}

/// The measures, with their scope kind, for documentation and errors.
pub const VOCABULARY: &[(&str, &str)] = &[
    ("headcount", "scope"),
    ("fte", "scope"),
    ("fte_change", "scope"),
    ("share.ltft", "scope"),
    ("share.pause", "scope"),
    ("rate.leaver", "scope"),
    ("count.leavers", "scope"),
    ("count.joiners", "scope"),
    ("count.intl_joiners", "scope"),
    ("count.starts", "inflow"),
    ("count.acceptances", "recruitment scheme"),
    ("rate.fill", "recruitment scheme"),
    ("share.noncompletion", "grade"),
    ("count.ccts", "all"),
    ("count.pause_returns", "scope"),
    ("count.unfilled_posts", "recruitment scheme or all"),
    ("time_to_cct", "CCT-awarding grade or all"),
    ("vacancies", "group with an establishment"),
    ("rate.vacancy", "group with an establishment"),
    ("establishment", "group with an establishment"),
    ("count.on_pause", "scope"),
    ("count.ltft", "scope"),
    ("count.supportt_returners", "scope"),
    ("count.rtp_returners", "scope"),
    ("count.unplaced_applicants", "recruitment scheme"),
    ("rate.starts_vs_plan", "inflow"),
    ("count.pause_approved", "all"),
    ("count.pause_refused", "all"),
    ("cost.training", "scope"),
    ("cost.pay", "scope"),
    ("cost.recruitment", "scope"),
    ("cost.programme", "scope"),
    ("cost.total", "scope"),
    ("cost.attrition", "scope (a course or training grade)"),
    ("fte_years", "scope"),
    ("count.retirements", "scope"),
    ("count.retire_and_return", "scope"),
];

/// Splits a series name into its measure (the longest measure of
/// [`VOCABULARY`] that prefixes it), scope and optional `@region`, as
/// [`SeriesId::parse`] reads it: `rate.leaver.gp@london` gives
/// (`rate.leaver`, `gp`, `Some("london")`). `None` if no measure prefixes
/// the name. The parts are not checked against a config.
pub fn split_name(full: &str) -> Option<(&'static str, &str, Option<&str>)> {
    let (name, region) = match full.split_once('@') {
        Some((n, r)) => (n, Some(r)),
        None => (full, None),
    };
    let (measure, scope) = VOCABULARY
        .iter()
        .filter_map(|(f, _)| name.strip_prefix(f).and_then(|r| r.strip_prefix('.')).map(|a| (*f, a)))
        .max_by_key(|(f, _)| f.len())?;
    Some((measure, scope, region))
}

/// Where a series counts: one of the model's regions (an ICS when the
/// config has them), or an NHS England region grouping its ICSs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Area {
    /// One region (or ICS), by index into `Rules::regions`.
    One(u8),
    /// A group of ICSs, by index into `Rules::region_groups`.
    Group(u8),
}

impl Area {
    fn parse(rules: &Rules, name: &str) -> Result<Area, String> {
        if let Some(i) = rules.regions.iter().position(|x| x == name) {
            return Ok(Area::One(i as u8));
        }
        if let Some(i) = rules.region_groups.iter().position(|x| x == name) {
            return Ok(Area::Group(i as u8));
        }
        Err(if rules.region_groups.is_empty() {
            format!("unknown region `{name}`")
        } else {
            format!("unknown region or ICS `{name}`")
        })
    }

    /// Whether region (ICS) `r` lies in the area.
    #[inline]
    pub fn covers(self, rules: &Rules, r: u8) -> bool {
        match self {
            Area::One(x) => x == r,
            Area::Group(g) => rules.region_group_of[r as usize] == g,
        }
    }
}

/// A parsed series name.
#[derive(Clone, Debug, PartialEq)]
pub struct SeriesId {
    /// The name as written.
    pub name: String,
    /// What it measures.
    pub measure: Measure,
    /// Region filter (`fte.gp@midlands`, `fte.gp@devon`), if any.
    pub region: Option<Area>,
}

impl SeriesId {
    /// Parses a series name against the rules (scopes name groups, grades,
    /// inflows or schemes of this config).
    pub fn parse(rules: &Rules, full: &str) -> Result<SeriesId, String> {
        let (name, region) = match full.split_once('@') {
            Some((n, r)) => (n, Some(Area::parse(rules, r)?)),
            None => (full, None),
        };
        let (family, arg, _) = split_name(name).ok_or_else(|| {
            let known: Vec<&str> = VOCABULARY.iter().map(|v| v.0).collect();
            format!(
                "unknown series; a series is <measure>.<scope> with measure one of {}",
                known.join(", ")
            )
        })?;
        let scope = || {
            Scope::parse(rules, arg).ok_or_else(|| {
                format!("unknown scope `{arg}` (all, in_training, a group, <group>_in_training or a grade)")
            })
        };
        let inflow = || {
            Pick::parse(
                rules.inflows.iter().map(|f| f.name.as_str()),
                &rules.inflow_families,
                arg,
                "inflow",
            )
        };
        let scheme = || {
            Pick::parse(
                rules.schemes.iter().map(|s| s.name.as_str()),
                &rules.scheme_families,
                arg,
                "recruitment scheme",
            )
        };
        let establishment_group = || {
            let g = rules.group_index(arg).ok_or_else(|| format!("unknown group `{arg}`"))?;
            if rules.groups[g as usize].establishment.is_none() {
                return Err(format!(
                    "group `{arg}` has no establishment (set `vacancy_rate_at_start` and `establishment_growth_annual_rate` on it)"
                ));
            }
            Ok(g)
        };
        let measure = match family {
            "headcount" => Measure::Headcount(scope()?),
            "fte" => Measure::Fte(scope()?),
            "fte_change" => Measure::FteChange(scope()?),
            "share.ltft" => Measure::ShareLtft(scope()?),
            "share.pause" => Measure::SharePause(scope()?),
            "rate.leaver" => Measure::RateLeaver(scope()?),
            "count.leavers" => Measure::CountLeavers(scope()?),
            "count.joiners" => Measure::CountJoiners(scope()?),
            "count.intl_joiners" => Measure::CountIntlJoiners(scope()?),
            "count.starts" => Measure::CountStarts(inflow()?),
            "count.acceptances" => Measure::CountAcceptances(scheme()?),
            "rate.fill" => Measure::RateFill(scheme()?),
            "share.noncompletion" => Measure::ShareNoncompletion(
                Scope::parse(rules, arg).ok_or_else(|| format!("unknown grade or scope `{arg}`"))?,
            ),
            "count.ccts" if arg == "all" => Measure::CountCcts,
            "count.pause_returns" => Measure::CountPauseReturns(scope()?),
            "count.unfilled_posts" if arg == "all" => Measure::CountUnfilled(None),
            "count.unfilled_posts" => Measure::CountUnfilled(Some(scheme()?)),
            "time_to_cct" if arg == "all" => Measure::TimeToCct(None),
            "time_to_cct" => {
                let sc = Scope::parse(rules, arg)
                    .ok_or_else(|| format!("unknown grade or scope `{arg}` (time_to_cct.<grade|scope|all>)"))?;
                if !(0..rules.grades.len() as u8).any(|g| rules.grades[g as usize].awards_cct && sc.covers(rules, g)) {
                    return Err(format!("`{arg}` covers no grade that awards a CCT"));
                }
                Measure::TimeToCct(Some(sc))
            }
            "vacancies" => Measure::Vacancies(establishment_group()?),
            "rate.vacancy" => Measure::RateVacancy(establishment_group()?),
            "establishment" => Measure::EstablishmentFte(establishment_group()?),
            "count.on_pause" => Measure::CountOnPause(scope()?),
            "count.ltft" => Measure::CountLtft(scope()?),
            "count.supportt_returners" => Measure::CountSupporttReturners(scope()?),
            "count.rtp_returners" => Measure::CountRtpReturners(scope()?),
            "count.unplaced_applicants" => Measure::CountUnplaced(scheme()?),
            "rate.starts_vs_plan" => Measure::RateStartsVsPlan(inflow()?),
            "count.pause_approved" if arg == "all" => Measure::CountPauseApproved,
            "count.pause_refused" if arg == "all" => Measure::CountPauseRefused,
            "fte_years" => Measure::FteYears(scope()?),
            "count.retirements" => Measure::CountRetirements(scope()?),
            "count.retire_and_return" => Measure::CountRetireAndReturn(scope()?),
            f if f.starts_with("cost.") => {
                if rules.cost.is_none() {
                    return Err(format!("`{family}` needs a [cost] section in the config"));
                }
                let cat = Category::parse(&f[5..]).ok_or_else(|| format!("unknown cost category `{f}`"))?;
                Measure::Cost(cat, scope()?)
            }
            _ => return Err(format!("`{family}` takes the scope `all` only")),
        };
        let regional = !matches!(
            measure,
            Measure::CountStarts(_)
                | Measure::CountAcceptances(_)
                | Measure::RateFill(_)
                | Measure::CountCcts
                | Measure::CountUnfilled(_)
                | Measure::TimeToCct(_)
                | Measure::CountUnplaced(_)
                | Measure::RateStartsVsPlan(_)
                | Measure::CountPauseApproved
                | Measure::CountPauseRefused
                | Measure::Cost(..)
                | Measure::CountRetirements(_)
                | Measure::CountRetireAndReturn(_)
        );
        if region.is_some() && !regional {
            return Err(format!("`{family}` is national only: no @region"));
        }
        Ok(SeriesId {
            name: full.to_string(),
            measure,
            region,
        })
    }

    /// Measure, scope and region of the name (see [`split_name`]).
    pub fn parts(&self) -> (&'static str, &str, Option<&str>) {
        split_name(&self.name).unwrap_or(("", self.name.as_str(), None))
    }

    /// A value as written in tables: counts as integers, FTE to one
    /// decimal, shares, rates and mean durations to four significant digits.
    pub fn format_value(&self, v: f64) -> String {
        if !v.is_finite() {
            return String::new();
        }
        let fte_like = matches!(
            self.measure,
            Measure::Fte(_)
                | Measure::FteChange(_)
                | Measure::EstablishmentFte(_)
                | Measure::Vacancies(_)
                | Measure::FteYears(_)
        );
        if fte_like {
            format!("{:.1}", v)
        } else if self.is_extensive() {
            format!("{}", v.round() as i64)
        } else {
            significant(v, 4)
        }
    }

    /// The family of a series, for error summaries: the name without its scope.
    pub fn family(&self) -> &str {
        let name = self.name.split('@').next().unwrap_or(&self.name);
        name.rsplit_once('.').map_or(name, |(f, _)| f)
    }

    /// Whether the value is a stock's change over its window (`fte_change`),
    /// which has no meaningful percentage error.
    pub fn is_change(&self) -> bool {
        matches!(self.measure, Measure::FteChange(_))
    }

    /// Whether the value is a count or FTE (scaled by the population scale).
    pub fn is_extensive(&self) -> bool {
        !matches!(
            self.measure,
            Measure::ShareLtft(_)
                | Measure::SharePause(_)
                | Measure::RateLeaver(_)
                | Measure::RateFill(_)
                | Measure::ShareNoncompletion(_)
                | Measure::TimeToCct(_)
                | Measure::RateVacancy(_)
                | Measure::RateStartsVsPlan(_)
        )
    }

    /// Whether the value is a stock (a month-end snapshot) rather than a flow.
    pub fn is_stock(&self) -> bool {
        matches!(
            self.measure,
            Measure::Headcount(_)
                | Measure::Fte(_)
                | Measure::ShareLtft(_)
                | Measure::SharePause(_)
                | Measure::Vacancies(_)
                | Measure::RateVacancy(_)
                | Measure::EstablishmentFte(_)
                | Measure::CountOnPause(_)
                | Measure::CountLtft(_)
        )
    }

    /// The first month index at which a value exists at this grain.
    pub fn first_month(&self, grain: Grain) -> usize {
        match (self.is_stock(), grain) {
            (true, _) => 0,
            (false, Grain::Month) => 1,
            (false, Grain::Year) => 12,
        }
    }

    /// The count a flow measure (leavers, joiners, returns) adds in one
    /// month's record — flows of its scope and area, and for leavers and
    /// joiners the retire-and-return counted as both; `None` for every other
    /// measure. A window's count is the sum of its months' (exact integers),
    /// which lets [`SeriesId::values`] count each month once.
    fn month_count(&self, rules: &Rules, rec: &MonthRecord) -> Option<u64> {
        let rs = std::slice::from_ref(rec);
        let region = self.region;
        Some(match self.measure {
            Measure::RateLeaver(sc) | Measure::CountLeavers(sc) => {
                flow_sum(rules, rs, region, |f, t| leaves(rules, sc, f, t)) + retirements(rules, rs, (sc, region), true)
            }
            Measure::CountJoiners(sc) => {
                let joins = |f: Option<(u8, State)>, t: Option<(u8, State)>| match (f, t) {
                    (_, Some((g, ts))) if is_employed(ts) && sc.covers(rules, g) => match f {
                        None => true,
                        Some((_, fs)) => matches!(fs, State::Student | State::Leaver | State::OverseasRecruit),
                    },
                    _ => false,
                };
                flow_sum(rules, rs, region, joins) + retirements(rules, rs, (sc, region), true)
            }
            Measure::CountIntlJoiners(sc) => {
                let joins = |f: Option<(u8, State)>, t: Option<(u8, State)>| matches!((f, t), (Some((_, State::OverseasRecruit)), Some((g, ts))) if is_employed(ts) && sc.covers(rules, g));
                flow_sum(rules, rs, region, joins)
            }
            Measure::CountPauseReturns(sc) => {
                let back = |f: Option<(u8, State)>, t: Option<(u8, State)>| {
                    matches!((f, t), (Some((g, State::Pause)), Some((_, ts)))
                        if sc.covers(rules, g) && matches!(ts, State::Trainee | State::Ltft | State::Returner))
                };
                flow_sum(rules, rs, region, back)
            }
            Measure::CountSupporttReturners(sc) | Measure::CountRtpReturners(sc) => {
                let supportt = matches!(self.measure, Measure::CountSupporttReturners(_));
                let back = |f: Option<(u8, State)>, t: Option<(u8, State)>| {
                    matches!((f, t), (Some((_, State::Pause | State::Leaver)), Some((g, State::Returner)))
                        if sc.covers(rules, g) && (rules.grades[g as usize].kind == GradeKind::Training) == supportt)
                };
                flow_sum(rules, rs, region, back)
            }
            _ => return None,
        })
    }

    /// A flow measure's count over a window of records.
    fn window_count(&self, rules: &Rules, records: &[MonthRecord]) -> u64 {
        records.iter().map(|r| self.month_count(rules, r).unwrap_or(0)).sum()
    }

    /// The value at every month index of `records` (as [`SeriesId::value`]
    /// at each, to the bit), computing a flow measure's monthly counts once
    /// rather than once per window that holds them (twelve times at year
    /// grain).
    pub fn values(&self, rules: &Rules, records: &[MonthRecord], grain: Grain) -> Vec<Option<f64>> {
        let counts: Option<Vec<u64>> = records.iter().map(|r| self.month_count(rules, r)).collect();
        let Some(counts) = counts else {
            return (0..records.len())
                .map(|m| self.value(rules, records, m, grain))
                .collect();
        };
        let mut prefix = vec![0u64; records.len() + 1];
        for (m, c) in counts.iter().enumerate() {
            prefix[m + 1] = prefix[m] + c;
        }
        let scale = rules.population_scale;
        let stocks: Vec<u64> = match self.measure {
            Measure::RateLeaver(sc) => records
                .iter()
                .map(|r| stock_sum(rules, r, (sc, self.region), is_employed))
                .collect(),
            _ => Vec::new(),
        };
        (0..records.len())
            .map(|month| {
                if month < self.first_month(grain) {
                    return None;
                }
                let lo = match grain {
                    Grain::Month => month,
                    Grain::Year => month - 11,
                };
                let n = prefix[month + 1] - prefix[lo];
                match self.measure {
                    Measure::RateLeaver(_) => {
                        let k = (month + 1 - lo) as f64;
                        let mean = (lo..=month).map(|m| stocks[m - 1] as f64).sum::<f64>() / k;
                        if mean <= 0.0 { None } else { Some(n as f64 / mean) }
                    }
                    _ => Some(n as f64 * scale),
                }
            })
            .collect()
    }

    /// The value at month index `month` (records[0] is month 0), or `None`
    /// when the records do not reach it or the ratio is undefined.
    pub fn value(&self, rules: &Rules, records: &[MonthRecord], month: usize, grain: Grain) -> Option<f64> {
        if month >= records.len() || month < self.first_month(grain) {
            return None;
        }
        let scale = rules.population_scale;
        // (A stock at year grain is its month's value: the window is only
        // used by flows, which start at month 12.)
        let window = match grain {
            Grain::Month => month..=month,
            Grain::Year => month.saturating_sub(11)..=month,
        };
        let rec = &records[month];
        let v = match self.measure {
            Measure::Headcount(sc) => stock_sum(rules, rec, (sc, self.region), is_employed) as f64 * scale,
            Measure::Fte(sc) => fte_in_post(rules, rec, (sc, self.region)) * scale,
            Measure::FteChange(sc) => {
                let before = &records[*window.start() - 1];
                // The difference of the two months' values as `fte` gives them.
                fte_in_post(rules, rec, (sc, self.region)) * scale
                    - fte_in_post(rules, before, (sc, self.region)) * scale
            }
            Measure::EstablishmentFte(g) => {
                establishment::of_group(rules, &rec.counters.establishment_fte, g, self.region) * scale
            }
            Measure::Vacancies(g) | Measure::RateVacancy(g) => {
                let est = establishment::of_group(rules, &rec.counters.establishment_fte, g, self.region);
                let vacant = establishment::vacancies(est, fte_in_post(rules, rec, (Scope::Group(g), self.region)));
                match self.measure {
                    Measure::Vacancies(_) => vacant * scale,
                    _ if est > 0.0 => vacant / est,
                    _ => return None,
                }
            }
            Measure::ShareLtft(sc) => {
                let sc = training_only(sc);
                let ltft = stock_sum(rules, rec, (sc, self.region), |s| s == State::Ltft);
                let all = stock_sum(rules, rec, (sc, self.region), |s| {
                    matches!(s, State::Trainee | State::Ltft)
                });
                ratio(ltft, all)?
            }
            Measure::SharePause(sc) => {
                let sc = training_only(sc);
                let pause = stock_sum(rules, rec, (sc, self.region), |s| s == State::Pause);
                let all = stock_sum(rules, rec, (sc, self.region), |s| {
                    matches!(s, State::Trainee | State::Ltft | State::Pause)
                });
                ratio(pause, all)?
            }
            Measure::RateLeaver(sc) => {
                let leavers = self.window_count(rules, &records[window.clone()]);
                let n = window.clone().count() as f64;
                let mean = window
                    .map(|m| stock_sum(rules, &records[m - 1], (sc, self.region), is_employed) as f64)
                    .sum::<f64>()
                    / n;
                if mean <= 0.0 {
                    return None;
                }
                leavers as f64 / mean
            }
            Measure::CountLeavers(_)
            | Measure::CountJoiners(_)
            | Measure::CountIntlJoiners(_)
            | Measure::CountPauseReturns(_)
            | Measure::CountSupporttReturners(_)
            | Measure::CountRtpReturners(_) => self.window_count(rules, &records[window]) as f64 * scale,
            Measure::CountStarts(i) => {
                let f = &rules.inflow_families;
                records[window]
                    .iter()
                    .map(|r| i.sum(f, &r.counters.starts) as f64)
                    .sum::<f64>()
                    * scale
            }
            Measure::CountAcceptances(i) => {
                records[window]
                    .iter()
                    .map(|r| i.sum(&rules.scheme_families, &r.counters.posts_filled) as f64)
                    .sum::<f64>()
                    * scale
            }
            Measure::RateFill(i) => {
                let rs = &records[window];
                let filled: u64 = rs
                    .iter()
                    .map(|r| i.sum(&rules.scheme_families, &r.counters.posts_filled))
                    .sum();
                let offered: u64 = rs
                    .iter()
                    .map(|r| i.sum(&rules.scheme_families, &r.counters.posts_offered))
                    .sum();
                ratio(filled, offered)?
            }
            Measure::ShareNoncompletion(sc) => {
                let rs = &records[window];
                let out_of_grade = |f: Option<(u8, State)>| f.is_some_and(|(g, _)| sc.covers(rules, g));
                let left = flow_sum(rules, rs, self.region, |f, t| {
                    out_of_grade(f) && (t.is_none() || t.is_some_and(|(_, s)| s == State::Leaver))
                });
                let moved = flow_sum(rules, rs, self.region, |f, t| {
                    out_of_grade(f) && t.is_some_and(|(g, s)| !sc.covers(rules, g) && s != State::Leaver)
                });
                ratio(left, left + moved)?
            }
            Measure::CountCcts => records[window].iter().map(|r| r.counters.ccts as f64).sum::<f64>() * scale,
            Measure::CountUnfilled(which) => {
                let mut n = 0u64;
                for r in &records[window] {
                    for i in 0..r.counters.posts_offered.len() {
                        if which.is_none_or(|w| w.has(&rules.scheme_families, i)) {
                            n += r.counters.posts_offered[i].saturating_sub(r.counters.posts_filled[i]) as u64;
                        }
                    }
                }
                n as f64 * scale
            }
            Measure::CountLtft(sc) => {
                stock_sum(rules, rec, (training_only(sc), self.region), |s| s == State::Ltft) as f64 * scale
            }
            Measure::CountOnPause(sc) => {
                stock_sum(rules, rec, (training_only(sc), self.region), |s| s == State::Pause) as f64 * scale
            }
            Measure::CountUnplaced(i) => {
                records[window]
                    .iter()
                    .map(|r| i.sum(&rules.scheme_families, &r.counters.unplaced) as f64)
                    .sum::<f64>()
                    * scale
            }
            Measure::RateStartsVsPlan(i) => {
                let rs = &records[window];
                let f = &rules.inflow_families;
                let starts: u64 = rs.iter().map(|r| i.sum(f, &r.counters.starts)).sum();
                let places: u64 = rs.iter().map(|r| i.sum(f, &r.counters.places)).sum();
                ratio(starts, places)?
            }
            Measure::CountPauseApproved => {
                records[window]
                    .iter()
                    .map(|r| r.counters.pause_approved as f64)
                    .sum::<f64>()
                    * scale
            }
            Measure::CountPauseRefused => {
                records[window]
                    .iter()
                    .map(|r| r.counters.pause_refused as f64)
                    .sum::<f64>()
                    * scale
            }
            Measure::TimeToCct(which) => {
                let (mut n, mut months) = (0u64, 0u64);
                for r in &records[window] {
                    for (&g, &(k, m)) in &r.counters.cct_months {
                        if which.is_none_or(|w| w.covers(rules, g)) {
                            n += k as u64;
                            months += m;
                        }
                    }
                }
                ratio(months, n)?
            }
            Measure::Cost(cat, sc) => {
                let n = rules.grades.len();
                let cats: &[usize] = match cat {
                    Some(c) => &[c as usize][..],
                    None => &[0, 1, 2, 3][..],
                };
                let mut pence = 0i64;
                for r in &records[window] {
                    if r.counters.cost.len() != CATEGORIES * n {
                        continue; // month 0: nothing spent yet
                    }
                    for &c in cats {
                        for g in 0..n {
                            if sc.covers(rules, g as u8) {
                                pence += r.counters.cost[c * n + g];
                            }
                        }
                    }
                }
                pence as f64 / 100.0 * scale
            }
            Measure::FteYears(sc) => {
                records[window]
                    .iter()
                    .map(|r| fte_in_post(rules, r, (sc, self.region)))
                    .sum::<f64>()
                    / 12.0
                    * scale
            }
            Measure::CountRetirements(sc) | Measure::CountRetireAndReturn(sc) => {
                let returned = matches!(self.measure, Measure::CountRetireAndReturn(_));
                retirements(rules, &records[window], (sc, self.region), returned) as f64 * scale
            }
        };
        Some(v)
    }
}

/// `v` to `digits` significant digits, without float noise or trailing zeros.
pub fn significant(v: f64, digits: i32) -> String {
    if v == 0.0 || !v.is_finite() {
        return if v == 0.0 { "0".into() } else { String::new() };
    }
    let decimals = (digits - 1 - v.abs().log10().floor() as i32).max(0) as usize;
    let s = format!("{v:.decimals$}");
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    };
    if s == "-0" { "0".into() } else { s }
}

fn ratio(a: u64, b: u64) -> Option<f64> {
    (b > 0).then(|| a as f64 / b as f64)
}

/// LTFT and pause shares are over training grades: a group scope narrows
/// to its training grades.
fn training_only(sc: Scope) -> Scope {
    match sc {
        Scope::Group(g) => Scope::TrainingOf(g),
        Scope::All => Scope::AnyTraining,
        other => other,
    }
}

/// FTE in post (employed states) of a scope, in simulated FTE.
fn fte_in_post(rules: &Rules, rec: &MonthRecord, (sc, region): (Scope, Option<Area>)) -> f64 {
    cell_sum(rules, &rec.fte, (sc, region), is_employed) as f64 / 10.0
}

fn stock_sum(
    rules: &Rules,
    rec: &MonthRecord,
    (sc, region): (Scope, Option<Area>),
    state: impl Fn(State) -> bool,
) -> u64 {
    cell_sum(rules, &rec.stock, (sc, region), state)
}

/// The sum of per-cell values over a scope's grades, the states kept and
/// an area. Cells are laid out (grade, state) by region, so each kept
/// (grade, state) is one run of the regions.
fn cell_sum<T: Copy + Into<u64>>(
    rules: &Rules,
    values: &[T],
    (sc, region): (Scope, Option<Area>),
    state: impl Fn(State) -> bool,
) -> u64 {
    let nr = rules.regions.len();
    let mut n = 0u64;
    for g in 0..rules.grades.len() as u8 {
        if !sc.covers(rules, g) {
            continue;
        }
        for s in 0..State::COUNT {
            if !state(State::from_u8(s as u8)) {
                continue;
            }
            let start = rules.stock_cell(g, State::from_u8(s as u8), 0);
            let run = &values[start..start + nr];
            n += match region {
                None => run.iter().map(|&v| v.into()).sum::<u64>(),
                Some(a) => run
                    .iter()
                    .enumerate()
                    .filter(|&(r, _)| a.covers(rules, r as u8))
                    .map(|(_, &v)| v.into())
                    .sum(),
            };
        }
    }
    n
}

fn flow_sum(
    rules: &Rules,
    records: &[MonthRecord],
    region: Option<Area>,
    keep: impl Fn(Option<(u8, State)>, Option<(u8, State)>) -> bool,
) -> u64 {
    let part = |c: Option<usize>| {
        c.map(|c| {
            let (g, s, _) = rules.cell_parts(c);
            (g, s)
        })
    };
    let mut n = 0u64;
    for r in records {
        for &(key, k) in &r.flows {
            let (f, t) = flow_cells(key);
            // Clinicians never change region: a flow's region is that of
            // whichever end is a cell.
            if let Some(r) = region
                && f.or(t).is_some_and(|c| !r.covers(rules, rules.cell_parts(c).2))
            {
                continue;
            }
            if keep(part(f), part(t)) {
                n += k as u64;
            }
        }
    }
    n
}

/// Retirements in service (or those who returned at once) of a scope and
/// area over some months.
fn retirements(rules: &Rules, records: &[MonthRecord], (sc, region): (Scope, Option<Area>), returned: bool) -> u64 {
    let mut n = 0u64;
    for r in records {
        for (&cell, &(k, back)) in &r.counters.retirements {
            let (g, _, reg) = rules.cell_parts(cell as usize);
            if sc.covers(rules, g) && region.is_none_or(|a| a.covers(rules, reg)) {
                n += if returned { back } else { k } as u64;
            }
        }
    }
    n
}

fn leaves(rules: &Rules, sc: Scope, f: Option<(u8, State)>, t: Option<(u8, State)>) -> bool {
    match f {
        Some((g, fs)) => sc.covers(rules, g) && is_leaving(Some(fs), t.map(|t| t.1)),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::tiny_rules;

    #[test]
    fn named_scopes_cover_their_grades_and_bad_ones_are_refused() {
        use crate::config::ConfigSource;
        let src = crate::load::baseline_source();
        let rules = crate::load_rules(&src, &["model.months=1".to_string()]).unwrap();
        let id = SeriesId::parse(&rules, "fte.hchs_doctor").unwrap();
        let doctors = SeriesId::parse(&rules, "fte.doctor").unwrap();
        let gps = ["gp", "gp_training"].map(|g| SeriesId::parse(&rules, &format!("fte.{g}")).unwrap());
        let mut sim = crate::Simulation::new(std::sync::Arc::new(rules.clone()), 1, None);
        sim.step_month();
        let recs = sim.take_history().records;
        let v = |s: &SeriesId| s.value(&rules, &recs, 1, Grain::Month).unwrap();
        let hchs = v(&id);
        let rest: f64 = gps.iter().map(v).sum();
        // Doctors = HCHS doctors + GPs and GP trainees (tenths are exact).
        assert!(
            (v(&doctors) - hchs - rest).abs() < 1e-6,
            "{} {hchs} {rest}",
            v(&doctors)
        );
        assert!(hchs > 0.5 * v(&doctors));
        let ltft = SeriesId::parse(&rules, "count.ltft.hchs_doctor_in_training").unwrap();
        assert!(v(&ltft) > 0.0);
        let err = |extra: &str| {
            let text = format!("{}\n{extra}", crate::load::BASELINE);
            let src = ConfigSource {
                file: "x.toml".into(),
                text,
            };
            crate::load_rules(&src, &[]).unwrap_err().to_string()
        };
        let e = err("[[scope]]\nname = \"gp\"\ngrades = [\"fy1\"]");
        assert!(e.contains("must differ from"), "{e}");
        let e = err("[[scope]]\nname = \"x\"\ngrades = [\"nope\"]");
        assert!(e.contains("scope.x.grades") && e.contains("nope"), "{e}");
        let e = err("[[scope]]\nname = \"hchs_doctor\"\ngrades = [\"fy1\"]");
        assert!(e.contains("duplicate name"), "{e}");
        let e = err("[[scope]]\nname = \"y\"\ngrades = []");
        assert!(e.contains("at least one grade"), "{e}");
    }

    #[test]
    fn fte_change_is_the_stock_difference_over_its_window() {
        let src = crate::load::baseline_source();
        let rules = crate::load_rules(
            &src,
            &["model.months=14".to_string(), "model.population_scale=20".to_string()],
        )
        .unwrap();
        let mut sim = crate::Simulation::new(std::sync::Arc::new(rules.clone()), 3, None);
        for _ in 0..14 {
            sim.step_month();
        }
        let recs = sim.take_history().records;
        for scope in ["nurse", "consultant", "hchs_doctor_in_training", "midwife"] {
            let fte = SeriesId::parse(&rules, &format!("fte.{scope}")).unwrap();
            let change = SeriesId::parse(&rules, &format!("fte_change.{scope}@london")).unwrap();
            let fte_london = SeriesId::parse(&rules, &format!("fte.{scope}@london")).unwrap();
            let year = SeriesId::parse(&rules, &format!("fte_change.{scope}")).unwrap();
            let at = |id: &SeriesId, m: usize| id.value(&rules, &recs, m, Grain::Month).unwrap();
            // A year's change is the month's FTE less the FTE twelve months before.
            assert_eq!(
                year.value(&rules, &recs, 14, Grain::Year),
                Some(at(&fte, 14) - at(&fte, 2))
            );
            assert_eq!(at(&change, 7), at(&fte_london, 7) - at(&fte_london, 6));
            // Undefined before a whole window; its values agree with value().
            assert_eq!(year.value(&rules, &recs, 11, Grain::Year), None);
            assert_eq!(change.value(&rules, &recs, 0, Grain::Month), None);
            let all = year.values(&rules, &recs, Grain::Year);
            assert_eq!(all[14], year.value(&rules, &recs, 14, Grain::Year));
            assert!(all[..12].iter().all(Option::is_none));
            assert!(year.is_extensive() && !year.is_stock());
            assert_eq!(year.format_value(12.345), "12.3");
        }
        // Changes over a year sum from monthly changes (exact accounting).
        let month = SeriesId::parse(&rules, "fte_change.nurse").unwrap();
        let sum: f64 = (3..=14)
            .map(|m| month.value(&rules, &recs, m, Grain::Month).unwrap())
            .sum();
        let year = month.value(&rules, &recs, 14, Grain::Year).unwrap();
        assert!((sum - year).abs() < 1e-6 * year.abs().max(1.0), "{sum} {year}");
    }

    #[test]
    fn values_are_written_to_what_they_mean() {
        assert_eq!(significant(0.123456, 4), "0.1235");
        assert_eq!(significant(0.05, 4), "0.05");
        assert_eq!(significant(61.23456, 4), "61.23");
        assert_eq!(significant(-0.0000123456, 4), "-0.00001235");
        assert_eq!(significant(12345.6, 4), "12346");
        assert_eq!(significant(0.0, 4), "0");
    }

    #[test]
    fn names_parse_against_the_rules() {
        let rules = tiny_rules("");
        let g = rules.grades[0].name.clone();
        let grp = rules.groups[0].name.clone();
        assert!(SeriesId::parse(&rules, &format!("fte.{grp}")).is_ok());
        assert!(SeriesId::parse(&rules, &format!("headcount.{g}")).is_ok());
        assert!(SeriesId::parse(&rules, &format!("rate.leaver.{grp}")).is_ok());
        assert!(SeriesId::parse(&rules, "count.ccts.all").is_ok());
        let e = SeriesId::parse(&rules, "fte.astronauts").unwrap_err();
        assert!(e.contains("unknown scope `astronauts`"), "{e}");
        let e = SeriesId::parse(&rules, "wellbeing.nurse").unwrap_err();
        assert!(e.contains("unknown series"), "{e}");
        let id = SeriesId::parse(&rules, &format!("rate.leaver.{grp}")).unwrap();
        assert_eq!(id.family(), "rate.leaver");
        let id = SeriesId::parse(&rules, &format!("share.ltft.{grp}@{}", rules.regions[0])).unwrap();
        assert_eq!(
            id.parts(),
            ("share.ltft", grp.as_str(), Some(rules.regions[0].as_str()))
        );
        assert_eq!(
            split_name("count.unfilled_posts.all"),
            Some(("count.unfilled_posts", "all", None))
        );
        assert!(!id.is_extensive());
    }
}

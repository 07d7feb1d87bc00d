//! Joiners: student intakes (places and applicants per year, starts = the
//! smaller, per region) and international recruits (arriving as
//! `overseas_recruit`, then passing or failing the pipeline by hazards).

use crate::clinician::{Clinician, FLAG_FEMALE, FLAG_PATHWAY_KNOWN, State};
use crate::random::{Purpose, stream};
use crate::rules::{Inflow, Rules};
use rand::Rng;

use super::apportion;

/// Planned places and applicants of an inflow this month, nationally.
pub fn planned(f: &Inflow, calendar_month: u32, year: i32, initial_population: u64) -> (u64, u64) {
    if let Some(share) = f.per_month_share_of_initial {
        let n = (initial_population as f64 * share).ceil() as u64;
        return (n, n);
    }
    let Some(k) = f.months.iter().position(|&m| m == calendar_month) else {
        return (0, 0);
    };
    let even = vec![1.0; f.months.len()];
    let split = |v: f64| apportion(v.round() as u64, &even)[k];
    let places = f.places.as_ref().map_or(0, |s| split(s.at(year)));
    let applicants = f.applicants.as_ref().map_or(places, |s| split(s.at(year)));
    (places, applicants)
}

/// Where a new clinician starts and how its attributes are drawn.
#[derive(Clone, Copy, Debug)]
pub struct Profile {
    /// Grade.
    pub grade: u8,
    /// State.
    pub state: State,
    /// Region.
    pub region: u8,
    /// Age range in months.
    pub age: (u16, u16),
    /// Female threshold.
    pub female_threshold: u64,
}

/// A new clinician with keyed attributes: age uniform in the range, sex.
pub fn new_clinician(seed: u64, id: u32, month: u32, p: Profile) -> Clinician {
    let Profile {
        grade,
        state,
        region,
        age,
        female_threshold,
    } = p;
    let mut rng = stream(seed, id, month, Purpose::Synthesis);
    let span = (age.1 - age.0) as u32 + 1;
    let age_months = age.0 + (rng.next_u32() % span) as u16;
    let female = (rng.next_u32() as u64) < female_threshold;
    Clinician {
        id,
        age_months,
        months_in_state: 0,
        progress_tenths: 0,
        pathway_start: 0,
        grade,
        state,
        region,
        fte_tenths: 0,
        flags: if female { FLAG_FEMALE } else { 0 },
        paused_months: 0,
    }
}

/// The joiners of every inflow this month, with ids from `next_id`, plus
/// (places, applicants, starts) per inflow.
pub fn joiners(
    rules: &Rules,
    seed: u64,
    month: u32,
    initial_population: u64,
    next_id: &mut u32,
) -> (Vec<Clinician>, Vec<(u32, u32, u32)>) {
    let date = rules.start.plus(month);
    let mut out = Vec::new();
    let mut counts = Vec::with_capacity(rules.inflows.len());
    for f in &rules.inflows {
        let (places, applicants) = planned(f, date.month, date.year, initial_population);
        let by_region_places = apportion(places, &rules.region_shares);
        let by_region_apps = apportion(applicants, &rules.region_shares);
        let mut starts = 0;
        for (r, (&p, &a)) in by_region_places.iter().zip(&by_region_apps).enumerate() {
            for _ in 0..p.min(a) {
                let profile = Profile {
                    grade: f.grade,
                    state: f.state,
                    region: r as u8,
                    age: f.age_months,
                    female_threshold: f.female_threshold,
                };
                let mut c = new_clinician(seed, *next_id, month, profile);
                *next_id += 1;
                c.fte_tenths = match f.state {
                    State::Trainee => 10,
                    State::Student => 0,
                    _ => f.fte_tenths,
                };
                if rules.grades[f.grade as usize].starts_pathway {
                    c.pathway_start = month as u16;
                    c.flags |= FLAG_PATHWAY_KNOWN;
                }
                out.push(c);
                starts += 1;
            }
        }
        counts.push((places as u32, applicants as u32, starts));
    }
    (out, counts)
}

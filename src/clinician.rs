//! The clinician: one bevy entity with one dense component.
//!
//! **Invariant:** a transition changes fields, never components, so a
//! clinician never moves between archetypes while the simulation runs.

use bevy_ecs::prelude::Component;
use serde::{Deserialize, Serialize};

/// The career state a clinician is in. Exactly one at a time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[repr(u8)]
pub enum State {
    /// On a pre-registration course (medical school, nursing degree, ...).
    Student = 0,
    /// In a training grade, full time.
    Trainee = 1,
    /// Training less than full time (0.5-0.8 WTE): progress accrues pro rata.
    Ltft = 2,
    /// Out of programme, including OOP Pause; keeps the training number.
    Pause = 3,
    /// Back after >= the returner threshold away: SuppoRTT or Return to Practice.
    Returner = 4,
    /// Left NHS service; stays in the pool and may return.
    Leaver = 5,
    /// Internationally recruited, in the arrival pipeline (OSCE, induction).
    OverseasRecruit = 6,
    /// Employed after training, at some FTE.
    Qualified = 7,
    /// Permanently gone (retired, died, dropped out of a course). Never
    /// written as a stock; its entity slot is reused for the next joiner.
    Gone = 8,
}

impl State {
    /// The career states that are stocks (everything but `Gone`).
    pub const CAREER: [State; 8] = [
        State::Student,
        State::Trainee,
        State::Ltft,
        State::Pause,
        State::Returner,
        State::Leaver,
        State::OverseasRecruit,
        State::Qualified,
    ];
    /// Number of career states (stocks).
    pub const COUNT: usize = 8;

    /// The name used in configs and outputs.
    pub fn name(self) -> &'static str {
        match self {
            State::Student => "student",
            State::Trainee => "trainee",
            State::Ltft => "ltft",
            State::Pause => "pause",
            State::Returner => "returner",
            State::Leaver => "leaver",
            State::OverseasRecruit => "overseas_recruit",
            State::Qualified => "qualified",
            State::Gone => "gone",
        }
    }

    /// Parses a config name (including `gone` for permanent exits).
    pub fn parse(s: &str) -> Option<State> {
        State::CAREER.into_iter().chain([State::Gone]).find(|st| st.name() == s)
    }

    /// From the stored byte.
    #[inline(always)]
    pub fn from_u8(v: u8) -> State {
        match v {
            0 => State::Student,
            1 => State::Trainee,
            2 => State::Ltft,
            3 => State::Pause,
            4 => State::Returner,
            5 => State::Leaver,
            6 => State::OverseasRecruit,
            7 => State::Qualified,
            _ => State::Gone,
        }
    }
}

/// Flag bit: the clinician is female.
pub const FLAG_FEMALE: u8 = 1;
/// Flag bit: `pathway_start` is known (the pathway started during the run).
pub const FLAG_PATHWAY_KNOWN: u8 = 2;
/// Flag bit: the clinician is a returner from the leaver pool (not from pause).
pub const FLAG_FROM_LEAVER: u8 = 4;
/// Flag bits 3-4: the NHS Pension Scheme section, by index in
/// `[[pensions.section]]` (`mechanisms::pension`).
pub const FLAG_SECTION_SHIFT: u8 = 3;
/// Mask of the section bits.
pub const FLAG_SECTION_MASK: u8 = 0b11 << FLAG_SECTION_SHIFT;
/// Flag bit: Special Class (or Mental Health Officer) status.
pub const FLAG_SPECIAL_CLASS: u8 = 32;
/// Flag bit: cut sessions under a pension-tax period (restored after it).
pub const FLAG_TAX_CUT: u8 = 64;
/// Flag bit: retired and returned (retire-and-return happens once).
pub const FLAG_RETIRED_RETURNED: u8 = 128;

/// The hot per-clinician data, 20 bytes. Grade implies the staff group.
#[derive(Component, Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Clinician {
    /// Low 32 bits of the stable id ([`Clinician::id`]).
    pub id_lo: u32,
    /// Age in months.
    pub age_months: u16,
    /// Months in the current state.
    pub months_in_state: u16,
    /// Progress through the current grade, in tenths of a WTE-month.
    pub progress_tenths: u16,
    /// Month index at which the current training pathway started.
    pub pathway_start: u16,
    /// High 16 bits of the stable id (in what was the struct's padding).
    pub id_hi: u16,
    /// Index of the grade in the compiled rules.
    pub grade: u8,
    /// The career state.
    pub state: State,
    /// Index of the region.
    pub region: u8,
    /// Contracted FTE in tenths (10 = full time).
    pub fte_tenths: u8,
    /// Bit flags (`FLAG_*`).
    pub flags: u8,
    /// Months of pause accrued towards credit on return.
    pub paused_months: u8,
}

/// Bits of a clinician id (`id_lo` and `id_hi`).
pub const ID_BITS: u32 = 48;

// The id's high bits live in what would otherwise be padding.
const _: () = assert!(std::mem::size_of::<Clinician>() == 20);

impl Clinician {
    /// Stable id (48 bits): the key of every random stream of this
    /// clinician.
    #[inline(always)]
    pub fn id(&self) -> u64 {
        (self.id_hi as u64) << 32 | self.id_lo as u64
    }

    /// Sets the stable id (below 2^48).
    pub fn set_id(&mut self, id: u64) {
        debug_assert!(id < 1 << ID_BITS);
        self.id_lo = id as u32;
        self.id_hi = (id >> 32) as u16;
    }

    /// Whether the clinician is female.
    pub fn is_female(&self) -> bool {
        self.flags & FLAG_FEMALE != 0
    }
}

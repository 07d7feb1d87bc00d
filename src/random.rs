//! Keyed random streams.
//!
//! Every draw in careersim comes from a PCG stream keyed by
//! (run seed, clinician id, month, purpose). The (seed, id, month) triple is
//! hashed into the PCG state and the purpose selects the PCG stream, so a draw
//! never depends on iteration order, batch size or thread count, and adding a
//! draw for one purpose never shifts the draws of another.
//!
//! **Invariant:** no other source of randomness exists in the crate
//! (`clippy.toml` bans `thread_rng`/`rand::rng`).

use rand::Rng;
use rand_pcg::Pcg32;

/// What a draw is for. Each purpose is its own PCG stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u64)]
pub enum Purpose {
    /// The one uniform that decides which competing monthly hazard fires.
    Hazard = 1,
    /// Whether a clinician past pension age retires this month.
    Retirement = 2,
    /// The FTE a clinician takes on entering a grade or LTFT.
    Fte = 3,
    /// Whether an eligible clinician applies in a recruitment round.
    Apply = 4,
    /// The ordering key of an applicant in capacity matching.
    MatchOrder = 5,
    /// Attributes of a synthesised or joining clinician (age, sex, progress).
    Synthesis = 6,
    /// Second attribute draw at synthesis.
    Synthesis2 = 7,
    /// Calibration: sampling and perturbing candidate parameters.
    Calibration = 8,
    /// Ensembles: drawing a replicate's parameters from a posterior.
    Posterior = 9,
    /// Whether a completer takes up the next grade.
    Completion = 10,
    /// Which of the schemes it applies to an applicant prefers.
    Preference = 11,
    /// Which scheme of a family (e.g. which ST3 specialty) an applicant
    /// to the family applies to.
    FamilyChoice = 12,
    /// Pension attributes at entry (Special Class status).
    Pension = 13,
    /// Whether a retiree returns at once (retire-and-return).
    RetireReturn = 14,
    /// A clinician's fixed rank in earnings, for the pension-tax periods
    /// (drawn at month 0).
    TaxRank = 15,
    /// Whether an affected clinician cuts sessions this month.
    TaxCut = 16,
}

/// SplitMix64 finaliser: a bijective 64-bit mix.
#[inline(always)]
pub fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The key of a (seed, month): mixed once, shared by every clinician's
/// draws in that month (the compiler hoists it out of the monthly loop).
#[inline(always)]
pub fn month_key(seed: u64, month: u32) -> u64 {
    mix64(seed ^ mix64((month as u64).wrapping_add(0x9e37_79b9_7f4a_7c15)))
}

/// The PCG stream for one (seed, clinician, month, purpose): the state is
/// the mixed (seed, month) key plus the clinician id, mixed again; the
/// purpose selects the PCG stream.
#[inline(always)]
pub fn stream(seed: u64, clinician: u64, month: u32, purpose: Purpose) -> Pcg32 {
    Pcg32::new(mix64(month_key(seed, month) ^ clinician), purpose as u64)
}

/// The first 32-bit draw of a keyed stream, given the month key.
#[inline(always)]
pub fn draw_keyed(month_key: u64, clinician: u64, purpose: Purpose) -> u32 {
    Pcg32::new(mix64(month_key ^ clinician), purpose as u64).next_u32()
}

/// The first 32-bit draw of a keyed stream.
#[inline(always)]
pub fn draw_u32(seed: u64, clinician: u64, month: u32, purpose: Purpose) -> u32 {
    stream(seed, clinician, month, purpose).next_u32()
}

/// The first 32-bit draw of sub-stream `sub` of a purpose (e.g. one per
/// recruitment scheme), so schemes never share draws.
#[inline(always)]
pub fn draw_u32_sub(seed: u64, clinician: u64, month: u32, purpose: Purpose, sub: u32) -> u32 {
    Pcg32::new(
        mix64(month_key(seed, month) ^ clinician),
        purpose as u64 | ((sub as u64 + 1) << 8),
    )
    .next_u32()
}

/// A uniform in [0, 1) from a keyed stream (32 bits of resolution).
#[inline(always)]
pub fn uniform(seed: u64, clinician: u64, month: u32, purpose: Purpose) -> f64 {
    draw_u32(seed, clinician, month, purpose) as f64 * (1.0 / THRESHOLD_SCALE)
}

/// 2^32: the scale of a 32-bit draw and of thresholds (32.32 fixed point).
pub const THRESHOLD_SCALE: f64 = 4_294_967_296.0;

/// A probability as a 32.32 fixed-point threshold: a draw `u` (u32) fires
/// the event when `(u as u64) < threshold`. p = 1 always fires, p = 0 never.
#[inline]
pub fn threshold(p: f64) -> u64 {
    (p.clamp(0.0, 1.0) * THRESHOLD_SCALE).round() as u64
}

/// Bernoulli draw with a precomputed threshold, given the month key.
#[inline(always)]
pub fn fires(month_key: u64, clinician: u64, purpose: Purpose, thr: u64) -> bool {
    (draw_keyed(month_key, clinician, purpose) as u64) < thr
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_key_same_draw_and_purposes_differ() {
        let a = draw_u32(7, 42, 3, Purpose::Hazard);
        assert_eq!(a, draw_u32(7, 42, 3, Purpose::Hazard));
        assert_ne!(a, draw_u32(7, 42, 3, Purpose::Fte));
        assert_ne!(a, draw_u32(7, 43, 3, Purpose::Hazard));
        assert_ne!(a, draw_u32(7, 42, 4, Purpose::Hazard));
        assert_ne!(a, draw_u32(8, 42, 3, Purpose::Hazard));
    }

    #[test]
    fn uniform_mean_within_standard_error() {
        // Mean of n uniforms: sd = sqrt(1/12/n); allow 4 standard errors.
        let n = 200_000u64;
        let mean: f64 = (0..n).map(|i| uniform(1, i, 1, Purpose::Hazard)).sum::<f64>() / n as f64;
        let se = (1.0 / 12.0 / n as f64).sqrt();
        assert!((mean - 0.5).abs() < 4.0 * se, "mean {mean}");
    }

    #[test]
    fn threshold_edges() {
        assert_eq!(threshold(0.0), 0);
        assert!((u32::MAX as u64) < threshold(1.0));
        let n = 100_000u64;
        let thr = threshold(0.1);
        let k = (0..n)
            .filter(|&i| fires(month_key(3, 2), i, Purpose::Apply, thr))
            .count() as f64;
        let se = (0.1 * 0.9 * n as f64).sqrt();
        assert!((k - 10_000.0).abs() < 4.0 * se, "k {k}");
    }
}

//! Less-than-full-time training. Uptake and return to full time are hazards
//! (`to = "ltft"` with `fte` or `fte_options`, validated against
//! `[ltft] min_wte..max_wte`); progress accrues at the LTFT WTE, so the CCT
//! date moves out pro rata (see `progression`).

use crate::config::RawLtft;
use crate::error::ConfigError;
use crate::random::{Purpose, draw_u32};
use crate::rules::{Compiler, Rules};

use super::Ctx;

/// Draws the FTE (tenths) of an FTE choice table.
pub fn choose_fte(rules: &Rules, choice: u16, id: u64, ctx: Ctx) -> u8 {
    let table = &rules.fte_choices[choice as usize];
    if table.len() == 1 {
        return table[0].1;
    }
    let u = draw_u32(ctx.seed, id, ctx.month, Purpose::Fte) as u64;
    table
        .iter()
        .find(|(thr, _)| u < *thr)
        .unwrap_or(&table[table.len() - 1])
        .1
}

/// Validates `[ltft]`: the WTE range of LTFT (used by the hazards into `ltft`).
pub(crate) fn compile(c: &Compiler<'_>, ltft: &RawLtft) -> Result<(), ConfigError> {
    if !(0.1..=1.0).contains(&ltft.min_wte) || !(ltft.min_wte..1.0).contains(&ltft.max_wte) {
        return Err(c.err(
            "ltft.min_wte",
            format!("{} .. {}", ltft.min_wte, ltft.max_wte),
            "need 0.1 <= min_wte <= max_wte < 1",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{compiler, invalid, tiny_raw};

    #[test]
    fn ltft_section_needs_an_ordered_wte_range_below_one() {
        let raw = tiny_raw("[ltft]\nmin_wte = 0.5\nmax_wte = 0.8\n");
        compile(&compiler(&raw, 1.0), &raw.ltft).unwrap();
        for bad in [
            "min_wte = 0.05\nmax_wte = 0.8",
            "min_wte = 0.8\nmax_wte = 0.5",
            "min_wte = 0.5\nmax_wte = 1.0",
        ] {
            let raw = tiny_raw(&format!("[ltft]\n{bad}\n"));
            assert_eq!(
                invalid(compile(&compiler(&raw, 1.0), &raw.ltft)).0,
                "ltft.min_wte",
                "{bad}"
            );
        }
    }
}

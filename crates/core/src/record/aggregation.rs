//! The record's trailer for robust modes (`u32 values ‖ u32 f ‖ u8 reason`, layout in the
//! parent module) and the invariants a decoded robust record must satisfy.

use super::{DecisionRecord, OutcomeKind};
use crate::{
    canonical::number,
    mode::Mode,
    robust::{self, Aggregation, NoAggregate},
};
use bytes::BufMut;
use commonware_codec::{Buf, Error, ReadExt, Write};

/// Encoded size of the trailer.
pub(super) const SIZE: usize = 4 + 4 + 1;

pub(super) fn write(a: &Aggregation, buf: &mut impl BufMut) {
    a.values.write(buf);
    a.f.write(buf);
    let reason: u8 = match a.reason {
        None => 0,
        Some(NoAggregate::TooFewValues) => 1,
        Some(NoAggregate::Failed) => 2,
    };
    reason.write(buf);
}

pub(super) fn read(buf: &mut impl Buf) -> Result<Aggregation, Error> {
    let values = u32::read(buf)?;
    let f = u32::read(buf)?;
    let reason = match u8::read(buf)? {
        0 => None,
        1 => Some(NoAggregate::TooFewValues),
        2 => Some(NoAggregate::Failed),
        other => return Err(Error::InvalidEnum(other)),
    };
    Ok(Aggregation { values, f, reason })
}

/// The robust-mode invariants (the generic ones are checked before this).
pub(super) fn check(r: &DecisionRecord) -> Result<(), &'static str> {
    let (rule, a) = match (r.mode.aggregate_rule(), &r.aggregation) {
        (None, None) => return Ok(()),
        (Some(rule), Some(a)) => (rule, a),
        _ => return Err("the aggregation trailer must be present exactly for robust modes"),
    };
    let agreed = r.outcome == OutcomeKind::Agreed;
    if agreed != a.reason.is_none() {
        return Err("an aggregation reason must be given exactly when there is no agreement");
    }
    let (n, f) = (a.values as usize, a.f as usize);
    if n > r.supporters.len() + r.dissenters.len() {
        return Err("more aggregated values than members who revealed");
    }
    let meets = n >= rule.requirement(f).1;
    if meets == (a.reason == Some(NoAggregate::TooFewValues)) {
        return Err("too_few_values must be given exactly when the rule's requirement fails");
    }
    if agreed {
        if r.supporters.len() != robust::used_count(rule, n, f) {
            return Err("the supporters must be the values the rule used");
        }
        if !r.answer.as_deref().is_some_and(|t| is_answer(&r.mode, t)) {
            return Err("the answer is not a canonical value of the mode");
        }
    }
    Ok(())
}

/// Whether `text` is a canonical aggregate of `mode`.
fn is_answer(mode: &Mode, text: &str) -> bool {
    match mode {
        // The aggregate is rounded to the mode's decimals; it may exceed what a reveal may hold.
        Mode::NumberAggregate { decimals, .. } => {
            number::canonical(text, *decimals).is_ok_and(|c| c == text)
        }
        _ => robust::value(mode, text).is_some(),
    }
}

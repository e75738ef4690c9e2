//! The decision of a numeric vote: a robust aggregate instead of a class vote (DESIGN §5).
//!
//! Modes `number:P:RULE` and `vector:RULE` (see [`crate::mode`]) are committed and revealed
//! exactly like the other modes; only step 5 of the protocol differs. **Rule**, over the valid
//! reveals of the closed commitment set (the same `counted` map the tally gets):
//!
//! 1. Each committee member's revealed text, in ascending member order, is decoded: for
//!    `number:P:RULE` it must be exactly the `number:P` canonical form of itself and a finite
//!    binary64 (`d = 1`); for `vector:RULE` exactly a canonical vector
//!    ([`crate::canonical::vector`]). Anything else (an abstention, a malformed or
//!    non-canonical text) is an invalid answer: the member is a *dissenter*, never a panic.
//! 2. Vectors: `d` is the length shared by the most decoded vectors (ties: the smaller `d`).
//!    With at most `f` faulty members and the honest ones agreeing on the length, that is the
//!    honest length. Vectors of another length are invalid answers (dissenters).
//! 3. The remaining `n` values, in member order, go to `byzvote-aggregate` with the rule and
//!    the committee's `f` ([`Bounds::f`]: `(m-1)/3`, or 1 for tier 2's majority of three), in
//!    its portable mode (same bits on every machine, see `Options::portable`).
//!    * The rule's requirement on `n` and `f` fails (e.g. median needs `n >= 2f+1`, Krum
//!      `n >= 2f+3`) → `no_agreement`, reason `too_few_values`.
//!    * The aggregate is not finite (a sum overflowed) → `no_agreement`, reason `failed`.
//!    * Otherwise `agreed`: the answer is the aggregate in the mode's canonical form
//!      (`number:P`: the shortest decimal of the binary64 result rounded half away from zero to
//!      `P` places, as `number:P` rounds; vectors: the canonical vector).
//! 4. *Supporters* are the members whose values the rule used: for Krum, Multi-Krum and Bulyan
//!    the selected ones, for the coordinate-wise and iterative rules all `n`. The other members
//!    that revealed are *dissenters*; the rest of the committee is *silent*. The record carries
//!    `n`, `f` and the reason ([`Aggregation`]); the rule is in its mode.
//!
//! **Determinism.** Every node decodes the same finalized texts the same way (Rust's
//! correctly rounded parser), orders them by member, and runs the same IEEE-754 operations in
//! the same order, so every node certifies the same record bytes.

use crate::{
    canonical::{Canonical, number, vector},
    commit::MemberId,
    mode::{Mode, ModeError},
    quorum::Bounds,
};
use byzvote_aggregate::{AggregateError, Options, Vectors, aggregate};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

pub use byzvote_aggregate::Rule as AggregateRule;

/// The rule's code in the mode's wire encoding (signed into records: never renumber). 0 is the
/// mean, which no mode may use.
pub fn rule_code(rule: AggregateRule) -> u8 {
    match rule {
        AggregateRule::Mean => 0,
        AggregateRule::Median => 1,
        AggregateRule::TrimmedMean => 2,
        AggregateRule::Krum => 3,
        AggregateRule::MultiKrum => 4,
        AggregateRule::Bulyan => 5,
        AggregateRule::GeometricMedian => 6,
        AggregateRule::CenteredClipping => 7,
        AggregateRule::Cgc => 8,
    }
}

/// The robust rule with wire code `code` (`None` for the mean and unknown codes).
pub fn rule_from_code(code: u8) -> Option<AggregateRule> {
    AggregateRule::ALL
        .into_iter()
        .find(|r| *r != AggregateRule::Mean && rule_code(*r) == code)
}

/// Parses a rule name of a mode string (case-insensitive), refusing the mean.
pub(crate) fn parse_rule(name: &str) -> Result<AggregateRule, ModeError> {
    let name = name.trim();
    match name.to_ascii_lowercase().parse::<AggregateRule>() {
        Ok(AggregateRule::Mean) => Err(ModeError::MeanNotRobust),
        Ok(rule) => Ok(rule),
        Err(_) => Err(ModeError::UnknownRule(name.to_string())),
    }
}

/// Why a numeric vote has no aggregate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoAggregate {
    /// Fewer valid values than the rule requires for this `f`.
    TooFewValues,
    /// The rule's result was not finite (an overflow).
    Failed,
}

/// What a decision record certifies about a robust aggregation (the rule is in the mode).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Aggregation {
    /// Valid values given to the rule (its `n`).
    pub values: u32,
    /// Faults the rule was run to tolerate (the committee's `f`).
    pub f: u32,
    /// Why there is no answer; `None` exactly when agreed.
    pub reason: Option<NoAggregate>,
}

/// The outcome of a robust decision, before it becomes a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RobustDecision {
    /// The aggregate in the mode's canonical form, when there is one.
    pub answer: Option<Canonical>,
    /// Members whose values the rule used (ascending; empty without an answer).
    pub supporters: Vec<MemberId>,
    /// Members who revealed but were not used (ascending).
    pub dissenters: Vec<MemberId>,
    /// Committee members without a counted reveal (ascending).
    pub silent: Vec<MemberId>,
    /// `n`, `f` and the reason.
    pub aggregation: Aggregation,
}

/// How many of `n` values `rule` reports as used, for `f` (checked on decoded records).
pub fn used_count(rule: AggregateRule, n: usize, f: usize) -> usize {
    match rule {
        AggregateRule::Krum => 1,
        AggregateRule::MultiKrum => n.saturating_sub(f),
        AggregateRule::Bulyan => n.saturating_sub(2 * f),
        _ => n,
    }
}

/// Longest number text worth parsing: a finite binary64 has at most 309 integer digits, plus
/// sign, point and 12 decimals.
const MAX_NUMBER_LEN: usize = 400;

/// The value a revealed `text` holds under `mode`, if it is a valid canonical value.
pub fn value(mode: &Mode, text: &str) -> Option<Vec<f64>> {
    match mode {
        Mode::Vector { .. } => vector::decode(text).ok(),
        Mode::NumberAggregate { decimals, .. } => {
            if text.len() > MAX_NUMBER_LEN || number::canonical(text, *decimals).ok()? != text {
                return None;
            }
            let v: f64 = text.parse().ok()?;
            v.is_finite().then(|| vec![v])
        }
        _ => None,
    }
}

/// The aggregate `v` as the canonical answer of `mode`.
fn answer(mode: &Mode, v: &[f64]) -> Option<Canonical> {
    if !v.iter().all(|x| x.is_finite()) {
        return None;
    }
    match (mode, v) {
        (Mode::NumberAggregate { decimals, .. }, [x]) => {
            number::canonical(&vector::coordinate(*x), *decimals)
                .ok()
                .map(Canonical)
        }
        (Mode::Vector { .. }, _) => Some(Canonical(vector::encode(v))),
        _ => None,
    }
}

/// Decides a numeric vote (rule in the module doc); `None` if `mode` is not one.
pub fn decide(
    mode: &Mode,
    bounds: Bounds,
    committee: &[MemberId],
    revealed: &BTreeMap<MemberId, Canonical>,
) -> Option<RobustDecision> {
    let rule = mode.aggregate_rule()?;
    let committee: BTreeSet<MemberId> = committee.iter().copied().collect();
    let revealers: Vec<MemberId> = revealed
        .keys()
        .copied()
        .filter(|m| committee.contains(m))
        .collect();
    let decoded: Vec<(MemberId, Vec<f64>)> = revealers
        .iter()
        .filter_map(|m| Some((*m, value(mode, revealed.get(m)?.as_str())?)))
        .collect();
    // The plurality length; ties go to the smaller length.
    let mut lengths: BTreeMap<usize, usize> = BTreeMap::new();
    for (_, v) in &decoded {
        *lengths.entry(v.len()).or_default() += 1;
    }
    let d = lengths
        .iter()
        .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
        .map_or(0, |(d, _)| *d);
    let (members, flat): (Vec<MemberId>, Vec<&Vec<f64>>) = decoded
        .iter()
        .filter(|(_, v)| v.len() == d)
        .map(|(m, v)| (*m, v))
        .unzip();
    let flat: Vec<f64> = flat.into_iter().flatten().copied().collect();
    let f = bounds.f();
    let options = Options {
        portable: true,
        ..Options::default()
    };
    let result = Vectors::new(&flat, members.len(), d)
        .and_then(|x| aggregate(rule, x, f as usize, &options));
    let (answer, supporters, reason) = match result {
        Ok(agg) => match answer(mode, &agg.vector) {
            Some(a) => {
                let used: BTreeSet<MemberId> = match &agg.selected {
                    Some(sel) => sel
                        .iter()
                        .filter_map(|i| members.get(*i).copied())
                        .collect(),
                    None => members.iter().copied().collect(),
                };
                (Some(a), used.into_iter().collect(), None)
            }
            None => (None, Vec::new(), Some(NoAggregate::Failed)),
        },
        Err(AggregateError::Requirement { .. } | AggregateError::Empty { .. }) => {
            (None, Vec::new(), Some(NoAggregate::TooFewValues))
        }
        Err(_) => (None, Vec::new(), Some(NoAggregate::Failed)),
    };
    let dissenters = revealers
        .iter()
        .copied()
        .filter(|m| !supporters.contains(m))
        .collect();
    let silent = committee
        .iter()
        .copied()
        .filter(|m| !revealed.contains_key(m))
        .collect();
    Some(RobustDecision {
        answer,
        supporters,
        dissenters,
        silent,
        aggregation: Aggregation {
            values: u32::try_from(members.len()).unwrap_or(u32::MAX),
            f,
            reason,
        },
    })
}

#[cfg(test)]
mod tests;

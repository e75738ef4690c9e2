//! The semantic decision: from the counted reveals and their finalized cosines to an outcome.
//!
//! **Rule.** Each counted member's text gives [`Features`]; two members agree when
//! [`judge_features`] says so on their finalized cosine. Members are grouped largest clique
//! first ([`group_by`]). The first group wins when it reaches `bounds.quorum()`; its answer is
//! the text of its medoid (the member with the largest summed quantised cosine to the rest of
//! the group, ties to the lowest id; integer sums, so every node picks the same). Everyone else
//! who revealed dissents. Without evidence (none finalized before the deadline, or fewer
//! revealers than a quorum) the outcome is `no_agreement`: never a guess.
//!
//! Everything here reads integers and texts only, so it is a pure function of finalized bytes.

use super::config::SemanticConfig;
use super::evidence::{dequantise, pair_index, well_formed};
use super::features::{Features, extract};
use super::group::group_by;
use super::judge::judge_features;
use crate::{canonical::Canonical, commit::MemberId, quorum::Bounds};
use std::collections::{BTreeMap, BTreeSet};

/// The outcome of a semantic vote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SemanticDecision {
    /// The medoid's text, when a group reached the quorum.
    pub answer: Option<Canonical>,
    /// The winning group, ascending (empty without an answer).
    pub supporters: Vec<MemberId>,
    /// Members who revealed but are not supporters, ascending.
    pub dissenters: Vec<MemberId>,
    /// Committee members without a counted reveal, ascending.
    pub silent: Vec<MemberId>,
    /// The cosines decided on (empty when there was no evidence).
    pub cosines: Vec<i16>,
}

/// Decides (rule in the module doc). `counted` holds the valid reveals of the closed set;
/// `cosines` their pairwise cosines in pair order over `counted`'s ascending members, or
/// `None` when no evidence was finalized. Cosines of the wrong shape count as no evidence.
pub fn decide(
    config: &SemanticConfig,
    bounds: Bounds,
    committee: &[MemberId],
    counted: &BTreeMap<MemberId, Canonical>,
    cosines: Option<&[i16]>,
) -> SemanticDecision {
    let committee: BTreeSet<MemberId> = committee.iter().copied().collect();
    let counted: BTreeMap<MemberId, &Canonical> = counted
        .iter()
        .filter(|(m, _)| committee.contains(m))
        .map(|(m, c)| (*m, c))
        .collect();
    let members: Vec<MemberId> = counted.keys().copied().collect();
    let silent: Vec<MemberId> = committee
        .iter()
        .copied()
        .filter(|m| !counted.contains_key(m))
        .collect();
    let k = members.len();
    let no_agreement = |cosines: Vec<i16>| SemanticDecision {
        answer: None,
        supporters: Vec::new(),
        dissenters: members.clone(),
        silent: silent.clone(),
        cosines,
    };
    let Some(cosines) = cosines.filter(|c| k >= 2 && well_formed(k, c)) else {
        return no_agreement(Vec::new());
    };
    let features: Vec<Features> = counted.values().map(|t| extract(t.as_str())).collect();
    let pos = |m: MemberId| members.binary_search(&m).ok();
    let cos = |i: usize, j: usize| pair_index(k, i, j).and_then(|p| cosines.get(p).copied());
    let groups = group_by(&members, |a, b| {
        let (Some(i), Some(j)) = (pos(a), pos(b)) else {
            return false;
        };
        cos(i, j).is_some_and(|q| {
            judge_features(config, &features[i], &features[j], dequantise(q)).agree
        })
    });
    let Some(winners) = groups.first().filter(|g| bounds.is_quorum(g.len())) else {
        return no_agreement(cosines.to_vec());
    };
    let medoid = winners
        .iter()
        .filter_map(|&m| {
            let i = pos(m)?;
            let score: i64 = winners
                .iter()
                .filter(|&&o| o != m)
                .filter_map(|&o| cos(i, pos(o)?))
                .map(i64::from)
                .sum();
            Some((m, score))
        })
        .fold(None, |best: Option<(MemberId, i64)>, (m, s)| match best {
            Some((_, bs)) if bs >= s => best,
            _ => Some((m, s)),
        });
    let answer = medoid.and_then(|(m, _)| counted.get(&m).map(|c| (*c).clone()));
    if answer.is_none() {
        return no_agreement(cosines.to_vec());
    }
    SemanticDecision {
        answer,
        supporters: winners.clone(),
        dissenters: members
            .iter()
            .copied()
            .filter(|m| !winners.contains(m))
            .collect(),
        silent,
        cosines: cosines.to_vec(),
    }
}

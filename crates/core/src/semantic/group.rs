//! Grouping a committee's answers into classes of the same meaning.
//!
//! **Rule: largest clique first.** Members are nodes; two are joined when the pairwise rule says
//! their answers agree. The first group is the largest set of members that *all* pairwise agree
//! (a maximum clique; complete linkage, so "X" ~ "maybe X" ~ "not X" never chains "X" with "not
//! X"); among equally large ones, the one whose ascending member list is lexicographically
//! smallest. Its members are removed and the rule repeats on the rest. Groups come out largest
//! first.
//!
//! **Why not greedy in member order.** Greedy assignment lets one Byzantine member with a low id
//! split the honest majority: an answer that agrees with honest member 1 only pulls member 1
//! into its group, and members 2 and 3 form a second group: no quorum. The largest clique
//! `{1, 2, 3}` is found whatever the faulty answer is.
//!
//! **Determinism.** The result depends only on the member ids and the agreement relation, never
//! on the order in which answers are given: members are sorted first and the search visits
//! candidate sets in lexicographic order. The search is exact for committees of realistic size;
//! it is capped at [`SEARCH_BUDGET`] steps per group, after which the largest clique found so far
//! is taken — still the same on every node, since the steps are the same.

use super::config::SemanticConfig;
use super::judge::{Answer, judge};
use crate::commit::MemberId;
use std::collections::BTreeMap;

/// Most search steps spent finding one group.
pub const SEARCH_BUDGET: u32 = 1 << 20;

/// Groups `members` (any order; duplicates ignored) by the symmetric relation `agree`, largest
/// clique first (see the module docs). Every member is in exactly one group; each group is
/// ascending.
pub fn group_by(
    members: &[MemberId],
    mut agree: impl FnMut(MemberId, MemberId) -> bool,
) -> Vec<Vec<MemberId>> {
    let mut ids = members.to_vec();
    ids.sort_unstable();
    ids.dedup();
    let n = ids.len();
    let mut adj = vec![vec![false; n]; n];
    for i in 0..n {
        for j in i + 1..n {
            let a = agree(ids[i], ids[j]);
            adj[i][j] = a;
            adj[j][i] = a;
        }
    }
    let mut remaining: Vec<usize> = (0..n).collect();
    let mut groups = Vec::new();
    while !remaining.is_empty() {
        let mut best = Vec::new();
        let mut budget = SEARCH_BUDGET;
        search(&adj, &mut Vec::new(), &remaining, &mut best, &mut budget);
        if best.is_empty() {
            // Unreachable with a positive budget; keeps the loop finite regardless.
            best.push(remaining[0]);
        }
        remaining.retain(|v| !best.contains(v));
        groups.push(best.into_iter().map(|v| ids[v]).collect());
    }
    groups
}

/// Depth-first search for a maximum clique among `cands` (ascending), extending `chosen`.
/// Visits sets in lexicographic order and keeps only strictly larger ones, so `best` ends as the
/// lexicographically smallest maximum clique.
fn search(
    adj: &[Vec<bool>],
    chosen: &mut Vec<usize>,
    cands: &[usize],
    best: &mut Vec<usize>,
    budget: &mut u32,
) {
    if chosen.len() > best.len() {
        best.clone_from(chosen);
    }
    for (k, &v) in cands.iter().enumerate() {
        if chosen.len() + (cands.len() - k) <= best.len() || *budget == 0 {
            return;
        }
        *budget -= 1;
        let next: Vec<usize> = cands[k + 1..]
            .iter()
            .copied()
            .filter(|&u| adj[v][u])
            .collect();
        chosen.push(v);
        search(adj, chosen, &next, best, budget);
        chosen.pop();
    }
}

/// Groups a committee's answers under the semantic rule (see the module docs).
pub fn group(config: &SemanticConfig, answers: &BTreeMap<MemberId, Answer>) -> Vec<Vec<MemberId>> {
    let ids: Vec<MemberId> = answers.keys().copied().collect();
    group_by(&ids, |a, b| match (answers.get(&a), answers.get(&b)) {
        (Some(x), Some(y)) => judge(config, x, y).agree,
        _ => false,
    })
}

/// The member whose answer speaks for `group`: the one with the largest summed cosine to the
/// others (the medoid, so a member with an outlying wording inside the group is not chosen),
/// ties to the lowest id. `None` for an empty group or members without answers.
pub fn representative(
    group: &[MemberId],
    answers: &BTreeMap<MemberId, Answer>,
) -> Option<MemberId> {
    let mut best: Option<(MemberId, f32)> = None;
    let mut ids = group.to_vec();
    ids.sort_unstable();
    for &m in &ids {
        let a = answers.get(&m)?;
        let score: f32 = ids
            .iter()
            .filter(|&&o| o != m)
            .filter_map(|o| answers.get(o))
            .map(|o| super::embed::cosine(&a.embedding, &o.embedding))
            .sum();
        if best.is_none_or(|(_, s)| score > s) {
            best = Some((m, score));
        }
    }
    best.map(|(m, _)| m)
}

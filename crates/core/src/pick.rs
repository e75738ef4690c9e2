//! The `pick-best` mode: the committee writes candidates, then votes for the best by number.
//!
//! Free text rarely matches word for word, and meaning is hard to compare safely; choosing
//! among written candidates is easy to compare exactly. So a `pick-best` vote has two stages,
//! both on the ordinary vote machinery:
//!
//! 1. **Candidates.** The request runs as usual (commit, reveal); each member's canonical
//!    answer is its free text (as for `semantic`).
//! 2. **Ballot.** When stage 1 would decide (rule 5 of [`crate::vote`]) and at least a quorum
//!    revealed, the vote derives a second request, the [`ballot`], from finalized bytes only:
//!    the original conversation, then one user message listing the distinct revealed texts
//!    numbered `1..=k` (in ascending order of their first author), asking for the number of the
//!    best; mode `class:1,…,k`, same tier, client nonce = the first 8 bytes of the parent id
//!    (big-endian). Every node derives the same ballot, so its id is known to all without a
//!    transaction, and the same committee votes on it as an exact class vote, with the full
//!    BFT guarantee (2f+1 for one number).
//! 3. **Decision.** The ballot's decision decides the parent: the winning number's text is the
//!    answer, the ballot's supporters, dissenters and silent members are the parent's, and the
//!    record's [`Pick`] names the ballot, the number and the authors of that text. No quorum on
//!    the ballot (or fewer than a quorum of candidates) gives `no_agreement`.
//!
//! Both decisions are certified: the ballot's record (mode `class:1,…,k`) proves how the
//! committee voted; the parent's record carries the chosen text.

use crate::{
    canonical::Canonical,
    commit::MemberId,
    mode::Mode,
    request::{Message, Request},
};
use commonware_cryptography::sha256::Digest;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Longest part of one candidate shown on the ballot, in bytes (cut at a character boundary,
/// marked with `…`): ten candidates then fit in one message.
pub const MAX_SHOWN: usize = 4096;
/// Tokens a member may spend on its ballot answer (a number).
pub const BALLOT_TOKENS: u32 = 16;

/// What a `pick-best` record says about its ballot (stage 2).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Pick {
    /// The ballot's request id (its own certified record has this id); all zero when no ballot
    /// was held (fewer than a quorum of candidates).
    #[serde(with = "crate::wire::hex_digest")]
    pub ballot: Digest,
    /// The winning candidate's number on the ballot (1-based); 0 when none won.
    pub choice: u32,
    /// The members who wrote the winning text, ascending (empty when none won).
    pub authors: Vec<MemberId>,
}

/// The candidates of a ballot: distinct texts numbered from 1, with their authors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidates {
    /// `texts[i]` is candidate number `i + 1`.
    pub texts: Vec<Canonical>,
    /// `authors[i]`: who wrote candidate `i + 1`, ascending.
    pub authors: Vec<Vec<MemberId>>,
}

impl Candidates {
    /// The distinct texts of `counted`, in ascending order of their first author.
    pub fn of(counted: &BTreeMap<MemberId, Canonical>) -> Self {
        let mut out = Self {
            texts: Vec::new(),
            authors: Vec::new(),
        };
        for (member, text) in counted {
            match out.texts.iter().position(|t| t == text) {
                Some(i) => out.authors[i].push(*member),
                None => {
                    out.texts.push(text.clone());
                    out.authors.push(vec![*member]);
                }
            }
        }
        out
    }
}

/// The ballot request for `parent` (id `parent_id`) over `candidates` (module doc).
pub fn ballot(parent: &Request, parent_id: &Digest, candidates: &Candidates) -> Request {
    let mut list = String::from("Candidate answers to the conversation above:\n");
    for (i, text) in candidates.texts.iter().enumerate() {
        list.push_str(&format!("\n{}. {}\n", i + 1, shown(text.as_str())));
    }
    list.push_str("\nWhich candidate answers best? Reply with its number only.");
    let mut messages = parent.messages.clone();
    messages.push(Message::user(list));
    let labels = (1..=candidates.texts.len())
        .map(|i| i.to_string())
        .collect();
    let mut nonce = [0u8; 8];
    nonce.copy_from_slice(&parent_id.as_ref()[..8]);
    Request {
        messages,
        mode: Mode::Class { labels },
        tier: parent.tier,
        max_tokens: BALLOT_TOKENS,
        client_nonce: u64::from_be_bytes(nonce),
    }
}

/// At most [`MAX_SHOWN`] bytes of `text`, cut at a character boundary.
fn shown(text: &str) -> String {
    if text.len() <= MAX_SHOWN {
        return text.to_string();
    }
    let mut end = MAX_SHOWN;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

/// The winning candidate of a ballot decided with `answer` (its label), as (number, text,
/// authors).
pub fn chosen<'a>(
    candidates: &'a Candidates,
    answer: Option<&str>,
) -> Option<(u32, &'a Canonical, &'a [MemberId])> {
    let number: usize = answer?.parse().ok()?;
    let i = number.checked_sub(1)?;
    Some((
        u32::try_from(number).ok()?,
        candidates.texts.get(i)?,
        candidates.authors.get(i)?,
    ))
}

#[cfg(test)]
mod tests;

//! Canonicalisation: turning a model's raw output into the exact string members commit to.
//!
//! Two honest models rarely produce byte-identical text, so each member maps its output to a
//! canonical form first, and only canonical forms are committed, revealed and compared. The rules
//! are deterministic and locale-independent, so every member computes the same canonical form for
//! the same meaning:
//!
//! * **exact**: Unicode NFKC, lower-case, whitespace runs collapsed to one space and trimmed; then,
//!   repeatedly, trailing `.`, `!`, `?` removed and one pair of surrounding quotes or emphasis
//!   markers (`"…"`, `'…'`, `` `…` ``, `“…”`, `‘…’`, `«…»`, `*…*`, `_…_`) removed, until stable.
//!   An answer that is empty after this is an error.
//! * **class**: of the mode's labels, the one that occurs earliest in the text as a whole word,
//!   ignoring case (after NFKC and whitespace collapsing on both sides). Word boundaries are
//!   non-alphanumeric characters, so `**Yes**,` matches `yes` but `yesterday` does not. At the
//!   same position a longer label beats a shorter one (`not sure` over `not`), then the earlier
//!   label in the mode. The canonical form is the label exactly as written in the mode.
//! * **number**: see [`crate::canonical::number`]: the first number in the text, rounded half away
//!   from zero to the mode's decimals, printed with exactly that many decimals.
//! * **json**: see [`crate::canonical::json`]: the first JSON value, re-encoded canonically.
//! * **number:P:RULE**: exactly as `number:P` (the aggregate is computed at the decision).
//! * **vector:RULE**: see [`crate::canonical::vector`]: the first flat array of numbers, each
//!   coordinate written as its shortest round-trip decimal.
//! * **semantic**: the free text, Unicode NFKC, whitespace runs collapsed to one space and
//!   trimmed; case is kept (the semantic rule tells names from common words by their capitals,
//!   see [`crate::semantic`]). Meaning is compared at the decision, not here.
//! * **pick-best**: as semantic (the candidate's text; the ballot is a `class` vote).

pub mod json;
pub mod number;
pub mod vector;

use crate::mode::Mode;
use serde::{Deserialize, Serialize};
use std::fmt;
use thiserror::Error;
use unicode_normalization::UnicodeNormalization;

/// Longest canonical answer, in bytes (also the wire bound for reveals and records).
pub const MAX_CANONICAL: usize = 64 * 1024;

/// A canonical answer: the string that is committed to, revealed, compared and certified.
///
/// The field is public because reveals from the network carry arbitrary strings; only
/// [`canonicalize`] guarantees that a value is in canonical form.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Canonical(pub String);

impl Canonical {
    /// The canonical text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The canonical UTF-8 bytes (what the commitment and the record hash).
    pub fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }

    /// What `member` commits to when its model fails or its output has no canonical form.
    ///
    /// Unique to the member, so it can never form a class with anyone else's answer (not
    /// even another abstention): it counts as dissent, never towards a quorum. Committing it,
    /// rather than staying silent, lets the commitment set close as soon as every member has
    /// answered instead of at the deadline.
    pub fn abstention(member: crate::MemberId) -> Self {
        Self(format!("(no valid answer from member {member})"))
    }
}

impl fmt::Display for Canonical {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Why an output has no canonical form. A member whose model output fails canonicalisation
/// commits [`Canonical::abstention`] instead, which is not a fault.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CanonError {
    /// Exact mode: nothing left after normalisation.
    #[error("the answer is empty after normalisation")]
    Empty,
    /// Class mode: none of the labels occurs as a whole word.
    #[error(
        "the answer names none of the labels {labels:?}; the model must answer with one of them"
    )]
    NoLabel {
        /// The labels that were looked for.
        labels: Vec<String>,
    },
    /// Number mode: no number in the text.
    #[error("the answer contains no number")]
    NoNumber,
    /// Number mode: exponent too large to print.
    #[error(
        "the number's exponent is out of range (|e| <= {})",
        number::MAX_EXPONENT
    )]
    NumberOutOfRange,
    /// Json mode: no JSON value in the text.
    #[error("the answer contains no JSON value")]
    NoJson,
    /// Vector mode: no flat array of finite numbers in the text.
    #[error(
        "the answer contains no vector: the model must answer with a JSON array of 1 to {} finite numbers, e.g. [0.5, 2, -1]",
        vector::MAX_DIM
    )]
    NoVector,
    /// The canonical form would exceed [`MAX_CANONICAL`] bytes.
    #[error("the canonical answer is longer than {MAX_CANONICAL} bytes")]
    TooLong,
    /// The mode is not valid (see [`Mode::validate`]).
    #[error("invalid mode: {0}")]
    Mode(#[from] crate::mode::ModeError),
}

/// Maps a raw model output to its canonical form under `mode` (rules in the module doc).
pub fn canonicalize(mode: &Mode, raw: &str) -> Result<Canonical, CanonError> {
    mode.validate()?;
    let out = match mode {
        Mode::Exact => exact(raw)?,
        Mode::Class { labels } => class(labels, raw)?.to_string(),
        Mode::Number { decimals } | Mode::NumberAggregate { decimals, .. } => {
            number::canonical(raw, *decimals)?
        }
        Mode::Json => json::canonical(raw)?,
        Mode::Vector { .. } => vector::canonical(raw)?,
        Mode::Semantic(_) | Mode::PickBest => free_text(raw)?,
    };
    if out.len() > MAX_CANONICAL {
        return Err(CanonError::TooLong);
    }
    Ok(Canonical(out))
}

/// NFKC, lower-case, whitespace collapsed to single spaces, trimmed.
fn normalise(raw: &str) -> String {
    let lowered = raw.nfkc().collect::<String>().to_lowercase();
    lowered.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The semantic mode's canonical form: NFKC, whitespace collapsed, trimmed, case kept.
fn free_text(raw: &str) -> Result<String, CanonError> {
    let text = raw.nfkc().collect::<String>();
    let out = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if out.is_empty() {
        return Err(CanonError::Empty);
    }
    Ok(out)
}

const QUOTE_PAIRS: [(char, char); 8] = [
    ('"', '"'),
    ('\'', '\''),
    ('`', '`'),
    ('“', '”'),
    ('‘', '’'),
    ('«', '»'),
    ('*', '*'),
    ('_', '_'),
];

fn exact(raw: &str) -> Result<String, CanonError> {
    let mut s = normalise(raw);
    loop {
        let before = s.len();
        s = s.trim_end_matches(['.', '!', '?']).trim().to_string();
        let mut chars = s.chars();
        if let (Some(first), Some(last)) = (chars.next(), chars.next_back())
            && QUOTE_PAIRS.contains(&(first, last))
        {
            s = s[first.len_utf8()..s.len() - last.len_utf8()]
                .trim()
                .to_string();
        }
        if s.len() == before {
            break;
        }
    }
    if s.is_empty() {
        return Err(CanonError::Empty);
    }
    Ok(s)
}

/// The label of `labels` that occurs earliest in `raw` as a whole word (module doc).
pub fn class<'a>(labels: &'a [String], raw: &str) -> Result<&'a str, CanonError> {
    let text = normalise(raw);
    let mut best: Option<(usize, usize, usize)> = None; // (position, -len via cmp, index)
    for (i, label) in labels.iter().enumerate() {
        let needle = normalise(label);
        if needle.is_empty() {
            continue;
        }
        if let Some(pos) = find_word(&text, &needle) {
            let better = match best {
                None => true,
                Some((bp, blen, _)) => pos < bp || (pos == bp && needle.len() > blen),
            };
            if better {
                best = Some((pos, needle.len(), i));
            }
        }
    }
    match best {
        Some((_, _, i)) => Ok(labels[i].as_str()),
        None => Err(CanonError::NoLabel {
            labels: labels.to_vec(),
        }),
    }
}

/// Byte offset of the first whole-word occurrence of `needle` in `text`.
fn find_word(text: &str, needle: &str) -> Option<usize> {
    let is_word = |c: Option<char>| c.is_some_and(char::is_alphanumeric);
    text.match_indices(needle).map(|(i, _)| i).find(|&i| {
        let before = text[..i].chars().next_back();
        let after = text[i + needle.len()..].chars().next();
        !is_word(before) && !is_word(after)
    })
}

#[cfg(test)]
mod tests;

//! What the rule extracts from an answer besides its embedding: the claims cosine misses.
//!
//! Sentence embeddings place "17 is prime" and "17 is not prime" almost on top of each other
//! (MiniLM cosine 0.96), and likewise answers that differ only in a number or a name. So the
//! rule compares these features exactly:
//!
//! * **verdict**: a leading yes/no word followed by punctuation (`Yes,` `No.` `False:`; see
//!   [`lexicon::YES`], [`lexicon::NO`]).
//! * **negation**: every other negating word ([`lexicon::is_negation`]): `not`, `never`,
//!   `n't`, `no`, `without`, and words that mean "not X" by their form (`unsafe`, `illegal`,
//!   `tax-free`). They are
//!   counted per clause (clauses end at punctuation and at [`lexicon::CLAUSE_WORDS`] such as
//!   `but`, `so`); a clause with an odd count is negated, so "not unsafe" reads like "safe"; the
//!   answer is negated when any clause is ("it does not work, so it will not help" once).
//! * **directions**: whether the answer says up (`rises`, `higher`) and/or down (`falls`,
//!   `lower`), from [`lexicon::DIRECTIONS`].
//! * **numbers**: digits (exact decimals, `1,200` = `1200.0`), number words (`seventeen`,
//!   `twenty-five`, `two hundred and fifty`, `three thousand`), and a number followed by a scale
//!   word (`1.5 million` = `1,500,000`). The value 1 is dropped: "one tablet", "1 tablet" and "a
//!   tablet" say the same.
//! * **names**: a capitalised word that does not start a sentence, or an acronym (`FDA`)
//!   anywhere, minus function words ([`lexicon::NOT_ENTITIES`]); a trailing `'s` is dropped.
//!   A capitalised word that starts a sentence may be a name or an ordinary word: it is kept
//!   apart as a *possible name* (`Canberra is…`, but also `Antibiotics are…`).

use super::lexicon::{self, CLAUSE_WORDS, DIRECTIONS, NO, NOT_ENTITIES, NUMBER_WORDS, SCALES, YES};
use super::number::Decimal;
use super::tokens::{Token, tokenize};

/// A yes/no verdict at the start of an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// `Yes,` `True.` `Correct:` …
    Yes,
    /// `No,` `False.` `Incorrect:` …
    No,
}

/// The features of one answer. Sorted, deduplicated lists, so equal texts give equal features.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Features {
    /// The leading yes/no word, if any.
    pub verdict: Option<Verdict>,
    /// The negating words, in order of appearance.
    pub negations: Vec<String>,
    /// Some clause has an odd number of negating words.
    pub negated: bool,
    /// Says something goes up (`rises`, `higher`, `more`).
    pub up: bool,
    /// Says something goes down (`falls`, `lower`, `less`).
    pub down: bool,
    /// The numbers mentioned, except 1; sorted, distinct.
    pub numbers: Vec<Decimal>,
    /// The names mentioned (lower-case); sorted, distinct.
    pub entities: Vec<String>,
    /// Capitalised words at a sentence start that are not function words (lower-case); sorted,
    /// distinct.
    pub possible_names: Vec<String>,
    /// Every word (lower-case, trailing `'s` dropped); sorted, distinct. Used to check that a
    /// name of one answer is mentioned in the other.
    pub words: Vec<String>,
}

impl Features {
    /// Whether the answer mentions `name` (lower-case): some word of the answer starts with
    /// its first `min(len, max(len - 1, 4))` characters, so `Australia`/`Australian`,
    /// `Canada`/`Canadian` and `Sun`/`Sunlight` match but `Austria`/`Australia` and
    /// `Iran`/`Iraq` do not. A binary search in the sorted words.
    pub fn mentions(&self, name: &str) -> bool {
        let len = name.chars().count();
        let keep = len.min(len.saturating_sub(1).max(4));
        let end = name.char_indices().nth(keep).map_or(name.len(), |(i, _)| i);
        let stem = &name[..end];
        let at = self.words.partition_point(|w| w.as_str() < stem);
        self.words.get(at).is_some_and(|w| w.starts_with(stem))
    }
}

/// The features of `text`. Linear in its length (plus sorting the distinct items); never panics.
pub fn extract(text: &str) -> Features {
    let tokens = tokenize(text);
    let mut f = Features {
        verdict: verdict(&tokens),
        ..Features::default()
    };
    let mut clause_odd = false;
    for (i, token) in tokens.iter().enumerate() {
        let Token::Word(w) = token else { continue };
        if w.clause_start || lexicon::contains(CLAUSE_WORDS, &w.lower) {
            f.negated |= clause_odd;
            clause_odd = false;
        }
        let base = strip_possessive(&w.lower);
        f.words.push(base.to_string());
        let negates = lexicon::is_negation(&w.lower) || (w.hyphenated && w.lower == "free");
        if (i > 0 || f.verdict.is_none()) && negates {
            f.negations.push(w.lower.clone());
            clause_odd = !clause_odd;
        }
        match lexicon::lookup(DIRECTIONS, &w.lower) {
            Some(true) => f.up = true,
            Some(false) => f.down = true,
            None => {}
        }
        let named = w.lower.chars().count() >= 2 && !lexicon::contains(NOT_ENTITIES, base);
        if named && (w.all_caps || (w.capitalised && !w.sentence_start)) {
            f.entities.push(base.to_string());
        } else if named && w.capitalised && w.sentence_start {
            f.possible_names.push(base.to_string());
        }
    }
    f.negated |= clause_odd;
    f.numbers = numbers(&tokens);
    for list in [&mut f.words, &mut f.entities, &mut f.possible_names] {
        list.sort_unstable();
        list.dedup();
    }
    f
}

fn strip_possessive(word: &str) -> &str {
    word.strip_suffix("'s")
        .or_else(|| word.strip_suffix('\''))
        .unwrap_or(word)
}

fn verdict(tokens: &[Token]) -> Option<Verdict> {
    let Some(Token::Word(w)) = tokens.first() else {
        return None;
    };
    if !w.before_punct {
        return None;
    }
    if lexicon::contains(YES, &w.lower) {
        Some(Verdict::Yes)
    } else if lexicon::contains(NO, &w.lower) {
        Some(Verdict::No)
    } else {
        None
    }
}

/// Where a number being read from words stands.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Last {
    Unit,
    Tens,
    Teen,
    Hundred,
    Scale,
}

/// A number spelled in words, read left to right (`two hundred and fifty thousand`).
#[derive(Default)]
struct Spelled {
    total: u128,
    current: u128,
    last: Option<Last>,
}

impl Spelled {
    /// Feeds one number word; `false` when it cannot continue the current number.
    fn push(&mut self, value: u16) -> bool {
        let v = u128::from(value);
        let kind = match value {
            1..=9 => Last::Unit,
            0 | 10..=19 => Last::Teen,
            _ => Last::Tens,
        };
        let fits = matches!(
            (self.last, kind),
            (None | Some(Last::Hundred | Last::Scale), _) | (Some(Last::Tens), Last::Unit)
        );
        if fits {
            self.current = self.current.saturating_add(v);
            self.last = Some(kind);
        }
        fits
    }

    fn scale(&mut self, power: u8) {
        let factor = 10u128.pow(u32::from(power));
        if power == 2 {
            self.current = self.current.max(1).saturating_mul(factor);
            self.last = Some(Last::Hundred);
        } else {
            self.total = self
                .total
                .saturating_add(self.current.max(1).saturating_mul(factor));
            self.current = 0;
            self.last = Some(Last::Scale);
        }
    }

    fn take(&mut self) -> Option<Decimal> {
        let out = self
            .last
            .map(|_| Decimal::from_u128(self.total.saturating_add(self.current)));
        *self = Self::default();
        out
    }
}

/// The numbers of the token stream: digits (with a following scale word) and spelled numbers.
fn numbers(tokens: &[Token]) -> Vec<Decimal> {
    let mut out = Vec::new();
    let mut spelled = Spelled::default();
    let mut i = 0;
    while let Some(token) = tokens.get(i) {
        i += 1;
        let word = match token {
            Token::Number(d) => {
                out.extend(spelled.take());
                let mut d = d.clone();
                if let Some(Token::Word(w)) = tokens.get(i)
                    && let Some(p) = lexicon::lookup(SCALES, &w.lower)
                {
                    d = d.shifted(i32::from(p));
                    i += 1;
                }
                out.push(d);
                continue;
            }
            Token::Word(w) => w.lower.as_str(),
        };
        if let Some(v) = lexicon::lookup(NUMBER_WORDS, word) {
            if !spelled.push(v) {
                out.extend(spelled.take());
                spelled.push(v);
            }
        } else if let Some(p) = lexicon::lookup(SCALES, word) {
            spelled.scale(p);
        } else if word == "and" && spelled.last.is_some() && next_is_number_word(tokens, i) {
            // "two hundred and fifty": keep reading.
        } else {
            out.extend(spelled.take());
        }
    }
    out.extend(spelled.take());
    out.retain(|d| !d.is_one());
    out.sort_unstable();
    out.dedup();
    out
}

fn next_is_number_word(tokens: &[Token], i: usize) -> bool {
    matches!(tokens.get(i), Some(Token::Word(w)) if lexicon::lookup(NUMBER_WORDS, &w.lower).is_some())
}

//! One pass over an answer: words (with their case and position) and numbers.
//!
//! The text is NFKC-normalised first (full-width digits read as digits, ligatures as letters),
//! then scanned once, left to right, so the cost is linear in its length and any UTF-8 input is
//! accepted.
//!
//! * A **word** is a run of letters, with `'` (or `’`, `ʼ`) kept between two letters
//!   (`don't`). It is lower-cased. It records whether it was capitalised, whether it was all
//!   capitals (two letters or more: `FDA`), whether it starts a sentence (first word, or first
//!   after `.`, `!`, `?`, `:`, `;`, a line break or a bullet `•`), whether it starts a clause
//!   (a sentence, or after `,`, `(`, `)`, `—`, `–`), and whether the next
//!   non-space character is punctuation or the end (`Yes,` and `No.` are verdicts; `No
//!   evidence` is not).
//! * A **number** starts at an ASCII digit, or at `.` followed by a digit when the character
//!   before is not alphanumeric (`.5`). Digits may contain `,` thousands separators (only when
//!   exactly three digits follow: `1,200` is one number, `1,2` two) and one `.` fraction. A `-`
//!   or `−` (U+2212) right before it makes it negative when the character before the sign is
//!   not alphanumeric (`-5` is negative; `4-6` and `COVID-19` are not). Letters glued to a
//!   number are a separate word (`10mg` is 10 and `mg`).

use super::number::Decimal;
use unicode_normalization::UnicodeNormalization;

/// A word of the answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    /// Lower-cased, apostrophes normalised to `'`.
    pub lower: String,
    /// The first letter was upper-case.
    pub capitalised: bool,
    /// Two letters or more, all upper-case (an acronym such as `FDA`).
    pub all_caps: bool,
    /// First word of the text or of a sentence.
    pub sentence_start: bool,
    /// First word of a clause: of a sentence, or after `,` `(` `)` `—` `–`.
    pub clause_start: bool,
    /// The next non-space character is punctuation, or there is none.
    pub before_punct: bool,
    /// Joined by a hyphen to the word before (`free` in `tax-free`).
    pub hyphenated: bool,
}

/// A token of the answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Token {
    /// A word.
    Word(Word),
    /// A number written with digits.
    Number(Decimal),
}

fn is_apostrophe(c: char) -> bool {
    matches!(c, '\'' | '\u{2019}' | '\u{02BC}')
}

fn is_sentence_break(c: char) -> bool {
    matches!(c, '.' | '!' | '?' | ':' | ';' | '\n' | '\u{2022}')
}

fn is_clause_break(c: char) -> bool {
    matches!(c, ',' | '(' | ')' | '\u{2014}' | '\u{2013}')
}

/// The tokens of `text`, in order.
pub fn tokenize(text: &str) -> Vec<Token> {
    let chars: Vec<char> = text.nfkc().collect();
    let at = |i: usize| chars.get(i).copied();
    let mut out = Vec::new();
    let mut sentence_start = true;
    let mut clause_start = true;
    let mut i = 0;
    while let Some(c) = at(i) {
        if c.is_alphabetic() {
            let begin = i;
            let mut lower = String::new();
            while let Some(c) = at(i) {
                if c.is_alphabetic() {
                    lower.extend(c.to_lowercase());
                } else if is_apostrophe(c) && at(i + 1).is_some_and(char::is_alphabetic) {
                    lower.push('\'');
                } else {
                    break;
                }
                i += 1;
            }
            let letters = chars[begin..i].iter().filter(|c| c.is_alphabetic());
            let (mut n, mut upper) = (0usize, 0usize);
            for c in letters {
                n += 1;
                upper += usize::from(c.is_uppercase());
            }
            let next = chars[i..].iter().find(|c| !c.is_whitespace());
            out.push(Token::Word(Word {
                lower,
                capitalised: chars[begin].is_uppercase(),
                all_caps: n >= 2 && upper == n,
                sentence_start,
                clause_start,
                before_punct: next.is_none_or(|c| !c.is_alphanumeric()),
                hyphenated: begin >= 2
                    && chars[begin - 1] == '-'
                    && chars[begin - 2].is_alphanumeric(),
            }));
            sentence_start = false;
            clause_start = false;
        } else if c.is_ascii_digit()
            || (c == '.'
                && at(i + 1).is_some_and(|d| d.is_ascii_digit())
                && (i == 0 || !chars[i - 1].is_alphanumeric()))
        {
            let negative = i >= 1
                && matches!(chars[i - 1], '-' | '\u{2212}')
                && (i < 2 || !chars[i - 2].is_alphanumeric());
            let mut int = String::new();
            while let Some(c) = at(i) {
                if c.is_ascii_digit() {
                    int.push(c);
                    i += 1;
                } else if c == ','
                    && !int.is_empty()
                    && (1..=3).all(|k| at(i + k).is_some_and(|d| d.is_ascii_digit()))
                    && !at(i + 4).is_some_and(|d| d.is_ascii_digit())
                {
                    i += 1;
                } else {
                    break;
                }
            }
            let mut frac = String::new();
            if at(i) == Some('.') && at(i + 1).is_some_and(|d| d.is_ascii_digit()) {
                i += 1;
                while let Some(d) = at(i).filter(char::is_ascii_digit) {
                    frac.push(d);
                    i += 1;
                }
            }
            out.push(Token::Number(Decimal::from_parts(negative, &int, &frac)));
            sentence_start = false;
            clause_start = false;
        } else {
            if is_sentence_break(c) {
                sentence_start = true;
                clause_start = true;
            } else if is_clause_break(c) {
                clause_start = true;
            }
            i += 1;
        }
    }
    out
}

//! Exact decimal values for the numbers an answer mentions.
//!
//! Numbers are compared exactly, never through floating point: `2.50`, `2.5` and `two and a
//! half`… (the last is not recognised, see [`super::tokens`]) must compare by value on every
//! machine. A value is kept as its significant digits and a power of ten, normalised so that
//! equal values have equal representations (`1,200` = `1.2 thousand` = `1200.0`).

use std::cmp::Ordering;
use std::fmt;

/// Longest run of significant digits kept; longer numbers are cut (they still compare equal to
/// themselves, which is all the rule needs).
const MAX_DIGITS: usize = 64;

/// An exact decimal: `(-1)^negative × digits × 10^exp`, normalised (no leading or trailing
/// zeros in `digits`; zero is the empty digit string with `exp = 0` and `negative = false`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Decimal {
    negative: bool,
    digits: String,
    exp: i32,
}

impl Decimal {
    /// From an integer part and a fraction part (ASCII digits only; other bytes are ignored).
    pub fn from_parts(negative: bool, int: &str, frac: &str) -> Self {
        let digits: String = int
            .chars()
            .chain(frac.chars())
            .filter(char::is_ascii_digit)
            .collect();
        let frac_len = frac.chars().filter(char::is_ascii_digit).count();
        let exp = -(i32::try_from(frac_len).unwrap_or(i32::MAX));
        Self::normalise(negative, digits, exp)
    }

    /// From a whole number.
    pub fn from_u128(v: u128) -> Self {
        Self::normalise(false, v.to_string(), 0)
    }

    /// This value times `10^k`.
    pub fn shifted(&self, k: i32) -> Self {
        if self.digits.is_empty() {
            return self.clone();
        }
        Self {
            exp: self.exp.saturating_add(k),
            ..self.clone()
        }
    }

    /// Whether this is exactly 1 (which the rule treats like the article "a": see
    /// `super::features`).
    pub fn is_one(&self) -> bool {
        !self.negative && self.digits == "1" && self.exp == 0
    }

    fn normalise(negative: bool, mut digits: String, mut exp: i32) -> Self {
        let trimmed = digits.trim_start_matches('0').len();
        digits.drain(..digits.len() - trimmed);
        while digits.ends_with('0') {
            digits.pop();
            exp = exp.saturating_add(1);
        }
        if digits.len() > MAX_DIGITS {
            let cut = digits.len() - MAX_DIGITS;
            digits.truncate(MAX_DIGITS);
            exp = exp.saturating_add(i32::try_from(cut).unwrap_or(i32::MAX));
        }
        if digits.is_empty() {
            return Self {
                negative: false,
                digits,
                exp: 0,
            };
        }
        Self {
            negative,
            digits,
            exp,
        }
    }
}

impl Ord for Decimal {
    /// By value.
    fn cmp(&self, other: &Self) -> Ordering {
        let class = |d: &Self| match (d.digits.is_empty(), d.negative) {
            (true, _) => 1,
            (false, true) => 0,
            (false, false) => 2,
        };
        fn magnitude(d: &Decimal) -> (i64, &str) {
            let len = i64::try_from(d.digits.len()).unwrap_or(i64::MAX);
            (len + i64::from(d.exp), d.digits.as_str())
        }
        let by_size = magnitude(self).cmp(&magnitude(other));
        class(self).cmp(&class(other)).then(if self.negative {
            by_size.reverse()
        } else {
            by_size
        })
    }
}

impl PartialOrd for Decimal {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Decimal {
    /// Plain notation for ordinary magnitudes (`1200`, `0.25`, `-3`), scientific otherwise.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.negative { "-" } else { "" };
        if self.digits.is_empty() {
            return f.write_str("0");
        }
        let n = i64::try_from(self.digits.len()).unwrap_or(i64::MAX);
        let exp = i64::from(self.exp);
        if (0..=12).contains(&exp) {
            let zeros = "0".repeat(usize::try_from(exp).unwrap_or(0));
            write!(f, "{sign}{}{zeros}", self.digits)
        } else if exp < 0 && -exp < n {
            let split = usize::try_from(n + exp).unwrap_or(0);
            let (i, d) = self.digits.split_at(split);
            write!(f, "{sign}{i}.{d}")
        } else if exp < 0 && -exp - n <= 6 {
            let zeros = "0".repeat(usize::try_from(-exp - n).unwrap_or(0));
            write!(f, "{sign}0.{zeros}{}", self.digits)
        } else {
            write!(f, "{sign}{}e{}", self.digits, self.exp)
        }
    }
}

//! Number mode: the first number in a text, rounded and printed exactly.
//!
//! **Finding the number.** The text is first NFKC-normalised (so full-width `１９` reads as 19).
//! Scanning left to right, a number starts at an ASCII digit, or at `.`
//! followed by a digit, and may be preceded by a sign (`-`, `+` or `−` U+2212) when the character
//! before the sign is not alphanumeric (so `COVID-19` reads as 19, `-3` as −3). It continues with:
//! digits, where a `,` counts as a thousands separator only when exactly three digits follow it
//! (`1,234.5` but `1,2` is 1); an optional `.` and fraction digits (`12.` is 12, so a sentence
//! ending in `19.` reads 19); an optional exponent `e`/`E`, optional sign, digits (`1e3`).
//!
//! **Rounding.** The decimal string is rounded exactly (no floating point) to `P` decimals, half
//! away from zero (`2.5 → 3`, `-2.5 → -3`), printed with exactly `P` decimals and no exponent
//! (`number:2` prints `3.10`). Negative zero prints as `0`/`0.00`. Exponents are limited to
//! `|e| <= 4096` so the printed form stays bounded.

use super::CanonError;
use unicode_normalization::UnicodeNormalization;

/// Largest accepted exponent magnitude.
pub const MAX_EXPONENT: i64 = 4096;

/// A parsed decimal: `(-1)^negative × 0.d1d2d3… × 10^point`.
struct Decimal {
    negative: bool,
    digits: Vec<u8>,
    point: i64,
}

/// The canonical form of the first number in `raw`, with exactly `decimals` decimals.
pub(crate) fn canonical(raw: &str, decimals: u8) -> Result<String, CanonError> {
    let normalised: String = raw.nfkc().collect();
    let d = find(&normalised)?;
    Ok(round(&d, decimals))
}

fn find(raw: &str) -> Result<Decimal, CanonError> {
    let chars: Vec<char> = raw.chars().collect();
    for start in 0..chars.len() {
        let c = chars[start];
        let starts_number = c.is_ascii_digit()
            || (c == '.' && chars.get(start + 1).is_some_and(char::is_ascii_digit));
        if !starts_number {
            continue;
        }
        // `.5` right after a digit cannot happen (we would have started at the digit).
        let negative = start
            .checked_sub(1)
            .and_then(|i| chars.get(i).map(|&s| (i, s)))
            .filter(|&(_, s)| s == '-' || s == '−')
            .is_some_and(|(i, _)| {
                i.checked_sub(1)
                    .and_then(|j| chars.get(j))
                    .is_none_or(|p| !p.is_alphanumeric())
            });
        return parse_at(&chars, start, negative);
    }
    Err(CanonError::NoNumber)
}

fn parse_at(chars: &[char], mut i: usize, negative: bool) -> Result<Decimal, CanonError> {
    let digit = |i: usize| chars.get(i).and_then(|c| c.to_digit(10)).map(|d| d as u8);
    let mut int = Vec::new();
    while let Some(d) = digit(i) {
        int.push(d);
        i += 1;
        // Thousands separator: `,` then exactly three digits, then not a fourth digit.
        if chars.get(i) == Some(&',')
            && (1..=3).all(|k| digit(i + k).is_some())
            && digit(i + 4).is_none()
        {
            i += 1;
        }
    }
    let mut frac = Vec::new();
    if chars.get(i) == Some(&'.') {
        i += 1;
        while let Some(d) = digit(i) {
            frac.push(d);
            i += 1;
        }
    }
    let mut exp: i64 = 0;
    if matches!(chars.get(i), Some('e' | 'E')) {
        let mut j = i + 1;
        let exp_negative = match chars.get(j) {
            Some('-' | '−') => {
                j += 1;
                true
            }
            Some('+') => {
                j += 1;
                false
            }
            _ => false,
        };
        if digit(j).is_some() {
            let mut e: i64 = 0;
            while let Some(d) = digit(j) {
                e = e.saturating_mul(10).saturating_add(i64::from(d));
                j += 1;
            }
            if e > MAX_EXPONENT {
                return Err(CanonError::NumberOutOfRange);
            }
            exp = if exp_negative { -e } else { e };
        }
    }
    let point = i64::try_from(int.len()).map_err(|_| CanonError::TooLong)? + exp;
    int.extend(frac);
    Ok(Decimal {
        negative,
        digits: int,
        point,
    })
}

fn round(d: &Decimal, decimals: u8) -> String {
    let p = i64::from(decimals);
    // Number of leading digits kept: those at or above the 10^-p place.
    let keep = d.point + p;
    let mut kept: Vec<u8> = if keep <= 0 {
        Vec::new()
    } else {
        (0..keep)
            .map(|k| {
                usize::try_from(k)
                    .ok()
                    .and_then(|k| d.digits.get(k))
                    .copied()
                    .unwrap_or(0)
            })
            .collect()
    };
    let next = if keep < 0 {
        0
    } else {
        usize::try_from(keep)
            .ok()
            .and_then(|k| d.digits.get(k))
            .copied()
            .unwrap_or(0)
    };
    if next >= 5 {
        // Increment the kept magnitude by one unit in the last place.
        let mut carry = true;
        for digit in kept.iter_mut().rev() {
            if *digit == 9 {
                *digit = 0;
            } else {
                *digit += 1;
                carry = false;
                break;
            }
        }
        if carry {
            kept.insert(0, 1);
        }
    }
    let p = usize::from(decimals);
    while kept.len() < p + 1 {
        kept.insert(0, 0);
    }
    let split = kept.len() - p;
    let int: String = kept[..split].iter().map(|d| char::from(b'0' + d)).collect();
    let int = int.trim_start_matches('0');
    let int = if int.is_empty() { "0" } else { int };
    let frac: String = kept[split..].iter().map(|d| char::from(b'0' + d)).collect();
    let zero = kept.iter().all(|&d| d == 0);
    let sign = if d.negative && !zero { "-" } else { "" };
    if p == 0 {
        format!("{sign}{int}")
    } else {
        format!("{sign}{int}.{frac}")
    }
}

//! Vector mode: a list of finite numbers, and its one canonical text.
//!
//! **Canonical form** (what a member commits to and reveals, and what the decision record
//! certifies): `[` ‖ the coordinates joined by `,` ‖ `]`, no spaces. Each coordinate is an
//! IEEE-754 binary64 value written as the *shortest* decimal that parses back to the same value
//! (the digits of Rust's `{:e}`, of Python's `repr`, of Ryu), in scientific form
//! `[-]D[.DDD]e[-]X`: one non-zero leading digit, no trailing zeros in the fraction, an exponent
//! without `+` or leading zeros. Zero is `0e0` (negative zero too). So `[1, 2.5, -0.001]` is
//! `[1e0,2.5e0,-1e-3]`. Every value is finite and a vector has 1 to [`MAX_DIM`] coordinates,
//! so the text is at most 51,201 bytes (below [`crate::MAX_CANONICAL`]).
//!
//! **From a model's output** (`canonical`): after NFKC (full-width digits read as ASCII), the
//! first `[` from which a flat array of numbers parses — JSON-style numbers separated by commas,
//! whitespace allowed, `−` (U+2212) read as `-` — is the vector. A nested `[[1, 2]]` therefore
//! reads as `[1, 2]`; `NaN`, `Infinity`, an empty array or more than [`MAX_DIM`] numbers is no
//! vector. Each number is rounded to the nearest binary64 (correctly rounded, as Rust's and
//! Python's parsers do).
//!
//! **From a reveal** ([`decode`]): strict. The text must be exactly the canonical form of the
//! vector it parses to; anything else (spaces, `1.0e0`, `inf`, too long, empty) is not a value.
//! A Byzantine member's malformed reveal is thus an invalid answer, never a panic.

use super::CanonError;
use thiserror::Error;
use unicode_normalization::UnicodeNormalization;

/// Most coordinates a vector may have (the same bound for every member and every request).
pub const MAX_DIM: usize = 2048;

/// Why a revealed text is not a canonical vector.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum VectorError {
    /// Not `[...]` with 1 to [`MAX_DIM`] comma-separated finite numbers.
    #[error("not a vector of 1 to {MAX_DIM} finite numbers in brackets")]
    Malformed,
    /// A vector, but not written in its canonical form.
    #[error("not the canonical form of its vector (expected {0})")]
    NotCanonical(String),
}

/// The canonical text of `values` (module doc). The caller guarantees every value is finite.
pub fn encode(values: &[f64]) -> String {
    let mut out = String::with_capacity(2 + values.len() * 8);
    out.push('[');
    for (i, v) in values.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&coordinate(*v));
    }
    out.push(']');
    out
}

/// One coordinate in canonical form: the shortest round-trip digits in `{:e}` notation.
pub fn coordinate(v: f64) -> String {
    if v == 0.0 {
        "0e0".to_string()
    } else {
        format!("{v:e}")
    }
}

/// The vector a revealed text holds, if the text is exactly its canonical form.
pub fn decode(text: &str) -> Result<Vec<f64>, VectorError> {
    // The longest canonical vector; anything longer is refused before any parsing.
    const MAX_LEN: usize = 2 + MAX_DIM * 25;
    if text.len() > MAX_LEN {
        return Err(VectorError::Malformed);
    }
    let inner = text
        .strip_prefix('[')
        .and_then(|t| t.strip_suffix(']'))
        .ok_or(VectorError::Malformed)?;
    let values = inner
        .split(',')
        .map(number)
        .collect::<Option<Vec<f64>>>()
        .ok_or(VectorError::Malformed)?;
    if values.is_empty() || values.len() > MAX_DIM {
        return Err(VectorError::Malformed);
    }
    let canonical = encode(&values);
    if canonical != text {
        return Err(VectorError::NotCanonical(canonical));
    }
    Ok(values)
}

/// The canonical vector in a model's output (module doc).
pub(crate) fn canonical(raw: &str) -> Result<String, CanonError> {
    let text: String = raw.nfkc().map(|c| if c == '−' { '-' } else { c }).collect();
    text.match_indices('[')
        .find_map(|(start, _)| array_at(&text[start + 1..]))
        .map(|values| encode(&values))
        .ok_or(CanonError::NoVector)
}

/// Parses `n1, n2, ...]` (the text after a `[`): the numbers, or `None` if that is not a flat,
/// non-empty array of at most [`MAX_DIM`] finite numbers.
fn array_at(after: &str) -> Option<Vec<f64>> {
    let body = &after[..after.find(']')?];
    if body.contains('[') {
        return None;
    }
    let values = body
        .split(',')
        .map(|t| number(t.trim()))
        .collect::<Option<Vec<f64>>>()?;
    (!values.is_empty() && values.len() <= MAX_DIM).then_some(values)
}

/// A finite number in JSON-style syntax (an optional `+` and a missing integer or fraction part
/// are tolerated), correctly rounded to binary64.
fn number(token: &str) -> Option<f64> {
    let ok_chars = !token.is_empty()
        && token
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '-' | '+' | '.' | 'e' | 'E'))
        && token.chars().any(|c| c.is_ascii_digit());
    if !ok_chars {
        return None;
    }
    token.parse::<f64>().ok().filter(|v| v.is_finite())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoding_is_shortest_scientific() {
        let table: [(&[f64], &str); 6] = [
            (&[1.0, 2.5, -0.001], "[1e0,2.5e0,-1e-3]"),
            (&[0.0, -0.0], "[0e0,0e0]"),
            (&[0.1], "[1e-1]"),
            (&[123456.0], "[1.23456e5]"),
            (
                &[f64::MAX, f64::MIN_POSITIVE],
                "[1.7976931348623157e308,2.2250738585072014e-308]",
            ),
            (&[5e-324], "[5e-324]"),
        ];
        for (values, want) in table {
            assert_eq!(encode(values), want);
            assert_eq!(
                decode(want).unwrap(),
                values.iter().map(|v| v + 0.0).collect::<Vec<_>>()
            );
        }
    }

    #[test]
    fn round_trips_bit_exactly() {
        // A deterministic spread of bit patterns, including subnormals and huge values.
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut values = Vec::new();
        while values.len() < 1000 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let v = f64::from_bits(x);
            if v.is_finite() && v != 0.0 {
                values.push(v);
            }
        }
        for chunk in values.chunks(7) {
            let text = encode(chunk);
            let back = decode(&text).unwrap();
            let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&back), bits(chunk), "{text}");
        }
    }

    #[test]
    fn model_output_is_read_leniently() {
        let table = [
            ("[1, 2, 3]", "[1e0,2e0,3e0]"),
            ("The scores are [0.5, 0.25,\n 1e3].", "[5e-1,2.5e-1,1e3]"),
            ("```json\n[[1.5, -2]]\n```", "[1.5e0,-2e0]"),
            ("see [note] then [ -0, +4 ]", "[0e0,4e0]"),
            ("［１，２］", "[1e0,2e0]"),
            ("[−3.5]", "[-3.5e0]"),
        ];
        for (raw, want) in table {
            assert_eq!(canonical(raw).as_deref(), Ok(want), "{raw:?}");
        }
        let too_long = format!("[{}]", vec!["1"; MAX_DIM + 1].join(","));
        let longest = format!("[{}]", vec!["1"; MAX_DIM].join(","));
        for raw in [
            "",
            "1, 2, 3",
            "[]",
            "[NaN]",
            "[1, Infinity]",
            "[1e400]",
            "[1,,2]",
            "[1, \"2\"]",
            "[1",
            &too_long,
        ] {
            assert_eq!(canonical(raw), Err(CanonError::NoVector), "{raw:?}");
        }
        assert!(canonical(&longest).is_ok());
    }

    #[test]
    fn reveals_must_be_canonical() {
        assert_eq!(decode("[1e0,2e0]"), Ok(vec![1.0, 2.0]));
        for bad in [
            "[1,2]",
            "[1e0, 2e0]",
            "[1.0e0]",
            "[+1e0]",
            "[1e+0]",
            "[01e0]",
            "[-0e0]",
            "[10e0]",
            "[1e00]",
            "1e0",
            "[]",
            "[inf]",
            "[NaN]",
            "[1e0,]",
            "[1e999]",
            "[1e0]]",
            "[[1e0]]",
            "",
        ] {
            assert!(decode(bad).is_err(), "{bad:?}");
        }
        let max = encode(&vec![-1.7976931348623157e308; MAX_DIM]);
        assert!(max.len() <= crate::MAX_CANONICAL, "{}", max.len());
        assert_eq!(decode(&max).unwrap().len(), MAX_DIM);
        let over = encode(&vec![1.0; MAX_DIM + 1]);
        assert_eq!(decode(&over), Err(VectorError::Malformed));
    }

    /// Peer input never panics: arbitrary short strings over the vector alphabet decode or are
    /// refused, and what decodes re-encodes to itself.
    #[test]
    fn decoding_arbitrary_text_never_panics() {
        let alphabet: Vec<char> = "[],0123456789.-+eE n".chars().collect();
        let mut x: u64 = 7;
        for _ in 0..20_000 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let len = (x >> 60) as usize + 1;
            let text: String = (0..len)
                .map(|i| alphabet[((x >> (i * 4)) as usize) % alphabet.len()])
                .collect();
            if let Ok(v) = decode(&text) {
                assert_eq!(encode(&v), text);
            }
            let _ = canonical(&text);
        }
    }
}

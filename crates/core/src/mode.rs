//! How a request's answers are compared: the task kind.
//!
//! The CLI and HTTP syntax is a short string: `exact`, `class:a,b,c`, `number:2`, `json`.
//! [`Mode`] parses it ([`FromStr`]), prints it back ([`Display`](std::fmt::Display)) and serialises as that string
//! with serde. On the wire it is a tag byte (0 exact, 1 class, 2 number, 3 json; 4 and 5 are
//! reserved for `semantic` and `pick-best`) followed by the variant's fields.

use crate::wire::{read_str, str_size, write_str};
use bytes::BufMut;
use commonware_codec::{Buf, EncodeSize, Error, RangeCfg, Read, ReadExt, Write};
use std::{fmt, str::FromStr};
use thiserror::Error;

/// Most labels a `class` mode may have.
pub const MAX_LABELS: usize = 64;
/// Longest label, in bytes.
pub const MAX_LABEL_LEN: usize = 256;
/// Most decimals a `number` mode may round to.
pub const MAX_DECIMALS: u8 = 12;

/// The task kind: how raw model outputs are canonicalised before they are committed and compared.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Mode {
    /// Normalised text (see [`crate::canonicalize`]).
    Exact,
    /// One of the given labels.
    Class {
        /// The allowed answers, in the order given. Non-empty, distinct ignoring case.
        labels: Vec<String>,
    },
    /// A number rounded to `decimals` places.
    Number {
        /// Decimal places, 0..=12.
        decimals: u8,
    },
    /// A JSON value, canonically re-encoded.
    Json,
}

/// Why a mode string was rejected.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ModeError {
    /// Not one of the known kinds.
    #[error("unknown mode {0:?}; use exact, class:a,b,c, number:P or json")]
    Unknown(String),
    /// `class:` without labels, or with an empty label.
    #[error("class mode needs non-empty labels separated by commas, e.g. class:yes,no")]
    EmptyLabel,
    /// The same label twice (ignoring case).
    #[error("class label {0:?} is given twice; labels must be distinct (ignoring case)")]
    DuplicateLabel(String),
    /// Too many labels or a label that is too long.
    #[error("class mode allows at most {MAX_LABELS} labels of at most {MAX_LABEL_LEN} bytes each")]
    TooManyLabels,
    /// `number:` with something that is not a small integer.
    #[error(
        "number mode needs the decimal places as an integer from 0 to {MAX_DECIMALS}, e.g. number:2; got {0:?}"
    )]
    BadDecimals(String),
}

impl Mode {
    /// Builds a `class` mode, checking its labels (trimmed; non-empty; distinct ignoring case; no
    /// commas, since the string syntax separates labels with commas).
    pub fn class<S: AsRef<str>>(labels: &[S]) -> Result<Self, ModeError> {
        let labels: Vec<String> = labels
            .iter()
            .map(|l| l.as_ref().trim().to_string())
            .collect();
        check_labels(&labels)?;
        Ok(Mode::Class { labels })
    }

    /// Builds a `number` mode, checking `decimals <= 12`.
    pub fn number(decimals: u8) -> Result<Self, ModeError> {
        if decimals > MAX_DECIMALS {
            return Err(ModeError::BadDecimals(decimals.to_string()));
        }
        Ok(Mode::Number { decimals })
    }

    /// Checks the invariants [`Mode::class`] and [`Mode::number`] enforce (for values built
    /// directly or decoded).
    pub fn validate(&self) -> Result<(), ModeError> {
        match self {
            Mode::Class { labels } => check_labels(labels),
            Mode::Number { decimals } if *decimals > MAX_DECIMALS => {
                Err(ModeError::BadDecimals(decimals.to_string()))
            }
            _ => Ok(()),
        }
    }

    fn tag(&self) -> u8 {
        match self {
            Mode::Exact => 0,
            Mode::Class { .. } => 1,
            Mode::Number { .. } => 2,
            Mode::Json => 3,
        }
    }
}

fn check_labels(labels: &[String]) -> Result<(), ModeError> {
    if labels.is_empty() {
        return Err(ModeError::EmptyLabel);
    }
    if labels.len() > MAX_LABELS {
        return Err(ModeError::TooManyLabels);
    }
    let mut seen = std::collections::BTreeSet::new();
    for label in labels {
        if label.trim().is_empty() || label.trim() != label || label.contains(',') {
            return Err(ModeError::EmptyLabel);
        }
        if label.len() > MAX_LABEL_LEN {
            return Err(ModeError::TooManyLabels);
        }
        if !seen.insert(label.to_lowercase()) {
            return Err(ModeError::DuplicateLabel(label.clone()));
        }
    }
    Ok(())
}

impl FromStr for Mode {
    type Err = ModeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        let (kind, arg) = match s.split_once(':') {
            Some((k, a)) => (k.trim().to_ascii_lowercase(), Some(a)),
            None => (s.to_ascii_lowercase(), None),
        };
        match (kind.as_str(), arg) {
            ("exact", None) => Ok(Mode::Exact),
            ("json", None) => Ok(Mode::Json),
            ("class", Some(arg)) => Mode::class(&arg.split(',').collect::<Vec<_>>()),
            ("class", None) => Err(ModeError::EmptyLabel),
            ("number", Some(arg)) => {
                let d: u8 = arg
                    .trim()
                    .parse()
                    .map_err(|_| ModeError::BadDecimals(arg.to_string()))?;
                Mode::number(d)
            }
            ("number", None) => Err(ModeError::BadDecimals(String::new())),
            _ => Err(ModeError::Unknown(s.to_string())),
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Mode::Exact => f.write_str("exact"),
            Mode::Class { labels } => write!(f, "class:{}", labels.join(",")),
            Mode::Number { decimals } => write!(f, "number:{decimals}"),
            Mode::Json => f.write_str("json"),
        }
    }
}

impl serde::Serialize for Mode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Mode {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

impl Write for Mode {
    fn write(&self, buf: &mut impl BufMut) {
        self.tag().write(buf);
        match self {
            Mode::Class { labels } => {
                labels.len().write(buf);
                for l in labels {
                    write_str(l, buf);
                }
            }
            Mode::Number { decimals } => decimals.write(buf),
            Mode::Exact | Mode::Json => {}
        }
    }
}

impl EncodeSize for Mode {
    fn encode_size(&self) -> usize {
        1 + match self {
            Mode::Class { labels } => {
                labels.len().encode_size() + labels.iter().map(|l| str_size(l)).sum::<usize>()
            }
            Mode::Number { .. } => 1,
            Mode::Exact | Mode::Json => 0,
        }
    }
}

impl Read for Mode {
    type Cfg = ();

    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        let mode = match u8::read(buf)? {
            0 => Mode::Exact,
            1 => {
                let count = usize::read_cfg(buf, &RangeCfg::new(1..=MAX_LABELS))?;
                let labels = (0..count)
                    .map(|_| read_str(buf, MAX_LABEL_LEN, "mode label"))
                    .collect::<Result<Vec<_>, _>>()?;
                Mode::Class { labels }
            }
            2 => Mode::Number {
                decimals: u8::read(buf)?,
            },
            3 => Mode::Json,
            other => return Err(Error::InvalidEnum(other)),
        };
        mode.validate()
            .map_err(|_| Error::Invalid("mode", "invalid labels or decimals"))?;
        Ok(mode)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use commonware_codec::{DecodeExt, Encode};

    #[test]
    fn parse_table() {
        let ok = [
            ("exact", Mode::Exact),
            (" EXACT ", Mode::Exact),
            ("json", Mode::Json),
            ("number:0", Mode::Number { decimals: 0 }),
            ("number:2", Mode::Number { decimals: 2 }),
            ("number: 12", Mode::Number { decimals: 12 }),
            ("class:yes,no", Mode::class(&["yes", "no"]).unwrap()),
            ("class: a , b ,c", Mode::class(&["a", "b", "c"]).unwrap()),
            (
                "class:very good,bad",
                Mode::class(&["very good", "bad"]).unwrap(),
            ),
        ];
        for (s, want) in ok {
            assert_eq!(s.parse::<Mode>(), Ok(want), "{s:?}");
        }
        let bad = [
            ("", ModeError::Unknown(String::new())),
            ("semantic:0.9", ModeError::Unknown("semantic:0.9".into())),
            ("exact:1", ModeError::Unknown("exact:1".into())),
            ("class", ModeError::EmptyLabel),
            ("class:", ModeError::EmptyLabel),
            ("class:a,,b", ModeError::EmptyLabel),
            ("class:a,", ModeError::EmptyLabel),
            ("class:yes,Yes", ModeError::DuplicateLabel("Yes".into())),
            ("number:13", ModeError::BadDecimals("13".into())),
            ("number:-1", ModeError::BadDecimals("-1".into())),
            ("number:two", ModeError::BadDecimals("two".into())),
            ("number", ModeError::BadDecimals(String::new())),
        ];
        for (s, want) in bad {
            assert_eq!(s.parse::<Mode>(), Err(want), "{s:?}");
        }
    }

    #[test]
    fn display_round_trips() {
        for s in [
            "exact",
            "json",
            "number:3",
            "class:yes,no,maybe",
            "class:very good,bad",
        ] {
            let m: Mode = s.parse().unwrap();
            assert_eq!(m.to_string(), s);
            assert_eq!(m.to_string().parse::<Mode>().unwrap(), m);
        }
    }

    #[test]
    fn serde_is_the_string() {
        let m = Mode::class(&["yes", "no"]).unwrap();
        let j = serde_json::to_string(&m).unwrap();
        assert_eq!(j, "\"class:yes,no\"");
        assert_eq!(serde_json::from_str::<Mode>(&j).unwrap(), m);
        assert!(serde_json::from_str::<Mode>("\"number:99\"").is_err());
    }

    #[test]
    fn codec_round_trips_and_is_pinned() {
        let cases = [
            (Mode::Exact, "00"),
            (Mode::Json, "03"),
            (Mode::Number { decimals: 2 }, "0202"),
            (Mode::class(&["yes", "no"]).unwrap(), "01020379657302 6e6f"),
        ];
        for (m, hex_want) in cases {
            let enc = m.encode();
            assert_eq!(hex::encode(&enc), hex_want.replace(' ', ""), "{m}");
            assert_eq!(enc.len(), m.encode_size());
            assert_eq!(Mode::decode(enc).unwrap(), m);
        }
    }

    #[test]
    fn codec_rejects_bad_input() {
        let bad = [
            "04",            // reserved tag (semantic)
            "ff",            // unknown tag
            "020d",          // 13 decimals
            "0100",          // zero labels
            "01020161 0141", // duplicate labels a, A
            "010101ff",      // invalid utf-8
            "01",            // truncated
        ];
        for h in bad {
            let bytes = hex::decode(h.replace(' ', "")).unwrap();
            assert!(Mode::decode(bytes).is_err(), "{h}");
        }
    }
}

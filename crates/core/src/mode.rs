//! How a request's answers are compared: the task kind.
//!
//! The CLI and HTTP syntax is a short string: `exact`, `class:a,b,c`, `number:2`, `json`.
//! [`Mode`] parses it ([`FromStr`]), prints it back ([`Display`](std::fmt::Display)) and serialises as that string
//! with serde. On the wire it is a tag byte (0 exact, 1 class, 2 number, 3 json, 4 semantic,
//! 5 pick-best, 6 number aggregate, 7 vector) followed by the variant's fields.

use crate::robust::{AggregateRule, parse_rule, rule_code, rule_from_code};
use crate::semantic::SemanticConfig;
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
    /// A number rounded to `decimals` places; the decision is the `rule`'s robust aggregate of
    /// the members' numbers (rounded the same way), not a class vote.
    NumberAggregate {
        /// Decimal places, 0..=12.
        decimals: u8,
        /// The robust aggregation rule (never `mean`).
        rule: AggregateRule,
    },
    /// A vector of numbers (canonical form in [`crate::canonical::vector`]); the decision is
    /// the `rule`'s robust aggregate of the members' vectors.
    Vector {
        /// The robust aggregation rule (never `mean`).
        rule: AggregateRule,
    },
    /// Free text; answers that mean the same form one class ([`crate::semantic`]). Decided on
    /// pairwise cosines that travel in a block and that validators re-check (DESIGN §2 step 5),
    /// so only tiers 3-5 (consensus) serve it.
    Semantic(SemanticConfig),
    /// Free text in two stages: the committee writes candidates, then votes for the best by
    /// number in a derived class vote ([`crate::pick`]); tiers 3-5 only.
    PickBest,
}

/// Why a mode string was rejected.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ModeError {
    /// Not one of the known kinds.
    #[error(
        "unknown mode {0:?}; use exact, class:a,b,c, number:P, json, number:P:RULE, vector:RULE, semantic[:THRESHOLD] or pick-best"
    )]
    Unknown(String),
    /// `semantic:` with a threshold that is not a cosine in (0, 1].
    #[error("{0}")]
    Semantic(#[from] crate::semantic::SemanticConfigError),
    /// `semantic` at tier 1 or 2, which are served without consensus.
    #[error(
        "semantic mode needs tier 3 or higher (validators re-check the similarities in consensus; tiers 1-2 have none); got tier {0}, use --tier 3"
    )]
    SemanticNeedsConsensus(u8),
    /// `pick-best` at tier 1 or 2, which are served without consensus.
    #[error(
        "pick-best needs tier 3 or higher (its ballot is a second vote of the committee); got tier {0}, use --tier 3"
    )]
    PickBestNeedsConsensus(u8),
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
    /// An aggregation rule that does not exist.
    #[error(
        "unknown aggregation rule {0:?}; use median, trimmed-mean, krum, multi-krum, bulyan, geometric-median, centered-clipping or cgc, e.g. vector:median or number:2:median"
    )]
    UnknownRule(String),
    /// `mean` as the aggregation rule of a vote.
    #[error(
        "the mean is not Byzantine-robust (one faulty member moves it arbitrarily); use median or trimmed-mean"
    )]
    MeanNotRobust,
    /// `--aggregate RULE` with a mode that takes no rule, or that already names one.
    #[error(
        "--aggregate applies to `number:P` or `vector` without a rule (got mode {0:?}); give the rule once, e.g. --mode vector --aggregate krum or --mode vector:krum"
    )]
    AggregateNotApplicable(String),
    /// The rule's requirement on `n` cannot hold with the tier's committee.
    #[error(
        "{rule} requires {requirement} with f = {f}, but a tier-{tier} committee has only {members} members; use a higher tier, or median / trimmed-mean (n >= 2f + 1)"
    )]
    CommitteeTooSmall {
        /// The rule's name.
        rule: &'static str,
        /// Its requirement, as text.
        requirement: &'static str,
        /// The committee's `f`.
        f: u32,
        /// The request's tier.
        tier: u8,
        /// The committee size of that tier.
        members: u32,
    },
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
            Mode::Number { decimals } | Mode::NumberAggregate { decimals, .. }
                if *decimals > MAX_DECIMALS =>
            {
                Err(ModeError::BadDecimals(decimals.to_string()))
            }
            Mode::NumberAggregate { rule, .. } | Mode::Vector { rule }
                if *rule == AggregateRule::Mean =>
            {
                Err(ModeError::MeanNotRobust)
            }
            _ => Ok(()),
        }
    }

    /// Parses a mode string with an optional separate rule (the CLI's `--mode number:2
    /// --aggregate median`): `number:P` + `RULE` is `number:P:RULE`, `vector` + `RULE` is
    /// `vector:RULE`. A rule given for any other mode, or twice, is an error.
    pub fn parse_with_aggregate(mode: &str, aggregate: Option<&str>) -> Result<Self, ModeError> {
        let Some(rule) = aggregate else {
            return mode.parse();
        };
        let parsed: Mode = mode.parse()?;
        let plain = mode.trim().to_ascii_lowercase();
        match parsed {
            Mode::Number { decimals } => Ok(Mode::NumberAggregate {
                decimals,
                rule: parse_rule(rule)?,
            }),
            Mode::Vector { .. } if plain == "vector" => Ok(Mode::Vector {
                rule: parse_rule(rule)?,
            }),
            _ => Err(ModeError::AggregateNotApplicable(mode.trim().to_string())),
        }
    }

    /// The aggregation rule, for the modes decided by a robust aggregate.
    pub fn aggregate_rule(&self) -> Option<AggregateRule> {
        match self {
            Mode::NumberAggregate { rule, .. } | Mode::Vector { rule } => Some(*rule),
            _ => None,
        }
    }

    fn tag(&self) -> u8 {
        match self {
            Mode::Exact => 0,
            Mode::Class { .. } => 1,
            Mode::Number { .. } => 2,
            Mode::Json => 3,
            Mode::Semantic(_) => 4,
            Mode::PickBest => 5,
            Mode::NumberAggregate { .. } => 6,
            Mode::Vector { .. } => 7,
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
                let (decimals, rule) = match arg.split_once(':') {
                    Some((d, r)) => (d, Some(r)),
                    None => (arg, None),
                };
                let d: u8 = decimals
                    .trim()
                    .parse()
                    .map_err(|_| ModeError::BadDecimals(decimals.to_string()))?;
                let number = Mode::number(d)?;
                match rule {
                    None => Ok(number),
                    Some(r) => Ok(Mode::NumberAggregate {
                        decimals: d,
                        rule: parse_rule(r)?,
                    }),
                }
            }
            ("number", None) => Err(ModeError::BadDecimals(String::new())),
            ("vector", None) => Ok(Mode::Vector {
                rule: AggregateRule::Median,
            }),
            ("vector", Some(r)) => Ok(Mode::Vector {
                rule: parse_rule(r)?,
            }),
            ("pick-best", None) => Ok(Mode::PickBest),
            ("semantic", param) => Ok(Mode::Semantic(SemanticConfig::from_param(param)?)),
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
            Mode::NumberAggregate { decimals, rule } => write!(f, "number:{decimals}:{rule}"),
            Mode::Vector { rule } => write!(f, "vector:{rule}"),
            Mode::Semantic(config) => write!(f, "{config}"),
            Mode::PickBest => f.write_str("pick-best"),
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
            Mode::NumberAggregate { decimals, rule } => {
                decimals.write(buf);
                rule_code(*rule).write(buf);
            }
            Mode::Vector { rule } => rule_code(*rule).write(buf),
            Mode::Semantic(config) => config.threshold_milli().write(buf),
            Mode::Exact | Mode::Json | Mode::PickBest => {}
        }
    }
}

impl EncodeSize for Mode {
    fn encode_size(&self) -> usize {
        1 + match self {
            Mode::Class { labels } => {
                labels.len().encode_size() + labels.iter().map(|l| str_size(l)).sum::<usize>()
            }
            Mode::Number { .. } | Mode::Vector { .. } => 1,
            Mode::NumberAggregate { .. } | Mode::Semantic(_) => 2,
            Mode::Exact | Mode::Json | Mode::PickBest => 0,
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
            4 => Mode::Semantic(
                SemanticConfig::with_threshold_milli(u16::read(buf)?)
                    .ok_or(Error::Invalid("mode", "semantic threshold out of range"))?,
            ),
            5 => Mode::PickBest,
            6 => Mode::NumberAggregate {
                decimals: u8::read(buf)?,
                rule: read_rule(buf)?,
            },
            7 => Mode::Vector {
                rule: read_rule(buf)?,
            },
            other => return Err(Error::InvalidEnum(other)),
        };
        mode.validate()
            .map_err(|_| Error::Invalid("mode", "invalid labels or decimals"))?;
        Ok(mode)
    }
}

fn read_rule(buf: &mut impl Buf) -> Result<AggregateRule, Error> {
    let code = u8::read(buf)?;
    rule_from_code(code).ok_or(Error::InvalidEnum(code))
}

#[cfg(test)]
mod tests;

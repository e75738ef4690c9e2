//! Do two answers mean the same? The pairwise rule, with its reason.

use super::config::SemanticConfig;
use super::embed::cosine;
use super::features::{Features, Verdict, extract};
use super::number::Decimal;
use std::fmt;

/// One answer as the rule sees it: its text, its unit embedding and the extracted features.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    /// The answer text.
    pub text: String,
    /// Its L2-normalised embedding.
    pub embedding: Vec<f32>,
    /// What [`extract`] found in the text.
    pub features: Features,
}

impl Answer {
    /// An answer with its features extracted from `text`.
    pub fn new(text: impl Into<String>, embedding: Vec<f32>) -> Self {
        let text = text.into();
        let features = extract(&text);
        Self {
            text,
            embedding,
            features,
        }
    }
}

/// Why two answers do or do not agree. The first failing check is reported, in the order
/// below.
#[derive(Debug, Clone, PartialEq)]
pub enum Reason {
    /// Every check passed.
    Agree {
        /// Their cosine.
        cosine: f32,
        /// The threshold it reached.
        threshold: f32,
    },
    /// The embeddings are not close enough.
    Dissimilar {
        /// Their cosine.
        cosine: f32,
        /// The threshold it missed.
        threshold: f32,
    },
    /// One answers yes, the other no.
    OppositeVerdicts {
        /// The first answer's verdict.
        a: Verdict,
        /// The second answer's verdict.
        b: Verdict,
    },
    /// One negates its claim and the other does not (odd against even count).
    OppositePolarity {
        /// The first answer's negating words.
        a: Vec<String>,
        /// The second answer's negating words.
        b: Vec<String>,
    },
    /// One says up where the other says down (`rise` against `fall`).
    OppositeDirections {
        /// The first answer's directions.
        a: Direction,
        /// The second answer's directions.
        b: Direction,
    },
    /// They mention different numbers.
    DifferentNumbers {
        /// Numbers only the first mentions.
        only_a: Vec<Decimal>,
        /// Numbers only the second mentions.
        only_b: Vec<Decimal>,
    },
    /// Each names something the other does not mention (a substitution: `Canberra` against
    /// `Sydney`).
    DifferentNames {
        /// Names (and possible names) of the first answer that the second does not mention.
        only_a: Vec<String>,
        /// Names (and possible names) of the second answer that the first does not mention.
        only_b: Vec<String>,
    },
}

/// The directions an answer states.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Direction {
    /// Something goes up.
    pub up: bool,
    /// Something goes down.
    pub down: bool,
}

impl Direction {
    fn of(f: &Features) -> Self {
        Self {
            up: f.up,
            down: f.down,
        }
    }

    fn any(self) -> bool {
        self.up || self.down
    }
}

/// The rule's decision for a pair.
#[derive(Debug, Clone, PartialEq)]
pub struct Judgement {
    /// Whether they mean the same.
    pub agree: bool,
    /// Their cosine similarity.
    pub cosine: f32,
    /// Why.
    pub reason: Reason,
}

/// Judges two answers: cosine from their embeddings, then [`judge_features`].
pub fn judge(config: &SemanticConfig, a: &Answer, b: &Answer) -> Judgement {
    judge_features(
        config,
        &a.features,
        &b.features,
        cosine(&a.embedding, &b.embedding),
    )
}

/// The rule, given the features and a cosine (which a validator may take from a proposal's
/// evidence after checking it within its tolerance). The answers agree when **all** hold:
///
/// 1. `cosine >= threshold`;
/// 2. their leading verdicts, when both have one, are the same;
/// 3. both or neither are negated (see [`Features::negated`]);
/// 4. when both state directions, the same ones (up, down, or both);
/// 5. they mention the same set of numbers (other than 1);
/// 6. no name substitution: it is **not** the case that one has a name the other does not
///    mention while the other has a name or possible name the first does not mention. A name
///    only one side adds ("…on Earth") is not a disagreement; "Canberra is…" against "…is
///    Sydney" is.
pub fn judge_features(config: &SemanticConfig, a: &Features, b: &Features, cos: f32) -> Judgement {
    let threshold = config.threshold();
    let reason = if cos.is_nan() || cos < threshold {
        Reason::Dissimilar {
            cosine: cos,
            threshold,
        }
    } else if let (Some(va), Some(vb)) = (a.verdict, b.verdict)
        && va != vb
    {
        Reason::OppositeVerdicts { a: va, b: vb }
    } else if a.negated != b.negated {
        Reason::OppositePolarity {
            a: a.negations.clone(),
            b: b.negations.clone(),
        }
    } else if Direction::of(a).any()
        && Direction::of(b).any()
        && Direction::of(a) != Direction::of(b)
    {
        Reason::OppositeDirections {
            a: Direction::of(a),
            b: Direction::of(b),
        }
    } else if a.numbers != b.numbers {
        Reason::DifferentNumbers {
            only_a: difference(&a.numbers, &b.numbers),
            only_b: difference(&b.numbers, &a.numbers),
        }
    } else {
        let (names_a, maybe_a) = (
            unmentioned(&a.entities, b),
            unmentioned(&a.possible_names, b),
        );
        let (names_b, maybe_b) = (
            unmentioned(&b.entities, a),
            unmentioned(&b.possible_names, a),
        );
        // A name only A has, against a name or possible name only B has; or the converse.
        let b_has_other = !names_b.is_empty() || !maybe_b.is_empty();
        let substituted =
            (!names_a.is_empty() && b_has_other) || (!names_b.is_empty() && !maybe_a.is_empty());
        if substituted {
            Reason::DifferentNames {
                only_a: [names_a, maybe_a].concat(),
                only_b: [names_b, maybe_b].concat(),
            }
        } else {
            Reason::Agree {
                cosine: cos,
                threshold,
            }
        }
    };
    Judgement {
        agree: matches!(reason, Reason::Agree { .. }),
        cosine: cos,
        reason,
    }
}

/// Items of sorted `x` not in sorted `y`.
fn difference<T: Ord + Clone>(x: &[T], y: &[T]) -> Vec<T> {
    x.iter()
        .filter(|v| y.binary_search(v).is_err())
        .cloned()
        .collect()
}

/// Those of `names` that `y` does not mention.
fn unmentioned(names: &[String], y: &Features) -> Vec<String> {
    names.iter().filter(|e| !y.mentions(e)).cloned().collect()
}

fn list<T: fmt::Display>(items: &[T]) -> String {
    if items.is_empty() {
        return "none".into();
    }
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Verdict::Yes => "yes",
            Verdict::No => "no",
        })
    }
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match (self.up, self.down) {
            (true, true) => "up and down",
            (true, false) => "up",
            (false, true) => "down",
            (false, false) => "no direction",
        })
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::Agree { cosine, threshold } => write!(
                f,
                "same meaning: cosine {cosine:.3} >= {threshold:.3}, same polarity, numbers and names"
            ),
            Reason::Dissimilar { cosine, threshold } => {
                write!(f, "different meaning: cosine {cosine:.3} < {threshold:.3}")
            }
            Reason::OppositeVerdicts { a, b } => {
                write!(f, "opposite verdicts: A answers {a}, B answers {b}")
            }
            Reason::OppositePolarity { a, b } => write!(
                f,
                "opposite polarity: one answer is negated and the other is not (negating words: A {}; B {})",
                list(a),
                list(b)
            ),
            Reason::OppositeDirections { a, b } => {
                write!(f, "opposite directions: A says {a}, B says {b}")
            }
            Reason::DifferentNumbers { only_a, only_b } => write!(
                f,
                "different numbers: only A has {}; only B has {}",
                list(only_a),
                list(only_b)
            ),
            Reason::DifferentNames { only_a, only_b } => write!(
                f,
                "different names: only A names {}; only B names {}",
                list(only_a),
                list(only_b)
            ),
        }
    }
}

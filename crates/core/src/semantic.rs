//! The `semantic` agreement mode: free-text answers that mean the same form one class.
//!
//! Embedding similarity alone is not agreement: under all-MiniLM-L6-v2, "17 is a prime
//! number." and "17 is not a prime number." have cosine 0.96, a true paraphrase 0.97, and "Yes"
//! against "No" 0.73. So two answers agree only when their embeddings are close **and** the
//! claims that embeddings blur are identical ([`judge_features`]):
//!
//! 1. cosine ≥ threshold (default [`DEFAULT_THRESHOLD_MILLI`]/1000; `semantic:0.85` sets it);
//! 2. the same leading verdict when both give one (`Yes, …` against `No, …`);
//! 3. the same negation parity (`not`, `never`, `n't`, `unsafe`, …);
//! 4. the same numbers (exact values; digits and number words; 1 is ignored);
//! 5. the same names (each side's names are mentioned in the other).
//!
//! The features come from [`extract`], one linear pass over the text that accepts any UTF-8.
//! A committee's answers are then grouped by complete linkage, largest clique first
//! ([`group`]); a group's answer is its medoid ([`representative`]).
//!
//! **Measured** on the 60 labelled pairs of `crates/core/testdata/semantic_pairs.json` with real
//! MiniLM embeddings (`byzvote-builtin`'s test `semantic_pairs`, which prints the sweep):
//! precision 0.96 and recall 0.88 for "agree" at the default threshold, against 0.49 / 0.92 for
//! cosine alone at the same threshold (every contradiction there has cosine above 0.8). The
//! threshold was chosen on that same table, so treat these numbers as optimistic.
//!
//! **Known blind spots**: names written in lower case ("ibuprofen"/"paracetamol" merge at cosine
//! 0.91); antonyms outside the short direction list ("before"/"after", "cheap"/"expensive");
//! negation carried by a word the lexicon lacks ("immutable", "useless"); units and rates
//! ("4,000 mg in 24 hours" against "4 grams per day" split); paraphrases whose cosine falls below
//! the threshold (0.67 for "verbal agreement … binding" / "oral contracts … enforceable").
//!
//! Floating point differs across machines, so a decision's cosines travel with it as evidence
//! and validators re-check them within a tolerance (DESIGN.md §2 step 5); [`judge_features`]
//! takes the cosine as an argument for that. [`evidence`] holds the quantised cosines and their
//! transaction, [`decide`] the vote's rule over them.

mod config;
mod decide;
mod embed;
pub mod evidence;
mod features;
mod group;
mod judge;
mod lexicon;
mod number;
mod tokens;

#[cfg(test)]
mod decide_tests;
#[cfg(test)]
mod prop;
#[cfg(test)]
mod tests;

pub use config::{DEFAULT_THRESHOLD_MILLI, SemanticConfig, SemanticConfigError};
pub use decide::{SemanticDecision, decide};
pub use embed::{BagOfWords, EmbedError, Embedder, cosine};
pub use evidence::Similarities;
pub use features::{Features, Verdict, extract};
pub use group::{SEARCH_BUDGET, group, group_by, representative};
pub use judge::{Answer, Direction, Judgement, Reason, judge, judge_features};
pub use number::Decimal;

//! Privacy rules (DESIGN.md §6): anonymise a request before any model (or the ordered log, which
//! every node keeps) sees it, and sanitise what a model says before it becomes a vote.
//!
//! A [`Redactor`] replaces every match of its rules with a typed placeholder (`[EMAIL_1]`,
//! `[NAME_2]`). The same value gets the same placeholder everywhere in one request, so the models
//! can still reason about "who said what to whom"; the mapping back never leaves the serving
//! node. Rules are built-in patterns (email, phone, IBAN, card number, IPv4), operator regexes,
//! and named identifiers (exact names, matched case-insensitively at word boundaries).
//!
//! The same type sanitises outputs: a coordinator runs its model's text through its sanitiser
//! before canonicalising it, so an answer that leaks an identifier is masked before it is
//! committed to. Regexes are from the `regex` crate: linear time, no backtracking blow-ups on
//! hostile input.

use regex::Regex;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use thiserror::Error;

/// Built-in identifier kinds.
pub const BUILTIN: [(&str, &str); 5] = [
    ("email", r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"),
    (
        "iban",
        r"\b[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b",
    ),
    ("card", r"\b(?:[0-9]{4}[ -]?){3}[0-9]{4}\b"),
    ("ipv4", r"\b(?:[0-9]{1,3}\.){3}[0-9]{1,3}\b"),
    ("phone", r"\+?[0-9][0-9 ().-]{7,}[0-9]"),
];

/// What the operator configures (`[privacy]` in `node.toml`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrivacyRules {
    /// Built-in kinds to mask: any of `email`, `iban`, `card`, `phone`, `ipv4`.
    #[serde(default)]
    pub builtin: Vec<String>,
    /// Operator patterns: a kind name (used in the placeholder) and a regex.
    #[serde(default)]
    pub patterns: Vec<NamedPattern>,
    /// Named identifiers (people, companies, projects), masked as `[NAME_n]`.
    #[serde(default)]
    pub names: Vec<String>,
}

/// An operator regex.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NamedPattern {
    /// The kind, e.g. `patient_id`; upper-cased in the placeholder.
    pub kind: String,
    /// The regex (Rust `regex` syntax).
    pub regex: String,
}

/// A rule that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PrivacyError {
    /// An unknown built-in kind.
    #[error("unknown built-in privacy kind `{0}`; use email, iban, card, phone or ipv4")]
    UnknownBuiltin(String),
    /// A regex that does not compile.
    #[error("privacy pattern `{kind}` is not a valid regex: {reason}")]
    BadRegex {
        /// The pattern's kind.
        kind: String,
        /// The regex error.
        reason: String,
    },
    /// A kind with characters that would make a confusing placeholder.
    #[error("privacy kind `{0}` must be letters, digits and `_` only")]
    BadKind(String),
    /// A pattern that matches the empty string would mask between every character.
    #[error("privacy pattern `{0}` matches the empty string")]
    EmptyMatch(String),
}

/// One masked value, for the serving node's log and an optional restore.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redaction {
    /// The placeholder, e.g. `[EMAIL_1]`.
    pub placeholder: String,
    /// What it replaced.
    pub original: String,
}

/// Compiled rules.
#[derive(Debug, Clone)]
pub struct Redactor {
    rules: Vec<(String, Regex)>,
}

impl Redactor {
    /// Compiles `rules`; a bad rule is an error naming it (never silently skipped).
    pub fn new(rules: &PrivacyRules) -> Result<Self, PrivacyError> {
        let mut compiled = Vec::new();
        // Order matters, most specific first: built-in structured identifiers (an email holds
        // a name, a phone pattern would eat an IP address), then operator patterns, then names.
        if let Some(k) = rules
            .builtin
            .iter()
            .find(|k| !BUILTIN.iter().any(|(b, _)| b == k))
        {
            return Err(PrivacyError::UnknownBuiltin(k.clone()));
        }
        for (kind, pattern) in BUILTIN
            .iter()
            .filter(|(b, _)| rules.builtin.iter().any(|k| k == b))
        {
            let regex = Regex::new(pattern).map_err(|e| PrivacyError::BadRegex {
                kind: kind.to_string(),
                reason: e.to_string(),
            })?;
            compiled.push((kind.to_ascii_uppercase(), regex));
        }
        for p in &rules.patterns {
            if p.kind.is_empty()
                || !p
                    .kind
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_')
            {
                return Err(PrivacyError::BadKind(p.kind.clone()));
            }
            let regex = Regex::new(&p.regex).map_err(|e| PrivacyError::BadRegex {
                kind: p.kind.clone(),
                reason: e.to_string(),
            })?;
            if regex.is_match("") {
                return Err(PrivacyError::EmptyMatch(p.kind.clone()));
            }
            compiled.push((p.kind.to_ascii_uppercase(), regex));
        }
        for name in rules.names.iter().filter(|n| !n.trim().is_empty()) {
            let regex =
                Regex::new(&format!(r"(?i)\b{}\b", regex::escape(name.trim()))).map_err(|e| {
                    PrivacyError::BadRegex {
                        kind: "name".into(),
                        reason: e.to_string(),
                    }
                })?;
            compiled.push(("NAME".to_string(), regex));
        }
        Ok(Self { rules: compiled })
    }

    /// Whether any rule is configured.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Masks every match in every text of one request; the same value gets the same
    /// placeholder across all of them. Returns the masked texts and what was masked.
    pub fn redact_all(&self, texts: &[&str]) -> (Vec<String>, Vec<Redaction>) {
        let mut seen: HashMap<(String, String), String> = HashMap::new();
        let mut counters: HashMap<String, usize> = HashMap::new();
        let mut redactions = Vec::new();
        let mut out: Vec<String> = texts.iter().map(|t| t.to_string()).collect();
        for (kind, regex) in &self.rules {
            for text in out.iter_mut() {
                let replaced = regex.replace_all(text, |caps: &regex::Captures<'_>| {
                    let original = caps[0].to_string();
                    let key = (kind.clone(), original.to_lowercase());
                    if let Some(p) = seen.get(&key) {
                        return p.clone();
                    }
                    let n = counters.entry(kind.clone()).or_insert(0);
                    *n += 1;
                    let placeholder = format!("[{kind}_{n}]");
                    seen.insert(key, placeholder.clone());
                    redactions.push(Redaction {
                        placeholder: placeholder.clone(),
                        original,
                    });
                    placeholder
                });
                if let std::borrow::Cow::Owned(s) = replaced {
                    *text = s;
                }
            }
        }
        (out, redactions)
    }

    /// Masks one text (a model's output): every match becomes `[KIND]`.
    pub fn sanitise(&self, text: &str) -> String {
        let mut out = text.to_string();
        for (kind, regex) in &self.rules {
            if let std::borrow::Cow::Owned(s) = regex.replace_all(&out, format!("[{kind}]")) {
                out = s;
            }
        }
        out
    }
}

/// Puts the originals back into `text` (serving node only, for a client that asked for it).
pub fn restore(text: &str, redactions: &[Redaction]) -> String {
    let mut out = text.to_string();
    for r in redactions {
        out = out.replace(&r.placeholder, &r.original);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_builtin() -> PrivacyRules {
        PrivacyRules {
            builtin: BUILTIN.iter().map(|(k, _)| k.to_string()).collect(),
            ..Default::default()
        }
    }

    #[test]
    fn builtin_kinds_are_masked() {
        let r = Redactor::new(&all_builtin()).unwrap();
        let text = "Mail jane.doe@example.org or call +44 20 7946 0958; IBAN DE89 3704 0044 0532 \
                    0130 00, card 4111 1111 1111 1111, host 10.0.0.12.";
        let (out, red) = r.redact_all(&[text]);
        let out = &out[0];
        for secret in ["jane.doe@", "7946", "3704", "4111", "10.0.0.12"] {
            assert!(!out.contains(secret), "{secret} leaked: {out}");
        }
        for p in ["[EMAIL_1]", "[PHONE_1]", "[IBAN_1]", "[CARD_1]", "[IPV4_1]"] {
            assert!(out.contains(p), "{p} missing: {out}");
        }
        assert_eq!(red.len(), 5, "{red:?}");
    }

    #[test]
    fn the_same_value_gets_the_same_placeholder_across_messages() {
        let rules = PrivacyRules {
            names: vec!["Alice Smith".into(), "Bob".into()],
            builtin: vec!["email".into()],
            ..Default::default()
        };
        let r = Redactor::new(&rules).unwrap();
        let (out, red) = r.redact_all(&[
            "alice smith wrote to Bob at bob@x.io",
            "Did ALICE SMITH pay Bob? Bobby is someone else.",
        ]);
        assert_eq!(out[0], "[NAME_1] wrote to [NAME_2] at [EMAIL_1]");
        assert_eq!(out[1], "Did [NAME_1] pay [NAME_2]? Bobby is someone else.");
        assert_eq!(red.len(), 3);
        assert_eq!(
            restore("[NAME_2] paid [NAME_1]", &red),
            "Bob paid alice smith"
        );
    }

    #[test]
    fn operator_patterns_and_sanitising_outputs() {
        let rules = PrivacyRules {
            patterns: vec![NamedPattern {
                kind: "patient_id".into(),
                regex: r"\bPT-[0-9]{6}\b".into(),
            }],
            ..Default::default()
        };
        let r = Redactor::new(&rules).unwrap();
        assert_eq!(
            r.sanitise("The record PT-123456 belongs to PT-654321."),
            "The record [PATIENT_ID] belongs to [PATIENT_ID]."
        );
        assert_eq!(r.sanitise("nothing here"), "nothing here");
    }

    #[test]
    fn bad_rules_are_errors_that_name_them() {
        let bad = |rules: PrivacyRules| Redactor::new(&rules).unwrap_err().to_string();
        let e = bad(PrivacyRules {
            builtin: vec!["ssn".into()],
            ..Default::default()
        });
        assert!(e.contains("ssn"), "{e}");
        let e = bad(PrivacyRules {
            patterns: vec![NamedPattern {
                kind: "x".into(),
                regex: "(".into(),
            }],
            ..Default::default()
        });
        assert!(e.contains("`x`"), "{e}");
        let e = bad(PrivacyRules {
            patterns: vec![NamedPattern {
                kind: "any".into(),
                regex: "a*".into(),
            }],
            ..Default::default()
        });
        assert!(e.contains("empty string"), "{e}");
        let e = bad(PrivacyRules {
            patterns: vec![NamedPattern {
                kind: "no spaces".into(),
                regex: "a".into(),
            }],
            ..Default::default()
        });
        assert!(e.contains("letters"), "{e}");
    }
}

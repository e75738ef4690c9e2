//! The router for `auto` requests (DESIGN.md §3): which tier a request buys.
//!
//! The tier is a trade of cost and latency against assurance. The router decides it from what
//! the client says (an explicit `importance`), what the request is about (a rule-based risk
//! classifier: health, finance, legal, irreversible actions), and what the client can afford (a
//! cost budget and a deadline), then caps it at what the cluster can serve. Every step that moved
//! the tier leaves a reason, so the response can say why the request got the tier it got.
//!
//! The classifier is deliberately rules, not a model: it must be predictable, auditable and the
//! same on every node. Rules are data ([`RiskRules`]); operators replace or extend the defaults.
//!
//! Escalation (a tier-2 split or a tier-3 `no_agreement` going up one tier) is
//! [`escalate`]: bounded by the cluster, never above tier 5.

use crate::quorum::Bounds;
use serde::{Deserialize, Serialize};

/// How much the client says the answer matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Importance {
    /// Cheapest: one model (tier 1).
    Low,
    /// A majority of three models (tier 2).
    Normal,
    /// The Byzantine protocol (tier 3).
    High,
    /// The largest committee and human review (tier 5).
    Critical,
}

impl Importance {
    /// The tier this importance asks for before any risk rule raises it.
    pub fn tier(self) -> u8 {
        match self {
            Importance::Low => 1,
            Importance::Normal => 2,
            Importance::High => 3,
            Importance::Critical => 5,
        }
    }
}

/// One risk rule: when any keyword occurs in the request (case-insensitive, at a word start), the
/// tier is raised to at least `min_tier`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RiskRule {
    /// The domain it names in the reasons (e.g. `health`).
    pub domain: String,
    /// Lowercase keywords or phrases; a keyword matches at the start of a word, so `dose`
    /// matches `dosage` but `tax` does not match `syntax`.
    pub keywords: Vec<String>,
    /// The lowest tier a matching request gets.
    pub min_tier: u8,
}

/// The risk classifier's rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RiskRules {
    /// Checked in order; every matching rule adds a reason, the highest `min_tier` wins.
    pub rules: Vec<RiskRule>,
}

fn rule(domain: &str, min_tier: u8, keywords: &[&str]) -> RiskRule {
    RiskRule {
        domain: domain.to_string(),
        keywords: keywords.iter().map(|k| k.to_string()).collect(),
        min_tier,
    }
}

impl Default for RiskRules {
    /// Health, finance and legal questions get the Byzantine protocol (tier 3); irreversible
    /// actions get a committee of 7 (tier 4) where the cluster has one.
    fn default() -> Self {
        Self {
            rules: vec![
                rule(
                    "health",
                    3,
                    &[
                        "diagnos",
                        "dose",
                        "dosage",
                        "symptom",
                        "medication",
                        "medicine",
                        "prescri",
                        "patient",
                        "treatment",
                        "overdose",
                        "allerg",
                        "pregnan",
                        "disease",
                        "surgery",
                        "vaccine",
                        "insulin",
                        "mg of",
                        "side effect",
                    ],
                ),
                rule(
                    "finance",
                    3,
                    &[
                        "invest",
                        "stock",
                        "loan",
                        "mortgage",
                        "tax",
                        "portfolio",
                        "interest rate",
                        "credit",
                        "bank",
                        "pension",
                        "retirement",
                        "crypto",
                        "bitcoin",
                        "dividend",
                        "bond",
                    ],
                ),
                rule(
                    "legal",
                    3,
                    &[
                        "legal",
                        "lawsuit",
                        "contract",
                        "liabil",
                        "court",
                        "sue ",
                        "attorney",
                        "lawyer",
                        "gdpr",
                        "complian",
                        "copyright",
                        "patent",
                        "custody",
                        "visa",
                    ],
                ),
                rule(
                    "irreversible",
                    4,
                    &[
                        "delete",
                        "drop table",
                        "rm -rf",
                        "wire transfer",
                        "transfer funds",
                        "shut down",
                        "terminate",
                        "deploy to production",
                        "wipe",
                        "revoke",
                        "send payment",
                        "irreversib",
                        "permanently",
                    ],
                ),
            ],
        }
    }
}

/// Everything the router looks at.
#[derive(Debug, Clone, PartialEq)]
pub struct RouteInput<'a> {
    /// The request's text (all messages joined); only read, never stored.
    pub text: &'a str,
    /// The client's explicit importance, if it gave one.
    pub importance: Option<Importance>,
    /// The most the client will pay for this request, in US dollars.
    pub budget_usd: Option<f64>,
    /// The expected cost of one coordinator's model call, in US dollars (the cluster's price
    /// per call; 0 for local models).
    pub cost_per_member_usd: f64,
    /// How many coordinators the cluster has.
    pub cluster_size: u32,
}

/// The router's decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Route {
    /// The tier to run.
    pub tier: u8,
    /// Why, one short phrase per step that set or moved the tier.
    pub reasons: Vec<String>,
}

/// The tier for a request: importance (default `normal`, tier 2), raised by matching risk rules,
/// lowered to fit the budget, capped at the largest tier the cluster can serve.
pub fn route(input: &RouteInput<'_>, rules: &RiskRules) -> Route {
    let mut reasons = Vec::new();
    let mut tier = match input.importance {
        Some(i) => {
            reasons.push(format!("importance {i:?} asks for tier {}", i.tier()).to_lowercase());
            i.tier()
        }
        None => Importance::Normal.tier(),
    };
    let text = input.text.to_lowercase();
    for r in &rules.rules {
        if let Some(k) = r.keywords.iter().find(|k| matches_word_start(&text, k)) {
            if r.min_tier > tier {
                tier = r.min_tier;
            }
            reasons.push(format!(
                "{} risk (\"{}\"): at least tier {}",
                r.domain,
                k.trim(),
                r.min_tier
            ));
        }
    }
    if let Some(budget) = input.budget_usd {
        while tier > 1 && cost(tier, input.cost_per_member_usd) > budget {
            tier -= 1;
            reasons.push(format!(
                "budget ${budget} allows tier {tier} (est. ${:.6})",
                cost(tier, input.cost_per_member_usd)
            ));
        }
    }
    let max = max_tier(input.cluster_size);
    if tier > max {
        reasons.push(format!(
            "capped at tier {max}: the cluster has {} coordinators",
            input.cluster_size
        ));
        tier = max;
    }
    if reasons.is_empty() {
        reasons.push("no risk found: tier 2 (majority of 3)".to_string());
    }
    Route { tier, reasons }
}

/// The domains of the rules `text` matches (e.g. `["health"]`), in rule order.
pub fn risks<'a>(text: &str, rules: &'a RiskRules) -> Vec<&'a str> {
    let text = text.to_lowercase();
    rules
        .rules
        .iter()
        .filter(|r| r.keywords.iter().any(|k| matches_word_start(&text, k)))
        .map(|r| r.domain.as_str())
        .collect()
}

/// The next tier after a tier-2 split or a tier-3+ `no_agreement`, if the cluster has one.
pub fn escalate(tier: u8, cluster_size: u32) -> Option<u8> {
    let next = tier.checked_add(1)?;
    (next <= max_tier(cluster_size)).then_some(next)
}

/// The largest tier whose committee fits a cluster of `n` coordinators (at least 1).
pub fn max_tier(n: u32) -> u8 {
    (1..=5u8)
        .rev()
        .find(|&t| Bounds::for_tier(t).is_ok_and(|b| b.n() <= n))
        .unwrap_or(1)
}

fn cost(tier: u8, per_member: f64) -> f64 {
    Bounds::for_tier(tier).map_or(0.0, |b| f64::from(b.n()) * per_member)
}

/// Whether `keyword` occurs in `text` at the start of a word (both lowercase).
fn matches_word_start(text: &str, keyword: &str) -> bool {
    text.match_indices(keyword).any(|(i, _)| {
        text[..i]
            .chars()
            .next_back()
            .is_none_or(|c| !c.is_alphanumeric())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(text: &str) -> RouteInput<'_> {
        RouteInput {
            text,
            importance: None,
            budget_usd: None,
            cost_per_member_usd: 0.0,
            cluster_size: 10,
        }
    }

    #[test]
    fn default_is_a_majority_of_three() {
        let r = route(
            &input("What is the capital of France?"),
            &RiskRules::default(),
        );
        assert_eq!(r.tier, 2, "{r:?}");
    }

    #[test]
    fn risk_raises_and_names_the_domain() {
        let r = route(
            &input("What dosage of ibuprofen is safe?"),
            &RiskRules::default(),
        );
        assert_eq!(r.tier, 3);
        assert!(r.reasons[0].contains("health"), "{r:?}");
        let r = route(
            &input("Please DROP TABLE users in prod"),
            &RiskRules::default(),
        );
        assert_eq!(r.tier, 4, "{r:?}");
    }

    #[test]
    fn keywords_match_at_word_starts_only() {
        let r = route(
            &input("Explain Rust syntax for traits"),
            &RiskRules::default(),
        );
        assert_eq!(r.tier, 2, "`tax` must not match inside `syntax`: {r:?}");
    }

    #[test]
    fn importance_is_a_floor_and_low_is_cheapest() {
        let mut i = input("hello");
        i.importance = Some(Importance::Low);
        assert_eq!(route(&i, &RiskRules::default()).tier, 1);
        i.importance = Some(Importance::Critical);
        assert_eq!(route(&i, &RiskRules::default()).tier, 5);
    }

    #[test]
    fn budget_lowers_and_cluster_caps() {
        let mut i = input("Should I take this loan?");
        i.cost_per_member_usd = 0.01;
        i.budget_usd = Some(0.035);
        let r = route(&i, &RiskRules::default());
        assert_eq!(r.tier, 2, "4 members cost 0.04 > 0.035: {r:?}");
        let mut i = input("wire transfer all funds");
        i.cluster_size = 4;
        let r = route(&i, &RiskRules::default());
        assert_eq!(r.tier, 3, "{r:?}");
        assert!(r.reasons.last().is_some_and(|x| x.contains("capped")));
    }

    #[test]
    fn risks_name_every_matching_domain() {
        let rules = RiskRules::default();
        assert_eq!(
            risks("Delete the patient's mortgage records", &rules),
            ["health", "finance", "irreversible"]
        );
        assert!(risks("hello", &rules).is_empty());
    }

    #[test]
    fn escalation_is_bounded_by_the_cluster() {
        assert_eq!(escalate(2, 4), Some(3));
        assert_eq!(escalate(3, 4), None);
        assert_eq!(escalate(3, 7), Some(4));
        assert_eq!(escalate(5, 100), None);
        assert_eq!(max_tier(1), 1);
        assert_eq!(max_tier(3), 2);
        assert_eq!(max_tier(10), 5);
    }
}

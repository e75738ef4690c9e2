//! The router against a small labelled set of prompts (`testdata/router.json`): the tier a
//! careful operator would choose for each. The rules and most labels were written together, so
//! this is a regression check and a record of known misroutes, not an independent accuracy
//! measure; the misroutes are printed so a rule change shows what it fixes or breaks.

use byzvote_core::route::{RiskRules, RouteInput, route};

#[derive(serde::Deserialize)]
struct Labelled {
    prompt: String,
    tier: u8,
}

#[test]
fn router_matches_the_labelled_prompts() {
    let set: Vec<Labelled> = serde_json::from_str(include_str!("../../testdata/router.json"))
        .expect("router.json parses");
    let rules = RiskRules::default();
    let mut wrong = Vec::new();
    for l in &set {
        let r = route(
            &RouteInput {
                text: &l.prompt,
                importance: None,
                budget_usd: None,
                cost_per_member_usd: 0.0,
                cluster_size: 10,
            },
            &rules,
        );
        if r.tier != l.tier {
            wrong.push(format!(
                "{:?}: want tier {}, got {} ({:?})",
                l.prompt, l.tier, r.tier, r.reasons
            ));
        }
    }
    let right = set.len() - wrong.len();
    println!(
        "router: {right}/{} labelled prompts routed as labelled",
        set.len()
    );
    for w in &wrong {
        println!("  misrouted: {w}");
    }
    // Known misroutes today: a bank's history (false positive on "bank"), dizziness from "pills"
    // (no health keyword), "bonds of friendship" (false positive on "bond"). More means a rule
    // change broke something.
    assert!(
        wrong.len() <= 3,
        "{} misroutes (expected at most the 3 known ones):\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

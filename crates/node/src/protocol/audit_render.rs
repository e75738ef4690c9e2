//! Terminal rendering of a vote's [`Story`] and of the request list, for `byzvote audit`.
//!
//! Times are shown as UTC for the request, and as an offset from the request's block for
//! each later step, since the protocol's deadlines are measured in block time.

use super::{At, Check, Listed, Story};
use crate::protocol::audit_quick::QuickStep;
use byzvote_core::{Evidence, MemberId, OutcomeKind};
use std::fmt::Write as _;

/// The story as text, one section per protocol step.
pub fn story(s: &Story) -> String {
    if let Some(q) = &s.quick {
        let mut out = quick(s, q);
        charges(&mut out, s, None);
        return out;
    }
    let mut out = String::new();
    let t0 = s.submitted.as_ref().map(|r| r.at.timestamp_ms);
    let _ = writeln!(out, "vote {}", s.id);
    chain_line(&mut out, s);
    out.push_str("\nrequest\n");
    match &s.submitted {
        Some(r) => {
            let _ = writeln!(
                out,
                "  ordered in block {} at {} (entry {})",
                r.at.height,
                utc(r.at.timestamp_ms),
                r.at.seq
            );
            let _ = writeln!(
                out,
                "  mode {} · tier {} · max_tokens {} · client_nonce {}",
                r.mode, r.tier, r.max_tokens, r.client_nonce
            );
            for m in &r.messages {
                let role = serde_json::to_value(m.role)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default();
                let _ = writeln!(out, "  {role}: {}", one_line(&m.content, 200));
            }
        }
        None => out.push_str("  not in this log (its block was not applied here)\n"),
    }
    out.push_str("\ncommits\n");
    if s.commits.is_empty() {
        out.push_str("  none\n");
    }
    for c in &s.commits {
        let _ = writeln!(
            out,
            "  member {:<3} {}  signature {:<9}  commitment {}",
            c.member,
            when(&c.at, t0),
            check(c.signature),
            short(&c.commitment)
        );
    }
    out.push_str("\nreveals\n");
    if s.reveals.is_empty() {
        out.push_str("  none\n");
    }
    for r in &s.reveals {
        let _ = writeln!(
            out,
            "  member {:<3} {}  signature {:<9}  {}  answer {:?}",
            r.member,
            when(&r.at, t0),
            check(r.signature),
            if r.opens_commit {
                "opens its commit"
            } else {
                "DOES NOT open its commit"
            },
            one_line(&r.answer, 120)
        );
    }
    if !s.reports.is_empty() {
        out.push_str("\nmodel reports (each member's own claim)\n");
        for m in &s.reports {
            let _ = writeln!(
                out,
                "  member {:<3} {}  signature {:<9}  model {}  {} ms  tokens {}/{}  cost ${:.6}",
                m.member,
                when(&m.at, t0),
                check(m.signature),
                m.model,
                m.latency_ms,
                m.prompt_tokens,
                m.completion_tokens,
                m.cost_micro_usd as f64 / 1e6
            );
        }
    }
    charges(&mut out, s, t0);
    out.push_str("\nevidence\n");
    if s.evidence.is_empty() {
        out.push_str("  none\n");
    }
    for e in &s.evidence {
        let _ = writeln!(out, "  {}", evidence(e));
    }
    out.push_str("\ndecision\n");
    match &s.decision {
        Some(d) => {
            let outcome = match (&d.outcome, &d.answer) {
                (OutcomeKind::Agreed, Some(a)) => format!("agreed on {:?}", one_line(a, 200)),
                _ => "no agreement (no answer reached the quorum)".to_string(),
            };
            let _ = writeln!(
                out,
                "  {outcome}, at block {} (epoch {})",
                d.height, d.epoch
            );
            let _ = writeln!(out, "  committee {}", members(&d.committee));
            let _ = writeln!(out, "  agreed    {}", members(&d.supporters));
            let _ = writeln!(out, "  disagreed {}", members(&d.dissenters));
            let _ = writeln!(out, "  silent    {}", members(&d.silent));
        }
        None => out.push_str("  none certified in this log yet\n"),
    }
    out.push_str("\ncertificate\n");
    match &s.certificate {
        Some(c) => {
            let verdict = match c.verifies {
                Check::Valid => "verifies under the group key",
                Check::Invalid => "DOES NOT verify under the group key",
                Check::Unchecked => "not checked (no group key: no dkg.key next to the log)",
            };
            let _ = writeln!(
                out,
                "  entry {}: signature {}, {verdict}",
                c.seq,
                short(&c.signature)
            );
        }
        None => out.push_str("  none in this log\n"),
    }
    out
}

/// The request list, one line each.
pub fn list(items: &[Listed]) -> String {
    let mut out = String::new();
    if items.is_empty() {
        out.push_str("no requests in this audit log\n");
    }
    for l in items {
        let decision = match (&l.outcome, &l.answer) {
            (Some(OutcomeKind::Agreed), Some(a)) => format!("agreed {:?}", one_line(a, 40)),
            (Some(_), _) => "no agreement".to_string(),
            (None, _) => "undecided".to_string(),
        };
        let place = match l.at.height {
            0 => "quick       ".to_string(),
            h => format!("block {h:<6}"),
        };
        let _ = writeln!(
            out,
            "{}  {place} {}  {:<24}  {}",
            l.id,
            utc(l.at.timestamp_ms),
            decision,
            one_line(&l.prompt, 60)
        );
    }
    out
}

/// Whether the hash chain up to this vote is intact (a broken one warns before the story).
fn chain_line(out: &mut String, s: &Story) {
    match &s.chain_broken {
        None => out.push_str("audit chain: intact\n"),
        Some(why) => {
            let _ = writeln!(
                out,
                "audit chain: BROKEN ({why}); what follows may be altered"
            );
        }
    }
}

/// A quick-tier decision: no block and no certificate, the serving node's signed entry.
fn quick(s: &Story, q: &QuickStep) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "vote {} (quick tier: no consensus round)", s.id);
    chain_line(&mut out, s);
    out.push_str("\nrequest\n");
    let _ = writeln!(
        out,
        "  served by member {} at {} (entry {})",
        q.signer,
        utc(q.timestamp_ms),
        q.seq
    );
    if let Some(r) = &s.submitted {
        let _ = writeln!(
            out,
            "  mode {} · tier {} · max_tokens {} · client_nonce {}",
            r.mode, r.tier, r.max_tokens, r.client_nonce
        );
        for m in &r.messages {
            let _ = writeln!(out, "  {}: {}", role(m.role), one_line(&m.content, 200));
        }
    }
    out.push_str("\nanswers (each signed by its member, with its own report)\n");
    if q.answers.is_empty() {
        out.push_str("  none\n");
    }
    let mut total = 0u64;
    for a in &q.answers {
        total = total.saturating_add(a.cost_micro_usd);
        let _ = writeln!(
            out,
            "  member {:<3} signature {:<9}  model {}  {} ms  tokens {}/{}  cost ${:.6}  answer {:?}",
            a.member,
            check(a.signature),
            a.model,
            a.latency_ms,
            a.prompt_tokens,
            a.completion_tokens,
            a.cost_micro_usd as f64 / 1e6,
            one_line(&a.answer, 120)
        );
    }
    let _ = writeln!(out, "  total cost ${:.6}", total as f64 / 1e6);
    out.push_str("\ndecision\n");
    if let Some(d) = &s.decision {
        let outcome = match (&d.outcome, &d.answer) {
            (OutcomeKind::Agreed, Some(a)) => format!("agreed on {:?}", one_line(a, 200)),
            _ => "no agreement (no answer reached the majority)".to_string(),
        };
        let _ = writeln!(out, "  {outcome}");
        let _ = writeln!(out, "  committee {}", members(&d.committee));
        let _ = writeln!(out, "  agreed    {}", members(&d.supporters));
        let _ = writeln!(out, "  disagreed {}", members(&d.dissenters));
        let _ = writeln!(out, "  silent    {}", members(&d.silent));
    }
    out.push_str(
        "\nattestation (the serving node's identity signature; no threshold certificate)\n",
    );
    let verdict = match q.verifies {
        Check::Valid => "verifies under the serving node's identity key",
        Check::Invalid => "DOES NOT verify under the serving node's identity key",
        Check::Unchecked => "not checked (no cluster keys: no dkg.key next to the log)",
    };
    let _ = writeln!(out, "  signature {}, {verdict}", short(&q.signature));
    if let Some(p) = &q.problem {
        let _ = writeln!(out, "  PROBLEM: {p}");
    }
    out
}

fn role(r: byzvote_core::Role) -> String {
    serde_json::to_value(r)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn evidence(e: &Evidence) -> String {
    match e {
        Evidence::BadReveal { member, .. } => {
            format!("member {member}: FAULT, its reveal does not open its commit (not counted)")
        }
        Evidence::Equivocation {
            member,
            first,
            second,
            ..
        } => format!(
            "member {member}: FAULT, two different signed commits ({} stands, {} conflicts)",
            short(&hex::encode(first)),
            short(&hex::encode(second))
        ),
        Evidence::NeverRevealed { member, .. } => {
            format!("member {member}: absent, committed but never revealed before the decision")
        }
        Evidence::NeverCommitted { member, .. } => {
            format!("member {member}: absent, never committed")
        }
    }
}

fn check(c: Check) -> &'static str {
    match c {
        Check::Valid => "valid",
        Check::Invalid => "INVALID",
        Check::Unchecked => "unchecked",
    }
}

fn members(list: &[MemberId]) -> String {
    if list.is_empty() {
        return "-".to_string();
    }
    list.iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

fn when(at: &At, t0: Option<u64>) -> String {
    let offset = t0.map_or_else(
        || utc(at.timestamp_ms),
        |t0| {
            let d = at.timestamp_ms.saturating_sub(t0);
            format!("+{}.{:03}s", d / 1000, d % 1000)
        },
    );
    format!("block {:<6} {offset:>9}", at.height)
}

fn short(hex: &str) -> String {
    hex.chars().take(16).collect::<String>() + "…"
}

fn one_line(s: &str, max: usize) -> String {
    let flat: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if flat.chars().count() <= max {
        flat
    } else {
        flat.chars().take(max).collect::<String>() + "…"
    }
}

/// `YYYY-MM-DD HH:MM:SS.mmm UTC` from milliseconds since the Unix epoch (civil-from-days,
/// proleptic Gregorian), without a date library.
pub fn utc(ms: u64) -> String {
    let secs = ms / 1000;
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}.{:03} UTC",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        ms % 1000
    )
}

/// The ordered charges of the vote to client keys, if any.
fn charges(out: &mut String, s: &Story, t0: Option<u64>) {
    if s.charges.is_empty() {
        return;
    }
    out.push_str("\ncharges to client keys (each the signing node's claim)\n");
    for c in &s.charges {
        let _ = writeln!(
            out,
            "  member {:<3} {}  signature {:<9}  key {}…  cost ${:.6}",
            c.member,
            when(&c.at, t0),
            check(c.signature),
            &c.key[..c.key.len().min(16)],
            c.cost_micro_usd as f64 / 1e6
        );
    }
}

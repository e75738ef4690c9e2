//! Human-readable terminal output for `byzvote ask`, `byzvote verify` and `byzvote cluster`.
//!
//! The answer comes first (it is what the user asked for), then who voted how, then the outcome,
//! cost and latency, then a certificate summary that says how to check it offline.

use crate::{
    types::{ClusterInfo, MemberStatus, MemberVote, Outcome, VoteResponse, VoteStatus},
    verify::VerifiedDecision,
};
use std::fmt::Write as _;

/// Renders a vote's result for the terminal.
pub fn render_response(response: &VoteResponse) -> String {
    let mut out = String::new();
    match (response.status, response.outcome, &response.answer) {
        (VoteStatus::PendingReview, _, _) => {
            let _ = writeln!(
                out,
                "Held for human review ({}): no answer until a reviewer approves; poll vote {}.",
                response.review.as_ref().map_or("", |r| r.reason.as_str()),
                response.id
            );
        }
        (VoteStatus::Rejected, _, _) => match &response.verification {
            Some(v) if !v.passed => {
                let _ = writeln!(
                    out,
                    "Rejected by the verifier ({}): {}",
                    v.verifier, v.detail
                );
            }
            _ => {
                let _ = writeln!(
                    out,
                    "Rejected by a human reviewer: {}",
                    response
                        .review
                        .as_ref()
                        .and_then(|r| r.note.as_deref())
                        .unwrap_or("")
                );
            }
        },
        (VoteStatus::Pending, _, _) => {
            let _ = writeln!(
                out,
                "Pending: no decision yet for vote {}; ask again later.",
                response.id
            );
        }
        (_, Some(Outcome::Agreed), Some(answer)) => {
            let _ = writeln!(out, "{}", printable(answer));
        }
        _ => {
            let _ = writeln!(
                out,
                "No agreement: no answer reached the quorum, so there is no answer (never a guess)."
            );
        }
    }
    let _ = writeln!(out);
    out.push_str(&votes_table(&response.votes));
    let _ = writeln!(out);
    let agreed = response
        .votes
        .iter()
        .filter(|v| v.status == MemberStatus::Agreed)
        .count();
    let outcome = match response.outcome {
        Some(Outcome::Agreed) => "agreed",
        Some(Outcome::NoAgreement) => "no_agreement",
        None => "pending",
    };
    let _ = writeln!(
        out,
        "outcome      {outcome} ({agreed} of {} agreed), tier {}, mode {}",
        response.votes.len(),
        response.tier,
        response.mode
    );
    let _ = writeln!(
        out,
        "cost         ${:.6}, latency {} ms, id {}",
        response.cost_usd, response.latency_ms, response.id
    );
    if let Some(line) = response
        .certificate
        .as_ref()
        .and_then(|c| evidence(&c.record))
    {
        let _ = writeln!(out, "{line}");
    }
    match &response.certificate {
        Some(cert) => {
            let _ = writeln!(
                out,
                "certificate  BLS12-381 threshold (min-pk), group key {}..., signature {}...",
                prefix(&cert.group_public_key, 16),
                prefix(&cert.signature, 16)
            );
            let _ = writeln!(
                out,
                "verify with: byzvote verify FILE (save the response with --json > FILE)"
            );
        }
        None => match &response.attestation {
            Some(a) => {
                let _ = writeln!(
                    out,
                    "attestation  tier {}: signed by node {} ({}...) and by each member on its \
                     answer; no threshold certificate (ask tier 3+ for one)",
                    response.tier,
                    a.node,
                    prefix(&a.public_key, 16)
                );
            }
            None => {
                let _ = writeln!(out, "certificate  none (the vote is not certified yet)");
            }
        },
    }
    out
}

/// The second-stage evidence of a `semantic` or `pick-best` record, in one line.
fn evidence(record: &byzvote_core::DecisionRecord) -> Option<String> {
    if let Some(p) = &record.pick {
        let authors: Vec<String> = p.authors.iter().map(u32::to_string).collect();
        return Some(format!(
            "pick-best    candidate {} (written by member {}) won the ballot {}...",
            p.choice,
            authors.join(", "),
            prefix(&hex::encode(p.ballot), 16)
        ));
    }
    let cosines = record.cosines.as_ref()?;
    if cosines.is_empty() {
        return Some("semantic     no similarity evidence was finalized".to_string());
    }
    let shown: Vec<String> = cosines
        .iter()
        .map(|q| format!("{:.3}", f32::from(*q) / 10_000.0))
        .collect();
    Some(format!(
        "semantic     pairwise cosines of the members who answered: {}",
        shown.join(" ")
    ))
}

/// Renders a response whose certificate the client has checked ([`crate::consistency`]).
pub fn render_checked_response(
    response: &VoteResponse,
    verified: Option<&VerifiedDecision>,
) -> String {
    let mut out = render_response(response);
    if let Some(v) = verified {
        let pinned = if v.key_pinned {
            "the trusted key"
        } else {
            "the key the node named (pass --group-key to pin yours)"
        };
        let _ = writeln!(out, "checked      certificate valid here, under {pinned}");
    }
    out
}

/// The per-member table: member, model, status, class, latency, confidence.
fn votes_table(votes: &[MemberVote]) -> String {
    let header = ["member", "model", "status", "class", "latency", "conf"];
    let rows: Vec<[String; 6]> = votes
        .iter()
        .map(|v| {
            [
                format!("{} {}", v.member, v.name),
                format!("{}/{}", v.vendor, v.model),
                status_word(v.status).to_string(),
                v.class
                    .as_deref()
                    .map_or_else(|| "-".to_string(), |c| one_line(c, 40)),
                v.latency_ms
                    .map_or_else(|| "-".to_string(), |ms| format!("{ms} ms")),
                v.confidence
                    .map_or_else(|| "-".to_string(), |c| format!("{c:.2}")),
            ]
        })
        .collect();
    let mut widths = header.map(str::len);
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let line = |cells: &[String]| {
        let mut s = String::new();
        for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
            let pad = w.saturating_sub(cell.chars().count());
            s.push_str(cell);
            if i + 1 < cells.len() {
                s.push_str(&" ".repeat(pad + 2));
            }
        }
        s.trim_end().to_string()
    };
    let _ = writeln!(out, "{}", line(&header.map(String::from)));
    for row in &rows {
        let _ = writeln!(out, "{}", line(row));
    }
    out
}

fn status_word(status: MemberStatus) -> &'static str {
    match status {
        MemberStatus::Agreed => "agreed",
        MemberStatus::Disagreed => "disagreed",
        MemberStatus::Silent => "silent",
        MemberStatus::Invalid => "invalid",
    }
}

/// Renders a successful verification.
pub fn render_verified(verified: &VerifiedDecision) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "VALID certificate");
    let _ = writeln!(out, "group key  {}", verified.group_public_key);
    if !verified.key_pinned {
        let _ = writeln!(
            out,
            "warning    the group key was not compared with a trusted one; pass --group-key KEY \
             (from `byzvote up` or GET /v1/cluster) to check that it is your cluster's"
        );
    }
    out.push_str(&crate::record_view::summary(&verified.record));
    out
}

/// Renders a failed verification (the CLI then exits non-zero).
pub fn render_rejected(error: &crate::verify::VerifyError) -> String {
    format!("INVALID certificate: {error}\n")
}

/// Renders the cluster description.
pub fn render_cluster(info: &ClusterInfo) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "node       {}", info.node);
    let _ = writeln!(out, "group key  {}", info.group_public_key);
    let _ = writeln!(out, "members    {}", info.members.len());
    for m in &info.members {
        let _ = writeln!(
            out,
            "  {} {}  {}/{}  key {}...",
            m.index,
            m.name,
            m.vendor,
            m.model,
            prefix(&m.public_key, 16)
        );
    }
    out
}

fn prefix(s: &str, n: usize) -> &str {
    s.char_indices().nth(n).map_or(s, |(i, _)| &s[..i])
}

/// The text on one line, cut to `max` characters.
fn one_line(s: &str, max: usize) -> String {
    let flat: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if flat.chars().count() > max {
        let cut: String = flat.chars().take(max.saturating_sub(3)).collect();
        format!("{cut}...")
    } else {
        flat
    }
}

/// The text with control characters (terminal escape sequences) replaced, newlines and tabs kept:
/// an answer comes from models and must not be able to rewrite the user's terminal.
fn printable(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_control() && c != '\n' && c != '\t' {
                '\u{fffd}'
            } else {
                c
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{certificate, record};

    fn vote(i: u32, status: MemberStatus, class: Option<&str>) -> MemberVote {
        MemberVote {
            member: i,
            name: format!("node-{i}"),
            vendor: "builtin".into(),
            model: "tiny".into(),
            status,
            class: class.map(String::from),
            latency_ms: class.map(|_| 7),
            prompt_tokens: None,
            completion_tokens: None,
            cost_usd: 0.0,
            confidence: None,
        }
    }

    fn response(answer: Option<&str>) -> VoteResponse {
        VoteResponse {
            id: "ab".repeat(32),
            status: VoteStatus::Decided,
            outcome: Some(if answer.is_some() {
                Outcome::Agreed
            } else {
                Outcome::NoAgreement
            }),
            answer: answer.map(String::from),
            mode: "exact".into(),
            tier: 3,
            votes: vec![
                vote(0, MemberStatus::Agreed, Some("paris")),
                vote(1, MemberStatus::Agreed, Some("paris")),
                vote(2, MemberStatus::Disagreed, Some("lyon")),
                vote(3, MemberStatus::Silent, None),
            ],
            cost_usd: 0.0012,
            latency_ms: 15,
            certificate: Some(certificate(1, record("paris"))),
            confidence: None,
            attestation: None,
            route: None,
            masked: Default::default(),
            review: None,
            verification: None,
        }
    }

    #[test]
    fn answer_first_then_votes_outcome_cost_and_certificate() {
        let text = render_response(&response(Some("paris")));
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "paris");
        assert!(lines[2].starts_with("member"), "{text}");
        assert!(
            lines[5].contains("disagreed") && lines[5].contains("lyon"),
            "{text}"
        );
        assert!(
            lines[6].contains("silent") && lines[6].ends_with('-'),
            "{text}"
        );
        assert!(
            text.contains("outcome      agreed (2 of 4 agreed)"),
            "{text}"
        );
        assert!(text.contains("$0.001200"), "{text}");
        assert!(text.contains("verify with: byzvote verify FILE"), "{text}");
        let cert = certificate(1, record("paris"));
        let verified = crate::verify_certificate(&cert, None).unwrap();
        let checked = render_checked_response(&response(Some("paris")), Some(&verified));
        assert!(
            checked.ends_with("(pass --group-key to pin yours)\n"),
            "{checked}"
        );
    }

    #[test]
    fn no_agreement_is_never_shown_as_an_answer() {
        let text = render_response(&response(None));
        assert!(text.starts_with("No agreement"), "{text}");
        assert!(text.contains("no_agreement"), "{text}");
    }

    #[test]
    fn terminal_escapes_in_answers_are_neutralised() {
        let text = render_response(&response(Some("ok\u{1b}[2J\nsecond line")));
        assert!(!text.contains('\u{1b}'));
        assert!(text.starts_with("ok\u{fffd}[2J\nsecond line"), "{text}");
    }

    #[test]
    fn verified_certificate_shows_the_answer_and_warns_when_unpinned() {
        let cert = certificate(1, record("paris"));
        let verified = crate::verify_certificate(&cert, None).unwrap();
        let text = render_verified(&verified);
        assert!(text.starts_with("VALID certificate"), "{text}");
        assert!(text.contains("warning"), "{text}");
        assert!(
            text.lines().nth(3).unwrap_or("").starts_with("answer"),
            "{text}"
        );
        let pinned = crate::verify_certificate(&cert, Some(&cert.group_public_key)).unwrap();
        assert!(!render_verified(&pinned).contains("warning"));
    }
}

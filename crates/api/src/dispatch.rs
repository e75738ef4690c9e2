//! From a validated client request to a decided vote: tier choice (fixed, or the router for
//! `auto`), the client's deadline, and escalation after a split. Shared by the native API and
//! the OpenAI-compatible one, so both answer the same vote the same way.

use crate::{
    error::HttpError,
    keys::Caller,
    server::AppState,
    types::{Outcome, RouteInfo, TierChoice, VoteRequest, VoteResponse, VoteStatus},
};
use axum::http::StatusCode;
use byzvote_core::route::{RouteInput, escalate, route};
use std::time::Duration;

/// Runs `body` to a decision (or a pending answer) on the state's gateway.
///
/// With `tier: "auto"`, a decided `no_agreement` (a tier-2 split, or no quorum at tier 3+) is
/// asked again one tier up while the cluster has a larger tier; the response's `route` says
/// which tiers ran and why, and its `cost_usd` includes the escalated-from votes.
///
/// The vote's cost (all of it, escalations included) is charged to `caller`'s key budget, vote
/// by vote (each escalated-from vote under its own request id, so the cluster-wide ledger can
/// check each against the chain).
pub async fn vote(
    state: &AppState,
    caller: Option<&Caller>,
    mut body: VoteRequest,
) -> Result<VoteResponse, HttpError> {
    let (messages, _) = body.validate()?;
    let (messages, masked) = mask(state, &mut body, messages);
    // What the router, the review policy and the verifier read: the (masked) conversation.
    let text = messages
        .iter()
        .map(|m| m.content.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    let cluster = state.gateway.members() as u32;
    let (mut tier, mut info) = match body.tier {
        TierChoice::Fixed(t) => (t, None),
        TierChoice::Auto => {
            let r = route(
                &RouteInput {
                    text: &text,
                    importance: body.importance,
                    budget_usd: body.budget_usd,
                    cost_per_member_usd: state.config.router.cost_per_member_usd,
                    cluster_size: cluster,
                },
                &state.config.router.rules,
            );
            let (mut tier, mut reasons) = (r.tier, r.reasons);
            // Semantic votes are decided on similarities validators re-check, pick-best by a
            // second vote of the committee: consensus only.
            let mode = body.mode.trim().to_ascii_lowercase();
            if tier < 3 && (mode.starts_with("semantic") || mode == "pick-best") {
                tier = 3;
                reasons.push(format!("{mode} mode needs consensus: tier 3"));
            }
            let info = RouteInfo {
                tier,
                reasons,
                escalated_from: Vec::new(),
            };
            (tier, Some(info))
        }
    };
    let deadline = body
        .deadline_ms
        .map(Duration::from_millis)
        .map_or(state.config.vote_timeout, |d| {
            d.min(state.config.vote_timeout)
        });
    let mut earlier_cost = 0.0;
    let mut charges: Vec<(String, f64)> = Vec::new();
    loop {
        if let Some(refusal) = state.config.review.as_ref().and_then(|q| q.refuse(tier)) {
            return Err(refusal);
        }
        let request = body.clone().into_request(tier)?;
        let id = hex::encode(request.id());
        let mut response = tokio::time::timeout(deadline, state.gateway.submit(request))
            .await
            .map_err(|_| timeout(&id, deadline))??;
        let split = response.status == VoteStatus::Decided
            && response.outcome == Some(Outcome::NoAgreement);
        let unsure = match (state.config.router.confidence_floor, response.confidence) {
            (Some(floor), Some(c))
                if response.outcome == Some(Outcome::Agreed) && c.min < floor =>
            {
                Some(format!(
                    "tier {tier}: the agreeing models' lowest confidence {:.2} is below the floor {floor:.2}",
                    c.min
                ))
            }
            _ => None,
        };
        if let Some(i) = info.as_mut()
            && (split || unsure.is_some())
            && let Some(next) = escalate(tier, cluster)
        {
            i.reasons.extend(unsure);
            i.escalated_from.push(tier);
            earlier_cost += response.cost_usd;
            charges.push((response.id.clone(), response.cost_usd));
            tier = next;
            continue;
        }
        charges.push((response.id.clone(), response.cost_usd));
        response.cost_usd += earlier_cost;
        response.route = info;
        response.masked = masked;
        if let Some(verifier) = &state.config.verifier {
            response = verifier.apply(&text, response).await;
            if let Some(v) = &response.verification {
                state.gateway.verdict(&response.id, v.passed, &v.verifier);
            }
        }
        if let Some(queue) = &state.config.review {
            let risks = byzvote_core::route::risks(&text, &state.config.router.rules);
            if let Some(reason) = queue.reason(&response, &risks) {
                response = queue.hold(response, reason)?;
            }
        }
        if let (Some(keys), Some(caller)) = (&state.config.keys, caller) {
            for (id, cost) in &charges {
                keys.charge_vote(caller, id, *cost);
            }
        }
        return Ok(response);
    }
}

/// Applies the node's privacy rules to the request's messages (and puts the masked ones in
/// `body`, whatever form the client used); returns them with placeholder → original for the
/// client's reply.
fn mask(
    state: &AppState,
    body: &mut VoteRequest,
    messages: Vec<crate::types::Message>,
) -> (
    Vec<crate::types::Message>,
    std::collections::BTreeMap<String, String>,
) {
    let Some(redactor) = state.config.privacy.as_ref().filter(|r| !r.is_empty()) else {
        return (messages, Default::default());
    };
    let texts: Vec<&str> = messages.iter().map(|m| m.content.as_str()).collect();
    let (contents, redactions) = redactor.redact_all(&texts);
    let masked: Vec<crate::types::Message> = messages
        .iter()
        .zip(contents)
        .map(|(m, content)| crate::types::Message {
            role: m.role,
            content,
        })
        .collect();
    body.prompt = None;
    body.messages = Some(masked.clone());
    let map = redactions
        .into_iter()
        .map(|r| (r.placeholder, r.original))
        .collect();
    (masked, map)
}

fn timeout(id: &str, deadline: Duration) -> HttpError {
    HttpError::new(
        StatusCode::GATEWAY_TIMEOUT,
        "timeout_error",
        "deadline_exceeded",
        format!(
            "no decision within {deadline:?}; the vote goes on: poll GET /v1/votes/{id}, or retry \
             with the same request (and client_nonce) to wait again"
        ),
    )
}

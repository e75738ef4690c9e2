//! OpenAI request → byzvote [`VoteRequest`], and a decided [`VoteResponse`] → OpenAI answer.

use super::types::{
    AssistantMessage, ChatCompletion, ChatRequest, Choice, Chunk, ChunkChoice, Content, Delta,
    Usage,
};
use crate::{
    error::HttpError,
    types::{Message, Outcome, Role, TierChoice, VoteRequest, VoteResponse, VoteStatus},
};
use axum::http::StatusCode;

/// The `model` names byzvote serves, in `/v1/models` order.
pub const MODELS: [&str; 7] = [
    "byzvote",
    "byzvote-auto",
    "byzvote-tier1",
    "byzvote-tier2",
    "byzvote-tier3",
    "byzvote-tier4",
    "byzvote-tier5",
];

/// The tier a `model` name selects.
pub fn tier_of(model: &str) -> Result<TierChoice, HttpError> {
    match model {
        "byzvote" => Ok(TierChoice::Fixed(3)),
        "byzvote-auto" => Ok(TierChoice::Auto),
        m => m
            .strip_prefix("byzvote-tier")
            .and_then(|t| t.parse::<u8>().ok())
            .filter(|t| (1..=5).contains(t))
            .map(TierChoice::Fixed)
            .ok_or_else(|| {
                HttpError::new(
                    StatusCode::NOT_FOUND,
                    "invalid_request_error",
                    "model_not_found",
                    format!(
                        "the model `{m}` does not exist here; use byzvote-tier1 … byzvote-tier5 \
                         (the assurance tier), byzvote-auto (the router chooses) or byzvote \
                         (tier 3); GET /v1/models lists them"
                    ),
                )
                .with_param("model")
            }),
    }
}

fn unsupported(param: &str, message: String) -> HttpError {
    HttpError::unprocessable("unsupported_parameter", message).with_param(param)
}

/// The vote an OpenAI request asks for; refuses what byzvote cannot honour.
pub fn to_vote(req: &ChatRequest) -> Result<VoteRequest, HttpError> {
    let tier = tier_of(&req.model)?;
    if let Some(n) = req.n.filter(|&n| n != 1) {
        return Err(unsupported(
            "n",
            format!("`n` is {n}; byzvote returns one agreed answer, so `n` must be 1 or absent"),
        ));
    }
    if req
        .tools
        .as_ref()
        .is_some_and(|t| !t.is_null() && t.as_array().is_none_or(|a| !a.is_empty()))
    {
        return Err(unsupported(
            "tools",
            "tool calling is not voted on; send the question without `tools`".into(),
        ));
    }
    if req.logprobs == Some(true) {
        return Err(unsupported(
            "logprobs",
            "an agreed answer has no token log-probabilities; leave `logprobs` out".into(),
        ));
    }
    let mut messages = Vec::with_capacity(req.messages.len());
    for (i, m) in req.messages.iter().enumerate() {
        let role = match m.role.as_str() {
            "system" | "developer" => Role::System,
            "user" => Role::User,
            "assistant" => Role::Assistant,
            other => {
                return Err(unsupported(
                    &format!("messages[{i}].role"),
                    format!(
                        "role `{other}` is not supported; use system, developer, user or assistant"
                    ),
                ));
            }
        };
        let content = match &m.content {
            None => {
                return Err(unsupported(
                    &format!("messages[{i}].content"),
                    format!("`messages[{i}].content` is null; every message needs text"),
                ));
            }
            Some(Content::Text(t)) => t.clone(),
            Some(Content::Parts(parts)) => {
                let mut text = Vec::with_capacity(parts.len());
                for (j, p) in parts.iter().enumerate() {
                    match (p.kind.as_str(), &p.text) {
                        ("text", Some(t)) => text.push(t.as_str()),
                        (kind, _) => {
                            return Err(unsupported(
                                &format!("messages[{i}].content[{j}]"),
                                format!(
                                    "content part of type `{kind}` is not supported; send text \
                                     parts (`{{\"type\": \"text\", \"text\": ...}}`)"
                                ),
                            ));
                        }
                    }
                }
                text.join("\n")
            }
        };
        messages.push(Message { role, content });
    }
    let options = req.byzvote.clone().unwrap_or_default();
    let json = req
        .response_format
        .as_ref()
        .is_some_and(|f| f.kind == "json_object" || f.kind == "json_schema");
    let mode = options
        .mode
        .unwrap_or_else(|| if json { "json" } else { "exact" }.to_string());
    Ok(VoteRequest {
        messages: Some(messages),
        prompt: None,
        mode,
        tier,
        importance: options.importance,
        budget_usd: options.budget_usd,
        deadline_ms: options.deadline_ms,
        max_tokens: req.max_completion_tokens.or(req.max_tokens),
        client_nonce: options.client_nonce,
    })
}

/// What the assistant says: the agreed answer, or a refusal naming the split.
fn say(vote: &VoteResponse) -> (Option<String>, Option<String>) {
    let reason = vote.review.as_ref().map_or("", |r| r.reason.as_str());
    match (vote.status, vote.outcome, &vote.answer) {
        (VoteStatus::PendingReview, _, _) => (
            None,
            Some(format!(
                "held for human review ({reason}); poll GET /v1/votes/{} for the verdict",
                vote.id
            )),
        ),
        (VoteStatus::Rejected, _, _) => (
            None,
            Some(format!(
                "a human reviewer rejected the answer: {}",
                vote.review
                    .as_ref()
                    .and_then(|r| r.note.as_deref())
                    .unwrap_or("")
            )),
        ),
        (_, Some(Outcome::Agreed), Some(a)) => (Some(a.clone()), None),
        _ => {
            let agreed = vote.votes.iter().filter(|v| v.class.is_some()).count();
            (
                None,
                Some(format!(
                    "no agreement: the {} coordinators did not reach a quorum on one answer \
                     ({agreed} revealed one); see `byzvote.votes`. Escalate the tier or review.",
                    vote.votes.len()
                )),
            )
        }
    }
}

fn usage(vote: &VoteResponse) -> Usage {
    let prompt: u64 = vote.votes.iter().filter_map(|v| v.prompt_tokens).sum();
    let completion: u64 = vote.votes.iter().filter_map(|v| v.completion_tokens).sum();
    Usage {
        prompt_tokens: prompt,
        completion_tokens: completion,
        total_tokens: prompt + completion,
    }
}

/// The `chat.completion` for a decided vote.
pub fn completion(model: &str, created: u64, vote: VoteResponse) -> ChatCompletion {
    let (content, refusal) = say(&vote);
    ChatCompletion {
        id: format!("chatcmpl-{}", vote.id),
        object: "chat.completion".into(),
        created,
        model: model.to_string(),
        choices: vec![Choice {
            index: 0,
            message: AssistantMessage {
                role: "assistant".into(),
                content,
                refusal,
            },
            finish_reason: "stop".into(),
            logprobs: None,
        }],
        usage: usage(&vote),
        byzvote: vote,
    }
}

/// The chunks of a streamed answer, in order: the role, the answer (or refusal), the finish
/// (with the vote and its certificate unless a usage chunk follows), the usage if asked for.
pub fn chunks(model: &str, created: u64, vote: VoteResponse, include_usage: bool) -> Vec<Chunk> {
    let (content, refusal) = say(&vote);
    let chunk = |delta: Delta, finish: Option<&str>| Chunk {
        id: format!("chatcmpl-{}", vote.id),
        object: "chat.completion.chunk".into(),
        created,
        model: model.to_string(),
        choices: vec![ChunkChoice {
            index: 0,
            delta,
            finish_reason: finish.map(str::to_string),
        }],
        usage: None,
        byzvote: None,
    };
    let mut out = vec![
        chunk(
            Delta {
                role: Some("assistant".into()),
                content: Some(String::new()),
                refusal: None,
            },
            None,
        ),
        chunk(
            Delta {
                role: None,
                content,
                refusal,
            },
            None,
        ),
        chunk(Delta::default(), Some("stop")),
    ];
    if include_usage {
        let mut last = chunk(Delta::default(), None);
        last.choices.clear();
        last.usage = Some(usage(&vote));
        out.push(last);
    }
    if let Some(last) = out.last_mut() {
        last.byzvote = Some(vote);
    }
    out
}

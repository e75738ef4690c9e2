//! What a coordinator's model is asked: a system hint naming the answer format the mode
//! expects, then the request's conversation. One function, so the full protocol and the quick
//! tiers ask every model the same way.

use byzvote_core::{Mode, Request};
use byzvote_models::Prompt;

/// The prompt for `request`: deterministic decoding, the request's token cap.
pub fn prompt(request: &Request) -> Prompt {
    let hint = match &request.mode {
        Mode::Exact => "Answer as briefly as possible.".to_string(),
        Mode::Class { labels } => format!("Answer with exactly one of: {}.", labels.join(", ")),
        Mode::Number { .. } | Mode::NumberAggregate { .. } => {
            "Answer with a number only.".to_string()
        }
        Mode::Json => "Answer with JSON only.".to_string(),
        Mode::Vector { .. } => {
            "Answer with a JSON array of numbers only, e.g. [0.5, 2, -1].".to_string()
        }
        Mode::Semantic(_) => "Answer in one short sentence.".to_string(),
        Mode::PickBest => "Answer briefly and precisely.".to_string(),
    };
    let mut messages = vec![byzvote_models::Message {
        role: byzvote_models::Role::System,
        content: hint,
    }];
    messages.extend(request.messages.iter().map(|m| byzvote_models::Message {
        role: match m.role {
            byzvote_core::Role::System => byzvote_models::Role::System,
            byzvote_core::Role::User => byzvote_models::Role::User,
            byzvote_core::Role::Assistant => byzvote_models::Role::Assistant,
        },
        content: m.content.clone(),
    }));
    Prompt {
        messages,
        max_tokens: request.max_tokens,
        deterministic: true,
        seed: 0,
    }
}

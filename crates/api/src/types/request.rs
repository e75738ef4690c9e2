//! What a client sends: [`VoteRequest`], validated into a `byzvote_core::Request`.
//!
//! The JSON is forgiving where a user expects it (`prompt` as a shortcut for one user message,
//! defaults for `mode` and `tier`) and strict where a typo would silently change the meaning
//! (unknown fields are rejected, so `"mdoe": "json"` is an error, not an `exact` vote).

use super::TierChoice;
use crate::core_types::{CoreRequestError, MAX_TOKENS, Mode, ModeError};
use byzvote_core::route::Importance;
use serde::{Deserialize, Serialize};
use thiserror::Error;

pub use crate::core_types::{Message, Role};

/// `max_tokens` when the request does not say: enough for a paragraph, well under the cap.
pub const DEFAULT_MAX_TOKENS: u32 = 1024;

/// The tiers a request may ask for (DESIGN.md §3).
pub const TIERS: std::ops::RangeInclusive<u8> = 1..=5;

/// The body of `POST /v1/votes`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VoteRequest {
    /// The conversation, OpenAI style: `[{"role": "system"|"user"|"assistant", "content": "..."}]`.
    /// Give either this or `prompt`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub messages: Option<Vec<Message>>,
    /// A single user message; shorthand for `messages: [{"role": "user", "content": prompt}]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt: Option<String>,
    /// How answers are compared: `exact` (default), `class:a,b,c`, `number:P`, `json`; or, for
    /// numeric answers decided by a Byzantine-robust aggregate instead of a class vote,
    /// `number:P:RULE` (e.g. `number:2:median`) or `vector[:RULE]` (e.g. `vector:krum`; plain
    /// `vector` is `vector:median`). RULE is `median`, `trimmed-mean`, `krum`, `multi-krum`,
    /// `bulyan`, `geometric-median`, `centered-clipping` or `cgc`. The rule rides in the mode
    /// string (no separate field), so the mode alone names how the answer was decided, in the
    /// request id and in the certified record alike. `semantic[:THRESHOLD]` (e.g.
    /// `semantic:0.8`; tier 3 or higher) compares free-text answers by meaning: the answer is
    /// the winning group's most central text, and the record carries the pairwise cosines.
    /// `pick-best` (tier 3 or higher): the committee writes candidates, then votes for the best
    /// by number in a second, exact vote; the answer is the winning candidate's text.
    #[serde(default = "default_mode")]
    pub mode: String,
    /// The assurance tier, 1 to 5 (default 3: a committee of 4 tolerating 1 faulty member), or
    /// `"auto"`: the router chooses from `importance`, the risk rules, `budget_usd` and the
    /// cluster, and escalates one tier after a split.
    #[serde(default)]
    pub tier: TierChoice,
    /// How much the answer matters, for `tier: "auto"`: `low` (1 model), `normal` (majority of
    /// 3), `high` (Byzantine committee of 4), `critical` (largest committee).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub importance: Option<Importance>,
    /// The most this request may cost in US dollars, for `tier: "auto"` (the router lowers the
    /// tier to fit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget_usd: Option<f64>,
    /// How long the client waits for the decision, in milliseconds; after it the answer is a 504
    /// naming the vote id to poll (the vote itself goes on).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline_ms: Option<u64>,
    /// The most tokens each model may generate, 1 to 4096; 1024 when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u32>,
    /// A client-chosen number that makes two otherwise identical requests distinct votes (the
    /// request id is a digest of the request); the same nonce again names the same vote.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_nonce: Option<u64>,
}

fn default_mode() -> String {
    "exact".to_string()
}

impl VoteRequest {
    /// A request with one user message and the defaults (`exact`, tier 3).
    pub fn prompt(prompt: impl Into<String>) -> Self {
        Self {
            messages: None,
            prompt: Some(prompt.into()),
            mode: default_mode(),
            tier: TierChoice::default(),
            importance: None,
            budget_usd: None,
            deadline_ms: None,
            max_tokens: None,
            client_nonce: None,
        }
    }
}

/// Why a request was refused; each names the field and says what to send instead.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RequestError {
    /// Neither `prompt` nor `messages`.
    #[error(
        "the request has no question: send `prompt` (a string) or `messages` (a list of {{\"role\", \"content\"}})"
    )]
    MissingPrompt,
    /// Both `prompt` and `messages`.
    #[error("send either `prompt` or `messages`, not both")]
    PromptAndMessages,
    /// `prompt` is empty or only whitespace.
    #[error("`prompt` is empty; write the question to vote on")]
    EmptyPrompt,
    /// `messages` is an empty list.
    #[error("`messages` is empty; it needs at least one message with role `user`")]
    EmptyMessages,
    /// One message's content is empty.
    #[error("`messages[{0}].content` is empty")]
    EmptyMessage(usize),
    /// No user message.
    #[error("`messages` has no message with role `user`; add the question as a user message")]
    NoUserMessage,
    /// The mode string is not a known mode.
    #[error("invalid `mode`: {0}")]
    Mode(#[from] ModeError),
    /// The tier is outside 1..=5.
    #[error(
        "`tier` must be from 1 to 5 or \"auto\" (3 is the default: 4 coordinators, 1 may fail), got {0}"
    )]
    Tier(u8),
    /// `budget_usd` is negative or not a number.
    #[error("`budget_usd` must be a non-negative number of US dollars")]
    Budget,
    /// `deadline_ms` is 0.
    #[error("`deadline_ms` must be at least 1 (or left out to wait for the node's deadline)")]
    Deadline,
    /// `max_tokens` is 0.
    #[error("`max_tokens` must be at least 1 (or left out for the node's default)")]
    ZeroMaxTokens,
    /// `max_tokens` is above the cap.
    #[error("`max_tokens` is {0}; use a value from 1 to {MAX_TOKENS}")]
    MaxTokensTooLarge(u32),
    /// `byzvote-core` refused the request (too many or too long messages...).
    #[error("invalid request: {0}")]
    Core(CoreRequestError),
}

impl RequestError {
    /// The request field at fault, for the error body's `param`.
    pub fn param(&self) -> Option<&'static str> {
        Some(match self {
            RequestError::MissingPrompt | RequestError::EmptyPrompt => "prompt",
            RequestError::PromptAndMessages
            | RequestError::EmptyMessages
            | RequestError::EmptyMessage(_)
            | RequestError::NoUserMessage => "messages",
            RequestError::Mode(_) => "mode",
            RequestError::Tier(_) => "tier",
            RequestError::Budget => "budget_usd",
            RequestError::Deadline => "deadline_ms",
            RequestError::ZeroMaxTokens | RequestError::MaxTokensTooLarge(_) => "max_tokens",
            RequestError::Core(
                CoreRequestError::NoMessages
                | CoreRequestError::TooManyMessages(_)
                | CoreRequestError::EmptyContent(_)
                | CoreRequestError::ContentTooLong { .. },
            ) => "messages",
            RequestError::Core(CoreRequestError::BadTier(_)) => "tier",
            RequestError::Core(CoreRequestError::BadMaxTokens(_)) => "max_tokens",
            RequestError::Core(CoreRequestError::Mode(_)) => "mode",
        })
    }

    /// The stable error code.
    pub fn code(&self) -> &'static str {
        match self {
            RequestError::MissingPrompt => "missing_prompt",
            RequestError::PromptAndMessages => "prompt_and_messages",
            RequestError::EmptyPrompt
            | RequestError::EmptyMessages
            | RequestError::EmptyMessage(_) => "empty_prompt",
            RequestError::NoUserMessage => "no_user_message",
            RequestError::Mode(_) => "unknown_mode",
            RequestError::Tier(_) => "invalid_tier",
            RequestError::Budget => "invalid_budget",
            RequestError::Deadline => "invalid_deadline",
            RequestError::ZeroMaxTokens | RequestError::MaxTokensTooLarge(_) => {
                "invalid_max_tokens"
            }
            RequestError::Core(_) => "invalid_request",
        }
    }
}

impl From<RequestError> for crate::error::HttpError {
    fn from(e: RequestError) -> Self {
        let err = crate::error::HttpError::unprocessable(e.code(), e.to_string());
        match e.param() {
            Some(p) => err.with_param(p),
            None => err,
        }
    }
}

impl VoteRequest {
    /// Validates the request into the messages and mode the protocol votes on.
    pub fn validate(&self) -> Result<(Vec<Message>, Mode), RequestError> {
        let messages = match (&self.prompt, &self.messages) {
            (None, None) => return Err(RequestError::MissingPrompt),
            (Some(_), Some(_)) => return Err(RequestError::PromptAndMessages),
            (Some(p), None) if p.trim().is_empty() => return Err(RequestError::EmptyPrompt),
            (Some(p), None) => vec![Message {
                role: Role::User,
                content: p.clone(),
            }],
            (None, Some(m)) if m.is_empty() => return Err(RequestError::EmptyMessages),
            (None, Some(m)) => {
                if let Some(i) = m.iter().position(|m| m.content.trim().is_empty()) {
                    return Err(RequestError::EmptyMessage(i));
                }
                if !m.iter().any(|m| m.role == Role::User) {
                    return Err(RequestError::NoUserMessage);
                }
                m.clone()
            }
        };
        let mode: Mode = self.mode.parse()?;
        if let TierChoice::Fixed(t) = self.tier
            && !TIERS.contains(&t)
        {
            return Err(RequestError::Tier(t));
        }
        if self
            .budget_usd
            .is_some_and(|b| !(b >= 0.0 && b.is_finite()))
        {
            return Err(RequestError::Budget);
        }
        if self.deadline_ms == Some(0) {
            return Err(RequestError::Deadline);
        }
        match self.max_tokens {
            Some(0) => return Err(RequestError::ZeroMaxTokens),
            Some(n) if n > MAX_TOKENS => return Err(RequestError::MaxTokensTooLarge(n)),
            _ => {}
        }
        Ok((messages, mode))
    }

    /// Validates and converts into the protocol's request at `tier` (the fixed tier, or the
    /// one the router chose for `auto`).
    pub fn into_request(self, tier: u8) -> Result<crate::core_types::Request, RequestError> {
        let (messages, mode) = self.validate()?;
        if !TIERS.contains(&tier) {
            return Err(RequestError::Tier(tier));
        }
        crate::core_types::Request::new(
            messages,
            mode,
            tier,
            self.max_tokens.unwrap_or(DEFAULT_MAX_TOKENS),
            self.client_nonce.unwrap_or(0),
        )
        .map_err(RequestError::Core)
    }
}

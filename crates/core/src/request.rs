//! The client's request, as it is ordered in a block and voted on.
//!
//! A request is validated when it enters the system ([`Request::validate`]) and again whenever it
//! is decoded from the wire, so an invalid request can never reach a committee.
//!
//! **Encoding** (commonware-codec; varint = LEB128 of a `u32`; integers big-endian):
//!
//! ```text
//! varint message_count (1..=64)
//! per message: u8 role (0 system, 1 user, 2 assistant) ‖ varint len (1..=65536) ‖ UTF-8 content
//! mode (see crate::mode)
//! u8 tier ‖ u32 max_tokens ‖ u64 client_nonce
//! ```
//!
//! The request id is `sha256(BYZVOTE_REQUEST ‖ encoding)`: it names the vote everywhere
//! (commits, reveals, evidence, the decision record).

use crate::{
    mode::Mode,
    namespace::BYZVOTE_REQUEST,
    wire::{read_str, str_size, write_str},
};
use bytes::BufMut;
use commonware_codec::{Buf, Encode, EncodeSize, Error, RangeCfg, Read, ReadExt, Write};
use commonware_cryptography::{Hasher, Sha256, sha256::Digest};
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Most messages in one request.
pub const MAX_MESSAGES: usize = 64;
/// Longest message content, in bytes.
pub const MAX_CONTENT: usize = 64 * 1024;
/// Largest `max_tokens`.
pub const MAX_TOKENS: u32 = 4096;

/// Who wrote a message (OpenAI chat roles).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Instructions for the model.
    System,
    /// The user's turn.
    User,
    /// A previous model turn.
    Assistant,
}

/// One chat message; serialises like an OpenAI chat message (`{"role":"user","content":"…"}`).
/// Unknown fields are refused, so a typo (`"contnet"`) is an error, not a silently empty field.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Message {
    /// Author.
    pub role: Role,
    /// Text.
    pub content: String,
}

impl Message {
    /// A user message.
    pub fn user(content: impl Into<String>) -> Self {
        Self {
            role: Role::User,
            content: content.into(),
        }
    }

    /// An assistant message.
    pub fn assistant(content: impl Into<String>) -> Self {
        Self {
            role: Role::Assistant,
            content: content.into(),
        }
    }

    /// A system message.
    pub fn system(content: impl Into<String>) -> Self {
        Self {
            role: Role::System,
            content: content.into(),
        }
    }
}

/// A request to be voted on.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Request {
    /// The conversation to answer.
    pub messages: Vec<Message>,
    /// How answers are compared.
    pub mode: Mode,
    /// Assurance tier, 1..=5 (DESIGN §3).
    pub tier: u8,
    /// Token budget per model call, 1..=4096.
    pub max_tokens: u32,
    /// Chosen by the client so that two identical questions are two different requests.
    pub client_nonce: u64,
}

/// Why a request was refused. Messages say what to change.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RequestError {
    /// No messages.
    #[error("the request has no messages; send at least one user message")]
    NoMessages,
    /// Too many messages.
    #[error("the request has {0} messages; at most {MAX_MESSAGES} are allowed")]
    TooManyMessages(usize),
    /// A message with empty content.
    #[error("message {0} has empty content; remove it or give it text")]
    EmptyContent(usize),
    /// A message that is too long.
    #[error("message {index} is {len} bytes; at most {MAX_CONTENT} are allowed")]
    ContentTooLong {
        /// Which message.
        index: usize,
        /// Its length in bytes.
        len: usize,
    },
    /// Tier outside 1..=5.
    #[error("tier {0} does not exist; use a tier from 1 to 5")]
    BadTier(u8),
    /// max_tokens outside 1..=4096.
    #[error("max_tokens is {0}; use a value from 1 to {MAX_TOKENS}")]
    BadMaxTokens(u32),
    /// The mode is invalid.
    #[error("invalid mode: {0}")]
    Mode(#[from] crate::mode::ModeError),
}

impl Request {
    /// Builds and validates a request.
    pub fn new(
        messages: Vec<Message>,
        mode: Mode,
        tier: u8,
        max_tokens: u32,
        client_nonce: u64,
    ) -> Result<Self, RequestError> {
        let request = Self {
            messages,
            mode,
            tier,
            max_tokens,
            client_nonce,
        };
        request.validate()?;
        Ok(request)
    }

    /// Checks every field; the error says what to fix.
    pub fn validate(&self) -> Result<(), RequestError> {
        if self.messages.is_empty() {
            return Err(RequestError::NoMessages);
        }
        if self.messages.len() > MAX_MESSAGES {
            return Err(RequestError::TooManyMessages(self.messages.len()));
        }
        for (index, m) in self.messages.iter().enumerate() {
            if m.content.trim().is_empty() {
                return Err(RequestError::EmptyContent(index));
            }
            if m.content.len() > MAX_CONTENT {
                return Err(RequestError::ContentTooLong {
                    index,
                    len: m.content.len(),
                });
            }
        }
        if !(1..=5).contains(&self.tier) {
            return Err(RequestError::BadTier(self.tier));
        }
        if !(1..=MAX_TOKENS).contains(&self.max_tokens) {
            return Err(RequestError::BadMaxTokens(self.max_tokens));
        }
        self.mode.validate()?;
        self.check_rule_fits_tier()?;
        if matches!(self.mode, Mode::Semantic(_)) && self.tier < 3 {
            return Err(crate::mode::ModeError::SemanticNeedsConsensus(self.tier).into());
        }
        if self.mode == Mode::PickBest && self.tier < 3 {
            return Err(crate::mode::ModeError::PickBestNeedsConsensus(self.tier).into());
        }
        Ok(())
    }

    /// A robust mode whose rule can never meet its requirement with this tier's committee
    /// (e.g. Krum, `n >= 2f+3`, at tier 3: 4 members, f = 1) would always end in
    /// `no_agreement`: refuse it up front.
    fn check_rule_fits_tier(&self) -> Result<(), crate::mode::ModeError> {
        let (Some(rule), Ok(bounds)) = (
            self.mode.aggregate_rule(),
            crate::quorum::Bounds::for_tier(self.tier),
        ) else {
            return Ok(());
        };
        let (requirement, needs) = rule.requirement(bounds.f() as usize);
        if (bounds.n() as usize) < needs {
            return Err(crate::mode::ModeError::CommitteeTooSmall {
                rule: rule.name(),
                requirement,
                f: bounds.f(),
                tier: self.tier,
                members: bounds.n(),
            });
        }
        Ok(())
    }

    /// The request id: `sha256(BYZVOTE_REQUEST ‖ encoding)`.
    pub fn id(&self) -> Digest {
        Sha256::hash(&[BYZVOTE_REQUEST, &self.encode()])
    }
}

impl Write for Role {
    fn write(&self, buf: &mut impl BufMut) {
        let tag: u8 = match self {
            Role::System => 0,
            Role::User => 1,
            Role::Assistant => 2,
        };
        tag.write(buf);
    }
}

impl Read for Role {
    type Cfg = ();

    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        match u8::read(buf)? {
            0 => Ok(Role::System),
            1 => Ok(Role::User),
            2 => Ok(Role::Assistant),
            other => Err(Error::InvalidEnum(other)),
        }
    }
}

impl Write for Request {
    fn write(&self, buf: &mut impl BufMut) {
        self.messages.len().write(buf);
        for m in &self.messages {
            m.role.write(buf);
            write_str(&m.content, buf);
        }
        self.mode.write(buf);
        self.tier.write(buf);
        self.max_tokens.write(buf);
        self.client_nonce.write(buf);
    }
}

impl EncodeSize for Request {
    fn encode_size(&self) -> usize {
        self.messages.len().encode_size()
            + self
                .messages
                .iter()
                .map(|m| 1 + str_size(&m.content))
                .sum::<usize>()
            + self.mode.encode_size()
            + 1
            + 4
            + 8
    }
}

impl Read for Request {
    type Cfg = ();

    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        let count = usize::read_cfg(buf, &RangeCfg::new(1..=MAX_MESSAGES))?;
        let mut messages = Vec::with_capacity(count);
        for _ in 0..count {
            let role = Role::read(buf)?;
            let content = read_str(buf, MAX_CONTENT, "message content")?;
            messages.push(Message { role, content });
        }
        let request = Request {
            messages,
            mode: Mode::read(buf)?,
            tier: u8::read(buf)?,
            max_tokens: u32::read(buf)?,
            client_nonce: u64::read(buf)?,
        };
        request
            .validate()
            .map_err(|_| Error::Invalid("request", "fails validation"))?;
        Ok(request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use commonware_codec::{DecodeExt, Encode};

    pub(crate) fn sample() -> Request {
        Request {
            messages: vec![
                Message::system("Answer yes or no."),
                Message::user("Is 17 prime?"),
            ],
            mode: "class:yes,no".parse().unwrap(),
            tier: 3,
            max_tokens: 16,
            client_nonce: 7,
        }
    }

    #[test]
    fn validate_table() {
        let ok = sample();
        assert_eq!(ok.validate(), Ok(()));
        let built = Request::new(ok.messages.clone(), ok.mode.clone(), 3, 16, 7);
        assert_eq!(built, Ok(ok));
        assert_eq!(
            Request::new(vec![], Mode::Exact, 3, 16, 7),
            Err(RequestError::NoMessages)
        );
        type Case = (fn(&mut Request), RequestError);
        let cases: Vec<Case> = vec![
            (|r| r.messages.clear(), RequestError::NoMessages),
            (
                |r| r.messages[1].content = "  ".into(),
                RequestError::EmptyContent(1),
            ),
            (|r| r.tier = 0, RequestError::BadTier(0)),
            (|r| r.tier = 6, RequestError::BadTier(6)),
            (|r| r.max_tokens = 0, RequestError::BadMaxTokens(0)),
            (|r| r.max_tokens = 4097, RequestError::BadMaxTokens(4097)),
            (
                |r| r.messages = vec![Message::user("x"); 65],
                RequestError::TooManyMessages(65),
            ),
            (
                |r| r.messages[0].content = "x".repeat(MAX_CONTENT + 1),
                RequestError::ContentTooLong {
                    index: 0,
                    len: MAX_CONTENT + 1,
                },
            ),
        ];
        for (mutate, want) in cases {
            let mut r = sample();
            mutate(&mut r);
            assert_eq!(r.validate(), Err(want.clone()));
            assert!(Request::decode(r.encode()).is_err(), "{want}");
        }
    }

    #[test]
    fn codec_round_trip() {
        let r = sample();
        let enc = r.encode();
        assert_eq!(enc.len(), r.encode_size());
        assert_eq!(Request::decode(enc.clone()).unwrap(), r);
        // Truncation and trailing bytes are rejected.
        assert!(Request::decode(enc.slice(..enc.len() - 1)).is_err());
        let mut extra = enc.to_vec();
        extra.push(0);
        assert!(Request::decode(extra).is_err());
    }

    #[test]
    fn id_depends_on_every_field() {
        let base = sample().id();
        let mut r = sample();
        r.client_nonce = 8;
        assert_ne!(r.id(), base);
        let mut r = sample();
        r.mode = Mode::Exact;
        assert_ne!(r.id(), base);
        let mut r = sample();
        r.messages[1].role = Role::Assistant;
        assert_ne!(r.id(), base);
        assert_eq!(sample().id(), base);
    }

    #[test]
    fn serde_matches_openai_shape() {
        let j = serde_json::to_value(sample()).unwrap();
        assert_eq!(j["messages"][1]["role"], "user");
        assert_eq!(j["messages"][1]["content"], "Is 17 prime?");
        assert_eq!(j["mode"], "class:yes,no");
        let back: Request = serde_json::from_value(j).unwrap();
        assert_eq!(back, sample());
    }
}

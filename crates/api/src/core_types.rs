//! The `byzvote-core` types this crate uses, in one place.
//!
//! TEMPORARY STAND-INS: `byzvote-core` did not yet define `Request`, `Message`, `Role` and
//! `DecisionRecord` when this crate was written. These minimal local versions have the shape the
//! API needs; replace this module's body with `pub use byzvote_core::...` re-exports once core
//! has them (nothing else in the crate names the stand-ins directly).

use bytes::BufMut;
use commonware_codec::{Buf, EncodeSize, Error, RangeCfg, Read, ReadExt, Write};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

pub use byzvote_core::{Mode, ModeError};

/// Who wrote a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Instructions.
    System,
    /// The question.
    User,
    /// An earlier model answer.
    Assistant,
}

/// One chat message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Message {
    /// Who wrote it.
    pub role: Role,
    /// Its text.
    pub content: String,
}

/// A validated request (stand-in).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The conversation.
    pub messages: Vec<Message>,
    /// How answers are compared.
    pub mode: Mode,
    /// The tier.
    pub tier: u8,
    /// Token cap per model.
    pub max_tokens: Option<u32>,
    /// Client nonce.
    pub client_nonce: u64,
}

/// Builds the core request (stand-in for `byzvote_core::Request::new`).
pub fn new_request(
    messages: Vec<Message>,
    mode: Mode,
    tier: u8,
    max_tokens: Option<u32>,
    client_nonce: u64,
) -> Result<Request, String> {
    Ok(Request {
        messages,
        mode,
        tier,
        max_tokens,
        client_nonce,
    })
}

/// The outcome byte of a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordOutcome {
    /// A class reached the quorum.
    Agreed,
    /// None did.
    NoAgreement,
}

/// The signed decision record (stand-in).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecisionRecord {
    /// The request id.
    #[serde(with = "hex32")]
    pub request: [u8; 32],
    /// The tier.
    pub tier: u8,
    /// The mode.
    pub mode: Mode,
    /// The committee's member indices.
    pub committee: Vec<u32>,
    /// The outcome.
    pub outcome: RecordOutcome,
    /// sha256 of the answer's UTF-8 bytes (zero when there is no answer).
    #[serde(with = "hex32")]
    pub answer_digest: [u8; 32],
    /// The agreed answer.
    pub answer: Option<String>,
    /// Members in the winning class.
    pub supporters: Vec<u32>,
    /// Height of the deciding block.
    pub height: u64,
    /// Epoch.
    pub epoch: u64,
}

/// The answer digest of a record's answer (stand-in for core's definition).
pub fn answer_digest(answer: Option<&str>) -> [u8; 32] {
    answer.map_or([0; 32], |a| Sha256::digest(a.as_bytes()).into())
}

/// Whether the record's answer digest is the digest of its answer.
pub fn answer_matches_digest(record: &DecisionRecord) -> bool {
    answer_digest(record.answer.as_deref()) == record.answer_digest
}

impl Write for DecisionRecord {
    fn write(&self, buf: &mut impl BufMut) {
        self.request.write(buf);
        self.tier.write(buf);
        self.mode.write(buf);
        self.committee.write(buf);
        (self.outcome == RecordOutcome::Agreed).write(buf);
        self.answer_digest.write(buf);
        self.answer
            .as_ref()
            .map(|a| a.as_bytes().to_vec())
            .write(buf);
        self.supporters.write(buf);
        self.height.write(buf);
        self.epoch.write(buf);
    }
}

impl EncodeSize for DecisionRecord {
    fn encode_size(&self) -> usize {
        self.request.encode_size()
            + 1
            + self.mode.encode_size()
            + self.committee.encode_size()
            + 1
            + 32
            + self
                .answer
                .as_ref()
                .map(|a| a.as_bytes().to_vec())
                .encode_size()
            + self.supporters.encode_size()
            + 16
    }
}

impl Read for DecisionRecord {
    type Cfg = ();
    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        let request = <[u8; 32]>::read(buf)?;
        let tier = u8::read(buf)?;
        let mode = Mode::read(buf)?;
        let members = (RangeCfg::new(0..=1024), ());
        let committee = Vec::<u32>::read_cfg(buf, &members)?;
        let outcome = if bool::read(buf)? {
            RecordOutcome::Agreed
        } else {
            RecordOutcome::NoAgreement
        };
        let answer_digest = <[u8; 32]>::read(buf)?;
        let answer = Option::<Vec<u8>>::read_cfg(buf, &(RangeCfg::new(0..=1 << 20), ()))?
            .map(String::from_utf8)
            .transpose()
            .map_err(|_| Error::Invalid("answer", "not utf-8"))?;
        let supporters = Vec::<u32>::read_cfg(buf, &members)?;
        Ok(Self {
            request,
            tier,
            mode,
            committee,
            outcome,
            answer_digest,
            answer,
            supporters,
            height: u64::read(buf)?,
            epoch: u64::read(buf)?,
        })
    }
}

mod hex32 {
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub fn serialize<S: Serializer>(v: &[u8; 32], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(v))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[u8; 32], D::Error> {
        let s = String::deserialize(d)?;
        let bytes = hex::decode(s).map_err(D::Error::custom)?;
        bytes
            .try_into()
            .map_err(|_| D::Error::custom("expected 32 bytes"))
    }
}

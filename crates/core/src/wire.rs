//! Small shared pieces of the wire format: length-prefixed UTF-8 strings for the codec, and hex
//! (de)serialisation of digests for serde.
//!
//! A string is written as a varint (LEB128, at most 5 bytes, value < 2^32) byte length followed by
//! the UTF-8 bytes. Reads are bounded by the caller's maximum and reject invalid UTF-8.

use bytes::BufMut;
use commonware_codec::{Buf, EncodeSize, Error, RangeCfg, Read, Write};
use commonware_cryptography::sha256::Digest;

/// Writes `s` as varint length ‖ bytes.
pub(crate) fn write_str(s: &str, buf: &mut impl BufMut) {
    s.as_bytes().write(buf);
}

/// Encoded size of [`write_str`].
pub(crate) fn str_size(s: &str) -> usize {
    s.as_bytes().encode_size()
}

/// Reads a string written by [`write_str`] of at most `max` bytes.
pub(crate) fn read_str(
    buf: &mut impl Buf,
    max: usize,
    context: &'static str,
) -> Result<String, Error> {
    let bytes = Vec::<u8>::read_cfg(buf, &(RangeCfg::new(0..=max), ()))?;
    String::from_utf8(bytes).map_err(|_| Error::Invalid(context, "not valid UTF-8"))
}

/// Reads a varint-prefixed list of big-endian `u32` member ids, at most `max` of them.
pub(crate) fn read_members(buf: &mut impl Buf, max: usize) -> Result<Vec<u32>, Error> {
    Vec::<u32>::read_cfg(buf, &(RangeCfg::new(0..=max), ()))
}

/// Lower-case hex of any byte string.
pub(crate) fn to_hex(bytes: &[u8]) -> String {
    hex::encode(bytes)
}

/// Parses a 32-byte digest from hex.
pub(crate) fn digest_from_hex(s: &str) -> Result<Digest, String> {
    let bytes = hex::decode(s).map_err(|e| format!("digest is not hex: {e}"))?;
    let arr: [u8; 32] = bytes
        .try_into()
        .map_err(|b: Vec<u8>| format!("digest must be 32 bytes, got {}", b.len()))?;
    Ok(Digest(arr))
}

/// `#[serde(with = "hex_digest")]` for [`Digest`] fields.
pub(crate) mod hex_digest {
    use super::*;
    use serde::{Deserialize, Deserializer, Serializer};

    pub(crate) fn serialize<S: Serializer>(d: &Digest, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&to_hex(d.as_ref()))
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Digest, D::Error> {
        let s = String::deserialize(d)?;
        digest_from_hex(&s).map_err(serde::de::Error::custom)
    }
}

/// `#[serde(with = "hex_digest_opt")]` for `Option<Digest>` fields (`null` when absent).
pub(crate) mod hex_digest_opt {
    use super::*;
    use serde::{Deserialize, Deserializer, Serializer};

    pub(crate) fn serialize<S: Serializer>(d: &Option<Digest>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => s.serialize_some(&to_hex(d.as_ref())),
            None => s.serialize_none(),
        }
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Digest>, D::Error> {
        let s = Option::<String>::deserialize(d)?;
        s.map(|s| digest_from_hex(&s).map_err(serde::de::Error::custom))
            .transpose()
    }
}

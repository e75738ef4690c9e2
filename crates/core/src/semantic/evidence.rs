//! Similarity evidence: the pairwise cosines a `semantic` vote is decided on.
//!
//! Embeddings are floating point and differ slightly between machines (instruction sets,
//! thread counts, library versions), so nodes cannot each embed the answers and expect the
//! same decision. Instead one node proposes the cosines in a transaction ([`Similarities`]),
//! every validator re-computes them with its own embedder and refuses a block whose cosines
//! differ from its own by more than a tolerance ([`Similarities::recheck`]), and every node
//! decides from the finalized cosines alone ([`super::decide`]), so all decide the same.
//!
//! # Quantisation
//!
//! A cosine travels as an `i16` in units of 1e-4 (`round(cos × 10000)`, clamped to ±10000;
//! NaN as 0), so the evidence is exact integers that compare, hash and encode identically
//! everywhere. The rule reads it back as `q as f32 / 10000.0` (a correctly rounded IEEE
//! division, the same bits on every machine).
//!
//! # Pair order
//!
//! For `k` members ascending `m_0 < … < m_{k-1}`, the `k(k−1)/2` cosines are listed row by row:
//! `(0,1), (0,2), …, (0,k−1), (1,2), …, (k−2,k−1)`.
//!
//! # Transaction bytes
//!
//! ```text
//! [32]   request
//! varint k                          members, 2..=MAX_MEMBERS
//! k × u32 member                    strictly ascending
//! k × (varint len ‖ UTF-8)          each member's revealed canonical text, ≤ MAX_CANONICAL
//! k(k−1)/2 × i16                    cosines (big-endian), each in −10000..=10000
//! ```
//!
//! The texts travel with the cosines so that a validator can re-check them without any state
//! (the vote ignores evidence whose members or texts are not exactly its counted reveals).

use super::embed::{EmbedError, Embedder, cosine};
use crate::{
    canonical::{Canonical, MAX_CANONICAL},
    commit::MemberId,
    wire::{read_members, read_str, str_size, write_str},
};
use bytes::BufMut;
use commonware_codec::{Buf, EncodeSize, Error, Read, ReadExt, Write};
use commonware_cryptography::sha256::Digest;

/// One cosine unit: cosines are carried as `round(cos × COSINE_SCALE)`.
pub const COSINE_SCALE: f32 = 10_000.0;
/// Largest quantised cosine magnitude (cos = ±1).
pub const MAX_COSINE: i16 = 10_000;
/// How far (in 1e-4 units) a proposed cosine may be from a validator's own: 0.02. Measured
/// differences between MiniLM runtimes are below 1e-3 (sentence-transformers against candle:
/// 1.8e-7); 0.02 leaves room for other CPUs while a forger gains at most 0.02 of cosine, which
/// moves only pairs already within 0.02 of the threshold (and never the polarity, number or
/// name checks, which do not use the cosine).
pub const DEFAULT_TOLERANCE: i16 = 200;
/// Most members a similarity transaction may name (the largest tier's committee is 10).
pub const MAX_MEMBERS: usize = 64;

/// `cos` quantised (module doc).
pub fn quantise(cos: f32) -> i16 {
    if cos.is_nan() {
        return 0;
    }
    let q = (cos * COSINE_SCALE).round();
    q.clamp(-COSINE_SCALE, COSINE_SCALE) as i16
}

/// The cosine a quantised value stands for.
pub fn dequantise(q: i16) -> f32 {
    f32::from(q) / COSINE_SCALE
}

/// Number of pairs among `k` members.
pub const fn pair_count(k: usize) -> usize {
    k * k.saturating_sub(1) / 2
}

/// Index of the pair `(i, j)` (positions, `i ≠ j`, both `< k`) in the row-major pair list.
pub fn pair_index(k: usize, i: usize, j: usize) -> Option<usize> {
    let (i, j) = if i < j { (i, j) } else { (j, i) };
    if i == j || j >= k {
        return None;
    }
    Some(i * (2 * k - i - 1) / 2 + (j - i - 1))
}

/// Whether `cosines` has one in-range value per pair of `k` members.
pub fn well_formed(k: usize, cosines: &[i16]) -> bool {
    cosines.len() == pair_count(k) && cosines.iter().all(|&q| in_range(q))
}

/// Whether a quantised cosine is within ±[`MAX_COSINE`]. (Not `q.abs() <= MAX_COSINE`:
/// `i16::MIN.abs()` overflows, to `i16::MIN` itself in a release build, which passed.)
pub fn in_range(q: i16) -> bool {
    (-MAX_COSINE..=MAX_COSINE).contains(&q)
}

/// Embeds `texts` and returns their pairwise cosines, quantised, in pair order.
pub fn cosines(embedder: &dyn Embedder, texts: &[&str]) -> Result<Vec<i16>, EmbedError> {
    let vectors = embedder.embed(texts)?;
    if vectors.len() != texts.len() {
        return Err(EmbedError(format!(
            "the embedder returned {} vectors for {} texts",
            vectors.len(),
            texts.len()
        )));
    }
    let k = vectors.len();
    let mut out = Vec::with_capacity(pair_count(k));
    for i in 0..k {
        for j in i + 1..k {
            out.push(quantise(cosine(&vectors[i], &vectors[j])));
        }
    }
    Ok(out)
}

/// The largest difference between two cosine lists of equal length (`None` if they differ in
/// length).
pub fn max_difference(a: &[i16], b: &[i16]) -> Option<u16> {
    if a.len() != b.len() {
        return None;
    }
    Some(
        a.iter()
            .zip(b)
            .map(|(x, y)| (i32::from(*x) - i32::from(*y)).unsigned_abs() as u16)
            .max()
            .unwrap_or(0),
    )
}

/// The evidence a semantic decision is taken on (layout in the module doc).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Similarities {
    /// The vote.
    pub request: Digest,
    /// The members whose reveals were counted, ascending.
    pub members: Vec<MemberId>,
    /// Their revealed canonical texts, in `members` order.
    pub texts: Vec<Canonical>,
    /// Pairwise cosines, quantised, in pair order.
    pub cosines: Vec<i16>,
}

impl Similarities {
    /// Computes the evidence for `counted` (member → revealed text) with `embedder`.
    pub fn compute(
        embedder: &dyn Embedder,
        request: Digest,
        counted: &std::collections::BTreeMap<MemberId, Canonical>,
    ) -> Result<Self, EmbedError> {
        let texts: Vec<&str> = counted.values().map(Canonical::as_str).collect();
        Ok(Self {
            request,
            members: counted.keys().copied().collect(),
            texts: counted.values().cloned().collect(),
            cosines: cosines(embedder, &texts)?,
        })
    }

    /// Whether the structure is valid: 2..=[`MAX_MEMBERS`] strictly ascending members, one
    /// text each, one in-range cosine per pair (decoding enforces it).
    pub fn is_well_formed(&self) -> bool {
        let k = self.members.len();
        (2..=MAX_MEMBERS).contains(&k)
            && self.members.windows(2).all(|w| w[0] < w[1])
            && self.texts.len() == k
            && self.texts.iter().all(|t| t.as_str().len() <= MAX_CANONICAL)
            && well_formed(k, &self.cosines)
    }

    /// A validator's re-check: embeds the texts itself and accepts when every proposed cosine
    /// is within `tolerance` (1e-4 units) of its own. `Err` when its embedder fails (the caller
    /// decides what a node that cannot check does).
    pub fn recheck(&self, embedder: &dyn Embedder, tolerance: u16) -> Result<bool, EmbedError> {
        if !self.is_well_formed() {
            return Ok(false);
        }
        let texts: Vec<&str> = self.texts.iter().map(Canonical::as_str).collect();
        let own = cosines(embedder, &texts)?;
        Ok(max_difference(&own, &self.cosines).is_some_and(|d| d <= tolerance))
    }
}

impl Write for Similarities {
    fn write(&self, buf: &mut impl BufMut) {
        self.request.write(buf);
        self.members.write(buf);
        for t in &self.texts {
            write_str(t.as_str(), buf);
        }
        for q in &self.cosines {
            q.write(buf);
        }
    }
}

impl EncodeSize for Similarities {
    fn encode_size(&self) -> usize {
        32 + self.members.len().encode_size()
            + 4 * self.members.len()
            + self
                .texts
                .iter()
                .map(|t| str_size(t.as_str()))
                .sum::<usize>()
            + 2 * self.cosines.len()
    }
}

impl Read for Similarities {
    type Cfg = ();

    fn read_cfg(buf: &mut impl Buf, _: &()) -> Result<Self, Error> {
        let request = Digest::read(buf)?;
        let members = read_members(buf, MAX_MEMBERS)?;
        let texts = (0..members.len())
            .map(|_| read_str(buf, MAX_CANONICAL, "similarity text").map(Canonical))
            .collect::<Result<Vec<_>, _>>()?;
        let cosines = (0..pair_count(members.len()))
            .map(|_| i16::read(buf))
            .collect::<Result<Vec<_>, _>>()?;
        let s = Self {
            request,
            members,
            texts,
            cosines,
        };
        if !s.is_well_formed() {
            return Err(Error::Invalid(
                "similarities",
                "members must be 2..=64 ascending, cosines within ±10000",
            ));
        }
        Ok(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cosines_out_of_range_are_refused_including_i16_min() {
        for q in [-MAX_COSINE, 0, MAX_COSINE] {
            assert!(in_range(q) && well_formed(2, &[q]), "{q}");
        }
        // i16::MIN was accepted: its `abs()` wraps to itself in a release build (fuzz `tx`).
        for q in [i16::MIN, -MAX_COSINE - 1, MAX_COSINE + 1, i16::MAX] {
            assert!(!in_range(q) && !well_formed(2, &[q]), "{q}");
        }
        assert!(!well_formed(3, &[0, 0]), "one cosine per pair");
    }
}

//! The record's trailer for `semantic` (tag 4): the cosines the decision was taken on
//! (`varint count ‖ count × i16`, layout in the parent module), and its invariants.

use super::{DecisionRecord, OutcomeKind};
use crate::semantic::evidence::{MAX_MEMBERS, in_range, pair_count};
use bytes::BufMut;
use commonware_codec::{Buf, EncodeSize, Error, RangeCfg, Read, ReadExt, Write};

/// Encoded size of the trailer.
pub(super) fn size(cosines: &[i16]) -> usize {
    cosines.len().encode_size() + 2 * cosines.len()
}

pub(super) fn write(cosines: &[i16], buf: &mut impl BufMut) {
    cosines.len().write(buf);
    for q in cosines {
        q.write(buf);
    }
}

pub(super) fn read(buf: &mut impl Buf) -> Result<Vec<i16>, Error> {
    let count = usize::read_cfg(buf, &RangeCfg::new(0..=pair_count(MAX_MEMBERS)))?;
    (0..count).map(|_| i16::read(buf)).collect()
}

/// The semantic invariants (the generic ones are checked before this): the trailer is present
/// exactly for tag 4; it holds no cosine or one per pair of revealers (supporters and
/// dissenters), each within ±10000; an agreed record has them.
pub(super) fn check(r: &DecisionRecord) -> Result<(), &'static str> {
    let semantic = matches!(r.mode, crate::mode::Mode::Semantic(_));
    let cosines = match (&r.cosines, semantic) {
        (None, false) => return Ok(()),
        (Some(c), true) => c,
        _ => return Err("the cosines trailer must be present exactly for the semantic mode"),
    };
    let k = r.supporters.len() + r.dissenters.len();
    if !(cosines.is_empty() || cosines.len() == pair_count(k)) {
        return Err("the cosines must be empty or one per pair of members who revealed");
    }
    if !cosines.iter().all(|&q| in_range(q)) {
        return Err("a cosine is out of range (±10000)");
    }
    if r.outcome == OutcomeKind::Agreed && k >= 2 && cosines.is_empty() {
        return Err("an agreed semantic record must carry its cosines");
    }
    Ok(())
}

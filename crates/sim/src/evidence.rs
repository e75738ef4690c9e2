//! A node's evidence and decisions, rebuilt from its audit log.
//!
//! The executor records evidence as its state machine emits it but keeps no list of it; the
//! audit log holds every finalized block it applied, so replaying those blocks through the
//! same pure [`State`] gives exactly the evidence the node saw, as an auditor would get it.
//! The decisions of that replay must be the ones the live node certified (the
//! [`crate::invariants::replay`] invariant): a node restarted from its log decides the same.

use bytes::Bytes;
use byzvote_core::{Action, DecisionRecord, Digest, Evidence, Timeouts};
use byzvote_dkg::GroupPublicKey;
use byzvote_node::protocol::audit::{AuditLog, Body};
use byzvote_node::protocol::state::{Event, State};
use std::collections::BTreeMap;
use std::path::Path;

/// What replaying one audit log gives.
#[derive(Clone, Debug, Default)]
pub struct Replayed {
    /// Evidence, in the order the blocks produced it.
    pub evidence: Vec<Evidence>,
    /// Decided records, by request id.
    pub decided: BTreeMap<Digest, DecisionRecord>,
}

/// Replays the audit log at `path` (empty if the node never wrote one).
pub fn from_audit_log(
    path: &Path,
    n: u32,
    timeouts: Timeouts,
    group: &GroupPublicKey,
) -> Result<Replayed, String> {
    let mut out = Replayed::default();
    if !path.exists() {
        return Ok(out);
    }
    let (_, entries) = AuditLog::open(path).map_err(|e| e.to_string())?;
    let mut state = State::new(n, timeouts, 0, *group);
    for entry in entries {
        if let Body::Block {
            height,
            timestamp_ms,
            parent: _,
            txs,
        } = entry.body
        {
            let txs: Vec<Bytes> = txs.into_iter().map(|t| Bytes::from(t.0)).collect();
            for event in state.apply(height, timestamp_ms, &txs) {
                match event {
                    Event::Vote {
                        action: Action::Evidence(e),
                        ..
                    } => out.evidence.push(e),
                    Event::Vote {
                        id,
                        action: Action::Decide(record),
                    } => {
                        out.decided.insert(id, record);
                    }
                    _ => {}
                }
            }
        }
    }
    Ok(out)
}

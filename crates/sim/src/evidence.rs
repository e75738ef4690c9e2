//! A node's evidence, rebuilt from its audit log.
//!
//! The executor records evidence as its state machine emits it but keeps no list of it; the
//! audit log holds every finalized block it applied, so replaying those blocks through the
//! same pure [`State`] gives exactly the evidence the node saw, as an auditor would get it.

use bytes::Bytes;
use byzvote_core::{Action, Evidence, Timeouts};
use byzvote_dkg::GroupPublicKey;
use byzvote_node::protocol::audit::{AuditLog, Body};
use byzvote_node::protocol::state::{Event, State};
use std::path::Path;

/// Evidence in the audit log at `path` (empty if the node never wrote one).
pub fn from_audit_log(
    path: &Path,
    n: u32,
    timeouts: Timeouts,
    group: &GroupPublicKey,
) -> Result<Vec<Evidence>, String> {
    if !path.exists() {
        return Ok(Vec::new());
    }
    let (_, entries) = AuditLog::open(path).map_err(|e| e.to_string())?;
    let mut state = State::new(n, timeouts, 0, *group);
    let mut out = Vec::new();
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
                if let Event::Vote {
                    action: Action::Evidence(e),
                    ..
                } = event
                {
                    out.push(e);
                }
            }
        }
    }
    Ok(out)
}

//! A stand-in for consensus: one total order of blocks delivered to every node.
//!
//! Every `BLOCK_TIME` it takes whatever logs the nodes handed to their proposers and
//! "finalizes" them as one block, delivered identically to all. That is the guarantee the
//! node's consensus gives [`crate::OrderedLogs`]; the real one adds leaders and latency.

use crate::{OrderedFeed, SignedLog};
use commonware_codec::Encode as _;
use commonware_runtime::Clock;
use std::{collections::BTreeSet, time::Duration};

const BLOCK_TIME: Duration = Duration::from_millis(30);

pub(crate) async fn run<E: Clock>(context: E, mut feeds: Vec<OrderedFeed>) {
    let mut seen = BTreeSet::new();
    loop {
        context.sleep(BLOCK_TIME).await;
        let mut block: Vec<SignedLog> = Vec::new();
        for feed in &mut feeds {
            while let Ok(log) = feed.proposals.try_recv() {
                if seen.insert(log.encode().to_vec()) {
                    block.push(log);
                }
            }
        }
        if block.is_empty() {
            continue;
        }
        for feed in &feeds {
            let _ = feed.finalized.unbounded_send(block.clone());
        }
    }
}

//! What peers send this node, on its way to the executor: gossiped transactions (checked,
//! then pooled) and partial signatures (parsed), through the executor's bounded peer inbox.
//!
//! The inbox is bounded so that a flood, or an executor stalled on a slow disk, cannot grow
//! memory without limit: when it is full a message is dropped, never queued. Each kind is
//! recoverable: a partial is resent every second by its signer, and a gossiped request stays
//! in the mempool (the message only lets this node answer before the request is ordered).

use super::executor::{BEACON_PARTIAL, DECISION_PARTIAL, Message};
use super::tx::Tx;
use crate::chain::mempool::Mempool;
use crate::chain::types::PublicKey;
use bytes::Bytes;
use commonware_p2p::Receiver;
use futures::channel::mpsc;
use tracing::debug;

/// The executor's bounded inbox for messages caused by peers: a message is dropped, not
/// queued, while the executor is that far behind (see the module doc).
#[derive(Clone)]
pub struct PeerInbox(mpsc::Sender<Message>);

impl PeerInbox {
    pub(super) fn new(sender: mpsc::Sender<Message>) -> Self {
        Self(sender)
    }

    /// Hands `message` to the executor, or drops it if its peer inbox is full. `false` once
    /// the executor has stopped.
    pub fn offer(&mut self, message: Message) -> bool {
        match self.0.try_send(message) {
            Ok(()) => true,
            Err(e) if e.is_full() => {
                debug!("executor busy: dropping a peer message (it is recoverable)");
                true
            }
            Err(_) => false,
        }
    }
}

/// At most this many gossiped transactions are checked together: what has arrived when the
/// receiver looks, up to this (ed25519 batch verification gains little beyond it).
const MAX_CHECKED_TOGETHER: usize = 64;

/// Receives gossiped transactions: checked (what has arrived together, see
/// [`crate::protocol::tx::check_all`]), then pooled; a new request is also handed to the
/// executor (see [`super::speculate`]).
pub async fn receive_txs<R: Receiver<PublicKey = PublicKey>>(
    mut receiver: R,
    (check, deep_check): (crate::chain::app::TxCheck, crate::chain::app::DeepCheck),
    mempool: Mempool,
    mut executor: PeerInbox,
) {
    use futures::FutureExt as _;
    while let Ok(first) = receiver.recv().await {
        let mut arrived = vec![first];
        while arrived.len() < MAX_CHECKED_TOGETHER {
            match receiver.recv().now_or_never() {
                Some(Ok(next)) => arrived.push(next),
                _ => break,
            }
        }
        let txs: Vec<Bytes> = arrived
            .iter()
            .map(|(_, msg)| Bytes::copy_from_slice(msg.as_ref()))
            .collect();
        let checked = check(&txs);
        for (((from, _), bytes), valid) in arrived.iter().zip(txs).zip(checked) {
            let valid = valid
                && match deep_check(&bytes) {
                    Some(deep) => deep.await,
                    None => true,
                };
            if !valid {
                debug!(?from, "dropping an invalid transaction");
                continue;
            }
            let request = match bytes.first() {
                Some(&super::tx::REQUEST) => match Tx::decode(&bytes) {
                    Some(Tx::Request(r)) => Some(r),
                    _ => None,
                },
                _ => None,
            };
            if mempool.insert(bytes)
                && let Some(request) = request
            {
                executor.offer(Message::Pending(request));
            }
        }
    }
}

/// Receives gossiped partial signatures and forwards the well-formed ones to the executor.
pub async fn receive_partials<R: Receiver<PublicKey = PublicKey>>(
    mut receiver: R,
    mut executor: PeerInbox,
) {
    while let Ok((from, msg)) = receiver.recv().await {
        // Memoized: the members of a simulated cluster decode the same bytes.
        let parsed = super::memo::decode_partial_message(msg.as_ref());
        let message = match parsed {
            Some((DECISION_PARTIAL, id, partial)) => Message::Partial(Some(from), id, partial),
            Some((BEACON_PARTIAL, id, partial)) => Message::BeaconPartial(id, partial),
            _ => {
                debug!(?from, "dropping a malformed partial signature");
                continue;
            }
        };
        if !executor.offer(message) {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_inbox_drops_and_a_closed_one_says_so() {
        // Capacity 2, plus one slot per sender (futures' bounded channel).
        let (tx, mut rx) = mpsc::channel(2);
        let mut inbox = PeerInbox::new(tx);
        for _ in 0..10 {
            assert!(
                inbox.offer(Message::Tick),
                "a full inbox is not a closed one"
            );
        }
        let mut queued = 0;
        while rx.try_recv().is_ok() {
            queued += 1;
        }
        assert_eq!(queued, 3, "ten offered, only the capacity queued");
        assert!(inbox.offer(Message::Tick), "room again after draining");
        drop(rx);
        assert!(!inbox.offer(Message::Tick), "the executor stopped");
    }
}

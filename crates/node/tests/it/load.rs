//! A cluster under load (many votes in flight at once, in the deterministic runtime).

use crate::common;

use byzvote_core::{Message, Mode, Request};
use byzvote_models::Scripted;
use byzvote_node::node;
use byzvote_node::protocol::audit::{Body, read_entries};
use byzvote_node::protocol::bundle::Item;
use byzvote_node::protocol::results::Wait;
use byzvote_node::protocol::tx::Tx;
use commonware_runtime::{Clock as _, Runner as _};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

/// Requests submitted one every 100 µs, through node 0: more than the secrets journal holds
/// before it is compacted.
const VOTES: u64 = 1200;

/// A member seals what it says together, under one signature each peer checks once
/// (`Executor::seal_when_due`), instead of one bundle per burst of messages: with this seed,
/// member 0's 1,200 commits took 879 bundles when every burst was sealed at once, 287 now.
/// And the secrets journal drops the secrets of decided votes while the node runs
/// (`Executor::compact_secrets`): 349 lines are left, not one per vote ever committed to.
#[test]
fn under_load_bundles_carry_many_commits_and_the_secrets_journal_stays_short() {
    let seed = 11;
    let dir = std::env::temp_dir().join(format!("byzvote-load-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let data = dir.clone();
    let executor = common::runner(seed, Duration::from_secs(600));
    executor.start(|context| async move {
        let (mut handles, _, _oracle) = common::cluster(
            &context,
            4,
            |i| Arc::new(Scripted::constant(format!("model-{i}"), "4")),
            |cfg| node::Config {
                dir: Some(data.join(&cfg.partition)),
                ..cfg
            },
        )
        .await;
        let mut waits = Vec::new();
        for nonce in 0..VOTES {
            let request = Request::new(
                vec![Message::user(format!("question {nonce}"))],
                Mode::Exact,
                3,
                32,
                nonce,
            )
            .unwrap();
            waits.push(handles[0].submit(request));
            context.sleep(Duration::from_micros(100)).await;
        }
        for wait in waits {
            match wait {
                Wait::Pending(rx) => {
                    rx.await.expect("a decision");
                }
                Wait::Done(_) => {}
                Wait::Refused(r) => panic!("seed {seed}: refused: {r}"),
                Wait::Retired => panic!("seed {seed}: a fresh vote cannot be retired"),
            }
        }
    });
    // Every member's bundles that carry commits, and those commits, as node 0's log ordered
    // them (a bundle gossiped again may be ordered twice: counted once).
    let mut bundles: BTreeMap<u32, BTreeSet<Vec<u8>>> = BTreeMap::new();
    let mut commits: BTreeMap<u32, BTreeSet<byzvote_core::Digest>> = BTreeMap::new();
    for entry in read_entries(&dir.join("node-0").join("audit.jsonl")).unwrap() {
        let Body::Block { txs, .. } = entry.body else {
            continue;
        };
        for bytes in txs {
            let Some(Tx::Bundle(b)) = Tx::decode(&bytes::Bytes::from(bytes.0.clone())) else {
                continue;
            };
            for item in b.items.iter().filter(|i| matches!(i, Item::Commit(_))) {
                commits.entry(b.member).or_default().insert(item.request());
                bundles.entry(b.member).or_default().insert(bytes.0.clone());
            }
        }
    }
    let journal = std::fs::read_to_string(dir.join("node-0").join("secrets.jsonl")).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    let lines = journal.lines().count() as u64;
    assert!(
        lines < VOTES / 2,
        "seed {seed}: {lines} secrets kept for {VOTES} decided votes"
    );
    assert_eq!(commits.len(), 4, "seed {seed}: {commits:?}");
    for (member, ids) in commits {
        let sealed = bundles[&member].len();
        assert_eq!(ids.len() as u64, VOTES, "seed {seed}: member {member}");
        assert!(
            ids.len() >= 3 * sealed,
            "seed {seed}: member {member} sealed {} commits in {sealed} bundles",
            ids.len()
        );
    }
}

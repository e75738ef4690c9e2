//! Per-key budgets across the cluster, on Commonware's deterministic runtime: a vote answered
//! and charged through node A counts against the key on node B once the charge is ordered.

use crate::common;

use byzvote_core::{Message, Mode, Request};
use byzvote_models::{BackendInfo, ModelBackend, Scripted};
use byzvote_node::protocol::results::Wait;
use commonware_runtime::{Clock as _, Runner as _, deterministic};
use std::sync::Arc;
use std::time::Duration;

const KEY: [u8; 32] = [0x42; 32];

/// Four honest nodes whose models answer "4" at $1 per 1,000 tokens both ways.
async fn cluster(context: &deterministic::Context) -> Vec<common::NodeHandle> {
    let model = |i: usize| -> Arc<dyn ModelBackend> {
        Arc::new(
            Scripted::constant(format!("model-{i}"), "4").with_info(BackendInfo {
                name: format!("model-{i}"),
                vendor: String::new(),
                family: String::new(),
                price_in_per_1k: 1.0,
                price_out_per_1k: 1.0,
            }),
        )
    };
    common::cluster(context, 4, model, |cfg| cfg).await.0
}

#[test]
fn spending_through_node_a_exhausts_the_budget_on_node_b() {
    let seed = 11;
    let runner = common::runner(seed, Duration::from_secs(300));
    runner.start(|context| async move {
        let mut handles = cluster(&context).await;
        let request = Request::new(
            vec![Message::user("What is 2+2?")],
            Mode::Exact,
            3,
            32,
            seed,
        )
        .unwrap();
        let id = request.id();
        let decided = match handles[0].submit(request) {
            Wait::Pending(rx) => rx.await.expect("decision"),
            Wait::Done(d) => *d,
            Wait::Refused(r) => panic!("seed {seed}: refused: {r}"),
            Wait::Retired => panic!("seed {seed}: a fresh vote cannot be retired"),
        };
        // The vote's cost as its members reported it (what the API charges).
        let cost: u64 = decided.meta.values().map(|m| m.cost_micro_usd).sum();
        assert!(cost > 0, "seed {seed}: the priced models reported no cost");
        let budget = cost;
        assert_eq!(handles[1].ledger.spent(&KEY, budget), 0);

        // Node A (0) charges the key; it counts there at once, on B (1) once ordered.
        handles[0].submit_charge(KEY, id, cost * 10);
        assert_eq!(handles[0].ledger.spent(&KEY, budget), cost * 10);
        let mut waited = 0;
        while handles[1].ledger.spent(&KEY, budget) == 0 {
            assert!(waited < 200, "seed {seed}: the charge never reached node B");
            context.sleep(Duration::from_millis(50)).await;
            waited += 1;
        }
        // Ordered, the over-charge is clipped to the vote's recorded cost on every node: the
        // key's budget is spent on B, which never served it.
        assert_eq!(handles[1].ledger.spent(&KEY, budget), cost, "seed {seed}");
        loop {
            if handles[0].ledger.pending() == 0 {
                break;
            }
            context.sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(handles[0].ledger.spent(&KEY, budget), cost, "seed {seed}");
        // A second charge of the same vote, by another node: counted once.
        handles[2].submit_charge(KEY, id, cost);
        // A quick-tier charge (a request the chain never saw) by node C (2): in full on C,
        // at most budget / (f+1) elsewhere.
        let quick = byzvote_core::Digest::from([7; 32]);
        handles[2].submit_charge(KEY, quick, 1_000 * cost);
        while handles[3].ledger.spent(&KEY, budget) == cost {
            context.sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(
            handles[3].ledger.spent(&KEY, budget),
            cost + budget / 2,
            "seed {seed}"
        );
        while handles[2].ledger.pending() > 0 {
            context.sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(
            handles[2].ledger.spent(&KEY, budget),
            cost + 1_000 * cost,
            "seed {seed}"
        );
    });
}

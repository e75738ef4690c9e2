//! The pure state fed what Byzantine members and leaders can get finalized: random mixes of
//! requests of every mode, commits, reveals (opening their commit or not, canonical or raw
//! text), reports, bundles, beacons (valid or not), similarities, verdicts and charges, and
//! mutated or truncated copies of all of them, in blocks whose clock jumps past deadlines.
//! Only what validators accept is applied (`check_all`, as before a notarize vote).
//!
//! It must never panic, two nodes fed the same blocks must emit the same events (a `HashMap`
//! iterated into an event would differ between two processes: each has its own hash keys),
//! and no vote is decided twice or decided without having started.

use super::*;
use crate::chain::types::PublicKey;
use crate::protocol::tx::check_all;
use byzvote_core::{
    Canonical, Commit, Message, Mode, Reveal, Salt, canonicalize, semantic::Similarities,
};
use commonware_cryptography::{Signer as _, ed25519};
use proptest::prelude::*;
use std::sync::OnceLock;
use std::time::Duration;

const TIMEOUTS: Timeouts = Timeouts {
    commit: Duration::from_secs(2),
    reveal: Duration::from_secs(1),
};

const MODES: &[&str] = &[
    "exact",
    "class:yes,no",
    "number:1",
    "json",
    "number:1:median",
    "semantic",
    "pick-best",
];
const ANSWERS: &[&str] = &["yes", "no", "4", "4.04", "{\"a\":1}", "Paris", "", "[1,2]"];
/// Per mode, an answer of `ANSWERS` that is valid in it.
const COMMON: &[usize] = &[5, 0, 2, 4, 3, 5, 5];

/// A cluster of `n` members with its keys, a pool of requests (one per mode) and each one's
/// beacon: made once, the threshold signatures are slow.
struct Fixture {
    n: u32,
    group: GroupPublicKey,
    keys: Vec<ed25519::PrivateKey>,
    participants: Vec<PublicKey>,
    requests: Vec<Request>,
    beacons: Vec<byzvote_dkg::GroupSignature>,
}

fn fixture(n: u32) -> &'static Fixture {
    static FOUR: OnceLock<Fixture> = OnceLock::new();
    static SEVEN: OnceLock<Fixture> = OnceLock::new();
    let cell = if n == 4 { &FOUR } else { &SEVEN };
    cell.get_or_init(|| {
        let dkg = super::super::beacon::tests::trusted_dealer_outputs(u64::from(n), 3);
        let keys: Vec<ed25519::PrivateKey> = (0..u64::from(n))
            .map(ed25519::PrivateKey::from_seed)
            .collect();
        let requests: Vec<Request> = MODES
            .iter()
            .enumerate()
            .map(|(i, mode)| {
                let mode: Mode = mode.parse().expect("mode");
                Request::new(vec![Message::user("q?")], mode, 3, 16, i as u64).expect("request")
            })
            .collect();
        let beacons = requests
            .iter()
            .map(|r| super::super::beacon::tests::sign(&dkg, &r.id()))
            .collect();
        Fixture {
            n,
            group: *dkg[0].group_public_key(),
            participants: keys.iter().map(|k| k.public_key()).collect(),
            keys,
            requests,
            beacons,
        }
    })
}

/// One member item: `r` indexes the request pool (past its end: an id no request has).
#[derive(Clone, Debug)]
enum ItemOp {
    Commit {
        r: usize,
        answer: usize,
        salt: u8,
        raw: bool,
    },
    Reveal {
        r: usize,
        answer: usize,
        salt: u8,
        raw: bool,
    },
    Meta {
        r: usize,
        cost: u64,
    },
}

#[derive(Clone, Debug)]
enum TxOp {
    Request(usize),
    Beacon {
        r: usize,
        valid: bool,
    },
    Single {
        member: u32,
        item: ItemOp,
    },
    Bundle {
        member: u32,
        items: Vec<ItemOp>,
    },
    Similarities {
        r: usize,
        members: u8,
        cosines: Vec<i16>,
    },
    Verdict {
        member: u32,
        r: usize,
        passed: bool,
    },
    Charge {
        member: u32,
        r: usize,
        cost: u64,
        height: u64,
    },
}

#[derive(Clone, Debug)]
enum Op {
    Tx(TxOp),
    /// The transaction with one byte replaced (`at` modulo its length).
    Mutated(TxOp, usize, u8),
    /// The transaction cut to `at` bytes (modulo its length).
    Truncated(TxOp, usize),
    /// Request `r` is ordered with its beacon and each member `m` commits in the same block
    /// and reveals in the next: the request's common answer (`choice[m]` 0–2), another one
    /// (3), or nothing (4). Honest votes, so that decisions happen.
    Vote {
        r: usize,
        choice: Vec<u8>,
    },
    /// The block ends; the next one is `dt_ms` later.
    End {
        dt_ms: u64,
    },
}

fn item_op() -> impl Strategy<Value = ItemOp> {
    let r = 0..=MODES.len();
    let answer = 0..ANSWERS.len();
    prop_oneof![
        (r.clone(), answer.clone(), 0..3u8, any::<bool>()).prop_map(|(r, answer, salt, raw)| {
            ItemOp::Commit {
                r,
                answer,
                salt,
                raw,
            }
        }),
        (r.clone(), answer, 0..3u8, any::<bool>()).prop_map(|(r, answer, salt, raw)| {
            ItemOp::Reveal {
                r,
                answer,
                salt,
                raw,
            }
        }),
        (r, 0..1_000_000u64).prop_map(|(r, cost)| ItemOp::Meta { r, cost }),
    ]
}

fn tx_op(n: u32) -> impl Strategy<Value = TxOp> {
    let r = 0..=MODES.len();
    let member = 0..n;
    prop_oneof![
        3 => r.clone().prop_map(TxOp::Request),
        1 => (r.clone(), any::<bool>()).prop_map(|(r, valid)| TxOp::Beacon { r, valid }),
        6 => (member.clone(), item_op()).prop_map(|(member, item)| TxOp::Single { member, item }),
        4 => (member.clone(), proptest::collection::vec(item_op(), 1..5))
            .prop_map(|(member, items)| TxOp::Bundle { member, items }),
        1 => (r.clone(), any::<u8>(), proptest::collection::vec(any::<i16>(), 0..8))
            .prop_map(|(r, members, cosines)| TxOp::Similarities { r, members, cosines }),
        1 => (member.clone(), r.clone(), any::<bool>())
            .prop_map(|(member, r, passed)| TxOp::Verdict { member, r, passed }),
        1 => (member, r, 0..2_000_000u64, 0..50u64).prop_map(|(member, r, cost, height)| {
            TxOp::Charge { member, r, cost, height }
        }),
    ]
}

fn op(n: u32) -> impl Strategy<Value = Op> {
    prop_oneof![
        12 => tx_op(n).prop_map(Op::Tx),
        1 => (tx_op(n), any::<usize>(), any::<u8>()).prop_map(|(t, at, b)| Op::Mutated(t, at, b)),
        1 => (tx_op(n), any::<usize>()).prop_map(|(t, at)| Op::Truncated(t, at)),
        2 => (0..=MODES.len(), proptest::collection::vec(0..5u8, n as usize))
            .prop_map(|(r, choice)| Op::Vote { r, choice }),
        4 => prop_oneof![0..200u64, 0..3_000u64].prop_map(|dt_ms| Op::End { dt_ms }),
    ]
}

impl Fixture {
    fn id(&self, r: usize) -> Digest {
        self.requests
            .get(r)
            .map_or_else(|| Digest::from([7; 32]), Request::id)
    }

    fn mode(&self, r: usize) -> Mode {
        self.requests.get(r).map_or(Mode::Exact, |q| q.mode.clone())
    }

    /// A member's answer as it would reveal it: canonical for the vote's mode, or the raw text
    /// (what a Byzantine member may reveal instead).
    fn canonical(&self, r: usize, answer: usize, raw: bool) -> Canonical {
        let text = ANSWERS[answer];
        match canonicalize(&self.mode(r), text) {
            Ok(c) if !raw => c,
            _ => Canonical(text.to_string()),
        }
    }

    fn item(&self, member: u32, op: &ItemOp) -> Item {
        match *op {
            ItemOp::Commit {
                r,
                answer,
                salt,
                raw,
            } => Item::Commit(Commit::new(
                self.id(r),
                member,
                &self.canonical(r, answer, raw),
                &Salt([salt; 32]),
            )),
            ItemOp::Reveal {
                r,
                answer,
                salt,
                raw,
            } => Item::Reveal(Reveal {
                request: self.id(r),
                member,
                canonical: self.canonical(r, answer, raw),
                salt: Salt([salt; 32]),
            }),
            ItemOp::Meta { r, cost } => Item::Meta(super::super::meta::Meta {
                request: self.id(r),
                member,
                latency_ms: cost % 1000,
                prompt_tokens: 3,
                completion_tokens: 1,
                cost_micro_usd: cost,
                confidence_bp: None,
                model: "m".into(),
            }),
        }
    }

    fn tx(&self, op: &TxOp) -> Bytes {
        let key = |m: u32| &self.keys[m as usize];
        match op {
            TxOp::Request(r) => {
                let r = self.requests.get(*r).unwrap_or(&self.requests[0]);
                Tx::Request(r.clone()).encode()
            }
            TxOp::Beacon { r, valid } => {
                let i = (*r).min(self.beacons.len() - 1);
                let signature = if *valid {
                    self.beacons[i]
                } else {
                    self.beacons[(i + 1) % self.beacons.len()]
                };
                Tx::Beacon {
                    request: self.id(*r),
                    signature,
                }
                .encode()
            }
            TxOp::Single { member, item } => match self.item(*member, item) {
                Item::Commit(c) => Tx::Commit(c.sign(key(*member))).encode(),
                Item::Reveal(r) => Tx::Reveal(r.sign(key(*member))).encode(),
                Item::Meta(m) => Tx::Meta(m.sign(key(*member))).encode(),
            },
            TxOp::Bundle { member, items } => {
                let items = items.iter().map(|i| self.item(*member, i)).collect();
                Tx::Bundle(super::super::bundle::SignedBundle::sign(
                    *member,
                    items,
                    key(*member),
                ))
                .encode()
            }
            TxOp::Similarities {
                r,
                members,
                cosines,
            } => {
                let members: Vec<MemberId> = (0..self.n.min(8))
                    .filter(|m| members & (1 << m) != 0)
                    .collect();
                let texts = members
                    .iter()
                    .map(|m| self.canonical(*r, *m as usize % ANSWERS.len(), false))
                    .collect();
                Tx::Similarities(Similarities {
                    request: self.id(*r),
                    members,
                    texts,
                    cosines: cosines.clone(),
                })
                .encode()
            }
            TxOp::Verdict { member, r, passed } => Tx::Verdict(
                super::super::verdict::Verdict {
                    request: self.id(*r),
                    member: *member,
                    passed: *passed,
                    verifier: "v".into(),
                }
                .sign(key(*member)),
            )
            .encode(),
            TxOp::Charge {
                member,
                r,
                cost,
                height,
            } => Tx::Charge(
                super::super::charge::Charge {
                    key: [1; 32],
                    request: self.id(*r),
                    member: *member,
                    cost_micro_usd: *cost,
                    height: *height,
                }
                .sign(key(*member)),
            )
            .encode(),
        }
    }

    /// The ops cut into blocks of what validators accept (`check_all`).
    fn blocks(&self, ops: &[Op]) -> Vec<(u64, Vec<Bytes>)> {
        let mut blocks = Vec::new();
        let mut txs = Vec::new();
        // Reveals of `Op::Vote`s, for the next block.
        let mut reveals = Vec::new();
        let mut ts = 1_000u64;
        let mut end = |txs: &mut Vec<Bytes>, ts: u64| {
            let valid = check_all(txs, &self.participants, &[0; 32]);
            let kept = txs
                .drain(..)
                .zip(valid)
                .filter_map(|(tx, ok)| ok.then_some(tx))
                .collect();
            blocks.push((ts, kept));
        };
        for op in ops {
            match op {
                Op::Tx(t) => txs.push(self.tx(t)),
                Op::Mutated(t, at, byte) => {
                    let mut bytes = self.tx(t).to_vec();
                    let at = at % bytes.len();
                    bytes[at] = *byte;
                    txs.push(Bytes::from(bytes));
                }
                Op::Truncated(t, at) => {
                    let bytes = self.tx(t);
                    txs.push(bytes.slice(..at % bytes.len()));
                }
                Op::Vote { r, choice } => {
                    txs.push(self.tx(&TxOp::Request(*r)));
                    txs.push(self.tx(&TxOp::Beacon { r: *r, valid: true }));
                    for (member, &choice) in (0..self.n).zip(choice) {
                        let answer = match choice {
                            0..=2 => COMMON.get(*r).copied().unwrap_or(0),
                            3 => member as usize % ANSWERS.len(),
                            _ => continue,
                        };
                        let item = |reveal| {
                            let (r, salt, raw) = (*r, member as u8, false);
                            if reveal {
                                ItemOp::Reveal {
                                    r,
                                    answer,
                                    salt,
                                    raw,
                                }
                            } else {
                                ItemOp::Commit {
                                    r,
                                    answer,
                                    salt,
                                    raw,
                                }
                            }
                        };
                        txs.push(self.tx(&TxOp::Single {
                            member,
                            item: item(false),
                        }));
                        reveals.push(self.tx(&TxOp::Single {
                            member,
                            item: item(true),
                        }));
                    }
                }
                Op::End { dt_ms } => {
                    end(&mut txs, ts);
                    txs.append(&mut reveals);
                    ts += dt_ms;
                }
            }
        }
        end(&mut txs, ts);
        blocks
    }
}

/// What one run reached, so that a test can check the generator goes deep enough.
#[derive(Default)]
struct Seen {
    agreed: usize,
    no_agreement: usize,
    beacon_awaited: usize,
    retired: usize,
}

/// Feeds `ops` to two nodes' states (small retention, so votes retire as they run) and checks
/// what the module doc says.
fn run(n: u32, ops: &[Op]) -> Result<Seen, TestCaseError> {
    let fx = fixture(n);
    let blocks = fx.blocks(ops);
    let node = || State::new(n, TIMEOUTS, 0, fx.group).with_retain(2);
    let (mut a, mut b) = (node(), node());
    let mut seen = Seen::default();
    let mut started = std::collections::HashSet::new();
    let mut decided = std::collections::HashSet::new();
    for (i, (ts, txs)) in blocks.iter().enumerate() {
        let height = i as u64 + 1;
        let events = a.apply(height, *ts, txs);
        prop_assert_eq!(&events, &b.apply(height, *ts, txs), "block {}", height);
        for event in &events {
            match event {
                Event::Started { id, .. } => {
                    prop_assert!(started.insert(*id), "started twice: {:?}", id);
                }
                Event::Vote {
                    id,
                    action: Action::Decide(record),
                } => {
                    prop_assert!(started.contains(id), "decided unstarted {:?}", id);
                    prop_assert!(decided.insert(*id), "decided twice: {:?}", id);
                    prop_assert_eq!(record.request, *id);
                    match record.answer {
                        Some(_) => seen.agreed += 1,
                        None => seen.no_agreement += 1,
                    }
                }
                Event::NeedBeacon { .. } => seen.beacon_awaited += 1,
                _ => {}
            }
        }
    }
    prop_assert_eq!(a.height(), b.height());
    prop_assert_eq!(a.open_len(), b.open_len());
    seen.retired = decided.iter().filter(|id| a.retired(id)).count();
    Ok(seen)
}

proptest! {
    // A fixed seed: the same cases on every run (proptest prints the failing one).
    #![proptest_config(ProptestConfig {
        cases: 192,
        rng_seed: proptest::test_runner::RngSeed::Fixed(0x57A7E),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn four_nodes_never_panic_and_agree(ops in proptest::collection::vec(op(4), 0..80)) {
        run(4, &ops)?;
    }

    #[test]
    fn seven_nodes_with_beacons_never_panic_and_agree(
        ops in proptest::collection::vec(op(7), 0..80),
    ) {
        run(7, &ops)?;
    }
}

/// The generator reaches decisions (with agreement) often enough for the checks above to
/// bite: a fixed honest script through the same helpers decides.
#[test]
fn the_helpers_make_a_vote_that_decides() {
    let fx = fixture(4);
    let mut ops = vec![Op::Tx(TxOp::Request(0)), Op::End { dt_ms: 100 }];
    for member in 0..4 {
        ops.push(Op::Tx(TxOp::Single {
            member,
            item: ItemOp::Commit {
                r: 0,
                answer: 5,
                salt: member as u8,
                raw: false,
            },
        }));
    }
    ops.push(Op::End { dt_ms: 100 });
    for member in 0..4 {
        ops.push(Op::Tx(TxOp::Bundle {
            member,
            items: vec![ItemOp::Reveal {
                r: 0,
                answer: 5,
                salt: member as u8,
                raw: false,
            }],
        }));
    }
    let blocks = fx.blocks(&ops);
    assert!(blocks.iter().all(|(_, txs)| !txs.is_empty()), "all valid");
    let mut state = State::new(4, TIMEOUTS, 0, fx.group);
    let events: Vec<Event> = blocks
        .iter()
        .enumerate()
        .flat_map(|(i, (ts, txs))| state.apply(i as u64 + 1, *ts, txs))
        .collect();
    let decided = events.iter().any(|e| {
        matches!(e, Event::Vote { action: Action::Decide(r), .. }
            if r.request == fx.id(0) && r.answer.as_deref() == Some("paris"))
    });
    assert!(decided, "{events:?}");
}

/// The random runs above reach what they are meant to check: votes decided both ways, votes
/// retired, requests waiting for their beacon. Counted over 64 runs of each size from a
/// fixed seed.
#[test]
fn the_random_runs_reach_decisions_retirements_and_beacons() {
    use proptest::strategy::ValueTree as _;
    use proptest::test_runner::{TestRng, TestRunner};
    let mut total = Seen::default();
    for n in [4, 7] {
        let mut runner = TestRunner::new_with_rng(
            ProptestConfig::default(),
            TestRng::from_seed(proptest::test_runner::RngAlgorithm::ChaCha, &[9; 32]),
        );
        let strategy = proptest::collection::vec(op(n), 0..80);
        for _ in 0..64 {
            let ops = strategy.new_tree(&mut runner).expect("ops").current();
            let seen = run(n, &ops).expect("run");
            total.agreed += seen.agreed;
            total.no_agreement += seen.no_agreement;
            total.beacon_awaited += seen.beacon_awaited;
            total.retired += seen.retired;
        }
    }
    eprintln!(
        "agreed {} · no_agreement {} · beacon awaited {} · retired {}",
        total.agreed, total.no_agreement, total.beacon_awaited, total.retired
    );
    assert!(total.agreed >= 20, "agreed {}", total.agreed);
    assert!(
        total.no_agreement >= 20,
        "no_agreement {}",
        total.no_agreement
    );
    assert!(
        total.beacon_awaited >= 20,
        "beacons {}",
        total.beacon_awaited
    );
    assert!(total.retired >= 20, "retired {}", total.retired);
}

//! The pure spend ledger: sums, deduplication, the bounds on unchecked charges, the window
//! and the memory bounds.

use super::*;

const KEY: KeyHash = [1; 32];

fn charge(request: u8, member: MemberId, cost: u64, height: u64) -> Charge {
    Charge {
        key: KEY,
        request: Digest::from([request; 32]),
        member,
        cost_micro_usd: cost,
        height,
    }
}

#[test]
fn charges_sum_per_key_and_each_request_counts_once() {
    let mut c = Charges::default();
    assert_eq!(
        c.apply(&charge(1, 0, 100, 1), Known::Decided(500), 2)
            .counted,
        100
    );
    assert_eq!(
        c.apply(&charge(2, 1, 50, 1), Known::Decided(500), 2)
            .counted,
        50
    );
    // The same request again, from the same node or from another: ignored.
    assert_eq!(
        c.apply(&charge(1, 0, 100, 2), Known::Decided(500), 3)
            .counted,
        0
    );
    assert_eq!(
        c.apply(&charge(1, 3, 100, 2), Known::Decided(500), 3)
            .counted,
        0
    );
    let spend = c.get(&KEY).unwrap();
    assert_eq!(spend.checked, 150);
    assert_eq!(spend.seen_by(Some(2), 1_000, 1), 150);
    // Quick-tier charges sum per serving member.
    c.apply(&charge(3, 2, 70, 3), Known::Unknown, 4);
    c.apply(&charge(4, 2, 30, 3), Known::Unknown, 4);
    c.apply(&charge(4, 2, 30, 3), Known::Unknown, 4); // repeat
    assert_eq!(c.get(&KEY).unwrap().unchecked[&2], 100);
    assert_eq!(c.get(&KEY).unwrap().total(), 250);
    assert!(c.get(&[2; 32]).is_none());
}

#[test]
fn a_checked_charge_counts_at_most_the_recorded_cost_and_only_once_decided() {
    let mut c = Charges::default();
    // Ordered, not decided: ignored, and not remembered (the honest charge still counts).
    let early = c.apply(&charge(1, 3, 1_000_000, 1), Known::Undecided, 2);
    assert_eq!(early.counted, 0);
    assert_eq!(c.remembered(), 0);
    // Over-charged: clipped to what the members reported.
    let applied = c.apply(&charge(1, 3, 1_000_000, 1), Known::Decided(800), 3);
    assert_eq!(applied.counted, 800);
    assert_eq!(applied.touched, vec![KEY]);
    assert_eq!(c.get(&KEY).unwrap().checked, 800);
}

/// A lying node's unchecked charges count in full only on itself; every other node caps each
/// member's column at budget / (f+1), so `f` liars alone never exhaust a key.
#[test]
fn f_lying_nodes_cannot_exhaust_an_idle_key_with_unchecked_charges() {
    let mut c = Charges::default();
    let budget = 1_000;
    // f = 1 in a cluster of 4: member 3 lies, charging 100 made-up requests.
    for r in 0..100 {
        c.apply(&charge(r, 3, 10_000, 1), Known::Unknown, 2);
    }
    let spend = c.get(&KEY).unwrap();
    for honest in 0..3 {
        assert_eq!(spend.seen_by(Some(honest), budget, 1), budget / 2);
        assert!(spend.seen_by(Some(honest), budget, 1) < budget);
    }
    // The liar itself counts its own column in full.
    assert!(spend.seen_by(Some(3), budget, 1) >= budget);
    // With the key's real spend at an honest node, the key closes there once the honest
    // spend plus the capped lie reaches the budget: the client keeps at least budget/(f+1).
    c.apply(&charge(200, 0, 499, 1), Known::Unknown, 2);
    let spend = c.get(&KEY).unwrap();
    assert_eq!(spend.seen_by(Some(1), budget, 1), 500 + 499);
    assert_eq!(spend.seen_by(Some(0), budget, 1), 500 + 499);
}

#[test]
fn a_charge_outside_its_window_is_refused_and_old_ids_are_forgotten() {
    let mut c = Charges::default();
    // Signed at a height the chain has not reached: refused.
    assert_eq!(c.apply(&charge(1, 0, 5, 10), Known::Unknown, 9).counted, 0);
    assert_eq!(c.apply(&charge(1, 0, 5, 10), Known::Unknown, 10).counted, 5);
    assert_eq!(c.remembered(), 1);
    // Replayed just inside the window: a repeat. Just outside: too old. Either way ignored.
    let last = 10 + WINDOW - 1;
    assert_eq!(
        c.apply(&charge(1, 0, 5, 10), Known::Unknown, last).counted,
        0
    );
    assert_eq!(
        c.apply(&charge(1, 0, 5, 10), Known::Unknown, last + 1)
            .counted,
        0
    );
    // ... and the id itself has been forgotten: memory stays bounded by the window.
    assert_eq!(c.remembered(), 0);
    assert_eq!(c.get(&KEY).unwrap().unchecked[&0], 5);
}

#[test]
fn forged_keys_cannot_grow_the_ledger_past_its_bound() {
    let mut c = Charges::default();
    let mut big = charge(0, 0, 1_000_000, 1);
    big.key = [0xff; 32];
    c.apply(&big, Known::Unknown, 1);
    for i in 0..(MAX_KEYS as u32 + 10) {
        let mut k = [0u8; 32];
        k[..4].copy_from_slice(&i.to_be_bytes());
        let mut small = charge(0, 1, 1 + u64::from(i % 3), 1);
        small.key = k;
        small.request = Digest::from(k);
        c.apply(&small, Known::Unknown, 1);
    }
    assert_eq!(c.keys(), MAX_KEYS);
    // The key that really spent is kept; the smallest were evicted.
    assert_eq!(c.get(&[0xff; 32]).unwrap().total(), 1_000_000);
}

/// Replaying the same ordered charges (a restart replays the audit log) gives the same
/// spends; a charge delivered twice counts once.
#[test]
fn replaying_the_same_charges_gives_the_same_ledger() {
    let txs: Vec<(Charge, Known, u64)> = (0..50u8)
        .map(|i| {
            let known = if i % 2 == 0 {
                Known::Decided(u64::from(i) * 3)
            } else {
                Known::Unknown
            };
            (
                charge(i % 20, u32::from(i % 4), u64::from(i) * 5, 1),
                known,
                2,
            )
        })
        .collect();
    let run = || {
        let mut c = Charges::default();
        for (ch, known, h) in &txs {
            c.apply(ch, *known, *h);
        }
        c.get(&KEY).cloned()
    };
    let first = run();
    assert!(first.as_ref().is_some_and(|s| s.total() > 0));
    assert_eq!(first, run());
}

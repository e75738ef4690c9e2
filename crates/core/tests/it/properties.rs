//! Property tests over the public API: decoding peer bytes never panics, encodings round-trip,
//! and canonicalisation is idempotent. Seeds are fixed; proptest prints any failing input.

use byzvote_core::{
    Bounds, Canonical, Commit, DecisionRecord, Digest, Evidence, Message, Mode, Request, Reveal,
    Role, Salt, SignedCommit, SignedReveal, canonicalize, tally,
};
use commonware_codec::{DecodeExt, Encode};
use proptest::{
    prelude::*,
    test_runner::{Config, RngSeed},
};
use std::collections::BTreeMap;

fn config(seed: u64) -> Config {
    Config {
        cases: 256,
        rng_seed: RngSeed::Fixed(seed),
        failure_persistence: None,
        ..Config::default()
    }
}

fn mode() -> impl Strategy<Value = Mode> {
    prop_oneof![
        Just(Mode::Exact),
        Just(Mode::Json),
        (0u8..=12).prop_map(|decimals| Mode::Number { decimals }),
        proptest::collection::btree_set("[a-z]{1,8}", 1..5)
            .prop_map(|labels| Mode::class(&labels.into_iter().collect::<Vec<_>>()).unwrap()),
    ]
}

fn request() -> impl Strategy<Value = Request> {
    let role = prop_oneof![Just(Role::System), Just(Role::User), Just(Role::Assistant)];
    let message = (role, "\\PC{1,40}")
        .prop_filter("non-blank", |(_, c)| !c.trim().is_empty())
        .prop_map(|(role, content)| Message { role, content });
    (
        proptest::collection::vec(message, 1..5),
        mode(),
        1u8..=5,
        1u32..=4096,
        any::<u64>(),
    )
        .prop_map(|(messages, mode, tier, max_tokens, client_nonce)| Request {
            messages,
            mode,
            tier,
            max_tokens,
            client_nonce,
        })
}

fn record() -> impl Strategy<Value = DecisionRecord> {
    (
        1u32..12,
        proptest::collection::vec(proptest::option::of(0u8..3), 12),
        any::<[u8; 32]>(),
        mode(),
        any::<u64>(),
        any::<u64>(),
    )
        .prop_map(|(m, answers, id, mode, height, epoch)| {
            let committee: Vec<u32> = (0..m).map(|i| i * 3).collect();
            let revealed: BTreeMap<u32, Canonical> = committee
                .iter()
                .zip(&answers)
                .filter_map(|(member, a)| a.map(|a| (*member, Canonical(format!("answer {a}")))))
                .collect();
            let bounds = Bounds::for_committee(m).unwrap();
            let t = tally(bounds, &committee, &revealed);
            DecisionRecord::from_tally(Digest(id), 3, mode, &committee, &t, height, epoch)
        })
}

proptest! {
    #![proptest_config(config(1))]

    #[test]
    fn decoding_arbitrary_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = Mode::decode(bytes.clone());
        let _ = Request::decode(bytes.clone());
        let _ = Commit::decode(bytes.clone());
        let _ = Reveal::decode(bytes.clone());
        let _ = SignedCommit::decode(bytes.clone());
        let _ = SignedReveal::decode(bytes.clone());
        let _ = Evidence::decode(bytes.clone());
        let _ = DecisionRecord::decode(bytes);
    }

    #[test]
    fn request_round_trips(r in request()) {
        prop_assert_eq!(r.validate(), Ok(()));
        let enc = r.encode();
        prop_assert_eq!(Request::decode(enc).unwrap(), r.clone());
        let json = serde_json::to_string(&r).unwrap();
        prop_assert_eq!(serde_json::from_str::<Request>(&json).unwrap(), r);
    }

    #[test]
    fn record_round_trips(r in record()) {
        prop_assert_eq!(r.check(), Ok(()));
        prop_assert_eq!(DecisionRecord::decode(r.encode()).unwrap(), r.clone());
        let json = serde_json::to_string(&r).unwrap();
        prop_assert_eq!(serde_json::from_str::<DecisionRecord>(&json).unwrap(), r);
    }

    #[test]
    fn reveal_round_trips_and_opens(canonical in "\\PC{0,64}", salt in any::<[u8; 32]>(), member in any::<u32>()) {
        let reveal = Reveal { request: Digest([7; 32]), member, canonical: Canonical(canonical), salt: Salt(salt) };
        prop_assert_eq!(Reveal::decode(reveal.encode()).unwrap(), reveal.clone());
        prop_assert!(reveal.opens(&reveal.commit()));
    }
}

proptest! {
    #![proptest_config(config(2))]

    #[test]
    fn canonicalize_is_idempotent(raw in "\\PC{0,60}", decimals in 0u8..=12) {
        for mode in [Mode::Exact, Mode::Number { decimals }, Mode::Json] {
            if let Ok(once) = canonicalize(&mode, &raw) {
                let twice = canonicalize(&mode, once.as_str());
                prop_assert_eq!(twice, Ok(once.clone()), "mode {}", mode);
            }
        }
    }

    #[test]
    fn numbers_round_like_exact_decimal_arithmetic(int in -1_000_000i64..1_000_000, frac in 0u32..1000) {
        // x = int + sign·frac/1000, rounded to 2 places half away from zero, computed with integers.
        let negative = int < 0;
        let thousandths = int.unsigned_abs() * 1000 + u64::from(frac);
        let raw = format!("{}{}.{:03}", if negative { "-" } else { "" }, int.unsigned_abs(), frac);
        let hundredths = (thousandths + 5) / 10;
        let zero = hundredths == 0;
        let want = format!("{}{}.{:02}", if negative && !zero { "-" } else { "" }, hundredths / 100, hundredths % 100);
        let got = canonicalize(&Mode::Number { decimals: 2 }, &format!("The value is {raw}."));
        prop_assert_eq!(got, Ok(Canonical(want)));
    }

    #[test]
    fn class_label_maps_to_itself(labels in proptest::collection::btree_set("[a-z]{1,6}", 1..6)) {
        let labels: Vec<String> = labels.into_iter().collect();
        let mode = Mode::class(&labels).unwrap();
        for l in &labels {
            let got = canonicalize(&mode, &format!("**{}**.", l.to_uppercase()));
            prop_assert_eq!(got, Ok(Canonical(l.clone())));
        }
    }
}

//! Mode parsing, display, serde and codec tests, including a byte-level decode sweep.

use super::*;
use commonware_codec::{DecodeExt, Encode};

#[test]
fn parse_table() {
    let ok = [
        ("exact", Mode::Exact),
        (" EXACT ", Mode::Exact),
        ("json", Mode::Json),
        ("number:0", Mode::Number { decimals: 0 }),
        ("number:2", Mode::Number { decimals: 2 }),
        ("number: 12", Mode::Number { decimals: 12 }),
        ("class:yes,no", Mode::class(&["yes", "no"]).unwrap()),
        ("class: a , b ,c", Mode::class(&["a", "b", "c"]).unwrap()),
        (
            "class:very good,bad",
            Mode::class(&["very good", "bad"]).unwrap(),
        ),
        (
            "vector",
            Mode::Vector {
                rule: AggregateRule::Median,
            },
        ),
        (
            "Vector:krum",
            Mode::Vector {
                rule: AggregateRule::Krum,
            },
        ),
        (
            "vector: trimmed-mean ",
            Mode::Vector {
                rule: AggregateRule::TrimmedMean,
            },
        ),
        (
            "number:2:median",
            Mode::NumberAggregate {
                decimals: 2,
                rule: AggregateRule::Median,
            },
        ),
        (
            "number:0:Geometric-Median",
            Mode::NumberAggregate {
                decimals: 0,
                rule: AggregateRule::GeometricMedian,
            },
        ),
    ];
    for (s, want) in ok {
        assert_eq!(s.parse::<Mode>(), Ok(want), "{s:?}");
    }
    let bad = [
        ("", ModeError::Unknown(String::new())),
        ("pick-best:2", ModeError::Unknown("pick-best:2".into())),
        (
            "semantic:1.5",
            ModeError::Semantic(crate::semantic::SemanticConfigError::BadThreshold(
                "1.5".into(),
            )),
        ),
        ("exact:1", ModeError::Unknown("exact:1".into())),
        ("class", ModeError::EmptyLabel),
        ("class:", ModeError::EmptyLabel),
        ("class:a,,b", ModeError::EmptyLabel),
        ("class:a,", ModeError::EmptyLabel),
        ("class:yes,Yes", ModeError::DuplicateLabel("Yes".into())),
        ("number:13", ModeError::BadDecimals("13".into())),
        ("number:-1", ModeError::BadDecimals("-1".into())),
        ("number:two", ModeError::BadDecimals("two".into())),
        ("number", ModeError::BadDecimals(String::new())),
        ("vector:mean", ModeError::MeanNotRobust),
        ("number:2:mean", ModeError::MeanNotRobust),
        ("vector:", ModeError::UnknownRule(String::new())),
        ("vector:krum:3", ModeError::UnknownRule("krum:3".into())),
        ("number:2:", ModeError::UnknownRule(String::new())),
        ("number:2:kurm", ModeError::UnknownRule("kurm".into())),
        ("number:13:median", ModeError::BadDecimals("13".into())),
        ("number::median", ModeError::BadDecimals(String::new())),
    ];
    for (s, want) in bad {
        assert_eq!(s.parse::<Mode>(), Err(want), "{s:?}");
    }
}

#[test]
fn a_separate_rule_composes_with_number_and_vector() {
    let ok = [
        ("number:2", "median", "number:2:median"),
        ("vector", "krum", "vector:krum"),
        (" Vector ", "CGC", "vector:cgc"),
    ];
    for (m, r, want) in ok {
        let got = Mode::parse_with_aggregate(m, Some(r)).unwrap();
        assert_eq!(got.to_string(), want);
    }
    assert_eq!(Mode::parse_with_aggregate("exact", None), Ok(Mode::Exact));
    for (m, r) in [
        ("exact", "median"),
        ("vector:krum", "median"),
        ("number:2:median", "krum"),
    ] {
        assert_eq!(
            Mode::parse_with_aggregate(m, Some(r)),
            Err(ModeError::AggregateNotApplicable(m.to_string())),
            "{m} + {r}"
        );
    }
    assert_eq!(
        Mode::parse_with_aggregate("vector", Some("mean")),
        Err(ModeError::MeanNotRobust)
    );
    assert_eq!(
        Mode::parse_with_aggregate("number:2", Some("nope")),
        Err(ModeError::UnknownRule("nope".into()))
    );
}

#[test]
fn display_round_trips() {
    for s in [
        "exact",
        "json",
        "number:3",
        "class:yes,no,maybe",
        "class:very good,bad",
        "vector:median",
        "vector:multi-krum",
        "number:2:trimmed-mean",
        "number:0:cgc",
    ] {
        let m: Mode = s.parse().unwrap();
        assert_eq!(m.to_string(), s);
        assert_eq!(m.to_string().parse::<Mode>().unwrap(), m);
    }
}

#[test]
fn serde_is_the_string() {
    let m = Mode::class(&["yes", "no"]).unwrap();
    let j = serde_json::to_string(&m).unwrap();
    assert_eq!(j, "\"class:yes,no\"");
    assert_eq!(serde_json::from_str::<Mode>(&j).unwrap(), m);
    assert!(serde_json::from_str::<Mode>("\"number:99\"").is_err());
}

#[test]
fn codec_round_trips_and_is_pinned() {
    let cases = [
        (Mode::Exact, "00"),
        (Mode::Json, "03"),
        (Mode::Number { decimals: 2 }, "0202"),
        (Mode::class(&["yes", "no"]).unwrap(), "01020379657302 6e6f"),
        ("number:2:median".parse().unwrap(), "060201"),
        ("vector:krum".parse().unwrap(), "0703"),
        ("vector:cgc".parse().unwrap(), "0708"),
    ];
    for (m, hex_want) in cases {
        let enc = m.encode();
        assert_eq!(hex::encode(&enc), hex_want.replace(' ', ""), "{m}");
        assert_eq!(enc.len(), m.encode_size());
        assert_eq!(Mode::decode(enc).unwrap(), m);
    }
}

#[test]
fn codec_rejects_bad_input() {
    let bad = [
        "04",            // semantic without its threshold
        "040000",        // semantic threshold 0
        "08",            // unknown tag
        "ff",            // unknown tag
        "020d",          // 13 decimals
        "0100",          // zero labels
        "01020161 0141", // duplicate labels a, A
        "010101ff",      // invalid utf-8
        "01",            // truncated
        "0700",          // vector with the mean (not robust)
        "0709",          // unknown rule code
        "07",            // vector without its rule
        "060d01",        // number aggregate with 13 decimals
        "0602",          // number aggregate without its rule
    ];
    for h in bad {
        let bytes = hex::decode(h.replace(' ', "")).unwrap();
        assert!(Mode::decode(bytes).is_err(), "{h}");
    }
}

/// Peer input never panics: every short byte string either decodes to a valid mode that
/// re-encodes to the same bytes, or is refused.
#[test]
fn every_short_byte_string_decodes_or_is_refused() {
    for a in 0u8..=255 {
        for b in 0u8..=255 {
            for bytes in [vec![a], vec![a, b], vec![a, b, b], vec![a, b, 1]] {
                if let Ok(m) = Mode::decode(bytes.clone()) {
                    assert_eq!(m.validate(), Ok(()), "{bytes:?}");
                    assert_eq!(m.encode().to_vec(), bytes, "{bytes:?}");
                }
            }
        }
    }
}

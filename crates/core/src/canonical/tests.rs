//! Table-driven tests for every mode, with model-like outputs and the awkward cases.

use super::*;

fn run(mode: &str, rows: &[(&str, Result<&str, CanonError>)]) {
    let mode: Mode = mode.parse().unwrap();
    for (raw, want) in rows {
        let got = canonicalize(&mode, raw);
        let want = want.clone().map(|s| Canonical(s.to_string()));
        assert_eq!(got, want, "mode {mode}, input {raw:?}");
    }
}

#[test]
fn exact_mode() {
    run(
        "exact",
        &[
            ("Paris", Ok("paris")),
            ("  Paris.  ", Ok("paris")),
            ("PARIS!!!", Ok("paris")),
            ("\"Paris.\"", Ok("paris")),
            ("“Paris”", Ok("paris")),
            ("**Paris**", Ok("paris")),
            ("The   capital\n\tis  Paris.", Ok("the capital is paris")),
            ("Is it? Yes.", Ok("is it? yes")),
            ("ﬁne", Ok("fine")),         // NFKC ligature
            ("Ｐａｒｉｓ", Ok("paris")), // NFKC full-width
            ("'It's fine'", Ok("it's fine")),
            ("3.14", Ok("3.14")),
            ("...", Err(CanonError::Empty)),
            ("", Err(CanonError::Empty)),
            ("\"\"", Err(CanonError::Empty)),
            ("ÉCOLE", Ok("école")),
        ],
    );
}

#[test]
fn class_mode() {
    let no = |labels: &[&str]| {
        Err(CanonError::NoLabel {
            labels: labels.iter().map(|s| s.to_string()).collect(),
        })
    };
    run(
        "class:yes,no",
        &[
            ("Yes", Ok("yes")),
            ("**Yes**, 17 is prime", Ok("yes")),
            ("No.", Ok("no")),
            ("no, it is not; yes would be wrong", Ok("no")),
            ("The answer is: YES!", Ok("yes")),
            ("Yesterday it was not", no(&["yes", "no"])),
            ("Nobody knows", no(&["yes", "no"])),
            ("", no(&["yes", "no"])),
            ("I'd say \"no\"", Ok("no")),
            ("yes/no", Ok("yes")),
        ],
    );
    run(
        "class:Positive,Negative,Neutral",
        &[
            ("The sentiment is negative.", Ok("Negative")),
            ("NEUTRAL", Ok("Neutral")),
            ("positive-ish", Ok("Positive")),
            ("non-negative", Ok("Negative")),
        ],
    );
    // Longer label wins at the same position; multi-word labels match across collapsed whitespace.
    run(
        "class:not,not sure,sure",
        &[
            ("Not  sure, really", Ok("not sure")),
            ("not at all", Ok("not")),
            ("Sure thing", Ok("sure")),
        ],
    );
}

#[test]
fn number_mode() {
    run(
        "number:0",
        &[
            ("The answer is 19.", Ok("19")),
            ("-3", Ok("-3")),
            ("It was 1,234.5 units", Ok("1235")),
            ("12.", Ok("12")),
            ("1e3", Ok("1000")),
            ("2.5", Ok("3")),
            ("-2.5", Ok("-3")),
            ("-0.4", Ok("0")),
            ("COVID-19 cases: 7", Ok("19")),
            ("between 3-4 hours", Ok("3")),
            ("答えは１９です", Ok("19")),
            ("v2 of the model says 5", Ok("2")),
            ("no digits here", Err(CanonError::NoNumber)),
            ("1e99999", Err(CanonError::NumberOutOfRange)),
        ],
    );
    run(
        "number:2",
        &[
            ("Result: 3.14159", Ok("3.14")),
            ("3.145", Ok("3.15")),
            ("-3.145", Ok("-3.15")),
            ("3.1", Ok("3.10")),
            ("x = .5", Ok("0.50")),
            ("9.999", Ok("10.00")),
            ("-0.001", Ok("0.00")),
            ("1.5E-2", Ok("0.02")),
            ("2.5e-3", Ok("0.00")),
            ("−7.125", Ok("-7.13")), // U+2212 minus
            ("1,2,3", Ok("1.00")),
            ("approx 0.005", Ok("0.01")),
            ("+4", Ok("4.00")),
        ],
    );
    run(
        "number:12",
        &[("one third ≈ 0.3333333333333333", Ok("0.333333333333"))],
    );
}

#[test]
fn json_mode() {
    run(
        "json",
        &[
            (
                "{\"b\": 1, \"a\": [true, null]}",
                Ok("{\"a\":[true,null],\"b\":1}"),
            ),
            (
                "Here you go:\n```json\n{ \"z\": 1, \"y\": {\"d\": 2, \"c\": 3} }\n```\nThanks",
                Ok("{\"y\":{\"c\":3,\"d\":2},\"z\":1}"),
            ),
            ("```\n[1, 2 ,3]\n```", Ok("[1,2,3]")),
            (
                "The result is {\"ok\": true} as requested.",
                Ok("{\"ok\":true}"),
            ),
            ("42", Ok("42")),
            ("\"yes\"", Ok("\"yes\"")),
            ("{\"x\": 1.0, \"y\": 1e3}", Ok("{\"x\":1.0,\"y\":1000.0}")),
            (
                "{\"s\": \"caf\\u00e9 \\\"q\\\"\"}",
                Ok("{\"s\":\"café \\\"q\\\"\"}"),
            ),
            ("{\"a\": 1, \"a\": 2}", Ok("{\"a\":2}")),
            ("broken {\"a\": } then [1]", Ok("[1]")),
            ("no json here", Err(CanonError::NoJson)),
            ("{unclosed", Err(CanonError::NoJson)),
            ("  [ ]  ", Ok("[]")),
        ],
    );
}

#[test]
fn same_meaning_same_canonical_form() {
    let pairs = [
        ("exact", "Paris.", "  \"paris\" "),
        ("class:yes,no", "**Yes**, 17 is prime", "yes"),
        ("number:1", "The answer is 19.", "19.0"),
        (
            "json",
            "```json\n{\"a\":1,\"b\":2}\n```",
            "{ \"b\" : 2, \"a\" : 1 }",
        ),
    ];
    for (mode, a, b) in pairs {
        let mode: Mode = mode.parse().unwrap();
        assert_eq!(canonicalize(&mode, a), canonicalize(&mode, b), "{mode}");
    }
}

#[test]
fn too_long_is_rejected() {
    let long = "a".repeat(MAX_CANONICAL + 1);
    assert_eq!(canonicalize(&Mode::Exact, &long), Err(CanonError::TooLong));
}

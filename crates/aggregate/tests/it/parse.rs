//! The CLI reader: JSON and CSV, with errors naming row and column.

use byzvote_aggregate::{Format, ParseError, parse_vectors};

#[test]
fn json_and_csv_read_the_same_rows() {
    let json = parse_vectors("[[1, 2.5], [-3e2, 4]]", Format::Json).unwrap();
    let csv = parse_vectors("# header comment\n1, 2.5\n\n-3e2,4\n", Format::Csv).unwrap();
    assert_eq!(json, vec![vec![1.0, 2.5], vec![-300.0, 4.0]]);
    assert_eq!(json, csv);
}

#[test]
fn errors_name_row_and_column() {
    let err = parse_vectors("[[1, 2], [3, \"x\"]]", Format::Json).unwrap_err();
    assert!(
        matches!(
            err,
            ParseError::NotNumber {
                row: 1,
                column: 1,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("row 1, column 1"), "{err}");

    let err = parse_vectors("1,2\n3,abc\n", Format::Csv).unwrap_err();
    assert!(
        err.to_string().contains("row 1, column 1 (line 2)"),
        "{err}"
    );

    let err = parse_vectors("1,2\nnan,4\n", Format::Csv).unwrap_err();
    assert!(
        matches!(
            err,
            ParseError::NonFinite {
                row: 1,
                column: 0,
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn ragged_rows_are_rejected() {
    let err = parse_vectors("[[1, 2], [3]]", Format::Json).unwrap_err();
    assert_eq!(
        err.to_string(),
        "row 1 has 1 values but row 0 has 2; every row must have the same length"
    );
    let err = parse_vectors("1,2\n\n3,4,5\n", Format::Csv).unwrap_err();
    assert!(
        matches!(
            err,
            ParseError::Ragged {
                row: 1,
                len: 3,
                expected: 2,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("(line 3)"), "{err}");
}

#[test]
fn malformed_documents_are_rejected() {
    assert!(matches!(
        parse_vectors("{\"a\": 1}", Format::Json),
        Err(ParseError::NotArray { .. })
    ));
    assert!(matches!(
        parse_vectors("[1, 2]", Format::Json),
        Err(ParseError::RowNotArray { row: 0, .. })
    ));
    assert!(matches!(
        parse_vectors("[[1, 2]", Format::Json),
        Err(ParseError::Json(_))
    ));
    assert_eq!(parse_vectors("[]", Format::Json), Err(ParseError::Empty));
    assert_eq!(
        parse_vectors("\n# only a comment\n", Format::Csv),
        Err(ParseError::Empty)
    );
    assert_eq!("csv".parse::<Format>(), Ok(Format::Csv));
    assert!("xml".parse::<Format>().is_err());
}

#[test]
fn the_command_reports_rule_f_and_selection() {
    use byzvote_aggregate::{CliError, Options, Rule, aggregate_input};
    let input = "[[1, 2], [1.1, 2.1], [0.9, 1.9], [1.05, 2.05], [100, -100]]";
    let report = aggregate_input(input, Format::Json, Rule::Krum, 1, &Options::default()).unwrap();
    assert_eq!(
        (report.rule, report.f, report.n, report.d),
        (Rule::Krum, 1, 5, 2)
    );
    assert!(!report.selected.as_ref().unwrap().contains(&4));
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["rule"], "krum");

    let err =
        aggregate_input(input, Format::Json, Rule::Bulyan, 1, &Options::default()).unwrap_err();
    assert!(matches!(err, CliError::Aggregate(_)));
    assert!(
        err.to_string()
            .contains("bulyan requires n >= 4f + 3, but n = 5 and f = 1"),
        "{err}"
    );
    let err = aggregate_input(
        "[[1], [2, 3]]",
        Format::Json,
        Rule::Mean,
        0,
        &Options::default(),
    )
    .unwrap_err();
    assert!(matches!(err, CliError::Parse(_)), "{err}");
}

//! A readable summary of a decision record, built from its JSON form so that it shows every
//! field `byzvote-core` puts in the record (the answer first), whatever their names.

use crate::core_types::DecisionRecord;
use serde_json::Value;
use std::fmt::Write as _;

/// One `name  value` line per top-level field of the record, `answer` first.
pub fn summary(record: &DecisionRecord) -> String {
    let mut out = String::new();
    let Ok(Value::Object(fields)) = serde_json::to_value(record) else {
        return out;
    };
    let width = fields.keys().map(String::len).max().unwrap_or(0).max(10);
    let mut keys: Vec<&String> = fields.keys().collect();
    keys.sort_by_key(|k| *k != "answer");
    for key in keys {
        let value = match &fields[key.as_str()] {
            Value::String(s) => s.clone(),
            Value::Null => "-".to_string(),
            other => other.to_string(),
        };
        let value: String = value
            .chars()
            .map(|c| {
                if c.is_control() && c != '\n' {
                    '\u{fffd}'
                } else {
                    c
                }
            })
            .collect();
        let _ = writeln!(out, "{key:<width$}  {value}");
    }
    out
}

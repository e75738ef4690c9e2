//! Json mode: the first JSON value in a text, re-encoded canonically.
//!
//! **Finding the value.** In order, the first that parses wins: the content of the first fenced
//! code block (```` ```json ```` or a bare ```` ``` ````); the whole text, trimmed (so a bare `42`
//! or `"yes"` is a value); the first `{` or `[` from which a JSON value parses (trailing prose is
//! ignored).
//!
//! **Canonical encoding.** No whitespace; object keys sorted by their UTF-8 bytes (a duplicated
//! key keeps its last value, as serde_json does); strings escaped as serde_json escapes them;
//! numbers printed as serde_json prints them (`1.0` stays `1.0`, `1e3` prints `1000.0`). The sort is
//! done here, so it does not depend on serde_json's `preserve_order` feature. Enabling serde_json's
//! `arbitrary_precision` feature anywhere in the workspace would change how numbers print (the
//! table tests in `canonical/tests.rs` fail loudly if that happens).

use super::CanonError;
use serde_json::Value;

/// The canonical form of the first JSON value in `raw`.
pub(crate) fn canonical(raw: &str) -> Result<String, CanonError> {
    let value = find(raw).ok_or(CanonError::NoJson)?;
    let mut out = String::new();
    write(&value, &mut out);
    Ok(out)
}

fn find(raw: &str) -> Option<Value> {
    if let Some(fenced) = fence(raw)
        && let Ok(v) = serde_json::from_str::<Value>(fenced.trim())
    {
        return Some(v);
    }
    if let Ok(v) = serde_json::from_str::<Value>(raw.trim()) {
        return Some(v);
    }
    raw.char_indices()
        .filter(|(_, c)| *c == '{' || *c == '[')
        .find_map(|(i, _)| first_value(&raw[i..]))
}

/// The content of the first ``` fence, without its info string (`json`).
fn fence(raw: &str) -> Option<&str> {
    let start = raw.find("```")? + 3;
    let rest = &raw[start..];
    let body_start = rest.find('\n').map_or(rest.len(), |i| i + 1);
    let info = rest[..body_start].trim();
    if !info.is_empty() && !info.chars().all(|c| c.is_ascii_alphanumeric()) {
        return None;
    }
    let body = &rest[body_start..];
    let end = body.find("```").unwrap_or(body.len());
    Some(&body[..end])
}

/// The JSON value at the start of `s`, ignoring whatever follows it.
fn first_value(s: &str) -> Option<Value> {
    serde_json::Deserializer::from_str(s)
        .into_iter::<Value>()
        .next()
        .and_then(Result::ok)
}

fn write(v: &Value, out: &mut String) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) => write_string(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.push('{');
            for (i, (k, v)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(k, out);
                out.push(':');
                write(v, out);
            }
            out.push('}');
        }
    }
}

fn write_string(s: &str, out: &mut String) {
    // Serialising a &str with serde_json cannot fail.
    match serde_json::to_string(s) {
        Ok(quoted) => out.push_str(&quoted),
        Err(_) => out.push_str("\"\""),
    }
}

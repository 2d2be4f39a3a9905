//! A repair for one known quirk: an object written into a string field without
//! escaping its quotes, as in the create-checkpoint example of Huawei's own document:
//!
//! ```text
//! "extra_info": "{"created_by": "manual"}"
//! ```
//!
//! That body is not valid JSON as a whole. When (and only when) a body fails to parse,
//! [`escape_unquoted_objects`] looks for the given keys whose value is a quote
//! immediately followed by `{` or `[`, finds the matching closing bracket (counting
//! brackets), and, if a quote follows it, escapes the quotes and backslashes in
//! between, so the value becomes the JSON-encoded string it was meant to be. Anything
//! else is left alone; if the result still does not parse, the original error stands.

/// The body with the unescaped objects of `keys` escaped, or `None` when nothing was
/// repaired.
#[must_use]
pub fn escape_unquoted_objects(body: &str, keys: &[&str]) -> Option<String> {
    let mut out = String::with_capacity(body.len() + 16);
    let mut rest = body;
    let mut repaired = false;
    while let Some((before, value_start, after_key)) = next_candidate(rest, keys) {
        out.push_str(before);
        let Some((inner, tail)) =
            matching_close(value_start).and_then(|len| value_start.split_at_checked(len))
        else {
            out.push_str(after_key);
            rest = value_start;
            continue;
        };
        let trimmed_tail = tail.trim_start();
        if inner.contains("\\\"") || !trimmed_tail.starts_with('"') {
            out.push_str(after_key);
            rest = value_start;
            continue;
        }
        out.push_str(after_key);
        for c in inner.chars() {
            if c == '"' || c == '\\' {
                out.push('\\');
            }
            out.push(c);
        }
        rest = tail;
        repaired = true;
    }
    out.push_str(rest);
    repaired.then_some(out)
}

/// Finds the next `"key"<ws>:<ws>"` followed by `{` or `[`: returns the text before the
/// key, the text from the bracket on, and the key up to and including the opening quote.
fn next_candidate<'a>(text: &'a str, keys: &[&str]) -> Option<(&'a str, &'a str, &'a str)> {
    let mut best: Option<(usize, usize)> = None;
    for key in keys {
        let quoted = format!("\"{key}\"");
        let mut from = 0;
        while let Some(found) = text.get(from..).and_then(|t| t.find(&quoted)) {
            let start = from + found;
            let mut index = start + quoted.len();
            let after = text.get(index..).unwrap_or_default();
            let trimmed = after.trim_start();
            index += after.len() - trimmed.len();
            if let Some(after_colon) = trimmed.strip_prefix(':') {
                index += 1;
                let trimmed2 = after_colon.trim_start();
                index += after_colon.len() - trimmed2.len();
                if trimmed2.starts_with("\"{") || trimmed2.starts_with("\"[") {
                    let value_start = index + 1;
                    if best.is_none_or(|(s, _)| start < s) {
                        best = Some((start, value_start));
                    }
                    break;
                }
            }
            from = start + quoted.len();
        }
    }
    let (start, value_start) = best?;
    Some((
        text.get(..start)?,
        text.get(value_start..)?,
        text.get(start..value_start)?,
    ))
}

/// The length of the bracketed value at the start of `text` (through its matching
/// close), counting `{ [` and `} ]`.
fn matching_close(text: &str) -> Option<usize> {
    let mut depth: usize = 0;
    for (index, c) in text.char_indices() {
        match c {
            '{' | '[' => depth += 1,
            '}' | ']' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(index + c.len_utf8());
                }
            }
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repairs_the_documented_quirk() {
        let body = r#"{"a": 1, "extra_info": "{"created_by": "manual"}"}"#;
        let fixed = escape_unquoted_objects(body, &["extra_info"]).unwrap();
        assert_eq!(
            fixed,
            r#"{"a": 1, "extra_info": "{\"created_by\": \"manual\"}"}"#
        );
        let value: serde_json::Value = serde_json::from_str(&fixed).unwrap();
        assert_eq!(value["extra_info"], r#"{"created_by": "manual"}"#);
    }

    #[test]
    fn leaves_valid_and_other_text_alone() {
        assert_eq!(
            escape_unquoted_objects(r#"{"extra_info": "{\"a\": 1}"}"#, &["extra_info"]),
            None
        );
        assert_eq!(
            escape_unquoted_objects(r#"{"extra_info": "x"}"#, &["extra_info"]),
            None
        );
        assert_eq!(
            escape_unquoted_objects(r#"{"other": "{"a": 1}"}"#, &["extra_info"]),
            None
        );
        // No matching close: nothing repaired, nothing lost.
        assert_eq!(
            escape_unquoted_objects(r#"{"extra_info": "{"a": 1"#, &["extra_info"]),
            None
        );
        assert_eq!(escape_unquoted_objects("", &["extra_info"]), None);
    }

    #[test]
    fn repairs_several_keys_and_nested_brackets() {
        let body =
            r#"{"resource_graph": "[{"a": [1]}]", "x": {"extra_info": "{"b": {"c": "d"}}"}}"#;
        let fixed = escape_unquoted_objects(body, &["extra_info", "resource_graph"]).unwrap();
        let value: serde_json::Value = serde_json::from_str(&fixed).unwrap();
        assert_eq!(value["resource_graph"], r#"[{"a": [1]}]"#);
        assert_eq!(value["x"]["extra_info"], r#"{"b": {"c": "d"}}"#);
    }
}

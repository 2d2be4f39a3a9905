//! Property-test building blocks shared by every vendor crate's property tests: byte
//! edits of fixtures, odd JSON values swapped into fixtures, ids that break paths, and
//! reading path segments back from an emulator's log.

use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed, TestRunner};
use serde_json::Value;
use url::Url;

/// One edit of a fixture's bytes.
#[derive(Debug, Clone)]
pub enum Edit {
    /// XOR the byte at the position (modulo the length) with the mask.
    Flip(usize, u8),
    /// Insert the byte at the position (modulo the length + 1).
    Insert(usize, u8),
    /// Delete the byte at the position (modulo the length).
    Delete(usize),
    /// Cut the bytes at the position (modulo the length + 1).
    Truncate(usize),
}

/// Any [`Edit`].
pub fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<usize>(), 1..=255u8).prop_map(|(at, mask)| Edit::Flip(at, mask)),
        (any::<usize>(), any::<u8>()).prop_map(|(at, byte)| Edit::Insert(at, byte)),
        any::<usize>().prop_map(Edit::Delete),
        any::<usize>().prop_map(Edit::Truncate),
    ]
}

/// `bytes` with `edits` applied in order.
#[must_use]
pub fn apply(mut bytes: Vec<u8>, edits: &[Edit]) -> Vec<u8> {
    for edit in edits {
        let len = bytes.len();
        match *edit {
            Edit::Flip(at, mask) if len > 0 => bytes[at % len] ^= mask,
            Edit::Insert(at, byte) => bytes.insert(at % (len + 1), byte),
            Edit::Delete(at) if len > 0 => {
                bytes.remove(at % len);
            }
            Edit::Truncate(at) => bytes.truncate(at % (len + 1)),
            _ => {}
        }
    }
    bytes
}

/// A JSON value of any type and odd content (huge, negative, fractional numbers ...).
pub fn odd_json() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        ".{0,12}".prop_map(Value::from),
        Just(serde_json::json!([])),
        Just(serde_json::json!({})),
        Just(serde_json::json!([{}])),
    ]
}

/// Replaces the `n`-th node (pre-order, modulo the node count) of `value` by `new`.
pub fn replace_node(value: &mut Value, n: usize, new: Value) {
    fn count(value: &Value) -> usize {
        1 + match value {
            Value::Array(items) => items.iter().map(count).sum(),
            Value::Object(map) => map.values().map(count).sum(),
            _ => 0,
        }
    }
    fn walk(value: &mut Value, n: &mut usize, new: &mut Option<Value>) {
        if *n == 0 {
            if let Some(new) = new.take() {
                *value = new;
            }
            return;
        }
        *n -= 1;
        match value {
            Value::Array(items) => items.iter_mut().for_each(|v| walk(v, n, new)),
            Value::Object(map) => map.values_mut().for_each(|v| walk(v, n, new)),
            _ => {}
        }
    }
    let mut n = n % count(value);
    walk(value, &mut n, &mut Some(new));
}

/// Ids with what breaks paths: separators, dots, percent signs, unicode, controls
/// (mostly ids that pass validation, so that most cases reach the emulator).
pub fn awkward_id() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[./%?#;:@ \\\\a-z]{1,8}",
        2 => "%[0-9A-Fa-f]{2}[a-z%/]{0,4}",
        4 => "\\PC{1,16}",
        1 => ".{0,16}",
        1 => "[a-z]{0,3}[\\x00-\\x1f\\x7f][a-z]{0,3}",
        1 => Just("..".to_owned()),
        1 => Just(".".to_owned()),
    ]
}

/// The seed of [`runner`] unless `PROPTEST_RNG_SEED` names another.
pub const RUNNER_SEED: u64 = 0x6261_636b_7570_2d72;

/// A runner of `cases` cases that writes no regression file (the runner is not the
/// `proptest!` macro, which knows the source file).
///
/// Its cases come from a fixed seed ([`RUNNER_SEED`]), so that a test which also
/// counts its cases (say, "at least half reached the emulator") passes or fails the
/// same way on every run; `PROPTEST_RNG_SEED=<u64>` explores other cases.
#[must_use]
pub fn runner(cases: u32) -> TestRunner {
    let config = Config::with_cases(cases);
    let rng_seed = match config.rng_seed {
        RngSeed::Random => RngSeed::Fixed(RUNNER_SEED),
        fixed @ RngSeed::Fixed(_) => fixed,
    };
    TestRunner::new(Config {
        failure_persistence: None,
        rng_seed,
        ..config
    })
}

/// The decoded path segments of `target` below the emulator's base path.
#[must_use]
pub fn segments_below(base: &Url, path: &str) -> Vec<String> {
    let rest = path
        .strip_prefix(base.path().trim_end_matches('/'))
        .unwrap_or(path);
    rest.trim_start_matches('/')
        .split('/')
        .map(|s| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8_lossy()
                .into_owned()
        })
        .collect()
}

//! CODES.md lists every code once: a code added to an enum without its row fails here.
#![cfg(not(target_arch = "wasm32"))]

use bc_spend::diagnostics::DiagnosticCode;
use bc_spend::error::ErrorCode;

const CODES_MD: &str = include_str!("../CODES.md");

/// The codes that have a table row (`| \`CODE\` | … |`) in CODES.md.
fn rows() -> Vec<&'static str> {
    CODES_MD
        .lines()
        .filter_map(|l| l.strip_prefix("| `"))
        .filter_map(|l| l.split_once("` |").map(|(code, _)| code))
        .collect()
}

#[test]
fn every_error_and_diagnostic_code_has_a_row_in_codes_md() {
    let rows = rows();
    let codes = ErrorCode::ALL
        .iter()
        .map(|c| c.as_str())
        .chain(DiagnosticCode::ALL.iter().map(|c| c.as_str()));
    let missing: Vec<&str> = codes.filter(|c| !rows.contains(c)).collect();
    assert!(missing.is_empty(), "not in CODES.md: {missing:?}");
}

#[test]
fn codes_md_lists_each_code_once() {
    let mut rows = rows();
    let n = rows.len();
    rows.sort_unstable();
    rows.dedup();
    assert_eq!(rows.len(), n, "a code has two rows in CODES.md");
}

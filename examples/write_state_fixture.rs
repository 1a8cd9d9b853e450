//! Writes `tests/fixtures/state/v2-sample.bcs`: the engine state (format version 2) of the
//! sample pages, for the migration tests (`tests/engine_v2.rs`). Run once per state format
//! version, then commit the file; a later format must keep reading it.
//! (`v1-sample.jsonl`, format version 1, was written by this example on the last v1 release.)
//!
//! ```text
//! cargo run --example write_state_fixture
//! ```

use bc_spend::engine::{Engine, EngineOptions};

fn main() {
    let root = env!("CARGO_MANIFEST_DIR");
    let mut e = Engine::new(EngineOptions {
        connected_at: Some("2026-11-26".into()),
        line_mode: Some("line".into()),
        credit_memos: Some(true),
        environment: Some("tenant/production".into()),
        ..Default::default()
    })
    .unwrap();
    for f in [
        "companies.json",
        "us-generalLedgerSetup.json",
        "uk-generalLedgerSetup.json",
        "us-vendors.json",
        "uk-vendors.json",
        "us-purchaseInvoices-1.json",
        "us-purchaseInvoices-2.json",
        "uk-purchaseInvoices.json",
        "us-purchaseCreditMemos.json",
        "us-users.json",
        "uk-users.json",
    ] {
        let text = std::fs::read_to_string(format!("{root}/tests/fixtures/sample/{f}")).unwrap();
        e.add_page_text(None, None, &text);
    }
    // Built before it is exported, so the state holds the match decisions and the kept figures
    // (the v1 fixture was exported unbuilt: v1 had neither).
    e.transactions();
    let state = e.export_state();
    let out = format!("{root}/tests/fixtures/state/v2-sample.bcs");
    std::fs::write(&out, state).unwrap();
    println!("wrote {out}");
}

//! The JavaScript boundary: the only code that knows about JS.
//!
//! One class, `Engine`, configured once. Pages go in as text (the primary path: parsed in wasm),
//! as parsed objects, or staged by the sync (the ways in: `engine.rs`); plain JSON-compatible
//! data comes out (camelCase, amounts as decimal strings, no BigInt, no class per item). Configuration errors throw a real `Error` with a
//! `code` (and a `path` when known); problems in the data never throw, they are diagnostics.
//!
//! A thin adapter over the core, as automerge-wasm is over automerge: one file per exported
//! class ([`Engine`] in `engine.rs` and `report.rs`, [`StateExport`] and [`StateImport`] in
//! `state.rs`, [`SyncPlan`] in `sync.rs`), each with the TypeScript types it hands out, and the
//! conversions they share in `interop.rs`. `alloc.rs` (the allocator and `memcmp`) is the only
//! part compiled for wasm32 alone, so `cargo test` and clippy build the rest natively.

#[cfg(target_arch = "wasm32")]
mod alloc;
mod engine;
mod interop;
mod report;
mod state;
mod sync;

pub use engine::{detect_page, Engine};
pub use state::{StateExport, StateImport};
pub use sync::{bc_limits, environment_key, is_guid, SyncPlan};

use wasm_bindgen::prelude::*;

/// The crate version, for diagnostics in hosts.
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}

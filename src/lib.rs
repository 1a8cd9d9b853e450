//! # bc-spend core
//!
//! Turns Microsoft Dynamics 365 Business Central accounts-payable data into SaaS spend: reads
//! BC API pages ([`bc`]), turns paid purchase invoices into exact transactions
//! ([`transactions`], [`money`]), matches each to a SaaS app ([`matching`], [`catalog`]), and
//! reads the environment's users ([`users`]). [`engine::Engine`] ties them together.
//!
//! The core is pure and synchronous: no I/O, no clock, no randomness. The JavaScript host
//! fetches pages and hands them over; `src/wasm/` is the only code that knows about JS.
//!
//! ## Input
//! BC API v2.0 collection responses, as text or (through the wasm boundary) parsed objects:
//! `companies`, `vendors`, `generalLedgerSetup`, `purchaseInvoices` with
//! `$expand=purchaseInvoiceLines`, `purchaseCreditMemos` with `purchaseCreditMemoLines`, and the
//! automation API's `users`.
//!
//! ## Errors and untrusted input
//! Pages are untrusted: nothing in a page can make the core panic or fail. A record that cannot
//! be read is rejected with a [`diagnostics::Diagnostic`] (page, record index and id, field path)
//! and counted; `read == accepted + rejected` always holds. Only configuration (options, rules,
//! catalog) can fail, with an [`error::ConfigError`] whose `code` is stable.

pub mod bc;
pub mod catalog;
pub mod date;
pub mod diagnostics;
pub mod engine;
pub mod error;
pub mod export;
pub mod fastmap;
// Hand-written JSON: transactions.json (`export`), and the v1 state writer the tests keep.
mod jsonw;
pub mod matching;
#[doc(hidden)]
pub mod memcmp;
pub mod money;
pub mod preview;
pub mod report;
pub(crate) mod sort;
pub mod state;
pub mod state_merge;
pub mod sync;
pub mod text;
pub mod transactions;
pub mod users;

pub mod wasm;

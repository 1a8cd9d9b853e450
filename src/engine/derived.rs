//! What a run may reuse from the run before it (Engine v2, step 5: "a run with nothing changed
//! rebuilds nothing").
//!
//! Every output is a function of inputs the engine holds. [`Engine::output_keys`] digests, per
//! output, exactly those inputs: the code that builds it ([`BUILD_ID`], a hash of the sources),
//! the options, the catalog and rules, and the held content (documents, companies and their
//! vendors, users, kept diagnostics). Counts of what a run read, the pages seen, versions of
//! documents not held and removals are not inputs of these outputs (they feed `summary.json`,
//! `run.json` and the state, which are written every run), so a run that only re-read what it
//! had gets the keys of the run before it.
//!
//! Two uses:
//! - the summary's figures that need every transaction built and matched (count, matched,
//!   totals per currency, diagnostics found while building) are kept with the state as
//!   [`BuiltFigures`], under the transactions key; a restored engine whose key is the same
//!   answers [`Engine::summary`] from them instead of matching every line again;
//! - the host records each output file's key when it writes it (`run.json`) and skips
//!   producing a file whose key and bytes on disk are the ones it recorded.
//!
//! A key is 128 bits: [`MixHasher`] and Fx over the same bytes. It is a fingerprint, not a
//! defence: two different inputs with one key would keep an old output. Keys are compared only
//! within one build (the build id is hashed in), so the hashers need not be stable across
//! Rust versions.

use super::summary::CurrencyTotal;
use super::Engine;
use crate::bc::records::Document;
use crate::diagnostics::DiagnosticCode;
use crate::fastmap::FxHasher;
use serde::Serialize;
use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};

/// A hash of every source file the core was built from (`build.rs`).
pub const BUILD_ID: &str = env!("BC_SPEND_BUILD_ID");

/// The digest of one output's inputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct OutputKey(u64, u64);

impl OutputKey {
    /// 32 lower-case hex digits.
    pub fn hex(self) -> String {
        format!("{:016x}{:016x}", self.0, self.1)
    }
    pub fn parse(s: &str) -> Option<OutputKey> {
        if s.len() != 32 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        Some(OutputKey(
            u64::from_str_radix(&s[..16], 16).ok()?,
            u64::from_str_radix(&s[16..], 16).ok()?,
        ))
    }
}

impl Serialize for OutputKey {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.hex())
    }
}

/// One half of a key: the bytes in 64-bit words, each step a bijection of the state for a given
/// word (xor the word, multiply by an odd constant, xor-shift), so inputs of one length that
/// differ in one word never collide; finished by murmur3's `fmix64`. It replaced SipHash-1-3,
/// most of the time of a key in wasm (a state key digests ~80,000 records at 30,000 invoices,
/// each a new hasher, and SipHash's set-up, buffering and finishing rounds dominated).
#[derive(Clone, Copy)]
pub(crate) struct MixHasher(u64);

impl Default for MixHasher {
    fn default() -> MixHasher {
        MixHasher(0x9e37_79b9_7f4a_7c15)
    }
}

impl MixHasher {
    #[inline]
    fn word(&mut self, w: u64) {
        let h = (self.0 ^ w).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        self.0 = h ^ (h >> 31);
    }
}

impl Hasher for MixHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.word(u64::from_le_bytes([
                c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7],
            ]));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            self.word(u64::from_le_bytes(w));
        }
        // Then the length: "a" and "a\0" (one padded word each) differ.
        self.word(bytes.len() as u64);
    }
    #[inline]
    fn write_u8(&mut self, x: u8) {
        self.word(u64::from(x));
    }
    #[inline]
    fn write_u16(&mut self, x: u16) {
        self.word(u64::from(x));
    }
    #[inline]
    fn write_u32(&mut self, x: u32) {
        self.word(u64::from(x));
    }
    #[inline]
    fn write_u64(&mut self, x: u64) {
        self.word(x);
    }
    #[inline]
    fn write_usize(&mut self, x: usize) {
        self.word(x as u64);
    }
    fn finish(&self) -> u64 {
        let mut h = self.0;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        h ^ (h >> 33)
    }
}

/// Two hashers fed the same bytes.
pub(crate) struct KeyHasher(MixHasher, FxHasher);

impl KeyHasher {
    /// Without the build and a domain: for the parts of a key (a document, a decision).
    pub(crate) fn plain() -> KeyHasher {
        KeyHasher(MixHasher::default(), FxHasher::default())
    }
    pub(crate) fn pair(&self) -> (u64, u64) {
        (self.0.finish(), self.1.finish())
    }
    fn new(domain: &str) -> KeyHasher {
        let mut h = KeyHasher::plain();
        BUILD_ID.hash(&mut h);
        domain.hash(&mut h);
        h
    }
    fn key(&self) -> OutputKey {
        OutputKey(self.0.finish(), self.1.finish())
    }
}

impl Hasher for KeyHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        self.0.write(bytes);
        self.1.write(bytes);
    }
    #[inline]
    fn write_u8(&mut self, x: u8) {
        self.0.write_u8(x);
        self.1.write_u8(x);
    }
    #[inline]
    fn write_u32(&mut self, x: u32) {
        self.0.write_u32(x);
        self.1.write_u32(x);
    }
    #[inline]
    fn write_u64(&mut self, x: u64) {
        self.0.write_u64(x);
        self.1.write_u64(x);
    }
    #[inline]
    fn write_usize(&mut self, x: usize) {
        self.0.write_usize(x);
        self.1.write_usize(x);
    }
    fn finish(&self) -> u64 {
        self.0.finish()
    }
}

/// A document as the engine holds it: its fields, read-only, and a digest of its content taken
/// the first time it is asked for and kept ([`HeldDocument::new`] is the only way to make one).
/// There is no `&mut` access: a document that changes is a new `HeldDocument`, digested again,
/// so the digest can never describe other content than the document's (what keeps the keys
/// content digests, not change flags, while no run digests every document more than once: the
/// output keys, the state key and the change report's baseline each read the kept digest). A
/// host that never asks for a key (the dashboard) never digests.
#[derive(Debug, Clone)]
pub struct HeldDocument {
    doc: Document,
    content: std::sync::OnceLock<OutputKey>,
}

impl PartialEq for HeldDocument {
    fn eq(&self, other: &HeldDocument) -> bool {
        self.doc == other.doc
    }
}

impl HeldDocument {
    pub fn new(doc: Document) -> HeldDocument {
        HeldDocument {
            doc,
            content: std::sync::OnceLock::new(),
        }
    }

    /// The digest of every field but `status` and `lastModifiedDateTime` (a document that only
    /// became Paid, or was only touched, has the same content): the change report's
    /// fingerprint; the keys hash the two fields beside it.
    pub fn content(&self) -> OutputKey {
        *self.content.get_or_init(|| content_digest(&self.doc))
    }

    pub fn into_document(self) -> Document {
        self.doc
    }
}

impl std::ops::Deref for HeldDocument {
    type Target = Document;
    fn deref(&self) -> &Document {
        &self.doc
    }
}

/// See [`HeldDocument::content`]. Destructured without `..`: a new field of `Document` does
/// not compile until it is decided here (a line's fields are all content: `Line`'s own `Hash`).
fn content_digest(doc: &Document) -> OutputKey {
    let Document {
        kind,
        id,
        number,
        document_date,
        posting_date,
        due_date,
        vendor_document_number,
        vendor_id,
        vendor_number,
        vendor_name,
        currency_code,
        discount_amount,
        total_excluding_tax,
        total_tax,
        total_including_tax,
        // Not content (see `content`); in the keys beside it.
        status: _,
        last_modified: _,
        lines,
        applies_to_invoice_id,
        applies_to_invoice_number,
    } = doc;
    let mut h = KeyHasher::plain();
    (kind, id, number, document_date, posting_date, due_date).hash(&mut h);
    (
        vendor_document_number,
        vendor_id,
        vendor_number,
        vendor_name,
    )
        .hash(&mut h);
    (
        currency_code,
        discount_amount,
        total_excluding_tax,
        total_tax,
        total_including_tax,
    )
        .hash(&mut h);
    (applies_to_invoice_id, applies_to_invoice_number).hash(&mut h);
    lines.hash(&mut h);
    h.key()
}

/// Digests the entries of a map whose order is not its content: each entry on its own, the
/// digests summed (wrapping), so no sort is needed.
fn unordered<T: Hash>(h: &mut KeyHasher, entries: impl Iterator<Item = T>) {
    let (mut a, mut b) = (0u64, 0u64);
    for e in entries {
        let mut one = KeyHasher::plain();
        e.hash(&mut one);
        a = a.wrapping_add(one.0.finish());
        b = b.wrapping_add(one.1.finish());
    }
    a.hash(h);
    b.hash(h);
}

/// The key of each output, as `engine.outputKeys(reportOptions)` returns it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct OutputKeys {
    /// `transactions.json` and `transactions.csv`.
    pub transactions: OutputKey,
    /// `users.json`.
    pub users: OutputKey,
    /// `diagnostics.json`.
    pub diagnostics: OutputKey,
    /// `report.json` with the report options given (absent when none were).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub report: Option<OutputKey>,
}

/// The summary's figures that need the transactions built, kept with the state under the
/// transactions key they were built for.
#[derive(Debug, Clone, PartialEq, Hash)]
pub struct BuiltFigures {
    pub key: OutputKey,
    pub transactions: u64,
    pub matched_transactions: u64,
    pub totals: Vec<CurrencyTotal>,
    /// Diagnostics found while building (an amount that would overflow a currency's totals).
    pub built_diagnostics: BTreeMap<DiagnosticCode, u64>,
}

impl Engine {
    /// What the transactions are built from: the code, the options that shape them, the
    /// catalog and rules, and every company (local currency, vendor cards) and document held.
    /// The customer vocabulary is worked out from the documents, so it is covered by them.
    pub fn transactions_key(&self) -> OutputKey {
        let mut h = KeyHasher::new("transactions");
        self.hash_transaction_inputs(&mut h);
        h.key()
    }

    fn hash_transaction_inputs(&self, h: &mut KeyHasher) {
        self.line_mode.hash(h);
        self.window_start.hash(h);
        self.credit_memos.hash(h);
        self.environment.hash(h);
        self.default_currency.hash(h);
        self.config_digest.hash(h);
        self.companies.len().hash(h);
        for (id, c) in &self.companies {
            id.hash(h);
            c.company.hash(h);
            c.local_currency.hash(h);
            // A HashMap's order is not its content: sorted by the vendor id.
            let mut vendors: Vec<_> = c.vendors.iter().collect();
            crate::sort::sort_by(&mut vendors, |a, b| a.0.cmp(b.0));
            vendors.hash(h);
        }
        self.docs.len().hash(h);
        for (k, d) in &self.docs {
            k.hash(h);
            // The document's content as digested when it was made (`HeldDocument`), and the
            // two fields that digest leaves out.
            d.content().hash(h);
            d.status.hash(h);
            d.last_modified.hash(h);
        }
    }

    fn hash_users(&self, h: &mut KeyHasher) {
        self.users.len().hash(h);
        for (id, (raw, companies)) in &self.users {
            id.hash(h);
            raw.hash(h);
            companies.hash(h);
        }
    }

    /// The key of every output; the report's when `report_options` (the canonical JSON of the
    /// report options) is given. O(what is held), with no matching and no output built: a few
    /// milliseconds where building the transactions takes a second.
    pub fn output_keys(&self, report_options: Option<&serde_json::Value>) -> OutputKeys {
        let mut t = KeyHasher::new("transactions");
        self.hash_transaction_inputs(&mut t);
        let transactions = t.key();

        let mut u = KeyHasher::new("users");
        self.hash_users(&mut u);
        let users = u.key();

        // diagnostics.json: the kept diagnostics, those found while building (transactions'
        // inputs) and those about users.
        let mut d = KeyHasher::new("diagnostics");
        transactions.hash(&mut d);
        users.hash(&mut d);
        self.diags.items().hash(&mut d);
        self.diags.counts().hash(&mut d);
        let diagnostics = d.key();

        let report = report_options.map(|o| {
            let mut r = KeyHasher::new("report");
            diagnostics.hash(&mut r);
            // serde_json's maps are ordered by key: the same options give the same text.
            o.to_string().hash(&mut r);
            r.key()
        });
        OutputKeys {
            transactions,
            users,
            diagnostics,
            report,
        }
    }

    /// The key of the engine's state (`export_state`): a digest of everything the export writes,
    /// so that a host may keep the state file an earlier run wrote for the same key instead of
    /// exporting and writing the same bytes again (a run that changed nothing). The export
    /// sorts what it writes, so hash maps are digested without their order (a sum of per-entry
    /// digests). Every field of the engine is named below: a field added later does not compile
    /// until it is either digested or said to be outside the state.
    pub fn state_key(&self) -> OutputKey {
        let Engine {
            line_mode,
            window_start,
            credit_memos,
            environment,
            default_currency,
            // Rebuilt from the options; its kept decisions are in the state. They are a cache
            // of what was matched (a build, an `explain`), not a function of the documents, so
            // they are digested as the state writes them.
            matcher,
            // Companies, vendors and documents: in `hash_transaction_inputs`.
            companies: _,
            docs,
            versions,
            // In `hash_users`.
            users: _,
            // What this run read (`summary.counts`, page numbers in diagnostics): not in the
            // state (`src/state/v2.rs`), or no two runs would keep one state file.
            counts: _,
            pages_seen: _,
            diags,
            // Of this run only, reported by `removals()`, never in the state.
            removals: _,
            // Built from what is held, not kept (the figures that travel are `figures`).
            cache: _,
            vocabulary_stale: _,
            config_digest,
            figures,
            figures_current: _,
            // Pages of this run not yet added: not in the state.
            staged: _,
            next_staged: _,
            // Shares the texts the documents and vendors hold (digested with them).
            texts: _,
        } = self;
        let mut h = KeyHasher::new("state");
        // What the transactions and users are built from: companies, vendors, documents,
        // options, users.
        self.hash_transaction_inputs(&mut h);
        self.hash_users(&mut h);
        line_mode.hash(&mut h);
        window_start.hash(&mut h);
        credit_memos.hash(&mut h);
        environment.hash(&mut h);
        default_currency.hash(&mut h);
        config_digest.hash(&mut h);
        docs.len().hash(&mut h);
        versions.len().hash(&mut h);
        unordered(&mut h, versions.iter());
        diags.items().hash(&mut h);
        diags.counts().hash(&mut h);
        figures.hash(&mut h);
        // What `export_decisions` would give, digested without exporting (that export sorts
        // and interns every kept verdict: ~90 ms at 34,000 verdicts natively).
        matcher.decisions_digest().hash(&mut h);
        h.key()
    }

    /// The figures kept for the summary, when they were built for exactly what is held now.
    pub(crate) fn kept_figures(&self) -> Option<&BuiltFigures> {
        let f = self.figures.as_ref()?;
        (f.key == self.transactions_key()).then_some(f)
    }

    pub fn built_figures(&self) -> Option<&BuiltFigures> {
        self.figures.as_ref()
    }

    pub(crate) fn set_built_figures(&mut self, f: Option<BuiltFigures>) {
        self.figures = f;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::EngineOptions;
    use serde_json::json;

    fn fixture(name: &str) -> String {
        std::fs::read_to_string(format!(
            "{}/tests/fixtures/sample/{name}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
    }

    const PAGES: [&str; 7] = [
        "companies.json",
        "us-generalLedgerSetup.json",
        "us-vendors.json",
        "us-purchaseInvoices-1.json",
        "us-purchaseInvoices-2.json",
        "uk-purchaseInvoices.json",
        "us-users.json",
    ];

    fn options(rules: Option<serde_json::Value>) -> EngineOptions {
        EngineOptions {
            connected_at: Some("2026-11-26".into()),
            environment: Some("tenant/production".into()),
            rules,
            ..Default::default()
        }
    }

    fn engine(rules: Option<serde_json::Value>) -> Engine {
        let mut e = Engine::new(options(rules)).unwrap();
        for p in PAGES {
            e.add_page_text(None, None, &fixture(p));
        }
        e
    }

    fn restored(e: &Engine, rules: Option<serde_json::Value>) -> Engine {
        Engine::from_state(options(rules), &e.export_state()).unwrap()
    }

    /// The summary but for its counts of what the engine read (a state does not keep them).
    fn figures(e: &mut Engine) -> serde_json::Value {
        let mut s = e.summary();
        s.counts.clear();
        serde_json::to_value(s).unwrap()
    }

    fn report_options() -> serde_json::Value {
        json!({ "asOf": "2026-11-26" })
    }

    #[test]
    fn the_mix_hasher_tells_apart_inputs_of_other_lengths_or_one_other_byte() {
        let digest = |b: &[u8]| {
            let mut h = MixHasher::default();
            h.write(b);
            h.finish()
        };
        let mut seen = std::collections::HashSet::new();
        for len in 0..=24 {
            let zeros = vec![0u8; len];
            assert!(seen.insert(digest(&zeros)), "{len} zeros");
            for i in 0..len {
                for v in [1u8, 0x80, 0xff] {
                    let mut b = zeros.clone();
                    b[i] = v;
                    assert!(seen.insert(digest(&b)), "{len} bytes, {v} at {i}");
                }
            }
        }
    }

    #[test]
    fn the_state_key_is_equal_exactly_when_the_exported_state_is() {
        let page = fixture("us-purchaseInvoices-1.json");
        let edited = page.replacen("45 users - Jan 2026", "45 users - January 2026", 1);
        assert!(edited != page, "the fixture is edited");
        let base = engine(None);
        let mut built = engine(None);
        built.summary();
        let mut one_document = engine(None);
        one_document.add_page_text(None, None, &edited);
        let mut read_twice = engine(None);
        read_twice.add_page_text(None, None, &page);
        let mut other_window = Engine::new(EngineOptions {
            window_start: Some("2025-06-01".into()),
            ..options(None)
        })
        .unwrap();
        for p in PAGES {
            other_window.add_page_text(None, None, &fixture(p));
        }
        let restored_base = restored(&base, None);
        let restored_built = restored(&restored(&built, None), None);
        // The same data and figures, but one more kept decision: the state holds the decisions.
        let mut explained = engine(None);
        explained.summary();
        explained.explain("Unheard Of Vendor GmbH", Some("Quarzlampe 40 Watt"));
        let engines = [
            ("base", &base),
            ("built", &built),
            ("one document edited", &one_document),
            ("a page read twice", &read_twice),
            ("another window", &other_window),
            ("base restored", &restored_base),
            ("built restored twice", &restored_built),
            ("built, then a new line explained", &explained),
        ];
        for (a, ea) in &engines {
            for (b, eb) in &engines {
                let same_bytes = ea.export_state() == eb.export_state();
                let same_key = ea.state_key() == eb.state_key();
                assert_eq!(same_key, same_bytes, "{a} / {b}: same key {same_key}");
            }
        }
        assert!(base.state_key() != one_document.state_key());
        // What a run read is not in the state: a page read again (a sync's re-read overlap)
        // changes the counts, not the state, so a run that changed nothing keeps its file.
        assert!(read_twice.counts != base.counts);
        assert_eq!(read_twice.export_state(), base.export_state());
        assert_eq!(read_twice.state_key(), base.state_key());
    }

    #[test]
    fn the_decisions_digest_is_equal_exactly_when_the_exported_decisions_are() {
        let built = |pages: &[&str], rules: Option<serde_json::Value>| {
            let mut e = Engine::new(options(rules)).unwrap();
            for p in pages {
                e.add_page_text(None, None, &fixture(p));
            }
            e.summary();
            e
        };
        let mut reordered = PAGES;
        reordered.reverse();
        let zoom = json!([{ "id": "z", "priority": 1, "action": "matchTo", "appId": "zoom", "description": { "op": "contains", "value": "45 users" } }]);
        let ignore = json!([{ "id": "i", "priority": 1, "action": "ignore", "description": { "op": "contains", "value": "45 users" } }]);
        let base = built(&PAGES, None);
        // The same verdicts decided in another order: their texts have other handles.
        let other_order = built(&reordered, None);
        let mut explained = built(&PAGES, None);
        explained.explain("Unheard Of Vendor GmbH", Some("Quarzlampe 40 Watt"));
        let mut rejected_again = built(&PAGES, None);
        rejected_again.explain("Unheard Of Vendor GmbH", Some("Quarzlampe 40 Watt"));
        let engines = [
            ("base", base),
            ("other order", other_order),
            ("base restored", restored(&built(&PAGES, None), None)),
            ("explained", explained),
            ("explained again", rejected_again),
            ("a rule matches", built(&PAGES, Some(zoom))),
            ("a rule ignores", built(&PAGES, Some(ignore))),
            ("fewer invoices", built(&PAGES[..5], None)),
        ];
        let mut equal_pairs = 0;
        for (a, ea) in &engines {
            for (b, eb) in &engines {
                let same = ea.export_decisions() == eb.export_decisions();
                let same_digest = ea.matcher.decisions_digest() == eb.matcher.decisions_digest();
                assert_eq!(same_digest, same, "{a} / {b}");
                equal_pairs += usize::from(same && a != b);
            }
        }
        // base, other order, base restored; explained twice.
        assert_eq!(equal_pairs, 8);
    }

    #[test]
    fn a_restored_engine_has_the_keys_of_the_engine_that_wrote_the_state() {
        let e = engine(None);
        let r = restored(&e, None);
        let o = Some(report_options());
        assert_eq!(e.output_keys(o.as_ref()), r.output_keys(o.as_ref()));
    }

    #[test]
    fn the_summary_of_a_restored_engine_comes_from_the_kept_figures_without_a_build() {
        let mut e = engine(None);
        let summary = figures(&mut e);
        let mut r = restored(&e, None);
        assert!(r.figures.is_some(), "the figures travel with the state");
        assert_eq!(figures(&mut r), summary);
        assert!(r.summary().counts.is_empty(), "it read nothing itself");
        assert!(r.cache.is_none(), "no transaction was built or matched");
        // Once built (a report, an export), the summary is the built one and still equal.
        r.transactions();
        assert_eq!(figures(&mut r), summary);
    }

    #[test]
    fn kept_figures_are_not_used_for_other_rules_options_or_documents() {
        let mut e = engine(None);
        e.summary();
        // Other rules: every line is Zoom's.
        let zoom = json!([{ "id": "z", "priority": 1, "action": "matchTo", "appId": "zoom", "description": { "op": "regex", "value": "." } }]);
        let mut fresh = engine(Some(zoom.clone()));
        let mut r = restored(&e, Some(zoom.clone()));
        assert_eq!(figures(&mut r), figures(&mut fresh));
        assert!(r.cache.is_some(), "built again for the other rules");
        // A rule set on the engine after it was restored.
        let mut r = restored(&e, None);
        r.set_rules(&zoom).unwrap();
        assert_eq!(figures(&mut r), figures(&mut fresh));
        // Another line mode from the same state.
        let line = EngineOptions {
            line_mode: Some("line".into()),
            ..options(None)
        };
        let mut r = Engine::from_state(line.clone(), &e.export_state()).unwrap();
        let mut full = Engine::new(line).unwrap();
        for p in PAGES {
            full.add_page_text(None, None, &fixture(p));
        }
        assert_eq!(figures(&mut r), figures(&mut full));
    }

    #[test]
    fn each_key_moves_with_its_own_inputs_only() {
        let o = Some(report_options());
        let base = engine(None).output_keys(o.as_ref());

        // A line's description: transactions, diagnostics and the report move; users do not.
        let page = fixture("us-purchaseInvoices-1.json");
        let changed = page.replacen("45 users - Jan 2026", "45 users - January 2026", 1);
        assert!(changed != page, "the fixture is edited");
        let mut e = Engine::new(options(None)).unwrap();
        for p in PAGES {
            let text = if p == "us-purchaseInvoices-1.json" {
                changed.clone()
            } else {
                fixture(p)
            };
            e.add_page_text(None, None, &text);
        }
        let k = e.output_keys(o.as_ref());
        assert_ne!(k.transactions, base.transactions);
        assert_ne!(k.diagnostics, base.diagnostics);
        assert_ne!(k.report, base.report);
        assert_eq!(k.users, base.users);

        // Users only: users, diagnostics and the report move; transactions do not.
        let mut e = Engine::new(options(None)).unwrap();
        for p in PAGES.iter().filter(|p| !p.ends_with("users.json")) {
            e.add_page_text(None, None, &fixture(p));
        }
        let k = e.output_keys(o.as_ref());
        assert_eq!(k.transactions, base.transactions);
        assert_ne!(k.users, base.users);
        assert_ne!(k.report, base.report);

        // Rules: transactions move.
        let rules = json!([{ "id": "z", "priority": 1, "action": "matchTo", "appId": "zoom", "vendor": { "op": "contains", "value": "nobody" } }]);
        assert_ne!(
            engine(Some(rules)).output_keys(None).transactions,
            base.transactions
        );

        // Report options: only the report moves.
        let e = engine(None);
        let k = e.output_keys(Some(&json!({ "asOf": "2026-11-27" })));
        assert_eq!(k.transactions, base.transactions);
        assert_eq!(k.diagnostics, base.diagnostics);
        assert_ne!(k.report, base.report);
    }

    #[test]
    fn kept_figures_that_do_not_read_are_refused() {
        let mut e = engine(None);
        e.summary();
        // In a version 1 state (v2's own checks: `src/state/v2/tests.rs`).
        let state = crate::state::v1::writer::export(&e);
        assert!(state.contains("\"built\":{\"key\":\""));
        for (from, to) in [
            ("\"built\":{\"key\":\"", "\"built\":{\"key\":\"zz"),
            ("\"amountExcludingTax\":\"", "\"amountExcludingTax\":\"x"),
        ] {
            let bad = state.replacen(from, to, 1);
            let Err(err) = Engine::from_state(options(None), bad.as_bytes()) else {
                panic!("{to}: read");
            };
            assert_eq!(err.code, crate::error::ErrorCode::StateInvalid, "{to}");
            assert!(
                err.path.as_deref().unwrap_or("").contains("tail/built"),
                "{err:?}"
            );
        }
        // A state written before the figures were kept reads as never built.
        let mut old_lines: Vec<String> = state.lines().map(str::to_owned).collect();
        for l in &mut old_lines {
            if let Some(at) = l.find(",\"built\":{") {
                *l = format!("{}}}}}", &l[..at]);
            }
        }
        let old = old_lines.join("\n") + "\n";
        assert!(!old.contains("\"built\""));
        let mut r = Engine::from_state(options(None), old.as_bytes()).unwrap();
        assert!(r.figures.is_none());
        assert_eq!(figures(&mut r), figures(&mut e));
    }
}

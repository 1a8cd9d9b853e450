//! The version 2 state: a fixed header, then one `postcard`-encoded [`StateV2`].
//!
//! ```text
//! b"BCSPEND\0"   magic, 8 bytes
//! 02 00          format version, u16 little-endian
//! <postcard>     StateV2, to the last byte (trailing bytes are refused)
//! ```
//!
//! - **Texts are interned**: every text (vendor names and numbers, descriptions, document
//!   numbers, currency codes, user fields, diagnostic messages, entity and code names, ...) is
//!   stored once in `strings`; rows hold its `u32` index. Monthly invoices repeat the same vendor
//!   and descriptions, so the table grows with the distinct texts, not with the invoices.
//! - **Ids**: an id in BC's canonical form (lower-case hyphenated GUID) is 16 bytes, any other
//!   id its text (an index into `strings`), so nothing held is refused or altered for its id's
//!   shape and the round trip is exact. Ids used more than once (companies, vendors, the invoice
//!   a credit memo applies to, users) are interned in `ids`, so a vendor's id, repeated on each
//!   of its invoices, costs its index; a document's and a line's own id is stored in its row.
//! - **Numbers are postcard varints**: dates `i32` days since 1970-01-01, timestamps `i64`
//!   milliseconds since the Unix epoch, amounts `i64` ten-thousandths (exact), counts `u64`.
//!   Values that follow from others are stored as the difference (wrapping, so exact for any
//!   value): a document's and due date after its posting date, an amount including tax after
//!   excluding + tax; usually 0 or a few days, one byte.
//! - **Lines are nested in their document** (`Option<Vec<LineV2>>`, `None` when BC did not
//!   expand them): there is no line range to trust. Only paid documents are held, so no status
//!   is stored; a version of a document not held is `(kind, id, timestamp)`, one implied by a
//!   held document's `lastModified` is not written.
//! - **Deterministic**: the same engine always gives the same bytes. Tables are in the order of
//!   first use in one fixed traversal: the environment, then companies by id (each with its
//!   record, currency, vendors by id, documents by (kind, id), versions by (kind, id)), users by
//!   id, diagnostics as logged, counts per code, the kept figures, the match decisions. So
//!   export -> import -> export is byte-identical.
//! - **Nothing of one run only**: `counts` (records read per entity) and `pages_seen` (page
//!   numbers) describe what the run that wrote the state read, not the data, and are written
//!   empty; a reader checks them and drops them. They stay in the format, so the states written
//!   with them (before the run's counts left the state) read as before, and a build of that time
//!   reads these (as a state whose run read nothing): no format version was needed. Without
//!   them the state is the same bytes, and has the same [`Engine::state_key`], after every run
//!   that changed nothing, so such a run keeps the file (`src/engine/derived.rs`).
//! - **Match decisions** (`decisions`, `None` when the engine holds none): the engine's
//!   [`DecisionsSnapshot`] (already integer handles, in key order) with its texts moved into
//!   `strings`, interned last, so the descriptions and vendor names its keys are made of cost an
//!   index, not a second copy. Read back through [`Engine::restore_decisions`]: a text index out
//!   of range is `STATE_INVALID` at `decisions/texts/N`, the snapshot's own handles are checked
//!   there (`decisions/lines/N`), and a snapshot of another build or catalog is dropped.
//!
//! Untrusted bytes: postcard checks every length against the bytes left before taking them and
//! serde pre-allocates at most 1 MiB per sequence, so a forged length cannot make the decoder
//! allocate more than the input justifies; every index is bounds-checked when the rows are
//! turned into the engine's records, with a path (`companies/0/documents/3/number`); every id,
//! amount, date and timestamp is range-checked as in v1. Any failure is `STATE_INVALID`, a newer
//! format version `STATE_VERSION`, another environment's state `STATE_FOREIGN`.
//!
//! Changing a type below changes the format: bump [`VERSION`], keep a reader for the old one.

use super::{
    check_amount, check_opt_amount, check_timestamp, diagnostic_log, finish_engine, invalid,
    known_code, KIND_CREDIT_MEMO, KIND_INVOICE, LINE_TYPES, MAX_ID, SEVERITIES,
};
use crate::bc::records::{Company, DocKind, DocStatus, Document, Line, RawUserFields, Vendor};
use crate::bc::Entity;
use crate::date::Date;
use crate::diagnostics::Diagnostic;
use crate::engine::MixHasher;
use crate::engine::{BuiltFigures, CompanyState, CurrencyTotal, Engine, HeldDocument, OutputKey};
use crate::error::{ConfigError, ErrorCode};
use crate::matching::DecisionsSnapshot;
use crate::text::{Id as HeldId, Interner, Text};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap};

pub const MAGIC: &[u8; 8] = b"BCSPEND\0";
pub const VERSION: u16 = 2;
const HEADER_LEN: usize = MAGIC.len() + 2;

/// An index into [`StateV2::strings`].
type Sym = u32;
/// An index into [`StateV2::ids`].
type IdIx = u32;

#[derive(Serialize, Deserialize, Clone, Copy, PartialEq, Eq, Hash)]
enum Id {
    Guid([u8; 16]),
    Text(Sym),
}

/// The format. Written in parts ([`encode_into`]: `HeadOut`, each company's rows as they are
/// made, `TailOut`) and read in one pass ([`decode`]: `StateSeed`), the rows of every document
/// never held at once; postcard writes a struct as its fields in turn, so the parts are the
/// bytes of this struct (the tests read and write states through it, and check that).
#[cfg_attr(not(test), allow(dead_code))]
#[derive(Serialize, Deserialize)]
struct StateV2<'a> {
    #[serde(borrow)]
    strings: Vec<&'a str>,
    ids: Vec<Id>,
    environment: Sym,
    window_start: i32,
    credit_memos: bool,
    companies: Vec<CompanyV2>,
    users: Vec<UserV2>,
    /// Entity name, counts. Written empty, read and dropped (the counts of a run, see above).
    counts: Vec<(Sym, CountsV2)>,
    /// Entity name, company, pages. Written empty, read and dropped.
    pages_seen: Vec<(Sym, Sym, u32)>,
    diagnostics: Vec<DiagV2>,
    /// Code name, exact count (including those counted but not kept).
    per_code: Vec<(Sym, u64)>,
    built: Option<BuiltV2>,
    /// The match decisions kept (`src/matching/decisions.rs`), `None` when the engine has none
    /// (never built, or read from a state without them).
    decisions: Option<DecisionsV2>,
}

/// The engine's [`DecisionsSnapshot`] with its texts in the state's string table: the
/// descriptions and vendor names it is keyed by are the ones the documents hold, so they are
/// stored once. `snapshot.texts` is empty; `texts[i]` is the text the snapshot calls `i`.
#[derive(Serialize, Deserialize)]
struct DecisionsV2 {
    texts: Vec<Sym>,
    snapshot: DecisionsSnapshot,
}

#[cfg_attr(not(test), allow(dead_code))]
#[derive(Serialize, Deserialize)]
struct CompanyV2 {
    id: IdIx,
    /// The company record: name, display name.
    record: Option<(Sym, Option<Sym>)>,
    local_currency: Option<Sym>,
    vendors: Vec<VendorV2>,
    documents: Vec<DocV2>,
    /// Documents seen but not held: kind (0 invoice, 1 credit memo), id, `lastModified`.
    versions: Vec<(u8, Id, i64)>,
}

#[derive(Serialize, Deserialize)]
struct VendorV2 {
    id: IdIx,
    number: Option<Sym>,
    name: Option<Sym>,
    email: Option<Sym>,
    website: Option<Sym>,
}

#[derive(Serialize, Deserialize)]
struct DocV2 {
    credit_memo: bool,
    /// Inline: a document's id is its own (an index would only add bytes).
    id: Id,
    number: Option<Sym>,
    /// Days after the posting date (see [`date_delta`]): the three dates are usually close.
    document_date: Option<i32>,
    posting_date: Option<i32>,
    /// Days after the posting date.
    due_date: Option<i32>,
    vendor_document_number: Option<Sym>,
    vendor_id: Option<IdIx>,
    vendor_number: Option<Sym>,
    vendor_name: Option<Sym>,
    currency_code: Option<Sym>,
    discount_amount: Option<i64>,
    total_excluding_tax: Option<i64>,
    total_tax: Option<i64>,
    /// What the total including tax differs from excluding + tax by ([`amount_delta`]): 0 nearly
    /// always, one byte.
    total_including_tax: Option<i64>,
    last_modified: Option<i64>,
    lines: Option<Vec<LineV2>>,
    applies_to_invoice_id: Option<IdIx>,
    applies_to_invoice_number: Option<Sym>,
}

#[derive(Serialize, Deserialize)]
struct LineV2 {
    /// Inline, as the document's.
    id: Option<Id>,
    sequence: Option<i64>,
    /// Index in [`LINE_TYPES`].
    line_type: u8,
    object_number: Option<Sym>,
    description: Sym,
    description2: Option<Sym>,
    net_amount: i64,
    net_tax_amount: i64,
    /// As the document's total including tax: the difference from net + tax.
    net_amount_including_tax: i64,
    invoice_discount_allocation: i64,
    quantity: Option<i64>,
    unit_cost: Option<i64>,
    unit_of_measure: Option<Sym>,
}

#[derive(Serialize, Deserialize)]
struct UserV2 {
    security_id: IdIx,
    user_name: Option<Sym>,
    display_name: Option<Sym>,
    state: Option<Sym>,
    contact_email: Option<Sym>,
    license_type: Option<Sym>,
    authentication_email: Option<Sym>,
    companies: Vec<IdIx>,
}

#[derive(Serialize, Deserialize)]
struct CountsV2 {
    pages: u64,
    pages_rejected: u64,
    read: u64,
    accepted: u64,
    rejected: u64,
    not_paid: u64,
    outside_window: u64,
    disabled: u64,
    stale: u64,
}

#[derive(Serialize, Deserialize)]
struct DiagV2 {
    /// Index in [`SEVERITIES`].
    severity: u8,
    code: Sym,
    message: Sym,
    entity: Option<Sym>,
    company_id: Option<Sym>,
    page: Option<u32>,
    record_index: Option<u64>,
    record_id: Option<Sym>,
    path: Option<Sym>,
}

#[derive(Serialize, Deserialize)]
struct BuiltV2 {
    /// [`OutputKey::hex`].
    key: Sym,
    transactions: u64,
    matched_transactions: u64,
    totals: Vec<TotalV2>,
    /// Code name, count.
    diagnostics: Vec<(Sym, u64)>,
}

#[derive(Serialize, Deserialize)]
struct TotalV2 {
    currency: Sym,
    transactions: u64,
    amount_excluding_tax: i64,
    amount_including_tax: i64,
    matched_excluding_tax: i64,
}

// ------------------------------------------------------------------------------------------
// GUIDs

use crate::text::canonical_guid;

/// A GUID's canonical text as a shared text (an id of the table: one per distinct id).
fn guid_shared(g: &[u8; 16]) -> Text {
    Text::from(&*HeldId::from_guid(*g).text())
}

#[cfg(test)]
fn guid_text(g: &[u8; 16]) -> String {
    guid_shared(g).to_string()
}

// ------------------------------------------------------------------------------------------
// Export

/// The maps of an export: keyed by texts, looked up once or twice per text held, so hashed with
/// [`MixHasher`] (a word per step, where the Fx hash of `FastMap` takes a text's last bytes one
/// at a time). Their order is never read.
type TextMap<K, V> = std::collections::HashMap<K, V, std::hash::BuildHasherDefault<MixHasher>>;

/// The string and id tables as they fill, in order of first use.
#[derive(Default)]
struct Tables<'e> {
    strings: Vec<&'e str>,
    string_ix: TextMap<&'e str, Sym>,
    ids: Vec<Id>,
    id_ix: TextMap<Id, IdIx>,
}

/// Texts and ids to their indexes in [`Tables`], added when new.
trait Intern<'e> {
    fn sym(&mut self, s: &'e str) -> Sym;
    fn id(&mut self, s: &'e str) -> IdIx;

    fn osym<T: std::ops::Deref<Target = str>>(&mut self, s: &'e Option<T>) -> Option<Sym> {
        s.as_deref().map(|s| self.sym(s))
    }

    fn oid<T: std::ops::Deref<Target = str>>(&mut self, s: &'e Option<T>) -> Option<IdIx> {
        s.as_deref().map(|s| self.id(s))
    }

    /// An id as the state writes it: a canonical GUID's 16 bytes, else its text in the table.
    fn own_id(&mut self, s: &'e str) -> Id {
        match canonical_guid(s) {
            Some(g) => Id::Guid(g),
            None => Id::Text(self.sym(s)),
        }
    }

    /// [`Intern::own_id`] of an id the engine holds (a document's, a line's: stored in its row,
    /// not in the table).
    fn held_id(&mut self, id: &'e HeldId) -> Id {
        match id.guid() {
            Some(g) => Id::Guid(*g),
            // Not a GUID: a text.
            None => Id::Text(self.sym(id.as_text().map_or("", |t| t.as_str()))),
        }
    }

    /// The table's index of an id the engine holds (a credit memo's invoice).
    fn oheld_id(&mut self, id: &'e Option<HeldId>) -> Option<IdIx>;
}

impl<'e> Intern<'e> for Tables<'e> {
    fn sym(&mut self, s: &'e str) -> Sym {
        crate::fastmap::number(&mut self.strings, &mut self.string_ix, s)
    }

    fn id(&mut self, s: &'e str) -> IdIx {
        // By value: a GUID's bytes or its text's number, one to one with the text.
        let id = self.own_id(s);
        crate::fastmap::number(&mut self.ids, &mut self.id_ix, id)
    }

    fn oheld_id(&mut self, id: &'e Option<HeldId>) -> Option<IdIx> {
        let id = id.as_ref().map(|id| self.held_id(id))?;
        Some(crate::fastmap::number(&mut self.ids, &mut self.id_ix, id))
    }
}

fn days(d: Date) -> i32 {
    // Dates are years 1 to 9999: a few million days.
    d.to_days() as i32
}

/// The deltas below are wrapping: a bijection of `i32` / `i64` for any base, so the value read
/// back is exactly the value written whatever it is (out-of-range values are refused by the
/// same checks as any other after decoding).
fn date_delta(d: i32, base: Option<i32>) -> i32 {
    d.wrapping_sub(base.unwrap_or(0))
}

fn date_from_delta(delta: i32, base: Option<i32>) -> i32 {
    delta.wrapping_add(base.unwrap_or(0))
}

/// `incl` as its difference from `excl + tax`.
fn amount_delta(incl: i64, excl: i64, tax: i64) -> i64 {
    incl.wrapping_sub(excl.wrapping_add(tax))
}

fn amount_from_delta(delta: i64, excl: i64, tax: i64) -> i64 {
    delta.wrapping_add(excl.wrapping_add(tax))
}

fn doc_row<'e>(t: &mut impl Intern<'e>, d: &'e Document) -> DocV2 {
    let posting = d.posting_date.map(days);
    let (excl, tax) = (
        d.total_excluding_tax.map_or(0, |a| a.0),
        d.total_tax.map_or(0, |a| a.0),
    );
    DocV2 {
        credit_memo: d.kind == DocKind::CreditMemo,
        id: t.held_id(&d.id),
        number: t.osym(&d.number),
        document_date: d.document_date.map(|x| date_delta(days(x), posting)),
        posting_date: posting,
        due_date: d.due_date.map(|x| date_delta(days(x), posting)),
        vendor_document_number: t.osym(&d.vendor_document_number),
        vendor_id: t.oid(&d.vendor_id),
        vendor_number: t.osym(&d.vendor_number),
        vendor_name: t.osym(&d.vendor_name),
        currency_code: t.osym(&d.currency_code),
        discount_amount: d.discount_amount.map(|a| a.0),
        total_excluding_tax: d.total_excluding_tax.map(|a| a.0),
        total_tax: d.total_tax.map(|a| a.0),
        total_including_tax: d.total_including_tax.map(|a| amount_delta(a.0, excl, tax)),
        last_modified: d.last_modified.map(|t| t.0),
        lines: d.lines.as_ref().map(|ls| {
            ls.iter()
                .map(|l| LineV2 {
                    id: l.id.as_ref().map(|x| t.held_id(x)),
                    sequence: l.sequence,
                    line_type: LINE_TYPES
                        .iter()
                        .position(|x| *x == l.line_type)
                        .unwrap_or(LINE_TYPES.len() - 1) as u8,
                    object_number: t.osym(&l.object_number),
                    description: t.sym(&l.description),
                    description2: t.osym(&l.description2),
                    net_amount: l.net_amount.0,
                    net_tax_amount: l.net_tax_amount.0,
                    net_amount_including_tax: amount_delta(
                        l.net_amount_including_tax.0,
                        l.net_amount.0,
                        l.net_tax_amount.0,
                    ),
                    invoice_discount_allocation: l.invoice_discount_allocation.0,
                    quantity: l.quantity.map(|a| a.0),
                    unit_cost: l.unit_cost.map(|a| a.0),
                    unit_of_measure: t.osym(&l.unit_of_measure),
                })
                .collect()
        }),
        applies_to_invoice_id: t.oheld_id(&d.applies_to_invoice_id),
        applies_to_invoice_number: t.osym(&d.applies_to_invoice_number),
    }
}

/// The engine's state as v2 bytes.
pub(super) fn encode(e: &Engine) -> Vec<u8> {
    encode_pieces(e, PIECE).concat()
}

/// The size of the pieces [`encode_pieces`] gives (the last may be shorter).
pub(super) const PIECE: usize = 1 << 20;

/// A postcard output in pieces of [`PIECE`] bytes. The state is never one buffer: at 100,000
/// invoices it is 21 MB, and `postcard::to_allocvec` held it up to twice over while its `Vec`
/// doubled (then it was copied once more, after the header); in wasm, whose memory never
/// shrinks, that transient was part of a sync's peak RSS.
struct Pieces {
    done: Vec<Vec<u8>>,
    cur: Vec<u8>,
    size: usize,
}

impl Pieces {
    fn new(size: usize) -> Pieces {
        Pieces {
            done: Vec::new(),
            cur: Vec::with_capacity(size),
            size,
        }
    }

    fn room(&mut self) -> usize {
        if self.cur.len() == self.size {
            let full = std::mem::replace(&mut self.cur, Vec::with_capacity(self.size));
            self.done.push(full);
        }
        self.size - self.cur.len()
    }
}

impl postcard::ser_flavors::Flavor for Pieces {
    type Output = Vec<Vec<u8>>;

    fn try_push(&mut self, b: u8) -> postcard::Result<()> {
        self.room();
        self.cur.push(b);
        Ok(())
    }

    fn try_extend(&mut self, mut data: &[u8]) -> postcard::Result<()> {
        while !data.is_empty() {
            let n = self.room().min(data.len());
            self.cur.extend_from_slice(&data[..n]);
            data = &data[n..];
        }
        Ok(())
    }

    fn finalize(mut self) -> postcard::Result<Vec<Vec<u8>>> {
        if !self.cur.is_empty() {
            self.done.push(self.cur);
        }
        Ok(self.done)
    }
}

/// [`encode`]'s bytes in pieces of `size` bytes (at least 1; the last may be shorter): joined,
/// they are `encode(e)`.
pub(super) fn encode_pieces(e: &Engine, size: usize) -> Vec<Vec<u8>> {
    let pieces = Pieces::new(size.max(1));
    // Serializing plain data into growing buffers cannot fail (postcard errs only on unsized
    // sequences and a full fixed buffer).
    encode_into(e, pieces).unwrap_or_default()
}

/// The fields of [`StateV2`] before `companies`, as written.
#[derive(Serialize)]
struct HeadOut<'a> {
    strings: &'a [&'a str],
    ids: &'a [Id],
    environment: Sym,
    window_start: i32,
    credit_memos: bool,
}

/// The fields of [`StateV2`] after `companies`, as written.
#[derive(Serialize)]
struct TailOut {
    users: Vec<UserV2>,
    counts: Vec<(Sym, CountsV2)>,
    pages_seen: Vec<(Sym, Sym, u32)>,
    diagnostics: Vec<DiagV2>,
    per_code: Vec<(Sym, u64)>,
    built: Option<BuiltV2>,
    decisions: Option<DecisionsV2>,
}

/// The fields of [`CompanyV2`] before `documents`, as written.
#[derive(Serialize)]
struct CompanyHeadOut {
    id: IdIx,
    record: Option<(Sym, Option<Sym>)>,
    local_currency: Option<Sym>,
    vendors: Vec<VendorV2>,
}

/// A sequence's length as postcard writes it (a `usize` varint) before its items.
fn seq_len<F: postcard::ser_flavors::Flavor>(
    s: &mut postcard::Serializer<F>,
    n: usize,
) -> postcard::Result<()> {
    use serde::Serializer as _;
    s.serialize_seq(Some(n)).map(|_| ())
}

/// The header, then the postcard-encoded state, into `out`.
///
/// One pass: postcard writes a struct as its fields one after another and a sequence as its
/// length then its items, so the state is written in parts that join into the bytes of one
/// [`StateV2`]. The string table comes first but is only complete after every row has named
/// its texts, so the companies (nearly all of a state) are written as their rows are made, into
/// pieces of their own, while the tables fill; then the header, the tables and the fields
/// before the companies, the companies' pieces (each dropped once copied), and the rest. Each
/// document's row is made once and dropped after it is written (where the rows of every
/// document were ~50 MB at 100,000 invoices), and each text is looked up once (where a first
/// pass interned them and a second looked them up again).
pub(super) fn encode_into<F: postcard::ser_flavors::Flavor>(
    e: &Engine,
    out: F,
) -> postcard::Result<F::Output> {
    // The decisions stay locked while the state is encoded: the tables borrow their texts.
    e.with_exported_decisions(|decisions, decision_texts| {
        encode_with(e, decisions, decision_texts, out)
    })
}

fn encode_with<'e, F: postcard::ser_flavors::Flavor>(
    e: &'e Engine,
    decisions: DecisionsSnapshot,
    decision_texts: Vec<&'e str>,
    out: F,
) -> postcard::Result<F::Output> {
    use serde::Serialize as _;
    let mut t = Tables::default();
    // Room for a text or two per document and its lines: the tables grow without rehashing
    // most of the time.
    t.strings.reserve(e.docs.len() * 2);
    t.string_ix.reserve(e.docs.len() * 2);
    let environment = t.sym(&e.environment);
    // Versions implied by a held document (same timestamp) are not written. Found through a
    // hash map of the held documents' timestamps (a search of the documents' tree compared
    // the company's id at every level).
    let mut held: TextMap<&DocKey, Option<crate::date::Timestamp>> = TextMap::default();
    held.reserve(e.docs.len());
    held.extend(e.docs.iter().map(|(k, d)| (k, d.last_modified)));
    let mut versions: BTreeMap<&str, Vec<(u8, &HeldId, i64)>> = BTreeMap::new();
    for (k, v) in &e.versions {
        if held.get(k).copied().flatten() == Some(*v) {
            continue;
        }
        versions
            .entry(k.0.as_str())
            .or_default()
            .push((k.1, &k.2, v.0));
    }
    let mut company_ids: BTreeSet<&str> = e.companies.keys().map(String::as_str).collect();
    let mut last: Option<&str> = None;
    for k in e.docs.keys() {
        // Ordered by company first: each company once.
        if last != Some(k.0.as_str()) {
            company_ids.insert(k.0.as_str());
            last = Some(k.0.as_str());
        }
    }
    company_ids.extend(versions.keys().copied());
    drop(held);
    let mut docs = e.docs.iter().peekable();
    let mut body = postcard::Serializer {
        output: Pieces::new(PIECE),
    };
    seq_len(&mut body, company_ids.len())?;
    for cid in company_ids {
        let cs = e.companies.get(cid);
        let id = t.id(cid);
        let record = cs
            .and_then(|c| c.company.as_ref())
            .map(|co| (t.sym(&co.name), t.osym(&co.display_name)));
        let local_currency = cs
            .and_then(|c| c.local_currency.as_deref())
            .map(|s| t.sym(s));
        let mut vendors = Vec::new();
        if let Some(c) = cs {
            // Sorted: the engine keeps vendors in a HashMap; the state must not depend on its
            // order.
            let mut vs: Vec<(&Text, &Vendor)> = c.vendors.iter().collect();
            vs.sort_unstable_by(|a, b| a.0.cmp(b.0));
            for (vid, v) in vs {
                vendors.push(VendorV2 {
                    id: t.id(vid),
                    number: t.osym(&v.number),
                    name: t.osym(&v.name),
                    email: t.osym(&v.email),
                    website: t.osym(&v.website),
                });
            }
        }
        CompanyHeadOut {
            id,
            record,
            local_currency,
            vendors,
        }
        .serialize(&mut body)?;
        // `docs` is ordered by company first, and companies are visited in the same order.
        let first = docs.clone();
        let n = first.take_while(|(k, _)| k.0 == cid).count();
        seq_len(&mut body, n)?;
        for (k, d) in docs.by_ref().take(n) {
            debug_assert_eq!(k.2, d.id);
            doc_row(&mut t, d).serialize(&mut body)?;
        }
        let mut vs = versions.remove(cid).unwrap_or_default();
        vs.sort_unstable();
        let versions: Vec<(u8, Id, i64)> = vs
            .into_iter()
            .map(|(kind, vid, ms)| (kind, t.held_id(vid), ms))
            .collect();
        versions.serialize(&mut body)?;
    }
    let body = postcard::ser_flavors::Flavor::finalize(body.output)?;
    let users = e
        .users
        .values()
        .map(|(u, cs)| UserV2 {
            security_id: t.id(&u.security_id),
            user_name: t.osym(&u.user_name),
            display_name: t.osym(&u.display_name),
            state: t.osym(&u.state),
            contact_email: t.osym(&u.contact_email),
            license_type: t.osym(&u.license_type),
            authentication_email: t.osym(&u.authentication_email),
            companies: cs.iter().map(|c| t.id(c)).collect(),
        })
        .collect();
    // What the run that wrote the state read (record counts, page numbers) is not kept: it
    // describes that run, not the data, and a state kept with it changed with every run's
    // re-read overlap, so a run that changed nothing never kept its state file. The fields stay
    // in the format, written empty (see the module docs).
    let counts: Vec<(Sym, CountsV2)> = Vec::new();
    let pages_seen: Vec<(Sym, Sym, u32)> = Vec::new();
    let diagnostics = e
        .diags
        .items()
        .iter()
        .map(|d| DiagV2 {
            severity: SEVERITIES
                .iter()
                .position(|s| *s == d.severity)
                .unwrap_or(0) as u8,
            code: t.sym(d.code.as_str()),
            message: t.sym(&d.message),
            entity: d.entity.map(|x| t.sym(x)),
            company_id: t.osym(&d.company_id),
            page: d.page,
            record_index: d.record_index.map(|i| i as u64),
            record_id: t.osym(&d.record_id),
            path: t.osym(&d.path),
        })
        .collect();
    let per_code = e
        .diags
        .counts()
        .iter()
        .map(|(c, n)| (t.sym(c.as_str()), *n))
        .collect();
    // The key's text lives here until the state is serialized.
    let key_hex = e.built_figures().map(|f| f.key.hex());
    let built = match (e.built_figures(), key_hex.as_deref()) {
        (Some(f), Some(hex)) => Some(BuiltV2 {
            key: t.sym(hex),
            transactions: f.transactions,
            matched_transactions: f.matched_transactions,
            totals: f
                .totals
                .iter()
                .map(|x| TotalV2 {
                    currency: t.sym(&x.currency),
                    transactions: x.transactions,
                    amount_excluding_tax: x.amount_excluding_tax.0,
                    amount_including_tax: x.amount_including_tax.0,
                    matched_excluding_tax: x.matched_excluding_tax.0,
                })
                .collect(),
            diagnostics: f
                .built_diagnostics
                .iter()
                .map(|(c, n)| (t.sym(c.as_str()), *n))
                .collect(),
        }),
        _ => None,
    };
    // Last, so the texts the documents hold are already in the table and cost their index.
    // An engine never built has no verdicts: nothing to keep.
    let decisions = (!decisions.lines.is_empty()).then(|| DecisionsV2 {
        texts: decision_texts.iter().map(|x| t.sym(x)).collect(),
        snapshot: decisions,
    });
    let mut s = postcard::Serializer { output: out };
    s.output.try_extend(MAGIC)?;
    s.output.try_extend(&VERSION.to_le_bytes())?;
    HeadOut {
        strings: &t.strings,
        ids: &t.ids,
        environment,
        window_start: days(e.window_start),
        credit_memos: e.credit_memos,
    }
    .serialize(&mut s)?;
    drop(t);
    for piece in body {
        s.output.try_extend(piece.as_slice())?;
    }
    TailOut {
        users,
        counts,
        pages_seen,
        diagnostics,
        per_code,
        built,
        decisions,
    }
    .serialize(&mut s)?;
    postcard::ser_flavors::Flavor::finalize(s.output)
}

// ------------------------------------------------------------------------------------------
// Import

/// The tables of a state being read, every index checked against them.
struct Reader<'a> {
    strings: Vec<&'a str>,
    /// Each text of the table as the engine holds it, made the first time a held record uses
    /// it and shared by every later use: a restore allocates per distinct text, not per use.
    texts: Vec<std::cell::OnceCell<Text>>,
    /// Each id's text, worked out once (and shared with the engine's interner).
    ids: Vec<Text>,
}

/// 0001-01-01 and 9999-12-31 in days since 1970-01-01.
const MIN_DAY: i32 = -719_162;
const MAX_DAY: i32 = 2_932_896;

impl<'a> Reader<'a> {
    fn str(&self, ix: Sym, path: impl FnOnce() -> String) -> Result<&'a str, ConfigError> {
        self.strings.get(ix as usize).copied().ok_or_else(|| {
            invalid(
                path(),
                format!(
                    "text {ix} is outside the string table ({} texts)",
                    self.strings.len()
                ),
            )
        })
    }

    fn string(&self, ix: Sym, path: impl FnOnce() -> String) -> Result<String, ConfigError> {
        self.str(ix, path).map(str::to_owned)
    }

    /// Text `ix` as the engine holds it, for a field unique to its record (a document's
    /// number): not in the interner, but still one allocation per table entry.
    fn text(&self, ix: Sym, path: impl FnOnce() -> String) -> Result<Text, ConfigError> {
        let s = self.str(ix, path)?;
        Ok(self.texts[ix as usize]
            .get_or_init(|| Text::from(s))
            .clone())
    }

    fn otext(
        &self,
        ix: Option<Sym>,
        path: impl FnOnce() -> String,
    ) -> Result<Option<Text>, ConfigError> {
        ix.map(|i| self.text(i, path)).transpose()
    }

    /// Text `ix` for a field that repeats across records (a vendor's name, a description):
    /// also given to the engine's interner, so documents read later share it.
    fn shared(
        &self,
        ix: Sym,
        texts: &mut Interner,
        path: impl FnOnce() -> String,
    ) -> Result<Text, ConfigError> {
        let s = self.str(ix, path)?;
        let cell = &self.texts[ix as usize];
        if let Some(t) = cell.get() {
            return Ok(t.clone());
        }
        // Each table entry is a distinct text: deferred to the interner, hashed only when the
        // engine next reads a page (`Interner::defer`).
        let t = Text::from(s);
        texts.defer(t.clone());
        let _ = cell.set(t.clone());
        Ok(t)
    }

    fn oshared(
        &self,
        ix: Option<Sym>,
        texts: &mut Interner,
        path: impl FnOnce() -> String,
    ) -> Result<Option<Text>, ConfigError> {
        ix.map(|i| self.shared(i, texts, path)).transpose()
    }

    fn ostring(
        &self,
        ix: Option<Sym>,
        path: impl FnOnce() -> String,
    ) -> Result<Option<String>, ConfigError> {
        ix.map(|i| self.string(i, path)).transpose()
    }

    fn id(&self, ix: IdIx, path: impl FnOnce() -> String) -> Result<Text, ConfigError> {
        self.ids.get(ix as usize).cloned().ok_or_else(|| {
            invalid(
                path(),
                format!("id {ix} is outside the id table ({} ids)", self.ids.len()),
            )
        })
    }

    fn oid(
        &self,
        ix: Option<IdIx>,
        path: impl FnOnce() -> String,
    ) -> Result<Option<Text>, ConfigError> {
        ix.map(|i| self.id(i, path)).transpose()
    }

    /// The text of an id, in the table or in a row: a GUID's canonical form, or a text kept as
    /// written (export -> import -> export is exact) but never blank or longer than any BC id.
    fn id_text(&self, id: &Id, path: impl Fn() -> String) -> Result<Text, ConfigError> {
        match id {
            Id::Guid(g) => Ok(guid_shared(g)),
            Id::Text(ix) => {
                let t = self.str(*ix, &path)?;
                if t.trim().is_empty() || t.trim() != t || t.len() > MAX_ID {
                    return Err(invalid(
                        path(),
                        format!(
                            "an id must have 1 to {MAX_ID} characters and no surrounding space, got {:?}",
                            t.chars().take(80).collect::<String>()
                        ),
                    ));
                }
                self.text(*ix, path)
            }
        }
    }

    /// [`Reader::id_text`] as a record's own id (a document's, a line's): a GUID stays its 16
    /// bytes, without an allocation.
    fn held_id(&self, id: &Id, path: impl Fn() -> String) -> Result<HeldId, ConfigError> {
        match id {
            Id::Guid(g) => Ok(HeldId::from_guid(*g)),
            Id::Text(_) => self.id_text(id, path).map(HeldId::from),
        }
    }
}

fn date(d: i32, path: impl FnOnce() -> String) -> Result<Date, ConfigError> {
    if !(MIN_DAY..=MAX_DAY).contains(&d) {
        return Err(invalid(
            path(),
            format!("day {d} is not a date of years 1 to 9999"),
        ));
    }
    Ok(Date::from_days(d as i64))
}

fn odate(d: Option<i32>, path: impl FnOnce() -> String) -> Result<Option<Date>, ConfigError> {
    d.map(|d| date(d, path)).transpose()
}

/// Reads v2 `bytes` (header included) into `engine`, new and configured by the caller.
pub(super) fn decode(mut engine: Engine, bytes: &[u8]) -> Result<Engine, ConfigError> {
    if bytes.len() < HEADER_LEN || !bytes.starts_with(MAGIC) {
        return Err(invalid(
            "header",
            "the state is cut off inside its header; write it again",
        ));
    }
    let version = u16::from_le_bytes([bytes[8], bytes[9]]);
    if version > VERSION {
        return Err(ConfigError::new(ErrorCode::StateVersion, format!("the engine state has version {version}, written by a newer bc-spend; this one reads versions 1 and {VERSION}. Upgrade bc-spend, or sync again without the state.")).at("version"));
    }
    if version != VERSION {
        return Err(invalid(
            "version",
            format!(
                "version {version} is not a binary state version (1 is JSON, {VERSION} binary)"
            ),
        ));
    }
    // Read in one pass: each document is made as its row is read (see `StateSeed`); the rows
    // of every document were held at once before.
    let body = &bytes[HEADER_LEN..];
    let mut seen = BTreeSet::new();
    let mut docs = Vec::new();
    let mut failed = None;
    let mut de = postcard::Deserializer::from_bytes(body);
    let read = serde::de::DeserializeSeed::deserialize(
        StateSeed {
            engine: &mut engine,
            seen: &mut seen,
            docs: &mut docs,
            failed: &mut failed,
            body_len: body.len(),
        },
        &mut de,
    );
    let (r, s) = match read {
        Ok(x) => x,
        // A row that read but is not valid: its own error, with its path.
        Err(_) if failed.is_some() => return Err(failed.unwrap_or_else(|| invalid("state", ""))),
        Err(e) => {
            return Err(invalid(
                "state",
                format!(
                    "the state does not decode ({e}): it is cut off or damaged; write it again"
                ),
            ))
        }
    };
    let rest = de
        .finalize()
        .map_err(|e| invalid("state", format!("the state does not decode ({e})")))?;
    if !rest.is_empty() {
        return Err(invalid(
            "state",
            format!("{} bytes after the end of the state", rest.len()),
        ));
    }
    engine.docs = held_documents(docs)?;
    for (ui, u) in s.users.into_iter().enumerate() {
        let p = |f: &str| format!("users/{ui}/{f}");
        let sid = r.id(u.security_id, || p("securityId"))?.to_string();
        let mut companies = BTreeSet::new();
        for (k, c) in u.companies.into_iter().enumerate() {
            companies.insert(r.id(c, || format!("users/{ui}/companies/{k}"))?.to_string());
        }
        let raw = RawUserFields {
            security_id: sid.clone(),
            user_name: r.ostring(u.user_name, || p("userName"))?,
            display_name: r.ostring(u.display_name, || p("displayName"))?,
            state: r.ostring(u.state, || p("state"))?,
            contact_email: r.ostring(u.contact_email, || p("contactEmail"))?,
            license_type: r.ostring(u.license_type, || p("licenseType"))?,
            authentication_email: r.ostring(u.authentication_email, || p("authenticationEmail"))?,
        };
        if engine.users.insert(sid, (raw, companies)).is_some() {
            return Err(invalid(
                format!("users/{ui}"),
                "the same user appears twice",
            ));
        }
    }
    let entity = |ix: Sym, path: String| -> Result<Entity, ConfigError> {
        let name = r.str(ix, || path.clone())?;
        Entity::parse(name).ok_or_else(|| invalid(path, format!("unknown entity {name:?}")))
    };
    // Written by earlier builds (the counts of what their run read): still checked, so
    // a damaged state is refused as before, but not restored. A restored engine counts only
    // what it reads itself, as a sync run does (`begin_sync_run` cleared them anyway).
    let mut counted = BTreeSet::new();
    for (i, (ent, _)) in s.counts.into_iter().enumerate() {
        let e = entity(ent, format!("counts/{i}"))?;
        if !counted.insert(e) {
            return Err(invalid(
                format!("counts/{i}"),
                "the entity is counted twice",
            ));
        }
    }
    for (i, (ent, company, _)) in s.pages_seen.into_iter().enumerate() {
        entity(ent, format!("pagesSeen/{i}"))?;
        r.str(company, || format!("pagesSeen/{i}"))?;
    }
    let mut items = Vec::with_capacity(s.diagnostics.len());
    for (i, d) in s.diagnostics.into_iter().enumerate() {
        let p = |f: &str| format!("diagnostics/items/{i}/{f}");
        let code = known_code(r.str(d.code, || p("code"))?, p("code"))?;
        let severity = *SEVERITIES
            .get(d.severity as usize)
            .ok_or_else(|| invalid(p("severity"), format!("unknown severity {}", d.severity)))?;
        let entity = d
            .entity
            .map(|x| entity(x, p("entity")).map(Entity::as_str))
            .transpose()?;
        items.push(Diagnostic {
            severity,
            code,
            message: r.string(d.message, || p("message"))?,
            entity,
            company_id: r.ostring(d.company_id, || p("companyId"))?,
            page: d.page,
            record_index: d
                .record_index
                .map(|i| usize::try_from(i).unwrap_or(usize::MAX)),
            record_id: r.ostring(d.record_id, || p("recordId"))?,
            path: r.ostring(d.path, || p("path"))?,
        });
    }
    let mut per_code = Vec::with_capacity(s.per_code.len());
    for (i, (code, n)) in s.per_code.into_iter().enumerate() {
        let p = format!("diagnostics/perCode/{i}");
        per_code.push((known_code(r.str(code, || p.clone())?, p)?, n));
    }
    engine.diags = diagnostic_log(items, per_code)?;
    if let Some(b) = s.built {
        engine.set_built_figures(Some(read_built(&r, b)?));
    }
    if let Some(d) = s.decisions {
        // Those of another build or catalog are dropped there, never trusted.
        let (snapshot, texts, shared) = read_decisions(&r, &mut engine.texts, d)?;
        engine.restore_decisions_parts(&snapshot, &texts, &shared)?;
    }
    Ok(finish_engine(engine))
}

/// A held document's key in the engine: company, kind, id.
use crate::engine::DocKey;
/// A document read, with its key in the engine and where it was in the state.
type HeldDoc = (DocKey, Box<HeldDocument>, (usize, usize));

/// The engine's documents. A state written by [`encode`] lists them in key order, so the tree
/// is built in one pass (inserting one at a time was a fifth of a load); a state in another
/// order is sorted first. A document twice is refused, naming its second place.
fn held_documents(
    mut docs: Vec<HeldDoc>,
) -> Result<BTreeMap<DocKey, Box<HeldDocument>>, ConfigError> {
    if !docs.windows(2).all(|w| w[0].0 < w[1].0) {
        docs.sort_by(|a, b| a.0.cmp(&b.0).then(a.2.cmp(&b.2)));
        if let Some(w) = docs.windows(2).find(|w| w[0].0 == w[1].0) {
            let (ci, di) = w[0].2.max(w[1].2);
            return Err(invalid(
                format!("companies/{ci}/documents/{di}"),
                "the same document appears twice",
            ));
        }
    }
    Ok(docs.into_iter().map(|(k, d, _)| (k, d)).collect())
}

/// A company's fields before its documents, read: its id (checked once in the state) and the
/// engine's record of it.
fn company_head(
    r: &Reader<'_>,
    texts: &mut Interner,
    seen: &mut BTreeSet<String>,
    ci: usize,
    head: CompanyHeadIn,
) -> Result<(Text, CompanyState), ConfigError> {
    let (id, record, local_currency, vendors) = head;
    let cp = |f: &str| format!("companies/{ci}/{f}");
    let cid = r.id(id, || cp("id"))?;
    if !seen.insert(cid.to_string()) {
        return Err(invalid(cp("id"), format!("company {cid} appears twice")));
    }
    let mut cs = CompanyState {
        company: match record {
            None => None,
            Some((name, display)) => Some(Company {
                id: cid.clone(),
                name: r.text(name, || cp("name"))?,
                display_name: r.otext(display, || cp("displayName"))?,
            }),
        },
        local_currency: r.oshared(local_currency, texts, || cp("localCurrency"))?,
        vendors: HashMap::with_capacity(vendors.len()),
    };
    for (vi, v) in vendors.into_iter().enumerate() {
        let vp = |f: &str| format!("companies/{ci}/vendors/{vi}/{f}");
        let vid = r.id(v.id, || vp("id"))?;
        let vendor = Vendor {
            id: vid.clone(),
            number: r.oshared(v.number, texts, || vp("number"))?,
            name: r.oshared(v.name, texts, || vp("name"))?,
            email: r.otext(v.email, || vp("email"))?,
            website: r.otext(v.website, || vp("website"))?,
        };
        if cs.vendors.insert(vid, vendor).is_some() {
            return Err(invalid(vp("id"), "the same vendor appears twice"));
        }
    }
    Ok((cid, cs))
}

/// One document's row, read into the engine's document (its version kept) and `docs`.
fn company_doc(
    r: &Reader<'_>,
    engine: &mut Engine,
    docs: &mut Vec<HeldDoc>,
    cid: &Text,
    (ci, di): (usize, usize),
    d: DocV2,
) -> Result<(), ConfigError> {
    let doc = read_doc(r, &mut engine.texts, ci, di, d)?;
    let kind = if doc.kind == DocKind::CreditMemo {
        KIND_CREDIT_MEMO
    } else {
        KIND_INVOICE
    };
    let key = (cid.clone(), kind, doc.id.clone());
    if let Some(t) = doc.last_modified {
        engine.versions.insert(key.clone(), t);
    }
    docs.push((key, Box::new(HeldDocument::new(doc)), (ci, di)));
    Ok(())
}

/// A company's versions of documents not held, then the company itself, into the engine.
fn company_tail(
    r: &Reader<'_>,
    engine: &mut Engine,
    (cid, cs): (Text, CompanyState),
    ci: usize,
    versions: Vec<(u8, Id, i64)>,
) -> Result<(), ConfigError> {
    for (vi, (kind, id, ms)) in versions.into_iter().enumerate() {
        let vp = || format!("companies/{ci}/versions/{vi}");
        if kind > KIND_CREDIT_MEMO {
            return Err(invalid(
                vp(),
                format!("version kind must be 0 (invoice) or 1 (credit memo), got {kind}"),
            ));
        }
        let id = r.held_id(&id, vp)?;
        let t = check_timestamp(vp, ms)?;
        engine.versions.insert((cid.clone(), kind, id), t);
    }
    if cs.company.is_some() || cs.local_currency.is_some() || !cs.vendors.is_empty() {
        engine.companies.insert(cid.to_string(), cs);
    }
    Ok(())
}

// ------------------------------------------------------------------------------------------
// The state read in one pass

/// [`CompanyV2`]'s fields before `documents`.
type CompanyHeadIn = (IdIx, Option<(Sym, Option<Sym>)>, Option<Sym>, Vec<VendorV2>);

/// [`StateV2`]'s fields after `companies`, as read.
struct Rest {
    users: Vec<UserV2>,
    counts: Vec<(Sym, CountsV2)>,
    pages_seen: Vec<(Sym, Sym, u32)>,
    diagnostics: Vec<DiagV2>,
    per_code: Vec<(Sym, u64)>,
    built: Option<BuiltV2>,
    decisions: Option<DecisionsV2>,
}

/// What reading the companies writes to: the engine, the companies seen, the documents read.
/// A row that decodes but is not valid stops the read with its error in `failed` (serde's
/// error type cannot carry it).
struct StateSeed<'x> {
    engine: &'x mut Engine,
    seen: &'x mut BTreeSet<String>,
    docs: &'x mut Vec<HeldDoc>,
    failed: &'x mut Option<ConfigError>,
    /// The bytes of the state: no sequence in it is longer, whatever its length says.
    body_len: usize,
}

/// Keeps `e` in `failed` and stops the read.
fn fail<E: serde::de::Error>(failed: &mut Option<ConfigError>, e: ConfigError) -> E {
    *failed = Some(e);
    E::custom("a row is not valid")
}

/// The next field of a postcard struct (postcard gives every field: `None` is not a state).
fn field<'de, T: Deserialize<'de>, A: serde::de::SeqAccess<'de>>(
    seq: &mut A,
) -> Result<T, A::Error> {
    seq.next_element()?
        .ok_or_else(|| serde::de::Error::custom("a field is missing"))
}

/// [`StateV2`] has 13 fields, [`CompanyV2`] 6.
const STATE_FIELDS: usize = 13;
const COMPANY_FIELDS: usize = 6;

impl<'de> serde::de::DeserializeSeed<'de> for StateSeed<'_> {
    type Value = (Reader<'de>, Rest);
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_tuple(STATE_FIELDS, self)
    }
}

impl<'de> serde::de::Visitor<'de> for StateSeed<'_> {
    type Value = (Reader<'de>, Rest);
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a bc-spend state")
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let strings: Vec<&'de str> = field(&mut seq)?;
        let ids: Vec<Id> = field(&mut seq)?;
        let environment: Sym = field(&mut seq)?;
        let window_start: i32 = field(&mut seq)?;
        let _credit_memos: bool = field(&mut seq)?;
        let r = match reader(strings, &ids, environment, window_start, &mut *self.engine) {
            Ok(r) => r,
            Err(e) => return Err(fail(self.failed, e)),
        };
        let companies = CompaniesSeed {
            r: &r,
            engine: self.engine,
            seen: self.seen,
            docs: self.docs,
            failed: self.failed,
            body_len: self.body_len,
        };
        seq.next_element_seed(companies)?
            .ok_or_else(|| serde::de::Error::custom("a field is missing"))?;
        let rest = Rest {
            users: field(&mut seq)?,
            counts: field(&mut seq)?,
            pages_seen: field(&mut seq)?,
            diagnostics: field(&mut seq)?,
            per_code: field(&mut seq)?,
            built: field(&mut seq)?,
            decisions: field(&mut seq)?,
        };
        Ok((r, rest))
    }
}

/// The tables read, and the fields before the companies checked: the environment first (a
/// state of another environment is `STATE_FOREIGN` whatever its rows hold).
fn reader<'a>(
    strings: Vec<&'a str>,
    ids: &[Id],
    environment: Sym,
    window_start: i32,
    engine: &mut Engine,
) -> Result<Reader<'a>, ConfigError> {
    let mut r = Reader {
        texts: std::iter::repeat_with(std::cell::OnceCell::new)
            .take(strings.len())
            .collect(),
        strings,
        ids: Vec::with_capacity(ids.len()),
    };
    // Ids in the table are used more than once (companies, vendors, credited invoices): the
    // engine's interned texts, so the documents and keys read later share them.
    for (i, id) in ids.iter().enumerate() {
        let text = r.id_text(id, || format!("ids/{i}"))?;
        engine.texts.defer(text.clone());
        r.ids.push(text);
    }
    let env = r.str(environment, || "environment".into())?;
    if env != engine.environment {
        return Err(ConfigError::new(
            ErrorCode::StateForeign,
            format!(
                "the engine state belongs to environment {:?}, but the engine is configured for {:?}; use that environment's state, or sync without one",
                env.chars().take(200).collect::<String>(),
                engine.environment
            ),
        )
        .at("environment"));
    }
    date(window_start, || "windowStart".into())?;
    Ok(r)
}

struct CompaniesSeed<'r, 'a, 'x> {
    r: &'r Reader<'a>,
    engine: &'x mut Engine,
    seen: &'x mut BTreeSet<String>,
    docs: &'x mut Vec<HeldDoc>,
    failed: &'x mut Option<ConfigError>,
    body_len: usize,
}

impl<'de> serde::de::DeserializeSeed<'de> for CompaniesSeed<'_, '_, '_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> serde::de::Visitor<'de> for CompaniesSeed<'_, '_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("companies")
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut ci = 0;
        while seq
            .next_element_seed(CompanySeed {
                r: self.r,
                engine: &mut *self.engine,
                seen: &mut *self.seen,
                docs: &mut *self.docs,
                failed: &mut *self.failed,
                body_len: self.body_len,
                ci,
            })?
            .is_some()
        {
            ci += 1;
        }
        Ok(())
    }
}

struct CompanySeed<'r, 'a, 'x> {
    r: &'r Reader<'a>,
    engine: &'x mut Engine,
    seen: &'x mut BTreeSet<String>,
    docs: &'x mut Vec<HeldDoc>,
    failed: &'x mut Option<ConfigError>,
    body_len: usize,
    ci: usize,
}

impl<'de> serde::de::DeserializeSeed<'de> for CompanySeed<'_, '_, '_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_tuple(COMPANY_FIELDS, self)
    }
}

impl<'de> serde::de::Visitor<'de> for CompanySeed<'_, '_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a company")
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let CompanySeed {
            r,
            engine,
            seen,
            docs,
            failed,
            body_len,
            ci,
        } = self;
        let head: CompanyHeadIn = (
            field(&mut seq)?,
            field(&mut seq)?,
            field(&mut seq)?,
            field(&mut seq)?,
        );
        let company = match company_head(r, &mut engine.texts, seen, ci, head) {
            Ok(c) => c,
            Err(e) => return Err(fail(failed, e)),
        };
        let rows = DocsSeed {
            r,
            engine: &mut *engine,
            docs: &mut *docs,
            failed: &mut *failed,
            body_len,
            cid: &company.0,
            ci,
        };
        seq.next_element_seed(rows)?
            .ok_or_else(|| serde::de::Error::custom("a field is missing"))?;
        let versions: Vec<(u8, Id, i64)> = field(&mut seq)?;
        company_tail(r, engine, company, ci, versions).map_err(|e| fail(failed, e))
    }
}

/// A company's documents: each made as its row is read, the row dropped after.
struct DocsSeed<'r, 'a, 'x> {
    r: &'r Reader<'a>,
    engine: &'x mut Engine,
    docs: &'x mut Vec<HeldDoc>,
    failed: &'x mut Option<ConfigError>,
    body_len: usize,
    cid: &'x Text,
    ci: usize,
}

impl<'de> serde::de::DeserializeSeed<'de> for DocsSeed<'_, '_, '_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> serde::de::Visitor<'de> for DocsSeed<'_, '_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("documents")
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        // Room for the documents the length announces, as far as the bytes could hold them (a
        // row is more than 16 bytes): a forged length reserves nothing it has no bytes for.
        let n = seq.size_hint().unwrap_or(0).min(self.body_len / 16);
        self.docs.reserve(n);
        self.engine.versions.reserve(n);
        let mut di = 0;
        while let Some(d) = seq.next_element::<DocV2>()? {
            company_doc(self.r, self.engine, self.docs, self.cid, (self.ci, di), d)
                .map_err(|e| fail(self.failed, e))?;
            di += 1;
        }
        Ok(())
    }
}

fn read_doc(
    r: &Reader<'_>,
    texts: &mut Interner,
    ci: usize,
    di: usize,
    d: DocV2,
) -> Result<Document, ConfigError> {
    let p = |f: &str| format!("companies/{ci}/documents/{di}/{f}");
    let lines = match d.lines {
        None => None,
        Some(ls) => {
            let mut out = Vec::with_capacity(ls.len());
            for (li, l) in ls.into_iter().enumerate() {
                let lp = |f: &str| format!("companies/{ci}/documents/{di}/lines/{li}/{f}");
                let line_type = *LINE_TYPES.get(l.line_type as usize).ok_or_else(|| {
                    invalid(lp("lineType"), format!("unknown line type {}", l.line_type))
                })?;
                out.push(Line {
                    id: l.id.map(|x| r.held_id(&x, || lp("id"))).transpose()?,
                    sequence: l.sequence,
                    line_type,
                    object_number: r.oshared(l.object_number, texts, || lp("objectNumber"))?,
                    description: r.shared(l.description, texts, || lp("description"))?,
                    description2: r.oshared(l.description2, texts, || lp("description2"))?,
                    net_amount: check_amount(|| lp("netAmount"), l.net_amount)?,
                    net_tax_amount: check_amount(|| lp("netTaxAmount"), l.net_tax_amount)?,
                    net_amount_including_tax: check_amount(
                        || lp("netAmountIncludingTax"),
                        amount_from_delta(
                            l.net_amount_including_tax,
                            l.net_amount,
                            l.net_tax_amount,
                        ),
                    )?,
                    invoice_discount_allocation: check_amount(
                        || lp("invoiceDiscountAllocation"),
                        l.invoice_discount_allocation,
                    )?,
                    quantity: check_opt_amount(|| lp("quantity"), l.quantity)?,
                    unit_cost: check_opt_amount(|| lp("unitCost"), l.unit_cost)?,
                    unit_of_measure: r.oshared(l.unit_of_measure, texts, || lp("unitOfMeasure"))?,
                });
            }
            Some(out)
        }
    };
    // The posting date first: the other two are read from it.
    let posting_date = odate(d.posting_date, || p("postingDate"))?;
    Ok(Document {
        kind: if d.credit_memo {
            DocKind::CreditMemo
        } else {
            DocKind::Invoice
        },
        id: r.held_id(&d.id, || p("id"))?,
        number: r.otext(d.number, || p("number"))?,
        document_date: odate(
            d.document_date.map(|x| date_from_delta(x, d.posting_date)),
            || p("documentDate"),
        )?,
        posting_date,
        due_date: odate(
            d.due_date.map(|x| date_from_delta(x, d.posting_date)),
            || p("dueDate"),
        )?,
        vendor_document_number: r.otext(d.vendor_document_number, || p("vendorDocumentNumber"))?,
        vendor_id: r.oid(d.vendor_id, || p("vendorId"))?,
        vendor_number: r.oshared(d.vendor_number, texts, || p("vendorNumber"))?,
        vendor_name: r.oshared(d.vendor_name, texts, || p("vendorName"))?,
        currency_code: r.oshared(d.currency_code, texts, || p("currencyCode"))?,
        discount_amount: check_opt_amount(|| p("discountAmount"), d.discount_amount)?,
        total_excluding_tax: check_opt_amount(|| p("totalExcludingTax"), d.total_excluding_tax)?,
        total_tax: check_opt_amount(|| p("totalTax"), d.total_tax)?,
        total_including_tax: check_opt_amount(
            || p("totalIncludingTax"),
            d.total_including_tax.map(|x| {
                amount_from_delta(
                    x,
                    d.total_excluding_tax.unwrap_or(0),
                    d.total_tax.unwrap_or(0),
                )
            }),
        )?,
        status: DocStatus::Paid,
        last_modified: d
            .last_modified
            .map(|t| check_timestamp(|| p("lastModified"), t))
            .transpose()?,
        lines,
        applies_to_invoice_id: r
            .oid(d.applies_to_invoice_id, || p("appliesToInvoiceId"))?
            .map(HeldId::from),
        applies_to_invoice_number: r
            .otext(d.applies_to_invoice_number, || p("appliesToInvoiceNumber"))?,
    })
}

/// The kept decisions and their texts, each index checked against the string table (the
/// snapshot's own handles are checked by [`Engine::restore_decisions`]). The texts are lent
/// from the state's table, not copied.
fn read_decisions<'a>(
    r: &Reader<'a>,
    held: &mut Interner,
    d: DecisionsV2,
) -> Result<(DecisionsSnapshot, Vec<&'a str>, Vec<Text>), ConfigError> {
    if !d.snapshot.texts.is_empty() {
        return Err(invalid(
            "decisions/snapshot/texts",
            "the decisions' texts must be in the state's string table",
        ));
    }
    let mut texts = Vec::with_capacity(d.texts.len());
    // The verdicts' texts are the documents' (vendor names, descriptions): the same `Text`s.
    let mut shared = Vec::with_capacity(d.texts.len());
    for (i, ix) in d.texts.into_iter().enumerate() {
        let at = || format!("decisions/texts/{i}");
        texts.push(r.str(ix, at)?);
        shared.push(r.shared(ix, held, at)?);
    }
    Ok((d.snapshot, texts, shared))
}

/// The kept summary figures, checked like the rest of a state: a key, amounts and codes that do
/// not read are `STATE_INVALID`, never trusted.
fn read_built(r: &Reader<'_>, b: BuiltV2) -> Result<BuiltFigures, ConfigError> {
    let at = |f: &str| format!("built/{f}");
    let key = OutputKey::parse(r.str(b.key, || at("key"))?)
        .ok_or_else(|| invalid(at("key"), "must be 32 hex digits"))?;
    let mut totals = Vec::with_capacity(b.totals.len());
    for (i, t) in b.totals.into_iter().enumerate() {
        let tp = |f: &str| format!("built/totals/{i}/{f}");
        totals.push(CurrencyTotal {
            currency: r.string(t.currency, || tp("currency"))?,
            transactions: t.transactions,
            amount_excluding_tax: check_amount(
                || tp("amountExcludingTax"),
                t.amount_excluding_tax,
            )?,
            amount_including_tax: check_amount(
                || tp("amountIncludingTax"),
                t.amount_including_tax,
            )?,
            matched_excluding_tax: check_amount(
                || tp("matchedExcludingTax"),
                t.matched_excluding_tax,
            )?,
        });
    }
    let mut built_diagnostics = BTreeMap::new();
    for (i, (code, n)) in b.diagnostics.into_iter().enumerate() {
        let p = format!("built/diagnostics/{i}");
        built_diagnostics.insert(known_code(r.str(code, || p.clone())?, p)?, n);
    }
    Ok(BuiltFigures {
        key,
        transactions: b.transactions,
        matched_transactions: b.matched_transactions,
        totals,
        built_diagnostics,
    })
}

#[cfg(test)]
mod tests;

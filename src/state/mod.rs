//! Engine state snapshots: what an engine has ingested, as compact versioned bytes.
//!
//! A sync checkpoints what it has read so that the next run can be incremental, an interrupted
//! run can resume, and the dashboard can rebuild the engine from an output directory without
//! re-reading Business Central:
//!
//! ```
//! use bc_spend::engine::{Engine, EngineOptions};
//! let options = || EngineOptions { window_start: Some("2025-11-26".into()), ..Default::default() };
//! let mut engine = Engine::new(options()).unwrap();
//! engine.add_page_text(None, Some("c1"), r#"{"@odata.context":"x/$metadata#companies(c1)/purchaseInvoices",
//!   "value":[{"id":"11111111-1111-1111-1111-111111111111","number":"PPI1","postingDate":"2026-01-05",
//!   "status":"Paid","currencyCode":"EUR","totalAmountExcludingTax":10,"totalAmountIncludingTax":12}]}"#);
//! assert_eq!(engine.transactions().len(), 1); // built: the state keeps its match decisions
//! let bytes = engine.export_state();
//! assert!(bytes.starts_with(b"BCSPEND\0"));
//! let mut again = Engine::from_state(options(), &bytes).unwrap();
//! assert_eq!(again.transactions().len(), 1);
//! assert_eq!(again.export_state(), bytes);
//! ```
//!
//! ## What a state holds
//! The documents held (paid invoices and credit memos with their lines), the newest
//! `lastModifiedDateTime` seen of every document (held or not, so a stale page cannot bring a
//! removed invoice back), companies with their local currency and vendors, users, diagnostics,
//! the summary figures of the last build (`src/engine/derived.rs`) and
//! the match decisions kept (`src/matching/decisions.rs`: each distinct line's verdict, so the
//! next run analyses only lines it has not seen; none until the engine was built, none in a v1
//! state; those of another build or catalog are dropped when read, never trusted).
//! Not held: the options (rules, catalog, line mode come from the caller, so a state can be
//! re-matched with new rules), transactions (rebuilt on demand), the record counts and page
//! numbers of what the run that wrote it read (`summary.json` has them; a restored engine
//! counts what it reads itself), and the removals of the run that wrote it (they describe that run; see [`crate::sync::changes::ChangeBaseline`] for what
//! changed).
//!
//! ## Formats
//! - **Version 2** (written): `b"BCSPEND\0"`, the format version as a little-endian `u16`, then
//!   one `postcard`-encoded, serde-derived [`v2`] state with every text interned in one string
//!   table and every id in one id table (canonical GUIDs as 16 bytes). See [`v2`].
//! - **Version 1** (read only, to migrate): JSON lines whose first line is
//!   `{"format":"bc-spend-engine-state","version":1,...}`, written by releases up to 0.1. See
//!   [`v1`]. Read like a v2 state; the next export is v2.
//!
//! [`Engine::from_state`] tells them apart by their first bytes: the magic is v2, a first
//! non-space byte `{` is v1 JSON, anything else is `STATE_INVALID`. [`StateWriter`] and
//! [`StateReader`] do the same in pieces.
//!
//! ## Errors and untrusted input
//! A state is read like any other input: bytes that are not a state, a state of a newer version,
//! one written for another environment, or one whose values are out of range gives a
//! [`ConfigError`] (`STATE_INVALID`, `STATE_VERSION`, `STATE_FOREIGN`) naming the offending
//! path; nothing in a state can make the core panic. A diagnostic code this version does not
//! know (one a newer bc-spend added) is `STATE_INVALID` naming the code, not a stand-in code:
//! adding a diagnostic code is a state format change.

pub mod v1;
pub mod v2;

use crate::bc::records::DocKind;
use crate::bc::LineType;
use crate::date::Timestamp;
use crate::diagnostics::{Diagnostic, DiagnosticCode, DiagnosticLog, Severity, KEEP_PER_CODE};
use crate::engine::{Engine, EngineOptions, Removal};
use crate::error::{ConfigError, ErrorCode};
use crate::money::Amount;
use std::collections::{BTreeMap, BTreeSet};

/// The format version [`Engine::export_state`] writes.
pub const STATE_VERSION: u16 = v2::VERSION;

/// Amounts read from BC are within ±`i64::MAX` ten-thousandths, never `i64::MIN` (see
/// [`crate::money`]); a state claiming `i64::MIN` was not written by this engine, and negating
/// it would overflow. (Sums are kept in range when transactions are built.)
const MIN_AMOUNT: i64 = -i64::MAX;
/// 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z in epoch milliseconds.
const MIN_TIMESTAMP: i64 = -62_135_596_800_000;
const MAX_TIMESTAMP: i64 = 253_402_300_799_999;
/// More diagnostics of one code than records any engine could have read.
const MAX_DIAGNOSTIC_COUNT: u64 = 100_000_000;
const MAX_ID: usize = 64;

const KIND_INVOICE: u8 = 0;
const KIND_CREDIT_MEMO: u8 = 1;

/// Line types in the order v2 numbers them (a state format: append only).
const LINE_TYPES: [LineType; 8] = [
    LineType::Comment,
    LineType::Account,
    LineType::Item,
    LineType::Resource,
    LineType::FixedAsset,
    LineType::Charge,
    LineType::AllocationAccount,
    LineType::Other,
];

/// Severities in the order v2 numbers them (a state format: append only).
const SEVERITIES: [Severity; 3] = [Severity::Error, Severity::Warning, Severity::Info];

fn invalid(path: impl Into<String>, message: impl Into<String>) -> ConfigError {
    ConfigError::new(
        ErrorCode::StateInvalid,
        format!("the engine state is not valid: {}", message.into()),
    )
    .at(path)
}

/// The code a state names. A code this version does not know (one a newer bc-spend added) is
/// refused, naming it: mapping it to a stand-in would change the counts per code the user sees
/// and lose what the diagnostic was about, and nothing here could explain it. So a new
/// diagnostic code means a new state version.
fn known_code(code: &str, path: String) -> Result<DiagnosticCode, ConfigError> {
    DiagnosticCode::parse(code).ok_or_else(|| {
        invalid(
            path,
            format!(
                "{:?} is not a diagnostic code this bc-spend knows (see CODES.md); a state written by a newer bc-spend needs that version",
                code.chars().take(70).collect::<String>()
            ),
        )
    })
}

/// The paths of the checks are closures: formatted only for an error (formatting one per
/// field and line was a fifth of reading a state).
fn check_id(path: impl FnOnce() -> String, id: &str) -> Result<String, ConfigError> {
    let t = id.trim();
    if t.is_empty() || t.len() > MAX_ID {
        return Err(invalid(
            path(),
            format!(
                "an id must have 1 to {MAX_ID} characters, got {:?}",
                id.chars().take(80).collect::<String>()
            ),
        ));
    }
    Ok(t.to_ascii_lowercase())
}

fn check_amount(path: impl FnOnce() -> String, v: i64) -> Result<Amount, ConfigError> {
    if v < MIN_AMOUNT {
        return Err(invalid(path(), format!("amount {v} is out of range")));
    }
    Ok(Amount(v))
}

fn check_opt_amount(
    path: impl FnOnce() -> String,
    v: Option<i64>,
) -> Result<Option<Amount>, ConfigError> {
    v.map(|x| check_amount(path, x)).transpose()
}

fn check_timestamp(path: impl FnOnce() -> String, ms: i64) -> Result<Timestamp, ConfigError> {
    if !(MIN_TIMESTAMP..=MAX_TIMESTAMP).contains(&ms) {
        return Err(invalid(path(), format!("timestamp {ms} is out of range")));
    }
    Ok(Timestamp(ms))
}

/// The diagnostic log of a state: the kept diagnostics (codes already checked) and the exact
/// count per code, which may exceed what is kept. Paths are `diagnostics/...` in both formats.
fn diagnostic_log(
    items: Vec<Diagnostic>,
    per_code: Vec<(DiagnosticCode, u64)>,
) -> Result<DiagnosticLog, ConfigError> {
    let mut log = DiagnosticLog::default();
    let mut kept: BTreeMap<DiagnosticCode, u64> = BTreeMap::new();
    for (i, d) in items.into_iter().enumerate() {
        let n = kept.entry(d.code).or_default();
        *n += 1;
        if *n > KEEP_PER_CODE {
            return Err(invalid(
                format!("diagnostics/items/{i}"),
                format!(
                    "more than {KEEP_PER_CODE} diagnostics of code {} are kept",
                    d.code
                ),
            ));
        }
        log.push(d);
    }
    let mut counted = BTreeSet::new();
    for (c, total) in per_code {
        let p = format!("diagnostics/perCode/{c}");
        if !counted.insert(c) {
            return Err(invalid(p, "the code is counted twice"));
        }
        let have = kept.get(&c).copied().unwrap_or(0);
        if total < have || total > MAX_DIAGNOSTIC_COUNT {
            return Err(invalid(
                p,
                format!("count {total} does not fit the {have} diagnostics kept"),
            ));
        }
        if total > have && have < KEEP_PER_CODE {
            return Err(invalid(p, format!("{total} diagnostics counted but only {have} kept, below the limit of {KEEP_PER_CODE}")));
        }
        // Past the limit a diagnostic is only counted, so pushing restores the exact count.
        for _ in have..total {
            log.push(Diagnostic::new(Severity::Info, c, String::new()));
        }
    }
    if kept.keys().any(|c| !log.counts().contains_key(c)) {
        return Err(invalid(
            "diagnostics/perCode",
            "a kept diagnostic's code has no count",
        ));
    }
    Ok(log)
}

/// The engine a whole state was read into, as its options configure it: documents the options
/// exclude are dropped, as removals.
fn finish_engine(mut engine: Engine) -> Engine {
    let dropped = engine.drop_documents_outside_config();
    engine.removals.extend(dropped);
    engine.invalidate();
    engine
}

/// Writes a state in pieces of at most `budget` bytes, for hosts that store it in pieces (a file
/// written as it comes, D1 rows of at most 1 MB). The state is encoded on the first call (a v2
/// state is a fraction of the engine that holds it) into pieces of [`v2::PIECE`] bytes, never
/// one buffer, and each is freed once handed out; the engine must not change between calls.
/// Every piece but the last has `budget` bytes; joined, they are [`Engine::export_state`].
pub struct StateWriter {
    /// The encoded pieces not yet handed out (`None` before the first call), the bytes of the
    /// first already handed out, and the bytes left in all.
    pieces: Option<std::collections::VecDeque<Vec<u8>>>,
    at: usize,
    left: usize,
    /// The size the state is encoded in ([`v2::PIECE`]; smaller in tests).
    piece: usize,
}

impl StateWriter {
    pub fn new(_engine: &Engine) -> StateWriter {
        StateWriter {
            pieces: None,
            at: 0,
            left: 0,
            piece: v2::PIECE,
        }
    }

    /// A writer that encodes in pieces of `piece` bytes (tests: many pieces from a small state).
    #[cfg(test)]
    pub(crate) fn with_piece_size(engine: &Engine, piece: usize) -> StateWriter {
        StateWriter {
            piece,
            ..StateWriter::new(engine)
        }
    }

    /// The next piece (at most `budget` bytes, at least 1), or `None` when the state is complete.
    pub fn next_chunk(&mut self, e: &Engine, budget: usize) -> Option<Vec<u8>> {
        if self.pieces.is_none() {
            let pieces = v2::encode_pieces(e, self.piece);
            self.left = pieces.iter().map(Vec::len).sum();
            self.pieces = Some(pieces.into());
        }
        let pieces = self.pieces.as_mut()?;
        let n = budget.max(1).min(self.left);
        if n == 0 {
            return None;
        }
        self.left -= n;
        // The usual case (the default budget is the pieces' size): a piece as it is.
        if self.at == 0 && pieces.front().is_some_and(|p| p.len() == n) {
            return pieces.pop_front();
        }
        let mut out = Vec::with_capacity(n);
        while out.len() < n {
            let front = pieces.front()?;
            let take = (n - out.len()).min(front.len() - self.at);
            out.extend_from_slice(&front[self.at..self.at + take]);
            self.at += take;
            if self.at == front.len() {
                pieces.pop_front();
                self.at = 0;
            }
        }
        Some(out)
    }
}

/// Reads a state a piece at a time: [`StateReader::push`] takes bytes in pieces of any size
/// (a v2 state, or a v1 state's UTF-8, cut anywhere); [`StateReader::finish`] checks that the
/// state was whole and returns the engine. The format is told from the first bytes.
pub struct StateReader {
    format: Format,
}

enum Format {
    /// Too few bytes yet to tell (all of them blank, or a prefix of the magic).
    Unknown(Box<Engine>, Vec<u8>),
    V1(Box<v1::StateReader>),
    /// The pieces as pushed, joined once at the end: appended to one `Vec`, a 21 MB state
    /// left the 1, 2, 4 ... 16 MB buffers it outgrew behind, holes that wasm memory (which never
    /// shrinks) kept (68 MB of linear memory for the pushed state).
    V2(Box<Engine>, Vec<Vec<u8>>),
    /// A piece failed: the reader is spent.
    Failed,
}

impl StateReader {
    /// Options are checked first-hand (as `Engine::new`).
    pub fn new(options: EngineOptions) -> Result<StateReader, ConfigError> {
        Ok(StateReader {
            format: Format::Unknown(Box::new(Engine::new(options)?), Vec::new()),
        })
    }

    /// The next piece of a v1 state's text: upgraders that hold v1 text as a string.
    pub fn push_text(&mut self, text: &str) -> Result<(), ConfigError> {
        self.push(text.as_bytes())
    }

    /// [`StateReader::push`] of a piece the caller gives away (a host's copy): kept as it is.
    pub fn push_vec(&mut self, piece: Vec<u8>) -> Result<(), ConfigError> {
        match &mut self.format {
            Format::V2(_, pieces) => {
                pieces.push(piece);
                Ok(())
            }
            _ => self.push(&piece),
        }
    }

    /// The next piece of the state's bytes.
    pub fn push(&mut self, piece: &[u8]) -> Result<(), ConfigError> {
        match std::mem::replace(&mut self.format, Format::Failed) {
            Format::V1(mut r) => {
                r.push_bytes(piece)?;
                self.format = Format::V1(r);
            }
            Format::V2(engine, mut pieces) => {
                pieces.push(piece.to_vec());
                self.format = Format::V2(engine, pieces);
            }
            Format::Unknown(engine, mut head) => {
                head.extend_from_slice(piece);
                self.format = match detect(&head, false)? {
                    None => Format::Unknown(engine, head),
                    Some(Detected::V2) => Format::V2(engine, vec![head]),
                    Some(Detected::V1) => {
                        let mut r = v1::StateReader::new(*engine);
                        r.push_bytes(&head)?;
                        Format::V1(Box::new(r))
                    }
                };
            }
            Format::Failed => return Err(spent()),
        }
        Ok(())
    }

    /// The engine, once the whole state was pushed.
    pub fn finish(self) -> Result<Engine, ConfigError> {
        match self.format {
            Format::V1(r) => r.finish(),
            Format::V2(engine, pieces) => {
                let bytes = join_pieces(pieces);
                v2::decode(*engine, &bytes)
            }
            Format::Unknown(engine, head) => match detect(&head, true)? {
                Some(Detected::V2) => v2::decode(*engine, &head),
                _ => Err(empty()),
            },
            Format::Failed => Err(spent()),
        }
    }
}

/// The pieces in one buffer of exactly their size, each freed once copied.
fn join_pieces(pieces: Vec<Vec<u8>>) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(pieces.iter().map(Vec::len).sum());
    for p in pieces {
        bytes.extend_from_slice(&p);
    }
    bytes
}

fn empty() -> ConfigError {
    ConfigError::new(
        ErrorCode::StateInvalid,
        "the engine state is empty; pass the bytes of a state.bcs written by exportState()",
    )
}

fn spent() -> ConfigError {
    ConfigError::new(
        ErrorCode::StateInvalid,
        "an earlier piece of this state was refused; read the state again from its start",
    )
}

enum Detected {
    V1,
    V2,
}

/// The format of a state from its first bytes: `None` while they could still be either (only
/// whitespace, or a prefix of the magic), unless `whole`.
fn detect(head: &[u8], whole: bool) -> Result<Option<Detected>, ConfigError> {
    let start = head
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(head.len());
    if head.len() >= v2::MAGIC.len() && head.starts_with(v2::MAGIC) {
        return Ok(Some(Detected::V2));
    }
    if start < head.len() && head[start] == b'{' {
        return Ok(Some(Detected::V1));
    }
    let could_be_magic = head.len() < v2::MAGIC.len() && v2::MAGIC.starts_with(head);
    if start == head.len() || (could_be_magic && !whole) {
        return Ok(None);
    }
    if could_be_magic {
        return Ok(Some(Detected::V2)); // too short: its decoder says so
    }
    Err(ConfigError::new(
        ErrorCode::StateInvalid,
        "the engine state is neither a bc-spend state (it starts with BCSPEND) nor a version 1 state's JSON; pass the bytes of a state.bcs written by exportState()",
    ))
}

impl Engine {
    /// The engine's state as version 2 bytes (see the module docs). Deterministic: the same
    /// engine always gives the same bytes.
    pub fn export_state(&self) -> Vec<u8> {
        v2::encode(self)
    }

    /// Rebuilds an engine from [`Engine::export_state`] bytes (or the UTF-8 of a version 1
    /// state), configured by `options` (rules, catalog, line mode and window may differ from the
    /// engine that wrote it). Documents before the window start, and credit memos when they are
    /// off, are dropped and reported by [`Engine::removals`] (`outsideWindow`). [`StateReader`]
    /// does the same a piece at a time.
    pub fn from_state(options: EngineOptions, bytes: &[u8]) -> Result<Engine, ConfigError> {
        let engine = Engine::new(options)?;
        match detect(bytes, true)? {
            Some(Detected::V2) => v2::decode(engine, bytes),
            Some(Detected::V1) => {
                let mut r = v1::StateReader::new(engine);
                r.push_bytes(bytes)?;
                r.finish()
            }
            None => Err(empty()),
        }
    }

    /// Drops documents the configuration excludes (before the window start; credit memos when
    /// they are off), as removals with reason `outsideWindow`.
    fn drop_documents_outside_config(&mut self) -> Vec<Removal> {
        let window_start = self.window_start;
        let credit_memos = self.credit_memos;
        let mut out = Vec::new();
        self.docs.retain(|(company, _, _), doc| {
            let outside = doc
                .posting_date
                .or(doc.document_date)
                .is_some_and(|d| d < window_start);
            let disabled = doc.kind == DocKind::CreditMemo && !credit_memos;
            if outside {
                out.push(Removal {
                    company_id: company.to_string(),
                    invoice_id: doc.id.clone(),
                    invoice_number: doc.number.clone(),
                    kind: if doc.kind == DocKind::CreditMemo {
                        "creditMemo"
                    } else {
                        "invoice"
                    },
                    reason: "outsideWindow",
                    status: None,
                });
            }
            !(outside || disabled)
        });
        out
    }

    /// Starts a sync run over this engine: forgets what described the previous run (record
    /// counts, page numbers, removals), the users (a sync re-reads them in full), and the
    /// diagnostics about records this run reads again: every entity but the documents of
    /// `incremental_companies`, whose unchanged records are not re-read.
    pub fn begin_sync_run(&mut self, incremental_companies: &BTreeSet<String>) {
        self.counts.clear();
        self.pages_seen.clear();
        self.removals.clear();
        self.users.clear();
        self.diags.retain(|d| {
            let document = matches!(
                d.entity,
                Some("purchaseInvoices") | Some("purchaseCreditMemos")
            );
            document
                && d.company_id
                    .as_ref()
                    .is_some_and(|c| incremental_companies.contains(c.as_str()))
        });
        self.invalidate();
    }

    /// Keeps only the documents, vendors and local currency of `companies` (ids, lower case):
    /// a sync of selected companies does not report the others.
    pub fn retain_companies(&mut self, companies: &BTreeSet<String>) {
        self.docs
            .retain(|(c, _, _), _| companies.contains(c.as_str()));
        self.versions
            .retain(|(c, _, _), _| companies.contains(c.as_str()));
        self.companies.retain(|c, s| {
            if companies.contains(c) {
                return true;
            }
            // The company list itself is kept (it names every company); its data is not.
            s.vendors.clear();
            s.local_currency = None;
            s.company.is_some()
        });
        self.invalidate();
    }

    /// The newest `lastModifiedDateTime` seen of `company`'s invoices (`credit_memos` false) or
    /// credit memos, held or not: the base of the next incremental sync's watermark.
    pub fn newest_modification(&self, company: &str, credit_memos: bool) -> Option<Timestamp> {
        let kind = if credit_memos {
            KIND_CREDIT_MEMO
        } else {
            KIND_INVOICE
        };
        self.versions
            .iter()
            .filter(|(k, _)| k.1 == kind && k.0 == company)
            .map(|(_, t)| *t)
            .max()
    }
}

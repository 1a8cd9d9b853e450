//! The sync plan: which Business Central URLs to read, in what order, and what each answer
//! means for the rest of the sync.
//!
//! The core decides, the host performs (design.md, "The boundary"): the host asks the plan for
//! the next request ([`SyncPlan::next_task`]), GETs it, feeds the page to the engine and tells
//! the plan how it went ([`SyncPlan::page_done`], [`SyncPlan::task_failed`]). The plan is pure
//! and synchronous; it never sees a token and reads no clock (the host hands it the run's start
//! time).
//!
//! ```
//! use bc_spend::sync::{SyncConfig, SyncPlan, PageInfo};
//! let mut plan = SyncPlan::new(SyncConfig {
//!     environment: "tenant/production".into(),
//!     started_at: "2026-11-26T09:00:00Z".into(),
//!     connected_at: Some("2026-11-26".into()),
//!     ..Default::default()
//! }, None).unwrap();
//! assert_eq!(plan.window_start().to_string(), "2025-11-26");
//! let task = plan.next_task().unwrap();
//! assert_eq!(task.url, "api/v2.0/companies?$select=id,name,displayName");
//! let page = r#"{"value":[{"id":"8e1b3ef6-9c3e-ef11-8409-000d3a7e3f1c","name":"CRONUS"}]}"#;
//! let ack = plan.page_done(task.id, PageInfo { text: Some(page), ..Default::default() });
//! assert!(ack.ingest && ack.companies_listed);
//! // Then: GL setup, vendors, paid invoices in date segments, and users, for the host to run
//! // up to its concurrency limit.
//! assert!(plan.next_task().unwrap().url.contains("purchaseInvoices?$filter=status%20eq%20'Paid'"));
//! ```
//!
//! ## What is read
//! The company list; per selected company its local currency (`generalLedgerSetup`), vendors
//! and paid `purchaseInvoices` with their lines (and `purchaseCreditMemos` when enabled); the
//! users once per environment. See [`query`] for the exact URLs.
//!
//! ## Window, segments and narrowing
//! The window starts at `windowStart`, or the previous checkpoint's, or `connectedAt` minus
//! `historyYears` (one year, as the reference product). A first read of a company splits the
//! window into date segments on `postingDate` so that several pages can be in flight at once (a
//! stream of pages is sequential: each `@odata.nextLink` comes with the page before it). When
//! BC answers a first page with 504 (the query is too heavy, reference 6) the plan splits that
//! segment in two; when a later page times out it asks for smaller pages instead. Once a read's
//! `@odata.count` is known, its last request asks for all that is left when that is less than
//! two pages, so no segment ends with a partial page: reading a company in segments costs no
//! more requests than reading it in one stream.
//!
//! Segments decided up front end at different times (companies differ in size, and postings
//! are not spread evenly over the year), and each is a chain of pages fetched one after the
//! other, so request slots would go idle while the longest chains finish. So a running segment
//! is split as it runs (work stealing, [`SyncPlan::next_task`]): when the request that
//! continues it would leave a slot idle (fewer reads can start than slots are free), or when it
//! would end last anyway (it has more pages left than the slots' share of all the pages left,
//! plus one), it keeps `[from, mid)` and a new read takes `[mid, to)`. `mid` halves, in days,
//! what is left after the latest `postingDate` the read has returned (`seen_to`, from the
//! engine's envelope of each page), so every record it already read lies before `mid`; the
//! read goes on from its `$skiptoken` position with its next link's `$filter` narrowed to
//! `postingDate lt mid` (BC applies the filter again on every page), and the new read reads
//! `[mid, to)` from its start: each record is read once, by one of them. Only a read with a
//! known count and at least [`SPLIT_MIN_PAGES`] pages left is split, so the halves cost no
//! more requests than the whole (each read of two pages or more costs `floor(records / page
//! size)`); the narrowed read counts again from its next page (its next link keeps
//! `$count`). A read is never split when a page's posting dates were not all known, when its
//! next link's `$filter` is not the plan's own, or when less than two days are left after
//! the latest date read. The checkpoint records the narrowed window and next link, the new
//! read, and `seen_to`, so a resumed run splits no earlier than the uninterrupted one could.
//! This relies on BC's server-driven paging taking the filter from the link on each page, as
//! its `$skiptoken` is a position in the query's order, not a snapshot of the first query; it
//! gains most when BC's order follows posting dates (its key, the document number, follows
//! posting). It is opt-in (`splitRunning: true`): the reference (`business-central-api.md`,
//! pagination) says to follow a next link verbatim and treat it as opaque, and narrowing its
//! `$filter` has been checked against the emulator only, not against a real BC environment.
//! If BC ignored the narrowed filter, the two halves would read `[mid, to)` twice (the engine
//! keeps one copy of a document, so the result would be right but the requests wasted); if it
//! refused the link, the read would fail. Turn it on by default once a run against BC shows
//! neither.
//!
//! ## Incremental runs
//! A company read completely once is read incrementally next time: every document whose
//! `lastModifiedDateTime` is after the watermark, whatever its status, so invoices that became
//! Paid are added and those that stopped being Paid are removed (reference 7). The watermark is
//! the newest modification seen, or the run's start if earlier (a record changed during a
//! read may sit behind the cursor), less an overlap (default one hour) for clock skew and
//! read-replica lag. The engine keeps every document, so the output is the complete current
//! set; [`Outcome::changes`] says what changed.
//!
//! ## Checkpoints and resuming
//! [`SyncPlan::checkpoint`] is small versioned JSON (see [`checkpoint`]) holding the watermarks
//! of the last complete run and, during a run, each stream's next URL and the number of pages
//! ingested so far (`journalLength`). The host keeps a journal of the ingested pages; after a
//! kill it restores the engine state of the last complete run, replays the journal and carries
//! on from the cursors: the result is the same as an uninterrupted run.
//!
//! ## Errors and untrusted input
//! Configuration and checkpoints are checked ([`ConfigError`] codes `INVALID_OPTION`,
//! `MISSING_OPTION`, `CHECKPOINT_INVALID`, `CHECKPOINT_VERSION`, `CHECKPOINT_FOREIGN`). A run
//! that cannot end is a [`FinishError`] instead (`SYNC_FAILED` with the failure that stopped it,
//! `SYNC_NOT_FINISHED`, `SYNC_NOT_BEGUN`): not a configuration mistake. Company
//! ids that go into URLs must be GUIDs. Pages are read by the engine, never here, except the
//! company list, which is read leniently.

pub mod changes;
pub mod checkpoint;
pub mod query;

pub use crate::bc::is_guid;
use crate::date::{Date, Timestamp};
use crate::engine::{Engine, EngineOptions};
use crate::error::ConfigError;
use crate::error::ErrorCode;
use changes::{ChangeBaseline, Changes};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// Records per page unless configured, chosen with `www/bench/sync.mjs --sweep` (3 companies,
/// 30,000 invoices, 50 ms latency): wall time falls as pages grow (about 6.9 s at 50 records,
/// 5.1 s at 100, 4.0 s at 200, 2.2 to 3.2 s at 500 and 1,000), as fewer requests mean less
/// per-request work on both sides, and flattens above 500. 500 keeps a page (about 0.8 MB of
/// text with lines; the last page of a read, which takes the rest, less than twice that) small
/// against BC's time limits and the host's memory.
pub const DEFAULT_PAGE_SIZE: u32 = 500;
pub const MAX_PAGE_SIZE: u32 = 20_000;
pub const DEFAULT_MIN_PAGE_SIZE: u32 = 10;
pub const DEFAULT_OVERLAP_MINUTES: u32 = 60;
pub const MAX_OVERLAP_MINUTES: u32 = 7 * 24 * 60;
pub const DEFAULT_MAX_TASK_RETRIES: u32 = 3;
/// BC's limit of concurrent requests per app identity (reference 6).
pub const MAX_CONCURRENCY: u32 = 5;
/// What Business Central allows one app identity (reference 6: five requests in flight, 6,000
/// requests per 5-minute sliding window; `Prefer: odata.maxpagesize` up to 20,000).
pub const BC_LIMITS: BcLimits = BcLimits {
    max_concurrency: MAX_CONCURRENCY,
    max_page_size: MAX_PAGE_SIZE,
    requests_per_window: 6_000,
    window_ms: 300_000,
};
pub const MAX_SEGMENTS: u32 = 16;
/// A running read is split (for a request slot that would idle, or because it would end last)
/// only when at least this many pages are left in it: each half then still has two pages or
/// more, and a read of two pages or more
/// costs `floor(records / page size)` requests (its last request takes the rest), so the
/// halves together cost no more requests than the read would have.
pub const SPLIT_MIN_PAGES: u64 = 4;
/// Changes listed item by item in the outcome (all are counted).
pub const CHANGES_LISTED: usize = 1000;
const MAX_MESSAGE: usize = 1000;

/// Business Central's limits, which the host's BC client enforces (`bcLimits()` in JS): they are
/// written down here only, and the client is given them, so the plan and the client cannot
/// disagree on them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BcLimits {
    /// Requests in flight at once.
    pub max_concurrency: u32,
    /// The most records a page may ask for (`Prefer: odata.maxpagesize`).
    pub max_page_size: u32,
    /// Requests started per sliding window of `window_ms`.
    pub requests_per_window: u32,
    pub window_ms: u32,
}

/// How the host configures a run (camelCase in JS).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SyncConfig {
    /// Names the environment (e.g. `"{tenant}/{environment}"`); a checkpoint of another
    /// environment is refused. Use the same value as the engine's `environment`.
    pub environment: String,
    /// When this run started, by the host's clock (ISO 8601 UTC).
    pub started_at: String,
    /// First connection date (`YYYY-MM-DD`); the window starts `historyYears` before it.
    pub connected_at: Option<String>,
    pub history_years: Option<u32>,
    /// An explicit window start, instead of the checkpoint's or `connectedAt`'s.
    pub window_start: Option<String>,
    /// Recorded in the checkpoint for the host; the reads do not depend on it.
    pub line_mode: Option<String>,
    pub credit_memos: Option<bool>,
    /// Company ids, names or display names; all companies when absent.
    pub companies: Option<Vec<String>>,
    /// Requests the host keeps in flight (1 to 5); decides how many date segments a first
    /// read is split into.
    pub concurrency: Option<u32>,
    pub page_size: Option<u32>,
    pub min_page_size: Option<u32>,
    pub segments_per_company: Option<u32>,
    pub overlap_minutes: Option<u32>,
    pub max_task_retries: Option<u32>,
    /// Ask BC for `@odata.count` on document reads, for progress estimates (default true;
    /// turned off for the run if BC refuses it).
    pub count: Option<bool>,
    /// Split a running date segment when a request slot would otherwise stay idle or the
    /// segment would end last (default false, opt-in; see "Window, segments and narrowing":
    /// it narrows the `$filter` of BC's next link, which BC documents as opaque).
    pub split_running: Option<bool>,
}

impl SyncConfig {
    /// This configuration with the window, credit-memo and line-mode settings the host gave with
    /// the engine's options, so that a host passes each setting once and the plan decides the
    /// window: the configuration's own window and credit-memo settings win, the engine's line
    /// mode (when not empty) wins, as the engine reads the lines.
    pub fn with_engine_options(mut self, o: &EngineOptions) -> SyncConfig {
        self.connected_at = self.connected_at.or_else(|| o.connected_at.clone());
        self.history_years = self.history_years.or(o.history_years);
        self.window_start = self.window_start.or_else(|| o.window_start.clone());
        self.credit_memos = self.credit_memos.or(o.credit_memos);
        if let Some(m) = o.line_mode.as_ref().filter(|m| !m.is_empty()) {
            self.line_mode = Some(m.clone());
        }
        self
    }
}

/// How an environment is named in checkpoints and transaction ids: `{tenant}/{environment}`,
/// trimmed and lower-cased (BC's tenant and environment names are case-insensitive, so
/// `Production` and `production` must not give two sets of transaction ids); the environment
/// alone when no tenant is given (the token decides it).
pub fn environment_key(tenant_id: Option<&str>, environment: &str) -> String {
    // As JavaScript's String.prototype.trim, which the host's names went through before: a
    // byte-order mark is blank too.
    let clean = |s: &str| {
        s.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}')
            .to_lowercase()
    };
    let environment = clean(environment);
    match tenant_id.map(clean).filter(|t| !t.is_empty()) {
        Some(tenant) => format!("{tenant}/{environment}"),
        None => environment,
    }
}

/// A window of a document read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Window {
    /// Paid documents with `from <= postingDate < to` (`to` open when `None`).
    Posting { from: Date, to: Option<Date> },
    /// Documents with `after < lastModifiedDateTime <= until`, any status.
    Modified {
        after: Timestamp,
        until: Option<Timestamp>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum StreamKind {
    Companies,
    Users,
    GeneralLedgerSetup,
    Vendors,
    PurchaseInvoices,
    PurchaseCreditMemos,
}

impl StreamKind {
    pub const ALL: [StreamKind; 6] = [
        StreamKind::Companies,
        StreamKind::Users,
        StreamKind::GeneralLedgerSetup,
        StreamKind::Vendors,
        StreamKind::PurchaseInvoices,
        StreamKind::PurchaseCreditMemos,
    ];
    /// The entity set name, as the engine's `addPage` takes it.
    pub fn as_str(self) -> &'static str {
        match self {
            StreamKind::Companies => "companies",
            StreamKind::Users => "users",
            StreamKind::GeneralLedgerSetup => "generalLedgerSetup",
            StreamKind::Vendors => "vendors",
            StreamKind::PurchaseInvoices => "purchaseInvoices",
            StreamKind::PurchaseCreditMemos => "purchaseCreditMemos",
        }
    }
    pub fn parse(s: &str) -> Option<StreamKind> {
        StreamKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
    fn is_document(self) -> bool {
        matches!(
            self,
            StreamKind::PurchaseInvoices | StreamKind::PurchaseCreditMemos
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamState {
    Pending,
    Done,
    Failed,
    /// Its company failed.
    Cancelled,
    /// Replaced by two narrower streams.
    Split,
}

impl StreamState {
    pub fn as_str(self) -> &'static str {
        match self {
            StreamState::Pending => "pending",
            StreamState::Done => "done",
            StreamState::Failed => "failed",
            StreamState::Cancelled => "cancelled",
            StreamState::Split => "split",
        }
    }
}

/// One query followed through its `@odata.nextLink`s.
#[derive(Debug, Clone)]
pub struct Stream {
    pub id: u32,
    pub kind: StreamKind,
    pub company: Option<String>,
    pub window: Option<Window>,
    /// The next page's URL (an `@odata.nextLink`); `None` before the first page.
    pub next: Option<String>,
    pub page_size: u32,
    pub pages: u32,
    pub records: u64,
    pub retries: u32,
    /// `@odata.count` of the query, when BC gave one.
    pub count: Option<u64>,
    /// Whether its URL asks for `$count`.
    pub counted: bool,
    pub state: StreamState,
    /// The latest `postingDate` of the records read so far (reads of a posting window): where
    /// the read may be split (see [`SyncPlan::next_task`]).
    pub seen_to: Option<Date>,
    /// A page's posting dates were not all known: the read is never split.
    pub no_split: bool,
    /// The window was narrowed while the read ran: the next page's `@odata.count` (of the
    /// narrowed query) replaces `count`.
    pub recount: bool,
    in_flight: Option<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Full,
    Incremental,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Full => "full",
            Mode::Incremental => "incremental",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Running,
    Done,
    Failed,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Running => "running",
            Status::Done => "done",
            Status::Failed => "failed",
        }
    }
}

/// Why [`SyncPlan::finish`] refused to end the run. Not a [`ConfigError`]: a request that
/// failed for good is not a configuration mistake, and the failure itself is kept so the caller
/// can tell what stopped the sync.
#[derive(Debug, Clone, PartialEq)]
pub enum FinishError {
    /// A request failed in a way no retry or narrowing fixes; the failure as the host reported
    /// it (its `code` is the host's, e.g. `AUTH_SECRET_EXPIRED`).
    Stopped(Failure),
    /// Requests are still pending or in flight.
    NotFinished,
    /// `begin(engine)` was never called, so there is no baseline to compare the run with.
    NotBegun,
}

impl FinishError {
    /// The code a host sees (the JS `Error`'s `code`).
    pub fn code(&self) -> ErrorCode {
        match self {
            FinishError::Stopped(_) => ErrorCode::SyncFailed,
            FinishError::NotFinished => ErrorCode::SyncNotFinished,
            FinishError::NotBegun => ErrorCode::SyncNotBegun,
        }
    }
}

impl std::fmt::Display for FinishError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FinishError::Stopped(x) => write!(f, "the sync stopped with {}: {}", x.code, x.message),
            FinishError::NotFinished => f.write_str("the sync still has requests to make; finish it only when nextTask() returns null and nothing is in flight"),
            FinishError::NotBegun => f.write_str("call begin(engine) with the engine before the first page"),
        }
    }
}

impl std::error::Error for FinishError {}

/// Why a request failed, as the host's error says it (`code` of its BcSpendError).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Failure {
    pub code: String,
    #[serde(default)]
    pub message: String,
    /// The request may succeed if narrowed (BC_TIMEOUT: 504, 408 or a client timeout; 413).
    #[serde(default)]
    pub narrowable: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
}

impl Failure {
    fn capped(mut self) -> Failure {
        self.code = self
            .code
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
            .take(64)
            .collect();
        if self.code.is_empty() {
            self.code = "UNKNOWN".into();
        }
        if self.message.len() > MAX_MESSAGE {
            let mut cut = MAX_MESSAGE;
            while !self.message.is_char_boundary(cut) {
                cut -= 1;
            }
            self.message.truncate(cut);
        }
        self
    }
}

#[derive(Debug, Clone)]
pub struct CompanyRun {
    pub id: String,
    pub name: String,
    pub display_name: Option<String>,
    pub status: Status,
    pub error: Option<Failure>,
    pub invoices: Mode,
    pub credit_memos: Option<Mode>,
}

/// What the last complete run knows of one entity of a company.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Mark {
    /// Every document in the window from `window_start` on has been read.
    pub complete: bool,
    pub window_start: Option<Date>,
    /// Read documents modified after this next time.
    pub watermark: Option<Timestamp>,
}

#[derive(Debug, Clone)]
pub struct CompanyMemory {
    pub id: String,
    pub name: Option<String>,
    pub invoices: Mark,
    pub credit_memos: Mark,
}

/// The outcome of the last complete run: where the next one starts.
#[derive(Debug, Clone)]
pub struct Last {
    pub runs: u64,
    pub window_start: Date,
    pub credit_memos: bool,
    pub companies: Vec<CompanyMemory>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UsersStatus {
    Pending,
    Done,
    Failed,
    /// No company to read them through.
    Skipped,
}

impl UsersStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            UsersStatus::Pending => "pending",
            UsersStatus::Done => "done",
            UsersStatus::Failed => "failed",
            UsersStatus::Skipped => "skipped",
        }
    }
}

/// The run in progress.
#[derive(Debug, Clone)]
pub struct Run {
    pub number: u64,
    pub started_at: Timestamp,
    pub window_start: Date,
    pub credit_memos: bool,
    pub line_mode: Option<String>,
    pub selection: Option<Vec<String>>,
    /// Pages ingested in this run, in order: the length of the host's journal.
    pub journal_length: u64,
    /// Whether BC answers `$count` (None until known).
    pub count_supported: Option<bool>,
    pub companies_listed: bool,
    /// Companies read from the list so far: (id, name, displayName).
    pub listed: Vec<(String, String, Option<String>)>,
    pub companies: Vec<CompanyRun>,
    /// Selected names that matched no company.
    pub not_found: Vec<String>,
    pub users: UsersStatus,
    pub users_error: Option<Failure>,
    pub streams: Vec<Stream>,
    pub next_stream_id: u32,
}

#[derive(Debug, Clone, Copy)]
struct Settings {
    concurrency: u32,
    page_size: u32,
    min_page_size: u32,
    segments: Option<u32>,
    overlap_ms: i64,
    max_retries: u32,
    count: bool,
    split_running: bool,
}

/// A request for the host to make.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Task {
    /// Pass back to `page_done` / `task_failed`.
    pub id: u32,
    pub stream: u32,
    /// The entity set, for the engine's `addPage`.
    pub entity: &'static str,
    pub company_id: Option<String>,
    /// A path relative to the environment's base URL, or an absolute `@odata.nextLink` (to be
    /// followed verbatim, and refused if it leaves the API's origin).
    pub url: String,
    /// For `Prefer: odata.maxpagesize`.
    pub page_size: u32,
    pub first_page: bool,
    /// Pass the page text back to `page_done` (the company list, which the plan reads).
    pub wants_text: bool,
    /// For progress lines, e.g. `purchaseInvoices 2025-11-26..2026-03-27`.
    pub label: String,
}

/// What the host passes back with a page.
#[derive(Debug, Clone, Copy, Default)]
pub struct PageInfo<'a> {
    /// `@odata.nextLink`, when the page has one.
    pub next_link: Option<&'a str>,
    /// The page's `@odata.nextLink` is present but not a string.
    pub next_link_invalid: bool,
    /// `@odata.count`, when present.
    pub count: Option<u64>,
    /// Records in the page's `value`.
    pub records: Option<u64>,
    /// Document pages: the latest `postingDate` of the page's records, when every record has
    /// one (`latestPosting` of the engine's envelope). A page of records without it makes the
    /// read unsplittable.
    pub latest_posting: Option<Date>,
    /// The page text; read only for the company list.
    pub text: Option<&'a str>,
}

#[derive(Debug, Clone, Serialize, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct PageAck {
    /// Feed the page to the engine (false for a page of a company that failed meanwhile).
    pub ingest: bool,
    pub stream_done: bool,
    /// The company list is complete: per-company reads follow.
    pub companies_listed: bool,
    /// A company whose reads are all done.
    pub company_done: Option<String>,
    /// The page ended its company or the users read with an error (a bad nextLink).
    pub failed: Option<FailureDecision>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct FailureDecision {
    /// `retry` (the task comes back from `next_task`), `narrowed` (split or smaller pages),
    /// `companyFailed`, `usersFailed`, `abort` (the sync cannot go on: stop and report the
    /// error), or `ignored` (an unknown or cancelled task).
    pub action: &'static str,
    pub company_id: Option<String>,
    pub message: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Progress {
    /// `None` until the company list is read.
    pub companies_total: Option<u32>,
    pub companies_done: u32,
    pub companies_failed: u32,
    pub streams_total: u32,
    pub streams_done: u32,
    pub in_flight: u32,
    /// Pages ingested in this run (resumed runs include the pages before the interruption).
    pub pages: u64,
    pub records: u64,
    pub documents: u64,
    /// Pages still to read, when it can be estimated (from `@odata.count`, or the density of
    /// finished segments).
    pub remaining_pages: Option<u64>,
    pub users: &'static str,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct CompanyReport {
    pub id: String,
    pub name: String,
    pub status: &'static str,
    pub invoices: &'static str,
    pub credit_memos: Option<&'static str>,
    pub pages: u64,
    pub documents: u64,
    pub error: Option<Failure>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Outcome {
    /// The checkpoint to keep for the next run.
    pub checkpoint: String,
    /// Every selected company and the users were read.
    pub complete: bool,
    pub run: u64,
    pub resumed: bool,
    pub window_start: Date,
    pub started_at: Timestamp,
    pub companies: Vec<CompanyReport>,
    /// Selected names that matched no company.
    pub not_found: Vec<String>,
    pub users: &'static str,
    pub users_error: Option<Failure>,
    pub pages: u64,
    pub changes: Changes,
}

pub struct SyncPlan {
    environment: String,
    settings: Settings,
    last: Option<Last>,
    run: Run,
    resumed: bool,
    /// Journal entries the checkpoint recorded for an abandoned run (the host must reset its
    /// journal before this run appends).
    stale_journal: u64,
    next_task_id: u32,
    baseline: Option<ChangeBaseline>,
    fatal: Option<Failure>,
    finished: bool,
}

fn option_error(field: &str, message: impl Into<String>) -> ConfigError {
    ConfigError::new(ErrorCode::InvalidOption, message).at(field)
}

fn parse_date(field: &str, v: &str) -> Result<Date, ConfigError> {
    match Date::parse_bc(v.trim()) {
        Ok(Some(d)) if v.trim().len() == 10 => Ok(d),
        _ => Err(option_error(
            field,
            format!("`{field}` must be a date written YYYY-MM-DD, got {v:?}"),
        )),
    }
}

fn ranged(field: &str, v: Option<u32>, default: u32, lo: u32, hi: u32) -> Result<u32, ConfigError> {
    let v = v.unwrap_or(default);
    if !(lo..=hi).contains(&v) {
        return Err(option_error(
            field,
            format!("`{field}` must be from {lo} to {hi}, got {v}"),
        ));
    }
    Ok(v)
}

impl SyncPlan {
    /// A plan for a run from `config` and the previous checkpoint (if any): a resumed run when
    /// the checkpoint holds an interrupted run with the same window, credit-memo setting and
    /// company selection; otherwise a new run, incremental where the checkpoint allows.
    pub fn new(config: SyncConfig, checkpoint: Option<&str>) -> Result<SyncPlan, ConfigError> {
        let environment = config.environment.trim().to_owned();
        if environment.is_empty() || environment.len() > 400 {
            return Err(option_error(
                "environment",
                "`environment` must name the BC environment (1 to 400 characters)",
            ));
        }
        let started_at = match Timestamp::parse_bc(config.started_at.trim()) {
            Ok(Some(t)) => t,
            _ => {
                return Err(option_error(
                    "startedAt",
                    format!(
                        "`startedAt` must be an ISO 8601 UTC timestamp, got {:?}",
                        config.started_at
                    ),
                ))
            }
        };
        let concurrency = ranged(
            "concurrency",
            config.concurrency,
            MAX_CONCURRENCY,
            1,
            MAX_CONCURRENCY,
        )?;
        let page_size = ranged(
            "pageSize",
            config.page_size,
            DEFAULT_PAGE_SIZE,
            1,
            MAX_PAGE_SIZE,
        )?;
        let min_page_size = ranged(
            "minPageSize",
            config.min_page_size,
            DEFAULT_MIN_PAGE_SIZE.min(page_size),
            1,
            page_size,
        )?;
        let segments = config
            .segments_per_company
            .map(|s| ranged("segmentsPerCompany", Some(s), 1, 1, MAX_SEGMENTS))
            .transpose()?;
        let overlap = ranged(
            "overlapMinutes",
            config.overlap_minutes,
            DEFAULT_OVERLAP_MINUTES,
            0,
            MAX_OVERLAP_MINUTES,
        )?;
        let max_retries = ranged(
            "maxTaskRetries",
            config.max_task_retries,
            DEFAULT_MAX_TASK_RETRIES,
            0,
            20,
        )?;
        let settings = Settings {
            concurrency,
            page_size,
            min_page_size,
            segments,
            overlap_ms: overlap as i64 * 60_000,
            max_retries,
            count: config.count.unwrap_or(true),
            split_running: config.split_running.unwrap_or(false),
        };
        if let Some(m) = &config.line_mode {
            if crate::transactions::LineMode::parse(m).is_none() {
                return Err(option_error(
                    "lineMode",
                    format!("`lineMode` must be \"invoice\", \"line\" or \"auto\", got {m:?}"),
                ));
            }
        }
        let selection = match &config.companies {
            None => None,
            Some(list) => {
                let mut out: Vec<String> = Vec::new();
                for c in list {
                    let c = c.trim();
                    if c.is_empty() || c.len() > 200 {
                        return Err(option_error("companies", "`companies` entries must be company ids or names of 1 to 200 characters"));
                    }
                    if !out.iter().any(|x| x.eq_ignore_ascii_case(c)) {
                        out.push(c.to_owned());
                    }
                }
                if out.is_empty() {
                    return Err(option_error(
                        "companies",
                        "`companies` must name at least one company (or be left out for all)",
                    ));
                }
                Some(out)
            }
        };

        let ck = checkpoint.map(checkpoint::parse).transpose()?;
        if let Some(ck) = &ck {
            if ck.environment != environment {
                return Err(ConfigError::new(
                    ErrorCode::CheckpointForeign,
                    format!(
                        "the checkpoint belongs to environment {:?}, not {:?}; use that environment's checkpoint, or start without one",
                        ck.environment.chars().take(200).collect::<String>(),
                        environment
                    ),
                )
                .at("environment"));
            }
        }
        let (last, old_run) = match ck {
            Some(ck) => (ck.last, ck.run),
            None => (None, None),
        };
        let window_start = match &config.window_start {
            Some(w) => parse_date("windowStart", w)?,
            None => match (old_run.as_ref().map(|r| r.window_start), last.as_ref().map(|l| l.window_start)) {
                (Some(w), _) | (None, Some(w)) => w,
                (None, None) => match &config.connected_at {
                    Some(c) => {
                        let years = config.history_years.unwrap_or(1);
                        if years > 50 {
                            return Err(option_error("historyYears", "`historyYears` must be between 0 and 50"));
                        }
                        parse_date("connectedAt", c)?.minus_years(years as i32)
                    }
                    None => {
                        return Err(ConfigError::new(
                            ErrorCode::MissingOption,
                            "`connectedAt` is required for a first sync: the date of the first connection (YYYY-MM-DD); the window starts one year before it. Or give `windowStart`.",
                        )
                        .at("connectedAt"))
                    }
                },
            },
        };
        let credit_memos = config.credit_memos.unwrap_or(false);
        let same_selection = |a: &Option<Vec<String>>| match (a, &selection) {
            (None, None) => true,
            (Some(x), Some(y)) => {
                let norm = |v: &Vec<String>| -> BTreeSet<String> {
                    crate::sort::btree(v.iter().map(|s| s.to_lowercase()))
                };
                norm(x) == norm(y)
            }
            _ => false,
        };
        let mut stale_journal = 0;
        let (run, resumed) = match old_run {
            Some(r)
                if r.window_start == window_start
                    && r.credit_memos == credit_memos
                    && same_selection(&r.selection) =>
            {
                (r, true)
            }
            other => {
                stale_journal = other.map_or(0, |r| r.journal_length);
                let number = last.as_ref().map_or(0, |l| l.runs) + 1;
                let mut run = Run {
                    number,
                    started_at,
                    window_start,
                    credit_memos,
                    line_mode: config.line_mode.clone(),
                    selection: selection.clone(),
                    journal_length: 0,
                    count_supported: None,
                    companies_listed: false,
                    listed: Vec::new(),
                    companies: Vec::new(),
                    not_found: Vec::new(),
                    users: UsersStatus::Pending,
                    users_error: None,
                    streams: Vec::new(),
                    next_stream_id: 1,
                };
                run.add_stream(StreamKind::Companies, None, None, page_size);
                (run, false)
            }
        };
        Ok(SyncPlan {
            environment,
            settings,
            last,
            run,
            resumed,
            stale_journal,
            next_task_id: 1,
            baseline: None,
            fatal: None,
            finished: false,
        })
    }

    pub fn window_start(&self) -> Date {
        self.run.window_start
    }
    pub fn credit_memos(&self) -> bool {
        self.run.credit_memos
    }
    /// Requests the host keeps in flight: the configured number, or BC's limit.
    pub fn concurrency(&self) -> u32 {
        self.settings.concurrency
    }
    /// The options to build the run's engine with: the host's, with the plan's window and
    /// credit-memo setting (from the configuration, the checkpoint or `connectedAt`), and the
    /// plan's environment unless the host named one. `connectedAt` and `historyYears` are the
    /// plan's inputs and are left out: the engine gets the window they gave.
    pub fn engine_options(&self, mut o: EngineOptions) -> EngineOptions {
        o.window_start = Some(self.run.window_start.to_string());
        o.credit_memos = Some(self.run.credit_memos);
        o.connected_at = None;
        o.history_years = None;
        o.environment = o.environment.or_else(|| Some(self.environment.clone()));
        o
    }
    /// This run continues an interrupted one: replay the journal before going on.
    pub fn resumed(&self) -> bool {
        self.resumed
    }
    /// Pages the checkpoint's journal must hold for this run to resume.
    pub fn journal_length(&self) -> u64 {
        self.run.journal_length
    }
    /// Entries the previous checkpoint recorded for a run this plan abandons: the host must
    /// reset its journal (keeping the state) before this run's first page.
    pub fn stale_journal(&self) -> u64 {
        self.stale_journal
    }
    pub fn run_number(&self) -> u64 {
        self.run.number
    }
    pub fn run(&self) -> &Run {
        &self.run
    }
    pub fn last(&self) -> Option<&Last> {
        self.last.as_ref()
    }

    /// Starts the run on `engine`, which must hold the state of the last complete run (or be
    /// new): records what it holds, to report changes, and forgets what only described the
    /// previous run (see [`Engine::begin_sync_run`]). Call before replaying a journal.
    pub fn begin(&mut self, engine: &mut Engine) {
        self.baseline = Some(ChangeBaseline::capture(engine));
        let incremental: BTreeSet<String> = crate::sort::btree(
            self.last
                .iter()
                .flat_map(|l| l.companies.iter())
                .filter(|m| m.invoices.complete)
                .map(|m| m.id.clone()),
        );
        engine.begin_sync_run(&incremental);
    }

    /// The next request to make, or `None` when nothing can start now (everything is in
    /// flight, done, or the sync is aborting).
    pub fn next_task(&mut self) -> Option<Task> {
        if self.fatal.is_some() || self.finished {
            return None;
        }
        let failed: BTreeSet<&str> = crate::sort::btree(
            self.run
                .companies
                .iter()
                .filter(|c| c.status == Status::Failed)
                .map(|c| c.id.as_str()),
        );
        type Key = (bool, std::cmp::Reverse<u64>, u32, u32);
        let mut best: Option<(Key, usize)> = None;
        let mut ready = 0u32;
        // Pages left in every read still going (in flight or not), `None` while one is unknown.
        let mut left = Some(0u64);
        let configured = self.settings.page_size;
        for (i, s) in self.run.streams.iter().enumerate() {
            // A failed company's reads stop; the users are read through it all the same.
            let dropped = s.kind != StreamKind::Users
                && s.company.as_deref().is_some_and(|c| failed.contains(c));
            if s.state != StreamState::Pending || dropped {
                continue;
            }
            let estimate = remaining_estimate(s, configured);
            left = left.and_then(|l| (estimate != u64::MAX).then(|| l + estimate));
            if s.in_flight.is_some() {
                continue;
            }
            ready += 1;
            // The company list first; then the streams with the most pages left (unknown
            // counts as most), so the short reads fill the last slots; ties go to the stream
            // with fewer pages read, which rotates equal segments fairly.
            let key = (
                s.kind != StreamKind::Companies,
                std::cmp::Reverse(estimate),
                s.pages,
                s.id,
            );
            if best.as_ref().map_or(true, |(k, _)| key < *k) {
                best = Some((key, i));
            }
        }
        let (key, i) = best?;
        // Work stealing: the read this request continues gives the second half of what it has
        // left to a new read (which the next call starts, or the next free slot) when this
        // request would leave a slot idle (fewer reads can start than slots are free), or when
        // it would end last anyway: it has more pages left than the slots' share of all pages
        // left, plus one (the slots would idle at the end while it finishes alone).
        let concurrency = self.settings.concurrency;
        let free = concurrency.saturating_sub(self.in_flight());
        let idle = free >= 2 && ready < free;
        let mine = key.1 .0;
        let last =
            left.is_some_and(|l| mine.saturating_mul(concurrency as u64) >= l + concurrency as u64);
        if self.settings.split_running && (idle || last) {
            self.split_running(i);
        }
        let task_id = self.next_task_id;
        self.next_task_id += 1;
        let count_ok = self.settings.count && self.run.count_supported != Some(false);
        let window_start = self.run.window_start;
        let configured = self.settings.page_size;
        let s = &mut self.run.streams[i];
        s.in_flight = Some(task_id);
        let first_page = s.next.is_none();
        if first_page {
            s.counted = s.kind.is_document() && count_ok;
        }
        let url = match &s.next {
            Some(n) => n.clone(),
            None => first_url(s, window_start),
        };
        Some(Task {
            id: task_id,
            stream: s.id,
            entity: s.kind.as_str(),
            company_id: s.company.clone(),
            url,
            page_size: request_size(s, configured),
            first_page,
            wants_text: s.kind == StreamKind::Companies,
            label: label(s),
        })
    }

    /// Splits the running read `i` at a date it has not reached: it goes on (its next link
    /// narrowed to the first part) and a new read takes the rest. Only a read of a posting
    /// window whose count is known, with [`SPLIT_MIN_PAGES`] or more pages left, that has
    /// read only records posted before the split date (`seen_to`), and whose next link
    /// carries the plan's own `$filter`. Returns whether it split.
    ///
    /// Every record is read once: the read's next link continues after the last record it
    /// read (BC's `$skiptoken` is a position in the query's order, and the filter is applied
    /// again on every page), and with the narrowed filter it reads the records after that
    /// position posted before `mid`; the new read, from the start, reads those posted from
    /// `mid` on. The records before the position that the new read's filter takes are none:
    /// all of them were posted by `seen_to`, before `mid`. The two ranges are half-open,
    /// `[from, mid)` and `[mid, to)`, so they meet without a gap or an overlap.
    fn split_running(&mut self, i: usize) -> bool {
        let configured = self.settings.page_size;
        let window_start = self.run.window_start;
        let today = self.run.started_at.date();
        let s = &self.run.streams[i];
        let (Some(Window::Posting { from, to }), Some(seen), Some(next)) =
            (s.window, s.seen_to, s.next.as_deref())
        else {
            return false;
        };
        if s.no_split
            || s.recount
            || s.count.is_none()
            || remaining_estimate(s, configured) < SPLIT_MIN_PAGES
        {
            return false;
        }
        // The rest of the window after the latest date read, halved by days (an open end
        // counts to the end of the run's first day; the second half keeps it open).
        let lo = seen.add_days(1).max(from);
        let hi = to.unwrap_or(today.add_days(1));
        let days = hi.to_days() - lo.to_days();
        if days < 2 {
            return false;
        }
        let mid = lo.add_days(days / 2);
        let narrowed = Window::Posting {
            from,
            to: Some(mid),
        };
        let old_filter = query::document_filter(&Window::Posting { from, to }, window_start);
        let new_filter = query::document_filter(&narrowed, window_start);
        let Some(link) = query::replace_filter(next, &old_filter, &new_filter) else {
            // A next link the plan cannot read: never split this read.
            self.run.streams[i].no_split = true;
            return false;
        };
        let (kind, company, page_size) = (s.kind, s.company.clone(), s.page_size);
        let s = &mut self.run.streams[i];
        s.window = Some(narrowed);
        s.next = Some(link);
        s.count = None;
        s.recount = true;
        self.run.add_stream(
            kind,
            company,
            Some(Window::Posting { from: mid, to }),
            page_size,
        );
        true
    }

    fn stream_of_task(&self, task_id: u32) -> Option<usize> {
        self.run
            .streams
            .iter()
            .position(|s| s.in_flight == Some(task_id))
    }

    /// A page arrived for `task_id`. Says whether to ingest it (then the host adds it to the
    /// engine and the journal, in that order, before asking for the checkpoint).
    pub fn page_done(&mut self, task_id: u32, page: PageInfo) -> PageAck {
        let Some(i) = self.stream_of_task(task_id) else {
            return PageAck::default();
        };
        let window_start = self.run.window_start;
        let s = &mut self.run.streams[i];
        s.in_flight = None;
        if s.state != StreamState::Pending {
            return PageAck::default();
        }
        let current = s.next.clone().unwrap_or_else(|| first_url(s, window_start));
        let first = s.next.is_none();
        s.pages += 1;
        s.records += page.records.unwrap_or(0);
        // Retries count failures in a row: a page that arrives ends the run of bad luck.
        s.retries = 0;
        if first && s.counted {
            s.count = page.count;
            self.run.count_supported = Some(page.count.is_some());
        } else if s.recount && s.counted {
            // The narrowed query's count, which includes what the read took before it was
            // narrowed (all of it posted before the split date).
            s.count = page.count;
        }
        s.recount = false;
        if s.kind.is_document() && page.records != Some(0) {
            match page.latest_posting {
                Some(d) => s.seen_to = s.seen_to.max(Some(d)),
                None => s.no_split = true,
            }
        }
        let kind = s.kind;
        let company = s.company.clone();
        self.run.journal_length += 1;
        let mut ack = PageAck {
            ingest: true,
            ..Default::default()
        };
        if kind == StreamKind::Companies {
            if let Some(text) = page.text {
                self.read_company_list(text);
            }
        }
        let bad_link = page.next_link_invalid
            || page
                .next_link
                .is_some_and(|l| l.is_empty() || l == current || l.len() > 16_384);
        if bad_link {
            let f = Failure {
                code: "BC_INVALID_RESPONSE".into(),
                message: "Business Central returned an @odata.nextLink that is not a URL, or that repeats the page it came with.".into(),
                ..Default::default()
            };
            ack.failed = Some(self.give_up(i, f));
            return ack;
        }
        let s = &mut self.run.streams[i];
        match page.next_link {
            Some(link) => s.next = Some(link.to_owned()),
            None => {
                s.state = StreamState::Done;
                ack.stream_done = true;
                match kind {
                    StreamKind::Companies => {
                        self.finalize_companies();
                        ack.companies_listed = true;
                    }
                    StreamKind::Users => self.run.users = UsersStatus::Done,
                    _ => {
                        if let Some(c) = company {
                            if self.company_complete(&c) {
                                if let Some(cr) = self.run.companies.iter_mut().find(|x| x.id == c)
                                {
                                    cr.status = Status::Done;
                                }
                                ack.company_done = Some(c);
                            }
                        }
                    }
                }
            }
        }
        ack
    }

    fn company_complete(&self, company: &str) -> bool {
        self.run
            .streams
            .iter()
            .filter(|s| s.company.as_deref() == Some(company) && s.kind != StreamKind::Users)
            .all(|s| matches!(s.state, StreamState::Done | StreamState::Split))
    }

    /// A request of `task_id` failed after the host's own retries. Decides what the sync does.
    pub fn task_failed(&mut self, task_id: u32, failure: Failure) -> FailureDecision {
        let failure = failure.capped();
        let Some(i) = self.stream_of_task(task_id) else {
            return FailureDecision {
                action: "ignored",
                company_id: None,
                message: "no such task in flight".into(),
            };
        };
        let started_at = self.run.started_at;
        let s = &mut self.run.streams[i];
        s.in_flight = None;
        let company = s.company.clone();
        if s.state != StreamState::Pending {
            return FailureDecision {
                action: "ignored",
                company_id: company,
                message: "the task's read was cancelled".into(),
            };
        }
        if failure.code == "ABORTED" || failure.code.starts_with("AUTH_") {
            let message = failure.message.clone();
            self.fatal = Some(failure);
            return FailureDecision {
                action: "abort",
                company_id: None,
                message,
            };
        }
        // BC may not take `$count` (reference 5: UNCONFIRMED): read on without it.
        if s.counted
            && s.next.is_none()
            && failure.code == "BC_BAD_REQUEST"
            && self.run.count_supported != Some(true)
        {
            self.run.count_supported = Some(false);
            s.counted = false;
            return FailureDecision {
                action: "retry",
                company_id: company,
                message: "Business Central refused $count; reading without it".into(),
            };
        }
        if failure.narrowable {
            if s.next.is_none() {
                if let Some((a, b)) = s.window.and_then(|w| split(w, started_at)) {
                    let (kind, page_size) = (s.kind, s.page_size);
                    s.state = StreamState::Split;
                    let left = self
                        .run
                        .add_stream(kind, company.clone(), Some(a), page_size);
                    let right = self
                        .run
                        .add_stream(kind, company.clone(), Some(b), page_size);
                    let message = format!(
                        "{} timed out; split into {} and {}",
                        label(&self.run.streams[i]),
                        label(&self.run.streams[left]),
                        label(&self.run.streams[right])
                    );
                    return FailureDecision {
                        action: "narrowed",
                        company_id: company,
                        message,
                    };
                }
            }
            if s.page_size > self.settings.min_page_size {
                s.page_size = (s.page_size / 4).max(self.settings.min_page_size);
                let message = format!(
                    "{} timed out; asking for pages of {} records",
                    label(s),
                    s.page_size
                );
                return FailureDecision {
                    action: "narrowed",
                    company_id: company,
                    message,
                };
            }
        }
        let transient = matches!(
            failure.code.as_str(),
            "BC_THROTTLED" | "BC_UNAVAILABLE" | "BC_NETWORK" | "BC_INVALID_RESPONSE" | "BC_TIMEOUT"
        );
        if transient && s.retries < self.settings.max_retries {
            s.retries += 1;
            let message = format!(
                "{} failed ({}); trying again ({} of {})",
                label(s),
                failure.code,
                s.retries,
                self.settings.max_retries
            );
            return FailureDecision {
                action: "retry",
                company_id: company,
                message,
            };
        }
        self.give_up(i, failure)
    }

    /// Ends stream `i` with `failure`: the sync (company list), the users read, or the company.
    fn give_up(&mut self, i: usize, failure: Failure) -> FailureDecision {
        let s = &mut self.run.streams[i];
        s.state = StreamState::Failed;
        s.in_flight = None;
        let message = failure.message.clone();
        match (s.kind, s.company.clone()) {
            (StreamKind::Companies, _) | (_, None) => {
                self.fatal = Some(failure);
                FailureDecision {
                    action: "abort",
                    company_id: None,
                    message,
                }
            }
            (StreamKind::Users, _) => {
                self.run.users = UsersStatus::Failed;
                self.run.users_error = Some(failure);
                FailureDecision {
                    action: "usersFailed",
                    company_id: None,
                    message,
                }
            }
            (_, Some(c)) => {
                for x in self.run.streams.iter_mut() {
                    if x.company.as_deref() == Some(c.as_str())
                        && x.kind != StreamKind::Users
                        && x.state == StreamState::Pending
                    {
                        x.state = StreamState::Cancelled;
                    }
                }
                if let Some(cr) = self.run.companies.iter_mut().find(|x| x.id == c) {
                    cr.status = Status::Failed;
                    cr.error = Some(failure);
                }
                FailureDecision {
                    action: "companyFailed",
                    company_id: Some(c),
                    message,
                }
            }
        }
    }

    /// The error that stopped the sync, if one did.
    pub fn fatal(&self) -> Option<&Failure> {
        self.fatal.as_ref()
    }

    /// Nothing is pending or in flight.
    pub fn is_finished(&self) -> bool {
        self.fatal.is_some() && self.in_flight() == 0
            || self.run.companies_listed
                && !self
                    .run
                    .streams
                    .iter()
                    .any(|s| s.state == StreamState::Pending && !self.company_failed(s))
    }

    fn company_failed(&self, s: &Stream) -> bool {
        s.company.as_deref().is_some_and(|c| {
            self.run
                .companies
                .iter()
                .any(|x| x.id == c && x.status == Status::Failed)
        }) && s.kind != StreamKind::Users
    }

    fn in_flight(&self) -> u32 {
        self.run
            .streams
            .iter()
            .filter(|s| s.in_flight.is_some())
            .count() as u32
    }

    fn read_company_list(&mut self, text: &str) {
        #[derive(Deserialize)]
        struct ListPage {
            #[serde(default)]
            value: Vec<serde_json::Value>,
        }
        let Ok(page) = serde_json::from_str::<ListPage>(text) else {
            return;
        };
        for v in page.value {
            let s = |k: &str| {
                v.get(k)
                    .and_then(|x| x.as_str())
                    .map(str::trim)
                    .filter(|x| !x.is_empty() && x.len() <= 250)
                    .map(str::to_owned)
            };
            let Some(id) = s("id").map(|x| x.to_ascii_lowercase()) else {
                continue;
            };
            if self.run.listed.iter().any(|(x, _, _)| *x == id) {
                continue;
            }
            let display = s("displayName");
            let name = s("name")
                .or_else(|| display.clone())
                .unwrap_or_else(|| id.clone());
            self.run.listed.push((id, name, display));
        }
    }

    /// The company list is complete: choose the companies and plan their reads.
    fn finalize_companies(&mut self) {
        self.run.companies_listed = true;
        let listed = self.run.listed.clone();
        let chosen: Vec<&(String, String, Option<String>)> = match &self.run.selection {
            None => listed.iter().collect(),
            Some(sel) => {
                let hit = |sel: &str, c: &(String, String, Option<String>)| {
                    sel.eq_ignore_ascii_case(&c.0)
                        || sel.eq_ignore_ascii_case(&c.1)
                        || c.2.as_deref().is_some_and(|d| sel.eq_ignore_ascii_case(d))
                };
                self.run.not_found = sel
                    .iter()
                    .filter(|s| !listed.iter().any(|c| hit(s, c)))
                    .cloned()
                    .collect();
                listed
                    .iter()
                    .filter(|c| sel.iter().any(|s| hit(s, c)))
                    .collect()
            }
        };
        let window_start = self.run.window_start;
        let credit_memos = self.run.credit_memos;
        let memory = |id: &str| {
            self.last
                .as_ref()
                .and_then(|l| l.companies.iter().find(|m| m.id == id))
                .cloned()
        };
        let incremental = |m: &Mark| {
            m.complete && m.watermark.is_some() && m.window_start.is_some_and(|w| w <= window_start)
        };
        let mut runs = Vec::new();
        for (id, name, display) in chosen {
            let mem = memory(id);
            let invoices = if mem.as_ref().is_some_and(|m| incremental(&m.invoices)) {
                Mode::Incremental
            } else {
                Mode::Full
            };
            let memos = credit_memos.then(|| {
                if mem.as_ref().is_some_and(|m| incremental(&m.credit_memos)) {
                    Mode::Incremental
                } else {
                    Mode::Full
                }
            });
            let mut cr = CompanyRun {
                id: id.clone(),
                name: name.clone(),
                display_name: display.clone(),
                status: Status::Running,
                error: None,
                invoices,
                credit_memos: memos,
            };
            if !is_guid(id) {
                cr.status = Status::Failed;
                cr.error = Some(Failure {
                    code: "COMPANY_ID_INVALID".into(),
                    message: format!("the company id {id:?} is not a GUID; it was not read"),
                    ..Default::default()
                });
            }
            runs.push((cr, mem));
        }
        // A first read is split so that at least as many long reads as requests in flight run
        // at once (each read is sequential), and every company gets the same number: with 5 in
        // flight and 3 companies, 2 each, not 2, 2 and 1 (the company read as one chain then
        // takes twice as long as the others and the sync waits for it alone; measured in
        // www/bench/sync.mjs --sweep). More would only add requests for reads shorter than a page.
        let full = runs
            .iter()
            .filter(|(c, _)| c.status == Status::Running && c.invoices == Mode::Full)
            .count() as u32;
        let total = self.settings.segments.map_or(
            self.settings.concurrency.div_ceil(full.max(1)) * full,
            |s| s * full,
        );
        let mut nth_full = 0u32;
        let today = self.run.started_at.date();
        let page_size = self.settings.page_size;
        for (cr, mem) in &runs {
            if cr.status != Status::Running {
                continue;
            }
            let c = Some(cr.id.clone());
            self.run
                .add_stream(StreamKind::GeneralLedgerSetup, c.clone(), None, page_size);
            self.run
                .add_stream(StreamKind::Vendors, c.clone(), None, page_size);
            let watermark = |m: Option<&Mark>| m.and_then(|m| m.watermark).unwrap_or(Timestamp(0));
            match cr.invoices {
                Mode::Full => {
                    let segments =
                        (total / full + u32::from(nth_full < total % full)).clamp(1, MAX_SEGMENTS);
                    nth_full += 1;
                    for w in segment(window_start, today, segments) {
                        self.run.add_stream(
                            StreamKind::PurchaseInvoices,
                            c.clone(),
                            Some(w),
                            page_size,
                        );
                    }
                }
                Mode::Incremental => {
                    let w = Window::Modified {
                        after: watermark(mem.as_ref().map(|m| &m.invoices)),
                        until: None,
                    };
                    self.run.add_stream(
                        StreamKind::PurchaseInvoices,
                        c.clone(),
                        Some(w),
                        page_size,
                    );
                }
            }
            match cr.credit_memos {
                None => {}
                Some(Mode::Full) => {
                    self.run.add_stream(
                        StreamKind::PurchaseCreditMemos,
                        c.clone(),
                        Some(Window::Posting {
                            from: window_start,
                            to: None,
                        }),
                        page_size,
                    );
                }
                Some(Mode::Incremental) => {
                    let w = Window::Modified {
                        after: watermark(mem.as_ref().map(|m| &m.credit_memos)),
                        until: None,
                    };
                    self.run.add_stream(
                        StreamKind::PurchaseCreditMemos,
                        c.clone(),
                        Some(w),
                        page_size,
                    );
                }
            }
        }
        match runs.iter().find(|(c, _)| c.status == Status::Running) {
            Some((first, _)) => {
                let c = Some(first.id.clone());
                self.run.add_stream(StreamKind::Users, c, None, page_size);
            }
            None => self.run.users = UsersStatus::Skipped,
        }
        self.run.companies = runs.into_iter().map(|(c, _)| c).collect();
    }

    pub fn progress(&self) -> Progress {
        let listed = self.run.companies_listed;
        let live = |s: &&Stream| !matches!(s.state, StreamState::Split | StreamState::Cancelled);
        let streams: Vec<&Stream> = self.run.streams.iter().filter(live).collect();
        let mut remaining: Option<u64> = if listed { Some(0) } else { None };
        // Pages per unit of window (days, or minutes of modifications) of finished document
        // reads, for reads whose size BC did not tell.
        let density = |posting: bool| -> Option<f64> {
            let (mut pages, mut span) = (0f64, 0f64);
            for s in &streams {
                if s.state == StreamState::Done && s.kind.is_document() {
                    if let Some(w) = s.window {
                        if matches!(w, Window::Posting { .. }) == posting {
                            pages += s.pages as f64;
                            span += window_span(w, &self.run);
                        }
                    }
                }
            }
            (span > 0.0).then(|| pages / span)
        };
        for s in &streams {
            if s.state != StreamState::Pending {
                continue;
            }
            let left = if !s.kind.is_document() {
                Some(1)
            } else if s.count.is_some() {
                Some(remaining_estimate(s, self.settings.page_size).max(1))
            } else {
                s.window.and_then(|w| {
                    density(matches!(w, Window::Posting { .. })).map(|d| {
                        ((d * window_span(w, &self.run)).ceil() as u64)
                            .saturating_sub(s.pages as u64)
                            .max(1)
                    })
                })
            };
            remaining = match (remaining, left) {
                (Some(r), Some(l)) => Some(r + l),
                _ => None,
            };
        }
        Progress {
            companies_total: listed.then_some(self.run.companies.len() as u32),
            companies_done: self
                .run
                .companies
                .iter()
                .filter(|c| c.status == Status::Done)
                .count() as u32,
            companies_failed: self
                .run
                .companies
                .iter()
                .filter(|c| c.status == Status::Failed)
                .count() as u32,
            streams_total: streams.len() as u32,
            streams_done: streams
                .iter()
                .filter(|s| s.state == StreamState::Done)
                .count() as u32,
            in_flight: self.in_flight(),
            pages: self.run.streams.iter().map(|s| s.pages as u64).sum(),
            records: self.run.streams.iter().map(|s| s.records).sum(),
            documents: self
                .run
                .streams
                .iter()
                .filter(|s| s.kind.is_document())
                .map(|s| s.records)
                .sum(),
            remaining_pages: remaining,
            users: self.run.users.as_str(),
        }
    }

    /// The checkpoint to keep after the page just ingested (see [`checkpoint`]).
    pub fn checkpoint(&self) -> String {
        checkpoint::write(
            &self.environment,
            self.last.as_ref(),
            (!self.finished).then_some(&self.run),
        )
    }

    /// Ends the run: keeps only the selected companies in `engine`, records each company's
    /// watermark, and returns the outcome with the checkpoint for the next run. Call when
    /// [`SyncPlan::is_finished`] and no error stopped the sync.
    pub fn finish(&mut self, engine: &mut Engine) -> Result<Outcome, FinishError> {
        if let Some(f) = &self.fatal {
            return Err(FinishError::Stopped(f.clone()));
        }
        if !self.is_finished() || self.in_flight() > 0 {
            return Err(FinishError::NotFinished);
        }
        let Some(baseline) = self.baseline.take() else {
            return Err(FinishError::NotBegun);
        };
        let keep: BTreeSet<String> =
            crate::sort::btree(self.run.companies.iter().map(|c| c.id.clone()));
        engine.retain_companies(&keep);
        let started = self.run.started_at;
        let overlap = self.settings.overlap_ms;
        // The next read starts before the newest modification seen, or before this run's start
        // if that is earlier: a record modified during the read may sit behind the cursor.
        let watermark = |newest: Option<Timestamp>| {
            Timestamp(
                newest
                    .map_or(started.0, |t| t.0.min(started.0))
                    .saturating_sub(overlap),
            )
        };
        let window_start = self.run.window_start;
        let mut memory = Vec::new();
        for c in &self.run.companies {
            let prev = self
                .last
                .as_ref()
                .and_then(|l| l.companies.iter().find(|m| m.id == c.id))
                .cloned();
            let m = match c.status {
                Status::Done => CompanyMemory {
                    id: c.id.clone(),
                    name: Some(c.name.clone()),
                    invoices: Mark {
                        complete: true,
                        // Complete from this run's window start on (an engine restored with a
                        // later window dropped what lay before it).
                        window_start: Some(window_start),
                        watermark: Some(watermark(engine.newest_modification(&c.id, false))),
                    },
                    credit_memos: if self.run.credit_memos {
                        Mark {
                            complete: true,
                            window_start: Some(window_start),
                            watermark: Some(watermark(engine.newest_modification(&c.id, true))),
                        }
                    } else {
                        Mark::default()
                    },
                },
                _ => match prev {
                    Some(p) => p,
                    None => CompanyMemory {
                        id: c.id.clone(),
                        name: Some(c.name.clone()),
                        invoices: Mark::default(),
                        credit_memos: Mark::default(),
                    },
                },
            };
            memory.push(m);
        }
        self.last = Some(Last {
            runs: self.run.number,
            window_start,
            credit_memos: self.run.credit_memos,
            companies: memory,
        });
        self.finished = true;
        let changes = baseline.compare(engine, CHANGES_LISTED);
        let companies: Vec<CompanyReport> = self
            .run
            .companies
            .iter()
            .map(|c| {
                let of = |s: &&Stream| {
                    s.company.as_deref() == Some(c.id.as_str()) && s.kind != StreamKind::Users
                };
                CompanyReport {
                    id: c.id.clone(),
                    name: c.display_name.clone().unwrap_or_else(|| c.name.clone()),
                    status: c.status.as_str(),
                    invoices: c.invoices.as_str(),
                    credit_memos: c.credit_memos.map(Mode::as_str),
                    pages: self
                        .run
                        .streams
                        .iter()
                        .filter(of)
                        .map(|s| s.pages as u64)
                        .sum(),
                    documents: self
                        .run
                        .streams
                        .iter()
                        .filter(of)
                        .filter(|s| s.kind.is_document())
                        .map(|s| s.records)
                        .sum(),
                    error: c.error.clone(),
                }
            })
            .collect();
        let complete = self.run.companies.iter().all(|c| c.status == Status::Done)
            && self.run.not_found.is_empty()
            && self.run.users == UsersStatus::Done;
        Ok(Outcome {
            checkpoint: self.checkpoint(),
            complete,
            run: self.run.number,
            resumed: self.resumed,
            window_start,
            started_at: started,
            companies,
            not_found: self.run.not_found.clone(),
            users: self.run.users.as_str(),
            users_error: self.run.users_error.clone(),
            pages: self.run.streams.iter().map(|s| s.pages as u64).sum(),
            changes,
        })
    }
}

impl Run {
    fn add_stream(
        &mut self,
        kind: StreamKind,
        company: Option<String>,
        window: Option<Window>,
        page_size: u32,
    ) -> usize {
        let id = self.next_stream_id;
        self.next_stream_id += 1;
        self.streams.push(Stream {
            id,
            kind,
            company,
            window,
            next: None,
            page_size,
            pages: 0,
            records: 0,
            retries: 0,
            count: None,
            counted: false,
            state: StreamState::Pending,
            seen_to: None,
            no_split: false,
            recount: false,
            in_flight: None,
        });
        self.streams.len() - 1
    }
}

fn first_url(s: &Stream, window_start: Date) -> String {
    let c = s.company.as_deref().unwrap_or_default();
    let w = s.window.unwrap_or(Window::Posting {
        from: window_start,
        to: None,
    });
    match s.kind {
        StreamKind::Companies => query::companies(),
        StreamKind::Users => query::users(c),
        StreamKind::GeneralLedgerSetup => query::gl_setup(c),
        StreamKind::Vendors => query::vendors(c),
        StreamKind::PurchaseInvoices => query::invoices(c, &w, window_start, s.counted),
        StreamKind::PurchaseCreditMemos => query::credit_memos(c, &w, window_start, s.counted),
    }
}

fn label(s: &Stream) -> String {
    match s.window {
        None => s.kind.as_str().to_owned(),
        Some(Window::Posting { from, to }) => format!(
            "{} posted {from}..{}",
            s.kind.as_str(),
            to.map_or("".into(), |t| t.add_days(-1).to_string())
        ),
        Some(Window::Modified { after, until }) => format!(
            "{} modified after {after}{}",
            s.kind.as_str(),
            until.map_or(String::new(), |u| format!(" until {u}"))
        ),
    }
}

/// Pages left in a stream: from `@odata.count` when known; unknown document reads count as
/// the largest; other reads are one page.
fn remaining_estimate(s: &Stream, configured: u32) -> u64 {
    if !s.kind.is_document() {
        return 1;
    }
    match s.count {
        Some(c) => {
            let left = c.saturating_sub(s.records);
            let size = s.page_size.max(1) as u64;
            // Full pages, the last of which also takes the rest when it may (see `request_size`).
            let (full, rest) = (left / size, left % size);
            if full > 0 && rest > 0 && size + rest <= largest_request(s, configured) {
                full
            } else {
                left.div_ceil(size)
            }
        }
        None => u64::MAX,
    }
}

/// Records the next request of a read asks for (`Prefer: odata.maxpagesize`). A read whose
/// count is known and whose rest is more than one page but less than two asks for the rest in
/// one page, instead of a full page and then a partial one: a read then never ends with a
/// partial page unless it is a single page, so a company read in several date segments costs
/// no more requests than one read (at most one per segment under the minimum's
/// `ceil(records / page size)`). Such a page holds less than twice the page size. Reads whose
/// pages were made smaller after a timeout keep their size. When the count is stale (documents
/// posted during the read), the `@odata.nextLink` is followed as always: only the number of
/// requests depends on it.
fn request_size(s: &Stream, configured: u32) -> u32 {
    let size = s.page_size as u64;
    match s.count {
        Some(c) if s.kind.is_document() => {
            let left = c.saturating_sub(s.records);
            if left > size && left <= largest_request(s, configured) {
                left as u32
            } else {
                s.page_size
            }
        }
        _ => s.page_size,
    }
}

/// The most records one request of `s` may ask for: less than two pages while its pages have
/// the configured size (not after a timeout made them smaller), and never more than BC allows.
fn largest_request(s: &Stream, configured: u32) -> u64 {
    let size = s.page_size as u64;
    if s.page_size == configured {
        (2 * size)
            .saturating_sub(1)
            .min(MAX_PAGE_SIZE as u64)
            .max(size)
    } else {
        size
    }
}

/// The date segments of a first read: `[from, b1), [b1, b2), ..., [b(n-1), open)`, equal in
/// days up to `today`; the last is open so documents posted later (dated ahead) are read too.
fn segment(from: Date, today: Date, n: u32) -> Vec<Window> {
    let span = today.add_days(1).to_days() - from.to_days();
    let n = if span < 2 { 1 } else { (n as i64).min(span) };
    let mut out = Vec::new();
    let mut start = from;
    for i in 1..n {
        let b = from.add_days(span * i / n);
        if b > start {
            out.push(Window::Posting {
                from: start,
                to: Some(b),
            });
            start = b;
        }
    }
    out.push(Window::Posting {
        from: start,
        to: None,
    });
    out
}

/// Halves of a window, or `None` if it is too narrow to split (a day of postings, or two
/// minutes of modifications). An open end is taken as the run's start.
fn split(w: Window, started_at: Timestamp) -> Option<(Window, Window)> {
    match w {
        Window::Posting { from, to } => {
            let end = to.unwrap_or(started_at.date().add_days(1));
            let days = end.to_days() - from.to_days();
            if days < 2 {
                return None;
            }
            let mid = from.add_days(days / 2);
            Some((
                Window::Posting {
                    from,
                    to: Some(mid),
                },
                Window::Posting { from: mid, to },
            ))
        }
        Window::Modified { after, until } => {
            let end = until.unwrap_or(started_at);
            if end.0 - after.0 < 120_000 {
                return None;
            }
            let mid = Timestamp(after.0 + (end.0 - after.0) / 2);
            Some((
                Window::Modified {
                    after,
                    until: Some(mid),
                },
                Window::Modified { after: mid, until },
            ))
        }
    }
}

/// Size of a window in days (postings) or minutes (modifications), open ends taken to the
/// run's start.
fn window_span(w: Window, run: &Run) -> f64 {
    match w {
        Window::Posting { from, to } => (to.unwrap_or(run.started_at.date().add_days(1)).to_days()
            - from.to_days())
        .max(1) as f64,
        Window::Modified { after, until } => {
            ((until.unwrap_or(run.started_at).0 - after.0) as f64 / 60_000.0).max(1.0)
        }
    }
}

#[cfg(test)]
mod tests;

//! The `SyncPlan` class: which requests a sync makes and what each answer means (the rules are
//! in `src/sync/`; the host only fetches and reports back).

use super::engine::options_arg;
use super::interop::{config_error, from_js, js_error, number_field, opt_string, to_js};
use super::Engine;
use crate::error::ErrorCode;
use js_sys::Reflect;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TS_SYNC: &'static str = r#"
/** How a sync run is configured (see src/sync/mod.rs). */
export interface SyncConfig {
  /** Names the environment, e.g. "{tenantId}/{environment}"; use the engine's `environment`. */
  environment: string;
  /** When the run started, by the host's clock (ISO 8601 UTC). */
  startedAt: string;
  /** First connection date; the window starts `historyYears` (default 1) before it. Needed for a first sync unless `windowStart` is given. */
  connectedAt?: DateString;
  historyYears?: number;
  /** An explicit window start (else the checkpoint's). */
  windowStart?: DateString;
  lineMode?: LineModeName;
  creditMemos?: boolean;
  /** Company ids, names or display names; all when absent. */
  companies?: string[];
  /** Requests kept in flight, 1 to 5 (default 5). */
  concurrency?: number;
  /** Records per page (Prefer: odata.maxpagesize), default 500. */
  pageSize?: number;
  minPageSize?: number;
  segmentsPerCompany?: number;
  /** Overlap of incremental reads, default 60. */
  overlapMinutes?: number;
  maxTaskRetries?: number;
  /** Ask for @odata.count (progress estimates), default true. */
  count?: boolean;
  /** Split a running date segment when a request slot would otherwise be idle or it would end last (narrows the $filter of BC's next link: opt-in until checked against BC), default false. */
  splitRunning?: boolean;
}
/** A GET for the host to make. */
export interface SyncTask {
  id: number;
  stream: number;
  entity: EntityName;
  companyId: string | null;
  /** Relative to `{apiHost}/v2.0/{tenant}/{environment}/`, or an absolute @odata.nextLink. */
  url: string;
  /** For `Prefer: odata.maxpagesize`. */
  pageSize: number;
  firstPage: boolean;
  /** Pass the page's text to `pageDone` (the company list). */
  wantsText: boolean;
  label: string;
}
/** What the host reports about a page: its @odata.nextLink and @odata.count as BC sent them. */
export interface SyncPage { nextLink?: unknown; nextLinkInvalid?: boolean; count?: unknown; records?: number; latestPosting?: DateString; text?: string | null }
/** A page read by `Engine.stagePage`: its handle for `commitPage`/`discardPage`, and what `SyncPlan.pageDone` takes. */
export interface StagedPage { handle: number; envelope: SyncPage }
export interface SyncFailure { code: string; message?: string; narrowable?: boolean; status?: number }
export interface SyncFailureDecision {
  action: "retry" | "narrowed" | "companyFailed" | "usersFailed" | "abort" | "ignored";
  companyId: string | null;
  message: string;
}
export interface SyncPageAck {
  /** Add the page to the engine (and the journal). */
  ingest: boolean;
  streamDone: boolean;
  companiesListed: boolean;
  companyDone: string | null;
  failed: SyncFailureDecision | null;
}
export interface SyncProgress {
  companiesTotal: number | null;
  companiesDone: number;
  companiesFailed: number;
  streamsTotal: number;
  streamsDone: number;
  inFlight: number;
  pages: number;
  records: number;
  documents: number;
  remainingPages: number | null;
  users: "pending" | "done" | "failed" | "skipped";
}
export interface SyncCompanyReport {
  id: string;
  name: string;
  status: "running" | "done" | "failed";
  invoices: "full" | "incremental";
  creditMemos: "full" | "incremental" | null;
  pages: number;
  documents: number;
  error: SyncFailure | null;
}
export interface Change {
  change: "added" | "changed" | "removed";
  companyId: string;
  kind: "invoice" | "creditMemo";
  id: string;
  number: string | null;
  reason?: "notPaid" | "outsideWindow" | "notSynced";
}
export interface Changes { added: number; changed: number; removed: number; unchanged: number; items: Change[]; truncated: boolean }
export interface SyncOutcome {
  /** The checkpoint to keep for the next run. */
  checkpoint: string;
  complete: boolean;
  run: number;
  resumed: boolean;
  windowStart: DateString;
  startedAt: string;
  companies: SyncCompanyReport[];
  notFound: string[];
  users: "pending" | "done" | "failed" | "skipped";
  usersError: SyncFailure | null;
  pages: number;
  changes: Changes;
}
"#;

/// The sync plan: which requests to make and what each answer means (see src/sync/mod.rs).
#[wasm_bindgen(js_name = SyncPlan)]
pub struct SyncPlan {
    core: crate::sync::SyncPlan,
}

#[wasm_bindgen(js_class = SyncPlan)]
impl SyncPlan {
    /// `new SyncPlan(config, checkpointText | null)`. Throws with `code` for a bad option
    /// (INVALID_OPTION, MISSING_OPTION) or checkpoint (CHECKPOINT_INVALID, CHECKPOINT_VERSION,
    /// CHECKPOINT_FOREIGN).
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "SyncConfig")] config: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string | null | undefined")] checkpoint: JsValue,
    ) -> Result<SyncPlan, JsValue> {
        let config: crate::sync::SyncConfig =
            from_js(config, ErrorCode::InvalidOption, "sync configuration")?;
        let checkpoint = opt_string(&checkpoint, "checkpoint")?;
        crate::sync::SyncPlan::new(config, checkpoint.as_deref())
            .map(|core| SyncPlan { core })
            .map_err(config_error)
    }

    /// The run's window start (YYYY-MM-DD): give it to the engine as `windowStart`.
    #[wasm_bindgen(getter, js_name = windowStart)]
    pub fn window_start(&self) -> String {
        self.core.window_start().to_string()
    }

    #[wasm_bindgen(getter, js_name = creditMemos)]
    pub fn credit_memos(&self) -> bool {
        self.core.credit_memos()
    }

    /// The run continues an interrupted one: replay the journal (`journalLength` pages).
    #[wasm_bindgen(getter)]
    pub fn resumed(&self) -> bool {
        self.core.resumed()
    }

    #[wasm_bindgen(getter, js_name = journalLength)]
    pub fn journal_length(&self) -> f64 {
        self.core.journal_length() as f64
    }

    /// Journal entries of an abandoned run: reset the journal before this run's first page.
    #[wasm_bindgen(getter, js_name = staleJournal)]
    pub fn stale_journal(&self) -> f64 {
        self.core.stale_journal() as f64
    }

    #[wasm_bindgen(getter)]
    pub fn run(&self) -> f64 {
        self.core.run_number() as f64
    }

    /// Starts the run on `engine` (restored from the last complete run's state, or new); call
    /// before replaying a journal.
    pub fn begin(&mut self, engine: &mut Engine) {
        self.core.begin(&mut engine.core);
    }

    #[wasm_bindgen(js_name = nextTask, unchecked_return_type = "SyncTask | null")]
    pub fn next_task(&mut self) -> Result<JsValue, JsValue> {
        match self.core.next_task() {
            Some(t) => to_js(&t),
            None => Ok(JsValue::NULL),
        }
    }

    /// A page of `taskId` arrived: `{ nextLink, count, records, latestPosting, text }` (the
    /// staged page's envelope; `text` only for the
    /// company list). Ingest it if `ingest` says so.
    #[wasm_bindgen(js_name = pageDone, unchecked_return_type = "SyncPageAck")]
    pub fn page_done(
        &mut self,
        #[wasm_bindgen(js_name = taskId)] task_id: u32,
        #[wasm_bindgen(unchecked_param_type = "SyncPage")] page: JsValue,
    ) -> Result<JsValue, JsValue> {
        let link = Reflect::get(&page, &"nextLink".into()).unwrap_or(JsValue::UNDEFINED);
        let next_link = link.as_string();
        let flagged = Reflect::get(&page, &"nextLinkInvalid".into())
            .map(|v| v.is_truthy())
            .unwrap_or(false);
        let next_link_invalid =
            flagged || (next_link.is_none() && !(link.is_null() || link.is_undefined()));
        let whole = |x: f64| {
            (x.is_finite() && x >= 0.0 && x.fract() == 0.0 && x <= 9.0e15).then_some(x as u64)
        };
        let count = number_field(&page, "count").and_then(whole);
        let records = number_field(&page, "records").and_then(whole);
        let latest_posting = Reflect::get(&page, &"latestPosting".into())
            .ok()
            .and_then(|v| v.as_string())
            .and_then(|d| crate::date::Date::parse_bc(&d).ok().flatten());
        let text = Reflect::get(&page, &"text".into())
            .ok()
            .and_then(|t| t.as_string());
        let ack = self.core.page_done(
            task_id,
            crate::sync::PageInfo {
                next_link: next_link.as_deref(),
                next_link_invalid,
                count,
                records,
                latest_posting,
                text: text.as_deref(),
            },
        );
        to_js(&ack)
    }

    /// A request of `taskId` failed: `{ code, message, narrowable, status }` from the error.
    #[wasm_bindgen(js_name = taskFailed, unchecked_return_type = "SyncFailureDecision")]
    pub fn task_failed(
        &mut self,
        #[wasm_bindgen(js_name = taskId)] task_id: u32,
        #[wasm_bindgen(unchecked_param_type = "SyncFailure")] failure: JsValue,
    ) -> Result<JsValue, JsValue> {
        let text = |k: &str| {
            Reflect::get(&failure, &k.into())
                .ok()
                .and_then(|v| v.as_string())
                .unwrap_or_default()
        };
        let f = crate::sync::Failure {
            code: text("code"),
            message: text("message"),
            narrowable: Reflect::get(&failure, &"narrowable".into())
                .map(|v| v.is_truthy())
                .unwrap_or(false),
            status: number_field(&failure, "status")
                .filter(|s| (0.0..=999.0).contains(s))
                .map(|s| s as u16),
        };
        to_js(&self.core.task_failed(task_id, f))
    }

    /// Nothing is pending or in flight: call `finish`.
    #[wasm_bindgen(js_name = isFinished)]
    pub fn is_finished(&self) -> bool {
        self.core.is_finished()
    }

    #[wasm_bindgen(unchecked_return_type = "SyncProgress")]
    pub fn progress(&self) -> Result<JsValue, JsValue> {
        to_js(&self.core.progress())
    }

    /// The checkpoint after the pages ingested so far (small JSON text).
    pub fn checkpoint(&self) -> String {
        self.core.checkpoint()
    }

    /// Ends the run (keeps only the selected companies in `engine`, computes watermarks).
    #[wasm_bindgen(unchecked_return_type = "SyncOutcome")]
    pub fn finish(&mut self, engine: &mut Engine) -> Result<JsValue, JsValue> {
        let out = self
            .core
            .finish(&mut engine.core)
            .map_err(|e| js_error(e.code(), &e.to_string(), None))?;
        to_js(&out)
    }
}

// ---- the rules the host asks for (issue 16: each rule in one layer) ----

#[wasm_bindgen(typescript_custom_section)]
const TS_HOST_RULES: &'static str = r#"
/** Business Central's limits for one app identity, which the BC client enforces. */
export interface BcLimits { maxConcurrency: number; maxPageSize: number; requestsPerWindow: number; windowMs: number }
"#;

/// Business Central's limits (src/sync/mod.rs `BC_LIMITS`), for the host's BC client.
#[wasm_bindgen(js_name = bcLimits, unchecked_return_type = "BcLimits")]
pub fn bc_limits() -> Result<JsValue, JsValue> {
    to_js(&crate::sync::BC_LIMITS)
}

/// Whether `id` is a company id as BC writes it (a GUID), the only form that may go into a URL.
#[wasm_bindgen(js_name = isGuid)]
pub fn is_guid(id: &str) -> bool {
    crate::sync::is_guid(id)
}

/// How an environment is named in checkpoints and transaction ids: "{tenant}/{environment}",
/// trimmed and lower case (the environment alone without a tenant).
#[wasm_bindgen(js_name = environmentKey)]
pub fn environment_key(
    #[wasm_bindgen(js_name = tenantId)] tenant_id: Option<String>,
    environment: &str,
) -> String {
    crate::sync::environment_key(tenant_id.as_deref(), environment)
}

#[wasm_bindgen(js_class = SyncPlan)]
impl SyncPlan {
    /// `new SyncPlan(config, checkpoint)` for a run whose engine is configured by `engineOptions`:
    /// the window and credit-memo settings given there are the plan's too (the config's win).
    #[wasm_bindgen(js_name = withEngineOptions)]
    pub fn with_engine_options(
        #[wasm_bindgen(unchecked_param_type = "SyncConfig")] config: JsValue,
        #[wasm_bindgen(unchecked_param_type = "EngineOptions", js_name = engineOptions)]
        engine_options: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string | null | undefined")] checkpoint: JsValue,
    ) -> Result<SyncPlan, JsValue> {
        let engine = options_arg(engine_options)?;
        let config: crate::sync::SyncConfig =
            from_js(config, ErrorCode::InvalidOption, "sync configuration")?;
        let checkpoint = opt_string(&checkpoint, "checkpoint")?;
        crate::sync::SyncPlan::new(config.with_engine_options(&engine), checkpoint.as_deref())
            .map(|core| SyncPlan { core })
            .map_err(config_error)
    }

    /// Requests to keep in flight (the configured number, or BC's limit).
    #[wasm_bindgen(getter)]
    pub fn concurrency(&self) -> u32 {
        self.core.concurrency()
    }

    /// The options to build this run's engine with: `options` with the plan's window, credit-memo
    /// setting and environment (see `SyncPlan::engine_options`).
    #[wasm_bindgen(js_name = engineOptions, unchecked_return_type = "EngineOptions")]
    pub fn engine_options(
        &self,
        #[wasm_bindgen(unchecked_param_type = "EngineOptions")] options: JsValue,
    ) -> Result<JsValue, JsValue> {
        to_js(&self.core.engine_options(options_arg(options)?))
    }
}

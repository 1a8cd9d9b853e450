//! The `Engine` class: configured once, fed pages, asked for transactions, users, diagnostics
//! and the summary, with the customer rules and the catalog's apps. The report is in
//! `report.rs`, the state's ways out and in in `state.rs`.
//!
//! # A page's ways in
//!
//! A page is one Business Central API response (`{ "@odata.context", "value": [...],
//! "@odata.nextLink" }`). `entity` may be null wherever the page's `@odata.context` names it, and
//! `companyId` null wherever the context names the company. A page that cannot be read is never
//! an exception: it is counted as rejected, with a diagnostic.
//!
//! - **Text in**, `addPage(entity, companyId, text | bytes)`: the body as a string, or as the
//!   response's bytes (`new Uint8Array(await res.arrayBuffer())`), which skips decoding it into a
//!   JS string and encoding it back into wasm memory. Parsed in wasm; the path to use. Bytes are
//!   read as `Response.text()` reads them (a warning when invalid UTF-8 was replaced), a string's
//!   lone surrogates become U+FFFD (with a warning too).
//! - **Object in**, `addPageObject(entity, companyId, object)`: a page the host already parsed
//!   (`JSON.parse` output), read through serde-wasm-bindgen. Same results as text in, several
//!   times slower on big pages (the README's figures); for a host that only has the object.
//! - **Staged**, `stagePage(entity, companyId, text | bytes)`, then `commitPage(handle)` or
//!   `discardPage(handle)`: the sync's path. The BC client passes `stagePage` as its check that a
//!   body is whole; the engine parses the page once and returns `{ handle, envelope }` (the
//!   envelope is what `SyncPlan.pageDone` takes) or `null` for a body that is not one whole JSON
//!   object or array (fetched again, nothing recorded). The page is added only on `commitPage`.
//!
//! `detectPage(text)` reads a page's `@odata.context` without adding anything (a host sorting
//! dropped files). The core has the same three, by the same names: `Engine::add_page` (with a
//! [`PageText`](crate::engine::PageText): bytes, or a JS string decoded with its warnings; and
//! `add_page_text` for a plain `&str`), `Engine::add_page_object` and `Engine::stage_page` with
//! `commit_staged` and `discard_staged`.

use super::interop::{config_error, entity_arg, from_js, js_error, opt_string, page_text, to_js};
use crate::bc::{parse_context, sniff_context, Entity};
use crate::engine::{Engine as Core, EngineOptions};
use crate::error::ErrorCode;
use js_sys::Reflect;
use serde::Serialize;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &'static str = r#"
/** A decimal amount as an exact string, e.g. "1234.50" or "-0.0100" (2 to 4 decimals). */
export type DecimalString = string;
/** A date written YYYY-MM-DD. */
export type DateString = string;

export type EntityName =
  | "companies" | "purchaseInvoices" | "purchaseCreditMemos" | "vendors"
  | "generalLedgerSetup" | "users";

export type LineModeName = "invoice" | "line" | "auto";

/** A customer rule condition. `regex` uses Rust `regex` syntax and is found anywhere in the field. */
export interface RuleCondition { op: "equals" | "contains" | "regex"; value: string; caseSensitive?: boolean }
/** A customer rule: the first rule (lowest priority number) that fires decides. */
export interface Rule {
  id: string;
  priority: number;
  action: "matchTo" | "ignore";
  /** Required for `matchTo`: an app id of the catalog. */
  appId?: string;
  vendor?: RuleCondition;
  description?: RuleCondition;
  account?: RuleCondition;
}

export interface EngineOptions {
  /** The first connection date; the window starts `historyYears` (default 1) before it. Required unless `windowStart` is given. */
  connectedAt?: DateString;
  historyYears?: number;
  windowStart?: DateString;
  lineMode?: LineModeName;
  /** Read purchase credit memos as negative transactions (default false). */
  creditMemos?: boolean;
  /** Names the environment in transaction ids (default "default"). */
  environment?: string;
  /** ISO 4217 code for companies without a local currency code. */
  defaultCurrency?: string;
  rules?: Rule[] | { rules: Rule[] };
  /** Catalog data (see src/catalog/SCHEMA.md) to extend (default) or replace the shipped one. */
  catalog?: { mode?: "extend" | "replace"; apps?: unknown[]; vendorGroups?: unknown[]; resellers?: unknown[] };
}

export interface PageResult {
  entity: EntityName | null;
  companyId: string | null;
  records: number;
  accepted: number;
  rejected: number;
  /** The page could not be read at all (not JSON, not a BC response); see diagnostics. */
  pageRejected: boolean;
  /** When `pageRejected`: the page-level diagnostic that refused it (e.g. `PAGE_NOT_JSON`,
   * `PAGE_ENCODING`, `PAGE_BC_ERROR`, `PAGE_CONTEXT_INVALID`, `PAGE_ENTITY_UNKNOWN`). */
  rejection?: { code: string; message: string };
  nextLink: string | null;
  diagnostics: number;
}

export interface Evidence {
  field: "vendor" | "website" | "email" | "description" | "description2" | "account";
  text: string;
  /** UTF-16 offsets into the field's text (JavaScript string indices). */
  start: number;
  end: number;
  kind: "vendorEntity" | "name" | "keyword" | "product" | "domain" | "rule";
  alias?: string;
}
export interface Candidate { appId: string; appName: string; confidence: number }
export interface Match {
  appId: string;
  appName: string;
  category: string;
  decidedBy: "rule" | "vendorName" | "vendorDomain" | "description" | "vendorDefault" | "lines";
  ruleId?: string;
  evidence: Evidence[];
  /** For display only, in [0, 1]. */
  confidence: number;
  runnerUp: Candidate | null;
  via?: { id: string; name: string; kind: "reseller" | "marketplace" | "vendorGroup" };
}
export interface Rejected {
  appId: string | null;
  appName: string | null;
  confidence: number;
  reason: string;
  candidates?: Candidate[];
  /** Set when the line reads as other spend: "hardware", "travel", "rent", "telecom", "shipping",
   * "services", "advertising", "office", "meals", "facilities" or "health". */
  notSoftware?: string;
}
export interface Decision { match: Match | null; ignoredByRule: string | null; rejected: Rejected | null }

export interface TransactionLine {
  lineId: string | null;
  sequence: number | null;
  description: string;
  description2?: string;
  lineType: "comment" | "account" | "item" | "resource" | "fixedAsset" | "charge" | "allocationAccount" | "other";
  objectNumber: string | null;
  glAccountNumber: string | null;
  amountExcludingTax: DecimalString;
  amountIncludingTax: DecimalString;
  match: Match | null;
}

export interface Transaction {
  /** Stable: derived from environment, company, document and line ids. */
  id: string;
  kind: "invoice" | "creditMemo";
  companyId: string;
  companyName: string | null;
  invoiceId: string;
  invoiceNumber: string | null;
  vendorInvoiceNumber: string | null;
  lineId: string | null;
  /** The posting date; the window applies to it. */
  date: DateString;
  invoiceDate: DateString | null;
  postingDate: DateString | null;
  vendorId: string | null;
  vendorNumber: string | null;
  vendorName: string;
  description: string;
  lineType: string | null;
  glAccountNumber: string | null;
  currency: string;
  amountExcludingTax: DecimalString;
  amountIncludingTax: DecimalString;
  appliesToInvoiceId?: string;
  appliesToInvoiceNumber?: string;
  /** In `invoice` and `auto` modes: the lines carried. */
  lines?: TransactionLine[];
  match: Match | null;
  matchRejected?: Rejected;
  ignoredByRule?: string;
  /** A matched invoice part of one product line, when the line says it: seats, from BC's
   * quantity when the line is per seat, else from its description. */
  seats?: number;
  /** Price per seat for the period the line covers: unitCost, or net amount / seats rounded
   * half to even to 4 decimals. */
  unitPrice?: DecimalString;
  /** The period the charged amount covers, when the line states it. */
  period?: "monthly" | "quarterly" | "annual" | "multiYear";
  /** With period "multiYear": the months the term covers, when the line says ("3YR": 36). */
  termMonths?: number;
}

export interface User {
  id: string;
  /** Validated contact e-mail, lower-cased; null when missing or invalid. */
  email: string | null;
  status: "active" | "inactive";
  displayName: string | null;
  userName: string | null;
  kind: "person" | "application" | "group" | "agent";
  kindReason?: string;
  invalidEmail?: string;
  companyIds: string[];
}

export interface Diagnostic {
  severity: "error" | "warning" | "info";
  /** Stable code, e.g. "AMOUNT_INVALID", "USER_NO_CONTACT_EMAIL". */
  code: string;
  message: string;
  entity?: EntityName;
  companyId?: string;
  page?: number;
  recordIndex?: number;
  recordId?: string;
  path?: string;
}

export interface Counts {
  pages: number; pagesRejected: number; read: number; accepted: number; rejected: number;
  notPaid: number; outsideWindow: number; disabled: number; stale: number;
}
export interface CurrencyTotal {
  currency: string;
  transactions: number;
  amountExcludingTax: DecimalString;
  amountIncludingTax: DecimalString;
  matchedExcludingTax: DecimalString;
}
export interface Summary {
  lineMode: LineModeName;
  windowStart: DateString;
  transactions: number;
  matchedTransactions: number;
  totals: CurrencyTotal[];
  counts: Partial<Record<EntityName, Counts>>;
  removed: number;
  users: { total: number; persons: number; nonHuman: number; active: number; inactive: number; withoutEmail: number };
  diagnosticsByCode: Record<string, number>;
  diagnosticsSuppressed: number;
  /** Present when some transactions have no currency: print `label` where the currency goes. */
  currencyMissing?: { transactions: number; label: string; remedy: string };
}
/** Digests of each output's inputs (32 hex digits); `report` only when report options were given. */
export interface OutputKeys { transactions: string; users: string; diagnostics: string; report?: string }
export interface Removal {
  companyId: string;
  invoiceId: string;
  invoiceNumber: string | null;
  kind: "invoice" | "creditMemo";
  reason: "notPaid" | "outsideWindow";
  status: string | null;
}
export interface PageInfo { context: string | null; entity: EntityName | null; entityName: string | null; companyId: string | null }

/** Thrown for bad configuration or arguments (never for bad data, which becomes diagnostics). */
export interface BcSpendCoreError extends Error { code: string; path?: string }
"#;

#[wasm_bindgen(js_name = Engine)]
pub struct Engine {
    pub(crate) core: Core,
}

#[wasm_bindgen(js_class = Engine)]
impl Engine {
    /// `new Engine({ connectedAt: "2026-11-26", lineMode: "invoice", creditMemos: false, rules, catalog })`
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "EngineOptions")] options: JsValue,
    ) -> Result<Engine, JsValue> {
        let options = options_arg(options)?;
        Core::new(options)
            .map(|core| Engine { core })
            .map_err(config_error)
    }

    /// Adds a page as the BC API returned it: its text, or its body as bytes (`Uint8Array`, e.g.
    /// `new Uint8Array(await res.arrayBuffer())`), which skips decoding the body to a JS string
    /// and encoding it back into wasm memory. `entity` may be null to read it from
    /// `@odata.context`; `companyId` may be null when the context names the company.
    #[wasm_bindgen(js_name = addPage, unchecked_return_type = "PageResult")]
    pub fn add_page(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "EntityName | null")] entity: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string | null", js_name = companyId)]
        company_id: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string | Uint8Array")] text: JsValue,
    ) -> Result<JsValue, JsValue> {
        let entity = entity_arg(&entity)?;
        let company = opt_string(&company_id, "companyId")?;
        to_js(
            &self
                .core
                .add_page(entity, company.as_deref(), page_text(&text)?),
        )
    }

    /// Reads a page without adding it yet (the sync's path: its BC client passes this as the
    /// body check, so a page is parsed once). Returns `{ handle, envelope }` (`envelope` is what
    /// `SyncPlan.pageDone` takes) or `null`, with nothing kept or recorded, when the body is not
    /// one whole JSON object or array. Then `commitPage(handle)` or `discardPage(handle)`.
    #[wasm_bindgen(js_name = stagePage, unchecked_return_type = "StagedPage | null")]
    pub fn stage_page(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "EntityName")] entity: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string | null", js_name = companyId)]
        company_id: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string | Uint8Array")] body: JsValue,
    ) -> Result<JsValue, JsValue> {
        let entity = entity_arg(&entity)?.ok_or_else(|| {
            js_error(
                ErrorCode::InvalidEntity,
                "stagePage needs the entity (e.g. \"purchaseInvoices\")",
                None,
            )
        })?;
        let company = opt_string(&company_id, "companyId")?;
        match self
            .core
            .stage_page(entity, company.as_deref(), page_text(&body)?)
        {
            Some((handle, envelope)) => to_js(&StagedPage { handle, envelope }),
            None => Ok(JsValue::NULL),
        }
    }

    /// Adds a page read by `stagePage`.
    #[wasm_bindgen(js_name = commitPage, unchecked_return_type = "PageResult")]
    pub fn commit_page(&mut self, handle: u32) -> Result<JsValue, JsValue> {
        match self.core.commit_staged(handle) {
            Some(r) => to_js(&r),
            None => Err(js_error(
                ErrorCode::InvalidArgument,
                &format!("no staged page {handle}: it was committed or discarded already"),
                None,
            )),
        }
    }

    /// Drops a page read by `stagePage` without adding it.
    #[wasm_bindgen(js_name = discardPage)]
    pub fn discard_page(&mut self, handle: u32) {
        self.core.discard_staged(handle);
    }

    /// Adds a page already parsed by the host (`JSON.parse` output), read through
    /// serde-wasm-bindgen. Slower than [`Engine::add_page`] for big pages; see the README.
    #[wasm_bindgen(js_name = addPageObject, unchecked_return_type = "PageResult")]
    pub fn add_page_object(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "EntityName | null")] entity: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string | null", js_name = companyId)]
        company_id: JsValue,
        #[wasm_bindgen(
            unchecked_param_type = "{ value: unknown[]; \"@odata.context\"?: string; \"@odata.nextLink\"?: string }"
        )]
        page: JsValue,
    ) -> Result<JsValue, JsValue> {
        let company = opt_string(&company_id, "companyId")?;
        let entity = entity_arg(&entity)?;
        // The context is read across the boundary only when it has to name the entity.
        let context = if entity.is_none() {
            Reflect::get(&page, &"@odata.context".into())
                .ok()
                .and_then(|v| v.as_string())
        } else {
            None
        };
        to_js(&self.core.add_page_object(
            entity,
            company.as_deref(),
            context.as_deref(),
            serde_wasm_bindgen::Deserializer::from(page),
        ))
    }

    /// The matched transactions (plain objects; see the README's output contract).
    #[wasm_bindgen(unchecked_return_type = "Transaction[]")]
    pub fn transactions(&mut self) -> Result<JsValue, JsValue> {
        to_js(self.core.transactions())
    }

    /// The transactions as JSON text: for writing `transactions.json` without building objects.
    #[wasm_bindgen(js_name = transactionsJson)]
    pub fn transactions_json(&mut self) -> Result<String, JsValue> {
        // Written from `&str`s and ASCII only.
        Ok(
            String::from_utf8(crate::export::transactions_json(self.core.transactions()))
                .unwrap_or_default(),
        )
    }

    /// The transactions as CSV text (`transactions.csv`; columns in the README).
    #[wasm_bindgen(js_name = transactionsCsv)]
    pub fn transactions_csv(&mut self) -> String {
        crate::export::transactions_csv(self.core.transactions())
    }

    /// How many transactions there are (building and matching them if needed).
    #[wasm_bindgen(js_name = transactionCount)]
    pub fn transaction_count(&mut self) -> u32 {
        self.core.transactions().len() as u32
    }

    /// `transactionsJson()` in pieces, for writing a large file without holding it whole: `[`
    /// when `start` is 0, the transactions `start..end` (each after a comma but the first), `]`
    /// when `end` reaches `transactionCount()`. Parts for consecutive ranges covering every
    /// transaction concatenate to exactly `transactionsJson()`.
    #[wasm_bindgen(js_name = transactionsJsonPart)]
    pub fn transactions_json_part(&mut self, start: u32, end: u32) -> Result<String, JsValue> {
        self.transactions_json_part_bytes(start, end)
            .map(|b| String::from_utf8(b).unwrap_or_default())
    }

    /// `transactionsCsv()` in pieces: the header when `start` is 0, then the rows `start..end`.
    /// Parts for consecutive ranges covering every transaction concatenate to exactly
    /// `transactionsCsv()`.
    #[wasm_bindgen(js_name = transactionsCsvPart)]
    pub fn transactions_csv_part(&mut self, start: u32, end: u32) -> String {
        crate::export::transactions_csv_part(self.core.transactions(), start as usize, end as usize)
    }

    /// `transactionsJsonPart` as its UTF-8 bytes (a `Uint8Array`), for writing the file: one
    /// copy out of wasm memory instead of a JS string (two bytes a character once a part holds
    /// any non-Latin-1 text) that the host then encodes back into bytes.
    #[wasm_bindgen(js_name = transactionsJsonPartBytes)]
    pub fn transactions_json_part_bytes(
        &mut self,
        start: u32,
        end: u32,
    ) -> Result<Vec<u8>, JsValue> {
        let txs = self.core.transactions();
        Ok(crate::export::transactions_json_part(
            txs,
            start as usize,
            end as usize,
        ))
    }

    /// `transactionsCsvPart` as its UTF-8 bytes (see `transactionsJsonPartBytes`).
    #[wasm_bindgen(js_name = transactionsCsvPartBytes)]
    pub fn transactions_csv_part_bytes(&mut self, start: u32, end: u32) -> Vec<u8> {
        let txs = self.core.transactions();
        crate::export::transactions_csv_part_bytes(txs, start as usize, end as usize)
    }

    /// Frees the transactions built for the outputs (most of the engine's memory after a build)
    /// once a host has written them; the summary stays. An output asked for afterwards builds
    /// them again, equal (at the cost of a build).
    #[wasm_bindgen(js_name = releaseBuilt)]
    pub fn release_built(&mut self) {
        self.core.release_built();
    }

    #[wasm_bindgen(unchecked_return_type = "User[]")]
    pub fn users(&self) -> Result<JsValue, JsValue> {
        to_js(&self.core.users().0)
    }

    #[wasm_bindgen(unchecked_return_type = "Diagnostic[]")]
    pub fn diagnostics(&mut self) -> Result<JsValue, JsValue> {
        to_js(&self.core.diagnostics())
    }

    #[wasm_bindgen(unchecked_return_type = "Summary")]
    pub fn summary(&mut self) -> Result<JsValue, JsValue> {
        to_js(&self.core.summary())
    }

    /// The digest of each output's inputs (`src/engine/derived.rs`): an output written under a
    /// key is the output of every engine with that key, so a host that kept the file and its
    /// key need not build it again. Cheap: no transaction is built or matched. With report
    /// options (checked as `report` checks them), the report's key too.
    #[wasm_bindgen(js_name = outputKeys, unchecked_return_type = "OutputKeys")]
    pub fn output_keys(
        &self,
        #[wasm_bindgen(unchecked_param_type = "ReportOptions | undefined")] report_options: JsValue,
    ) -> Result<JsValue, JsValue> {
        let options = if report_options.is_undefined() || report_options.is_null() {
            None
        } else {
            let v: serde_json::Value =
                from_js(report_options, ErrorCode::InvalidOption, "report options")?;
            crate::report::ReportOptions::from_json(&v).map_err(config_error)?;
            Some(v)
        };
        to_js(&self.core.output_keys(options.as_ref()))
    }

    /// The digest of everything `exportState()` writes (`src/engine/derived.rs`): a state file
    /// written under a key holds the export of every engine with that key, so a host that kept
    /// the file and its key need not export and write it again. Cheap next to the export.
    #[wasm_bindgen(js_name = stateKey)]
    pub fn state_key(&self) -> String {
        self.core.state_key().hex()
    }

    /// Invoices removed because they stopped being Paid (or fell out of the window).
    #[wasm_bindgen(unchecked_return_type = "Removal[]")]
    pub fn removals(&self) -> Result<JsValue, JsValue> {
        to_js(self.core.removals())
    }

    /// Why `vendor` (and `description`) match an app, or why not.
    #[wasm_bindgen(unchecked_return_type = "Decision")]
    pub fn explain(
        &mut self,
        vendor: &str,
        #[wasm_bindgen(unchecked_param_type = "string | null")] description: JsValue,
    ) -> Result<JsValue, JsValue> {
        let d = opt_string(&description, "description")?;
        to_js(&self.core.explain(vendor, d.as_deref()))
    }

    /// Replaces the customer rules; throws like the constructor when a rule is invalid.
    #[wasm_bindgen(js_name = setRules)]
    pub fn set_rules(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "Rule[] | { rules: Rule[] }")] rules: JsValue,
    ) -> Result<(), JsValue> {
        let v: serde_json::Value = from_js(rules, ErrorCode::RuleInvalid, "rules")?;
        self.core.set_rules(&v).map_err(config_error)
    }
}

/// Engine options from JS; `null` or `undefined` is the defaults (which need `connectedAt`).
pub(crate) fn options_arg(options: JsValue) -> Result<EngineOptions, JsValue> {
    Ok(
        from_js::<Option<EngineOptions>>(options, ErrorCode::InvalidOption, "engine options")?
            .unwrap_or_default(),
    )
}

/// What a page's `@odata.context` says: `{ entity, entityName, companyId }` (entity null when
/// it is not one this product reads).
#[wasm_bindgen(js_name = detectPage, unchecked_return_type = "PageInfo")]
pub fn detect_page(text: &str) -> Result<JsValue, JsValue> {
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Out {
        context: Option<String>,
        entity: Option<&'static str>,
        entity_name: Option<String>,
        company_id: Option<String>,
    }
    let ctx = sniff_context(text);
    let info = ctx.as_deref().map(parse_context);
    to_js(&Out {
        entity: info.as_ref().and_then(|i| i.entity).map(Entity::as_str),
        entity_name: info.as_ref().map(|i| i.entity_name.clone()),
        company_id: info.and_then(|i| i.company_id),
        context: ctx,
    })
}

#[derive(Serialize)]
struct StagedPage {
    handle: u32,
    envelope: crate::bc::PageEnvelope,
}

#[wasm_bindgen(typescript_custom_section)]
const TS_PREVIEW: &'static str = r#"
/** How a transaction is attributed, before or after a rule change. */
export interface Outcome {
  appId: string | null;
  appName: string | null;
  decidedBy: Match["decidedBy"] | null;
  ruleId: string | null;
  ignoredByRule: string | null;
}
/** A transaction whose app (or ignored state) a candidate rule set would change. */
export interface RuleChange {
  id: string;
  companyId: string;
  invoiceNumber: string | null;
  date: DateString;
  vendorName: string;
  description: string;
  currency: string;
  amountExcludingTax: DecimalString;
  /** null when the transaction exists only with the candidate rules (an `auto` split). */
  before: Outcome | null;
  /** null when it exists only with the current rules. */
  after: Outcome | null;
}
"#;

#[wasm_bindgen(js_class = Engine)]
impl Engine {
    /// Which transactions `rules` would change, from what to what, without applying them or
    /// re-reading anything. Throws like `setRules` when a rule is invalid.
    #[wasm_bindgen(js_name = previewRules, unchecked_return_type = "RuleChange[]")]
    pub fn preview_rules(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "Rule[] | { rules: Rule[] }")] rules: JsValue,
    ) -> Result<JsValue, JsValue> {
        let v: serde_json::Value = from_js(rules, ErrorCode::RuleInvalid, "rules")?;
        let changes = self.core.preview_rules(&v).map_err(config_error)?;
        to_js(&changes)
    }
}

#[wasm_bindgen(typescript_custom_section)]
const TS_CATALOG: &'static str = r#"
/** An app of the engine's catalog, as a rules editor lists it. */
export interface CatalogApp { id: string; name: string; category: string; domains: string[] }
"#;

#[wasm_bindgen(js_class = Engine)]
impl Engine {
    /// The apps of this engine's catalog (shipped, extended or replaced), ordered by name: the
    /// ids a `matchTo` rule may name.
    #[wasm_bindgen(js_name = catalogApps, unchecked_return_type = "CatalogApp[]")]
    pub fn catalog_apps(&self) -> Result<JsValue, JsValue> {
        #[derive(Serialize)]
        struct Out<'a> {
            id: &'a str,
            name: &'a str,
            category: &'a str,
            domains: &'a [String],
        }
        let mut apps: Vec<Out> = self
            .core
            .matcher()
            .catalog()
            .apps()
            .iter()
            .map(|a| Out {
                id: &a.id,
                name: &a.name,
                category: &a.category,
                domains: &a.domains,
            })
            .collect();
        crate::sort::sort_by(&mut apps, |a, b| {
            a.name
                .to_lowercase()
                .cmp(&b.name.to_lowercase())
                .then(a.id.cmp(b.id))
        });
        to_js(&apps)
    }
}

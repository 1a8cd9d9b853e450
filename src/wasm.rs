//! The JavaScript boundary: the only file that knows about JS.
//!
//! One class, `Engine`, configured once. Pages go in as text (the primary path: parsed in wasm)
//! or as parsed objects; plain JSON-compatible data comes out (camelCase, amounts as decimal
//! strings, no BigInt, no class per item). Configuration errors throw a real `Error` with a
//! `code` (and a `path` when known); problems in the data never throw, they are diagnostics.

use crate::bc::{parse_context, read_raw_page, sniff_context, Entity};
use crate::diagnostics::Diagnostic;
use crate::engine::{Engine as Core, EngineOptions};
use crate::error::ConfigError;
use js_sys::{JsString, Reflect, JSON};
use serde::Serialize;
use wasm_bindgen::prelude::*;

// ----- the allocator -----
//
// The standard library's wasm allocator (dlmalloc) asks the host for linear memory in steps of
// what one allocation needs, 64 KiB pages at a time. Every `memory.grow` makes the JS engine
// replace the memory's ArrayBuffer, which costs far more than the allocation: with 100,000
// invoices (435 MB of heap, ~7,000 grows) a profile of `summary()` showed 1.5 s in the grow
// path alone, the reason the core grew worse than linearly from 10,000 to 100,000 invoices. The
// same dlmalloc with a system allocator that grows by at least an eighth of the memory so far
// (and at least 1 MiB) needs ~60 grows for the same heap and at most 12.5% more memory.
// Single-threaded: wasm32-unknown-unknown without the atomics feature has one thread.

#[cfg(not(target_feature = "atomics"))]
mod heap {
    use core::alloc::{GlobalAlloc, Layout};
    use core::arch::wasm32;
    use core::cell::UnsafeCell;
    use core::ptr;

    const PAGE: usize = 64 * 1024;
    const MIN_STEP: usize = 1 << 20;

    pub struct GrowInSteps;

    // SAFETY: regions come from `memory.grow`, are never returned, and are handed out once.
    unsafe impl dlmalloc::Allocator for GrowInSteps {
        fn alloc(&self, size: usize) -> (*mut u8, usize, u32) {
            let needed = size.div_ceil(PAGE);
            let current = wasm32::memory_size(0) * PAGE;
            let step = size.max(current / 8).max(MIN_STEP).div_ceil(PAGE);
            // Near the 4 GiB limit a large step may not fit where the exact size still does.
            let (prev, pages) = match wasm32::memory_grow(0, step) {
                usize::MAX if step > needed => (wasm32::memory_grow(0, needed), needed),
                prev => (prev, step),
            };
            if prev == usize::MAX {
                return (ptr::null_mut(), 0, 0);
            }
            let base = prev * PAGE;
            let len = pages * PAGE;
            // A region may not end exactly at the top of the address space (as dlmalloc's own).
            if base.wrapping_add(len) == 0 {
                return (base as *mut u8, len - 16, 0);
            }
            (base as *mut u8, len, 0)
        }
        fn remap(&self, _ptr: *mut u8, _old: usize, _new: usize, _can_move: bool) -> *mut u8 {
            ptr::null_mut()
        }
        fn free_part(&self, _ptr: *mut u8, _old: usize, _new: usize) -> bool {
            false
        }
        fn free(&self, _ptr: *mut u8, _size: usize) -> bool {
            false
        }
        fn can_release_part(&self, _flags: u32) -> bool {
            false
        }
        fn allocates_zeros(&self) -> bool {
            true
        }
        fn page_size(&self) -> usize {
            PAGE
        }
    }

    pub struct Heap(UnsafeCell<dlmalloc::Dlmalloc<GrowInSteps>>);

    // SAFETY: one thread (see above), and no allocation re-enters the allocator.
    unsafe impl Sync for Heap {}

    unsafe impl GlobalAlloc for Heap {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            (*self.0.get()).malloc(layout.size(), layout.align())
        }
        unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
            (*self.0.get()).calloc(layout.size(), layout.align())
        }
        // `free` and `realloc` with a size first assert that the size matches the chunk (a
        // check that cost ~4% of ingest and matching); the C-shaped calls skip it. Every pointer
        // came from this heap with the layout Rust passes back, which is what they rely on.
        unsafe fn dealloc(&self, ptr: *mut u8, _layout: Layout) {
            (*self.0.get()).c_free(ptr)
        }
        unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
            let heap = &mut *self.0.get();
            if layout.align() <= 2 * core::mem::size_of::<usize>() {
                heap.c_realloc(ptr, new_size)
            } else {
                heap.realloc(ptr, layout.size(), layout.align(), new_size)
            }
        }
    }

    #[global_allocator]
    static HEAP: Heap = Heap(UnsafeCell::new(dlmalloc::Dlmalloc::new_with_allocator(GrowInSteps)));
}

// ----- memcmp -----
//
// `compiler_builtins` defines `memcmp` and `bcmp` for this target as weak symbols looping over
// single bytes; these strong definitions replace them with the word-at-a-time comparison in
// `src/memcmp.rs` (tested natively there). Being `#[no_mangle]`, they are also exported by the
// module, which is harmless: the generated JS does not wrap them.

/// # Safety
/// As C's `memcmp`: `a` and `b` valid for reads of `n` bytes.
#[no_mangle]
pub unsafe extern "C" fn memcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
    crate::memcmp::compare(a, b, n)
}

/// # Safety
/// As `memcmp`; only zero or non-zero is meaningful.
#[no_mangle]
pub unsafe extern "C" fn bcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
    crate::memcmp::compare(a, b, n)
}

fn js_error(code: &str, message: &str, path: Option<&str>) -> JsValue {
    let err = js_sys::Error::new(message);
    let _ = Reflect::set(&err, &"code".into(), &code.into());
    if let Some(p) = path {
        let _ = Reflect::set(&err, &"path".into(), &p.into());
    }
    err.into()
}

fn config_error(e: ConfigError) -> JsValue {
    js_error(e.code, &e.message, e.path.as_deref())
}

/// Serializes through JSON text and `JSON.parse`: for large outputs this is several times
/// faster than building objects field by field across the boundary, and gives exactly the
/// JSON data model (no `undefined`, no Map).
fn to_js<T: Serialize + ?Sized>(v: &T) -> Result<JsValue, JsValue> {
    let text = serde_json::to_string(v).map_err(|e| js_error("INTERNAL", &e.to_string(), None))?;
    JSON::parse(&text)
}

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = TextEncoder)]
    type Utf8Encoder;
    #[wasm_bindgen(constructor, js_class = "TextEncoder")]
    fn new() -> Utf8Encoder;
    #[wasm_bindgen(method, js_class = "TextEncoder", js_name = encodeInto)]
    fn encode_into(this: &Utf8Encoder, text: &JsString, into: &js_sys::Uint8Array) -> EncodeIntoResult;
    type EncodeIntoResult;
    #[wasm_bindgen(method, getter)]
    fn read(this: &EncodeIntoResult) -> u32;
    #[wasm_bindgen(method, getter)]
    fn written(this: &EncodeIntoResult) -> u32;
}

thread_local! {
    static UTF8_ENCODER: Utf8Encoder = Utf8Encoder::new();
    /// Whether `String.prototype.isWellFormed` exists (Node 20, workerd, browsers since 2023).
    static HAS_IS_WELL_FORMED: bool = Reflect::get(&js_sys::global(), &"String".into())
        .and_then(|s| Reflect::get(&s, &"prototype".into()))
        .and_then(|p| Reflect::get(&p, &"isWellFormed".into()))
        .is_ok_and(|f| f.is_function());
}

/// Whether a JS string holds a lone UTF-16 surrogate, given its UTF-8 copy (where any lone
/// surrogate became U+FFFD). `isWellFormed` answers natively; without it, only a copy that holds
/// U+FFFD needs the exact check (one boundary call per UTF-16 unit: far too slow for every page).
fn has_lone_surrogate(text: &JsString, utf8: &str) -> bool {
    if HAS_IS_WELL_FORMED.with(|h| *h) {
        !text.is_well_formed()
    } else {
        crate::bc::has_replacement_char(utf8.as_bytes()) && !text.is_valid_utf16()
    }
}

/// Copies a JS string into wasm memory as UTF-8 with one `TextEncoder.encodeInto` call per
/// stretch: several times faster on page-sized text than wasm-bindgen's per-character copy
/// loop. Lone surrogates become U+FFFD, as in every JS string-to-UTF-8 conversion.
fn js_string_to_utf8(text: &JsString) -> String {
    let units = text.length() as usize;
    // One byte per UTF-16 unit fits ASCII text exactly; more room is made when it does not.
    let mut buf: Vec<u8> = Vec::with_capacity(units);
    let mut read = 0usize;
    while read < units {
        let rest = if read == 0 { text.clone() } else { text.slice(read as u32, units as u32) };
        if buf.capacity() - buf.len() < 4 {
            buf.reserve((units - read) * 3);
        }
        let spare = buf.capacity() - buf.len();
        // SAFETY: the view covers the vector's spare capacity and is used before any allocation
        // (which could move or grow memory); `written` bytes of it are initialised by the encoder.
        let r = unsafe {
            let view = js_sys::Uint8Array::view_mut_raw(buf.as_mut_ptr().add(buf.len()), spare);
            let r = UTF8_ENCODER.with(|e| e.encode_into(&rest, &view));
            buf.set_len(buf.len() + r.written() as usize);
            r
        };
        if r.read() == 0 {
            // No room for the next character: make some and go on.
            buf.reserve((units - read) * 3);
            continue;
        }
        read += r.read() as usize;
    }
    // TextEncoder writes UTF-8 only (lone surrogates as U+FFFD), whole characters at a time.
    String::from_utf8(buf).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

fn entity_arg(entity: &JsValue) -> Result<Option<Entity>, JsValue> {
    if entity.is_null() || entity.is_undefined() {
        return Ok(None);
    }
    let s = entity.as_string().ok_or_else(|| js_error("INVALID_ENTITY", "entity must be a string such as \"purchaseInvoices\", or null to read it from @odata.context", None))?;
    if s == "auto" {
        return Ok(None);
    }
    Entity::parse(&s).map(Some).ok_or_else(|| {
        let known: Vec<&str> = Entity::ALL.iter().map(|e| e.as_str()).collect();
        js_error("INVALID_ENTITY", &format!("unknown entity {s:?}; expected one of {}", known.join(", ")), None)
    })
}

fn opt_string(v: &JsValue, what: &str) -> Result<Option<String>, JsValue> {
    if v.is_null() || v.is_undefined() {
        return Ok(None);
    }
    v.as_string().map(Some).ok_or_else(|| js_error("INVALID_ARGUMENT", &format!("{what} must be a string or null"), None))
}

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
}
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
    core: Core,
}

#[wasm_bindgen(js_class = Engine)]
impl Engine {
    /// `new Engine({ connectedAt: "2026-11-26", lineMode: "invoice", creditMemos: false, rules, catalog })`
    #[wasm_bindgen(constructor)]
    pub fn new(#[wasm_bindgen(unchecked_param_type = "EngineOptions")] options: JsValue) -> Result<Engine, JsValue> {
        let options: EngineOptions = if options.is_undefined() || options.is_null() {
            EngineOptions::default()
        } else {
            // Through serde_json::Value: serde-wasm-bindgen reads only a struct's known keys, so
            // a misspelt option would be silently ignored instead of refused.
            let v: serde_json::Value =
                serde_wasm_bindgen::from_value(options).map_err(|e| js_error("INVALID_OPTIONS", &format!("engine options must be a plain object of JSON data: {e}"), None))?;
            serde_json::from_value(v).map_err(|e| js_error("INVALID_OPTIONS", &format!("invalid engine options: {e}"), None))?
        };
        Core::new(options).map(|core| Engine { core }).map_err(config_error)
    }

    /// Adds a page as the BC API returned it: its text, or its body as bytes (`Uint8Array`, e.g.
    /// `new Uint8Array(await res.arrayBuffer())`), which skips decoding the body to a JS string
    /// and encoding it back into wasm memory. `entity` may be null to read it from
    /// `@odata.context`; `companyId` may be null when the context names the company.
    #[wasm_bindgen(js_name = addPage, unchecked_return_type = "PageResult")]
    pub fn add_page(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "EntityName | null")] entity: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string | null", js_name = companyId)] company_id: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string | Uint8Array")] text: JsValue,
    ) -> Result<JsValue, JsValue> {
        let entity = entity_arg(&entity)?;
        let company = opt_string(&company_id, "companyId")?;
        let (text, pre) = page_text(&text)?;
        to_js(&self.core.add_page_text_with(entity, company.as_deref(), &text, pre))
    }

    /// Reads a page without adding it yet (the sync's path: its BC client passes this as the
    /// body check, so a page is parsed once). Returns `{ handle, envelope }` (`envelope` is what
    /// `SyncPlan.pageDone` takes) or `null`, with nothing kept or recorded, when the body is not
    /// one whole JSON object or array. Then `commitPage(handle)` or `discardPage(handle)`.
    #[wasm_bindgen(js_name = stagePage, unchecked_return_type = "StagedPage | null")]
    pub fn stage_page(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "EntityName")] entity: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string | null", js_name = companyId)] company_id: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string | Uint8Array")] body: JsValue,
    ) -> Result<JsValue, JsValue> {
        let entity = entity_arg(&entity)?.ok_or_else(|| js_error("INVALID_ENTITY", "stagePage needs the entity (e.g. \"purchaseInvoices\")", None))?;
        let company = opt_string(&company_id, "companyId")?;
        let (text, pre) = page_text(&body)?;
        match self.core.stage_page_text(entity, company.as_deref(), &text, pre) {
            Some((handle, envelope)) => to_js(&StagedPage { handle, envelope }),
            None => Ok(JsValue::NULL),
        }
    }

    /// Adds a page read by `stagePage`.
    #[wasm_bindgen(js_name = commitPage, unchecked_return_type = "PageResult")]
    pub fn commit_page(&mut self, handle: u32) -> Result<JsValue, JsValue> {
        match self.core.commit_staged(handle) {
            Some(r) => to_js(&r),
            None => Err(js_error("INVALID_ARGUMENT", &format!("no staged page {handle}: it was committed or discarded already"), None)),
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
        #[wasm_bindgen(unchecked_param_type = "string | null", js_name = companyId)] company_id: JsValue,
        #[wasm_bindgen(unchecked_param_type = "{ value: unknown[]; \"@odata.context\"?: string; \"@odata.nextLink\"?: string }")] page: JsValue,
    ) -> Result<JsValue, JsValue> {
        let company = opt_string(&company_id, "companyId")?;
        let entity = match entity_arg(&entity)? {
            Some(e) => e,
            None => {
                let ctx = Reflect::get(&page, &"@odata.context".into()).ok().and_then(|v| v.as_string());
                match ctx.and_then(|c| parse_context(&c).entity) {
                    Some(e) => e,
                    None => {
                        let r = self.core.reject_page(None, company.as_deref(), Diagnostic::error("PAGE_ENTITY_UNKNOWN", "cannot tell which entity this page holds: no recognised `@odata.context`; give the entity explicitly"));
                        return to_js(&r);
                    }
                }
            }
        };
        let r = match read_raw_page(entity, serde_wasm_bindgen::Deserializer::from(page)) {
            Ok(p) => self.core.add_raw_page(entity, company.as_deref(), p, Vec::new()),
            Err(e) => self.core.reject_page(Some(entity), company.as_deref(), Diagnostic::error("PAGE_NOT_READABLE", format!("the page object could not be read: {e}"))),
        };
        to_js(&r)
    }

    /// The matched transactions (plain objects; see the README's output contract).
    #[wasm_bindgen(unchecked_return_type = "Transaction[]")]
    pub fn transactions(&mut self) -> Result<JsValue, JsValue> {
        to_js(self.core.transactions())
    }

    /// The transactions as JSON text: for writing `transactions.json` without building objects.
    #[wasm_bindgen(js_name = transactionsJson)]
    pub fn transactions_json(&mut self) -> Result<String, JsValue> {
        serde_json::to_string(self.core.transactions()).map_err(|e| js_error("INTERNAL", &e.to_string(), None))
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
        crate::export::json_array_part(self.core.transactions(), start as usize, end as usize).map_err(|e| js_error("INTERNAL", &e.to_string(), None))
    }

    /// `transactionsCsv()` in pieces: the header when `start` is 0, then the rows `start..end`.
    /// Parts for consecutive ranges covering every transaction concatenate to exactly
    /// `transactionsCsv()`.
    #[wasm_bindgen(js_name = transactionsCsvPart)]
    pub fn transactions_csv_part(&mut self, start: u32, end: u32) -> String {
        crate::export::transactions_csv_part(self.core.transactions(), start as usize, end as usize)
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

    /// Invoices removed because they stopped being Paid (or fell out of the window).
    #[wasm_bindgen(unchecked_return_type = "Removal[]")]
    pub fn removals(&self) -> Result<JsValue, JsValue> {
        to_js(self.core.removals())
    }

    /// Why `vendor` (and `description`) match an app, or why not.
    #[wasm_bindgen(unchecked_return_type = "Decision")]
    pub fn explain(&mut self, vendor: &str, #[wasm_bindgen(unchecked_param_type = "string | null")] description: JsValue) -> Result<JsValue, JsValue> {
        let d = opt_string(&description, "description")?;
        to_js(&self.core.explain(vendor, d.as_deref()))
    }

    /// Replaces the customer rules; throws like the constructor when a rule is invalid.
    #[wasm_bindgen(js_name = setRules)]
    pub fn set_rules(&mut self, #[wasm_bindgen(unchecked_param_type = "Rule[] | { rules: Rule[] }")] rules: JsValue) -> Result<(), JsValue> {
        let v: serde_json::Value = serde_wasm_bindgen::from_value(rules).map_err(|e| js_error("RULE_INVALID", &format!("rules must be JSON data: {e}"), None))?;
        self.core.set_rules(&v).map_err(config_error)
    }
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

/// What a sync needs of a page before the engine reads it (`{ nextLink?, nextLinkInvalid?, count?,
/// records? }`, the shape `SyncPlan.pageDone` takes), from one validating pass that builds
/// nothing; `null` when the body is not a whole JSON object or array (a truncated response).
/// Takes the text or the body's bytes, as `Engine.addPage` does. A host with an engine reads the
/// envelope from the engine's own parse instead (`Engine.stagePage`, what the sync does).
#[wasm_bindgen(js_name = pageEnvelope, unchecked_return_type = "SyncPage | null")]
pub fn page_envelope(#[wasm_bindgen(unchecked_param_type = "string | Uint8Array")] text: JsValue) -> Result<JsValue, JsValue> {
    let envelope = match page_body(&text)? {
        Body::Text(text) => crate::bc::page_envelope(&js_string_to_utf8(text)),
        Body::Bytes(bytes) => crate::bc::page_envelope_bytes(&bytes.to_vec()),
    };
    match envelope {
        Some(e) => to_js(&e),
        None => Ok(JsValue::NULL),
    }
}

#[derive(Serialize)]
struct StagedPage {
    handle: u32,
    envelope: crate::bc::PageEnvelope,
}

fn lone_surrogate_text() -> Diagnostic {
    Diagnostic::warning("TEXT_LONE_SURROGATE", "the page text holds lone UTF-16 surrogates; they were replaced by U+FFFD")
}

/// A page body from JS: a string, or the bytes of the HTTP response.
enum Body<'a> {
    Text(&'a JsString),
    Bytes(&'a js_sys::Uint8Array),
}

/// A page body from JS as UTF-8 text, with what its conversion replaced as diagnostics: lone
/// surrogates of a string, invalid bytes of a `Uint8Array` (read as `Response.text()` would).
fn page_text(v: &JsValue) -> Result<(String, Vec<Diagnostic>), JsValue> {
    Ok(match page_body(v)? {
        Body::Text(text) => {
            let utf8 = js_string_to_utf8(text);
            let pre = if has_lone_surrogate(text, &utf8) { vec![lone_surrogate_text()] } else { Vec::new() };
            (utf8, pre)
        }
        Body::Bytes(bytes) => crate::engine::body_text(bytes.to_vec()),
    })
}

fn page_body(v: &JsValue) -> Result<Body<'_>, JsValue> {
    if let Some(text) = v.dyn_ref::<JsString>() {
        Ok(Body::Text(text))
    } else if let Some(bytes) = v.dyn_ref::<js_sys::Uint8Array>() {
        Ok(Body::Bytes(bytes))
    } else {
        Err(js_error("INVALID_ARGUMENT", "the page must be a string or a Uint8Array (the response body as BC sent it)", None))
    }
}

/// The crate version, for diagnostics in hosts.
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}

// ---- rules preview ----

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
    pub fn preview_rules(&mut self, #[wasm_bindgen(unchecked_param_type = "Rule[] | { rules: Rule[] }")] rules: JsValue) -> Result<JsValue, JsValue> {
        let v: serde_json::Value = serde_wasm_bindgen::from_value(rules).map_err(|e| js_error("RULE_INVALID", &format!("rules must be JSON data: {e}"), None))?;
        let changes = self.core.preview_rules(&v).map_err(config_error)?;
        to_js(&changes)
    }
}

// ---- report ----

#[wasm_bindgen(typescript_custom_section)]
const TS_REPORT: &'static str = r#"
/** One exchange rate: 1 `from` = `rate` `to`, valid from `date` until the pair's next rate. */
export interface ExchangeRate { date: DateString; from: string; to: string; /** A decimal string, e.g. "0.9216" (never a number). */ rate: DecimalString }
/** Options of `engine.report()` (see src/report/REPORT.md). */
export interface ReportOptions {
  /** Required: the report's "today"; renewals, overdue charges and windows are relative to it. */
  asOf: DateString;
  /** Adds reporting-currency figures beside the originals; needs `rates` for other currencies. */
  reportingCurrency?: string;
  rates?: ExchangeRate[];
  /** Apps per topApps ranking, 1..100 (default 10). */
  topApps?: number;
  /** Renewals due within this many days of asOf, 1..366 (default 90). */
  renewalWindowDays?: number;
  /** A charge change beyond this many percent is a price change, 1..1000 (default 10). */
  priceChangePercent?: number;
}
export type CadenceKind = "monthly" | "quarterly" | "annual" | "irregular" | "insufficientData";
export type InsightSeverity = "high" | "medium" | "low" | "info";
export type InsightKind =
  | "renewalDue" | "renewalPossible" | "priceIncrease" | "priceDecrease" | "expectedChargeMissing"
  | "overlappingApps" | "paidThroughMultipleVendors" | "possibleShadowSaas"
  | "usersWithoutEmail" | "duplicatedUserEmails" | "missingExchangeRates";
/** Spend in one original currency. */
export interface SpendByCurrency { currency: string; amountExcludingTax: DecimalString; amountIncludingTax: DecimalString; transactions: number }
/** The same spend converted to the reporting currency; `complete` is false when some transactions had no rate. */
export interface ReportingAmounts {
  currency: string; amountExcludingTax: DecimalString; amountIncludingTax: DecimalString;
  convertedTransactions: number; missingRateTransactions: number; complete: boolean;
}
export interface ReportCounts {
  transactions: number; included: number; matched: number; unmatched: number;
  ignoredByRule: number; afterAsOf: number; apps: number; unmatchedVendors: number;
}
export interface ReportCurrencyTotal {
  currency: string; transactions: number; matchedTransactions: number;
  amountExcludingTax: DecimalString; amountIncludingTax: DecimalString;
  matchedExcludingTax: DecimalString; unmatchedExcludingTax: DecimalString;
  ignoredTransactions: number; ignoredExcludingTax: DecimalString;
}
export interface ReportingTotal extends ReportingAmounts { matchedExcludingTax: DecimalString; unmatchedExcludingTax: DecimalString }
export interface TopApp { appId: string; appName: string; category: string; amountExcludingTax: DecimalString; sharePercent: string | null }
export interface TopApps { currency: string; reporting: boolean; apps: TopApp[] }
export interface AppChannel {
  channel: "direct" | "reseller" | "marketplace"; viaId: string | null; viaName: string | null;
  vendorNames: string[]; transactions: number; spend: SpendByCurrency[]; lastDate: DateString;
}
/** Billing of one app in one company and currency. */
export interface Subscription {
  companyId: string; companyName: string | null; currency: string;
  kind: CadenceKind; confidence: number; charges: number; medianIntervalDays: number | null;
  lastChargeDate: DateString; lastChargeAmount: DecimalString; previousChargeAmount: DecimalString | null;
  nextExpected: DateString | null; overdue: boolean; annualEstimate: DecimalString | null;
  transactionIds: string[];
}
export interface AppSpend {
  appId: string; appName: string; category: string;
  spend: SpendByCurrency[]; reporting: ReportingAmounts | null; transactions: number;
  vendors: string[]; channels: AppChannel[]; companyIds: string[];
  firstDate: DateString; lastDate: DateString; active: boolean;
  /** The main subscription (most charges); null when the app has no positive charge. */
  cadence: Subscription | null;
  subscriptions: Subscription[];
  transactionIds: string[];
}
export interface CategorySpend { category: string; appIds: string[]; spend: SpendByCurrency[]; reporting: ReportingAmounts | null; transactions: number }
export interface VendorSpend {
  vendorName: string; vendorIds: string[]; companyIds: string[]; appIds: string[];
  matchedTransactions: number; unmatchedTransactions: number;
  spend: SpendByCurrency[]; reporting: ReportingAmounts | null; transactions: number;
}
export interface CompanySpend {
  companyId: string; companyName: string | null; spend: SpendByCurrency[]; reporting: ReportingAmounts | null;
  transactions: number; matchedTransactions: number;
}
export interface MonthSpend {
  month: string; currency: string; reporting: boolean;
  amountExcludingTax: DecimalString; amountIncludingTax: DecimalString;
  matchedExcludingTax: DecimalString; unmatchedExcludingTax: DecimalString; transactions: number;
  apps: Record<string, DecimalString>; categories: Record<string, DecimalString>;
}
export interface Renewal {
  appId: string; appName: string; companyId: string; companyName: string | null; currency: string;
  cadence: CadenceKind; confirmed: boolean; dueDate: DateString; daysUntil: number;
  expectedAmount: DecimalString; insightId: string; transactionIds: string[];
}
export interface UnmatchedVendor {
  vendorName: string; vendorIds: string[]; companyIds: string[];
  spend: SpendByCurrency[]; reporting: ReportingAmounts | null; transactions: number; months: number;
  firstDate: DateString; lastDate: DateString; cadence: CadenceKind;
  possibleShadowSaas: boolean; signals: string[]; descriptions: string[]; transactionIds: string[];
}
export interface InsightAmount {
  label: "latest" | "previous" | "expected" | "total" | "annualEstimate";
  currency: string; amount: DecimalString; subject?: string;
}
export interface Insight {
  /** Stable across runs: a hash of the kind and its subject. */
  id: string; kind: InsightKind; severity: InsightSeverity; title: string; message: string;
  appId: string | null; appIds: string[]; vendorName: string | null; category: string | null;
  function: string | null; companyId: string | null; date: DateString | null;
  amounts: InsightAmount[]; changePercent: string | null; transactionIds: string[]; userIds: string[];
}
export interface ReportUserRef { id: string; userName: string | null; displayName: string | null; status: "active" | "inactive"; invalidEmail: string | null }
export interface ReportUsers {
  total: number; persons: number; nonHuman: number; active: number; inactive: number; activeWithoutEmail: number;
  withoutEmail: ReportUserRef[];
  duplicatedEmails: { email: string; userIds: string[]; userNames: string[] }[];
}
export interface MissingRate { from: string; to: string; firstDate: DateString; lastDate: DateString; transactions: number }
export interface QualityIssue { code: string; severity: "error" | "warning" | "info"; count: number; message: string; transactionIds: string[] }
export interface DataQuality { diagnosticsByCode: Record<string, number>; diagnosticsSuppressed: number; missingRates: MissingRate[]; issues: QualityIssue[] }
/** `engine.report()` and report.json: see src/report/REPORT.md. */
export interface Report {
  version: 1;
  asOf: DateString;
  windowStart: DateString | null;
  lineMode: LineModeName;
  reportingCurrency: string | null;
  rankingCurrency: { currency: string; reporting: boolean } | null;
  counts: ReportCounts;
  totals: ReportCurrencyTotal[];
  reportingTotal: ReportingTotal | null;
  topApps: TopApps[];
  apps: AppSpend[];
  categories: CategorySpend[];
  vendors: VendorSpend[];
  companies: CompanySpend[];
  months: MonthSpend[];
  renewals: Renewal[];
  unmatched: UnmatchedVendor[];
  insights: Insight[];
  users: ReportUsers;
  dataQuality: DataQuality;
}
"#;

fn report_options(options: JsValue) -> Result<crate::report::ReportOptions, JsValue> {
    let v: serde_json::Value = if options.is_undefined() || options.is_null() {
        serde_json::Value::Null
    } else {
        // Through serde_json::Value, as the constructor: unknown keys are refused, not ignored.
        serde_wasm_bindgen::from_value(options).map_err(|e| js_error("INVALID_OPTION", &format!("report options must be a plain object of JSON data: {e}"), None))?
    };
    crate::report::ReportOptions::from_json(&v).map_err(config_error)
}

#[wasm_bindgen(js_class = Engine)]
impl Engine {
    /// Spend per app, category, vendor, company and month, cadences, renewals and insights, as
    /// of `options.asOf`. Throws (with `code`) only for invalid options.
    #[wasm_bindgen(unchecked_return_type = "Report")]
    pub fn report(&mut self, #[wasm_bindgen(unchecked_param_type = "ReportOptions")] options: JsValue) -> Result<JsValue, JsValue> {
        let o = report_options(options)?;
        let r = self.core.report(&o).map_err(config_error)?;
        to_js(&r)
    }

    /// The report as JSON text (for writing `report.json`).
    #[wasm_bindgen(js_name = reportJson)]
    pub fn report_json(&mut self, #[wasm_bindgen(unchecked_param_type = "ReportOptions")] options: JsValue) -> Result<String, JsValue> {
        let o = report_options(options)?;
        let r = self.core.report(&o).map_err(config_error)?;
        serde_json::to_string(&r).map_err(|e| js_error("INTERNAL", &e.to_string(), None))
    }
}

// ---- sync ----

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
export interface SyncPage { nextLink?: unknown; nextLinkInvalid?: boolean; count?: unknown; records?: number; text?: string | null }
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

fn sync_engine_options(options: JsValue) -> Result<EngineOptions, JsValue> {
    if options.is_undefined() || options.is_null() {
        return Ok(EngineOptions::default());
    }
    let v: serde_json::Value = serde_wasm_bindgen::from_value(options).map_err(|e| js_error("INVALID_OPTIONS", &format!("engine options must be a plain object of JSON data: {e}"), None))?;
    serde_json::from_value(v).map_err(|e| js_error("INVALID_OPTIONS", &format!("invalid engine options: {e}"), None))
}

#[wasm_bindgen(js_class = Engine)]
impl Engine {
    /// The engine's state as versioned JSON text, for `Engine.fromState` (a checkpoint, or the
    /// dashboard rebuilding the engine from an output directory).
    #[wasm_bindgen(js_name = exportState)]
    pub fn export_state(&self) -> String {
        self.core.export_state()
    }

    /// An engine configured by `options` holding what `stateText` (from `exportState()`) holds.
    /// Throws with `code` STATE_INVALID, STATE_VERSION or STATE_FOREIGN, or an options code.
    #[wasm_bindgen(js_name = fromState)]
    pub fn from_state(#[wasm_bindgen(unchecked_param_type = "EngineOptions")] options: JsValue, #[wasm_bindgen(js_name = stateText)] state_text: &str) -> Result<Engine, JsValue> {
        let o = sync_engine_options(options)?;
        Core::from_state(o, state_text).map(|core| Engine { core }).map_err(config_error)
    }
}

/// The engine's state in pieces of about `budget` bytes, for writing a large state without
/// holding it whole: `const x = new StateExport(engine); for (let c; (c = x.next(engine)) !== undefined;) write(c)`.
/// The pieces joined are `engine.exportState()`; do not change the engine in between.
#[wasm_bindgen(js_name = StateExport)]
pub struct StateExport {
    core: crate::state::StateWriter,
}

#[wasm_bindgen(js_class = StateExport)]
impl StateExport {
    #[wasm_bindgen(constructor)]
    pub fn new(engine: &Engine) -> StateExport {
        StateExport { core: crate::state::StateWriter::new(&engine.core) }
    }

    /// The next piece (default about 1 MB), or undefined when the state is complete.
    pub fn next(&mut self, engine: &Engine, budget: Option<u32>) -> Option<String> {
        self.core.next_chunk(&engine.core, budget.unwrap_or(1 << 20).max(1) as usize)
    }

    /// `next()` as UTF-8 bytes (a `Uint8Array` of whole lines), for a host that writes them to a
    /// file or a stream: no decoding into a string and encoding back. Pieces of `next()` and
    /// `nextBytes()` may be mixed; each continues where the last left off.
    #[wasm_bindgen(js_name = nextBytes)]
    pub fn next_bytes(&mut self, engine: &Engine, budget: Option<u32>) -> Option<Vec<u8>> {
        self.core.next_chunk_bytes(&engine.core, budget.unwrap_or(1 << 20).max(1) as usize)
    }
}

/// Rebuilds an engine from state text given in pieces (a large state.json read a chunk at a
/// time): `const x = new StateImport(options); x.push(piece); ...; const engine = x.finish()`.
/// The same checks and errors as `Engine.fromState`.
#[wasm_bindgen(js_name = StateImport)]
pub struct StateImport {
    core: crate::state::StateReader,
}

#[wasm_bindgen(js_class = StateImport)]
impl StateImport {
    #[wasm_bindgen(constructor)]
    pub fn new(#[wasm_bindgen(unchecked_param_type = "EngineOptions")] options: JsValue) -> Result<StateImport, JsValue> {
        let o = sync_engine_options(options)?;
        crate::state::StateReader::new(o).map(|core| StateImport { core }).map_err(config_error)
    }

    /// The next piece of the state: text, or the file's bytes (`Uint8Array`, e.g. the chunks of
    /// `createReadStream(path)` without an encoding), which skips decoding them into a JS string
    /// and encoding them back. Pieces may cut lines anywhere; bytes may also cut characters (text
    /// cannot). A line that is not UTF-8 is a `STATE_INVALID` error; any other type of piece an
    /// `INVALID_ARGUMENT` one.
    pub fn push(&mut self, #[wasm_bindgen(unchecked_param_type = "string | Uint8Array")] piece: JsValue) -> Result<(), JsValue> {
        let r = if let Some(text) = piece.dyn_ref::<JsString>() {
            self.core.push(&js_string_to_utf8(text))
        } else if let Some(bytes) = piece.dyn_ref::<js_sys::Uint8Array>() {
            self.core.push_bytes(&bytes.to_vec())
        } else {
            return Err(js_error("INVALID_ARGUMENT", "a state piece must be a string or a Uint8Array (the bytes of a state.json)", None));
        };
        r.map_err(config_error)
    }

    /// The engine; throws if the state was not whole.
    pub fn finish(self) -> Result<Engine, JsValue> {
        self.core.finish().map(|core| Engine { core }).map_err(config_error)
    }
}

/// The sync plan: which requests to make and what each answer means (see src/sync/mod.rs).
#[wasm_bindgen(js_name = SyncPlan)]
pub struct SyncPlan {
    core: crate::sync::SyncPlan,
}

fn number_field(v: &JsValue, key: &str) -> Option<f64> {
    Reflect::get(v, &key.into()).ok().and_then(|x| x.as_f64())
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
        let v: serde_json::Value = serde_wasm_bindgen::from_value(config).map_err(|e| js_error("INVALID_OPTIONS", &format!("the sync configuration must be a plain object of JSON data: {e}"), None))?;
        let config: crate::sync::SyncConfig = serde_json::from_value(v).map_err(|e| js_error("INVALID_OPTIONS", &format!("invalid sync configuration: {e}"), None))?;
        let checkpoint = opt_string(&checkpoint, "checkpoint")?;
        crate::sync::SyncPlan::new(config, checkpoint.as_deref()).map(|core| SyncPlan { core }).map_err(config_error)
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

    /// A page of `taskId` arrived: `{ nextLink, count, records, text }` (`text` only for the
    /// company list). Ingest it if `ingest` says so.
    #[wasm_bindgen(js_name = pageDone, unchecked_return_type = "SyncPageAck")]
    pub fn page_done(&mut self, #[wasm_bindgen(js_name = taskId)] task_id: u32, #[wasm_bindgen(unchecked_param_type = "SyncPage")] page: JsValue) -> Result<JsValue, JsValue> {
        let link = Reflect::get(&page, &"nextLink".into()).unwrap_or(JsValue::UNDEFINED);
        let next_link = link.as_string();
        let flagged = Reflect::get(&page, &"nextLinkInvalid".into()).map(|v| v.is_truthy()).unwrap_or(false);
        let next_link_invalid = flagged || (next_link.is_none() && !(link.is_null() || link.is_undefined()));
        let whole = |x: f64| (x.is_finite() && x >= 0.0 && x.fract() == 0.0 && x <= 9.0e15).then_some(x as u64);
        let count = number_field(&page, "count").and_then(whole);
        let records = number_field(&page, "records").and_then(whole);
        let text = Reflect::get(&page, &"text".into()).ok().and_then(|t| t.as_string());
        let ack = self.core.page_done(task_id, crate::sync::PageInfo { next_link: next_link.as_deref(), next_link_invalid, count, records, text: text.as_deref() });
        to_js(&ack)
    }

    /// A request of `taskId` failed: `{ code, message, narrowable, status }` from the error.
    #[wasm_bindgen(js_name = taskFailed, unchecked_return_type = "SyncFailureDecision")]
    pub fn task_failed(&mut self, #[wasm_bindgen(js_name = taskId)] task_id: u32, #[wasm_bindgen(unchecked_param_type = "SyncFailure")] failure: JsValue) -> Result<JsValue, JsValue> {
        let text = |k: &str| Reflect::get(&failure, &k.into()).ok().and_then(|v| v.as_string()).unwrap_or_default();
        let f = crate::sync::Failure {
            code: text("code"),
            message: text("message"),
            narrowable: Reflect::get(&failure, &"narrowable".into()).map(|v| v.is_truthy()).unwrap_or(false),
            status: number_field(&failure, "status").filter(|s| (0.0..=999.0).contains(s)).map(|s| s as u16),
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
        let out = self.core.finish(&mut engine.core).map_err(config_error)?;
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
pub fn environment_key(#[wasm_bindgen(js_name = tenantId)] tenant_id: Option<String>, environment: &str) -> String {
    crate::sync::environment_key(tenant_id.as_deref(), environment)
}

#[wasm_bindgen(js_class = SyncPlan)]
impl SyncPlan {
    /// `new SyncPlan(config, checkpoint)` for a run whose engine is configured by `engineOptions`:
    /// the window and credit-memo settings given there are the plan's too (the config's win).
    #[wasm_bindgen(js_name = withEngineOptions)]
    pub fn with_engine_options(
        #[wasm_bindgen(unchecked_param_type = "SyncConfig")] config: JsValue,
        #[wasm_bindgen(unchecked_param_type = "EngineOptions", js_name = engineOptions)] engine_options: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string | null | undefined")] checkpoint: JsValue,
    ) -> Result<SyncPlan, JsValue> {
        let engine = sync_engine_options(engine_options)?;
        let v: serde_json::Value = serde_wasm_bindgen::from_value(config).map_err(|e| js_error("INVALID_OPTIONS", &format!("the sync configuration must be a plain object of JSON data: {e}"), None))?;
        let config: crate::sync::SyncConfig = serde_json::from_value(v).map_err(|e| js_error("INVALID_OPTIONS", &format!("invalid sync configuration: {e}"), None))?;
        let checkpoint = opt_string(&checkpoint, "checkpoint")?;
        crate::sync::SyncPlan::new(config.with_engine_options(&engine), checkpoint.as_deref()).map(|core| SyncPlan { core }).map_err(config_error)
    }

    /// Requests to keep in flight (the configured number, or BC's limit).
    #[wasm_bindgen(getter)]
    pub fn concurrency(&self) -> u32 {
        self.core.concurrency()
    }

    /// The options to build this run's engine with: `options` with the plan's window, credit-memo
    /// setting and environment (see `SyncPlan::engine_options`).
    #[wasm_bindgen(js_name = engineOptions, unchecked_return_type = "EngineOptions")]
    pub fn engine_options(&self, #[wasm_bindgen(unchecked_param_type = "EngineOptions")] options: JsValue) -> Result<JsValue, JsValue> {
        to_js(&self.core.engine_options(sync_engine_options(options)?))
    }
}

// ---- catalog ----

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
        let mut apps: Vec<Out> = self.core.matcher().catalog().apps().iter().map(|a| Out { id: &a.id, name: &a.name, category: &a.category, domains: &a.domains }).collect();
        apps.sort_by(|a, b| a.name.to_lowercase().cmp(&b.name.to_lowercase()).then(a.id.cmp(b.id)));
        to_js(&apps)
    }
}

// ---- state merge ----

#[wasm_bindgen(js_class = Engine)]
impl Engine {
    /// One engine, configured by `options`, from the `exportState()` texts of syncs of different
    /// companies of one environment (see src/state_merge.rs): every state's companies, and the
    /// users and company list from the first state that holds users. Throws with `code`
    /// STATE_INVALID, STATE_VERSION, STATE_FOREIGN (with `path` "states/{index}/...") or
    /// STATE_MERGE_OVERLAP (two states hold one company), or an options code.
    #[wasm_bindgen(js_name = fromStates)]
    pub fn from_states(#[wasm_bindgen(unchecked_param_type = "EngineOptions")] options: JsValue, states: Vec<String>) -> Result<Engine, JsValue> {
        let o = sync_engine_options(options)?;
        let texts: Vec<&str> = states.iter().map(String::as_str).collect();
        Core::from_states(o, &texts).map(|core| Engine { core }).map_err(config_error)
    }
}

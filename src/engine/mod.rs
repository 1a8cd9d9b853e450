//! The engine: configured once, fed BC pages, asked for transactions, users and diagnostics.
//!
//! ```
//! use bc_spend::engine::{Engine, EngineOptions};
//! use bc_spend::bc::Entity;
//! let mut engine = Engine::new(EngineOptions { connected_at: Some("2026-11-26".into()), ..Default::default() }).unwrap();
//! let page = r#"{"value":[{"id":"11111111-1111-1111-1111-111111111111","number":"108001","postingDate":"2026-10-01",
//!   "vendorName":"Slack Technologies Limited","currencyCode":"EUR","status":"Paid",
//!   "totalAmountExcludingTax":100,"totalAmountIncludingTax":123,
//!   "purchaseInvoiceLines":[{"id":"22222222-2222-2222-2222-222222222222","lineType":"Account","lineObjectNumber":"6100",
//!     "description":"Slack Pro","netAmount":100,"netAmountIncludingTax":123,"amountExcludingTax":0}]}]}"#;
//! engine.add_page_text(Some(Entity::PurchaseInvoices), Some("c1"), page);
//! let txs = engine.transactions();
//! assert_eq!(txs[0].amount_excluding_tax.to_string(), "100.00");
//! ```
//!
//! A page goes in one of three ways: as text ([`Engine::add_page`], [`Engine::add_page_text`]
//! for a `&str`; a response's bytes through [`PageText`]), as an object a host already parsed ([`Engine::add_page_object`]),
//! or staged by the sync ([`Engine::stage_page`], then [`Engine::commit_staged`]); the boundary's
//! `src/wasm/engine.rs` says when a host uses which.
//!
//! Pages may arrive in any order (vendors after the invoices that name them, the company's
//! local currency last): transactions are built from what is held when they are asked for.
//!
//! A page's company is the id the caller gives, else the one its `@odata.context` names. A
//! context may name the company by name (`companies('CRONUS%20UK%20Ltd.')`): the name is
//! resolved to the id through the companies page, when read, before or after the page.

use crate::bc::lenient::{Page, Record, Records};
use crate::bc::records::{
    self, Company, DocKind, DocStatus, Document, FieldReader, RawUserFields, Vendor,
};
use crate::bc::{
    is_guid_shaped, parse_context, read_page_text, ContextInfo, Entity, LineType, PageEnvelope,
    RawPage,
};
use crate::catalog::Catalog;
use crate::date::Date;
use crate::diagnostics::DiagnosticCode;
use crate::diagnostics::{Counts, Diagnostic, DiagnosticLog};
use crate::error::ConfigError;
use crate::error::ErrorCode;
use crate::fastmap::FastMap;
use crate::matching::{Decision, LineInfo, Matcher, RuleSpec, VendorInfo};
use crate::money::{balances_within_range, Amount, MagnitudeBudget};
use crate::text::{Id, Interner, Text};
use crate::transactions::{self, LineMode, Transaction};
use crate::users::{
    build_user, contact_email_field_exists, contact_email_unavailable, User, UserKind,
};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap};

mod derived;
mod summary;
pub use derived::{BuiltFigures, HeldDocument, OutputKey, OutputKeys, BUILD_ID};
pub(crate) use derived::{KeyHasher, MixHasher};
pub use summary::{CurrencyTotal, Summary, UserSummary};

/// Which documents [`Engine::build_filtered`] keeps, by their vendor and lines.
pub(crate) type DocumentFilter<'a> = &'a dyn Fn(&VendorInfo, &[LineInfo]) -> bool;

/// Engine options, as passed to `new Engine(options)` (camelCase in JS). Serialized (the keys
/// set only) when the sync plan hands the engine its options (`SyncPlan::engine_options`).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EngineOptions {
    /// `invoice` (default), `line` or `auto`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line_mode: Option<String>,
    /// The first connection date, `YYYY-MM-DD`. The window starts `historyYears` before it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connected_at: Option<String>,
    /// Years of history before `connectedAt` (default 1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub history_years: Option<u32>,
    /// An explicit window start (`YYYY-MM-DD`), instead of `connectedAt` - `historyYears`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub window_start: Option<String>,
    /// Read purchase credit memos as negative transactions (default false, as the reference).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credit_memos: Option<bool>,
    /// Names the BC environment in transaction ids (default `"default"`); use the tenant and
    /// environment so ids from two environments never collide.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
    /// Currency for documents whose company has no local currency code (ISO 4217).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_currency: Option<String>,
    /// Customer rules (see `src/matching/`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rules: Option<serde_json::Value>,
    /// A catalog to extend or replace the built-in one: `{ "mode": "extend"|"replace", ...data }`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub catalog: Option<serde_json::Value>,
}

/// What adding one page did, for the host's progress and the CLI's summary.
#[derive(Debug, Clone, Serialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct PageResult {
    pub entity: Option<&'static str>,
    pub company_id: Option<String>,
    pub records: u64,
    pub accepted: u64,
    pub rejected: u64,
    /// The page could not be read at all (not JSON, not a BC response).
    pub page_rejected: bool,
    /// When `page_rejected`: the page-level diagnostic that refused it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rejection: Option<PageRejection>,
    pub next_link: Option<String>,
    pub diagnostics: u64,
}

/// Why a whole page was refused: its diagnostic's code and message.
#[derive(Debug, Clone, Serialize)]
pub struct PageRejection {
    pub code: DiagnosticCode,
    pub message: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Removal {
    pub company_id: String,
    pub invoice_id: Id,
    pub invoice_number: Option<Text>,
    pub kind: &'static str,
    /// `notPaid` (with `status`) or `outsideWindow`.
    pub reason: &'static str,
    pub status: Option<&'static str>,
}

#[derive(Debug, Default)]
pub(crate) struct CompanyState {
    pub(crate) company: Option<Company>,
    pub(crate) local_currency: Option<Text>,
    /// Keyed by the vendor's own id (the key shares its text).
    pub(crate) vendors: HashMap<Text, Vendor>,
}

/// A held document's key: its company, its kind (0 invoice, 1 credit memo) and its id, each
/// text shared with the document and the engine's other keys (`Engine::texts`).
pub(crate) type DocKey = (Text, u8, Id);

pub struct Engine {
    line_mode: LineMode,
    pub(crate) window_start: Date,
    pub(crate) credit_memos: bool,
    pub(crate) environment: String,
    default_currency: Option<Text>,
    matcher: Matcher,
    pub(crate) companies: BTreeMap<String, CompanyState>,
    pub(crate) docs: BTreeMap<DocKey, Box<HeldDocument>>,
    /// `lastModifiedDateTime` of the newest version seen of every document, held or not.
    /// Fx-hashed: SipHash of the two ids was 4% of reading a state in wasm, and its keys are
    /// fixed there anyway (no randomness in the core), so it bought no flood resistance.
    pub(crate) versions: crate::fastmap::FastMap<DocKey, crate::date::Timestamp>,
    /// One [`Text`] per distinct text the held records use (`src/text.rs`): documents read
    /// and restored share their repeated texts (vendors, currencies, descriptions) and their
    /// keys' company ids through it.
    pub(crate) texts: Interner,
    pub(crate) users: BTreeMap<String, (RawUserFields, BTreeSet<String>)>,
    pub(crate) counts: BTreeMap<Entity, Counts>,
    pub(crate) pages_seen: HashMap<(Entity, String), u32>,
    pub(crate) diags: DiagnosticLog,
    pub(crate) removals: Vec<Removal>,
    pub(crate) cache: Option<Built>,
    /// The matcher's [`crate::matching::Vocabulary`] no longer reflects the documents held (or
    /// the matcher was replaced): worked out again before the next build or explanation.
    vocabulary_stale: bool,
    /// Digests of the caller's catalog and rules options (`derived.rs`).
    pub(crate) config_digest: (u64, u64),
    /// The summary's figures of the last build, kept with the state (`derived.rs`).
    pub(crate) figures: Option<BuiltFigures>,
    /// `figures` were computed from `cache` (cleared with it).
    figures_current: bool,
    /// Pages read but not yet added ([`Engine::stage_page`]), by handle.
    staged: BTreeMap<u32, StagedPage>,
    next_staged: u32,
}

/// A page parsed by [`Engine::stage_page`], waiting to be added or discarded.
struct StagedPage {
    entity: Entity,
    company_id: Option<String>,
    page: RawPage,
    pre: Vec<Diagnostic>,
}

pub(crate) struct Built {
    pub(crate) transactions: Vec<Transaction>,
    diags: Vec<Diagnostic>,
}

fn parse_date_option(name: &str, v: &str) -> Result<Date, ConfigError> {
    match Date::parse_bc(v.trim()) {
        Ok(Some(d)) => Ok(d),
        _ => Err(ConfigError::new(
            ErrorCode::InvalidOption,
            format!("`{name}` must be a date written YYYY-MM-DD, got {v:?}"),
        )
        .at(name)),
    }
}

/// A digest of an option given as JSON (the caller's catalog, the rules): the same value, the
/// same digest (serde_json's maps are ordered by key).
fn json_digest(v: Option<&serde_json::Value>) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    v.map(|v| v.to_string()).hash(&mut h);
    h.finish()
}

/// Reads the customer rules: an array of rules, or an object holding one under `rules` (the
/// shape of a rules file). Errors name the rule and field.
pub fn parse_rules(v: &serde_json::Value) -> Result<Vec<RuleSpec>, ConfigError> {
    match v {
        serde_json::Value::Object(o) if o.contains_key("rules") => {
            crate::matching::parse_rules(&o["rules"])
        }
        _ => crate::matching::parse_rules(v),
    }
}

fn build_catalog(v: Option<&serde_json::Value>) -> Result<Catalog, ConfigError> {
    let Some(v) = v else {
        return Ok(Catalog::builtin());
    };
    let mode = v.get("mode").and_then(|m| m.as_str()).unwrap_or("extend");
    let mut data = v.clone();
    if let Some(o) = data.as_object_mut() {
        o.remove("mode");
    }
    let data = Catalog::from_json_value(&data)?;
    match mode {
        "extend" => Catalog::builtin().extend(data),
        "replace" => Catalog::from_data(data),
        other => Err(ConfigError::new(
            ErrorCode::InvalidOption,
            format!("catalog.mode must be \"extend\" or \"replace\", got {other:?}"),
        )
        .at("catalog/mode")),
    }
}

impl Engine {
    pub fn new(o: EngineOptions) -> Result<Engine, ConfigError> {
        let line_mode = match o.line_mode.as_deref() {
            None => LineMode::Invoice,
            Some(s) => LineMode::parse(s).ok_or_else(|| {
                ConfigError::new(
                    ErrorCode::InvalidOption,
                    format!("`lineMode` must be \"invoice\", \"line\" or \"auto\", got {s:?}"),
                )
                .at("lineMode")
            })?,
        };
        let window_start = match (&o.window_start, &o.connected_at) {
            (Some(ws), _) => parse_date_option("windowStart", ws)?,
            (None, Some(c)) => {
                let years = o.history_years.unwrap_or(1);
                if years > 50 {
                    return Err(ConfigError::new(ErrorCode::InvalidOption, "`historyYears` must be between 0 and 50").at("historyYears"));
                }
                parse_date_option("connectedAt", c)?.minus_years(years as i32)
            }
            (None, None) => {
                return Err(ConfigError::new(
                    ErrorCode::MissingOption,
                    "`connectedAt` is required: the date of the first connection (YYYY-MM-DD); the sync window starts one year before it. Or give `windowStart`.",
                )
                .at("connectedAt"))
            }
        };
        let default_currency = match &o.default_currency {
            None => None,
            Some(c) => {
                let c = c.trim().to_ascii_uppercase();
                if c.len() != 3 || !c.bytes().all(|b| b.is_ascii_alphabetic()) {
                    return Err(ConfigError::new(
                        ErrorCode::InvalidOption,
                        format!("`defaultCurrency` must be a 3-letter ISO 4217 code, got {c:?}"),
                    )
                    .at("defaultCurrency"));
                }
                Some(Text::from(c))
            }
        };
        let environment = o.environment.clone().unwrap_or_else(|| "default".into());
        if environment.is_empty() || environment.len() > 200 {
            return Err(ConfigError::new(
                ErrorCode::InvalidOption,
                "`environment` must be a non-empty name of at most 200 characters",
            )
            .at("environment"));
        }
        let rules = match &o.rules {
            Some(v) => parse_rules(v)?,
            None => Vec::new(),
        };
        let catalog = build_catalog(o.catalog.as_ref())?;
        let matcher = Matcher::new(catalog, &rules)?;
        Ok(Engine {
            line_mode,
            window_start,
            credit_memos: o.credit_memos.unwrap_or(false),
            environment,
            default_currency,
            matcher,
            companies: BTreeMap::new(),
            docs: BTreeMap::new(),
            versions: Default::default(),
            texts: Interner::default(),
            users: BTreeMap::new(),
            counts: BTreeMap::new(),
            pages_seen: HashMap::new(),
            diags: DiagnosticLog::default(),
            removals: Vec::new(),
            cache: None,
            vocabulary_stale: false,
            config_digest: (
                json_digest(o.catalog.as_ref()),
                json_digest(o.rules.as_ref()),
            ),
            figures: None,
            figures_current: false,
            staged: BTreeMap::new(),
            next_staged: 0,
        })
    }

    pub fn line_mode(&self) -> LineMode {
        self.line_mode
    }
    pub fn window_start(&self) -> Date {
        self.window_start
    }
    pub fn matcher(&self) -> &Matcher {
        &self.matcher
    }

    /// Replaces the customer rules (the catalog stays). Transactions are re-matched when next
    /// asked for; nothing is re-read.
    pub fn set_rules(&mut self, rules: &serde_json::Value) -> Result<(), ConfigError> {
        let rules_value = rules;
        let rules = parse_rules(rules)?;
        let catalog = self.matcher.catalog().clone();
        let mut matcher = Matcher::new(catalog, &rules)?;
        // The verdicts no rule change can affect are kept (`matching/decisions.rs`).
        matcher.adopt_decisions(&self.matcher);
        self.matcher = matcher;
        self.config_digest.1 = json_digest(Some(rules_value));
        self.invalidate();
        Ok(())
    }

    /// Adds a page given as text. `entity` may be `None` to take it from `@odata.context`;
    /// `company_id` may be `None` when the context names the company. [`Engine::add_page`] for
    /// plain text.
    pub fn add_page_text(
        &mut self,
        entity: Option<Entity>,
        company_id: Option<&str>,
        text: &str,
    ) -> PageResult {
        self.add_page(entity, company_id, PageText::from(text))
    }

    /// Adds a page as text (the text way in): a `&str` or `String`, a response's bytes
    /// ([`PageText::from_bytes`]), or text with warnings about its decoding.
    pub fn add_page(
        &mut self,
        entity: Option<Entity>,
        company_id: Option<&str>,
        text: PageText<'_>,
    ) -> PageResult {
        let PageText {
            text,
            notes: mut pre,
        } = text;
        // The records' repeated texts are interned as they are read (`src/text.rs`).
        let read =
            crate::text::reading_into(&mut self.texts, || crate::bc::read_page(entity, &text));
        match read {
            Ok((entity, page, repaired)) => {
                if repaired > 0 {
                    pre.push(lone_surrogates());
                }
                self.add_raw_page(entity, company_id, page, pre)
            }
            Err(refusal) => {
                for d in pre {
                    self.diags.push(d);
                }
                self.reject_page(refusal.entity, company_id, *refusal.diagnostic)
            }
        }
    }

    /// Adds a page the host already parsed (the object way in: `JSON.parse` output, read through
    /// serde-wasm-bindgen at the boundary), from any serde deserializer over it. `context` is
    /// the page's `@odata.context`, which names the entity when `entity` is `None`.
    pub fn add_page_object<'de, D: serde::Deserializer<'de>>(
        &mut self,
        entity: Option<Entity>,
        company_id: Option<&str>,
        context: Option<&str>,
        page: D,
    ) -> PageResult {
        let entity = match (entity, context) {
            (Some(e), _) => e,
            (None, Some(c)) => match crate::bc::entity_of_context(c) {
                Ok(e) => e,
                Err(d) => return self.reject_page(None, company_id, *d),
            },
            (None, None) => return self.reject_page(None, company_id, crate::bc::entity_unknown()),
        };
        let read =
            crate::text::reading_into(&mut self.texts, || crate::bc::read_raw_page(entity, page));
        match read {
            Ok(p) => self.add_raw_page(entity, company_id, p, Vec::new()),
            Err(e) => self.reject_page(
                Some(entity),
                company_id,
                Diagnostic::error(
                    DiagnosticCode::PageNotReadable,
                    format!("the page object could not be read: {e}"),
                ),
            ),
        }
    }

    /// Reads a page (as [`Engine::add_page`] does) without adding it yet (the sync's way
    /// in): the sync learns what it needs of the page (its [`PageEnvelope`]) from the one parse
    /// the engine makes, decides, then calls [`Engine::commit_staged`] or
    /// [`Engine::discard_staged`]. Returns the handle and the envelope, or `None`, with nothing
    /// kept or recorded, when the body is not one whole JSON object or array (a truncated
    /// response, to be fetched again).
    pub fn stage_page(
        &mut self,
        entity: Entity,
        company_id: Option<&str>,
        text: PageText<'_>,
    ) -> Option<(u32, PageEnvelope)> {
        let PageText {
            text,
            notes: mut pre,
        } = text;
        let (page, repaired) =
            crate::text::reading_into(&mut self.texts, || read_page_text(entity, &text)).ok()?;
        let envelope = page.envelope()?;
        if repaired > 0 {
            pre.push(lone_surrogates());
        }
        let id = self.next_staged;
        self.next_staged = self.next_staged.wrapping_add(1);
        self.staged.insert(
            id,
            StagedPage {
                entity,
                company_id: company_id.map(str::to_owned),
                page,
                pre,
            },
        );
        Some((id, envelope))
    }

    /// Adds a page staged by [`Engine::stage_page`]; `None` for an unknown handle.
    pub fn commit_staged(&mut self, id: u32) -> Option<PageResult> {
        let s = self.staged.remove(&id)?;
        Some(self.add_raw_page(s.entity, s.company_id.as_deref(), s.page, s.pre))
    }

    /// Drops a staged page without adding it (the sync decided not to ingest it).
    pub fn discard_staged(&mut self, id: u32) {
        self.staged.remove(&id);
    }

    /// Notes a page that could not be read at all.
    fn reject_page(
        &mut self,
        entity: Option<Entity>,
        company_id: Option<&str>,
        d: Diagnostic,
    ) -> PageResult {
        let mut d = d;
        d.entity = entity.map(Entity::as_str);
        d.company_id = company_id.map(|c| c.to_ascii_lowercase());
        if let Some(e) = entity {
            let c = self.counts.entry(e).or_default();
            c.pages += 1;
            c.pages_rejected += 1;
        }
        let rejection = PageRejection {
            code: d.code,
            message: d.message.clone(),
        };
        self.diags.push(d);
        PageResult {
            entity: entity.map(Entity::as_str),
            company_id: company_id.map(str::to_owned),
            page_rejected: true,
            rejection: Some(rejection),
            diagnostics: 1,
            ..Default::default()
        }
    }

    /// Adds a page already read into raw records: where every way in ends. BC's OData error
    /// body is refused here, so the object way in refuses it too.
    fn add_raw_page(
        &mut self,
        entity: Entity,
        company_id: Option<&str>,
        page: RawPage,
        mut pre: Vec<Diagnostic>,
    ) -> PageResult {
        if let Some(d) = page.bc_error() {
            for p in pre {
                self.diags.push(p);
            }
            return self.reject_page(Some(entity), company_id, d);
        }
        self.invalidate();
        let company = match company_id {
            Some(c) => Some(self.company_key(c.trim().to_ascii_lowercase())),
            None => match page.context().map(parse_context) {
                Some(ContextInfo {
                    company_name: Some(name),
                    ..
                }) => Some(self.company_key_for_name(&name, &mut pre)),
                context => context.and_then(|c| c.company_id),
            },
        };
        let next_link = page.next_link().map(str::to_owned);
        if entity.company_scoped() && company.is_none() {
            return self.reject_page(
                Some(entity),
                None,
                Diagnostic::error(
                    DiagnosticCode::PageNoCompany,
                    format!(
                        "a {} page must say which company it belongs to: pass the company id",
                        entity.as_str()
                    ),
                ),
            );
        }
        let company_key = company.clone().unwrap_or_default();
        let seq = {
            let n = self
                .pages_seen
                .entry((entity, company_key.clone()))
                .or_insert(0);
            *n += 1;
            *n - 1
        };
        let mut result = PageResult {
            entity: Some(entity.as_str()),
            company_id: company.clone(),
            next_link,
            ..Default::default()
        };
        let mut page_diags: Vec<Diagnostic> = pre;
        {
            let c = self.counts.entry(entity).or_default();
            c.pages += 1;
        }
        match page {
            RawPage::Companies(p) => self.each_record(
                entity,
                &company_key,
                seq,
                p,
                &mut page_diags,
                &mut result,
                |e, _c, r, fr| {
                    let co = r.into_reader(fr)?;
                    let id = co.id.to_string();
                    e.companies.entry(id).or_default().company = Some(co);
                    Some(())
                },
            ),
            RawPage::Vendors(p) => self.each_record(
                entity,
                &company_key,
                seq,
                p,
                &mut page_diags,
                &mut result,
                |e, c, r, fr| {
                    // Its id and texts interned as the page was read.
                    let v = r.into_reader(fr)?;
                    e.companies
                        .entry(c.to_owned())
                        .or_default()
                        .vendors
                        .insert(v.id.clone(), v);
                    Some(())
                },
            ),
            RawPage::GeneralLedgerSetup(p) => self.each_record(
                entity,
                &company_key,
                seq,
                p,
                &mut page_diags,
                &mut result,
                |e, c, r, fr| {
                    let lcy = r.into_reader(fr)?.map(|c| e.texts.intern(&c));
                    e.companies.entry(c.to_owned()).or_default().local_currency = lcy;
                    Some(())
                },
            ),
            RawPage::Documents(p) => {
                // Read with its kind, invoice or credit memo, by `read_raw_page`.
                self.each_record(
                    entity,
                    &company_key,
                    seq,
                    *p,
                    &mut page_diags,
                    &mut result,
                    |e, c, r, fr| {
                        let doc = r.into_reader(fr)?;
                        e.accept_document(entity, c, doc, fr.diags);
                        Some(())
                    },
                )
            }
            RawPage::Users(p) => self.each_record(
                entity,
                &company_key,
                seq,
                p,
                &mut page_diags,
                &mut result,
                |e, c, r, fr| {
                    let u = r.into_reader(fr)?;
                    let slot = e
                        .users
                        .entry(u.security_id.clone())
                        .or_insert_with(|| (u.clone(), BTreeSet::new()));
                    slot.0 = u;
                    slot.1.insert(c.to_owned());
                    Some(())
                },
            ),
        }
        if entity == Entity::Companies {
            self.join_named_companies(&mut page_diags);
        }
        // The page's own diagnostics (the log's total can also fall: a record read again
        // replaces the diagnostics of its earlier reading).
        result.diagnostics = page_diags.len() as u64;
        for mut d in page_diags {
            d.entity.get_or_insert(entity.as_str());
            if d.company_id.is_none() && !company_key.is_empty() {
                d.company_id = Some(company_key.clone());
            }
            d.page.get_or_insert(seq);
            self.diags.push(d);
        }
        result
    }

    #[allow(clippy::too_many_arguments)]
    fn each_record<T: IdPeek>(
        &mut self,
        entity: Entity,
        company: &str,
        seq: u32,
        page: Page<T>,
        out: &mut Vec<Diagnostic>,
        result: &mut PageResult,
        mut f: impl FnMut(&mut Engine, &str, T, &mut FieldReader) -> Option<()>,
    ) {
        if let Some(what) = page.not_object {
            out.push(Diagnostic::error(
                DiagnosticCode::PageNotObject,
                format!("a BC response is a JSON object, but this page is {what}"),
            ));
            let c = self.counts.entry(entity).or_default();
            c.pages_rejected += 1;
            result.page_rejected = true;
            return;
        }
        let list = match (page.value, page.single) {
            (Records::List(l), _) => l,
            (Records::NotArray(what), _) => {
                out.push(
                    Diagnostic::error(
                        DiagnosticCode::PageValueNotArray,
                        format!("`value` should be an array of records but is {what}"),
                    )
                    .path("value"),
                );
                self.counts.entry(entity).or_default().pages_rejected += 1;
                result.page_rejected = true;
                return;
            }
            (Records::Missing, Some(single)) => vec![Record::Object(single)],
            (Records::Missing, None) => {
                out.push(Diagnostic::error(
                    DiagnosticCode::PageNoValue,
                    "the page has no `value` array; is it a BC collection response?",
                ));
                self.counts.entry(entity).or_default().pages_rejected += 1;
                result.page_rejected = true;
                return;
            }
        };
        // A record read again (an incremental run's overlap, a page read twice) replaces its
        // earlier reading, so its diagnostics replace the earlier reading's too: otherwise
        // each re-read would log them once more, and an incremental run would report what a
        // full run of the same data does not. Only worked out when the log holds any.
        let earlier = self.diags.items().iter().any(|d| {
            d.record_id.is_some()
                && d.entity == Some(entity.as_str())
                && d.company_id.as_deref().unwrap_or("") == company
        });
        let mut read_ids: BTreeSet<String> = BTreeSet::new();
        for (i, rec) in list.into_iter().enumerate() {
            result.records += 1;
            let mut local = Vec::new();
            let ok = match rec {
                Record::NotObject(what) => {
                    local.push(Diagnostic::error(
                        DiagnosticCode::RecordNotObject,
                        format!("record {i} should be an object but is {what}"),
                    ));
                    false
                }
                Record::Object(mut raw) => {
                    let id = raw.peek_id();
                    if earlier {
                        read_ids.extend(id.clone());
                    }
                    let mut fr = FieldReader::new(&mut local, String::new());
                    let ok = f(self, company, raw, &mut fr).is_some() && !fr.rejected;
                    for d in local.iter_mut() {
                        d.record_id = d.record_id.take().or_else(|| id.clone());
                    }
                    if !ok
                        && !local
                            .iter()
                            .any(|d| d.severity == crate::diagnostics::Severity::Error)
                    {
                        local.push(Diagnostic::error(
                            DiagnosticCode::RecordRejected,
                            format!("record {i} could not be read"),
                        ));
                    }
                    ok
                }
            };
            for d in local.iter_mut() {
                d.record_index = Some(i);
                d.entity = Some(entity.as_str());
                d.page = Some(seq);
            }
            out.extend(local);
            let c = self.counts.entry(entity).or_default();
            c.read += 1;
            if ok {
                c.accepted += 1;
                result.accepted += 1;
            } else {
                c.rejected += 1;
                result.rejected += 1;
            }
        }
        if !read_ids.is_empty() {
            self.diags.retain(|d| {
                !(d.entity == Some(entity.as_str())
                    && d.company_id.as_deref().unwrap_or("") == company
                    && d.record_id.as_ref().is_some_and(|id| read_ids.contains(id)))
            });
        }
    }

    /// The id of the company the companies pages read list under `name`: its name (unique in
    /// BC), else a display name only one company has. Case is ignored, as BC ignores it.
    fn company_id_named(&self, name: &str) -> Option<String> {
        let name = name.trim().to_lowercase();
        let known = || {
            self.companies
                .iter()
                .filter_map(|(id, cs)| cs.company.as_ref().map(|c| (id, c)))
        };
        if let Some((id, _)) = known().find(|(_, c)| c.name.trim().to_lowercase() == name) {
            return Some(id.clone());
        }
        let mut by_display = known().filter(|(_, c)| {
            c.display_name
                .as_deref()
                .is_some_and(|d| d.trim().to_lowercase() == name)
        });
        match (by_display.next(), by_display.next()) {
            (Some((id, _)), None) => Some(id.clone()),
            _ => None,
        }
    }

    /// The key a page's company is held under: `key` itself, unless it is no id the companies
    /// page lists but a name it does (a caller that passed the company's name).
    fn company_key(&self, key: String) -> String {
        if is_guid_shaped(&key)
            || self
                .companies
                .get(&key)
                .is_some_and(|c| c.company.is_some())
        {
            return key;
        }
        self.company_id_named(&key).unwrap_or(key)
    }

    /// The key for a company a page's context names by name. Its id when a companies page read
    /// lists the name, so the page joins the company's GL setup, vendors and name, whatever form
    /// their own pages' contexts took. Otherwise the name, lower-cased, warned about once: the
    /// pages naming it so still join one another, and join the id when a companies page listing
    /// the name is read ([`Engine::join_named_companies`]).
    fn company_key_for_name(&mut self, name: &str, out: &mut Vec<Diagnostic>) -> String {
        if let Some(id) = self.company_id_named(name) {
            return id;
        }
        let key = name.trim().to_lowercase();
        let warned = self.diags.items().iter().any(|d| {
            d.code == COMPANY_NAME_UNRESOLVED && d.company_id.as_deref() == Some(key.as_str())
        });
        if !warned && !out.iter().any(|d| d.code == COMPANY_NAME_UNRESOLVED) {
            out.push(Diagnostic::warning(
                COMPANY_NAME_UNRESOLVED,
                format!("the page names its company by name ({name:?}), not by id, and no companies page read lists that name: its records are held under the name, apart from anything read under the company's id (its GL setup, vendors). Read the companies page (GET companies), which joins the name to the company's id, or request pages as companies({{id}})/…"),
            ));
        }
        key
    }

    /// Moves what was held under a company's name ([`Engine::company_key_for_name`]) to the id
    /// the companies pages now list under that name.
    fn join_named_companies(&mut self, out: &mut Vec<Diagnostic>) {
        let unresolved = |k: &str| {
            !is_guid_shaped(k) && !self.companies.get(k).is_some_and(|c| c.company.is_some())
        };
        let mut keys: BTreeSet<String> =
            crate::sort::btree(self.companies.keys().filter(|k| unresolved(k)).cloned());
        // Each company's text is tested once: held keys share their company's one `Text`, so
        // a pointer compare passes over the rest (testing every held key's shape made each
        // companies page cost O(history), 12 ms of a 30,000-invoice run that changed nothing).
        // At most 64 distinct texts are remembered, so texts not shared cost a test each, never
        // a search that grows.
        let mut tested: Vec<&Text> = Vec::new();
        for k in self
            .docs
            .keys()
            .map(|k| &k.0)
            .chain(self.versions.keys().map(|k| &k.0))
        {
            if tested.iter().any(|t| Text::ptr_eq(t, k)) {
                continue;
            }
            if tested.len() < 64 {
                tested.push(k);
            }
            if unresolved(k) {
                keys.insert(k.to_string());
            }
        }
        keys.extend(
            self.users
                .values()
                .flat_map(|(_, cs)| cs.iter())
                .filter(|k| unresolved(k))
                .cloned(),
        );
        let moves: Vec<(String, String)> = keys
            .into_iter()
            .filter_map(|k| {
                self.company_id_named(&k)
                    .filter(|id| *id != k)
                    .map(|id| (k, id))
            })
            .collect();
        for (from, to) in moves {
            self.rekey_company(&from, &to);
            self.diags.retain(|d| {
                !(d.code == COMPANY_NAME_UNRESOLVED
                    && d.company_id.as_deref() == Some(from.as_str()))
            });
            out.push(Diagnostic {
                company_id: Some(to.clone()),
                ..Diagnostic::info(
                    DiagnosticCode::CompanyNameJoined,
                    format!("pages that named this company by name ({from:?}) are now held under its id {to}; diagnostics about them read before name the company {from:?}"),
                )
            });
        }
    }

    /// Moves everything held under company key `from` to `to`, merging with what `to` holds:
    /// of two copies of one document the newer wins, and a copy older than the newest version
    /// seen under either key (one no longer paid) is dropped, counted as stale.
    fn rekey_company(&mut self, from: &str, to: &str) {
        let to_text = self.texts.intern(to);
        if let Some(cs) = self.companies.remove(from) {
            let dest = self.companies.entry(to.to_owned()).or_default();
            if dest.local_currency.is_none() {
                dest.local_currency = cs.local_currency;
            }
            for (id, v) in cs.vendors {
                dest.vendors.entry(id).or_insert(v);
            }
        }
        let versions: Vec<_> = self
            .versions
            .keys()
            .filter(|k| k.0 == from)
            .cloned()
            .collect();
        for k in versions {
            let Some(v) = self.versions.remove(&k) else {
                continue;
            };
            let newest = self
                .versions
                .entry((to_text.clone(), k.1, k.2))
                .or_insert(v);
            *newest = (*newest).max(v);
        }
        let docs: Vec<_> = self.docs.keys().filter(|k| k.0 == from).cloned().collect();
        for k in docs {
            let Some(doc) = self.docs.remove(&k) else {
                continue;
            };
            let entity = if k.1 == 1 {
                Entity::PurchaseCreditMemos
            } else {
                Entity::PurchaseInvoices
            };
            let key = (to_text.clone(), k.1, k.2);
            let newest = self.versions.get(&key).copied();
            let mut dropped = 0;
            let keep = match self.docs.remove(&key) {
                Some(held) if held.last_modified >= doc.last_modified => {
                    dropped += 1;
                    held
                }
                Some(_) => {
                    dropped += 1;
                    doc
                }
                None => doc,
            };
            if newest.is_some_and(|n| keep.last_modified < Some(n)) {
                dropped += 1;
            } else {
                self.docs.insert(key, keep);
            }
            self.counts.entry(entity).or_default().stale += dropped;
        }
        for (_, companies) in self.users.values_mut() {
            if companies.remove(from) {
                companies.insert(to.to_owned());
            }
        }
        for r in self.removals.iter_mut().filter(|r| r.company_id == from) {
            r.company_id = to.to_owned();
        }
        let pages: Vec<_> = self
            .pages_seen
            .keys()
            .filter(|k| k.1 == from)
            .cloned()
            .collect();
        for k in pages {
            let n = self.pages_seen.remove(&k).unwrap_or(0);
            *self.pages_seen.entry((k.0, to.to_owned())).or_insert(0) += n;
        }
    }

    fn accept_document(
        &mut self,
        entity: Entity,
        company: &str,
        doc: Document,
        diags: &mut Vec<Diagnostic>,
    ) {
        let kind_code = if doc.kind == DocKind::CreditMemo {
            1
        } else {
            0
        };
        let key = (self.texts.intern(company), kind_code, doc.id.clone());
        let counts = self.counts.entry(entity).or_default();
        if doc.kind == DocKind::CreditMemo && !self.credit_memos {
            counts.disabled += 1;
            return;
        }
        // The newest version seen wins, whatever its status: a Paid version older than an
        // Open one (a page re-read out of order) must not bring a removed invoice back.
        if let Some(new) = doc.last_modified {
            match self.versions.get(&key) {
                Some(&old) if old > new => {
                    counts.stale += 1;
                    return;
                }
                _ => {
                    self.versions.insert(key.clone(), new);
                }
            }
        }
        let kind = if doc.kind == DocKind::CreditMemo {
            "creditMemo"
        } else {
            "invoice"
        };
        if doc.status != DocStatus::Paid {
            counts.not_paid += 1;
            if let Some(old) = self.docs.remove(&key).map(|d| d.into_document()) {
                diags.push(Diagnostic::info(
                    DiagnosticCode::InvoiceNoLongerPaid,
                    format!(
                        "{} {} is now {} and was removed from the transactions",
                        kind,
                        old.number.as_deref().unwrap_or(&old.id.text()),
                        doc.status.as_str()
                    ),
                ));
                self.removals.push(Removal {
                    company_id: company.to_owned(),
                    invoice_id: old.id,
                    invoice_number: old.number,
                    kind,
                    reason: "notPaid",
                    status: Some(doc.status.as_str()),
                });
            }
            return;
        }
        let date = match doc.posting_date.or(doc.document_date) {
            Some(d) => d,
            None => {
                diags.push(Diagnostic::warning(DiagnosticCode::DocumentNoDate, "a paid document has neither postingDate nor a document date; it is kept, dated 0001-01-01 only if inside the window").path("postingDate"));
                counts.outside_window += 1;
                return;
            }
        };
        if date < self.window_start {
            counts.outside_window += 1;
            if let Some(old) = self.docs.remove(&key).map(|d| d.into_document()) {
                self.removals.push(Removal {
                    company_id: company.to_owned(),
                    invoice_id: old.id,
                    invoice_number: old.number,
                    kind,
                    reason: "outsideWindow",
                    status: None,
                });
            }
            return;
        }
        // Its repeated texts were interned as the page was read (`FieldReader::interned`).
        self.docs.insert(key, Box::new(HeldDocument::new(doc)));
    }

    /// `v` with its id and repeated texts shared with those the engine holds (records read
    /// elsewhere than from a page: a v1 state).
    pub(crate) fn share_vendor(&mut self, mut v: Vendor) -> Vendor {
        let t = &mut self.texts;
        v.id = t.share(v.id);
        t.share_opt(&mut v.number);
        t.share_opt(&mut v.name);
        v
    }

    /// `doc` with its repeated texts shared with those the engine holds (`src/text.rs`), as a
    /// page's are interned while it is read (`FieldReader::interned`), for a document read
    /// elsewhere (a v1 state): its
    /// vendor, currency and each line's account, descriptions and unit. The document's own id
    /// and numbers are its own (unique per document, they would only fill the interner).
    pub(crate) fn share_document(&mut self, mut doc: Document) -> Document {
        let t = &mut self.texts;
        t.share_opt(&mut doc.vendor_id);
        t.share_opt(&mut doc.vendor_number);
        t.share_opt(&mut doc.vendor_name);
        t.share_opt(&mut doc.currency_code);
        for l in doc.lines.iter_mut().flatten() {
            t.share_opt(&mut l.object_number);
            l.description = t.share(std::mem::take(&mut l.description));
            t.share_opt(&mut l.description2);
            t.share_opt(&mut l.unit_of_measure);
        }
        doc
    }

    fn currency_for<'a>(&'a self, company: &str, doc: &'a Document) -> Option<&'a Text> {
        doc.currency_code
            .as_ref()
            .or_else(|| {
                self.companies
                    .get(company)
                    .and_then(|c| c.local_currency.as_ref())
            })
            .or(self.default_currency.as_ref())
    }

    /// Works out which catalog words this data uses generically ([`crate::matching::Vocabulary`]),
    /// from every line of every document held, vendors told apart by company and vendor.
    fn refresh_vocabulary(&mut self) {
        // Vendors are told apart by (company, vendor id, else number, else name, trimmed and
        // lower-cased), numbered here: a document's key is found by its text as written (one
        // look-up), and only a spelling not seen before is lower-cased (upper case copied).
        let this: &Engine = self;
        let mut as_written: FastMap<(&str, &str), u32> = FastMap::default();
        let mut folded: FastMap<(&str, Cow<str>), u32> = FastMap::default();
        let mut keys: Vec<u32> = Vec::with_capacity(this.docs.len());
        for ((company, _, _), d) in &this.docs {
            let vendor = d
                .vendor_id
                .as_deref()
                .or(d.vendor_number.as_deref())
                .or(d.vendor_name.as_deref())
                .unwrap_or("")
                .trim();
            if let Some(&k) = as_written.get(&(company.as_str(), vendor)) {
                keys.push(k);
                continue;
            }
            let lower = if vendor
                .bytes()
                .all(|b| b.is_ascii() && !b.is_ascii_uppercase())
            {
                Cow::Borrowed(vendor)
            } else {
                Cow::Owned(vendor.to_lowercase())
            };
            let next = folded.len() as u32;
            let k = *folded.entry((company.as_str(), lower)).or_insert(next);
            as_written.insert((company.as_str(), vendor), k);
            keys.push(k);
        }
        // Per document: its vendor is looked up once, not once per line.
        let docs = this.docs.iter().zip(keys).map(|(((company, _, _), d), k)| {
            let texts = d.lines.iter().flatten().flat_map(|l| {
                std::iter::once(l.description.as_str()).chain(l.description2.as_deref())
            });
            (k, move || this.vendor_info(company, d), texts)
        });
        let v = this.matcher.vocabulary_of(docs);
        if *self.matcher.vocabulary() != v {
            self.matcher.set_vocabulary(v);
        }
    }

    /// The vendor of `doc` as the matcher sees it: the document's vendor name (else the vendor
    /// card's), and the card's website and e-mail.
    fn vendor_info<'a>(&'a self, company: &str, doc: &'a Document) -> VendorInfo<'a> {
        let cstate = self.companies.get(company);
        let vendor = doc
            .vendor_id
            .as_ref()
            .and_then(|v| cstate.and_then(|c| c.vendors.get(v)));
        let vendor_name = doc
            .vendor_name
            .as_deref()
            .filter(|n| !n.trim().is_empty())
            .or(vendor.and_then(|v| v.name.as_deref()))
            .unwrap_or("");
        VendorInfo {
            name: vendor_name,
            number: doc.vendor_number.as_deref(),
            website: vendor.and_then(|v| v.website.as_deref()),
            email: vendor.and_then(|v| v.email.as_deref()),
        }
    }

    fn build(&self) -> Built {
        let lines = self
            .docs
            .values()
            .map(|d| d.lines.as_ref().map_or(1, Vec::len))
            .sum();
        self.matcher.reserve_decisions(lines);
        self.build_with(&self.matcher)
    }

    /// Builds the transactions with `matcher` in place of the engine's own (rule previews).
    pub(crate) fn build_with(&self, matcher: &Matcher) -> Built {
        self.build_filtered(matcher, None).0
    }

    /// Builds the transactions of the documents `keep` accepts (all when `None`), and returns
    /// the `(companyId, documentId)` of those documents.
    pub(crate) fn build_filtered(
        &self,
        matcher: &Matcher,
        keep: Option<DocumentFilter>,
    ) -> (Built, Vec<(Text, Id)>) {
        let mut kept = Vec::new();
        let mut out = Vec::with_capacity(self.docs.len());
        let mut diags = Vec::new();
        let mut warned_currency: BTreeSet<&str> = BTreeSet::new();
        // Per currency: what the transactions' amounts may still add up to, so that every total
        // made of them (summary, report) is exact; a document beyond it is left out, reported.
        let mut budgets: BTreeMap<&str, MagnitudeBudget> = BTreeMap::new();
        // Per document, reused: its lines as the matcher reads them, and their types.
        let mut infos: Vec<LineInfo> = Vec::new();
        let mut line_types: Vec<LineType> = Vec::new();
        let mut terms_memo = transactions::seats::TermsMemo::default();
        let no_currency = Text::default();
        for ((company, _, _), doc) in &self.docs {
            let cstate = self.companies.get(company.as_str());
            let currency = match self.currency_for(company, doc) {
                Some(c) => c,
                None => {
                    if warned_currency.insert(company) {
                        diags.push(Diagnostic {
                            company_id: Some(company.to_string()),
                            ..Diagnostic::warning(DiagnosticCode::CurrencyUnknown, "documents have no currencyCode and the company's local currency is unknown (read generalLedgerSetup, or set defaultCurrency); their currency is reported as \"\"")
                        });
                    }
                    &no_currency
                }
            };
            if doc.lines.is_none() {
                diags.push(lines_missing(company, doc));
            }
            let overflow = |why: String| Diagnostic {
                company_id: Some(company.to_string()),
                record_id: Some(doc.id.to_string()),
                entity: Some(if doc.kind == DocKind::CreditMemo {
                    "purchaseCreditMemos"
                } else {
                    "purchaseInvoices"
                }),
                ..Diagnostic::error(
                    DiagnosticCode::AmountSumOverflow,
                    format!(
                        "document {} is left out of the transactions: {why}",
                        doc.number.as_deref().unwrap_or(&doc.id.text())
                    ),
                )
            };
            let lines = doc.lines.as_deref().unwrap_or(&[]);
            if !balances_within_range(doc.total_excluding_tax, lines.iter().map(|l| l.net_amount))
                || !balances_within_range(
                    doc.total_including_tax,
                    lines.iter().map(|l| l.net_amount_including_tax),
                )
            {
                diags.push(overflow("its lines and totals add up beyond the largest amount (922,337,203,685,477.5807)".into()));
                continue;
            }
            if let (Some(lines), Some(total)) = (&doc.lines, doc.total_excluding_tax) {
                let sum = lines.iter().fold(Amount::ZERO, |a, l| a + l.net_amount);
                if !lines.is_empty() && sum != total {
                    diags.push(Diagnostic {
                        company_id: Some(company.to_string()),
                        record_id: Some(doc.id.to_string()),
                        entity: Some(if doc.kind == DocKind::CreditMemo { "purchaseCreditMemos" } else { "purchaseInvoices" }),
                        ..Diagnostic::info(DiagnosticCode::LinesTotalMismatch, format!("the lines' netAmount add up to {sum} but the document total is {total}; split transactions allocate the difference over the lines"))
                    });
                }
            }
            let ctx = transactions::DocContext {
                environment: &self.environment,
                company_name: cstate
                    .and_then(|c| c.company.as_ref())
                    .map(|c| c.display_name.as_ref().unwrap_or(&c.name)),
                company_id: company,
                currency,
            };
            let vinfo = self.vendor_info(company, doc);
            let all_lines = doc.lines.as_deref().unwrap_or(&[]);
            infos.clear();
            infos.extend(all_lines.iter().map(|l| LineInfo {
                description: &l.description,
                held_description: Some(&l.description),
                description2: l.description2.as_deref(),
                line_type: l.line_type,
                account_number: if l.line_type == LineType::Account {
                    l.object_number.as_deref()
                } else {
                    None
                },
                amount: l.net_amount.0,
            }));
            if let Some(keep) = keep {
                if !keep(&vinfo, &infos) {
                    continue;
                }
                kept.push((company.clone(), doc.id.clone()));
            }
            let mut m = matcher.match_invoice(&vinfo, &infos);
            line_types.clear();
            line_types.extend(all_lines.iter().map(|l| l.line_type));
            transactions::allocation::apply(self.line_mode, &mut m, &line_types);
            let parts = transactions::parts(self.line_mode, doc, &m);
            // The document's transactions go straight to `out`, taken back if over budget.
            let first = out.len();
            out.reserve(parts.len());
            for (part, decision) in parts {
                let mut tx = transactions::build(doc, &ctx, &part);
                if let Some(d) = decision {
                    tx.match_ = d.matched.clone();
                    tx.match_rejected = if d.matched.is_none() {
                        d.rejected.clone()
                    } else {
                        None
                    };
                    tx.ignored_by_rule = d.ignored_by_rule.clone();
                }
                let terms = transactions::part_terms(doc, &part, &m, decision, &mut terms_memo);
                (tx.seats, tx.unit_price, tx.period, tx.term_months) = (
                    terms.seats,
                    terms.unit_price,
                    terms.period,
                    terms.term_months,
                );
                if let Some(lines) = tx.lines.as_mut() {
                    for (txl, pl) in lines.iter_mut().zip(part.lines.iter()) {
                        txl.match_ = m
                            .lines
                            .get(pl.index)
                            .and_then(|lm| lm.decision.matched.clone());
                    }
                }
                out.push(tx);
            }
            let budget = budgets.entry(currency).or_default();
            if !budget.take(
                out[first..]
                    .iter()
                    .map(|t| (t.amount_excluding_tax, t.amount_including_tax)),
            ) {
                out.truncate(first);
                diags.push(overflow(format!("with it, the {currency:?} totals would pass the largest amount (922,337,203,685,477.5807)")));
                continue;
            }
        }
        let out = sorted_transactions(out);
        (
            Built {
                transactions: out,
                diags,
            },
            kept,
        )
    }

    /// Forgets what was built from the documents and rules held: after either changes.
    pub(crate) fn invalidate(&mut self) {
        self.cache = None;
        self.figures_current = false;
        self.vocabulary_stale = true;
    }

    /// Drops the transactions built (and the diagnostics found building them): after a build
    /// they are most of the engine's memory (~2.5 KB a transaction in wasm), and a host that
    /// has written its outputs needs them no more. The summary's figures and the match
    /// decisions stay; an output asked for afterwards builds the transactions again, equal.
    pub fn release_built(&mut self) {
        self.cache = None;
    }

    fn ensure_vocabulary(&mut self) {
        if self.vocabulary_stale {
            self.refresh_vocabulary();
            self.vocabulary_stale = false;
        }
    }

    fn ensure_built(&mut self) -> &Built {
        if self.cache.is_none() {
            self.ensure_vocabulary();
            self.cache = Some(self.build());
            // Every document was just matched: a verdict no document used is of no more use.
            self.matcher.prune_decisions();
        }
        self.cache.as_ref().expect("built above")
    }

    /// The transactions, matched, in date order.
    pub fn transactions(&mut self) -> &[Transaction] {
        &self.ensure_built().transactions
    }

    /// Users, de-duplicated across companies, ordered by e-mail then name.
    pub fn users(&self) -> (Vec<User>, Vec<Diagnostic>) {
        let mut diags = Vec::new();
        let contact_email_field = self.contact_email_field();
        let mut out: Vec<User> = self
            .users
            .values()
            .map(|(raw, companies)| {
                let mut local = Vec::new();
                let mut u = build_user(
                    raw,
                    companies.iter().next().map_or("", |s| s.as_str()),
                    contact_email_field,
                    &mut local,
                );
                u.company_ids = companies.iter().cloned().collect();
                for mut d in local {
                    d.entity = Some("users");
                    d.record_id = Some(raw.security_id.clone());
                    diags.push(d);
                }
                u
            })
            .collect();
        crate::sort::sort_by(&mut out, |a, b| {
            (a.kind as u8, &a.email, &a.display_name, &a.id).cmp(&(
                b.kind as u8,
                &b.email,
                &b.display_name,
                &b.id,
            ))
        });
        let persons = out.iter().filter(|u| u.kind == UserKind::Person).count();
        if !contact_email_field && persons > 0 {
            let mut d = contact_email_unavailable(persons);
            d.entity = Some("users");
            diags.push(d);
        }
        (out, diags)
    }

    /// Whether the users read carry BC 25.0's `contactEmail` field (no users read: assumed so).
    pub fn contact_email_field(&self) -> bool {
        self.users.is_empty() || contact_email_field_exists(self.users.values().map(|(raw, _)| raw))
    }

    /// Every diagnostic: from reading pages, from building transactions, and about users.
    pub fn diagnostics(&mut self) -> Vec<Diagnostic> {
        let (_, user_diags) = self.users();
        let mut all: Vec<Diagnostic> = self.diags.items().to_vec();
        all.extend(self.ensure_built().diags.iter().cloned());
        all.extend(user_diags);
        all
    }

    pub fn removals(&self) -> &[Removal] {
        &self.removals
    }

    /// The match decisions kept (every distinct line's verdict, with what it depends on), to
    /// store with the state; [`Engine::restore_decisions`] takes them back. See
    /// `src/matching/decisions.rs`.
    pub fn export_decisions(&self) -> crate::matching::DecisionsSnapshot {
        self.matcher.export_decisions()
    }

    /// [`Engine::export_decisions`] with the texts borrowed beside the snapshot (the state's
    /// encoder, `src/state/v2.rs`).
    pub(crate) fn with_exported_decisions<R>(
        &self,
        f: impl FnOnce(crate::matching::DecisionsSnapshot, Vec<&str>) -> R,
    ) -> R {
        self.matcher.with_exported_decisions(f)
    }

    /// Takes back decisions exported by [`Engine::export_decisions`], so that the lines they
    /// decided are not analysed again. What the snapshot was decided with is checked: the
    /// decisions of another build or catalog are dropped, those a rule or vocabulary change
    /// affects are redone; outputs are the same as without the snapshot. A malformed snapshot
    /// is `STATE_INVALID` and changes nothing. Returns how many decisions were kept.
    pub fn restore_decisions(
        &mut self,
        snapshot: &crate::matching::DecisionsSnapshot,
    ) -> Result<usize, ConfigError> {
        self.matcher.restore_decisions(snapshot)
    }

    /// [`Engine::restore_decisions`] with the snapshot's texts lent beside it (the state's
    /// decoder, `src/state/v2.rs`).
    pub(crate) fn restore_decisions_parts(
        &mut self,
        snapshot: &crate::matching::DecisionsSnapshot,
        texts: &[&str],
        shared: &[Text],
    ) -> Result<usize, ConfigError> {
        self.matcher
            .restore_decisions_parts(snapshot, texts, Some(shared))
    }

    /// Line verdicts analysed so far (not read from the decisions kept): for tests and the
    /// benchmark.
    pub fn decisions_computed(&self) -> u64 {
        self.matcher.decisions_computed()
    }

    /// Why `vendor` (and `description`) match an app, or why not, with the vocabulary of the
    /// data the engine holds (see [`crate::matching::Vocabulary`]).
    pub fn explain(&mut self, vendor: &str, description: Option<&str>) -> Decision {
        self.ensure_vocabulary();
        self.matcher.explain(
            &VendorInfo {
                name: vendor,
                number: None,
                website: None,
                email: None,
            },
            description,
        )
    }
}

const COMPANY_NAME_UNRESOLVED: DiagnosticCode = DiagnosticCode::CompanyNameUnresolved;

/// A document held without its lines (no `purchaseInvoiceLines` key: read without `$expand`, or
/// the lines came under another key). It still becomes a transaction, from its header totals:
/// BC marked it Paid, so its money was spent; only its lines, and what they would tell the
/// matcher, are missing. Flagged at build time, so it goes away when the document is read again
/// with its lines.
/// `txs` in the transactions' order: by date, company, invoice number, invoice id and line id,
/// ties kept in the order built (as a stable sort). Sorted as positions and then moved once:
/// sorting the transactions themselves moved each (~400 bytes) ~15 times.
fn sorted_transactions(txs: Vec<Transaction>) -> Vec<Transaction> {
    // The date and the company as numbers in their order (the company as its rank among the
    // few companies): most comparisons end there, without reading a string.
    let mut companies: Vec<&str> = txs.iter().map(|t| t.company_id.as_str()).collect();
    companies.sort_unstable();
    companies.dedup();
    let mut last: Option<(&str, u32)> = None;
    let mut order: Vec<(usize, _)> = txs
        .iter()
        .map(|t| {
            let rank = match last {
                Some((c, r)) if c == t.company_id => r,
                _ => {
                    let r = companies
                        .binary_search(&t.company_id.as_str())
                        .expect("every company listed") as u32;
                    last = Some((&t.company_id, r));
                    r
                }
            };
            let d = t.date;
            let day = (u64::from(d.year as u32 ^ 0x8000_0000) << 16)
                | (u64::from(d.month) << 8)
                | u64::from(d.day);
            (
                (day, rank),
                t.invoice_number.as_deref(),
                // An id orders as its text.
                &t.invoice_id,
                t.line_id.as_ref(),
            )
        })
        .enumerate()
        .collect();
    // The position breaks ties, so an unstable sort gives the stable order.
    order.sort_unstable_by(|(i, a), (j, b)| a.cmp(b).then(i.cmp(j)));
    let from: Vec<usize> = order.into_iter().map(|(i, _)| i).collect();
    let mut txs = txs;
    permute(&mut txs, from);
    txs
}

/// Moves `items[from[k]]` to `k` for every `k` (`from` a permutation), in place, cycle by
/// cycle: each item is swapped into its place once.
fn permute<T>(items: &mut [T], mut from: Vec<usize>) {
    for start in 0..from.len() {
        let mut at = start;
        loop {
            let next = from[at];
            from[at] = at;
            if next == start || next == at {
                break;
            }
            items.swap(at, next);
            at = next;
        }
    }
}

fn lines_missing(company: &str, doc: &Document) -> Diagnostic {
    let (entity, lines_field) = match doc.kind {
        DocKind::Invoice => ("purchaseInvoices", "purchaseInvoiceLines"),
        DocKind::CreditMemo => ("purchaseCreditMemos", "purchaseCreditMemoLines"),
    };
    let amounts = if doc.total_excluding_tax.is_some() || doc.total_including_tax.is_some() {
        "its transaction takes the header totals, and is matched on the vendor alone"
    } else {
        "it has no header totals either, so its transaction's amount reads as 0"
    };
    Diagnostic {
        company_id: Some(company.to_owned()),
        record_id: Some(doc.id.to_string()),
        entity: Some(entity),
        ..Diagnostic::warning(
            DiagnosticCode::DocumentLinesMissing,
            format!("{} came without `{lines_field}` (read without `$expand={lines_field}`, or its lines are under another key); {amounts}. Read it again with its lines.", doc.number.as_deref().unwrap_or(&doc.id.text())),
        )
        .path(lines_field)
    }
}

/// A page body as the engine reads it: UTF-8 text, with what turning the body into text
/// replaced (invalid bytes of a response, lone surrogates of a JS string) as warnings recorded
/// with the page. What [`Engine::add_page`] and [`Engine::stage_page`] take.
pub struct PageText<'a> {
    text: Cow<'a, str>,
    notes: Vec<Diagnostic>,
}

impl<'a> PageText<'a> {
    /// A body as the HTTP response gave it, before decoding (what a host gets from
    /// `Response.arrayBuffer()`: no UTF-16 string on the way in), read as `Response.text()`
    /// would have read it ([`crate::bc::body_text`]); invalid UTF-8, which decoding would have
    /// replaced silently, also gets a `TEXT_INVALID_UTF8` warning.
    pub fn from_bytes(bytes: Vec<u8>) -> PageText<'static> {
        let (text, replaced) = crate::bc::body_text(bytes);
        let notes = if replaced {
            vec![Diagnostic::warning(
                DiagnosticCode::TextInvalidUtf8,
                "the page body is not valid UTF-8; the invalid bytes were replaced by U+FFFD",
            )]
        } else {
            Vec::new()
        };
        PageText {
            text: Cow::Owned(text),
            notes,
        }
    }

    /// Text from a host string whose lone UTF-16 surrogates were replaced by U+FFFD on the way in
    /// (the wasm boundary encodes a JS string this way): the page reports them as it reports the
    /// surrogate escapes it repairs itself.
    pub fn with_lone_surrogates_replaced(
        text: impl Into<Cow<'a, str>>,
        replaced: bool,
    ) -> PageText<'a> {
        PageText {
            text: text.into(),
            notes: if replaced {
                vec![lone_surrogates()]
            } else {
                Vec::new()
            },
        }
    }
}

impl<'a> From<&'a str> for PageText<'a> {
    fn from(text: &'a str) -> Self {
        PageText {
            text: Cow::Borrowed(text),
            notes: Vec::new(),
        }
    }
}

impl From<String> for PageText<'static> {
    fn from(text: String) -> Self {
        PageText {
            text: Cow::Owned(text),
            notes: Vec::new(),
        }
    }
}

/// The one diagnostic for lone UTF-16 surrogates, wherever they were found: escaped in the
/// page's JSON (`"\ud800"`) or held raw in a host's string.
fn lone_surrogates() -> Diagnostic {
    Diagnostic::warning(
        DiagnosticCode::TextLoneSurrogate,
        "the page text held lone UTF-16 surrogates (half of a character, not valid Unicode); they were replaced by U+FFFD",
    )
}

/// Takes a record's id as it was written, before the record is consumed, for diagnostics.
pub trait IdPeek {
    fn peek_id(&mut self) -> Option<String>;
}
impl<T> IdPeek for records::Read<T> {
    fn peek_id(&mut self) -> Option<String> {
        self.raw_id.take()
    }
}

#[cfg(test)]
mod tests {
    use super::permute;

    #[test]
    fn permute_moves_each_item_to_its_place() {
        // Every permutation of 5 items (cycles of every length, fixed points), and a long one.
        fn check(from: Vec<usize>) {
            let items: Vec<String> = (0..from.len()).map(|i| format!("t{i}")).collect();
            let want: Vec<String> = from.iter().map(|&i| items[i].clone()).collect();
            let mut got = items;
            permute(&mut got, from.clone());
            assert_eq!(got, want, "{from:?}");
        }
        fn all(prefix: &mut Vec<usize>, n: usize) {
            if prefix.len() == n {
                return check(prefix.clone());
            }
            for i in 0..n {
                if !prefix.contains(&i) {
                    prefix.push(i);
                    all(prefix, n);
                    prefix.pop();
                }
            }
        }
        for n in 0..=5 {
            all(&mut Vec::new(), n);
        }
        check((0..1000).map(|i| (i * 7 + 3) % 1000).collect());
    }
}

//! Matching: which SaaS app an invoice, or one of its lines, pays for, and why.
//!
//! # Purpose
//! A [`Matcher`] attributes Business Central purchase invoice lines to apps of the
//! [`Catalog`], following an order of authority:
//! 1. the customer's rules ([`RuleSpec`]: match-to and ignore, by priority);
//! 2. the vendor's identity: its normalized legal name, and the domain of its website and e-mail;
//! 3. the line descriptions, which decide for resellers and marketplaces and for vendors that
//!    sell several apps (Microsoft, Google, Atlassian ...).
//!
//! Every [`Decision`] explains itself: what decided, the evidence (with UTF-16 offsets into the
//! original text, for highlighting), a confidence for display, the runner-up, and for unmatched
//! text the best rejected candidate with a reason.
//!
//! # Example
//! ```
//! use bc_spend::catalog::Catalog;
//! use bc_spend::matching::{Matcher, VendorInfo};
//! let m = Matcher::new(Catalog::builtin(), &[]).unwrap();
//! let d = m.explain(&VendorInfo::named("Zoom Dental Clinic"), Some("Dental checkup"));
//! assert!(d.matched.is_none());
//! ```
//!
//! # How text is read
//! Text is tokenized ([`normalize`]): case, diacritics and punctuation are folded, URLs and
//! e-mail addresses become domains, numbers, dates, amounts and references become noise, and
//! legal forms (Inc, GmbH, Pty Ltd, Sp. z o.o. ...) and country qualifiers are dropped from
//! vendor names. One trie over the words of all catalog aliases finds every alias in a text in
//! one pass over its tokens, so the cost per line does not grow with the catalog. For the shipped
//! catalog the trie and the word tables are compiled by `build.rs` ([`compiled`]).
//!
//! A brand that is an ordinary word (Slack, Zoom, Box, Monday, Notion, Apple, Oracle ...) or that
//! is shared between apps is weak evidence: it decides only when every other word of the text is
//! explained (by the app's own names, by subscription words like "licence" or "Pro", or by
//! numbers, dates and legal forms). So "Zoom Communications, Inc." is Zoom and "Zoom Dental
//! Clinic" is not. Typos of distinctive brand tokens are repaired when exactly one brand is one
//! edit away ("Atlasian", "Hubspt"); words written apart are joined ("Pager Duty"). A word spelled
//! the same way in the vendor's name and on its line is not a typo but the vendor's own name
//! ("Pleon GmbH" billing "Pleon Jahresabo" is not Pleo): the vendor is then one the catalog does
//! not know.
//!
//! A vendor the catalog does not know that begins a line with its own name names its own product
//! after it: in "Acme Hive subscription" from "Acme ApS", "Hive" is Acme's product, not the
//! catalog's Hive. The line begins with the vendor's name when it begins with at least one
//! distinctive word of it (not an ordinary word), with two of its words, or with an ordinary
//! word that is all of the name but words like "Systems" or "Labs" ("Orbital" of "Orbital
//! Systems B.V."); the app named right
//! after the name is set aside, unless it is a product name of several words ("Acme Microsoft
//! 365 Business Premium": a local partner reselling it). A brand inside the vendor's own name is
//! not affected ("Hive Technology Inc" billing "Hive Teams plan").
//!
//! Spend that is not software stays unmatched: cue phrases of `data/lexicon.txt` (hardware,
//! travel, rent, exam vouchers ... always; professional services, and the like marked soft, only
//! on a line with no subscription word from a vendor that is not an app). The name of a vendor the
//! catalog does not know counts too when it is a firm of a profession ("Kanzlei Weber
//! Steuerberatung", "Cabinet Martin Expert-Comptable") billing a line that names the software it
//! works in; not a consultancy's ("Müller IT-Beratung" often resells licences).
//!
//! The customer's own data weighs in too ([`Vocabulary`]): a catalog word that the lines of many
//! vendors unknown to the catalog use ("Monday delivery") no longer identifies an app on its own.
//!
//! # Decisions kept
//! A line's verdict depends on its key (vendor name, website and e-mail; description texts;
//! account; comment or charge) and on the catalog, the rules and the vocabulary only, so each
//! distinct key is analysed once per matcher and its verdict kept with the rule that decided it
//! and the words whose genericness it looked up; [`Matcher::match_invoice`] combines the kept
//! verdicts per invoice. A rule change ([`Matcher::adopt_decisions`]) or a vocabulary change
//! ([`Matcher::set_vocabulary`]) redoes exactly the verdicts it can affect, and the table goes
//! to and from the state as a [`DecisionsSnapshot`] (`decisions.rs`).
//!
//! # Untrusted input
//! Nothing here panics on any text, and a [`DecisionsSnapshot`] read back is checked index by
//! index. Rule regexes are compiled once, with size limits.

pub mod normalize;

mod catalog_check;
#[doc(hidden)]
pub mod compiled;
mod decisions;
mod index;
pub(crate) mod lexicon;
mod rules;

// `compiled.rs` names the catalog format `super::schema`, as `build.rs` (which includes it) does.
use crate::catalog as schema;
// And the shipped catalog's encoding `crate::catalog::compact`, which its index follows.
use crate::catalog::compact;

pub use decisions::{
    DecisionsSnapshot, SnapCandidate, SnapEvidence, SnapLine, SnapMatch, SnapRejected, SnapVendor,
};
pub use rules::{parse_rules, Condition, ConditionOp, RuleAction, RuleSpec, MAX_PATTERN_LEN};

pub(crate) use lexicon::lexicon;

use crate::bc::LineType;
use crate::catalog::Catalog;
use crate::error::ConfigError;
use crate::fastmap::{FastMap, FastSet};
use index::{Analysis, Class, Index, OwnerKind};
use normalize::TokenKind;
use rules::RuleSet;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::Arc;

/// The vendor of an invoice, as the vendor card and invoice give it.
#[derive(Debug, Clone, Copy, Default)]
pub struct VendorInfo<'a> {
    pub name: &'a str,
    pub number: Option<&'a str>,
    pub website: Option<&'a str>,
    pub email: Option<&'a str>,
}

impl<'a> VendorInfo<'a> {
    pub fn named(name: &'a str) -> VendorInfo<'a> {
        VendorInfo {
            name,
            ..Default::default()
        }
    }
}

/// One invoice line.
#[derive(Debug, Clone, Copy)]
pub struct LineInfo<'a> {
    pub description: &'a str,
    /// `description` as the engine holds it, when it does: the table of decisions keeps this
    /// text (one more reference) instead of a copy of it.
    pub held_description: Option<&'a crate::text::Text>,
    pub description2: Option<&'a str>,
    pub line_type: LineType,
    pub account_number: Option<&'a str>,
    /// Excluding tax, in ten-thousandths of the currency unit; weighs the line in the invoice's
    /// vote.
    pub amount: i64,
}

impl<'a> LineInfo<'a> {
    pub fn item(description: &'a str, amount: i64) -> LineInfo<'a> {
        LineInfo {
            description,
            held_description: None,
            description2: None,
            line_type: LineType::Item,
            account_number: None,
            amount,
        }
    }
}

/// What a line is for. Freight, tax, comment and adjustment ("other") lines stay with the
/// invoice's main app when an invoice is split per app.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum LineRole {
    Product,
    Freight,
    Tax,
    Comment,
    Other,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InvoiceMatch {
    /// The invoice's app: the one its product lines agree on (weighted by amount), else the
    /// vendor's, else unmatched with the candidates listed.
    pub invoice: Decision,
    /// One per input line, in input order.
    pub lines: Vec<LineMatch>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LineMatch {
    pub decision: Decision,
    pub role: LineRole,
}

/// The outcome for an invoice or a line: matched, ignored by a rule, or neither (then
/// `rejected` says what came closest and why it was not taken).
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Decision {
    /// Shared: a transaction and its lines carry the decision's match without copying it.
    #[serde(rename = "match")]
    pub matched: Option<Arc<Match>>,
    pub ignored_by_rule: Option<String>,
    /// Shared as the match is: a transaction carries its decision's rejection without copying it.
    pub rejected: Option<Arc<Rejected>>,
}

/// What decided a match.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum DecidedBy {
    /// A customer rule (`ruleId` says which).
    Rule,
    /// The vendor's name is a billing entity or brand of the app.
    VendorName,
    /// The vendor card's website or e-mail domain belongs to the app.
    VendorDomain,
    /// The line description names the app.
    Description,
    /// The vendor sells several apps and this one is its default.
    VendorDefault,
    /// The invoice's lines agree on the app (invoice level only).
    Lines,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Match {
    pub app_id: String,
    pub app_name: String,
    pub category: String,
    pub decided_by: DecidedBy,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule_id: Option<String>,
    pub evidence: Vec<Evidence>,
    /// For display only: how sure the matcher is, in [0, 1].
    pub confidence: f64,
    pub runner_up: Option<Candidate>,
    /// The reseller, marketplace or vendor group the app was bought through, when not direct.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub via: Option<Via>,
}

/// A piece of text that supports a decision.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Evidence {
    /// "vendor", "website", "email", "description", "description2" or "account".
    pub field: &'static str,
    /// The matched text, as written.
    pub text: String,
    /// UTF-16 code-unit offsets into the original field text (JavaScript string indices).
    pub start: usize,
    pub end: usize,
    /// What it matched: "vendorEntity", "name", "keyword", "product", "domain" or "rule".
    pub kind: &'static str,
    /// The catalog alias it matched, normalized, when it differs from the text (typos).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alias: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Candidate {
    pub app_id: String,
    pub app_name: String,
    pub confidence: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Via {
    pub id: String,
    pub name: String,
    /// "reseller", "marketplace" or "vendorGroup".
    pub kind: String,
}

/// Why nothing was matched.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Rejected {
    /// The closest app, when there was one.
    pub app_id: Option<String>,
    pub app_name: Option<String>,
    pub confidence: f64,
    /// One sentence for a reader.
    pub reason: String,
    /// Apps the invoice could be, when its lines disagree or a multi-app vendor is not decided.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub candidates: Vec<Candidate>,
    /// Set when the line reads as something other than software, with the kind of spend:
    /// `hardware`, `travel`, `rent`, `telecom`, `shipping`, `services`, `advertising`,
    /// `office`, `meals`, `facilities` or `health` (from the lexicon).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_software: Option<String>,
}

/// Everything compiled once: the catalog index, the rules.
pub struct Matcher {
    catalog: Catalog,
    /// Shared: the shipped catalog's index is built once per process.
    index: std::sync::Arc<Index>,
    rules: RuleSet,
    /// Vendor identities already worked out: a vendor's invoices recur every month.
    vendor_cache: std::sync::Mutex<FastMap<VendorKey, VendorVerdict>>,
    /// Analyses of line texts already read: the same products are billed month after month, so
    /// descriptions repeat (46% of the lines of the benchmark's synthetic set). An analysis
    /// depends on the text and the index only.
    analysis_cache: std::sync::Mutex<AnalysisCache>,
    /// What the customer's own data says about the catalog's ordinary words (see [`Vocabulary`]).
    vocabulary: Vocabulary,
    /// Every line verdict decided so far, with what it depends on (`decisions.rs`).
    decisions: std::sync::Mutex<decisions::Table>,
    /// A hash of the compiled catalog: the shipped index's bytes, else the caller's catalog data.
    catalog_version: u64,
    /// Each rule's canonical hash, in rule-set order.
    rule_hashes: Vec<u64>,
}

/// The fewest vendors whose lines must use an ordinary word before it counts as generic in a
/// customer's data; with many vendors, one in [`VOCABULARY_VENDOR_SHARE`] of them.
pub const VOCABULARY_MIN_VENDORS: usize = 5;
pub const VOCABULARY_VENDOR_SHARE: usize = 20;

/// Token weights from the customer's own data. A catalog word ("Monday", "Box", "Notion", or
/// any other word of an app's names that is not subscription vocabulary) that the line
/// descriptions of many different vendors unknown to the catalog use is a word of this business
/// ("Monday delivery", "archive box"), not a brand: the cleaning company, the courier and the
/// stationer do not resell monday.com. In this data such a word no longer identifies an app in a
/// description on its own: a candidate resting only on such words is rejected, with the vendor
/// count in the reason. The vendor's identity still corroborates ("monday.com Ltd." billing
/// "Monday plan"), resellers and the app's own vendor are not counted, a phrase with another
/// word ("Box Business Plus" needs "business" and "plus" generic too) or a number is unaffected,
/// and rules still decide: the vocabulary can only take matches away, never add one. The engine
/// works it out from every document it holds before matching, so a full build, a rule preview
/// and `explain` see the same one.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Vocabulary {
    /// Word id -> how many distinct vendors' lines use it (only words at or over the threshold).
    common: FastMap<u32, u32>,
    vendors: u32,
    threshold: u32,
}

impl Vocabulary {
    /// Distinct vendors counted, and how many of them must use a word for it to be generic.
    pub fn vendors(&self) -> (u32, u32) {
        (self.vendors, self.threshold)
    }

    /// The generic words with their vendor counts, most used first (for explanations and tests).
    pub fn generic_words<'a>(&'a self, m: &'a Matcher) -> Vec<(&'a str, u32)> {
        let mut v: Vec<(&str, u32)> = self
            .common
            .iter()
            .map(|(&w, &n)| (m.index.word(w), n))
            .collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        v
    }
}

/// A vendor's identity as worked out, or why it has none.
type VendorVerdict = (
    Option<Ident>,
    Option<Rejected>,
    Arc<[String]>,
    Arc<[String]>,
    Option<(String, String)>,
);
type VendorKey = (String, Option<String>, Option<String>);
/// Entries kept before the vendor cache starts over.
const VENDOR_CACHE_MAX: usize = 20_000;
/// Line texts whose analyses are kept per generation (two generations). Since the decisions
/// are kept per key, a text is analysed again only under another key (another vendor, another
/// second description): 16,384 a generation held ~17 MB more at 50,000 bench invoices
/// (`examples/build_mem.rs`, natively) for no measurable time (783-936 ms a first build either
/// way); 2,048 holds ~3 MB.
const ANALYSIS_CACHE_GENERATION: usize = 2_048;

/// Analyses by text in two generations: when the newer is full it becomes the older and the
/// oldest is dropped; a text found in the older moves to the newer. Texts that recur (the
/// same product every month) stay; one-off texts age out.
#[derive(Default)]
struct AnalysisCache {
    new: FastMap<String, std::sync::Arc<Analysis>>,
    old: FastMap<String, std::sync::Arc<Analysis>>,
}

impl AnalysisCache {
    fn get(&mut self, text: &str) -> Option<std::sync::Arc<Analysis>> {
        if let Some(a) = self.new.get(text) {
            return Some(a.clone());
        }
        let (k, a) = self.old.remove_entry(text)?;
        self.insert(k, a.clone());
        Some(a)
    }

    fn insert(&mut self, text: String, a: std::sync::Arc<Analysis>) {
        if self.new.len() >= ANALYSIS_CACHE_GENERATION {
            self.old = std::mem::take(&mut self.new);
        }
        self.new.insert(text, a);
    }

    fn clear(&mut self) {
        self.new.clear();
        self.old.clear();
    }
}

impl std::fmt::Debug for Matcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Matcher")
            .field("apps", &self.catalog.len())
            .field("rules", &self.rules.rules.len())
            .finish()
    }
}

/// Cue phrases found on a line.
#[derive(Default)]
struct LineCues {
    /// (category, matched text) of the first hard non-SaaS cue.
    hard: Option<(String, String)>,
    soft: Option<(String, String)>,
    /// Money loaded onto cards or wallets, or paid out through a platform ("card top-up").
    funds: Option<(String, String)>,
    freight: bool,
    tax: bool,
    adjustment: bool,
}

/// Words that mark a name as what the product works with, not as the product ("Backup for
/// Microsoft 365", "billed via Azure").
const OBJECT_MARKERS: &[&str] = &[
    "for",
    "with",
    "to",
    "into",
    "via",
    "from",
    "integration",
    "connector",
    "plugin",
    "through",
    "fur",
    "pour",
    "para",
    "voor",
];
/// Words after a name that make it a sales channel ("AWS Marketplace", "Google Cloud Marketplace").
const CHANNEL_MARKERS: &[&str] = &["marketplace", "appsource", "store"];
/// Words that say "this is a software subscription" strongly enough to let a multi-app vendor's
/// default app stand, and to overrule soft non-SaaS cues.
const SIGNAL_PREFIXES: &[&str] = &[
    "subscri",
    "subscr",
    "licen",
    "lizenz",
    "abo",
    "seat",
    "user",
    "nutzer",
    "gebruiker",
    "usuario",
    "utilisateur",
    "bruker",
    "plan",
    "renew",
    "saas",
    "software",
    "cloud",
    "api",
    "usage",
    "consumption",
    "verbrauch",
    "nutzung",
    "credits",
    // Metered software is sold in tokens (AI models, Autodesk Flex).
    "token",
    "workspace",
    "tenant",
    "member",
    "agent",
    "editor",
    "creator",
    "host",
    "edition",
    "tier",
    "csp",
    "nce",
    "payg",
    "overage",
    "suscrip",
    "mitarbeiter",
    "employees",
    "devices",
    "endpoints",
    "contacts",
];

fn is_signal(t: &str) -> bool {
    // The first byte filters most prefixes without a call to `memcmp` (this runs per token).
    let t = t.as_bytes();
    let Some(&first) = t.first() else {
        return false;
    };
    SIGNAL_PREFIXES
        .iter()
        .any(|p| p.as_bytes()[0] == first && t.starts_with(p.as_bytes()))
}

/// A candidate owner within one analysed text.
#[derive(Debug, Clone)]
struct Cand {
    owner: u32,
    /// Indices into the analysis' hits.
    hits: Vec<usize>,
    strong: bool,
    first: usize,
    span: usize,
    unexplained: Vec<usize>,
    /// Named as the object of another product ("for Salesforce").
    object: bool,
    /// Named as a sales channel ("AWS Marketplace").
    channel: bool,
    /// A weak brand right next to a subscription word ("Zoom Pro", "Slack licence").
    beside_context: bool,
    /// Produced by the producer marker "by X".
    by_marked: bool,
    /// Named inside parentheses while an app is named outside them: a qualifier of the name
    /// before it ("Looker (Google Cloud core)"), set per line.
    in_parens: bool,
    /// Rejected because its words are generic in the customer's data: how many vendors use them.
    generic_vendors: u32,
}

/// The vendor, understood once per invoice.
struct VendorCtx<'a> {
    vendor: VendorInfo<'a>,
    ident: Option<Ident>,
    rejected: Option<Rejected>,
    /// The words of the vendor's name (legal form dropped), for reading lines that begin with
    /// it.
    own_name: Arc<[String]>,
    /// The words of the vendor's name that were read as typos of a catalog word ("Pleon" as
    /// "Pleo"), as written.
    corrected: Arc<[String]>,
    /// A soft non-SaaS cue in the name of a vendor the catalog does not know: the firm of a
    /// profession ("Kanzlei Weber Steuerberatung", "Cabinet Martin Expert-Comptable").
    soft_cue: Option<(String, String)>,
}

#[derive(Clone)]
struct Ident {
    owner: u32,
    decided_by: DecidedBy,
    evidence: Vec<Evidence>,
    confidence: f64,
}

/// A line, analysed.
struct LineEval {
    decision: Decision,
    role: LineRole,
}

impl Matcher {
    /// Compiles the catalog and validates and compiles `rules`.
    pub fn new(catalog: Catalog, rules: &[RuleSpec]) -> Result<Matcher, ConfigError> {
        let rules = RuleSet::compile(rules, &catalog)?;
        use std::sync::{Arc, OnceLock};
        static BUILTIN_INDEX: OnceLock<Arc<Index>> = OnceLock::new();
        // The index depends on the catalog only. The shipped catalog's was compiled by build.rs
        // and is decoded once per process; a caller's catalog is compiled here.
        let index = if catalog.is_builtin() {
            BUILTIN_INDEX
                .get_or_init(|| {
                    Arc::new(
                        Index::builtin(crate::catalog::BUILTIN_BYTES)
                            .expect("build.rs wrote a valid index"),
                    )
                })
                .clone()
        } else {
            Arc::new(Index::from_data(compiled::IndexData::build(
                catalog.data(),
                lexicon(),
                &lexicon::is_common_word,
            )))
        };
        // The shipped catalog is part of the build: its data files are among the sources
        // `BUILD_ID` digests, and a snapshot of another build is never reused, so its version
        // is a constant (hashing the ~400 KB blob cost every first engine ~1-2 ms in wasm). A
        // caller's catalog is hashed.
        let catalog_version = if catalog.is_builtin() {
            decisions::stable_hash(&[b"builtin"])
        } else {
            let data = serde_json::to_vec(catalog.data()).unwrap_or_default();
            decisions::stable_hash(&[b"caller", &data])
        };
        let rule_hashes = rules.hashes();
        Ok(Matcher {
            catalog,
            index,
            rules,
            vendor_cache: Default::default(),
            analysis_cache: Default::default(),
            vocabulary: Vocabulary::default(),
            decisions: Default::default(),
            catalog_version,
            rule_hashes,
        })
    }

    /// The [`Vocabulary`] of a customer's data: `docs` yields (vendor key, vendor, descriptions)
    /// for every document, its descriptions being every text of its lines; the key tells
    /// vendors apart (the engine uses company and vendor), and the vendor (asked for only then)
    /// of a key's first document is the one read. Only vendors the catalog does not recognise
    /// count: a reseller or the app's own vendor writing the app's name is the name used as a
    /// name.
    pub fn vocabulary_of<
        'a,
        K: std::hash::Hash + Eq,
        V: FnOnce() -> VendorInfo<'a>,
        T: IntoIterator<Item = &'a str>,
    >(
        &self,
        docs: impl IntoIterator<Item = (K, V, T)>,
    ) -> Vocabulary {
        use compiled::{W_CONTEXT, W_STOP, W_VOCAB};
        // Vendor key -> its number, or None when the catalog recognises the vendor.
        let mut vendors: FastMap<K, Option<u32>> = Default::default();
        let mut unknown = 0u32;
        let mut pairs: FastSet<(u32, u32)> = Default::default();
        // A vendor's lines repeat month after month: each (vendor, text) is read once.
        let mut seen: FastSet<(u32, &str)> = Default::default();
        for (key, vendor, texts) in docs {
            let v = match vendors.get(&key) {
                Some(v) => *v,
                None => {
                    let v = if self.vendor_facts(&vendor()).known {
                        None
                    } else {
                        unknown += 1;
                        Some(unknown - 1)
                    };
                    vendors.insert(key, v);
                    v
                }
            };
            let Some(v) = v else { continue };
            for text in texts {
                if !seen.insert((v, text)) {
                    continue;
                }
                normalize::for_each_word(text, |w| {
                    let wid = self.index.word_id(w);
                    let f = self.index.flags(wid);
                    if f & W_VOCAB != 0 && f & (W_STOP | W_CONTEXT) == 0 {
                        pairs.insert((wid, v));
                    }
                });
            }
        }
        let threshold =
            VOCABULARY_MIN_VENDORS.max((unknown as usize).div_ceil(VOCABULARY_VENDOR_SHARE)) as u32;
        let mut counts: FastMap<u32, u32> = Default::default();
        for (w, _) in pairs {
            *counts.entry(w).or_default() += 1;
        }
        counts.retain(|_, c| *c >= threshold);
        Vocabulary {
            common: counts,
            vendors: unknown,
            threshold,
        }
    }

    /// Uses `v` from now on (decisions only change for lines; vendor identities do not use it).
    /// The kept verdicts that consulted a word whose genericness changed are redone.
    pub fn set_vocabulary(&mut self, v: Vocabulary) {
        if let Ok(t) = self.decisions.get_mut() {
            t.reconcile_vocabulary(&v.common);
        }
        self.vocabulary = v;
    }

    pub fn vocabulary(&self) -> &Vocabulary {
        &self.vocabulary
    }

    /// Takes over `old`'s decisions and vocabulary (a matcher replaced by one with other rules):
    /// all of them when the catalog is the same, less those the rule change can affect (see
    /// `decisions.rs`); none when the catalog differs.
    pub fn adopt_decisions(&mut self, old: &Matcher) {
        if old.catalog_version != self.catalog_version {
            return;
        }
        let Ok(mut table) = old.decisions.lock().map(|mut t| std::mem::take(&mut *t)) else {
            return;
        };
        table.reconcile_rules(&old.rule_hashes, &self.rule_hashes, &|at, v, d, d2, a| {
            self.rules.fires(at, v, d, d2, a)
        });
        self.vocabulary = old.vocabulary.clone();
        if let Ok(t) = self.decisions.get_mut() {
            *t = table;
        }
    }

    /// Takes `other`'s kept verdicts for keys this matcher has none for (`other` is the matcher
    /// of another company's state merged into this engine, `Engine::from_states`), as far as
    /// they hold here (see `decisions::Table::absorb`); none when the catalog or the rules
    /// differ (both come from one `EngineOptions`, so they do not).
    pub(crate) fn absorb_decisions(&self, other: &Matcher) {
        if other.catalog_version != self.catalog_version || other.rule_hashes != self.rule_hashes {
            return;
        }
        let Ok(theirs) = other.decisions.lock().map(|mut t| std::mem::take(&mut *t)) else {
            return;
        };
        if let Ok(mut mine) = self.decisions.lock() {
            mine.absorb(theirs);
        }
    }

    /// Line verdicts analysed (not read from the decisions kept) over this matcher's life and
    /// the matchers it adopted decisions from.
    pub fn decisions_computed(&self) -> u64 {
        self.decisions.lock().map_or(0, |t| t.computed)
    }

    /// Line verdicts kept.
    pub fn decisions_kept(&self) -> usize {
        self.decisions.lock().map_or(0, |t| t.len())
    }

    /// Makes room for the verdicts of `lines` lines (a build about to match them).
    pub fn reserve_decisions(&self, lines: usize) {
        if let Ok(mut t) = self.decisions.lock() {
            t.reserve(lines);
        }
    }

    /// Forgets the verdicts not used since the last call (the engine calls it after building
    /// every transaction: what no document uses is of no further use).
    pub fn prune_decisions(&self) {
        if let Ok(mut t) = self.decisions.lock() {
            t.prune();
        }
    }

    /// The decisions kept, as data to store with the state.
    /// A digest of what [`Matcher::export_decisions`] gives, without exporting (the state
    /// key's share of the decisions).
    pub(crate) fn decisions_digest(&self) -> (u64, u64) {
        match self.decisions.lock() {
            Ok(t) => t.digest(self.catalog_version, &self.rule_hashes),
            Err(_) => (0, 0),
        }
    }

    pub fn export_decisions(&self) -> DecisionsSnapshot {
        match self.decisions.lock() {
            Ok(t) => t.export(self.catalog_version, &self.rule_hashes, &|w| {
                self.index.word(w)
            }),
            Err(_) => DecisionsSnapshot::default(),
        }
    }

    /// [`Matcher::export_decisions`] with the snapshot's texts borrowed beside it (its `texts`
    /// empty), given to `f` while the decisions are locked: the state interns them into its
    /// own string table without copying each first.
    pub(crate) fn with_exported_decisions<R>(
        &self,
        f: impl FnOnce(DecisionsSnapshot, Vec<&str>) -> R,
    ) -> R {
        match self.decisions.lock() {
            Ok(t) => {
                let (snapshot, texts) =
                    t.export_parts(self.catalog_version, &self.rule_hashes, &|w| {
                        self.index.word(w)
                    });
                f(snapshot, texts)
            }
            Err(_) => f(DecisionsSnapshot::default(), Vec::new()),
        }
    }

    /// Replaces the decisions kept with a snapshot's, as far as its fingerprints allow: none of
    /// them for another build or catalog, and less those a rule change affects; the vocabulary
    /// is reconciled at the next match. A snapshot with a handle out of range, or otherwise
    /// malformed, is `STATE_INVALID` and changes nothing. Returns how many verdicts are kept.
    pub fn restore_decisions(&self, snap: &DecisionsSnapshot) -> Result<usize, ConfigError> {
        let texts: Vec<&str> = snap.texts.iter().map(String::as_str).collect();
        self.restore_decisions_parts(snap, &texts, None)
    }

    /// [`Matcher::restore_decisions`] of a snapshot whose texts are lent beside it
    /// (`snap.texts` is not read): the state's string table, `src/state/v2.rs`.
    pub(crate) fn restore_decisions_parts(
        &self,
        snap: &DecisionsSnapshot,
        texts: &[&str],
        shared: Option<&[crate::text::Text]>,
    ) -> Result<usize, ConfigError> {
        let Some((mut table, rules)) =
            decisions::Table::import_parts(snap, texts, shared, self.catalog_version, &|w| {
                let id = self.index.word_id(w);
                (id != index::NO_WORD).then_some(id)
            })?
        else {
            return Ok(0);
        };
        table.reconcile_rules(&rules, &self.rule_hashes, &|at, v, d, d2, a| {
            self.rules.fires(at, v, d, d2, a)
        });
        let kept = table.len();
        if let Ok(mut t) = self.decisions.lock() {
            table.computed = t.computed;
            *t = table;
        }
        Ok(kept)
    }

    /// When every word of every hit of `c` is generic in the customer's data: the fewest
    /// vendors among those words (else 0).
    /// Every word looked up is recorded in `deps`: were it generic (or not), the answer would
    /// differ.
    fn generic_in_data(&self, an: &Analysis, c: &Cand, deps: &mut decisions::Deps) -> u32 {
        let mut fewest = u32::MAX;
        for &h in &c.hits {
            let h = &an.hits[h];
            for t in &an.toks[h.first..=h.last] {
                if t.wid != index::NO_WORD && !deps.words.contains(&t.wid) {
                    deps.words.push(t.wid);
                }
                match self.vocabulary.common.get(&t.wid) {
                    Some(&n) => fewest = fewest.min(n),
                    None => return 0,
                }
            }
        }
        if fewest == u32::MAX {
            0
        } else {
            fewest
        }
    }

    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// Whether any customer rule fires on this invoice (on any line, or on the vendor alone
    /// for an invoice without lines). Rules are consulted nowhere else, so an invoice on which
    /// no rule of two matchers fires is decided identically by both: rule previews use this to
    /// re-match only the invoices a rule change can affect.
    pub fn rules_fire_on(&self, vendor: &VendorInfo, lines: &[LineInfo]) -> bool {
        if self.rules.rules.is_empty() {
            return false;
        }
        if lines.is_empty() {
            return self
                .rules
                .first(vendor.name, Some(""), None, None)
                .is_some();
        }
        lines.iter().any(|l| {
            self.rules
                .first(
                    vendor.name,
                    Some(l.description),
                    l.description2,
                    l.account_number,
                )
                .is_some()
        })
    }

    /// Decides an invoice and each of its lines.
    /// Each line's verdict is read from the decisions kept (`decisions.rs`) when its key was
    /// decided before; only the combination into the invoice's decision runs per invoice.
    pub fn match_invoice(&self, vendor: &VendorInfo, lines: &[LineInfo]) -> InvoiceMatch {
        // An invoice without lines is decided by its vendor alone: as one empty line.
        let empty = [LineInfo::item("", 0)];
        let decided = if lines.is_empty() { &empty[..] } else { lines };
        let (mut evals, facts) = self.line_verdicts(vendor, decided);
        let invoice = self.invoice_decision(&facts.rejected, decided, &evals);
        if lines.is_empty() {
            evals.clear();
        }
        // What a line that follows the invoice gets, worked out once per invoice (it copies the
        // invoice's match), tidied; each such line takes a clone, sharing that match.
        let mut inherited: Option<Decision> = None;
        let lines = evals
            .into_iter()
            .map(|e| {
                let keep_own = e.role == LineRole::Product
                    || e.decision.ignored_by_rule.is_some()
                    || e.decision
                        .matched
                        .as_ref()
                        .map(|m| m.decided_by == DecidedBy::Rule)
                        .unwrap_or(false);
                let decision = if keep_own || !follows_invoice(&invoice) {
                    let mut d = e.decision;
                    tidy(&mut d);
                    d
                } else {
                    inherited
                        .get_or_insert_with(|| {
                            let mut d = inherit(&invoice, e.decision);
                            tidy(&mut d);
                            d
                        })
                        .clone()
                };
                LineMatch {
                    decision,
                    role: e.role,
                }
            })
            .collect();
        let mut invoice = invoice;
        tidy(&mut invoice);
        InvoiceMatch { invoice, lines }
    }

    /// The decision for one vendor and (optionally) one line description, as `match_invoice`
    /// would make it for a one-line invoice.
    pub fn explain(&self, vendor: &VendorInfo, description: Option<&str>) -> Decision {
        let line = LineInfo::item(description.unwrap_or(""), 0);
        let m = self.match_invoice(vendor, &[line]);
        m.invoice
    }

    /// Tokens, classes and alias hits of `text`, for debugging the catalog.
    #[doc(hidden)]
    pub fn debug_analysis(&self, text: &str, vendor: bool) -> String {
        let an = self.index.analyse(text, vendor);
        let mut s = String::new();
        for t in &an.toks {
            s.push_str(&format!(
                "tok {:?} {:?} {:?} corrected={:?} merged={}\n",
                t.norm, t.kind, t.class, t.corrected_from, t.merged
            ));
        }
        for h in &an.hits {
            let (kind, strong) = self.index.alias_info(h);
            let alias = if h.alias == u32::MAX {
                "<domain>".to_string()
            } else {
                self.index.alias_text(h.alias)
            };
            s.push_str(&format!(
                "hit {} [{}..={}] {:?} strong={} alias={:?} suppressed={}\n",
                self.index.owners[h.owner as usize].name,
                h.first,
                h.last,
                kind,
                strong,
                alias,
                h.suppressed
            ));
        }
        for c in self.candidates(&an, vendor, None) {
            s.push_str(&format!(
                "cand {} strong={} unexplained={:?} object={} channel={} beside={}\n",
                self.index.owners[c.owner as usize].name,
                c.strong,
                c.unexplained,
                c.object,
                c.channel,
                c.beside_context
            ));
        }
        s
    }

    // ----- vendor -----

    /// The verdicts of `lines` from `vendor`, from the table when decided before, with the
    /// vendor's facts; what is analysed here is added to the table.
    fn line_verdicts(
        &self,
        vendor: &VendorInfo,
        lines: &[LineInfo],
    ) -> (Vec<LineEval>, decisions::VendorFacts) {
        let mut out: Vec<Option<LineEval>> = Vec::with_capacity(lines.len());
        let mut facts = None;
        if let Ok(mut t) = self.decisions.lock() {
            if t.vocab_pending {
                t.reconcile_vocabulary(&self.vocabulary.common);
            }
            let v = t.vendor(vendor);
            facts = v.and_then(|v| t.vendor_facts(v).cloned());
            for l in lines {
                out.push(v.and_then(|v| t.get(v, l)).map(|x| LineEval {
                    decision: x.decision,
                    role: x.role,
                }));
            }
        } else {
            out.resize_with(lines.len(), || None);
        }
        if let (Some(facts), true) = (&facts, out.iter().all(Option::is_some)) {
            return (out.into_iter().flatten().collect(), facts.clone());
        }
        let ctx = self.vendor_ctx(vendor);
        let facts = decisions::VendorFacts {
            known: ctx.ident.is_some(),
            rejected: ctx.rejected.clone(),
        };
        let mut analysed: Vec<(usize, decisions::Deps)> = Vec::new();
        // The same line twice in one invoice is decided once: the first line analysed of each
        // key, found in a map (a search of the lines analysed so far was quadratic in the lines
        // of an invoice: 1.7 s for one of 30,000 distinct lines).
        type Twin<'k> = (&'k str, Option<&'k str>, Option<&'k str>, u8);
        let mut first: BTreeMap<Twin, usize> = BTreeMap::new();
        for i in 0..lines.len() {
            if out[i].is_some() {
                continue;
            }
            let l = &lines[i];
            let key = (
                l.description,
                l.description2,
                l.account_number,
                decisions::line_class(l.line_type),
            );
            let twin = first.get(&key).copied();
            if twin.is_none() {
                first.insert(key, i);
            }
            out[i] = Some(match twin.and_then(|j| out[j].as_ref()) {
                Some(e) => LineEval {
                    decision: e.decision.clone(),
                    role: e.role,
                },
                None => {
                    let mut deps = decisions::Deps::default();
                    let e = self.line(&ctx, l, &mut deps);
                    analysed.push((i, deps));
                    e
                }
            });
        }
        let mut out: Vec<LineEval> = out.into_iter().flatten().collect();
        if let Ok(mut t) = self.decisions.lock() {
            let v = t.intern_vendor(vendor, &facts);
            t.computed += analysed.len() as u64;
            for (i, deps) in analysed {
                // The match and rejection kept are shared with equal ones the table holds:
                // this build's transactions take those too.
                let d = std::mem::take(&mut out[i].decision);
                out[i].decision = t.insert(v, &lines[i], d, out[i].role, deps);
            }
        }
        (out, facts)
    }

    /// The vendor's row in the table and its facts, worked out when not kept.
    fn vendor_facts(&self, vendor: &VendorInfo) -> decisions::VendorFacts {
        if let Ok(t) = self.decisions.lock() {
            if let Some(f) = t.vendor(vendor).and_then(|v| t.vendor_facts(v)) {
                return f.clone();
            }
        }
        let ctx = self.vendor_ctx(vendor);
        let facts = decisions::VendorFacts {
            known: ctx.ident.is_some(),
            rejected: ctx.rejected.clone(),
        };
        if let Ok(mut t) = self.decisions.lock() {
            t.intern_vendor(vendor, &facts);
        }
        facts
    }

    fn vendor_ctx<'a>(&self, vendor: &VendorInfo<'a>) -> VendorCtx<'a> {
        let key: VendorKey = (
            vendor.name.to_string(),
            vendor.website.map(str::to_string),
            vendor.email.map(str::to_string),
        );
        if let Ok(cache) = self.vendor_cache.lock() {
            if let Some((ident, rejected, own_name, corrected, soft_cue)) = cache.get(&key) {
                return VendorCtx {
                    vendor: *vendor,
                    ident: ident.clone(),
                    rejected: rejected.clone(),
                    own_name: own_name.clone(),
                    corrected: corrected.clone(),
                    soft_cue: soft_cue.clone(),
                };
            }
        }
        let ctx = self.vendor_ctx_uncached(vendor);
        if let Ok(mut cache) = self.vendor_cache.lock() {
            if cache.len() >= VENDOR_CACHE_MAX {
                cache.clear();
            }
            cache.insert(
                key,
                (
                    ctx.ident.clone(),
                    ctx.rejected.clone(),
                    ctx.own_name.clone(),
                    ctx.corrected.clone(),
                    ctx.soft_cue.clone(),
                ),
            );
        }
        ctx
    }

    /// Forgets the vendors and line texts seen so far (for measuring; the caches never change
    /// a decision).
    #[doc(hidden)]
    pub fn clear_vendor_cache(&self) {
        if let Ok(mut cache) = self.vendor_cache.lock() {
            cache.clear();
        }
        if let Ok(mut cache) = self.analysis_cache.lock() {
            cache.clear();
        }
        if let Ok(mut t) = self.decisions.lock() {
            t.clear();
        }
    }

    /// The analysis of a line text, from the cache when the text was seen before.
    fn line_analysis(&self, text: &str) -> std::sync::Arc<Analysis> {
        if let Ok(mut cache) = self.analysis_cache.lock() {
            if let Some(a) = cache.get(text) {
                return a;
            }
        }
        let a = std::sync::Arc::new(self.index.analyse(text, false));
        if let Ok(mut cache) = self.analysis_cache.lock() {
            cache.insert(text.to_owned(), a.clone());
        }
        a
    }

    fn vendor_ctx_uncached<'a>(&self, vendor: &VendorInfo<'a>) -> VendorCtx<'a> {
        let name = self.index.analyse(vendor.name, true);
        let cands = self.candidates(&name, true, None);
        let mut ident: Option<Ident> = None;
        let mut rejected = None;

        // The name first: the best accepted candidate.
        let accepted: Vec<&Cand> = cands
            .iter()
            .filter(|c| c.unexplained.is_empty() && !c.object)
            .collect();
        if let Some(best) = accepted.first() {
            let all_entity = best.hits.iter().any(|&h| {
                let (kind, strong) = self.index.alias_info(&name.hits[h]);
                kind == index::AliasKind::VendorEntity && strong && name.hits[h].first == 0
            });
            let repaired = best
                .hits
                .iter()
                .any(|&h| name.hits[h].corrected || name.hits[h].merged);
            let mut conf = if all_entity {
                0.97
            } else if best.strong {
                0.92
            } else {
                0.8
            };
            if repaired {
                conf *= 0.9;
            }
            ident = Some(Ident {
                owner: best.owner,
                decided_by: DecidedBy::VendorName,
                evidence: self.evidence(&name, best, "vendor", vendor.name),
                confidence: conf,
            });
        } else if let Some(best) = cands.first() {
            rejected = Some(self.reject_reason(&name, best, "vendor name", vendor.name));
        }

        // Then the vendor card's domains: they decide when the name does not, and corroborate a
        // rejected name.
        for (field, value, conf) in [
            ("website", vendor.website, 0.93),
            ("email", vendor.email, 0.88),
        ] {
            let Some(value) = value else { continue };
            let Some(domain) = normalize::field_domain(value) else {
                continue;
            };
            if field == "email" && lexicon().freemail.contains(&domain) {
                continue;
            }
            let Some(owner) = self.index.domain_owner(&domain) else {
                continue;
            };
            let ev = domain_evidence(field, value, &domain);
            match &mut ident {
                Some(id)
                    if id.owner == owner
                        || self.index.owners[id.owner as usize].family
                            == self.index.owners[owner as usize].family =>
                {
                    id.evidence.push(ev);
                    id.confidence = id.confidence.max(0.97);
                }
                Some(id) if id.decided_by == DecidedBy::VendorName && id.confidence >= 0.9 => {}
                _ => {
                    ident = Some(Ident {
                        owner,
                        decided_by: DecidedBy::VendorDomain,
                        evidence: vec![ev],
                        confidence: conf,
                    });
                    rejected = None;
                }
            }
        }
        // The words of the vendor's own name, for reading lines that begin with it (as written:
        // a word read as a typo keeps its spelling).
        let own_name: Arc<[String]> = name
            .toks
            .iter()
            .filter(|t| t.kind == TokenKind::Word && t.class != Class::Noise)
            .map(|t| t.corrected_from.clone().unwrap_or_else(|| t.norm.clone()))
            .collect();
        let corrected: Arc<[String]> = name
            .toks
            .iter()
            .filter_map(|t| t.corrected_from.clone())
            .collect();
        // Only the words of a firm of a profession: a consultancy often resells licences.
        let soft_cue = if ident.is_none() {
            self.cues(&name, vendor.name, false)
                .soft
                .filter(|(cat, _)| cat == "firm")
                .map(|(_, text)| ("services".to_string(), text))
        } else {
            None
        };
        VendorCtx {
            vendor: *vendor,
            ident,
            rejected,
            own_name,
            corrected,
            soft_cue,
        }
    }

    /// Allocation rule: when a vendor the catalog does not know begins the line with its own
    /// name ("Acme Hive subscription" from "Acme ApS"), the word after that name is the vendor's
    /// own product. Returns the token that follows the name and the name as written, when the
    /// line begins with at least one distinctive word of the vendor's name (not an ordinary
    /// word) or with two of its words.
    fn own_product_start(
        &self,
        ctx: &VendorCtx,
        an: &Analysis,
        text: &str,
    ) -> Option<(usize, String)> {
        if ctx.ident.is_some() || ctx.own_name.is_empty() {
            return None;
        }
        let start = an.toks.iter().position(|t| t.kind != TokenKind::Number)?;
        let matched = an.toks[start..]
            .iter()
            .zip(ctx.own_name.iter())
            .take_while(|(t, w)| t.norm == **w || t.corrected_from.as_ref() == Some(*w))
            .count();
        if matched == 0 {
            return None;
        }
        let words = &ctx.own_name[..matched];
        let distinctive = words
            .iter()
            .any(|w| w.chars().count() >= 3 && !lexicon::is_common_word(w));
        // An ordinary word that is the whole of the name but for words that say nothing about
        // which company ("Orbital" of "Orbital Systems B.V.", "Meadow" of "Meadow Labs") is the
        // name as the vendor writes it on its own lines.
        let filler = |w: &String| compiled::FILLER_WORDS.contains(&w.as_str());
        let head = matched == 1
            && ctx.own_name.len() >= 2
            && words[0].chars().count() >= 4
            && !filler(&words[0])
            && !is_signal(&words[0])
            && ctx.own_name[1..].iter().all(filler);
        if !distinctive && !head && matched < 2 {
            return None;
        }
        let (s, e) = (an.toks[start].start, an.toks[start + matched - 1].end);
        Some((
            start + matched,
            text.get(s..e).unwrap_or_default().to_owned(),
        ))
    }

    // ----- lines -----

    /// What decided is recorded in `deps` (the rule, the words whose genericness was looked
    /// up): the verdict is kept and redone only when one of them changes.
    fn line(&self, ctx: &VendorCtx, line: &LineInfo, deps: &mut decisions::Deps) -> LineEval {
        let description = line.description;
        // Rules first.
        if let Some(fire) = self.rules.first(
            ctx.vendor.name,
            Some(description),
            line.description2,
            line.account_number,
        ) {
            let role = if line.line_type == LineType::Comment {
                LineRole::Comment
            } else {
                LineRole::Product
            };
            deps.rule = Some(fire.at);
            return LineEval {
                decision: self.rule_decision(ctx, line, &fire),
                role,
            };
        }

        let d1 = self.line_analysis(description);
        let d2 = line.description2.map(|t| self.line_analysis(t));
        // A word of the vendor's name read as a typo of a catalog brand, and spelled the same way
        // on its line, is the vendor's own name ("Pleon GmbH" billing "Pleon Jahresabo"): two
        // places that agree are not two typos. The vendor is then one the catalog does not know.
        let confirmed = |w: &String| ctx.corrected.contains(w);
        let own_spelling = !ctx.corrected.is_empty()
            && [Some(&*d1), d2.as_deref()].iter().flatten().any(|a| {
                a.toks
                    .iter()
                    .any(|t| t.corrected_from.as_ref().is_some_and(confirmed))
            });
        let unknown_ctx;
        let ctx = if own_spelling
            && ctx
                .ident
                .as_ref()
                .is_some_and(|i| i.decided_by == DecidedBy::VendorName)
        {
            unknown_ctx = VendorCtx {
                vendor: ctx.vendor,
                ident: None,
                rejected: None,
                own_name: ctx.own_name.clone(),
                corrected: ctx.corrected.clone(),
                soft_cue: None,
            };
            &unknown_ctx
        } else {
            ctx
        };
        // "Cloud" or "software" inside a product's name of several words ("Fatture in Cloud",
        // "Sales Cloud") is part of the name, not a word about the charge.
        let says_subscription = |an: &Analysis| {
            an.signal
                && an.toks.iter().enumerate().any(|(i, t)| {
                    is_signal(&t.norm)
                        && !(matches!(t.norm.as_str(), "cloud" | "software")
                            && an.hits.iter().any(|h| {
                                !h.suppressed && h.first <= i && i <= h.last && h.last > h.first
                            }))
                })
        };
        let signal = says_subscription(&d1) || d2.as_deref().is_some_and(says_subscription);
        let mut cues = self.cues(&d1, description, signal);
        if let (Some(d2), Some(text2)) = (&d2, line.description2) {
            let c2 = self.cues(d2, text2, signal);
            cues.hard = cues.hard.or(c2.hard);
            cues.soft = cues.soft.or(c2.soft);
            cues.funds = cues.funds.or(c2.funds);
            cues.freight |= c2.freight;
            cues.tax |= c2.tax;
            cues.adjustment |= c2.adjustment;
        }

        // Candidates of both description fields, in reading order.
        let group_family = ctx
            .ident
            .as_ref()
            .filter(|i| self.owner_kind(i.owner) != OwnerKind::Reseller)
            .map(|i| self.index.owners[i.owner as usize].family);
        let mut cands: Vec<(usize, Cand)> = self
            .candidates(&d1, false, group_family)
            .into_iter()
            .map(|c| (0, c))
            .collect();
        if let Some(d2) = &d2 {
            cands.extend(
                self.candidates(d2, false, group_family)
                    .into_iter()
                    .map(|c| (1, c)),
            );
        }
        if own_spelling {
            // The brand those words were read as is not named.
            let analyses = [Some(&*d1), d2.as_deref()];
            cands.retain(|(f, c)| {
                let an = analyses[*f].expect("analysed field");
                !c.hits.iter().all(|&h| {
                    an.toks[an.hits[h].first..=an.hits[h].last]
                        .iter()
                        .any(|t| t.corrected_from.as_ref().is_some_and(confirmed))
                })
            });
        }
        // An unknown vendor's own product: the catalog app named right after the vendor's name
        // is set aside (a product name of several words, "Microsoft 365 Business Premium", is
        // still read as that product: a local partner reselling it).
        let mut own_product: Option<(String, Cand)> = None;
        if let Some((after, name)) = self.own_product_start(ctx, &d1, description) {
            cands.retain(|(f, c)| {
                let own = *f == 0
                    && c.first == after
                    && self.is_app(c.owner)
                    && !(c.strong && c.span > 1);
                if own && own_product.is_none() {
                    own_product = Some((name.clone(), c.clone()));
                }
                !own
            });
        }
        let analyses: [Option<&Analysis>; 2] = [Some(&*d1), d2.as_deref()];
        let field_text = |f: usize| {
            if f == 0 {
                description
            } else {
                line.description2.unwrap_or("")
            }
        };
        let field_name = |f: usize| {
            if f == 0 {
                "description"
            } else {
                "description2"
            }
        };

        let has_app_hit = cands.iter().any(|(_, c)| self.is_app(c.owner) && c.strong);
        let role = if line.line_type == LineType::Comment {
            LineRole::Comment
        } else if !has_app_hit && (cues.freight || line.line_type == LineType::Charge) {
            LineRole::Freight
        } else if !has_app_hit && cues.tax && content_count(&d1) <= 3 {
            LineRole::Tax
        } else if !has_app_hit && cues.adjustment {
            LineRole::Other
        } else {
            LineRole::Product
        };

        // A marketplace on the line: the line, not the vendor, names the app.
        let marketplace = cands.iter().any(|(_, c)| {
            c.channel
                || (self.owner_kind(c.owner) == OwnerKind::Reseller
                    && self.index.owners[c.owner as usize].marketplace)
        });

        let vendor_owner = ctx.ident.as_ref().map(|i| i.owner);
        let vendor_family = vendor_owner.map(|o| self.index.owners[o as usize].family);

        // Accept description candidates.
        let mut accepted: Vec<(usize, Cand, f64)> = Vec::new();
        let mut rejected_desc: Vec<(usize, Cand)> = Vec::new();
        for (f, c) in cands.iter().cloned() {
            if !self.is_app(c.owner) || c.channel {
                continue;
            }
            let corroborated = vendor_family == Some(self.index.owners[c.owner as usize].family);
            let generic = if corroborated {
                0
            } else {
                self.generic_in_data(analyses[f].expect("analysed field"), &c, deps)
            };
            let ok = generic == 0
                && (c.strong || c.beside_context || c.unexplained.is_empty() || corroborated);
            if ok {
                let mut conf = if c.strong {
                    0.9
                } else if c.beside_context {
                    0.78
                } else {
                    0.72
                };
                if corroborated {
                    conf = (conf + 0.06f64).min(0.97);
                }
                if c.object {
                    conf *= 0.6;
                }
                accepted.push((f, c, conf));
            } else {
                rejected_desc.push((
                    f,
                    Cand {
                        generic_vendors: generic,
                        ..c
                    },
                ));
            }
        }
        // A name inside parentheses qualifies the name before them when an app is named outside
        // ("Tableau (Salesforce Data Cloud bundle) Creator"): it gives way to that one.
        if accepted.len() > 1 {
            let inside = |f: usize, c: &Cand| {
                let an = analyses[f].expect("analysed field");
                let at = an.toks[c.first].start;
                let text = field_text(f);
                let before = text.get(..at).unwrap_or("");
                before.matches('(').count() > before.matches(')').count()
            };
            let flags: Vec<bool> = accepted.iter().map(|(f, c, _)| inside(*f, c)).collect();
            if flags.iter().any(|&x| !x) {
                for ((_, c, _), flag) in accepted.iter_mut().zip(flags) {
                    c.in_parens = flag;
                }
            }
        }
        // Reading order with preference: not an object, producer-marked, outside parentheses,
        // strong, first named, longest.
        accepted.sort_by(|(fa, a, _), (fb, b, _)| {
            (
                a.object,
                !a.by_marked,
                a.in_parens,
                !a.strong,
                *fa,
                a.first,
                std::cmp::Reverse(a.span),
            )
                .cmp(&(
                    b.object,
                    !b.by_marked,
                    b.in_parens,
                    !b.strong,
                    *fb,
                    b.first,
                    std::cmp::Reverse(b.span),
                ))
        });

        // Non-SaaS lines stay unmatched: hardware, travel, rent, advertising ... always; services
        // only when nothing on the line says subscription.
        let vendor_is_app = ctx
            .ident
            .as_ref()
            .map(|i| self.is_app(i.owner))
            .unwrap_or(false);
        // Money moved through a spend, benefits or payroll platform is not its subscription
        // ("Pleo card top-up", "Swile rechargement"); on another app's line ("API credits
        // top-up") it is metered software, and next to a subscription word ("seat top-up") it
        // buys more of the subscription.
        let funds = cues.funds.clone().filter(|_| {
            !signal
                && accepted
                    .first()
                    .map(|(_, c, _)| c.owner)
                    .or(vendor_owner.filter(|&o| self.is_app(o)))
                    .is_some_and(|o| {
                        matches!(
                            &*self.index.owners[o as usize].category,
                            "finance-spend" | "hr-payroll"
                        )
                    })
        });
        let cue = cues.hard.clone().or(funds).or(if signal || vendor_is_app {
            None
        } else {
            // (A firm's word is reported as professional services.)
            cues.soft
                .clone()
                .map(|(c, t)| (if c == "firm" { "services".into() } else { c }, t))
                .or(ctx.soft_cue.clone())
        });
        if let Some((cat, text)) = cue {
            let closest = accepted
                .first()
                .map(|(_, c, conf)| (c.owner, *conf))
                .or(vendor_owner.filter(|&o| self.is_app(o)).map(|o| (o, 0.5)));
            let reason = format!(
                "the line looks like {} ('{}'), not a software subscription",
                cue_label(&cat),
                text
            );
            if closest.is_none() {
                if let Some(r) = &ctx.rejected {
                    // The vendor's near miss says more than the line ("Zoom Dental Clinic").
                    let mut r = r.clone();
                    r.reason = format!("{}; {}", r.reason, reason);
                    r.not_software = Some(cat.to_string());
                    return LineEval {
                        decision: Decision {
                            matched: None,
                            ignored_by_rule: None,
                            rejected: Some(Arc::new(r)),
                        },
                        role,
                    };
                }
            }
            let mut r = self.rejected(closest, reason, vec![]);
            r.not_software = Some(cat.to_string());
            return LineEval {
                decision: Decision {
                    matched: None,
                    ignored_by_rule: None,
                    rejected: Some(Arc::new(r)),
                },
                role,
            };
        }

        let make = |this: &Matcher,
                    f: usize,
                    c: &Cand,
                    conf: f64,
                    via: Option<Via>,
                    runner: Option<Candidate>|
         -> Decision {
            let an = analyses[f].expect("analysed field");
            let mut m = this.app_match(
                c.owner,
                DecidedBy::Description,
                this.evidence(an, c, field_name(f), field_text(f)),
                conf,
                via,
            );
            m.runner_up = runner;
            Decision {
                matched: Some(Arc::new(m)),
                ignored_by_rule: None,
                rejected: None,
            }
        };
        let runner_for =
            |this: &Matcher, winner: u32, extra: Option<(u32, f64)>| -> Option<Candidate> {
                accepted
                    .iter()
                    .map(|(_, c, conf)| (c.owner, *conf))
                    .chain(extra)
                    .find(|(o, _)| *o != winner && this.is_app(*o))
                    .map(|(o, conf)| this.candidate(o, conf * 0.8))
            };

        // Resellers and marketplaces: the description decides among all apps.
        let vendor_kind = vendor_owner.map(|o| self.owner_kind(o));
        if marketplace || vendor_kind == Some(OwnerKind::Reseller) {
            let via = if marketplace {
                cands
                    .iter()
                    .find(|(_, c)| c.channel || self.owner_kind(c.owner) == OwnerKind::Reseller)
                    .map(|(_, c)| self.via(c.owner, true))
            } else {
                vendor_owner.map(|o| self.via(o, false))
            };
            if let Some((f, c, conf)) = accepted.first() {
                let runner = runner_for(self, c.owner, None);
                return LineEval {
                    decision: make(self, *f, c, *conf, via, runner),
                    role,
                };
            }
            let name = via
                .as_ref()
                .map(|v| v.name.clone())
                .unwrap_or_else(|| "The vendor".into());
            let reason = format!(
                "{name} is a reseller or marketplace, and the line names no app of the catalog"
            );
            let closest = rejected_desc.first().map(|(_, c)| (c.owner, 0.4));
            return LineEval {
                decision: Decision {
                    matched: None,
                    ignored_by_rule: None,
                    rejected: Some(Arc::new(self.rejected(closest, reason, vec![]))),
                },
                role,
            };
        }

        match (vendor_owner, vendor_kind) {
            (Some(vo), Some(OwnerKind::App)) => {
                let id = ctx.ident.as_ref().expect("vendor identity");
                let vendor_named = cands.iter().any(|(_, c)| c.owner == vo);
                // The line may name a more specific app of the same vendor (GitHub Copilot from
                // GitHub, Dropbox Sign from Dropbox), or, when it does not name the vendor's app
                // at all, a distinctive other app (Auth0 on an Okta invoice).
                if let Some((f, c, conf)) = accepted
                    .iter()
                    .find(|(_, c, _)| c.owner != vo && !c.object && !c.in_parens)
                {
                    let same_family = self.index.owners[c.owner as usize].family
                        == self.index.owners[vo as usize].family;
                    let an = analyses[*f].expect("analysed");
                    let specializes = self.contains_owner_alias(an, c, vo)
                        || accepted.iter().any(|(fx, x, _)| {
                            fx == f && x.owner == vo && self.sibling_specializes(an, x, c)
                        });
                    if specializes || (c.strong && (same_family || !vendor_named)) {
                        let runner = Some(self.candidate(vo, id.confidence * 0.8));
                        return LineEval {
                            decision: make(self, *f, c, conf.min(0.9), None, runner),
                            role,
                        };
                    }
                }
                let mut m =
                    self.app_match(vo, id.decided_by, id.evidence.clone(), id.confidence, None);
                if let Some((f, c, _)) = accepted.iter().find(|(_, c, _)| c.owner == vo) {
                    m.evidence.extend(self.evidence(
                        analyses[*f].expect("analysed"),
                        c,
                        field_name(*f),
                        field_text(*f),
                    ));
                    m.confidence = (m.confidence + 0.02).min(0.99);
                }
                m.runner_up = runner_for(self, vo, None);
                LineEval {
                    decision: Decision {
                        matched: Some(Arc::new(m)),
                        ignored_by_rule: None,
                        rejected: None,
                    },
                    role,
                }
            }
            (Some(go), Some(OwnerKind::Group)) => {
                let fam = self.index.owners[go as usize].family;
                let group = &self.index.owners[go as usize];
                let in_family = accepted.iter().find(|(_, c, _)| {
                    self.index.owners[c.owner as usize].family == fam && !c.object
                });
                let outside_strong = accepted.iter().find(|(_, c, _)| c.strong && !c.object);
                let via = Some(self.via(go, false));
                // The group's app named by its brand word alone gives way to its sibling whose
                // own word is on the line ("Utilisation API Claude").
                let in_family = in_family.map(|x| {
                    accepted
                        .iter()
                        .find(|y| {
                            x.0 == y.0
                                && self.sibling_specializes(
                                    analyses[x.0].expect("analysed"),
                                    &x.1,
                                    &y.1,
                                )
                        })
                        .unwrap_or(x)
                });
                if let Some((f, c, conf)) = in_family.or(outside_strong) {
                    let runner = runner_for(self, c.owner, None);
                    let mut d = make(self, *f, c, *conf, via, runner);
                    if let (Some(m), Some(id)) =
                        (d.matched.as_mut().map(Arc::make_mut), ctx.ident.as_ref())
                    {
                        m.evidence.splice(0..0, id.evidence.iter().cloned());
                    }
                    return LineEval { decision: d, role };
                }
                let family_apps = self.family_apps(go);
                if let (Some(def), true) = (group.default_owner, signal) {
                    {
                        let id = ctx.ident.as_ref().expect("vendor identity");
                        let owner = def;
                        let mut m = self.app_match(
                            owner,
                            DecidedBy::VendorDefault,
                            id.evidence.clone(),
                            0.55,
                            via,
                        );
                        m.runner_up = None;
                        return LineEval {
                            decision: Decision {
                                matched: Some(Arc::new(m)),
                                ignored_by_rule: None,
                                rejected: None,
                            },
                            role,
                        };
                    }
                }
                let names: Vec<String> = family_apps
                    .iter()
                    .take(6)
                    .map(|&o| self.index.owners[o as usize].name.to_string())
                    .collect();
                let more = if family_apps.len() > 6 { ", ..." } else { "" };
                let reason = format!(
                    "{} sells several apps ({}{more}) and the line names none of them",
                    group.name,
                    names.join(", ")
                );
                let closest = rejected_desc.first().map(|(_, c)| (c.owner, 0.4));
                let candidates = family_apps
                    .iter()
                    .map(|&o| self.candidate(o, 0.0))
                    .collect();
                LineEval {
                    decision: Decision {
                        matched: None,
                        ignored_by_rule: None,
                        rejected: Some(Arc::new(self.rejected(closest, reason, candidates))),
                    },
                    role,
                }
            }
            _ => {
                if let Some((f, c, conf)) = accepted.first() {
                    let runner = runner_for(self, c.owner, None);
                    return LineEval {
                        decision: make(self, *f, c, *conf, None, runner),
                        role,
                    };
                }
                // Nothing: explain the closest thing we saw.
                let rejected = if let Some((name, c)) = &own_product {
                    let app = &self.index.owners[c.owner as usize];
                    let word = quote_span(
                        description,
                        d1.toks[c.first].start,
                        d1.toks[(c.first + c.span).min(d1.toks.len()) - 1].end,
                    );
                    Some(self.rejected(
                        Some((c.owner, 0.3)),
                        format!(
                            "the line begins with the vendor's own name ('{name}'), so {word} after it is read as the vendor's own product, not {}",
                            app.name
                        ),
                        vec![],
                    ))
                } else if let Some((f, c)) = rejected_desc.first() {
                    Some(self.reject_reason(
                        analyses[*f].expect("analysed"),
                        c,
                        "description",
                        field_text(*f),
                    ))
                } else {
                    ctx.rejected.clone()
                };
                LineEval {
                    decision: Decision {
                        matched: None,
                        ignored_by_rule: None,
                        rejected: rejected.map(Arc::new),
                    },
                    role,
                }
            }
        }
    }

    fn rule_decision(&self, ctx: &VendorCtx, line: &LineInfo, fire: &rules::RuleFire) -> Decision {
        let spec = &fire.rule.spec;
        match spec.action {
            RuleAction::Ignore => Decision {
                matched: None,
                ignored_by_rule: Some(spec.id.clone()),
                rejected: None,
            },
            RuleAction::MatchTo => {
                let app_id = spec.app_id.as_deref().unwrap_or("");
                let evidence = fire
                    .spans
                    .iter()
                    .map(|(field, s, e)| {
                        let text = match *field {
                            "vendor" => ctx.vendor.name,
                            "description" => line.description,
                            "description2" => line.description2.unwrap_or(""),
                            _ => line.account_number.unwrap_or(""),
                        };
                        span_evidence(field, text, *s, *e, "rule", None)
                    })
                    .collect();
                let owner = self.index.app_by_id(app_id);
                match owner {
                    Some(o) => {
                        let mut m = self.app_match(o, DecidedBy::Rule, evidence, 1.0, None);
                        m.rule_id = Some(spec.id.clone());
                        Decision {
                            matched: Some(Arc::new(m)),
                            ignored_by_rule: None,
                            rejected: None,
                        }
                    }
                    None => Decision::default(),
                }
            }
        }
    }

    // ----- invoice -----

    fn invoice_decision(
        &self,
        vendor_rejected: &Option<Rejected>,
        lines: &[LineInfo],
        evals: &[LineEval],
    ) -> Decision {
        // Vote of the product lines (then of the others), weighted by amount.
        for roles in [
            &[LineRole::Product][..],
            &[
                LineRole::Comment,
                LineRole::Other,
                LineRole::Freight,
                LineRole::Tax,
            ][..],
        ] {
            let mut votes: Vec<(String, i128, usize)> = Vec::new(); // app id, weight, first line
            let mut ignored: Option<(String, i128)> = None;
            let mut total: i128 = 0;
            for (i, (l, e)) in lines.iter().zip(evals).enumerate() {
                if !roles.contains(&e.role) {
                    continue;
                }
                let w = (l.amount as i128).abs().max(1);
                total += w;
                if let Some(m) = &e.decision.matched {
                    match votes.iter_mut().find(|v| v.0 == m.app_id) {
                        Some(v) => v.1 += w,
                        None => votes.push((m.app_id.clone(), w, i)),
                    }
                } else if let Some(r) = &e.decision.ignored_by_rule {
                    let entry = ignored.get_or_insert((r.clone(), 0));
                    entry.1 += w;
                }
            }
            if votes.is_empty() {
                if let Some((rule, w)) = ignored {
                    if w * 2 >= total {
                        return Decision {
                            matched: None,
                            ignored_by_rule: Some(rule),
                            rejected: None,
                        };
                    }
                }
                continue;
            }
            votes.sort_by(|a, b| b.1.cmp(&a.1).then(a.2.cmp(&b.2)));
            let (app, w, first) = votes[0].clone();
            // Shared with the line's decision until changed here (a one-line invoice never is).
            let mut m = evals[first]
                .decision
                .matched
                .clone()
                .expect("voted line is matched");
            if lines.len() > 1 {
                let share = w as f64 / total.max(1) as f64;
                let agree = evals
                    .iter()
                    .filter(|e| {
                        e.decision
                            .matched
                            .as_ref()
                            .map(|x| x.app_id == app)
                            .unwrap_or(false)
                    })
                    .count();
                let confidence = (m.confidence * (0.5 + 0.5 * share)).clamp(0.0, 1.0);
                let by_lines = agree > 1 && m.decided_by != DecidedBy::Rule;
                // Copied only when changed (one product line and a tax line: it is not).
                if confidence.to_bits() != m.confidence.to_bits()
                    || (by_lines && m.decided_by != DecidedBy::Lines)
                {
                    let m = Arc::make_mut(&mut m);
                    m.confidence = confidence;
                    if by_lines {
                        m.decided_by = DecidedBy::Lines;
                    }
                }
            }
            if let Some((other, ow, _)) = votes.get(1) {
                let conf = (*ow as f64 / total.max(1) as f64).clamp(0.0, 1.0);
                if let Some(a) = self
                    .index
                    .app_by_id(other)
                    .map(|o| &self.index.owners[o as usize])
                {
                    Arc::make_mut(&mut m).runner_up = Some(Candidate {
                        app_id: a.id.to_string(),
                        app_name: a.name.to_string(),
                        confidence: round2(conf),
                    });
                }
            }
            return Decision {
                matched: Some(m),
                ignored_by_rule: None,
                rejected: None,
            };
        }
        // No line decided: the first line's explanation, else the vendor's.
        evals
            .iter()
            .find(|e| e.decision.rejected.is_some() || e.decision.ignored_by_rule.is_some())
            .map(|e| e.decision.clone())
            .unwrap_or_else(|| Decision {
                matched: None,
                ignored_by_rule: None,
                rejected: vendor_rejected.clone().map(Arc::new),
            })
    }

    // ----- candidates -----

    fn candidates(&self, an: &Analysis, vendor: bool, family: Option<u32>) -> Vec<Cand> {
        let mut by_owner: Vec<Cand> = Vec::new();
        for (i, h) in an.hits.iter().enumerate() {
            if h.suppressed || !self.hit_allowed(h, family) {
                continue;
            }
            let (_, strong) = self.index.alias_info(h);
            match by_owner.iter_mut().find(|c| c.owner == h.owner) {
                Some(c) => {
                    c.hits.push(i);
                    c.strong |= strong;
                    if h.first < c.first {
                        c.first = h.first;
                    }
                    c.span = c.span.max(h.last - h.first + 1);
                }
                None => by_owner.push(Cand {
                    owner: h.owner,
                    hits: vec![i],
                    strong,
                    first: h.first,
                    span: h.last - h.first + 1,
                    unexplained: Vec::new(),
                    object: false,
                    channel: false,
                    beside_context: false,
                    by_marked: false,
                    in_parens: false,
                    generic_vendors: 0,
                }),
            }
        }
        let covered_any: Vec<bool> = (0..an.toks.len())
            .map(|t| {
                an.hits.iter().any(|h| {
                    !h.suppressed && self.hit_allowed(h, family) && h.first <= t && t <= h.last
                })
            })
            .collect();
        // In a vendor name, what comes before "dba" / "t/a" is the legal name of the brand after it.
        let dba_end = if vendor {
            an.toks
                .iter()
                .rposition(|t| t.norm == "dba" || t.norm == "aka")
        } else {
            None
        };
        for c in by_owner.iter_mut() {
            let owner = &self.index.owners[c.owner as usize];
            let mine: Vec<bool> = (0..an.toks.len())
                .map(|t| {
                    c.hits
                        .iter()
                        .any(|&h| an.hits[h].first <= t && t <= an.hits[h].last)
                })
                .collect();
            for (t, tok) in an.toks.iter().enumerate() {
                if mine[t] || matches!(tok.class, Class::Noise | Class::Context) {
                    continue;
                }
                if let Some(d) = dba_end {
                    if t <= d && c.first > d {
                        continue;
                    }
                }
                if covered_any[t] && !vendor {
                    continue;
                }
                if self.index.family_has(owner.family, tok.wid) {
                    continue;
                }
                if tok.class == Class::Filler && c.strong {
                    continue;
                }
                c.unexplained.push(t);
            }
            // Markers around the earliest hit.
            let last = c
                .hits
                .iter()
                .map(|&h| an.hits[h].last)
                .max()
                .unwrap_or(c.first);
            let prev = (0..c.first)
                .rev()
                .map(|i| &an.toks[i])
                .find(|t| t.kind != TokenKind::Number);
            c.object = prev
                .map(|t| OBJECT_MARKERS.contains(&t.norm.as_str()))
                .unwrap_or(false);
            c.by_marked = prev
                .map(|t| t.norm == "by" || t.norm == "von" || t.norm == "par")
                .unwrap_or(false);
            let next = an.toks.get(last + 1);
            c.channel = next
                .map(|t| CHANNEL_MARKERS.contains(&t.norm.as_str()))
                .unwrap_or(false);
            c.beside_context = next
                .map(|t| t.class == Class::Context && t.norm.len() > 2)
                .unwrap_or(false)
                || prev
                    .map(|t| t.class == Class::Context && is_signal(&t.norm))
                    .unwrap_or(false);
        }
        // Strongest first, then first named.
        by_owner.sort_by(|a, b| {
            (
                a.unexplained.len(),
                !a.strong,
                a.first,
                std::cmp::Reverse(a.span),
            )
                .cmp(&(
                    b.unexplained.len(),
                    !b.strong,
                    b.first,
                    std::cmp::Reverse(b.span),
                ))
        });
        by_owner
    }

    /// Short names of group apps count only on that group's invoices.
    fn hit_allowed(&self, h: &index::Hit, family: Option<u32>) -> bool {
        if h.alias == u32::MAX || !self.index.alias(h.alias).group_only {
            return true;
        }
        family == Some(self.index.owners[h.owner as usize].family)
    }

    /// Cue phrases of `an`. A cue that is also a name in the catalog ("Railway" the hosting
    /// platform) is not a cue on a line that reads like a subscription.
    fn cues(&self, an: &Analysis, line_text: &str, signal: bool) -> LineCues {
        let mut out = LineCues::default();
        for (first, last, cue) in self.index.cue_hits(&an.toks) {
            let kind = self.index.cue_kind[cue as usize];
            // Tokens covered by an app's name are not cues ("Zoom Rooms", "Cloud Storage").
            let inside_alias = an.hits.iter().any(|h| {
                !h.suppressed
                    && h.first <= first
                    && first <= h.last
                    && self.index.alias_info(h).1
                    && h.last > h.first
            });
            let is_alias = signal
                && an
                    .hits
                    .iter()
                    .any(|h| !h.suppressed && h.first == first && self.is_app(h.owner));
            if inside_alias || is_alias {
                continue;
            }
            let text = || {
                an.toks[first..=last]
                    .iter()
                    .map(|t| t.norm.as_str())
                    .collect::<Vec<_>>()
                    .join(" ")
            };
            let cat = || self.index.cue_cat[cue as usize].clone();
            match kind {
                compiled::CUE_NONSAAS_HARD => {
                    // A compound joined by a hyphen whose head is subscription vocabulary is a
                    // bundle of it ("Token-Paket", "Lizenz-Paket"), as the compound written as
                    // one word is ("Lizenzpaket", which holds no cue): not a parcel.
                    let bundle = first > 0 && {
                        let head = &an.toks[first - 1];
                        line_text.get(head.end..an.toks[first].start) == Some("-")
                            && is_signal(&head.norm)
                    };
                    if out.hard.is_none() && !bundle {
                        out.hard = Some((cat(), text()));
                    }
                }
                compiled::CUE_NONSAAS_SOFT => {
                    // A firm's word is read as professional services on a line ...
                    let firm = self.index.cue_cat[cue as usize] == "firm";
                    match &out.soft {
                        None => out.soft = Some((cat(), text())),
                        // ... but kept in a vendor's name, where only it counts.
                        Some((c, _)) if firm && c != "firm" => out.soft = Some((cat(), text())),
                        _ => {}
                    }
                }
                compiled::CUE_FREIGHT => out.freight = true,
                compiled::CUE_TAX => out.tax = true,
                compiled::CUE_FUNDS => {
                    if out.funds.is_none() {
                        out.funds = Some((cat(), text()));
                    }
                }
                _ => out.adjustment = true,
            }
        }
        out
    }

    // ----- helpers -----

    fn owner_kind(&self, o: u32) -> OwnerKind {
        self.index.owners[o as usize].kind
    }

    fn is_app(&self, o: u32) -> bool {
        self.owner_kind(o) == OwnerKind::App
    }

    fn family_apps(&self, o: u32) -> Vec<u32> {
        let fam = self.index.owners[o as usize].family;
        self.index
            .app_owner
            .iter()
            .copied()
            .filter(|&a| self.index.owners[a as usize].family == fam)
            .collect()
    }

    /// Whether app `y` of a group, also on the line, is the product that the group's app `x`
    /// named by its brand word alone stands for: a name of `y` holds that word, and `y` is on
    /// the line by a word of its own (its cue, "Utilisation API Claude": usage is the Anthropic
    /// API's cue and "Claude API" its name; "Salles Zoom": rooms). The same when `x` is named by
    /// a name of several words that a name of `y` holds all of ("Microsoft Teams Telefonie":
    /// "Microsoft Teams Phone" holds "Microsoft Teams", and telephony is its cue), unless `y` is
    /// named in parentheses, as a qualifier of `x` ("Google Workspace (Gemini add-on)").
    fn sibling_specializes(&self, an: &Analysis, x: &Cand, y: &Cand) -> bool {
        x.owner != y.owner
            && !y.object
            && self.index.owners[x.owner as usize].family
                == self.index.owners[y.owner as usize].family
            && !x.hits.is_empty()
            && (x.span == 1 || !y.in_parens)
            && x.hits.iter().all(|&i| {
                let h = &an.hits[i];
                (h.first..=h.last).all(|t| {
                    an.toks
                        .get(t)
                        .is_some_and(|w| self.index.owner_alias_has_word(y.owner, w.wid))
                })
            })
    }

    /// Whether candidate `c`'s hits contain a hit of `other` (the line names `other` inside `c`'s
    /// name, as "GitHub" inside "GitHub Copilot").
    fn contains_owner_alias(&self, an: &Analysis, c: &Cand, other: u32) -> bool {
        an.hits.iter().any(|h| {
            h.owner == other
                && c.hits
                    .iter()
                    .any(|&ch| an.hits[ch].first <= h.first && h.last <= an.hits[ch].last)
        })
    }

    fn app_match(
        &self,
        owner: u32,
        decided_by: DecidedBy,
        evidence: Vec<Evidence>,
        confidence: f64,
        via: Option<Via>,
    ) -> Match {
        let app = &self.index.owners[owner as usize];
        Match {
            app_id: app.id.to_string(),
            app_name: app.name.to_string(),
            category: app.category.to_string(),
            decided_by,
            rule_id: None,
            evidence,
            confidence: round2(confidence),
            runner_up: None,
            via,
        }
    }

    fn candidate(&self, owner: u32, confidence: f64) -> Candidate {
        let o = &self.index.owners[owner as usize];
        let id = o.id.to_string();
        Candidate {
            app_id: id,
            app_name: o.name.to_string(),
            confidence: round2(confidence),
        }
    }

    fn via(&self, owner: u32, marketplace: bool) -> Via {
        let o = &self.index.owners[owner as usize];
        let (id, kind) = match o.kind {
            OwnerKind::App => (o.id.to_string(), "marketplace"),
            OwnerKind::Group => (
                o.id.to_string(),
                if marketplace {
                    "marketplace"
                } else {
                    "vendorGroup"
                },
            ),
            OwnerKind::Reseller => (
                o.id.to_string(),
                if o.marketplace || marketplace {
                    "marketplace"
                } else {
                    "reseller"
                },
            ),
        };
        Via {
            id,
            name: o.name.to_string(),
            kind: kind.into(),
        }
    }

    fn rejected(
        &self,
        closest: Option<(u32, f64)>,
        reason: String,
        candidates: Vec<Candidate>,
    ) -> Rejected {
        match closest {
            Some((o, conf)) => {
                let c = self.candidate(o, conf);
                Rejected {
                    app_id: Some(c.app_id),
                    app_name: Some(c.app_name),
                    confidence: c.confidence,
                    reason,
                    candidates,
                    not_software: None,
                }
            }
            None => Rejected {
                app_id: None,
                app_name: None,
                confidence: 0.0,
                reason,
                candidates,
                not_software: None,
            },
        }
    }

    fn reject_reason(&self, an: &Analysis, c: &Cand, field: &str, text: &str) -> Rejected {
        let owner = &self.index.owners[c.owner as usize];
        let named: Vec<String> = c
            .hits
            .iter()
            .map(|&h| {
                quote_span(
                    text,
                    an.toks[an.hits[h].first].start,
                    an.toks[an.hits[h].last].end,
                )
            })
            .collect();
        let named = named.first().cloned().unwrap_or_default();
        let others: Vec<String> = c
            .unexplained
            .iter()
            .take(4)
            .map(|&t| format!("'{}'", &text[an.toks[t].start..an.toks[t].end]))
            .collect();
        let reason = if c.generic_vendors > 0 {
            format!(
                "{named} is a word that the lines of {} different vendors in this data use (vendors the catalog does not know), so on its own it does not identify {}",
                c.generic_vendors, owner.name
            )
        } else if c.object {
            format!("{named} is named as what the product works with, not as the product")
        } else if !c.strong {
            let what = if c.hits.iter().any(|&h| an.hits[h].merged) {
                "joined from ordinary words"
            } else {
                "a common word"
            };
            format!(
                "{named} is {what} and the {field} has other words ({}) not in {}'s names",
                others.join(", "),
                owner.name
            )
        } else {
            format!(
                "the {field} has other words ({}) that are not part of {}'s names",
                others.join(", "),
                owner.name
            )
        };
        let conf = if c.strong { 0.5 } else { 0.3 };
        if owner.kind == OwnerKind::App {
            self.rejected(Some((c.owner, conf)), reason, vec![])
        } else {
            let cands = if owner.kind == OwnerKind::Group {
                self.family_apps(c.owner)
                    .iter()
                    .map(|&o| self.candidate(o, 0.0))
                    .collect()
            } else {
                vec![]
            };
            Rejected {
                app_id: None,
                app_name: None,
                confidence: conf,
                reason,
                candidates: cands,
                not_software: None,
            }
        }
    }

    fn evidence(&self, an: &Analysis, c: &Cand, field: &'static str, text: &str) -> Vec<Evidence> {
        // The widest hit for each part of the text, in reading order.
        let mut hits: Vec<&index::Hit> = c.hits.iter().map(|&h| &an.hits[h]).collect();
        hits.sort_by_key(|h| (h.first, std::cmp::Reverse(h.last)));
        let mut out: Vec<Evidence> = Vec::new();
        let mut covered_to: Option<usize> = None;
        for hit in hits {
            if covered_to.map(|c| hit.last <= c).unwrap_or(false) {
                continue;
            }
            covered_to = Some(hit.last);
            let (s, e) = (an.toks[hit.first].start, an.toks[hit.last].end);
            let (kind, _) = self.index.alias_info(hit);
            let alias = if hit.corrected || hit.merged {
                Some(
                    an.toks[hit.first..=hit.last]
                        .iter()
                        .map(|t| t.norm.as_str())
                        .collect::<Vec<_>>()
                        .join(" "),
                )
            } else {
                None
            };
            out.push(span_evidence(field, text, s, e, kind.as_str(), alias));
        }
        out
    }
}

/// Whether a line that does not decide for itself takes the invoice's decision ([`inherit`]).
fn follows_invoice(invoice: &Decision) -> bool {
    invoice.matched.is_some() || invoice.ignored_by_rule.is_some()
}

fn inherit(invoice: &Decision, own: Decision) -> Decision {
    if follows_invoice(invoice) {
        let mut d = invoice.clone();
        if let Some(m) = d.matched.as_mut() {
            if m.decided_by != DecidedBy::Rule && m.decided_by != DecidedBy::Lines {
                Arc::make_mut(m).decided_by = DecidedBy::Lines;
            }
        }
        d
    } else {
        own
    }
}

fn content_count(an: &Analysis) -> usize {
    an.toks
        .iter()
        .filter(|t| matches!(t.class, Class::Content | Class::Filler))
        .count()
}

pub(crate) fn cue_label(cat: &str) -> &str {
    match cat {
        "hardware" => "hardware",
        "travel" => "travel",
        "rent" => "rent or facilities",
        "telecom" => "telecoms",
        "shipping" => "shipping",
        "services" => "professional services",
        "advertising" => "advertising",
        "office" => "office supplies or events",
        "meals" => "meals or catering",
        "facilities" => "facilities or repairs",
        "health" => "health or wellbeing",
        "funds" => "money loaded or paid out through the platform",
        other => other,
    }
}

/// Confidences are for display: two decimals.
fn tidy(d: &mut Decision) {
    // Copies a shared match only when it has something to round.
    let rounded = |m: &Match| {
        m.confidence == round2(m.confidence)
            && m.runner_up
                .as_ref()
                .map_or(true, |r| r.confidence == round2(r.confidence))
    };
    if let Some(m) = d
        .matched
        .as_mut()
        .filter(|m| !rounded(m))
        .map(Arc::make_mut)
    {
        m.confidence = round2(m.confidence);
        if let Some(r) = m.runner_up.as_mut() {
            r.confidence = round2(r.confidence);
        }
    }
    if let Some(r) = d.rejected.as_mut() {
        // A shared rejection is copied only when rounding changes it.
        let c = round2(r.confidence);
        if c.to_bits() != r.confidence.to_bits() {
            Arc::make_mut(r).confidence = c;
        }
    }
}

fn round2(x: f64) -> f64 {
    (x.clamp(0.0, 1.0) * 100.0).round() / 100.0
}

/// UTF-16 code units before byte offset `b` of `text` (a JavaScript string index).
pub fn utf16_offset(text: &str, b: usize) -> usize {
    let b = b.min(text.len());
    let b = (0..=b)
        .rev()
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(0);
    text[..b].encode_utf16().count()
}

fn span_evidence(
    field: &'static str,
    text: &str,
    s: usize,
    e: usize,
    kind: &'static str,
    alias: Option<String>,
) -> Evidence {
    Evidence {
        field,
        text: text.get(s..e).unwrap_or("").to_string(),
        start: utf16_offset(text, s),
        end: utf16_offset(text, e),
        kind,
        alias,
    }
}

fn domain_evidence(field: &'static str, value: &str, domain: &str) -> Evidence {
    let lower = value.to_ascii_lowercase();
    match lower.find(domain) {
        Some(p) => span_evidence(field, value, p, p + domain.len(), "domain", None),
        None => span_evidence(
            field,
            value,
            0,
            value.len(),
            "domain",
            Some(domain.to_string()),
        ),
    }
}

fn quote_span(text: &str, s: usize, e: usize) -> String {
    format!("'{}'", text.get(s..e).unwrap_or(""))
}

#[cfg(test)]
mod tests;

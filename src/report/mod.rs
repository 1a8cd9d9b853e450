//! The report: where the SaaS money goes, as data (see `REPORT.md` in this folder for the JSON).
//!
//! ```
//! use bc_spend::report::{build_report, ReportContext, ReportOptions, ReportSettings};
//! let opts = ReportOptions { as_of: Some("2026-11-26".into()), ..Default::default() };
//! let settings = ReportSettings::new(&opts).unwrap();
//! let report = build_report(&[], &[], &ReportContext::default(), &settings);
//! assert_eq!(report.as_of.to_string(), "2026-11-26");
//! assert!(report.insights.is_empty());
//! ```
//!
//! Pure and synchronous: transactions, users and the engine's diagnostic counts in, a
//! [`Report`] out; every date is relative to `asOf`, so the same input gives the same report.
//! Money is summed per currency in exact integers and never mixed; reporting-currency figures
//! come only from the caller's rates (see [`options`]).

pub mod cadence;
pub mod engine_ext;
mod insights;
pub mod options;
pub mod overlap;
pub mod seats;
pub mod term;

pub use options::{RateOption, ReportOptions, ReportSettings};

use crate::date::Date;
use crate::diagnostics::DiagnosticCode;
use crate::diagnostics::Severity;
use crate::money::Amount;
use crate::text::Text;
use crate::transactions::seats::Period;
use crate::transactions::{LineMode, Transaction};
use crate::users::{User, UserKind, UserStatus};
use cadence::CadenceKind;
use serde::Serialize;
use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

pub const REPORT_VERSION: u32 = 1;
/// Transaction ids listed per data-quality issue.
const ISSUE_IDS_MAX: usize = 50;

/// What the report needs to know about the engine besides transactions and users.
#[derive(Debug, Clone)]
pub struct ReportContext {
    pub line_mode: LineMode,
    pub window_start: Option<Date>,
    pub diagnostics_by_code: BTreeMap<String, u64>,
    pub diagnostics_suppressed: u64,
    /// Whether the environment's users API has `contactEmail` at all (BC 25.0+): it decides the
    /// advice for users without an e-mail ([`crate::users::email_hint`]).
    pub contact_email_field: bool,
    /// The domain of each vendor card's website (else its e-mail), by (company id, vendor id):
    /// a software-like domain is evidence that an unknown recurring vendor sells software.
    pub vendor_domains: BTreeMap<(String, String), String>,
    /// The catalog the transactions were matched with: it gives each app's pricing model
    /// (seat, flat, usage, mixed). `None`: the shipped catalog.
    pub catalog: Option<crate::catalog::Catalog>,
}

impl Default for ReportContext {
    fn default() -> Self {
        ReportContext {
            line_mode: LineMode::Invoice,
            window_start: None,
            diagnostics_by_code: BTreeMap::new(),
            diagnostics_suppressed: 0,
            contact_email_field: true,
            vendor_domains: BTreeMap::new(),
            catalog: None,
        }
    }
}

// ---------------------------------------------------------------- output types

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Money {
    pub currency: String,
    pub amount_excluding_tax: Amount,
    pub amount_including_tax: Amount,
    pub transactions: u64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Reporting {
    pub currency: String,
    pub amount_excluding_tax: Amount,
    pub amount_including_tax: Amount,
    pub converted_transactions: u64,
    pub missing_rate_transactions: u64,
    pub complete: bool,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ReportingTotal {
    pub currency: String,
    pub amount_excluding_tax: Amount,
    pub amount_including_tax: Amount,
    pub matched_excluding_tax: Amount,
    pub unmatched_excluding_tax: Amount,
    pub converted_transactions: u64,
    pub missing_rate_transactions: u64,
    pub complete: bool,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct RankingCurrency {
    pub currency: String,
    pub reporting: bool,
}

#[derive(Debug, Clone, Serialize, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct ReportCounts {
    pub transactions: u64,
    pub included: u64,
    pub matched: u64,
    pub unmatched: u64,
    pub ignored_by_rule: u64,
    pub after_as_of: u64,
    pub apps: u64,
    pub unmatched_vendors: u64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct CurrencyTotal {
    pub currency: String,
    pub transactions: u64,
    pub matched_transactions: u64,
    pub amount_excluding_tax: Amount,
    pub amount_including_tax: Amount,
    pub matched_excluding_tax: Amount,
    pub unmatched_excluding_tax: Amount,
    pub ignored_transactions: u64,
    pub ignored_excluding_tax: Amount,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct TopApp {
    pub app_id: String,
    pub app_name: String,
    pub category: String,
    pub amount_excluding_tax: Amount,
    pub share_percent: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct TopApps {
    pub currency: String,
    pub reporting: bool,
    pub apps: Vec<TopApp>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Channel {
    /// `direct`, `reseller` or `marketplace`.
    pub channel: &'static str,
    pub via_id: Option<String>,
    pub via_name: Option<String>,
    pub vendor_names: Vec<String>,
    pub transactions: u64,
    pub spend: Vec<Money>,
    pub last_date: Date,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Subscription {
    pub company_id: String,
    pub company_name: Option<String>,
    pub currency: String,
    pub kind: CadenceKind,
    pub confidence: f64,
    /// Months between renewals: 1, 3, 12, or the term a line states (24, 36); `None` when
    /// irregular or a single charge with no stated term.
    pub term_months: Option<u32>,
    pub charges: u64,
    pub median_interval_days: Option<i64>,
    pub last_charge_date: Date,
    pub last_charge_amount: Amount,
    pub previous_charge_amount: Option<Amount>,
    pub next_expected: Option<Date>,
    pub overdue: bool,
    pub annual_estimate: Option<Amount>,
    /// Seats on the latest charge whose line says them (see [`SeatPoint`]), and its price per
    /// seat per month; `None` when no charge's line says seats.
    pub seats: Option<u32>,
    pub price_per_seat_monthly: Option<Amount>,
    /// One entry per charge whose line says seats, in date order (one per charge event and
    /// channel).
    pub seat_history: Vec<SeatPoint>,
    pub transaction_ids: Vec<String>,
}

/// The seats and price per seat of one charge.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct SeatPoint {
    pub date: Date,
    pub seats: u32,
    /// Per seat for the period the line covers, as the line gives it.
    pub unit_price: Option<Amount>,
    /// The period the charge covers: the line's, else the subscription's cadence (`monthly`,
    /// `quarterly`, `annual`, or `multiYear` with `termMonths`); `None` when neither says it.
    pub period: Option<Period>,
    pub term_months: Option<u32>,
    /// `unitPrice` divided by the months of the period, rounded half to even to 0.0001.
    pub price_per_seat_monthly: Option<Amount>,
    /// `direct`, `reseller` or `marketplace`, and the reseller's or marketplace's id.
    pub channel: &'static str,
    pub via_id: Option<String>,
    pub transaction_id: String,
    /// The words of its line that name the plan: two channels' prices are compared for one plan.
    #[serde(skip)]
    pub plan: BTreeSet<String>,
}

/// A price per seat per month in one currency.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct SeatPrice {
    pub currency: String,
    pub amount: Amount,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct AppReport {
    pub app_id: String,
    pub app_name: String,
    pub category: String,
    /// `seat`, `flat`, `usage` or `mixed`: the catalog's pricing model (see the catalog README).
    pub pricing: &'static str,
    pub spend: Vec<Money>,
    pub reporting: Option<Reporting>,
    pub transactions: u64,
    pub vendors: Vec<String>,
    pub channels: Vec<Channel>,
    pub company_ids: Vec<String>,
    pub first_date: Date,
    pub last_date: Date,
    pub active: bool,
    pub cadence: Option<Subscription>,
    pub subscriptions: Vec<Subscription>,
    /// The seats and price per seat per month of the main subscription (`cadence`), when its
    /// lines say seats.
    pub seats: Option<u32>,
    pub price_per_seat_monthly: Option<SeatPrice>,
    pub transaction_ids: Vec<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct CategoryReport {
    pub category: String,
    pub app_ids: Vec<String>,
    pub spend: Vec<Money>,
    pub reporting: Option<Reporting>,
    pub transactions: u64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct VendorReport {
    pub vendor_name: String,
    pub vendor_ids: Vec<String>,
    pub company_ids: Vec<String>,
    pub app_ids: Vec<String>,
    pub matched_transactions: u64,
    pub unmatched_transactions: u64,
    pub spend: Vec<Money>,
    pub reporting: Option<Reporting>,
    pub transactions: u64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct CompanyReport {
    pub company_id: String,
    pub company_name: Option<String>,
    pub spend: Vec<Money>,
    pub reporting: Option<Reporting>,
    pub transactions: u64,
    pub matched_transactions: u64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct MonthRow {
    pub month: String,
    pub currency: String,
    pub reporting: bool,
    pub amount_excluding_tax: Amount,
    pub amount_including_tax: Amount,
    pub matched_excluding_tax: Amount,
    pub unmatched_excluding_tax: Amount,
    pub transactions: u64,
    pub apps: BTreeMap<String, Amount>,
    pub categories: BTreeMap<String, Amount>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Renewal {
    pub app_id: String,
    pub app_name: String,
    pub company_id: String,
    pub company_name: Option<String>,
    pub currency: String,
    pub cadence: CadenceKind,
    /// Months the term runs: 3, 12, or what the line states (24, 36).
    pub term_months: u32,
    /// False when the subscription had a single charge and the renewal assumes it is annual.
    pub confirmed: bool,
    /// How sure the cadence is, 0..1 (display only).
    pub confidence: f64,
    /// What says so: the charge dates, the words of the line.
    pub evidence: Vec<String>,
    pub due_date: Date,
    pub days_until: i64,
    /// Due within `renewalWindowDays`: only those have an insight.
    pub in_window: bool,
    pub expected_amount: Amount,
    pub insight_id: Option<String>,
    pub transaction_ids: Vec<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct UnmatchedVendor {
    pub vendor_name: String,
    pub vendor_ids: Vec<String>,
    pub company_ids: Vec<String>,
    pub spend: Vec<Money>,
    pub reporting: Option<Reporting>,
    pub transactions: u64,
    pub months: u64,
    pub first_date: Date,
    pub last_date: Date,
    pub cadence: CadenceKind,
    pub possible_shadow_saas: bool,
    pub signals: Vec<String>,
    pub descriptions: Vec<String>,
    pub transaction_ids: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum InsightSeverity {
    High,
    Medium,
    Low,
    Info,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct InsightAmount {
    /// `latest`, `previous`, `baseline`, `expected`, `total` or `annualEstimate`.
    pub label: &'static str,
    pub currency: String,
    pub amount: Amount,
    /// What the amount belongs to when an insight has several subjects (an app id, a channel).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Insight {
    pub id: String,
    pub kind: &'static str,
    pub severity: InsightSeverity,
    pub title: String,
    pub message: String,
    pub app_id: Option<String>,
    pub app_ids: Vec<String>,
    pub vendor_name: Option<String>,
    pub category: Option<String>,
    /// Overlaps: the job the apps share (`video-meetings`, `password-managers`, ...).
    pub function: Option<String>,
    pub company_id: Option<String>,
    pub date: Option<Date>,
    pub amounts: Vec<InsightAmount>,
    pub change_percent: Option<String>,
    /// Seat insights and a change in price per seat: the seats on the latest charge and on the
    /// one compared with.
    pub seats: Option<u32>,
    pub previous_seats: Option<u32>,
    pub transaction_ids: Vec<String>,
    pub user_ids: Vec<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct UserRef {
    pub id: String,
    pub user_name: Option<String>,
    pub display_name: Option<String>,
    pub status: UserStatus,
    pub invalid_email: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct DuplicatedEmail {
    pub email: String,
    pub user_ids: Vec<String>,
    pub user_names: Vec<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct UsersReport {
    pub total: u64,
    pub persons: u64,
    pub non_human: u64,
    pub active: u64,
    pub inactive: u64,
    pub active_without_email: u64,
    pub without_email: Vec<UserRef>,
    pub duplicated_emails: Vec<DuplicatedEmail>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct MissingRate {
    pub from: String,
    pub to: String,
    pub first_date: Date,
    pub last_date: Date,
    pub transactions: u64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct QualityIssue {
    pub code: DiagnosticCode,
    pub severity: Severity,
    pub count: u64,
    pub message: String,
    pub transaction_ids: Vec<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct DataQuality {
    pub diagnostics_by_code: BTreeMap<String, u64>,
    pub diagnostics_suppressed: u64,
    pub missing_rates: Vec<MissingRate>,
    pub issues: Vec<QualityIssue>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub version: u32,
    pub as_of: Date,
    pub window_start: Option<Date>,
    pub line_mode: LineMode,
    pub reporting_currency: Option<String>,
    pub ranking_currency: Option<RankingCurrency>,
    pub counts: ReportCounts,
    pub totals: Vec<CurrencyTotal>,
    pub reporting_total: Option<ReportingTotal>,
    pub top_apps: Vec<TopApps>,
    pub apps: Vec<AppReport>,
    pub categories: Vec<CategoryReport>,
    pub vendors: Vec<VendorReport>,
    pub companies: Vec<CompanyReport>,
    pub months: Vec<MonthRow>,
    pub renewals: Vec<Renewal>,
    pub unmatched: Vec<UnmatchedVendor>,
    pub insights: Vec<Insight>,
    pub users: UsersReport,
    pub data_quality: DataQuality,
    /// Set when some transactions have no currency (their company's local currency is blank):
    /// what to print where a currency is expected, and the remedy, so every host says the same.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub currency_missing: Option<CurrencyMissing>,
}

/// What is printed in place of a blank currency code, in insight texts and by hosts.
pub(crate) const NO_CURRENCY_LABEL: &str = "no currency";

/// Transactions without a currency, and how to give them one.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct CurrencyMissing {
    pub transactions: u64,
    /// Printed in place of the empty currency code.
    pub label: String,
    pub remedy: String,
}

// ---------------------------------------------------------------- accumulation

/// A transaction's amounts in the reporting currency.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Conv {
    /// No reporting currency asked for.
    Off,
    Missing,
    Done(Amount, Amount),
}

/// An included transaction with what the report derives from it once: its conversion, and
/// the ids (see [`Keys`]) of the strings it is grouped by.
pub(crate) struct Item<'a> {
    pub t: &'a Transaction,
    pub conv: Conv,
    /// Copies of `t`'s date and amounts: most passes over the items need only these and the
    /// ids below, and a pass that reads them here does not load each transaction's own
    /// memory (~23,000 scattered records, cache misses were a large part of a report).
    pub date: Date,
    pub excl: Amount,
    pub incl: Amount,
    /// Its currency, company, trimmed vendor name and vendor key.
    pub cur: u32,
    pub company: u32,
    pub vname: u32,
    pub vkey: u32,
    /// Its vendor id; [`NONE`] without one.
    pub vid: u32,
    /// Its app and category; [`NONE`] when unmatched.
    pub app: u32,
    pub category: u32,
}

/// No id: an item without a vendor id, or unmatched.
pub(crate) const NONE: u32 = u32::MAX;

/// Distinct strings of one kind, each with a small id: a report groups ~10,000s of
/// transactions by a few hundred companies, vendors and apps, and comparing ids replaced the
/// B-trees keyed by their text (a `memcmp` per level per transaction). Once every string is
/// seen the ids are renumbered in the strings' order ([`Names::sort`]), so ordering by id is
/// ordering by text and the report's order does not change.
#[derive(Default)]
pub(crate) struct Names<'a> {
    ids: crate::fastmap::FastMap<&'a str, u32>,
    list: Vec<&'a str>,
}

impl<'a> Names<'a> {
    fn intern(&mut self, s: &'a str) -> u32 {
        crate::fastmap::number(&mut self.list, &mut self.ids, s)
    }

    /// Puts the strings in order; returns each first-seen id's new id.
    fn sort(&mut self) -> Vec<u32> {
        let mut order: Vec<u32> = (0..self.list.len() as u32).collect();
        // Distinct strings: the order is total.
        order.sort_unstable_by(|&a, &b| self.list[a as usize].cmp(self.list[b as usize]));
        let mut rank = vec![0u32; order.len()];
        for (r, &i) in order.iter().enumerate() {
            rank[i as usize] = r as u32;
        }
        self.list = order.iter().map(|&i| self.list[i as usize]).collect();
        self.ids.clear();
        rank
    }

    /// The string of id `i`.
    pub fn name(&self, i: u32) -> &'a str {
        self.list[i as usize]
    }

    pub fn len(&self) -> usize {
        self.list.len()
    }
}

/// The report's [`Names`]: what [`Item`]'s ids name.
#[derive(Default)]
pub(crate) struct Keys<'a> {
    pub cur: Names<'a>,
    pub company: Names<'a>,
    pub vname: Names<'a>,
    pub vid: Names<'a>,
    pub app: Names<'a>,
    pub category: Names<'a>,
    /// The reporting currency's id among the currencies.
    pub reporting: Option<u32>,
}

impl<'a> Keys<'a> {
    /// Gives `items` their ids, the reporting currency one too, and the vendor keys theirs.
    fn assign(
        items: &mut [Item<'a>],
        reporting: Option<&'a str>,
        vendor_keys: &mut VendorKeys<'a>,
    ) -> Keys<'a> {
        let mut k = Keys::default();
        // A vendor's name as written: its key and trimmed spelling, worked out once.
        let mut vendors: crate::fastmap::FastMap<&'a str, (u32, u32)> = Default::default();
        for it in items.iter_mut() {
            let t = it.t;
            it.cur = k.cur.intern(&t.currency);
            it.company = k.company.intern(&t.company_id);
            (it.vkey, it.vname) = *vendors.entry(&t.vendor_name).or_insert_with(|| {
                (
                    vendor_keys.id(&t.vendor_name) as u32,
                    k.vname.intern(t.vendor_name.trim()),
                )
            });
            it.vid = t.vendor_id.as_deref().map_or(NONE, |v| k.vid.intern(v));
            if let Some(m) = &t.match_ {
                it.app = k.app.intern(&m.app_id);
                it.category = k.category.intern(&m.category);
            }
        }
        let rc = reporting.map(|c| k.cur.intern(c));
        let cur = k.cur.sort();
        let company = k.company.sort();
        let vname = k.vname.sort();
        let vid = k.vid.sort();
        let app = k.app.sort();
        let category = k.category.sort();
        let re = |r: &[u32], i: u32| if i == NONE { NONE } else { r[i as usize] };
        for it in items.iter_mut() {
            it.cur = cur[it.cur as usize];
            it.company = company[it.company as usize];
            it.vname = vname[it.vname as usize];
            it.vid = re(&vid, it.vid);
            it.app = re(&app, it.app);
            it.category = re(&category, it.category);
        }
        k.reporting = rc.map(|i| cur[i as usize]);
        k
    }
}

/// Amounts excluding and including tax and transactions per currency, in currency order. A
/// report has a handful of currencies and adds every transaction to several of these, so a
/// sorted vector searched in order replaces a B-tree of `String`s (two searches per add).
/// Searched by the currency's id ([`Keys`]), which orders as its code does.
#[derive(Debug, Clone, Default)]
pub(crate) struct PerCurrency(Vec<(u32, String, (Amount, Amount, u64))>);

impl PerCurrency {
    /// `currency` is a `&Text`, not a `&str`: its text is read only when the currency is new
    /// here (a `&str` argument loads the transaction's text, a cache miss per call).
    fn slot(&mut self, id: u32, currency: &Text) -> &mut (Amount, Amount, u64) {
        let at = match self.0.iter().position(|(c, _, _)| *c >= id) {
            Some(i) if self.0[i].0 == id => i,
            Some(i) => {
                self.0
                    .insert(i, (id, currency.to_string(), Default::default()));
                i
            }
            None => {
                self.0.push((id, currency.to_string(), Default::default()));
                self.0.len() - 1
            }
        };
        &mut self.0[at].2
    }

    pub fn iter(&self) -> impl Iterator<Item = (&String, &(Amount, Amount, u64))> {
        self.0.iter().map(|(_, c, v)| (c, v))
    }

    pub fn get(&self, currency: &str) -> Option<&(Amount, Amount, u64)> {
        self.0
            .iter()
            .find(|(_, c, _)| c == currency)
            .map(|(_, _, v)| v)
    }
}

/// Spend per currency, plus its reporting-currency figure.
#[derive(Debug, Clone, Default)]
pub(crate) struct Acc {
    pub cur: PerCurrency,
    pub rep_excl: Amount,
    pub rep_incl: Amount,
    pub converted: u64,
    pub missing: u64,
    pub n: u64,
}

impl Acc {
    pub fn add(&mut self, it: &Item) {
        let e = self.cur.slot(it.cur, &it.t.currency);
        e.0 += it.excl;
        e.1 += it.incl;
        e.2 += 1;
        self.n += 1;
        match it.conv {
            Conv::Off => {}
            Conv::Missing => self.missing += 1,
            Conv::Done(x, i) => {
                self.rep_excl += x;
                self.rep_incl += i;
                self.converted += 1;
            }
        }
    }

    pub fn money(&self) -> Vec<Money> {
        self.cur
            .iter()
            .map(|(c, (x, i, n))| Money {
                currency: c.clone(),
                amount_excluding_tax: *x,
                amount_including_tax: *i,
                transactions: *n,
            })
            .collect()
    }

    pub fn reporting(&self, s: &ReportSettings) -> Option<Reporting> {
        s.reporting_currency.as_ref().map(|c| Reporting {
            currency: c.clone(),
            amount_excluding_tax: self.rep_excl,
            amount_including_tax: self.rep_incl,
            converted_transactions: self.converted,
            missing_rate_transactions: self.missing,
            complete: self.missing == 0,
        })
    }

    pub fn excl_in(&self, currency: &str) -> Option<Amount> {
        self.cur.get(currency).map(|v| v.0)
    }
}

/// `m[k]`, inserted with the default when missing. The key is cloned only on insert: most
/// lookups hit, and a clone per transaction per map dominated the report's time at 50,000
/// transactions.
pub(crate) fn slot<'m, V: Default>(m: &'m mut BTreeMap<String, V>, k: &str) -> &'m mut V {
    if !m.contains_key(k) {
        m.insert(k.to_owned(), V::default());
    }
    m.get_mut(k).expect("inserted above")
}

/// Orders two accumulators by spend in the ranking currency, largest first (see REPORT.md).
pub(crate) fn cmp_rank(a: &Acc, b: &Acc, r: Option<&RankingCurrency>) -> Ordering {
    let Some(r) = r else { return Ordering::Equal };
    if r.reporting {
        return b.rep_excl.cmp(&a.rep_excl);
    }
    match (a.excl_in(&r.currency), b.excl_in(&r.currency)) {
        (Some(x), Some(y)) => y.cmp(&x),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => {
            let fa = a.cur.iter().next();
            let fb = b.cur.iter().next();
            match (fa, fb) {
                (Some((ca, va)), Some((cb, vb))) => ca.cmp(cb).then(vb.0.cmp(&va.0)),
                _ => fa.is_none().cmp(&fb.is_none()),
            }
        }
    }
}

/// The vendors of a report by [`vendor_key`], worked out once per distinct name: each key gets
/// a small id, so a vendor's figures are kept in a vector by id instead of a B-tree searched
/// with the key's text for every transaction.
#[derive(Default)]
pub(crate) struct VendorKeys<'a> {
    by_name: crate::fastmap::FastMap<&'a str, u32>,
    by_key: crate::fastmap::FastMap<String, u32>,
    keys: Vec<String>,
}

impl<'a> VendorKeys<'a> {
    /// The id of `name`'s key, from 0 up in order of first sight.
    pub fn id(&mut self, name: &'a str) -> usize {
        if let Some(&id) = self.by_name.get(name) {
            return id as usize;
        }
        let key = vendor_key(name);
        let id = match self.by_key.get(&key) {
            Some(&id) => id,
            None => {
                let id = self.keys.len() as u32;
                self.keys.push(key.clone());
                self.by_key.insert(key, id);
                id
            }
        };
        self.by_name.insert(name, id);
        id as usize
    }

    pub fn key(&self, id: usize) -> &str {
        &self.keys[id]
    }
}

/// `v[i]`, the vector grown with defaults up to it.
pub(crate) fn at<V: Default>(v: &mut Vec<V>, i: usize) -> &mut V {
    if v.len() <= i {
        v.resize_with(i + 1, V::default);
    }
    &mut v[i]
}

/// Vendor names grouped across spellings: case, spacing and punctuation folded.
pub(crate) fn vendor_key(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut space = false;
    for c in name.chars() {
        if c.is_alphanumeric() {
            if space && !out.is_empty() {
                out.push(' ');
            }
            space = false;
            if c.is_ascii() {
                out.push(c.to_ascii_lowercase());
            } else {
                out.extend(c.to_lowercase());
            }
        } else {
            space = true;
        }
    }
    out
}

/// How often each spelling of a vendor (a trimmed name's id in [`Keys::vname`]) was seen.
#[derive(Default)]
pub(crate) struct Spellings(Vec<(u32, u64)>);

impl Spellings {
    pub fn add(&mut self, name: u32) {
        match self.0.iter_mut().find(|(n, _)| *n == name) {
            Some(e) => e.1 += 1,
            None => self.0.push((name, 1)),
        }
    }

    /// The most frequent spelling (ties: the smallest), for display.
    pub fn preferred(&self, names: &Names) -> String {
        self.0
            .iter()
            .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)))
            .map(|(n, _)| names.name(*n).to_owned())
            .unwrap_or_default()
    }

    /// The spellings in order.
    pub fn in_order<'n>(&self, names: &Names<'n>) -> Vec<&'n str> {
        let mut ids: Vec<u32> = self.0.iter().map(|(n, _)| *n).collect();
        ids.sort_unstable();
        ids.into_iter().map(|i| names.name(i)).collect()
    }
}

/// The strings of a set of ids, in order.
pub(crate) fn names_of(names: &Names, ids: BTreeSet<u32>) -> Vec<String> {
    ids.into_iter().map(|i| names.name(i).to_owned()).collect()
}

fn month_index(d: Date) -> i64 {
    d.year as i64 * 12 + d.month as i64 - 1
}

fn month_string(i: i64) -> String {
    format!("{:04}-{:02}", i.div_euclid(12), i.rem_euclid(12) + 1)
}

/// Months zero-filled before `asOf`'s month, at most.
const MONTHS_ZERO_FILL_MAX: i64 = 240;

#[derive(Default)]
struct MonthAcc {
    excl: Amount,
    incl: Amount,
    matched: Amount,
    unmatched: Amount,
    n: u64,
    /// By app and category id ([`Keys`]).
    apps: BTreeMap<u32, Amount>,
    categories: BTreeMap<u32, Amount>,
}

impl MonthAcc {
    fn add(&mut self, it: &Item, excl: Amount, incl: Amount) {
        self.excl += excl;
        self.incl += incl;
        self.n += 1;
        if it.app != NONE {
            self.matched += excl;
            *self.apps.entry(it.app).or_default() += excl;
            *self.categories.entry(it.category).or_default() += excl;
        } else {
            self.unmatched += excl;
        }
    }
}

// ---------------------------------------------------------------- building

/// Builds the report. `txs` may be in any order; the output's order is fixed (see REPORT.md).
pub fn build_report(
    txs: &[Transaction],
    users: &[User],
    ctx: &ReportContext,
    s: &ReportSettings,
) -> Report {
    let mut counts = ReportCounts {
        transactions: txs.len() as u64,
        ..Default::default()
    };
    // The transactions are read in the order they are held (one pass through their memory),
    // then the items are put in date order (see below).
    let mut after_as_of: Vec<(Date, &str)> = Vec::new();
    let mut ignored: BTreeMap<String, (u64, Amount)> = BTreeMap::new();
    let mut items: Vec<Item> = Vec::with_capacity(txs.len());
    for t in txs {
        if t.date > s.as_of {
            after_as_of.push((t.date, &t.id));
            continue;
        }
        if t.ignored_by_rule.is_some() {
            let e = ignored.entry(t.currency.to_string()).or_default();
            e.0 += 1;
            e.1 += t.amount_excluding_tax;
            continue;
        }
        let conv = match &s.reporting_currency {
            None => Conv::Off,
            Some(_) => match s.rate_for(&t.currency, t.date) {
                None => Conv::Missing,
                Some(r) => match (
                    r.convert(t.amount_excluding_tax),
                    r.convert(t.amount_including_tax),
                ) {
                    (Some(x), Some(i)) => Conv::Done(x, i),
                    _ => Conv::Missing,
                },
            },
        };
        items.push(Item {
            t,
            conv,
            date: t.date,
            excl: t.amount_excluding_tax,
            incl: t.amount_including_tax,
            cur: 0,
            company: 0,
            vname: 0,
            vkey: 0,
            vid: NONE,
            app: NONE,
            category: NONE,
        });
    }
    let mut vendor_keys = VendorKeys::default();
    let keys = Keys::assign(
        &mut items,
        s.reporting_currency.as_deref(),
        &mut vendor_keys,
    );
    // Date then id order, stable: as sorting every transaction and then leaving some out. A
    // comparison reads a transaction (its id) only when dates tie; the standard sort is ~2x
    // faster than `crate::sort` on 30,000 rows.
    let mut order: Vec<u32> = (0..items.len() as u32).collect();
    order.sort_by(|&a, &b| {
        let (a, b) = (&items[a as usize], &items[b as usize]);
        a.date.cmp(&b.date).then_with(|| a.t.id.cmp(&b.t.id))
    });
    let mut slots: Vec<Option<Item>> = items.into_iter().map(Some).collect();
    let items: Vec<Item> = order
        .iter()
        .map(|&i| slots[i as usize].take().expect("each item once"))
        .collect();
    drop(slots);
    after_as_of.sort();
    let after_as_of: Vec<&str> = after_as_of.into_iter().map(|(_, id)| id).collect();
    counts.after_as_of = after_as_of.len() as u64;
    counts.ignored_by_rule = ignored.values().map(|v| v.0).sum();
    counts.included = items.len() as u64;
    counts.matched = items.iter().filter(|i| i.app != NONE).count() as u64;
    counts.unmatched = counts.included - counts.matched;

    // Totals per currency, and the reporting total.
    let mut totals: BTreeMap<String, CurrencyTotal> = BTreeMap::new();
    let blank = |c: &str| CurrencyTotal {
        currency: c.to_owned(),
        transactions: 0,
        matched_transactions: 0,
        amount_excluding_tax: Amount::ZERO,
        amount_including_tax: Amount::ZERO,
        matched_excluding_tax: Amount::ZERO,
        unmatched_excluding_tax: Amount::ZERO,
        ignored_transactions: 0,
        ignored_excluding_tax: Amount::ZERO,
    };
    let mut all = Acc::default();
    let (mut rep_matched, mut rep_unmatched) = (Amount::ZERO, Amount::ZERO);
    // By currency id first (the reporting currency's stays empty), then by code with the
    // ignored transactions' currencies.
    let mut by_cur: Vec<Option<CurrencyTotal>> = Vec::new();
    by_cur.resize_with(keys.cur.len(), || None);
    for it in &items {
        let t = it.t;
        all.add(it);
        let e = by_cur[it.cur as usize].get_or_insert_with(|| blank(&t.currency));
        e.transactions += 1;
        e.amount_excluding_tax += it.excl;
        e.amount_including_tax += it.incl;
        let matched = it.app != NONE;
        if matched {
            e.matched_transactions += 1;
            e.matched_excluding_tax += it.excl;
        } else {
            e.unmatched_excluding_tax += it.excl;
        }
        if let Conv::Done(x, _) = it.conv {
            if matched {
                rep_matched += x;
            } else {
                rep_unmatched += x;
            }
        }
    }
    totals.extend(
        by_cur
            .into_iter()
            .flatten()
            .map(|t| (t.currency.clone(), t)),
    );
    for (c, (n, a)) in &ignored {
        let e = totals.entry(c.clone()).or_insert_with(|| blank(c));
        e.ignored_transactions = *n;
        e.ignored_excluding_tax = *a;
    }
    let reporting_total = s.reporting_currency.as_ref().map(|c| ReportingTotal {
        currency: c.clone(),
        amount_excluding_tax: all.rep_excl,
        amount_including_tax: all.rep_incl,
        matched_excluding_tax: rep_matched,
        unmatched_excluding_tax: rep_unmatched,
        converted_transactions: all.converted,
        missing_rate_transactions: all.missing,
        complete: all.missing == 0,
    });

    let ranking = match &s.reporting_currency {
        Some(c) => Some(RankingCurrency {
            currency: c.clone(),
            reporting: true,
        }),
        None => all
            .cur
            .iter()
            .max_by(|a, b| {
                (a.1 .2, !a.0.is_empty())
                    .cmp(&(b.1 .2, !b.0.is_empty()))
                    .then(b.0.cmp(a.0))
            })
            .map(|(c, _)| RankingCurrency {
                currency: c.clone(),
                reporting: false,
            }),
    };
    let rk = ranking.as_ref();

    let mut b = insights::Builder::new();

    // Apps.
    let catalog = ctx
        .catalog
        .clone()
        .unwrap_or_else(crate::catalog::Catalog::builtin);
    let apps = insights::apps(&items, &keys, s, rk, &catalog, &mut b);
    counts.apps = apps.len() as u64;

    // Categories.
    let mut cats: Vec<(Acc, BTreeSet<u32>)> = Vec::new();
    cats.resize_with(keys.category.len(), Default::default);
    for it in items.iter().filter(|i| i.app != NONE) {
        let e = &mut cats[it.category as usize];
        e.0.add(it);
        e.1.insert(it.app);
    }
    let mut cat_list: Vec<(u32, Acc, BTreeSet<u32>)> = cats
        .into_iter()
        .enumerate()
        .map(|(k, (a, ids))| (k as u32, a, ids))
        .collect();
    crate::sort::sort_by(&mut cat_list, |x, y| {
        cmp_rank(&x.1, &y.1, rk).then(x.0.cmp(&y.0))
    });
    let categories = cat_list
        .into_iter()
        .map(|(category, acc, ids)| CategoryReport {
            category: keys.category.name(category).to_owned(),
            app_ids: ids
                .into_iter()
                .map(|i| keys.app.name(i).to_owned())
                .collect(),
            spend: acc.money(),
            reporting: acc.reporting(s),
            transactions: acc.n,
        })
        .collect();

    // Vendors (matched and unmatched).
    #[derive(Default)]
    struct VAcc {
        acc: Acc,
        names: Spellings,
        ids: BTreeSet<u32>,
        companies: BTreeSet<u32>,
        apps: BTreeSet<u32>,
        matched: u64,
    }
    let mut vaccs: Vec<VAcc> = Vec::new();
    for it in &items {
        let e = at(&mut vaccs, it.vkey as usize);
        e.acc.add(it);
        e.names.add(it.vname);
        if it.vid != NONE {
            e.ids.insert(it.vid);
        }
        e.companies.insert(it.company);
        if it.app != NONE {
            e.apps.insert(it.app);
            e.matched += 1;
        }
    }
    // Keys are distinct, so the order below is total whatever the order they were seen in.
    let mut vlist: Vec<(String, VAcc)> = vaccs
        .into_iter()
        .enumerate()
        .map(|(id, v)| (vendor_keys.key(id).to_owned(), v))
        .collect();
    crate::sort::sort_by(&mut vlist, |x, y| {
        cmp_rank(&x.1.acc, &y.1.acc, rk).then(x.0.cmp(&y.0))
    });
    let vendors = vlist
        .into_iter()
        .map(|(_, v)| VendorReport {
            vendor_name: v.names.preferred(&keys.vname),
            vendor_ids: names_of(&keys.vid, v.ids),
            company_ids: names_of(&keys.company, v.companies),
            app_ids: names_of(&keys.app, v.apps),
            matched_transactions: v.matched,
            unmatched_transactions: v.acc.n - v.matched,
            spend: v.acc.money(),
            reporting: v.acc.reporting(s),
            transactions: v.acc.n,
        })
        .collect();

    // Companies.
    #[derive(Default)]
    struct CAcc {
        acc: Acc,
        name: Option<String>,
        matched: u64,
    }
    let mut cmap: Vec<CAcc> = Vec::new();
    cmap.resize_with(keys.company.len(), Default::default);
    for it in &items {
        let e = &mut cmap[it.company as usize];
        e.acc.add(it);
        if e.name.is_none() {
            e.name = it.t.company_name.as_deref().map(str::to_owned);
        }
        if it.app != NONE {
            e.matched += 1;
        }
    }
    let mut clist: Vec<(u32, CAcc)> = cmap
        .into_iter()
        .enumerate()
        .map(|(i, c)| (i as u32, c))
        .collect();
    crate::sort::sort_by(&mut clist, |x, y| {
        cmp_rank(&x.1.acc, &y.1.acc, rk).then(x.0.cmp(&y.0))
    });
    let companies = clist
        .into_iter()
        .map(|(id, c)| CompanyReport {
            company_id: keys.company.name(id).to_owned(),
            company_name: c.name,
            spend: c.acc.money(),
            reporting: c.acc.reporting(s),
            transactions: c.acc.n,
            matched_transactions: c.matched,
        })
        .collect();

    // Months.
    let months = build_months(&items, &keys, s);

    // Unmatched vendors and shadow SaaS.
    let unmatched = insights::unmatched(
        &items,
        &keys,
        &vendor_keys,
        &ctx.vendor_domains,
        s,
        rk,
        &mut b,
    );
    counts.unmatched_vendors = unmatched.len() as u64;

    // Top apps per currency.
    let top_apps = top_apps(&apps, &all, &totals, s, rk);

    // Users.
    let contact_email_field = ctx.contact_email_field;
    let users_report = insights::users(users, contact_email_field, &mut b);

    // Missing rates and data quality.
    struct Missing<'a> {
        first: Date,
        last: Date,
        ids: Vec<&'a str>,
        amounts: BTreeMap<String, Amount>,
    }
    let mut missing: BTreeMap<&str, Missing> = BTreeMap::new();
    for it in &items {
        if it.conv == Conv::Missing {
            let e = missing
                .entry(it.t.currency.as_str())
                .or_insert_with(|| Missing {
                    first: it.t.date,
                    last: it.t.date,
                    ids: Vec::new(),
                    amounts: BTreeMap::new(),
                });
            e.last = it.t.date;
            e.ids.push(&it.t.id);
            *slot(&mut e.amounts, &it.t.currency) += it.t.amount_excluding_tax;
        }
    }
    let to = s.reporting_currency.clone().unwrap_or_default();
    let missing_rates: Vec<MissingRate> = missing
        .iter()
        .map(|(from, m)| MissingRate {
            from: (*from).to_owned(),
            to: to.clone(),
            first_date: m.first,
            last_date: m.last,
            transactions: m.ids.len() as u64,
        })
        .collect();
    for (from, m) in &missing {
        b.missing_rate(
            from,
            &to,
            m.first,
            m.last,
            m.ids.len() as u64,
            &m.ids,
            &m.amounts,
        );
    }

    let mut issues = Vec::new();
    let mut issue = |code: DiagnosticCode, severity: Severity, ids: Vec<&str>, message: String| {
        if !ids.is_empty() {
            issues.push(QualityIssue {
                code,
                severity,
                count: ids.len() as u64,
                message,
                transaction_ids: ids
                    .into_iter()
                    .take(ISSUE_IDS_MAX)
                    .map(str::to_owned)
                    .collect(),
            });
        }
    };
    let n = after_as_of.len();
    issue(
        DiagnosticCode::TxAfterAsOf,
        Severity::Warning,
        after_as_of,
        format!(
            "{n} transaction(s) are dated after asOf ({}) and were left out of the report",
            s.as_of
        ),
    );
    let unknown: Vec<&str> = items
        .iter()
        .filter(|i| keys.cur.name(i.cur).is_empty())
        .map(|i| i.t.id.as_str())
        .collect();
    let n = unknown.len();
    issue(DiagnosticCode::TxCurrencyUnknown, Severity::Warning, unknown, format!("{n} transaction(s) have no currency (the company's local currency is unknown: read generalLedgerSetup or set defaultCurrency); they are reported under currency \"\""));
    let zero: Vec<&str> = items
        .iter()
        .filter(|i| i.excl.is_zero() && i.incl.is_zero())
        .map(|i| i.t.id.as_str())
        .collect();
    let n = zero.len();
    issue(
        DiagnosticCode::TxZeroAmount,
        Severity::Info,
        zero,
        format!("{n} transaction(s) have a zero amount"),
    );
    let norate: Vec<&str> = items
        .iter()
        .filter(|i| i.conv == Conv::Missing)
        .map(|i| i.t.id.as_str())
        .collect();
    let n = norate.len();
    issue(DiagnosticCode::RateMissing, Severity::Warning, norate, format!("{n} transaction(s) could not be converted to {to}: no rate dated on or before their date (see missingRates); reporting figures leave them out"));
    let persons_without = users_report.without_email.len() as u64;
    if persons_without > 0 {
        issues.push(QualityIssue {
            code: DiagnosticCode::UserNoContactEmail,
            severity: Severity::Warning,
            count: persons_without,
            message: format!(
                "{persons_without} user(s) have no valid contact e-mail. {}",
                crate::users::email_hint(contact_email_field)
            ),
            transaction_ids: vec![],
        });
    }
    let dups = users_report.duplicated_emails.len() as u64;
    if dups > 0 {
        issues.push(QualityIssue {
            code: DiagnosticCode::UserDuplicatedEmail,
            severity: Severity::Warning,
            count: dups,
            message: format!("{dups} contact e-mail address(es) are shared by more than one user"),
            transaction_ids: vec![],
        });
    }

    let (insights, renewals) = b.finish();

    Report {
        version: REPORT_VERSION,
        as_of: s.as_of,
        window_start: ctx.window_start,
        line_mode: ctx.line_mode,
        reporting_currency: s.reporting_currency.clone(),
        ranking_currency: ranking,
        counts,
        totals: totals.into_values().collect(),
        reporting_total,
        top_apps,
        apps,
        categories,
        vendors,
        companies,
        months,
        renewals,
        unmatched,
        insights,
        users: users_report,
        currency_missing: currency_missing(&items, &keys),
        data_quality: DataQuality {
            diagnostics_by_code: ctx.diagnostics_by_code.clone(),
            diagnostics_suppressed: ctx.diagnostics_suppressed,
            missing_rates,
            issues,
        },
    }
}

fn currency_missing(items: &[Item], keys: &Keys) -> Option<CurrencyMissing> {
    CurrencyMissing::of(
        items
            .iter()
            .filter(|i| keys.cur.name(i.cur).is_empty())
            .count() as u64,
    )
}

impl CurrencyMissing {
    /// The note for `transactions` without a currency; `None` when there are none. One text
    /// for the engine's summary and the report, so every host prints the same remedy.
    pub fn of(transactions: u64) -> Option<CurrencyMissing> {
        let n = transactions;
        (n > 0).then(|| CurrencyMissing {
            transactions: n,
            label: NO_CURRENCY_LABEL.to_owned(),
            remedy: format!("{n} transaction(s) have no currency because their company's local currency is blank in Business Central. Set it in the company's General Ledger Setup, or run again with --default-currency CODE (engine option defaultCurrency)."),
        })
    }
}

fn build_months(items: &[Item], keys: &Keys, s: &ReportSettings) -> Vec<MonthRow> {
    // Keyed by currency id, which orders as the code does (the reporting currency has one too).
    let mut rows: BTreeMap<(i64, u32, bool), MonthAcc> = BTreeMap::new();
    for it in items {
        let m = month_index(it.date);
        rows.entry((m, it.cur, false))
            .or_default()
            .add(it, it.excl, it.incl);
        if let (Conv::Done(x, i), Some(rc)) = (it.conv, keys.reporting) {
            rows.entry((m, rc, true)).or_default().add(it, x, i);
        }
    }
    if let Some(first) = rows.keys().map(|k| k.0).min() {
        let last = month_index(s.as_of);
        let start = first.max(last - MONTHS_ZERO_FILL_MAX);
        let series: BTreeSet<(u32, bool)> = crate::sort::btree(rows.keys().map(|k| (k.1, k.2)));
        for (c, r) in series {
            for m in start..=last {
                rows.entry((m, c, r)).or_default();
            }
        }
    }
    let named = |ids: BTreeMap<u32, Amount>, names: &Names| -> BTreeMap<String, Amount> {
        ids.into_iter()
            .map(|(i, a)| (names.name(i).to_owned(), a))
            .collect()
    };
    rows.into_iter()
        .map(|((m, currency, reporting), a)| MonthRow {
            month: month_string(m),
            currency: keys.cur.name(currency).to_owned(),
            reporting,
            amount_excluding_tax: a.excl,
            amount_including_tax: a.incl,
            matched_excluding_tax: a.matched,
            unmatched_excluding_tax: a.unmatched,
            transactions: a.n,
            apps: named(a.apps, &keys.app),
            categories: named(a.categories, &keys.category),
        })
        .collect()
}

fn top_apps(
    apps: &[AppReport],
    all: &Acc,
    totals: &BTreeMap<String, CurrencyTotal>,
    s: &ReportSettings,
    rk: Option<&RankingCurrency>,
) -> Vec<TopApps> {
    let mut out = Vec::new();
    let rank = |mut list: Vec<(Amount, &AppReport)>, total: Amount| -> Vec<TopApp> {
        list.retain(|(a, _)| a.0 > 0);
        crate::sort::sort_by(&mut list, |x, y| {
            y.0.cmp(&x.0).then(x.1.app_id.cmp(&y.1.app_id))
        });
        list.into_iter()
            .take(s.top_apps)
            .map(|(a, app)| TopApp {
                app_id: app.app_id.clone(),
                app_name: app.app_name.clone(),
                category: app.category.clone(),
                amount_excluding_tax: a,
                share_percent: options::percent_tenths(a.0 as i128, total.0 as i128),
            })
            .collect()
    };
    if let Some(rc) = &s.reporting_currency {
        let list = apps
            .iter()
            .filter_map(|a| a.reporting.as_ref().map(|r| (r.amount_excluding_tax, a)))
            .collect();
        out.push(TopApps {
            currency: rc.clone(),
            reporting: true,
            apps: rank(list, all.rep_excl),
        });
    }
    let mut currencies: Vec<&String> = totals.keys().collect();
    crate::sort::sort_by_key(&mut currencies, |c| {
        (
            rk.map_or(true, |r| r.reporting || &r.currency != *c),
            c.as_str(),
        )
    });
    for c in currencies {
        let list = apps
            .iter()
            .filter_map(|a| {
                a.spend
                    .iter()
                    .find(|m| &m.currency == c)
                    .map(|m| (m.amount_excluding_tax, a))
            })
            .collect();
        let total = all.excl_in(c).unwrap_or_default();
        out.push(TopApps {
            currency: c.clone(),
            reporting: false,
            apps: rank(list, total),
        });
    }
    out
}

//! Per-app figures, subscriptions and the insights drawn from them; unmatched vendors and
//! possible shadow SaaS; users.

use super::cadence::{self, add_months, CadenceKind, ChargeEvent};
use super::options::{div_half_even, percent_tenths};
use super::term::{LineFacts, LineReader, Term};
use super::*;
use crate::catalog::{Catalog, PricingModel};
use crate::matching::cue_label;
use crate::matching::lexicon::lexicon;
use crate::matching::normalize::tokenize;
use crate::transactions::stable_id;

/// Insight kinds, in the order insights of equal severity are listed.
pub const KINDS: &[&str] = &[
    "renewalDue",
    "renewalPossible",
    "priceIncrease",
    "priceDecrease",
    "seatsIncrease",
    "seatsDecrease",
    "usageTrend",
    "expectedChargeMissing",
    "overlappingApps",
    "paidThroughMultipleVendors",
    "channelPriceGap",
    "possibleShadowSaas",
    "usersWithoutEmail",
    "duplicatedUserEmails",
    "missingExchangeRates",
];

/// A renewal due within this many days is at least `medium`.
const RENEWAL_SOON_DAYS: i64 = 30;
/// The renewals of a currency this many largest by amount are at least `medium`.
const TOP_RENEWALS: usize = 3;
/// A single charge assumed annual: display only.
const UNCONFIRMED_RENEWAL_CONFIDENCE: f64 = 0.3;

/// What a report read on a transaction's texts: the readings (indexes into a [`LineReader`])
/// of its description and of each of its lines, in order, each text read once.
struct TxTexts<'r, 'a> {
    reader: &'r LineReader<'a>,
    description: u32,
    lines: &'r [u32],
}

impl TxTexts<'_, '_> {
    fn line(&self, i: usize) -> &LineFacts {
        self.reader.facts(self.lines[i])
    }
}

/// The periodic part of a charge: its amount less its add-on lines (extra seats, proration,
/// overage, services; see [`is_add_on`]). A transaction without lines is all add-on or none.
fn base_amount(t: &Transaction, texts: &TxTexts) -> Amount {
    match t.lines.as_deref() {
        Some(ls) if !ls.is_empty() => {
            let add_ons: i64 = ls
                .iter()
                .enumerate()
                .filter(|(i, _)| texts.line(*i).add_on)
                .map(|(_, l)| l.amount_excluding_tax.0)
                .sum();
            Amount(t.amount_excluding_tax.0.saturating_sub(add_ons))
        }
        _ if texts.reader.facts(texts.description).add_on => Amount::ZERO,
        _ => t.amount_excluding_tax,
    }
}

/// The seats a charge of one periodic line and its add-ons ("Loom Business - 9 users" and "5
/// additional seats (prorated)") states on its periodic line, read from that line's text. The
/// matched part has none (several product lines), but only one of them is the subscription's.
fn periodic_line_seats<'a>(
    t: &'a Transaction,
    texts: &TxTexts,
) -> Option<(
    u32,
    Option<Amount>,
    Option<crate::transactions::seats::Period>,
    &'a str,
)> {
    let mut periodic = t
        .lines
        .iter()
        .flatten()
        .enumerate()
        .filter(|(i, l)| l.amount_excluding_tax.0 > 0 && !texts.line(*i).add_on)
        .map(|(_, l)| l);
    let (Some(l), None) = (periodic.next(), periodic.next()) else {
        return None;
    };
    let terms = crate::transactions::seats::terms(&crate::transactions::seats::LineFigures {
        description: &l.description,
        description2: l.description2.as_deref(),
        net_amount: l.amount_excluding_tax,
        ..Default::default()
    });
    Some((terms.seats?, terms.unit_price, terms.period, &l.description))
}

/// The term a transaction's text states: its description, else one of its lines'.
fn line_term(t: &Transaction, texts: &TxTexts) -> Option<Term> {
    if let Some(term) = &texts.reader.facts(texts.description).term {
        return Some(term.clone());
    }
    t.lines
        .iter()
        .flatten()
        .enumerate()
        .filter(|(_, l)| l.amount_excluding_tax.0 > 0)
        .find_map(|(i, _)| texts.line(i).term.clone())
}

/// A subscription is still paid if its last charge is at most this old (non-periodic ones).
const ACTIVE_DAYS: i64 = 366;
/// A single charge's anniversary this many days past still counts as a possible renewal.
const ANNIVERSARY_GRACE_DAYS: i64 = 0;

pub(crate) struct Builder {
    insights: Vec<Insight>,
    renewals: Vec<Renewal>,
    /// Company names by id, to name the company in a title when one app has subscriptions in
    /// several.
    company_names: BTreeMap<String, String>,
}

pub(crate) fn ids(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| (*s).to_owned()).collect()
}

pub(crate) fn money_text(a: Amount, c: &str) -> String {
    if c.is_empty() {
        // The company's local currency is blank: the label `currencyMissing` gives hosts, set
        // apart so that a sentence around it still reads ("13.80 (no currency) a seat a month").
        format!("{a} ({NO_CURRENCY_LABEL})")
    } else {
        format!("{a} {c}")
    }
}

impl Builder {
    pub fn new() -> Self {
        Builder {
            insights: Vec::new(),
            renewals: Vec::new(),
            company_names: BTreeMap::new(),
        }
    }

    pub(crate) fn push(
        &mut self,
        kind: &'static str,
        subject: &[&str],
        severity: InsightSeverity,
        title: String,
        message: String,
    ) -> &mut Insight {
        let mut parts = vec![kind];
        parts.extend_from_slice(subject);
        self.insights.push(Insight {
            id: stable_id("ins_", &parts),
            kind,
            severity,
            title,
            message,
            app_id: None,
            app_ids: vec![],
            vendor_name: None,
            category: None,
            function: None,
            company_id: None,
            date: None,
            amounts: vec![],
            change_percent: None,
            seats: None,
            previous_seats: None,
            transaction_ids: vec![],
            user_ids: vec![],
        });
        self.insights.last_mut().expect("pushed")
    }

    /// The largest renewals of each currency (annual ones and quarterly ones in the window) get
    /// at least `medium`, whatever their due date: a manager prepares those early.
    fn rank_renewals(&mut self) {
        let mut by_currency: BTreeMap<&str, Vec<&Renewal>> = BTreeMap::new();
        for r in self.renewals.iter().filter(|r| r.confirmed) {
            by_currency.entry(&r.currency).or_default().push(r);
        }
        let mut top: Vec<(String, String, usize)> = Vec::new();
        for (currency, mut list) in by_currency {
            crate::sort::sort_by(&mut list, |a, b| {
                b.expected_amount
                    .cmp(&a.expected_amount)
                    .then(a.due_date.cmp(&b.due_date))
            });
            let n = list.len().min(TOP_RENEWALS);
            for r in list.into_iter().take(n) {
                if let Some(id) = &r.insight_id {
                    top.push((id.clone(), currency.to_owned(), n));
                }
            }
        }
        for (id, currency, n) in top {
            if let Some(i) = self.insights.iter_mut().find(|i| i.id == id) {
                if i.severity > InsightSeverity::Medium {
                    i.severity = InsightSeverity::Medium;
                }
                let what = if currency.is_empty() {
                    NO_CURRENCY_LABEL.to_owned()
                } else {
                    currency
                };
                i.message
                    .push_str(&format!(" It is among the {n} largest renewals in {what}."));
            }
        }
    }

    /// Insights about one app's subscriptions in several companies (or currencies) name theirs in
    /// the title ("Jira (CRONUS UK Ltd.): ..."), so two of them side by side can be told apart;
    /// insights with the same subject (the same id) are one, with the transactions of both.
    fn tell_apart(&mut self) {
        let mut merged: Vec<Insight> = Vec::with_capacity(self.insights.len());
        let mut at: BTreeMap<String, usize> = BTreeMap::new();
        for i in std::mem::take(&mut self.insights) {
            match at.get(&i.id) {
                Some(&k) => {
                    let m = &mut merged[k];
                    for t in i.transaction_ids {
                        if !m.transaction_ids.contains(&t) {
                            m.transaction_ids.push(t);
                        }
                    }
                }
                None => {
                    at.insert(i.id.clone(), merged.len());
                    merged.push(i);
                }
            }
        }
        self.insights = merged;
        let currency_of = |i: &Insight| i.amounts.first().map(|a| a.currency.clone());
        let mut subs: BTreeMap<String, BTreeSet<(String, Option<String>)>> = BTreeMap::new();
        for i in &self.insights {
            if let (Some(app), Some(company)) = (&i.app_id, &i.company_id) {
                subs.entry(app.clone())
                    .or_default()
                    .insert((company.clone(), currency_of(i)));
            }
        }
        for i in &mut self.insights {
            let (Some(app), Some(company)) = (&i.app_id, &i.company_id) else {
                continue;
            };
            let set = &subs[app];
            if set.len() < 2 {
                continue;
            }
            let companies: BTreeSet<&String> = crate::sort::btree(set.iter().map(|(c, _)| c));
            let currency = currency_of(i);
            let mut label = Vec::new();
            if companies.len() > 1 {
                label.push(
                    self.company_names
                        .get(company)
                        .cloned()
                        .unwrap_or_else(|| company.clone()),
                );
            }
            let currencies_here = set.iter().filter(|(c, _)| c == company).count();
            if currencies_here > 1 {
                let c = currency.unwrap_or_default();
                label.push(if c.is_empty() {
                    NO_CURRENCY_LABEL.to_owned()
                } else {
                    c
                });
            }
            if let Some(colon) = i.title.find(": ") {
                i.title
                    .insert_str(colon, &format!(" ({})", label.join(", ")));
            }
        }
    }

    pub fn finish(mut self) -> (Vec<Insight>, Vec<Renewal>) {
        self.rank_renewals();
        self.tell_apart();
        let kind_idx = |k: &str| KINDS.iter().position(|x| *x == k).unwrap_or(KINDS.len());
        crate::sort::sort_by(&mut self.insights, |a, b| {
            (a.severity, kind_idx(a.kind), a.date, &a.id).cmp(&(
                b.severity,
                kind_idx(b.kind),
                b.date,
                &b.id,
            ))
        });
        crate::sort::sort_by(&mut self.renewals, |a, b| {
            (a.due_date, &a.app_id, &a.company_id, &a.currency).cmp(&(
                b.due_date,
                &b.app_id,
                &b.company_id,
                &b.currency,
            ))
        });
        (self.insights, self.renewals)
    }

    #[allow(clippy::too_many_arguments)]
    pub fn missing_rate(
        &mut self,
        from: &str,
        to: &str,
        first: Date,
        last: Date,
        n: u64,
        tx: &[&str],
        amounts: &BTreeMap<String, Amount>,
    ) {
        let (title, message) = if from.is_empty() {
            (
                format!("{n} transaction(s) without a currency cannot be converted to {to}"),
                format!("{n} transaction(s) dated {first} to {last} have no currency (the company's local currency is unknown), so the {to} figures leave them out. Read generalLedgerSetup or set defaultCurrency."),
            )
        } else {
            (
                format!("No {from} to {to} rate for {n} transaction(s)"),
                format!("{n} transaction(s) in {from} dated {first} to {last} have no {from}->{to} rate dated on or before them, so the {to} figures leave them out. Pass rates for these dates."),
            )
        };
        let i = self.push(
            "missingExchangeRates",
            &[from, to],
            InsightSeverity::Medium,
            title,
            message,
        );
        i.date = Some(first);
        i.amounts = amounts
            .iter()
            .map(|(c, a)| InsightAmount {
                label: "total",
                currency: c.clone(),
                amount: *a,
                subject: None,
            })
            .collect();
        i.transaction_ids = ids(tx);
    }
}

// ---------------------------------------------------------------- apps

#[derive(Default)]
struct ChanAcc<'a> {
    via_name: Option<&'a str>,
    /// Trimmed vendor name ids ([`Keys::vname`]).
    vendor_names: BTreeSet<u32>,
    acc: Acc,
    last: Option<Date>,
}

struct SubAcc<'a> {
    company_name: Option<String>,
    /// Every positive charge: the spend, and the usage trend.
    charges: Vec<(Date, Amount, &'a str)>,
    /// The periodic part of each charge (without extra seats, proration, overage, services):
    /// cadence, price changes and renewals.
    base: Vec<(Date, Amount, &'a str)>,
    /// The term each charge's line states, by date.
    terms: Vec<(Date, Term)>,
    /// The periodic charges whose line says their seats.
    seats: Vec<super::seats::SeatLine<'a>>,
}

struct AppAcc<'a> {
    name: String,
    category: String,
    pricing: PricingModel,
    acc: Acc,
    vendors: BTreeSet<u32>,
    channels: BTreeMap<(u8, Option<&'a str>), ChanAcc<'a>>,
    companies: BTreeSet<u32>,
    first: Date,
    last: Date,
    ids: Vec<&'a str>,
    /// By company and currency id ([`Keys`]): in the order of their texts.
    subs: BTreeMap<(u32, u32), SubAcc<'a>>,
}

fn channel_of(m: &crate::matching::Match) -> (u8, Option<&str>, Option<&str>) {
    match &m.via {
        Some(v) if v.kind == "reseller" => (1, Some(v.id.as_str()), Some(v.name.as_str())),
        Some(v) if v.kind == "marketplace" => (2, Some(v.id.as_str()), Some(v.name.as_str())),
        // A vendor group (Microsoft selling several apps) still bills directly.
        _ => (0, None, None),
    }
}

fn channel_name(k: u8) -> &'static str {
    match k {
        1 => "reseller",
        2 => "marketplace",
        _ => "direct",
    }
}

/// Builds one subscription from its charges, with its insights.
#[allow(clippy::too_many_arguments)]
fn subscription(
    app_id: &str,
    app_name: &str,
    pricing: PricingModel,
    company: &str,
    currency: &str,
    sub: &SubAcc,
    s: &ReportSettings,
    b: &mut Builder,
) -> Option<Subscription> {
    let all_events: Vec<ChargeEvent> = cadence::events(&sub.charges);
    // Cadence, price and renewals follow the periodic charges; a subscription made only of
    // add-ons (overage billed apart) keeps them all.
    let ev: Vec<ChargeEvent> = if sub.base.is_empty() {
        all_events.clone()
    } else {
        cadence::events(&sub.base)
    };
    let last = ev.last()?;
    if let Some(n) = &sub.company_name {
        b.company_names
            .entry(company.to_owned())
            .or_insert_with(|| n.clone());
    }
    let dates: Vec<Date> = ev.iter().map(|e| e.date).collect();
    let c = cadence::detect(&dates);
    let prev = ev.len().checked_sub(2).map(|i| &ev[i]);
    // The term the latest charge's line states ("annual subscription", "3 years") decides when
    // the dates cannot: one charge, or charges at no regular interval. When the dates show a
    // monthly or quarterly rhythm they win: an annual term may be billed monthly.
    let stated: Option<&Term> = sub
        .terms
        .iter()
        .filter(|(d, _)| *d >= last.date && *d <= last.last_date)
        .map(|(_, t)| t)
        .max_by_key(|t| t.months);
    let dated_evidence = || {
        let list: Vec<String> = dates
            .iter()
            .rev()
            .take(3)
            .rev()
            .map(Date::to_string)
            .collect();
        format!(
            "charged {} ({} charge(s){}: {})",
            match c.kind {
                CadenceKind::Monthly => "monthly",
                CadenceKind::Quarterly => "quarterly",
                _ => "annually",
            },
            dates.len(),
            if dates.len() > 3 { ", the latest" } else { "" },
            list.join(", ")
        )
    };
    let line_evidence = |t: &Term| format!("the line says \"{}\"", t.phrase);
    let (kind, term_months, confidence, evidence) = match (c.kind, stated) {
        (CadenceKind::Annual, Some(t)) if t.months >= 12 => (
            CadenceKind::Annual,
            Some(t.months),
            c.confidence.max(0.95),
            vec![dated_evidence(), line_evidence(t)],
        ),
        (CadenceKind::InsufficientData | CadenceKind::Irregular, Some(t)) if t.months >= 3 => (
            if t.months >= 12 {
                CadenceKind::Annual
            } else {
                CadenceKind::Quarterly
            },
            Some(t.months),
            0.9,
            vec![line_evidence(t)],
        ),
        (k, _) => (
            k,
            k.months(),
            c.confidence,
            if k.is_periodic() {
                vec![dated_evidence()]
            } else {
                vec![]
            },
        ),
    };
    let next_expected = term_months.map(|m| add_months(last.date, m));
    let as_of_days = s.as_of.to_days();
    let overdue = next_expected.is_some_and(|n| as_of_days > n.to_days() + kind.grace_days());
    let annual_estimate = term_months
        .zip(last.amount.0.checked_mul(12))
        .map(|(m, x)| Amount(div_half_even(x as i128, m as i128) as i64));
    let tx_ids: Vec<String> = all_events
        .iter()
        .flat_map(|e| e.ids.iter().map(|s| (*s).to_owned()))
        .collect();
    let subject = [app_id, company, currency];

    let seat_history = super::seats::points(&sub.seats, kind, term_months);
    let main_seats = super::seats::main_series(&seat_history);

    // A metered bill moves with use: its change is a spend trend, never a price change.
    if !pricing.has_price() {
        if !overdue {
            usage_trend(app_id, app_name, company, currency, &all_events, s, b);
        }
    }
    // Price change: the latest lasting step in the charges of a periodic subscription, or in
    // its price per seat when its latest charge says its seats.
    // (A subscription whose charges stopped tells that, not a price it no longer pays.)
    else if c.kind.is_periodic() && !overdue {
        // A flat fee does not follow its seats: its price is the charge.
        let per_seat = (pricing == PricingModel::Seat)
            .then(|| super::seats::per_seat_series(&main_seats, last.date))
            .flatten();
        let (series, basis) = match per_seat {
            Some(per_seat) => (per_seat, PriceBasis::PerSeat),
            None => (
                ev.iter()
                    .map(|e| PricePoint {
                        date: e.date,
                        amount: e.amount,
                        ids: e.ids.clone(),
                        seats: None,
                    })
                    .collect(),
                PriceBasis::Charge,
            ),
        };
        price_step(
            app_id, app_name, pricing, company, currency, c.kind, &series, basis, s, b,
        );
    }
    if c.kind.is_periodic() && !overdue {
        super::seats::seats_change(app_id, app_name, pricing, company, currency, &main_seats, b);
    }
    let latest_seats = main_seats
        .last()
        .map(|p| (p.seats, p.price_per_seat_monthly));

    // Renewals: every annual (or longer) subscription, with an insight when it is due within the
    // window; quarterly ones only within the window (monthly charges are routine).
    let window_end = as_of_days + s.renewal_window_days;
    let renewal = |b: &mut Builder,
                   insight: Option<(&'static str, InsightSeverity, String, String)>,
                   due: Date,
                   confirmed: bool,
                   confidence: f64,
                   evidence: Vec<String>| {
        let insight_id = insight.map(|(kind, severity, title, message)| {
            let due_s = due.to_string();
            let mut subj = subject.to_vec();
            subj.push(&due_s);
            let i = b.push(kind, &subj, severity, title, message);
            i.app_id = Some(app_id.to_owned());
            i.app_ids = vec![app_id.to_owned()];
            i.company_id = Some(company.to_owned());
            i.date = Some(due);
            i.amounts = vec![InsightAmount {
                label: "expected",
                currency: currency.to_owned(),
                amount: last.amount,
                subject: None,
            }];
            if let Some(a) = annual_estimate {
                i.amounts.push(InsightAmount {
                    label: "annualEstimate",
                    currency: currency.to_owned(),
                    amount: a,
                    subject: None,
                });
            }
            i.transaction_ids = ids(&last.ids);
            i.id.clone()
        });
        b.renewals.push(Renewal {
            app_id: app_id.to_owned(),
            app_name: app_name.to_owned(),
            company_id: company.to_owned(),
            company_name: sub.company_name.clone(),
            currency: currency.to_owned(),
            cadence: if confirmed { kind } else { CadenceKind::Annual },
            term_months: term_months.unwrap_or(12),
            confirmed,
            confidence,
            evidence,
            due_date: due,
            days_until: due.to_days() - as_of_days,
            in_window: due.to_days() <= window_end,
            expected_amount: last.amount,
            insight_id,
            transaction_ids: ids(&last.ids),
        });
    };
    let term_text = |m: u32| match m {
        3 => "quarterly".to_owned(),
        12 => "annual".to_owned(),
        m if m % 12 == 0 => format!("{}-year", m / 12),
        m => format!("{m}-month"),
    };
    match (kind, next_expected) {
        (CadenceKind::Quarterly | CadenceKind::Annual, Some(due))
            if !overdue && (kind == CadenceKind::Annual || due.to_days() <= window_end) =>
        {
            let days = due.to_days() - as_of_days;
            let when = if days >= 0 {
                format!("in {days} day(s)")
            } else {
                format!("{} day(s) ago and not charged yet", -days)
            };
            let term = term_text(term_months.unwrap_or(12));
            let insight = (due.to_days() <= window_end).then(|| {
                (
                    "renewalDue",
                    if days <= RENEWAL_SOON_DAYS {
                        InsightSeverity::Medium
                    } else {
                        InsightSeverity::Low
                    },
                    if days >= 0 {
                        format!("{app_name}: {term} renewal due {due}")
                    } else {
                        // Past its date but within the grace of a late invoice: not "due".
                        format!("{app_name}: {term} renewal was due {due}, not charged yet")
                    },
                    format!(
                        "{app_name} is a {term} subscription ({}; last charge {} on {}); the next charge is expected on {due}, {when}.",
                        evidence.join(", "),
                        money_text(last.amount, currency),
                        last.date
                    ),
                )
            });
            renewal(b, insight, due, true, confidence, evidence.clone());
        }
        (CadenceKind::InsufficientData, _) if last.amount.0 > 0 => {
            let due = add_months(last.date, 12);
            let days = due.to_days() - as_of_days;
            if days >= -ANNIVERSARY_GRACE_DAYS && due.to_days() <= window_end {
                let insight = (
                    "renewalPossible",
                    InsightSeverity::Info,
                    format!("{app_name}: possible annual renewal {due}"),
                    format!(
                        "{app_name} was charged once ({} on {}); if that is an annual subscription it renews on {due}, in {days} day(s).",
                        money_text(last.amount, currency),
                        last.date
                    ),
                );
                renewal(
                    b,
                    Some(insight),
                    due,
                    false,
                    UNCONFIRMED_RENEWAL_CONFIDENCE,
                    vec![format!(
                        "one charge, on {}; nothing on its line states a term",
                        last.date
                    )],
                );
            }
        }
        _ => {}
    }

    if overdue {
        let due = next_expected.expect("overdue implies an expected date");
        let due_s = due.to_string();
        let mut subj = subject.to_vec();
        subj.push(&due_s);
        let i = b.push(
            "expectedChargeMissing",
            &subj,
            InsightSeverity::Low,
            format!("{app_name}: no {} charge since {}", kind.as_str(), last.date),
            format!(
                "{app_name} was billed {} until {}, but the charge expected on {due} has not arrived: cancelled, or billed another way?",
                kind.as_str(),
                last.date
            ),
        );
        i.app_id = Some(app_id.to_owned());
        i.app_ids = vec![app_id.to_owned()];
        i.company_id = Some(company.to_owned());
        i.date = Some(due);
        i.amounts = vec![InsightAmount {
            label: "latest",
            currency: currency.to_owned(),
            amount: last.amount,
            subject: None,
        }];
        i.transaction_ids = ids(&last.ids);
    }

    Some(Subscription {
        company_id: company.to_owned(),
        company_name: sub.company_name.clone(),
        currency: currency.to_owned(),
        kind,
        confidence,
        term_months,
        charges: ev.len() as u64,
        median_interval_days: c.median_interval_days,
        last_charge_date: last.date,
        last_charge_amount: last.amount,
        previous_charge_amount: prev.map(|p| p.amount),
        next_expected,
        overdue,
        annual_estimate,
        seats: latest_seats.map(|x| x.0),
        price_per_seat_monthly: latest_seats.and_then(|x| x.1),
        seat_history,
        transaction_ids: tx_ids,
    })
}

/// One value of a series a price change is looked for in: a charge, or a charge's price per seat
/// per month.
pub(crate) struct PricePoint<'x> {
    pub date: Date,
    pub amount: Amount,
    pub ids: Vec<&'x str>,
    /// The seats of a price per seat.
    pub seats: Option<u32>,
}

/// What a price change compares.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum PriceBasis {
    /// The periodic charges: a seat app's also move with its seats, which they do not tell.
    Charge,
    /// The price per seat per month, when the lines say seats: more seats is not a new price.
    PerSeat,
}

/// The latest lasting change in a seat or flat subscription's charges, or in its price per seat
/// (see [`cadence::latest_step`]): monthly charges need two steady charges on each side (or the
/// latest charge alone after the step), quarterly and annual ones one. A charge changes beyond
/// `priceChangePercent`; a price per seat by [`super::seats::SEAT_PRICE_CHANGE_PERCENT`] or
/// more, since no seat count blurs it.
#[allow(clippy::too_many_arguments)]
pub(crate) fn price_step(
    app_id: &str,
    app_name: &str,
    pricing: PricingModel,
    company: &str,
    currency: &str,
    kind: CadenceKind,
    ev: &[PricePoint],
    basis: PriceBasis,
    s: &ReportSettings,
    b: &mut Builder,
) {
    let values: Vec<i128> = ev.iter().map(|e| e.amount.0 as i128).collect();
    let min_run = if kind == CadenceKind::Monthly { 2 } else { 1 };
    let step = match basis {
        PriceBasis::Charge => {
            cadence::latest_step(&values, min_run, s.price_change_percent as i128)
        }
        PriceBasis::PerSeat => {
            cadence::latest_step_at_least(&values, min_run, super::seats::SEAT_PRICE_CHANGE_PERCENT)
        }
    };
    let Some(step) = step else {
        return;
    };
    let (before, at, last) = (&ev[step.at - 1], &ev[step.at], &ev[ev.len() - 1]);
    let diff = step.after - step.before;
    let pct = percent_tenths(diff, step.before).unwrap_or_default();
    let up = diff > 0;
    let (insight_kind, mut severity) = if !up {
        ("priceDecrease", InsightSeverity::Info)
    } else if diff * 100 > 25 * step.before {
        ("priceIncrease", InsightSeverity::High)
    } else {
        ("priceIncrease", InsightSeverity::Medium)
    };
    // A seat app's charge also moves with its seat count, which the charges alone do not tell:
    // one severity lower, and the message says so.
    let seats_may_explain = pricing == PricingModel::Seat && basis == PriceBasis::Charge;
    if seats_may_explain && up {
        // At least twice the threshold is more than ordinary seat growth.
        severity = if diff * 100 >= 2 * s.price_change_percent as i128 * step.before {
            InsightSeverity::Medium
        } else {
            InsightSeverity::Low
        };
    }
    let abs = pct.trim_start_matches('-');
    let since = ev.len() - step.at;
    let sign = if up { "+" } else { "-" };
    let seats_text = |p: &PricePoint| p.seats.map_or(String::new(), |n| format!(", {n} seats"));
    let message = match (basis, since) {
        (PriceBasis::PerSeat, _) => format!(
            "The {app_name} price per seat per month went from {} ({}{}) to {} on {} ({sign}{abs}%){}. Prices per seat are compared, so a change in seats is not a price change.",
            money_text(before.amount, currency),
            before.date,
            seats_text(before),
            money_text(at.amount, currency),
            at.date,
            if since == 1 {
                String::new()
            } else {
                format!(
                    " and has stayed there: {since} charges since, the latest {} on {}{}",
                    money_text(last.amount, currency),
                    last.date,
                    seats_text(last)
                )
            }
        ),
        (PriceBasis::Charge, 1) => format!(
            "The latest {} {app_name} charge ({}, {}) is {abs}% {} the previous one ({}, {}).",
            kind.as_str(),
            last.date,
            money_text(last.amount, currency),
            if up { "above" } else { "below" },
            before.date,
            money_text(before.amount, currency)
        ),
        (PriceBasis::Charge, _) => format!(
            "The {} {app_name} charge went from {} ({}) to {} on {} ({sign}{abs}%) and has stayed there: {since} charges since, the latest {} on {}.",
            kind.as_str(),
            money_text(before.amount, currency),
            before.date,
            money_text(at.amount, currency),
            at.date,
            money_text(last.amount, currency),
            last.date
        ),
    };
    let message = if seats_may_explain {
        format!(
            "{message} More seats or a new price per seat: the charges alone do not tell which."
        )
    } else {
        message
    };
    let at_date = at.date.to_string();
    let per = if basis == PriceBasis::PerSeat {
        " a seat a month"
    } else {
        ""
    };
    let i = b.push(
        insight_kind,
        &[app_id, company, currency, &at_date],
        severity,
        format!(
            "{app_name}: from {} to {}{per} since {} ({sign}{abs}%)",
            before.amount,
            money_text(last.amount, currency),
            at.date,
        ),
        message,
    );
    i.app_id = Some(app_id.to_owned());
    i.app_ids = vec![app_id.to_owned()];
    i.company_id = Some(company.to_owned());
    i.date = Some(at.date);
    i.change_percent = Some(pct);
    let (latest, previous) = match basis {
        PriceBasis::Charge => ("latest", "previous"),
        PriceBasis::PerSeat => ("latestPerSeat", "previousPerSeat"),
    };
    i.amounts = vec![
        InsightAmount {
            label: latest,
            currency: currency.to_owned(),
            amount: last.amount,
            subject: None,
        },
        InsightAmount {
            label: previous,
            currency: currency.to_owned(),
            amount: before.amount,
            subject: None,
        },
    ];
    if basis == PriceBasis::PerSeat {
        i.seats = last.seats;
        i.previous_seats = before.seats;
    }
    i.transaction_ids = ev[step.at - 1..].iter().flat_map(|e| ids(&e.ids)).collect();
}

/// A usage subscription's latest month against the mean of the three calendar months before it,
/// when each of those had a charge (a metered bill that skips months has no baseline). One
/// insight per subscription, about its latest month only.
fn usage_trend(
    app_id: &str,
    app_name: &str,
    company: &str,
    currency: &str,
    ev: &[ChargeEvent],
    s: &ReportSettings,
    b: &mut Builder,
) {
    let month_index = |d: Date| d.year as i64 * 12 + d.month as i64 - 1;
    let Some(last) = ev.last() else { return };
    let latest_month = month_index(last.date);
    let mut by_month: BTreeMap<i64, (i128, Vec<&str>)> = BTreeMap::new();
    for e in ev {
        let m = by_month.entry(month_index(e.date)).or_default();
        m.0 += e.amount.0 as i128;
        m.1.extend(e.ids.iter().copied());
    }
    let baseline: Vec<i128> = (1..=3)
        .filter_map(|k| by_month.get(&(latest_month - k)).map(|m| m.0))
        .collect();
    if baseline.len() < 3 {
        return;
    }
    let sum: i128 = baseline.iter().sum();
    let latest = by_month[&latest_month].0;
    let diff = latest * 3 - sum;
    if sum <= 0 || diff.abs() * 100 <= s.usage_trend_percent as i128 * sum {
        return;
    }
    // Only a rise: a lower metered bill asks for nothing, and the latest month is often not
    // complete yet (the report reads paid invoices only).
    if diff <= 0 {
        return;
    }
    let pct = percent_tenths(diff, sum).unwrap_or_default();
    let up = true;
    let severity = if diff * 100 > 2 * s.usage_trend_percent as i128 * sum {
        InsightSeverity::Medium
    } else {
        InsightSeverity::Low
    };
    // The mean in cents (half to even): a figure to read, not a sum.
    let mean = Amount(i64::try_from(div_half_even(sum, 300) * 100).unwrap_or(i64::MAX));
    let latest_amount = Amount(i64::try_from(latest).unwrap_or(i64::MAX));
    let ym = |i: i64| format!("{:04}-{:02}", i.div_euclid(12), i.rem_euclid(12) + 1);
    let month = ym(latest_month);
    let abs = pct.trim_start_matches('-');
    let i = b.push(
        "usageTrend",
        &[app_id, company, currency, &month],
        severity,
        format!(
            "{app_name}: usage spend {} {abs}% in {month}",
            if up { "up" } else { "down" }
        ),
        format!(
            "{app_name} is billed on usage: {month} came to {}, {abs}% {} the mean of the three months before ({}, {} to {}). Usage spend is told when a month is more than {}% off that mean; a metered bill that moves is not a price change.",
            money_text(latest_amount, currency),
            if up { "above" } else { "below" },
            money_text(mean, currency),
            ym(latest_month - 3),
            ym(latest_month - 1),
            s.usage_trend_percent
        ),
    );
    i.app_id = Some(app_id.to_owned());
    i.app_ids = vec![app_id.to_owned()];
    i.company_id = Some(company.to_owned());
    i.date = Some(last.date);
    i.change_percent = Some(pct);
    i.amounts = vec![
        InsightAmount {
            label: "latest",
            currency: currency.to_owned(),
            amount: latest_amount,
            subject: None,
        },
        InsightAmount {
            label: "baseline",
            currency: currency.to_owned(),
            amount: mean,
            subject: None,
        },
    ];
    i.transaction_ids = (latest_month - 3..=latest_month)
        .filter_map(|m| by_month.get(&m))
        .flat_map(|m| ids(&m.1))
        .collect();
}

fn is_active(sub: &Subscription, s: &ReportSettings) -> bool {
    if sub.kind.is_periodic() {
        !sub.overdue
    } else {
        s.as_of.to_days() - sub.last_charge_date.to_days() <= ACTIVE_DAYS
    }
}

pub(crate) fn apps(
    items: &[Item],
    keys: &Keys,
    s: &ReportSettings,
    rk: Option<&RankingCurrency>,
    catalog: &Catalog,
    b: &mut Builder,
) -> Vec<AppReport> {
    // By app id ([`Keys::app`]): in the order of the apps' ids.
    let mut map: Vec<Option<AppAcc>> = Vec::new();
    map.resize_with(keys.app.len(), || None);
    let mut lines = LineReader::default();
    let mut line_texts: Vec<u32> = Vec::new();
    for it in items {
        let t = it.t;
        let Some(m) = &t.match_ else { continue };
        let a = map[it.app as usize].get_or_insert_with(|| AppAcc {
            name: m.app_name.clone(),
            category: m.category.clone(),
            // An app the catalog does not know (a customer's rule may name one): its category's.
            pricing: catalog.pricing_of(&m.app_id, &m.category),
            acc: Acc::default(),
            vendors: BTreeSet::new(),
            channels: BTreeMap::new(),
            companies: BTreeSet::new(),
            first: t.date,
            last: t.date,
            ids: Vec::new(),
            subs: BTreeMap::new(),
        });
        a.acc.add(it);
        a.vendors.insert(it.vname);
        a.companies.insert(it.company);
        a.first = a.first.min(t.date);
        a.last = a.last.max(t.date);
        a.ids.push(&t.id);
        let (k, via_id, via_name) = channel_of(m);
        let ch = a.channels.entry((k, via_id)).or_default();
        ch.via_name = via_name;
        ch.vendor_names.insert(it.vname);
        ch.acc.add(it);
        ch.last = Some(ch.last.map_or(t.date, |d| d.max(t.date)));
        let sub = a
            .subs
            .entry((it.company, it.cur))
            .or_insert_with(|| SubAcc {
                company_name: None,
                charges: Vec::new(),
                base: Vec::new(),
                terms: Vec::new(),
                seats: Vec::new(),
            });
        if sub.company_name.is_none() {
            sub.company_name = t.company_name.as_deref().map(str::to_owned);
        }
        // Credit memos and zero lines are not charges.
        if t.amount_excluding_tax.0 > 0 {
            sub.charges.push((t.date, t.amount_excluding_tax, &t.id));
            line_texts.clear();
            line_texts.extend(t.lines.iter().flatten().map(|l| lines.read(&l.description)));
            let texts = TxTexts {
                description: lines.read(&t.description),
                reader: &lines,
                lines: &line_texts,
            };
            let base = base_amount(t, &texts);
            if base.0 > 0 {
                sub.base.push((t.date, base, &t.id));
                let terms = match t.seats {
                    Some(n) => Some((n, t.unit_price, t.period, t.description.as_str())),
                    None => periodic_line_seats(t, &texts),
                };
                if let Some((n, unit_price, period, text)) = terms {
                    sub.seats.push(super::seats::SeatLine {
                        text,
                        date: t.date,
                        seats: n,
                        unit_price,
                        period,
                        amount: base,
                        channel: channel_name(k),
                        via_id: m.via.as_ref().filter(|_| k != 0).map(|v| v.id.clone()),
                        id: &t.id,
                    });
                }
            }
            if let Some(term) = line_term(t, &texts) {
                sub.terms.push((t.date, term));
            }
        }
    }

    let mut out: Vec<(AppReport, Acc)> = Vec::new();
    for (app, a) in map.into_iter().enumerate() {
        let Some(a) = a else { continue };
        let app_id = keys.app.name(app as u32);
        let mut subs = Vec::new();
        for (&(company, currency), sub) in &a.subs {
            let (company, currency) = (keys.company.name(company), keys.cur.name(currency));
            if let Some(x) = subscription(app_id, &a.name, a.pricing, company, currency, sub, s, b)
            {
                subs.push(x);
            }
        }
        let main = subs
            .iter()
            .max_by(|x, y| {
                (x.charges, x.last_charge_date)
                    .cmp(&(y.charges, y.last_charge_date))
                    .then((&y.company_id, &y.currency).cmp(&(&x.company_id, &x.currency)))
            })
            .cloned();
        let active = subs.iter().any(|x| is_active(x, s));
        let channels = a
            .channels
            .into_iter()
            .map(|((k, via_id), ch)| Channel {
                channel: channel_name(k),
                via_id: via_id.map(str::to_owned),
                via_name: ch.via_name.map(str::to_owned),
                vendor_names: names_of(&keys.vname, ch.vendor_names),
                transactions: ch.acc.n,
                spend: ch.acc.money(),
                last_date: ch.last.unwrap_or(a.last),
            })
            .collect();
        out.push((
            AppReport {
                app_id: app_id.to_owned(),
                app_name: a.name,
                category: a.category,
                pricing: a.pricing.as_str(),
                spend: a.acc.money(),
                reporting: a.acc.reporting(s),
                transactions: a.acc.n,
                vendors: names_of(&keys.vname, a.vendors),
                channels,
                company_ids: names_of(&keys.company, a.companies),
                first_date: a.first,
                last_date: a.last,
                active,
                seats: main.as_ref().and_then(|m| m.seats),
                price_per_seat_monthly: main.as_ref().and_then(|m| {
                    Some(SeatPrice {
                        currency: m.currency.clone(),
                        amount: m.price_per_seat_monthly?,
                    })
                }),
                cadence: main,
                subscriptions: subs,
                transaction_ids: ids(&a.ids),
            },
            a.acc,
        ));
    }
    crate::sort::sort_by(&mut out, |x, y| {
        cmp_rank(&x.1, &y.1, rk).then(x.0.app_id.cmp(&y.0.app_id))
    });
    let apps: Vec<AppReport> = out.into_iter().map(|(a, _)| a).collect();
    overlaps(&apps, b);
    multiple_channels(&apps, b);
    super::seats::channel_gaps(&apps, b);
    apps
}

fn spend_amounts<'a>(
    spend: &'a [Money],
    subject: &str,
) -> impl Iterator<Item = InsightAmount> + 'a {
    let subject = subject.to_owned();
    spend.iter().map(move |m| InsightAmount {
        label: "total",
        currency: m.currency.clone(),
        amount: m.amount_excluding_tax,
        subject: Some(subject.clone()),
    })
}

/// Active apps that do the same job (see [`super::overlap`]).
fn overlaps(apps: &[AppReport], b: &mut Builder) {
    let mut by_fn: BTreeMap<(&str, &str), Vec<&AppReport>> = BTreeMap::new();
    for a in apps.iter().filter(|a| a.active) {
        for f in super::overlap::functions_of(&a.app_id) {
            by_fn.entry(f).or_default().push(a);
        }
    }
    for ((function, label), mut list) in by_fn {
        if list.len() < 2 {
            continue;
        }
        crate::sort::sort_by(&mut list, |x, y| x.app_id.cmp(&y.app_id));
        let app_ids: Vec<String> = list.iter().map(|a| a.app_id.clone()).collect();
        let names: Vec<&str> = list.iter().map(|a| a.app_name.as_str()).collect();
        let mut subject = vec![function];
        subject.extend(app_ids.iter().map(String::as_str));
        let severity = if list.len() >= 3 {
            InsightSeverity::High
        } else {
            InsightSeverity::Medium
        };
        let spend_text: Vec<String> = list
            .iter()
            .map(|a| {
                format!(
                    "{} ({})",
                    a.app_name,
                    a.spend
                        .iter()
                        .map(|m| money_text(m.amount_excluding_tax, &m.currency))
                        .collect::<Vec<_>>()
                        .join(" + ")
                )
            })
            .collect();
        let category = list[0].category.clone();
        let same_category = list.iter().all(|a| a.category == category);
        let i = b.push(
            "overlappingApps",
            &subject,
            severity,
            format!("{} {label} tools in use: {}", list.len(), names.join(", ")),
            format!("{} apps that do the same job ({label}) are all being paid for: {}. Consider consolidating.", list.len(), spend_text.join(", ")),
        );
        i.app_ids = app_ids;
        i.category = same_category.then_some(category);
        i.function = Some(function.to_owned());
        i.amounts = list
            .iter()
            .flat_map(|a| spend_amounts(&a.spend, &a.app_id))
            .collect();
        // App by app (each app's ids in date order).
        i.transaction_ids = list
            .iter()
            .flat_map(|a| a.transaction_ids.iter().cloned())
            .collect();
    }
}

/// One app bought through two or more channels.
fn multiple_channels(apps: &[AppReport], b: &mut Builder) {
    for a in apps {
        if a.channels.len() < 2 {
            continue;
        }
        let describe = |c: &Channel| match &c.via_name {
            Some(v) => format!("through {v} ({})", c.channel),
            None => format!("directly ({})", c.vendor_names.join(", ")),
        };
        let parts: Vec<String> = a.channels.iter().map(describe).collect();
        let i = b.push(
            "paidThroughMultipleVendors",
            &[&a.app_id],
            InsightSeverity::Medium,
            format!("{}: paid through {} vendors", a.app_name, a.channels.len()),
            format!("{} is paid {}. Buying it through one channel may consolidate licences and get a better price.", a.app_name, parts.join(" and ")),
        );
        i.app_id = Some(a.app_id.clone());
        i.app_ids = vec![a.app_id.clone()];
        i.date = Some(a.last_date);
        i.amounts = a
            .channels
            .iter()
            .flat_map(|c| {
                spend_amounts(&c.spend, c.via_id.as_deref().unwrap_or("direct")).collect::<Vec<_>>()
            })
            .collect();
        i.transaction_ids = a.transaction_ids.clone();
    }
}

// ---------------------------------------------------------------- unmatched vendors

/// Word starts on a line that say "software subscription", in English, French, German, Spanish,
/// Italian, Dutch and the Nordic languages, matched on folded tokens ("Suscripción" is
/// "suscripcion"): subscription, licence, SaaS, software, renewal.
const SAAS_PREFIXES: &[&str] = &[
    "subscri",
    "suscri",
    "sottoscri",
    "licen",
    "lizenz",
    "lisen",
    "licenz",
    "saas",
    "software",
    "logiciel",
    "abonn",
    "abbonam",
    "renewal",
    "renouvel",
    "verlanger",
    "renovacion",
    "rinnov",
    "verlenging",
    "fornyelse",
    "jahreslizenz",
];
/// Whole words that say so: seats, plans, users, and the usual SaaS product words.
const SAAS_WORDS: &[&str] = &[
    "seat",
    "seats",
    "plan",
    "plans",
    "cloud",
    "user",
    "users",
    "workspace",
    "api",
    "app",
    "platform",
    "pro",
    "premium",
    "enterprise",
    "abo",
    "jahresabo",
    "monatsabo",
    "sitze",
    "platze",
    "sieges",
    "postes",
    "forfait",
    "puestos",
    "asientos",
    "postazioni",
    "piano",
    "utilisateurs",
    "benutzer",
    "usuarios",
    "utenti",
    "gebruikers",
    "licentie",
    "licenties",
    "platser",
    "pladser",
    "plasser",
    "brukere",
    "anvandare",
    "brugere",
    "kayttajat",
    "tilaus",
];

/// The distinct software words of `text`, folded.
fn saas_words(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for t in tokenize(text) {
        let w = t.norm;
        if (SAAS_PREFIXES.iter().any(|p| w.starts_with(p)) || SAAS_WORDS.contains(&w.as_str()))
            && !out.contains(&w)
        {
            out.push(w);
        }
    }
    out
}

/// The matcher's verdict that a line is not software (rent, travel, hardware ...): its reason.
/// A `services` verdict counts only when `soft` is allowed: the matcher gives it to a line that
/// says nothing of a subscription, but the vendor's other lines may ("Onboarding services" from
/// a vendor billing "Pro plan subscription" every month).
fn non_saas_reason(t: &Transaction, soft: bool) -> Option<&str> {
    t.match_rejected
        .as_ref()
        .filter(|r| {
            r.not_software
                .as_deref()
                .is_some_and(|c| soft || c != "services")
        })
        .map(|r| r.reason.as_str())
}

/// A non-software cue of the matcher's lexicon in `text` (a vendor's name or a line): its
/// category and phrase. `services` counts only when `soft` is allowed, as in the matcher: SaaS
/// vendors sell support and training too, so it yields to subscription words.
fn lexicon_cue(text: &str, soft: bool) -> Option<(String, String)> {
    let toks: Vec<String> = tokenize(text).into_iter().map(|t| t.norm).collect();
    lexicon().nonsaas.iter().find_map(|(cat, phrase)| {
        let hit = !phrase.is_empty()
            && (soft || cat != "services")
            && toks.windows(phrase.len()).any(|w| w == phrase.as_slice());
        hit.then(|| (cat.clone(), phrase.join(" ")))
    })
}

/// A vendor card domain that reads as software: a top-level domain software makers favour, or
/// a name that says so ("acmesoftware.com").
fn software_domain(domain: &str) -> bool {
    const TLDS: &[&str] = &[
        "io", "ai", "app", "dev", "cloud", "software", "so", "tech", "saas",
    ];
    let mut labels = domain.rsplit('.');
    let tld = labels.next().unwrap_or("");
    let name = labels.next().unwrap_or("");
    TLDS.contains(&tld)
        || ["software", "saas", "cloud"]
            .iter()
            .any(|w| name.contains(w))
}

pub(crate) fn unmatched<'a>(
    items: &[Item<'a>],
    keys: &Keys,
    vendor_keys: &VendorKeys<'a>,
    vendor_domains: &BTreeMap<(String, String), String>,
    s: &ReportSettings,
    rk: Option<&RankingCurrency>,
    b: &mut Builder,
) -> Vec<UnmatchedVendor> {
    #[derive(Default)]
    struct U<'a> {
        acc: Acc,
        names: Spellings,
        vendor_ids: BTreeSet<u32>,
        companies: BTreeSet<u32>,
        txs: Vec<&'a Transaction>,
    }
    let mut by_id: Vec<U> = Vec::new();
    for it in items.iter().filter(|i| i.app == NONE) {
        let u = at(&mut by_id, it.vkey as usize);
        u.acc.add(it);
        u.names.add(it.vname);
        if it.vid != NONE {
            u.vendor_ids.insert(it.vid);
        }
        u.companies.insert(it.company);
        u.txs.push(it.t);
    }
    // The vendor cards' domains by (company id, vendor id), looked up without copying them.
    let domains: crate::fastmap::FastMap<(&str, &str), &str> = vendor_domains
        .iter()
        .map(|((c, v), d)| ((c.as_str(), v.as_str()), d.as_str()))
        .collect();
    // Keys are distinct, so the order below is total whatever the order they were seen in;
    // a vendor with no unmatched transaction has no entry.
    let mut list: Vec<(String, U)> = by_id
        .into_iter()
        .enumerate()
        .filter(|(_, u)| u.acc.n > 0)
        .map(|(id, u)| (vendor_keys.key(id).to_owned(), u))
        .collect();
    crate::sort::sort_by(&mut list, |x, y| {
        cmp_rank(&x.1.acc, &y.1.acc, rk).then(x.0.cmp(&y.0))
    });
    // Ledgers repeat a vendor's lines month after month: each text is read once per report.
    let mut words_of: crate::fastmap::FastMap<&str, Vec<String>> = Default::default();
    let mut no_cue: crate::fastmap::FastSet<(&str, bool)> = Default::default();
    let mut out = Vec::new();
    for (key, u) in list {
        let name = u.names.preferred(&keys.vname);
        // Cadence over the currency with the most transactions (never across currencies).
        let main_currency = u
            .acc
            .cur
            .iter()
            .max_by(|a, b| a.1 .2.cmp(&b.1 .2).then(b.0.cmp(a.0)))
            .map(|(c, _)| c.clone())
            .unwrap_or_default();
        let charges: Vec<(Date, Amount, &str)> = u
            .txs
            .iter()
            .filter(|t| t.currency == main_currency && t.amount_excluding_tax.0 > 0)
            .map(|t| (t.date, t.amount_excluding_tax, t.id.as_str()))
            .collect();
        let ev = cadence::events(&charges);
        let c = cadence::detect(&ev.iter().map(|e| e.date).collect::<Vec<_>>());
        let months: BTreeSet<(i32, u8)> = crate::sort::btree(
            u.txs
                .iter()
                .filter(|t| t.amount_excluding_tax.0 > 0)
                .map(|t| (t.date.year, t.date.month)),
        );
        let mut descriptions: Vec<String> = Vec::new();
        let mut words: Vec<String> = Vec::new();
        for t in &u.txs {
            let text = t.description.as_str();
            if descriptions.len() < 5 {
                let d = text.trim();
                if !d.is_empty() && !descriptions.iter().any(|x| x == d) {
                    descriptions.push(d.to_owned());
                }
            }
            for w in words_of
                .entry(text)
                .or_insert_with(|| saas_words(text))
                .iter()
            {
                if !words.contains(w) {
                    words.push(w.clone());
                }
            }
        }
        // Evidence of software: the lines' words, or the vendor card's domain.
        let domain = u.txs.iter().find_map(|t| {
            let v = t.vendor_id.as_deref()?;
            domains
                .get(&(t.company_id.as_str(), v))
                .copied()
                .filter(|d| software_domain(d))
        });
        // A non-software verdict: the matcher's on a line, else the lexicon's cue in the
        // vendor's name or its lines (a courier's "Express shipment" has no cue, but a name
        // such as "United Parcel Service" does).
        let non_saas: Option<String> = u
            .txs
            .iter()
            .find_map(|t| non_saas_reason(t, words.is_empty()))
            .map(str::to_owned)
            .or_else(|| {
                let soft = words.is_empty();
                let cue = u
                    .names
                    .in_order(&keys.vname)
                    .into_iter()
                    .find_map(|n| lexicon_cue(n, soft))
                    .map(|c| (c, "name reads"));
                cue.or_else(|| {
                    u.txs
                        .iter()
                        .find_map(|t| {
                            let key = (t.description.as_str(), soft);
                            if no_cue.contains(&key) {
                                return None;
                            }
                            let cue = lexicon_cue(key.0, soft);
                            if cue.is_none() {
                                no_cue.insert(key);
                            }
                            cue
                        })
                        .map(|c| (c, "lines read"))
                })
                .map(|((cat, phrase), place)| {
                    format!(
                        "its {place} as {} ('{phrase}'), not software",
                        cue_label(&cat)
                    )
                })
            });
        let multi_app_vendor = u.txs.iter().any(|t| {
            t.match_rejected
                .as_ref()
                .is_some_and(|r| !r.candidates.is_empty())
        });
        let recurring = c.kind.is_periodic() || months.len() >= 3;
        let mut signals = Vec::new();
        if c.kind.is_periodic() {
            signals.push(format!("recurring {}", c.kind.as_str()));
        }
        if months.len() >= 3 {
            signals.push(format!("charged in {} distinct months", months.len()));
        }
        for w in words.iter().take(3) {
            signals.push(format!("description says \"{w}\""));
        }
        if let Some(d) = domain {
            signals.push(format!("the vendor card's domain {d} looks like software"));
        }
        if let Some(r) = &non_saas {
            signals.push(format!("not software: {r}"));
        }
        if multi_app_vendor {
            signals
                .push("the vendor sells several known apps: add a rule to attribute it".to_owned());
        }
        let evidence: Vec<String> = words
            .iter()
            .take(3)
            .map(|w| format!("its lines say \"{w}\""))
            .chain(domain.map(|d| format!("the vendor card's domain is {d}")))
            .collect();
        // Recurring is not enough (couriers, rent and payroll recur too): something must say
        // software, and nothing may say it is something else.
        let possible = recurring && !evidence.is_empty() && non_saas.is_none() && !multi_app_vendor;
        if recurring && evidence.is_empty() && non_saas.is_none() {
            signals.push("nothing on its lines or vendor card says software".to_owned());
        }
        let tx_ids: Vec<String> = u.txs.iter().map(|t| t.id.clone()).collect();
        let first = u.txs.first().map(|t| t.date).unwrap_or(s.as_of);
        let last = u.txs.last().map(|t| t.date).unwrap_or(s.as_of);
        if possible {
            let severity = if words.is_empty() {
                InsightSeverity::Low
            } else {
                InsightSeverity::Medium
            };
            let how = if c.kind.is_periodic() {
                format!("billed {}", c.kind.as_str())
            } else {
                format!("charged in {} different months", months.len())
            };
            let i = b.push(
                "possibleShadowSaas",
                &[&key],
                severity,
                format!("Unrecognised recurring vendor: {name}"),
                format!(
                    "{name} is {how} ({}) and {}, but matches no app of the catalog: possibly SaaS bought outside IT. Map it to an app with a rule, or ignore it.",
                    u.acc.cur.iter().map(|(c, v)| money_text(v.0, c)).collect::<Vec<_>>().join(" + "),
                    evidence.join(", ")
                ),
            );
            i.vendor_name = Some(name.clone());
            i.date = Some(last);
            i.amounts = u
                .acc
                .cur
                .iter()
                .map(|(c, v)| InsightAmount {
                    label: "total",
                    currency: c.clone(),
                    amount: v.0,
                    subject: None,
                })
                .collect();
            i.transaction_ids = tx_ids.clone();
        }
        out.push(UnmatchedVendor {
            vendor_name: name,
            vendor_ids: names_of(&keys.vid, u.vendor_ids),
            company_ids: names_of(&keys.company, u.companies),
            spend: u.acc.money(),
            reporting: u.acc.reporting(s),
            transactions: u.acc.n,
            months: months.len() as u64,
            first_date: first,
            last_date: last,
            cadence: c.kind,
            possible_shadow_saas: possible,
            signals,
            descriptions,
            transaction_ids: tx_ids,
        });
    }
    out
}

// ---------------------------------------------------------------- users

/// `contact_email_field`: whether the environment's users API has `contactEmail` at all (see
/// [`crate::users::email_hint`]), which decides the advice given for users without an e-mail.
pub(crate) fn users(users: &[User], contact_email_field: bool, b: &mut Builder) -> UsersReport {
    let persons: Vec<&User> = users
        .iter()
        .filter(|u| u.kind == UserKind::Person)
        .collect();
    let mut r = UsersReport {
        total: users.len() as u64,
        persons: persons.len() as u64,
        non_human: (users.len() - persons.len()) as u64,
        active: persons
            .iter()
            .filter(|u| u.status == UserStatus::Active)
            .count() as u64,
        inactive: persons
            .iter()
            .filter(|u| u.status == UserStatus::Inactive)
            .count() as u64,
        ..Default::default()
    };
    let mut without: Vec<&User> = persons
        .iter()
        .copied()
        .filter(|u| u.email.is_none())
        .collect();
    crate::sort::sort_by(&mut without, |a, b| {
        (a.status as u8, &a.user_name, &a.display_name, &a.id).cmp(&(
            b.status as u8,
            &b.user_name,
            &b.display_name,
            &b.id,
        ))
    });
    r.active_without_email = without
        .iter()
        .filter(|u| u.status == UserStatus::Active)
        .count() as u64;
    r.without_email = without
        .iter()
        .map(|u| UserRef {
            id: u.id.clone(),
            user_name: u.user_name.clone(),
            display_name: u.display_name.clone(),
            status: u.status,
            invalid_email: u.invalid_email.clone(),
        })
        .collect();
    let mut by_email: BTreeMap<&str, Vec<&User>> = BTreeMap::new();
    for u in users {
        if let Some(e) = &u.email {
            by_email.entry(e.as_str()).or_default().push(u);
        }
    }
    for (email, mut list) in by_email {
        if list.len() < 2 {
            continue;
        }
        crate::sort::sort_by(&mut list, |a, b| a.id.cmp(&b.id));
        r.duplicated_emails.push(DuplicatedEmail {
            email: email.to_owned(),
            user_ids: list.iter().map(|u| u.id.clone()).collect(),
            user_names: list
                .iter()
                .map(|u| {
                    u.user_name
                        .clone()
                        .or_else(|| u.display_name.clone())
                        .unwrap_or_else(|| u.id.clone())
                })
                .collect(),
        });
    }

    if !r.without_email.is_empty() {
        let n = r.without_email.len();
        let act = r.active_without_email;
        let who: Vec<String> = r
            .without_email
            .iter()
            .take(5)
            .map(|u| {
                u.user_name
                    .clone()
                    .or_else(|| u.display_name.clone())
                    .unwrap_or_else(|| u.id.clone())
            })
            .collect();
        let more = if n > 5 {
            format!(" and {} more", n - 5)
        } else {
            String::new()
        };
        let i = b.push(
            "usersWithoutEmail",
            &[],
            if act > 0 { InsightSeverity::Medium } else { InsightSeverity::Low },
            format!("{n} user(s) without a contact e-mail ({act} active)"),
            format!("{}{more} have no valid contact e-mail, so they cannot be matched to people elsewhere. {}", who.join(", "), crate::users::email_hint(contact_email_field)),
        );
        i.user_ids = r.without_email.iter().map(|u| u.id.clone()).collect();
    }
    if !r.duplicated_emails.is_empty() {
        let n = r.duplicated_emails.len();
        let list: Vec<String> = r
            .duplicated_emails
            .iter()
            .take(5)
            .map(|d| format!("{} ({} users)", d.email, d.user_ids.len()))
            .collect();
        let i = b.push(
            "duplicatedUserEmails",
            &[],
            InsightSeverity::Medium,
            format!("{n} contact e-mail(s) shared by several users"),
            format!("Several Business Central users share a contact e-mail: {}. Each person should have their own address.", list.join(", ")),
        );
        i.user_ids = r
            .duplicated_emails
            .iter()
            .flat_map(|d| d.user_ids.iter().cloned())
            .collect();
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insights_with_one_subject_merge() {
        let mut b = Builder::new();
        for tx in ["t1", "t2"] {
            let i = b.push(
                "priceIncrease",
                &["jira", "c1", "USD", "2026-06-03"],
                InsightSeverity::Medium,
                "Jira: from 100.00 to 120.00 USD since 2026-06-03 (+20.0%)".into(),
                String::new(),
            );
            i.app_id = Some("jira".into());
            i.company_id = Some("c1".into());
            i.transaction_ids = vec![tx.to_owned()];
        }
        let (insights, _) = b.finish();
        assert_eq!(insights.len(), 1);
        assert_eq!(insights[0].transaction_ids, vec!["t1", "t2"]);
        assert!(insights[0].title.starts_with("Jira: "));
    }
}

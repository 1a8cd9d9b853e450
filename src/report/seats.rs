//! Seats and price per seat over time, and the insights drawn from them.
//!
//! A matched charge whose line says its seats ([`crate::transactions::seats`]) is a
//! [`SeatPoint`]. Charges of one channel at most [`MERGE_DAYS`] apart are one charge event (an
//! invoice and its true-up): the event's point is that of its largest charge. The price per seat
//! per month is the line's price per seat divided by the months its period covers: the period
//! the line states, else the cadence of the channel's own seat charges when it has one, else the
//! subscription's (monthly 1, quarterly 3, annual 12, a stated multi-year term its months). The quotient is rounded **half to even to 0.0001**, like every
//! amount; with no period known there is no monthly price.
//!
//! Insights (each over the subscription's main channel: the channel of its latest seat charge, so
//! a direct and a reseller invoice in one company never read as seats jumping back and forth):
//! - `seatsIncrease` / `seatsDecrease`: the latest seat count is [`SEAT_CHANGE_PERCENT`] or more
//!   (and [`SEAT_CHANGE_MIN`] seats or more) off the first one in the window. One per subscription, dated by the first charge at the
//!   latest count. A spike that reverts ends where it began, so it is not told.
//! - A seat app whose latest charge says its seats gets its `priceIncrease` /
//!   `priceDecrease` from the price per seat per month, at [`SEAT_PRICE_CHANGE_PERCENT`] or more
//!   ([`super::insights::price_step`]): more seats at one price is a seats insight, never a price
//!   change.
//! - `channelPriceGap`: one app bought through two channels (direct, a reseller, a marketplace)
//!   in one currency whose latest prices per seat per month for one plan ([`plan_words`]) differ
//!   by [`CHANNEL_GAP_PERCENT`] or more of the lower.

use super::cadence::{CadenceKind, MERGE_DAYS};
use super::insights::{ids, money_text, Builder, PricePoint};
use super::options::{div_half_even, percent_tenths};
use super::{AppReport, InsightAmount, InsightSeverity, SeatPoint};
use crate::catalog::PricingModel;
use crate::date::Date;
use crate::money::Amount;
use crate::transactions::seats::{is_seat_word, Period};
use std::collections::{BTreeMap, BTreeSet};

/// A price per seat that moves by this many percent or more is a price change.
pub const SEAT_PRICE_CHANGE_PERCENT: i128 = 5;
/// Seats that move by this many percent or more are a seats insight.
pub const SEAT_CHANGE_PERCENT: i128 = 20;
/// Two channels whose prices per seat differ by this many percent or more of the lower.
pub const CHANNEL_GAP_PERCENT: i128 = 5;
/// Seat growth of this many percent or more is `medium`.
const SEAT_GROWTH_MEDIUM_PERCENT: i128 = 50;
/// Fewer seats than this moving is not told, whatever the percent (5 to 6 seats is 20%).
pub const SEAT_CHANGE_MIN: i128 = 2;

/// Words of a line that do not name the plan: billing terms and months (in English, the
/// languages' own are rare on reseller lines).
const NOT_PLAN_WORDS: &[&str] = &[
    "monthly",
    "month",
    "months",
    "mo",
    "annual",
    "annually",
    "yearly",
    "year",
    "years",
    "yr",
    "quarterly",
    "quarter",
    "billing",
    "billed",
    "commitment",
    "nce",
    "subscription",
    "renewal",
    "plan",
    "per",
    "x",
    "for",
    "of",
    "the",
    "and",
    "jan",
    "feb",
    "mar",
    "apr",
    "may",
    "jun",
    "jul",
    "aug",
    "sep",
    "sept",
    "oct",
    "nov",
    "dec",
    "january",
    "february",
    "march",
    "april",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

/// The words of a line that name its plan: folded, less numbers, seat words and
/// [`NOT_PLAN_WORDS`]. "Microsoft 365 Business Standard - 20 licences - Jun 2026" is
/// {microsoft, 365, business, standard}.
pub(crate) fn plan_words(text: &str) -> BTreeSet<String> {
    let mut folded = String::with_capacity(text.len());
    for c in text.chars() {
        crate::matching::normalize::fold_char(c, &mut folded);
    }
    crate::sort::btree(
        folded
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| {
                !w.is_empty()
                    && !w.bytes().all(|b| b.is_ascii_digit())
                    && !is_seat_word(w)
                    && !NOT_PLAN_WORDS.contains(w)
            })
            .map(str::to_owned),
    )
}

/// Two lines name the same plan when one's plan words hold the other's (a reseller may add its
/// own words): "Business Premium" and "E3" are not one plan, so not one price.
fn same_plan(a: &BTreeSet<String>, b: &BTreeSet<String>) -> bool {
    !a.is_empty() && !b.is_empty() && (a.is_subset(b) || b.is_subset(a))
}

/// A charge whose line says its seats, as the report reads it.
pub(crate) struct SeatLine<'a> {
    /// The line's text: which plan it is ([`plan_words`]).
    pub text: &'a str,
    pub date: Date,
    pub seats: u32,
    pub unit_price: Option<Amount>,
    pub period: Option<Period>,
    pub amount: Amount,
    pub channel: &'static str,
    pub via_id: Option<String>,
    pub id: &'a str,
}

/// The months the charge covers: its line's period, else the subscription's.
fn months_of(
    period: Option<Period>,
    kind: CadenceKind,
    term_months: Option<u32>,
) -> (Option<Period>, Option<u32>) {
    let stated_long = term_months.filter(|&m| m >= 24);
    match period {
        Some(Period::MultiYear) => (Some(Period::MultiYear), stated_long),
        Some(p) => (Some(p), p.months()),
        None => match kind {
            CadenceKind::Monthly => (Some(Period::Monthly), Some(1)),
            CadenceKind::Quarterly => (Some(Period::Quarterly), Some(3)),
            CadenceKind::Annual => match stated_long {
                Some(m) => (Some(Period::MultiYear), Some(m)),
                None => (Some(Period::Annual), Some(12)),
            },
            _ => (None, None),
        },
    }
}

/// One point per charge event and channel, in date order (see the module docs).
pub(crate) fn points(
    lines: &[SeatLine],
    kind: CadenceKind,
    term_months: Option<u32>,
) -> Vec<SeatPoint> {
    let mut sorted: Vec<&SeatLine> = lines.iter().collect();
    crate::sort::sort_by(&mut sorted, |a, b| (a.date, a.id).cmp(&(b.date, b.id)));
    // Per channel: the index of its latest event in `kept`, and that event's first date.
    let mut open: BTreeMap<(&str, Option<&str>), (usize, Date)> = BTreeMap::new();
    let mut kept: Vec<&SeatLine> = Vec::new();
    for l in sorted {
        let key = (l.channel, l.via_id.as_deref());
        match open.get(&key) {
            Some(&(k, first)) if l.date.to_days() - first.to_days() <= MERGE_DAYS => {
                if l.amount > kept[k].amount {
                    kept[k] = l;
                }
            }
            _ => {
                open.insert(key, (kept.len(), l.date));
                kept.push(l);
            }
        }
    }
    // A channel's own rhythm first: a direct and a reseller invoice in one company make the
    // subscription's dates irregular while each channel bills monthly.
    let mut dates: BTreeMap<(&str, Option<&str>), Vec<Date>> = BTreeMap::new();
    for l in &kept {
        dates
            .entry((l.channel, l.via_id.as_deref()))
            .or_default()
            .push(l.date);
    }
    let rhythm: BTreeMap<(&str, Option<&str>), CadenceKind> =
        crate::sort::btree(dates.into_iter().map(|(k, d)| {
            let own = super::cadence::detect(&d).kind;
            (k, if own.is_periodic() { own } else { kind })
        }));
    kept.into_iter()
        .map(|l| {
            let kind = rhythm[&(l.channel, l.via_id.as_deref())];
            let (period, months) = months_of(l.period, kind, term_months);
            SeatPoint {
                date: l.date,
                seats: l.seats,
                unit_price: l.unit_price,
                period,
                term_months: months,
                price_per_seat_monthly: l
                    .unit_price
                    .zip(months)
                    .map(|(u, m)| Amount(div_half_even(u.0 as i128, m as i128) as i64)),
                channel: l.channel,
                via_id: l.via_id.clone(),
                transaction_id: l.id.to_owned(),
                plan: plan_words(l.text),
            }
        })
        .collect()
}

/// The points of the channel of the latest one.
pub(crate) fn main_series(points: &[SeatPoint]) -> Vec<&SeatPoint> {
    let Some(last) = points.last() else {
        return vec![];
    };
    points
        .iter()
        .filter(|p| p.channel == last.channel && p.via_id == last.via_id)
        .collect()
}

/// The prices per seat per month of the main series, when its latest point (dated on or after
/// `latest_charge`) has one: the series a seat or flat app's price change is looked for in.
pub(crate) fn per_seat_series<'p>(
    main: &[&'p SeatPoint],
    latest_charge: Date,
) -> Option<Vec<PricePoint<'p>>> {
    let last = main.last()?;
    if last.date < latest_charge || last.price_per_seat_monthly.is_none() {
        return None;
    }
    Some(
        main.iter()
            .filter_map(|p| {
                Some(PricePoint {
                    date: p.date,
                    amount: p.price_per_seat_monthly?,
                    ids: vec![p.transaction_id.as_str()],
                    seats: Some(p.seats),
                })
            })
            .collect(),
    )
}

/// `seatsIncrease` or `seatsDecrease` for one subscription's main series (see the module docs).
#[allow(clippy::too_many_arguments)]
pub(crate) fn seats_change(
    app_id: &str,
    app_name: &str,
    pricing: PricingModel,
    company: &str,
    currency: &str,
    main: &[&SeatPoint],
    b: &mut Builder,
) {
    // A metered line's count is usage, not licences.
    if pricing == PricingModel::Usage || main.len() < 2 {
        return;
    }
    let (first, last) = (main[0], main[main.len() - 1]);
    let (f, l) = (first.seats as i128, last.seats as i128);
    let diff = l - f;
    if f == 0 || diff.abs() * 100 < SEAT_CHANGE_PERCENT * f || diff.abs() < SEAT_CHANGE_MIN {
        return;
    }
    let since = main
        .iter()
        .rposition(|p| p.seats != last.seats)
        .map_or(0, |k| k + 1);
    let at = main[since];
    let up = diff > 0;
    let pct = percent_tenths(diff, f).unwrap_or_default();
    let abs = pct.trim_start_matches('-');
    let (kind, severity) = if !up {
        ("seatsDecrease", InsightSeverity::Info)
    } else if diff * 100 >= SEAT_GROWTH_MEDIUM_PERCENT * f {
        ("seatsIncrease", InsightSeverity::Medium)
    } else {
        ("seatsIncrease", InsightSeverity::Low)
    };
    let price = |p: &SeatPoint| {
        p.price_per_seat_monthly.map_or(String::new(), |a| {
            format!(" at {} a seat a month", money_text(a, currency))
        })
    };
    let at_date = at.date.to_string();
    let i = b.push(
        kind,
        &[app_id, company, currency, &at_date],
        severity,
        format!(
            "{app_name}: seats {} from {} to {} ({}{abs}%)",
            if up { "up" } else { "down" },
            first.seats,
            last.seats,
            if up { "+" } else { "-" }
        ),
        format!(
            "{app_name} was billed for {} seats on {}{} and for {} since {}{}. Seats are told when they move by {SEAT_CHANGE_PERCENT}% or more; {}",
            first.seats,
            first.date,
            price(first),
            last.seats,
            at.date,
            price(last),
            if up {
                "check that the new seats are used."
            } else {
                "check that the charge followed."
            }
        ),
    );
    i.app_id = Some(app_id.to_owned());
    i.app_ids = vec![app_id.to_owned()];
    i.company_id = Some(company.to_owned());
    i.date = Some(at.date);
    i.change_percent = Some(pct);
    i.seats = Some(last.seats);
    i.previous_seats = Some(first.seats);
    if let Some(a) = last.price_per_seat_monthly {
        i.amounts = vec![InsightAmount {
            label: "latestPerSeat",
            currency: currency.to_owned(),
            amount: a,
            subject: None,
        }];
    }
    i.transaction_ids = ids(&main
        .iter()
        .map(|p| p.transaction_id.as_str())
        .collect::<Vec<_>>());
}

/// `channelPriceGap`: the latest price per seat per month of each channel, per currency.
pub(crate) fn channel_gaps(apps: &[AppReport], b: &mut Builder) {
    for a in apps {
        if a.channels.len() < 2 {
            continue;
        }
        // Per currency, per channel: its latest point with a monthly price.
        let mut latest: BTreeMap<&str, BTreeMap<(&str, Option<&str>), &SeatPoint>> =
            BTreeMap::new();
        for sub in &a.subscriptions {
            for p in &sub.seat_history {
                if p.price_per_seat_monthly.is_none() {
                    continue;
                }
                let slot = latest
                    .entry(sub.currency.as_str())
                    .or_default()
                    .entry((p.channel, p.via_id.as_deref()))
                    .or_insert(p);
                if p.date > slot.date {
                    *slot = p;
                }
            }
        }
        for (currency, by_channel) in latest {
            let price = |p: &SeatPoint| p.price_per_seat_monthly.map_or(0, |x| x.0 as i128);
            // The widest gap between two channels' prices for one plan.
            let list: Vec<(&(&str, Option<&str>), &&SeatPoint)> = by_channel.iter().collect();
            let mut best: Option<(i128, usize, usize)> = None;
            for x in 0..list.len() {
                for y in x + 1..list.len() {
                    let (px, py) = (price(list[x].1), price(list[y].1));
                    let (lo, hi) = (px.min(py), px.max(py));
                    if lo > 0
                        && (hi - lo) * 100 >= CHANNEL_GAP_PERCENT * lo
                        && same_plan(&list[x].1.plan, &list[y].1.plan)
                        && best.map_or(true, |(gap, _, _)| (hi - lo) * 1_000_000 / lo > gap)
                    {
                        best = Some(((hi - lo) * 1_000_000 / lo, x, y));
                    }
                }
            }
            let Some((_, x, y)) = best else {
                continue;
            };
            let by_channel: BTreeMap<(&str, Option<&str>), &SeatPoint> =
                crate::sort::btree([list[x], list[y]].into_iter().map(|(k, p)| (*k, *p)));
            let low = by_channel.values().map(|p| price(p)).min().unwrap_or(0);
            let high = by_channel.values().map(|p| price(p)).max().unwrap_or(0);
            let name_of = |via: Option<&str>| -> String {
                match via {
                    None => "directly".to_owned(),
                    Some(v) => {
                        let n = a
                            .channels
                            .iter()
                            .find(|c| c.via_id.as_deref() == Some(v))
                            .and_then(|c| c.via_name.clone())
                            .unwrap_or_else(|| v.to_owned());
                        format!("through {n}")
                    }
                }
            };
            let parts: Vec<String> = by_channel
                .iter()
                .map(|((_, via), p)| {
                    format!(
                        "{} {} ({} seats, {})",
                        money_text(Amount(price(p) as i64), currency),
                        name_of(*via),
                        p.seats,
                        p.date
                    )
                })
                .collect();
            let pct = percent_tenths(high - low, low).unwrap_or_default();
            let i = b.push(
                "channelPriceGap",
                &[&a.app_id, currency],
                InsightSeverity::Medium,
                format!(
                    "{}: price per seat differs by {pct}% between channels",
                    a.app_name
                ),
                format!(
                    "{} costs, a seat a month, {}. Buying every seat through the cheaper channel may lower the price.",
                    a.app_name,
                    parts.join(" and ")
                ),
            );
            i.app_id = Some(a.app_id.clone());
            i.app_ids = vec![a.app_id.clone()];
            i.date = by_channel.values().map(|p| p.date).max();
            i.change_percent = Some(pct);
            i.amounts = by_channel
                .iter()
                .map(|((_, via), p)| InsightAmount {
                    label: "latestPerSeat",
                    currency: currency.to_owned(),
                    amount: Amount(price(p) as i64),
                    subject: Some(via.unwrap_or("direct").to_owned()),
                })
                .collect();
            i.transaction_ids = by_channel
                .values()
                .map(|p| p.transaction_id.clone())
                .collect();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        Date::parse_bc(s).unwrap().unwrap()
    }

    fn line(date: &str, unit: i64, period: Option<Period>) -> SeatLine<'static> {
        SeatLine {
            text: "Slack Pro - 10 seats",
            date: d(date),
            seats: 10,
            unit_price: Some(Amount(unit)),
            period,
            amount: Amount(unit * 10),
            channel: "direct",
            via_id: None,
            id: "t",
        }
    }

    #[test]
    fn price_per_seat_per_month_rounds_half_to_even() {
        let monthly = |unit, period| {
            points(
                &[line("2026-01-05", unit, period)],
                CadenceKind::InsufficientData,
                None,
            )[0]
            .price_per_seat_monthly
        };
        // 0.0030 / 12 = 0.00025 -> 0.0002; 0.0018 / 12 = 0.00015 -> 0.0002.
        assert_eq!(monthly(30, Some(Period::Annual)), Some(Amount(2)));
        assert_eq!(monthly(18, Some(Period::Annual)), Some(Amount(2)));
        assert_eq!(
            monthly(250_000, Some(Period::Quarterly)),
            Some(Amount(83_333))
        );
        // No period stated and no rhythm: no monthly price, the seats still count.
        assert_eq!(monthly(250_000, None), None);
    }

    #[test]
    fn a_stated_multi_year_term_divides_by_its_months() {
        let p = points(
            &[line("2026-01-05", 360_000, Some(Period::MultiYear))],
            CadenceKind::Annual,
            Some(36),
        );
        assert_eq!(p[0].price_per_seat_monthly, Some(Amount(10_000)));
        assert_eq!(p[0].term_months, Some(36));
    }

    #[test]
    fn a_charge_and_its_true_up_are_one_point() {
        let mut a = line("2026-01-05", 10_000, None);
        let mut b = line("2026-01-07", 10_000, None);
        a.seats = 40;
        a.amount = Amount(400_000);
        b.seats = 5;
        b.amount = Amount(50_000);
        let p = points(&[b, a], CadenceKind::Monthly, Some(1));
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].seats, 40);
    }

    #[test]
    fn plan_words_leave_out_numbers_seats_months_and_billing() {
        let w = |t| plan_words(t).into_iter().collect::<Vec<_>>().join(" ");
        assert_eq!(
            w("Microsoft 365 Business Standard - 20 licences - Jun 2026"),
            "business microsoft standard"
        );
        assert_eq!(
            w("Microsoft 365 E3 (NCE, annual commitment, monthly billing)"),
            "e3 microsoft"
        );
        assert!(!same_plan(
            &plan_words("Microsoft 365 Business Premium (monthly) – 199 users"),
            &plan_words("Microsoft 365 E3 (NCE, annual commitment, monthly billing)")
        ));
        assert!(same_plan(
            &plan_words("Microsoft 365 Business Standard - 20 licences"),
            &plan_words("MICROSOFT 365 BUSINESS STANDARD NCE - 10 licences - via Softcat")
        ));
    }
}

//! The report from crafted transaction sets: cadence, renewals, price changes, overlaps,
//! resellers, shadow SaaS, currencies and rates, users, options; and over the sample fixtures.
#![cfg(not(target_arch = "wasm32"))]

use bc_spend::date::Date;
use bc_spend::engine::{Engine, EngineOptions};
use bc_spend::matching::{DecidedBy, Match, Rejected, Via};
use bc_spend::money::Amount;
use bc_spend::report::cadence::CadenceKind;
use bc_spend::report::{
    build_report, Insight, Report, ReportContext, ReportOptions, ReportSettings,
};
use bc_spend::transactions::Transaction;
use bc_spend::users::{User, UserKind, UserStatus};
use serde_json::json;
use std::collections::BTreeMap;
use std::path::Path;

const AS_OF: &str = "2026-11-26";

fn d(s: &str) -> Date {
    Date::parse_bc(s).unwrap().unwrap()
}

fn amt(s: &str) -> Amount {
    Amount::parse_decimal(s).unwrap()
}

/// A transaction; `app` is `(appId, category)`.
fn tx(
    id: &str,
    date: &str,
    vendor: &str,
    currency: &str,
    excl: &str,
    app: Option<(&str, &str)>,
) -> Transaction {
    let a = amt(excl);
    Transaction {
        id: id.into(),
        kind: if a.0 < 0 { "creditMemo" } else { "invoice" },
        company_id: "c1".into(),
        company_name: Some("Contoso".into()),
        invoice_id: format!("inv-{id}").into(),
        invoice_number: Some(format!("N-{id}").into()),
        vendor_invoice_number: None,
        line_id: None,
        date: d(date),
        invoice_date: Some(d(date)),
        posting_date: Some(d(date)),
        vendor_id: Some(format!("v-{}", vendor.to_lowercase().replace(' ', "-")).into()),
        vendor_number: None,
        vendor_name: vendor.into(),
        description: "".into(),
        line_type: None,
        gl_account_number: None,
        currency: currency.into(),
        amount_excluding_tax: a,
        amount_including_tax: Amount(a.0 * 12 / 10),
        applies_to_invoice_id: None,
        applies_to_invoice_number: None,
        lines: None,
        match_: app.map(|(id, cat)| {
            std::sync::Arc::new(Match {
                app_id: id.into(),
                app_name: format!("{}{}", id[..1].to_uppercase(), &id[1..]),
                category: cat.into(),
                decided_by: DecidedBy::VendorName,
                rule_id: None,
                evidence: vec![],
                confidence: 0.9,
                runner_up: None,
                via: None,
            })
        }),
        match_rejected: None,
        ignored_by_rule: None,
        seats: None,
        unit_price: None,
        period: None,
        term_months: None,
    }
}

fn via(mut t: Transaction, id: &str, name: &str, kind: &str) -> Transaction {
    if let Some(m) = t.match_.as_mut().map(std::sync::Arc::make_mut) {
        m.via = Some(Via {
            id: id.into(),
            name: name.into(),
            kind: kind.into(),
        });
    }
    t
}

fn described(mut t: Transaction, desc: &str) -> Transaction {
    t.description = desc.into();
    t
}

fn opts(v: serde_json::Value) -> ReportSettings {
    ReportSettings::new(&ReportOptions::from_json(&v).unwrap()).unwrap()
}

fn report(txs: &[Transaction]) -> Report {
    report_with(txs, &[], json!({ "asOf": AS_OF }))
}

fn report_with(txs: &[Transaction], users: &[User], o: serde_json::Value) -> Report {
    build_report(txs, users, &ReportContext::default(), &opts(o))
}

/// `n` charges on the `day` of consecutive months from `start` (`YYYY-MM`).
fn monthly(
    prefix: &str,
    start: &str,
    n: u32,
    day: u8,
    vendor: &str,
    amount: &str,
    app: Option<(&str, &str)>,
) -> Vec<Transaction> {
    let (y, m) = (
        start[..4].parse::<i32>().unwrap(),
        start[5..].parse::<i32>().unwrap(),
    );
    (0..n as i32)
        .map(|i| {
            let idx = y * 12 + m - 1 + i;
            let date = format!("{:04}-{:02}-{:02}", idx / 12, idx % 12 + 1, day);
            tx(
                &format!("{prefix}{i:02}"),
                &date,
                vendor,
                "USD",
                amount,
                app,
            )
        })
        .collect()
}

fn insights_of<'a>(r: &'a Report, kind: &str) -> Vec<&'a Insight> {
    r.insights.iter().filter(|i| i.kind == kind).collect()
}

fn app<'a>(r: &'a Report, id: &str) -> &'a bc_spend::report::AppReport {
    r.apps
        .iter()
        .find(|a| a.app_id == id)
        .unwrap_or_else(|| panic!("no app {id}"))
}

// ------------------------------------------------------------------ cadence

#[test]
fn monthly_history_is_monthly_with_next_charge_and_no_renewal_insight() {
    let txs = monthly(
        "s",
        "2025-12",
        12,
        3,
        "Slack Technologies",
        "100.00",
        Some(("slack", "communication")),
    );
    let r = report(&txs);
    let c = app(&r, "slack").cadence.as_ref().unwrap();
    assert_eq!(c.kind, CadenceKind::Monthly);
    assert!(c.confidence >= 0.9, "{}", c.confidence);
    assert_eq!(c.charges, 12);
    assert_eq!(c.last_charge_date, d("2026-11-03"));
    assert_eq!(c.next_expected, Some(d("2026-12-03")));
    assert!(!c.overdue);
    assert_eq!(c.annual_estimate, Some(amt("1200")));
    assert!(insights_of(&r, "renewalDue").is_empty());
    assert!(insights_of(&r, "priceIncrease").is_empty());
    assert!(app(&r, "slack").active);
}

#[test]
fn annual_history_renews_within_90_days() {
    let txs = vec![
        tx(
            "f1",
            "2025-01-15",
            "Figma Inc",
            "USD",
            "5400",
            Some(("figma", "design")),
        ),
        tx(
            "f2",
            "2026-01-15",
            "Figma Inc",
            "USD",
            "5400",
            Some(("figma", "design")),
        ),
    ];
    let r = report(&txs);
    let c = app(&r, "figma").cadence.clone().unwrap();
    assert_eq!(c.kind, CadenceKind::Annual);
    assert_eq!(c.next_expected, Some(d("2027-01-15")));
    let ren = insights_of(&r, "renewalDue");
    assert_eq!(ren.len(), 1);
    assert_eq!(ren[0].date, Some(d("2027-01-15")));
    assert_eq!(ren[0].transaction_ids, vec!["f2"]);
    assert_eq!(ren[0].amounts[0].amount, amt("5400"));
    assert_eq!(r.renewals.len(), 1);
    assert_eq!(r.renewals[0].days_until, 50);
    assert!(r.renewals[0].confirmed);
    assert_eq!(
        r.renewals[0].insight_id.as_deref(),
        Some(ren[0].id.as_str())
    );
    // Outside a 30-day window there is no renewal.
    let r = report_with(&txs, &[], json!({ "asOf": AS_OF, "renewalWindowDays": 30 }));
    assert!(insights_of(&r, "renewalDue").is_empty());
}

#[test]
fn quarterly_history_is_quarterly() {
    let txs = vec![
        tx(
            "q1",
            "2026-03-10",
            "Atlassian",
            "USD",
            "900",
            Some(("jira", "project-management")),
        ),
        tx(
            "q2",
            "2026-06-10",
            "Atlassian",
            "USD",
            "900",
            Some(("jira", "project-management")),
        ),
        tx(
            "q3",
            "2026-09-10",
            "Atlassian",
            "USD",
            "900",
            Some(("jira", "project-management")),
        ),
    ];
    let r = report(&txs);
    let c = app(&r, "jira").cadence.clone().unwrap();
    assert_eq!(c.kind, CadenceKind::Quarterly);
    assert_eq!(c.median_interval_days, Some(92));
    assert_eq!(c.next_expected, Some(d("2026-12-10")));
    let ren = insights_of(&r, "renewalDue");
    assert_eq!(ren.len(), 1);
    assert_eq!(format!("{:?}", ren[0].severity), "Medium", "due in 14 days");
}

#[test]
fn irregular_and_single_charge_histories() {
    let txs = vec![
        tx(
            "i1",
            "2026-01-05",
            "OpenAI",
            "USD",
            "40",
            Some(("openai", "ai-assistants")),
        ),
        tx(
            "i2",
            "2026-02-20",
            "OpenAI",
            "USD",
            "75",
            Some(("openai", "ai-assistants")),
        ),
        tx(
            "i3",
            "2026-03-02",
            "OpenAI",
            "USD",
            "12",
            Some(("openai", "ai-assistants")),
        ),
        tx(
            "i4",
            "2026-07-30",
            "OpenAI",
            "USD",
            "300",
            Some(("openai", "ai-assistants")),
        ),
        tx(
            "one",
            "2026-01-20",
            "Miro",
            "USD",
            "2000",
            Some(("miro", "collaboration")),
        ),
    ];
    let r = report(&txs);
    let c = app(&r, "openai").cadence.clone().unwrap();
    assert_eq!(c.kind, CadenceKind::Irregular);
    assert_eq!(c.next_expected, None);
    assert!(
        insights_of(&r, "priceIncrease").is_empty(),
        "irregular charges are not comparable"
    );
    let m = app(&r, "miro").cadence.clone().unwrap();
    assert_eq!(m.kind, CadenceKind::InsufficientData);
    assert_eq!(m.next_expected, None);
    let possible = insights_of(&r, "renewalPossible");
    assert_eq!(possible.len(), 1);
    assert_eq!(possible[0].date, Some(d("2027-01-20")));
    assert_eq!(r.renewals.iter().filter(|x| !x.confirmed).count(), 1);
}

#[test]
fn missing_monthly_charge_is_overdue_and_app_inactive() {
    let txs = monthly(
        "z",
        "2026-01",
        5,
        8,
        "Zoom Video",
        "150",
        Some(("zoom", "communication")),
    );
    let r = report(&txs);
    let a = app(&r, "zoom");
    assert!(a.cadence.as_ref().unwrap().overdue);
    assert!(!a.active);
    assert_eq!(insights_of(&r, "expectedChargeMissing").len(), 1);
}

#[test]
fn a_monthly_charge_a_few_weeks_late_is_not_missing_yet() {
    // The report reads paid invoices only: November's invoice, due 2026-11-08, may be posted and
    // waiting for payment on its terms. 18 days is not a cancellation yet; 21 is.
    let txs = monthly(
        "z",
        "2025-12",
        11,
        8,
        "Zoom Video",
        "150",
        Some(("zoom", "communication")),
    );
    let r = report(&txs);
    assert!(
        insights_of(&r, "expectedChargeMissing").is_empty(),
        "{:#?}",
        r.insights
    );
    assert!(app(&r, "zoom").active);
    let r = report_with(&txs, &[], json!({ "asOf": "2026-11-29" }));
    assert_eq!(insights_of(&r, "expectedChargeMissing").len(), 1);
}

// ------------------------------------------------------------------ price changes

#[test]
fn price_increase_beyond_ten_percent() {
    let mut txs = monthly(
        "s",
        "2025-12",
        11,
        3,
        "Slack",
        "1000",
        Some(("slack", "communication")),
    );
    txs.push(tx(
        "s-last",
        "2026-11-03",
        "Slack",
        "USD",
        "1200",
        Some(("slack", "communication")),
    ));
    let r = report(&txs);
    let p = insights_of(&r, "priceIncrease");
    assert_eq!(p.len(), 1, "{:#?}", r.insights);
    assert_eq!(p[0].change_percent.as_deref(), Some("20.0"));
    assert_eq!(p[0].transaction_ids, vec!["s10", "s-last"]);
    assert_eq!(p[0].amounts[0].amount, amt("1200"));
    assert_eq!(p[0].amounts[1].amount, amt("1000"));
    // Slack is sold per seat: seats may explain the step, but 20% is more than seat growth.
    assert_eq!(format!("{:?}", p[0].severity), "Medium");
    assert_eq!(p[0].app_id.as_deref(), Some("slack"));

    // 5% is not a price change; a 30% drop is a decrease.
    let mut small = monthly(
        "s",
        "2025-12",
        11,
        3,
        "Slack",
        "1000",
        Some(("slack", "communication")),
    );
    small.push(tx(
        "s-last",
        "2026-11-03",
        "Slack",
        "USD",
        "1050",
        Some(("slack", "communication")),
    ));
    let r = report(&small);
    assert!(insights_of(&r, "priceIncrease").is_empty());
    let mut down = monthly(
        "s",
        "2025-12",
        11,
        3,
        "Slack",
        "1000",
        Some(("slack", "communication")),
    );
    down.push(tx(
        "s-last",
        "2026-11-03",
        "Slack",
        "USD",
        "700",
        Some(("slack", "communication")),
    ));
    let r = report(&down);
    let p = insights_of(&r, "priceDecrease");
    assert_eq!(p.len(), 1);
    assert_eq!(p[0].change_percent.as_deref(), Some("-30.0"));
    // A threshold of 50% hides a 20% increase.
    let r = report_with(
        &txs,
        &[],
        json!({ "asOf": AS_OF, "priceChangePercent": 50 }),
    );
    assert!(insights_of(&r, "priceIncrease").is_empty());
}

#[test]
fn exactly_ten_percent_is_not_beyond() {
    let txs = vec![
        tx(
            "a",
            "2026-09-01",
            "Notion Labs",
            "USD",
            "100.00",
            Some(("notion", "productivity")),
        ),
        tx(
            "b",
            "2026-10-01",
            "Notion Labs",
            "USD",
            "100.00",
            Some(("notion", "productivity")),
        ),
        tx(
            "c",
            "2026-11-01",
            "Notion Labs",
            "USD",
            "110.00",
            Some(("notion", "productivity")),
        ),
    ];
    assert!(insights_of(&report(&txs), "priceIncrease").is_empty());
    let mut txs = txs;
    txs[2] = tx(
        "c",
        "2026-11-01",
        "Notion Labs",
        "USD",
        "110.01",
        Some(("notion", "productivity")),
    );
    assert_eq!(insights_of(&report(&txs), "priceIncrease").len(), 1);
}

// ------------------------------------------------------------------ pricing models

/// Monthly charges on the 3rd, one per amount, the last in 2026-11.
fn bills(prefix: &str, vendor: &str, app: (&str, &str), amounts: &[&str]) -> Vec<Transaction> {
    let first = 2026 * 12 + 10 - amounts.len() as i32 + 1;
    amounts
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let idx = first + i as i32;
            let date = format!("{:04}-{:02}-03", idx / 12, idx % 12 + 1);
            tx(
                &format!("{prefix}{i:02}"),
                &date,
                vendor,
                "USD",
                a,
                Some(app),
            )
        })
        .collect()
}

fn price_insights<'a>(r: &'a Report, app: &str) -> Vec<&'a Insight> {
    r.insights
        .iter()
        .filter(|i| {
            i.app_id.as_deref() == Some(app)
                && matches!(i.kind, "priceIncrease" | "priceDecrease" | "usageTrend")
        })
        .collect()
}

#[test]
fn usage_apps_get_a_spend_trend_never_a_price_change() {
    // A metered bill that swings: a price-change reading would say "up 170%" and "down 80%".
    let aws = bills(
        "a",
        "Amazon Web Services",
        ("aws", "cloud-infrastructure"),
        &[
            "1000", "1100", "950", "1050", "1000", "2700", "530", "1000", "980", "1020", "990",
            "2600",
        ],
    );
    let r = report(&aws);
    assert_eq!(app(&r, "aws").pricing, "usage");
    assert!(
        insights_of(&r, "priceIncrease").is_empty(),
        "{:#?}",
        r.insights
    );
    assert!(
        insights_of(&r, "priceDecrease").is_empty(),
        "{:#?}",
        r.insights
    );
    let t = insights_of(&r, "usageTrend");
    assert_eq!(t.len(), 1, "{:#?}", r.insights);
    // 2600 against the mean of 1020, 990 and 980 (996.6667): +160.9%.
    assert_eq!(t[0].change_percent.as_deref(), Some("160.9"));
    assert_eq!(t[0].date, Some(d("2026-11-03")));
    assert!(
        t[0].title.contains("usage spend up 160.9%"),
        "{}",
        t[0].title
    );
    assert!(
        t[0].message.contains("three months before"),
        "{}",
        t[0].message
    );
    assert!(
        t[0].message.contains("30%"),
        "the threshold is stated: {}",
        t[0].message
    );
    assert_eq!(t[0].amounts[0].label, "latest");
    assert_eq!(t[0].amounts[1].label, "baseline");

    // Usage within the threshold says nothing.
    let calm = bills(
        "a",
        "Amazon Web Services",
        ("aws", "cloud-infrastructure"),
        &["1000", "1100", "950", "1050", "1000", "1200"],
    );
    assert!(price_insights(&report(&calm), "aws").is_empty());

    // The catalog's pricing model decides, not the category: Twilio is `communication` but
    // metered.
    let twilio = bills(
        "t",
        "Twilio Inc",
        ("twilio-communications", "communication"),
        &["100", "100", "100", "100", "100", "180"],
    );
    let r = report(&twilio);
    assert_eq!(app(&r, "twilio-communications").pricing, "usage");
    assert!(
        insights_of(&r, "priceIncrease").is_empty(),
        "{:#?}",
        r.insights
    );
    assert_eq!(insights_of(&r, "usageTrend").len(), 1);
    // A seat app is `seat` and keeps its price change.
    let slack = bills(
        "s",
        "Slack",
        ("slack", "communication"),
        &["100", "100", "100", "100", "100", "180"],
    );
    let r = report(&slack);
    assert_eq!(app(&r, "slack").pricing, "seat");
    assert_eq!(insights_of(&r, "priceIncrease").len(), 1);
    assert!(insights_of(&r, "usageTrend").is_empty());
}

#[test]
fn a_lower_usage_bill_is_not_an_insight_and_the_baseline_is_in_cents() {
    // The latest month of a metered bill is often incomplete (the report reads paid invoices
    // only), and a lower bill asks for nothing.
    let down = bills(
        "a",
        "Amazon Web Services",
        ("aws", "cloud-infrastructure"),
        &["1000", "1000", "1000", "1000", "1000", "300"],
    );
    assert!(price_insights(&report(&down), "aws").is_empty());
    let up = bills(
        "a",
        "Amazon Web Services",
        ("aws", "cloud-infrastructure"),
        &["1000", "1000", "1000", "1000", "1001", "2000"],
    );
    let r = report(&up);
    let t = insights_of(&r, "usageTrend");
    assert_eq!(t[0].amounts[1].amount, amt("1000.33"));
    assert!(t[0].message.contains("(1000.33 USD,"), "{}", t[0].message);
}

#[test]
fn a_seat_apps_charge_step_says_seats_may_explain_it() {
    // Without the seat count, a lasting charge step of a seat app may be more seats: it is told,
    // one severity lower than a flat fee's, and says so.
    let steps = |app: (&str, &str), vendor: &str| {
        report(&bills(
            "s",
            vendor,
            app,
            &["1000", "1000", "1000", "1150", "1150", "1150"],
        ))
    };
    let seat = steps(("slack", "communication"), "Slack");
    let i = insights_of(&seat, "priceIncrease")[0];
    assert_eq!(format!("{:?}", i.severity), "Low");
    assert!(i.message.contains("seats"), "{}", i.message);
    // A step of at least twice the threshold (20%) is more than ordinary seat growth: medium.
    let big = report(&bills(
        "s",
        "Slack",
        ("slack", "communication"),
        &["1000", "1000", "1000", "1200", "1200", "1200"],
    ));
    assert_eq!(
        format!("{:?}", insights_of(&big, "priceIncrease")[0].severity),
        "Medium"
    );
    let flat = steps(("statuspage", "observability"), "Atlassian");
    assert_eq!(
        format!("{:?}", insights_of(&flat, "priceIncrease")[0].severity),
        "Medium"
    );
}

#[test]
fn one_subscription_never_gets_contradictory_price_insights() {
    let histories: [(&str, (&str, &str), &[&str]); 4] = [
        (
            "slack",
            ("slack", "communication"),
            &["100", "100", "100", "130", "130", "130", "90"],
        ),
        (
            "aws",
            ("aws", "cloud-infrastructure"),
            &["1000", "1000", "1000", "2700", "530", "2600"],
        ),
        (
            "jira",
            ("jira", "project-management"),
            &["100", "150", "150", "100", "100", "150"],
        ),
        (
            "datadog",
            ("datadog", "observability"),
            &["100", "300", "100", "300", "100", "300"],
        ),
    ];
    for (id, app_ref, amounts) in histories {
        let r = report(&bills("x", "Vendor", app_ref, amounts));
        let p = price_insights(&r, id);
        assert!(p.len() <= 1, "{id}: {:#?}", p);
    }
}

// ------------------------------------------------------------------ step changes

#[test]
fn a_lasting_step_anywhere_in_the_window_is_a_price_change_with_its_date() {
    let slack = bills(
        "s",
        "Slack",
        ("slack", "communication"),
        &[
            "1250", "1250", "1250", "1250", "1250", "1250", "1500", "1500", "1500", "1500", "1500",
            "1500",
        ],
    );
    let r = report(&slack);
    let p = insights_of(&r, "priceIncrease");
    assert_eq!(p.len(), 1, "{:#?}", r.insights);
    assert_eq!(
        p[0].title,
        "Slack: from 1250.00 to 1500.00 USD since 2026-06-03 (+20.0%)"
    );
    assert_eq!(p[0].date, Some(d("2026-06-03")));
    assert_eq!(p[0].change_percent.as_deref(), Some("20.0"));
    assert_eq!(p[0].amounts[0].amount, amt("1500"));
    assert_eq!(p[0].amounts[1].amount, amt("1250"));
    assert_eq!(
        p[0].transaction_ids.first().map(String::as_str),
        Some("s05")
    );
    assert_eq!(
        p[0].transaction_ids.len(),
        7,
        "the charge before and every charge since"
    );
    assert!(p[0].message.contains("6 charges since"), "{}", p[0].message);

    // A decrease in the middle of the window, too.
    let down = bills(
        "s",
        "Slack",
        ("slack", "communication"),
        &[
            "1500", "1500", "1500", "1500", "1200", "1200", "1200", "1200",
        ],
    );
    let p = insights_of(&report(&down), "priceDecrease").len();
    assert_eq!(p, 1);

    // An annual subscription: two charges are enough.
    let figma = vec![
        tx(
            "f1",
            "2025-01-15",
            "Figma Inc",
            "USD",
            "5400",
            Some(("figma", "design")),
        ),
        tx(
            "f2",
            "2026-01-15",
            "Figma Inc",
            "USD",
            "6480",
            Some(("figma", "design")),
        ),
    ];
    let r = report(&figma);
    let p = insights_of(&r, "priceIncrease");
    assert_eq!(p.len(), 1);
    assert_eq!(
        p[0].title,
        "Figma: from 5400.00 to 6480.00 USD since 2026-01-15 (+20.0%)"
    );
}

#[test]
fn a_cancelled_subscription_tells_its_cancellation_not_its_old_price() {
    let jira = ("jira", "project-management");
    let txs: Vec<Transaction> = monthly("j", "2026-01", 8, 21, "Atlassian", "100", Some(jira))
        .into_iter()
        .enumerate()
        .map(|(i, mut t)| {
            if i >= 5 {
                t.amount_excluding_tax = amt("120");
            }
            t
        })
        .collect();
    let r = report(&txs);
    assert_eq!(insights_of(&r, "expectedChargeMissing").len(), 1);
    assert!(price_insights(&r, "jira").is_empty(), "{:#?}", r.insights);
}

#[test]
fn a_one_off_spike_that_reverts_is_not_a_price_change() {
    for amounts in [
        // In the middle of the window.
        &[
            "100", "100", "100", "100", "180", "100", "100", "100", "100",
        ][..],
        // Just before the latest charge: the latest is the usual price again.
        &["100", "100", "100", "100", "100", "100", "180", "100"][..],
        // A dip.
        &["100", "100", "100", "40", "100", "100", "100"][..],
        // A prorated first month.
        &["45", "100", "100", "100", "100", "100"][..],
    ] {
        let r = report(&bills("s", "Slack", ("slack", "communication"), amounts));
        assert!(
            price_insights(&r, "slack").is_empty(),
            "{amounts:?}: {:#?}",
            r.insights
        );
    }
}

#[test]
fn add_on_charges_are_not_price_changes_and_do_not_break_the_cadence() {
    let slack = ("slack", "communication");
    let mut txs = bills("s", "Slack", slack, &["1000"; 12]);
    // Extra seats mid-cycle, onboarding days before the latest charge, an overage: none is the
    // subscription's price.
    txs.push(described(
        tx("x1", "2026-06-16", "Slack", "USD", "200", Some(slack)),
        "Slack Business+ - 5 additional seats (prorated)",
    ));
    txs.push(described(
        tx("x2", "2026-10-30", "Slack", "USD", "774", Some(slack)),
        "Slack - professional services / onboarding",
    ));
    txs.push(described(
        tx("x3", "2026-08-20", "Slack", "USD", "150", Some(slack)),
        "Slack - overage charges August 2026",
    ));
    let r = report(&txs);
    assert!(price_insights(&r, "slack").is_empty(), "{:#?}", r.insights);
    let c = app(&r, "slack").cadence.clone().unwrap();
    assert_eq!(c.kind, CadenceKind::Monthly);
    assert_eq!(c.last_charge_amount, amt("1000"));
    // An invoice whose lines hold the plan and extra seats counts the plan only.
    let mut txs = bills("s", "Slack", slack, &["1000"; 12]);
    let last = txs.last_mut().unwrap();
    last.amount_excluding_tax = amt("1300");
    last.lines = Some(vec![
        line("Slack Business+ (monthly) - 40 users", "1000"),
        line("Slack Business+ - 12 additional seats (prorated)", "300"),
    ]);
    let r = report(&txs);
    assert!(price_insights(&r, "slack").is_empty(), "{:#?}", r.insights);
}

fn line(desc: &str, amount: &str) -> bc_spend::transactions::TxLine {
    bc_spend::transactions::TxLine {
        line_id: None,
        sequence: None,
        description: desc.into(),
        description2: None,
        line_type: "Account",
        object_number: None,
        gl_account_number: None,
        amount_excluding_tax: amt(amount),
        amount_including_tax: amt(amount),
        match_: None,
    }
}

// ------------------------------------------------------------------ renewals

#[test]
fn one_charge_whose_line_says_annual_is_a_confirmed_renewal() {
    for desc in [
        "Annual subscription - Enterprise plan",
        "Jahresabo Enterprise",
        "Abonnement annuel",
    ] {
        let txs = vec![described(
            tx(
                "a1",
                "2025-12-15",
                "Miro",
                "USD",
                "12000",
                Some(("miro", "collaboration")),
            ),
            desc,
        )];
        let r = report(&txs);
        assert!(insights_of(&r, "renewalPossible").is_empty(), "{desc}");
        let due = insights_of(&r, "renewalDue");
        assert_eq!(due.len(), 1, "{desc}: {:#?}", r.insights);
        assert_eq!(due[0].date, Some(d("2026-12-15")));
        assert_ne!(format!("{:?}", due[0].severity), "Low", "due in 19 days");
        assert_ne!(format!("{:?}", due[0].severity), "Info");
        let c = app(&r, "miro").cadence.clone().unwrap();
        assert_eq!(c.kind, CadenceKind::Annual, "{desc}");
        assert_eq!(c.term_months, Some(12));
        assert_eq!(r.renewals.len(), 1);
        let ren = &r.renewals[0];
        assert!(ren.confirmed);
        assert!(ren.in_window);
        assert!(ren.confidence >= 0.9, "{}", ren.confidence);
        assert!(
            ren.evidence.iter().any(|e| e.contains("the line says")),
            "{:?}",
            ren.evidence
        );
        assert_eq!(ren.insight_id.as_deref(), Some(due[0].id.as_str()));
    }
    // A three-year term renews three years on.
    let txs = vec![described(
        tx(
            "m1",
            "2024-01-10",
            "Datadog",
            "USD",
            "90000",
            Some(("datadog", "observability")),
        ),
        "Datadog Enterprise - 3 years commit",
    )];
    let r = report(&txs);
    assert_eq!(r.renewals.len(), 1);
    assert_eq!(r.renewals[0].due_date, d("2027-01-10"));
    assert_eq!(r.renewals[0].term_months, 36);
}

#[test]
fn every_annual_subscription_is_in_renewals_and_big_ones_are_at_least_medium() {
    let mut txs = vec![
        // Confirmed by the dates, due in 200 days: listed, no insight.
        tx(
            "f1",
            "2025-06-14",
            "Figma Inc",
            "USD",
            "5400",
            Some(("figma", "design")),
        ),
        tx(
            "f2",
            "2026-06-14",
            "Figma Inc",
            "USD",
            "5400",
            Some(("figma", "design")),
        ),
    ];
    // Due in 60 days, the largest renewal in the window: at least medium.
    txs.push(described(
        tx(
            "s1",
            "2026-01-25",
            "Salesforce",
            "USD",
            "48000",
            Some(("salesforce", "crm-sales")),
        ),
        "Sales Cloud Enterprise annual",
    ));
    let r = report(&txs);
    let figma = r.renewals.iter().find(|x| x.app_id == "figma").unwrap();
    assert!(!figma.in_window);
    assert!(figma.insight_id.is_none());
    assert!(
        figma.evidence.iter().any(|e| e.contains("charged")),
        "{:?}",
        figma.evidence
    );
    let sf = r
        .renewals
        .iter()
        .find(|x| x.app_id == "salesforce")
        .unwrap();
    assert!(sf.in_window);
    assert_eq!(sf.days_until, 60);
    let due = insights_of(&r, "renewalDue");
    assert_eq!(due.len(), 1);
    assert_eq!(format!("{:?}", due[0].severity), "Medium");
    assert!(due[0].message.contains("largest"), "{}", due[0].message);
}

// ------------------------------------------------------------------ telling insights apart

fn in_company(mut t: Transaction, id: &str, name: &str) -> Transaction {
    t.company_id = id.into();
    t.company_name = Some(name.into());
    t
}

#[test]
fn insights_about_one_app_in_two_companies_name_the_company() {
    let jira = ("jira", "project-management");
    let mut txs: Vec<Transaction> = bills(
        "u",
        "Atlassian",
        jira,
        &["100", "100", "100", "118", "118", "118"],
    )
    .into_iter()
    .map(|t| in_company(t, "c-us", "CRONUS USA, Inc."))
    .collect();
    txs.extend(
        bills(
            "k",
            "Atlassian",
            jira,
            &["60", "60", "60", "60", "70", "70"],
        )
        .into_iter()
        .map(|t| in_company(t, "c-uk", "CRONUS UK Ltd.")),
    );
    let r = report(&txs);
    let p = insights_of(&r, "priceIncrease");
    assert_eq!(p.len(), 2, "{:#?}", r.insights);
    let titles: Vec<&str> = p.iter().map(|i| i.title.as_str()).collect();
    assert!(
        titles
            .iter()
            .any(|t| t.starts_with("Jira (CRONUS USA, Inc.): ")),
        "{titles:?}"
    );
    assert!(
        titles
            .iter()
            .any(|t| t.starts_with("Jira (CRONUS UK Ltd.): ")),
        "{titles:?}"
    );
    // One company, two currencies: the currency tells them apart.
    let mut txs = bills(
        "u",
        "Atlassian",
        jira,
        &["100", "100", "100", "118", "118", "118"],
    );
    txs.extend(
        bills(
            "e",
            "Atlassian",
            jira,
            &["90", "90", "90", "90", "110", "110"],
        )
        .into_iter()
        .map(|mut t| {
            t.currency = "EUR".into();
            t
        }),
    );
    let r = report(&txs);
    let titles: Vec<String> = insights_of(&r, "priceIncrease")
        .iter()
        .map(|i| i.title.clone())
        .collect();
    assert!(
        titles.iter().any(|t| t.starts_with("Jira (EUR): ")),
        "{titles:?}"
    );
    assert!(
        titles.iter().any(|t| t.starts_with("Jira (USD): ")),
        "{titles:?}"
    );
    // One subscription alone keeps the plain title.
    let r = report(&bills(
        "u",
        "Atlassian",
        jira,
        &["100", "100", "100", "118", "118", "118"],
    ));
    assert!(insights_of(&r, "priceIncrease")[0]
        .title
        .starts_with("Jira: "));
}

// ------------------------------------------------------------------ overlaps, channels

#[test]
fn overlapping_apps_do_the_same_job() {
    let mut txs = monthly(
        "zm",
        "2026-06",
        6,
        2,
        "Zoom",
        "150",
        Some(("zoom", "communication")),
    );
    txs.extend(monthly(
        "wx",
        "2026-06",
        6,
        4,
        "Cisco Webex",
        "90",
        Some(("webex", "communication")),
    ));
    // A third tool that stopped being paid in March is not an overlap.
    txs.extend(monthly(
        "gm",
        "2025-12",
        4,
        4,
        "GoTo",
        "50",
        Some(("goto-meeting", "communication")),
    ));
    // Slack shares Zoom's category but not its job.
    txs.extend(monthly(
        "sl",
        "2026-06",
        6,
        4,
        "Slack",
        "200",
        Some(("slack", "communication")),
    ));
    txs.extend(monthly(
        "1p",
        "2026-06",
        6,
        4,
        "1Password",
        "80",
        Some(("1password", "security-identity")),
    ));
    txs.extend(monthly(
        "lp",
        "2026-06",
        6,
        5,
        "LastPass",
        "70",
        Some(("lastpass", "security-identity")),
    ));
    txs.extend(monthly(
        "bw",
        "2026-06",
        6,
        6,
        "Bitwarden",
        "60",
        Some(("bitwarden", "security-identity")),
    ));
    // Okta is in the same category as the password managers, but does another job.
    txs.extend(monthly(
        "ok",
        "2026-06",
        6,
        6,
        "Okta",
        "60",
        Some(("okta", "security-identity")),
    ));
    let r = report(&txs);
    let o = insights_of(&r, "overlappingApps");
    assert_eq!(o.len(), 2, "{:#?}", o);
    let video = o
        .iter()
        .find(|i| i.function.as_deref() == Some("video-meetings"))
        .unwrap();
    assert_eq!(video.app_ids, vec!["webex", "zoom"]);
    assert_eq!(video.category.as_deref(), Some("communication"));
    assert_eq!(format!("{:?}", video.severity), "Medium");
    assert_eq!(video.transaction_ids.len(), 12);
    let pw = o
        .iter()
        .find(|i| i.function.as_deref() == Some("password-managers"))
        .unwrap();
    assert_eq!(pw.app_ids, vec!["1password", "bitwarden", "lastpass"]);
    assert_eq!(format!("{:?}", pw.severity), "High");
    assert!(pw
        .amounts
        .iter()
        .any(|a| a.subject.as_deref() == Some("lastpass") && a.amount == amt("420")));

    // Microsoft Teams is both chat and video: with Slack and Zoom it makes two overlaps.
    let mut txs = monthly(
        "zm",
        "2026-06",
        6,
        2,
        "Zoom",
        "150",
        Some(("zoom", "communication")),
    );
    txs.extend(monthly(
        "sl",
        "2026-06",
        6,
        4,
        "Slack",
        "200",
        Some(("slack", "communication")),
    ));
    txs.extend(monthly(
        "mt",
        "2026-06",
        6,
        4,
        "Microsoft",
        "40",
        Some(("microsoft-teams", "communication")),
    ));
    let r = report(&txs);
    let fns: Vec<Option<&str>> = insights_of(&r, "overlappingApps")
        .iter()
        .map(|i| i.function.as_deref())
        .collect();
    assert_eq!(fns.len(), 2);
    assert!(fns.contains(&Some("team-chat")) && fns.contains(&Some("video-meetings")));
}

#[test]
fn one_app_paid_directly_and_through_a_reseller() {
    let mut txs = monthly(
        "ad",
        "2026-05",
        6,
        10,
        "Adobe Systems Software Ireland",
        "500",
        Some(("adobe-creative-cloud", "design")),
    );
    txs.push(via(
        tx(
            "shi1",
            "2026-08-20",
            "SHI International Corp.",
            "USD",
            "2400",
            Some(("adobe-creative-cloud", "design")),
        ),
        "shi",
        "SHI",
        "reseller",
    ));
    // Slack only direct: no insight.
    txs.extend(monthly(
        "sl",
        "2026-05",
        6,
        10,
        "Slack",
        "100",
        Some(("slack", "communication")),
    ));
    let r = report(&txs);
    let i = insights_of(&r, "paidThroughMultipleVendors");
    assert_eq!(i.len(), 1);
    assert_eq!(i[0].app_id.as_deref(), Some("adobe-creative-cloud"));
    assert_eq!(i[0].transaction_ids.len(), 7);
    let a = app(&r, "adobe-creative-cloud");
    assert_eq!(a.channels.len(), 2);
    assert_eq!(a.channels[0].channel, "direct");
    assert_eq!(a.channels[1].channel, "reseller");
    assert_eq!(a.channels[1].via_name.as_deref(), Some("SHI"));
    assert_eq!(a.channels[1].spend[0].amount_excluding_tax, amt("2400"));
    assert!(i[0]
        .amounts
        .iter()
        .any(|x| x.subject.as_deref() == Some("shi") && x.amount == amt("2400")));
    assert!(i[0]
        .amounts
        .iter()
        .any(|x| x.subject.as_deref() == Some("direct") && x.amount == amt("3000")));
}

#[test]
fn vendor_group_is_not_a_second_channel() {
    let txs = vec![
        tx(
            "m1",
            "2026-10-01",
            "Microsoft Ireland",
            "USD",
            "100",
            Some(("microsoft-365", "productivity")),
        ),
        via(
            tx(
                "m2",
                "2026-11-01",
                "Microsoft Ireland",
                "USD",
                "100",
                Some(("microsoft-365", "productivity")),
            ),
            "microsoft",
            "Microsoft",
            "vendorGroup",
        ),
    ];
    assert!(insights_of(&report(&txs), "paidThroughMultipleVendors").is_empty());
}

// ------------------------------------------------------------------ unmatched, shadow SaaS

#[test]
fn recurring_unrecognised_vendor_is_possible_shadow_saas() {
    let mut txs: Vec<Transaction> =
        monthly("ac", "2026-05", 6, 3, "Acme Cloud Tools Ltd", "49", None)
            .into_iter()
            .map(|t| described(t, "Team plan subscription"))
            .collect();
    // Rent is recurring but not software.
    for (i, t) in monthly("rent", "2026-05", 6, 1, "Harbour Properties", "4000", None)
        .into_iter()
        .enumerate()
    {
        let mut t = described(t, "Office rent");
        t.match_rejected = Some(std::sync::Arc::new(Rejected {
            app_id: None,
            app_name: None,
            confidence: 0.0,
            reason: "the line looks like rent or facilities ('rent')".into(),
            candidates: vec![],
            not_software: Some("rent".into()),
        }));
        let _ = i;
        txs.push(t);
    }
    // A one-off purchase is not recurring.
    txs.push(described(
        tx("once", "2026-07-07", "Widget Shop", "USD", "120", None),
        "Widgets",
    ));
    let r = report(&txs);
    let shadow = insights_of(&r, "possibleShadowSaas");
    assert_eq!(shadow.len(), 1, "{:#?}", shadow);
    assert_eq!(
        shadow[0].vendor_name.as_deref(),
        Some("Acme Cloud Tools Ltd")
    );
    assert_eq!(shadow[0].transaction_ids.len(), 6);
    assert_eq!(format!("{:?}", shadow[0].severity), "Medium");
    assert_eq!(r.unmatched.len(), 3);
    // Ranked by spend: rent first.
    assert_eq!(r.unmatched[0].vendor_name, "Harbour Properties");
    assert!(!r.unmatched[0].possible_shadow_saas);
    let acme = r
        .unmatched
        .iter()
        .find(|u| u.vendor_name.starts_with("Acme"))
        .unwrap();
    assert!(acme.possible_shadow_saas);
    assert_eq!(acme.cadence, CadenceKind::Monthly);
    assert_eq!(acme.months, 6);
    assert_eq!(acme.spend[0].amount_excluding_tax, amt("294"));
    assert!(acme.signals.iter().any(|s| s.contains("subscription")));
    assert!(
        !r.unmatched
            .iter()
            .find(|u| u.vendor_name == "Widget Shop")
            .unwrap()
            .possible_shadow_saas
    );
    assert_eq!(r.counts.unmatched_vendors, 3);
}

/// Monthly charges of one unknown vendor, every line described the same.
fn recurring(prefix: &str, vendor: &str, desc: &str) -> Vec<Transaction> {
    monthly(prefix, "2026-05", 6, 3, vendor, "49", None)
        .into_iter()
        .map(|t| described(t, desc))
        .collect()
}

fn shadow_names(r: &Report) -> Vec<String> {
    insights_of(r, "possibleShadowSaas")
        .iter()
        .map(|i| i.vendor_name.clone().unwrap())
        .collect()
}

#[test]
fn shadow_saas_needs_something_that_says_software() {
    let mut txs = Vec::new();
    // Couriers: recurring, unknown, and nothing says software.
    txs.extend(recurring(
        "fx",
        "FedEx Corporation",
        "Express shipment 1141817093 – 7.8 kg",
    ));
    txs.extend(recurring(
        "dh",
        "DHL Paket GmbH",
        "International Priority 1131543874 – 5.3 kg",
    ));
    // The lexicon's logistics words in the vendor's name win over a "plan" on its lines.
    txs.extend(recurring(
        "up",
        "United Parcel Service, Inc.",
        "Monthly plan",
    ));
    // Catering, legal and staffing, as the lexicon knows them.
    txs.extend(recurring(
        "so",
        "Sodexo Limited",
        "Catering – team lunch – 20 persons",
    ));
    txs.extend(recurring(
        "lw",
        "Cooley LLP",
        "Professional services rendered",
    ));
    txs.extend(recurring("st", "Hays plc", "Staffing – contractor hours"));
    // Nothing either way: no evidence of software, so no flag.
    txs.extend(recurring("bh", "Blue Harbour Ltd", "Invoice May"));
    // Subscription words in several languages.
    txs.extend(recurring(
        "en",
        "Acme Cloud Tools Ltd",
        "Team plan subscription",
    ));
    txs.extend(recurring(
        "fr",
        "Logiciels Dupont SARL",
        "Abonnement mensuel – 12 utilisateurs",
    ));
    txs.extend(recurring(
        "de",
        "Nordwind Werkzeuge GmbH",
        "Jahreslizenz Team",
    ));
    txs.extend(recurring("es", "Herramientas Sol SL", "Suscripción anual"));
    txs.extend(recurring("it", "Strumenti Roma Srl", "Abbonamento annuale"));
    txs.extend(recurring(
        "nl",
        "Gereedschap Delft BV",
        "Licentie 10 gebruikers",
    ));
    txs.extend(recurring("sv", "Verktyg Malmö AB", "Licens och abonnemang"));
    let r = report(&txs);
    let mut names = shadow_names(&r);
    names.sort();
    assert_eq!(
        names,
        [
            "Acme Cloud Tools Ltd",
            "Gereedschap Delft BV",
            "Herramientas Sol SL",
            "Logiciels Dupont SARL",
            "Nordwind Werkzeuge GmbH",
            "Strumenti Roma Srl",
            "Verktyg Malmö AB",
        ]
    );
    // The insight says why it fired.
    let de = insights_of(&r, "possibleShadowSaas")
        .into_iter()
        .find(|i| i.vendor_name.as_deref() == Some("Nordwind Werkzeuge GmbH"))
        .unwrap();
    assert!(de.message.contains("\"jahreslizenz\""), "{}", de.message);
    // And the unmatched row says why a courier was not flagged.
    let ups = r
        .unmatched
        .iter()
        .find(|u| u.vendor_name.starts_with("United Parcel"))
        .unwrap();
    assert!(!ups.possible_shadow_saas);
    assert!(
        ups.signals
            .iter()
            .any(|s| s.contains("its name reads as shipping ('parcel')")),
        "{:?}",
        ups.signals
    );
    // A courier whose lines say shipment reads as shipping from the lexicon.
    let fedex = r
        .unmatched
        .iter()
        .find(|u| u.vendor_name == "FedEx Corporation")
        .unwrap();
    assert!(!fedex.possible_shadow_saas);
    assert!(
        fedex
            .signals
            .iter()
            .any(|s| s.contains("shipping ('shipment')")),
        "{:?}",
        fedex.signals
    );
    // And one with no evidence either way says so.
    let bland = r
        .unmatched
        .iter()
        .find(|u| u.vendor_name == "Blue Harbour Ltd")
        .unwrap();
    assert!(
        bland
            .signals
            .iter()
            .any(|s| s.contains("nothing on its lines")),
        "{:?}",
        bland.signals
    );
}

#[test]
fn shadow_saas_from_a_software_domain_on_the_vendor_card() {
    let mut txs = Vec::new();
    txs.extend(recurring("qk", "Quokka Labs Ltd", "May 2026"));
    txs.extend(recurring(
        "fx",
        "FedEx Corporation",
        "Ground shipment 1 – 2.0 kg",
    ));
    let mut ctx = ReportContext::default();
    for (vendor, domain) in [
        ("v-quokka-labs-ltd", "quokka.io"),
        ("v-fedex-corporation", "fedex.com"),
    ] {
        ctx.vendor_domains
            .insert(("c1".to_owned(), vendor.to_owned()), domain.to_owned());
    }
    let r = build_report(&txs, &[], &ctx, &opts(json!({ "asOf": AS_OF })));
    assert_eq!(shadow_names(&r), ["Quokka Labs Ltd"]);
    let i = insights_of(&r, "possibleShadowSaas")[0];
    assert!(i.message.contains("quokka.io"), "{}", i.message);
}

#[test]
fn vendor_spellings_group_together() {
    let txs = vec![
        tx(
            "a",
            "2026-09-01",
            "ACME  Cloud Tools, Ltd.",
            "USD",
            "10",
            None,
        ),
        tx("b", "2026-10-01", "Acme Cloud Tools Ltd", "USD", "10", None),
        tx("c", "2026-11-01", "Acme Cloud Tools Ltd", "USD", "10", None),
    ];
    let r = report(&txs);
    assert_eq!(r.unmatched.len(), 1);
    assert_eq!(r.unmatched[0].vendor_name, "Acme Cloud Tools Ltd");
    assert_eq!(r.vendors.len(), 1);
    assert_eq!(r.vendors[0].vendor_ids.len(), 2);
}

// ------------------------------------------------------------------ currencies and rates

#[test]
fn currencies_are_never_mixed() {
    let mut txs = monthly(
        "us",
        "2026-06",
        3,
        1,
        "Slack",
        "100.00",
        Some(("slack", "communication")),
    );
    for (i, date) in ["2026-06-02", "2026-07-02", "2026-08-02"]
        .iter()
        .enumerate()
    {
        let mut t = tx(
            &format!("uk{i}"),
            date,
            "Slack UK",
            "GBP",
            "80.00",
            Some(("slack", "communication")),
        );
        t.company_id = "c2".into();
        txs.push(t);
    }
    let r = report(&txs);
    assert_eq!(r.totals.len(), 2);
    assert_eq!(r.totals[0].currency, "GBP");
    assert_eq!(r.totals[0].amount_excluding_tax, amt("240"));
    assert_eq!(r.totals[1].amount_excluding_tax, amt("300"));
    let a = app(&r, "slack");
    assert_eq!(a.spend.len(), 2);
    assert!(a.reporting.is_none());
    assert_eq!(a.subscriptions.len(), 2, "one per company and currency");
    assert!(r.reporting_total.is_none());
    // Month rows per currency, never summed across.
    let jun: Vec<_> = r.months.iter().filter(|m| m.month == "2026-06").collect();
    assert_eq!(jun.len(), 2);
    assert!(jun.iter().all(|m| !m.reporting));
    // Top apps: one ranking per currency.
    assert_eq!(r.top_apps.len(), 2);
    assert!(r
        .top_apps
        .iter()
        .all(|t| t.apps.len() == 1 && t.apps[0].share_percent.as_deref() == Some("100.0")));
    // The same category spend in two currencies stays two entries.
    assert_eq!(r.categories[0].spend.len(), 2);
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(json["apps"][0]["spend"][0]["currency"], "GBP");
    assert_eq!(json["apps"][0]["spend"][0]["amountExcludingTax"], "240.00");
}

#[test]
fn reporting_currency_conversion_is_exact_and_never_guessed() {
    let txs = vec![
        tx(
            "u1",
            "2026-03-01",
            "Slack",
            "USD",
            "100.00",
            Some(("slack", "communication")),
        ),
        tx(
            "u2",
            "2026-02-28",
            "Slack",
            "USD",
            "1.0001",
            Some(("slack", "communication")),
        ),
        tx(
            "u3",
            "2026-02-27",
            "Slack",
            "USD",
            "1.0003",
            Some(("slack", "communication")),
        ),
        tx(
            "u0",
            "2025-12-01",
            "Slack",
            "USD",
            "50",
            Some(("slack", "communication")),
        ), // before any rate
        tx(
            "e1",
            "2026-04-01",
            "Notion",
            "EUR",
            "10.00",
            Some(("notion", "productivity")),
        ),
        tx(
            "g1",
            "2026-04-01",
            "Miro",
            "GBP",
            "20.00",
            Some(("miro", "collaboration")),
        ), // no GBP rate at all
    ];
    let o = json!({
        "asOf": AS_OF,
        "reportingCurrency": "EUR",
        "rates": [
            { "date": "2026-03-01", "from": "USD", "to": "EUR", "rate": "0.9216" },
            { "date": "2026-01-01", "from": "USD", "to": "EUR", "rate": "0.5" },
        ]
    });
    let r = report_with(&txs, &[], o);
    let slack = app(&r, "slack").reporting.clone().unwrap();
    // 100.00 x 0.9216 = 92.16; 1.0001 x 0.5 = 0.50005 -> 0.5000 (half even); 1.0003 x 0.5 = 0.50015 -> 0.5002.
    assert_eq!(slack.amount_excluding_tax, amt("93.1602"));
    assert_eq!(slack.converted_transactions, 3);
    assert_eq!(slack.missing_rate_transactions, 1);
    assert!(!slack.complete);
    // Originals kept.
    assert_eq!(
        app(&r, "slack").spend[0].amount_excluding_tax,
        amt("152.0004")
    );
    assert_eq!(
        app(&r, "notion")
            .reporting
            .as_ref()
            .unwrap()
            .amount_excluding_tax,
        amt("10.00")
    );
    let total = r.reporting_total.clone().unwrap();
    assert_eq!(total.amount_excluding_tax, amt("103.1602"));
    assert_eq!(total.missing_rate_transactions, 2);
    // Every reporting figure is the exact sum of per-transaction conversions.
    let month_sum = r
        .months
        .iter()
        .filter(|m| m.reporting)
        .fold(Amount::ZERO, |a, m| a + m.amount_excluding_tax);
    assert_eq!(month_sum, total.amount_excluding_tax);
    assert_eq!(r.data_quality.missing_rates.len(), 2);
    let gbp = r
        .data_quality
        .missing_rates
        .iter()
        .find(|m| m.from == "GBP")
        .unwrap();
    assert_eq!(gbp.transactions, 1);
    let miss = insights_of(&r, "missingExchangeRates");
    assert_eq!(miss.len(), 2);
    assert!(miss.iter().any(|i| i.transaction_ids == vec!["u0"]));
    assert_eq!(r.ranking_currency.as_ref().unwrap().currency, "EUR");
    assert!(r.top_apps[0].reporting);
    assert_eq!(r.top_apps[0].apps[0].app_id, "slack");
}

// ------------------------------------------------------------------ inclusion, users

#[test]
fn ignored_and_future_transactions_are_excluded_and_counted() {
    let mut ignored = tx("ig", "2026-05-01", "Landlord", "USD", "999", None);
    ignored.ignored_by_rule = Some("rent".into());
    let txs = vec![
        tx(
            "a",
            "2026-05-01",
            "Slack",
            "USD",
            "100",
            Some(("slack", "communication")),
        ),
        tx(
            "future",
            "2026-12-01",
            "Slack",
            "USD",
            "100",
            Some(("slack", "communication")),
        ),
        ignored,
    ];
    let r = report(&txs);
    assert_eq!(r.counts.transactions, 3);
    assert_eq!(r.counts.included, 1);
    assert_eq!(r.counts.ignored_by_rule, 1);
    assert_eq!(r.counts.after_as_of, 1);
    assert_eq!(r.totals[0].amount_excluding_tax, amt("100"));
    assert_eq!(r.totals[0].ignored_excluding_tax, amt("999"));
    assert!(r.unmatched.is_empty());
    assert!(r
        .data_quality
        .issues
        .iter()
        .any(|i| i.code == "TX_AFTER_AS_OF" && i.transaction_ids == vec!["future"]));
    assert!(r.months.iter().all(|m| m.month.as_str() <= "2026-11"));
}

fn user(id: &str, name: &str, email: Option<&str>, active: bool, kind: UserKind) -> User {
    User {
        id: id.into(),
        email: email.map(str::to_owned),
        status: if active {
            UserStatus::Active
        } else {
            UserStatus::Inactive
        },
        display_name: Some(name.into()),
        user_name: Some(name.to_uppercase()),
        kind,
        kind_reason: None,
        invalid_email: None,
        company_ids: vec!["c1".into()],
    }
}

#[test]
fn users_counts_missing_and_duplicated_emails() {
    let users = vec![
        user(
            "1",
            "Anna",
            Some("anna@contoso.com"),
            true,
            UserKind::Person,
        ),
        user("2", "Bob", None, true, UserKind::Person),
        user("3", "Carl", None, false, UserKind::Person),
        user(
            "4",
            "Ops One",
            Some("ops@contoso.com"),
            true,
            UserKind::Person,
        ),
        user(
            "5",
            "Ops Two",
            Some("ops@contoso.com"),
            false,
            UserKind::Person,
        ),
        user("6", "AAD App", None, true, UserKind::Application),
    ];
    let r = report_with(&[], &users, json!({ "asOf": AS_OF }));
    let u = &r.users;
    assert_eq!(
        (u.total, u.persons, u.non_human, u.active, u.inactive),
        (6, 5, 1, 3, 2)
    );
    assert_eq!(
        u.without_email.len(),
        2,
        "the application user is not flagged"
    );
    assert_eq!(u.active_without_email, 1);
    assert_eq!(u.without_email[0].id, "2", "active first");
    assert_eq!(u.duplicated_emails.len(), 1);
    assert_eq!(u.duplicated_emails[0].user_ids, vec!["4", "5"]);
    let w = insights_of(&r, "usersWithoutEmail");
    assert_eq!(w[0].user_ids, vec!["2", "3"]);
    assert_eq!(insights_of(&r, "duplicatedUserEmails").len(), 1);
}

// ------------------------------------------------------------------ options

fn config_error(v: serde_json::Value) -> (String, Option<String>) {
    let e = ReportOptions::from_json(&v)
        .and_then(|o| ReportSettings::new(&o))
        .unwrap_err();
    (e.code.as_str().to_owned(), e.path)
}

#[test]
fn bad_options_are_config_errors_with_codes() {
    assert_eq!(
        config_error(json!({})),
        ("MISSING_OPTION".into(), Some("asOf".into()))
    );
    assert_eq!(
        config_error(json!({ "asOf": "26/11/2026" })).0,
        "INVALID_OPTION"
    );
    assert_eq!(
        config_error(json!({ "asOf": "2026-02-30" })).0,
        "INVALID_OPTION"
    );
    assert_eq!(
        config_error(json!({ "asOf": AS_OF, "asof": AS_OF })).0,
        "INVALID_OPTION"
    );
    assert_eq!(
        config_error(json!({ "asOf": AS_OF, "reportingCurrency": "EURO" })),
        ("INVALID_OPTION".into(), Some("reportingCurrency".into()))
    );
    assert_eq!(
        config_error(
            json!({ "asOf": AS_OF, "rates": [{ "date": "2026-01-01", "from": "USD", "to": "EUR", "rate": "0.9" }] })
        ),
        ("MISSING_OPTION".into(), Some("reportingCurrency".into()))
    );
    assert_eq!(
        config_error(
            json!({ "asOf": AS_OF, "reportingCurrency": "EUR", "rates": [{ "date": "2026-01-01", "from": "USD", "to": "EUR", "rate": 0.9 }] })
        ),
        ("INVALID_OPTION".into(), Some("rates/0/rate".into()))
    );
    assert_eq!(
        config_error(json!({ "asOf": AS_OF, "reportingCurrency": "EUR", "rates": [{ "date": "2026-01-01", "from": "USD", "to": "EUR", "rate": "-1" }] })).1,
        Some("rates/0/rate".into())
    );
    assert_eq!(
        config_error(json!({ "asOf": AS_OF, "reportingCurrency": "EUR", "rates": [{ "date": "2026-01-01", "from": "USD", "to": "EUR", "rate": "1", "extra": 1 }] })).0,
        "INVALID_OPTION"
    );
    assert_eq!(
        config_error(json!({ "asOf": AS_OF, "topApps": 0 })),
        ("INVALID_OPTION".into(), Some("topApps".into()))
    );
    assert_eq!(
        config_error(json!({ "asOf": AS_OF, "renewalWindowDays": 400 })).1,
        Some("renewalWindowDays".into())
    );
    assert_eq!(
        config_error(json!({ "asOf": AS_OF, "priceChangePercent": -5 })).0,
        "INVALID_OPTION"
    );
    assert_eq!(config_error(json!("2026-11-26")).0, "INVALID_OPTION");
}

// ------------------------------------------------------------------ determinism, invariants

fn mixed_history() -> Vec<Transaction> {
    let mut txs = monthly(
        "s",
        "2025-12",
        11,
        3,
        "Slack",
        "1000",
        Some(("slack", "communication")),
    );
    txs.push(tx(
        "s-last",
        "2026-11-03",
        "Slack",
        "USD",
        "1300",
        Some(("slack", "communication")),
    ));
    txs.extend(monthly(
        "z",
        "2026-03",
        9,
        8,
        "Zoom",
        "150",
        Some(("zoom", "communication")),
    ));
    txs.extend(
        monthly("ac", "2026-05", 6, 3, "Acme Cloud Tools Ltd", "49", None)
            .into_iter()
            .map(|t| described(t, "subscription")),
    );
    txs.push(tx(
        "f1",
        "2025-12-15",
        "Figma",
        "EUR",
        "5400",
        Some(("figma", "design")),
    ));
    txs.push(tx(
        "cm",
        "2026-04-15",
        "Slack",
        "USD",
        "-200",
        Some(("slack", "communication")),
    ));
    txs
}

#[test]
fn same_input_in_any_order_gives_the_same_report() {
    let txs = mixed_history();
    let a = serde_json::to_string(&report(&txs)).unwrap();
    let mut rev = txs.clone();
    rev.reverse();
    let b = serde_json::to_string(&report(&rev)).unwrap();
    assert_eq!(a, b);
    let r = report(&txs);
    let mut ids: Vec<&str> = r.insights.iter().map(|i| i.id.as_str()).collect();
    let n = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), n, "insight ids are unique");
    // Severity order.
    let sev: Vec<String> = r
        .insights
        .iter()
        .map(|i| format!("{:?}", i.severity))
        .collect();
    let rank = |s: &str| {
        ["High", "Medium", "Low", "Info"]
            .iter()
            .position(|x| *x == s)
            .unwrap()
    };
    assert!(
        sev.windows(2).all(|w| rank(&w[0]) <= rank(&w[1])),
        "{sev:?}"
    );
    assert!(
        r.insights
            .iter()
            .any(|i| i.kind == "priceIncrease" && format!("{:?}", i.severity) == "Medium"),
        "a seat app's large step: one below high, since seats may explain it"
    );
}

#[test]
fn parts_add_up_to_the_totals() {
    let r = report(&mixed_history());
    for t in &r.totals {
        let c = &t.currency;
        let apps = r
            .apps
            .iter()
            .flat_map(|a| a.spend.iter())
            .filter(|m| &m.currency == c)
            .fold(Amount::ZERO, |a, m| a + m.amount_excluding_tax);
        let unmatched = r
            .unmatched
            .iter()
            .flat_map(|u| u.spend.iter())
            .filter(|m| &m.currency == c)
            .fold(Amount::ZERO, |a, m| a + m.amount_excluding_tax);
        assert_eq!(apps, t.matched_excluding_tax, "{c}");
        assert_eq!(unmatched, t.unmatched_excluding_tax, "{c}");
        assert_eq!(apps + unmatched, t.amount_excluding_tax, "{c}");
        let months = r
            .months
            .iter()
            .filter(|m| &m.currency == c && !m.reporting)
            .fold(Amount::ZERO, |a, m| a + m.amount_excluding_tax);
        assert_eq!(months, t.amount_excluding_tax, "{c}");
        let vendors = r
            .vendors
            .iter()
            .flat_map(|v| v.spend.iter())
            .filter(|m| &m.currency == c)
            .fold(Amount::ZERO, |a, m| a + m.amount_excluding_tax);
        assert_eq!(vendors, t.amount_excluding_tax, "{c}");
    }
    // The credit memo counts in spend, not as a charge.
    let slack = app(&r, "slack");
    assert_eq!(slack.spend[0].amount_excluding_tax, amt("12100"));
    assert_eq!(slack.cadence.as_ref().unwrap().charges, 12);
    // Months are zero-filled to asOf's month.
    assert!(r
        .months
        .iter()
        .any(|m| m.month == "2026-11" && m.currency == "EUR" && m.amount_excluding_tax.is_zero()));
}

// ------------------------------------------------------------------ through the engine

fn fixture(p: &str) -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(p),
    )
    .unwrap()
}

#[test]
fn engine_report_over_the_sample_fixtures() {
    let mut e = Engine::new(EngineOptions {
        connected_at: Some(AS_OF.into()),
        credit_memos: Some(true),
        ..Default::default()
    })
    .unwrap();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sample");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|f| f.unwrap().file_name().into_string().unwrap())
        .collect();
    files.sort();
    for f in files {
        let r = e.add_page_text(None, None, &fixture(&format!("sample/{f}")));
        assert!(!r.page_rejected, "{f}");
    }
    let bad = e
        .report(&ReportOptions {
            as_of: None,
            ..Default::default()
        })
        .unwrap_err();
    assert_eq!(bad.code, "MISSING_OPTION");
    let r = e
        .report(&ReportOptions {
            as_of: Some(AS_OF.into()),
            ..Default::default()
        })
        .unwrap();
    let summary = e.summary();
    let by_cur: BTreeMap<&str, &bc_spend::engine::CurrencyTotal> = summary
        .totals
        .iter()
        .map(|t| (t.currency.as_str(), t))
        .collect();
    assert_eq!(r.counts.transactions, summary.transactions);
    for t in &r.totals {
        let s = by_cur[t.currency.as_str()];
        // Nothing in the sample is ignored or after asOf, so the report equals the summary.
        assert_eq!(t.amount_excluding_tax, s.amount_excluding_tax);
        assert_eq!(t.matched_excluding_tax, s.matched_excluding_tax);
        assert_eq!(t.transactions, s.transactions);
    }
    assert_eq!(r.window_start, Some(d("2025-11-26")));
    assert!(!r.apps.is_empty());
    assert_eq!(r.users.total, summary.users.total);
    assert_eq!(
        r.users.without_email.len() as u64,
        summary.users.without_email
    );
    let v = serde_json::to_value(&r).unwrap();
    for key in [
        "version",
        "asOf",
        "totals",
        "apps",
        "categories",
        "vendors",
        "companies",
        "months",
        "renewals",
        "unmatched",
        "insights",
        "users",
        "dataQuality",
        "topApps",
    ] {
        assert!(v.get(key).is_some(), "{key}");
    }
}

#[test]
fn blank_currency_has_a_label_and_a_remedy() {
    let txs = vec![
        tx(
            "a",
            "2026-05-03",
            "Slack",
            "",
            "100",
            Some(("slack", "chat")),
        ),
        tx(
            "b",
            "2026-05-04",
            "Slack",
            "USD",
            "50",
            Some(("slack", "chat")),
        ),
    ];
    let r = report(&txs);
    let m = r
        .currency_missing
        .as_ref()
        .expect("a blank currency is explained");
    assert_eq!(m.transactions, 1);
    assert!(!m.label.is_empty());
    assert!(m.remedy.contains("--default-currency"), "{}", m.remedy);
    let v = serde_json::to_value(&r).unwrap();
    assert!(v["currencyMissing"]["remedy"].is_string());
    let usd_only = report(&txs[1..]);
    assert!(usd_only.currency_missing.is_none());
}

#[test]
fn a_services_line_does_not_hide_a_vendor_whose_other_lines_say_subscription() {
    let mut txs = recurring("ob", "Onboardly Ltd", "Pro plan subscription");
    let mut t = described(
        tx(
            "ob-setup",
            "2026-05-10",
            "Onboardly Ltd",
            "USD",
            "900",
            None,
        ),
        "Onboarding services",
    );
    t.match_rejected = Some(std::sync::Arc::new(Rejected {
        app_id: None,
        app_name: None,
        confidence: 0.0,
        reason: "the line looks like professional services ('onboarding services')".into(),
        candidates: vec![],
        not_software: Some("services".into()),
    }));
    txs.push(t);
    // Rent stays out whatever its lines say: the verdict is not a soft one.
    let mut rent = recurring("rt", "Harbour Properties", "Office rent – premium plan");
    for t in &mut rent {
        t.match_rejected = Some(std::sync::Arc::new(Rejected {
            app_id: None,
            app_name: None,
            confidence: 0.0,
            reason: "the line looks like rent or facilities ('rent')".into(),
            candidates: vec![],
            not_software: Some("rent".into()),
        }));
    }
    txs.extend(rent);
    assert_eq!(shadow_names(&report(&txs)), ["Onboardly Ltd"]);
}

#[test]
fn insight_texts_name_a_blank_currency() {
    let txs: Vec<Transaction> = recurring("bc", "Acme Cloud Tools Ltd", "Team plan subscription")
        .into_iter()
        .map(|mut t| {
            t.currency = "".into();
            t
        })
        .collect();
    let r = report(&txs);
    let label = &r.currency_missing.as_ref().unwrap().label;
    let i = insights_of(&r, "possibleShadowSaas")[0];
    assert!(
        i.message.contains(&format!("294.00 ({label})")),
        "{}",
        i.message
    );
}

/// Monthly invoices of one new vendor, copied from the sample's first UK invoice, and the
/// vendor's card with `website`: the engine's whole path from pages to the report.
fn engine_with_vendor(website: &str) -> Engine {
    let mut invoices: serde_json::Value =
        serde_json::from_str(&fixture("sample/uk-purchaseInvoices.json")).unwrap();
    let mut vendors: serde_json::Value =
        serde_json::from_str(&fixture("sample/uk-vendors.json")).unwrap();
    let vendor_id = "0badcafe-0000-4000-8000-000000000001";
    let template = invoices["value"][0].clone();
    let mut docs = Vec::new();
    for m in 1..=6 {
        let mut doc = template.clone();
        let id = format!("0badcafe-0000-4000-8000-1000000000{m:02}");
        let date = format!("2026-{m:02}-05");
        for (k, v) in [
            ("id", id.as_str()),
            ("number", &format!("PI-Q{m}")),
            ("postingDate", &date),
            ("invoiceDate", &date),
            ("dueDate", &date),
            ("vendorId", vendor_id),
            ("payToVendorId", vendor_id),
            ("vendorName", "Quokka Labs Ltd"),
            ("payToName", "Quokka Labs Ltd"),
            ("vendorNumber", "VQ1"),
            ("payToVendorNumber", "VQ1"),
        ] {
            doc[k] = json!(v);
        }
        for (n, line) in doc["purchaseInvoiceLines"]
            .as_array_mut()
            .unwrap()
            .iter_mut()
            .enumerate()
        {
            line["id"] = json!(format!("0badcafe-0000-4000-8000-2000000{m:02}{n:03}"));
            line["documentId"] = json!(id);
            line["description"] = json!(format!("Quokka – {date}"));
            line["description2"] = json!("");
        }
        docs.push(doc);
    }
    invoices["value"] = json!(docs);
    let mut card = vendors["value"][0].clone();
    card["id"] = json!(vendor_id);
    card["number"] = json!("VQ1");
    card["displayName"] = json!("Quokka Labs Ltd");
    card["email"] = json!("");
    card["website"] = json!(website);
    vendors["value"] = json!([card]);
    let mut e = Engine::new(EngineOptions {
        connected_at: Some(AS_OF.into()),
        ..Default::default()
    })
    .unwrap();
    for page in [
        fixture("sample/uk-generalLedgerSetup.json"),
        vendors.to_string(),
        invoices.to_string(),
    ] {
        assert!(!e.add_page_text(None, None, &page).page_rejected);
    }
    e
}

#[test]
fn the_vendor_cards_domain_reaches_the_report() {
    let as_of = ReportOptions {
        as_of: Some(AS_OF.into()),
        ..Default::default()
    };
    let mut io = engine_with_vendor("https://www.quokka.io/pricing");
    let r = io.report(&as_of).unwrap();
    let q = r
        .unmatched
        .iter()
        .find(|u| u.vendor_name == "Quokka Labs Ltd")
        .unwrap();
    assert!(q.possible_shadow_saas, "{:?}", q.signals);
    assert!(insights_of(&r, "possibleShadowSaas")[0]
        .message
        .contains("quokka.io"));
    let mut com = engine_with_vendor("https://www.quokka-farms.com");
    let r = com.report(&as_of).unwrap();
    assert!(insights_of(&r, "possibleShadowSaas").is_empty());
}

// ------------------------------------------------------------------ seats

/// Monthly bills whose lines say their seats: `seats[i]` at `prices[i]` a seat.
fn seat_bills(prefix: &str, app: (&str, &str), seats: &[u32], prices: &[&str]) -> Vec<Transaction> {
    let amounts: Vec<String> = seats
        .iter()
        .zip(prices)
        .map(|(n, p)| Amount(amt(p).0 * *n as i64).to_string())
        .collect();
    let refs: Vec<&str> = amounts.iter().map(String::as_str).collect();
    let mut out = bills(prefix, "Vendor", app, &refs);
    for ((t, n), p) in out.iter_mut().zip(seats).zip(prices) {
        t.seats = Some(*n);
        t.unit_price = Some(amt(p));
    }
    out
}

fn seat_insights<'a>(r: &'a Report, app: &str) -> Vec<&'a Insight> {
    r.insights
        .iter()
        .filter(|i| {
            i.app_id.as_deref() == Some(app) && matches!(i.kind, "seatsIncrease" | "seatsDecrease")
        })
        .collect()
}

#[test]
fn seats_and_price_per_seat_per_month_are_in_the_app_and_its_subscription() {
    let slack = ("slack", "communication");
    let r = report(&seat_bills(
        "s",
        slack,
        &[20, 20, 22, 22],
        &["7.25", "7.25", "7.25", "7.25"],
    ));
    let a = app(&r, "slack");
    assert_eq!(a.seats, Some(22));
    let p = a.price_per_seat_monthly.as_ref().unwrap();
    assert_eq!((p.currency.as_str(), p.amount), ("USD", amt("7.25")));
    let sub = a.cadence.as_ref().unwrap();
    assert_eq!(sub.seat_history.len(), 4);
    assert_eq!(sub.seat_history[0].seats, 20);
    assert_eq!(
        sub.seat_history[0].period.map(|p| p.as_str()),
        Some("monthly")
    );
    // An annual line's price per seat is a twelfth a month, rounded half to even to 0.0001.
    let mut annual = tx("a1", "2026-03-10", "Vendor", "USD", "1000.00", Some(slack));
    annual.seats = Some(10);
    annual.unit_price = Some(amt("100.00"));
    annual.period = Some(bc_spend::transactions::seats::Period::Annual);
    let r = report(&[annual]);
    let a = app(&r, "slack");
    assert_eq!(
        a.price_per_seat_monthly.as_ref().map(|p| p.amount),
        Some(amt("8.3333"))
    );
    let json = serde_json::to_value(&r).unwrap();
    let entry = json["apps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["appId"] == "slack")
        .unwrap();
    assert_eq!(entry["seats"], 10);
    assert_eq!(entry["pricePerSeatMonthly"]["amount"], "8.3333");
    assert_eq!(
        entry["cadence"]["seatHistory"][0]["pricePerSeatMonthly"],
        "8.3333"
    );
}

#[test]
fn more_seats_at_one_price_is_a_seats_insight_not_a_price_change() {
    let slack = ("slack", "communication");
    let r = report(&seat_bills(
        "s",
        slack,
        &[20, 20, 20, 26, 26, 26],
        &["7.25"; 6],
    ));
    assert!(price_insights(&r, "slack").is_empty(), "{:#?}", r.insights);
    let s = seat_insights(&r, "slack");
    assert_eq!(s.len(), 1);
    assert_eq!(s[0].kind, "seatsIncrease");
    assert_eq!((s[0].previous_seats, s[0].seats), (Some(20), Some(26)));
    assert_eq!(s[0].change_percent.as_deref(), Some("30.0"));
    // Fewer seats, same price: a seats decrease, not a price decrease.
    let r = report(&seat_bills("s", slack, &[50, 50, 40, 40, 40], &["7.25"; 5]));
    assert!(price_insights(&r, "slack").is_empty());
    assert_eq!(seat_insights(&r, "slack")[0].kind, "seatsDecrease");
    // Seats that drift by less than 20%: nothing.
    let r = report(&seat_bills("s", slack, &[30, 31, 32, 33, 35], &["7.25"; 5]));
    assert!(seat_insights(&r, "slack").is_empty());
    assert!(price_insights(&r, "slack").is_empty());
}

#[test]
fn a_price_per_seat_change_of_five_percent_with_the_same_seats_is_a_price_change() {
    let r = report(&seat_bills(
        "s",
        ("slack", "communication"),
        &[30; 6],
        &["10.00", "10.00", "10.00", "10.50", "10.50", "10.50"],
    ));
    let p = price_insights(&r, "slack");
    assert_eq!(p.len(), 1, "{:#?}", r.insights);
    assert_eq!(p[0].kind, "priceIncrease");
    assert!(
        p[0].title.contains("10.50 USD a seat a month"),
        "{}",
        p[0].title
    );
    assert_eq!(p[0].amounts[0].label, "latestPerSeat");
    assert!(seat_insights(&r, "slack").is_empty());
    // 4.9% is not.
    let r = report(&seat_bills(
        "s",
        ("slack", "communication"),
        &[30; 6],
        &["10.00", "10.00", "10.00", "10.49", "10.49", "10.49"],
    ));
    assert!(price_insights(&r, "slack").is_empty());
}

#[test]
fn one_subscription_never_gets_contradictory_seat_or_price_insights() {
    let histories: [(&[u32], &[&str]); 4] = [
        // Seats up then back down; price per seat up then down.
        (
            &[20, 20, 30, 30, 30, 20, 20],
            &["10", "10", "10", "12", "12", "12", "9"],
        ),
        // A one-month spike in seats.
        (&[40, 40, 40, 60, 40, 40], &["10"; 6]),
        // Both seats and price per seat step up.
        (
            &[40, 40, 50, 50, 50, 50, 50],
            &["10", "10", "10", "10", "11", "11", "11"],
        ),
        // Alternating seats.
        (&[10, 30, 10, 30, 10, 30], &["10"; 6]),
    ];
    for (seats, prices) in histories {
        let r = report(&seat_bills("x", ("slack", "communication"), seats, prices));
        assert!(price_insights(&r, "slack").len() <= 1, "{:#?}", r.insights);
        assert!(seat_insights(&r, "slack").len() <= 1, "{:#?}", r.insights);
    }
}

#[test]
fn one_app_through_two_channels_at_different_prices_per_seat() {
    let m365 = ("microsoft-365", "productivity");
    let plan = |mut t: Transaction| {
        t.description = format!(
            "Microsoft 365 Business Standard - {} licences",
            t.seats.unwrap()
        )
        .into();
        t
    };
    let mut txs: Vec<Transaction> = seat_bills("d", m365, &[20; 6], &["12.50"; 6])
        .into_iter()
        .map(plan)
        .collect();
    for t in seat_bills("r", m365, &[10; 6], &["11.00"; 6])
        .into_iter()
        .map(plan)
    {
        let mut t = via(t, "softcat", "Softcat plc", "reseller");
        t.id = format!("r-{}", t.id);
        t.date = d(&format!("{}-20", &t.date.to_string()[..7]));
        txs.push(t);
    }
    let r = report(&txs);
    let gap = insights_of(&r, "channelPriceGap");
    assert_eq!(gap.len(), 1, "{:#?}", r.insights);
    assert_eq!(gap[0].change_percent.as_deref(), Some("13.6"));
    assert!(
        gap[0].message.contains("through Softcat plc"),
        "{}",
        gap[0].message
    );
    // The same price through both: no gap.
    let mut txs = seat_bills("d", m365, &[20; 6], &["12.50"; 6]);
    for t in seat_bills("r", m365, &[10; 6], &["12.50"; 6]) {
        let mut t = via(t, "softcat", "Softcat plc", "reseller");
        t.id = format!("r-{}", t.id);
        t.date = d(&format!("{}-20", &t.date.to_string()[..7]));
        txs.push(t);
    }
    assert!(insights_of(&report(&txs), "channelPriceGap").is_empty());
}

#[test]
fn a_charge_of_one_periodic_line_and_add_ons_takes_the_periodic_lines_seats() {
    // The matched part of "9 users" and "5 additional seats (prorated)" has no seats of its own
    // (two product lines); the periodic line says them, so 8 to 9 users at 15.00 is not a price
    // change.
    let loom = ("loom", "communication");
    let mut txs = seat_bills("l", loom, &[8, 8, 8, 8, 9, 9], &["15.00"; 6]);
    for t in txs.iter_mut().skip(4) {
        t.seats = None;
        t.unit_price = None;
        t.amount_excluding_tax = amt("172.50");
        t.lines = Some(vec![
            line("Loom Business (monthly) – 9 users", "135.00"),
            line("Loom Business – 5 additional seats (prorated)", "37.50"),
        ]);
    }
    let r = report(&txs);
    assert!(price_insights(&r, "loom").is_empty(), "{:#?}", r.insights);
    let a = app(&r, "loom");
    assert_eq!(a.seats, Some(9));
    assert_eq!(
        a.price_per_seat_monthly.as_ref().map(|p| p.amount),
        Some(amt("15.00"))
    );
}

#[test]
fn two_channels_at_different_prices_for_different_plans_are_no_gap() {
    // Business Premium directly and E3 through CDW: two plans, not one price.
    let m365 = ("microsoft-365", "productivity");
    let mut txs = seat_bills("d", m365, &[199; 6], &["22.00"; 6]);
    for t in &mut txs {
        t.description = "Microsoft 365 Business Premium (monthly) – 199 users".into();
    }
    for t in seat_bills("r", m365, &[23; 6], &["36.00"; 6]) {
        let mut t = via(t, "cdw", "CDW", "reseller");
        t.id = format!("r-{}", t.id);
        t.date = d(&format!("{}-20", &t.date.to_string()[..7]));
        t.description = "Microsoft 365 E3 (NCE, annual commitment, monthly billing)".into();
        txs.push(t);
    }
    assert!(insights_of(&report(&txs), "channelPriceGap").is_empty());
    // The same plan, worded by the reseller with its own words: a gap.
    for t in txs.iter_mut().filter(|t| t.id.starts_with("r-")) {
        t.description =
            "Microsoft 365 Business Premium NCE monthly – 23 users - CDW ref 4471".into();
        t.unit_price = Some(amt("20.00"));
        t.amount_excluding_tax = amt("460.00");
    }
    let r = report(&txs);
    let gap = insights_of(&r, "channelPriceGap");
    assert_eq!(gap.len(), 1, "{:#?}", r.insights);
    assert_eq!(gap[0].change_percent.as_deref(), Some("10.0"));
}

#[test]
fn one_seat_more_on_five_is_not_told() {
    let r = report(&seat_bills(
        "c",
        ("claude", "ai"),
        &[5, 5, 5, 6, 6, 6],
        &["25.00"; 6],
    ));
    assert!(seat_insights(&r, "claude").is_empty(), "{:#?}", r.insights);
    assert!(price_insights(&r, "claude").is_empty());
}

#[test]
fn a_flat_fee_with_seats_on_its_lines_compares_its_charges() {
    // A status page plan of 100.00 a month for 10, then 15 users: the fee did not move.
    let r = report(&seat_bills(
        "f",
        ("statuspage", "observability"),
        &[10, 10, 10, 15, 15, 15],
        &["10.00", "10.00", "10.00", "6.6667", "6.6667", "6.6667"],
    ));
    assert!(
        price_insights(&r, "statuspage").is_empty(),
        "{:#?}",
        r.insights
    );
}

#[test]
fn a_renewal_past_its_date_says_it_was_due_and_a_blank_currency_reads_in_a_sentence() {
    // Annual, charged 2025-11-10: due 2026-11-10, 16 days before the report's date, within the
    // grace a late invoice gets. A manager reading "renewal due 2026-11-10" on 2026-11-26 would
    // take it for a mistake.
    let txs = vec![described(
        tx(
            "late1",
            "2025-11-10",
            "Miro",
            "",
            "12000",
            Some(("miro", "collaboration")),
        ),
        "Annual subscription - Enterprise plan",
    )];
    let r = report(&txs);
    let due = insights_of(&r, "renewalDue");
    assert_eq!(due.len(), 1, "{:#?}", r.insights);
    assert_eq!(
        due[0].title,
        "Miro: annual renewal was due 2026-11-10, not charged yet"
    );
    assert!(
        due[0]
            .message
            .contains("12000.00 (no currency) on 2025-11-10"),
        "{}",
        due[0].message
    );
    assert!(
        due[0].message.contains("16 day(s) ago"),
        "{}",
        due[0].message
    );
}

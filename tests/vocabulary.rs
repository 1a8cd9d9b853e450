//! Token weights from the customer's own data: an ordinary catalog word ("Monday", "Box") that
//! the lines of many different vendors use is a word of this business, not a brand, so a weak
//! match resting on it alone is rejected, with the reason; distinctive brands, the vendor's own
//! identity and rules are unaffected, and a rule preview sees the same vocabulary as a build.
#![cfg(not(target_arch = "wasm32"))]

use bc_spend::engine::{Engine, EngineOptions};
use bc_spend::matching::{VOCABULARY_MIN_VENDORS, VOCABULARY_VENDOR_SHARE};
use serde_json::json;

const C: &str = "8e1b3ef6-9c3e-ef11-8409-000d3a7e3f1c";

fn invoice(n: u32, vendor_no: &str, vendor: &str, desc: &str) -> String {
    format!(
        r#"{{"id":"11111111-0000-0000-0000-{n:012}","number":"PPI-{n}","postingDate":"2026-05-04","invoiceDate":"2026-05-04","vendorNumber":"{vendor_no}","vendorName":"{vendor}","currencyCode":"EUR","status":"Paid","lastModifiedDateTime":"2026-05-05T10:00:00Z","totalAmountExcludingTax":120,"totalAmountIncludingTax":120,"totalTaxAmount":0,
        "purchaseInvoiceLines":[{{"id":"bbbbbbbb-0000-0000-0000-{n:012}","sequence":10000,"lineType":"Item","description":"{desc}","netAmount":120,"netAmountIncludingTax":120,"netTaxAmount":0}}]}}"#
    )
}

fn page(records: &[String]) -> String {
    format!(
        r#"{{"@odata.context":"https://x/api/v2.0/$metadata#companies({C})/purchaseInvoices","value":[{}]}}"#,
        records.join(",")
    )
}

/// Six unrelated vendors whose lines say "Monday" as a weekday, and the lines under test.
fn business_that_says_monday(under_test: &[(&str, &str, &str)]) -> Vec<String> {
    let everyday = [
        (
            "V100",
            "Sparkle Office Cleaning Ltd",
            "Office cleaning Monday and Thursday",
        ),
        ("V101", "Rapid Couriers GmbH", "Monday delivery route 7"),
        (
            "V102",
            "Green Plants Service",
            "Plant watering every Monday",
        ),
        ("V103", "Fresh Fruit Co", "Fruit basket Monday drop"),
        ("V104", "City Parking AG", "Reserved bay Monday to Friday"),
        ("V105", "Print Hub Ltd", "Monday print run flyers"),
    ];
    let mut out: Vec<String> = everyday
        .iter()
        .enumerate()
        .map(|(i, (no, v, d))| invoice(i as u32 + 1, no, v, d))
        .collect();
    out.extend(
        under_test
            .iter()
            .enumerate()
            .map(|(i, (no, v, d))| invoice(i as u32 + 100, no, v, d)),
    );
    out
}

fn engine(rules: Option<serde_json::Value>) -> Engine {
    Engine::new(EngineOptions {
        connected_at: Some("2026-11-26".into()),
        line_mode: Some("line".into()),
        rules,
        ..Default::default()
    })
    .unwrap()
}

fn app_of(e: &mut Engine, invoice_number: &str) -> Option<String> {
    let t = e
        .transactions()
        .iter()
        .find(|t| t.invoice_number.as_deref() == Some(invoice_number))
        .expect("the invoice's transaction");
    t.match_.as_ref().map(|m| m.app_id.clone())
}

const UNDER_TEST: [(&str, &str, &str); 4] = [
    // A weak brand, beside a subscription word: monday.com, unless "Monday" is this business's word.
    ("V200", "Acme Supplies Ltd", "Monday plan"),
    // The vendor is monday.com itself: its identity decides, whatever the lines of others say.
    ("V201", "monday.com Ltd.", "Monday plan"),
    // A distinctive brand never becomes generic.
    ("V200", "Acme Supplies Ltd", "Atlassian Jira Software Cloud"),
    // The weak brand "Box" is not generic here: only "Monday" is.
    ("V200", "Acme Supplies Ltd", "Box subscription"),
];

#[test]
fn a_weak_brand_that_many_vendors_use_as_an_ordinary_word_no_longer_matches() {
    // Alone (no other vendor says "Monday"), the line matches monday.com: the control.
    let mut alone = engine(None);
    alone.add_page_text(
        None,
        None,
        &page(&[invoice(100, "V200", "Acme Supplies Ltd", "Monday plan")]),
    );
    assert_eq!(app_of(&mut alone, "PPI-100").as_deref(), Some("monday"));
    assert_eq!(
        alone.matcher().vocabulary().vendors(),
        (1, VOCABULARY_MIN_VENDORS as u32)
    );
    assert!(alone
        .matcher()
        .vocabulary()
        .generic_words(alone.matcher())
        .is_empty());

    let mut e = engine(None);
    e.add_page_text(None, None, &page(&business_that_says_monday(&UNDER_TEST)));
    e.transactions(); // the vocabulary is worked out with the transactions
    let generic = e
        .matcher()
        .vocabulary()
        .generic_words(e.matcher())
        .into_iter()
        .map(|(w, n)| (w.to_string(), n))
        .collect::<Vec<_>>();
    // "monday" is on the lines of the six everyday vendors and of Acme; monday.com's own lines
    // do not count (the catalog knows that vendor).
    assert_eq!(
        generic,
        vec![("monday".to_string(), 7)],
        "only Monday is generic here"
    );
    assert_eq!(
        e.matcher().vocabulary().vendors(),
        (7, VOCABULARY_MIN_VENDORS as u32)
    );

    assert_eq!(
        app_of(&mut e, "PPI-100"),
        None,
        "Monday is this business's word"
    );
    let t = e
        .transactions()
        .iter()
        .find(|t| t.invoice_number.as_deref() == Some("PPI-100"))
        .unwrap();
    let why = t
        .match_rejected
        .as_ref()
        .expect("the rejection is explained");
    assert_eq!(
        why.app_id.as_deref(),
        Some("monday"),
        "the closest app is still named"
    );
    assert!(why.reason.contains("7 different vendors"), "{}", why.reason);
    assert_eq!(
        app_of(&mut e, "PPI-101").as_deref(),
        Some("monday"),
        "the vendor's identity still decides"
    );
    assert_eq!(app_of(&mut e, "PPI-102").as_deref(), Some("jira"));
    assert_eq!(app_of(&mut e, "PPI-103").as_deref(), Some("box"));
    // The everyday lines stay unmatched, as before.
    for n in 1..=6 {
        assert_eq!(app_of(&mut e, &format!("PPI-{n}")), None);
    }
    // explain() sees the same vocabulary as the transactions.
    let d = e.explain("Acme Supplies Ltd", Some("Monday plan"));
    assert!(
        d.matched.is_none()
            && d.rejected
                .as_ref()
                .is_some_and(|r| r.reason.contains("different vendors")),
        "{d:?}"
    );
}

#[test]
fn below_the_threshold_nothing_changes() {
    // Four everyday vendors plus the line's own: 5 vendors would be needed.
    let mut records: Vec<String> =
        business_that_says_monday(&[("V200", "Acme Supplies Ltd", "Monday plan")]);
    records.drain(0..3);
    let mut e = engine(None);
    e.add_page_text(None, None, &page(&records));
    e.transactions();
    assert!(e
        .matcher()
        .vocabulary()
        .generic_words(e.matcher())
        .is_empty());
    assert_eq!(app_of(&mut e, "PPI-100").as_deref(), Some("monday"));
    assert_eq!(
        VOCABULARY_VENDOR_SHARE, 20,
        "with 100 vendors or fewer the threshold is the minimum"
    );
}

#[test]
fn rules_still_decide_and_a_preview_uses_the_same_vocabulary_as_a_build() {
    let rule = json!([{ "id": "acme-monday", "priority": 10, "action": "matchTo", "appId": "monday", "vendor": { "op": "equals", "value": "Acme Supplies Ltd" }, "description": { "op": "contains", "value": "Monday" } }]);
    let mut e = engine(None);
    e.add_page_text(None, None, &page(&business_that_says_monday(&UNDER_TEST)));
    let changes = e.preview_rules(&rule).unwrap();
    let mut applied = engine(Some(rule.clone()));
    applied.add_page_text(None, None, &page(&business_that_says_monday(&UNDER_TEST)));
    assert_eq!(
        app_of(&mut applied, "PPI-100").as_deref(),
        Some("monday"),
        "a rule outranks the vocabulary"
    );
    // The preview lists exactly what applying the rule changes: the one Monday plan line of Acme.
    let moved: Vec<&str> = changes.iter().map(|c| c.id.as_str()).collect();
    let before: Vec<(String, Option<String>)> = e
        .transactions()
        .iter()
        .map(|t| (t.id.clone(), t.match_.as_ref().map(|m| m.app_id.clone())))
        .collect();
    let after: Vec<(String, Option<String>)> = applied
        .transactions()
        .iter()
        .map(|t| (t.id.clone(), t.match_.as_ref().map(|m| m.app_id.clone())))
        .collect();
    let differ: Vec<&str> = before
        .iter()
        .zip(&after)
        .filter(|(b, a)| b != a)
        .map(|(b, _)| b.0.as_str())
        .collect();
    assert_eq!(moved, differ);
    assert_eq!(moved.len(), 1);
}

#[test]
fn explain_works_out_the_vocabulary_without_building_transactions_first() {
    let mut e = engine(None);
    e.add_page_text(None, None, &page(&business_that_says_monday(&UNDER_TEST)));
    let d = e.explain("Acme Supplies Ltd", Some("Monday plan"));
    assert!(
        d.matched.is_none()
            && d.rejected
                .as_ref()
                .is_some_and(|r| r.reason.contains("7 different vendors")),
        "{d:?}"
    );
    // A page read after it makes the vocabulary stale again: more Monday vendors, a new count.
    e.add_page_text(
        None,
        None,
        &page(&[invoice(
            900,
            "V900",
            "Monday Bakery Ltd",
            "Bread rolls Monday",
        )]),
    );
    let d = e.explain("Acme Supplies Ltd", Some("Monday plan"));
    assert!(
        d.rejected
            .as_ref()
            .is_some_and(|r| r.reason.contains("8 different vendors")),
        "{d:?}"
    );
}

#[test]
fn a_vendor_written_in_other_cases_counts_once() {
    // Vendors are counted by their number as written, lower-cased and trimmed: the same vendor
    // in three spellings is one vendor, beside a second one.
    let records = [
        invoice(1, "V100", "Sparkle Office Cleaning Ltd", "Cleaning Monday"),
        invoice(
            2,
            "v100",
            "Sparkle Office Cleaning Ltd",
            "Cleaning Monday again",
        ),
        invoice(3, " V100 ", "Sparkle Office Cleaning Ltd", "Monday windows"),
        invoice(4, "V100", "Sparkle Office Cleaning Ltd", "Monday floors"),
        invoice(5, "V101", "Rapid Couriers GmbH", "Monday delivery route 7"),
    ];
    let mut e = engine(None);
    e.add_page_text(None, None, &page(&records));
    e.transactions();
    assert_eq!(
        e.matcher().vocabulary().vendors(),
        (2, VOCABULARY_MIN_VENDORS as u32)
    );
}

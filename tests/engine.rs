//! The engine over fixture pages: totals to the cent in every line mode, quirks, users, and
//! bad input that must become diagnostics without losing count.
#![cfg(not(target_arch = "wasm32"))]

use bc_spend::bc::Entity;
use bc_spend::engine::{Engine, EngineOptions, PageText};
use bc_spend::money::Amount;
use std::collections::BTreeMap;
use std::path::Path;

fn fixture(p: &str) -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(p),
    )
    .unwrap()
}

fn engine(line_mode: &str, credit_memos: bool) -> Engine {
    Engine::new(EngineOptions {
        connected_at: Some("2026-11-26".into()),
        line_mode: Some(line_mode.into()),
        credit_memos: Some(credit_memos),
        environment: Some("tenant/production".into()),
        ..Default::default()
    })
    .unwrap()
}

const SAMPLE: &[&str] = &[
    "sample/companies.json",
    "sample/us-generalLedgerSetup.json",
    "sample/uk-generalLedgerSetup.json",
    "sample/us-vendors.json",
    "sample/uk-vendors.json",
    "sample/us-purchaseInvoices-1.json",
    "sample/us-purchaseInvoices-2.json",
    "sample/uk-purchaseInvoices.json",
    "sample/us-purchaseCreditMemos.json",
    "sample/us-users.json",
    "sample/uk-users.json",
];

fn load(e: &mut Engine, files: &[&str]) {
    for f in files {
        let r = e.add_page_text(None, None, &fixture(f));
        assert!(!r.page_rejected, "{f} rejected");
        assert_eq!(r.rejected, 0, "{f}");
    }
}

fn totals(e: &mut Engine) -> BTreeMap<String, (String, String, usize)> {
    let mut m: BTreeMap<String, (Amount, Amount, usize)> = BTreeMap::new();
    for t in e.transactions() {
        let x = m.entry(t.currency.to_string()).or_default();
        x.0 += t.amount_excluding_tax;
        x.1 += t.amount_including_tax;
        x.2 += 1;
    }
    m.into_iter()
        .map(|(k, (a, b, n))| (k, (a.to_string(), b.to_string(), n)))
        .collect()
}

#[test]
fn invoice_mode_totals_to_the_cent() {
    let mut e = engine("invoice", false);
    load(&mut e, SAMPLE);
    let t = totals(&mut e);
    assert_eq!(t["USD"], ("32042.40".into(), "33116.76".into(), 6));
    assert_eq!(t["GBP"], ("133.59".into(), "160.31".into(), 2));
    assert_eq!(t["EUR"], ("3174.21".into(), "3809.05".into(), 1));
    let s = e.summary();
    let inv = &s.counts["purchaseInvoices"];
    assert_eq!(inv.read, 13);
    assert_eq!(inv.read, inv.accepted + inv.rejected);
    assert_eq!(inv.not_paid, 3);
    assert_eq!(inv.outside_window, 1);
    // Credit memos are off by default: read, accepted, not used.
    assert_eq!(s.counts["purchaseCreditMemos"].disabled, 1);
    // Every invoice-mode transaction carries its lines (comments included) and no line id.
    let shi = e
        .transactions()
        .iter()
        .find(|t| t.invoice_number.as_deref() == Some("108003"))
        .unwrap();
    assert_eq!(shi.line_id, None);
    assert_eq!(shi.lines.as_ref().unwrap().len(), 4);
    assert_eq!(
        shi.lines.as_ref().unwrap()[0]
            .amount_excluding_tax
            .to_string(),
        "4499.40"
    );
}

#[test]
fn line_mode_totals_match_invoice_mode() {
    let mut e = engine("line", false);
    load(&mut e, SAMPLE);
    let t = totals(&mut e);
    assert_eq!(t["USD"], ("32042.40".into(), "33116.76".into(), 9));
    assert_eq!(t["GBP"], ("133.59".into(), "160.31".into(), 2));
    assert_eq!(t["EUR"], ("3174.21".into(), "3809.05".into(), 3));
    let txs = e.transactions();
    assert!(txs.iter().all(|t| t.line_id.is_some() && t.lines.is_none()));
    let freight = txs.iter().find(|t| t.description == "Freight").unwrap();
    assert_eq!(freight.gl_account_number.as_deref(), Some("6430"));
    assert_eq!(freight.line_type, Some("account"));
}

#[test]
fn ids_are_stable_across_rereads_and_never_duplicate() {
    let mut a = engine("line", false);
    load(&mut a, SAMPLE);
    let ids_a: Vec<String> = a.transactions().iter().map(|t| t.id.clone()).collect();
    let mut b = engine("line", false);
    load(&mut b, SAMPLE);
    load(
        &mut b,
        &[
            "sample/us-purchaseInvoices-1.json",
            "sample/us-purchaseInvoices-2.json",
        ],
    );
    let ids_b: Vec<String> = b.transactions().iter().map(|t| t.id.clone()).collect();
    assert_eq!(ids_a, ids_b);
    let mut sorted = ids_a.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), ids_a.len());
}

#[test]
fn blank_currency_falls_back_to_local_currency_in_any_order() {
    // GL setup arrives after the invoices.
    let mut e = engine("invoice", false);
    load(&mut e, &["sample/uk-purchaseInvoices.json"]);
    assert!(e.transactions().iter().any(|t| t.currency.is_empty()));
    assert!(e.diagnostics().iter().any(|d| d.code == "CURRENCY_UNKNOWN"));
    load(&mut e, &["sample/uk-generalLedgerSetup.json"]);
    let pi = e
        .transactions()
        .iter()
        .find(|t| t.invoice_number.as_deref() == Some("PI-2001"))
        .unwrap()
        .clone();
    assert_eq!(pi.currency, "GBP");
    assert!(!e.diagnostics().iter().any(|d| d.code == "CURRENCY_UNKNOWN"));
}

#[test]
fn credit_memos_become_negative_and_linked() {
    let mut e = engine("invoice", true);
    load(&mut e, SAMPLE);
    let cm = e
        .transactions()
        .iter()
        .find(|t| t.kind == "creditMemo")
        .unwrap()
        .clone();
    assert_eq!(cm.amount_excluding_tax.to_string(), "-750.00");
    assert_eq!(cm.applies_to_invoice_number.as_deref(), Some("108001"));
    assert_eq!(totals(&mut e)["USD"].0, "31292.40");
}

#[test]
fn newer_version_replaces_and_unpaid_is_removed() {
    let mut e = engine("invoice", false);
    load(&mut e, &["sample/us-purchaseInvoices-1.json"]);
    let text = fixture("sample/us-purchaseInvoices-1.json");
    let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
    // A newer version of invoice 108001 is Open again (payment reversed).
    let inv = &mut v["value"][0];
    inv["status"] = "Open".into();
    inv["lastModifiedDateTime"] = "2026-11-01T00:00:00Z".into();
    let r = e.add_page_text(Some(Entity::PurchaseInvoices), None, &v.to_string());
    assert_eq!(r.accepted, 4);
    assert_eq!(e.transactions().len(), 3);
    assert_eq!(e.removals().len(), 1);
    assert_eq!(e.removals()[0].invoice_number.as_deref(), Some("108001"));
    // An older version arriving late changes nothing.
    let r = e.add_page_text(Some(Entity::PurchaseInvoices), None, &text);
    assert_eq!(r.accepted, 4);
    assert_eq!(e.transactions().len(), 3);
    assert_eq!(e.summary().counts["purchaseInvoices"].stale, 1);
}

#[test]
fn microsoft_documented_invoice_uses_net_amounts() {
    let mut e = engine("line", false);
    e.add_page_text(None, None, &fixture("ms-docs/purchaseInvoices.json"));
    // The line's amountExcludingTax is 0 in BC's response; netAmount is the real spend.
    let mut e2 = Engine::new(EngineOptions {
        window_start: Some("2019-01-01".into()),
        line_mode: Some("line".into()),
        ..Default::default()
    })
    .unwrap();
    e2.add_page_text(None, None, &fixture("ms-docs/purchaseInvoices.json"));
    let t = &e2.transactions()[0];
    assert_eq!(t.amount_excluding_tax.to_string(), "3122.80");
    assert_eq!(t.amount_including_tax.to_string(), "3310.17");
    assert_eq!(t.currency, "USD");
    // It is older than the default window: counted, not lost.
    let s = e.summary();
    assert_eq!(s.counts["purchaseInvoices"].outside_window, 1);
}

#[test]
fn users_are_deduplicated_and_flagged() {
    let mut e = engine("invoice", false);
    load(&mut e, &["sample/us-users.json", "sample/uk-users.json"]);
    let (users, diags) = e.users();
    assert_eq!(users.len(), 8);
    let s = e.summary().users;
    assert_eq!(
        (
            s.persons,
            s.non_human,
            s.active,
            s.inactive,
            s.without_email
        ),
        (6, 2, 5, 1, 3)
    );
    let ben = users
        .iter()
        .find(|u| u.user_name.as_deref() == Some("BEN"))
        .unwrap();
    assert_eq!(ben.email.as_deref(), Some("ben.okafor@cronus.example"));
    assert_eq!(ben.company_ids.len(), 2);
    let codes: Vec<&str> = diags.iter().map(|d| d.code.as_str()).collect();
    assert_eq!(
        codes
            .iter()
            .filter(|c| **c == "USER_NO_CONTACT_EMAIL")
            .count(),
        2
    );
    assert_eq!(
        codes
            .iter()
            .filter(|c| **c == "USER_INVALID_CONTACT_EMAIL")
            .count(),
        1
    );
    assert!(diags.iter().all(|d| d.message.contains("Contact Email")));
}

#[test]
fn microsoft_documented_users() {
    let mut e = engine("invoice", false);
    e.add_page_text(None, None, &fixture("ms-docs/users.json"));
    let (users, diags) = e.users();
    assert_eq!(users.len(), 2);
    assert_eq!(users.iter().filter(|u| u.email.is_none()).count(), 1);
    assert_eq!(diags.len(), 1);
}

// ---- bad input ----

fn check_reconciles(e: &mut Engine) {
    for (entity, c) in &e.summary().counts {
        assert_eq!(c.read, c.accepted + c.rejected, "{entity}");
    }
}

#[test]
fn page_not_json() {
    let mut e = engine("invoice", false);
    let r = e.add_page_text(
        Some(Entity::PurchaseInvoices),
        Some("c1"),
        "<html>502 Bad Gateway</html>",
    );
    assert!(r.page_rejected);
    let d = e.diagnostics();
    assert_eq!(d[0].code, "PAGE_NOT_JSON");
    assert_eq!(d[0].entity, Some("purchaseInvoices"));
    let r = e.add_page_text(
        Some(Entity::PurchaseInvoices),
        Some("c1"),
        r#"{"value":[{"id":"a","status":"Paid""#,
    );
    assert!(r.page_rejected);
    assert_eq!(e.summary().counts["purchaseInvoices"].pages_rejected, 2);
}

#[test]
fn bad_records_are_rejected_with_index_id_and_path() {
    let mut e = engine("invoice", false);
    let page = r#"{"value":[
        {"number":"1","status":"Paid","postingDate":"2026-05-01","totalAmountExcludingTax":1,"totalAmountIncludingTax":1},
        {"id":"b2","status":"Paid","postingDate":"2026-05-01","totalAmountExcludingTax":"12.50","totalAmountIncludingTax":12.5},
        {"id":"b3","status":"Paid","postingDate":"2026-05-01","totalAmountExcludingTax":1.23456,"totalAmountIncludingTax":1},
        {"id":"b4","status":"Paid","postingDate":"2026-05-01","purchaseInvoiceLines":[{"id":"l1","lineType":"Item","netAmount":{"x":1},"netAmountIncludingTax":1}]},
        42,
        {"id":"b6","status":"Paid","postingDate":"2026-05-01","totalAmountExcludingTax":5,"totalAmountIncludingTax":6,"junk":[[[[[[[[[[{"a":[[[]]]}]]]]]]]]]]}
    ]}"#;
    let r = e.add_page_text(Some(Entity::PurchaseInvoices), Some("C1"), page);
    assert_eq!((r.records, r.accepted, r.rejected), (6, 1, 5));
    let d = e.diagnostics();
    let find = |code: &str, idx: usize| {
        d.iter()
            .find(|x| x.code == code && x.record_index == Some(idx))
            .unwrap_or_else(|| panic!("{code} at {idx}: {d:#?}"))
            .clone()
    };
    assert_eq!(find("FIELD_MISSING", 0).path.as_deref(), Some("id"));
    let s = find("AMOUNT_INVALID", 1);
    assert_eq!(s.record_id.as_deref(), Some("b2"));
    assert_eq!(s.path.as_deref(), Some("totalAmountExcludingTax"));
    assert!(s.message.contains("string"));
    assert!(find("AMOUNT_INVALID", 2).message.contains("4 decimal"));
    assert_eq!(
        find("AMOUNT_INVALID", 3).path.as_deref(),
        Some("purchaseInvoiceLines/0/netAmount")
    );
    find("RECORD_NOT_OBJECT", 4);
    assert_eq!(d[0].company_id.as_deref(), Some("c1"));
    check_reconciles(&mut e);
}

#[test]
fn huge_description_is_cut_not_lost() {
    let mut e = engine("line", false);
    let big = "x".repeat(1_000_000);
    let page = format!(
        r#"{{"value":[{{"id":"a","status":"Paid","postingDate":"2026-05-01","totalAmountExcludingTax":10,"totalAmountIncludingTax":10,
        "purchaseInvoiceLines":[{{"id":"l","lineType":"Account","description":"{big}","netAmount":10,"netAmountIncludingTax":10}}]}}]}}"#
    );
    let r = e.add_page_text(Some(Entity::PurchaseInvoices), Some("c"), &page);
    assert_eq!(r.accepted, 1);
    assert_eq!(e.transactions()[0].description.len(), 2048);
    assert!(e.diagnostics().iter().any(|d| d.code == "TEXT_TRUNCATED"
        && d.path.as_deref() == Some("purchaseInvoiceLines/0/description")));
}

#[test]
fn lone_surrogate_escape_is_repaired_with_a_diagnostic() {
    let mut e = engine("invoice", false);
    let page = r#"{"value":[{"id":"a","status":"Paid","postingDate":"2026-05-01","vendorName":"Caf\udce9","totalAmountExcludingTax":1,"totalAmountIncludingTax":1}]}"#;
    let r = e.add_page_text(Some(Entity::PurchaseInvoices), Some("c"), page);
    assert_eq!(r.accepted, 1);
    assert_eq!(e.transactions()[0].vendor_name, "Caf\u{FFFD}");
    assert!(e
        .diagnostics()
        .iter()
        .any(|d| d.code == "TEXT_LONE_SURROGATE"));
}

#[test]
fn lone_surrogates_read_the_same_whether_escaped_or_replaced_by_the_host() {
    // One diagnostic, one message: a `\udce9` escape the reader repairs and a raw lone surrogate
    // the boundary replaced while encoding a JS string say the same thing.
    let escaped = r#"{"value":[{"id":"a","status":"Paid","postingDate":"2026-05-01","vendorName":"Caf\udce9","totalAmountExcludingTax":1,"totalAmountIncludingTax":1}]}"#;
    let replaced = escaped.replace("\\udce9", "\u{FFFD}");
    let mut by_escape = engine("invoice", false);
    by_escape.add_page_text(Some(Entity::PurchaseInvoices), Some("c"), escaped);
    let mut by_host = engine("invoice", false);
    by_host.add_page(
        Some(Entity::PurchaseInvoices),
        Some("c"),
        PageText::with_lone_surrogates_replaced(replaced, true),
    );
    let said = |e: &mut Engine| -> Vec<(String, String)> {
        e.diagnostics()
            .iter()
            .map(|d| (d.code.as_str().to_owned(), d.message.clone()))
            .collect()
    };
    let escape_said = said(&mut by_escape);
    let lone: Vec<_> = escape_said
        .iter()
        .filter(|(code, _)| code == "TEXT_LONE_SURROGATE")
        .collect();
    assert_eq!(lone.len(), 1, "{escape_said:?}");
    assert_eq!(escape_said, said(&mut by_host));
    assert_eq!(
        by_escape.transactions()[0].vendor_name,
        by_host.transactions()[0].vendor_name
    );
}

#[test]
fn a_page_object_reads_as_its_text() {
    // The object way in (a host's `JSON.parse` output, through any serde deserializer) gives
    // what the text way gives, page by page, with the entity taken from `@odata.context`.
    let mut files: Vec<_> =
        std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sample"))
            .unwrap()
            .map(|f| f.unwrap().path())
            .collect();
    files.sort();
    let pages: Vec<String> = files
        .iter()
        .map(|f| std::fs::read_to_string(f).unwrap())
        .collect();
    let (mut by_text, mut by_object) = (engine("line", true), engine("line", true));
    for p in &pages {
        let object: serde_json::Value = serde_json::from_str(p).unwrap();
        let context = object["@odata.context"].as_str().map(str::to_owned);
        let a = by_text.add_page_text(None, None, p);
        let b = by_object.add_page_object(None, None, context.as_deref(), object);
        assert_eq!(
            serde_json::to_string(&a).unwrap(),
            serde_json::to_string(&b).unwrap()
        );
    }
    assert!(!by_text.transactions().is_empty());
    assert_eq!(
        serde_json::to_string(&by_text.transactions()).unwrap(),
        serde_json::to_string(&by_object.transactions()).unwrap()
    );
    assert_eq!(
        serde_json::to_string(&by_text.summary()).unwrap(),
        serde_json::to_string(&by_object.summary()).unwrap()
    );

    // A page whose entity cannot be told, or that is not a page at all, is a rejected page, as
    // its text would be.
    let (mut by_text, mut by_object) = (engine("invoice", false), engine("invoice", false));
    for (entity, page) in [
        (None, serde_json::json!({ "value": [] })),
        (
            Some(Entity::PurchaseInvoices),
            serde_json::json!("not a page"),
        ),
    ] {
        let a = by_text.add_page_text(entity, Some("c"), &page.to_string());
        let b = by_object.add_page_object(entity, Some("c"), None, page);
        assert!(b.page_rejected);
        assert_eq!(
            serde_json::to_string(&a).unwrap(),
            serde_json::to_string(&b).unwrap()
        );
    }
    let codes: Vec<&str> = by_object
        .diagnostics()
        .iter()
        .map(|d| d.code.as_str())
        .collect();
    assert_eq!(codes, vec!["PAGE_ENTITY_UNKNOWN", "PAGE_NOT_OBJECT"]);
    assert_eq!(
        serde_json::to_string(&by_text.diagnostics()).unwrap(),
        serde_json::to_string(&by_object.diagnostics()).unwrap()
    );
}

#[test]
fn a_body_as_bytes_reads_as_its_text() {
    let text = fixture("sample/us-purchaseInvoices-1.json");
    let mut a = engine("line", false);
    a.add_page_text(None, None, &text);
    let mut b = engine("line", false);
    let mut body = b"\xEF\xBB\xBF".to_vec(); // a byte-order mark, dropped as TextDecoder does
    body.extend_from_slice(text.as_bytes());
    let r = b.add_page(None, None, PageText::from_bytes(body));
    assert_eq!((r.page_rejected, r.rejected), (false, 0));
    assert_eq!(
        serde_json::to_string(&a.transactions()).unwrap(),
        serde_json::to_string(&b.transactions()).unwrap()
    );
    assert!(b.diagnostics().is_empty());

    // Invalid UTF-8 becomes U+FFFD, as Response.text() would make it, and says so.
    let mut e = engine("invoice", false);
    let page = b"{\"value\":[{\"id\":\"a\",\"status\":\"Paid\",\"postingDate\":\"2026-05-01\",\"vendorName\":\"Caf\xE9 \xF0\x9F\",\"totalAmountExcludingTax\":1,\"totalAmountIncludingTax\":1}]}";
    let r = e.add_page(
        Some(Entity::PurchaseInvoices),
        Some("c"),
        PageText::from_bytes(page.to_vec()),
    );
    assert_eq!(r.accepted, 1);
    assert_eq!(e.transactions()[0].vendor_name, "Caf\u{FFFD} \u{FFFD}");
    assert!(e
        .diagnostics()
        .iter()
        .any(|d| d.code == "TEXT_INVALID_UTF8"));
    // A truncated body is a rejected page, counted, as its text would be.
    let r = e.add_page(
        Some(Entity::PurchaseInvoices),
        Some("c"),
        PageText::from_bytes(page[..40].to_vec()),
    );
    assert!(r.page_rejected);
    assert!(e
        .stage_page(
            Entity::PurchaseInvoices,
            Some("c"),
            PageText::from_bytes(page[..40].to_vec())
        )
        .is_none());
    assert_eq!(
        e.stage_page(
            Entity::PurchaseInvoices,
            Some("c"),
            PageText::from_bytes(page.to_vec())
        )
        .and_then(|(_, p)| p.records),
        Some(1)
    );
}

#[test]
fn a_staged_page_is_parsed_once_and_tells_the_sync_its_envelope() {
    use bc_spend::bc::PageEnvelope;
    let envelope = |next_link: Option<&str>,
                    next_link_invalid: bool,
                    count: Option<u64>,
                    records: Option<u64>| PageEnvelope {
        next_link: next_link.map(str::to_owned),
        next_link_invalid,
        count,
        records,
        latest_posting: None,
    };
    // Pages of documents also say the latest posting date of their records, when all have one
    // (where the sync may split a running read).
    let dated = |e: PageEnvelope, d: &str| PageEnvelope {
        latest_posting: bc_spend::date::Date::parse_bc(d).unwrap(),
        ..e
    };
    let next = "https://api.businesscentral.dynamics.com/v2.0/7d2c1c8e-3b7a-4bb0-9d0e-0a3f6c1e5b21/production/api/v2.0/companies(ea8329e5-afeb-5221-ad88-e9eaf3d825dd)/purchaseInvoices?$expand=purchaseInvoiceLines&$skiptoken=abc";
    // What the sync learns of each page (`SyncPlan.pageDone`), from the engine's own parse.
    let pages: [(String, PageEnvelope); 9] = [
        (
            fixture("sample/us-purchaseInvoices-1.json"),
            dated(envelope(Some(next), false, None, Some(4)), "2026-03-10"),
        ),
        (
            fixture("sample/us-purchaseInvoices-2.json"),
            dated(envelope(None, false, None, Some(6)), "2026-07-20"),
        ),
        (
            r#"{"value":[{"id":"a"}],"@odata.count":1200,"@odata.nextLink":"https://x/next"}"#
                .into(),
            envelope(Some("https://x/next"), false, Some(1200), Some(1)),
        ),
        (
            r#"{"value":[],"@odata.count":3.0,"@odata.nextLink":null}"#.into(),
            envelope(None, false, Some(3), Some(0)),
        ),
        (
            r#"{"@odata.nextLink":5,"value":{"not":"an array"},"@odata.count":-1}"#.into(),
            envelope(None, true, None, None),
        ),
        (
            r#"{"@odata.nextLink":"a","@odata.nextLink":"b","@odata.count":"12"}"#.into(),
            envelope(Some("b"), false, None, None),
        ),
        // An array is accepted, as JSON.parse gives an object; deep nesting is skipped without
        // recursion, as JSON.parse accepts it.
        // JSON.parse reads 1e400 (as Infinity): the envelope of such a page is read too, and the
        // number rejects no more than its own field's record.
        (
            r#"{"value":{"a":1e400},"@odata.nextLink":1e400,"@odata.count":1e400}"#.into(),
            envelope(None, true, None, None),
        ),
        ("[1, 2]".into(), PageEnvelope::default()),
        (
            format!("{}{}", "[".repeat(10_000), "]".repeat(10_000)),
            PageEnvelope::default(),
        ),
    ];
    for (p, expected) in &pages {
        let mut e = engine("line", false);
        let (handle, envelope) = e
            .stage_page(
                Entity::PurchaseInvoices,
                Some("c1"),
                PageText::from_bytes(p.as_bytes().to_vec()),
            )
            .expect("a whole page");
        assert_eq!(&envelope, expected, "{p:.80}");
        assert!(
            e.transactions().is_empty() && e.diagnostics().is_empty(),
            "nothing added before the commit"
        );
        let staged = e.commit_staged(handle).expect("staged");
        let mut direct = engine("line", false);
        assert_eq!(
            serde_json::to_string(&staged).unwrap(),
            serde_json::to_string(&direct.add_page_text(
                Some(Entity::PurchaseInvoices),
                Some("c1"),
                p
            ))
            .unwrap()
        );
        assert_eq!(
            serde_json::to_string(&e.transactions()).unwrap(),
            serde_json::to_string(&direct.transactions()).unwrap()
        );
        assert_eq!(e.diagnostics().len(), direct.diagnostics().len());
        assert!(e.commit_staged(handle).is_none(), "committed once");
    }
    let pages: Vec<String> = pages.into_iter().map(|(p, _)| p).collect();
    // A body that is not one whole object or array stages nothing and records nothing: it is
    // fetched again.
    let mut e = engine("invoice", false);
    let junk = [
        r#"{"value":[{"a":1}"#,
        r#"{"value":[]} x"#,
        r#"{"value":[],}"#,
        "{\"a\":\"\u{1}\"}",
        "null",
    ];
    for bad in [&pages[0][..pages[0].len() - 3], "\"a string\"", "42", ""]
        .into_iter()
        .chain(junk)
    {
        assert!(
            e.stage_page(
                Entity::PurchaseInvoices,
                Some("c1"),
                PageText::from_bytes(bad.as_bytes().to_vec())
            )
            .is_none(),
            "{bad:.40}"
        );
    }
    // A discarded page is never added.
    let (handle, _) = e
        .stage_page(
            Entity::PurchaseInvoices,
            Some("c1"),
            PageText::from_bytes(pages[0].as_bytes().to_vec()),
        )
        .unwrap();
    e.discard_staged(handle);
    assert!(e.commit_staged(handle).is_none());
    assert!(
        e.transactions().is_empty() && e.diagnostics().is_empty() && e.summary().counts.is_empty()
    );
}

#[test]
fn deeply_nested_junk_is_skipped_without_failing_the_page() {
    let mut e = engine("invoice", false);
    let deep = format!(
        r#"{{"value":[{{"id":"a","status":"Paid","postingDate":"2026-05-01","totalAmountExcludingTax":1,"totalAmountIncludingTax":1,"junk":{o}1{c}}},{o}2{c},{{"id":"b","description":{o}{c}}}]}}"#,
        o = "[".repeat(100_000),
        c = "]".repeat(100_000)
    );
    let r = e.add_page_text(Some(Entity::PurchaseInvoices), Some("c"), &deep);
    assert!(!r.page_rejected);
    assert_eq!((r.records, r.accepted, r.rejected), (3, 1, 2));
    let d = e.diagnostics();
    assert!(d
        .iter()
        .any(|x| x.code == "RECORD_NOT_OBJECT" && x.record_index == Some(1)));
    assert!(d.iter().any(|x| x.code == "FIELD_MISSING"
        && x.record_id.as_deref() == Some("b")
        && x.path.as_deref() == Some("status")));
}

#[test]
fn page_without_company_or_entity() {
    let mut e = engine("invoice", false);
    let r = e.add_page_text(Some(Entity::Vendors), None, r#"{"value":[]}"#);
    assert!(r.page_rejected);
    let r = e.add_page_text(None, Some("c"), r#"{"value":[]}"#);
    assert!(r.page_rejected);
    let codes: Vec<&str> = e.diagnostics().iter().map(|d| d.code.as_str()).collect();
    assert_eq!(codes, vec!["PAGE_NO_COMPANY", "PAGE_ENTITY_UNKNOWN"]);
}

#[test]
fn window_is_calendar_correct() {
    let mut e = Engine::new(EngineOptions {
        connected_at: Some("2028-02-29".into()),
        ..Default::default()
    })
    .unwrap();
    assert_eq!(e.window_start().to_string(), "2027-02-28");
    let page = r#"{"value":[
        {"id":"a","status":"Paid","postingDate":"2027-02-27","totalAmountExcludingTax":1,"totalAmountIncludingTax":1},
        {"id":"b","status":"Paid","postingDate":"2027-02-28","totalAmountExcludingTax":1,"totalAmountIncludingTax":1}]}"#;
    e.add_page_text(Some(Entity::PurchaseInvoices), Some("c"), page);
    assert_eq!(e.transactions().len(), 1);
    assert_eq!(e.transactions()[0].invoice_id, "b");
}

#[test]
fn configuration_errors_have_codes() {
    let err = |o: EngineOptions| Engine::new(o).err().unwrap();
    assert_eq!(err(EngineOptions::default()).code, "MISSING_OPTION");
    let e = err(EngineOptions {
        connected_at: Some("26/11/2026".into()),
        ..Default::default()
    });
    assert_eq!(
        (e.code.as_str(), e.path.as_deref()),
        ("INVALID_OPTION", Some("connectedAt"))
    );
    let e = err(EngineOptions {
        connected_at: Some("2026-11-26".into()),
        line_mode: Some("lines".into()),
        ..Default::default()
    });
    assert_eq!(e.path.as_deref(), Some("lineMode"));
    let e = err(EngineOptions {
        connected_at: Some("2026-11-26".into()),
        default_currency: Some("euro".into()),
        ..Default::default()
    });
    assert_eq!(e.code, "INVALID_OPTION");
    let e: Result<EngineOptions, _> =
        serde_json::from_str(r#"{"connectedAt":"2026-11-26","lineMod":"line"}"#);
    assert!(e.unwrap_err().to_string().contains("lineMod"));
}

#[test]
fn summary_names_the_remedy_for_a_blank_currency_as_the_report_does() {
    let mut e = engine("invoice", false);
    load(&mut e, &["sample/uk-purchaseInvoices.json"]);
    let blank = e
        .transactions()
        .iter()
        .filter(|t| t.currency.is_empty())
        .count() as u64;
    assert!(blank > 0);
    let s = e.summary();
    let m = s
        .currency_missing
        .clone()
        .expect("the blank currency is explained");
    assert_eq!(m.transactions, blank);
    assert!(m.remedy.contains("--default-currency"), "{}", m.remedy);
    let r = e
        .report(&bc_spend::report::ReportOptions {
            as_of: Some("2030-01-01".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(r.currency_missing, Some(m));
    load(&mut e, &["sample/uk-generalLedgerSetup.json"]);
    assert!(e.summary().currency_missing.is_none());
}

/// Issue 18 allocation rule, through the engine: on an invoice that also carries hardware, the
/// freight line is not software spend in line and auto modes; invoice mode keeps one transaction.
#[test]
fn freight_on_an_invoice_with_goods_is_not_software_in_split_modes() {
    let page = r#"{"value":[{"id":"a","status":"Paid","postingDate":"2026-05-01","vendorName":"Insight Enterprises Netherlands B.V.",
        "totalAmountExcludingTax":1195,"totalAmountIncludingTax":1195,"purchaseInvoiceLines":[
        {"id":"l1","sequence":10,"lineType":"Item","description":"Microsoft 365 Business Premium x 10","netAmount":220,"netAmountIncludingTax":220},
        {"id":"l2","sequence":20,"lineType":"Item","description":"Lenovo ThinkPad T14 laptop","netAmount":950,"netAmountIncludingTax":950},
        {"id":"l3","sequence":30,"lineType":"Charge","description":"Frais de port","netAmount":25,"netAmountIncludingTax":25}]}]}"#;
    let apps = |mode: &str| -> Vec<(Option<String>, String)> {
        let mut e = engine(mode, false);
        e.add_page_text(Some(Entity::PurchaseInvoices), Some("c"), page);
        e.transactions()
            .iter()
            .map(|t| {
                (
                    t.match_.as_ref().map(|m| m.app_id.clone()),
                    t.amount_excluding_tax.to_string(),
                )
            })
            .collect()
    };
    let m365 = || Some("microsoft-365".to_string());
    let mut line = apps("line");
    line.sort();
    assert_eq!(
        line,
        [
            (None, "25.00".into()),
            (None, "950.00".into()),
            (m365(), "220.00".into())
        ]
    );
    let mut auto = apps("auto");
    auto.sort();
    assert_eq!(auto, [(None, "975.00".into()), (m365(), "220.00".into())]);
    assert_eq!(apps("invoice"), [(m365(), "1195.00".into())]);
}

/// Issue 18 part 4: a matched part carries seats, price per seat and period, from BC's quantity
/// and unit cost when the line is per seat, else from its text; only when known.
#[test]
fn matched_parts_carry_seats_price_per_seat_and_period() {
    let page = r#"{"value":[{"id":"a","status":"Paid","postingDate":"2026-05-01","vendorName":"Insight Enterprises Netherlands B.V.",
        "totalAmountExcludingTax":2290,"totalAmountIncludingTax":2290,"purchaseInvoiceLines":[
        {"id":"l1","sequence":10,"lineType":"Item","description":"Microsoft 365 E3 NCE annual","unitOfMeasureCode":"PCS","quantity":25,"unitCost":72.4,"netAmount":1810,"netAmountIncludingTax":1810},
        {"id":"l2","sequence":20,"lineType":"Item","description":"Slack Pro - 40 users - monthly","quantity":1,"unitCost":350,"netAmount":350,"netAmountIncludingTax":350},
        {"id":"l3","sequence":30,"lineType":"Item","description":"Miro Business","quantity":3,"unitCost":43.33333,"netAmount":130,"netAmountIncludingTax":130}]}]}"#;
    let mut e = engine("line", false);
    let r = e.add_page_text(Some(Entity::PurchaseInvoices), Some("c"), page);
    assert_eq!((r.accepted, r.rejected), (1, 0));
    let got: Vec<_> = e
        .transactions()
        .iter()
        .map(|t| {
            (
                t.match_.as_ref().map(|m| m.app_id.clone()),
                t.seats,
                t.unit_price.map(|p| p.to_string()),
                t.period.map(|p| p.as_str()),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (
                Some("microsoft-365".into()),
                Some(25),
                Some("72.40".into()),
                Some("annual")
            ),
            (
                Some("slack".into()),
                Some(40),
                Some("8.75".into()),
                Some("monthly")
            ),
            // A unit cost of five decimals is not read; quantity x unit cost cannot be checked.
            (Some("miro".into()), None, None, None),
        ]
    );
    let json = serde_json::to_value(e.transactions()).unwrap();
    assert_eq!(json[0]["seats"], 25);
    assert_eq!(json[0]["unitPrice"], "72.40");
    assert_eq!(json[0]["period"], "annual");
    assert!(json[2].get("seats").is_none() && json[2].get("unitPrice").is_none());
    // The figures survive a state round trip.
    let mut restored = Engine::from_state(
        EngineOptions {
            connected_at: Some("2026-11-26".into()),
            line_mode: Some("line".into()),
            environment: Some("tenant/production".into()),
            ..Default::default()
        },
        &e.export_state(),
    )
    .unwrap();
    assert_eq!(serde_json::to_value(restored.transactions()).unwrap(), json);
}

/// Issue 18 part 4: `transactions.csv` carries what `transactions.json` says of seats, price per
/// seat, period and a multi-year term's months, in four columns at the end (empty when unknown),
/// so a spreadsheet user sees them too.
#[test]
fn the_csv_carries_seats_price_per_seat_and_period() {
    let page = r#"{"value":[{"id":"a","status":"Paid","postingDate":"2026-05-01","vendorName":"Insight Enterprises Netherlands B.V.",
        "totalAmountExcludingTax":2840,"totalAmountIncludingTax":2840,"purchaseInvoiceLines":[
        {"id":"l1","sequence":10,"lineType":"Item","description":"Microsoft 365 E3 NCE annual","unitOfMeasureCode":"PCS","quantity":25,"unitCost":72.4,"netAmount":1810,"netAmountIncludingTax":1810},
        {"id":"l3","sequence":30,"lineType":"Item","description":"Miro Business","quantity":3,"unitCost":43.33333,"netAmount":130,"netAmountIncludingTax":130},
        {"id":"l4","sequence":40,"lineType":"Item","description":"Slack Business+ 3YR subscription","netAmount":900,"netAmountIncludingTax":900}]}]}"#;
    let mut e = engine("line", false);
    e.add_page_text(Some(Entity::PurchaseInvoices), Some("c"), page);
    let csv = bc_spend::export::transactions_csv(e.transactions());
    let rows: Vec<Vec<&str>> = csv
        .lines()
        .map(|l| l.trim_end_matches('\r').split(',').collect())
        .collect();
    assert_eq!(
        &rows[0][rows[0].len() - 4..],
        ["seats", "unitPrice", "period", "termMonths"]
    );
    assert_eq!(&rows[1][rows[1].len() - 4..], ["25", "72.40", "annual", ""]);
    assert_eq!(&rows[2][rows[2].len() - 4..], ["", "", "", ""]);
    assert_eq!(&rows[3][rows[3].len() - 4..], ["", "", "multiYear", "36"]);
    assert!(rows.iter().all(|r| r.len() == rows[0].len()));
    let json = serde_json::to_value(e.transactions()).unwrap();
    assert_eq!(json[2]["termMonths"], 36);
    assert!(json[0].get("termMonths").is_none());
}

/// `transactions.json` is written by hand (`export::transactions_json_part`) for speed; for the
/// sample's transactions in every line mode, with credit memos and the seats lines, it is the
/// bytes serde writes for them, whole and in the host's parts.
#[test]
fn the_transactions_json_writer_writes_serdes_bytes_in_every_line_mode() {
    let seats = r#"{"value":[{"id":"s","status":"Paid","postingDate":"2026-05-01","vendorName":"Insight Enterprises Netherlands B.V.",
        "totalAmountExcludingTax":2840,"totalAmountIncludingTax":2840,"purchaseInvoiceLines":[
        {"id":"l1","sequence":10,"lineType":"Item","description":"Microsoft 365 E3 NCE annual","unitOfMeasureCode":"PCS","quantity":25,"unitCost":72.4,"netAmount":1810,"netAmountIncludingTax":1810},
        {"id":"l3","sequence":30,"lineType":"Item","description":"Miro \"Business\"\t\u0001 😀","quantity":3,"unitCost":43.33333,"netAmount":130,"netAmountIncludingTax":130},
        {"id":"l4","sequence":40,"lineType":"Item","description":"Slack Business+ 3YR subscription","netAmount":900,"netAmountIncludingTax":900}]}]}"#;
    for mode in ["invoice", "line", "auto"] {
        let mut e = engine(mode, true);
        load(&mut e, SAMPLE);
        e.add_page_text(Some(Entity::PurchaseInvoices), Some("c"), seats);
        let txs = e.transactions();
        assert!(txs.len() > 10, "{mode}");
        let serde = serde_json::to_vec(txs).unwrap();
        assert_eq!(
            String::from_utf8(bc_spend::export::transactions_json(txs)).unwrap(),
            String::from_utf8(serde.clone()).unwrap(),
            "{mode}"
        );
        let mut parts = Vec::new();
        for at in (0..txs.len()).step_by(4) {
            parts.extend(bc_spend::export::transactions_json_part(txs, at, at + 4));
        }
        assert_eq!(parts, serde, "{mode} in parts");
        assert_eq!(
            bc_spend::export::transactions_csv_part_bytes(txs, 0, txs.len()),
            bc_spend::export::transactions_csv(txs).into_bytes()
        );
    }
}

//! The page reader against input that used to be misread (issue 15, "Reliability"): amounts
//! beyond float precision, BC's error bodies, out-of-range numbers, misleading contexts, ids
//! made equal by text repair, unchecked currency codes and dates, UTF-16 files.
#![cfg(not(target_arch = "wasm32"))]

use bc_spend::bc::Entity;
use bc_spend::diagnostics::{Diagnostic, Severity};
use bc_spend::engine::{Engine, EngineOptions, PageResult};
use proptest::prelude::*;

const CTX: &str = "https://api.businesscentral.dynamics.com/v2.0/t/production/api/v2.0/$metadata#companies(c1)/purchaseInvoices(purchaseInvoiceLines())";

fn engine() -> Engine {
    Engine::new(EngineOptions {
        connected_at: Some("2026-11-26".into()),
        line_mode: Some("invoice".into()),
        ..Default::default()
    })
    .unwrap()
}

/// A paid invoice whose amounts are written as the given JSON number text.
fn invoice(id: &str, currency: &str, amount: &str) -> String {
    format!(
        r#"{{"id":"{id}","number":"N-{id}","postingDate":"2026-05-01","vendorName":"Slack","currencyCode":"{currency}","status":"Paid",
            "totalAmountExcludingTax":{amount},"totalAmountIncludingTax":{amount},
            "purchaseInvoiceLines":[{{"lineType":"Item","description":"Slack Pro","netAmount":{amount},"netAmountIncludingTax":{amount}}}]}}"#
    )
}

fn page(records: &[String]) -> String {
    format!(
        r#"{{"@odata.context":"{CTX}","value":[{}]}}"#,
        records.join(",")
    )
}

fn codes(e: &mut Engine) -> Vec<&'static str> {
    e.diagnostics().iter().map(|d| d.code.as_str()).collect()
}

fn find(e: &mut Engine, code: &str) -> Option<Diagnostic> {
    e.diagnostics().into_iter().find(|d| d.code == code)
}

fn total(e: &mut Engine, currency: &str) -> String {
    let s = e.summary();
    s.totals
        .iter()
        .find(|t| t.currency == currency)
        .map(|t| t.amount_excluding_tax.to_string())
        .unwrap_or_default()
}

fn add(e: &mut Engine, text: &str) -> PageResult {
    e.add_page_text(None, None, text)
}

// ---- 6: amounts read from their text, exactly ----

#[test]
fn a_large_decimal_amount_is_read_like_the_same_integer() {
    let mut e = engine();
    let r = add(
        &mut e,
        &page(&[
            invoice("a", "IDR", "150000000000.00"),
            invoice("b", "IDR", "150000000000"),
        ]),
    );
    assert_eq!((r.accepted, r.rejected), (2, 0), "{:?}", codes(&mut e));
    assert_eq!(total(&mut e, "IDR"), "300000000000.00");
    // Up to the integer range of the money type, to the last ten-thousandth.
    let mut e = engine();
    let r = add(
        &mut e,
        &page(&[
            invoice("a", "VND", "922337203685477.5807"),
            invoice("b", "VND", "-922337203685477.5807"),
        ]),
    );
    assert_eq!((r.accepted, r.rejected), (2, 0), "{:?}", codes(&mut e));
    let mut e = engine();
    let r = add(
        &mut e,
        &page(&[
            invoice("a", "VND", "922337203685477.5808"),
            invoice("b", "VND", "1E+15"),
        ]),
    );
    assert_eq!((r.accepted, r.rejected), (0, 2));
    assert!(
        e.diagnostics()
            .iter()
            .filter(|d| d.code == "AMOUNT_INVALID")
            .all(|d| d.message.contains("too large")),
        "{:?}",
        e.diagnostics()
    );
}

#[test]
fn a_decimal_with_more_places_than_money_holds_is_rejected_not_rounded() {
    let mut e = engine();
    let r = add(
        &mut e,
        &page(&[
            invoice("a", "USD", "6750.0000000000001"),
            invoice("b", "USD", "6750.00"),
        ]),
    );
    assert_eq!((r.accepted, r.rejected), (1, 1));
    let d = find(&mut e, "AMOUNT_INVALID").expect("a diagnostic for the over-precise amount");
    assert_eq!(d.record_id.as_deref(), Some("a"));
    assert!(d.message.contains("decimal places"), "{}", d.message);
    assert_eq!(total(&mut e, "USD"), "6750.00");
    // Exponents and trailing zeros are read exactly too.
    let mut e = engine();
    let r = add(
        &mut e,
        &page(&[
            invoice("a", "USD", "1.25e3"),
            invoice("b", "USD", "0.10000000000000000000"),
            invoice("c", "USD", "125e-4"),
        ]),
    );
    assert_eq!((r.accepted, r.rejected), (3, 0), "{:?}", codes(&mut e));
    assert_eq!(total(&mut e, "USD"), "1250.1125");
}

#[test]
fn a_sum_that_would_overflow_is_a_diagnostic_not_a_saturated_total() {
    for mode in ["invoice", "line", "auto"] {
        let mut e = Engine::new(EngineOptions {
            connected_at: Some("2026-11-26".into()),
            line_mode: Some(mode.into()),
            ..Default::default()
        })
        .unwrap();
        let mut invoices: Vec<String> = (0..4)
            .map(|i| invoice(&format!("i{i}"), "VND", "900000000000000"))
            .collect();
        invoices.push(invoice("small", "VND", "1"));
        invoices.push(invoice("other", "USD", "900000000000000"));
        let r = add(&mut e, &page(&invoices));
        assert_eq!((r.records, r.accepted), (6, 6));
        let t = total(&mut e, "VND");
        assert_ne!(t, "922337203685477.5807", "{mode}: saturated");
        // One 900-trillion invoice fits; each further one would overflow and is reported.
        assert_eq!(t, "900000000000001.00", "{mode}");
        assert_eq!(
            total(&mut e, "USD"),
            "900000000000000.00",
            "{mode}: currencies have budgets of their own"
        );
        let overflows: Vec<Diagnostic> = e
            .diagnostics()
            .into_iter()
            .filter(|d| d.code == "AMOUNT_SUM_OVERFLOW")
            .collect();
        assert_eq!(overflows.len(), 3, "{mode}");
        assert!(
            overflows.iter().all(|d| d.severity == Severity::Error
                && d.record_id.is_some()
                && d.message.contains("VND")),
            "{overflows:?}"
        );
        // What is held still adds up: the total is the sum of the transactions kept.
        let held: i128 = e
            .transactions()
            .iter()
            .filter(|t| t.currency == "VND")
            .map(|t| t.amount_excluding_tax.0 as i128)
            .sum();
        assert_eq!(t, bc_spend::money::Amount(held as i64).to_string());
        let s = e.summary();
        let c = s.counts["purchaseInvoices"];
        assert_eq!(c.read, c.accepted + c.rejected);
    }
    // A document whose lines cannot be balanced against its total within range is left out.
    let mut e = engine();
    let lines = r#""purchaseInvoiceLines":[{"lineType":"Item","description":"a","netAmount":900000000000000,"netAmountIncludingTax":1},
        {"lineType":"Item","description":"b","netAmount":900000000000000,"netAmountIncludingTax":1}]"#;
    let doc = invoice("x", "USD", "1").replace(
        &invoice("x", "USD", "1")[invoice("x", "USD", "1")
            .find("\"purchaseInvoiceLines\"")
            .unwrap()..],
        &format!("{lines}}}"),
    );
    let r = add(&mut e, &page(&[doc]));
    assert_eq!(r.accepted, 1, "{:?}", codes(&mut e));
    assert!(e.transactions().is_empty());
    assert!(codes(&mut e).contains(&"AMOUNT_SUM_OVERFLOW"));
}

// ---- 7: an OData error body is BC's error, not records ----

#[test]
fn an_odata_error_body_is_a_page_error_not_phantom_records() {
    let body = r#"{"error":{"code":"BadRequest_ResourceNotFound","message":"Resource not found for the segment 'purchaseInvoicez'.  CorrelationId:  1b2c."}}"#;
    for entity in [None, Some(Entity::PurchaseInvoices)] {
        let mut e = engine();
        let r = e.add_page_text(entity, Some("c1"), body);
        assert!(r.page_rejected, "{entity:?}");
        assert_eq!((r.records, r.accepted, r.rejected), (0, 0, 0));
        let d = find(&mut e, "PAGE_BC_ERROR").unwrap_or_else(|| panic!("{:?}", codes(&mut e)));
        assert_eq!(d.severity, Severity::Error);
        assert!(
            d.message.contains("BadRequest_ResourceNotFound")
                && d.message.contains("Resource not found"),
            "{}",
            d.message
        );
        assert!(!codes(&mut e).contains(&"FIELD_MISSING"));
    }
}

// ---- 12: one out-of-range number rejects its record, not the page ----

#[test]
fn an_out_of_range_number_rejects_its_record_and_keeps_the_rest() {
    let huge = format!("1{}", "0".repeat(400));
    for bad in ["1e400", "-1e400", huge.as_str()] {
        let mut e = engine();
        let r = add(
            &mut e,
            &page(&[
                invoice("a", "USD", "10.00"),
                invoice("b", "USD", bad),
                invoice("c", "USD", "5"),
            ]),
        );
        assert!(!r.page_rejected, "{bad}: {:?}", codes(&mut e));
        assert_eq!((r.records, r.accepted, r.rejected), (3, 2, 1), "{bad}");
        assert_eq!(
            find(&mut e, "AMOUNT_INVALID")
                .and_then(|d| d.record_id)
                .as_deref(),
            Some("b")
        );
        assert_eq!(total(&mut e, "USD"), "15.00");
    }
    // In a field that is not read, or in a page-level field, it costs nothing.
    let mut e = engine();
    let text = format!(
        r#"{{"@odata.context":"{CTX}","@odata.count":1e400,"value":[{}]}}"#,
        invoice("a", "USD", "1").replace("\"status\"", "\"other\":1e400,\"status\"")
    );
    let r = add(&mut e, &text);
    assert_eq!(
        (r.page_rejected, r.accepted),
        (false, 1),
        "{:?}",
        codes(&mut e)
    );
}

// ---- 13: only the top-level context names the entity ----

#[test]
fn an_unbalanced_context_is_a_diagnostic_not_another_entity() {
    let mut e = engine();
    let text = format!(
        r#"{{"@odata.context":"https://x/api/v2.0/$metadata#companies(((((/purchaseInvoices","value":[{}]}}"#,
        invoice("a", "USD", "1")
    );
    let r = add(&mut e, &text);
    assert!(r.page_rejected);
    assert_ne!(r.entity, Some("companies"));
    let d = find(&mut e, "PAGE_CONTEXT_INVALID").unwrap_or_else(|| panic!("{:?}", codes(&mut e)));
    assert_eq!(d.severity, Severity::Error);
    assert!(!e.summary().counts.contains_key("companies"));
}

#[test]
fn a_nested_context_before_the_top_level_one_does_not_count() {
    let mut e = engine();
    let nested = invoice("a", "USD", "1").replacen(
        '{',
        r#"{"@odata.context":"https://x/$metadata#companies","#,
        1,
    );
    let text = format!(r#"{{"value":[{nested}],"@odata.context":"{CTX}"}}"#);
    let r = add(&mut e, &text);
    assert_eq!(r.entity, Some("purchaseInvoices"), "{:?}", codes(&mut e));
    assert_eq!((r.accepted, r.rejected), (1, 0));
    // A page whose only context is nested has no context of its own.
    let mut e = engine();
    let text = format!(r#"{{"value":[{nested}]}}"#);
    let r = add(&mut e, &text);
    assert!(r.page_rejected);
    assert_eq!(codes(&mut e), ["PAGE_ENTITY_UNKNOWN"]);
}

// ---- 14: ids made equal by text repair ----

#[test]
fn ids_that_differ_only_in_lone_surrogates_are_not_silently_merged() {
    let mut e = engine();
    let text = page(&[
        invoice("x\\ud800", "USD", "1"),
        invoice("x\\ud801", "USD", "2"),
    ]);
    let r = add(&mut e, &text);
    let n = e.transactions().len() as u64;
    let s = e.summary();
    let c = s.counts["purchaseInvoices"];
    assert_eq!(c.read, 2);
    // Whatever was kept, the counts say what happened to each record.
    assert_eq!(
        n + c.rejected,
        2,
        "transactions {n}, counts {c:?}, page {r:?}"
    );
}

// ---- 15: currency codes and dates are checked ----

#[test]
fn a_currency_code_that_is_not_a_code_rejects_its_record() {
    let long = "X".repeat(1 << 20);
    for bad in ["ABCDEFGHIJKLMNOPQRST", long.as_str(), "US D", "€"] {
        let mut e = engine();
        let r = add(
            &mut e,
            &page(&[invoice("a", bad, "1"), invoice("b", " usd ", "2")]),
        );
        assert_eq!(
            (r.accepted, r.rejected),
            (1, 1),
            "{}",
            &bad[..bad.len().min(30)]
        );
        let d = find(&mut e, "CURRENCY_INVALID").expect("CURRENCY_INVALID");
        assert_eq!(d.record_id.as_deref(), Some("a"));
        assert!(
            d.message.len() < 200,
            "the message does not repeat a huge code"
        );
        assert_eq!(
            e.summary()
                .totals
                .iter()
                .map(|t| t.currency.as_str())
                .collect::<Vec<_>>(),
            ["USD"]
        );
    }
}

#[test]
fn impossible_times_and_far_future_dates_are_not_accepted_silently() {
    let mut e = engine();
    let r = add(
        &mut e,
        &page(&[invoice("a", "USD", "1").replace("\"2026-05-01\"", "\"2026-05-01T25:00:00Z\"")]),
    );
    assert_eq!(r.records, 1);
    assert!(
        codes(&mut e).contains(&"DATE_INVALID"),
        "{:?}",
        codes(&mut e)
    );
    let mut e = engine();
    let r = add(
        &mut e,
        &page(&[invoice("a", "USD", "1").replace("\"2026-05-01\"", "\"9999-12-31\"")]),
    );
    assert_eq!(r.records, 1);
    let d = find(&mut e, "DATE_FAR_FUTURE").unwrap_or_else(|| panic!("{:?}", codes(&mut e)));
    assert_eq!(d.severity, Severity::Warning);
    assert_eq!(d.path.as_deref(), Some("postingDate"));
}

// ---- 16: UTF-16 files ----

fn utf16(text: &str, big_endian: bool, bom: bool) -> Vec<u8> {
    let mut out = Vec::new();
    let units = bom.then_some(0xFEFF).into_iter().chain(text.encode_utf16());
    for u in units {
        out.extend_from_slice(&if big_endian {
            u.to_be_bytes()
        } else {
            u.to_le_bytes()
        });
    }
    out
}

#[test]
fn a_utf16_page_is_named_as_such() {
    let text = page(&[invoice("a", "USD", "1")]);
    for (be, bom) in [(false, true), (true, true), (false, false), (true, false)] {
        let name = if be { "UTF-16BE" } else { "UTF-16LE" };
        let bytes = utf16(&text, be, bom);
        // As bytes, and as text decoded as UTF-8 (what `readFile(f, 'utf8')` gives).
        let mut e = engine();
        let r = e.add_page(
            None,
            None,
            bc_spend::engine::PageText::from_bytes(bytes.clone()),
        );
        assert!(r.page_rejected);
        let mut e2 = engine();
        let r2 = e2.add_page_text(None, None, &String::from_utf8_lossy(&bytes));
        assert!(r2.page_rejected);
        for e in [&mut e, &mut e2] {
            let d = find(e, "PAGE_ENCODING")
                .unwrap_or_else(|| panic!("{name} bom {bom}: {:?}", codes(e)));
            assert_eq!(d.severity, Severity::Error);
            assert!(d.message.contains(name), "{}", d.message);
            assert_eq!(codes(e), ["PAGE_ENCODING"]);
        }
    }
    // UTF-32 is named as such, not as UTF-16 (its byte-order marks begin with UTF-16's).
    for (be, bom) in [(false, true), (true, true), (false, false), (true, false)] {
        let name = if be { "UTF-32BE" } else { "UTF-32LE" };
        let mut bytes: Vec<u8> = if bom {
            if be {
                vec![0, 0, 0xFE, 0xFF]
            } else {
                vec![0xFF, 0xFE, 0, 0]
            }
        } else {
            vec![]
        };
        for c in text.chars() {
            bytes.extend(if be {
                (c as u32).to_be_bytes()
            } else {
                (c as u32).to_le_bytes()
            });
        }
        for r in [
            engine().add_page(
                None,
                None,
                bc_spend::engine::PageText::from_bytes(bytes.clone()),
            ),
            engine().add_page_text(None, None, &String::from_utf8_lossy(&bytes)),
        ] {
            let rejection = r
                .rejection
                .unwrap_or_else(|| panic!("{name} bom {bom}: not rejected"));
            assert_eq!(rejection.code, "PAGE_ENCODING");
            assert!(
                rejection.message.contains(name),
                "{name} bom {bom}: {}",
                rejection.message
            );
        }
    }
}

// ---- any number text: read exactly or rejected with its record, never the page ----

fn number_text() -> impl Strategy<Value = String> {
    (
        "-?",
        "[0-9]{1,25}",
        prop::option::of("[0-9]{1,25}"),
        prop::option::of(("[eE]", "[+-]?", "[0-9]{1,4}")),
    )
        .prop_map(|(sign, int, frac, exp)| {
            let int = int.trim_start_matches('0');
            let int = if int.is_empty() { "0" } else { int };
            let mut t = format!("{sign}{int}");
            if let Some(f) = frac {
                t += &format!(".{f}");
            }
            if let Some((e, s, d)) = exp {
                t += &format!("{e}{s}{d}");
            }
            t
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn any_number_is_read_exactly_or_rejects_only_its_record(n in number_text()) {
        let mut e = engine();
        let r = add(&mut e, &page(&[invoice("a", "USD", &n), invoice("b", "USD", "1")]));
        prop_assert!(!r.page_rejected, "{}", n);
        prop_assert_eq!(r.records, r.accepted + r.rejected);
        prop_assert!(r.accepted >= 1);
        let held: Vec<String> = e.transactions().iter().filter(|t| t.invoice_id == "a").map(|t| t.amount_excluding_tax.to_string()).collect();
        if r.accepted == 2 {
            // Exact: the amount printed and the text are the same number, to f64 precision.
            let (a, b): (f64, f64) = (held[0].parse().unwrap(), n.parse().unwrap());
            prop_assert!((a - b).abs() <= b.abs() * 1e-15, "{} read as {}", n, held[0]);
        } else {
            prop_assert!(held.is_empty());
            prop_assert!(codes(&mut e).contains(&"AMOUNT_INVALID"), "{}", n);
        }
    }
}

#[test]
fn a_state_holding_a_large_amount_is_read_back() {
    let mut e = engine();
    let r = add(
        &mut e,
        &page(&[
            invoice("a", "IDR", "150000000000.00"),
            invoice("b", "VND", "-922337203685477.5807"),
        ]),
    );
    assert_eq!(r.accepted, 2);
    let state = e.export_state();
    let mut back = Engine::from_state(
        EngineOptions {
            connected_at: Some("2026-11-26".into()),
            line_mode: Some("invoice".into()),
            ..Default::default()
        },
        &state,
    )
    .unwrap_or_else(|err| panic!("{err:?}"));
    assert_eq!(total(&mut back, "IDR"), "150000000000.00");
    assert_eq!(total(&mut back, "VND"), "-922337203685477.5807");
    // i64::MIN is no amount the reader makes (its negation overflows): a state holding it is refused.
    // In the state's varints (zigzag), -i64::MAX is FD FF.. 01 and i64::MIN FF FF.. 01.
    let most_negative = [&[0xFD][..], &[0xFF; 8], &[0x01]].concat();
    let at = state
        .windows(10)
        .position(|w| w == most_negative)
        .expect("the state holds -922337203685477.5807");
    let mut forged = state.clone();
    forged[at] = 0xFF;
    assert!(Engine::from_state(
        EngineOptions {
            connected_at: Some("2026-11-26".into()),
            ..Default::default()
        },
        &forged
    )
    .is_err());
}

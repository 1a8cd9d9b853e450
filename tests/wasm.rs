//! The wasm boundary, run in Node and headless Chrome by `wasm-pack test`: errors are real
//! `Error`s with a `code`, data round-trips as plain JSON, both page paths agree, and a
//! 20,000-invoice page goes through.
#![cfg(target_arch = "wasm32")]

use bc_spend::wasm::{detect_page, Engine};
use js_sys::{Array, Reflect, JSON};
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

const US_1: &str = include_str!("fixtures/sample/us-purchaseInvoices-1.json");
const US_USERS: &str = include_str!("fixtures/sample/us-users.json");

fn options(extra: &str) -> JsValue {
    JSON::parse(&format!(r#"{{"connectedAt":"2026-11-26"{extra}}}"#)).unwrap()
}

fn get(v: &JsValue, k: &str) -> JsValue {
    Reflect::get(v, &k.into()).unwrap()
}

#[wasm_bindgen_test]
fn configuration_errors_are_errors_with_codes() {
    for (opts, code) in [
        (
            r#"{"lineMode":"lines","connectedAt":"2026-11-26"}"#,
            "INVALID_OPTION",
        ),
        (r#"{}"#, "MISSING_OPTION"),
        (
            r#"{"connectedAt":"2026-11-26","bogus":1}"#,
            "INVALID_OPTION",
        ),
        (
            r#"{"connectedAt":"2026-11-26","rules":[{"id":"r1","priority":1,"action":"explode"}]}"#,
            "RULE_INVALID",
        ),
    ] {
        let err = Engine::new(JSON::parse(opts).unwrap()).err().expect(opts);
        assert!(err.is_instance_of::<js_sys::Error>(), "{opts}");
        assert_eq!(
            get(&err, "code").as_string().as_deref(),
            Some(code),
            "{opts}"
        );
        assert!(!get(&err, "message").as_string().unwrap().is_empty());
    }
    // An option that does not exist is named in `path`, like every other INVALID_OPTION.
    let err = Engine::new(JSON::parse(r#"{"connectedAt":"2026-11-26","bogus":1}"#).unwrap())
        .err()
        .unwrap();
    assert_eq!(get(&err, "path").as_string().as_deref(), Some("bogus"));
    let mut e = Engine::new(options("")).unwrap();
    let err = e
        .add_page("salesInvoices".into(), JsValue::NULL, US_1.into())
        .err()
        .unwrap();
    assert!(err.is_instance_of::<js_sys::Error>());
    assert_eq!(
        get(&err, "code").as_string().as_deref(),
        Some("INVALID_ENTITY")
    );
}

#[wasm_bindgen_test]
fn text_and_object_paths_agree() {
    let mut a = Engine::new(options(r#","lineMode":"line""#)).unwrap();
    let r = a
        .add_page(JsValue::NULL, JsValue::NULL, US_1.into())
        .unwrap();
    assert_eq!(get(&r, "accepted").as_f64(), Some(4.0));
    assert_eq!(
        get(&r, "entity").as_string().as_deref(),
        Some("purchaseInvoices")
    );
    let mut b = Engine::new(options(r#","lineMode":"line""#)).unwrap();
    b.add_page_object(JsValue::NULL, JsValue::NULL, JSON::parse(US_1).unwrap())
        .unwrap();
    let ta = JSON::stringify(&a.transactions().unwrap()).unwrap();
    let tb = JSON::stringify(&b.transactions().unwrap()).unwrap();
    assert_eq!(ta, tb);
    let txs: Array = a.transactions().unwrap().into();
    let first = txs.get(0);
    // Amounts are exact decimal strings; absent values are null, never undefined.
    assert_eq!(
        get(&first, "amountExcludingTax").as_string().as_deref(),
        Some("6750.00")
    );
    assert!(get(&first, "match").is_null() || get(&first, "match").is_object());
    assert!(Reflect::has(&first, &"lineId".into()).unwrap());
}

#[wasm_bindgen_test]
fn bad_input_is_data_not_exceptions() {
    let mut e = Engine::new(options("")).unwrap();
    let r = e
        .add_page("purchaseInvoices".into(), "c1".into(), "not json".into())
        .unwrap();
    assert_eq!(get(&r, "pageRejected").as_bool(), Some(true));
    // NaN cannot be written in JSON text, but a JS object can hold it.
    let page = js_sys::Object::new();
    let rec = JSON::parse(
        r#"{"id":"x","status":"Paid","postingDate":"2026-05-01","totalAmountIncludingTax":1}"#,
    )
    .unwrap();
    Reflect::set(
        &rec,
        &"totalAmountExcludingTax".into(),
        &JsValue::from_f64(f64::NAN),
    )
    .unwrap();
    Reflect::set(&page, &"value".into(), &Array::of1(&rec)).unwrap();
    let r = e
        .add_page_object("purchaseInvoices".into(), "c1".into(), page.into())
        .unwrap();
    assert_eq!(get(&r, "rejected").as_f64(), Some(1.0));
    let diags: Array = e.diagnostics().unwrap().into();
    let codes: Vec<String> = diags
        .iter()
        .map(|d| get(&d, "code").as_string().unwrap())
        .collect();
    assert!(codes.contains(&"PAGE_NOT_JSON".to_string()));
    assert!(codes.contains(&"AMOUNT_INVALID".to_string()));
}

#[wasm_bindgen_test]
fn lone_surrogates_in_a_js_string_are_reported() {
    let mut e = Engine::new(options("")).unwrap();
    // Build a JS string holding a lone high surrogate inside a description.
    let head = r#"{"value":[{"id":"a","status":"Paid","postingDate":"2026-05-01","totalAmountExcludingTax":1,"totalAmountIncludingTax":1,"vendorName":"Caf"#;
    let s = js_sys::JsString::from(head)
        .concat(&js_sys::JsString::from_char_code1(0xD800))
        .concat(&r#""}]}"#.into());
    let r = e
        .add_page("purchaseInvoices".into(), "c".into(), s.into())
        .unwrap();
    assert_eq!(get(&r, "accepted").as_f64(), Some(1.0));
    let diags: Array = e.diagnostics().unwrap().into();
    assert!(diags
        .iter()
        .any(|d| get(&d, "code").as_string().as_deref() == Some("TEXT_LONE_SURROGATE")));
}

#[wasm_bindgen_test]
fn pages_as_bytes_read_as_their_text() {
    let mut by_text = Engine::new(options("")).unwrap();
    by_text
        .add_page(JsValue::NULL, JsValue::NULL, US_1.into())
        .unwrap();
    // The body as fetch gives it, with a byte-order mark (which Response.text() drops too).
    let mut body = b"\xEF\xBB\xBF".to_vec();
    body.extend_from_slice(US_1.as_bytes());
    let bytes = |b: &[u8]| JsValue::from(js_sys::Uint8Array::from(b));
    let mut by_bytes = Engine::new(options("")).unwrap();
    let r = by_bytes
        .add_page(JsValue::NULL, JsValue::NULL, bytes(&body))
        .unwrap();
    assert_eq!(get(&r, "accepted").as_f64(), Some(4.0));
    let json = |v: JsValue| JSON::stringify(&v).unwrap().as_string().unwrap();
    assert_eq!(
        json(by_bytes.transactions().unwrap()),
        json(by_text.transactions().unwrap())
    );
    let staged = by_bytes
        .stage_page("purchaseInvoices".into(), JsValue::NULL, bytes(&body))
        .unwrap();
    let from_text = by_text
        .stage_page("purchaseInvoices".into(), JsValue::NULL, US_1.into())
        .unwrap();
    assert_eq!(
        json(get(&staged, "envelope")),
        json(get(&from_text, "envelope"))
    );
    assert!(
        by_bytes
            .stage_page(
                "purchaseInvoices".into(),
                JsValue::NULL,
                bytes(&body[..body.len() - 2])
            )
            .unwrap()
            .is_null(),
        "a truncated body"
    );

    // Invalid UTF-8 is read as Response.text() reads it, with a warning.
    let page = b"{\"value\":[{\"id\":\"a\",\"status\":\"Paid\",\"postingDate\":\"2026-05-01\",\"totalAmountExcludingTax\":1,\"totalAmountIncludingTax\":1,\"vendorName\":\"Caf\xE9\"}]}";
    let mut e = Engine::new(options("")).unwrap();
    let r = e
        .add_page("purchaseInvoices".into(), "c".into(), bytes(page))
        .unwrap();
    assert_eq!(get(&r, "accepted").as_f64(), Some(1.0));
    let diags: Array = e.diagnostics().unwrap().into();
    assert!(diags
        .iter()
        .any(|d| get(&d, "code").as_string().as_deref() == Some("TEXT_INVALID_UTF8")));

    // Anything else is a coded error.
    let err = e
        .add_page(JsValue::NULL, JsValue::NULL, JsValue::from_f64(1.0))
        .err()
        .unwrap();
    assert_eq!(
        get(&err, "code").as_string().as_deref(),
        Some("INVALID_ARGUMENT")
    );
    assert_eq!(
        get(
            &e.stage_page("purchaseInvoices".into(), JsValue::NULL, JsValue::NULL)
                .err()
                .unwrap(),
            "code"
        )
        .as_string()
        .as_deref(),
        Some("INVALID_ARGUMENT")
    );
}

#[wasm_bindgen_test]
fn staged_pages_through_the_boundary() {
    let json = |v: JsValue| JSON::stringify(&v).unwrap().as_string().unwrap();
    let mut e = Engine::new(options("")).unwrap();
    let staged = e
        .stage_page(
            "purchaseInvoices".into(),
            "c1".into(),
            js_sys::Uint8Array::from(US_1.as_bytes()).into(),
        )
        .unwrap();
    let next = "https://api.businesscentral.dynamics.com/v2.0/7d2c1c8e-3b7a-4bb0-9d0e-0a3f6c1e5b21/production/api/v2.0/companies(ea8329e5-afeb-5221-ad88-e9eaf3d825dd)/purchaseInvoices?$expand=purchaseInvoiceLines&$skiptoken=abc";
    assert_eq!(
        json(get(&staged, "envelope")),
        // The latest posting date of the page's invoices: where the sync may split the read.
        format!(r#"{{"nextLink":"{next}","records":4,"latestPosting":"2026-03-10"}}"#)
    );
    let handle = get(&staged, "handle").as_f64().unwrap() as u32;
    assert_eq!(
        get(&e.commit_page(handle).unwrap(), "accepted").as_f64(),
        Some(4.0)
    );
    assert_eq!(
        get(&e.commit_page(handle).err().unwrap(), "code")
            .as_string()
            .as_deref(),
        Some("INVALID_ARGUMENT")
    );
    // A truncated body: null, nothing kept; a discarded page is not added.
    assert!(e
        .stage_page("purchaseInvoices".into(), "c1".into(), US_1[..100].into())
        .unwrap()
        .is_null());
    let other = e
        .stage_page("purchaseInvoices".into(), "c2".into(), US_1.into())
        .unwrap();
    e.discard_page(get(&other, "handle").as_f64().unwrap() as u32);
    let txs: Array = e.transactions().unwrap().into();
    assert_eq!(txs.length(), 4);
}

#[wasm_bindgen_test]
fn users_and_detection() {
    let mut e = Engine::new(options("")).unwrap();
    e.add_page(JsValue::NULL, JsValue::NULL, US_USERS.into())
        .unwrap();
    let users: Array = e.users().unwrap().into();
    assert_eq!(users.length(), 8);
    let d = detect_page(US_USERS).unwrap();
    assert_eq!(get(&d, "entity").as_string().as_deref(), Some("users"));
}

#[wasm_bindgen_test]
fn a_20000_invoice_page() {
    let mut text =
        String::from(r#"{"@odata.context":"x#companies(c1)/purchaseInvoices","value":["#);
    for i in 0..20_000 {
        if i > 0 {
            text.push(',');
        }
        text.push_str(&format!(
            r#"{{"id":"inv-{i}","number":"{i}","postingDate":"2026-0{m}-15","vendorName":"Vendor {v}","currencyCode":"USD","status":"Paid","totalAmountExcludingTax":{a}.25,"totalAmountIncludingTax":{a}.25,"purchaseInvoiceLines":[{{"id":"l-{i}","lineType":"Account","lineObjectNumber":"6420","description":"Subscription {v}","netAmount":{a}.25,"netAmountIncludingTax":{a}.25,"amountExcludingTax":0}}]}}"#,
            m = i % 9 + 1,
            v = i % 50,
            a = i % 1000
        ));
    }
    text.push_str("]}");
    let mut e = Engine::new(options("")).unwrap();
    let r = e
        .add_page(JsValue::NULL, JsValue::NULL, text.as_str().into())
        .unwrap();
    assert_eq!(get(&r, "accepted").as_f64(), Some(20_000.0));
    let s = e.summary().unwrap();
    assert_eq!(get(&s, "transactions").as_f64(), Some(20_000.0));
    let totals: Array = get(&s, "totals").into();
    // sum over i of (i % 1000) + 0.25 = 20 * 499500 + 5000
    assert_eq!(
        get(&totals.get(0), "amountExcludingTax")
            .as_string()
            .as_deref(),
        Some("9995000.00")
    );
}

#[wasm_bindgen_test]
fn rule_preview_and_apply_across_the_boundary() {
    let mut e = Engine::new(options("")).unwrap();
    e.add_page(JsValue::NULL, JsValue::NULL, US_1.into())
        .unwrap();
    let rules = JSON::parse(r#"[{"id":"rent","priority":1,"action":"ignore","vendor":{"op":"contains","value":"Harbor Point"}}]"#).unwrap();
    let changes: Array = e.preview_rules(rules.clone()).unwrap().into();
    assert_eq!(changes.length(), 1);
    let c = changes.get(0);
    assert!(get(&get(&c, "before"), "ignoredByRule").is_null());
    assert_eq!(
        get(&get(&c, "after"), "ignoredByRule")
            .as_string()
            .as_deref(),
        Some("rent")
    );
    assert_eq!(
        get(&c, "amountExcludingTax").as_string().as_deref(),
        Some("12000.00")
    );
    e.set_rules(rules.clone()).unwrap();
    let again: Array = e.preview_rules(rules).unwrap().into();
    assert_eq!(again.length(), 0);
    let bad = JSON::parse(r#"[{"id":"x","priority":1,"action":"matchTo","appId":"nope","vendor":{"op":"equals","value":"A"}}]"#).unwrap();
    let err = e.preview_rules(bad).err().unwrap();
    assert!(err.is_instance_of::<js_sys::Error>());
    assert_eq!(
        get(&err, "code").as_string().as_deref(),
        Some("RULE_UNKNOWN_APP")
    );
    assert_eq!(
        get(&err, "path").as_string().as_deref(),
        Some("rules/0/appId")
    );
}

#[wasm_bindgen_test]
fn catalog_apps_lists_the_engines_catalog() {
    let e = Engine::new(options("")).unwrap();
    let apps: Array = e.catalog_apps().unwrap().into();
    assert!(apps.length() >= 400, "{} apps", apps.length());
    let slack = apps
        .iter()
        .find(|a| get(a, "id").as_string().as_deref() == Some("slack"))
        .expect("slack");
    assert_eq!(get(&slack, "name").as_string().as_deref(), Some("Slack"));
    assert!(get(&slack, "category").is_string());
    let custom = Engine::new(options(r#","catalog":{"mode":"replace","apps":[{"id":"acme","name":"Acme","category":"productivity","vendors":["Acme Cloud Ltd"]}]}"#)).unwrap();
    let apps: Array = custom.catalog_apps().unwrap().into();
    assert_eq!(apps.length(), 1);
}

#[wasm_bindgen_test]
fn states_are_bytes_and_a_v1_text_still_reads() {
    use bc_spend::wasm::{StateExport, StateImport};
    let mut e = Engine::new(options("")).unwrap();
    e.add_page(JsValue::NULL, JsValue::NULL, US_1.into())
        .unwrap();
    let state = e.export_state();
    assert!(state.starts_with(b"BCSPEND\0\x02\x00"));
    // As a Uint8Array, whole and in pieces of both kinds of calls.
    let bytes: JsValue = js_sys::Uint8Array::from(state.as_slice()).into();
    let back = Engine::from_state(options(""), bytes).unwrap();
    assert_eq!(back.export_state(), state);
    let mut x = StateExport::new(&e);
    let mut pieces = Vec::new();
    while let Some(p) = x.next(&e, Some(100)) {
        assert!(p.len() <= 100);
        pieces.extend(p);
        if let Some(p) = x.next_bytes(&e, Some(7)) {
            pieces.extend(p);
        }
    }
    assert_eq!(pieces, state);
    let mut im = StateImport::new(options("")).unwrap();
    for piece in state.chunks(13) {
        im.push(js_sys::Uint8Array::from(piece).into()).unwrap();
    }
    assert_eq!(im.finish().unwrap().export_state(), state);
    // Another type is INVALID_ARGUMENT; bytes that are no state STATE_INVALID.
    let err = Engine::from_state(options(""), JsValue::from(42))
        .err()
        .unwrap();
    assert_eq!(
        get(&err, "code").as_string().as_deref(),
        Some("INVALID_ARGUMENT")
    );
    let junk: JsValue = js_sys::Uint8Array::from(&b"BCSPEND\0\x02\x00\xff"[..]).into();
    let err = Engine::from_state(options(""), junk).err().unwrap();
    assert_eq!(
        get(&err, "code").as_string().as_deref(),
        Some("STATE_INVALID")
    );
    // A version 1 state's text (what 0.1 exported), as a string: read, and exported as v2.
    let v1 = include_str!("fixtures/state/v1-sample.jsonl");
    let o = || {
        JSON::parse(r#"{"connectedAt":"2026-11-26","lineMode":"line","creditMemos":true,"environment":"tenant/production"}"#).unwrap()
    };
    let from_text = Engine::from_state(o(), v1.into()).unwrap();
    let migrated = from_text.export_state();
    assert!(migrated.starts_with(b"BCSPEND\0"));
    let merged = Engine::from_states(
        o(),
        vec![js_sys::Uint8Array::from(migrated.as_slice()).into()],
    )
    .unwrap();
    assert_eq!(merged.export_state(), migrated);
}

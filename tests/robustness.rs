//! Property tests: whatever bytes or JSON a page holds, the engine never panics, and every
//! record read is either accepted or rejected (with a diagnostic).
#![cfg(not(target_arch = "wasm32"))]

use bc_spend::bc::Entity;
use bc_spend::engine::{Engine, EngineOptions};
use proptest::prelude::*;

fn engine() -> Engine {
    Engine::new(EngineOptions {
        connected_at: Some("2026-11-26".into()),
        line_mode: Some("line".into()),
        credit_memos: Some(true),
        ..Default::default()
    })
    .unwrap()
}

fn json_value() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::Bool),
        any::<i64>().prop_map(|i| serde_json::json!(i)),
        (-1e12f64..1e12).prop_map(|f| serde_json::json!(f)),
        "[a-zA-Z0-9 _\\-\u{e9}\u{1F600}]{0,12}".prop_map(serde_json::Value::String),
        prop_oneof![
            Just("Paid"),
            Just("Open"),
            Just("Draft"),
            Just("2026-05-01"),
            Just("0001-01-01"),
            Just("Fixed_x0020_Asset"),
            Just("Comment"),
            Just("00000000-0000-0000-0000-000000000000")
        ]
        .prop_map(|s| serde_json::Value::String(s.into())),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::Array),
            prop::collection::vec(
                (
                    prop_oneof![
                        Just("id"),
                        Just("status"),
                        Just("postingDate"),
                        Just("invoiceDate"),
                        Just("netAmount"),
                        Just("netAmountIncludingTax"),
                        Just("totalAmountExcludingTax"),
                        Just("totalAmountIncludingTax"),
                        Just("purchaseInvoiceLines"),
                        Just("purchaseCreditMemoLines"),
                        Just("lineType"),
                        Just("description"),
                        Just("currencyCode"),
                        Just("vendorName"),
                        Just("lastModifiedDateTime"),
                        Just("userSecurityId"),
                        Just("contactEmail"),
                        Just("state"),
                        Just("value"),
                        Just("localCurrencyCode"),
                        Just("other")
                    ],
                    inner
                ),
                0..8
            )
            .prop_map(|kv| serde_json::Value::Object(
                kv.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
            )),
        ]
    })
}

fn reconcile(e: &mut Engine) -> Result<(), TestCaseError> {
    let _ = e.transactions().len();
    let _ = e.users();
    for (entity, c) in &e.summary().counts {
        prop_assert_eq!(c.read, c.accepted + c.rejected, "{}", entity);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let text = String::from_utf8_lossy(&bytes);
        let mut e = engine();
        for entity in Entity::ALL {
            e.add_page_text(Some(entity), Some("c"), &text);
        }
        reconcile(&mut e)?;
    }

    #[test]
    fn arbitrary_json_records_never_panic(records in prop::collection::vec(json_value(), 0..12)) {
        let page = serde_json::json!({"@odata.context": "x#companies(c)/purchaseInvoices", "value": records}).to_string();
        let mut e = engine();
        for entity in Entity::ALL {
            let r = e.add_page_text(Some(entity), Some("c"), &page);
            prop_assert!(!r.page_rejected);
            prop_assert_eq!(r.records, r.accepted + r.rejected);
        }
        reconcile(&mut e)?;
    }

    #[test]
    fn mutated_fixture_never_panics(cut in 0usize..6000, byte in any::<u8>()) {
        let text = include_str!("fixtures/sample/us-purchaseInvoices-1.json");
        let mut bytes = text.as_bytes().to_vec();
        let at = cut % bytes.len();
        bytes[at] = byte;
        let mutated = String::from_utf8_lossy(&bytes);
        let mut e = engine();
        e.add_page_text(None, None, &mutated);
        e.add_page_text(Some(Entity::PurchaseInvoices), Some("c"), &mutated[..at]);
        reconcile(&mut e)?;
    }
}

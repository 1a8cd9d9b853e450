//! The URLs a sync reads, relative to the environment's base
//! (`{apiHost}/v2.0/{tenant}/{environment}/`).
//!
//! Every query selects only the fields the engine reads (`src/bc/records.rs`), with a nested
//! `$select` inside `$expand` for the invoice lines (reference 5: `$select` inside `$expand` is
//! supported and recommended), filters on the server (reference 3.1: `status eq 'Paid'`, dates
//! unquoted, datetimes in ISO 8601 UTC, `and` only), and never pages with `$skip` (the host
//! follows `@odata.nextLink` verbatim).

use super::Window;
use crate::date::Date;

/// `companies`: the company list (reference 2.1).
pub const COMPANY_FIELDS: &[&str] = &["id", "name", "displayName"];
/// `vendors`: the vendor card's website and e-mail help matching (reference 3.4).
pub const VENDOR_FIELDS: &[&str] = &["id", "number", "displayName", "email", "website"];
/// `generalLedgerSetup`: the local currency (reference 3.5).
pub const GL_SETUP_FIELDS: &[&str] = &["id", "localCurrencyCode"];
/// `purchaseInvoices` header fields the engine reads (reference 3.1).
pub const INVOICE_FIELDS: &[&str] = &[
    "id",
    "number",
    "invoiceDate",
    "postingDate",
    "dueDate",
    "vendorInvoiceNumber",
    "vendorId",
    "vendorNumber",
    "vendorName",
    "currencyCode",
    "discountAmount",
    "totalAmountExcludingTax",
    "totalTaxAmount",
    "totalAmountIncludingTax",
    "status",
    "lastModifiedDateTime",
];
/// `purchaseInvoiceLines` fields the engine reads: the `net*` amounts (the `amount*` fields are
/// always 0 on purchase invoice lines, reference 3.2), what matching reads, and the quantity,
/// unit cost and unit of measure that seats and price per seat are read from.
pub const LINE_FIELDS: &[&str] = &[
    "id",
    "sequence",
    "lineType",
    "lineObjectNumber",
    "description",
    "description2",
    "netAmount",
    "netTaxAmount",
    "netAmountIncludingTax",
    "invoiceDiscountAllocation",
    "quantity",
    "unitCost",
    "unitOfMeasureCode",
];
/// `purchaseCreditMemos` header fields the engine reads (reference 3.3). Lines are not
/// expanded: a credit memo's totals are its spend, and the emulator (like older BC versions)
/// does not serve `$expand=purchaseCreditMemoLines`.
pub const CREDIT_MEMO_FIELDS: &[&str] = &[
    "id",
    "number",
    "creditMemoDate",
    "postingDate",
    "dueDate",
    "vendorCreditMemoNumber",
    "vendorId",
    "vendorNumber",
    "vendorName",
    "currencyCode",
    "discountAmount",
    "totalAmountExcludingTax",
    "totalTaxAmount",
    "totalAmountIncludingTax",
    "status",
    "lastModifiedDateTime",
    "invoiceId",
    "invoiceNumber",
];

/// Percent-encodes a query value. Kept literal: unreserved characters and the OData
/// punctuation BC's own examples write unescaped (`$ ' ( ) , ; = :`).
pub fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 16);
    for b in value.bytes() {
        match b {
            b'A'..=b'Z'
            | b'a'..=b'z'
            | b'0'..=b'9'
            | b'-'
            | b'.'
            | b'_'
            | b'~'
            | b'$'
            | b'\''
            | b'('
            | b')'
            | b','
            | b';'
            | b'='
            | b':' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn query(params: &[(&str, String)]) -> String {
    params
        .iter()
        .map(|(k, v)| format!("{k}={}", encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

pub fn companies() -> String {
    format!(
        "api/v2.0/companies?{}",
        query(&[("$select", COMPANY_FIELDS.join(","))])
    )
}

pub fn gl_setup(company: &str) -> String {
    format!(
        "api/v2.0/companies({company})/generalLedgerSetup?{}",
        query(&[("$select", GL_SETUP_FIELDS.join(","))])
    )
}

pub fn vendors(company: &str) -> String {
    format!(
        "api/v2.0/companies({company})/vendors?{}",
        query(&[("$select", VENDOR_FIELDS.join(","))])
    )
}

/// Users come from the automation API, once per environment through any company (reference
/// 4.1). No `$select`: `contactEmail` exists only from BC 25.0, and selecting it on an older
/// environment would fail the read; the table is small.
pub fn users(company: &str) -> String {
    format!("api/microsoft/automation/v2.0/companies({company})/users")
}

/// The `$filter` of a document read. A full read asks for Paid documents posted in the window
/// (one `postingDate` range); an incremental read asks for everything modified since the
/// watermark, whatever its status, so that invoices that stopped being Paid are seen too
/// (reference 7).
pub fn document_filter(window: &Window, window_start: Date) -> String {
    match window {
        Window::Posting { from, to } => {
            let mut f = format!("status eq 'Paid' and postingDate ge {from}");
            if let Some(to) = to {
                f.push_str(&format!(" and postingDate lt {to}"));
            }
            f
        }
        Window::Modified { after, until } => {
            let mut f =
                format!("postingDate ge {window_start} and lastModifiedDateTime gt {after}");
            if let Some(until) = until {
                f.push_str(&format!(" and lastModifiedDateTime le {until}"));
            }
            f
        }
    }
}

/// Decodes a query component: `+` as a space (form encoding; no filter the plan writes holds
/// a `+`, and a literal one arrives as `%2B`), then `%XX` escapes ([`crate::bc::percent_decode`];
/// a bad escape or text that is not UTF-8 decodes to text no plan's filter equals).
pub(crate) fn decode(component: &str) -> String {
    crate::bc::percent_decode(&component.replace('+', " ")).into_owned()
}

/// `link` (an `@odata.nextLink`) with its `$filter` replaced by `new`, when it holds exactly
/// one `$filter` and that filter, decoded, is `old` (the plan's own filter of the read); else
/// `None`. Everything else in the link (the `$skiptoken` position, `$select`, `$expand`,
/// `$count`, the order of the parameters) is kept as BC wrote it. Used to narrow a running
/// read's date range (`SyncPlan`'s split of a running read).
pub fn replace_filter(link: &str, old: &str, new: &str) -> Option<String> {
    let (base, query) = link.split_once('?')?;
    let (query, fragment) = match query.split_once('#') {
        Some((q, f)) => (q, Some(f)),
        None => (query, None),
    };
    let mut found = 0;
    let mut parts = Vec::new();
    for part in query.split('&') {
        let (key, value) = part.split_once('=').unwrap_or((part, ""));
        if decode(key).eq_ignore_ascii_case("$filter") {
            found += 1;
            if decode(value) != old {
                return None;
            }
            parts.push(format!("{key}={}", encode(new)));
        } else {
            parts.push(part.to_owned());
        }
    }
    if found != 1 {
        return None;
    }
    let mut out = format!("{base}?{}", parts.join("&"));
    if let Some(f) = fragment {
        out.push('#');
        out.push_str(f);
    }
    Some(out)
}

pub fn invoices(company: &str, window: &Window, window_start: Date, count: bool) -> String {
    let mut params = vec![
        ("$filter", document_filter(window, window_start)),
        ("$select", INVOICE_FIELDS.join(",")),
        (
            "$expand",
            format!("purchaseInvoiceLines($select={})", LINE_FIELDS.join(",")),
        ),
    ];
    if count {
        params.push(("$count", "true".into()));
    }
    format!(
        "api/v2.0/companies({company})/purchaseInvoices?{}",
        query(&params)
    )
}

pub fn credit_memos(company: &str, window: &Window, window_start: Date, count: bool) -> String {
    let mut params = vec![
        ("$filter", document_filter(window, window_start)),
        ("$select", CREDIT_MEMO_FIELDS.join(",")),
    ];
    if count {
        params.push(("$count", "true".into()));
    }
    format!(
        "api/v2.0/companies({company})/purchaseCreditMemos?{}",
        query(&params)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bc::records::DocKind;
    use crate::bc::{read_page_text, Entity, RawPage};
    use crate::date::Timestamp;

    const C: &str = "8e1b3ef6-9c3e-ef11-8409-000d3a7e3f1c";

    fn d(s: &str) -> Date {
        Date::parse_bc(s).unwrap().unwrap()
    }

    #[test]
    fn urls_are_exact() {
        assert_eq!(
            companies(),
            "api/v2.0/companies?$select=id,name,displayName"
        );
        assert_eq!(
            users(C),
            format!("api/microsoft/automation/v2.0/companies({C})/users")
        );
        let w = Window::Posting {
            from: d("2025-11-27"),
            to: Some(d("2026-05-28")),
        };
        assert_eq!(
            invoices(C, &w, d("2025-11-27"), false),
            format!(
                "api/v2.0/companies({C})/purchaseInvoices?$filter=status%20eq%20'Paid'%20and%20postingDate%20ge%202025-11-27%20and%20postingDate%20lt%202026-05-28\
                 &$select={}&$expand=purchaseInvoiceLines($select={})",
                INVOICE_FIELDS.join(","),
                LINE_FIELDS.join(",")
            )
        );
        let m = Window::Modified {
            after: Timestamp(1_790_000_000_000),
            until: None,
        };
        let url = credit_memos(C, &m, d("2025-11-27"), true);
        assert!(url.contains("$filter=postingDate%20ge%202025-11-27%20and%20lastModifiedDateTime%20gt%202026-09-21T14:13:20.000Z&"), "{url}");
        assert!(url.ends_with("&$count=true"));
        assert_eq!(encode("a+b c/é"), "a%2Bb%20c%2F%C3%A9");
    }

    #[test]
    fn a_next_links_filter_is_replaced_only_when_it_is_the_plans() {
        let w = Window::Posting {
            from: d("2025-11-27"),
            to: None,
        };
        let narrowed = Window::Posting {
            from: d("2025-11-27"),
            to: Some(d("2026-03-01")),
        };
        let old = document_filter(&w, d("2025-11-27"));
        let new = document_filter(&narrowed, d("2025-11-27"));
        let first = invoices(C, &w, d("2025-11-27"), true);
        let link = format!("https://api.example/v2.0/t/prod/{first}&$skiptoken=abc%3D");
        let out = replace_filter(&link, &old, &new).unwrap();
        assert_eq!(
            out,
            format!(
                "https://api.example/v2.0/t/prod/{}&$skiptoken=abc%3D",
                invoices(C, &narrowed, d("2025-11-27"), true)
            )
        );
        // Written otherwise by the server: `+` for spaces, an escaped `$`, another order.
        let link = "https://x/p?%24skiptoken=9&%24filter=status+eq+%27Paid%27+and+postingDate+ge+2025-11-27&$count=true";
        assert_eq!(
            replace_filter(link, &old, &new).unwrap(),
            format!(
                "https://x/p?%24skiptoken=9&%24filter={}&$count=true",
                encode(&new)
            )
        );
        // Another filter, none, two, a bad escape: left alone.
        let other = document_filter(&narrowed, d("2025-11-27"));
        assert!(replace_filter(
            &format!("https://x/p?$filter={}", encode(&other)),
            &old,
            &new
        )
        .is_none());
        assert!(replace_filter("https://x/p?$skiptoken=1", &old, &new).is_none());
        assert!(replace_filter("https://x/p", &old, &new).is_none());
        let twice = format!("https://x/p?$filter={0}&$filter={0}", encode(&old));
        assert!(replace_filter(&twice, &old, &new).is_none());
        assert!(replace_filter("https://x/p?$filter=%zz", &old, &new).is_none());
    }

    /// The `$select` lists hold every field the engine reads: a document read from a response
    /// restricted to them equals the one read from the full BC record. A field added to the
    /// engine's reader but not to the list fails here.
    #[test]
    fn selected_fields_are_all_the_engine_reads() {
        // Every field of reference 3.1-3.3, with values that differ from their defaults.
        let full_line = r#"{"@odata.etag":"W/\"x\"","id":"bbbbbbbb-0000-0000-0000-000000000001","documentId":"aaaaaaaa-0000-0000-0000-000000000001",
            "sequence":10000,"itemId":"00000000-0000-0000-0000-000000000000","accountId":"cccccccc-0000-0000-0000-000000000001",
            "lineType":"Account","lineObjectNumber":"6100","description":"Slack Pro seats","description2":"Nov 2026","unitOfMeasureId":"dddddddd-0000-0000-0000-000000000001",
            "unitOfMeasureCode":"PCS","unitCost":12.5,"quantity":10,"discountAmount":1,"discountPercent":0.8,"discountAppliedBeforeTax":false,
            "amountExcludingTax":0,"taxCode":"VAT20","taxPercent":20,"totalTaxAmount":0,"amountIncludingTax":0,"invoiceDiscountAllocation":2.5,
            "netAmount":121.5,"netTaxAmount":24.3,"netAmountIncludingTax":145.8,"expectedReceiptDate":"2026-11-01","itemVariantId":"00000000-0000-0000-0000-000000000000",
            "locationId":"00000000-0000-0000-0000-000000000000"}"#;
        let full_doc = format!(
            r#"{{"@odata.etag":"W/\"y\"","id":"aaaaaaaa-0000-0000-0000-000000000001","number":"PPI100001","invoiceDate":"2026-11-01","creditMemoDate":"2026-11-02",
            "postingDate":"2026-11-03","dueDate":"2026-12-01","vendorInvoiceNumber":"INV-1","vendorCreditMemoNumber":"CM-1","vendorId":"eeeeeeee-0000-0000-0000-000000000001",
            "vendorNumber":"V0001","vendorName":"Slack Technologies Limited","payToName":"Slack","payToContact":"AR","payToVendorId":"eeeeeeee-0000-0000-0000-000000000001",
            "payToVendorNumber":"V0001","shipToName":"Cronus","shipToContact":"","buyFromAddressLine1":"1 Road","buyFromCity":"Dublin","buyFromCountry":"IE",
            "shortcutDimension1Code":"IT","currencyId":"ffffffff-0000-0000-0000-000000000001","currencyCode":"EUR","orderId":"00000000-0000-0000-0000-000000000000",
            "orderNumber":"","purchaser":"JM","pricesIncludeTax":false,"discountAmount":2.5,"discountAppliedBeforeTax":true,"totalAmountExcludingTax":121.5,
            "totalTaxAmount":24.3,"totalAmountIncludingTax":145.8,"status":"Paid","lastModifiedDateTime":"2026-11-20T10:00:00.123Z",
            "invoiceId":"abababab-0000-0000-0000-000000000001","invoiceNumber":"PPI100000","vendorReturnReasonId":"00000000-0000-0000-0000-000000000000",
            "purchaseInvoiceLines":[{full_line}]}}"#
        );
        let restrict = |json: &str, fields: &[&str], lines: Option<&[&str]>| -> String {
            let v: serde_json::Value = serde_json::from_str(json).unwrap();
            let mut o = serde_json::Map::new();
            for f in fields {
                o.insert((*f).into(), v[*f].clone());
            }
            if let Some(lf) = lines {
                let l: Vec<serde_json::Value> = v["purchaseInvoiceLines"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|line| {
                        serde_json::Value::Object(
                            lf.iter()
                                .map(|f| ((*f).to_string(), line[*f].clone()))
                                .collect(),
                        )
                    })
                    .collect();
                o.insert("purchaseInvoiceLines".into(), serde_json::Value::Array(l));
            }
            serde_json::Value::Object(o).to_string()
        };
        let read = |kind: DocKind, rec: &str| {
            let entity = if kind == DocKind::Invoice {
                Entity::PurchaseInvoices
            } else {
                Entity::PurchaseCreditMemos
            };
            let (page, _) = read_page_text(entity, &format!(r#"{{"value":[{rec}]}}"#)).unwrap();
            let RawPage::Documents(p) = page else {
                panic!("documents page")
            };
            let crate::bc::lenient::Records::List(mut l) = p.value else {
                panic!("list")
            };
            let crate::bc::lenient::Record::Object(read) = l.remove(0) else {
                panic!("object")
            };
            read.value.unwrap()
        };
        let without = |json: &str, fields: &[&str]| {
            let mut v: serde_json::Value = serde_json::from_str(json).unwrap();
            for f in fields {
                v.as_object_mut().unwrap().remove(*f);
            }
            v.to_string()
        };
        // Each document type has the fields of its own API page only.
        let full_doc = without(
            &full_doc,
            &[
                "creditMemoDate",
                "vendorCreditMemoNumber",
                "invoiceId",
                "invoiceNumber",
                "vendorReturnReasonId",
            ],
        );
        let invoice_full = read(DocKind::Invoice, &full_doc);
        let invoice_sel = read(
            DocKind::Invoice,
            &restrict(&full_doc, INVOICE_FIELDS, Some(LINE_FIELDS)),
        );
        assert_eq!(invoice_sel, invoice_full);
        // A credit memo carries no expanded lines; its header must be complete on its own.
        let memo_doc = without(
            &full_doc
                .replace("\"invoiceDate\"", "\"creditMemoDate\"")
                .replace("\"vendorInvoiceNumber\"", "\"vendorCreditMemoNumber\""),
            &[
                "purchaseInvoiceLines",
                "orderId",
                "orderNumber",
                "payToContact",
                "shipToName",
                "shipToContact",
            ],
        );
        let memo_doc = {
            let mut v: serde_json::Value = serde_json::from_str(&memo_doc).unwrap();
            v["invoiceId"] = "abababab-0000-0000-0000-000000000001".into();
            v["invoiceNumber"] = "PPI100000".into();
            v.to_string()
        };
        assert_eq!(
            read(
                DocKind::CreditMemo,
                &restrict(&memo_doc, CREDIT_MEMO_FIELDS, None)
            ),
            read(DocKind::CreditMemo, &memo_doc)
        );
        // And the guard can fail: dropping one line field changes the document read.
        let short: Vec<&str> = LINE_FIELDS
            .iter()
            .copied()
            .filter(|f| *f != "description2")
            .collect();
        assert_ne!(
            read(
                DocKind::Invoice,
                &restrict(&full_doc, INVOICE_FIELDS, Some(&short))
            ),
            invoice_full
        );
    }

    #[test]
    fn vendor_and_company_fields_are_all_the_engine_reads() {
        use crate::engine::{Engine, EngineOptions};
        let vendor_full = r#"{"id":"eeeeeeee-0000-0000-0000-000000000001","number":"V1","displayName":"Slack","addressLine1":"x","city":"y","phoneNumber":"1",
            "email":"billing@slack.com","website":"https://slack.com","taxRegistrationNumber":"IE1","currencyId":"ffffffff-0000-0000-0000-000000000001",
            "currencyCode":"EUR","paymentTermsId":"ffffffff-0000-0000-0000-000000000002","blocked":"_x0020_","balance":0,"lastModifiedDateTime":"2026-01-01T00:00:00Z"}"#;
        let keep = |json: &str, fields: &[&str]| {
            let v: serde_json::Value = serde_json::from_str(json).unwrap();
            serde_json::Value::Object(
                fields
                    .iter()
                    .map(|f| ((*f).to_string(), v[*f].clone()))
                    .collect(),
            )
            .to_string()
        };
        let state = |vendor: &str, company: &str, gl: &str| {
            let mut e = Engine::new(EngineOptions {
                window_start: Some("2025-01-01".into()),
                ..Default::default()
            })
            .unwrap();
            e.add_page_text(
                Some(Entity::Companies),
                None,
                &format!(r#"{{"value":[{company}]}}"#),
            );
            e.add_page_text(
                Some(Entity::Vendors),
                Some(C),
                &format!(r#"{{"value":[{vendor}]}}"#),
            );
            e.add_page_text(
                Some(Entity::GeneralLedgerSetup),
                Some(C),
                &format!(r#"{{"value":[{gl}]}}"#),
            );
            e.export_state()
        };
        let company_full = format!(
            r#"{{"id":"{C}","systemVersion":"27.1","timestamp":1,"name":"CRONUS","displayName":"Cronus Ltd","businessProfileId":""}}"#
        );
        let gl_full = r#"{"id":"abababab-0000-0000-0000-000000000001","allowPostingFrom":"0001-01-01","localCurrencyCode":"GBP","localCurrencySymbol":"£","lastModifiedDateTime":"2026-01-01T00:00:00Z"}"#;
        assert_eq!(
            state(
                &keep(vendor_full, VENDOR_FIELDS),
                &keep(&company_full, COMPANY_FIELDS),
                &keep(gl_full, GL_SETUP_FIELDS)
            ),
            state(vendor_full, &company_full, gl_full)
        );
    }
}

//! Record handling the engine used to get wrong (issue 15, items 8 to 10): a blank status sent
//! as a plain space, users from environments whose users API has no `contactEmail`, and invoices
//! read without their lines.
#![cfg(not(target_arch = "wasm32"))]

use bc_spend::diagnostics::{Diagnostic, Severity};
use bc_spend::engine::{Engine, EngineOptions};
fn engine(line_mode: &str) -> Engine {
    Engine::new(EngineOptions {
        connected_at: Some("2026-11-26".into()),
        line_mode: Some(line_mode.into()),
        environment: Some("tenant/production".into()),
        ..Default::default()
    })
    .unwrap()
}

fn page(context: &str, records: &[String]) -> String {
    format!(
        r#"{{"@odata.context":"https://api.businesscentral.dynamics.com/v2.0/t/production/api/v2.0/$metadata#{context}","value":[{}]}}"#,
        records.join(",")
    )
}

const LINES: &str = r#""purchaseInvoiceLines":[{"id":"aaaaaaaa-0000-0000-0000-000000000001","sequence":10000,"lineType":"Account","lineObjectNumber":"6100","description":"Slack Pro","netAmount":100,"netAmountIncludingTax":123}]"#;

/// A purchase invoice; `extra` is spliced in as more fields (its lines, or none).
fn invoice(id: &str, status: &str, extra: &str) -> String {
    let extra = if extra.is_empty() {
        String::new()
    } else {
        format!(",{extra}")
    };
    format!(
        r#"{{"id":"{id}","number":"N-{id}","postingDate":"2026-10-01","vendorName":"Slack Technologies Limited","currencyCode":"EUR","status":{status:?},"totalAmountExcludingTax":100,"totalAmountIncludingTax":123{extra}}}"#
    )
}

fn codes(diags: &[Diagnostic], code: &str) -> usize {
    diags.iter().filter(|d| d.code == code).count()
}

// Item 8 ------------------------------------------------------------------------------------

#[test]
fn a_blank_status_sent_as_a_space_is_the_blank_value_like_its_escape() {
    let mut e = engine("invoice");
    let inv1 = "11111111-0000-0000-0000-000000000001";
    let inv2 = "11111111-0000-0000-0000-000000000002";
    let r = e.add_page_text(
        None,
        None,
        &page(
            "companies(c1)/purchaseInvoices",
            &[invoice(inv1, " ", LINES), invoice(inv2, "_x0020_", LINES)],
        ),
    );
    assert_eq!((r.accepted, r.rejected), (2, 0), "{:?}", e.diagnostics());
    let s = e.summary();
    assert_eq!(s.counts["purchaseInvoices"].not_paid, 2);
    assert_eq!(codes(&e.diagnostics(), "FIELD_EMPTY"), 0);
    assert!(e.transactions().is_empty());
}

#[test]
fn a_status_that_is_missing_or_empty_is_still_refused() {
    let mut e = engine("invoice");
    let r = e.add_page_text(
        None,
        None,
        &page(
            "companies(c1)/purchaseInvoices",
            &[invoice("11111111-0000-0000-0000-000000000001", "", LINES)],
        ),
    );
    assert_eq!((r.accepted, r.rejected), (0, 1));
    assert_eq!(codes(&e.diagnostics(), "FIELD_EMPTY"), 1);
}

// Item 9 ------------------------------------------------------------------------------------

fn user(n: u32, name: &str, contact_email: Option<&str>) -> String {
    let email = match contact_email {
        Some(v) => format!(r#","contactEmail":{v}"#),
        None => String::new(),
    };
    format!(
        r#"{{"userSecurityId":"dddddddd-0000-0000-0000-{n:012}","userName":"{name}","displayName":"{name}","state":"Enabled","expiryDate":"0001-01-01T00:00:00Z"{email}}}"#
    )
}

fn users_page(company: &str, users: &[String]) -> String {
    format!(
        r#"{{"@odata.context":"https://api.businesscentral.dynamics.com/v2.0/t/production/api/microsoft/automation/v2.0/$metadata#companies({company})/users","value":[{}]}}"#,
        users.join(",")
    )
}

#[test]
fn users_without_the_contact_email_field_get_one_diagnostic_that_fits_their_version() {
    // Before BC 25.0 the users API has no `contactEmail`: no record carries it.
    let mut e = engine("invoice");
    let older = [
        user(1, "ANNA", None),
        user(2, "BEN", None),
        user(3, "CARLA", None),
        user(4, "AAD APP - BC-SPEND", None),
    ];
    e.add_page_text(None, None, &users_page("c1", &older));
    e.add_page_text(None, None, &users_page("c2", &older[..2]));
    let (users, diags) = e.users();
    assert_eq!(users.len(), 4);
    assert_eq!(codes(&diags, "USER_NO_CONTACT_EMAIL"), 0, "{diags:?}");
    assert_eq!(
        codes(&diags, "USER_CONTACT_EMAIL_UNAVAILABLE"),
        1,
        "{diags:?}"
    );
    let d = diags
        .iter()
        .find(|d| d.code == "USER_CONTACT_EMAIL_UNAVAILABLE")
        .unwrap();
    assert_eq!(d.severity, Severity::Warning);
    assert_eq!(d.entity, Some("users"));
    assert!(d.message.contains("25.0"), "{}", d.message);
    assert!(d.message.contains("3 user"), "{}", d.message);
    assert!(
        !d.message.contains("fill in Contact Email"),
        "{}",
        d.message
    );
    // Every person is still counted as without an e-mail.
    assert_eq!(e.summary().users.without_email, 3);
    assert_eq!(codes(&e.diagnostics(), "USER_CONTACT_EMAIL_UNAVAILABLE"), 1);
}

#[test]
fn the_report_gives_users_without_the_field_the_advice_that_fits_their_version() {
    let options = bc_spend::report::ReportOptions {
        as_of: Some("2026-11-26".into()),
        ..Default::default()
    };
    let older = [user(1, "ANNA", None), user(2, "BEN", None)];
    let mut e = engine("invoice");
    e.add_page_text(None, None, &users_page("c1", &older));
    let text = serde_json::to_string(&e.report(&options).unwrap()).unwrap();
    assert!(
        text.contains("version 25.0"),
        "the report should say to upgrade: {text}"
    );
    assert!(
        !text.contains("fill in Contact Email"),
        "filling in a field the API lacks cannot help: {text}"
    );

    let newer = [
        user(1, "ANNA", Some(r#""""#)),
        user(2, "BEN", Some(r#""ben@contoso.com""#)),
    ];
    let mut e = engine("invoice");
    e.add_page_text(None, None, &users_page("c1", &newer));
    let text = serde_json::to_string(&e.report(&options).unwrap()).unwrap();
    assert!(text.contains("fill in Contact Email"), "{text}");
    assert!(!text.contains("version 25.0"), "{text}");
}

#[test]
fn an_empty_or_null_contact_email_is_a_user_to_fix_in_bc() {
    let mut e = engine("invoice");
    e.add_page_text(
        None,
        None,
        &users_page(
            "c1",
            &[
                user(1, "ANNA", Some(r#""""#)),
                user(2, "BEN", Some("null")),
                user(3, "CARLA", Some(r#""carla@contoso.com""#)),
            ],
        ),
    );
    let (_, diags) = e.users();
    assert_eq!(
        codes(&diags, "USER_CONTACT_EMAIL_UNAVAILABLE"),
        0,
        "{diags:?}"
    );
    assert_eq!(codes(&diags, "USER_NO_CONTACT_EMAIL"), 2, "{diags:?}");
    assert!(diags.iter().all(|d| d.message.contains("Contact Email")));
}

// Item 10 -----------------------------------------------------------------------------------

#[test]
fn a_paid_invoice_read_without_its_lines_is_kept_from_its_header_and_flagged() {
    for mode in ["invoice", "line", "auto"] {
        let mut e = engine(mode);
        let bare = "11111111-0000-0000-0000-000000000001";
        let elsewhere = "11111111-0000-0000-0000-000000000002";
        let whole = "11111111-0000-0000-0000-000000000003";
        let lines_elsewhere = LINES.replace("purchaseInvoiceLines", "lines");
        let r = e.add_page_text(
            None,
            None,
            &page(
                "companies(c1)/purchaseInvoices",
                &[
                    invoice(bare, "Paid", ""),
                    invoice(elsewhere, "Paid", &lines_elsewhere),
                    invoice(whole, "Paid", LINES),
                ],
            ),
        );
        assert_eq!((r.accepted, r.rejected), (3, 0));
        let txs = e.transactions().to_vec();
        assert_eq!(txs.len(), 3, "{mode}");
        for t in &txs {
            assert_eq!(
                (
                    t.amount_excluding_tax.to_string().as_str(),
                    t.amount_including_tax.to_string().as_str()
                ),
                ("100.00", "123.00"),
                "{mode}"
            );
        }
        let diags = e.diagnostics();
        let flagged: Vec<&Diagnostic> = diags
            .iter()
            .filter(|d| d.code == "DOCUMENT_LINES_MISSING")
            .collect();
        let mut ids: Vec<&str> = flagged
            .iter()
            .filter_map(|d| d.record_id.as_deref())
            .collect();
        ids.sort();
        assert_eq!(ids, [bare, elsewhere], "{mode}");
        for d in flagged {
            assert_eq!(d.severity, Severity::Warning);
            assert_eq!(d.entity, Some("purchaseInvoices"));
            assert_eq!(d.company_id.as_deref(), Some("c1"));
            assert!(
                d.message.contains("$expand=purchaseInvoiceLines"),
                "{}",
                d.message
            );
        }
    }
}

#[test]
fn only_documents_that_become_transactions_are_flagged_for_missing_lines() {
    let mut e = engine("invoice");
    e.add_page_text(
        None,
        None,
        &page(
            "companies(c1)/purchaseInvoices",
            &[invoice("11111111-0000-0000-0000-000000000001", "Open", "")],
        ),
    );
    assert!(e.transactions().is_empty());
    assert_eq!(codes(&e.diagnostics(), "DOCUMENT_LINES_MISSING"), 0);
    // The same invoice, paid and now with its lines: nothing to flag.
    e.add_page_text(
        None,
        None,
        &page(
            "companies(c1)/purchaseInvoices",
            &[invoice(
                "11111111-0000-0000-0000-000000000001",
                "Paid",
                LINES,
            )],
        ),
    );
    assert_eq!(e.transactions().len(), 1);
    assert_eq!(codes(&e.diagnostics(), "DOCUMENT_LINES_MISSING"), 0);
}

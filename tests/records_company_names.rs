//! Pages that name their company by name (`companies('CRONUS%20UK%20Ltd.')`, the form some
//! documentation shows) instead of by id (issue 15, item 11): they join the company's id, its
//! GL setup and its name, whichever page comes first.
#![cfg(not(target_arch = "wasm32"))]

use bc_spend::bc::Entity;
use bc_spend::diagnostics::{Diagnostic, Severity};
use bc_spend::engine::{Engine, EngineOptions};
use std::path::Path;

fn fixture(p: &str) -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(p),
    )
    .unwrap()
}

fn engine() -> Engine {
    Engine::new(EngineOptions {
        connected_at: Some("2026-11-26".into()),
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

fn codes(diags: &[Diagnostic], code: &str) -> usize {
    diags.iter().filter(|d| d.code == code).count()
}

fn users_page(company: &str) -> String {
    page(
        &format!("{company}/users"),
        &[r#"{"userSecurityId":"dddddddd-0000-0000-0000-000000000001","userName":"ANNA","state":"Enabled","contactEmail":"anna@contoso.com"}"#.to_owned()],
    )
}

const UK: &str = "d03af97d-9010-54a6-9c33-d2eaba1ef991";
const UK_BY_NAME: &str = "companies('CRONUS%20UK%20Ltd.')";

fn gl_setup(company: &str) -> String {
    page(
        &format!("{company}/generalLedgerSetup"),
        &[r#"{"id":"8ced7c20-d7b6-57fc-9e65-f314f6c1f551","localCurrencyCode":"GBP"}"#.to_owned()],
    )
}

/// A paid invoice in the company's local currency (no `currencyCode`).
fn local_invoice(company: &str) -> String {
    page(
        &format!("{company}/purchaseInvoices"),
        &[r#"{"id":"11111111-0000-0000-0000-000000000001","number":"PI-1","postingDate":"2026-10-01","vendorName":"Slack Technologies Limited","currencyCode":"","status":"Paid","totalAmountExcludingTax":100,"totalAmountIncludingTax":123}"#.to_owned()],
    )
}

fn assert_joined_to_uk(e: &mut Engine) {
    let t = e.transactions()[0].clone();
    assert_eq!(t.company_id, UK);
    assert_eq!(t.company_name.as_deref(), Some("CRONUS UK Ltd."));
    assert_eq!(t.currency, "GBP");
    let diags = e.diagnostics();
    assert_eq!(codes(&diags, "COMPANY_NAME_UNRESOLVED"), 0, "{diags:?}");
    assert_eq!(codes(&diags, "CURRENCY_UNKNOWN"), 0, "{diags:?}");
}

#[test]
fn a_company_named_by_name_joins_its_id_when_the_companies_page_is_known() {
    let mut e = engine();
    e.add_page_text(None, None, &fixture("sample/companies.json"));
    e.add_page_text(None, None, &gl_setup(UK_BY_NAME));
    let r = e.add_page_text(None, None, &local_invoice(UK_BY_NAME));
    assert_eq!(r.company_id.as_deref(), Some(UK));
    assert_joined_to_uk(&mut e);
}

#[test]
fn a_company_named_by_name_joins_its_id_when_the_companies_page_comes_last() {
    let mut e = engine();
    e.add_page_text(
        None,
        None,
        &local_invoice("companies('CRONUS%20UK%20Ltd.')"),
    );
    // Its GL setup read by id, its users by a name written without percent-encoding.
    e.add_page_text(None, None, &gl_setup(&format!("companies({UK})")));
    e.add_page_text(None, None, &users_page("companies('CRONUS UK Ltd.')"));
    assert_eq!(e.transactions()[0].currency, "");
    e.add_page_text(None, None, &fixture("sample/companies.json"));
    assert_joined_to_uk(&mut e);
    let (users, _) = e.users();
    assert_eq!(users[0].company_ids, [UK]);
    assert_eq!(e.summary().counts["purchaseInvoices"].accepted, 1);
}

#[test]
fn a_company_name_no_companies_page_resolves_is_warned_once() {
    let mut e = engine();
    e.add_page_text(None, None, &gl_setup(UK_BY_NAME));
    e.add_page_text(None, None, &local_invoice(UK_BY_NAME));
    let diags = e.diagnostics();
    let warned: Vec<&Diagnostic> = diags
        .iter()
        .filter(|d| d.code == "COMPANY_NAME_UNRESOLVED")
        .collect();
    assert_eq!(warned.len(), 1, "{diags:?}");
    assert_eq!(warned[0].severity, Severity::Warning);
    assert!(
        warned[0].message.contains("CRONUS UK Ltd."),
        "{}",
        warned[0].message
    );
    // The name still holds the company's pages together: the GL setup joins its invoices.
    let t = e.transactions()[0].clone();
    assert_eq!(t.currency, "GBP");
    assert_eq!(t.company_id, "cronus uk ltd.");
    // A companies page that does not list the name changes nothing.
    e.add_page_text(
        None,
        None,
        &page(
            "companies",
            &[
                r#"{"id":"ea8329e5-afeb-5221-ad88-e9eaf3d825dd","name":"CRONUS USA, Inc."}"#
                    .to_owned(),
            ],
        ),
    );
    assert_eq!(e.transactions()[0].company_id, "cronus uk ltd.");
    assert_eq!(codes(&e.diagnostics(), "COMPANY_NAME_UNRESOLVED"), 1);
}

#[test]
fn a_company_id_given_by_the_caller_is_not_taken_for_a_name() {
    let mut e = engine();
    e.add_page_text(None, None, &fixture("sample/companies.json"));
    e.add_page_text(
        Some(Entity::PurchaseInvoices),
        Some("c1"),
        &local_invoice("companies(c1)"),
    );
    assert_eq!(e.transactions()[0].company_id, "c1");
    assert_eq!(codes(&e.diagnostics(), "COMPANY_NAME_UNRESOLVED"), 0);
}

fn invoice_at(company: &str, status: &str, modified: &str) -> String {
    page(
        &format!("{company}/purchaseInvoices"),
        &[format!(
            r#"{{"id":"11111111-0000-0000-0000-000000000001","number":"PI-1","postingDate":"2026-10-01","vendorName":"Slack Technologies Limited","currencyCode":"GBP","status":"{status}","lastModifiedDateTime":"{modified}","totalAmountExcludingTax":100,"totalAmountIncludingTax":123}}"#
        )],
    )
}

#[test]
fn one_invoice_read_by_name_and_by_id_is_one_transaction_once_joined() {
    let mut e = engine();
    e.add_page_text(
        None,
        None,
        &invoice_at(UK_BY_NAME, "Paid", "2026-10-02T10:00:00Z"),
    );
    e.add_page_text(
        None,
        None,
        &invoice_at(&format!("companies({UK})"), "Paid", "2026-10-02T10:00:00Z"),
    );
    assert_eq!(e.transactions().len(), 2);
    e.add_page_text(None, None, &fixture("sample/companies.json"));
    assert_eq!(e.transactions().len(), 1);
    assert_eq!(e.transactions()[0].company_id, UK);
    let c = e.summary().counts["purchaseInvoices"];
    assert_eq!((c.read, c.accepted, c.stale), (2, 2, 1));
}

#[test]
fn a_paid_copy_under_the_name_gives_way_to_a_newer_unpaid_one_under_the_id() {
    let mut e = engine();
    e.add_page_text(
        None,
        None,
        &invoice_at(UK_BY_NAME, "Paid", "2026-10-02T10:00:00Z"),
    );
    e.add_page_text(
        None,
        None,
        &invoice_at(&format!("companies({UK})"), "Open", "2026-10-03T10:00:00Z"),
    );
    assert_eq!(e.transactions().len(), 1);
    e.add_page_text(None, None, &fixture("sample/companies.json"));
    assert!(e.transactions().is_empty());
    // Read again under the name, the older paid copy stays out.
    e.add_page_text(
        None,
        None,
        &invoice_at(UK_BY_NAME, "Paid", "2026-10-02T10:00:00Z"),
    );
    assert!(e.transactions().is_empty());
    let diags = e.diagnostics();
    assert_eq!(codes(&diags, "COMPANY_NAME_JOINED"), 1, "{diags:?}");
}

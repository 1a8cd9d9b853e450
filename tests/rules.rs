//! Invoices with several apps (`auto` mode splits a reseller bundle exactly) and customer
//! rules: precedence, previews that change nothing until applied, and precise errors.
#![cfg(not(target_arch = "wasm32"))]

use bc_spend::engine::{Engine, EngineOptions};
use bc_spend::money::Amount;
use serde_json::json;

const BUNDLE: &str = include_str!("fixtures/reseller/shi-bundle.json");
const US_1: &str = include_str!("fixtures/sample/us-purchaseInvoices-1.json");

fn engine(mode: &str, rules: Option<serde_json::Value>) -> Engine {
    Engine::new(EngineOptions { connected_at: Some("2026-11-26".into()), line_mode: Some(mode.into()), rules, ..Default::default() }).unwrap()
}

fn app(t: &bc_spend::transactions::Transaction) -> Option<&str> {
    t.match_.as_ref().map(|m| m.app_id.as_str())
}

fn amt(s: &str) -> Amount {
    Amount::parse_decimal(s).unwrap()
}

#[test]
fn auto_mode_splits_a_reseller_bundle_per_app_and_keeps_totals() {
    let mut e = engine("auto", None);
    let r = e.add_page_text(None, None, BUNDLE);
    assert_eq!((r.accepted, r.rejected), (1, 0));
    let txs = e.transactions().to_vec();
    let mut by_app: Vec<(Option<&str>, String, String)> = txs.iter().map(|t| (app(t), t.amount_excluding_tax.to_string(), t.amount_including_tax.to_string())).collect();
    by_app.sort();
    // Freight stays with the invoice's main app (Slack: the largest line); the comment too.
    assert_eq!(
        by_app,
        vec![
            (Some("jira"), "4150.00".into(), "4482.00".into()),
            (Some("slack"), "10475.00".into(), "11313.00".into()),
            (Some("zoom"), "4975.00".into(), "5373.00".into()),
        ],
        "{txs:#?}"
    );
    let (mut sum_ex, mut sum_in) = (Amount::default(), Amount::default());
    for t in &txs {
        sum_ex += t.amount_excluding_tax;
        sum_in += t.amount_including_tax;
    }
    assert_eq!((sum_ex, sum_in), (amt("19600.00"), amt("21168.00")));
    for t in &txs {
        let via = t.match_.as_ref().and_then(|m| m.via.as_ref()).map(|v| v.kind.as_str());
        assert_eq!(via, Some("reseller"), "{}: bought through SHI", t.id);
        assert_eq!(t.invoice_number.as_deref(), Some("108900"));
    }
    // Ids are distinct and stable.
    let mut ids: Vec<&str> = txs.iter().map(|t| t.id.as_str()).collect();
    ids.dedup();
    assert_eq!(ids.len(), 3);
    let mut again = engine("auto", None);
    again.add_page_text(None, None, BUNDLE);
    assert_eq!(again.transactions().iter().map(|t| t.id.clone()).collect::<Vec<_>>(), txs.iter().map(|t| t.id.clone()).collect::<Vec<_>>());
}

#[test]
fn invoice_mode_names_the_candidates_of_a_bundle() {
    let mut e = engine("invoice", None);
    e.add_page_text(None, None, BUNDLE);
    let t = &e.transactions()[0];
    // Lines disagree: the invoice goes to the app the lines agree on by amount, or stays
    // unmatched with the candidates listed; either way every line keeps its own app.
    let lines = t.lines.as_ref().unwrap();
    let line_apps: Vec<Option<&str>> = lines.iter().map(|l| l.match_.as_ref().map(|m| m.app_id.as_str())).collect();
    assert!(line_apps.contains(&Some("slack")) && line_apps.contains(&Some("zoom")) && line_apps.contains(&Some("jira")), "{line_apps:?}");
    match (&t.match_, &t.match_rejected) {
        (Some(m), _) => assert_eq!(m.app_id, "slack"),
        (None, Some(r)) => assert!(r.candidates.len() >= 3, "{r:?}"),
        (None, None) => panic!("an unmatched bundle must say why"),
    }
}

#[test]
fn line_mode_one_transaction_per_non_comment_line() {
    let mut e = engine("line", None);
    e.add_page_text(None, None, BUNDLE);
    let txs = e.transactions();
    let apps: Vec<Option<&str>> = txs.iter().map(app).collect();
    assert_eq!(txs.len(), 4);
    assert!(apps.contains(&Some("slack")) && apps.contains(&Some("zoom")) && apps.contains(&Some("jira")));
}

#[test]
fn rules_take_precedence_and_preview_shows_changes_without_applying() {
    let mut e = engine("invoice", None);
    e.add_page_text(None, None, US_1);
    let before: Vec<_> = e.transactions().to_vec();
    let slack = before.iter().find(|t| app(t) == Some("slack")).expect("a Slack invoice in the fixture");
    let rent = before.iter().find(|t| t.vendor_name.contains("Harbor Point")).expect("the rent invoice");
    let rules = json!([
        { "id": "rent-is-not-saas", "priority": 1, "action": "ignore", "vendor": { "op": "contains", "value": "harbor point" } },
        { "id": "slack-is-teams", "priority": 2, "action": "matchTo", "appId": "microsoft-teams", "description": { "op": "regex", "value": "(?i)^slack business\\+" } }
    ]);
    let changes = e.preview_rules(&rules).unwrap();
    let ids: Vec<&str> = changes.iter().map(|c| c.id.as_str()).collect();
    assert!(ids.contains(&slack.id.as_str()) && ids.contains(&rent.id.as_str()), "{changes:#?}");
    let c = changes.iter().find(|c| c.id == slack.id).unwrap();
    assert_eq!(c.before.as_ref().unwrap().app_id.as_deref(), Some("slack"));
    assert_eq!(c.after.as_ref().unwrap().app_id.as_deref(), Some("microsoft-teams"));
    assert_eq!(c.after.as_ref().unwrap().rule_id.as_deref(), Some("slack-is-teams"));
    let c = changes.iter().find(|c| c.id == rent.id).unwrap();
    assert_eq!(c.after.as_ref().unwrap().ignored_by_rule.as_deref(), Some("rent-is-not-saas"));
    // Only those two change; and the preview applied nothing.
    assert_eq!(changes.len(), 2, "{changes:#?}");
    assert_eq!(e.transactions(), &before[..]);
    // Applying gives what the preview said.
    e.set_rules(&rules).unwrap();
    let t = e.transactions().iter().find(|t| t.id == slack.id).unwrap();
    assert_eq!(app(t), Some("microsoft-teams"));
    assert_eq!(e.preview_rules(&rules).unwrap().len(), 0);
}

#[test]
fn rule_errors_name_the_rule_and_what_to_fix() {
    let cases = [
        (json!([{ "id": "a", "priority": 1, "action": "matchTo", "appId": "no-such-app", "vendor": { "op": "equals", "value": "X" } }]), "RULE_UNKNOWN_APP", "rules/0/appId", "no-such-app"),
        (json!([{ "id": "b", "priority": 1, "action": "explode" }]), "RULE_INVALID", "rules/0", "'b'"),
        (json!([{ "id": "c", "priority": 1, "action": "ignore", "vendor": { "op": "regex", "value": "(" } }]), "RULE_REGEX_INVALID", "rules/0/vendor/value", "regex"),
        (json!([
            { "id": "d1", "priority": 5, "action": "ignore", "vendor": { "op": "contains", "value": "a" } },
            { "id": "d2", "priority": 5, "action": "ignore", "vendor": { "op": "contains", "value": "b" } }
        ]), "RULE_CONFLICT", "rules/1/priority", "different priority"),
        (json!({ "rules": "nope" }), "RULE_INVALID", "rules", "array"),
    ];
    for (rules, code, path, needle) in cases {
        let err = Engine::new(EngineOptions { connected_at: Some("2026-11-26".into()), rules: Some(rules.clone()), ..Default::default() }).err().unwrap_or_else(|| panic!("{rules} accepted"));
        assert_eq!(err.code, code, "{rules}: {err:?}");
        assert_eq!(err.path.as_deref(), Some(path), "{rules}: {err:?}");
        assert!(err.message.contains(needle), "{rules}: {}", err.message);
        // previews refuse the same rules the same way
        let mut e = engine("invoice", None);
        assert_eq!(e.preview_rules(&rules).unwrap_err().code, err.code);
    }
}

#[test]
fn non_software_spend_says_what_it_is() {
    let mut e = engine("invoice", None);
    e.add_page_text(None, None, US_1);
    let rent = e.transactions().iter().find(|t| t.vendor_name.contains("Harbor Point")).unwrap();
    assert!(rent.match_.is_none());
    let r = rent.match_rejected.as_ref().expect("a reason");
    assert_eq!(r.not_software.as_deref(), Some("rent"), "{r:?}");
    // A SaaS invoice carries no such verdict.
    assert!(e.transactions().iter().filter(|t| t.match_.is_some()).all(|t| t.match_rejected.is_none()));
}

/// The preview re-matches only invoices on which a rule fires; it must equal comparing a full
/// rebuild with the candidate rules, in every line mode and from a state that already has rules.
#[test]
fn preview_equals_a_full_rebuild() {
    const FILES: &[&str] = &[
        include_str!("fixtures/sample/companies.json"),
        include_str!("fixtures/sample/us-vendors.json"),
        include_str!("fixtures/sample/us-purchaseInvoices-1.json"),
        include_str!("fixtures/sample/us-purchaseInvoices-2.json"),
        include_str!("fixtures/sample/uk-purchaseInvoices.json"),
        include_str!("fixtures/reseller/shi-bundle.json"),
    ];
    let rule_sets = [
        json!([]),
        json!([{ "id": "all-zoom", "priority": 1, "action": "matchTo", "appId": "zoom", "description": { "op": "regex", "value": "." } }]),
        json!([{ "id": "no-shi", "priority": 3, "action": "ignore", "vendor": { "op": "contains", "value": "SHI" } },
               { "id": "jira-conf", "priority": 4, "action": "matchTo", "appId": "confluence", "description": { "op": "contains", "value": "jira" } }]),
        json!([{ "id": "acct", "priority": 1, "action": "matchTo", "appId": "notion", "account": { "op": "equals", "value": "6420" } }]),
    ];
    let attribution = |t: &bc_spend::transactions::Transaction| (app(t).map(str::to_owned), t.ignored_by_rule.clone());
    for mode in ["invoice", "line", "auto"] {
        for start in &rule_sets {
            for candidate in &rule_sets {
                let mut e = engine(mode, Some(start.clone()));
                let mut full = engine(mode, Some(candidate.clone()));
                for f in FILES {
                    e.add_page_text(None, None, f);
                    full.add_page_text(None, None, f);
                }
                let before: std::collections::BTreeMap<String, _> = e.transactions().iter().map(|t| (t.id.clone(), attribution(t))).collect();
                let after: std::collections::BTreeMap<String, _> = full.transactions().iter().map(|t| (t.id.clone(), attribution(t))).collect();
                let mut expected: Vec<String> = before.keys().chain(after.keys()).filter(|id| before.get(*id) != after.get(*id)).cloned().collect();
                expected.sort();
                expected.dedup();
                let mut got: Vec<String> = e.preview_rules(candidate).unwrap().into_iter().map(|c| c.id).collect();
                got.dedup();
                assert_eq!(got, expected, "mode {mode}, from {start} to {candidate}");
            }
        }
    }
}

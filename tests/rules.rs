//! Invoices with several apps (`auto` mode splits a reseller bundle exactly) and customer
//! rules: precedence, previews that change nothing until applied, and precise errors.
#![cfg(not(target_arch = "wasm32"))]

use bc_spend::engine::{Engine, EngineOptions};
use bc_spend::money::Amount;
use serde_json::json;

const BUNDLE: &str = include_str!("fixtures/reseller/shi-bundle.json");
const US_1: &str = include_str!("fixtures/sample/us-purchaseInvoices-1.json");

fn engine(mode: &str, rules: Option<serde_json::Value>) -> Engine {
    Engine::new(EngineOptions {
        connected_at: Some("2026-11-26".into()),
        line_mode: Some(mode.into()),
        rules,
        ..Default::default()
    })
    .unwrap()
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
    let mut by_app: Vec<(Option<&str>, String, String)> = txs
        .iter()
        .map(|t| {
            (
                app(t),
                t.amount_excluding_tax.to_string(),
                t.amount_including_tax.to_string(),
            )
        })
        .collect();
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
        let via = t
            .match_
            .as_ref()
            .and_then(|m| m.via.as_ref())
            .map(|v| v.kind.as_str());
        assert_eq!(via, Some("reseller"), "{}: bought through SHI", t.id);
        assert_eq!(t.invoice_number.as_deref(), Some("108900"));
    }
    // Ids are distinct and stable.
    let mut ids: Vec<&str> = txs.iter().map(|t| t.id.as_str()).collect();
    ids.dedup();
    assert_eq!(ids.len(), 3);
    let mut again = engine("auto", None);
    again.add_page_text(None, None, BUNDLE);
    assert_eq!(
        again
            .transactions()
            .iter()
            .map(|t| t.id.clone())
            .collect::<Vec<_>>(),
        txs.iter().map(|t| t.id.clone()).collect::<Vec<_>>()
    );
}

#[test]
fn invoice_mode_names_the_candidates_of_a_bundle() {
    let mut e = engine("invoice", None);
    e.add_page_text(None, None, BUNDLE);
    let t = &e.transactions()[0];
    // Lines disagree: the invoice goes to the app the lines agree on by amount, or stays
    // unmatched with the candidates listed; either way every line keeps its own app.
    let lines = t.lines.as_ref().unwrap();
    let line_apps: Vec<Option<&str>> = lines
        .iter()
        .map(|l| l.match_.as_ref().map(|m| m.app_id.as_str()))
        .collect();
    assert!(
        line_apps.contains(&Some("slack"))
            && line_apps.contains(&Some("zoom"))
            && line_apps.contains(&Some("jira")),
        "{line_apps:?}"
    );
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
    assert!(
        apps.contains(&Some("slack"))
            && apps.contains(&Some("zoom"))
            && apps.contains(&Some("jira"))
    );
}

#[test]
fn rules_take_precedence_and_preview_shows_changes_without_applying() {
    let mut e = engine("invoice", None);
    e.add_page_text(None, None, US_1);
    let before: Vec<_> = e.transactions().to_vec();
    let slack = before
        .iter()
        .find(|t| app(t) == Some("slack"))
        .expect("a Slack invoice in the fixture");
    let rent = before
        .iter()
        .find(|t| t.vendor_name.contains("Harbor Point"))
        .expect("the rent invoice");
    let rules = json!([
        { "id": "rent-is-not-saas", "priority": 1, "action": "ignore", "vendor": { "op": "contains", "value": "harbor point" } },
        { "id": "slack-is-teams", "priority": 2, "action": "matchTo", "appId": "microsoft-teams", "description": { "op": "regex", "value": "(?i)^slack business\\+" } }
    ]);
    let changes = e.preview_rules(&rules).unwrap();
    let ids: Vec<&str> = changes.iter().map(|c| c.id.as_str()).collect();
    assert!(
        ids.contains(&slack.id.as_str()) && ids.contains(&rent.id.as_str()),
        "{changes:#?}"
    );
    let c = changes.iter().find(|c| c.id == slack.id).unwrap();
    assert_eq!(c.before.as_ref().unwrap().app_id.as_deref(), Some("slack"));
    assert_eq!(
        c.after.as_ref().unwrap().app_id.as_deref(),
        Some("microsoft-teams")
    );
    assert_eq!(
        c.after.as_ref().unwrap().rule_id.as_deref(),
        Some("slack-is-teams")
    );
    let c = changes.iter().find(|c| c.id == rent.id).unwrap();
    assert_eq!(
        c.after.as_ref().unwrap().ignored_by_rule.as_deref(),
        Some("rent-is-not-saas")
    );
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
        (
            json!([{ "id": "a", "priority": 1, "action": "matchTo", "appId": "no-such-app", "vendor": { "op": "equals", "value": "X" } }]),
            "RULE_UNKNOWN_APP",
            "rules/0/appId",
            "no-such-app",
        ),
        (
            json!([{ "id": "b", "priority": 1, "action": "explode" }]),
            "RULE_INVALID",
            "rules/0",
            "'b'",
        ),
        (
            json!([{ "id": "c", "priority": 1, "action": "ignore", "vendor": { "op": "regex", "value": "(" } }]),
            "RULE_REGEX_INVALID",
            "rules/0/vendor/value",
            "regex",
        ),
        (
            json!([
                { "id": "d1", "priority": 5, "action": "ignore", "vendor": { "op": "contains", "value": "a" } },
                { "id": "d2", "priority": 5, "action": "ignore", "vendor": { "op": "contains", "value": "b" } }
            ]),
            "RULE_CONFLICT",
            "rules/1/priority",
            "different priority",
        ),
        (json!({ "rules": "nope" }), "RULE_INVALID", "rules", "array"),
    ];
    for (rules, code, path, needle) in cases {
        let err = Engine::new(EngineOptions {
            connected_at: Some("2026-11-26".into()),
            rules: Some(rules.clone()),
            ..Default::default()
        })
        .err()
        .unwrap_or_else(|| panic!("{rules} accepted"));
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
    let rent = e
        .transactions()
        .iter()
        .find(|t| t.vendor_name.contains("Harbor Point"))
        .unwrap();
    assert!(rent.match_.is_none());
    let r = rent.match_rejected.as_ref().expect("a reason");
    assert_eq!(r.not_software.as_deref(), Some("rent"), "{r:?}");
    // A SaaS invoice carries no such verdict.
    assert!(e
        .transactions()
        .iter()
        .filter(|t| t.match_.is_some())
        .all(|t| t.match_rejected.is_none()));
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
    let attribution = |t: &bc_spend::transactions::Transaction| {
        (app(t).map(str::to_owned), t.ignored_by_rule.clone())
    };
    for mode in ["invoice", "line", "auto"] {
        for start in &rule_sets {
            for candidate in &rule_sets {
                let mut e = engine(mode, Some(start.clone()));
                let mut full = engine(mode, Some(candidate.clone()));
                for f in FILES {
                    e.add_page_text(None, None, f);
                    full.add_page_text(None, None, f);
                }
                let before: std::collections::BTreeMap<String, _> = e
                    .transactions()
                    .iter()
                    .map(|t| (t.id.clone(), attribution(t)))
                    .collect();
                let after: std::collections::BTreeMap<String, _> = full
                    .transactions()
                    .iter()
                    .map(|t| (t.id.clone(), attribution(t)))
                    .collect();
                let mut expected: Vec<String> = before
                    .keys()
                    .chain(after.keys())
                    .filter(|id| before.get(*id) != after.get(*id))
                    .cloned()
                    .collect();
                expected.sort();
                expected.dedup();
                let mut got: Vec<String> = e
                    .preview_rules(candidate)
                    .unwrap()
                    .into_iter()
                    .map(|c| c.id)
                    .collect();
                got.dedup();
                assert_eq!(got, expected, "mode {mode}, from {start} to {candidate}");
            }
        }
    }
}

fn rules_error(rules: serde_json::Value) -> Option<bc_spend::error::ConfigError> {
    Engine::new(EngineOptions {
        connected_at: Some("2026-11-26".into()),
        rules: Some(rules),
        ..Default::default()
    })
    .err()
}

/// Ten thousand `equals` rules at one priority (what the conflict message recommends) compile,
/// and one among them that can fire on the same line as an early one is still found.
#[test]
fn a_conflict_among_thousands_of_same_priority_rules_is_found() {
    let mut rules: Vec<serde_json::Value> = (0..10_000)
        .map(|i| match i % 10 {
            // Told apart by their vendor, though some also share a description condition.
            0..=6 => json!({ "id": format!("r{i}"), "priority": 7, "action": "ignore", "vendor": { "op": "equals", "value": format!("Vendor {i} Inc") } }),
            7 => json!({ "id": format!("r{i}"), "priority": 7, "action": "ignore", "vendor": { "op": "equals", "value": format!("Vendor {i} Inc") }, "description": { "op": "regex", "value": "licen[cs]e" } }),
            8 => json!({ "id": format!("r{i}"), "priority": 7, "action": "ignore", "vendor": { "op": "contains", "value": format!("acme {i}.") }, "account": { "op": "equals", "value": format!("{i}") } }),
            _ => json!({ "id": format!("r{i}"), "priority": 10 + i, "action": "matchTo", "appId": "zoom", "vendor": { "op": "contains", "value": format!("zoom {i}") } }),
        })
        .collect();
    assert_eq!(rules_error(json!(rules.clone())).map(|e| e.message), None);

    // "Vendor 3 Inc" again, in other letters and spaces.
    rules[9_999] = json!({ "id": "late", "priority": 7, "action": "ignore", "vendor": { "op": "equals", "value": "  VENDOR 3 inc " } });
    let err = rules_error(json!(rules.clone())).expect("the conflict is found");
    assert_eq!(
        (err.code.as_str(), err.path.as_deref()),
        ("RULE_CONFLICT", Some("rules/9999/priority")),
        "{err:?}"
    );
    assert!(
        err.message
            .starts_with("rule 9999 ('late') and rule 3 ('r3') have the same priority 7"),
        "{}",
        err.message
    );

    // A `contains` that the vendor of rule 5 holds, on a rule without an account condition.
    rules[9_999] = json!({ "id": "late", "priority": 7, "action": "ignore", "vendor": { "op": "contains", "value": "dor 5 i" } });
    let err = rules_error(json!(rules.clone())).expect("the conflict is found");
    assert!(
        err.message
            .starts_with("rule 9999 ('late') and rule 5 ('r5')"),
        "{}",
        err.message
    );

    // A regex that one vendor matches (the account regex keeps it apart from rule 8's kind).
    rules[9_999] = json!({ "id": "late", "priority": 7, "action": "ignore", "vendor": { "op": "regex", "value": "^vendor 42 " }, "account": { "op": "regex", "value": "^4" } });
    let err = rules_error(json!(rules)).expect("the conflict is found");
    assert!(
        err.message
            .starts_with("rule 9999 ('late') and rule 42 ('r42')"),
        "{}",
        err.message
    );
}

/// Which pairs of conditions at one priority conflict: unchanged by the index.
#[test]
fn conflicts_between_equals_contains_and_regex() {
    let eq = |v: &str| json!({ "op": "equals", "value": v });
    let eq_cs = |v: &str| json!({ "op": "equals", "value": v, "caseSensitive": true });
    let has = |v: &str| json!({ "op": "contains", "value": v });
    let re = |v: &str| json!({ "op": "regex", "value": v });
    let re_cs = |v: &str| json!({ "op": "regex", "value": v, "caseSensitive": true });
    let rule = |id: &str, field: &str, c: serde_json::Value| json!({ "id": id, "priority": 1, "action": "ignore", field: c });
    let cases = [
        // (first, second, conflict?)
        (
            rule("a", "vendor", eq("Slack")),
            rule("b", "vendor", eq(" slack ")),
            true,
        ),
        (
            rule("a", "vendor", eq("Slack")),
            rule("b", "vendor", eq("Zoom")),
            false,
        ),
        (
            rule("a", "vendor", eq_cs("Slack")),
            rule("b", "vendor", eq_cs("slack")),
            false,
        ),
        (
            rule("a", "vendor", eq("Slack")),
            rule("b", "vendor", eq_cs("slack")),
            true,
        ),
        // Unicode case folding: LONG S and KELVIN SIGN match s and k.
        (
            rule("a", "vendor", eq("\u{17F}lack")),
            rule("b", "vendor", eq("SLACK")),
            true,
        ),
        (
            rule("a", "vendor", eq("\u{212A}elvin Labs")),
            rule("b", "vendor", has("kelvin")),
            true,
        ),
        (
            rule("a", "vendor", eq("M\u{fc}ller GmbH")),
            rule("b", "vendor", has("M\u{dc}LLER")),
            true,
        ),
        (
            rule("a", "vendor", eq("M\u{fc}ller GmbH")),
            rule("b", "vendor", has("Mueller")),
            false,
        ),
        (
            rule("a", "vendor", eq("Slack Technologies")),
            rule("b", "vendor", has("slack")),
            true,
        ),
        (
            rule("a", "vendor", eq("Zoom")),
            rule("b", "vendor", has("slack")),
            false,
        ),
        (
            rule("a", "vendor", eq("Slack")),
            rule("b", "vendor", re("^sl")),
            true,
        ),
        (
            rule("a", "vendor", eq("Slack")),
            rule("b", "vendor", re("^zo")),
            false,
        ),
        // A case-sensitive regex may match another casing of a case-insensitive value.
        (
            rule("a", "vendor", eq("Slack")),
            rule("b", "vendor", re_cs("^zo")),
            true,
        ),
        (
            rule("a", "vendor", has("a")),
            rule("b", "vendor", has("b")),
            true,
        ),
        (
            rule("a", "vendor", has("a")),
            rule("b", "vendor", re("^b")),
            true,
        ),
        (
            rule("a", "vendor", re("a")),
            rule("b", "vendor", re("b")),
            true,
        ),
        // Nothing in common: both can fire on one line.
        (
            rule("a", "vendor", eq("Slack")),
            rule("b", "account", eq("6420")),
            true,
        ),
        (
            rule("a", "vendor", eq("Slack")),
            rule("b", "description", re("x")),
            true,
        ),
        (
            json!({ "id": "a", "priority": 1, "action": "ignore", "vendor": eq("Slack"), "account": eq("6420") }),
            json!({ "id": "b", "priority": 1, "action": "ignore", "vendor": eq("Slack"), "account": eq("6421") }),
            false,
        ),
        (
            json!({ "id": "a", "priority": 1, "action": "ignore", "vendor": has("slack"), "description": eq("Pro plan") }),
            json!({ "id": "b", "priority": 1, "action": "ignore", "vendor": eq("Slack"), "description": re("plan$") }),
            true,
        ),
        (
            json!({ "id": "a", "priority": 1, "action": "ignore", "vendor": has("slack"), "description": eq("Pro plan") }),
            json!({ "id": "b", "priority": 1, "action": "ignore", "vendor": eq("Slack"), "description": re("^team") }),
            false,
        ),
    ];
    for (a, b, conflict) in cases {
        let err = rules_error(json!([a.clone(), b.clone()]));
        assert_eq!(
            err.as_ref().map(|e| e.code.as_str()),
            conflict.then_some("RULE_CONFLICT"),
            "{a} / {b}: {err:?}"
        );
        // At different priorities, never.
        let mut b2 = b.clone();
        b2["priority"] = json!(2);
        assert_eq!(rules_error(json!([a, b2])).map(|e| e.message), None);
    }
}

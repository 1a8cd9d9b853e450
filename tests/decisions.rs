//! Match decisions as data (Engine v2, step 3; `src/matching/decisions.rs`): each distinct line
//! key is analysed once, its verdict kept with what it consulted, and redone exactly when the
//! catalog, a rule it fires on or decided, or a word it consulted changes. Counted with
//! `Engine::decisions_computed` (verdicts analysed, not read from the table), and every outcome
//! compared with a fresh engine that decided everything from scratch.
#![cfg(not(target_arch = "wasm32"))]

use bc_spend::engine::{Engine, EngineOptions};
use bc_spend::matching::DecisionsSnapshot;
use bc_spend::report::ReportOptions;
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};

const C: &str = "8e1b3ef6-9c3e-ef11-8409-000d3a7e3f1c";

/// (vendor number, vendor name, line description): a customer's recurring spend. SaaS vendors
/// by legal name and by product line, resellers, everyday suppliers, and "Monday" lines that
/// consult the word's genericness.
const SPEND: &[(&str, &str, &str)] = &[
    ("V001", "Slack Technologies Limited", "Slack Pro"),
    (
        "V002",
        "Zoom Video Communications Inc",
        "Zoom Business annual",
    ),
    ("V003", "Acme Supplies Ltd", "Monday plan"),
    ("V003", "Acme Supplies Ltd", "Atlassian Jira Software Cloud"),
    ("V003", "Acme Supplies Ltd", "Box subscription"),
    ("V004", "monday.com Ltd.", "Monday plan"),
    ("V005", "Rapid Couriers GmbH", "Courier delivery route 7"),
    ("V006", "Sparkle Office Cleaning Ltd", "Office cleaning"),
    ("V007", "Notion Labs Inc", "Notion Plus seats"),
    (
        "V008",
        "Dropbox International Unlimited Company",
        "Dropbox Business",
    ),
    ("V009", "City Parking AG", "Reserved bay"),
    ("V010", "Fresh Fruit Co", "Fruit basket"),
    ("V011", "Print Hub Ltd", "Courier flyers"),
    ("V012", "SoftwareONE AG", "Microsoft 365 Business Premium"),
    ("V012", "SoftwareONE AG", "Adobe Creative Cloud"),
    ("V014", "Quillwork Studio ApS", "Quillwork annual"),
];

fn invoice(n: u32, month: u32, vendor_no: &str, vendor: &str, desc: &str) -> String {
    format!(
        r#"{{"id":"11111111-0000-0000-0000-{n:012}","number":"PPI-{n}","postingDate":"2026-{month:02}-04","invoiceDate":"2026-{month:02}-04","vendorNumber":"{vendor_no}","vendorName":"{vendor}","currencyCode":"EUR","status":"Paid","lastModifiedDateTime":"2026-{month:02}-05T10:00:00Z","totalAmountExcludingTax":120,"totalAmountIncludingTax":120,"totalTaxAmount":0,
        "purchaseInvoiceLines":[{{"id":"bbbbbbbb-0000-0000-0000-{n:012}","sequence":10000,"lineType":"Item","description":"{desc}","netAmount":120,"netAmountIncludingTax":120,"netTaxAmount":0}}]}}"#
    )
}

fn page(records: &[String]) -> String {
    format!(
        r#"{{"@odata.context":"https://x/api/v2.0/$metadata#companies({C})/purchaseInvoices","value":[{}]}}"#,
        records.join(",")
    )
}

/// Every line of `SPEND` billed in each of `months` months (the same keys month after month).
fn recurring(months: u32) -> String {
    let mut out = Vec::new();
    for m in 1..=months {
        for (i, (no, v, d)) in SPEND.iter().enumerate() {
            out.push(invoice(m * 100 + i as u32, m, no, v, d));
        }
    }
    page(&out)
}

/// `n` vendors unknown to the catalog whose lines say "Monday" as a weekday (and no other
/// catalog word).
fn monday_vendors(n: u32) -> String {
    let out: Vec<String> = (0..n)
        .map(|i| {
            invoice(
                5000 + i,
                6,
                &format!("M{i:03}"),
                &format!("Weekday Services {i} Ltd"),
                &format!("Monday {i}"),
            )
        })
        .collect();
    page(&out)
}

fn options(rules: serde_json::Value, catalog: Option<serde_json::Value>) -> EngineOptions {
    EngineOptions {
        connected_at: Some("2026-11-26".into()),
        line_mode: Some("line".into()),
        rules: Some(rules),
        catalog,
        ..Default::default()
    }
}

fn engine(rules: serde_json::Value, catalog: Option<serde_json::Value>) -> Engine {
    Engine::new(options(rules, catalog)).unwrap()
}

fn fed(rules: serde_json::Value, catalog: Option<serde_json::Value>, pages: &[String]) -> Engine {
    let mut e = engine(rules, catalog);
    for p in pages {
        let r = e.add_page_text(None, None, p);
        assert_eq!(r.rejected, 0, "{r:?}");
    }
    e
}

/// Every output a run writes, as text (the summary but for its counts of what the engine read,
/// which a state does not keep).
fn outputs(e: &mut Engine) -> Vec<(&'static str, String)> {
    let report = ReportOptions::from_json(&json!({ "asOf": "2026-11-26" })).unwrap();
    let mut summary = e.summary();
    summary.counts.clear();
    vec![
        (
            "transactions",
            serde_json::to_string(e.transactions()).unwrap(),
        ),
        (
            "diagnostics",
            serde_json::to_string(&e.diagnostics()).unwrap(),
        ),
        ("summary", serde_json::to_string(&summary).unwrap()),
        (
            "report",
            serde_json::to_string(&e.report(&report).unwrap()).unwrap(),
        ),
        (
            "explain",
            serde_json::to_string(&e.explain("Acme Supplies Ltd", Some("Monday plan"))).unwrap(),
        ),
    ]
}

fn assert_same(a: &[(&str, String)], b: &[(&str, String)], what: &str) {
    for ((name, x), (_, y)) in a.iter().zip(b) {
        assert!(x == y, "{what}: {name} differs");
    }
}

/// Each transaction's JSON by id.
fn by_id(e: &mut Engine) -> BTreeMap<String, String> {
    e.transactions()
        .iter()
        .map(|t| (t.id.clone(), serde_json::to_string(t).unwrap()))
        .collect()
}

fn changed(a: &BTreeMap<String, String>, b: &BTreeMap<String, String>) -> BTreeSet<String> {
    assert_eq!(
        a.keys().collect::<Vec<_>>(),
        b.keys().collect::<Vec<_>>(),
        "same transactions"
    );
    a.iter()
        .filter(|(k, v)| b[*k] != **v)
        .map(|(k, _)| k.clone())
        .collect()
}

/// The ids of the transactions whose description contains `word` (any case).
fn ids_saying(e: &mut Engine, word: &str) -> BTreeSet<String> {
    e.transactions()
        .iter()
        .filter(|t| t.description.to_lowercase().contains(word))
        .map(|t| t.id.clone())
        .collect()
}

/// Distinct (vendor, description) keys of `SPEND` whose description contains `word`.
fn keys_saying(word: &str) -> u64 {
    SPEND
        .iter()
        .filter(|(_, _, d)| d.to_lowercase().contains(word))
        .map(|(_, v, d)| (v, d))
        .collect::<BTreeSet<_>>()
        .len() as u64
}

fn distinct_keys() -> u64 {
    SPEND
        .iter()
        .map(|(_, v, d)| (v, d))
        .collect::<BTreeSet<_>>()
        .len() as u64
}

fn ignore(id: &str, priority: i64, contains: &str) -> serde_json::Value {
    json!({ "id": id, "priority": priority, "action": "ignore",
            "description": { "op": "contains", "value": contains } })
}

fn match_to(id: &str, priority: i64, contains: &str, app: &str) -> serde_json::Value {
    json!({ "id": id, "priority": priority, "action": "matchTo", "appId": app,
            "description": { "op": "contains", "value": contains } })
}

#[test]
fn each_distinct_key_is_analysed_once_however_often_it_is_billed() {
    let mut e = fed(json!([]), None, &[recurring(6)]);
    e.transactions();
    assert_eq!(e.decisions_computed(), distinct_keys());
    // Asking again, or after re-reading the same page, analyses nothing.
    e.add_page_text(None, None, &recurring(6));
    e.transactions();
    assert_eq!(e.decisions_computed(), distinct_keys());
}

#[test]
fn a_changed_rule_moves_exactly_the_transactions_it_fires_on_and_redoes_only_their_keys() {
    let pages = [recurring(4)];
    let before_rules = json!([match_to("chat", 10, "Slack", "zoom")]);
    let mut e = fed(before_rules, None, &pages);
    let before = by_id(&mut e);
    let computed = e.decisions_computed();
    assert_eq!(computed, distinct_keys());

    // Added: a rule that fires on the courier lines only.
    let added = json!([
        match_to("chat", 10, "Slack", "zoom"),
        ignore("couriers", 20, "courier")
    ]);
    e.set_rules(&added).unwrap();
    let after = by_id(&mut e);
    assert_eq!(
        e.decisions_computed() - computed,
        keys_saying("courier"),
        "only the keys the added rule fires on are analysed again"
    );
    assert_eq!(changed(&before, &after), ids_saying(&mut e, "courier"));
    assert_same(
        &outputs(&mut e),
        &outputs(&mut fed(added.clone(), None, &pages)),
        "after adding a rule",
    );

    // Changed: "chat" now fires on Notion lines instead of Slack ones; both sets are redone.
    let computed = e.decisions_computed();
    let changed_rule = json!([
        match_to("chat", 10, "Notion", "zoom"),
        ignore("couriers", 20, "courier")
    ]);
    e.set_rules(&changed_rule).unwrap();
    let after_change = by_id(&mut e);
    assert_eq!(
        e.decisions_computed() - computed,
        keys_saying("slack") + keys_saying("notion")
    );
    let moved: BTreeSet<String> = ids_saying(&mut e, "slack")
        .union(&ids_saying(&mut e, "notion"))
        .cloned()
        .collect();
    assert_eq!(changed(&after, &after_change), moved);
    assert_same(
        &outputs(&mut e),
        &outputs(&mut fed(changed_rule, None, &pages)),
        "after changing a rule",
    );

    // Removed: only what the removed rule decided is redone.
    let computed = e.decisions_computed();
    let removed = json!([match_to("chat", 10, "Notion", "zoom")]);
    e.set_rules(&removed).unwrap();
    let after_removal = by_id(&mut e);
    assert_eq!(e.decisions_computed() - computed, keys_saying("courier"));
    assert_eq!(
        changed(&after_change, &after_removal),
        ids_saying(&mut e, "courier")
    );
    assert_same(
        &outputs(&mut e),
        &outputs(&mut fed(removed, None, &pages)),
        "after removing a rule",
    );
}

#[test]
fn a_catalog_extension_redoes_every_decision() {
    let pages = [recurring(2)];
    let mut builtin = fed(json!([]), None, &pages);
    builtin.transactions();
    let snapshot = builtin.export_decisions();
    assert_eq!(snapshot.lines.len() as u64, distinct_keys());

    let extension = json!({ "mode": "extend", "apps": [
        { "id": "quillwork", "name": "Quillwork", "category": "productivity",
          "vendors": ["Quillwork Studio ApS"] }
    ]});
    let mut extended = fed(json!([]), Some(extension.clone()), &pages);
    assert_eq!(
        extended.restore_decisions(&snapshot).unwrap(),
        0,
        "nothing decided with another catalog is kept"
    );
    assert_same(
        &outputs(&mut extended),
        &outputs(&mut fed(json!([]), Some(extension.clone()), &pages)),
        "extended catalog",
    );
    // explain reads the key of the invoice line it names.
    assert_eq!(extended.decisions_computed(), distinct_keys());
    let quillwork = |e: &mut Engine| {
        e.transactions()
            .iter()
            .find(|t| t.vendor_name == "Quillwork Studio ApS")
            .and_then(|t| t.match_.as_ref())
            .map(|m| m.app_id.clone())
    };
    assert_eq!(quillwork(&mut builtin), None);
    assert_eq!(quillwork(&mut extended).as_deref(), Some("quillwork"));

    // And another extension of the same apps is another catalog again.
    let other = json!({ "mode": "extend", "apps": [
        { "id": "quillwork", "name": "Quillwork 2", "category": "productivity",
          "vendors": ["Quillwork Studio ApS"] }
    ]});
    extended.transactions();
    let snapshot = extended.export_decisions();
    let mut again = fed(json!([]), Some(other), &pages);
    assert_eq!(again.restore_decisions(&snapshot).unwrap(), 0);
    let mut same = fed(json!([]), Some(extension), &pages);
    assert_eq!(
        same.restore_decisions(&snapshot).unwrap(),
        snapshot.lines.len()
    );
    same.transactions();
    assert_eq!(same.decisions_computed(), 0);
}

#[test]
fn thirty_vendors_saying_monday_redo_only_the_decisions_that_consulted_monday() {
    let mut e = fed(json!([]), None, &[recurring(3)]);
    let before = by_id(&mut e);
    let snapshot = e.export_decisions();
    let word = |s: &DecisionsSnapshot, w: u32| s.texts[w as usize].clone();
    let consulted_monday = snapshot
        .lines
        .iter()
        .filter(|l| l.words.iter().any(|&w| word(&snapshot, w) == "monday"))
        .count() as u64;
    // "Monday plan" from Acme consults it; monday.com's own invoice is decided by its vendor.
    assert!(consulted_monday >= 1);
    assert!(snapshot.vocabulary.is_empty());
    let computed = e.decisions_computed();

    e.add_page_text(None, None, &monday_vendors(30));
    let after = by_id(&mut e);
    assert_eq!(
        e.decisions_computed() - computed,
        30 + consulted_monday,
        "the 30 new keys, and the kept ones that looked `monday` up"
    );
    let generic: Vec<String> = e
        .export_decisions()
        .vocabulary
        .iter()
        .map(|&(w, _)| e.export_decisions().texts[w as usize].clone())
        .collect();
    assert_eq!(generic, ["monday"]);
    // Of the transactions held before, only Acme's "Monday plan" moved (it no longer matches).
    let moved: BTreeSet<String> = before
        .iter()
        .filter(|(id, v)| after[*id] != **v)
        .map(|(id, _)| id.clone())
        .collect();
    let acme_monday: BTreeSet<String> = e
        .transactions()
        .iter()
        .filter(|t| t.vendor_name == "Acme Supplies Ltd" && t.description == "Monday plan")
        .map(|t| t.id.clone())
        .collect();
    assert_eq!(moved, acme_monday);
    assert_same(
        &outputs(&mut e),
        &outputs(&mut fed(
            json!([]),
            None,
            &[recurring(3), monday_vendors(30)],
        )),
        "after the Monday vendors",
    );

    // And back: when they are gone, `monday` stops being generic and the same keys are redone.
    let mut back = fed(json!([]), None, &[recurring(3), monday_vendors(30)]);
    back.transactions();
    let snapshot = back.export_decisions();
    let mut restored = fed(json!([]), None, &[recurring(3)]);
    restored.restore_decisions(&snapshot).unwrap();
    restored.transactions();
    assert_eq!(restored.decisions_computed(), consulted_monday);
    assert_same(
        &outputs(&mut restored),
        &outputs(&mut fed(json!([]), None, &[recurring(3)])),
        "after the Monday vendors left",
    );
}

#[test]
fn restored_decisions_give_the_outputs_of_a_full_build_and_analyse_no_key_seen_before() {
    let rules = json!([ignore("couriers", 20, "courier")]);
    let pages = [recurring(3), monday_vendors(8)];
    let mut first = fed(rules.clone(), None, &pages);
    let want = outputs(&mut first);
    // Through text, as a state would store it.
    let text = serde_json::to_string(&first.export_decisions()).unwrap();
    let snapshot: DecisionsSnapshot = serde_json::from_str(&text).unwrap();

    // Restored before the pages (a state is read first), and after them.
    let mut before_pages = engine(rules.clone(), None);
    before_pages.restore_decisions(&snapshot).unwrap();
    for p in &pages {
        before_pages.add_page_text(None, None, p);
    }
    assert_same(&outputs(&mut before_pages), &want, "restored, then fed");
    assert_eq!(before_pages.decisions_computed(), 0);

    let mut after_pages = fed(rules.clone(), None, &pages);
    after_pages.restore_decisions(&snapshot).unwrap();
    assert_same(&outputs(&mut after_pages), &want, "fed, then restored");
    assert_eq!(after_pages.decisions_computed(), 0);

    // A new month: only its one new key is analysed.
    let new_month = page(&[
        invoice(9001, 7, "V001", "Slack Technologies Limited", "Slack Pro"),
        invoice(9002, 7, "V013", "Figma Inc", "Figma Professional"),
    ]);
    after_pages.add_page_text(None, None, &new_month);
    let mut all = pages.to_vec();
    all.push(new_month);
    assert_same(
        &outputs(&mut after_pages),
        &outputs(&mut fed(rules, None, &all)),
        "a new month",
    );
    assert_eq!(after_pages.decisions_computed(), 1);
}

/// Issue 17: the decisions are kept with the state, so a run that starts from the state of a
/// built engine analyses only the keys it has not seen.
#[test]
fn a_state_kept_after_a_build_carries_its_decisions_so_the_next_run_analyses_only_new_keys() {
    let rules = json!([ignore("couriers", 20, "courier")]);
    let pages = vec![recurring(12), monday_vendors(8)];
    let mut first = fed(rules.clone(), None, &pages);
    let want = outputs(&mut first);
    let state = first.export_state();

    // Nothing changed: no key is analysed, and every output is the full build's.
    let mut next = Engine::from_state(options(rules.clone(), None), &state).unwrap();
    assert_same(&outputs(&mut next), &want, "restored from the state");
    assert_eq!(next.decisions_computed(), 0);
    // The restored engine's state is the state it was read from.
    assert_eq!(next.export_state(), state);

    // About 1% new invoices (2 of 200): one bills a key seen before, two bill new keys.
    let new = page(&[
        invoice(9001, 12, "V001", "Slack Technologies Limited", "Slack Pro"),
        invoice(9002, 12, "V013", "Figma Inc", "Figma Professional"),
        invoice(
            9003,
            12,
            "V001",
            "Slack Technologies Limited",
            "Slack Enterprise Grid",
        ),
    ]);
    let mut next = Engine::from_state(options(rules.clone(), None), &state).unwrap();
    next.add_page_text(None, None, &new);
    let mut all = pages.clone();
    all.push(new);
    assert_same(
        &outputs(&mut next),
        &outputs(&mut fed(rules.clone(), None, &all)),
        "restored, then 1% new invoices",
    );
    assert_eq!(next.decisions_computed(), 2);

    // Other rules: the kept verdicts the change affects are redone, no others.
    let other = json!([
        ignore("couriers", 20, "courier"),
        ignore("fruit", 30, "fruit")
    ]);
    let mut next = Engine::from_state(options(other.clone(), None), &state).unwrap();
    assert_same(
        &outputs(&mut next),
        &outputs(&mut fed(other, None, &pages)),
        "restored with a rule added",
    );
    assert_eq!(next.decisions_computed(), keys_saying("fruit"));
}

#[test]
fn a_state_of_an_engine_never_built_holds_no_decisions() {
    let rules = json!([]);
    let e = fed(rules.clone(), None, &[recurring(2)]);
    let unbuilt = e.export_state();
    let mut next = Engine::from_state(options(rules.clone(), None), &unbuilt).unwrap();
    assert!(next.export_decisions().lines.is_empty());
    next.transactions();
    assert_eq!(next.decisions_computed(), distinct_keys());
    // Built, its state is larger by the decisions, and they come back.
    let built = next.export_state();
    assert!(built.len() > unbuilt.len());
    let back = Engine::from_state(options(rules, None), &built).unwrap();
    assert_eq!(back.export_decisions(), next.export_decisions());
}

#[test]
fn a_snapshot_of_other_rules_or_vocabulary_is_reused_only_where_they_agree() {
    let pages = [recurring(2), monday_vendors(8)];
    let mut e = fed(json!([ignore("couriers", 20, "courier")]), None, &pages);
    e.transactions();
    let snapshot = e.export_decisions();

    // Other rules: the keys the old rule decided and those the new one fires on are redone.
    let rules = json!([match_to("chat", 10, "Slack", "zoom")]);
    let mut other = fed(rules.clone(), None, &pages);
    other.restore_decisions(&snapshot).unwrap();
    assert_same(
        &outputs(&mut other),
        &outputs(&mut fed(rules, None, &pages)),
        "other rules",
    );
    assert_eq!(
        other.decisions_computed(),
        keys_saying("courier") + keys_saying("slack")
    );

    // A vocabulary that says `monday` is not generic: the keys that consulted it are redone.
    let mut lying = snapshot.clone();
    lying.vocabulary.clear();
    let mut e2 = fed(json!([ignore("couriers", 20, "courier")]), None, &pages);
    e2.restore_decisions(&lying).unwrap();
    assert_same(
        &outputs(&mut e2),
        &outputs(&mut fed(
            json!([ignore("couriers", 20, "courier")]),
            None,
            &pages,
        )),
        "vocabulary not what the snapshot says",
    );
    assert!(e2.decisions_computed() > 0);
}

#[test]
fn a_tampered_snapshot_never_panics_and_never_yields_stale_decisions() {
    let rules = json!([ignore("couriers", 20, "courier")]);
    let pages = [recurring(2), monday_vendors(6)];
    let mut e = fed(rules.clone(), None, &pages);
    let want = outputs(&mut e);
    let snapshot = e.export_decisions();
    let texts = snapshot.texts.len() as u32;

    // Out-of-range handles: STATE_INVALID with the path, and the engine is unchanged.
    let mut bad: Vec<(&str, DecisionsSnapshot)> = Vec::new();
    let mut s = snapshot.clone();
    s.lines[0].description = texts + 7;
    bad.push(("description", s));
    let mut s = snapshot.clone();
    s.lines[0].vendor = snapshot.vendors.len() as u32;
    bad.push(("vendor", s));
    let mut s = snapshot.clone();
    s.lines[0].matched = Some(u32::MAX);
    bad.push(("match", s));
    let mut s = snapshot.clone();
    s.lines[0].role = 9;
    bad.push(("role", s));
    let mut s = snapshot.clone();
    s.lines[0].rule = Some(snapshot.rules.len() as u32);
    bad.push(("rule", s));
    let mut s = snapshot.clone();
    s.lines[0].words = vec![texts];
    bad.push(("word", s));
    let mut s = snapshot.clone();
    let l = s.lines[0].clone();
    s.lines.push(l);
    bad.push(("duplicate key", s));
    let mut s = snapshot.clone();
    if let Some(m) = s.matches.first_mut() {
        m.evidence.push(bc_spend::matching::SnapEvidence {
            field: 99,
            text: Some(0),
            start: 0,
            end: 0,
            kind: 0,
            alias: None,
        });
    }
    bad.push(("evidence field", s));
    let mut s = snapshot.clone();
    s.vocabulary.push((0, 3)); // texts[0] is a vendor name, not a catalog word
    bad.push(("vocabulary word", s));
    for (what, s) in bad {
        let mut fresh = fed(rules.clone(), None, &pages);
        let err = fresh.restore_decisions(&s).unwrap_err();
        assert_eq!(err.code.as_str(), "STATE_INVALID", "{what}");
        assert!(err.path.as_deref().unwrap_or("").starts_with("decisions/"));
        assert_same(&outputs(&mut fresh), &want, what);
    }

    // Fingerprints of another build or catalog: nothing is reused, nothing is stale.
    for (what, s) in [
        ("build", {
            let mut s = snapshot.clone();
            s.build_id = "another build".into();
            s
        }),
        ("catalog", {
            let mut s = snapshot.clone();
            s.catalog_version ^= 1;
            s
        }),
    ] {
        let mut fresh = fed(rules.clone(), None, &pages);
        assert_eq!(fresh.restore_decisions(&s).unwrap(), 0, "{what}");
        assert_same(&outputs(&mut fresh), &want, what);
    }

    // Rules fingerprint altered: the decisions of that rule are redone, not trusted.
    let mut s = snapshot.clone();
    s.rules[0] ^= 1;
    let mut fresh = fed(rules.clone(), None, &pages);
    fresh.restore_decisions(&s).unwrap();
    assert_same(&outputs(&mut fresh), &want, "rule hash");
    assert_eq!(fresh.decisions_computed(), keys_saying("courier"));

    // Any byte of its text changed: an error or a snapshot, never a panic; and what is
    // restored still gives a fresh build's outputs where its fingerprints hold.
    let text = serde_json::to_vec(&snapshot).unwrap();
    for i in (0..text.len()).step_by(text.len() / 150 + 1) {
        let mut t = text.clone();
        t[i] = match t[i] {
            b'0'..=b'8' => t[i] + 1,
            b'9' => b'0',
            b'a'..=b'y' => t[i] + 1,
            _ => b'7',
        };
        let Ok(s) = serde_json::from_slice::<DecisionsSnapshot>(&t) else {
            continue;
        };
        let mut fresh = fed(rules.clone(), None, &pages);
        let _ = fresh.restore_decisions(&s);
        fresh.transactions();
    }
}

/// An evidence span of the line's own text is not stored (so the matches of lines that differ
/// only in their texts are stored once): it is read back from the key's text by its UTF-16
/// offsets, exactly, whatever the characters before it; a span outside the text is refused.
#[test]
fn evidence_spans_are_read_back_from_the_line_texts() {
    let rules = json!([]);
    let pages = [page(&[
        invoice(
            1,
            1,
            "V1",
            "Zoom Vidéo 🎥 Communications Inc",
            "🎥 naïve Zoom Business annual",
        ),
        invoice(
            2,
            1,
            "V1",
            "Zoom Vidéo 🎥 Communications Inc",
            "🎥 Zoom Business – 12 mois",
        ),
        invoice(3, 1, "V2", "Slack Technologies Limited", "Slack Pro"),
    ])];
    let mut first = fed(rules.clone(), None, &pages);
    let want = outputs(&mut first);
    let explain = |e: &mut Engine| {
        serde_json::to_string(&e.explain(
            "Zoom Vidéo 🎥 Communications Inc",
            Some("🎥 naïve Zoom Business annual"),
        ))
        .unwrap()
    };
    let want_explain = explain(&mut first);
    let snapshot = first.export_decisions();
    assert!(
        snapshot
            .matches
            .iter()
            .flat_map(|m| &m.evidence)
            .all(|e| e.text.is_none()),
        "every span is of the line's texts: {snapshot:?}"
    );
    let mut back = engine(rules.clone(), None);
    back.restore_decisions(&snapshot).unwrap();
    for p in &pages {
        back.add_page_text(None, None, p);
    }
    assert_same(&outputs(&mut back), &want, "restored");
    assert_eq!(explain(&mut back), want_explain);
    // Only `outputs`' explained Acme line, which no document bills (the build forgets it).
    assert_eq!(back.decisions_computed(), 1);

    let mut bad = snapshot.clone();
    let m = bad.lines.iter().position(|l| l.matched.is_some()).unwrap();
    let ix = bad.lines[m].matched.unwrap() as usize;
    bad.matches[ix].evidence[0].end = 10_000;
    let err = engine(rules, None).restore_decisions(&bad).unwrap_err();
    assert_eq!(err.code.as_str(), "STATE_INVALID");
    assert_eq!(
        err.path.as_deref(),
        Some(format!("decisions/lines/{m}").as_str())
    );
}

/// Issue 17, the Worker's report (`Engine::from_states` merges one state per company): each
/// company's kept verdicts are reused, but for those that consulted a word whose standing in
/// the merged data differs from the one they were decided with; the result is the single
/// engine's, byte for byte. One company's 30 vendors make "monday" generic in the merged data:
/// the other's Acme "Monday plan" (decided where it was not generic) is analysed again, and
/// the first company's own "Monday" lines too (the count they quote changes).
#[test]
fn merged_states_reuse_each_companys_decisions_where_the_merged_vocabulary_agrees() {
    const C2: &str = "8e1b3ef6-9c3e-ef11-8409-000d3a7e3f2d";
    let rules = json!([]);
    let a_pages = vec![monday_vendors(30).replace(C, C2)];
    let b_pages = vec![recurring(2)];
    let word = |s: &DecisionsSnapshot, w: u32| s.texts[w as usize].clone();
    let mut states = Vec::new();
    let mut consulted_monday = 0;
    for pages in [&a_pages, &b_pages] {
        let mut e = fed(rules.clone(), None, pages);
        e.transactions();
        let snapshot = e.export_decisions();
        consulted_monday += snapshot
            .lines
            .iter()
            .filter(|l| l.words.iter().any(|&w| word(&snapshot, w) == "monday"))
            .count() as u64;
        states.push(e.export_state());
    }
    assert!(
        consulted_monday > 30,
        "Acme's line and the 30 vendors' consult it"
    );
    let mut all = a_pages.clone();
    all.extend(b_pages.iter().cloned());
    let mut single = fed(rules.clone(), None, &all);
    let distinct = {
        single.transactions();
        single.decisions_computed()
    };
    let mut merged =
        Engine::from_states(options(rules.clone(), None), &[&states[0], &states[1]]).unwrap();
    merged.transactions();
    assert_eq!(
        merged.decisions_computed(),
        consulted_monday,
        "only the verdicts that consulted `monday`, of {distinct} keys"
    );
    assert_same(
        &outputs(&mut merged),
        &outputs(&mut single),
        "merged from one state per company",
    );

    // A verdict that consulted a word the merged data counts exactly as the first state did,
    // but the second did not: SoftwareONE reselling "Monday plan" adds no vendor to the count
    // (the catalog knows it), so `monday` stands as in the first company's vocabulary, while
    // the second company decided the line where it was not generic (matched to monday.com).
    let b_pages = vec![page(&[
        invoice(7001, 3, "V012", "SoftwareONE AG", "Monday plan"),
        invoice(7002, 3, "V001", "Slack Technologies Limited", "Slack Pro"),
    ])];
    let mut b = fed(rules.clone(), None, &b_pages);
    b.transactions();
    let mut all = a_pages.clone();
    all.extend(b_pages.iter().cloned());
    let mut merged = Engine::from_states(
        options(rules.clone(), None),
        &[&states[0], &b.export_state()],
    )
    .unwrap();
    merged.transactions();
    assert_eq!(merged.decisions_computed(), 1, "the reseller's line alone");
    assert_same(
        &outputs(&mut merged),
        &outputs(&mut fed(rules.clone(), None, &all)),
        "merged, the reseller's line decided where `monday` was not generic",
    );
}

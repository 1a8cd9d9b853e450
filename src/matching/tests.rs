//! Unit tests on a small catalog of their own, so they do not move when the shipped data does.

use super::*;
use crate::error::ErrorCode;
use serde_json::json;

fn catalog() -> Catalog {
    let data = Catalog::from_json_value(&json!({
        "apps": [
            {"id": "slack", "name": "Slack", "category": "communication", "vendors": ["Slack Technologies, LLC", "Slack Technologies Limited"], "products": ["Slack Pro", "Slack Business+"], "keywords": ["slack"], "domains": ["slack.com"], "parent": "salesforce-group"},
            {"id": "salesforce", "name": "Salesforce", "category": "crm-sales", "products": ["Sales Cloud", "Service Cloud", "Salesforce Sandbox"], "keywords": ["salesforce"], "parent": "salesforce-group"},
            {"id": "zoom", "name": "Zoom", "category": "communication", "vendors": ["Zoom Video Communications, Inc."], "products": ["Zoom Workplace", "Zoom Phone", "Zoom Rooms"], "keywords": ["zoom"], "domains": ["zoom.us", "zoom.com"]},
            {"id": "zoominfo", "name": "ZoomInfo", "category": "crm-sales", "vendors": ["ZoomInfo Technologies LLC"], "keywords": ["zoominfo"], "domains": ["zoominfo.com"]},
            {"id": "box", "name": "Box", "category": "storage", "vendors": ["Box, Inc."], "products": ["Box Business Plus"], "keywords": ["box"], "domains": ["box.com"]},
            {"id": "dropbox", "name": "Dropbox", "category": "storage", "vendors": ["Dropbox, Inc."], "keywords": ["dropbox"], "domains": ["dropbox.com"]},
            {"id": "monday", "name": "monday.com", "category": "project-management", "vendors": ["monday.com Ltd."], "keywords": ["monday.com"], "domains": ["monday.com"]},
            {"id": "notion", "name": "Notion", "category": "productivity", "vendors": ["Notion Labs, Inc."], "keywords": ["notion"], "domains": ["notion.so"]},
            {"id": "atlassian-jira", "name": "Jira", "category": "project-management", "products": ["Jira Software", "Jira Cloud"], "keywords": ["jira"], "parent": "atlassian"},
            {"id": "confluence", "name": "Confluence", "category": "collaboration", "keywords": ["confluence"], "parent": "atlassian"},
            {"id": "hubspot", "name": "HubSpot", "category": "crm-sales", "vendors": ["HubSpot, Inc."], "keywords": ["hubspot"], "domains": ["hubspot.com"]},
            {"id": "druva", "name": "Druva", "category": "storage", "vendors": ["Druva Inc."], "products": ["Druva inSync"], "keywords": ["druva"], "domains": ["druva.com"]},
            {"id": "datadog", "name": "Datadog", "category": "observability", "vendors": ["Datadog, Inc."], "keywords": ["datadog"], "domains": ["datadoghq.com"]},
            {"id": "aws", "name": "Amazon Web Services", "category": "cloud-infrastructure", "vendors": ["Amazon Web Services, Inc."], "keywords": ["aws", "amazon web services"], "domains": ["aws.amazon.com"]},
            {"id": "pagerduty", "name": "PagerDuty", "category": "observability", "vendors": ["PagerDuty, Inc."], "keywords": ["pagerduty"]},
            {"id": "zendesk", "name": "Zendesk", "category": "customer-support", "vendors": ["Zendesk, Inc."], "keywords": ["zendesk"]}
        ],
        "vendorGroups": [
            {"id": "atlassian", "name": "Atlassian", "vendors": ["Atlassian Pty Ltd", "Atlassian Network Services, Inc."], "domains": ["atlassian.com"], "apps": ["atlassian-jira", "confluence"], "defaultApp": null},
            {"id": "salesforce-group", "name": "Salesforce, Inc.", "vendors": ["Salesforce, Inc.", "salesforce.com EMEA Limited"], "domains": ["salesforce.com"], "apps": ["salesforce", "slack"], "defaultApp": "salesforce"}
        ],
        "resellers": [
            {"id": "shi", "name": "SHI International", "vendors": ["SHI International Corp."], "domains": ["shi.com"]}
        ]
    }))
    .unwrap();
    Catalog::from_data(data).unwrap()
}

fn matcher() -> Matcher {
    Matcher::new(catalog(), &[]).unwrap()
}

fn app(m: &Matcher, vendor: &str, desc: &str) -> Option<String> {
    m.explain(&VendorInfo::named(vendor), Some(desc))
        .matched
        .map(|m| m.app_id.clone())
}

#[test]
fn vendor_entities_match_after_normalization() {
    let m = matcher();
    assert_eq!(
        app(&m, "SLACK TECHNOLOGIES, LTD.", "Pro plan 45 users").as_deref(),
        Some("slack")
    );
    assert_eq!(
        app(
            &m,
            "Zoom Video Communications UK Ltd",
            "Invoice 12345 Jan 2025"
        )
        .as_deref(),
        Some("zoom")
    );
    assert_eq!(
        app(&m, "Zoom Communications, Inc.", "Workplace Pro").as_deref(),
        Some("zoom")
    );
    assert_eq!(
        app(&m, "ZoomInfo Technologies LLC", "SalesOS").as_deref(),
        Some("zoominfo")
    );
    assert_eq!(
        app(&m, "Box, Inc.", "Enterprise renewal").as_deref(),
        Some("box")
    );
    assert_eq!(
        app(&m, "monday.com Ltd.", "Pro 25 seats").as_deref(),
        Some("monday")
    );
}

#[test]
fn near_misses_stay_unmatched() {
    let m = matcher();
    for (vendor, desc) in [
        ("Slack Line Fitness GmbH", "Monatsbeitrag Firmenfitness"),
        ("Zoom Dental Clinic", "Dental checkup"),
        ("Monday Bakery Ltd", "Team breakfast pastries"),
        ("Box Office Catering", "Catering - all hands"),
        ("Notion Print Shop", "Business cards x 500"),
        ("Zen Desk Furniture Ltd", "Standing desks x 6"),
        ("Box It Self Storage", "Storage unit 40 sq ft"),
    ] {
        let d = m.explain(&VendorInfo::named(vendor), Some(desc));
        assert!(d.matched.is_none(), "{vendor}: {:?}", d.matched);
    }
    let d = m.explain(&VendorInfo::named("Zoom Dental Clinic"), None);
    let r = d.rejected.expect("a rejected candidate");
    assert_eq!(r.app_id.as_deref(), Some("zoom"));
    assert!(r.reason.contains("'Zoom' is a common word"), "{}", r.reason);
    assert!(r.reason.contains("'Dental'"), "{}", r.reason);
}

#[test]
fn typos_of_distinctive_names_are_tolerated() {
    let m = matcher();
    assert_eq!(
        app(&m, "Hubspt Inc", "Sales Hub Starter").as_deref(),
        Some("hubspot")
    );
    assert_eq!(
        app(&m, "Datadgo Inc", "Infrastructure monitoring").as_deref(),
        Some("datadog")
    );
    assert_eq!(
        app(&m, "Atlasian Pty Ltd", "Jira Cloud Standard").as_deref(),
        Some("atlassian-jira")
    );
    assert_eq!(
        app(&m, "Pager Duty Inc.", "Business plan").as_deref(),
        Some("pagerduty")
    );
    let d = m.explain(&VendorInfo::named("Hubspt Inc"), None);
    let ev = &d.matched.unwrap().evidence[0];
    assert_eq!(ev.text, "Hubspt");
    assert_eq!(ev.alias.as_deref(), Some("hubspot"));
}

#[test]
fn multi_product_vendors_are_decided_by_description() {
    let m = matcher();
    assert_eq!(
        app(
            &m,
            "Atlassian Pty Ltd",
            "Confluence Cloud Premium 120 users"
        )
        .as_deref(),
        Some("confluence")
    );
    assert_eq!(app(&m, "Atlassian Pty Ltd", "Invoice IN-004-552311"), None);
    assert_eq!(
        app(&m, "Salesforce UK Limited", "Slack Business+ - 140 users").as_deref(),
        Some("slack")
    );
    assert_eq!(
        app(&m, "Salesforce, Inc.", "Service Cloud Professional 8 users").as_deref(),
        Some("salesforce")
    );
    // The default app needs a subscription word on the line.
    assert_eq!(
        app(&m, "Salesforce, Inc.", "Annual subscription").as_deref(),
        Some("salesforce")
    );
    assert_eq!(
        app(
            &m,
            "Salesforce, Inc.",
            "Dreamforce 2026 full conference pass x 2"
        ),
        None
    );
}

#[test]
fn resellers_and_marketplaces() {
    let m = matcher();
    assert_eq!(
        app(
            &m,
            "SHI International Corp.",
            "Druva inSync Salesforce Sandbox 50 users"
        )
        .as_deref(),
        Some("druva")
    );
    assert_eq!(
        app(
            &m,
            "SHI International Corp.",
            "Backup for Salesforce by Druva"
        )
        .as_deref(),
        Some("druva")
    );
    assert_eq!(
        app(
            &m,
            "SHI International Corp.",
            "Professional services - migration"
        ),
        None
    );
    assert_eq!(
        app(
            &m,
            "Amazon Web Services, Inc.",
            "AWS Marketplace: Datadog Pro - Oct 2026"
        )
        .as_deref(),
        Some("datadog")
    );
    assert_eq!(
        app(&m, "Amazon Web Services, Inc.", "Amazon EC2, S3 charges").as_deref(),
        Some("aws")
    );
    let d = m.explain(
        &VendorInfo::named("SHI International Corp."),
        Some("Zoom Workplace Business - 50 licences"),
    );
    let mt = d.matched.unwrap();
    assert_eq!(mt.via.as_ref().unwrap().id, "shi");
    assert_eq!(mt.decided_by, DecidedBy::Description);
}

#[test]
fn non_saas_lines_stay_unmatched() {
    let m = matcher();
    assert_eq!(
        app(&m, "SHI International Corp.", "Dell Latitude 7440 laptop"),
        None
    );
    assert_eq!(
        app(
            &m,
            "Zoom Video Communications, Inc.",
            "Zoom Rooms - 4 rooms annual"
        )
        .as_deref(),
        Some("zoom")
    );
    let d = m.explain(
        &VendorInfo::named("Box, Inc."),
        Some("Hotel - 3 nights Chicago"),
    );
    assert!(d.rejected.unwrap().reason.contains("travel"));
}

/// "Paket" is a parcel on its own, but a hyphen-joined compound whose head is subscription
/// vocabulary is a bundle of it, as "Lizenzpaket" written as one word is (issue 18).
#[test]
fn a_licence_or_token_bundle_is_not_a_parcel() {
    let m = matcher();
    let shi = "SHI International Corp.";
    assert_eq!(
        app(&m, shi, "Token-Paket Datadog 500").as_deref(),
        Some("datadog")
    );
    assert_eq!(
        app(&m, shi, "Slack Pro Lizenz-Paket 25 Benutzer").as_deref(),
        Some("slack")
    );
    for parcel in ["Paket Slack Pro", "DHL-Paket Slack Pro"] {
        let d = m.explain(&VendorInfo::named(shi), Some(parcel));
        assert_eq!(
            d.rejected.and_then(|r| r.not_software.clone()).as_deref(),
            Some("shipping"),
            "{parcel}"
        );
    }
}

#[test]
fn website_and_email_domains() {
    let m = matcher();
    let v = VendorInfo {
        name: "V-10442",
        number: None,
        website: None,
        email: Some("ar@zendesk.com"),
    };
    assert!(
        m.explain(&v, Some("Invoice 2026-INV-77213"))
            .matched
            .is_none(),
        "zendesk.com is not in this catalog"
    );
    let v = VendorInfo {
        name: "Online Services",
        number: None,
        website: Some("https://www.dropbox.com/"),
        email: None,
    };
    let d = m.explain(&v, Some("Annual plan renewal")).matched.unwrap();
    assert_eq!(d.app_id, "dropbox");
    assert_eq!(d.decided_by, DecidedBy::VendorDomain);
    assert_eq!(d.evidence[0].field, "website");
    assert_eq!(d.evidence[0].text, "dropbox.com");
    let v = VendorInfo {
        name: "Acme",
        number: None,
        website: None,
        email: Some("someone@gmail.com"),
    };
    assert!(m.explain(&v, None).matched.is_none());
}

#[test]
fn evidence_offsets_are_utf16() {
    let m = matcher();
    let desc = "Ölförbrukning 😀 Dropbox Plus";
    let d = m
        .explain(&VendorInfo::named("Kreditkarte"), Some(desc))
        .matched
        .unwrap();
    let ev = &d.evidence[0];
    let utf16: Vec<u16> = desc.encode_utf16().collect();
    assert_eq!(
        String::from_utf16(&utf16[ev.start..ev.end]).unwrap(),
        "Dropbox"
    );
}

#[test]
fn invoices_vote_by_amount_and_keep_freight_with_the_main_app() {
    let m = matcher();
    let lines = [
        LineInfo::item("Zoom Workplace Business 50 licences", 50_000_000),
        LineInfo::item("Slack Pro 10 users", 10_000_000),
        LineInfo {
            description: "Shipping",
            held_description: None,
            description2: None,
            line_type: LineType::Charge,
            account_number: None,
            amount: 100_000,
        },
        LineInfo {
            description: "Thank you for your order",
            held_description: None,
            description2: None,
            line_type: LineType::Comment,
            account_number: None,
            amount: 0,
        },
    ];
    let r = m.match_invoice(&VendorInfo::named("SHI International Corp."), &lines);
    let inv = r.invoice.matched.unwrap();
    assert_eq!(inv.app_id, "zoom");
    assert_eq!(inv.runner_up.as_ref().unwrap().app_id, "slack");
    assert_eq!(
        r.lines[1].decision.matched.as_ref().unwrap().app_id,
        "slack"
    );
    assert_eq!(r.lines[2].role, LineRole::Freight);
    assert_eq!(r.lines[2].decision.matched.as_ref().unwrap().app_id, "zoom");
    assert_eq!(r.lines[3].role, LineRole::Comment);
}

#[test]
fn an_invoice_without_lines_is_decided_by_its_vendor() {
    let m = matcher();
    let r = m.match_invoice(&VendorInfo::named("Slack Technologies Limited"), &[]);
    assert_eq!(r.invoice.matched.unwrap().app_id, "slack");
    assert!(r.lines.is_empty());
}

#[test]
fn rules_come_first() {
    let rules: Vec<RuleSpec> = parse_rules(&json!([
        {"id": "dental", "priority": 1, "action": "ignore", "vendor": {"op": "contains", "value": "dental"}},
        {"id": "acme-is-slack", "priority": 2, "action": "matchTo", "appId": "slack", "vendor": {"op": "regex", "value": "^acme\\b"}, "description": {"op": "contains", "value": "chat"}}
    ]))
    .unwrap();
    let m = Matcher::new(catalog(), &rules).unwrap();
    let d = m.explain(&VendorInfo::named("Zoom Dental"), Some("Zoom Pro"));
    assert_eq!(d.ignored_by_rule.as_deref(), Some("dental"));
    let d = m
        .explain(&VendorInfo::named("ACME Corp"), Some("Team chat tool"))
        .matched
        .unwrap();
    assert_eq!(d.app_id, "slack");
    assert_eq!(d.decided_by, DecidedBy::Rule);
    assert_eq!(d.rule_id.as_deref(), Some("acme-is-slack"));
    assert_eq!(d.evidence.len(), 2);
    assert_eq!(d.evidence[1].text, "chat");
}

fn rule_err(v: serde_json::Value) -> ConfigError {
    match parse_rules(&v) {
        Err(e) => e,
        Ok(rules) => Matcher::new(catalog(), &rules).unwrap_err(),
    }
}

#[test]
fn rule_errors_are_precise() {
    let e = rule_err(
        json!([{"id": "a", "priority": 1, "action": "matchTo", "appId": "slak", "vendor": {"op": "equals", "value": "x"}}]),
    );
    assert_eq!(e.code, ErrorCode::RuleUnknownApp);
    assert!(
        e.message.contains("rule 0 ('a')") && e.message.contains("did you mean 'slack'"),
        "{}",
        e.message
    );
    assert_eq!(e.path.as_deref(), Some("rules/0/appId"));

    let e = rule_err(
        json!([{"id": "a", "priority": 1, "action": "ignore", "description": {"op": "regex", "value": "(unclosed"}}]),
    );
    assert_eq!(e.code, ErrorCode::RuleRegexInvalid);
    assert_eq!(e.path.as_deref(), Some("rules/0/description/value"));

    let e = rule_err(
        json!([{"id": "big", "priority": 1, "action": "ignore", "description": {"op": "regex", "value": "(\\w{50}){50}"}}]),
    );
    assert_eq!(e.code, ErrorCode::RuleRegexTooLarge, "{}", e.message);

    let e = rule_err(
        json!([{"id": "a", "priority": 1, "action": "ignore", "vendr": {"op": "equals", "value": "x"}}]),
    );
    assert_eq!(e.code, ErrorCode::RuleInvalid);
    assert!(e.message.contains("vendr"));

    let e = rule_err(json!([{"id": "a", "priority": 1, "action": "ignore"}]));
    assert!(e.message.contains("no condition"));
    let e = rule_err(
        json!([{"id": "a", "priority": 1, "action": "matchTo", "vendor": {"op": "equals", "value": "x"}}]),
    );
    assert_eq!(e.path.as_deref(), Some("rules/0/appId"));
}

#[test]
fn rule_conflicts_are_rejected() {
    // Same priority, both can fire on "Acme Zoom".
    let e = rule_err(json!([
        {"id": "a", "priority": 5, "action": "ignore", "vendor": {"op": "contains", "value": "acme"}},
        {"id": "b", "priority": 5, "action": "matchTo", "appId": "zoom", "vendor": {"op": "contains", "value": "zoom"}}
    ]));
    assert_eq!(e.code, ErrorCode::RuleConflict);
    assert_eq!(e.path.as_deref(), Some("rules/1/priority"));
    // Same priority, but exclusive equals values: fine.
    let ok = parse_rules(&json!([
        {"id": "a", "priority": 5, "action": "ignore", "vendor": {"op": "equals", "value": "Acme"}},
        {"id": "b", "priority": 5, "action": "matchTo", "appId": "zoom", "vendor": {"op": "equals", "value": "Zoomers"}}
    ]))
    .unwrap();
    assert!(Matcher::new(catalog(), &ok).is_ok());
    // Equals vs a contains that it satisfies: conflict.
    let e = rule_err(json!([
        {"id": "a", "priority": 5, "action": "ignore", "vendor": {"op": "equals", "value": "Acme Zoom"}},
        {"id": "b", "priority": 5, "action": "matchTo", "appId": "zoom", "vendor": {"op": "contains", "value": "zoom"}}
    ]));
    assert_eq!(e.code, ErrorCode::RuleConflict);
}

#[test]
fn untrusted_text_never_panics() {
    let m = matcher();
    for s in [
        "",
        " ",
        "\u{0}",
        "💥💥",
        "a@b",
        "http://",
        "...",
        "x.y.z.",
        "İstanbul ß ǅ",
        "@@@.com",
        "-",
        "1,2,3.4.5",
        "www.",
        "\u{200b}Slack",
    ] {
        let _ = m.explain(
            &VendorInfo {
                name: s,
                number: Some(s),
                website: Some(s),
                email: Some(s),
            },
            Some(s),
        );
    }
}

#[test]
fn explain_output_serializes_for_a_reader() {
    let m = matcher();
    let d = m.explain(
        &VendorInfo::named("Atlassian Pty Ltd"),
        Some("Jira Software Cloud Standard - 85 users"),
    );
    let v = serde_json::to_value(&d).unwrap();
    assert_eq!(v["match"]["appId"], "atlassian-jira");
    assert_eq!(v["match"]["decidedBy"], "description");
    assert_eq!(v["match"]["via"]["kind"], "vendorGroup");
    assert!(v["match"]["confidence"].as_f64().unwrap() > 0.5);
    let d = m.explain(
        &VendorInfo::named("Atlassian Pty Ltd"),
        Some("Invoice IN-004"),
    );
    let v = serde_json::to_value(&d).unwrap();
    assert!(v["match"].is_null());
    assert!(v["rejected"]["reason"]
        .as_str()
        .unwrap()
        .contains("sells several apps"));
    assert_eq!(v["rejected"]["candidates"].as_array().unwrap().len(), 2);
}

#[cfg(not(target_arch = "wasm32"))]
mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

        /// Any text: no panic, and every evidence span is a valid UTF-16 range of its field
        /// whose text is the evidence text.
        #[test]
        fn any_text_is_handled(vendor in "\\PC{0,40}", desc in "\\PC{0,60}", site in "[a-z.:/@]{0,20}") {
            let m = matcher();
            let v = VendorInfo { name: &vendor, number: None, website: Some(&site), email: Some(&site) };
            let r = m.match_invoice(&v, &[LineInfo::item(&desc, 1), LineInfo::item("Zoom Pro", -5)]);
            for d in std::iter::once(&r.invoice).chain(r.lines.iter().map(|l| &l.decision)) {
                if let Some(mt) = &d.matched {
                    prop_assert!((0.0..=1.0).contains(&mt.confidence));
                    for ev in &mt.evidence {
                        let field = match ev.field {
                            "vendor" => vendor.as_str(),
                            "description" => if ev.text == "Zoom" || ev.text == "Zoom Pro" { continue } else { desc.as_str() },
                            _ => site.as_str(),
                        };
                        let u: Vec<u16> = field.encode_utf16().collect();
                        prop_assert!(ev.start <= ev.end && ev.end <= u.len());
                        if ev.alias.is_none() || ev.kind != "domain" {
                            prop_assert_eq!(String::from_utf16_lossy(&u[ev.start..ev.end]), ev.text.clone());
                        }
                    }
                }
            }
        }

        /// Brand words inside unrelated words never match ("Boxed", "Slackline", "Zoomer").
        #[test]
        fn brands_match_whole_words_only(prefix in "[a-z]{1,4}", suffix in "[a-z]{1,4}") {
            let m = matcher();
            for brand in ["box", "zoom", "slack", "notion"] {
                let word = format!("{prefix}{brand}{suffix}");
                let d = m.explain(&VendorInfo::named(&word), Some(&format!("{word} subscription")));
                if let Some(mt) = d.matched {
                    // Only a typo repair may map a longer word to a brand, never a substring.
                    prop_assert!(mt.evidence.iter().all(|e| e.alias.is_some()), "{} matched {}", word, mt.app_id);
                }
            }
        }
    }
}

#[test]
fn analysis_cache_keeps_recurring_texts_across_generations() {
    let a = |n: usize| {
        std::sync::Arc::new(Analysis {
            toks: Vec::new(),
            hits: Vec::with_capacity(n),
            signal: false,
        })
    };
    let mut c = AnalysisCache::default();
    c.insert("monthly".into(), a(1));
    // Fill the newer generation; "monthly" is read again on the way, so it stays.
    for i in 0..ANALYSIS_CACHE_GENERATION {
        c.insert(format!("one-off {i}"), a(0));
        if i == ANALYSIS_CACHE_GENERATION / 2 {
            assert!(c.get("monthly").is_some());
        }
    }
    for i in 0..ANALYSIS_CACHE_GENERATION {
        c.insert(format!("later {i}"), a(0));
        if i == ANALYSIS_CACHE_GENERATION / 2 {
            assert!(c.get("monthly").is_some());
        }
    }
    assert!(
        c.get("monthly").is_some(),
        "a text read in each generation is kept"
    );
    for i in 0..ANALYSIS_CACHE_GENERATION * 2 {
        c.insert(format!("last {i}"), a(0));
    }
    assert!(
        c.get("monthly").is_none(),
        "a text not read for two generations is dropped"
    );
    assert!(c.get("one-off 0").is_none());
    assert!(c.new.len() + c.old.len() <= 2 * ANALYSIS_CACHE_GENERATION);
    c.clear();
    assert!(c.get("monthly").is_none());
}

/// The shipped catalog's blob (`build.rs`) holds the catalog once: the matcher's index decoded from
/// it, with the owners, domains and family vocabularies made again from the catalog's entries, is
/// the index compiled from the decoded catalog.
#[test]
fn the_embedded_index_is_the_decoded_catalog_compiled() {
    let decoded = compiled::IndexData::decode(crate::catalog::BUILTIN_BYTES).unwrap();
    let built = compiled::IndexData::build(
        Catalog::builtin().data(),
        lexicon(),
        &lexicon::is_common_word,
    );
    assert!(
        decoded == built,
        "the decoded index differs from a fresh build"
    );
    // Bytes that end early are refused, not a panic.
    let b = crate::catalog::BUILTIN_BYTES;
    for n in [0, 5, b.len() / 3, b.len() / 2, b.len() - 1] {
        assert!(compiled::IndexData::decode(&b[..n]).is_none());
    }
}

#[test]
fn lines_that_differ_only_in_a_date_share_one_match_and_one_rejection() {
    // Monthly lines: each text is a key of its own (a verdict each), but their verdicts are
    // equal, so the table and the transactions hold one match and one rejection for them.
    let m = matcher();
    let slack = VendorInfo::named("Slack Technologies Limited");
    let mystery = VendorInfo::named("Quarzlampen Werk GmbH");
    let month = |vendor: &VendorInfo, text: &str| {
        let line = LineInfo::item(text, 10_000_000);
        m.match_invoice(vendor, &[line]).lines.remove(0).decision
    };
    let (nov, dec) = (
        month(&slack, "Slack Pro - Nov 2026"),
        month(&slack, "Slack Pro - Dec 2026"),
    );
    let (a, b) = (nov.matched.unwrap(), dec.matched.unwrap());
    assert_eq!(a.app_id, "slack");
    assert!(Arc::ptr_eq(&a, &b), "one match for both months");
    // Read back from the table: still the one match.
    let again = month(&slack, "Slack Pro - Nov 2026").matched.unwrap();
    assert!(Arc::ptr_eq(&a, &again));
    // A different match is not merged into it.
    let other = month(&slack, "Slack Business+ - Nov 2026").matched.unwrap();
    assert!(!Arc::ptr_eq(&a, &other));
    assert_ne!(*a, *other);

    let (x, y) = (
        month(&mystery, "Office rent November 2026")
            .rejected
            .unwrap(),
        month(&mystery, "Office rent December 2026")
            .rejected
            .unwrap(),
    );
    assert_eq!(*x, *y);
    assert!(Arc::ptr_eq(&x, &y), "one rejection for both months");
}

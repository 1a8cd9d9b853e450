//! Insight precision and recall on labelled scenarios (`tests/insights/scenarios/*.json`, and
//! the holdout written with them and never tuned on, `tests/insights/holdout/*.json`; format in
//! `tests/insights/README.md`). Each scenario is a year of invoices, turned into Business
//! Central pages and run through the whole engine (matching included), with the insights that
//! must appear and those that must not. Fails below 0.95 precision or recall on any insight kind.
#![cfg(not(target_arch = "wasm32"))]

use bc_spend::engine::{Engine, EngineOptions};
use bc_spend::report::{Insight, Report, ReportOptions};
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const THRESHOLD: f64 = 0.95;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Scenario {
    about: String,
    #[serde(default = "default_as_of", rename = "asOf")]
    as_of: String,
    #[serde(default)]
    companies: Vec<Company>,
    series: Vec<Series>,
    #[serde(default)]
    expect: Vec<Label>,
    #[serde(default)]
    forbid: Vec<Label>,
}

fn default_as_of() -> String {
    "2026-11-26".into()
}

#[derive(Deserialize, Clone)]
#[serde(deny_unknown_fields)]
struct Company {
    key: String,
    name: String,
    currency: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Series {
    vendor: String,
    #[serde(default)]
    company: Option<String>,
    /// The first charge's date; the next ones `every` months later, on the same day.
    start: String,
    #[serde(default = "one")]
    every: u32,
    /// One amount per charge ...
    #[serde(default)]
    amounts: Vec<String>,
    /// ... or one amount `count` times.
    #[serde(default)]
    amount: Option<String>,
    #[serde(default)]
    count: Option<u32>,
    /// The line's description; `{month}` becomes the charge's month ("Mar 2026"), `{seats}`
    /// the charge's seat count.
    description: String,
    /// One seat count per charge, for `{seats}`.
    #[serde(default)]
    seats: Vec<u32>,
    #[serde(default)]
    website: Option<String>,
}

fn one() -> u32 {
    1
}

/// An insight that must (or must not) appear: its kind ("*" for any) and what it is about.
#[derive(Deserialize, Clone, Debug)]
#[serde(deny_unknown_fields)]
struct Label {
    kind: String,
    #[serde(default)]
    app: Option<String>,
    #[serde(default)]
    vendor: Option<String>,
    #[serde(default)]
    company: Option<String>,
}

impl Label {
    fn matches(&self, i: &Insight, companies: &BTreeMap<String, String>) -> bool {
        (self.kind == "*" || self.kind == i.kind)
            && self.app.as_ref().map_or(true, |a| {
                i.app_id.as_deref() == Some(a.as_str()) || i.app_ids.contains(a)
            })
            && self
                .vendor
                .as_ref()
                .map_or(true, |v| i.vendor_name.as_deref() == Some(v.as_str()))
            && self.company.as_ref().map_or(true, |c| {
                i.company_id.as_deref() == companies.get(c).map(String::as_str)
            })
    }
}

fn fixture(p: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(p);
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn guid(kind: u32, n: usize) -> String {
    format!("5ce7a410-{kind:04x}-4000-8000-{n:012x}")
}

fn add_months(date: &str, m: u32) -> String {
    let (y, mo, d): (i32, i32, &str) = (
        date[..4].parse().unwrap(),
        date[5..7].parse().unwrap(),
        &date[8..],
    );
    let idx = y * 12 + mo - 1 + m as i32;
    let day: u32 = d.parse().unwrap();
    let dim = match idx % 12 + 1 {
        2 if (idx / 12) % 4 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    format!("{:04}-{:02}-{:02}", idx / 12, idx % 12 + 1, day.min(dim))
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// The engine holding the scenario's pages, and the company ids by key.
fn engine_of(s: &Scenario) -> (Engine, BTreeMap<String, String>) {
    let companies = if s.companies.is_empty() {
        vec![Company {
            key: "main".into(),
            name: "CRONUS UK Ltd.".into(),
            currency: "GBP".into(),
        }]
    } else {
        s.companies.clone()
    };
    let ids: BTreeMap<String, String> = companies
        .iter()
        .enumerate()
        .map(|(i, c)| (c.key.clone(), guid(0xc0, i)))
        .collect();
    let mut e = Engine::new(EngineOptions {
        connected_at: Some(s.as_of.clone()),
        ..Default::default()
    })
    .unwrap();
    let base = "https://api.businesscentral.dynamics.com/v2.0/7d2c1c8e-3b7a-4bb0-9d0e-0a3f6c1e5b21/production/api/v2.0/$metadata#companies";
    let mut list = fixture("sample/companies.json");
    let template = list["value"][0].clone();
    list["value"] = json!(companies
        .iter()
        .map(|c| {
            let mut x = template.clone();
            x["id"] = json!(ids[&c.key]);
            x["name"] = json!(c.name);
            x["displayName"] = json!(c.name);
            x
        })
        .collect::<Vec<_>>());
    let mut pages = vec![list.to_string()];
    let inv_template = fixture("sample/uk-purchaseInvoices.json")["value"][0].clone();
    let line_template = inv_template["purchaseInvoiceLines"][0].clone();
    let card_template = fixture("sample/uk-vendors.json")["value"][0].clone();
    for c in &companies {
        let id = &ids[&c.key];
        let mut gl = fixture("sample/uk-generalLedgerSetup.json");
        gl["@odata.context"] = json!(format!("{base}({id})/generalLedgerSetup"));
        gl["value"][0]["localCurrencyCode"] = json!(c.currency);
        pages.push(gl.to_string());
        let mut docs = Vec::new();
        let mut cards: BTreeMap<String, Value> = BTreeMap::new();
        for (si, sr) in s.series.iter().enumerate() {
            if sr.company.as_deref().unwrap_or(&companies[0].key) != c.key {
                continue;
            }
            let vendor_id = guid(0xd0, cards.len() + 1000 * si);
            let vendor_id = cards
                .get(&sr.vendor)
                .map(|v| v["id"].as_str().unwrap().to_owned())
                .unwrap_or(vendor_id);
            let number = format!("V{si:03}");
            let mut card = card_template.clone();
            card["id"] = json!(vendor_id);
            card["number"] = json!(number);
            card["displayName"] = json!(sr.vendor);
            card["email"] = json!("");
            card["website"] = json!(sr.website.clone().unwrap_or_default());
            cards.entry(sr.vendor.clone()).or_insert(card);
            let amounts: Vec<String> = if sr.amounts.is_empty() {
                let a = sr.amount.clone().expect("amount or amounts");
                vec![a; sr.count.unwrap_or(1) as usize]
            } else {
                sr.amounts.clone()
            };
            for (k, a) in amounts.iter().enumerate() {
                let date = add_months(&sr.start, sr.every * k as u32);
                let n = docs.len() + 100 * si;
                let doc_id = guid(0xe0, n);
                let month = format!(
                    "{} {}",
                    MONTHS[date[5..7].parse::<usize>().unwrap() - 1],
                    &date[..4]
                );
                let amount: f64 = a.parse().unwrap();
                let mut line = line_template.clone();
                line["id"] = json!(guid(0xf0, n));
                line["documentId"] = json!(doc_id);
                let seats = sr.seats.get(k).map(u32::to_string).unwrap_or_default();
                line["description"] = json!(sr
                    .description
                    .replace("{month}", &month)
                    .replace("{seats}", &seats));
                line["description2"] = json!("");
                line["unitCost"] = json!(amount);
                line["quantity"] = json!(1);
                line["netAmount"] = json!(amount);
                line["netTaxAmount"] = json!(0);
                line["netAmountIncludingTax"] = json!(amount);
                let mut doc = inv_template.clone();
                for (k2, v) in [
                    ("id", doc_id.as_str()),
                    ("number", &format!("PI-{n}")),
                    ("vendorInvoiceNumber", &format!("VI-{n}")),
                    ("postingDate", &date),
                    ("invoiceDate", &date),
                    ("dueDate", &date),
                    ("vendorId", &vendor_id),
                    ("payToVendorId", &vendor_id),
                    ("vendorName", &sr.vendor),
                    ("payToName", &sr.vendor),
                    ("vendorNumber", &number),
                    ("payToVendorNumber", &number),
                ] {
                    doc[k2] = json!(v);
                }
                doc["totalAmountExcludingTax"] = json!(amount);
                doc["totalTaxAmount"] = json!(0);
                doc["totalAmountIncludingTax"] = json!(amount);
                doc["purchaseInvoiceLines"] = json!([line]);
                docs.push(doc);
            }
        }
        if !cards.is_empty() {
            pages.push(
                json!({
                    "@odata.context": format!("{base}({id})/vendors"),
                    "value": cards.into_values().collect::<Vec<_>>(),
                })
                .to_string(),
            );
        }
        pages.push(
            json!({
                "@odata.context": format!("{base}({id})/purchaseInvoices(purchaseInvoiceLines())"),
                "value": docs,
            })
            .to_string(),
        );
    }
    for p in pages {
        let r = e.add_page_text(None, None, &p);
        assert!(!r.page_rejected, "{}: page rejected", s.about);
        assert_eq!(r.rejected, 0, "{}: records rejected", s.about);
    }
    (e, ids)
}

#[derive(Default, Clone, Copy)]
struct Score {
    tp: u32,
    fp: u32,
    fn_: u32,
}

impl Score {
    fn precision(&self) -> Option<f64> {
        (self.tp + self.fp > 0).then(|| self.tp as f64 / (self.tp + self.fp) as f64)
    }
    fn recall(&self) -> Option<f64> {
        (self.tp + self.fn_ > 0).then(|| self.tp as f64 / (self.tp + self.fn_) as f64)
    }
}

/// FNV-1a, 64 bits: a digest of a report's JSON bytes (see `report_bytes_are_pinned`).
fn fnv(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// Scores, mistakes, how many scenarios, and each scenario's report digest line.
fn run(dir: &str) -> (BTreeMap<String, Score>, Vec<String>, usize, String) {
    let root: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/insights")
        .join(dir);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    let mut scores: BTreeMap<String, Score> = BTreeMap::new();
    let mut mistakes = Vec::new();
    let mut digests = String::new();
    for f in &files {
        let name = f.file_stem().unwrap().to_string_lossy().to_string();
        let s: Scenario = serde_json::from_str(&std::fs::read_to_string(f).unwrap())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let (mut e, ids) = engine_of(&s);
        let r: Report = e
            .report(&ReportOptions {
                as_of: Some(s.as_of.clone()),
                ..Default::default()
            })
            .unwrap();
        let json = serde_json::to_string(&r).unwrap();
        digests.push_str(&format!(
            "{dir}/{name} {:016x} {}\n",
            fnv(json.as_bytes()),
            json.len()
        ));
        for l in &s.expect {
            let hit = r.insights.iter().any(|i| l.matches(i, &ids));
            let sc = scores.entry(l.kind.clone()).or_default();
            if hit {
                sc.tp += 1;
            } else {
                sc.fn_ += 1;
                mistakes.push(format!("{name}: missed {l:?}"));
            }
        }
        for i in &r.insights {
            let expected = s.expect.iter().any(|l| l.matches(i, &ids));
            if !expected && s.forbid.iter().any(|l| l.matches(i, &ids)) {
                scores.entry(i.kind.to_owned()).or_default().fp += 1;
                mistakes.push(format!("{name}: reported {} \"{}\"", i.kind, i.title));
            }
        }
    }
    (scores, mistakes, files.len(), digests)
}

fn print(label: &str, scores: &BTreeMap<String, Score>, n: usize) {
    println!("{label}: {n} scenarios");
    println!(
        "{:<28} {:>4} {:>4} {:>4} {:>9} {:>7}",
        "kind", "tp", "fp", "fn", "precision", "recall"
    );
    let f = |x: Option<f64>| x.map_or("n/a".to_owned(), |v| format!("{v:.3}"));
    let mut all = Score::default();
    for (k, s) in scores {
        all.tp += s.tp;
        all.fp += s.fp;
        all.fn_ += s.fn_;
        println!(
            "{k:<28} {:>4} {:>4} {:>4} {:>9} {:>7}",
            s.tp,
            s.fp,
            s.fn_,
            f(s.precision()),
            f(s.recall())
        );
    }
    println!(
        "{:<28} {:>4} {:>4} {:>4} {:>9} {:>7}",
        "all",
        all.tp,
        all.fp,
        all.fn_,
        f(all.precision()),
        f(all.recall())
    );
}

#[test]
fn insight_precision_and_recall_per_kind() {
    let (dev, dev_mistakes, n_dev, dev_digests) = run("scenarios");
    let (hold, hold_mistakes, n_hold, hold_digests) = run("holdout");
    // The reports' exact bytes, pinned: building them another way must not move a byte
    // (`UPDATE_REPORT_GOLDEN=1` rewrites the file when what a report says changes on purpose).
    let digests = dev_digests + &hold_digests;
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/insights/report_digests.txt");
    if std::env::var_os("UPDATE_REPORT_GOLDEN").is_some() {
        std::fs::write(&golden, &digests).unwrap();
    }
    let expected = std::fs::read_to_string(&golden).unwrap_or_default();
    assert_eq!(expected, digests, "the scenarios' report bytes moved");
    print("scenarios", &dev, n_dev);
    print("holdout", &hold, n_hold);
    for m in dev_mistakes.iter().chain(&hold_mistakes) {
        println!("  {m}");
    }
    assert!(n_dev + n_hold >= 30, "at least 30 scenarios");
    let mut low = Vec::new();
    for (set, scores) in [("scenarios", &dev), ("holdout", &hold)] {
        for (k, s) in scores {
            for (what, v) in [("precision", s.precision()), ("recall", s.recall())] {
                if v.is_some_and(|v| v < THRESHOLD) {
                    low.push(format!("{set} {k} {what} {:.3}", v.unwrap()));
                }
            }
        }
    }
    assert!(low.is_empty(), "below {THRESHOLD}: {low:?}");
}

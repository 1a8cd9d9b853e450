//! Matching throughput, natively: lines matched per second with the shipped catalog and with a
//! catalog ten times larger (generated variants of every app), and matching time relative to
//! parsing the JSON page the lines came from.
//!
//! ```text
//! cargo run --release --example match_bench
//! ```

#[path = "../tests/matching/eval_support.rs"]
mod eval_support;

use bc_spend::bc::LineType;
use bc_spend::catalog::{AppSpec, Catalog, CatalogData};
use bc_spend::matching::{LineInfo, Matcher, VendorInfo};
use std::time::{Duration, Instant};

/// The shipped catalog plus nine generated look-alikes of every app ("slackqz3", ...): ten times
/// the apps and aliases, none of them colliding.
fn tenfold(base: &Catalog) -> Catalog {
    let mut extra = CatalogData::default();
    for k in 1..=9 {
        for a in base.apps() {
            let tag = format!("qz{k}");
            let vary = |s: &str| {
                s.split(' ')
                    .map(|w| {
                        if w.chars().any(|c| c.is_alphabetic()) {
                            format!("{w}{tag}")
                        } else {
                            w.to_string()
                        }
                    })
                    .collect::<Vec<_>>()
                    .join(" ")
            };
            extra.apps.push(AppSpec {
                id: format!("{}-{tag}", a.id),
                name: vary(&a.name),
                category: a.category.clone(),
                vendors: a.vendors.iter().map(|v| vary(v)).collect(),
                products: a.products.iter().map(|p| vary(p)).collect(),
                keywords: a.keywords.iter().map(|p| vary(p)).collect(),
                cues: vec![],
                domains: a.domains.iter().map(|d| format!("{tag}{d}")).collect(),
                parent: None,
                pricing: None,
                notes: None,
            });
        }
    }
    base.clone()
        .extend(extra)
        .expect("generated catalog is valid")
}

struct Case {
    vendor: String,
    website: Option<String>,
    email: Option<String>,
    description: String,
}

/// `cold`: every invoice's vendor is new to the matcher (its vendor cache is cleared first).
fn run(matcher: &Matcher, cases: &[Case], min_time: Duration, cold: bool) -> (usize, Duration) {
    let start = Instant::now();
    let mut lines = 0usize;
    let mut sink = 0usize;
    while start.elapsed() < min_time {
        for c in cases {
            if cold {
                matcher.clear_vendor_cache();
            }
            let v = VendorInfo {
                name: &c.vendor,
                number: None,
                website: c.website.as_deref(),
                email: c.email.as_deref(),
            };
            let line = LineInfo {
                description: &c.description,
                held_description: None,
                description2: None,
                line_type: LineType::Item,
                account_number: Some("6540"),
                amount: 10_000_000,
            };
            let m = matcher.match_invoice(&v, std::slice::from_ref(&line));
            sink += m.invoice.matched.is_some() as usize;
            lines += 1;
        }
    }
    std::hint::black_box(sink);
    (lines, start.elapsed())
}

fn main() {
    let cases: Vec<Case> = eval_support::load()
        .into_iter()
        .map(|c| Case {
            vendor: c.vendor,
            website: c.website,
            email: c.email,
            description: c.description,
        })
        .collect();
    let base = Catalog::builtin();
    let big = tenfold(&base);
    let min = Duration::from_secs(2);

    let t = Instant::now();
    let m1 = Matcher::new(base.clone(), &[]).unwrap();
    let build1 = t.elapsed();
    let t = Instant::now();
    let m10 = Matcher::new(big.clone(), &[]).unwrap();
    let build10 = t.elapsed();

    let (n1, d1) = run(&m1, &cases, min, true);
    let (n10, d10) = run(&m10, &cases, min, true);
    let (nw, dw) = run(&m1, &cases, min, false);
    let per1 = d1.as_secs_f64() / n1 as f64;
    let per10 = d10.as_secs_f64() / n10 as f64;
    let perw = dw.as_secs_f64() / nw as f64;

    // The BC page those lines would arrive in: purchaseInvoiceLines-like objects.
    let page = serde_json::json!({
        "@odata.context": "https://api.businesscentral.dynamics.com/v2.0/$metadata#companies(0)/purchaseInvoices",
        "value": cases.iter().enumerate().map(|(i, c)| serde_json::json!({
            "@odata.etag": "W/\"JzQ0O0VnQUFBQUo3Q0RBQUFBQUFBQUFBQUE9MTswMDsn\"",
            "id": format!("5d115c9c-44e3-ea11-bb43-{:012x}", i),
            "number": format!("PI-{:06}", i),
            "vendorName": c.vendor,
            "status": "Paid",
            "purchaseInvoiceLines": [{
                "id": format!("6e115c9c-44e3-ea11-bb43-{:012x}", i),
                "sequence": 10000,
                "lineType": "Account",
                "lineObjectNumber": "6540",
                "description": c.description,
                "description2": "",
                "quantity": 1,
                "directUnitCost": 1000.0,
                "netAmount": 1000.0,
                "netAmountIncludingTax": 1190.0,
                "taxCode": "VAT19"
            }]
        })).collect::<Vec<_>>()
    })
    .to_string();
    let t = Instant::now();
    let mut parses = 0usize;
    while t.elapsed() < min {
        let v: serde_json::Value = serde_json::from_str(&page).unwrap();
        std::hint::black_box(v);
        parses += 1;
    }
    let parse_per_line = t.elapsed().as_secs_f64() / (parses * cases.len()) as f64;

    println!(
        "matching throughput (native, release, one line per invoice, {} distinct eval lines)",
        cases.len()
    );
    println!("  catalog, vendor            apps   build      lines/s    us/line");
    println!(
        "  shipped, new vendors  {:>9} {:>7.1}ms {:>12.0} {:>10.2}",
        base.len(),
        build1.as_secs_f64() * 1e3,
        1.0 / per1,
        per1 * 1e6
    );
    println!(
        "  10x, new vendors      {:>9} {:>7.1}ms {:>12.0} {:>10.2}",
        big.len(),
        build10.as_secs_f64() * 1e3,
        1.0 / per10,
        per10 * 1e6
    );
    println!(
        "  shipped, known vendors{:>9} {:>9} {:>12.0} {:>10.2}",
        base.len(),
        "",
        1.0 / perw,
        perw * 1e6
    );
    println!(
        "  cost per line, 10x catalog / shipped: {:.2}",
        per10 / per1
    );
    println!();
    println!(
        "JSON page of the same lines: {} bytes; serde_json parse to a Value {:.2} us/line",
        page.len(),
        parse_per_line * 1e6
    );
    println!(
        "  matching / parsing, new vendors:   {:.2}",
        per1 / parse_per_line
    );
    println!(
        "  matching / parsing, known vendors: {:.2}",
        perw / parse_per_line
    );
}

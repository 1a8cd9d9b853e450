//! One invoice of many lines (a reseller's or a marketplace's consolidated bill), in each line
//! mode: what `summary()` costs as the lines of one invoice grow. It should grow with the lines,
//! not with their square (a search per line over the invoice's lines made 30,000 lines cost
//! ~5 s, 0.2 s once looked up).
//!
//! ```text
//! cargo run --release --example big_invoice -- 30000
//! ```
//! A third of the lines are comments, the rest alternate two descriptions with the line's
//! number (so every line is a distinct matching key).

use bc_spend::bc::Entity;
use bc_spend::engine::{Engine, EngineOptions};
use std::time::Instant;
fn main() {
    let n: usize = std::env::args().nth(1).map_or(5000, |s| s.parse().unwrap());
    let mut lines = String::new();
    for i in 0..n {
        if i > 0 {
            lines.push(',');
        }
        let (t, desc) = match i % 3 {
            0 => ("Item", "Slack Pro seats"),
            1 => ("Account", "Zoom Business annual"),
            _ => ("Comment", "note"),
        };
        let amt = if t == "Comment" { 0 } else { 10 };
        lines.push_str(&format!(r#"{{"id":"l{i}","sequence":{i},"lineType":"{t}","lineObjectNumber":"6100","description":"{desc} {i}","netAmount":{amt},"netTaxAmount":0,"netAmountIncludingTax":{amt},"invoiceDiscountAllocation":0,"quantity":1,"unitCost":{amt}}}"#));
    }
    let total = (n - n / 3) * 10;
    let page = format!(
        r#"{{"@odata.context":"https://api.businesscentral.dynamics.com/v2.0/t/production/api/v2.0/$metadata#companies(ea8329e5-afeb-5221-ad88-e9eaf3d825dd)/purchaseInvoices(purchaseInvoiceLines())","value":[{{"id":"58d2525f-269b-50b2-9ddf-740dee210f2a","number":"1","postingDate":"2026-01-15","invoiceDate":"2026-01-15","vendorName":"Big Reseller Ltd","currencyCode":"USD","totalAmountExcludingTax":{total},"totalTaxAmount":0,"totalAmountIncludingTax":{total},"status":"Paid","lastModifiedDateTime":"2026-01-15T00:00:00Z","purchaseInvoiceLines":[{lines}]}}]}}"#
    );
    for mode in ["invoice", "line", "auto"] {
        let mut e = Engine::new(EngineOptions {
            connected_at: Some("2026-11-26".into()),
            line_mode: Some(mode.into()),
            ..Default::default()
        })
        .unwrap();
        let t = Instant::now();
        let r = e.add_page_text(Some(Entity::PurchaseInvoices), None, &page);
        let ingest = t.elapsed().as_secs_f64() * 1e3;
        let t = Instant::now();
        let s = e.summary();
        let summary = t.elapsed().as_secs_f64() * 1e3;
        let t = Instant::now();
        let report = e
            .report(&bc_spend::report::ReportOptions {
                as_of: Some("2026-11-26".into()),
                ..Default::default()
            })
            .expect("report");
        std::hint::black_box(report);
        let report = t.elapsed().as_secs_f64() * 1e3;
        let t = Instant::now();
        let csv = bc_spend::export::transactions_csv(e.transactions());
        std::hint::black_box(csv);
        let csv_ms = t.elapsed().as_secs_f64() * 1e3;
        println!(
            "{mode}: {n} lines, accepted {}, {} tx: ingest {ingest:.1} ms, summary {summary:.1} ms, report {report:.1} ms, csv {csv_ms:.1} ms",
            r.accepted,
            s.transactions,
        );
    }
}

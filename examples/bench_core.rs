//! The core benchmark, natively: the same BC page files the wasm benchmark reads
//! (`www/bench/run.mjs` writes them), the same engine calls, timings printed as JSON for the
//! wasm-against-native comparison: ingest (`addPage`), matching (`summary()`) and one report
//! as of the connection date, as `www/bench/lib/core-worker.mjs` times them.
//!
//! ```text
//! cargo run --release --example bench_core -- --data DIR --pages 1,10,100 --reps 5,3,1
//! ```
//! `DIR` holds `manifest.json` and the page files; `--pages` lists set sizes in pages (a set is
//! the first N pages); `--reps` how many times each set is measured (the median is printed).

#[path = "support/bench_data.rs"]
mod bench_data;
use bc_spend::bc::Entity;
use bc_spend::engine::{Engine, EngineOptions};
use bc_spend::report::ReportOptions;
use std::time::Instant;

struct Timing {
    ingest: f64,
    matching: f64,
    report: f64,
    parse_ignored: f64,
    accepted: u64,
    transactions: u64,
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let m = xs.len() / 2;
    if xs.len() % 2 == 1 {
        xs[m]
    } else {
        (xs[m - 1] + xs[m]) / 2.0
    }
}

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1e3
}

fn run(pages: &[String], connected_at: &str) -> Timing {
    // The floor natively: serde_json reading the page without building anything.
    let mut parse_ignored = 0.0;
    for p in pages {
        let t = Instant::now();
        let v: serde::de::IgnoredAny = serde_json::from_str(p).expect("page is JSON");
        std::hint::black_box(v);
        parse_ignored += ms(t);
    }
    let mut e = Engine::new(EngineOptions {
        connected_at: Some(connected_at.into()),
        ..Default::default()
    })
    .expect("engine");
    let mut ingest = 0.0;
    let mut accepted = 0;
    for p in pages {
        let t = Instant::now();
        let r = e.add_page_text(Some(Entity::PurchaseInvoices), None, p);
        ingest += ms(t);
        accepted += r.accepted;
    }
    let t = Instant::now();
    let s = e.summary();
    let matching = ms(t);
    // As the suite's core worker: one report after the summary, as of the connection date.
    let t = Instant::now();
    let r = e
        .report(&ReportOptions {
            as_of: Some(connected_at.into()),
            ..Default::default()
        })
        .expect("report options");
    std::hint::black_box(r);
    let report = ms(t);
    Timing {
        ingest,
        matching,
        report,
        parse_ignored,
        accepted,
        transactions: s.transactions,
    }
}

fn main() {
    let mut data = String::from("tests/artifacts/bench/data");
    let mut sizes: Vec<usize> = vec![1];
    let mut reps: Vec<usize> = vec![5];
    let mut connected_at = String::from("2026-11-26");
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut val = || args.next().unwrap_or_else(|| panic!("{a} needs a value"));
        match a.as_str() {
            "--data" => data = val(),
            "--pages" => {
                sizes = val()
                    .split(',')
                    .map(|s| s.trim().parse().expect("--pages: numbers"))
                    .collect()
            }
            "--reps" => {
                reps = val()
                    .split(',')
                    .map(|s| s.trim().parse().expect("--reps: numbers"))
                    .collect()
            }
            "--connected-at" => connected_at = val(),
            other => panic!("unknown argument {other}; see the example's doc comment"),
        }
    }
    let files = bench_data::page_files(&data);

    // Warm up caches (the shipped catalog's index is built once per process, as in wasm).
    {
        let first = std::fs::read_to_string(&files[0]).expect("page");
        run(std::slice::from_ref(&first), &connected_at);
    }
    let mut out = Vec::new();
    for (i, &n) in sizes.iter().enumerate() {
        assert!(
            n <= files.len(),
            "the data set has {} pages, asked for {n}",
            files.len()
        );
        let pages: Vec<String> = files[..n]
            .iter()
            .map(|f| std::fs::read_to_string(f).expect("page"))
            .collect();
        let bytes: usize = pages.iter().map(|p| p.len()).sum();
        let r = reps.get(i).or(reps.last()).copied().unwrap_or(1).max(1);
        let runs: Vec<Timing> = (0..r).map(|_| run(&pages, &connected_at)).collect();
        let last = &runs[runs.len() - 1];
        out.push(serde_json::json!({
            "pages": n,
            "bytes": bytes,
            "reps": r,
            "invoices": last.accepted,
            "transactions": last.transactions,
            "ms": {
                "ingest": median(runs.iter().map(|t| t.ingest).collect()),
                "match": median(runs.iter().map(|t| t.matching).collect()),
                "report": median(runs.iter().map(|t| t.report).collect()),
                "parseIgnored": median(runs.iter().map(|t| t.parse_ignored).collect()),
            },
        }));
    }
    println!(
        "{}",
        serde_json::json!({ "target": std::env::consts::ARCH, "sets": out })
    );
}

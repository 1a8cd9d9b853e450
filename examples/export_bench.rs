//! The transaction files' writers, natively: builds the transactions of the bench data set's
//! first N pages once, then times writing `transactions.json` and `transactions.csv` in parts
//! as the sync host does (`transactionParts` in `www/cli/common.js`), minimum over reps; and
//! `transactions.json` through serde (`json_array_part`), the writer's reference, for comparison.
//!
//! ```text
//! cargo run --release --example export_bench -- --data DIR --pages 30 --reps 5 --chunk 2000
//! ```
//! `DIR` holds `manifest.json` and the page files (`www/bench/run.mjs` writes them).

#[path = "support/bench_data.rs"]
mod bench_data;
use bc_spend::bc::Entity;
use bc_spend::engine::{Engine, EngineOptions};
use std::time::Instant;

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1e3
}

/// The minimum time of `reps` runs of writing every part, and the bytes written.
fn time_parts(
    reps: usize,
    n: usize,
    chunk: usize,
    mut part: impl FnMut(usize, usize) -> usize,
) -> (f64, usize) {
    let mut best = f64::INFINITY;
    let mut bytes = 0;
    for _ in 0..reps {
        let t = Instant::now();
        bytes = 0;
        let mut at = 0;
        loop {
            bytes += part(at, at + chunk);
            at += chunk;
            if at >= n {
                break;
            }
        }
        best = best.min(ms(t));
    }
    (best, bytes)
}

fn main() {
    let mut data = String::from("tests/artifacts/bench/data");
    let mut pages = 30usize;
    let mut reps = 5usize;
    let mut chunk = 2000usize;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut val = || args.next().unwrap_or_else(|| panic!("{a} needs a value"));
        match a.as_str() {
            "--data" => data = val(),
            "--pages" => pages = val().parse().expect("--pages: a number"),
            "--reps" => reps = val().parse().expect("--reps: a number"),
            "--chunk" => chunk = val().parse().expect("--chunk: a number"),
            other => panic!("unknown argument {other}; see the example's doc comment"),
        }
    }
    let mut files = bench_data::page_files(&data);
    files.truncate(pages);
    let mut e = Engine::new(EngineOptions {
        connected_at: Some("2026-11-26".into()),
        ..Default::default()
    })
    .expect("engine");
    for f in &files {
        let p = std::fs::read_to_string(f).expect("page");
        e.add_page_text(Some(Entity::PurchaseInvoices), None, &p);
    }
    let txs = e.transactions();
    let n = txs.len();
    let (serde_ms, serde_bytes) = time_parts(reps, n, chunk, |a, b| {
        bc_spend::export::json_array_part(txs, a, b).unwrap().len()
    });
    let (hand_ms, hand_bytes) = time_parts(reps, n, chunk, |a, b| {
        bc_spend::export::transactions_json_part(txs, a, b).len()
    });
    let (csv_ms, csv_bytes) = time_parts(reps, n, chunk, |a, b| {
        bc_spend::export::transactions_csv_part_bytes(txs, a, b).len()
    });
    assert_eq!(
        bc_spend::export::transactions_json(txs),
        serde_json::to_vec(txs).unwrap(),
        "the hand-written JSON is serde's"
    );
    println!(
        "{}",
        serde_json::json!({
            "transactions": n,
            "reps": reps,
            "chunk": chunk,
            "jsonSerde": { "ms": serde_ms, "bytes": serde_bytes },
            "json": { "ms": hand_ms, "bytes": hand_bytes },
            "csv": { "ms": csv_ms, "bytes": csv_bytes },
        })
    );
}

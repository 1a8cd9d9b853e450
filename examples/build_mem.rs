//! What building the transactions holds, natively: the bench pages ingested into a fresh
//! engine, then the live bytes (a counting allocator) after ingest, after `summary()` (the
//! built transactions and the match decisions) and after `release_built()` (the decisions and
//! what else the build keeps), with the time of the summary.
//!
//! ```text
//! cargo run --release --example build_mem -- --data DIR --pages 50
//! ```

#[path = "support/bench_data.rs"]
mod bench_data;
#[path = "support/counting_alloc.rs"]
mod counting_alloc;

use bc_spend::bc::Entity;
use bc_spend::engine::{Engine, EngineOptions};
use counting_alloc::{CALLS, LIVE};
use std::sync::atomic::Ordering::Relaxed;
use std::time::Instant;

fn mb(b: usize) -> String {
    format!("{:.1} MB", b as f64 / 1048576.0)
}

fn main() {
    let mut data = String::from("tests/artifacts/bench/data");
    let mut pages = 10usize;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut val = || args.next().unwrap_or_else(|| panic!("{a} needs a value"));
        match a.as_str() {
            "--data" => data = val(),
            "--pages" => pages = val().parse().expect("--pages: a number"),
            other => panic!("unknown argument {other}"),
        }
    }
    let base = LIVE.load(Relaxed);
    let mut e = Engine::new(EngineOptions {
        connected_at: Some("2026-11-26".into()),
        ..Default::default()
    })
    .expect("engine");
    for file in bench_data::page_files(&data).iter().take(pages) {
        let text = std::fs::read_to_string(file).expect("page");
        e.add_page_text(Some(Entity::PurchaseInvoices), None, &text);
    }
    let ingested = LIVE.load(Relaxed) - base;
    let calls = CALLS.load(Relaxed);
    let t = Instant::now();
    let s = e.summary();
    let ms = t.elapsed().as_secs_f64() * 1e3;
    let built = LIVE.load(Relaxed) - base;
    let build_calls = CALLS.load(Relaxed) - calls;
    e.release_built();
    let released = LIVE.load(Relaxed) - base;
    println!(
        "{} transactions: after ingest {}, after summary {} (+{}, {} allocations, {ms:.0} ms), after release_built {} (transactions {}, decisions and the rest {})",
        s.transactions,
        mb(ingested),
        mb(built),
        mb(built - ingested),
        build_calls,
        mb(released),
        mb(built - released),
        mb(released - ingested),
    );
}

//! Matching alone, repeated: ingest a bench set once, then time `summary()` (which builds and
//! matches every transaction) with a fresh matcher each round, for profiling.
//!
//! ```text
//! cargo run --release --example match_prof -- --data DIR --pages 10 --rounds 5
//! ```

#[path = "support/bench_data.rs"]
mod bench_data;

use bc_spend::bc::Entity;
use bc_spend::engine::{Engine, EngineOptions};
use std::time::Instant;

fn main() {
    let mut data = String::from("tests/artifacts/bench/data");
    let mut pages = 1usize;
    let mut rounds = 5usize;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut val = || args.next().unwrap_or_else(|| panic!("{a} needs a value"));
        match a.as_str() {
            "--data" => data = val(),
            "--pages" => pages = val().parse().expect("--pages: a number"),
            "--rounds" => rounds = val().parse().expect("--rounds: a number"),
            other => panic!("unknown argument {other}"),
        }
    }
    let mut e = Engine::new(EngineOptions {
        connected_at: Some("2026-11-26".into()),
        ..Default::default()
    })
    .expect("engine");
    for file in bench_data::page_files(&data).iter().take(pages) {
        let text = std::fs::read_to_string(file).expect("page");
        e.add_page_text(Some(Entity::PurchaseInvoices), None, &text);
    }
    let mut times = Vec::new();
    for r in 0..rounds {
        // Two spellings of "no rules" in turn: the summary kept from the round before is for
        // the other one, so every round builds.
        let rules = if r % 2 == 0 {
            serde_json::json!([])
        } else {
            serde_json::json!({ "rules": [] })
        };
        e.set_rules(&rules).expect("rules");
        let t = Instant::now();
        let s = e.summary();
        times.push(t.elapsed().as_secs_f64() * 1e3);
        std::hint::black_box(s);
    }
    println!("summary ms: {times:.2?}");
}

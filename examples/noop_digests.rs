//! Times, natively, what a sync that changed nothing computes over the engine it restored: the
//! state key, the output keys, the change baseline, the summary from kept figures, and the
//! restore and export of the state for scale (`www/bench/NOTES.md`).
//!
//! ```text
//! cargo run --release --example noop_digests -- DIR/state.bcs "$(jq -c .engineOptions DIR/run.json)"
//! ```
use bc_spend::engine::{Engine, EngineOptions};
use std::time::Instant;

fn best(n: usize, mut f: impl FnMut()) -> f64 {
    (0..n)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64() * 1e3
        })
        .fold(f64::MAX, f64::min)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let state = std::fs::read(&args[1]).unwrap();
    let options: EngineOptions = serde_json::from_str(&args[2]).unwrap();
    // A state of this build (its decisions are kept only for the build that decided them).
    let mut first = Engine::from_state(options.clone(), &state).unwrap();
    first.summary();
    let state = first.export_state();
    drop(first);
    let t = Instant::now();
    let mut e = Engine::from_state(options, &state).unwrap();
    println!("decisions {}", e.export_decisions().lines.len());
    println!("restore {:.1} ms", t.elapsed().as_secs_f64() * 1e3);
    let ro = serde_json::json!({ "asOf": "2026-11-01" });
    println!(
        "state_key {:.1} ms",
        best(5, || {
            std::hint::black_box(e.state_key());
        })
    );
    println!(
        "output_keys {:.1} ms",
        best(5, || {
            std::hint::black_box(e.output_keys(Some(&ro)));
        })
    );
    println!(
        "transactions_key {:.1} ms",
        best(5, || {
            std::hint::black_box(e.transactions_key());
        })
    );
    println!(
        "export_decisions {:.1} ms",
        best(5, || {
            std::hint::black_box(e.export_decisions());
        })
    );
    println!(
        "baseline {:.1} ms",
        best(5, || {
            std::hint::black_box(bc_spend::sync::changes::ChangeBaseline::capture(&e));
        })
    );
    println!(
        "summary {:.1} ms",
        best(5, || {
            std::hint::black_box(e.summary());
        })
    );
    println!(
        "export_state {:.1} ms",
        best(3, || {
            std::hint::black_box(e.export_state());
        })
    );
}

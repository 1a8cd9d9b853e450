//! Times, natively, restoring and exporting the state, and its key (best of N runs each):
//! what a sync pays to load `state.bcs`, to write it, and to decide whether to write it.
//!
//! ```text
//! cargo run --release --example state_io -- DIR/state.bcs "$(jq -c .engineOptions DIR/run.json)" [N]
//! ```
//! With `STATE_IO_OUT=FILE`, the state it exported is written there.
use bc_spend::engine::{Engine, EngineOptions};
use std::time::Instant;

fn best<T>(n: usize, mut f: impl FnMut() -> T) -> (f64, T) {
    let mut min = f64::MAX;
    let mut last = None;
    for _ in 0..n {
        let t = Instant::now();
        let x = f();
        min = min.min(t.elapsed().as_secs_f64() * 1e3);
        last = Some(x);
    }
    (min, last.unwrap())
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let state = std::fs::read(&args[1]).unwrap();
    let options: EngineOptions = serde_json::from_str(&args[2]).unwrap();
    let n: usize = args.get(3).map_or(5, |s| s.parse().unwrap());
    // A state of this build (its decisions are kept only for the build that decided them).
    let mut first = Engine::from_state(options.clone(), &state).unwrap();
    first.summary();
    let state = first.export_state();
    drop(first);
    let (restore, e) = best(n, || Engine::from_state(options.clone(), &state).unwrap());
    println!("restore {restore:.1} ms");
    // The first key digests every document; a sync's later asks read the kept digests.
    let (key_first, _) = best(1, || e.state_key());
    let (key, _) = best(n, || e.state_key());
    println!("state_key first {key_first:.1} ms, then {key:.1} ms");
    let (export, bytes) = best(n, || e.export_state());
    println!("export_state {export:.1} ms ({} bytes)", bytes.len());
    assert!(
        bytes == state,
        "export -> import -> export is not byte-identical"
    );
    // To compare two builds' bytes (their build ids differ, in the decisions).
    if let Ok(out) = std::env::var("STATE_IO_OUT") {
        std::fs::write(out, &bytes).unwrap();
    }
}

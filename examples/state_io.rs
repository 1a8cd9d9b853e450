//! Times, natively, restoring and exporting the state, and its key (best of N runs each):
//! what a sync pays to load `state.bcs`, to write it, and to decide whether to write it.
//! A counting allocator also prints what one restore allocates (calls and bytes) and what
//! the restored engine holds (live bytes after the restore, less those before it).
//!
//! ```text
//! cargo run --release --example state_io -- DIR/state.bcs "$(jq -c .engineOptions DIR/run.json)" [N]
//! ```
//! With `STATE_IO_OUT=FILE`, the state it exported is written there; with
//! `STATE_IO_RESTORE_ONLY=1`, only the restore is timed (to profile it).
#[path = "support/counting_alloc.rs"]
mod counting_alloc;

use bc_spend::engine::{Engine, EngineOptions};
use counting_alloc::{BYTES, CALLS, LIVE};
use std::sync::atomic::Ordering::Relaxed;
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
    let (calls, bytes, live) = (CALLS.load(Relaxed), BYTES.load(Relaxed), LIVE.load(Relaxed));
    let once = Engine::from_state(options.clone(), &state).unwrap();
    println!(
        "restore allocates {} times, {} bytes; the engine holds {} bytes",
        CALLS.load(Relaxed) - calls,
        BYTES.load(Relaxed) - bytes,
        LIVE.load(Relaxed) - live
    );
    drop(once);
    let (restore, e) = best(n, || Engine::from_state(options.clone(), &state).unwrap());
    println!("restore {restore:.1} ms");
    // `STATE_IO_RESTORE_ONLY=1`: nothing else (to profile the restore).
    if std::env::var_os("STATE_IO_RESTORE_ONLY").is_some() {
        return;
    }
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

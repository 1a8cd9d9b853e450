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

use bc_spend::bc::Entity;
use bc_spend::engine::{Engine, EngineOptions};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::time::Instant;

#[cfg_attr(target_arch = "wasm32", allow(dead_code))]
struct Counting;
static CALLS: AtomicUsize = AtomicUsize::new(0);
static LIVE: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        CALLS.fetch_add(1, Relaxed);
        LIVE.fetch_add(l.size(), Relaxed);
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        LIVE.fetch_sub(l.size(), Relaxed);
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        CALLS.fetch_add(1, Relaxed);
        LIVE.fetch_add(new, Relaxed);
        LIVE.fetch_sub(l.size(), Relaxed);
        unsafe { System.realloc(p, l, new) }
    }
}

// Not in a wasm build of the examples (clippy's): the library has its own allocator there.
#[cfg(not(target_arch = "wasm32"))]
#[global_allocator]
static A: Counting = Counting;

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

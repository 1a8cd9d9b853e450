//! Matching with kept decisions (`src/matching/decisions.rs`), natively, on the benchmark's
//! page files (`www/bench/run.mjs` writes them; see `www/bench/NOTES.md`):
//!
//! ```text
//! cargo run --release --example decisions_bench -- --data DIR --pages 10 --reps 3
//! ```
//! - `fresh`: `summary()` (builds and matches every transaction) of an engine fed the first N
//!   pages, as the core benchmark's "matching";
//! - `restored`: the same, when the engine first took back the decisions the fresh one
//!   exported, and was fed 1% more invoices (from the next page): the next run of a sync;
//! - `fresh1pct`: a fresh engine fed the same pages and 1%;
//!
//! with the snapshot's size as JSON and the verdicts each engine analysed. Medians of `--reps`.

#[path = "support/bench_data.rs"]
mod bench_data;

use bc_spend::bc::Entity;
use bc_spend::engine::{Engine, EngineOptions};
use std::time::Instant;

fn engine() -> Engine {
    Engine::new(EngineOptions {
        connected_at: Some("2026-11-26".into()),
        ..Default::default()
    })
    .expect("engine")
}

fn feed(e: &mut Engine, pages: &[String]) {
    for p in pages {
        e.add_page_text(Some(Entity::PurchaseInvoices), None, p);
    }
}

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1e3
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(|a, b| a.partial_cmp(b).expect("finite"));
    xs[xs.len() / 2]
}

fn main() {
    let mut data = String::from("tests/artifacts/bench/data");
    let mut n = 1usize;
    let mut reps = 3usize;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut val = || args.next().unwrap_or_else(|| panic!("{a} needs a value"));
        match a.as_str() {
            "--data" => data = val(),
            "--pages" => n = val().parse().expect("--pages: a number"),
            "--reps" => reps = val().parse().expect("--reps: a number"),
            other => panic!("unknown argument {other}"),
        }
    }
    let files = bench_data::page_files(&data);
    assert!(
        files.len() > n,
        "--pages {n}: the set has {} pages, and one more is read",
        files.len()
    );
    let read = |k: usize| std::fs::read_to_string(&files[k]).expect("page");
    let pages: Vec<String> = (0..n).map(read).collect();
    // 1% more invoices: the first 10 * N records of the next page.
    let extra = {
        let mut v: serde_json::Value = serde_json::from_str(&read(n)).expect("JSON");
        let records = v["value"].as_array_mut().expect("value");
        records.truncate(10 * n);
        v.to_string()
    };
    let mut with_extra = pages.clone();
    with_extra.push(extra);

    let (mut fresh, mut restored, mut fresh1, mut restore) = (vec![], vec![], vec![], vec![]);
    let (mut analysed_fresh, mut analysed_restored, mut bytes, mut kept) = (0, 0, 0, 0);
    for _ in 0..reps {
        let mut e = engine();
        feed(&mut e, &pages);
        let t = Instant::now();
        std::hint::black_box(e.summary());
        fresh.push(ms(t));
        analysed_fresh = e.decisions_computed();
        let snapshot = e.export_decisions();
        bytes = serde_json::to_vec(&snapshot).expect("JSON").len();
        if let Ok(path) = std::env::var("DECISIONS_SNAPSHOT_OUT") {
            std::fs::write(path, serde_json::to_vec(&snapshot).expect("JSON")).expect("write");
        }
        drop(e);

        let mut e = engine();
        let t = Instant::now();
        kept = e.restore_decisions(&snapshot).expect("valid");
        restore.push(ms(t));
        feed(&mut e, &with_extra);
        let t = Instant::now();
        std::hint::black_box(e.summary());
        restored.push(ms(t));
        analysed_restored = e.decisions_computed();
        drop(e);

        let mut e = engine();
        feed(&mut e, &with_extra);
        let t = Instant::now();
        std::hint::black_box(e.summary());
        fresh1.push(ms(t));
    }
    println!(
        "{}",
        serde_json::json!({
            "invoices": 1000 * n,
            "ms": {
                "fresh": median(fresh),
                "restore": median(restore),
                "restoredPlus1pct": median(restored),
                "freshPlus1pct": median(fresh1),
            },
            "analysed": { "fresh": analysed_fresh, "restoredPlus1pct": analysed_restored },
            "snapshot": { "lines": kept, "jsonBytes": bytes },
        })
    );
}

//! Times the shipped catalog's first use in a fresh process, as an `Engine` pays it: decoding the
//! embedded catalog (`Catalog::builtin().apps()`) and the matcher's index (`Matcher::new`).
//!
//! `cargo run --release --example catalog_load [-- RUNS]` runs itself RUNS times (default 9) and
//! prints the median of each.

use bc_spend::catalog::Catalog;
use bc_spend::matching::Matcher;
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--once") {
        let t = Instant::now();
        let n = Catalog::builtin().apps().len();
        let catalog_ms = t.elapsed().as_secs_f64() * 1e3;
        let t = Instant::now();
        let m = Matcher::new(Catalog::builtin(), &[]).expect("the shipped catalog compiles");
        let matcher_ms = t.elapsed().as_secs_f64() * 1e3;
        drop(m);
        println!("{catalog_ms} {matcher_ms} {n}");
        return;
    }
    if args.get(1).map(String::as_str) == Some("--loop") {
        // In one process, after a warm-up: the decoding alone, without first-touch page faults.
        use bc_spend::matching::compiled::IndexData;
        let bytes = bc_spend::catalog::BUILTIN_BYTES;
        // `decode_core` is what constructing an Engine decodes; `decode` adds the domain table and
        // the families' vocabularies, which an Engine makes on first use.
        let (mut core, mut whole) = (Vec::new(), Vec::new());
        for _ in 0..30 {
            let t = Instant::now();
            let d = IndexData::decode_core(bytes).expect("valid");
            core.push(t.elapsed().as_secs_f64() * 1e3);
            drop(d);
            let t = Instant::now();
            let d = IndexData::decode(bytes).expect("valid");
            whole.push(t.elapsed().as_secs_f64() * 1e3);
            drop(d);
        }
        for (name, v) in [("decode_core", &mut core), ("decode", &mut whole)] {
            v.sort_by(f64::total_cmp);
            println!(
                "IndexData::{name}: median {:.3} ms, min {:.3} ms",
                v[15], v[0]
            );
        }
        return;
    }
    let runs: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(9);
    let (mut cat, mut mat) = (Vec::new(), Vec::new());
    let mut apps = 0;
    for _ in 0..runs {
        let out = std::process::Command::new(&args[0])
            .arg("--once")
            .output()
            .expect("run self");
        let s = String::from_utf8_lossy(&out.stdout).to_string();
        let v: Vec<&str> = s.split_whitespace().collect();
        cat.push(v[0].parse::<f64>().unwrap());
        mat.push(v[1].parse::<f64>().unwrap());
        apps = v[2].parse().unwrap();
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    println!(
        "{apps} apps: Catalog::builtin().apps() {:.3} ms, Matcher::new {:.3} ms (median of {runs} processes)",
        median(&mut cat),
        median(&mut mat)
    );
}

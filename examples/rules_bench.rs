//! Compiling customer rules, natively: validation, regex compilation and the same-priority
//! conflict check for 1,000 / 10,000 / 100,000 generated rules, each next to serde_json parsing
//! the same rules text in the same run (the baseline: the machine's speed cancels out in the
//! ratio), plus the memory the compiled rules hold and the peak while compiling.
//!
//! ```text
//! cargo run --release --example rules_bench [-- --sizes 1000,10000,100000 --reps N --json]
//! ```
//! `--reps N` measures each size N times (default 7 / 3 / 1 by size; the median is printed).
//! `--json` prints one JSON object on the last line (what `www/bench/run.mjs` reads).
//!
//! The rules are a deterministic mix shaped like a large customer's: half are `vendor equals`
//! at one shared priority, the rest vendor `equals` + description regex, `contains` + `equals`
//! pairs and a few vendor regexes at that same priority, `contains` and description regexes at
//! priorities of their own, and an `account equals` group at a second shared priority. The set
//! has no conflict, so the whole check runs. A second case puts the last rule in conflict with
//! rule 3 and times how long the refusal takes.

use bc_spend::catalog::Catalog;
use bc_spend::engine::parse_rules;
use bc_spend::matching::Matcher;
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::time::Instant;

/// Counts live heap bytes and their high-water mark: what the compiled rules cost in memory.
/// (A native benchmark: built for wasm32 only by clippy, where it counts nothing.)
#[cfg_attr(target_arch = "wasm32", allow(dead_code))]
struct Counting;
static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        let p = System.alloc(l);
        if !p.is_null() {
            let now = LIVE.fetch_add(l.size(), Relaxed) + l.size();
            PEAK.fetch_max(now, Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        System.dealloc(p, l);
        LIVE.fetch_sub(l.size(), Relaxed);
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        let q = System.realloc(p, l, new);
        if !q.is_null() {
            if new >= l.size() {
                let now = LIVE.fetch_add(new - l.size(), Relaxed) + (new - l.size());
                PEAK.fetch_max(now, Relaxed);
            } else {
                LIVE.fetch_sub(l.size() - new, Relaxed);
            }
        }
        q
    }
}

// Native only: in wasm32 the library's own allocator is the global one (src/wasm/alloc.rs).
#[cfg(not(target_arch = "wasm32"))]
#[global_allocator]
static ALLOC: Counting = Counting;

const APPS: &[&str] = &["slack", "zoom", "jira"];

/// The `i`-th generated rule (JSON text), all of them mutually exclusive where they share a
/// priority.
fn rule(i: usize) -> String {
    let action = |i: usize| {
        if i % 3 == 0 {
            r#""action":"ignore""#.to_string()
        } else {
            format!(r#""action":"matchTo","appId":"{}""#, APPS[i % APPS.len()])
        }
    };
    let a = action(i);
    if i % 1000 == 999 {
        // A vendor regex at the shared priority: the index cannot rule it out, so every
        // `equals` rule there runs it once.
        return format!(
            r#"{{"id":"r{i}","priority":100,{a},"vendor":{{"op":"regex","value":"^globex-{i}\\b"}},"description":{{"op":"equals","value":"Globex {i}"}}}}"#
        );
    }
    match i % 20 {
        0..=9 => format!(
            r#"{{"id":"r{i}","priority":100,{a},"vendor":{{"op":"equals","value":"Vendor {i} Holdings"}}}}"#
        ),
        10 | 11 => format!(
            r#"{{"id":"r{i}","priority":100,{a},"vendor":{{"op":"equals","value":"Supplier {i}"}},"description":{{"op":"regex","value":"(?i)licen[cs]e\\s+{i}\\b"}}}}"#
        ),
        12..=15 => format!(
            r#"{{"id":"r{i}","priority":{},{a},"vendor":{{"op":"contains","value":"brand{i}"}}}}"#,
            1000 + i
        ),
        16 | 17 => format!(
            r#"{{"id":"r{i}","priority":{},{a},"description":{{"op":"regex","value":"^subscription .*plan {i}\\b"}}}}"#,
            1000 + i
        ),
        18 => format!(
            r#"{{"id":"r{i}","priority":200,{a},"account":{{"op":"equals","value":"6{i:06}"}}}}"#
        ),
        _ => format!(
            r#"{{"id":"r{i}","priority":100,{a},"vendor":{{"op":"contains","value":"zz{i}zz"}},"description":{{"op":"equals","value":"Invoice {i}"}}}}"#
        ),
    }
}

fn rules_text(n: usize, conflict: bool) -> String {
    let mut out = String::from("[");
    for i in 0..n {
        if i > 0 {
            out.push(',');
        }
        if conflict && i == n - 1 {
            // Same priority and vendor as rule 3 ("Vendor 3 Holdings"), in other letters.
            out.push_str(&format!(r#"{{"id":"r{i}","priority":100,"action":"ignore","vendor":{{"op":"equals","value":"  VENDOR 3 holdings "}}}}"#));
        } else {
            out.push_str(&rule(i));
        }
    }
    out.push(']');
    out
}

struct Figures {
    n: usize,
    bytes: usize,
    parse_ms: f64,
    compile_ms: f64,
    conflict_ms: f64,
    retained_bytes: usize,
    peak_bytes: usize,
}

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1e3
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(|a, b| a.partial_cmp(b).unwrap());
    xs[xs.len() / 2]
}

fn measure(n: usize, reps: usize) -> Figures {
    let text = rules_text(n, false);
    let bad = rules_text(n, true);
    let (mut parse, mut compile, mut conflict) = (Vec::new(), Vec::new(), Vec::new());
    let (mut retained_bytes, mut peak_bytes) = (0, 0);
    for _ in 0..reps {
        let t = Instant::now();
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        parse.push(ms(t));

        let before = LIVE.load(Relaxed);
        PEAK.store(before, Relaxed);
        let t = Instant::now();
        let specs = parse_rules(&v).unwrap();
        let m = Matcher::new(Catalog::builtin(), &specs)
            .unwrap_or_else(|e| panic!("{n} generated rules refused: {e:?}"));
        compile.push(ms(t));
        drop(specs);
        retained_bytes = LIVE.load(Relaxed) - before;
        peak_bytes = PEAK.load(Relaxed) - before;
        drop(m);

        let v: serde_json::Value = serde_json::from_str(&bad).unwrap();
        let t = Instant::now();
        let specs = parse_rules(&v).unwrap();
        let Err(err) = Matcher::new(Catalog::builtin(), &specs) else {
            panic!("the conflicting set is refused")
        };
        conflict.push(ms(t));
        assert_eq!(err.code, "RULE_CONFLICT", "{err:?}");
        assert!(err.message.contains("rule 3 "), "{}", err.message);
    }
    Figures {
        n,
        bytes: text.len(),
        parse_ms: median(parse),
        compile_ms: median(compile),
        conflict_ms: median(conflict),
        retained_bytes,
        peak_bytes,
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let json = args.iter().any(|a| a == "--json");
    let sizes: Vec<usize> = match args.iter().position(|a| a == "--sizes") {
        Some(k) => args[k + 1]
            .split(',')
            .map(|s| s.parse().expect("--sizes 1000,10000"))
            .collect(),
        None => vec![1_000, 10_000, 100_000],
    };
    let reps: Option<usize> = args
        .iter()
        .position(|a| a == "--reps")
        .map(|k| args[k + 1].parse().expect("--reps N"));
    // The catalog's index is decoded once per process: not part of compiling rules.
    Matcher::new(Catalog::builtin(), &[]).unwrap();
    let mut all = Vec::new();
    for &n in &sizes {
        let reps = reps.unwrap_or(if n <= 1_000 {
            7
        } else if n <= 10_000 {
            3
        } else {
            1
        });
        let f = measure(n, reps);
        eprintln!(
            "{:>7} rules ({:.1} MB): compile {:.1} ms = {:.2}x serde_json parse ({:.1} ms); refusing a conflict of the last rule with rule 3: {:.1} ms; held {:.1} MB, peak {:.1} MB",
            f.n,
            f.bytes as f64 / 1e6,
            f.compile_ms,
            f.compile_ms / f.parse_ms,
            f.parse_ms,
            f.conflict_ms,
            f.retained_bytes as f64 / 1048576.0,
            f.peak_bytes as f64 / 1048576.0
        );
        all.push(f);
    }
    if json {
        let sets: Vec<serde_json::Value> = all
            .iter()
            .map(|f| {
                serde_json::json!({
                    "rules": f.n, "bytes": f.bytes, "parseMs": f.parse_ms, "compileMs": f.compile_ms,
                    "conflictMs": f.conflict_ms, "retainedBytes": f.retained_bytes, "peakBytes": f.peak_bytes,
                })
            })
            .collect();
        println!("{}", serde_json::json!({ "sets": sets }));
    }
}

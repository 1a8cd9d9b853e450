//! The report alone, natively: the bench pages ingested once per line mode, then `Engine::report`
//! timed `--reps` times (minimum and median printed), and optionally the report JSON of each
//! line mode and option set written to `--dump DIR` to compare two builds byte for byte.
//!
//! ```text
//! cargo run --release --example report_bench -- --data DIR --pages 10 --reps 10 [--dump OUT]
//!     [--modes invoice,line,auto]
//! ```
//! Two option sets: as of the connection date; and the same with a reporting currency (EUR)
//! and rates for every currency but the last one seen, so converted and missing-rate figures
//! both appear.

#[path = "support/bench_data.rs"]
mod bench_data;
use bc_spend::engine::{Engine, EngineOptions};
use bc_spend::report::{RateOption, ReportOptions};
use std::time::Instant;

/// The thread's time on a CPU so far, in ms (Linux `schedstat`): less noisy than wall time on a
/// shared machine, since time waiting for a CPU is left out. `None` elsewhere.
fn cpu_ms() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: f64 = s.split_whitespace().next()?.parse().ok()?;
    Some(ns / 1e6)
}

fn main() {
    let mut data = String::from("tests/artifacts/bench/data");
    let mut pages = 10usize;
    let mut reps = 10usize;
    let mut dump: Option<String> = None;
    let mut modes = String::from("invoice,line,auto");
    let connected_at = String::from("2026-11-26");
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut val = || args.next().unwrap_or_else(|| panic!("{a} needs a value"));
        match a.as_str() {
            "--data" => data = val(),
            "--pages" => pages = val().parse().expect("--pages: a number"),
            "--reps" => reps = val().parse().expect("--reps: a number"),
            "--dump" => dump = Some(val()),
            "--modes" => modes = val(),
            other => panic!("unknown argument {other}; see the example's doc comment"),
        }
    }
    let texts: Vec<String> = bench_data::page_files(&data)
        .iter()
        .take(pages)
        .map(|f| std::fs::read_to_string(f).expect("page"))
        .collect();
    let mut out = Vec::new();
    for mode in modes.split(',') {
        let mut e = Engine::new(EngineOptions {
            connected_at: Some(connected_at.clone()),
            line_mode: Some(mode.to_owned()),
            ..Default::default()
        })
        .expect("engine");
        for p in &texts {
            e.add_page_text(None, None, p);
        }
        let summary = e.summary();
        let plain = ReportOptions {
            as_of: Some(connected_at.clone()),
            ..Default::default()
        };
        let first = e.report(&plain).expect("report");
        let mut currencies: Vec<String> = first.totals.iter().map(|t| t.currency.clone()).collect();
        currencies.push("XXX".into());
        let last = currencies.len() - 1;
        let rated = ReportOptions {
            as_of: Some(connected_at.clone()),
            reporting_currency: Some("EUR".into()),
            rates: Some(
                currencies[..last.max(1) - 1]
                    .iter()
                    .filter(|c| c.as_str() != "EUR" && !c.is_empty())
                    .enumerate()
                    .flat_map(|(i, c)| {
                        [
                            RateOption {
                                date: "2020-01-01".into(),
                                from: c.clone(),
                                to: "EUR".into(),
                                rate: serde_json::json!(format!("1.{:04}", 1234 + 7 * i)),
                            },
                            RateOption {
                                date: "2026-03-15".into(),
                                from: c.clone(),
                                to: "EUR".into(),
                                rate: serde_json::json!(format!("0.9{:03}", 321 + 5 * i)),
                            },
                        ]
                    })
                    .collect(),
            ),
            ..Default::default()
        };
        for (variant, o) in [("plain", &plain), ("rated", &rated)] {
            if let Some(dir) = &dump {
                let r = e.report(o).expect("report");
                let json = serde_json::to_string(&r).unwrap();
                std::fs::write(format!("{dir}/{mode}-{variant}.json"), json).unwrap();
            }
            let (mut ms, mut cpu): (Vec<f64>, Vec<f64>) = (0..reps.max(1))
                .map(|_| {
                    let c = cpu_ms();
                    let t = Instant::now();
                    let r = e.report(o).expect("report");
                    std::hint::black_box(r);
                    let wall = t.elapsed().as_secs_f64() * 1e3;
                    (wall, cpu_ms().zip(c).map_or(f64::NAN, |(b, a)| b - a))
                })
                .unzip();
            ms.sort_by(|a, b| a.partial_cmp(b).unwrap());
            cpu.sort_by(|a, b| a.partial_cmp(b).unwrap());
            out.push(serde_json::json!({
                "mode": mode,
                "variant": variant,
                "transactions": summary.transactions,
                "minMs": ms[0],
                "minCpuMs": cpu[0],
                "medianMs": ms[ms.len() / 2],
            }));
        }
    }
    println!("{}", serde_json::Value::Array(out));
}

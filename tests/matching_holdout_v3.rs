//! The third held-out set of issue 18 (`tests/matching/holdout-v3.json`, written blind on
//! 2026-12-08 after holdout v2 became partly informed; rules in `tests/matching/HOLDOUT-V3.md`),
//! scored with the evaluation set's own scorer (`eval_support`: invoice groups matched together
//! in line mode with the allocation rules, `accept`, seats/unitPrice/period where labelled on
//! cases whose app is right) and reported apart from `eval.json` and holdout v2: overall, per
//! kind, per language and per allocation rule.
//!
//! Nobody tunes against this set: a failure here is read to learn that something is wrong, and
//! fixed and checked on `eval.json`. The floors below are regression floors a little under the
//! FIRST figures measured on this set (printed with `cargo test --test matching_holdout_v3 --
//! --nocapture` and written to `tests/artifacts/matching/holdout-v3.txt`), never targets.

#[path = "matching/eval_support.rs"]
mod eval_support;

use bc_spend::catalog::Catalog;
use bc_spend::matching::Matcher;

/// Regression floors (see the module docs): app precision and recall over the whole set, and
/// the share of must-stay-unmatched lines that got an app.
const FLOOR_PRECISION: f64 = 0.97;
const FLOOR_RECALL: f64 = 0.96;
const CEILING_FALSE_POSITIVE_RATE: f64 = 0.035;

#[test]
fn holdout_v3_scored_apart() {
    let cases = eval_support::load_from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/matching/holdout-v3.json"
    ));
    assert_eq!(
        cases.len(),
        300,
        "the holdout does not grow (HOLDOUT-V3.md, rule 4)"
    );
    let matcher = Matcher::new(Catalog::builtin(), &[]).unwrap();
    let report = eval_support::evaluate(&matcher, &cases);
    let out = format!(
        "Holdout v3 (tests/matching/holdout-v3.json, 300 cases), reported apart\n\n{}\n{}",
        report.table(),
        report.mistakes()
    );
    println!("{out}");
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/artifacts/matching");
    let _ = std::fs::create_dir_all(dir);
    let _ = std::fs::write(format!("{dir}/holdout-v3.txt"), &out);

    let all = &report.overall;
    assert!(
        all.precision() >= FLOOR_PRECISION,
        "holdout v3 precision {:.3} fell below its regression floor {FLOOR_PRECISION}",
        all.precision()
    );
    assert!(
        all.recall() >= FLOOR_RECALL,
        "holdout v3 recall {:.3} fell below its regression floor {FLOOR_RECALL}",
        all.recall()
    );
    assert!(
        all.fpr() <= CEILING_FALSE_POSITIVE_RATE,
        "holdout v3: {:.1}% of must-stay-unmatched lines matched, above {:.1}%",
        all.fpr() * 100.0,
        CEILING_FALSE_POSITIVE_RATE * 100.0
    );
}

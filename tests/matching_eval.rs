//! Measures the matcher against the labelled evaluation set `tests/matching/eval.json` with the
//! shipped catalog. Fails below line-level precision 0.97 or recall 0.93, and below accuracy 0.90
//! for each of seats, price per seat and period (scored on the cases that label them and whose
//! app is right; at least 60 of each).
//!
//! `cargo run --release --example match_eval` prints the same figures per kind with every mistake.

#[path = "matching/eval_support.rs"]
mod eval_support;

use bc_spend::catalog::Catalog;
use bc_spend::matching::Matcher;

#[test]
fn every_label_names_a_catalog_app() {
    let catalog = Catalog::builtin();
    let cases = eval_support::load();
    let unknown: Vec<String> = cases
        .iter()
        .filter_map(|c| {
            c.expected
                .as_ref()
                .filter(|id| catalog.app(id).is_none())
                .map(|id| format!("{} expects '{id}'", c.id))
        })
        .collect();
    assert!(
        unknown.is_empty(),
        "labels naming apps the catalog does not have: {unknown:?}"
    );
}

#[test]
fn precision_and_recall_meet_the_floor() {
    let matcher = Matcher::new(Catalog::builtin(), &[]).unwrap();
    let cases = eval_support::load();
    assert!(
        cases.len() >= 300,
        "the evaluation set has {} cases",
        cases.len()
    );
    let report = eval_support::evaluate(&matcher, &cases);
    println!("{}", report.table());
    let all = &report.overall;
    assert!(
        all.precision() >= 0.97,
        "precision {:.3} < 0.97\n{}",
        all.precision(),
        report.mistakes()
    );
    assert!(
        all.recall() >= 0.93,
        "recall {:.3} < 0.93\n{}",
        all.recall(),
        report.mistakes()
    );
}

#[test]
fn seats_price_and_period_meet_the_floor() {
    let matcher = Matcher::new(Catalog::builtin(), &[]).unwrap();
    let cases = eval_support::load();
    let report = eval_support::evaluate(&matcher, &cases);
    println!("{}", report.table());
    for (name, f) in [
        ("seats", report.seats),
        ("unitPrice", report.unit_price),
        ("period", report.period),
    ] {
        assert!(f.scored >= 60, "only {} cases score {name}", f.scored);
        assert!(
            f.accuracy() >= 0.90,
            "{name} accuracy {:.3} < 0.90\n{}",
            f.accuracy(),
            report.mistakes()
        );
    }
}

/// A second, smaller set written after the matcher was tuned and never used to tune it
/// (`tests/matching/holdout.json`): the same floor, so a regression that only the tuning set
/// would hide still fails.
#[test]
fn held_out_set_meets_the_floor() {
    let catalog = Catalog::builtin();
    let cases = eval_support::load_from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/matching/holdout.json"
    ));
    for c in &cases {
        if let Some(id) = &c.expected {
            assert!(
                catalog.app(id).is_some(),
                "{} expects unknown app '{id}'",
                c.id
            );
        }
    }
    let matcher = Matcher::new(catalog, &[]).unwrap();
    let report = eval_support::evaluate(&matcher, &cases);
    println!("{}", report.table());
    let all = &report.overall;
    assert!(
        all.precision() >= 0.97,
        "precision {:.3} < 0.97\n{}",
        all.precision(),
        report.mistakes()
    );
    assert!(
        all.recall() >= 0.93,
        "recall {:.3} < 0.93\n{}",
        all.recall(),
        report.mistakes()
    );
}

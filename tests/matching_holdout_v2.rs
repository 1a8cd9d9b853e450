//! The issue-18 holdout (`tests/matching/holdout-v2.json`, written before any tuning; rules in
//! `tests/matching/HOLDOUT-V2.md`), scored with the evaluation set's own scorer
//! (`eval_support`: invoice groups matched together in line mode with the allocation rules,
//! `accept`, seats/unitPrice/period where labelled on cases whose app is right) and reported
//! apart from it: overall, per kind, per language and per allocation rule.
//!
//! Nobody tunes against this set: a failure here is read to learn that something is wrong, and
//! fixed and checked on `eval.json`. The floors below are regression floors a little under the
//! figures measured after the issue-18 work landed elsewhere (printed with `cargo test --test
//! matching_holdout_v2 -- --nocapture` and written to `tests/artifacts/matching/holdout-v2.txt`),
//! never targets.

#[path = "matching/eval_support.rs"]
mod eval_support;

use eval_support::Floors;

/// Regression floors (see the module docs): app precision and recall over the whole set, and
/// the share of must-stay-unmatched lines that got an app.
const FLOORS: Floors = Floors {
    precision: 0.93,
    recall: 0.93,
    false_positive_rate: 0.06,
};

#[test]
fn holdout_v2_scored_apart() {
    eval_support::score_holdout("holdout-v2", "HOLDOUT-V2.md", 557, FLOORS);
}

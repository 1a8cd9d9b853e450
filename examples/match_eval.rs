//! Prints precision, recall and false-positive rate of the matcher on the labelled evaluation
//! set, overall and per case kind, and lists every mistake.
//!
//! ```text
//! cargo run --release --example match_eval                                  # the tuning set
//! cargo run --release --example match_eval -- tests/matching/holdout.json   # the held-out set
//! ```

#[path = "../tests/matching/eval_support.rs"]
mod eval_support;

use bc_spend::catalog::Catalog;
use bc_spend::matching::Matcher;

fn main() {
    let catalog = Catalog::builtin();
    let apps = catalog.len();
    let matcher = Matcher::new(catalog, &[]).expect("the builtin catalog compiles");
    let path = std::env::args().nth(1).unwrap_or_else(|| {
        concat!(env!("CARGO_MANIFEST_DIR"), "/tests/matching/eval.json").to_string()
    });
    let cases = eval_support::load_from(&path);
    let report = eval_support::evaluate(&matcher, &cases);
    println!(
        "catalog: {apps} apps; evaluation set: {} cases ({path})\n",
        cases.len()
    );
    println!("Line-level precision = correct matches / matches made; recall = correct matches / cases with an expected app;");
    println!("FPR = matches made on cases expected unmatched / those cases.\n");
    print!("{}", report.table());
    println!();
    print!("{}", report.mistakes());
}

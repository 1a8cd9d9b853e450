//! The bench data set's page files, for the examples that time the core on it (`#[path]`
//! included: a directory without `main.rs` is not an example of its own).
//!
//! `DIR` holds `manifest.json`, which lists the page files in order (`www/bench/run.mjs` writes
//! the set, `tests/artifacts/bench/data/...`).

/// The paths of the set's page files, in the manifest's order.
pub fn page_files(data: &str) -> Vec<String> {
    let manifest: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(format!("{data}/manifest.json")).expect("manifest.json in --data"),
    )
    .expect("manifest is JSON");
    manifest["pages"]
        .as_array()
        .expect("the manifest lists `pages`")
        .iter()
        .map(|p| format!("{data}/{}", p["file"].as_str().expect("a page's `file`")))
        .collect()
}

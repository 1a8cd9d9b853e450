//! Validates the shipped SaaS catalog (`src/catalog/data/*.json`) and embeds it.
//!
//! A broken catalog fails the build with the file, the JSON path and what to fix: duplicate ids,
//! an alias (normalized vendor entity, keyword, product, domain) claimed by two entries, an
//! unknown category, a dangling parent/app reference. The documents are merged in file-name order
//! into one catalog, written to `OUT_DIR/catalog.bin` in one compact encoding: the catalog entry
//! by entry, with where each entry starts (`src/catalog/compact.rs`, which `Catalog::builtin`
//! decodes on first use of its data), then the matcher's index of it (`src/matching/compiled.rs`), so that constructing an `Engine`
//! only decodes it. The common English words are front-coded (`common-words.fc`, read by
//! `src/matching/lexicon.rs`).

#[allow(dead_code)]
#[path = "src/catalog/compact.rs"]
mod compact;
#[allow(dead_code)]
#[path = "src/matching/compiled.rs"]
mod compiled;
#[allow(dead_code)]
#[path = "src/fastmap.rs"]
mod fastmap;
#[allow(dead_code)]
#[path = "src/matching/normalize.rs"]
mod normalize;
#[allow(dead_code)]
#[path = "src/catalog/schema.rs"]
mod schema;
#[allow(dead_code)]
#[path = "src/sort.rs"]
mod sort;

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

/// `BC_SPEND_BUILD_ID`: a hash of every source the core is built from (`src/`, the manifest,
/// the lock file, this script). It keys what a run may reuse from an earlier run
/// (`src/engine/derived.rs`): outputs built by other code are never taken for this code's,
/// even when a development build keeps the package version.
fn build_id() {
    println!("cargo:rerun-if-changed=src");
    println!("cargo:rerun-if-changed=Cargo.toml");
    println!("cargo:rerun-if-changed=Cargo.lock");
    println!("cargo:rerun-if-changed=build.rs");
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(rd) = std::fs::read_dir(dir) else {
            return;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else {
                out.push(p);
            }
        }
    }
    let mut files = vec![
        PathBuf::from("Cargo.toml"),
        PathBuf::from("Cargo.lock"),
        PathBuf::from("build.rs"),
    ];
    walk(Path::new("src"), &mut files);
    files.sort();
    // Two SipHash streams (fixed keys: reproducible) make 128 bits.
    let mut a = std::collections::hash_map::DefaultHasher::new();
    let mut b = std::collections::hash_map::DefaultHasher::new();
    b.write_u8(0xb5);
    for f in &files {
        let bytes = std::fs::read(f).unwrap_or_default();
        for h in [&mut a, &mut b] {
            f.to_string_lossy().hash(h);
            bytes.hash(h);
        }
    }
    println!(
        "cargo:rustc-env=BC_SPEND_BUILD_ID={:016x}{:016x}",
        a.finish(),
        b.finish()
    );
}

/// Sets the pricing corrections of `src/catalog/data/pricing.txt` on the merged catalog. Only
/// models that differ from the category's default are listed (and embedded): the rest is derived,
/// which keeps the wasm small.
fn apply_pricing(merged: &mut schema::CatalogData) {
    let path = "src/catalog/data/pricing.txt";
    println!("cargo:rerun-if-changed={path}");
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let mut failures = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((model, ids)) = line.split_once(':') else {
            failures.push(format!("line {}: write `model: app-id app-id ...`", n + 1));
            continue;
        };
        let Some(model) = schema::PricingModel::parse(model.trim()) else {
            failures.push(format!(
                "line {}: unknown pricing model '{}'; use seat, flat, usage or mixed",
                n + 1,
                model.trim()
            ));
            continue;
        };
        for id in ids.split_whitespace() {
            if !seen.insert(id.to_owned()) {
                failures.push(format!("line {}: '{id}' is listed twice", n + 1));
                continue;
            }
            match merged.apps.iter_mut().find(|a| a.id == id) {
                None => failures.push(format!("line {}: '{id}' is not an app id", n + 1)),
                Some(a) if a.pricing.is_some() => failures.push(format!(
                    "line {}: '{id}' already sets `pricing` in its catalog entry",
                    n + 1
                )),
                Some(a) if schema::PricingModel::of_category(&a.category) == model => failures
                    .push(format!(
                        "line {}: '{id}' is {} by its category ({}) already; drop it",
                        n + 1,
                        model.as_str(),
                        a.category
                    )),
                Some(a) => a.pricing = Some(model),
            }
        }
    }
    if !failures.is_empty() {
        eprintln!("\n{path} is invalid:");
        for f in &failures {
            eprintln!("  - {f}");
        }
        std::process::exit(1);
    }
}

fn main() {
    build_id();
    let dir = Path::new("src/catalog/data");
    println!("cargo:rerun-if-changed=src/catalog/data");
    println!("cargo:rerun-if-changed=src/catalog/schema.rs");
    println!("cargo:rerun-if-changed=src/fastmap.rs");
    println!("cargo:rerun-if-changed=src/matching/normalize.rs");
    println!("cargo:rerun-if-changed=src/matching/data/lexicon.txt");
    println!("cargo:rerun-if-changed=src/matching/data/common-words.txt");
    println!("cargo:rerun-if-changed=src/matching/compiled.rs");
    println!("cargo:rerun-if-changed=src/catalog/compact.rs");
    println!("cargo:rerun-if-changed=src/sort.rs");

    let mut files: Vec<_> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.path())
                .filter(|p| p.extension().map(|x| x == "json").unwrap_or(false))
                .collect()
        })
        .unwrap_or_default();
    files.sort();

    let mut docs = Vec::new();
    let mut failures = Vec::new();
    for f in &files {
        println!("cargo:rerun-if-changed={}", f.display());
        let name = f.file_name().unwrap().to_string_lossy().to_string();
        let text = match std::fs::read_to_string(f) {
            Ok(t) => t,
            Err(e) => {
                failures.push(format!("{name}: cannot read: {e}"));
                continue;
            }
        };
        match serde_json::from_str::<schema::CatalogData>(&text) {
            Ok(doc) => docs.push((name, doc)),
            Err(e) => failures.push(format!("{name}: not a valid catalog document: {e}")),
        }
    }

    let lx = normalize::Lexicon::parse(normalize::LEXICON_TEXT);
    let vendor_key = |s: &str| normalize::vendor_key(&lx, s);
    let text_key = |s: &str| normalize::normalize_text(s);
    let domain_key = |s: &str| normalize::field_domain(s);
    let generic = |s: &str| {
        let toks = normalize::tokenize(s);
        !toks.is_empty()
            && toks
                .iter()
                .all(|t| lx.stop.contains(&t.norm) || lx.context.contains(&t.norm))
    };
    let refs: Vec<(&str, &schema::CatalogData)> =
        docs.iter().map(|(n, d)| (n.as_str(), d)).collect();
    for p in schema::validate(&refs, &vendor_key, &text_key, &domain_key, &generic) {
        if p.warning {
            println!("cargo:warning=catalog: {}: {}", p.path, p.message);
        } else {
            failures.push(format!("{}: {}", p.path, p.message));
        }
    }
    if !failures.is_empty() {
        eprintln!(
            "\nThe SaaS catalog in src/catalog/data is invalid ({} problem(s)):",
            failures.len()
        );
        for f in &failures {
            eprintln!("  - {f}");
        }
        eprintln!("See src/catalog/README.md for the format.\n");
        std::process::exit(1);
    }

    let mut merged = schema::CatalogData::default();
    for (_, d) in docs {
        merged.merge(d);
    }
    apply_pricing(&mut merged);
    // Notes are for catalog authors; the embedded copy does not need them.
    merged.comment = None;
    for a in &mut merged.apps {
        a.notes = None;
    }
    for g in &mut merged.vendor_groups {
        g.notes = None;
    }
    for r in &mut merged.resellers {
        r.notes = None;
    }
    let out_dir = std::env::var("OUT_DIR").unwrap();
    // The matcher's index of the shipped catalog, compiled here so that constructing an Engine
    // only decodes it (see src/matching/compiled.rs).
    let common: std::collections::HashSet<&str> =
        include_str!("src/matching/data/common-words.txt")
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .collect();
    // The common words, sorted and front-coded (each word: the length of the prefix it shares
    // with the previous one, as one byte below 32, then the rest): 40% smaller gzipped than the
    // word list. src/matching/lexicon.rs reads it.
    let mut sorted: Vec<&str> = common.iter().copied().collect();
    sorted.sort_unstable();
    let mut fc = Vec::new();
    let mut prev = "";
    for w in &sorted {
        let shared = prev
            .bytes()
            .zip(w.bytes())
            .take_while(|(a, b)| a == b)
            .count()
            .min(31);
        let shared = (0..=shared)
            .rev()
            .find(|&i| w.is_char_boundary(i))
            .unwrap_or(0);
        fc.push(shared as u8);
        fc.extend_from_slice(&w.as_bytes()[shared..]);
        prev = w;
    }
    assert!(
        sorted.iter().all(|w| w.bytes().all(|b| b >= 32)),
        "common words must not hold control characters"
    );
    std::fs::write(Path::new(&out_dir).join("common-words.fc"), fc).unwrap();
    let index = compiled::IndexData::build(&merged, &lx, &|w: &str| common.contains(w));
    // One blob: the catalog, then the index without what the catalog holds.
    let mut blob = compact::encode(&merged);
    blob.extend(index.encode());
    // What the crate will decode must be what was validated and compiled here.
    let (rows, _) = compact::Rows::read(&blob).expect("the catalog's bytes read back");
    assert!(
        rows.decode().as_ref() == Some(&merged),
        "the catalog's bytes decode to another catalog"
    );
    assert!(
        compiled::IndexData::decode(&blob).as_ref() == Some(&index),
        "the index's bytes decode to another index"
    );
    std::fs::write(Path::new(&out_dir).join("catalog.bin"), blob).unwrap();
}

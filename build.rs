//! Validates the shipped SaaS catalog (`src/catalog/data/*.json`) and embeds it.
//!
//! A broken catalog fails the build with the file, the JSON path and what to fix: duplicate ids,
//! an alias (normalized vendor entity, keyword, product, domain) claimed by two entries, an
//! unknown category, a dangling parent/app reference. The documents are merged in file-name order
//! into one minified JSON document in `OUT_DIR`, which `Catalog::builtin` parses once.

#[allow(dead_code)]
#[path = "src/matching/normalize.rs"]
mod normalize;
#[allow(dead_code)]
#[path = "src/catalog/schema.rs"]
mod schema;

use std::path::Path;

fn main() {
    let dir = Path::new("src/catalog/data");
    println!("cargo:rerun-if-changed=src/catalog/data");
    println!("cargo:rerun-if-changed=src/catalog/schema.rs");
    println!("cargo:rerun-if-changed=src/matching/normalize.rs");
    println!("cargo:rerun-if-changed=src/matching/data/lexicon.txt");

    let mut files: Vec<_> = std::fs::read_dir(dir)
        .map(|rd| rd.filter_map(|e| e.ok()).map(|e| e.path()).filter(|p| p.extension().map(|x| x == "json").unwrap_or(false)).collect())
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
        !toks.is_empty() && toks.iter().all(|t| lx.stop.contains(&t.norm) || lx.context.contains(&t.norm))
    };
    let refs: Vec<(&str, &schema::CatalogData)> = docs.iter().map(|(n, d)| (n.as_str(), d)).collect();
    for p in schema::validate(&refs, &vendor_key, &text_key, &domain_key, &generic) {
        if p.warning {
            println!("cargo:warning=catalog: {}: {}", p.path, p.message);
        } else {
            failures.push(format!("{}: {}", p.path, p.message));
        }
    }
    if !failures.is_empty() {
        eprintln!("\nThe SaaS catalog in src/catalog/data is invalid ({} problem(s)):", failures.len());
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
    let out = Path::new(&std::env::var("OUT_DIR").unwrap()).join("catalog.json");
    std::fs::write(&out, serde_json::to_string(&merged).unwrap()).unwrap();
}

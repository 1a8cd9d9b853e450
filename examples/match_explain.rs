//! Prints the matcher's decision for a vendor and a description, as JSON.
//!
//! ```text
//! cargo run --release --example match_explain -- "Zoom Dental Clinic" "Dental checkup"
//! cargo run --release --example match_explain -- "V-10442" "" --email ar@zendesk.com
//! ```

use bc_spend::catalog::Catalog;
use bc_spend::matching::{Matcher, VendorInfo};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut positional = Vec::new();
    let (mut website, mut email) = (None, None);
    let mut i = 0;
    while i < args.len() {
        match args[i].as_str() {
            "--website" => {
                website = args.get(i + 1).cloned();
                i += 1;
            }
            "--email" => {
                email = args.get(i + 1).cloned();
                i += 1;
            }
            other => positional.push(other.to_string()),
        }
        i += 1;
    }
    let vendor = positional.first().cloned().unwrap_or_default();
    let description = positional.get(1).cloned();
    let matcher = Matcher::new(Catalog::builtin(), &[]).expect("builtin catalog");
    let v = VendorInfo {
        name: &vendor,
        number: None,
        website: website.as_deref(),
        email: email.as_deref(),
    };
    if std::env::var_os("MATCH_DEBUG").is_some() {
        eprintln!("vendor:\n{}", matcher.debug_analysis(&vendor, true));
        if let Some(d) = &description {
            eprintln!("description:\n{}", matcher.debug_analysis(d, false));
        }
    }
    let d = matcher.explain(&v, description.as_deref().filter(|s| !s.is_empty()));
    println!("{}", serde_json::to_string_pretty(&d).unwrap());
}

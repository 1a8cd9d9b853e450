//! Catalog self-check: is every app reachable by its own names?
//!
//! For every app of the shipped catalog: each billing entity (upper-cased, legal form varied)
//! must match the app; each product, on a reseller's invoice line, must match the app; and the
//! app's brand followed by an unrelated trade ("<Brand> Plumbing Ltd") must stay unmatched.
//! Prints the failures, which usually point at catalog data (an ambiguous product name, a
//! missing billing entity) rather than at the matcher.
//!
//! ```text
//! cargo run --release --example match_selfcheck
//! ```

use bc_spend::catalog::Catalog;
use bc_spend::matching::{Matcher, VendorInfo};

fn main() {
    let catalog = Catalog::builtin();
    let m = Matcher::new(catalog.clone(), &[]).unwrap();
    let (mut ok, mut bad) = (0usize, Vec::new());
    let mut check = |what: &str, vendor: &str, desc: Option<&str>, want: Option<&str>| {
        let d = m.explain(&VendorInfo::named(vendor), desc);
        let got = d.matched.as_ref().map(|x| x.app_id.as_str());
        if got == want {
            ok += 1;
        } else {
            let why = d
                .rejected
                .as_ref()
                .map(|r| r.reason.clone())
                .unwrap_or_default();
            bad.push(format!(
                "{what}: {vendor:?} / {desc:?}: want {want:?} got {got:?} {why}"
            ));
        }
    };
    let reseller = catalog
        .resellers()
        .iter()
        .find(|r| !r.marketplace)
        .and_then(|r| r.vendors.first().cloned())
        .unwrap_or_else(|| "SHI International Corp.".into());
    for a in catalog.apps() {
        for v in &a.vendors {
            check("entity", &v.to_uppercase(), None, Some(&a.id));
        }
        for p in &a.products {
            check(
                "product",
                &reseller,
                Some(&format!("{p} - 10 users - 12 months")),
                Some(&a.id),
            );
        }
        // A typo: two letters of the entity's first word swapped ("Atlasisan").
        if let Some(v) = a.vendors.first() {
            let mut words: Vec<String> = v.split_whitespace().map(str::to_string).collect();
            let w: Vec<char> = words[0].chars().collect();
            if w.len() >= 6 && w.iter().all(|c| c.is_alphabetic()) && w[2] != w[3] {
                let mut t = w.clone();
                t.swap(2, 3);
                words[0] = t.into_iter().collect();
                check("typo", &words.join(" "), None, Some(&a.id));
            }
        }
        for k in &a.keywords {
            check(
                "keyword",
                "Corporate Card",
                Some(&format!("{k} subscription - 5 users")),
                Some(&a.id),
            );
        }
        let brand = a.name.split_whitespace().next().unwrap_or(&a.name);
        check(
            "near-miss",
            &format!("{brand} Plumbing & Heating Ltd"),
            Some("Boiler repair"),
            None,
        );
        check("near-miss", &format!("{brand} Dental Group"), None, None);
        check(
            "near-miss",
            "Acme Events Ltd",
            Some(&format!("{brand} restaurant - team dinner")),
            None,
        );
    }
    println!("{} checks passed, {} failed", ok, bad.len());
    for b in &bad {
        println!("  {b}");
    }
}

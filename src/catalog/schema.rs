//! The catalog's data format and its validation.
//!
//! `build.rs` includes this file (with `normalize.rs`) to reject a broken shipped catalog at
//! build time; [`Catalog`](super::Catalog) runs the same checks on caller-supplied data at run
//! time. So it depends on `serde` and the normalizer only.

use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};

/// One catalog document: the shape of each `src/catalog/data/*.json` file, and of the
/// `catalog` a caller passes to extend or replace the default.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CatalogData {
    #[serde(default, skip_serializing_if = "Option::is_none", rename = "$comment")]
    pub comment: Option<String>,
    #[serde(default)]
    pub apps: Vec<AppSpec>,
    #[serde(default)]
    pub vendor_groups: Vec<VendorGroupSpec>,
    #[serde(default)]
    pub resellers: Vec<ResellerSpec>,
}

/// A SaaS application.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AppSpec {
    pub id: String,
    pub name: String,
    pub category: String,
    /// Legal billing entities that bill for this app only.
    #[serde(default)]
    pub vendors: Vec<String>,
    /// Product, edition and plan names as invoice lines print them.
    #[serde(default)]
    pub products: Vec<String>,
    /// Words or phrases that identify the app on their own.
    #[serde(default)]
    pub keywords: Vec<String>,
    /// Words that pick this app among its vendor group's apps on that group's invoices only,
    /// when the line names no product ("usage" for an API, "seats" for a chat product).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cues: Vec<String>,
    #[serde(default)]
    pub domains: Vec<String>,
    /// The vendor group that sells this app.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    /// How the app is priced, when its category's default ([`PricingModel::of_category`]) is
    /// wrong for it. Read it through [`AppSpec::pricing_model`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pricing: Option<PricingModel>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
}

/// How an app's bill is made, which decides what a change in it means: a seat or flat
/// subscription's charge changes when its price (or seat count) does, a usage bill every month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PricingModel {
    /// Per user or seat (Slack, Salesforce).
    Seat,
    /// A fixed fee per period, whatever the use (a status page, a hosting plan).
    Flat,
    /// Metered: compute, API calls, messages, data ingested (AWS, Twilio, Snowflake).
    Usage,
    /// A seat or platform fee plus metered use (GitHub with Actions minutes).
    Mixed,
}

impl PricingModel {
    pub fn as_str(self) -> &'static str {
        match self {
            PricingModel::Seat => "seat",
            PricingModel::Flat => "flat",
            PricingModel::Usage => "usage",
            PricingModel::Mixed => "mixed",
        }
    }

    pub fn parse(s: &str) -> Option<PricingModel> {
        match s {
            "seat" => Some(PricingModel::Seat),
            "flat" => Some(PricingModel::Flat),
            "usage" => Some(PricingModel::Usage),
            "mixed" => Some(PricingModel::Mixed),
            _ => None,
        }
    }

    /// The usual model of a category: cloud infrastructure and observability are metered,
    /// everything else is sold per seat. Apps that differ say so (`pricing`).
    pub fn of_category(category: &str) -> PricingModel {
        match category {
            "cloud-infrastructure" | "observability" => PricingModel::Usage,
            _ => PricingModel::Seat,
        }
    }

    /// Whether a change in the charge says the price changed: metered bills move with use.
    pub fn has_price(self) -> bool {
        matches!(self, PricingModel::Seat | PricingModel::Flat)
    }
}

impl AppSpec {
    /// The app's pricing model: its own `pricing`, else its category's default.
    pub fn pricing_model(&self) -> PricingModel {
        self.pricing
            .unwrap_or_else(|| PricingModel::of_category(&self.category))
    }
}

/// A vendor that sells several apps; line descriptions decide which one.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VendorGroupSpec {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub vendors: Vec<String>,
    #[serde(default)]
    pub domains: Vec<String>,
    #[serde(default)]
    pub apps: Vec<String>,
    /// The app an invoice of this vendor is when no line names one; `None` when there is no
    /// safe default (Amazon invoices may be office supplies).
    #[serde(default)]
    pub default_app: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keywords: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
}

/// A reseller or marketplace; only line descriptions decide its invoices.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ResellerSpec {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub vendors: Vec<String>,
    #[serde(default)]
    pub domains: Vec<String>,
    /// A marketplace (AWS Marketplace) is also named on lines of its operator's own invoices.
    #[serde(default)]
    pub marketplace: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keywords: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
}

pub const CATEGORIES: &[&str] = &[
    "collaboration",
    "communication",
    "project-management",
    "developer-tools",
    "cloud-infrastructure",
    "observability",
    "security-identity",
    "crm-sales",
    "marketing",
    "customer-support",
    "hr-payroll",
    "finance-spend",
    "legal-esignature",
    "design",
    "data-analytics",
    "storage",
    "ai-assistants",
    "productivity",
    "it-management",
    "erp",
    "ecommerce",
    "education",
];

/// A problem found by [`validate`]: where it is and what to fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub path: String,
    pub message: String,
    /// A warning does not reject the catalog: the matcher ignores the alias concerned.
    pub warning: bool,
}

impl CatalogData {
    /// Appends `other`'s entries; an entry whose id is already present replaces it.
    pub fn merge(&mut self, other: CatalogData) {
        fn merge_vec<T, F: Fn(&T) -> &str>(dst: &mut Vec<T>, src: Vec<T>, id: F) {
            for item in src {
                match dst.iter().position(|d| id(d) == id(&item)) {
                    Some(i) => dst[i] = item,
                    None => dst.push(item),
                }
            }
        }
        merge_vec(&mut self.apps, other.apps, |a| &a.id);
        merge_vec(&mut self.vendor_groups, other.vendor_groups, |g| &g.id);
        merge_vec(&mut self.resellers, other.resellers, |r| &r.id);
    }
}

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.split('-').all(|p| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

/// The owner of an alias, for conflict messages.
#[derive(Clone, PartialEq, Eq)]
struct Claim {
    owner: String,
    path: String,
    raw: String,
}

/// Checks one or more catalog documents as they will be used together. `docs` pairs each
/// document with a label used in paths (a file name, or "" for a single document).
///
/// `vendor_key` and `text_key` are the matcher's normalizations of a vendor entity and of a
/// keyword/product, passed in so this file needs nothing from the rest of the crate.
pub fn validate(
    docs: &[(&str, &CatalogData)],
    vendor_key: &dyn Fn(&str) -> String,
    text_key: &dyn Fn(&str) -> String,
    domain_key: &dyn Fn(&str) -> Option<String>,
    generic: &dyn Fn(&str) -> bool,
) -> Vec<Problem> {
    let mut problems = Vec::new();
    let mut ids: HashMap<&str, String> = HashMap::new();
    let mut group_ids: HashSet<&str> = HashSet::new();
    let mut app_ids: HashSet<&str> = HashSet::new();
    let p = |label: &str, rest: String| {
        if label.is_empty() {
            rest
        } else {
            format!("{label}: {rest}")
        }
    };

    // Ids first, so references can be checked whatever the order of documents.
    for (label, doc) in docs {
        let entries = doc
            .apps
            .iter()
            .enumerate()
            .map(|(i, a)| (format!("apps/{i}"), a.id.as_str()))
            .chain(
                doc.vendor_groups
                    .iter()
                    .enumerate()
                    .map(|(i, g)| (format!("vendorGroups/{i}"), g.id.as_str())),
            )
            .chain(
                doc.resellers
                    .iter()
                    .enumerate()
                    .map(|(i, r)| (format!("resellers/{i}"), r.id.as_str())),
            );
        for (path, id) in entries {
            let path = p(label, path);
            if !valid_id(id) {
                problems.push(Problem {
                    path: format!("{path}/id"),
                    message: format!("id '{id}' must be lowercase kebab-case ASCII (letters, digits, single hyphens), e.g. 'microsoft-365'"),
                    warning: false,
                });
            }
            if let Some(prev) = ids.get(id) {
                problems.push(Problem {
                    path: format!("{path}/id"),
                    message: format!("duplicate id '{id}' (also at {prev}); ids are unique across apps, vendor groups and resellers"),
                    warning: false,
                });
            } else {
                ids.insert(id, path);
            }
        }
        group_ids.extend(doc.vendor_groups.iter().map(|g| g.id.as_str()));
        app_ids.extend(doc.apps.iter().map(|a| a.id.as_str()));
    }

    // Aliases: each namespace maps a normalized alias to the one entry that claims it.
    let mut vendor_claims: HashMap<String, Claim> = HashMap::new();
    let mut text_claims: HashMap<String, Claim> = HashMap::new();
    let mut domain_claims: HashMap<String, Claim> = HashMap::new();
    let mut cue_claims: HashMap<String, Claim> = HashMap::new();
    let mut claim = |ns: &mut HashMap<String, Claim>,
                     key: String,
                     owner: &str,
                     path: String,
                     raw: &str,
                     what: &str,
                     problems: &mut Vec<Problem>| {
        if key.is_empty() {
            problems.push(Problem {
                path,
                message: format!("{what} '{raw}' is empty once normalized; remove it"),
                warning: false,
            });
            return;
        }
        match ns.get(&key) {
            Some(c) if c.owner != owner => problems.push(Problem {
                path,
                message: format!(
                    "{what} '{raw}' (normalized '{key}') is claimed by '{owner}' and by '{}' (at {}, as '{}'); an alias must identify one entry: move a shared billing entity to a vendorGroups entry, or make the phrase more specific",
                    c.owner, c.path, c.raw
                ),
                warning: false,
            }),
            Some(_) => {}
            None => {
                ns.insert(key, Claim { owner: owner.to_string(), path, raw: raw.to_string() });
            }
        }
    };

    for (label, doc) in docs {
        for (i, app) in doc.apps.iter().enumerate() {
            let base = p(label, format!("apps/{i}"));
            if app.name.trim().is_empty() {
                problems.push(Problem {
                    path: format!("{base}/name"),
                    message: format!("app '{}' has an empty name", app.id),
                    warning: false,
                });
            }
            if !CATEGORIES.contains(&app.category.as_str()) {
                problems.push(Problem {
                    path: format!("{base}/category"),
                    message: format!(
                        "app '{}' has unknown category '{}'; use one of: {}",
                        app.id,
                        app.category,
                        CATEGORIES.join(", ")
                    ),
                    warning: false,
                });
            }
            if let Some(parent) = &app.parent {
                if !group_ids.contains(parent.as_str()) {
                    problems.push(Problem {
                        path: format!("{base}/parent"),
                        message: format!(
                            "app '{}' names parent '{parent}', which is not a vendorGroups id",
                            app.id
                        ),
                        warning: false,
                    });
                }
            }
            for (j, v) in app.vendors.iter().enumerate() {
                claim(
                    &mut vendor_claims,
                    vendor_key(v),
                    &app.id,
                    format!("{base}/vendors/{j}"),
                    v,
                    "vendor entity",
                    &mut problems,
                );
            }
            let mut phrases: Vec<(String, &str, &str)> =
                vec![(format!("{base}/name"), app.name.as_str(), "app name")];
            phrases.extend(
                app.keywords
                    .iter()
                    .enumerate()
                    .map(|(j, k)| (format!("{base}/keywords/{j}"), k.as_str(), "keyword")),
            );
            phrases.extend(
                app.products
                    .iter()
                    .enumerate()
                    .map(|(j, k)| (format!("{base}/products/{j}"), k.as_str(), "product")),
            );
            for (path, raw, what) in phrases {
                if what == "keyword" && generic(raw) {
                    problems.push(Problem {
                        path: path.clone(),
                        message: format!("keyword '{raw}' of '{}' is made of generic words only and is ignored; keywords must identify the app on their own", app.id),
                        warning: true,
                    });
                }
                claim(
                    &mut text_claims,
                    text_key(raw),
                    &app.id,
                    path,
                    raw,
                    what,
                    &mut problems,
                );
            }
            // A cue is ordinary vocabulary, so it only means something next to the group's other
            // apps: it needs a group, and two apps of one group cannot share it.
            for (j, c) in app.cues.iter().enumerate() {
                let path = format!("{base}/cues/{j}");
                match &app.parent {
                    Some(parent) => claim(
                        &mut cue_claims,
                        format!("{parent} {}", text_key(c)),
                        &app.id,
                        path,
                        c,
                        "cue",
                        &mut problems,
                    ),
                    None => problems.push(Problem {
                        path,
                        message: format!(
                            "app '{}' has cues but no parent; cues pick an app among its vendor group's apps, so set `parent`",
                            app.id
                        ),
                        warning: false,
                    }),
                }
            }
            for (j, d) in app.domains.iter().enumerate() {
                check_domain(
                    d,
                    &app.id,
                    format!("{base}/domains/{j}"),
                    domain_key,
                    &mut domain_claims,
                    &mut problems,
                    &mut claim,
                );
            }
        }
        for (i, g) in doc.vendor_groups.iter().enumerate() {
            let base = p(label, format!("vendorGroups/{i}"));
            for (j, a) in g.apps.iter().enumerate() {
                if !app_ids.contains(a.as_str()) {
                    problems.push(Problem {
                        path: format!("{base}/apps/{j}"),
                        message: format!(
                            "vendor group '{}' lists app '{a}', which is not an app id",
                            g.id
                        ),
                        warning: false,
                    });
                }
            }
            if let Some(d) = &g.default_app {
                if !app_ids.contains(d.as_str()) {
                    problems.push(Problem {
                        path: format!("{base}/defaultApp"),
                        message: format!(
                            "vendor group '{}' has defaultApp '{d}', which is not an app id",
                            g.id
                        ),
                        warning: false,
                    });
                }
            }
            for (j, v) in g.vendors.iter().enumerate() {
                claim(
                    &mut vendor_claims,
                    vendor_key(v),
                    &g.id,
                    format!("{base}/vendors/{j}"),
                    v,
                    "vendor entity",
                    &mut problems,
                );
            }
            claim(
                &mut text_claims,
                text_key(&g.name),
                &g.id,
                format!("{base}/name"),
                &g.name,
                "vendor group name",
                &mut problems,
            );
            for (j, k) in g.keywords.iter().enumerate() {
                claim(
                    &mut text_claims,
                    text_key(k),
                    &g.id,
                    format!("{base}/keywords/{j}"),
                    k,
                    "keyword",
                    &mut problems,
                );
            }
            for (j, d) in g.domains.iter().enumerate() {
                check_domain(
                    d,
                    &g.id,
                    format!("{base}/domains/{j}"),
                    domain_key,
                    &mut domain_claims,
                    &mut problems,
                    &mut claim,
                );
            }
        }
        for (i, r) in doc.resellers.iter().enumerate() {
            let base = p(label, format!("resellers/{i}"));
            for (j, v) in r.vendors.iter().enumerate() {
                claim(
                    &mut vendor_claims,
                    vendor_key(v),
                    &r.id,
                    format!("{base}/vendors/{j}"),
                    v,
                    "vendor entity",
                    &mut problems,
                );
            }
            if r.marketplace {
                claim(
                    &mut text_claims,
                    text_key(&r.name),
                    &r.id,
                    format!("{base}/name"),
                    &r.name,
                    "marketplace name",
                    &mut problems,
                );
            }
            for (j, k) in r.keywords.iter().enumerate() {
                claim(
                    &mut text_claims,
                    text_key(k),
                    &r.id,
                    format!("{base}/keywords/{j}"),
                    k,
                    "keyword",
                    &mut problems,
                );
            }
            for (j, d) in r.domains.iter().enumerate() {
                check_domain(
                    d,
                    &r.id,
                    format!("{base}/domains/{j}"),
                    domain_key,
                    &mut domain_claims,
                    &mut problems,
                    &mut claim,
                );
            }
        }
    }
    problems
}

#[allow(clippy::too_many_arguments, clippy::type_complexity)]
fn check_domain(
    d: &str,
    owner: &str,
    path: String,
    domain_key: &dyn Fn(&str) -> Option<String>,
    claims: &mut HashMap<String, Claim>,
    problems: &mut Vec<Problem>,
    claim: &mut dyn FnMut(
        &mut HashMap<String, Claim>,
        String,
        &str,
        String,
        &str,
        &str,
        &mut Vec<Problem>,
    ),
) {
    match domain_key(d) {
        Some(k) if k == d.trim() => claim(claims, k, owner, path, d, "domain", problems),
        Some(k) => problems.push(Problem {
            path,
            message: format!("domain '{d}' of '{owner}' must be written as '{k}' (lowercase, no scheme, no 'www.', no path)"),
            warning: false,
        }),
        None => problems.push(Problem { path, message: format!("domain '{d}' of '{owner}' is not a domain name (e.g. 'slack.com')"), warning: false }),
    }
}

//! The SaaS catalog: which apps exist, who bills for them, and how invoices name them.
//!
//! The default catalog is data (`src/catalog/data/*.json`, format in `README.md`), validated by
//! `build.rs` and embedded in the binary. A caller can extend it ([`Catalog::extend`]) or replace
//! it ([`Catalog::from_data`]) with documents of the same format; those are validated at run time
//! and rejected with a [`ConfigError`] whose code is `CATALOG_INVALID`.

pub(crate) mod compact;
mod schema;

pub(crate) use schema::validate;
pub use schema::{AppSpec, CatalogData, PricingModel, ResellerSpec, VendorGroupSpec, CATEGORIES};

use crate::error::ConfigError;
use crate::error::ErrorCode;
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

/// An app of the catalog.
pub type App = AppSpec;
/// A vendor that sells several apps.
pub type VendorGroup = VendorGroupSpec;
/// A reseller or marketplace.
pub type Reseller = ResellerSpec;

/// A validated catalog. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Catalog {
    inner: Arc<Inner>,
}

/// The data and its id tables, made on first use: the shipped catalog is parsed only when
/// something asks for its data (the matcher works from its own compiled index), which keeps
/// `Engine` construction cheap.
struct Inner {
    data: OnceLock<CatalogData>,
    tables: OnceLock<Tables>,
}

struct Tables {
    apps: HashMap<String, usize>,
    groups: HashMap<String, usize>,
    resellers: HashMap<String, usize>,
}

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Catalog")
            .field("parsed", &self.data.get().is_some())
            .finish()
    }
}

/// The shipped catalog, compiled by `build.rs`: the catalog's columns ([`compact`]) followed by
/// the matcher's index of it (`crate::matching::compiled`), one encoding read by both.
#[doc(hidden)]
pub const BUILTIN_BYTES: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/catalog.bin"));

/// The entries of the shipped catalog, their texts borrowed; build.rs checked that they decode,
/// so failing here is a build bug, not input.
fn builtin_rows() -> compact::Rows<'static> {
    compact::Rows::read(BUILTIN_BYTES)
        .expect("build.rs wrote a valid catalog")
        .0
}

impl Catalog {
    /// The shipped default catalog, parsed once per process.
    pub fn builtin() -> Catalog {
        static BUILTIN: OnceLock<Catalog> = OnceLock::new();
        BUILTIN
            .get_or_init(|| Catalog {
                inner: Arc::new(Inner {
                    data: OnceLock::new(),
                    tables: OnceLock::new(),
                }),
            })
            .clone()
    }

    /// Whether this is the shipped catalog, unchanged.
    pub fn is_builtin(&self) -> bool {
        Arc::ptr_eq(&self.inner, &Catalog::builtin().inner)
    }

    /// Reads caller-supplied catalog data (same format as the shipped files). Checks the shape
    /// only; [`Catalog::extend`] and [`Catalog::from_data`] check it against the rest.
    pub fn from_json_value(v: &serde_json::Value) -> Result<CatalogData, ConfigError> {
        CatalogData::deserialize_value(v)
    }

    /// A catalog of `data` as given: the validating constructors ([`Catalog::extend`],
    /// [`Catalog::from_data`]) are in `crate::matching`, whose normalization they check with.
    pub(crate) fn index(data: CatalogData) -> Catalog {
        Catalog {
            inner: Arc::new(Inner {
                data: OnceLock::from(data),
                tables: OnceLock::new(),
            }),
        }
    }

    fn tables(&self) -> &Tables {
        self.inner.tables.get_or_init(|| {
            let data = self.data();
            Tables {
                apps: data
                    .apps
                    .iter()
                    .enumerate()
                    .map(|(i, a)| (a.id.clone(), i))
                    .collect(),
                groups: data
                    .vendor_groups
                    .iter()
                    .enumerate()
                    .map(|(i, a)| (a.id.clone(), i))
                    .collect(),
                resellers: data
                    .resellers
                    .iter()
                    .enumerate()
                    .map(|(i, a)| (a.id.clone(), i))
                    .collect(),
            }
        })
    }

    /// The pricing model of app `app_id`, whose category is `category` (as a match carries it):
    /// the app's own, else its category's. For the shipped catalog this reads the corrections
    /// ids and pricing bytes only, without decoding the catalog.
    pub fn pricing_of(&self, app_id: &str, category: &str) -> PricingModel {
        if self.is_builtin() {
            static TABLE: OnceLock<HashMap<&'static str, PricingModel>> = OnceLock::new();
            let table = TABLE.get_or_init(|| {
                builtin_rows()
                    .apps
                    .iter()
                    .filter_map(|a| Some((a.id, compact::pricing_model(a.pricing)?)))
                    .collect()
            });
            return table
                .get(app_id)
                .copied()
                .unwrap_or_else(|| PricingModel::of_category(category));
        }
        self.app(app_id)
            .map(|a| a.pricing_model())
            .unwrap_or_else(|| PricingModel::of_category(category))
    }

    pub fn app(&self, id: &str) -> Option<&App> {
        self.tables().apps.get(id).map(|&i| &self.data().apps[i])
    }
    pub fn vendor_group(&self, id: &str) -> Option<&VendorGroup> {
        self.tables()
            .groups
            .get(id)
            .map(|&i| &self.data().vendor_groups[i])
    }
    pub fn reseller(&self, id: &str) -> Option<&Reseller> {
        self.tables()
            .resellers
            .get(id)
            .map(|&i| &self.data().resellers[i])
    }
    /// Number of apps.
    pub fn len(&self) -> usize {
        self.data().apps.len()
    }
    pub fn is_empty(&self) -> bool {
        self.data().apps.is_empty()
    }
    pub fn apps(&self) -> &[App] {
        &self.data().apps
    }
    pub fn vendor_groups(&self) -> &[VendorGroup] {
        &self.data().vendor_groups
    }
    pub fn resellers(&self) -> &[Reseller] {
        &self.data().resellers
    }
    /// The whole catalog as data (e.g. to serialize it for a caller).
    pub fn data(&self) -> &CatalogData {
        // Only the shipped catalog starts undecoded; build.rs checked that its bytes decode to
        // the catalog it validated, so failing here is a build bug, not input.
        self.inner.data.get_or_init(|| {
            builtin_rows()
                .decode()
                .expect("build.rs wrote a valid catalog")
        })
    }
}

impl CatalogData {
    /// Parses a catalog document from JSON, with a `CATALOG_INVALID` error naming the path.
    pub fn deserialize_value(v: &serde_json::Value) -> Result<CatalogData, ConfigError> {
        serde::Deserialize::deserialize(v).map_err(|e: serde_json::Error| {
            ConfigError::new(
                ErrorCode::CatalogInvalid,
                format!("the catalog is not in the catalog format ({e}); see the catalog README for the fields of apps, vendorGroups and resellers"),
            )
            .at("catalog")
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The category gives the default; the list in `data/pricing.txt` corrects it where the
    /// category is wrong for one app (a communications API in `communication`, a warehouse in
    /// `data-analytics`, an on-call tool in `observability`).
    #[test]
    fn every_app_has_a_pricing_model() {
        let c = Catalog::builtin();
        let model = |id: &str| c.app(id).unwrap().pricing_model();
        assert_eq!(model("aws"), PricingModel::Usage);
        assert_eq!(model("datadog"), PricingModel::Usage);
        assert_eq!(model("snowflake"), PricingModel::Usage);
        assert_eq!(model("twilio-communications"), PricingModel::Usage);
        assert_eq!(model("openai-api"), PricingModel::Usage);
        assert_eq!(model("slack"), PricingModel::Seat);
        assert_eq!(model("tableau"), PricingModel::Seat);
        assert_eq!(model("pagerduty"), PricingModel::Seat);
        assert_eq!(model("github"), PricingModel::Seat);
        assert_eq!(model("sentry"), PricingModel::Mixed);
        assert_eq!(model("statuspage"), PricingModel::Flat);
        // Products split from a multi-product vendor keep their own model: Autodesk Flex is
        // prepaid tokens, Commerce Cloud a share of sales, Flex seats or active hours plus the
        // calls it carries; Zoom Phone is per user like Zoom.
        assert_eq!(model("autodesk-flex"), PricingModel::Usage);
        assert_eq!(model("salesforce-commerce-cloud"), PricingModel::Usage);
        assert_eq!(model("twilio-flex"), PricingModel::Mixed);
        assert_eq!(model("zoom-phone"), PricingModel::Seat);
        // Only corrections are embedded: the category default costs no bytes.
        assert!(c.app("slack").unwrap().pricing.is_none());
        assert_eq!(
            PricingModel::of_category("cloud-infrastructure"),
            PricingModel::Usage
        );
        assert_eq!(PricingModel::of_category("crm-sales"), PricingModel::Seat);
    }

    #[test]
    fn the_pricing_table_agrees_with_the_catalog() {
        let c = Catalog::builtin();
        let fresh = Catalog::index(c.data().clone());
        assert!(!fresh.is_builtin());
        for a in c.apps() {
            assert_eq!(
                c.pricing_of(&a.id, &a.category),
                a.pricing_model(),
                "{}",
                a.id
            );
            assert_eq!(
                fresh.pricing_of(&a.id, &a.category),
                a.pricing_model(),
                "{}",
                a.id
            );
        }
        // An app the catalog does not know: its category's default.
        assert_eq!(
            c.pricing_of("acme-metrics", "observability"),
            PricingModel::Usage
        );
    }

    #[test]
    fn a_caller_catalog_may_set_pricing_and_a_bad_value_is_refused() {
        let ok = serde_json::json!({"apps": [{"id": "acme", "name": "Acme", "category": "crm-sales", "pricing": "usage"}]});
        let data = Catalog::from_json_value(&ok).unwrap();
        assert_eq!(data.apps[0].pricing_model(), PricingModel::Usage);
        let bad = serde_json::json!({"apps": [{"id": "acme", "name": "Acme", "category": "crm-sales", "pricing": "metered"}]});
        let e = Catalog::from_json_value(&bad).unwrap_err();
        assert_eq!(e.code, ErrorCode::CatalogInvalid);
    }

    #[test]
    fn builtin_parses() {
        let c = Catalog::builtin();
        for a in c.apps() {
            assert!(CATEGORIES.contains(&a.category.as_str()));
        }
    }
}

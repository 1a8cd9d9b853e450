//! A caller's catalog, checked with the matcher's own normalization: an alias that two entries
//! claim, a generic word used as a keyword or a malformed domain is caught with the very keys the
//! matcher will compare (as `build.rs` checks the shipped catalog). The validating constructors
//! of [`Catalog`] live here, so the catalog module does not reach back into the matcher.

use super::{lexicon, normalize};
use crate::catalog::{validate, Catalog, CatalogData};
use crate::error::ConfigError;
use crate::error::ErrorCode;

impl Catalog {
    /// The catalog plus `extra`; an entry of `extra` whose id exists replaces that entry.
    pub fn extend(self, extra: CatalogData) -> Result<Catalog, ConfigError> {
        let mut data = self.data().clone();
        check(&[("catalog", &extra)], "")?;
        data.merge(extra);
        check(
            &[("", &data)],
            "the catalog extended with the given entries: ",
        )?;
        Ok(Catalog::index(data))
    }

    /// A catalog made of `data` only.
    pub fn from_data(data: CatalogData) -> Result<Catalog, ConfigError> {
        check(&[("catalog", &data)], "")?;
        Ok(Catalog::index(data))
    }
}

/// Validates documents with the matcher's own normalization.
fn check(docs: &[(&str, &CatalogData)], prefix: &str) -> Result<(), ConfigError> {
    let lx = lexicon();
    let vendor_key = |s: &str| normalize::vendor_key(lx, s);
    let text_key = |s: &str| normalize::normalize_text(s);
    let domain_key = |s: &str| normalize::field_domain(s);
    let generic = |s: &str| {
        let toks = normalize::tokenize(s);
        !toks.is_empty()
            && toks
                .iter()
                .all(|t| lx.stop.contains(&t.norm) || lx.context.contains(&t.norm))
    };
    let problems = validate(docs, &vendor_key, &text_key, &domain_key, &generic);
    match problems.into_iter().find(|p| !p.warning) {
        None => Ok(()),
        Some(p) => {
            let path = p.path.replace(": ", "/");
            Err(
                ConfigError::new(ErrorCode::CatalogInvalid, format!("{prefix}{}", p.message))
                    .at(path),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn small() -> CatalogData {
        Catalog::from_json_value(&json!({
            "apps": [
                {"id": "slack", "name": "Slack", "category": "communication", "vendors": ["Slack Technologies, LLC"], "keywords": ["slack"], "domains": ["slack.com"]},
                {"id": "zoom", "name": "Zoom", "category": "communication", "vendors": ["Zoom Video Communications, Inc."], "domains": ["zoom.us"]}
            ]
        }))
        .unwrap()
    }

    #[test]
    fn accepts_valid_data() {
        let c = Catalog::from_data(small()).unwrap();
        assert_eq!(c.len(), 2);
        assert_eq!(c.app("zoom").unwrap().name, "Zoom");
    }

    #[test]
    fn rejects_unknown_fields_and_categories() {
        let e = Catalog::from_json_value(
            &json!({"apps": [{"id": "x", "name": "X", "category": "chat", "vendorz": []}]}),
        )
        .unwrap_err();
        assert_eq!(e.code, ErrorCode::CatalogInvalid);
        assert!(e.message.contains("vendorz"), "{}", e.message);
        let mut d = small();
        d.apps[0].category = "chat".into();
        let e = Catalog::from_data(d).unwrap_err();
        assert_eq!(e.path.as_deref(), Some("catalog/apps/0/category"));
        assert!(e.message.contains("unknown category 'chat'"));
    }

    #[test]
    fn rejects_alias_claimed_twice() {
        let mut d = small();
        d.apps[1].vendors.push("Slack Technologies Limited".into());
        let e = Catalog::from_data(d).unwrap_err();
        assert_eq!(e.path.as_deref(), Some("catalog/apps/1/vendors/1"));
        assert!(
            e.message.contains("claimed by 'zoom' and by 'slack'"),
            "{}",
            e.message
        );
    }

    #[test]
    fn rejects_duplicate_ids_and_dangling_references() {
        let mut d = small();
        d.apps[1].id = "slack".into();
        assert!(Catalog::from_data(d)
            .unwrap_err()
            .message
            .contains("duplicate id 'slack'"));
        let mut d = small();
        d.apps[0].parent = Some("salesforce".into());
        assert!(Catalog::from_data(d)
            .unwrap_err()
            .message
            .contains("not a vendorGroups id"));
        let mut d = small();
        d.apps[0].domains[0] = "https://slack.com".into();
        assert!(Catalog::from_data(d)
            .unwrap_err()
            .message
            .contains("must be written as 'slack.com'"));
    }

    #[test]
    fn cues_need_a_vendor_group_and_one_app_per_cue_in_it() {
        let group = |cues_a: serde_json::Value, cues_b: serde_json::Value, parent: bool| {
            let parent = if parent { json!("acme") } else { json!(null) };
            let mut v = json!({
                "apps": [
                    {"id": "acme-chat", "name": "Acme Chat", "category": "ai-assistants", "cues": cues_a, "parent": parent},
                    {"id": "acme-api", "name": "Acme API", "category": "developer-tools", "cues": cues_b, "parent": parent}
                ],
                "vendorGroups": [{"id": "acme", "name": "Acme", "vendors": ["Acme AI, Inc."], "apps": ["acme-chat", "acme-api"]}]
            });
            if v["apps"][0]["parent"].is_null() {
                for a in v["apps"].as_array_mut().unwrap() {
                    a.as_object_mut().unwrap().remove("parent");
                }
                v["vendorGroups"][0]["apps"] = json!([]);
            }
            Catalog::from_json_value(&v).and_then(Catalog::from_data)
        };
        assert!(group(json!(["seats"]), json!(["usage", "tokens"]), true).is_ok());
        let e = group(json!(["seats"]), json!(["Usage", "seats"]), true).unwrap_err();
        assert_eq!(e.path.as_deref(), Some("catalog/apps/1/cues/1"));
        assert!(e.message.contains("claimed by"), "{}", e.message);
        let e = group(json!(["seats"]), json!([]), false).unwrap_err();
        assert_eq!(e.path.as_deref(), Some("catalog/apps/0/cues/0"));
        assert!(e.message.contains("no parent"), "{}", e.message);
    }

    #[test]
    fn extend_replaces_by_id_and_validates_the_result() {
        let base = Catalog::from_data(small()).unwrap();
        let extra = Catalog::from_json_value(&json!({"apps": [
            {"id": "acme-crm", "name": "Acme CRM", "category": "crm-sales", "keywords": ["acmecrm"]}
        ]}))
        .unwrap();
        let c = base.clone().extend(extra).unwrap();
        assert_eq!(c.len(), 3);
        let clash = Catalog::from_json_value(&json!({"apps": [
            {"id": "other", "name": "Other", "category": "crm-sales", "domains": ["slack.com"]}
        ]}))
        .unwrap();
        let e = base.extend(clash).unwrap_err();
        assert_eq!(e.code, ErrorCode::CatalogInvalid);
        assert!(e.message.contains("slack.com"));
    }
}

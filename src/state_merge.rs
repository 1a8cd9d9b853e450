//! One engine from the states of several syncs of one environment, each of its own companies.
//!
//! When a sync fans out (the Cloudflare Worker in `www/worker/` syncs every company of a tenant
//! as its own queue message, and keeps one state per company), the tenant's report needs all
//! companies in one engine: overlapping apps, vendors paid from several companies and user
//! counts are insights across companies.
//!
//! ```
//! use bc_spend::engine::{Engine, EngineOptions};
//! let options = || EngineOptions { window_start: Some("2025-11-26".into()), ..Default::default() };
//! let state_of = |company: &str, invoice: &str| {
//!     let mut e = Engine::new(options()).unwrap();
//!     e.add_page_text(None, Some(company), &format!(r#"{{"@odata.context":"x/$metadata#companies({company})/purchaseInvoices",
//!       "value":[{{"id":"{invoice}","number":"PPI1","postingDate":"2026-01-05","status":"Paid",
//!       "currencyCode":"EUR","totalAmountExcludingTax":10,"totalAmountIncludingTax":12}}]}}"#));
//!     e.export_state()
//! };
//! let a = state_of("c1", "11111111-1111-1111-1111-111111111111");
//! let b = state_of("c2", "22222222-2222-2222-2222-222222222222");
//! let mut all = Engine::from_states(options(), &[&a[..], &b[..]]).unwrap();
//! assert_eq!(all.transactions().len(), 2);
//! ```
//!
//! ## What comes from where
//! - From every state: its companies' documents, versions, vendors and local currency, the
//!   diagnostics of company-scoped entities (vendors, general ledger setup, invoices, credit
//!   memos), and its removals.
//! - From one state, the *environment source*: what describes the environment as a whole and
//!   is read again by every company's sync: the users (BC's automation API lists the same users
//!   for every company) and the company list, with their diagnostics. It is
//!   the first state that holds users, or the first state when none does. A single sync of all
//!   companies reads users through its first company; giving the states in the company list's
//!   order therefore rebuilds exactly the engine (and `exportState()` bytes) that single sync
//!   would have.
//! - From none: the counts of what each sync read (a state does not keep them, see
//!   `src/state/v2.rs`): the merged engine counts what is added to it afterwards.
//!
//! ## Errors
//! Each state is read as by [`Engine::from_state`] (`STATE_INVALID`, `STATE_VERSION`,
//! `STATE_FOREIGN`), with the path prefixed by `states/{index}`. Two states that both hold data
//! of one company give `STATE_MERGE_OVERLAP`: a company's data must come from one state, or
//! a document could be counted twice.

use crate::bc::Entity;
use crate::diagnostics::{Diagnostic, DiagnosticCode, Severity, KEEP_PER_CODE};
use crate::engine::{Engine, EngineOptions};
use crate::error::ConfigError;
use crate::error::ErrorCode;
use std::collections::{BTreeMap, BTreeSet};

/// Entities read once per environment, whichever company a sync reads them through.
fn environment_wide(entity: Entity) -> bool {
    matches!(entity, Entity::Companies | Entity::Users)
}

fn environment_wide_diagnostic(d: &Diagnostic) -> bool {
    matches!(d.entity, Some(e) if Entity::parse(e).is_some_and(environment_wide))
}

/// The companies whose own data (not just their entry in the company list) `e` holds.
fn companies_held(e: &Engine) -> BTreeSet<String> {
    let mut out: BTreeSet<String> = BTreeSet::new();
    out.extend(e.docs.keys().map(|(c, _, _)| c.to_string()));
    out.extend(e.versions.keys().map(|(c, _, _)| c.to_string()));
    out.extend(
        e.companies
            .iter()
            .filter(|(_, s)| s.local_currency.is_some() || !s.vendors.is_empty())
            .map(|(c, _)| c.clone()),
    );
    out
}

impl Engine {
    /// Rebuilds one engine, configured by `options`, from the [`Engine::export_state`] bytes of
    /// syncs of different companies of one environment (see the module docs for what comes
    /// from which state). No states gives an empty engine.
    pub fn from_states(options: EngineOptions, states: &[&[u8]]) -> Result<Engine, ConfigError> {
        if states.is_empty() {
            return Engine::new(options);
        }
        let mut engines = Vec::with_capacity(states.len());
        for (i, state) in states.iter().enumerate() {
            let e = Engine::from_state(options.clone(), state).map_err(|err| {
                let path = match &err.path {
                    Some(p) => format!("states/{i}/{p}"),
                    None => format!("states/{i}"),
                };
                ConfigError {
                    path: Some(path),
                    ..err
                }
            })?;
            engines.push(e);
        }

        let mut owner: BTreeMap<String, usize> = BTreeMap::new();
        for (i, e) in engines.iter().enumerate() {
            for c in companies_held(e) {
                if let Some(first) = owner.insert(c.clone(), i) {
                    return Err(ConfigError::new(
                        ErrorCode::StateMergeOverlap,
                        format!("company {c} has data in states {first} and {i}; merge the states of different companies (one state per company), or the same documents would be counted twice"),
                    )
                    .at(format!("states/{i}")));
                }
            }
        }

        let source = engines
            .iter()
            .position(|e| !e.users.is_empty())
            .unwrap_or(0);
        let mut parts = engines.into_iter().enumerate();
        let (_, mut base) = parts.next().expect("at least one state");
        if source != 0 {
            // The first state is not the environment source: drop what it read of the
            // environment (the source's reading replaces it below).
            base.users.clear();
            base.diags.retain(|d| !environment_wide_diagnostic(d));
        }
        for (i, other) in parts {
            base.absorb(other, i == source);
        }
        base.invalidate();
        Ok(base)
    }

    /// Moves `other`'s company-scoped data into `self`, and its environment-wide data too when
    /// it is the environment source.
    fn absorb(&mut self, other: Engine, is_source: bool) {
        // Its kept match decisions, before `other` is taken apart: the merged engine analyses
        // only the keys no state decided, or whose words stand otherwise in the merged data.
        self.matcher().absorb_decisions(other.matcher());
        let Engine {
            companies,
            docs,
            versions,
            users,
            diags,
            removals,
            texts,
            ..
        } = other;
        // Its documents' texts, for pages read after the merge to share.
        self.texts.merge(texts);
        for (id, s) in companies {
            let mine = self.companies.entry(id).or_default();
            if mine.company.is_none() {
                mine.company = s.company;
            }
            if s.local_currency.is_some() {
                mine.local_currency = s.local_currency;
            }
            mine.vendors.extend(s.vendors);
        }
        self.docs.extend(docs);
        self.versions.extend(versions);
        if is_source {
            self.users = users;
        }

        // Kept diagnostics first, in their order; then the ones only counted (a code past the
        // per-code limit), which push() counts without keeping once the limit is reached.
        let mut kept: BTreeMap<DiagnosticCode, u64> = BTreeMap::new();
        let mut last_of_code: BTreeMap<DiagnosticCode, Diagnostic> = BTreeMap::new();
        for d in diags.items() {
            *kept.entry(d.code).or_default() += 1;
            if is_source || !environment_wide_diagnostic(d) {
                self.diags.push(d.clone());
                last_of_code.insert(d.code, d.clone());
            }
        }
        for (code, total) in diags.counts() {
            let have = kept.get(code).copied().unwrap_or(0);
            if *total <= have {
                continue;
            }
            // Counted but not kept: of the same entity as the kept ones of its code.
            let Some(example) = last_of_code.get(code) else {
                continue;
            };
            for _ in have..*total {
                let reached = self.diags.counts().get(code).copied().unwrap_or(0) >= KEEP_PER_CODE;
                self.diags.push(if reached {
                    Diagnostic::new(Severity::Info, *code, String::new())
                } else {
                    example.clone()
                });
            }
        }
        self.removals.extend(removals);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> String {
        std::fs::read_to_string(format!(
            "{}/tests/fixtures/sample/{name}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
    }

    fn options() -> EngineOptions {
        EngineOptions {
            connected_at: Some("2026-11-26".into()),
            environment: Some("tenant/production".into()),
            ..Default::default()
        }
    }

    const US: [&str; 5] = [
        "us-generalLedgerSetup.json",
        "us-vendors.json",
        "us-purchaseInvoices-1.json",
        "us-purchaseInvoices-2.json",
        "us-purchaseCreditMemos.json",
    ];
    const UK: [&str; 3] = [
        "uk-generalLedgerSetup.json",
        "uk-vendors.json",
        "uk-purchaseInvoices.json",
    ];

    fn load(e: &mut Engine, files: &[&str]) {
        for f in files {
            e.add_page_text(None, None, &fixture(f));
        }
    }

    /// What a sync of one company reads: the company list, the company's pages, and the users
    /// through that company.
    fn company_sync(pages: &[&str], users: &str) -> Engine {
        let mut e = Engine::new(options()).unwrap();
        load(&mut e, &["companies.json"]);
        load(&mut e, pages);
        load(&mut e, &[users]);
        e
    }

    /// A page with a broken record, so the merged diagnostics and counts are exercised.
    fn broken_page(company: &str) -> String {
        format!(
            r#"{{"@odata.context":"x/$metadata#companies({company})/purchaseInvoices","value":[
              {{"number":"PPI-NO-ID","postingDate":"2026-03-01","status":"Paid","totalAmountExcludingTax":5,"totalAmountIncludingTax":5}},
              {{"id":"99999999-9999-9999-9999-999999999999","number":"PPI-BAD","postingDate":"2026-03-01","status":"Paid","totalAmountExcludingTax":"x","totalAmountIncludingTax":5}}]}}"#
        )
    }

    const US_ID: &str = "ea8329e5-afeb-5221-ad88-e9eaf3d825dd";
    const UK_ID: &str = "d03af97d-9010-54a6-9c33-d2eaba1ef991";

    #[test]
    fn merging_per_company_states_rebuilds_the_single_sync_exactly() {
        // One sync of both companies: users through the first company.
        let mut single = Engine::new(options()).unwrap();
        load(&mut single, &["companies.json"]);
        load(&mut single, &US);
        single.add_page_text(None, None, &broken_page(US_ID));
        load(&mut single, &["us-users.json"]);
        load(&mut single, &UK);
        single.add_page_text(None, None, &broken_page(UK_ID));

        // The first company's sync, in the same order: its pages, then the users through it.
        let mut us_state = Engine::new(options()).unwrap();
        load(&mut us_state, &["companies.json"]);
        load(&mut us_state, &US);
        us_state.add_page_text(None, None, &broken_page(US_ID));
        load(&mut us_state, &["us-users.json"]);
        let mut uk = company_sync(&UK, "uk-users.json");
        uk.add_page_text(None, None, &broken_page(UK_ID));

        let (a, b) = (us_state.export_state(), uk.export_state());
        let mut merged = Engine::from_states(options(), &[&a[..], &b[..]]).unwrap();
        assert!(
            !single.diagnostics().is_empty(),
            "the case has diagnostics to merge"
        );
        // Built as `single` was by `diagnostics()`, so both hold the match decisions of the same
        // documents (the states merged were exported unbuilt: they hold none).
        merged.diagnostics();
        assert_eq!(merged.export_state(), single.export_state());
        assert_eq!(merged.transactions().len(), single.transactions().len());
        // The summary too, but for the counts of what was read: the merged engine read nothing.
        let (mut a, mut b) = (merged.summary(), single.summary());
        assert!(a.counts.is_empty());
        (a.counts, b.counts) = (Default::default(), Default::default());
        assert_eq!(
            serde_json::to_string(&a).unwrap(),
            serde_json::to_string(&b).unwrap()
        );
        // Users once, through the first company, as the single sync read them.
        let users = merged.users().0;
        assert_eq!(users.len(), single.users().0.len());
        assert!(users
            .iter()
            .all(|u| u.company_ids == vec![US_ID.to_string()]));
    }

    #[test]
    fn the_environment_source_is_the_first_state_with_users() {
        // The first company's users read failed: users come from the second state, and the
        // first state's reading of the environment is not counted twice.
        let mut us = Engine::new(options()).unwrap();
        load(&mut us, &["companies.json"]);
        load(&mut us, &US);
        let uk = company_sync(&UK, "uk-users.json");
        let (a, b) = (us.export_state(), uk.export_state());
        let mut merged = Engine::from_states(options(), &[&a[..], &b[..]]).unwrap();
        // The first state's reading of the environment is dropped: no diagnostic of it is
        // kept twice, and a state keeps no counts of what its sync read.
        assert!(merged.counts.is_empty());
        assert!(merged
            .users()
            .0
            .iter()
            .all(|u| u.company_ids == vec![UK_ID.to_string()]));
        let companies: BTreeSet<&str> = merged
            .transactions()
            .iter()
            .map(|t| t.company_id.as_str())
            .collect();
        assert_eq!(companies, BTreeSet::from([US_ID, UK_ID]));
    }

    #[test]
    fn the_same_company_in_two_states_is_refused() {
        let a = company_sync(&US, "us-users.json").export_state();
        let b = company_sync(&UK, "uk-users.json").export_state();
        let err = Engine::from_states(options(), &[&a[..], &b[..], &a[..]])
            .err()
            .unwrap();
        assert_eq!(err.code, ErrorCode::StateMergeOverlap);
        assert_eq!(err.path.as_deref(), Some("states/2"));
        assert!(err.message.contains(US_ID), "{}", err.message);
    }

    #[test]
    fn a_bad_state_is_named_by_its_index() {
        let a = company_sync(&US, "us-users.json").export_state();
        let other = Engine::new(EngineOptions {
            environment: Some("other/production".into()),
            ..options()
        })
        .unwrap()
        .export_state();
        let err = Engine::from_states(options(), &[&a[..], &other[..]])
            .err()
            .unwrap();
        assert_eq!(err.code, ErrorCode::StateForeign);
        assert_eq!(err.path.as_deref(), Some("states/1/environment"));
        let err = Engine::from_states(options(), &[&a[..], b"{not json"])
            .err()
            .unwrap();
        assert_eq!(err.code, ErrorCode::StateInvalid);
        assert_eq!(err.path.as_deref(), Some("states/1"));
    }

    #[test]
    fn no_states_is_an_empty_engine_and_one_state_is_itself() {
        let mut empty = Engine::from_states(options(), &[]).unwrap();
        assert!(empty.transactions().is_empty());
        let a = company_sync(&US, "us-users.json").export_state();
        assert_eq!(
            Engine::from_states(options(), &[&a[..]])
                .unwrap()
                .export_state(),
            a
        );
    }

    #[test]
    fn counted_but_not_kept_diagnostics_keep_their_exact_count() {
        // 1,200 records without an id in each company: 1,000 kept per code, every one counted.
        let page = |company: &str| {
            let items: Vec<String> = (0..1200)
                .map(|i| format!(r#"{{"number":"N{i}","status":"Paid"}}"#))
                .collect();
            format!(
                r#"{{"@odata.context":"x/$metadata#companies({company})/purchaseInvoices","value":[{}]}}"#,
                items.join(",")
            )
        };
        let mut a = Engine::new(options()).unwrap();
        a.add_page_text(None, None, &page(US_ID));
        let mut b = Engine::new(options()).unwrap();
        b.add_page_text(None, None, &page(UK_ID));
        let mut single = Engine::new(options()).unwrap();
        single.add_page_text(None, None, &page(US_ID));
        single.add_page_text(None, None, &page(UK_ID));
        let (sa, sb) = (a.export_state(), b.export_state());
        let merged = Engine::from_states(options(), &[&sa[..], &sb[..]]).unwrap();
        assert_eq!(merged.diags.counts(), single.diags.counts());
        assert_eq!(
            merged.diags.items().len() as u64,
            KEEP_PER_CODE * merged.diags.counts().len() as u64
        );
        assert!(merged.diags.items().iter().all(|d| !d.message.is_empty()));
        assert_eq!(merged.export_state(), single.export_state());
    }
}

//! [`Engine::summary`]: the run's counts and totals per currency, as the CLI prints them and
//! `summary.json` holds them, with the types it builds.

use super::derived::BuiltFigures;
use super::Engine;
use crate::date::Date;
use crate::diagnostics::Counts;
use crate::money::Amount;
use crate::transactions::LineMode;
use crate::users::{User, UserKind, UserStatus};
use serde::Serialize;
use std::collections::BTreeMap;

impl Engine {
    /// The figures of the transactions held: kept from an earlier build when it was of exactly
    /// what is held now (see `derived.rs`), else built (every transaction matched) and kept.
    fn figures(&mut self) -> BuiltFigures {
        if self.cache.is_none() {
            if let Some(f) = self.kept_figures() {
                return f.clone();
            }
        } else if self.figures_current {
            if let Some(f) = &self.figures {
                return f.clone();
            }
        }
        let built = self.ensure_built();
        let mut by_currency: BTreeMap<String, CurrencyTotal> = BTreeMap::new();
        let mut matched = 0u64;
        for t in &built.transactions {
            // The currency is copied once, not per transaction.
            if !by_currency.contains_key(t.currency.as_str()) {
                by_currency.insert(
                    t.currency.to_string(),
                    CurrencyTotal {
                        currency: t.currency.to_string(),
                        ..Default::default()
                    },
                );
            }
            let e = by_currency
                .get_mut(t.currency.as_str())
                .expect("inserted above");
            e.transactions += 1;
            e.amount_excluding_tax += t.amount_excluding_tax;
            e.amount_including_tax += t.amount_including_tax;
            if t.match_.is_some() {
                matched += 1;
                e.matched_excluding_tax += t.amount_excluding_tax;
            }
        }
        let mut built_diagnostics = BTreeMap::new();
        for d in &built.diags {
            *built_diagnostics.entry(d.code).or_default() += 1;
        }
        let transactions = built.transactions.len() as u64;
        let f = BuiltFigures {
            key: self.transactions_key(),
            transactions,
            matched_transactions: matched,
            totals: by_currency.into_values().collect(),
            built_diagnostics,
        };
        self.figures = Some(f.clone());
        self.figures_current = true;
        f
    }

    /// What the engine holds, in figures: transactions and totals per currency, what each
    /// entity's pages read, accepted and rejected, the users, and the diagnostics by code.
    pub fn summary(&mut self) -> Summary {
        let (users, _) = self.users();
        let diag_counts: BTreeMap<String, u64> =
            crate::sort::btree(self.diags.counts().iter().map(|(k, v)| (k.to_string(), *v)));
        let suppressed = self.diags.suppressed();
        let window_start = self.window_start;
        let line_mode = self.line_mode;
        let counts: BTreeMap<String, Counts> =
            crate::sort::btree(self.counts.iter().map(|(k, v)| (k.as_str().to_owned(), *v)));
        let removed = self.removals.len() as u64;
        let figures = self.figures();
        let mut diagnostics_by_code = diag_counts;
        for (code, n) in &figures.built_diagnostics {
            *diagnostics_by_code
                .entry(code.as_str().to_owned())
                .or_default() += n;
        }
        let persons: Vec<&User> = users
            .iter()
            .filter(|u| u.kind == UserKind::Person)
            .collect();
        let currency_missing = crate::report::CurrencyMissing::of(
            figures
                .totals
                .iter()
                .find(|t| t.currency.is_empty())
                .map_or(0, |t| t.transactions),
        );
        Summary {
            line_mode,
            window_start,
            transactions: figures.transactions,
            matched_transactions: figures.matched_transactions,
            totals: figures.totals,
            counts,
            removed,
            users: UserSummary {
                total: users.len() as u64,
                persons: persons.len() as u64,
                non_human: (users.len() - persons.len()) as u64,
                active: persons
                    .iter()
                    .filter(|u| u.status == UserStatus::Active)
                    .count() as u64,
                inactive: persons
                    .iter()
                    .filter(|u| u.status == UserStatus::Inactive)
                    .count() as u64,
                without_email: persons.iter().filter(|u| u.email.is_none()).count() as u64,
            },
            diagnostics_by_code,
            diagnostics_suppressed: suppressed,
            currency_missing,
        }
    }
}

#[derive(Debug, Clone, Serialize, Default, PartialEq, Hash)]
#[serde(rename_all = "camelCase")]
pub struct CurrencyTotal {
    pub currency: String,
    pub transactions: u64,
    pub amount_excluding_tax: Amount,
    pub amount_including_tax: Amount,
    pub matched_excluding_tax: Amount,
}

#[derive(Debug, Clone, Serialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct UserSummary {
    pub total: u64,
    pub persons: u64,
    pub non_human: u64,
    pub active: u64,
    pub inactive: u64,
    pub without_email: u64,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    pub line_mode: LineMode,
    pub window_start: Date,
    pub transactions: u64,
    pub matched_transactions: u64,
    pub totals: Vec<CurrencyTotal>,
    pub counts: BTreeMap<String, Counts>,
    pub removed: u64,
    pub users: UserSummary,
    pub diagnostics_by_code: BTreeMap<String, u64>,
    pub diagnostics_suppressed: u64,
    /// Set when some transactions have no currency: the label and remedy the report has too.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub currency_missing: Option<crate::report::CurrencyMissing>,
}

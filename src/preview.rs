//! Rule previews: what a candidate rule set would change, without re-reading anything.
//!
//! The engine keeps every document it accepted, so a preview re-matches them with a matcher
//! built from the candidate rules (same catalog) and compares the outcome per transaction id.
//! Only documents on which a current or candidate rule fires are re-matched: the rest cannot
//! change, which keeps a preview over 50,000 invoices interactive.
//! In `auto` mode a rule can split or merge an invoice's parts; a transaction present on one
//! side only is reported with `before` or `after` null.

use crate::engine::{parse_rules, Engine};
use crate::error::ConfigError;
use crate::matching::{DecidedBy, Matcher};
use crate::money::Amount;
use crate::transactions::Transaction;
use serde::Serialize;
use std::collections::BTreeMap;

/// How one transaction is attributed.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Outcome {
    pub app_id: Option<String>,
    pub app_name: Option<String>,
    pub decided_by: Option<DecidedBy>,
    pub rule_id: Option<String>,
    pub ignored_by_rule: Option<String>,
}

impl Outcome {
    fn of(t: &Transaction) -> Outcome {
        let m = t.match_.as_ref();
        Outcome {
            app_id: m.map(|m| m.app_id.clone()),
            app_name: m.map(|m| m.app_name.clone()),
            decided_by: m.map(|m| m.decided_by),
            rule_id: m.and_then(|m| m.rule_id.clone()),
            ignored_by_rule: t.ignored_by_rule.clone(),
        }
    }

    /// Same attribution (which app, or ignored), whatever decided it.
    fn same_attribution(&self, o: &Outcome) -> bool {
        self.app_id == o.app_id && self.ignored_by_rule == o.ignored_by_rule
    }
}

/// One transaction whose attribution a rule set would change.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RuleChange {
    pub id: String,
    pub company_id: String,
    pub invoice_number: Option<String>,
    pub date: crate::date::Date,
    pub vendor_name: String,
    pub description: String,
    pub currency: String,
    pub amount_excluding_tax: Amount,
    /// `null` when the transaction exists only with the candidate rules (an `auto` split).
    pub before: Option<Outcome>,
    /// `null` when the transaction exists only with the current rules.
    pub after: Option<Outcome>,
}

impl Engine {
    /// The transactions whose app (or ignored state) would change if `rules` replaced the
    /// current rules, ordered by transaction id. Invalid rules are an error, as in `set_rules`.
    pub fn preview_rules(
        &mut self,
        rules: &serde_json::Value,
    ) -> Result<Vec<RuleChange>, ConfigError> {
        let specs = parse_rules(rules)?;
        let mut candidate = Matcher::new(self.matcher().catalog().clone(), &specs)?;
        // The current transactions, and with them the data's vocabulary, which the candidate
        // must share (it depends on the documents only, not on the rules).
        self.transactions();
        candidate.set_vocabulary(self.matcher().vocabulary().clone());
        // Only invoices on which a current or a candidate rule fires can change: everything
        // else is decided by the catalog alone, identically on both sides.
        let (after, touched) = {
            let current = self.matcher();
            let fires = |v: &crate::matching::VendorInfo, l: &[crate::matching::LineInfo]| {
                current.rules_fire_on(v, l) || candidate.rules_fire_on(v, l)
            };
            let (built, touched) = self.build_filtered(&candidate, Some(&fires));
            (built.transactions, touched)
        };
        let touched: std::collections::BTreeSet<(&str, &crate::text::Id)> =
            crate::sort::btree(touched.iter().map(|(c, d)| (c.as_str(), d)));
        let before = self.transactions();
        let mut changes = Vec::new();
        let mut after_by_id: BTreeMap<&str, &Transaction> =
            after.iter().map(|t| (t.id.as_str(), t)).collect();
        for b in before
            .iter()
            .filter(|t| touched.contains(&(t.company_id.as_str(), &t.invoice_id)))
        {
            let ob = Outcome::of(b);
            match after_by_id.remove(b.id.as_str()) {
                Some(a) => {
                    let oa = Outcome::of(a);
                    if !ob.same_attribution(&oa) {
                        changes.push(change(b, Some(ob), Some(oa)));
                    }
                }
                None => changes.push(change(b, Some(ob), None)),
            }
        }
        for a in after_by_id.into_values() {
            changes.push(change(a, None, Some(Outcome::of(a))));
        }
        crate::sort::sort_by(&mut changes, |x, y| {
            x.id.cmp(&y.id)
                .then_with(|| x.before.is_none().cmp(&y.before.is_none()))
        });
        Ok(changes)
    }
}

fn change(t: &Transaction, before: Option<Outcome>, after: Option<Outcome>) -> RuleChange {
    RuleChange {
        id: t.id.clone(),
        company_id: t.company_id.to_string(),
        invoice_number: t.invoice_number.as_deref().map(str::to_owned),
        date: t.date,
        vendor_name: t.vendor_name.to_string(),
        description: t.description.to_string(),
        currency: t.currency.to_string(),
        amount_excluding_tax: t.amount_excluding_tax,
        before,
        after,
    }
}

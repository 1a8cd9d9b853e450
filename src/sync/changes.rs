//! What changed between two moments of one engine: the change report of a sync run.
//!
//! [`ChangeBaseline::capture`] fingerprints the documents an engine holds when a run starts;
//! [`ChangeBaseline::compare`] lists what the run added, changed and removed. It reads the
//! engine's documents, never the state's encoding (`src/state.rs`), so a new state format
//! cannot change what a run reports.

use crate::engine::{Engine, HeldDocument, OutputKey, Removal};
use crate::text::{Id, Text};
use serde::Serialize;
use std::collections::HashMap;

// What the baseline's doc comment says an entry costs, natively and in wasm32.
const _: () = assert!(std::mem::size_of::<(u32, u8, Id, OutputKey)>() == 48);

/// The engine keys its documents by kind: 0 invoice, 1 credit memo.
const KIND_CREDIT_MEMO: u8 = 1;

/// The documents an engine held at one moment, as content fingerprints, so a later moment can
/// be compared with it: which invoices were added, changed (amounts, lines, vendor, dates) or
/// removed. 48 bytes per document (the id inline, nothing allocated per entry).
pub struct ChangeBaseline {
    docs: Vec<(u32, u8, Id, OutputKey)>,
    companies: Vec<Text>,
    /// Removals the engine had already recorded (documents dropped when it was restored).
    earlier_removals: Vec<Removal>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Change {
    /// `added`, `changed` or `removed`.
    pub change: &'static str,
    pub company_id: String,
    pub kind: &'static str,
    pub id: String,
    pub number: Option<String>,
    /// For removals: `notPaid`, `outsideWindow` or `notSynced` (the company is no longer
    /// synced).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'static str>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct Changes {
    pub added: u64,
    pub changed: u64,
    pub removed: u64,
    pub unchanged: u64,
    /// The first `limit` changes, in company, kind and id order.
    pub items: Vec<Change>,
    pub truncated: bool,
}

/// A document's content fingerprint: every field but status and `lastModifiedDateTime` (a
/// document that only became Paid, or was only touched, has not changed). The engine takes it
/// once, when the document is made ([`HeldDocument::content`], which decides each field of
/// `Document`), so neither end of a run digests every document again. It reads the document's
/// fields, not any encoding of them, so a change of the state's format cannot change what counts
/// as a change. A fingerprint, not a defence: a collision only hides a change from a report.
/// Held in memory for one run's [`ChangeBaseline`], never stored, so the hash may change between
/// versions.
fn fingerprint(doc: &HeldDocument) -> OutputKey {
    doc.content()
}

fn kind_name(k: u8) -> &'static str {
    if k == KIND_CREDIT_MEMO {
        "creditMemo"
    } else {
        "invoice"
    }
}

impl ChangeBaseline {
    pub fn capture(engine: &Engine) -> ChangeBaseline {
        let mut companies: Vec<Text> = Vec::new();
        let mut docs = Vec::with_capacity(engine.docs.len());
        for ((c, k, id), d) in &engine.docs {
            if companies.last() != Some(c) {
                companies.push(c.clone());
            }
            docs.push(((companies.len() - 1) as u32, *k, id.clone(), fingerprint(d)));
        }
        ChangeBaseline {
            docs,
            companies,
            earlier_removals: engine.removals.clone(),
        }
    }

    /// What changed from the baseline to `engine` now; `limit` caps the listed items.
    pub fn compare(&self, engine: &Engine, limit: usize) -> Changes {
        let mut out = Changes::default();
        let reasons: HashMap<(&str, &Id), &'static str> = self
            .earlier_removals
            .iter()
            .chain(engine.removals.iter())
            .map(|r| ((r.company_id.as_str(), &r.invoice_id), r.reason))
            .collect();
        let numbers: HashMap<(&str, &Id), Option<&str>> = self
            .earlier_removals
            .iter()
            .chain(engine.removals.iter())
            .map(|r| {
                (
                    (r.company_id.as_str(), &r.invoice_id),
                    r.invoice_number.as_deref(),
                )
            })
            .collect();
        let push = |out: &mut Changes, c: Change| {
            if out.items.len() < limit {
                out.items.push(c);
            } else {
                out.truncated = true;
            }
        };
        let mut old = self.docs.iter().peekable();
        let mut new = engine.docs.iter().peekable();
        loop {
            let o = old
                .peek()
                .map(|(ci, k, id, fp)| ((self.companies[*ci as usize].as_str(), *k, id), *fp));
            let n = new.peek().map(|((c, k, id), d)| ((c.as_str(), *k, id), d));
            let side = match (&o, &n) {
                (None, None) => break,
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (Some((ok, _)), Some((nk, _))) => ok.cmp(nk),
            };
            match side {
                std::cmp::Ordering::Equal => {
                    let (Some((_, fp)), Some((nk, d))) = (o, n) else {
                        break;
                    };
                    if fingerprint(d) == fp {
                        out.unchanged += 1;
                    } else {
                        out.changed += 1;
                        push(
                            &mut out,
                            Change {
                                change: "changed",
                                company_id: nk.0.to_owned(),
                                kind: kind_name(nk.1),
                                id: nk.2.to_string(),
                                number: d.number.as_deref().map(str::to_owned),
                                reason: None,
                            },
                        );
                    }
                    old.next();
                    new.next();
                }
                std::cmp::Ordering::Less => {
                    let Some((ok, _)) = o else { break };
                    out.removed += 1;
                    let reason = reasons.get(&(ok.0, ok.2)).copied().unwrap_or("notSynced");
                    let number = numbers
                        .get(&(ok.0, ok.2))
                        .copied()
                        .flatten()
                        .map(str::to_owned);
                    push(
                        &mut out,
                        Change {
                            change: "removed",
                            company_id: ok.0.to_owned(),
                            kind: kind_name(ok.1),
                            id: ok.2.to_string(),
                            number,
                            reason: Some(reason),
                        },
                    );
                    old.next();
                }
                std::cmp::Ordering::Greater => {
                    let Some((nk, d)) = n else { break };
                    out.added += 1;
                    push(
                        &mut out,
                        Change {
                            change: "added",
                            company_id: nk.0.to_owned(),
                            kind: kind_name(nk.1),
                            id: nk.2.to_string(),
                            number: d.number.as_deref().map(str::to_owned),
                            reason: None,
                        },
                    );
                    new.next();
                }
            }
        }
        // Documents dropped when the engine was restored are gone before the baseline was
        // taken; they changed all the same.
        for r in &self.earlier_removals {
            out.removed += 1;
            push(
                &mut out,
                Change {
                    change: "removed",
                    company_id: r.company_id.clone(),
                    kind: r.kind,
                    id: r.invoice_id.to_string(),
                    number: r.invoice_number.as_deref().map(str::to_owned),
                    reason: Some(r.reason),
                },
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bc::records::{DocKind, DocStatus, Document, Line};
    use crate::bc::LineType;
    use crate::money::Amount;

    fn doc() -> Document {
        Document {
            kind: DocKind::Invoice,
            id: "11111111-0000-0000-0000-000000000001".into(),
            number: Some("PPI1".into()),
            document_date: None,
            posting_date: None,
            due_date: None,
            vendor_document_number: None,
            vendor_id: None,
            vendor_number: None,
            vendor_name: Some("Slack Technologies Limited".into()),
            currency_code: Some("EUR".into()),
            discount_amount: None,
            total_excluding_tax: Some(Amount(1_000_000)),
            total_tax: None,
            total_including_tax: Some(Amount(1_000_000)),
            status: DocStatus::Paid,
            last_modified: None,
            lines: Some(vec![Line {
                id: None,
                sequence: Some(10000),
                line_type: LineType::Account,
                object_number: Some("6100".into()),
                description: "Slack Pro".into(),
                description2: None,
                net_amount: Amount(1_000_000),
                net_tax_amount: Amount(0),
                net_amount_including_tax: Amount(1_000_000),
                invoice_discount_allocation: Amount(0),
                quantity: None,
                unit_cost: None,
                unit_of_measure: None,
            }]),
            applies_to_invoice_id: None,
            applies_to_invoice_number: None,
        }
    }

    #[test]
    fn a_fingerprint_follows_the_spend_not_the_status_or_the_touch() {
        let fingerprint = |d: &Document| super::fingerprint(&HeldDocument::new(d.clone()));
        let base = fingerprint(&doc());
        let mut touched = doc();
        touched.last_modified = Some(crate::date::Timestamp(1_764_547_200_000));
        touched.status = DocStatus::Open;
        assert_eq!(
            fingerprint(&touched),
            base,
            "status and lastModifiedDateTime are not content"
        );
        let mut changed = doc();
        changed.lines.as_mut().unwrap()[0].description = "Slack Business+".into();
        assert_ne!(
            fingerprint(&changed),
            base,
            "a line's description is content"
        );
        let mut changed = doc();
        changed.total_excluding_tax = Some(Amount(1_000_001));
        assert_ne!(fingerprint(&changed), base, "an amount is content");
        let mut lineless = doc();
        lineless.lines = Some(vec![]);
        let mut unexpanded = doc();
        unexpanded.lines = None;
        assert_ne!(
            fingerprint(&lineless),
            fingerprint(&unexpanded),
            "no lines read differs from none expanded"
        );
    }
}

//! Invoices become transactions.
//!
//! A transaction is one unit of spend: in `invoice` mode (the default, as in the reference
//! product) one per paid invoice, carrying all its lines; in `line` mode one per non-comment
//! line; in `auto` mode one per app the invoice's lines pay for (see `src/matching/`). Which
//! lines follow the invoice's main app when it is split is said in [`allocation`].
//!
//! Amounts are exact. In `invoice` mode a transaction's amounts are the invoice's totals; in the
//! split modes the parts add up to the invoice's totals exactly: BC's `netAmount` is already
//! after line and invoice discounts, and any difference left between the lines and the header
//! (rounding, a discount not allocated to lines) is allocated over the lines by amount.
//!
//! Credit memos (when enabled) become negative transactions linked to the invoice they credit.

pub mod allocation;
pub mod seats;

use crate::bc::records::{DocKind, Document, Line};
use crate::bc::LineType;
use crate::date::Date;
use crate::matching::{Decision, InvoiceMatch, LineRole};
use crate::money::{allocate, Amount};
use crate::text::{Id, Text};
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Hash)]
#[serde(rename_all = "camelCase")]
pub enum LineMode {
    Invoice,
    Line,
    Auto,
}

impl LineMode {
    pub fn parse(s: &str) -> Option<LineMode> {
        match s {
            "invoice" => Some(LineMode::Invoice),
            "line" => Some(LineMode::Line),
            "auto" => Some(LineMode::Auto),
            _ => None,
        }
    }
}

/// A stable id: the same environment, company, document and line always give the same id, in
/// every run and every version of this crate (FNV-1a, 64 bits, over the parts joined by NUL).
pub fn stable_id(prefix: &str, parts: &[&str]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            h ^= 0;
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        for b in p.bytes() {
            h ^= b as u64;
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    // `format!("{prefix}{h:016x}")`, without the formatting machinery (one id per transaction).
    let mut id = String::with_capacity(prefix.len() + 16);
    id.push_str(prefix);
    for shift in (0..16).rev() {
        id.push(char::from(
            b"0123456789abcdef"[(h >> (shift * 4)) as usize & 0xf],
        ));
    }
    id
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct TxLine {
    pub line_id: Option<Id>,
    pub sequence: Option<i64>,
    pub description: Text,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description2: Option<Text>,
    pub line_type: &'static str,
    /// The item number or G/L account number (`lineObjectNumber`).
    pub object_number: Option<Text>,
    /// Set for `Account` lines: the G/L account the spend was posted to.
    pub gl_account_number: Option<Text>,
    pub amount_excluding_tax: Amount,
    pub amount_including_tax: Amount,
    #[serde(rename = "match")]
    pub match_: Option<std::sync::Arc<crate::matching::Match>>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Transaction {
    pub id: String,
    /// `invoice` or `creditMemo`.
    pub kind: &'static str,
    pub company_id: Text,
    pub company_name: Option<Text>,
    pub invoice_id: Id,
    pub invoice_number: Option<Text>,
    pub vendor_invoice_number: Option<Text>,
    /// `null` in `invoice` mode; the line's id in `line` mode; in `auto` mode the first line of
    /// the part (its `lines` list them all).
    pub line_id: Option<Id>,
    /// The posting date (the window is applied to it).
    pub date: Date,
    pub invoice_date: Option<Date>,
    pub posting_date: Option<Date>,
    pub vendor_id: Option<Text>,
    pub vendor_number: Option<Text>,
    pub vendor_name: Text,
    pub description: Text,
    /// The line's type in `line` mode; `null` for a whole invoice.
    pub line_type: Option<&'static str>,
    pub gl_account_number: Option<Text>,
    pub currency: Text,
    pub amount_excluding_tax: Amount,
    pub amount_including_tax: Amount,
    /// Credit memos: the invoice credited, when BC links one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub applies_to_invoice_id: Option<Id>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub applies_to_invoice_number: Option<Text>,
    /// Present in `invoice` and `auto` modes: the lines this transaction carries.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lines: Option<Vec<TxLine>>,
    #[serde(rename = "match")]
    pub match_: Option<std::sync::Arc<crate::matching::Match>>,
    /// For an unmatched transaction: the best candidate that was rejected, and why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub match_rejected: Option<std::sync::Arc<crate::matching::Rejected>>,
    /// Set when a customer rule said to ignore this spend: the rule's id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ignored_by_rule: Option<String>,
    /// For a matched invoice part of one product line, when its line says them ([`seats`]):
    /// the seat count, the price per seat for the period (an exact decimal, rounding in
    /// [`seats`]) and the billing period.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seats: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit_price: Option<Amount>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period: Option<seats::Period>,
    /// With `period` `multiYear`: the months the term covers, when the line says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub term_months: Option<u32>,
}

/// The context a document needs to become transactions.
pub struct DocContext<'a> {
    pub environment: &'a str,
    pub company_name: Option<&'a Text>,
    pub company_id: &'a Text,
    pub currency: &'a Text,
}

fn tx_line(l: &Line, excl: Amount, incl: Amount, sign: i64) -> TxLine {
    TxLine {
        line_id: l.id.clone(),
        sequence: l.sequence,
        description: l.description.clone(),
        description2: l.description2.clone(),
        line_type: l.line_type.as_str(),
        object_number: l.object_number.clone(),
        gl_account_number: (l.line_type == LineType::Account)
            .then(|| l.object_number.clone())
            .flatten(),
        amount_excluding_tax: Amount(excl.0 * sign),
        amount_including_tax: Amount(incl.0 * sign),
        match_: None,
    }
}

/// The document's totals: the header's when present, else the sum of its lines.
pub fn document_totals(doc: &Document) -> (Amount, Amount) {
    let lines = doc.lines.as_deref().unwrap_or(&[]);
    let sum_excl = lines.iter().fold(Amount::ZERO, |a, l| a + l.net_amount);
    let sum_incl = lines
        .iter()
        .fold(Amount::ZERO, |a, l| a + l.net_amount_including_tax);
    (
        doc.total_excluding_tax.unwrap_or(sum_excl),
        doc.total_including_tax.unwrap_or(sum_incl),
    )
}

/// Line amounts adjusted so they add up to the document's totals exactly.
pub fn balanced_line_amounts(doc: &Document, lines: &[&Line]) -> Vec<(Amount, Amount)> {
    let (total_excl, total_incl) = document_totals(doc);
    let excl: Vec<Amount> = lines.iter().map(|l| l.net_amount).collect();
    let incl: Vec<Amount> = lines.iter().map(|l| l.net_amount_including_tax).collect();
    let fix = |parts: Vec<Amount>, total: Amount| -> Vec<Amount> {
        let sum = parts.iter().fold(Amount::ZERO, |a, &b| a + b);
        if sum == total || parts.is_empty() {
            return parts;
        }
        let weights: Vec<Amount> = parts.iter().map(|a| Amount(a.0.abs())).collect();
        let extra = allocate(total - sum, &weights);
        parts.iter().zip(extra).map(|(&a, e)| a + e).collect()
    };
    let excl = fix(excl, total_excl);
    let incl = fix(incl, total_incl);
    excl.into_iter().zip(incl).collect()
}

fn joined_descriptions<'a>(lines: impl Iterator<Item = &'a Line>) -> Text {
    let mut out = String::new();
    let mut seen: Vec<&str> = Vec::new();
    // The one description, when that is all there is: shared, not copied.
    let mut only: Option<&Text> = None;
    for l in lines {
        let d = l.description.trim();
        if d.is_empty() || seen.contains(&d) {
            continue;
        }
        let first = seen.is_empty();
        seen.push(d);
        if !out.is_empty() {
            out.push_str("; ");
        }
        if out.len() + d.len() > 500 {
            out.push('…');
            only = None;
            break;
        }
        out.push_str(d);
        only = (first && d.len() == l.description.len()).then_some(&l.description);
    }
    match only {
        Some(t) => t.clone(),
        None => Text::from(out),
    }
}

/// One part of a document: which of its lines, with which amounts. `invoice` mode has one part
/// with every line; `line` mode one per non-comment line; `auto` mode one per app.
pub struct Part<'a> {
    /// Distinguishes the part's id; `None` for the whole document.
    pub key: Option<Id>,
    pub lines: Vec<PartLine<'a>>,
    pub excl: Amount,
    pub incl: Amount,
    /// Line mode: the single line this part is.
    pub single_line: Option<&'a Line>,
}

/// One line of a part: the line, its index in the document's lines (its match is
/// `InvoiceMatch::lines[index]`), and its share of the part's amounts excluding and including tax.
#[derive(Debug, Clone, Copy)]
pub struct PartLine<'a> {
    pub index: usize,
    pub line: &'a Line,
    pub excl: Amount,
    pub incl: Amount,
}

/// The whole document as one part.
pub fn whole_part(doc: &Document) -> Part<'_> {
    let (excl, incl) = document_totals(doc);
    let lines = doc.lines.as_deref().unwrap_or(&[]);
    Part {
        key: None,
        lines: lines
            .iter()
            .enumerate()
            .map(|(index, line)| PartLine {
                index,
                line,
                excl: line.net_amount,
                incl: line.net_amount_including_tax,
            })
            .collect(),
        excl,
        incl,
        single_line: None,
    }
}

/// One part per non-comment line. A document without such lines stays whole, so its amount is
/// never lost.
pub fn line_parts(doc: &Document) -> Vec<Part<'_>> {
    let (index, lines): (Vec<usize>, Vec<&Line>) = doc
        .lines
        .as_deref()
        .unwrap_or(&[])
        .iter()
        .enumerate()
        .filter(|(_, l)| l.line_type != LineType::Comment)
        .unzip();
    if lines.is_empty() {
        return vec![whole_part(doc)];
    }
    let amounts = balanced_line_amounts(doc, &lines);
    lines
        .iter()
        .zip(index)
        .zip(amounts)
        .enumerate()
        .map(|(i, ((l, index), (e, t)))| Part {
            key: Some(
                l.id.clone()
                    .unwrap_or_else(|| Id::from(format!("#{}", l.sequence.unwrap_or(i as i64)))),
            ),
            lines: vec![PartLine {
                index,
                line: l,
                excl: e,
                incl: t,
            }],
            excl: e,
            incl: t,
            single_line: Some(*l),
        })
        .collect()
}

/// Builds the transaction for one part (without its match; the engine adds it).
pub fn build(doc: &Document, ctx: &DocContext, part: &Part) -> Transaction {
    let sign = if doc.kind == DocKind::CreditMemo {
        -1
    } else {
        1
    };
    let kind = if doc.kind == DocKind::CreditMemo {
        "creditMemo"
    } else {
        "invoice"
    };
    let (doc_id, key) = (doc.id.text(), part.key.as_ref().map(Id::text));
    let id_parts = [
        ctx.environment,
        ctx.company_id,
        kind,
        &doc_id,
        key.as_deref().unwrap_or(""),
    ];
    let id_parts = &id_parts[..if part.key.is_some() { 5 } else { 4 }];
    let date = doc.posting_date.or(doc.document_date).unwrap_or(Date {
        year: 1,
        month: 1,
        day: 1,
    });
    let line_refs = || {
        part.lines
            .iter()
            .map(|pl| pl.line)
            .filter(|l| l.line_type != LineType::Comment)
    };
    let (description, line_type, gl, line_id) = match part.single_line {
        Some(l) => (
            l.description.clone(),
            Some(l.line_type.as_str()),
            (l.line_type == LineType::Account)
                .then(|| l.object_number.clone())
                .flatten(),
            l.id.clone(),
        ),
        None => {
            let gl = {
                let mut accts = line_refs()
                    .filter(|l| l.line_type == LineType::Account)
                    .filter_map(|l| l.object_number.as_ref());
                let first = accts.next();
                // Only when every account line agrees is there one account to name.
                first.filter(|f| accts.all(|a| a == *f)).cloned()
            };
            let line_id = if part.key.is_some() {
                line_refs().next().and_then(|l| l.id.clone())
            } else {
                None
            };
            (joined_descriptions(line_refs()), None, gl, line_id)
        }
    };
    Transaction {
        id: stable_id("tx_", id_parts),
        kind,
        company_id: ctx.company_id.clone(),
        company_name: ctx.company_name.cloned(),
        invoice_id: doc.id.clone(),
        invoice_number: doc.number.clone(),
        vendor_invoice_number: doc.vendor_document_number.clone(),
        line_id,
        date,
        invoice_date: doc.document_date,
        posting_date: doc.posting_date,
        vendor_id: doc.vendor_id.clone(),
        vendor_number: doc.vendor_number.clone(),
        vendor_name: doc.vendor_name.clone().unwrap_or_default(),
        description,
        line_type,
        gl_account_number: gl,
        currency: ctx.currency.clone(),
        amount_excluding_tax: Amount(part.excl.0 * sign),
        amount_including_tax: Amount(part.incl.0 * sign),
        applies_to_invoice_id: doc.applies_to_invoice_id.clone(),
        applies_to_invoice_number: doc.applies_to_invoice_number.clone(),
        lines: if part.single_line.is_some() {
            None
        } else {
            Some(
                part.lines
                    .iter()
                    .map(|pl| tx_line(pl.line, pl.excl, pl.incl, sign))
                    .collect(),
            )
        },
        match_: None,
        match_rejected: None,
        ignored_by_rule: None,
        seats: None,
        unit_price: None,
        period: None,
        term_months: None,
    }
}

/// The seats, price per seat and period of a part that `decision` matches: those of its one
/// product line (a line of role `product`, not a comment), read from that line's own BC figures
/// and text ([`seats::terms`]). A part with several product lines (an invoice of several
/// products in `invoice` mode, or several lines of one app in `auto` mode) and a credit memo
/// get none: a sum of seats or an average price would not be a price anyone was quoted.
/// `memo` remembers the terms of the figures read before (one per build).
pub fn part_terms<'a>(
    doc: &'a Document,
    part: &Part,
    m: &InvoiceMatch,
    decision: Option<&Decision>,
    memo: &mut seats::TermsMemo<'a>,
) -> seats::Terms {
    if doc.kind == DocKind::CreditMemo || decision.and_then(|d| d.matched.as_ref()).is_none() {
        return seats::Terms::default();
    }
    let mut products = part.lines.iter().filter(|pl| {
        pl.line.line_type != LineType::Comment
            && m.lines
                .get(pl.index)
                .is_some_and(|lm| lm.role == LineRole::Product)
    });
    match (products.next(), products.next()) {
        (Some(pl), None) => {
            let figures = |l: &'a Line| seats::LineFigures {
                description: &l.description,
                description2: l.description2.as_deref(),
                quantity: l.quantity,
                unit_cost: l.unit_cost,
                unit_of_measure: l.unit_of_measure.as_deref(),
                net_amount: l.net_amount,
            };
            // The document's own line (the part's is it, borrowed for less long): remembered.
            match doc.lines.as_deref().and_then(|ls| ls.get(pl.index)) {
                Some(l) if std::ptr::eq(l, pl.line) => memo.terms(&figures(l)),
                _ => seats::terms(&seats::LineFigures {
                    description: &pl.line.description,
                    description2: pl.line.description2.as_deref(),
                    quantity: pl.line.quantity,
                    unit_cost: pl.line.unit_cost,
                    unit_of_measure: pl.line.unit_of_measure.as_deref(),
                    net_amount: pl.line.net_amount,
                }),
            }
        }
        _ => seats::Terms::default(),
    }
}

/// The parts an invoice becomes in `mode`, each with the decision that matches it: the whole
/// invoice (`invoice`), one part per non-comment line (`line`), or one per app (`auto`). The
/// decisions come from the matcher ([`InvoiceMatch`]); this says only how they apply to parts.
pub fn parts<'a>(
    mode: LineMode,
    doc: &'a Document,
    m: &'a InvoiceMatch,
) -> Vec<(Part<'a>, Option<&'a Decision>)> {
    match mode {
        LineMode::Invoice => vec![(whole_part(doc), Some(&m.invoice))],
        LineMode::Line => line_parts(doc)
            .into_iter()
            .map(|p| {
                let d = p
                    .single_line
                    .and_then(|_| p.lines.first())
                    .and_then(|pl| m.lines.get(pl.index))
                    .map(|lm| &lm.decision)
                    .or(Some(&m.invoice));
                (p, d)
            })
            .collect(),
        LineMode::Auto => auto_parts(doc, m),
    }
}

/// `auto` mode: one part per app the product lines pay for; freight, tax and comment lines
/// stay with the invoice's main app (the part with the largest amount), except the freight of
/// an invoice that carries goods, which goes with the unmatched lines ([`allocation`]). An
/// invoice whose lines agree on one app stays whole.
fn auto_parts<'a>(doc: &'a Document, m: &'a InvoiceMatch) -> Vec<(Part<'a>, Option<&'a Decision>)> {
    let lines: Vec<&Line> = doc.lines.as_deref().unwrap_or(&[]).iter().collect();
    let types: Vec<LineType> = lines.iter().map(|l| l.line_type).collect();
    let goods_freight = allocation::freight_with_goods(m, &types);
    let mut groups: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    let mut ancillary = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        let lm = m.lines.get(i);
        if goods_freight.get(i).copied().unwrap_or(false) {
            // Allocation rule: it goes with the goods, which are unmatched.
            groups.entry("-".into()).or_default().push(i);
            continue;
        }
        let product = matches!(lm.map(|x| x.role), Some(LineRole::Product))
            && l.line_type != LineType::Comment;
        if !product {
            ancillary.push(i);
            continue;
        }
        let key = lm
            .and_then(|x| x.decision.matched.as_ref())
            .map(|mm| mm.app_id.clone())
            .unwrap_or_else(|| "-".into());
        groups.entry(key).or_default().push(i);
    }
    if groups.len() <= 1 {
        return vec![(whole_part(doc), Some(&m.invoice))];
    }
    let non_comment: Vec<&Line> = lines
        .iter()
        .copied()
        .filter(|l| l.line_type != LineType::Comment)
        .collect();
    let balanced = balanced_line_amounts(doc, &non_comment);
    // Line i's position among the non-comment lines (`None` for a comment), worked out once.
    let mut next = 0;
    let position: Vec<Option<usize>> = lines
        .iter()
        .map(|l| {
            (l.line_type != LineType::Comment).then(|| {
                next += 1;
                next - 1
            })
        })
        .collect();
    let amount_of = |i: usize| -> (Amount, Amount) {
        match position[i] {
            Some(p) => balanced[p],
            None => (Amount::ZERO, Amount::ZERO),
        }
    };
    let main = groups
        .iter()
        .filter(|(k, _)| k.as_str() != "-")
        .max_by_key(|(_, idx)| idx.iter().map(|&i| amount_of(i).0 .0.abs()).sum::<i64>())
        .map(|(k, _)| k.clone())
        .unwrap_or_else(|| "-".into());
    if let Some(g) = groups.get_mut(&main) {
        g.extend(ancillary.iter().copied());
        crate::sort::sort(g);
    }
    groups
        .into_iter()
        .map(|(app, idx)| {
            let part_lines: Vec<PartLine> = idx
                .iter()
                .map(|&i| {
                    let (excl, incl) = amount_of(i);
                    PartLine {
                        index: i,
                        line: lines[i],
                        excl,
                        incl,
                    }
                })
                .collect();
            let excl = part_lines.iter().fold(Amount::ZERO, |a, x| a + x.excl);
            let incl = part_lines.iter().fold(Amount::ZERO, |a, x| a + x.incl);
            let decision = idx
                .iter()
                .filter(|&&i| m.lines.get(i).is_some_and(|x| x.role == LineRole::Product))
                .max_by_key(|&&i| amount_of(i).0 .0.abs())
                .and_then(|&i| m.lines.get(i).map(|x| &x.decision));
            (
                Part {
                    key: Some(Id::from(format!("app:{app}"))),
                    lines: part_lines,
                    excl,
                    incl,
                    single_line: None,
                },
                decision,
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bc::records::DocStatus;

    fn line(id: &str, t: LineType, net: i64, incl: i64) -> Line {
        Line {
            id: Some(id.into()),
            sequence: None,
            line_type: t,
            object_number: Some("6100".into()),
            description: format!("desc {id}").into(),
            description2: None,
            net_amount: Amount(net),
            net_tax_amount: Amount(incl - net),
            net_amount_including_tax: Amount(incl),
            invoice_discount_allocation: Amount(0),
            quantity: None,
            unit_cost: None,
            unit_of_measure: None,
        }
    }

    fn doc(lines: Vec<Line>, excl: Option<i64>, incl: Option<i64>) -> Document {
        Document {
            kind: DocKind::Invoice,
            id: "inv-1".into(),
            number: Some("108001".into()),
            document_date: Date::new(2026, 3, 1),
            posting_date: Date::new(2026, 3, 2),
            due_date: None,
            vendor_document_number: None,
            vendor_id: None,
            vendor_number: None,
            vendor_name: Some("Vendor".into()),
            currency_code: None,
            discount_amount: None,
            total_excluding_tax: excl.map(Amount),
            total_tax: None,
            total_including_tax: incl.map(Amount),
            status: DocStatus::Paid,
            last_modified: None,
            lines: Some(lines),
            applies_to_invoice_id: None,
            applies_to_invoice_number: None,
        }
    }

    #[test]
    fn line_parts_add_up_to_header_with_unallocated_discount() {
        // Header says 90.00 after a 10.00 invoice discount the lines do not show.
        let d = doc(
            vec![
                line("a", LineType::Item, 333_333, 400_000),
                line("c", LineType::Comment, 0, 0),
                line("b", LineType::Account, 666_667, 800_000),
            ],
            Some(900_000),
            Some(1_080_000),
        );
        let parts = line_parts(&d);
        assert_eq!(parts.len(), 2);
        assert_eq!(parts.iter().map(|p| p.excl.0).sum::<i64>(), 900_000);
        assert_eq!(parts.iter().map(|p| p.incl.0).sum::<i64>(), 1_080_000);
    }

    #[test]
    fn ids_are_the_hash_in_sixteen_hex_digits() {
        for parts in [
            &[][..],
            &["env", "c1", "invoice", "i1"],
            &["a", "", "\u{e9}"],
        ] {
            let id = stable_id("tx_", parts);
            let mut h: u64 = 0xcbf2_9ce4_8422_2325;
            for (i, p) in parts.iter().enumerate() {
                if i > 0 {
                    h = h.wrapping_mul(0x0100_0000_01b3);
                }
                for b in p.bytes() {
                    h = (h ^ b as u64).wrapping_mul(0x0100_0000_01b3);
                }
            }
            assert_eq!(id, format!("tx_{h:016x}"));
        }
        assert_eq!(stable_id("x", &[]), "xcbf29ce484222325");
    }

    #[test]
    fn ids_are_stable_and_distinct() {
        let a = stable_id("tx_", &["env", "c1", "invoice", "i1"]);
        assert_eq!(a, stable_id("tx_", &["env", "c1", "invoice", "i1"]));
        assert_ne!(a, stable_id("tx_", &["env", "c1", "invoice", "i2"]));
        assert_ne!(
            stable_id("tx_", &["ab", "c"]),
            stable_id("tx_", &["a", "bc"])
        );
        assert_eq!(a.len(), 19);
    }

    #[test]
    fn no_lines_stays_whole() {
        let mut d = doc(vec![], Some(100), Some(120));
        d.lines = None;
        let parts = line_parts(&d);
        assert_eq!(parts.len(), 1);
        assert_eq!(parts[0].excl, Amount(100));
    }
}

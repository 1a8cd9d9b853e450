//! Allocation rules: which lines of an invoice follow its main app when it is split.
//!
//! Tax, comment and adjustment lines, and the freight of an invoice that sells only software,
//! follow the invoice's main app (the matcher's [`InvoiceMatch`] already says so). One rule is
//! applied here, after matching, because it depends on the other lines of the invoice:
//!
//! **Freight with goods.** On an invoice that also carries physical goods, a freight, delivery or
//! shipping line pays for getting those goods delivered: it is not software spend. In `line`
//! and `auto` modes it stays unmatched (in `auto` mode it goes with the invoice's unmatched
//! lines), and its explanation says why. An invoice *carries goods* when one of its product
//! lines stays unmatched and either the lexicon reads it as hardware or as office supplies
//! (`notSoftware` `hardware` or `office`: "laptop", "Bildschirm", "portátil", "toner",
//! "chairs" ..., in English, French, German, Spanish, Italian, Dutch and the Nordic languages)
//! or BC posts it as a fixed asset (`lineType` `Fixed Asset`: a model number the lexicon cannot
//! read, "Dell P2723DE", is still a thing delivered). An `Item` line is not goods by its type
//! alone: software is sold as items too.
//! A line is *freight* when the matcher gives it the freight role: a BC `Charge` line, or a
//! line whose words are the lexicon's freight words ("shipping", "delivery", "Versandkosten",
//! "frais de port" ...) and that names no app. `invoice` mode is not changed: the invoice is
//! one transaction with the app its product lines agree on.

use super::LineMode;
use crate::bc::LineType;
use crate::matching::{Decision, InvoiceMatch, LineRole, Rejected};

/// The lexicon's categories of spend that are physical goods.
const GOODS: &[&str] = &["hardware", "office"];

/// Whether a line stays unmatched as physical goods.
fn is_goods(d: &Decision, role: LineRole, line_type: Option<LineType>) -> bool {
    role == LineRole::Product
        && d.matched.is_none()
        && d.ignored_by_rule.is_none()
        && (line_type == Some(LineType::FixedAsset)
            || d.rejected
                .as_ref()
                .and_then(|r| r.not_software.as_deref())
                .is_some_and(|c| GOODS.contains(&c)))
}

/// What the goods of an invoice are called in an explanation.
fn goods_label(m: &InvoiceMatch, line_types: &[LineType]) -> &'static str {
    let category = m
        .lines
        .iter()
        .zip(line_types.iter().map(Some).chain(std::iter::repeat(None)))
        .find(|(l, t)| is_goods(&l.decision, l.role, t.copied()))
        .and_then(|(l, _)| l.decision.rejected.as_ref())
        .and_then(|r| r.not_software.as_deref());
    match category {
        Some("office") => "office supplies or furniture",
        Some("hardware") => "hardware",
        _ => "a fixed asset",
    }
}

/// For each line of `m`: whether it is freight on an invoice that carries goods. `line_types`
/// are the BC line types of the same lines, in the same order.
pub fn freight_with_goods(m: &InvoiceMatch, line_types: &[LineType]) -> Vec<bool> {
    let types = line_types.iter().map(Some).chain(std::iter::repeat(None));
    let goods = m
        .lines
        .iter()
        .zip(types)
        .any(|(l, t)| is_goods(&l.decision, l.role, t.copied()));
    m.lines
        .iter()
        .map(|l| goods && l.role == LineRole::Freight && l.decision.ignored_by_rule.is_none())
        .collect()
}

/// Applies the allocation rules to the line decisions of `m` for `mode` (see the module docs).
/// An invoice a customer rule ignores keeps its freight ignored too.
pub fn apply(mode: LineMode, m: &mut InvoiceMatch, line_types: &[LineType]) {
    if mode == LineMode::Invoice {
        return;
    }
    let flags = freight_with_goods(m, line_types);
    let goods = goods_label(m, line_types);
    for (l, freight) in m.lines.iter_mut().zip(flags) {
        if !freight {
            continue;
        }
        l.decision = Decision {
            matched: None,
            ignored_by_rule: None,
            rejected: Some(std::sync::Arc::new(Rejected {
                app_id: None,
                app_name: None,
                confidence: 0.0,
                reason: format!(
                    "freight on an invoice that also carries goods ({goods}) pays for their delivery, not for software"
                ),
                candidates: Vec::new(),
                not_software: Some("shipping".into()),
            })),
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bc::records::{DocKind, DocStatus, Document, Line};
    use crate::bc::LineType;
    use crate::catalog::Catalog;
    use crate::date::Date;
    use crate::matching::{LineInfo, Matcher, VendorInfo};
    use crate::money::Amount;
    use crate::transactions::parts;

    fn line(seq: i64, t: LineType, description: &str, net: i64) -> Line {
        Line {
            id: None,
            sequence: Some(seq),
            line_type: t,
            object_number: None,
            description: description.into(),
            description2: None,
            net_amount: Amount(net),
            net_tax_amount: Amount(0),
            net_amount_including_tax: Amount(net),
            invoice_discount_allocation: Amount(0),
            quantity: None,
            unit_cost: None,
            unit_of_measure: None,
        }
    }

    fn doc(vendor: &str, lines: Vec<Line>) -> Document {
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
            vendor_name: Some(vendor.into()),
            currency_code: None,
            discount_amount: None,
            total_excluding_tax: None,
            total_tax: None,
            total_including_tax: None,
            status: DocStatus::Paid,
            last_modified: None,
            lines: Some(lines),
            applies_to_invoice_id: None,
            applies_to_invoice_number: None,
        }
    }

    fn matched(d: &Document, mode: LineMode) -> InvoiceMatch {
        let matcher = Matcher::new(Catalog::builtin(), &[]).unwrap();
        let infos: Vec<LineInfo> = d
            .lines
            .as_deref()
            .unwrap()
            .iter()
            .map(|l| LineInfo {
                description: &l.description,
                held_description: Some(&l.description),
                description2: None,
                line_type: l.line_type,
                account_number: None,
                amount: l.net_amount.0,
            })
            .collect();
        let vendor = VendorInfo::named(d.vendor_name.as_deref().unwrap());
        let mut m = matcher.match_invoice(&vendor, &infos);
        let types: Vec<LineType> = infos.iter().map(|l| l.line_type).collect();
        apply(mode, &mut m, &types);
        m
    }

    /// Each part's app and the sequences of its lines.
    fn split(d: &Document, mode: LineMode) -> Vec<(Option<String>, Vec<i64>)> {
        let m = matched(d, mode);
        parts(mode, d, &m)
            .into_iter()
            .map(|(p, dec)| {
                (
                    dec.and_then(|x| x.matched.as_ref())
                        .map(|x| x.app_id.clone()),
                    p.lines.iter().filter_map(|pl| pl.line.sequence).collect(),
                )
            })
            .collect()
    }

    fn goods_invoice() -> Document {
        doc(
            "Insight Enterprises Netherlands B.V.",
            vec![
                line(
                    10,
                    LineType::Item,
                    "Microsoft 365 Business Premium x 10",
                    2_200_000,
                ),
                line(20, LineType::Item, "Dell Latitude 5440 laptop", 9_500_000),
                line(30, LineType::Charge, "Shipping and handling", 250_000),
                line(40, LineType::Account, "Versandkosten", 150_000),
            ],
        )
    }

    #[test]
    fn freight_on_an_invoice_with_goods_stays_unmatched_in_line_mode() {
        let d = goods_invoice();
        let got = split(&d, LineMode::Line);
        assert_eq!(
            got,
            [
                (Some("microsoft-365".into()), vec![10]),
                (None, vec![20]),
                (None, vec![30]),
                (None, vec![40]),
            ]
        );
        let m = matched(&d, LineMode::Line);
        let types: Vec<LineType> = d
            .lines
            .as_ref()
            .unwrap()
            .iter()
            .map(|l| l.line_type)
            .collect();
        assert_eq!(freight_with_goods(&m, &types), [false, false, true, true]);
        let r = m.lines[2].decision.rejected.as_ref().unwrap();
        assert_eq!(r.not_software.as_deref(), Some("shipping"));
        assert!(r.reason.contains("goods"), "{}", r.reason);
    }

    #[test]
    fn freight_on_an_invoice_with_goods_goes_with_the_unmatched_lines_in_auto_mode() {
        let got = split(&goods_invoice(), LineMode::Auto);
        assert_eq!(
            got,
            [
                (None, vec![20, 30, 40]),
                (Some("microsoft-365".into()), vec![10]),
            ]
        );
    }

    #[test]
    fn freight_and_tax_of_an_all_software_invoice_follow_its_main_app() {
        let d = doc(
            "Insight Enterprises Netherlands B.V.",
            vec![
                line(
                    10,
                    LineType::Item,
                    "Microsoft 365 Business Premium x 10",
                    2_200_000,
                ),
                line(20, LineType::Item, "Adobe Acrobat Pro x 2", 480_000),
                line(30, LineType::Charge, "Delivery charge", 50_000),
                line(40, LineType::Account, "Sales tax", 150_000),
            ],
        );
        let m = matched(&d, LineMode::Line);
        let types: Vec<LineType> = d
            .lines
            .as_ref()
            .unwrap()
            .iter()
            .map(|l| l.line_type)
            .collect();
        assert_eq!(freight_with_goods(&m, &types), [false; 4]);
        let apps: Vec<_> = split(&d, LineMode::Line)
            .into_iter()
            .map(|(a, _)| a)
            .collect();
        let m365 = Some("microsoft-365".to_string());
        assert_eq!(
            apps,
            [
                m365.clone(),
                Some("adobe-acrobat".into()),
                m365.clone(),
                m365
            ]
        );
    }

    #[test]
    fn an_unmatched_fixed_asset_line_is_goods() {
        // A model number the lexicon cannot read, bought as a fixed asset.
        let d = doc(
            "Insight Enterprises Netherlands B.V.",
            vec![
                line(
                    10,
                    LineType::Item,
                    "Microsoft 365 Business Premium x 10",
                    2_200_000,
                ),
                line(20, LineType::FixedAsset, "Dell P2723DE", 3_890_000),
                line(30, LineType::Charge, "Shipping", 150_000),
            ],
        );
        let got = split(&d, LineMode::Line);
        assert_eq!(
            got,
            [
                (Some("microsoft-365".into()), vec![10]),
                (None, vec![20]),
                (None, vec![30]),
            ]
        );
    }

    #[test]
    fn invoice_mode_is_unchanged() {
        let d = goods_invoice();
        let m = matched(&d, LineMode::Invoice);
        assert!(m.lines[2].decision.matched.is_some());
        let got = split(&d, LineMode::Invoice);
        assert_eq!(got, [(Some("microsoft-365".into()), vec![10, 20, 30, 40])]);
    }
}

//! Output formats beyond JSON: `transactions.csv`.
//!
//! One row per transaction with the columns of [`CSV_COLUMNS`]; amounts as exact decimal
//! strings. Text cells that a spreadsheet would run as a formula (starting with `=`, `+`, `-`,
//! `@`, tab or CR) are prefixed with `'`, since admins open these files in Excel.

use crate::transactions::Transaction;
use std::borrow::Cow;

pub const CSV_COLUMNS: &[&str] = &[
    "id",
    "kind",
    "companyId",
    "companyName",
    "invoiceId",
    "invoiceNumber",
    "vendorInvoiceNumber",
    "lineId",
    "date",
    "invoiceDate",
    "vendorId",
    "vendorNumber",
    "vendorName",
    "description",
    "lineType",
    "glAccountNumber",
    "currency",
    "amountExcludingTax",
    "amountIncludingTax",
    "appId",
    "appName",
    "category",
    "matchConfidence",
    "decidedBy",
    "seats",
    "unitPrice",
    "period",
    "termMonths",
];

fn push_cell(out: &mut String, s: &str, text: bool) {
    let guarded = text && s.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let needs_quotes =
        guarded || s.contains([',', '"', '\n', '\r']) || s.starts_with(' ') || s.ends_with(' ');
    if needs_quotes {
        out.push('"');
        if guarded {
            out.push('\'');
        }
        for c in s.chars() {
            if c == '"' {
                out.push('"');
            }
            out.push(c);
        }
        out.push('"');
    } else {
        out.push_str(s);
    }
}

pub fn transactions_csv(txs: &[Transaction]) -> String {
    transactions_csv_part(txs, 0, txs.len())
}

/// The clamped range `start..end` of `len` items (`start <= end <= len`).
fn clamp(len: usize, start: usize, end: usize) -> (usize, usize) {
    let end = end.min(len);
    (start.min(end), end)
}

/// An optional text cell: empty when absent.
fn opt(o: &Option<String>) -> Cow<'_, str> {
    Cow::Borrowed(o.as_deref().unwrap_or(""))
}

/// `transactions.csv` in pieces: the header when `start` is 0, then the rows of `start..end`.
/// The parts for consecutive ranges covering `0..txs.len()` concatenate to
/// [`transactions_csv`], so a large file can be written without holding it whole.
pub fn transactions_csv_part(txs: &[Transaction], start: usize, end: usize) -> String {
    let (start, end) = clamp(txs.len(), start, end);
    let mut out = String::with_capacity((end - start) * 256 + 512);
    if start == 0 {
        out.push_str(&CSV_COLUMNS.join(","));
        out.push_str("\r\n");
    }
    for t in &txs[start..end] {
        let m = t.match_.as_deref();
        let of_match =
            |f: fn(&crate::matching::Match) -> Cow<'_, str>| m.map(f).unwrap_or_default();
        let cells: [(Cow<str>, bool); 28] = [
            (Cow::Borrowed(t.id.as_str()), false),
            (Cow::Borrowed(t.kind), false),
            (Cow::Borrowed(t.company_id.as_str()), true),
            (opt(&t.company_name), true),
            (Cow::Borrowed(t.invoice_id.as_str()), true),
            (opt(&t.invoice_number), true),
            (opt(&t.vendor_invoice_number), true),
            (opt(&t.line_id), true),
            (Cow::Owned(t.date.to_string()), false),
            (
                t.invoice_date
                    .map(|d| Cow::Owned(d.to_string()))
                    .unwrap_or_default(),
                false,
            ),
            (opt(&t.vendor_id), true),
            (opt(&t.vendor_number), true),
            (Cow::Borrowed(t.vendor_name.as_str()), true),
            (Cow::Borrowed(t.description.as_str()), true),
            (Cow::Borrowed(t.line_type.unwrap_or("")), false),
            (opt(&t.gl_account_number), true),
            (Cow::Borrowed(t.currency.as_str()), true),
            (Cow::Owned(t.amount_excluding_tax.to_string()), false),
            (Cow::Owned(t.amount_including_tax.to_string()), false),
            (of_match(|m| Cow::Borrowed(m.app_id.as_str())), true),
            (of_match(|m| Cow::Borrowed(m.app_name.as_str())), true),
            (of_match(|m| Cow::Borrowed(m.category.as_str())), true),
            // As in transactions.json: serde_json's number and enum spellings.
            (
                of_match(|m| Cow::Owned(serde_json::to_string(&m.confidence).unwrap_or_default())),
                false,
            ),
            (
                of_match(|m| {
                    Cow::Owned(
                        serde_json::to_string(&m.decided_by)
                            .unwrap_or_default()
                            .trim_matches('"')
                            .to_owned(),
                    )
                }),
                false,
            ),
            (
                t.seats
                    .map(|n| Cow::Owned(n.to_string()))
                    .unwrap_or_default(),
                false,
            ),
            (
                t.unit_price
                    .map(|p| Cow::Owned(p.to_string()))
                    .unwrap_or_default(),
                false,
            ),
            (Cow::Borrowed(t.period.map_or("", |p| p.as_str())), false),
            (
                t.term_months
                    .map(|n| Cow::Owned(n.to_string()))
                    .unwrap_or_default(),
                false,
            ),
        ];
        for (i, (c, text)) in cells.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            push_cell(&mut out, c, *text);
        }
        out.push_str("\r\n");
    }
    out
}

/// A JSON array in pieces: `[` when `start` is 0, the items of `start..end` (a comma before each
/// but the array's first), `]` when `end` reaches the end. The parts for consecutive ranges
/// covering `0..items.len()` concatenate to `serde_json::to_string(items)`.
pub fn json_array_part<T: serde::Serialize>(
    items: &[T],
    start: usize,
    end: usize,
) -> Result<String, serde_json::Error> {
    let (start, end) = clamp(items.len(), start, end);
    let mut out = Vec::with_capacity((end - start) * 1024 + 2);
    if start == 0 {
        out.push(b'[');
    }
    for (i, item) in items[start..end].iter().enumerate() {
        if start + i > 0 {
            out.push(b',');
        }
        serde_json::to_writer(&mut out, item)?;
    }
    if end == items.len() {
        out.push(b']');
    }
    // serde_json writes UTF-8 only.
    Ok(String::from_utf8(out).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_concatenate_to_the_whole() {
        let items: Vec<serde_json::Value> = (0..7)
            .map(|i| serde_json::json!({"n": i, "s": format!("x,\"{i}\"")}))
            .collect();
        let whole = serde_json::to_string(&items).unwrap();
        for step in 1..=8 {
            let mut joined = String::new();
            let mut at = 0;
            loop {
                joined.push_str(&json_array_part(&items, at, at + step).unwrap());
                at += step;
                if at >= items.len() {
                    break;
                }
            }
            assert_eq!(joined, whole, "step {step}");
        }
        let none: Vec<u8> = Vec::new();
        assert_eq!(json_array_part(&none, 0, 0).unwrap(), "[]");
        assert_eq!(
            json_array_part(&items, 7, 12).unwrap(),
            "]",
            "a range past the end clamps to the end"
        );
        assert_eq!(json_array_part(&items, 5, 3).unwrap(), "", "an empty range");
    }

    #[test]
    fn cells_are_quoted_and_guarded() {
        let mut s = String::new();
        push_cell(&mut s, "a,b", true);
        s.push('|');
        push_cell(&mut s, "say \"hi\"", true);
        s.push('|');
        push_cell(&mut s, "=HYPERLINK(\"x\")", true);
        s.push('|');
        push_cell(&mut s, "-750.00", false);
        assert_eq!(
            s,
            "\"a,b\"|\"say \"\"hi\"\"\"|\"'=HYPERLINK(\"\"x\"\")\"|-750.00"
        );
    }
}

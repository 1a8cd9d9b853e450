//! Output formats beyond JSON: `transactions.csv`.
//!
//! One row per transaction with the columns of [`CSV_COLUMNS`]; amounts as exact decimal
//! strings. Text cells that a spreadsheet would run as a formula (starting with `=`, `+`, `-`,
//! `@`, tab or CR) are prefixed with `'`, since admins open these files in Excel.

use crate::transactions::Transaction;

pub const CSV_COLUMNS: &[&str] = &[
    "id", "kind", "companyId", "companyName", "invoiceId", "invoiceNumber", "vendorInvoiceNumber", "lineId", "date", "invoiceDate",
    "vendorId", "vendorNumber", "vendorName", "description", "lineType", "glAccountNumber", "currency", "amountExcludingTax",
    "amountIncludingTax", "appId", "appName", "category", "matchConfidence", "decidedBy",
];

fn push_cell(out: &mut String, s: &str, text: bool) {
    let guarded = text && s.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let needs_quotes = guarded || s.contains([',', '"', '\n', '\r']) || s.starts_with(' ') || s.ends_with(' ');
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
    let mut out = String::with_capacity(txs.len() * 256 + 512);
    out.push_str(&CSV_COLUMNS.join(","));
    out.push_str("\r\n");
    for t in txs {
        let m = t.match_.as_ref().and_then(|m| serde_json::to_value(m).ok());
        let mf = |k: &str| -> String {
            match m.as_ref().and_then(|v| v.get(k)) {
                Some(serde_json::Value::String(s)) => s.clone(),
                Some(serde_json::Value::Number(n)) => n.to_string(),
                _ => String::new(),
            }
        };
        let opt = |o: &Option<String>| o.clone().unwrap_or_default();
        let cells: [(String, bool); 24] = [
            (t.id.clone(), false),
            (t.kind.to_owned(), false),
            (t.company_id.clone(), true),
            (opt(&t.company_name), true),
            (t.invoice_id.clone(), true),
            (opt(&t.invoice_number), true),
            (opt(&t.vendor_invoice_number), true),
            (opt(&t.line_id), true),
            (t.date.to_string(), false),
            (t.invoice_date.map(|d| d.to_string()).unwrap_or_default(), false),
            (opt(&t.vendor_id), true),
            (opt(&t.vendor_number), true),
            (t.vendor_name.clone(), true),
            (t.description.clone(), true),
            (t.line_type.unwrap_or("").to_owned(), false),
            (opt(&t.gl_account_number), true),
            (t.currency.clone(), true),
            (t.amount_excluding_tax.to_string(), false),
            (t.amount_including_tax.to_string(), false),
            (mf("appId"), true),
            (mf("appName"), true),
            (mf("category"), true),
            (mf("confidence"), false),
            (mf("decidedBy"), false),
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

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(s, "\"a,b\"|\"say \"\"hi\"\"\"|\"'=HYPERLINK(\"\"x\"\")\"|-750.00");
    }
}

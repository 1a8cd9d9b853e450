//! The transaction files: `transactions.json` and `transactions.csv`.
//!
//! `transactions.json` is the array of the transactions as their derived `Serialize` writes
//! them through `serde_json`, written by hand here ([`transaction_json`]) for speed; the tests
//! hold it to serde's bytes.
//!
//! `transactions.csv` has one row per transaction with the columns of [`CSV_COLUMNS`]; amounts
//! as exact decimal strings. Text cells that a spreadsheet would run as a formula (starting with
//! `=`, `+`, `-`, `@`, tab or CR) are prefixed with `'`, since admins open these files in Excel.

use crate::date::Date;
use crate::jsonw;
use crate::matching::{Candidate, DecidedBy, Evidence, Match, Rejected, Via};
use crate::transactions::{Transaction, TxLine};

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

/// Whether a cell must be quoted for what it holds: a `,`, `"`, LF or CR anywhere (ASCII, so a
/// byte test is a character test in UTF-8).
fn has_csv_special(s: &[u8]) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    jsonw::any_byte(s, b'a', |x| {
        jsonw::zero_bytes(x ^ (ONES * b',' as u64))
            | jsonw::zero_bytes(x ^ (ONES * b'"' as u64))
            | jsonw::zero_bytes(x ^ (ONES * b'\n' as u64))
            | jsonw::zero_bytes(x ^ (ONES * b'\r' as u64))
    })
}

/// Appends one cell: quoted when it holds a `,`, `"`, LF or CR or starts or ends with a space,
/// `"` doubled inside; a text cell that a spreadsheet would run as a formula (starting with
/// `=`, `+`, `-`, `@`, tab or CR) quoted and prefixed with `'`.
fn push_cell(out: &mut Vec<u8>, s: &str, text: bool) {
    let b = s.as_bytes();
    let guarded = text && matches!(b.first(), Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r'));
    let needs_quotes =
        guarded || b.first() == Some(&b' ') || b.last() == Some(&b' ') || has_csv_special(b);
    if needs_quotes {
        out.reserve(b.len() + 4);
        out.push(b'"');
        if guarded {
            out.push(b'\'');
        }
        for part in b.split_inclusive(|&c| c == b'"') {
            out.extend_from_slice(part);
            if part.last() == Some(&b'"') {
                out.push(b'"');
            }
        }
        out.push(b'"');
    } else {
        out.extend_from_slice(b);
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

/// `transactions.csv` in pieces: the header when `start` is 0, then the rows of `start..end`.
/// The parts for consecutive ranges covering `0..txs.len()` concatenate to
/// [`transactions_csv`], so a large file can be written without holding it whole.
pub fn transactions_csv_part(txs: &[Transaction], start: usize, end: usize) -> String {
    // Written from `&str`s and ASCII only.
    String::from_utf8(transactions_csv_part_bytes(txs, start, end)).unwrap_or_default()
}

/// [`transactions_csv_part`] as its UTF-8 bytes.
pub fn transactions_csv_part_bytes(txs: &[Transaction], start: usize, end: usize) -> Vec<u8> {
    let (start, end) = clamp(txs.len(), start, end);
    let mut out = Vec::with_capacity((end - start).min(SAMPLE) * 384 + 512);
    if start == 0 {
        out.extend_from_slice(CSV_COLUMNS.join(",").as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    let from = out.len();
    for (i, t) in txs[start..end].iter().enumerate() {
        reserve_for_rest(&mut out, from, i, end - start);
        csv_row(&mut out, t);
    }
    out
}

/// Items written before the rest of a part is reserved for at their average size.
const SAMPLE: usize = 32;

/// After the first [`SAMPLE`] of a part's `n` items (written from `out[from..]`), reserves room
/// for the rest at their average size and an eighth: one allocation of about the part's size
/// instead of doublings, each a copy of what is written so far (a part of `transactions.json`
/// is megabytes) and up to twice the room.
fn reserve_for_rest(out: &mut Vec<u8>, from: usize, i: usize, n: usize) {
    if i == SAMPLE && n > SAMPLE {
        let rest = (out.len() - from) / SAMPLE * (n - SAMPLE);
        out.reserve(rest + rest / 8);
    }
}

/// One row of `transactions.csv`, CRLF-terminated. Numbers, dates and names of this crate's
/// own (never quoted) are written as they are; text goes through [`push_cell`].
fn csv_row(out: &mut Vec<u8>, t: &Transaction) {
    let text = |out: &mut Vec<u8>, s: &str| {
        push_cell(out, s, true);
        out.push(b',');
    };
    let opt_text = |out: &mut Vec<u8>, s: Option<&str>| {
        push_cell(out, s.unwrap_or(""), true);
        out.push(b',');
    };
    push_cell(out, &t.id, false);
    out.push(b',');
    push_cell(out, t.kind, false);
    out.push(b',');
    text(out, &t.company_id);
    opt_text(out, t.company_name.as_deref());
    text(out, &t.invoice_id.text());
    opt_text(out, t.invoice_number.as_deref());
    opt_text(out, t.vendor_invoice_number.as_deref());
    opt_text(out, t.line_id.as_ref().map(|i| i.text()).as_deref());
    t.date.write_iso(out);
    out.push(b',');
    if let Some(d) = t.invoice_date {
        d.write_iso(out);
    }
    out.push(b',');
    opt_text(out, t.vendor_id.as_deref());
    opt_text(out, t.vendor_number.as_deref());
    text(out, &t.vendor_name);
    text(out, &t.description);
    push_cell(out, t.line_type.unwrap_or(""), false);
    out.push(b',');
    opt_text(out, t.gl_account_number.as_deref());
    text(out, &t.currency);
    t.amount_excluding_tax.write_decimal(out);
    out.push(b',');
    t.amount_including_tax.write_decimal(out);
    out.push(b',');
    match t.match_.as_deref() {
        Some(m) => {
            text(out, &m.app_id);
            text(out, &m.app_name);
            text(out, &m.category);
            // As in transactions.json: serde_json's number and enum spellings.
            jsonw::f64(out, m.confidence);
            out.push(b',');
            out.extend_from_slice(decided_by_name(m.decided_by).as_bytes());
        }
        None => out.extend_from_slice(b",,,,"),
    }
    out.push(b',');
    if let Some(n) = t.seats {
        out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
    }
    out.push(b',');
    if let Some(p) = t.unit_price {
        p.write_decimal(out);
    }
    out.push(b',');
    if let Some(p) = t.period {
        out.extend_from_slice(p.as_str().as_bytes());
    }
    out.push(b',');
    if let Some(n) = t.term_months {
        out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
    }
    out.extend_from_slice(b"\r\n");
}

/// `DecidedBy` as serde writes it (its camelCase variant name).
fn decided_by_name(d: DecidedBy) -> &'static str {
    match d {
        DecidedBy::Rule => "rule",
        DecidedBy::VendorName => "vendorName",
        DecidedBy::VendorDomain => "vendorDomain",
        DecidedBy::Description => "description",
        DecidedBy::VendorDefault => "vendorDefault",
        DecidedBy::Lines => "lines",
    }
}

/// A JSON array in pieces: `[` when `start` is 0, the items of `start..end` (a comma before each
/// but the array's first), `]` when `end` reaches the end. The parts for consecutive ranges
/// covering `0..items.len()` concatenate to `serde_json::to_string(items)`.
///
/// Through serde; `transactions.json` is written by [`transactions_json_part`], which the tests
/// hold to this byte for byte.
pub fn json_array_part<T: serde::Serialize>(
    items: &[T],
    start: usize,
    end: usize,
) -> Result<String, serde_json::Error> {
    let mut err = None;
    let out = array_part(items, start, end, |out, item| {
        if let Err(e) = serde_json::to_writer(&mut *out, item) {
            err.get_or_insert(e);
        }
    });
    match err {
        Some(e) => Err(e),
        // serde_json writes UTF-8 only.
        None => Ok(String::from_utf8(out).unwrap_or_default()),
    }
}

/// The array part of `items[start..end]` (see [`json_array_part`]), each item written by `write`.
fn array_part<T>(
    items: &[T],
    start: usize,
    end: usize,
    mut write: impl FnMut(&mut Vec<u8>, &T),
) -> Vec<u8> {
    let (start, end) = clamp(items.len(), start, end);
    let mut out = Vec::with_capacity((end - start).min(SAMPLE) * 2048 + 2);
    if start == 0 {
        out.push(b'[');
    }
    let from = out.len();
    for (i, item) in items[start..end].iter().enumerate() {
        reserve_for_rest(&mut out, from, i, end - start);
        if start + i > 0 {
            out.push(b',');
        }
        write(&mut out, item);
    }
    if end == items.len() {
        out.push(b']');
    }
    out
}

/// `transactions.json` in pieces, as UTF-8 bytes: what [`json_array_part`] gives for the
/// transactions (`serde_json`'s bytes for their derived `Serialize`), written by hand from the
/// fields, since through serde this was most of writing the file.
pub fn transactions_json_part(txs: &[Transaction], start: usize, end: usize) -> Vec<u8> {
    array_part(txs, start, end, transaction_json)
}

/// The whole of `transactions.json` (without its trailing newline).
pub fn transactions_json(txs: &[Transaction]) -> Vec<u8> {
    transactions_json_part(txs, 0, txs.len())
}

fn opt_date(out: &mut Vec<u8>, d: Option<Date>) {
    match d {
        Some(d) => jsonw::date(out, d),
        None => out.extend_from_slice(b"null"),
    }
}

/// Appends one transaction as its derived `Serialize` writes it: the fields in declaration
/// order, camelCase, those marked `skip_serializing_if` left out when absent. Every field is
/// named in the pattern, so a field added to the struct does not compile until written here.
pub fn transaction_json(out: &mut Vec<u8>, t: &Transaction) {
    let Transaction {
        id,
        kind,
        company_id,
        company_name,
        invoice_id,
        invoice_number,
        vendor_invoice_number,
        line_id,
        date,
        invoice_date,
        posting_date,
        vendor_id,
        vendor_number,
        vendor_name,
        description,
        line_type,
        gl_account_number,
        currency,
        amount_excluding_tax,
        amount_including_tax,
        applies_to_invoice_id,
        applies_to_invoice_number,
        lines,
        match_,
        match_rejected,
        ignored_by_rule,
        seats,
        unit_price,
        period,
        term_months,
    } = t;
    out.extend_from_slice(b"{\"id\":");
    jsonw::str(out, id);
    out.extend_from_slice(b",\"kind\":");
    jsonw::str(out, kind);
    out.extend_from_slice(b",\"companyId\":");
    jsonw::str(out, company_id);
    out.extend_from_slice(b",\"companyName\":");
    jsonw::opt_str(out, company_name.as_deref());
    out.extend_from_slice(b",\"invoiceId\":");
    jsonw::str(out, &invoice_id.text());
    out.extend_from_slice(b",\"invoiceNumber\":");
    jsonw::opt_str(out, invoice_number.as_deref());
    out.extend_from_slice(b",\"vendorInvoiceNumber\":");
    jsonw::opt_str(out, vendor_invoice_number.as_deref());
    out.extend_from_slice(b",\"lineId\":");
    jsonw::opt_str(out, line_id.as_ref().map(|i| i.text()).as_deref());
    out.extend_from_slice(b",\"date\":");
    jsonw::date(out, *date);
    out.extend_from_slice(b",\"invoiceDate\":");
    opt_date(out, *invoice_date);
    out.extend_from_slice(b",\"postingDate\":");
    opt_date(out, *posting_date);
    out.extend_from_slice(b",\"vendorId\":");
    jsonw::opt_str(out, vendor_id.as_deref());
    out.extend_from_slice(b",\"vendorNumber\":");
    jsonw::opt_str(out, vendor_number.as_deref());
    out.extend_from_slice(b",\"vendorName\":");
    jsonw::str(out, vendor_name);
    out.extend_from_slice(b",\"description\":");
    jsonw::str(out, description);
    out.extend_from_slice(b",\"lineType\":");
    jsonw::opt_str(out, *line_type);
    out.extend_from_slice(b",\"glAccountNumber\":");
    jsonw::opt_str(out, gl_account_number.as_deref());
    out.extend_from_slice(b",\"currency\":");
    jsonw::str(out, currency);
    out.extend_from_slice(b",\"amountExcludingTax\":");
    jsonw::amount(out, *amount_excluding_tax);
    out.extend_from_slice(b",\"amountIncludingTax\":");
    jsonw::amount(out, *amount_including_tax);
    if let Some(s) = applies_to_invoice_id {
        out.extend_from_slice(b",\"appliesToInvoiceId\":");
        jsonw::str(out, &s.text());
    }
    if let Some(s) = applies_to_invoice_number {
        out.extend_from_slice(b",\"appliesToInvoiceNumber\":");
        jsonw::str(out, s);
    }
    let mut written = Written::default();
    if let Some(lines) = lines {
        out.extend_from_slice(b",\"lines\":[");
        for (i, l) in lines.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            tx_line_json(out, l, &mut written);
        }
        out.push(b']');
    }
    out.extend_from_slice(b",\"match\":");
    opt_match_json(out, match_.as_deref(), &mut written);
    if let Some(r) = match_rejected {
        out.extend_from_slice(b",\"matchRejected\":");
        rejected_json(out, r);
    }
    if let Some(s) = ignored_by_rule {
        out.extend_from_slice(b",\"ignoredByRule\":");
        jsonw::str(out, s);
    }
    if let Some(n) = seats {
        out.extend_from_slice(b",\"seats\":");
        jsonw::int(out, i64::from(*n));
    }
    if let Some(p) = unit_price {
        out.extend_from_slice(b",\"unitPrice\":");
        jsonw::amount(out, *p);
    }
    if let Some(p) = period {
        out.extend_from_slice(b",\"period\":");
        jsonw::str(out, p.as_str());
    }
    if let Some(n) = term_months {
        out.extend_from_slice(b",\"termMonths\":");
        jsonw::int(out, i64::from(*n));
    }
    out.push(b'}');
}

fn tx_line_json<'a>(out: &mut Vec<u8>, l: &'a TxLine, written: &mut Written<'a>) {
    let TxLine {
        line_id,
        sequence,
        description,
        description2,
        line_type,
        object_number,
        gl_account_number,
        amount_excluding_tax,
        amount_including_tax,
        match_,
    } = l;
    out.extend_from_slice(b"{\"lineId\":");
    jsonw::opt_str(out, line_id.as_ref().map(|i| i.text()).as_deref());
    out.extend_from_slice(b",\"sequence\":");
    match sequence {
        Some(n) => jsonw::int(out, *n),
        None => out.extend_from_slice(b"null"),
    }
    out.extend_from_slice(b",\"description\":");
    jsonw::str(out, description);
    if let Some(s) = description2 {
        out.extend_from_slice(b",\"description2\":");
        jsonw::str(out, s);
    }
    out.extend_from_slice(b",\"lineType\":");
    jsonw::str(out, line_type);
    out.extend_from_slice(b",\"objectNumber\":");
    jsonw::opt_str(out, object_number.as_deref());
    out.extend_from_slice(b",\"glAccountNumber\":");
    jsonw::opt_str(out, gl_account_number.as_deref());
    out.extend_from_slice(b",\"amountExcludingTax\":");
    jsonw::amount(out, *amount_excluding_tax);
    out.extend_from_slice(b",\"amountIncludingTax\":");
    jsonw::amount(out, *amount_including_tax);
    out.extend_from_slice(b",\"match\":");
    opt_match_json(out, match_.as_deref(), written);
    out.push(b'}');
}

/// The matches already written for one transaction, and where in `out`: the lines that take
/// the invoice's decision (comment lines, an invoice's other lines) share the transaction's
/// match (one `Arc`, `transactions::build`), so a match that is the same object as one written
/// before is copied from those bytes. Only identity is compared: on the bench set's first 10
/// pages, 7,634 of 23,420 matches written were the same object as one before and 845 more were
/// equal without being shared; comparing every field for those 845 (3.6%) cost more code than
/// writing them again saves.
#[derive(Default)]
struct Written<'a> {
    at: [Option<(&'a Match, usize, usize)>; 8],
}

fn opt_match_json<'a>(out: &mut Vec<u8>, m: Option<&'a Match>, written: &mut Written<'a>) {
    let Some(m) = m else {
        out.extend_from_slice(b"null");
        return;
    };
    for &(w, start, end) in written.at.iter().map_while(|w| w.as_ref()) {
        if std::ptr::eq(w, m) {
            out.extend_from_within(start..end);
            return;
        }
    }
    let start = out.len();
    match_json(out, m);
    if let Some(free) = written.at.iter_mut().find(|w| w.is_none()) {
        *free = Some((m, start, out.len()));
    }
}

fn match_json(out: &mut Vec<u8>, m: &Match) {
    let Match {
        app_id,
        app_name,
        category,
        decided_by,
        rule_id,
        evidence,
        confidence,
        runner_up,
        via,
    } = m;
    out.extend_from_slice(b"{\"appId\":");
    jsonw::str(out, app_id);
    out.extend_from_slice(b",\"appName\":");
    jsonw::str(out, app_name);
    out.extend_from_slice(b",\"category\":");
    jsonw::str(out, category);
    out.extend_from_slice(b",\"decidedBy\":\"");
    out.extend_from_slice(decided_by_name(*decided_by).as_bytes());
    out.push(b'"');
    if let Some(s) = rule_id {
        out.extend_from_slice(b",\"ruleId\":");
        jsonw::str(out, s);
    }
    out.extend_from_slice(b",\"evidence\":[");
    for (i, e) in evidence.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        evidence_json(out, e);
    }
    out.extend_from_slice(b"],\"confidence\":");
    jsonw::f64(out, *confidence);
    out.extend_from_slice(b",\"runnerUp\":");
    match runner_up {
        Some(c) => candidate_json(out, c),
        None => out.extend_from_slice(b"null"),
    }
    if let Some(Via { id, name, kind }) = via {
        out.extend_from_slice(b",\"via\":{\"id\":");
        jsonw::str(out, id);
        out.extend_from_slice(b",\"name\":");
        jsonw::str(out, name);
        out.extend_from_slice(b",\"kind\":");
        jsonw::str(out, kind);
        out.push(b'}');
    }
    out.push(b'}');
}

fn evidence_json(out: &mut Vec<u8>, e: &Evidence) {
    let Evidence {
        field,
        text,
        start,
        end,
        kind,
        alias,
    } = e;
    out.extend_from_slice(b"{\"field\":");
    jsonw::str(out, field);
    out.extend_from_slice(b",\"text\":");
    jsonw::str(out, text);
    out.extend_from_slice(b",\"start\":");
    out.extend_from_slice(itoa::Buffer::new().format(*start).as_bytes());
    out.extend_from_slice(b",\"end\":");
    out.extend_from_slice(itoa::Buffer::new().format(*end).as_bytes());
    out.extend_from_slice(b",\"kind\":");
    jsonw::str(out, kind);
    if let Some(s) = alias {
        out.extend_from_slice(b",\"alias\":");
        jsonw::str(out, s);
    }
    out.push(b'}');
}

fn candidate_json(out: &mut Vec<u8>, c: &Candidate) {
    let Candidate {
        app_id,
        app_name,
        confidence,
    } = c;
    out.extend_from_slice(b"{\"appId\":");
    jsonw::str(out, app_id);
    out.extend_from_slice(b",\"appName\":");
    jsonw::str(out, app_name);
    out.extend_from_slice(b",\"confidence\":");
    jsonw::f64(out, *confidence);
    out.push(b'}');
}

fn rejected_json(out: &mut Vec<u8>, r: &Rejected) {
    let Rejected {
        app_id,
        app_name,
        confidence,
        reason,
        candidates,
        not_software,
    } = r;
    out.extend_from_slice(b"{\"appId\":");
    jsonw::opt_str(out, app_id.as_deref());
    out.extend_from_slice(b",\"appName\":");
    jsonw::opt_str(out, app_name.as_deref());
    out.extend_from_slice(b",\"confidence\":");
    jsonw::f64(out, *confidence);
    out.extend_from_slice(b",\"reason\":");
    jsonw::str(out, reason);
    if !candidates.is_empty() {
        out.extend_from_slice(b",\"candidates\":[");
        for (i, c) in candidates.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            candidate_json(out, c);
        }
        out.push(b']');
    }
    if let Some(s) = not_software {
        out.extend_from_slice(b",\"notSoftware\":");
        jsonw::str(out, s);
    }
    out.push(b'}');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Amount;
    use crate::transactions::seats::Period;
    use std::borrow::Cow;
    use std::sync::Arc;

    /// `transactions.csv` as it was written before the byte writer (through `Cow` cells,
    /// `to_string` and `serde_json::to_string`): the reference the writer is held to.
    fn reference_csv_part(txs: &[Transaction], start: usize, end: usize) -> String {
        fn push_cell(out: &mut String, s: &str, text: bool) {
            let guarded = text && s.starts_with(['=', '+', '-', '@', '\t', '\r']);
            let needs_quotes = guarded
                || s.contains([',', '"', '\n', '\r'])
                || s.starts_with(' ')
                || s.ends_with(' ');
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
        fn opt<T: std::ops::Deref<Target = str>>(o: &Option<T>) -> Cow<'_, str> {
            Cow::Borrowed(o.as_deref().unwrap_or(""))
        }
        let (start, end) = clamp(txs.len(), start, end);
        let mut out = String::new();
        if start == 0 {
            out.push_str(&CSV_COLUMNS.join(","));
            out.push_str("\r\n");
        }
        for t in &txs[start..end] {
            let m = t.match_.as_deref();
            let of_match = |f: fn(&Match) -> Cow<'_, str>| m.map(f).unwrap_or_default();
            let cells: [(Cow<str>, bool); 28] = [
                (Cow::Borrowed(t.id.as_str()), false),
                (Cow::Borrowed(t.kind), false),
                (Cow::Borrowed(t.company_id.as_str()), true),
                (opt(&t.company_name), true),
                (Cow::Owned(t.invoice_id.to_string()), true),
                (opt(&t.invoice_number), true),
                (opt(&t.vendor_invoice_number), true),
                (
                    t.line_id
                        .as_ref()
                        .map_or(Cow::Borrowed(""), |i| Cow::Owned(i.to_string())),
                    true,
                ),
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
                (
                    of_match(|m| Cow::Owned(serde_json::to_string(&m.confidence).unwrap())),
                    false,
                ),
                (
                    of_match(|m| {
                        Cow::Owned(
                            serde_json::to_string(&m.decided_by)
                                .unwrap()
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

    /// Where generated transactions take their values from: pools drawn in turn, and
    /// pseudo-random bits (xorshift) for which optional parts are present.
    struct Source {
        strs: Vec<String>,
        ints: Vec<i64>,
        floats: Vec<f64>,
        bits: u64,
        at: [usize; 3],
        /// The match made last: the next is often a copy of it, as is or with one field changed.
        last: Option<Match>,
    }

    const STATICS: &[&str] = &["invoice", "creditMemo", "Item", "", "de\"s\\c\n\u{1}é"];
    const DECIDED: [DecidedBy; 6] = [
        DecidedBy::Rule,
        DecidedBy::VendorName,
        DecidedBy::VendorDomain,
        DecidedBy::Description,
        DecidedBy::VendorDefault,
        DecidedBy::Lines,
    ];
    const PERIODS: [Period; 4] = [
        Period::Monthly,
        Period::Quarterly,
        Period::Annual,
        Period::MultiYear,
    ];

    impl Source {
        fn new(strs: Vec<String>, ints: Vec<i64>, floats: Vec<f64>, seed: u64) -> Source {
            Source {
                strs,
                ints,
                floats,
                bits: seed | 1,
                at: [0; 3],
                last: None,
            }
        }
        fn next(&mut self) -> u64 {
            self.bits ^= self.bits << 13;
            self.bits ^= self.bits >> 7;
            self.bits ^= self.bits << 17;
            self.bits
        }
        fn bit(&mut self) -> bool {
            self.next() >> 63 == 1
        }
        fn pick(&mut self, n: usize) -> usize {
            (self.next() >> 33) as usize % n
        }
        fn s<T: From<String>>(&mut self) -> T {
            self.at[0] += 1;
            T::from(self.strs[self.at[0] % self.strs.len()].clone())
        }
        fn opt_s<T: From<String>>(&mut self) -> Option<T> {
            self.bit().then(|| self.s())
        }
        fn static_s(&mut self) -> &'static str {
            STATICS[self.pick(STATICS.len())]
        }
        fn i(&mut self) -> i64 {
            self.at[1] += 1;
            self.ints[self.at[1] % self.ints.len()]
        }
        fn f(&mut self) -> f64 {
            self.at[2] += 1;
            self.floats[self.at[2] % self.floats.len()]
        }
        fn amount(&mut self) -> Amount {
            Amount(self.i())
        }
        fn date(&mut self) -> Date {
            const YEARS: [i32; 7] = [2026, 0, 9999, 10_000, -1, 123, 1999];
            Date {
                year: YEARS[self.pick(YEARS.len())],
                month: 1 + self.pick(12) as u8,
                day: 1 + self.pick(31) as u8,
            }
        }
        fn candidate(&mut self) -> Candidate {
            Candidate {
                app_id: self.s(),
                app_name: self.s(),
                confidence: self.f(),
            }
        }
        fn a_match(&mut self) -> Option<Arc<Match>> {
            if !self.bit() {
                return None;
            }
            let m = match self.last.take() {
                Some(mut m) if self.bit() => {
                    self.nudge(&mut m);
                    m
                }
                _ => self.new_match(),
            };
            self.last = Some(m.clone());
            Some(Arc::new(m))
        }
        /// Changes one field of `m` (of it, its evidence, runner-up or via), or none.
        fn nudge(&mut self, m: &mut Match) {
            let s = self.s();
            let first = m.evidence.first_mut();
            match (self.pick(22), first) {
                (0, _) => m.app_id.push('x'),
                (1, _) => m.app_name.push('x'),
                (2, _) => m.category.push('x'),
                (3, _) => m.decided_by = DECIDED[self.pick(DECIDED.len())],
                (4, _) => m.rule_id = if m.rule_id.is_some() { None } else { Some(s) },
                // 0.0 becomes -0.0: equal as numbers, written apart.
                (5, _) => m.confidence = -m.confidence,
                (6, _) => m.evidence.push(Evidence {
                    field: "vendor",
                    text: s,
                    start: 0,
                    end: 1,
                    kind: "name",
                    alias: None,
                }),
                (7, _) => drop(m.evidence.pop()),
                (8, Some(e)) => {
                    e.field = if e.field == "vendor" {
                        "website"
                    } else {
                        "vendor"
                    }
                }
                (9, Some(e)) => e.text.push('x'),
                (10, Some(e)) => e.start = e.start.wrapping_add(1),
                (11, Some(e)) => e.end = e.end.wrapping_add(1),
                (12, Some(e)) => e.kind = if e.kind == "name" { "product" } else { "name" },
                (13, Some(e)) => e.alias = if e.alias.is_some() { None } else { Some(s) },
                (14, _) => {
                    m.runner_up = match m.runner_up.take() {
                        Some(_) => None,
                        None => Some(self.candidate()),
                    }
                }
                (15, _) if m.runner_up.is_some() => {
                    let c = m.runner_up.as_mut().unwrap();
                    match self.pick(3) {
                        0 => c.app_id.push('x'),
                        1 => c.app_name.push('x'),
                        _ => c.confidence = -c.confidence,
                    }
                }
                (16, _) => {
                    m.via = match m.via.take() {
                        Some(_) => None,
                        None => Some(Via {
                            id: s.clone(),
                            name: s.clone(),
                            kind: s,
                        }),
                    }
                }
                (17, _) if m.via.is_some() => {
                    let v = m.via.as_mut().unwrap();
                    match self.pick(3) {
                        0 => v.id.push('x'),
                        1 => v.name.push('x'),
                        _ => v.kind.push('x'),
                    }
                }
                _ => {}
            }
        }
        fn new_match(&mut self) -> Match {
            let evidence = (0..self.pick(4))
                .map(|_| Evidence {
                    field: self.static_s(),
                    text: self.s(),
                    start: self.i() as usize,
                    end: self.i() as usize,
                    kind: self.static_s(),
                    alias: self.opt_s(),
                })
                .collect();
            Match {
                app_id: self.s(),
                app_name: self.s(),
                category: self.s(),
                decided_by: DECIDED[self.pick(DECIDED.len())],
                rule_id: self.opt_s(),
                evidence,
                confidence: self.f(),
                runner_up: self.bit().then(|| self.candidate()),
                via: self.bit().then(|| Via {
                    id: self.s(),
                    name: self.s(),
                    kind: self.s(),
                }),
            }
        }
        fn line(&mut self) -> TxLine {
            TxLine {
                line_id: self.opt_s(),
                sequence: self.bit().then(|| self.i()),
                description: self.s(),
                description2: self.opt_s(),
                line_type: self.static_s(),
                object_number: self.opt_s(),
                gl_account_number: self.opt_s(),
                amount_excluding_tax: self.amount(),
                amount_including_tax: self.amount(),
                match_: self.a_match(),
            }
        }
        /// A transaction of the shape of a line mode: 0 `invoice` (lines, no line id or type),
        /// 1 `line` (a line id and type, no lines), 2 `auto` (lines and a first line's id).
        fn transaction(&mut self, mode: usize) -> Transaction {
            let lines = (mode != 1).then(|| (0..self.pick(4)).map(|_| self.line()).collect());
            let match_ = self.a_match();
            Transaction {
                id: self.s(),
                kind: self.static_s(),
                company_id: self.s(),
                company_name: self.opt_s(),
                invoice_id: self.s(),
                invoice_number: self.opt_s(),
                vendor_invoice_number: self.opt_s(),
                line_id: if mode == 0 { None } else { self.opt_s() },
                date: self.date(),
                invoice_date: self.bit().then(|| self.date()),
                posting_date: self.bit().then(|| self.date()),
                vendor_id: self.opt_s(),
                vendor_number: self.opt_s(),
                vendor_name: self.s(),
                description: self.s(),
                line_type: (mode == 1 && self.bit()).then(|| self.static_s()),
                gl_account_number: self.opt_s(),
                currency: self.s(),
                amount_excluding_tax: self.amount(),
                amount_including_tax: self.amount(),
                applies_to_invoice_id: self.opt_s(),
                applies_to_invoice_number: self.opt_s(),
                lines,
                match_rejected: (match_.is_none() && self.bit()).then(|| {
                    std::sync::Arc::new(Rejected {
                        app_id: self.opt_s(),
                        app_name: self.opt_s(),
                        confidence: self.f(),
                        reason: self.s(),
                        candidates: (0..self.pick(3)).map(|_| self.candidate()).collect(),
                        not_software: self.opt_s(),
                    })
                }),
                match_,
                ignored_by_rule: self.opt_s(),
                seats: self.bit().then(|| self.i() as u32),
                unit_price: self.bit().then(|| self.amount()),
                period: self.bit().then(|| PERIODS[self.pick(PERIODS.len())]),
                term_months: self.bit().then(|| self.i() as u32),
            }
        }
    }

    /// Strings with every class `serde_json` escapes (each control character alone, `"`, `\`),
    /// what it passes through (DEL, non-ASCII, emoji, U+2028) and what CSV quotes or guards,
    /// short and past an eight-byte chunk.
    fn tricky_strings() -> Vec<String> {
        let mut v: Vec<String> = (0u8..0x20).map(|c| char::from(c).to_string()).collect();
        v.extend(
            [
                "",
                "plain",
                "Microsoft 365 E3 NCE annual",
                "\"",
                "\\",
                "a\"b\\c",
                "\u{7f}",
                "Café – Zürich",
                "東京",
                "😀 emoji 👩‍💻",
                "\u{2028}\u{2029}",
                " leading",
                "trailing ",
                "=SUM(A1)",
                "+1",
                "-750",
                "@x",
                "\ttab",
                "\rcr",
                "a,b",
                "line\r\nbreak",
                "0123456789abcdef\u{1}xyz",
                "0123456789abcdef,xyz",
                "0123456789abcdef\"xyz",
                "0123456789abcdef\\xyz",
                "0123456789abcdefxyz\n",
                "12345678",
            ]
            .map(String::from),
        );
        v
    }

    fn check(txs: &[Transaction]) -> Result<(), String> {
        for t in txs {
            let mut ours = Vec::new();
            transaction_json(&mut ours, t);
            let serde = serde_json::to_vec(t).unwrap();
            if ours != serde {
                return Err(format!(
                    "transaction_json differs from serde:\n ours:  {}\n serde: {}",
                    String::from_utf8_lossy(&ours),
                    String::from_utf8_lossy(&serde)
                ));
            }
            let ours = transactions_csv(std::slice::from_ref(t));
            let reference = reference_csv_part(std::slice::from_ref(t), 0, 1);
            if ours != reference {
                return Err(format!(
                    "csv row differs:\n ours:      {ours:?}\n reference: {reference:?}"
                ));
            }
        }
        Ok(())
    }

    #[test]
    fn transactions_json_and_csv_are_the_reference_bytes() {
        let ints = vec![
            0,
            1,
            -1,
            42,
            99,
            100,
            10_000,
            1_234_510,
            -7_500_000,
            i64::MAX,
            i64::MIN,
            u32::MAX as i64,
        ];
        let floats = vec![
            0.0,
            -0.0,
            1.0,
            0.95,
            0.1 + 0.2,
            1e-7,
            1e21,
            123_456_789.125,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::MIN_POSITIVE,
            5e-324,
            f64::MAX,
        ];
        let mut src = Source::new(tricky_strings(), ints, floats, 0x9e37_79b9_7f4a_7c15);
        let txs: Vec<Transaction> = (0..3000).map(|i| src.transaction(i % 3)).collect();
        check(&txs).unwrap();
        // Every optional field was present and absent somewhere.
        let count = |f: &dyn Fn(&Transaction) -> bool| txs.iter().filter(|t| f(t)).count();
        for (name, n) in [
            ("lines", count(&|t| t.lines.is_some())),
            ("match", count(&|t| t.match_.is_some())),
            ("rejected", count(&|t| t.match_rejected.is_some())),
            ("seats", count(&|t| t.seats.is_some())),
            (
                "multiYear termMonths",
                count(&|t| t.period == Some(Period::MultiYear) && t.term_months.is_some()),
            ),
            ("appliesTo", count(&|t| t.applies_to_invoice_id.is_some())),
            (
                "via and runner-up",
                count(&|t| {
                    t.match_
                        .as_ref()
                        .is_some_and(|m| m.via.is_some() && m.runner_up.is_some())
                }),
            ),
            (
                "a match written as one before it in its transaction",
                count(&|t| {
                    let ms: Vec<Vec<u8>> = t
                        .lines
                        .iter()
                        .flatten()
                        .filter_map(|l| l.match_.as_ref())
                        .chain(&t.match_)
                        .map(|m| serde_json::to_vec(m).unwrap())
                        .collect();
                    (1..ms.len()).any(|i| ms[..i].contains(&ms[i]))
                }),
            ),
            (
                "line matches with evidence",
                count(&|t| {
                    t.lines.iter().flatten().any(|l| {
                        l.match_
                            .as_ref()
                            .is_some_and(|m| m.evidence.iter().any(|e| e.alias.is_some()))
                    })
                }),
            ),
        ] {
            assert!(n > 0 && n < txs.len(), "{name}: {n} of {}", txs.len());
        }
        // Whole and in parts of every size, as the host writes them.
        let whole = serde_json::to_vec(&txs[..40]).unwrap();
        let csv_whole = reference_csv_part(&txs[..40], 0, 40);
        assert_eq!(transactions_json(&txs[..40]), whole);
        for step in [1, 3, 7, 39, 40, 41] {
            let (mut json, mut csv) = (Vec::new(), Vec::new());
            let mut at = 0;
            while at < 40 {
                json.extend(transactions_json_part(&txs[..40], at, at + step));
                csv.extend(transactions_csv_part_bytes(&txs[..40], at, at + step));
                at += step;
            }
            assert_eq!(
                String::from_utf8(json).unwrap(),
                String::from_utf8(whole.clone()).unwrap(),
                "step {step}"
            );
            assert_eq!(String::from_utf8(csv).unwrap(), csv_whole, "step {step}");
        }
        assert_eq!(transactions_json_part(&[], 0, 2000), b"[]");
        assert_eq!(transactions_json_part(&txs, 3000, 5000), b"]");
        assert_eq!(transactions_json_part(&txs, 5, 3), b"");
        assert_eq!(transactions_csv_part_bytes(&txs, 5, 3), b"");
    }

    #[test]
    fn names_are_serdes() {
        for d in DECIDED {
            assert_eq!(
                serde_json::to_string(&d).unwrap(),
                format!("\"{}\"", decided_by_name(d))
            );
        }
        for p in PERIODS {
            assert_eq!(
                serde_json::to_string(&p).unwrap(),
                format!("\"{}\"", p.as_str())
            );
        }
    }

    #[cfg(not(target_arch = "wasm32"))]
    mod generated {
        use super::*;
        use proptest::prelude::*;

        fn a_string() -> impl Strategy<Value = String> {
            prop_oneof![
                any::<String>(),
                "[\\x00-\\x1f\"\\\\ ,=+@\\-a-z\u{7f}é😀\u{2028}]{0,24}",
            ]
        }

        proptest! {
            #[test]
            fn any_transactions_are_the_reference_bytes(
                strs in proptest::collection::vec(a_string(), 1..12),
                ints in proptest::collection::vec(any::<i64>(), 1..6),
                floats in proptest::collection::vec(any::<f64>(), 1..6),
                seed in any::<u64>(),
            ) {
                let mut src = Source::new(strs, ints, floats, seed);
                let txs: Vec<Transaction> = (0..6).map(|i| src.transaction(i % 3)).collect();
                if let Err(e) = check(&txs) {
                    prop_assert!(false, "{}", e);
                }
            }
        }
    }

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
        let mut s = Vec::new();
        push_cell(&mut s, "a,b", true);
        s.push(b'|');
        push_cell(&mut s, "say \"hi\"", true);
        s.push(b'|');
        push_cell(&mut s, "=HYPERLINK(\"x\")", true);
        s.push(b'|');
        push_cell(&mut s, "-750.00", false);
        assert_eq!(
            String::from_utf8(s).unwrap(),
            "\"a,b\"|\"say \"\"hi\"\"\"|\"'=HYPERLINK(\"\"x\"\")\"|-750.00"
        );
    }

    #[test]
    fn special_bytes_are_found_anywhere() {
        for len in (1usize..=25).chain([31, 32, 33]) {
            for at in 0..len {
                for c in 0u8..=0x7f {
                    let mut s = vec![b'a'; len];
                    s[at] = c;
                    let special = matches!(c, b',' | b'"' | b'\n' | b'\r');
                    assert_eq!(has_csv_special(&s), special, "byte {c:#x} at {at} of {len}");
                }
            }
        }
        assert!(!has_csv_special("Café – Zürich 東京 😀".as_bytes()));
    }
}

//! The version 1 state, JSON lines: read only, to migrate the states written by releases up to
//! 0.1 (the next export of an engine read from one is version 2, [`super::v2`]).
//!
//! Every line is one JSON object; the first is the versioned header, the last a trailer whose
//! counts show the state is whole:
//! ```text
//! {"format":"bc-spend-engine-state","version":1,"environment":"…","windowStart":"2025-11-26","creditMemos":false}
//! {"company":{"id":"…","company":{"name":"CRONUS"},"localCurrency":"USD","vendors":[…]}}
//! {"documents":{"company":"…","items":[{"id":"…","number":"PPI1","postingDate":"…","lines":[…]},…]}}
//! {"versions":{"company":"…","items":[[0,"<id>",1764547200000],…]}}
//! {"users":[{"securityId":"…","contactEmail":"…","companies":["…"]},…]}
//! {"tail":{"counts":{…},"pagesSeen":[…],"diagnostics":{"items":[…],"perCode":{…}}}}
//! {"end":{"companies":1,"documents":1,"versions":1,"users":1}}
//! ```
//! Amounts are integers in ten-thousandths (exact), dates `YYYY-MM-DD`, timestamps
//! milliseconds since the Unix epoch; `versions` lists documents seen but not held (kind 0 =
//! invoice, 1 = credit memo).
//!
//! The writer is kept for the tests only (`writer`): they build v1 states of engines to check
//! that the reader keeps reading what v1 releases wrote, value by value and path by path. The
//! committed `tests/fixtures/state/v1-sample.jsonl` is the state the last v1 release wrote.

use super::{
    check_amount, check_id, check_opt_amount, check_timestamp, diagnostic_log, finish_engine,
    invalid, known_code, KIND_CREDIT_MEMO, KIND_INVOICE,
};
use crate::bc::records::{Company, DocKind, DocStatus, Document, Line, RawUserFields, Vendor};
use crate::bc::{Entity, LineType};
use crate::date::Date;
#[cfg(test)]
use crate::date::Timestamp;
use crate::diagnostics::{Counts, Diagnostic, DiagnosticLog, Severity};
#[cfg(test)]
use crate::engine::EngineOptions;
use crate::engine::{CompanyState, Engine, HeldDocument};
use crate::error::ConfigError;
use crate::error::ErrorCode;
#[cfg(test)]
use crate::money::Amount;
use crate::text::{Id, Text};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

pub const STATE_FORMAT: &str = "bc-spend-engine-state";
pub const STATE_VERSION: u32 = 1;

// ------------------------------------------------------------------------------------------
// Serialized shapes (shared by export and import; export borrows, import owns)

#[derive(Deserialize)]
#[cfg_attr(test, derive(Serialize))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct DocS<'a> {
    #[serde(
        default,
        borrow,
        deserialize_with = "borrowed_opt",
        skip_serializing_if = "Option::is_none"
    )]
    kind: Option<Cow<'a, str>>,
    #[serde(borrow)]
    id: Cow<'a, str>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    number: Option<Cow<'a, str>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    document_date: Option<DateS>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    posting_date: Option<DateS>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    due_date: Option<DateS>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    vendor_document_number: Option<Cow<'a, str>>,
    #[serde(
        default,
        borrow,
        deserialize_with = "borrowed_opt",
        skip_serializing_if = "Option::is_none"
    )]
    vendor_id: Option<Cow<'a, str>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    vendor_number: Option<Cow<'a, str>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    vendor_name: Option<Cow<'a, str>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    currency_code: Option<Cow<'a, str>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    discount_amount: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    total_excluding_tax: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    total_tax: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    total_including_tax: Option<i64>,
    #[serde(
        default,
        borrow,
        deserialize_with = "borrowed_opt",
        skip_serializing_if = "Option::is_none"
    )]
    status: Option<Cow<'a, str>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    last_modified: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    lines: Option<Vec<LineS<'a>>>,
    #[serde(
        default,
        borrow,
        deserialize_with = "borrowed_opt",
        skip_serializing_if = "Option::is_none"
    )]
    applies_to_invoice_id: Option<Cow<'a, str>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    applies_to_invoice_number: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
#[cfg_attr(test, derive(Serialize))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct LineS<'a> {
    #[serde(
        default,
        borrow,
        deserialize_with = "borrowed_opt",
        skip_serializing_if = "Option::is_none"
    )]
    id: Option<Cow<'a, str>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sequence: Option<i64>,
    #[serde(borrow)]
    line_type: Cow<'a, str>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    object_number: Option<Cow<'a, str>>,
    #[serde(default)]
    description: Cow<'a, str>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    description2: Option<Cow<'a, str>>,
    net_amount: i64,
    #[serde(default)]
    net_tax_amount: i64,
    net_amount_including_tax: i64,
    #[serde(default, skip_serializing_if = "is_zero")]
    invoice_discount_allocation: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    quantity: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    unit_cost: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    unit_of_measure: Option<Cow<'a, str>>,
}

/// An optional text borrowed from the state's line when it holds no escape, for the fields
/// that are checked and copied (ids) or only read (kind, status); serde's `borrow` alone covers a
/// bare `Cow`, not one inside an `Option`.
fn borrowed_opt<'de: 'a, 'a, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<Cow<'a, str>>, D::Error> {
    #[derive(Deserialize)]
    struct Borrowed<'b>(#[serde(borrow)] Cow<'b, str>);
    Ok(Option::<Borrowed<'a>>::deserialize(d)?.map(|b| b.0))
}

#[cfg(test)]
fn is_zero(v: &i64) -> bool {
    *v == 0
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct VendorS<'a> {
    id: Cow<'a, str>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    number: Option<Cow<'a, str>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    name: Option<Cow<'a, str>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    email: Option<Cow<'a, str>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    website: Option<Cow<'a, str>>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CompanyRecordS<'a> {
    name: Cow<'a, str>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    display_name: Option<Cow<'a, str>>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct UserS<'a> {
    security_id: Cow<'a, str>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    user_name: Option<Cow<'a, str>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    display_name: Option<Cow<'a, str>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    state: Option<Cow<'a, str>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    contact_email: Option<Cow<'a, str>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    license_type: Option<Cow<'a, str>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    authentication_email: Option<Cow<'a, str>>,
    #[serde(default)]
    companies: Vec<Cow<'a, str>>,
}

#[derive(Serialize, Deserialize, Default, Clone, Copy)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CountsS {
    #[serde(default)]
    pages: u64,
    #[serde(default)]
    pages_rejected: u64,
    #[serde(default)]
    read: u64,
    #[serde(default)]
    accepted: u64,
    #[serde(default)]
    rejected: u64,
    #[serde(default)]
    not_paid: u64,
    #[serde(default)]
    outside_window: u64,
    #[serde(default)]
    disabled: u64,
    #[serde(default)]
    stale: u64,
}

impl From<Counts> for CountsS {
    fn from(c: Counts) -> Self {
        CountsS {
            pages: c.pages,
            pages_rejected: c.pages_rejected,
            read: c.read,
            accepted: c.accepted,
            rejected: c.rejected,
            not_paid: c.not_paid,
            outside_window: c.outside_window,
            disabled: c.disabled,
            stale: c.stale,
        }
    }
}

impl From<CountsS> for Counts {
    fn from(c: CountsS) -> Self {
        Counts {
            pages: c.pages,
            pages_rejected: c.pages_rejected,
            read: c.read,
            accepted: c.accepted,
            rejected: c.rejected,
            not_paid: c.not_paid,
            outside_window: c.outside_window,
            disabled: c.disabled,
            stale: c.stale,
        }
    }
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct DiagS<'a> {
    severity: Cow<'a, str>,
    code: Cow<'a, str>,
    message: Cow<'a, str>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    entity: Option<Cow<'a, str>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    company_id: Option<Cow<'a, str>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    page: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    record_index: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    record_id: Option<Cow<'a, str>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    path: Option<Cow<'a, str>>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct DiagnosticsS<'a> {
    #[serde(default)]
    items: Vec<DiagS<'a>>,
    /// Exact counts per code, including diagnostics counted but not kept.
    #[serde(default)]
    per_code: BTreeMap<Cow<'a, str>, u64>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct HeaderS<'a> {
    format: Cow<'a, str>,
    version: u32,
    environment: Cow<'a, str>,
    window_start: Cow<'a, str>,
    credit_memos: bool,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CompanyLineS<'a> {
    id: Cow<'a, str>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    company: Option<CompanyRecordS<'a>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    local_currency: Option<Cow<'a, str>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    vendors: Vec<VendorS<'a>>,
}

#[derive(Deserialize)]
#[cfg_attr(test, derive(Serialize))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct DocsLineS<'a> {
    #[serde(borrow)]
    company: Cow<'a, str>,
    items: Vec<DocS<'a>>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct VersionsLineS<'a> {
    company: Cow<'a, str>,
    items: Vec<(u8, Cow<'a, str>, i64)>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct TailS<'a> {
    #[serde(default)]
    counts: BTreeMap<Cow<'a, str>, CountsS>,
    #[serde(default)]
    pages_seen: Vec<(Cow<'a, str>, Cow<'a, str>, u32)>,
    #[serde(default)]
    diagnostics: Option<DiagnosticsS<'a>>,
    /// The summary's figures of the last build and the transactions key they were built for
    /// (`src/engine/derived.rs`). Optional: states written before it read as never built.
    #[serde(default, borrow, skip_serializing_if = "Option::is_none")]
    built: Option<BuiltS<'a>>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct BuiltS<'a> {
    key: Cow<'a, str>,
    transactions: u64,
    matched_transactions: u64,
    totals: Vec<BuiltTotalS<'a>>,
    #[serde(default)]
    diagnostics: BTreeMap<Cow<'a, str>, u64>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct BuiltTotalS<'a> {
    currency: Cow<'a, str>,
    transactions: u64,
    amount_excluding_tax: Cow<'a, str>,
    amount_including_tax: Cow<'a, str>,
    matched_excluding_tax: Cow<'a, str>,
}

#[derive(Serialize, Deserialize, Default, PartialEq, Eq, Debug, Clone, Copy)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct EndS {
    companies: u64,
    documents: u64,
    versions: u64,
    users: u64,
}

/// One line after the header.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
enum RecordLine<'a> {
    #[serde(borrow)]
    Company(CompanyLineS<'a>),
    /// Written by [`write_docs_line`], not serde: the bulk of a state.
    #[serde(borrow, skip_serializing)]
    Documents(DocsLineS<'a>),
    #[serde(borrow)]
    Versions(VersionsLineS<'a>),
    #[serde(borrow)]
    Users(Vec<UserS<'a>>),
    #[serde(borrow)]
    Tail(TailS<'a>),
    End(EndS),
}

/// Just enough to tell a state from other JSON before reading it.
#[derive(Deserialize)]
struct Head {
    format: Option<serde_json::Value>,
    version: Option<serde_json::Value>,
}

/// A date as `YYYY-MM-DD`.
struct DateS(Date);

/// The test's serde reference writes dates through `Display`, independently of `Date::iso`,
/// which `write_doc` uses.
#[cfg(test)]
impl Serialize for DateS {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for DateS {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = Cow::<str>::deserialize(d)?;
        match Date::parse_bc(&s) {
            Ok(Some(date)) => Ok(DateS(date)),
            _ => Err(serde::de::Error::custom(format!(
                "{:?} is not a date written YYYY-MM-DD",
                s.chars().take(40).collect::<String>()
            ))),
        }
    }
}

// ------------------------------------------------------------------------------------------
// Names of enum values in the state

fn status_from_name(s: &str) -> Option<DocStatus> {
    [
        DocStatus::Blank,
        DocStatus::Draft,
        DocStatus::InReview,
        DocStatus::Open,
        DocStatus::Paid,
        DocStatus::Canceled,
        DocStatus::Corrective,
        DocStatus::Other,
    ]
    .into_iter()
    .find(|x| x.as_str() == s)
}

fn line_type_from_name(s: &str) -> Option<LineType> {
    super::LINE_TYPES.into_iter().find(|x| x.as_str() == s)
}

#[cfg(test)]
fn severity_name(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "info",
    }
}

fn severity_from_name(s: &str) -> Option<Severity> {
    match s {
        "error" => Some(Severity::Error),
        "warning" => Some(Severity::Warning),
        "info" => Some(Severity::Info),
        _ => None,
    }
}

// ------------------------------------------------------------------------------------------
// Export (tests only: see the module docs)

#[cfg(test)]
pub(crate) mod writer {
    use super::*;

    pub(super) fn cow(s: &str) -> Cow<'_, str> {
        Cow::Borrowed(s)
    }

    fn ocow<T: std::ops::Deref<Target = str>>(s: &Option<T>) -> Option<Cow<'_, str>> {
        s.as_deref().map(Cow::Borrowed)
    }

    /// Appends a document as JSON: the members of [`DocS`], in its order, as `serde_json` would
    /// write them (`tests::documents_are_written_as_serde_writes_them` holds the two equal). By hand
    /// because documents are nearly all of a state: serde's string escaping, a table lookup per byte
    /// and a write per fragment, was half of an export in wasm.
    pub(super) fn write_doc(out: &mut Vec<u8>, doc: &Document) {
        use crate::jsonw::{date, int, key, str};
        let first = &mut true;
        fn text<T: std::ops::Deref<Target = str>>(
            out: &mut Vec<u8>,
            first: &mut bool,
            name: &str,
            v: &Option<T>,
        ) {
            if let Some(v) = v {
                key(out, first, name);
                str(out, v);
            }
        }
        let day = |out: &mut Vec<u8>, first: &mut bool, name: &str, v: Option<Date>| {
            if let Some(v) = v {
                key(out, first, name);
                date(out, v);
            }
        };
        let amount = |out: &mut Vec<u8>, first: &mut bool, name: &str, v: Option<Amount>| {
            if let Some(v) = v {
                key(out, first, name);
                int(out, v.0);
            }
        };
        out.push(b'{');
        if doc.kind == DocKind::CreditMemo {
            key(out, first, "kind");
            str(out, "creditMemo");
        }
        key(out, first, "id");
        str(out, &doc.id.text());
        text(out, first, "number", &doc.number);
        day(out, first, "documentDate", doc.document_date);
        day(out, first, "postingDate", doc.posting_date);
        day(out, first, "dueDate", doc.due_date);
        text(
            out,
            first,
            "vendorDocumentNumber",
            &doc.vendor_document_number,
        );
        text(out, first, "vendorId", &doc.vendor_id);
        text(out, first, "vendorNumber", &doc.vendor_number);
        text(out, first, "vendorName", &doc.vendor_name);
        text(out, first, "currencyCode", &doc.currency_code);
        amount(out, first, "discountAmount", doc.discount_amount);
        amount(out, first, "totalExcludingTax", doc.total_excluding_tax);
        amount(out, first, "totalTax", doc.total_tax);
        amount(out, first, "totalIncludingTax", doc.total_including_tax);
        key(out, first, "status");
        str(out, doc.status.as_str());
        if let Some(t) = doc.last_modified {
            key(out, first, "lastModified");
            int(out, t.0);
        }
        if let Some(lines) = &doc.lines {
            key(out, first, "lines");
            out.push(b'[');
            for (i, l) in lines.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                let first = &mut true;
                out.push(b'{');
                text(out, first, "id", &l.id.as_ref().map(|i| i.to_text()));
                if let Some(n) = l.sequence {
                    key(out, first, "sequence");
                    int(out, n);
                }
                key(out, first, "lineType");
                str(out, l.line_type.as_str());
                text(out, first, "objectNumber", &l.object_number);
                key(out, first, "description");
                str(out, &l.description);
                text(out, first, "description2", &l.description2);
                key(out, first, "netAmount");
                int(out, l.net_amount.0);
                key(out, first, "netTaxAmount");
                int(out, l.net_tax_amount.0);
                key(out, first, "netAmountIncludingTax");
                int(out, l.net_amount_including_tax.0);
                if l.invoice_discount_allocation.0 != 0 {
                    key(out, first, "invoiceDiscountAllocation");
                    int(out, l.invoice_discount_allocation.0);
                }
                if let Some(q) = l.quantity {
                    key(out, first, "quantity");
                    int(out, q.0);
                }
                if let Some(c) = l.unit_cost {
                    key(out, first, "unitCost");
                    int(out, c.0);
                }
                text(out, first, "unitOfMeasure", &l.unit_of_measure);
                out.push(b'}');
            }
            out.push(b']');
        }
        text(
            out,
            first,
            "appliesToInvoiceId",
            &doc.applies_to_invoice_id.as_ref().map(|i| i.to_text()),
        );
        text(
            out,
            first,
            "appliesToInvoiceNumber",
            &doc.applies_to_invoice_number,
        );
        out.push(b'}');
    }

    /// Appends a `documents` line: `{"documents":{"company":…,"items":[…]}}` and a newline.
    pub(super) fn write_docs_line<'a>(
        out: &mut Vec<u8>,
        company: &str,
        docs: impl IntoIterator<Item = &'a Document>,
    ) {
        out.extend_from_slice(b"{\"documents\":{\"company\":");
        crate::jsonw::str(out, company);
        out.extend_from_slice(b",\"items\":[");
        for (i, d) in docs.into_iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            write_doc(out, d);
        }
        out.extend_from_slice(b"]}}\n");
    }

    /// The serde form of a document, as [`write_doc`] writes it: the reference its test compares
    /// with.
    #[cfg(test)]
    pub(super) fn doc_s(doc: &Document) -> DocS<'_> {
        DocS {
            kind: (doc.kind == DocKind::CreditMemo).then(|| cow("creditMemo")),
            id: Cow::Owned(doc.id.to_string()),
            number: ocow(&doc.number),
            document_date: doc.document_date.map(DateS),
            posting_date: doc.posting_date.map(DateS),
            due_date: doc.due_date.map(DateS),
            vendor_document_number: ocow(&doc.vendor_document_number),
            vendor_id: ocow(&doc.vendor_id),
            vendor_number: ocow(&doc.vendor_number),
            vendor_name: ocow(&doc.vendor_name),
            currency_code: ocow(&doc.currency_code),
            discount_amount: doc.discount_amount.map(|a| a.0),
            total_excluding_tax: doc.total_excluding_tax.map(|a| a.0),
            total_tax: doc.total_tax.map(|a| a.0),
            total_including_tax: doc.total_including_tax.map(|a| a.0),
            status: Some(cow(doc.status.as_str())),
            last_modified: doc.last_modified.map(|t| t.0),
            lines: doc.lines.as_ref().map(|ls| {
                ls.iter()
                    .map(|l| LineS {
                        id: l.id.as_ref().map(|i| Cow::Owned(i.to_string())),
                        sequence: l.sequence,
                        line_type: cow(l.line_type.as_str()),
                        object_number: ocow(&l.object_number),
                        description: cow(&l.description),
                        description2: ocow(&l.description2),
                        net_amount: l.net_amount.0,
                        net_tax_amount: l.net_tax_amount.0,
                        net_amount_including_tax: l.net_amount_including_tax.0,
                        invoice_discount_allocation: l.invoice_discount_allocation.0,
                        quantity: l.quantity.map(|a| a.0),
                        unit_cost: l.unit_cost.map(|a| a.0),
                        unit_of_measure: ocow(&l.unit_of_measure),
                    })
                    .collect()
            }),
            applies_to_invoice_id: doc
                .applies_to_invoice_id
                .as_ref()
                .map(|i| Cow::Owned(i.to_string())),
            applies_to_invoice_number: ocow(&doc.applies_to_invoice_number),
        }
    }

    /// Documents per `documents` line, and versions or users per line.
    const BATCH: usize = 500;

    /// Writes a state in pieces of whole lines, so that a large engine's state never sits in
    /// memory whole. Holds no borrow of the engine, only a cursor: the engine must not change
    /// between calls. [`Engine::export_state`] is the concatenation of the pieces.
    pub struct StateWriter {
        stage: Stage,
        companies: Vec<String>,
        versions: BTreeMap<String, Vec<(u8, String, i64)>>,
        company: usize,
        after: Option<crate::engine::DocKey>,
        version_at: usize,
        user_at: usize,
        end: EndS,
    }

    #[derive(Clone, Copy, PartialEq, Eq)]
    enum Stage {
        Header,
        Company,
        Documents,
        Versions,
        Users,
        Tail,
        End,
        Done,
    }

    fn json<T: Serialize + ?Sized>(out: &mut Vec<u8>, v: &T) {
        // Plain data into a Vec cannot fail.
        let _ = serde_json::to_writer(&mut *out, v);
    }

    fn line<T: Serialize>(out: &mut Vec<u8>, v: &T) {
        json(out, v);
        out.push(b'\n');
    }

    impl StateWriter {
        pub fn new(e: &Engine) -> StateWriter {
            // Versions implied by a held document (same timestamp) are not written.
            let mut versions: BTreeMap<String, Vec<(u8, String, i64)>> = BTreeMap::new();
            for (k, t) in &e.versions {
                if e.docs.get(k).and_then(|d| d.last_modified) == Some(*t) {
                    continue;
                }
                versions
                    .entry(k.0.to_string())
                    .or_default()
                    .push((k.1, k.2.to_string(), t.0));
            }
            for v in versions.values_mut() {
                v.sort_unstable();
            }
            let mut ids: BTreeSet<&str> = e.companies.keys().map(String::as_str).collect();
            let mut last: Option<&str> = None;
            for k in e.docs.keys() {
                if last != Some(k.0.as_str()) {
                    ids.insert(k.0.as_str());
                    last = Some(k.0.as_str());
                }
            }
            ids.extend(versions.keys().map(String::as_str));
            let companies = ids.into_iter().map(str::to_owned).collect();
            StateWriter {
                stage: Stage::Header,
                companies,
                versions,
                company: 0,
                after: None,
                version_at: 0,
                user_at: 0,
                end: EndS::default(),
            }
        }

        /// The next piece of the state text (whole lines, about `budget` bytes), or `None` when the
        /// state is complete.
        pub fn next_chunk(&mut self, e: &Engine, budget: usize) -> Option<String> {
            // Only valid UTF-8 is ever written (JSON of Rust strings and ASCII punctuation).
            self.next_chunk_bytes(e, budget)
                .map(|b| String::from_utf8(b).unwrap_or_default())
        }

        /// [`StateWriter::next_chunk`] as UTF-8 bytes, for hosts that write them to a file as they
        /// are (no decoding into a JS string and encoding back).
        pub fn next_chunk_bytes(&mut self, e: &Engine, budget: usize) -> Option<Vec<u8>> {
            let mut out: Vec<u8> = Vec::with_capacity(budget.min(1 << 22) + 1024);
            while out.len() < budget && self.stage != Stage::Done {
                match self.stage {
                    Stage::Header => {
                        let window = e.window_start.to_string();
                        line(
                            &mut out,
                            &HeaderS {
                                format: cow(STATE_FORMAT),
                                version: STATE_VERSION,
                                environment: cow(&e.environment),
                                window_start: cow(&window),
                                credit_memos: e.credit_memos,
                            },
                        );
                        self.stage = if self.companies.is_empty() {
                            Stage::Users
                        } else {
                            Stage::Company
                        };
                    }
                    Stage::Company => {
                        let id = self.companies[self.company].as_str();
                        let cs = e.companies.get(id);
                        let mut vendors: Vec<VendorS> = Vec::new();
                        if let Some(c) = cs {
                            // Sorted: the engine keeps vendors in a HashMap; the state must not
                            // depend on its order.
                            let mut vids: Vec<&Text> = c.vendors.keys().collect();
                            vids.sort();
                            vendors = vids
                                .into_iter()
                                .map(|vid| {
                                    let v = &c.vendors[vid];
                                    VendorS {
                                        id: cow(vid),
                                        number: ocow(&v.number),
                                        name: ocow(&v.name),
                                        email: ocow(&v.email),
                                        website: ocow(&v.website),
                                    }
                                })
                                .collect();
                        }
                        let rec = RecordLine::Company(CompanyLineS {
                            id: cow(id),
                            company: cs
                                .and_then(|c| c.company.as_ref())
                                .map(|co| CompanyRecordS {
                                    name: cow(&co.name),
                                    display_name: ocow(&co.display_name),
                                }),
                            local_currency: cs.and_then(|c| c.local_currency.as_deref()).map(cow),
                            vendors,
                        });
                        line(&mut out, &rec);
                        self.end.companies += 1;
                        self.after = None;
                        self.stage = Stage::Documents;
                    }
                    Stage::Documents => {
                        let id = self.companies[self.company].as_str();
                        let range = match &self.after {
                            None => e.docs.range((Text::from(id), 0u8, Id::default())..),
                            Some(k) => e.docs.range((
                                std::ops::Bound::Excluded(k.clone()),
                                std::ops::Bound::Unbounded,
                            )),
                        };
                        let batch: Vec<(&crate::engine::DocKey, &Document)> = range
                            .take_while(|(k, _)| k.0 == id)
                            .take(BATCH)
                            .map(|(k, d)| (k, &***d))
                            .collect();
                        match batch.last() {
                            None => {
                                self.version_at = 0;
                                self.stage = Stage::Versions;
                            }
                            Some((k, _)) => {
                                self.after = Some((*k).clone());
                                self.end.documents += batch.len() as u64;
                                write_docs_line(&mut out, id, batch.iter().map(|(_, d)| *d));
                            }
                        }
                    }
                    Stage::Versions => {
                        let id = &self.companies[self.company];
                        let all = self.versions.get(id).map(Vec::as_slice).unwrap_or(&[]);
                        let batch = &all[self.version_at.min(all.len())
                            ..(self.version_at + BATCH).min(all.len())];
                        if batch.is_empty() {
                            self.company += 1;
                            self.stage = if self.company < self.companies.len() {
                                Stage::Company
                            } else {
                                Stage::Users
                            };
                        } else {
                            self.version_at += batch.len();
                            self.end.versions += batch.len() as u64;
                            line(
                                &mut out,
                                &RecordLine::Versions(VersionsLineS {
                                    company: cow(id),
                                    items: batch
                                        .iter()
                                        .map(|(k, vid, ms)| (*k, cow(vid), *ms))
                                        .collect(),
                                }),
                            );
                        }
                    }
                    Stage::Users => {
                        let batch: Vec<UserS> = e
                            .users
                            .values()
                            .skip(self.user_at)
                            .take(BATCH)
                            .map(|(u, cs)| UserS {
                                security_id: cow(&u.security_id),
                                user_name: ocow(&u.user_name),
                                display_name: ocow(&u.display_name),
                                state: ocow(&u.state),
                                contact_email: ocow(&u.contact_email),
                                license_type: ocow(&u.license_type),
                                authentication_email: ocow(&u.authentication_email),
                                companies: cs.iter().map(|c| cow(c)).collect(),
                            })
                            .collect();
                        if batch.is_empty() {
                            self.stage = Stage::Tail;
                        } else {
                            self.user_at += batch.len();
                            self.end.users += batch.len() as u64;
                            line(&mut out, &RecordLine::Users(batch));
                        }
                    }
                    Stage::Tail => {
                        // What the run read is no longer kept in a state (as in v2): written
                        // empty, so a v1 state of this tree round-trips exactly.
                        let tail = TailS {
                            counts: BTreeMap::new(),
                            pages_seen: Vec::new(),
                            diagnostics: Some(DiagnosticsS {
                                items: e
                                    .diags
                                    .items()
                                    .iter()
                                    .map(|d| DiagS {
                                        severity: cow(severity_name(d.severity)),
                                        code: cow(d.code.as_str()),
                                        message: cow(&d.message),
                                        entity: d.entity.map(cow),
                                        company_id: ocow(&d.company_id),
                                        page: d.page,
                                        record_index: d.record_index.map(|i| i as u64),
                                        record_id: ocow(&d.record_id),
                                        path: ocow(&d.path),
                                    })
                                    .collect(),
                                per_code: e
                                    .diags
                                    .counts()
                                    .iter()
                                    .map(|(k, v)| (cow(k.as_str()), *v))
                                    .collect(),
                            }),
                            built: e.built_figures().map(|f| BuiltS {
                                key: Cow::Owned(f.key.hex()),
                                transactions: f.transactions,
                                matched_transactions: f.matched_transactions,
                                totals: f
                                    .totals
                                    .iter()
                                    .map(|t| BuiltTotalS {
                                        currency: cow(&t.currency),
                                        transactions: t.transactions,
                                        amount_excluding_tax: Cow::Owned(
                                            t.amount_excluding_tax.to_string(),
                                        ),
                                        amount_including_tax: Cow::Owned(
                                            t.amount_including_tax.to_string(),
                                        ),
                                        matched_excluding_tax: Cow::Owned(
                                            t.matched_excluding_tax.to_string(),
                                        ),
                                    })
                                    .collect(),
                                diagnostics: f
                                    .built_diagnostics
                                    .iter()
                                    .map(|(k, v)| (cow(k.as_str()), *v))
                                    .collect(),
                            }),
                        };
                        line(&mut out, &RecordLine::Tail(tail));
                        self.stage = Stage::End;
                    }
                    Stage::End => {
                        line(&mut out, &RecordLine::End(self.end));
                        self.stage = Stage::Done;
                    }
                    Stage::Done => {}
                }
            }
            (!out.is_empty()).then_some(out)
        }
    }

    /// The whole v1 state of `e`, as the last v1 release exported it.
    pub(crate) fn export(e: &Engine) -> String {
        let mut w = StateWriter::new(e);
        let mut out = String::new();
        while let Some(c) = w.next_chunk(e, 1 << 20) {
            out.push_str(&c);
        }
        out
    }
}

// ------------------------------------------------------------------------------------------
// Import

/// The paths of the checks are closures: formatted only for an error (formatting one per
fn owned(c: Option<Cow<'_, str>>) -> Option<String> {
    c.map(Cow::into_owned)
}

fn otext(c: Option<Cow<'_, str>>) -> Option<Text> {
    c.map(Text::from)
}

/// `path` names the document in errors; like the checks', it is formatted only for one.
fn doc_from(path: &dyn Fn() -> String, d: DocS<'_>) -> Result<(u8, Document), ConfigError> {
    let p = |f: &str| format!("{}/{f}", path());
    let kind = match d.kind.as_deref() {
        None | Some("invoice") => DocKind::Invoice,
        Some("creditMemo") => DocKind::CreditMemo,
        Some(other) => {
            return Err(invalid(
                p("kind"),
                format!("kind must be \"invoice\" or \"creditMemo\", got {other:?}"),
            ))
        }
    };
    let id = check_id(|| p("id"), &d.id)?;
    let status = match d.status.as_deref() {
        Some(s) => status_from_name(s)
            .ok_or_else(|| invalid(p("status"), format!("unknown status {s:?}")))?,
        None => return Err(invalid(p("status"), "status is missing")),
    };
    if status != DocStatus::Paid {
        return Err(invalid(
            p("status"),
            format!(
                "only paid documents are held, this one is {}",
                status.as_str()
            ),
        ));
    }
    let lines = match d.lines {
        None => None,
        Some(ls) => {
            let mut out = Vec::with_capacity(ls.len());
            for (i, l) in ls.into_iter().enumerate() {
                let lp = |f: &str| format!("{}/lines/{i}/{f}", path());
                let line_type = line_type_from_name(&l.line_type).ok_or_else(|| {
                    invalid(
                        lp("lineType"),
                        format!("unknown line type {:?}", l.line_type),
                    )
                })?;
                out.push(Line {
                    id: l
                        .id
                        .map(|x| check_id(|| lp("id"), &x).map(Id::from))
                        .transpose()?,
                    sequence: l.sequence,
                    line_type,
                    object_number: otext(l.object_number),
                    description: Text::from(l.description),
                    description2: otext(l.description2),
                    net_amount: check_amount(|| lp("netAmount"), l.net_amount)?,
                    net_tax_amount: check_amount(|| lp("netTaxAmount"), l.net_tax_amount)?,
                    net_amount_including_tax: check_amount(
                        || lp("netAmountIncludingTax"),
                        l.net_amount_including_tax,
                    )?,
                    invoice_discount_allocation: check_amount(
                        || lp("invoiceDiscountAllocation"),
                        l.invoice_discount_allocation,
                    )?,
                    quantity: l
                        .quantity
                        .map(|q| check_amount(|| lp("quantity"), q))
                        .transpose()?,
                    unit_cost: l
                        .unit_cost
                        .map(|c| check_amount(|| lp("unitCost"), c))
                        .transpose()?,
                    unit_of_measure: otext(l.unit_of_measure),
                });
            }
            Some(out)
        }
    };
    let doc = Document {
        kind,
        id: Id::from(id),
        number: otext(d.number),
        document_date: d.document_date.map(|x| x.0),
        posting_date: d.posting_date.map(|x| x.0),
        due_date: d.due_date.map(|x| x.0),
        vendor_document_number: otext(d.vendor_document_number),
        vendor_id: d
            .vendor_id
            .map(|x| check_id(|| p("vendorId"), &x).map(Text::from))
            .transpose()?,
        vendor_number: otext(d.vendor_number),
        vendor_name: otext(d.vendor_name),
        currency_code: otext(d.currency_code),
        discount_amount: check_opt_amount(|| p("discountAmount"), d.discount_amount)?,
        total_excluding_tax: check_opt_amount(|| p("totalExcludingTax"), d.total_excluding_tax)?,
        total_tax: check_opt_amount(|| p("totalTax"), d.total_tax)?,
        total_including_tax: check_opt_amount(|| p("totalIncludingTax"), d.total_including_tax)?,
        status,
        last_modified: d
            .last_modified
            .map(|t| check_timestamp(|| p("lastModified"), t))
            .transpose()?,
        lines,
        applies_to_invoice_id: d
            .applies_to_invoice_id
            .map(|x| check_id(|| p("appliesToInvoiceId"), &x).map(Id::from))
            .transpose()?,
        applies_to_invoice_number: otext(d.applies_to_invoice_number),
    };
    let kind_code = if kind == DocKind::CreditMemo {
        KIND_CREDIT_MEMO
    } else {
        KIND_INVOICE
    };
    Ok((kind_code, doc))
}

/// Reads a state a piece at a time: [`StateReader::push`] takes text in pieces of any size
/// (lines may be split between pieces); [`StateReader::finish`] checks that the state was whole
/// and returns the engine. Memory holds the engine and one line.
pub struct StateReader {
    engine: Engine,
    /// The start of a line cut by the end of a piece: bytes, since a piece of bytes may also cut
    /// a character.
    pending: Vec<u8>,
    line: u64,
    header: bool,
    end: Option<EndS>,
    seen: EndS,
    companies: HashSet<String>,
    tail: bool,
}

fn foreign(format: Option<&serde_json::Value>) -> ConfigError {
    let what = match format.and_then(|f| f.as_str()) {
        Some(f) => format!("format {:?}", f.chars().take(60).collect::<String>()),
        None => "no \"format\"".to_owned(),
    };
    ConfigError::new(ErrorCode::StateForeign, format!("this is not a bc-spend engine state ({what}); pass the text of a state.json written by exportState()")).at("format")
}

impl StateReader {
    /// Reads into `engine`, new and configured by the caller's options.
    pub(super) fn new(engine: Engine) -> StateReader {
        StateReader {
            engine,
            pending: Vec::new(),
            line: 0,
            header: false,
            end: None,
            seen: EndS::default(),
            companies: HashSet::new(),
            tail: false,
        }
    }

    /// The next piece of state text.
    pub fn push(&mut self, text: &str) -> Result<(), ConfigError> {
        let mut rest = text;
        while let Some(nl) = rest.find('\n') {
            if self.pending.is_empty() {
                self.read_line(&rest[..nl])?;
            } else {
                self.pending.extend_from_slice(&rest.as_bytes()[..nl]);
                self.read_pending()?;
            }
            rest = &rest[nl + 1..];
        }
        self.pending.extend_from_slice(rest.as_bytes());
        Ok(())
    }

    /// The next piece of the state's UTF-8, as a file holds it (pieces may cut lines and
    /// characters anywhere). A line that is not UTF-8 is a `STATE_INVALID` error.
    pub fn push_bytes(&mut self, bytes: &[u8]) -> Result<(), ConfigError> {
        let mut rest = bytes;
        while let Some(nl) = rest.iter().position(|&b| b == b'\n') {
            self.pending.extend_from_slice(&rest[..nl]);
            self.read_pending()?;
            rest = &rest[nl + 1..];
        }
        self.pending.extend_from_slice(rest);
        Ok(())
    }

    /// Reads the line gathered in `pending` and empties it.
    fn read_pending(&mut self) -> Result<(), ConfigError> {
        let line = std::mem::take(&mut self.pending);
        let text = std::str::from_utf8(&line).map_err(|e| {
            invalid(
                format!("line {}", self.line + 1),
                format!(
                    "the line is not UTF-8 text (invalid bytes at byte {} of the line)",
                    e.valid_up_to()
                ),
            )
        })?;
        let r = self.read_line(text);
        // The buffer's capacity is kept for the next cut line.
        self.pending = line;
        self.pending.clear();
        r
    }

    /// The engine, once the whole state was pushed.
    pub fn finish(mut self) -> Result<Engine, ConfigError> {
        if std::str::from_utf8(&self.pending).map_or(true, |t| !t.trim().is_empty()) {
            self.read_pending()?;
        }
        if !self.header {
            return Err(ConfigError::new(
                ErrorCode::StateInvalid,
                "the engine state is empty; pass the text of a state.json written by exportState()",
            ));
        }
        match self.end {
            Some(end) if end == self.seen => {}
            Some(end) => {
                return Err(invalid(
                    "end",
                    format!(
                        "the state's trailer counts {end:?} but it holds {:?}",
                        self.seen
                    ),
                ))
            }
            None => {
                return Err(invalid(
                    format!("line {}", self.line + 1),
                    "the state ends early (no trailer line): it was cut off; write it again",
                ))
            }
        }
        Ok(finish_engine(self.engine))
    }

    fn read_line(&mut self, text: &str) -> Result<(), ConfigError> {
        self.line += 1;
        let n = self.line;
        if text.trim().is_empty() {
            return Ok(());
        }
        if self.end.is_some() {
            return Err(invalid(format!("line {n}"), "text after the trailer line"));
        }
        if !self.header {
            let head: Head = serde_json::from_str(text).map_err(|e| ConfigError::new(ErrorCode::StateInvalid, format!("the engine state is not JSON: {e}; pass the text of a state.json written by exportState()")))?;
            if head.format.as_ref().and_then(|f| f.as_str()) != Some(STATE_FORMAT) {
                return Err(foreign(head.format.as_ref()));
            }
            match head.version.as_ref().and_then(|v| v.as_u64()) {
                Some(v) if v == STATE_VERSION as u64 => {}
                Some(v) if v > STATE_VERSION as u64 => {
                    return Err(ConfigError::new(ErrorCode::StateVersion, format!("the engine state has version {v}, written by a newer bc-spend; this one reads version {STATE_VERSION}. Upgrade bc-spend, or sync again without the state.")).at("version"))
                }
                _ => return Err(invalid("version", format!("\"version\" must be {STATE_VERSION}"))),
            }
            let h: HeaderS =
                serde_json::from_str(text).map_err(|e| invalid("line 1", e.to_string()))?;
            if h.environment != self.engine.environment {
                return Err(ConfigError::new(
                    ErrorCode::StateForeign,
                    format!(
                        "the engine state belongs to environment {:?}, but the engine is configured for {:?}; use that environment's state, or sync without one",
                        h.environment.chars().take(200).collect::<String>(),
                        self.engine.environment
                    ),
                )
                .at("environment"));
            }
            if !matches!(Date::parse_bc(&h.window_start), Ok(Some(_))) {
                return Err(invalid(
                    "windowStart",
                    "windowStart must be a date written YYYY-MM-DD",
                ));
            }
            self.header = true;
            return Ok(());
        }
        let parsed: RecordLine =
            serde_json::from_str(text).map_err(|e| invalid(format!("line {n}"), e.to_string()))?;
        let engine = &mut self.engine;
        match parsed {
            RecordLine::Company(c) => {
                let cpath = format!("line {n}/company");
                let cid = check_id(|| format!("{cpath}/id"), &c.id)?;
                if !self.companies.insert(cid.clone()) {
                    return Err(invalid(
                        format!("{cpath}/id"),
                        format!("company {cid} appears twice"),
                    ));
                }
                let mut cs = CompanyState {
                    company: c.company.map(|r| Company {
                        id: Text::from(&cid),
                        name: Text::from(r.name),
                        display_name: otext(r.display_name),
                    }),
                    local_currency: otext(c.local_currency).map(|c| engine.texts.share(c)),
                    vendors: HashMap::with_capacity(c.vendors.len()),
                };
                for (vi, v) in c.vendors.into_iter().enumerate() {
                    let vid = check_id(|| format!("{cpath}/vendors/{vi}/id"), &v.id)?;
                    let v = engine.share_vendor(Vendor {
                        id: Text::from(vid),
                        number: otext(v.number),
                        name: otext(v.name),
                        email: otext(v.email),
                        website: otext(v.website),
                    });
                    cs.vendors.insert(v.id.clone(), v);
                }
                if cs.company.is_some() || cs.local_currency.is_some() || !cs.vendors.is_empty() {
                    engine.companies.insert(cid, cs);
                }
                self.seen.companies += 1;
            }
            RecordLine::Documents(d) => {
                let cid = check_id(|| format!("line {n}/documents/company"), &d.company)?;
                if !self.companies.contains(&cid) {
                    return Err(invalid(
                        format!("line {n}/documents/company"),
                        "documents of a company not announced by a company line",
                    ));
                }
                for (di, doc) in d.items.into_iter().enumerate() {
                    let dpath = || format!("line {n}/documents/items/{di}");
                    let (kind, doc) = doc_from(&dpath, doc)?;
                    // The engine's shared texts, as a page read or a v2 state gives them.
                    let doc = engine.share_document(doc);
                    let key = (engine.texts.intern(&cid), kind, doc.id.clone());
                    if let Some(t) = doc.last_modified {
                        engine.versions.insert(key.clone(), t);
                    }
                    if engine
                        .docs
                        .insert(key, Box::new(HeldDocument::new(doc)))
                        .is_some()
                    {
                        return Err(invalid(dpath(), "the same document appears twice"));
                    }
                    self.seen.documents += 1;
                }
            }
            RecordLine::Versions(v) => {
                let cid = check_id(|| format!("line {n}/versions/company"), &v.company)?;
                if !self.companies.contains(&cid) {
                    return Err(invalid(
                        format!("line {n}/versions/company"),
                        "versions of a company not announced by a company line",
                    ));
                }
                for (vi, (kind, id, ms)) in v.items.into_iter().enumerate() {
                    let vpath = || format!("line {n}/versions/items/{vi}");
                    if kind > KIND_CREDIT_MEMO {
                        return Err(invalid(
                            vpath(),
                            format!(
                                "version kind must be 0 (invoice) or 1 (credit memo), got {kind}"
                            ),
                        ));
                    }
                    let id = check_id(vpath, &id)?;
                    let t = check_timestamp(vpath, ms)?;
                    let key = (engine.texts.intern(&cid), kind, Id::from(id));
                    engine.versions.insert(key, t);
                    self.seen.versions += 1;
                }
            }
            RecordLine::Users(list) => {
                for (ui, u) in list.into_iter().enumerate() {
                    let upath = format!("line {n}/users/{ui}");
                    let sid = check_id(|| format!("{upath}/securityId"), &u.security_id)?;
                    let mut companies = BTreeSet::new();
                    for (k, c) in u.companies.iter().enumerate() {
                        companies.insert(check_id(|| format!("{upath}/companies/{k}"), c)?);
                    }
                    let raw = RawUserFields {
                        security_id: sid.clone(),
                        user_name: owned(u.user_name),
                        display_name: owned(u.display_name),
                        state: owned(u.state),
                        contact_email: owned(u.contact_email),
                        license_type: owned(u.license_type),
                        authentication_email: owned(u.authentication_email),
                    };
                    if engine.users.insert(sid, (raw, companies)).is_some() {
                        return Err(invalid(upath, "the same user appears twice"));
                    }
                    self.seen.users += 1;
                }
            }
            RecordLine::Tail(t) => {
                if std::mem::replace(&mut self.tail, true) {
                    return Err(invalid(format!("line {n}/tail"), "a second tail line"));
                }
                // What the run that wrote the state read: checked, not restored (as in v2:
                // a restored engine counts what it reads itself).
                for name in t.counts.keys() {
                    Entity::parse(name).ok_or_else(|| {
                        invalid(
                            format!("line {n}/tail/counts/{name}"),
                            format!("unknown entity {name:?}"),
                        )
                    })?;
                }
                for (i, (ent, _, _)) in t.pages_seen.iter().enumerate() {
                    Entity::parse(ent).ok_or_else(|| {
                        invalid(
                            format!("line {n}/tail/pagesSeen/{i}"),
                            format!("unknown entity {ent:?}"),
                        )
                    })?;
                }
                if let Some(d) = t.diagnostics {
                    engine.diags = restore_diagnostics(d)?;
                }
                if let Some(b) = t.built {
                    engine.set_built_figures(Some(restore_built(b, n)?));
                }
            }
            RecordLine::End(e) => self.end = Some(e),
        }
        Ok(())
    }
}

/// The kept summary figures, checked like the rest of a state: a key, amounts and codes that do
/// not read are `STATE_INVALID`, never trusted.
fn restore_built(b: BuiltS<'_>, n: u64) -> Result<crate::engine::BuiltFigures, ConfigError> {
    let at = |f: &str| format!("line {n}/tail/built/{f}");
    let key = crate::engine::OutputKey::parse(&b.key)
        .ok_or_else(|| invalid(at("key"), "must be 32 hex digits"))?;
    let amount = |s: &str, path: String| {
        crate::money::Amount::parse_decimal(s)
            .map_err(|e| invalid(path, format!("{s:?}: {}", e.message())))
    };
    let mut totals = Vec::with_capacity(b.totals.len());
    for (i, t) in b.totals.into_iter().enumerate() {
        totals.push(crate::engine::CurrencyTotal {
            currency: t.currency.into_owned(),
            transactions: t.transactions,
            amount_excluding_tax: amount(
                &t.amount_excluding_tax,
                at(&format!("totals/{i}/amountExcludingTax")),
            )?,
            amount_including_tax: amount(
                &t.amount_including_tax,
                at(&format!("totals/{i}/amountIncludingTax")),
            )?,
            matched_excluding_tax: amount(
                &t.matched_excluding_tax,
                at(&format!("totals/{i}/matchedExcludingTax")),
            )?,
        });
    }
    let mut built_diagnostics = BTreeMap::new();
    for (code, count) in b.diagnostics {
        built_diagnostics.insert(
            known_code(&code, at(&format!("diagnostics/{code}")))?,
            count,
        );
    }
    Ok(crate::engine::BuiltFigures {
        key,
        transactions: b.transactions,
        matched_transactions: b.matched_transactions,
        totals,
        built_diagnostics,
    })
}

fn restore_diagnostics(d: DiagnosticsS<'_>) -> Result<DiagnosticLog, ConfigError> {
    let mut items = Vec::with_capacity(d.items.len());
    for (i, x) in d.items.into_iter().enumerate() {
        let p = format!("diagnostics/items/{i}");
        let code = known_code(&x.code, format!("{p}/code"))?;
        let severity = severity_from_name(&x.severity).ok_or_else(|| {
            invalid(
                format!("{p}/severity"),
                format!("unknown severity {:?}", x.severity),
            )
        })?;
        let entity = match x.entity {
            None => None,
            Some(e) => Some(
                Entity::parse(&e)
                    .ok_or_else(|| invalid(format!("{p}/entity"), format!("unknown entity {e:?}")))?
                    .as_str(),
            ),
        };
        items.push(Diagnostic {
            severity,
            code,
            message: x.message.into_owned(),
            entity,
            company_id: owned(x.company_id),
            page: x.page,
            record_index: x
                .record_index
                .map(|i| usize::try_from(i).unwrap_or(usize::MAX)),
            record_id: owned(x.record_id),
            path: owned(x.path),
        });
    }
    let mut per_code = Vec::with_capacity(d.per_code.len());
    for (code, total) in d.per_code {
        per_code.push((
            known_code(&code, format!("diagnostics/perCode/{code}"))?,
            total,
        ));
    }
    diagnostic_log(items, per_code)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::writer::{cow, doc_s, write_doc, write_docs_line};
    use super::*;
    use crate::sync::changes::{ChangeBaseline, Changes};
    use std::collections::BTreeSet;

    pub(crate) trait V1 {
        fn export_v1(&self) -> String;
    }
    impl V1 for Engine {
        fn export_v1(&self) -> String {
            writer::export(self)
        }
    }

    fn from_state(o: EngineOptions, text: &str) -> Result<Engine, ConfigError> {
        Engine::from_state(o, text.as_bytes())
    }

    pub(crate) const C1: &str = "8e1b3ef6-9c3e-ef11-8409-000d3a7e3f1c";

    /// Documents with every member present and absent in turn, and texts that need escaping.
    pub(crate) fn varied_documents() -> Vec<Document> {
        let texts = [
            "plain",
            "quote \" and back\\slash",
            "tab\tnew\nline\u{1}\u{1f}",
            "Café – 東京 \u{2028}",
            "",
            " spaced ",
        ];
        let types = [
            LineType::Comment,
            LineType::Account,
            LineType::Item,
            LineType::Resource,
            LineType::FixedAsset,
            LineType::Charge,
            LineType::AllocationAccount,
            LineType::Other,
        ];
        let statuses = [
            DocStatus::Paid,
            DocStatus::Open,
            DocStatus::Other,
            DocStatus::Blank,
        ];
        let text = |i: usize, on: bool| on.then(|| Text::from(texts[i % texts.len()]));
        let day = |i: usize, on: bool| {
            on.then(|| {
                Date::new(
                    2020 + (i % 7) as i32,
                    1 + (i % 12) as u8,
                    1 + (i % 28) as u8,
                )
                .unwrap()
            })
        };
        let amount = |i: usize, on: bool| {
            on.then(|| Amount([0, -1, 123_456_789, i64::MAX, i64::MIN][i % 5]))
        };
        (0..64usize)
            .map(|i| {
                let bit = |b: usize| (i >> b) & 1 == 1 || i % 11 == 0;
                Document {
                    kind: if bit(0) {
                        DocKind::CreditMemo
                    } else {
                        DocKind::Invoice
                    },
                    id: Id::from(format!("{i:08x}-{}", texts[i % texts.len()])),
                    number: text(i, bit(1)),
                    document_date: day(i, bit(2)),
                    posting_date: day(i + 1, bit(3)),
                    due_date: day(i + 2, bit(4)),
                    vendor_document_number: text(i + 1, bit(5)),
                    vendor_id: text(i + 2, bit(1)),
                    vendor_number: text(i + 3, bit(2)),
                    vendor_name: text(i + 4, bit(3)),
                    currency_code: text(i + 5, bit(4)),
                    discount_amount: amount(i, bit(5)),
                    total_excluding_tax: amount(i + 1, bit(0)),
                    total_tax: amount(i + 2, bit(1)),
                    total_including_tax: amount(i + 3, bit(2)),
                    status: statuses[i % statuses.len()],
                    last_modified: bit(3).then_some(Timestamp(1_764_547_200_000 - i as i64)),
                    lines: bit(4).then(|| {
                        (0..i % 4)
                            .map(|n| Line {
                                id: text(i + n, bit(5)).map(|t| Id::from(&*t)),
                                sequence: bit(0).then_some(10_000 * n as i64 - 1),
                                line_type: types[(i + n) % types.len()],
                                object_number: text(i + n + 1, bit(1)),
                                description: Text::from(texts[(i + n) % texts.len()]),
                                description2: text(i + n + 2, bit(2)),
                                net_amount: Amount(i as i64 * 17 - 5),
                                net_tax_amount: Amount(-(n as i64)),
                                net_amount_including_tax: Amount(i64::MAX - n as i64),
                                invoice_discount_allocation: Amount(if bit(3) {
                                    n as i64
                                } else {
                                    0
                                }),
                                quantity: bit(1).then_some(Amount(n as i64 * 10_000)),
                                unit_cost: bit(2).then_some(Amount(-(i as i64))),
                                unit_of_measure: text(i + n + 4, bit(3)),
                            })
                            .collect()
                    }),
                    applies_to_invoice_id: text(i + 3, bit(5)).map(|t| Id::from(&*t)),
                    applies_to_invoice_number: text(i + 4, bit(0)),
                }
            })
            .collect()
    }

    #[test]
    fn documents_are_written_as_serde_writes_them() {
        #[derive(Serialize)]
        struct Line<'a> {
            documents: DocsLineS<'a>,
        }
        let docs = varied_documents();
        for company in [C1, "odd \"company\""] {
            let mut out = Vec::new();
            write_docs_line(&mut out, company, &docs);
            let expected = serde_json::to_string(&Line {
                documents: DocsLineS {
                    company: cow(company),
                    items: docs.iter().map(doc_s).collect(),
                },
            })
            .unwrap()
                + "\n";
            assert_eq!(String::from_utf8(out).unwrap(), expected);
        }
        let mut scratch = Vec::new();
        for d in &docs {
            scratch.clear();
            write_doc(&mut scratch, d);
            assert_eq!(
                String::from_utf8(scratch.clone()).unwrap(),
                serde_json::to_string(&doc_s(d)).unwrap()
            );
        }
    }

    pub(crate) fn options(window: &str) -> EngineOptions {
        EngineOptions {
            window_start: Some(window.into()),
            environment: Some("t/prod".into()),
            credit_memos: Some(true),
            ..Default::default()
        }
    }

    pub(crate) fn invoice(
        id: &str,
        date: &str,
        status: &str,
        modified: &str,
        amount: &str,
    ) -> String {
        format!(
            r#"{{"id":"{id}","number":"PPI-{id}","postingDate":"{date}","invoiceDate":"{date}","vendorId":"aaaaaaaa-0000-0000-0000-000000000001","vendorName":"Slack Technologies Limited","currencyCode":"EUR","status":"{status}","lastModifiedDateTime":"{modified}","totalAmountExcludingTax":{amount},"totalAmountIncludingTax":{amount},"totalTaxAmount":0,
            "purchaseInvoiceLines":[{{"id":"bbbbbbbb-0000-0000-0000-0000000000{}","sequence":10000,"lineType":"Account","lineObjectNumber":"6100","description":"Slack Pro","netAmount":{amount},"netAmountIncludingTax":{amount},"netTaxAmount":0}},
            {{"sequence":20000,"lineType":"Comment","description":"seats: 10"}}]}}"#,
            &id[id.len() - 2..]
        )
    }

    pub(crate) fn page(entity: &str, records: &[String]) -> String {
        format!(
            r#"{{"@odata.context":"https://x/api/v2.0/$metadata#companies({C1})/{entity}","value":[{}]}}"#,
            records.join(",")
        )
    }

    pub(crate) fn loaded() -> Engine {
        let mut e = Engine::new(options("2025-11-01")).unwrap();
        e.add_page_text(None, None, r#"{"@odata.context":"https://x/api/v2.0/$metadata#companies","value":[{"id":"8E1B3EF6-9C3E-EF11-8409-000D3A7E3F1C","name":"CRONUS","displayName":"Cronus Ltd"}]}"#);
        e.add_page_text(
            None,
            None,
            &page(
                "generalLedgerSetup",
                &[r#"{"id":"g","localCurrencyCode":"gbp"}"#.into()],
            ),
        );
        e.add_page_text(None, None, &page("vendors", &[r#"{"id":"aaaaaaaa-0000-0000-0000-000000000001","number":"V1","displayName":"Slack","website":"slack.com","email":"billing@slack.com"}"#.into()]));
        e.add_page_text(
            None,
            None,
            &page(
                "purchaseInvoices",
                &[
                    invoice(
                        "11111111-0000-0000-0000-000000000001",
                        "2026-01-05",
                        "Paid",
                        "2026-02-01T10:00:00.123Z",
                        "100.5",
                    ),
                    invoice(
                        "11111111-0000-0000-0000-000000000002",
                        "2026-02-05",
                        "Paid",
                        "2026-03-01T10:00:00Z",
                        "250",
                    ),
                    invoice(
                        "11111111-0000-0000-0000-000000000003",
                        "2026-02-06",
                        "Open",
                        "2026-03-02T10:00:00Z",
                        "7",
                    ),
                    invoice(
                        "11111111-0000-0000-0000-000000000004",
                        "2025-01-06",
                        "Paid",
                        "2025-03-02T10:00:00Z",
                        "9",
                    ),
                    r#"{"id":"","status":"Paid","totalAmountExcludingTax":"x"}"#.into(),
                ],
            ),
        );
        e.add_page_text(None, None, &page("purchaseCreditMemos", &[r#"{"id":"cccccccc-0000-0000-0000-000000000001","number":"PCM1","postingDate":"2026-02-10","status":"Paid","currencyCode":"EUR","totalAmountExcludingTax":20,"totalAmountIncludingTax":20,"lastModifiedDateTime":"2026-02-11T00:00:00Z"}"#.into()]));
        e.add_page_text(None, None, &page("users", &[r#"{"userSecurityId":"dddddddd-0000-0000-0000-000000000001","userName":"EMMA","displayName":"Emma","state":"Enabled","contactEmail":"emma@x.com"}"#.into(), r#"{"userSecurityId":"dddddddd-0000-0000-0000-000000000002","userName":"BOB","state":"Disabled","contactEmail":""}"#.into()]));
        e
    }

    /// What a state carries, as text: the transactions, users, diagnostics and the summary
    /// but for its `counts` (what the engine read, which a state does not keep: a restored
    /// engine counts only what it reads itself, `a_restored_engine_counts_what_it_reads`).
    pub(crate) fn observable(e: &mut Engine) -> String {
        let txs = serde_json::to_string(e.transactions()).unwrap();
        let users = serde_json::to_string(&e.users().0).unwrap();
        let diags = serde_json::to_string(&e.diagnostics()).unwrap();
        let mut summary = e.summary();
        summary.counts.clear();
        let summary = serde_json::to_string(&summary).unwrap();
        format!("{txs}\n{users}\n{diags}\n{summary}")
    }

    #[test]
    fn round_trip_is_exact() {
        let mut e = loaded();
        assert_eq!(e.transactions().len(), 3);
        let text = e.export_v1();
        let mut back = from_state(options("2025-11-01"), &text).unwrap();
        assert_eq!(
            back.export_v1(),
            text,
            "export is deterministic and lossless"
        );
        assert_eq!(observable(&mut back), observable(&mut e));
        // Versions of documents not held survive: an older Paid copy of the Open invoice stays out.
        let stale = page(
            "purchaseInvoices",
            &[invoice(
                "11111111-0000-0000-0000-000000000003",
                "2026-02-06",
                "Paid",
                "2026-03-01T00:00:00Z",
                "7",
            )],
        );
        back.add_page_text(None, None, &stale);
        e.add_page_text(None, None, &stale);
        assert_eq!(back.transactions().len(), 3);
        assert_eq!(observable(&mut back), observable(&mut e));
    }

    #[test]
    fn chunks_of_any_size_make_the_same_state() {
        let e = loaded();
        let whole = e.export_v1();
        for budget in [1, 50, 700, 1 << 20] {
            let mut w = writer::StateWriter::new(&e);
            let mut parts = Vec::new();
            while let Some(c) = w.next_chunk(&e, budget) {
                parts.push(c);
            }
            assert_eq!(parts.concat(), whole, "budget {budget}");
            if budget == 1 {
                assert!(parts.len() > 5, "small budgets give many pieces");
            }
        }
        // Read back in pieces cut anywhere, even inside a line or a character.
        for step in [1, 3, 64, 1000] {
            let mut r = StateReader::new(Engine::new(options("2025-11-01")).unwrap());
            let mut at = 0;
            while at < whole.len() {
                let mut end = (at + step).min(whole.len());
                while !whole.is_char_boundary(end) {
                    end += 1;
                }
                r.push(&whole[at..end]).unwrap();
                at = end;
            }
            assert_eq!(r.finish().unwrap().export_v1(), whole, "pieces of {step}");
        }
        let empty = Engine::new(options("2025-11-01")).unwrap();
        let text = empty.export_v1();
        assert!(from_state(options("2025-11-01"), &text).is_ok(), "{text}");
    }

    #[test]
    fn new_rules_and_line_mode_apply_to_a_restored_state() {
        let text = loaded().export_v1();
        let mut o = options("2025-11-01");
        o.line_mode = Some("line".into());
        let mut e = from_state(o, &text).unwrap();
        // Comment lines are not transactions in line mode: 2 invoices x 1 line + 1 credit memo.
        assert_eq!(e.transactions().len(), 3);
        assert!(e
            .transactions()
            .iter()
            .all(|t| t.line_id.is_some() || t.kind == "creditMemo"));
    }

    #[test]
    fn a_later_window_or_credit_memos_off_drop_documents() {
        let text = loaded().export_v1();
        let mut o = options("2026-02-01");
        o.credit_memos = Some(false);
        let mut e = from_state(o, &text).unwrap();
        assert_eq!(e.transactions().len(), 1);
        assert_eq!(e.removals().len(), 1);
        assert_eq!(e.removals()[0].reason, "outsideWindow");
    }

    #[test]
    fn a_diagnostic_code_this_version_does_not_know_is_refused_by_name() {
        // A code a newer bc-spend added: refused, not interned nor renamed, so the counts per
        // code the user sees are never silently changed.
        let text = loaded().export_v1();
        let code = loaded()
            .diags
            .counts()
            .keys()
            .next()
            .copied()
            .expect("the fixture has diagnostics");
        let item = text.replacen(
            &format!("\"code\":\"{code}\""),
            "\"code\":\"FROM_A_NEWER_VERSION\"",
            1,
        );
        let counted = text.replacen(&format!("\"{code}\":"), "\"FROM_A_NEWER_VERSION\":", 1);
        for (changed, at) in [
            (item, "diagnostics/items/"),
            (counted, "diagnostics/perCode/"),
        ] {
            let e = from_state(options("2025-11-01"), &changed)
                .err()
                .expect("must fail");
            assert_eq!(e.code, ErrorCode::StateInvalid);
            assert!(e.message.contains("FROM_A_NEWER_VERSION"), "{}", e.message);
            assert!(e.path.as_deref().unwrap().starts_with(at), "{e:?}");
        }
    }

    #[test]
    fn foreign_corrupt_and_newer_states_are_clear_errors() {
        let text = loaded().export_v1();
        let err = |o: EngineOptions, t: &str| from_state(o, t).err().expect("must fail");
        assert_eq!(
            err(options("2025-11-01"), "not json").code,
            ErrorCode::StateInvalid
        );
        assert_eq!(
            err(
                options("2025-11-01"),
                r#"{"format":"bc-spend-sync-checkpoint","version":1}"#
            )
            .code,
            ErrorCode::StateForeign
        );
        assert_eq!(
            err(options("2025-11-01"), r#"{"value":[]}"#).code,
            ErrorCode::StateForeign
        );
        let newer = text.replacen("\"version\":1", "\"version\":2", 1);
        let e = err(options("2025-11-01"), &newer);
        assert_eq!(e.code, ErrorCode::StateVersion);
        assert!(e.message.contains("newer"), "{}", e.message);
        let mut other_env = options("2025-11-01");
        other_env.environment = Some("t/sandbox".into());
        assert_eq!(err(other_env, &text).code, ErrorCode::StateForeign);
        // Values out of range or of the wrong shape name their path.
        let big = text.replacen(
            "\"netAmount\":1005000",
            "\"netAmount\":-9223372036854775808",
            1,
        );
        assert_ne!(big, text);
        let e = err(options("2025-11-01"), &big);
        assert_eq!(e.code, ErrorCode::StateInvalid);
        assert!(e.path.as_deref().unwrap().ends_with("netAmount"), "{e:?}");
        let open = text.replacen("\"status\":\"paid\"", "\"status\":\"open\"", 1);
        assert_eq!(
            err(options("2025-11-01"), &open).code,
            ErrorCode::StateInvalid
        );
        let code = text.replacen("\"code\":\"", "\"code\":\"lower case ", 1);
        assert_eq!(
            err(options("2025-11-01"), &code).code,
            ErrorCode::StateInvalid
        );
        let extra = text.replacen(
            "\"creditMemos\":true",
            "\"creditMemos\":true,\"surprise\":1",
            1,
        );
        assert_eq!(
            err(options("2025-11-01"), &extra).code,
            ErrorCode::StateInvalid
        );
        // Options are still checked first-hand.
        let mut bad = options("2025-11-01");
        bad.line_mode = Some("weekly".into());
        assert_eq!(err(bad, &text).code, ErrorCode::InvalidOption);
    }

    #[test]
    fn bad_values_deep_in_a_state_name_their_exact_path() {
        let text = loaded().export_v1();
        let lines: Vec<&str> = text.lines().collect();
        let docs_at = lines
            .iter()
            .position(|l| l.starts_with("{\"documents\":"))
            .unwrap();
        let versions_at = lines
            .iter()
            .position(|l| l.starts_with("{\"versions\":"))
            .unwrap();
        // The state with the value of the first `"key":` after `after` on line `at` replaced.
        let set = |at: usize, after: &str, key: &str, value: &str| {
            let l = lines[at];
            let from = l.find(after).unwrap() + after.len();
            let k = from
                + l[from..]
                    .find(&format!("\"{key}\":"))
                    .unwrap_or_else(|| panic!("no {key}"))
                + key.len()
                + 3;
            let end = if l.as_bytes()[k] == b'"' {
                k + 2 + l[k + 1..].find('"').unwrap()
            } else {
                k + l[k..].find([',', '}', ']']).unwrap()
            };
            let mut ls: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
            ls[at] = format!("{}{value}{}", &l[..k], &l[end..]);
            assert_ne!(ls[at], l);
            ls.join("\n") + "\n"
        };
        let path = |t: String| {
            let e = from_state(options("2025-11-01"), &t)
                .err()
                .expect("must fail");
            assert_eq!(e.code, ErrorCode::StateInvalid);
            e.path.unwrap()
        };
        let (n, v) = (docs_at + 1, versions_at + 1);
        let doc = format!("line {n}/documents/items/0");
        assert_eq!(
            path(set(docs_at, "", "company", "\" \"")),
            format!("line {n}/documents/company")
        );
        assert_eq!(
            path(set(docs_at, "items", "id", "\"\"")),
            format!("{doc}/id")
        );
        assert_eq!(
            path(set(
                docs_at,
                "items",
                "vendorId",
                &format!("\"{}\"", "a".repeat(65))
            )),
            format!("{doc}/vendorId")
        );
        assert_eq!(
            path(set(docs_at, "items", "totalTax", "-9223372036854775808")),
            format!("{doc}/totalTax")
        );
        assert_eq!(
            path(set(docs_at, "items", "status", "\"open\"")),
            format!("{doc}/status")
        );
        assert_eq!(
            path(set(docs_at, "items", "lastModified", "-99999999999999999")),
            format!("{doc}/lastModified")
        );
        assert_eq!(
            path(set(docs_at, "lines", "id", "\"  \"")),
            format!("{doc}/lines/0/id")
        );
        assert_eq!(
            path(set(docs_at, "lines", "lineType", "\"nope\"")),
            format!("{doc}/lines/0/lineType")
        );
        assert_eq!(
            path(set(docs_at, "lines", "netAmount", "-9223372036854775808")),
            format!("{doc}/lines/0/netAmount")
        );
        assert_eq!(
            path(set(
                docs_at,
                "lines",
                "netTaxAmount",
                "-9223372036854775808"
            )),
            format!("{doc}/lines/0/netTaxAmount")
        );
        assert_eq!(
            path(set(docs_at, "lines\":[{", "description", "7")),
            format!("line {n}"),
            "a wrong type fails the line"
        );
        let second_line = docs_at; // the first document's second line: a comment line
        assert_eq!(
            path(set(
                second_line,
                "},{",
                "netAmountIncludingTax",
                "-9223372036854775808"
            )),
            format!("{doc}/lines/1/netAmountIncludingTax")
        );
        assert_eq!(
            path(set(versions_at, "", "company", "\"\"")),
            format!("line {v}/versions/company")
        );
        let version = |from: &str, to: &str| {
            assert!(text.contains(from));
            path(text.replacen(from, to, 1))
        };
        assert_eq!(
            version("\"items\":[[0,", "\"items\":[[7,"),
            format!("line {v}/versions/items/0")
        );
        assert_eq!(
            version(",[0,\"11111111-0000-0000-0000-000000000004\"", ",[0,\" \""),
            format!("line {v}/versions/items/1")
        );
        assert_eq!(
            version("1740909600000]", "-99999999999999999]"),
            format!("line {v}/versions/items/1")
        );
    }

    #[test]
    fn states_read_as_bytes_in_any_pieces() {
        let text = loaded()
            .export_v1()
            .replace("Slack Pro", "Slack Pró – 東京 ✓");
        let engine = from_state(options("2025-11-01"), &text).unwrap();
        assert_eq!(engine.export_v1(), text, "the non-ASCII text is kept");
        let bytes = text.as_bytes();
        for size in [1usize, 2, 3, 5, 64, 4099, bytes.len()] {
            let mut r = StateReader::new(Engine::new(options("2025-11-01")).unwrap());
            for piece in bytes.chunks(size) {
                r.push_bytes(piece).unwrap();
            }
            assert_eq!(
                r.finish().unwrap().export_v1(),
                text,
                "pieces of {size} bytes"
            );
        }
        // Text and bytes pieces mixed.
        let mut r = StateReader::new(Engine::new(options("2025-11-01")).unwrap());
        let cut = text.find('\n').unwrap() + 10;
        r.push(&text[..cut]).unwrap();
        r.push_bytes(&bytes[cut..cut + 1000]).unwrap();
        r.push(std::str::from_utf8(&bytes[cut + 1000..]).unwrap())
            .unwrap();
        assert_eq!(r.finish().unwrap().export_v1(), text);
        // Invalid UTF-8 names its line.
        let mut bad = bytes.to_vec();
        let at = text.find("Pró").unwrap() + 2; // the first byte of "ó"
        bad[at] = 0xFF;
        let line = text[..at].matches('\n').count() + 1;
        let mut r = StateReader::new(Engine::new(options("2025-11-01")).unwrap());
        let e = r.push_bytes(&bad).expect_err("must fail");
        assert_eq!(
            (e.code, e.path.as_deref()),
            (
                ErrorCode::StateInvalid,
                Some(format!("line {line}").as_str())
            )
        );
        assert!(e.message.contains("not UTF-8"), "{}", e.message);
        // Only whitespace after the trailer is fine; a cut line is not.
        let mut r = StateReader::new(Engine::new(options("2025-11-01")).unwrap());
        r.push_bytes(bytes).unwrap();
        r.push_bytes(b"  \n\n ").unwrap();
        assert!(r.finish().is_ok());
        let mut r = StateReader::new(Engine::new(options("2025-11-01")).unwrap());
        r.push_bytes(&bytes[..bytes.len() - 5]).unwrap();
        assert_eq!(r.finish().err().unwrap().code, ErrorCode::StateInvalid);
    }

    #[test]
    fn truncated_states_never_panic() {
        let text = loaded().export_v1();
        // Only the final newline may go: the trailer line shows whether the state is whole.
        for cut in (0..text.len() - 1).step_by(7) {
            if text.is_char_boundary(cut) {
                assert!(from_state(options("2025-11-01"), &text[..cut]).is_err());
            }
        }
    }

    #[test]
    fn diagnostics_beyond_the_kept_limit_keep_their_count() {
        let mut e = Engine::new(options("2025-11-01")).unwrap();
        let recs: Vec<String> = (0..1500)
            .map(|i| format!(r#"{{"id":"x{i}","status":"Paid","totalAmountExcludingTax":"bad"}}"#))
            .collect();
        e.add_page_text(None, None, &page("purchaseInvoices", &recs));
        let text = e.export_v1();
        let mut back = from_state(options("2025-11-01"), &text).unwrap();
        assert_eq!(back.export_v1(), text);
        assert_eq!(observable(&mut back), observable(&mut e));
        let forged = text.replacen(
            "\"AMOUNT_INVALID\":1500",
            "\"AMOUNT_INVALID\":100000000000",
            1,
        );
        assert_ne!(forged, text);
        assert_eq!(
            from_state(options("2025-11-01"), &forged)
                .err()
                .unwrap()
                .code,
            ErrorCode::StateInvalid
        );
    }

    #[test]
    fn changes_between_runs() {
        let mut e = loaded();
        let base = ChangeBaseline::capture(&e);
        assert_eq!(
            base.compare(&e, 10),
            Changes {
                unchanged: 3,
                ..Default::default()
            }
        );
        // Touched but not changed; changed; no longer paid; new.
        e.add_page_text(
            None,
            None,
            &page(
                "purchaseInvoices",
                &[
                    invoice(
                        "11111111-0000-0000-0000-000000000001",
                        "2026-01-05",
                        "Paid",
                        "2026-04-01T00:00:00Z",
                        "100.5",
                    ),
                    invoice(
                        "11111111-0000-0000-0000-000000000002",
                        "2026-02-05",
                        "Paid",
                        "2026-04-01T00:00:00Z",
                        "260",
                    ),
                    invoice(
                        "11111111-0000-0000-0000-000000000005",
                        "2026-03-05",
                        "Paid",
                        "2026-04-01T00:00:00Z",
                        "1",
                    ),
                ],
            ),
        );
        e.add_page_text(None, None, &page("purchaseCreditMemos", &[r#"{"id":"cccccccc-0000-0000-0000-000000000001","status":"Open","lastModifiedDateTime":"2026-04-01T00:00:00Z"}"#.into()]));
        let c = base.compare(&e, 10);
        assert_eq!((c.added, c.changed, c.removed, c.unchanged), (1, 1, 1, 1));
        let removed = c.items.iter().find(|x| x.change == "removed").unwrap();
        assert_eq!(
            (removed.kind, removed.reason, removed.number.as_deref()),
            ("creditMemo", Some("notPaid"), Some("PCM1"))
        );
        let capped = base.compare(&e, 1);
        assert_eq!(capped.items.len(), 1);
        assert!(capped.truncated);
        // Companies no longer synced are removed with reason notSynced.
        e.retain_companies(&BTreeSet::new());
        let c = base.compare(&e, 10);
        assert_eq!(c.removed, 3);
        assert!(c
            .items
            .iter()
            .filter(|x| x.change == "removed")
            .any(|x| x.reason == Some("notSynced")));
    }

    #[test]
    fn begin_sync_run_keeps_only_document_diagnostics_of_incremental_companies() {
        let mut e = loaded();
        assert!(e
            .diagnostics()
            .iter()
            .any(|d| d.entity == Some("purchaseInvoices")));
        let keep: BTreeSet<String> = [C1.to_owned()].into();
        e.begin_sync_run(&keep);
        assert!(e.users().0.is_empty());
        assert_eq!(e.summary().counts.len(), 0);
        assert!(e
            .diags
            .items()
            .iter()
            .all(|d| d.entity == Some("purchaseInvoices")));
        assert!(!e.diags.items().is_empty());
        e.begin_sync_run(&BTreeSet::new());
        assert!(e.diags.items().is_empty());
        assert_eq!(e.transactions().len(), 3, "documents stay");
        assert_eq!(
            e.newest_modification(C1, false)
                .map(|t| t.to_string())
                .as_deref(),
            Some("2026-03-02T10:00:00.000Z")
        );
        assert_eq!(
            e.newest_modification(C1, true)
                .map(|t| t.to_string())
                .as_deref(),
            Some("2026-02-11T00:00:00.000Z")
        );
    }
}

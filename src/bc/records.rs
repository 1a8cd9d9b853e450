//! The BC entities this product reads, as raw records and as checked domain values.
//!
//! Raw records capture only the fields used (BC sends many more; unknown fields are skipped).
//! [`FieldReader`] turns a raw record into a domain value, collecting a diagnostic for every
//! field that is wrong; a record missing something essential is rejected as a whole.

use super::enums::{decode_enum, LineType};
use super::lenient::{raw_record, ReadRecord, Records, Scalar};
use crate::date::{Date, Timestamp};
use crate::diagnostics::Diagnostic;
use crate::diagnostics::DiagnosticCode;
use crate::money::{Amount, AmountError};
use crate::text::{Id, Text};
use std::borrow::Cow;

raw_record!(
    /// `companies`
    RawCompany { "id" => id, "name" => name, "displayName" => display_name }
);

raw_record!(
    /// `vendors`
    RawVendor {
        "id" => id, "number" => number, "displayName" => display_name,
        "email" => email, "website" => website, "currencyCode" => currency_code,
        "lastModifiedDateTime" => last_modified,
    }
);

raw_record!(
    /// `generalLedgerSetup` (a one-record collection).
    RawGlSetup { "id" => id, "localCurrencyCode" => local_currency_code }
);

raw_record!(
    /// `purchaseInvoiceLines` and `purchaseCreditMemoLines`, expanded under their document.
    RawLine {
        "id" => id, "sequence" => sequence, "lineType" => line_type,
        "lineObjectNumber" => object_number, "description" => description,
        "description2" => description2,
        "netAmount" => net_amount, "netTaxAmount" => net_tax_amount,
        "netAmountIncludingTax" => net_amount_including_tax,
        "invoiceDiscountAllocation" => invoice_discount_allocation,
        "quantity" => quantity, "unitCost" => unit_cost, "unitOfMeasureCode" => unit_of_measure,
    }
);

raw_record!(
    /// `purchaseInvoices` and `purchaseCreditMemos` (the fields they share, plus each one's own).
    RawDocument {
        "id" => id, "number" => number, "invoiceDate" => invoice_date,
        "creditMemoDate" => credit_memo_date, "postingDate" => posting_date, "dueDate" => due_date,
        "vendorInvoiceNumber" => vendor_invoice_number,
        "vendorCreditMemoNumber" => vendor_credit_memo_number,
        "vendorId" => vendor_id, "vendorNumber" => vendor_number, "vendorName" => vendor_name,
        "currencyId" => currency_id, "currencyCode" => currency_code,
        "discountAmount" => discount_amount,
        "totalAmountExcludingTax" => total_amount_excluding_tax, "totalTaxAmount" => total_tax_amount,
        "totalAmountIncludingTax" => total_amount_including_tax,
        "status" => status, "lastModifiedDateTime" => last_modified,
        "invoiceId" => invoice_id, "invoiceNumber" => invoice_number,
    }
    records { "purchaseInvoiceLines" => invoice_lines: Read<Line>, "purchaseCreditMemoLines" => credit_memo_lines: Read<Line> }
);

raw_record!(
    /// Automation API `users`.
    RawUser {
        "userSecurityId" => user_security_id, "userName" => user_name, "displayName" => display_name,
        "state" => state, "contactEmail" => contact_email, "expiryDate" => expiry_date,
        "licenseType" => license_type, "authenticationEmail" => authentication_email,
    }
);

pub const EMPTY_GUID: &str = "00000000-0000-0000-0000-000000000000";
/// Longest text kept from any field. BC's own limits are 100 characters for descriptions and
/// 250 for e-mails; anything much longer is not from BC and is cut, with a warning.
pub const MAX_TEXT: usize = 2048;

/// Reads fields of one record, collecting diagnostics. `rejected` turns true when a field the
/// record cannot do without is missing or wrong.
pub struct FieldReader<'a> {
    pub diags: &'a mut Vec<Diagnostic>,
    pub prefix: String,
    pub rejected: bool,
}

impl<'a> FieldReader<'a> {
    pub fn new(diags: &'a mut Vec<Diagnostic>, prefix: String) -> Self {
        FieldReader {
            diags,
            prefix,
            rejected: false,
        }
    }

    fn path(&self, field: &str) -> String {
        if self.prefix.is_empty() {
            field.to_owned()
        } else {
            format!("{}/{}", self.prefix, field)
        }
    }

    fn problem(&mut self, reject: bool, code: DiagnosticCode, field: &str, msg: String) {
        let d = if reject {
            Diagnostic::error(code, msg)
        } else {
            Diagnostic::warning(code, msg)
        };
        self.diags.push(d.path(self.path(field)));
        self.rejected |= reject;
    }

    /// Text, trimmed of nothing (BC's own text is returned as is), cut at [`MAX_TEXT`].
    pub fn text(&mut self, field: &str, v: Scalar, required: bool) -> Option<String> {
        self.text_ref(field, v, required).map(Cow::into_owned)
    }

    /// [`FieldReader::text`] as a [`Text`] (one allocation, none for a `String` first): for a
    /// field the engine holds.
    pub fn shared(&mut self, field: &str, v: Scalar, required: bool) -> Option<Text> {
        self.text_ref(field, v, required).map(Text::from)
    }

    /// [`FieldReader::shared`] for a field that repeats across records (a vendor's name, a
    /// line's description): interned into the reading engine's texts straight from the page
    /// ([`crate::text::reading_into`]), no allocation when the engine holds the text already.
    pub fn interned(&mut self, field: &str, v: Scalar, required: bool) -> Option<Text> {
        self.text_ref(field, v, required)
            .map(|s| crate::text::interned(&s))
    }

    /// [`FieldReader::interned`] of an optional field, `None` when blank.
    pub fn interned_nonblank(&mut self, field: &str, v: Scalar) -> Option<Text> {
        self.text_ref(field, v, false)
            .filter(|s| !s.trim().is_empty())
            .map(|s| crate::text::interned(&s))
    }

    /// [`FieldReader::guid_shared`], interned as [`FieldReader::interned`] is (a vendor's id,
    /// named by every document of the vendor).
    pub fn guid_interned(&mut self, field: &str, v: Scalar, required: bool) -> Option<Text> {
        let s = self.guid_ref(field, v, required)?;
        let t = s.trim();
        if !t.bytes().any(|b| b.is_ascii_uppercase()) {
            return Some(crate::text::interned(t));
        }
        Some(crate::text::interned(&t.to_ascii_lowercase()))
    }

    /// [`FieldReader::shared`] of an optional field, `None` when blank (no allocation then).
    pub fn shared_nonblank(&mut self, field: &str, v: Scalar) -> Option<Text> {
        self.text_ref(field, v, false)
            .filter(|s| !s.trim().is_empty())
            .map(Text::from)
    }

    /// [`FieldReader::text`], still borrowed from the page when it was: for a field that is
    /// only checked or parsed, never kept as text.
    pub fn text_ref<'s>(
        &mut self,
        field: &str,
        v: Scalar<'s>,
        required: bool,
    ) -> Option<Cow<'s, str>> {
        match v {
            Scalar::Str(mut s) => {
                if s.len() > MAX_TEXT {
                    let mut cut = MAX_TEXT;
                    while !s.is_char_boundary(cut) {
                        cut -= 1;
                    }
                    let chars = s.chars().count();
                    match &mut s {
                        Cow::Borrowed(b) => *b = &b[..cut],
                        Cow::Owned(o) => o.truncate(cut),
                    }
                    self.problem(
                        false,
                        DiagnosticCode::TextTruncated,
                        field,
                        format!(
                            "`{field}` is {chars} characters long; kept the first {}",
                            s.chars().count()
                        ),
                    );
                }
                if required && s.trim().is_empty() {
                    self.problem(
                        true,
                        DiagnosticCode::FieldEmpty,
                        field,
                        format!("`{field}` is empty"),
                    );
                    return None;
                }
                Some(s)
            }
            Scalar::Missing | Scalar::Null => {
                if required {
                    self.problem(
                        true,
                        DiagnosticCode::FieldMissing,
                        field,
                        format!("`{field}` is missing"),
                    );
                }
                None
            }
            other => {
                self.problem(
                    required,
                    DiagnosticCode::FieldWrongType,
                    field,
                    format!("`{field}` should be a string but is {}", other.type_name()),
                );
                None
            }
        }
    }

    /// A GUID field; BC's empty GUID reads as `None`.
    pub fn guid(&mut self, field: &str, v: Scalar, required: bool) -> Option<String> {
        let s = self.guid_ref(field, v, required)?;
        let t = s.trim();
        if t.len() == s.len() {
            // Lower-cased in place: no second copy for the usual, untrimmed GUID.
            let mut s = s.into_owned();
            s.make_ascii_lowercase();
            return Some(s);
        }
        Some(t.to_ascii_lowercase())
    }

    /// [`FieldReader::guid`] as a [`Text`]: one allocation for an id already in lower case (as
    /// BC sends them).
    pub fn guid_shared(&mut self, field: &str, v: Scalar, required: bool) -> Option<Text> {
        let s = self.guid_ref(field, v, required)?;
        let t = s.trim();
        if !t.bytes().any(|b| b.is_ascii_uppercase()) {
            return Some(Text::from(t));
        }
        Some(Text::from(t.to_ascii_lowercase()))
    }

    /// [`FieldReader::guid`] as an [`Id`]: no allocation for a GUID (held inline), lower-cased
    /// in place on the stack when BC sent it in upper case.
    pub fn guid_id(&mut self, field: &str, v: Scalar, required: bool) -> Option<Id> {
        let s = self.guid_ref(field, v, required)?;
        let t = s.trim();
        if !t.bytes().any(|b| b.is_ascii_uppercase()) {
            return Some(Id::new(t));
        }
        Some(Id::new(&t.to_ascii_lowercase()))
    }

    /// A GUID field's text as read, checked (trim and lower-case it to use it).
    fn guid_ref<'s>(&mut self, field: &str, v: Scalar<'s>, required: bool) -> Option<Cow<'s, str>> {
        let s = self.text_ref(field, v, required)?;
        let t = s.trim();
        if t.eq_ignore_ascii_case(EMPTY_GUID) || t.is_empty() {
            if required {
                self.problem(
                    true,
                    DiagnosticCode::FieldEmpty,
                    field,
                    format!("`{field}` is the empty GUID"),
                );
            }
            return None;
        }
        if t.len() > 64 {
            self.problem(
                required,
                DiagnosticCode::FieldInvalid,
                field,
                format!("`{field}` is not an identifier ({} characters)", t.len()),
            );
            return None;
        }
        if super::has_replacement_char(t.as_bytes()) {
            // U+FFFD stands for what could not be read (a lone surrogate, invalid UTF-8): ids
            // that differed there would become one and the same record.
            self.problem(
                required,
                DiagnosticCode::FieldInvalid,
                field,
                format!(
                    "`{field}` is not an identifier: it holds text that could not be read (U+FFFD)"
                ),
            );
            return None;
        }
        Some(s)
    }

    pub fn amount(&mut self, field: &str, v: Scalar, required: bool) -> Option<Amount> {
        let r = match v {
            Scalar::Int(i) => Amount::from_i64_units(i),
            Scalar::Float(f) => Amount::from_f64(f),
            Scalar::Number(t) => Amount::parse_json_number(&t),
            Scalar::Missing | Scalar::Null => {
                if required {
                    self.problem(
                        true,
                        DiagnosticCode::AmountMissing,
                        field,
                        format!("`{field}` is missing"),
                    );
                }
                return None;
            }
            other => {
                let shown = match &other {
                    Scalar::Str(s) => format!(" ({:?})", s.chars().take(40).collect::<String>()),
                    _ => String::new(),
                };
                self.problem(
                    true,
                    DiagnosticCode::AmountInvalid,
                    field,
                    format!(
                        "`{field}` should be a number but is {}{shown}",
                        other.type_name()
                    ),
                );
                return None;
            }
        };
        match r {
            Ok(a) => Some(a),
            Err(e) => {
                self.problem(
                    true,
                    DiagnosticCode::AmountInvalid,
                    field,
                    format!("`{field}`: {}", e.message()),
                );
                None
            }
        }
    }

    /// A decimal the product can do without (a line's quantity and unit cost): missing, null or
    /// more precise than four decimals (BC unit costs may have five) reads as `None` silently,
    /// since nothing is lost that an amount depends on; a value that is not a number at all is
    /// a warning, and the record is kept.
    pub fn optional_decimal(&mut self, field: &str, v: Scalar) -> Option<Amount> {
        let r = match v {
            Scalar::Int(i) => Amount::from_i64_units(i),
            Scalar::Float(f) => Amount::from_f64(f),
            Scalar::Number(t) => Amount::parse_json_number(&t),
            Scalar::Missing | Scalar::Null => return None,
            other => {
                self.problem(
                    false,
                    DiagnosticCode::AmountInvalid,
                    field,
                    format!(
                        "`{field}` should be a number but is {}; it is left out",
                        other.type_name()
                    ),
                );
                return None;
            }
        };
        match r {
            Ok(a) => Some(a),
            Err(AmountError::TooPrecise) => None,
            Err(e) => {
                self.problem(
                    false,
                    DiagnosticCode::AmountInvalid,
                    field,
                    format!("`{field}`: {}; it is left out", e.message()),
                );
                None
            }
        }
    }

    /// A currency code ([`crate::money::currency_code`]); blank reads as `None`. Not a code:
    /// the record is rejected, as its amounts would be totalled in a currency of their own.
    pub fn currency(&mut self, field: &str, v: Scalar) -> Option<String> {
        if let Scalar::Str(s) = &v {
            match crate::money::currency_code(s) {
                Ok(c) => return Some(c).filter(|c| !c.is_empty()),
                Err(why) => {
                    let shown: String = s.chars().take(20).collect();
                    self.problem(
                        true,
                        DiagnosticCode::CurrencyInvalid,
                        field,
                        format!(
                            "`{field}` is not a currency code: it {why} ({shown:?}, {} characters)",
                            s.chars().count()
                        ),
                    );
                    return None;
                }
            }
        }
        self.text(field, v, false)
    }

    pub fn date(&mut self, field: &str, v: Scalar) -> Option<Date> {
        let s = self.text_ref(field, v, false)?;
        match Date::parse_bc(&s) {
            Ok(Some(d)) if d.is_far_future() => {
                self.problem(
                    false,
                    DiagnosticCode::DateFarFuture,
                    field,
                    format!("`{field}` is {d}, far in the future; kept as is"),
                );
                Some(d)
            }
            Ok(d) => d,
            Err(_) => {
                self.problem(
                    false,
                    DiagnosticCode::DateInvalid,
                    field,
                    format!(
                        "`{field}` is not a date (YYYY-MM-DD): {:?}",
                        s.chars().take(40).collect::<String>()
                    ),
                );
                None
            }
        }
    }

    pub fn timestamp(&mut self, field: &str, v: Scalar) -> Option<Timestamp> {
        let s = self.text_ref(field, v, false)?;
        match Timestamp::parse_bc(&s) {
            Ok(t) => t,
            Err(_) => {
                self.problem(
                    false,
                    DiagnosticCode::DateInvalid,
                    field,
                    format!(
                        "`{field}` is not a UTC timestamp: {:?}",
                        s.chars().take(40).collect::<String>()
                    ),
                );
                None
            }
        }
    }

    /// An enum value, `_xHHHH_`-decoded and trimmed; the blank value reads as "".
    ///
    /// The blank member of a BC enum is named `" "`: OData escapes it as `_x0020_`, but a
    /// serializer that does not (or a page saved by another tool) sends the space itself. Both
    /// are that one documented value, so a value of spaces is not an empty required field; only
    /// `""`, which is no member, is.
    pub fn enumeration(&mut self, field: &str, v: Scalar, required: bool) -> Option<String> {
        self.enumeration_ref(field, v, required)
            .map(Cow::into_owned)
    }

    /// [`FieldReader::enumeration`], still borrowed from the page when there was nothing to
    /// decode: for a value that is only parsed (a status, a line type).
    pub fn enumeration_ref<'s>(
        &mut self,
        field: &str,
        v: Scalar<'s>,
        required: bool,
    ) -> Option<Cow<'s, str>> {
        let blank_member = matches!(&v, Scalar::Str(s) if !s.is_empty() && s.trim().is_empty());
        let s = self.text_ref(field, v, required && !blank_member)?;
        if !super::enums::has_escape(&s) && s.trim().len() == s.len() {
            // Nothing to decode or trim: the value as read.
            return Some(s);
        }
        Some(Cow::Owned(decode_enum(&s).trim().to_owned()))
    }

    pub fn integer(&mut self, field: &str, v: Scalar) -> Option<i64> {
        match v {
            Scalar::Int(i) => Some(i),
            Scalar::Float(f) if f.fract() == 0.0 && f.abs() < 9e15 => Some(f as i64),
            Scalar::Number(_) if v.whole_number().is_some() => v.whole_number(),
            Scalar::Missing | Scalar::Null => None,
            other => {
                self.problem(
                    false,
                    DiagnosticCode::FieldWrongType,
                    field,
                    format!(
                        "`{field}` should be an integer but is {}",
                        other.type_name()
                    ),
                );
                None
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Hash)]
pub struct Company {
    pub id: Text,
    pub name: Text,
    pub display_name: Option<Text>,
}

#[derive(Debug, Clone, PartialEq, Hash)]
pub struct Vendor {
    pub id: Text,
    pub number: Option<Text>,
    pub name: Option<Text>,
    pub email: Option<Text>,
    pub website: Option<Text>,
}

/// Status of a purchase invoice (enum 5477) or credit memo.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DocStatus {
    Blank,
    Draft,
    InReview,
    Open,
    Paid,
    Canceled,
    Corrective,
    Other,
}

impl DocStatus {
    pub fn parse(decoded: &str) -> DocStatus {
        match decoded {
            "" => DocStatus::Blank,
            "Draft" => DocStatus::Draft,
            "In Review" => DocStatus::InReview,
            "Open" => DocStatus::Open,
            "Paid" => DocStatus::Paid,
            "Canceled" | "Cancelled" => DocStatus::Canceled,
            "Corrective" => DocStatus::Corrective,
            _ => DocStatus::Other,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            DocStatus::Blank => "blank",
            DocStatus::Draft => "draft",
            DocStatus::InReview => "inReview",
            DocStatus::Open => "open",
            DocStatus::Paid => "paid",
            DocStatus::Canceled => "canceled",
            DocStatus::Corrective => "corrective",
            DocStatus::Other => "other",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DocKind {
    Invoice,
    CreditMemo,
}

#[derive(Debug, Clone, PartialEq, Hash)]
pub struct Line {
    pub id: Option<Id>,
    pub sequence: Option<i64>,
    pub line_type: LineType,
    pub object_number: Option<Text>,
    pub description: Text,
    pub description2: Option<Text>,
    pub net_amount: Amount,
    pub net_tax_amount: Amount,
    pub net_amount_including_tax: Amount,
    pub invoice_discount_allocation: Amount,
    /// `quantity`, `unitCost` (BC's direct unit cost) and `unitOfMeasureCode`: for seats and
    /// price per seat ([`crate::transactions::seats`]). Optional: a value that cannot be read
    /// exactly is left out (see [`FieldReader::optional_decimal`]).
    pub quantity: Option<Amount>,
    pub unit_cost: Option<Amount>,
    pub unit_of_measure: Option<Text>,
}

/// A purchase invoice or credit memo, checked.
#[derive(Debug, Clone, PartialEq, Hash)]
pub struct Document {
    pub kind: DocKind,
    pub id: Id,
    pub number: Option<Text>,
    pub document_date: Option<Date>,
    pub posting_date: Option<Date>,
    pub due_date: Option<Date>,
    pub vendor_document_number: Option<Text>,
    pub vendor_id: Option<Text>,
    pub vendor_number: Option<Text>,
    pub vendor_name: Option<Text>,
    /// As sent; may be blank (then the company's local currency applies).
    pub currency_code: Option<Text>,
    pub discount_amount: Option<Amount>,
    pub total_excluding_tax: Option<Amount>,
    pub total_tax: Option<Amount>,
    pub total_including_tax: Option<Amount>,
    pub status: DocStatus,
    pub last_modified: Option<crate::date::Timestamp>,
    /// `None` when the lines were not expanded in the response.
    pub lines: Option<Vec<Line>>,
    /// Credit memos: the invoice they credit.
    pub applies_to_invoice_id: Option<Id>,
    pub applies_to_invoice_number: Option<Text>,
}

#[derive(Debug, Clone, PartialEq, Hash)]
pub struct RawUserFields {
    pub security_id: String,
    pub user_name: Option<String>,
    pub display_name: Option<String>,
    pub state: Option<String>,
    /// `None` when the record has no `contactEmail` field at all; `Some("")` when it is empty.
    pub contact_email: Option<String>,
    pub license_type: Option<String>,
    pub authentication_email: Option<String>,
}

pub fn read_company(r: RawCompany<'_>, fr: &mut FieldReader) -> Option<Company> {
    let id = fr.guid_shared("id", r.id, true);
    let name = fr.shared("name", r.name, false);
    let display_name = fr.shared("displayName", r.display_name, false);
    let id = id?;
    if fr.rejected {
        return None;
    }
    let name = name
        .or_else(|| display_name.clone())
        .unwrap_or_else(|| id.clone());
    Some(Company {
        id,
        name,
        display_name,
    })
}

pub fn read_vendor(r: RawVendor<'_>, fr: &mut FieldReader) -> Option<Vendor> {
    let id = fr.guid_interned("id", r.id, true);
    let v = Vendor {
        id: id.unwrap_or_default(),
        number: fr.interned("number", r.number, false),
        name: fr.interned("displayName", r.display_name, false),
        email: fr.shared_nonblank("email", r.email),
        website: fr.shared_nonblank("website", r.website),
    };
    (!fr.rejected).then_some(v)
}

pub fn read_gl_setup(r: RawGlSetup<'_>, fr: &mut FieldReader) -> Option<Option<String>> {
    let code = fr.currency("localCurrencyCode", r.local_currency_code);
    (!fr.rejected).then_some(code)
}

pub fn read_line(r: RawLine<'_>, fr: &mut FieldReader) -> Option<Line> {
    let line_type = fr
        .enumeration_ref("lineType", r.line_type, false)
        .map(|s| LineType::parse(&s))
        .unwrap_or(LineType::Other);
    let comment = line_type == LineType::Comment;
    let line = Line {
        id: fr.guid_id("id", r.id, false),
        sequence: fr.integer("sequence", r.sequence),
        line_type,
        object_number: fr.interned_nonblank("lineObjectNumber", r.object_number),
        description: fr
            .interned("description", r.description, false)
            .unwrap_or_default(),
        description2: fr.interned_nonblank("description2", r.description2),
        // Comment lines carry no amounts; BC sends zeros, a missing value is fine there.
        net_amount: fr
            .amount("netAmount", r.net_amount, !comment)
            .unwrap_or_default(),
        net_tax_amount: fr
            .amount("netTaxAmount", r.net_tax_amount, false)
            .unwrap_or_default(),
        net_amount_including_tax: fr
            .amount(
                "netAmountIncludingTax",
                r.net_amount_including_tax,
                !comment,
            )
            .unwrap_or_default(),
        invoice_discount_allocation: fr
            .amount(
                "invoiceDiscountAllocation",
                r.invoice_discount_allocation,
                false,
            )
            .unwrap_or_default(),
        quantity: fr.optional_decimal("quantity", r.quantity),
        unit_cost: fr.optional_decimal("unitCost", r.unit_cost),
        unit_of_measure: fr.interned_nonblank("unitOfMeasureCode", r.unit_of_measure),
    };
    (!fr.rejected).then_some(line)
}

/// Reads a purchase invoice or credit memo with its expanded lines. A line that cannot be read
/// rejects the whole document: its totals could not be trusted without it.
pub fn read_document(kind: DocKind, r: RawDocument<'_>, fr: &mut FieldReader) -> Option<Document> {
    let id = fr.guid_id("id", r.id, true);
    let status = fr
        .enumeration_ref("status", r.status, true)
        .map(|s| DocStatus::parse(&s));
    let (date_field, date_raw, vno_field, vno_raw, lines_field, lines_raw) = match kind {
        DocKind::Invoice => (
            "invoiceDate",
            r.invoice_date,
            "vendorInvoiceNumber",
            r.vendor_invoice_number,
            "purchaseInvoiceLines",
            r.invoice_lines,
        ),
        DocKind::CreditMemo => (
            "creditMemoDate",
            r.credit_memo_date,
            "vendorCreditMemoNumber",
            r.vendor_credit_memo_number,
            "purchaseCreditMemoLines",
            r.credit_memo_lines,
        ),
    };
    let mut doc = Document {
        kind,
        id: id.unwrap_or_default(),
        number: fr.shared("number", r.number, false),
        document_date: fr.date(date_field, date_raw),
        posting_date: fr.date("postingDate", r.posting_date),
        due_date: fr.date("dueDate", r.due_date),
        vendor_document_number: fr.shared_nonblank(vno_field, vno_raw),
        vendor_id: fr.guid_interned("vendorId", r.vendor_id, false),
        vendor_number: fr.interned_nonblank("vendorNumber", r.vendor_number),
        vendor_name: fr.interned("vendorName", r.vendor_name, false),
        currency_code: fr
            .currency("currencyCode", r.currency_code)
            .map(|c| crate::text::interned(&c)),
        discount_amount: fr.amount("discountAmount", r.discount_amount, false),
        total_excluding_tax: fr.amount(
            "totalAmountExcludingTax",
            r.total_amount_excluding_tax,
            false,
        ),
        total_tax: fr.amount("totalTaxAmount", r.total_tax_amount, false),
        total_including_tax: fr.amount(
            "totalAmountIncludingTax",
            r.total_amount_including_tax,
            false,
        ),
        status: status.unwrap_or(DocStatus::Other),
        last_modified: fr.timestamp("lastModifiedDateTime", r.last_modified),
        lines: None,
        applies_to_invoice_id: fr.guid_id("invoiceId", r.invoice_id, false),
        applies_to_invoice_number: fr.shared_nonblank("invoiceNumber", r.invoice_number),
    };
    let _ = r.currency_id;
    match lines_raw {
        Records::Missing => {}
        Records::NotArray(what) => {
            fr.diags.push(
                Diagnostic::error(
                    DiagnosticCode::FieldWrongType,
                    format!("`{lines_field}` should be an array but is {what}"),
                )
                .path(fr.path(lines_field)),
            );
            fr.rejected = true;
        }
        Records::List(list) => {
            let mut lines = Vec::with_capacity(list.len());
            for (i, rec) in list.into_iter().enumerate() {
                // A line's path ("purchaseInvoiceLines/3") is written only into its diagnostics,
                // so it is formatted only when there are some.
                let prefix = |fr: &FieldReader| fr.path(&format!("{lines_field}/{i}"));
                match rec {
                    super::lenient::Record::NotObject(what) => {
                        let p = prefix(fr);
                        fr.diags.push(
                            Diagnostic::error(
                                DiagnosticCode::RecordNotObject,
                                format!("line {i} should be an object but is {what}"),
                            )
                            .path(p),
                        );
                        fr.rejected = true;
                    }
                    super::lenient::Record::Object(read) => {
                        // Read when its object ended ([`Read`]); its diagnostics follow the
                        // document's own, as if read here.
                        let before = fr.diags.len();
                        let Read {
                            value: line,
                            mut diags,
                            rejected: bad,
                            ..
                        } = read;
                        fr.diags.append(&mut diags);
                        if fr.diags.len() > before {
                            let p = prefix(fr);
                            for d in &mut fr.diags[before..] {
                                d.path = Some(match d.path.take() {
                                    Some(field) => format!("{p}/{field}"),
                                    None => p.clone(),
                                });
                            }
                        }
                        fr.rejected |= bad;
                        if let Some(l) = line {
                            lines.push(l);
                        }
                    }
                }
            }
            // BC returns lines in sequence order; keep that order even if a page did not.
            crate::sort::sort_by_key(&mut lines, |l| l.sequence.unwrap_or(i64::MAX));
            doc.lines = Some(lines);
        }
    }
    if fr.rejected {
        return None;
    }
    Some(doc)
}

/// `contactEmail`: `None` only when the record has no such field (users APIs before BC 25.0),
/// so that an environment without the field is told from a user whose field is empty. A `null`
/// or a value of the wrong type is a field that is there but holds no address.
fn contact_email(v: Scalar, fr: &mut FieldReader) -> Option<String> {
    let present = !matches!(v, Scalar::Missing);
    fr.text("contactEmail", v, false)
        .or_else(|| present.then(String::new))
}

pub fn read_user(r: RawUser<'_>, fr: &mut FieldReader) -> Option<RawUserFields> {
    let id = fr.guid("userSecurityId", r.user_security_id, true);
    let u = RawUserFields {
        security_id: id.unwrap_or_default(),
        user_name: fr.text("userName", r.user_name, false),
        display_name: fr.text("displayName", r.display_name, false),
        state: fr.enumeration("state", r.state, false),
        contact_email: contact_email(r.contact_email, fr),
        license_type: fr.enumeration("licenseType", r.license_type, false),
        authentication_email: fr.text("authenticationEmail", r.authentication_email, false),
    };
    let _ = r.expiry_date;
    (!fr.rejected).then_some(u)
}

/// A record read as soon as its object ended ([`ReadRecord`]): what the `read_*` function of
/// its entity returned, the diagnostics it wrote and whether it rejected the record, as it
/// would have been read later from a raw record; and the record's id as it was written, which
/// names the record in its diagnostics (including those the engine adds when it takes it).
#[derive(Debug)]
pub struct Read<T> {
    pub value: Option<T>,
    pub diags: Vec<Diagnostic>,
    pub rejected: bool,
    pub raw_id: Option<String>,
}

impl<T> Read<T> {
    fn with(raw_id: &Scalar, f: impl FnOnce(&mut FieldReader) -> Option<T>) -> Read<T> {
        let mut diags = Vec::new();
        let mut fr = FieldReader::new(&mut diags, String::new());
        let value = f(&mut fr);
        let rejected = fr.rejected;
        Read {
            value,
            diags,
            rejected,
            // Its first 64 characters; no more bytes than that means no more characters.
            raw_id: raw_id.as_str().map(|s| match s.len() {
                0..=64 => s.to_owned(),
                _ => s.chars().take(64).collect(),
            }),
        }
    }

    /// Hands what was read to `fr`, as the `read_*` function would have written it there.
    pub fn into_reader(mut self, fr: &mut FieldReader) -> Option<T> {
        fr.diags.append(&mut self.diags);
        fr.rejected |= self.rejected;
        self.value
    }
}

impl ReadRecord for Read<Company> {
    type Raw<'de> = RawCompany<'de>;
    type Ctx = ();
    fn read(r: RawCompany<'_>, _: ()) -> Self {
        let id = r.id.clone();
        Read::with(&id, |fr| read_company(r, fr))
    }
}

impl ReadRecord for Read<Vendor> {
    type Raw<'de> = RawVendor<'de>;
    type Ctx = ();
    fn read(r: RawVendor<'_>, _: ()) -> Self {
        let id = r.id.clone();
        Read::with(&id, |fr| read_vendor(r, fr))
    }
}

/// The local currency code of a `generalLedgerSetup` record (blank: `None`).
impl ReadRecord for Read<Option<String>> {
    type Raw<'de> = RawGlSetup<'de>;
    type Ctx = ();
    fn read(r: RawGlSetup<'_>, _: ()) -> Self {
        let id = r.id.clone();
        Read::with(&id, |fr| read_gl_setup(r, fr))
    }
}

impl ReadRecord for Read<Line> {
    type Raw<'de> = RawLine<'de>;
    type Ctx = ();
    fn read(r: RawLine<'_>, _: ()) -> Self {
        // A line's diagnostics are named by their path under the document, not by an id.
        Read::with(&Scalar::Missing, |fr| read_line(r, fr))
    }
}

impl ReadRecord for Read<Document> {
    type Raw<'de> = RawDocument<'de>;
    type Ctx = DocKind;
    fn read(r: RawDocument<'_>, kind: DocKind) -> Self {
        let id = r.id.clone();
        Read::with(&id, |fr| read_document(kind, r, fr))
    }
}

impl ReadRecord for Read<RawUserFields> {
    type Raw<'de> = RawUser<'de>;
    type Ctx = ();
    fn read(r: RawUser<'_>, _: ()) -> Self {
        let id = r.user_security_id.clone();
        Read::with(&id, |fr| read_user(r, fr))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An id is kept lower-cased and trimmed, borrowed or not; the empty GUID is no id.
    #[test]
    fn ids_read_the_same_whichever_way_they_take() {
        let g = "53f1e9dd-a77e-529c-a495-b4ed6002c87f";
        let upper = g.to_ascii_uppercase();
        let padded = format!(" {g} ");
        for (given, want) in [
            (g, Some(g)),
            (upper.as_str(), Some(g)),
            (padded.as_str(), Some(g)),
            (EMPTY_GUID, None),
            (
                "00000000-0000-0000-0000-00000000000g",
                Some("00000000-0000-0000-0000-00000000000g"),
            ),
            ("c1", Some("c1")),
        ] {
            let mut diags = Vec::new();
            let mut fr = FieldReader::new(&mut diags, String::new());
            let got = fr.guid("id", Scalar::Str(Cow::Borrowed(given)), true);
            assert_eq!(got.as_deref(), want, "{given:?}");
            assert_eq!(fr.rejected, want.is_none(), "{given:?}");
            assert_eq!(diags.len(), usize::from(want.is_none()), "{given:?}");
        }
    }
}

//! Diagnostics: what the core says about input it could not use as it was.
//!
//! A BC record that cannot be read (no `id`, an amount that is a string) is rejected with a
//! diagnostic naming the page, the record's index and id, and the field path; a record that can
//! be read but has a problem the admin should fix (a user without a contact e-mail) is kept and
//! flagged. Nothing is dropped silently: every rejected record is counted in [`Counts`].

//!
//! # Page-level errors
//! A page that cannot be read as records at all is refused with one error diagnostic that has
//! no `recordIndex`, and its result says `pageRejected`. Every code, with what the user does
//! about it, is in `CODES.md`; the page-level ones, and what to do:
//! - `PAGE_NOT_JSON`: the text is not JSON (a truncated or garbled body); fetch or save it again.
//! - `PAGE_ENCODING`: the text is UTF-16 (a file saved by a Windows editor or PowerShell);
//!   save it as UTF-8, which BC sends.
//! - `PAGE_BC_ERROR`: the body is BC's OData error (`{"error": {"code", "message"}}`), e.g. a
//!   failed request saved to a file; the message names BC's code and message: fix the request
//!   (entity name, permissions, company) and fetch the page again.
//! - `PAGE_CONTEXT_INVALID`: `@odata.context` cannot be read (unbalanced parentheses), so the
//!   entity is not guessed from it; give the entity explicitly or re-save the page.
//! - `PAGE_ENTITY_UNKNOWN`: no top-level `@odata.context` naming an entity this product reads;
//!   give the entity explicitly.
//! - `PAGE_NO_COMPANY`, `PAGE_NOT_OBJECT`, `PAGE_VALUE_NOT_ARRAY`, `PAGE_NO_VALUE`: not a BC
//!   collection response of one company.
//!
//! `AMOUNT_SUM_OVERFLOW` (error) is not a page error: a document whose amounts would take its
//! currency's totals beyond 922,337,203,685,477.5807 is left out of the transactions.

use crate::error::code_enum;
use serde::Serialize;
use std::collections::BTreeMap;

code_enum! {
    /// The `code` of a [`Diagnostic`] and of a report's quality issue.
    pub enum DiagnosticCode {
        AmountInvalid = "AMOUNT_INVALID",
        AmountMissing = "AMOUNT_MISSING",
        AmountSumOverflow = "AMOUNT_SUM_OVERFLOW",
        CompanyNameJoined = "COMPANY_NAME_JOINED",
        CompanyNameUnresolved = "COMPANY_NAME_UNRESOLVED",
        CurrencyInvalid = "CURRENCY_INVALID",
        CurrencyUnknown = "CURRENCY_UNKNOWN",
        DateFarFuture = "DATE_FAR_FUTURE",
        DateInvalid = "DATE_INVALID",
        DocumentLinesMissing = "DOCUMENT_LINES_MISSING",
        DocumentNoDate = "DOCUMENT_NO_DATE",
        FieldEmpty = "FIELD_EMPTY",
        FieldInvalid = "FIELD_INVALID",
        FieldMissing = "FIELD_MISSING",
        FieldWrongType = "FIELD_WRONG_TYPE",
        InvoiceNoLongerPaid = "INVOICE_NO_LONGER_PAID",
        LinesTotalMismatch = "LINES_TOTAL_MISMATCH",
        PageBcError = "PAGE_BC_ERROR",
        PageContextInvalid = "PAGE_CONTEXT_INVALID",
        PageEncoding = "PAGE_ENCODING",
        PageEntityUnknown = "PAGE_ENTITY_UNKNOWN",
        PageNotJson = "PAGE_NOT_JSON",
        PageNotObject = "PAGE_NOT_OBJECT",
        PageNotReadable = "PAGE_NOT_READABLE",
        PageNoCompany = "PAGE_NO_COMPANY",
        PageNoValue = "PAGE_NO_VALUE",
        PageValueNotArray = "PAGE_VALUE_NOT_ARRAY",
        RateMissing = "RATE_MISSING",
        RecordNotObject = "RECORD_NOT_OBJECT",
        RecordRejected = "RECORD_REJECTED",
        TextInvalidUtf8 = "TEXT_INVALID_UTF8",
        TextLoneSurrogate = "TEXT_LONE_SURROGATE",
        TextTruncated = "TEXT_TRUNCATED",
        TxAfterAsOf = "TX_AFTER_AS_OF",
        TxCurrencyUnknown = "TX_CURRENCY_UNKNOWN",
        TxZeroAmount = "TX_ZERO_AMOUNT",
        UserContactEmailUnavailable = "USER_CONTACT_EMAIL_UNAVAILABLE",
        UserDuplicatedEmail = "USER_DUPLICATED_EMAIL",
        UserInvalidContactEmail = "USER_INVALID_CONTACT_EMAIL",
        UserNoContactEmail = "USER_NO_CONTACT_EMAIL",
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Severity {
    /// Input was refused (a page or a record).
    Error,
    /// Input was used, but something about it is wrong or was changed (a truncated text).
    Warning,
    /// Worth knowing (an invoice that stopped being Paid was removed).
    Info,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Diagnostic {
    pub severity: Severity,
    /// Stable code, e.g. `FIELD_MISSING`, `AMOUNT_INVALID`, `USER_NO_CONTACT_EMAIL`.
    pub code: DiagnosticCode,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entity: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub company_id: Option<String>,
    /// Sequence number of the page within its entity and company (0-based), as added.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page: Option<u32>,
    /// Index of the record in the page's `value` array.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record_index: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record_id: Option<String>,
    /// Field path inside the record, e.g. `purchaseInvoiceLines/2/netAmount`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

impl Diagnostic {
    pub fn new(severity: Severity, code: DiagnosticCode, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity,
            code,
            message: message.into(),
            entity: None,
            company_id: None,
            page: None,
            record_index: None,
            record_id: None,
            path: None,
        }
    }
    pub fn error(code: DiagnosticCode, message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(Severity::Error, code, message)
    }
    pub fn warning(code: DiagnosticCode, message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(Severity::Warning, code, message)
    }
    pub fn info(code: DiagnosticCode, message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(Severity::Info, code, message)
    }
    pub fn path(mut self, p: impl Into<String>) -> Diagnostic {
        self.path = Some(p.into());
        self
    }
    pub fn record(mut self, index: usize, id: Option<&str>) -> Diagnostic {
        self.record_index = Some(index);
        self.record_id = id.map(str::to_owned);
        self
    }
}

/// Keeps diagnostics, up to a limit per code so a page of 20,000 broken records cannot flood
/// memory; beyond the limit only the count grows. Counts per code are always exact.
#[derive(Debug, Default, Clone)]
pub struct DiagnosticLog {
    items: Vec<Diagnostic>,
    per_code: BTreeMap<DiagnosticCode, u64>,
}

pub const KEEP_PER_CODE: u64 = 1000;

impl DiagnosticLog {
    pub fn push(&mut self, d: Diagnostic) {
        let n = self.per_code.entry(d.code).or_insert(0);
        *n += 1;
        if *n <= KEEP_PER_CODE {
            self.items.push(d);
        }
    }
    pub fn items(&self) -> &[Diagnostic] {
        &self.items
    }
    pub fn counts(&self) -> &BTreeMap<DiagnosticCode, u64> {
        &self.per_code
    }
    pub fn total(&self) -> u64 {
        self.per_code.values().sum()
    }
    /// Diagnostics counted but not kept because their code passed [`KEEP_PER_CODE`].
    pub fn suppressed(&self) -> u64 {
        self.total() - self.items.len() as u64
    }
    pub fn retain(&mut self, mut f: impl FnMut(&Diagnostic) -> bool) {
        let mut removed: BTreeMap<DiagnosticCode, u64> = BTreeMap::new();
        self.items.retain(|d| {
            let keep = f(d);
            if !keep {
                *removed.entry(d.code).or_insert(0) += 1;
            }
            keep
        });
        for (code, n) in removed {
            if let Some(c) = self.per_code.get_mut(&code) {
                *c -= n.min(*c);
                if *c == 0 {
                    self.per_code.remove(&code);
                }
            }
        }
    }
}

/// Record counts per entity. Invariant: `read == accepted + rejected`, and every accepted record
/// is either kept or accounted for by one of the other counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Counts {
    pub pages: u64,
    pub pages_rejected: u64,
    pub read: u64,
    pub accepted: u64,
    pub rejected: u64,
    /// Accepted, but not Paid (drafts, open, canceled invoices) or not posted.
    pub not_paid: u64,
    /// Accepted and Paid, but posted before the sync window starts.
    pub outside_window: u64,
    /// Accepted, but of a kind this configuration does not use (credit memos when off).
    pub disabled: u64,
    /// Accepted, but an equal or newer version of the same record was already held.
    pub stale: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_listed_in_the_order_of_their_strings() {
        // Maps keyed by code (counts per code, their JSON) sort by the derived `Ord`, which must
        // give the order the strings gave when codes were strings.
        let texts: Vec<&str> = DiagnosticCode::ALL.iter().map(|c| c.as_str()).collect();
        let mut sorted = texts.clone();
        sorted.sort_unstable();
        assert_eq!(texts, sorted);
        for c in DiagnosticCode::ALL {
            assert_eq!(DiagnosticCode::parse(c.as_str()), Some(*c));
            assert_eq!(serde_json::to_string(c).unwrap(), format!("\"{c}\""));
        }
    }
}

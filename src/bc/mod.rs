//! Business Central payloads: the entities read, their quirks, and the page reader.
//!
//! Pages arrive as BC returns them (`{"@odata.context", "value": [...], "@odata.nextLink"}`),
//! either as text (parsed here with `serde_json`) or as already-parsed JS objects (through
//! `serde-wasm-bindgen`, in `src/wasm.rs`); both go through the same lenient visitors
//! ([`lenient`]), so both paths give the same records and diagnostics.

pub mod enums;
pub mod lenient;
pub mod records;

use crate::diagnostics::Diagnostic;
use crate::diagnostics::DiagnosticCode;
pub use enums::LineType;
use lenient::Page;
use records::{Company, DocKind, Document, RawUserFields, Read, Vendor};
use serde::de::DeserializeSeed;
use serde::Deserializer;

/// The entity sets this product reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Entity {
    Companies,
    Vendors,
    GeneralLedgerSetup,
    PurchaseInvoices,
    PurchaseCreditMemos,
    Users,
}

impl Entity {
    pub const ALL: [Entity; 6] = [
        Entity::Companies,
        Entity::Vendors,
        Entity::GeneralLedgerSetup,
        Entity::PurchaseInvoices,
        Entity::PurchaseCreditMemos,
        Entity::Users,
    ];

    /// The entity set name as it appears in BC URLs (`purchaseInvoices`).
    pub fn as_str(self) -> &'static str {
        match self {
            Entity::Companies => "companies",
            Entity::Vendors => "vendors",
            Entity::GeneralLedgerSetup => "generalLedgerSetup",
            Entity::PurchaseInvoices => "purchaseInvoices",
            Entity::PurchaseCreditMemos => "purchaseCreditMemos",
            Entity::Users => "users",
        }
    }

    pub fn parse(name: &str) -> Option<Entity> {
        Entity::ALL
            .iter()
            .copied()
            .find(|e| e.as_str().eq_ignore_ascii_case(name))
    }

    /// Whether records of this entity belong to one company (all but `companies`).
    pub fn company_scoped(self) -> bool {
        self != Entity::Companies
    }
}

/// What an `@odata.context` URL says about a page: its entity set and, when the path names
/// one, the company (`.../$metadata#companies(ID)/purchaseInvoices(...)`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContextInfo {
    pub entity: Option<Entity>,
    pub entity_name: String,
    /// The company's id, lower-cased: `companies(ID)` or `companies('ID')`.
    pub company_id: Option<String>,
    /// The company named by its name instead, decoded (`companies('CRONUS%20UK%20Ltd.')`, a form
    /// some documentation shows): percent-encoding, then OData's doubled quotes.
    pub company_name: Option<String>,
}

/// [`try_parse_context`], with an unreadable context read as naming no entity (so that a page
/// is never read as an entity its context does not clearly name).
pub fn parse_context(context: &str) -> ContextInfo {
    try_parse_context(context).unwrap_or_else(|_| ContextInfo {
        entity: None,
        entity_name: String::new(),
        company_id: None,
        company_name: None,
    })
}

/// Reads an `@odata.context` URL: `$metadata#` then `/`-separated segments, each a name with
/// at most one parenthesised argument list at its end (`companies(ID)`, `purchaseInvoices(
/// purchaseInvoiceLines())`). Anything else (unbalanced parentheses, text after a closing one)
/// is refused with the reason, rather than guessed at.
pub fn try_parse_context(context: &str) -> Result<ContextInfo, &'static str> {
    let fragment = context.rsplit_once('#').map_or(context, |(_, f)| f);
    let (mut company_id, mut company_name) = (None, None);
    let mut last = "";
    for seg in split_top_level(fragment)? {
        let (name, args) = match seg.find('(') {
            Some(i) if seg.ends_with(')') => (&seg[..i], Some(&seg[i + 1..seg.len() - 1])),
            Some(_) => return Err("text follows a closing parenthesis"),
            None if seg.contains(')') => return Err("a parenthesis closes that was not opened"),
            None => (seg, None),
        };
        if name == "companies" {
            match args.and_then(company_of_argument) {
                Some(CompanyArgument::Id(id)) => company_id = Some(id),
                Some(CompanyArgument::Name(n)) => company_name = Some(n),
                None => {}
            }
        }
        if !name.starts_with('$') && !name.is_empty() {
            last = name;
        }
    }
    Ok(ContextInfo {
        entity: Entity::parse(last),
        entity_name: last.to_owned(),
        company_id,
        company_name,
    })
}

enum CompanyArgument {
    Id(String),
    Name(String),
}

/// What `companies(…)` holds: an id (a GUID, quoted or not, or any unquoted key), or a quoted
/// name that is no GUID. A key list (`a,b`) or an empty one names no company.
fn company_of_argument(arg: &str) -> Option<CompanyArgument> {
    let decoded = percent_decode(arg);
    let Some(quoted) = decoded.strip_prefix('\'') else {
        return (!arg.is_empty() && !arg.contains(','))
            .then(|| CompanyArgument::Id(arg.to_ascii_lowercase()));
    };
    let mut chars = quoted.chars().peekable();
    let mut value = String::new();
    loop {
        match chars.next()? {
            '\'' if chars.peek() == Some(&'\'') => {
                chars.next();
                value.push('\'');
            }
            '\'' => break,
            c => value.push(c),
        }
    }
    let trimmed = value.trim();
    if trimmed.is_empty() {
        None
    } else if is_guid_shaped(trimmed) {
        Some(CompanyArgument::Id(trimmed.to_ascii_lowercase()))
    } else {
        Some(CompanyArgument::Name(value))
    }
}

/// `%HH` escapes decoded as UTF-8 bytes (invalid sequences become U+FFFD); anything else kept.
pub(crate) fn percent_decode(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.contains('%') {
        return std::borrow::Cow::Borrowed(s);
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        match (
            b[i],
            b.get(i + 1).copied().and_then(hex),
            b.get(i + 2).copied().and_then(hex),
        ) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (c, _, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    std::borrow::Cow::Owned(String::from_utf8_lossy(&out).into_owned())
}

/// A BC id as it goes into a URL: a GUID, `8-4-4-4-12` hex digits, no braces.
pub fn is_guid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| {
            if [8, 13, 18, 23].contains(&i) {
                *c == b'-'
            } else {
                c.is_ascii_hexdigit()
            }
        })
}

/// [`is_guid`], braces allowed (`{8E1B…}`, as some tools print a GUID): an id, not a name.
pub fn is_guid_shaped(s: &str) -> bool {
    is_guid(
        s.strip_prefix('{')
            .and_then(|x| x.strip_suffix('}'))
            .unwrap_or(s),
    )
}

/// Splits on `/` outside parentheses (a `$select` list in the context holds none, but an
/// expand like `purchaseInvoices(purchaseInvoiceLines(id,description))` nests); refuses
/// unbalanced parentheses.
fn split_top_level(s: &str) -> Result<Vec<&str>, &'static str> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut start = 0;
    let mut quoted = false;
    for (i, c) in s.char_indices() {
        match c {
            // A quoted key (a company's name) may hold parentheses and slashes; OData doubles a
            // quote inside one, which toggles twice.
            '\'' => quoted = !quoted,
            _ if quoted => {}
            '(' => depth += 1,
            ')' if depth == 0 => return Err("a parenthesis closes that was not opened"),
            ')' => depth -= 1,
            '/' if depth == 0 => {
                out.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    if depth != 0 {
        return Err("a parenthesis is not closed");
    }
    out.push(&s[start..]);
    Ok(out)
}

/// Finds the page's own `@odata.context` in its text without parsing the page: the value of
/// that key in the top-level object, not one inside a record. BC writes it first, so the scan
/// usually stops there; without one it walks the top level to the end, skipping nested values
/// by bracket depth. `None` when there is none, it is not a string, or the text is not a JSON
/// object (the parse that follows reports that).
pub fn sniff_context(text: &str) -> Option<String> {
    let b = text.as_bytes();
    let ws = |mut i: usize| {
        while matches!(b.get(i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            i += 1;
        }
        i
    };
    let mut i = ws(0);
    if b.get(i) != Some(&b'{') {
        return None;
    }
    i += 1;
    loop {
        i = ws(i);
        if b.get(i) != Some(&b'"') {
            return None;
        }
        let key_end = json_string_end(b, i)?;
        let key = &text[i..key_end];
        i = ws(key_end);
        if b.get(i) != Some(&b':') {
            return None;
        }
        i = ws(i + 1);
        let value_end = json_value_end(b, i)?;
        let is_context = key == "\"@odata.context\""
            || (key.contains('\\')
                && serde_json::from_str::<String>(key).is_ok_and(|k| k == "@odata.context"));
        if is_context {
            return serde_json::from_str::<String>(&text[i..value_end]).ok();
        }
        i = ws(value_end);
        match b.get(i) {
            Some(b',') => i += 1,
            _ => return None,
        }
    }
}

/// The index after the JSON string starting at `b[i] == '"'`.
fn json_string_end(b: &[u8], i: usize) -> Option<usize> {
    let mut j = i + 1;
    loop {
        match b.get(j)? {
            b'\\' => j += 2,
            b'"' => return Some(j + 1),
            _ => j += 1,
        }
    }
}

/// The index after the JSON value starting at `b[i]`, found by bracket depth (strings skipped
/// whole) without validating it.
fn json_value_end(b: &[u8], i: usize) -> Option<usize> {
    match b.get(i)? {
        b'"' => json_string_end(b, i),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut j = i;
            loop {
                match b.get(j)? {
                    b'"' => {
                        j = json_string_end(b, j)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(j + 1);
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
        }
        _ => {
            let mut j = i;
            while !matches!(
                b.get(j),
                None | Some(b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r')
            ) {
                j += 1;
            }
            (j > i).then_some(j)
        }
    }
}

/// The UTF-16 or UTF-32 encoding a page's text was written in, if it was, judged from its first
/// bytes: a byte-order mark (as bytes, or as the two U+FFFD a UTF-8 decoder makes of one), or
/// NULs next to the first character. JSON text never holds a raw NUL, so the pattern cannot be a UTF-8 page.
pub fn utf16_encoding(bytes: &[u8]) -> Option<&'static str> {
    const LOSSY_BOM: &[u8] = "\u{FFFD}\u{FFFD}".as_bytes();
    // UTF-32's byte-order marks begin with UTF-16's: they are told apart first.
    if bytes.starts_with(b"\xFF\xFE\0\0") {
        return Some("UTF-32LE");
    }
    if bytes.starts_with(b"\0\0\xFE\xFF")
        || bytes
            .strip_prefix(b"\0\0")
            .is_some_and(|b| b.starts_with(LOSSY_BOM))
    {
        return Some("UTF-32BE");
    }
    if bytes.starts_with(b"\xFF\xFE") {
        return Some("UTF-16LE");
    }
    if bytes.starts_with(b"\xFE\xFF") {
        return Some("UTF-16BE");
    }
    let rest = bytes
        .strip_prefix(LOSSY_BOM)
        .or_else(|| bytes.strip_prefix(UTF8_BOM))
        .unwrap_or(bytes);
    match rest {
        [a, 0, 0, 0, ..] if *a != 0 => Some("UTF-32LE"),
        // A UTF-32LE mark decoded as UTF-8 leaves its two NULs behind the two U+FFFD.
        [0, 0, a, 0, ..] if *a != 0 && rest.len() < bytes.len() => Some("UTF-32LE"),
        [0, 0, 0, a, ..] if *a != 0 => Some("UTF-32BE"),
        [a, 0, ..] if *a != 0 => Some("UTF-16LE"),
        [0, a, ..] if *a != 0 => Some("UTF-16BE"),
        _ => None,
    }
}

/// Why a page was refused as a whole: the entity it was read as, when known, and the diagnostic.
#[derive(Debug, Clone)]
pub struct PageRefusal {
    pub entity: Option<Entity>,
    /// Boxed: a refusal is the cold path, and a `Diagnostic` is large for a `Result`'s error.
    pub diagnostic: Box<Diagnostic>,
}

/// `PAGE_ENTITY_UNKNOWN` for a page with no `@odata.context` and no entity given.
pub fn entity_unknown() -> Diagnostic {
    Diagnostic::error(DiagnosticCode::PageEntityUnknown, "cannot tell which entity this page holds: no recognised `@odata.context`; give the entity explicitly")
}

/// The entity a page's own (top-level) `@odata.context` names, or the page-level diagnostic
/// that says why it names none: `PAGE_ENTITY_UNKNOWN` for an entity bc-spend does not read,
/// `PAGE_CONTEXT_INVALID` for a context that cannot be read (rather than a guess at it).
pub fn entity_of_context(context: &str) -> Result<Entity, Box<Diagnostic>> {
    match try_parse_context(context) {
        Ok(ContextInfo { entity: Some(e), .. }) => Ok(e),
        Ok(info) => Err(Box::new(Diagnostic::error(DiagnosticCode::PageEntityUnknown, format!("cannot tell which entity this page holds: its `@odata.context` names {:?}, which is not read; give the entity explicitly", cut(&info.entity_name, 100))))),
        Err(why) => Err(Box::new(Diagnostic::error(DiagnosticCode::PageContextInvalid, format!("the page's `@odata.context` cannot be read ({why}): {:?}", cut(context, 300))))),
    }
}

/// Reads a page's text as `entity`, or as the entity its own `@odata.context` names: the page,
/// its entity, and how many lone-surrogate escapes were repaired ([`read_page_text`]). A page
/// that cannot be read as records at all is refused with one page-level error diagnostic:
/// `PAGE_ENCODING` (UTF-16 text), `PAGE_CONTEXT_INVALID` (an unreadable `@odata.context`),
/// `PAGE_ENTITY_UNKNOWN`, `PAGE_NOT_JSON`, or `PAGE_BC_ERROR` (BC's OData error body).
pub fn read_page(
    entity: Option<Entity>,
    text: &str,
) -> Result<(Entity, RawPage, usize), PageRefusal> {
    let refuse = |entity, diagnostic| {
        Err(PageRefusal {
            entity,
            diagnostic: Box::new(diagnostic),
        })
    };
    if let Some(encoding) = utf16_encoding(text.as_bytes()) {
        return refuse(
            entity,
            Diagnostic::error(
                DiagnosticCode::PageEncoding,
                format!(
                    "the page is {encoding} text; save it as UTF-8 (as Business Central sends it)"
                ),
            ),
        );
    }
    let entity = match entity {
        Some(e) => e,
        None => match sniff_context(text) {
            Some(context) => match entity_of_context(&context) {
                Ok(e) => e,
                Err(d) => return refuse(None, *d),
            },
            None => return refuse(None, bc_error_body(text).unwrap_or_else(entity_unknown)),
        },
    };
    match read_page_text(entity, text) {
        Ok((page, repaired)) => match page.bc_error() {
            Some(d) => refuse(Some(entity), d),
            None => Ok((entity, page, repaired)),
        },
        Err(e) => refuse(
            Some(entity),
            Diagnostic::error(
                DiagnosticCode::PageNotJson,
                format!(
                    "the page is not valid JSON: {} (line {}, column {})",
                    e.message, e.line, e.column
                ),
            ),
        ),
    }
}

/// The `PAGE_BC_ERROR` diagnostic of a text that is BC's OData error body, read as any entity.
fn bc_error_body(text: &str) -> Option<Diagnostic> {
    read_page_text(Entity::Companies, text).ok()?.0.bc_error()
}

/// `s`, cut to at most `max` characters.
fn cut(s: &str, max: usize) -> &str {
    s.char_indices().nth(max).map_or(s, |(i, _)| &s[..i])
}

/// A page read into records of its entity, each read as soon as its object ended
/// ([`lenient::ReadRecord`]): nothing in it borrows from the page's text.
#[derive(Debug)]
pub enum RawPage {
    Companies(Page<Read<Company>>),
    Vendors(Page<Read<Vendor>>),
    /// Each record's local currency code.
    GeneralLedgerSetup(Page<Read<Option<String>>>),
    /// Boxed: a documents page's header holds more fields than the other entities'.
    Documents(Box<Page<Read<Document>>>),
    Users(Page<Read<RawUserFields>>),
}

impl RawPage {
    pub fn context(&self) -> Option<&str> {
        match self {
            RawPage::Companies(p) => p.context.as_deref(),
            RawPage::Vendors(p) => p.context.as_deref(),
            RawPage::GeneralLedgerSetup(p) => p.context.as_deref(),
            RawPage::Documents(p) => p.context.as_deref(),
            RawPage::Users(p) => p.context.as_deref(),
        }
    }
    pub fn next_link(&self) -> Option<&str> {
        match self {
            RawPage::Companies(p) => p.next_link.as_deref(),
            RawPage::Vendors(p) => p.next_link.as_deref(),
            RawPage::GeneralLedgerSetup(p) => p.next_link.as_deref(),
            RawPage::Documents(p) => p.next_link.as_deref(),
            RawPage::Users(p) => p.next_link.as_deref(),
        }
    }

    /// The `PAGE_BC_ERROR` diagnostic when the page is BC's OData error body
    /// (`{"error": {"code", "message"}}`, what a failed request answers, e.g. saved by hand)
    /// instead of a collection: it holds no records, and reading it as one would invent some.
    pub fn bc_error(&self) -> Option<Diagnostic> {
        fn of<T>(p: &Page<T>) -> Option<&lenient::BcError> {
            p.error
                .as_ref()
                .filter(|_| matches!(p.value, lenient::Records::Missing))
        }
        let e = match self {
            RawPage::Companies(p) => of(p),
            RawPage::Vendors(p) => of(p),
            RawPage::GeneralLedgerSetup(p) => of(p),
            RawPage::Documents(p) => of(p),
            RawPage::Users(p) => of(p),
        }?;
        let code = e.code.as_str().map_or("(no code)", |c| cut(c, 100));
        let message = e.message.as_str().map_or("(no message)", |m| cut(m, 500));
        Some(Diagnostic::error(
            DiagnosticCode::PageBcError,
            format!("the page is an error from Business Central, not records: {code}: {message}"),
        ))
    }

    /// The page's [`PageEnvelope`], from this one parse; `None` when the text was a JSON
    /// scalar rather than an object or array.
    pub fn envelope(&self) -> Option<PageEnvelope> {
        fn of<T>(p: &Page<T>) -> Option<PageEnvelope> {
            match p.not_object {
                Some("an array") => Some(PageEnvelope::default()),
                Some(_) => None,
                None => Some(PageEnvelope {
                    next_link: p.next_link.clone(),
                    next_link_invalid: p.next_link_invalid,
                    count: p.count,
                    records: match &p.value {
                        lenient::Records::List(l) => Some(l.len() as u64),
                        _ => None,
                    },
                    latest_posting: None,
                }),
            }
        }
        match self {
            RawPage::Companies(p) => of(p),
            RawPage::Vendors(p) => of(p),
            RawPage::GeneralLedgerSetup(p) => of(p),
            RawPage::Documents(p) => of(p.as_ref()).map(|mut e| {
                e.latest_posting = latest_posting(&p.value);
                e
            }),
            RawPage::Users(p) => of(p),
        }
    }
}

/// Reads a page of `entity` from any serde deserializer (`serde_json` or `serde-wasm-bindgen`).
pub fn read_raw_page<'de, D: Deserializer<'de>>(entity: Entity, d: D) -> Result<RawPage, D::Error> {
    use lenient::PageSeed;
    use serde::Deserialize;
    Ok(match entity {
        Entity::Companies => RawPage::Companies(Page::deserialize(d)?),
        Entity::Vendors => RawPage::Vendors(Page::deserialize(d)?),
        Entity::GeneralLedgerSetup => RawPage::GeneralLedgerSetup(Page::deserialize(d)?),
        Entity::PurchaseInvoices => {
            RawPage::Documents(Box::new(PageSeed(DocKind::Invoice).deserialize(d)?))
        }
        Entity::PurchaseCreditMemos => {
            RawPage::Documents(Box::new(PageSeed(DocKind::CreditMemo).deserialize(d)?))
        }
        Entity::Users => RawPage::Users(Page::deserialize(d)?),
    })
}

/// Why a page's text could not be read at all.
#[derive(Debug, Clone, PartialEq)]
pub struct PageTextError {
    pub message: String,
    pub line: usize,
    pub column: usize,
}

/// Reads a page from text. JSON that escapes a lone UTF-16 surrogate (`"\ud800"`, which
/// `JSON.stringify` writes for such JS strings) is not valid Unicode; such escapes are
/// replaced by U+FFFD and the page read again, and `repaired` counts them.
pub fn read_page_text(entity: Entity, text: &str) -> Result<(RawPage, usize), PageTextError> {
    let first = {
        let mut de = serde_json::Deserializer::from_str(text);
        read_raw_page(entity, &mut de).and_then(|p| de.end().map(|_| p))
    };
    match first {
        Ok(p) => Ok((p, 0)),
        Err(e) => {
            // serde_json words this error several ways; look for the escapes instead.
            let (fixed, n) = replace_lone_surrogate_escapes(text);
            if n == 0 {
                return Err(to_text_error(e));
            }
            let mut de = serde_json::Deserializer::from_str(&fixed);
            read_raw_page(entity, &mut de)
                .and_then(|p| de.end().map(|_| p))
                .map(|p| (p, n))
                .map_err(to_text_error)
        }
    }
}

fn to_text_error(e: serde_json::Error) -> PageTextError {
    let msg = e.to_string();
    // serde_json appends " at line L column C"; keep the message without it.
    let message = msg
        .rsplit_once(" at line ")
        .map_or(msg.as_str(), |(m, _)| m)
        .to_owned();
    PageTextError {
        message,
        line: e.line(),
        column: e.column(),
    }
}

/// A response body as text, read as `TextDecoder` (and so `Response.text()`) reads it: UTF-8,
/// after a byte-order mark if there is one, with each invalid sequence replaced by U+FFFD.
/// Returns the text and whether anything was replaced; not for UTF-16 text, which is not
/// invalid UTF-8 to repair but a page in another encoding ([`read_page`] refuses it whole,
/// and can still tell it from the text). Takes the bytes by value so that valid UTF-8 (every
/// BC page) becomes the text without a copy.
pub fn body_text(mut bytes: Vec<u8>) -> (String, bool) {
    if bytes.starts_with(UTF8_BOM) {
        bytes.drain(..UTF8_BOM.len());
    }
    match String::from_utf8(bytes) {
        Ok(text) => (text, false),
        Err(e) => {
            let utf16 = utf16_encoding(e.as_bytes()).is_some();
            (String::from_utf8_lossy(e.as_bytes()).into_owned(), !utf16)
        }
    }
}

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// Whether UTF-8 text holds U+FFFD (bytes EF BF BD), the character a JS-to-UTF-8 conversion
/// puts in place of a lone surrogate. Eight bytes a step (`str::contains` with a non-ASCII
/// `char` runs a two-way string search, which cost ~2 ms per 3.8 MB page in wasm).
pub fn has_replacement_char(text: &[u8]) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let at = |i: usize| text[i..].starts_with(&[0xEF, 0xBF, 0xBD]);
    let mut chunks = text.chunks_exact(8);
    let mut base = 0;
    for c in chunks.by_ref() {
        // A zero byte in `w` is an 0xEF byte in the chunk (the classic "has zero byte" test).
        let w = u64::from_le_bytes(c.try_into().expect("8 bytes")) ^ (0xEF * ONES);
        if w.wrapping_sub(ONES) & !w & HIGHS != 0 && (base..base + 8).any(at) {
            return true;
        }
        base += 8;
    }
    (base..text.len()).any(at)
}

/// Replaces `\uD800`-`\uDFFF` escapes that are not part of a valid pair with `\uFFFD`.
pub fn replace_lone_surrogate_escapes(text: &str) -> (String, usize) {
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut count = 0;
    let mut i = 0;
    let mut last = 0;
    let hex = |j: usize| -> Option<u16> {
        let s = text.get(j..j + 4)?;
        if s.bytes().all(|c| c.is_ascii_hexdigit()) {
            u16::from_str_radix(s, 16).ok()
        } else {
            None
        }
    };
    while i + 1 < b.len() {
        if b[i] == b'\\' {
            if b[i + 1] == b'u' {
                if let Some(u) = hex(i + 2) {
                    if (0xD800..0xDC00).contains(&u) {
                        let pair = b.get(i + 6) == Some(&b'\\')
                            && b.get(i + 7) == Some(&b'u')
                            && hex(i + 8).is_some_and(|l| (0xDC00..0xE000).contains(&l));
                        if pair {
                            i += 12;
                            continue;
                        }
                    }
                    if (0xD800..0xE000).contains(&u) {
                        out.push_str(&text[last..i]);
                        out.push_str("\\uFFFD");
                        count += 1;
                        i += 6;
                        last = i;
                        continue;
                    }
                }
            }
            i += 2;
            continue;
        }
        i += 1;
    }
    out.push_str(&text[last..]);
    (out, count)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replacement_char_is_found_at_every_offset_and_only_when_whole() {
        assert!(!has_replacement_char(b""));
        assert!(!has_replacement_char(
            "plain ASCII text of some length".as_bytes()
        ));
        for pad in 0..20 {
            let s = format!("{}\u{FFFD}{}", "a".repeat(pad), "b".repeat(pad % 7));
            assert!(has_replacement_char(s.as_bytes()), "offset {pad}");
            // Other characters that start with 0xEF, and a truncated sequence, are not U+FFFD.
            let other = format!("{}\u{FFFC}\u{F8FF}{}", "a".repeat(pad), "b".repeat(pad % 5));
            assert!(!has_replacement_char(other.as_bytes()), "offset {pad}");
            let mut cut = "a".repeat(pad).into_bytes();
            cut.extend_from_slice(&[0xEF, 0xBF]);
            assert!(!has_replacement_char(&cut), "offset {pad}");
        }
    }

    #[test]
    fn context_parsing() {
        let c = parse_context("https://api.businesscentral.dynamics.com/v2.0/t/production/api/v2.0/$metadata#companies(8e1b3ef6-9c3e-ef11-8409-000d3a7e3f1c)/purchaseInvoices(purchaseInvoiceLines())");
        assert_eq!(c.entity, Some(Entity::PurchaseInvoices));
        assert_eq!(
            c.company_id.as_deref(),
            Some("8e1b3ef6-9c3e-ef11-8409-000d3a7e3f1c")
        );
        assert_eq!(
            parse_context("https://x/api/v2.0/$metadata#companies").entity,
            Some(Entity::Companies)
        );
        assert_eq!(
            parse_context("x/$metadata#companies(ABC)/users").entity,
            Some(Entity::Users)
        );
        assert_eq!(
            parse_context("x/$metadata#companies(ABC)/purchaseInvoices/$entity").entity,
            Some(Entity::PurchaseInvoices)
        );
        assert_eq!(
            parse_context("x/$metadata#companies(ABC)/salesInvoices").entity,
            None
        );
        assert_eq!(
            parse_context(
                "x/$metadata#companies(ABC)/purchaseInvoices(purchaseInvoiceLines(id,description))"
            )
            .entity,
            Some(Entity::PurchaseInvoices)
        );
        for bad in [
            "x/$metadata#companies(((((/purchaseInvoices",
            "x/$metadata#companies(a))/users",
            "x/$metadata#companies(a)b/users",
            "x/$metadata#companies)/users",
        ] {
            assert!(try_parse_context(bad).is_err(), "{bad}");
            assert_eq!(parse_context(bad).entity, None, "{bad}");
        }
    }

    #[test]
    fn only_the_top_level_context_is_sniffed() {
        assert_eq!(
            sniff_context(
                r#"{"value":[{"@odata.context":"n#companies"}],"@odata.context":"t#users"}"#
            )
            .as_deref(),
            Some("t#users")
        );
        assert_eq!(
            sniff_context(
                r#"{"a":{"@odata.context":"n"},"b":"\"@odata.context\":\"s\"","c":[1,"]"],"d":-1.5e3,"e":true}"#
            ),
            None
        );
        assert_eq!(
            sniff_context(r#"{"@odata\u002econtext":"t#users"}"#).as_deref(),
            Some("t#users")
        );
        assert_eq!(sniff_context(r#"["@odata.context","x"]"#), None);
        assert_eq!(sniff_context(r#"{"a":[1,2"#), None);
    }

    #[test]
    fn utf16_is_told_from_its_first_bytes() {
        assert_eq!(utf16_encoding(b"\xFF\xFE{\0"), Some("UTF-16LE"));
        assert_eq!(utf16_encoding(b"\xFE\xFF\0{"), Some("UTF-16BE"));
        assert_eq!(utf16_encoding(b"{\0\"\0"), Some("UTF-16LE"));
        assert_eq!(utf16_encoding(b"\0{\0\""), Some("UTF-16BE"));
        assert_eq!(
            utf16_encoding("\u{FFFD}\u{FFFD}\0{".as_bytes()),
            Some("UTF-16BE")
        );
        assert_eq!(utf16_encoding("\u{FEFF}{\0".as_bytes()), Some("UTF-16LE"));
        for utf8 in [
            &b"{\"value\":[]}"[..],
            b"",
            b"{",
            b"\0\0",
            "\u{FFFD}{".as_bytes(),
        ] {
            assert_eq!(utf16_encoding(utf8), None, "{utf8:?}");
        }
    }

    #[test]
    fn sniffing() {
        assert_eq!(
            sniff_context(r#"{ "@odata.context" : "a\/b#companies", "value": []}"#).as_deref(),
            Some("a/b#companies")
        );
        assert_eq!(sniff_context(r#"{"value": []}"#), None);
        assert_eq!(sniff_context(r#"{"@odata.context": 5}"#), None);
    }

    #[test]
    fn lone_surrogates() {
        let (s, n) = replace_lone_surrogate_escapes(
            r#"{"a":"x\ud800y","b":"\ud83d\ude00","c":"\\ud800","d":"\udc00"}"#,
        );
        assert_eq!(n, 2);
        assert_eq!(
            s,
            r#"{"a":"x\uFFFDy","b":"\ud83d\ude00","c":"\\ud800","d":"\uFFFD"}"#
        );
        let (page, repaired) = read_page_text(
            Entity::Companies,
            r#"{"value":[{"id":"a","name":"x\ud800"}]}"#,
        )
        .unwrap();
        assert_eq!(repaired, 1);
        assert!(matches!(page, RawPage::Companies(_)));
    }
}

/// The latest `postingDate` of a page of documents, when every record of it has one (a record
/// that is not an object, was rejected, or has no posting date makes it unknown: the sync
/// then never splits the read at a date, see `src/sync/mod.rs`).
fn latest_posting(value: &lenient::Records<Read<Document>>) -> Option<crate::date::Date> {
    let lenient::Records::List(list) = value else {
        return None;
    };
    let mut latest = None;
    for r in list {
        let lenient::Record::Object(Read { value: Some(d), .. }) = r else {
            return None;
        };
        latest = latest.max(Some(d.posting_date?));
    }
    latest
}

/// What a sync needs to know of a page before the engine adds it: its paging links and how
/// many records it holds ([`RawPage::envelope`], from the engine's one parse of the page).
#[derive(Debug, Default, Clone, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PageEnvelope {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_link: Option<String>,
    /// `@odata.nextLink` is there but not a string (or null).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub next_link_invalid: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
    /// The length of `value`, when it is an array.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub records: Option<u64>,
    /// Documents only: the latest `postingDate` of the page's records, when every record has
    /// one (what the sync plan needs to split a read at a date it has not reached).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latest_posting: Option<crate::date::Date>,
}

#[cfg(test)]
mod context_tests {
    use super::*;

    #[test]
    fn company_names_in_contexts() {
        let name = |c: &str| parse_context(c).company_name;
        assert_eq!(
            name("https://x/api/v2.0/$metadata#companies('CRONUS%20UK%20Ltd.')/purchaseInvoices")
                .as_deref(),
            Some("CRONUS UK Ltd.")
        );
        assert_eq!(
            name("x/$metadata#companies(%27Bob%27%27s%20Caf%C3%A9%27)/users").as_deref(),
            Some("Bob's Café")
        );
        assert_eq!(
            name("x/$metadata#companies('A'')B')/vendors").as_deref(),
            Some("A')B")
        );
        assert_eq!(
            name("x/$metadata#companies(8e1b3ef6-9c3e-ef11-8409-000d3a7e3f1c)/vendors"),
            None
        );
        assert_eq!(
            name("x/$metadata#companies('8E1B3EF6-9C3E-EF11-8409-000D3A7E3F1C')/vendors"),
            None
        );
        assert_eq!(name("x/$metadata#companies"), None);
        assert_eq!(name("x/$metadata#companies('')/vendors"), None);
        assert_eq!(name("x/$metadata#companies('unterminated"), None);
        assert_eq!(name("x/$metadata#mycompanies('X')/vendors"), None);
    }

    #[test]
    fn guid_shapes() {
        assert!(is_guid_shaped("8e1b3ef6-9c3e-ef11-8409-000d3a7e3f1c"));
        assert!(is_guid_shaped("{8E1B3EF6-9C3E-EF11-8409-000D3A7E3F1C}"));
        assert!(!is_guid_shaped("c1"));
        assert!(!is_guid_shaped("8e1b3ef6x9c3e-ef11-8409-000d3a7e3f1c"));
        assert!(!is_guid_shaped("cronus uk ltd."));
    }

    #[test]
    fn company_ids_in_contexts() {
        let id = |c: &str| parse_context(c).company_id;
        assert_eq!(
            id("x/$metadata#companies(8E1B3EF6-9C3E-EF11-8409-000D3A7E3F1C)/vendors").as_deref(),
            Some("8e1b3ef6-9c3e-ef11-8409-000d3a7e3f1c")
        );
        assert_eq!(
            id("x/$metadata#companies('8e1b3ef6-9c3e-ef11-8409-000d3a7e3f1c')/vendors").as_deref(),
            Some("8e1b3ef6-9c3e-ef11-8409-000d3a7e3f1c")
        );
        assert_eq!(
            id("x/$metadata#companies(c1)/vendors").as_deref(),
            Some("c1")
        );
        assert_eq!(
            id("x/$metadata#companies('CRONUS%20UK%20Ltd.')/vendors"),
            None,
            "a name is not an id"
        );
    }
}

#[cfg(test)]
mod envelope_tests {
    use super::*;

    fn latest(entity: Entity, value: &str) -> Option<String> {
        let text = format!(r#"{{"value":[{value}],"@odata.count":9}}"#);
        let e = read_page_text(entity, &text).unwrap().0.envelope().unwrap();
        assert_eq!(e.count, Some(9));
        e.latest_posting.map(|d| d.to_string())
    }

    #[test]
    fn the_latest_posting_date_of_a_page_of_documents() {
        let doc = |id: &str, posted: &str| {
            format!(
                r#"{{"id":"aaaaaaaa-0000-0000-0000-00000000000{id}","number":"N{id}","postingDate":"{posted}","status":"Paid","totalAmountExcludingTax":1,"totalAmountIncludingTax":1}}"#
            )
        };
        let page = [
            doc("1", "2026-01-05"),
            doc("2", "2026-03-01"),
            doc("3", "2026-02-10"),
        ]
        .join(",");
        assert_eq!(
            latest(Entity::PurchaseInvoices, &page).as_deref(),
            Some("2026-03-01")
        );
        assert_eq!(
            latest(Entity::PurchaseCreditMemos, &page).as_deref(),
            Some("2026-03-01")
        );
        // A record without a posting date, or not a record: unknown.
        let page = [
            doc("1", "2026-01-05"),
            r#"{"id":"aaaaaaaa-0000-0000-0000-000000000002","number":"N2","status":"Paid"}"#.into(),
        ]
        .join(",");
        assert_eq!(latest(Entity::PurchaseInvoices, &page), None);
        let page = [doc("1", "2026-01-05"), "7".into()].join(",");
        assert_eq!(latest(Entity::PurchaseInvoices, &page), None);
        // Not documents, or none.
        assert_eq!(
            latest(
                Entity::Vendors,
                r#"{"id":"v","number":"V1","displayName":"X"}"#
            ),
            None
        );
        assert_eq!(latest(Entity::PurchaseInvoices, ""), None);
        // The engine's envelope, what the host hands the plan, says it as a date.
        let text = format!(r#"{{"value":[{}]}}"#, doc("1", "2026-01-05"));
        let e = read_page_text(Entity::PurchaseInvoices, &text)
            .unwrap()
            .0
            .envelope()
            .unwrap();
        assert_eq!(
            serde_json::to_string(&e).unwrap(),
            r#"{"records":1,"latestPosting":"2026-01-05"}"#
        );
    }
}

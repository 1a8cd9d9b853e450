//! Business Central payloads: the entities read, their quirks, and the page reader.
//!
//! Pages arrive as BC returns them (`{"@odata.context", "value": [...], "@odata.nextLink"}`),
//! either as text (parsed here with `serde_json`) or as already-parsed JS objects (through
//! `serde-wasm-bindgen`, in `src/wasm.rs`); both go through the same lenient visitors
//! ([`lenient`]), so both paths give the same records and diagnostics.

pub mod enums;
pub mod lenient;
pub mod records;

pub use enums::LineType;
use lenient::Page;
use records::{RawCompany, RawDocument, RawGlSetup, RawUser, RawVendor};
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
        Entity::ALL.iter().copied().find(|e| e.as_str().eq_ignore_ascii_case(name))
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
    pub company_id: Option<String>,
}

pub fn parse_context(context: &str) -> ContextInfo {
    let fragment = context.rsplit_once('#').map_or(context, |(_, f)| f);
    let mut company_id = None;
    let mut last = "";
    for seg in split_top_level(fragment) {
        let (name, args) = match seg.find('(') {
            Some(i) => (&seg[..i], Some(seg[i + 1..].trim_end_matches(')'))),
            None => (seg, None),
        };
        if name == "companies" {
            if let Some(a) = args {
                let a = a.trim_matches('\'');
                if !a.is_empty() && !a.contains(',') {
                    company_id = Some(a.to_ascii_lowercase());
                }
            }
        }
        if !name.starts_with('$') && !name.is_empty() {
            last = name;
        }
    }
    ContextInfo { entity: Entity::parse(last), entity_name: last.to_owned(), company_id }
}

/// Splits on `/` outside parentheses (a `$select` list in the context holds none, but an
/// expand like `purchaseInvoices(purchaseInvoiceLines(id,description))` nests).
fn split_top_level(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut start = 0;
    for (i, c) in s.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            '/' if depth == 0 => {
                out.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&s[start..]);
    out
}

/// Finds the `@odata.context` value in a page's text without parsing the page (BC writes it
/// first; the scan stops at the first match).
pub fn sniff_context(text: &str) -> Option<String> {
    const KEY: &str = "\"@odata.context\"";
    let at = text.find(KEY)? + KEY.len();
    let rest = text[at..].trim_start();
    let rest = rest.strip_prefix(':')?.trim_start();
    if !rest.starts_with('"') {
        return None;
    }
    let bytes = rest.as_bytes();
    let mut i = 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' => return serde_json::from_str::<String>(&rest[..=i]).ok(),
            _ => i += 1,
        }
    }
    None
}

/// A page read into raw records of its entity.
#[derive(Debug)]
pub enum RawPage {
    Companies(Page<RawCompany>),
    Vendors(Page<RawVendor>),
    GeneralLedgerSetup(Page<RawGlSetup>),
    Documents(Page<RawDocument>),
    Users(Page<RawUser>),
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

    /// The [`PageEnvelope`] [`page_envelope`] reads from the same text, from this one parse;
    /// `None` when the text was a JSON scalar rather than an object or array.
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
                }),
            }
        }
        match self {
            RawPage::Companies(p) => of(p),
            RawPage::Vendors(p) => of(p),
            RawPage::GeneralLedgerSetup(p) => of(p),
            RawPage::Documents(p) => of(p),
            RawPage::Users(p) => of(p),
        }
    }
}

/// Reads a page of `entity` from any serde deserializer (`serde_json` or `serde-wasm-bindgen`).
pub fn read_raw_page<'de, D: Deserializer<'de>>(entity: Entity, d: D) -> Result<RawPage, D::Error> {
    use serde::Deserialize;
    Ok(match entity {
        Entity::Companies => RawPage::Companies(Page::deserialize(d)?),
        Entity::Vendors => RawPage::Vendors(Page::deserialize(d)?),
        Entity::GeneralLedgerSetup => RawPage::GeneralLedgerSetup(Page::deserialize(d)?),
        Entity::PurchaseInvoices | Entity::PurchaseCreditMemos => RawPage::Documents(Page::deserialize(d)?),
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
    let message = msg.rsplit_once(" at line ").map_or(msg.as_str(), |(m, _)| m).to_owned();
    PageTextError { message, line: e.line(), column: e.column() }
}

/// A response body as text, read as `TextDecoder` (and so `Response.text()`) reads it: UTF-8,
/// after a byte-order mark if there is one, with each invalid sequence replaced by U+FFFD.
/// Returns the text and whether anything was replaced. Takes the bytes by value so that valid
/// UTF-8 (every BC page) becomes the text without a copy.
pub fn body_text(mut bytes: Vec<u8>) -> (String, bool) {
    if bytes.starts_with(UTF8_BOM) {
        bytes.drain(..UTF8_BOM.len());
    }
    match String::from_utf8(bytes) {
        Ok(text) => (text, false),
        Err(e) => (String::from_utf8_lossy(e.as_bytes()).into_owned(), true),
    }
}

/// [`page_envelope`] of a body given as bytes, read as [`body_text`] reads it.
pub fn page_envelope_bytes(bytes: &[u8]) -> Option<PageEnvelope> {
    let bytes = bytes.strip_prefix(UTF8_BOM).unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(text) => page_envelope(text),
        Err(_) => page_envelope(&String::from_utf8_lossy(bytes)),
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
                        let pair = b.get(i + 6) == Some(&b'\\') && b.get(i + 7) == Some(&b'u') && hex(i + 8).is_some_and(|l| (0xDC00..0xE000).contains(&l));
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
        assert!(!has_replacement_char("plain ASCII text of some length".as_bytes()));
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
        assert_eq!(c.company_id.as_deref(), Some("8e1b3ef6-9c3e-ef11-8409-000d3a7e3f1c"));
        assert_eq!(parse_context("https://x/api/v2.0/$metadata#companies").entity, Some(Entity::Companies));
        assert_eq!(parse_context("x/$metadata#companies(ABC)/users").entity, Some(Entity::Users));
        assert_eq!(parse_context("x/$metadata#companies(ABC)/purchaseInvoices/$entity").entity, Some(Entity::PurchaseInvoices));
        assert_eq!(parse_context("x/$metadata#companies(ABC)/salesInvoices").entity, None);
    }

    #[test]
    fn sniffing() {
        assert_eq!(sniff_context(r#"{ "@odata.context" : "a\/b#companies", "value": []}"#).as_deref(), Some("a/b#companies"));
        assert_eq!(sniff_context(r#"{"value": []}"#), None);
        assert_eq!(sniff_context(r#"{"@odata.context": 5}"#), None);
    }

    #[test]
    fn lone_surrogates() {
        let (s, n) = replace_lone_surrogate_escapes(r#"{"a":"x\ud800y","b":"\ud83d\ude00","c":"\\ud800","d":"\udc00"}"#);
        assert_eq!(n, 2);
        assert_eq!(s, r#"{"a":"x\uFFFDy","b":"\ud83d\ude00","c":"\\ud800","d":"\uFFFD"}"#);
        let (page, repaired) = read_page_text(Entity::Companies, r#"{"value":[{"id":"a","name":"x\ud800"}]}"#).unwrap();
        assert_eq!(repaired, 1);
        assert!(matches!(page, RawPage::Companies(_)));
    }
}

/// What a sync needs to know of a page before the engine reads it: its paging links and how
/// many records it holds, from one validating pass over the text that builds nothing.
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
}

/// The [`PageEnvelope`] of `text`, or `None` when `text` is not one whole JSON object or array
/// (a truncated or garbled response, which the host retries). The same acceptance as
/// `JSON.parse` giving an object, without building the object.
pub fn page_envelope(text: &str) -> Option<PageEnvelope> {
    use serde::de::{Deserializer as _, IgnoredAny, MapAccess, SeqAccess, Visitor};
    use std::fmt;

    /// `@odata.nextLink`: a string, null, or anything else (invalid).
    struct Link(Option<String>, bool);
    impl<'de> serde::Deserialize<'de> for Link {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Link, D::Error> {
            match lenient::Scalar::deserialize(d)? {
                lenient::Scalar::Str(s) => Ok(Link(Some(s), false)),
                lenient::Scalar::Null => Ok(Link(None, false)),
                _ => Ok(Link(None, true)),
            }
        }
    }
    /// `value`: its length when it is an array.
    struct Len(Option<u64>);
    impl<'de> serde::Deserialize<'de> for Len {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Len, D::Error> {
            struct V;
            impl<'de> Visitor<'de> for V {
                type Value = Len;
                fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                    f.write_str("any JSON value")
                }
                fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Len, A::Error> {
                    let mut n = 0u64;
                    while seq.next_element::<IgnoredAny>()?.is_some() {
                        n += 1;
                    }
                    Ok(Len(Some(n)))
                }
                fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Len, A::Error> {
                    while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                    Ok(Len(None))
                }
                fn visit_bool<E>(self, _: bool) -> Result<Len, E> {
                    Ok(Len(None))
                }
                fn visit_i64<E>(self, _: i64) -> Result<Len, E> {
                    Ok(Len(None))
                }
                fn visit_u64<E>(self, _: u64) -> Result<Len, E> {
                    Ok(Len(None))
                }
                fn visit_f64<E>(self, _: f64) -> Result<Len, E> {
                    Ok(Len(None))
                }
                fn visit_str<E>(self, _: &str) -> Result<Len, E> {
                    Ok(Len(None))
                }
                fn visit_unit<E>(self) -> Result<Len, E> {
                    Ok(Len(None))
                }
            }
            d.deserialize_any(V)
        }
    }
    struct Top;
    impl<'de> Visitor<'de> for Top {
        type Value = PageEnvelope;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a JSON object or array")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<PageEnvelope, A::Error> {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            Ok(PageEnvelope::default())
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<PageEnvelope, A::Error> {
            let mut env = PageEnvelope::default();
            while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                // As JSON.parse: a repeated key's last value counts.
                match key.as_ref() {
                    "@odata.nextLink" => {
                        let Link(link, invalid) = map.next_value()?;
                        (env.next_link, env.next_link_invalid) = (link, invalid);
                    }
                    "@odata.count" => env.count = map.next_value::<lenient::Scalar>()?.count(),
                    "value" => env.records = map.next_value::<Len>()?.0,
                    _ => {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
            }
            Ok(env)
        }
    }
    let mut de = serde_json::Deserializer::from_str(text);
    let env = (&mut de).deserialize_any(Top).ok()?;
    de.end().ok()?;
    Some(env)
}

#[cfg(test)]
mod envelope_tests {
    use super::*;

    #[test]
    fn the_envelope_of_a_page_and_of_junk() {
        let e = page_envelope(r#"{"@odata.context":"x","value":[{"a":[1,{"b":"\"]"}]},{}],"@odata.nextLink":"https://h/n?$skiptoken=1","@odata.count":7}"#).unwrap();
        assert_eq!(e, PageEnvelope { next_link: Some("https://h/n?$skiptoken=1".into()), next_link_invalid: false, count: Some(7), records: Some(2) });
        let e = page_envelope(r#" {"value":{},"@odata.nextLink":5,"@odata.count":-1} "#).unwrap();
        assert_eq!(e, PageEnvelope { next_link: None, next_link_invalid: true, count: None, records: None });
        // JSON.parse reads 1e400 (as Infinity): the envelope of such a page is read too.
        let e = page_envelope(r#"{"value":{"a":1e400},"@odata.nextLink":1e400,"@odata.count":1e400}"#).unwrap();
        assert_eq!(e, PageEnvelope { next_link: None, next_link_invalid: true, count: None, records: None });
        assert_eq!(page_envelope(r#"{"@odata.nextLink":null,"value":[]}"#).unwrap(), PageEnvelope { records: Some(0), ..Default::default() });
        assert_eq!(page_envelope("[1,2]").unwrap(), PageEnvelope::default(), "an array is accepted, as JSON.parse gives an object");
        for junk in ["", "null", "7", "\"s\"", r#"{"value":[{"a":1}"#, r#"{"value":[]} x"#, r#"{"value":[],}"#, "{\"a\":\"\u{1}\"}"] {
            assert_eq!(page_envelope(junk), None, "{junk:?}");
        }
        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        assert_eq!(page_envelope(&deep), Some(PageEnvelope::default()), "deep nesting is skipped without recursion, as JSON.parse accepts it");
    }
}

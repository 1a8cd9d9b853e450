//! Lenient deserialization of BC records.
//!
//! A page's records are read in one pass by visitors that never fail on a wrong *type*: every
//! field value is captured as a [`Scalar`] (whatever JSON type it has), unknown fields are
//! skipped, and a record that is not an object is kept as [`Record::NotObject`]. Checking types
//! and turning scalars into domain values happens per record, as soon as its object ends
//! ([`ReadRecord`]), so one bad record becomes one diagnostic instead of a failed page. Only
//! input that is not JSON at all (or nested beyond the parser's limit) fails the whole page.
//!
//! A captured string borrows from the page's text unless it holds an escape (then it is
//! unescaped into its own `String`): a field that is only checked or parsed (a date, a status,
//! a line type) is never copied, and the page keeps only what was read, not the raw records.
//!
//! The same visitors serve `serde_json` (text in) and `serde-wasm-bindgen` (JS objects in).
//!
//! From text, a field's value is captured as its raw JSON text first (serde_json's raw-value
//! hook), so numbers are never parsed into floats here: an amount is read from its digits,
//! exactly ([`Scalar::Number`]), and a number no float can hold (`1e400`, 400 digits) is one
//! bad field, not a page that fails to parse. JS objects arrive with numbers already `f64`
//! (`JSON.parse` made them so), read as [`Scalar::Float`].

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use std::borrow::Cow;
use std::fmt;

/// One field's value, whatever its JSON type.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Scalar<'de> {
    #[default]
    Missing,
    Null,
    Bool(bool),
    Int(i64),
    /// A number from a JS object (already a float).
    Float(f64),
    /// A number from text that is not an `i64`, exactly as written (`6750.0000000000001`,
    /// `1e400`), borrowed from the page: read by whoever needs it, in the precision it needs.
    Number(Cow<'de, str>),
    /// Borrowed from the page's text when it holds no escape (every BC string but a few).
    Str(Cow<'de, str>),
    Array,
    Object,
}

impl<'de> Scalar<'de> {
    pub fn type_name(&self) -> &'static str {
        match self {
            Scalar::Missing => "missing",
            Scalar::Null => "null",
            Scalar::Bool(_) => "a boolean",
            Scalar::Int(_) | Scalar::Float(_) | Scalar::Number(_) => "a number",
            Scalar::Str(_) => "a string",
            Scalar::Array => "an array",
            Scalar::Object => "an object",
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Scalar::Str(s) => Some(s),
            _ => None,
        }
    }

    /// `@odata.count`, when it is a whole number.
    pub fn count(&self) -> Option<u64> {
        match self {
            Scalar::Int(n) => u64::try_from(*n).ok(),
            Scalar::Float(x) if x.fract() == 0.0 && (0.0..=9.0e15).contains(x) => Some(*x as u64),
            Scalar::Number(_) => self
                .whole_number()
                .and_then(|n| u64::try_from(n).ok())
                .filter(|&n| n <= 9_000_000_000_000_000),
            _ => None,
        }
    }

    /// Number text that is a whole number (`1e3`, `10000.0`) within ±922,337,203,685,477, read
    /// exactly, as amounts are (no float parser: the wasm module stays without one).
    pub fn whole_number(&self) -> Option<i64> {
        match self {
            Scalar::Number(t) => crate::money::Amount::parse_json_number(t)
                .ok()
                .filter(|a| a.0 % crate::money::SCALE == 0)
                .map(|a| a.0 / crate::money::SCALE),
            _ => None,
        }
    }

    pub fn is_absent(&self) -> bool {
        matches!(self, Scalar::Missing | Scalar::Null)
    }

    /// The same value, holding its own text.
    pub fn into_owned(self) -> Scalar<'static> {
        match self {
            Scalar::Missing => Scalar::Missing,
            Scalar::Null => Scalar::Null,
            Scalar::Bool(b) => Scalar::Bool(b),
            Scalar::Int(i) => Scalar::Int(i),
            Scalar::Float(f) => Scalar::Float(f),
            Scalar::Number(t) => Scalar::Number(Cow::Owned(t.into_owned())),
            Scalar::Str(s) => Scalar::Str(Cow::Owned(s.into_owned())),
            Scalar::Array => Scalar::Array,
            Scalar::Object => Scalar::Object,
        }
    }
}

impl<'de> Deserialize<'de> for Scalar<'de> {
    #[inline(never)]
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Scalar<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_bool<E>(self, v: bool) -> Result<Scalar<'de>, E> {
                Ok(Scalar::Bool(v))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Scalar<'de>, E> {
                Ok(Scalar::Int(v))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Scalar<'de>, E> {
                Ok(i64::try_from(v)
                    .map(Scalar::Int)
                    .unwrap_or(Scalar::Float(v as f64)))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Scalar<'de>, E> {
                Ok(Scalar::Float(v))
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Scalar<'de>, E> {
                Ok(Scalar::Str(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Scalar<'de>, E> {
                Ok(Scalar::Str(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E>(self, v: String) -> Result<Scalar<'de>, E> {
                Ok(Scalar::Str(Cow::Owned(v)))
            }
            fn visit_unit<E>(self) -> Result<Scalar<'de>, E> {
                Ok(Scalar::Null)
            }
            fn visit_none<E>(self) -> Result<Scalar<'de>, E> {
                Ok(Scalar::Null)
            }
            fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<Scalar<'de>, D2::Error> {
                Scalar::deserialize(d)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Scalar<'de>, A::Error> {
                while a.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Scalar::Array)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Scalar<'de>, A::Error> {
                while a.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Scalar::Object)
            }
        }
        /// serde_json's raw-value hook: asked for a newtype struct of this name, serde_json
        /// hands over the value's text, validated but not converted (the private token of
        /// `serde_json::value::RawValue`; `raw_text_is_captured` fails if it ever changes).
        /// Other deserializers see an ordinary newtype struct and read the value as usual.
        const RAW_VALUE_TOKEN: &str = "$serde_json::private::RawValue";
        struct Raw;
        impl<'de> Visitor<'de> for Raw {
            type Value = Scalar<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_newtype_struct<D2: Deserializer<'de>>(
                self,
                d: D2,
            ) -> Result<Scalar<'de>, D2::Error> {
                d.deserialize_any(V)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Scalar<'de>, A::Error> {
                // Only serde_json's raw value arrives here: one entry, its value the JSON text.
                if map.next_key::<IgnoredAny>()?.is_none() {
                    return Ok(Scalar::Object);
                }
                let raw = map.next_value::<Key<'de>>()?.0;
                let v = from_raw(raw).map_err(serde::de::Error::custom)?;
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(v)
            }
        }
        d.deserialize_newtype_struct(RAW_VALUE_TOKEN, Raw)
    }
}

/// A [`Scalar`] from a value's JSON text, which the parser has already validated. A string
/// without escapes is the text between its quotes, borrowed (the raw text is borrowed from a
/// page read from text).
fn from_raw(raw: Cow<'_, str>) -> Result<Scalar<'_>, serde_json::Error> {
    let text = text_of(&raw);
    Ok(match text.as_bytes().first() {
        Some(b'"') => {
            if text.as_bytes().contains(&b'\\') {
                Scalar::Str(Cow::Owned(serde_json::from_str(text)?))
            } else {
                let inner = 1..text.len() - 1;
                Scalar::Str(match raw {
                    Cow::Borrowed(r) => Cow::Borrowed(&r[inner]),
                    Cow::Owned(r) => Cow::Owned(r[inner].to_owned()),
                })
            }
        }
        Some(b'{') => Scalar::Object,
        Some(b'[') => Scalar::Array,
        Some(b't') => Scalar::Bool(true),
        Some(b'f') => Scalar::Bool(false),
        Some(b'n') => Scalar::Null,
        _ => match text.parse::<i64>() {
            Ok(i) => Scalar::Int(i),
            Err(_) => Scalar::Number(raw),
        },
    })
}

/// A map key, borrowed from the input when the format allows.
pub struct Key<'de>(pub Cow<'de, str>);

impl Key<'_> {
    /// The key's text. Inlined by hand: at the release profile's `opt-level = "s"` the wasm
    /// build calls `Cow::deref` out of line, once per key of every record (8% of a wasm
    /// ingest profile with the numbers' and strings' derefs).
    #[inline(always)]
    pub fn as_str(&self) -> &str {
        text_of(&self.0)
    }
}

/// `&*cow`, always inlined (see [`Key::as_str`]); taking `&str` instead, as clippy suggests,
/// is the out-of-line deref this avoids.
#[inline(always)]
#[allow(clippy::ptr_arg)]
fn text_of<'a>(cow: &'a Cow<'_, str>) -> &'a str {
    match cow {
        Cow::Borrowed(b) => b,
        Cow::Owned(o) => o.as_str(),
    }
}

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a field name")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E>(self, v: String) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v)))
            }
        }
        d.deserialize_str(V)
    }
}

/// A record of a page's `value` array, or what stood there instead of an object.
#[derive(Debug)]
pub enum Record<T> {
    Object(T),
    NotObject(&'static str),
}

/// Implemented by the raw record types, whose fields borrow from the page: called once per
/// field, in input order; the last value of a repeated field wins. Unknown fields must be
/// skipped by the implementation.
pub trait RawRecord<'de>: Default {
    fn field<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<(), A::Error>;
}

/// What a page keeps of one record: read from its raw fields as soon as the record's object
/// ends, while they still borrow from the page, so that a field that is only checked (a date,
/// a status) is never copied and the page holds no raw record. `Ctx` is what reading needs
/// besides the fields (a document's kind).
pub trait ReadRecord: Sized {
    type Raw<'de>: RawRecord<'de>;
    type Ctx: Copy;
    fn read(raw: Self::Raw<'_>, ctx: Self::Ctx) -> Self;
}

/// Reads one record (or what stands in its place) of type `T`.
pub struct RecordSeed<T: ReadRecord>(pub T::Ctx);

impl<'de, T: ReadRecord> DeserializeSeed<'de> for RecordSeed<T> {
    type Value = Record<T>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Record<T>, D::Error> {
        struct V<T: ReadRecord>(T::Ctx);
        impl<'de, T: ReadRecord> Visitor<'de> for V<T> {
            type Value = Record<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a record")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Record<T>, A::Error> {
                let mut rec = T::Raw::<'de>::default();
                while let Some(key) = map.next_key::<Key<'de>>()? {
                    rec.field(key.as_str(), &mut map)?;
                }
                Ok(Record::Object(T::read(rec, self.0)))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Record<T>, A::Error> {
                while a.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Record::NotObject("an array"))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Record<T>, E> {
                Ok(Record::NotObject("a boolean"))
            }
            fn visit_i64<E>(self, _: i64) -> Result<Record<T>, E> {
                Ok(Record::NotObject("a number"))
            }
            fn visit_u64<E>(self, _: u64) -> Result<Record<T>, E> {
                Ok(Record::NotObject("a number"))
            }
            fn visit_f64<E>(self, _: f64) -> Result<Record<T>, E> {
                Ok(Record::NotObject("a number"))
            }
            fn visit_str<E>(self, _: &str) -> Result<Record<T>, E> {
                Ok(Record::NotObject("a string"))
            }
            fn visit_unit<E>(self) -> Result<Record<T>, E> {
                Ok(Record::NotObject("null"))
            }
            fn visit_none<E>(self) -> Result<Record<T>, E> {
                Ok(Record::NotObject("null"))
            }
        }
        d.deserialize_any(V::<T>(self.0))
    }
}

impl<'de, T: ReadRecord<Ctx = ()>> Deserialize<'de> for Record<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        RecordSeed::<T>(()).deserialize(d)
    }
}

/// An array of records (`value`, or expanded lines), or what stood there instead.
#[derive(Debug, Default)]
pub enum Records<T> {
    #[default]
    Missing,
    List(Vec<Record<T>>),
    NotArray(&'static str),
}

/// Reads an array of records of type `T`.
pub struct RecordsSeed<T: ReadRecord>(pub T::Ctx);

impl<'de, T: ReadRecord> DeserializeSeed<'de> for RecordsSeed<T> {
    type Value = Records<T>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Records<T>, D::Error> {
        struct V<T: ReadRecord>(T::Ctx);
        impl<'de, T: ReadRecord> Visitor<'de> for V<T> {
            type Value = Records<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an array of records")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Records<T>, A::Error> {
                let mut out = Vec::with_capacity(a.size_hint().unwrap_or(0).min(4096));
                while let Some(r) = a.next_element_seed(RecordSeed::<T>(self.0))? {
                    out.push(r);
                }
                Ok(Records::List(out))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Records<T>, A::Error> {
                while a.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Records::NotArray("an object"))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Records<T>, E> {
                Ok(Records::NotArray("a boolean"))
            }
            fn visit_i64<E>(self, _: i64) -> Result<Records<T>, E> {
                Ok(Records::NotArray("a number"))
            }
            fn visit_u64<E>(self, _: u64) -> Result<Records<T>, E> {
                Ok(Records::NotArray("a number"))
            }
            fn visit_f64<E>(self, _: f64) -> Result<Records<T>, E> {
                Ok(Records::NotArray("a number"))
            }
            fn visit_str<E>(self, _: &str) -> Result<Records<T>, E> {
                Ok(Records::NotArray("a string"))
            }
            fn visit_unit<E>(self) -> Result<Records<T>, E> {
                Ok(Records::Missing)
            }
            fn visit_none<E>(self) -> Result<Records<T>, E> {
                Ok(Records::Missing)
            }
        }
        d.deserialize_any(V::<T>(self.0))
    }
}

impl<'de, T: ReadRecord<Ctx = ()>> Deserialize<'de> for Records<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        RecordsSeed::<T>(()).deserialize(d)
    }
}

/// A BC collection response: `{"@odata.context": ..., "value": [...], "@odata.nextLink": ...}`.
#[derive(Debug)]
pub struct Page<T> {
    pub context: Option<String>,
    pub next_link: Option<String>,
    /// `@odata.nextLink` is there but neither a string nor null.
    pub next_link_invalid: bool,
    /// `@odata.count`, when it is a whole number.
    pub count: Option<u64>,
    pub value: Records<T>,
    /// The response was a single entity (no `value`), e.g. `companies(id)`: read as one record.
    pub single: Option<T>,
    pub not_object: Option<&'static str>,
    /// A top-level `error` object: BC's OData error body (`{"error": {"code", "message"}}`).
    pub error: Option<BcError>,
}

/// Reads a page of records of type `T`.
pub struct PageSeed<T: ReadRecord>(pub T::Ctx);

impl<'de, T: ReadRecord> DeserializeSeed<'de> for PageSeed<T> {
    type Value = Page<T>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Page<T>, D::Error> {
        struct V<T: ReadRecord>(T::Ctx);
        impl<'de, T: ReadRecord> Visitor<'de> for V<T> {
            type Value = Page<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a Business Central response object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Page<T>, A::Error> {
                let mut page = Page::empty();
                let mut single = T::Raw::<'de>::default();
                let mut single_fields = false;
                while let Some(key) = map.next_key::<Key<'de>>()? {
                    match &*key.0 {
                        "@odata.context" => {
                            page.context = map.next_value::<Scalar>()?.as_str().map(str::to_owned)
                        }
                        "@odata.nextLink" => {
                            let link = map.next_value::<Scalar>()?;
                            page.next_link_invalid = !matches!(link, Scalar::Str(_) | Scalar::Null);
                            page.next_link = link.as_str().map(str::to_owned);
                        }
                        "@odata.count" => page.count = map.next_value::<Scalar>()?.count(),
                        "value" => page.value = map.next_value_seed(RecordsSeed::<T>(self.0))?,
                        "error" => match map.next_value::<Record<BcError>>()? {
                            Record::Object(e) => page.error = Some(e),
                            Record::NotObject(_) => single_fields = true,
                        },
                        k => {
                            single_fields |= !k.starts_with('@');
                            single.field(k, &mut map)?;
                        }
                    }
                }
                if matches!(page.value, Records::Missing) && single_fields && page.error.is_none() {
                    page.single = Some(T::read(single, self.0));
                }
                Ok(page)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<Page<T>, A::Error> {
                while a.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Page::not_object("an array"))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Page<T>, E> {
                Ok(Page::not_object("a boolean"))
            }
            fn visit_i64<E>(self, _: i64) -> Result<Page<T>, E> {
                Ok(Page::not_object("a number"))
            }
            fn visit_u64<E>(self, _: u64) -> Result<Page<T>, E> {
                Ok(Page::not_object("a number"))
            }
            fn visit_f64<E>(self, _: f64) -> Result<Page<T>, E> {
                Ok(Page::not_object("a number"))
            }
            fn visit_str<E>(self, _: &str) -> Result<Page<T>, E> {
                Ok(Page::not_object("a string"))
            }
            fn visit_unit<E>(self) -> Result<Page<T>, E> {
                Ok(Page::not_object("null"))
            }
        }
        d.deserialize_any(V::<T>(self.0))
    }
}

impl<'de, T: ReadRecord<Ctx = ()>> Deserialize<'de> for Page<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        PageSeed::<T>(()).deserialize(d)
    }
}

impl<T> Page<T> {
    fn empty() -> Page<T> {
        Page {
            context: None,
            next_link: None,
            next_link_invalid: false,
            count: None,
            value: Records::Missing,
            single: None,
            not_object: None,
            error: None,
        }
    }

    fn not_object(what: &'static str) -> Page<T> {
        Page {
            not_object: Some(what),
            ..Page::empty()
        }
    }
}

/// Reads one field's value into a [`Scalar`]; the helper the record types use. Not inlined:
/// every captured field of every record type calls it, and one copy per input format keeps the
/// wasm module small.
#[inline(never)]
pub fn scalar<'de, A: MapAccess<'de>>(map: &mut A) -> Result<Scalar<'de>, A::Error> {
    map.next_value::<Scalar>()
}

/// Reads one field's value into its slot, dropping what was there (a repeated field). Not
/// inlined for the same reason as [`scalar`]: the drop of the old value is code too.
#[inline(never)]
pub fn scalar_into<'de, A: MapAccess<'de>>(
    slot: &mut Scalar<'de>,
    map: &mut A,
) -> Result<(), A::Error> {
    *slot = map.next_value::<Scalar>()?;
    Ok(())
}

/// Skips one field's value.
pub fn skip<'de, A: MapAccess<'de>>(map: &mut A) -> Result<(), A::Error> {
    map.next_value::<IgnoredAny>().map(|_| ())
}

/// Declares a raw record type, borrowing from the page: each listed JSON field is captured as a
/// [`Scalar`], `records` fields as nested [`Records`] (of a [`ReadRecord`] type read without
/// context), everything else skipped.
macro_rules! raw_record {
    ($(#[$m:meta])* $name:ident { $($json:literal => $field:ident),* $(,)? } $(records { $($rjson:literal => $rfield:ident : $rty:ty),* $(,)? })?) => {
        $(#[$m])*
        #[derive(Debug, Default)]
        pub struct $name<'de> {
            $(pub $field: $crate::bc::lenient::Scalar<'de>,)*
            $($(pub $rfield: $crate::bc::lenient::Records<$rty>,)*)?
        }
        impl<'de> $crate::bc::lenient::RawRecord<'de> for $name<'de> {
            fn field<A: serde::de::MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<(), A::Error> {
                match key {
                    $($json => $crate::bc::lenient::scalar_into(&mut self.$field, map)?,)*
                    $($($rjson => self.$rfield = map.next_value()?,)*)?
                    _ => $crate::bc::lenient::skip(map)?,
                }
                Ok(())
            }
        }
    };
}
pub(crate) use raw_record;

raw_record!(
    /// The `error` object of BC's OData error body, as read.
    RawBcError { "code" => code, "message" => message }
);

/// The `error` object of BC's OData error body.
#[derive(Debug)]
pub struct BcError {
    pub code: Scalar<'static>,
    pub message: Scalar<'static>,
}

impl ReadRecord for BcError {
    type Raw<'de> = RawBcError<'de>;
    type Ctx = ();
    fn read(raw: RawBcError<'_>, _: ()) -> BcError {
        BcError {
            code: raw.code.into_owned(),
            message: raw.message.into_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    raw_record!(RawThing { "id" => id, "amount" => amount });

    /// The raw fields, kept as read.
    #[derive(Debug)]
    struct Thing {
        id: Scalar<'static>,
        amount: Scalar<'static>,
    }

    impl ReadRecord for Thing {
        type Raw<'de> = RawThing<'de>;
        type Ctx = ();
        fn read(raw: RawThing<'_>, _: ()) -> Thing {
            Thing {
                id: raw.id.into_owned(),
                amount: raw.amount.into_owned(),
            }
        }
    }

    #[test]
    fn tolerant_of_types_and_unknown_fields() {
        let text = r#"{"@odata.context":"x#things","value":[{"id":"a","amount":1.5,"extra":{"deep":[1,2,{"x":null}]}},
            7, {"id":null,"amount":"12.3"}, {"amount":1,"amount":2}]}"#;
        let page: Page<Thing> = serde_json::from_str(text).unwrap();
        assert_eq!(page.context.as_deref(), Some("x#things"));
        let Records::List(list) = page.value else {
            panic!()
        };
        assert_eq!(list.len(), 4);
        let Record::Object(first) = &list[0] else {
            panic!()
        };
        assert_eq!(first.id, Scalar::Str("a".into()));
        assert_eq!(first.amount, Scalar::Number("1.5".into()));
        assert!(matches!(list[1], Record::NotObject("a number")));
        let Record::Object(third) = &list[2] else {
            panic!()
        };
        assert_eq!(third.id, Scalar::Null);
        assert_eq!(third.amount, Scalar::Str("12.3".into()));
        let Record::Object(fourth) = &list[3] else {
            panic!()
        };
        assert_eq!(fourth.amount, Scalar::Int(2));
        assert_eq!(fourth.id, Scalar::Missing);
    }

    /// A captured string is the page's own text unless it holds an escape, so that reading a
    /// field that is only checked (a date, a status) copies nothing.
    #[test]
    fn strings_are_borrowed_from_the_page_unless_escaped() {
        let text = r#"{"id":"plain","amount":"a\u00e9\"b"}"#;
        let mut de = serde_json::Deserializer::from_str(text);
        let mut raw = RawThing::default();
        struct V<'a, 'de>(&'a mut RawThing<'de>);
        impl<'de> Visitor<'de> for V<'_, 'de> {
            type Value = ();
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
                while let Some(key) = map.next_key::<Key<'de>>()? {
                    self.0.field(&key.0, &mut map)?;
                }
                Ok(())
            }
        }
        de.deserialize_map(V(&mut raw)).unwrap();
        let Scalar::Str(Cow::Borrowed(id)) = raw.id else {
            panic!("not borrowed: {:?}", raw.id)
        };
        assert!(std::ptr::eq(id.as_ptr(), text[7..].as_ptr()), "{id}");
        assert_eq!(raw.amount, Scalar::Str(Cow::Owned("a\u{e9}\"b".into())));
    }

    #[test]
    fn raw_text_is_captured() {
        let text = r#"{"value":[{"id":"a\"b\u00e9","amount":6750.0000000000001},{"id":true,"amount":1e400},
            {"id":[1,{"x":"]"}],"amount":18446744073709551616},{"id":{},"amount":-7},{"amount":null}]}"#;
        let page: Page<Thing> = serde_json::from_str(text).unwrap();
        let Records::List(list) = page.value else {
            panic!()
        };
        let got: Vec<(Scalar, Scalar)> = list
            .into_iter()
            .map(|r| match r {
                Record::Object(t) => (t.id, t.amount),
                Record::NotObject(w) => panic!("{w}"),
            })
            .collect();
        assert_eq!(
            got,
            [
                (
                    Scalar::Str("a\"b\u{e9}".into()),
                    Scalar::Number("6750.0000000000001".into())
                ),
                (Scalar::Bool(true), Scalar::Number("1e400".into())),
                (Scalar::Array, Scalar::Number("18446744073709551616".into())),
                (Scalar::Object, Scalar::Int(-7)),
                (Scalar::Missing, Scalar::Null),
            ]
        );
        // Whole numbers in number text are read exactly, without a float parser.
        for (text, whole) in [
            ("1e3", Some(1000)),
            ("10000.0", Some(10_000)),
            ("-2.50e1", Some(-25)),
            ("2.5", None),
            ("1e400", None),
        ] {
            let n = Scalar::Number(Cow::Borrowed(text));
            assert_eq!(n.whole_number(), whole, "{text}");
        }
        assert_eq!(Scalar::Number(Cow::Borrowed("7.0")).count(), Some(7));
        assert_eq!(Scalar::Number(Cow::Borrowed("-7.0")).count(), None);
        // A lone surrogate still fails the parse, so that the page reader can repair it.
        assert!(serde_json::from_str::<Page<Thing>>(r#"{"value":[{"id":"\ud800"}]}"#).is_err());
    }

    #[test]
    fn single_entity_and_non_objects() {
        let page: Page<Thing> = serde_json::from_str(r#"{"@odata.context":"c","id":"x"}"#).unwrap();
        assert!(page.single.is_some());
        let page: Page<Thing> = serde_json::from_str(r#"[1,2]"#).unwrap();
        assert_eq!(page.not_object, Some("an array"));
        let page: Page<Thing> = serde_json::from_str(r#"{"value":"nope"}"#).unwrap();
        assert!(matches!(page.value, Records::NotArray("a string")));
    }
}

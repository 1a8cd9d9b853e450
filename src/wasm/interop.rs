//! Conversions between JS values and the core's types: coded errors, JSON data both ways, page
//! bodies (a JS string or a response's bytes) as UTF-8 text, and the small argument checks the
//! classes share. Nothing here knows a business rule.

use crate::bc::Entity;
use crate::engine::PageText;
use crate::error::{ConfigError, ErrorCode};
use js_sys::{JsString, Reflect, JSON};
use serde::de::DeserializeOwned;
use serde::Serialize;
use wasm_bindgen::prelude::*;

pub(crate) fn js_error(code: ErrorCode, message: &str, path: Option<&str>) -> JsValue {
    let err = js_sys::Error::new(message);
    let _ = Reflect::set(&err, &"code".into(), &code.as_str().into());
    if let Some(p) = path {
        let _ = Reflect::set(&err, &"path".into(), &p.into());
    }
    err.into()
}

pub(crate) fn config_error(e: ConfigError) -> JsValue {
    js_error(e.code, &e.message, e.path.as_deref())
}

/// Serializes through JSON text and `JSON.parse`: for large outputs this is several times
/// faster than building objects field by field across the boundary, and gives exactly the
/// JSON data model (no `undefined`, no Map).
pub(crate) fn to_js<T: Serialize + ?Sized>(v: &T) -> Result<JsValue, JsValue> {
    let text = serde_json::to_string(v)
        .map_err(|e| js_error(ErrorCode::Internal, &e.to_string(), None))?;
    JSON::parse(&text)
}

/// Reads options or rules given as JS data into `T`, refusing what `T` refuses: through
/// `serde_json::Value`, since serde-wasm-bindgen reads only a struct's known keys, so a misspelt
/// option would be silently ignored instead of refused. `null` and `undefined` read as JSON
/// `null` (take `Option<T>` where absent means the defaults). Both failures throw `code`, with
/// the option as `path` when serde names it (a key that is not an option).
pub(crate) fn from_js<T: DeserializeOwned>(
    value: JsValue,
    code: ErrorCode,
    what: &str,
) -> Result<T, JsValue> {
    let v = if value.is_null() || value.is_undefined() {
        serde_json::Value::Null
    } else {
        serde_wasm_bindgen::from_value(value)
            .map_err(|e| js_error(code, &format!("{what} must be JSON data: {e}"), None))?
    };
    serde_json::from_value(v).map_err(|e| {
        let message = e.to_string();
        js_error(
            code,
            &format!("invalid {what}: {message}"),
            unknown_key(&message),
        )
    })
}

/// The key serde named in an "unknown field" error. The options structs are flat (rules and
/// catalogs are read as JSON values and checked by the core, with their own paths), so the key
/// is the option's path.
fn unknown_key(message: &str) -> Option<&str> {
    let rest = message.strip_prefix("unknown field `")?;
    rest.split_once('`').map(|(key, _)| key)
}

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = TextEncoder)]
    type Utf8Encoder;
    #[wasm_bindgen(constructor, js_class = "TextEncoder")]
    fn new() -> Utf8Encoder;
    #[wasm_bindgen(method, js_class = "TextEncoder", js_name = encodeInto)]
    fn encode_into(
        this: &Utf8Encoder,
        text: &JsString,
        into: &js_sys::Uint8Array,
    ) -> EncodeIntoResult;
    type EncodeIntoResult;
    #[wasm_bindgen(method, getter)]
    fn read(this: &EncodeIntoResult) -> u32;
    #[wasm_bindgen(method, getter)]
    fn written(this: &EncodeIntoResult) -> u32;
}

thread_local! {
    static UTF8_ENCODER: Utf8Encoder = Utf8Encoder::new();
    /// Whether `String.prototype.isWellFormed` exists (Node 20, workerd, browsers since 2023).
    static HAS_IS_WELL_FORMED: bool = Reflect::get(&js_sys::global(), &"String".into())
        .and_then(|s| Reflect::get(&s, &"prototype".into()))
        .and_then(|p| Reflect::get(&p, &"isWellFormed".into()))
        .is_ok_and(|f| f.is_function());
}

/// Whether a JS string holds a lone UTF-16 surrogate, given its UTF-8 copy (where any lone
/// surrogate became U+FFFD). `isWellFormed` answers natively; without it, only a copy that holds
/// U+FFFD needs the exact check (one boundary call per UTF-16 unit: far too slow for every page).
fn has_lone_surrogate(text: &JsString, utf8: &str) -> bool {
    if HAS_IS_WELL_FORMED.with(|h| *h) {
        !text.is_well_formed()
    } else {
        crate::bc::has_replacement_char(utf8.as_bytes()) && !text.is_valid_utf16()
    }
}

/// Copies a JS string into wasm memory as UTF-8 with one `TextEncoder.encodeInto` call per
/// stretch: several times faster on page-sized text than wasm-bindgen's per-character copy
/// loop. Lone surrogates become U+FFFD, as in every JS string-to-UTF-8 conversion.
pub(crate) fn js_string_to_utf8(text: &JsString) -> String {
    let units = text.length() as usize;
    // One byte per UTF-16 unit fits ASCII text exactly; more room is made when it does not.
    let mut buf: Vec<u8> = Vec::with_capacity(units);
    let mut read = 0usize;
    while read < units {
        let rest = if read == 0 {
            text.clone()
        } else {
            text.slice(read as u32, units as u32)
        };
        if buf.capacity() - buf.len() < 4 {
            buf.reserve((units - read) * 3);
        }
        let spare = buf.capacity() - buf.len();
        // SAFETY: the view covers the vector's spare capacity and is used before any allocation
        // (which could move or grow memory); `written` bytes of it are initialised by the encoder.
        let r = unsafe {
            let view = js_sys::Uint8Array::view_mut_raw(buf.as_mut_ptr().add(buf.len()), spare);
            let r = UTF8_ENCODER.with(|e| e.encode_into(&rest, &view));
            buf.set_len(buf.len() + r.written() as usize);
            r
        };
        if r.read() == 0 {
            // No room for the next character: make some and go on.
            buf.reserve((units - read) * 3);
            continue;
        }
        read += r.read() as usize;
    }
    // TextEncoder writes UTF-8 only (lone surrogates as U+FFFD), whole characters at a time.
    String::from_utf8(buf).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

pub(crate) fn entity_arg(entity: &JsValue) -> Result<Option<Entity>, JsValue> {
    if entity.is_null() || entity.is_undefined() {
        return Ok(None);
    }
    let s = entity.as_string().ok_or_else(|| js_error(ErrorCode::InvalidEntity, "entity must be a string such as \"purchaseInvoices\", or null to read it from @odata.context", None))?;
    if s == "auto" {
        return Ok(None);
    }
    Entity::parse(&s).map(Some).ok_or_else(|| {
        let known: Vec<&str> = Entity::ALL.iter().map(|e| e.as_str()).collect();
        js_error(
            ErrorCode::InvalidEntity,
            &format!("unknown entity {s:?}; expected one of {}", known.join(", ")),
            None,
        )
    })
}

pub(crate) fn opt_string(v: &JsValue, what: &str) -> Result<Option<String>, JsValue> {
    if v.is_null() || v.is_undefined() {
        return Ok(None);
    }
    v.as_string().map(Some).ok_or_else(|| {
        js_error(
            ErrorCode::InvalidArgument,
            &format!("{what} must be a string or null"),
            None,
        )
    })
}

/// A page body from JS: a string, or the bytes of the HTTP response.
enum Body<'a> {
    Text(&'a JsString),
    Bytes(&'a js_sys::Uint8Array),
}

/// A page body from JS as UTF-8 text, with what its conversion replaced as diagnostics: lone
/// surrogates of a string, invalid bytes of a `Uint8Array` (read as `Response.text()` would).
pub(crate) fn page_text(v: &JsValue) -> Result<PageText<'static>, JsValue> {
    Ok(match page_body(v)? {
        Body::Text(text) => {
            let utf8 = js_string_to_utf8(text);
            let replaced = has_lone_surrogate(text, &utf8);
            PageText::with_lone_surrogates_replaced(utf8, replaced)
        }
        Body::Bytes(bytes) => PageText::from_bytes(bytes.to_vec()),
    })
}

fn page_body(v: &JsValue) -> Result<Body<'_>, JsValue> {
    if let Some(text) = v.dyn_ref::<JsString>() {
        Ok(Body::Text(text))
    } else if let Some(bytes) = v.dyn_ref::<js_sys::Uint8Array>() {
        Ok(Body::Bytes(bytes))
    } else {
        Err(js_error(
            ErrorCode::InvalidArgument,
            "the page must be a string or a Uint8Array (the response body as BC sent it)",
            None,
        ))
    }
}

/// A number property of a JS object, if it holds one.
pub(crate) fn number_field(v: &JsValue, key: &str) -> Option<f64> {
    Reflect::get(v, &key.into()).ok().and_then(|x| x.as_f64())
}

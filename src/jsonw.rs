//! Hand-written JSON output for the few shapes written by the megabyte (`transactions.json`,
//! `src/export.rs`; a version 1 engine state's documents, whose writer the tests keep in
//! `src/state/v1.rs`), byte for byte what `serde_json` writes for the same values.
//!
//! `serde_json` escapes a string by looking up every byte in a table and writing the text
//! between escapes as separate fragments; in wasm that was most of a state export. Here a string
//! is checked eight bytes at a time and, when nothing in it needs escaping (nearly always),
//! copied whole. A string that does need escaping is handed to `serde_json`, so escapes are
//! `serde_json`'s own: `\"`, `\\`, `\b \f \n \r \t` and `\u00XX` for the other control
//! characters; everything else, including non-ASCII text, is written as is.

use crate::date::Date;

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// The eight bytes of `c` (at least eight long) as a little-endian word.
fn word(c: &[u8]) -> u64 {
    u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]])
}

/// Eight bytes at a time: whether any byte of `s` is one that `special` finds (`special(x)` is
/// non-zero exactly when some byte of the word `x` is one). A string of eight bytes or more is
/// checked in whole words and its last eight bytes as one more word (overlapping the last whole
/// one), a shorter one as a word padded with `pad` (a byte that is not special): no loop over
/// single bytes for the tail, and most strings written are short (ids, codes, names).
pub fn any_byte(s: &[u8], pad: u8, special: impl Fn(u64) -> u64) -> bool {
    let n = s.len();
    if n < 8 {
        let mut x = ONES * pad as u64;
        for (i, &c) in s.iter().enumerate() {
            x = (x & !(0xff << (8 * i))) | (c as u64) << (8 * i);
        }
        return special(x) != 0;
    }
    let mut chunks = s.chunks_exact(8);
    let mut found = special(word(&s[n - 8..]));
    for c in &mut chunks {
        found |= special(word(c));
    }
    found != 0
}

/// The high bit of each byte of `x` that is zero, and possibly of bytes above one that is
/// (the classic "has a zero byte" test: exact as "any").
pub fn zero_bytes(x: u64) -> u64 {
    x.wrapping_sub(ONES) & !x & HIGHS
}

/// Whether `s` can be written between quotes as is: no `"`, `\` or control character (< 0x20).
pub fn is_plain(s: &str) -> bool {
    !any_byte(s.as_bytes(), b' ', |x| {
        // Bytes < 0x20: `x - 0x20` borrows into the high bit of those bytes whose high bit is
        // clear (bytes >= 0x80 are never control characters); exact as "any", as above.
        let control = x.wrapping_sub(ONES * 0x20) & !x & HIGHS;
        control | zero_bytes(x ^ (ONES * b'"' as u64)) | zero_bytes(x ^ (ONES * b'\\' as u64))
    })
}

/// Appends `s` as a JSON string.
pub fn str(out: &mut Vec<u8>, s: &str) {
    if is_plain(s) {
        out.reserve(s.len() + 2);
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
    } else {
        // Writing into a Vec cannot fail.
        let _ = serde_json::to_writer(&mut *out, s);
    }
}

pub fn int(out: &mut Vec<u8>, v: i64) {
    out.extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
}

/// Appends a number as `serde_json` writes an `f64`: its shortest round-trip form, `null` when
/// not finite. Through `serde_json` itself, so the digits are its own.
pub fn f64(out: &mut Vec<u8>, v: f64) {
    // Writing into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, &v);
}

/// Appends `s` as a JSON string, or `null`.
pub fn opt_str(out: &mut Vec<u8>, s: Option<&str>) {
    match s {
        Some(s) => str(out, s),
        None => out.extend_from_slice(b"null"),
    }
}

/// Appends an amount as its decimal string (`"-750.00"`), what its `Serialize` writes.
pub fn amount(out: &mut Vec<u8>, a: crate::money::Amount) {
    out.push(b'"');
    a.write_decimal(out);
    out.push(b'"');
}

/// Appends a date as the JSON string `"YYYY-MM-DD"`.
pub fn date(out: &mut Vec<u8>, d: Date) {
    out.push(b'"');
    d.write_iso(out);
    out.push(b'"');
}

/// Appends `"name":` (after a comma unless it is the object's first member). `name` is one of
/// this crate's own field names: plain by construction. (Only the v1 state writer, kept by the
/// tests, writes keys this way.)
#[cfg(test)]
pub fn key(out: &mut Vec<u8>, first: &mut bool, name: &str) {
    debug_assert!(is_plain(name));
    if !std::mem::take(first) {
        out.push(b',');
    }
    out.push(b'"');
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b"\":");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_strings_are_told_from_ones_to_escape() {
        // Every byte value at every position of a chunk and of the remainder.
        for len in (1usize..=25).chain([31, 32, 33]) {
            for at in 0..len {
                for c in 0u8..=0x7f {
                    let mut s = vec![b'a'; len];
                    s[at] = c;
                    let s = String::from_utf8(s).unwrap();
                    let plain = c >= 0x20 && c != b'"' && c != b'\\';
                    assert_eq!(is_plain(&s), plain, "byte {c:#x} at {at} of {len}");
                }
            }
        }
        assert!(is_plain(""));
        assert!(is_plain("Café – Zürich 東京 \u{2028} \u{7f} ～"));
        assert!(!is_plain("x\u{1f}y"));
    }

    #[test]
    fn strings_are_written_as_serde_json_writes_them() {
        for s in [
            "",
            "plain",
            "quote \" here",
            "back\\slash",
            "tab\tnew\nline\r",
            "\u{0}\u{1}\u{1f}",
            "Café – 東京 \u{2028}\u{2029}",
            "\u{7f}\u{80}",
            "ends with \\",
        ] {
            let mut out = Vec::new();
            str(&mut out, s);
            assert_eq!(
                String::from_utf8(out).unwrap(),
                serde_json::to_string(s).unwrap(),
                "{s:?}"
            );
        }
    }

    #[test]
    fn numbers_dates_and_keys() {
        let mut out = Vec::new();
        let mut first = true;
        out.push(b'{');
        key(&mut out, &mut first, "a");
        int(&mut out, i64::MIN);
        key(&mut out, &mut first, "b");
        int(&mut out, 0);
        key(&mut out, &mut first, "c");
        date(&mut out, Date::new(7, 3, 9).unwrap());
        out.push(b'}');
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#"{"a":-9223372036854775808,"b":0,"c":"0007-03-09"}"#
        );
    }
}

//! Business Central enum values as they arrive in JSON.
//!
//! BC XML-escapes characters that are not valid in an OData enum member name: a space arrives
//! as `_x0020_` (`"Fixed_x0020_Asset"`), and the blank value as `"_x0020_"` alone.

use serde::Serialize;
use std::borrow::Cow;

/// Whether `raw` may hold an `_xHHHH_` escape (it holds `_x`). A byte scan: `str::contains`
/// with a string pattern sets up a two-way searcher per call, which showed in profiles of
/// ingest, where every enum field of every record is checked.
pub fn has_escape(raw: &str) -> bool {
    raw.as_bytes().windows(2).any(|w| w == b"_x")
}

/// Decodes `_xHHHH_` escapes (`"In_x0020_Review"` becomes `"In Review"`). Text without escapes
/// is returned borrowed; malformed escapes are kept as they are.
pub fn decode_enum(raw: &str) -> Cow<'_, str> {
    if !has_escape(raw) {
        return Cow::Borrowed(raw);
    }
    let bytes = raw.as_bytes();
    let mut out = String::with_capacity(raw.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'_' && i + 7 <= bytes.len() && bytes[i + 1] == b'x' && bytes[i + 6] == b'_'
        {
            let hex = &raw[i + 2..i + 6];
            if let Ok(code) = u32::from_str_radix(hex, 16) {
                if hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                    if let Some(c) = char::from_u32(code) {
                        out.push(c);
                        i += 7;
                        continue;
                    }
                }
            }
        }
        // Push the whole UTF-8 character starting here.
        let ch = raw[i..].chars().next().unwrap_or('\u{FFFD}');
        out.push(ch);
        i += ch.len_utf8().max(1);
    }
    Cow::Owned(out)
}

/// `lineType` of purchase invoice and credit memo lines (enum 5478 `invoiceLineAggLineType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum LineType {
    Comment,
    Account,
    Item,
    Resource,
    FixedAsset,
    Charge,
    AllocationAccount,
    /// A value this version does not know; kept so the line is not lost.
    Other,
}

impl LineType {
    pub fn parse(raw: &str) -> LineType {
        match decode_enum(raw).trim() {
            "Comment" | "" => LineType::Comment,
            "Account" | "G/L Account" => LineType::Account,
            "Item" => LineType::Item,
            "Resource" => LineType::Resource,
            "Fixed Asset" => LineType::FixedAsset,
            "Charge" | "Charge (Item)" => LineType::Charge,
            "Allocation Account" => LineType::AllocationAccount,
            _ => LineType::Other,
        }
    }

    /// The name used in output (`transactions.json` `lineType`).
    pub fn as_str(self) -> &'static str {
        match self {
            LineType::Comment => "comment",
            LineType::Account => "account",
            LineType::Item => "item",
            LineType::Resource => "resource",
            LineType::FixedAsset => "fixedAsset",
            LineType::Charge => "charge",
            LineType::AllocationAccount => "allocationAccount",
            LineType::Other => "other",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_escapes() {
        assert_eq!(decode_enum("Fixed_x0020_Asset"), "Fixed Asset");
        assert_eq!(decode_enum("_x0020_"), " ");
        assert_eq!(decode_enum("In_x0020_Review"), "In Review");
        assert_eq!(decode_enum("Paid"), "Paid");
        assert_eq!(decode_enum("bad_xZZZZ_"), "bad_xZZZZ_");
        assert_eq!(decode_enum("é_x0020_ü"), "é ü");
        assert_eq!(decode_enum("_x00"), "_x00");
    }

    #[test]
    fn line_types() {
        assert_eq!(LineType::parse("Fixed_x0020_Asset"), LineType::FixedAsset);
        assert_eq!(
            LineType::parse("Allocation_x0020_Account"),
            LineType::AllocationAccount
        );
        assert_eq!(LineType::parse("_x0020_"), LineType::Comment);
        assert_eq!(LineType::parse("Something"), LineType::Other);
    }
}

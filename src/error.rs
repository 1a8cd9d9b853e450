//! Configuration errors: the only errors the core raises.
//!
//! Per-record problems in Business Central payloads are never errors; they are
//! [`Diagnostic`](crate::diagnostics::Diagnostic)s. A `ConfigError` means the caller gave the
//! engine something it cannot work with (an unknown option, an invalid rule, a bad catalog), and
//! its message says what to fix. At the wasm boundary it becomes a JS `Error` whose `code` is
//! [`ConfigError::code`]. Every code is listed, with what the user does about it, in `CODES.md`.

use std::fmt;

/// Declares a code enum whose variants each stand for one stable SCREAMING_SNAKE string: the
/// string is what JSON output, JS `err.code` and states carry, so it is written out here once
/// rather than derived from the variant's name. Variants are listed in the byte order of their
/// strings, so the derived `Ord` sorts maps keyed by code as the strings did (a test checks it).
macro_rules! code_enum {
    ($(#[$m:meta])* pub enum $name:ident { $($variant:ident = $text:literal,)* }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $(#[doc = concat!("`", $text, "`")] $variant,)*
        }

        impl $name {
            /// Every code, in the order of their strings.
            pub const ALL: &'static [$name] = &[$($name::$variant,)*];

            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)*
                }
            }

            /// The code a string names, if this version knows it.
            pub fn parse(text: &str) -> Option<$name> {
                match text {
                    $($text => Some($name::$variant),)*
                    _ => None,
                }
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        // Callers and tests compare a code with the string the contract promises.
        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.as_str() == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.as_str() == *other
            }
        }
    };
}
pub(crate) use code_enum;

code_enum! {
    /// The `code` of an error the core raises to its caller (a JS `Error` at the boundary).
    pub enum ErrorCode {
        CatalogInvalid = "CATALOG_INVALID",
        CheckpointForeign = "CHECKPOINT_FOREIGN",
        CheckpointInvalid = "CHECKPOINT_INVALID",
        CheckpointVersion = "CHECKPOINT_VERSION",
        Internal = "INTERNAL",
        InvalidArgument = "INVALID_ARGUMENT",
        InvalidEntity = "INVALID_ENTITY",
        InvalidOption = "INVALID_OPTION",
        MissingOption = "MISSING_OPTION",
        RuleConflict = "RULE_CONFLICT",
        RuleInvalid = "RULE_INVALID",
        RuleRegexInvalid = "RULE_REGEX_INVALID",
        RuleRegexTooLarge = "RULE_REGEX_TOO_LARGE",
        RuleUnknownApp = "RULE_UNKNOWN_APP",
        StateForeign = "STATE_FOREIGN",
        StateInvalid = "STATE_INVALID",
        StateMergeOverlap = "STATE_MERGE_OVERLAP",
        StateVersion = "STATE_VERSION",
        SyncFailed = "SYNC_FAILED",
        SyncNotBegun = "SYNC_NOT_BEGUN",
        SyncNotFinished = "SYNC_NOT_FINISHED",
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// Stable, machine-readable code, e.g. `INVALID_OPTION` or `RULE_REGEX_INVALID`.
    pub code: ErrorCode,
    /// What is wrong and how to fix it, in one or two sentences.
    pub message: String,
    /// Where the problem is, as a JSON-pointer-like path (`"rules/3/pattern"`), when known.
    pub path: Option<String>,
}

impl ConfigError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ConfigError {
            code,
            message: message.into(),
            path: None,
        }
    }

    pub fn at(mut self, path: impl Into<String>) -> Self {
        self.path = Some(path.into());
        self
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.path {
            Some(p) => write!(f, "{} (at {p})", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for ConfigError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_codes_are_listed_in_the_order_of_their_strings() {
        let texts: Vec<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
        let mut sorted = texts.clone();
        sorted.sort_unstable();
        assert_eq!(texts, sorted);
        for c in ErrorCode::ALL {
            assert_eq!(ErrorCode::parse(c.as_str()), Some(*c));
        }
    }
}

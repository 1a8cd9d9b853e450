//! Configuration errors: the only errors the core raises.
//!
//! Per-record problems in Business Central payloads are never errors; they are
//! [`Diagnostic`](crate::diagnostics::Diagnostic)s. A `ConfigError` means the caller gave the
//! engine something it cannot work with (an unknown option, an invalid rule, a bad catalog), and
//! its message says what to fix. At the wasm boundary it becomes a JS `Error` whose `code` is
//! [`ConfigError::code`].

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// Stable, machine-readable code, e.g. `"INVALID_OPTION"` or `"RULE_INVALID_REGEX"`.
    pub code: &'static str,
    /// What is wrong and how to fix it, in one or two sentences.
    pub message: String,
    /// Where the problem is, as a JSON-pointer-like path (`"rules/3/pattern"`), when known.
    pub path: Option<String>,
}

impl ConfigError {
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
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

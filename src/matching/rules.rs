//! The customer's rules: match-to and ignore, on vendor name, line description and G/L account.
//!
//! Rules are untrusted input. Each is checked when the [`Matcher`](super::Matcher) is built:
//! unknown fields, missing or contradictory fields, unknown apps, invalid or oversized regexes,
//! and pairs of rules with the same priority that could both fire on one line are refused with
//! a [`ConfigError`] naming the rule's index and id and what to change. Regexes are compiled once
//! with size limits, so no text can make matching slow or make it panic.

use crate::catalog::Catalog;
use crate::error::ConfigError;
use regex::{Regex, RegexBuilder};
use serde::{Deserialize, Serialize};

/// One rule as the caller writes it (JSON, camelCase):
/// `{"id": "zoom-dental", "priority": 10, "action": "ignore", "vendor": {"op": "contains", "value": "zoom dental"}}`.
///
/// Rules are tried in ascending `priority` (1 before 2); the first whose conditions all hold
/// decides. At least one condition is required.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RuleSpec {
    pub id: String,
    pub priority: i64,
    pub action: RuleAction,
    /// The app to attribute to, for `matchTo`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_id: Option<String>,
    /// On the vendor's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor: Option<Condition>,
    /// On the line's description (or its second description line).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<Condition>,
    /// On the line's G/L account number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<Condition>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum RuleAction {
    MatchTo,
    Ignore,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Condition {
    pub op: ConditionOp,
    pub value: String,
    /// Off by default: "slack" matches "SLACK TECHNOLOGIES".
    #[serde(default)]
    pub case_sensitive: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum ConditionOp {
    /// The whole field, ignoring surrounding whitespace.
    Equals,
    /// A substring of the field.
    Contains,
    /// A regular expression (Rust `regex` syntax) found anywhere in the field.
    Regex,
}

/// Longest regex a rule may have, in bytes.
pub const MAX_PATTERN_LEN: usize = 1_000;
/// Limits on a compiled rule regex (bytes of the compiled program and of the lazy DFA cache).
pub const REGEX_SIZE_LIMIT: usize = 256 * 1024;
pub const REGEX_DFA_SIZE_LIMIT: usize = 1024 * 1024;

/// Reads the rules array of a configuration, with errors that point at the rule.
pub fn parse_rules(v: &serde_json::Value) -> Result<Vec<RuleSpec>, ConfigError> {
    let arr = v.as_array().ok_or_else(|| {
        ConfigError::new("RULE_INVALID", "rules must be an array of rule objects ({id, priority, action, appId?, vendor?, description?, account?})").at("rules")
    })?;
    arr.iter()
        .enumerate()
        .map(|(i, r)| {
            let id = r.get("id").and_then(|x| x.as_str()).unwrap_or("");
            RuleSpec::deserialize(r).map_err(|e| {
                ConfigError::new(
                    "RULE_INVALID",
                    format!(
                        "rule {i}{}: {e}; a rule is {{id, priority, action: \"matchTo\"|\"ignore\", appId (for matchTo), vendor?, description?, account?}} and a condition is {{op: \"equals\"|\"contains\"|\"regex\", value, caseSensitive?}}",
                        if id.is_empty() { String::new() } else { format!(" ('{id}')") }
                    ),
                )
                .at(format!("rules/{i}"))
            })
        })
        .collect()
}

pub(crate) struct CompiledCondition {
    pub spec: Condition,
    pub re: Regex,
}

impl CompiledCondition {
    /// The first match in `text`, as a byte span.
    pub fn find(&self, text: &str) -> Option<(usize, usize)> {
        self.re.find(text).map(|m| (m.start(), m.end()))
    }
}

pub(crate) struct CompiledRule {
    pub spec: RuleSpec,
    pub vendor: Option<CompiledCondition>,
    pub description: Option<CompiledCondition>,
    pub account: Option<CompiledCondition>,
}

/// Where a rule fired, for evidence: (field, byte span).
pub(crate) struct RuleFire<'r> {
    pub rule: &'r CompiledRule,
    pub spans: Vec<(&'static str, usize, usize)>,
}

pub(crate) struct RuleSet {
    pub rules: Vec<CompiledRule>,
}

impl RuleSet {
    pub fn compile(specs: &[RuleSpec], catalog: &Catalog) -> Result<RuleSet, ConfigError> {
        let mut rules = Vec::with_capacity(specs.len());
        let mut seen = std::collections::HashMap::new();
        for (i, s) in specs.iter().enumerate() {
            let at = |field: &str| format!("rules/{i}{field}");
            let who = format!("rule {i} ('{}')", s.id);
            if s.id.trim().is_empty() {
                return Err(ConfigError::new("RULE_INVALID", format!("rule {i} has an empty id; give every rule a unique id")).at(at("/id")));
            }
            if let Some(prev) = seen.insert(s.id.clone(), i) {
                return Err(ConfigError::new("RULE_INVALID", format!("{who} has the same id as rule {prev}; rule ids must be unique")).at(at("/id")));
            }
            match (s.action, &s.app_id) {
                (RuleAction::MatchTo, None) => {
                    return Err(ConfigError::new("RULE_INVALID", format!("{who} has action \"matchTo\" but no appId; name the app to match to")).at(at("/appId")))
                }
                (RuleAction::Ignore, Some(_)) => {
                    return Err(ConfigError::new("RULE_INVALID", format!("{who} has action \"ignore\" and an appId; remove appId, or use action \"matchTo\"")).at(at("/appId")))
                }
                (RuleAction::MatchTo, Some(app)) if catalog.app(app).is_none() => {
                    return Err(ConfigError::new("RULE_UNKNOWN_APP", format!("{who} matches to app '{app}', which is not in the catalog{}", suggest(app, catalog))).at(at("/appId")))
                }
                _ => {}
            }
            if s.vendor.is_none() && s.description.is_none() && s.account.is_none() {
                return Err(ConfigError::new("RULE_INVALID", format!("{who} has no condition; give it a vendor, description or account condition")).at(at("")));
            }
            let vendor = compile_cond(&s.vendor, &who, &at("/vendor"))?;
            let description = compile_cond(&s.description, &who, &at("/description"))?;
            let account = compile_cond(&s.account, &who, &at("/account"))?;
            rules.push(CompiledRule { spec: s.clone(), vendor, description, account });
        }
        // Same priority and possibly the same line: the order between them would be arbitrary.
        for i in 0..rules.len() {
            for j in i + 1..rules.len() {
                let (a, b) = (&rules[i], &rules[j]);
                if a.spec.priority == b.spec.priority && may_overlap(a, b) {
                    return Err(ConfigError::new(
                        "RULE_CONFLICT",
                        format!(
                            "rule {j} ('{}') and rule {i} ('{}') have the same priority {} and can both fire on the same line; give one of them a different priority, or make their conditions exclusive (e.g. different \"equals\" values)",
                            b.spec.id, a.spec.id, a.spec.priority
                        ),
                    )
                    .at(format!("rules/{j}/priority")));
                }
            }
        }
        rules.sort_by_key(|r| r.spec.priority);
        Ok(RuleSet { rules })
    }

    /// The first rule (by priority) whose conditions all hold. A rule with a description or
    /// account condition never fires when that field is absent.
    pub fn first<'r>(&'r self, vendor: &str, description: Option<&str>, description2: Option<&str>, account: Option<&str>) -> Option<RuleFire<'r>> {
        'rules: for r in &self.rules {
            let mut spans = Vec::new();
            if let Some(c) = &r.vendor {
                match c.find(vendor) {
                    Some((s, e)) => spans.push(("vendor", s, e)),
                    None => continue,
                }
            }
            if let Some(c) = &r.description {
                let mut found = false;
                for (field, text) in [("description", description), ("description2", description2)] {
                    if let Some(t) = text {
                        if let Some((s, e)) = c.find(t) {
                            spans.push((field, s, e));
                            found = true;
                            break;
                        }
                    }
                }
                if !found {
                    continue 'rules;
                }
            }
            if let Some(c) = &r.account {
                match account.and_then(|a| c.find(a)) {
                    Some((s, e)) => spans.push(("account", s, e)),
                    None => continue,
                }
            }
            return Some(RuleFire { rule: r, spans });
        }
        None
    }


}

fn suggest(app: &str, catalog: &Catalog) -> String {
    let lower = app.to_lowercase();
    let mut best: Vec<(usize, &str)> = catalog
        .apps()
        .iter()
        .map(|a| (super::index::damerau(&lower, &a.id).min(if a.id.contains(&lower) || lower.contains(&a.id) { 1 } else { usize::MAX }), a.id.as_str()))
        .filter(|(d, _)| *d <= 3)
        .collect();
    best.sort();
    if best.is_empty() {
        "; use the id of a catalog app (e.g. 'slack', 'microsoft-365') or add the app with the catalog option".into()
    } else {
        format!("; did you mean {}?", best.iter().take(3).map(|(_, id)| format!("'{id}'")).collect::<Vec<_>>().join(" or "))
    }
}

fn compile_cond(c: &Option<Condition>, who: &str, path: &str) -> Result<Option<CompiledCondition>, ConfigError> {
    let Some(c) = c else { return Ok(None) };
    let value_path = format!("{path}/value");
    if c.value.trim().is_empty() {
        return Err(ConfigError::new("RULE_INVALID", format!("{who} has an empty {} value; give the text to look for", last(path))).at(value_path));
    }
    if c.value.len() > MAX_PATTERN_LEN {
        return Err(ConfigError::new(
            "RULE_REGEX_TOO_LARGE",
            format!("{who}: the {} value is {} bytes long; the limit is {MAX_PATTERN_LEN}", last(path), c.value.len()),
        )
        .at(value_path));
    }
    let pattern = match c.op {
        ConditionOp::Equals => format!(r"^\s*{}\s*$", regex::escape(c.value.trim())),
        ConditionOp::Contains => regex::escape(&c.value),
        ConditionOp::Regex => c.value.clone(),
    };
    let re = RegexBuilder::new(&pattern)
        .case_insensitive(!c.case_sensitive)
        .size_limit(REGEX_SIZE_LIMIT)
        .dfa_size_limit(REGEX_DFA_SIZE_LIMIT)
        .nest_limit(64)
        .build()
        .map_err(|e| match e {
            regex::Error::CompiledTooBig(limit) => ConfigError::new(
                "RULE_REGEX_TOO_LARGE",
                format!("{who}: the {} regex compiles to more than {limit} bytes; simplify it (fewer repetitions like {{1000}}, smaller character classes)", last(path)),
            )
            .at(value_path.clone()),
            other => ConfigError::new(
                "RULE_REGEX_INVALID",
                format!("{who}: the {} regex is invalid: {}", last(path), other.to_string().lines().last().unwrap_or("syntax error").trim()),
            )
            .at(value_path.clone()),
        })?;
    Ok(Some(CompiledCondition { spec: c.clone(), re }))
}

fn last(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// Whether two rules could fire on one line: unless one of the fields has conditions on both
/// rules that are provably exclusive, assume they can (a sound approximation).
fn may_overlap(a: &CompiledRule, b: &CompiledRule) -> bool {
    for (x, y) in [(&a.vendor, &b.vendor), (&a.description, &b.description), (&a.account, &b.account)] {
        if let (Some(x), Some(y)) = (x, y) {
            if exclusive(x, y) || exclusive(y, x) {
                return false;
            }
        }
    }
    true
}

/// True when no text satisfies both conditions.
fn exclusive(x: &CompiledCondition, y: &CompiledCondition) -> bool {
    if x.spec.op != ConditionOp::Equals {
        return false;
    }
    // The one text `x` accepts (up to case and surrounding space): does `y` accept it?
    let v = x.spec.value.trim();
    if y.re.is_match(v) {
        return false;
    }
    if !x.spec.case_sensitive {
        // Other casings of v are accepted too; check the common ones.
        for variant in [v.to_lowercase(), v.to_uppercase()] {
            if y.re.is_match(&variant) {
                return false;
            }
        }
        if y.spec.op == ConditionOp::Regex {
            // A case-sensitive regex may match some other casing; stay conservative.
            return !y.spec.case_sensitive;
        }
    }
    true
}

//! The customer's rules: match-to and ignore, on vendor name, line description and G/L account.
//!
//! Rules are untrusted input. Each is checked when the [`Matcher`](super::Matcher) is built:
//! unknown fields, missing or contradictory fields, unknown apps, invalid or oversized regexes,
//! and pairs of rules with the same priority that could both fire on one line are refused with
//! a [`ConfigError`] naming the rule's index and id and what to change. Regexes are compiled once
//! with size limits, so no text can make matching slow or make it panic; `equals` and
//! `contains` conditions are compared as text where that answers as their regex would. The
//! conflict check indexes `equals` and `contains` values, so tens of thousands of rules at one
//! priority are checked in near-linear time (see "The conflict check" below).

use crate::catalog::Catalog;
use crate::error::ConfigError;
use crate::error::ErrorCode;
use crate::fastmap::FastMap;
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
        ConfigError::new(ErrorCode::RuleInvalid, "rules must be an array of rule objects ({id, priority, action, appId?, vendor?, description?, account?})").at("rules")
    })?;
    arr.iter()
        .enumerate()
        .map(|(i, r)| {
            let id = r.get("id").and_then(|x| x.as_str()).unwrap_or("");
            RuleSpec::deserialize(r).map_err(|e| {
                ConfigError::new(
                    ErrorCode::RuleInvalid,
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

/// How a condition is tested. A regex per `equals` or `contains` condition was what made
/// 100,000 rules hold ~500 MB and take seconds to compile; those conditions are compared as text
/// instead whenever that gives exactly the regex's answer: case-sensitive ones always (the regex
/// was the escaped value), case-insensitive ones when the value is ASCII (the regex crate's
/// case folding of ASCII is [`fold_key`]). A case-insensitive value with other characters keeps
/// its regex, so Unicode case folding stays the regex crate's own.
enum Test {
    /// `equals` (`whole`, the value trimmed) or `contains`; for `ci`, the value is in lower case.
    Literal {
        needle: Box<str>,
        ci: bool,
        whole: bool,
    },
    Regex(Regex),
}

pub(crate) struct CompiledCondition {
    pub spec: Condition,
    test: Test,
}

impl CompiledCondition {
    /// The first match in `text`, as a byte span: the span the condition's regex
    /// (`^\s*value\s*$`, `value` escaped, or the rule's own) would give.
    pub fn find(&self, text: &str) -> Option<(usize, usize)> {
        match &self.test {
            Test::Regex(re) => re.find(text).map(|m| (m.start(), m.end())),
            Test::Literal {
                needle,
                ci: false,
                whole: true,
            } => (text.trim() == &**needle).then_some((0, text.len())),
            Test::Literal {
                needle,
                ci: true,
                whole: true,
            } => folded_prefix(text.trim(), needle)
                .filter(|&end| end == text.trim().len())
                .map(|_| (0, text.len())),
            Test::Literal {
                needle,
                ci: false,
                whole: false,
            } => text.find(&**needle).map(|s| (s, s + needle.len())),
            Test::Literal {
                needle,
                ci: true,
                whole: false,
            } => {
                let first = needle.as_bytes()[0];
                text.char_indices()
                    .filter(|&(_, c)| fold_key(c) == first)
                    .find_map(|(s, _)| folded_prefix(&text[s..], needle).map(|e| (s, s + e)))
            }
        }
    }

    fn is_match(&self, text: &str) -> bool {
        self.find(text).is_some()
    }
}

/// Stands for every non-ASCII character in a [`fold_key`]ed text.
const NON_ASCII: u8 = 0xFF;

/// A character as the regex crate's case-insensitive matching (Unicode simple case folding)
/// sees it, as far as ASCII goes: an ASCII letter matches its other case, `k` also matches
/// U+212A KELVIN SIGN and `s` U+017F LONG S, and no other non-ASCII character matches any ASCII
/// one (`tests::fold_key_is_the_regex_crates_case_folding` checks this against the regex crate
/// for every character). So two texts that match case-insensitively have equal keys, character
/// for character; the converse holds for ASCII.
fn fold_key(c: char) -> u8 {
    match c {
        '\u{212A}' => b'k',
        '\u{17F}' => b's',
        c if c.is_ascii() => (c as u8).to_ascii_lowercase(),
        _ => NON_ASCII,
    }
}

fn fold_keys(s: &str) -> Vec<u8> {
    s.chars().map(fold_key).collect()
}

/// The end of the prefix of `text` that matches the lower-case ASCII `needle` case-insensitively.
fn folded_prefix(text: &str, needle: &str) -> Option<usize> {
    let mut chars = text.char_indices();
    for &p in needle.as_bytes() {
        match chars.next() {
            Some((_, c)) if fold_key(c) == p => {}
            _ => return None,
        }
    }
    Some(chars.next().map_or(text.len(), |(i, _)| i))
}

pub(crate) struct CompiledRule {
    pub spec: RuleSpec,
    /// Where the rule is in the caller's list (errors name it; the set is kept by priority).
    index: usize,
    pub vendor: Option<CompiledCondition>,
    pub description: Option<CompiledCondition>,
    pub account: Option<CompiledCondition>,
}

impl CompiledRule {
    fn conditions(&self) -> [Option<&CompiledCondition>; 3] {
        [
            self.vendor.as_ref(),
            self.description.as_ref(),
            self.account.as_ref(),
        ]
    }
}

/// Where a rule fired, for evidence: (field, byte span).
pub(crate) struct RuleFire<'r> {
    pub rule: &'r CompiledRule,
    /// The rule's place in the set (priority order).
    pub at: u32,
    pub spans: Vec<(&'static str, usize, usize)>,
}

pub(crate) struct RuleSet {
    pub rules: Vec<CompiledRule>,
}

impl RuleSet {
    pub fn compile(specs: &[RuleSpec], catalog: &Catalog) -> Result<RuleSet, ConfigError> {
        let mut rules = Vec::with_capacity(specs.len());
        let mut seen: FastMap<&str, u32> = FastMap::default();
        for (i, s) in specs.iter().enumerate() {
            // Formatted only for an error: with 100,000 rules, per-rule strings add up.
            let at = |field: &str| format!("rules/{i}{field}");
            let who = || format!("rule {i} ('{}')", s.id);
            if s.id.trim().is_empty() {
                return Err(ConfigError::new(
                    ErrorCode::RuleInvalid,
                    format!("rule {i} has an empty id; give every rule a unique id"),
                )
                .at(at("/id")));
            }
            if let Some(prev) = seen.insert(&s.id, i as u32) {
                return Err(ConfigError::new(
                    ErrorCode::RuleInvalid,
                    format!(
                        "{} has the same id as rule {prev}; rule ids must be unique",
                        who()
                    ),
                )
                .at(at("/id")));
            }
            match (s.action, &s.app_id) {
                (RuleAction::MatchTo, None) => {
                    return Err(ConfigError::new(ErrorCode::RuleInvalid, format!("{} has action \"matchTo\" but no appId; name the app to match to", who())).at(at("/appId")))
                }
                (RuleAction::Ignore, Some(_)) => {
                    return Err(ConfigError::new(ErrorCode::RuleInvalid, format!("{} has action \"ignore\" and an appId; remove appId, or use action \"matchTo\"", who())).at(at("/appId")))
                }
                (RuleAction::MatchTo, Some(app)) if catalog.app(app).is_none() => {
                    return Err(ConfigError::new(ErrorCode::RuleUnknownApp, format!("{} matches to app '{app}', which is not in the catalog{}", who(), suggest(app, catalog))).at(at("/appId")))
                }
                _ => {}
            }
            if s.vendor.is_none() && s.description.is_none() && s.account.is_none() {
                return Err(ConfigError::new(
                    ErrorCode::RuleInvalid,
                    format!(
                        "{} has no condition; give it a vendor, description or account condition",
                        who()
                    ),
                )
                .at(at("")));
            }
            let vendor = compile_cond(&s.vendor, &who, &|| at("/vendor"))?;
            let description = compile_cond(&s.description, &who, &|| at("/description"))?;
            let account = compile_cond(&s.account, &who, &|| at("/account"))?;
            rules.push(CompiledRule {
                spec: s.clone(),
                index: i,
                vendor,
                description,
                account,
            });
        }
        // Stable: rules of one priority stay in the caller's order, which the check relies on.
        crate::sort::sort_by_key(&mut rules, |r| r.spec.priority);
        // Same priority and possibly the same line: the order between them would be arbitrary.
        if let Some((i, j)) = first_conflict(&rules) {
            let spec = |k: usize| {
                &rules
                    .iter()
                    .find(|r| r.index == k)
                    .expect("a rule of the set")
                    .spec
            };
            let (a, b) = (spec(i), spec(j));
            return Err(ConfigError::new(
                ErrorCode::RuleConflict,
                format!(
                    "rule {j} ('{}') and rule {i} ('{}') have the same priority {} and can both fire on the same line; give one of them a different priority, or make their conditions exclusive (e.g. different \"equals\" values)",
                    b.id, a.id, a.priority
                ),
            )
            .at(format!("rules/{j}/priority")));
        }
        Ok(RuleSet { rules })
    }

    /// The first rule (by priority) whose conditions all hold. A rule with a description or
    /// account condition never fires when that field is absent.
    pub fn first<'r>(
        &'r self,
        vendor: &str,
        description: Option<&str>,
        description2: Option<&str>,
        account: Option<&str>,
    ) -> Option<RuleFire<'r>> {
        self.rules.iter().enumerate().find_map(|(at, r)| {
            r.fire(vendor, description, description2, account)
                .map(|spans| RuleFire {
                    rule: r,
                    at: at as u32,
                    spans,
                })
        })
    }

    /// Whether the rule at `at` (in priority order) fires on these fields, whatever the other
    /// rules do: which kept decisions a new rule can change.
    pub fn fires(
        &self,
        at: usize,
        vendor: &str,
        description: Option<&str>,
        description2: Option<&str>,
        account: Option<&str>,
    ) -> bool {
        self.rules
            .get(at)
            .is_some_and(|r| r.fire(vendor, description, description2, account).is_some())
    }

    /// Each rule's fingerprint, in priority order: a hash of its canonical JSON (the fields in
    /// declaration order), stable across processes.
    pub fn hashes(&self) -> Vec<u64> {
        self.rules
            .iter()
            .map(|r| {
                let json = serde_json::to_vec(&r.spec).unwrap_or_default();
                super::decisions::stable_hash(&[&json])
            })
            .collect()
    }
}

impl CompiledRule {
    /// The spans where each condition holds, when all hold.
    fn fire(
        &self,
        vendor: &str,
        description: Option<&str>,
        description2: Option<&str>,
        account: Option<&str>,
    ) -> Option<Vec<(&'static str, usize, usize)>> {
        let mut spans = Vec::new();
        if let Some(c) = &self.vendor {
            let (s, e) = c.find(vendor)?;
            spans.push(("vendor", s, e));
        }
        if let Some(c) = &self.description {
            let (field, (s, e)) = [("description", description), ("description2", description2)]
                .into_iter()
                .find_map(|(field, text)| Some((field, c.find(text?)?)))?;
            spans.push((field, s, e));
        }
        if let Some(c) = &self.account {
            let (s, e) = account.and_then(|a| c.find(a))?;
            spans.push(("account", s, e));
        }
        Some(spans)
    }
}

fn suggest(app: &str, catalog: &Catalog) -> String {
    let lower = app.to_lowercase();
    let mut best: Vec<(usize, &str)> = catalog
        .apps()
        .iter()
        .map(|a| {
            (
                super::index::damerau(&lower, &a.id).min(
                    if a.id.contains(&lower) || lower.contains(&a.id) {
                        1
                    } else {
                        usize::MAX
                    },
                ),
                a.id.as_str(),
            )
        })
        .filter(|(d, _)| *d <= 3)
        .collect();
    crate::sort::sort(&mut best);
    if best.is_empty() {
        "; use the id of a catalog app (e.g. 'slack', 'microsoft-365') or add the app with the catalog option".into()
    } else {
        format!(
            "; did you mean {}?",
            best.iter()
                .take(3)
                .map(|(_, id)| format!("'{id}'"))
                .collect::<Vec<_>>()
                .join(" or ")
        )
    }
}

fn compile_cond(
    c: &Option<Condition>,
    who: &dyn Fn() -> String,
    path: &dyn Fn() -> String,
) -> Result<Option<CompiledCondition>, ConfigError> {
    let Some(c) = c else { return Ok(None) };
    let field = || last(&path()).to_string();
    let value_path = || format!("{}/value", path());
    if c.value.trim().is_empty() {
        return Err(ConfigError::new(
            ErrorCode::RuleInvalid,
            format!(
                "{} has an empty {} value; give the text to look for",
                who(),
                field()
            ),
        )
        .at(value_path()));
    }
    if c.value.len() > MAX_PATTERN_LEN {
        return Err(ConfigError::new(
            ErrorCode::RuleRegexTooLarge,
            format!(
                "{}: the {} value is {} bytes long; the limit is {MAX_PATTERN_LEN}",
                who(),
                field(),
                c.value.len()
            ),
        )
        .at(value_path()));
    }
    // An escaped value of at most MAX_PATTERN_LEN bytes always compiled within the size limits
    // (`tests::the_longest_literal_values_compiled_as_regexes`), so a literal refuses nothing
    // its regex accepted.
    let literal = |needle: &str, whole: bool| {
        let ci = !c.case_sensitive;
        let needle = if ci {
            needle.to_ascii_lowercase()
        } else {
            needle.to_string()
        };
        Test::Literal {
            needle: needle.into_boxed_str(),
            ci,
            whole,
        }
    };
    let test = match c.op {
        ConditionOp::Equals if c.case_sensitive || c.value.is_ascii() => {
            literal(c.value.trim(), true)
        }
        ConditionOp::Contains if c.case_sensitive || c.value.is_ascii() => literal(&c.value, false),
        op => {
            let pattern = match op {
                ConditionOp::Equals => format!(r"^\s*{}\s*$", regex::escape(c.value.trim())),
                ConditionOp::Contains => regex::escape(&c.value),
                ConditionOp::Regex => c.value.clone(),
            };
            Test::Regex(build_regex(&pattern, c.case_sensitive).map_err(|e| match e {
                regex::Error::CompiledTooBig(limit) => ConfigError::new(
                    ErrorCode::RuleRegexTooLarge,
                    format!("{}: the {} regex compiles to more than {limit} bytes; simplify it (fewer repetitions like {{1000}}, smaller character classes)", who(), field()),
                )
                .at(value_path()),
                other => ConfigError::new(
                    ErrorCode::RuleRegexInvalid,
                    format!("{}: the {} regex is invalid: {}", who(), field(), other.to_string().lines().last().unwrap_or("syntax error").trim()),
                )
                .at(value_path()),
            })?)
        }
    };
    Ok(Some(CompiledCondition {
        spec: c.clone(),
        test,
    }))
}

fn build_regex(pattern: &str, case_sensitive: bool) -> Result<Regex, regex::Error> {
    #[cfg(test)]
    tests::REGEXES_COMPILED.with(|n| n.set(n.get() + 1));
    RegexBuilder::new(pattern)
        .case_insensitive(!case_sensitive)
        .size_limit(REGEX_SIZE_LIMIT)
        .dfa_size_limit(REGEX_DFA_SIZE_LIMIT)
        .nest_limit(64)
        .build()
}

fn last(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

// The conflict check.
//
// What it decides is unchanged: two rules conflict when they have the same priority and
// `may_overlap` says they could fire on one line, and the pair reported is the one the old
// pairwise loop reported (smallest i, then smallest j: "rule j and rule i").
// `tests::conflict_check_agrees_with_pairwise` compares the two on generated rule sets. What
// changed is which pairs are looked at. Comparing every pair of same-priority rules (up to
// three regex runs each) took 33 s for 5,000 and 194 s for 10,000, and 100,000 rules of any
// priority paid for 5 billion priority comparisons; now rules are grouped by priority first.
//
// `may_overlap` can only say "no" through a field on which both rules have a condition and one
// of them is `equals` (`exclusive` needs an `equals` side): an "exclusive field" of the pair.
// Within one priority:
//
// 1. Pairs without an exclusive field always conflict. That depends only on the two rules'
//    shapes (which fields have a condition, which an `equals`, which a `regex`), so the first
//    such pair comes from the first two rules of each shape: O(n + shapes^2), shapes <= 64.
// 2. A pair with exclusive fields conflicts only if no field excludes it, in particular not
//    its designated field f (`Shape::designated_field`, a function of the two shapes: the
//    first exclusive field without a regex, else the first). On f one rule, a, has `equals` v
//    and the other, b, has a condition that accepts v (or, when a ignores case, v's lower- or
//    upper-case form). On the keys of `fold_key` (equal for texts that match case-
//    insensitively, and coarser), that needs: b `equals` a value with v's key (hash map), or b
//    `contains` a value whose key occurs in v's key (Aho-Corasick automaton), or b a `regex`
//    (which no index can read: kept in lists by shape, so a whole shape whose designated field
//    is another one is skipped). Every rule asks the index of each of its `equals` fields for
//    such b; `may_overlap` decides on each candidate.
//
// So every pair the old loop could report is a candidate, and nothing is reported that
// `may_overlap` did not confirm. Cost per priority: O(total length of the values) to build the
// index and query it, plus one `may_overlap` per candidate, which for a priority without
// conflicts are: rules with the same key (or a `contains` key inside it) that another field
// tells apart, and the regex rules whose designated field is an `equals` field of the asking
// rule. The latter is the only pairwise part left: R regex rules against E `equals` rules on
// one field at one priority run R x E x (1 to 3) regexes. Candidates that cannot give a pair
// before the one already found are skipped, so a priority full of conflicts stops early.

/// The pair of rules (i < j, by their index in the caller's list) that the old pairwise check
/// would have reported first. `rules` are sorted by priority, stably: within a priority, a
/// rule's position and its index ascend together, so positions stand for indices there.
fn first_conflict(rules: &[CompiledRule]) -> Option<(usize, usize)> {
    let shapes: Vec<Shape> = rules.iter().map(Shape::of).collect();
    let positions: Vec<usize> = (0..rules.len()).collect();
    let mut best = None;
    for group in positions.chunk_by(|&a, &b| rules[a].spec.priority == rules[b].spec.priority) {
        if group.len() > 1 {
            best = group_conflict(rules, &shapes, group, best);
        }
    }
    best
}

/// Which fields of a rule have a condition, an `equals` one, a `regex` one (bit k: field k).
#[derive(Clone, Copy, PartialEq, Eq)]
struct Shape {
    has: u8,
    equals: u8,
    regex: u8,
}

impl Shape {
    fn of(r: &CompiledRule) -> Shape {
        let mut s = Shape {
            has: 0,
            equals: 0,
            regex: 0,
        };
        for (k, c) in r.conditions().into_iter().enumerate() {
            if let Some(c) = c {
                s.has |= 1 << k;
                match c.spec.op {
                    ConditionOp::Equals => s.equals |= 1 << k,
                    ConditionOp::Regex => s.regex |= 1 << k,
                    ConditionOp::Contains => {}
                }
            }
        }
        s
    }

    /// The fields on which `may_overlap` can tell two rules of these shapes apart.
    fn exclusive_fields(self, other: Shape) -> u8 {
        (self.equals & other.has) | (other.equals & self.has)
    }

    /// The one field through which the index looks at a pair of these shapes: if they conflict,
    /// they do not exclude each other on any field, so one field is enough. One without a regex
    /// when there is one (a key lookup instead of running the regex).
    fn designated_field(self, other: Shape) -> Option<usize> {
        let fields = self.exclusive_fields(other);
        let keyed = fields & !(self.regex | other.regex);
        let pick = if keyed != 0 { keyed } else { fields };
        (pick != 0).then(|| pick.trailing_zeros() as usize)
    }
}

/// The index of one field within one priority.
#[derive(Default)]
struct FieldIndex {
    /// Distinct keys: of `equals` values (trimmed) and of `contains` values, numbered apart
    /// (`contains` keys in order of appearance), with the rules of each.
    equals_keys: FastMap<Vec<u8>, u32>,
    equals_rules: Vec<Vec<usize>>,
    contains_keys: FastMap<Vec<u8>, u32>,
    contains_key_list: Vec<Vec<u8>>,
    contains_rules: Vec<Vec<usize>>,
    contains: Substrings,
    /// `regex` rules, by shape: most shapes are told apart from an `equals` rule through
    /// another field, and are skipped whole.
    regex: Vec<(Shape, Vec<usize>)>,
}

/// The texts an `equals` condition's `exclusive` test tries: the trimmed value and, ignoring
/// case, its lower- and upper-case forms (the same for ASCII, by key).
fn equals_variants(c: &CompiledCondition) -> Vec<std::borrow::Cow<'_, str>> {
    let v = c.spec.value.trim();
    if c.spec.case_sensitive || v.is_ascii() {
        vec![v.into()]
    } else {
        vec![v.into(), v.to_lowercase().into(), v.to_uppercase().into()]
    }
}

/// The first conflict within one priority (`members`: positions, ascending), or `best` if none
/// comes before it. Pairs of positions are ordered as their pairs of indices; `best` holds
/// indices.
fn group_conflict(
    rules: &[CompiledRule],
    shapes: &[Shape],
    members: &[usize],
    mut best: Option<(usize, usize)>,
) -> Option<(usize, usize)> {
    let index_pair = |p: (usize, usize)| (rules[p.0].index, rules[p.1].index);
    let better = |p: (usize, usize), best: &mut Option<(usize, usize)>| {
        let pair = index_pair(p);
        if best.map_or(true, |q| pair < q) && may_overlap(&rules[p.0], &rules[p.1]) {
            *best = Some(pair);
        }
    };
    // 1. Pairs that no field can make exclusive: the first two rules of each shape.
    let mut first_two: Vec<(Shape, usize, usize)> = Vec::new();
    for &i in members {
        match first_two.iter_mut().find(|(s, _, _)| *s == shapes[i]) {
            None => first_two.push((shapes[i], i, usize::MAX)),
            Some(slot) if slot.2 == usize::MAX => slot.2 = i,
            Some(_) => {}
        }
    }
    for (x, &(s1, a, a2)) in first_two.iter().enumerate() {
        for &(s2, b, _) in &first_two[x..] {
            if s1.exclusive_fields(s2) != 0 {
                continue;
            }
            let pair = if s1 == s2 {
                (a, a2)
            } else {
                (a.min(b), a.max(b))
            };
            if pair.1 != usize::MAX {
                better(pair, &mut best);
            }
        }
    }
    // 2. Pairs that an `equals` condition may make exclusive: candidates from the index.
    let mut index: [FieldIndex; 3] = Default::default();
    for &i in members {
        for (f, c) in rules[i].conditions().into_iter().enumerate() {
            let Some(c) = c else { continue };
            let ix = &mut index[f];
            match c.spec.op {
                ConditionOp::Equals => {
                    let next = ix.equals_rules.len() as u32;
                    let k = *ix
                        .equals_keys
                        .entry(fold_keys(c.spec.value.trim()))
                        .or_insert(next);
                    if k == next {
                        ix.equals_rules.push(Vec::new());
                    }
                    ix.equals_rules[k as usize].push(i);
                }
                ConditionOp::Contains => {
                    let next = ix.contains_rules.len() as u32;
                    let key = fold_keys(&c.spec.value);
                    let k = *ix.contains_keys.entry(key.clone()).or_insert(next);
                    if k == next {
                        ix.contains_key_list.push(key);
                        ix.contains_rules.push(Vec::new());
                    }
                    ix.contains_rules[k as usize].push(i);
                }
                ConditionOp::Regex => match ix.regex.iter_mut().find(|(s, _)| *s == shapes[i]) {
                    Some((_, list)) => list.push(i),
                    None => ix.regex.push((shapes[i], vec![i])),
                },
            }
        }
    }
    for ix in &mut index {
        ix.contains = Substrings::new(ix.contains_key_list.iter().map(Vec::as_slice));
    }
    let mut candidates = Vec::new();
    for &a in members {
        // Only pairs before `best` matter; for a > best.0 that leaves partners up to best.0.
        let i = rules[a].index;
        let limit = match best {
            None => usize::MAX,
            Some((bi, _)) if i < bi => usize::MAX,
            Some((bi, bj)) if i == bi => bj,
            Some((bi, _)) => bi + 1,
        };
        let sa = shapes[a];
        candidates.clear();
        for (f, c) in rules[a].conditions().into_iter().enumerate() {
            let Some(c) = c.filter(|c| c.spec.op == ConditionOp::Equals) else {
                continue;
            };
            let ix = &index[f];
            let mut take = |list: &[usize]| {
                let list = &list[..list.partition_point(|&b| rules[b].index < limit)];
                candidates.extend(
                    list.iter()
                        .copied()
                        .filter(|&b| sa.designated_field(shapes[b]) == Some(f)),
                );
            };
            for (s, list) in &ix.regex {
                if sa.designated_field(*s) == Some(f) {
                    take(list);
                }
            }
            for t in equals_variants(c) {
                if let Some(&k) = ix.equals_keys.get(&fold_keys(t.trim())) {
                    take(&ix.equals_rules[k as usize]);
                }
                ix.contains
                    .each_inside(&fold_keys(&t), |k| take(&ix.contains_rules[k as usize]));
            }
        }
        candidates.sort_unstable();
        candidates.dedup();
        // Ascending partners give ascending pairs: the first conflict is a's first.
        for &b in &candidates {
            if b == a {
                continue;
            }
            let pair = (a.min(b), a.max(b));
            if best.is_some_and(|q| index_pair(pair) >= q) {
                break;
            }
            better(pair, &mut best);
        }
    }
    best
}

/// An Aho-Corasick automaton over byte strings: which of its keys occur in a text.
#[derive(Default)]
struct Substrings {
    /// Per node: its edges, by byte (ascending); where to continue when no edge fits; the key
    /// ending here (`u32::MAX`: none); and the nearest node on the failure chain where a key
    /// ends.
    edges: Vec<Vec<(u8, u32)>>,
    fail: Vec<u32>,
    key: Vec<u32>,
    also: Vec<u32>,
}

impl Substrings {
    /// Key k is the k-th of `keys` (distinct).
    fn new<'k>(keys: impl Iterator<Item = &'k [u8]>) -> Substrings {
        const NONE: u32 = u32::MAX;
        let mut s = Substrings {
            edges: vec![Vec::new()],
            fail: vec![0],
            key: vec![NONE],
            also: vec![NONE],
        };
        for (k, bytes) in keys.enumerate() {
            let mut n = 0u32;
            for &b in bytes {
                n = match s.edges[n as usize].binary_search_by_key(&b, |&(e, _)| e) {
                    Ok(e) => s.edges[n as usize][e].1,
                    Err(e) => {
                        let c = s.fail.len() as u32;
                        s.edges[n as usize].insert(e, (b, c));
                        s.edges.push(Vec::new());
                        s.fail.push(0);
                        s.key.push(NONE);
                        s.also.push(NONE);
                        c
                    }
                };
            }
            s.key[n as usize] = k as u32;
        }
        // Breadth first, so that a node's failure target (shallower) is complete before it.
        let mut queue: Vec<u32> = s.edges[0].iter().map(|&(_, c)| c).collect();
        let mut next = 0;
        while let Some(&u) = queue.get(next) {
            next += 1;
            for e in 0..s.edges[u as usize].len() {
                let (b, v) = s.edges[u as usize][e];
                let f = s.step(s.fail[u as usize], b);
                s.fail[v as usize] = f;
                s.also[v as usize] = if s.key[f as usize] != NONE {
                    f
                } else {
                    s.also[f as usize]
                };
                queue.push(v);
            }
        }
        s
    }

    fn step(&self, mut n: u32, b: u8) -> u32 {
        loop {
            let edges = &self.edges[n as usize];
            if let Ok(e) = edges.binary_search_by_key(&b, |&(e, _)| e) {
                return edges[e].1;
            }
            if n == 0 {
                return 0;
            }
            n = self.fail[n as usize];
        }
    }

    /// Calls `hit` with every key that occurs in `text` (once per occurrence).
    fn each_inside(&self, text: &[u8], mut hit: impl FnMut(u32)) {
        if self.edges.len() <= 1 {
            return;
        }
        let mut n = 0;
        for &b in text {
            n = self.step(n, b);
            let mut m = if self.key[n as usize] != u32::MAX {
                n
            } else {
                self.also[n as usize]
            };
            while m != u32::MAX {
                hit(self.key[m as usize]);
                m = self.also[m as usize];
            }
        }
    }
}

/// Whether two rules could fire on one line: unless one of the fields has conditions on both
/// rules that are provably exclusive, assume they can (a sound approximation).
fn may_overlap(a: &CompiledRule, b: &CompiledRule) -> bool {
    #[cfg(test)]
    tests::PAIRS_CHECKED.with(|n| n.set(n.get() + 1));
    for (x, y) in [
        (&a.vendor, &b.vendor),
        (&a.description, &b.description),
        (&a.account, &b.account),
    ] {
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
    if y.is_match(v) {
        return false;
    }
    if !x.spec.case_sensitive {
        // Other casings of v are accepted too; check the common ones.
        for variant in [v.to_lowercase(), v.to_uppercase()] {
            if y.is_match(&variant) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    thread_local! {
        /// How many rule pairs the conflict check compared in full, on this thread.
        pub(super) static PAIRS_CHECKED: Cell<usize> = const { Cell::new(0) };
        /// How many regexes rule conditions compiled, on this thread.
        pub(super) static REGEXES_COMPILED: Cell<usize> = const { Cell::new(0) };
    }

    fn spec(i: usize, priority: i64, field: &str, op: &str, value: &str) -> RuleSpec {
        let v = serde_json::json!({ "id": format!("r{i}"), "priority": priority, "action": "ignore", field: { "op": op, "value": value } });
        parse_rules(&serde_json::json!([v])).unwrap().remove(0)
    }

    /// Rules that share a priority are many in real configurations (the conflict message
    /// itself recommends "equals" rules at one priority): the check must not compare them all
    /// pairwise.
    #[test]
    fn same_priority_equals_rules_are_not_compared_pairwise() {
        let n = 400;
        let mut specs: Vec<RuleSpec> = (0..n)
            .map(|i| spec(i, 5, "vendor", "equals", &format!("Vendor {i}")))
            .collect();
        specs.push(spec(n, 5, "description", "regex", "^licen[cs]e"));
        specs[n].vendor = Some(Condition {
            op: ConditionOp::Contains,
            value: "globex".into(),
            case_sensitive: false,
        });
        PAIRS_CHECKED.with(|c| c.set(0));
        assert!(RuleSet::compile(&specs, &Catalog::builtin()).is_ok());
        let checked = PAIRS_CHECKED.with(|c| c.get());
        assert!(
            checked <= 2 * n,
            "{checked} pairs compared in full for {n} rules at one priority"
        );
    }

    /// A regex per `equals` or `contains` condition made 100,000 rules hold ~500 MB.
    #[test]
    fn equals_and_contains_conditions_compile_no_regex() {
        let specs: Vec<RuleSpec> = (0..300)
            .map(|i| {
                if i % 2 == 0 {
                    spec(i, 1, "vendor", "equals", &format!("Vendor {i}"))
                } else {
                    spec(
                        i,
                        10 + i as i64,
                        "vendor",
                        "contains",
                        &format!("brand {i}"),
                    )
                }
            })
            .collect();
        REGEXES_COMPILED.with(|c| c.set(0));
        assert!(RuleSet::compile(&specs, &Catalog::builtin()).is_ok());
        assert_eq!(REGEXES_COMPILED.with(|c| c.get()), 0);
    }

    /// What `compile_cond` built before conditions could be literals.
    fn old_regex(c: &Condition) -> Regex {
        let pattern = match c.op {
            ConditionOp::Equals => format!(r"^\s*{}\s*$", regex::escape(c.value.trim())),
            ConditionOp::Contains => regex::escape(&c.value),
            ConditionOp::Regex => c.value.clone(),
        };
        build_regex(&pattern, c.case_sensitive).unwrap()
    }

    /// A small deterministic generator (the core has no randomness; tests may).
    struct Gen(u64);
    impl Gen {
        fn below(&mut self, n: usize) -> usize {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 % n as u64) as usize
        }
    }

    /// `fold_key` is what the regex crate does, checked against it for every character: the
    /// literal conditions and the conflict index both rest on it.
    #[test]
    fn fold_key_is_the_regex_crates_case_folding() {
        let all: String = (0..=0x10FFFF).filter_map(char::from_u32).collect();
        // The only non-ASCII characters that match an ASCII one case-insensitively.
        let ascii = build_regex(r"[\x00-\x7F]", false).unwrap();
        let matched: Vec<char> = ascii
            .find_iter(&all)
            .filter_map(|m| m.as_str().chars().next())
            .filter(|c| !c.is_ascii())
            .collect();
        assert_eq!(matched, ['\u{17F}', '\u{212A}']);
        // Among ASCII and those two, which matches which.
        let probe: Vec<char> = (0..128u8)
            .map(char::from)
            .chain(['\u{17F}', '\u{212A}'])
            .collect();
        for &c in &probe {
            let re = build_regex(&format!("^{}$", regex::escape(&c.to_string())), false).unwrap();
            for &d in &probe {
                assert_eq!(
                    re.is_match(&d.to_string()),
                    fold_key(c) == fold_key(d),
                    "{c:?} {d:?}"
                );
            }
        }
        // `str::trim` and the regex's `\s` agree on what is white space.
        let space = build_regex(r"\s", true).unwrap();
        let spaces: Vec<char> = space
            .find_iter(&all)
            .filter_map(|m| m.as_str().chars().next())
            .collect();
        assert_eq!(
            spaces,
            all.chars()
                .filter(|c| c.is_whitespace())
                .collect::<Vec<_>>()
        );
    }

    /// A literal condition finds what its regex found, at the same span.
    #[test]
    fn literal_conditions_match_as_their_regex() {
        let alphabet = [
            'a', 'A', 'b', 'k', 'K', 's', 'S', '\u{17F}', '\u{212A}', ' ', '\t', '\u{A0}', '-',
            '.', '*', 'é', 'É', 'ß',
        ];
        let mut g = Gen(0x9E37_79B9_7F4A_7C15);
        let word = |g: &mut Gen, max: usize| -> String {
            (0..g.below(max + 1))
                .map(|_| alphabet[g.below(alphabet.len())])
                .collect()
        };
        let (mut literals, mut found) = (0, 0);
        for _ in 0..6_000 {
            let value = word(&mut g, 4);
            if value.trim().is_empty() {
                continue;
            }
            let op = if g.below(2) == 0 {
                ConditionOp::Equals
            } else {
                ConditionOp::Contains
            };
            let c = Condition {
                op,
                value,
                case_sensitive: g.below(3) == 0,
            };
            let compiled = compile_cond(&Some(c.clone()), &String::new, &String::new)
                .unwrap()
                .unwrap();
            literals += matches!(compiled.test, Test::Literal { .. }) as usize;
            let re = old_regex(&c);
            for _ in 0..8 {
                let text = word(&mut g, 7);
                let want = re.find(&text).map(|m| (m.start(), m.end()));
                assert_eq!(compiled.find(&text), want, "{c:?} on {text:?}");
                found += want.is_some() as usize;
            }
        }
        assert!(
            literals > 1_500 && found > 900,
            "{literals} literal conditions, {found} matches"
        );
    }

    /// Literal conditions refuse nothing that compiled as a regex: the longest values did.
    #[test]
    fn the_longest_literal_values_compiled_as_regexes() {
        for unit in ["a", "k", "s", ".", "*", "\\", "é", "\u{212A}"] {
            let value = unit.repeat(MAX_PATTERN_LEN / unit.len());
            for op in [ConditionOp::Equals, ConditionOp::Contains] {
                for case_sensitive in [false, true] {
                    old_regex(&Condition {
                        op,
                        value: value.clone(),
                        case_sensitive,
                    });
                }
            }
        }
    }

    /// The automaton finds every key inside a text, as often as it occurs, overlapping keys
    /// and keys inside keys included.
    #[test]
    fn substrings_finds_every_key_inside() {
        let mut g = Gen(0x5DEE_CE66_D1CE_4E5B);
        let word = |g: &mut Gen, len: usize| -> Vec<u8> {
            (0..len).map(|_| b"ab\xFF"[g.below(3)]).collect()
        };
        for _ in 0..300 {
            let mut keys: Vec<Vec<u8>> = (0..1 + g.below(8))
                .map(|_| {
                    let n = 1 + g.below(4);
                    word(&mut g, n)
                })
                .collect();
            keys.sort();
            keys.dedup();
            let automaton = Substrings::new(keys.iter().map(Vec::as_slice));
            let text = {
                let n = g.below(12);
                word(&mut g, n)
            };
            let mut got = Vec::new();
            automaton.each_inside(&text, |k| got.push(k));
            got.sort();
            let mut want = Vec::new();
            for (k, key) in keys.iter().enumerate() {
                want.extend(
                    text.windows(key.len())
                        .filter(|w| w == key)
                        .map(|_| k as u32),
                );
            }
            want.sort();
            assert_eq!(got, want, "{keys:?} in {text:?}");
        }
    }

    /// The old check: every pair, in order.
    fn pairwise(rules: &[CompiledRule]) -> Option<(usize, usize)> {
        for i in 0..rules.len() {
            for j in i + 1..rules.len() {
                if rules[i].spec.priority == rules[j].spec.priority
                    && may_overlap(&rules[i], &rules[j])
                {
                    return Some((i, j));
                }
            }
        }
        None
    }

    /// The indexed check reports exactly the pair the pairwise one did, or none when it found
    /// none, on generated rule sets full of near-conflicts: same values in other cases and
    /// spaces, substrings, Unicode case folding, case-sensitive regexes, shared and separate
    /// fields.
    #[test]
    fn conflict_check_agrees_with_pairwise() {
        let values = [
            "Slack",
            "slack",
            " SLACK ",
            "Slack Technologies",
            "ack",
            "lack t",
            "Zoom",
            "zoom video",
            "\u{17F}lack",
            "\u{212A}elvin",
            "kelvin",
            "M\u{fc}ller",
            "M\u{dc}LLER",
            "m\u{fc}ller gmbh",
            "6420",
            "64",
            "^sl",
            "(?-i)slack",
            "^zo",
            "o",
            "\u{130}stanbul",
            "istanbul",
        ];
        let ops = [
            ConditionOp::Equals,
            ConditionOp::Equals,
            ConditionOp::Contains,
            ConditionOp::Regex,
        ];
        let mut g = Gen(0x2545_F491_4F6C_DD1D);
        let (mut conflicts, mut clean) = (0, 0);
        for round in 0..1_500 {
            let n = 2 + g.below(if round % 10 == 0 { 40 } else { 10 });
            let priorities = 1 + g.below(3);
            let rules: Vec<CompiledRule> = (0..n)
                .map(|i| {
                    let cond = |g: &mut Gen, p: usize| -> Option<Condition> {
                        (g.below(100) < p).then(|| Condition {
                            op: ops[g.below(ops.len())],
                            value: values[g.below(values.len())].to_string(),
                            case_sensitive: g.below(4) == 0,
                        })
                    };
                    let mut spec = RuleSpec {
                        id: format!("r{i}"),
                        priority: g.below(priorities) as i64,
                        action: RuleAction::Ignore,
                        app_id: None,
                        vendor: cond(&mut g, 70),
                        description: cond(&mut g, 40),
                        account: cond(&mut g, 25),
                    };
                    if spec.vendor.is_none() && spec.description.is_none() && spec.account.is_none()
                    {
                        spec.vendor = cond(&mut g, 100);
                    }
                    let c = |c: &Option<Condition>| {
                        compile_cond(c, &String::new, &String::new).unwrap()
                    };
                    CompiledRule {
                        index: i,
                        vendor: c(&spec.vendor),
                        description: c(&spec.description),
                        account: c(&spec.account),
                        spec,
                    }
                })
                .collect();
            let want = pairwise(&rules);
            let mut rules = rules;
            rules.sort_by_key(|r| r.spec.priority);
            assert_eq!(
                first_conflict(&rules),
                want,
                "round {round}: {:#?}",
                rules.iter().map(|r| &r.spec).collect::<Vec<_>>()
            );
            if want.is_some() {
                conflicts += 1
            } else {
                clean += 1
            }
        }
        assert!(
            conflicts > 250 && clean > 100,
            "{conflicts} sets with a conflict, {clean} without"
        );
    }
}
